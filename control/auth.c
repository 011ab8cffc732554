/* auth: see auth.h. */
#include "control/auth.h"
#include "control/db.h"
#include "control/http.h"
#include "control/pwhash.h"
#include "control/throttle.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct auth_config g_cfg;
static char g_dummy_hash[crypto_pwhash_STRBYTES];   /* pwhash_dummy: matches no password */

void auth_config_default(struct auth_config *cfg)
{
	*cfg = (struct auth_config){
		.session_idle_s = 30 * 60,
		.session_absolute_s = 12 * 3600,
		.lock_threshold = 3,
		.lock_base_s = 60,
		.lock_max_s = 3600,
		.pwhash_opslimit = crypto_pwhash_OPSLIMIT_MODERATE,
		.pwhash_memlimit = crypto_pwhash_MEMLIMIT_MODERATE,
		.pwhash_queue = 8,
		.source_burst = 20,
		.source_refill_s = 3,
		.reset_burst = 3,
		.reset_refill_s = 20 * 60,
		.device_max_age_s = 183 * 86400,
	};
}

const struct auth_config *auth_config(void)
{
	return &g_cfg;
}

int auth_init(const struct auth_config *cfg, char *err, size_t errlen)
{
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -EINVAL;
	}
	if (cfg->pwhash_opslimit < crypto_pwhash_OPSLIMIT_MODERATE ||
	    cfg->pwhash_memlimit < crypto_pwhash_MEMLIMIT_MODERATE) {
		snprintf(err, errlen, "password hashing limits below libsodium's moderate level "
		         "(opslimit >= %llu, memlimit >= %zu)",
		         (unsigned long long)crypto_pwhash_OPSLIMIT_MODERATE,
		         (size_t)crypto_pwhash_MEMLIMIT_MODERATE);
		return -EINVAL;
	}
	if (cfg->session_idle_s <= 0 || cfg->session_absolute_s <= 0 || cfg->lock_threshold < 1 ||
	    cfg->lock_base_s <= 0 || cfg->lock_max_s < cfg->lock_base_s) {
		snprintf(err, errlen, "invalid session or lockout settings");
		return -EINVAL;
	}
	if (cfg->pwhash_queue < 1 || cfg->source_burst < 1 || cfg->source_refill_s < 1 || cfg->reset_burst < 1 ||
	    cfg->reset_refill_s < 1 || cfg->device_max_age_s < 1) {
		snprintf(err, errlen, "invalid login limits");
		return -EINVAL;
	}
	g_cfg = *cfg;
	/* The reserved hashing lane serves an address whose login is its only
	 * attempt of late (the login took one of source_burst), never one that
	 * has been spending its attempts. */
	unsigned reserve = cfg->source_burst > 1 ? cfg->source_burst - 1 : 1;
	if (throttle_init(cfg) != 0 ||
	    pwhash_start(cfg->pwhash_queue, reserve, cfg->pwhash_opslimit, cfg->pwhash_memlimit) != 0) {
		snprintf(err, errlen, "cannot start the password-hashing threads");
		return -ENOMEM;
	}
	if (pwhash_dummy(g_dummy_hash) != 0) {
		snprintf(err, errlen, "cannot make the dummy password hash");
		return -EINVAL;
	}
	return 0;
}

/* --- passwords -------------------------------------------------------------------- */

void auth_stop(void)
{
	pwhash_stop();
}

int auth_password_hash(const char *password, char out[128])
{
	struct pwhash_job job = { .op = PWHASH_HASH, .password = password };
	int rc = pwhash_wait(&job);
	if (rc == 0)
		memcpy(out, job.hash, sizeof job.hash);
	sodium_memzero(job.hash, sizeof job.hash);
	return rc == -EAGAIN || rc == -ESHUTDOWN ? -EAGAIN : rc == 0 ? 0 : -ENOMEM;
}

const char *auth_password_dummy_hash(void)
{
	return g_dummy_hash;
}

static uint64_t account_key(int64_t account_id)
{
	return throttle_key(THROTTLE_ACCOUNT, &account_id, sizeof account_id);
}

/* On the hashing thread: back to a worker. */
static void hashing_done(struct pwhash_job *job)
{
	struct http_req *req = job->arg;
	struct auth_hashing *h = req->defer_arg;

	http_continue(req, h->then_);
}

