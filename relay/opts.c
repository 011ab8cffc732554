/* opts: see opts.h. */
#include "relay/opts.h"
#include "common/config.h"
#include "common/duration.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void relay_opts_usage(FILE *f)
{
	fputs("usage: amphi-relay [options]\n"
	      "\n"
	      "The amphi SRTP relay: receives each publisher's stream once, decrypts it once,\n"
	      "and sends it to every viewer encrypted under the viewer's own key.\n"
	      "\n"
	      "  --config FILE      configuration file (default: none, built-in defaults)\n"
	      "  --control PATH     control socket (JSON lines; docs/relay-control.md)\n"
	      "  --spool DIR        recording journals are written here, then moved to DIR/ready/\n"
	      "  --retention FILE   retention policy (etc/retention.conf), checked at start\n"
	      "  --workers N        worker threads (0: one per online CPU)\n"
	      "  --port-base P      worker i listens on UDP port P+i\n"
	      "  --bind ADDR        local address of the UDP sockets (default 127.0.0.1)\n"
	      "  --advertise HOST   host returned to clients (default: the bind address)\n"
	      "  --no-pin           do not pin workers to CPUs\n"
	      "  --no-gso           one sendmsg per datagram (no UDP GSO bursts)\n"
	      "  -h, --help         this text\n"
	      "\n"
	      "Signals: SIGTERM or SIGINT closes the journals and exits.\n"
	      "Environment: AMPHI_LOG=debug|info|warn|error, AMPHI_TIME_OFFSET=<seconds>.\n"
	      "See amphi-relay(8) and etc/relay.conf.\n", f);
}

static const char *const relay_keys[] = {
	"workers", "port_base", "bind", "advertise", "pin", "gso", "control", "spool", "retention", NULL
};
static const char *const limits_keys[] = {
	"max_streams", "max_viewers", "send_slots", "recv_buffers", "xcore_ring", NULL
};
static const char *const rtcp_keys[] = { "pli_interval_ms", "nack_cache", "upstream_nack", NULL };
static const char *const record_keys[] = { "fsync_interval", NULL };
static const char *const webrtc_keys[] = {
	"max_peers", "consent_timeout", "handshake_budget", "max_handshakes", "handshake_timeout", NULL
};

