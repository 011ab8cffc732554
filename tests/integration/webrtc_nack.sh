#!/usr/bin/env bash
# webrtc_nack: NACK upstream (issue 13 item 3), with real Chromium on both
# ends (tests/data/webrtc/whip-nack.js).  The publisher's Chromium runs in a
# network namespace of its own behind a veth that loses 2 % of what it sends
# to the relay (nftables numgen at the relay's end; this kernel has no
# netem); the viewer's runs beside the relay and loses 3 % of the datagrams
# the relay sends it.  The same run twice: with the relay's upstream NACK (the
# default), then with [rtcp] upstream_nack = no.  Checks: the WHIP answer
# carries nack and the offer's rtx; with upstream NACK the relay asks
# (nack_sent), the publisher retransmits (retransmittedPacketsSent) and
# packets are repaired (nack_repaired, on the RTX payload type) and reach
# the viewer, whose offer has rtx, as RTX packets on its own SSRC (the WHEP
# answer's ssrc-group FID; the relay's rtx_sent, per stream and per viewer
# in webrtc.list, Chromium's retransmittedPacketsReceived); without it nothing is asked; the viewer
# loses fewer packets for good and decodes more frames (its own link loses
# 3 %: the relay's cache repairs those, as RTX too)
# with it than without (without, it waits for a keyframe after each loss),
# and its longest time without a decoded frame is no longer with it than
# without, or under 1 s (Chromium's freezeCount is printed, not compared: a
# viewer stuck waiting for a keyframe counts no freeze until it decodes
# again; docs/performance.md "NACK upstream").  Dropped frames, NACKs and
# PLIs are printed.  Each run watches 4 s; the browsers start side by side
# while the stack does (≈ 30 s in all at load 10).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
. "$(dirname "$0")/webrtc.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v socat >/dev/null || skip "socat is not installed"
command -v nft >/dev/null || skip "nft is not installed (tools/deps)"
[ "$(id -u)" = 0 ] || skip "needs root: a network namespace with a lossy veth"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built"
need_browser

publisher_netns nk 10.98.0 || finish
# Dropped where the packets arrive: a drop in the sender's output hook is
# an EPERM from its sendmsg, which Chromium sees (and works around).
nft add table inet nk && nft add chain inet nk in '{ type filter hook prerouting priority 0; }' &&
	nft add rule inet nk in iifname nkrelay udp dport 43200-43201 numgen random mod 100 '<' 2 drop ||
	{ fail "2 % loss on the publisher's link"; finish; }
# And 3 % of the datagrams the relay sends the viewer (the test's namespace
# is its own: the only packets from the relay's ports that arrive here are
# the viewer's; a GSO run of a frame's packets is one datagram here, about
# 10 dropped in 1 % of a run, some of them audio), which the viewer NACKs
# and the relay's cache repairs.
nft add chain inet nk view '{ type filter hook input priority 0; }' &&
	nft add rule inet nk view udp sport 43200-43201 numgen random mod 100 '<' 3 drop ||
	{ fail "3 % loss on the viewer's side"; finish; }
# A noisy 640x360 camera: ~100 packets a second, two lost a second; small
# enough for two browsers' codecs on a busy 2-core machine.
ffmpeg -v error -f lavfi -i testsrc2=size=640x360:rate=30 -vf noise=alls=25:allf=t -t 1 -pix_fmt yuv420p \
	"$T/camera.y4m" || { fail "the camera file"; finish; }
printf '#!/bin/sh\nexec nsenter -t %s -n /usr/bin/chromium "$@"\n' "$pubns_pid" >"$T/chromium-pub"
chmod +x "$T/chromium-pub"

# The browsers' two runs (whip-nack.js); summary NAME N: after run N's
# summary line, $T/NAME.json is {pub, view, answer_rtx, answer_nack, relay:
# the stream's stats}.
summary() {
	wait_for 60 sh -c "grep -c '^{\"summary\"' '$T/node.log' | grep -qx '[$2-9]'" ||
		{ fail "$1: the browser run finished"; grep -v '^{"summary"' "$T/node.log" | head -n 20; return 1; }
	grep '^{"summary"' "$T/node.log" | sed -n "$2p" | jq -c .summary >"$T/$1-sum.json"
	# the viewer's own counts first (webrtc.list, before its page closes:
	# the run's .done file), then the stream's, which include them
	local id
	id=$(relay_ctl '{"cmd":"stats"}' | jq -r '[.streams[] | select(.pkts_in > 0)][-1].id')
	relay_ctl "{\"cmd\":\"webrtc.list\",\"stream\":\"$id\"}" |
		jq -c '[.peers[] | select(.role == "viewer")][0] | {retransmits, rtx_sent}' >"$T/$1-viewer.json"
	touch "$T/run$2.json.done"
	relay_ctl '{"cmd":"stats"}' | jq -c '[.streams[] | select(.pkts_in > 0)][-1]
		| {pkts_in, nack_requested, nack_sent, nack_repaired, nack_given_up, rtx_unused, nacks, retransmits,
		   rtx_sent, keyframe_sent, keyframe_suppressed}' \
		>"$T/$1-relay.json"
	jq -c --slurpfile r "$T/$1-relay.json" --slurpfile v "$T/$1-viewer.json" '. + {relay: $r[0], relay_viewer: $v[0]}' \
		"$T/$1-sum.json" >"$T/$1.json"
	echo "  $1: $(jq -c . "$T/$1.json")"
}

