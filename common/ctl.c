/* ctl: see ctl.h. */
#include "common/ctl.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct ctl_conn {
	int fd;
	char *in;          /* bytes of the current, unfinished request line */
	size_t in_len;
	bool discarding;   /* the current line overflowed: drop it up to '\n' */
	char *out;         /* responses not yet written (socket was full) */
	size_t out_len, out_off;
	bool closing;      /* peer hung up: close once out is flushed */
};

struct ctl_server {
	int lfd, epfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler_fn fn;
	void *arg;
	size_t max_line;
	struct ctl_conn *conns[CTL_MAX_CLIENTS];
};

json_t *ctl_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

json_t *ctl_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:s}", "ok", 0, "error", msg);
}

static int fill_addr(struct sockaddr_un *sa, const char *path, char *err, size_t errlen)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path) {
		snprintf(err, errlen, "%s: socket path longer than %zu bytes", path, sizeof sa->sun_path - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

struct ctl_server *ctl_server_open(const char *path, ctl_handler_fn fn, void *arg,
                                   char *err, size_t errlen)
{
	struct ctl_server *srv = calloc(1, sizeof *srv);
	struct epoll_event ev = { .events = EPOLLIN };
	struct sockaddr_un sa;
	int probe;

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->lfd = srv->epfd = -1;
	srv->fn = fn;
	srv->arg = arg;
	srv->max_line = CTL_MAX_LINE_DEFAULT;
	if (fill_addr(&sa, path, err, errlen))
		goto fail;
	snprintf(srv->path, sizeof srv->path, "%s", path);

	/* A socket file that refuses connections is a leftover from a crash. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		if (connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
			close(probe);
			snprintf(err, errlen, "%s: another process is already serving this socket", path);
			goto fail;
		}
		if (errno == ECONNREFUSED)
			unlink(path);
		close(probe);
	}
	srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0 || bind(srv->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    chmod(path, 0600) < 0 || listen(srv->lfd, 16) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.ptr = NULL;   /* NULL: the listening socket */
	if (srv->epfd < 0 || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		unlink(path);
		goto fail;
	}
	return srv;
fail:
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->lfd >= 0)
		close(srv->lfd);
	free(srv);
	return NULL;
}

void ctl_server_set_max_line(struct ctl_server *srv, size_t max_line)
{
	srv->max_line = max_line;
}

int ctl_server_fd(const struct ctl_server *srv)
{
	return srv->epfd;
}

static void conn_free(struct ctl_server *srv, struct ctl_conn *c)
{
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		if (srv->conns[i] == c)
			srv->conns[i] = NULL;
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void conn_want_write(struct ctl_server *srv, struct ctl_conn *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };

	epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what it can; 0, or -1 when the connection is dead. */
static int conn_flush(struct ctl_server *srv, struct ctl_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				conn_want_write(srv, c, true);
				return 0;
			}
			return -1;
		}
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	conn_want_write(srv, c, false);
	return c->closing ? -1 : 0;
}

static void conn_queue(struct ctl_conn *c, json_t *resp)
{
	char *text;
	size_t n;
	char *o;

	if (!json_object_get(resp, "ok"))
		json_object_set_new(resp, "ok", json_true());
	text = json_dumps(resp, JSON_COMPACT);
	if (!text)
		return;
	n = strlen(text);
	o = realloc(c->out, c->out_len + n + 1);
	if (o) {
		c->out = o;
		memcpy(c->out + c->out_len, text, n);
		c->out[c->out_len + n] = '\n';
		c->out_len += n + 1;
	}
	free(text);
}

static void handle_line(struct ctl_server *srv, struct ctl_conn *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req, *resp;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return;   /* blank lines are ignored, handy with socat */
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		resp = ctl_error("malformed JSON at column %d: %s", jerr.column, jerr.text);
	} else if (!json_is_object(req)) {
		resp = ctl_error("a request must be a JSON object");
	} else {
		resp = srv->fn(srv->arg, req);
		if (!resp || !json_is_object(resp)) {
			json_decref(resp);
			resp = ctl_error("internal error: the handler gave no response");
		}
	}
	json_decref(req);
	conn_queue(c, resp);
	json_decref(resp);
}

