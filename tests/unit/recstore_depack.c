/* RTP parsing, unwrapping, the reorder buffer and the three depacketizers
 * on hand-built packets whose expected output is known byte for byte. */
#include "tests/harness.h"
#include "recstore/depack.h"
#include "recstore/reorder.h"

#include <errno.h>

static struct rec_rtp rtp(uint16_t seq, uint32_t ts, bool marker, const void *payload, size_t len)
{
	return (struct rec_rtp){ .pt = 96, .marker = marker, .seq = seq, .ts = ts,
	                         .payload = payload, .len = len, .arrival_ns = 1000u * seq };
}

TEST(rtp_parse_header_fields)
{
	/* V=2 P=1 X=1 CC=1, M=1 PT=111, seq 0x1234, ts, ssrc, 1 CSRC,
	 * extension of 1 word, payload "abc", 2 bytes padding. */
	static const uint8_t p[] = {
		0xb1, 0xef, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4,
		9, 9, 9, 9,
		0xbe, 0xde, 0x00, 0x01, 0x10, 0xff, 0, 0,
		'a', 'b', 'c', 0, 2 };
	struct rec_rtp r;

	CHECK_INT(rec_rtp_parse(p, sizeof p, &r), ==, 0);
	CHECK(r.marker);
	CHECK_INT(r.pt, ==, 111);
	CHECK_INT(r.seq, ==, 0x1234);
	CHECK_INT(r.ts, ==, 0xdeadbeefu);
	CHECK_INT(r.ssrc, ==, 0x01020304);
	CHECK_INT(r.len, ==, 3);
	CHECK_MEM(r.payload, "abc", 3);
	CHECK_INT(rec_rtp_parse(p, 11, &r), ==, -EBADMSG);       /* short */
	CHECK_INT(rec_rtp_parse(p, 18, &r), ==, -EBADMSG);       /* extension cut */
	uint8_t q[sizeof p];
	memcpy(q, p, sizeof p);
	q[sizeof q - 1] = 20;                                      /* padding beyond payload */
	CHECK_INT(rec_rtp_parse(q, sizeof q, &r), ==, -EBADMSG);
	q[sizeof q - 1] = 0;                                       /* zero padding count */
	CHECK_INT(rec_rtp_parse(q, sizeof q, &r), ==, -EBADMSG);
	q[0] = 0x40;                                               /* version 1 */
	CHECK_INT(rec_rtp_parse(q, sizeof q, &r), ==, -EBADMSG);
}

TEST(timestamp_unwrap_across_wrap_and_back)
{
	struct rec_ts_unwrap u = { 0 };

	CHECK_INT(rec_ts_unwrap(&u, 0xffffff00u), ==, 0xffffff00LL);
	CHECK_INT(rec_ts_unwrap(&u, 0x00000100u), ==, 0x100000100LL);   /* wrapped forward */
	CHECK_INT(rec_ts_unwrap(&u, 0xfffffff0u), ==, 0xfffffff0LL);    /* reordered back over it */
	CHECK_INT(rec_ts_unwrap(&u, 0x7fffffe0u), ==, 0x17fffffe0LL);   /* a gap just under 2^31 */
	CHECK_INT(rec_ts_unwrap_peek(&u, 0x80000000u), ==, 0x180000000LL);
	CHECK_INT(u.ext, ==, 0x17fffffe0LL);                             /* peek moved nothing */
}

/* Pushes seqs, pops whatever comes out, returns them as a string of
 * "seq" or "!seq" (lost before it). */
static const char *run_reorder(unsigned window, const uint16_t *seqs, unsigned n, int *rcs)
{
	static struct rec_reorder ro;
	static char out[512];
	struct rec_rtp r, o;
	bool lost;
	size_t len = 0;

	rec_reorder_init(&ro, window);
	out[0] = 0;
	for (unsigned i = 0; i <= n; i++) {
		if (i < n) {
			r = rtp(seqs[i], 0, false, "x", 1);
			rcs[i] = rec_reorder_push(&ro, &r);
		}
		while (rec_reorder_pop(&ro, i == n, &o, &lost) == 1)
			len += (size_t)snprintf(out + len, sizeof out - len, "%s%u ", lost ? "!" : "", o.seq);
	}
	return out;
}

