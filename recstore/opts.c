/* opts: see opts.h. */
#include "recstore/opts.h"
#include "common/config.h"
#include "common/duration.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

void rec_opts_usage(FILE *f)
{
	fputs("usage: amphi-recstore --store DIR --mount DIR --spool DIR --control SOCKET\n"
	      "                      [--config FILE] [--retention FILE]\n"
	      "\n"
	      "The recording store: ingests journals from SPOOL/ready, indexes recordings in\n"
	      "DIR/index (LMDB) with their blobs in DIR/blobs, shows them read-only under the\n"
	      "FUSE mount (by-webinar/, by-date/, by-org/) and deletes each one when its\n"
	      "retention ends.\n"
	      "\n"
	      "  --config FILE      settings (etc/recstore.conf; docs/recstore.md)\n"
	      "  --control SOCKET   JSON-lines control socket (list, show, delete, hold, ...)\n"
	      "  --spool DIR        journals: DIR/ready in, DIR/failed for unusable ones\n"
	      "  --store DIR        index and blobs\n"
	      "  --mount DIR        FUSE mount point (a stale mount from a crash is cleared)\n"
	      "  --retention FILE   retention policy (etc/retention.conf): [recording],\n"
	      "                     [recording_published]\n"
	      "  --help             this text\n"
	      "\n"
	      "Environment: AMPHI_LOG=debug|info|warn|error, AMPHI_TIME_OFFSET=<seconds>.\n", f);
}

int rec_opts_parse(struct rec_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 'C' },
		{ "spool", required_argument, NULL, 's' },
		{ "store", required_argument, NULL, 'S' },
		{ "mount", required_argument, NULL, 'm' },
		{ "retention", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	memset(o, 0, sizeof *o);
	o->retention = "etc/retention.conf";
	err[0] = '\0';
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o->config = optarg; break;
		case 'C': o->control = optarg; break;
		case 's': o->spool = optarg; break;
		case 'S': o->store = optarg; break;
		case 'm': o->mount = optarg; break;
		case 'r': o->retention = optarg; break;
		case 'h': rec_opts_usage(stdout); return 1;
		default: return -EINVAL;   /* getopt said why */
		}
	}
	if (optind != argc || !o->control || !o->spool || !o->store || !o->mount) {
		snprintf(err, errlen, "--control, --spool, --store and --mount are required");
		return -EINVAL;
	}
	return 0;
}

/* A fixed-length duration in whole seconds: cache lifetimes and timers have
 * no use for calendar months. */
static int get_seconds(struct config *cfg, const char *sec, const char *key, const char *def, int64_t *out,
                       char *err, size_t errlen)
{
	struct duration d;

	if (config_get_duration(cfg, sec, key, def, &d)) {
		snprintf(err, errlen, "%s", config_error(cfg));
		return -EINVAL;
	}
	if (d.never || d.months) {
		snprintf(err, errlen, "%s: [%s] %s: expected seconds, minutes or hours", config_name(cfg), sec, key);
		return -EINVAL;
	}
	*out = d.seconds;
	return 0;
}

static int get_int(struct config *cfg, const char *sec, const char *key, long long def, long long min,
                   long long max, long long *out, char *err, size_t errlen)
{
	if (config_get_int(cfg, sec, key, def, min, max, out)) {
		snprintf(err, errlen, "%s", config_error(cfg));
		return -EINVAL;
	}
	return 0;
}

static int get_bool(struct config *cfg, const char *sec, const char *key, bool def, bool *out, char *err,
                    size_t errlen)
{
	if (config_get_bool(cfg, sec, key, def, out)) {
		snprintf(err, errlen, "%s", config_error(cfg));
		return -EINVAL;
	}
	return 0;
}

static int load(struct rec_opts *o, struct config *cfg, char *err, size_t errlen)
{
	static const char *const store_keys[] = { "index_map_size_mib", NULL };
	static const char *const fuse_keys[] = { "allow_other", "threads", "cache", "readahead_kib", NULL };
	static const char *const reaper_keys[] = { "interval", "max_clock_jump", "batch", NULL };
	static const char *const ingest_keys[] = { "retry_first", "retry_interval", NULL };
	static const char *const none[] = { NULL };
	long long map_mib, threads, readahead_kib, batch;
	int64_t cache_s, interval_s, jump_s, retry_first_s, retry_s;

	if (config_check_keys(cfg, "", none) || config_check_keys(cfg, "store", store_keys) ||
	    config_check_keys(cfg, "fuse", fuse_keys) || config_check_keys(cfg, "reaper", reaper_keys) ||
	    config_check_keys(cfg, "ingest", ingest_keys)) {
		snprintf(err, errlen, "%s", config_error(cfg));
		return -EINVAL;
	}
	/* Unknown sections are typos too. */
	for (size_t i = 0; config_section_at(cfg, i); i++) {
		const char *sec = config_section_at(cfg, i);
		if (*sec && strcmp(sec, "store") && strcmp(sec, "fuse") && strcmp(sec, "reaper") &&
		    strcmp(sec, "ingest")) {
			snprintf(err, errlen, "%s: unknown section [%s]", config_name(cfg), sec);
			return -EINVAL;
		}
	}
	if (get_int(cfg, "store", "index_map_size_mib", 64, 1, 1 << 16, &map_mib, err, errlen) ||
	    get_bool(cfg, "fuse", "allow_other", false, &o->fs.allow_other, err, errlen) ||
	    get_int(cfg, "fuse", "threads", 8, 1, 256, &threads, err, errlen) ||
	    get_seconds(cfg, "fuse", "cache", "1s", &cache_s, err, errlen) ||
	    get_int(cfg, "fuse", "readahead_kib", 4096, 0, 1 << 20, &readahead_kib, err, errlen) ||
	    get_seconds(cfg, "reaper", "interval", "1s", &interval_s, err, errlen) ||
	    get_seconds(cfg, "reaper", "max_clock_jump", "30s", &jump_s, err, errlen) ||
	    get_int(cfg, "reaper", "batch", 256, 1, 100000, &batch, err, errlen) ||
	    get_seconds(cfg, "ingest", "retry_first", "5s", &retry_first_s, err, errlen) ||
	    get_seconds(cfg, "ingest", "retry_interval", "60s", &retry_s, err, errlen))
		return -EINVAL;
	if (retry_first_s < 1 || retry_s < retry_first_s) {
		snprintf(err, errlen, "%s: [ingest] retry_first must be at least 1s and at most retry_interval",
		         config_name(cfg));
		return -EINVAL;
	}
	o->map_size = (size_t)map_mib << 20;
	o->fs.max_threads = (unsigned)threads;
	o->fs.cache_seconds = (double)cache_s;
	o->fs.readahead_kib = (unsigned)readahead_kib;
	o->reaper.interval_ms = interval_s * 1000;
	o->reaper.max_clock_jump_s = jump_s;
	o->reaper.batch = (unsigned)batch;
	o->retry.first_ms = retry_first_s * 1000;
	o->retry.max_ms = retry_s * 1000;
	return 0;
}

int rec_opts_load(struct rec_opts *o, char *err, size_t errlen)
{
	struct config *cfg = o->config ? config_load(o->config, err, errlen) : config_new_empty("<builtin>");
	int rc;

	if (!cfg)
		return -EINVAL;
	rc = load(o, cfg, err, errlen);
	config_free(cfg);
	return rc;
}
