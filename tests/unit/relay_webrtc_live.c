/* WebRTC through a real amphi-relay: the relay binary under test, headless
 * Chromium (tests/data/webrtc/relay-peers.js) and ffmpeg, with this test as
 * the control plane: it parses each browser offer and builds the answer with
 * control/sdp.c (what amphi-control's WHIP/WHEP endpoints do) around the
 * relay's webrtc.add reply.
 *
 *   chromium_publishes   a Chromium WHIP publisher feeds two ffmpeg SDES
 *                        receivers (payload types rewritten to the stream's)
 *                        and a Chromium WHEP viewer added later (its keyframe
 *                        comes from the PLI sent when its DTLS completed);
 *                        the stream is recorded
 *   ffmpeg_publishes     an ffmpeg SDES publisher feeds a Chromium viewer that
 *                        connected before the publisher started
 *   wrong_ice_password   a browser given the wrong ice-pwd gets 401s: no
 *                        latched address, no DTLS, no media
 *   wrong_fingerprint    a certificate other than the offer's: DTLS fails, the
 *                        relay drops the peer itself
 *   h264_chromium_to_chromium  the same with H.264 as the webinar's codec
 *   consent_expiry       peers without consent checks leave on their own
 *                        (on a relay of its own with [webrtc]
 *                        consent_timeout = 2s; the browsers' has 6s: they
 *                        check every 4-6 s), and the control registry
 *                        follows; an ICE restart moves a peer to new
 *                        credentials at once
 * Time to first frame is printed.  Skipped (77) when chromium, node,
 * playwright-core or ffmpeg is missing. */
#include "tests/harness.h"
#include "tests/node_peer.h"
#include "common/clock.h"
#include "common/ctl.h"
#include "control/sdp.h"
#include "relay/stun.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define PORT_BASE 43000
#define CONSENT_S 2           /* consent_expiry's relay */
#define BROWSER_CONSENT_S 6   /* the browsers' relay */

static struct node_peer np;
static enum sdp_video video_codec = SDP_VIDEO_VP8;   /* the webinar's: what answers offer */
static char dir[64], sock[128];
static pid_t relay_pid;

/* What the browser reported about each of its peers. */
struct bpeer {
	char who[16];
	char state[16];
	long frames, keyframes, audio, sent;
	int64_t connected_ns, first_frame_ns;
	char offer[16384];
};
static struct bpeer bp[8];

static struct bpeer *bpeer(const char *who)
{
	for (int i = 0; i < 8; i++)
		if (!strcmp(bp[i].who, who))
			return &bp[i];
	for (int i = 0; i < 8; i++)
		if (!bp[i].who[0]) {
			snprintf(bp[i].who, sizeof bp[i].who, "%s", who);
			return &bp[i];
		}
	return &bp[7];
}

static void on_event(json_t *ev)
{
	const char *who = json_string_value(json_object_get(ev, "who"));
	const char *s;
	struct bpeer *p;
	if (!who) {
		if ((s = json_string_value(json_object_get(ev, "error"))))
			HARNESS_FAIL("browser: %s", s);
		return;
	}
	p = bpeer(who);
	if ((s = json_string_value(json_object_get(ev, "offer"))))
		snprintf(p->offer, sizeof p->offer, "%s", s);
	if ((s = json_string_value(json_object_get(ev, "state")))) {
		snprintf(p->state, sizeof p->state, "%s", s);
		if (!strcmp(s, "connected") && !p->connected_ns)
			p->connected_ns = amphi_mono_ns();
	}
	if ((s = json_string_value(json_object_get(ev, "error"))))
		HARNESS_FAIL("browser %s: %s", who, s);
	if (json_object_get(ev, "frames")) {
		p->frames = (long)json_integer_value(json_object_get(ev, "frames"));
		p->keyframes = (long)json_integer_value(json_object_get(ev, "keyframes"));
		p->audio = (long)json_integer_value(json_object_get(ev, "audio"));
		p->sent = (long)json_integer_value(json_object_get(ev, "sent"));
		if (p->frames > 0 && !p->first_frame_ns)
			p->first_frame_ns = amphi_mono_ns();
	}
}

/* Reads browser events for ms milliseconds. */
static void pump(int ms)
{
	int64_t end = amphi_mono_ns() + (int64_t)ms * 1000000;
	for (;;) {
		int64_t left = (end - amphi_mono_ns()) / 1000000;
		json_t *ev = node_peer_next(&np, left > 0 ? (int)left : 0);
		if (!ev)
			break;
		on_event(ev);
		json_decref(ev);
	}
}

