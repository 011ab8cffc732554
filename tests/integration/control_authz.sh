#!/usr/bin/env bash
# The authorisation matrix of control-core's endpoints: every cell of
# (admin, organizer, organizer who must still change the initial password,
# speaker token, participant token, anonymous) x (accounts, audit, session,
# password, logout, health, metrics, privacy register and requests) is asserted, status and error code.
# Tokens come from the real webinar endpoints of control-live.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"

ADMIN='Sentinel-Harbor-99!x'
# The matrix asks for a reset of one address once per principal: more than the
# 3 reset requests per email allow (docs/control.md "Login limits").
printf '[auth]\nreset_burst = 20\nsource_burst = 200\n' >"$T/c1.conf"
AMPHI_ADMIN_PASSWORD=$ADMIN ctl_start c1 --config "$T/c1.conf" || { fail "amphi-control starts"; finish; }
login admin@localhost "$ADMIN" "$T/admin"
# The two accounts are set up side by side (the daemon hashes on two threads).
setup_org() {
	req POST /api/accounts '{"email":"org@example.org","first_name":"Olga","last_name":"Petrova"}' "$T/admin-org"
	jqo .id >"$T/org.id"
	local pw
	pw=$(jqo .initial_password)
	login org@example.org "$pw" "$T/org"
	req POST /api/password "$(jq -nc --arg c "$pw" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/org"
	[ "$status" = 200 ]
}
setup_fresh() {
	req POST /api/accounts '{"email":"fresh@example.org","first_name":"Fred","last_name":"Fresh"}' "$T/admin-fresh"
	login fresh@example.org "$(jqo .initial_password)" "$T/fresh"
	[ "$status" = 200 ]
}
cp "$T/admin" "$T/admin-org"
cp "$T/admin" "$T/admin-fresh"
(OUT=$T/out-org setup_org) &
so=$!
(OUT=$T/out-fresh setup_fresh) &
sf=$!
wait "$so"; so=$?
wait "$sf"; sf=$?
check "setup: accounts ready" is "$so/$sf" 0/0
OID=$(cat "$T/org.id")

# Tokens through control-live's endpoints (a registration-only webinar).
req POST /api/webinars '{"title":"Matrix","start_time":"2030-01-01T10:00:00Z"}' "$T/org"
WID=$(jqo .id)
req POST "/api/webinars/$WID/speakers" "" "$T/org"
SPEAKER=$(jqo .token)
req POST "/api/webinars/$WID/registrations" '{"first_name":"Pia","last_name":"Part","email":"pia@example.org","job_title":"Dev","organization":"ACME","consent":true,"age_15_or_older":true}' "$T/anon"
PARTICIPANT=$(join_token pia@example.org)
check "setup: speaker and participant tokens" test ${#SPEAKER} = 43 -a ${#PARTICIPANT} = 43

# as WHO METHOD PATH [BODY]: prints "status" or "status:error".
as() {
	local who=$1 m=$2 p=$3 b=${4-} args=(-s -o "$T/cell" -w '%{http_code}' -X "$2" -H "Origin: $URL")
	case $who in
	admin|org|fresh) args+=(-b "$T/$who") ;;
	speaker) args+=(-H "Authorization: Bearer $SPEAKER") ;;
	participant) args+=(-H "Authorization: Bearer $PARTICIPANT") ;;
	esac
	[ -n "$b" ] && args+=(-H 'Content-Type: application/json' --data-binary "$b")
	local st
	st=$(curl "${args[@]}" "$URL$p")
	if [ "$st" -ge 400 ]; then echo "$st:$(jq -r .error "$T/cell" 2>/dev/null)"; else echo "$st"; fi
}

# row "METHOD PATH" BODY admin org fresh speaker participant anon
row() {
	local mp=$1 body=$2 who exp got i=0
	shift 2
	for who in admin org fresh speaker participant anon; do
		exp=$1
		shift
		got=$(as "$who" ${mp% *} "${mp#* }" "${body//@N@/$RANDOM$i}")
		i=$((i + 1))
		check "$mp as $who: $exp" is "$got" "$exp"
	done
}

MC=403:must_change_password F=403:forbidden U=401:unauthenticated
row "GET /api/accounts" "" 200 $F $MC $F $F $U
row "GET /api/accounts/$OID" "" 200 $F $MC $F $F $U
row "POST /api/accounts" '{"email":"n@N@@example.org","first_name":"New","last_name":"Person"}' 201 $F $MC $F $F $U
row "PATCH /api/accounts/$OID" '{"job_title":"Trainer"}' 200 $F $MC $F $F $U
row "GET /api/audit" "" 200 $F $MC $F $F $U
row "GET /api/privacy/register" "" 200 $F $MC $F $F $U
row "GET /api/privacy/requests" "" 200 $F $MC $F $F $U
row "POST /api/privacy/requests" '{"kind":"access","requester":"R @N@"}' 201 $F $MC $F $F $U
row "POST /api/privacy/requests/1/fulfil" '{"action":"answered"}' 200 $F $MC $F $F $U
row "GET /api/session" "" 200 200 200 $F $F $U
row "POST /api/password" '{"current_password":"not-it","new_password":"Whatever-Valid-55-lamp"}' \
	403:wrong_password 403:wrong_password 403:wrong_password $F $F $U
row "POST /api/password/reset-request" '{"email":"nobody@example.org"}' 202 202 202 202 202 202
row "POST /api/password/reset" '{"token":"x","new_password":"Whatever-Valid-55-lamp"}' \
	400:invalid_token 400:invalid_token 400:invalid_token 400:invalid_token 400:invalid_token 400:invalid_token
row "GET /metrics" "" 200 200 200 200 200 200
row "GET /healthz" "" 503:null 503:null 503:null 503:null 503:null 503:null

# DELETE: each caller aims at an account of its own; only the admin's goes.
# The five are created side by side (the daemon hashes on two threads), each
# request in a subshell with its own copy of the admin's jar and its own body.
victims=()
for who in org fresh speaker participant anon; do
	cp "$T/admin" "$T/admin-$who"
	(OUT=$T/victim-$who req POST /api/accounts \
		"$(jq -nc --arg e "victim-$who@example.org" '{email:$e,first_name:"V",last_name:"W"}')" "$T/admin-$who") &
	victims+=($!)
done
for p in "${victims[@]}"; do wait "$p"; done
for who in org fresh speaker participant anon; do
	vid=$(jq -r .id "$T/victim-$who")
	check "victim account for $who created" test "$vid" -gt 1
	case $who in org|speaker|participant) exp=$F ;; fresh) exp=$MC ;; anon) exp=$U ;; esac
	check "DELETE /api/accounts/{id} as $who: $exp" is "$(as $who DELETE "/api/accounts/$vid")" "$exp"
	check "... and the account is still there" is "$(as admin GET "/api/accounts/$vid")" 200
done
check "DELETE /api/accounts/{id} as admin: 204" is "$(as admin DELETE "/api/accounts/$vid")" 204

# Logout last: it ends the cookie sessions.
for who in speaker participant anon; do
	case $who in anon) exp=$U ;; *) exp=$F ;; esac
	check "POST /api/logout as $who: $exp" is "$(as $who POST /api/logout)" "$exp"
done
for who in admin org fresh; do
	check "POST /api/logout as $who: 204" is "$(as $who POST /api/logout)" 204
	check "... and the session is over" is "$(as $who GET /api/session)" "$U"
done
finish
