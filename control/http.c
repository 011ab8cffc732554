/* http: see http.h. */
#include "control/http.h"
#include "control/db.h"
#include "control/http_head.h"
#include "common/addr.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/periodic.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SEGMENTS 12

struct route {
	const char *method, *pattern;
	const char *seg[MAX_SEGMENTS];   /* pattern split at '/', owned copies */
	size_t seglen[MAX_SEGMENTS];
	int nseg;
	http_handler_fn fn;
	struct control *app;             /* handed to the handler as req->app */
	unsigned flags;
};

struct http_router {
	struct route *routes;
	size_t n, cap;
};

/* One line of amphi_http_requests_total. */
struct counter {
	const char *route, *method;   /* static: a route's pattern or a fixed name */
	int status;
	uint64_t n;
};

/* An open stream (SSE): the MHD response's reader state.  Owned by the MHD
 * response (freed by stream_free when MHD drops it); also linked in
 * srv->streams so the ticker and the shutdown can wake it. */
struct stream {
	struct http_server *srv;
	struct MHD_Connection *conn;
	http_stream_read_fn read;
	http_stream_done_fn done;
	void *arg;
	uint64_t id;            /* its key in srv->hup_fd (never 0: the stop event's) */
	pthread_mutex_t mu;     /* guards suspended, wake and gone: suspend and resume pair up under it */
	bool suspended;         /* MHD_suspend_connection called, MHD_resume_connection not yet */
	bool wake;              /* a wake came while the reader ran: do not stay suspended */
	bool gone;              /* the client hung up: the next read ends the connection */
	bool ended;             /* a read ended the stream (MHD's thread only) */
	struct stream *prev, *next;   /* in srv->streams, under srv->smu */
};

struct http_server {
	struct MHD_Daemon *d;
	struct http_router *router;
	struct db *db;
	http_hook_fn hook;
	void *hook_arg;
	char *web_dir;
	size_t max_body;
	bool tls;
	atomic_bool closing;
	int port;
	char origin[160];             /* scheme://<listen host>:<port bound> */
	pthread_mutex_t mu;           /* guards counters */
	struct counter *counters;
	size_t ncounters, capcounters;

	/* Handlers run on these threads, never on MHD's: a request whose
	 * headers and body are in is suspended and queued, a worker runs the
	 * handler and resumes the connection, MHD sends the answer. */
	pthread_t *workers;
	unsigned nworkers;
	pthread_mutex_t qmu;          /* guards the queue and qstop */
	pthread_cond_t qcond;
	struct http_req *qhead, *qtail;
	bool qstop;                   /* workers drain the queue and exit */

	/* Open streams, woken once a second by the ticker (keep-alives,
	 * viewer counts), at once when their client hangs up (the watcher
	 * thread sees their sockets in hup_fd), and all at once at shutdown. */
	pthread_mutex_t smu;          /* guards streams, next_id, lingering and wstop */
	struct stream *streams;
	unsigned nstreams;
	uint64_t next_id;             /* the last stream id given */
	struct periodic *ticker;
	int hup_fd;                   /* epoll: EPOLLRDHUP of each stream's socket, stop_fd, lingering sockets */
	int stop_fd;                  /* eventfd: the watcher stops */
	struct linger_sock *lingering;   /* refused early, their unread bodies being drained */
	unsigned nlingering;
	pthread_t watcher;
	bool watcher_running, wstop;
};

/* --- lingering close ---------------------------------------------------------- */

/* A connection whose request was refused from its head alone (head_check)
 * while its body may be on the way: libmicrohttpd sends the answer, shuts
 * the socket down for writing and closes its descriptor; this duplicate keeps
 * the socket open so that the watcher reads and drops what the client still
 * sends.  Closed with unread bytes, the socket would answer them with a
 * reset, and a client still sending its body could lose the 413 before it
 * read it (RFC 9112 §9.6, "lingering close").  Under srv->smu. */
struct linger_sock {
	int fd;                  /* our duplicate of the connection's socket */
	int64_t until_ns;        /* monotonic: closed then, drained or not */
	struct linger_sock *next;
};

#define LINGER_MAX 64                      /* sockets drained at once; beyond, plain close */
#define LINGER_NS (2 * 1000000000LL)      /* a client sending at any sane speed is done by then */
#define HUP_LINGER_BIT (1ULL << 63)        /* hup_fd event key: a lingering fd, not a stream id */

/* Keeps conn's socket open past libmicrohttpd's close to drain it.  Best
 * effort: without a place or a descriptor, MHD's plain close it is. */
static void linger_start(struct http_server *srv, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct linger_sock *l;

	if (!ci || srv->tls)
		return;   /* under TLS MHD ends the session, not the socket */
	pthread_mutex_lock(&srv->smu);
	if (srv->nlingering < LINGER_MAX && (l = malloc(sizeof *l))) {
		l->fd = fcntl(ci->connect_fd, F_DUPFD_CLOEXEC, 0);
		l->until_ns = amphi_mono_ns() + LINGER_NS;
		if (l->fd >= 0 && epoll_ctl(srv->hup_fd, EPOLL_CTL_ADD, l->fd,
		                            &(struct epoll_event){ .events = EPOLLIN | EPOLLRDHUP,
		                                                   .data.u64 = HUP_LINGER_BIT | (uint64_t)l->fd }) == 0) {
			l->next = srv->lingering;
			srv->lingering = l;
			srv->nlingering++;
		} else {
			if (l->fd >= 0)
				close(l->fd);
			free(l);
		}
	}
	pthread_mutex_unlock(&srv->smu);
}

