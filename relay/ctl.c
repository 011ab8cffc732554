/* ctl: see ctl.h.  Requests are {"cmd": "...", ...}; the commands and their
 * fields are documented in docs/relay-control.md, keep the two in step.
 *
 * Each command is a line of `commands` below: its name, a parse that turns
 * the request into the command's own payload (every check, each failure a
 * clear error, nothing changed) and a run that places it, calls the workers
 * (relay/command.h), records the result in the registry (relay/registry.h)
 * and writes the answer.  Payloads live on the control thread's stack for
 * one request and are wiped after it (they may hold keys). */
#include "relay/ctl.h"
#include "relay/command.h"
#include "relay/dtls.h"
#include "relay/gone.h"
#include "relay/registry.h"
#include "relay/relay.h"
#include "relay/worker.h"
#include "common/addr.h"
#include "common/clock.h"
#include "common/ctl.h"
#include "common/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

struct relay_ctl {
	struct relay *r;
	struct ctl_server *srv;
	pthread_t thread;
	atomic_bool stop;
	struct registry reg;
};

int relay_base64_decode(const char *in, uint8_t *out, size_t cap)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), o = 0;
	if (n % 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			char ch = in[i + j];
			const char *p;
			if (ch == '=' && i + 4 == n && j >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (pad || !ch || !(p = strchr(alphabet, ch)))
				return -EINVAL;
			v = v << 6 | (uint32_t)(p - alphabet);
		}
		if (o + 3 - (size_t)pad > cap)
			return -EINVAL;
		out[o++] = (uint8_t)(v >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(v >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)v;
	}
	return (int)o;
}

/* Ids: 1..63 of [A-Za-z0-9._:-], the journal's rule, so every id can name a file. */
static bool id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n >= STREAM_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._:-", s[i]))
			return false;
	return true;
}

static json_t *endpoint(struct relay_ctl *c, unsigned worker)
{
	return json_pack("{s:s,s:i}", "host", c->r->opts.advertise, "port",
	                 (int)c->r->workers[worker]->port);
}

/* Reads {suite, key} into suite/key; NULL or an error response. */
static json_t *parse_keys(json_t *obj, const char *what, enum srtp_suite *suite, uint8_t *key)
{
	const char *sname = json_string_value(json_object_get(obj, "suite"));
	const char *k64 = json_string_value(json_object_get(obj, "key"));
	int n;
	if (!sname || srtp_suite_parse(sname, suite) < 0)
		return ctl_error("%s.suite: expected AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM", what);
	if (!k64)
		return ctl_error("%s.key: expected base64 of the master key and salt", what);
	n = relay_base64_decode(k64, key, STREAM_KEY_MAX);
	if (n < 0 || (size_t)n != srtp_suite_key_len(*suite)) {
		explicit_bzero(key, STREAM_KEY_MAX);
		return ctl_error("%s.key: expected base64 of %zu bytes (key and salt of %s)", what,
		                 srtp_suite_key_len(*suite), srtp_suite_name(*suite));
	}
	return NULL;
}

static json_t *parse_tracks(json_t *arr, struct stream_spec *sp)
{
	size_t i;
	json_t *t;
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > STREAM_MAX_TRACKS)
		return ctl_error("tracks: expected 1..%d track objects", STREAM_MAX_TRACKS);
	json_array_foreach(arr, i, t) {
		struct stream_track *tr = &sp->tracks[i];
		const char *kind = json_string_value(json_object_get(t, "kind"));
		const char *codec = json_string_value(json_object_get(t, "codec"));
		json_t *pt = json_object_get(t, "pt"), *rate = json_object_get(t, "clock_rate");
		json_t *ch = json_object_get(t, "channels");
		if (!kind || (strcmp(kind, "audio") && strcmp(kind, "video")))
			return ctl_error("tracks[%zu].kind: expected audio or video", i);
		tr->kind = strcmp(kind, "audio") ? TRACK_VIDEO : TRACK_AUDIO;
		if (!codec || !*codec || strlen(codec) >= sizeof tr->codec)
			return ctl_error("tracks[%zu].codec: expected a codec name (opus, VP8, VP9, H264)", i);
		for (const char *p = codec; *p; p++)
			if (!isalnum((unsigned char)*p))
				return ctl_error("tracks[%zu].codec: letters and digits only", i);
		strcpy(tr->codec, codec);
		/* 64..95 would collide with RTCP packet types (RFC 5761 §4). */
		if (!json_is_integer(pt) || json_integer_value(pt) < 0 || json_integer_value(pt) > 127 ||
		    (json_integer_value(pt) >= 64 && json_integer_value(pt) <= 95))
			return ctl_error("tracks[%zu].pt: expected 0..63 or 96..127", i);
		tr->pt = (uint8_t)json_integer_value(pt);
		for (size_t j = 0; j < i; j++)
			if (sp->tracks[j].pt == tr->pt)
				return ctl_error("tracks[%zu].pt: %u is used by tracks[%zu]", i, tr->pt, j);
		if (!json_is_integer(rate) || json_integer_value(rate) < 1000 || json_integer_value(rate) > 1000000)
			return ctl_error("tracks[%zu].clock_rate: expected 1000..1000000 Hz", i);
		tr->clock_rate = (uint32_t)json_integer_value(rate);
		if (ch && (!json_is_integer(ch) || json_integer_value(ch) < 1 || json_integer_value(ch) > 8))
			return ctl_error("tracks[%zu].channels: expected 1..8", i);
		tr->channels = tr->kind == TRACK_AUDIO ? (uint8_t)(ch ? json_integer_value(ch) : 2) : 0;
	}
	sp->ntracks = (unsigned)json_array_size(arr);
	return NULL;
}

/* Random, non-zero, distinct SSRCs for the stream's tracks (RFC 3550 §8:
 * random, so two relays' streams do not collide at a receiver). */
static void draw_ssrcs(struct stream_spec *sp)
{
	for (unsigned i = 0; i < sp->ntracks; i++) {
		uint32_t v = 0;
		bool dup;
		do {
			if (getrandom(&v, sizeof v, 0) != sizeof v)
				v = (uint32_t)amphi_mono_ns() * 2654435761u + i;
			dup = v == 0;
			for (unsigned j = 0; j < i; j++)
				dup |= sp->out_ssrc[j] == v;
		} while (dup);
		sp->out_ssrc[i] = v;
	}
}

