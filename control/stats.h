/* stats: anonymous per-webinar counters and satisfaction ratings
 * ([statistics] in etc/retention.conf: no link to any person, no expiry).
 *
 *   GET  /api/webinars/{id}/stats    owner          the counters and the rating histogram
 *   POST /api/webinars/{id}/rating   participants   {"rating": 1..5}, once per join token (409)
 *
 * A rating adds one to a per-score count: no row per rating, no token, no
 * time, nothing that could tie a score back to whoever gave it.  The token
 * only remembers *that* it rated (tokens.rated_at), to stop ballot stuffing.
 * Viewers are participants' open event streams: current and peak, unique
 * joins (first stream of a join token), and watch seconds (summed when a
 * stream closes). */
#ifndef AMPHI_CONTROL_STATS_H
#define AMPHI_CONTROL_STATS_H

#include <stdint.h>

struct db;
struct http_router;
struct sqlite3;
struct control;

enum stats_counter { STATS_MESSAGES, STATS_QUESTIONS, STATS_VOTES };

int stats_routes(struct http_router *r, struct control *app);

void stats_count(struct sqlite3 *db, int64_t webinar, enum stats_counter c);
/* viewers_now: the webinar's open viewer streams including this one. */
void stats_viewer_join(struct sqlite3 *db, int64_t webinar, int64_t token_id, unsigned viewers_now);
void stats_viewer_leave(struct sqlite3 *db, int64_t webinar, int64_t watched_s);
/* At start-up no stream is open: current viewers are 0 everywhere. */
void stats_reset_current(struct db *db);

#endif