int auth_hashing_start(struct http_req *req, int64_t account_id, const char *stored, const char *password,
                       void (*then)(struct http_req *req))
{
	struct auth_hashing *h = calloc(1, sizeof *h);
	if (!h || !(h->password = strdup(password))) {
		free(h);
		return -ENOMEM;
	}
	h->account_id = account_id;
	h->then_ = then;
	h->job_.op = stored ? PWHASH_VERIFY : PWHASH_HASH;
	h->job_.password = h->password;
	if (stored)
		snprintf(h->job_.hash, sizeof h->job_.hash, "%s", stored);
	h->job_.credit = PWHASH_CREDIT_MAX;
	h->job_.done = hashing_done;
	h->job_.arg = req;
	int rc = account_id ? throttle_inflight_take(account_key(account_id), AUTH_HASHING_PER_ACCOUNT) : 0;
	if (rc == 0) {
		req->defer_arg = h;
		rc = pwhash_submit(&h->job_);
		if (rc == 0) {
			http_defer(req);
			return 0;
		}
		req->defer_arg = NULL;
		if (account_id)
			throttle_inflight_put(account_key(account_id));
		rc = rc == -ESHUTDOWN ? -EAGAIN : rc;
	}
	auth_hashing_free(h);
	return rc;
}

struct auth_hashing *auth_hashing_take(struct http_req *req)
{
	struct auth_hashing *h = req->defer_arg;

	req->defer_arg = NULL;
	if (h->account_id)
		throttle_inflight_put(account_key(h->account_id));
	int rc = h->job_.result;
	h->result = rc == 0 || rc == -EACCES ? rc : rc == -ENOMEM ? -ENOMEM : -EAGAIN;
	if (h->job_.op == PWHASH_HASH && rc == 0)
		memcpy(h->hash, h->job_.hash, sizeof h->hash);
	sodium_memzero(&h->job_, sizeof h->job_);
	return h;
}

void auth_hashing_free(struct auth_hashing *h)
{
	if (!h)
		return;
	if (h->password) {
		sodium_memzero(h->password, strlen(h->password));
		free(h->password);
	}
	sodium_memzero(h, sizeof *h);
	free(h);
}

void auth_hashing_refused(struct http_req *req, int rc, const char *what)
{
	if (rc == -EBUSY) {
		throttle_answer(req, 429, "too_many_attempts", "a password of this account is being hashed: "
		                "try again shortly", 1);
	} else if (rc == -EAGAIN) {
		http_set_header(req, "Retry-After", "2");
		http_error(req, 503, "busy", "too many passwords being checked: try again shortly");
	} else {
		http_error(req, 500, "internal", "cannot %s", what);
	}
}

/* --- tokens --------------------------------------------------------------------- */

