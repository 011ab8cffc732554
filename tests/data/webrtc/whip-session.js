// whip-session.js: the browser half of tests/integration/webrtc_browser.sh and
// webrtc_ffmpeg.sh.  Pages on http://localhost:PORT talk WHIP/WHEP to
// amphi-control as http://127.0.0.1:PORT (another origin: every POST goes
// through a CORS preflight, as a player embedded elsewhere would), with
// fetch() exactly as a web page does; the media flows to amphi-relay.
//
//   node whip-session.js '{"url", "webinar", "publish", "join", "relay", "mode"}'
//
// mode "full": viewer B posts WHEP before anyone publishes; page A publishes
// its fake camera and microphone through WHIP; viewer C joins while A is
// live; both play (getStats: framesDecoded, audio packetsReceived); B
// DELETEs its session and C keeps playing; A DELETEs and C's frames stop.
// mode "view": one viewer C watches a publisher the test started (ffmpeg).
// Writes JSON lines: {"event", ...} milestones, {"stats"} once a second,
// and last {"summary": {...}} (or {"error"}), which the shell test checks.
const path = require('path');
const { openPage, say } = require(path.join(__dirname, '..', 'chromium.js'));
const pages = require(path.join(__dirname, 'pages.js'));

const cfg = JSON.parse(process.argv[2]);
const t0 = Date.now();
const since = () => Date.now() - t0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const relay = (req) => pages.relay(cfg.relay, req);
const newPage = (browser) => pages.newPage(browser, cfg.url);
const { st, waitFor } = pages;

// Polls cond every 50 ms until it holds or limitMs pass; no error (the
// caller checks what it then measures).
async function until(limitMs, cond) {
	const end = Date.now() + limitMs;
	while (!(await cond()) && Date.now() < end)
		await sleep(50);
}

(async () => {
	const first = await openPage();
	const browser = first.browser;
	const whep = `${cfg.url}/whep/${cfg.webinar}`, whip = `${cfg.url}/whip/${cfg.webinar}`;
	const sum = {};
	let ticker;
	const C = await newPage(browser);
	if (cfg.mode === 'view') {
		await C.evaluate(([e, t]) => window.view(e, t), [whep, cfg.join]);
		ticker = setInterval(async () => say({ t: since(), stats: { C: await st(C) } }), 1000);
		await waitFor('C connected', 15000, async () => (await st(C)).state === 'connected');
		await waitFor('C: 100 frames and 50 audio packets', 40000,
			async () => { const s = await st(C); return s.frames > 100 && s.audio > 50; });
		sum.C = await st(C);
		sum.peers = await relay({ cmd: 'webrtc.list', stream: `webinar-${cfg.webinar}` });
		sum.leaveC = await C.evaluate(() => window.leave());
		clearInterval(ticker);
		say({ summary: sum });
		await browser.close();
		return;
	}
	// B before anyone publishes: the stream exists, nothing flows yet.
	const B = await newPage(browser);
	await B.evaluate(([e, t]) => window.view(e, t), [whep, cfg.join]);
	await waitFor('B connected', 15000, async () => (await st(B)).state === 'connected');
	say({ t: since(), event: 'B connected before the publisher' });
	ticker = setInterval(async () => say({ t: since(), stats: { B: await st(B), C: await st(C) } }), 1000);
	await sleep(1000);
	sum.B_frames_before_publish = (await st(B)).frames;

	const A = await newPage(browser);
	const publishAt = Date.now();
	await A.evaluate(([e, t]) => window.publish(e, t), [whip, cfg.publish]);
	await waitFor('A connected', 15000, async () => (await st(A)).state === 'connected');
	say({ t: since(), event: 'A publishing' });
	const b1 = await waitFor('B first frame', 15000, async () => { const s = await st(B); return s.frames > 0 && s; });
	sum.B_first_frame_after_publish_ms = b1.firstFrameAt - publishAt;

	await C.evaluate(([e, t]) => window.view(e, t), [whep, cfg.join]);
	await waitFor('C first frame', 15000, async () => (await st(C)).frames > 0);
	say({ t: since(), event: 'C playing' });
	await waitFor('B and C: 100 frames and 50 audio packets each', 40000, async () => {
		const b = await st(B), c = await st(C);
		return b.frames > 100 && c.frames > 100 && b.audio > 50 && c.audio > 50;
	});
	sum.B = await st(B);
	sum.C = await st(C);
	sum.peers = await relay({ cmd: 'webrtc.list', stream: `webinar-${cfg.webinar}` });

	sum.leaveB = await B.evaluate(() => window.leave());
	const c1 = (await st(C)).frames;
	await until(3000, async () => (await st(C)).frames - c1 >= 10);   // C goes on: 10 frames within 3 s
	sum.C_frames_3s_after_B_left = (await st(C)).frames - c1;
	sum.peers_after_B_left = await relay({ cmd: 'webrtc.list', stream: `webinar-${cfg.webinar}` });

	sum.leaveA = await A.evaluate(() => window.leave());
	// What was in flight drains: C's count has not moved for 500 ms (2 s at most).
	let last = -1, movedAt = Date.now();
	await until(2000, async () => {
		const f = (await st(C)).frames;
		if (f !== last) {
			last = f;
			movedAt = Date.now();
		}
		return Date.now() - movedAt >= 500;
	});
	const e1 = (await st(C)).frames;
	await sleep(3000);
	const e2 = await st(C);
	sum.C_frames_3s_after_A_left = e2.frames - e1;
	sum.C_muted_after_A_left = e2.muted;
	sum.leaveC = await C.evaluate(() => window.leave());
	clearInterval(ticker);
	say({ summary: sum });
	await browser.close();
})().catch((e) => { say({ error: String(e && e.stack || e) }); process.exit(1); });
