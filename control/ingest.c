/* ingest: see ingest.h. */
#include "control/ingest.h"
#include "control/control.h"
#include "control/http.h"
#include "control/recordings.h"
#include "control/relay_client.h"
#include "control/webinar.h"
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ingest_key {
	int64_t webinar;
	unsigned char key[INGEST_KEY_LEN];   /* master key || salt; wiped on delete */
	char host[64];                       /* where publishers send, as the relay says */
	int port;
	struct ingest_key *next;
};

struct ingest {
	pthread_mutex_t lock;   /* guards keys */
	struct ingest_key *keys;
};

struct ingest *ingest_create(void)
{
	struct ingest *in = calloc(1, sizeof *in);

	if (in)
		pthread_mutex_init(&in->lock, NULL);
	return in;
}

static void key_free(struct ingest_key *k)
{
	sodium_memzero(k, sizeof *k);
	free(k);
}

void ingest_destroy(struct ingest *in)
{
	struct ingest_key *k, *next;

	if (!in)
		return;
	for (k = in->keys; k; k = next) {
		next = k->next;
		key_free(k);
	}
	pthread_mutex_destroy(&in->lock);
	free(in);
}

void ingest_stream_id(int64_t webinar, char *buf, size_t len)
{
	snprintf(buf, len, "webinar-%lld", (long long)webinar);
}

/* Unlinks the webinar's key, if any; lock held. */
static struct ingest_key *key_take(struct ingest *in, int64_t webinar)
{
	for (struct ingest_key **pp = &in->keys; *pp; pp = &(*pp)->next)
		if ((*pp)->webinar == webinar) {
			struct ingest_key *k = *pp;
			*pp = k->next;
			return k;
		}
	return NULL;
}

static json_t *track(const char *kind, const char *codec, int pt, int clock, int channels)
{
	json_t *t = json_pack("{s:s,s:s,s:i,s:i}", "kind", kind, "codec", codec, "pt", pt, "clock_rate", clock);

	if (channels)
		json_object_set_new(t, "channels", json_integer(channels));
	return t;
}

int ingest_stream_create(struct control *app, struct sqlite3 *db, const struct webinar *w, char *err,
                         size_t errlen)
{
	struct ingest_key *k = calloc(1, sizeof *k);
	char id[32], b64[sodium_base64_ENCODED_LEN(INGEST_KEY_LEN, sodium_base64_VARIANT_ORIGINAL)];
	char org[32], web[32], rec[RECORDINGS_NAME_MAX] = "";
	bool h264 = strcmp(w->codec, "h264") == 0;
	json_t *args, *del, *resp = NULL;
	const char *host;
	int r;

	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	k->webinar = w->id;
	randombytes_buf(k->key, sizeof k->key);
	sodium_bin2base64(b64, sizeof b64, k->key, sizeof k->key, sodium_base64_VARIANT_ORIGINAL);
	ingest_stream_id(w->id, id, sizeof id);
	snprintf(org, sizeof org, "%lld", (long long)w->organizer_id);
	snprintf(web, sizeof web, "%lld", (long long)w->id);
	/* docs/relay-control.md: stream.create {id, tracks, ingest {suite, key},
	 * webinar, org, webinar_date, record} -> {ingest {host, port}}. */
	args = json_pack("{s:s,s:s,s:s,s:I,s:b,s:{s:s,s:s},s:[o,o]}", "id", id, "webinar", web, "org", org,
	                 "webinar_date", (json_int_t)w->starts_at, "record", w->recording,
	                 "ingest", "suite", INGEST_SUITE, "key", b64, "tracks",
	                 track("audio", "opus", INGEST_PT_OPUS, 48000, 2),
	                 h264 ? track("video", "H264", INGEST_PT_H264, 90000, 0)
	                      : track("video", "VP8", INGEST_PT_VP8, 90000, 0));
	sodium_memzero(b64, sizeof b64);
	/* The recording's name and its link before the relay may write a byte
	 * of it: no recording exists that amphi-control does not know as whose. */
	if (w->recording) {
		r = recordings_link_new(db, w, rec);
		if (!r)
			r = json_object_set_new(args, "recording", json_string(rec)) ? -ENOMEM : 0;
		if (r) {
			snprintf(err, errlen, "cannot name the webinar's recording: %s", strerror(-r));
			json_decref(args);
			key_free(k);
			return r;
		}
	}
	/* A stream left by an earlier run (control restarted while live) is
	 * replaced: its key died with that process. */
	del = json_pack("{s:s}", "id", id);
	relay_client_cmd(app->relay, "stream.delete", del, &resp, err, errlen);
	json_decref(resp);
	json_decref(del);
	r = relay_client_cmd(app->relay, "stream.create", args, &resp, err, errlen);
	/* The request held the key: wipe it before letting go of it. */
	{
		json_t *kv = json_object_get(json_object_get(args, "ingest"), "key");
		if (kv)
			sodium_memzero((char *)json_string_value(kv), json_string_length(kv));
		json_decref(args);
	}
	if (r) {
		if (*rec)
			recordings_link_drop(db, rec);
		key_free(k);
		return r;
	}
	k->port = (int)json_integer_value(json_object_get(json_object_get(resp, "ingest"), "port"));
	host = json_string_value(json_object_get(json_object_get(resp, "ingest"), "host"));
	snprintf(k->host, sizeof k->host, "%s", host ? host : "127.0.0.1");
	json_decref(resp);
	if (k->port <= 0 || k->port > 65535) {
		snprintf(err, errlen, "relay refused: stream.create answered without a valid ingest port");
		key_free(k);
		return -EPROTO;
	}
	pthread_mutex_lock(&app->ingest->lock);
	{
		struct ingest_key *old = key_take(app->ingest, w->id);
		if (old)
			key_free(old);
	}
	k->next = app->ingest->keys;
	app->ingest->keys = k;
	pthread_mutex_unlock(&app->ingest->lock);
	log_msg(LOG_INFO, "relay stream created", "webinar=%lld port=%d", (long long)w->id, k->port);
	return 0;
}

