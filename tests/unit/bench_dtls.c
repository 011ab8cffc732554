/* amphi-bench's DTLS-SRTP client (bench/dtls_client.h) against an OpenSSL
 * DTLS 1.2 server written here the way a WebRTC server is set up (its own
 * self-signed ECDSA certificate, use_srtp with both profiles, a client
 * certificate required): the suite offered is the one chosen, both sides
 * export the same RFC 5764 keys (the client's "server" key is what the
 * server protects with), a server whose certificate is not the announced
 * fingerprint is refused, a lost flight is retransmitted, and the bench's
 * certificate is the fingerprint it announces. */
#include "tests/harness.h"
#include "bench/dtls_client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct server {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;          /* memory BIOs: one datagram in, one flight out */
	char fingerprint[128];     /* of its certificate */
	char client_fp[128];       /* of the certificate the client showed */
	int fd;
	int drop_in;               /* ignores the client's next datagrams */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fp_of(X509 *x, char *out, size_t cap)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	size_t pos;

	X509_digest(x, EVP_sha256(), md, &len);
	pos = (size_t)snprintf(out, cap, "sha-256 ");
	for (unsigned i = 0; i < len; i++)
		pos += (size_t)snprintf(out + pos, cap - pos, i ? ":%02X" : "%02X", md[i]);
}

static int accept_any(int ok, X509_STORE_CTX *st)
{
	(void)ok; (void)st;
	return 1;
}

static int server_open(struct server *s, int fd)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();

	memset(s, 0, sizeof *s);
	s->fd = fd;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pkey);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"test-server", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, pkey, EVP_sha256());
	fp_of(x, s->fingerprint, sizeof s->fingerprint);
	s->ctx = SSL_CTX_new(DTLS_server_method());
	SSL_CTX_use_certificate(s->ctx, x);
	SSL_CTX_use_PrivateKey(s->ctx, pkey);
	SSL_CTX_set_tlsext_use_srtp(s->ctx, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80");
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_QUERY_MTU);
	s->ssl = SSL_new(s->ctx);
	s->rbio = BIO_new(BIO_s_mem());
	s->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(s->rbio, -1);
	SSL_set_bio(s->ssl, s->rbio, s->wbio);
	SSL_set_mtu(s->ssl, 1200);
	SSL_set_accept_state(s->ssl);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return s->ssl ? 0 : -1;
}

static void server_close(struct server *s)
{
	SSL_free(s->ssl);
	SSL_CTX_free(s->ctx);
}

/* One datagram from the client; the server's flight goes back as one datagram. */
static void server_input(struct server *s, const uint8_t *buf, size_t len)
{
	uint8_t out[8192];
	int n;

	if (s->drop_in && s->drop_in--)
		return;
	BIO_write(s->rbio, buf, (int)len);
	if (SSL_do_handshake(s->ssl) == 1 && !s->client_fp[0]) {
		X509 *peer = SSL_get1_peer_certificate(s->ssl);

		if (peer)
			fp_of(peer, s->client_fp, sizeof s->client_fp);
		X509_free(peer);
	}
	ERR_clear_error();
	n = BIO_read(s->wbio, out, sizeof out);
	if (n > 0)
		(void)send(s->fd, out, (size_t)n, 0);
}

