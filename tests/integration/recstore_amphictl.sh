#!/usr/bin/env bash
# `amphictl rec ...` against a real amphi-recstore (control socket, FUSE
# mount): list with its filters, show, hold/unhold, delete, publish,
# expire-now, fsck (with an orphan blob and --repair), stats; tables by
# default and --json; the daemon's errors on stderr with exit 1, a usage
# error exit 2, no daemon exit 3.
. "$(dirname "$0")/../lib.sh"

need_fuse
for t in ffmpeg socat jq column getfattr fusermount3; do
	command -v $t >/dev/null || skip "$t is not installed"
done
. "$(dirname "$0")/recstore.lib"
M=$T/mnt
export AMPHI_RECSTORE_SOCK=$T/ctl.sock HOME=$T
rec() { "$AMPHI_TOP/tools/amphictl" rec "$@"; }
# is WHAT EXPECTED: string equality that shows both sides when it fails
is() { [ "$1" = "$2" ] || { echo "  got: $1"; echo "  expected: $2"; return 1; }; }

rs_start || { fail "amphi-recstore starts"; finish; }
ffmpeg -v error -f lavfi -i testsrc=size=160x120:rate=10 -f lavfi -i sine=frequency=440 -t 1 \
	-c:v libvpx -b:v 100k -c:a libopus "$T/a.webm"
today=$(date -u +%F)
old=$(date -u -d '-8 months' +%F)   # expires in about 4 months, before the others
imp() {   # imp ID WEBINAR ORG DATE
	rs_ctl "{\"cmd\":\"import\",\"path\":\"$T/a.webm\",\"id\":\"$1\",\"webinar\":\"$2\",\"org\":\"$3\",\"webinar_date\":\"$4\"}" |
		jq -e .ok >/dev/null
}
check "three recordings imported" imp rec1 w1 o1 "$today" && imp rec2 w1 o2 "$today" && imp rec3 w2 o1 "$old"

# list: a table with a header, one row per recording, filters
rec list >"$T/o" 2>"$T/e"
check "rec list: exit 0" is "$?" 0
check "... a header" is "$(head -n 1 "$T/o" | awk '{print $1, $2, $3, $NF}')" "ID WEBINAR ORG PUBLISHED"
check "... one row per recording" is "$(tail -n +2 "$T/o" | awk '{print $1}' | sort | tr '\n' ' ')" "rec1 rec2 rec3 "
check "... with webinar, org, codecs" grep -q '^rec2 *w1 *o2 .* vp8,opus ' "$T/o"
check "rec list --webinar w1" is "$(rec list --webinar w1 | tail -n +2 | awk '{print $1}' | tr '\n' ' ')" "rec1 rec2 "
check "rec list --org o1" is "$(rec list --org o1 | tail -n +2 | awk '{print $1}' | sort | tr '\n' ' ')" "rec1 rec3 "
check "rec list --webinar w1 --org o2" is "$(rec list --webinar w1 --org o2 | tail -n +2 | awk '{print $1}')" rec2
check "rec list --expiring-before (ISO date)" \
	is "$(rec list --expiring-before "$(date -u -d '+6 months' +%F)" | tail -n +2 | awk '{print $1}')" rec3
check "rec list --expiring-before (seconds)" \
	is "$(rec list --expiring-before "$(date -u -d '+6 months' +%s)" | tail -n +2 | awk '{print $1}')" rec3
check "rec list --json" is "$(rec list --json | jq -r '[.count, (.recordings | map(.id) | sort | join(","))] | join(" ")')" "3 rec1,rec2,rec3"
check "amphictl --json rec list" is "$("$AMPHI_TOP/tools/amphictl" --json rec list --webinar w2 | jq -r '.recordings[0].id')" rec3
rec list --expiring-before yesterday >"$T/o" 2>"$T/e"
check "a bad time: exit 1 with the daemon's error" \
	is "$?/$(cat "$T/e")" "1/amphictl: expiring_before: expected seconds or an ISO 8601 time"
check "... and no table" is "$(cat "$T/o")" ""

# show
rec show rec1 >"$T/o"
check "rec show: key/value lines" grep -q '^webinar *w1$' "$T/o"
check "... sha256 = sha256sum through the mount" \
	is "$(awk '$1 == "sha256" {print $2}' "$T/o")" "$(sha256sum <"$M/by-webinar/w1/rec1.webm" | cut -d' ' -f1)"
rec show nosuch >"$T/o" 2>"$T/e"
check "rec show of an unknown id: exit 1, the daemon's error" is "$?/$(cat "$T/e")" "1/amphictl: no recording nosuch"
rec show >"$T/o" 2>"$T/e"
check "rec show without an id: usage, exit 2" is "$?" 2

