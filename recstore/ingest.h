/* ingest: one finished journal -> one media file in the blob folder.
 *
 * Owned by the ingest side of amphi-recstore; the daemon (recstore/main.c)
 * calls rec_ingest_journal() for each journal in spool/ready/, then commits
 * the index entry from *out, then deletes the journal.  This module never
 * touches the index, the spool layout or the journal file itself: on any
 * error the journal is left exactly where it was and no blob or temporary
 * file remains, so the caller decides (retry later, or move to spool/failed/).
 *
 * Steps: read the journal (common/journal.h), depacketize each track
 * (recstore/depack.h), mux without transcoding (recstore/mux.h) into
 * "<blob_dir>/.<id>.<ext>.tmp", fsync, rename to "<blob_dir>/<id>.<ext>",
 * fsync the folder.  VP8 or VP9 + Opus -> .webm, H.264+Opus -> .mkv. */
#ifndef AMPHI_REC_INGEST_H
#define AMPHI_REC_INGEST_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "common/journal.h"

struct rec_media {
	char id[JOURNAL_ID_MAX];       /* recording id, from the journal header */
	char webinar[JOURNAL_ID_MAX];
	char org[JOURNAL_ID_MAX];
	int64_t webinar_date;          /* unix seconds, from the header: retention base */
	int64_t start;                 /* unix seconds of the first media sample kept */
	int64_t end;                   /* unix seconds of the last one (mtime of the file) */
	int64_t duration_ms;           /* media duration as muxed */
	uint64_t size;                 /* blob size in bytes */
	char codecs[32];               /* "vp8+opus", "vp9+opus", "h264+opus", "opus", "vp8" ... */
	char ext[8];                   /* "webm" or "mkv" */
	char sha256[65];               /* hex of the blob's content */
	char path[PATH_MAX];           /* absolute or blob_dir-relative path of the blob */
	/* What the journal reader and depacketizers met, for the log line. */
	uint64_t records;              /* journal records read */
	uint64_t crc_errors;           /* damaged journal regions skipped */
	int torn;                      /* the journal had a torn tail (cut) */
	uint64_t packets_dropped;      /* RTP packets not usable (late, malformed, before keyframe) */
};

/* 0 with *out filled, or -errno with a reason in err: -EBADMSG (journal
 * unreadable, no usable media: move it to spool/failed/), -ENOSPC/-EIO (disk:
 * keep the journal, retry later), -EAGAIN (the journal changed between the
 * two passes, still being written: retry later), -ENOTSUP (codec
 * combination not muxable). */
int rec_ingest_journal(const char *journal, const char *blob_dir, struct rec_media *out,
                       char *err, size_t errlen);

#endif
