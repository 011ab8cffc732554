/* live: see live.h. */
#include "control/live.h"
#include "control/control.h"
#include "control/db.h"
#include "control/events.h"
#include "control/forms.h"
#include "control/http.h"
#include "control/ratelimit.h"
#include "control/stats.h"
#include "control/webinar.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_ALL (AUTH_TOKEN | AUTH_ORGANIZER)
#define LIST_MAX 500   /* newest messages a GET returns */

/* Who is writing: the keys stored with the row, the one-vote key, the name shown. */
struct who {
	int64_t registration_id, token_id, account_id;
	char voter[32];      /* 'r:<registration>' 't:<token>' 'a:<account>' (db.c) */
	char author[64];     /* display name */
	int64_t limit_id;    /* rate-limit identity; 0 for the organizer (not limited) */
};

void live_publish(struct control *app, int64_t webinar, const char *type, json_t *data)
{
	int64_t r = event_hub_publish(app->hub, webinar, type, data);

	if (r < 0 && r != -EPIPE)
		log_msg(LOG_WARN, "event not published", "webinar=%lld type=%s err=%lld", (long long)webinar,
		        type, (long long)r);
	json_decref(data);
}

static void who_get(struct http_req *req, struct who *w)
{
	const struct auth_principal *p = &req->principal;

	memset(w, 0, sizeof *w);
	if (p->role == AUTH_ORGANIZER) {
		w->account_id = p->account_id;
		snprintf(w->voter, sizeof w->voter, "a:%lld", (long long)p->account_id);
		snprintf(w->author, sizeof w->author, "Organizer");
		return;
	}
	w->token_id = p->token_id;
	w->limit_id = p->token_id;
	if (p->role == AUTH_SPEAKER) {
		snprintf(w->voter, sizeof w->voter, "t:%lld", (long long)p->token_id);
		snprintf(w->author, sizeof w->author, "Speaker");
		return;
	}
	if (p->registration_id) {
		sqlite3_stmt *st = db_prepare(req->db, "SELECT first_name, last_name FROM registrations WHERE id = ?",
		                              "i", p->registration_id);
		w->registration_id = p->registration_id;
		/* One person may hold several join tokens (registered twice): the
		 * registration, not the token, is what votes once. */
		snprintf(w->voter, sizeof w->voter, "r:%lld", (long long)p->registration_id);
		snprintf(w->author, sizeof w->author, "Participant");
		if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
			const char *first = (const char *)sqlite3_column_text(st, 0);
			const char *last = (const char *)sqlite3_column_text(st, 1);
			size_t n = last ? strlen(last) : 0;
			/* "Zoé M.": the last name's first character, whole in UTF-8. */
			if (n) {
				n = 1;
				while (last[n] && ((unsigned char)last[n] & 0xc0) == 0x80)
					n++;
				snprintf(w->author, sizeof w->author, "%.40s %.*s.", first, (int)n, last);
			} else {
				snprintf(w->author, sizeof w->author, "%.40s", first);
			}
		}
		sqlite3_finalize(st);
		return;
	}
	snprintf(w->voter, sizeof w->voter, "t:%lld", (long long)p->token_id);
	snprintf(w->author, sizeof w->author, "Guest %lld", (long long)p->token_id);
}

/* Common gate of every write: access, a live webinar, the caller's bucket. */
static int write_gate(struct http_req *req, unsigned roles, enum live_kind kind, struct webinar *w,
                      struct who *who)
{
	struct control *app = req->app;
	int64_t retry_ns = 0;

	if (webinar_access(req, roles, w))
		return -EACCES;
	if (strcmp(w->state, "ended") == 0) {
		http_error(req, 410, "ended", "the webinar has ended");
		return -EPIPE;
	}
	if (strcmp(w->state, "live") != 0) {
		http_error(req, 409, "not_live", "the webinar has not started yet");
		return -EAGAIN;
	}
	who_get(req, who);
	if (who->limit_id &&
	    rate_limit_take(app->limits, rate_limit_key(kind, w->id, who->limit_id), amphi_mono_ns(), &retry_ns)) {
		char secs[24];
		snprintf(secs, sizeof secs, "%lld", (long long)((retry_ns + 999999999) / 1000000000));
		http_set_header(req, "Retry-After", secs);
		http_error(req, 429, "rate_limited", "too many messages: wait %s s", secs);
		return -EBUSY;
	}
	return 0;
}

