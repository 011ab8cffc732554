/* privacy_requests: the register of data-subject requests made by other
 * means than the API — a letter, a mail to the DPO, a phone call — which
 * GDPR art. 12(3) gives one month to answer (DESIGN.md §9; the period is
 * [privacy_requests] respond_within in etc/retention.conf).
 *
 *   POST /api/privacy/requests             admin: record one (kind, requester,
 *                                          received_at, note); due one period later
 *   GET  /api/privacy/requests[?state=open] admin: overdue first, then by due date
 *   POST /api/privacy/requests/{id}/fulfil admin: closes it with the action taken
 *   POST /api/privacy/requests/{id}/refuse and its receipt (or the reason to refuse)
 *
 * Every change is audited (ids only: the requester's identity stays in the
 * row, which the retention sweep deletes 5 years after receipt, expiry.c).
 * Open and overdue requests are counted in /metrics (privacy_requests_metrics). */
#ifndef AMPHI_CONTROL_PRIVACY_REQUESTS_H
#define AMPHI_CONTROL_PRIVACY_REQUESTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct control;
struct http_router;
struct sqlite3;

int privacy_requests_routes(struct http_router *r, struct control *app);
/* The gauges amphi_privacy_requests_open and amphi_privacy_requests_overdue,
 * in Prometheus text, at time now. */
void privacy_requests_metrics(struct sqlite3 *db, int64_t now, FILE *f);
/* Whether text (a request's requester: free text) names the address email
 * as a whole: compared without case, and neither glued to more of an address
 * before it ("lizoe@x" is not "zoe@x") nor after it ("zoe@x.org" is not
 * "zoe@x").  For the export and the erasure receipt of a person. */
bool privacy_requests_names_address(const char *text, const char *email);

#endif
