/* fsck: checks that the index and the blob folder agree (control command
 * "fsck").  Reports, as one JSON object:
 *   orphans              blobs no index entry names (a crash between the
 *                        blob's rename and the index commit)
 *   dangling             entries whose blob is missing
 *   checksum_mismatches  blobs whose SHA-256 or size differ from the index
 *   unreadable           blobs that exist but cannot be read
 *   temporary            leftover temporary files (".<name>.tmp")
 *   pending_deletions    tombstones whose deletion a crash interrupted
 *   clean                true when all of the above are empty
 * With repair: orphans and temporary files older than ten minutes are
 * removed, dangling entries deleted (tombstone + purge, audited; never under
 * legal hold), pending deletions finished.  Checksum mismatches and
 * unreadable blobs are never "repaired": the data is what it is; they stay
 * reported until an operator acts (delete, or restore the blob). */
#ifndef AMPHI_RECSTORE_FSCK_H
#define AMPHI_RECSTORE_FSCK_H

#include <jansson.h>
#include <stdbool.h>

#include "recstore/store.h"

/* New reference, or NULL on memory exhaustion. */
json_t *rec_fsck_run(struct rec_store *st, bool repair, bool checksums);

#endif