/* {"audio": n, "video": n}: the first track of each kind. */
static json_t *ssrcs_json(const struct reg_stream *rs)
{
	json_t *o = json_object();
	for (unsigned i = rs->ntracks; i-- > 0;)
		json_object_set_new(o, rs->tracks[i].kind == TRACK_VIDEO ? "video" : "audio",
		                    json_integer((json_int_t)rs->ssrc[i]));
	return o;
}

static json_t *parse_addr(json_t *v, const char *what, struct sockaddr_in6 *out)
{
	socklen_t len;
	if (!json_is_string(v) || addr_parse(json_string_value(v), 0, out, &len) < 0)
		return ctl_error("%s: expected \"ip:port\" or \"[ipv6]:port\"", what);
	return NULL;
}

static json_t *track_json(const struct stream_track *t)
{
	return json_pack("{s:s,s:s,s:i,s:i}", "kind", t->kind == TRACK_VIDEO ? "video" : "audio",
	                 "codec", t->codec, "pt", (int)t->pt, "clock_rate", (int)t->clock_rate);
}

/* ice-chars (RFC 8839 §5.4): ALPHA / DIGIT / "+" / "/". */
static bool ice_chars_ok(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/')
			return false;
	return true;
}

/* "sha-256 AB:CD:..": a hash dtls.c checks and its number of hex pairs. */
static bool fingerprint_ok(const char *s)
{
	static const struct { const char *name; size_t bytes; } hashes[] = {
		{ "sha-1 ", 20 }, { "sha-256 ", 32 }, { "sha-384 ", 48 }, { "sha-512 ", 64 },
	};
	if (!s)
		return false;
	for (size_t h = 0; h < sizeof hashes / sizeof hashes[0]; h++) {
		size_t nl = strlen(hashes[h].name);
		const char *p = s + nl;
		if (strncasecmp(s, hashes[h].name, nl))
			continue;
		for (size_t i = 0; i < hashes[h].bytes; i++, p += 3)
			if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
			    p[2] != (i + 1 == hashes[h].bytes ? 0 : ':'))
				return false;
		return true;
	}
	return false;
}

static json_t *parse_ice(json_t *ice, char *ufrag, char *pwd)
{
	const char *u = json_string_value(json_object_get(ice, "ufrag"));
	const char *p = json_string_value(json_object_get(ice, "pwd"));
	if (!json_is_object(ice))
		return ctl_error("ice: expected {\"ufrag\", \"pwd\"}");
	if (!ice_chars_ok(u, 4, ICE_UFRAG_MAX))
		return ctl_error("ice.ufrag: expected 4..%d ice-chars (A-Z a-z 0-9 + /)", ICE_UFRAG_MAX);
	if (!ice_chars_ok(p, 22, ICE_PWD_MAX))
		return ctl_error("ice.pwd: expected 22..%d ice-chars (A-Z a-z 0-9 + /)", ICE_PWD_MAX);
	strcpy(ufrag, u);
	strcpy(pwd, p);
	return NULL;
}


/* --- payloads: one per command, filled by its parse --- */

struct pl_stream_create {
	struct stream_spec spec;
};

struct pl_stream {                /* stream.delete, webrtc.list */
	struct reg_stream *rs;
};

struct pl_viewer_add {
	struct reg_stream *rs;
	struct viewer_spec vs;
};

struct pl_viewer_remove {
	struct reg_stream *rs;
	unsigned i;                   /* its registry entry */
	const char *id;               /* borrowed from the request */
};

struct pl_webrtc_add {
	struct reg_stream *rs;
	struct webrtc_spec ws;
};

struct pl_webrtc_peer {           /* webrtc.remove, webrtc.restart */
	struct reg_stream *rs;
	const char *id;               /* borrowed from the request */
	unsigned worker;
	int vi;                       /* its viewer entry, -1: the publisher */
	char ufrag[ICE_UFRAG_MAX + 1], pwd[ICE_PWD_MAX + 1];   /* webrtc.restart */
};

union payload {
	struct pl_stream_create stream_create;
	struct pl_stream stream;
	struct pl_viewer_add viewer_add;
	struct pl_viewer_remove viewer_remove;
	struct pl_webrtc_add webrtc_add;
	struct pl_webrtc_peer peer;
};

/* --- registry changes that need the workers too --- */

/* A viewer the worker w has just set up enters the registry; the first one
 * on its worker starts the owner's hand-off to that worker. */
static void viewer_note(struct relay_ctl *c, struct reg_stream *rs, const char *id, unsigned w, bool webrtc)
{
	if (registry_viewer_add(&c->reg, rs, id, w, webrtc))
		command_subscribe(c->r->workers[rs->owner], registry_stream_slot(&c->reg, rs), rs->gen, w, true);
}

/* The hand-off to worker w ends and its (empty) group of rs goes. */
static void worker_leave(struct relay_ctl *c, struct reg_stream *rs, unsigned w)
{
	unsigned slot = registry_stream_slot(&c->reg, rs);
	command_subscribe(c->r->workers[rs->owner], slot, rs->gen, w, false);
	command_vgroup_drop(c->r->workers[w], slot);
}

/* Peers the workers removed on their own: the registry follows. */
static void drain_gone(struct relay_ctl *c)
{
	struct relay_gone g[32];
	unsigned n;
	while ((n = relay_gone_take(c->r, g, 32)) > 0)
		for (unsigned k = 0; k < n; k++)
			if (registry_gone_apply(&c->reg, &g[k]) == 1)
				worker_leave(c, &c->reg.streams[g[k].slot], g[k].worker);
}

/* The payload's stream, named by the request's `stream`. */
static json_t *stream_field(const struct registry *reg, json_t *req, struct reg_stream **rs)
{
	const char *sid = json_string_value(json_object_get(req, "stream"));
	if (!(*rs = registry_stream_find(reg, sid)))
		return ctl_error("no stream %s", sid ? sid : "(stream missing)");
	return NULL;
}