void auth_token_new(char out[AUTH_TOKEN_CHARS + 1], unsigned char hash[32])
{
	unsigned char raw[AUTH_TOKEN_BYTES];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, AUTH_TOKEN_CHARS + 1, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_hash_sha256(hash, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
}

int auth_token_hash(const char *token, unsigned char hash[32])
{
	unsigned char raw[AUTH_TOKEN_BYTES];
	size_t n = 0;
	if (!token || strlen(token) != AUTH_TOKEN_CHARS ||
	    sodium_base642bin(raw, sizeof raw, token, AUTH_TOKEN_CHARS, NULL, &n, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || n != sizeof raw)
		return -EINVAL;
	crypto_hash_sha256(hash, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	return 0;
}

int64_t auth_token_issue(sqlite3 *db, int64_t webinar_id, const char *role,
                         int64_t registration_id, int64_t expires_at,
                         char out[AUTH_TOKEN_CHARS + 1])
{
	unsigned char hash[32];
	auth_token_new(out, hash);
	int64_t id;
	if (registration_id > 0)
		id = db_insert(db, "INSERT INTO tokens (webinar_id, role, registration_id, hash, created_at, expires_at) "
		                   "VALUES (?, ?, ?, ?, ?, ?)", "isixii", webinar_id, role, registration_id,
		               hash, sizeof hash, amphi_now(), expires_at);
	else
		id = db_insert(db, "INSERT INTO tokens (webinar_id, role, hash, created_at, expires_at) "
		                   "VALUES (?, ?, ?, ?, ?)", "isxii", webinar_id, role,
		               hash, sizeof hash, amphi_now(), expires_at);
	if (id < 0)
		sodium_memzero(out, AUTH_TOKEN_CHARS + 1);
	return id;
}

int auth_token_revoke(sqlite3 *db, int64_t token_id)
{
	int n = db_exec(db, "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
	                "ii", amphi_now(), token_id);
	return n < 0 ? n : n == 0 ? -ENOENT : 0;
}

/* --- sessions --------------------------------------------------------------------- */

static void cookie_header(struct http_req *req, const char *value, int64_t max_age)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
	         AUTH_COOKIE, value, (long long)max_age, req->tls ? "; Secure" : "");
	http_set_header(req, "Set-Cookie", buf);
}

int auth_session_start(struct http_req *req, int64_t account_id)
{
	char tok[AUTH_TOKEN_CHARS + 1];
	unsigned char hash[32];
	/* Rotation: the session the request came with (if any) ends here. */
	if (req->principal.session_id)
		db_exec(req->db, "DELETE FROM sessions WHERE id = ?", "i", req->principal.session_id);
	auth_token_new(tok, hash);
	int64_t now = amphi_now();
	int64_t id = db_insert(req->db, "INSERT INTO sessions (account_id, hash, created_at, last_seen_at) "
	                                "VALUES (?, ?, ?, ?)", "ixii", account_id, hash, sizeof hash, now, now);
	if (id < 0) {
		sodium_memzero(tok, sizeof tok);
		return (int)id;
	}
	req->principal.session_id = id;
	cookie_header(req, tok, g_cfg.session_absolute_s);
	sodium_memzero(tok, sizeof tok);
	return 0;
}

int auth_sessions_end_all(sqlite3 *db, int64_t account_id)
{
	int n = db_exec(db, "DELETE FROM sessions WHERE account_id = ?", "i", account_id);
	return n < 0 ? n : 0;
}

int auth_session_end(struct http_req *req)
{
	if (req->principal.session_id)
		db_exec(req->db, "DELETE FROM sessions WHERE id = ?", "i", req->principal.session_id);
	req->principal.session_id = 0;
	cookie_header(req, "", 0);
	return 0;
}

/* --- the hook ---------------------------------------------------------------------- */

static void resolve_bearer(struct http_req *req, const char *token)
{
	unsigned char hash[32];
	if (auth_token_hash(token, hash) != 0)
		return;
	sqlite3_stmt *st = db_prepare(req->db,
		"SELECT t.id, t.webinar_id, t.role, COALESCE(t.registration_id, 0), r.restricted_at IS NOT NULL "
		"FROM tokens t LEFT JOIN registrations r ON r.id = t.registration_id "
		"WHERE t.hash = ? AND t.revoked_at IS NULL AND t.expires_at > ?", "xi", hash, sizeof hash, amphi_now());
	if (st && sqlite3_step(st) == SQLITE_ROW) {
		struct auth_principal *p = &req->principal;
		p->token_id = sqlite3_column_int64(st, 0);
		p->webinar_id = sqlite3_column_int64(st, 1);
		p->role = strcmp((const char *)sqlite3_column_text(st, 2), "speaker") == 0 ? AUTH_SPEAKER
		                                                                           : AUTH_PARTICIPANT;
		p->registration_id = sqlite3_column_int64(st, 3);
		p->restricted = sqlite3_column_int(st, 4) != 0;
	}
	sqlite3_finalize(st);
}

static void resolve_cookie(struct http_req *req, const char *value)
{
	unsigned char hash[32];
	if (auth_token_hash(value, hash) != 0)
		return;
	int64_t now = amphi_now();
	sqlite3_stmt *st = db_prepare(req->db,
		"SELECT s.id, s.account_id, s.created_at, s.last_seen_at, a.role, a.must_change "
		"FROM sessions s JOIN accounts a ON a.id = s.account_id "
		"WHERE s.hash = ? AND a.deactivated_at IS NULL AND a.suspended_at IS NULL AND a.restricted_at IS NULL",
		"x", hash, sizeof hash);
	if (!st)
		return;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return;
	}
	int64_t sid = sqlite3_column_int64(st, 0);
	int64_t created = sqlite3_column_int64(st, 2), seen = sqlite3_column_int64(st, 3);
	struct auth_principal p = {
		.role = strcmp((const char *)sqlite3_column_text(st, 4), "admin") == 0 ? AUTH_ADMIN : AUTH_ORGANIZER,
		.account_id = sqlite3_column_int64(st, 1),
		.session_id = sid,
		.via_cookie = true,
		.must_change = sqlite3_column_int(st, 5) != 0,
	};
	sqlite3_finalize(st);
	if (now - seen > g_cfg.session_idle_s || now - created > g_cfg.session_absolute_s) {
		db_exec(req->db, "DELETE FROM sessions WHERE id = ?", "i", sid);
		log_msg(LOG_INFO, "session expired", "session=%lld account=%lld", (long long)sid,
		        (long long)p.account_id);
		return;
	}
	if (now != seen)
		db_exec(req->db, "UPDATE sessions SET last_seen_at = ? WHERE id = ?", "ii", now, sid);
	req->principal = p;
}

