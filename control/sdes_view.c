/* sdes_view: see sdes_view.h. */
#include "control/sdes_view.h"
#include "control/control.h"
#include "control/http.h"
#include "control/ingest.h"
#include "control/media_session.h"
#include "control/relay_client.h"
#include "control/sdes_sdp.h"
#include "control/webinar.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SDP_CAP 2048               /* two m-lines take ~600 bytes */

struct sdes_view {
	struct media_sessions *sessions;   /* a session's peer is the relay's viewer id ("sdes-…") */
	atomic_uint next_viewer;           /* relay viewer ids are "sdes-<salt>-<n>" */
	uint32_t salt;                     /* keeps viewer ids of a restarted control apart */
};

int sdes_view_token_ended(struct sdes_view *v, int64_t token_id)
{
	return v ? media_sessions_token_end(v->sessions, token_id) : 0;
}

void sdes_view_token_sessions(struct sdes_view *v, int64_t token_id, json_t *list)
{
	struct media_session_snap snap[SDES_VIEW_TOKEN_SESSIONS_MAX];
	size_t n = v ? media_sessions_of_token(v->sessions, token_id, snap, SDES_VIEW_TOKEN_SESSIONS_MAX) : 0;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, media_session_snap_json(&snap[i], "sdes viewer"));
}

int sdes_view_webinar_ended(struct sdes_view *v, int64_t webinar)
{
	return v ? media_sessions_webinar_ended(v->sessions, webinar) : 0;
}

/* viewer.remove; a viewer the relay no longer has (stream deleted or
 * re-created) is gone already. */
static void relay_viewer_remove(struct control *app, int64_t webinar, const char *viewer)
{
	char sid[32], err[512];
	json_t *args, *resp = NULL;
	int r;

	ingest_stream_id(webinar, sid, sizeof sid);
	args = json_pack("{s:s,s:s}", "stream", sid, "id", viewer);
	r = relay_client_cmd(app->relay, "viewer.remove", args, &resp, err, sizeof err);
	json_decref(resp);
	json_decref(args);
	if (r && r != -EPROTO)
		log_msg(LOG_WARN, "viewer.remove failed", "webinar=%lld viewer=%s err=%d", (long long)webinar, viewer, r);
}

/* --- POST ---------------------------------------------------------------------------- */

/* The stream's tracks as this webinar's relay stream has them (ingest.h). */
static unsigned stream_tracks(const struct webinar *w, json_t *ssrcs, struct sdes_track t[2])
{
	bool h264 = strcmp(w->codec, "h264") == 0;

	t[0] = (struct sdes_track){ false, "opus", INGEST_PT_OPUS,
	                            (uint32_t)json_integer_value(json_object_get(ssrcs, "audio")), 48000, 2 };
	t[1] = (struct sdes_track){ true, h264 ? "H264" : "VP8", h264 ? INGEST_PT_H264 : INGEST_PT_VP8,
	                            (uint32_t)json_integer_value(json_object_get(ssrcs, "video")), 90000, 0 };
	return 2;
}

/* The same numeric address, whatever its spelling. */
static bool same_address(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (inet_pton(AF_INET, a, x) == 1)
		return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
	return inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1 && memcmp(x, y, 16) == 0;
}

/* "ip:port" or "[ip]:port", as viewer.add takes it. */
static json_t *relay_addr(const struct sdes_target *t, uint16_t port)
{
	char s[64];

	snprintf(s, sizeof s, t->ipv6 ? "[%s]:%u" : "%s:%u", t->address, port);
	return json_string(s);
}

/* viewer.add, re-creating the stream once when the relay lost it (it restarted). */
static int relay_viewer_add(struct control *app, struct sqlite3 *db, const struct webinar *w, json_t *args, json_t **resp,
                            char *err, size_t errlen)
{
	int r = relay_client_cmd(app->relay, "viewer.add", args, resp, err, errlen);
	char e2[512];

	if (r == -EPROTO && strncmp(err, "no stream", 9) == 0 && ingest_stream_create(app, db, w, e2, sizeof e2) == 0)
		r = relay_client_cmd(app->relay, "viewer.add", args, resp, err, errlen);
	return r;
}