/* Reads that need no live webinar but refuse an ended one (its data is gone). */
static int read_gate(struct http_req *req, unsigned roles, struct webinar *w)
{
	if (webinar_access(req, roles, w))
		return -EACCES;
	if (strcmp(w->state, "ended") == 0) {
		http_error(req, 410, "ended", "the webinar has ended: its chat, questions and polls are deleted");
		return -EPIPE;
	}
	return 0;
}

/* --- chat and questions ---------------------------------------------------------------- */

/* A chat message or a question as clients see it: reads the row back, so the
 * answer and the event show exactly what was stored.  NULL when it is gone. */
static json_t *chat_json(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, author, body, created_at FROM chat_messages WHERE id = ?",
	                              "i", id);
	json_t *o = NULL;
	char t[32];

	if (st && sqlite3_step(st) == SQLITE_ROW)
		o = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		              "author", (const char *)sqlite3_column_text(st, 1),
		              "text", (const char *)sqlite3_column_text(st, 2),
		              "created_at", amphi_time_iso(sqlite3_column_int64(st, 3), t, sizeof t));
	sqlite3_finalize(st);
	return o;
}

static json_t *question_json(sqlite3 *db, int64_t qid)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, author, body, upvotes, answered, created_at FROM questions "
	                              "WHERE id = ?", "i", qid);
	json_t *o = NULL;
	char t[32];

	if (st && sqlite3_step(st) == SQLITE_ROW)
		o = json_pack("{s:I,s:s,s:s,s:I,s:b,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		              "author", (const char *)sqlite3_column_text(st, 1),
		              "text", (const char *)sqlite3_column_text(st, 2),
		              "upvotes", (json_int_t)sqlite3_column_int64(st, 3),
		              "answered", sqlite3_column_int(st, 4) != 0,
		              "created_at", amphi_time_iso(sqlite3_column_int64(st, 5), t, sizeof t));
	sqlite3_finalize(st);
	return o;
}

/* What differs between a chat message and a question: everything else of
 * posting and listing them is one code path (text_post, text_list). */
struct text_kind {
	const char *insert;     /* INSERT with the same seven columns in both tables */
	const char *list;       /* SELECT id ... of webinar ? (then ?after when `after`) LIMIT ? */
	bool after;             /* the list takes ?after=<id> */
	const char *list_name;  /* key of the list in the GET answer */
	const char *event;      /* SSE event name */
	const char *what;       /* for error messages */
	size_t max;             /* characters (forms.h) */
	enum live_kind limit;   /* the rate-limit bucket */
	enum stats_counter counter;
	json_t *(*row_json)(sqlite3 *db, int64_t id);
};

static const struct text_kind chat_kind = {
	.insert = "INSERT INTO chat_messages (webinar_id, registration_id, token_id, account_id, author, body, "
	          "created_at) VALUES (?, NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?)",
	/* The newest LIST_MAX after ?after, oldest first. */
	.list = "SELECT id FROM (SELECT id FROM chat_messages WHERE webinar_id = ? AND id > ? "
	        "ORDER BY id DESC LIMIT ?) ORDER BY id",
	.after = true, .list_name = "messages", .event = "chat", .what = "message", .max = FORMS_CHAT_MAX,
	.limit = LIVE_CHAT, .counter = STATS_MESSAGES, .row_json = chat_json,
};

