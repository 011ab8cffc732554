/* store: the recording store as one object — the index, the blob folder and
 * the retention policy — and the operations every front end shares (FUSE,
 * control socket, reaper): delete in two steps, the expiry rules, imports.
 *
 * Layout under the store folder (--store): index/ (LMDB, recstore/index.h)
 * and blobs/ (one media file per recording, named by rec_entry.blob).  The
 * index is written first on the way in (after the blob is in place) and first
 * on the way out (a tombstone before the blob is unlinked), so a crash leaves
 * at worst an orphan blob on ingest (fsck removes it) or a tombstone whose
 * blob is still there (the reaper finishes it). */
#ifndef AMPHI_RECSTORE_STORE_H
#define AMPHI_RECSTORE_STORE_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/duration.h"
#include "recstore/index.h"

struct rec_store {
	struct rec_index *idx;        /* owned */
	char root[PATH_MAX];          /* the store folder; statfs reports its filesystem */
	char blob_dir[PATH_MAX];      /* root/blobs */
	struct duration keep;         /* [recording] retention, from the webinar date */
	struct duration keep_published; /* [recording_published]: the maximum once published */
	atomic_uint_fast64_t deleted; /* recordings deleted by users (FUSE rm, ctl delete) */
	atomic_uint_fast64_t expired; /* recordings deleted by the reaper */
};

/* Opens root/index and root/blobs (created when missing).  0 or -errno with err. */
int rec_store_open(struct rec_store *st, const char *root, const struct duration *keep,
                   const struct duration *keep_published, size_t map_size, char *err, size_t errlen);
void rec_store_close(struct rec_store *st);

/* root/blobs/<e->blob> into buf; -ENAMETOOLONG when it does not fit. */
int rec_store_blob_path(const struct rec_store *st, const struct rec_entry *e, char *buf, size_t len);

/* expires_at a new recording gets: webinar_date + [recording]. */
int64_t rec_store_expiry_default(const struct rec_store *st, int64_t webinar_date);
/* The latest expires_at the policy allows for e: webinar_date + [recording],
 * or + [recording_published] once published. */
int64_t rec_store_expiry_max(const struct rec_store *st, const struct rec_entry *e, bool published);

/* Deletes a recording: tombstone (audited with action and who), then the
 * blob, then the entry.  -ENOENT, -EPERM (legal hold), -EAGAIN (expired_only
 * and not expired yet), or an index error.  A failure after the tombstone
 * leaves it for rec_store_finish (the reaper retries). */
int rec_store_delete(struct rec_store *st, const char *id, bool expired_only, const char *action,
                     const struct rec_actor *who);
/* Step 2 and 3 of a deletion for a tombstone: unlinks the blob (absent is
 * fine), syncs the folder, purges the entry. */
int rec_store_finish(struct rec_store *st, const struct rec_entry *tomb);

#endif