static json_t *track_json(const struct sdes_target *t, const struct sdes_track *k)
{
	uint16_t port = k->video ? t->video_port : t->audio_port;
	json_t *o = json_pack("{s:s,s:s,s:i,s:I,s:i,s:s,s:i,s:i}", "kind", k->video ? "video" : "audio",
	                      "codec", k->codec, "payload_type", k->pt, "ssrc", (json_int_t)k->ssrc,
	                      "clock_rate", k->clock_rate, "address", t->address, "port", port,
	                      "rtcp_port", t->rtcp_mux ? port : port + 1);

	if (!k->video)
		json_object_set_new(o, "channels", json_integer(k->channels));
	if (strcmp(k->codec, "H264") == 0)
		json_object_set_new(o, "fmtp", json_string("packetization-mode=1"));
	return o;
}

static void viewer_post(struct http_req *req)
{
	struct control *app = req->app;
	struct sdes_view *v = app->sdes_view;
	unsigned char key[INGEST_KEY_LEN];
	char b64[sodium_base64_ENCODED_LEN(INGEST_KEY_LEN, sodium_base64_VARIANT_ORIGINAL)];
	char err[512], sid[32], location[128], sdp[SDP_CAP];
	struct sdes_target t;
	struct sdes_track tracks[2];
	struct media_session *s = NULL;
	struct webinar w;
	json_t *errors = json_array(), *args = NULL, *resp = NULL, *tj, *kv;
	unsigned ntracks;
	int n, r;

	http_set_header(req, "Cache-Control", "no-store");
	if (webinar_media_access(req, false, &w))
		goto out;
	if (sdes_target_parse(req->json, req->client_ip, &t, errors)) {
		webinar_invalid(req, errors);
		errors = NULL;
		goto out;
	}
	/* Only the speaker's token may send the stream elsewhere than to the
	 * requester: otherwise anyone with a join link could flood a third
	 * party with the relay's packets. */
	if (!same_address(t.address, req->client_ip) && req->principal.role != AUTH_SPEAKER) {
		http_error(req, 403, "forbidden", "a viewer receives at its own address (%s); only a publish "
		           "token may name another", req->client_ip);
		goto out;
	}
	if (strcmp(w.state, "live") != 0) {
		http_error(req, 409, "not_live", "the webinar is %s: %s", w.state,
		           strcmp(w.state, "scheduled") == 0 ? "viewing opens when the organizer starts it"
		                                              : "it is over");
		goto out;
	}
	if (media_sessions_full(v->sessions)) {
		http_set_header(req, "Retry-After", "5");
		http_error(req, 503, "saturated", "this process serves %d SDES viewers already", SDES_VIEW_MAX_SESSIONS);
		goto out;
	}
	if ((r = ingest_stream_ensure(app, req->db, &w, err, sizeof err))) {
		http_error(req, relay_client_http_status(r), "relay_unavailable", "%s", err);
		goto out;
	}
	if (!(s = media_session_new(sizeof *s))) {
		http_error(req, 503, "saturated", "out of memory");
		goto out;
	}
	s->webinar = w.id;
	s->token_id = req->principal.token_id;
	snprintf(s->peer, sizeof s->peer, "sdes-%08x-%u", v->salt, atomic_fetch_add(&v->next_viewer, 1));
	randombytes_buf(key, sizeof key);
	sodium_bin2base64(b64, sizeof b64, key, sizeof key, sodium_base64_VARIANT_ORIGINAL);
	ingest_stream_id(w.id, sid, sizeof sid);
	args = json_pack("{s:s,s:s,s:s,s:s,s:{},s:b}", "stream", sid, "id", s->peer, "suite", INGEST_SUITE,
	                 "key", b64, "addrs", "rtcp_mux", t.rtcp_mux);
	if (t.audio_port)
		json_object_set_new(json_object_get(args, "addrs"), "audio", relay_addr(&t, t.audio_port));
	if (t.video_port)
		json_object_set_new(json_object_get(args, "addrs"), "video", relay_addr(&t, t.video_port));
	r = relay_viewer_add(app, req->db, &w, args, &resp, err, sizeof err);
	if (r) {
		if (r == -EPROTO && strstr(err, "too many viewers")) {
			http_set_header(req, "Retry-After", "5");
			http_error(req, 503, "relay_saturated", "%s", err);
		} else {
			http_error(req, relay_client_http_status(r), r == -EPROTO ? "relay_refused" : "relay_unavailable",
			           "%s", err);
		}
		goto out;
	}
	ntracks = stream_tracks(&w, json_object_get(resp, "ssrcs"), tracks);
	n = sdes_sdp_write(&t, tracks, ntracks, INGEST_SUITE, b64, sid, sdp, sizeof sdp);
	if (n < 0) {
		relay_viewer_remove(app, w.id, s->peer);
		http_error(req, 500, "internal", "cannot write the receiver SDP (%d)", n);
		goto out;
	}
	tj = json_array();
	for (unsigned i = 0; i < ntracks; i++)
		if (tracks[i].video ? t.video_port : t.audio_port)
			json_array_append_new(tj, track_json(&t, &tracks[i]));
	snprintf(location, sizeof location, "/api/webinars/%lld/viewers/srtp/%s", (long long)w.id, s->id);
	http_set_header(req, "Location", location);
	http_json(req, 201, json_pack("{s:s,s:s,s:s,s:{s:O,s:O},s:o,s:s#}", "viewer", s->peer,
	          "suite", INGEST_SUITE, "key", b64, "source",
	          "host", json_object_get(json_object_get(resp, "egress"), "host") ?: json_null(),
	          "port", json_object_get(json_object_get(resp, "egress"), "port") ?: json_null(),
	          "tracks", tj, "sdp", sdp, (size_t)n));
	log_msg(LOG_INFO, "sdes viewer", "webinar=%lld viewer=%s token=%lld audio=%u video=%u rtcp_mux=%d",
	        (long long)w.id, s->peer, (long long)s->token_id, t.audio_port, t.video_port, t.rtcp_mux);
	media_sessions_insert(v->sessions, s);
	s = NULL;
out:
	/* The key lives on only in the relay and the answer (wiped with it). */
	if (args && (kv = json_object_get(args, "key")))
		sodium_memzero((char *)json_string_value(kv), json_string_length(kv));
	sodium_memzero(key, sizeof key);
	sodium_memzero(b64, sizeof b64);
	sodium_memzero(sdp, sizeof sdp);
	media_session_free(s);
	json_decref(args);
	json_decref(resp);
	json_decref(errors);
}

