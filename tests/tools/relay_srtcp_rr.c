/* relay_srtcp_rr: sends one SRTCP receiver report, protected with libsrtp,
 * from a given local UDP port to a given address, then exits.
 *
 *   relay_srtcp_rr --suite AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM
 *                  --key BASE64 --from PORT --to IP:PORT
 *
 * The latch trigger of tests/integration/relay_latch.sh: an ffmpeg receiver
 * sends no RTCP before it has received media, so this stands in for the
 * receiver's first packet only, from the receiver's own RTCP port (bound
 * before ffmpeg starts); ffmpeg itself then receives and decodes.  A client
 * of the relay: links libsrtp and OpenSSL's base64, no relay code.
 * Exit 0 when sent, 1 otherwise. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <srtp2/srtp.h>

static int die(const char *msg)
{
	fprintf(stderr, "relay_srtcp_rr: %s\n", msg);
	return 1;
}

int main(int argc, char **argv)
{
	const char *suite = NULL, *key64 = NULL, *to = NULL;
	int from = 0, fd, len = 8, gcm;
	uint8_t key[64], pkt[64] = { 0x80, 201, 0, 1, 0x5e, 0xed, 0x00, 0x01 };   /* empty RR, SSRC 0x5eed0001 */
	struct sockaddr_in src = { .sin_family = AF_INET }, dst = { .sin_family = AF_INET };
	char host[64];
	const char *colon;
	srtp_policy_t p;
	srtp_t s;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--suite"))
			suite = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			key64 = argv[i + 1];
		else if (!strcmp(argv[i], "--from"))
			from = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--to"))
			to = argv[i + 1];
	}
	if (!suite || !key64 || !to || from <= 0 || from > 65535 || !(colon = strrchr(to, ':')) ||
	    (size_t)(colon - to) >= sizeof host)
		return die("usage: --suite S --key BASE64 --from PORT --to IP:PORT");
	gcm = !strcmp(suite, "AEAD_AES_128_GCM");
	if (!gcm && strcmp(suite, "AES_CM_128_HMAC_SHA1_80"))
		return die("unknown suite");
	if (strlen(key64) > 60 || EVP_DecodeBlock(key, (const uint8_t *)key64, (int)strlen(key64)) < (gcm ? 28 : 30))
		return die("bad key");
	memcpy(host, to, (size_t)(colon - to));
	host[colon - to] = 0;
	if (inet_pton(AF_INET, host, &dst.sin_addr) != 1)
		return die("bad --to address");
	dst.sin_port = htons((uint16_t)atoi(colon + 1));
	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	src.sin_port = htons((uint16_t)from);

	if (srtp_init() != srtp_err_status_ok)
		return die("srtp_init failed");
	memset(&p, 0, sizeof p);
	if (gcm) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	}
	p.ssrc.type = ssrc_any_outbound;
	p.key = key;
	p.window_size = 128;
	if (srtp_create(&s, &p) != srtp_err_status_ok || srtp_protect_rtcp(s, pkt, &len) != srtp_err_status_ok)
		return die("libsrtp refused the key or the packet");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof src) < 0)
		return die("cannot bind the --from port");
	if (sendto(fd, pkt, (size_t)len, 0, (struct sockaddr *)&dst, sizeof dst) != len)
		return die("send failed");
	close(fd);
	srtp_dealloc(s);
	return 0;
}
