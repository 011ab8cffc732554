/* throttle: see throttle.h. */
#include "control/throttle.h"
#include "control/auth.h"
#include "control/http.h"
#include "control/ratelimit.h"
#include "common/clock.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bucket and lock tables: enough for every address and email of a large
 * attack to keep its state for a while; a full table forgets the stalest. */
#define BUCKET_SLOTS 16384
#define LOCK_SLOTS 16384
#define LOCK_PROBE 8
/* In-flight keys: at most one per waiting or running hash, and the queue is
 * bounded (pwhash.h), so a small table always has room. */
#define INFLIGHT_SLOTS 1024

struct lock_rec {
	uint64_t key;          /* 0: free */
	int failed;            /* wrong passwords in a row */
	int locks;             /* locks so far: the next one doubles */
	int64_t locked_until;  /* amphi_now() seconds */
	int64_t seen;          /* last failure, for eviction */
};

struct inflight {
	uint64_t key;          /* 0: free */
	unsigned n;
};

static struct {
	int threshold;
	int64_t lock_base, lock_max;
	unsigned char hkey[crypto_shorthash_KEYBYTES];
	struct rate_limit *source, *reset;
	pthread_mutex_t lmu, imu;   /* guard locks[], inflight[] */
	struct lock_rec *locks;
	struct inflight inflight[INFLIGHT_SLOTS];
} g = { .lmu = PTHREAD_MUTEX_INITIALIZER, .imu = PTHREAD_MUTEX_INITIALIZER };

int throttle_init(const struct auth_config *cfg)
{
	g.threshold = cfg->lock_threshold;
	g.lock_base = cfg->lock_base_s;
	g.lock_max = cfg->lock_max_s;
	crypto_shorthash_keygen(g.hkey);
	g.source = rate_limit_create(cfg->source_burst, cfg->source_refill_s * 1000000000LL, BUCKET_SLOTS);
	g.reset = rate_limit_create(cfg->reset_burst, cfg->reset_refill_s * 1000000000LL, BUCKET_SLOTS);
	g.locks = calloc(LOCK_SLOTS, sizeof *g.locks);
	if (!g.source || !g.reset || !g.locks)
		return -ENOMEM;
	return 0;
}

uint64_t throttle_key(enum throttle_kind kind, const void *s, size_t len)
{
	unsigned char buf[320], out[crypto_shorthash_BYTES];
	uint64_t k;

	if (len > sizeof buf - 1)
		len = sizeof buf - 1;
	buf[0] = (unsigned char)kind;
	memcpy(buf + 1, s, len);
	if (kind == THROTTLE_EMAIL)   /* the accounts table compares emails case-insensitively */
		for (size_t i = 1; i <= len; i++)
			if (buf[i] >= 'A' && buf[i] <= 'Z')
				buf[i] = (unsigned char)(buf[i] - 'A' + 'a');
	crypto_shorthash(out, buf, len + 1, g.hkey);
	memcpy(&k, out, sizeof k);
	return k ? k : 1;
}

static int take(struct rate_limit *rl, uint64_t key, int64_t *retry_s)
{
	int64_t retry_ns = 0;
	if (rate_limit_take(rl, key, amphi_mono_ns(), &retry_ns) == 0)
		return 0;
	if (retry_s)
		*retry_s = (retry_ns + 999999999) / 1000000000;
	return -EAGAIN;
}

int throttle_source_take(uint64_t source, int64_t *retry_s)
{
	return take(g.source, source, retry_s);
}

unsigned throttle_source_left(uint64_t source)
{
	return rate_limit_left(g.source, source, amphi_mono_ns());
}

int throttle_reset_take(uint64_t email, int64_t *retry_s)
{
	return take(g.reset, email, retry_s);
}

