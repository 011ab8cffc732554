#!/usr/bin/env bash
# Recording ingest with real peers: ffmpeg publishes plain RTP (VP8+Opus, then
# H.264+Opus) to rectool, which journals every packet with common/journal as
# the relay's recording sink does; rec_ingest_journal() turns each journal
# into a media file, checked with ffprobe and a full ffmpeg decode.  Then a
# torn journal, a damaged one, one that cannot be muxed, and a full disk.
. "$(dirname "$0")/../lib.sh"

TOOL=${AMPHI_BUILD:-$AMPHI_TOP/build/default}/test-tools/rectool
SECONDS_PUB=4
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

# field FILE KEY: a value from rectool ingest's key=value output.
field() { sed -n "s/^$2=//p" "$1"; }

near() {   # near A B TOLERANCE: |A - B| <= TOLERANCE
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

# check_media NAME EXT VCODEC: the media checks every good ingest must pass.
check_media() {
	local name=$1 ext=$2 vcodec=$3
	local out=$T/$name.ingest f=$T/blobs/$name.$ext
	check "$name: ingest succeeds" "$TOOL" ingest "$T/$name.amj" "$T/blobs" >"$out"
	cat "$out"
	check "$name: blob at $f" test -s "$f"
	check "$name: codecs $vcodec+opus" test "$(field "$out" codecs)" = "$vcodec+opus"
	check "$name: no temp file left" test -z "$(ls -A "$T/blobs" | grep '\.tmp$')"
	check "$name: size and sha256 match the file" test "$(field "$out" size) $(field "$out" sha256)" = \
		"$(stat -c %s "$f") $(sha256sum <"$f" | cut -d' ' -f1)"
	check "$name: ids from the journal" test "$(field "$out" id)/$(field "$out" webinar)/$(field "$out" org)/$(field "$out" webinar_date)" = "$name/web-1/org-1/1795000000"
	local streams
	streams=$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$f" | tr '\n' ' ')
	check "$name: ffprobe sees $vcodec and opus ($streams)" test "$streams" = "$vcodec opus "
	local dur
	dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")
	check "$name: duration $dur within 0.5 s of $SECONDS_PUB s" near "$dur" $SECONDS_PUB 0.5
	check "$name: duration_ms agrees with ffprobe" near "$(field "$out" duration_ms)" "$(awk -v d="$dur" 'BEGIN{print d*1000}')" 50
	local errs
	errs=$(ffmpeg -nostdin -v error -i "$f" -f null - 2>&1)
	check "$name: full decode without error" test -z "$errs"
	[ -z "$errs" ] || echo "$errs" | head -5
	check "$name: first video frame is a keyframe" test "$(ffprobe -v error -select_streams v \
		-read_intervals %+#1 -show_entries frame=key_frame -of csv=p=0 "$f" | head -1 | cut -d, -f1)" = 1
	local sv sa
	sv=$(ffprobe -v error -select_streams v -show_entries stream=start_time -of csv=p=0 "$f")
	sa=$(ffprobe -v error -select_streams a -show_entries stream=start_time -of csv=p=0 "$f")
	check "$name: audio and video start together ($sv / $sa)" near "$sv" "$sa" 0.2
	local w
	w=$(ffprobe -v error -select_streams v -show_entries stream=width,height -of csv=p=0 "$f")
	check "$name: frame size 320x240 in the header ($w)" test "$w" = "320,240"
}

mkdir -p "$T/blobs"
publish vp8 VP8 -c:v libvpx -b:v 600k -deadline realtime -cpu-used 8
check "vp8: journal written" test -s "$T/vp8.amj"
check_media vp8 webm vp8

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
