/* smtp: see smtp.h. */
#include "control/smtp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define REPLY_MAX 4096   /* an EHLO reply is a few hundred bytes; RFC 5321 lines are <= 512 */

/* One connection: the socket, and the TLS session once STARTTLS is done. */
struct conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char buf[REPLY_MAX];
	size_t len;              /* bytes in buf not yet parsed */
};

void smtp_abort_init(struct smtp_abort *a)
{
	pthread_mutex_init(&a->mu, NULL);
	a->fd = -1;
	a->fired = false;
}

void smtp_abort_fire(struct smtp_abort *a)
{
	pthread_mutex_lock(&a->mu);
	a->fired = true;
	if (a->fd >= 0)
		shutdown(a->fd, SHUT_RDWR);
	pthread_mutex_unlock(&a->mu);
}

void smtp_abort_destroy(struct smtp_abort *a)
{
	pthread_mutex_destroy(&a->mu);
}

int smtp_config_check(const struct smtp_config *c, char *err, size_t errlen)
{
	if (!c->host || !*c->host || !c->from || !*c->from || c->port <= 0 || c->port > 65535) {
		snprintf(err, errlen, "[smtp] needs host, port (1-65535) and from");
		return -EINVAL;
	}
	if (strpbrk(c->from, "<>\r\n ") || !strchr(c->from, '@')) {
		snprintf(err, errlen, "[smtp] from must be a bare address such as amphi@example.org");
		return -EINVAL;
	}
	if (c->user && !c->starttls) {
		snprintf(err, errlen, "[smtp] user needs starttls = yes: amphi never sends a password in clear");
		return -EINVAL;
	}
	if (c->user && !c->password) {
		snprintf(err, errlen, "[smtp] user needs password_file");
		return -EINVAL;
	}
	if (c->auth && strcmp(c->auth, "plain") != 0 && strcmp(c->auth, "login") != 0) {
		snprintf(err, errlen, "[smtp] auth must be plain or login, not '%s'", c->auth);
		return -EINVAL;
	}
	return 0;
}

/* --- replies ---------------------------------------------------------------------- */

static bool word_in(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w);
	for (size_t i = 0; i + wl <= n; i++)
		if (strncasecmp(s + i, w, wl) == 0 && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '=') &&
		    (i + wl == n || s[i + wl] == ' '))
			return true;
	return false;
}

int smtp_reply_parse(const char *buf, size_t len, struct smtp_reply *out)
{
	size_t off = 0;
	int code = 0;

	memset(out, 0, sizeof *out);
	for (;;) {
		const char *line = buf + off, *nl = memchr(line, '\n', len - off);
		size_t n;

		if (!nl)
			return len - off >= REPLY_MAX ? -EPROTO : 0;
		n = (size_t)(nl - line);
		if (n && line[n - 1] == '\r')
			n--;
		/* "250", "250 text" or "250-text" */
		if (n < 3 || !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
		    !isdigit((unsigned char)line[2]) || (n > 3 && line[3] != ' ' && line[3] != '-'))
			return -EPROTO;
		int c = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (c < 100 || c > 599 || (code && c != code))
			return -EPROTO;
		code = c;
		const char *text = n > 4 ? line + 4 : "";
		size_t tl = n > 4 ? n - 4 : 0;
		if (tl >= 8 && strncasecmp(text, "STARTTLS", 8) == 0 && (tl == 8 || text[8] == ' '))
			out->starttls = true;
		if (tl >= 5 && strncasecmp(text, "AUTH", 4) == 0 && (text[4] == ' ' || text[4] == '=')) {
			out->auth_plain |= word_in(text + 5, tl - 5, "PLAIN");
			out->auth_login |= word_in(text + 5, tl - 5, "LOGIN");
		}
		snprintf(out->text, sizeof out->text, "%.*s", (int)(tl < sizeof out->text ? tl : sizeof out->text - 1), text);
		off = (size_t)(nl - buf) + 1;
		if (n <= 3 || line[3] == ' ') {
			out->code = code;
			return (int)off;
		}
		if (off >= len)
			return len >= REPLY_MAX ? -EPROTO : 0;
	}
}

