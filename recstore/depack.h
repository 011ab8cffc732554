/* depack: RTP payloads -> media frames, one depacketizer per journal track.
 *
 *   Opus  RFC 7587: one packet is one Opus packet.
 *   VP8   RFC 7741: payload descriptor stripped, partitions concatenated;
 *         a frame starts at S=1 PID=0 and ends at the marker bit; keyframe
 *         when the VP8 frame tag's P bit is 0 (RFC 6386 §9.1).
 *   VP9   RFC 9628: payload descriptor stripped; a frame runs from B=1 to
 *         E=1 (or the marker bit); keyframe from the uncompressed header's
 *         frame_type (VP9 bitstream spec §6.2); spatial layers above the
 *         base (SID > 0) are left out, so the recording is the base layer.
 *   H.264 RFC 6184 non-interleaved mode: single NAL units, STAP-A, FU-A;
 *         an access unit ends at the marker bit (or a new timestamp); output
 *         in Annex B (start codes); keyframe = the access unit has an IDR.
 *
 * Packets go in in sequence order (recstore/reorder.h).  A frame that lost a
 * packet is dropped; video after a loss and before the first keyframe is
 * dropped until the next keyframe, so every frame that comes out decodes.
 * The depacketizer owns its frame buffers: a popped frame's data stays valid
 * until the next rec_depack_push(). */
#ifndef AMPHI_REC_DEPACK_H
#define AMPHI_REC_DEPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recstore/reorder.h"

enum rec_codec { REC_CODEC_OPUS = 1, REC_CODEC_VP8, REC_CODEC_H264, REC_CODEC_VP9 };

/* "opus", "VP8", "VP9", "H264" (any case) -> codec; 0 or -ENOTSUP. */
int rec_codec_parse(const char *name, enum rec_codec *out);
const char *rec_codec_name(enum rec_codec c);   /* "opus", "vp8", "vp9", "h264" */

struct rec_frame {
	const uint8_t *data;   /* owned by the depacketizer, see above */
	size_t len;
	int64_t ts;            /* extended RTP timestamp (rec_ts_unwrap) */
	bool key;              /* video keyframe (always true for audio) */
	uint64_t arrival_ns;   /* arrival of the frame's first packet */
};

struct rec_depack_stats {
	uint64_t frames;        /* frames handed out */
	uint64_t malformed;     /* packets whose payload broke the RFC's rules */
	uint64_t incomplete;    /* frames dropped because a packet was missing */
	uint64_t before_key;    /* video frames dropped while waiting for a keyframe */
	uint64_t oversize;      /* frames dropped for exceeding REC_FRAME_MAX */
};

#define REC_FRAME_MAX (8u << 20)   /* larger than any sane 4K keyframe */

struct rec_depack;

int rec_depack_create(struct rec_depack **out, enum rec_codec codec);
void rec_depack_destroy(struct rec_depack *d);

/* One packet, in sequence order; lost: packets are missing just before it.
 * Returns 0, or -EBADMSG when its payload is malformed (dropped, counted;
 * the frame it belonged to is dropped too).  Completed frames wait in the
 * depacketizer for rec_depack_pop(). */
int rec_depack_push(struct rec_depack *d, const struct rec_rtp *rtp, bool lost);
/* End of stream: a last frame without its marker bit is complete when no
 * packet was lost (some senders never set the marker). */
void rec_depack_flush(struct rec_depack *d);
/* 1 and the oldest completed frame, or 0. */
int rec_depack_pop(struct rec_depack *d, struct rec_frame *f);

void rec_depack_stats(const struct rec_depack *d, struct rec_depack_stats *st);

/* H.264: the first SPS and PPS seen, as Annex B (start code before each),
 * for the muxer's extradata; NULL/0 until both were seen. */
const uint8_t *rec_depack_h264_params(const struct rec_depack *d, size_t *len);
/* Video size from the first keyframe (VP8 or VP9 frame header); 0 when
 * unknown or for H.264 (take it from the SPS, e.g. with libavcodec's parser). */
void rec_depack_video_size(const struct rec_depack *d, unsigned *width, unsigned *height);

#endif