static const struct text_kind question_kind = {
	.insert = "INSERT INTO questions (webinar_id, registration_id, token_id, account_id, author, body, "
	          "created_at) VALUES (?, NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?)",
	/* Open questions first, most upvoted first; ?after does not apply. */
	.list = "SELECT id FROM questions WHERE webinar_id = ? ORDER BY answered, upvotes DESC, id LIMIT ?",
	.list_name = "questions", .event = "question", .what = "question", .max = FORMS_QUESTION_MAX,
	.limit = LIVE_QUESTION, .counter = STATS_QUESTIONS, .row_json = question_json,
};

static void text_list(struct http_req *req, const struct text_kind *k)
{
	const char *after_s = http_query(req, "after");
	int64_t after = after_s ? strtoll(after_s, NULL, 10) : 0;
	struct webinar w;
	sqlite3_stmt *st;
	json_t *list;

	if (read_gate(req, LIVE_ALL, &w))
		return;
	list = json_array();
	st = k->after ? db_prepare(req->db, k->list, "iii", w.id, after, (int64_t)LIST_MAX)
	              : db_prepare(req->db, k->list, "ii", w.id, (int64_t)LIST_MAX);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		json_t *o = k->row_json(req->db, sqlite3_column_int64(st, 0));
		if (o)
			json_array_append_new(list, o);
	}
	sqlite3_finalize(st);
	http_json(req, 200, json_pack("{s:o}", k->list_name, list));
}

static void text_post(struct http_req *req, const struct text_kind *k)
{
	struct control *app = req->app;
	json_t *errors = json_array(), *o;
	const char *text;
	struct webinar w;
	struct who who;
	int64_t id;

	/* Validate before the gate takes a token from the bucket: a malformed
	 * message costs nothing and changes nothing. */
	if (forms_text_parse(req->json, k->max, &text, errors)) {
		if (webinar_access(req, LIVE_ALL, &w) == 0)
			webinar_invalid(req, errors);
		else
			json_decref(errors);
		return;
	}
	json_decref(errors);
	if (write_gate(req, LIVE_ALL, k->limit, &w, &who))
		return;
	id = db_insert(req->db, k->insert, "iiiissi", w.id, who.registration_id, who.token_id, who.account_id,
	               who.author, text, amphi_now());
	if (id < 0 || !(o = k->row_json(req->db, id))) {
		http_error(req, 500, "internal", "cannot store the %s", k->what);
		return;
	}
	stats_count(req->db, w.id, k->counter);
	live_publish(app, w.id, k->event, json_incref(o));
	http_json(req, 201, o);
}

static void chat_list(struct http_req *req) { text_list(req, &chat_kind); }
static void chat_post(struct http_req *req) { text_post(req, &chat_kind); }
static void question_list(struct http_req *req) { text_list(req, &question_kind); }
static void question_post(struct http_req *req) { text_post(req, &question_kind); }

/* --- what questions and polls share --------------------------------------------------------- */

/* The {q} or {p} of the path, when it names a row of table in this webinar;
 * 404 otherwise.  table is a static name, never input. */
static int child_of(struct http_req *req, const char *param, const char *table, const char *what,
                    const struct webinar *w, int64_t *id)
{
	char sql[96];

	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE id = ? AND webinar_id = ?", table);
	if (http_param_id(req, param, id) || db_int(req->db, 0, sql, "ii", *id, w->id) != 1) {
		http_error(req, 404, "not_found", "no such %s", what);
		return -ENOENT;
	}
	return 0;
}

/* Stores one vote (question upvote or poll vote: the table's primary key
 * makes it once per voter), plus `then` in the same transaction when given.
 * 0, or -errno after answering (409 already_voted, 503, 500). */
static int vote_store(struct http_req *req, const char *insert, int64_t target, const char *voter,
                      int64_t option, const char *then, const char *what)
{
	int r;

	if (db_begin(req->db)) {
		http_error(req, 503, "busy", "the database is busy, try again");
		return -EBUSY;
	}
	r = option >= 0 ? db_exec(req->db, insert, "isii", target, voter, option, amphi_now())
	                : db_exec(req->db, insert, "isi", target, voter, amphi_now());
	if (r == 1 && then)
		r = db_exec(req->db, then, "i", target);
	if (r != 1 || db_commit(req->db)) {
		db_rollback(req->db);
		if (r == -EEXIST)
			http_error(req, 409, "already_voted", "you have already voted for this %s", what);
		else
			http_error(req, 500, "internal", "cannot store the vote");
		return r < 0 ? r : -EIO;
	}
	return 0;
}

