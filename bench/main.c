/* amphi-bench: load generator and capacity planner (DESIGN.md §8).
 *
 *   amphi-bench fanout --viewers N --bitrate BPS --packet-size BYTES --seconds S
 *                      --suite gcm|cm [--transport sdes|webrtc] [--json FILE]
 *                      [--relay SOCKET] [--workers N] [--port-base P]
 *                      [--handshake-window N] [--consent-interval MS]
 *                      [--whep URL [--token T]]
 *                      [--ramp [--slo-loss F] [--slo-p99-ms MS] [--max-viewers N]]
 *                      [--report FILE.html]
 *
 * A client of the relay: it creates a stream and N SDES viewers (viewer.add)
 * or N WebRTC viewers (webrtc.add, then STUN + DTLS client handshakes:
 * bench/webrtc.h) through the relay's control socket (docs/relay-control.md),
 * publishes a synthetic
 * stream, receives and decrypts every viewer's packets with libsrtp, and
 * measures the relay's CPU time from /proc.  In the same run it measures the
 * raw send ceiling (bench/ceiling.h: connected sends, one datagram each) to
 * the same destinations with the same packet size, and the GSO ceiling
 * (runs of the relay's own average length per send), so the results are
 * ratios that survive a noisy machine.
 * Without --relay it starts its own bin/amphi-relay.  It links no relay code. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <srtp2/srtp.h>

#include <netinet/in.h>

#include "bench/ceiling.h"
#include "bench/dtls_client.h"
#include "bench/keys.h"
#include "bench/proc.h"
#include "bench/publisher.h"
#include "bench/ramp.h"
#include "bench/report.h"
#include "bench/viewers.h"
#include "bench/webrtc.h"
#include "bench/whep.h"
#include "common/addr.h"
#include "common/ctl.h"

enum { DECRYPT_BUDGET = 20000 };

struct opts {
	unsigned viewers;
	uint64_t bitrate;
	size_t packet_size;
	double seconds;
	int gcm;
	int webrtc;             /* --transport webrtc */
	unsigned hs_window;     /* --handshake-window: WebRTC peers handshaking at once */
	unsigned consent_ms;    /* --consent-interval: WebRTC consent checks (RFC 7675: 5 s) */
	const char *whep;       /* --whep URL: viewers through a real WHEP endpoint */
	struct whep_url whep_url;
	const char *token;      /* --token: WHEP bearer (a join token) */
	struct dtls_client_ctx *dtls;  /* the WebRTC viewers' certificate (webrtc only) */
	const char *json;
	const char *relay;      /* control socket of a running relay, or NULL */
	int workers;
	int port_base;
	int ramp;
	double slo_loss, slo_p99_ms;
	unsigned max_viewers;
	const char *report;
};

static void usage(FILE *f)
{
	fprintf(f,
	"usage: amphi-bench fanout --viewers N --bitrate BPS --packet-size BYTES --seconds S\n"
	"                          --suite gcm|cm [--transport sdes|webrtc] [--json FILE]\n"
	"                          [--relay SOCKET] [--workers N] [--port-base P]\n"
	"                          [--handshake-window N] [--consent-interval MS]\n"
	"                          [--whep URL [--token T]]\n"
	"\n"
	"Measures the relay's fan-out: one synthetic publisher at BPS bit/s in BYTES-byte\n"
	"SRTP packets, N SDES or WebRTC viewers that decrypt what they receive, the relay's CPU time\n"
	"from /proc, and in the same run the raw ceiling (plain connected UDP sends to the\n"
	"same N destinations, same packet size; the better of 64 per io_uring submit and\n"
	"one send() each), and after it the GSO ceiling (runs of the relay's own length\n"
	"per send, UDP_SEGMENT).  Prints one JSON object: viewers, egress_pps, relay_cpu_s,\n"
	"egress_pps_per_cpu_s, raw_ceiling_pps_per_cpu_s, ratio, raw_ceiling_gso_pps_per_cpu_s,\n"
	"ratio_gso, loss, loss_worst_viewer, viewers_with_loss,\n"
	"latency_us {p50, p99}, and details.\n"
	"\n"
	"  --relay SOCKET   use the relay behind this control socket (default: start\n"
	"                   bin/amphi-relay next to this binary, with --workers and\n"
	"                   --port-base, default 0 = one per CPU and 41000)\n"
	"  --transport T    sdes (default: keys through viewer.add) or webrtc (webrtc.add,\n"
	"                   then per viewer a STUN check with USE-CANDIDATE, a DTLS 1.2\n"
	"                   client handshake with use_srtp of --suite, SRTP keys from the\n"
	"                   exporter, consent checks every 5 s); adds \"handshake\"\n"
	"                   (connected, failed, per_s, time_us p50/p99), \"consent\" and\n"
	"                   \"relay_webrtc\" (the relay's counters) to the JSON\n"
	"  --handshake-window N  WebRTC viewers handshaking at once (default 16)\n"
	"  --consent-interval MS WebRTC consent checks (default 5000; the relay drops a\n"
	"                   peer after 30 s without one)\n"
	"  --whep URL       WebRTC viewers through a real WHEP endpoint (http://host:port\n"
	"                   /whep/{webinar}; --token T: the join token) instead of\n"
	"                   webrtc.add: the stack's own publisher feeds it, so the bench\n"
	"                   publishes nothing; loss from RTP sequence numbers, no latency;\n"
	"                   needs --relay SOCKET (the stack's relay, for its CPU and stats)\n"
	"  --json FILE      also write the JSON object to FILE\n"
	"  --report FILE    also write an HTML page with SVG plots of the run(s)\n"
	"  --ramp           start at N viewers and double until loss > --slo-loss\n"
	"                   (default 0.01) or p99 latency > --slo-p99-ms (default 200)\n"
	"                   or --max-viewers (default 8000), then bisect 3 more steps\n"
	"                   between the last good and the first bad; reports the\n"
	"                   largest step within the SLO (capacity_viewers), the relay\n"
	"                   cores it used and viewers per core (viewers_per_core_projected:\n"
	"                   true when under one core), with every step in \"steps\"\n");
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	double v;

	memset(o, 0, sizeof *o);
	o->gcm = -1;
	o->port_base = 41000;
	o->slo_loss = 0.01;
	o->slo_p99_ms = 200;
	o->max_viewers = 8000;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--ramp")) {
			o->ramp = 1;
			continue;
		}
		if (!val) {
			fprintf(stderr, "amphi-bench: %s needs a value\n", a);
			return -EINVAL;
		}
		i++;
		if (!strcmp(a, "--viewers") && !parse_num(val, 1, 10000, &v))
			o->viewers = (unsigned)v;
		else if (!strcmp(a, "--bitrate") && !parse_num(val, 8000, 1e9, &v))
			o->bitrate = (uint64_t)v;
		else if (!strcmp(a, "--packet-size") && !parse_num(val, 64, 1400, &v))
			o->packet_size = (size_t)v;
		else if (!strcmp(a, "--seconds") && !parse_num(val, 0.5, 3600, &v))
			o->seconds = v;
		else if (!strcmp(a, "--suite") && keys_suite_parse(val) >= 0)
			o->gcm = keys_suite_parse(val);
		else if (!strcmp(a, "--transport") && (!strcmp(val, "sdes") || !strcmp(val, "webrtc")))
			o->webrtc = !strcmp(val, "webrtc");
		else if (!strcmp(a, "--handshake-window") && !parse_num(val, 1, 1024, &v))
			o->hs_window = (unsigned)v;
		else if (!strcmp(a, "--whep") && whep_url_parse(val, &o->whep_url) == 0)
			o->whep = val;
		else if (!strcmp(a, "--token"))
			o->token = val;
		else if (!strcmp(a, "--consent-interval") && !parse_num(val, 100, 25000, &v))
			o->consent_ms = (unsigned)v;
		else if (!strcmp(a, "--json"))
			o->json = val;
		else if (!strcmp(a, "--relay"))
			o->relay = val;
		else if (!strcmp(a, "--workers") && !parse_num(val, 0, 256, &v))
			o->workers = (int)v;
		else if (!strcmp(a, "--port-base") && !parse_num(val, 1024, 65000, &v))
			o->port_base = (int)v;
		else if (!strcmp(a, "--slo-loss") && !parse_num(val, 0, 1, &v))
			o->slo_loss = v;
		else if (!strcmp(a, "--slo-p99-ms") && !parse_num(val, 0.1, 60000, &v))
			o->slo_p99_ms = v;
		else if (!strcmp(a, "--max-viewers") && !parse_num(val, 1, 10000, &v))
			o->max_viewers = (unsigned)v;
		else if (!strcmp(a, "--report"))
			o->report = val;
		else {
			fprintf(stderr, "amphi-bench: bad option or value: %s %s\n", a, val);
			return -EINVAL;
		}
	}
	if (!o->viewers || !o->bitrate || !o->packet_size || !o->seconds || o->gcm < 0) {
		fprintf(stderr, "amphi-bench: --viewers, --bitrate, --packet-size, --seconds "
		                "and --suite are required\n");
		return -EINVAL;
	}
	if (o->whep && (!o->webrtc || !o->relay || o->ramp)) {
		fprintf(stderr, "amphi-bench: --whep needs --transport webrtc and --relay SOCKET (the "
		                "stack's relay, for its CPU time), and no --ramp\n");
		return -EINVAL;
	}
	return 0;
}

