#!/usr/bin/env bash
# control_expiry: the retention rules of etc/retention.conf that are not
# end-of-webinar ones (control/expiry.c, control/sweep.c), each both ways —
# not before its deadline, and within a sweep interval (1 s) after it — on
# the real SQLite file and outbox, with the shipped periods:
#   - logs, audit and privacy requests: rows stored with times whose deadline
#     is a few seconds ahead (12mo, 13mo, 12mo, 5y back from it);
#   - accounts: restarts with AMPHI_TIME_OFFSET moved to a few seconds before
#     the warning (12 months less 30 days after the last login), before the
#     deletion, and past 2 years of suspension; the warning mail, the last
#     administrator kept, the outbox's old mails gone;
#   - account states through the admin API: suspended and deactivated cannot
#     log in, a deactivation deletes the account with its sessions, reset
#     tokens, webinars and registrations at once;
#   - the wall clock jumping forward and back (clockshift) deletes nothing early.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"

printf '[control]\nretention_sweep = 1s\n' >"$T/control.conf"
PW='Correct-Horse-42-battery'
export AMPHI_ADMIN_PASSWORD=$PW
ctl_start c1 --config "$T/control.conf" || { fail "amphi-control starts"; finish; }
DB=$T/c1.db
q() { sqlite3 "$DB" "$1"; }
# back T PERIOD: the time PERIOD (GNU date words: "12 months") before epoch T.
back() { date -u -d "$(date -u -d "@$1" '+%Y-%m-%d %H:%M:%S') UTC -$2" +%s; }
fwd() { date -u -d "$(date -u -d "@$1" '+%Y-%m-%d %H:%M:%S') UTC +$2" +%s; }
# before_due EPOCH: sleeps until 0.5 s before that second starts (the
# check that follows is one command: on a loaded machine a few take that long).
before_due() {
	local d=$(($1 * 1000 - $(date +%s%3N) - 500))
	[ "$d" -le 0 ] || sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
}
# late_ms EPOCH: milliseconds from that second's start to now.
late_ms() { echo $(($(date +%s%3N) - $1 * 1000)); }

login admin@localhost "$PW" "$T/admin"
# organizer EMAIL FIRST: an organizer who changed the initial password; sets ID.
organizer() {
	req POST /api/accounts "{\"email\":\"$1\",\"first_name\":\"$2\",\"last_name\":\"Test\"}" "$T/admin"
	ID=$(jqo .id)
	local pw
	pw=$(jqo .initial_password)
	login "$1" "$pw" "$T/$2"
	req POST /api/password "$(jq -nc --arg c "$pw" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/$2"
	[ "$status" = 200 ]
}
check "organizer olga" organizer olga@example.org Olga
OLGA=$ID
check "organizer sam" organizer sam@example.org Sam
SAM=$ID
check "organizer dave" organizer dave@example.org Dave
DAVE=$ID
check "new accounts are active" is "$(jqo .account.state)" active

# --- account states ------------------------------------------------------------
req POST "/api/accounts/$SAM/state" '{"state":"suspended"}' "$T/Olga"
check "an organizer cannot change states (403)" is "$status" 403
req POST "/api/accounts/$SAM/state" '{"state":"suspended"}' "$T/nobody"
check "anonymous: 401" is "$status" 401
req POST "/api/accounts/1/state" '{"state":"suspended"}' "$T/admin"
check "an administrator cannot change their own (409)" is "$status" 409
req POST "/api/accounts/$SAM/state" '{"state":"asleep"}' "$T/admin"
check "an unknown state is 422" is "$status" 422
req POST "/api/accounts/$SAM/state" '{"state":"suspended"}' "$T/admin"
check "sam suspended" is "$status/$(jqo .state)" 200/suspended
req GET /api/session "" "$T/Sam"
check "... his session ended" is "$status" 401
login sam@example.org Purple-Lantern-77-river "$T/Sam"
check "... he cannot log in" is "$status" 401
req POST "/api/accounts/$SAM/state" '{"state":"active"}' "$T/admin"
check "sam reactivated" is "$status/$(jqo .state)" 200/active
login sam@example.org Purple-Lantern-77-river "$T/Sam"
check "... and logs in again" is "$status" 200
req POST "/api/accounts/$SAM/state" '{"state":"suspended"}' "$T/admin"
SUSPENDED_AT=$(q "select suspended_at from accounts where id=$SAM")

# Dave holds a session, a reset token, a webinar with a registration.
req POST /api/webinars '{"title":"Dave talks","start_time":"2030-01-01T09:00:00Z"}' "$T/Dave"
DW=$(jqo .id)
req POST "/api/webinars/$DW/registrations" \
	'{"first_name":"Zoé","last_name":"Martin","email":"zoe@example.org","job_title":"CTO","organization":"ACME","consent":true,"age_15_or_older":true}' "$T/anon"
