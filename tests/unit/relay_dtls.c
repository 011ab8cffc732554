/* DTLS-SRTP server (relay/dtls.c) against a real OpenSSL DTLS client over
 * loopback UDP: the client verifies the server's certificate against
 * dtls_ctx_fingerprint() and presents its own, which the server checks
 * against the "offer" fingerprint; both sides derive the RFC 5764 keys, and
 * libsrtp, keyed from each side's view, proves the key||salt layout by
 * protecting on one side and unprotecting on the other.  Retransmission,
 * handshake timeout, close_notify, a wrong fingerprint, a client without
 * use_srtp and a garbage flood are covered too.
 *
 *   relay_dtls            the tests
 *   relay_dtls bench [N]  N handshakes (default 300): handshakes per second
 *                         and the server's CPU per handshake (docs/performance.md) */
#include "tests/harness.h"
#include "relay/dtls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <srtp2/srtp.h>

#include "common/clock.h"

static struct dtls_ctx *server_ctx;

/* --- a real OpenSSL DTLS client on a connected UDP socket ----------------- */

struct client {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	char fingerprint[256];     /* "sha-256 ..." of the client's certificate */
	int server_fp_ok;          /* the server's certificate matched its announced fingerprint */
};

static const char *expected_server_fp;

static int client_verify(int ok, X509_STORE_CTX *store)
{
	(void)ok;
	X509 *cert = X509_STORE_CTX_get0_cert(store);
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	char buf[256];
	size_t pos = (size_t)snprintf(buf, sizeof buf, "sha-256 ");
	X509_digest(cert, EVP_sha256(), md, &len);
	for (unsigned i = 0; i < len; i++)
		pos += (size_t)snprintf(buf + pos, sizeof buf - pos, i ? ":%02X" : "%02X", md[i]);
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct client *cl = SSL_get_app_data(ssl);
	cl->server_fp_ok = strcmp(buf, expected_server_fp) == 0;
	return cl->server_fp_ok;
}

static int client_open(struct client *cl, const char *profiles, const struct sockaddr_in *server)
{
	memset(cl, 0, sizeof *cl);
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pkey);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"browser", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, pkey, EVP_sha256());
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	X509_digest(x, EVP_sha256(), md, &len);
	size_t pos = (size_t)snprintf(cl->fingerprint, sizeof cl->fingerprint, "sha-256 ");
	for (unsigned i = 0; i < len; i++)
		pos += (size_t)snprintf(cl->fingerprint + pos, sizeof cl->fingerprint - pos,
		                        i ? ":%02X" : "%02X", md[i]);

	cl->ctx = SSL_CTX_new(DTLS_client_method());
	SSL_CTX_use_certificate(cl->ctx, x);
	SSL_CTX_use_PrivateKey(cl->ctx, pkey);
	X509_free(x);
	EVP_PKEY_free(pkey);
	if (profiles && SSL_CTX_set_tlsext_use_srtp(cl->ctx, profiles) != 0)
		return -1;
	SSL_CTX_set_verify(cl->ctx, SSL_VERIFY_PEER, client_verify);
	cl->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (connect(cl->fd, (const struct sockaddr *)server, sizeof *server) != 0)
		return -1;
	BIO *bio = BIO_new_dgram(cl->fd, BIO_NOCLOSE);
	BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, (void *)server);
	cl->ssl = SSL_new(cl->ctx);
	SSL_set_app_data(cl->ssl, cl);
	SSL_set_bio(cl->ssl, bio, bio);
	SSL_set_connect_state(cl->ssl);
	return 0;
}

static void client_close(struct client *cl)
{
	SSL_free(cl->ssl);
	SSL_CTX_free(cl->ctx);
	close(cl->fd);
}

/* --- the server side: a UDP socket this test owns, as a worker would ------ */

