/* http: amphi-control's HTTP/1.1 server (libmicrohttpd) and route table.
 *
 * Threads: MHD's I/O threads (epoll, `io_threads`, default 1) read requests
 * and write answers; they never run a handler.  Once a request's headers and
 * body are in, its connection is suspended and the request queued to a pool
 * of `workers` threads (default 16): a handler may block on SQLite or
 * another daemon's socket without stalling any other connection, and at most
 * `workers` handlers run at once; what takes longer (Argon2id) runs elsewhere
 * while the request is deferred (http_defer).  The worker resumes the connection and
 * MHD sends the answer.  A Server-Sent Events stream costs no thread at all:
 * its reader runs on the I/O thread, never blocks, and when it has nothing to
 * send the connection is suspended until http_stream_wake (or the once-a-
 * second tick) resumes it.  Thousands of open streams are thus a few hundred
 * bytes of state plus MHD's per-connection buffer each (docs/performance.md).
 *
 * Modules register routes before http_server_start():
 *
 *   void webinars_routes(struct http_router *r, struct control *app)
 *   {
 *       http_route(r, "GET", "/api/webinars/{id}", webinar_show, app, HTTP_JSON);
 *   }
 *
 * A pattern is matched segment by segment; "{name}" captures one non-empty
 * segment, read back with http_param() / http_param_id().  A path that matches
 * a pattern with another method gets 405; no match falls through to the static
 * files (GET/HEAD of --web) or 404.
 *
 * Ownership: the server owns every struct http_req and frees it (with its
 * body, parsed JSON and captures) after the response is sent.  A handler
 * answers by calling exactly one of http_json / http_error / http_text /
 * http_empty / http_stream before it returns, or defers (http_defer); a
 * handler that does neither produces a 500.  The request's SQLite connection (req->db) is checked out of
 * the pool for the handler's duration only: a stream callback that needs the
 * database acquires its own (db_acquire). */
#ifndef AMPHI_CONTROL_HTTP_H
#define AMPHI_CONTROL_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control/auth.h"

struct control;
struct sqlite3;
struct http_server;
struct http_router;
struct db;

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_HEADERS 8          /* response headers a handler may add */
#define HTTP_MAX_BODY_DEFAULT (64 * 1024)

/* Route flags. */
enum {
	/* The body, when not empty, must be Content-Type: application/json and a
	 * JSON object (415 / 400 otherwise); req->json is then that object, or
	 * an empty object for an empty body.  Without the flag the raw body is
	 * in req->body and req->json is NULL. */
	HTTP_JSON = 1 << 0,
};

struct http_req;
typedef void (*http_handler_fn)(struct http_req *req);

struct http_req {
	struct http_server *srv;
	struct control *app;       /* the route's app: amphi-control's one context (control.h) */
	const char *method;        /* "GET", "POST", ... (MHD's, valid for the request) */
	const char *path;          /* decoded path, no query */
	const char *route;         /* the matched pattern ("/api/webinars/{id}"), for metrics */
	const char *param_names[HTTP_MAX_PARAMS];   /* point into the pattern */
	char *param_values[HTTP_MAX_PARAMS];        /* owned copies of the captures */
	int nparams;
	const char *content_type;  /* request header, or NULL */
	char *body;                /* owned, NUL-terminated; NULL when empty */
	size_t body_len;
	json_t *json;              /* owned; see HTTP_JSON */
	char client_ip[46];        /* textual address of the peer */
	bool tls;                  /* the server runs TLS (cookies get Secure) */
	struct auth_principal principal;   /* filled by the auth hook before the handler */
	struct sqlite3 *db;        /* checked-out connection, valid during the handler */
	void *defer_arg;           /* the handler's state while deferred (http_defer); it frees it */

