// relay-peers.js: the browser half of tests/unit/relay_webrtc_live.c.  One
// headless Chromium page holds any number of named peer connections to a
// real amphi-relay; the C test is the control plane (it asks the relay for
// each peer with webrtc.add and builds the answer with control/sdp.c).
// Commands, one JSON line each on stdin:
//   {"cmd": "offer", "who": "pub1", "send": true}   camera + microphone, sendonly
//   {"cmd": "offer", "who": "view1"}                 recvonly video + audio
//   {"cmd": "answer", "who": ..., "sdp": ...}        then stats every 200 ms
//   {"cmd": "close", "who": ...}                     RTCPeerConnection.close()
// Events on stdout: {"who", "offer"}, {"who", "state"} on each
// connectionState change, {"who", "answered"} or {"who", "error"}, and
// every 200 ms {"who", "frames", "keyframes", "audio", "sent"} (viewers:
// framesDecoded, keyFramesDecoded and audio packetsReceived; publishers:
// packetsSent of video) until stdin closes.
const { openPage, say } = require('../chromium');
const readline = require('readline');

(async () => {
	// The iterator from the start: lines that arrive while the browser
	// starts are buffered by it (plain 'line' events would be lost).
	const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
	const { browser, page } = await openPage();
	await page.exposeFunction('report', (o) => say(o));
	await page.evaluate(() => {
		window.pcs = {};
		window.stats = async (who) => {
			const pc = window.pcs[who];
			const o = { who, frames: 0, keyframes: 0, audio: 0, sent: 0 };
			(await pc.getStats()).forEach((r) => {
				if (r.type === 'inbound-rtp' && r.kind === 'video') {
					o.frames = r.framesDecoded || 0;
					o.keyframes = r.keyFramesDecoded || 0;
				}
				if (r.type === 'inbound-rtp' && r.kind === 'audio') o.audio = r.packetsReceived || 0;
				if (r.type === 'outbound-rtp' && r.kind === 'video') o.sent += r.packetsSent || 0;
			});
			window.report(o);
		};
	});
	for (let next = await lines.next(); !next.done; next = await lines.next()) {
		const m = JSON.parse(next.value);
		if (m.cmd === 'offer') {
			const offer = await page.evaluate(async ([who, send]) => {
				const pc = new RTCPeerConnection();
				window.pcs[who] = pc;
				pc.onconnectionstatechange = () => window.report({ who, state: pc.connectionState });
				if (send) {
					const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
					for (const t of s.getTracks())
						pc.addTransceiver(t, { direction: 'sendonly', streams: [s] });
				} else {
					pc.addTransceiver('video', { direction: 'recvonly' });
					pc.addTransceiver('audio', { direction: 'recvonly' });
				}
				await pc.setLocalDescription(await pc.createOffer());
				return pc.localDescription.sdp;
			}, [m.who, !!m.send]);
			say({ who: m.who, offer });
		} else if (m.cmd === 'answer') {
			const err = await page.evaluate(async ([who, sdp]) => {
				try {
					await window.pcs[who].setRemoteDescription({ type: 'answer', sdp });
				} catch (e) {
					return String(e);
				}
				window.pcs[who].timer = setInterval(() => window.stats(who), 200);
				return null;
			}, [m.who, m.sdp]);
			say(err ? { who: m.who, error: err } : { who: m.who, answered: true });
		} else if (m.cmd === 'close') {
			await page.evaluate((who) => {
				clearInterval(window.pcs[who].timer);
				window.pcs[who].close();
			}, m.who);
		}
	}
	// stdin closed: the test is done.  A browser that does not close in
	// 5 s must not hold the test up.
	setTimeout(() => process.exit(0), 5000).unref();
	await browser.close();
})().catch((e) => { say({ error: String(e) }); process.exit(1); });
