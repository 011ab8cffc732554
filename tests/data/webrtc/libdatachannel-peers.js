// libdatachannel-peers.js: the peers of tests/integration/webrtc_libdatachannel.sh.
//   node libdatachannel-peers.js '{"url", "relay", "window", "h264", "ogg",
//                                   "obs": {"webinar", "publish", "join"},
//                                   "browser": {"webinar", "publish", "join"}}'
// Two sessions at once, each between node-datachannel (libdatachannel: the
// stack of OBS Studio's WHIP output; its offers carry no a=extmap at all) and
// headless Chromium:
//   - "obs": a node-datachannel WHIP publisher built like OBS's whip-output
//     (sendonly Opus then H.264 sections with a=ssrc cname/msid,
//     H264RtpPacketizer and an Opus RtpPacketizer, each chained with an
//     RtcpSrReporter and an RtcpNackResponder), fed in real time with the
//     H.264 Annex-B access units of "h264" (split at its AUDs, 25 fps) and
//     the Opus packets of the Ogg file "ogg" (20 ms), both looped; a Chromium
//     page watches it through WHEP;
//   - "browser": a Chromium page publishes its fake camera and microphone
//     through WHIP; a receive-only node-datachannel peer watches it through
//     WHEP and counts RTP packets per track, video frames (marker bits), the
//     SSRCs they came with and those carrying a header extension.
// Once both viewers have media, everything is counted over "window" seconds.
// Prints {"event"} lines, then one {"summary": {...}} (or {"error"}).
const path = require('path');
const fs = require('fs');
const ndc = require('node-datachannel');
const { openPage, say } = require(path.join(__dirname, '..', 'chromium.js'));
const pages = require(path.join(__dirname, 'pages.js'));

const cfg = JSON.parse(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const since = () => Date.now() - t0;
const keep = [];   // node-datachannel objects the garbage collector must not close
const FPS = 25;

// Each H.264 access unit of an Annex-B stream written with x264's aud=1:
// from one access unit delimiter (NAL type 9) to the next.
function accessUnits(buf) {
	const starts = [];
	for (let i = 0; i + 4 < buf.length; i++)
		if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1 && (buf[i + 3] & 0x1f) === 9)
			starts.push(i > 0 && buf[i - 1] === 0 ? i - 1 : i);
	return starts.map((s, k) => buf.subarray(s, k + 1 < starts.length ? starts[k + 1] : buf.length));
}

// The packets of an Ogg Opus file (RFC 7845), without OpusHead and OpusTags.
function oggPackets(buf) {
	const out = [];
	let pos = 0, cur = [];
	while (pos + 27 <= buf.length && buf.toString('latin1', pos, pos + 4) === 'OggS') {
		const nseg = buf[pos + 26];
		let p = pos + 27 + nseg;
		for (const len of buf.subarray(pos + 27, pos + 27 + nseg)) {
			cur.push(buf.subarray(p, p + len));
			p += len;
			if (len < 255) {
				out.push(Buffer.concat(cur));
				cur = [];
			}
		}
		pos = p;
	}
	return out.slice(2);
}

async function post(url, token, offer) {
	const headers = { 'Content-Type': 'application/sdp' };
	if (token)
		headers.Authorization = 'Bearer ' + token;
	const r = await fetch(url, { method: 'POST', headers, body: offer });
	const body = await r.text();
	if (r.status !== 201)
		throw new Error(`POST ${url}: ${r.status} ${body}`);
	return { location: new URL(r.headers.get('Location'), url).href, answer: body };
}

function localOffer(pc) {
	return new Promise((res) => {
		pc.onGatheringStateChange((s) => { if (s === 'complete') res(pc.localDescription().sdp); });
		pc.setLocalDescription();
	});
}

// A packetizer chained as OBS's whip-output chains it.
function sender(track, packetizer) {
	packetizer.addToChain(new ndc.RtcpSrReporter(packetizer.rtpConfig));
	packetizer.addToChain(new ndc.RtcpNackResponder());
	track.setMediaHandler(packetizer);
	keep.push(packetizer);
}

