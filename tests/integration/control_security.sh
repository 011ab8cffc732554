#!/usr/bin/env bash
# Password security of amphi-control over real HTTP: lockout with the
# doubling delay (short configured delays), reset through the outbox (single
# use, unlocks, valid until the end of its lifetime and not after), no account enumeration by status, body or time,
# also after repeated failures (unknown emails lock like accounts), and no
# lock-out of others: a browser holding a device cookie logs in while failures
# from elsewhere keep the account locked, and its own failures lock it alone.
# Locks and reset links end on the daemon's own clock: the test moves it ahead
# (clock_ahead) instead of sleeping.  Cookies, CSRF, bad bodies and sessions:
# control_http.sh.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"

cat >"$T/c1.conf" <<CONF
[auth]
lock_base = 4s
lock_max = 10s
source_burst = 200
CONF
ADMIN='Sentinel-Harbor-99!x'
AMPHI_ADMIN_PASSWORD=$ADMIN CTL_CLOCK=1 ctl_start c1 --config "$T/c1.conf" || { fail "amphi-control starts"; finish; }
login admin@localhost "$ADMIN"
check "admin logs in" is "$status" 200
req POST /api/accounts '{"email":"ana@example.org","first_name":"Ana","last_name":"Lima"}'
APW=$(jqo .initial_password) AID=$(jqo .id)

