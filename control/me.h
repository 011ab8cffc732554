/* me: what the person behind a request may see and correct about themself
 * (GDPR art. 15 and 16), for organizers (session cookie) and participants
 * (the join token of one of their registrations); who that person is comes
 * from subject.h.
 *
 *   GET   /api/me    account or join token   who the request is about: {kind, email, ...}
 *
 * The export (art. 15, 20) is export.h; erasure and restriction are their
 * own modules. */
#ifndef AMPHI_CONTROL_ME_H
#define AMPHI_CONTROL_ME_H

struct http_router;
struct control;

int me_routes(struct http_router *r, struct control *app);

#endif
