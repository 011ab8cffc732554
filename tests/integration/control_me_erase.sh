#!/usr/bin/env bash
# control_me_erase: the right to erasure (DELETE /api/me) across the three
# daemons, with the real relay and recording store behind amphi-control.
# Two organizers each record a webinar (ffmpeg through the SDES ingest); a
# participant registered to two webinars watches one as an SDES viewer.
# Then: the participant erases itself with its join token (every
# registration of its address, its viewer cut on the relay at once, a
# publish token refused); an
# organizer erases itself (every row gone from the SQLite file, its recording
# gone from the store and its mount, its live webinar ended on the relay,
# the receipt naming each, login refused after); the store down (503, the
# account kept, nothing half done) and the retry once it is back, with a
# recording under legal hold kept and named in the receipt.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
for c in jq curl ffmpeg sqlite3 socat; do command -v $c >/dev/null || skip "$c is not installed"; done
[ -x "$AMPHI_BIN/amphi-relay" ] && [ -x "$AMPHI_BIN/amphi-recstore" ] || skip "amphi-relay and amphi-recstore are needed"
need_fuse

relay_start 44600 && recstore_start || { fail "relay and recstore start"; finish; }
ADMIN='Sentinel-Harbor-99!x'
AMPHI_ADMIN_PASSWORD=$ADMIN ctl_start c1 || { fail "amphi-control starts"; finish; }
DB=$T/c1.db
PW=Purple-Lantern-77-river
login admin@localhost "$ADMIN" "$T/admin"
# organizer EMAIL JAR: an organizer account, password changed, signed in.
organizer() {
	local pw
	req POST /api/accounts "{\"email\":\"$1\",\"first_name\":\"Olga\",\"last_name\":\"Zed\"}" "$T/admin-$2"
	pw=$(jqo .initial_password)
	login "$1" "$pw" "$T/$2"
	req POST /api/password "$(jq -nc --arg c "$pw" --arg n "$PW" '{current_password:$c,new_password:$n}')" "$T/$2"
	[ "$status" = 200 ]
}
# record JAR: a recorded webinar of JAR's organizer, published 2 s by
# ffmpeg, ended; prints its id.
record() {
	local w tok pub
	OUT=$T/rec-$1 req POST /api/webinars '{"title":"Rec","start_time":"2026-12-01T09:30:00Z","recording":true}' "$T/$1"
	w=$(OUT=$T/rec-$1 jqo .id)
	OUT=$T/rec-$1 req POST "/api/webinars/$w/speakers" '{}' "$T/$1"
	tok=$(OUT=$T/rec-$1 jqo .token)
	OUT=$T/rec-$1 req POST "/api/webinars/$w/start" '{}' "$T/$1"
	pub=$(curl -s -X POST -H "Authorization: Bearer $tok" "$URL/api/webinars/$w/ingest/srtp" | jq -r .ffmpeg)
	pub="${pub/ffmpeg /ffmpeg -hide_banner -nostdin -loglevel error }"
	bash -c "${pub/INPUT/$T/talk.mkv}" >"$T/pub-$1.log" 2>&1
	OUT=$T/rec-$1 req POST "/api/webinars/$w/end" '{}' "$T/$1"
	echo "$w"
}
cp "$T/admin" "$T/admin-a"
cp "$T/admin" "$T/admin-b"
(OUT=$T/out-a organizer a@example.org a) &
pa=$!
(OUT=$T/out-b organizer b@example.org b) &
pb=$!
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i testsrc2=size=160x120:rate=25 \
	-f lavfi -i sine=frequency=440:sample_rate=48000 -t 2 -c:v mjpeg -q:v 5 -c:a pcm_s16le "$T/talk.mkv"
