/* amphi-bench's measuring helpers: /proc stat parsing, the relay's CPU
 * time counted whole and checked against its threads, and percentiles. */
#include "tests/harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/proc.h"
#include "bench/viewers.h"

TEST(parses_proc_stat)
{
	char comm[32];
	double cpu;
	long hz = sysconf(_SC_CLK_TCK);
	/* a comm with spaces and a ')' inside: only the last ')' ends it */
	const char *line = "4242 (amphi w) 0)) S 1 4242 4242 0 -1 4194560 300 0 0 0 "
	                   "250 50 0 0 20 0 3 0 100 0 0";

	CHECK_INT(proc_stat_parse(line, comm, sizeof comm, &cpu), ==, 0);
	CHECK_STR(comm, "amphi w) 0)");
	CHECK_INT((long)(cpu * (double)hz + 0.5), ==, 300);
	CHECK_INT(proc_stat_parse("4242 amphi S 1", comm, sizeof comm, &cpu), ==, -EINVAL);
	CHECK_INT(proc_stat_parse("4242 (x) S 1 2", comm, sizeof comm, &cpu), ==, -EINVAL);
}

TEST(reads_own_process)
{
	struct proc_cpu a, b, d;
	volatile double x = 0;

	CHECK_INT(proc_cpu_read(getpid(), &a), ==, 0);
	for (long i = 0; i < 60000000; i++)
		x += (double)i;
	CHECK_INT(proc_cpu_read(getpid(), &b), ==, 0);
	proc_cpu_diff(&a, &b, &d);
	CHECK_INT(b.nthreads, ==, 1);
	CHECK(d.cpu_s > 0);
	CHECK(d.threads[0].cpu_s > 0);
	/* ~0.1 s of work measured to better than a 10 ms tick: schedstat */
	CHECK(d.cpu_s > 0.01 && d.cpu_s < 5);
	CHECK_INT(proc_cpu_read(-5, &a), <, 0);
}

/* A child process whose threads burn known CPU on command: three
 * "burn-N" threads each burn BURN_S of their own CPU time per phase; in the
 * second phase burn-2 exits after its burn (the child's main thread joins it
 * before it says the phase is done). */
#define BURN_S 0.15
enum { BURNERS = 3 };

struct burner {
	int go;                 /* read end: one byte per phase */
	int done;               /* write end: one byte when burnt */
	int exits;              /* leave after the second phase's burn */
};

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *burner_main(void *arg)
{
	struct burner *b = arg;
	char c;

	for (int phase = 0; read(b->go, &c, 1) == 1; phase++) {
		double t0 = thread_cpu_s();
		volatile unsigned long x = 0;

		while (thread_cpu_s() - t0 < BURN_S)
			x++;
		if (phase == 1 && b->exits)
			return NULL;
		if (write(b->done, "d", 1) != 1)
			return NULL;
	}
	return NULL;
}

static void burn_child(int go[BURNERS], int done)
{
	struct burner b[BURNERS];
	pthread_t th[BURNERS];

	for (int i = 0; i < BURNERS; i++) {
		char name[16];

		b[i] = (struct burner){ .go = go[i], .done = done, .exits = i == 2 };
		pthread_create(&th[i], NULL, burner_main, &b[i]);
		snprintf(name, sizeof name, "burn-%d", i);
		pthread_setname_np(th[i], name);
	}
	pthread_join(th[2], NULL);
	(void)!write(done, "j", 1);     /* burn-2 is gone */
	pause();
	_exit(0);
}

/* Starts every burner's phase and waits for its `n` answers. */
static void burn_phase(const int go[BURNERS], int done, int n)
{
	char c;

	for (int i = 0; i < BURNERS; i++)
		(void)!write(go[i], "g", 1);
	for (int k = 0; k < n; k++)
		(void)!read(done, &c, 1);
}

static const struct proc_thread *thread_named(const struct proc_cpu *d, const char *comm)
{
	for (unsigned i = 0; i < d->nthreads; i++)
		if (!strcmp(d->threads[i].comm, comm))
			return &d->threads[i];
	return NULL;
}

