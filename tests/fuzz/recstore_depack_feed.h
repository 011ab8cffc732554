/* Shared body of the depacketizer fuzz targets (recstore_depack_*.c): the
 * input is a sequence of packets, each [u8 flags][u8 ts step][u16 BE len]
 * [len bytes payload]; flags bit 0 = marker, bit 1 = a loss before it, bit 2
 * = the sequence goes backwards (exercises the reorder buffer).  Every packet
 * goes through the reorder buffer and the depacketizer; every frame that
 * comes out must respect the module's promises. */
#ifndef AMPHI_FUZZ_DEPACK_FEED_H
#define AMPHI_FUZZ_DEPACK_FEED_H

#include "recstore/depack.h"
#include "recstore/reorder.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_check_frames(struct rec_depack *d, enum rec_codec codec)
{
	struct rec_frame f;

	while (rec_depack_pop(d, &f) == 1) {
		if (f.len == 0 || f.len > REC_FRAME_MAX || !f.data)
			abort();
		if (codec == REC_CODEC_H264 && (f.len < 5 || memcmp(f.data, "\0\0\0\1", 4) != 0))
			abort();
		volatile uint8_t sink = f.data[f.len - 1];   /* the whole frame is readable */
		(void)sink;
	}
}

static int fuzz_depack(enum rec_codec codec, const uint8_t *data, size_t size)
{
	static struct rec_reorder ro;
	struct rec_depack *d;
	struct rec_rtp r, o;
	uint16_t seq = 1000;
	uint32_t ts = 0xfffff000u;   /* wraps early */
	bool lost;

	if (rec_depack_create(&d, codec) != 0)
		return 0;
	rec_reorder_init(&ro, 8);
	while (size >= 4) {
		uint8_t flags = data[0];
		size_t len = (size_t)data[2] << 8 | data[3];
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		seq = (flags & 4) ? (uint16_t)(seq - 3) : (uint16_t)(seq + 1 + ((flags >> 1) & 1));
		ts += data[-3] * 90u;
		r = (struct rec_rtp){ .pt = 96, .marker = flags & 1, .seq = seq, .ts = ts,
		                      .payload = data, .len = len };
		if (rec_reorder_push(&ro, &r) == -ENOBUFS) {
			while (rec_reorder_pop(&ro, true, &o, &lost) == 1) {
				rec_depack_push(d, &o, lost);
				fuzz_check_frames(d, codec);
			}
			rec_reorder_push(&ro, &r);
		}
		while (rec_reorder_pop(&ro, false, &o, &lost) == 1) {
			rec_depack_push(d, &o, lost);
			fuzz_check_frames(d, codec);
		}
		data += len;
		size -= len;
	}
	while (rec_reorder_pop(&ro, true, &o, &lost) == 1) {
		rec_depack_push(d, &o, lost);
		fuzz_check_frames(d, codec);
	}
	rec_depack_flush(d);
	fuzz_check_frames(d, codec);
	size_t plen;
	const uint8_t *p = rec_depack_h264_params(d, &plen);
	if ((p == NULL) != (plen == 0))
		abort();
	rec_depack_destroy(d);
	return 0;
}

#endif
