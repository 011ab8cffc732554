#!/usr/bin/env bash
# relay_ffmpeg: real ffmpeg peers through amphi-relay (issue 3).
#
# One ffmpeg publishes VP8 + Opus as SDES-SRTP (AES_CM_128_HMAC_SHA1_80), as
# ffmpeg does it: two RTP sessions from two source ports, RTCP sent to the
# same relay port (rtcpport=).  Three receivers (an ffmpeg per track), each
# with its own key, must decode what was published (less a stated tolerance,
# below) with no decode error; a fourth receiver whose SDP carries a wrong key
# must decode nothing.  The relay's stats must agree: one decryption per ingress packet,
# one SRTP packet per viewer per packet.
#
# What was published: the receivers each write the first 4 s they receive
# (100 video, 200 audio frames) and end on their own; the publisher sends 6 s.
# Tolerance: every receiver has bound its ports before the first packet and
# the publisher starts on a keyframe, so on loopback a receiver decodes every
# frame of its window; 2 % less (2 video, 4 audio frames) is allowed for a
# datagram that a receiver starved of CPU drops from a full socket buffer.
# The test waits on events, not for fixed times: the receivers' bound ports,
# the relay's stats (everything received was sent to each viewer), the
# receivers' own exit at the end of their window.
. "$(dirname "$0")/../lib.sh"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"
command -v jq >/dev/null || skip "jq is not installed"
command -v socat >/dev/null || skip "socat is not installed"

sock=$T/relay.sock
ctl() { jq -c . <<<"$1" | socat -t5 - "UNIX-CONNECT:$sock"; }   # one request per line
key() { head -c 30 /dev/urandom | base64 -w0; }
suite=AES_CM_128_HMAC_SHA1_80

spawn relay "$AMPHI_BIN/amphi-relay" --workers 2 --port-base 42000 --control "$sock" \
	--spool "$T/spool" --config "$AMPHI_TOP/etc/relay.conf"
check "relay control socket answers" wait_for 10 test -S "$sock"
wait_for 5 sh -c "printf '%s\n' '{\"cmd\":\"ping\"}' | socat -t2 - UNIX-CONNECT:$sock | grep -q true"

