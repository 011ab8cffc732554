#!/usr/bin/env bash
# tools/amphictl against a running amphi-control: login, accounts CRUD,
# tables and --json, the server's errors with a non-zero exit, audit,
# metrics, health, the processing register (from a public body's policy
# file: JSON, the HTML page a browser's Accept gets, Markdown); the static
# login page is served with its CSP.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v column >/dev/null || skip "column (bsdextrautils) is not installed"

ADMIN='Sentinel-Harbor-99!x'
# A public body's policy: its own legal basis, and its controller (with
# markup that must come out escaped).
RETENTION=$T/retention.conf
awk '/^\[/ { sec = $0 }
	/^legal_basis/ && sec == "[recording]" { print "legal_basis = \"Public task (GDPR art. 6(1)(e))\""; next }
	/^# controller/ { print "controller = \"Direction <b>du numérique</b>, dpo@example.gouv.fr\""; next }
	{ print }' "$AMPHI_TOP/etc/retention.conf" >"$RETENTION"
export RETENTION
AMPHI_ADMIN_PASSWORD=$ADMIN ctl_start c1 || { fail "amphi-control starts"; finish; }
export AMPHI_URL=$URL AMPHICTL_COOKIES=$T/cookies
ctl() { "$AMPHI_TOP/tools/amphictl" "$@"; }

ctl account list >"$T/o" 2>"$T/e"
check "before login: exit 1 with the server's error" is "$?/$(cat "$T/e")" "1/amphictl: 401 unauthenticated: log in or present a token"
AMPHI_PASSWORD=wrong ctl login admin@localhost >"$T/o" 2>"$T/e"
check "a wrong password: exit 1, invalid_credentials" is "$?/$(cat "$T/e")" "1/amphictl: 401 invalid_credentials: wrong email or password"
AMPHI_PASSWORD=$ADMIN ctl login admin@localhost >"$T/o"
check "login" is "$?/$(cat "$T/o")" "0/logged in as admin@localhost (admin)"
check "the cookie jar is private" is "$(stat -c %a "$T/cookies")" 600

ctl account create --email olga@example.org --first-name Olga --last-name Petrova --company ACME >"$T/o"
check "account create" test $? = 0
OPW=$(sed -n 's/^initial password (shown once, must be changed at first login): //p' "$T/o")
check "... prints the initial password once" test -n "$OPW"
ctl --json account create --email ivan@example.org --first-name Ivan --last-name Ivanov --role admin >"$T/o"
IID=$(jq -r .id "$T/o")
check "account create --json gives the object" is "$(jq -r .role "$T/o")" admin
ctl account list >"$T/o"
check "account list is a table with a header" is "$(head -n 1 "$T/o" | awk '{print $1, $2}')" "ID EMAIL"
check "... one row per account" is "$(grep -c '@' "$T/o")" 3
check "... with the fields" grep -q '^2 *olga@example.org *Olga *Petrova *organizer *true' "$T/o"
ctl --json account list >"$T/o"
check "account list --json" is "$(jq -r '[.accounts[].email]|join(",")' "$T/o")" "admin@localhost,olga@example.org,ivan@example.org"
ctl account show 2 >"$T/o"
check "account show" grep -q '^company *ACME$' "$T/o"
ctl account update 2 --job-title Trainer --unlock >"$T/o"
check "account update" grep -q '^job_title *Trainer$' "$T/o"
ctl account update 2 --reset-password >"$T/o"
check "account update --reset-password prints a new initial password" grep -q '^new initial password (shown once): ' "$T/o"
OPW=$(sed -n 's/^new initial password (shown once): //p' "$T/o")
ctl account create --email bad >"$T/o" 2>"$T/e"
check "invalid fields: exit 1 and every reason" is "$?/$(cat "$T/e")" \
	"1/amphictl: 422 invalid: email: not a valid email address; first_name: required; last_name: required"
ctl account create --email OLGA@example.org --first-name O --last-name P >"$T/o" 2>"$T/e"
check "duplicate email: exit 1, email_taken" is "$?/$(cut -d: -f2 "$T/e")" "1/ 409 email_taken"
ctl account show abc >"$T/o" 2>"$T/e"
check "a bad id is a usage error (exit 2)" is "$?" 2
ctl account frobnicate >"$T/o" 2>"$T/e"
check "an unknown subcommand is a usage error (exit 2)" is "$?" 2
ctl account delete "$IID" >"$T/o"
check "account delete" is "$?/$(cat "$T/o")" "0/account $IID deleted"
ctl audit >"$T/o"
check "audit table, newest first" is "$(sed -n 2p "$T/o" | awk '{print $5}')" account.delete
check "audit names the target" grep -q 'account\.create *account *2 ' "$T/o"
ctl metrics >"$T/o"
check "metrics: Prometheus text" grep -q '^amphi_logins_total{outcome="ok"} 1$' "$T/o"
ctl health >"$T/o"
check "health without a relay: exit 1" is "$?" 1
check "... and says why" grep -q '^relay *unreachable' "$T/o"
ctl raw GET /api/session >"$T/o"
check "raw prints the body" is "$(jq -r .account.email "$T/o")" admin@localhost
ctl --json privacy register >"$T/o"
NCAT=$(jq '.activities | length' "$T/o")
check "privacy register: one activity per section of the policy file but [register]" \
	is "$NCAT" "$(grep -c '^\[' "$RETENTION" | awk '{print $1 - 1}')"