/* Pumps until cond holds or ms pass; returns cond. */
#define PUMP_UNTIL(ms, cond) ({                                                \
	int64_t end_ = amphi_mono_ns() + (int64_t)(ms) * 1000000;              \
	while (!(cond) && amphi_mono_ns() < end_)                              \
		pump(100);                                                     \
	(cond);                                                                \
})

static json_t *ctl(json_t *req)
{
	char err[256];
	json_t *r = ctl_call(sock, req, 10000, err, sizeof err);
	json_decref(req);
	if (!r) {
		HARNESS_FAIL("control socket: %s", err);
		return json_pack("{s:b,s:s}", "ok", 0, "error", err);
	}
	return r;
}

static bool ok_of(json_t *r)
{
	bool ok = json_is_true(json_object_get(r, "ok"));
	if (!ok)
		printf("  relay: %s\n", json_string_value(json_object_get(r, "error")));
	return ok;
}

static const char *err_of(json_t *r)
{
	const char *e = json_string_value(json_object_get(r, "error"));
	return e ? e : "";
}

/* A worker counter summed over workers. */
static long long wsum(const char *key)
{
	json_t *st = ctl(json_pack("{s:s}", "cmd", "stats")), *w;
	long long n = 0;
	size_t i;
	json_array_foreach(json_object_get(st, "workers"), i, w)
		n += json_integer_value(json_object_get(w, key));
	json_decref(st);
	return n;
}

static long long stream_stat(const char *id, const char *key)
{
	json_t *st = ctl(json_pack("{s:s}", "cmd", "stats")), *s;
	long long n = -1;
	size_t i;
	json_array_foreach(json_object_get(st, "streams"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "id")), id))
			n = json_integer_value(json_object_get(s, key));
	json_decref(st);
	return n;
}

static void b64(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = 0;
}

static void random_key(char *out)
{
	uint8_t k[30];
	if (getrandom(k, sizeof k, 0) != sizeof k)
		memset(k, 7, sizeof k);
	b64(k, sizeof k, out);
}

/* ice-chars credentials of n characters. */
static void random_ice(char *out, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint8_t r[64];
	if (getrandom(r, n, 0) != (ssize_t)n)
		memset(r, 1, n);
	for (size_t i = 0; i < n; i++)
		out[i] = a[r[i] % 62];
	out[n] = 0;
}

static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		/* Nothing else of ours: the browser script's stdin pipe must
		 * close when this test closes it, not when the relay exits. */
		for (int i = 3; i < 1024; i++)
			close(i);
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int stop(pid_t pid, int sig)
{
	int status = -1;
	if (pid <= 0)
		return -1;
	kill(pid, sig);
	waitpid(pid, &status, 0);
	return status;
}

/* relay_up CONSENT: starts amphi-relay in a fresh dir with that
 * consent_timeout (seconds); relay_down stops it and removes the dir. */
static void relay_up(int consent_s)
{
	char conf[128], spool[128], bin[256], ports[16];
	const char *b = getenv("AMPHI_BIN") ? getenv("AMPHI_BIN") : "bin";
	FILE *f;

	snprintf(dir, sizeof dir, "/tmp/amphi-webrtc.XXXXXX");
	if (!mkdtemp(dir))
		SKIP("mkdtemp: %s", strerror(errno));
	snprintf(sock, sizeof sock, "%s/relay.sock", dir);
	snprintf(conf, sizeof conf, "%s/relay.conf", dir);
	snprintf(spool, sizeof spool, "%s/spool", dir);
	snprintf(bin, sizeof bin, "%s/amphi-relay", b);
	snprintf(ports, sizeof ports, "%d", PORT_BASE);
	if (access(bin, X_OK) != 0)
		SKIP("%s is not built", bin);
	f = fopen(conf, "w");
	fprintf(f, "[webrtc]\nconsent_timeout = %ds\n", consent_s);
	fclose(f);
	char log[160];
	snprintf(log, sizeof log, "%s/relay.log", dir);
	char *argv[] = { bin, "--config", conf, "--workers", "2", "--port-base", ports, "--control", sock,
	                 "--spool", spool, "--no-pin", NULL };
	relay_pid = spawn(argv, log);
	for (int i = 0; i < 100; i++) {
		if (access(sock, F_OK) == 0 && ctl_ping(sock, 1000))
			return;
		usleep(100000);
	}
	HARNESS_FAIL("amphi-relay did not answer (see %s)", log);
}

