#!/usr/bin/env bash
# control_retention: the end-of-session deletions of DESIGN.md §9 on the real
# SQLite file, read back with the sqlite3 command while amphi-control runs.
# The policy here keeps the shipped zeros for chat, questions, votes and phone
# numbers (gone in the end's own transaction) and gives identity 8 s, so the
# periodic sweep (retention_sweep = 1s) must erase it with no request at all.
# A webinar whose recording is published for replay (ffmpeg publishes it,
# amphi-recstore ingests it, the organizer publishes it through
# POST /api/recordings/{id}/publish within those 8 s) keeps its registrants'
# identity; every webinar keeps its anonymous counters and ratings.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
command -v ffmpeg >/dev/null || skip "ffmpeg is not installed"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built: webinars cannot go live without it"
[ -x "$AMPHI_BIN/amphi-recstore" ] || skip "amphi-recstore is not built: the replay is a recording in it"
need_fuse

RELAY_SOCK=$T/relay.sock
spawn relay "$AMPHI_BIN/amphi-relay" --workers 1 --port-base 44000 --control "$RELAY_SOCK" \
	--spool "$T/spool" --config "$AMPHI_TOP/etc/relay.conf"
printf '[reaper]\ninterval = 1s\n' >"$T/recstore.conf"
spawn recstore "$AMPHI_BIN/amphi-recstore" --config "$T/recstore.conf" --control "$T/recstore.sock" \
	--spool "$T/spool" --store "$T/store" --mount "$T/mnt" --retention "$AMPHI_TOP/etc/retention.conf"
wait_for 10 test -S "$RELAY_SOCK" || { fail "relay starts"; finish; }
wait_for 20 mountpoint -q "$T/mnt" && wait_for 10 test -S "$T/recstore.sock" || { fail "recstore starts"; finish; }

# The shipped policy with identity kept 8 s after the end.
awk '/^\[/ { sec = $0 } sec == "[participant_identity]" && /^retention/ { $0 = "retention   = 8s" } { print }' \
	"$AMPHI_TOP/etc/retention.conf" >"$T/retention.conf"
check "test policy: identity 8s, interaction and phone 0" \
	is "$(grep -c '^retention   = 8s' "$T/retention.conf")/$(awk '/^\[interaction\]/{f=1} f && /^retention/{print $3; exit}' "$T/retention.conf")" 1/0
printf '[control]\nretention_sweep = 1s\n' >"$T/control.conf"
PW='Correct-Horse-42-battery'
AMPHI_ADMIN_PASSWORD=$PW RETENTION=$T/retention.conf ctl_start c1 --config "$T/control.conf" ||
	{ fail "amphi-control starts"; finish; }
