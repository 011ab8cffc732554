/* auth: who is calling amphi-control, and may they (DESIGN.md §7).
 *
 * Principals come from exactly one of:
 *   - the session cookie "amphi_session" (admin and organizer accounts): a
 *     256-bit random id, only its SHA-256 is stored (table sessions); idle and
 *     absolute timeouts from the config; rotated at login and password change;
 *   - "Authorization: Bearer <token>": a 256-bit random token scoped to one
 *     webinar and one role (speaker: publish token; participant: join token),
 *     stored as SHA-256 (table tokens), dead once expired or revoked;
 *   - nothing: anonymous.
 * A request that presents a cookie or a token that does not resolve is
 * anonymous (the handler's auth_require answers 401).
 *
 * CSRF: a state-changing request (POST/PUT/PATCH/DELETE) authenticated by the
 * cookie must carry an Origin header equal to the server's own origin
 * (scheme://Host, or the configured public origin); otherwise it is refused
 * with 403 "csrf" before any handler runs.  Bearer requests are not
 * CSRF-prone (browsers never add the header by themselves).
 *
 * An account whose password must be changed (initial password) gets 403
 * "must_change_password" from auth_require on everything except the
 * routes that let it change the password (they use AUTH_ALLOW_MUST_CHANGE).
 *
 * Thread-safety: every function here works on the request's own SQLite
 * connection; the struct auth is read-only after auth_init. */
#ifndef AMPHI_CONTROL_AUTH_H
#define AMPHI_CONTROL_AUTH_H

#include "control/pwhash.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_req;
struct sqlite3;

/* Roles, as bits so auth_require takes a set. */
enum auth_role {
	AUTH_ANONYMOUS   = 1 << 0,
	AUTH_PARTICIPANT = 1 << 1,   /* join token */
	AUTH_SPEAKER     = 1 << 2,   /* publish token */
	AUTH_ORGANIZER   = 1 << 3,   /* account, role "organizer" */
	AUTH_ADMIN       = 1 << 4,   /* account, role "admin" */
};
#define AUTH_ACCOUNT (AUTH_ORGANIZER | AUTH_ADMIN)
#define AUTH_TOKEN   (AUTH_PARTICIPANT | AUTH_SPEAKER)
#define AUTH_ANYONE  (AUTH_ANONYMOUS | AUTH_TOKEN | AUTH_ACCOUNT)
/* Flag for auth_require: let an account with must_change_password through. */
#define AUTH_ALLOW_MUST_CHANGE (1 << 8)
/* Flag for auth_require: let a restricted registration's join token through
 * (the person's own rights: /api/me*, withdrawal).  Everything else answers
 * it 403 "restricted" (restriction.h). */
#define AUTH_ALLOW_RESTRICTED (1 << 9)

struct auth_principal {
	enum auth_role role;
	int64_t account_id;        /* accounts.id for AUTH_ACCOUNT, else 0 */
	int64_t session_id;        /* sessions.id when authenticated by cookie */
	int64_t token_id;          /* tokens.id for AUTH_TOKEN */
	int64_t webinar_id;        /* the token's webinar for AUTH_TOKEN */
	int64_t registration_id;   /* the join token's registration, 0 if none */
	bool via_cookie;
	bool must_change;          /* account must change its initial password */
	bool restricted;           /* a join token of a restricted registration (GDPR art. 18) */
};

/* Token byte sizes: 32 random bytes, base64url without padding = 43 chars. */
#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_CHARS 43

#define AUTH_COOKIE "amphi_session"

struct auth_config {
	int64_t session_idle_s;       /* default 30 min */
	int64_t session_absolute_s;   /* default 12 h */
	int lock_threshold;           /* wrong passwords in a row before a lock: 3 */
	int64_t lock_base_s;          /* first lock: 60 s, doubling */
	int64_t lock_max_s;           /* cap: 3600 s */
	unsigned long long pwhash_opslimit;   /* >= crypto_pwhash_OPSLIMIT_MODERATE */
	size_t pwhash_memlimit;               /* >= crypto_pwhash_MEMLIMIT_MODERATE */
	unsigned pwhash_queue;        /* hashes waiting before 503: 8 (pwhash.h) */
	unsigned source_burst;        /* logins + reset requests per address at once: 20 */
	int64_t source_refill_s;      /* ... then one more every 3 s (throttle.h) */
	unsigned reset_burst;         /* reset requests per email at once: 3 */
	int64_t reset_refill_s;       /* ... then one more every 20 min */
	int64_t device_max_age_s;     /* device cookie lifetime: 6 months (devcookie.h) */
	const char *public_origin;    /* "https://webinar.example"; NULL: http_server_origin */
	bool tls;                     /* cookies get Secure */
};

/* Fills defaults. */
void auth_config_default(struct auth_config *cfg);
/* Validates limits, starts the password-hashing queue (pwhash.h) and the
 * login limits (throttle.h), makes the dummy hash used for unknown emails
 * (pwhash_dummy: no hash computed, so a start costs none).  0 or -EINVAL (message in err). */
int auth_init(const struct auth_config *cfg, char *err, size_t errlen);
/* Stops the hashing queue: waiting logins get their answer (503).  Call
 * before http_server_stop. */