/* The end of every organizer change to a question or a poll: audit, the
 * event everyone sees (public, stolen), the organizer's own view (stolen). */
static void organizer_changed(struct http_req *req, const struct webinar *w, const char *action,
                              const char *target, int64_t id, json_t *detail, const char *event,
                              json_t *public_view, int status, json_t *own_view)
{
	webinar_audit(req, action, target, id, detail);
	live_publish(req->app, w->id, event, public_view);
	http_json(req, status, own_view);
}

/* --- questions --------------------------------------------------------------------------- */

static void question_upvote(struct http_req *req)
{
	struct webinar w;
	struct who who;
	int64_t qid;
	json_t *o;

	if (write_gate(req, LIVE_ALL, LIVE_VOTE, &w, &who) ||
	    child_of(req, "q", "questions", "question", &w, &qid) ||
	    vote_store(req, "INSERT INTO question_votes (question_id, voter, created_at) VALUES (?, ?, ?)", qid,
	               who.voter, -1, "UPDATE questions SET upvotes = upvotes + 1 WHERE id = ?", "question"))
		return;
	o = question_json(req->db, qid);
	live_publish(req->app, w.id, "question", json_incref(o));
	http_json(req, 200, o);
}

static void question_patch(struct http_req *req)
{
	json_t *answered = json_object_get(req->json, "answered"), *o;
	struct webinar w;
	int64_t qid;

	if (read_gate(req, AUTH_ORGANIZER, &w) || child_of(req, "q", "questions", "question", &w, &qid))
		return;
	if (!json_is_boolean(answered) || json_object_size(req->json) != 1) {
		http_error_json(req, 422, "invalid", json_pack("[{s:s,s:s}]", "field", "answered", "error",
		                "the body must be {\"answered\": true} or {\"answered\": false}"));
		return;
	}
	if (db_exec(req->db, "UPDATE questions SET answered = ? WHERE id = ?", "bi", json_is_true(answered), qid) < 0) {
		http_error(req, 500, "internal", "cannot update the question");
		return;
	}
	o = question_json(req->db, qid);
	organizer_changed(req, &w, "question.answered", "question", qid,
	                  json_pack("{s:b}", "answered", json_is_true(answered)), "question", json_incref(o), 200, o);
}

/* --- polls --------------------------------------------------------------------------- */

/* results: whether this caller sees the counts (organizer always). */
static json_t *poll_json(sqlite3 *db, int64_t pid, int who_sees)
{
	sqlite3_stmt *st = db_prepare(db, "SELECT id, question, options, results, state, created_at FROM polls "
	                              "WHERE id = ?", "i", pid);
	json_t *o = NULL, *options, *counts;
	json_error_t e;
	char t[32];

	if (!st || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return NULL;
	}
	options = json_loads((const char *)sqlite3_column_text(st, 2), 0, &e);
	o = json_pack("{s:I,s:s,s:o,s:s,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
	              "question", (const char *)sqlite3_column_text(st, 1),
	              "options", options ? options : json_array(),
	              "results_visibility", (const char *)sqlite3_column_text(st, 3),
	              "state", (const char *)sqlite3_column_text(st, 4),
	              "created_at", amphi_time_iso(sqlite3_column_int64(st, 5), t, sizeof t));
	{
		const char *vis = (const char *)sqlite3_column_text(st, 3);
		bool closed = strcmp((const char *)sqlite3_column_text(st, 4), "closed") == 0;
		bool visible = who_sees == 1 || strcmp(vis, "live") == 0 || (closed && strcmp(vis, "closed") == 0);
		sqlite3_finalize(st);
		if (!visible) {
			json_object_set_new(o, "results", json_null());
			return o;
		}
	}
	counts = json_array();
	for (size_t i = 0; i < json_array_size(json_object_get(o, "options")); i++)
		json_array_append_new(counts, json_integer(0));
	st = db_prepare(db, "SELECT option, COUNT(*) FROM poll_votes WHERE poll_id = ? GROUP BY option", "i", pid);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		int64_t opt = sqlite3_column_int64(st, 0);
		if (opt >= 0 && (size_t)opt < json_array_size(counts))
			json_array_set_new(counts, (size_t)opt, json_integer(sqlite3_column_int64(st, 1)));
	}
	sqlite3_finalize(st);
	json_object_set_new(o, "results", counts);
	return o;
}

