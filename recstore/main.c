/* amphi-recstore: the recording store daemon (DESIGN.md §6, docs/recstore.md).
 *
 * Threads: the main thread runs the control socket (and ingest), the FUSE
 * session runs its own worker threads (recstore/fs.c), the reaper one thread
 * (recstore/reaper.c).  SIGTERM/SIGINT are taken by signalfd on the main
 * thread: it unmounts, stops the reaper and exits 0. */
#include "common/clock.h"
#include "common/config.h"
#include "common/ctl.h"
#include "common/log.h"
#include "common/retention.h"
#include "recstore/ctl.h"
#include "recstore/fs.h"
#include "recstore/reaper.h"
#include "recstore/spool.h"
#include "recstore/store.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
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

struct settings {
	long long map_mib;
	bool allow_other;
	long long threads, readahead_kib;
	struct duration cache, interval, jump, retry_first, retry;
	long long batch;
};

/* A fixed-length duration in seconds; months are refused (cache lifetimes). */
static int fixed_seconds(const char *name, const char *sec, const char *key, const struct duration *d,
                         int64_t *out)
{
	if (d->never || d->months) {
		fprintf(stderr, "%s: [%s] %s: expected seconds, minutes or hours\n", name, sec, key);
		return -EINVAL;
	}
	*out = d->seconds;
	return 0;
}

static int load_settings(const char *path, struct settings *s, char *err, size_t errlen)
{
	static const char *const store_keys[] = { "index_map_size_mib", NULL };
	static const char *const fuse_keys[] = { "allow_other", "threads", "cache", "readahead_kib", NULL };
	static const char *const reaper_keys[] = { "interval", "max_clock_jump", "batch", NULL };
	static const char *const ingest_keys[] = { "retry_first", "retry_interval", NULL };
	static const char *const none[] = { NULL };
	struct config *cfg = path ? config_load(path, err, errlen) : config_new_empty("<builtin>");
	int rc = -EINVAL;

	if (!cfg)
		return -EINVAL;
	if (config_check_keys(cfg, "", none) || config_check_keys(cfg, "store", store_keys) ||
	    config_check_keys(cfg, "fuse", fuse_keys) || config_check_keys(cfg, "reaper", reaper_keys) ||
	    config_check_keys(cfg, "ingest", ingest_keys) ||
	    config_get_int(cfg, "store", "index_map_size_mib", 64, 1, 1 << 16, &s->map_mib) ||
	    config_get_bool(cfg, "fuse", "allow_other", false, &s->allow_other) ||
	    config_get_int(cfg, "fuse", "threads", 8, 1, 256, &s->threads) ||
	    config_get_duration(cfg, "fuse", "cache", "1s", &s->cache) ||
	    config_get_int(cfg, "fuse", "readahead_kib", 4096, 0, 1 << 20, &s->readahead_kib) ||
	    config_get_duration(cfg, "reaper", "interval", "1s", &s->interval) ||
	    config_get_duration(cfg, "reaper", "max_clock_jump", "30s", &s->jump) ||
	    config_get_int(cfg, "reaper", "batch", 256, 1, 100000, &s->batch) ||
	    config_get_duration(cfg, "ingest", "retry_first", "5s", &s->retry_first) ||
	    config_get_duration(cfg, "ingest", "retry_interval", "60s", &s->retry)) {
		snprintf(err, errlen, "%s", config_error(cfg));
		goto out;
	}
	/* Unknown sections are typos too. */
	for (size_t i = 0; config_section_at(cfg, i); i++) {
		const char *sec = config_section_at(cfg, i);
		if (*sec && strcmp(sec, "store") && strcmp(sec, "fuse") && strcmp(sec, "reaper") &&
		    strcmp(sec, "ingest")) {
			snprintf(err, errlen, "%s: unknown section [%s]", config_name(cfg), sec);
			goto out;
		}
	}
	rc = 0;
out:
	config_free(cfg);
	return rc;
}

