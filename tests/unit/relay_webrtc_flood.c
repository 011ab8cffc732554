/* A DTLS handshake flood against a real amphi-relay (one worker) while it
 * forwards SDES media: 400 WebRTC peers, each latched by a valid ICE check
 * from its own address (so every ClientHello reaches the DTLS layer), send a
 * real OpenSSL ClientHello all at once and then again every 100 ms for 2 s.
 * Each first ClientHello costs the relay an ECDHE key and an ECDSA
 * signature.  Run twice: with [webrtc] handshake_budget = 40 (the default)
 * and with the budget out of the way (100000).
 *
 * Checked: with the budget, at most two ticks' worth of server flights
 * answer in the flood's first 100 ms and the rest is deferred (counted in
 * dtls_deferred); media loses nothing either way.  Printed, for
 * docs/performance.md: the longest gap in the media a viewer receives
 * during the flood, and how long the relay took to answer all 400. */
#include "tests/harness.h"
#include "common/clock.h"
#include "common/ctl.h"
#include "relay/srtp.h"
#include "relay/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/ssl.h>

#define PORT 43500
#define PEERS 400
#define MEDIA_PPS 1000
#define MEDIA_S 4
#define FLOOD_AT_MS 1000
#define FLOOD_MS 2000

static char dir[64], sock[128];

static json_t *ctl(json_t *req)
{
	char err[256];
	json_t *r = ctl_call(sock, req, 10000, err, sizeof err);
	json_decref(req);
	if (!r)
		HARNESS_FAIL("control socket: %s", err);
	return r ? r : json_pack("{s:b}", "ok", 0);
}

static pid_t relay_up(unsigned budget)
{
	char conf[128], log[128], spool[128], bin[256], port[16];
	const char *b = getenv("AMPHI_BIN") ? getenv("AMPHI_BIN") : "bin";
	FILE *f;
	pid_t pid;

	snprintf(conf, sizeof conf, "%s/relay-%u.conf", dir, budget);
	snprintf(log, sizeof log, "%s/relay-%u.log", dir, budget);
	snprintf(spool, sizeof spool, "%s/spool", dir);
	snprintf(bin, sizeof bin, "%s/amphi-relay", b);
	snprintf(port, sizeof port, "%d", PORT);
	f = fopen(conf, "w");
	fprintf(f, "[webrtc]\nhandshake_budget = %u\n", budget);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		for (int i = 3; i < 1024; i++)
			close(i);
		execl(bin, bin, "--config", conf, "--workers", "1", "--port-base", port, "--control", sock,
		      "--spool", spool, "--no-pin", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (access(sock, F_OK) == 0 && ctl_ping(sock, 1000))
			return pid;
		usleep(100000);
	}
	HARNESS_FAIL("amphi-relay did not answer (see %s)", log);
	return pid;
}

static int udp_socket(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	bind(fd, (struct sockaddr *)&a, sizeof a);
	return fd;
}

static const struct sockaddr_in relay_addr = {
	.sin_family = AF_INET, .sin_port = __builtin_bswap16(PORT), .sin_addr.s_addr = __builtin_bswap32(0x7f000001)
};

/* One real ClientHello (OpenSSL's DTLS 1.2 client, use_srtp), as a browser's first flight. */
static int client_hello(SSL_CTX *ctx, uint8_t *out, size_t cap)
{
	SSL *ssl = SSL_new(ctx);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	int n;
	BIO_set_mem_eof_return(rb, -1);
	SSL_set_bio(ssl, rb, wb);
	SSL_set_connect_state(ssl);
	SSL_do_handshake(ssl);
	n = BIO_read(wb, out, (int)cap);
	SSL_free(ssl);
	return n;
}

struct media {
	int pub, view;
	struct srtp_tx *tx;
	atomic_bool stop;
	uint64_t received;
	int64_t max_gap_ns, max_gap_at_ns;   /* the longest gap between two media packets, and when */
	int64_t flood_start_ns;
};

