#!/usr/bin/env bash
# control_me_export: the rights of access and rectification (GDPR art. 15, 16,
# 20) over real HTTP (curl) against a real amphi-control and SQLite: who a
# request is about (GET /api/me: an organizer by the session cookie, a
# participant by the join token mailed to the registration), and what names
# nobody (anonymous, revoked, expired, withdrawn, a public join's or a
# speaker's token).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
for c in jq curl sqlite3; do command -v $c >/dev/null || skip "$c is not installed"; done

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
treq "$ZOE" GET /api/me
RZ=$(sqlite3 "$DB" "SELECT id FROM registrations WHERE webinar_id = $W1 AND email = 'zoe@example.org'")
check "a join token: the registration's email" \
	is "$status/$(jqo '[.kind,.email,.registration_id,.webinar_id]|join(",")')" "200/participant,zoe@example.org,$RZ,$W1"
req GET /api/me "" "$T/admin"
check "an administrator's cookie: the account" is "$status/$(jqo '[.kind,.email]|join(",")')" "200/account,admin@localhost"
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

# A revoked token, and the token of a withdrawn registration, name nobody any more.
req GET "/api/webinars/$W2/tokens" "" "$T/o"
TZ2=$(jqo '.tokens[] | select(.registration_id != null) | .id')
req DELETE "/api/webinars/$W2/tokens/$TZ2" "" "$T/o"
treq "$ZOE2" GET /api/me
check "a revoked join token: 401" is "$status/$(jqo .error)" 401/unauthenticated
MAX_W2=$(register "$W2" Maxence Durand max@example.org)
treq "$MAX_W2" DELETE "/api/webinars/$W2/registration"
treq "$MAX_W2" GET /api/me
check "the token of a withdrawn registration: 401" is "$status/$(jqo .error)" 401/unauthenticated

# An expired token: join tokens die TOKENS_MAX_S (2 days) after the start.
clock_ahead $((3 * 86400))
treq "$MAX" GET /api/me
check "an expired join token: 401" is "$status/$(jqo .error)" 401/unauthenticated
finish