static int copy_str(struct config *cfg, const char *sec, const char *key, const char *def,
                    char *dst, size_t cap, char *err, size_t errlen)
{
	const char *v;
	if (config_get_str(cfg, sec, key, def, &v) < 0) {
		snprintf(err, errlen, "%s", config_error(cfg));
		return -EINVAL;
	}
	if (strlen(v) >= cap) {
		snprintf(err, errlen, "%s: [%s] %s: longer than %zu characters",
		         config_name(cfg), sec, key, cap - 1);
		return -EINVAL;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int get_uint(struct config *cfg, const char *sec, const char *key, long long def,
                    long long min, long long max, unsigned *out, char *err, size_t errlen)
{
	long long v;
	if (config_get_int(cfg, sec, key, def, min, max, &v) < 0) {
		snprintf(err, errlen, "%s", config_error(cfg));
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* Durations here are short fixed lengths: months make no sense for them. */
static int get_interval(struct config *cfg, const char *sec, const char *key, const char *def,
                        int64_t *out_ns, char *err, size_t errlen)
{
	struct duration d;
	if (config_get_duration(cfg, sec, key, def, &d) < 0) {
		snprintf(err, errlen, "%s", config_error(cfg));
		return -EINVAL;
	}
	if (d.never || d.months || d.seconds <= 0 || d.seconds > 3600) {
		snprintf(err, errlen, "[%s] %s: expected 1s..1h", sec, key);
		return -EINVAL;
	}
	*out_ns = d.seconds * 1000000000LL;
	return 0;
}

static int load(struct relay_opts *o, struct config *cfg, char *err, size_t errlen)
{
	bool b;
	unsigned pli_ms = 0;
	int64_t consent_ns = 0, hs_ns = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (config_check_keys(cfg, "relay", relay_keys) < 0 ||
	    config_check_keys(cfg, "limits", limits_keys) < 0 ||
	    config_check_keys(cfg, "rtcp", rtcp_keys) < 0 ||
	    config_check_keys(cfg, "record", record_keys) < 0 ||
	    config_check_keys(cfg, "webrtc", webrtc_keys) < 0) {
		snprintf(err, errlen, "%s", config_error(cfg));
		return -EINVAL;
	}
	for (size_t i = 0; config_section_at(cfg, i); i++) {
		const char *s = config_section_at(cfg, i);
		if (strcmp(s, "relay") && strcmp(s, "limits") && strcmp(s, "rtcp") && strcmp(s, "record") &&
		    strcmp(s, "webrtc")) {
			snprintf(err, errlen, "%s: unknown section [%s]", config_name(cfg), s);
			return -EINVAL;
		}
	}
	if (get_uint(cfg, "relay", "workers", 0, 0, RELAY_MAX_WORKERS, &o->workers, err, errlen) ||
	    get_uint(cfg, "relay", "port_base", 40000, 1, 65535, &o->port_base, err, errlen) ||
	    copy_str(cfg, "relay", "bind", "127.0.0.1", o->bind, sizeof o->bind, err, errlen) ||
	    copy_str(cfg, "relay", "advertise", "", o->advertise, sizeof o->advertise, err, errlen) ||
	    copy_str(cfg, "relay", "control", "var/run/relay.sock", o->control, sizeof o->control, err, errlen) ||
	    copy_str(cfg, "relay", "spool", "var/spool", o->spool, sizeof o->spool, err, errlen) ||
	    copy_str(cfg, "relay", "retention", "", o->retention, sizeof o->retention, err, errlen) ||
	    get_uint(cfg, "limits", "max_streams", 256, 1, 65535, &o->max_streams, err, errlen) ||
	    get_uint(cfg, "limits", "max_viewers", 20000, 1, 1000000, &o->max_viewers, err, errlen) ||
	    get_uint(cfg, "limits", "send_slots", 8192, 64, 1 << 20, &o->send_slots, err, errlen) ||
	    get_uint(cfg, "limits", "recv_buffers", 1024, 16, 32768, &o->recv_buffers, err, errlen) ||
	    get_uint(cfg, "limits", "xcore_ring", 8192, 64, 1 << 20, &o->xcore_ring, err, errlen) ||
	    get_uint(cfg, "rtcp", "nack_cache", 512, 0, 65536, &o->nack_cache, err, errlen) ||
	    get_uint(cfg, "rtcp", "pli_interval_ms", 500, 10, 60000, &pli_ms, err, errlen) ||
	    get_interval(cfg, "record", "fsync_interval", "1s", &o->fsync_interval_ns, err, errlen) ||
	    get_uint(cfg, "webrtc", "max_peers", 4096, 1, 1 << 20, &o->webrtc_peers, err, errlen) ||
	    get_interval(cfg, "webrtc", "consent_timeout", "30s", &consent_ns, err, errlen) ||
	    get_interval(cfg, "webrtc", "handshake_timeout", "10s", &hs_ns, err, errlen) ||
	    get_uint(cfg, "webrtc", "handshake_budget", 40, 1, 100000, &o->handshake_budget, err, errlen) ||
	    get_uint(cfg, "webrtc", "max_handshakes", 512, 1, 1 << 20, &o->max_handshakes, err, errlen))
		return -EINVAL;
	o->consent_ms = (unsigned)(consent_ns / 1000000);
	o->handshake_timeout_ms = (unsigned)(hs_ns / 1000000);
	if (config_get_bool(cfg, "relay", "pin", true, &b) < 0) {
		snprintf(err, errlen, "%s", config_error(cfg));
		return -EINVAL;
	}
	o->pin = b;
	if (config_get_bool(cfg, "relay", "gso", true, &b) < 0) {
		snprintf(err, errlen, "%s", config_error(cfg));
		return -EINVAL;
	}
	o->gso = b;
	if (config_get_bool(cfg, "rtcp", "upstream_nack", true, &b) < 0) {
		snprintf(err, errlen, "%s", config_error(cfg));
		return -EINVAL;
	}
	o->upstream_nack = b;
	o->pli_interval_ns = (int64_t)pli_ms * 1000000;
	if (o->workers == 0)
		o->workers = ncpu > 0 ? (unsigned)(ncpu > RELAY_MAX_WORKERS ? RELAY_MAX_WORKERS : ncpu) : 1;
	if (o->port_base + o->workers - 1 > 65535) {
		snprintf(err, errlen, "port_base %u + %u workers passes 65535", o->port_base, o->workers);
		return -EINVAL;
	}
	/* The rings are indexed with a mask. */
	if (o->xcore_ring & (o->xcore_ring - 1) || o->recv_buffers & (o->recv_buffers - 1)) {
		snprintf(err, errlen, "[limits] xcore_ring and recv_buffers must be powers of two");
		return -EINVAL;
	}
	if (!o->advertise[0])
		memcpy(o->advertise, o->bind, sizeof o->bind);
	return 0;
}

int relay_opts_parse(struct relay_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 'C' },
		{ "spool", required_argument, NULL, 's' },
		{ "retention", required_argument, NULL, 'r' },
		{ "workers", required_argument, NULL, 'w' },
		{ "port-base", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "advertise", required_argument, NULL, 'a' },
		{ "no-pin", no_argument, NULL, 'P' },
		{ "no-gso", no_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	/* Flags are kept until the file is loaded, then applied over it. */
	struct { const char *key; const char *val; } flags[16];
	unsigned nflags = 0;
	const char *config_path = NULL;
	struct config *cfg;
	int c, rc;

	memset(o, 0, sizeof *o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case 'h': relay_opts_usage(stdout); return 1;
		case 'c': config_path = optarg; continue;
		case 'C': key = "control"; break;
		case 's': key = "spool"; break;
		case 'r': key = "retention"; break;
		case 'w': key = "workers"; break;
		case 'p': key = "port_base"; break;
		case 'b': key = "bind"; break;
		case 'a': key = "advertise"; break;
		case 'P': key = "pin"; optarg = (char *)"no"; break;
		case 'G': key = "gso"; optarg = (char *)"no"; break;
		default:
			snprintf(err, errlen, "unknown or incomplete option '%s' (see --help)",
			         argv[optind - 1]);
			return -EINVAL;
		}
		if (nflags == sizeof flags / sizeof flags[0]) {
			snprintf(err, errlen, "too many options");
			return -EINVAL;
		}
		flags[nflags].key = key;
		flags[nflags++].val = optarg;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	cfg = config_path ? config_load(config_path, err, errlen) : config_new_empty("<builtin>");
	if (!cfg)
		return -EINVAL;
	for (unsigned i = 0; i < nflags; i++)
		if (config_set(cfg, "relay", flags[i].key, flags[i].val) < 0) {
			snprintf(err, errlen, "out of memory");
			config_free(cfg);
			return -ENOMEM;
		}
	rc = load(o, cfg, err, errlen);
	config_free(cfg);
	return rc;
}