/* Under srv->smu: reads and drops what lingering socket fd holds; closes it
 * at its end, on an error, past its time, or always when `all`. */
static void linger_drain(struct http_server *srv, int fd, bool all)
{
	int64_t now = amphi_mono_ns();

	for (struct linger_sock **p = &srv->lingering; *p;) {
		struct linger_sock *l = *p;
		bool done = all || now >= l->until_ns;

		if (l->fd == fd && !done) {
			char sink[16384];
			ssize_t n;

			while ((n = read(l->fd, sink, sizeof sink)) > 0)
				;
			done = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
		}
		if (!done) {
			p = &l->next;
			continue;
		}
		close(l->fd);   /* leaves hup_fd with it */
		*p = l->next;
		srv->nlingering--;
		free(l);
	}
}

/* --- router -------------------------------------------------------------------- */

struct http_router *http_router_new(void)
{
	return calloc(1, sizeof(struct http_router));
}

static int split_path(const char *path, const char **seg, size_t *len, int max)
{
	int n = 0;
	const char *p = path;
	if (*p != '/')
		return -EINVAL;
	while (*p == '/') {
		p++;
		if (!*p)
			break;   /* trailing slash: ignored */
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 0 || n == max)
			return -EINVAL;
		seg[n] = p;
		len[n] = l;
		n++;
		p += l;
	}
	return n;
}

int http_route(struct http_router *r, const char *method, const char *pattern,
               http_handler_fn fn, struct control *app, unsigned flags)
{
	struct route rt = { .method = method, .pattern = pattern, .fn = fn, .app = app, .flags = flags };
	int n = split_path(pattern, rt.seg, rt.seglen, MAX_SEGMENTS);
	if (n < 0 || !fn)
		return -EINVAL;
	rt.nseg = n;
	for (int i = 0; i < n; i++) {
		const char *s = rt.seg[i];
		size_t l = rt.seglen[i];
		bool cap = s[0] == '{';
		if (cap != (s[l - 1] == '}') || (cap && l < 3))
			return -EINVAL;
	}
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->routes[i].method, method) == 0 &&
		    strcmp(r->routes[i].pattern, pattern) == 0)
			return -EEXIST;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		struct route *nr = realloc(r->routes, cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		r->routes = nr;
		r->cap = cap;
	}
	r->routes[r->n++] = rt;
	return 0;
}

void http_router_free(struct http_router *r)
{
	if (!r)
		return;
	free(r->routes);
	free(r);
}

/* Finds the route for method+path and fills req's captures.  Returns the
 * route, or NULL with *method_mismatch set when the path exists under another
 * method. */
static const struct route *router_match(const struct http_router *r, struct http_req *req,
                                        bool *method_mismatch)
{
	const char *seg[MAX_SEGMENTS];
	size_t len[MAX_SEGMENTS];
	*method_mismatch = false;
	int n = split_path(req->path, seg, len, MAX_SEGMENTS);
	if (n < 0)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		const struct route *rt = &r->routes[i];
		if (rt->nseg != n)
			continue;
		bool ok = true;
		for (int k = 0; k < n && ok; k++)
			if (rt->seg[k][0] != '{')
				ok = rt->seglen[k] == len[k] && memcmp(rt->seg[k], seg[k], len[k]) == 0;
		if (!ok)
			continue;
		bool head_as_get = strcmp(req->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0;
		if (strcmp(rt->method, req->method) != 0 && !head_as_get) {
			*method_mismatch = true;
			continue;
		}
		req->nparams = 0;
		for (int k = 0; k < n; k++) {
			if (rt->seg[k][0] != '{' || req->nparams == HTTP_MAX_PARAMS)
				continue;
			req->param_names[req->nparams] = rt->seg[k];
			req->param_values[req->nparams] = strndup(seg[k], len[k]);
			req->nparams++;
		}
		return rt;
	}
	return NULL;
}

/* --- request accessors ---------------------------------------------------------- */

const char *http_param(const struct http_req *req, const char *name)
{
	size_t l = strlen(name);
	for (int i = 0; i < req->nparams; i++) {
		const char *p = req->param_names[i];   /* "{name}" inside the pattern */
		if (strncmp(p + 1, name, l) == 0 && p[l + 1] == '}')
			return req->param_values[i];
	}
	return NULL;
}

int http_param_id(const struct http_req *req, const char *name, int64_t *out)
{
	const char *s = http_param(req, name);
	if (!s || !*s || strlen(s) > 18)
		return -EINVAL;
	int64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v <= 0)
		return -EINVAL;
	*out = v;
	return 0;
}

