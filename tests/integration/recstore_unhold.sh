#!/usr/bin/env bash
# amphi-recstore: lifting a legal hold wakes the reaper, whichever front end
# lifts it.  The reaper's interval is an hour here, so only a wake-up can
# delete anything during the test:
#  1. FUSE: a held recording is moved past its expiry with setfattr (kept:
#     held), then setfattr legal_hold=0: gone from the mount at once, its
#     blob deleted within seconds, audited as expire by the reaper;
#  2. the control socket's unhold does the same.
. "$(dirname "$0")/../lib.sh"

need_fuse
for t in ffmpeg socat jq getfattr setfattr fusermount3; do
	command -v $t >/dev/null || skip "$t is not installed"
done
. "$(dirname "$0")/recstore.lib"
M=$T/mnt

ffmpeg -v error -f lavfi -i testsrc=size=160x120:rate=15 -f lavfi -i sine=frequency=440 -t 1 \
	-c:v libvpx -b:v 100k -c:a libopus "$T/a.webm"
import() {   # import ID
	rs_ctl "{\"cmd\":\"import\",\"path\":\"$T/a.webm\",\"id\":\"$1\",\"webinar\":\"w\",\"org\":\"o\",\"webinar_date\":$(date +%s)}" |
		jq -r .ok
}
expired_by_reaper() {   # expired_by_reaper ID: the audit shows the reaper's expire
	test "$(rs_ctl '{"cmd":"audit"}' | jq -r "[.audit[] | select(.action==\"expire\" and .id==\"$1\")][0].by")" = reaper
}

RS_INTERVAL=1h rs_start || { fail "amphi-recstore starts"; finish; }
check "import f" test "$(import f)" = true
check "import c" test "$(import c)" = true

# --- 1. through the mount ------------------------------------------------------
F=$M/by-webinar/w/f.webm
check "setfattr legal_hold=1" setfattr -n user.amphi.legal_hold -v 1 "$F"
check "setfattr expires_at in the past (shortening: allowed under hold)" \
	setfattr -n user.amphi.expires_at -v $(($(date +%s) - 60)) "$F"
sleep 2
check "held past its expiry: still visible" test -e "$F"
check "held past its expiry: blob kept" test -e "$T/store/blobs/f.webm"
check "setfattr legal_hold=0" setfattr -n user.amphi.legal_hold -v 0 "$F"
check "unheld through the mount: gone from the mount" wait_for 3 test ! -e "$F"
check "unheld through the mount: blob deleted at once, not after the interval" \
	wait_for 5 test ! -e "$T/store/blobs/f.webm"
check "unheld through the mount: audited as expire by the reaper" expired_by_reaper f
check "unhold audited with the mount's actor" \
	test "$(rs_ctl '{"cmd":"audit"}' | jq -r '[.audit[] | select(.action=="unhold" and .id=="f")][0].by')" = "fuse uid=$(id -u)"

# --- 2. through the control socket ---------------------------------------------
check "hold c" test "$(rs_ctl '{"cmd":"hold","id":"c"}' | jq -r .ok)" = true
check "setfattr expires_at of c in the past" \
	setfattr -n user.amphi.expires_at -v $(($(date +%s) - 60)) "$M/by-org/o/c.webm"
check "unhold c" test "$(rs_ctl '{"cmd":"unhold","id":"c"}' | jq -r .ok)" = true
check "unheld through the socket: blob deleted at once" wait_for 5 test ! -e "$T/store/blobs/c.webm"
check "unheld through the socket: audited as expire by the reaper" expired_by_reaper c

kill -TERM "$rs_pid"
check "stops cleanly" wait "$rs_pid"
finish
