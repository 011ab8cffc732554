#!/usr/bin/env bash
# Bootstrap admin -> change password -> create organizer -> organizer logs in
# and changes password; admin CRUD, audit, scripted bootstraps.  Real
# amphi-control over real HTTP (curl).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"

ctl_start c1 || { fail "amphi-control starts"; finish; }
PW=$(sed -n 's/.*One-time password (change it at first login): //p' "$T/c1.log")
check "first start prints a one-time admin password" test -n "$PW"
check "the password appears exactly once in the output" is "$(grep -c -F -- "$PW" "$T/c1.log")" 1
check "the password is not stored in clear" test "$(grep -c -F -- "$PW" "$T"/c1.db* 2>/dev/null | awk -F: '{s+=$2} END {print s+0}')" = 0

login admin@localhost "$PW"
check "admin logs in with the one-time password" is "$status" 200
check "login says the password must change" is "$(jqo .must_change_password)" true
req GET /api/accounts
check "anything else is 403 must_change_password" is "$status/$(jqo .error)" 403/must_change_password

req POST /api/password "$(jq -nc --arg c "$PW" '{current_password:$c,new_password:"short"}')"
check "a weak new password is 422 with reasons" is "$status/$(jqo '.error')" 422/weak_password
req POST /api/password '{"current_password":"wrong-wrong-wrong","new_password":"Correct-Horse-42-battery"}'
check "a wrong current password is refused" is "$status/$(jqo .error)" 403/wrong_password
cp "$T/jar" "$T/old-jar"
ADMIN_PW='Correct-Horse-42-battery'
req POST /api/password "$(jq -nc --arg c "$PW" --arg n "$ADMIN_PW" '{current_password:$c,new_password:$n}')"
check "the admin changes the password" is "$status/$(jqo .must_change_password)" 200/false
req GET /api/session "" "$T/old-jar"
check "the session is rotated: the old cookie is dead" is "$status" 401
req GET /api/accounts
check "the admin now lists accounts" is "$status/$(jqo '.accounts|length')" 200/1
login admin@localhost "$PW"
check "the one-time password no longer works" is "$status" 401

req POST /api/accounts '{"email":"Olga.Organizer@Example.org","first_name":"Olga","last_name":"Petrova","phone":"+33 1 23 45 67 89","address":"1 rue de la Paix, Paris","company":"ACME","job_title":"Trainer"}'
check "admin creates an organizer (201)" is "$status" 201
OID=$(jqo .id) OPW=$(jqo .initial_password)
check "creation returns the initial password once" test -n "$OPW" -a "$OPW" != null
check "the organizer must change it" is "$(jqo .must_change_password)/$(jqo .role)" true/organizer
req GET "/api/accounts/$OID"
check "show does not include any password" is "$(jqo 'has("initial_password") or has("password_hash")')" false
check "show returns every field" is "$(jqo '[.email,.first_name,.last_name,.phone,.address,.company,.job_title]|join("|")')" \
	"Olga.Organizer@Example.org|Olga|Petrova|+33 1 23 45 67 89|1 rue de la Paix, Paris|ACME|Trainer"
req POST /api/accounts '{"email":"olga.organizer@example.ORG","first_name":"O","last_name":"P"}'
check "email is unique case-insensitively (409)" is "$status/$(jqo .error)" 409/email_taken
req POST /api/accounts '{"email":"not an email","first_name":"","nickname":"x"}'
check "invalid fields are listed (422)" is "$status/$(jqo '[.detail[].field]|sort|join(",")')" 422/email,first_name,last_name,nickname
check "nothing was created by bad requests" is "$(req GET /api/accounts; jqo '.accounts|length')" 2

login olga.organizer@example.org "$OPW" "$T/ojar"
check "the organizer logs in (email case-insensitive)" is "$status/$(jqo .must_change_password)" 200/true
req POST /api/password "$(jq -nc --arg c "$OPW" '{current_password:$c,new_password:"Olga-Lantern-2026!x"}')" "$T/ojar"
check "a new password containing the name is refused" is "$status/$(jqo '[.detail[].rule]|join(",")')" 422/contains_name
req POST /api/password "$(jq -nc --arg c "$OPW" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/ojar"
check "the organizer changes the password" is "$status" 200
req GET /api/accounts "" "$T/ojar"
check "an organizer cannot list accounts (403)" is "$status/$(jqo .error)" 403/forbidden
req GET /api/session "" "$T/ojar"
check "the organizer's session works" is "$status/$(jqo .account.role)" 200/organizer