check "... each with where it is enforced" is "$(jq '[.activities[] | select(.enforced_by | length > 10)] | length' "$T/o")" "$NCAT"
check "... and what the deployment left unset" is "$(jq -c .missing "$T/o")" '["dpo"]'
ctl privacy register >"$T/o"
check "... as a table" grep -q '^recording  *1y  *webinar date  *Public task (GDPR art. 6(1)(e))$' "$T/o"
ctl privacy register --md >"$T/o"
check "... --md: a Markdown table" grep -q '^| Category | Purpose | Legal basis | Data subjects |' "$T/o"
check "... with the deployment's legal basis" grep -q '^| recording | .* | Public task (GDPR art. 6(1)(e)) | speakers' "$T/o"
check "... and its controller" grep -q '^- \*\*Controller:\*\* Direction <b>du numérique</b>, dpo@example.gouv.fr$' "$T/o"
# Firefox's Accept for a page; curl's */* and ?format=json stay JSON.
FIREFOX='text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
curl -s -b "$AMPHICTL_COOKIES" -H "Accept: $FIREFOX" -D "$T/h" -o "$T/reg.html" "$URL/api/privacy/register"
check "a browser's Accept gets the register as an HTML page" grep -qi '^content-type: text/html; charset=utf-8' "$T/h"
check "... varying on Accept" grep -qi '^vary: Accept' "$T/h"
check "... the controller's markup escaped" grep -q 'Direction &lt;b&gt;du numérique&lt;/b&gt;' "$T/reg.html"
check "... one row per category" is "$(grep -c '^<tr><td>' "$T/reg.html")" "$NCAT"
check "... ?format=json wins over Accept" sh -c "curl -s -b '$AMPHICTL_COOKIES' -H 'Accept: $FIREFOX' '$URL/api/privacy/register?format=json' | jq -e .activities >/dev/null"
check "... ?format=xml is 400" is "$(curl -s -o /dev/null -w '%{http_code}' -b "$AMPHICTL_COOKIES" "$URL/api/privacy/register?format=xml")" 400
# Privacy requests received by letter: due one month after receipt, overdue first.
ctl --json privacy request add --kind erasure --requester 'Jean Dupont <jean@example.org>' \
	--received "$(date -u -d '40 days ago' +%FT%TZ)" --note 'letter of 40 days ago' >"$T/o"
R1=$(jq -r .id "$T/o")
check "privacy request add: due a month after its receipt, and overdue already" \
	is "$(jq -r '[.state, .overdue, (.due_at < (now | todate))] | map(tostring) | join(",")' "$T/o")" "open,true,true"
ctl --json privacy request add --kind access --requester 'Ana Lima' >"$T/o"
R2=$(jq -r .id "$T/o")
check "... one received today is not" is "$(jq -r .overdue "$T/o")" false
ctl privacy request add --kind forget-me --requester x >"$T/o" 2>"$T/e"
check "... an unknown kind: exit 1, 422 naming it" is "$?/$(cut -d: -f2-3 "$T/e")" "1/ 422 invalid: kind"
ctl privacy request add --kind access --requester x --received 2099-01-01 >"$T/o" 2>"$T/e"
check "... a receipt in the future: 422" grep -q '422 invalid: received_at' "$T/e"
ctl --json privacy requests >"$T/o"
check "privacy requests: the overdue one first, the count of overdue ones" \
	is "$(jq -r '[.requests[0].id, .requests[1].id, .overdue] | map(tostring) | join(",")' "$T/o")" "$R1,$R2,1"
ctl privacy requests >"$T/o"
check "... as a table that says which is late" grep -q "^$R1  *erasure  *open  *OVERDUE" "$T/o"
check "metrics: the open and overdue requests" \
	sh -c "ctl() { '$AMPHI_TOP/tools/amphictl' \"\$@\"; }; ctl metrics | grep -qx 'amphi_privacy_requests_overdue 1' && ctl metrics | grep -qx 'amphi_privacy_requests_open 2'"