/* One control request; the response (new reference) when "ok" is true. */
static json_t *relay_call(struct ctl_client *cl, json_t *req)
{
	char err[256];
	json_t *resp = ctl_client_call(cl, req, 5000, err, sizeof err);

	if (!resp) {
		fprintf(stderr, "amphi-bench: relay control: %s\n", err);
	} else if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "amphi-bench: relay refused %s: %s\n",
		        json_string_value(json_object_get(req, "cmd")),
		        json_string_value(json_object_get(resp, "error")));
		json_decref(resp);
		resp = NULL;
	}
	json_decref(req);
	return resp;
}

/* pkts_out of stream id from a stats answer; -1 when absent. */
static double stream_pkts_out(struct ctl_client *cl, const char *id)
{
	json_t *st = relay_call(cl, json_pack("{s:s}", "cmd", "stats")), *s;
	size_t i;
	double out = -1;

	if (!st)
		return -1;
	json_array_foreach(json_object_get(st, "streams"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "id")) ?: "", id))
			out = json_number_value(json_object_get(s, "pkts_out"));
	json_decref(st);
	return out;
}

/* One per-worker counter of a stats answer, summed over the workers; -1
 * when the relay does not answer. */
static double relay_worker_sum(struct ctl_client *cl, const char *key)
{
	json_t *st = relay_call(cl, json_pack("{s:s}", "cmd", "stats")), *w;
	double sum = 0;
	size_t i;

	if (!st)
		return -1;
	json_array_foreach(json_object_get(st, "workers"), i, w)
		sum += json_number_value(json_object_get(w, key));
	json_decref(st);
	return sum;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

/* Each viewer's loss after a run (viewers_loss: `expected` packets each,
 * or 0 for its own sequence numbers): the worst, and how many lost any. */
static void viewers_loss_spread(const struct viewers *vs, unsigned nv, uint64_t expected,
                                double *worst, unsigned *with_loss)
{
	*worst = 0;
	*with_loss = 0;
	for (unsigned i = 0; i < nv; i++) {
		double l = viewers_loss(vs, i, expected);

		if (l > *worst)
			*worst = l;
		*with_loss += l > 0;
	}
}

/* The relay's CPU over a phase must add up (bench/proc.h): a per-thread
 * split that misses a thread would skew every number built on it. */
static int relay_cpu_checked(const struct proc_cpu *d, const char *phase)
{
	char why[256];

	if (proc_cpu_check(d, why, sizeof why) == 0)
		return 0;
	fprintf(stderr, "amphi-bench: the relay's CPU time over the %s does not add up: %s\n",
	        phase, why);
	return -1;
}

/* The relay under test: ours (started here) or the one behind --relay. */
struct relay {
	char tmpdir[32];
	char sock[PATH_MAX];
	char logp[PATH_MAX];
	pid_t own;              /* > 0 when this process started it */
	pid_t pid;
	struct ctl_client *cl;
};

static int relay_open(const struct opts *o, struct relay *r)
{
	char relay_bin[PATH_MAX], err[256];

	memset(r, 0, sizeof *r);
	strcpy(r->tmpdir, "/tmp/amphi-bench.XXXXXX");
	if (o->relay) {
		snprintf(r->sock, sizeof r->sock, "%s", o->relay);
	} else {
		ssize_t n = readlink("/proc/self/exe", relay_bin, sizeof relay_bin - 32);

		if (n <= 0 || !mkdtemp(r->tmpdir)) {
			fprintf(stderr, "amphi-bench: cannot find own path or make %s\n", r->tmpdir);
			return -1;
		}
		relay_bin[n] = 0;
		strcpy(strrchr(relay_bin, '/') + 1, "amphi-relay");
		snprintf(r->sock, sizeof r->sock, "%s/relay.sock", r->tmpdir);
		snprintf(r->logp, sizeof r->logp, "%s/relay.log", r->tmpdir);
		r->own = proc_relay_start(relay_bin, r->sock, o->port_base, o->workers, r->logp);
		if (r->own < 0) {
			fprintf(stderr, "amphi-bench: cannot start %s: %s (log: %s)\n",
			        relay_bin, strerror(-r->own), r->logp);
			r->own = 0;
			return -1;
		}
	}
	r->pid = proc_peer_pid(r->sock);
	r->cl = ctl_client_connect(r->sock, 5000, err, sizeof err);
	if (r->pid < 0 || !r->cl) {
		fprintf(stderr, "amphi-bench: relay at %s: %s\n", r->sock,
		        r->pid < 0 ? strerror(-r->pid) : err);
		return -1;
	}
	return 0;
}

static void relay_close(struct relay *r, int ok)
{
	if (r->cl)
		ctl_client_close(r->cl);
	if (r->own > 0) {
		proc_relay_stop(r->own);
		if (ok) {
			unlink(r->logp);
			rmdir(r->tmpdir);
		} else {
			fprintf(stderr, "amphi-bench: relay log kept in %s\n", r->logp);
		}
	}
}

/* The relay's WebRTC counters (docs/relay-control.md, "stats"), summed over
 * its workers: a new object, or NULL when the stats call failed. */
static const char *const webrtc_counters[] = {
	"webrtc_peers", "stun_ok", "stun_rejected", "dtls_ok", "dtls_failed", "dtls_deferred",
	"consent_expired",
};

static json_t *relay_webrtc_stats(struct ctl_client *cl)
{
	json_t *st = relay_call(cl, json_pack("{s:s}", "cmd", "stats")), *w, *out;
	size_t i;

	if (!st)
		return NULL;
	out = json_object();
	for (size_t k = 0; k < sizeof webrtc_counters / sizeof webrtc_counters[0]; k++) {
		json_int_t sum = 0;
		int seen = 0;

		json_array_foreach(json_object_get(st, "workers"), i, w) {
			json_t *c = json_object_get(w, webrtc_counters[k]);

			seen |= c != NULL;
			sum += json_integer_value(c);
		}
		if (seen)
			json_object_set_new(out, webrtc_counters[k], json_integer(sum));
	}
	json_decref(st);
	return out;
}

/* b - a for every counter but the gauge webrtc_peers (b's value). */
static json_t *webrtc_stats_diff(json_t *a, json_t *b)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach(b, k, v)
		json_object_set_new(out, k, json_integer(json_integer_value(v) -
		                    (strcmp(k, "webrtc_peers") ? json_integer_value(json_object_get(a, k)) : 0)));
	return out;
}

