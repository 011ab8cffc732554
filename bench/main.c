/* amphi-bench: load generator and capacity planner (DESIGN.md §8).
 *
 *   amphi-bench fanout --viewers N --bitrate BPS --packet-size BYTES --seconds S
 *                      --suite gcm|cm [--transport sdes] [--json FILE]
 *                      [--relay SOCKET] [--workers N] [--port-base P]
 *
 * A client of the relay: it creates a stream and N SDES viewers through the
 * relay's control socket (docs/relay-control.md), publishes a synthetic
 * stream, receives and decrypts every viewer's packets with libsrtp, and
 * measures the relay's CPU time from /proc.  In the same run it measures the
 * raw send ceiling (bench/ceiling.h) to the same destinations with the same
 * packet size, so the result is a ratio that survives a noisy machine.
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

#include "bench/ceiling.h"
#include "bench/keys.h"
#include "bench/proc.h"
#include "bench/publisher.h"
#include "bench/viewers.h"
#include "common/ctl.h"

enum { DECRYPT_BUDGET = 20000 };

struct opts {
	unsigned viewers;
	uint64_t bitrate;
	size_t packet_size;
	double seconds;
	int gcm;
	const char *json;
	const char *relay;      /* control socket of a running relay, or NULL */
	int workers;
	int port_base;
};

