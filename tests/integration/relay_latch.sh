#!/usr/bin/env bash
# relay_latch: egress viewers that latch their address (issue 3,
# docs/relay-control.md "latch").  Two viewers are added with "latch": true
# and no address.  An ffmpeg receiver sends no RTCP before it has received
# media (its receiver reports go out only as packets arrive), so the latch
# trigger is one libsrtp-protected SRTCP receiver report sent from the
# receiver's RTCP port (tests/tools/relay_srtcp_rr), under the viewer's key
# for viewer 1 and under a wrong key for viewer 2.  Then real ffmpeg
# receivers bind those ports and a real ffmpeg publisher sends VP8: receiver 1
# must decode every frame published less 2 % (media to the port below the
# RTCP port, RFC 3550 pairs), receiver 2 nothing, and the relay must have sent
# to viewer 1 only.  What was published: receiver 1 writes the first 5 s it
# receives (125 frames) and ends on its own; the publisher sends 6 s.  The
# tolerance: receiver 1 has bound its port before the first packet and the
# publisher starts on a keyframe, so on loopback it decodes every frame of its
# window; 2 % (2 frames) is for a datagram a receiver starved of CPU drops
# from a full socket buffer.  The test waits on events: the bound ports, the
# relay's stats, receiver 1's own exit at the end of its window.
# The peers' addresses (viewer 1's, the publisher's) are in the debug lines
# only: the relay runs with AMPHI_LOG=debug and its info, warn and error
# lines must not hold them (docs/privacy.md).
# The many-viewer case (every packet to 300 latched viewers, an impostor, a
# silent viewer) is in relay_fanout.sh.
. "$(dirname "$0")/../lib.sh"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"
command -v jq >/dev/null || skip "jq is not installed"
command -v socat >/dev/null || skip "socat is not installed"
RR=${AMPHI_BUILD:-$AMPHI_TOP/build/default}/test-tools/relay_srtcp_rr
[ -x "$RR" ] || skip "relay_srtcp_rr not built ($RR)"

sock=$T/relay.sock
ctl() { jq -c . <<<"$1" | socat -t5 - "UNIX-CONNECT:$sock"; }
key() { head -c 30 /dev/urandom | base64 -w0; }
suite=AES_CM_128_HMAC_SHA1_80

spawn relay env AMPHI_LOG=debug "$AMPHI_BIN/amphi-relay" --workers 2 --port-base 42400 --control "$sock"
check "relay control socket answers" wait_for 10 test -S "$sock"
wait_for 5 sh -c "printf '%s\n' '{\"cmd\":\"ping\"}' | socat -t2 - UNIX-CONNECT:$sock | grep -q true"

pub_key=$(key)
resp=$(ctl "{\"cmd\":\"stream.create\",\"id\":\"talk\",\"tracks\":[{\"kind\":\"video\",\"codec\":\"VP8\",\"pt\":96,\"clock_rate\":90000}],
  \"ingest\":{\"suite\":\"$suite\",\"key\":\"$pub_key\"}}" | tr -d '\n')
check "stream.create answers ok" test "$(jq -r .ok <<<"$resp")" = true
port=$(jq -r .ingest.port <<<"$resp") host=$(jq -r .ingest.host <<<"$resp")

resp=$(ctl "{\"cmd\":\"viewer.add\",\"stream\":\"talk\",\"id\":\"v0\",\"suite\":\"$suite\",\"key\":\"$(key)\",
  \"latch\":true,\"addr\":\"127.0.0.1:50500\"}" | tr -d '\n')
check "latch together with addr is refused" test "$(jq -r .ok <<<"$resp")" = false
resp=$(ctl "{\"cmd\":\"viewer.add\",\"stream\":\"talk\",\"id\":\"v0\",\"suite\":\"$suite\",\"key\":\"$(key)\",
  \"latch\":\"yes\"}" | tr -d '\n')
check "latch must be a boolean" test "$(jq -r .ok <<<"$resp")" = false

declare -a keys egress
for i in 1 2; do
	keys[i]=$(key)
	resp=$(ctl "{\"cmd\":\"viewer.add\",\"stream\":\"talk\",\"id\":\"viewer$i\",\"suite\":\"$suite\",
	  \"key\":\"${keys[i]}\",\"latch\":true}" | tr -d '\n')
	check "viewer.add viewer$i with latch" test "$(jq -r .ok <<<"$resp")" = true
	egress[i]="$(jq -r .egress.host <<<"$resp"):$(jq -r .egress.port <<<"$resp")"
	v=$((50500 + 20 * i))
	cat >"$T/recv$i.sdp" <<SDP
v=0
o=- 0 0 IN IP4 127.0.0.1
s=amphi latching viewer $i
c=IN IP4 127.0.0.1
t=0 0
m=video $v RTP/SAVP 96
a=rtpmap:96 VP8/90000
a=crypto:1 $suite inline:${keys[i]}
SDP
done

