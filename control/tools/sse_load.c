/* amphi-sse-load: holds many Server-Sent Events streams of amphi-control open
 * at once and reports when each received a given text.  A load client for
 * tests and for operators sizing a deployment (docs/performance.md): one
 * thread, epoll, non-blocking sockets, a few hundred bytes per stream.
 *
 *   amphi-sse-load --host 127.0.0.1 --port P --path /api/webinars/7/events \
 *       --tokens FILE --clients 2000 --marker '"text":"hello"' [--timeout 60] [--ready FILE]
 *
 * Each client i sends `Authorization: Bearer <line i mod n of FILE>`.  Once
 * every stream answered 200 and sent its first comment (": connected"), it
 * writes the number of connected streams to the --ready file; then it waits
 * until every connected stream received --marker, or --timeout, and prints one
 * JSON object: clients, connected, received, failed, connect_ms, and the
 * CLOCK_REALTIME nanoseconds of the first, median, 99th-percentile and last
 * receipt (the caller subtracts the time it posted).  Exit 0 when every
 * client received the marker. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TAIL 256              /* bytes of the previous read kept to find texts cut in two */
#define CONNECTS_IN_FLIGHT 64 /* more at once overflows the listen backlog: SYN retries cost 1 s */

enum state { IDLE, CONNECTING, SENT, STREAMING, DONE, FAILED };