static void queue_too_long(struct ctl_server *srv, struct ctl_conn *c)
{
	json_t *e = ctl_error("request line longer than %zu bytes", srv->max_line);

	conn_queue(c, e);
	json_decref(e);
}

/* Reads everything available and answers each complete line. */
static int conn_read(struct ctl_server *srv, struct ctl_conn *c)
{
	char buf[16384];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		size_t start = 0;

		if (n == 0) {
			c->closing = true;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -1;
		}
		for (size_t i = 0; i < (size_t)n; i++) {
			if (buf[i] != '\n')
				continue;
			if (c->discarding) {
				c->discarding = false;
			} else if (c->in_len + (i - start) > srv->max_line) {
				queue_too_long(srv, c);
				c->in_len = 0;
			} else if (c->in_len) {
				char *in = realloc(c->in, c->in_len + (i - start));
				if (!in)
					return -1;
				c->in = in;
				memcpy(c->in + c->in_len, buf + start, i - start);
				handle_line(srv, c, c->in, c->in_len + (i - start));
				c->in_len = 0;
			} else {
				handle_line(srv, c, buf + start, i - start);
			}
			start = i + 1;
		}
		if (start < (size_t)n && !c->discarding) {
			size_t rest = (size_t)n - start;
			if (c->in_len + rest > srv->max_line) {
				queue_too_long(srv, c);
				c->discarding = true;
				c->in_len = 0;
			} else {
				char *in = realloc(c->in, c->in_len + rest);
				if (!in)
					return -1;
				c->in = in;
				memcpy(c->in + c->in_len, buf + start, rest);
				c->in_len += rest;
			}
		}
	}
	return conn_flush(srv, c);
}

static void accept_all(struct ctl_server *srv)
{
	for (;;) {
		int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN };
		struct ctl_conn *c;
		size_t slot;

		if (fd < 0)
			return;
		for (slot = 0; slot < CTL_MAX_CLIENTS && srv->conns[slot]; slot++)
			;
		c = slot < CTL_MAX_CLIENTS ? calloc(1, sizeof *c) : NULL;
		if (!c) {
			static struct log_limit lim = LOG_LIMIT_INIT(10);
			log_limited(&lim, LOG_WARN, "control connection refused", "reason=too_many max=%d",
			            CTL_MAX_CLIENTS);
			close(fd);
			continue;
		}
		c->fd = fd;
		ev.data.ptr = c;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		srv->conns[slot] = c;
	}
}

int ctl_server_step(struct ctl_server *srv, int timeout_ms)
{
	struct epoll_event evs[16];
	int n = epoll_wait(srv->epfd, evs, 16, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct ctl_conn *c = evs[i].data.ptr;
		int dead = 0;

		if (!c) {
			accept_all(srv);
			continue;
		}
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			dead = conn_read(srv, c) < 0;
		else if (evs[i].events & EPOLLOUT)
			dead = conn_flush(srv, c) < 0;
		if (dead)
			conn_free(srv, c);
	}
	return 0;
}

void ctl_server_close(struct ctl_server *srv)
{
	if (!srv)
		return;
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		if (srv->conns[i])
			conn_free(srv, srv->conns[i]);
	close(srv->lfd);
	close(srv->epfd);
	unlink(srv->path);
	free(srv);
}

/* ---- client ---- */

struct ctl_client {
	int fd;
	char *buf;          /* bytes received after the last response line */
	size_t len, cap;
};

static int wait_fd(int fd, short events, int64_t deadline_ns)
{
	for (;;) {
		int64_t left = deadline_ns - amphi_mono_ns();
		struct pollfd p = { .fd = fd, .events = events };
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)((left + 999999) / 1000000));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