/* --- stream.create --- */

static json_t *parse_stream_create(const struct registry *reg, json_t *req, union payload *pl)
{
	struct stream_spec *sp = &pl->stream_create.spec;
	const char *id = json_string_value(json_object_get(req, "id"));
	const char *webinar = json_string_value(json_object_get(req, "webinar"));
	const char *org = json_string_value(json_object_get(req, "org"));
	json_t *date = json_object_get(req, "webinar_date"), *rec = json_object_get(req, "record");
	json_t *err;

	if (!id_ok(id))
		return ctl_error("id: expected 1..63 characters of A-Z a-z 0-9 . _ : -");
	if (registry_stream_find(reg, id))
		return ctl_error("stream %s exists", id);
	if (rec && !json_is_boolean(rec))
		return ctl_error("record: expected true or false");
	sp->record = json_is_true(rec);
	if ((webinar || sp->record) && !id_ok(webinar))
		return ctl_error("webinar: expected an id (required when record is true)");
	if ((org || sp->record) && !id_ok(org))
		return ctl_error("org: expected an id (required when record is true)");
	if (json_is_integer(date)) {
		sp->webinar_date = json_integer_value(date);
	} else if (json_is_string(date)) {
		if (amphi_time_parse(json_string_value(date), &sp->webinar_date) < 0)
			return ctl_error("webinar_date: expected unix seconds or 2026-11-23[T14:00:00Z]");
	} else if (date || sp->record) {
		return ctl_error("webinar_date: expected unix seconds or an ISO 8601 date (required when record is true)");
	}
	strcpy(sp->id, id);
	if (sp->record) {
		const char *recording = json_string_value(json_object_get(req, "recording"));
		if (json_object_get(req, "recording") && (!id_ok(recording) || recording[0] == '.'))
			return ctl_error("recording: expected an id (not starting with .)");
		if (recording)
			strcpy(sp->recording, recording);
		else   /* <stream id>-<unix seconds>, the stream id cut to fit 63 characters */
			snprintf(sp->recording, sizeof sp->recording, "%.48s-%lld", id, (long long)amphi_now());
		if (sp->recording[0] == '.')
			sp->recording[0] = '_';
	}
	if (webinar)
		strcpy(sp->webinar, webinar);
	if (org)
		strcpy(sp->org, org);
	if ((err = parse_tracks(json_object_get(req, "tracks"), sp)))
		return err;
	if ((err = parse_keys(json_object_get(req, "ingest"), "ingest", &sp->suite, sp->key)))
		return err;
	draw_ssrcs(sp);
	return NULL;
}

static json_t *run_stream_create(struct relay_ctl *c, union payload *pl)
{
	const struct stream_spec *sp = &pl->stream_create.spec;
	struct reg_stream *rs;
	unsigned slot, owner;
	uint32_t gen;
	json_t *resp;
	int rc;

	if (registry_stream_place(&c->reg, &slot, &owner, &gen) < 0)
		return ctl_error("too many streams (limits.max_streams = %u)", c->reg.max_streams);
	rc = command_stream_create(c->r->workers[owner], slot, gen, sp);
	if (rc < 0)
		return ctl_error("stream %s: cannot set up ingress (%s)", sp->id, strerror(-rc));
	rs = registry_stream_add(&c->reg, slot, gen, sp->id, owner);
	rs->record = sp->record;
	memcpy(rs->recording, sp->recording, sizeof rs->recording);
	rs->ntracks = sp->ntracks;
	memcpy(rs->tracks, sp->tracks, sizeof rs->tracks);
	rs->suite = sp->suite;
	memcpy(rs->ssrc, sp->out_ssrc, sizeof rs->ssrc);
	log_msg(LOG_INFO, "stream created", "stream=%s worker=%u tracks=%u suite=%s record=%d", sp->id, owner,
	        sp->ntracks, srtp_suite_name(sp->suite), sp->record);
	resp = json_pack("{s:b,s:s,s:i,s:o,s:o}", "ok", 1, "stream", sp->id, "worker", (int)owner,
	                 "ingest", endpoint(c, owner), "ssrcs", ssrcs_json(rs));
	if (sp->record)
		json_object_set_new(resp, "recording", json_string(sp->recording));
	return resp;
}

/* --- stream.delete, stream.list --- */

static json_t *parse_stream_delete(const struct registry *reg, json_t *req, union payload *pl)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	if (!(pl->stream.rs = registry_stream_find(reg, id)))
		return ctl_error("no stream %s", id ? id : "(id missing)");
	return NULL;
}

static json_t *run_stream_delete(struct relay_ctl *c, union payload *pl)
{
	struct reg_stream *rs = pl->stream.rs;
	unsigned slot = registry_stream_slot(&c->reg, rs);

	/* Unsubscribe first so no packet is handed to a group being dropped. */
	for (unsigned w = 0; w < c->r->nworkers; w++)
		if (rs->per_worker[w])
			worker_leave(c, rs, w);
	command_stream_delete(c->r->workers[rs->owner], slot);
	log_msg(LOG_INFO, "stream deleted", "stream=%s viewers=%u", rs->id, rs->nviewers);
	registry_stream_remove(&c->reg, slot);
	return ctl_ok();
}

static json_t *run_stream_list(struct relay_ctl *c, union payload *pl)
{
	json_t *arr = json_array();
	(void)pl;
	for (unsigned i = 0; i < c->reg.max_streams; i++) {
		struct reg_stream *rs = &c->reg.streams[i];
		json_t *tracks;
		if (!rs->used)
			continue;
		tracks = json_array();
		for (unsigned t = 0; t < rs->ntracks; t++)
			json_array_append_new(tracks, track_json(&rs->tracks[t]));
		json_array_append_new(arr, json_pack("{s:s,s:i,s:o,s:i,s:b,s:s,s:o}", "id", rs->id,
		        "worker", (int)rs->owner, "ingest", endpoint(c, rs->owner), "viewers",
		        (int)rs->nviewers, "record", rs->record, "suite", srtp_suite_name(rs->suite),
		        "tracks", tracks));
	}
	return json_pack("{s:b,s:o}", "ok", 1, "streams", arr);
}

