// whip-cc.js: the browser half of tests/integration/webrtc_cc.sh.  Publisher
// page A (Chromium started through cfg.pub_chromium: a wrapper that runs it in
// the test's publisher network namespace, behind the veth the test shapes)
// publishes its fake 1280x720 camera at 30 fps through WHIP; viewer page V
// (another Chromium, the relay's namespace) watches through WHEP.  The HTTP
// goes through node (amphi-control listens where node is); media flows
// between the browsers and amphi-relay.
//
//   node whip-cc.js '{"url", "webinar", "publish", "join", "pub_chromium",
//                     "camera", "throttle", "unthrottle", "phase_s", "recover_s"}'
//
// Phases: "up" until A sends >= 1.5 Mbit/s at >= 25 fps with its estimate
// (availableOutgoingBitrate) >= 1.5 Mbit/s (at most 10 s); "bottleneck" for
// phase_s seconds after running cfg.throttle (a shell command); "recover"
// for recover_s seconds after cfg.unthrottle, ending early once A's estimate
// or its sent rate is back at >= 1.5 Mbit/s (each noted when it got there).  Every 100 ms: A's outbound video (bytes, frames,
// qualityLimitationReason, estimate, NACKs and PLIs received, packets
// retransmitted, RTT from the relay's report blocks) and V's decoded frames;
// every 500 ms one {"stats"} line.  Last line {"summary"} (or {"error"}).
const { chromium } = require('playwright-core');
const { execSync } = require('child_process');

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