void auth_stop(void);
const struct auth_config *auth_config(void);
/* The origin of the pages: CSRF checks and links in mails. */
const char *auth_public_origin(const struct http_req *req);

/* The http hook: resolves the principal (cookie or Bearer), enforces CSRF.
 * Returns 0 to go on, 1 when it answered (403 csrf). */
int auth_hook(void *arg, struct http_req *req);

/* Answers 401 (anonymous), 403 "must_change_password", 403 "restricted" or
 * 403 "forbidden" and returns -EACCES unless the principal's role is in roles.  For token
 * principals with webinar_id != 0 the token must belong to that webinar
 * (else 404, as for a webinar that does not exist). */
int auth_require(struct http_req *req, unsigned roles);
int auth_require_webinar(struct http_req *req, unsigned roles, int64_t webinar_id);

/* --- tokens (random, stored hashed) ---------------------------------------- */
/* Fills out[AUTH_TOKEN_CHARS + 1] with a fresh base64url token and hash[32]
 * with its SHA-256. */
void auth_token_new(char out[AUTH_TOKEN_CHARS + 1], unsigned char hash[32]);
/* SHA-256 of a presented token's text; 0 or -EINVAL when it is not a token. */
int auth_token_hash(const char *token, unsigned char hash[32]);
/* Inserts a webinar token (role "speaker" or "participant") that expires at
 * expires_at; registration_id 0 for none.  Writes the token text to out and
 * returns its id (> 0) or -errno. */
int64_t auth_token_issue(struct sqlite3 *db, int64_t webinar_id, const char *role,
                         int64_t registration_id, int64_t expires_at,
                         char out[AUTH_TOKEN_CHARS + 1]);
int auth_token_revoke(struct sqlite3 *db, int64_t token_id);   /* 0, -ENOENT */

/* --- passwords -------------------------------------------------------------- */
/* Argon2id via crypto_pwhash_str with the configured limits, through the
 * hashing queue, waiting for the result (pwhash_wait): for the start-up only
 * (the first admin account).  A request never waits: see
 * auth_hashing_start below and login.c.  0, -ENOMEM, or -EAGAIN when the
 * queue is full or stopping. */
int auth_password_hash(const char *password, char out[128]);
/* An Argon2id string with the current limits that no password matches, made
 * at start: unknown emails are verified against it, so they cost what a
 * known one does. */
const char *auth_password_dummy_hash(void);

/* Hashing for a handler without holding its worker (password change, reset,
 * account creation and update; a login has its own, login.c): the request is
 * deferred (http_defer) while the hashing queue works, and `then` answers it
 * on a worker.  Such callers hold a session or a valid reset token: their
 * jobs have PWHASH_CREDIT_MAX (the reserved lane may take them).  A password
 * change or reset (anyone with an account or a reset mail) hashes at most
 * AUTH_HASHING_PER_ACCOUNT of one account's passwords at a time, so one
 * person cannot fill the queue; an administrator's work on accounts is
 * bounded by the queue alone. */
#define AUTH_HASHING_PER_ACCOUNT 2

struct auth_hashing {
	/* 0 (a verification matched, or hash holds the new hash), -EACCES (a
	 * verification that did not match), -EAGAIN (the queue stopped: answer
	 * 503) or -ENOMEM. */
	int result;
	char hash[crypto_pwhash_STRBYTES];   /* the new hash when stored was NULL */
	char *password;                      /* the copy hashed: wiped and freed by auth_hashing_free */
	int64_t account_id;                  /* whose password (auth_hashing_start's), 0 for an admin's work */
	void (*then_)(struct http_req *req);
	struct pwhash_job job_;
};

/* Copies password, queues a new hash of it (stored NULL) or its verification
 * against stored for account_id (0: no per-account limit, for an
 * administrator creating or resetting accounts), defers req and returns 0;
 * then runs on a
 * worker once it is done, with the struct auth_hashing in req->defer_arg
 * (then owns it: auth_hashing_free).  -EBUSY: the account has
 * AUTH_HASHING_PER_ACCOUNT hashes going on; -EAGAIN: the queue is full or
 * stopping; -ENOMEM.  On an error nothing was deferred and the caller
 * answers now (auth_hashing_refused). */
int auth_hashing_start(struct http_req *req, int64_t account_id, const char *stored, const char *password,
                       void (*then)(struct http_req *req));
/* Answers an error of auth_hashing_start or a result other than 0 and
 * -EACCES: 429 too_many_attempts (-EBUSY) or 503 busy (-EAGAIN), both with
 * Retry-After, else 500 "cannot <what>". */
void auth_hashing_refused(struct http_req *req, int rc, const char *what);
/* Takes the finished hashing out of req: the first call of every then. */
struct auth_hashing *auth_hashing_take(struct http_req *req);
void auth_hashing_free(struct auth_hashing *h);

/* --- sessions ------------------------------------------------------------------ */
/* Creates a session for the account, adds its Set-Cookie header to req.
 * 0 or -errno. */
int auth_session_start(struct http_req *req, int64_t account_id);
/* Deletes every session of the account (password change, reset, deletion). */
int auth_sessions_end_all(struct sqlite3 *db, int64_t account_id);
/* Deletes the caller's session and adds a Set-Cookie that clears it. */
int auth_session_end(struct http_req *req);

#endif