TEST(reorder_sorts_within_window_and_declares_loss)
{
	int rcs[16];
	static const uint16_t swapped[] = { 10, 12, 11, 13 };
	CHECK_STR(run_reorder(4, swapped, 4, rcs), "10 11 12 13 ");
	static const uint16_t wrap[] = { 65534, 0, 65535, 1 };
	CHECK_STR(run_reorder(4, wrap, 4, rcs), "65534 65535 0 1 ");
	/* 3 never comes: after 3 newer packets (window 3) it is lost. */
	static const uint16_t gap[] = { 1, 2, 4, 5, 6, 7 };
	CHECK_STR(run_reorder(3, gap, 6, rcs), "1 2 !4 5 6 7 ");
	/* Late (older than popped) and duplicate packets are refused. */
	static const uint16_t dup[] = { 1, 2, 2, 3, 1 };
	CHECK_STR(run_reorder(4, dup, 5, rcs), "1 2 3 ");
	CHECK_INT(rcs[2], ==, -EALREADY);
	CHECK_INT(rcs[4], ==, -EALREADY);
	/* The end of the stream flushes a pending gap. */
	static const uint16_t tail[] = { 1, 3 };
	CHECK_STR(run_reorder(8, tail, 2, rcs), "1 !3 ");
}

TEST(reorder_big_jump_asks_for_flush)
{
	static struct rec_reorder ro;
	struct rec_rtp r, o;
	bool lost;

	rec_reorder_init(&ro, 100);
	r = rtp(1, 0, false, "x", 1);
	CHECK_INT(rec_reorder_push(&ro, &r), ==, 0);
	r = rtp(3, 0, false, "x", 1);
	CHECK_INT(rec_reorder_push(&ro, &r), ==, 0);
	CHECK_INT(rec_reorder_pop(&ro, false, &o, &lost), ==, 1);   /* 1 */
	CHECK_INT(rec_reorder_pop(&ro, false, &o, &lost), ==, 0);   /* waits for 2 */
	r = rtp(3 + 2000, 0, false, "x", 1);
	CHECK_INT(rec_reorder_push(&ro, &r), ==, -ENOBUFS);        /* 3 still held */
	CHECK_INT(rec_reorder_pop(&ro, true, &o, &lost), ==, 1);
	CHECK_INT(o.seq, ==, 3);
	CHECK(lost);
	CHECK_INT(rec_reorder_push(&ro, &r), ==, 0);
	CHECK_INT(rec_reorder_pop(&ro, false, &o, &lost), ==, 1);
	CHECK_INT(o.seq, ==, 2003);
	CHECK(lost);
	CHECK_INT(ro.lost, ==, 1 + 1999);
}

TEST(opus_one_packet_one_frame)
{
	struct rec_depack *d;
	struct rec_frame f;
	struct rec_rtp r;

	CHECK_INT(rec_depack_create(&d, REC_CODEC_OPUS), ==, 0);
	r = rtp(1, 960, true, "\x78\x01\x02", 3);
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	CHECK_INT(rec_depack_pop(d, &f), ==, 1);
	CHECK_INT(f.len, ==, 3);
	CHECK_MEM(f.data, "\x78\x01\x02", 3);
	CHECK_INT(f.ts, ==, 960);
	CHECK(f.key);
	CHECK_INT(rec_depack_pop(d, &f), ==, 0);
	r = rtp(2, 1920, true, "", 0);
	CHECK_INT(rec_depack_push(d, &r, false), ==, -EBADMSG);
	r = rtp(4, 3840, false, "\x78", 1);                      /* after a loss: still fine */
	CHECK_INT(rec_depack_push(d, &r, true), ==, 0);
	CHECK_INT(rec_depack_pop(d, &f), ==, 1);
	CHECK_INT(f.ts, ==, 3840);
	rec_depack_destroy(d);
}

