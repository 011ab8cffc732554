// answer-check.js: the browser half of tests/unit/control_sdp_chromium.c.
// For each scenario it reads on stdin, a JSON line {"mode": "sendonly" |
// "recvonly" | "simulcast"}, it creates a fresh RTCPeerConnection in headless
// Chromium as capture.js does, writes {"offer": sdp} on stdout, reads
// {"answer": sdp} on stdin, applies it with setRemoteDescription and writes
// what Chromium made of it: {"ok": true, "transceivers": [{mid, kind,
// currentDirection, codecs: [{payloadType, mimeType, sdpFmtpLine}]}],
// "tracks": [{kind, stream}]} or {"ok": false, "error": "..."}.  The page
// keeps each connection open (so it goes on sending ICE checks to the
// answered candidate) until stdin closes.
const { openPage, say } = require('../chromium');
const readline = require('readline');

(async () => {
	const { browser, page } = await openPage();
	await page.evaluate(() => { window.pcs = []; });
	const rl = readline.createInterface({ input: process.stdin });
	const lines = rl[Symbol.asyncIterator]();
	for (;;) {
		const next = await lines.next();
		if (next.done)
			break;
		const { mode } = JSON.parse(next.value);
		const offer = await page.evaluate(async (m) => {
			const pc = new RTCPeerConnection();
			pc.tracks = [];
			pc.ontrack = (e) => pc.tracks.push({ kind: e.track.kind, stream: e.streams[0] ? e.streams[0].id : '' });
			window.pcs.push(pc);
			if (m === 'recvonly') {
				pc.addTransceiver('video', { direction: 'recvonly' });
				pc.addTransceiver('audio', { direction: 'recvonly' });
			} else {
				const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
				for (const t of s.getTracks()) {
					const init = { direction: 'sendonly', streams: [s] };
					if (m === 'simulcast' && t.kind === 'video')
						init.sendEncodings = [{ rid: 'h' }, { rid: 'm', scaleResolutionDownBy: 2 },
							{ rid: 'l', scaleResolutionDownBy: 4 }];
					pc.addTransceiver(t, init);
				}
			}
			await pc.setLocalDescription(await pc.createOffer());
			return pc.localDescription.sdp;
		}, mode);
		say({ offer });
		const reply = await lines.next();
		if (reply.done)
			break;
		const { answer } = JSON.parse(reply.value);
		const result = await page.evaluate(async (sdp) => {
			const pc = window.pcs[window.pcs.length - 1];
			try {
				await pc.setRemoteDescription({ type: 'answer', sdp });
			} catch (e) {
				return { ok: false, error: String(e) };
			}
			const transceivers = pc.getTransceivers().map((t) => {
				const p = t.currentDirection === 'recvonly' ? t.receiver.getParameters() : t.sender.getParameters();
				return { mid: t.mid, kind: t.receiver.track.kind, currentDirection: t.currentDirection,
					codecs: (p.codecs || []).map((c) => ({ payloadType: c.payloadType, mimeType: c.mimeType,
						sdpFmtpLine: c.sdpFmtpLine || '' })) };
			});
			return { ok: true, signalingState: pc.signalingState, transceivers, tracks: pc.tracks };
		}, answer);
		say(result);
	}
	await browser.close();
})().catch((e) => { process.stdout.write(JSON.stringify({ ok: false, error: String(e) }) + '\n'); process.exit(1); });