const char *auth_public_origin(const struct http_req *req)
{
	return g_cfg.public_origin ? g_cfg.public_origin : http_server_origin(req->srv);
}

/* Same origin: the Origin header equals the public origin.  Never the
 * request's own Host: a page of a rebound DNS name (evil.example resolving
 * to this server) names its own host there and would pass. */
static bool origin_ok(const struct http_req *req, const char *origin)
{
	return origin && strcmp(origin, auth_public_origin(req)) == 0;
}

int auth_hook(void *arg, struct http_req *req)
{
	(void)arg;
	req->principal = (struct auth_principal){ .role = AUTH_ANONYMOUS };
	const char *authz = http_header(req, "Authorization");
	bool bearer = authz && strncasecmp(authz, "Bearer ", 7) == 0;
	/* WHIP/WHEP (RFC 9725) authenticate by Bearer token or by the session
	 * URL only, never by the cookie, so a page of any origin may use them
	 * and no cross-site request can ride on someone's session. */
	bool webrtc = strncmp(req->path, "/whip/", 6) == 0 || strncmp(req->path, "/whep/", 6) == 0;
	if (bearer) {
		resolve_bearer(req, authz + 7);
	} else if (webrtc) {
		return 0;
	} else {
		const char *cookie = http_cookie(req, AUTH_COOKIE);
		if (cookie)
			resolve_cookie(req, cookie);
	}
	if (http_req_is_write(req) && !bearer) {
		const char *origin = http_header(req, "Origin");
		/* Cookie-authenticated writes must prove they come from our pages;
		 * any write that names a foreign origin is refused too. */
		if ((req->principal.via_cookie || origin) && !origin_ok(req, origin)) {
			http_error(req, 403, "csrf", origin ? "cross-origin request refused (Origin: %s)"
			                                    : "state-changing request without an Origin header",
			           origin ? origin : "");
			return 1;
		}
	}
	return 0;
}

int auth_require(struct http_req *req, unsigned roles)
{
	const struct auth_principal *p = &req->principal;
	if (p->role == AUTH_ANONYMOUS && !(roles & AUTH_ANONYMOUS)) {
		http_error(req, 401, "unauthenticated", "log in or present a token");
		return -EACCES;
	}
	if (p->must_change && !(roles & AUTH_ALLOW_MUST_CHANGE)) {
		http_error(req, 403, "must_change_password",
		           "the initial password must be changed first (POST /api/password)");
		return -EACCES;
	}
	if (!(roles & p->role)) {
		http_error(req, 403, "forbidden", "not allowed for this role");
		return -EACCES;
	}
	if (p->restricted && !(roles & AUTH_ALLOW_RESTRICTED)) {
		http_error(req, 403, "restricted", "this registration is restricted (GDPR art. 18): kept, but not "
		           "used until an administrator lifts the restriction");
		return -EACCES;
	}
	return 0;
}

int auth_require_webinar(struct http_req *req, unsigned roles, int64_t webinar_id)
{
	int rc = auth_require(req, roles);
	if (rc)
		return rc;
	const struct auth_principal *p = &req->principal;
	if ((p->role & AUTH_TOKEN) && webinar_id != 0 && p->webinar_id != webinar_id) {
		http_error(req, 404, "not_found", "no such webinar");
		return -ENOENT;
	}
	return 0;
}
