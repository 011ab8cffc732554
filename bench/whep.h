/* whep: amphi-bench's WebRTC viewers through a real WHEP endpoint
 * (amphi-control's POST /whep/{webinar}, RFC 9725 semantics) instead of the
 * relay's webrtc.add: the offer a receive-only browser would send, one HTTP
 * POST per viewer, the answer read back (the relay's ICE credentials,
 * certificate fingerprint, host candidate, SSRCs) and a DELETE of the
 * session URL at the end.
 *
 * HTTP is plain HTTP/1.1 over TCP with "Connection: close", enough for a
 * load generator on the stack's own host; https is refused with a clear
 * error.  The response and answer parsers read outside bytes and are
 * fuzzed (tests/fuzz/bench_whep.c).  Nothing here keeps state between
 * calls; buffers are the caller's. */
#ifndef AMPHI_BENCH_WHEP_H
#define AMPHI_BENCH_WHEP_H

#include <stddef.h>
#include <stdint.h>

#define WHEP_BODY_MAX (64 * 1024)   /* an answer larger than this is refused */

struct whep_url {
	char host[64];      /* IPv4/IPv6 literal or name (resolved with getaddrinfo) */
	char port[8];
	char path[512];     /* starts with '/' */
};

/* "http://host[:port]/path" ([v6] accepted).  0, or -EINVAL (malformed) or
 * -EPROTONOSUPPORT (https or another scheme). */
int whep_url_parse(const char *url, struct whep_url *u);

struct http_response {
	int status;                 /* 100..599 */
	char location[512];         /* Location header, "" when none */
	const char *body;           /* points into the parsed buffer */
	size_t body_len;
};

/* Parses a complete HTTP/1.x response read until the server closed:
 * status line, headers (Location kept), body (Content-Length when given,
 * else to the end).  0, -EINVAL (malformed) or -EMSGSIZE (truncated body). */
int http_response_parse(const char *buf, size_t len, struct http_response *r);

/* One request: method, u's host and the path (u->path when path is NULL),
 * "Authorization: Bearer token" when token, a body with its content type
 * when body.  The whole response goes into buf (cap bytes) and is parsed
 * into *r.  0 or -errno (-ETIMEDOUT after timeout_ms for each read). */
int whep_http(const struct whep_url *u, const char *method, const char *path, const char *token,
              const char *content_type, const char *body, char *buf, size_t cap,
              struct http_response *r, int timeout_ms);

/* The receive-only offer of one viewer: BUNDLE of an audio (Opus 111) and a
 * video (VP8 96, H.264 102 packetization-mode=1) section, recvonly, rtcp-mux,
 * the sdes:mid extension, setup:actpass, the viewer's ICE credentials and
 * the bench's certificate fingerprint.  Its length or -ENOSPC. */
int whep_offer_build(char *out, size_t cap, const char *ufrag, const char *pwd,
                     const char *fingerprint);

/* What a viewer needs from the answer. */
struct whep_answer {
	char ufrag[40], pwd[72];    /* the relay's ICE credentials */
	char fingerprint[128];      /* "sha-256 AB:.." */
	char host[64];              /* the first UDP host candidate */
	uint16_t port;
	unsigned media;             /* m-sections accepted (port not 0) */
	uint32_t ssrc[2];           /* a=ssrc of the audio [0] and video [1] section, 0 when none */
};

/* Parses the answer: session or media level a=ice-ufrag, a=ice-pwd,
 * a=fingerprint; the first "udp ... typ host" a=candidate; a=ssrc per kind.
 * 0, or -EINVAL with what is missing in err. */
int whep_answer_parse(const char *sdp, size_t len, struct whep_answer *a, char *err, size_t err_len);

#endif
