/* index: the recording store's LMDB index (DESIGN.md §6, schema in docs/recstore.md).
 *
 * One LMDB environment in <store>/index holds every recording's metadata, the
 * secondary indexes the FUSE views and the reaper walk, and an append-only
 * audit table.  The index is the single source of truth for what exists: a
 * blob without an entry is an orphan (fsck), an entry is visible only while
 * it is not a tombstone and not expired.
 *
 * Visibility: every lookup here reads the clock (amphi_now()) and hides a
 * recording from the second its expires_at is reached, unless it is under
 * legal hold, even before the reaper has deleted it.
 *
 * Threads: a struct rec_index is shared by all threads (FUSE workers, the
 * control socket, the reaper, ingest).  Each call opens and closes its own
 * transaction; writers are serialised by LMDB.  The map grows (doubling) on
 * MDB_MAP_FULL under a lock that waits for the transactions in flight. */
#ifndef AMPHI_RECSTORE_INDEX_H
#define AMPHI_RECSTORE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_NAME_MAX 64     /* ids of recordings, webinars, organizations: 1..63 bytes + NUL */
#define REC_CODECS_MAX 48   /* "vp8,opus" */
#define REC_BLOB_MAX 128    /* file name inside the blob folder */

/* A recording's index entry.  Stored verbatim (version-tagged) in the
 * "recordings" database, so changing it means a new schema version. */
struct rec_entry {
	char id[REC_NAME_MAX];
	char webinar[REC_NAME_MAX];
	char org[REC_NAME_MAX];
	int64_t webinar_date;           /* seconds since the epoch; retention runs from it */
	int64_t start, end;             /* recording start/end, seconds since the epoch; end is the mtime */
	int64_t duration_ms;
	uint64_t size;                  /* exact byte size of the blob */
	char codecs[REC_CODECS_MAX];    /* stream codecs, comma-separated, e.g. "vp8,opus" */
	char sha256[65];                /* lowercase hex of the blob's SHA-256 */
	int64_t expires_at;             /* seconds since the epoch; invisible from this second on */
	bool legal_hold;                /* blocks expiry and deletion */
	bool published;                 /* published for replay: expiry may reach [recording_published] */
	bool tombstone;                 /* deleted: invisible, blob removal pending (reaper finishes it) */
	char blob[REC_BLOB_MAX];        /* file name in the blob folder, "<id>.webm" */
	uint64_t ino;                   /* stable inode number, assigned by rec_index_put */
};

/* The secondary views, also the FUSE folders. */
enum rec_view { REC_VIEW_WEBINAR, REC_VIEW_DATE, REC_VIEW_ORG };

struct rec_index;

/* Who did something and why: recorded in the audit table.  by is a role or a
 * channel ("ctl", "fuse uid=0", "reaper"), why a short reason; no personal data. */
struct rec_actor {
	const char *by;
	const char *why;
};

/* Opens (creating) the environment in dir (created if missing), clears stale
 * readers left by a crashed process.  map_size 0 picks the default (64 MiB).
 * 0 or -errno with a message in err. */
int rec_index_open(const char *dir, size_t map_size, struct rec_index **out, char *err, size_t errlen);
void rec_index_close(struct rec_index *idx);

/* Ids, webinar and organization names are path components: [A-Za-z0-9_.:-] (the journal's id alphabet),
 * 1..63 bytes, not starting with '.'.  True when s is one. */
bool rec_name_valid(const char *s);
/* The file-name extension (".webm") of e->blob, "" when it has none. */
const char *rec_entry_ext(const struct rec_entry *e);
/* The value of e under view: webinar, "YYYY-MM-DD" of its start (UTC), or org. */
void rec_entry_view_key(const struct rec_entry *e, enum rec_view view, char buf[REC_NAME_MAX]);
/* Whether e can be seen at time now. */
bool rec_entry_visible(const struct rec_entry *e, int64_t now);

