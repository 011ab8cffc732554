#!/usr/bin/env bash
# control_me_export: the rights of access, portability and rectification
# (GDPR art. 15, 16, 20) over real HTTP (curl) against a real amphi-control
# and SQLite, a real amphi-relay (the webinar goes live for its chat) and a
# real amphi-recstore (the organizer's recording).  Who a request is about
# (GET /api/me: an organizer by the session cookie, a participant by the
# join token mailed to the registration; what names nobody: anonymous,
# revoked, expired, withdrawn, a public join's or a speaker's token); the
# export of each (every section holds what was made, and nothing of the
# other participant); PATCH /api/me and the export after it; the audit.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
for c in jq curl sqlite3 socat ffmpeg; do command -v $c >/dev/null || skip "$c is not installed"; done
[ -x "$AMPHI_BIN/amphi-relay" ] && [ -x "$AMPHI_BIN/amphi-recstore" ] || skip "amphi-relay and amphi-recstore are needed"
need_fuse

relay_start 46100 && recstore_start || { fail "relay and recstore start"; finish; }
ADMIN='Sentinel-Harbor-99!x'
AMPHI_ADMIN_PASSWORD=$ADMIN CTL_CLOCK=1 ctl_start c1 || { fail "amphi-control starts"; finish; }
DB=$T/c1.db
login admin@localhost "$ADMIN" "$T/admin"
req POST /api/accounts '{"email":"olga@example.org","first_name":"Olga","last_name":"Petrova"}' "$T/admin"
pw=$(jqo .initial_password)
login olga@example.org "$pw" "$T/o"
req POST /api/password "$(jq -nc --arg c "$pw" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/o"
check "setup: organizer olga" is "$status" 200
OID=$(sqlite3 "$DB" "SELECT id FROM accounts WHERE email = 'olga@example.org'")

