#!/usr/bin/env bash
# control_recordings: recordings for organizers through amphi-control, with
# the real daemons behind it.  Two recorded webinars of one organizer go
# live; ffmpeg publishes each through the SDES ingest the API hands out; the
# end hands the relay's journals to amphi-recstore, which ingests them.
# Then: the authorisation matrix of /api/recordings* (every cell: the owner,
# another organizer, admin, a participant's and a speaker's token,
# anonymous), Range requests with curl (206, suffix, 416, multi-range,
# If-Range, HEAD), a real player (ffprobe and a full ffmpeg decode over
# HTTP), publish up to the policy's maximum and what the registrant-identity
# rule reads (webinars.replay_published_at), legal hold, the audited delete,
# bad ids, and the store going down (503).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
for c in jq curl ffmpeg ffprobe sqlite3; do command -v $c >/dev/null || skip "$c is not installed"; done
[ -x "$AMPHI_BIN/amphi-relay" ] && [ -x "$AMPHI_BIN/amphi-recstore" ] || skip "amphi-relay and amphi-recstore are needed"
need_fuse

RELAY_SOCK=$T/relay.sock
mkdir -p "$T/spool" "$T/mnt"
spawn relay "$AMPHI_BIN/amphi-relay" --workers 1 --port-base 44500 --control "$RELAY_SOCK" \
	--spool "$T/spool" --config "$AMPHI_TOP/etc/relay.conf"
printf '[reaper]\ninterval = 1s\n' >"$T/recstore.conf"
# The store runs in $T with relative paths, as an operator may start it: the
# files its answers name must still open from amphi-control's directory.
spawn recstore bash -c "cd '$T' && exec '$AMPHI_BIN/amphi-recstore' --config recstore.conf --control recstore.sock \
	--spool spool --store store --mount ./mnt --retention '$AMPHI_TOP/etc/retention.conf'"
wait_for 10 test -S "$RELAY_SOCK" && wait_for 20 mountpoint -q "$T/mnt" && wait_for 10 test -S "$T/recstore.sock" ||
	{ fail "relay and recstore start"; finish; }
ADMIN='Sentinel-Harbor-99!x'
AMPHI_ADMIN_PASSWORD=$ADMIN ctl_start c1 || { fail "amphi-control starts"; finish; }
DB=$T/c1.db
login admin@localhost "$ADMIN" "$T/admin"
# organizer EMAIL JAR: an organizer account, password changed, signed in.
organizer() {
	local pw
	req POST /api/accounts "{\"email\":\"$1\",\"first_name\":\"O\",\"last_name\":\"Rg\"}" "$T/admin-$2"
	pw=$(jqo .initial_password)
	login "$1" "$pw" "$T/$2"
	req POST /api/password "$(jq -nc --arg c "$pw" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/$2"
	[ "$status" = 200 ]
}
cp "$T/admin" "$T/admin-a"
cp "$T/admin" "$T/admin-b"
(OUT=$T/out-a organizer a@example.org a) &
pa=$!
(OUT=$T/out-b organizer b@example.org b) &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
check "setup: organizers a and b" is "$ra/$rb" 0/0

# Two recorded webinars of a, live at once, each published by the API's ffmpeg line.
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i testsrc2=size=320x240:rate=25 \
	-f lavfi -i sine=frequency=440:sample_rate=48000 -t 4 -c:v mjpeg -q:v 5 -c:a pcm_s16le "$T/talk.mkv"
declare -A WEB
for n in 1 2; do
	req POST /api/webinars "{\"title\":\"Rec $n\",\"start_time\":\"2026-12-01T09:30:00Z\",\"recording\":true}" "$T/a"
	WEB[$n]=$(jqo .id)
	req POST "/api/webinars/${WEB[$n]}/speakers" '{}' "$T/a"
	tok=$(jqo .token)
	req POST "/api/webinars/${WEB[$n]}/start" '{}' "$T/a"
	check "webinar $n starts" is "$status" 200
	curl -s -o "$T/ingest$n" -X POST -H "Authorization: Bearer $tok" "$URL/api/webinars/${WEB[$n]}/ingest/srtp"
	pub=$(jq -r .ffmpeg "$T/ingest$n")
	pub="${pub/ffmpeg /ffmpeg -hide_banner -nostdin -loglevel error }"
	bash -c "${pub/INPUT/$T/talk.mkv}" >"$T/pub$n.log" 2>&1 &
	eval "pub$n=\$!"