// Offer from the page, POST by node, answer back to the page.
async function negotiate(page, role, token) {
	const offer = await page.evaluate(async (role) => {
		const pc = window.pc = new RTCPeerConnection();
		if (role === 'whip') {
			const s = await navigator.mediaDevices.getUserMedia({ audio: true,
				video: { width: 1280, height: 720, frameRate: 30 } });
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
	const r = await fetch(`${cfg.url}/${role}/${cfg.webinar}`, { method: 'POST', body: offer,
		headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + token } });
	const answer = await r.text();
	if (r.status !== 201)
		throw new Error(`POST /${role}: ${r.status} ${answer}`);
	await page.evaluate(async (sdp) => { await window.pc.setRemoteDescription({ type: 'answer', sdp }); }, answer);
	return answer;
}

const pubStats = (page) => page.evaluate(async () => {
	const o = { bytes: 0, frames: 0, qlr: '', w: 0, h: 0, bwe: 0, nacks: 0, retx: 0, plis: 0, rtt: 0 };
	for (const r of (await window.pc.getStats()).values()) {
		if (r.type === 'outbound-rtp' && r.kind === 'video')
			Object.assign(o, { bytes: r.bytesSent + (r.headerBytesSent || 0), frames: r.framesSent || 0,
				qlr: r.qualityLimitationReason, w: r.frameWidth || 0, h: r.frameHeight || 0,
				nacks: r.nackCount || 0, retx: r.retransmittedPacketsSent || 0, plis: r.pliCount || 0 });
		if (r.type === 'candidate-pair' && r.nominated && r.availableOutgoingBitrate)
			o.bwe = r.availableOutgoingBitrate;
		if (r.type === 'remote-inbound-rtp' && r.kind === 'video')
			o.rtt = r.roundTripTime || 0;
	}
	return o;
});
const viewStats = (page) => page.evaluate(async () => {
	for (const r of (await window.pc.getStats()).values())
		if (r.type === 'inbound-rtp' && r.kind === 'video')
			return { decoded: r.framesDecoded || 0, freezes: r.freezeCount || 0,
				freeze_s: r.totalFreezesDuration || 0 };
	return { decoded: 0, freezes: 0, freeze_s: 0 };
});

(async () => {
	let A, V;
	try {
		A = await open(cfg.pub_chromium, cfg.camera ? ['--use-file-for-fake-video-capture=' + cfg.camera] : []);
		V = await open('/usr/bin/chromium');
		const answer = await negotiate(A.page, 'whip', cfg.publish);
		await negotiate(V.page, 'whep', cfg.join);
		const samples = [];   /* {t, phase, bytes, frames, qlr, decoded, freezes, freeze_s} */
		const t0 = Date.now();
		let phase = 'up', phaseAt = t0, upOk = null, recovered = null, recoveredBwe = null, lastSay = 0;
		/* bit/s and frames/s over the last second of samples */
		const rate = () => {
			const now = samples[samples.length - 1];
			let old = now;
			for (let i = samples.length - 1; i >= 0 && now.t - samples[i].t <= 1000; i--)
				old = samples[i];
			const dt = (now.t - old.t) / 1000;
			return dt < 0.5 ? { bps: 0, fps: 0 } :
				{ bps: 8 * (now.bytes - old.bytes) / dt, fps: (now.frames - old.frames) / dt };
		};
		for (;;) {
			const [p, v] = await Promise.all([pubStats(A.page), viewStats(V.page)]);
			const now = Date.now();
			samples.push({ t: now - t0, phase, ...p, ...v });
			const r = rate(), since = now - phaseAt;
			if (now - lastSay >= 500) {
				lastSay = now;
				say({ stats: { t: now - t0, phase, kbps: Math.round(r.bps / 1000), fps: Math.round(r.fps),
					bwe_kbps: Math.round(p.bwe / 1000),
					qlr: p.qlr, w: p.w, h: p.h, decoded: v.decoded, freezes: v.freezes,
					nacks: p.nacks, retx: p.retx, plis: p.plis, rtt: p.rtt } });
			}
			if (phase === 'up') {
				const connected = samples.find((s) => s.bytes > 0);
				if (r.bps >= 1.5e6 && r.fps >= 25 && p.bwe >= 1.5e6 && !upOk)
					upOk = { t: now - (connected ? connected.t + t0 : t0), kbps: Math.round(r.bps / 1000),
						fps: Math.round(r.fps), bwe_kbps: Math.round(p.bwe / 1000), qlr: p.qlr, w: p.w, h: p.h };
				if (upOk || (connected && now - t0 - connected.t > 10000)) {
					execSync(cfg.throttle);
					phase = 'bottleneck';
					phaseAt = now;
				}
			} else if (phase === 'bottleneck' && since >= cfg.phase_s * 1000) {
				execSync(cfg.unthrottle);
				phase = 'recover';
				phaseAt = now;
			} else if (phase === 'recover') {
				if (r.bps >= 1.5e6 && samples.some((s) => s.phase === 'recover' && now - t0 - s.t >= 1000))
					recovered = { t: since, kbps: Math.round(r.bps / 1000), fps: Math.round(r.fps) };
				if (p.bwe >= 1.5e6 && !recoveredBwe)
					recoveredBwe = { t: since, bwe_kbps: Math.round(p.bwe / 1000), kbps: Math.round(r.bps / 1000),
						w: p.w, h: p.h };
				if (recovered || recoveredBwe || since > cfg.recover_s * 1000)
					break;
			}
			await sleep(100);
		}
		/* The viewer: the longest time without a newly decoded frame, per phase. */
		const stall = {};
		let last = null;
		for (const s of samples) {
			if (last && s.decoded > last.decoded)
				last = s;
			if (!last && s.decoded > 0)
				last = s;
			if (last)
				stall[s.phase] = Math.max(stall[s.phase] || 0, s.t - last.t);
		}
		/* A's rate over the bottleneck's second half. */
		const bn = samples.filter((s) => s.phase === 'bottleneck');
		const half = bn.filter((s) => s.t >= bn[0].t + (bn[bn.length - 1].t - bn[0].t) / 2);
		const f = samples[samples.length - 1];
		const bwe = (ph) => Math.round((samples.filter((s) => s.phase === ph).pop() || { bwe: 0 }).bwe / 1000);
		say({ summary: {
			answer_b: (answer.match(/^b=.*$/mg) || []).map((l) => l.trim()),
			answer_fmtp: (answer.match(/^a=fmtp:.*$/mg) || []).map((l) => l.trim()).join(' '),
			rtt_ms: Math.round(1000 * Math.max(0, ...samples.map((s) => s.rtt))),
			up: upOk, recovered, recovered_bwe: recoveredBwe,
			bottleneck_kbps: half.length > 1 ? Math.round(8 * (half[half.length - 1].bytes - half[0].bytes) /
				(half[half.length - 1].t - half[0].t)) : -1,
			max_stall_ms: stall, freezes: f.freezes, freeze_s: f.freeze_s, decoded: f.decoded,
			bwe_kbps_end: { up: bwe('up'), bottleneck: bwe('bottleneck'), recover: bwe('recover') },
			qlr_up_end: (samples.filter((s) => s.phase === 'up').pop() || {}).qlr,
			wall_ms: Date.now() - t0 } });
	} catch (e) {
		say({ error: String(e && e.stack || e) });
	}
	await Promise.race([Promise.all([A, V].filter(Boolean).map((b) => b.browser.close())), sleep(3000)]);
	process.exit(0);
})();
