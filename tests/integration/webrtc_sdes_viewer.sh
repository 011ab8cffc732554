#!/usr/bin/env bash
# webrtc_sdes_viewer: SDES viewers over HTTP (POST /api/webinars/{id}/viewers/srtp).
# A real headless Chromium publishes through WHIP (it sends keyframes only
# when asked); real ffmpeg decodes from the answer's .sdp, and real GStreamer
# (udpsrc ! srtpdec ! depay ! decoder) from the answer's SSRC and key: an
# independent SRTP implementation.  ffmpeg's first frame must come well
# before a GOP: Chromium sends none unasked, so only the relay's keyframe
# request makes it.  The address rule, the body's checks, DELETE (the
# packets stop), the relay's viewer count and the webinar's end are checked
# with curl.  Once for VP8, once for H.264 (packetization-mode=1).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
. "$(dirname "$0")/webrtc.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v socat >/dev/null || skip "socat is not installed"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"
command -v gst-launch-1.0 >/dev/null || skip "gst-launch-1.0 is not installed (tools/deps)"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built"
need_browser
webrtc_stack || { fail "the stack starts"; finish; }

now_ms() { date +%s%3N; }
# post TOKEN BODY: POST .../viewers/srtp; the answer in $T/out, status in $status.
post() {
	local auth=()
	[ -n "$1" ] && auth=(-H "Authorization: Bearer $1")
	status=$(curl -s -o "$T/out" -D "$T/hdr" -w '%{http_code}' -X POST "${auth[@]}" \
		-H 'Content-Type: application/json' --data-binary "$2" "$URL/api/webinars/$W/viewers/srtp")
}
location() { tr -d '\r' <"$T/hdr" | sed -n 's/^Location: //Ip'; }
delete() { curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL$1"; }
stream_stat() { relay_ctl '{"cmd":"stats"}' | jq --arg s "webinar-$W" "[.streams[]|select(.id==\$s)|$1][0] // 0"; }
lines() { local n; n=$(grep -c "$2" "$1" 2>/dev/null) || true; echo "${n:-0}"; }
# The answer's checks, quiet.
answer_ok() { jq -e --arg c "$1" "$2" "$T/out" >/dev/null; }

# run CODEC VISIBILITY BASE: one webinar, one publisher, two viewers; the
# players listen from port BASE up.  Each run has its own ports, below the
# kernel's ephemeral range (32768-60999) where Chromium's and the relay's own
# sockets land.
run() {
	local codec=$1 vis=$2 base=$3 kf0 t0 t1 first ttff n1 n2 loc_f loc_g hexkey ssrc pt enc depay dec
	check "$codec: a live $vis webinar" webrtc_webinar "$vis" "$codec" false

	# The body's rules and the address rule, before any media.
	post "$JOIN" '{"video_port":80}'
	check "$codec: a port below 1024 is 422" is "$status" 422
	post "$JOIN" '{"audio_port":50000,"video_port":50001}'
	check "$codec: ports that meet each other's RTCP port are 422" is "$status" 422
	post "$JOIN" '{"video_port":50000,"volume":3}'
	check "$codec: an unknown field is 422" is "$status" 422
	post "$JOIN" '{"address":"127.0.0.2","video_port":50000}'
	check "$codec: a join token may not aim the stream at another address (403)" is "$status" 403
	post "$PUB" '{"address":"224.0.0.1","video_port":50000}'
	check "$codec: a multicast address is 422, even for the speaker" is "$status" 422
	post "not-a-token" '{"video_port":50000}'
	check "$codec: an unknown token is 401" is "$status" 401
	post "" '{"video_port":50000}'
	if [ "$vis" = registration ]; then
		check "$codec: no token on a registration webinar is 401" is "$status" 401
	else
		check "$codec: no token on a public webinar, at the requester's own address: 201" is "$status" 201
		check "$codec: ... and its DELETE is 200" is "$(delete "$(location)")" 200
	fi
	post "$PUB" '{"address":"127.0.0.2","video_port":50020}'
	check "$codec: the publish token may name another address (201)" is "$status" 201
	check "$codec: ... and its DELETE is 200" is "$(delete "$(location)")" 200

	# The publisher.
	mkfifo "$T/pub-in-$codec"
	NODE_PATH=$NODE_DIR/node_modules node "$AMPHI_TOP/tests/data/webrtc/whip-publish.js" \
		"$(jq -nc --arg u "$URL" --arg w "$W" --arg p "$PUB" '{url:$u,webinar:$w,publish:$p}')" \
		<"$T/pub-in-$codec" >"$T/pub-$codec.log" 2>&1 &
	local pub=$!
	_pids+=($pub)
	exec 7>"$T/pub-in-$codec"
	check "$codec: Chromium publishes through WHIP" wait_for 20 grep -q '"connected"' "$T/pub-$codec.log"
	check "$codec: the relay receives its media" wait_for 10 sh -c "[ \$(echo '{\"cmd\":\"stats\"}' | socat -t5 - UNIX-CONNECT:$RELAY_SOCK | jq '[.streams[]|select(.id==\"webinar-$W\")|.pkts_in][0] // 0') -gt 100 ]"
	# Chromium's first keyframe is long gone: from here on it sends one only on request.
	sleep 1

	# ffmpeg: decodes from the answer's .sdp.  Its player starts after the
	# answer (it needs the key), so the time that counts runs from when its
	# sockets are bound to its first decoded frame: the relay's keyframe
	# warm-up (0, 0.5, 1.5, ... 5.5 s after the POST) must fill it.
	kf0=$(stream_stat .keyframe_sent)
	post "$JOIN" "{\"audio_port\":$base,\"video_port\":$((base + 2))}"
	t0=$(now_ms)
	check "$codec: ffmpeg's viewer: 201" is "$status" 201
	loc_f=$(location)
	jq -r .sdp "$T/out" >"$T/f-$codec.sdp"
	ffmpeg -hide_banner -nostdin -loglevel error -protocol_whitelist file,udp,rtp,srtp -analyzeduration 0 -probesize 32 \
		-i "$T/f-$codec.sdp" -map 0:v -f framecrc -flush_packets 1 "$T/f-$codec.crc" 2>"$T/f-$codec.log" 7>&- &
	local ff=$!
	_pids+=($ff)
	wait_for 5 sh -c "ss -Huln 'sport = :$((base + 2))' | grep -q ."
	t1=$(now_ms)
	first=
	for _ in $(seq 1 100); do
		if [ "$(lines "$T/f-$codec.crc" '^0,')" -gt 0 ]; then first=$(now_ms); break; fi
		sleep 0.05
	done
	ttff=999999
	[ -n "$first" ] && ttff=$((first - t1))
	echo "ttff_ms sdes ffmpeg $codec: $ttff from its sockets bound, $(( t1 - t0 )) ms after the POST"
	check "$codec: ffmpeg's first frame within 2.5 s of its sockets bound (no GOP wait: $ttff ms)" test "$ttff" -lt 2500
	check "$codec: the relay asked the publisher for keyframes (warm-up: $(( $(stream_stat .keyframe_sent) - kf0 )))" \
		test "$(stream_stat .keyframe_sent)" -ge $((kf0 + 2))
	check "$codec: the answer names the stream's SSRCs, payload types and the suite" answer_ok "$codec" \
		'.suite == "AES_CM_128_HMAC_SHA1_80" and (.key|length) == 40 and
		 ([.tracks[]|.kind] == ["audio","video"]) and all(.tracks[]; .ssrc > 0 and .address == "127.0.0.1") and
		 (.tracks[1].codec == (if $c == "h264" then "H264" else "VP8" end)) and
		 (if $c == "h264" then (.sdp|test("a=fmtp:102 packetization-mode=1")) else true end)'
	cp "$T/out" "$T/f-$codec.json"

	# GStreamer: video only, on its own port, keyed from the answer's fields.
	post "$JOIN" "{\"video_port\":$((base + 10))}"
	check "$codec: GStreamer's viewer: 201 (video only)" is "$status" 201
	loc_g=$(location)
	hexkey=$(jq -r .key "$T/out" | base64 -d | od -An -tx1 | tr -d ' \n')
	ssrc=$(jq '.tracks[0].ssrc' "$T/out") pt=$(jq '.tracks[0].payload_type' "$T/out")
	check "$codec: GStreamer's answer has one track, video" is "$(jq -c '[.tracks[]|.kind]' "$T/out")" '["video"]'
	if [ "$codec" = h264 ]; then enc=H264 depay=rtph264depay dec="h264parse ! avdec_h264"; else enc=VP8 depay=rtpvp8depay dec=vp8dec; fi
	# shellcheck disable=SC2086
	gst-launch-1.0 -v udpsrc port=$((base + 10)) caps="application/x-srtp,media=video,clock-rate=90000,encoding-name=$enc,payload=$pt,ssrc=(uint)$ssrc,srtp-key=(buffer)$hexkey,srtp-cipher=aes-128-icm,srtp-auth=hmac-sha1-80,srtcp-cipher=aes-128-icm,srtcp-auth=hmac-sha1-80" \
		! srtpdec ! $depay ! $dec ! fakesink silent=false >"$T/g-$codec.log" 2>&1 7>&- &
	local gst=$!
	_pids+=($gst)
	wait_for 8 sh -c "[ \$(grep -c '^0,' '$T/f-$codec.crc') -gt 20 ] && [ \$(grep -c 'fakesink0: last-message = chain' '$T/g-$codec.log') -gt 8 ]"
	n1=$(lines "$T/f-$codec.crc" '^0,')
	check "$codec: ffmpeg decodes the stream (> 20 frames: $n1)" test "$n1" -gt 20
	# If ffmpeg decoded nothing, what it said is the diagnosis.
	[ "$n1" -gt 20 ] || { echo "  ffmpeg's log:"; tail -n 20 "$T/f-$codec.log" | sed 's/^/    /'; }
	# (H.264 joined between keyframes logs the slices it cannot decode yet: not an SRTP matter.)
	check "$codec: ffmpeg's log has no SRTP error" sh -c "! grep -Ei 'hmac|srtp' '$T/f-$codec.log'"
	n2=$(lines "$T/g-$codec.log" 'fakesink0: last-message = chain')
	check "$codec: GStreamer's srtpdec and decoder deliver frames (> 8: $n2)" test "$n2" -gt 8
	check "$codec: the relay counts both viewers" is "$(stream_stat .viewers)" 2

	# DELETE ends ffmpeg's viewer: its frames stop; GStreamer's go on.
	check "$codec: ffmpeg's DELETE: 200" is "$(delete "$loc_f")" 200
	sleep 0.5
	n1=$(lines "$T/f-$codec.crc" '^0,') n2=$(lines "$T/g-$codec.log" 'fakesink0: last-message = chain')
	sleep 1.5
	check "$codec: ... its frames stopped" is "$(lines "$T/f-$codec.crc" '^0,')" "$n1"
	check "$codec: ... GStreamer's went on" test "$(lines "$T/g-$codec.log" 'fakesink0: last-message = chain')" -gt "$n2"
	check "$codec: ... the relay counts one viewer" is "$(stream_stat .viewers)" 1
	check "$codec: a second DELETE is 404" is "$(delete "$loc_f")" 404

	# The end takes GStreamer's viewer with it.
	req POST "/api/webinars/$W/end" '{}' "$T/o"
	check "$codec: the webinar ends" is "$status" 200
	check "$codec: ... and GStreamer's viewer with it (its DELETE is 404)" is "$(delete "$loc_g")" 404
	# The players are done: ffmpeg, blocked on a socket no packet reaches,
	# may outlive SIGTERM, so both are killed outright and reaped, and their
	# ports are free for the next run.
	kill -9 "$ff" "$gst" 2>/dev/null
	wait "$ff" "$gst" 2>/dev/null
	# The publisher DELETEs its session and closes its browser once its
	# stdin closes (only this shell holds the FIFO's write end: the players
	# were started without fd 7).
	exec 7>&-
	wait_for 10 sh -c "! kill -0 $pub"
	kill "$pub" 2>/dev/null
}

run vp8 public 23000
run h264 registration 23100
finish