done
wait "$pub1"; r1=$?
wait "$pub2"; r2=$?
check "ffmpeg published both webinars" is "$r1/$r2" 0/0
for n in 1 2; do req POST "/api/webinars/${WEB[$n]}/end" '{}' "$T/a"; done
check "the store ingests both recordings, a lists them" \
	wait_for 30 bash -c "curl -s -b '$T/a' '$URL/api/recordings' | jq -e '.count == 2' >/dev/null"
req GET /api/recordings "" "$T/a"
R1=$(jqo ".recordings[] | select(.webinar_id == ${WEB[1]}) | .id")
R2=$(jqo ".recordings[] | select(.webinar_id == ${WEB[2]}) | .id")
check "each recording is linked to its webinar and organizer" \
	is "$(jqo '[.recordings[] | .organizer_id] | unique | length')/${R1%%-*}/${R2%%-*}" 1/webinar/webinar
check "... named by amphi-control (webinar-ID-TIME-NONCE)" \
	bash -c "[[ '$R1' =~ ^webinar-${WEB[1]}-[0-9]+-[0-9a-f]{8}$ ]]"
check "... a VP8+Opus WebM, shown with its type and no store path" \
	is "$(jqo ".recordings[] | select(.id == \"$R1\") | [.content_type, .codecs, (has(\"file\") or has(\"blob\"))] | join(\",\")")" \
	"video/webm,vp8,opus,false"
SIZE=$(jqo ".recordings[] | select(.id == \"$R1\") | .size")

# The tokens of a third webinar, still scheduled (an ended webinar's publish
# tokens are revoked, so they would be anonymous).
req POST /api/webinars '{"title":"Tokens","start_time":"2030-01-01T10:00:00Z"}' "$T/a"
W3=$(jqo .id)
req POST "/api/webinars/$W3/speakers" '{}' "$T/a"
SPEAKER=$(jqo .token)
req POST "/api/webinars/$W3/registrations" '{"first_name":"Pia","last_name":"Part","email":"pia@example.org","job_title":"Dev","organization":"ACME","consent":true,"age_15_or_older":true}' "$T/anon"
PARTICIPANT=$(join_token pia@example.org)
check "setup: speaker and participant tokens" test ${#SPEAKER} = 43 -a ${#PARTICIPANT} = 43

# as WHO METHOD PATH [BODY]: prints the status.
as() {
	local who=$1 m=$2 p=$3 b=${4-} args=(-s -o "$T/cell" -w '%{http_code}' -X "$2" -H "Origin: $URL")
	case $who in
	a|b|admin) args+=(-b "$T/$who") ;;
	speaker) args+=(-H "Authorization: Bearer $SPEAKER") ;;
	participant) args+=(-H "Authorization: Bearer $PARTICIPANT") ;;
	esac
	[ -n "$b" ] && args+=(-H 'Content-Type: application/json' --data-binary "$b")
	curl "${args[@]}" "$URL$p"
}
# row METHOD PATH BODY A B ADMIN PARTICIPANT SPEAKER ANON ("-": not asked here)
row() {
	local m=$1 p=$2 b=$3 who want got
	shift 3
	for who in b participant speaker anon a admin; do
		case $who in a) want=$1 ;; b) want=$2 ;; admin) want=$3 ;; participant) want=$4 ;; speaker) want=$5 ;; anon) want=$6 ;; esac
		[ "$want" = - ] && continue
		got=$(as "$who" "$m" "$p" "$b")
		check "matrix: $who $m ${p/$R1/R1} -> $want" is "$got" "$want"
	done
}
r=/api/recordings/$R1
row GET    /api/recordings   ""  200 200 200 403 403 401
row GET    "/api/webinars/${WEB[1]}/recordings" "" 200 404 200 403 403 401
check "a webinar's list holds its own recording only" \
	is "$(curl -s -b "$T/admin" "$URL/api/webinars/${WEB[1]}/recordings" | jq -r '[.recordings[].id] | join(",")')/$(curl -s -b "$T/a" "$URL/api/webinars/${WEB[2]}/recordings" | jq -r '[.recordings[].id] | join(",")')" \
	"$R1/$R2"