// The OBS-like publisher: its WHIP answer, and counters of what it sent.
async function obsPublisher() {
	const p = { videoSent: 0, audioSent: 0, open: false };
	const pc = new ndc.PeerConnection('obs', { iceServers: [] });
	const ssrc = 0x5eed0000 + Math.floor(Math.random() * 0xffff), cname = 'obs-' + ssrc;
	const a = new ndc.Audio('0', 'SendOnly');
	a.addOpusCodec(111);
	a.addSSRC(ssrc, cname, 'obs-stream', 'obs-audio');
	const v = new ndc.Video('1', 'SendOnly');
	v.addH264Codec(96);
	v.addSSRC(ssrc + 1, cname, 'obs-stream', 'obs-video');
	const at = pc.addTrack(a), vt = pc.addTrack(v);
	const acfg = new ndc.RtpPacketizationConfig(ssrc, cname, 111, 48000);
	const vcfg = new ndc.RtpPacketizationConfig(ssrc + 1, cname, 96, 90000);
	sender(at, new ndc.RtpPacketizer(acfg));
	sender(vt, new ndc.H264RtpPacketizer('StartSequence', vcfg));
	keep.push(pc, a, v, at, vt, acfg, vcfg);
	const offer = await localOffer(pc);
	p.offerHasExtmap = offer.includes('a=extmap');
	const r = await post(`${cfg.url}/whip/${cfg.obs.webinar}`, cfg.obs.publish, offer);
	p.answerHasExtmap = r.answer.includes('a=extmap');
	p.location = r.location;
	pc.setRemoteDescription(r.answer, 'answer');

	const aus = accessUnits(fs.readFileSync(cfg.h264)), opus = oggPackets(fs.readFileSync(cfg.ogg));
	if (!aus.length || !opus.length)
		throw new Error(`no media: ${aus.length} access units, ${opus.length} Opus packets`);
	vt.onOpen(() => {
		const t0 = Date.now();
		p.open = true;
		// In real time, whatever the timer's jitter: every frame due is sent.
		p.timer = setInterval(() => {
			const due = Date.now() - t0;
			while (p.videoSent * 1000 / FPS <= due) {
				vcfg.timestamp = (p.videoSent * 90000 / FPS) >>> 0;
				vt.sendMessageBinary(aus[p.videoSent % aus.length]);
				p.videoSent++;
			}
			while (p.audioSent * 20 <= due) {
				acfg.timestamp = (p.audioSent * 960) >>> 0;
				at.sendMessageBinary(opus[p.audioSent % opus.length]);
				p.audioSent++;
			}
		}, 10);
	});
	return p;
}

// The receive-only node-datachannel WHEP viewer (VP8 or H.264 and Opus).
async function ndcViewer(codec) {
	const n = { video: 0, audio: 0, frames: 0, withExt: 0, ssrcs: {} };
	const pc = new ndc.PeerConnection('viewer', { iceServers: [] });
	const v = new ndc.Video('0', 'RecvOnly');
	if (codec === 'vp8')
		v.addVP8Codec(96);
	else
		v.addH264Codec(96);
	const a = new ndc.Audio('1', 'RecvOnly');
	a.addOpusCodec(111);
	const vt = pc.addTrack(v), at = pc.addTrack(a);
	keep.push(pc, v, a, vt, at);
	const rtp = (m) => m.length >= 12 && (m[0] >> 6) === 2 && !((m[1] & 0x7f) >= 64 && (m[1] & 0x7f) < 96);
	const count = (m) => {
		const s = m.readUInt32BE(8);
		n.ssrcs[s] = (n.ssrcs[s] || 0) + 1;
		n.withExt += (m[0] >> 4) & 1;
	};
	vt.onMessage((m) => {
		if (rtp(m)) {
			n.video++;
			n.frames += m[1] >> 7;   // the marker ends each video frame
			count(m);
		}
	});
	at.onMessage((m) => {
		if (rtp(m)) {
			n.audio++;
			count(m);
		}
	});
	pc.onStateChange((s) => { n.state = s; });
	const offer = await localOffer(pc);
	n.offerHasExtmap = offer.includes('a=extmap');
	const r = await post(`${cfg.url}/whep/${cfg.browser.webinar}`, cfg.browser.join, offer);
	n.answerHasExtmap = r.answer.includes('a=extmap');
	n.announced = [...r.answer.matchAll(/^a=ssrc:(\d+) cname:/gm)].map((x) => +x[1]);
	n.location = r.location;
	pc.setRemoteDescription(r.answer, 'answer');
	return n;
}