static void relay_down(void)
{
	int st = stop(relay_pid, SIGTERM);

	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!getenv("AMPHI_KEEP")) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("  could not remove %s\n", dir);
	} else {
		printf("  kept %s\n", dir);
	}
}

static void stream_create(const char *id, int apt, int vpt, char *key, bool record)
{
	random_key(key);
	json_t *req = json_pack("{s:s,s:s,s:[{s:s,s:s,s:i,s:i,s:i},{s:s,s:s,s:i,s:i}],s:{s:s,s:s}}",
	                        "cmd", "stream.create", "id", id, "tracks",
	                        "kind", "audio", "codec", "opus", "pt", apt, "clock_rate", 48000, "channels", 2,
	                        "kind", "video", "codec", video_codec == SDP_VIDEO_H264 ? "H264" : "VP8", "pt", vpt,
	                        "clock_rate", 90000,
	                        "ingest", "suite", "AES_CM_128_HMAC_SHA1_80", "key", key);
	if (record)
		json_object_update_new(req, json_pack("{s:b,s:s,s:s,s:s,s:s}", "record", 1, "recording", id,
		                                  "webinar", "w1", "org", "o1", "webinar_date", "2026-11-23"));
	json_t *r = ctl(req);
	CHECK(ok_of(r));
	CHECK(json_integer_value(json_object_get(json_object_get(r, "ssrcs"), "video")) > 0);
	json_decref(r);
}

/* Offers, asks the relay for the peer, answers.  wrong_pwd: the answer
 * carries another ice-pwd than the relay was given.  Returns the
 * webrtc.add reply (new reference). */
static bool wrong_fp;   /* connect_peer tells the relay another certificate's fingerprint */

static json_t *connect_peer(const char *stream, const char *who, bool publisher, bool wrong_pwd)
{
	static const char dummy_fp[] = "sha-256 00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
	                               "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00";
	struct bpeer *p = bpeer(who);
	char ufrag[9], pwd[25], bad[25], err[256], answer[8192];
	struct sdp_choice ch[SDP_MAX_MEDIA];
	struct sdp_candidate cand = { "127.0.0.1", 9 };
	struct sdp_offer *o;
	json_t *tracks, *reply;
	int mid_ext = 0;

	p->offer[0] = 0;
	node_peer_send(&np, json_pack("{s:s,s:s,s:b}", "cmd", "offer", "who", who, "send", publisher));
	/* The first offer also waits for the browser to start (slow on a loaded machine). */
	if (!PUMP_UNTIL(60000, p->offer[0])) {
		HARNESS_FAIL("no offer from %s", who);
		return json_pack("{s:b}", "ok", 0);
	}
	o = sdp_offer_parse(p->offer, strlen(p->offer), err, sizeof err);
	CHECK(o != NULL);
	if (!o)
		return json_pack("{s:b}", "ok", 0);
	random_ice(ufrag, 8);
	random_ice(pwd, 24);
	random_ice(bad, 24);
	struct sdp_answer_params ap = {
		.role = publisher ? SDP_ROLE_WHIP : SDP_ROLE_WHEP, .codec = video_codec,
		.ice_ufrag = ufrag, .ice_pwd = pwd, .fingerprint = dummy_fp, .candidates = &cand,
		.n_candidates = 1, .session_id = 42, .audio_track = { 1, "audio" },
		.video_track = { 2, "video" }, .cname = "amphi", .stream_id = "amphi",
	};
	/* A first answer only for what it chooses (payload types, extension ids). */
	CHECK_INT(sdp_answer_build(o, &ap, answer, sizeof answer, ch, err, sizeof err), >, 0);
	tracks = json_array();
	for (unsigned i = 0; i < o->n_media; i++)
		if (ch[i].accepted) {
			json_t *t = json_pack("{s:s,s:i,s:s}", "kind", ch[i].kind == SDP_KIND_VIDEO ? "video" : "audio",
			                      "pt", ch[i].pt, "mid", o->media[i].mid);
			/* as amphi-control asks (control/whip_offer.c): upstream NACK,
			 * and the publisher's RTX payload type when answered */
			if (publisher && (ch[i].fb & SDP_FB_NACK))
				json_object_set_new(t, "nack", json_true());
			if (ch[i].rtx)
				json_object_set_new(t, "rtx_pt", json_integer(ch[i].rtx_pt));
			json_array_append_new(tracks, t);
			mid_ext = ch[i].mid_ext;
		}
	reply = ctl(json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:o,s:{s:i}}", "cmd", "webrtc.add",
	                      "stream", stream, "id", who, "role", publisher ? "publisher" : "viewer",
	                      "ice", "ufrag", ufrag, "pwd", pwd, "fingerprint", wrong_fp ? dummy_fp : o->media[0].fingerprint,
	                      "tracks", tracks, "extmap", "mid", mid_ext));
	if (ok_of(reply)) {
		json_t *ss = json_object_get(reply, "ssrcs");
		cand.port = (uint16_t)json_integer_value(json_object_get(reply, "port"));
		ap.fingerprint = json_string_value(json_object_get(reply, "fingerprint"));
		ap.audio_track.ssrc = (uint32_t)json_integer_value(json_object_get(ss, "audio"));
		ap.video_track.ssrc = (uint32_t)json_integer_value(json_object_get(ss, "video"));
		if (wrong_pwd)
			ap.ice_pwd = bad;
		CHECK_INT(sdp_answer_build(o, &ap, answer, sizeof answer, NULL, err, sizeof err), >, 0);
		node_peer_send(&np, json_pack("{s:s,s:s,s:s}", "cmd", "answer", "who", who, "sdp", answer));
	}
	sdp_offer_free(o);
	return reply;
}

