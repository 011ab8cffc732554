#!/usr/bin/env bash
# webrtc_libdatachannel: offers without the sdes:mid extension (issue 13 item
# 1), with real peers on both sides (tests/data/webrtc/libdatachannel-peers.js):
#   - node-datachannel as a WHIP publisher built like OBS Studio's WHIP output
#     (sendonly Opus and H.264 with a=ssrc, libdatachannel's packetizers with
#     SR reporters, no a=extmap), fed in real time with ffmpeg's H.264 Annex-B
#     (320x240, 25 fps) and Ogg/Opus, watched by Chromium through WHEP on an
#     H.264 webinar;
#   - Chromium publishing its fake camera on a VP8 webinar, watched by a
#     receive-only node-datachannel peer through WHEP (no a=extmap either).
# Both at once, counted over WIN seconds once both viewers have media.  Bounds
# (two shared cores, so shares of what was sent, not absolute rates): Chromium
# decodes >= 70 % of the frames the OBS-like publisher sent in the window and
# receives >= 70 % of its Opus packets; the node-datachannel viewer
# counts >= 70 % of the frames Chromium sent (RTP markers) and audio packets.
# Neither answer carries a=extmap (none was offered); the node-datachannel
# viewer gets media only on the SSRCs its answer announced (libdatachannel
# drops the others) and no packet with a header extension.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
. "$(dirname "$0")/webrtc.inc"
for c in jq socat ffmpeg; do
	command -v $c >/dev/null || skip "$c is not installed"
done
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built"
need_browser
[ -d "$NODE_DIR/node_modules/node-datachannel" ] || skip "node-datachannel is not in $NODE_DIR (tools/deps --npm)"
WIN=5

# 4 s of media the publisher loops: H.264 access units split at x264's AUDs,
# 20 ms Opus packets.
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=320x240:rate=25 -t 4 -c:v libx264 \
	-preset ultrafast -tune zerolatency -profile:v baseline -g 25 -x264-params aud=1 -f h264 "$T/v.h264" &&
ffmpeg -nostdin -loglevel error -f lavfi -i sine=frequency=440:sample_rate=48000 -t 4 -ac 2 \
	-c:a libopus -b:a 64k -frame_duration 20 "$T/a.ogg"
check "ffmpeg wrote the publisher's H.264 and Opus" test -s "$T/v.h264" -a -s "$T/a.ogg"

webrtc_stack || { fail "the stack starts"; finish; }
check "an H.264 webinar for the OBS-like publisher" webrtc_webinar registration h264 false
OBS=$(jq -nc --arg w "$W" --arg p "$PUB" --arg j "$JOIN" '{webinar:$w,publish:$p,join:$j}')
check "a VP8 webinar for the Chromium publisher" webrtc_webinar registration vp8 false
BRO=$(jq -nc --arg w "$W" --arg p "$PUB" --arg j "$JOIN" '{webinar:$w,publish:$p,join:$j,codec:"vp8"}')

NODE_PATH=$NODE_DIR/node_modules timeout 90 node "$AMPHI_TOP/tests/data/webrtc/libdatachannel-peers.js" \
	"$(jq -nc --arg u "$URL" --arg r "$RELAY_SOCK" --argjson o "$OBS" --argjson b "$BRO" \
	--arg v "$T/v.h264" --arg a "$T/a.ogg" --argjson w $WIN \
	'{url:$u,relay:$r,obs:$o,browser:$b,h264:$v,ogg:$a,window:$w}')" >"$T/peers.log" 2>&1
grep -v '^{"summary"' "$T/peers.log" | head -n 20
s=$T/sum.json
grep '^{"summary"' "$T/peers.log" | jq -c .summary >"$s"
check "the peers ran" test -s "$s"
[ -s "$s" ] || finish
echo "  obs publisher -> Chromium: $(jq -c '{sent: .obs, got: .chromium_viewer}' "$s")"
echo "  Chromium -> node-datachannel: $(jq -c '{sent: .chromium_publisher, got: (.ndc_viewer|{frames,video,audio,with_extension})}' "$s")"
check "neither libdatachannel offer had a=extmap, neither answer has one" \
	jt '.obs.offer_has_extmap == false and .ndc_viewer.offer_has_extmap == false and
	    .obs.answer_has_extmap == false and .ndc_viewer.answer_has_extmap == false' "$s"
check "the relay held each publisher and viewer with an SRTP profile" \
	jt '[.peers.obs.peers[], .peers.browser.peers[] | .profile | test("AES")] == [true, true, true, true]' "$s"
check "Chromium decoded >= 70 % of the H.264 frames the OBS-like publisher sent" \
	jt '.obs.frames_sent >= 20 * .window_s and .chromium_viewer.frames >= 0.7 * .obs.frames_sent' "$s"
check "... as video/H264, and received >= 70 % of its Opus packets" \
	jt '.chromium_viewer.codec == "video/H264" and .chromium_viewer.audio_codec == "audio/opus" and
	    .chromium_viewer.audio >= 0.7 * .obs.audio_sent' "$s"
check "node-datachannel counted >= 70 % of the frames Chromium sent, and audio" \
	jt '.chromium_publisher.frames_sent >= 5 * .window_s and .ndc_viewer.frames >= 0.7 * .chromium_publisher.frames_sent and
	    .ndc_viewer.audio >= 0.7 * 50 * .window_s' "$s"
check "... only on the SSRCs its answer announced, with no header extension" \
	jt '(.ndc_viewer.announced | length) == 2 and (.ndc_viewer.ssrcs - .ndc_viewer.announced) == [] and
	    .ndc_viewer.with_extension == 0' "$s"
finish
