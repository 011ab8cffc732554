// whip-publish.js: a headless Chromium page publishes its fake camera and
// microphone to a webinar through WHIP (POST /whip/{id}, Bearer publish
// token), for tests that watch with something else (SDES viewers:
// tests/integration/webrtc_sdes_viewer.sh).  Chromium sends a keyframe only
// when asked (PLI), which is what those tests measure.
//
//   node whip-publish.js '{"url", "webinar", "publish"}'
//
// Writes {"event": "connected"} once the relay's DTLS is up, then
// {"event": "gone", "status"} after it DELETEs its session when stdin
// closes (or {"error"}).
const path = require('path');
const { openPage, say } = require(path.join(__dirname, '..', 'chromium.js'));

const cfg = JSON.parse(process.argv[2]);

(async () => {
	const { browser } = await openPage();
	// A document of amphi-control itself, as whip-session.js does: Chromium's
	// Local Network Access lets such a loopback page reach the loopback relay.
	const page = await (await browser.newContext()).newPage();
	await page.goto(cfg.url.replace('127.0.0.1', 'localhost') + '/healthz');
	const endpoint = `${cfg.url}/whip/${cfg.webinar}`;
	await page.evaluate(async ([endpoint, token]) => {
		const pc = window.pc = new RTCPeerConnection();
		const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
		for (const t of s.getTracks())
			pc.addTransceiver(t, { direction: 'sendonly', streams: [s] });
		await pc.setLocalDescription(await pc.createOffer());
		const r = await fetch(endpoint, { method: 'POST', body: pc.localDescription.sdp,
			headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + token } });
		const body = await r.text();
		if (r.status !== 201)
			throw new Error(`POST ${endpoint}: ${r.status} ${body}`);
		window.location_ = new URL(r.headers.get('Location'), endpoint).href;
		await pc.setRemoteDescription({ type: 'answer', sdp: body });
		await new Promise((ok, ko) => {
			const t = setTimeout(() => ko(new Error('not connected within 10 s')), 10000);
			const check = () => {
				if (pc.connectionState === 'connected') {
					clearTimeout(t);
					ok();
				}
			};
			pc.onconnectionstatechange = check;
			check();
		});
	}, [endpoint, cfg.publish]);
	say({ event: 'connected' });
	process.stdin.resume();
	await new Promise((r) => process.stdin.on('end', r));
	const status = await page.evaluate(async () => (await fetch(window.location_, { method: 'DELETE' })).status);
	say({ event: 'gone', status });
	await browser.close();
})().catch((e) => {
	say({ error: String(e && e.stack || e) });
	process.exit(1);
});