static void close_peer(const char *who)
{
	node_peer_send(&np, json_pack("{s:s,s:s}", "cmd", "close", "who", who));
}

static long lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	char l[512];
	long n = 0;
	if (!f)
		return 0;
	while (fgets(l, sizeof l, f))
		if (l[0] != '#')
			n++;
	fclose(f);
	return n;
}

/* True once something is bound to UDP port (ffmpeg's receivers bind late). */
static bool udp_bound(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool busy = bind(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno == EADDRINUSE;
	close(fd);
	return busy;
}

/* An ffmpeg SDES receiver of stream `stream` on ports base (audio) and
 * base + 2 (video). */
static pid_t ffmpeg_receiver(const char *stream, const char *id, int base, int apt, int vpt)
{
	char key[64], path[160], vcrc[160], acrc[160], log[160];
	json_t *r;
	FILE *f;

	random_key(key);
	char a[32], v[32];
	snprintf(a, sizeof a, "127.0.0.1:%d", base);
	snprintf(v, sizeof v, "127.0.0.1:%d", base + 2);
	r = ctl(json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s}}", "cmd", "viewer.add", "stream", stream, "id", id,
	                  "suite", "AES_CM_128_HMAC_SHA1_80", "key", key, "addrs", "audio", a, "video", v));
	CHECK(ok_of(r));
	json_decref(r);
	snprintf(path, sizeof path, "%s/%s.sdp", dir, id);
	f = fopen(path, "w");
	fprintf(f, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=%s\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	           "m=audio %d RTP/SAVP %d\r\na=rtpmap:%d opus/48000/2\r\n"
	           "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n"
	           "m=video %d RTP/SAVP %d\r\na=rtpmap:%d VP8/90000\r\n"
	           "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n",
	        id, base, apt, apt, key, base + 2, vpt, vpt, key);
	fclose(f);
	snprintf(vcrc, sizeof vcrc, "%s/%s.video.crc", dir, id);
	snprintf(acrc, sizeof acrc, "%s/%s.audio.crc", dir, id);
	snprintf(log, sizeof log, "%s/%s.log", dir, id);
	char *argv[] = { "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-protocol_whitelist",
	                 "file,udp,rtp,srtp", "-analyzeduration", "4M", "-probesize", "4M", "-i", path,
	                 "-map", "0:v?", "-flush_packets", "1", "-f", "framecrc", vcrc,
	                 "-map", "0:a?", "-flush_packets", "1", "-f", "framecrc", acrc, NULL };
	return spawn(argv, log);
}

/* The frames ffmpeg receiver id has written of kind ("video", "audio"). */
static long receiver_frames(const char *id, const char *kind)
{
	char p[160];
	snprintf(p, sizeof p, "%s/%s.%s.crc", dir, id, kind);
	return lines_in(p);
}

static void check_receiver(const char *id)
{
	long vf = receiver_frames(id, "video"), af = receiver_frames(id, "audio");
	printf("  ffmpeg receiver %s: %ld video frames, %ld audio frames decoded\n", id, vf, af);
	CHECK_INT(vf, >=, 100);
	CHECK_INT(af, >=, 100);
}