/* --- viewer.add, viewer.remove --- */

static bool pt_ok(json_t *pt)
{
	/* 64..95 would collide with RTCP packet types (RFC 5761 §4). */
	return json_is_integer(pt) && json_integer_value(pt) >= 0 && json_integer_value(pt) <= 127 &&
	       (json_integer_value(pt) < 64 || json_integer_value(pt) > 95);
}

static json_t *parse_viewer_add(const struct registry *reg, json_t *req, union payload *pl)
{
	struct viewer_spec *vs = &pl->viewer_add.vs;
	const char *id = json_string_value(json_object_get(req, "id"));
	json_t *addr = json_object_get(req, "addr"), *addrs = json_object_get(req, "addrs");
	json_t *pts = json_object_get(req, "pt"), *err;
	struct reg_stream *rs;

	if ((err = stream_field(reg, req, &rs)))
		return err;
	pl->viewer_add.rs = rs;
	if (!id_ok(id))
		return ctl_error("id: expected 1..63 characters of A-Z a-z 0-9 . _ : -");
	if (registry_id_taken(rs, id))
		return ctl_error("viewer %s of stream %s exists", id, rs->id);
	if (registry_full(reg))
		return ctl_error("too many viewers (limits.max_viewers = %u)", reg->max_viewers);
	strcpy(vs->id, id);
	if (json_object_get(req, "latch") && !json_is_boolean(json_object_get(req, "latch")))
		return ctl_error("latch: expected true or false");
	vs->latch = json_is_true(json_object_get(req, "latch"));
	if (vs->latch && (addr || addrs))
		return ctl_error("latch: a latching viewer has no addr or addrs (its first SRTCP packet sets it)");
	if (addr && (err = parse_addr(addr, "addr", &vs->dst[0])))
		return err;
	vs->dst[1] = vs->dst[0];
	if (addrs) {
		json_t *a = json_object_get(addrs, "audio"), *v = json_object_get(addrs, "video");
		if (!json_is_object(addrs) || (!a && !v))
			return ctl_error("addrs: expected {\"audio\": \"ip:port\", \"video\": \"ip:port\"}");
		if (a && (err = parse_addr(a, "addrs.audio", &vs->dst[0])))
			return err;
		if (v && (err = parse_addr(v, "addrs.video", &vs->dst[1])))
			return err;
	}
	if (!vs->latch && !vs->dst[0].sin6_family && !vs->dst[1].sin6_family)
		return ctl_error("addr: expected \"ip:port\" (or addrs per kind, or latch: true)");
	if (json_object_get(req, "rtcp_mux") && !json_is_boolean(json_object_get(req, "rtcp_mux")))
		return ctl_error("rtcp_mux: expected true or false");
	vs->rtcp_mux = json_is_true(json_object_get(req, "rtcp_mux"));
	if (pts && !json_is_object(pts))
		return ctl_error("pt: expected {\"audio\": 111, \"video\": 96}");
	vs->ntracks = rs->ntracks;
	for (unsigned i = 0; i < rs->ntracks; i++) {
		const char *kind = rs->tracks[i].kind == TRACK_VIDEO ? "video" : "audio";
		json_t *p = pts ? json_object_get(pts, kind) : NULL;
		vs->kinds[i] = rs->tracks[i].kind;
		vs->out_pt[i] = rs->tracks[i].pt;
		if (p) {
			if (!pt_ok(p))
				return ctl_error("pt.%s: expected 0..63 or 96..127", kind);
			vs->out_pt[i] = (uint8_t)json_integer_value(p);
		}
	}
	vs->owner = rs->owner;
	return parse_keys(req, "viewer", &vs->suite, vs->key);
}

static json_t *run_viewer_add(struct relay_ctl *c, union payload *pl)
{
	struct reg_stream *rs = pl->viewer_add.rs;
	const struct viewer_spec *vs = &pl->viewer_add.vs;
	unsigned w;
	int rc;

	if (registry_viewer_reserve(rs) < 0)
		return ctl_error("out of memory");
	w = registry_viewer_place(&c->reg);
	rc = command_viewer_add(c->r->workers[w], registry_stream_slot(&c->reg, rs), rs->gen, vs);
	if (rc < 0)
		return ctl_error("viewer %s: cannot set up egress (%s)", vs->id, strerror(-rc));
	viewer_note(c, rs, vs->id, w, false);
	log_msg(LOG_DEBUG, "viewer added", "stream=%s viewer=%s worker=%u", rs->id, vs->id, w);
	return json_pack("{s:b,s:s,s:i,s:o,s:o}", "ok", 1, "viewer", vs->id, "worker", (int)w,
	                 "egress", endpoint(c, w), "ssrcs", ssrcs_json(rs));
}

static json_t *parse_viewer_remove(const struct registry *reg, json_t *req, union payload *pl)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	struct reg_stream *rs;
	json_t *err;
	int i;

	if ((err = stream_field(reg, req, &rs)))
		return err;
	if ((i = registry_viewer_find(rs, id)) < 0)
		return ctl_error("no viewer %s on stream %s", id ? id : "(id missing)", rs->id);
	if (rs->viewers[i].webrtc)
		return ctl_error("viewer %s is a WebRTC peer: use webrtc.remove", id);
	pl->viewer_remove.rs = rs;
	pl->viewer_remove.i = (unsigned)i;
	pl->viewer_remove.id = id;
	return NULL;
}

static json_t *run_viewer_remove(struct relay_ctl *c, union payload *pl)
{
	struct reg_stream *rs = pl->viewer_remove.rs;
	unsigned slot = registry_stream_slot(&c->reg, rs), w = rs->viewers[pl->viewer_remove.i].worker;

	/* Last viewer on that worker: stop the hand-off before the group goes. */
	if (rs->per_worker[w] == 1)
		command_subscribe(c->r->workers[rs->owner], slot, rs->gen, w, false);
	command_viewer_remove(c->r->workers[w], slot, pl->viewer_remove.id);
	registry_viewer_remove(&c->reg, rs, pl->viewer_remove.i);
	return ctl_ok();
}