req POST /api/password/reset-request '{"email":"dave@example.org"}' "$T/anon"
held() {
	q "select (select count(*) from accounts where id=$1)||'/'||(select count(*) from sessions where account_id=$1)
	   ||'/'||(select count(*) from reset_tokens where account_id=$1)||'/'||(select count(*) from webinars where organizer_id=$1)
	   ||'/'||(select count(*) from registrations r join webinars w on w.id=r.webinar_id where w.organizer_id=$1)"
}
check "dave: account, session, reset token, webinar, registration" is "$(held $DAVE)" 1/1/1/1/1
req POST "/api/accounts/$DAVE/state" '{"state":"deactivated"}' "$T/admin"
check "deactivating dave deletes him at once ([account_deactivated] = 0)" is "$status/$(jqo .deleted)" 200/true
check "... with his session, reset token, webinar and its registration" is "$(held $DAVE)" 0/0/0/0/0
check "... and the registrant's email is nowhere in the database" is "$(q "select count(*) from registrations where email like 'zoe%'")" 0
req GET "/api/accounts/$DAVE" "" "$T/admin"
check "... GET is 404" is "$status" 404
check "... audited, without personal values" is \
	"$(q "select group_concat(action||':'||coalesce(detail,''),' ') from audit where target_id=$DAVE and action in ('account.deactivate','account.expire')")" \
	'account.deactivate: account.expire:{"rule":"account_deactivated"}'

# --- logs, audit, privacy requests: deadline 4 s ahead ---------------------------
now=$(date +%s)
due=$((now + 4))
q "insert into connection_logs (at, event, ip) values ($(back $due '12 months'), 'login', '192.0.2.1'), ($(back $((due + 3600)) '12 months'), 'login', '192.0.2.2');
   insert into access_logs (at, ip, method, route, status) values ($(back $due '13 months'), '192.0.2.1', 'GET', '/x', 200), ($(back $((due + 3600)) '13 months'), '192.0.2.2', 'GET', '/x', 200);
   insert into audit (at, actor_role, action) values ($(back $due '12 months'), 'system', 'old.one'), ($(back $((due + 3600)) '12 months'), 'system', 'young.one');
   insert into privacy_requests (kind, requester, received_at, due_at) values ('access', 'A', $(back $due '5 years'), 0), ('access', 'B', $(back $((due + 3600)) '5 years'), 0);
   insert into reset_tokens (account_id, hash, created_at, expires_at) values ($OLGA, randomblob(32), $now - 900, $now - 1), ($OLGA, randomblob(32), $now - 60, $now + 840);
   insert into sessions (account_id, hash, created_at, last_seen_at) values ($OLGA, randomblob(32), $now - 3600, $now - 1801), ($OLGA, randomblob(32), $now - 3600, $now - 60);"
old() {
	q "select (select count(*) from connection_logs where ip='192.0.2.1')+(select count(*) from access_logs where ip='192.0.2.1')
	   +(select count(*) from audit where action='old.one')+(select count(*) from privacy_requests where requester='A')"
}
old_gone() { [ "$(old)" = 0 ]; }
check "4 rows whose 12mo / 13mo / 12mo / 5y are up in 4 s" is "$(old)" 4
before_due "$due"
check "... still there 0.5 s before their deadline" is "$(old)" 4
check "... gone once due" wait_for 5 old_gone
ms=$(late_ms "$due")
check "... within a sweep interval (1 s) after it ($ms ms)" test "$ms" -lt 2500
check "the rows an hour younger stay" is \
	"$(q "select count(*) from connection_logs where ip='192.0.2.2'")/$(q "select count(*) from access_logs where ip='192.0.2.2'")/$(q "select count(*) from audit where action='young.one'")/$(q "select count(*) from privacy_requests where requester='B'")" 1/1/1/1
check "an expired reset token and a session idle for 30 min are gone, the live ones stay" \
	is "$(q "select count(*) from reset_tokens where account_id=$OLGA")/$(q "select group_concat(last_seen_at - $now) from sessions where account_id=$OLGA and created_at = $now - 3600")" 1/-60
check "the sweep's log names counts, no address" bash -c "grep -q 'retention sweep deleted' '$T/c1.log' && ! grep -q '192.0.2' '$T/c1.log'"

