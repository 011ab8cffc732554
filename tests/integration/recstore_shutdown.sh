#!/usr/bin/env bash
# amphi-recstore stops at once on SIGTERM (issue 11, item 1): with the mount
# idle, and with clients holding on (a file open on the mount, a shell
# standing in it, a control-socket client connected).  Before the fix the
# FUSE session loop slept until the next request reached the mount, so the
# daemon ignored SIGTERM for as long as the mount stayed idle.
. "$(dirname "$0")/../lib.sh"

need_fuse
for t in ffmpeg socat jq fusermount3; do
	command -v $t >/dev/null || skip "$t is not installed"
done
. "$(dirname "$0")/recstore.lib"

M=$T/mnt

# unmounted: the test's mount point is no longer in the mount table.
unmounted() { awk -v m="$(realpath "$T")/mnt" '$5 == m { f = 1 } END { exit f }' /proc/self/mountinfo; }

# stops_within SECONDS PID: SIGTERM, then the process is gone in time (else
# it is killed, its mount cleared, and the check fails).
stops_within() {
	local limit=$1 pid=$2 t0 i
	t0=$(date +%s%N)
	kill -TERM "$pid"
	for ((i = 0; i < limit * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "still running after $limit s; killing it"
		kill -KILL "$pid"
		rs_unmount_if_stale
		return 1
	fi
	echo "stopped after $((($(date +%s%N) - t0) / 1000000)) ms"
}

# 1. Idle mount: nothing touches it after start.
rs_start one
sleep 1
check "idle: SIGTERM stops it within 2 s" stops_within 2 "$one_pid"
wait "$one_pid"
check "... exit status 0" test $? = 0
check "... the mount is gone" unmounted
check "... and it says so" grep -q "unmounted" "$T/one.log"

# 2. Clients holding on: a file open on the mount, a shell standing in a
# folder of it, a control-socket client connected with a request half sent.
ffmpeg -v error -f lavfi -i testsrc=size=160x120:rate=25 -f lavfi -i sine=frequency=440 -t 1 \
	-c:v libvpx -b:v 200k -c:a libopus "$T/a.webm"
rs_start two
r=$(rs_ctl "{\"cmd\":\"import\",\"path\":\"$T/a.webm\",\"id\":\"r1\",\"webinar\":\"w1\",\"org\":\"o1\",\"webinar_date\":\"$(date -u +%F)\"}")
check "a recording imported" test "$(jq -r .ok <<<"$r")" = true
exec 7<"$M/by-webinar/w1/r1.webm"
check "a file is open on the mount" test "$(head -c 4 <&7 | od -An -tx1 | tr -d ' ')" = 1a45dfa3
(cd "$M/by-org/o1" && exec sleep 60) &
cwd_pid=$!
_pids+=("$cwd_pid")
mkfifo "$T/ctl.in"
socat -u "OPEN:$T/ctl.in" "UNIX-CONNECT:$T/ctl.sock" &
client_pid=$!
_pids+=("$client_pid")
exec 8>"$T/ctl.in"
printf '{"cmd":"li' >&8   # half a request, never finished
sleep 1
check "the control client is connected" kill -0 "$client_pid"
check "clients connected: SIGTERM stops it within 2 s" stops_within 2 "$two_pid"
wait "$two_pid"
check "... exit status 0" test $? = 0
check "... the mount is gone" unmounted
check "... the open file now fails instead of hanging" bash -c "! timeout 5 head -c 1 <&7 >/dev/null 2>&1"
exec 7<&- 8>&-
kill "$cwd_pid" "$client_pid" 2>/dev/null

# 3. A start right after that one serves the same recording.
rs_start three
check "the next start serves the recording again" cmp -s "$M/by-webinar/w1/r1.webm" "$T/a.webm"
check "SIGTERM stops that one too" stops_within 2 "$three_pid"
finish
