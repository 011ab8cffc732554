/* recbench: index lookup rate for bench/recstore.bench.
 *
 *   recbench index --dir DIR [--entries N] [--seconds S] [--threads T]
 *
 * Fills a fresh index in DIR with N recordings (one transaction per put, as
 * the daemon does), then runs rec_index_get (the lookup every FUSE request
 * and control command makes, clock check included) on random ids from T
 * threads for S seconds.  Prints one JSON object. */
#include "common/clock.h"
#include "recstore/index.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct rec_index *idx;
static long entries = 100000;
static double seconds = 2;
static atomic_ullong total, misses;

static void *lookups(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	int64_t end = amphi_mono_ns() + (int64_t)(seconds * 1e9);
	unsigned long long n = 0, miss = 0;
	struct rec_entry e;
	char id[32];

	while (amphi_mono_ns() < end) {
		for (int i = 0; i < 1000; i++) {
			snprintf(id, sizeof id, "rec%07ld", (long)(rand_r(&seed) % entries));
			if (rec_index_get(idx, id, &e) != 0)
				miss++;
			n++;
		}
	}
	atomic_fetch_add(&total, n);
	atomic_fetch_add(&misses, miss);
	return NULL;
}

int main(int argc, char **argv)
{
	const struct rec_actor who = { "bench", "fill" };
	const char *dir = NULL;
	int threads = 1;
	pthread_t th[64];
	char err[256];
	int64_t t0, t1;

	if (argc < 2 || strcmp(argv[1], "index") != 0) {
		fprintf(stderr, "usage: recbench index --dir DIR [--entries N] [--seconds S] [--threads T]\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
		else if (!strcmp(argv[i], "--entries")) entries = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
		else { fprintf(stderr, "recbench: unknown option %s\n", argv[i]); return 2; }
	}
	if (!dir || entries < 1 || threads < 1 || threads > 64 || seconds <= 0) {
		fprintf(stderr, "recbench: --dir is required; entries >= 1, 1 <= threads <= 64\n");
		return 2;
	}
	if (rec_index_open(dir, 0, &idx, err, sizeof err)) {
		fprintf(stderr, "recbench: %s\n", err);
		return 1;
	}
	t0 = amphi_mono_ns();
	for (long i = 0; i < entries; i++) {
		struct rec_entry e;
		memset(&e, 0, sizeof e);
		snprintf(e.id, sizeof e.id, "rec%07ld", i);
		snprintf(e.webinar, sizeof e.webinar, "w%ld", i % 1000);
		snprintf(e.org, sizeof e.org, "o%ld", i % 50);
		snprintf(e.blob, sizeof e.blob, "%s.webm", e.id);
		e.start = e.end = e.webinar_date = amphi_now() - i;
		e.expires_at = amphi_now() + 86400;
		if (rec_index_put(idx, &e, &who)) {
			fprintf(stderr, "recbench: put %ld failed\n", i);
			return 1;
		}
	}
	t1 = amphi_mono_ns();
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, lookups, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	printf("{\"entries\":%ld,\"fill_puts_per_s\":%.0f,\"threads\":%d,\"seconds\":%.2f,"
	       "\"lookups\":%llu,\"misses\":%llu,\"lookups_per_s\":%.0f}\n",
	       entries, entries / ((t1 - t0) / 1e9), threads, seconds,
	       (unsigned long long)atomic_load(&total), (unsigned long long)atomic_load(&misses),
	       atomic_load(&total) / seconds);
	rec_index_close(idx);
	return atomic_load(&misses) ? 1 : 0;
}