/* --- stats --- */

#define U(x) json_integer((json_int_t)(x))

static json_t *run_stats(struct relay_ctl *c, union payload *pl)
{
	unsigned n = c->reg.max_streams;
	struct relay_stream_stats *st = calloc(n, sizeof *st);
	json_t *workers = json_array(), *streams = json_array();

	(void)pl;
	if (!st)
		return ctl_error("out of memory");
	for (unsigned i = 0; i < n; i++)
		st[i].gen = c->reg.streams[i].gen;   /* whose past viewer groups count (command.h) */
	for (unsigned w = 0; w < c->r->nworkers; w++) {
		struct worker_counters kc, *k = &kc;
		struct webrtc_counters wcc, *wc = &wcc;
		json_t *o = json_object();
		command_stats(c->r->workers[w], k, wc, st);
		json_object_set_new(o, "worker", U(w));
		json_object_set_new(o, "port", U(c->r->workers[w]->port));
		json_object_set_new(o, "cpu", json_integer(c->r->workers[w]->cpu));
		json_object_set_new(o, "streams", U(c->reg.worker_streams[w]));
		json_object_set_new(o, "viewers", U(c->reg.worker_viewers[w]));
		json_object_set_new(o, "pkts_in", U(k->pkts_in));
		json_object_set_new(o, "bytes_in", U(k->bytes_in));
		json_object_set_new(o, "pkts_out", U(k->pkts_out));
		json_object_set_new(o, "bytes_out", U(k->bytes_out));
		json_object_set_new(o, "srtp_fail", U(k->srtp_fail));
		json_object_set_new(o, "replayed", U(k->replayed));
		json_object_set_new(o, "malformed", U(k->malformed));
		json_object_set_new(o, "unknown_source", U(k->unknown_source));
		json_object_set_new(o, "unsupported", U(k->unsupported));
		json_object_set_new(o, "drops", U(k->drops));
		json_object_set_new(o, "send_errors", U(k->send_errors));
		json_object_set_new(o, "handoffs_in", U(k->handoffs_in));
		json_object_set_new(o, "gso_sends", U(k->gso_sends));
		json_object_set_new(o, "nacks", U(k->nacks));
		json_object_set_new(o, "plis_forwarded", U(k->plis_forwarded));
		json_object_set_new(o, "plis_suppressed", U(k->plis_suppressed));
		json_object_set_new(o, "webrtc_peers", U(wc->peers));
		json_object_set_new(o, "stun_ok", U(wc->stun_ok));
		json_object_set_new(o, "stun_rejected", U(wc->stun_rejected));
		json_object_set_new(o, "dtls_ok", U(wc->dtls_ok));
		json_object_set_new(o, "dtls_failed", U(wc->dtls_failed));
		json_object_set_new(o, "dtls_deferred", U(wc->dtls_deferred));
		json_object_set_new(o, "consent_expired", U(wc->consent_expired));
		json_array_append_new(workers, o);
	}
	for (unsigned i = 0; i < n; i++) {
		struct reg_stream *rs = &c->reg.streams[i];
		struct relay_stream_stats *s = &st[i];
		json_t *o;
		if (!rs->used)
			continue;
		o = json_object();
		json_object_set_new(o, "id", json_string(rs->id));
		json_object_set_new(o, "worker", U(rs->owner));
		json_object_set_new(o, "viewers", U(rs->nviewers));
		json_object_set_new(o, "pkts_in", U(s->pkts_in));
		json_object_set_new(o, "bytes_in", U(s->bytes_in));
		json_object_set_new(o, "rtcp_in", U(s->rtcp_in));
		json_object_set_new(o, "pkts_out", U(s->pkts_out));
		json_object_set_new(o, "bytes_out", U(s->bytes_out));
		json_object_set_new(o, "srtp_fail", U(s->srtp_fail));
		json_object_set_new(o, "replayed", U(s->replayed));
		json_object_set_new(o, "unknown_pt", U(s->unknown_pt));
		json_object_set_new(o, "drops", U(s->drops));
		json_object_set_new(o, "send_errors", U(s->send_errors));
		json_object_set_new(o, "sr_forwarded", U(s->sr_forwarded));
		json_object_set_new(o, "publisher_restarts", U(s->publisher_restarts));
		json_object_set_new(o, "viewer_rtcp_in", U(s->viewer_rtcp_in));
		json_object_set_new(o, "nacks", U(s->nacks));
		json_object_set_new(o, "retransmits", U(s->retransmits));
		json_object_set_new(o, "rtx_sent", U(s->rtx_sent));
		json_object_set_new(o, "keyframe_requests", U(s->keyframe_requests));
		json_object_set_new(o, "keyframe_sent", U(s->keyframe_sent));
		json_object_set_new(o, "keyframe_suppressed", U(s->keyframe_suppressed));
		if (rs->record)
			json_object_set_new(o, "recording", json_string(rs->recording));
		json_object_set_new(o, "recorded", U(s->recorded));
		json_object_set_new(o, "record_drops", U(s->record_drops));
		json_object_set_new(o, "record_write_errors", U(s->record_write_errors));
		json_object_set_new(o, "cc_feedback", U(s->cc_feedback));
		json_object_set_new(o, "remb_sent", U(s->remb_sent));
		json_object_set_new(o, "nack_requested", U(s->nack_requested));
		json_object_set_new(o, "nack_sent", U(s->nack_sent));
		json_object_set_new(o, "nack_repaired", U(s->nack_repaired));
		json_object_set_new(o, "nack_given_up", U(s->nack_given_up));
		json_object_set_new(o, "rtx_unused", U(s->rtx_unused));
		json_array_append_new(streams, o);
	}
	free(st);
	return json_pack("{s:b,s:o,s:o}", "ok", 1, "workers", workers, "streams", streams);
}

/* --- WebRTC peers (docs/relay-control.md "WebRTC peers") --- */

/* An absent or one-byte header extension id. */
static bool ext_id_ok(const json_t *v)
{
	return !v || (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 14);
}

