#!/usr/bin/env bash
# Recording ingest with real peers: ffmpeg publishes plain RTP (VP8+Opus,
# VP9+Opus, H.264+Opus) to rectool, which journals every packet with common/journal as
# the relay's recording sink does; rec_ingest_journal() turns each journal
# into a media file, checked with ffprobe and a full ffmpeg decode.  Then a
# torn journal, a damaged one, one that cannot be muxed, and a full disk.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rec_media.inc"

TOOL=${AMPHI_BUILD:-$AMPHI_TOP/build/default}/test-tools/rectool
SECONDS_PUB=4
REC_IDS=web-1/org-1/1795000000
[ -x "$TOOL" ] || skip "rectool not built ($TOOL)"
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || skip "ffmpeg/ffprobe not installed"

# publish NAME VIDEO_ENCODER_ARGS...: one publish into $T/NAME.amj.
publish() {
	local name=$1 codec=$2
	shift 2
	"$TOOL" capture --out "$T/$name.amj" --recording "$name" --webinar web-1 --org org-1 \
		--date 1795000000 --idle 1.5 \
		--track "video:$codec:96:90000:5004" --track audio:opus:111:48000:5006 \
		>"$T/$name.capture" 2>&1 &
	local cap=$!
	wait_for 5 grep -q ready "$T/$name.capture" || { echo "capture did not start"; cat "$T/$name.capture"; }
	ffmpeg -hide_banner -loglevel error -nostdin \
		-re -t $SECONDS_PUB -f lavfi -i testsrc2=size=320x240:rate=30 \
		-re -t $SECONDS_PUB -f lavfi -i sine=frequency=440:sample_rate=48000 \
		-map 0:v "$@" -g 30 -payload_type 96 -f rtp 'rtp://127.0.0.1:5004?pkt_size=1200' \
		-map 1:a -c:a libopus -b:a 64k -payload_type 111 -f rtp 'rtp://127.0.0.1:5006?pkt_size=1200' \
		>/dev/null 2>"$T/$name.ffmpeg"
	wait $cap
}

mkdir -p "$T/blobs"
publish vp8 VP8 -c:v libvpx -b:v 600k -deadline realtime -cpu-used 8
check "vp8: journal written" test -s "$T/vp8.amj"
check_media vp8 webm vp8

publish vp9 VP9 -c:v libvpx-vp9 -b:v 600k -deadline realtime -cpu-used 8 -strict experimental
check "vp9: journal written" test -s "$T/vp9.amj"
check_media vp9 webm vp9

publish h264 H264 -c:v libx264 -preset ultrafast -tune zerolatency -profile:v baseline
check "h264: journal written" test -s "$T/h264.amj"
check_media h264 mkv h264

# A journal cut mid-record (kill -9 during a write): everything before the
# cut is kept, the torn tail is reported.
cp "$T/vp8.amj" "$T/torn.amj"
truncate -s $(( $(stat -c %s "$T/vp8.amj") - 333 )) "$T/torn.amj"
"$TOOL" ingest "$T/torn.amj" "$T/blobs" >"$T/torn.ingest"
check "torn: ingested" test -s "$T/blobs/vp8.webm"
check "torn: tail reported" test "$(field "$T/torn.ingest" torn)" = 1
check "torn: all records before the cut kept" test \
	"$(field "$T/torn.ingest" records)" -ge $(( $(field "$T/vp8.ingest" records) - 1 ))
check "torn: still decodes cleanly" test -z "$(ffmpeg -nostdin -v error -i "$T/blobs/vp8.webm" -f null - 2>&1)"

# Damaged records in the middle: skipped and counted, the rest kept.
cp "$T/h264.amj" "$T/damaged.amj"
size=$(stat -c %s "$T/damaged.amj")
printf '\xa5\x5a\xa5' | dd of="$T/damaged.amj" bs=1 seek=$((size / 3)) conv=notrunc status=none
printf '\xff' | dd of="$T/damaged.amj" bs=1 seek=$((size * 2 / 3)) conv=notrunc status=none
"$TOOL" ingest "$T/damaged.amj" "$T/blobs" >"$T/damaged.ingest"
cat "$T/damaged.ingest"
check "damaged: two damaged regions counted" test "$(field "$T/damaged.ingest" crc_errors)" = 2
check "damaged: the other records kept" test \
	"$(field "$T/damaged.ingest" records)" -ge $(( $(field "$T/h264.ingest" records) - 4 ))
check "damaged: not torn" test "$(field "$T/damaged.ingest" torn)" = 0
dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/blobs/h264.mkv")
check "damaged: duration kept ($dur)" near "$dur" $SECONDS_PUB 0.5
check "damaged: decodes cleanly (video resumes at a keyframe)" \
	test -z "$(ffmpeg -nostdin -v error -i "$T/blobs/h264.mkv" -f null - 2>&1)"

# Journals that cannot become media: an error with a reason, the journal
# untouched, nothing left in the blob folder.
mkdir -p "$T/blobs2"
head -c 120 "$T/vp8.amj" >"$T/empty.amj"
sum=$(sha256sum <"$T/empty.amj")
"$TOOL" ingest "$T/empty.amj" "$T/blobs2" >"$T/empty.ingest"
check "no media: refused" test $? = 1
check "no media: reason given" grep -q "^error=no decodable media" "$T/empty.ingest"
check "no media: journal untouched" test "$(sha256sum <"$T/empty.amj")" = "$sum"
check "no media: blob folder empty" test -z "$(ls -A "$T/blobs2")"
printf 'not a journal at all\n' >"$T/text.amj"
"$TOOL" ingest "$T/text.amj" "$T/blobs2" >"$T/text.ingest"
check "not a journal: refused" test $? = 1
check "not a journal: refused with reason" grep -q "^error=not a journal" "$T/text.ingest"
check "not a journal: blob folder empty" test -z "$(ls -A "$T/blobs2")"

# A full disk while muxing: ENOSPC, temp file removed, journal kept.
if unshare -m true 2>/dev/null; then
	mkdir -p "$T/small"
	sum=$(sha256sum <"$T/h264.amj")
	unshare -m bash -c 'mount -t tmpfs -o size=64k tmpfs "$1" && "$2" ingest "$3" "$1" >"$4"; echo $? >"$5"; ls -A "$1" >"$6"' \
		_ "$T/small" "$TOOL" "$T/h264.amj" "$T/full.ingest" "$T/full.rc" "$T/full.ls"
	cat "$T/full.ingest"
	check "disk full: refused" test "$(cat "$T/full.rc")" = 1
	check "disk full: ENOSPC reported" test "$(field "$T/full.ingest" code)" = 28
	check "disk full: no temp file or blob left" test ! -s "$T/full.ls"
	check "disk full: journal untouched" test "$(sha256sum <"$T/h264.amj")" = "$sum"
fi
finish