# hold blocks delete and expire-now; unhold; delete
check "rec hold" is "$(rec hold rec1 --why 'court order 17')" "recording rec1 under legal hold"
check "... seen in the mount's xattr" is "$(getfattr --only-values -n user.amphi.legal_hold "$M/by-org/o1/rec1.webm")" 1
rec delete rec1 >"$T/o" 2>"$T/e"
check "rec delete under hold: exit 1, the daemon's error" is "$?/$(cat "$T/e")" "1/amphictl: recording rec1 is under legal hold"
rec expire-now rec1 >"$T/o" 2>"$T/e"
check "rec expire-now under hold: exit 1" is "$?/$(cat "$T/e")" "1/amphictl: recording rec1 is under legal hold"
check "... the file is still there" test -e "$M/by-webinar/w1/rec1.webm"
check "rec unhold" is "$(rec unhold rec1)" "recording rec1: legal hold lifted"
# Names the kernel has just looked up (cached for [fuse] cache, 1 s) under all three views.
stat "$M/by-webinar/w1/rec1.webm" "$M/by-org/o1/rec1.webm" "$M"/by-date/*/rec1.webm >/dev/null
check "rec delete" is "$(rec delete rec1 --why 'asked by the organizer')" "recording rec1 deleted"
check "... gone from every view at once (the kernel told to forget the names)" \
	test ! -e "$M/by-webinar/w1/rec1.webm" -a ! -e "$M/by-org/o1/rec1.webm" -a -z "$(ls "$M"/by-date/*/rec1.webm 2>/dev/null)"
check "... gone from the blobs" test ! -e "$T/store/blobs/rec1.webm"
check "... audited with the reason" \
	is "$(rs_ctl '{"cmd":"audit"}' | jq -r '[.audit[] | select(.id == "rec1") | "\(.action):\(.why)"] | join(",")')" \
	"add:import,hold:court order 17,unhold:legal hold lifted,delete:asked by the organizer"

# publish: up to the published maximum (5 years), never beyond; unpublish
check "rec publish" is "$(rec publish rec2 | cut -c1-44)" "recording rec2 published, expires $(date -u -d '+5 years' +%F)"
rec publish rec2 --until 2099-01-01 >"$T/o" 2>"$T/e"
check "rec publish --until beyond the policy: exit 1" grep -q '^amphictl: until 2099-01-01T00:00:00Z is beyond the policy maximum' "$T/e"
check "rec publish --unpublish: back under 12 months" \
	is "$(rec --json publish rec2 --unpublish | jq -r .expires_at | cut -c1-10)" "$(date -u -d '+12 months' +%F)"
check "... shown by rec --json show" is "$(rec --json show rec2 | jq -r .recording.published)" false

# expire-now
stat "$M/by-webinar/w2/rec3.webm" >/dev/null
check "rec expire-now" is "$(rec expire-now rec3)" "recording rec3 expired and deleted"
check "... gone from the mount at once" test ! -e "$M/by-webinar/w2/rec3.webm"

# stats
rec stats >"$T/o"
check "rec stats: key/value lines" grep -q '^recordings *1$' "$T/o"
check "rec stats --json: 1 left, 1 deleted, 1 expired" \
	is "$(rec --json stats | jq -r '"\(.recordings) \(.held) \(.deleted) \(.expired)"')" "1 0 1 1"

# fsck: clean, an orphan blob (exit 4, listed), --repair
rec fsck >"$T/o"
check "rec fsck on a clean store: exit 0" is "$?/$(awk '$1 == "clean" {print $2}' "$T/o")" "0/true"
cp "$T/a.webm" "$T/store/blobs/stray.webm"
rec fsck >"$T/o"
check "rec fsck with an orphan blob: exit 4" is "$?" 4
check "... names it" grep -q '^orphan blob *stray.webm$' "$T/o"
rec fsck --repair >"$T/o"
check "rec fsck --repair: exit 0, one repaired" is "$?/$(awk '$1 == "repaired" {print $2}' "$T/o")" "0/1"
check "... the orphan is removed" test ! -e "$T/store/blobs/stray.webm"
check "... the recording is untouched" cmp -s "$M/by-webinar/w1/rec2.webm" "$T/a.webm"

# usage errors and an absent daemon
rec frobnicate >"$T/o" 2>"$T/e"
check "an unknown subcommand: exit 2" is "$?" 2
rec list --bogus >"$T/o" 2>"$T/e"
check "an unknown option: exit 2" is "$?" 2
rec --socket "$T/none.sock" stats >"$T/o" 2>"$T/e"
check "no daemon: exit 3" is "$?" 3
check "... saying where it looked" grep -q "none.sock" "$T/e"
finish