# The browsers start while the stack does; each run starts when its file
# (run_file N) is there.
spawn node env NODE_PATH="$NODE_DIR/node_modules" timeout 150 node "$AMPHI_TOP/tests/data/webrtc/whip-nack.js" \
	"$(jq -nc --arg c "$T/chromium-pub" --arg cam "$T/camera.y4m" --arg r1 "$T/run1.json" --arg r2 "$T/run2.json" \
	'{pub_chromium:$c,camera:$cam,seconds:4,runs:[$r1,$r2]}')"
run_file() {
	jq -nc --arg u "$URL" --arg w "$W" --arg p "$PUB" --arg j "$JOIN" '{url:$u,webinar:$w,publish:$p,join:$j}' \
		>"$T/run.tmp" && mv "$T/run.tmp" "$T/run$1.json"
}
RELAY_BIND=10.98.0.1
webrtc_stack || { fail "the stack starts"; finish; }
webrtc_webinar public vp8 false || { fail "a live VP8 webinar"; finish; }
run_file 1
summary nack 1 || finish
n=$T/nack.json
check "the WHIP answer has nack and the offer's rtx" jt '.answer_nack and .answer_rtx' "$n"
check "the relay asked the publisher for lost packets" jt '.relay.nack_sent > 0' "$n"
check "the publisher retransmitted" jt '.pub.retransmittedPacketsSent > 0 and .pub.nackCount > 0' "$n"
check "the relay forwarded repairs" jt '.relay.nack_repaired > 0' "$n"
check "the WHEP answer has the viewer's rtx, its SSRC grouped with the media's (FID)" jt '.view_answer_rtx' "$n"
check "the relay served the viewer's own NACKs from its cache" jt '.relay.retransmits > 0' "$n"
check "the relay sent the viewer its repairs as RTX packets, the cache's and the publisher's" \
	jt '.relay.rtx_sent > .relay.retransmits' "$n"
check "the viewer received them as retransmissions" jt '.view.retransmittedPacketsReceived > 0' "$n"
check "webrtc.list counts the viewer's own RTX sent" jt '.relay_viewer.rtx_sent > 0 and .relay_viewer.rtx_sent <= .relay.rtx_sent' "$n"

# The same without upstream NACK: the relay restarted with it off, a new
# webinar, the same browsers.
kill "$relay_pid"
wait "$relay_pid" 2>/dev/null
sed 's/^upstream_nack = yes/upstream_nack = no/' "$AMPHI_TOP/etc/relay.conf" >"$T/relay-off.conf"
grep -q '^upstream_nack = no' "$T/relay-off.conf" || { fail "a config with upstream_nack = no"; finish; }
spawn relay2 "$AMPHI_BIN/amphi-relay" --workers 2 --port-base 43200 --control "$RELAY_SOCK" \
	--spool "$T/spool" --config "$T/relay-off.conf" --bind "$RELAY_BIND"
wait_for 10 test -S "$RELAY_SOCK" || { fail "the relay restarts"; finish; }
webrtc_webinar public vp8 false || { fail "a second live VP8 webinar"; finish; }
run_file 2
summary off 2 || finish
o=$T/off.json
check "without upstream NACK nothing is asked or repaired" \
	jt '.relay.nack_sent == 0 and .relay.nack_repaired == 0' "$o"
# A repair on the RTX SSRC does not make up for the media SSRC's loss in
# Chromium's packetsLost: what the viewer lost for good is the difference.
check "the viewer loses fewer packets for good with upstream NACK than without" \
	jq -e --slurpfile o "$o" '(.view.packetsLost - .view.retransmittedPacketsReceived) <
		($o[0].view.packetsLost - $o[0].view.retransmittedPacketsReceived)' "$n"
check "the viewer decodes more frames with upstream NACK than without" \
	jq -e --slurpfile o "$o" '.view.framesDecoded > $o[0].view.framesDecoded' "$n"
check "the viewer's longest stall with upstream NACK: no longer than without, or under 1 s" \
	jq -e --slurpfile o "$o" '.view.max_stall_ms <= ([$o[0].view.max_stall_ms, 1000] | max)' "$n"
for f in nack off; do
	echo "  $f: viewer freezes $(jq -c '[.view.freezeCount, .view.totalFreezesDuration]' "$T/$f.json")," \
		"longest stall $(jq .view.max_stall_ms "$T/$f.json") ms," \
		"frames decoded $(jq .view.framesDecoded "$T/$f.json") dropped $(jq .view.framesDropped "$T/$f.json")," \
		"lost $(jq .view.packetsLost "$T/$f.json") (RTX received $(jq .view.retransmittedPacketsReceived "$T/$f.json"))," \
		"viewer NACKs $(jq .view.nackCount "$T/$f.json")," \
		"PLIs $(jq .view.pliCount "$T/$f.json"); publisher retransmitted" \
		"$(jq .pub.retransmittedPacketsSent "$T/$f.json") of $(jq .pub.packetsSent "$T/$f.json")"
done
finish