# The triggers, from each receiver's RTCP port (video port + 1).
check "viewer 1's report sent" "$RR" --suite $suite --key "${keys[1]}" --from 50521 --to "${egress[1]}"
check "viewer 2's report (wrong key) sent" "$RR" --suite $suite --key "$(key)" --from 50541 --to "${egress[2]}"
check "relay logged viewer 1's latch to its RTCP port (debug)" \
	wait_for 5 grep -q " debug relay viewer latched at viewer=viewer1 source=127.0.0.1:50521" "$T/relay.log"
check "... and at info without it" grep -q " info relay viewer latched viewer=viewer1 rtcp_mux=0" "$T/relay.log"

# Each receiver writes the first DUR seconds it receives and ends on its
# own; the publisher sends one second more, so every frame of the window is
# followed by more and leaves ffmpeg's pipeline (a signal cuts its last writes).
DUR=5
rpids=()
for i in 1 2; do
	timeout -s INT 90 ffmpeg -hide_banner -nostdin -loglevel warning -protocol_whitelist file,udp,rtp,srtp \
		-analyzeduration 4M -probesize 4M -i "$T/recv$i.sdp" \
		-map 0:v? -t $DUR -flush_packets 1 -f framecrc "$T/video$i.crc" >"$T/recv$i.log" 2>&1 &
	rpids+=($!)
done
for i in 1 2; do
	wait_for 20 sh -c "ss -Hlun | grep -q ':$((50500 + 20 * i)) '" || echo "receiver $i did not bind in time"
done

url="srtp://$host:$port?rtcpport=$port&pkt_size=1200"
timeout 30 ffmpeg -hide_banner -nostdin -loglevel warning -re -progress "$T/publisher.progress" \
	-t $((DUR + 1)) -f lavfi -i testsrc2=size=320x240:rate=25 \
	-map 0:v -c:v libvpx -deadline realtime -g 25 -b:v 600k -payload_type 96 \
	-f rtp -srtp_out_suite $suite -srtp_out_params "$pub_key" "$url" \
	>"$T/publisher.log" 2>&1
check "publisher ran to its end" test $? = 0
sent=$(grep -o '^frame=[0-9]*' "$T/publisher.progress" | tail -n 1 | cut -d= -f2)
check "publisher sent $((DUR + 1)) s of video (${sent:-0} frames)" test "${sent:-0}" = $(((DUR + 1) * 25))
pub=$((DUR * 25)) need=$((DUR * 25 - DUR * 25 * 2 / 100))   # published in the window, less 2 %

stats() { ctl '{"cmd":"stats"}' | tr -d '\n'; }
forwarded() {   # the relay sent the latched viewer every packet and SR it received
	[ "$(stats | jq '.streams[0] | .pkts_in > 0 and .pkts_out == .pkts_in + .sr_forwarded')" = true ]
}
check "relay forwarded all it received" wait_for 10 forwarded
check "receiver 1 ended on its own after its $DUR s" wait_for 20 sh -c "! kill -0 ${rpids[0]}"
for p in "${rpids[@]}"; do kill -INT "$p" 2>/dev/null; done
for p in "${rpids[@]}"; do wait "$p" 2>/dev/null; done

vf1=$(crc_frames "$T/video1.crc") vf2=$(crc_frames "$T/video2.crc")
echo "latched receiver: $vf1 of $pub video frames; wrong-key latch: $vf2"
check "latched receiver decodes the video published less 2 % ($vf1 >= $need)" test "$vf1" -ge "$need"
check "latched receiver: no decode or SRTP error" ffmpeg_log_clean "$T/recv1.log"
[ "$vf1" -ge "$need" ] || tail -n 20 "$T/recv1.log"
check "viewer with a wrong-key trigger got nothing ($vf2 frames)" test "$vf2" = 0
check "relay did not latch viewer 2" bash -c "! grep -q 'viewer latched viewer=viewer2' '$T/relay.log'"

pub_addr=$(sed -n 's/.* debug relay ingest source latched at stream=talk source=\([^ ]*\).*/\1/p' "$T/relay.log" | head -n 1)
check "the publisher's address is in a debug line ($pub_addr)" test -n "$pub_addr"
check "no info, warn or error line of the relay holds a peer's address" \
	bash -c "! grep -v ' debug relay ' '$T/relay.log' | grep -F -e '127.0.0.1:50521' -e '${pub_addr:-none}'"
stats=$(stats)
pin=$(jq '.streams[0].pkts_in' <<<"$stats") pout=$(jq '.streams[0].pkts_out' <<<"$stats")
sr=$(jq '.streams[0].sr_forwarded' <<<"$stats")
check "relay sent to the latched viewer only ($pout = $pin + $sr)" test "$pout" = $((pin + sr))
check "relay counted the wrong-key report as an unknown source" \
	test "$(jq '[.workers[].unknown_source] | add' <<<"$stats")" -ge 1

kill -TERM "$relay_pid"
wait "$relay_pid"
check "relay exits 0 on SIGTERM" test $? = 0
finish
