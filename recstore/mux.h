/* mux: compressed frames -> a Matroska / WebM file with libavformat, no
 * transcoding (DESIGN.md §6).
 *
 * The mux owns the output file descriptor it creates at path and writes
 * through its own AVIOContext, so that a full disk surfaces as -ENOSPC (not a
 * generic libav error), and so that rec_mux_finish() can fsync before the
 * caller renames the file into place.  Timestamps are nanoseconds on one
 * timeline shared by all streams (the caller aligns the tracks); the mux
 * rescales them to the container's time base and keeps each stream's
 * timestamps strictly increasing. */
#ifndef AMPHI_REC_MUX_H
#define AMPHI_REC_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recstore/depack.h"

#define REC_MUX_MAX_STREAMS 2

struct rec_mux_stream {
	enum rec_codec codec;
	unsigned channels;          /* audio: channel count (Opus: 2) */
	unsigned width, height;     /* video: frame size if known, else 0 */
	unsigned rate_num, rate_den;  /* video: nominal frame rate (Matroska DefaultDuration), 0 if unknown */
	const uint8_t *extradata;   /* H.264: Annex B SPS+PPS (copied); NULL otherwise */
	size_t extradata_len;
};

struct rec_mux;

/* Creates path (truncating a leftover) and writes the container header.
 * format: "webm" (VP8, VP9, Opus only) or "matroska".  0, or -errno with reason. */
int rec_mux_open(struct rec_mux **out, const char *path, const char *format,
                 const struct rec_mux_stream *streams, unsigned n, char *err, size_t errlen);

/* One frame of stream (index into the streams given to open).  pts_ns >= 0;
 * duration_ns may be 0 when unknown.  0, or -errno (-ENOSPC, -EIO, ...). */
int rec_mux_write(struct rec_mux *m, unsigned stream, int64_t pts_ns, int64_t duration_ns,
                  bool key, const uint8_t *data, size_t len);

/* Writes the trailer (cues, duration), flushes and fsyncs, closes the file,
 * frees m.  On failure the file is removed.  0 or -errno with reason. */
int rec_mux_finish(struct rec_mux *m, char *err, size_t errlen);

/* Gives up: closes and removes the file, frees m.  NULL is fine. */
void rec_mux_abort(struct rec_mux *m);

#endif
