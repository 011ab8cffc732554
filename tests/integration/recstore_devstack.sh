#!/usr/bin/env bash
# `make run` (tools/devstack) stops on Ctrl-C within 3 s, mount included, and
# starts again right after (issue 11, item 1); its var/ is private (item 6).  Ctrl-C is a SIGINT to the
# terminal's whole process group: the test starts devstack in a group of its
# own and signals that group.  Before the fix amphi-recstore ignored the
# SIGTERM devstack sends while anything held its idle mount, and the next
# start failed with "another process is already serving this socket".
#
# devstack keeps its state in <checkout>/var: the test runs a copy of it in a
# checkout of its own under $T (bin/, etc/ and control/web linked), so that a
# developer's var/ is never touched.
. "$(dirname "$0")/../lib.sh"

command -v socat >/dev/null || skip "socat is not installed"
top=$T/top
devstack_checkout "$top"
export AMPHI_HTTP=127.0.0.1:$((20000 + RANDOM % 20000))
export AMPHI_ADMIN_PASSWORD='Seven words make a decent passphrase indeed'
mnt=$top/var/mnt

# up: the stack answers (control plane, store socket, mount).
up() {
	curl -fs "http://$AMPHI_HTTP/healthz" >/dev/null &&
		printf '{"cmd":"stats"}\n' | socat -t 5 - "UNIX-CONNECT:$top/var/run/recstore.sock" | grep -q '"ok":true' &&
		mountpoint -q "$mnt"
}
unmounted() { awk -v m="$(realpath "$top")/var/mnt" '$5 == m { f = 1 } END { exit f }' /proc/self/mountinfo; }
group_gone() { ! pgrep -g "$1" >/dev/null; }

# run NAME: starts devstack in a process group of its own (PID = PGID).  A
# job a script starts with & has SIGINT ignored, and a shell cannot trap a
# signal ignored at its start: devstack gets SIGINT back as a terminal gives
# it, or its own Ctrl-C trap would go untested (and a curl of its start-up
# loop, ignoring the signal too, once outlived the 3 s).
run() {
	setsid env --default-signal=INT,QUIT "$top/tools/devstack" >"$T/$1.log" 2>&1 &
	_pids+=($!)
	pgid=$!
}

# ctrl_c: SIGINT to the group, as the terminal does; then everything must be
# gone within 3 s.  Whatever is left is killed so that the test goes on.
ctrl_c() {
	local t0 ms
	t0=$(date +%s%N)
	kill -INT -- "-$pgid"
	while ms=$((($(date +%s%N) - t0) / 1000000)); [ "$ms" -lt 3000 ]; do
		group_gone "$pgid" && unmounted && break
		sleep 0.05
	done
	if ! group_gone "$pgid" || ! unmounted; then
		echo "left after 3 s:"
		ps -o pid,args -g "$pgid"
		kill -KILL -- "-$pgid" 2>/dev/null
		sleep 0.5
		fusermount3 -u -z "$mnt" 2>/dev/null
		return 1
	fi
	echo "stack stopped after $ms ms"
}

# An older var/ left open to others, and a lax umask: devstack tightens both.
umask 022
mkdir -p -m 755 "$top/var" "$top/var/store"
run first
check "the stack starts" wait_for 30 up
mode() { test "$(stat -c %a "$1")" = "$2" || { echo "$1: $(stat -c %a "$1"), want $2"; return 1; }; }
for d in var var/run var/spool var/spool/ready var/store var/outbox; do
	check "$d is 0700" mode "$top/$d" 700
done
for f in var/run/relay.sock var/run/recstore.sock var/control.db; do
	check "$f is 0600" mode "$top/$f" 600
done
# A shell standing in the mount, and a file manager's open folder: the mount
# is idle but held, as it is on a developer's desktop.
(cd "$mnt/by-webinar" && exec sleep 60) &
_pids+=($!)
exec 7<"$mnt/by-org"
sleep 1
check "Ctrl-C stops every daemon and unmounts within 3 s" ctrl_c
check "... and says so" grep -q "^stopped.$" "$T/first.log"
exec 7<&-

run second
check "a start right after succeeds" wait_for 30 up
check "... without a complaint about the socket" bash -c "! grep -q 'already serving' '$T/second.log'"
check "Ctrl-C stops the second one too" ctrl_c
finish