struct server {
	int fd;
	struct sockaddr_in addr, peer;
	int have_peer;
	int drop;                  /* when set, datagrams sent are counted and dropped */
	int sent, dropped;
	struct dtls_conn *conn;
	int64_t cpu_ns;            /* thread CPU time spent inside dtls_conn_* */
};

static void server_send(void *arg, const uint8_t *d, size_t len)
{
	struct server *s = arg;
	s->sent++;
	if (s->drop || !s->have_peer) {
		s->dropped++;
		return;
	}
	sendto(s->fd, d, len, 0, (struct sockaddr *)&s->peer, sizeof s->peer);
}

static int64_t cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void server_open(struct server *s)
{
	memset(s, 0, sizeof *s);
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	s->addr.sin_family = AF_INET;
	s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof s->addr;
	if (bind(s->fd, (struct sockaddr *)&s->addr, sizeof s->addr) != 0 ||
	    getsockname(s->fd, (struct sockaddr *)&s->addr, &sl) != 0)
		SKIP("no loopback UDP: %s", strerror(errno));
}

/* Receives what is waiting on the server socket and feeds the connection;
 * returns the last non-zero result of dtls_conn_input (0 if none). */
static int server_pump(struct server *s)
{
	uint8_t buf[4096];
	int last = 0;
	for (;;) {
		socklen_t sl = sizeof s->peer;
		ssize_t n = recvfrom(s->fd, buf, sizeof buf, 0, (struct sockaddr *)&s->peer, &sl);
		if (n < 0)
			return last;
		s->have_peer = 1;
		int64_t t0 = cpu_now();
		int r = dtls_conn_input(s->conn, buf, (size_t)n, amphi_mono_ns());
		s->cpu_ns += cpu_now() - t0;
		if (r)
			last = r;
	}
}

/* Runs the handshake until both ends are done, one fails, or limit_ms. */
static int handshake(struct client *cl, struct server *s, int limit_ms)
{
	int64_t end = amphi_mono_ns() + (int64_t)limit_ms * 1000000;
	int client_done = 0, result = 0;

	while (amphi_mono_ns() < end) {
		if (!client_done) {
			int r = SSL_do_handshake(cl->ssl);
			if (r == 1)
				client_done = 1;
			else if (SSL_get_error(cl->ssl, r) != SSL_ERROR_WANT_READ) {
				unsigned long e = ERR_peek_error();
				printf("  client: SSL error %d (%s) errno %d\n", SSL_get_error(cl->ssl, r),
				       e ? ERR_reason_error_string(e) : "-", errno);
				ERR_clear_error();
				return -1000;
			}
		}
		int r = server_pump(s);
		if (r < 0)
			return r;
		if (r == 1)
			result = 1;
		if (client_done && dtls_conn_state(s->conn) == DTLS_CONNECTED)
			return result;
		struct pollfd p[2] = { { cl->fd, POLLIN, 0 }, { s->fd, POLLIN, 0 } };
		poll(p, 2, 5);
		int64_t t0 = cpu_now();
		dtls_conn_tick(s->conn, amphi_mono_ns());
		s->cpu_ns += cpu_now() - t0;
		if (!client_done)
			DTLSv1_handle_timeout(cl->ssl);
	}
	return -ETIMEDOUT;
}

/* The client's view of the RFC 5764 keys, split the same way. */
static void client_keys(struct client *cl, size_t salt_len, uint8_t *client, uint8_t *server)
{
	uint8_t km[60];
	size_t kl = 16;
	SSL_export_keying_material(cl->ssl, km, 2 * (kl + salt_len), "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0);
	memcpy(client, km, kl);
	memcpy(client + kl, km + 2 * kl, salt_len);
	memcpy(server, km + kl, kl);
	memcpy(server + kl, km + 2 * kl + salt_len, salt_len);
}

/* libsrtp session for one direction with key||salt. */
static srtp_t srtp_session(enum dtls_srtp_profile prof, const uint8_t *master, int outbound)
{
	srtp_policy_t pol;
	srtp_t s = NULL;
	memset(&pol, 0, sizeof pol);
	if (prof == DTLS_SRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&pol.rtp);
		srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	}
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = (unsigned char *)master;
	pol.window_size = 128;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		return NULL;
	return s;
}

