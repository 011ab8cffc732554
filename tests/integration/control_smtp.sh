#!/usr/bin/env bash
# control_smtp: password-reset mail over SMTP against a real SMTP server on
# loopback (aiosmtpd, tests/integration/smtp_sink.py): plain SMTP, STARTTLS
# with AUTH PLAIN and AUTH LOGIN (certificate verified), and the fallbacks to
# the outbox when the server refuses the password, refuses the recipient, is
# down, or presents a certificate nobody vouches for.  The HTTP answer never
# waits for the mail server, and no log line holds a token or the password.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
PY=/usr/bin/python3   # Debian's python, where python3-aiosmtpd lives
$PY -c 'import aiosmtpd' 2>/dev/null || skip "python3-aiosmtpd is not installed (tools/deps)"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
	-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
SMTP_PW='smtp-Secret-9431-passphrase'
printf '%s\n' "$SMTP_PW" >"$T/smtp.pw"
printf 'not-the-password\n' >"$T/wrong.pw"
# sink NAME PORT [ARGS...]: an SMTP server writing to $T/NAME/
sink() {
	local name=$1 port=$2
	shift 2
	mkdir -p "$T/$name"
	spawn "$name" $PY "$AMPHI_TOP/tests/integration/smtp_sink.py" --port "$port" --dir "$T/$name" "$@"
	wait_for 15 test -f "$T/$name/.ready"
}
check "plain SMTP server up" sink plain 2525
check "STARTTLS + AUTH server up" sink secure 2526 --cert "$T/cert.pem" --key "$T/key.pem" \
	--user amphi --password "$SMTP_PW"
check "recipient-refusing server up" sink refusing 2527 --refuse-rcpt