/* SDES viewers: a random key each, the relay sends to the viewer's port. */
static int attach_sdes(const struct opts *o, struct relay *rl, const char *id,
                       struct viewers *vs, const uint16_t *ports, unsigned nv)
{
	for (unsigned i = 0; i < nv; i++) {
		uint8_t vkey[KEYS_MAX];
		char vb64[64], vid[32], addr[32];
		json_t *resp;

		keys_random(o->gcm, vkey, vb64, sizeof vb64);
		snprintf(vid, sizeof vid, "v%u", i);
		snprintf(addr, sizeof addr, "127.0.0.1:%u", ports[i]);
		if (viewers_set_key(vs, i, o->gcm, vkey) < 0)
			return -1;
		resp = relay_call(rl->cl, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		                                    "cmd", "viewer.add", "stream", id, "id", vid,
		                                    "suite", keys_suite_name(o->gcm), "key", vb64,
		                                    "addr", addr));
		if (!resp)
			return -1;
		json_decref(resp);
	}
	return 0;
}

/* The handshakes of every viewer (bench/webrtc.h), once each one's socket
 * is connected to its relay port; the phase's timing and the relay's CPU
 * time over it (nothing else runs then) go into *hs (a new object). */
static int handshake_phase(const struct opts *o, struct relay *rl, struct viewers *vs,
                           struct webrtc_peer *peers, unsigned nv, json_t **hs)
{
	struct webrtc_opts wo = { .window = o->hs_window, .gcm = o->gcm,
	                          .consent_ms = o->consent_ms };
	struct webrtc_result wr;
	struct proc_cpu c0, c1, cd;

	proc_cpu_read(rl->pid, &c0);
	if (webrtc_connect(vs, o->dtls, peers, nv, &wo, &wr) < 0) {
		fprintf(stderr, "amphi-bench: the WebRTC handshake phase could not run\n");
		return -1;
	}
	proc_cpu_read(rl->pid, &c1);
	proc_cpu_diff(&c0, &c1, &cd);
	if (relay_cpu_checked(&cd, "handshakes") < 0)
		return -1;
	fprintf(stderr, "amphi-bench: %u WebRTC viewers connected, %u failed, in %.2f s\n",
	        wr.connected, wr.failed, wr.wall_s);
	*hs = json_pack("{s:I, s:I, s:I, s:f, s:f, s:{s:I, s:I, s:I}, s:I, s:I, s:f, s:I}",
	                "connected", (json_int_t)wr.connected,
	                "failed", (json_int_t)wr.failed,
	                "wrong_profile", (json_int_t)wr.wrong_profile,
	                "wall_s", wr.wall_s,
	                "per_s", wr.wall_s > 0 ? wr.connected / wr.wall_s : 0,
	                "time_us", "p50", (json_int_t)wr.p50_us, "p99", (json_int_t)wr.p99_us,
	                "max", (json_int_t)wr.max_us,
	                "stun_sent", (json_int_t)wr.stun_sent,
	                "stun_errors", (json_int_t)wr.stun_errors,
	                "relay_cpu_s", cd.cpu_s,
	                "window", (json_int_t)(o->hs_window ? o->hs_window : 16));
	return 0;
}

/* WebRTC viewers through webrtc.add: the bench picks the relay's ICE
 * credentials (as amphi-control does for a WHEP answer) and gives its own
 * certificate's fingerprint; each viewer's socket is connected to the port
 * the relay names, then all handshake. */
static int attach_webrtc(const struct opts *o, struct relay *rl, const char *id,
                         struct viewers *vs, unsigned nv, json_t **hs)
{
	struct webrtc_peer *peers = calloc(nv, sizeof *peers);
	int rc = -1;

