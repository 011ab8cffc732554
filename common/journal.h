/* journal: the recording journal (.amj), the crash-safe copy of a recorded
 * stream (DESIGN.md §6, byte layout in docs/journal.md).
 *
 * The relay writes journals, the recording store reads them; neither links the
 * other, both link this module.  The writer half only serializes into the
 * caller's buffer (the relay owns its buffers and does its own io_uring
 * writes); the reader half maps a finished journal read-only and walks its
 * records, cutting a torn tail and skipping records whose CRC32C fails.
 *
 *   header:  magic "AMPHIJNL", version, ids, dates, tracks, CRC32C
 *   record:  [u32 len][u64 arrival ns][u8 track][len bytes RTP/RTCP][u32 CRC32C]
 *
 * All integers little-endian.  Nothing here allocates on the write path. */
#ifndef AMPHI_JOURNAL_H
#define AMPHI_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JOURNAL_MAGIC       "AMPHIJNL"   /* 8 bytes, no NUL in the file */
#define JOURNAL_VERSION     1            /* readers refuse a higher version */
#define JOURNAL_HEADER_MAX  4096         /* a header never exceeds this */
#define JOURNAL_MAX_TRACKS  8
#define JOURNAL_ID_MAX      64           /* ids: 1..63 chars of [A-Za-z0-9._:-] */
#define JOURNAL_CODEC_MAX   16           /* codec name: 1..15 chars of [A-Za-z0-9] */
#define JOURNAL_PACKET_MIN  8            /* smallest RTCP packet; RTP needs 12 */
#define JOURNAL_PACKET_MAX  65535        /* one UDP payload at most */
#define JOURNAL_RECORD_OVERHEAD 17       /* u32 len + u64 ns + u8 track + u32 crc */
#define JOURNAL_TRACK_RTCP  0x80         /* track byte flag: the packet is RTCP */

enum journal_kind { JOURNAL_AUDIO = 1, JOURNAL_VIDEO = 2 };

struct journal_track {
	uint8_t kind;                    /* enum journal_kind */
	uint8_t payload_type;            /* RTP payload type in the journal's packets */
	uint8_t channels;                /* audio channels (2 for Opus per RFC 7587), 0 for video */
	uint32_t clock_rate;             /* RTP clock, Hz: 48000 Opus, 90000 video */
	uint32_t ssrc;                   /* publisher SSRC when known at open, else 0 */
	char codec[JOURNAL_CODEC_MAX];   /* "opus", "VP8", "H264" (compare case-insensitively) */
};

struct journal_header {
	char recording[JOURNAL_ID_MAX];  /* recording id: names the blob and the index entry */
	char webinar[JOURNAL_ID_MAX];    /* webinar id */
	char org[JOURNAL_ID_MAX];        /* organization id */
	int64_t webinar_date;            /* scheduled date, unix seconds: base of the retention */
	int64_t start_ns;                /* unix ns when the relay opened the journal */
	unsigned ntracks;                /* 1..JOURNAL_MAX_TRACKS */
	struct journal_track tracks[JOURNAL_MAX_TRACKS];
};

/* --- writer: serializes into buf, returns the bytes written or -errno ---
 * -EINVAL: a field out of range (bad id characters, no tracks, track index
 * too big, packet length outside [JOURNAL_PACKET_MIN, JOURNAL_PACKET_MAX] or
 * not RTP version 2); -ENOSPC: cap too small (nothing useful written). */
ssize_t journal_header_encode(void *buf, size_t cap, const struct journal_header *h);

/* One record for packet pkt[0..len) of track (0..ntracks-1), OR-ed with
 * JOURNAL_TRACK_RTCP for an RTCP packet (sender reports for A/V sync).
 * arrival_ns: unix ns (amphi_now_ns()) when the relay received it.  Needs
 * journal_record_size(len) bytes. */
ssize_t journal_record_encode(void *buf, size_t cap, uint8_t track, uint64_t arrival_ns,
                              const void *pkt, size_t len);
static inline size_t journal_record_size(size_t len) { return len + JOURNAL_RECORD_OVERHEAD; }

/* --- reader --- */
struct journal_reader;   /* opaque; one owner, not thread-safe */

struct journal_record {
	uint64_t arrival_ns;   /* as written */
	uint8_t track;         /* track index, RTCP flag removed */
	bool rtcp;             /* the packet is RTCP (JOURNAL_TRACK_RTCP was set) */
	const uint8_t *data;   /* the packet; valid until journal_close() */
	size_t len;
	uint64_t offset;       /* file offset of the record, for diagnostics */
};

struct journal_stats {
	uint64_t records;        /* whole records returned */
	uint64_t crc_errors;     /* damaged regions skipped (each lost >= 1 record) */
	uint64_t skipped_bytes;  /* bytes in those regions */
	bool torn;               /* the file ends inside a record or in unreadable bytes */
	uint64_t valid_end;      /* offset just past the last whole record (truncate here to cut the tail) */
	uint64_t file_size;
};

/* Opens path (mapped read-only; the file must not shrink while open) and
 * decodes its header into *hdr.  0, or -errno with a reason in err:
 * -EBADMSG (not a journal, damaged header), -EPROTONOSUPPORT (newer version),
 * or the open/mmap error. */
int journal_open(const char *path, struct journal_header *hdr, struct journal_reader **out,
                 char *err, size_t errlen);
/* The same over memory the caller keeps alive until journal_close(). */
int journal_open_mem(const void *buf, size_t len, struct journal_header *hdr,
                     struct journal_reader **out, char *err, size_t errlen);

/* Next whole record with a good CRC: 1 and *rec filled, or 0 at the end of
 * the journal (clean, or a torn tail: see journal_reader_stats()).  Damaged
 * records are skipped: the reader resynchronizes on the next record whose
 * length, RTP version, track and CRC are all valid. */
int journal_next(struct journal_reader *rd, struct journal_record *rec);

void journal_reader_stats(const struct journal_reader *rd, struct journal_stats *st);
void journal_close(struct journal_reader *rd);

#endif
