// capture-ndc.js: regenerates the libdatachannel offers under tests/data/sdp/
// (node-datachannel's bundled libdatachannel, the stack of OBS Studio's WHIP
// output) that the SDP unit tests parse.  Run it like capture.js:
//   unshare -n sh -c 'ip link set lo up && \
//     NODE_PATH=/var/cache/amphi/node/node_modules node tests/data/sdp/capture-ndc.js tests/data/sdp'
// It writes libdatachannel-sendonly.sdp (an OBS-like publisher: sendonly Opus
// in mid 0 and H.264 in mid 1, each with a=ssrc cname and msid) and
// libdatachannel-recvonly.sdp (a WHEP player: recvonly H.264 and Opus).
// Neither has an a=extmap line: libdatachannel offers no header extension.
const ndc = require('node-datachannel');
const fs = require('fs');
const path = require('path');

const outDir = process.argv[2] || '.';

function offer(pc) {
	return new Promise((res) => {
		pc.onGatheringStateChange((s) => { if (s === 'complete') res(pc.localDescription().sdp); });
		pc.setLocalDescription();
	});
}

async function main() {
	const keep = [];
	const pub = new ndc.PeerConnection('pub', { iceServers: [] });
	const a = new ndc.Audio('0', 'SendOnly');
	a.addOpusCodec(111);
	a.addSSRC(3735928559, 'obs-cname', 'obs-stream', 'obs-audio');
	const v = new ndc.Video('1', 'SendOnly');
	v.addH264Codec(96);
	v.addSSRC(3735928560, 'obs-cname', 'obs-stream', 'obs-video');
	keep.push(pub.addTrack(a), pub.addTrack(v));
	fs.writeFileSync(path.join(outDir, 'libdatachannel-sendonly.sdp'), await offer(pub));

	const view = new ndc.PeerConnection('view', { iceServers: [] });
	const rv = new ndc.Video('0', 'RecvOnly');
	rv.addH264Codec(96);
	const ra = new ndc.Audio('1', 'RecvOnly');
	ra.addOpusCodec(111);
	keep.push(view.addTrack(rv), view.addTrack(ra));
	fs.writeFileSync(path.join(outDir, 'libdatachannel-recvonly.sdp'), await offer(view));
	process.exit(0);   // no cleanup(): it crashes at exit
}
main();