req PATCH "/api/accounts/$OID" '{"job_title":"Head trainer","phone":null}'
check "admin updates an account" is "$status/$(jqo .job_title)/$(jqo .phone)" "200/Head trainer/null"
req PATCH "/api/accounts/$OID" '{"email":"admin@LOCALHOST"}'
check "update to a taken email is 409" is "$status" 409
req PATCH "/api/accounts/$OID" '{}'
check "an empty update is 422" is "$status" 422
req GET /api/accounts/999
check "unknown account is 404" is "$status" 404
req GET /api/accounts/abc
check "non-numeric id is 404" is "$status" 404

req GET /api/audit
check "the audit log records the actions" is "$(jqo '[.entries[].action]|reverse|join(",")')" \
	"account.bootstrap,password.change,account.create,password.change,account.update"
check "audit entries name the actor and target, not personal data" \
	is "$(jqo '.entries[0] | "\(.actor_role) \(.actor_id) \(.target_type) \(.target_id)"') $(grep -c -i olga "$T/out")" "admin 1 account $OID 0"
req GET /api/audit "" "$T/ojar"
check "organizers cannot read the audit log" is "$status" 403

req DELETE "/api/accounts/$OID"
check "admin deletes the organizer (204)" is "$status" 204
req GET /api/session "" "$T/ojar"
check "the deleted organizer's session is gone" is "$status" 401
req DELETE /api/accounts/1
check "an admin cannot delete their own account" is "$status" 409
req POST /api/logout
check "logout (204)" is "$status" 204
req GET /api/accounts
check "after logout the cookie is useless" is "$status" 401
check "logs carry no passwords" sh -c "! grep -q -F -e '$ADMIN_PW' -e 'Purple-Lantern' '$T/c1.log'"

# Scripted bootstraps, both daemons starting side by side.
printf 'Tr0ub4dor&3-plus-more\n' >"$T/pwfile"
AMPHI_ADMIN_EMAIL=ops@example.org AMPHI_ADMIN_PASSWORD='Seven words make a decent passphrase indeed' ctl_spawn c2
ctl_spawn c3 --admin-password-file "$T/pwfile"
ctl_ready c2
check "AMPHI_ADMIN_PASSWORD: no password printed" sh -c "! grep -q 'One-time password' '$T/c2.log'"
login ops@example.org 'Seven words make a decent passphrase indeed' "$T/jar2"
check "AMPHI_ADMIN_PASSWORD: not flagged for change" is "$status/$(jqo .must_change_password)" 200/false
ctl_ready c3
login admin@localhost 'Tr0ub4dor&3-plus-more' "$T/jar3"
check "--admin-password-file sets the password" is "$status/$(jqo .must_change_password)" 200/false
AMPHI_ADMIN_PASSWORD='admin@localhost1A!' "$AMPHI_BIN/amphi-control" --listen 127.0.0.1:0 --db "$T/c4.db" \
	--relay "$T/r.sock" --outbox "$T/outbox" --retention "$AMPHI_TOP/etc/retention.conf" >"$T/c4.log" 2>&1
check "a weak AMPHI_ADMIN_PASSWORD stops the start" test $? != 0
check "... with the reasons" grep -q 'contains_email' "$T/c4.log"
check "bad AMPHI_ADMIN_EMAIL stops the start" sh -c "AMPHI_ADMIN_EMAIL='a b@c' '$AMPHI_BIN/amphi-control' --listen 127.0.0.1:0 --db '$T/c5.db' --outbox '$T/outbox' --retention '$AMPHI_TOP/etc/retention.conf' 2>&1 | grep -q 'not a valid email'"

kill -TERM "$c1_pid"
check "SIGTERM: clean exit" wait_for 10 sh -c "! kill -0 $c1_pid 2>/dev/null"
check "SIGTERM: logged" grep -q 'info control stopped' "$T/c1.log"
finish