const char *http_query(const struct http_req *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn_, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_header(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

const char *http_cookie(const struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn_, MHD_COOKIE_KIND, name);
}

bool http_req_is_write(const struct http_req *req)
{
	return strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
	       strcmp(req->method, "PATCH") == 0 || strcmp(req->method, "DELETE") == 0;
}

/* --- responses ----------------------------------------------------------------- */

int http_set_header(struct http_req *req, const char *name, const char *value)
{
	if (req->nhdr_ == HTTP_MAX_HEADERS)
		return -ENOSPC;
	req->hdr_name_[req->nhdr_] = strdup(name);
	req->hdr_value_[req->nhdr_] = strdup(value);
	req->nhdr_++;
	return 0;
}

/* Attaches the standard and the handler's headers, keeps resp for queueing. */
static int answer(struct http_req *req, int status, struct MHD_Response *resp)
{
	if (!resp)
		return -ENOMEM;
	if (req->resp_) {
		/* A handler answering twice is a bug: keep the first answer. */
		log_msg(LOG_ERROR, "handler answered twice", "route=%s", req->route ? req->route : "-");
		MHD_destroy_response(resp);
		return -EALREADY;
	}
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	if (strncmp(req->path, "/api/", 5) == 0 || strcmp(req->path, "/metrics") == 0 ||
	    strcmp(req->path, "/healthz") == 0)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	for (int i = 0; i < req->nhdr_; i++)
		MHD_add_response_header(resp, req->hdr_name_[i], req->hdr_value_[i]);
	req->resp_ = resp;
	req->status_ = status;
	return 0;
}

int http_text(struct http_req *req, int status, const char *content_type, const char *text, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	if (r && content_type)
		MHD_add_response_header(r, "Content-Type", content_type);
	return answer(req, status, r);
}

int http_empty(struct http_req *req, int status)
{
	return answer(req, status, MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT));
}

int http_file(struct http_req *req, int status, const char *content_type, int fd, uint64_t offset,
              uint64_t count)
{
	struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(count, fd, offset);

	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	if (content_type)
		MHD_add_response_header(r, "Content-Type", content_type);
	return answer(req, status, r);
}

int http_json(struct http_req *req, int status, json_t *body)
{
	char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!s)
		return http_error(req, 500, "internal", "cannot encode the response");
	size_t n = strlen(s);
	s[n] = '\n';   /* json_dumps's NUL becomes a final newline: easier on shells */
	struct MHD_Response *r = MHD_create_response_from_buffer(n + 1, s, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(s);
		return -ENOMEM;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	return answer(req, status, r);
}

int http_error_json(struct http_req *req, int status, const char *error, json_t *detail)
{
	json_t *o = json_object();
	json_object_set_new(o, "error", json_string(error));
	if (detail)
		json_object_set_new(o, "detail", detail);
	return http_json(req, status, o);
}

int http_error(struct http_req *req, int status, const char *error, const char *detail_fmt, ...)
{
	json_t *detail = NULL;
	if (detail_fmt) {
		char buf[512];
		va_list ap;
		va_start(ap, detail_fmt);
		vsnprintf(buf, sizeof buf, detail_fmt, ap);
		va_end(ap);
		detail = json_string(buf);
	}
	return http_error_json(req, status, error, detail);
}

