/* amphi-relay: the SRTP relay (DESIGN.md §5, docs/man/amphi-relay.8).
 *
 * The main thread parses options, starts the workers (worker.c) and the
 * control thread (ctl.c), then only waits for SIGTERM/SIGINT; on either it
 * stops the control thread first (no command in flight), then the workers
 * (journals closed), and exits 0. */
#include "relay/ctl.h"
#include "relay/opts.h"
#include "relay/record.h"
#include "relay/relay.h"
#include "relay/srtp.h"
#include "relay/start.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/retention.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof buf)
		return -EINVAL;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	static struct relay r;
	struct relay_ctl *ctl;
	char err[512], ready[PATH_MAX + 8];
	sigset_t set;
	int rc, sig;

	/* Journals hold decrypted media and the socket hands out keys: nothing
	 * the relay creates is for other users (DESIGN.md §10, issue 11). */
	umask(077);
	log_init("relay");
	rc = relay_opts_parse(&r.opts, argc, argv, err, sizeof err);
	if (rc == 1)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "amphi-relay: %s\n", err);
		return 2;
	}
	if (amphi_clock_init() < 0)
		fatal("bad AMPHI_TIME_OFFSET", "value=%s", getenv("AMPHI_TIME_OFFSET"));
	if (r.opts.retention[0]) {
		struct retention pol;
		if (retention_load(r.opts.retention, &pol, err, sizeof err) < 0) {
			fprintf(stderr, "amphi-relay: %s\n", err);
			return 2;
		}
		retention_free(&pol);
	}
	snprintf(ready, sizeof ready, "%s/ready", r.opts.spool);
	if ((rc = mkdir_p(ready)) < 0)
		fatal("cannot create the spool", "path=%s err=%s", ready, strerror(-rc));
	/* A spool made by an older relay under a laxer umask is closed too. */
	if (chmod(r.opts.spool, 0700) < 0 || chmod(ready, 0700) < 0)
		fatal("cannot make the spool private", "path=%s err=%s", r.opts.spool, strerror(errno));
	if ((rc = record_recover_spool(r.opts.spool)) < 0)
		fatal("cannot read the spool", "path=%s err=%s", r.opts.spool, strerror(-rc));
	if (srtp_layer_init() < 0)
		fatal("cannot initialise SRTP", NULL);

	/* Threads inherit this mask: only the main thread takes the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (relay_start(&r) < 0)
		fatal("cannot start the workers", "port_base=%u workers=%u", r.opts.port_base, r.opts.workers);
	ctl = relay_ctl_start(&r, r.opts.control, err, sizeof err);
	if (!ctl)
		fatal("cannot open the control socket", "path=%s reason=\"%s\"", r.opts.control, err);
	log_msg(LOG_INFO, "relay ready", "workers=%u ports=%u-%u bind=%s control=%s spool=%s",
	        r.nworkers, r.opts.port_base, r.opts.port_base + r.nworkers - 1, r.opts.bind,
	        r.opts.control, r.opts.spool);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_msg(LOG_INFO, "SIGHUP ignored: restart to reload the configuration", NULL);
			continue;
		}
		break;
	}
	log_msg(LOG_INFO, "stopping", "signal=%d", sig);
	relay_ctl_stop(ctl);
	relay_stop(&r);
	log_msg(LOG_INFO, "stopped", NULL);
	return 0;
}
