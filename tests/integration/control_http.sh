#!/usr/bin/env bash
# HTTP-level hardening of amphi-control over real HTTP: cookie attributes
# (plain and TLS), CSRF, bad request bodies (malformed JSON, wrong types,
# wrong content type, oversized), session idle/absolute timeouts (on the
# daemon's clock, moved ahead by clock_ahead), rehash on login when the
# Argon2id limits change.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"

printf '[control]\nmax_body = 4096\n[auth]\nsession_idle = 10m\nsession_absolute = 1h\n' >"$T/c1.conf"
ADMIN='Sentinel-Harbor-99!x'
AMPHI_ADMIN_PASSWORD=$ADMIN CTL_CLOCK=1 ctl_start c1 --config "$T/c1.conf" || { fail "amphi-control starts"; finish; }
login admin@localhost "$ADMIN"
check "admin logs in" is "$status" 200

# --- cookie attributes --------------------------------------------------------
curl -s -D "$T/h" -o /dev/null -H 'Content-Type: application/json' \
	--data-binary "$(jq -nc --arg p "$ADMIN" '{email:"admin@localhost",password:$p}')" "$URL/api/login"
SC=$(grep -i '^set-cookie: amphi_session=' "$T/h" | tr -d '\r')
check "two cookies are set: the session and the device cookie (docs/control.md)" \
	is "$(grep -i '^set-cookie:' "$T/h" | sed 's/^[^:]*: *\([a-z_]*\)=.*/\1/' | sort | tr '\n' ' ')" "amphi_device amphi_session "
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

# --- TLS: the cookie gets Secure ------------------------------------------------------
if openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj /CN=127.0.0.1 >/dev/null 2>&1; then
	printf '[control]\ntls_cert = %s\ntls_key = %s\n' "$T/cert.pem" "$T/key.pem" >"$T/tls.conf"
	sqlite3 "$T/c1.db" ".backup '$T/tls.db'"   # the admin exists: no bootstrap hash
	ctl_start tls --config "$T/tls.conf"
	curl -sk -D "$T/h" -o /dev/null -H 'Content-Type: application/json' \
		--data-binary "$(jq -nc --arg p "$ADMIN" '{email:"admin@localhost",password:$p}')" "https://127.0.0.1:$PORT/api/login"
	check "under TLS the cookie is Secure" grep -qi '^set-cookie: amphi_session=.*; Secure' "$T/h"
	check "under TLS the device cookie is Secure too" grep -qi '^set-cookie: amphi_device=.*; Secure' "$T/h"
fi

# --- session timeouts (c1: idle 10 min, absolute 1 h), then rehash ---------------------
PORT=$(sed -n 's/.* listening .*port=\([0-9]*\).*/\1/p' "$T/c1.log") URL=http://127.0.0.1:$PORT
login admin@localhost "$ADMIN" "$T/j2"
clock_ahead 601   # times are whole seconds: unused for more than 10 min
req GET /api/session "" "$T/j2"
check "idle timeout ends the session" is "$status" 401
login admin@localhost "$ADMIN" "$T/j2"
seen=
for _ in 1 2 3 4 5 6 7 8; do clock_ahead 500; req GET /api/session "" "$T/j2"; seen="$seen $status"; done
echo "  a request every 500 s, idle 10 min, absolute 1 h:$seen"
check "a used session outlives the idle timeout" is "$(echo $seen | cut -d' ' -f1-7)" "200 200 200 200 200 200 200"
check "absolute timeout ends even a used session" is "$(echo $seen | cut -d' ' -f8)" 401
kill -TERM "$c1_pid"; wait_for 10 sh -c "! kill -0 $c1_pid 2>/dev/null"
check "hash made at opslimit 3" sh -c "sqlite3 '$T/c1.db' 'SELECT password_hash FROM accounts WHERE id = 1' | grep -q 'm=262144,t=3,'"
sqlite3 "$T/c1.db" ".backup '$T/c2.db'"
printf '[auth]\npwhash_opslimit = 4\n' >"$T/c2.conf"
ctl_start c2 --config "$T/c2.conf"
login admin@localhost "$ADMIN" "$T/j2"
check "login after raising the limits works" is "$status" 200
check "... and rehashes with the new limits" sh -c "sqlite3 '$T/c2.db' 'SELECT password_hash FROM accounts WHERE id = 1' | grep -q 'm=262144,t=4,'"
printf '[auth]\npwhash_opslimit = 2\n' >"$T/c5.conf"
"$AMPHI_BIN/amphi-control" --config "$T/c5.conf" --listen 127.0.0.1:0 --db "$T/c5.db" --outbox "$T/outbox" \
	--retention "$AMPHI_TOP/etc/retention.conf" >"$T/c5.log" 2>&1
check "limits below moderate are refused at start" grep -q 'opslimit' "$T/c5.log"
finish
