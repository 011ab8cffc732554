#!/usr/bin/env bash
# webrtc_cc: congestion control toward a WebRTC publisher (issue 13 item 2),
# with real Chromium on both ends (tests/data/webrtc/whip-cc.js).  The
# publisher's Chromium runs in a network namespace of its own, joined to the
# relay's by a veth pair (10.99.0.2 -> 10.99.0.1); the viewer's runs beside
# the relay.  Its camera is a noisy 1280x720 30 fps picture (Chromium's own
# fake one compresses to ~1 Mbit/s at 720p).  Checks: the answer carries the
# webinar's max_video_bitrate as b=TIAS / b=AS; with the relay's
# transport-wide feedback Chromium's estimate leaves its 300 kbit/s start
# (>= 450 kbit/s) while it sends the camera's >= 25 fps, within 10 s (on
# main, without feedback, the estimate falls to ~80 kbit/s and 2-14 fps are
# sent); under a bottleneck on the publisher's veth (tbf 800 kbit/s, 2 %
# random loss by nftables) it backs off below the bottleneck's rate.
# Printed, not checked (docs/webrtc.md "Congestion control" says why): when
# it reached >= 1.5 Mbit/s at >= 25 fps, qualityLimitationReason, the
# viewer's longest time without a decoded frame, and the climb after the
# bottleneck is lifted.
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
spawn pubns unshare -n sleep 600
wait_for 10 sh -c "test \"\$(readlink /proc/$pubns_pid/ns/net)\" != \"\$(readlink /proc/$$/ns/net)\"" ||
	{ fail "the publisher's namespace exists"; finish; }
in_pub() { nsenter -t "$pubns_pid" -n "$@"; }
ip link add ccrelay type veth peer name ccpub &&
	ip link set ccpub netns "$pubns_pid" &&
	ip addr add 10.99.0.1/24 dev ccrelay && ip link set ccrelay up &&
	in_pub ip link set lo up && in_pub ip addr add 10.99.0.2/24 dev ccpub && in_pub ip link set ccpub up ||
	{ fail "the veth pair between the namespaces"; finish; }
# The camera: 1 s of noisy 1280x720 at 30 fps, looped (Chromium's built-in
# fake picture compresses to a fraction of the rates checked here).
ffmpeg -v error -f lavfi -i testsrc2=size=1280x720:rate=30 -vf noise=alls=25:allf=t -t 1 -pix_fmt yuv420p \
	"$T/camera.y4m" || { fail "the camera file"; finish; }
printf '#!/bin/sh\nexec nsenter -t %s -n /usr/bin/chromium "$@"\n' "$pubns_pid" >"$T/chromium-pub"
chmod +x "$T/chromium-pub"

RELAY_BIND=10.99.0.1
webrtc_stack || { fail "the stack starts"; finish; }
check "a live VP8 webinar" webrtc_webinar public vp8 false

throttle="nsenter -t $pubns_pid -n sh -c 'tc qdisc replace dev ccpub root tbf rate 800kbit burst 16kb latency 50ms &&
nft add table inet cc && nft add chain inet cc out \"{ type filter hook output priority 0; }\" &&
nft add rule inet cc out ip daddr 10.99.0.1 udp dport 43200-43201 numgen random mod 100 \"<\" 2 drop'"
unthrottle="nsenter -t $pubns_pid -n sh -c 'tc qdisc del dev ccpub root; nft delete table inet cc'"
NODE_PATH=$NODE_DIR/node_modules timeout 90 node "$AMPHI_TOP/tests/data/webrtc/whip-cc.js" \
	"$(jq -nc --arg u "$URL" --arg w "$W" --arg p "$PUB" --arg j "$JOIN" --arg c "$T/chromium-pub" \
	--arg t "$throttle" --arg un "$unthrottle" --arg cam "$T/camera.y4m" \
	'{url:$u,webinar:$w,publish:$p,join:$j,pub_chromium:$c,camera:$cam,throttle:$t,unthrottle:$un,phase_s:8}')" \
	>"$T/node.log" 2>&1
grep '"stats"' "$T/node.log" | jq -c .stats | awk 'NR % 2 == 1' | sed 's/^/  /'
grep -v '"stats"' "$T/node.log" | grep -v '^{"summary"' | head -n 20
s=$T/sum.json
grep '^{"summary"' "$T/node.log" | jq -c .summary >"$s"
check "the browser run finished" test -s "$s"
[ -s "$s" ] || finish
jq -c . "$s" | sed 's/^/  summary: /'
relay_ctl '{"cmd":"stats"}' | jq -c '[.streams[]|{id,pkts_in,cc_feedback,remb_sent,keyframe_sent}]' | sed 's/^/  relay: /'
check "the answer caps video at the webinar's 2.5 Mbit/s (b=TIAS, b=AS)" \
	jt '.answer_b | index("b=TIAS:2500000") != null and index("b=AS:2500") != null' "$s"
check "within 10 s: the estimate leaves the 300 kbit/s start, >= 25 fps sent" \
	jt '.left != null and .left.t <= 10000' "$s"
echo "  >= 1.5 Mbit/s sent at >= 25 fps with the estimate >= 1.5 Mbit/s: $(jq -c '.up // "not within 10 s"' "$s")"
check "the bottleneck: the publisher backs off below 800 kbit/s" \
	jt '.bottleneck_kbps > 0 and .bottleneck_kbps < 800' "$s"
echo "  qualityLimitationReason when the goal was met: $(jq -r '.up.qlr // "-"' "$s") ($(jq -r '.up.w // 0' "$s")x$(jq -r '.up.h // 0' "$s"))"
echo "  viewer's longest time without a decoded frame (ms): $(jq -c .max_stall_ms "$s"), freezes $(jq .freezes "$s")"
echo "  estimate at the end of each phase (kbit/s): $(jq -c .bwe_kbps_end "$s"); back at 1.5 Mbit/s after the lift: $(jq -c .recovered "$s")"
finish
