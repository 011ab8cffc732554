/* whip: see whip.h.  Status codes and the state rules: docs/control.md,
 * "WebRTC: WHIP and WHEP". */
#include "control/whip.h"
#include "control/control.h"
#include "control/http.h"
#include "control/ingest.h"
#include "control/media_session.h"
#include "control/relay_client.h"
#include "control/sdp.h"
#include "control/whip_offer.h"
#include "control/webinar.h"
#include "common/clock.h"
#include "common/log.h"

#include <errno.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define UFRAG_BYTES 6              /* 8 ice-chars (standard base64 is exactly ice-char) */
#define PWD_BYTES 18               /* 24 ice-chars, above RFC 8839's 22 */
#define ANSWER_CAP 8192           /* Chromium-sized answers take ~2 kB */
/* A peer missing from webrtc.list is gone only when the session is older
 * than this: the list may have been taken just before the peer was added. */
#define GONE_GRACE_NS (5 * 1000000000LL)

enum { KIND_WHEP, KIND_WHIP };      /* media_session.kind */

struct session {
	struct media_session head;         /* id, webinar, token, the relay's peer id ("whep-…") */
	char remote_ufrag[257], remote_pwd[257];   /* the browser's, to tell an ICE restart */
	char local_ufrag[16], local_pwd[32];       /* the relay's, in the answer */
	char etag[24];                     /* quoted; changes with each ICE restart */
	char host[64];                     /* the answer's candidate (the peer's worker) */
	uint16_t port;
	char mids[WHIP_MAX_MIDS][33];           /* the bundled mids the answer served */
	bool restarting;                   /* an ICE restart is between its relay call and its answer */
};

struct whip {
	struct media_sessions *sessions;
	atomic_uint next_peer;             /* relay peer ids are "whip-<salt>-<n>" */
	uint32_t peer_salt;                /* keeps peer ids of a restarted control apart */
};

static int kind_of(bool publish) { return publish ? KIND_WHIP : KIND_WHEP; }

/* The session with this secret id, webinar and kind; lock held. */
static struct session *session_find(struct whip *w, const char *id, int64_t webinar, bool publish)
{
	return (struct session *)media_sessions_find(w->sessions, id, webinar, kind_of(publish));
}

static struct session *session_take(struct whip *w, const char *id, int64_t webinar, bool publish)
{
	return (struct session *)media_sessions_take(w->sessions, id, webinar, kind_of(publish));
}

int whip_token_ended(struct whip *w, int64_t token_id)
{
	return w ? media_sessions_token_end(w->sessions, token_id) : 0;
}

int whip_webinar_ended(struct whip *w, int64_t webinar)
{
	return w ? media_sessions_webinar_ended(w->sessions, webinar) : 0;
}

/* --- the relay ---------------------------------------------------------------------- */

static void random_b64(char *out, size_t outlen, size_t nbytes, int variant)
{
	unsigned char b[32];

	randombytes_buf(b, nbytes);
	sodium_bin2base64(out, outlen, b, nbytes, variant);
	sodium_memzero(b, sizeof b);
}