pub_key=$(key)
resp=$(ctl "{\"cmd\":\"stream.create\",\"id\":\"talk\",\"tracks\":[
  {\"kind\":\"audio\",\"codec\":\"opus\",\"pt\":111,\"clock_rate\":48000,\"channels\":2},
  {\"kind\":\"video\",\"codec\":\"VP8\",\"pt\":96,\"clock_rate\":90000}],
  \"ingest\":{\"suite\":\"$suite\",\"key\":\"$pub_key\"}}" | tr -d '\n')
check "stream.create answers ok" test "$(jq -r .ok <<<"$resp")" = true
port=$(jq -r .ingest.port <<<"$resp")
host=$(jq -r .ingest.host <<<"$resp")

# Receiver i listens on 50000+20i (audio) and 50002+20i (video).
declare -a keys
for i in 1 2 3 4; do
	keys[i]=$(key)
	a=$((50000 + 20 * i)) v=$((50002 + 20 * i))
	resp=$(ctl "{\"cmd\":\"viewer.add\",\"stream\":\"talk\",\"id\":\"viewer$i\",\"suite\":\"$suite\",
	  \"key\":\"${keys[i]}\",\"addrs\":{\"audio\":\"127.0.0.1:$a\",\"video\":\"127.0.0.1:$v\"}}" | tr -d '\n')
	check "viewer.add viewer$i" test "$(jq -r .ok <<<"$resp")" = true
	sdp_key=${keys[i]}
	[ $i = 4 ] && sdp_key=$(key)   # the fourth receiver was told the wrong key
	head="v=0\no=- 0 0 IN IP4 127.0.0.1\ns=amphi viewer $i\nc=IN IP4 127.0.0.1\nt=0 0\n"
	audio="m=audio $a RTP/SAVP 111\na=rtpmap:111 opus/48000/2\na=crypto:1 $suite inline:$sdp_key\n"
	video="m=video $v RTP/SAVP 96\na=rtpmap:96 VP8/90000\na=crypto:1 $suite inline:$sdp_key\n"
	printf "$head$audio$video" >"$T/recv$i.sdp"
	printf "$head$audio" >"$T/recv$i-audio.sdp"
	printf "$head$video" >"$T/recv$i-video.sdp"
done

# Receivers first (ffmpeg's SDP input binds its ports at start).  Receivers
# 1-3 are one ffmpeg per track: with two, ffmpeg re-times them by the sender
# reports, and those of a publisher starved of CPU (behind the wall clock)
# would shift one track's timestamps, which a window by time cannot tell from
# lost frames.  Each writes the first DUR seconds it receives (-t) and ends on
# its own; the publisher sends two seconds more (its first sender reports,
# 5 s in, must reach the relay), so every frame of the window is followed by
# more and leaves ffmpeg's pipeline (a signal would cut its last writes).
DUR=4
rpids=()
receive() {   # receive SDP CRC-OPTIONS... (log: SDP's name with .log)
	local sdp=$1
	shift
	timeout -s INT 90 ffmpeg -hide_banner -nostdin -loglevel warning -protocol_whitelist file,udp,rtp,srtp \
		-analyzeduration 4M -probesize 4M -i "$sdp" "$@" >"${sdp%.sdp}.log" 2>&1 &
	rpids+=($!)
}
for i in 1 2 3; do
	receive "$T/recv$i-video.sdp" -t $DUR -flush_packets 1 -f framecrc "$T/video$i.crc"
	receive "$T/recv$i-audio.sdp" -t $DUR -flush_packets 1 -f framecrc "$T/audio$i.crc"
done
receive "$T/recv4.sdp" -map 0:v? -flush_packets 1 -f framecrc "$T/video4.crc" \
	-map 0:a? -flush_packets 1 -f framecrc "$T/audio4.crc"
# ffmpeg binds its ports only after reading the SDP; on a loaded machine that
# can take a while, and a receiver that misses the start waits for a keyframe.
for i in 1 2 3 4; do
	wait_for 20 sh -c "ss -Hlun | grep -q ':$((50000 + 20 * i)) ' && ss -Hlun | grep -q ':$((50002 + 20 * i)) '" ||
		echo "receiver $i did not bind its ports in time"
done

url="srtp://$host:$port?rtcpport=$port&pkt_size=1200"
timeout 30 ffmpeg -hide_banner -nostdin -loglevel warning -re -progress "$T/publisher.progress" \
	-t $((DUR + 2)) -f lavfi -i testsrc2=size=320x240:rate=25 \
	-t $((DUR + 2)) -f lavfi -i sine=frequency=440:sample_rate=48000 \
	-map 0:v -c:v libvpx -deadline realtime -g 25 -b:v 600k -payload_type 96 \
	-f rtp -srtp_out_suite $suite -srtp_out_params "$pub_key" "$url" \
	-map 1:a -c:a libopus -b:a 64k -payload_type 111 \
	-f rtp -srtp_out_suite $suite -srtp_out_params "$pub_key" "$url" \
	>"$T/publisher.log" 2>&1
check "publisher ran to its end" test $? = 0
sent=$(grep -o '^frame=[0-9]*' "$T/publisher.progress" | tail -n 1 | cut -d= -f2)
check "publisher sent $((DUR + 2)) s of video (${sent:-0} frames)" test "${sent:-0}" = $(((DUR + 2) * 25))
win_video=$((DUR * 25)) win_audio=$((DUR * 50))   # published in the window (20 ms Opus frames)
need_video=$((win_video - win_video * 2 / 100)) need_audio=$((win_audio - win_audio * 2 / 100))

stats() { ctl '{"cmd":"stats"}' | tr -d '\n'; }
forwarded() {   # the relay sent each of the 4 viewers every packet and SR it received
	[ "$(stats | jq '.streams[0] | .pkts_in > 0 and .pkts_out == 4 * (.pkts_in + .sr_forwarded)')" = true ]
}
check "relay forwarded all it received" wait_for 10 forwarded
for i in 1 2 3; do
	check "receiver $i ended on its own after its $DUR s" \
		wait_for 20 sh -c "! kill -0 ${rpids[2 * i - 2]} && ! kill -0 ${rpids[2 * i - 1]}"
done
for p in "${rpids[@]}"; do kill -INT "$p" 2>/dev/null; done
for p in "${rpids[@]}"; do wait "$p" 2>/dev/null; done

logs_clean() { ffmpeg_log_clean "$1" && ffmpeg_log_clean "$2"; }
for i in 1 2 3; do
	vf=$(crc_frames "$T/video$i.crc") af=$(crc_frames "$T/audio$i.crc")
	echo "receiver $i: video frames $vf of $win_video, audio frames $af of $win_audio"
	check "receiver $i decodes the video published less 2 % ($vf >= $need_video)" test "$vf" -ge "$need_video"
	check "receiver $i decodes the audio published less 2 % ($af >= $need_audio)" test "$af" -ge "$need_audio"
	check "receiver $i: no decode or SRTP error" logs_clean "$T/recv$i-video.log" "$T/recv$i-audio.log"
	[ "$vf" -ge "$need_video" ] || { echo "--- receiver $i video log:"; tail -n 20 "$T/recv$i-video.log"; }
done
vf=$(crc_frames "$T/video4.crc") af=$(crc_frames "$T/audio4.crc")
echo "receiver 4 (wrong key): video frames $vf, audio frames $af"
check "wrong-key receiver decodes no video" test "$vf" = 0
check "wrong-key receiver decodes no audio" test "$af" = 0
check "wrong-key receiver saw authentication failures" grep -q "HMAC mismatch" "$T/recv4.log"

stats=$(stats)
echo "$stats" | jq -c '.streams[0]'
pin=$(jq '.streams[0].pkts_in' <<<"$stats")
pout=$(jq '.streams[0].pkts_out' <<<"$stats")
check "relay decrypted the publisher's packets ($pin)" test "$pin" -gt 300
sr=$(jq '.streams[0].sr_forwarded' <<<"$stats")
check "relay forwarded the publisher's sender reports ($sr)" test "$sr" -gt 0
check "relay sent every packet and SR to each of 4 viewers ($pout = 4 x ($pin + $sr))" test "$pout" = $((4 * (pin + sr)))
check "no SRTP failure on ingest" test "$(jq '.streams[0].srtp_fail' <<<"$stats")" = 0
check "relay latched RTCP too" test "$(jq '.streams[0].rtcp_in' <<<"$stats")" -gt 0

kill -TERM "$relay_pid"
wait "$relay_pid"
check "relay exits 0 on SIGTERM" test $? = 0
check "relay logged its stop" grep -q "stopped" "$T/relay.log"
finish
