#!/usr/bin/env bash
# relay_shutdown: amphi-relay stops within 2 s of SIGTERM with every kind of
# client connected, and keeps its files private (issue 11, items 1 and 6).
#
# Clients: a recorded stream published by ffmpeg (SDES-SRTP), two SDES
# viewers whose UDP sinks are receiving, WebRTC viewers of amphi-bench
# (STUN, DTLS 1.2 with use_srtp, SRTP) on a stream of its own, a
# control-socket client connected and idle and one stopped in the middle of
# a request line.  The test runs under umask 022:
# the relay must set its own (077), so that its control socket is 0600, the
# spool and spool/ready 0700 and its journals 0600.  Then SIGTERM: the process
# must be gone within 2 s, with status 0, after logging 'stopped', and the
# recording's journal must be in spool/ready/.
. "$(dirname "$0")/../lib.sh"
for c in ffmpeg jq python3 socat; do
	command -v $c >/dev/null || skip "$c is not installed"
done

umask 022
sock=$T/relay.sock spool=$T/spool
ctl() { jq -c . <<<"$1" | socat -t5 - "UNIX-CONNECT:$sock"; }
key() { head -c 30 /dev/urandom | base64 -w0; }
mode() { stat -c %a "$1"; }
suite=AES_CM_128_HMAC_SHA1_80

spawn relay "$AMPHI_BIN/amphi-relay" --workers 2 --port-base 43700 --control "$sock" \
	--spool "$spool" --config "$AMPHI_TOP/etc/relay.conf"
wait_for 10 sh -c "printf '%s\n' '{\"cmd\":\"ping\"}' | socat -t2 - UNIX-CONNECT:$sock 2>/dev/null | grep -q true" ||
	{ fail "relay answers ping"; finish; }

pub_key=$(key)
resp=$(ctl "{\"cmd\":\"stream.create\",\"id\":\"talk\",\"record\":true,\"recording\":\"rec-stop\",
  \"webinar\":\"w-1\",\"org\":\"o-1\",\"webinar_date\":\"2026-12-07\",\"tracks\":[
  {\"kind\":\"audio\",\"codec\":\"opus\",\"pt\":111,\"clock_rate\":48000},
  {\"kind\":\"video\",\"codec\":\"VP8\",\"pt\":96,\"clock_rate\":90000}],
  \"ingest\":{\"suite\":\"$suite\",\"key\":\"$pub_key\"}}" | tr -d '\n')
check "a recorded stream" test "$(jq -r .ok <<<"$resp")" = true
port=$(jq -r .ingest.port <<<"$resp")

for i in 1 2; do
	u=$((51000 + 10 * i))
	spawn sink$i socat -u "UDP4-RECV:$u,bind=127.0.0.1" "OPEN:$T/sink$i,creat,trunc"
	r=$(ctl "{\"cmd\":\"viewer.add\",\"stream\":\"talk\",\"id\":\"v$i\",\"suite\":\"$suite\",
	  \"key\":\"$(key)\",\"addr\":\"127.0.0.1:$u\"}" | tr -d '\n')
	check "SDES viewer v$i added" test "$(jq -r .ok <<<"$r")" = true
done

url="srtp://127.0.0.1:$port?rtcpport=$port&pkt_size=1200"
spawn ffmpeg ffmpeg -hide_banner -nostdin -loglevel error -re \
	-t 60 -f lavfi -i testsrc2=size=320x240:rate=25 -t 60 -f lavfi -i sine=frequency=440:sample_rate=48000 \
	-map 0:v -c:v libvpx -deadline realtime -b:v 300k -payload_type 96 \
	-f rtp -srtp_out_suite $suite -srtp_out_params "$pub_key" "$url" \
	-map 1:a -c:a libopus -payload_type 111 \
	-f rtp -srtp_out_suite $suite -srtp_out_params "$pub_key" "$url"

NW=20
spawn bench "$AMPHI_BIN/amphi-bench" fanout --viewers $NW --bitrate 300000 --packet-size 1200 \
	--seconds 60 --suite gcm --transport webrtc --relay "$sock"

# A control client that connected and says nothing, and one that stopped
# in the middle of a request line.
spawn idle socat -u "UNIX-CONNECT:$sock" /dev/null
spawn half python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"{\"cmd\":\"sta")
time.sleep(120)' "$sock"

webrtc_up() {
	ctl '{"cmd":"stats"}' | jq -e "[.workers[].dtls_ok] | add >= $NW" >/dev/null
}
check "$NW WebRTC viewers completed DTLS" wait_for 30 webrtc_up
sdes_up() { [ "$(stat -c %s "$T/sink1")" -gt 20000 ] && [ "$(stat -c %s "$T/sink2")" -gt 20000 ]; }
check "both SDES viewers are receiving" wait_for 15 sdes_up
check "the publisher's packets are recorded" wait_for 5 bash -c \
	"ctl() { socat -t5 - UNIX-CONNECT:$sock <<<'{\"cmd\":\"stats\"}'; }; ctl | jq -e '.streams[] | select(.id==\"talk\") | .recorded > 100' >/dev/null"
wv=$(ctl '{"cmd":"stats"}' | jq '[.workers[].webrtc_peers] | add')
check "WebRTC viewers are still connected ($wv)" test "$wv" -ge $NW

check "the control socket is 0600 ($(mode "$sock"))" test "$(mode "$sock")" = 600
check "the spool is 0700 ($(mode "$spool"))" test "$(mode "$spool")" = 700
check "spool/ready is 0700 ($(mode "$spool/ready"))" test "$(mode "$spool/ready")" = 700
check "the open journal is 0600 ($(mode "$spool/rec-stop.amj"))" test "$(mode "$spool/rec-stop.amj")" = 600

check "both control clients are still connected" kill -0 "$idle_pid" "$half_pid"

t0=$(date +%s%N)
kill -TERM "$relay_pid"
for _ in $(seq 100); do kill -0 "$relay_pid" 2>/dev/null || break; sleep 0.05; done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "amphi-relay exits within 2 s of SIGTERM (${ms} ms)" test "$ms" -lt 2000
wait "$relay_pid" 2>/dev/null
rc=$?
check "... with status 0, after logging 'stopped'" bash -c "[ $rc = 0 ] && grep -q ' stopped' '$T/relay.log'"
check "the idle control client saw its connection closed" wait_for 2 bash -c "! kill -0 $idle_pid"
check "the journal was closed into spool/ready/" test -f "$spool/ready/rec-stop.amj"
check "... still 0600 there" test "$(mode "$spool/ready/rec-stop.amj")" = 600
finish
