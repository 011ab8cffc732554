#!/usr/bin/env bash
# webrtc_browser: real headless Chromium through WHIP and WHEP against a real
# amphi-control and amphi-relay on loopback (tests/data/webrtc/whip-session.js),
# once with VP8 and once with H.264 as the webinar's codec.  Viewer B posts
# WHEP before anyone publishes; page A publishes its fake camera and
# microphone through WHIP; viewer C joins while A is live.  Both viewers must
# decode more than 100 frames of the webinar's codec and receive audio; the
# relay lists the three peers with an SRTP profile; B's DELETE removes it
# from the relay while C keeps decoding; after A's DELETE, C's frames stop.
# Time to first frame is printed (C: from its POST; B: from A's POST).  The
# VP8 webinar is recorded: the relay journals what the WHIP publisher sent.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
. "$(dirname "$0")/webrtc.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v socat >/dev/null || skip "socat is not installed"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built"
need_browser
webrtc_stack || { fail "the stack starts"; finish; }

# run CODEC RECORDING: one scenario; its summary in $T/sum-CODEC.json.
run() {
	local codec=$1 rec=$2 mime s
	check "$codec: a live webinar (recording $rec)" webrtc_webinar registration "$codec" "$rec"
	NODE_PATH=$NODE_DIR/node_modules timeout 150 node "$AMPHI_TOP/tests/data/webrtc/whip-session.js" \
		"$(jq -nc --arg u "$URL" --arg w "$W" --arg p "$PUB" --arg j "$JOIN" --arg r "$RELAY_SOCK" \
		'{url:$u,webinar:$w,publish:$p,join:$j,relay:$r,mode:"full"}')" >"$T/node-$codec.log" 2>&1
	grep -v '"stats"' "$T/node-$codec.log" | grep -v '^{"summary"' | head -n 20
	relay_ctl '{"cmd":"stats"}' | jq -c '[.workers[]|{worker,webrtc_peers,stun_ok,stun_rejected,dtls_ok,dtls_failed,unsupported,malformed}]' |
		sed 's/^/  relay workers: /'
	grep '^{"summary"' "$T/node-$codec.log" | jq -c .summary >"$T/sum-$codec.json"
	s=$T/sum-$codec.json
	check "$codec: the browser run finished" test -s "$s"
	[ -s "$s" ] || { tail -n 5 "$T/node-$codec.log"; return; }
	[ "$codec" = vp8 ] && mime=video/VP8 || mime=video/H264
	echo "  $codec: B $(jq -c '.B|{frames,audio,keyframes,plis,codec}' "$s"), C $(jq -c '.C|{frames,audio,keyframes,plis,codec}' "$s")"
	echo "  $codec: time to first frame: C $(jq .C.ttff "$s") ms after its POST; B $(jq .B_first_frame_after_publish_ms "$s") ms after A's POST"
	check "$codec: no frame reached B before anyone published" is "$(jq .B_frames_before_publish "$s")" 0
	check "$codec: B decoded > 100 frames and received audio" jt '.B.frames > 100 and .B.audio > 50' "$s"
	check "$codec: C decoded > 100 frames and received audio" jt '.C.frames > 100 and .C.audio > 50' "$s"
	check "$codec: both decoded $mime" is "$(jq -r '[.B.codec,.C.codec]|unique|join(",")' "$s")" "$mime"
	check "$codec: C's first frame within 5 s of its POST (no long black start)" jt '.C.ttff > 0 and .C.ttff < 5000' "$s"
	check "$codec: the relay held one publisher and two viewers, each with an SRTP profile" \
		jt '([.peers.peers[]|.role]|sort == ["publisher","viewer","viewer"]) and all(.peers.peers[]; .profile|test("AES"))' "$s"
	jq -c '[.peers.peers[]|{role,state,profile}]' "$s" | sed 's/^/  relay peers: /'
	check "$codec: B's DELETE: 200, and the relay let it go" \
		jt '.leaveB == 200 and ([.peers_after_B_left.peers[]|.role]|sort == ["publisher","viewer"])' "$s"
	check "$codec: C kept playing after B left (>= 10 frames in 3 s)" jt '.C_frames_3s_after_B_left >= 10' "$s"
	check "$codec: A's DELETE: 200, and C's frames stopped" jt '.leaveA == 200 and .C_frames_3s_after_A_left == 0' "$s"
	echo "  $codec: C's video track muted after A left: $(jq .C_muted_after_A_left "$s")"
	check "$codec: C's DELETE: 200" is "$(jq .leaveC "$s")" 200
	echo "ttff_ms codec=$codec C=$(jq .C.ttff "$s") B_after_publish=$(jq .B_first_frame_after_publish_ms "$s")" >>"$T/ttff"
}

run vp8 true
rec=$(relay_ctl '{"cmd":"stats"}' | jq --arg s "webinar-$W" '[.streams[]|select(.id==$s)|.recorded][0] // 0')
check "vp8: the relay recorded the WHIP publisher's packets ($rec)" test "$rec" -gt 500
req POST "/api/webinars/$W/end" '{}' "$T/o"
check "vp8: the end closes the journal into spool/ready" \
	wait_for 10 sh -c "ls '$T'/spool/ready/*.amj >/dev/null 2>&1"
run h264 false
cat "$T/ttff"
finish
