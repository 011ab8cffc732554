/* sdes_sdp: see sdes_sdp.h. */
#include "control/sdes_sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void bad(json_t *errors, const char *field, const char *msg)
{
	json_array_append_new(errors, json_pack("{s:s,s:s}", "field", field, "error", msg));
}

/* A numeric address a unicast receiver can have.  0, or -EINVAL with *why. */
static int address_check(const char *s, bool *ipv6, const char **why)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		uint32_t h = ntohl(a4.s_addr);
		*ipv6 = false;
		if (h == 0)
			*why = "the unspecified address receives nothing";
		else if ((h >> 28) == 0xe)
			*why = "a multicast address is not one viewer";
		else if (h == 0xffffffffu)
			*why = "a broadcast address is not one viewer";
		else
			return 0;
		return -EINVAL;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		*ipv6 = true;
		if (IN6_IS_ADDR_UNSPECIFIED(&a6))
			*why = "the unspecified address receives nothing";
		else if (IN6_IS_ADDR_MULTICAST(&a6))
			*why = "a multicast address is not one viewer";
		else
			return 0;
		return -EINVAL;
	}
	*why = "expected a numeric IPv4 or IPv6 address";
	return -EINVAL;
}

/* body[field]: absent (0), or a port SDES_PORT_MIN..65535 (65534 without rtcp-mux). */
static uint16_t port_field(json_t *body, const char *field, json_t *errors)
{
	json_t *v = json_object_get(body, field);
	json_int_t p;

	if (!v || json_is_null(v))
		return 0;
	p = json_is_integer(v) ? json_integer_value(v) : -1;
	if (p < SDES_PORT_MIN || p > 65535) {
		bad(errors, field, "expected a UDP port from 1024 to 65535");
		return 0;
	}
	return (uint16_t)p;
}

int sdes_target_parse(json_t *body, const char *default_address, struct sdes_target *t, json_t *errors)
{
	static const char *const known[] = { "address", "audio_port", "video_port", "rtcp_mux" };
	size_t before = json_array_size(errors);
	const char *key, *why = NULL, *addr;
	json_t *v, *mux;

	memset(t, 0, sizeof *t);
	if (!json_is_object(body)) {
		bad(errors, "", "expected a JSON object");
		return -EINVAL;
	}
	json_object_foreach(body, key, v) {
		bool ok = false;
		for (size_t i = 0; i < sizeof known / sizeof *known; i++)
			ok |= strcmp(key, known[i]) == 0;
		if (!ok)
			bad(errors, key, "unknown field");
	}
	v = json_object_get(body, "address");
	if (v && !json_is_null(v) && !json_is_string(v))
		bad(errors, "address", "expected a numeric IPv4 or IPv6 address");
	addr = json_is_string(v) ? json_string_value(v) : default_address;
	if (!addr || strlen(addr) >= sizeof t->address || address_check(addr, &t->ipv6, &why))
		bad(errors, "address", why ? why : "expected a numeric IPv4 or IPv6 address");
	else
		snprintf(t->address, sizeof t->address, "%s", addr);
	mux = json_object_get(body, "rtcp_mux");
	if (mux && !json_is_boolean(mux))
		bad(errors, "rtcp_mux", "expected true or false");
	t->rtcp_mux = json_is_true(mux);
	size_t errors_before_ports = json_array_size(errors);
	t->audio_port = port_field(body, "audio_port", errors);
	t->video_port = port_field(body, "video_port", errors);
	/* Both absent or null (a null port is an absent one): nowhere to send. */
	if (!t->audio_port && !t->video_port && json_array_size(errors) == errors_before_ports)
		bad(errors, "video_port", "give audio_port, video_port or both: where the viewer receives");
	if (!t->rtcp_mux) {
		if (t->audio_port == 65535)
			bad(errors, "audio_port", "without rtcp_mux RTCP goes to port + 1: at most 65534");
		if (t->video_port == 65535)
			bad(errors, "video_port", "without rtcp_mux RTCP goes to port + 1: at most 65534");
	}
	if (t->audio_port && t->video_port) {
		int d = (int)t->audio_port - (int)t->video_port;
		if (d == 0 || (!t->rtcp_mux && (d == 1 || d == -1)))
			bad(errors, "video_port", t->rtcp_mux ? "audio and video need ports of their own"
			                                      : "audio and video need ports of their own, each with port + 1 for RTCP");
	}
	return json_array_size(errors) > before ? -EINVAL : 0;
}

struct out {
	char *buf;
	size_t len, off;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->off)
		o->full = true;
	else
		o->off += (size_t)n;
}

int sdes_sdp_write(const struct sdes_target *t, const struct sdes_track *tracks, unsigned ntracks,
                   const char *suite, const char *key_b64, const char *name, char *out, size_t len)
{
	struct out o = { out, len, 0, len == 0 };
	const char *ip = t->ipv6 ? "IP6" : "IP4";
	unsigned written = 0;

	put(&o, "v=0\r\no=- 0 0 IN %s %s\r\ns=%s\r\nc=IN %s %s\r\nt=0 0\r\n", ip, t->address, name, ip, t->address);
	for (unsigned i = 0; i < ntracks; i++) {
		const struct sdes_track *k = &tracks[i];
		uint16_t port = k->video ? t->video_port : t->audio_port;
		if (!port)
			continue;
		put(&o, "m=%s %u RTP/SAVP %d\r\n", k->video ? "video" : "audio", port, k->pt);
		if (t->rtcp_mux)
			put(&o, "a=rtcp-mux\r\n");
		if (k->video)
			put(&o, "a=rtpmap:%d %s/%d\r\n", k->pt, k->codec, k->clock_rate);
		else
			put(&o, "a=rtpmap:%d %s/%d/%d\r\n", k->pt, k->codec, k->clock_rate, k->channels ? k->channels : 2);
		if (strcmp(k->codec, "H264") == 0)
			put(&o, "a=fmtp:%d packetization-mode=1\r\n", k->pt);
		put(&o, "a=recvonly\r\n");
		if (k->ssrc)
			put(&o, "a=ssrc:%u cname:amphi\r\n", k->ssrc);
		put(&o, "a=crypto:1 %s inline:%s\r\n", suite, key_b64);
		written++;
	}
	if (!written)
		return -EINVAL;
	if (o.full)
		return -ENOSPC;
	return (int)o.off;
}