static void *media_main(void *arg)
{
	struct media *m = arg;
	uint8_t pkt[1400], in[2048];
	int64_t t0 = amphi_mono_ns(), last_rx = 0;
	uint32_t n = 0;

	while (!atomic_load(&m->stop)) {
		int64_t now = amphi_mono_ns();
		while ((int64_t)n * 1000000000LL / MEDIA_PPS <= now - t0 && n < MEDIA_PPS * MEDIA_S) {
			size_t len = 1000;
			memset(pkt, 0, sizeof pkt);
			pkt[0] = 0x80;
			pkt[1] = 96;
			pkt[2] = (uint8_t)(n >> 8);
			pkt[3] = (uint8_t)n;
			pkt[4] = (uint8_t)(n >> 14);
			pkt[8] = 0x12;
			pkt[11] = 0x34;
			if (srtp_tx_protect(m->tx, pkt, &len, sizeof pkt) == 0)
				sendto(m->pub, pkt, len, 0, (const struct sockaddr *)&relay_addr, sizeof relay_addr);
			n++;
		}
		struct pollfd pf = { m->view, POLLIN, 0 };
		poll(&pf, 1, 1);
		while (recv(m->view, in, sizeof in, 0) > 0) {
			int64_t t = amphi_mono_ns();
			if (in[1] >= 192 && in[1] <= 223)
				continue;   /* forwarded RTCP: none here, but not media */
			if (last_rx && t - last_rx > m->max_gap_ns && m->flood_start_ns && t > m->flood_start_ns) {
				m->max_gap_ns = t - last_rx;
				m->max_gap_at_ns = t - m->flood_start_ns;
			}
			last_rx = t;
			m->received++;
		}
	}
	return NULL;
}

static long long wstat(const char *key)
{
	json_t *st = ctl(json_pack("{s:s}", "cmd", "stats"));
	long long v = json_integer_value(json_object_get(json_array_get(json_object_get(st, "workers"), 0), key));
	json_decref(st);
	return v;
}

static void key_b64(const uint8_t *k, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)k[i] << 16 | (i + 1 < n ? (uint32_t)k[i + 1] << 8 : 0) | (i + 2 < n ? k[i + 2] : 0);
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = 0;
}

