/* proc: what amphi-bench learns about the relay process from the kernel:
 * its pid (SO_PEERCRED on its control socket), its CPU time, and starting
 * one when the bench brings its own relay.
 *
 * CPU time is the process's: utime + stime of /proc/<pid>/stat, in clock
 * ticks, which the kernel keeps for the whole thread group, threads that
 * exited included.  The per-thread split beside it comes from
 * /proc/<pid>/task/<tid>/schedstat (run time in ns; stat's ticks when
 * absent) and covers only the threads alive at a reading.  proc_cpu_check
 * holds the two to each other, so that a thread missing from the split (or
 * a split that counts one twice) fails the run instead of skewing it. */
#ifndef AMPHI_BENCH_PROC_H
#define AMPHI_BENCH_PROC_H

#include <stddef.h>
#include <sys/types.h>

#define PROC_MAX_THREADS 256

struct proc_thread {
	pid_t tid;
	char comm[32];
	double cpu_s;
};

/* One reading, or (proc_cpu_diff) the difference of two. */
struct proc_cpu {
	double cpu_s;                   /* the whole process, exited threads included */
	unsigned nthreads;
	int truncated;                  /* more threads than PROC_MAX_THREADS: split incomplete */
	/* diff only: threads of the first reading gone by the second, and the
	 * process time that no listed thread holds (cpu_s minus the threads'
	 * sum): what threads that exited in between ran after the first
	 * reading, within the ticks' rounding */
	unsigned gone;
	double exited_s;
	struct proc_thread threads[PROC_MAX_THREADS];
};

/* Parses one /proc stat line: comm (may hold spaces and parentheses) and
 * utime + stime in seconds.  0 or -EINVAL. */
int proc_stat_parse(const char *line, char *comm, size_t comm_len, double *cpu_s);
/* 0 or -errno. */
int proc_cpu_read(pid_t pid, struct proc_cpu *out);
/* Per-thread and total differences b - a (threads matched by tid; a
 * thread new in b counts whole), with gone and exited_s. */
void proc_cpu_diff(const struct proc_cpu *a, const struct proc_cpu *b, struct proc_cpu *out);
/* Whether a diff's per-thread split adds up to the process total within a
 * clock tick per thread (the rounding of the ticks).  When no thread exited
 * in between, the time no listed thread holds must be within that; when
 * some did, it is theirs and may be any amount, but never below minus that.
 * 0, or -EPROTO with the disagreement written into why. */
int proc_cpu_check(const struct proc_cpu *d, char *why, size_t why_len);
/* The pid of the process listening on a Unix socket path, or -errno. */
pid_t proc_peer_pid(const char *sock_path);

/* Starts relay_bin with a control socket at sock_path, UDP ports from
 * port_base, `workers` workers (0: one per CPU); waits until it answers
 * ping (up to 10 s).  The child's pid, or -errno. */
pid_t proc_relay_start(const char *relay_bin, const char *sock_path, int port_base,
                       int workers, const char *log_path);
/* SIGTERM, wait up to 5 s, then SIGKILL. */
void proc_relay_stop(pid_t pid);

#endif
