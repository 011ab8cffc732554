/* amphi-recstore: the recording store daemon (DESIGN.md §6, docs/recstore.md).
 * main only starts and stops; the settings come from recstore/opts.c.
 *
 * Threads: the main thread runs the control socket (and ingest), the FUSE
 * session runs its own worker threads (recstore/fs.c), the reaper one thread
 * (recstore/reaper.c).  SIGTERM/SIGINT are taken by signalfd on the main
 * thread: it unmounts, stops the reaper and exits 0. */
#include "common/clock.h"
#include "common/ctl.h"
#include "common/log.h"
#include "common/retention.h"
#include "recstore/ctl.h"
#include "recstore/fs.h"
#include "recstore/opts.h"
#include "recstore/reaper.h"
#include "recstore/spool.h"
#include "recstore/store.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

/* The mount point as an absolute path, for the "file" of the control
 * socket's answers: a client (amphi-control's recordings API) opens it from
 * its own working directory, not the daemon's.  Lexical only ("./" prefixes
 * dropped): a stale mount left by a crash cannot be resolved with realpath. */
static const char *mount_absolute(const char *mount, char *buf, size_t len)
{
	char cwd[PATH_MAX];

	if (mount[0] == '/')
		return mount;
	while (mount[0] == '.' && mount[1] == '/')
		mount += 2;
	if (!getcwd(cwd, sizeof cwd) || (size_t)snprintf(buf, len, "%s/%s", cwd, mount) >= len)
		fatal("cannot make the mount point's path absolute", "mount=%s", mount);
	return buf;
}

int main(int argc, char **argv)
{
	struct rec_opts o;
	struct retention ret;
	struct rec_store st;
	struct rec_ctl ctl = { 0 };
	struct ctl_server *srv;
	struct rec_fs *fs = NULL;
	struct rec_reaper *reaper = NULL;
	struct rec_spool *spool = NULL;
	char err[1024], mount_abs[PATH_MAX];
	sigset_t sigs;
	int sfd, rc, status = 0;

	rc = rec_opts_parse(&o, argc, argv, err, sizeof err);
	if (rc == 1)
		return 0;
	if (rc < 0) {
		if (err[0])
			fprintf(stderr, "amphi-recstore: %s\n", err);
		rec_opts_usage(stderr);
		return 2;
	}
	/* Recordings are personal data: everything the daemon creates (store,
	 * blobs, index, spool folders, reason files, its socket) is its own
	 * user's alone, whatever umask it was started with. */
	umask(077);
	log_init("recstore");
	if (amphi_clock_init())
		fatal("AMPHI_TIME_OFFSET is not an integer number of seconds", NULL);
	if (rec_opts_load(&o, err, sizeof err))
		fatal("bad configuration", "reason=\"%s\"", err);
	if (retention_load(o.retention, &ret, err, sizeof err))
		fatal("bad retention policy", "reason=\"%s\"", err);
	if (rec_store_open(&st, o.store, &ret.rules[RETENTION_RECORDING].keep,
	                   &ret.rules[RETENTION_RECORDING_PUBLISHED].keep, o.map_size, err, sizeof err))
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
	ctl.mount = mount_absolute(o.mount, mount_abs, sizeof mount_abs);
	srv = ctl_server_open(o.control, rec_ctl_handle, &ctl, err, sizeof err);
	if (!srv)
		fatal("cannot open the control socket", "reason=\"%s\"", err);
	if (rec_fs_start(&st, o.mount, &o.fs, &fs, err, sizeof err)) {
		ctl_server_close(srv);
		fatal("cannot mount", "reason=\"%s\"", err);
	}
	ctl.fs = fs;
	if (rec_reaper_start(&st, &o.reaper, &reaper)) {
		rec_fs_stop(fs);
		fatal("cannot start the reaper", NULL);
	}
	ctl.reaper = reaper;
	if (rec_spool_open(o.spool, &st, &ctl, &o.retry, &spool, err, sizeof err)) {
		rec_reaper_stop(reaper);
		rec_fs_stop(fs);
		fatal("cannot open the spool", "reason=\"%s\"", err);
	}
	log_msg(LOG_INFO, "started", "store=%s mount=%s control=%s time_offset=%lld", o.store, o.mount,
	        o.control, (long long)amphi_clock_offset());

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
