/* whep: see whep.h. */
#include "bench/whep.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int whep_url_parse(const char *url, struct whep_url *u)
{
	const char *h, *slash, *colon;
	size_t hl;

	memset(u, 0, sizeof *u);
	if (!strncasecmp(url, "https://", 8))
		return -EPROTONOSUPPORT;
	if (strncasecmp(url, "http://", 7) != 0)
		return strstr(url, "://") ? -EPROTONOSUPPORT : -EINVAL;
	h = url + 7;
	slash = strchr(h, '/');
	if (!slash || strlen(slash) >= sizeof u->path)
		return -EINVAL;
	if (*h == '[') {                        /* [v6]:port */
		const char *end = memchr(h, ']', (size_t)(slash - h));

		if (!end)
			return -EINVAL;
		hl = (size_t)(end - h - 1);
		h++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (!colon && end + 1 != slash)
			return -EINVAL;
	} else {
		colon = memchr(h, ':', (size_t)(slash - h));
		hl = (size_t)((colon ? colon : slash) - h);
	}
	if (hl == 0 || hl >= sizeof u->host)
		return -EINVAL;
	memcpy(u->host, h, hl);
	if (colon) {
		size_t pl = (size_t)(slash - colon - 1);

		if (pl == 0 || pl >= sizeof u->port || strspn(colon + 1, "0123456789") < pl)
			return -EINVAL;
		memcpy(u->port, colon + 1, pl);
	} else {
		strcpy(u->port, "80");
	}
	strcpy(u->path, slash);
	return 0;
}

/* The value of header line "Name: value" when name matches; NULL else. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *v;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	v = line + nl + 1;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	*vlen = (size_t)(line + len - v);
	while (*vlen && (v[*vlen - 1] == ' ' || v[*vlen - 1] == '\t'))
		(*vlen)--;
	return v;
}

int http_response_parse(const char *buf, size_t len, struct http_response *r)
{
	const char *p = buf, *end = buf + len, *eol, *v;
	long clen = -1;
	size_t vl;
	int first = 1;

	memset(r, 0, sizeof *r);
	for (;;) {
		size_t ll;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return -EINVAL;             /* headers never ended */
		ll = (size_t)(eol - p);
		if (ll && p[ll - 1] == '\r')
			ll--;
		if (first) {
			/* "HTTP/1.x NNN reason" */
			if (ll < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ' ||
			    p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' ||
			    p[11] < '0' || p[11] > '9' || (ll > 12 && p[12] != ' '))
				return -EINVAL;
			r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
			first = 0;
		} else if (ll == 0) {
			p = eol + 1;
			break;
		} else if ((v = header_value(p, ll, "Location", &vl))) {
			if (vl >= sizeof r->location)
				return -EINVAL;
			memcpy(r->location, v, vl);
			r->location[vl] = 0;
		} else if ((v = header_value(p, ll, "Content-Length", &vl))) {
			char num[24], *e;

			if (vl == 0 || vl >= sizeof num)
				return -EINVAL;
			memcpy(num, v, vl);
			num[vl] = 0;
			errno = 0;
			clen = strtol(num, &e, 10);
			if (errno || *e || clen < 0)
				return -EINVAL;
		}
		p = eol + 1;
	}
	r->body = p;
	r->body_len = (size_t)(end - p);
	if (clen >= 0) {
		if ((size_t)clen > r->body_len)
			return -EMSGSIZE;
		r->body_len = (size_t)clen;
	}
	return 0;
}

