#!/usr/bin/env bash
# A full disk in the running daemon: the blob folder is a small tmpfs filled
# to the last byte, a real journal (ffmpeg RTP captured by rectool) arrives
# in spool/ready.  Muxing fails with ENOSPC: the journal stays in ready/
# unchanged (not failed/), no temporary file is left, the log says why at
# error level; the daemon retries with a growing wait (1 s, 2 s, then the
# 3 s cap here); once space is freed the next attempt ingests it and the
# file appears in the mount, intact.
# Runs in a mount namespace of its own so the tmpfs cannot outlive it.
if [ -z "${RS_DISKFULL_NS:-}" ] && [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	RS_DISKFULL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"

TOOL=${AMPHI_BUILD:-$AMPHI_TOP/build/default}/test-tools/rectool
[ -n "${RS_DISKFULL_NS:-}" ] || skip "needs root and unshare -m (a private tmpfs)"
[ -x "$TOOL" ] || skip "rectool not built ($TOOL)"
need_fuse
for t in ffmpeg socat jq fusermount3; do
	command -v $t >/dev/null || skip "$t is not installed"
done
. "$(dirname "$0")/recstore.lib"
M=$T/mnt

# One second of VP8+Opus from ffmpeg, journaled as the relay's sink does.
"$TOOL" capture --out "$T/full1.amj" --recording full1 --webinar web-1 --org org-1 \
	--date "$(date +%s)" --idle 1.5 --track "video:VP8:96:90000:5104" --track "audio:opus:111:48000:5106" \
	>"$T/capture.log" 2>&1 &
cap=$!
wait_for 5 grep -q ready "$T/capture.log" || { echo "capture did not start"; cat "$T/capture.log"; }
ffmpeg -hide_banner -loglevel error -nostdin \
	-re -t 1 -f lavfi -i testsrc2=size=320x240:rate=30 -re -t 1 -f lavfi -i sine=frequency=440:sample_rate=48000 \
	-map 0:v -c:v libvpx -b:v 600k -deadline realtime -cpu-used 8 -g 30 -payload_type 96 \
	-f rtp "rtp://127.0.0.1:5104?pkt_size=1200" \
	-map 1:a -c:a libopus -b:a 64k -payload_type 111 -f rtp "rtp://127.0.0.1:5106?pkt_size=1200" \
	>/dev/null 2>"$T/ffmpeg.log"
wait $cap
check "journal captured" test -s "$T/full1.amj"
sum=$(sha256sum <"$T/full1.amj" | cut -d' ' -f1)

# The blob folder: a 1 MiB tmpfs with no byte left.
mkdir -p "$T/store/blobs"
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$T/store/blobs" || { fail "tmpfs mounted"; finish; }
dd if=/dev/zero of="$T/store/blobs/.ballast" bs=4k status=none 2>/dev/null
check "the blob folder is full" test "$(df --output=avail -B1 "$T/store/blobs" | tail -n 1 | tr -d ' ')" = 0

RS_CONF=$'[ingest]\nretry_first = 1s\nretry_interval = 3s' rs_start || { fail "amphi-recstore starts"; finish; }
cp "$T/full1.amj" "$T/spool/full1.tmp" && mv "$T/spool/full1.tmp" "$T/spool/ready/full1.amj"

failures_at_least() { [ "$(grep -c 'blob folder full: ingest failed, journal kept for a retry' "$T/recstore.log")" -ge "$1" ]; }
check "ENOSPC logged at error level with the cause" \
	wait_for 20 grep -q 'error .*blob folder full: ingest failed.*journal=full1.amj rc=-28 attempt=1 retry_in_ms=1000 .*No space left on device' "$T/recstore.log"
check "the journal stays in spool/ready" test -e "$T/spool/ready/full1.amj"
check "... unchanged" test "$(sha256sum <"$T/spool/ready/full1.amj" | cut -d' ' -f1)" = "$sum"
check "... not moved to spool/failed" test -z "$(ls -A "$T/spool/failed")"
check "no temporary file or blob left" test "$(ls -A "$T/store/blobs")" = .ballast
check "not in the mount" test ! -e "$M/by-webinar/web-1/full1.webm"

# Four failed attempts: waits of 1 s, 2 s, then 3 s (the cap, not 4 s).
check "retried on its own" wait_for 20 failures_at_least 4
check "the waits grow and stop at the cap" \
	test "$(grep -o 'attempt=[0-9]* retry_in_ms=[0-9]*' "$T/recstore.log" | head -n 4 | tr '\n' ' ')" = \
	"attempt=1 retry_in_ms=1000 attempt=2 retry_in_ms=2000 attempt=3 retry_in_ms=3000 attempt=4 retry_in_ms=3000 "
# When the attempts happened (log timestamps): never earlier than announced.
times=$(grep 'blob folder full: ingest failed' "$T/recstore.log" | head -n 4 | cut -d' ' -f1 |
	while read -r ts; do date -u -d "$ts" +%s.%N; done | tr '\n' ' ')
check "no attempt before its time (gaps >= 1, 2, 3 s)" awk -v t="$times" 'BEGIN {
	n = split(t, a, " "); if (n < 4) exit 1
	print "  gaps:", a[2] - a[1], a[3] - a[2], a[4] - a[3]
	exit !(a[2] - a[1] >= 0.95 && a[3] - a[2] >= 1.95 && a[4] - a[3] >= 2.95) }'
check "still in spool/ready while the disk is full" test -e "$T/spool/ready/full1.amj"
check "stats counts the retries" test "$(rs_ctl '{"cmd":"stats"}' | jq .ingest_retried)" -ge 4

# Space comes back: the next attempt (at most 3 s away) ingests it.
rm -f "$T/store/blobs/.ballast"
check "after space is freed the file appears in the mount" wait_for 15 test -e "$M/by-webinar/web-1/full1.webm"
check "... its journal is deleted" wait_for 5 test ! -e "$T/spool/ready/full1.amj"
# (the log line follows the journal's deletion)
check "... logged as ingested on a later attempt" \
	wait_for 5 grep -Eq 'recording ingested id=full1 .* attempt=([5-9]|[1-9][0-9])$' "$T/recstore.log"
show=$(rs_ctl '{"cmd":"show","id":"full1"}')
check "... sha256 through the mount = the index's" \
	test "$(sha256sum <"$M/by-org/org-1/full1.webm" | cut -d' ' -f1)" = "$(jq -r .recording.sha256 <<<"$show")"
check "... decodes without error" test -z "$(ffmpeg -nostdin -v error -i "$M/by-webinar/web-1/full1.webm" -f null - 2>&1)"
check "... nothing in spool/failed" test -z "$(ls -A "$T/spool/failed")"
check "fsck clean" test "$(rs_ctl '{"cmd":"fsck"}' | jq -r .clean)" = true
check "stats: 1 ingested, 0 failed" test "$(rs_ctl '{"cmd":"stats"}' | jq -r '"\(.ingested) \(.ingest_failed)"')" = "1 0"
# The daemon must be stopped before the tmpfs under its store goes away.
kill -TERM "$rs_pid"
wait_for 10 bash -c "! kill -0 $rs_pid"
umount "$T/store/blobs" 2>/dev/null
finish