struct ctl_client *ctl_client_connect(const char *path, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = amphi_mono_ns() + (int64_t)timeout_ms * 1000000;
	struct ctl_client *cl;
	struct sockaddr_un sa;
	int fd, r;

	if (fill_addr(&sa, path, err, errlen))
		return NULL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return NULL;
	}
	r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	if (r < 0 && errno == EAGAIN)
		r = wait_fd(fd, POLLOUT, deadline);   /* backlog full: wait a little */
	if (r < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", path,
		         r == -ETIMEDOUT ? "timed out" : strerror(errno));
		close(fd);
		return NULL;
	}
	cl = calloc(1, sizeof *cl);
	if (!cl) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cl->fd = fd;
	return cl;
}

void ctl_client_close(struct ctl_client *cl)
{
	if (!cl)
		return;
	if (cl->fd >= 0)
		close(cl->fd);
	free(cl->buf);
	free(cl);
}

#define CTL_CLIENT_MAX_RESPONSE (16 * 1024 * 1024)   /* a list of many streams or recordings */

json_t *ctl_client_call(struct ctl_client *cl, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	int64_t deadline = amphi_mono_ns() + (int64_t)timeout_ms * 1000000;
	char *text, *nl;
	size_t len, off = 0;
	json_error_t jerr;
	json_t *resp;
	int r;

	if (cl->fd < 0) {
		snprintf(err, errlen, "connection closed after an earlier error");
		return NULL;
	}
	text = json_dumps(req, JSON_COMPACT);
	if (!text) {
		snprintf(err, errlen, "cannot encode request");
		return NULL;
	}
	len = strlen(text);
	text[len++] = '\n';   /* json_dumps left room: we overwrite the NUL */
	while (off < len) {
		ssize_t n = send(cl->fd, text + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN && (r = wait_fd(cl->fd, POLLOUT, deadline)) == 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "send: %s", errno == EAGAIN ? "timed out" : strerror(errno));
			free(text);
			goto broken;
		}
		off += (size_t)n;
	}
	free(text);
	while (!(nl = cl->len ? memchr(cl->buf, '\n', cl->len) : NULL)) {
		ssize_t n;

		if (cl->len == cl->cap) {
			size_t cap = cl->cap ? cl->cap * 2 : 4096;
			char *b;
			if (cap > CTL_CLIENT_MAX_RESPONSE) {
				snprintf(err, errlen, "response longer than %d bytes", CTL_CLIENT_MAX_RESPONSE);
				goto broken;
			}
			b = realloc(cl->buf, cap);
			if (!b) {
				snprintf(err, errlen, "out of memory");
				goto broken;
			}
			cl->buf = b;
			cl->cap = cap;
		}
		n = recv(cl->fd, cl->buf + cl->len, cl->cap - cl->len, 0);
		if (n > 0) {
			cl->len += (size_t)n;
			continue;
		}
		if (n == 0) {
			snprintf(err, errlen, "server closed the connection");
			goto broken;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || (r = wait_fd(cl->fd, POLLIN, deadline)) < 0) {
			snprintf(err, errlen, "%s", errno == EAGAIN ? "timed out" : strerror(errno));
			goto broken;
		}
	}
	resp = json_loadb(cl->buf, (size_t)(nl - cl->buf), 0, &jerr);
	cl->len -= (size_t)(nl + 1 - cl->buf);
	memmove(cl->buf, nl + 1, cl->len);
	if (!resp || !json_is_object(resp)) {
		json_decref(resp);
		snprintf(err, errlen, "malformed response from server");
		return NULL;
	}
	return resp;
broken:
	close(cl->fd);
	cl->fd = -1;
	return NULL;
}

json_t *ctl_call(const char *path, json_t *req, int timeout_ms, char *err, size_t errlen)
{
	struct ctl_client *cl = ctl_client_connect(path, timeout_ms, err, errlen);
	json_t *resp;

	if (!cl)
		return NULL;
	resp = ctl_client_call(cl, req, timeout_ms, err, errlen);
	ctl_client_close(cl);
	return resp;
}

int ctl_ping(const char *path, int timeout_ms)
{
	char err[128];
	json_t *req = json_pack("{s:s}", "cmd", "ping"), *resp;
	int ok;

	resp = req ? ctl_call(path, req, timeout_ms, err, sizeof err) : NULL;
	json_decref(req);
	ok = resp && json_is_true(json_object_get(resp, "ok"));
	json_decref(resp);
	return ok;
}
