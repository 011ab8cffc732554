/* pwhash: see pwhash.h. */
#include "control/pwhash.h"
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* General hashing threads run this much nicer than the process: on a machine
 * with as many cores as hashing threads, request handling still gets the CPU
 * first.  The reserved lane does not: its one hash at a time is a login that
 * deserves an answer as soon as a request does, and on a machine busy with
 * other work a nicer thread gets a few percent of a core (a hash then takes
 * many seconds). */
#define PWHASH_NICE 3
#define NTHREADS (PWHASH_THREADS + PWHASH_RESERVED)   /* slots from PWHASH_THREADS on: the reserved lane */

static struct {
	pthread_mutex_t mu;              /* guards everything below */
	pthread_cond_t cond;             /* a job arrived (broadcast: the reserved lane looks too), or stop */
	struct pwhash_job *head, *tail;  /* waiting jobs in order of arrival */
	unsigned queued, queue_max;
	unsigned reserve;                /* least credit the reserved lane serves */
	bool stop, started;
	unsigned long long opslimit;
	size_t memlimit;
	pthread_t threads[NTHREADS];
	struct pwhash_job *running[NTHREADS];   /* hashed now; NULL once pwhash_stop answered it */
} g = { .mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* A running job's inputs and outputs, copied out of the caller's job: a
 * hash takes seconds on a busy machine, and pwhash_stop answers a running
 * job at once instead of waiting for it, after which the caller may free
 * the job while its hash still runs here. */
struct work {
	enum pwhash_op op;
	char *password;                       /* owned copy, wiped */
	char hash[crypto_pwhash_STRBYTES];
	char rehash[crypto_pwhash_STRBYTES];
	int result;
};

static void work_run(struct work *w)
{
	const char *pw = w->password;
	size_t len = strlen(pw);

	w->rehash[0] = 0;
	if (w->op == PWHASH_HASH) {
		w->result = crypto_pwhash_str(w->hash, pw, len, g.opslimit, g.memlimit) == 0 ? 0 : -ENOMEM;
		return;
	}
	w->result = crypto_pwhash_str_verify(w->hash, pw, len) == 0 ? 0 : -EACCES;
	if (w->result == 0 && crypto_pwhash_str_needs_rehash(w->hash, g.opslimit, g.memlimit) != 0 &&
	    crypto_pwhash_str(w->rehash, pw, len, g.opslimit, g.memlimit) != 0)
		w->rehash[0] = 0;
}

/* The waiting job with the most credit (the oldest of those), or with
 * richest false the least (the newest of those).  Caller holds mu; the
 * queue is short (queue_max). */
static unsigned credit(const struct pwhash_job *job)
{
	return job->credit_fn ? job->credit_fn(job) : job->credit;
}

static struct pwhash_job *queue_pick(bool richest, unsigned *best_credit)
{
	struct pwhash_job *best = g.head;
	unsigned bc = credit(best);

	for (struct pwhash_job *j = g.head->next_; j; j = j->next_) {
		unsigned c = credit(j);
		if (richest ? c > bc : c <= bc) {
			best = j;
			bc = c;
		}
	}
	*best_credit = bc;
	return best;
}

static void queue_remove(struct pwhash_job *job)
{
	struct pwhash_job **at = &g.head, *prev = NULL;

	while (*at != job) {
		prev = *at;
		at = &(*at)->next_;
	}
	*at = job->next_;
	if (g.tail == job)
		g.tail = prev;
	g.queued--;
}

static void *thread_main(void *arg)
{
	unsigned slot = (unsigned)(uintptr_t)arg;
	bool reserved = slot >= PWHASH_THREADS;

	errno = 0;
	int base = getpriority(PRIO_PROCESS, (id_t)gettid());
	if (!reserved && errno == 0)
		setpriority(PRIO_PROCESS, (id_t)gettid(), base + PWHASH_NICE > 19 ? 19 : base + PWHASH_NICE);
	pthread_mutex_lock(&g.mu);
	for (;;) {
		struct pwhash_job *job = NULL;
		while (!g.stop && !job) {
			unsigned c;
			if (g.head) {
				job = queue_pick(true, &c);
				if (reserved && c < g.reserve)
					job = NULL;   /* a flood's job: the reserved lane is not for it */
			}
			if (!job)
				pthread_cond_wait(&g.cond, &g.mu);
		}
		if (g.stop)
			break;
		struct work w = { .op = job->op, .password = strdup(job->password) };

		queue_remove(job);
		memcpy(w.hash, job->hash, sizeof w.hash);
		g.running[slot] = job;
		pthread_mutex_unlock(&g.mu);
		if (w.password)
			work_run(&w);
		else
			w.result = -ENOMEM;
		pthread_mutex_lock(&g.mu);
		if (g.running[slot] == job) {   /* else pwhash_stop answered it: the job may be gone */
			g.running[slot] = NULL;
			job->result = w.result;
			memcpy(job->hash, w.hash, sizeof w.hash);
			memcpy(job->rehash, w.rehash, sizeof w.rehash);
			pthread_mutex_unlock(&g.mu);
			job->done(job);   /* the job is the caller's again */
			pthread_mutex_lock(&g.mu);
		}
		if (w.password) {
			sodium_memzero(w.password, strlen(w.password));
			free(w.password);
		}
		sodium_memzero(&w, sizeof w);
	}
	pthread_mutex_unlock(&g.mu);
	return NULL;
}

int pwhash_start(unsigned queue_max, unsigned reserve, unsigned long long opslimit, size_t memlimit)
{
	if (queue_max == 0)
		return -EINVAL;
	g.queue_max = queue_max;
	g.reserve = reserve;
	g.opslimit = opslimit;
	g.memlimit = memlimit;
	g.stop = false;
	for (unsigned i = 0; i < NTHREADS; i++) {
		int rc = pthread_create(&g.threads[i], NULL, thread_main, (void *)(uintptr_t)i);
		if (rc != 0) {
			pthread_mutex_lock(&g.mu);
			g.stop = true;
			pthread_cond_broadcast(&g.cond);
			pthread_mutex_unlock(&g.mu);
			for (unsigned j = 0; j < i; j++)
				pthread_join(g.threads[j], NULL);
			return -rc;
		}
	}
	g.started = true;
	return 0;
}

void pwhash_stop(void)
{
	struct pwhash_job *cancelled;

	pthread_mutex_lock(&g.mu);
	g.stop = true;
	cancelled = g.head;
	g.head = g.tail = NULL;
	g.queued = 0;
	/* Running jobs are answered now too: their threads hash on copies
	 * (struct work) and drop the result. */
	for (unsigned i = 0; i < NTHREADS; i++) {
		if (!g.running[i])
			continue;
		g.running[i]->next_ = cancelled;
		cancelled = g.running[i];
		g.running[i] = NULL;
	}
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.mu);
	while (cancelled) {
		struct pwhash_job *job = cancelled;
		cancelled = job->next_;
		job->result = -ECANCELED;
		job->done(job);
	}
	/* Not joined: a thread in the middle of a hash (seconds on a busy
	 * machine) would hold the daemon's exit; each ends after its hash. */
	if (g.started)
		for (unsigned i = 0; i < NTHREADS; i++)
			pthread_detach(g.threads[i]);
	g.started = false;
}