	if (!peers)
		return -1;
	for (unsigned i = 0; i < nv; i++) {
		struct webrtc_peer *p = &peers[i];
		struct sockaddr_in6 sa;
		socklen_t sl;
		char vid[32];
		const char *fp;
		json_t *resp;

		webrtc_ice_chars(p->relay_ufrag, 6);
		snprintf(p->relay_ufrag + 6, sizeof p->relay_ufrag - 6, "%u", i);  /* unique */
		webrtc_ice_chars(p->relay_pwd, 24);
		webrtc_ice_chars(p->own_ufrag, 8);
		snprintf(vid, sizeof vid, "w%u", i);
		resp = relay_call(rl->cl, json_pack(
			"{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:[{s:s, s:i, s:s}]}",
			"cmd", "webrtc.add", "stream", id, "id", vid, "role", "viewer",
			"ice", "ufrag", p->relay_ufrag, "pwd", p->relay_pwd,
			"fingerprint", dtls_client_ctx_fingerprint(o->dtls),
			"tracks", "kind", "video", "pt", 96, "mid", "0"));
		if (!resp)
			goto out;
		fp = json_string_value(json_object_get(resp, "fingerprint"));
		snprintf(p->fingerprint, sizeof p->fingerprint, "%s", fp ? fp : "");
		if (addr_make(json_string_value(json_object_get(resp, "host")),
		              (int)json_integer_value(json_object_get(resp, "port")), 0, &sa, &sl) < 0 ||
		    viewers_connect(vs, i, (struct sockaddr *)&sa, sl) < 0) {
			fprintf(stderr, "amphi-bench: webrtc.add answer without a usable host and port\n");
			json_decref(resp);
			goto out;
		}
		json_decref(resp);
	}
	rc = handshake_phase(o, rl, vs, peers, nv, hs);
out:
	free(peers);
	return rc;
}

/* Sums from one stats answer: the per-worker pkts_out (every stream and
 * viewer) and the streams' pkts_in (authenticated RTP from publishers). */
static int relay_totals(struct ctl_client *cl, double *pkts_out, double *pkts_in)
{
	json_t *st = relay_call(cl, json_pack("{s:s}", "cmd", "stats")), *w;
	size_t i;

	*pkts_out = *pkts_in = 0;
	if (!st)
		return -1;
	json_array_foreach(json_object_get(st, "workers"), i, w)
		*pkts_out += json_number_value(json_object_get(w, "pkts_out"));
	json_array_foreach(json_object_get(st, "streams"), i, w)
		*pkts_in += json_number_value(json_object_get(w, "pkts_in"));
	json_decref(st);
	return 0;
}

/* --whep: nv viewers POST the bench's offer to a real WHEP endpoint, take
 * the relay's credentials, fingerprint and port from each answer, then
 * handshake as above.  *locations gets each session URL (NULL when the POST
 * failed; freed by the caller); *refused counts the POSTs that failed,
 * *statuses (a new object) counts the answers by HTTP status. */
static int attach_whep(const struct opts *o, struct relay *rl, struct viewers *vs, unsigned nv,
                       char **locations, unsigned *refused, json_t **statuses, json_t **hs)
{
	struct webrtc_peer *peers = calloc(nv, sizeof *peers);
	char *offer = malloc(8192), *buf = malloc(WHEP_BODY_MAX);
	int rc = -1;

	*refused = 0;
	*statuses = json_object();
	if (!peers || !offer || !buf)
		goto out;
	for (unsigned i = 0; i < nv; i++) {
		struct webrtc_peer *p = &peers[i];
		struct http_response r;
		struct whep_answer a;
		struct sockaddr_in6 sa;
		socklen_t sl;
		char pwd[32], err[128], code[8];
		int hr;

		webrtc_ice_chars(p->own_ufrag, 8);
		webrtc_ice_chars(pwd, 24);
		if (whep_offer_build(offer, 8192, p->own_ufrag, pwd, dtls_client_ctx_fingerprint(o->dtls)) < 0)
			goto out;
		hr = whep_http(&o->whep_url, "POST", NULL, o->token, "application/sdp", offer, buf,
		               WHEP_BODY_MAX, &r, 5000);
		snprintf(code, sizeof code, "%d", hr < 0 ? 0 : r.status);
		json_object_set_new(*statuses, code, json_integer(
		                    json_integer_value(json_object_get(*statuses, code)) + 1));
		if (hr < 0 || r.status != 201) {
			if (*refused == 0)
				fprintf(stderr, "amphi-bench: WHEP POST %s: %s\n", o->whep,
				        hr < 0 ? strerror(-hr) : "not 201 Created");
			(*refused)++;
			continue;               /* its socket stays unconnected: a failed viewer */
		}
		if (r.location[0])
			locations[i] = strdup(r.location);
		if (whep_answer_parse(r.body, r.body_len, &a, err, sizeof err) < 0 ||
		    addr_make(a.host, a.port, 0, &sa, &sl) < 0 ||
		    viewers_connect(vs, i, (struct sockaddr *)&sa, sl) < 0) {
			fprintf(stderr, "amphi-bench: WHEP answer %u unusable: %s\n", i, err);
			(*refused)++;
			continue;
		}
		snprintf(p->relay_ufrag, sizeof p->relay_ufrag, "%s", a.ufrag);
		snprintf(p->relay_pwd, sizeof p->relay_pwd, "%s", a.pwd);
		snprintf(p->fingerprint, sizeof p->fingerprint, "%s", a.fingerprint);
	}
	rc = handshake_phase(o, rl, vs, peers, nv, hs);
out:
	free(peers);
	free(offer);
	free(buf);
	return rc;
}

/* The raw ceiling R (DESIGN.md §8) to the viewers' own sockets: both forms
 * of plain sends (bench/ceiling.h), 1.5 s each (half the run when shorter),
 * R the better of the two, so the ratio never gains from a slow ceiling.
 * What the viewers received of each is kept: a ceiling whose receivers fell
 * behind paid less per datagram (full sockets drop early, no wake-up). */
struct ceiling_pair {
	struct ceiling_result best, uring, send;
	uint64_t uring_rx, send_rx;             /* datagrams the viewers received of each */
};

static int ceiling_best(const struct opts *o, struct viewers *vs, const uint16_t *ports, unsigned nv,
                        struct ceiling_pair *c)
{
	double seconds = o->seconds < 3 ? o->seconds / 2 : 1.5;
	struct viewers_result vr;

	if (viewers_start(vs, 0) < 0 || ceiling_run(ports, nv, o->packet_size, seconds, CEILING_URING, 0, &c->uring) < 0)
		goto fail;
	viewers_stop(vs, &vr);
	c->uring_rx = vr.datagrams;
	if (viewers_start(vs, 0) < 0 || ceiling_run(ports, nv, o->packet_size, seconds, CEILING_SEND, 0, &c->send) < 0)
		goto fail;
	viewers_stop(vs, &vr);
	c->send_rx = vr.datagrams;
	c->best = c->uring.pps_per_cpu_s > c->send.pps_per_cpu_s ? c->uring : c->send;
	return 0;
fail:
	fprintf(stderr, "amphi-bench: raw ceiling run failed\n");
	return -1;
}

