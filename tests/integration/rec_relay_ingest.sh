#!/usr/bin/env bash
# The whole recording path with real peers: ffmpeg publishes SDES-SRTP
# (VP8+Opus, then H.264+Opus) to amphi-relay, whose recording sink writes the
# journal into spool/ready/; rec_ingest_journal() (through rectool) turns it
# into a file that ffprobe and a full ffmpeg decode accept.  Then the journal
# a kill -9 of the relay leaves behind, recovered by the relay's restart, is
# ingested too: everything up to the crash becomes a playable file.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rec_media.inc"

TOOL=${AMPHI_BUILD:-$AMPHI_TOP/build/default}/test-tools/rectool
SECONDS_PUB=4
[ -x "$TOOL" ] || skip "rectool not built ($TOOL)"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay not built"
for c in ffmpeg ffprobe jq socat python3; do command -v $c >/dev/null || skip "$c is not installed"; done

sock=$T/relay.sock spool=$T/spool
suite=AES_CM_128_HMAC_SHA1_80
REC_IDS=web-9/org-9/$(date -u -d 2026-11-20 +%s)
ctl() { jq -c . <<<"$1" | socat -t5 - "UNIX-CONNECT:$sock"; }
start_relay() {
	spawn relay "$AMPHI_BIN/amphi-relay" --workers 2 --port-base 42200 --control "$sock" --spool "$spool"
	wait_for 10 test -S "$sock"
}
create() {   # create STREAM RECORDING VIDEO_CODEC KEY: prints the ingest port
	ctl "{\"cmd\":\"stream.create\",\"id\":\"$1\",\"record\":true,\"recording\":\"$2\",
	  \"webinar\":\"web-9\",\"org\":\"org-9\",\"webinar_date\":\"2026-11-20\",\"tracks\":[
	  {\"kind\":\"audio\",\"codec\":\"opus\",\"pt\":111,\"clock_rate\":48000},
	  {\"kind\":\"video\",\"codec\":\"$3\",\"pt\":96,\"clock_rate\":90000}],
	  \"ingest\":{\"suite\":\"$suite\",\"key\":\"$4\"}}" | jq -r .ingest.port
}
publish() (   # publish PORT SECONDS KEY VIDEO_ARGS...: becomes ffmpeg
	url="srtp://127.0.0.1:$1?rtcpport=$1&pkt_size=1200"
	secs=$2 key=$3
	shift 3
	exec ffmpeg -hide_banner -nostdin -loglevel error \
		-re -t "$secs" -f lavfi -i testsrc2=size=320x240:rate=30 \
		-re -t "$secs" -f lavfi -i sine=frequency=440:sample_rate=48000 \
		-map 0:v "$@" -g 30 -payload_type 96 \
		-f rtp -srtp_out_suite $suite -srtp_out_params "$key" "$url" \
		-map 1:a -c:a libopus -b:a 64k -payload_type 111 \
		-f rtp -srtp_out_suite $suite -srtp_out_params "$key" "$url"
)
# record NAME VIDEO_CODEC VIDEO_ARGS...: one recorded publish into $T/NAME.amj.
record() {
	local name=$1 codec=$2 key port
	shift 2
	key=$(head -c 30 /dev/urandom | base64 -w0)
	port=$(create "s-$name" "$name" "$codec" "$key")
	check "$name: recorded stream created (port $port)" test -n "$port" -a "$port" != null
	publish "$port" $SECONDS_PUB "$key" "$@" >"$T/$name.ffmpeg" 2>&1
	sleep 0.3
	ctl "{\"cmd\":\"stream.delete\",\"id\":\"s-$name\"}" >/dev/null
	check "$name: journal in spool/ready" wait_for 5 test -f "$spool/ready/$name.amj"
	cp "$spool/ready/$name.amj" "$T/$name.amj" 2>/dev/null
}

mkdir -p "$T/blobs"
start_relay
check "relay started" test -S "$sock"

record vp8 VP8 -c:v libvpx -b:v 600k -deadline realtime -cpu-used 8
check_media vp8 webm vp8
check "vp8: nothing torn or damaged" test "$(field "$T/vp8.ingest" torn)/$(field "$T/vp8.ingest" crc_errors)" = 0/0

record h264 H264 -c:v libx264 -preset ultrafast -tune zerolatency -profile:v baseline
check_media h264 mkv h264

# kill -9 of the relay three seconds into a ten-second publish, then a
# restart: the relay cuts the journal it left at its last whole record and
# moves it to spool/ready/ (its writes may still land just after the kill),
# and that journal ingests as everything recorded before the crash.
key=$(head -c 30 /dev/urandom | base64 -w0)
port=$(create s-crash crash VP8 "$key")
publish "$port" 10 "$key" -c:v libvpx -b:v 600k -deadline realtime -cpu-used 8 >"$T/crash.ffmpeg" 2>&1 &
pub=$!
sleep 3
kill -KILL "$relay_pid"
wait "$relay_pid" 2>/dev/null
kill "$pub" 2>/dev/null
wait "$pub" 2>/dev/null
start_relay
check "crash: the restarted relay moves the journal to spool/ready" wait_for 10 test -f "$spool/ready/crash.amj"
"$TOOL" ingest "$spool/ready/crash.amj" "$T/blobs" >"$T/crash.ingest"
cat "$T/crash.ingest"
f=$T/blobs/crash.webm
dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f" 2>/dev/null)
# What the journal holds, read independently of common/journal: the RTP
# timestamp span of its audio (a publisher starved of CPU sends less media
# than wall time, so arrival times would overstate it).
span=$(python3 - "$spool/ready/crash.amj" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
o = struct.unpack_from('<I', b, 12)[0]
ts = []
while o + 17 <= len(b):
    n, _, track = struct.unpack_from('<IQB', b, o)
    p = b[o + 13:o + 13 + n]
    if not track & 0x80 and p[1] & 0x7f == 111:
        ts.append(struct.unpack_from('>I', p, 4)[0])
    o += n + 17
print(((ts[-1] - ts[0]) & 0xffffffff) / 48000 + 0.02 if ts else 0)
PY
)
check "crash: ingested up to the kill (${dur:-none} s, journal holds $span s of audio)" near "${dur:-0}" "$span" 0.3
check "crash: more than half a second was recorded" near "$span" 2 1.5
check "crash: both streams" test "$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$f" | tr '\n' ' ')" = "vp8 opus "
errs=$(ffmpeg -nostdin -v error -i "$f" -f null - 2>&1)
check "crash: decodes cleanly" test -z "$errs"
[ -z "$errs" ] || echo "$errs" | head -5
finish