async function framesSent(page) {
	return page.evaluate(async () => {
		let f = 0;
		(await window.pc.getStats()).forEach((x) => {
			if (x.type === 'outbound-rtp' && x.kind === 'video')
				f = x.framesSent || 0;
		});
		return f;
	});
}

(async () => {
	const W = cfg.window;
	const [{ browser }, obs] = await Promise.all([openPage(), obsPublisher()]);
	say({ t: since(), event: 'browser started, obs publisher answered' });
	const view = async () => {
		const V = await pages.newPage(browser, cfg.url);
		await V.evaluate(([e, t]) => window.view(e, t), [`${cfg.url}/whep/${cfg.obs.webinar}`, cfg.obs.join]);
		return V;
	};
	const publish = async () => {
		const C = await pages.newPage(browser, cfg.url);
		await C.evaluate(([e, t]) => window.publish(e, t), [`${cfg.url}/whip/${cfg.browser.webinar}`, cfg.browser.publish]);
		return C;
	};
	const [V, C] = await Promise.all([view(), publish()]);
	const N = await ndcViewer(cfg.browser.codec);
	say({ t: since(), event: 'browser publisher and node-datachannel viewer answered' });
	await pages.waitFor('the Chromium viewer decodes the obs publisher', 15000,
		async () => (await pages.st(V)).frames > 0);
	await pages.waitFor('the node-datachannel viewer gets video frames', 15000, async () => N.frames > 0);
	say({ t: since(), event: 'both viewers have media' });

	const v0 = await pages.st(V), o0 = { ...obs }, n0 = { ...N }, c0 = await framesSent(C);
	await sleep(W * 1000);
	const v1 = await pages.st(V), c1 = await framesSent(C);
	const sum = {
		window_s: W,
		obs: {
			offer_has_extmap: obs.offerHasExtmap, answer_has_extmap: obs.answerHasExtmap,
			frames_sent: obs.videoSent - o0.videoSent, audio_sent: obs.audioSent - o0.audioSent,
		},
		chromium_viewer: {
			frames: v1.frames - v0.frames, codec: v1.codec,
			audio: v1.audio - v0.audio, audio_codec: v1.audioCodec,
		},
		chromium_publisher: { frames_sent: c1 - c0 },
		ndc_viewer: {
			offer_has_extmap: N.offerHasExtmap, answer_has_extmap: N.answerHasExtmap,
			frames: N.frames - n0.frames, video: N.video - n0.video, audio: N.audio - n0.audio,
			with_extension: N.withExt, announced: N.announced,
			ssrcs: Object.keys(N.ssrcs).map(Number),
		},
		peers: {
			obs: await pages.relay(cfg.relay, { cmd: 'webrtc.list', stream: `webinar-${cfg.obs.webinar}` }),
			browser: await pages.relay(cfg.relay, { cmd: 'webrtc.list', stream: `webinar-${cfg.browser.webinar}` }),
		},
	};
	clearInterval(obs.timer);
	for (const loc of [obs.location, N.location])
		await fetch(loc, { method: 'DELETE' });
	await V.evaluate(() => window.leave());
	await C.evaluate(() => window.leave());
	say({ t: since(), event: 'counted and left' });
	say({ summary: sum });
	await browser.close();
	process.exit(0);   // no cleanup(): it crashes at exit
})().catch((e) => { say({ error: String(e && e.stack || e) }); process.exit(1); });