static int tcp_connect(const struct whep_url *u, int timeout_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd = -1, err = -EHOSTUNREACH;

	if (getaddrinfo(u->host, u->port, &hints, &res) != 0)
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd >= 0 ? fd : err;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int whep_http(const struct whep_url *u, const char *method, const char *path, const char *token,
              const char *content_type, const char *body, char *buf, size_t cap,
              struct http_response *r, int timeout_ms)
{
	char head[2048];
	size_t got = 0, blen = body ? strlen(body) : 0;
	int fd, n, rc;

	n = snprintf(head, sizeof head,
	             "%s %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n%s%s%s"
	             "Content-Length: %zu\r\n%s%s%s\r\n",
	             method, path ? path : u->path, u->host, u->port,
	             token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "",
	             blen, body ? "Content-Type: " : "", body ? content_type : "", body ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof head || cap < 2)
		return -ENOSPC;
	if ((fd = tcp_connect(u, timeout_ms)) < 0)
		return fd;
	if ((rc = send_all(fd, head, (size_t)n)) < 0 || (body && (rc = send_all(fd, body, blen)) < 0))
		goto out;
	for (;;) {
		ssize_t rd = recv(fd, buf + got, cap - 1 - got, 0);

		if (rd == 0)
			break;
		if (rd < 0) {
			if (errno == EINTR)
				continue;
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
		got += (size_t)rd;
		if (got == cap - 1) {
			rc = -EMSGSIZE;
			goto out;
		}
	}
	buf[got] = 0;
	rc = http_response_parse(buf, got, r);
out:
	close(fd);
	return rc;
}

int whep_offer_build(char *out, size_t cap, const char *ufrag, const char *pwd,
                     const char *fingerprint)
{
	static const char *const fb[] = { "nack", "nack pli", "ccm fir" };
	char media[2][1024];
	unsigned long long sess;
	int n;

	for (int k = 0; k < 2; k++) {
		size_t pos = 0;
		int w = snprintf(media[k], sizeof media[k],
		                 "m=%s 9 UDP/TLS/RTP/SAVPF %s\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
		                 "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:%s\r\na=setup:actpass\r\n"
		                 "a=mid:%d\r\na=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
		                 "a=recvonly\r\na=rtcp-mux\r\na=rtcp-rsize\r\n",
		                 k ? "video" : "audio", k ? "96 102" : "111", ufrag, pwd, fingerprint, k);

		if (w < 0 || (size_t)w >= sizeof media[k])
			return -ENOSPC;
		pos = (size_t)w;
		if (!k) {
			w = snprintf(media[k] + pos, sizeof media[k] - pos,
			             "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n");
		} else {
			w = snprintf(media[k] + pos, sizeof media[k] - pos, "a=rtpmap:96 VP8/90000\r\n");
			for (size_t i = 0; w > 0 && i < 3; i++) {
				pos += (size_t)w;
				w = snprintf(media[k] + pos, sizeof media[k] - pos, "a=rtcp-fb:96 %s\r\n", fb[i]);
			}
			pos += (size_t)w;
			w = snprintf(media[k] + pos, sizeof media[k] - pos,
			             "a=rtpmap:102 H264/90000\r\na=rtcp-fb:102 nack\r\na=rtcp-fb:102 nack pli\r\n"
			             "a=rtcp-fb:102 ccm fir\r\na=fmtp:102 level-asymmetry-allowed=1;"
			             "packetization-mode=1;profile-level-id=42e01f\r\n");
		}
		if (w < 0 || pos + (size_t)w >= sizeof media[k])
			return -ENOSPC;
	}
	sess = (unsigned long long)random() << 20 ^ (unsigned long long)getpid();
	n = snprintf(out, cap, "v=0\r\no=- %llu 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	             "a=group:BUNDLE 0 1\r\na=msid-semantic: WMS\r\n%s%s", sess, media[0], media[1]);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}

/* Copies the value after "a=name:" of line (len bytes) into dst when it
 * fits and dst is still empty. */
static void take(const char *line, size_t len, const char *attr, char *dst, size_t cap)
{
	size_t al = strlen(attr);

	if (dst[0] || len <= al || strncmp(line, attr, al) != 0 || len - al >= cap)
		return;
	memcpy(dst, line + al, len - al);
	dst[len - al] = 0;
}

int whep_answer_parse(const char *sdp, size_t len, struct whep_answer *a, char *err, size_t err_len)
{
	const char *p = sdp, *end = sdp + len;
	int kind = -1, served = 0;

	memset(a, 0, sizeof *a);
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((eol ? eol : end) - p);
		char line[600];

		if (ll && p[ll - 1] == '\r')
			ll--;
		if (ll >= sizeof line)
			ll = sizeof line - 1;       /* long lines: only their start matters here */
		memcpy(line, p, ll);
		line[ll] = 0;
		p = eol ? eol + 1 : end;
		if (!strncmp(line, "m=", 2)) {
			unsigned port = 0;
			char k[16];

			kind = sscanf(line, "m=%15s %u", k, &port) == 2 ?
			       (!strcmp(k, "audio") ? 0 : !strcmp(k, "video") ? 1 : 2) : 2;
			served = port != 0;
			a->media += served;
			continue;
		}
		if (kind >= 0 && !served)
			continue;                   /* a rejected section: nothing of it counts */
		take(line, ll, "a=ice-ufrag:", a->ufrag, sizeof a->ufrag);
		take(line, ll, "a=ice-pwd:", a->pwd, sizeof a->pwd);
		take(line, ll, "a=fingerprint:", a->fingerprint, sizeof a->fingerprint);
		if (!strncmp(line, "a=candidate:", 12) && !a->port) {
			char found[40], tr[8], addr[64], typ[8], ty[8];
			unsigned comp, port;
			unsigned long prio;

			if (sscanf(line + 12, "%39s %u %7s %lu %63s %u %7s %7s", found, &comp, tr, &prio,
			           addr, &port, typ, ty) == 8 && !strcasecmp(tr, "udp") &&
			    !strcmp(typ, "typ") && !strcmp(ty, "host") && port > 0 && port < 65536 &&
			    strlen(addr) < sizeof a->host) {
				strcpy(a->host, addr);
				a->port = (uint16_t)port;
			}
		}
		if (!strncmp(line, "a=ssrc:", 7) && (kind == 0 || kind == 1) && !a->ssrc[kind]) {
			char *e;
			unsigned long v = strtoul(line + 7, &e, 10);

			if (e != line + 7 && v <= 0xFFFFFFFFul && (*e == ' ' || !*e))
				a->ssrc[kind] = (uint32_t)v;
		}
	}
	if (!a->ufrag[0] || !a->pwd[0])
		snprintf(err, err_len, "answer has no a=ice-ufrag / a=ice-pwd");
	else if (!a->fingerprint[0])
		snprintf(err, err_len, "answer has no a=fingerprint");
	else if (!a->port)
		snprintf(err, err_len, "answer has no UDP host candidate");
	else if (!a->media)
		snprintf(err, err_len, "answer accepts no m-section");
	else
		return 0;
	return -EINVAL;
}