TEST(vp8_frames_keyframes_and_loss)
{
	struct rec_depack *d;
	struct rec_frame f;
	struct rec_rtp r;
	struct rec_depack_stats st;
	unsigned w, h;
	/* Descriptor X=1 S=1 PID=0; I=1 (15-bit picture id), L=1, T=1; then a
	 * keyframe tag (P=0), start code, 640x360. */
	static const uint8_t k1[] = { 0x90, 0xe0, 0x80, 0x01, 0x00, 0x00,
	                              0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01 };
	static const uint8_t k2[] = { 0x80, 0xe0, 0x80, 0x01, 0x00, 0x00, 0xaa, 0xbb };   /* S=0 */
	static const uint8_t i1[] = { 0x10, 0x01, 0x11 };   /* no X, S=1: interframe (P=1) */
	static const uint8_t i2[] = { 0x00, 0x22 };

	CHECK_INT(rec_depack_create(&d, REC_CODEC_VP8), ==, 0);
	/* An interframe before any keyframe is dropped. */
	r = rtp(1, 100, true, i1, sizeof i1);
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	CHECK_INT(rec_depack_pop(d, &f), ==, 0);
	/* A two-packet keyframe. */
	r = rtp(2, 3100, false, k1, sizeof k1);
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	CHECK_INT(rec_depack_pop(d, &f), ==, 0);
	r = rtp(3, 3100, true, k2, sizeof k2);
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	CHECK_INT(rec_depack_pop(d, &f), ==, 1);
	CHECK(f.key);
	CHECK_INT(f.ts, ==, 3100);
	CHECK_INT(f.len, ==, 10 + 2);
	CHECK_MEM(f.data, "\x10\x02\x00\x9d\x01\x2a\x80\x02\x68\x01\xaa\xbb", 12);
	rec_depack_video_size(d, &w, &h);
	CHECK_INT(w, ==, 640);
	CHECK_INT(h, ==, 360);
	/* A two-packet interframe. */
	r = rtp(4, 6100, false, i1, sizeof i1);
	rec_depack_push(d, &r, false);
	r = rtp(5, 6100, true, i2, sizeof i2);
	rec_depack_push(d, &r, false);
	CHECK_INT(rec_depack_pop(d, &f), ==, 1);
	CHECK(!f.key);
	CHECK_MEM(f.data, "\x01\x11\x22", 3);
	/* Its first packet lost: the rest of that frame and the following
	 * interframes are dropped until the next keyframe. */
	r = rtp(7, 9100, true, i2, sizeof i2);
	rec_depack_push(d, &r, true);
	r = rtp(8, 12100, true, i1, sizeof i1);
	rec_depack_push(d, &r, false);
	CHECK_INT(rec_depack_pop(d, &f), ==, 0);
	r = rtp(9, 15100, false, k1, sizeof k1);
	rec_depack_push(d, &r, false);
	r = rtp(10, 15100, true, k2, sizeof k2);
	rec_depack_push(d, &r, false);
	CHECK_INT(rec_depack_pop(d, &f), ==, 1);
	CHECK(f.key);
	/* Malformed: an extension byte promising a picture id that is not there. */
	static const uint8_t bad[] = { 0x90, 0x80 };
	r = rtp(11, 18100, true, bad, sizeof bad);
	CHECK_INT(rec_depack_push(d, &r, false), ==, -EBADMSG);
	rec_depack_stats(d, &st);
	CHECK_INT(st.frames, ==, 3);
	CHECK_INT(st.before_key, ==, 2);   /* the first interframe, and frame 12100 */
	CHECK_INT(st.incomplete, ==, 1);   /* frame 9100 */
	CHECK_INT(st.malformed, ==, 1);
	rec_depack_destroy(d);
}