static json_t *parse_webrtc_add(const struct registry *reg, json_t *req, union payload *pl)
{
	struct webrtc_spec *ws = &pl->webrtc_add.ws;
	const char *id = json_string_value(json_object_get(req, "id"));
	const char *role = json_string_value(json_object_get(req, "role"));
	const char *fp = json_string_value(json_object_get(req, "fingerprint"));
	json_t *tracks = json_object_get(req, "tracks"), *extmap = json_object_get(req, "extmap"), *t, *err;
	struct reg_stream *rs;
	int kpt[2] = { -1, -1 };   /* the peer's payload type per kind (audio, video), -1: none */
	int krtx[2] = { -1, -1 };  /* its rtx payload type per kind, -1: none */
	bool knack[2] = { false, false };
	size_t i;

	if ((err = stream_field(reg, req, &rs)))
		return err;
	pl->webrtc_add.rs = rs;
	if (!id_ok(id))
		return ctl_error("id: expected 1..63 characters of A-Z a-z 0-9 . _ : -");
	if (registry_id_taken(rs, id))
		return ctl_error("peer %s of stream %s exists", id, rs->id);
	if (!role || (strcmp(role, "publisher") && strcmp(role, "viewer")))
		return ctl_error("role: expected publisher or viewer");
	if (!fingerprint_ok(fp))
		return ctl_error("fingerprint: expected \"sha-256 AB:CD:...\" (sha-1, sha-256, sha-384 or sha-512)");
	strcpy(ws->id, id);
	snprintf(ws->fingerprint, sizeof ws->fingerprint, "%s", fp);
	ws->role = strcmp(role, "publisher") ? WEBRTC_VIEWER : WEBRTC_PUBLISHER;
	if ((err = parse_ice(json_object_get(req, "ice"), ws->ufrag, ws->pwd)))
		return err;
	if (!json_is_array(tracks) || json_array_size(tracks) < 1 || json_array_size(tracks) > 2)
		return ctl_error("tracks: expected 1..2 objects {\"kind\", \"pt\", \"mid\"}");
	json_array_foreach(tracks, i, t) {
		const char *kind = json_string_value(json_object_get(t, "kind"));
		const char *mid = json_string_value(json_object_get(t, "mid"));
		int k = kind && !strcmp(kind, "audio") ? 0 : kind && !strcmp(kind, "video") ? 1 : -1;
		if (k < 0 || kpt[k] >= 0)
			return ctl_error("tracks[%zu].kind: expected audio or video, each once", i);
		if (!pt_ok(json_object_get(t, "pt")))
			return ctl_error("tracks[%zu].pt: expected 0..63 or 96..127", i);
		/* Up to control's 32; only a mid of 1..16 bytes fits an RFC 8285
		 * one-byte element, and a longer one is sent without it. */
		if (!mid || !*mid || strlen(mid) >= sizeof ws->viewer.mid[k])
			return ctl_error("tracks[%zu].mid: expected the section's mid, 1..32 characters", i);
		kpt[k] = (int)json_integer_value(json_object_get(t, "pt"));
		if (json_object_get(t, "nack") && !json_is_boolean(json_object_get(t, "nack")))
			return ctl_error("tracks[%zu].nack: expected true or false", i);
		knack[k] = json_is_true(json_object_get(t, "nack"));
		if (json_object_get(t, "rtx_pt")) {
			if (!pt_ok(json_object_get(t, "rtx_pt")) ||
			    json_integer_value(json_object_get(t, "rtx_pt")) == kpt[k])
				return ctl_error("tracks[%zu].rtx_pt: expected 0..63 or 96..127, not pt", i);
			krtx[k] = (int)json_integer_value(json_object_get(t, "rtx_pt"));
		}
		strcpy(ws->viewer.mid[k], mid);
		ws->viewer.kinds_on |= (uint8_t)(1u << k);
	}
	if (extmap) {
		json_t *m = json_object_get(extmap, "mid"), *cc = json_object_get(extmap, "transport-cc");
		if (!json_is_object(extmap) || !ext_id_ok(m) || !ext_id_ok(cc))
			return ctl_error("extmap: expected {\"mid\": 1..14, \"transport-cc\": 1..14} (one-byte "
			                 "header extension ids)");
		ws->viewer.mid_ext = m ? (uint8_t)json_integer_value(m) : 0;
		if (!strcmp(role, "publisher") && cc)
			ws->twcc_ext = (uint8_t)json_integer_value(cc);
	}
	if ((t = json_object_get(req, "remb"))) {
		json_t *max = json_object_get(req, "max_bitrate");
		if (!json_is_boolean(t) || (json_is_true(t) && (!json_is_integer(max) ||
		                                                json_integer_value(max) < 100000 ||
		                                                json_integer_value(max) > 100000000)))
			return ctl_error("remb: expected true with max_bitrate 100000..100000000 (bit/s), or false");
		if (json_is_true(t) && !strcmp(role, "publisher"))
			ws->remb_bps = (uint64_t)json_integer_value(max);
	}
	/* The stream's tracks in the peer's payload types: the first track of a
	 * kind is the one the peer negotiated (pt), every track is sent with it. */
	memset(ws->pt, 0xff, sizeof ws->pt);
	memset(ws->rtx_pt, 0xff, sizeof ws->rtx_pt);
	for (unsigned k = 0; k < rs->ntracks; k++) {
		unsigned kind = rs->tracks[k].kind == TRACK_VIDEO ? 1 : 0;
		bool first = true;
		for (unsigned j = 0; j < k; j++)
			first &= rs->tracks[j].kind != rs->tracks[k].kind;
		ws->viewer.kinds[k] = rs->tracks[k].kind;
		ws->viewer.out_pt[k] = kpt[kind] >= 0 ? (uint8_t)kpt[kind] : rs->tracks[k].pt;
		if (first && kpt[kind] >= 0) {
			ws->pt[k] = (uint8_t)kpt[kind];
			if (krtx[kind] >= 0)
				ws->rtx_pt[k] = (uint8_t)krtx[kind];
			if (knack[kind] && ws->role == WEBRTC_PUBLISHER)
				ws->nack |= (uint8_t)(1u << k);
		}
	}
	/* A viewer that negotiated rtx gets its repairs as RFC 4588
	 * retransmissions on an SSRC of its own, one per kind, drawn here as
	 * the stream's are (not one of them). */
	for (unsigned kind = 0; kind < 2 && ws->role == WEBRTC_VIEWER; kind++) {
		bool dup;
		if (krtx[kind] < 0 || kpt[kind] < 0)
			continue;
		ws->viewer.rtx_pt[kind] = (uint8_t)krtx[kind];
		do {
			uint32_t v = 0;
			if (getrandom(&v, sizeof v, 0) != sizeof v)
				v = (uint32_t)amphi_mono_ns() * 2654435761u + kind;
			dup = v == 0 || v == ws->viewer.rtx_ssrc[0];
			for (unsigned j = 0; j < rs->ntracks; j++)
				dup |= rs->ssrc[j] == v;
			ws->viewer.rtx_ssrc[kind] = v;
		} while (dup);
	}
	ws->viewer.ntracks = rs->ntracks;
	ws->viewer.owner = rs->owner;
	ws->viewer.webrtc = true;
	strcpy(ws->viewer.id, id);
	if (ws->role == WEBRTC_PUBLISHER && rs->has_pub)
		return ctl_error("stream already has a WebRTC publisher");
	if (ws->role == WEBRTC_VIEWER && registry_full(reg))
		return ctl_error("saturated: too many viewers (limits.max_viewers = %u)", reg->max_viewers);
	return NULL;
}

