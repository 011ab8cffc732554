/* ctl: JSON-lines control sockets (DESIGN.md §4), server and client.
 *
 * Wire format: one request object per line, one response object per line, in
 * order; every response has "ok" (true, or false with "error": "...").
 * The server is single-threaded and non-blocking: it owns an epoll fd that
 * becomes readable when any of its sockets needs work, so a daemon can wait on
 * that one fd from its own loop (poll, io_uring POLL_ADD) and then call
 * ctl_server_step(srv, 0), or simply run ctl_server_step(srv, -1) on a thread
 * of its own.  Handlers run on the thread that calls ctl_server_step. */
#ifndef AMPHI_CTL_H
#define AMPHI_CTL_H

#include <jansson.h>
#include <stddef.h>

#define CTL_MAX_LINE_DEFAULT (64 * 1024)   /* requests are small; bounds a client's memory */
#define CTL_MAX_CLIENTS 64

/* Called once per well-formed request object (borrowed: do not decref).
 * Returns a new reference to the response object; a response without "ok" gets
 * "ok": true added.  NULL is answered as an internal error. */
typedef json_t *(*ctl_handler_fn)(void *arg, json_t *req);

struct ctl_server;

/* Binds path (mode 0600: the daemon's user alone).  A stale socket file left
 * by a crash is replaced; one with a live server behind it is an error.
 * NULL with err on failure. */
struct ctl_server *ctl_server_open(const char *path, ctl_handler_fn fn, void *arg,
                                   char *err, size_t errlen);
void ctl_server_set_max_line(struct ctl_server *srv, size_t max_line);
int ctl_server_fd(const struct ctl_server *srv);
/* Waits up to timeout_ms (-1: forever, 0: not at all) and handles whatever is
 * ready: accepts, reads, answers, writes.  0, or -errno on a fatal error. */
int ctl_server_step(struct ctl_server *srv, int timeout_ms);
/* Closes every connection and unlinks the socket path. */
void ctl_server_close(struct ctl_server *srv);

/* Response helpers (new references). */
json_t *ctl_ok(void);
json_t *ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Client: blocking calls with a timeout, for amphi-control, amphictl, tests
 * and the bench.  A call that times out closes the connection (the stream is
 * then out of step) and reports "timed out". */
struct ctl_client;
struct ctl_client *ctl_client_connect(const char *path, int timeout_ms, char *err, size_t errlen);
/* Sends req (borrowed), returns the response (new reference) or NULL with err. */
json_t *ctl_client_call(struct ctl_client *cl, json_t *req, int timeout_ms, char *err, size_t errlen);
void ctl_client_close(struct ctl_client *cl);
/* connect + call + close. */
json_t *ctl_call(const char *path, json_t *req, int timeout_ms, char *err, size_t errlen);
/* 1 when the daemon behind path answers {"cmd":"ping"} with ok within
 * timeout_ms, else 0: how a starter waits for a daemon it spawned. */
int ctl_ping(const char *path, int timeout_ms);

#endif