int pwhash_submit(struct pwhash_job *job)
{
	struct pwhash_job *pushed = NULL;
	int rc = 0;

	job->next_ = NULL;
	pthread_mutex_lock(&g.mu);
	if (g.stop || !g.started) {
		rc = -ESHUTDOWN;
	} else if (g.queued >= g.queue_max) {
		unsigned c;
		pushed = queue_pick(false, &c);
		if (c < credit(job)) {
			queue_remove(pushed);
		} else {
			pushed = NULL;
			rc = -EAGAIN;
		}
	}
	if (rc == 0) {
		if (g.tail)
			g.tail->next_ = job;
		else
			g.head = job;
		g.tail = job;
		g.queued++;
		pthread_cond_broadcast(&g.cond);   /* a signal might wake only the reserved lane, which may not take it */
	}
	pthread_mutex_unlock(&g.mu);
	if (pushed) {
		pushed->result = -EAGAIN;
		pushed->done(pushed);
	}
	return rc;
}

/* pwhash_wait's rendezvous with the hashing thread. */
struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool done;
};

static void wait_done(struct pwhash_job *job)
{
	struct waiter *w = job->arg;

	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

int pwhash_wait(struct pwhash_job *job)
{
	struct waiter w = { .mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

	job->done = wait_done;
	job->arg = &w;
	job->credit = PWHASH_CREDIT_MAX;
	job->credit_fn = NULL;
	int rc = pwhash_submit(job);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.mu);
	pthread_mutex_unlock(&w.mu);
	return job->result;
}

unsigned pwhash_queued(void)
{
	pthread_mutex_lock(&g.mu);
	unsigned n = g.queued;
	pthread_mutex_unlock(&g.mu);
	return n;
}

int pwhash_dummy(char out[crypto_pwhash_STRBYTES])
{
	unsigned char salt[crypto_pwhash_SALTBYTES], tag[32];
	char salt64[sodium_base64_ENCODED_LEN(sizeof salt, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	char tag64[sodium_base64_ENCODED_LEN(sizeof tag, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];

	if (!g.opslimit)
		return -EINVAL;
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(tag, sizeof tag);
	sodium_bin2base64(salt64, sizeof salt64, salt, sizeof salt, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	sodium_bin2base64(tag64, sizeof tag64, tag, sizeof tag, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	/* libsodium's own encoding (argon2/encoding.c): m in KiB, one lane. */
	int n = snprintf(out, crypto_pwhash_STRBYTES, "$argon2id$v=19$m=%zu,t=%llu,p=1$%s$%s", g.memlimit / 1024,
	                 g.opslimit, salt64, tag64);
	return n > 0 && n < (int)crypto_pwhash_STRBYTES ? 0 : -EINVAL;
}
