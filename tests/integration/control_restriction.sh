#!/usr/bin/env bash
# control_restriction: the right to restriction (GDPR art. 18) with the real
# relay behind amphi-control.  A participant freezes every registration of
# its address with its join link: its SDES viewer is cut on the relay at
# once, its link is 403 restricted for chat, events and viewing but still
# reaches its own rights, registering again mails nothing, the organizer's
# list hides its identity; the admin lifts it and all works again.  An
# administrator freezes an organizer for a request received by mail
# (amphictl): its session ends, a login with the right password is 403
# restricted, a reset request mails nothing, the account list marks it; the
# lift restores the login.  An organizer freezes itself.  Every cell of the
# new routes' authorisation.  Nothing restricted is deleted by the retention
# rules: a webinar's end keeps a frozen registration's identity, and restarts
# 400 and 431 days on warn and delete an unused organizer but not a frozen one.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
for c in jq curl sqlite3 socat column; do command -v $c >/dev/null || skip "$c is not installed"; done
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is needed"

relay_start 44700 || { fail "relay starts"; finish; }
ADMIN='Sentinel-Harbor-99!x'
AMPHI_ADMIN_PASSWORD=$ADMIN ctl_start c1 || { fail "amphi-control starts"; finish; }
DB=$T/c1.db
PW=Purple-Lantern-77-river
export AMPHI_URL=$URL AMPHICTL_COOKIES=$T/admin
ctl() { "$AMPHI_TOP/tools/amphictl" "$@"; }
login admin@localhost "$ADMIN" "$T/admin"
req POST /api/accounts '{"email":"o@example.org","first_name":"Olga","last_name":"Zed"}' "$T/admin"
OID=$(jqo .id)
pw=$(jqo .initial_password)
login o@example.org "$pw" "$T/o"
req POST /api/password "$(jq -nc --arg c "$pw" --arg n "$PW" '{current_password:$c,new_password:$n}')" "$T/o"
check "setup: organizer o" is "$status" 200

req POST /api/accounts '{"email":"p@example.org","first_name":"Pat","last_name":"Ode"}' "$T/admin"
check "setup: organizer p, never used (the inactivity rule's control)" is "$status" 201

