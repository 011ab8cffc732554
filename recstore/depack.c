/* depack: Opus, VP8 and H.264 depacketizers, see depack.h. */
#include "recstore/depack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PARAM_MAX 256   /* an SPS or PPS larger than this is not kept for extradata */

struct dbuf {
	uint8_t *p;
	size_t len, cap;
};

struct rec_depack {
	enum rec_codec codec;
	struct rec_ts_unwrap tsu;
	/* The frame being assembled. */
	struct dbuf cur;
	bool open;          /* cur holds the start of a frame */
	bool broken;        /* cur lost a packet or met a malformed one: drop it */
	bool oversize;      /* cur outgrew REC_FRAME_MAX (already counted) */
	int64_t cur_ts;
	bool cur_key;
	uint64_t cur_arrival;
	bool fu_open;       /* H.264: an FU-A NAL unit is in progress in cur */
	bool need_key;      /* video: drop frames until a keyframe */
	/* Completed frames waiting for rec_depack_pop(): at most two (a frame
	 * closed by a new timestamp, then one closed by the marker). */
	struct dbuf out[2];
	struct rec_frame outf[2];
	unsigned nout, head;
	/* H.264 parameter sets for extradata, first of each seen. */
	uint8_t sps[PARAM_MAX], pps[PARAM_MAX];
	size_t sps_len, pps_len;
	uint8_t params[2 * (PARAM_MAX + 4)];   /* Annex B SPS + PPS, built once */
	size_t params_len;
	unsigned width, height;   /* VP8 keyframe header */
	struct rec_depack_stats st;
};

int rec_codec_parse(const char *name, enum rec_codec *out)
{
	if (!strcasecmp(name, "opus"))
		*out = REC_CODEC_OPUS;
	else if (!strcasecmp(name, "VP8"))
		*out = REC_CODEC_VP8;
	else if (!strcasecmp(name, "VP9"))
		*out = REC_CODEC_VP9;
	else if (!strcasecmp(name, "H264"))
		*out = REC_CODEC_H264;
	else
		return -ENOTSUP;
	return 0;
}

const char *rec_codec_name(enum rec_codec c)
{
	switch (c) {
	case REC_CODEC_OPUS: return "opus";
	case REC_CODEC_VP8: return "vp8";
	case REC_CODEC_VP9: return "vp9";
	case REC_CODEC_H264: return "h264";
	}
	return "unknown";
}

int rec_depack_create(struct rec_depack **out, enum rec_codec codec)
{
	struct rec_depack *d;

	if (codec != REC_CODEC_OPUS && codec != REC_CODEC_VP8 && codec != REC_CODEC_VP9 &&
	    codec != REC_CODEC_H264)
		return -ENOTSUP;
	d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	d->codec = codec;
	d->need_key = codec != REC_CODEC_OPUS;
	*out = d;
	return 0;
}

void rec_depack_destroy(struct rec_depack *d)
{
	if (!d)
		return;
	free(d->cur.p);
	free(d->out[0].p);
	free(d->out[1].p);
	free(d);
}

static bool video(const struct rec_depack *d)
{
	return d->codec != REC_CODEC_OPUS;
}

/* Appends to the frame in progress; a frame outgrowing REC_FRAME_MAX (or
 * memory) is marked broken and counted when it is closed. */
