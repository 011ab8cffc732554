/* import: registers an existing media file with the store (control command
 * "import"): for operators bringing in a recording made elsewhere, and for
 * tests that need recordings without a relay.  The file is probed with
 * libavformat (it must be a media file: codecs and duration come from it),
 * copied into the blob folder through a temporary file (fsync, rename, fsync
 * of the folder), hashed while copied, then indexed.  The source is never
 * modified.  rec_store_add indexes it: expiry from the policy, as for an
 * ingested recording. */
#ifndef AMPHI_RECSTORE_IMPORT_H
#define AMPHI_RECSTORE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "recstore/store.h"

struct rec_import {
	const char *path;        /* the source file */
	const char *id;          /* NULL: a random 16-hex-digit id */
	const char *webinar, *org;
	int64_t webinar_date;    /* retention base */
	int64_t start;           /* 0: the file's mtime minus its duration */
};

/* 0 with *out the new entry, or -errno with a reason in err: -EINVAL (bad
 * names, not a media file), -EEXIST (id taken), -ENOSPC/-EIO (disk). */
int rec_import_file(struct rec_store *st, const struct rec_import *in, const struct rec_actor *who,
                    struct rec_entry *out, char *err, size_t errlen);

/* Codecs ("vp8,opus") and duration of a media file, via libavformat. */
int rec_media_probe(const char *path, char *codecs, size_t codecs_len, int64_t *duration_ms,
                    char *err, size_t errlen);

#endif