/* The GSO ceiling (bench/ceiling.h) after a fan-out run: runs of the
 * relay's average length in that run (its packets out per GSO send; lone
 * datagrams, which it sends when a frame is one packet, are counted into
 * the runs, so the average errs long and the ceiling high) to as many
 * fresh sockets as the run had viewers (a WebRTC viewer's socket only hears
 * the relay by now), in each form of GSO_FORMS for as long as each plain
 * ceiling; the best one is the ceiling, as for the plain one. */
static const struct {
	enum ceiling_mode mode;
	const char *name;               /* `used` and the JSON keys' prefix */
} GSO_FORMS[] = {
	{ CEILING_GSO, "send" },
	{ CEILING_GSO_URING, "io_uring" },
	{ CEILING_GSO_SENDMSG, "sendmsg" },
};
enum { GSO_NFORMS = sizeof GSO_FORMS / sizeof GSO_FORMS[0] };

struct ceiling_gso {
	double run;                     /* packets per send */
	struct ceiling_result form[GSO_NFORMS];
	uint64_t rx[GSO_NFORMS];        /* datagrams the receivers got of each */
	unsigned best;                  /* the form with the most packets per CPU-second */
};

static int ceiling_gso_form(const struct opts *o, unsigned nv, enum ceiling_mode mode, double run,
                            struct ceiling_result *r, uint64_t *rx)
{
	double seconds = o->seconds < 3 ? o->seconds / 2 : 1.5;
	struct viewers *vs = NULL;
	struct viewers_result vr;
	uint16_t *ports = calloc(nv, sizeof *ports);
	int rc = -1;

	if (!ports || viewers_open(&vs, nv, 0) < 0)
		goto out;
	for (unsigned i = 0; i < nv; i++)
		ports[i] = viewers_port(vs, i);
	if (viewers_start(vs, 0) < 0)
		goto out;
	rc = ceiling_run(ports, nv, o->packet_size, seconds, mode, run, r);
	viewers_stop(vs, &vr);
	*rx = vr.datagrams;
out:
	viewers_close(vs);
	free(ports);
	return rc < 0 ? -1 : 0;
}

static int ceiling_gso_run(const struct opts *o, unsigned nv, double pkts_out, double gso_sends,
                           struct ceiling_gso *g)
{
	g->run = gso_sends > 0 && pkts_out > gso_sends ? pkts_out / gso_sends : 1;
	g->best = 0;
	for (unsigned f = 0; f < GSO_NFORMS; f++) {
		if (ceiling_gso_form(o, nv, GSO_FORMS[f].mode, g->run, &g->form[f], &g->rx[f]) < 0) {
			fprintf(stderr, "amphi-bench: GSO ceiling run (%s) failed\n", GSO_FORMS[f].name);
			return -1;
		}
		if (g->form[f].pps_per_cpu_s > g->form[g->best].pps_per_cpu_s)
			g->best = f;
	}
	return 0;
}

/* raw_ceiling.gso of the JSON: the best form's figures, then each form's
 * rate and delivered fraction. */
static json_t *ceiling_gso_json(const struct ceiling_gso *g)
{
	const struct ceiling_result *r = &g->form[g->best];
	json_t *j = json_pack("{s:f, s:I, s:f, s:f, s:f, s:s, s:i, s:f}", "run", g->run,
	                      "sent", (json_int_t)r->sent, "cpu_s", r->cpu_s, "wall_s", r->wall_s,
	                      "pps_per_cpu_s", r->pps_per_cpu_s, "used", GSO_FORMS[g->best].name,
	                      "batch", CEILING_BATCH,
	                      "delivered", r->sent ? (double)g->rx[g->best] / (double)r->sent : 0);

	for (unsigned f = 0; f < GSO_NFORMS; f++) {
		char key[64];

		snprintf(key, sizeof key, "%s_pps_per_cpu_s", GSO_FORMS[f].name);
		json_object_set_new(j, key, json_real(g->form[f].pps_per_cpu_s));
		snprintf(key, sizeof key, "%s_delivered", GSO_FORMS[f].name);
		json_object_set_new(j, key, json_real(g->form[f].sent ? (double)g->rx[f] /
		                                                        (double)g->form[f].sent : 0));
	}
	return j;
}

/* One --whep run: the stack's own publisher feeds the webinar, so there is
 * no stream to create and nothing to publish; loss comes from the RTP
 * sequence numbers each viewer saw, egress from the relay's total pkts_out
 * (every stream and viewer of that relay, which the run should have to
 * itself), and there is no latency (the real publisher stamps no send time). */