int main(int argc, char **argv)
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
	const char *config = NULL, *control = NULL, *spool_dir = NULL, *store_dir = NULL, *mount = NULL,
	           *retention_path = "etc/retention.conf";
	struct settings set;
	struct retention ret;
	struct rec_store st;
	struct rec_ctl ctl = { 0 };
	struct ctl_server *srv;
	struct rec_fs *fs = NULL;
	struct rec_reaper *reaper = NULL;
	struct rec_spool *spool = NULL;
	struct rec_fs_opts fo = { 0 };
	struct rec_reaper_opts ro = { 0 };
	struct rec_spool_retry retry;
	int64_t cache_s, interval_s, jump_s, retry_first_s, retry_s;
	char err[1024];
	sigset_t sigs;
	int sfd, opt, status = 0;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'C': control = optarg; break;
		case 's': spool_dir = optarg; break;
		case 'S': store_dir = optarg; break;
		case 'm': mount = optarg; break;
		case 'r': retention_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !control || !spool_dir || !store_dir || !mount) {
		fprintf(stderr, "amphi-recstore: --control, --spool, --store and --mount are required\n");
		usage(stderr);
		return 2;
	}
	/* Recordings are personal data: everything the daemon creates (store,
	 * blobs, index, spool folders, reason files, its socket) is its own
	 * user's alone, whatever umask it was started with. */
	umask(077);
	log_init("recstore");
	if (amphi_clock_init())
		fatal("AMPHI_TIME_OFFSET is not an integer number of seconds", NULL);
	if (load_settings(config, &set, err, sizeof err))
		fatal("bad configuration", "reason=\"%s\"", err);
	if (fixed_seconds(config ? config : "<builtin>", "fuse", "cache", &set.cache, &cache_s) ||
	    fixed_seconds(config ? config : "<builtin>", "reaper", "interval", &set.interval, &interval_s) ||
	    fixed_seconds(config ? config : "<builtin>", "reaper", "max_clock_jump", &set.jump, &jump_s) ||
	    fixed_seconds(config ? config : "<builtin>", "ingest", "retry_first", &set.retry_first, &retry_first_s) ||
	    fixed_seconds(config ? config : "<builtin>", "ingest", "retry_interval", &set.retry, &retry_s))
		return 1;
	if (retry_first_s < 1 || retry_s < retry_first_s) {
		fprintf(stderr, "%s: [ingest] retry_first must be at least 1s and at most retry_interval\n",
		        config ? config : "<builtin>");
		return 1;
	}
	retry.first_ms = retry_first_s * 1000;
	retry.max_ms = retry_s * 1000;
	if (retention_load(retention_path, &ret, err, sizeof err))
		fatal("bad retention policy", "reason=\"%s\"", err);
	if (rec_store_open(&st, store_dir, &ret.rules[RETENTION_RECORDING].keep,
	                   &ret.rules[RETENTION_RECORDING_PUBLISHED].keep, (size_t)set.map_mib << 20, err,
	                   sizeof err))
		fatal("cannot open the store", "reason=\"%s\"", err);
	retention_free(&ret);

	/* Block the stop signals before any thread starts: they all inherit the
	 * mask, and only the signalfd below sees them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0)
		fatal("signalfd failed", "errno=%d", errno);

	ctl.st = &st;
	ctl.mount = mount;
	srv = ctl_server_open(control, rec_ctl_handle, &ctl, err, sizeof err);
	if (!srv)
		fatal("cannot open the control socket", "reason=\"%s\"", err);

	fo.allow_other = set.allow_other;
	fo.max_threads = (unsigned)set.threads;
	fo.cache_seconds = (double)cache_s;
	fo.readahead_kib = (unsigned)set.readahead_kib;
	if (rec_fs_start(&st, mount, &fo, &fs, err, sizeof err)) {
		ctl_server_close(srv);
		fatal("cannot mount", "reason=\"%s\"", err);
	}
	ctl.fs = fs;
	ro.interval_ms = interval_s * 1000;
	ro.max_clock_jump_s = jump_s;
	ro.batch = (unsigned)set.batch;
	if (rec_reaper_start(&st, &ro, &reaper)) {
		rec_fs_stop(fs);
		fatal("cannot start the reaper", NULL);
	}
	ctl.reaper = reaper;
	if (rec_spool_open(spool_dir, &st, &ctl, &retry, &spool, err, sizeof err)) {
		rec_reaper_stop(reaper);
		rec_fs_stop(fs);
		fatal("cannot open the spool", "reason=\"%s\"", err);
	}
	log_msg(LOG_INFO, "started", "store=%s mount=%s control=%s time_offset=%lld", store_dir, mount,
	        control, (long long)amphi_clock_offset());

	for (;;) {
		struct pollfd p[3] = {
			{ sfd, POLLIN, 0 },
			{ ctl_server_fd(srv), POLLIN, 0 },
			{ rec_spool_fd(spool), POLLIN, 0 },
		};
		int n = poll(p, 3, 500);

		if (n < 0 && errno != EINTR)
			fatal("poll failed", "errno=%d", errno);
		if (p[0].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof si) == sizeof si)
				log_msg(LOG_INFO, "stopping", "signal=%u", si.ssi_signo);
			break;
		}
		if (p[1].revents)
			ctl_server_step(srv, 0);
		rec_spool_step(spool, p[2].revents != 0);
		if (rec_fs_ended(fs)) {
			log_msg(LOG_ERROR, "the mount went away (unmounted from outside?); stopping", NULL);
			status = 1;
			break;
		}
	}
	rec_fs_stop(fs);
	rec_reaper_stop(reaper);
	rec_spool_close(spool);
	ctl_server_close(srv);
	rec_store_close(&st);
	close(sfd);
	log_msg(LOG_INFO, "stopped", NULL);
	return status;
}