TEST(chromium_publishes)
{
	char key[64];
	pid_t r1, r2;
	json_t *rep;

	stream_create("s1", 109, 100, key, true);   /* a WHIP publisher is recorded like any */
	r1 = ffmpeg_receiver("s1", "ff1", 52000, 109, 100);
	r2 = ffmpeg_receiver("s1", "ff2", 52020, 109, 100);
	for (int i = 0; i < 200 && !(udp_bound(52002) && udp_bound(52022)); i++)
		usleep(100000);

	rep = connect_peer("s1", "pub", true, false);
	CHECK(ok_of(rep));
	CHECK_STR(json_string_value(json_object_get(rep, "host")), "127.0.0.1");
	CHECK_INT(json_integer_value(json_object_get(rep, "worker")), ==,
	          json_integer_value(json_object_get(rep, "port")) - PORT_BASE);
	CHECK(strncmp(json_string_value(json_object_get(rep, "fingerprint")) ?: "", "sha-256 ", 8) == 0);
	json_decref(rep);
	CHECK(PUMP_UNTIL(20000, !strcmp(bpeer("pub")->state, "connected")));
	rep = connect_peer("s1", "pub2", true, false);
	CHECK_STR(err_of(rep), "stream already has a WebRTC publisher");
	json_decref(rep);

	/* A WHEP viewer of the WHIP publisher, joining 2 s in: its first
	 * frame needs a keyframe, which the PLI at its handshake asks for. */
	pump(2000);
	long long kf0 = stream_stat("s1", "keyframe_sent");
	rep = connect_peer("s1", "view", false, false);
	CHECK(ok_of(rep));
	json_decref(rep);
	struct bpeer *v = bpeer("view");
	CHECK(PUMP_UNTIL(20000, !strcmp(v->state, "connected")));
	CHECK(PUMP_UNTIL(30000, v->frames >= 100 && v->audio >= 100));
	printf("  chromium viewer of chromium publisher: %ld frames (%ld key), %ld audio packets; "
	       "first frame %.0f ms after its DTLS (stats polled every 200 ms)\n", v->frames, v->keyframes,
	       v->audio, v->first_frame_ns && v->connected_ns ? (v->first_frame_ns - v->connected_ns) / 1e6 : -1.0);
	CHECK_INT(v->frames, >=, 100);
	CHECK_INT(v->audio, >=, 100);
	CHECK_INT(stream_stat("s1", "keyframe_sent"), >, kf0);
	/* The ffmpeg receivers run until each has written 100 video and 100
	 * audio frames (a loaded machine slows the fake camera down). */
	CHECK(PUMP_UNTIL(30000, receiver_frames("ff1", "video") >= 100 && receiver_frames("ff1", "audio") >= 100 &&
	                        receiver_frames("ff2", "video") >= 100 && receiver_frames("ff2", "audio") >= 100));

	json_t *l = ctl(json_pack("{s:s,s:s}", "cmd", "webrtc.list", "stream", "s1")), *pe;
	size_t i;
	CHECK_INT(json_array_size(json_object_get(l, "peers")), ==, 2);
	json_array_foreach(json_object_get(l, "peers"), i, pe) {
		CHECK_STR(json_string_value(json_object_get(pe, "state")), "connected");
		CHECK_STR(json_string_value(json_object_get(pe, "profile")), "AEAD_AES_128_GCM");
		CHECK(json_string_value(json_object_get(pe, "addr")) != NULL);
	}
	json_decref(l);
	CHECK_INT(stream_stat("s1", "srtp_fail"), ==, 0);
	CHECK_INT(stream_stat("s1", "unknown_pt"), ==, 0);
	CHECK_INT(stream_stat("s1", "pkts_in"), >, 300);

	stop(r1, SIGINT);
	stop(r2, SIGINT);
	check_receiver("ff1");
	check_receiver("ff2");

	rep = ctl(json_pack("{s:s,s:s,s:s}", "cmd", "webrtc.remove", "stream", "s1", "id", "view"));
	CHECK(ok_of(rep));
	json_decref(rep);
	rep = ctl(json_pack("{s:s,s:s,s:s}", "cmd", "webrtc.remove", "stream", "s1", "id", "view"));
	CHECK_STR(err_of(rep), "no such peer");
	json_decref(rep);
	close_peer("view");
	close_peer("pub");
	long long recorded = stream_stat("s1", "recorded");
	rep = ctl(json_pack("{s:s,s:s}", "cmd", "stream.delete", "id", "s1"));
	CHECK(ok_of(rep));
	json_decref(rep);
	CHECK_INT(wsum("webrtc_peers"), ==, 0);
	/* The journal went to spool/ready/ with what the publisher sent. */
	char jp[200];
	struct stat jst;
	snprintf(jp, sizeof jp, "%s/spool/ready/s1.amj", dir);
	for (int k = 0; k < 50 && stat(jp, &jst) != 0; k++)
		usleep(100000);   /* closed in the background: written, synced, renamed */
	CHECK_INT(stat(jp, &jst), ==, 0);
	printf("  recorded %lld packets of the WHIP publisher, journal %lld bytes\n", recorded,
	       (long long)jst.st_size);
	CHECK_INT(recorded, >, 300);
	CHECK_INT(jst.st_size, >, 100000);
}