req POST /api/webinars '{"title":"Live","start_time":"2026-12-01T10:00:00Z"}' "$T/o"
W=$(jqo .id)
req POST /api/webinars '{"title":"Later","start_time":"2030-01-01T10:00:00Z"}' "$T/o"
W2=$(jqo .id)
regbody() { jq -nc --arg e "$1" '{first_name:"Rae",last_name:"Quill",email:$e,job_title:"Dev",organization:"ACME",consent:true,age_15_or_older:true}'; }
req POST "/api/webinars/$W/registrations" "$(regbody rae@example.org)" "$T/anon"
RAE=$(join_token rae@example.org)
req POST "/api/webinars/$W2/registrations" "$(regbody rae@example.org)" "$T/anon"
req POST "/api/webinars/$W/registrations" "$(regbody max@example.org)" "$T/anon"
MAX=$(join_token max@example.org)
req POST "/api/webinars/$W2/registrations" "$(regbody zed@example.org)" "$T/anon"
ZED=$(join_token zed@example.org)
req POST "/api/webinars/$W/speakers" '{}' "$T/o"
SPEAKER=$(jqo .token)
req POST "/api/webinars/$W/start" '{}' "$T/o"
check "setup: the webinar is live" is "$status" 200
treq() {   # treq TOKEN METHOD PATH [BODY]
	local args=(-s -o "$T/out" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1")
	[ -n "${4-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	status=$(curl -m 5 "${args[@]}" "$URL$3")
}
viewers() { relay_ctl '{"cmd":"stream.list"}' | jq -r ".streams[] | select(.id == \"webinar-$W\") | .viewers"; }
mails_to() { grep -lix "To: <$1>"$'\r' "$T"/outbox/*.eml 2>/dev/null | wc -l; }

# --- a participant freezes its registrations --------------------------------------------------------
treq "$RAE" POST "/api/webinars/$W/viewers/srtp" '{"audio_port":47100,"video_port":47102}'
check "setup: Rae watches as an SDES viewer" is "$status/$(viewers)" 201/1
treq "$RAE" POST /api/me/restriction
got_viewers=$(viewers)
check "Rae restricts herself with her join link: 200, both registrations" \
	is "$status/$(jqo '.restricted.registrations | length')/$(jqo .restricted.account_id)" 200/2/null
REG_W=$(sqlite3 "$DB" "select id from registrations where email = 'rae@example.org' and webinar_id = $W")
REG_W2=$(sqlite3 "$DB" "select id from registrations where email = 'rae@example.org' and webinar_id = $W2")
check "... her viewer was cut on the relay at once" is "$got_viewers" 0
check "... her rows are kept, frozen" \
	is "$(sqlite3 "$DB" "select count(*) from registrations where email = 'rae@example.org' and restricted_at is not null")" 2
treq "$RAE" POST "/api/webinars/$W/chat" '{"text":"hello"}'
check "... her link cannot chat: 403 restricted" is "$status/$(jqo .error)" 403/restricted
treq "$RAE" GET "/api/webinars/$W/events"
check "... nor follow the events: 403 restricted" is "$status/$(jqo .error)" 403/restricted
treq "$RAE" POST "/api/webinars/$W/viewers/srtp" '{"audio_port":47100,"video_port":47102}'
check "... nor join as a viewer: 403 restricted" is "$status/$(jqo .error)/$(viewers)" 403/restricted/0
treq "$RAE" GET /api/me
check "... but still reaches her own rights (GET /api/me)" is "$status/$(jqo .email)" 200/rae@example.org
treq "$MAX" POST "/api/webinars/$W/chat" '{"text":"hello"}'
check "another participant is not frozen" is "$status" 201
n=$(mails_to rae@example.org)
req POST "/api/webinars/$W/registrations" "$(regbody rae@example.org)" "$T/anon"
check "registering again answers as always (202) but mails nothing" is "$status/$(mails_to rae@example.org)" "202/$n"
req GET "/api/webinars/$W/registrations" "" "$T/o"
check "the organizer's list shows her id only, marked restricted" \
	is "$(jqo ".registrations[] | select(.id == $REG_W) | [.restricted, has(\"email\"), has(\"first_name\")] | map(tostring) | join(\",\")")" true,false,false
check "... and the others in full" is "$(jqo '.registrations[] | select(.email == "max@example.org") | .first_name')" Rae
ctl privacy restrictions >"$T/list"
check "amphictl privacy restrictions lists both registrations" is "$(grep -c '^registration .*rae@example.org' "$T/list")" 2
req GET /api/audit "" "$T/admin"
check "each restriction is audited by id, without the person" \
	is "$(jqo '[.entries[] | select(.action == "registration.restrict")] | length')/$(sqlite3 "$DB" "select count(*) from audit where detail like '%rae%' or detail like '%Quill%'")" 2/0
ctl privacy lift registration "$REG_W" >/dev/null
check "the admin lifts one (amphictl privacy lift registration)" is "$?" 0
treq "$RAE" POST "/api/webinars/$W/chat" '{"text":"back"}'
check "... her link chats again" is "$status" 201
treq "$RAE" POST "/api/webinars/$W/viewers/srtp" '{"audio_port":47100,"video_port":47102}'
check "... and joins again" is "$status/$(viewers)" 201/1
req GET "/api/webinars/$W/registrations" "" "$T/o"
check "... the organizer sees her again" is "$(jqo ".registrations[] | select(.id == $REG_W) | .email")" rae@example.org
check "... the other registration stays frozen" \
	is "$(sqlite3 "$DB" "select restricted_at is not null from registrations where id = $REG_W2")" 1
ctl privacy lift registration "$REG_W" 2>/dev/null
check "lifting what is not restricted: exit 1 (404)" is "$?" 1
treq "$ZED" POST /api/me/restriction
treq "$ZED" DELETE /api/me
check "a frozen registration's link still erases it (DELETE /api/me)" \
	is "$status/$(jqo '.deleted["amphi-control"].registrations')/$(sqlite3 "$DB" "select count(*) from registrations where email = 'zed@example.org'")" 200/1/0

# --- an administrator freezes an organizer (a request by mail) ------------------------------------
ctl privacy restrict O@example.org >"$T/r"
check "amphictl privacy restrict: the account and no registration" \
	is "$?/$(grep -c "account $OID, registrations -" "$T/r")" 0/1
req GET /api/webinars "" "$T/o"
check "... its session ended (401)" is "$status" 401
login o@example.org "$PW" "$T/o2"
check "... a login with the right password: 403 restricted" is "$status/$(jqo .error)" 403/restricted
login o@example.org "wrong-password-123" "$T/o2"
check "... a wrong one says nothing more (401)" is "$status" 401
n=$(mails_to o@example.org)
req POST /api/password/reset-request '{"email":"o@example.org"}' "$T/anon"
check "... a reset request answers 202 and mails nothing" is "$status/$(mails_to o@example.org)" "202/$n"
req GET /api/accounts "" "$T/admin"
check "... the admin's account list marks it" \
	is "$(jqo ".accounts[] | select(.id == $OID) | .restricted")/$(jqo '.accounts[] | select(.email == "admin@localhost") | .restricted')" true/false
check "... the account and its webinars are kept" \
	is "$(sqlite3 "$DB" "select count(*) from webinars where organizer_id = $OID")" 2
ctl privacy lift account "$OID" >/dev/null
login o@example.org "$PW" "$T/o"
check "the admin lifts it: the organizer logs in again" is "$status" 200
req GET /api/audit "" "$T/admin"
check "restriction and lift audited" \
	is "$(jqo '[.entries[] | select(.target_id == '"$OID"' and (.action == "account.restrict" or .action == "account.unrestrict")) | .action] | sort | join(",")')" \
	account.restrict,account.unrestrict

# --- an organizer freezes itself -----------------------------------------------------------------
req POST /api/me/restriction "" "$T/o"
check "o restricts itself: 200, its account" is "$status/$(jqo .restricted.account_id)" "200/$OID"
req GET /api/webinars "" "$T/o"
check "... its cookie is dead" is "$status" 401
login o@example.org "$PW" "$T/o"
check "... and it cannot log in (403 restricted)" is "$status/$(jqo .error)" 403/restricted
ctl privacy lift account "$OID" >/dev/null
login o@example.org "$PW" "$T/o"
check "... until the admin lifts it" is "$status" 200

# --- who may --------------------------------------------------------------------------------------
as() {   # as WHO METHOD PATH [BODY]: prints the status
	local args=(-s -o /dev/null -w '%{http_code}' -X "$2" -H "Origin: $URL")
	case $1 in
	o|admin) args+=(-b "$T/$1") ;;
	participant) args+=(-H "Authorization: Bearer $MAX") ;;
	speaker) args+=(-H "Authorization: Bearer $SPEAKER") ;;
	esac
	[ -n "${4-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
	curl "${args[@]}" "$URL$3"
}
cells() {   # cells METHOD PATH BODY O ADMIN PARTICIPANT SPEAKER ANON
	local m=$1 p=$2 b=$3 who want
	shift 3
	for who in o admin participant speaker anon; do
		want=$1
		shift
		check "matrix: $who $m $p -> $want" is "$(as $who "$m" "$p" "$b")" "$want"
	done
}
cells GET /api/restrictions "" 403 200 403 403 401
cells POST /api/restrictions '{"email":"nobody@example.org"}' 403 404 403 403 401
cells DELETE "/api/accounts/$OID/restriction" "" 403 404 403 403 401
cells DELETE "/api/registrations/$REG_W2/restriction" "" 403 200 403 403 401
req POST /api/restrictions '{"email":"nobody@example.org"}' "$T/admin"
check "... the admin's 404s say why: no one has the address" is "$(jqo .detail)" "no account and no registration has this address"
req DELETE "/api/accounts/$OID/restriction" "" "$T/admin"
check "... nothing to lift" is "$(jqo .detail)" "no restricted account of this id"
check "matrix: speaker POST /api/me/restriction -> 403" is "$(as speaker POST /api/me/restriction)" 403
check "matrix: anon POST /api/me/restriction -> 401" is "$(as anon POST /api/me/restriction)" 401
check "matrix: the last admin POST /api/me/restriction -> 409" is "$(as admin POST /api/me/restriction)" 409
check "matrix: admin POST /api/restrictions for itself -> 409" \
	is "$(as admin POST /api/restrictions '{"email":"admin@localhost"}')" 409
check "matrix: participant POST /api/me/restriction -> 200 (tested last: it freezes Max)" \
	is "$(as participant POST /api/me/restriction)" 200

# --- no retention deletion while restricted ---------------------------------------------------------
req POST "/api/webinars/$W/end" '{}' "$T/o"
check "the webinar ends: Rae's identity goes, Max's (restricted) stays" \
	is "$status/$(sqlite3 "$DB" "select count(*) from registrations where id = $REG_W and email is null")/$(sqlite3 "$DB" "select count(*) from registrations where webinar_id = $W and email = 'max@example.org'")" 200/1/1
ctl privacy restrict o@example.org >/dev/null
kill -TERM "$c1_pid"; wait "$c1_pid" 2>/dev/null
# 400 days on: both organizers are past [account_inactive]'s warning; the
# deletion waits warn_before (30 days) after the mail, so 431 days on.
for days in 400 431; do
	AMPHI_TIME_OFFSET=$((days * 86400)) ctl_start "c$days" --db "$DB" || fail "amphi-control restarts $days days on"
	eval "kill -TERM \$c${days}_pid; wait \$c${days}_pid 2>/dev/null"
	[ $days = 400 ] && check "400 days on: p is warned by mail, o (restricted) is not" \
		is "$(grep -l 'To: <p@example.org>' "$T"/outbox/*-inactive.eml 2>/dev/null | wc -l)/$(grep -l 'To: <o@example.org>' "$T"/outbox/*-inactive.eml 2>/dev/null | wc -l)" 1/0
done
check "431 days on: p is deleted for inactivity, o (restricted) is kept" \
	is "$(sqlite3 "$DB" "select count(*) from accounts where email = 'p@example.org'")/$(sqlite3 "$DB" "select count(*) from accounts where email = 'o@example.org' and restricted_at is not null")" 0/1
check "... and so is Max's restricted registration" \
	is "$(sqlite3 "$DB" "select count(*) from registrations where email = 'max@example.org' and restricted_at is not null")" 1
finish