/* The relay protects with its server key; the browser (client) view of the
 * server key unprotects; and the other way round with the client key. */
static void check_srtp_both_ways(const struct dtls_srtp_keys *k, const uint8_t *cv_client,
                                 const uint8_t *cv_server)
{
	CHECK_MEM(k->client, cv_client, k->master_len);
	CHECK_MEM(k->server, cv_server, k->master_len);
	for (int dir = 0; dir < 2; dir++) {
		const uint8_t *tx = dir == 0 ? k->server : cv_client;
		const uint8_t *rx = dir == 0 ? cv_server : k->client;
		srtp_t out = srtp_session(k->profile, tx, 1), in = srtp_session(k->profile, rx, 0);
		CHECK(out && in);
		if (!out || !in)
			return;
		uint8_t pkt[256] = { 0x80, 96, 0x12, 0x34, 0, 0, 0x10, 0, 0xde, 0xad, 0xbe, 0xef };
		for (int i = 12; i < 112; i++)
			pkt[i] = (uint8_t)i;
		int len = 112;
		CHECK_INT(srtp_protect(out, pkt, &len), ==, srtp_err_status_ok);
		CHECK_INT(len, >, 112);
		CHECK_INT(srtp_unprotect(in, pkt, &len), ==, srtp_err_status_ok);
		CHECK_INT(len, ==, 112);
		CHECK_INT(pkt[50], ==, 50);
		srtp_dealloc(out);
		srtp_dealloc(in);
	}
}

static void run_profile(const char *client_profiles, enum dtls_srtp_profile want, size_t master_len)
{
	struct client cl;
	struct server s;
	struct dtls_srtp_keys k;

	server_open(&s);
	CHECK_INT(client_open(&cl, client_profiles, &s.addr), ==, 0);
	s.conn = dtls_conn_create(server_ctx, cl.fingerprint, server_send, &s, amphi_mono_ns());
	CHECK(s.conn != NULL);
	CHECK_INT(dtls_conn_srtp_keys(s.conn, &k), ==, -EAGAIN);
	CHECK_INT(handshake(&cl, &s, 3000), ==, 1);
	CHECK(cl.server_fp_ok);
	CHECK_STR(dtls_state_name(dtls_conn_state(s.conn)), "connected");
	CHECK_INT(dtls_conn_deadline(s.conn), ==, -1);
	CHECK_INT(dtls_conn_srtp_keys(s.conn, &k), ==, 0);
	CHECK_INT(k.profile, ==, want);
	CHECK_INT(k.master_len, ==, master_len);
	const SRTP_PROTECTION_PROFILE *cp = SSL_get_selected_srtp_profile(cl.ssl);
	CHECK(cp && cp->id == (unsigned long)want);
	uint8_t cvc[30], cvs[30];
	client_keys(&cl, master_len - 16, cvc, cvs);
	check_srtp_both_ways(&k, cvc, cvs);
	CHECK(memcmp(k.client, k.server, master_len) != 0);

	/* The browser closes: close_notify reaches the server. */
	SSL_shutdown(cl.ssl);
	usleep(10000);
	CHECK_INT(server_pump(&s), ==, -EPIPE);
	CHECK_STR(dtls_state_name(dtls_conn_state(s.conn)), "closed");
	CHECK_INT(dtls_conn_input(s.conn, (const uint8_t *)"\x17", 1, amphi_mono_ns()), ==, -EPIPE);
	dtls_conn_destroy(s.conn);
	client_close(&cl);
	close(s.fd);
}

