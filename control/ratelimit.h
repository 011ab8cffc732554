/* ratelimit: per-participant token buckets for chat, questions and votes
 * (the 429 of the live endpoints).
 *
 * A bucket holds up to `burst` tokens and gains one every `refill_ns`; each
 * write takes one.  Buckets live in a fixed table of `slots` entries keyed by a
 * 64-bit key the caller derives (participant id and kind of write), so memory
 * is bounded whatever the audience does: when a probe finds no free slot, the
 * bucket untouched for the longest time is reused, which can only ever
 * forgive, never punish, the participant it belonged to.  Thread-safe (one
 * mutex); times are monotonic nanoseconds passed in by the caller, which makes
 * the tests exact. */
#ifndef AMPHI_CONTROL_RATELIMIT_H
#define AMPHI_CONTROL_RATELIMIT_H

#include <stdint.h>

struct rate_limit;

/* NULL on ENOMEM; burst >= 1, refill_ns >= 1, slots rounded up to a power of two. */
struct rate_limit *rate_limit_create(unsigned burst, int64_t refill_ns, unsigned slots);
void rate_limit_destroy(struct rate_limit *rl);

/* 0 when the write may go ahead (a token was taken), or -EAGAIN with
 * *retry_ns (may be NULL) set to the wait until the next token. */
int rate_limit_take(struct rate_limit *rl, uint64_t key, int64_t now_ns, int64_t *retry_ns);

/* Whole tokens key has left now (burst for a key never seen); takes none. */
unsigned rate_limit_left(struct rate_limit *rl, uint64_t key, int64_t now_ns);

/* Key of (kind, webinar, participant): kind separates chat from questions. */
uint64_t rate_limit_key(unsigned kind, int64_t webinar, int64_t participant);

#endif
