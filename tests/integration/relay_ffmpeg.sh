#!/usr/bin/env bash
# relay_ffmpeg: real ffmpeg peers through amphi-relay (issue 3).
#
# One ffmpeg publishes VP8 + Opus as SDES-SRTP (AES_CM_128_HMAC_SHA1_80), as
# ffmpeg does it: two RTP sessions from two source ports, RTCP sent to the
# same relay port (rtcpport=).  Three ffmpeg receivers, each with its own key,
# must decode >= 100 video frames and audio with no decode error; a fourth
# receiver whose SDP carries a wrong key must decode nothing.  The relay's
# stats must agree: one decryption per ingress packet, one SRTP packet per
# viewer per packet.
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
	cat >"$T/recv$i.sdp" <<SDP
v=0
o=- 0 0 IN IP4 127.0.0.1
s=amphi viewer $i
c=IN IP4 127.0.0.1
t=0 0
m=audio $a RTP/SAVP 111
a=rtpmap:111 opus/48000/2
a=crypto:1 $suite inline:$sdp_key
m=video $v RTP/SAVP 96
a=rtpmap:96 VP8/90000
a=crypto:1 $suite inline:$sdp_key
SDP
done

# Receivers first (ffmpeg's SDP input binds its ports at start); SIGINT after
# the publisher ends stops them.  -flush_packets 1: after a signal ffmpeg aborts
# its remaining output writes ("Immediate exit requested"), so a buffered
# framecrc would lose every line it had not flushed yet.
rpids=()
for i in 1 2 3 4; do
	timeout -s INT 90 ffmpeg -hide_banner -nostdin -loglevel warning -protocol_whitelist file,udp,rtp,srtp \
		-analyzeduration 4M -probesize 4M -i "$T/recv$i.sdp" \
		-map 0:v? -flush_packets 1 -f framecrc "$T/video$i.crc" -map 0:a? -flush_packets 1 -f framecrc "$T/audio$i.crc" \
		>"$T/recv$i.log" 2>&1 &
	rpids+=($!)
done
# ffmpeg binds its ports only after reading the SDP; on a loaded machine that
# can take a while, and a receiver that misses the start waits for a keyframe.
for i in 1 2 3 4; do
	wait_for 20 sh -c "ss -Hlun | grep -q ':$((50000 + 20 * i)) ' && ss -Hlun | grep -q ':$((50002 + 20 * i)) '" ||
		echo "receiver $i did not bind its ports in time"
done
sleep 0.5

url="srtp://$host:$port?rtcpport=$port&pkt_size=1200"
timeout 30 ffmpeg -hide_banner -nostdin -loglevel warning -re \
	-t 8 -f lavfi -i testsrc2=size=320x240:rate=25 -t 8 -f lavfi -i sine=frequency=440:sample_rate=48000 \
	-map 0:v -c:v libvpx -deadline realtime -g 25 -b:v 600k -payload_type 96 \
	-f rtp -srtp_out_suite $suite -srtp_out_params "$pub_key" "$url" \
	-map 1:a -c:a libopus -b:a 64k -payload_type 111 \
	-f rtp -srtp_out_suite $suite -srtp_out_params "$pub_key" "$url" \
	>"$T/publisher.log" 2>&1
check "publisher ran to its end" test $? = 0
sleep 1
for p in "${rpids[@]}"; do kill -INT "$p" 2>/dev/null; done
for p in "${rpids[@]}"; do wait "$p" 2>/dev/null; done

frames() { if [ -f "$1" ]; then grep -vc '^#' "$1"; else echo 0; fi; }
for i in 1 2 3; do
	vf=$(frames "$T/video$i.crc") af=$(frames "$T/audio$i.crc")
	echo "receiver $i: video frames $vf, audio frames $af"
	check "receiver $i decodes >= 100 video frames ($vf)" test "$vf" -ge 100
	check "receiver $i decodes audio ($af frames)" test "$af" -ge 100
	check "receiver $i: no decode or SRTP error" ffmpeg_log_clean "$T/recv$i.log"
	[ "$vf" -ge 100 ] || { echo "--- receiver $i log:"; tail -n 20 "$T/recv$i.log"; }
done
vf=$(frames "$T/video4.crc") af=$(frames "$T/audio4.crc")
echo "receiver 4 (wrong key): video frames $vf, audio frames $af"
check "wrong-key receiver decodes no video" test "$vf" = 0
check "wrong-key receiver decodes no audio" test "$af" = 0
check "wrong-key receiver saw authentication failures" grep -q "HMAC mismatch" "$T/recv4.log"

stats=$(ctl '{"cmd":"stats"}' | tr -d '\n')
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