# treq TOKEN METHOD PATH [BODY]: a Bearer request (no cookie); "" = anonymous.
treq() {
	local tok=$1 m=$2 p=$3 b=${4-}
	local args=(-s -o "$T/out" -D "$T/head" -w '%{http_code}' -X "$m")
	[ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
	[ -n "$b" ] && args+=(-H 'Content-Type: application/json' --data-binary "$b")
	status=$(curl "${args[@]}" "$URL$p")
}
# register WEBINAR FIRST LAST EMAIL: a registration; its join token from the mail.
register() {
	treq "" POST "/api/webinars/$1/registrations" "$(jq -nc --arg f "$2" --arg l "$3" --arg e "$4" \
		'{first_name:$f,last_name:$l,email:$e,job_title:"Nurse",organization:"CHU",phone:"+33 6 12 34 56 78",consent:true,age_15_or_older:true}')"
	[ "$status" = 202 ] && join_token "$4"
}

START=$(date -u -d '+1 hour' +%FT%TZ)
req POST /api/webinars "{\"title\":\"Rights\",\"start_time\":\"$START\",\"visibility\":\"public\"}" "$T/o"
W1=$(jqo .id)
req POST /api/webinars "{\"title\":\"Rights again\",\"start_time\":\"$START\"}" "$T/o"
W2=$(jqo .id)
ZOE=$(register "$W1" Zoé Martin zoe@example.org)
ZOE2=$(register "$W2" Zoé Martin ZOE@example.org)
MAX=$(register "$W1" Maxence Durand max@example.org)
check "setup: three registrations, their join tokens mailed" test -n "$ZOE" -a -n "$ZOE2" -a -n "$MAX"

# --- who the request is about ------------------------------------------------------------------
req GET /api/me "" "$T/o"
check "an organizer's cookie: the account" is "$status/$(jqo '[.kind,.email,.account_id]|join(",")')" \
	"200/account,olga@example.org,$OID"
req GET /api/me "" "$T/admin"
check "an administrator's cookie: the account" is "$status/$(jqo '[.kind,.email]|join(",")')" "200/account,admin@localhost"
treq "$ZOE" GET /api/me
RZ=$(sqlite3 "$DB" "SELECT id FROM registrations WHERE webinar_id = $W1 AND email = 'zoe@example.org'")
check "a join token: the registration's email" \
	is "$status/$(jqo '[.kind,.email,.registration_id,.webinar_id]|join(",")')" "200/participant,zoe@example.org,$RZ,$W1"
treq "$MAX" GET /api/me
check "another registration's token: its own email" is "$status/$(jqo .email)" 200/max@example.org
treq "" GET /api/me
check "anonymous: 401" is "$status/$(jqo .error)" 401/unauthenticated
treq "not-a-token" GET /api/me
check "a made-up token: 401" is "$status" 401
treq "" POST "/api/webinars/$W1/join" '{}'
PUB=$(jqo .token)
treq "$PUB" GET /api/me
check "a public join's token names nobody: 403 no_subject" is "$status/$(jqo .error)" 403/no_subject
req POST "/api/webinars/$W1/speakers" '{}' "$T/o"
SPK=$(jqo .token)
treq "$SPK" GET /api/me
check "a speaker's token names nobody: 403 no_subject" is "$status/$(jqo .error)" 403/no_subject
treq "$SPK" GET /api/me/export
check "... nor exports anything" is "$status/$(jqo .error)" 403/no_subject

# The matrix's other cells (docs/control-live.md).
req GET /api/me/export "" "$T/admin"
check "an administrator exports its own account" is "$status/$(jqo .account.email)" 200/admin@localhost
req PATCH /api/me '{"job_title":"DPO"}' "$T/admin"
check "... and corrects it" is "$status/$(jqo .job_title)" 200/DPO
treq "$SPK" PATCH /api/me '{"first_name":"S"}'
check "a speaker's token cannot correct anything: 403" is "$status/$(jqo .error)" 403/no_subject
treq "" GET /api/me/export
check "anonymous export: 401" is "$status" 401
treq "" PATCH /api/me '{"first_name":"A"}'
check "anonymous rectification: 401" is "$status" 401

# --- what each holds: a live webinar's chat, a question, votes, a recording, a request ----------
req POST "/api/webinars/$W1/start" '{}' "$T/o"
check "the webinar goes live" is "$status" 200
treq "$ZOE" POST "/api/webinars/$W1/chat" '{"text":"Zoé asks about the night shifts"}'
treq "$MAX" POST "/api/webinars/$W1/chat" '{"text":"Maxence was here"}'
req POST "/api/webinars/$W1/chat" '{"text":"Olga welcomes everyone"}' "$T/o"
treq "$ZOE" POST "/api/webinars/$W1/questions" '{"text":"When do rotas change?"}'
Q=$(jqo .id)
treq "$MAX" POST "/api/webinars/$W1/questions/$Q/upvote" '{}'
req POST "/api/webinars/$W1/polls" '{"question":"Coffee?","options":["yes","no"]}' "$T/o"
P=$(jqo .id)
treq "$ZOE" POST "/api/webinars/$W1/polls/$P/votes" '{"option":1}'
check "setup: chat, a question, an upvote, a poll vote" is "$(sqlite3 "$DB" "SELECT (SELECT COUNT(*) FROM chat_messages) || '/' || (SELECT COUNT(*) FROM question_votes) || '/' || (SELECT COUNT(*) FROM poll_votes)")" 3/1/1
# Zoé watches twice: an SDES viewer (ffplay's way) and a WHEP session (a browser's offer).
treq "$ZOE" POST "/api/webinars/$W1/viewers/srtp" '{"audio_port":47000,"video_port":47002}'
check "setup: an SDES viewer on the relay" is "$status" 201
wstat=$(curl -s -o "$T/whep" -w '%{http_code}' -X POST -H "Authorization: Bearer $ZOE" -H 'Content-Type: application/sdp' \
	--data-binary "@$AMPHI_TOP/tests/data/sdp/chromium-recvonly.sdp" "$URL/whep/$W1")
check "setup: a WHEP session on the relay" is "$wstat" 201
# A recording of W1, as the relay's journal would have become one: the store
# imports a media file under the ids amphi-control names, and the link row
# ingest.c writes before asking the relay to record.
ffmpeg -v error -f lavfi -i testsrc=size=160x120:rate=10 -f lavfi -i sine=frequency=440 -t 1 \
	-c:v libvpx -b:v 100k -c:a libopus "$T/a.webm"
REC=webinar-$W1-$(date +%s)-0123abcd
printf '%s\n' "{\"cmd\":\"import\",\"path\":\"$T/a.webm\",\"id\":\"$REC\",\"webinar\":\"$W1\",\"org\":\"$OID\",\"webinar_date\":\"$(date -u +%F)\"}" |
	socat -t 30 - "UNIX-CONNECT:$T/recstore.sock" >"$T/import"
sqlite3 "$DB" "INSERT INTO recordings (rec_id, webinar_id, organizer_id, created_at) VALUES ('$REC', $W1, $OID, strftime('%s','now'))"
check "setup: the store holds olga's recording" jq -e .ok "$T/import"
req POST /api/privacy/requests '{"kind":"access","requester":"Zoé Martin <zoe@example.org>","note":"by letter"}' "$T/admin"
check "setup: a privacy request by letter" is "$status" 201
req POST /api/privacy/requests '{"kind":"erasure","requester":"Eliza Lizoe <lizoe@example.org>","note":"another person"}' "$T/admin"
check "setup: another person's, whose address ends like hers" is "$status" 201

# --- the organizer's export ---------------------------------------------------------------------
curl -s -o "$T/olga.json" -D "$T/head" -w '%{http_code}' -b "$T/o" "$URL/api/me/export" >"$T/st"
check "olga's export: 200, a JSON download" is "$(cat "$T/st")/$(jq -r .format "$T/olga.json")/$(grep -ci '^content-disposition: attachment; filename="amphi-export-account-.*\.json"' "$T/head")" \
	200/amphi-export/1/1
ox() { jq -r "$1" "$T/olga.json"; }
check "account: the row, the password hash named not given" \
	is "$(ox '[.account.email, .account.first_name, .account.role, (.account.password | test("Argon2id"))] | join(",")')" \
	"olga@example.org,Olga,organizer,true"
check "... no hash anywhere in the file" bash -c "! grep -q 'argon2id\\\$' '$T/olga.json'"
check "sessions: the live one, times as ISO 8601" is "$(ox '[.sessions[] | .last_seen_at | test("^20..-..-..T")] | all and length >= 1')" true
check "connection logs: the login, with its address" is "$(ox '[.connection_logs[] | select(.event == "login") | .ip] | unique | join(",")')" 127.0.0.1
check "access logs: its own requests" is "$(ox '[.access_logs[] | select(.route == "/api/webinars")] | length > 0')" true
check "webinars organized: both" is "$(ox '[.webinars_organized[].id] | join(",")')" "$W1,$W2"
check "chat: its own message only" is "$(ox '[.chat_messages[].body] | join("|")')" "Olga welcomes everyone"
check "recordings: from the store, with links" \
	is "$(ox '[.recordings[] | .id, .webinar_id, .metadata, .media] | join(",")')" "$REC,$W1,/api/recordings/$REC,/api/recordings/$REC/media"
check "audit: its account's creation and its webinars" \
	is "$(ox '[.audit[] | .action] | (index("account.create") != null) and (index("webinar.create") != null)')" true
check "an account's export holds no registration (a session does not prove the address)" \
	is "$(ox 'has("registrations")')/$(ox '.relay.sessions | length')" false/0
check "... nor anything of the participants" bash -c "! grep -Eqi 'zoe@|maxence|max@|durand|night shifts' '$T/olga.json'"

# --- a participant's export ---------------------------------------------------------------------
curl -s -o "$T/zoe.json" -D "$T/head" -w '%{http_code}' -H "Authorization: Bearer $ZOE" "$URL/api/me/export" >"$T/st"
check "zoe's export: 200, a download" is "$(cat "$T/st")/$(grep -ci '^content-disposition: attachment; filename="amphi-export-participant-' "$T/head")" 200/1
zx() { jq -r "$1" "$T/zoe.json"; }
check "subject: the address, no account" is "$(zx '[.subject.kind, .subject.email, has("account"), has("sessions")] | join(",")')" \
	"participant,zoe@example.org,false,false"
check "registrations: both webinars', whatever the address's case" is "$(zx '[.registrations[].webinar_id] | join(",")')" "$W1,$W2"
check "... with identity and phone" is "$(zx '.registrations[0] | [.first_name, .last_name, .job_title, .organization, .phone] | join(",")')" \
	"Zoé,Martin,Nurse,CHU,+33 6 12 34 56 78"
VERSION=$(curl -s "$URL/api/webinars/$W1/consent" | jq -r .version)
check "... with the consent record: version, time, declaration, text" \
	is "$(zx '.registrations[0].consent | [.version, (.given_at | test("^20")), .age_15_or_older_declared, .text] | join(",")')" \
	"$VERSION,true,true,/api/webinars/$W1/consent"
check "tokens: both registrations' join tokens (no token text)" \
	is "$(zx '[.tokens[] | .role] | join(",")')/$(grep -c -e "$ZOE" "$T/zoe.json")" participant,participant/0
check "chat and questions: hers only" is "$(zx '[.chat_messages[].body, .questions[].body] | join("|")')" \
	"Zoé asks about the night shifts|When do rotas change?"
check "votes: her poll vote; the upvote was Maxence's" is "$(zx '[.poll_votes[] | .option] | join(",")')/$(zx '.question_upvotes | length')" 1/0
check "access logs: her requests" is "$(zx '[.access_logs[] | select(.route == "/api/webinars/{id}/chat")] | length')" 1
check "privacy requests naming her address, not one that ends like it" \
	is "$(zx '[.privacy_requests[] | .kind, .note] | join(",")')/$(grep -c -i 'lizoe' "$T/zoe.json")" "access,by letter/0"
check "outbox: her two join mails (metadata only)" is "$(zx '[.outbox_mails[] | .kind] | join(",")')/$(zx '.outbox_mails[0] | keys | join(",")')" \
	"join,join/file,kind,written_at"
check "audit: about her registrations" is "$(zx '[.audit[] | .target_type] | unique | join(",")')" "privacy_request"
check "relay: her two live sessions, the WebRTC peer as the relay lists it" \
	is "$(zx '[.relay.sessions[] | .kind + ":" + (.webinar_id | tostring)] | sort | join(",")')/$(zx '.relay.sessions[] | select(.kind == "whep viewer") | .relay.state | type')" \
	"sdes viewer:$W1,whep viewer:$W1/string"
check "no recording, no organizer's data" is "$(zx 'has("recordings")')/$(zx 'has("webinars_organized")')" false/false
check "... and nothing of Maxence or Olga" bash -c "! grep -Eqi 'max@|maxence|durand|olga|petrova|welcomes' '$T/zoe.json'"
treq "$MAX" GET /api/me/export
check "Maxence's export: his message, his upvote, no session, nothing of Zoé" \
	is "$(jqo '[.chat_messages[].body] | join("|")')/$(jqo '.question_upvotes | length')/$(jqo '.relay.sessions | length')/$(grep -Eci 'zoe|zoé|night shifts|rotas' "$T/out")" "Maxence was here/1/0/0"

# The export is audited, without the data.
req GET "/api/audit?limit=1000" "" "$T/admin"
check "audit: privacy.export of each subject, no address in the detail" \
	is "$(jqo '[.entries[] | select(.action == "privacy.export") | .target_type + ":" + (.detail.subject)] | sort | join(",")')/$(jqo '[.entries[] | select(.action == "privacy.export") | .detail | tostring | test("@")] | any')" \
	"account:account,account:account,registration:participant,registration:participant/false"

# --- rectification -----------------------------------------------------------------------------
treq "$ZOE" PATCH /api/me '{"last_name":"Martin-Leroy","phone":null}'
check "zoe corrects her name and drops her phone" is "$status/$(jqo '.registration | [.last_name, .phone] | tostring')" \
	'200/["Martin-Leroy",null]'
treq "$ZOE" PATCH /api/me '{"email":"zoe.m@example.org","colour":"red","first_name":""}'
check "her address, an unknown field, an empty name: 422 naming each" \
	is "$status/$(jqo '[.detail[].field] | sort | join(",")')" 422/colour,email,first_name
treq "$ZOE" PATCH /api/me '{}'
check "nothing to change: 422" is "$status/$(jqo .error)" 422/invalid
curl -s -o "$T/out" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $ZOE" -H 'Content-Type: application/json' \
	--data-binary '{"last_name":' "$URL/api/me" >"$T/st"
check "a body that is not JSON: 400" is "$(cat "$T/st")" 400
treq "$ZOE" GET /api/me/export
check "the export shows the correction on that registration only" \
	is "$(jqo '[.registrations[] | .last_name + ":" + (.phone // "none")] | join(",")')" "Martin-Leroy:none,Martin:+33 6 12 34 56 78"
req PATCH /api/me '{"first_name":"Olga M.","email":"olga.p@example.org","company":"Mutuelle"}' "$T/o"
check "olga corrects her name and address" is "$status/$(jqo '[.first_name, .email, .company] | join(",")')" \
	"200/Olga M.,olga.p@example.org,Mutuelle"
req PATCH /api/me '{"email":"ADMIN@localhost"}' "$T/o"
check "an address another account has: 409" is "$status/$(jqo .error)" 409/email_taken
req PATCH /api/me '{"email":"not an address","role":"admin","unlock":true}' "$T/o"
check "a bad address, the role, an unlock: 422 naming each" is "$status/$(jqo '[.detail[].field] | sort | join(",")')" \
	422/email,role,unlock
req GET /api/me/export "" "$T/o"
check "her export shows the new values" is "$(jqo '[.account.first_name, .account.email, .subject.email] | join(",")')" \
	"Olga M.,olga.p@example.org,olga.p@example.org"
req GET "/api/audit?limit=1000" "" "$T/admin"
check "rectifications audited by field name, never the value" \
	is "$(jqo '[.entries[] | select(.action == "privacy.rectify") | .target_type + ":" + (.detail.fields | sort | join("+"))] | sort | join(",")')/$(grep -Ec 'Leroy|Mutuelle|olga.p@' "$T/out")" \
	"account:company+email+first_name,account:job_title,registration:last_name+phone/0"

# amphictl, with olga's session.
ctl() { AMPHICTL_COOKIES=$T/o "$AMPHI_TOP/tools/amphictl" --url "$URL" "$@"; }
ctl me export "$T/cli.json" >"$T/cli.out"
check "amphictl me export: the file, private, the same subject" \
	is "$?/$(stat -c %a "$T/cli.json")/$(jq -r .subject.email "$T/cli.json")/$(grep -c 'recordings 1' "$T/cli.out")" "0/600/olga.p@example.org/1"
ctl me update --job-title Director >/dev/null
check "amphictl me update corrects the account" is "$?/$(ctl --json me export | jq -r .account.job_title)" 0/Director
ctl me update --role admin 2>"$T/cli.err"
check "... and passes the server's refusal on (exit 1, the field named)" is "$?/$(grep -c 'role: unknown field' "$T/cli.err")" 1/1

# The store down: an organizer's export would leave its recordings out, so it fails; a participant's needs no store.
kill -TERM "$recstore_pid"
wait_for 10 sh -c "! kill -0 $recstore_pid"
req GET /api/me/export "" "$T/o"
check "the store down: olga's export is 503, nothing left out silently" is "$status/$(jqo .error)" 503/recstore_unavailable
treq "$ZOE" GET /api/me/export
check "... zoe's is whole" is "$status/$(jqo '.registrations | length')" 200/2

# --- tokens that name nobody any more ----------------------------------------------------------
req GET "/api/webinars/$W2/tokens" "" "$T/o"
TZ2=$(jqo '.tokens[] | select(.registration_id != null) | .id')
req DELETE "/api/webinars/$W2/tokens/$TZ2" "" "$T/o"
treq "$ZOE2" GET /api/me/export
check "a revoked join token: 401" is "$status/$(jqo .error)" 401/unauthenticated
MAX_W2=$(register "$W2" Maxence Durand max@example.org)
treq "$MAX_W2" DELETE "/api/webinars/$W2/registration"
treq "$MAX_W2" PATCH /api/me '{"last_name":"D."}'
check "the token of a withdrawn registration: 401" is "$status/$(jqo .error)" 401/unauthenticated
# Join tokens die TOKENS_MAX_S (2 days) after the start: W2 never started.
clock_ahead $((3 * 86400))
treq "$(register "$W2" Zoé Martin zoe@example.org)" GET /api/me
check "a token issued after the jump works" is "$status" 200
treq "$MAX" GET /api/me/export
check "W1's tokens expired (3 days on): 401" is "$status/$(jqo .error)" 401/unauthenticated
finish
