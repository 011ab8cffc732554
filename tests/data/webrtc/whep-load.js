// whep-load.js: the independent side of tests/integration/webrtc_load.sh.
//   node whep-load.js WHEP_URL PEERS WINDOW_S RELAY_SOCKET
// One headless Chromium viewer and PEERS receive-only node-datachannel peers
// (libdatachannel: another WebRTC stack than amphi-bench's) on one real WHEP
// endpoint.  Chromium watches first; its getStats() over WINDOW_S seconds is
// the baseline.  Then the peers join (10 at a time), and over the next
// WINDOW_S seconds every peer's RTP packets (audio and video apart) and
// Chromium's stats again are counted, with the packets the relay took in from
// the publisher meanwhile (its control socket's "stats", streams[].pkts_in),
// so that each peer's share of what was published can be compared with
// amphi-bench's whatever the publisher managed on a loaded machine.  Prints
// one JSON object, then ends
// every WHEP session (DELETE) and exits.
//
// node-datachannel quirks (FIELD-NOTES): every track object is kept (the
// garbage collector would close it), cleanup() is never called (it crashes
// at exit), and the offer gets the sdes:mid extmap that libdatachannel does
// not offer on its own, so the relay writes each peer's extension as it does
// a browser's (offers without it: webrtc_libdatachannel.sh).  The answers
// carry their candidates, so there are no trickled candidates to queue.
const ndc = require('node-datachannel');
const { openPage, say } = require('../chromium');

const net = require('net');

const [url, nPeers, windowS, relaySock] = [process.argv[2], +process.argv[3], +process.argv[4], process.argv[5]];
const MID_EXT = 'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(offer) {
	const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: offer });
	return { status: r.status, location: r.headers.get('location'), sdp: await r.text() };
}

// RTP, not RTCP (RFC 5761: payload types 64..95 with the marker bit are RTCP)
const isRtp = (m) => m.length >= 12 && (m[0] >> 6) === 2 && !((m[1] & 0x7f) >= 64 && (m[1] & 0x7f) < 96);

async function makePeer(i) {
	const pc = new ndc.PeerConnection('p' + i, { iceServers: [] });
	const v = new ndc.Video('0', 'RecvOnly');
	v.addVP8Codec(96);
	v.parseSdpLine(MID_EXT);
	const a = new ndc.Audio('1', 'RecvOnly');
	a.addOpusCodec(111);
	a.parseSdpLine(MID_EXT);
	const p = { pc, v, a, video: 0, audio: 0, frames: 0, state: 'new', location: null, status: 0 };
	p.vt = pc.addTrack(v);
	p.at = pc.addTrack(a);
	p.vt.onMessage((m) => {
		if (isRtp(m)) {
			p.video++;
			p.frames += m[1] >> 7;      // the marker ends each video frame (RFC 7741)
		}
	});
	p.at.onMessage((m) => { if (isRtp(m)) p.audio++; });
	pc.onStateChange((s) => { p.state = s; });
	const offer = await new Promise((res) => {
		pc.onGatheringStateChange((s) => { if (s === 'complete') res(pc.localDescription().sdp); });
		pc.setLocalDescription();
	});
	const r = await post(offer);
	p.status = r.status;
	if (r.status !== 201)
		return p;
	p.location = r.location;
	pc.setRemoteDescription(r.sdp, 'answer');
	return p;
}

// Authenticated RTP packets the relay received from publishers, all streams.
function relayPktsIn() {
	return new Promise((resolve, reject) => {
		const c = net.createConnection(relaySock, () => c.write('{"cmd":"stats"}\n'));
		let buf = '';
		c.on('data', (d) => {
			buf += d;
			const nl = buf.indexOf('\n');
			if (nl < 0)
				return;
			c.end();
			const st = JSON.parse(buf.slice(0, nl));
			resolve(st.streams.reduce((a, s) => a + s.pkts_in, 0));
		});
		c.on('error', reject);
	});
}

