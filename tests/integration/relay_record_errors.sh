#!/usr/bin/env bash
# relay_record_errors: what an operator sees when recording goes wrong, and
# counters that only grow (issue 11, item 9).
#
# 1. The spool is a small tmpfs, filled to the last byte while an ffmpeg
#    SDES publisher streams to a recorded stream: `stats` counts the journal
#    writes that failed (record_write_errors) and the packets they lost
#    (record_drops), the log gives the cause in words ("No space left on
#    device", not err=-28), and says "recording resumed" once space is freed.
# 2. A viewer that leaves takes nothing from the stream's pkts_out.
# Runs in a mount namespace of its own so the tmpfs cannot outlive it.
if [ -z "${RELAY_DISKFULL_NS:-}" ] && [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	RELAY_DISKFULL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"
[ -n "${RELAY_DISKFULL_NS:-}" ] || skip "needs root and unshare -m (a private tmpfs)"
for t in ffmpeg socat jq; do
	command -v $t >/dev/null || skip "$t is not installed"
done

sock=$T/relay.sock spool=$T/spool
suite=AES_CM_128_HMAC_SHA1_80
key=$(head -c 30 /dev/urandom | base64 -w0)
vkey=$(head -c 30 /dev/urandom | base64 -w0)
ctl() { jq -c . <<<"$1" | socat -t5 - "UNIX-CONNECT:$sock"; }
stat_of() { ctl '{"cmd":"stats"}' | jq ".streams[] | select(.id==\"talk\") | .$1"; }
at_least() { [ "$(stat_of "$1")" -ge "$2" ] 2>/dev/null; }

mkdir -p "$spool"
mount -t tmpfs -o size=2m,mode=0700 tmpfs "$spool" || { fail "tmpfs mounted"; finish; }
spawn relay "$AMPHI_BIN/amphi-relay" --workers 2 --port-base 42500 --control "$sock" --spool "$spool"
check "relay started" wait_for 10 sh -c "printf '%s\n' '{\"cmd\":\"ping\"}' | socat -t2 - UNIX-CONNECT:$sock 2>/dev/null | grep -q true"
resp=$(ctl "{\"cmd\":\"stream.create\",\"id\":\"talk\",\"record\":true,\"recording\":\"rec-full\",
  \"webinar\":\"w-1\",\"org\":\"org-1\",\"webinar_date\":\"2026-12-07\",\"tracks\":[
  {\"kind\":\"audio\",\"codec\":\"opus\",\"pt\":111,\"clock_rate\":48000},
  {\"kind\":\"video\",\"codec\":\"VP8\",\"pt\":96,\"clock_rate\":90000}],
  \"ingest\":{\"suite\":\"$suite\",\"key\":\"$key\"}}")
port=$(jq -r .ingest.port <<<"$resp")
check "recorded stream created" test -f "$spool/rec-full.amj"
check "a viewer added" test "$(ctl "{\"cmd\":\"viewer.add\",\"stream\":\"talk\",\"id\":\"v1\",\"suite\":\"$suite\",\"key\":\"$vkey\",\"addr\":\"127.0.0.1:42390\"}" | jq -r .ok)" = true

url="srtp://127.0.0.1:$port?rtcpport=$port&pkt_size=1200"
ffmpeg -hide_banner -nostdin -loglevel error -re \
	-t 30 -f lavfi -i testsrc2=size=320x240:rate=25 -t 30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
	-map 0:v -c:v libvpx -deadline realtime -cpu-used 8 -b:v 600k -payload_type 96 \
	-f rtp -srtp_out_suite $suite -srtp_out_params "$key" "$url" \
	-map 1:a -c:a libopus -payload_type 111 \
	-f rtp -srtp_out_suite $suite -srtp_out_params "$key" "$url" >"$T/pub.log" 2>&1 &
pub=$!
check "recording" wait_for 15 at_least recorded 100
check "the viewer is sent packets" wait_for 5 at_least pkts_out 100

# 2: the viewer leaves; what was sent to it stays counted.
out=$(stat_of pkts_out)
check "viewer removed" test "$(ctl '{"cmd":"viewer.remove","stream":"talk","id":"v1"}' | jq -r .ok)" = true
after=$(stat_of pkts_out)
check "pkts_out kept when the viewer left ($out, then $after)" test "$after" -ge "$out"

# 1: the disk fills up under the journal.
dd if=/dev/zero of="$spool/.ballast" bs=4k status=none 2>/dev/null
check "the spool is full" test "$(df --output=avail -B1 "$spool" | tail -n 1 | tr -d ' ')" = 0
check "failed journal writes counted" wait_for 10 at_least record_write_errors 1
check "their packets counted as record_drops" wait_for 5 at_least record_drops 1
echo "record_write_errors=$(stat_of record_write_errors) record_drops=$(stat_of record_drops) recorded=$(stat_of recorded)"
check "the log says why in words" grep -q 'error .*journal write failed, records lost recording=rec-full err="No space left on device"' "$T/relay.log"
grep 'journal write failed' "$T/relay.log" | head -2
n=$(grep -c 'journal write failed' "$T/relay.log")
check "the failure log is rate-limited ($n lines)" test "$n" -le 12

rm -f "$spool/.ballast"
check "recording resumed is logged once space is back" wait_for 10 grep -q 'info .*recording resumed recording=rec-full lost=[1-9]' "$T/relay.log"
grep 'recording resumed' "$T/relay.log"
r=$(stat_of recorded)
check "recording goes on" wait_for 10 at_least recorded $((r + 50))
kill "$pub" 2>/dev/null
wait "$pub" 2>/dev/null
check "stream deleted" test "$(ctl '{"cmd":"stream.delete","id":"talk"}' | jq -r .ok)" = true
check "its journal moves to spool/ready" wait_for 5 test -f "$spool/ready/rec-full.amj"
kill -TERM "$relay_pid"
wait "$relay_pid" 2>/dev/null
umount "$spool" 2>/dev/null
finish