TEST(process_cpu_adds_up)
{
	int gop[BURNERS][2], donep[2], go[BURNERS];
	struct proc_cpu r0, r1, r2, d;
	double tick = 1.0 / (double)sysconf(_SC_CLK_TCK);
	char why[256];
	pid_t pid;

	CHECK_INT(pipe(donep), ==, 0);
	for (int i = 0; i < BURNERS; i++) {
		CHECK_INT(pipe(gop[i]), ==, 0);
		go[i] = gop[i][1];
	}
	pid = fork();
	if (pid == 0) {
		int rd[BURNERS];

		for (int i = 0; i < BURNERS; i++)
			rd[i] = gop[i][0];
		burn_child(rd, donep[1]);
	}
	CHECK_INT(pid, >, 0);
	usleep(100000);         /* the threads are named */
	CHECK_INT(proc_cpu_read(pid, &r0), ==, 0);
	CHECK_INT(r0.nthreads, ==, 1 + BURNERS);

	/* every thread burns, none exits: the split is the process's time */
	burn_phase(go, donep[0], BURNERS);
	CHECK_INT(proc_cpu_read(pid, &r1), ==, 0);
	proc_cpu_diff(&r0, &r1, &d);
	CHECK_INT(proc_cpu_check(&d, why, sizeof why), ==, 0);
	if (proc_cpu_check(&d, why, sizeof why) < 0)
		printf("  phase 1: %s\n", why);
	CHECK(d.cpu_s > BURNERS * BURN_S - 2 * tick && d.cpu_s < BURNERS * BURN_S + 0.05);
	CHECK_INT(d.gone, ==, 0);
	for (int i = 0; i < BURNERS; i++) {
		char name[16];
		const struct proc_thread *t;

		snprintf(name, sizeof name, "burn-%d", i);
		t = thread_named(&d, name);
		CHECK(t && t->cpu_s >= BURN_S && t->cpu_s < BURN_S + 0.03);
	}

	/* burn-2 burns, then exits: the process keeps its time, the split
	 * lists it as exited */
	burn_phase(go, donep[0], BURNERS);
	for (int i = 0; i < 200; i++) {
		CHECK_INT(proc_cpu_read(pid, &r2), ==, 0);
		if (r2.nthreads == BURNERS)
			break;
		usleep(10000);
	}
	proc_cpu_diff(&r1, &r2, &d);
	CHECK_INT(proc_cpu_check(&d, why, sizeof why), ==, 0);
	CHECK_INT(d.nthreads, ==, BURNERS);
	CHECK_INT(d.gone, ==, 1);
	CHECK(!thread_named(&d, "burn-2"));
	CHECK(d.cpu_s > BURNERS * BURN_S - 2 * tick && d.cpu_s < BURNERS * BURN_S + 0.05);
	/* its time after the first reading: one burn */
	CHECK(d.exited_s > BURN_S - (BURNERS + 1) * tick && d.exited_s < BURN_S + (BURNERS + 1) * tick);

	/* a split that loses a thread, or counts one twice, is refused */
	d = (struct proc_cpu){ .cpu_s = 0.5, .nthreads = 2,
	                       .threads = { { .cpu_s = 0.2 }, { .cpu_s = 0.1 } }, .exited_s = 0.2 };
	CHECK_INT(proc_cpu_check(&d, why, sizeof why), ==, -EPROTO);
	d.exited_s = -0.2;
	CHECK_INT(proc_cpu_check(&d, why, sizeof why), ==, -EPROTO);
	d.gone = 1;
	d.exited_s = 0.2;
	CHECK_INT(proc_cpu_check(&d, why, sizeof why), ==, 0);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

TEST(percentiles_nearest_rank)
{
	uint32_t v[100];

	for (unsigned i = 0; i < 100; i++)
		v[i] = 100 - i;         /* 100..1, unsorted */
	CHECK_INT(viewers_percentile(v, 100, 50), ==, 50);
	CHECK_INT(viewers_percentile(v, 100, 99), ==, 99);
	CHECK_INT(viewers_percentile(v, 100, 100), ==, 100);
	CHECK_INT(viewers_percentile(v, 1, 99), ==, 1);
	CHECK_INT(viewers_percentile(v, 0, 50), ==, 0);
}

int main(void)
{
	RUN(parses_proc_stat);
	RUN(reads_own_process);
	RUN(process_cpu_adds_up);
	RUN(percentiles_nearest_rank);
	return harness_done();
}