TEST(ffmpeg_publishes)
{
	char key[64], url[128], log[160];
	json_t *rep;
	struct bpeer *v = bpeer("view2");

	stream_create("s2", 111, 96, key, false);
	rep = connect_peer("s2", "view2", false, false);
	CHECK(ok_of(rep));
	json_decref(rep);
	CHECK(PUMP_UNTIL(20000, !strcmp(v->state, "connected")));

	snprintf(url, sizeof url, "srtp://127.0.0.1:%d?rtcpport=%d&pkt_size=1200", PORT_BASE, PORT_BASE);
	snprintf(log, sizeof log, "%s/publisher.log", dir);
	char *argv[] = { "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning", "-re",
	                 "-t", "14", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
	                 "-t", "14", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
	                 "-map", "0:v", "-c:v", "libvpx", "-deadline", "realtime", "-g", "25", "-b:v", "600k",
	                 "-payload_type", "96", "-f", "rtp", "-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80",
	                 "-srtp_out_params", key, url,
	                 "-map", "1:a", "-c:a", "libopus", "-b:a", "64k", "-payload_type", "111", "-f", "rtp",
	                 "-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80", "-srtp_out_params", key, url, NULL };
	int64_t t0 = amphi_mono_ns();
	pid_t pub = spawn(argv, log);
	CHECK(PUMP_UNTIL(40000, v->frames > 100 && v->audio > 100));
	printf("  chromium viewer of ffmpeg publisher: %ld frames (%ld key), %ld audio packets; first "
	       "frame %.0f ms after the publisher started (keyframe every 1 s)\n", v->frames, v->keyframes,
	       v->audio, v->first_frame_ns ? (v->first_frame_ns - t0) / 1e6 : -1.0);
	CHECK_INT(v->frames, >, 100);
	CHECK_INT(v->audio, >, 100);
	stop(pub, SIGINT);
	close_peer("view2");
	rep = ctl(json_pack("{s:s,s:s}", "cmd", "stream.delete", "id", "s2"));
	CHECK(ok_of(rep));
	json_decref(rep);
}

TEST(wrong_ice_password)
{
	char key[64];
	json_t *rep;
	struct bpeer *v = bpeer("view3");
	long long ok0 = wsum("stun_ok"), bad0 = wsum("stun_rejected"), dtls0 = wsum("dtls_ok");

	stream_create("s3", 111, 96, key, false);
	rep = connect_peer("s3", "view3", false, true);
	CHECK(ok_of(rep));
	json_decref(rep);
	pump(5000);
	CHECK(strcmp(v->state, "connected") != 0);
	CHECK_INT(v->frames, ==, 0);
	CHECK_INT(wsum("stun_rejected"), >, bad0);
	CHECK_INT(wsum("stun_ok"), ==, ok0);
	CHECK_INT(wsum("dtls_ok"), ==, dtls0);
	json_t *l = ctl(json_pack("{s:s,s:s}", "cmd", "webrtc.list", "stream", "s3"));
	json_t *pe = json_array_get(json_object_get(l, "peers"), 0);
	CHECK_STR(json_string_value(json_object_get(pe, "state")), "new");
	CHECK(json_is_null(json_object_get(pe, "addr")));
	json_decref(l);
	close_peer("view3");
	rep = ctl(json_pack("{s:s,s:s}", "cmd", "stream.delete", "id", "s3"));
	CHECK(ok_of(rep));
	json_decref(rep);
}

/* A browser whose certificate is not the one its offer's fingerprint names
 * (here: the relay was told another): the handshake fails, the relay drops
 * the peer on its own and says so. */
