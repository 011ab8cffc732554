/* throttle: how often logins and reset requests may be tried, and the lock
 * records kept in memory (issue 11 items 3 and 4; numbers in docs/control.md).
 *
 *   - per source address: logins and reset requests share one token bucket
 *     (source_burst at once, then one every source_refill_s), and at most
 *     THROTTLE_SOURCE_INFLIGHT of its logins wait for or run a hash at a time;
 *   - per email address (known or not): at most one login from an untrusted
 *     client waits for or runs a hash at a time, so the lock count sees every
 *     attempt in order; reset requests get their own bucket (reset_burst,
 *     then one every reset_refill_s);
 *   - lock records: wrong passwords in a row and locks so far, with the same
 *     threshold and doubling delay as an account's (auth_config), for the
 *     emails that have no account and for device cookies (auth_device.h).
 *     Known accounts keep theirs in the accounts table.
 *
 * Keys are 64-bit keyed hashes (a random key made at start) of a kind and a
 * string: no address or email is kept in memory in clear, and the tables are
 * fixed-size (a full table forgets its stalest entry).  Thread-safe (one mutex
 * per table).  Times: amphi_now() seconds for locks, amphi_mono_ns() for
 * buckets. */
#ifndef AMPHI_CONTROL_THROTTLE_H
#define AMPHI_CONTROL_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct auth_config;
struct http_req;

#define THROTTLE_SOURCE_INFLIGHT 2   /* logins of one address hashing or queued */

enum throttle_kind {
	THROTTLE_SOURCE = 1,   /* a client address */
	THROTTLE_EMAIL,        /* an email as typed, case-folded */
	THROTTLE_DEVICE,       /* a device cookie's nonce */
	THROTTLE_ACCOUNT,      /* an account id (int64_t): hashes of signed-in people (auth_hashing_start) */
};

/* Makes the tables from the limits in cfg.  0 or -ENOMEM. */
int throttle_init(const struct auth_config *cfg);

uint64_t throttle_key(enum throttle_kind kind, const void *s, size_t len);

/* Takes a token of the source bucket (logins and reset requests).  0, or
 * -EAGAIN with *retry_s (whole seconds, >= 1) to wait. */
int throttle_source_take(uint64_t source, int64_t *retry_s);
/* Whole attempts the source has left now: a login's credit in the hashing
 * queue (pwhash.h). */
unsigned throttle_source_left(uint64_t source);
/* Takes a token of the email's reset-request bucket.  0 or -EAGAIN. */
int throttle_reset_take(uint64_t email, int64_t *retry_s);

/* In-flight guards: 0 when the key may start one more hash (and counts it),
 * -EBUSY when it has max already.  Every successful take is paired with one
 * put once the hash is over. */
int throttle_inflight_take(uint64_t key, unsigned max);
void throttle_inflight_put(uint64_t key);

/* Lock records of emails without an account and of device cookies. */
/* Seconds until key's lock ends, 0 when it is not locked. */
int64_t throttle_locked(uint64_t key, int64_t now);
/* A wrong password: returns the new lock's length in seconds when this
 * failure locks key, else 0. */
int64_t throttle_fail(uint64_t key, int64_t now);
/* A right password: forgets key's record. */
void throttle_clear(uint64_t key);

/* Answers status with {"error": error, "detail": {"message", "retry_after"}}
 * and a Retry-After header: the shape of 423 locked, 429 too_many_attempts. */
void throttle_answer(struct http_req *req, int status, const char *error, const char *message,
                     int64_t retry_after);
/* The limits of POST /api/password/reset-request: the source address's
 * bucket and the email's.  0 to go on, or -EAGAIN after answering 429. */
int throttle_reset_allowed(struct http_req *req, const char *email);

/* Length of the n-th lock in a row (n >= 1): lock_base doubling up to
 * lock_max (auth_config). */
int64_t throttle_lock_delay(int n);

#endif