int throttle_inflight_take(uint64_t key, unsigned max)
{
	struct inflight *free_slot = NULL;
	int rc = -EBUSY;

	pthread_mutex_lock(&g.imu);
	for (unsigned i = 0; i < INFLIGHT_SLOTS; i++) {
		struct inflight *f = &g.inflight[(key + i) % INFLIGHT_SLOTS];
		if (f->key == key) {
			if (f->n < max) {
				f->n++;
				rc = 0;
			}
			goto out;
		}
		if (f->key == 0 && !free_slot)
			free_slot = f;
	}
	if (free_slot) {
		free_slot->key = key;
		free_slot->n = 1;
		rc = 0;
	}
out:
	pthread_mutex_unlock(&g.imu);
	return rc;
}

void throttle_inflight_put(uint64_t key)
{
	pthread_mutex_lock(&g.imu);
	for (unsigned i = 0; i < INFLIGHT_SLOTS; i++) {
		struct inflight *f = &g.inflight[(key + i) % INFLIGHT_SLOTS];
		if (f->key == key) {
			if (--f->n == 0)
				f->key = 0;
			break;
		}
	}
	pthread_mutex_unlock(&g.imu);
}

/* The record of key, or NULL; with create, a fresh one in a free or the
 * stalest slot.  Caller holds lmu. */
static struct lock_rec *lock_find(uint64_t key, bool create)
{
	struct lock_rec *stalest = NULL;

	for (unsigned i = 0; i < LOCK_PROBE; i++) {
		struct lock_rec *r = &g.locks[(key + i) % LOCK_SLOTS];
		if (r->key == key)
			return r;
		if (!stalest || r->key == 0 || (stalest->key != 0 && r->seen < stalest->seen))
			stalest = r;
	}
	if (!create)
		return NULL;
	*stalest = (struct lock_rec){ .key = key };
	return stalest;
}

int64_t throttle_locked(uint64_t key, int64_t now)
{
	pthread_mutex_lock(&g.lmu);
	struct lock_rec *r = lock_find(key, false);
	int64_t left = r && r->locked_until > now ? r->locked_until - now : 0;
	pthread_mutex_unlock(&g.lmu);
	return left;
}

int64_t throttle_fail(uint64_t key, int64_t now)
{
	int64_t delay = 0;

	pthread_mutex_lock(&g.lmu);
	struct lock_rec *r = lock_find(key, true);
	r->seen = now;
	if (++r->failed >= g.threshold) {
		r->failed = 0;
		delay = throttle_lock_delay(++r->locks);
		r->locked_until = now + delay;
	}
	pthread_mutex_unlock(&g.lmu);
	return delay;
}

void throttle_clear(uint64_t key)
{
	pthread_mutex_lock(&g.lmu);
	struct lock_rec *r = lock_find(key, false);
	if (r)
		r->key = 0;
	pthread_mutex_unlock(&g.lmu);
}

void throttle_answer(struct http_req *req, int status, const char *error, const char *message,
                     int64_t retry_after)
{
	char ra[32];
	snprintf(ra, sizeof ra, "%lld", (long long)retry_after);
	http_set_header(req, "Retry-After", ra);
	http_error_json(req, status, error, json_pack("{s:s,s:I}", "message", message,
	                                              "retry_after", (json_int_t)retry_after));
}

int throttle_reset_allowed(struct http_req *req, const char *email)
{
	int64_t retry = 0;
	if (throttle_source_take(throttle_key(THROTTLE_SOURCE, req->client_ip, strlen(req->client_ip)), &retry) != 0 ||
	    throttle_reset_take(throttle_key(THROTTLE_EMAIL, email, strlen(email)), &retry) != 0) {
		throttle_answer(req, 429, "too_many_attempts", "too many attempts from here or for this address: "
		                "try again later", retry);
		return -EAGAIN;
	}
	return 0;
}

int64_t throttle_lock_delay(int n)
{
	int64_t d = g.lock_base;
	for (int i = 1; i < n && d < g.lock_max; i++)
		d *= 2;
	return d < g.lock_max ? d : g.lock_max;
}