TEST(wrong_fingerprint)
{
	char key[64];
	json_t *rep;
	long long failed0 = wsum("dtls_failed");

	stream_create("s6", 111, 96, key, false);
	wrong_fp = true;
	rep = connect_peer("s6", "view6", false, false);
	wrong_fp = false;
	CHECK(ok_of(rep));
	json_decref(rep);
	/* The browser may see its side of the handshake finish (the relay
	 * checks the certificate once it has it) and then the close_notify. */
	CHECK(PUMP_UNTIL(15000, wsum("dtls_failed") > failed0));
	json_t *l = ctl(json_pack("{s:s,s:s}", "cmd", "webrtc.list", "stream", "s6"));
	CHECK_INT(json_array_size(json_object_get(l, "peers")), ==, 0);
	json_decref(l);
	rep = ctl(json_pack("{s:s,s:s,s:s}", "cmd", "webrtc.remove", "stream", "s6", "id", "view6"));
	CHECK_STR(err_of(rep), "no such peer");
	json_decref(rep);
	close_peer("view6");
	rep = ctl(json_pack("{s:s,s:s}", "cmd", "stream.delete", "id", "s6"));
	CHECK(ok_of(rep));
	json_decref(rep);
}

/* The same through an H.264 webinar: Chromium publishes H.264
 * (packetization-mode 1) and another Chromium decodes it. */
TEST(h264_chromium_to_chromium)
{
	char key[64];
	json_t *rep;
	struct bpeer *v = bpeer("view5");

	video_codec = SDP_VIDEO_H264;
	stream_create("s5", 111, 102, key, false);
	rep = connect_peer("s5", "pub5", true, false);
	CHECK(ok_of(rep));
	json_decref(rep);
	CHECK(PUMP_UNTIL(20000, !strcmp(bpeer("pub5")->state, "connected")));
	rep = connect_peer("s5", "view5", false, false);
	CHECK(ok_of(rep));
	json_decref(rep);
	CHECK(PUMP_UNTIL(30000, v->frames >= 60 && v->audio >= 100));
	printf("  H.264: chromium viewer decoded %ld frames (%ld key), %ld audio packets; first frame %.0f ms "
	       "after its DTLS\n", v->frames, v->keyframes, v->audio,
	       v->first_frame_ns && v->connected_ns ? (v->first_frame_ns - v->connected_ns) / 1e6 : -1.0);
	CHECK_INT(v->frames, >=, 60);
	CHECK_INT(stream_stat("s5", "unknown_pt"), ==, 0);
	close_peer("view5");
	close_peer("pub5");
	rep = ctl(json_pack("{s:s,s:s}", "cmd", "stream.delete", "id", "s5"));
	CHECK(ok_of(rep));
	json_decref(rep);
	video_codec = SDP_VIDEO_VP8;
}

/* One valid consent check from fd, as a browser would send it. */
static bool check_once(int fd, uint16_t port, const char *ufrag, const char *pwd)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint8_t req[256], resp[256], txid[12];
	char user[64];
	struct stun_msg m;
	struct pollfd pf = { fd, POLLIN, 0 };
	int n;

	snprintf(user, sizeof user, "%s:brws", ufrag);
	if (getrandom(txid, sizeof txid, 0) != sizeof txid)
		memset(txid, 3, sizeof txid);
	n = stun_binding_request_build(req, sizeof req, txid, user, pwd, 0x6e7f00ff, 1, true);
	if (n <= 0 || sendto(fd, req, (size_t)n, 0, (struct sockaddr *)&to, sizeof to) != n)
		return false;
	if (poll(&pf, 1, 2000) != 1 || (n = (int)recv(fd, resp, sizeof resp, 0)) <= 0)
		return false;
	return stun_msg_parse(&m, resp, (size_t)n) == 0 && m.type == STUN_BINDING_SUCCESS &&
	       stun_msg_check_integrity(&m, resp, pwd, strlen(pwd)) == 0;
}