static json_t *whep_step(const struct opts *o, struct relay *rl, unsigned nv)
{
	struct viewers *vs = NULL;
	struct ceiling_pair ceil;
	struct viewers_result vr;
	struct proc_cpu c0, c1, cd;
	uint16_t *ports = NULL;
	char **locations = calloc(nv, sizeof *locations);
	json_t *out = NULL, *hs = NULL, *ws0, *ws1 = NULL, *statuses = NULL, *per = NULL;
	unsigned refused = 0, stride;
	double out0, out1, in0, in1, w0, w1;

	ws0 = relay_webrtc_stats(rl->cl);
	if (!locations || viewers_open(&vs, nv, 0) < 0 || !(ports = calloc(nv, sizeof *ports))) {
		fprintf(stderr, "amphi-bench: cannot open %u viewer sockets\n", nv);
		goto out;
	}
	for (unsigned i = 0; i < nv; i++)
		ports[i] = viewers_port(vs, i);
	if (ceiling_best(o, vs, ports, nv, &ceil) < 0)
		goto out;
	if (attach_whep(o, rl, vs, nv, locations, &refused, &statuses, &hs) < 0)
		goto out;
	viewers_set_stamped(vs, 0);
	stride = (unsigned)((double)o->bitrate / 8 / (double)o->packet_size *
	                    nv / DECRYPT_BUDGET) + 1;
	if (viewers_start(vs, stride) < 0)
		goto out;
	relay_totals(rl->cl, &out0, &in0);
	proc_cpu_read(rl->pid, &c0);
	w0 = wall_s();
	sleep_s(o->seconds);
	proc_cpu_read(rl->pid, &c1);
	w1 = wall_s();
	relay_totals(rl->cl, &out1, &in1);
	viewers_stop(vs, &vr);
	ws1 = relay_webrtc_stats(rl->cl);
	proc_cpu_diff(&c0, &c1, &cd);
	if (relay_cpu_checked(&cd, "run") < 0)
		goto out;
	per = json_array();
	for (unsigned i = 0; i < nv; i++)
		json_array_append_new(per, json_integer((json_int_t)viewers_received(vs, i)));
	{
		double egress = out1 - out0, pps_cpu = cd.cpu_s > 0 ? egress / cd.cpu_s : 0;
		double loss = vr.expected_by_seq ? 1.0 - (double)vr.unique / (double)vr.expected_by_seq : 1;
		double worst;
		unsigned with_loss;

		viewers_loss_spread(vs, nv, 0, &worst, &with_loss);
		out = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I,"
		                " s:{s:I, s:I, s:I}, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
		                " s:o, s:f, s:o, s:{s:I, s:I, s:I}, s:o, s:{s:s, s:I, s:o}}",
		                "bench", "fanout", "transport", "webrtc", "suite", keys_suite_name(o->gcm),
		                "viewers", (json_int_t)nv, "bitrate", (json_int_t)o->bitrate,
		                "packet_size", (json_int_t)o->packet_size, "seconds", o->seconds,
		                "egress_pps", egress / (w1 - w0), "relay_cpu_s", cd.cpu_s,
		                "egress_pps_per_cpu_s", pps_cpu,
		                "raw_ceiling_pps_per_cpu_s", ceil.best.pps_per_cpu_s,
		                "ratio", ceil.best.pps_per_cpu_s > 0 ? pps_cpu / ceil.best.pps_per_cpu_s : 0,
		                "loss", loss,
		                "loss_worst_viewer", worst,
		                "viewers_with_loss", (json_int_t)with_loss,
		                "latency_us", "p50", (json_int_t)0, "p99", (json_int_t)0, "max", (json_int_t)0,
		                "latency_measured", 0,
		                "relay_pkts_out", (json_int_t)egress,
		                "relay_pkts_in", (json_int_t)(in1 - in0),
		                "received", (json_int_t)vr.datagrams,
		                "duplicates", (json_int_t)vr.duplicates,
		                "expected_by_seq", (json_int_t)vr.expected_by_seq,
		                "decrypted", (json_int_t)vr.decrypted,
		                "decrypt_stride", (json_int_t)stride,
		                "auth_fail", (json_int_t)vr.auth_fail,
		                "rtcp_received", (json_int_t)vr.rtcp,
		                "min_received_per_viewer", (json_int_t)vr.min_per_viewer,
		                "max_received_per_viewer", (json_int_t)vr.max_per_viewer,
		                "received_per_viewer", per,
		                "relay_wall_s", w1 - w0,
		                "handshake", hs,
		                "consent", "sent", (json_int_t)vr.consent_sent, "ok", (json_int_t)vr.consent_ok,
		                "bad", (json_int_t)vr.consent_bad,
		                "relay_webrtc", ws0 && ws1 ? webrtc_stats_diff(ws0, ws1) : json_object(),
		                "whep", "url", o->whep, "refused", (json_int_t)refused, "status", statuses);
		per = hs = statuses = NULL;
	}
out:
	for (unsigned i = 0; locations && i < nv; i++) {
		if (locations[i]) {
			char buf[2048];
			struct http_response r;

			/* the session ends: the relay drops the peer */
			(void)whep_http(&o->whep_url, "DELETE", locations[i], o->token, NULL, NULL, buf,
			                sizeof buf, &r, 5000);
			free(locations[i]);
		}
	}
	free(locations);
	viewers_close(vs);
	free(ports);
	json_decref(hs);
	json_decref(per);
	json_decref(statuses);
	json_decref(ws0);
	json_decref(ws1);
	return out;
}

/* What one fan-out run measured; fanout_report writes it as the JSON
 * object docs/bench.md describes. */
struct fanout_run {
	unsigned nv;                    /* viewers */
	struct ceiling_pair ceil;       /* the raw ceiling to the same sockets */
	struct ceiling_gso gso;         /* the GSO ceiling of the relay's run length */
	struct viewers_result vr;       /* what the viewers received */
	struct proc_cpu cd;             /* the relay's CPU time while publishing (checked) */
	uint64_t published;             /* packets the publisher sent */
	double egress;                  /* the stream's pkts_out over the run */
	double gso_sends;               /* the relay's GSO sends over the run */
	double wall_s;                  /* from the first counters read to the last */
	unsigned stride;                /* the viewers decrypted one packet in stride */
	double loss_worst;              /* the worst viewer's loss (of published) */
	unsigned with_loss;             /* viewers that lost any */
	json_t *hs, *ws0, *ws1;         /* WebRTC: handshakes, the relay's counters before and
	                                 * after; owned */
};

/* The stream a run publishes to: its id, key and the relay's ingest. */
struct fanout_stream {
	char id[64], b64[64], host[256];
	uint8_t key[KEYS_MAX];
	int port;
};

static int fanout_stream_create(const struct opts *o, struct relay *rl, unsigned step,
                                struct fanout_stream *fs)
{
	json_t *resp, *ingest;
	const char *host;

	snprintf(fs->id, sizeof fs->id, "bench-%d-%u", (int)getpid(), step);
	keys_random(o->gcm, fs->key, fs->b64, sizeof fs->b64);
	resp = relay_call(rl->cl, json_pack(
		"{s:s, s:s, s:[{s:s, s:s, s:i, s:i}], s:{s:s, s:s}}",
		"cmd", "stream.create", "id", fs->id,
		"tracks", "kind", "video", "codec", "VP8", "pt", 96, "clock_rate", 90000,
		"ingest", "suite", keys_suite_name(o->gcm), "key", fs->b64));
	if (!resp)
		return -1;
	ingest = json_object_get(resp, "ingest");
	host = json_string_value(json_object_get(ingest, "host"));
	snprintf(fs->host, sizeof fs->host, "%s", host ? host : "127.0.0.1");
	fs->port = (int)json_integer_value(json_object_get(ingest, "port"));
	json_decref(resp);
	return 0;
}

/* Publishes for --seconds to viewers already attached and measures: the
 * stream's egress, the relay's GSO sends and CPU time, what the viewers got.
 * Decrypts about DECRYPT_BUDGET packets a second, spread over every viewer
 * (viewers.h says why). */
static int fanout_measure(const struct opts *o, struct relay *rl, const struct fanout_stream *fs,
                          struct viewers *vs, struct fanout_run *m)
{
	struct publisher_cfg pc = {
		.host = fs->host, .port = (uint16_t)fs->port, .gcm = o->gcm, .key = fs->key,
		.packet_size = o->packet_size, .bitrate = o->bitrate, .seconds = o->seconds, .pt = 96,
	};
	struct proc_cpu c0, c1;
	double out0, gso0, w0;

