#!/usr/bin/env bash
# webrtc_cc: congestion control toward a WebRTC publisher (issue 13 item 2),
# with real Chromium on both ends (tests/data/webrtc/whip-cc.js).  The
# publisher's Chromium runs in a network namespace of its own, joined to the
# relay's by a veth pair (10.99.0.2 -> 10.99.0.1); the viewer's runs beside
# the relay.  Its camera is a noisy 1280x720 30 fps picture (Chromium's own
# fake one compresses to under 1 Mbit/s at 720p: it cannot show 1.5).
# Checks: the answer carries the webinar's max_video_bitrate as b=TIAS /
# b=AS and as x-google-start-bitrate; within 10 s of its first packet
# Chromium sends >= 1.5 Mbit/s at >= 25 fps with its estimate >= 1.5 Mbit/s
# (on main its estimate started at 300 kbit/s and waited for a probe result,
# which one run in four did not get); the relay's report blocks give it an
# RTT; under a bottleneck on the publisher's veth (tbf 800 kbit/s, 2 % random
# loss by nftables at the relay's end, 6 s) it backs off below the
# bottleneck's rate.
# Printed, not checked (docs/webrtc.md "Congestion control" says why):
# qualityLimitationReason, the viewer's longest time without a decoded frame
# under the bottleneck (3.1-6.2 s before NACK upstream; 0.56-1.2 s at load
# 7-9, but 2.4 s once on the idle machine: not reliably within even 2 s,
# let alone the issue's 1 s), and when the estimate and the sent rate are back
# at 1.5 Mbit/s after the bottleneck (the estimate within 15 s at load ~13,
# not at ~19 beside three other browser tests).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
. "$(dirname "$0")/webrtc.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v socat >/dev/null || skip "socat is not installed"
command -v nft >/dev/null || skip "nft is not installed (tools/deps)"
[ "$(id -u)" = 0 ] || skip "needs root: a network namespace with a shaped veth"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built"
need_browser

# The publisher's namespace: a process that holds it, and the veth into it.
publisher_netns cc 10.99.0 || finish
# The camera: 1 s of noisy 1280x720 at 30 fps, looped (Chromium's built-in
# fake picture compresses to a fraction of the rates checked here).
ffmpeg -v error -f lavfi -i testsrc2=size=1280x720:rate=30 -vf noise=alls=25:allf=t -t 1 -pix_fmt yuv420p \
	"$T/camera.y4m" || { fail "the camera file"; finish; }
printf '#!/bin/sh\nexec nsenter -t %s -n /usr/bin/chromium "$@"\n' "$pubns_pid" >"$T/chromium-pub"
chmod +x "$T/chromium-pub"

RELAY_BIND=10.99.0.1
webrtc_stack || { fail "the stack starts"; finish; }
check "a live VP8 webinar" webrtc_webinar public vp8 false

# The loss is at the relay's end of the veth: dropped in the publisher's own
# output hook, a packet is an EPERM from Chromium's sendmsg, which it sees
# (a send error, not a network loss).
throttle="nsenter -t $pubns_pid -n tc qdisc replace dev ccpub root tbf rate 800kbit burst 16kb latency 50ms &&
nft add table inet cc && nft add chain inet cc in '{ type filter hook prerouting priority 0; }' &&
nft add rule inet cc in iifname ccrelay udp dport 43200-43201 numgen random mod 100 '<' 2 drop"
unthrottle="nsenter -t $pubns_pid -n tc qdisc del dev ccpub root; nft delete table inet cc"
NODE_PATH=$NODE_DIR/node_modules timeout 90 node "$AMPHI_TOP/tests/data/webrtc/whip-cc.js" \
	"$(jq -nc --arg u "$URL" --arg w "$W" --arg p "$PUB" --arg j "$JOIN" --arg c "$T/chromium-pub" \
	--arg t "$throttle" --arg un "$unthrottle" --arg cam "$T/camera.y4m" \
	'{url:$u,webinar:$w,publish:$p,join:$j,pub_chromium:$c,camera:$cam,throttle:$t,unthrottle:$un,phase_s:6,recover_s:15}')" \
	>"$T/node.log" 2>&1
grep '"stats"' "$T/node.log" | jq -c .stats | sed 's/^/  /'
grep -v '"stats"' "$T/node.log" | grep -v '^{"summary"' | head -n 20
s=$T/sum.json
grep '^{"summary"' "$T/node.log" | jq -c .summary >"$s"
check "the browser run finished" test -s "$s"
[ -s "$s" ] || finish
jq -c . "$s" | sed 's/^/  summary: /'
relay_ctl '{"cmd":"stats"}' | jq -c '[.streams[]|{id,pkts_in,cc_feedback,remb_sent,keyframe_sent}]' | sed 's/^/  relay: /'
check "the answer caps video at the webinar's 2.5 Mbit/s (b=TIAS, b=AS)" \
	jt '.answer_b | index("b=TIAS:2500000") != null and index("b=AS:2500") != null' "$s"
check "the answer starts Chromium's estimate at the cap (x-google-start-bitrate=2500)" \
	jt '.answer_fmtp | index("x-google-start-bitrate=2500") != null' "$s"
check "within 10 s: >= 1.5 Mbit/s sent at >= 25 fps, the estimate >= 1.5 Mbit/s" \
	jt '.up != null and .up.t <= 10000' "$s"
check "Chromium has an RTT from the relay's report blocks" jt '.rtt_ms > 0' "$s"
check "the bottleneck: the publisher backs off below 800 kbit/s" \
	jt '.bottleneck_kbps > 0 and .bottleneck_kbps < 800' "$s"
echo "  qualityLimitationReason when the goal was met: $(jq -r '.up.qlr // "-"' "$s") ($(jq -r '.up.w // 0' "$s")x$(jq -r '.up.h // 0' "$s"))"
echo "  viewer's longest time without a decoded frame (ms): $(jq -c .max_stall_ms "$s"), freezes $(jq .freezes "$s")"
echo "  estimate at the end of each phase (kbit/s): $(jq -c .bwe_kbps_end "$s"); after the lift, estimate back at 1.5 Mbit/s: $(jq -c .recovered_bwe "$s"), sending 1.5 Mbit/s: $(jq -c .recovered "$s")"
finish
