#!/usr/bin/env bash
# amphi-recstore through a real FUSE mount: recordings made by real ffmpeg,
# registered with the "import" control command, then seen and handled with
# ordinary tools (ls, stat, cat, sha256sum, getfattr, setfattr, rm, df).
. "$(dirname "$0")/../lib.sh"

need_fuse
for t in ffmpeg socat jq getfattr setfattr fusermount3; do
	command -v $t >/dev/null || skip "$t is not installed"
done
. "$(dirname "$0")/recstore.lib"

M=$T/mnt
rs_start
check "mounted" mountpoint -q "$M"
check "three views at the root" test "$(ls "$M" | tr '\n' ' ')" = "by-date by-org by-webinar "
check "the mount's kernel readahead window is raised ([fuse] readahead_kib 4096)" \
	test "$(cat "/sys/class/bdi/$(mountpoint -d "$M")/read_ahead_kb")" = 4096

ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440 -t 2 \
	-c:v libvpx -b:v 300k -c:a libopus "$T/a.webm"
ffmpeg -v error -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=330 -t 2 \
	-c:v libx264 -pix_fmt yuv420p -c:a libopus "$T/b.mkv"
today=$(date -u +%F)
r1=$(rs_ctl "{\"cmd\":\"import\",\"path\":\"$T/a.webm\",\"id\":\"rec1\",\"webinar\":\"w1\",\"org\":\"o1\",\"webinar_date\":\"$today\"}")
r2=$(rs_ctl "{\"cmd\":\"import\",\"path\":\"$T/b.mkv\",\"id\":\"rec2\",\"webinar\":\"w1\",\"org\":\"o2\",\"webinar_date\":\"$today\"}")
check "import answers ok" test "$(jq -r .ok <<<"$r1")$(jq -r .ok <<<"$r2")" = truetrue
check "codecs probed" test "$(jq -r .recording.codecs <<<"$r1") $(jq -r .recording.codecs <<<"$r2")" = "vp8,opus h264,opus"

# Bad input: a clear error, nothing added.
bad=$(rs_ctl "{\"cmd\":\"import\",\"path\":\"/etc/hostname\",\"id\":\"bad\",\"webinar\":\"w1\",\"org\":\"o1\",\"webinar_date\":\"$today\"}")
check "a non-media file is refused" test "$(jq -r .ok <<<"$bad")" = false
bad=$(rs_ctl "{\"cmd\":\"import\",\"path\":\"$T/a.webm\",\"id\":\"../x\",\"webinar\":\"w1\",\"org\":\"o1\",\"webinar_date\":\"$today\"}")
check "a path-like id is refused" test "$(jq -r .ok <<<"$bad")" = false
check "refused imports left nothing" test "$(rs_ctl '{"cmd":"list"}' | jq .count)" = 2
check "refused imports left no blob" test "$(ls "$T/store/blobs" | wc -l)" = 2

# ls in each view
check "ls by-webinar/w1" test "$(ls "$M/by-webinar/w1" | tr '\n' ' ')" = "rec1.webm rec2.mkv "
check "ls by-org/o1" test "$(ls "$M/by-org/o1")" = "rec1.webm"
check "ls by-org" test "$(ls "$M/by-org" | tr '\n' ' ')" = "o1 o2 "
start_day=$(jq -r .recording.start <<<"$r1" | cut -c1-10)
check "ls by-date/<day>" test "$(ls "$M/by-date/$start_day" | tr '\n' ' ')" = "rec1.webm rec2.mkv "

# stat: one inode under every view, exact size, mtime = end of recording
i1=$(stat -c %i "$M/by-webinar/w1/rec1.webm")
i2=$(stat -c %i "$M/by-org/o1/rec1.webm")
i3=$(stat -c %i "$M/by-date/$start_day/rec1.webm")
check "same inode under the three views" test "$i1" = "$i2" -a "$i2" = "$i3"
check "inode is the index's" test "$i1" = "$(jq .recording.ino <<<"$r1")"
check "exact size" test "$(stat -c %s "$M/by-org/o2/rec2.mkv")" = "$(stat -c %s "$T/b.mkv")"
end=$(jq -r .recording.end <<<"$r1")
check "mtime is the end of the recording" test "$(stat -c %Y "$M/by-webinar/w1/rec1.webm")" = "$(date -u -d "$end" +%s)"

# cat | sha256sum equals the index's sha256 (and the source's)
sum=$(cat "$M/by-webinar/w1/rec2.mkv" | sha256sum | cut -d' ' -f1)
check "cat | sha256sum = index sha256" test "$sum" = "$(rs_ctl '{"cmd":"show","id":"rec2"}' | jq -r .recording.sha256)"
check "content = the source file" cmp -s "$M/by-org/o2/rec2.mkv" "$T/b.mkv"
check "ffmpeg decodes the mounted file" ffmpeg -v error -i "$M/by-date/$start_day/rec1.webm" -f null -

# xattrs
attrs=$(getfattr -d --absolute-names "$M/by-webinar/w1/rec1.webm")
for a in expires_at webinar org codecs duration_ms sha256 legal_hold published; do
	check "getfattr -d shows user.amphi.$a" grep -q "^user.amphi.$a=" <<<"$attrs"
done
check "xattr webinar value" grep -q '^user.amphi.webinar="w1"$' <<<"$attrs"
check "xattr sha256 value" grep -q "^user.amphi.sha256=\"$(sha256sum "$T/a.webm" | cut -d' ' -f1)\"$" <<<"$attrs"