	/* private to http.c */
	void *conn_;               /* struct MHD_Connection * */
	void *resp_;               /* struct MHD_Response * once answered */
	int status_;
	char *hdr_name_[HTTP_MAX_HEADERS], *hdr_value_[HTTP_MAX_HEADERS];
	int nhdr_;
	size_t body_cap_;
	bool body_too_big_;
	bool queued_;              /* handed to a worker */
	struct http_req *qnext_;   /* in the work queue */
	http_handler_fn cont_;     /* set by http_continue: what the next worker runs */
	bool deferred_;            /* the handler called http_defer */
	bool parked_;              /* deferred and its worker done: http_continue queues it */
	bool cont_early_;          /* http_continue came before the worker was done */
};

/* Called before every routed handler (after the body is complete).  Returns 0
 * to run the handler, or non-zero when it already answered (401, 403 ...). */
typedef int (*http_hook_fn)(void *arg, struct http_req *req);

struct http_config {
	const char *listen;        /* "127.0.0.1:8080", "[::1]:8080" */
	const char *web_dir;       /* static files, or NULL */
	size_t max_body;           /* bytes; 413 beyond */
	const char *tls_cert_pem;  /* both set: HTTPS (PEM text, not paths) */
	const char *tls_key_pem;
	unsigned conn_timeout_s;   /* idle connection timeout */
	unsigned workers;          /* handler threads; 0: HTTP_WORKERS_DEFAULT */
	unsigned io_threads;       /* MHD epoll threads; 0: 1 */
	unsigned max_connections;  /* 0: HTTP_MAX_CONNECTIONS_DEFAULT; the open-file limit is raised to fit */
};

#define HTTP_WORKERS_DEFAULT 16
#define HTTP_MAX_CONNECTIONS_DEFAULT 10000
#define HTTP_STREAM_TICK_NS 1000000000LL   /* every open stream is read at least this often */

struct http_router *http_router_new(void);
/* Adds a route; the pattern and method must be static strings (kept by
 * pointer).  app is what the handler finds in req->app (borrowed: it must
 * outlive the server).  0, -EINVAL for a malformed pattern, -EEXIST for a
 * duplicate. */
int http_route(struct http_router *r, const char *method, const char *pattern,
               http_handler_fn fn, struct control *app, unsigned flags);
void http_router_free(struct http_router *r);

/* Takes ownership of the router.  db is the pool handlers' connections come
 * from.  NULL with err on failure (bad address, port in use, TLS). */
struct http_server *http_server_start(const struct http_config *cfg, struct http_router *r,
                                      struct db *db, http_hook_fn hook, void *hook_arg,
                                      char *err, size_t errlen);
/* Marks the server closing (streams end), stops accepting, lets running and
 * queued handlers finish and answer, resumes every stream so it reads its end,
 * then closes every connection (half-sent requests included) and frees
 * everything.  Takes about as long as the slowest running handler. */
void http_server_stop(struct http_server *srv);
/* True once http_server_stop() has begun: stream callbacks return
 * HTTP_STREAM_END when they see it. */
bool http_server_closing(const struct http_server *srv);
/* The port actually bound (useful with ":0"). */
int http_server_port(const struct http_server *srv);
/* "http://127.0.0.1:8080": the scheme, the host of `listen` as written and
 * the port bound.  The origin of the pages when no public_origin is set. */
const char *http_server_origin(const struct http_server *srv);

/* --- request accessors ---------------------------------------------------- */
const char *http_param(const struct http_req *req, const char *name);
/* Parses a capture as a positive decimal id.  0, or -EINVAL (the handler
 * should answer 404: an id that cannot exist is not found). */
int http_param_id(const struct http_req *req, const char *name, int64_t *out);
const char *http_query(const struct http_req *req, const char *key);
const char *http_header(const struct http_req *req, const char *name);
const char *http_cookie(const struct http_req *req, const char *name);
/* "POST", "PUT", "PATCH", "DELETE": requests that change state. */
bool http_req_is_write(const struct http_req *req);

/* --- responses (exactly one per request) ------------------------------------ */
/* Adds a response header (copied); up to HTTP_MAX_HEADERS.  Call before the
 * answering function.  Set-Cookie may be added once per cookie. */