static void flood(unsigned budget)
{
	static const char fp[] = "sha-256 12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:"
	                         "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0";
	static int fds[PEERS];
	static uint8_t hello[PEERS][512];
	static int hello_len[PEERS];
	static int64_t answered_ns[PEERS];
	uint8_t key[30], buf[2048];
	char k64[64], addr[64], ufrag[16], pwd[32], user[40];
	struct media m = { 0 };
	struct sockaddr_in va;
	socklen_t vl = sizeof va;
	pthread_t th;
	pid_t relay = relay_up(budget);
	SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
	json_t *r;
	int latched = 0;

	SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80");
	if (getrandom(key, sizeof key, 0) != sizeof key)
		memset(key, 5, sizeof key);
	key_b64(key, sizeof key, k64);
	r = ctl(json_pack("{s:s,s:s,s:[{s:s,s:s,s:i,s:i}],s:{s:s,s:s}}", "cmd", "stream.create", "id", "f",
	                  "tracks", "kind", "video", "codec", "VP8", "pt", 96, "clock_rate", 90000,
	                  "ingest", "suite", "AES_CM_128_HMAC_SHA1_80", "key", k64));
	CHECK(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	m.pub = udp_socket();
	m.view = udp_socket();
	getsockname(m.view, (struct sockaddr *)&va, &vl);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(va.sin_port));
	r = ctl(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "cmd", "viewer.add", "stream", "f", "id", "v",
	                  "suite", "AES_CM_128_HMAC_SHA1_80", "key", k64, "addr", addr, "rtcp_mux", 1));
	CHECK(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	CHECK_INT(srtp_tx_create(&m.tx, SRTP_SUITE_AES_CM_128_HMAC_SHA1_80, key), ==, 0);

	/* The flood's peers: added, then latched by one valid check each. */
	for (int i = 0; i < PEERS; i++) {
		snprintf(ufrag, sizeof ufrag, "fl%04d", i);
		snprintf(pwd, sizeof pwd, "FloodPeerPassword%05d", i);
		r = ctl(json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:[{s:s,s:i,s:s}]}", "cmd", "webrtc.add",
		                  "stream", "f", "id", ufrag, "role", "viewer", "ice", "ufrag", ufrag, "pwd", pwd,
		                  "fingerprint", fp, "tracks", "kind", "video", "pt", 96, "mid", "0"));
		CHECK(json_is_true(json_object_get(r, "ok")));
		json_decref(r);
		fds[i] = udp_socket();
		uint8_t txid[12] = { (uint8_t)i, (uint8_t)(i >> 8), 9 };
		snprintf(user, sizeof user, "%s:peer", ufrag);
		int n = stun_binding_request_build(buf, sizeof buf, txid, user, pwd, 1, 1, true);
		sendto(fds[i], buf, (size_t)n, 0, (const struct sockaddr *)&relay_addr, sizeof relay_addr);
		hello_len[i] = client_hello(ctx, hello[i], sizeof hello[i]);
		answered_ns[i] = 0;
	}
	for (int i = 0; i < PEERS; i++) {
		struct pollfd pf = { fds[i], POLLIN, 0 };
		if (poll(&pf, 1, 2000) == 1 && recv(fds[i], buf, sizeof buf, 0) > 0 && buf[0] < 4)
			latched++;
	}
	CHECK_INT(latched, ==, PEERS);

	pthread_create(&th, NULL, media_main, &m);
	usleep(FLOOD_AT_MS * 1000);
	long long deferred0 = wstat("dtls_deferred");
	int64_t start = amphi_mono_ns(), next = start;
	m.flood_start_ns = start;
	while (amphi_mono_ns() < start + FLOOD_MS * 1000000LL) {
		if (amphi_mono_ns() >= next) {
			for (int i = 0; i < PEERS; i++)
				sendto(fds[i], hello[i], (size_t)hello_len[i], 0, (const struct sockaddr *)&relay_addr,
				       sizeof relay_addr);
			next += 100000000LL;
		}
		for (int i = 0; i < PEERS; i++)
			while (recv(fds[i], buf, sizeof buf, 0) > 0)
				if (!answered_ns[i] && buf[0] >= 20 && buf[0] <= 63)
					answered_ns[i] = amphi_mono_ns();
		usleep(10000);
	}
	usleep((MEDIA_S * 1000 - FLOOD_AT_MS - FLOOD_MS) * 1000 + 500000);
	atomic_store(&m.stop, true);
	pthread_join(th, NULL);

	int first_100ms = 0, answered = 0;
	int64_t last = 0;
	for (int i = 0; i < PEERS; i++) {
		if (!answered_ns[i])
			continue;
		answered++;
		first_100ms += answered_ns[i] - start <= 100000000LL;
		if (answered_ns[i] - start > last)
			last = answered_ns[i] - start;
	}
	long long deferred = wstat("dtls_deferred") - deferred0;
	printf("  budget %u: %d of %d ClientHellos answered within the flood (%d in its first 100 ms, the last "
	       "after %.0f ms), %lld handshake datagrams deferred; media: %llu of %d packets, longest gap "
	       "%.1f ms (%.0f ms into the flood)\n", budget, answered, PEERS, first_100ms, last / 1e6, deferred,
	       (unsigned long long)m.received, MEDIA_PPS * MEDIA_S, m.max_gap_ns / 1e6, m.max_gap_at_ns / 1e6);
	CHECK_INT(m.received, ==, MEDIA_PPS * MEDIA_S);
	if (budget < PEERS) {
		CHECK_INT(first_100ms, <=, 2 * (int)budget);
		CHECK_INT(deferred, >, 0);
	} else {
		CHECK_INT(answered, ==, PEERS);
	}
	for (int i = 0; i < PEERS; i++)
		close(fds[i]);
	close(m.pub);
	close(m.view);
	srtp_tx_destroy(m.tx);
	SSL_CTX_free(ctx);
	kill(relay, SIGTERM);
	int st;
	waitpid(relay, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unlink(sock);
}

TEST(budget_bounds_handshakes)
{
	flood(40);
}

TEST(unbounded_for_comparison)
{
	flood(100000);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	alarm(120);
	if (srtp_layer_init() < 0)
		SKIP("libsrtp does not initialise");
	snprintf(dir, sizeof dir, "/tmp/amphi-flood.XXXXXX");
	if (!mkdtemp(dir))
		SKIP("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof sock, "%s/relay.sock", dir);
	{
		char bin[256];
		snprintf(bin, sizeof bin, "%s/amphi-relay", getenv("AMPHI_BIN") ? getenv("AMPHI_BIN") : "bin");
		if (access(bin, X_OK) != 0)
			SKIP("%s is not built", bin);
	}
	RUN(budget_bounds_handshakes);
	RUN(unbounded_for_comparison);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("  could not remove %s\n", dir);
	return harness_done();
}
