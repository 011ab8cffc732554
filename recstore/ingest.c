/* ingest: journal -> blob, see ingest.h.
 *
 * Two passes over the mapped journal, so memory stays bounded whatever the
 * recording's length: the first runs every track through its reorder buffer
 * and depacketizer to learn what the container header needs (H.264 parameter
 * sets, frame sizes) and how to place the tracks on one timeline (RTCP sender
 * reports, arrival times); the second does the same work again and hands the
 * frames to the muxer.  Both passes see the same bytes and are deterministic,
 * so they produce the same frames. */
#include "recstore/ingest.h"
#include "common/err.h"
#include "common/fsync.h"
#include "common/rtcp.h"
#include "recstore/depack.h"
#include "recstore/mux.h"
#include "recstore/reorder.h"
#include "recstore/sha256.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/mathematics.h>

#define REORDER_WINDOW 256          /* packets held back for a missing one */

struct trk {
	unsigned jidx;               /* journal track index */
	enum rec_codec codec;
	unsigned clock;              /* RTP clock rate */
	uint8_t pt;                  /* payload type expected in its packets */
	unsigned channels;
	struct rec_reorder *ro;
	struct rec_depack *dp;
	/* pass 1 */
	uint64_t frames;
	int64_t first_ts, last_ts;   /* extended RTP timestamps of first and last frame */
	bool have_arr;
	int64_t arr_off;             /* min over frames of arrival - media time, ns */
	bool sr_pending, have_sr;
	uint32_t sr_rtp;             /* first sender report: RTP timestamp ... */
	int64_t sr_ntp_ns;           /* ... and its NTP time in unix ns */
	int64_t sr_off;              /* NTP - media time, ns */
	unsigned width, height;
	/* Video frame intervals in RTP ticks and how often each occurred:
	 * the most frequent one is the nominal frame rate. */
	struct { uint32_t delta; uint32_t count; } gaps[8];
	uint8_t *params;             /* H.264 extradata, copied at the end of pass 1 */
	size_t params_len;
	/* pass 2 */
	int64_t off;                 /* wall ns = off + media time */
	int stream;                  /* mux stream index, -1 when not muxed */
	int64_t end_ns;              /* end of the last frame written, timeline ns */
	int64_t prev_pts;            /* video: the previous frame's pts, -1 before the first */
	int64_t vdur;                /* video: the last frame interval, ns */
	uint64_t dropped;            /* packets not usable: wrong pt, bad RTP, late, duplicate */
};

struct ingest {
	const char *journal;
	struct journal_header hdr;
	struct trk trk[2];
	unsigned ntrk;
	int pass;
	int64_t t0;                  /* wall ns of the timeline's zero */
	struct rec_mux *mux;
	int werr;                    /* first mux write error */
	struct journal_stats jst;
};

static int64_t media_ns(const struct trk *t, int64_t ts)
{
	return av_rescale(ts, 1000000000, t->clock);
}

/* RFC 6716 §3.1: the packet's duration from its TOC byte, ns (0 if unknown). */
static int64_t opus_duration_ns(const uint8_t *p, size_t len)
{
	static const int64_t silk[4] = { 10000000, 20000000, 40000000, 60000000 };
	static const int64_t celt[4] = { 2500000, 5000000, 10000000, 20000000 };
	unsigned config = p[0] >> 3, frames;
	int64_t frame;

	if (config < 12)
		frame = silk[config & 3];
	else if (config < 16)
		frame = (config & 1) ? 20000000 : 10000000;
	else
		frame = celt[config & 3];
	switch (p[0] & 3) {
	case 0: frames = 1; break;
	case 1: case 2: frames = 2; break;
	default:
		if (len < 2)
			return 0;
		frames = p[1] & 0x3f;
	}
	return frame * frames;
}

/* H.264 frame size from the SPS, through libavcodec's parser (it needs a
 * slice after the parameter sets to fill width and height). */
