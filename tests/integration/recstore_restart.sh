#!/usr/bin/env bash
# amphi-recstore starts at once after a kill -9 on the same mount point
# (issue 11, item 2): 20 cycles of "use the mount, kill -9, start again 100 ms
# later" (a supervisor's RestartSec=100ms), each start succeeding and serving
# the same recordings.  Before the fix a start within ~1 s of the last access
# refused with "a file system is mounted there already": the stale-mount
# check trusted a stat() the kernel answered from its attribute cache.
. "$(dirname "$0")/../lib.sh"

need_fuse
for t in ffmpeg socat jq fusermount3; do
	command -v $t >/dev/null || skip "$t is not installed"
done
. "$(dirname "$0")/recstore.lib"

M=$T/mnt
ffmpeg -v error -f lavfi -i testsrc=size=160x120:rate=25 -f lavfi -i sine=frequency=440 -t 1 \
	-c:v libvpx -b:v 200k -c:a libopus "$T/a.webm"
ffmpeg -v error -f lavfi -i testsrc=size=160x120:rate=25 -f lavfi -i sine=frequency=330 -t 1 \
	-c:v libx264 -pix_fmt yuv420p -c:a libopus "$T/b.mkv"
rs_start
today=$(date -u +%F)
for r in "a.webm r1 o1" "b.mkv r2 o2"; do
	set -- $r
	rs_ctl "{\"cmd\":\"import\",\"path\":\"$T/$1\",\"id\":\"$2\",\"webinar\":\"w1\",\"org\":\"$3\",\"webinar_date\":\"$today\"}" >/dev/null
done
# What the mount serves: every name under every view with its checksum.
served() { (cd "$M" && find . -type f | sort | xargs -r sha256sum); }
want=$(served)
check "two recordings under three views" test "$(wc -l <<<"$want")" = 6
check "checksums are the sources'" test "$(grep -c -e "$(sha256sum <"$T/a.webm" | cut -c1-64)" -e "$(sha256sum <"$T/b.mkv" | cut -c1-64)" <<<"$want")" = 6

answers() { rs_ctl '{"cmd":"list"}' | grep -q '"ok":true'; }
started=0 same=0
for i in $(seq 1 20); do
	stat "$M" "$M/by-webinar/w1/r1.webm" >/dev/null   # the kernel caches these attributes
	kill -KILL "$rs_pid"
	wait "$rs_pid" 2>/dev/null
	sleep 0.1
	if rs_start "rs$i" >/dev/null && wait_for 10 answers && kill -0 "$rs_pid" 2>/dev/null; then
		started=$((started + 1))
		[ "$(served)" = "$want" ] && same=$((same + 1))
	else
		echo "start $i failed:"
		tail -n 3 "$T/rs$i.log"
		rs_unmount_if_stale
		rs_start "again$i"   # so that the next cycle has a daemon to kill
	fi
done
check "20 of 20 starts 100 ms after a kill -9 succeed ($started)" test "$started" = 20
check "... each serving the same recordings ($same)" test "$same" = 20
check "... each saying it cleared a stale mount" test "$(grep -l "stale mount found" "$T"/rs*.log | wc -l)" = "$started"
check "no mount left stacked under the live one" \
	test "$(awk -v m="$(realpath "$T")/mnt" '$5 == m' /proc/self/mountinfo | wc -l)" = 1

# A live daemon's mount is never taken over.
spawn intruder "$AMPHI_BIN/amphi-recstore" --config "$T/recstore.conf" --control "$T/other.sock" \
	--spool "$T/spool2" --store "$T/store2" --mount "$T/mnt" --retention "$AMPHI_TOP/etc/retention.conf"
wait "$intruder_pid"
check "a second daemon on a live mount refuses" test $? != 0
check "... saying why" grep -q "another amphi-recstore serves this mount" "$T/intruder.log"
check "... and the first one still serves" test "$(served)" = "$want"

# Nor is another file system's (root can mount a tmpfs to show it).
mkdir "$T/other"
if mount -t tmpfs amphi-test "$T/other" 2>/dev/null; then
	spawn tmpfs "$AMPHI_BIN/amphi-recstore" --config "$T/recstore.conf" --control "$T/other.sock" \
		--spool "$T/spool2" --store "$T/store2" --mount "$T/other" --retention "$AMPHI_TOP/etc/retention.conf"
	wait "$tmpfs_pid"
	check "a start on another file system's mount refuses" test $? != 0
	check "... naming it" grep -q "a file system is mounted there already (tmpfs)" "$T/tmpfs.log"
	umount "$T/other"
fi
finish
