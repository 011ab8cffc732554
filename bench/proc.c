/* proc: the relay process seen from /proc (see proc.h). */
#include "bench/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/ctl.h"

int proc_stat_parse(const char *line, char *comm, size_t comm_len, double *cpu_s)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')');
	unsigned long long ut, st;
	size_t n;

	if (!open || !close || close < open)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (comm_len) {
		if (n >= comm_len)
			n = comm_len - 1;
		memcpy(comm, open + 1, n);
		comm[n] = 0;
	}
	/* after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime (fields 3..15 of proc(5)) */
	if (sscanf(close + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	           &ut, &st) != 2)
		return -EINVAL;
	*cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

static int stat_file(const char *path, char *comm, size_t comm_len, double *cpu_s)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	int r = -EINVAL;

	if (!f)
		return -errno;
	if (fgets(line, sizeof line, f))
		r = proc_stat_parse(line, comm, comm_len, cpu_s);
	fclose(f);
	return r;
}

/* Nanoseconds a task ran (first field of /proc/.../schedstat), in seconds:
 * the scheduler's own clock, finer than stat's 10 ms ticks.  -1 if absent. */
static double schedstat_s(pid_t pid, pid_t tid)
{
	char path[96];
	unsigned long long ns;
	FILE *f;
	int ok;

	snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fscanf(f, "%llu", &ns) == 1;
	fclose(f);
	return ok ? (double)ns / 1e9 : -1;
}

int proc_cpu_read(pid_t pid, struct proc_cpu *out)
{
	char path[96];
	DIR *d;
	struct dirent *de;
	int r;

	memset(out, 0, sizeof *out);
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	r = stat_file(path, NULL, 0, &out->cpu_s);
	if (r < 0)
		return r;
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct proc_thread *t = &out->threads[out->nthreads];
		double ss;

		if (de->d_name[0] == '.')
			continue;
		if (out->nthreads == PROC_MAX_THREADS) {
			out->truncated = 1;
			break;
		}
		t->tid = (pid_t)atoi(de->d_name);
		snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)t->tid);
		if (stat_file(path, t->comm, sizeof t->comm, &t->cpu_s) < 0)
			continue;       /* exited since the readdir: the process total has it */
		ss = schedstat_s(pid, t->tid);
		if (ss >= 0)
			t->cpu_s = ss;
		out->nthreads++;
	}
	closedir(d);
	return 0;
}

void proc_cpu_diff(const struct proc_cpu *a, const struct proc_cpu *b, struct proc_cpu *out)
{
	double sum = 0;

	memset(out, 0, sizeof *out);
	out->cpu_s = b->cpu_s - a->cpu_s;
	out->truncated = a->truncated || b->truncated;
	for (unsigned i = 0; i < b->nthreads; i++) {
		struct proc_thread *t = &out->threads[out->nthreads++];

		*t = b->threads[i];
		for (unsigned j = 0; j < a->nthreads; j++)
			if (a->threads[j].tid == t->tid)
				t->cpu_s -= a->threads[j].cpu_s;
		sum += t->cpu_s;
	}
	for (unsigned j = 0; j < a->nthreads; j++) {
		unsigned i = 0;

		while (i < b->nthreads && b->threads[i].tid != a->threads[j].tid)
			i++;
		out->gone += i == b->nthreads;
	}
	out->exited_s = out->cpu_s - sum;
}

int proc_cpu_check(const struct proc_cpu *d, char *why, size_t why_len)
{
	/* every thread's ticks round down by less than one, and so do the
	 * process's at each of the two readings */
	double tol = (double)(d->nthreads + d->gone + 1) / (double)sysconf(_SC_CLK_TCK);

	if (d->truncated) {
		snprintf(why, why_len, "more than %d threads: the per-thread split is incomplete",
		         PROC_MAX_THREADS);
		return -EPROTO;
	}
	if (d->exited_s < -tol || (d->gone == 0 && d->exited_s > tol)) {
		snprintf(why, why_len, "process CPU %.3f s, its %u threads %.3f s (%u exited): "
		         "they differ by more than a tick per thread (%.3f s)", d->cpu_s, d->nthreads,
		         d->cpu_s - d->exited_s, d->gone, tol);
		return -EPROTO;
	}
	return 0;
}

pid_t proc_peer_pid(const char *sock_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof cred;
	int fd, r;

	if (strlen(sock_path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		r = -errno;
	else
		r = (int)cred.pid;
	close(fd);
	return r;
}

pid_t proc_relay_start(const char *relay_bin, const char *sock_path, int port_base,
                       int workers, const char *log_path)
{
	char port[16], nw[16];
	pid_t pid;

	snprintf(port, sizeof port, "%d", port_base);
	snprintf(nw, sizeof nw, "%d", workers);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(relay_bin, relay_bin, "--control", sock_path, "--port-base", port,
		      "--workers", nw, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid)
			return -ECHILD;
		if (access(sock_path, F_OK) == 0 && ctl_ping(sock_path, 1000))
			return pid;
		nanosleep(&ts, NULL);
	}
	proc_relay_stop(pid);
	return -ETIMEDOUT;
}

void proc_relay_stop(pid_t pid)
{
	kill(pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