TEST(vp9_descriptor_layers_and_keyframes)
{
	struct rec_depack *d;
	struct rec_frame f;
	struct rec_rtp r;
	struct rec_depack_stats st;
	unsigned w, h;
	/* I (15-bit picture id), L (layer byte, non-flexible: TL0PICIDX), B, V
	 * with one layer's size (Y); then a keyframe header for 640x360. */
	static const uint8_t k1[] = { 0xaa, 0x80, 0x05, 0x00, 0x07, 0x10, 0x02, 0x80, 0x01, 0x68,
	                              0x82, 0x49, 0x83, 0x42, 0x20, 0x27, 0xf0, 0x16, 0x70 };
	static const uint8_t k2[] = { 0x04, 0xee };                   /* E: end of frame */
	static const uint8_t inter[] = { 0x4c, 0x86, 0x00 };         /* P, B, E; frame_type 1 */
	static const uint8_t layer1[] = { 0x2c, 0x02, 0x07, 0x86 };  /* L with SID 1 */

	CHECK_INT(rec_depack_create(&d, REC_CODEC_VP9), ==, 0);
	r = rtp(1, 100, false, k1, sizeof k1);
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	r = rtp(2, 100, false, k2, sizeof k2);   /* E without the marker */
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	CHECK_INT(rec_depack_pop(d, &f), ==, 1);
	CHECK(f.key);
	CHECK_INT(f.len, ==, 10);
	CHECK_MEM(f.data, "\x82\x49\x83\x42\x20\x27\xf0\x16\x70\xee", 10);
	rec_depack_video_size(d, &w, &h);
	CHECK_INT(w, ==, 640);
	CHECK_INT(h, ==, 360);
	r = rtp(3, 3100, true, inter, sizeof inter);
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	CHECK_INT(rec_depack_pop(d, &f), ==, 1);
	CHECK(!f.key);
	CHECK_INT(f.len, ==, 2);
	/* A spatial enhancement layer is left out, not counted as damage. */
	r = rtp(4, 3100, true, layer1, sizeof layer1);
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	CHECK_INT(rec_depack_pop(d, &f), ==, 0);
	/* A continuation after a loss: dropped until the next keyframe. */
	r = rtp(6, 6100, true, k2, sizeof k2);
	rec_depack_push(d, &r, true);
	r = rtp(7, 9100, true, inter, sizeof inter);
	rec_depack_push(d, &r, false);
	CHECK_INT(rec_depack_pop(d, &f), ==, 0);
	/* Malformed: F and P with three P_DIFFs all saying "more follow". */
	static const uint8_t bad[] = { 0x58, 0x01, 0x01, 0x01, 0x00 };
	r = rtp(8, 12100, true, bad, sizeof bad);
	CHECK_INT(rec_depack_push(d, &r, false), ==, -EBADMSG);
	rec_depack_stats(d, &st);
	CHECK_INT(st.frames, ==, 2);
	CHECK_INT(st.incomplete, ==, 1);
	CHECK_INT(st.before_key, ==, 1);
	CHECK_INT(st.malformed, ==, 1);
	rec_depack_destroy(d);
}