TEST(consent_expiry)
{
	static const char fp[] = "sha-256 12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:"
	                         "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0";
	char key[64], pwd[25] = "Consent0Check0Pwd00000";
	long long exp0 = wsum("consent_expired");
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	json_t *rep;
	uint16_t port;

	bind(fd, (struct sockaddr *)&me, sizeof me);
	stream_create("s4", 111, 96, key, false);
	/* "ghost" never checks; "fresh" checks every CONSENT_S / 4 for CONSENT_S, then stops. */
	rep = ctl(json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:[{s:s,s:i,s:s}]}", "cmd", "webrtc.add",
	                    "stream", "s4", "id", "ghost", "role", "viewer", "ice", "ufrag", "ghst", "pwd", pwd,
	                    "fingerprint", fp, "tracks", "kind", "video", "pt", 96, "mid", "0"));
	CHECK(ok_of(rep));
	json_decref(rep);
	rep = ctl(json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:[{s:s,s:i,s:s}]}", "cmd", "webrtc.add",
	                    "stream", "s4", "id", "fresh", "role", "viewer", "ice", "ufrag", "frsh", "pwd", pwd,
	                    "fingerprint", fp, "tracks", "kind", "video", "pt", 96, "mid", "0"));
	CHECK(ok_of(rep));
	port = (uint16_t)json_integer_value(json_object_get(rep, "port"));
	json_decref(rep);
	int64_t t0 = amphi_mono_ns(), last = 0;
	for (int i = 0; i < 4; i++) {
		CHECK(check_once(fd, port, "frsh", pwd));
		last = amphi_mono_ns();
		usleep(CONSENT_S * 1000000 / 4);
	}
	/* ICE restart: the old credentials get 401 at once, the new ones work. */
	rep = ctl(json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "cmd", "webrtc.restart", "stream", "s4", "id", "fresh",
	                    "ice", "ufrag", "frs2", "pwd", "Consent0Check0Pwd00002"));
	CHECK(ok_of(rep));
	json_decref(rep);
	rep = ctl(json_pack("{s:s,s:s,s:s,s:{s:s,s:s}}", "cmd", "webrtc.restart", "stream", "s4", "id", "fresh",
	                    "ice", "ufrag", "frs3", "pwd", "short"));
	CHECK(strstr(err_of(rep), "ice.pwd") != NULL);
	json_decref(rep);
	CHECK(!check_once(fd, port, "frsh", pwd));
	CHECK(check_once(fd, port, "frs2", "Consent0Check0Pwd00002"));
	last = amphi_mono_ns();
	/* ghost: CONSENT_S after it was added; fresh: CONSENT_S after its last check. */
	while (amphi_mono_ns() < t0 + (CONSENT_S + 1) * 1000000000LL)
		usleep(100000);
	json_t *l = ctl(json_pack("{s:s,s:s}", "cmd", "webrtc.list", "stream", "s4")), *pe;
	size_t i;
	bool ghost = false, fresh = false;
	json_array_foreach(json_object_get(l, "peers"), i, pe) {
		ghost |= !strcmp(json_string_value(json_object_get(pe, "id")), "ghost");
		fresh |= !strcmp(json_string_value(json_object_get(pe, "id")), "fresh");
	}
	json_decref(l);
	CHECK(!ghost);   /* expired at CONSENT_S */
	CHECK(fresh);    /* its last check was < CONSENT_S ago */
	while (amphi_mono_ns() < last + (CONSENT_S + 1) * 1000000000LL)
		usleep(100000);
	rep = ctl(json_pack("{s:s,s:s,s:s}", "cmd", "webrtc.remove", "stream", "s4", "id", "fresh"));
	CHECK_STR(err_of(rep), "no such peer");
	json_decref(rep);
	CHECK_INT(wsum("consent_expired") - exp0, >=, 2);
	CHECK_INT(wsum("webrtc_peers"), ==, 0);
	json_t *sl = ctl(json_pack("{s:s}", "cmd", "stream.list"));
	CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(sl, "streams"), 0), "viewers")), ==, 0);
	json_decref(sl);
	rep = ctl(json_pack("{s:s,s:s}", "cmd", "stream.delete", "id", "s4"));
	CHECK(ok_of(rep));
	json_decref(rep);
	close(fd);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (system("command -v ffmpeg >/dev/null 2>&1") != 0)
		SKIP("ffmpeg is not installed");
	alarm(280);   /* a hung browser fails the test rather than the runner's timeout */
	signal(SIGPIPE, SIG_IGN);
	node_peer_start(&np, "tests/data/webrtc/relay-peers.js");
	if (!only || strstr("consent_expiry", only)) {
		relay_up(CONSENT_S);
		RUN(consent_expiry);
		relay_down();
	}
	relay_up(BROWSER_CONSENT_S);
	if (!only || strstr("chromium_publishes", only))
		RUN(chromium_publishes);
	if (!only || strstr("ffmpeg_publishes", only))
		RUN(ffmpeg_publishes);
	if (!only || strstr("wrong_ice_password", only))
		RUN(wrong_ice_password);
	if (!only || strstr("wrong_fingerprint", only))
		RUN(wrong_fingerprint);
	if (!only || strstr("h264_chromium_to_chromium", only))
		RUN(h264_chromium_to_chromium);
	node_peer_stop(&np);
	relay_down();
	return harness_done();
}
