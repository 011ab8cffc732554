/* ctl: amphi-relay's control socket (docs/relay-control.md).
 *
 * Runs common/ctl's server on a thread of its own.  That thread owns the
 * registry: which streams exist, in which slot, on which owner worker, which
 * viewers each has and on which worker.  It changes worker state only by
 * running commands on the workers (worker_cmd_run), one at a time, so the
 * registry and the workers agree whenever no command is in flight. */
#ifndef RELAY_CTL_H
#define RELAY_CTL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct registry;
struct relay;
struct relay_ctl;

/* Binds the socket and starts the thread; NULL with err on failure. */
struct relay_ctl *relay_ctl_start(struct relay *r, const char *path, char *err, size_t errlen);
/* Stops the thread, closes and unlinks the socket.  Call before relay_stop. */
void relay_ctl_stop(struct relay_ctl *c);

/* The parse stage alone of the command req names: NULL when the request
 * would be run, else its error answer (the caller's).  Reads reg only and
 * wipes what it parsed.  Exposed for tests (tests/fuzz/relay_ctlparse.c). */
json_t *relay_ctl_check(const struct registry *reg, json_t *req);

/* Strict base64 (RFC 4648 §4, padding required) into out; the decoded length
 * or -EINVAL.  Exposed for tests. */
int relay_base64_decode(const char *in, uint8_t *out, size_t cap);

#endif
