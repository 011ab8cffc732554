/* sdp: WebRTC offer parsing and WHIP/WHEP answers; see sdp.h. */
#include "control/sdp.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- small string helpers ------------------------------------------------- */

static void set_err(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* Copies [s, s+n) into dst (cap bytes with the NUL); 0, or -1 if too long. */
static int copy_str(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

/* RFC 8866 token characters (used by mid, RFC 5888 identification-tag). */
static int is_token(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`{|}~", c));
}

static int all_chars(const char *s, size_t n, int (*ok)(int))
{
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return 0;
	return 1;
}

/* RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/" */
static int is_ice_char(int c)
{
	return isalnum(c) || c == '+' || c == '/';
}

static int is_fingerprint_char(int c)
{
	return isalnum(c) || c == '-' || c == ':' || c == ' ';
}

/* A printable value we may write into our own answer (cname, msid ids). */
static int is_id_char(int c)
{
	return isgraph(c);
}

/* Parses a decimal in [0, max] from *p, advancing it; 0 or -1. */
static int parse_uint(const char **p, const char *end, unsigned long max, unsigned long *out)
{
	const char *s = *p;
	unsigned long v = 0;
	if (s >= end || !isdigit((unsigned char)*s))
		return -1;
	while (s < end && isdigit((unsigned char)*s)) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -1;
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

static void skip_spaces(const char **p, const char *end)
{
	while (*p < end && **p == ' ')
		(*p)++;
}

/* The next space-delimited word in [*p, end): start and length; 0 or -1. */
static int next_word(const char **p, const char *end, const char **w, size_t *n)
{
	skip_spaces(p, end);
	const char *s = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	*w = s;
	*n = (size_t)(*p - s);
	return *n ? 0 : -1;
}

/* --- the parser ----------------------------------------------------------- */

struct parse {
	struct sdp_offer *o;
	struct sdp_media *m;       /* current m-section, NULL at session level */
	/* session-level values the m-sections inherit */
	char ice_ufrag[257], ice_pwd[257], fingerprint[200];
	enum sdp_setup setup;
};

static struct sdp_codec *codec_find(struct sdp_media *m, unsigned pt)
{
	for (unsigned i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

static int parse_m_line(struct parse *ps, const char *v, const char *end)
{
	struct sdp_offer *o = ps->o;
	const char *w;
	size_t n;
	unsigned long port, num;

	if (o->n_media == SDP_MAX_MEDIA)
		return -1;
	struct sdp_media *m = &o->media[o->n_media++];
	ps->m = m;
	if (next_word(&v, end, &w, &n) || copy_str(m->kind_name, sizeof m->kind_name, w, n) ||
	    !all_chars(w, n, is_token))
		return -1;
	m->kind = !strcmp(m->kind_name, "audio") ? SDP_KIND_AUDIO :
	          !strcmp(m->kind_name, "video") ? SDP_KIND_VIDEO :
	          !strcmp(m->kind_name, "application") ? SDP_KIND_APPLICATION : SDP_KIND_OTHER;
	skip_spaces(&v, end);
	if (parse_uint(&v, end, 65535, &port))
		return -1;
	if (v < end && *v == '/' && (v++, parse_uint(&v, end, 65535, &num)))
		return -1;
	m->port = (uint16_t)port;
	if (next_word(&v, end, &w, &n) || copy_str(m->proto, sizeof m->proto, w, n) ||
	    !all_chars(w, n, is_id_char))
		return -1;
	while (next_word(&v, end, &w, &n) == 0) {
		const char *q = w;
		if (parse_uint(&q, w + n, 127, &num) || q != w + n) {
			if (m->kind == SDP_KIND_AUDIO || m->kind == SDP_KIND_VIDEO)
				return -1;   /* RTP formats are payload type numbers */
			continue;
		}
		if (m->n_fmt < SDP_MAX_CODECS)
			m->fmt[m->n_fmt++] = (uint8_t)num;
	}
	if (!m->n_fmt && (m->kind == SDP_KIND_AUDIO || m->kind == SDP_KIND_VIDEO))
		return -1;
	return 0;
}

static int parse_rtpmap(struct sdp_media *m, const char *v, const char *end)
{
	unsigned long pt, clock, ch = 0;
	const char *w;
	size_t n;

	if (parse_uint(&v, end, 127, &pt) || next_word(&v, end, &w, &n))
		return -1;
	const char *slash = memchr(w, '/', n);
	if (!slash)
		return -1;
	const char *c = slash + 1;
	if (parse_uint(&c, w + n, 10000000, &clock))
		return -1;
	if (c < w + n && (*c != '/' || (c++, parse_uint(&c, w + n, 255, &ch))))
		return -1;
	if (c != w + n || codec_find(m, (unsigned)pt))
		return -1;
	if (m->n_codecs == SDP_MAX_CODECS)
		return 0;   /* more than any browser offers: the extras are not ours */
	struct sdp_codec *k = &m->codecs[m->n_codecs];
	if (copy_str(k->name, sizeof k->name, w, (size_t)(slash - w)) ||
	    !all_chars(k->name, strlen(k->name), is_token) || !k->name[0])
		return -1;
	k->pt = (uint8_t)pt;
	k->clock = (uint32_t)clock;
	k->channels = (uint8_t)ch;
	m->n_codecs++;
	return 0;
}

static int parse_fmtp(struct sdp_media *m, const char *v, const char *end)
{
	unsigned long pt;
	if (parse_uint(&v, end, 127, &pt))
		return -1;
	skip_spaces(&v, end);
	struct sdp_codec *k = codec_find(m, (unsigned)pt);
	if (!k)
		return 0;   /* fmtp for a payload type without rtpmap: nothing to attach */
	return copy_str(k->fmtp, sizeof k->fmtp, v, (size_t)(end - v));
}

static int parse_rtcp_fb(struct sdp_media *m, const char *v, const char *end)
{
	unsigned long pt = 0;
	int wildcard = v < end && *v == '*';
	if (wildcard)
		v++;
	else if (parse_uint(&v, end, 127, &pt))
		return -1;
	skip_spaces(&v, end);
	size_t n = (size_t)(end - v);
	unsigned fb = 0;
	if (n == 4 && !memcmp(v, "nack", 4))
		fb = SDP_FB_NACK;
	else if (n == 8 && !memcmp(v, "nack pli", 8))
		fb = SDP_FB_NACK_PLI;
	else if (n == 7 && !memcmp(v, "ccm fir", 7))
		fb = SDP_FB_CCM_FIR;
	else if (n == 12 && !memcmp(v, "transport-cc", 12))
		fb = SDP_FB_TRANSPORT_CC;
	else if (n == 9 && !memcmp(v, "goog-remb", 9))
		fb = SDP_FB_GOOG_REMB;
	for (unsigned i = 0; i < m->n_codecs; i++)
		if (wildcard || m->codecs[i].pt == pt)
			m->codecs[i].fb |= fb;
	return 0;
}

static int parse_extmap(struct sdp_media *m, const char *v, const char *end)
{
	unsigned long id;
	const char *w;
	size_t n;

	if (parse_uint(&v, end, 255, &id) || id == 0)
		return -1;
	if (v < end && *v == '/')   /* direction: irrelevant to which id names what */
		while (v < end && *v != ' ')
			v++;
	if (next_word(&v, end, &w, &n))
		return -1;
	if (m->n_extmaps == SDP_MAX_EXTMAPS)
		return 0;
	struct sdp_extmap *e = &m->extmaps[m->n_extmaps];
	if (copy_str(e->uri, sizeof e->uri, w, n))
		return 0;   /* a URI longer than any we use */
	e->id = (uint8_t)id;
	m->n_extmaps++;
	return 0;
}

static int parse_ssrc(struct sdp_media *m, const char *v, const char *end)
{
	unsigned long ssrc;
	if (parse_uint(&v, end, 0xFFFFFFFFul, &ssrc) || v >= end || *v != ' ')
		return -1;
	v++;
	struct sdp_ssrc *s = NULL;
	for (unsigned i = 0; i < m->n_ssrcs; i++)
		if (m->ssrcs[i].ssrc == ssrc)
			s = &m->ssrcs[i];
	if (!s) {
		if (m->n_ssrcs == SDP_MAX_SSRCS)
			return 0;
		s = &m->ssrcs[m->n_ssrcs++];
		s->ssrc = (uint32_t)ssrc;
	}
	if ((size_t)(end - v) > 6 && !memcmp(v, "cname:", 6) &&
	    (copy_str(s->cname, sizeof s->cname, v + 6, (size_t)(end - v - 6)) ||
	     !all_chars(s->cname, strlen(s->cname), is_id_char)))
		return -1;
	return 0;
}

static int parse_group(struct parse *ps, const char *v, const char *end)
{
	const char *w;
	size_t n;
	if (next_word(&v, end, &w, &n))
		return -1;
	if (n != 6 || memcmp(w, "BUNDLE", 6))
		return 0;   /* other groupings (LS, FID) are not used */
	if (ps->o->n_bundle)
		return -1;  /* one BUNDLE group per offer */
	while (next_word(&v, end, &w, &n) == 0) {
		if (ps->o->n_bundle == SDP_MAX_MEDIA || !all_chars(w, n, is_token) ||
		    copy_str(ps->o->bundle[ps->o->n_bundle], sizeof ps->o->bundle[0], w, n))
			return -1;
		ps->o->n_bundle++;
	}
	return 0;
}

/* One a= line; name is up to the colon, v..end the value (after it). */
static int parse_attr(struct parse *ps, const char *name, size_t nlen, const char *v, const char *end)
{
	struct sdp_media *m = ps->m;
	size_t n = (size_t)(end - v);
#define IS(s) (nlen == sizeof(s) - 1 && !memcmp(name, s, nlen))
	if (IS("ice-ufrag") || IS("ice-pwd")) {
		char *dst = IS("ice-ufrag") ? (m ? m->ice_ufrag : ps->ice_ufrag) : (m ? m->ice_pwd : ps->ice_pwd);
		return copy_str(dst, 257, v, n) || !all_chars(v, n, is_ice_char) ? -1 : 0;
	}
	if (IS("fingerprint")) {
		char *dst = m ? m->fingerprint : ps->fingerprint;
		if (dst[0])
			return 0;   /* several: the first (sha-256 in every browser) */
		return copy_str(dst, 200, v, n) || !all_chars(v, n, is_fingerprint_char) ? -1 : 0;
	}
	if (IS("setup")) {
		enum sdp_setup s = n == 7 && !memcmp(v, "actpass", 7) ? SDP_SETUP_ACTPASS :
		                   n == 6 && !memcmp(v, "active", 6) ? SDP_SETUP_ACTIVE :
		                   n == 7 && !memcmp(v, "passive", 7) ? SDP_SETUP_PASSIVE : SDP_SETUP_NONE;
		if (s == SDP_SETUP_NONE && !(n == 8 && !memcmp(v, "holdconn", 8)))
			return -1;
		*(m ? &m->setup : &ps->setup) = s;
		return 0;
	}
	if (IS("group"))
		return m ? 0 : parse_group(ps, v, end);
	if (IS("ice-lite")) {
		ps->o->ice_lite = true;
		return 0;
	}
	if (!m)
		return 0;   /* other session attributes (msid-semantic, extmap-allow-mixed...) */
	if (IS("mid"))
		return copy_str(m->mid, sizeof m->mid, v, n) || !n || !all_chars(v, n, is_token) ? -1 : 0;
	if (IS("sendrecv")) m->dir = SDP_DIR_SENDRECV;
	else if (IS("sendonly")) m->dir = SDP_DIR_SENDONLY;
	else if (IS("recvonly")) m->dir = SDP_DIR_RECVONLY;
	else if (IS("inactive")) m->dir = SDP_DIR_INACTIVE;
	else if (IS("rtcp-mux")) m->rtcp_mux = true;
	else if (IS("bundle-only")) m->bundle_only = true;
	else if (IS("rtcp-rsize")) m->rtcp_rsize = true;
	else if (IS("rtpmap")) return parse_rtpmap(m, v, end);
	else if (IS("fmtp")) return parse_fmtp(m, v, end);
	else if (IS("rtcp-fb")) return parse_rtcp_fb(m, v, end);
	else if (IS("extmap")) return parse_extmap(m, v, end);
	else if (IS("ssrc")) return parse_ssrc(m, v, end);
	else if (IS("candidate")) m->n_candidates++;
	else if (IS("rid") || IS("simulcast")) m->simulcast = true;
	else if (IS("msid")) {
		if (copy_str(m->msid, sizeof m->msid, v, n) || !all_chars(v, n, isprint))
			return -1;
	}
	/* anything else (ssrc-group, rtcp, ice-options, extmap-allow-mixed,
	 * rtcp-xr, end-of-candidates, ...) is not needed to answer */
	return 0;
#undef IS
}

struct sdp_offer *sdp_offer_parse(const char *text, size_t len, char *err, size_t err_len)
{
	struct parse ps;
	unsigned line_no = 0;

	if (len > SDP_MAX_SIZE) {
		set_err(err, err_len, "offer larger than %d bytes", SDP_MAX_SIZE);
		return NULL;
	}
	memset(&ps, 0, sizeof ps);
	if (!(ps.o = calloc(1, sizeof *ps.o))) {
		set_err(err, err_len, "out of memory");
		return NULL;
	}
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *next = nl ? nl + 1 : end;
		line_no++;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) {   /* blank line: tolerated at the end only */
			p = next;
			continue;
		}
		if (le - p < 2 || p[1] != '=' || !islower((unsigned char)p[0]) ||
		    memchr(p, 0, (size_t)(le - p)) || memchr(p, '\r', (size_t)(le - p)))
			goto bad;
		if (line_no == 1 && (le - p != 3 || memcmp(p, "v=0", 3))) {
			set_err(err, err_len, "line 1: not an SDP offer (expected v=0)");
			goto fail;
		}
		const char *v = p + 2;
		if (p[0] == 'm') {
			if (parse_m_line(&ps, v, le))
				goto bad;
		} else if (p[0] == 'a') {
			const char *colon = memchr(v, ':', (size_t)(le - v));
			const char *name_end = colon ? colon : le;
			if (parse_attr(&ps, v, (size_t)(name_end - v), colon ? colon + 1 : le, le))
				goto bad;
		}
		p = next;
	}
	if (line_no == 0 || ps.o->n_media == 0) {
		set_err(err, err_len, "offer has no m= section");
		goto fail;
	}
	for (unsigned i = 0; i < ps.o->n_media; i++) {
		struct sdp_media *m = &ps.o->media[i];
		if (!m->ice_ufrag[0])
			memcpy(m->ice_ufrag, ps.ice_ufrag, sizeof m->ice_ufrag);
		if (!m->ice_pwd[0])
			memcpy(m->ice_pwd, ps.ice_pwd, sizeof m->ice_pwd);
		if (!m->fingerprint[0])
			memcpy(m->fingerprint, ps.fingerprint, sizeof m->fingerprint);
		if (m->setup == SDP_SETUP_NONE)
			m->setup = ps.setup;
	}
	return ps.o;
bad:
	set_err(err, err_len, "line %u: malformed %c= line", line_no, p < end ? p[0] : '?');
fail:
	free(ps.o);
	return NULL;
}

void sdp_offer_free(struct sdp_offer *o)
{
	free(o);
}

const struct sdp_codec *sdp_media_codec(const struct sdp_media *m, const char *name, uint32_t clock)
{
	for (unsigned i = 0; i < m->n_codecs; i++)
		if (!strcasecmp(m->codecs[i].name, name) && m->codecs[i].clock == clock)
			return &m->codecs[i];
	return NULL;
}

unsigned sdp_media_extmap(const struct sdp_media *m, const char *uri)
{
	for (unsigned i = 0; i < m->n_extmaps; i++)
		if (!strcmp(m->extmaps[i].uri, uri))
			return m->extmaps[i].id;
	return 0;
}

/* --- the answer ----------------------------------------------------------- */

/* The value of key in an fmtp parameter list "a=1;b=2" into out; 0 or -1. */
static int fmtp_get(const char *fmtp, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	const char *p = fmtp;
	while (*p) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *e = p + strcspn(p, ";");
		if ((size_t)(e - p) > klen && !strncasecmp(p, key, klen) && p[klen] == '=') {
			const char *v = p + klen + 1;
			size_t n = (size_t)(e - v);
			while (n && v[n - 1] == ' ')
				n--;
			return copy_str(out, cap, v, n);
		}
		p = e;
	}
	return -1;
}

/* H.264 with packetization-mode=1 (RFC 6184 §6.2: FU-A, what browsers and
 * the relay's recorder handle), preferring Constrained Baseline (42e0..),
 * then Baseline (4200..), then any profile; the first of a rank wins. */
static const struct sdp_codec *h264_pick(const struct sdp_media *m, char plid[7])
{
	const struct sdp_codec *best = NULL;
	int best_rank = 99;
	for (unsigned i = 0; i < m->n_codecs; i++) {
		const struct sdp_codec *k = &m->codecs[i];
		char mode[8], id[16];
		if (strcasecmp(k->name, "H264") || k->clock != 90000 ||
		    fmtp_get(k->fmtp, "packetization-mode", mode, sizeof mode) || strcmp(mode, "1") ||
		    fmtp_get(k->fmtp, "profile-level-id", id, sizeof id) || strlen(id) != 6 ||
		    !all_chars(id, 6, isxdigit))
			continue;
		int rank = !strncasecmp(id, "42e0", 4) ? 0 : !strncasecmp(id, "4200", 4) ? 1 : 2;
		if (rank < best_rank) {
			best = k;
			best_rank = rank;
			memcpy(plid, id, 7);
		}
	}
	return best;
}

struct out {
	char *buf;
	size_t cap, len;
	int overflow;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->overflow)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->overflow = 1;
	else
		o->len += (size_t)n;
}

static int valid_id(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= max && all_chars(s, n, is_id_char);
}

static int params_check(const struct sdp_answer_params *p, char *err, size_t err_len)
{
	size_t u = p->ice_ufrag ? strlen(p->ice_ufrag) : 0, w = p->ice_pwd ? strlen(p->ice_pwd) : 0;
	if (u < 4 || u > 256 || !all_chars(p->ice_ufrag, u, is_ice_char) ||
	    w < 22 || w > 256 || !all_chars(p->ice_pwd, w, is_ice_char)) {
		set_err(err, err_len, "bad local ICE credentials");
		return -EINVAL;
	}
	if (!p->fingerprint || !p->fingerprint[0] ||
	    !all_chars(p->fingerprint, strlen(p->fingerprint), is_fingerprint_char)) {
		set_err(err, err_len, "bad local fingerprint");
		return -EINVAL;
	}
	if (!p->n_candidates || p->n_candidates > SDP_MAX_CANDIDATES || !p->candidates) {
		set_err(err, err_len, "no local candidates");
		return -EINVAL;
	}
	for (unsigned i = 0; i < p->n_candidates; i++)
		if (!valid_id(p->candidates[i].address, 45) || !p->candidates[i].port) {
			set_err(err, err_len, "bad local candidate %u", i);
			return -EINVAL;
		}
	if (p->role == SDP_ROLE_WHEP &&
	    (!valid_id(p->cname, 63) || !valid_id(p->stream_id, 64) ||
	     !valid_id(p->audio_track.track_id, 64) || !valid_id(p->video_track.track_id, 64) ||
	     !p->audio_track.ssrc || !p->video_track.ssrc || p->audio_track.ssrc == p->video_track.ssrc ||
	     p->video_track.rtx_ssrc == p->video_track.ssrc || p->video_track.rtx_ssrc == p->audio_track.ssrc)) {
		set_err(err, err_len, "bad WHEP track parameters");
		return -EINVAL;
	}
	return 0;
}

static int in_bundle(const struct sdp_offer *o, const char *mid)
{
	for (unsigned i = 0; i < o->n_bundle; i++)
		if (!strcmp(o->bundle[i], mid))
			return 1;
	return 0;
}

/* The payload type the served audio and video sections share, -1 when they
 * differ.  RFC 8843 §9.1.1 allows one payload type in two bundled sections
 * only for an identical codec configuration, never Opus and video; and a
 * publisher's packets are routed to the stream's tracks by payload type
 * (relay/webrtc.c), whether or not sdes:mid was offered. */
static int pt_shared(const struct sdp_offer *o, const struct sdp_choice *ch)
{
	int seen[2] = { -1, -1 };

	for (unsigned i = 0; i < o->n_media; i++)
		if (ch[i].accepted)
			seen[ch[i].kind == SDP_KIND_VIDEO] = ch[i].pt;
	return seen[0] >= 0 && seen[0] == seen[1] ? seen[0] : -1;
}

/* Chooses, for each m-section, whether and how it is answered; 0 or -errno. */
/* The offer's rtx payload type for pt (a=rtpmap:<x> rtx/90000 with
 * a=fmtp:<x> apt=<pt>, maybe ;rtx-time=...), the first; false when none. */
static bool rtx_find(const struct sdp_media *m, uint8_t pt, uint8_t *rtx_pt)
{
	char apt[16];

	snprintf(apt, sizeof apt, "apt=%u", pt);
	for (unsigned i = 0; i < m->n_codecs; i++) {
		const struct sdp_codec *c = &m->codecs[i];
		size_t n = strlen(apt);
		if (!strcasecmp(c->name, "rtx") && c->clock == 90000 && !strncmp(c->fmtp, apt, n) &&
		    (!c->fmtp[n] || c->fmtp[n] == ';')) {
			*rtx_pt = c->pt;
			return true;
		}
	}
	return false;
}

static int choose(const struct sdp_offer *o, const struct sdp_answer_params *p,
                  struct sdp_choice *ch, char plid[7], char *err, size_t err_len)
{
	bool have_audio = false, have_video = false;
	unsigned accepted = 0;

	if (o->ice_lite) {
		set_err(err, err_len, "the offerer is ICE-lite; amphi is ICE-lite too and needs a full ICE agent");
		return -EPROTO;
	}
	if (!o->n_bundle) {
		set_err(err, err_len, "offer has no a=group:BUNDLE; amphi carries all media on one transport");
		return -EPROTO;
	}
	for (unsigned i = 0; i < o->n_media; i++) {
		const struct sdp_media *m = &o->media[i];
		bool *have = m->kind == SDP_KIND_AUDIO ? &have_audio : &have_video;
		bool wanted_dir = p->role == SDP_ROLE_WHIP
			? (m->dir == SDP_DIR_SENDONLY || m->dir == SDP_DIR_SENDRECV)
			: (m->dir == SDP_DIR_RECVONLY || m->dir == SDP_DIR_SENDRECV);
		memset(&ch[i], 0, sizeof ch[i]);
		ch[i].kind = m->kind;
		if ((m->kind != SDP_KIND_AUDIO && m->kind != SDP_KIND_VIDEO) || (m->port == 0 && !m->bundle_only) ||
		    strncmp(m->proto, "UDP/TLS/RTP/SAVP", 16) || *have || !wanted_dir ||
		    !m->mid[0] || !in_bundle(o, m->mid))
			continue;
		if (!m->ice_ufrag[0] || !m->ice_pwd[0] || strlen(m->ice_ufrag) < 4 || strlen(m->ice_pwd) < 22) {
			set_err(err, err_len, "m-section %s has no ICE credentials (a=ice-ufrag, a=ice-pwd)", m->mid);
			return -EPROTO;
		}
		if (!m->fingerprint[0]) {
			set_err(err, err_len, "m-section %s has no a=fingerprint", m->mid);
			return -EPROTO;
		}
		if (m->setup == SDP_SETUP_PASSIVE) {
			set_err(err, err_len, "m-section %s offers a=setup:passive; amphi is always the DTLS server", m->mid);
			return -EPROTO;
		}
		if (!m->rtcp_mux) {
			set_err(err, err_len, "m-section %s has no a=rtcp-mux", m->mid);
			return -EPROTO;
		}
		const struct sdp_codec *k;
		if (m->kind == SDP_KIND_AUDIO) {
			/* RFC 7587 writes opus/48000/2; webrtcbin leaves the
			 * channel count out, and means the same codec */
			k = sdp_media_codec(m, "opus", 48000);
			if (!k || (k->channels != 2 && k->channels != 0)) {
				set_err(err, err_len, "no common audio codec: m-section %s does not offer opus/48000/2", m->mid);
				return -ENOTSUP;
			}
		} else if (p->codec == SDP_VIDEO_VP8) {
			if (!(k = sdp_media_codec(m, "VP8", 90000))) {
				set_err(err, err_len, "no common video codec: m-section %s does not offer VP8, this webinar's codec", m->mid);
				return -ENOTSUP;
			}
		} else if (!(k = h264_pick(m, plid))) {
			set_err(err, err_len, "no common video codec: m-section %s does not offer H264 with packetization-mode=1, this webinar's codec", m->mid);
			return -ENOTSUP;
		}
		*have = true;
		accepted++;
		ch[i].accepted = true;
		ch[i].pt = k->pt;
		/* Without sdes:mid (libdatachannel, webrtcbin) the bundle is
		 * demultiplexed by SSRC and payload type (RFC 8843 §9.2): the
		 * answer then carries no MID extension either.  Nor for a mid
		 * longer than the 16 bytes an RFC 8285 one-byte element carries:
		 * that section is told apart the same way. */
		ch[i].mid_ext = strlen(m->mid) <= 16 ? (uint8_t)sdp_media_extmap(m, SDP_EXT_MID) : 0;
		unsigned fb_ok = m->kind == SDP_KIND_VIDEO
			? SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR | SDP_FB_TRANSPORT_CC | SDP_FB_GOOG_REMB
			: SDP_FB_NACK | SDP_FB_TRANSPORT_CC;
		ch[i].fb = k->fb & fb_ok;
		/* feedback that rides on a header extension needs that extension */
		if (ch[i].fb & SDP_FB_TRANSPORT_CC && !(ch[i].twcc_ext = (uint8_t)sdp_media_extmap(m, SDP_EXT_TWCC)))
			ch[i].fb &= ~(unsigned)SDP_FB_TRANSPORT_CC;
		if (ch[i].fb & SDP_FB_GOOG_REMB &&
		    !(ch[i].abs_send_time_ext = (uint8_t)sdp_media_extmap(m, SDP_EXT_ABS_SEND_TIME)))
			ch[i].fb &= ~(unsigned)SDP_FB_GOOG_REMB;
		/* Retransmissions on their own payload type (RFC 4588): a
		 * publisher's are read by the relay; a viewer gets its repairs
		 * so on the RTX SSRC the relay drew for it (without one they
		 * stay on the media SSRC, and rtx is not answered). */
		if (m->kind == SDP_KIND_VIDEO && (ch[i].fb & SDP_FB_NACK) &&
		    (p->role == SDP_ROLE_WHIP || p->video_track.rtx_ssrc))
			ch[i].rtx = rtx_find(m, k->pt, &ch[i].rtx_pt);
	}
	if (p->role == SDP_ROLE_WHIP && pt_shared(o, ch) >= 0) {
		set_err(err, err_len, "payload type %d is offered for both audio and video (RFC 8843 §9.1.1 "
		        "forbids it in one BUNDLE group); amphi tells a publisher's tracks apart by payload type", pt_shared(o, ch));
		return -EPROTO;
	}
	if (!accepted) {
		set_err(err, err_len, p->role == SDP_ROLE_WHIP
		        ? "offer has no bundled audio or video m-section the browser sends (sendonly/sendrecv)"
		        : "offer has no bundled audio or video m-section the browser receives (recvonly/sendrecv)");
		return -EPROTO;
	}
	return 0;
}

static void put_media(struct out *o, const struct sdp_media *m, const struct sdp_choice *c,
                      const struct sdp_answer_params *p, const char *plid)
{
	const struct sdp_codec *k = NULL;
	for (unsigned i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == c->pt)
			k = &m->codecs[i];
	if (c->rtx)
		put(o, "m=%s 9 %s %u %u\r\n", m->kind_name, m->proto, c->pt, c->rtx_pt);
	else
		put(o, "m=%s 9 %s %u\r\n", m->kind_name, m->proto, c->pt);
	put(o, "c=IN IP4 0.0.0.0\r\n");
	if (p->role == SDP_ROLE_WHIP && m->kind == SDP_KIND_VIDEO && p->max_video_bitrate)
		put(o, "b=AS:%u\r\nb=TIAS:%u\r\n", (p->max_video_bitrate + 999) / 1000, p->max_video_bitrate);
	put(o, "a=mid:%s\r\n", m->mid);
	put(o, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", p->ice_ufrag, p->ice_pwd);
	put(o, "a=fingerprint:%s\r\n", p->fingerprint);
	put(o, "a=setup:passive\r\n");
	for (unsigned i = 0; i < p->n_candidates; i++)
		/* RFC 8445 §5.1.2.1: host type preference 126, local preference
		 * by announce order, component 1 */
		put(o, "a=candidate:%u 1 udp %u %s %u typ host\r\n", i + 1,
		    (126u << 24) | ((65535u - i) << 8) | 255u, p->candidates[i].address,
		    p->candidates[i].port);
	put(o, "a=end-of-candidates\r\n");
	if (c->mid_ext)
		put(o, "a=extmap:%u %s\r\n", c->mid_ext, SDP_EXT_MID);
	if (c->abs_send_time_ext)
		put(o, "a=extmap:%u %s\r\n", c->abs_send_time_ext, SDP_EXT_ABS_SEND_TIME);
	if (c->twcc_ext)
		put(o, "a=extmap:%u %s\r\n", c->twcc_ext, SDP_EXT_TWCC);
	put(o, "a=%s\r\n", p->role == SDP_ROLE_WHIP ? "recvonly" : "sendonly");
	put(o, "a=rtcp-mux\r\n");
	if (m->rtcp_rsize)
		put(o, "a=rtcp-rsize\r\n");
	if (k->channels)
		put(o, "a=rtpmap:%u %s/%u/%u\r\n", k->pt, k->name, k->clock, k->channels);
	else
		put(o, "a=rtpmap:%u %s/%u\r\n", k->pt, k->name, k->clock);
	if (c->fb & SDP_FB_GOOG_REMB)
		put(o, "a=rtcp-fb:%u goog-remb\r\n", k->pt);
	if (c->fb & SDP_FB_TRANSPORT_CC)
		put(o, "a=rtcp-fb:%u transport-cc\r\n", k->pt);
	if (c->fb & SDP_FB_CCM_FIR)
		put(o, "a=rtcp-fb:%u ccm fir\r\n", k->pt);
	if (c->fb & SDP_FB_NACK)
		put(o, "a=rtcp-fb:%u nack\r\n", k->pt);
	if (c->fb & SDP_FB_NACK_PLI)
		put(o, "a=rtcp-fb:%u nack pli\r\n", k->pt);
	if (m->kind == SDP_KIND_AUDIO) {
		put(o, "a=fmtp:%u minptime=10;useinbandfec=1\r\n", k->pt);
	} else {
		char h264[80] = "", start[48] = "";
		if (p->codec == SDP_VIDEO_H264)
			snprintf(h264, sizeof h264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=%s",
			         plid);
		/* libwebrtc reads x-google-start-bitrate (kbit/s) from the remote
		 * description's codec: the speaker's estimate starts at the
		 * webinar's cap instead of 300 kbit/s (docs/webrtc.md
		 * "Congestion control"). */
		if (p->role == SDP_ROLE_WHIP && p->max_video_bitrate)
			snprintf(start, sizeof start, "x-google-start-bitrate=%u", p->max_video_bitrate / 1000);
		if (h264[0] || start[0])
			put(o, "a=fmtp:%u %s%s%s\r\n", k->pt, h264, h264[0] && start[0] ? ";" : "", start);
	}
	if (c->rtx)
		put(o, "a=rtpmap:%u rtx/90000\r\na=fmtp:%u apt=%u\r\n", c->rtx_pt, c->rtx_pt, k->pt);
	if (p->role == SDP_ROLE_WHEP) {
		const struct sdp_track *t = m->kind == SDP_KIND_AUDIO ? &p->audio_track : &p->video_track;
		put(o, "a=msid:%s %s\r\n", p->stream_id, t->track_id);
		if (c->rtx)   /* RFC 5576 §4.2: the media SSRC first, its retransmissions second */
			put(o, "a=ssrc-group:FID %" PRIu32 " %" PRIu32 "\r\n", t->ssrc, t->rtx_ssrc);
		put(o, "a=ssrc:%" PRIu32 " cname:%s\r\n", t->ssrc, p->cname);
		put(o, "a=ssrc:%" PRIu32 " msid:%s %s\r\n", t->ssrc, p->stream_id, t->track_id);
		if (c->rtx) {
			put(o, "a=ssrc:%" PRIu32 " cname:%s\r\n", t->rtx_ssrc, p->cname);
			put(o, "a=ssrc:%" PRIu32 " msid:%s %s\r\n", t->rtx_ssrc, p->stream_id, t->track_id);
		}
	}
}

int sdp_answer_build(const struct sdp_offer *offer, const struct sdp_answer_params *p,
                     char *out, size_t cap, struct sdp_choice *choices,
                     char *err, size_t err_len)
{
	struct sdp_choice ch[SDP_MAX_MEDIA];
	char plid[7] = "";
	struct out o = { out, cap, 0, 0 };
	int rc;

	if (!out || !cap) {
		set_err(err, err_len, "no output buffer");
		return -EINVAL;
	}
	out[0] = 0;
	if ((rc = params_check(p, err, err_len)) || (rc = choose(offer, p, ch, plid, err, err_len)))
		return rc;

	put(&o, "v=0\r\no=- %" PRIu64 " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
	    p->session_id & UINT64_C(0x7FFFFFFFFFFFFFFF));
	put(&o, "a=group:BUNDLE");
	for (unsigned i = 0; i < offer->n_media; i++)
		if (ch[i].accepted)
			put(&o, " %s", offer->media[i].mid);
	put(&o, "\r\na=ice-lite\r\n");
	if (p->role == SDP_ROLE_WHEP)
		put(&o, "a=msid-semantic: WMS %s\r\n", p->stream_id);
	for (unsigned i = 0; i < offer->n_media; i++) {
		const struct sdp_media *m = &offer->media[i];
		if (ch[i].accepted) {
			put_media(&o, m, &ch[i], p, plid);
			continue;
		}
		/* RFC 8829 §5.3.1: a rejected m-section keeps its kind, proto
		 * and mid, with port 0. */
		if (m->n_fmt)
			put(&o, "m=%s 0 %s %u\r\n", m->kind_name, m->proto, m->fmt[0]);
		else
			put(&o, "m=%s 0 %s %s\r\n", m->kind_name, m->proto,
			    m->kind == SDP_KIND_APPLICATION ? "webrtc-datachannel" : "0");
		put(&o, "c=IN IP4 0.0.0.0\r\n");
		if (m->mid[0])
			put(&o, "a=mid:%s\r\n", m->mid);
		put(&o, "a=inactive\r\n");
	}
	if (o.overflow) {
		out[0] = 0;
		set_err(err, err_len, "answer does not fit in %zu bytes", cap);
		return -ENOSPC;
	}
	if (choices)
		memcpy(choices, ch, sizeof ch[0] * offer->n_media);
	return (int)o.len;
}

/* --- trickle ICE fragments (RFC 8840) ------------------------------------- */

/* a=candidate value syntax, RFC 8839 §5.1: foundation component transport
 * priority address port "typ" type [extensions]. 0 or -1. */
static int candidate_check(const char *v, const char *end)
{
	const char *w;
	size_t n;
	unsigned long num;

	if (next_word(&v, end, &w, &n) || n > 32 || !all_chars(w, n, is_ice_char))
		return -1;   /* foundation */
	skip_spaces(&v, end);
	if (parse_uint(&v, end, 256, &num) || num == 0 || (v < end && *v != ' '))
		return -1;   /* component id */
	if (next_word(&v, end, &w, &n) || !all_chars(w, n, is_token))
		return -1;   /* transport */
	skip_spaces(&v, end);
	if (parse_uint(&v, end, 0xFFFFFFFFul, &num) || (v < end && *v != ' '))
		return -1;   /* priority */
	if (next_word(&v, end, &w, &n) || n > 255 || !all_chars(w, n, is_id_char))
		return -1;   /* connection address (IP or FQDN / mDNS name) */
	skip_spaces(&v, end);
	if (parse_uint(&v, end, 65535, &num) || (v < end && *v != ' '))
		return -1;   /* port */
	if (next_word(&v, end, &w, &n) || n != 3 || memcmp(w, "typ", 3))
		return -1;
	if (next_word(&v, end, &w, &n) || !all_chars(w, n, is_token))
		return -1;   /* host / srflx / prflx / relay / extensions */
	return 0;
}

int sdp_frag_parse(const char *text, size_t len, struct sdp_frag *f, char *err, size_t err_len)
{
	unsigned line_no = 0;

	memset(f, 0, sizeof *f);
	if (len > SDP_MAX_SIZE) {
		set_err(err, err_len, "fragment larger than %d bytes", SDP_MAX_SIZE);
		return -EBADMSG;
	}
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *next = nl ? nl + 1 : end;
		line_no++;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) {
			p = next;
			continue;
		}
		if (le - p < 2 || p[1] != '=' || !islower((unsigned char)p[0]) ||
		    memchr(p, 0, (size_t)(le - p)) || memchr(p, '\r', (size_t)(le - p)))
			goto bad;
		if (p[0] == 'a') {
			const char *v = p + 2, *colon = memchr(v, ':', (size_t)(le - v));
			size_t nlen = (size_t)((colon ? colon : le) - v);
			const char *val = colon ? colon + 1 : le;
			size_t vn = (size_t)(le - val);
#define IS(s) (nlen == sizeof(s) - 1 && !memcmp(v, s, nlen))
			if (IS("ice-ufrag") || IS("ice-pwd")) {
				char *dst = IS("ice-ufrag") ? f->ice_ufrag : f->ice_pwd;
				if (copy_str(dst, 257, val, vn) || !vn || !all_chars(val, vn, is_ice_char))
					goto bad;
			} else if (IS("mid")) {
				if (!f->mid[0] && (copy_str(f->mid, sizeof f->mid, val, vn) || !vn ||
				                   !all_chars(val, vn, is_token)))
					goto bad;
			} else if (IS("candidate")) {
				if (candidate_check(val, le))
					goto bad;
				f->n_candidates++;
			} else if (IS("end-of-candidates")) {
				f->end_of_candidates = true;
			}
#undef IS
		} else if (p[0] != 'm') {
			goto bad;   /* a fragment holds a= lines and m= lines only */
		}
		p = next;
		continue;
bad:
		set_err(err, err_len, "line %u: malformed %c= line", line_no, p[0]);
		return -EBADMSG;
	}
	return 0;
}

bool sdp_frag_is_restart(const struct sdp_frag *f, const char *remote_ufrag, const char *remote_pwd)
{
	if (!f->ice_ufrag[0] && !f->ice_pwd[0])
		return false;
	return strcmp(f->ice_ufrag, remote_ufrag ? remote_ufrag : "") ||
	       (f->ice_pwd[0] && strcmp(f->ice_pwd, remote_pwd ? remote_pwd : ""));
}

int sdp_frag_answer_build(const struct sdp_answer_params *p, const char *mid,
                          char *out, size_t cap, char *err, size_t err_len)
{
	struct out o = { out, cap, 0, 0 };
	struct sdp_answer_params local = *p;

	/* only the credentials and candidates matter here */
	local.role = SDP_ROLE_WHIP;
	local.fingerprint = local.fingerprint ? local.fingerprint : "sha-256 00";
	if (!out || !cap || !mid || !mid[0] || strlen(mid) > 32 || !all_chars(mid, strlen(mid), is_token)) {
		set_err(err, err_len, "bad mid or output buffer");
		return -EINVAL;
	}
	out[0] = 0;
	int rc = params_check(&local, err, err_len);
	if (rc)
		return rc;
	put(&o, "a=ice-lite\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", p->ice_ufrag, p->ice_pwd);
	put(&o, "a=group:BUNDLE %s\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:%s\r\n", mid, mid);
	for (unsigned i = 0; i < p->n_candidates; i++)
		put(&o, "a=candidate:%u 1 udp %u %s %u typ host\r\n", i + 1,
		    (126u << 24) | ((65535u - i) << 8) | 255u, p->candidates[i].address,
		    p->candidates[i].port);
	put(&o, "a=end-of-candidates\r\n");
	if (o.overflow) {
		out[0] = 0;
		set_err(err, err_len, "fragment does not fit in %zu bytes", cap);
		return -ENOSPC;
	}
	return (int)o.len;
}
