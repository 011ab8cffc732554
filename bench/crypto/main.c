/* amphi-crypto-bench: per-packet SRTP protect cost of libsrtp (Debian: NSS)
 * against the relay's EVP egress transform (relay/srtp_evp.c), both suites,
 * with 1 and with 1000 contexts (one per viewer: with many, the key schedules
 * no longer sit in L1), and for AES-CM the transform as the fan-out drives
 * it: tags left for srtp_tags_run and hashed many at a time (relay/sha1_mb).
 * Reported as ratios measured in the same run.
 *
 * A microbenchmark of one relay module, so unlike amphi-bench (a client of a
 * running stack, bench/main.c) it links librelay.a.  bench/crypto.bench runs
 * it for `make bench`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "relay/srtp.h"
#include "relay/sha1_mb.h"
#include "relay/srtp_evp.h"

enum impl { IMPL_LIBSRTP, IMPL_EVP, IMPL_EVP_BATCHED };
static const char *const impl_names[] = { "libsrtp", "evp", "evp_batched" };

struct result {
	enum srtp_suite suite;
	unsigned contexts;
	enum impl impl;
	double pps;             /* packets protected per CPU-second */
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Protect size-byte packets round-robin over n contexts for about `seconds`
 * of CPU time; each packet is first copied from a template, as the fan-out
 * copies the shared plaintext into a viewer's send buffer.  Batched, each
 * packet of a batch has its own buffer, as the fan-out's send slots do. */
static int run(struct result *r, size_t size, double seconds)
{
	static uint8_t ring[SRTP_TAGS_MAX][2048] __attribute__((aligned(16)));
	static struct srtp_tags tags;
	unsigned n = r->contexts;
	void **ctx = calloc(n, sizeof *ctx);
	uint8_t tmpl[2048], key[30];
	uint16_t seq = 0;
	unsigned long done = 0;
	double t0, t;
	int rc = 0;

	if (!ctx)
		return -ENOMEM;
	RAND_bytes(tmpl, sizeof tmpl);
	tmpl[0] = 0x80;
	tmpl[1] = 96;
	for (unsigned i = 0; i < n; i++) {
		RAND_bytes(key, sizeof key);
		if (r->impl == IMPL_LIBSRTP) {
			if (srtp_reference_create((srtp_t *)&ctx[i], r->suite, key, 1) < 0)
				ctx[i] = NULL;
		} else if (srtp_evp_create((struct srtp_evp **)&ctx[i], r->suite, key) < 0)
			ctx[i] = NULL;
		if (!ctx[i]) {
			rc = -EIO;
			goto out;
		}
	}
	t0 = cpu_now();
	do {
		for (unsigned b = 0; b < 256; b++, done++) {
			unsigned c = (unsigned)(done % n);
			size_t len = size - srtp_suite_overhead(r->suite);
			uint8_t *pkt = ring[r->impl == IMPL_EVP_BATCHED ? done % SRTP_TAGS_MAX : 0];

			if (c == 0)
				seq++;
			if (tags.n == SRTP_TAGS_MAX)
				srtp_tags_run(&tags);
			memcpy(pkt, tmpl, len);
			pkt[2] = (uint8_t)(seq >> 8);
			pkt[3] = (uint8_t)seq;
			if (r->impl == IMPL_LIBSRTP) {
				int l = (int)len;

				if (srtp_protect(ctx[c], pkt, &l) != srtp_err_status_ok)
					rc = -EIO;
			} else if (srtp_evp_protect(ctx[c], pkt, &len, sizeof ring[0],
			                            r->impl == IMPL_EVP_BATCHED ? &tags : NULL) < 0) {
				rc = -EIO;
			}
		}
		srtp_tags_run(&tags);
		t = cpu_now() - t0;
	} while (t < seconds && rc == 0);
	r->pps = (double)done / t;
out:
	for (unsigned i = 0; i < n; i++) {
		if (!ctx[i])
			continue;
		if (r->impl == IMPL_LIBSRTP)
			srtp_dealloc(ctx[i]);
		else
			srtp_evp_destroy(ctx[i]);
	}
	free(ctx);
	return rc;
}

#define CM SRTP_SUITE_AES_CM_128_HMAC_SHA1_80
#define GCM SRTP_SUITE_AEAD_AES_128_GCM