DB=$T/c1.db
q() { sqlite3 "$DB" "$1"; }
treq() {
	local tok=$1 m=$2 p=$3 b=${4-}
	local args=(-s -o "$T/out" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $tok")
	[ -n "$b" ] && args+=(-H 'Content-Type: application/json' --data-binary "$b")
	status=$(curl "${args[@]}" "$URL$p")
}

login admin@localhost "$PW" "$T/admin"
req POST /api/accounts '{"email":"olga@example.org","first_name":"Olga","last_name":"Petrova"}' "$T/admin"
OPW=$(jqo .initial_password)
login olga@example.org "$OPW" "$T/a"
req POST /api/password "$(jq -nc --arg c "$OPW" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/a"
check "organizer ready" is "$status" 200

# webinar TITLE [RECORDING]: a live webinar with two registrants (one with a phone), a
# chat message, a question with an upvote, a poll with a vote and a rating.
# Sets WID.
webinar() {
	local p1 p2 poll qid
	req POST /api/webinars "{\"title\":\"$1\",\"start_time\":\"2026-12-01T09:30:00Z\",\"recording\":${2:-false}}" "$T/a"
	WID=$(jqo .id)
	treq "" POST "/api/webinars/$WID/registrations" \
		'{"first_name":"Zoé","last_name":"Martin","email":"zoe@example.org","job_title":"CTO","organization":"ACME","phone":"+33 1 23 45 67 89","consent":true,"age_15_or_older":true}'
	p1=$(join_token zoe@example.org)
	treq "" POST "/api/webinars/$WID/registrations" \
		'{"first_name":"Paul","last_name":"Durand","email":"paul@example.org","job_title":"Dev","organization":"Initech","consent":true,"age_15_or_older":true}'
	p2=$(join_token paul@example.org)
	req POST "/api/webinars/$WID/start" '{}' "$T/a"
	[ "$status" = 200 ] || return 1
	treq "$p1" POST "/api/webinars/$WID/chat" '{"text":"Bonjour"}'
	treq "$p2" POST "/api/webinars/$WID/questions" '{"text":"Slides?"}'
	qid=$(jqo .id)
	treq "$p1" POST "/api/webinars/$WID/questions/$qid/upvote" '{}'
	req POST "/api/webinars/$WID/polls" '{"question":"Useful?","options":["yes","no"]}' "$T/a"
	poll=$(jqo .id)
	treq "$p2" POST "/api/webinars/$WID/polls/$poll/votes" '{"option":0}'
	treq "$p1" POST "/api/webinars/$WID/rating" '{"rating":5}'
	[ "$status" = 204 ]
}
# held WID: interaction rows + phones + identities the webinar still holds.
held() {
	q "select (select count(*) from chat_messages where webinar_id=$1)
	        ||'/'||(select count(*) from questions where webinar_id=$1)
	        ||'/'||(select count(*) from question_votes v join questions q on q.id=v.question_id where q.webinar_id=$1)
	        ||'/'||(select count(*) from polls where webinar_id=$1)
	        ||'/'||(select count(*) from poll_votes v join polls p on p.id=v.poll_id where p.webinar_id=$1)
	        ||' phone='||(select count(phone) from registrations where webinar_id=$1)
	        ||' identity='||(select count(*) from registrations where webinar_id=$1 and coalesce(first_name,last_name,email,job_title,organization) is not null)"
}
counters() {
	q "select messages||'/'||questions||'/'||votes||'/'||unique_joins from webinar_stats where webinar_id=$1"
	q "select group_concat(score||':'||count) from rating_counts where webinar_id=$1"
}

check "webinar 1 runs with chat, question, upvote, poll, vote, rating" webinar "Plain"
W1=$WID
check "... its rows are in the database" is "$(held $W1)" "1/1/1/1/1 phone=1 identity=2"
before1=$(counters $W1)
check "webinar 2 (recorded, its replay to be published) runs likewise" webinar "Replay" true
W2=$WID
# ffmpeg publishes 2 s into webinar 2 through the SDES ingest the API hands out.
req POST "/api/webinars/$W2/speakers" '{}' "$T/a"
treq "$(jqo .token)" POST "/api/webinars/$W2/ingest/srtp" '{}'
pub=$(jqo .ffmpeg)
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i testsrc2=size=320x240:rate=25 \
	-f lavfi -i sine=frequency=440:sample_rate=48000 -t 2 -c:v mjpeg -q:v 5 -c:a pcm_s16le "$T/talk.mkv"
pub="${pub/ffmpeg /ffmpeg -hide_banner -nostdin -loglevel error }"
check "ffmpeg publishes into webinar 2" bash -c "${pub/INPUT/$T/talk.mkv}"

# Webinar 2 ends first: by the time the sweep has erased webinar 1's
# identities, webinar 2's have been due as long (ended_at is whole seconds).
req POST "/api/webinars/$W2/end" '{}' "$T/a"
check "webinar 2 ends" is "$status" 200
t_end2=$(date +%s%N)
check "its recording is in the store and listed for its organizer" \
	wait_for 6 bash -c "curl -s -b '$T/a' '$URL/api/recordings' | jq -e '.recordings[] | select(.webinar_id == $W2)' >/dev/null"
req GET /api/recordings "" "$T/a"
REC=$(jqo ".recordings[] | select(.webinar_id == $W2) | .id")
req POST "/api/recordings/$REC/publish" '{}' "$T/a"
ms=$(( ($(date +%s%N) - t_end2) / 1000000 ))
check "the organizer publishes the replay through the API (${ms} ms after the end, within the 8 s)" \
	is "$status/$(jqo .published)/$(q "select replay_published_at is not null from webinars where id = $W2")" 200/true/1
req POST "/api/webinars/$W1/end" '{}' "$T/a"
t_end=$(date +%s%N)
check "webinar 1 ends" is "$status/$(jqo .state)" 200/ended
check "at the end: chat, questions, upvotes, polls, votes and phone numbers are gone, identity is not yet" \
	is "$(held $W1)" "0/0/0/0/0 phone=0 identity=2"
check "the periodic sweep erases the identities without any request (within 8 s + 2 sweeps)" \
	wait_for 13 bash -c "[ \"\$(sqlite3 '$DB' 'select count(*) from registrations where webinar_id=$W1 and identity_erased_at is not null and coalesce(first_name,last_name,email,job_title,organization,phone) is null')\" = 2 ]"
ms=$(( ($(date +%s%N) - t_end) / 1000000 ))
# ended_at is in whole seconds: 8 s after it is at least 7 s after the call.
check "... not before its 8 s were up (${ms} ms after the end)" test "$ms" -ge 7000
check "... the registration rows stay (consent time, tokens for the rating grace)" \
	is "$(q "select count(*) from registrations where webinar_id=$W1 and consent_at > 0")" 2
check "... the anonymous counters and ratings stay as they were ($before1)" is "$(counters $W1)" "$before1"
check "... and count what happened: 1 message, 1 question, 1 vote, one rating of 5" \
	is "$(q "select messages||'/'||questions||'/'||votes from webinar_stats where webinar_id=$W1")/$(q "select count from rating_counts where webinar_id=$W1 and score=5")" 1/1/1/1
grep -q 'end-of-webinar data purged' "$T/c1.log"
check "the sweep logged what it did, with no personal data" \
	bash -c "grep -q 'end-of-webinar data purged rows=2' '$T/c1.log' && ! grep -Eqi 'zoe|paul|martin|durand|acme|initech|\\+33' '$T/c1.log'"

check "published replay: interaction and phone gone, identities kept past their 8 s (with the recording)" \
	is "$(held $W2)" "0/0/0/0/0 phone=0 identity=2"

# The shipped policy (identity 0) through a restart: what is due goes at start.
req POST /api/webinars '{"title":"Third","start_time":"2026-12-01T09:30:00Z"}' "$T/a"
W3=$(jqo .id)
treq "" POST "/api/webinars/$W3/registrations" \
	'{"first_name":"Mia","last_name":"Roux","email":"mia@example.org","job_title":"PM","organization":"Initech","consent":true,"age_15_or_older":true}'
req POST "/api/webinars/$W3/start" '{}' "$T/a"
kill -TERM "$c1_pid"; wait "$c1_pid" 2>/dev/null
# Ended while the daemon was down (as a crash between end and sweep leaves it).
q "update webinars set state='ended', ended_at=strftime('%s','now') where id=$W3"
check "before the restart webinar 3 still holds an identity" is "$(held $W3)" "0/0/0/0/0 phone=0 identity=1"
RETENTION=$AMPHI_TOP/etc/retention.conf ctl_start c2 --db "$DB" || fail "amphi-control restarts"
check "with the shipped policy it is erased at start" is "$(held $W3)" "0/0/0/0/0 phone=0 identity=0"
check "webinar 2's identities stay (replay published)" is "$(held $W2)" "0/0/0/0/0 phone=0 identity=2"

# The replay goes with its recording: published until 4 s from now, the
# recording is deleted by the store's reaper at that second, and the next
# sweep of amphi-control (1 s here) finds no published recording of webinar 2
# any more: its registrants' identity goes, not before.
kill -TERM "$c2_pid"; wait "$c2_pid" 2>/dev/null
RETENTION=$AMPHI_TOP/etc/retention.conf ctl_start c3 --db "$DB" --config "$T/control.conf" || fail "amphi-control restarts"
until_t=$(( $(date +%s) + 4 ))
req POST "/api/recordings/$REC/publish" "{\"until\":$until_t}" "$T/a"
check "the replay is published until 4 s from now" is "$status/$(jqo .expires_at_unix)" "200/$until_t"
check "... meanwhile the identities stay" is "$(held $W2)" "0/0/0/0/0 phone=0 identity=2"
check "once the recording expired in the store, the sweep erases them (within 4 s + 2 sweeps)" \
	wait_for 10 bash -c "[ \"\$(sqlite3 '$DB' 'select count(*) from registrations where webinar_id=$W2 and identity_erased_at is not null')\" = 2 ]"
check "... not before the recording's expiry" test "$(date +%s)" -ge "$until_t"
check "... the recording is gone from the organizer's list, the replay mark cleared" \
	is "$(curl -s -b "$T/a" "$URL/api/recordings" | jq "[.recordings[] | select(.id == \"$REC\")] | length")/$(q "select replay_published_at is null from webinars where id = $W2")" 0/1
finish