static void h264_size(struct trk *t, const struct rec_frame *f)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecParserContext *pc = av_parser_init(AV_CODEC_ID_H264);
	AVCodecContext *cc = codec ? avcodec_alloc_context3(codec) : NULL;
	size_t plen;
	const uint8_t *params = rec_depack_h264_params(t->dp, &plen);
	uint8_t *buf = malloc(plen + f->len + AV_INPUT_BUFFER_PADDING_SIZE);

	if (pc && cc && buf) {
		uint8_t *out;
		int outlen;
		if (plen)
			memcpy(buf, params, plen);
		memcpy(buf + plen, f->data, f->len);
		memset(buf + plen + f->len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
		pc->flags |= PARSER_FLAG_COMPLETE_FRAMES;
		av_parser_parse2(pc, cc, &out, &outlen, buf, (int)(plen + f->len),
		                 AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
		if (pc->width > 0 && pc->height > 0) {
			t->width = (unsigned)pc->width;
			t->height = (unsigned)pc->height;
		}
	}
	free(buf);
	avcodec_free_context(&cc);
	if (pc)
		av_parser_close(pc);
}

/* RFC 3550 §6.4.1: the first sender report of a compound RTCP packet. */
static void rtcp_sr(struct trk *t, const uint8_t *p, size_t len)
{
	struct rtcp_iter it;
	struct rtcp_pkt pk;
	struct rtcp_sr sr;

	rtcp_iter_init(&it, p, len);
	while (rtcp_next(&it, &pk) == 1) {
		if (pk.type != RTCP_SR || rtcp_sr_read(&pk, &sr) < 0)
			continue;
		if (rtcp_ntp_to_unix_ns(sr.ntp_sec, sr.ntp_frac, &t->sr_ntp_ns) < 0)
			return;   /* not a real wall clock: unusable for sync */
		t->sr_rtp = sr.rtp_ts;
		t->sr_pending = true;
		return;
	}
}

static void gap_count(struct trk *t, uint32_t delta)
{
	unsigned i, least = 0;

	for (i = 0; i < 8; i++) {
		if (t->gaps[i].delta == delta || t->gaps[i].count == 0) {
			t->gaps[i].delta = delta;
			t->gaps[i].count++;
			return;
		}
		if (t->gaps[i].count < t->gaps[least].count)
			least = i;
	}
	/* Table full (a jittery capture clock): replace the rarest. */
	t->gaps[least].delta = delta;
	t->gaps[least].count = 1;
}

static uint32_t gap_mode(const struct trk *t)
{
	unsigned best = 0;

	for (unsigned i = 1; i < 8; i++)
		if (t->gaps[i].count > t->gaps[best].count)
			best = i;
	return t->gaps[best].count ? t->gaps[best].delta : 0;
}

static void frame_pass1(struct trk *t, const struct rec_frame *f)
{
	if (t->frames == 0) {
		t->first_ts = f->ts;
		if (t->codec == REC_CODEC_H264)
			h264_size(t, f);
	}
	if (t->frames && t->codec != REC_CODEC_OPUS && f->ts > t->last_ts &&
	    f->ts - t->last_ts < (int64_t)t->clock)
		gap_count(t, (uint32_t)(f->ts - t->last_ts));
	t->frames++;
	t->last_ts = f->ts;
	int64_t off = (int64_t)f->arrival_ns - media_ns(t, f->ts);
	if (!t->have_arr || off < t->arr_off)
		t->arr_off = off;
	t->have_arr = true;
	if (t->sr_pending && !t->have_sr) {
		/* The report's timestamp lies near the frames around it. */
		int64_t ext = f->ts + (int32_t)(t->sr_rtp - (uint32_t)f->ts);
		t->sr_off = t->sr_ntp_ns - media_ns(t, ext);
		t->have_sr = true;
	}
	t->sr_pending = false;
}

static void frame_pass2(struct ingest *in, struct trk *t, const struct rec_frame *f)
{
	int64_t pts = t->off + media_ns(t, f->ts) - in->t0;
	int64_t dur = 0;
	int rc;

	if (t->stream < 0 || in->werr)
		return;
	if (pts < 0) {   /* a timestamp jump backwards past the start */
		t->dropped++;
		return;
	}
	if (t->codec == REC_CODEC_OPUS) {
		dur = opus_duration_ns(f->data, f->len);
	} else {
		/* RTP does not say how long a video frame shows: assume
		 * the last interval (up to 1 s), so the file's duration
		 * counts the last frame too. */
		if (t->prev_pts >= 0 && pts > t->prev_pts && pts - t->prev_pts <= 1000000000)
			t->vdur = pts - t->prev_pts;
		t->prev_pts = pts;
		dur = t->vdur;
	}
	rc = rec_mux_write(in->mux, (unsigned)t->stream, pts, dur, f->key, f->data, f->len);
	if (rc < 0) {
		in->werr = rc;
		return;
	}
	if (pts + dur > t->end_ns)
		t->end_ns = pts + dur;
}

static void drain(struct ingest *in, struct trk *t, bool flush)
{
	struct rec_rtp r;
	struct rec_frame f;
	bool lost;

	while (rec_reorder_pop(t->ro, flush, &r, &lost) == 1) {
		rec_depack_push(t->dp, &r, lost);
		while (rec_depack_pop(t->dp, &f) == 1) {
			if (in->pass == 1)
				frame_pass1(t, &f);
			else
				frame_pass2(in, t, &f);
		}
	}
	if (flush) {
		rec_depack_flush(t->dp);
		while (rec_depack_pop(t->dp, &f) == 1) {
			if (in->pass == 1)
				frame_pass1(t, &f);
			else
				frame_pass2(in, t, &f);
		}
	}
}

static struct trk *trk_of(struct ingest *in, unsigned jidx)
{
	for (unsigned i = 0; i < in->ntrk; i++)
		if (in->trk[i].jidx == jidx)
			return &in->trk[i];
	return NULL;
}

static int run_pass(struct ingest *in, int pass, char *err, size_t errlen)
{
	struct journal_reader *rd;
	struct journal_header h;
	struct journal_record rec;
	int rc;

	in->pass = pass;
	rc = journal_open(in->journal, &h, &rd, err, errlen);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < in->ntrk; i++) {
		struct trk *t = &in->trk[i];
		rec_depack_destroy(t->dp);
		t->dp = NULL;
		rc = rec_depack_create(&t->dp, t->codec);
		if (rc < 0) {
			journal_close(rd);
			return err_set(err, errlen, rc, "out of memory");
		}
		rec_reorder_init(t->ro, REORDER_WINDOW);
		t->dropped = 0;
		t->prev_pts = -1;
		t->vdur = 0;
	}
	while (journal_next(rd, &rec) == 1 && !in->werr) {
		struct trk *t = trk_of(in, rec.track);
		struct rec_rtp r;
		if (!t)
			continue;
		if (rec.rtcp) {
			if (pass == 1 && !t->have_sr)
				rtcp_sr(t, rec.data, rec.len);
			continue;
		}
		if (rec_rtp_parse(rec.data, rec.len, &r) < 0 || r.pt != t->pt) {
			t->dropped++;
			continue;
		}
		r.arrival_ns = rec.arrival_ns;
		rc = rec_reorder_push(t->ro, &r);
		if (rc == -ENOBUFS) {
			drain(in, t, true);
			rc = rec_reorder_push(t->ro, &r);
		}
		if (rc < 0)
			t->dropped++;
		drain(in, t, false);
	}
	for (unsigned i = 0; i < in->ntrk; i++)
		drain(in, &in->trk[i], true);
	uint64_t size1 = in->jst.file_size;
	journal_reader_stats(rd, &in->jst);
	journal_close(rd);
	/* Both passes must see the same bytes: a journal still being written
	 * (a relay's writes landing after its crash) is not ready yet. */
	if (pass == 2 && in->jst.file_size != size1)
		return err_set(err, errlen, -EAGAIN, "%s changed during ingest (%" PRIu64 " then %" PRIu64
		            " bytes): still being written", in->journal, size1, in->jst.file_size);
	return 0;
}

