#!/usr/bin/env bash
# webrtc_ffmpeg: mixed transports.  Real ffmpeg publishes VP8 + Opus over
# SDES-SRTP with the keys amphi-control hands out
# (POST /api/webinars/{id}/ingest/srtp), and a real headless Chromium page
# watches through WHEP (tests/data/webrtc/whip-session.js, mode "view"):
# it must decode more than 100 VP8 frames and receive audio; its time to
# first frame is printed.  ffmpeg ignores PLI, so it sends a keyframe every
# 20 frames (-g 20).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
. "$(dirname "$0")/webrtc.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v socat >/dev/null || skip "socat is not installed"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built"
need_browser
webrtc_stack || { fail "the stack starts"; finish; }
check "a live VP8 webinar" webrtc_webinar registration vp8 false

curl -s -o "$T/out" -w '%{http_code}' -X POST -H "Authorization: Bearer $PUB" "$URL/api/webinars/$W/ingest/srtp" >"$T/code"
check "the speaker gets the SDES ingest (200)" is "$(cat "$T/code")" 200
KEY=$(jqo .key) HOST=$(jqo '.tracks[0].host') PORT=$(jqo '.tracks[0].port')
APT=$(jqo '.tracks[]|select(.kind=="audio")|.payload_type') VPT=$(jqo '.tracks[]|select(.kind=="video")|.payload_type')
url="srtp://$HOST:$PORT?rtcpport=$PORT&pkt_size=1200"
spawn ffmpeg ffmpeg -hide_banner -loglevel error -nostdin -re \
	-t 60 -f lavfi -i testsrc2=size=640x360:rate=25 -t 60 -f lavfi -i sine=frequency=440:sample_rate=48000 \
	-map 0:v -c:v libvpx -deadline realtime -cpu-used 8 -b:v 600k -g 20 -keyint_min 20 \
	-payload_type "$VPT" -f rtp -srtp_out_suite AES_CM_128_HMAC_SHA1_80 -srtp_out_params "$KEY" "$url" \
	-map 1:a -c:a libopus -ar 48000 -ac 2 -b:a 64k \
	-payload_type "$APT" -f rtp -srtp_out_suite AES_CM_128_HMAC_SHA1_80 -srtp_out_params "$KEY" "$url"
check "the relay authenticates ffmpeg's packets" wait_for 15 sh -c \
	"echo '{\"cmd\":\"stats\"}' | socat -t5 - UNIX-CONNECT:$RELAY_SOCK | jq -e '[.streams[]|select(.id==\"webinar-$W\")|.pkts_in][0] > 50' >/dev/null"

NODE_PATH=$NODE_DIR/node_modules timeout 100 node "$AMPHI_TOP/tests/data/webrtc/whip-session.js" \
	"$(jq -nc --arg u "$URL" --arg w "$W" --arg j "$JOIN" --arg r "$RELAY_SOCK" \
	'{url:$u,webinar:$w,join:$j,relay:$r,mode:"view"}')" >"$T/node.log" 2>&1
grep '^{"summary"' "$T/node.log" | jq -c .summary >"$T/sum.json"
s=$T/sum.json
check "the browser run finished" test -s "$s"
[ -s "$s" ] || { tail -n 5 "$T/node.log"; finish; }
echo "  C $(jq -c '.C|{frames,audio,keyframes,plis,codec,ttff}' "$s")"
echo "ttff_ms ffmpeg-sdes -> chromium-whep: $(jq .C.ttff "$s")"
check "the WHEP viewer decoded > 100 VP8 frames of ffmpeg's stream" jt '.C.frames > 100 and .C.codec == "video/VP8"' "$s"
check "... and received ffmpeg's audio" jt '.C.audio > 50' "$s"
check "... its first frame within 5 s of its POST" jt '.C.ttff > 0 and .C.ttff < 5000' "$s"
check "the relay listed the viewer with an SRTP profile" jt '[.peers.peers[]|select(.role=="viewer" and (.profile|test("AES")))]|length == 1' "$s"
jq -c '[.peers.peers[]|{role,state,profile}]' "$s" | sed 's/^/  relay peers: /'
check "its DELETE: 200" is "$(jq .leaveC "$s")" 200
finish