int http_set_header(struct http_req *req, const char *name, const char *value);
/* Sends body (stolen: the reference is consumed, even on error) as JSON. */
int http_json(struct http_req *req, int status, json_t *body);
/* {"error": error, "detail": detail} with status.  detail may be NULL (then
 * omitted).  http_error_json steals a JSON detail (object, array, string). */
int http_error(struct http_req *req, int status, const char *error, const char *detail_fmt, ...)
    __attribute__((format(printf, 4, 5)));
int http_error_json(struct http_req *req, int status, const char *error, json_t *detail);
int http_text(struct http_req *req, int status, const char *content_type, const char *text, size_t len);
int http_empty(struct http_req *req, int status);   /* 204, 202 ... without body */
/* Sends count bytes of the open file fd from offset, with Content-Type and
 * Content-Length (a HEAD gets the head alone).  fd is taken over, even on
 * error: libmicrohttpd closes it once the answer is sent or abandoned.  The
 * bytes go from the file to the socket on the I/O thread (sendfile(2), or
 * pread(2) under TLS), a few hundred KiB at a time as the socket takes them:
 * nothing is read into memory ahead of the client. */
int http_file(struct http_req *req, int status, const char *content_type, int fd, uint64_t offset,
              uint64_t count);

/* Deferred answers.  A handler that must wait for work done elsewhere (the
 * password-hashing queue, pwhash.h) calls http_defer, hands the work off and
 * returns without answering: the connection stays suspended, and the request
 * holds no worker and no database connection while it waits.  When the work
 * is done, whoever finished it calls http_continue (any thread, once per
 * http_defer): fn then runs on a worker like a handler (req->db checked out
 * again, req->principal as the hook left it, the hook not run again) and
 * answers, or defers again.  The handler keeps its state in req->defer_arg.
 * Every deferred request must be continued before http_server_stop (the
 * work's owner stops first and continues what it cancels). */
void http_defer(struct http_req *req);
void http_continue(struct http_req *req, http_handler_fn fn);

/* Streaming (SSE).  read is called on an MHD I/O thread whenever the socket
 * can take more, and at least every HTTP_STREAM_TICK_NS while the stream is
 * open; it must never block.  It returns the number of bytes written into buf
 * (1..max), HTTP_STREAM_WAIT when it has nothing now (the connection is then
 * suspended until http_stream_wake or the next tick), HTTP_STREAM_END to
 * finish, HTTP_STREAM_ERROR to abort.  done (may be NULL) runs exactly once
 * when the stream is over, whatever the reason (client gone, end, shutdown),
 * on an MHD thread: free arg there, and make sure nothing calls
 * http_stream_wake on this stream once done has returned.
 *
 * Returns the stream's handle (valid until done returns), or NULL after
 * answering 500 (done has then run). */
#define HTTP_STREAM_WAIT  0
#define HTTP_STREAM_END   (-1)
#define HTTP_STREAM_ERROR (-2)
struct http_stream;
typedef ssize_t (*http_stream_read_fn)(void *arg, uint64_t pos, char *buf, size_t max);
typedef void (*http_stream_done_fn)(void *arg);
struct http_stream *http_stream(struct http_req *req, int status, const char *content_type,
                                http_stream_read_fn read, http_stream_done_fn done, void *arg);
/* Something new for the stream: resume it if it waits, or make its current
 * read not wait.  Any thread; cheap (a mutex, and an eventfd write when it
 * resumes); takes no lock that a read callback holds. */
void http_stream_wake(struct http_stream *s);
/* Open streams, for /metrics and tests. */
unsigned http_server_streams(struct http_server *srv);

/* The body check of HTTP_JSON routes, exposed for the fuzz target: parses
 * len bytes as one JSON object (duplicate keys refused).  0 with *out a new
 * reference, or -EINVAL with a message ("line 1 column 7: ...") in err. */
int http_json_body_parse(const char *body, size_t len, json_t **out, char *err, size_t errlen);

/* --- metrics ---------------------------------------------------------------- */
/* Appends amphi_http_requests_total{route,method,status} to f. */
void http_metrics_write(struct http_server *srv, FILE *f);

#endif