/* Called by MHD on its I/O thread whenever the socket can take more. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	ssize_t n;

	bool gone;

	pthread_mutex_lock(&s->mu);
	s->wake = false;   /* what was pending is about to be read */
	gone = s->gone;
	pthread_mutex_unlock(&s->mu);
	if (gone)
		return MHD_CONTENT_READER_END_WITH_ERROR;   /* MHD closes the socket now */
	if (atomic_load(&s->srv->closing)) {
		s->ended = true;
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	n = s->read(s->arg, pos, buf, max);
	if (n == HTTP_STREAM_END || n < 0)
		s->ended = true;
	if (n == HTTP_STREAM_ERROR)
		log_msg(LOG_WARN, "event stream aborted by its reader", NULL);
	if (n == HTTP_STREAM_END)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n == HTTP_STREAM_WAIT) {
		/* Off MHD's poll set until http_stream_wake; a wake (or the
		 * shutdown) that came while read ran undoes it at once. */
		pthread_mutex_lock(&s->mu);
		MHD_suspend_connection(s->conn);
		if (s->wake || atomic_load(&s->srv->closing))
			MHD_resume_connection(s->conn);
		else
			s->suspended = true;
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	if (n <= 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n;
}

void http_stream_wake(struct http_stream *hs)
{
	struct stream *s = (struct stream *)hs;

	pthread_mutex_lock(&s->mu);
	if (s->suspended) {
		s->suspended = false;
		MHD_resume_connection(s->conn);
	} else {
		s->wake = true;
	}
	pthread_mutex_unlock(&s->mu);
}

static void wake_all_streams(struct http_server *srv)
{
	pthread_mutex_lock(&srv->smu);
	for (struct stream *s = srv->streams; s; s = s->next)
		http_stream_wake((struct http_stream *)s);
	pthread_mutex_unlock(&srv->smu);
}

static void hup_watch(struct http_server *srv, struct stream *s);

/* MHD drops the response: the connection is over (or never started). */
static void stream_free(void *cls)
{
	struct stream *s = cls;
	struct http_server *srv = s->srv;

	/* Not ended by a read: the client hung up, or a write to it failed.
	 * Routine for a viewer (a tab closed): a debug line, not a warning. */
	if (!s->ended)
		log_msg(LOG_DEBUG, "event stream client left", "hangup=%s", s->gone ? "yes" : "no");
	if (s->done)
		s->done(s->arg);
	pthread_mutex_lock(&srv->smu);
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	srv->nstreams--;
	pthread_mutex_unlock(&srv->smu);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

struct http_stream *http_stream(struct http_req *req, int status, const char *content_type,
                                http_stream_read_fn read, http_stream_done_fn done, void *arg)
{
	struct http_server *srv = req->srv;
	struct stream *s = calloc(1, sizeof *s);
	struct MHD_Response *r;

	if (!s) {
		if (done)
			done(arg);
		http_error(req, 500, "internal", "out of memory");
		return NULL;
	}
	*s = (struct stream){ .srv = srv, .conn = req->conn_, .read = read, .done = done, .arg = arg };
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_lock(&srv->smu);
	s->id = ++srv->next_id;
	s->next = srv->streams;
	if (s->next)
		s->next->prev = s;
	srv->streams = s;
	srv->nstreams++;
	pthread_mutex_unlock(&srv->smu);
	/* 4 KiB: what MHD asks the reader for at most at a time. */
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
	if (!r) {
		stream_free(s);
		http_error(req, 500, "internal", "out of memory");
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type", content_type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	hup_watch(srv, s);
	if (answer(req, status, r) != 0)
		return NULL;   /* answered twice: MHD_destroy_response freed s */
	return (struct http_stream *)s;
}

unsigned http_server_streams(struct http_server *srv)
{
	unsigned n;

	pthread_mutex_lock(&srv->smu);
	n = srv->nstreams;
	pthread_mutex_unlock(&srv->smu);
	return n;
}

/* Wakes every stream once a second: readers send keep-alives and viewer
 * counts on their own schedule.  Also closes the lingering sockets past
 * their time. */
static void ticker_run(void *arg)
{
	struct http_server *srv = arg;

	pthread_mutex_lock(&srv->smu);
	linger_drain(srv, -1, false);
	for (struct stream *s = srv->streams; s; s = s->next)
		http_stream_wake((struct http_stream *)s);
	pthread_mutex_unlock(&srv->smu);
}

/* Watches the stream's socket for the client's hang-up (its FIN or a
 * reset), once: EPOLLONESHOT, keyed by the stream's id.  Nothing removes the
 * watch: closing the socket does, and a later stream on the same connection
 * re-arms it with its own id; an event for an id no longer open is dropped. */
static void hup_watch(struct http_server *srv, struct stream *s)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(s->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct epoll_event ev = { .events = EPOLLRDHUP | EPOLLONESHOT, .data.u64 = s->id };

	if (!ci)
		return;   /* then the failing write of a keep-alive notices */
	if (epoll_ctl(srv->hup_fd, EPOLL_CTL_ADD, ci->connect_fd, &ev) != 0 && errno == EEXIST)
		epoll_ctl(srv->hup_fd, EPOLL_CTL_MOD, ci->connect_fd, &ev);
}

/* Under srv->smu: the client of stream id hung up. */
static void hup_seen(struct http_server *srv, uint64_t id)
{
	for (struct stream *s = srv->streams; s; s = s->next) {
		if (s->id != id)
			continue;
		pthread_mutex_lock(&s->mu);
		s->gone = true;
		pthread_mutex_unlock(&s->mu);
		http_stream_wake((struct http_stream *)s);
		return;
	}
}

/* The watcher thread: a stream whose client hangs up is woken at once, so
 * its socket is closed now rather than at the next keep-alive (up to 5 s in
 * CLOSE-WAIT); lingering sockets are drained as their bytes come. */
static void *watcher_main(void *arg)
{
	struct http_server *srv = arg;

	for (;;) {
		struct epoll_event ev[64];
		int n = epoll_wait(srv->hup_fd, ev, 64, -1);

		pthread_mutex_lock(&srv->smu);
		if (srv->wstop) {
			pthread_mutex_unlock(&srv->smu);
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			uint64_t key = ev[i].data.u64;

			if (key & HUP_LINGER_BIT)
				linger_drain(srv, (int)(key & ~HUP_LINGER_BIT), false);
			else if (key)
				hup_seen(srv, key);
		}
		pthread_mutex_unlock(&srv->smu);
	}
}

/* --- metrics ------------------------------------------------------------------- */

static void count_request(struct http_server *srv, const char *route, const char *method, int status)
{
	pthread_mutex_lock(&srv->mu);
	for (size_t i = 0; i < srv->ncounters; i++) {
		struct counter *c = &srv->counters[i];
		if (c->status == status && c->route == route && strcmp(c->method, method) == 0) {
			c->n++;
			goto out;
		}
	}
	if (srv->ncounters == srv->capcounters) {
		size_t cap = srv->capcounters ? srv->capcounters * 2 : 64;
		struct counter *nc = realloc(srv->counters, cap * sizeof(*nc));
		if (!nc)
			goto out;
		srv->counters = nc;
		srv->capcounters = cap;
	}
	/* method: MHD's string lives only as long as the request; keep a static one. */
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };
	const char *m = "other";
	for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
		if (strcmp(methods[i], method) == 0)
			m = methods[i];
	srv->counters[srv->ncounters++] = (struct counter){ route, m, status, 1 };
out:
	pthread_mutex_unlock(&srv->mu);
}

void http_metrics_write(struct http_server *srv, FILE *f)
{
	fprintf(f, "# HELP amphi_http_requests_total HTTP requests answered, by route pattern, method and status.\n"
	           "# TYPE amphi_http_requests_total counter\n");
	pthread_mutex_lock(&srv->mu);
	for (size_t i = 0; i < srv->ncounters; i++) {
		const struct counter *c = &srv->counters[i];
		fprintf(f, "amphi_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
		        c->route, c->method, c->status, (unsigned long long)c->n);
	}
	pthread_mutex_unlock(&srv->mu);
	fprintf(f, "# HELP amphi_http_streams Open Server-Sent Events streams.\n"
	           "# TYPE amphi_http_streams gauge\n"
	           "amphi_http_streams %u\n", http_server_streams(srv));
}

/* --- static files ------------------------------------------------------------- */

static const char *mime_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" }, { ".json", "application/json" },
		{ ".svg", "image/svg+xml" }, { ".png", "image/png" }, { ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" }, { ".webm", "video/webm" },
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* Serves GET/HEAD of web_dir; a path with ".." or hidden segments is 404. */
static void serve_static(struct http_server *srv, struct http_req *req)
{
	req->route = "static";
	if (!srv->web_dir || strstr(req->path, "/.") || strncmp(req->path, "/api/", 5) == 0) {
		http_error(req, 404, "not_found", "no such resource: %s", req->path);
		return;
	}
	char file[4096];
	const char *p = strcmp(req->path, "/") == 0 ? "/index.html" : req->path;
	if ((size_t)snprintf(file, sizeof file, "%s%s", srv->web_dir, p) >= sizeof file) {
		http_error(req, 404, "not_found", "path too long");
		return;
	}
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		http_error(req, 404, "not_found", "no such resource: %s", req->path);
		return;
	}
	struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		http_error(req, 500, "internal", "cannot serve the file");
		return;
	}
	MHD_add_response_header(r, "Content-Type", mime_type(file));
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'");
	answer(req, 200, r);
}

/* --- the MHD callbacks --------------------------------------------------------- */

static void req_free(struct http_req *req)
{
	for (int i = 0; i < req->nparams; i++)
		free(req->param_values[i]);
	for (int i = 0; i < req->nhdr_; i++) {
		free(req->hdr_name_[i]);
		free(req->hdr_value_[i]);
	}
	json_decref(req->json);
	if (req->body)
		explicit_bzero(req->body, req->body_cap_);   /* may hold a password */
	free(req->body);
	free((char *)req->path);
	free(req);
}

static bool is_json_type(const char *ct)
{
	if (!ct)
		return false;
	size_t n = strlen("application/json");
	return strncasecmp(ct, "application/json", n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

/* Parses the body of a HTTP_JSON route; answers 415/400 and returns -1 on error. */
static int parse_json_body(struct http_req *req)
{
	if (req->body_len == 0) {
		req->json = json_object();
		return 0;
	}
	if (!is_json_type(req->content_type)) {
		http_error(req, 415, "unsupported_media_type",
		           "the body must be application/json, got %s",
		           req->content_type ? req->content_type : "no Content-Type");
		return -1;
	}
	char err[300];
	if (http_json_body_parse(req->body, req->body_len, &req->json, err, sizeof err) != 0) {
		http_error(req, 400, "malformed_json", "%s", err);
		return -1;
	}
	return 0;
}

int http_json_body_parse(const char *body, size_t len, json_t **out, char *err, size_t errlen)
{
	json_error_t e;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		snprintf(err, errlen, "line %d column %d: %s", e.line, e.column, e.text);
		return -EINVAL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(err, errlen, "the body must be a JSON object");
		return -EINVAL;
	}
	*out = j;
	return 0;
}

/* The navigation log (DESIGN.md §9 [access_logs], 13 months): one row per
 * API request with the route pattern, never the path's ids or the query. */
static void access_log(struct http_req *req)
{
	if (!req->db || strncmp(req->path, "/api/", 5) != 0)
		return;
	const struct auth_principal *p = &req->principal;
	db_exec(req->db, "INSERT INTO access_logs (at, account_id, registration_id, ip, method, route, status) "
	                 "VALUES (?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, ?)", "iiisssi",
	        amphi_now(), p->account_id, p->registration_id, req->client_ip, req->method,
	        req->route ? req->route : "-", (int64_t)req->status_);
}

static void run_handler(struct http_req *req, http_handler_fn fn)
{
	req->deferred_ = false;
	fn(req);
	if (!req->resp_ && !req->deferred_) {
		log_msg(LOG_ERROR, "handler gave no answer", "route=%s", req->route);
		http_error(req, 500, "internal", "the handler gave no answer");
	}
}

static void dispatch(struct http_server *srv, struct http_req *req)
{
	bool mismatch;
	const struct route *rt = router_match(srv->router, req, &mismatch);
	if (!rt) {
		if (mismatch) {
			req->route = "method_not_allowed";
			http_error(req, 405, "method_not_allowed", "%s is not allowed on %s", req->method, req->path);
		} else if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) {
			serve_static(srv, req);
		} else {
			req->route = "not_found";
			http_error(req, 404, "not_found", "no such resource: %s", req->path);
		}
		return;
	}
	req->route = rt->pattern;
	req->app = rt->app;
	if (req->body_too_big_) {
		http_error(req, 413, "body_too_large", "the body exceeds %zu bytes", srv->max_body);
		return;
	}
	if ((rt->flags & HTTP_JSON) && parse_json_body(req) != 0)
		return;
	req->db = db_acquire(srv->db);
	if (srv->hook && srv->hook(srv->hook_arg, req) != 0)
		goto out;
	run_handler(req, rt->fn);
	if (req->deferred_) {
		db_release(srv->db, req->db);
		req->db = NULL;
		return;
	}
out:
	access_log(req);
	db_release(srv->db, req->db);
	req->db = NULL;
}

/* A deferred request's next step (http_continue), on a worker. */
static void dispatch_continued(struct http_server *srv, struct http_req *req)
{
	http_handler_fn fn = req->cont_;

	req->cont_ = NULL;
	req->db = db_acquire(srv->db);
	run_handler(req, fn);
	if (!req->deferred_)
		access_log(req);
	db_release(srv->db, req->db);
	req->db = NULL;
}

/* Queues the answer a handler left in req (on MHD's thread). */
static enum MHD_Result send_answer(struct http_server *srv, struct MHD_Connection *conn, struct http_req *req)
{
	enum MHD_Result r = MHD_queue_response(conn, (unsigned)req->status_, req->resp_);

	MHD_destroy_response(req->resp_);
	count_request(srv, req->route ? req->route : "unknown", req->method, req->status_);
	if (req->status_ >= 500)
		log_msg(LOG_WARN, "request failed", "method=%s route=%s status=%d", req->method,
		        req->route ? req->route : "-", req->status_);
	else
		log_msg(LOG_DEBUG, "request", "method=%s route=%s status=%d", req->method,
		        req->route ? req->route : "-", req->status_);
	return r;
}

/* --- the worker pool ------------------------------------------------------------- */

/* Appends req to the work queue; the caller holds qmu. */
static void work_append(struct http_server *srv, struct http_req *req)
{
	req->qnext_ = NULL;
	if (srv->qtail)
		srv->qtail->qnext_ = req;
	else
		srv->qhead = req;
	srv->qtail = req;
	pthread_cond_signal(&srv->qcond);
}

/* 0, or -ESHUTDOWN once the pool is stopping. */
static int work_push(struct http_server *srv, struct http_req *req)
{
	int r = 0;

	pthread_mutex_lock(&srv->qmu);
	if (srv->qstop)
		r = -ESHUTDOWN;
	else
		work_append(srv, req);
	pthread_mutex_unlock(&srv->qmu);
	return r;
}

void http_defer(struct http_req *req)
{
	req->deferred_ = true;
}

/* A continued request goes back to the queue even while the pool stops:
 * workers drain the queue before they exit, and the deferred work's owner
 * stops before the server (http.h). */
void http_continue(struct http_req *req, http_handler_fn fn)
{
	struct http_server *srv = req->srv;

	pthread_mutex_lock(&srv->qmu);
	req->cont_ = fn;
	if (req->parked_) {
		req->parked_ = false;
		work_append(srv, req);
	} else {
		req->cont_early_ = true;   /* its worker is still finishing the handler */
	}
	pthread_mutex_unlock(&srv->qmu);
}

/* After a handler deferred: park the request, or queue it at once when
 * http_continue already came. */
static void work_park(struct http_server *srv, struct http_req *req)
{
	pthread_mutex_lock(&srv->qmu);
	if (req->cont_early_) {
		req->cont_early_ = false;
		work_append(srv, req);
	} else {
		req->parked_ = true;
	}
	pthread_mutex_unlock(&srv->qmu);
}

static void *worker_main(void *arg)
{
	struct http_server *srv = arg;

	for (;;) {
		struct http_req *req;
		struct MHD_Connection *conn;

		pthread_mutex_lock(&srv->qmu);
		while (!srv->qhead && !srv->qstop)
			pthread_cond_wait(&srv->qcond, &srv->qmu);
		req = srv->qhead;
		if (req) {
			srv->qhead = req->qnext_;
			if (!srv->qhead)
				srv->qtail = NULL;
		}
		pthread_mutex_unlock(&srv->qmu);
		if (!req)
			return NULL;   /* stopping and drained */
		if (req->cont_)
			dispatch_continued(srv, req);
		else
			dispatch(srv, req);
		if (req->deferred_) {
			work_park(srv, req);   /* req is http_continue's from here */
			continue;
		}
		/* req belongs to MHD's thread again from here: it may be freed. */
		conn = req->conn_;
		MHD_resume_connection(conn);
	}
}

/* Per connection (MHD's socket_context): what on_unescape saw of the
 * current request's target, read and cleared by head_check. */
struct conn_note {
	bool target_ctl;
};

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)conn;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = calloc(1, sizeof(struct conn_note));
	} else {
		free(*socket_context);
		*socket_context = NULL;
	}
}