# --- inactivity: warning, then deletion (restarts with the clock moved) ----------
LAST=$(q "select last_login_at from accounts where id=$OLGA")
DEADLINE=$(fwd "$LAST" '12 months')
WARN=$(back "$DEADLINE" '30 days')
OLD_MAILS=$(ls "$T/outbox" | wc -l)
kill -TERM "$c1_pid"; wait "$c1_pid" 2>/dev/null
inactive_mails() { grep -lxF "To: <$1>"$'\r' "$T"/outbox/*-inactive.eml 2>/dev/null | wc -l; }
olga_warned() { [ "$(inactive_mails olga@example.org)" = 1 ]; }
gone() { [ "$(held "$1" | cut -d/ -f1)" = 0 ]; }
# restart NAME SECONDS EPOCH: amphi-control whose clock reads EPOCH in SECONDS
# from now; sets DUE, the real time it reads EPOCH.
restart() {
	DUE=$(($(date +%s) + $2))
	AMPHI_TIME_OFFSET=$(($3 - DUE)) ctl_start "$1" --config "$T/control.conf" --db "$DB"
}
check "restart 5 s before olga's warning" restart c2 5 "$WARN"
check "... the mails older than [outbox_mail]'s 7 days are gone ($OLD_MAILS before)" \
	is "$(ls "$T/outbox" | grep -vc inactive)" 0
before_due "$DUE"
check "... no warning 0.5 s before it is due" is "$(q "select count(inactive_warned_at) from accounts where id=$OLGA")" 0
check "the warning goes out once due" wait_for 5 olga_warned
ms=$(late_ms "$DUE")
check "... within a sweep interval after it ($ms ms)" test "$ms" -lt 2500
f=$(grep -lxF "To: <olga@example.org>"$'\r' "$T"/outbox/*-inactive.eml)
check "... it names the day of the deletion" grep -q "^X-Amphi-Deletion: $(date -u -d "@$DEADLINE" +%Y-%m-%dT%H:%M:%SZ)" "$f"
check "... olga is still there" is "$(held $OLGA | cut -d/ -f1)" 1
check "the sole admin is warned too" test "$(inactive_mails admin@localhost)" = 1
kill -TERM "$c2_pid"; wait "$c2_pid" 2>/dev/null

check "restart 5 s before olga's deletion" restart c3 5 "$DEADLINE"
before_due "$DUE"
check "... olga still there 0.5 s before" is "$(q "select count(*) from accounts where id=$OLGA")" 1
check "... not warned again (the first mail left the outbox after its 7 days)" \
	is "$(inactive_mails olga@example.org)/$(q "select count(*) from audit where action='account.expire'")" 0/1
check "olga is deleted once due" wait_for 5 gone "$OLGA"
ms=$(late_ms "$DUE")
check "... within a sweep interval after it ($ms ms)" test "$ms" -lt 2500
check "... audited as account_inactive" is "$(q "select detail from audit where action='account.expire' and target_id=$OLGA")" '{"rule":"account_inactive"}'
check "the last administrator is kept, with a warning in the log" bash -c \
	"[ \"\$(sqlite3 '$DB' 'select count(*) from accounts where id=1')\" = 1 ] && grep -q 'the last administrator' '$T/c3.log'"
check "sam, suspended a year ago, is kept (2 years)" is "$(held $SAM | cut -d/ -f1)" 1
kill -TERM "$c3_pid"; wait "$c3_pid" 2>/dev/null

S_DEADLINE=$(fwd "$SUSPENDED_AT" '2 years')
check "restart 3 s before sam's 2 years of suspension" restart c4 3 "$S_DEADLINE"
before_due "$DUE"
check "... sam still there 0.5 s before" is "$(q "select count(*) from accounts where id=$SAM")" 1
check "... then deleted" wait_for 5 gone "$SAM"
ms=$(late_ms "$DUE")
check "... within a sweep interval after it ($ms ms)" test "$ms" -lt 2500
check "... audited as account_suspended" is "$(q "select detail from audit where action='account.expire' and target_id=$SAM")" '{"rule":"account_suspended"}'
kill -TERM "$c4_pid"; wait "$c4_pid" 2>/dev/null

# --- the wall clock jumps ---------------------------------------------------------
if [ ! -f "$CLOCKSHIFT" ] || ldd "$AMPHI_BIN/amphi-control" | grep -q libasan; then
	echo "clock jump part skipped: no clockshift.so, or an ASan build"
	finish
fi
unset AMPHI_TIME_OFFSET
echo 0 >"$T/clock"
CTL_CLOCK=1 ctl_start c5 --config "$T/control.conf" --db "$DB" || fail "amphi-control starts with clockshift"
now=$(date +%s)
q "insert into connection_logs (at, event, ip) values ($(back $((now + 3600)) '12 months'), 'login', '198.51.100.1')"
clock_ahead 7200
check "a forward jump of 2 h is logged" wait_for 5 grep -q 'WALL CLOCK JUMPED.*jump_s=7' "$T/c5.log"
sleep 3
check "... and a row due in 1 h is kept through 3 sweeps" is "$(q "select count(*) from connection_logs where ip='198.51.100.1'")" 1
clock_ahead -7200
check "the clock back where it was: followed again" wait_for 5 grep -q 'wall clock agrees again' "$T/c5.log"
clock_ahead -3600
now=$(date +%s)
q "insert into connection_logs (at, event, ip) values ($(back $((now + 2)) '12 months'), 'login', '198.51.100.2')"
check "a backward jump of 1 h is logged" wait_for 5 grep -q 'WALL CLOCK JUMPED.*jump_s=-3' "$T/c5.log"
sleep 4
check "... and a row due 2 s later (real time) waits for the wall clock" \
	is "$(q "select count(*) from connection_logs where ip like '198.51.100.%'")" 2
kill -TERM "$c5_pid"; wait "$c5_pid" 2>/dev/null
echo 7200 >"$T/clock"
CTL_CLOCK=1 ctl_start c6 --config "$T/control.conf" --db "$DB" || fail "amphi-control restarts"
check "a restart takes the wall clock (2 h ahead): both rows go at once" \
	is "$(q "select count(*) from connection_logs where ip like '198.51.100.%'")" 0
finish