static void usage(FILE *f)
{
	fprintf(f,
	"usage: amphi-bench fanout --viewers N --bitrate BPS --packet-size BYTES --seconds S\n"
	"                          --suite gcm|cm [--transport sdes] [--json FILE]\n"
	"                          [--relay SOCKET] [--workers N] [--port-base P]\n"
	"\n"
	"Measures the relay's fan-out: one synthetic publisher at BPS bit/s in BYTES-byte\n"
	"SRTP packets, N SDES viewers that decrypt what they receive, the relay's CPU time\n"
	"from /proc, and in the same run the raw ceiling (plain connected UDP sends to the\n"
	"same N destinations, same packet size).  Prints one JSON object: viewers,\n"
	"egress_pps, relay_cpu_s, egress_pps_per_cpu_s, raw_ceiling_pps_per_cpu_s, ratio,\n"
	"loss, latency_us {p50, p99}, and details.\n"
	"\n"
	"  --relay SOCKET   use the relay behind this control socket (default: start\n"
	"                   bin/amphi-relay next to this binary, with --workers and\n"
	"                   --port-base, default 0 = one per CPU and 41000)\n"
	"  --transport      sdes only in this build (webrtc viewers are not implemented)\n"
	"  --json FILE      also write the JSON object to FILE\n");
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
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
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
		else if (!strcmp(a, "--transport") && !strcmp(val, "sdes"))
			;
		else if (!strcmp(a, "--json"))
			o->json = val;
		else if (!strcmp(a, "--relay"))
			o->relay = val;
		else if (!strcmp(a, "--workers") && !parse_num(val, 0, 256, &v))
			o->workers = (int)v;
		else if (!strcmp(a, "--port-base") && !parse_num(val, 1024, 65000, &v))
			o->port_base = (int)v;
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

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

static int fanout(const struct opts *o)
{
	char tmpdir[] = "/tmp/amphi-bench.XXXXXX", sock[PATH_MAX], logp[PATH_MAX];
	char relay_bin[PATH_MAX], id[64], b64[64];
	uint8_t key[KEYS_MAX];
	struct viewers *vs = NULL;
	struct ctl_client *cl = NULL;
	struct ceiling_result ceil;
	struct viewers_result vr;
	struct proc_cpu c0, c1, cd;
	uint16_t *ports = NULL;
	const char *host;
	json_t *resp, *out = NULL, *threads;
	pid_t own = 0, pid;
	uint64_t published = 0;
	double out0, out1, expected;
	int port, rc = 1;
	char err[256];
	size_t max_samples;
	unsigned stride;

	/* two sockets per viewer (receiver, ceiling sender) plus the relay's */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (o->relay) {
		snprintf(sock, sizeof sock, "%s", o->relay);
	} else {
		ssize_t n = readlink("/proc/self/exe", relay_bin, sizeof relay_bin - 32);

		if (n <= 0 || !mkdtemp(tmpdir)) {
			fprintf(stderr, "amphi-bench: cannot find own path or make %s\n", tmpdir);
			return 1;
		}
		relay_bin[n] = 0;
		strcpy(strrchr(relay_bin, '/') + 1, "amphi-relay");
		snprintf(sock, sizeof sock, "%s/relay.sock", tmpdir);
		snprintf(logp, sizeof logp, "%s/relay.log", tmpdir);
		own = proc_relay_start(relay_bin, sock, o->port_base, o->workers, logp);
		if (own < 0) {
			fprintf(stderr, "amphi-bench: cannot start %s: %s (log: %s)\n",
			        relay_bin, strerror(-own), logp);
			return 1;
		}
	}
	pid = proc_peer_pid(sock);
	cl = ctl_client_connect(sock, 5000, err, sizeof err);
	if (pid < 0 || !cl) {
		fprintf(stderr, "amphi-bench: relay at %s: %s\n", sock,
		        pid < 0 ? strerror(-pid) : err);
		goto out;
	}

	max_samples = (size_t)((double)o->bitrate / 8 / (double)o->packet_size *
	                       (o->seconds + 1) * o->viewers);
	if (max_samples > 8u << 20)
		max_samples = 8u << 20;
	if (viewers_open(&vs, o->viewers, max_samples) < 0 ||
	    !(ports = calloc(o->viewers, sizeof *ports))) {
		fprintf(stderr, "amphi-bench: cannot open %u viewer sockets\n", o->viewers);
		goto out;
	}
	for (unsigned i = 0; i < o->viewers; i++)
		ports[i] = viewers_port(vs, i);

	/* 1. the raw ceiling, to the very sockets the viewers will use */
	if (viewers_start(vs, 0) < 0 ||
	    ceiling_run(ports, o->viewers, o->packet_size, o->seconds < 2 ? o->seconds : 2,
	                &ceil) < 0) {
		fprintf(stderr, "amphi-bench: raw ceiling run failed\n");
		goto out;
	}
	viewers_stop(vs, &vr);

	/* 2. stream and viewers through the control socket */
	snprintf(id, sizeof id, "bench-%d", (int)getpid());
	keys_random(o->gcm, key, b64, sizeof b64);
	resp = relay_call(cl, json_pack(
		"{s:s, s:s, s:[{s:s, s:s, s:i, s:i}], s:{s:s, s:s}}",
		"cmd", "stream.create", "id", id,
		"tracks", "kind", "video", "codec", "VP8", "pt", 96, "clock_rate", 90000,
		"ingest", "suite", keys_suite_name(o->gcm), "key", b64));
	if (!resp)
		goto out;
	host = json_string_value(json_object_get(json_object_get(resp, "ingest"), "host"));
	port = (int)json_integer_value(json_object_get(json_object_get(resp, "ingest"), "port"));
	host = host ? strdupa(host) : "127.0.0.1";
	json_decref(resp);
	for (unsigned i = 0; i < o->viewers; i++) {
		uint8_t vkey[KEYS_MAX];
		char vb64[64], vid[32], addr[32];

		keys_random(o->gcm, vkey, vb64, sizeof vb64);
		snprintf(vid, sizeof vid, "v%u", i);
		snprintf(addr, sizeof addr, "127.0.0.1:%u", ports[i]);
		if (viewers_set_key(vs, i, o->gcm, vkey) < 0)
			goto out;
		resp = relay_call(cl, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
		                                "cmd", "viewer.add", "stream", id, "id", vid,
		                                "suite", keys_suite_name(o->gcm), "key", vb64,
		                                "addr", addr));
		if (!resp)
			goto out;
		json_decref(resp);
	}

	/* 3. publish, receive, measure: decrypt about DECRYPT_BUDGET packets a
	 * second, spread over every viewer (viewers.h says why) */
	stride = (unsigned)((double)o->bitrate / 8 / (double)o->packet_size *
	                    o->viewers / DECRYPT_BUDGET) + 1;
	if (viewers_start(vs, stride) < 0)
		goto out;
	out0 = stream_pkts_out(cl, id);
	proc_cpu_read(pid, &c0);
	{
		struct publisher_cfg pc = {
			.host = host, .port = (uint16_t)port, .gcm = o->gcm, .key = key,
			.packet_size = o->packet_size, .bitrate = o->bitrate,
			.seconds = o->seconds, .pt = 96,
		};
		if (publisher_run(&pc, &published) < 0) {
			fprintf(stderr, "amphi-bench: publisher failed\n");
			viewers_stop(vs, &vr);
			goto out;
		}
	}
	sleep_s(0.3);           /* let the last packets arrive */
	proc_cpu_read(pid, &c1);
	out1 = stream_pkts_out(cl, id);
	viewers_stop(vs, &vr);
	proc_cpu_diff(&c0, &c1, &cd);
	relay_call(cl, json_pack("{s:s, s:s}", "cmd", "stream.delete", "id", id));

	/* 4. report */
	expected = (double)published * o->viewers;
	{
		double egress = out1 - out0;
		double pps_cpu = cd.cpu_s > 0 ? egress / cd.cpu_s : 0;
		double loss = expected > 0 ? 1.0 - (double)vr.datagrams / expected : 1;

		if (loss < 0)
			loss = 0;
		threads = json_array();
		for (unsigned i = 0; i < cd.nthreads; i++)
			if (cd.threads[i].cpu_s > 0)
				json_array_append_new(threads, json_pack("{s:s, s:f}",
				                      "name", cd.threads[i].comm,
				                      "cpu_s", cd.threads[i].cpu_s));
		out = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:f,"
		                " s:f, s:f, s:f, s:f, s:f, s:f,"
		                " s:{s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o,"
		                " s:{s:I, s:f, s:f}}",
		                "bench", "fanout", "transport", "sdes",
		                "suite", keys_suite_name(o->gcm),
		                "viewers", (json_int_t)o->viewers,
		                "bitrate", (json_int_t)o->bitrate,
		                "packet_size", (json_int_t)o->packet_size,
		                "seconds", o->seconds,
		                "egress_pps", egress / o->seconds,
		                "relay_cpu_s", cd.cpu_s,
		                "egress_pps_per_cpu_s", pps_cpu,
		                "raw_ceiling_pps_per_cpu_s", ceil.pps_per_cpu_s,
		                "ratio", ceil.pps_per_cpu_s > 0 ? pps_cpu / ceil.pps_per_cpu_s : 0,
		                "loss", loss,
		                "latency_us", "p50", (json_int_t)vr.p50_us,
		                "p99", (json_int_t)vr.p99_us, "max", (json_int_t)vr.max_us,
		                "published", (json_int_t)published,
		                "relay_pkts_out", (json_int_t)egress,
		                "received", (json_int_t)vr.datagrams,
		                "decrypted", (json_int_t)vr.decrypted,
		                "decrypt_stride", (json_int_t)stride,
		                "auth_fail", (json_int_t)vr.auth_fail,
		                "replayed", (json_int_t)vr.replayed,
		                "rtcp_received", (json_int_t)vr.rtcp,
		                "min_received_per_viewer", (json_int_t)vr.min_per_viewer,
		                "relay_threads", threads,
		                "raw_ceiling", "sent", (json_int_t)ceil.sent,
		                "cpu_s", ceil.cpu_s, "wall_s", ceil.wall_s);
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
	rc = 0;
out:
	json_decref(out);
	if (cl)
		ctl_client_close(cl);
	viewers_close(vs);
	free(ports);
	if (own > 0) {
		proc_relay_stop(own);
		if (rc == 0) {
			unlink(logp);
			rmdir(tmpdir);
		}
	}
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