static void poll_list(struct http_req *req)
{
	struct webinar w;
	struct who who;
	sqlite3_stmt *st;
	json_t *list = json_array();
	int organizer;

	if (read_gate(req, LIVE_ALL, &w)) {
		json_decref(list);
		return;
	}
	organizer = req->principal.role == AUTH_ORGANIZER;
	who_get(req, &who);
	st = db_prepare(req->db, "SELECT id FROM polls WHERE webinar_id = ? ORDER BY id", "i", w.id);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		int64_t pid = sqlite3_column_int64(st, 0);
		json_t *o = poll_json(req->db, pid, organizer);
		int64_t mine = db_int(req->db, -1, "SELECT option FROM poll_votes WHERE poll_id = ? AND voter = ?",
		                      "is", pid, who.voter);
		if (!o)
			continue;
		json_object_set_new(o, "my_vote", mine >= 0 ? json_integer(mine) : json_null());
		json_array_append_new(list, o);
	}
	sqlite3_finalize(st);
	http_json(req, 200, json_pack("{s:o}", "polls", list));
}

static void poll_create(struct http_req *req)
{
	json_t *errors = json_array(), *options;
	struct poll_form f;
	struct webinar w;
	char *opts_text;
	int64_t pid;

	if (read_gate(req, AUTH_ORGANIZER, &w)) {
		json_decref(errors);
		return;
	}
	if (forms_poll_parse(req->json, &f, errors)) {
		webinar_invalid(req, errors);
		return;
	}
	json_decref(errors);
	options = json_array();
	for (unsigned i = 0; i < f.n_options; i++)
		json_array_append_new(options, json_string(f.options[i]));
	opts_text = json_dumps(options, JSON_COMPACT);
	json_decref(options);
	pid = opts_text ? db_insert(req->db, "INSERT INTO polls (webinar_id, question, options, results, created_at) "
	                            "VALUES (?, ?, ?, ?, ?)", "isssi", w.id, f.question, opts_text,
	                            forms_results_name(f.results), amphi_now()) : -ENOMEM;
	free(opts_text);
	if (pid < 0) {
		http_error(req, 500, "internal", "cannot store the poll");
		return;
	}
	organizer_changed(req, &w, "poll.create", "poll", pid, json_pack("{s:I}", "webinar", (json_int_t)w.id),
	                  "poll", poll_json(req->db, pid, 0), 201, poll_json(req->db, pid, 1));
}

/* The poll of the path (404 otherwise), its number of options and whether it is open. */
static int poll_of(struct http_req *req, const struct webinar *w, int64_t *pid, int *n_options, bool *open)
{
	sqlite3_stmt *st;

	if (child_of(req, "p", "polls", "poll", w, pid))
		return -ENOENT;
	st = db_prepare(req->db, "SELECT json_array_length(options), state FROM polls WHERE id = ?", "i", *pid);
	if (!st || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		http_error(req, 500, "internal", "cannot read the poll");
		return -EIO;
	}
	*n_options = sqlite3_column_int(st, 0);
	*open = strcmp((const char *)sqlite3_column_text(st, 1), "open") == 0;
	sqlite3_finalize(st);
	return 0;
}

