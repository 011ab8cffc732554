/* ctl: amphi-recstore's control socket commands (docs/recstore.md lists
 * them with examples).  One request object per line, "cmd" names the
 * command; handled on the daemon's main thread (the same thread that ingests
 * journals, so fsck never sees an ingest half-way between blob and index).
 * A command that changes a recording parses its request, calls the store
 * (recstore/store.h: delete, hold, publish, expire-now, import) and turns the
 * result into the JSON answer: the rules are the store's. */
#ifndef AMPHI_RECSTORE_CTL_H
#define AMPHI_RECSTORE_CTL_H

#include <jansson.h>
#include <stdatomic.h>

#include "recstore/fs.h"
#include "recstore/reaper.h"
#include "recstore/store.h"

struct rec_ctl {
	struct rec_store *st;        /* borrowed */
	struct rec_reaper *reaper;   /* borrowed, may be NULL */
	const char *mount;           /* mount point, for file paths in answers (may be NULL) */
	struct rec_fs *fs;           /* borrowed, may be NULL: told about deletions */
	/* Ingest counters, owned by the daemon's spool loop. */
	atomic_uint_fast64_t ingested, ingest_failed, ingest_retried;
};

/* A ctl_handler_fn: arg is a struct rec_ctl. */
json_t *rec_ctl_handle(void *arg, json_t *req);

/* The JSON form of an entry shared by list/show (new reference). */
json_t *rec_ctl_entry_json(const struct rec_ctl *c, const struct rec_entry *e);

#endif