static void append(struct rec_depack *d, const void *p, size_t n)
{
	struct dbuf *b = &d->cur;

	if (d->broken)
		return;
	if (b->len + n > REC_FRAME_MAX) {
		d->broken = d->oversize = true;
		d->st.oversize++;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *q = realloc(b->p, cap);
		if (!q) {
			d->broken = d->oversize = true;
			d->st.oversize++;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void begin(struct rec_depack *d, int64_t ts, uint64_t arrival, bool broken)
{
	d->open = true;
	d->broken = broken;
	d->oversize = false;
	d->cur.len = 0;
	d->cur_ts = ts;
	d->cur_key = !video(d);
	d->cur_arrival = arrival;
	d->fu_open = false;
}

/* Closes the frame in progress: hands it out, or drops and counts it. */
static void finish(struct rec_depack *d)
{
	if (!d->open)
		return;
	d->open = false;
	if (d->broken || d->fu_open || d->cur.len == 0) {
		if (!d->oversize)   /* those were counted when they overflowed */
			d->st.incomplete++;
		if (video(d))
			d->need_key = true;
		return;
	}
	if (d->need_key && !d->cur_key) {
		d->st.before_key++;
		return;
	}
	d->need_key = false;
	/* Swap buffers: the frame moves to the queue without a copy. */
	unsigned slot = (d->head + d->nout) % 2;
	struct dbuf t = d->out[slot];
	d->out[slot] = d->cur;
	d->cur = t;
	d->cur.len = 0;
	d->outf[slot] = (struct rec_frame){
		.data = d->out[slot].p, .len = d->out[slot].len, .ts = d->cur_ts,
		.key = d->cur_key, .arrival_ns = d->cur_arrival,
	};
	d->nout++;
	d->st.frames++;
}

static int malformed(struct rec_depack *d)
{
	d->st.malformed++;
	if (d->open)
		d->broken = true;
	if (video(d))
		d->need_key = true;
	return -EBADMSG;
}

/* RFC 7741 §4.2: length of the VP8 payload descriptor, or 0 if malformed. */
static size_t vp8_descriptor(const uint8_t *p, size_t len)
{
	size_t o = 1;

	if (len < 1)
		return 0;
	if (p[0] & 0x80) {                 /* X: extension byte */
		if (len < 2)
			return 0;
		uint8_t x = p[1];
		o = 2;
		if (x & 0x80) {            /* I: PictureID, 7 or 15 bits (M) */
			if (o >= len)
				return 0;
			o += (p[o] & 0x80) ? 2 : 1;
		}
		if (x & 0x40)              /* L: TL0PICIDX */
			o++;
		if (x & 0x30)              /* T or K: TID/Y/KEYIDX */
			o++;
	}
	return o < len ? o : 0;            /* a payload must follow */
}

static int push_vp8(struct rec_depack *d, const struct rec_rtp *r, int64_t ts, bool lost)
{
	size_t o = vp8_descriptor(r->payload, r->len);

	if (o == 0)
		return malformed(d);
	const uint8_t *p = r->payload + o;
	size_t n = r->len - o;
	bool start = (r->payload[0] & 0x10) && (r->payload[0] & 0x07) == 0;

	if (start) {
		if (d->open) {
			/* No marker on the previous frame: complete if it
			 * had another timestamp, a repeated start if not. */
			if (d->cur_ts == ts)
				d->broken = true;
			finish(d);
		}
		begin(d, ts, r->arrival_ns, false);
		/* RFC 6386 §9.1: frame tag bit 0 is P, 0 = key frame; a
		 * keyframe's tag is followed by the start code 9d 01 2a and
		 * 14-bit width and height. */
		d->cur_key = (p[0] & 1) == 0;
		if (d->cur_key && n >= 10 && p[3] == 0x9d && p[4] == 0x01 && p[5] == 0x2a &&
		    d->width == 0) {
			d->width = (p[6] | p[7] << 8) & 0x3fff;
			d->height = (p[8] | p[9] << 8) & 0x3fff;
		}
	} else if (!d->open || d->cur_ts != ts || lost) {
		/* A continuation whose frame start is gone. */
		if (d->open) {
			d->broken = true;
			finish(d);
		}
		begin(d, ts, r->arrival_ns, true);
	}
	append(d, p, n);
	if (r->marker)
		finish(d);
	return 0;
}

/* Reads k bits MSB first; past the end reads zeros and moves *bit on, so
 * callers compare *bit with the length to know whether they read real data. */
static unsigned vp9_bits(const uint8_t *p, size_t n, size_t *bit, unsigned k)
{
	unsigned v = 0;

	while (k--) {
		size_t b = (*bit)++;
		v = v << 1 | (b / 8 < n ? (p[b / 8] >> (7 - b % 8)) & 1 : 0);
	}
	return v;
}

/* RFC 9628 §4.2: length of the VP9 payload descriptor, or 0 if malformed.
 * *sid: the spatial layer (0 without layer indices). */
static size_t vp9_descriptor(const uint8_t *p, size_t len, unsigned *sid)
{
	uint8_t b = p[0];
	size_t o = 1;

	*sid = 0;
	if (b & 0x80) {                        /* I: picture ID, 7 or 15 bits */
		if (o >= len)
			return 0;
		o += (p[o] & 0x80) ? 2 : 1;
	}
	if (b & 0x20) {                        /* L: layer indices */
		if (o >= len)
			return 0;
		*sid = (p[o] >> 1) & 7;
		o += (b & 0x10) ? 1 : 2;       /* TL0PICIDX in non-flexible mode */
	}
	if ((b & 0x10) && (b & 0x40)) {        /* F and P: up to 3 reference P_DIFFs */
		for (int i = 0;; i++) {
			if (o >= len || i == 3)
				return 0;
			if (!(p[o++] & 1))     /* N: another P_DIFF follows */
				break;
		}
	}
	if (b & 0x02) {                        /* V: scalability structure, §4.2.1 */
		if (o >= len)
			return 0;
		uint8_t ss = p[o++];
		unsigned ns = (ss >> 5) + 1;
		if (ss & 0x10)                 /* Y: a width and height per layer */
			o += 4 * ns;
		if (ss & 0x08) {               /* G: picture group description */
			if (o >= len)
				return 0;
			unsigned ng = p[o++];
			for (unsigned i = 0; i < ng; i++) {
				if (o >= len)
					return 0;
				o += 1 + ((p[o] >> 2) & 3);   /* R reference indices */
			}
		}
	}
	return o < len ? o : 0;                /* a payload must follow */
}

/* VP9 bitstream spec §6.2 uncompressed header: is this frame a keyframe?
 * Reads the size of a keyframe into *w, *h when the header holds it. */
static bool vp9_keyframe(const uint8_t *p, size_t n, unsigned *w, unsigned *h)
{
	size_t bit = 0;
#define VP9_BITS(k) vp9_bits(p, n, &bit, (k))
	if (n < 1 || VP9_BITS(2) != 2)             /* frame_marker */
		return false;
	unsigned profile = VP9_BITS(1);
	profile |= VP9_BITS(1) << 1;
	if (profile == 3)
		VP9_BITS(1);                       /* reserved_zero */
	if (VP9_BITS(1))                           /* show_existing_frame */
		return false;
	if (VP9_BITS(1) != 0)                      /* frame_type: 0 = KEY_FRAME */
		return false;
	VP9_BITS(2);                               /* show_frame, error_resilient_mode */
	if (VP9_BITS(24) != 0x498342)              /* frame_sync_code */
		return bit <= 8 * n;               /* cut short: still a keyframe */
	if (profile >= 2)
		VP9_BITS(1);                       /* ten_or_twelve_bit */
	if (VP9_BITS(3) != 7) {                    /* color_space != CS_RGB */
		VP9_BITS(1);                       /* color_range */
		if (profile == 1 || profile == 3)
			VP9_BITS(3);               /* subsampling_x/y, reserved */
	} else if (profile == 1 || profile == 3) {
		VP9_BITS(1);
	}
	unsigned fw = VP9_BITS(16) + 1, fh = VP9_BITS(16) + 1;
	if (bit <= 8 * n) {
		*w = fw;
		*h = fh;
	}
#undef VP9_BITS
	return true;
}

static int push_vp9(struct rec_depack *d, const struct rec_rtp *r, int64_t ts, bool lost)
{
	unsigned sid;
	size_t o = r->len ? vp9_descriptor(r->payload, r->len, &sid) : 0;

	if (o == 0)
		return malformed(d);
	if (sid != 0)
		return 0;   /* an enhancement layer: not recorded */
	const uint8_t *p = r->payload + o;
	size_t n = r->len - o;
	bool start = r->payload[0] & 0x08, end = r->payload[0] & 0x04;

	if (start) {
		if (d->open) {
			if (d->cur_ts == ts)
				d->broken = true;
			finish(d);
		}
		begin(d, ts, r->arrival_ns, false);
		unsigned w = 0, h = 0;
		d->cur_key = vp9_keyframe(p, n, &w, &h);
		if (d->cur_key && w && d->width == 0) {
			d->width = w;
			d->height = h;
		}
	} else if (!d->open || d->cur_ts != ts || lost) {
		if (d->open) {
			d->broken = true;
			finish(d);
		}
		begin(d, ts, r->arrival_ns, true);
	}
	append(d, p, n);
	if (end || r->marker)
		finish(d);
	return 0;
}

static const uint8_t start_code[4] = { 0, 0, 0, 1 };

static void h264_nal_seen(struct rec_depack *d, const uint8_t *nal, size_t n)
{
	switch (nal[0] & 0x1f) {
	case 5:
		d->cur_key = true;
		break;
	case 7:
		if (d->sps_len == 0 && n <= PARAM_MAX)
			memcpy(d->sps, nal, d->sps_len = n);
		break;
	case 8:
		if (d->pps_len == 0 && n <= PARAM_MAX)
			memcpy(d->pps, nal, d->pps_len = n);
		break;
	default:
		return;
	}
	if (d->sps_len && d->pps_len && d->params_len == 0) {
		memcpy(d->params, start_code, 4);
		memcpy(d->params + 4, d->sps, d->sps_len);
		memcpy(d->params + 4 + d->sps_len, start_code, 4);
		memcpy(d->params + 8 + d->sps_len, d->pps, d->pps_len);
		d->params_len = 8 + d->sps_len + d->pps_len;
	}
}

static int push_h264(struct rec_depack *d, const struct rec_rtp *r, int64_t ts, bool lost)
{
	const uint8_t *p = r->payload;
	size_t n = r->len;

	if (n < 1 || (p[0] & 0x80))           /* forbidden_zero_bit */
		return malformed(d);
	if (!d->open || d->cur_ts != ts) {
		if (d->open)
			finish(d);    /* no marker: complete unless broken */
		/* After a loss, the lost packets may have been this access
		 * unit's first ones. */
		begin(d, ts, r->arrival_ns, lost);
	} else if (lost) {
		d->broken = true;
	}
	unsigned type = p[0] & 0x1f;
	if (type >= 1 && type <= 23) {           /* single NAL unit, §5.6 */
		if (d->fu_open)
			d->broken = true;
		append(d, start_code, 4);
		append(d, p, n);
		h264_nal_seen(d, p, n);
	} else if (type == 24) {                 /* STAP-A, §5.7.1 */
		size_t o = 1;
		if (d->fu_open)
			d->broken = true;
		if (n < 4)
			return malformed(d);
		while (o < n) {
			if (o + 2 > n)
				return malformed(d);
			size_t sz = (size_t)p[o] << 8 | p[o + 1];
			o += 2;
			if (sz == 0 || o + sz > n || (p[o] & 0x80))
				return malformed(d);
			append(d, start_code, 4);
			append(d, p + o, sz);
			h264_nal_seen(d, p + o, sz);
			o += sz;
		}
	} else if (type == 28) {                 /* FU-A, §5.8 */
		if (n < 3)
			return malformed(d);
		uint8_t fu = p[1];
		bool s = fu & 0x80, e = fu & 0x40;
		if ((s && e) || (fu & 0x1f) == 0)
			return malformed(d);
		if (s) {
			uint8_t hdr = (p[0] & 0xe0) | (fu & 0x1f);
			if (d->fu_open)
				d->broken = true;
			append(d, start_code, 4);
			append(d, &hdr, 1);
			append(d, p + 2, n - 2);
			d->fu_open = true;
			if ((fu & 0x1f) == 5)
				d->cur_key = true;
			/* SPS/PPS are never big enough to need fragmenting. */
		} else {
			if (!d->fu_open)
				d->broken = true;
			append(d, p + 2, n - 2);
		}
		if (e)
			d->fu_open = false;
	} else {
		/* STAP-B, MTAP, FU-B belong to the interleaved mode, which
		 * no relay stream negotiates; 0, 30, 31 are undefined. */
		return malformed(d);
	}
	if (r->marker)
		finish(d);
	return 0;
}

int rec_depack_push(struct rec_depack *d, const struct rec_rtp *r, bool lost)
{
	int64_t ts = rec_ts_unwrap(&d->tsu, r->ts);

	if (lost && d->open && d->cur_ts == ts)
		d->broken = true;
	if (lost && video(d))
		d->need_key = true;
	switch (d->codec) {
	case REC_CODEC_OPUS:
		if (d->open)
			finish(d);
		if (r->len == 0)
			return malformed(d);
		begin(d, ts, r->arrival_ns, false);
		append(d, r->payload, r->len);
		finish(d);
		return 0;
	case REC_CODEC_VP8:
		return push_vp8(d, r, ts, lost);
	case REC_CODEC_VP9:
		return push_vp9(d, r, ts, lost);
	case REC_CODEC_H264:
		return push_h264(d, r, ts, lost);
	}
	return -ENOTSUP;
}

void rec_depack_flush(struct rec_depack *d)
{
	finish(d);
}

int rec_depack_pop(struct rec_depack *d, struct rec_frame *f)
{
	if (d->nout == 0)
		return 0;
	*f = d->outf[d->head];
	d->head = (d->head + 1) % 2;
	d->nout--;
	return 1;
}

void rec_depack_stats(const struct rec_depack *d, struct rec_depack_stats *st)
{
	*st = d->st;
}

const uint8_t *rec_depack_h264_params(const struct rec_depack *d, size_t *len)
{
	*len = d->params_len;
	return d->params_len ? d->params : NULL;
}

void rec_depack_video_size(const struct rec_depack *d, unsigned *width, unsigned *height)
{
	*width = d->width;
	*height = d->height;
}