TEST(h264_stap_a_fu_a_and_single_nal)
{
	struct rec_depack *d;
	struct rec_frame f;
	struct rec_rtp r;
	size_t plen;
	/* STAP-A: SPS (3 bytes) + PPS (2 bytes). */
	static const uint8_t stap[] = { 0x18, 0x00, 0x03, 0x67, 0x42, 0xc0, 0x00, 0x02, 0x68, 0xce };
	/* An IDR slice (nal 0x65) in three FU-A fragments. */
	static const uint8_t fu1[] = { 0x7c, 0x85, 0xa1, 0xa2 };
	static const uint8_t fu2[] = { 0x7c, 0x05, 0xa3 };
	static const uint8_t fu3[] = { 0x7c, 0x45, 0xa4 };
	static const uint8_t slice[] = { 0x41, 0x9a, 0x01 };   /* non-IDR, single NAL */

	CHECK_INT(rec_depack_create(&d, REC_CODEC_H264), ==, 0);
	CHECK(rec_depack_h264_params(d, &plen) == NULL);
	r = rtp(1, 9000, false, stap, sizeof stap);
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	r = rtp(2, 9000, false, fu1, sizeof fu1);
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	r = rtp(3, 9000, false, fu2, sizeof fu2);
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	r = rtp(4, 9000, true, fu3, sizeof fu3);
	CHECK_INT(rec_depack_push(d, &r, false), ==, 0);
	CHECK_INT(rec_depack_pop(d, &f), ==, 1);
	CHECK(f.key);
	static const uint8_t want[] = { 0, 0, 0, 1, 0x67, 0x42, 0xc0, 0, 0, 0, 1, 0x68, 0xce,
	                                0, 0, 0, 1, 0x65, 0xa1, 0xa2, 0xa3, 0xa4 };
	CHECK_INT(f.len, ==, sizeof want);
	CHECK_MEM(f.data, want, sizeof want);
	const uint8_t *p = rec_depack_h264_params(d, &plen);
	CHECK_INT(plen, ==, 13);
	CHECK(p && memcmp(p, want, 13) == 0);

	/* A single NAL frame whose marker bit is missing ends at the next
	 * timestamp. */
	r = rtp(5, 12000, false, slice, sizeof slice);
	rec_depack_push(d, &r, false);
	CHECK_INT(rec_depack_pop(d, &f), ==, 0);
	r = rtp(6, 15000, true, slice, sizeof slice);
	rec_depack_push(d, &r, false);
	CHECK_INT(rec_depack_pop(d, &f), ==, 1);
	CHECK_INT(f.ts, ==, 12000);
	CHECK(!f.key);
	CHECK_MEM(f.data, "\x00\x00\x00\x01\x41\x9a\x01", 7);
	CHECK_INT(rec_depack_pop(d, &f), ==, 1);
	CHECK_INT(f.ts, ==, 15000);

	/* The middle FU-A fragment lost: the IDR is dropped, and so is the
	 * next slice, which needs it. */
	r = rtp(7, 18000, false, fu1, sizeof fu1);
	rec_depack_push(d, &r, false);
	r = rtp(9, 18000, true, fu3, sizeof fu3);
	rec_depack_push(d, &r, true);
	r = rtp(10, 21000, true, slice, sizeof slice);
	rec_depack_push(d, &r, false);
	CHECK_INT(rec_depack_pop(d, &f), ==, 0);

	/* Malformed: STAP-A size past the end; FU-A with S and E; FU-B. */
	static const uint8_t bad1[] = { 0x18, 0x00, 0x09, 0x67 };
	static const uint8_t bad2[] = { 0x7c, 0xc5, 0x00 };
	static const uint8_t bad3[] = { 0x1d, 0x85, 0x00 };
	r = rtp(11, 24000, true, bad1, sizeof bad1);
	CHECK_INT(rec_depack_push(d, &r, false), ==, -EBADMSG);
	r = rtp(12, 27000, true, bad2, sizeof bad2);
	CHECK_INT(rec_depack_push(d, &r, false), ==, -EBADMSG);
	r = rtp(13, 30000, true, bad3, sizeof bad3);
	CHECK_INT(rec_depack_push(d, &r, false), ==, -EBADMSG);

	struct rec_depack_stats st;
	rec_depack_stats(d, &st);
	CHECK_INT(st.frames, ==, 3);
	CHECK_INT(st.malformed, ==, 3);
	CHECK_INT(st.incomplete, >=, 1);
	CHECK_INT(st.before_key, ==, 1);
	rec_depack_destroy(d);
}

TEST(codec_names)
{
	enum rec_codec c;
	CHECK_INT(rec_codec_parse("OPUS", &c), ==, 0);
	CHECK_INT(c, ==, REC_CODEC_OPUS);
	CHECK_INT(rec_codec_parse("vp8", &c), ==, 0);
	CHECK_INT(c, ==, REC_CODEC_VP8);
	CHECK_INT(rec_codec_parse("H264", &c), ==, 0);
	CHECK_STR(rec_codec_name(c), "h264");
	CHECK_INT(rec_codec_parse("vp9", &c), ==, 0);
	CHECK_STR(rec_codec_name(c), "vp9");
	CHECK_INT(rec_codec_parse("AV1", &c), ==, -ENOTSUP);
}

int main(void)
{
	RUN(rtp_parse_header_fields);
	RUN(timestamp_unwrap_across_wrap_and_back);
	RUN(reorder_sorts_within_window_and_declares_loss);
	RUN(reorder_big_jump_asks_for_flush);
	RUN(opus_one_packet_one_frame);
	RUN(vp8_frames_keyframes_and_loss);
	RUN(vp9_descriptor_layers_and_keyframes);
	RUN(h264_stap_a_fu_a_and_single_nal);
	RUN(codec_names);
	return harness_done();
}