/* MHD's unescaper for the path and the query arguments, which notes a
 * control byte first: decoded, a %00 would cut the path short. */
static size_t on_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	if (http_head_target_ctl(s, strlen(s))) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct conn_note *note = ci ? ci->socket_context : NULL;

		if (note)
			note->target_ctl = true;
	}
	return MHD_http_unescape(s);
}

static enum MHD_Result head_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                  const char *value, size_t value_size)
{
	(void)kind;
	http_head_field(cls, key, key_size, value ? value : "", value ? value_size : 0);
	return MHD_YES;
}

/* The first call for a request, headers in, body unread: refuses what
 * http_head refuses, at once and once (no "100 Continue" before it), and
 * closes the connection after the answer, its body unread. */
static enum MHD_Result head_check(struct http_server *srv, struct MHD_Connection *conn, struct http_req *req,
                                  const char *version)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_note *note = ci ? ci->socket_context : NULL;
	struct http_head_refusal no;
	struct http_head h;

	if (!note)
		return MHD_NO;   /* no memory for the note when the connection came */
	http_head_init(&h, version, strlen(version));
	h.target_ctl = note->target_ctl;
	note->target_ctl = false;
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, head_field, &h);
	no = http_head_verdict(&h, srv->max_body);
	if (!no.status)
		return MHD_YES;
	req->route = no.error;
	if (no.status == 413)
		http_error(req, 413, no.error, "the body exceeds %zu bytes", srv->max_body);
	else
		http_error(req, no.status, no.error, "%s", no.detail);
	if (!req->resp_)
		return MHD_NO;
	MHD_add_response_header(req->resp_, "Connection", "close");
	if (h.lengths || h.codings)
		linger_start(srv, conn);
	return send_answer(srv, conn, req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct http_req *req = *con_cls;
	(void)version;
	if (!req) {
		req = calloc(1, sizeof *req);
		if (!req)
			return MHD_NO;
		req->srv = srv;
		req->conn_ = conn;
		req->method = method;
		req->path = strdup(url);
		req->tls = srv->tls;
		req->content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
		req->principal.role = AUTH_ANONYMOUS;
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const struct sockaddr *sa = ci ? ci->client_addr : NULL;
		if (sa && sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->client_ip, sizeof req->client_ip);
		else if (sa && sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, req->client_ip, sizeof req->client_ip);
		*con_cls = req;
		if (!req->path)
			return MHD_NO;
		return head_check(srv, conn, req, version);
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (req->body_too_big_ || req->body_len + n > srv->max_body) {
			req->body_too_big_ = true;   /* keep reading, drop the bytes */
			return MHD_YES;
		}
		if (req->body_len + n + 1 > req->body_cap_) {
			size_t cap = req->body_cap_ ? req->body_cap_ : 1024;
			while (cap < req->body_len + n + 1)
				cap *= 2;
			char *nb = realloc(req->body, cap);
			if (!nb)
				return MHD_NO;
			req->body = nb;
			req->body_cap_ = cap;
		}
		memcpy(req->body + req->body_len, upload, n);
		req->body_len += n;
		req->body[req->body_len] = 0;
		return MHD_YES;
	}
	if (req->resp_)
		return send_answer(srv, conn, req);   /* a worker answered and resumed us */
	if (req->queued_)
		return MHD_YES;   /* cannot happen while suspended; harmless */
	req->queued_ = true;
	/* Suspend before queueing: the worker's resume must find the
	 * connection suspended. */
	MHD_suspend_connection(conn);
	if (work_push(srv, req) != 0) {
		/* Shutting down: no worker will run it. */
		MHD_resume_connection(conn);
		req->route = "unavailable";
		http_error(req, 503, "shutting_down", "the server is stopping");
	}
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	if (*con_cls)
		req_free(*con_cls);
	*con_cls = NULL;
}