struct client {
	int fd;
	enum state st;
	bool connected;        /* ": connected" seen */
	int64_t got_ns;        /* marker received (CLOCK_REALTIME), 0 before */
	size_t tail_len;
	char tail[TAIL];
};

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static const char usage[] =
	"usage: amphi-sse-load --host H --port P --path PATH --tokens FILE --clients N --marker TEXT\n"
	"                      [--timeout SECONDS] [--ready FILE]\n"
	"Holds N Server-Sent Events streams open and reports when each received TEXT (JSON on stdout).\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, 0, 'H' }, { "port", required_argument, 0, 'p' },
		{ "path", required_argument, 0, 'P' }, { "tokens", required_argument, 0, 't' },
		{ "clients", required_argument, 0, 'n' }, { "marker", required_argument, 0, 'm' },
		{ "timeout", required_argument, 0, 'T' }, { "ready", required_argument, 0, 'r' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *host = "127.0.0.1", *path = NULL, *tokens_path = NULL, *marker = NULL, *ready = NULL;
	int port = 0, n = 0, timeout_s = 60, c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'P': path = optarg; break;
		case 't': tokens_path = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'm': marker = optarg; break;
		case 'T': timeout_s = atoi(optarg); break;
		case 'r': ready = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!path || !tokens_path || !marker || n <= 0 || port <= 0 || port > 65535 || strlen(marker) >= TAIL) {
		fputs(usage, stderr);
		return 2;
	}

	/* Tokens: one per line. */
	FILE *tf = fopen(tokens_path, "r");
	if (!tf) {
		fprintf(stderr, "amphi-sse-load: %s: %s\n", tokens_path, strerror(errno));
		return 2;
	}
	char **tokens = NULL, line[256];
	size_t ntok = 0;
	while (fgets(line, sizeof line, tf)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!*line)
			continue;
		tokens = realloc(tokens, (ntok + 1) * sizeof *tokens);
		tokens[ntok++] = strdup(line);
	}
	fclose(tf);
	if (!ntok) {
		fprintf(stderr, "amphi-sse-load: %s has no token\n", tokens_path);
		return 2;
	}

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "amphi-sse-load: --host takes an IPv4 address\n");
		return 2;
	}
	struct client *cl = calloc((size_t)n, sizeof *cl);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cl || ep < 0)
		return 1;
	int64_t t0 = now_ns(CLOCK_MONOTONIC), deadline = t0 + (int64_t)timeout_s * 1000000000;
	int next = 0, in_flight = 0, connected = 0, received = 0, failed = 0, connect_ms = -1;
	bool ready_written = false;
	size_t mlen = strlen(marker);

	for (;;) {
		/* Keep CONNECTS_IN_FLIGHT connections being set up. */
		while (next < n && in_flight < CONNECTS_IN_FLIGHT) {
			struct client *k = &cl[next];
			k->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (k->fd < 0) {
				fprintf(stderr, "amphi-sse-load: socket: %s (client %d)\n", strerror(errno), next);
				k->st = FAILED;
				failed++;
				next++;
				continue;
			}
			if (connect(k->fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
				k->st = FAILED;
				failed++;
				close(k->fd), k->fd = -1;
				next++;
				continue;
			}
			k->st = CONNECTING;
			struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)next };
			epoll_ctl(ep, EPOLL_CTL_ADD, k->fd, &ev);
			in_flight++;
			next++;
		}
		if (!ready_written && next == n && connected + failed == n) {
			connect_ms = (int)((now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
			if (ready) {
				FILE *f = fopen(ready, "w");
				if (f) {
					fprintf(f, "%d\n", connected);
					fclose(f);
				}
			}
			ready_written = true;
		}
		if (ready_written && received + failed == n)
			break;
		int64_t left = deadline - now_ns(CLOCK_MONOTONIC);
		if (left <= 0)
			break;
		struct epoll_event evs[256];
		int m = epoll_wait(ep, evs, 256, (int)(left / 1000000 > 200 ? 200 : left / 1000000 + 1));
		for (int i = 0; i < m; i++) {
			int id = (int)evs[i].data.u32;
			struct client *k = &cl[id];
			if (k->st == CONNECTING) {
				int err = 0;
				socklen_t el = sizeof err;
				getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				char req[512];
				int rl2 = snprintf(req, sizeof req,
				                   "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n"
				                   "Authorization: Bearer %s\r\n\r\n", path, host, port,
				                   tokens[(size_t)id % ntok]);
				if (err || write(k->fd, req, (size_t)rl2) != rl2) {
					k->st = FAILED;
					failed++;
					in_flight--;
					close(k->fd), k->fd = -1;
					continue;
				}
				k->st = SENT;
				struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)id };
				epoll_ctl(ep, EPOLL_CTL_MOD, k->fd, &ev);
				continue;
			}
			char buf[TAIL + 16384];
			memcpy(buf, k->tail, k->tail_len);
			ssize_t r = read(k->fd, buf + k->tail_len, sizeof buf - k->tail_len - 1);
			if (r <= 0) {
				if (r < 0 && errno == EAGAIN)
					continue;
				if (k->st != DONE) {
					if (k->st == SENT)
						in_flight--;
					k->st = FAILED;
					failed++;
				}
				epoll_ctl(ep, EPOLL_CTL_DEL, k->fd, NULL);
				close(k->fd), k->fd = -1;
				continue;
			}
			size_t len = k->tail_len + (size_t)r;
			buf[len] = 0;
			if (k->st == SENT) {
				if (strncmp(buf, "HTTP/1.1 200", 12) != 0) {
					k->st = FAILED;
					failed++;
					in_flight--;
					epoll_ctl(ep, EPOLL_CTL_DEL, k->fd, NULL);
					close(k->fd), k->fd = -1;
					continue;
				}
				k->st = STREAMING;
			}
			if (!k->connected && memmem(buf, len, ": connected", 11)) {
				k->connected = true;
				connected++;
				in_flight--;
			}
			if (k->connected && !k->got_ns && memmem(buf, len, marker, mlen)) {
				k->got_ns = now_ns(CLOCK_REALTIME);
				k->st = DONE;
				received++;
			}
			k->tail_len = len < mlen ? len : mlen;
			memmove(k->tail, buf + len - k->tail_len, k->tail_len);
		}
	}

	int64_t *t = malloc(sizeof *t * (size_t)(received ? received : 1));
	int j = 0;
	for (int i = 0; i < n; i++)
		if (cl[i].got_ns)
			t[j++] = cl[i].got_ns;
	qsort(t, (size_t)j, sizeof *t, cmp64);
	printf("{\"clients\":%d,\"connected\":%d,\"received\":%d,\"failed\":%d,\"connect_ms\":%d,"
	       "\"first_ns\":%lld,\"p50_ns\":%lld,\"p99_ns\":%lld,\"last_ns\":%lld}\n",
	       n, connected, received, failed, connect_ms, j ? (long long)t[0] : 0LL,
	       j ? (long long)t[j / 2] : 0LL, j ? (long long)t[(j * 99) / 100 < j ? (j * 99) / 100 : j - 1] : 0LL,
	       j ? (long long)t[j - 1] : 0LL);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		if (cl[i].fd >= 0 && cl[i].st != IDLE)
			close(cl[i].fd);
	for (size_t i = 0; i < ntok; i++)
		free(tokens[i]);
	free(tokens);
	free(cl);
	free(t);
	close(ep);
	return received == n ? 0 : 1;
}
