// chromium-loop.js: the browser half of tests/unit/relay_webrtc_forward.c.
// One headless Chromium page holds two peer connections to the same UDP
// port (a relay worker's): a viewer (recvonly video + audio) and a publisher
// (fake camera + microphone, sendonly).  Reads one JSON line on stdin:
// {"address", "port", "fingerprint", "view": {"ufrag", "pwd"},
//  "pub": {"ufrag", "pwd"}}.  The viewer is set up first, then the
// publisher; each answer is the offer turned around by line edits as in
// chromium-publish.js, and the viewer's answer also announces the
// publisher's SSRCs (a=ssrc, a=ssrc-group, a=msid) in the m-section of the
// same kind, so what the test forwards unchanged is what the answer said.
// Writes {"offer", "who"} for each, {"who", "state"} on connection state
// changes, and every 100 ms {"frames", "audio"} (viewer framesDecoded,
// audio packetsReceived), until stdin closes.
const { openPage, say } = require('../chromium');
const readline = require('readline');

// Sections of an SDP: [session lines, [m-section lines]...].
function sections(sdp) {
	const out = [[]];
	for (const l of sdp.split('\r\n')) {
		if (l === '') continue;
		if (l.startsWith('m=')) out.push([]);
		out[out.length - 1].push(l);
	}
	return out;
}

function answer(offer, relay, creds, dir, ssrcLinesByKind) {
	const cand = `a=candidate:1 1 udp 2130706431 ${relay.address} ${relay.port} typ host`;
	const out = [];
	for (const sec of sections(offer)) {
		const kind = sec[0].startsWith('m=') ? sec[0].slice(2).split(' ')[0] : null;
		for (const l of sec) {
			if (/^a=(candidate|ice-options|ssrc|ssrc-group|msid|extmap-allow-mixed|msid-semantic)/.test(l))
				continue;
			if (l.startsWith('a=ice-ufrag:')) out.push('a=ice-ufrag:' + creds.ufrag);
			else if (l.startsWith('a=ice-pwd:')) out.push('a=ice-pwd:' + creds.pwd);
			else if (l.startsWith('a=fingerprint:')) out.push('a=fingerprint:' + relay.fingerprint);
			else if (l === 'a=setup:actpass') out.push('a=setup:passive', cand, 'a=end-of-candidates');
			else if (l === 'a=sendonly' || l === 'a=recvonly') out.push(dir);
			else out.push(l);
			if (l === 't=0 0') out.push('a=ice-lite');
		}
		if (kind && ssrcLinesByKind && ssrcLinesByKind[kind])
			out.push(...ssrcLinesByKind[kind]);
	}
	return out.join('\r\n') + '\r\n';
}

(async () => {
	const rl = readline.createInterface({ input: process.stdin });
	const lines = rl[Symbol.asyncIterator]();
	const relay = JSON.parse((await lines.next()).value);
	const { browser, page } = await openPage();
	await page.exposeFunction('report', (o) => say(o));

	const viewOffer = await page.evaluate(async () => {
		const pc = new RTCPeerConnection();
		window.view = pc;
		pc.onconnectionstatechange = () => window.report({ who: 'view', state: pc.connectionState });
		pc.addTransceiver('video', { direction: 'recvonly' });
		pc.addTransceiver('audio', { direction: 'recvonly' });
		await pc.setLocalDescription(await pc.createOffer());
		return pc.localDescription.sdp;
	});
	say({ who: 'view', offer: viewOffer });
	const pubOffer = await page.evaluate(async () => {
		const pc = new RTCPeerConnection();
		window.pub = pc;
		pc.onconnectionstatechange = () => window.report({ who: 'pub', state: pc.connectionState });
		const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
		for (const t of s.getTracks())
			pc.addTransceiver(t, { direction: 'sendonly', streams: [s] });
		await pc.setLocalDescription(await pc.createOffer());
		return pc.localDescription.sdp;
	});
	say({ who: 'pub', offer: pubOffer });

	const ssrcLines = {};
	for (const sec of sections(pubOffer).slice(1)) {
		const kind = sec[0].slice(2).split(' ')[0];
		ssrcLines[kind] = sec.filter((l) => /^a=(ssrc|ssrc-group|msid):/.test(l));
	}
	const err = await page.evaluate(async ([va, pa]) => {
		try {
			await window.view.setRemoteDescription({ type: 'answer', sdp: va });
			await window.pub.setRemoteDescription({ type: 'answer', sdp: pa });
		} catch (e) {
			return String(e);
		}
		setInterval(async () => {
			let frames = 0, audio = 0;
			(await window.view.getStats()).forEach((r) => {
				if (r.type === 'inbound-rtp' && r.kind === 'video') frames = r.framesDecoded || 0;
				if (r.type === 'inbound-rtp' && r.kind === 'audio') audio = r.packetsReceived || 0;
			});
			window.report({ frames, audio });
		}, 100);
		return null;
	}, [answer(viewOffer, relay, relay.view, 'a=sendonly', ssrcLines),
		answer(pubOffer, relay, relay.pub, 'a=recvonly', null)]);
	if (err)
		say({ error: err });
	await lines.next();   // until the test closes stdin
	await browser.close();
})().catch((e) => { say({ error: String(e) }); process.exit(1); });
