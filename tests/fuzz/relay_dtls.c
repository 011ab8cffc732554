/* Fuzz target: the DTLS input path of a WebRTC port (relay/dtls.c behind
 * the RFC 7983 demux of relay/stun.c).  The input is a sequence of
 * datagrams, each [u16 big-endian length][bytes]; every one the demux
 * classes as DTLS is fed to one server connection, with timer ticks in
 * between, as a worker would.  Seeds: a real ClientHello from
 * `openssl s_client -dtls1_2 -use_srtp`. */
#include "relay/dtls.h"
#include "relay/stun.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void discard(void *arg, const uint8_t *d, size_t len)
{
	(void)arg; (void)d; (void)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dtls_ctx *ctx;
	int64_t now = 1000000000;

	if (!ctx && !(ctx = dtls_ctx_create(NULL)))
		abort();
	struct dtls_conn *c = dtls_conn_create(ctx, dtls_ctx_fingerprint(ctx), discard, NULL, now);
	if (!c)
		abort();
	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		if (dtls_datagram_handshake_type(data, len) >= 0 && (len < 14 || data[0] != 22))
			abort();
		if (stun_demux(data, len) == STUN_DEMUX_DTLS)
			(void)dtls_conn_input(c, data, len, now);
		now += 50000000;
		(void)dtls_conn_tick(c, now);
		data += len;
		size -= len;
	}
	struct dtls_srtp_keys k;
	(void)dtls_conn_srtp_keys(c, &k);
	dtls_conn_destroy(c);
	return 0;
}
