/* restriction: the right to restriction of processing (GDPR art. 18) — an
 * account or a registration frozen: kept, but not used, until an
 * administrator lifts it.
 *
 *   POST   /api/me/restriction                 the person   freezes its account (session cookie), or
 *                                                           every registration of its email (join token)
 *   GET    /api/restrictions                   admin        what is frozen
 *   POST   /api/restrictions {email}           admin        the same for a request received by mail
 *   DELETE /api/accounts/{id}/restriction      admin        lifts an account's
 *   DELETE /api/registrations/{id}/restriction admin        lifts a registration's
 *
 * What a restriction stops (the column restricted_at, schema 9):
 *   - an account: its sessions and reset tokens end at once; a login with
 *     the right password is 403 "restricted" (a wrong one is 401 as
 *     always); no reset mail, no inactivity mail, no retention deletion
 *     (expiry.c skips it); the admin account list marks it (restricted);
 *   - a registration: its viewers are cut on the relay at once; its join
 *     token is 403 "restricted" everywhere (auth_require, and
 *     webinar_media_access for WHEP and SDES viewers) except the person's
 *     own rights (/api/me*, the withdrawal: AUTH_ALLOW_RESTRICTED);
 *     registering again sends no mail; the organizer's registrant list
 *     shows its id only; the end of its webinar does not erase its identity
 *     and phone (webinars_purge) until lifted.
 * Restricting twice keeps the first time.  Every restriction and lift is
 * audited (account.restrict, registration.restrict, account.unrestrict,
 * registration.unrestrict) with ids only. */
#ifndef AMPHI_CONTROL_RESTRICTION_H
#define AMPHI_CONTROL_RESTRICTION_H

struct http_router;
struct control;

int restriction_routes(struct http_router *r, struct control *app);

#endif
