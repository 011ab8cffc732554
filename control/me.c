/* me: see me.h. */
#include "control/me.h"
#include "control/http.h"
#include "control/subject.h"

#include <jansson.h>

static void me_show(struct http_req *req)
{
	struct subject s;

	if (subject_from_request(req, &s))
		return;
	json_t *o = json_pack("{s:s,s:s}", "kind", subject_kind_name(s.kind), "email", s.email);
	if (s.kind == SUBJECT_ACCOUNT) {
		json_object_set_new(o, "account_id", json_integer(s.account_id));
	} else {
		json_object_set_new(o, "registration_id", json_integer(s.registration_id));
		json_object_set_new(o, "webinar_id", json_integer(s.webinar_id));
	}
	http_json(req, 200, o);
}

int me_routes(struct http_router *r, struct control *app)
{
	return http_route(r, "GET", "/api/me", me_show, app, 0);
}