	m->stride = (unsigned)((double)o->bitrate / 8 / (double)o->packet_size *
	                       m->nv / DECRYPT_BUDGET) + 1;
	if (viewers_start(vs, m->stride) < 0)
		return -1;
	out0 = stream_pkts_out(rl->cl, fs->id);
	gso0 = relay_worker_sum(rl->cl, "gso_sends");
	proc_cpu_read(rl->pid, &c0);
	w0 = wall_s();
	if (publisher_run(&pc, &m->published) < 0) {
		fprintf(stderr, "amphi-bench: publisher failed\n");
		viewers_stop(vs, &m->vr);
		return -1;
	}
	sleep_s(0.3);           /* let the last packets arrive */
	proc_cpu_read(rl->pid, &c1);
	m->wall_s = wall_s() - w0;
	m->egress = stream_pkts_out(rl->cl, fs->id) - out0;
	m->gso_sends = relay_worker_sum(rl->cl, "gso_sends") - gso0;
	viewers_stop(vs, &m->vr);
	viewers_loss_spread(vs, m->nv, m->published, &m->loss_worst, &m->with_loss);
	if (o->webrtc)
		m->ws1 = relay_webrtc_stats(rl->cl);
	proc_cpu_diff(&c0, &c1, &m->cd);
	return relay_cpu_checked(&m->cd, "run");
}

/* The result object of one fan-out run (its keys are what bench tests and
 * the .bench files in bench/ read: keep them). */
static json_t *fanout_report(const struct opts *o, struct fanout_run *m)
{
	const struct ceiling_pair *ceil = &m->ceil;
	const struct viewers_result *vr = &m->vr;
	double expected = (double)m->published * m->nv;
	double pps_cpu = m->cd.cpu_s > 0 ? m->egress / m->cd.cpu_s : 0;
	double loss = expected > 0 ? 1.0 - (double)vr->unique / expected : 1;
	json_t *threads = json_array(), *out;

	for (unsigned i = 0; i < m->cd.nthreads; i++)
		if (m->cd.threads[i].cpu_s > 0)
			json_array_append_new(threads, json_pack("{s:s, s:f}",
			                      "name", m->cd.threads[i].comm,
			                      "cpu_s", m->cd.threads[i].cpu_s));
	out = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:f,"
	                " s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I,"
	                " s:{s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:f,"
	                " s:{s:I, s:f, s:f, s:s, s:i, s:f, s:f, s:f, s:f}, s:f}",
	                "bench", "fanout", "transport", o->webrtc ? "webrtc" : "sdes",
	                "suite", keys_suite_name(o->gcm),
	                "viewers", (json_int_t)m->nv,
	                "bitrate", (json_int_t)o->bitrate,
	                "packet_size", (json_int_t)o->packet_size,
	                "seconds", o->seconds,
	                "egress_pps", m->egress / o->seconds,
	                "relay_cpu_s", m->cd.cpu_s,
	                "egress_pps_per_cpu_s", pps_cpu,
	                "raw_ceiling_pps_per_cpu_s", ceil->best.pps_per_cpu_s,
	                "ratio", ceil->best.pps_per_cpu_s > 0 ? pps_cpu / ceil->best.pps_per_cpu_s : 0,
	                "raw_ceiling_gso_pps_per_cpu_s", m->gso.form[m->gso.best].pps_per_cpu_s,
	                "ratio_gso", m->gso.form[m->gso.best].pps_per_cpu_s > 0 ?
	                             pps_cpu / m->gso.form[m->gso.best].pps_per_cpu_s : 0,
	                "loss", loss,
	                "loss_worst_viewer", m->loss_worst,
	                "viewers_with_loss", (json_int_t)m->with_loss,
	                "latency_us", "p50", (json_int_t)vr->p50_us,
	                "p99", (json_int_t)vr->p99_us, "max", (json_int_t)vr->max_us,
	                "published", (json_int_t)m->published,
	                "relay_pkts_out", (json_int_t)m->egress,
	                "relay_gso_sends", (json_int_t)m->gso_sends,
	                "received", (json_int_t)vr->datagrams,
	                "duplicates", (json_int_t)vr->duplicates,
	                "decrypted", (json_int_t)vr->decrypted,
	                "decrypt_stride", (json_int_t)m->stride,
	                "auth_fail", (json_int_t)vr->auth_fail,
	                "replayed", (json_int_t)vr->replayed,
	                "rtcp_received", (json_int_t)vr->rtcp,
	                "min_received_per_viewer", (json_int_t)vr->min_per_viewer,
	                "relay_threads", threads,
	                "relay_exited_threads_cpu_s", m->cd.exited_s,
	                "raw_ceiling", "sent", (json_int_t)ceil->best.sent,
	                "cpu_s", ceil->best.cpu_s, "wall_s", ceil->best.wall_s,
	                "used", ceil->best.pps_per_cpu_s == ceil->send.pps_per_cpu_s ? "send" : "io_uring",
	                "batch", CEILING_BATCH,
	                "io_uring_pps_per_cpu_s", ceil->uring.pps_per_cpu_s,
	                "send_pps_per_cpu_s", ceil->send.pps_per_cpu_s,
	                "io_uring_delivered", ceil->uring.sent ? (double)ceil->uring_rx / (double)ceil->uring.sent : 0,
	                "send_delivered", ceil->send.sent ? (double)ceil->send_rx / (double)ceil->send.sent : 0,
	                "relay_wall_s", m->wall_s);
	json_object_set_new(json_object_get(out, "raw_ceiling"), "gso", ceiling_gso_json(&m->gso));
	if (o->webrtc) {
		json_object_set_new(out, "handshake", m->hs);
		m->hs = NULL;
		json_object_set_new(out, "consent", json_pack("{s:I, s:I, s:I}",
		                    "sent", (json_int_t)vr->consent_sent,
		                    "ok", (json_int_t)vr->consent_ok,
		                    "bad", (json_int_t)vr->consent_bad));
		json_object_set_new(out, "relay_webrtc", m->ws0 && m->ws1 ? webrtc_stats_diff(m->ws0, m->ws1)
		                                                          : json_object());
	}
	return out;
}

/* One fan-out run with nv viewers: the raw ceiling to the viewers' own
 * sockets, then a stream and its viewers through the control socket, then
 * publishing and measuring.  The result object, or NULL. */