/* New relay-side ICE credentials (ice-chars: ALPHA / DIGIT / "+" / "/"). */
static void ice_credentials(char ufrag[16], char pwd[32])
{
	random_b64(ufrag, 16, UFRAG_BYTES, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	random_b64(pwd, 32, PWD_BYTES, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

static void new_etag(char etag[24])
{
	unsigned char b[8];
	char hex[17];

	randombytes_buf(b, sizeof b);
	sodium_bin2hex(hex, sizeof hex, b, sizeof b);
	snprintf(etag, 24, "\"%s\"", hex);
}

static int relay_peer_cmd(struct control *app, const char *cmd, int64_t webinar, const char *peer,
                          json_t *extra, json_t **resp, char *err, size_t errlen)
{
	char sid[32];
	json_t *args;
	int r;

	ingest_stream_id(webinar, sid, sizeof sid);
	args = json_pack("{s:s,s:s}", "stream", sid, "id", peer);
	if (extra)
		json_object_update(args, extra);
	r = relay_client_cmd(app->relay, cmd, args, resp, err, errlen);
	json_decref(args);
	return r;
}

/* A request held an ICE password: wipe that copy before letting go of it
 * (jansson's strings are ours to overwrite; main's allocator wipes too). */
static void wipe_ice_pwd(json_t *req)
{
	json_t *pwd = json_object_get(json_object_get(req, "ice"), "pwd");

	if (json_is_string(pwd))
		sodium_memzero((char *)json_string_value(pwd), json_string_length(pwd));
}

/* Tells the relay a peer is gone; "no such peer" (it left on its own) is done too. */
static void relay_peer_remove(struct control *app, int64_t webinar, const char *peer)
{
	char err[512];
	json_t *resp = NULL;
	int r = relay_peer_cmd(app, "webrtc.remove", webinar, peer, NULL, &resp, err, sizeof err);

	json_decref(resp);
	if (r && !(r == -EPROTO && strstr(err, "no such peer")))
		log_msg(LOG_WARN, "webrtc.remove failed", "webinar=%lld peer=%s err=%d", (long long)webinar, peer, r);
}

/* --- HTTP --------------------------------------------------------------------------- */

/* Every answer may be read by a page of another origin (a player embedded
 * elsewhere): no credentials are involved, only Bearer tokens and the
 * session URL, so "*" is safe (RFC 9725 §4.1 and Fetch's CORS protocol). */
static void cors(struct http_req *req)
{
	http_set_header(req, "Access-Control-Allow-Origin", "*");
	http_set_header(req, "Access-Control-Expose-Headers", "Location, ETag, Accept-Patch, Retry-After");
	http_set_header(req, "Cache-Control", "no-store");
}

static bool content_type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' ');
}

static void unavailable(struct http_req *req, const char *error, const char *detail)
{
	char s[16];

	snprintf(s, sizeof s, "%d", WHIP_RETRY_AFTER_S);
	http_set_header(req, "Retry-After", s);
	http_error(req, 503, error, "%s", detail);
}

/* Answers a failed relay call: 503 + Retry-After when the relay is down or
 * saturated, 409 for a second publisher, 502 for anything else it refused. */
static void relay_failed(struct http_req *req, int r, const char *err)
{
	if (r != -EPROTO)
		unavailable(req, "relay_unavailable", err);
	else if (strstr(err, "saturated"))
		unavailable(req, "relay_saturated", err);
	else if (strstr(err, "already has a WebRTC publisher"))
		http_error(req, 409, "publisher_exists", "%s", err);
	else
		http_error(req, 502, "relay_refused", "%s", err);
}

/* webrtc.add, with the two recoveries a caller would otherwise have to
 * make by hand: the stream is gone (the relay restarted) -> create it
 * again; the webinar already has a WebRTC publisher that this process
 * knows -> the new POST replaces it (a speaker who reloads the page is
 * back at once instead of waiting 30 s for consent to expire). */
static int relay_add(struct control *app, struct sqlite3 *db, const struct webinar *w, bool publish, const char *peer,
                     json_t *extra, json_t **resp, char *err, size_t errlen)
{
	int r = 0;

	for (int attempt = 0; attempt < 3; attempt++) {
		r = relay_peer_cmd(app, "webrtc.add", w->id, peer, extra, resp, err, errlen);
		if (r != -EPROTO)
			return r;
		if (strstr(err, "no stream") || strstr(err, "no such stream")) {
			char e2[512];
			if (ingest_stream_create(app, db, w, e2, sizeof e2))
				return r;
			continue;
		}
		if (publish && strstr(err, "already has a WebRTC publisher")) {
			struct media_session *old = media_sessions_take_kind(app->whip->sessions, w->id, KIND_WHIP);
			if (!old)
				return r;
			log_msg(LOG_INFO, "whip publisher replaced", "webinar=%lld old=%s new=%s", (long long)w->id,
			        old->peer, peer);
			relay_peer_remove(app, w->id, old->peer);
			media_session_free(old);
			continue;
		}
		return r;
	}
	return r;
}

static void post_offer(struct http_req *req, bool publish)
{
	struct control *app = req->app;
	struct whip *wh = app->whip;
	struct whip_offer offer = { 0 };
	struct whip_relay_peer rp;
	struct session *s = NULL;
	struct webinar w;
	json_t *extra = NULL, *resp = NULL;
	const char *error = NULL;
	char err[512], stream_id[32], location[128], *answer = NULL;
	int n, r;
	bool relay_has_peer = false;

	cors(req);
	if (webinar_media_access(req, publish, &w))
		return;
	if (!content_type_is(req->content_type, "application/sdp")) {
		http_error(req, 415, "unsupported_media_type", "the offer must be application/sdp, got %s",
		           req->content_type ? req->content_type : "no Content-Type");
		return;
	}
	if (strcmp(w.state, "live") != 0) {
		http_error(req, 409, "not_live", "the webinar is %s: %s", w.state,
		           strcmp(w.state, "scheduled") == 0 ? "WebRTC opens when the organizer starts it"
		                                              : "it is over");
		return;
	}
	if (!(s = media_session_new(sizeof *s)) || !(answer = malloc(ANSWER_CAP))) {
		http_error(req, 500, "internal", "out of memory");
		goto out;
	}
	s->head.webinar = w.id;
	s->head.kind = kind_of(publish);
	s->head.token_id = req->principal.token_id;
	ice_credentials(s->local_ufrag, s->local_pwd);
	/* Every reason to refuse the offer shows here, before the relay holds anything. */
	n = whip_offer_check(req->body, req->body_len, publish ? SDP_ROLE_WHIP : SDP_ROLE_WHEP,
	                     strcmp(w.codec, "h264") == 0 ? SDP_VIDEO_H264 : SDP_VIDEO_VP8,
	                     s->local_ufrag, s->local_pwd, &offer, &error, err, sizeof err);
	if (n) {
		http_error(req, n, error, "%s", err);
		goto out;
	}
	memcpy(s->mids, offer.mids, sizeof s->mids);
	offer.max_video_bitrate = (uint32_t)w.max_video_bitrate;
	snprintf(s->remote_ufrag, sizeof s->remote_ufrag, "%s", offer.sdp->media[offer.first].ice_ufrag);
	snprintf(s->remote_pwd, sizeof s->remote_pwd, "%s", offer.sdp->media[offer.first].ice_pwd);
	if (media_sessions_full(wh->sessions)) {
		unavailable(req, "saturated", "too many WebRTC sessions on this control plane");
		goto out;
	}
	/* After a restart of amphi-control the webinar is live but its stream
	 * may be unknown here: make sure the relay has it. */
	if ((r = ingest_stream_ensure(app, req->db, &w, err, sizeof err))) {
		relay_failed(req, r, err);
		goto out;
	}
	snprintf(s->head.peer, sizeof s->head.peer, "%s-%08x-%u", publish ? "whip" : "whep", wh->peer_salt,
	         atomic_fetch_add(&wh->next_peer, 1));
	extra = whip_offer_relay_args(&offer, s->local_ufrag, s->local_pwd);
	r = relay_add(app, req->db, &w, publish, s->head.peer, extra, &resp, err, sizeof err);
	wipe_ice_pwd(extra);
	if (r) {
		relay_failed(req, r, err);
		goto out;
	}
	relay_has_peer = true;
	if (whip_relay_reply_parse(resp, &rp)) {
		http_error(req, 502, "relay_refused", "webrtc.add answered without host, port or fingerprint");
		goto out;
	}
	ingest_stream_id(w.id, stream_id, sizeof stream_id);
	n = whip_offer_answer(&offer, s->local_ufrag, s->local_pwd, &rp, stream_id, answer, ANSWER_CAP,
	                      err, sizeof err);
	if (n < 0) {
		http_error(req, 502, "relay_refused", "the relay's reply does not make an answer: %s", err);
		goto out;
	}
	snprintf(s->host, sizeof s->host, "%s", rp.host);
	s->port = rp.port;
	new_etag(s->etag);
	snprintf(location, sizeof location, "/%s/%lld/%s", publish ? "whip" : "whep", (long long)w.id, s->head.id);
	http_set_header(req, "Location", location);
	http_set_header(req, "ETag", s->etag);
	http_set_header(req, "Accept-Patch", "application/trickle-ice-sdpfrag");
	http_text(req, 201, "application/sdp", answer, (size_t)n);
	log_msg(LOG_INFO, publish ? "whip session" : "whep session", "webinar=%lld peer=%s port=%u token=%lld",
	        (long long)w.id, s->head.peer, s->port, (long long)s->head.token_id);
	media_sessions_insert(wh->sessions, &s->head);
	s = NULL;
	relay_has_peer = false;
out:
	/* nothing half-created: a peer the answer could not use leaves the relay */
	if (relay_has_peer)
		relay_peer_remove(app, w.id, s->head.peer);
	if (s)
		media_session_free(&s->head);
	json_decref(extra);
	json_decref(resp);
	whip_offer_free(&offer);
	free(answer);
}

static void whip_post(struct http_req *req) { post_offer(req, true); }
static void whep_post(struct http_req *req) { post_offer(req, false); }

/* The session named by the URL, or 404.  0 with *webinar set, or -ENOENT. */
static int session_url(struct http_req *req, int64_t *webinar)
{
	if (http_param_id(req, "id", webinar)) {
		http_error(req, 404, "not_found", "no such session");
		return -ENOENT;
	}
	return 0;
}

static void session_delete(struct http_req *req, bool publish)
{
	struct control *app = req->app;
	struct session *s;
	int64_t webinar;

	cors(req);
	if (session_url(req, &webinar))
		return;
	if (!(s = session_take(app->whip, http_param(req, "session"), webinar, publish))) {
		http_error(req, 404, "not_found", "no such session (ended, or never existed)");
		return;
	}
	/* The session is gone here whatever the relay says: a relay that is
	 * down lost the peer anyway, and one that fails to remove it drops it
	 * when the browser stops its consent checks (30 s). */
	relay_peer_remove(app, webinar, s->head.peer);
	log_msg(LOG_INFO, publish ? "whip session ended" : "whep session ended", "webinar=%lld peer=%s",
	        (long long)webinar, s->head.peer);
	media_session_free(&s->head);
	http_empty(req, 200);
}

static void whip_delete(struct http_req *req) { session_delete(req, true); }
static void whep_delete(struct http_req *req) { session_delete(req, false); }

/* A PATCH (RFC 9725 §4.3) once read and checked: trickle ICE (204, nothing
 * to do for an ICE-lite relay) or an ICE restart (200 with the relay's new
 * credentials).  Holds the browser's and the session's ICE passwords: wiped
 * when the PATCH is answered. */
struct patch {
	struct session s;          /* a copy of the session, taken under the lock */
	int64_t webinar;
	bool publish;
	struct sdp_frag f;         /* the body */
};

/* Finds the session of the URL and checks the body (Content-Type, syntax),
 * its If-Match and its mid.  0, or -errno after answering. */
static int patch_parse(struct http_req *req, bool publish, struct patch *p)
{
	struct whip *wh = req->app->whip;
	struct session *found;
	const char *if_match;
	char err[512];
	bool mid_ok = false;

	p->publish = publish;
	if (session_url(req, &p->webinar))
		return -EINVAL;
	media_sessions_lock(wh->sessions);
	found = session_find(wh, http_param(req, "session"), p->webinar, publish);
	if (found)
		p->s = *found;
	media_sessions_unlock(wh->sessions);
	if (!found) {
		http_error(req, 404, "not_found", "no such session (ended, or never existed)");
		return -ENOENT;
	}
	if (!content_type_is(req->content_type, "application/trickle-ice-sdpfrag")) {
		http_error(req, 415, "unsupported_media_type", "PATCH takes application/trickle-ice-sdpfrag, got %s",
		           req->content_type ? req->content_type : "no Content-Type");
		return -EINVAL;
	}
	if (sdp_frag_parse(req->body ? req->body : "", req->body_len, &p->f, err, sizeof err)) {
		http_error(req, 400, "malformed_fragment", "%s", err);
		return -EINVAL;
	}
	/* RFC 9725 §4.3.1: a PATCH names the ICE session it applies to by the
	 * entity-tag; "*" (what ICE restarts send) matches any. */
	if_match = http_header(req, "If-Match");
	if (if_match && strcmp(if_match, "*") != 0 && strcmp(if_match, p->s.etag) != 0) {
		http_set_header(req, "ETag", p->s.etag);
		http_error(req, 412, "precondition_failed", "If-Match %s is not the session's current ETag",
		           if_match);
		return -EINVAL;
	}
	for (int i = 0; i < WHIP_MAX_MIDS; i++)
		mid_ok |= p->s.mids[i][0] && strcmp(p->s.mids[i], p->f.mid) == 0;
	if (p->f.mid[0] && !mid_ok) {
		http_error(req, 422, "unknown_mid", "a=mid:%s is not a media section of this session", p->f.mid);
		return -EINVAL;
	}
	return 0;
}

/* Trickle ICE: the browser's checks find the ICE-lite relay; its candidates
 * (syntax-checked by patch_parse) are not needed. */
static void patch_trickle(struct http_req *req, const struct patch *p)
{
	http_set_header(req, "ETag", p->s.etag);
	http_empty(req, 204);
}

/* One restart at a time per session: two racing ones could leave the relay
 * with the credentials of one and the answer with the other's.  0, or
 * -errno after answering (409 while another runs, 404 once it ended). */
static int restart_claim(struct http_req *req, struct whip *wh, const struct patch *p)
{
	struct session *pp;
	bool busy;

	media_sessions_lock(wh->sessions);
	pp = session_find(wh, p->s.head.id, p->webinar, p->publish);
	busy = pp && pp->restarting;
	if (pp && !busy)
		pp->restarting = true;
	media_sessions_unlock(wh->sessions);
	if (!pp || busy) {
		http_error(req, pp ? 409 : 404, pp ? "conflict" : "not_found",
		           pp ? "an ICE restart of this session is in progress" : "the session ended meanwhile");
		return pp ? -EBUSY : -ENOENT;
	}
	return 0;
}

/* Ends the claim; when the relay took the new credentials (relay_r 0) the
 * session takes them too, with a new ETag (copied into p).  False when the
 * session ended meanwhile. */
static bool restart_commit(struct whip *wh, struct patch *p, int relay_r, const char *ufrag, const char *pwd)
{
	struct session *s;

	media_sessions_lock(wh->sessions);
	s = session_find(wh, p->s.head.id, p->webinar, p->publish);
	if (s) {
		s->restarting = false;
		if (!relay_r) {
			snprintf(s->local_ufrag, sizeof s->local_ufrag, "%s", ufrag);
			snprintf(s->local_pwd, sizeof s->local_pwd, "%s", pwd);
			snprintf(s->remote_ufrag, sizeof s->remote_ufrag, "%s", p->f.ice_ufrag);
			snprintf(s->remote_pwd, sizeof s->remote_pwd, "%s", p->f.ice_pwd);
			new_etag(s->etag);
			snprintf(p->s.etag, sizeof p->s.etag, "%s", s->etag);
		}
	}
	media_sessions_unlock(wh->sessions);
	return s != NULL;
}

/* ICE restart: new relay credentials for the browser's new ones, answered as
 * a fragment with the relay's candidate. */
static void patch_restart(struct http_req *req, struct patch *p)
{
	struct control *app = req->app;
	struct whip *wh = app->whip;
	struct sdp_answer_params params = { 0 };
	struct sdp_candidate cand;
	char err[512], ufrag[16], pwd[32], body[1024];
	json_t *extra, *resp = NULL;
	bool found;
	int r, n;

	if (!p->f.ice_ufrag[0] || !p->f.ice_pwd[0]) {
		http_error(req, 400, "malformed_fragment", "an ICE restart needs both a=ice-ufrag and a=ice-pwd");
		return;
	}
	if (restart_claim(req, wh, p))
		return;
	ice_credentials(ufrag, pwd);
	extra = json_pack("{s:{s:s,s:s}}", "ice", "ufrag", ufrag, "pwd", pwd);
	r = relay_peer_cmd(app, "webrtc.restart", p->webinar, p->s.head.peer, extra, &resp, err, sizeof err);
	wipe_ice_pwd(extra);
	json_decref(extra);
	json_decref(resp);
	found = restart_commit(wh, p, r, ufrag, pwd);
	if (r == -EPROTO && strstr(err, "no such peer")) {
		/* the relay dropped it (consent expired): the session is over */
		struct session *s = session_take(wh, p->s.head.id, p->webinar, p->publish);
		if (s)
			media_session_free(&s->head);
		http_error(req, 404, "not_found", "the session ended: the relay no longer has its peer");
		goto out;
	}
	if (r) {
		/* RFC 9725 §4.3.2: a failed restart keeps the current ICE session */
		relay_failed(req, r, err);
		goto out;
	}
	if (!found) {
		http_error(req, 404, "not_found", "the session ended meanwhile");
		goto out;
	}
	cand = (struct sdp_candidate){ p->s.host, p->s.port };
	params.ice_ufrag = ufrag;
	params.ice_pwd = pwd;
	params.candidates = &cand;
	params.n_candidates = 1;
	n = sdp_frag_answer_build(&params, p->f.mid[0] ? p->f.mid : p->s.mids[0], body, sizeof body,
	                          err, sizeof err);
	if (n < 0) {
		http_error(req, 500, "internal", "cannot build the fragment: %s", err);
		goto out;
	}
	http_set_header(req, "ETag", p->s.etag);
	http_text(req, 200, "application/trickle-ice-sdpfrag", body, (size_t)n);
	log_msg(LOG_INFO, "ice restart", "webinar=%lld peer=%s", (long long)p->webinar, p->s.head.peer);
out:
	sodium_memzero(pwd, sizeof pwd);
}

static void session_patch(struct http_req *req, bool publish)
{
	struct patch p;

	cors(req);
	memset(&p, 0, sizeof p);
	if (patch_parse(req, publish, &p) == 0) {
		if (sdp_frag_is_restart(&p.f, p.s.remote_ufrag, p.s.remote_pwd))
			patch_restart(req, &p);
		else
			patch_trickle(req, &p);
	}
	sodium_memzero(&p, sizeof p);
}

static void whip_patch(struct http_req *req) { session_patch(req, true); }
static void whep_patch(struct http_req *req) { session_patch(req, false); }

/* CORS preflight and discovery (RFC 9725 §4.1: Accept-Post on the endpoint). */
static void endpoint_options(struct http_req *req)
{
	cors(req);
	http_set_header(req, "Accept-Post", "application/sdp");
	http_set_header(req, "Allow", "POST, OPTIONS");
	http_set_header(req, "Access-Control-Allow-Methods", "POST, OPTIONS");
	http_set_header(req, "Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
	http_set_header(req, "Access-Control-Max-Age", "600");
	http_empty(req, 204);
}

static void session_options(struct http_req *req)
{
	cors(req);
	http_set_header(req, "Accept-Patch", "application/trickle-ice-sdpfrag");
	http_set_header(req, "Allow", "PATCH, DELETE, OPTIONS");
	http_set_header(req, "Access-Control-Allow-Methods", "PATCH, DELETE, OPTIONS");
	http_set_header(req, "Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
	http_set_header(req, "Access-Control-Max-Age", "600");
	http_empty(req, 204);
}

/* --- the sweeper -------------------------------------------------------------------- */

/* Is peer among the relay's peers of the stream? */
static bool listed(json_t *peers, const char *peer)
{
	size_t i;
	json_t *p;

	json_array_foreach(peers, i, p)
		if (strcmp(json_string_value(json_object_get(p, "id")) ?: "", peer) == 0)
			return true;
	return false;
}

/* The sweeper's question to the relay: which peers did it drop on its own
 * (consent expired, DTLS failed)?  One webrtc.list per webinar; a relay
 * that cannot answer proves nothing. */
static void relay_dropped(struct control *app, struct media_session_snap *snap, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		json_t *args, *resp = NULL, *peers;
		char sid[32], err[256];
		int64_t list_ns;
		int r;
		for (size_t k = 0; k < i && !seen; k++)
			seen = snap[k].webinar == snap[i].webinar;
		if (seen)
			continue;
		ingest_stream_id(snap[i].webinar, sid, sizeof sid);
		args = json_pack("{s:s}", "stream", sid);
		list_ns = (int64_t)amphi_mono_ns();
		r = relay_client_cmd(app->relay, "webrtc.list", args, &resp, err, sizeof err);
		json_decref(args);
		peers = json_object_get(resp, "peers");
		if (!r && json_is_array(peers))
			for (size_t k = i; k < n; k++)
				if (snap[k].webinar == snap[i].webinar && !snap[k].why &&
				    snap[k].created_ns <= list_ns - GONE_GRACE_NS && !listed(peers, snap[k].peer)) {
					snap[k].why = "the relay dropped the peer";
					snap[k].relay_dropped = true;
				}
		json_decref(resp);
	}
}

/* The relay's own view of a peer (webrtc.list: its state and address), or
 * NULL when the relay does not list it or cannot be asked. */
static json_t *relay_peer(struct control *app, int64_t webinar, const char *peer)
{
	json_t *args, *resp = NULL, *p, *found = NULL;
	char sid[32], err[256];
	size_t i;

	ingest_stream_id(webinar, sid, sizeof sid);
	args = json_pack("{s:s}", "stream", sid);
	if (relay_client_cmd(app->relay, "webrtc.list", args, &resp, err, sizeof err) == 0)
		json_array_foreach(json_object_get(resp, "peers"), i, p)
			if (strcmp(json_string_value(json_object_get(p, "id")) ?: "", peer) == 0)
				found = json_pack("{s:O?,s:O?}", "state", json_object_get(p, "state"), "addr",
				                  json_object_get(p, "addr"));
	json_decref(args);
	json_decref(resp);
	return found;
}

void whip_token_sessions(struct control *app, int64_t token_id, json_t *list)
{
	struct media_session_snap snap[WHIP_TOKEN_SESSIONS_MAX];
	size_t n = app->whip ? media_sessions_of_token(app->whip->sessions, token_id, snap, WHIP_TOKEN_SESSIONS_MAX) : 0;

	for (size_t i = 0; i < n; i++) {
		json_t *o = media_session_snap_json(&snap[i], snap[i].kind == KIND_WHIP ? "whip publisher" : "whep viewer");
		json_t *r = relay_peer(app, snap[i].webinar, snap[i].peer);

		json_object_set_new(o, "relay", r ? r : json_null());
		json_array_append_new(list, o);
	}
}

static const struct media_session_ops whip_ops = { "webrtc session", relay_peer_remove, relay_dropped };

struct whip *whip_create(struct control *app)
{
	struct whip *w = calloc(1, sizeof *w);

	if (!w)
		return NULL;
	if (!(w->sessions = media_sessions_create(app, &whip_ops, WHIP_MAX_SESSIONS, WHIP_SWEEP_MS))) {
		free(w);
		return NULL;
	}
	randombytes_buf(&w->peer_salt, sizeof w->peer_salt);
	return w;
}

void whip_destroy(struct whip *w)
{
	if (!w)
		return;
	media_sessions_destroy(w->sessions);
	free(w);
}

int whip_routes(struct http_router *r, struct control *app)
{
	int rc = 0;

	rc = rc ? rc : http_route(r, "POST", "/whip/{id}", whip_post, app, 0);
	rc = rc ? rc : http_route(r, "OPTIONS", "/whip/{id}", endpoint_options, app, 0);
	rc = rc ? rc : http_route(r, "PATCH", "/whip/{id}/{session}", whip_patch, app, 0);
	rc = rc ? rc : http_route(r, "DELETE", "/whip/{id}/{session}", whip_delete, app, 0);
	rc = rc ? rc : http_route(r, "OPTIONS", "/whip/{id}/{session}", session_options, app, 0);
	rc = rc ? rc : http_route(r, "POST", "/whep/{id}", whep_post, app, 0);
	rc = rc ? rc : http_route(r, "OPTIONS", "/whep/{id}", endpoint_options, app, 0);
	rc = rc ? rc : http_route(r, "PATCH", "/whep/{id}/{session}", whep_patch, app, 0);
	rc = rc ? rc : http_route(r, "DELETE", "/whep/{id}/{session}", whep_delete, app, 0);
	rc = rc ? rc : http_route(r, "OPTIONS", "/whep/{id}/{session}", session_options, app, 0);
	return rc;
}
