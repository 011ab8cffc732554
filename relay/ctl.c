/* ctl: see ctl.h.  Requests are {"cmd": "...", ...}; the commands and their
 * fields are documented in docs/relay-control.md, keep the two in step. */
#include "relay/ctl.h"
#include "relay/dtls.h"
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

struct reg_viewer {
	char id[STREAM_ID_MAX];
	unsigned worker;
	bool webrtc;                                 /* a WHEP viewer (webrtc.add), not viewer.add's */
};

struct reg_stream {
	bool used;
	uint32_t gen;
	char id[STREAM_ID_MAX];
	unsigned owner;
	bool record;
	char recording[STREAM_ID_MAX];               /* journal id, when recorded */
	unsigned ntracks;
	struct stream_track tracks[STREAM_MAX_TRACKS];
	enum srtp_suite suite;
	uint32_t ssrc[STREAM_MAX_TRACKS];            /* what every viewer receives per track */
	bool has_pub;                                /* a WebRTC publisher (pub_id) is on the owner */
	char pub_id[STREAM_ID_MAX];
	unsigned nviewers, cap;
	struct reg_viewer *viewers;                  /* owned */
	unsigned per_worker[RELAY_MAX_WORKERS];      /* viewers of this stream on each worker */
};

struct relay_ctl {
	struct relay *r;
	struct ctl_server *srv;
	pthread_t thread;
	atomic_bool stop;
	struct reg_stream *streams;                  /* [max_streams], by slot */
	uint32_t next_gen;
	unsigned total_viewers;
	unsigned worker_streams[RELAY_MAX_WORKERS];
	unsigned worker_viewers[RELAY_MAX_WORKERS];
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

static int find_stream(struct relay_ctl *c, const char *id)
{
	for (unsigned i = 0; i < c->r->opts.max_streams; i++)
		if (c->streams[i].used && !strcmp(c->streams[i].id, id))
			return (int)i;
	return -1;
}

static unsigned least_loaded(const unsigned *load, unsigned n)
{
	unsigned best = 0;
	for (unsigned i = 1; i < n; i++)
		if (load[i] < load[best])
			best = i;
	return best;
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

static json_t *cmd_stream_create(struct relay_ctl *c, json_t *req)
{
	struct stream_spec sp;
	struct relay_cmd cmd;
	const char *id = json_string_value(json_object_get(req, "id"));
	const char *webinar = json_string_value(json_object_get(req, "webinar"));
	const char *org = json_string_value(json_object_get(req, "org"));
	json_t *date = json_object_get(req, "webinar_date"), *rec = json_object_get(req, "record");
	json_t *err, *resp;
	struct reg_stream *rs;
	int slot = -1, rc;
	unsigned owner;

	memset(&sp, 0, sizeof sp);
	if (!id_ok(id))
		return ctl_error("id: expected 1..63 characters of A-Z a-z 0-9 . _ : -");
	if (find_stream(c, id) >= 0)
		return ctl_error("stream %s exists", id);
	if (rec && !json_is_boolean(rec))
		return ctl_error("record: expected true or false");
	sp.record = json_is_true(rec);
	if ((webinar || sp.record) && !id_ok(webinar))
		return ctl_error("webinar: expected an id (required when record is true)");
	if ((org || sp.record) && !id_ok(org))
		return ctl_error("org: expected an id (required when record is true)");
	if (json_is_integer(date)) {
		sp.webinar_date = json_integer_value(date);
	} else if (json_is_string(date)) {
		if (amphi_time_parse(json_string_value(date), &sp.webinar_date) < 0)
			return ctl_error("webinar_date: expected unix seconds or 2026-11-23[T14:00:00Z]");
	} else if (date || sp.record) {
		return ctl_error("webinar_date: expected unix seconds or an ISO 8601 date (required when record is true)");
	}
	strcpy(sp.id, id);
	if (sp.record) {
		const char *recording = json_string_value(json_object_get(req, "recording"));
		if (json_object_get(req, "recording") && (!id_ok(recording) || recording[0] == '.'))
			return ctl_error("recording: expected an id (not starting with .)");
		if (recording)
			strcpy(sp.recording, recording);
		else   /* <stream id>-<unix seconds>, the stream id cut to fit 63 characters */
			snprintf(sp.recording, sizeof sp.recording, "%.48s-%lld", id, (long long)amphi_now());
		if (sp.recording[0] == '.')
			sp.recording[0] = '_';
	}
	if (webinar)
		strcpy(sp.webinar, webinar);
	if (org)
		strcpy(sp.org, org);
	if ((err = parse_tracks(json_object_get(req, "tracks"), &sp)))
		return err;
	if ((err = parse_keys(json_object_get(req, "ingest"), "ingest", &sp.suite, sp.key)))
		return err;
	draw_ssrcs(&sp);
	for (unsigned i = 0; i < c->r->opts.max_streams; i++)
		if (!c->streams[i].used) {
			slot = (int)i;
			break;
		}
	if (slot < 0) {
		explicit_bzero(sp.key, sizeof sp.key);
		return ctl_error("too many streams (limits.max_streams = %u)", c->r->opts.max_streams);
	}
	owner = least_loaded(c->worker_streams, c->r->nworkers);
	memset(&cmd, 0, sizeof cmd);
	cmd.op = CMD_STREAM_CREATE;
	cmd.slot = (unsigned)slot;
	cmd.gen = ++c->next_gen;
	cmd.stream = &sp;
	rc = worker_cmd_run(c->r->workers[owner], &cmd);
	explicit_bzero(sp.key, sizeof sp.key);
	if (rc < 0)
		return ctl_error("stream %s: cannot set up ingress (%s)", id, strerror(-rc));
	rs = &c->streams[slot];
	memset(rs, 0, sizeof *rs);
	rs->used = true;
	rs->gen = cmd.gen;
	strcpy(rs->id, id);
	rs->owner = owner;
	rs->record = sp.record;
	memcpy(rs->recording, sp.recording, sizeof rs->recording);
	rs->ntracks = sp.ntracks;
	memcpy(rs->tracks, sp.tracks, sizeof rs->tracks);
	rs->suite = sp.suite;
	memcpy(rs->ssrc, sp.out_ssrc, sizeof rs->ssrc);
	c->worker_streams[owner]++;
	log_msg(LOG_INFO, "stream created", "stream=%s worker=%u tracks=%u suite=%s record=%d", id, owner,
	        sp.ntracks, srtp_suite_name(sp.suite), sp.record);
	resp = json_pack("{s:b,s:s,s:i,s:o,s:o}", "ok", 1, "stream", id, "worker", (int)owner,
	                 "ingest", endpoint(c, owner), "ssrcs", ssrcs_json(rs));
	if (sp.record)
		json_object_set_new(resp, "recording", json_string(sp.recording));
	return resp;
}

/* A viewer the worker w just set up enters the registry; the first one on
 * its worker starts the owner's hand-off to that worker. */
static void viewer_note(struct relay_ctl *c, struct reg_stream *rs, unsigned slot, const char *id,
                        unsigned w, bool webrtc)
{
	if (rs->per_worker[w]++ == 0) {
		struct relay_cmd cmd;
		memset(&cmd, 0, sizeof cmd);
		cmd.op = CMD_SUBSCRIBE;
		cmd.slot = slot;
		cmd.gen = rs->gen;
		cmd.arg = w;
		worker_cmd_run(c->r->workers[rs->owner], &cmd);
	}
	strcpy(rs->viewers[rs->nviewers].id, id);
	rs->viewers[rs->nviewers].webrtc = webrtc;
	rs->viewers[rs->nviewers++].worker = w;
	c->worker_viewers[w]++;
	c->total_viewers++;
}

static void unsubscribe(struct relay_ctl *c, struct reg_stream *rs, unsigned slot, unsigned worker)
{
	struct relay_cmd cmd;
	memset(&cmd, 0, sizeof cmd);
	cmd.op = CMD_UNSUBSCRIBE;
	cmd.slot = slot;
	cmd.gen = rs->gen;
	cmd.arg = worker;
	worker_cmd_run(c->r->workers[rs->owner], &cmd);
}

static json_t *cmd_stream_delete(struct relay_ctl *c, json_t *req)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	struct relay_cmd cmd;
	struct reg_stream *rs;
	int slot = id ? find_stream(c, id) : -1;

	if (slot < 0)
		return ctl_error("no stream %s", id ? id : "(id missing)");
	rs = &c->streams[slot];
	/* Unsubscribe first so no packet is handed to a group being dropped. */
	for (unsigned w = 0; w < c->r->nworkers; w++) {
		if (!rs->per_worker[w])
			continue;
		unsubscribe(c, rs, (unsigned)slot, w);
		memset(&cmd, 0, sizeof cmd);
		cmd.op = CMD_VGROUP_DROP;
		cmd.slot = (unsigned)slot;
		worker_cmd_run(c->r->workers[w], &cmd);
		c->worker_viewers[w] -= rs->per_worker[w];
	}
	c->total_viewers -= rs->nviewers;
	memset(&cmd, 0, sizeof cmd);
	cmd.op = CMD_STREAM_DELETE;
	cmd.slot = (unsigned)slot;
	worker_cmd_run(c->r->workers[rs->owner], &cmd);
	c->worker_streams[rs->owner]--;
	log_msg(LOG_INFO, "stream deleted", "stream=%s viewers=%u", rs->id, rs->nviewers);
	free(rs->viewers);
	memset(rs, 0, sizeof *rs);
	return ctl_ok();
}

/* Viewer ids and the WebRTC publisher's share one name space per stream. */
static bool id_taken(const struct reg_stream *rs, const char *id)
{
	if (rs->has_pub && !strcmp(rs->pub_id, id))
		return true;
	for (unsigned i = 0; i < rs->nviewers; i++)
		if (!strcmp(rs->viewers[i].id, id))
			return true;
	return false;
}

static json_t *parse_addr(json_t *v, const char *what, struct sockaddr_in6 *out)
{
	socklen_t len;
	if (!json_is_string(v) || addr_parse(json_string_value(v), 0, out, &len) < 0)
		return ctl_error("%s: expected \"ip:port\" or \"[ipv6]:port\"", what);
	return NULL;
}

static json_t *cmd_viewer_add(struct relay_ctl *c, json_t *req)
{
	const char *sid = json_string_value(json_object_get(req, "stream"));
	const char *id = json_string_value(json_object_get(req, "id"));
	json_t *addr = json_object_get(req, "addr"), *addrs = json_object_get(req, "addrs");
	json_t *pts = json_object_get(req, "pt"), *err;
	struct viewer_spec vs;
	struct relay_cmd cmd;
	struct reg_stream *rs;
	int slot = sid ? find_stream(c, sid) : -1, rc;
	unsigned w;

	if (slot < 0)
		return ctl_error("no stream %s", sid ? sid : "(stream missing)");
	rs = &c->streams[slot];
	if (!id_ok(id))
		return ctl_error("id: expected 1..63 characters of A-Z a-z 0-9 . _ : -");
	if (id_taken(rs, id))
		return ctl_error("viewer %s of stream %s exists", id, sid);
	if (c->total_viewers >= c->r->opts.max_viewers)
		return ctl_error("too many viewers (limits.max_viewers = %u)", c->r->opts.max_viewers);
	memset(&vs, 0, sizeof vs);
	strcpy(vs.id, id);
	if (json_object_get(req, "latch") && !json_is_boolean(json_object_get(req, "latch")))
		return ctl_error("latch: expected true or false");
	vs.latch = json_is_true(json_object_get(req, "latch"));
	if (vs.latch && (addr || addrs))
		return ctl_error("latch: a latching viewer has no addr or addrs (its first SRTCP packet sets it)");
	if (addr && (err = parse_addr(addr, "addr", &vs.dst[0])))
		return err;
	vs.dst[1] = vs.dst[0];
	if (addrs) {
		json_t *a = json_object_get(addrs, "audio"), *v = json_object_get(addrs, "video");
		if (!json_is_object(addrs) || (!a && !v))
			return ctl_error("addrs: expected {\"audio\": \"ip:port\", \"video\": \"ip:port\"}");
		if (a && (err = parse_addr(a, "addrs.audio", &vs.dst[0])))
			return err;
		if (v && (err = parse_addr(v, "addrs.video", &vs.dst[1])))
			return err;
	}
	if (!vs.latch && !vs.dst[0].sin6_family && !vs.dst[1].sin6_family)
		return ctl_error("addr: expected \"ip:port\" (or addrs per kind, or latch: true)");
	if (json_object_get(req, "rtcp_mux") && !json_is_boolean(json_object_get(req, "rtcp_mux")))
		return ctl_error("rtcp_mux: expected true or false");
	vs.rtcp_mux = json_is_true(json_object_get(req, "rtcp_mux"));
	if (pts && !json_is_object(pts))
		return ctl_error("pt: expected {\"audio\": 111, \"video\": 96}");
	vs.ntracks = rs->ntracks;
	for (unsigned i = 0; i < rs->ntracks; i++) {
		const char *kind = rs->tracks[i].kind == TRACK_VIDEO ? "video" : "audio";
		json_t *p = pts ? json_object_get(pts, kind) : NULL;
		vs.kinds[i] = rs->tracks[i].kind;
		vs.out_pt[i] = rs->tracks[i].pt;
		if (p) {
			if (!json_is_integer(p) || json_integer_value(p) < 0 || json_integer_value(p) > 127 ||
			    (json_integer_value(p) >= 64 && json_integer_value(p) <= 95))
				return ctl_error("pt.%s: expected 0..63 or 96..127", kind);
			vs.out_pt[i] = (uint8_t)json_integer_value(p);
		}
	}
	if ((err = parse_keys(req, "viewer", &vs.suite, vs.key)))
		return err;
	if (rs->nviewers == rs->cap) {
		unsigned cap = rs->cap ? rs->cap * 2 : 16;
		struct reg_viewer *nv = realloc(rs->viewers, cap * sizeof *nv);
		if (!nv) {
			explicit_bzero(vs.key, sizeof vs.key);
			return ctl_error("out of memory");
		}
		rs->viewers = nv;
		rs->cap = cap;
	}
	w = least_loaded(c->worker_viewers, c->r->nworkers);
	memset(&cmd, 0, sizeof cmd);
	vs.owner = rs->owner;
	cmd.op = CMD_VIEWER_ADD;
	cmd.slot = (unsigned)slot;
	cmd.gen = rs->gen;
	cmd.viewer = &vs;
	rc = worker_cmd_run(c->r->workers[w], &cmd);
	explicit_bzero(vs.key, sizeof vs.key);
	if (rc < 0)
		return ctl_error("viewer %s: cannot set up egress (%s)", id, strerror(-rc));
	viewer_note(c, rs, (unsigned)slot, id, w, false);
	log_msg(LOG_DEBUG, "viewer added", "stream=%s viewer=%s worker=%u", sid, id, w);
	return json_pack("{s:b,s:s,s:i,s:o}", "ok", 1, "viewer", id, "worker", (int)w,
	                 "egress", endpoint(c, w));
}

static json_t *cmd_viewer_remove(struct relay_ctl *c, json_t *req)
{
	const char *sid = json_string_value(json_object_get(req, "stream"));
	const char *id = json_string_value(json_object_get(req, "id"));
	struct relay_cmd cmd;
	struct reg_stream *rs;
	int slot = sid ? find_stream(c, sid) : -1;
	unsigned i, w;

	if (slot < 0)
		return ctl_error("no stream %s", sid ? sid : "(stream missing)");
	rs = &c->streams[slot];
	for (i = 0; i < rs->nviewers; i++)
		if (id && !strcmp(rs->viewers[i].id, id))
			break;
	if (i == rs->nviewers)
		return ctl_error("no viewer %s on stream %s", id ? id : "(id missing)", sid);
	if (rs->viewers[i].webrtc)
		return ctl_error("viewer %s is a WebRTC peer: use webrtc.remove", id);
	w = rs->viewers[i].worker;
	/* Last viewer on that worker: stop the hand-off before the group goes. */
	if (rs->per_worker[w] == 1)
		unsubscribe(c, rs, (unsigned)slot, w);
	memset(&cmd, 0, sizeof cmd);
	cmd.op = CMD_VIEWER_REMOVE;
	cmd.slot = (unsigned)slot;
	cmd.name = id;
	worker_cmd_run(c->r->workers[w], &cmd);
	rs->per_worker[w]--;
	rs->viewers[i] = rs->viewers[--rs->nviewers];
	c->worker_viewers[w]--;
	c->total_viewers--;
	return ctl_ok();
}

static json_t *track_json(const struct stream_track *t)
{
	return json_pack("{s:s,s:s,s:i,s:i}", "kind", t->kind == TRACK_VIDEO ? "video" : "audio",
	                 "codec", t->codec, "pt", (int)t->pt, "clock_rate", (int)t->clock_rate);
}

static json_t *cmd_stream_list(struct relay_ctl *c)
{
	json_t *arr = json_array();
	for (unsigned i = 0; i < c->r->opts.max_streams; i++) {
		struct reg_stream *rs = &c->streams[i];
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

#define U(x) json_integer((json_int_t)(x))

static json_t *cmd_stats(struct relay_ctl *c)
{
	unsigned n = c->r->opts.max_streams;
	struct relay_stream_stats *st = calloc(n, sizeof *st);
	json_t *workers = json_array(), *streams = json_array();
	struct relay_cmd cmd;

	if (!st)
		return ctl_error("out of memory");
	for (unsigned w = 0; w < c->r->nworkers; w++) {
		struct worker_counters *k = &cmd.out_counters;
		struct webrtc_counters *wc = &cmd.out_webrtc;
		json_t *o = json_object();
		memset(&cmd, 0, sizeof cmd);
		cmd.op = CMD_STATS;
		cmd.out_stats = st;
		worker_cmd_run(c->r->workers[w], &cmd);
		json_object_set_new(o, "worker", U(w));
		json_object_set_new(o, "port", U(c->r->workers[w]->port));
		json_object_set_new(o, "cpu", json_integer(c->r->workers[w]->cpu));
		json_object_set_new(o, "streams", U(c->worker_streams[w]));
		json_object_set_new(o, "viewers", U(c->worker_viewers[w]));
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
		struct reg_stream *rs = &c->streams[i];
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
		json_object_set_new(o, "keyframe_requests", U(s->keyframe_requests));
		json_object_set_new(o, "keyframe_sent", U(s->keyframe_sent));
		json_object_set_new(o, "keyframe_suppressed", U(s->keyframe_suppressed));
		if (rs->record)
			json_object_set_new(o, "recording", json_string(rs->recording));
		json_object_set_new(o, "recorded", U(s->recorded));
		json_object_set_new(o, "record_drops", U(s->record_drops));
		json_array_append_new(streams, o);
	}
	free(st);
	return json_pack("{s:b,s:o,s:o}", "ok", 1, "workers", workers, "streams", streams);
}

/* --- WebRTC peers (docs/relay-control.md "WebRTC peers") --- */

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

/* A viewer entry i of rs leaves the registry; the worker already dropped
 * it.  The last one on its worker ends the hand-off and the empty group. */
static void viewer_forget(struct relay_ctl *c, struct reg_stream *rs, unsigned slot, unsigned i)
{
	unsigned w = rs->viewers[i].worker;
	rs->viewers[i] = rs->viewers[--rs->nviewers];
	c->worker_viewers[w]--;
	c->total_viewers--;
	if (--rs->per_worker[w] == 0) {
		struct relay_cmd cmd;
		unsubscribe(c, rs, slot, w);
		memset(&cmd, 0, sizeof cmd);
		cmd.op = CMD_VGROUP_DROP;
		cmd.slot = slot;
		worker_cmd_run(c->r->workers[w], &cmd);
	}
}

/* Peers the workers removed on their own: the registry follows. */
static void drain_gone(struct relay_ctl *c)
{
	struct relay_gone g[32];
	unsigned n;
	while ((n = relay_gone_take(c->r, g, 32)) > 0)
		for (unsigned k = 0; k < n; k++) {
			struct reg_stream *rs = g[k].slot < c->r->opts.max_streams ? &c->streams[g[k].slot] : NULL;
			if (!rs || !rs->used || rs->gen != g[k].gen)
				continue;   /* the stream went meanwhile */
			if (g[k].role == WEBRTC_PUBLISHER) {
				if (rs->has_pub && !strcmp(rs->pub_id, g[k].id))
					rs->has_pub = false;
				continue;
			}
			for (unsigned i = 0; i < rs->nviewers; i++)
				if (rs->viewers[i].webrtc && rs->viewers[i].worker == g[k].worker &&
				    !strcmp(rs->viewers[i].id, g[k].id)) {
					viewer_forget(c, rs, g[k].slot, i);
					break;
				}
		}
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

static struct reg_stream *stream_of(struct relay_ctl *c, json_t *req, int *slot)
{
	const char *sid = json_string_value(json_object_get(req, "stream"));
	*slot = sid ? find_stream(c, sid) : -1;
	return *slot < 0 ? NULL : &c->streams[*slot];
}

static json_t *cmd_webrtc_add(struct relay_ctl *c, json_t *req)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	const char *role = json_string_value(json_object_get(req, "role"));
	const char *fp = json_string_value(json_object_get(req, "fingerprint"));
	json_t *tracks = json_object_get(req, "tracks"), *extmap = json_object_get(req, "extmap"), *t, *err;
	struct webrtc_spec *ws;
	struct relay_cmd cmd;
	struct reg_stream *rs;
	int slot, rc, kpt[2] = { -1, -1 };
	size_t i;
	unsigned w;

	if (!(rs = stream_of(c, req, &slot)))
		return ctl_error("no stream %s", json_string_value(json_object_get(req, "stream")) ?: "(stream missing)");
	if (!id_ok(id))
		return ctl_error("id: expected 1..63 characters of A-Z a-z 0-9 . _ : -");
	if (id_taken(rs, id))
		return ctl_error("peer %s of stream %s exists", id, rs->id);
	if (!role || (strcmp(role, "publisher") && strcmp(role, "viewer")))
		return ctl_error("role: expected publisher or viewer");
	if (!fingerprint_ok(fp))
		return ctl_error("fingerprint: expected \"sha-256 AB:CD:...\" (sha-1, sha-256, sha-384 or sha-512)");
	if (!(ws = calloc(1, sizeof *ws)))
		return ctl_error("out of memory");
	strcpy(ws->id, id);
	snprintf(ws->fingerprint, sizeof ws->fingerprint, "%s", fp);
	ws->role = strcmp(role, "publisher") ? WEBRTC_VIEWER : WEBRTC_PUBLISHER;
	if ((err = parse_ice(json_object_get(req, "ice"), ws->ufrag, ws->pwd)))
		goto out;
	if (!json_is_array(tracks) || json_array_size(tracks) < 1 || json_array_size(tracks) > 2) {
		err = ctl_error("tracks: expected 1..2 objects {\"kind\", \"pt\", \"mid\"}");
		goto out;
	}
	json_array_foreach(tracks, i, t) {
		const char *kind = json_string_value(json_object_get(t, "kind"));
		const char *mid = json_string_value(json_object_get(t, "mid"));
		json_t *pt = json_object_get(t, "pt");
		int k = kind && !strcmp(kind, "audio") ? 0 : kind && !strcmp(kind, "video") ? 1 : -1;
		if (k < 0 || kpt[k] >= 0) {
			err = ctl_error("tracks[%zu].kind: expected audio or video, each once", i);
			goto out;
		}
		if (!json_is_integer(pt) || json_integer_value(pt) < 0 || json_integer_value(pt) > 127 ||
		    (json_integer_value(pt) >= 64 && json_integer_value(pt) <= 95)) {
			err = ctl_error("tracks[%zu].pt: expected 0..63 or 96..127", i);
			goto out;
		}
		/* RFC 8285 one-byte elements carry 1..16 bytes: the mid must fit. */
		if (!mid || !*mid || strlen(mid) > 16) {
			err = ctl_error("tracks[%zu].mid: expected the section's mid, 1..16 characters", i);
			goto out;
		}
		kpt[k] = (int)json_integer_value(pt);
		strcpy(ws->viewer.mid[k], mid);
		ws->viewer.kinds_on |= (uint8_t)(1u << k);
	}
	if (extmap) {
		json_t *m = json_object_get(extmap, "mid");
		if (!json_is_object(extmap) || (m && (!json_is_integer(m) || json_integer_value(m) < 1 ||
		                                      json_integer_value(m) > 14))) {
			err = ctl_error("extmap: expected {\"mid\": 1..14} (one-byte header extension ids)");
			goto out;
		}
		ws->viewer.mid_ext = m ? (uint8_t)json_integer_value(m) : 0;
	}
	memset(ws->pt, 0xff, sizeof ws->pt);
	for (unsigned k = 0; k < rs->ntracks; k++) {
		unsigned kind = rs->tracks[k].kind == TRACK_VIDEO ? 1 : 0;
		bool first = true;
		for (unsigned j = 0; j < k; j++)
			first &= rs->tracks[j].kind != rs->tracks[k].kind;
		ws->viewer.kinds[k] = rs->tracks[k].kind;
		ws->viewer.out_pt[k] = kpt[kind] >= 0 ? (uint8_t)kpt[kind] : rs->tracks[k].pt;
		if (first && kpt[kind] >= 0)
			ws->pt[k] = (uint8_t)kpt[kind];
	}
	ws->viewer.ntracks = rs->ntracks;
	ws->viewer.owner = rs->owner;
	ws->viewer.webrtc = true;
	strcpy(ws->viewer.id, id);
	if (ws->role == WEBRTC_PUBLISHER) {
		if (rs->has_pub) {
			err = ctl_error("stream already has a WebRTC publisher");
			goto out;
		}
		w = rs->owner;
	} else {
		if (c->total_viewers >= c->r->opts.max_viewers) {
			err = ctl_error("saturated: too many viewers (limits.max_viewers = %u)", c->r->opts.max_viewers);
			goto out;
		}
		if (rs->nviewers == rs->cap) {
			unsigned cap = rs->cap ? rs->cap * 2 : 16;
			struct reg_viewer *nv = realloc(rs->viewers, cap * sizeof *nv);
			if (!nv) {
				err = ctl_error("out of memory");
				goto out;
			}
			rs->viewers = nv;
			rs->cap = cap;
		}
		w = least_loaded(c->worker_viewers, c->r->nworkers);
	}
	memset(&cmd, 0, sizeof cmd);
	cmd.op = CMD_WEBRTC_ADD;
	cmd.slot = (unsigned)slot;
	cmd.gen = rs->gen;
	cmd.webrtc = ws;
	rc = worker_cmd_run(c->r->workers[w], &cmd);
	if (rc == -ENOSPC)
		err = ctl_error("saturated: worker %u has no room for another WebRTC peer (table full or "
		                "[webrtc] max_handshakes in progress)", w);
	else if (rc == -EADDRINUSE)
		err = ctl_error("ice.ufrag: %s is in use on worker %u", ws->ufrag, w);
	else if (rc < 0)
		err = ctl_error("peer %s: cannot set it up (%s)", id, strerror(-rc));
	if (err)
		goto out;
	if (ws->role == WEBRTC_PUBLISHER) {
		rs->has_pub = true;
		strcpy(rs->pub_id, id);
	} else {
		viewer_note(c, rs, (unsigned)slot, id, (unsigned)w, true);
	}
	err = json_pack("{s:b,s:s,s:i,s:s,s:i,s:s,s:o}", "ok", 1, "peer", id, "worker", (int)w,
	                "host", c->r->opts.advertise, "port", (int)c->r->workers[w]->port,
	                "fingerprint", dtls_ctx_fingerprint(c->r->dtls), "ssrcs", ssrcs_json(rs));
out:
	explicit_bzero(ws->pwd, sizeof ws->pwd);
	free(ws);
	return err;
}

/* The worker of peer id of rs, or -1; *vi is its viewer entry (-1: the publisher). */
static int peer_worker(const struct reg_stream *rs, const char *id, int *vi)
{
	*vi = -1;
	if (!id)
		return -1;
	if (rs->has_pub && !strcmp(rs->pub_id, id))
		return (int)rs->owner;
	for (unsigned i = 0; i < rs->nviewers; i++)
		if (rs->viewers[i].webrtc && !strcmp(rs->viewers[i].id, id)) {
			*vi = (int)i;
			return (int)rs->viewers[i].worker;
		}
	return -1;
}

static json_t *cmd_webrtc_remove(struct relay_ctl *c, json_t *req)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	struct relay_cmd cmd;
	struct reg_stream *rs;
	int slot, vi, w, rc;

	if (!(rs = stream_of(c, req, &slot)))
		return ctl_error("no stream %s", json_string_value(json_object_get(req, "stream")) ?: "(stream missing)");
	if ((w = peer_worker(rs, id, &vi)) < 0)
		return ctl_error("no such peer");
	/* Last viewer on that worker: stop the hand-off before the group goes. */
	if (vi >= 0 && rs->per_worker[w] == 1)
		unsubscribe(c, rs, (unsigned)slot, (unsigned)w);
	memset(&cmd, 0, sizeof cmd);
	cmd.op = CMD_WEBRTC_REMOVE;
	cmd.slot = (unsigned)slot;
	cmd.gen = rs->gen;
	cmd.name = id;
	rc = worker_cmd_run(c->r->workers[w], &cmd);
	if (rc == -ENOENT) {
		drain_gone(c);   /* it left on its own just now: its report is queued */
		return ctl_error("no such peer");
	}
	if (vi < 0) {
		rs->has_pub = false;
	} else {
		rs->viewers[vi] = rs->viewers[--rs->nviewers];
		rs->per_worker[w]--;
		c->worker_viewers[w]--;
		c->total_viewers--;
	}
	return ctl_ok();
}

static json_t *cmd_webrtc_restart(struct relay_ctl *c, json_t *req)
{
	const char *id = json_string_value(json_object_get(req, "id"));
	char ufrag[ICE_UFRAG_MAX + 1], pwd[ICE_PWD_MAX + 1];
	struct relay_cmd cmd;
	struct reg_stream *rs;
	json_t *err;
	int slot, vi, w, rc;

	if (!(rs = stream_of(c, req, &slot)))
		return ctl_error("no stream %s", json_string_value(json_object_get(req, "stream")) ?: "(stream missing)");
	if ((w = peer_worker(rs, id, &vi)) < 0)
		return ctl_error("no such peer");
	if ((err = parse_ice(json_object_get(req, "ice"), ufrag, pwd)))
		return err;
	memset(&cmd, 0, sizeof cmd);
	cmd.op = CMD_WEBRTC_RESTART;
	cmd.slot = (unsigned)slot;
	cmd.gen = rs->gen;
	cmd.name = id;
	cmd.ufrag = ufrag;
	cmd.pwd = pwd;
	rc = worker_cmd_run(c->r->workers[w], &cmd);
	explicit_bzero(pwd, sizeof pwd);
	if (rc == -ENOENT) {
		drain_gone(c);
		return ctl_error("no such peer");
	}
	if (rc == -EADDRINUSE)
		return ctl_error("ice.ufrag: %s is in use on worker %d", ufrag, w);
	if (rc < 0)
		return ctl_error("peer %s: ICE restart failed (%s)", id, strerror(-rc));
	return ctl_ok();
}

static json_t *cmd_webrtc_list(struct relay_ctl *c, json_t *req)
{
	struct reg_stream *rs;
	struct webrtc_info *info;
	struct relay_cmd cmd;
	json_t *arr;
	unsigned cap;
	int slot;

	if (!(rs = stream_of(c, req, &slot)))
		return ctl_error("no stream %s", json_string_value(json_object_get(req, "stream")) ?: "(stream missing)");
	cap = rs->nviewers + 1;
	if (!(info = calloc(cap, sizeof *info)))
		return ctl_error("out of memory");
	arr = json_array();
	for (unsigned w = 0; w < c->r->nworkers; w++) {
		memset(&cmd, 0, sizeof cmd);
		cmd.op = CMD_WEBRTC_LIST;
		cmd.slot = (unsigned)slot;
		cmd.gen = rs->gen;
		cmd.out_info = info;
		cmd.out_cap = cap;
		worker_cmd_run(c->r->workers[w], &cmd);
		for (unsigned i = 0; i < cmd.out_n; i++) {
			json_t *o = json_pack("{s:s,s:s,s:i,s:s}", "id", info[i].id, "role",
			                      info[i].role == WEBRTC_PUBLISHER ? "publisher" : "viewer",
			                      "worker", (int)info[i].worker, "state", info[i].state);
			json_object_set_new(o, "addr", info[i].addr[0] ? json_string(info[i].addr) : json_null());
			json_object_set_new(o, "profile", info[i].profile ? json_string(info[i].profile) : json_null());
			json_array_append_new(arr, o);
		}
	}
	free(info);
	return json_pack("{s:b,s:o}", "ok", 1, "peers", arr);
}

static json_t *handle(void *arg, json_t *req)
{
	struct relay_ctl *c = arg;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	drain_gone(c);
	if (!cmd)
		return ctl_error("cmd: expected a command name (see docs/relay-control.md)");
	if (!strcmp(cmd, "stream.create"))
		return cmd_stream_create(c, req);
	if (!strcmp(cmd, "stream.delete"))
		return cmd_stream_delete(c, req);
	if (!strcmp(cmd, "stream.list"))
		return cmd_stream_list(c);
	if (!strcmp(cmd, "viewer.add"))
		return cmd_viewer_add(c, req);
	if (!strcmp(cmd, "viewer.remove"))
		return cmd_viewer_remove(c, req);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(c);
	if (!strcmp(cmd, "webrtc.add"))
		return cmd_webrtc_add(c, req);
	if (!strcmp(cmd, "webrtc.remove"))
		return cmd_webrtc_remove(c, req);
	if (!strcmp(cmd, "webrtc.restart"))
		return cmd_webrtc_restart(c, req);
	if (!strcmp(cmd, "webrtc.list"))
		return cmd_webrtc_list(c, req);
	if (!strcmp(cmd, "ping"))
		return json_pack("{s:b,s:s,s:i}", "ok", 1, "daemon", "amphi-relay", "workers",
		                 (int)c->r->nworkers);
	return ctl_error("unknown command %s (see docs/relay-control.md)", cmd);
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
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->r = r;
	atomic_init(&c->stop, false);
	c->streams = calloc(r->opts.max_streams, sizeof *c->streams);
	if (!c->streams) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	c->srv = ctl_server_open(path, handle, c, err, errlen);
	if (!c->srv) {
		free(c->streams);
		free(c);
		return NULL;
	}
	if (pthread_create(&c->thread, NULL, ctl_main, c) != 0) {
		snprintf(err, errlen, "cannot start the control thread");
		ctl_server_close(c->srv);
		free(c->streams);
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
	for (unsigned i = 0; i < c->r->opts.max_streams; i++)
		free(c->streams[i].viewers);
	free(c->streams);
	free(c);
}
