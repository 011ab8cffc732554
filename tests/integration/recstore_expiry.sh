#!/usr/bin/env bash
# amphi-recstore expiry, through a real FUSE mount:
#  1. a retention of a few seconds: the file is visible until its second, gone
#     from every view from that second on, its blob deleted within 60 s; a
#     held recording outlives its expiry and goes once the hold is lifted;
#  2. a restart with AMPHI_TIME_OFFSET of 13 months under the default policy
#     expires a 12-month recording and keeps a published one;
#  3. kill -9 while the reaper works through a batch, restart (the stale
#     mount is cleared): fsck finds no orphan, no dangling entry.
. "$(dirname "$0")/../lib.sh"

need_fuse
for t in ffmpeg socat jq fusermount3; do
	command -v $t >/dev/null || skip "$t is not installed"
done
. "$(dirname "$0")/recstore.lib"
M=$T/mnt

ffmpeg -v error -f lavfi -i testsrc=size=160x120:rate=15 -f lavfi -i sine=frequency=440 -t 1 \
	-c:v libvpx -b:v 100k -c:a libopus "$T/a.webm"
import() {   # import ID WEBINAR_DATE
	rs_ctl "{\"cmd\":\"import\",\"path\":\"$T/a.webm\",\"id\":\"$1\",\"webinar\":\"w\",\"org\":\"o\",\"webinar_date\":$2}" |
		jq -r .ok
}

# --- 1. seconds --------------------------------------------------------------
rs_retention 6s 10s >"$T/retention-short.conf"
RS_RETENTION=$T/retention-short.conf rs_start one
t0=$(date +%s)
check "import short-lived" test "$(import short "$t0")" = true
check "import held" test "$(import held "$t0")" = true
check "hold" test "$(rs_ctl '{"cmd":"hold","id":"held","why":"court order"}' | jq -r .ok)" = true
exp=$(rs_ctl '{"cmd":"show","id":"short"}' | jq .recording.expires_at_unix)
check "expires_at = webinar date + 6 s" test "$exp" = $((t0 + 6))
day=$(rs_ctl '{"cmd":"show","id":"short"}' | jq -r .recording.start | cut -c1-10)

# Poll until it disappears; it must be there before its second, gone after.
# The time is read after each look: a file seen at a time < exp was visible
# before its second; a file missing at a time read after the look must be
# at or past its second.
seen_before=0 gone_at=
while :; do
	if [ -e "$M/by-webinar/w/short.webm" ]; then
		now=$(date +%s.%N)
		[ "${now%.*}" -lt "$exp" ] && seen_before=1
		[ "${now%.*}" -ge $((exp + 2)) ] && break
	else
		gone_at=$(date +%s.%N)
		break
	fi
	sleep 0.1
done
check "visible before its expiry" test $seen_before = 1
check "disappears (not seen 2 s after its expiry)" test -n "$gone_at"
check "not before its second" test "${gone_at%.*}" -ge "$exp"
check "gone from by-org and by-date too" test ! -e "$M/by-org/o/short.webm" -a ! -e "$M/by-date/$day/short.webm"
check "invisible to the control socket" test "$(rs_ctl '{"cmd":"show","id":"short"}' | jq -r .ok)" = false
check "blob deleted within 60 s" wait_for 60 test ! -e "$T/store/blobs/short.webm"
check "deletion audited as expire by the reaper" \
	test "$(rs_ctl '{"cmd":"audit"}' | jq -r '[.audit[] | select(.action=="expire" and .id=="short")][0].by')" = reaper
check "held recording outlives its expiry" test -e "$M/by-webinar/w/held.webm"
check "held blob kept" test -e "$T/store/blobs/held.webm"
check "unhold" test "$(rs_ctl '{"cmd":"unhold","id":"held"}' | jq -r .ok)" = true
check "unheld, expired: gone" wait_for 5 test ! -e "$M/by-webinar/w/held.webm"
check "unheld, expired: blob deleted" wait_for 60 test ! -e "$T/store/blobs/held.webm"