/* --- DELETE ------------------------------------------------------------------------- */

static void viewer_delete(struct http_req *req)
{
	struct control *app = req->app;
	struct media_session *s;
	int64_t webinar;

	if (http_param_id(req, "id", &webinar) ||
	    !(s = media_sessions_take(app->sdes_view->sessions, http_param(req, "session"), webinar, 0))) {
		http_error(req, 404, "not_found", "no such viewer (ended, or never existed)");
		return;
	}
	relay_viewer_remove(app, webinar, s->peer);
	log_msg(LOG_INFO, "sdes viewer ended", "webinar=%lld viewer=%s", (long long)webinar, s->peer);
	media_session_free(s);
	http_empty(req, 200);
}

static const struct media_session_ops sdes_ops = { "sdes viewer", relay_viewer_remove, NULL };

struct sdes_view *sdes_view_create(struct control *app)
{
	struct sdes_view *v = calloc(1, sizeof *v);

	if (!v)
		return NULL;
	if (!(v->sessions = media_sessions_create(app, &sdes_ops, SDES_VIEW_MAX_SESSIONS, SDES_VIEW_SWEEP_MS))) {
		free(v);
		return NULL;
	}
	randombytes_buf(&v->salt, sizeof v->salt);
	return v;
}

void sdes_view_destroy(struct sdes_view *v)
{
	if (!v)
		return;
	media_sessions_destroy(v->sessions);
	free(v);
}

int sdes_view_routes(struct http_router *r, struct control *app)
{
	int rc = http_route(r, "POST", "/api/webinars/{id}/viewers/srtp", viewer_post, app, HTTP_JSON);

	return rc ? rc : http_route(r, "DELETE", "/api/webinars/{id}/viewers/srtp/{session}", viewer_delete, app, 0);
}