static void poll_vote(struct http_req *req)
{
	struct control *app = req->app;
	json_t *errors = json_array();
	struct webinar w;
	struct who who;
	unsigned option;
	int64_t pid;
	int n_options;
	bool open;

	if (write_gate(req, AUTH_PARTICIPANT, LIVE_VOTE, &w, &who) || poll_of(req, &w, &pid, &n_options, &open)) {
		json_decref(errors);
		return;
	}
	if (forms_vote_parse(req->json, (unsigned)n_options, &option, errors)) {
		webinar_invalid(req, errors);
		return;
	}
	json_decref(errors);
	if (!open) {
		http_error(req, 409, "poll_closed", "the poll is closed");
		return;
	}
	if (vote_store(req, "INSERT INTO poll_votes (poll_id, voter, option, created_at) VALUES (?, ?, ?, ?)",
	               pid, who.voter, (int64_t)option, NULL, "poll"))
		return;
	stats_count(req->db, w.id, STATS_VOTES);
	live_publish(app, w.id, "poll", poll_json(req->db, pid, 0));
	http_json(req, 201, json_pack("{s:I,s:i}", "poll_id", (json_int_t)pid, "option", (int)option));
}

static void poll_close(struct http_req *req)
{
	struct webinar w;
	int64_t pid;
	int n_options;
	bool open;

	if (read_gate(req, AUTH_ORGANIZER, &w) || poll_of(req, &w, &pid, &n_options, &open))
		return;
	if (!open) {
		http_error(req, 409, "poll_closed", "the poll is already closed");
		return;
	}
	if (db_exec(req->db, "UPDATE polls SET state = 'closed', closed_at = ? WHERE id = ?", "ii",
	            amphi_now(), pid) != 1) {
		http_error(req, 500, "internal", "cannot close the poll");
		return;
	}
	organizer_changed(req, &w, "poll.close", "poll", pid, json_pack("{s:I}", "webinar", (json_int_t)w.id),
	                  "poll", poll_json(req->db, pid, 0), 200, poll_json(req->db, pid, 1));
}

/* --- events (SSE) ------------------------------------------------------------------------ */

/* One open event stream.  Idle, it is this struct and the hub's cursor: the
 * frames it has to send live in a buffer only while they are being sent. */
struct sse {
	struct control *app;
	struct event_sub *sub;
	struct http_stream *stream;   /* set once http_stream answered; see sse_wake */
	int64_t webinar;
	int64_t since_ns;     /* stream opened (monotonic), for watch seconds */
	int64_t last_ns;      /* last bytes sent, for keep-alives */
	bool viewer;          /* counted in the statistics */
	bool hello;           /* the opening comment went out */
	char *pending;        /* owned: frames read from the hub and not yet sent */
	size_t len, off;      /* pending[off..len) still to send */
};

/* The hub's notify hook (events.h): runs under the hub's lock. */
static void sse_wake(void *arg)
{
	struct sse *s = arg;

	if (s->stream)
		http_stream_wake(s->stream);
}

/* Copies up to max bytes of text out, keeps the rest in s->pending. */
static ssize_t sse_emit(struct sse *s, char *out, size_t max, const char *text, size_t n)
{
	size_t now = n < max ? n : max;

	memcpy(out, text, now);
	if (now < n) {
		if (!(s->pending = malloc(n - now)))
			return HTTP_STREAM_ERROR;
		memcpy(s->pending, text + now, n - now);
		s->off = 0;
		s->len = n - now;
	}
	s->last_ns = amphi_mono_ns();
	return (ssize_t)now;
}

