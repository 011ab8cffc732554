/* ops: what operators poll: GET /healthz (SQLite and the relay socket) and
 * GET /metrics (Prometheus text: HTTP requests, logins, webinars by state,
 * and amphi-relay's counters fetched over its control socket). */
#ifndef AMPHI_CONTROL_OPS_H
#define AMPHI_CONTROL_OPS_H

#include <jansson.h>
#include <stdio.h>

struct http_router;
struct control;

int ops_routes(struct http_router *r, struct control *app);

/* Writes every number in v (a relay "stats" response) as a sample named
 * prefix_<path>; an array element is labelled by its "id" (streams), else
 * its "worker" (workers), else its position ("index").  Exposed for tests. */
void ops_json_to_prometheus(FILE *f, const char *prefix, json_t *v);

#endif