ADMIN_PW='Correct-Horse-42-battery'
# daemon NAME [smtp key=value lines...]: amphi-control with that [smtp] section
# and its own outbox $T/NAME-outbox; sets URL.  After the first, each starts on
# a copy of the first's fresh database: its admin exists, no bootstrap hash.
daemon() {
	local name=$1
	shift
	{ echo '[smtp]'; printf '%s\n' "$@"; } >"$T/$name.conf"
	mkdir -p "$T/$name-outbox"
	[ -f "$T/seed.db" ] && cp "$T/seed.db" "$T/$name.db"
	AMPHI_ADMIN_PASSWORD=$ADMIN_PW ctl_start "$name" --config "$T/$name.conf" --outbox "$T/$name-outbox"
}
# reset NAME: asks a reset for the admin; sets status and ms (time to answer).
reset() {
	local t0
	t0=$(date +%s%N)
	req POST /api/password/reset-request '{"email":"admin@localhost"}'
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
eml_count() { find "$1" -maxdepth 1 -name '*.eml' | wc -l; }
token_of() { sed -n 's/^X-Amphi-Reset-Token: \([A-Za-z0-9_-]*\).*/\1/p' "$1" | tr -d '\r'; }

# --- plain SMTP -------------------------------------------------------------------
daemon c1 'host = 127.0.0.1' 'port = 2525' 'from = amphi@example.org' || { fail "amphi-control starts"; finish; }
sqlite3 "$T/c1.db" ".backup '$T/seed.db'"
check "amphi-control says it sends mail over SMTP" grep -q 'mail over SMTP host=127.0.0.1 port=2525 starttls=no auth=none' "$T/c1.log"
reset
check "reset-request answers 202 at once (${ms} ms)" test "$status" = 202 -a "$ms" -lt 1000
check "the SMTP server receives the mail" wait_for 10 test -f "$T/plain/1.eml"
check "... for the account's address, in clear (no STARTTLS configured)" \
	bash -c "grep -q '^X-Sink-Rcpt: admin@localhost' '$T/plain/1.eml' && grep -q '^X-Sink-TLS: no' '$T/plain/1.eml'"
check "... from the configured sender" grep -q '^From: amphi <amphi@example.org>' "$T/plain/1.eml"
check "... and nothing went to the outbox" is "$(eml_count "$T/c1-outbox")" 0
TOK1=$(token_of "$T/plain/1.eml")
req POST /api/password/reset "$(jq -nc --arg t "$TOK1" '{token:$t,new_password:"Violet-Harbor-81-window"}')"
check "the token mailed over SMTP resets the password (204)" is "$status" 204
req POST /api/password/reset-request '{"email":"nobody@example.org"}'
sleep 1
check "an unknown address: 202 and no mail" is "$status/$(eml_count "$T/plain")" 202/1

# --- STARTTLS + AUTH PLAIN, then AUTH LOGIN ------------------------------------------------
daemon c2 'host = 127.0.0.1' 'port = 2526' 'from = amphi@example.org' 'starttls = yes' \
	"tls_ca = $T/cert.pem" 'user = amphi' "password_file = $T/smtp.pw" 'auth = plain' || fail "amphi-control c2 starts"
reset
check "STARTTLS + AUTH PLAIN: delivered" wait_for 10 test -f "$T/secure/1.eml"
check "... inside TLS, authenticated as amphi" \
	bash -c "grep -q '^X-Sink-TLS: yes' '$T/secure/1.eml' && grep -q '^X-Sink-Auth: amphi' '$T/secure/1.eml'"
daemon c3 'host = 127.0.0.1' 'port = 2526' 'from = amphi@example.org' 'starttls = yes' \
	"tls_ca = $T/cert.pem" 'user = amphi' "password_file = $T/smtp.pw" 'auth = login' || fail "amphi-control c3 starts"
reset
check "STARTTLS + AUTH LOGIN: delivered, authenticated" \
	wait_for 10 bash -c "grep -q '^X-Sink-Auth: amphi' '$T/secure/2.eml'"

# --- fallbacks to the outbox ----------------------------------------------------------
daemon c4 'host = 127.0.0.1' 'port = 2526' 'from = amphi@example.org' 'starttls = yes' \
	"tls_ca = $T/cert.pem" 'user = amphi' "password_file = $T/wrong.pw" || fail "amphi-control c4 starts"
reset
check "wrong SMTP password: the mail lands in the outbox" wait_for 10 bash -c "[ \$(find '$T/c4-outbox' -name '*.eml' | wc -l) = 1 ]"
check "... the log says why (AUTH refused)" grep -q 'mail not sent by SMTP, kept in the outbox kind=reset error=.*AUTH PLAIN: server answered 535' "$T/c4.log"
check "... and the server got nothing more" is "$(eml_count "$T/secure")" 2

daemon c5 'host = 127.0.0.1' 'port = 2527' 'from = amphi@example.org' || fail "amphi-control c5 starts"
reset
check "recipient refused (550): outbox" wait_for 10 bash -c "[ \$(find '$T/c5-outbox' -name '*.eml' | wc -l) = 1 ]"
check "... logged with the server's answer" grep -q 'RCPT TO: server answered 550' "$T/c5.log"

daemon c6 'host = 127.0.0.1' 'port = 2599' 'from = amphi@example.org' 'timeout = 2s' || fail "amphi-control c6 starts"
reset
check "SMTP server down: 202 at once all the same (${ms} ms)" test "$status" = 202 -a "$ms" -lt 1000
check "... and the mail lands in the outbox" wait_for 10 bash -c "[ \$(find '$T/c6-outbox' -name '*.eml' | wc -l) = 1 ]"
check "... logged: connection refused" grep -q 'connect 127.0.0.1:2599: Connection refused' "$T/c6.log"
req GET /metrics
check "/metrics counts the failure and the outbox write" \
	bash -c "grep -q '^amphi_mail_total{outcome=\"smtp_failed\"} 1' '$T/out' && grep -q '^amphi_mail_total{outcome=\"outbox\"} 1' '$T/out'"
TOK6=$(token_of "$(find "$T/c6-outbox" -name '*.eml' | head -n 1)")
req POST /api/password/reset "$(jq -nc --arg t "$TOK6" '{token:$t,new_password:"Violet-Harbor-81-window"}')"
check "... and its token works from there (204)" is "$status" 204

daemon c7 'host = 127.0.0.1' 'port = 2526' 'from = amphi@example.org' 'starttls = yes' \
	'user = amphi' "password_file = $T/smtp.pw" || fail "amphi-control c7 starts"
reset
check "a certificate no configured CA vouches for: no password sent, outbox" \
	wait_for 10 bash -c "[ \$(find '$T/c7-outbox' -name '*.eml' | wc -l) = 1 ]"
check "... logged as a failed verification" grep -q 'STARTTLS: handshake failed: self-signed certificate' "$T/c7.log"
check "... and the server got nothing more" is "$(eml_count "$T/secure")" 2

# A server that accepts and then says nothing must not hold the shutdown.
if command -v socat >/dev/null; then
	spawn mute socat TCP-LISTEN:2528,bind=127.0.0.1,reuseaddr,fork SYSTEM:'sleep 60'
	wait_for 5 bash -c "ss -Hltn | grep -q ':2528 '"
	daemon c8 'host = 127.0.0.1' 'port = 2528' 'from = amphi@example.org' 'timeout = 60s' || fail "amphi-control c8 starts"
	reset
	check "a mute SMTP server: 202 at once (${ms} ms)" test "$status" = 202 -a "$ms" -lt 1000
	sleep 1
	t0=$(date +%s%N)
	kill -TERM "$c8_pid"
	for _ in $(seq 100); do kill -0 "$c8_pid" 2>/dev/null || break; sleep 0.05; done
	stop_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	check "... SIGTERM during the send still exits within 2 s (${stop_ms} ms)" test "$stop_ms" -lt 2000
	check "... and the mail it was sending is in the outbox" is "$(eml_count "$T/c8-outbox")" 1
	check "... logged as cut short by the shutdown" grep -q 'kept in the outbox kind=reset error="cancelled: shutting down"' "$T/c8.log"
fi

# --- configuration errors and secrets ----------------------------------------------------
printf '[smtp]\nhost = 127.0.0.1\nfrom = amphi@example.org\nuser = amphi\npassword_file = %s\n' "$T/smtp.pw" >"$T/bad.conf"
"$AMPHI_BIN/amphi-control" --config "$T/bad.conf" --listen 127.0.0.1:0 --db "$T/bad.db" --outbox "$T/bad-outbox" \
	--retention "$AMPHI_TOP/etc/retention.conf" >"$T/bad.log" 2>&1
check "a user without starttls is refused at start, saying why" \
	bash -c "[ $? = 1 ] && grep -q 'user needs starttls = yes: amphi never sends a password in clear' '$T/bad.log'"
tokens=$(cat "$T"/*/*.eml | tr -d '\r' | sed -n 's/^X-Amphi-Reset-Token: //p' | sort -u)
check "tokens were mailed ($(wc -w <<<"$tokens"))" test "$(wc -w <<<"$tokens")" -ge 7
leak=0
for f in "$T"/c*.log; do
	grep -qF "$SMTP_PW" "$f" && leak=1
	for t in $tokens; do grep -qF "$t" "$f" && leak=1; done
	grep -q 'admin@localhost' "$f" && grep 'admin@localhost' "$f" | grep -qv 'first start\|Admin account' && leak=1
done
check "no log line holds the SMTP password, a token or the recipient" test "$leak" = 0
finish