wait $pa; ra=$?
wait $pb; rb=$?
check "setup: organizers a and b" is "$ra/$rb" 0/0
AID=$(sqlite3 "$DB" "select id from accounts where email = 'a@example.org'")
BID=$(sqlite3 "$DB" "select id from accounts where email = 'b@example.org'")
record a >"$T/wa" &
pa=$!
record b >"$T/wb" &
pb=$!
wait $pa $pb
WA=$(cat "$T/wa") WB=$(cat "$T/wb")
rec_of() { curl -s -b "$T/$1" "$URL/api/recordings" | jq -r ".recordings[] | select(.webinar_id == $2) | .id"; }
check "setup: the store ingests both recordings" \
	wait_for 30 bash -c "[ -n \"\$(curl -s -b '$T/a' '$URL/api/recordings' | jq -r '.recordings[0].id // empty')\" ] &&
		[ -n \"\$(curl -s -b '$T/b' '$URL/api/recordings' | jq -r '.recordings[0].id // empty')\" ]"
RA=$(rec_of a "$WA") RB=$(rec_of b "$WB")
req POST "/api/recordings/$RB/hold" '{}' "$T/admin"
check "setup: the admin holds b's recording" is "$status" 200

# a's live webinar, a scheduled one; Pia registered to both and watching the
# live one as an SDES viewer.
req POST /api/webinars '{"title":"Live","start_time":"2026-12-01T10:00:00Z"}' "$T/a"
WL=$(jqo .id)
req POST /api/webinars '{"title":"Later","start_time":"2030-01-01T10:00:00Z"}' "$T/a"
WS=$(jqo .id)
regbody() { jq -nc --arg e "$1" '{first_name:"Pia",last_name:"Quartz",email:$e,job_title:"Dev",organization:"ACME",phone:"+33 6 12 34 56 78",consent:true,age_15_or_older:true}'; }
req POST "/api/webinars/$WL/registrations" "$(regbody pia@example.org)" "$T/anon"
PIA=$(join_token pia@example.org)
req POST "/api/webinars/$WS/registrations" "$(regbody pia@example.org)" "$T/anon"
req POST "/api/webinars/$WL/registrations" "$(regbody max@example.org)" "$T/anon"
MAX=$(join_token max@example.org)
req POST "/api/webinars/$WL/start" '{}' "$T/a"
check "setup: the live webinar starts" is "$status" 200
treq() {   # treq TOKEN METHOD PATH [BODY]
	local args=(-s -o "$T/out" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1")
	[ -n "${4-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	status=$(curl "${args[@]}" "$URL$3")
}
viewers() { relay_ctl '{"cmd":"stream.list"}' | jq -r ".streams[] | select(.id == \"webinar-$WL\") | .viewers"; }

# --- a participant erases itself with its join link ------------------------------------------------
treq "$PIA" POST "/api/webinars/$WL/viewers/srtp" '{"audio_port":47000,"video_port":47002}'
check "setup: Pia watches as an SDES viewer: the relay has her" is "$status/$(viewers)" 201/1
treq "$PIA" POST "/api/webinars/$WL/chat" '{"text":"Pia says hi"}'
check "setup: Pia chats" is "$status" 201
PIA_REGS=$(sqlite3 "$DB" "select group_concat(id) from registrations where email = 'pia@example.org'")
treq "$PIA" DELETE /api/me
got_viewers=$(viewers)
check "Pia erases herself with her join token: 200 and a receipt" is "$status/$(jqo .subject)" 200/participant
check "... every registration of her address, with what she wrote and her join mails" \
	is "$(jq -c '.deleted["amphi-control"] | {registrations,tokens,chat_messages,outbox_mails}' "$T/out")" \
	'{"registrations":2,"tokens":2,"chat_messages":1,"outbox_mails":2}'
check "... her viewer was cut on the relay at once, and the receipt says so" \
	is "$got_viewers/$(jqo '.deleted["amphi-relay"].sessions_ended')" 0/1
check "... the store holds nothing of hers" is "$(jq -c '.deleted["amphi-recstore"].recordings' "$T/out")" "[]"
check "... what is kept, until when and why: her access log entries, the audit entries" \
	is "$(jqo '[.kept[] | select(.until | test("^20")) | .rule] | map(select(. == "access_logs" or . == "audit_log")) | join(",")')" "access_logs,audit_log"
for t in "registrations where email = 'pia@example.org'" "tokens where registration_id in ($PIA_REGS)" \
	"chat_messages where body = 'Pia says hi'" "audit where detail like '%pia%' or detail like '%Quartz%'"; do
	check "... no row left in the SQLite file: $t" is "$(sqlite3 "$DB" "select count(*) from $t")" 0
done
check "... nor a mail to her in the outbox" is "$(grep -lix 'To: <pia@example.org>'$'\r' "$T"/outbox/*.eml | wc -l)" 0
treq "$PIA" GET "/api/webinars/$WL/chat"
check "... her link is dead (401)" is "$status" 401
treq "$MAX" GET "/api/webinars/$WL/chat"
check "... another participant's is not (200)" is "$status" 200
req POST "/api/webinars/$WL/speakers" '{}' "$T/a"
SPEAKER=$(jqo .token)
treq "$SPEAKER" DELETE /api/me
check "a publish token names nobody: 403 no_subject" is "$status/$(jqo .error)" 403/no_subject

# --- an organizer erases itself --------------------------------------------------------------------
req POST /api/password/reset-request '{"email":"a@example.org"}' "$T/anon"
check "setup: a has a reset token and a mail in the outbox" \
	is "$(sqlite3 "$DB" "select count(*) from reset_tokens where account_id = $AID")/$(grep -lix 'To: <a@example.org>'$'\r' "$T"/outbox/*.eml | wc -l)" 1/1
req POST /api/privacy/requests '{"kind":"erasure","requester":"Olga Zed, A@example.org"}' "$T/admin"
req POST /api/privacy/requests '{"kind":"access","requester":"pa@example.org"}' "$T/admin"
check "setup: two requests by mail, one naming a's address" is "$status" 201
cp "$T/a" "$T/a-old"
req DELETE /api/me "" "$T/a"
check "a erases itself: 200 and a receipt" is "$status/$(jqo .subject)" 200/account
check "... the store deleted its recording, named by id" is "$(jqo '.deleted["amphi-recstore"].recordings | join(",")')" "$RA"
check "... its live webinar was ended on the relay" is "$(jqo '.deleted["amphi-relay"].webinars_ended')" 1
check "... the control plane's part, counted" \
	is "$(jq -c '.deleted["amphi-control"] | {account,reset_tokens,webinars,registrations,outbox_mails}' "$T/out")" \
	'{"account":1,"reset_tokens":1,"webinars":3,"registrations":1,"outbox_mails":1}'
check "... sessions counted" test "$(jqo '.deleted["amphi-control"].sessions')" -ge 1
check "... what is kept, until when and why: logs, the audit entry, the request naming its address" \
	is "$(jqo '[.kept[] | .rule] | join(",")')/$(jqo '.kept[] | select(.rule == "privacy_requests") | .count')" \
	"connection_logs,access_logs,audit_log,privacy_requests/1"
check "... each with a date and a legal basis" is "$(jqo '[.kept[] | select(.until | test("^20[0-9-]+T")) | select(.why | length > 10)] | length')" 4
for t in "accounts where id = $AID" "sessions where account_id = $AID" "reset_tokens where account_id = $AID" \
	"webinars where organizer_id = $AID" "registrations where webinar_id in ($WA, $WL, $WS)" \
	"tokens where webinar_id in ($WA, $WL, $WS)" "recordings where rec_id = '$RA'" \
	"accounts where email = 'a@example.org'"; do
	check "... no row left in the SQLite file: $t" is "$(sqlite3 "$DB" "select count(*) from $t")" 0
done
check "... the relay stream of its live webinar is gone" is "$(viewers)" ""
check "... the recording is gone from the store's mount" bash -c "! ls -R '$T/mnt' | grep -q '$RA'"
req GET "/api/recordings/$RA" "" "$T/admin"
check "... and from the admin's view (404)" is "$status" 404
check "... its mails left the outbox" is "$(grep -lix 'To: <a@example.org>'$'\r' "$T"/outbox/*.eml | wc -l)" 0
login a@example.org "$PW" "$T/a2"
check "a cannot log in after (401)" is "$status" 401
req GET /api/webinars "" "$T/a-old"
check "... nor use its old session cookie (401)" is "$status" 401
req GET /api/audit "" "$T/admin"
check "the erasure is audited by id, with no address or name" \
	is "$(jqo "[.entries // .audit // . | .[]? | select(.action == \"account.erase\" and .target_id == $AID)] | length")/$(sqlite3 "$DB" "select count(*) from audit where detail like '%example.org%' or detail like '%Olga%'")" 1/0

# --- the store down: nothing half done; the retry finishes ----------------------------------------
kill -TERM "$recstore_pid"; wait "$recstore_pid" 2>/dev/null
req DELETE /api/me "" "$T/b"
check "store down: b's erasure is 503 recstore_unavailable" is "$status/$(jqo .error)" 503/recstore_unavailable
req GET /api/webinars "" "$T/b"
check "... b's account and session are all still there" \
	is "$status/$(sqlite3 "$DB" "select count(*) from accounts where id = $BID")/$(sqlite3 "$DB" "select count(*) from webinars where organizer_id = $BID")" 200/1/1
recstore_start || fail "recstore restarts"
req DELETE /api/me "" "$T/b"
check "the retry once the store is back: 200" is "$status/$(jqo .subject)" 200/account
check "... the held recording is kept, named, with why and until when" \
	is "$(jqo '.kept[] | select(.data == "recording") | [.id, .daemon, (.why | test("legal hold")), (.until | test("legal hold"))] | join(",")')" \
	"$RB,amphi-recstore,true,true"
check "... and not in the deleted list" is "$(jq -c '.deleted["amphi-recstore"].recordings' "$T/out")" "[]"
check "... b's rows are gone" is "$(sqlite3 "$DB" "select count(*) from accounts where id = $BID")/$(sqlite3 "$DB" "select count(*) from webinars where organizer_id = $BID")" 0/0
req GET "/api/recordings/$RB" "" "$T/admin"
check "... the held recording is still there for the admin" is "$status/$(jqo .legal_hold)" 200/true

# --- who may ----------------------------------------------------------------------------------------
req DELETE /api/me "" "$T/anon"
check "DELETE /api/me anonymous: 401" is "$status" 401
req DELETE /api/me "" "$T/admin"
check "the last active administrator cannot erase itself: 409" is "$status" 409
req POST /api/accounts '{"email":"dpo@example.org","first_name":"Dee","last_name":"Po","role":"admin"}' "$T/admin"
pw=$(jqo .initial_password)
login dpo@example.org "$pw" "$T/dpo"
req POST /api/password "$(jq -nc --arg c "$pw" --arg n "$PW" '{current_password:$c,new_password:$n}')" "$T/dpo"
req DELETE /api/me "" "$T/dpo"
check "another administrator may: 200, its account gone" \
	is "$status/$(jqo .subject)/$(sqlite3 "$DB" "select count(*) from accounts where email = 'dpo@example.org'")" 200/account/0
finish