# publish extends within the policy maximum only
t1=$(date +%s)
import pub "$t1" >/dev/null
check "publish beyond the maximum refused" \
	test "$(rs_ctl "{\"cmd\":\"publish\",\"id\":\"pub\",\"until\":$((t1 + 60))}" | jq -r .ok)" = false
check "publish to the maximum" \
	test "$(rs_ctl '{"cmd":"publish","id":"pub"}' | jq .expires_at_unix)" = $((t1 + 10))
check "expire-now deletes at once" test "$(rs_ctl '{"cmd":"expire-now","id":"pub"}' | jq -r .ok)" = true
check "expire-now: blob gone" test ! -e "$T/store/blobs/pub.webm"
kill -TERM "$one_pid"
wait "$one_pid"

# --- 2. thirteen months later ------------------------------------------------
rm -rf "$T/store"
rs_start two
today=$(date -u +%F)
check "import 12-month recording" test "$(import plain "\"$today\"")" = true
check "import recording to publish" test "$(import replay "\"$today\"")" = true
check "publish it" test "$(rs_ctl '{"cmd":"publish","id":"replay"}' | jq -r .ok)" = true
check "published expiry is 5 years" \
	test "$(rs_ctl '{"cmd":"show","id":"replay"}' | jq -r .recording.expires_at)" = "$(date -u -d "$today +5 years" +%F)T00:00:00Z"
kill -TERM "$two_pid"
wait "$two_pid"
export AMPHI_TIME_OFFSET=$(( $(date -u -d "$today +13 months" +%s) - $(date -u -d "$today" +%s) ))
rs_start three
check "13 months later: 12-month recording invisible" test ! -e "$M/by-webinar/w/plain.webm"
check "13 months later: its blob deleted" wait_for 60 test ! -e "$T/store/blobs/plain.webm"
check "13 months later: published recording kept" test -e "$M/by-webinar/w/replay.webm"
check "... and readable" cmp -s "$M/by-webinar/w/replay.webm" "$T/a.webm"
check "fsck clean" test "$(rs_ctl '{"cmd":"fsck"}' | jq -r .clean)" = true
kill -TERM "$three_pid"
wait "$three_pid"
unset AMPHI_TIME_OFFSET

# --- 3. kill -9 while reaping ------------------------------------------------
rm -rf "$T/store"
RS_RETENTION=$T/retention-short.conf RS_CONF="batch = 2" rs_start four
now=$(date +%s)
n=0
for i in $(seq 1 20); do [ "$(import "k$i" "$now")" = true ] && n=$((n + 1)); done
check "20 recordings imported" test $n = 20
visible_before=$(ls "$M/by-webinar/w" | wc -l)
# Stop before they expire (retention 6 s), restart a minute later (clock
# offset) so the reaper (2 per second) works through all 20, and kill it
# half-way.
kill -TERM "$four_pid"
wait "$four_pid"
export AMPHI_TIME_OFFSET=60
RS_RETENTION=$T/retention-short.conf RS_CONF="batch = 2" rs_start five
sleep 3.3
kill -KILL "$five_pid"
wait "$five_pid" 2>/dev/null
left=$(ls "$T/store/blobs" | grep -c '^k')
check "killed half-way through reaping (some blobs left: $left)" test "$left" -gt 0 -a "$left" -lt 20
RS_RETENTION=$T/retention-short.conf rs_start six
check "restart after kill -9 clears the stale mount" mountpoint -q "$M"
check "... and says so" grep -q "stale mount found" "$T/six.log"
check "every expired recording invisible after restart" test "$(ls "$M/by-webinar" | wc -l)" = 0
check "reaper finishes after the restart" wait_for 60 bash -c "[ -z \"\$(ls '$T/store/blobs')\" ]"
fsck=$(rs_ctl '{"cmd":"fsck"}')
check "fsck: no orphan" test "$(jq '.orphans | length' <<<"$fsck")" = 0
check "fsck: no dangling entry" test "$(jq '.dangling | length' <<<"$fsck")" = 0
check "fsck clean" test "$(jq -r .clean <<<"$fsck")" = true
check "every deletion audited" test "$(rs_ctl '{"cmd":"audit"}' | jq '[.audit[] | select(.action=="expire")] | length')" = 20
check "visible before the crash: 20" test "$visible_before" = 20
finish
