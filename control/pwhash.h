/* pwhash: the password-hashing queue of amphi-control (issue 11 item 3).
 *
 * Argon2id at libsodium's moderate level costs about 0.5 s of one core and
 * 256 MiB per hash.  Hashes run on their own threads (PWHASH_THREADS at a
 * lower scheduling priority than request handling, and the reserved lane
 * below at the same), never on an HTTP worker:
 * a login hands its verification to this queue, defers its answer
 * (http_defer) and frees its worker, so a flood of logins cannot delay
 * /healthz, WHIP/WHEP or any other request.
 *
 * The queue is bounded (queue_max jobs waiting) and served by credit, then
 * in order of arrival.  A login's credit is what its source address has left
 * of its attempts (throttle.h) at the moment a thread picks the next job, so
 * a client that has been quiet goes before the addresses of a flood, whose
 * later attempts lower the credit of their earlier ones; a trusted device
 * (devcookie.h) and a signed-in person get PWHASH_CREDIT_MAX.  When the queue
 * is full, a job with more credit than the poorest waiting one takes its
 * place (that one ends with -EAGAIN); otherwise pwhash_submit refuses at once
 * with -EAGAIN and the caller answers 503 with Retry-After.
 *
 * Lanes.  Order alone cannot help a job that arrives while every thread is
 * in the middle of a flood's hash: a hash cannot be preempted, so it would
 * wait for the rest of one (about a second with both cores busy) before its
 * own.  So PWHASH_THREADS general threads take any job (the richest first),
 * and PWHASH_RESERVED more take only jobs whose credit is at least the
 * reserve given to pwhash_start (a login from an address that has not been
 * trying, a trusted device, a signed-in person): a flood whose addresses have
 * spent their attempts can never occupy them, and a deserving job starts at
 * once.  A waiting job's credit is read again whenever a job arrives or a
 * thread frees.  Memory: at most PWHASH_THREADS + PWHASH_RESERVED hashes at
 * a time, each of memlimit bytes (3 x 256 MiB by default).
 *
 * Ownership: the caller owns the job and everything in it; from a successful
 * pwhash_submit until `done` runs the queue may read and write it, and the
 * caller must not touch it.  `done` runs exactly once, on a hashing thread
 * (or in pwhash_stop for a job it cancels): it must not block, and usually
 * calls http_continue.  The password is the caller's buffer; the thread
 * that hashes it works on a copy (wiped after), so that pwhash_stop can
 * answer a running job at once; the caller wipes its own once `done` has
 * run. */
#ifndef AMPHI_CONTROL_PWHASH_H
#define AMPHI_CONTROL_PWHASH_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>

/* Two general threads bound what a flood can take, 2 x 256 MiB and two
 * hashes' worth of CPU, whatever the login rate; the reserved lane adds one
 * hash (256 MiB) that only deserving jobs may use. */
#define PWHASH_THREADS 2
#define PWHASH_RESERVED 1
#define PWHASH_CREDIT_MAX 0xffffffffu

enum pwhash_op {
	PWHASH_VERIFY,   /* password against hash; rehashed when the limits changed */
	PWHASH_HASH,     /* a new hash of password into hash */
};

struct pwhash_job {
	enum pwhash_op op;
	const char *password;                 /* the caller's, NUL-terminated */
	char hash[crypto_pwhash_STRBYTES];    /* VERIFY: the stored hash; HASH: the result */
	char rehash[crypto_pwhash_STRBYTES];  /* VERIFY: a fresh hash when the stored one used other limits, else "" */
	unsigned credit;                      /* more is served first ... */
	unsigned (*credit_fn)(const struct pwhash_job *job);   /* ... or asks this, when set (under the queue's lock: must not block) */
	/* 0 (VERIFY: the password matches; HASH: hash is filled), -EACCES
	 * (VERIFY: no match), -ENOMEM, -EAGAIN (pushed out of a full queue by a
	 * job with more credit) or -ECANCELED (pwhash_stop). */
	int result;
	void (*done)(struct pwhash_job *job);
	void *arg;                            /* the caller's */
	struct pwhash_job *next_;             /* private: in the queue */
};

/* Starts the hashing threads with the limits every new hash uses; jobs with
 * at least reserve credit may use the reserved lane.  0, -EINVAL (queue_max
 * 0) or -errno from pthread_create. */
int pwhash_start(unsigned queue_max, unsigned reserve, unsigned long long opslimit, size_t memlimit);
/* Cancels every waiting and running job at once (done runs with
 * -ECANCELED), without waiting for a hash in progress: its thread drops the
 * result and ends (the threads are detached, not joined).  Later
 * submissions get -ESHUTDOWN.  For the end of the process only. */
void pwhash_stop(void);

/* Queues job.  0; -EAGAIN when queue_max jobs already wait; -ESHUTDOWN. */
int pwhash_submit(struct pwhash_job *job);
/* Queues job and waits for its result (for the daemon's start-up: a request
 * never waits, it defers with pwhash_submit): returns
 * job->result, or -EAGAIN / -ESHUTDOWN as pwhash_submit.  done, arg and
 * credit (PWHASH_CREDIT_MAX) are set here. */
int pwhash_wait(struct pwhash_job *job);

/* Jobs waiting now (for /metrics and tests). */
unsigned pwhash_queued(void);

/* Writes an Argon2id string with the limits of pwhash_start, a random salt
 * and a random tag into out: verifying any password against it costs what
 * verifying against a hash made now costs, and none matches (the tag is 256
 * random bits no password was hashed to).  Formatted, not computed: it costs
 * no hash.  0, or -EINVAL before pwhash_start. */
int pwhash_dummy(char out[crypto_pwhash_STRBYTES]);

#endif