/* Picks one audio and one video track the muxer can take. */
static int pick_tracks(struct ingest *in, char *err, size_t errlen)
{
	bool audio = false, video = false;

	for (unsigned i = 0; i < in->hdr.ntracks; i++) {
		const struct journal_track *jt = &in->hdr.tracks[i];
		struct trk *t = &in->trk[in->ntrk];
		enum rec_codec c;
		if (rec_codec_parse(jt->codec, &c) < 0)
			return err_set(err, errlen, -ENOTSUP, "track %u: codec %s cannot be recorded", i, jt->codec);
		bool is_video = c != REC_CODEC_OPUS;
		if ((is_video && jt->kind != JOURNAL_VIDEO) || (!is_video && jt->kind != JOURNAL_AUDIO))
			return err_set(err, errlen, -EBADMSG, "track %u: codec %s on a track of the wrong kind",
			            i, jt->codec);
		if ((is_video && video) || (!is_video && audio))
			return err_set(err, errlen, -ENOTSUP, "track %u: a second %s track cannot be recorded",
			            i, is_video ? "video" : "audio");
		video |= is_video;
		audio |= !is_video;
		memset(t, 0, sizeof *t);
		t->jidx = i;
		t->codec = c;
		t->clock = jt->clock_rate;
		t->pt = jt->payload_type;
		t->channels = jt->channels ? jt->channels : 2;
		t->stream = -1;
		t->ro = malloc(sizeof *t->ro);
		if (!t->ro)
			return err_set(err, errlen, -ENOMEM, "out of memory");
		in->ntrk++;
	}
	return 0;
}

