#!/usr/bin/env bash
# The reaper's clock guard: the daemon's wall clock jumps (LD_PRELOAD
# clockshift, the monotonic clock untouched) by an hour forward, then back.
# Each jump pauses the reaper with a loud log line: expired recordings are
# invisible but nothing is deleted until reaper-resume.
. "$(dirname "$0")/../lib.sh"

SHIFT=${AMPHI_BUILD:-$AMPHI_TOP/build/default}/test-tools/clockshift.so
need_fuse
[ -f "$SHIFT" ] || skip "clockshift.so not built"
for t in ffmpeg socat jq fusermount3; do
	command -v $t >/dev/null || skip "$t is not installed"
done
ldd "$AMPHI_BIN/amphi-recstore" | grep -q libasan && skip "an LD_PRELOAD helper cannot go before the ASan runtime"
. "$(dirname "$0")/recstore.lib"
M=$T/mnt

ffmpeg -v error -f lavfi -i testsrc=size=160x120:rate=15 -t 1 -c:v libvpx "$T/a.webm"
import() {
	rs_ctl "{\"cmd\":\"import\",\"path\":\"$T/a.webm\",\"id\":\"$1\",\"webinar\":\"w\",\"org\":\"o\",\"webinar_date\":$2}" | jq -r .ok
}
jumps() { grep -c "WALL CLOCK JUMPED" "$T/recstore.log"; }
jumped() { [ "$(jumps)" = "$1" ]; }   # jumped N: the log has N pause lines

echo 0 >"$T/shift"
rs_retention 1h 2h >"$T/retention.conf"
RS_RETENTION=$T/retention.conf RS_CONF="max_clock_jump = 5s" \
	RS_WRAP="env LD_PRELOAD=$SHIFT CLOCKSHIFT_FILE=$T/shift" rs_start
now=$(date +%s)
check "import (expires in an hour)" test "$(import fwd $((now - 10)))" = true
sleep 2
check "no pause while the clock is steady" jumped 0
check "not paused in stats" test "$(rs_ctl '{"cmd":"stats"}' | jq -r .reaper_paused)" = false

echo 7200 >"$T/shift"   # two hours ahead: the recording's hour is over
check "a forward jump pauses the reaper, loudly" wait_for 5 jumped 1
check "stats say paused" test "$(rs_ctl '{"cmd":"stats"}' | jq -r .reaper_paused)" = true
check "the recording is past its expiry: invisible" test ! -e "$M/by-webinar/w/fwd.webm"
sleep 3
check "but its blob is not deleted while paused" test -e "$T/store/blobs/fwd.webm"
check "reaper-resume" test "$(rs_ctl '{"cmd":"reaper-resume"}' | jq -r .ok)" = true
check "after resume the blob goes" wait_for 10 test ! -e "$T/store/blobs/fwd.webm"
check "not paused after resume" test "$(rs_ctl '{"cmd":"stats"}' | jq -r .reaper_paused)" = false

# The second recording expires 7 s after its import at +2h: later than the
# 5 s the backward jump's pause may take to show, so it cannot have expired
# before the pause.  Once it is past its expiry (invisible), two reaper
# passes (interval 1 s) must leave its blob alone.
now=$(date +%s)
check "import a second one" test "$(import back $((now + 7200 - 3593)))" = true
echo 0 >"$T/shift"      # back two hours
check "a backward jump pauses it too" wait_for 5 jumped 2
echo 7200 >"$T/shift"   # and forward again, past the second recording's expiry
check "still invisible once expired" wait_for 15 test ! -e "$M/by-webinar/w/back.webm"
sleep 2
check "still paused: nothing deleted" test -e "$T/store/blobs/back.webm"
rs_ctl '{"cmd":"reaper-resume"}' >/dev/null
check "deleted after resume" wait_for 10 test ! -e "$T/store/blobs/back.webm"
finish
