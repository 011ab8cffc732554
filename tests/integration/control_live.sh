#!/usr/bin/env bash
# control_live: a webinar from creation to the end-of-session deletions, over
# real HTTP (curl) against a real amphi-control and a real amphi-relay, with
# real ffmpeg publishing through the SDES ingest the API hands out and a real
# ffmpeg viewer decoding it.  Also every cell of the authorisation matrix of
# the live-webinar endpoints, and the 409/410/422/429 answers.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
command -v socat >/dev/null || skip "socat is not installed"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built (issue 3): webinars cannot go live without it"

RELAY_SOCK=$T/relay.sock
spawn relay "$AMPHI_BIN/amphi-relay" --workers 2 --port-base 43000 --control "$RELAY_SOCK" \
	--spool "$T/spool" --config "$AMPHI_TOP/etc/relay.conf"
wait_for 10 test -S "$RELAY_SOCK" || { fail "relay starts"; finish; }

ADMIN_PW='Correct-Horse-42-battery'
export AMPHI_ADMIN_PASSWORD=$ADMIN_PW
ctl_start c1 || { fail "amphi-control starts"; finish; }
DB=$T/c1.db

# treq TOKEN METHOD PATH [BODY]: a Bearer request (no cookie); "" = anonymous.
treq() {
	local tok=$1 m=$2 p=$3 b=${4-}
	local args=(-s -o "$T/out" -w '%{http_code}' -X "$m")
	[ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
	[ -n "$b" ] && args+=(-H 'Content-Type: application/json' --data-binary "$b")
	status=$(curl "${args[@]}" "$URL$p")
}

login admin@localhost "$ADMIN_PW" "$T/admin"
check "admin logs in" is "$status" 200
# organizer NAME EMAIL: created by the admin (through a copy of its jar: two
# run at once), password changed, jar $T/NAME.
organizer() {
	local pw
	cp "$T/admin" "$T/admin-$1"
	req POST /api/accounts "$(jq -nc --arg e "$2" '{email:$e,first_name:"Org",last_name:"Anizer",role:"organizer"}')" "$T/admin-$1"
	pw=$(jqo .initial_password)
	login "$2" "$pw" "$T/$1"
	req POST /api/password "$(jq -nc --arg c "$pw" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/$1"
	[ "$status" = 200 ]
}
# Side by side: the daemon hashes on two threads.
(OUT=$T/out-a organizer a alice@example.org) &
org_a=$!
(OUT=$T/out-b organizer b bob@example.org) &
org_b=$!
check "organizer A is ready" wait "$org_a"
check "organizer B is ready" wait "$org_b"

# --- webinar CRUD, ownership ---------------------------------------------------------
req POST /api/webinars '{"title":"Quarterly results","description":"Q&A at the end","start_time":"2026-12-01T09:30:00Z","visibility":"registration","recording":false,"video_codec":"vp8"}' "$T/a"
check "A creates a webinar (201, scheduled)" is "$status/$(jqo .state)/$(jqo .start_time)" 201/scheduled/2026-12-01T09:30:00Z
check "created_at is today, not the start time" is "$(jqo .created_at | cut -c1-10)" "$(date -u +%F)"
W=$(jqo .id)
req POST /api/webinars '{"title":"","start_time":"soon","visibility":"secret","video_codec":"av1","colour":"red"}' "$T/a"
check "invalid webinar fields are each named (422)" is "$status/$(jqo '[.detail[].field]|sort|join(",")')" \
	422/colour,start_time,title,video_codec,visibility
req GET /api/webinars "" "$T/a"
check "A lists exactly its webinar" is "$status/$(jqo '[.webinars[].id]|join(",")')" "200/$W"
req GET /api/webinars "" "$T/b"
check "B lists none" is "$status/$(jqo '.webinars|length')" 200/0
req GET "/api/webinars/$W" "" "$T/b"
check "B gets 404 for A's webinar" is "$status" 404
req GET /api/webinars/999999 "" "$T/b"
check "... exactly as for a webinar that does not exist" is "$status/$(jqo .error)" 404/not_found
req PATCH "/api/webinars/$W" '{"title":"Q4 results"}' "$T/b"
check "B cannot rename it (404)" is "$status" 404
req PATCH "/api/webinars/$W" '{"title":"Q4 results","video_codec":"h264"}' "$T/a"
check "A renames it and picks H.264" is "$status/$(jqo .title)/$(jqo .video_codec)" "200/Q4 results/h264"
req PATCH "/api/webinars/$W" '{"video_codec":"vp8"}' "$T/a"

# --- registrations ---------------------------------------------------------------------
REG='"first_name":"Zoé","last_name":"Martin","email":"zoe@example.org","job_title":"CTO","organization":"ACME","phone":"+33 1 23 45 67 89"'
treq "" POST "/api/webinars/$W/registrations" "{$REG,\"consent\":false,\"age_15_or_older\":true}"
check "consent false is 422 naming consent" is "$status/$(jqo '[.detail[].field]|join(",")')" 422/consent
treq "" POST "/api/webinars/$W/registrations" "{$REG,\"consent\":true}"
check "no declaration of being 15 or older is 422 naming it" is "$status/$(jqo '[.detail[].field]|join(",")')" 422/age_15_or_older
treq "" POST "/api/webinars/$W/registrations" "{$REG,\"consent\":true,\"age_15_or_older\":false}"
check "... and so is a declaration of being younger" is "$status/$(jqo '.detail[0].error')" \
	"422/must be true: participants must be 15 years old or older and declare it"
treq "" POST "/api/webinars/$W/registrations" "{$REG}"
check "consent missing is 422" is "$status" 422
treq "" POST "/api/webinars/$W/registrations" '{"first_name":"","last_name":"M","email":"nope","job_title":"x","organization":"y","phone":"call me","consent":true,"age_15_or_older":true}'
check "bad fields are each named (422)" is "$status/$(jqo '[.detail[].field]|sort|join(",")')" 422/email,first_name,phone
check "refused registrations stored nothing" is "$(sqlite3 "$DB" 'select count(*) from registrations')" 0
treq "" POST "/api/webinars/$W/registrations" "{$REG,\"consent\":true,\"age_15_or_older\":true}"
check "registration: 202, and no token in the answer" is "$status/$(jqo 'has("token") or has("registration_id")')" 202/false
cp "$T/out" "$T/reg-first"
P1=$(join_token zoe@example.org)
check "... the join token comes by mail to the registrant" is "${#P1}" 43
check "... in a link to the watch page" grep -q "/watch/$W#token=$P1" "$(ls "$T"/outbox/*-join.eml | tail -n 1)"
treq "" POST "/api/webinars/$W/registrations" '{"first_name":"Mallory","last_name":"X","email":"ZOE@example.org","job_title":"Spy","organization":"Evil","consent":true,"age_15_or_older":true}'
check "the same email again: the very answer a new email gets" \
	is "$status/$(jq -cS . "$T/out")" "202/$(jq -cS . "$T/reg-first")"
P1b=$(join_token zoe@example.org)
to_caller=$(grep -lxF "To: <ZOE@example.org>"$'\r' "$T"/outbox/*-join.eml | wc -l)
check "... a fresh token, mailed to the address first registered, never to the caller" \
	is "${#P1b}/$([ "$P1b" != "$P1" ] && echo fresh)/$to_caller" 43/fresh/0
check "... and the stored fields were not overwritten" is "$(sqlite3 "$DB" "select first_name||'|'||count(*) from registrations")" "Zoé|1"
check "tokens are stored hashed, never in clear" is "$(sqlite3 "$DB" "select count(*) from tokens where hex(hash) like '%' || hex('$P1') || '%'")" 0
treq "" POST "/api/webinars/$W/registrations" '{"first_name":"Paul","last_name":"Durand","email":"paul@example.org","job_title":"Dev","organization":"Initech","consent":true,"age_15_or_older":true}'
P2=$(join_token paul@example.org)
treq "" POST "/api/webinars/$W/registrations" '{"first_name":"Mia","last_name":"Roux","email":"mia@example.org","job_title":"PM","organization":"Initech","consent":true,"age_15_or_older":true}'
PM=$(join_token mia@example.org)   # the authorisation matrix's participant
treq "" POST "/api/webinars/$W/join" '{}'
check "a registration-only webinar refuses public joins (403)" is "$status/$(jqo .error)" 403/registration_required

# --- consent: the text shown, its version recorded -----------------------------------------------------
treq "" GET "/api/webinars/$W/consent"
CV=$(jqo .version)
check "the consent text (anyone who may register): 200, its version is its SHA-256" \
	is "$status/$CV" "200/$(jq -j .text "$T/out" | sha256sum | cut -d' ' -f1)"
check "... it says how long each kind of data is kept, from the policy file" \
	sh -c "jq -r .text '$T/out' | grep -q 'Deleted at: end of the webinar' && jq -r .text '$T/out' | grep -q 'Kept 1y from: the connection'"
check "... and asks participants to be 15 or older" is "$(jqo .minimum_age)" 15
LOU='"first_name":"Lou","last_name":"Blanc","email":"lou@example.org","job_title":"QA","organization":"Initech","consent":true,"age_15_or_older":true'
treq "" POST "/api/webinars/$W/registrations" "{$LOU,\"consent_version\":\"$(printf '0%.0s' $(seq 64))\"}"
check "consent to a text that is not the current one: 409 consent_outdated, nothing stored" \
	is "$status/$(jqo .error)/$(sqlite3 "$DB" "select count(*) from registrations where email='lou@example.org'")" 409/consent_outdated/0
treq "" POST "/api/webinars/$W/registrations" "{$LOU,\"consent_version\":\"$CV\"}"
check "consent to the current text: 202" is "$status" 202
check "... the registration records the version, the time and the age declaration" \
	is "$(sqlite3 "$DB" "select consent_version || '|' || (consent_at > 0) || '|' || age_declared from registrations where email='lou@example.org'")" "$CV|1|1"
req GET "/api/webinars/$W/registrations" "" "$T/a"
check "... and the organizer's list shows the version" is "$(jqo '.registrations[] | select(.email == "lou@example.org") | .consent_version')" "$CV"
PL=$(join_token lou@example.org)

req POST "/api/webinars/$W/speakers" '{}' "$T/a"
check "A gets a publish token (201)" is "$status/$(jqo .role)" 201/speaker
S=$(jqo .token) STID=$(jqo .token_id)
treq "$P1" POST "/api/webinars/$W/chat" '{"text":"early"}'
check "no chat before the start (409)" is "$status/$(jqo .error)" 409/not_live
treq "$S" POST "/api/webinars/$W/ingest/srtp" '{}'
check "no ingest before the start (409)" is "$status" 409

# --- start: the relay stream -----------------------------------------------------------------
req POST "/api/webinars/$W/start" '{}' "$T/a"
check "A starts the webinar (live)" is "$status/$(jqo .state)" 200/live
check "the relay has the stream" is "$(relay_ctl '{"cmd":"stream.list"}' | jq -r '[.streams[].id]|join(",")')" "webinar-$W"

# --- SSE: P2 follows, P1 writes ----------------------------------------------------------------
curl -sN -H "Authorization: Bearer $P2" "$URL/api/webinars/$W/events" >"$T/sse" 2>/dev/null &
sse_pid=$!
_pids+=($sse_pid)
check "the event stream opens" wait_for 5 grep -q ': connected' "$T/sse"
treq "$P1" POST "/api/webinars/$W/chat" '{"text":"Bonjour à tous"}'
check "P1 posts a chat message (201) signed First L." is "$status/$(jqo .author)" "201/Zoé M."
check "P2's event stream receives it" wait_for 5 grep -q '^data: {"id":[0-9]*,"author":"Zoé M.","text":"Bonjour à tous"' "$T/sse"
check "the stream counts P2 as a viewer" wait_for 5 grep -q '"viewers":1' "$T/sse"
treq "$P2" GET "/api/webinars/$W/chat"
check "the chat lists the message" is "$status/$(jqo '.messages[-1].text')" "200/Bonjour à tous"

# --- polls: one vote per person --------------------------------------------------------------------
req POST "/api/webinars/$W/polls" '{"question":"Coffee or tea?","options":["coffee","tea"],"results":"closed"}' "$T/a"
check "A creates a poll (201)" is "$status/$(jqo '.options|length')" 201/2
POLL=$(jqo .id)
treq "$P1" POST "/api/webinars/$W/polls/$POLL/votes" '{"option":0}'
check "P1 votes (201)" is "$status" 201
treq "$P1" POST "/api/webinars/$W/polls/$POLL/votes" '{"option":1}'
check "P1 cannot vote twice (409)" is "$status/$(jqo .error)" 409/already_voted
treq "$P1b" POST "/api/webinars/$W/polls/$POLL/votes" '{"option":1}'
check "... nor with the second token of the same registration (409)" is "$status" 409
treq "$P2" POST "/api/webinars/$W/polls/$POLL/votes" '{"option":7}'
check "an option that does not exist is 422" is "$status" 422
treq "$P2" POST "/api/webinars/$W/polls/$POLL/votes" '{"option":0}'
check "P2 votes (201)" is "$status" 201
treq "$P2" GET "/api/webinars/$W/polls"
check "results hidden from participants while open (results: closed)" is "$(jqo '.polls[0].results')/$(jqo '.polls[0].my_vote')" null/0
req GET "/api/webinars/$W/polls" "" "$T/a"
check "the organizer sees the count: each vote counted once" is "$(jqo '.polls[0].results|join(",")')" 2,0
check "poll events reached the stream" wait_for 5 grep -q '^event: poll' "$T/sse"

# --- questions ----------------------------------------------------------------------------------------
treq "$P1" POST "/api/webinars/$W/questions" '{"text":"When is the next release?"}'
check "P1 asks a question (201)" is "$status/$(jqo .upvotes)" 201/0
Q=$(jqo .id)
treq "$P2" POST "/api/webinars/$W/questions/$Q/upvote" '{}'
check "P2 upvotes it" is "$status/$(jqo .upvotes)" 200/1
treq "$P2" POST "/api/webinars/$W/questions/$Q/upvote" '{}'
check "P2 cannot upvote twice (409)" is "$status" 409
req PATCH "/api/webinars/$W/questions/$Q" '{"answered":true}' "$T/a"
check "A marks it answered" is "$status/$(jqo .answered)" 200/true

# --- withdrawal of consent: as easy as giving it ----------------------------------------------------------
treq "$PL" POST "/api/webinars/$W/chat" '{"text":"Lou was here"}'
treq "$PL" POST "/api/webinars/$W/polls/$POLL/votes" '{"option":1}'
treq "$PL" POST "/api/webinars/$W/questions/$Q/upvote" '{}'
check "Lou chats, votes and upvotes" is "$status/$(jqo .upvotes)" 200/2
treq "$PL" DELETE "/api/webinars/$W/registration"
check "Lou withdraws with the join link's token: 200 and a receipt" \
	is "$status/$(jq -c '.deleted' "$T/out")" '200/{"registration":1,"tokens":1,"chat_messages":1,"questions":0,"votes":2,"outbox_mails":1,"relay_sessions":0}'
check "... the join mail left the outbox with it" is "$(grep -lix 'To: <lou@example.org>'$'\r' "$T"/outbox/*.eml | wc -l)" 0
check "... saying what a legal obligation keeps" is "$(jqo '.kept[0].data')" "connection log entries"
check "... the registration is gone from the database" \
	is "$(sqlite3 "$DB" "select count(*) from registrations where email='lou@example.org'")/$(sqlite3 "$DB" "select count(*) from chat_messages where body='Lou was here'")" 0/0
treq "$PL" GET "/api/webinars/$W/chat"
check "... and the link no longer works (401)" is "$status" 401
req GET "/api/webinars/$W/polls" "" "$T/a"
check "... nor do the votes count" is "$(jqo '.polls[0].results|join(",")')" 2,0
treq "$P2" GET "/api/webinars/$W/questions"
check "... the question's upvote went with it" is "$(jqo ".questions[] | select(.id == $Q) | .upvotes")" 1
req DELETE "/api/webinars/$W/registration" "" "$T/a"
check "withdrawal takes a join token: the organizer's session is 403" is "$status" 403
treq "" DELETE "/api/webinars/$W/registration"
check "... and no token at all is 401" is "$status" 401

# --- 422, 429 ------------------------------------------------------------------------------------------
long=$(head -c 1001 /dev/zero | tr '\0' x)
treq "$P2" POST "/api/webinars/$W/chat" "{\"text\":\"$long\"}"
check "a message over 1000 characters is 422" is "$status/$(jqo '.detail[0].field')" 422/text
treq "$P2" POST "/api/webinars/$W/chat" '{"text":"   "}'
check "an empty message is 422" is "$status" 422
treq "$P2" POST "/api/webinars/$W/chat" '{"text": "unclosed'
check "malformed JSON is 400" is "$status" 400
curl -s -o "$T/out" -w '%{http_code}' -H "Authorization: Bearer $P2" -H 'Content-Type: text/plain' \
	--data-binary 'hello' "$URL/api/webinars/$W/chat" >"$T/code"
check "a non-JSON content type is 415" is "$(cat "$T/code")" 415
n_before=$(sqlite3 "$DB" "select count(*) from chat_messages")
# The burst and the retry in one curl (one connection, milliseconds apart):
# one process per message took long enough on a loaded machine for the
# bucket to refill a message.
burst=()
for i in 1 2 3 4 5 6 again; do
	[ ${#burst[@]} = 0 ] || burst+=(--next)
	[ $i = again ] && burst+=(-D "$T/hdr")
	burst+=(-s -o /dev/null -w '%{http_code} ' -H "Authorization: Bearer $P2" -H 'Content-Type: application/json'
		--data-binary "{\"text\":\"message $i\"}" "$URL/api/webinars/$W/chat")
done
codes=$(curl "${burst[@]}")
check "five messages in a burst pass, the sixth is 429" is "${codes% * }" "201 201 201 201 201 429"
check "429 says when to retry (Retry-After)" is "${codes% }/$(grep -ci '^retry-after: [12]' "$T/hdr")" \
	"201 201 201 201 201 429 429/1"
check "refused messages stored nothing" is "$(sqlite3 "$DB" "select count(*) from chat_messages")" $((n_before + 5))
treq "$P1" POST "/api/webinars/$W/chat" '{"text":"others are not limited by P2"}'
check "another participant is not limited by P2's bucket" is "$status" 201

# --- the authorisation matrix -------------------------------------------------------------------------
# cell WHO METHOD PATH BODY EXPECTED: WHO is a jar name (a, b, admin), "P" (PM's
# join token), "S" (publish token) or "anon".
mx_fail=0
cell() {
	local who=$1 m=$2 p=$3 b=$4 want=$5
	case $who in
	P) treq "$PM" "$m" "$p" "$b" ;;
	S) treq "$S" "$m" "$p" "$b" ;;
	anon) treq "" "$m" "$p" "$b" ;;
	*) req "$m" "$p" "$b" "$T/$who" ;;
	esac
	if [ "$status" = "$want" ]; then pass "matrix: $who $m $p -> $want"
	else fail "matrix: $who $m $p -> $status, expected $want"; fi
}
# row METHOD PATH BODY A B ADMIN P S ANON
row() {
	local m=$1 p=$2 b=$3
	cell b "$m" "$p" "$b" "$5"; cell admin "$m" "$p" "$b" "$6"
	cell P "$m" "$p" "$b" "$7"; cell S "$m" "$p" "$b" "$8"; cell anon "$m" "$p" "$b" "$9"
	[ "$4" = - ] || cell a "$m" "$p" "$b" "$4"
}
req POST "/api/webinars/$W/polls" '{"question":"Matrix?","options":["a","b"]}' "$T/a"
MP=$(jqo .id)
req POST "/api/webinars/$W/questions" '{"text":"matrix question"}' "$T/a"
MQ=$(jqo .id)
w=/api/webinars/$W
# The speaker (S, publish token) reads and writes the live interaction like a
# participant, publishes media (ingest), and neither votes in polls nor rates.
#   method path                        body                       A    B    admin P    S    anon
row GET    /api/webinars               ""                         200  200  403   403  403  401
row POST   /api/webinars               '{"title":"t","start_time":"2027-01-01"}' 201 201 403 403 403 401
row GET    "$w"                        ""                         200  404  403   200  200  401
row PATCH  "$w"                        '{"description":"d"}'      200  404  403   403  403  401
row POST   "$w/speakers"               '{}'                       201  404  403   403  403  401
row GET    "$w/tokens"                 ""                         200  404  403   403  403  401
row GET    "$w/registrations"          ""                         200  404  403   403  403  401
row GET    "$w/chat"                   ""                         200  404  403   200  200  401
row POST   "$w/chat"                   '{"text":"matrix"}'        201  404  403   201  201  401
row GET    "$w/questions"              ""                         200  404  403   200  200  401
row POST   "$w/questions"              '{"text":"matrix?"}'       201  404  403   201  201  401
row POST   "$w/questions/$MQ/upvote"   '{}'                       200  404  403   200  200  401
row PATCH  "$w/questions/$MQ"          '{"answered":true}'        200  404  403   403  403  401
row GET    "$w/polls"                  ""                         200  404  403   200  200  401
row POST   "$w/polls"                  '{"question":"q","options":["x","y"]}' 201 404 403 403 403 401
row POST   "$w/polls/$MP/votes"        '{"option":1}'             403  403  403   201  403  401
row GET    "$w/stats"                  ""                         200  404  403   403  403  401
row POST   "$w/rating"                 '{"rating":4}'             403  403  403   204  403  401
row POST   "$w/ingest/srtp"            '{}'                       403  403  403   403  200  401
row POST   "$w/start"                  '{}'                       409  404  403   403  403  401
row POST   "$w/polls/$MP/close"        '{}'                       200  404  403   403  403  401
row POST   "$w/end"                    '{}'                       -    404  403   403  403  401
row DELETE "$w"                        ""                         409  404  403   403  403  401
for who in a b admin P S anon; do
	code=$(case $who in
		P) curl -s -o /dev/null -m 1 -w '%{http_code}' -H "Authorization: Bearer $PM" "$URL$w/events" ;;
		S) curl -s -o /dev/null -m 1 -w '%{http_code}' -H "Authorization: Bearer $S" "$URL$w/events" ;;
		anon) curl -s -o /dev/null -m 1 -w '%{http_code}' "$URL$w/events" ;;
		*) curl -s -o /dev/null -m 1 -w '%{http_code}' -b "$T/$who" "$URL$w/events" ;;
	esac)
	want=$(case $who in a|P|S) echo 200 ;; b) echo 404 ;; admin) echo 403 ;; anon) echo 401 ;; esac)
	check "matrix: $who GET $w/events -> $want ($code)" is "$code" "$want"
done
req POST "$w/speakers" '{}' "$T/a"
S2=$(jqo .token) S2ID=$(jqo .token_id)
row DELETE "$w/tokens/$S2ID"           ""                         204  404  403   403  403  401
treq "$S2" POST "$w/ingest/srtp" '{}'
check "a revoked publish token is dead (401)" is "$status" 401
req DELETE "$w/tokens/$S2ID" "" "$T/a"
check "revoking it again is 409" is "$status" 409
req GET "$w/tokens" "" "$T/a"
check "the token list shows it revoked, and never a secret" \
	is "$(jqo "[.tokens[] | select(.id == $S2ID) | .valid] | join(\",\")")/$(jqo '[.tokens[] | has("token") or has("hash")] | any')" false/false
for who in a b admin P S anon; do
	cell "$who" POST "/api/webinars/$W/registrations" \
		"$(jq -nc --arg e "matrix-$who@example.org" '{first_name:"M",last_name:"X",email:$e,job_title:"j",organization:"o",consent:true,age_15_or_older:true}')" 202
done
req POST /api/webinars '{"title":"Open day","start_time":"2026-12-02T10:00:00Z","visibility":"public"}' "$T/a"
PUB=$(jqo .id)
treq "" POST "/api/webinars/$PUB/join" '{}'
check "anyone joins a public webinar without giving any data (201)" is "$status/$(jqo .registration_id)" 201/null
treq "" POST "/api/webinars/$PUB/join" '{"email":"x@example.org"}'
check "... and a public join takes no personal data (422)" is "$status" 422

# --- SDES ingest: ffmpeg publishes what the API returns, an ffmpeg viewer decodes ----------------
treq "$S" POST "/api/webinars/$W/ingest/srtp" '{}'
check "the speaker gets the SDES ingest" is "$status/$(jqo .suite)/$(jqo '.tracks|length')" 200/AES_CM_128_HMAC_SHA1_80/2
check "the key is 30 bytes of base64" is "$(jqo .key | base64 -d | wc -c)" 30
FF=$(jqo .ffmpeg)
VPORT=$(jqo '.tracks[1].port')
check "the ffmpeg line targets the relay's ingest port" grep -q "srtp://127.0.0.1:$VPORT?rtcpport=$VPORT" <<<"$FF"
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i testsrc2=size=320x240:rate=25 \
	-f lavfi -i sine=frequency=440:sample_rate=48000 -t 8 -c:v mjpeg -q:v 5 -c:a pcm_s16le \
	"$T/talk.mkv" >"$T/make-input.log" 2>&1
pub="${FF/ffmpeg /ffmpeg -hide_banner -nostdin -loglevel warning }"
pub="${pub/INPUT/$T/talk.mkv}"
frames() { if [ -f "$1" ]; then grep -vc '^#' "$1"; else echo 0; fi; }
# view_once N: an SDES viewer added on the relay socket (the operator's way;
# the API has no SDES viewer endpoint), an ffmpeg receiver on its SDP, then the
# API's own ffmpeg line as the publisher.  Sets vf, af, pub_rc; logs in $T/*N*.
view_once() {
	local n=$1 a=$((51000 + 10 * $1)) v=$((51002 + 10 * $1)) vkey resp
	vkey=$(head -c 30 /dev/urandom | base64 -w0)
	resp=$(relay_ctl "{\"cmd\":\"viewer.add\",\"stream\":\"webinar-$W\",\"id\":\"ffviewer$n\",\"suite\":\"AES_CM_128_HMAC_SHA1_80\",
	  \"key\":\"$vkey\",\"addrs\":{\"audio\":\"127.0.0.1:$a\",\"video\":\"127.0.0.1:$v\"}}" | tr -d '\n')
	check "an SDES viewer joins the webinar's relay stream ($n)" is "$(jq -r .ok <<<"$resp")" true
	cat >"$T/view$n.sdp" <<SDP
v=0
o=- 0 0 IN IP4 127.0.0.1
s=amphi viewer
c=IN IP4 127.0.0.1
t=0 0
m=audio $a RTP/SAVP 111
a=rtpmap:111 opus/48000/2
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:$vkey
m=video $v RTP/SAVP 96
a=rtpmap:96 VP8/90000
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:$vkey
SDP
	# -flush_packets 1: after SIGINT ffmpeg aborts its pending output writes, so
	# only lines already flushed survive (see relay_ffmpeg.sh).
	timeout -s INT 40 ffmpeg -hide_banner -nostdin -loglevel verbose -protocol_whitelist file,udp,rtp,srtp \
		-analyzeduration 4M -probesize 4M -i "$T/view$n.sdp" \
		-map 0:v? -flush_packets 1 -f framecrc "$T/video$n.crc" -map 0:a? -flush_packets 1 -f framecrc "$T/audio$n.crc" >"$T/viewer$n.log" 2>&1 &
	local viewer=$!
	# The viewer must be listening before the first (key)frame is sent.
	wait_for 15 bash -c "ss -Huln | grep -q ':$v '"
	sleep 0.5
	timeout 40 bash -c "$pub" >"$T/publisher$n.log" 2>&1
	pub_rc=$?
	sleep 1
	kill -INT "$viewer" 2>/dev/null
	wait "$viewer" 2>/dev/null
	vf=$(frames "$T/video$n.crc") af=$(frames "$T/audio$n.crc")
	echo "viewer $n decoded $vf video frames, $af audio frames"
	relay_ctl '{"cmd":"stats"}' | jq -c '.streams[0]'
}
view_once 1
check "the API's ffmpeg command line runs to its end" test "$pub_rc" = 0
check "the ffmpeg viewer decodes the published video ($vf frames)" test "$vf" -ge 100
check "... and its audio ($af frames)" test "$af" -ge 100
check "... with no SRTP or decode error" bash -c "! cat '$T'/viewer*.log | grep -Ei 'error|mismatch|corrupt' | grep -v 'Immediate exit'"

# An H.264 webinar gets the H.264 line (libx264, payload type 102).
req POST /api/webinars '{"title":"H.264 day","start_time":"2026-12-04T10:00:00Z","video_codec":"h264","recording":true}' "$T/a"
W5=$(jqo .id)
req POST "/api/webinars/$W5/start" '{}' "$T/a"
req POST "/api/webinars/$W5/speakers" '{}' "$T/a"
treq "$(jqo .token)" POST "/api/webinars/$W5/ingest/srtp" '{}'
check "an H.264 webinar's ingest names H.264 on payload type 102" is "$status/$(jqo '.tracks[1].codec')/$(jqo '.tracks[1].payload_type')" 200/H264/102
check "... and its ffmpeg line encodes with libx264" grep -q -- '-c:v libx264 .*-payload_type 102 ' "$T/out"
check "... the relay stream has the H.264 track" \
	is "$(relay_ctl '{"cmd":"stream.list"}' | jq -r ".streams[] | select(.id == \"webinar-$W5\") | .tracks[1].codec")" H264
check "... recorded: the relay journals it" \
	is "$(relay_ctl '{"cmd":"stream.list"}' | jq -r ".streams[] | select(.id == \"webinar-$W5\") | .record")" true
req POST "/api/webinars/$W5/end" '{}' "$T/a"
check "the end closes the journal into the spool for the recording store" \
	wait_for 5 bash -c "ls '$T'/spool/ready/webinar-$W5-*.amj"

# Closing a "results: closed" poll shows its results to everyone.
treq "$P2" GET "/api/webinars/$W/polls"
check "before the close participants see no results" is "$(jqo ".polls[] | select(.id == $POLL) | .results")" null
req POST "/api/webinars/$W/polls/$POLL/close" '{}' "$T/a"
treq "$P2" GET "/api/webinars/$W/polls"
check "after the close they do: each vote counted once" is "$(jqo ".polls[] | select(.id == $POLL) | .results | join(\",\")")" 2,0
treq "$P2" POST "/api/webinars/$W/polls/$POLL/votes" '{"option":1}'
check "a closed poll takes no vote (409)" is "$status/$(jqo .error)" 409/poll_closed

# --- statistics and rating ----------------------------------------------------------------------------
treq "$P1" POST "/api/webinars/$W/rating" '{"rating":5}'
check "P1 rates 5 (204)" is "$status" 204
treq "$P1" POST "/api/webinars/$W/rating" '{"rating":1}'
check "a token rates once (409)" is "$status" 409
treq "$P2" POST "/api/webinars/$W/rating" '{"rating":9}'
check "a rating out of 1..5 is 422" is "$status" 422
req GET "/api/webinars/$W/stats" "" "$T/a"
# (Lou's vote stays counted: the counters are anonymous, no one's to withdraw)
check "stats count messages, questions and votes" is "$status/$(jqo '.messages >= 8 and .questions >= 2 and .votes == 4')" 200/true
check "stats count the viewer: current 1, peak >= 1, unique joins >= 1" \
	is "$(jqo '.current_viewers == 1 and .peak_viewers >= 1 and .unique_joins >= 1')" true
check "ratings are a histogram: 5 -> 1, 4 -> 1" is "$(jqo '.ratings["5"]')/$(jqo '.ratings["4"]')/$(jqo .rating_count)" 1/1/2
check "the rating table holds counts, never a token or a person" \
	is "$(sqlite3 "$DB" "select group_concat(name) from pragma_table_info('rating_counts')")" webinar_id,score,count

# --- end: tokens die, interaction and phone numbers go --------------------------------------------------
check "before the end: chat, questions, polls and a phone are stored" \
	test "$(sqlite3 "$DB" "select (select count(*) from chat_messages)>0 and (select count(*) from questions)>0 and (select count(*) from poll_votes)>0 and (select count(*) from registrations where phone is not null)=1")" = 1
req POST "/api/webinars/$W/end" '{}' "$T/a"
check "A ends the webinar" is "$status/$(jqo .state)" 200/ended
check "the event stream closes with the webinar" wait_for 5 bash -c "! kill -0 $sse_pid 2>/dev/null"
check "the stream announced the end" grep -q '"state":"ended"' "$T/sse"
check "the relay stream is gone" is "$(relay_ctl '{"cmd":"stream.list"}' | jq -r '.streams|length')" 0
check "chat, questions, upvotes, polls and votes are deleted" is "$(sqlite3 "$DB" \
	"select (select count(*) from chat_messages)+(select count(*) from questions)+(select count(*) from question_votes)+(select count(*) from polls where webinar_id=$W)+(select count(*) from poll_votes)")" 0
check "participants' phone numbers are deleted" is "$(sqlite3 "$DB" "select count(*) from registrations where phone is not null")" 0
check "the anonymous statistics stay" is "$(sqlite3 "$DB" "select messages >= 8 from webinar_stats where webinar_id=$W")" 1
treq "$S" POST "/api/webinars/$W/ingest/srtp" '{}'
check "the publish token is dead (401)" is "$status" 401
treq "$P2" POST "/api/webinars/$W/chat" '{"text":"still there?"}'
check "a join token can no longer chat (410)" is "$status" 410
treq "$P2" GET "/api/webinars/$W/events"
check "nor follow events (410)" is "$status" 410
treq "$P2" POST "/api/webinars/$W/rating" '{"rating":3}'
check "but may still rate within the grace period" is "$status" 204
req POST "/api/webinars/$W/end" '{}' "$T/a"
check "ending twice is 409" is "$status" 409
req GET /api/audit "" "$T/admin"
check "the audit log has every organizer action" is "$(jqo '[.entries[]?.action // .audit[]?.action] | map(select(test("^(webinar|token|poll|question)\\."))) | unique | join(",")')" \
	"poll.close,poll.create,question.answered,token.issue,token.revoke,webinar.create,webinar.end,webinar.start,webinar.update"

# A webinar live across the restart below.
req POST /api/webinars '{"title":"Long talk","start_time":"2026-12-05T10:00:00Z"}' "$T/a"
W6=$(jqo .id)
req POST "/api/webinars/$W6/start" '{}' "$T/a"
req POST "/api/webinars/$W6/speakers" '{}' "$T/a"
S6=$(jqo .token)
treq "$S6" POST "/api/webinars/$W6/ingest/srtp" '{}'
K6=$(jqo .key)

# Ten minutes later (restart with a shifted clock) the join tokens are dead too.
kill -TERM "$c1_pid"; wait "$c1_pid" 2>/dev/null
check "amphi-control exits on SIGTERM" grep -q ' stopped' "$T/c1.log"
spawn c2 env AMPHI_TIME_OFFSET=700 "$AMPHI_BIN/amphi-control" --listen 127.0.0.1:0 --db "$DB" \
	--relay "$RELAY_SOCK" --recstore "$T/recstore.sock" --web "$AMPHI_TOP/control/web" \
	--outbox "$T/outbox" --retention "$AMPHI_TOP/etc/retention.conf"
if wait_for 30 grep -q ' listening ' "$T/c2.log"; then
	PORT=$(sed -n 's/.* listening .*port=\([0-9]*\).*/\1/p' "$T/c2.log")
	URL=http://127.0.0.1:$PORT
	pass "amphi-control restarts ten minutes later (AMPHI_TIME_OFFSET=700)"
else
	cat "$T/c2.log"
	fail "amphi-control restarts ten minutes later"
fi
treq "$P2" POST "/api/webinars/$W/rating" '{"rating":3}'
check "after the grace period the join token is dead (401)" is "$status" 401
treq "$S6" POST "/api/webinars/$W6/ingest/srtp" '{}'
check "a webinar live across a restart gets its stream back with a new key" \
	is "$status/$([ "$(jqo .key)" != "$K6" ] && echo new)" 200/new
check "... replacing the old stream on the relay, not adding one" \
	is "$(relay_ctl '{"cmd":"stream.list"}' | jq -r "[.streams[] | select(.id == \"webinar-$W6\")] | length")" 1
req DELETE "/api/webinars/$W" "" "$T/a"
check "A deletes the ended webinar (204)" is "$status" 204
req GET "/api/webinars/$W" "" "$T/a"
check "it is gone (404)" is "$status" 404
check "its registrations went with it" is "$(sqlite3 "$DB" "select count(*) from registrations where webinar_id=$W")" 0

# --- a relay that is down: a clear 503 at once, and nothing changes ------------------------------
kill -TERM "$relay_pid"; wait "$relay_pid" 2>/dev/null
req POST /api/webinars '{"title":"No relay","start_time":"2026-12-03T10:00:00Z"}' "$T/a"
W4=$(jqo .id)
t0=$(date +%s%N)
req POST "/api/webinars/$W4/start" '{}' "$T/a"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "start with the relay down is 503 with the reason (${ms} ms)" is "$status/$(jqo .error)" 503/relay_unavailable
check "... saying what is wrong" grep -q 'relay unavailable: cannot connect' "$T/out"
check "... without hanging (under 3 s)" test "$ms" -lt 3000
req GET "/api/webinars/$W4" "" "$T/a"
check "... and the webinar is still scheduled" is "$(jqo .state)" scheduled
finish