/* Adds a new entry (e->ino is assigned and written back).  -EEXIST when the
 * id exists (even as a tombstone), -EINVAL for invalid names. */
int rec_index_put(struct rec_index *idx, struct rec_entry *e, const struct rec_actor *who);

/* Visible entries only (-ENOENT otherwise). */
int rec_index_get(struct rec_index *idx, const char *id, struct rec_entry *out);
int rec_index_get_ino(struct rec_index *idx, uint64_t ino, struct rec_entry *out);
/* Any entry, expired or tombstoned too (reaper, fsck, show --all). */
int rec_index_get_any(struct rec_index *idx, const char *id, struct rec_entry *out);

/* Visits entries in id order (all views: key NULL) or those whose view key
 * equals key, in id order.  Only visible ones unless all is set.  fn returns
 * non-zero to stop, and that value is returned. */
typedef int (*rec_index_visit_fn)(void *arg, const struct rec_entry *e);
int rec_index_list(struct rec_index *idx, enum rec_view view, const char *key, bool all,
                   rec_index_visit_fn fn, void *arg);
/* Visits each distinct key of view that has at least one visible entry. */
typedef int (*rec_index_key_fn)(void *arg, const char *key);
int rec_index_keys(struct rec_index *idx, enum rec_view view, rec_index_key_fn fn, void *arg);
/* Visits non-tombstoned, unheld entries with expires_at <= now in expiry
 * order, then stops (the reaper's walk). */
int rec_index_expired(struct rec_index *idx, int64_t now, rec_index_visit_fn fn, void *arg);
/* Visits tombstones (deletions whose blob removal may be unfinished). */
int rec_index_tombstones(struct rec_index *idx, rec_index_visit_fn fn, void *arg);

/* Deletion, step 1: marks the entry a tombstone (invisible at once) and
 * audits it.  -ENOENT when absent or already a tombstone, -EPERM when under
 * legal hold.  When expired_only is set, -EAGAIN unless it has expired (the
 * reaper re-checks inside the transaction: nothing is deleted before its time). */
int rec_index_tombstone(struct rec_index *idx, const char *id, bool expired_only,
                        const char *action, const struct rec_actor *who);
/* Deletion, step 2, after the blob is gone: removes the entry and its
 * secondary keys.  Only tombstones are purged (-EBUSY otherwise). */
int rec_index_purge(struct rec_index *idx, const char *id);

/* Changes, each audited with old and new values.  -ENOENT for invisible entries. */
int rec_index_set_hold(struct rec_index *idx, const char *id, bool hold, const struct rec_actor *who);
int rec_index_set_expiry(struct rec_index *idx, const char *id, int64_t expires_at,
                         const struct rec_actor *who);
int rec_index_set_published(struct rec_index *idx, const char *id, bool published,
                            int64_t expires_at, const struct rec_actor *who);
/* Rewrites an entry's sha256 and size after fsck --repair re-hashed it (audited). */
int rec_index_set_checksum(struct rec_index *idx, const char *id, const char *sha256,
                           uint64_t size, const struct rec_actor *who);
/* Writes an audit record with no change to an entry (fsck repairs, imports). */
int rec_index_audit(struct rec_index *idx, const char *action, const char *id,
                    const struct rec_actor *who, const char *detail);

/* Audit records in order, oldest first, starting after sequence number
 * after (0: from the first).  json is the record as a JSON object text. */
typedef int (*rec_index_audit_fn)(void *arg, uint64_t seq, const char *json);
int rec_index_audit_list(struct rec_index *idx, uint64_t after, rec_index_audit_fn fn, void *arg);

struct rec_index_stats {
	uint64_t entries, visible, tombstones, held, published, audit_records;
	uint64_t bytes_visible;
	size_t map_size, map_used;
};
int rec_index_stats(struct rec_index *idx, struct rec_index_stats *out);

#endif
