#!/usr/bin/env bash
# Authentication hardening of amphi-control over real HTTP: lockout with the
# doubling delay (short configured delays), reset through the outbox (single
# use, expiring), no account enumeration, cookie attributes (plain and TLS),
# CSRF, session timeouts, rehash on login, and bad request bodies.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"

# Reset tokens live 4 s here instead of 15 min.
awk '/^\[password_reset_tokens\]/{f=1} f&&/^retention/{$0="retention = 4s"; f=0} {print}' \
	"$AMPHI_TOP/etc/retention.conf" >"$T/retention.conf"
RETENTION=$T/retention.conf
cat >"$T/c1.conf" <<CONF
[control]
max_body = 4096
[auth]
lock_base = 4s
lock_max = 10s
CONF
ADMIN='Sentinel-Harbor-99!x'
AMPHI_ADMIN_PASSWORD=$ADMIN ctl_start c1 --config "$T/c1.conf" || { fail "amphi-control starts"; finish; }
login admin@localhost "$ADMIN"
check "admin logs in" is "$status" 200
req POST /api/accounts '{"email":"ana@example.org","first_name":"Ana","last_name":"Lima"}'
APW=$(jqo .initial_password) AID=$(jqo .id)

# --- cookie attributes --------------------------------------------------------
curl -s -D "$T/h" -o /dev/null -H 'Content-Type: application/json' \
	--data-binary "$(jq -nc --arg p "$ADMIN" '{email:"admin@localhost",password:$p}')" "$URL/api/login"
SC=$(grep -i '^set-cookie:' "$T/h" | tr -d '\r')
check "exactly one cookie is set" is "$(grep -ci '^set-cookie:' "$T/h")" 1
check "cookie: HttpOnly, SameSite=Strict, Path=/" sh -c "echo '$SC' | grep -q 'amphi_session=[A-Za-z0-9_-]\{43\}; Path=/; HttpOnly; SameSite=Strict'"
check "cookie: no Secure over plain HTTP" sh -c "! echo '$SC' | grep -qi secure"
check "session ids are stored hashed" is "$(sqlite3 "$T/c1.db" "SELECT count(*) FROM sessions WHERE hash = '$(echo "$SC" | sed 's/.*amphi_session=\([^;]*\).*/\1/')'")" 0

# --- CSRF ---------------------------------------------------------------------
n0=$(sqlite3 "$T/c1.db" 'SELECT count(*) FROM accounts')
body='{"email":"csrf@example.org","first_name":"C","last_name":"S"}'
st=$(curl -s -o "$T/out" -w '%{http_code}' -b "$T/jar" -H 'Content-Type: application/json' --data-binary "$body" "$URL/api/accounts")
check "cookie write without Origin: 403 csrf" is "$st/$(jqo .error)" 403/csrf
st=$(curl -s -o "$T/out" -w '%{http_code}' -b "$T/jar" -H 'Origin: http://evil.example' -H 'Content-Type: application/json' --data-binary "$body" "$URL/api/accounts")
check "cookie write from another origin: 403 csrf" is "$st/$(jqo .error)" 403/csrf
st=$(curl -s -o "$T/out" -w '%{http_code}' -b "$T/jar" "$URL/api/accounts")
check "reads need no Origin" is "$st" 200
check "refused writes changed nothing" is "$(sqlite3 "$T/c1.db" 'SELECT count(*) FROM accounts')" "$n0"

# --- bad bodies -----------------------------------------------------------------
req POST /api/accounts '{"email": "x@example.org", "first_name":'
check "malformed JSON: 400 with the position" is "$status/$(jqo .error)" 400/malformed_json
check "... the detail says where" sh -c "jq -r .detail '$T/out' | grep -q 'line 1 column'"
req POST /api/accounts '["not","an","object"]'
check "a JSON array body: 400" is "$status" 400
req POST /api/accounts '{"email":"a@example.org","email":"b@example.org","first_name":"A","last_name":"B"}'
check "duplicate keys: 400" is "$status" 400
st=$(curl -s -o "$T/out" -w '%{http_code}' -b "$T/jar" -H "Origin: $URL" -H 'Content-Type: text/plain' --data-binary "$body" "$URL/api/accounts")
check "wrong content type: 415" is "$st/$(jqo .error)" 415/unsupported_media_type
big=$(jq -nc --arg x "$(head -c 5000 /dev/zero | tr '\0' a)" '{email:"big@example.org",first_name:"B",last_name:$x}')
req POST /api/accounts "$big"
check "oversized body: 413" is "$status/$(jqo .error)" 413/body_too_large
st=$(head -c 3000000 /dev/zero | curl -s -o "$T/out" -w '%{http_code}' -b "$T/jar" -H "Origin: $URL" -H 'Content-Type: application/json' --data-binary @- "$URL/api/accounts")
check "a 3 MB body: 413 without reading it all" is "$st" 413
req POST /api/accounts '{"email":"x@example.org","first_name":"\u0001","last_name":42}'
check "control characters and wrong types: 422" is "$status/$(jqo '[.detail[].field]|join(",")')" 422/first_name,last_name
check "bad bodies changed nothing" is "$(sqlite3 "$T/c1.db" 'SELECT count(*) FROM accounts')" "$n0"
req PUT /api/accounts
check "wrong method: 405" is "$status/$(jqo .error)" 405/method_not_allowed
req GET /api/nothing-here
check "unknown route: 404 JSON" is "$status/$(jqo .error)" 404/not_found