/* --- transport ---------------------------------------------------------------------- */

static int conn_write(struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w;
		if (c->ssl) {
			int r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
			if (r <= 0)
				return -EIO;
			w = r;
		} else {
			w = send(c->fd, p, n, MSG_NOSIGNAL);
			if (w < 0)
				return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one complete reply into *r.  0 or -errno. */
static int conn_reply(struct conn *c, struct smtp_reply *r)
{
	for (;;) {
		int used = smtp_reply_parse(c->buf, c->len, r);
		if (used < 0)
			return used;
		if (used > 0) {
			memmove(c->buf, c->buf + used, c->len - (size_t)used);
			c->len -= (size_t)used;
			return 0;
		}
		if (c->len == sizeof c->buf)
			return -EPROTO;
		ssize_t n;
		if (c->ssl) {
			int k = SSL_read(c->ssl, c->buf + c->len, (int)(sizeof c->buf - c->len));
			n = k > 0 ? k : -1;
			if (n < 0)
				return -EIO;
		} else {
			n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
			if (n < 0)
				return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		c->len += (size_t)n;
	}
}

/* Sends a command line (when line is not NULL) and reads the reply; the
 * reply's first digit must be `want`.  step names the command in errors. */
static int step(struct conn *c, const char *line, int want, struct smtp_reply *r, const char *name,
                char *err, size_t errlen)
{
	int rc = line ? conn_write(c, line, strlen(line)) : 0;
	if (rc == 0)
		rc = conn_reply(c, r);
	if (rc) {
		snprintf(err, errlen, "%s: %s", name, rc == -EPROTO ? "not an SMTP reply" : strerror(-rc));
		return rc;
	}
	if (r->code / 100 != want) {
		snprintf(err, errlen, "%s: server answered %d %s", name, r->code, r->text);
		return -EPROTO;
	}
	return 0;
}

static int conn_open(struct conn *c, const struct smtp_config *cfg, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	char port[8];
	int rc = -EHOSTUNREACH;

	snprintf(port, sizeof port, "%d", cfg->port);
	int g = getaddrinfo(cfg->host, port, &hints, &res);
	if (g) {
		snprintf(err, errlen, "resolve %s: %s", cfg->host, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
			rc = -errno;
			close(fd);
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int e = 0;
		socklen_t el = sizeof e;
		if (poll(&p, 1, cfg->timeout_ms) != 1) {
			rc = -ETIMEDOUT;
			close(fd);
			continue;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
		if (e) {
			rc = -e;
			close(fd);
			continue;
		}
		/* Blocking from here, every read and write bounded. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		struct timeval tv = { cfg->timeout_ms / 1000, (cfg->timeout_ms % 1000) * 1000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		c->fd = fd;
		rc = 0;
		break;
	}
	freeaddrinfo(res);
	if (rc)
		snprintf(err, errlen, "connect %s:%d: %s", cfg->host, cfg->port, strerror(-rc));
	return rc;
}

static int conn_starttls(struct conn *c, const struct smtp_config *cfg, char *err, size_t errlen)
{
	unsigned char ip[16];
	bool is_ip = inet_pton(AF_INET, cfg->host, ip) == 1 || inet_pton(AF_INET6, cfg->host, ip) == 1;

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		goto tls_err;
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->tls_ca ? SSL_CTX_load_verify_locations(c->ctx, cfg->tls_ca, NULL) != 1
	                : SSL_CTX_set_default_verify_paths(c->ctx) != 1)
		goto tls_err;
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl)
		goto tls_err;
	/* The certificate must name the host we connected to. */
	X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, cfg->host) != 1
	          : (SSL_set_tlsext_host_name(c->ssl, cfg->host) != 1 || SSL_set1_host(c->ssl, cfg->host) != 1))
		goto tls_err;
	SSL_set_fd(c->ssl, c->fd);
	if (SSL_connect(c->ssl) != 1) {
		long v = SSL_get_verify_result(c->ssl);
		snprintf(err, errlen, "STARTTLS: handshake failed: %s", v != X509_V_OK ?
		         X509_verify_cert_error_string(v) : ERR_reason_error_string(ERR_peek_last_error()) ?
		         ERR_reason_error_string(ERR_peek_last_error()) : "connection closed");
		ERR_clear_error();
		return -EPROTO;
	}
	return 0;
tls_err:
	snprintf(err, errlen, "STARTTLS: %s", ERR_reason_error_string(ERR_peek_last_error()) ?
	         ERR_reason_error_string(ERR_peek_last_error()) : "cannot set up TLS");
	ERR_clear_error();
	return -EPROTO;
}

static void conn_close(struct conn *c, struct smtp_abort *ab)
{
	if (ab) {
		pthread_mutex_lock(&ab->mu);
		ab->fd = -1;
		pthread_mutex_unlock(&ab->mu);
	}
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
}

/* base64 of n bytes into out (NUL-terminated); out holds 4 * ((n + 2) / 3) + 1. */
static void b64(char *out, const void *in, size_t n)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static int authenticate(struct conn *c, const struct smtp_config *cfg, const struct smtp_reply *ehlo,
                        char *err, size_t errlen)
{
	bool plain = cfg->auth ? strcmp(cfg->auth, "plain") == 0 : ehlo->auth_plain;
	bool login = cfg->auth ? strcmp(cfg->auth, "login") == 0 : !plain && ehlo->auth_login;
	size_t ul = strlen(cfg->user), pl = strlen(cfg->password);
	char raw[600], line[900];
	struct smtp_reply r = { 0 };
	int rc;

	if ((plain && !ehlo->auth_plain) || (login && !ehlo->auth_login) || (!plain && !login)) {
		snprintf(err, errlen, "AUTH: the server offers no %s mechanism", cfg->auth ? cfg->auth : "PLAIN or LOGIN");
		return -EPROTO;
	}
	if (ul + pl + 2 > sizeof raw || ul > 255 || pl > 255) {
		snprintf(err, errlen, "AUTH: user or password too long");
		return -EINVAL;
	}
	if (plain) {
		/* RFC 4616: authzid (empty) NUL authcid NUL password */
		raw[0] = 0;
		memcpy(raw + 1, cfg->user, ul);
		raw[ul + 1] = 0;
		memcpy(raw + ul + 2, cfg->password, pl);
		memcpy(line, "AUTH PLAIN ", 11);
		b64(line + 11, raw, ul + pl + 2);
		strcat(line, "\r\n");
		rc = step(c, line, 2, &r, "AUTH PLAIN", err, errlen);
	} else {
		rc = step(c, "AUTH LOGIN\r\n", 3, &r, "AUTH LOGIN", err, errlen);
		if (rc == 0) {
			b64(line, cfg->user, ul);
			strcat(line, "\r\n");
			rc = step(c, line, 3, &r, "AUTH LOGIN user", err, errlen);
		}
		if (rc == 0) {
			b64(line, cfg->password, pl);
			strcat(line, "\r\n");
			rc = step(c, line, 2, &r, "AUTH LOGIN password", err, errlen);
		}
	}
	explicit_bzero(raw, sizeof raw);
	explicit_bzero(line, sizeof line);
	return rc == -EPROTO && r.code == 535 ? -EACCES : rc;
}

/* DATA body: dot-stuffed (RFC 5321 4.5.2), CRLF line ends, then the final dot. */
static int send_body(struct conn *c, const char *msg, size_t len)
{
	char out[4096];
	size_t o = 0;
	bool bol = true;
	int rc = 0;

	for (size_t i = 0; i < len && rc == 0; i++) {
		if (o + 4 > sizeof out) {
			rc = conn_write(c, out, o);
			o = 0;
		}
		if (bol && msg[i] == '.')
			out[o++] = '.';
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = msg[i];
		bol = msg[i] == '\n';
	}
	if (rc == 0 && !bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	if (rc == 0)
		rc = conn_write(c, out, o);
	return rc ? rc : conn_write(c, ".\r\n", 3);
}

int smtp_send(const struct smtp_config *cfg, const char *rcpt, const char *msg, size_t len,
              struct smtp_abort *ab, char *err, size_t errlen)
{
	struct conn c = { .fd = -1 };
	struct smtp_reply r;
	char line[600];
	int rc;

	if (strpbrk(rcpt, "<>\r\n ") || strlen(rcpt) > 320) {
		snprintf(err, errlen, "RCPT: not a bare address");
		return -EINVAL;
	}
	if ((rc = conn_open(&c, cfg, err, errlen)))
		return rc;
	if (ab) {
		bool fired;
		pthread_mutex_lock(&ab->mu);
		fired = ab->fired;
		if (!fired)
			ab->fd = c.fd;
		pthread_mutex_unlock(&ab->mu);
		if (fired) {
			conn_close(&c, NULL);
			snprintf(err, errlen, "cancelled: shutting down");
			return -ECANCELED;
		}
	}
	snprintf(line, sizeof line, "EHLO %s\r\n", cfg->helo && *cfg->helo ? cfg->helo : "localhost");
	rc = step(&c, NULL, 2, &r, "greeting", err, errlen);
	if (rc == 0)
		rc = step(&c, line, 2, &r, "EHLO", err, errlen);
	if (rc == 0 && cfg->starttls) {
		if (!r.starttls) {
			snprintf(err, errlen, "EHLO: the server does not offer STARTTLS (required by [smtp] starttls)");
			rc = -EPROTO;
		}
		if (rc == 0)
			rc = step(&c, "STARTTLS\r\n", 2, &r, "STARTTLS", err, errlen);
		if (rc == 0 && c.len) {
			/* Bytes after the 220 would be injected in clear (CVE-2011-0411). */
			snprintf(err, errlen, "STARTTLS: the server sent data before the handshake");
			rc = -EPROTO;
		}
		if (rc == 0)
			rc = conn_starttls(&c, cfg, err, errlen);
		if (rc == 0)   /* RFC 3207: forget what was said before TLS */
			rc = step(&c, line, 2, &r, "EHLO after STARTTLS", err, errlen);
	}
	if (rc == 0 && cfg->user)
		rc = authenticate(&c, cfg, &r, err, errlen);
	if (rc == 0) {
		snprintf(line, sizeof line, "MAIL FROM:<%s>\r\n", cfg->from);
		rc = step(&c, line, 2, &r, "MAIL FROM", err, errlen);
	}
	if (rc == 0) {
		snprintf(line, sizeof line, "RCPT TO:<%s>\r\n", rcpt);
		rc = step(&c, line, 2, &r, "RCPT TO", err, errlen);
	}
	if (rc == 0)
		rc = step(&c, "DATA\r\n", 3, &r, "DATA", err, errlen);
	if (rc == 0 && (rc = send_body(&c, msg, len)) != 0)
		snprintf(err, errlen, "DATA: %s", strerror(-rc));
	if (rc == 0)
		rc = step(&c, NULL, 2, &r, "end of DATA", err, errlen);
	if (rc == 0)
		step(&c, "QUIT\r\n", 2, &r, "QUIT", line, sizeof line);   /* the message is sent: ignore */
	if (rc && ab) {
		pthread_mutex_lock(&ab->mu);
		if (ab->fired) {
			snprintf(err, errlen, "cancelled: shutting down");
			rc = -ECANCELED;
		}
		pthread_mutex_unlock(&ab->mu);
	}
	conn_close(&c, ab);
	return rc;
}