# --- enumeration ----------------------------------------------------------------
t_login() {   # prints status and seconds of one login attempt
	curl -s -o "$T/tl" -w '%{http_code} %{time_total}\n' -H 'Content-Type: application/json' \
		--data-binary "$(jq -nc --arg e "$1" '{email:$e,password:"Wrong-password-123"}')" "$URL/api/login"
}
k=$(t_login ana@example.org) kb=$(cat "$T/tl")
u=$(t_login nobody@example.org) ub=$(cat "$T/tl")
check "known and unknown email: same status" is "${k% *}" "${u% *}"
check "known and unknown email: same body" is "$kb" "$ub"
# Timing: both paths run one Argon2id verification (about 0.5 s on an idle
# core); skipping it would make the unknown email 100x faster.  The sum of
# three alternating tries evens out the noise of a shared machine.
kt=${k#* } ut=${u#* }
for _ in 1 2; do
	k=$(t_login ana@example.org); u=$(t_login nobody@example.org)
	kt="$kt + ${k#* }" ut="$ut + ${u#* }"
done
ratio=$(awk "BEGIN { a = $kt; b = $ut; printf \"%d\", (a / b > 0.33 && a / b < 3) }")
echo "  login timing, 3 tries: known $(awk "BEGIN {print $kt}") s, unknown $(awk "BEGIN {print $ut}") s"
check "known and unknown email: comparable time" is "$ratio" 1
req POST /api/password/reset-request '{"email":"nobody@example.org"}'
rs=$status rb=$(cat "$T/out")
check "reset-request for an unknown email: 202, no mail" is "$status/$(ls "$T/outbox" | wc -l)" 202/0
req POST /api/password/reset-request '{"email":"not even an address"}'
check "reset-request for garbage: 202" is "$status" 202

# After N failures: an existing account and an unknown email go through the
# same statuses (401, 401, then 423 with the same first lock), bodies and time.
req POST /api/accounts '{"email":"bea@example.org","first_name":"Bea","last_name":"Costa"}'
ks='' us='' kt3='' ut3=''
for i in 1 2 3; do
	k=$(t_login bea@example.org); cp "$T/tl" "$T/k$i"; ks="$ks ${k% *}" kt3="${kt3:+$kt3 + }${k#* }"
done
k=$(t_login bea@example.org); ks="$ks ${k% *}"   # within the lock: answered without hashing
for i in 1 2 3; do
	u=$(t_login nobody2@example.org); cp "$T/tl" "$T/u$i"; us="$us ${u% *}" ut3="${ut3:+$ut3 + }${u#* }"
done
u=$(t_login nobody2@example.org); us="$us ${u% *}"
check "3 failures, known email: 401 401 423, and it stays locked" is "$ks" " 401 401 423 423"
check "3 failures, unknown email: the same statuses" is "$us" "$ks"
check "... the same bodies, lock included" sh -c "cmp -s '$T/k1' '$T/u1' && cmp -s '$T/k2' '$T/u2' && cmp -s '$T/k3' '$T/u3'"
echo "  3 failures: known $(awk "BEGIN {print $kt3}") s, unknown $(awk "BEGIN {print $ut3}") s"
check "... in comparable time" awk "BEGIN { a = $kt3; b = $ut3; exit !(a / b > 0.33 && a / b < 3) }"

req PATCH "/api/accounts/$AID" '{"unlock":true}'
check "the timing tries locked the account; admin unlocks it" is "$status/$(jqo .locked_until)" 200/null

# --- lockout: 4 s, 8 s, then capped at 10 s ------------------------------------------
login ana@example.org "$APW" "$T/ajar"
check "the organizer's first login works" is "$status" 200
check "... and gives this browser a device cookie (HttpOnly, Path=/api/login, 75 characters)" \
	grep -Eq '^#HttpOnly_127\.0\.0\.1	FALSE	/api/login	FALSE	[0-9]+	amphi_device	[A-Za-z0-9_-]{75}$' "$T/ajar"
curl -s -D "$T/h" -o /dev/null -H 'Content-Type: application/json' \
	--data-binary "$(jq -nc --arg p "$APW" '{email:"ana@example.org",password:$p}')" "$URL/api/login"
check "... SameSite=Strict, no personal data in it" \
	grep -Eq '^Set-Cookie: amphi_device=[A-Za-z0-9_-]{75}; Path=/api/login; HttpOnly; SameSite=Strict; Max-Age=[0-9]+' "$T/h"
bad() { login ana@example.org 'Wrong-password-123' "$T/xjar"; }   # a client that never logged in
bad; b1=$status; bad; b2=$status; bad
check "two wrong passwords: 401, the third: 423" is "$b1 $b2 $status" "401 401 423"
check "first lock: 4 s" is "$(jqo .detail.retry_after)" 4
# Within the lock, at once: the browser that logged in before, and a client
# that never did, both with the right password.
curl -s -o "$T/dev" -w '%{http_code}' -b "$T/ajar" -c "$T/ajar" -H "Origin: $URL" -H 'Content-Type: application/json' \
	--data-binary "$(jq -nc --arg p "$APW" '{email:"ana@example.org",password:$p}')" "$URL/api/login" >"$T/dev.status" &
dev_pid=$!
st=$(curl -s -D "$T/h" -o "$T/out" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "$(jq -nc --arg p "$APW" '{email:"ana@example.org",password:$p}')" "$URL/api/login")
check "the right password while locked: 423" is "$st" 423
check "... with a Retry-After header" grep -qi '^retry-after: [1-4]' "$T/h"
wait "$dev_pid"
check "the browser with the device cookie still logs in (not locked out by others)" is "$(cat "$T/dev.status")" 200
req POST /api/logout '' "$T/ajar"
clock_ahead 5   # times are whole seconds: past the 4 s lock
bad; bad; bad
check "second lock doubles: 8 s" is "$status/$(jqo .detail.retry_after)" 423/8
clock_ahead 9
bad; bad; bad
check "third lock is capped: 10 s" is "$status/$(jqo .detail.retry_after)" 423/10
dbad() { login ana@example.org 'Wrong-password-123' "$T/ajar"; }
dbad; d1=$status; dbad; d2=$status; dbad
check "the device cookie's own failures: 401 401 423 (the CNIL limit holds for it too)" \
	is "$d1 $d2 $status/$(jqo .detail.retry_after)" "401 401 423/4"
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
check "the token is stored hashed" is "$(grep -c -F -e "$TOK" "$T"/c1.db* | awk -F: '{s+=$2} END {print s+0}')" 0
req POST /api/password/reset "$(jq -nc --arg t "$TOK" '{token:$t,new_password:"Ana-Lima-2026-xyz!"}')"
check "reset with a weak password: 422, token kept" is "$status/$(jqo .error)" 422/weak_password
NEW='Moonlit-Harbor-51-kite'
req POST /api/password/reset "$(jq -nc --arg t "$TOK" --arg p "$NEW" '{token:$t,new_password:$p}')"
check "reset with the mailed token: 204" is "$status" 204
req POST /api/password/reset "$(jq -nc --arg t "$TOK" '{token:$t,new_password:"Another-Moonlit-77-kite"}')"
check "the token is single use: 400" is "$status/$(jqo .error)" 400/invalid_token
login ana@example.org "$NEW" "$T/ajar3"
check "reset unlocked the account and set the password" is "$status/$(jqo .must_change_password)" 200/false
login ana@example.org "$APW" "$T/ajar2"
check "the old password is dead" is "$status" 401
# Expiry, with its positive control: two links of the same kind, one used
# 10 s before the end of its 15 min ([password_reset_tokens]), one 10 s after.
req POST /api/password/reset-request '{"email":"ana@example.org"}'
TOK2=$(mail_token)
clock_ahead 890
req POST /api/password/reset "$(jq -nc --arg t "$TOK2" '{token:$t,new_password:"Fresh-Token-55-lamp"}')"
check "a reset link used 10 s before it expires still works (204)" is "$status" 204
req POST /api/password/reset-request '{"email":"ana@example.org"}'
TOK3=$(mail_token)
check "... and the next request mails a new link" test -n "$TOK3" -a "$TOK3" != "$TOK2"
clock_ahead 910
req POST /api/password/reset "$(jq -nc --arg t "$TOK3" '{token:$t,new_password:"Expired-Token-55-lamp"}')"
check "the same kind of link used 10 s after its 15 min is refused (400)" is "$status/$(jqo .error)" 400/invalid_token
login ana@example.org 'Fresh-Token-55-lamp' "$T/ajar4"
check "... and the password is still the one the valid link set" is "$status" 200
req POST /api/password/reset '{"token":"short","new_password":"Whatever-Valid-55-lamp"}'
check "a malformed token: 400" is "$status" 400

finish
