/* opts: amphi-recstore's settings, from the command line and etc/recstore.conf.
 *
 * The flags name the places (control socket, spool, store, mount, retention
 * policy; all but the policy required); the config file holds the tuning
 * ([store], [fuse], [reaper], [ingest]), every key documented in
 * etc/recstore.conf and docs/recstore.md, each with a built-in default.
 * rec_opts_parse reads argv, rec_opts_load the file named by --config (or
 * the defaults alone).  A rec_opts owns no heap memory: its paths point into
 * argv. */
#ifndef AMPHI_RECSTORE_OPTS_H
#define AMPHI_RECSTORE_OPTS_H

#include <stddef.h>
#include <stdio.h>

#include "recstore/fs.h"
#include "recstore/reaper.h"
#include "recstore/spool.h"

struct rec_opts {
	const char *config;            /* --config; NULL: the built-in defaults */
	const char *control;           /* --control: the JSON-lines socket */
	const char *spool;             /* --spool: journals in SPOOL/ready */
	const char *store;             /* --store: index and blobs */
	const char *mount;             /* --mount: the FUSE mount point */
	const char *retention;         /* --retention (default etc/retention.conf) */
	size_t map_size;               /* [store] index_map_size_mib, in bytes */
	struct rec_fs_opts fs;         /* [fuse] */
	struct rec_reaper_opts reaper; /* [reaper] */
	struct rec_spool_retry retry;  /* [ingest] */
};

/* Reads the flags.  0: run; 1: --help was printed to stdout (exit 0);
 * -EINVAL: a usage error, its message in err (empty when getopt printed its
 * own), to be followed by rec_opts_usage(stderr) and exit status 2. */
int rec_opts_parse(struct rec_opts *o, int argc, char **argv, char *err, size_t errlen);
/* Reads o->config (or takes the defaults) into the tuning fields.  0, or
 * -EINVAL with "file: reason" in err (unknown section or key, a value out of
 * range, a month in a duration that must be fixed). */
int rec_opts_load(struct rec_opts *o, char *err, size_t errlen);
void rec_opts_usage(FILE *f);

#endif