/* Places the tracks on one timeline: sender reports give the relative
 * offsets when every muxed track has one (the publisher's own clock), the
 * least-delayed arrival anchors them to the relay's wall clock. */
static void align(struct ingest *in)
{
	bool all_sr = true;
	int64_t delta = INT64_MAX;

	for (unsigned i = 0; i < in->ntrk; i++) {
		struct trk *t = &in->trk[i];
		if (t->frames && !t->have_sr)
			all_sr = false;
	}
	for (unsigned i = 0; i < in->ntrk; i++) {
		struct trk *t = &in->trk[i];
		t->off = t->arr_off;
		if (all_sr && t->frames && t->arr_off - t->sr_off < delta)
			delta = t->arr_off - t->sr_off;
	}
	if (all_sr && delta != INT64_MAX)
		for (unsigned i = 0; i < in->ntrk; i++)
			in->trk[i].off = in->trk[i].sr_off + delta;
	in->t0 = INT64_MAX;
	for (unsigned i = 0; i < in->ntrk; i++) {
		struct trk *t = &in->trk[i];
		if (t->frames && t->off + media_ns(t, t->first_ts) < in->t0)
			in->t0 = t->off + media_ns(t, t->first_ts);
	}
}

int rec_ingest_journal(const char *journal, const char *blob_dir, struct rec_media *out,
                       char *err, size_t errlen)
{
	struct ingest in = { .journal = journal };
	struct journal_reader *rd;
	struct rec_mux_stream ms[2];
	unsigned nms = 0;
	const char *format, *ext;
	char tmp[PATH_MAX], vcodec[8] = "", acodec[8] = "";
	int rc;

	memset(out, 0, sizeof *out);
	rc = journal_open(journal, &in.hdr, &rd, err, errlen);
	if (rc < 0)
		return rc;
	journal_close(rd);
	rc = pick_tracks(&in, err, errlen);
	if (rc < 0)
		goto out;
	rc = run_pass(&in, 1, err, errlen);
	if (rc < 0)
		goto out;

	/* Streams: video first, then audio; a track without frames is left out. */
	bool h264 = false;
	for (int want_video = 1; want_video >= 0; want_video--)
		for (unsigned i = 0; i < in.ntrk; i++) {
			struct trk *t = &in.trk[i];
			if ((t->codec != REC_CODEC_OPUS) != want_video || t->frames == 0)
				continue;
			struct rec_mux_stream *s = &ms[nms];
			memset(s, 0, sizeof *s);
			s->codec = t->codec;
			s->channels = t->channels;
			if (t->codec == REC_CODEC_VP8 || t->codec == REC_CODEC_VP9)
				rec_depack_video_size(t->dp, &t->width, &t->height);
			s->width = t->width;
			s->height = t->height;
			if (t->codec != REC_CODEC_OPUS && gap_mode(t)) {
				s->rate_num = t->clock;
				s->rate_den = gap_mode(t);
			}
			if (t->codec == REC_CODEC_H264) {
				size_t plen;
				const uint8_t *p = rec_depack_h264_params(t->dp, &plen);
				if (plen && (t->params = malloc(plen)))
					memcpy(t->params, p, t->params_len = plen);
				s->extradata = t->params;
				s->extradata_len = t->params_len;
				h264 = true;
			}
			snprintf(want_video ? vcodec : acodec, sizeof vcodec, "%s", rec_codec_name(t->codec));
			t->stream = (int)nms++;
		}
	if (nms == 0) {
		rc = err_set(err, errlen, -EBADMSG, "no decodable media in %s (%" PRIu64 " records, %" PRIu64
		          " damaged regions%s)", journal, in.jst.records, in.jst.crc_errors,
		          in.jst.torn ? ", torn tail" : "");
		goto out;
	}
	align(&in);
	format = h264 ? "matroska" : "webm";
	ext = h264 ? "mkv" : "webm";
	snprintf(out->path, sizeof out->path, "%s/%s.%s", blob_dir, in.hdr.recording, ext);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%s.%s.tmp", blob_dir, in.hdr.recording, ext) >= sizeof tmp) {
		rc = err_set(err, errlen, -ENAMETOOLONG, "blob path too long");
		goto out;
	}
	rc = rec_mux_open(&in.mux, tmp, format, ms, nms, err, errlen);
	if (rc < 0)
		goto out;
	rc = run_pass(&in, 2, err, errlen);
	if (rc == 0 && in.werr) {
		rc = in.werr;
		err_set(err, errlen, rc, "writing %s: %s", tmp, strerror(-rc));
	}
	if (rc < 0) {
		rec_mux_abort(in.mux);
		goto out;
	}
	rc = rec_mux_finish(in.mux, err, errlen);
	if (rc < 0)
		goto out;
	rc = rec_sha256_file(tmp, out->sha256, &out->size);
	if (rc < 0) {
		err_set(err, errlen, rc, "reading back %s: %s", tmp, strerror(-rc));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, out->path) < 0) {
		rc = -errno;
		err_set(err, errlen, rc, "rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = fsync_dir(blob_dir);
	if (rc < 0) {
		/* The rename may not be durable: undo it so the caller retries. */
		err_set(err, errlen, rc, "fsync %s: %s", blob_dir, strerror(-rc));
		unlink(out->path);
		goto out;
	}

	int64_t dur = 0;
	uint64_t dropped = 0;
	for (unsigned i = 0; i < in.ntrk; i++) {
		struct trk *t = &in.trk[i];
		struct rec_depack_stats ds;
		rec_depack_stats(t->dp, &ds);
		if (t->end_ns > dur)
			dur = t->end_ns;
		dropped += t->dropped + t->ro->lost + ds.malformed + ds.incomplete + ds.before_key +
		           ds.oversize;
	}
	snprintf(out->id, sizeof out->id, "%s", in.hdr.recording);
	snprintf(out->webinar, sizeof out->webinar, "%s", in.hdr.webinar);
	snprintf(out->org, sizeof out->org, "%s", in.hdr.org);
	out->webinar_date = in.hdr.webinar_date;
	out->start = in.t0 / 1000000000;
	out->end = (in.t0 + dur) / 1000000000;
	out->duration_ms = dur / 1000000;
	snprintf(out->codecs, sizeof out->codecs, "%s%s%s", vcodec, *vcodec && *acodec ? "+" : "", acodec);
	snprintf(out->ext, sizeof out->ext, "%s", ext);
	out->records = in.jst.records;
	out->crc_errors = in.jst.crc_errors;
	out->torn = in.jst.torn;
	out->packets_dropped = dropped;
	rc = 0;
out:
	for (unsigned i = 0; i < in.ntrk; i++) {
		rec_depack_destroy(in.trk[i].dp);
		free(in.trk[i].ro);
		free(in.trk[i].params);
	}
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}