int ingest_stream_ensure(struct control *app, struct sqlite3 *db, const struct webinar *w, char *err,
                         size_t errlen)
{
	static pthread_mutex_t ensure = PTHREAD_MUTEX_INITIALIZER;
	struct ingest_key *k;
	int r = 0;

	pthread_mutex_lock(&ensure);
	pthread_mutex_lock(&app->ingest->lock);
	for (k = app->ingest->keys; k && k->webinar != w->id; k = k->next)
		;
	pthread_mutex_unlock(&app->ingest->lock);
	if (!k)
		r = ingest_stream_create(app, db, w, err, errlen);
	pthread_mutex_unlock(&ensure);
	return r;
}

int ingest_stream_delete(struct control *app, int64_t webinar, char *err, size_t errlen)
{
	struct ingest_key *k;
	json_t *args, *resp = NULL;
	char id[32];
	int r;

	pthread_mutex_lock(&app->ingest->lock);
	k = key_take(app->ingest, webinar);
	pthread_mutex_unlock(&app->ingest->lock);
	if (k)
		key_free(k);
	ingest_stream_id(webinar, id, sizeof id);
	args = json_pack("{s:s}", "id", id);
	r = relay_client_cmd(app->relay, "stream.delete", args, &resp, err, errlen);
	json_decref(resp);
	json_decref(args);
	return r;
}

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

static void ingest_srtp(struct http_req *req)
{
	struct control *app = req->app;
	char b64[sodium_base64_ENCODED_LEN(INGEST_KEY_LEN, sodium_base64_VARIANT_ORIGINAL)];
	char host[64], cmd[2048], err[512], sid[32];
	struct ingest_key *k;
	struct webinar w;
	bool h264;
	int port, vpt;
	size_t off = 0;

	if (webinar_access(req, AUTH_SPEAKER, &w))
		return;
	if (strcmp(w.state, "live") != 0) {
		http_error(req, 409, "not_live", "the webinar is %s: publishing opens when the organizer starts it",
		           w.state);
		return;
	}
	{
		int r = ingest_stream_ensure(app, req->db, &w, err, sizeof err);
		if (r) {
			http_error(req, relay_client_http_status(r), "relay_unavailable", "%s", err);
			return;
		}
	}
	pthread_mutex_lock(&app->ingest->lock);
	for (k = app->ingest->keys; k && k->webinar != w.id; k = k->next)
		;
	if (k) {
		sodium_bin2base64(b64, sizeof b64, k->key, sizeof k->key, sodium_base64_VARIANT_ORIGINAL);
		snprintf(host, sizeof host, "%s", k->host);
		port = k->port;
	}
	pthread_mutex_unlock(&app->ingest->lock);
	if (!k) {
		http_error(req, 409, "conflict", "the webinar ended meanwhile");
		return;
	}
	h264 = strcmp(w.codec, "h264") == 0;
	ingest_stream_id(w.id, sid, sizeof sid);
	vpt = h264 ? INGEST_PT_H264 : INGEST_PT_VP8;
	/* One RTP output per track (ffmpeg's rtp muxer takes one stream), both
	 * to the stream's port with RTCP on the same port. */
	append(cmd, sizeof cmd, &off, "ffmpeg -re -i INPUT -map 0:a:0 -c:a libopus -ar 48000 -ac 2 -b:a 64k "
	       "-payload_type %d -f rtp -srtp_out_suite %s -srtp_out_params %s "
	       "'srtp://%s:%d?rtcpport=%d&pkt_size=1200' ", INGEST_PT_OPUS, INGEST_SUITE, b64, host, port, port);
	if (h264)
		append(cmd, sizeof cmd, &off, "-map 0:v:0 -c:v libx264 -preset ultrafast -tune zerolatency "
		       "-profile:v baseline -b:v 1500k -g 60 ");
	else
		append(cmd, sizeof cmd, &off, "-map 0:v:0 -c:v libvpx -deadline realtime -cpu-used 8 -b:v 1500k -g 60 ");
	append(cmd, sizeof cmd, &off, "-payload_type %d -f rtp -srtp_out_suite %s -srtp_out_params %s "
	       "'srtp://%s:%d?rtcpport=%d&pkt_size=1200'", vpt, INGEST_SUITE, b64, host, port, port);
	http_json(req, 200, json_pack("{s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:i,s:i},{s:s,s:s,s:s,s:i,s:i}],s:s}",
	          "stream", sid, "suite", INGEST_SUITE, "key", b64, "tracks",
	          "kind", "audio", "codec", "opus", "host", host, "port", port, "payload_type", INGEST_PT_OPUS,
	          "kind", "video", "codec", h264 ? "H264" : "VP8", "host", host, "port", port, "payload_type", vpt,
	          "ffmpeg", cmd));
	sodium_memzero(b64, sizeof b64);
	sodium_memzero(cmd, sizeof cmd);
	log_msg(LOG_INFO, "ingest handed out", "webinar=%lld token=%lld", (long long)w.id,
	        (long long)req->principal.token_id);
}

int ingest_routes(struct http_router *r, struct control *app)
{
	return http_route(r, "POST", "/api/webinars/{id}/ingest/srtp", ingest_srtp, app, HTTP_JSON);
}