/* On an MHD I/O thread: never blocks (http.h). */
static ssize_t sse_read(void *arg, uint64_t pos, char *out, size_t max)
{
	/* The hub copies whole frames (up to EVENTS_FRAME_MAX each) at once:
	 * read them here, one scratch buffer per I/O thread. */
	static __thread char scratch[EVENTS_FRAME_MAX * 2];
	struct sse *s = arg;
	ssize_t r;

	(void)pos;
	if (!s->hello) {
		/* Headers and a first line at once, so clients know they are
		 * connected; "retry" sets their reconnection delay. */
		static const char hello[] = "retry: 2000\n: connected\n\n";
		s->hello = true;
		return sse_emit(s, out, max, hello, sizeof hello - 1);
	}
	if (s->off < s->len) {
		size_t n = s->len - s->off < max ? s->len - s->off : max;
		memcpy(out, s->pending + s->off, n);
		s->off += n;
		if (s->off == s->len) {
			free(s->pending);
			s->pending = NULL;
			s->off = s->len = 0;
		}
		s->last_ns = amphi_mono_ns();
		return (ssize_t)n;
	}
	r = event_sub_read(s->sub, scratch, sizeof scratch, 0);
	if (r == -EPIPE)
		return HTTP_STREAM_END;
	if (r < 0)
		return HTTP_STREAM_ERROR;
	if (r > 0)
		return sse_emit(s, out, max, scratch, (size_t)r);
	if (amphi_mono_ns() - s->last_ns >= LIVE_KEEPALIVE_S * 1000000000LL) {
		/* Also how a vanished client is noticed: the write fails. */
		static const char keepalive[] = ": keep-alive\n\n";
		return sse_emit(s, out, max, keepalive, sizeof keepalive - 1);
	}
	return HTTP_STREAM_WAIT;
}

static void sse_done(void *arg)
{
	struct sse *s = arg;

	event_sub_close(s->sub);   /* after this, sse_wake is never called */
	if (s->viewer) {
		sqlite3 *db = db_acquire(s->app->db);
		stats_viewer_leave(db, s->webinar, (amphi_mono_ns() - s->since_ns) / 1000000000LL);
		db_release(s->app->db, db);
	}
	free(s->pending);
	free(s);
}

static void events_stream(struct http_req *req)
{
	struct control *app = req->app;
	const char *last = http_header(req, "Last-Event-ID");
	struct http_stream *hs;
	struct webinar w;
	struct sse *s;
	int err;

	if (read_gate(req, LIVE_ALL, &w))
		return;
	if (!(s = calloc(1, sizeof *s))) {
		http_error(req, 500, "internal", "out of memory");
		return;
	}
	s->app = app;
	s->webinar = w.id;
	s->viewer = req->principal.role == AUTH_PARTICIPANT;
	s->since_ns = amphi_mono_ns();
	if (!last)
		last = http_query(req, "last_event_id");
	s->sub = event_hub_subscribe(app->hub, w.id, last ? strtoll(last, NULL, 10) : 0, s->viewer, &err);
	if (!s->sub) {
		free(s);
		http_error(req, err == -EPIPE ? 410 : 500, err == -EPIPE ? "ended" : "internal",
		           err == -EPIPE ? "the webinar has ended" : "cannot follow the webinar");
		return;
	}
	if (s->viewer)
		stats_viewer_join(req->db, w.id, req->principal.token_id, event_hub_viewers(app->hub, w.id));
	/* The stream is not read before this handler returns (the connection
	 * is suspended until then), so the hook may be set after the answer;
	 * a frame published in between is read anyway: the cursor is set. */
	hs = http_stream(req, 200, "text/event-stream", sse_read, sse_done, s);
	if (hs) {   /* NULL: s is already freed */
		s->stream = hs;
		event_sub_set_notify(s->sub, sse_wake, s);
	}
}

int live_routes(struct http_router *r, struct control *app)
{
	int rc = 0;

	rc = rc ? rc : http_route(r, "GET", "/api/webinars/{id}/chat", chat_list, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/chat", chat_post, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/webinars/{id}/questions", question_list, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/questions", question_post, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/questions/{q}/upvote", question_upvote, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "PATCH", "/api/webinars/{id}/questions/{q}", question_patch, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/webinars/{id}/polls", poll_list, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/polls", poll_create, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/polls/{p}/votes", poll_vote, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "POST", "/api/webinars/{id}/polls/{p}/close", poll_close, app, HTTP_JSON);
	rc = rc ? rc : http_route(r, "GET", "/api/webinars/{id}/events", events_stream, app, 0);
	return rc;
}
