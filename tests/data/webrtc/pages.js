// pages.js: what the Chromium pages of the WebRTC tests share (whip-session.js,
// libdatachannel-peers.js).  A page is a real document of amphi-control
// (/healthz) with publish(endpoint, token), view(endpoint, token) and leave()
// doing WHIP/WHEP with fetch() as a web page does, and window.st, a viewer's
// getStats() every 50 ms: frames decoded, audio packets received, the codecs.
const net = require('net');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One JSON-lines request to amphi-relay's control socket (docs/relay-control.md).
function relay(sock, req) {
	return new Promise((resolve) => {
		const c = net.createConnection(sock);
		let buf = '';
		c.on('connect', () => c.write(JSON.stringify(req) + '\n'));
		c.on('data', (d) => {
			buf += d;
			if (buf.includes('\n')) {
				c.end();
				resolve(JSON.parse(buf.slice(0, buf.indexOf('\n'))));
			}
		});
		c.on('error', (e) => resolve({ ok: false, error: String(e) }));
	});
}

// What every page gets: publish(), view(), leave(), and window.st kept
// fresh every 50 ms from getStats() for a viewer.
function pageSetup() {
	window.st = { frames: 0, audio: 0, audioCodec: '', keyframes: 0, plis: 0, codec: '', muted: null, state: 'new',
		firstFrameAt: 0, ttff: -1 };
	async function negotiate(pc, endpoint, token) {
		await pc.setLocalDescription(await pc.createOffer());
		const headers = { 'Content-Type': 'application/sdp' };
		if (token)
			headers.Authorization = 'Bearer ' + token;
		const r = await fetch(endpoint, { method: 'POST', headers, body: pc.localDescription.sdp });
		const body = await r.text();
		if (r.status !== 201)
			throw new Error(`POST ${endpoint}: ${r.status} ${body}`);
		window.location_ = new URL(r.headers.get('Location'), endpoint).href;
		window.etag = r.headers.get('ETag');
		await pc.setRemoteDescription({ type: 'answer', sdp: body });
		return { location: window.location_, etag: window.etag };
	}
	window.publish = async (endpoint, token) => {
		const pc = window.pc = new RTCPeerConnection();
		pc.onconnectionstatechange = () => { window.st.state = pc.connectionState; };
		const s = window.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
		for (const t of s.getTracks())
			pc.addTransceiver(t, { direction: 'sendonly', streams: [s] });
		return negotiate(pc, endpoint, token);
	};
	window.view = async (endpoint, token) => {
		const pc = window.pc = new RTCPeerConnection();
		const start = performance.now();
		pc.onconnectionstatechange = () => { window.st.state = pc.connectionState; };
		pc.ontrack = (e) => {
			if (e.track.kind === 'video') {
				window.vtrack = e.track;
				e.track.onmute = () => { window.st.mutedAt = Date.now(); };
			}
		};
		pc.addTransceiver('video', { direction: 'recvonly' });
		pc.addTransceiver('audio', { direction: 'recvonly' });
		const r = await negotiate(pc, endpoint, token);
		window.timer = setInterval(async () => {
			const st = window.st;
			const stats = await pc.getStats();
			stats.forEach((x) => {
				if (x.type === 'inbound-rtp' && x.kind === 'video') {
					st.frames = x.framesDecoded || 0;
					st.keyframes = x.keyFramesDecoded || 0;
					st.plis = x.pliCount || 0;
					const c = x.codecId && stats.get(x.codecId);
					st.codec = c ? c.mimeType : st.codec;
				}
				if (x.type === 'inbound-rtp' && x.kind === 'audio') {
					st.audio = x.packetsReceived || 0;
					const c = x.codecId && stats.get(x.codecId);
					st.audioCodec = c ? c.mimeType : st.audioCodec;
				}
			});
			st.muted = window.vtrack ? window.vtrack.muted : null;
			if (st.frames > 0 && st.ttff < 0) {
				st.ttff = Math.round(performance.now() - start);
				st.firstFrameAt = Date.now();
			}
		}, 50);
		return r;
	};
	// DELETE the session (RFC 9725 §4.2), then close the connection.
	window.leave = async () => {
		const r = await fetch(window.location_, { method: 'DELETE' });
		if (window.stream)
			window.stream.getTracks().forEach((t) => t.stop());
		window.pc.close();
		return r.status;
	};
}

// Each page is a real document of http://localhost:PORT (amphi-control's
// /healthz, so the page comes over the network from a loopback address, as
// Chromium's Local Network Access wants for loopback WebRTC and fetches),
// while the API is called as http://127.0.0.1:PORT: another origin, so
// every POST goes through a CORS preflight.  localhost is a secure context
// (getUserMedia).
async function newPage(browser, url) {
	const page = await (await browser.newContext()).newPage();
	await page.goto(url.replace('127.0.0.1', 'localhost') + '/healthz');
	await page.evaluate(pageSetup);
	return page;
}

const st = (page) => page.evaluate(() => window.st);

async function waitFor(what, limitMs, cond) {
	const end = Date.now() + limitMs;
	for (;;) {
		const v = await cond();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
		await sleep(100);
	}
}

module.exports = { relay, newPage, st, waitFor };
