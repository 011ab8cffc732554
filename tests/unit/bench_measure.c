/* amphi-bench's measuring helpers: /proc stat parsing and percentiles. */
#include "tests/harness.h"

#include <errno.h>
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
	RUN(percentiles_nearest_rank);
	return harness_done();
}