/* libmicrohttpd's messages that a client causes, not the server: one that
 * leaves (a viewer closing a tab ends its event stream this way: stream_read
 * refuses to go on, or a write fails) or sends a malformed request.  Debug
 * lines: they come by the thousand under churn and need no operator. */
static bool mhd_log_is_client(const char *msg)
{
	static const char *const client[] = {
		"application error generating response",   /* stream_read: the client hung up */
		"forcibly closed by remote peer",
		"no longer available for sending",
		"Connection reset by peer",
		"HTTP response code is 4",                 /* its own 400, 413, 414, 431 answers */
	};

	for (size_t i = 0; i < sizeof client / sizeof *client; i++)
		if (strstr(msg, client[i]))
			return true;
	return false;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char buf[512], q[600];
	vsnprintf(buf, sizeof buf, fmt, ap);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	log_msg(mhd_log_is_client(buf) ? LOG_DEBUG : LOG_WARN, "libmicrohttpd", "detail=%s",
	        log_quote(q, sizeof q, buf));
}

/* Each connection is a descriptor: lift the soft limit towards the hard one
 * so max_connections can be reached (a plain start has 1024). */
static void raise_fd_limit(unsigned max_conn)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_conn + 256;   /* + database, sockets, logs */

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_msg(LOG_WARN, "open file limit below max_connections", "nofile=%llu max_connections=%u",
		        (unsigned long long)rl.rlim_cur, max_conn);
}