/* The rate of one case of res. */
static double pps(const struct result *res, unsigned n, enum srtp_suite s, unsigned contexts, enum impl im)
{
	for (unsigned i = 0; i < n; i++)
		if (res[i].suite == s && res[i].contexts == contexts && res[i].impl == im)
			return res[i].pps;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: amphi-crypto-bench [--seconds S] [--packet-size BYTES] [--json FILE]\n"
	        "  Protect rate of libsrtp against the relay's EVP SRTP transform, both\n"
	        "  suites, 1 and 1000 contexts, and for AES-CM the EVP transform with\n"
	        "  its tags computed many at a time, as the fan-out does; prints one\n"
	        "  JSON object (also to FILE).\n"
	        "  --seconds S        CPU seconds per case (default 0.5)\n"
	        "  --packet-size B    bytes on the wire, tag included (default 1200)\n");
}

int main(int argc, char **argv)
{
	double seconds = 0.5;
	size_t size = 1200;
	const char *json = NULL;
	static const unsigned counts[] = { 1, 1000 };
	struct result res[10];
	unsigned nres = 0;
	char out[4096];
	int o = 0;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			seconds = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--packet-size") && i + 1 < argc) {
			size = (size_t)atol(argv[++i]);
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			json = argv[++i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (seconds <= 0 || seconds > 60 || size < 64 || size > 1500) {
		fprintf(stderr, "amphi-crypto-bench: --seconds in (0,60], --packet-size in [64,1500]\n");
		return 2;
	}
	if (srtp_layer_init() < 0) {
		fprintf(stderr, "amphi-crypto-bench: libsrtp init failed\n");
		return 1;
	}
	for (int s = 0; s < 2; s++)
		for (unsigned c = 0; c < 2; c++)
			for (int im = 0; im < (s ? 2 : 3); im++) {
				struct result *r = &res[nres++];

				r->suite = s ? SRTP_SUITE_AEAD_AES_128_GCM
				             : SRTP_SUITE_AES_CM_128_HMAC_SHA1_80;
				r->contexts = counts[c];
				r->impl = (enum impl)im;
				if (run(r, size, seconds) < 0) {
					fprintf(stderr, "amphi-crypto-bench: %s protect failed\n", impl_names[im]);
					return 1;
				}
			}
	o += snprintf(out + o, sizeof out - (size_t)o,
	              "{\"bench\":\"crypto\",\"packet_size\":%zu,\"cpu_seconds_per_case\":%.3f,\"sha1_lanes\":%u,\"cases\":[",
	              size, seconds, sha1_mb_lanes());
	for (unsigned i = 0; i < nres; i++)
		o += snprintf(out + o, sizeof out - (size_t)o,
		              "%s{\"suite\":\"%s\",\"contexts\":%u,\"impl\":\"%s\",\"pps_per_cpu_s\":%.0f}",
		              i ? "," : "", srtp_suite_name(res[i].suite), res[i].contexts,
		              impl_names[res[i].impl], res[i].pps);
	o += snprintf(out + o, sizeof out - (size_t)o,
	              "],\"evp_over_libsrtp\":{\"cm_1\":%.2f,\"cm_1000\":%.2f,\"gcm_1\":%.2f,\"gcm_1000\":%.2f}",
	              pps(res, nres, CM, 1, IMPL_EVP) / pps(res, nres, CM, 1, IMPL_LIBSRTP),
	              pps(res, nres, CM, 1000, IMPL_EVP) / pps(res, nres, CM, 1000, IMPL_LIBSRTP),
	              pps(res, nres, GCM, 1, IMPL_EVP) / pps(res, nres, GCM, 1, IMPL_LIBSRTP),
	              pps(res, nres, GCM, 1000, IMPL_EVP) / pps(res, nres, GCM, 1000, IMPL_LIBSRTP));
	/* what the fan-out's batched tags buy over one protect at a time */
	o += snprintf(out + o, sizeof out - (size_t)o,
	              ",\"cm_batched_over_evp\":{\"1\":%.2f,\"1000\":%.2f}",
	              pps(res, nres, CM, 1, IMPL_EVP_BATCHED) / pps(res, nres, CM, 1, IMPL_EVP),
	              pps(res, nres, CM, 1000, IMPL_EVP_BATCHED) / pps(res, nres, CM, 1000, IMPL_EVP));
	/* GCM over CM on the EVP path: what choosing the preferred suite buys */
	o += snprintf(out + o, sizeof out - (size_t)o,
	              ",\"evp_gcm_over_cm\":{\"1\":%.2f,\"1000\":%.2f}}\n",
	              pps(res, nres, GCM, 1, IMPL_EVP) / pps(res, nres, CM, 1, IMPL_EVP),
	              pps(res, nres, GCM, 1000, IMPL_EVP) / pps(res, nres, CM, 1000, IMPL_EVP));
	fputs(out, stdout);
	if (json) {
		f = fopen(json, "w");
		if (!f || fputs(out, f) < 0 || fclose(f) != 0) {
			fprintf(stderr, "amphi-crypto-bench: cannot write %s\n", json);
			return 1;
		}
	}
	return 0;
}