static json_t *fanout_step(const struct opts *o, struct relay *rl, unsigned nv, unsigned step)
{
	struct fanout_run m = { .nv = nv };
	struct fanout_stream fs;
	struct viewers *vs = NULL;
	uint16_t *ports = NULL;
	json_t *out = NULL;
	size_t max_samples;
	int created = 0;

	max_samples = (size_t)((double)o->bitrate / 8 / (double)o->packet_size *
	                       (o->seconds + 1) * nv);
	if (max_samples > 8u << 20)
		max_samples = 8u << 20;
	if (viewers_open(&vs, nv, max_samples) < 0 ||
	    !(ports = calloc(nv, sizeof *ports))) {
		fprintf(stderr, "amphi-bench: cannot open %u viewer sockets\n", nv);
		goto out;
	}
	for (unsigned i = 0; i < nv; i++)
		ports[i] = viewers_port(vs, i);
	if (ceiling_best(o, vs, ports, nv, &m.ceil) < 0)
		goto out;
	if (fanout_stream_create(o, rl, step, &fs) < 0)
		goto out;
	created = 1;
	if (o->webrtc) {
		m.ws0 = relay_webrtc_stats(rl->cl);
		if (attach_webrtc(o, rl, fs.id, vs, nv, &m.hs) < 0)
			goto out;
	} else if (attach_sdes(o, rl, fs.id, vs, ports, nv) < 0) {
		goto out;
	}
	if (fanout_measure(o, rl, &fs, vs, &m) == 0 &&
	    ceiling_gso_run(o, nv, m.egress, m.gso_sends, &m.gso) == 0)
		out = fanout_report(o, &m);
out:
	if (created)
		json_decref(relay_call(rl->cl, json_pack("{s:s, s:s}", "cmd", "stream.delete",
		                                         "id", fs.id)));
	viewers_close(vs);
	free(ports);
	json_decref(m.hs);
	json_decref(m.ws0);
	json_decref(m.ws1);
	return out;
}

static int within_slo(const struct opts *o, json_t *r)
{
	return json_number_value(json_object_get(r, "loss")) <= o->slo_loss &&
	       json_number_value(json_object_get(json_object_get(r, "latency_us"), "p99")) <=
	       o->slo_p99_ms * 1000;
}

/* --ramp: double the viewers until the SLO breaks, then bisect between
 * the last good and the first bad step (bench/ramp.h); the summary object:
 * the largest step that met the SLO, with the cores the relay used in it. */
static json_t *fanout_ramp(const struct opts *o, struct relay *rl, json_t *steps)
{
	json_t *best = NULL, *r = NULL, *out;
	struct ramp rp;
	unsigned step = 0;
	double cores;

	ramp_init(&rp, o->viewers, o->max_viewers);
	while (rp.next) {
		int ok;

		r = fanout_step(o, rl, rp.next, step++);
		if (!r)
			return NULL;
		json_array_append_new(steps, r);
		ok = within_slo(o, r);
		fprintf(stderr, "amphi-bench: %u viewers: loss %.4f, p99 %lld us, ratio %.2f, %s\n",
		        rp.next, json_number_value(json_object_get(r, "loss")),
		        (long long)json_integer_value(json_object_get(
		                json_object_get(r, "latency_us"), "p99")),
		        json_number_value(json_object_get(r, "ratio")), ok ? "within the SLO" : "SLO broken");
		if (ok)
			best = r;       /* good only grows: the last one met is the largest */
		ramp_note(&rp, ok);
	}
	out = json_deep_copy(best ? best : r);
	json_object_set_new(out, "bench", json_string("fanout-ramp"));
	json_object_set_new(out, "capacity_viewers", json_integer(rp.good));
	json_object_set_new(out, "capacity_bound", json_string(rp.bad ? "slo" : "max_viewers"));
	json_object_set_new(out, "refine_steps", json_integer(rp.refined));
	if (best) {
		/* the cores the relay kept busy serving that step (relay
		 * CPU-seconds per second); per core is a division by them, a
		 * projection when they were less than one */
		cores = json_number_value(json_object_get(best, "relay_cpu_s")) /
		        json_number_value(json_object_get(best, "relay_wall_s"));
		json_object_set_new(out, "capacity_relay_cores", json_real(cores));
		json_object_set_new(out, "viewers_per_core",
		                    json_real(cores > 0 ? (double)rp.good / cores : 0));
		json_object_set_new(out, "viewers_per_core_projected", json_boolean(cores < 1));
	}
	json_object_set_new(out, "slo", json_pack("{s:f, s:f}", "loss", o->slo_loss,
	                                          "p99_ms", o->slo_p99_ms));
	json_object_set(out, "steps", steps);
	return out;
}

static int fanout(struct opts *o)
{
	struct relay rl;
	json_t *out = NULL, *steps = json_array();
	int rc = 1;

	/* two sockets per viewer (receiver, ceiling sender) plus the relay's */
	{
		struct rlimit lim;

		if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
			lim.rlim_cur = lim.rlim_max;
			setrlimit(RLIMIT_NOFILE, &lim);
		}
	}
	if (relay_open(o, &rl) < 0)
		goto out;
	if (o->webrtc && !(o->dtls = dtls_client_ctx_create(o->gcm)))
		goto out;
	if (o->ramp) {
		out = fanout_ramp(o, &rl, steps);
	} else {
		out = o->whep ? whep_step(o, &rl, o->viewers) : fanout_step(o, &rl, o->viewers, 0);
		if (out)
			json_array_append(steps, out);
	}
	if (!out)
		goto out;
	{
		char *s = json_dumps(out, JSON_COMPACT);

		puts(s);
		if (o->json) {
			FILE *f = fopen(o->json, "w");

			if (!f || fprintf(f, "%s\n", s) < 0 || fclose(f) != 0) {
				fprintf(stderr, "amphi-bench: cannot write %s\n", o->json);
				free(s);
				goto out;
			}
		}
		free(s);
	}
	if (o->report && report_write(o->report, o->ramp ? "amphi-bench fanout --ramp" :
	                              "amphi-bench fanout", steps) < 0) {
		fprintf(stderr, "amphi-bench: cannot write %s\n", o->report);
		goto out;
	}
	rc = 0;
out:
	json_decref(out);
	json_decref(steps);
	relay_close(&rl, rc == 0);
	dtls_client_ctx_destroy(o->dtls);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "fanout") != 0) {
		fprintf(stderr, "amphi-bench: unknown command %s (only: fanout)\n", argv[1]);
		return 2;
	}
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (srtp_init() != srtp_err_status_ok) {
		fprintf(stderr, "amphi-bench: libsrtp init failed\n");
		return 1;
	}
	return fanout(&o);
}
