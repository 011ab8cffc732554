/* pwhash: see pwhash.h. */
#include "control/pwhash.h"
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Hashing threads run this much nicer than the process: on a machine with as
 * many cores as hashing threads, request handling still gets the CPU first. */
#define PWHASH_NICE 3

static struct {
	pthread_mutex_t mu;              /* guards everything below */
	pthread_cond_t cond;             /* a job arrived, or stop */
	struct pwhash_job *head, *tail;  /* waiting jobs in order of arrival */
	unsigned queued, queue_max;
	bool stop, started;
	unsigned long long opslimit;
	size_t memlimit;
	pthread_t threads[PWHASH_THREADS];
} g = { .mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void job_run(struct pwhash_job *job)
{
	const char *pw = job->password;
	size_t len = strlen(pw);

	job->rehash[0] = 0;
	if (job->op == PWHASH_HASH) {
		job->result = crypto_pwhash_str(job->hash, pw, len, g.opslimit, g.memlimit) == 0 ? 0 : -ENOMEM;
		return;
	}
	job->result = crypto_pwhash_str_verify(job->hash, pw, len) == 0 ? 0 : -EACCES;
	if (job->result == 0 && crypto_pwhash_str_needs_rehash(job->hash, g.opslimit, g.memlimit) != 0 &&
	    crypto_pwhash_str(job->rehash, pw, len, g.opslimit, g.memlimit) != 0)
		job->rehash[0] = 0;
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
	(void)arg;
	errno = 0;
	int base = getpriority(PRIO_PROCESS, (id_t)gettid());
	if (errno == 0)
		setpriority(PRIO_PROCESS, (id_t)gettid(), base + PWHASH_NICE > 19 ? 19 : base + PWHASH_NICE);
	pthread_mutex_lock(&g.mu);
	for (;;) {
		while (!g.head && !g.stop)
			pthread_cond_wait(&g.cond, &g.mu);
		if (g.stop)
			break;
		unsigned c;
		struct pwhash_job *job = queue_pick(true, &c);
		queue_remove(job);
		pthread_mutex_unlock(&g.mu);
		job_run(job);
		job->done(job);   /* the job is the caller's again */
		pthread_mutex_lock(&g.mu);
	}
	pthread_mutex_unlock(&g.mu);
	return NULL;
}

int pwhash_start(unsigned queue_max, unsigned long long opslimit, size_t memlimit)
{
	if (queue_max == 0)
		return -EINVAL;
	g.queue_max = queue_max;
	g.opslimit = opslimit;
	g.memlimit = memlimit;
	g.stop = false;
	for (unsigned i = 0; i < PWHASH_THREADS; i++) {
		int rc = pthread_create(&g.threads[i], NULL, thread_main, NULL);
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
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.mu);
	while (cancelled) {
		struct pwhash_job *job = cancelled;
		cancelled = job->next_;
		job->result = -ECANCELED;
		job->done(job);
	}
	if (g.started)
		for (unsigned i = 0; i < PWHASH_THREADS; i++)
			pthread_join(g.threads[i], NULL);
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
		pthread_cond_signal(&g.cond);
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
