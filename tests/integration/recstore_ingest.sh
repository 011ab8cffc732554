#!/usr/bin/env bash
# amphi-recstore ingest, end to end: real ffmpeg publishes RTP (VP8+Opus,
# H.264+Opus) to rectool, which journals the packets as the relay's recording
# sink does; the daemon picks the journals up from spool/ready (one left there
# before it started, one renamed in while it runs), and the recordings appear
# in the FUSE mount, playable, with the index's sha256.  A journal that is not
# one goes to spool/failed with its reason; a journal ingested twice is not
# indexed twice.
. "$(dirname "$0")/../lib.sh"

TOOL=${AMPHI_BUILD:-$AMPHI_TOP/build/default}/test-tools/rectool
[ -x "$TOOL" ] || skip "rectool not built ($TOOL)"
need_fuse
for t in ffmpeg ffprobe socat jq fusermount3; do
	command -v $t >/dev/null || skip "$t is not installed"
done
. "$(dirname "$0")/recstore.lib"
M=$T/mnt
SECONDS_PUB=2

publish() {   # publish NAME VIDEO_CODEC PORT ENCODER_ARGS...: one publish into $T/NAME.amj
	local name=$1 codec=$2 port=$3
	shift 3
	"$TOOL" capture --out "$T/$name.amj" --recording "$name" --webinar web-1 --org org-1 \
		--date "$(date +%s)" --idle 1.5 \
		--track "video:$codec:96:90000:$port" --track "audio:opus:111:48000:$((port + 2))" \
		>"$T/$name.capture" 2>&1 &
	local cap=$!
	wait_for 5 grep -q ready "$T/$name.capture" || { echo "capture did not start"; cat "$T/$name.capture"; }
	ffmpeg -hide_banner -loglevel error -nostdin \
		-re -t $SECONDS_PUB -f lavfi -i testsrc2=size=320x240:rate=30 \
		-re -t $SECONDS_PUB -f lavfi -i sine=frequency=440:sample_rate=48000 \
		-map 0:v "$@" -g 30 -payload_type 96 -f rtp "rtp://127.0.0.1:$port?pkt_size=1200" \
		-map 1:a -c:a libopus -b:a 64k -payload_type 111 -f rtp "rtp://127.0.0.1:$((port + 2))?pkt_size=1200" \
		>/dev/null 2>"$T/$name.ffmpeg"
	wait $cap
}

publish vp8rec VP8 5004 -c:v libvpx -b:v 600k -deadline realtime -cpu-used 8
check "vp8 journal written" test -s "$T/vp8rec.amj"
cp "$T/vp8rec.amj" "$T/vp8rec.copy"
mkdir -p "$T/spool/ready"
mv "$T/vp8rec.amj" "$T/spool/ready/"
rs_start
check "journal present at start is ingested" wait_for 30 test -e "$M/by-webinar/web-1/vp8rec.webm"
check "its journal is deleted" wait_for 5 test ! -e "$T/spool/ready/vp8rec.amj"
show=$(rs_ctl '{"cmd":"show","id":"vp8rec"}')
check "cat | sha256sum = index sha256" test "$(sha256sum <"$M/by-org/org-1/vp8rec.webm" | cut -d' ' -f1)" = "$(jq -r .recording.sha256 <<<"$show")"
check "codecs in the index" test "$(jq -r .recording.codecs <<<"$show")" = "vp8,opus"
check "ffprobe sees vp8 and opus through the mount" \
	test "$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$M/by-webinar/web-1/vp8rec.webm" | tr '\n' ' ')" = "vp8 opus "
check "decodes through the mount without error" \
	test -z "$(ffmpeg -nostdin -v error -i "$M/by-webinar/web-1/vp8rec.webm" -f null - 2>&1)"
check "expiry = webinar date + 12 months" \
	test "$(jq -r .recording.expires_at <<<"$show" | cut -c1-10)" = "$(date -u -d '+12 months' +%F)"

publish h264rec H264 5008 -c:v libx264 -preset ultrafast -tune zerolatency -profile:v baseline
mv "$T/h264rec.amj" "$T/spool/ready/"
check "journal renamed in while running is ingested" wait_for 30 test -e "$M/by-webinar/web-1/h264rec.mkv"
check "h264 recording decodes" test -z "$(ffmpeg -nostdin -v error -i "$M/by-org/org-1/h264rec.mkv" -f null - 2>&1)"
check "h264 duration within 0.5 s of the publish" awk -v d="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$M/by-webinar/web-1/h264rec.mkv")" -v s=$SECONDS_PUB 'BEGIN { x = d - s; if (x < 0) x = -x; exit !(x <= 0.5) }'

printf 'not a journal at all\n' >"$T/bad.tmp"
mv "$T/bad.tmp" "$T/spool/ready/bad.amj"
check "a journal that is not one goes to spool/failed" wait_for 10 test -e "$T/spool/failed/bad.amj"
check "... with its reason beside it" wait_for 5 grep -q "journal" "$T/spool/failed/bad.amj.reason"
check "... and the reason logged" wait_for 5 grep -q "journal moved to failed" "$T/recstore.log"
check "... unchanged" test "$(cat "$T/spool/failed/bad.amj")" = "not a journal at all"

mv "$T/vp8rec.copy" "$T/spool/ready/vp8rec.amj"
check "a journal ingested before is deleted, not re-indexed" wait_for 10 test ! -e "$T/spool/ready/vp8rec.amj"
check "... and the first recording is unchanged" \
	test "$(rs_ctl '{"cmd":"show","id":"vp8rec"}' | jq -r .recording.sha256)" = "$(jq -r .recording.sha256 <<<"$show")"
st=$(rs_ctl '{"cmd":"stats"}')
check "stats: 2 ingested, 1 failed" test "$(jq -r '"\(.ingested) \(.ingest_failed) \(.recordings)"' <<<"$st")" = "2 1 2"
check "fsck clean" test "$(rs_ctl '{"cmd":"fsck"}' | jq -r .clean)" = true
finish