TEST(fingerprint_format)
{
	const char *fp = dtls_ctx_fingerprint(server_ctx);
	CHECK_INT(strlen(fp), ==, 8 + 32 * 3 - 1);
	CHECK(strncmp(fp, "sha-256 ", 8) == 0);
	for (int i = 0; i < 32; i++) {
		const char *p = fp + 8 + 3 * i;
		CHECK(strchr("0123456789ABCDEF", p[0]) && strchr("0123456789ABCDEF", p[1]));
		if (i < 31)
			CHECK_INT(p[2], ==, ':');
	}
	/* Bad remote fingerprints are refused at create. */
	const char *bad[] = { NULL, "", "sha-256", "md5 AB:CD", "sha-256 AB:CD", "sha-256 ZZ",
	                      "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:3",
	                      "sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		struct dtls_conn *c = dtls_conn_create(server_ctx, bad[i], NULL, NULL, 0);
		if (c) {
			HARNESS_FAIL("accepted fingerprint \"%s\"", bad[i] ? bad[i] : "(null)");
			dtls_conn_destroy(c);
		}
		CHECK_INT(errno, ==, EINVAL);
	}
	struct dtls_conn *c = dtls_conn_create(server_ctx,
		"SHA-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33", NULL, NULL, 0);
	CHECK(c != NULL);
	dtls_conn_destroy(c);
}

TEST(handshake_prefers_gcm)
{
	run_profile("SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", DTLS_SRTP_AEAD_AES_128_GCM, 28);
}

TEST(handshake_cm_when_only_cm_offered)
{
	run_profile("SRTP_AES128_CM_SHA1_80", DTLS_SRTP_AES128_CM_SHA1_80, 30);
}

TEST(handshake_gcm_only)
{
	run_profile("SRTP_AEAD_AES_128_GCM", DTLS_SRTP_AEAD_AES_128_GCM, 28);
}

TEST(wrong_client_fingerprint_fails)
{
	struct client cl;
	struct server s;
	struct dtls_srtp_keys k;

	server_open(&s);
	CHECK_INT(client_open(&cl, "SRTP_AEAD_AES_128_GCM", &s.addr), ==, 0);
	/* the server's own fingerprint: a valid value, not the client's */
	s.conn = dtls_conn_create(server_ctx, dtls_ctx_fingerprint(server_ctx), server_send, &s, amphi_mono_ns());
	int r = handshake(&cl, &s, 3000);
	CHECK_INT(r, ==, -EACCES);
	CHECK_INT(dtls_conn_state(s.conn), ==, DTLS_FAILED);
	CHECK_INT(dtls_conn_srtp_keys(s.conn, &k), ==, -EAGAIN);
	dtls_conn_destroy(s.conn);
	client_close(&cl);
	close(s.fd);
}

TEST(client_without_use_srtp_fails)
{
	struct client cl;
	struct server s;

	server_open(&s);
	CHECK_INT(client_open(&cl, NULL, &s.addr), ==, 0);
	s.conn = dtls_conn_create(server_ctx, cl.fingerprint, server_send, &s, amphi_mono_ns());
	CHECK_INT(handshake(&cl, &s, 3000), ==, -EPROTO);
	CHECK_INT(dtls_conn_state(s.conn), ==, DTLS_FAILED);
	dtls_conn_destroy(s.conn);
	client_close(&cl);
	close(s.fd);
}

/* The server's flight is lost: it is sent again when the timer fires, and
 * the handshake completes. */
