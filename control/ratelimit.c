/* ratelimit: see ratelimit.h. */
#include "control/ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#define PROBE 8   /* slots looked at per key before reusing the stalest */

struct bucket {
	uint64_t key;       /* 0: free slot (rate_limit_key never returns 0) */
	int64_t tokens_ns;  /* tokens held, in units of refill_ns: tokens * refill_ns */
	int64_t seen_ns;    /* when tokens_ns was last brought up to date */
};

struct rate_limit {
	pthread_mutex_t lock;
	int64_t refill_ns, cap_ns;   /* cap_ns = burst * refill_ns */
	unsigned mask;
	struct bucket *b;
};

struct rate_limit *rate_limit_create(unsigned burst, int64_t refill_ns, unsigned slots)
{
	struct rate_limit *rl;
	unsigned n = 16;

	if (burst < 1 || refill_ns < 1)
		return NULL;
	while (n < slots && n < (1u << 30))
		n <<= 1;
	rl = calloc(1, sizeof *rl);
	if (!rl || !(rl->b = calloc(n, sizeof *rl->b))) {
		free(rl);
		return NULL;
	}
	pthread_mutex_init(&rl->lock, NULL);
	rl->refill_ns = refill_ns;
	rl->cap_ns = (int64_t)burst * refill_ns;
	rl->mask = n - 1;
	return rl;
}

void rate_limit_destroy(struct rate_limit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->b);
	free(rl);
}

/* splitmix64 finalizer: spreads keys that differ in a few low bits. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t rate_limit_key(unsigned kind, int64_t webinar, int64_t participant)
{
	uint64_t k = mix(mix((uint64_t)webinar ^ ((uint64_t)kind << 56)) ^ (uint64_t)participant);
	return k ? k : 1;
}

int rate_limit_take(struct rate_limit *rl, uint64_t key, int64_t now_ns, int64_t *retry_ns)
{
	struct bucket *b = NULL, *stalest = NULL;
	int r = 0;

	if (key == 0)
		key = 1;
	pthread_mutex_lock(&rl->lock);
	for (unsigned i = 0; i < PROBE; i++) {
		struct bucket *c = &rl->b[(mix(key) + i) & rl->mask];
		if (c->key == key) {
			b = c;
			break;
		}
		if (!stalest || c->key == 0 || (stalest->key != 0 && c->seen_ns < stalest->seen_ns))
			stalest = c;
	}
	if (!b) {
		b = stalest;
		b->key = key;
		b->tokens_ns = rl->cap_ns;
		b->seen_ns = now_ns;
	}
	if (now_ns > b->seen_ns) {
		b->tokens_ns += now_ns - b->seen_ns;
		if (b->tokens_ns > rl->cap_ns)
			b->tokens_ns = rl->cap_ns;
		b->seen_ns = now_ns;
	}
	if (b->tokens_ns >= rl->refill_ns) {
		b->tokens_ns -= rl->refill_ns;
	} else {
		r = -EAGAIN;
		if (retry_ns)
			*retry_ns = rl->refill_ns - b->tokens_ns;
	}
	pthread_mutex_unlock(&rl->lock);
	return r;
}

unsigned rate_limit_left(struct rate_limit *rl, uint64_t key, int64_t now_ns)
{
	int64_t tokens_ns = rl->cap_ns;

	if (key == 0)
		key = 1;
	pthread_mutex_lock(&rl->lock);
	for (unsigned i = 0; i < PROBE; i++) {
		const struct bucket *c = &rl->b[(mix(key) + i) & rl->mask];
		if (c->key == key) {
			tokens_ns = c->tokens_ns + (now_ns > c->seen_ns ? now_ns - c->seen_ns : 0);
			break;
		}
	}
	pthread_mutex_unlock(&rl->lock);
	if (tokens_ns > rl->cap_ns)
		tokens_ns = rl->cap_ns;
	return (unsigned)(tokens_ns / rl->refill_ns);
}