static json_t *run_webrtc_add(struct relay_ctl *c, union payload *pl)
{
	struct reg_stream *rs = pl->webrtc_add.rs;
	const struct webrtc_spec *ws = &pl->webrtc_add.ws;
	bool publisher = ws->role == WEBRTC_PUBLISHER;
	unsigned w;
	int rc;

	if (!publisher && registry_viewer_reserve(rs) < 0)
		return ctl_error("out of memory");
	w = publisher ? rs->owner : registry_viewer_place(&c->reg);
	rc = command_webrtc_add(c->r->workers[w], registry_stream_slot(&c->reg, rs), rs->gen, ws);
	if (rc == -ENOSPC)
		return ctl_error("saturated: worker %u has no room for another WebRTC peer (table full or "
		                 "[webrtc] max_handshakes in progress)", w);
	if (rc == -EADDRINUSE)
		return ctl_error("ice.ufrag: %s is in use on worker %u", ws->ufrag, w);
	if (rc < 0)
		return ctl_error("peer %s: cannot set it up (%s)", ws->id, strerror(-rc));
	if (publisher) {
		rs->has_pub = true;
		strcpy(rs->pub_id, ws->id);
	} else {
		viewer_note(c, rs, ws->id, w, true);
	}
	json_t *resp = json_pack("{s:b,s:s,s:i,s:s,s:i,s:s,s:o}", "ok", 1, "peer", ws->id, "worker", (int)w,
	                         "host", c->r->opts.advertise, "port", (int)c->r->workers[w]->port,
	                         "fingerprint", dtls_ctx_fingerprint(c->r->dtls), "ssrcs", ssrcs_json(rs));
	if (resp && !publisher && (ws->viewer.rtx_ssrc[0] || ws->viewer.rtx_ssrc[1])) {
		json_t *rtx = json_object();
		for (unsigned kind = 0; kind < 2; kind++)
			if (ws->viewer.rtx_ssrc[kind])
				json_object_set_new(rtx, kind ? "video" : "audio",
				                    json_integer((json_int_t)ws->viewer.rtx_ssrc[kind]));
		json_object_set_new(resp, "rtx_ssrcs", rtx);
	}
	return resp;
}

/* webrtc.remove and webrtc.restart: a stream and one of its WebRTC peers. */
static json_t *parse_peer(const struct registry *reg, json_t *req, struct pl_webrtc_peer *p)
{
	json_t *err;
	int w;
	if ((err = stream_field(reg, req, &p->rs)))
		return err;
	p->id = json_string_value(json_object_get(req, "id"));
	if ((w = registry_peer_worker(p->rs, p->id, &p->vi)) < 0)
		return ctl_error("no such peer");
	p->worker = (unsigned)w;
	return NULL;
}

static json_t *parse_webrtc_remove(const struct registry *reg, json_t *req, union payload *pl)
{
	return parse_peer(reg, req, &pl->peer);
}

static json_t *run_webrtc_remove(struct relay_ctl *c, union payload *pl)
{
	struct pl_webrtc_peer *p = &pl->peer;
	struct reg_stream *rs = p->rs;
	unsigned slot = registry_stream_slot(&c->reg, rs);

	/* Last viewer on that worker: stop the hand-off before the group goes. */
	if (p->vi >= 0 && rs->per_worker[p->worker] == 1)
		command_subscribe(c->r->workers[rs->owner], slot, rs->gen, p->worker, false);
	if (command_webrtc_remove(c->r->workers[p->worker], slot, rs->gen, p->id) == -ENOENT) {
		drain_gone(c);   /* it left on its own just now: its report is queued */
		return ctl_error("no such peer");
	}
	if (p->vi < 0)
		rs->has_pub = false;
	else
		registry_viewer_remove(&c->reg, rs, (unsigned)p->vi);
	return ctl_ok();
}

static json_t *parse_webrtc_restart(const struct registry *reg, json_t *req, union payload *pl)
{
	json_t *err = parse_peer(reg, req, &pl->peer);
	return err ? err : parse_ice(json_object_get(req, "ice"), pl->peer.ufrag, pl->peer.pwd);
}

static json_t *run_webrtc_restart(struct relay_ctl *c, union payload *pl)
{
	struct pl_webrtc_peer *p = &pl->peer;
	int rc = command_webrtc_restart(c->r->workers[p->worker], registry_stream_slot(&c->reg, p->rs),
	                                p->rs->gen, p->id, p->ufrag, p->pwd);
	if (rc == -ENOENT) {
		drain_gone(c);
		return ctl_error("no such peer");
	}
	if (rc == -EADDRINUSE)
		return ctl_error("ice.ufrag: %s is in use on worker %u", p->ufrag, p->worker);
	if (rc < 0)
		return ctl_error("peer %s: ICE restart failed (%s)", p->id, strerror(-rc));
	return ctl_ok();
}

