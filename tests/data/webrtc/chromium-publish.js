// chromium-publish.js: the browser half of tests/unit/relay_webrtc_chromium.c.
// Reads one JSON line on stdin: {"ufrag", "pwd", "fingerprint", "address",
// "port"} (the relay side's ICE-lite credentials, its DTLS certificate
// fingerprint and its host candidate).  Headless Chromium offers its fake
// camera and microphone (sendonly), the offer goes to stdout as {"offer"};
// the answer is that offer turned around by plain line edits (ICE-lite,
// the given credentials, fingerprint, setup:passive, one host candidate,
// recvonly) -- control/sdp.c's own answers are tested against Chromium by
// control_sdp_chromium; here the point is the relay's STUN and DTLS.
// Then it writes {"state": ...} on every connectionState change until
// stdin closes.
const { openPage, say } = require('../chromium');
const readline = require('readline');

(async () => {
	const rl = readline.createInterface({ input: process.stdin });
	const lines = rl[Symbol.asyncIterator]();
	const relay = JSON.parse((await lines.next()).value);
	const { browser, page } = await openPage();
	await page.exposeFunction('report', (o) => say(o));
	const offer = await page.evaluate(async () => {
		const pc = new RTCPeerConnection();
		window.pc = pc;
		pc.onconnectionstatechange = () => window.report({ state: pc.connectionState });
		const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
		for (const t of s.getTracks())
			pc.addTransceiver(t, { direction: 'sendonly', streams: [s] });
		await pc.setLocalDescription(await pc.createOffer());
		return pc.localDescription.sdp;
	});
	say({ offer });
	const cand = `a=candidate:1 1 udp 2130706431 ${relay.address} ${relay.port} typ host`;
	const answer = [];
	for (const l of offer.split('\r\n')) {
		if (/^a=(candidate|ice-options|ssrc|ssrc-group|msid|extmap-allow-mixed|msid-semantic)/.test(l) || l === '')
			continue;
		if (l.startsWith('a=ice-ufrag:')) answer.push('a=ice-ufrag:' + relay.ufrag);
		else if (l.startsWith('a=ice-pwd:')) answer.push('a=ice-pwd:' + relay.pwd);
		else if (l.startsWith('a=fingerprint:')) answer.push('a=fingerprint:' + relay.fingerprint);
		else if (l === 'a=setup:actpass') answer.push('a=setup:passive', cand, 'a=end-of-candidates');
		else if (l === 'a=sendonly') answer.push('a=recvonly');
		else answer.push(l);
		if (l === 't=0 0') answer.push('a=ice-lite');
	}
	const err = await page.evaluate(async (sdp) => {
		try {
			await window.pc.setRemoteDescription({ type: 'answer', sdp });
			return null;
		} catch (e) {
			return String(e);
		}
	}, answer.join('\r\n') + '\r\n');
	if (err)
		say({ error: err });
	await lines.next();   // until the test closes stdin
	await browser.close();
})().catch((e) => { say({ error: String(e) }); process.exit(1); });
