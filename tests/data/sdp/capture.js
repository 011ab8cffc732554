// capture.js: regenerates the Chromium offers under tests/data/sdp/ that the
// SDP unit tests (tests/unit/control_sdp.c) parse.  Run it inside a network
// namespace with only loopback up, so the offers carry no address of the
// machine:
//   unshare -n sh -c 'ip link set lo up && \
//     NODE_PATH=/var/cache/amphi/node/node_modules node tests/data/sdp/capture.js tests/data/sdp'
// It writes chromium-sendonly.sdp (fake camera + microphone, what a WHIP
// publisher offers) and chromium-recvonly.sdp (video + audio transceivers,
// what a WHEP viewer offers) and chromium-simulcast.sdp (the camera sent as
// three rid layers: a=rid / a=simulcast lines), each after ICE gathering completed so the
// offer carries its host candidates.
const { openPage } = require('../chromium');
const fs = require('fs');
const path = require('path');

const outDir = process.argv[2] || '.';

async function offer(page, mode) {
	return page.evaluate(async (m) => {
		const pc = new RTCPeerConnection();
		if (m === 'sendonly' || m === 'simulcast') {
			const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
			for (const t of s.getTracks()) {
				const init = { direction: 'sendonly', streams: [s] };
				if (m === 'simulcast' && t.kind === 'video')
					init.sendEncodings = [{ rid: 'h' }, { rid: 'm', scaleResolutionDownBy: 2 },
						{ rid: 'l', scaleResolutionDownBy: 4 }];
				pc.addTransceiver(t, init);
			}
		} else {
			pc.addTransceiver('video', { direction: 'recvonly' });
			pc.addTransceiver('audio', { direction: 'recvonly' });
		}
		const done = new Promise((r) => {
			pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
		});
		await pc.setLocalDescription(await pc.createOffer());
		await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
		return pc.localDescription.sdp;
	}, mode);
}

(async () => {
	const { browser, page } = await openPage();
	for (const mode of ['sendonly', 'recvonly', 'simulcast']) {
		const sdp = await offer(page, mode);
		fs.writeFileSync(path.join(outDir, `chromium-${mode}.sdp`), sdp);
		console.log(`chromium-${mode}.sdp: ${sdp.length} bytes`);
	}
	await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