# Legal hold: rm refused with EPERM, file stays
check "setfattr legal_hold=1" setfattr -n user.amphi.legal_hold -v 1 "$M/by-org/o1/rec1.webm"
out=$(rm "$M/by-webinar/w1/rec1.webm" 2>&1)
check "rm on a held recording fails" test $? != 0
check "... with EPERM" grep -q "Operation not permitted" <<<"$out"
check "held recording still there" test -f "$M/by-org/o1/rec1.webm"
check "delete over ctl refused too" test "$(rs_ctl '{"cmd":"delete","id":"rec1"}' | jq -r .ok)" = false
check "expire-now refused under hold" test "$(rs_ctl '{"cmd":"expire-now","id":"rec1"}' | jq -r .ok)" = false

# Writing is refused with EROFS
out=$( (echo x >"$M/by-webinar/w1/rec2.mkv") 2>&1)
check "echo x > file: EROFS" grep -q "Read-only file system" <<<"$out"
out=$( (echo x >"$M/by-webinar/w1/new.webm") 2>&1)
check "creating a file: EROFS" grep -q "Read-only file system" <<<"$out"
check "mkdir: refused" bash -c "! mkdir '$M/by-org/x' 2>/dev/null"
check "content unchanged after the refused writes" cmp -s "$M/by-org/o2/rec2.mkv" "$T/b.mkv"

# expires_at: later than the policy maximum refused, earlier accepted, audited
exp0=$(getfattr --only-values -n user.amphi.expires_at "$M/by-org/o1/rec1.webm")
check "extending beyond the policy is refused" bash -c "! setfattr -n user.amphi.expires_at -v 2099-01-01 '$M/by-org/o1/rec1.webm' 2>/dev/null"
check "expiry unchanged" test "$(getfattr --only-values -n user.amphi.expires_at "$M/by-org/o1/rec1.webm")" = "$exp0"
check "shortening is accepted" setfattr -n user.amphi.expires_at -v "$(date -u -d '+30 days' +%F)" "$M/by-org/o1/rec1.webm"
check "new expiry shown" test "$(getfattr --only-values -n user.amphi.expires_at "$M/by-org/o1/rec1.webm")" = "$(date -u -d '+30 days' +%F)T00:00:00Z"
check "unhold" setfattr -n user.amphi.legal_hold -v 0 "$M/by-org/o1/rec1.webm"

# rm: gone from every view and from disk, audited
blob=$T/store/blobs/rec1.webm
check "blob on disk before rm" test -f "$blob"
check "rm" rm "$M/by-org/o1/rec1.webm"
check "gone from by-org" test ! -e "$M/by-org/o1/rec1.webm"
check "gone from by-webinar" test ! -e "$M/by-webinar/w1/rec1.webm"
check "gone from by-date" test ! -e "$M/by-date/$start_day/rec1.webm"
check "by-webinar/w1 lists only rec2" test "$(ls "$M/by-webinar/w1")" = "rec2.mkv"
check "org o1 folder gone" test "$(ls "$M/by-org")" = "o2"
check "blob gone from disk" test ! -e "$blob"
audit=$(rs_ctl '{"cmd":"audit"}')
check "deletion audited with who and why" test "$(jq -r '[.audit[] | select(.action=="delete" and .id=="rec1")][0].by' <<<"$audit")" = "fuse uid=$(id -u)"
check "hold audited" test "$(jq '[.audit[] | select(.action=="hold")] | length' <<<"$audit")" = 1
check "expiry change audited" test "$(jq '[.audit[] | select(.action=="expiry")] | length' <<<"$audit")" = 1

# df: the store's real filesystem
check "df total = the store filesystem's" test "$(df --output=size "$M" | tail -1)" = "$(df --output=size "$T/store" | tail -1)"
check "df avail = the store filesystem's (±1%)" bash -c "a=\$(df --output=avail '$M' | tail -1); b=\$(df --output=avail '$T/store' | tail -1); [ \$((a - b)) -lt \$((b / 100 + 1)) ] && [ \$((b - a)) -lt \$((b / 100 + 1)) ]"

# control socket: filters and errors
check "list by org" test "$(rs_ctl '{"cmd":"list","org":"o2"}' | jq -r '.recordings[].id')" = rec2
check "list expiring before tomorrow is empty" test "$(rs_ctl "{\"cmd\":\"list\",\"expiring_before\":\"$(date -u -d tomorrow +%F)\"}" | jq .count)" = 0
check "show of a deleted recording fails" test "$(rs_ctl '{"cmd":"show","id":"rec1"}' | jq -r .error)" = "no recording rec1"
check "unknown command is an error" test "$(rs_ctl '{"cmd":"fly"}' | jq -r .ok)" = false
check "fsck clean" test "$(rs_ctl '{"cmd":"fsck"}' | jq -r .clean)" = true
st=$(rs_ctl '{"cmd":"stats"}')
check "stats: 1 recording, 1 deleted" test "$(jq -r '"\(.recordings) \(.deleted)"' <<<"$st")" = "1 1"

# SIGTERM: clean exit, unmounted
kill -TERM "$rs_pid"
wait "$rs_pid"
check "exit status 0 on SIGTERM" test $? = 0
check "unmounted on SIGTERM" bash -c "! mountpoint -q '$M'"
check "--help" "$AMPHI_BIN/amphi-recstore" --help
finish
