#!/usr/bin/env bash
# control_file_modes: what amphi-control writes is private to its user, even
# when started with the common umask 022 (issue 11 item 6): the database and
# its -wal and -shm files 0600, the outbox 0700 and every mail in it 0600,
# after a registration (rows in the WAL) and a password-reset mail.  A
# database and an outbox left readable by an older version are made private
# at the next start.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"

umask 022
mode() { stat -c %a "$1"; }
export AMPHI_ADMIN_PASSWORD='Correct-Horse-42-battery'
ctl_start c1 || { fail "amphi-control starts"; finish; }
check "the daemon runs with umask 077" grep -q '^Umask:[[:space:]]*0077$' "/proc/$c1_pid/status"

login admin@localhost "$AMPHI_ADMIN_PASSWORD" "$T/admin"
req POST /api/accounts '{"email":"olga@example.org","first_name":"Olga","last_name":"Petrova","role":"organizer"}' "$T/admin"
OPW=$(jqo .initial_password)
login olga@example.org "$OPW" "$T/olga"
req POST /api/password "$(jq -nc --arg c "$OPW" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/olga"
req POST /api/webinars '{"title":"Modes","start_time":"2030-01-01T09:00:00Z","visibility":"registration","recording":false,"video_codec":"vp8"}' "$T/olga"
W=$(jqo .id)
req POST "/api/webinars/$W/registrations" '{"first_name":"Mia","last_name":"Moreau","email":"mia@example.org","job_title":"CFO","organization":"Acme","phone":"+33 1 23 45 67 89","consent":true,"age_15_or_older":true}' "$T/anon"
check "a registration is stored (202, its join mail in the outbox)" is "$status" 202
req POST /api/password/reset-request '{"email":"admin@localhost"}' "$T/anon"
check "a reset is requested" is "$status" 202
wait_for 10 sh -c "ls '$T'/outbox/*.eml >/dev/null 2>&1" || fail "the reset mail is written"

check "control.db is 0600" is "$(mode "$T/c1.db")" 600
check "control.db-wal is 0600" is "$(mode "$T/c1.db-wal")" 600
check "control.db-shm is 0600" is "$(mode "$T/c1.db-shm")" 600
check "the outbox is 0700" is "$(mode "$T/outbox")" 700
for f in "$T"/outbox/*.eml; do
	check "mail $(basename "$f") is 0600" is "$(mode "$f")" 600
done
check "nothing else in the outbox is readable by others" \
	sh -c "[ -z \"\$(find '$T/outbox' -perm /077)\" ]"

kill -TERM "$c1_pid"
wait_for 10 sh -c "! kill -0 $c1_pid 2>/dev/null"
chmod 0644 "$T/c1.db"
chmod 0755 "$T/outbox"
ctl_start c1 || { fail "amphi-control starts again"; finish; }
req GET /healthz
check "a database left 0644 by an older version is 0600 after the start" is "$(mode "$T/c1.db")" 600
check "... and so are its -wal and -shm" is "$(mode "$T/c1.db-wal")/$(mode "$T/c1.db-shm")" 600/600
check "an outbox left 0755 is 0700 after the start" is "$(mode "$T/outbox")" 700
finish
