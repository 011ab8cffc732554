/* proc: what amphi-bench learns about the relay process from the kernel:
 * its pid (SO_PEERCRED on its control socket), its CPU time and its threads'
 * (/proc/<pid>/task/<tid>/schedstat run time in ns, else utime + stime from
 * the stat files in 10 ms ticks), and
 * starting one when the bench brings its own relay. */
#ifndef AMPHI_BENCH_PROC_H
#define AMPHI_BENCH_PROC_H

#include <stddef.h>
#include <sys/types.h>

#define PROC_MAX_THREADS 64

struct proc_thread {
	pid_t tid;
	char comm[32];
	double cpu_s;
};

struct proc_cpu {
	double cpu_s;                   /* whole process */
	unsigned nthreads;
	struct proc_thread threads[PROC_MAX_THREADS];
};

/* Parses one /proc stat line: comm (may hold spaces and parentheses) and
 * utime + stime in seconds.  0 or -EINVAL. */
int proc_stat_parse(const char *line, char *comm, size_t comm_len, double *cpu_s);
/* 0 or -errno. */
int proc_cpu_read(pid_t pid, struct proc_cpu *out);
/* Per-thread and total differences b - a (threads matched by tid). */
void proc_cpu_diff(const struct proc_cpu *a, const struct proc_cpu *b, struct proc_cpu *out);
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