TEST(retransmits_lost_flight)
{
	struct client cl;
	struct server s;
	struct dtls_opts o = { .retransmit_initial_ms = 100, .handshake_timeout_ms = 5000 };
	struct dtls_ctx *ctx = dtls_ctx_create(&o);

	expected_server_fp = dtls_ctx_fingerprint(ctx);
	server_open(&s);
	CHECK_INT(client_open(&cl, "SRTP_AEAD_AES_128_GCM", &s.addr), ==, 0);
	s.conn = dtls_conn_create(ctx, cl.fingerprint, server_send, &s, amphi_mono_ns());
	s.drop = 1;
	SSL_do_handshake(cl.ssl);   /* ClientHello */
	usleep(5000);
	int64_t t0 = amphi_mono_ns();
	server_pump(&s);
	int first_flight = s.dropped;
	CHECK_INT(first_flight, >, 0);
	int64_t dl = dtls_conn_deadline(s.conn);
	CHECK_INT(dl - t0, >=, 90 * 1000000LL);
	CHECK_INT(dl - t0, <=, 150 * 1000000LL);
	CHECK_INT(dtls_conn_tick(s.conn, t0), ==, 0);    /* not yet */
	CHECK_INT(s.dropped, ==, first_flight);
	usleep(120000);
	CHECK_INT(dtls_conn_tick(s.conn, amphi_mono_ns()), ==, 0);
	CHECK_INT(s.dropped, >, first_flight);   /* the flight again (one datagram per message) */
	/* the next timer doubled */
	int64_t dl2 = dtls_conn_deadline(s.conn) - amphi_mono_ns();
	CHECK_INT(dl2, >, 150 * 1000000LL);
	s.drop = 0;
	CHECK_INT(handshake(&cl, &s, 3000), ==, 1);
	CHECK_INT(dtls_conn_state(s.conn), ==, DTLS_CONNECTED);
	dtls_conn_destroy(s.conn);
	client_close(&cl);
	close(s.fd);
	dtls_ctx_destroy(ctx);
	expected_server_fp = dtls_ctx_fingerprint(server_ctx);
}

TEST(handshake_times_out)
{
	struct dtls_opts o = { .handshake_timeout_ms = 200 };
	struct dtls_ctx *ctx = dtls_ctx_create(&o);
	struct server s;
	int64_t now = amphi_mono_ns();

	memset(&s, 0, sizeof s);
	s.conn = dtls_conn_create(ctx, dtls_ctx_fingerprint(ctx), server_send, &s, now);
	CHECK_INT(dtls_conn_deadline(s.conn), ==, now + 200 * 1000000LL);
	CHECK_INT(dtls_conn_tick(s.conn, now + 199 * 1000000LL), ==, 0);
	CHECK_INT(dtls_conn_tick(s.conn, now + 200 * 1000000LL), ==, -ETIMEDOUT);
	CHECK_INT(dtls_conn_state(s.conn), ==, DTLS_FAILED);
	CHECK_INT(dtls_conn_deadline(s.conn), ==, -1);
	CHECK_INT(dtls_conn_input(s.conn, (const uint8_t *)"\x16", 1, now), ==, -EPIPE);
	dtls_conn_destroy(s.conn);
	dtls_ctx_destroy(ctx);
}

/* Random datagrams (half of them shaped like DTLS records) never crash a
 * connection, and a real handshake still works on a fresh one afterwards. */
TEST(garbage_flood)
{
	struct server s;
	uint8_t buf[1500];
	int failed = 0;

	memset(&s, 0, sizeof s);
	for (int i = 0; i < 4000; i++) {
		if (!s.conn)
			s.conn = dtls_conn_create(server_ctx, dtls_ctx_fingerprint(server_ctx),
			                          server_send, &s, amphi_mono_ns());
		size_t len = 1 + (size_t)(rand() % (int)sizeof buf);
		RAND_bytes(buf, (int)len);
		if (i & 1 && len >= 13) {   /* a plausible record header */
			buf[0] = (uint8_t)(20 + rand() % 4);
			buf[1] = 0xfe;
			buf[2] = 0xfd;
			buf[3] = 0;
			buf[4] = 0;
			buf[11] = (uint8_t)((len - 13) >> 8);
			buf[12] = (uint8_t)(len - 13);
		}
		int r = dtls_conn_input(s.conn, buf, len, amphi_mono_ns());
		if (r != 0 && r != -EPROTO)
			HARNESS_FAIL("input returned %d", r);
		if (dtls_conn_state(s.conn) == DTLS_FAILED) {
			failed++;
			dtls_conn_destroy(s.conn);
			s.conn = NULL;
		}
	}
	dtls_conn_destroy(s.conn);
	printf("  garbage: %d connections failed cleanly\n", failed);
	run_profile("SRTP_AEAD_AES_128_GCM", DTLS_SRTP_AEAD_AES_128_GCM, 28);
}

