#!/usr/bin/env bash
# amphi-recstore's files are private (issue 11, item 6): started with a lax
# umask (022), everything it creates is its own user's alone: the store, the
# blob folder and blobs, the LMDB files, the spool folders, a failed
# journal's reason file and the control socket (0700 folders, 0600 files).
# Before the fix they were 0750/0644/0660.
. "$(dirname "$0")/../lib.sh"

need_fuse
for t in ffmpeg socat jq fusermount3; do
	command -v $t >/dev/null || skip "$t is not installed"
done
. "$(dirname "$0")/recstore.lib"

umask 022
ffmpeg -v error -f lavfi -i testsrc=size=160x120:rate=25 -f lavfi -i sine=frequency=440 -t 1 \
	-c:v libvpx -b:v 200k -c:a libopus "$T/a.webm"
rs_start
r=$(rs_ctl "{\"cmd\":\"import\",\"path\":\"$T/a.webm\",\"id\":\"r1\",\"webinar\":\"w1\",\"org\":\"o1\",\"webinar_date\":\"$(date -u +%F)\"}")
check "a recording imported" test "$(jq -r .ok <<<"$r")" = true
printf 'not a journal at all\n' >"$T/spool/bad.tmp"
mv "$T/spool/bad.tmp" "$T/spool/ready/bad.amj"
check "a bad journal goes to failed/ with its reason" wait_for 10 test -e "$T/spool/failed/bad.amj.reason"

# mode PATH WANT: the permission bits of PATH (not a symlink's).
mode() { test "$(stat -c %a "$1")" = "$2" || { echo "$1: $(stat -c %a "$1"), want $2"; return 1; }; }
check "store 0700" mode "$T/store" 700
check "blob folder 0700" mode "$T/store/blobs" 700
check "blob 0600" mode "$T/store/blobs/r1.webm" 600
check "index folder 0700" mode "$T/store/index" 700
check "LMDB data.mdb 0600" mode "$T/store/index/data.mdb" 600
check "LMDB lock.mdb 0600" mode "$T/store/index/lock.mdb" 600
check "spool 0700" mode "$T/spool" 700
check "spool/ready 0700" mode "$T/spool/ready" 700
check "spool/failed 0700" mode "$T/spool/failed" 700
check "failed reason file 0600" mode "$T/spool/failed/bad.amj.reason" 600
check "control socket 0600" mode "$T/ctl.sock" 600
check "nothing under the store is open to others" test -z "$(find "$T/store" -perm /077)"
finish