/* The origin a browser sees when it reaches the listen address directly:
 * the host as written in `listen` ("*" or nothing: 0.0.0.0) and the port
 * actually bound. */
static void set_origin(struct http_server *srv, const char *listen)
{
	const char *colon = strrchr(listen, ':');
	int hl = colon ? (int)(colon - listen) : 0;

	if (hl == 0 || (hl == 1 && listen[0] == '*'))
		listen = "0.0.0.0", hl = 7;
	snprintf(srv->origin, sizeof srv->origin, "%s://%.*s:%d", srv->tls ? "https" : "http", hl, listen, srv->port);
}

struct http_server *http_server_start(const struct http_config *cfg, struct http_router *r,
                                      struct db *db, http_hook_fn hook, void *hook_arg,
                                      char *err, size_t errlen)
{
	struct sockaddr_in6 sa;
	socklen_t sl;
	if (addr_parse(cfg->listen, ADDR_LISTEN, &sa, &sl) != 0) {
		snprintf(err, errlen, "listen: expected host:port, got '%s'", cfg->listen);
		http_router_free(r);
		return NULL;
	}
	struct http_server *srv = calloc(1, sizeof *srv);
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		http_router_free(r);
		return NULL;
	}
	srv->router = r;
	srv->db = db;
	srv->hook = hook;
	srv->hook_arg = hook_arg;
	srv->max_body = cfg->max_body ? cfg->max_body : HTTP_MAX_BODY_DEFAULT;
	srv->web_dir = cfg->web_dir ? strdup(cfg->web_dir) : NULL;
	srv->tls = cfg->tls_cert_pem && cfg->tls_key_pem;
	pthread_mutex_init(&srv->mu, NULL);
	pthread_mutex_init(&srv->qmu, NULL);
	pthread_cond_init(&srv->qcond, NULL);
	pthread_mutex_init(&srv->smu, NULL);
	srv->hup_fd = epoll_create1(EPOLL_CLOEXEC);
	srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->hup_fd < 0 || srv->stop_fd < 0 ||
	    epoll_ctl(srv->hup_fd, EPOLL_CTL_ADD, srv->stop_fd,
	              &(struct epoll_event){ .events = EPOLLIN, .data.u64 = 0 }) != 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		goto fail;
	}

	/* Bind ourselves so errors are precise and ":0" works (tests). */
	int fd = socket(((struct sockaddr *)&sa)->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sl) != 0 || listen(fd, 1024) != 0) {
		snprintf(err, errlen, "listen %s: %s", cfg->listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	struct sockaddr_storage bound;
	socklen_t bl = sizeof bound;
	getsockname(fd, (struct sockaddr *)&bound, &bl);
	srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
	                                              : ((struct sockaddr_in *)&bound)->sin_port);

	set_origin(srv, cfg->listen);

	unsigned max_conn = cfg->max_connections ? cfg->max_connections : HTTP_MAX_CONNECTIONS_DEFAULT;
	unsigned io_threads = cfg->io_threads ? cfg->io_threads : 1;
	raise_fd_limit(max_conn);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	                 MHD_USE_ERROR_LOG;
	if (srv->tls)
		flags |= MHD_USE_TLS;
	/* MHD_OPTION_ARRAY: function pointers go in `value`, their closure in `ptr_value`. */
	struct MHD_OptionItem opts[12];
	size_t k = 0;
	opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, srv };
	opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv };
	opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv };
	opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)on_unescape, srv };
	opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	                                     cfg->conn_timeout_s ? cfg->conn_timeout_s : 60u, NULL };
	opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, max_conn, NULL };
	if (io_threads > 1)
		opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, io_threads, NULL };
	if (srv->tls) {
		opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem };
		opts[k++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem };
	}
	opts[k] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!srv->d) {
		snprintf(err, errlen, "cannot start the HTTP server on %s%s", cfg->listen,
		         srv->tls ? " (check the TLS certificate and key)" : "");
		close(fd);
		goto fail;
	}
	srv->nworkers = cfg->workers ? cfg->workers : HTTP_WORKERS_DEFAULT;
	srv->workers = calloc(srv->nworkers, sizeof *srv->workers);
	for (unsigned i = 0; srv->workers && i < srv->nworkers; i++)
		if (pthread_create(&srv->workers[i], NULL, worker_main, srv) != 0)
			fatal("cannot start an HTTP worker thread", "error=\"%s\"", strerror(errno));
	if (!srv->workers || periodic_start(HTTP_STREAM_TICK_NS, ticker_run, srv, &srv->ticker) != 0 ||
	    pthread_create(&srv->watcher, NULL, watcher_main, srv) != 0)
		fatal("cannot start the HTTP threads", NULL);   /* start-up only */
	srv->watcher_running = true;
	return srv;
