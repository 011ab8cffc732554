// whip-nack.js: the browser half of tests/integration/webrtc_nack.sh.  Publisher
// page A (Chromium started through cfg.pub_chromium: a wrapper that runs it in
// the test's publisher network namespace, whose veth loses packets) publishes
// its fake camera through WHIP; viewer page V (another Chromium, the relay's
// namespace) watches through WHEP.  Two runs on the same browsers, each on
// new peer connections once the file cfg.runs[i]
// appears (60 s at most): the browsers start while the test starts its stack,
// and the test restarts the relay between the runs.  Once V decodes, both
// are watched for cfg.seconds; then one {"summary": {run, pub, view,
// answer_rtx, answer_nack, view_answer_rtx}} line with A's outbound video counters
// (nackCount: NACKs it received, retransmittedPacketsSent) and V's inbound
// ones (freezes, frames dropped, packets lost, NACKs it sent, RTX packets it
// received: retransmittedPacketsReceived), as differences
// over the watched span, and V's longest time without a decoded frame
// (max_stall_ms); the peers close once the file's .done twin is there (the
// test has read the relay's per-viewer counts) or after 5 s.  {"error"} on failure.
//
//   node whip-nack.js '{"pub_chromium", "camera", "seconds", "runs": [file, file]}'
// with each file {url, webinar, publish, join}.
const { chromium } = require('playwright-core');
const fs = require('fs');

const cfg = JSON.parse(process.argv[2]);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const flags = ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream=fps=30',
	'--use-fake-ui-for-media-stream', '--disable-background-networking', '--disable-component-update',
	'--disable-sync', '--no-first-run'];

async function open(exe, extra) {
	const browser = await chromium.launch({ executablePath: exe, args: flags.concat(extra || []) });
	const page = await (await browser.newContext()).newPage();
	await page.route('http://localhost/', (r) => r.fulfill({ contentType: 'text/html', body: '<html></html>' }));
	await page.goto('http://localhost/');
	return { browser, page };
}

async function negotiate(page, role, c, token) {
	const offer = await page.evaluate(async (role) => {
		const pc = window.pc = new RTCPeerConnection();
		if (role === 'whip') {
			const s = await navigator.mediaDevices.getUserMedia({ audio: true,
				video: { width: 640, height: 360, frameRate: 30 } });
			for (const t of s.getTracks())
				pc.addTransceiver(t, { direction: 'sendonly', streams: [s] });
		} else {
			pc.addTransceiver('video', { direction: 'recvonly' });
			pc.addTransceiver('audio', { direction: 'recvonly' });
		}
		await pc.setLocalDescription(await pc.createOffer());
		await new Promise((r) => setTimeout(r, 200));   /* host candidates */
		return pc.localDescription.sdp;
	}, role);
	const r = await fetch(`${c.url}/${role}/${c.webinar}`, { method: 'POST', body: offer,
		headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + token } });
	const answer = await r.text();
	if (r.status !== 201)
		throw new Error(`POST /${role}: ${r.status} ${answer}`);
	await page.evaluate(async (sdp) => { await window.pc.setRemoteDescription({ type: 'answer', sdp }); }, answer);
	return answer;
}

const video = (page, type) => page.evaluate(async (type) => {
	for (const r of (await window.pc.getStats()).values())
		if (r.type === type && r.kind === 'video')
			return JSON.parse(JSON.stringify(r));
	return null;
}, type);

const PUB = ['packetsSent', 'nackCount', 'retransmittedPacketsSent', 'pliCount', 'framesSent'];
const VIEW = ['packetsReceived', 'packetsLost', 'nackCount', 'pliCount', 'freezeCount', 'totalFreezesDuration',
	'framesDecoded', 'framesDropped', 'framesReceived', 'retransmittedPacketsReceived'];
const diff = (a, b, keys) => Object.fromEntries(keys.map((k) => [k, +(((b && b[k]) || 0) - ((a && a[k]) || 0)).toFixed(3)]));

async function measure(A, V, c, run) {
	const answer = await negotiate(A.page, 'whip', c, c.publish);
	const vanswer = await negotiate(V.page, 'whep', c, c.join);
	const t0 = Date.now();
	let v0 = null;
	while (Date.now() - t0 < 10000) {
		v0 = await video(V.page, 'inbound-rtp');
		if (v0 && v0.framesDecoded > 0)
			break;
		await sleep(100);
	}
	if (!v0 || !v0.framesDecoded)
		throw new Error(`run ${run}: the viewer decoded nothing within 10 s`);
	const p0 = await video(A.page, 'outbound-rtp');
	/* the longest time without a newly decoded frame, polled every 100 ms:
	 * unlike freezeCount it counts a viewer stuck waiting for a keyframe */
	const t1 = Date.now();
	let last = { t: t1, decoded: v0.framesDecoded }, stall = 0, stall_at = null;
	while (Date.now() - t1 < cfg.seconds * 1000) {
		await sleep(100);
		const v = await video(V.page, 'inbound-rtp'), now = Date.now();
		if (v.framesDecoded > last.decoded)
			last = { t: now, decoded: v.framesDecoded };
		if (now - last.t > stall) {
			stall = now - last.t;
			stall_at = new Date(last.t).toISOString();
		}
	}
	const [p1, v1] = [await video(A.page, 'outbound-rtp'), await video(V.page, 'inbound-rtp')];
	say({ summary: { run, pub: diff(p0, p1, PUB), view: { ...diff(v0, v1, VIEW), max_stall_ms: stall, stall_from: stall_at },
		answer_rtx: /a=rtpmap:\d+ rtx\/90000/.test(answer), answer_nack: /a=rtcp-fb:\d+ nack\r?\n/.test(answer),
		view_answer_rtx: /a=rtpmap:\d+ rtx\/90000/.test(vanswer) && /a=ssrc-group:FID \d+ \d+/.test(vanswer) } });
	/* the test reads the viewer's counts off the relay before it goes */
	const t2 = Date.now();
	while (!fs.existsSync(cfg.runs[run - 1] + '.done') && Date.now() - t2 < 5000)
		await sleep(50);
	for (const pg of [A.page, V.page])
		await pg.evaluate(() => window.pc.close());
}

(async () => {
	let A, V;
	try {
		/* both at once: a browser takes 4-5 s to start at load 8 */
		[A, V] = await Promise.all([
			open(cfg.pub_chromium, cfg.camera ? ['--use-file-for-fake-video-capture=' + cfg.camera] : []),
			open('/usr/bin/chromium')]);
		for (let i = 0; i < cfg.runs.length; i++) {
			const t = Date.now();
			while (!fs.existsSync(cfg.runs[i]) && Date.now() - t < 60000)
				await sleep(100);
			await measure(A, V, JSON.parse(fs.readFileSync(cfg.runs[i], 'utf8')), i + 1);
		}
	} catch (e) {
		say({ error: String(e && e.stack || e) });
	}
	await Promise.race([Promise.all([A, V].filter(Boolean).map((b) => b.browser.close())), sleep(3000)]);
	process.exit(0);
})();
