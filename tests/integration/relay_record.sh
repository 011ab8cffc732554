#!/usr/bin/env bash
# relay_record: the recording sink (issue 3).
#
# 1. A recorded stream published by ffmpeg, then deleted: its journal is in
#    spool/ready/, every record's CRC32C is good (checked by an independent
#    reader of docs/journal.md), and it holds exactly what the stats say was
#    recorded.
# 2. kill -9 of the relay in the middle of a recorded stream: the journal left
#    in spool/ reads back with no error up to its end or torn tail, and its
#    last record arrived less than a second before the kill.  At the next start
#    the relay cuts the tail (common/journal's reader) and moves it to ready/.
. "$(dirname "$0")/../lib.sh"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"
command -v jq >/dev/null || skip "jq is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

sock=$T/relay.sock spool=$T/spool
check_journal() { python3 "$AMPHI_TOP/tests/integration/relay_journal_check.py" "$1"; }
ctl() { jq -c . <<<"$1" | socat -t5 - "UNIX-CONNECT:$sock"; }
suite=AES_CM_128_HMAC_SHA1_80
key=$(head -c 30 /dev/urandom | base64 -w0)
start_relay() {
	spawn relay "$AMPHI_BIN/amphi-relay" --workers 2 --port-base 42100 --control "$sock" --spool "$spool"
	# After a kill -9 the old socket file is still there: wait for an answer.
	wait_for 10 sh -c "printf '%s\n' '{\"cmd\":\"ping\"}' | socat -t2 - UNIX-CONNECT:$sock 2>/dev/null | grep -q true"
}
create() {   # create ID RECORDING
	ctl "{\"cmd\":\"stream.create\",\"id\":\"$1\",\"record\":true,\"recording\":\"$2\",
	  \"webinar\":\"w-42\",\"org\":\"org-7\",\"webinar_date\":\"2026-11-23\",\"tracks\":[
	  {\"kind\":\"audio\",\"codec\":\"opus\",\"pt\":111,\"clock_rate\":48000},
	  {\"kind\":\"video\",\"codec\":\"VP8\",\"pt\":96,\"clock_rate\":90000}],
	  \"ingest\":{\"suite\":\"$suite\",\"key\":\"$key\"}}" | tr -d '\n'
}
publish() (   # publish PORT SECONDS; a subshell that becomes ffmpeg, so $! is ffmpeg
	url="srtp://127.0.0.1:$1?rtcpport=$1&pkt_size=1200"
	exec ffmpeg -hide_banner -nostdin -loglevel error -re \
		-t "$2" -f lavfi -i testsrc2=size=320x240:rate=25 -t "$2" -f lavfi -i sine=frequency=440:sample_rate=48000 \
		-map 0:v -c:v libvpx -deadline realtime -b:v 600k -payload_type 96 \
		-f rtp -srtp_out_suite $suite -srtp_out_params "$key" "$url" \
		-map 1:a -c:a libopus -payload_type 111 \
		-f rtp -srtp_out_suite $suite -srtp_out_params "$key" "$url"
)

start_relay
check "relay started" test -S "$sock"
resp=$(create talk1 rec-clean)
check "recorded stream.create answers ok" test "$(jq -r .ok <<<"$resp")" = true
check "the answer names the recording" test "$(jq -r .recording <<<"$resp")" = rec-clean
bad=$(ctl '{"cmd":"stream.create","id":"x","record":true,"tracks":[{"kind":"audio","codec":"opus","pt":111,"clock_rate":48000}],"ingest":{"suite":"AES_CM_128_HMAC_SHA1_80","key":"'"$key"'"}}')
check "record without webinar/org/date is refused" test "$(jq -r .ok <<<"$bad")" = false
port=$(jq -r .ingest.port <<<"$resp")
check "journal is open in the spool" test -f "$spool/rec-clean.amj"
publish "$port" 3 >"$T/pub1.log" 2>&1
sleep 0.3
recorded=$(ctl '{"cmd":"stats"}' | jq '.streams[] | select(.id=="talk1") | .recorded')
ctl '{"cmd":"stream.delete","id":"talk1"}' >/dev/null
check "deleted stream's journal moves to spool/ready" wait_for 5 test -f "$spool/ready/rec-clean.amj"
check "nothing left in the spool" test ! -e "$spool/rec-clean.amj"
j=$(check_journal "$spool/ready/rec-clean.amj")
echo "clean journal: $j (stats recorded $recorded)"
check "header ids as given" test "$(jq -r '.recording + "/" + .webinar + "/" + .org' <<<"$j")" = rec-clean/w-42/org-7
check "clean journal has no CRC error" test "$(jq .crc_errors <<<"$j")" = 0
check "clean journal has no torn tail" test "$(jq .torn <<<"$j")" = false
check "journal holds what stats counted ($recorded)" test "$(jq .records <<<"$j")" = "$recorded"
check "journal holds RTP and RTCP" test "$(jq '.rtp > 150 and .rtcp > 0' <<<"$j")" = true

# 2: kill -9 in the middle of a recorded stream.
resp=$(create talk2 rec-crash)
port=$(jq -r .ingest.port <<<"$resp")
publish "$port" 20 >"$T/pub2.log" 2>&1 &
pub=$!
sleep 4
before=$(ctl '{"cmd":"stats"}' | jq '.streams[] | select(.id=="talk2") | .recorded')
kill_ns=$(date +%s%N)
kill -KILL "$relay_pid"
wait "$relay_pid" 2>/dev/null
kill "$pub" 2>/dev/null; wait "$pub" 2>/dev/null
check "journal stays in the spool after kill -9" test -f "$spool/rec-crash.amj"
j=$(check_journal "$spool/rec-crash.amj")
echo "journal after kill -9: $j (stats said $before recorded just before)"
check "no CRC error before the end" test "$(jq .crc_errors <<<"$j")" = 0
# Stats counted packets still in the journal's buffer (flushed every 100 ms):
# allow the last second of the 4 s sent, no more.
check "at most a second's worth lost ($(jq .records <<<"$j") of $before)" \
	test "$(jq .records <<<"$j")" -ge $((before - before / 4))
lag_ms=$(( (kill_ns - $(jq .last_ns <<<"$j")) / 1000000 ))
echo "last record arrived ${lag_ms} ms before the kill"
check "at most the last second is missing (${lag_ms} ms)" test "$lag_ms" -lt 1000

start_relay
check "restarted relay recovers the leftover journal" wait_for 5 test -f "$spool/ready/rec-crash.amj"
check "recovery is logged" grep -q "leftover journal recovered" "$T/relay.log"
j2=$(check_journal "$spool/ready/rec-crash.amj")
check "recovered journal ends on a whole record" test "$(jq '.torn == false and .crc_errors == 0' <<<"$j2")" = true
check "recovery kept every whole record" test "$(jq .records <<<"$j2")" = "$(jq .records <<<"$j")"

# 3: SIGTERM closes open journals into ready/.
key=$(head -c 30 /dev/urandom | base64 -w0)
resp=$(create talk3 rec-term)
check "journal open before SIGTERM" test -f "$spool/rec-term.amj"
kill -TERM "$relay_pid"
wait "$relay_pid"
check "relay exits 0 on SIGTERM" test $? = 0
check "SIGTERM closed the journal into ready/" test -f "$spool/ready/rec-term.amj"
j=$(check_journal "$spool/ready/rec-term.amj")
check "closed empty journal is valid" test "$(jq '.torn == false and .records == 0' <<<"$j")" = true
finish