static json_t *parse_webrtc_list(const struct registry *reg, json_t *req, union payload *pl)
{
	return stream_field(reg, req, &pl->stream.rs);
}

static json_t *run_webrtc_list(struct relay_ctl *c, union payload *pl)
{
	struct reg_stream *rs = pl->stream.rs;
	unsigned cap = rs->nviewers + 1, slot = registry_stream_slot(&c->reg, rs);
	struct webrtc_info *info = calloc(cap, sizeof *info);
	json_t *arr;

	if (!info)
		return ctl_error("out of memory");
	arr = json_array();
	for (unsigned w = 0; w < c->r->nworkers; w++) {
		unsigned n = command_webrtc_list(c->r->workers[w], slot, rs->gen, info, cap);
		for (unsigned i = 0; i < n; i++) {
			json_t *o = json_pack("{s:s,s:s,s:i,s:s}", "id", info[i].id, "role",
			                      info[i].role == WEBRTC_PUBLISHER ? "publisher" : "viewer",
			                      "worker", (int)info[i].worker, "state", info[i].state);
			json_object_set_new(o, "addr", info[i].addr[0] ? json_string(info[i].addr) : json_null());
			json_object_set_new(o, "profile", info[i].profile ? json_string(info[i].profile) : json_null());
			if (info[i].viewer_counts) {
				json_object_set_new(o, "retransmits", json_integer((json_int_t)info[i].retransmits));
				json_object_set_new(o, "rtx_sent", json_integer((json_int_t)info[i].rtx_sent));
			}
			json_array_append_new(arr, o);
		}
	}
	free(info);
	return json_pack("{s:b,s:o}", "ok", 1, "peers", arr);
}

static json_t *run_ping(struct relay_ctl *c, union payload *pl)
{
	(void)pl;
	return json_pack("{s:b,s:s,s:i}", "ok", 1, "daemon", "amphi-relay", "workers", (int)c->r->nworkers);
}

/* --- the table --- */

static const struct command {
	const char *name;
	/* Request -> payload, reading the registry only: NULL, or an error
	 * answer.  NULL parse: the command takes no field. */
	json_t *(*parse)(const struct registry *reg, json_t *req, union payload *pl);
	/* Payload -> workers -> registry -> the answer. */
	json_t *(*run)(struct relay_ctl *c, union payload *pl);
} commands[] = {
	{ "ping",           NULL,                 run_ping },
	{ "stream.create",  parse_stream_create,  run_stream_create },
	{ "stream.delete",  parse_stream_delete,  run_stream_delete },
	{ "stream.list",    NULL,                 run_stream_list },
	{ "viewer.add",     parse_viewer_add,     run_viewer_add },
	{ "viewer.remove",  parse_viewer_remove,  run_viewer_remove },
	{ "stats",          NULL,                 run_stats },
	{ "webrtc.add",     parse_webrtc_add,     run_webrtc_add },
	{ "webrtc.remove",  parse_webrtc_remove,  run_webrtc_remove },
	{ "webrtc.restart", parse_webrtc_restart, run_webrtc_restart },
	{ "webrtc.list",    parse_webrtc_list,    run_webrtc_list },
};

static const struct command *command_find(json_t *req, json_t **err)
{
	const char *name = json_string_value(json_object_get(req, "cmd"));
	*err = NULL;
	if (!name) {
		*err = ctl_error("cmd: expected a command name (see docs/relay-control.md)");
		return NULL;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	*err = ctl_error("unknown command %s (see docs/relay-control.md)", name);
	return NULL;
}

json_t *relay_ctl_check(const struct registry *reg, json_t *req)
{
	const struct command *cmd;
	union payload pl;
	json_t *err;

	if (!(cmd = command_find(req, &err)))
		return err;
	memset(&pl, 0, sizeof pl);
	err = cmd->parse ? cmd->parse(reg, req, &pl) : NULL;
	explicit_bzero(&pl, sizeof pl);
	return err;
}

static json_t *handle(void *arg, json_t *req)
{
	struct relay_ctl *c = arg;
	const struct command *cmd;
	union payload pl;
	json_t *resp;

	drain_gone(c);
	if (!(cmd = command_find(req, &resp)))
		return resp;
	memset(&pl, 0, sizeof pl);
	resp = cmd->parse ? cmd->parse(&c->reg, req, &pl) : NULL;
	if (!resp)
		resp = cmd->run(c, &pl);
	explicit_bzero(&pl, sizeof pl);   /* keys, ICE passwords */
	return resp;
}

static void *ctl_main(void *arg)
{
	struct relay_ctl *c = arg;
	while (!atomic_load(&c->stop)) {
		int rc = ctl_server_step(c->srv, 200);
		drain_gone(c);
		if (rc < 0) {
			log_msg(LOG_ERROR, "control socket failed", "err=%d", rc);
			break;
		}
	}
	return NULL;
}

struct relay_ctl *relay_ctl_start(struct relay *r, const char *path, char *err, size_t errlen)
{
	struct relay_ctl *c = calloc(1, sizeof *c);
	if (!c || registry_init(&c->reg, r->opts.max_streams, r->opts.max_viewers, r->nworkers) < 0) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	c->r = r;
	atomic_init(&c->stop, false);
	c->srv = ctl_server_open(path, handle, c, err, errlen);
	if (!c->srv) {
		registry_free(&c->reg);
		free(c);
		return NULL;
	}
	if (pthread_create(&c->thread, NULL, ctl_main, c) != 0) {
		snprintf(err, errlen, "cannot start the control thread");
		ctl_server_close(c->srv);
		registry_free(&c->reg);
		free(c);
		return NULL;
	}
	return c;
}

void relay_ctl_stop(struct relay_ctl *c)
{
	if (!c)
		return;
	atomic_store(&c->stop, true);
	pthread_join(c->thread, NULL);
	ctl_server_close(c->srv);
	registry_free(&c->reg);
	free(c);
}
