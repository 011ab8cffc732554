/* login: POST /api/login
 * (issue 11 items 3 and 4; docs/control.md "Login limits").
 *
 * A login never holds an HTTP worker while Argon2id runs: the handler checks
 * the limits (throttle.h) and the locks, hands the verification to the
 * hashing queue (pwhash.h), defers its answer (http_defer) and returns; the
 * hashing thread's completion continues the request on a worker, which
 * records the outcome and answers.
 *
 * Answers: 200 + session cookie + device cookie; 401 invalid_credentials;
 * 423 locked (retry_after); 429 too_many_attempts (retry_after, before any
 * hashing: the address or the email has too many attempts going on or
 * recently); 503 busy (the hashing queue is full).  Known and unknown emails
 * go through the same checks, the same Argon2id cost (unknown ones against a
 * dummy hash) and the same lock counting, so neither status, body nor time
 * tells whether an account exists.  A browser with a valid device cookie for
 * the account (devcookie.h) is not stopped by the account's lock nor by its
 * address's limits: only its own failures lock it. */
#ifndef AMPHI_CONTROL_LOGIN_H
#define AMPHI_CONTROL_LOGIN_H

struct http_router;
struct control;

int login_routes(struct http_router *r, struct control *app);

#endif
