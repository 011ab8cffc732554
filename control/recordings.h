/* recordings: a webinar's recordings for its organizer, and all of them for
 * administrators (DESIGN.md §7, docs/control.md "Recordings"): list, show,
 * play and download with Range (GET .../media), publish for replay,
 * unpublish, delete (audited), legal hold.
 *
 * The recordings live in amphi-recstore; this module reaches them only
 * through its control socket (recstore_client.h) and its read-only mount,
 * which the store's answers name (a recording's "file"): every change goes
 * through the store's own rules (docs/recstore.md), and what the mount shows
 * is what the store deems visible at that second.
 *
 * Which recording is whose: amphi-control names every recording it asks the
 * relay to make (ingest.c calls recordings_link_new before stream.create) and
 * keeps the link in its `recordings` table: recording id -> webinar and
 * organizer.  The store's own webinar and org tags are SQLite row ids, which
 * come back after a deletion, so they decide nothing.  A recording with no
 * link (imported by an operator, or made before the link existed) is seen by
 * administrators only.  An organizer's question about a recording that is
 * not its own is 404, exactly as for one that does not exist. */
#ifndef AMPHI_CONTROL_RECORDINGS_H
#define AMPHI_CONTROL_RECORDINGS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct control;
struct http_router;
struct sqlite3;
struct webinar;

#define RECORDINGS_NAME_MAX 64    /* a recording id and its NUL */

/* Names a new recording of w ("webinar-<id>-<unix>-<8 hex>", unique) into
 * name and links it to w and its organizer.  0 or -errno (database). */
int recordings_link_new(struct sqlite3 *db, const struct webinar *w, char name[RECORDINGS_NAME_MAX]);
/* Drops a link whose recording was never made (the relay refused). */
void recordings_link_drop(struct sqlite3 *db, const char *name);

/* For the retention sweep: every webinar whose replay is marked published
 * (webinars.replay_published_at) is checked against the store; the mark goes
 * when none of its recordings is published any more (one expired, or was
 * deleted by the store's reaper or an operator), so its registrants'
 * identity goes with the recording.  Asks the store once per such webinar's
 * recording (at most 256 webinars a pass; the next pass goes on).  Returns
 * how many marks it cleared. */
int recordings_replay_sweep(struct control *app, struct sqlite3 *db);

/* For an account's deletion (expiry.c), before its row goes: asks the store
 * to delete every recording the account organized (why: the audit text) and
 * drops their links.  One the store no longer has counts as gone; one under
 * legal hold stays (admins still see it).  The ids deleted and held are
 * appended to deleted_ids and held_ids (JSON arrays, either may be NULL: the
 * erasure receipt names them).  The number deleted, or -errno when the store
 * could not be asked: the account must then wait, or its recordings would
 * lose their owner. */
int recordings_account_delete(struct control *app, struct sqlite3 *db, int64_t account, const char *why,
                              json_t *deleted_ids, json_t *held_ids);

/* For an export (export.h): the recordings the account organized, as GET
 * /api/recordings shows them to it, into *out (a new array).  An account
 * with no recording linked gets an empty array without the store being
 * asked.  0, or the store client's -errno with err (the store could not say:
 * the export is incomplete). */
int recordings_account_json(struct control *app, struct sqlite3 *db, int64_t account, json_t **out, char *err,
                            size_t errlen);

int recordings_routes(struct http_router *r, struct control *app);

#endif