async function chromiumStats(page) {
	return page.evaluate(async () => {
		const o = { frames: 0, freezes: 0, dropped: 0, lost: 0, packets: 0, audio: 0 };
		(await window.pc.getStats()).forEach((r) => {
			if (r.type === 'inbound-rtp' && r.kind === 'video') {
				o.frames = r.framesDecoded || 0;
				o.freezes = r.freezeCount || 0;
				o.dropped = r.framesDropped || 0;
				o.lost += r.packetsLost || 0;
				o.packets += r.packetsReceived || 0;
			}
			if (r.type === 'inbound-rtp' && r.kind === 'audio') {
				o.audio = r.packetsReceived || 0;
				o.lost += r.packetsLost || 0;
			}
		});
		return o;
	});
}

// One measuring window of WINDOW_S seconds: Chromium's getStats(), every
// peer's counters and the relay's pkts_in, read back to back at each end.
async function measure(page, peers) {
	const snap = () => peers.map((p) => [p.video, p.audio, p.frames]);
	const ca = await chromiumStats(page), pa = snap(), ia = await relayPktsIn();
	await sleep(windowS * 1000);
	const cb = await chromiumStats(page), pb = snap(), ib = await relayPktsIn();
	const d = (k) => pb.map((x, i) => x[k] - pa[i][k]);
	return {
		chromium: { fps: (cb.frames - ca.frames) / windowS, frames: cb.frames - ca.frames,
			freezes: cb.freezes - ca.freezes, dropped: cb.dropped - ca.dropped,
			lost: cb.lost - ca.lost, packets: cb.packets - ca.packets + cb.audio - ca.audio },
		relay_pkts_in: ib - ia, video: d(0), audio: d(1), frames: d(2),
		packets: d(0).map((v, i) => v + d(1)[i]),
	};
}

async function end(sessions) {
	await Promise.all(sessions.filter((l) => l).map((l) =>
		fetch(new URL(l, url), { method: 'DELETE' }).catch(() => null)));
}

(async () => {
	const { page } = await openPage();
	const coffer = await page.evaluate(async () => {
		window.pc = new RTCPeerConnection();
		window.pc.addTransceiver('video', { direction: 'recvonly' });
		window.pc.addTransceiver('audio', { direction: 'recvonly' });
		await window.pc.setLocalDescription(await window.pc.createOffer());
		return window.pc.localDescription.sdp;
	});
	const cr = await post(coffer);
	if (cr.status !== 201)
		throw new Error('Chromium WHEP POST: ' + cr.status + ' ' + cr.sdp);
	await page.evaluate((sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), cr.sdp);
	const t0 = Date.now();
	while ((await chromiumStats(page)).frames < 10) {
		if (Date.now() - t0 > 20000)
			throw new Error('Chromium decoded no frames in 20 s');
		await sleep(100);
	}
	const firstFrameMs = Date.now() - t0;
	// the witness: peer 0 joins first and counts the frames published in
	// both windows, against which Chromium's decoded frames are judged
	const peers = [await makePeer(0)];
	while (peers[0].state !== 'connected' && Date.now() - t0 < 30000)
		await sleep(100);
	await sleep(1000);
	const baseline = await measure(page, peers);

	const joined = Date.now();
	for (let i = 1; i < nPeers; i += 10) {
		const batch = [];
		for (let k = i; k < Math.min(nPeers, i + 10); k++)
			batch.push(makePeer(k));
		peers.push(...(await Promise.all(batch)));
	}
	while (peers.some((p) => p.status === 201 && p.state !== 'connected') && Date.now() - joined < 30000)
		await sleep(100);
	const joinS = (Date.now() - joined) / 1000;
	await sleep(1000);      // every peer past its first keyframe request
	const load = await measure(page, peers);
	say({ peers: nPeers, posted: peers.filter((p) => p.status === 201).length,
		connected: peers.filter((p) => p.state === 'connected').length, join_s: joinS,
		window_s: windowS, first_frame_ms: firstFrameMs,
		baseline: { chromium: baseline.chromium, relay_pkts_in: baseline.relay_pkts_in,
			witness_frames: baseline.frames[0] },
		load: { chromium: load.chromium, relay_pkts_in: load.relay_pkts_in, witness_frames: load.frames[0],
			video: load.video, audio: load.audio, packets: load.packets } });
	await end([cr.location, ...peers.map((p) => p.location)]);
	process.exit(0);        // no cleanup(), no browser.close(): see above
})().catch((e) => { say({ error: String(e && e.stack || e) }); process.exit(1); });