row GET    "$r"              ""  200 404 200 403 403 401
row GET    "$r/media"        ""  200 404 200 403 403 401
row POST   "$r/publish"      "{}" 200 404 200 403 403 401
row POST   "$r/unpublish"    "{}" 200 404 200 403 403 401
row POST   "$r/hold"         "{}" 403 404 200 403 403 401
row POST   "$r/unhold"       "{}" 403 404 200 403 403 401
row DELETE "/api/recordings/$R2" "" 204 404 - 403 403 401
check "b's list is empty, admin's has both (${R1} and ${R2} before the delete)" \
	is "$(curl -s -b "$T/b" "$URL/api/recordings" | jq -c '[.count, .recordings]')" '[0,[]]'
req GET /api/recordings "" "$T/admin"
check "admin sees the remaining recording with its links" \
	is "$(jqo "[.count, (.recordings[0] | .id == \"$R1\" and .webinar_id == ${WEB[1]})] | @csv")" '1,true'

# --- Range (RFC 9110 §14) with curl ---------------------------------------------------------
media=$URL/api/recordings/$R1/media
curl -s -b "$T/a" -D "$T/h.full" -o "$T/full" "$media"
check "no Range: 200 with the whole file, Accept-Ranges, type and length" \
	is "$(awk 'NR==1{print $2}' "$T/h.full")/$(stat -c %s "$T/full")/$(grep -ci '^accept-ranges: bytes' "$T/h.full")/$(grep -ci '^content-type: video/webm' "$T/h.full")/$(grep -i '^content-length:' "$T/h.full" | tr -dc 0-9)" \
	"200/$SIZE/1/1/$SIZE"
check "the file is the store's (its sha256)" \
	is "$(sha256sum "$T/full" | cut -d' ' -f1)" "$(curl -s -b "$T/a" "$URL/api/recordings/$R1" | jq -r .sha256)"
curl -s -b "$T/a" -H 'Range: bytes=100-199' -D "$T/h.r" -o "$T/part" "$media"
check "bytes=100-199: 206, Content-Range, those 100 bytes" \
	is "$(awk 'NR==1{print $2}' "$T/h.r")/$(grep -i '^content-range:' "$T/h.r" | tr -d '\r' | cut -d' ' -f2-)/$(cmp -s "$T/part" <(tail -c +101 "$T/full" | head -c 100) && echo same)" \
	"206/bytes 100-199/$SIZE/same"
curl -s -b "$T/a" -H 'Range: bytes=-500' -D "$T/h.s" -o "$T/suffix" "$media"
check "bytes=-500: the last 500 bytes" \
	is "$(awk 'NR==1{print $2}' "$T/h.s")/$(grep -i '^content-range:' "$T/h.s" | tr -d '\r' | cut -d' ' -f2-)/$(cmp -s "$T/suffix" <(tail -c 500 "$T/full") && echo same)" \
	"206/bytes $((SIZE - 500))-$((SIZE - 1))/$SIZE/same"
curl -s -b "$T/a" -H "Range: bytes=$((SIZE - 10))-99999999999" -D "$T/h.o" -o "$T/over" "$media"
check "a last byte past the end is cut at the end" \
	is "$(awk 'NR==1{print $2}' "$T/h.o")/$(stat -c %s "$T/over")" "206/10"
curl -s -b "$T/a" -H "Range: bytes=$SIZE-" -D "$T/h.u" -o "$T/unsat" "$media"
check "bytes=SIZE-: 416 with Content-Range bytes */SIZE" \
	is "$(awk 'NR==1{print $2}' "$T/h.u")/$(grep -i '^content-range:' "$T/h.u" | tr -d '\r' | cut -d' ' -f2-)/$(jq -r .error "$T/unsat")" \
	"416/bytes */$SIZE/range_not_satisfiable"
curl -s -b "$T/a" -H 'Range: bytes=0-9,20-29' -D "$T/h.m" -o "$T/multi" "$media"
check "two ranges: the whole file (200)" is "$(awk 'NR==1{print $2}' "$T/h.m")/$(stat -c %s "$T/multi")" "200/$SIZE"
curl -s -b "$T/a" -H 'Range: bytes=0-9' -H 'If-Range: "0000"' -D "$T/h.i" -o "$T/ifr" "$media"
etag=$(grep -i '^etag:' "$T/h.full" | cut -d' ' -f2 | tr -d '\r')
curl -s -b "$T/a" -H 'Range: bytes=0-9' -H "If-Range: $etag" -D "$T/h.i2" -o "$T/ifr2" "$media"
check "If-Range: another validator gets everything (200), the file's ETag its range (206)" \
	is "$(awk 'NR==1{print $2}' "$T/h.i")/$(awk 'NR==1{print $2}' "$T/h.i2")/$(stat -c %s "$T/ifr2")" "200/206/10"
curl -s -b "$T/a" -I -D "$T/h.head" -o /dev/null "$media"
check "HEAD: the head of a GET, no body" \
	is "$(awk 'NR==1{print $2}' "$T/h.head")/$(grep -i '^content-length:' "$T/h.head" | tr -dc 0-9)" "200/$SIZE"
curl -s -b "$T/a" -I -H 'Range: bytes=0-0' -D "$T/h.head1" -o /dev/null "$media"
check "HEAD with a Range: 206, length 1" \
	is "$(awk 'NR==1{print $2}' "$T/h.head1")/$(grep -i '^content-length:' "$T/h.head1" | tr -dc 0-9)" "206/1"

# --- a real player reads the media URL ---------------------------------------------------------
cookie="amphi_session=$(awk '$6 == "amphi_session" { print $7 }' "$T/a")"
check "ffprobe reads the stream types over HTTP" \
	is "$(ffprobe -v error -headers "Cookie: $cookie"$'\r\n' -show_entries stream=codec_name -of csv=p=0 "$media" | sort | tr '\n' ,)" "opus,vp8,"
ffmpeg -hide_banner -nostdin -v error -headers "Cookie: $cookie"$'\r\n' -i "$media" -map 0:v -f framecrc "$T/dec.crc" >"$T/dec.log" 2>&1
check "ffmpeg decodes the whole video over HTTP ($(crc_frames "$T/dec.crc") frames, 4 s at 25 fps published)" \
	test "$(crc_frames "$T/dec.crc")" -ge 75
ffmpeg -hide_banner -nostdin -v error -headers "Cookie: $cookie"$'\r\n' -ss 2 -i "$media" -map 0:v -f framecrc "$T/seek.crc" >"$T/seek.log" 2>&1
check "ffmpeg seeks 2 s in (Range requests) and decodes the rest ($(crc_frames "$T/seek.crc") frames)" \
	test "$(crc_frames "$T/seek.crc")" -ge 25 -a "$(crc_frames "$T/seek.crc")" -lt "$(crc_frames "$T/dec.crc")"

# Chromium's <video>, signed in as the organizer, plays it and seeks in it.
NODE_DIR=${AMPHI_NODE_DIR:-/var/cache/amphi/node}
if [ -x /usr/bin/chromium ] && command -v node >/dev/null && [ -f "$NODE_DIR/node_modules/playwright-core/package.json" ]; then
	NODE_PATH=$NODE_DIR/node_modules timeout 60 node "$AMPHI_TOP/tests/data/recording-player.js" "$URL" "$R1" \
		"${cookie#amphi_session=}" >"$T/player.json" 2>"$T/player.log"
	check "Chromium's <video> plays the recording (320x240, Range requests) and seeks in it ($(tr -d '\n' <"$T/player.json"))" \
		jq -e '.error == null and .width == 320 and .height == 240 and .duration > 3 and .frames >= 20 and .seeked and .ranges >= 1' "$T/player.json"
else
	fail "Chromium's <video>: chromium, node and playwright-core are needed (tools/deps --npm)"
fi

# --- publish for replay, up to the policy's maximum ------------------------------------------------
replay() { sqlite3 "$DB" "select replay_published_at is not null from webinars where id = ${WEB[1]}"; }
req POST "$r/publish" '{"until":"2099-01-01T00:00:00Z"}' "$T/a"
check "publish beyond [recording_published] (5 y after the webinar date): 422, nothing changes" \
	is "$status/$(jqo .error)/$(curl -s -b "$T/a" "$URL$r" | jq -r .published)/$(replay)" 422/invalid/false/0
req POST "$r/publish" '{"until":"2027-06-01T00:00:00Z"}' "$T/a"
check "publish until a date within it: 200, published, that expiry; the webinar's replay flag is set" \
	is "$status/$(jqo .published)/$(jqo .expires_at)/$(replay)" "200/true/2027-06-01T00:00:00Z/1"
req POST "$r/publish" '{}' "$T/a"
check "publish with no until: the policy's maximum (webinar date + 5 y)" \
	is "$status/$(jqo .expires_at)" "200/2031-12-01T09:30:00Z"
req POST "$r/publish" '{"until":true}' "$T/a"
check "until of the wrong type: 422" is "$status" 422
req POST "$r/unpublish" '{}' "$T/a"
check "unpublish: back under [recording] (12 months), the replay flag cleared" \
	is "$status/$(jqo .published)/$(jqo .expires_at)/$(replay)" "200/false/2027-12-01T09:30:00Z/0"

# --- legal hold, delete, audit -------------------------------------------------------------------
req POST "$r/hold" '{}' "$T/admin"
check "admin holds it" is "$status/$(jqo .legal_hold)" 200/true
req DELETE "$r" "" "$T/a"
check "the organizer cannot delete a held recording (409 legal_hold)" is "$status/$(jqo .error)" 409/legal_hold
req POST "$r/unhold" '{}' "$T/admin"
check "admin lifts the hold" is "$status/$(jqo .legal_hold)" 200/false
# An organizer's account goes with its recordings (erasure, or a retention rule).
req GET /api/accounts "" "$T/admin"
AID=$(jqo '.accounts[] | select(.email == "a@example.org") | .id')
req DELETE "/api/accounts/$AID" "" "$T/admin"
check "the admin deletes organizer a's account (204)" is "$status" 204
check "... its recording went with it, through the store: 404 for the admin" is "$(as admin GET "$r")" 404
check "... gone from the store's mount" bash -c "! ls -R '$T/mnt/by-webinar' | grep -q '$R1'"
check "... and no link is left" is "$(sqlite3 "$DB" "select count(*) from recordings where rec_id = '$R1'")" 0
req GET /api/audit "" "$T/admin"
check "control's audit log has the deletes, publishes and holds, by whom" \
	is "$(jqo "[.entries // .audit // . | .[]? | select(.target_type == \"recording\") | .action] | unique | join(\",\")")" \
	"recording.delete,recording.hold,recording.publish,recording.unhold,recording.unpublish"

# --- bad ids, the store down ----------------------------------------------------------------------
check "an id outside the store's alphabet is 400" is "$(as b GET '/api/recordings/x!y')/$(as admin GET "/api/recordings/.hidden")" 400/400
check "an unknown id is 404 for the admin and the organizer" is "$(as admin GET /api/recordings/nope)/$(as b GET /api/recordings/nope)" 404/404
kill -TERM "$recstore_pid"; wait "$recstore_pid" 2>/dev/null
req GET /api/recordings "" "$T/b"
check "recstore down: 503 recstore_unavailable with the reason" \
	is "$status/$(jqo .error)/$(jqo .detail | grep -c 'recording store unavailable')" 503/recstore_unavailable/1
check "... for the admin's list too" is "$(as admin GET /api/recordings)" 503
finish