ctl --json privacy request fulfil "$R1" --action 'account 12 and its registrations deleted' --receipt '{"deleted":{"accounts":1}}' >"$T/o"
check "privacy request fulfil: closed with the action and the receipt" \
	is "$(jq -c '[.state, .action, .receipt.deleted.accounts]' "$T/o")" '["fulfilled","account 12 and its registrations deleted",1]'
ctl privacy request refuse "$R1" --action again >"$T/o" 2>"$T/e"
check "... once: a closed request is 409" is "$?/$(cut -d: -f2 "$T/e")" "1/ 409 closed"
check "... no longer overdue" sh -c "'$AMPHI_TOP/tools/amphictl' metrics | grep -qx 'amphi_privacy_requests_overdue 0'"
ctl --json privacy requests --open >"$T/o"
check "... and gone from the open list" is "$(jq -c '[.requests[].id]' "$T/o")" "[$R2]"
check "... every change audited, without the requester's name" \
	sh -c "'$AMPHI_TOP/tools/amphictl' --json audit | jq -e '[.entries[].action] | index(\"privacy_request.fulfil\") and index(\"privacy_request.create\")' >/dev/null && ! '$AMPHI_TOP/tools/amphictl' --json audit | grep -q Dupont"
AMPHI_PASSWORD=$OPW ctl --url "$URL" login olga@example.org >"$T/o"
check "login says when the password must change" grep -q 'must be changed first' "$T/o"
AMPHI_PASSWORD=$OPW AMPHI_NEW_PASSWORD='Velvet-Thunder-82-oak' ctl password >"$T/o"
check "password change" is "$?/$(cat "$T/o")" "0/password changed"
ctl whoami >"$T/o"
check "whoami" grep -q '^email *olga@example.org$' "$T/o"
# Webinars and tokens through control-live's endpoints (no relay here).
ctl webinar create --title "Launch day" --start 2030-01-01T10:00:00Z --visibility public --recording on --codec h264 >"$T/o"
check "webinar create" grep -q '^title *Launch day$' "$T/o"
WID=$(awk '$1 == "id" {print $2}' "$T/o")
ctl webinar list >"$T/o"
check "webinar list table" grep -q "^$WID *Launch day *2030-01-01T10:00:00Z *scheduled *public *true *h264" "$T/o"
ctl webinar update "$WID" --title "Launch day 2" --recording off >"$T/o"
check "webinar update" grep -q '^recording *false$' "$T/o"
ctl webinar create --title x --start notatime >"$T/o" 2>"$T/e"
check "webinar create with a bad time: exit 1 with the reason" is "$?/$(cut -d: -f1-3 "$T/e")" "1/amphictl: 422 invalid: start_time"
ctl token speaker "$WID" >"$T/o"
TOK=$(sed -n 's/^publish token (shown once): //p' "$T/o")
check "token speaker prints a 256-bit token once" is "${#TOK}" 43
ctl --json token list "$WID" >"$T/o"
TID=$(jq -r '.tokens[0].id' "$T/o")
check "token list" is "$(jq -r '.tokens[0].role + " " + (.tokens[0].valid|tostring)' "$T/o")" "speaker true"
ctl token revoke "$WID" "$TID" >"$T/o"
check "token revoke" is "$(ctl --json token list "$WID" | jq -r '.tokens[0].valid')" false
ctl webinar start "$WID" >"$T/o" 2>"$T/e"
check "webinar start without a relay: exit 1, 503" is "$?/$(cut -d' ' -f2 "$T/e")" "1/503"
ctl webinar delete "$WID" >"$T/o"
check "webinar delete" is "$(ctl --json webinar list | jq '.webinars | length')" 0

ctl logout >"$T/o"
ctl whoami >"$T/o" 2>&1
check "after logout: exit 1" is "$?" 1
ctl --url http://127.0.0.1:1 account list >"$T/o" 2>&1
check "an unreachable server: exit 3" is "$?" 3

# The static pages: login form, strict CSP, no inline script.
curl -s -D "$T/h" -o "$T/index" "$URL/"
check "GET / serves the login page" grep -q 'id="login-form"' "$T/index"
check "... with Content-Security-Policy default-src 'self'" grep -qi "^content-security-policy: default-src 'self'" "$T/h"
check "... and no inline script" sh -c "! grep -q '<script>' '$T/index'"
check "the script is served" sh -c "curl -sf '$URL/login.js' | grep -q '/api/login'"
check "no path traversal" is "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$URL/../etc/passwd")" 404
check "no hidden files" is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/.git/config")" 404
finish