# --- enumeration ----------------------------------------------------------------
t_login() {   # prints status and seconds of one login attempt
	curl -s -o "$T/tl" -w '%{http_code} %{time_total}\n' -H 'Content-Type: application/json' \
		--data-binary "$(jq -nc --arg e "$1" '{email:$e,password:"Wrong-password-123"}')" "$URL/api/login"
}
k=$(t_login ana@example.org) kb=$(cat "$T/tl")
u=$(t_login nobody@example.org) ub=$(cat "$T/tl")
check "known and unknown email: same status" is "${k% *}" "${u% *}"
check "known and unknown email: same body" is "$kb" "$ub"
# Timing: both paths run one Argon2id verification (about 0.5 s here); the
# sum of three alternating tries evens out the noise of a shared machine.
kt=${k#* } ut=${u#* }
for _ in 1 2; do
	k=$(t_login ana@example.org); u=$(t_login nobody@example.org)
	kt="$kt + ${k#* }" ut="$ut + ${u#* }"
done
ratio=$(awk "BEGIN { a = $kt; b = $ut; printf \"%d\", (a / b > 0.6 && a / b < 1.66) }")
echo "  login timing, 3 tries: known $(awk "BEGIN {print $kt}") s, unknown $(awk "BEGIN {print $ut}") s"
check "known and unknown email: comparable time" is "$ratio" 1
req POST /api/password/reset-request '{"email":"nobody@example.org"}'
rs=$status rb=$(cat "$T/out")
check "reset-request for an unknown email: 202, no mail" is "$status/$(ls "$T/outbox" | wc -l)" 202/0
req POST /api/password/reset-request '{"email":"not even an address"}'
check "reset-request for garbage: 202" is "$status" 202

req PATCH "/api/accounts/$AID" '{"unlock":true}'
check "the timing tries locked the account; admin unlocks it" is "$status/$(jqo .locked_until)" 200/null

# --- lockout: 4 s, 8 s, then capped at 10 s ------------------------------------------
login ana@example.org "$APW" "$T/ajar"
check "the organizer's first login works" is "$status" 200
bad() { login ana@example.org 'Wrong-password-123' "$T/ajar"; }
bad; b1=$status; bad; b2=$status; bad
check "two wrong passwords: 401, the third: 423" is "$b1 $b2 $status" "401 401 423"
check "first lock: 4 s" is "$(jqo .detail.retry_after)" 4
st=$(curl -s -D "$T/h" -o "$T/out" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "$(jq -nc --arg p "$APW" '{email:"ana@example.org",password:$p}')" "$URL/api/login")
check "the right password while locked: 423" is "$st" 423
check "... with a Retry-After header" grep -qi '^retry-after: [1-4]' "$T/h"
sleep 4.1
bad; bad; bad
check "second lock doubles: 8 s" is "$status/$(jqo .detail.retry_after)" 423/8
sleep 8.1
bad; bad; bad
check "third lock is capped: 10 s" is "$status/$(jqo .detail.retry_after)" 423/10
check "the connection log records the failures" test "$(sqlite3 "$T/c1.db" "SELECT count(*) FROM connection_logs WHERE account_id = $AID AND event = 'login_failed'")" -ge 9
check "the lock is counted in /metrics" sh -c "curl -s '$URL/metrics' | grep -q 'amphi_logins_total{outcome=\"locked\"} [1-9]'"

# --- reset unlocks -------------------------------------------------------------------
req POST /api/password/reset-request '{"email":"ANA@example.org"}'
check "reset-request for a known email: 202, same body" is "$status $(cat "$T/out")" "$rs $rb"
check "one mail in the outbox" is "$(ls "$T/outbox"/*.eml | wc -l)" 1
MAIL=$(ls "$T"/outbox/*.eml)
check "the mail is private (0600)" is "$(stat -c %a "$MAIL")" 600
check "the mail goes to the account's address" grep -q '^To: <ana@example.org>' "$MAIL"
TOK=$(mail_token)
check "the mail carries a 256-bit token" is "${#TOK}" 43
check "the token is stored hashed" is "$(grep -c -F "$TOK" "$T"/c1.db* | awk -F: '{s+=$2} END {print s+0}')" 0
req POST /api/password/reset "$(jq -nc --arg t "$TOK" '{token:$t,new_password:"Ana-Lima-2026-xyz!"}')"
check "reset with a weak password: 422, token kept" is "$status/$(jqo .error)" 422/weak_password
NEW='Moonlit-Harbor-51-kite'
req POST /api/password/reset "$(jq -nc --arg t "$TOK" --arg p "$NEW" '{token:$t,new_password:$p}')"
check "reset with the mailed token: 204" is "$status" 204
req POST /api/password/reset "$(jq -nc --arg t "$TOK" '{token:$t,new_password:"Another-Moonlit-77-kite"}')"
check "the token is single use: 400" is "$status/$(jqo .error)" 400/invalid_token
login ana@example.org "$NEW" "$T/ajar"
check "reset unlocked the account and set the password" is "$status/$(jqo .must_change_password)" 200/false
login ana@example.org "$APW" "$T/ajar2"
check "the old password is dead" is "$status" 401
req POST /api/password/reset-request '{"email":"ana@example.org"}'
TOK2=$(mail_token)
sleep 5.1   # times are whole seconds
req POST /api/password/reset "$(jq -nc --arg t "$TOK2" '{token:$t,new_password:"Expired-Token-55-lamp"}')"
check "the token expires ([password_reset_tokens] = 4s here)" is "$status" 400
req POST /api/password/reset '{"token":"short","new_password":"Whatever-Valid-55-lamp"}'
check "a malformed token: 400" is "$status" 400

# --- TLS: the cookie gets Secure ------------------------------------------------------
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj /CN=127.0.0.1 >/dev/null 2>&1; then
	printf '[control]\ntls_cert = %s\ntls_key = %s\n' "$T/cert.pem" "$T/key.pem" >"$T/tls.conf"
	AMPHI_ADMIN_PASSWORD=$ADMIN ctl_start tls --config "$T/tls.conf"
	curl -sk -D "$T/h" -o /dev/null -H 'Content-Type: application/json' \
		--data-binary "$(jq -nc --arg p "$ADMIN" '{email:"admin@localhost",password:$p}')" "https://127.0.0.1:$PORT/api/login"
	check "under TLS the cookie is Secure" grep -qi '^set-cookie: amphi_session=.*; Secure' "$T/h"
fi

# --- session timeouts and rehash (second daemon) ----------------------------------------
printf '[auth]\nsession_idle = 2s\nsession_absolute = 5s\n' >"$T/c2.conf"
AMPHI_ADMIN_PASSWORD=$ADMIN ctl_start c2 --config "$T/c2.conf"
login admin@localhost "$ADMIN" "$T/j2"
sleep 3.2   # times are whole seconds: unused for more than 2 s
req GET /api/session "" "$T/j2"
check "idle timeout ends the session" is "$status" 401
login admin@localhost "$ADMIN" "$T/j2"
seen=
for _ in 1 2 3 4 5 6 7; do sleep 1; req GET /api/session "" "$T/j2"; seen="$seen $status"; done
echo "  a request every second, idle 2 s, absolute 5 s:$seen"
check "a used session outlives the idle timeout" is "$(echo $seen | cut -d' ' -f1-3)" "200 200 200"
check "absolute timeout ends even a used session" is "$(echo $seen | cut -d' ' -f7)" 401
kill -TERM "$c2_pid"; wait_for 10 sh -c "! kill -0 $c2_pid 2>/dev/null"
check "hash made at opslimit 3" sh -c "sqlite3 '$T/c2.db' 'SELECT password_hash FROM accounts WHERE id = 1' | grep -q 'm=262144,t=3,'"
mv "$T/c2.log" "$T/c2-first.log"
printf '[auth]\npwhash_opslimit = 4\n' >"$T/c2.conf"
ctl_start c2 --config "$T/c2.conf"
login admin@localhost "$ADMIN" "$T/j2"
check "login after raising the limits works" is "$status" 200
check "... and rehashes with the new limits" sh -c "sqlite3 '$T/c2.db' 'SELECT password_hash FROM accounts WHERE id = 1' | grep -q 'm=262144,t=4,'"
printf '[auth]\npwhash_opslimit = 2\n' >"$T/c5.conf"
"$AMPHI_BIN/amphi-control" --config "$T/c5.conf" --listen 127.0.0.1:0 --db "$T/c5.db" --outbox "$T/outbox" \
	--retention "$RETENTION" >"$T/c5.log" 2>&1
check "limits below moderate are refused at start" grep -q 'opslimit' "$T/c5.log"
finish
