/* spool: the ingest loop of amphi-recstore (DESIGN.md §6).
 *
 * Watches SPOOL/ready/ with inotify (and scans it at start, for journals
 * left by a crash or written while the daemon was down).  For each *.amj:
 *   - already in the index (a crash after the commit, before the journal was
 *     deleted): the journal is deleted;
 *   - rec_ingest_journal (recstore/ingest.h) muxes it into the blob folder,
 *     then rec_store_add commits the entry (expiry from the policy), then the
 *     journal is deleted;
 *   - a journal that can never become media (-EBADMSG, -ENOTSUP, bad ids) is
 *     moved to SPOOL/failed/ with the reason logged and written beside it in
 *     <name>.reason: never deleted;
 *   - a failure that may pass (disk full, I/O) keeps the journal where it is
 *     and retries it with a backoff: retry.first_ms after the first failure,
 *     doubling per failure up to retry.max_ms.
 * Runs on the daemon's main thread (rec_spool_step from its poll loop). */
#ifndef AMPHI_RECSTORE_SPOOL_H
#define AMPHI_RECSTORE_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recstore/ctl.h"
#include "recstore/store.h"

struct rec_spool;

struct rec_spool_retry {
	int64_t first_ms;   /* wait after a first failure ([ingest] retry_first; 0: 5 s) */
	int64_t max_ms;     /* the longest wait ([ingest] retry_interval; 0: 60 s) */
};

/* Creates SPOOL/ready and SPOOL/failed when missing.  ctl (borrowed) gets
 * the ingest counters.  0 or -errno with err. */
int rec_spool_open(const char *dir, struct rec_store *st, struct rec_ctl *ctl,
                   const struct rec_spool_retry *retry, struct rec_spool **out, char *err, size_t errlen);
/* The inotify fd to poll for POLLIN. */
int rec_spool_fd(const struct rec_spool *sp);
/* Drains inotify events when readable, then ingests whatever is ready or
 * due for a retry.  Cheap when there is nothing to do. */
void rec_spool_step(struct rec_spool *sp, bool readable);
void rec_spool_close(struct rec_spool *sp);

#endif