/* Runs the handshake until the client is done; its last input result. */
static int run(struct dtls_client *c, struct server *s, int cfd)
{
	uint8_t buf[8192];
	int64_t end = now_ns() + 5000000000;
	int rc = 0;

	CHECK_INT(dtls_client_start(c, now_ns()), ==, 0);
	while (now_ns() < end && rc == 0) {
		struct pollfd p[2] = { { .fd = cfd, .events = POLLIN }, { .fd = s->fd, .events = POLLIN } };
		ssize_t n;

		poll(p, 2, 20);
		while ((n = recv(s->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
			server_input(s, buf, (size_t)n);
		while (rc == 0 && (n = recv(cfd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
			rc = dtls_client_input(c, buf, (size_t)n, now_ns());
		if (rc == 0)
			dtls_client_tick(c, now_ns());
	}
	return rc;
}

static void server_keys(struct server *s, size_t sl, uint8_t *client, uint8_t *server)
{
	uint8_t km[60];

	SSL_export_keying_material(s->ssl, km, 2 * (16 + sl), "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0);
	memcpy(client, km, 16);
	memcpy(client + 16, km + 32, sl);
	memcpy(server, km + 16, 16);
	memcpy(server + 16, km + 32 + sl, sl);
}

static void handshake_with(int gcm)
{
	struct dtls_client_ctx *ctx = dtls_client_ctx_create(gcm);
	struct dtls_client *c;
	struct server s;
	uint8_t ck[30], sk[30], want_c[30], want_s[30];
	int fds[2], got_gcm = -1;

	CHECK(ctx != NULL);
	CHECK_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds), ==, 0);
	CHECK_INT(server_open(&s, fds[1]), ==, 0);
	c = dtls_client_create(ctx, s.fingerprint, fds[0], 100);
	CHECK(c != NULL);
	CHECK_INT(dtls_client_keys(c, &got_gcm, sk, ck), ==, -EAGAIN);
	CHECK_INT(run(c, &s, fds[0]), ==, 1);
	CHECK_INT(dtls_client_deadline(c), ==, -1);
	CHECK_INT(dtls_client_keys(c, &got_gcm, sk, ck), ==, 0);
	CHECK_INT(got_gcm, ==, gcm);
	CHECK_INT(SSL_get_selected_srtp_profile(s.ssl)->id, ==,
	          gcm ? SRTP_AEAD_AES_128_GCM : SRTP_AES128_CM_SHA1_80);
	server_keys(&s, gcm ? 12 : 14, want_c, want_s);
	CHECK_MEM(sk, want_s, gcm ? 28 : 30);
	CHECK_MEM(ck, want_c, gcm ? 28 : 30);
	CHECK(memcmp(sk, ck, 16) != 0);
	/* the certificate the server saw is the one the bench announces */
	CHECK_STR(s.client_fp, dtls_client_ctx_fingerprint(ctx));
	dtls_client_destroy(c);
	server_close(&s);
	close(fds[0]);
	close(fds[1]);
	dtls_client_ctx_destroy(ctx);
}

TEST(gcm_keys_agree)
{
	handshake_with(1);
}

TEST(cm_keys_agree)
{
	handshake_with(0);
}

TEST(another_server_certificate_is_refused)
{
	struct dtls_client_ctx *ctx = dtls_client_ctx_create(1);
	struct dtls_client *c;
	struct server s;
	char wrong[128];
	uint8_t k[30];
	int fds[2], g;

	CHECK_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds), ==, 0);
	CHECK_INT(server_open(&s, fds[1]), ==, 0);
	snprintf(wrong, sizeof wrong, "%s", s.fingerprint);
	wrong[8] = wrong[8] == 'A' ? 'B' : 'A';
	c = dtls_client_create(ctx, wrong, fds[0], 100);
	CHECK_INT(run(c, &s, fds[0]), ==, -EACCES);
	CHECK_INT(dtls_client_keys(c, &g, k, NULL), ==, -EAGAIN);
	dtls_client_destroy(c);
	/* not a sha-256 fingerprint at all */
	CHECK(dtls_client_create(ctx, "sha-1 AB:CD", fds[0], 100) == NULL);
	CHECK(dtls_client_create(ctx, NULL, fds[0], 100) == NULL);
	server_close(&s);
	close(fds[0]);
	close(fds[1]);
	dtls_client_ctx_destroy(ctx);
}

TEST(lost_flights_are_retransmitted)
{
	struct dtls_client_ctx *ctx = dtls_client_ctx_create(1);
	struct dtls_client *c;
	struct server s;
	int fds[2];
	int64_t t0 = now_ns();

	CHECK_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds), ==, 0);
	CHECK_INT(server_open(&s, fds[1]), ==, 0);
	s.drop_in = 2;          /* the ClientHello is lost, then its first retransmission */
	c = dtls_client_create(ctx, s.fingerprint, fds[0], 50);
	CHECK_INT(run(c, &s, fds[0]), ==, 1);
	/* two timeouts (50 ms, then 100 ms) passed before it could finish */
	CHECK_INT((now_ns() - t0) / 1000000, >=, 150);
	dtls_client_destroy(c);
	server_close(&s);
	close(fds[0]);
	close(fds[1]);
	dtls_client_ctx_destroy(ctx);
}

int main(void)
{
	RUN(gcm_keys_agree);
	RUN(cm_keys_agree);
	RUN(another_server_certificate_is_refused);
	RUN(lost_flights_are_retransmitted);
	return harness_done();
}