static int bench(int n)
{
	int64_t wall0 = amphi_mono_ns(), server_cpu = 0, cpu0 = cpu_now();
	int ok = 0;
	for (int i = 0; i < n; i++) {
		struct client cl;
		struct server s;
		server_open(&s);
		client_open(&cl, "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", &s.addr);
		int64_t t0 = cpu_now();
		s.conn = dtls_conn_create(server_ctx, cl.fingerprint, server_send, &s, amphi_mono_ns());
		s.cpu_ns += cpu_now() - t0;
		if (handshake(&cl, &s, 3000) == 1)
			ok++;
		t0 = cpu_now();
		dtls_conn_destroy(s.conn);
		s.cpu_ns += cpu_now() - t0;
		server_cpu += s.cpu_ns;
		client_close(&cl);
		close(s.fd);
	}
	double wall = (double)(amphi_mono_ns() - wall0) / 1e9;
	double cpu = (double)(cpu_now() - cpu0) / 1e9;
	printf("{\"handshakes\":%d,\"ok\":%d,\"wall_s\":%.3f,\"both_sides_per_s\":%.0f,"
	       "\"server_cpu_us_per_handshake\":%.0f,\"server_handshakes_per_cpu_s\":%.0f,"
	       "\"thread_cpu_s\":%.3f}\n",
	       n, ok, wall, ok / wall, (double)server_cpu / 1e3 / n, n / ((double)server_cpu / 1e9), cpu);
	return ok == n ? 0 : 1;
}

/* The worker's budget peek: a real ClientHello is type 1; anything that is
 * not an epoch-0 handshake record is -1. */
TEST(handshake_type_peek)
{
	SSL_CTX *cc = SSL_CTX_new(DTLS_client_method());
	SSL *ssl = SSL_new(cc);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	uint8_t d[2048];
	int n;

	BIO_set_mem_eof_return(rb, -1);
	SSL_set_bio(ssl, rb, wb);
	SSL_set_connect_state(ssl);
	SSL_do_handshake(ssl);
	n = BIO_read(wb, d, sizeof d);
	CHECK_INT(n, >, 14);
	CHECK_INT(dtls_datagram_handshake_type(d, (size_t)n), ==, 1);
	CHECK_INT(dtls_datagram_handshake_type(d, 13), ==, -1);
	d[4] = 1;   /* epoch 1: encrypted, nothing to read */
	CHECK_INT(dtls_datagram_handshake_type(d, (size_t)n), ==, -1);
	d[4] = 0;
	d[0] = 23;  /* application data */
	CHECK_INT(dtls_datagram_handshake_type(d, (size_t)n), ==, -1);
	SSL_free(ssl);
	SSL_CTX_free(cc);
}

int main(int argc, char **argv)
{
	if (srtp_init() != srtp_err_status_ok)
		SKIP("libsrtp does not initialize");
	server_ctx = dtls_ctx_create(NULL);
	if (!server_ctx) {
		printf("dtls_ctx_create failed\n");
		return 1;
	}
	expected_server_fp = dtls_ctx_fingerprint(server_ctx);
	if (argc > 1 && strcmp(argv[1], "bench") == 0)
		return bench(argc > 2 ? atoi(argv[2]) : 300);
	RUN(fingerprint_format);
	RUN(handshake_prefers_gcm);
	RUN(handshake_cm_when_only_cm_offered);
	RUN(handshake_gcm_only);
	RUN(wrong_client_fingerprint_fails);
	RUN(client_without_use_srtp_fails);
	RUN(retransmits_lost_flight);
	RUN(handshake_times_out);
	RUN(garbage_flood);
	RUN(handshake_type_peek);
	dtls_ctx_destroy(server_ctx);
	return harness_done();
}