fail:
	http_router_free(r);
	if (srv->stop_fd >= 0)
		close(srv->stop_fd);
	if (srv->hup_fd >= 0)
		close(srv->hup_fd);
	free(srv->web_dir);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
	return NULL;
}

bool http_server_closing(const struct http_server *srv)
{
	return atomic_load(&srv->closing);
}

int http_server_port(const struct http_server *srv)
{
	return srv->port;
}

const char *http_server_origin(const struct http_server *srv)
{
	return srv->origin;
}

void http_server_stop(struct http_server *srv)
{
	if (!srv)
		return;
	/* 1. Streams end at their next read; no new connection is accepted. */
	atomic_store(&srv->closing, true);
	MHD_socket lfd = MHD_quiesce_daemon(srv->d);
	/* 2. Handlers that run finish and get answered; queued ones run too
	 * (they are short: a body was read in full); later requests on kept
	 * connections get 503 at once. */
	pthread_mutex_lock(&srv->qmu);
	srv->qstop = true;
	pthread_cond_broadcast(&srv->qcond);
	pthread_mutex_unlock(&srv->qmu);
	for (unsigned i = 0; i < srv->nworkers; i++)
		pthread_join(srv->workers[i], NULL);
	/* 3. Every suspended stream resumes and reads its end.  Nothing can
	 * suspend after this: stream_read checks `closing` under the
	 * stream's lock, which this wake takes too. */
	periodic_stop(srv->ticker);
	if (srv->watcher_running) {
		pthread_mutex_lock(&srv->smu);
		srv->wstop = true;
		pthread_mutex_unlock(&srv->smu);
		if (eventfd_write(srv->stop_fd, 1) != 0)
			log_msg(LOG_ERROR, "cannot stop the stream watcher", "error=\"%s\"", strerror(errno));
		pthread_join(srv->watcher, NULL);
	}
	wake_all_streams(srv);
	/* 4. MHD closes every connection, half-sent requests included (no
	 * connection thread to wait for: MHD's I/O threads poll). */
	MHD_stop_daemon(srv->d);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	http_router_free(srv->router);
	free(srv->workers);
	free(srv->counters);
	free(srv->web_dir);
	linger_drain(srv, -1, true);
	close(srv->stop_fd);
	close(srv->hup_fd);
	pthread_mutex_destroy(&srv->smu);
	pthread_cond_destroy(&srv->qcond);
	pthread_mutex_destroy(&srv->qmu);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
}
