#!/usr/bin/env bash
# control_unended: webinars nobody ends are ended by the retention sweep
# ([webinar_unended], control/sweep.c), so their end-of-webinar deletions
# happen.  The test's policy: 3 s after the start time for one never
# started, 3 s without media for a live one (retention_sweep = 1s).
#   - scheduled, never started: still scheduled 0.5 s before, ended within a
#     sweep interval after, its registrant's identity and phone gone;
#   - live with no publisher: ended 3 to 3 + 2 sweep intervals after it went
#     live, its relay stream deleted;
#   - live with a real ffmpeg publisher: stays live while media flows (7 s,
#     more than twice its 3 s), ended within 3 s + 2 intervals once it stops;
#   - an administrator deleting an organizer with a live webinar: the webinar
#     is ended first (its relay stream deleted), as the retention rules do.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
for t in jq sqlite3 ffmpeg socat; do command -v $t >/dev/null || skip "$t is not installed"; done
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built: webinars cannot go live without it"

RELAY_SOCK=$T/relay.sock
spawn relay "$AMPHI_BIN/amphi-relay" --workers 1 --port-base 44100 --control "$RELAY_SOCK" \
	--spool "$T/spool" --config "$AMPHI_TOP/etc/relay.conf"
wait_for 10 test -S "$RELAY_SOCK" || { fail "relay starts"; finish; }
relay_streams() { jq -c . <<<'{"cmd":"stream.list"}' | socat -t5 - "UNIX-CONNECT:$RELAY_SOCK" | jq -r '[.streams[].id]|join(",")'; }

awk '/^\[/ { sec = $0 } sec == "[webinar_unended]" && /^retention/ { $0 = "retention   = 3s" }
     sec == "[webinar_unended]" && /^live_idle/ { $0 = "live_idle   = 3s" } { print }' \
	"$AMPHI_TOP/etc/retention.conf" >"$T/retention.conf"
check "test policy: 3s and 3s" is "$(grep -c '= 3s$' "$T/retention.conf")" 2
printf '[control]\nretention_sweep = 1s\n' >"$T/control.conf"
PW='Correct-Horse-42-battery'
AMPHI_ADMIN_PASSWORD=$PW RETENTION=$T/retention.conf ctl_start c1 --config "$T/control.conf" ||
	{ fail "amphi-control starts"; finish; }
DB=$T/c1.db
q() { sqlite3 "$DB" "$1"; }
state() { q "select state from webinars where id=$1"; }
ended() { [ "$(state "$1")" = ended ]; }
# before_due EPOCH: sleeps until 0.5 s before that second starts.
before_due() {
	local d=$(($1 * 1000 - $(date +%s%3N) - 500))
	[ "$d" -le 0 ] || sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
}
late_ms() { echo $(($(date +%s%3N) - $1 * 1000)); }

login admin@localhost "$PW" "$T/admin"
req POST /api/accounts '{"email":"olga@example.org","first_name":"Olga","last_name":"Petrova"}' "$T/admin"
OPW=$(jqo .initial_password)
login olga@example.org "$OPW" "$T/a"
req POST /api/password "$(jq -nc --arg c "$OPW" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/a"
check "organizer ready" is "$status" 200

# --- never started -------------------------------------------------------------------
req POST /api/webinars "{\"title\":\"Forgotten\",\"start_time\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}" "$T/a"
W1=$(jqo .id)
req POST "/api/webinars/$W1/registrations" \
	'{"first_name":"Zoé","last_name":"Martin","email":"zoe@example.org","job_title":"CTO","organization":"ACME","phone":"+33 1 23 45 67 89","consent":true,"age_15_or_older":true}' "$T/anon"
check "a registrant with a phone" is "$(q "select count(phone) from registrations where webinar_id=$W1")" 1
due=$(($(q "select max(starts_at, updated_at) from webinars where id=$W1") + 3))
before_due "$due"
check "never started: still scheduled 0.5 s before its 3 s" is "$(state $W1)" scheduled
check "... then ended by the sweep" wait_for 5 ended "$W1"
ms=$(late_ms "$due")
check "... within a sweep interval after ($ms ms)" test "$ms" -lt 2500
check "... its registrant's identity and phone are gone" \
	is "$(q "select count(*) from registrations where webinar_id=$W1 and coalesce(first_name,last_name,email,job_title,organization,phone) is null and identity_erased_at is not null")" 1
check "... audited as the system's, with the reason" \
	is "$(q "select actor_role||' '||json_extract(detail,'\$.reason') from audit where action='webinar.end' and target_id=$W1")" "system never_started"

# --- live, nobody publishing -------------------------------------------------------------
req POST /api/webinars '{"title":"Silent","start_time":"2030-01-01T09:00:00Z"}' "$T/a"
W2=$(jqo .id)
req POST "/api/webinars/$W2/start" '{}' "$T/a"
check "a live webinar with no publisher" is "$status/$(relay_streams)" "200/webinar-$W2"
live_at=$(q "select started_at from webinars where id=$W2")
before_due $((live_at + 3))
check "... still live 2.5 s after its start" is "$(state $W2)" live
check "... ended after 3 s without media" wait_for 6 ended "$W2"
ms=$(late_ms "$live_at")
check "... within 3 s + 2 sweep intervals of its start ($ms ms)" test "$ms" -lt 6500
check "... its relay stream is gone, the audit says why" \
	is "$(relay_streams)/$(q "select json_extract(detail,'\$.reason') from audit where action='webinar.end' and target_id=$W2")" /no_media

# --- live, a real publisher ------------------------------------------------------------------
req POST /api/webinars '{"title":"Busy","start_time":"2030-01-01T09:00:00Z"}' "$T/a"
W3=$(jqo .id)
req POST "/api/webinars/$W3/speakers" '{}' "$T/a"
S=$(jqo .token)
req POST "/api/webinars/$W3/start" '{}' "$T/a"
check "webinar 3 live" is "$status" 200
status=$(curl -s -o "$T/ingest" -w '%{http_code}' -X POST -H "Authorization: Bearer $S" \
	-H 'Content-Type: application/json' --data-binary '{}' "$URL/api/webinars/$W3/ingest/srtp")
check "the speaker gets the ingest" is "$status" 200
VPORT=$(jq -r '.tracks[] | select(.kind == "video") | .port' "$T/ingest")
KEY=$(jq -r .key "$T/ingest")
ffmpeg -hide_banner -nostdin -loglevel warning -re -f lavfi -i testsrc2=size=160x120:rate=15 -t 7 \
	-c:v libvpx -deadline realtime -b:v 200k -payload_type 96 -f rtp \
	-srtp_out_suite AES_CM_128_HMAC_SHA1_80 -srtp_out_params "$KEY" \
	"srtp://127.0.0.1:$VPORT?rtcpport=$VPORT&pkt_size=1200" >"$T/pub.log" 2>&1
check "ffmpeg published 7 s" test $? = 0
stop_at=$(date +%s)
check "... the webinar stayed live all along (7 s > 3 s idle)" is "$(state $W3)" live
check "... ended once the media stopped for 3 s" wait_for 7 ended "$W3"
ms=$(late_ms "$stop_at")
check "... within 3 s + 2 sweep intervals ($ms ms)" test "$ms" -lt 6500
# --- an account deleted with a live webinar: it ends first ------------------------------------
req POST /api/accounts '{"email":"max@example.org","first_name":"Max","last_name":"Weber"}' "$T/admin"
MAX=$(jqo .id) MPW=$(jqo .initial_password)
login max@example.org "$MPW" "$T/m"
req POST /api/password "$(jq -nc --arg c "$MPW" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/m"
req POST /api/webinars '{"title":"Max live","start_time":"2030-01-01T09:00:00Z"}' "$T/m"
W4=$(jqo .id)
req POST "/api/webinars/$W4/start" '{}' "$T/m"
check "max's webinar is live on the relay" is "$status/$(relay_streams)" "200/webinar-$W4"
req DELETE "/api/accounts/$MAX" "" "$T/admin"
check "the admin deletes max (204)" is "$status" 204
check "... his live webinar was ended first: the relay stream is gone" is "$(relay_streams)" ""
check "... audited as the admin's account.delete" \
	is "$(q "select actor_role||' '||action from audit where target_id=$MAX and action like 'account.%' order by id desc limit 1")" "admin account.delete"
check "the logs name no person" bash -c "! grep -Eqi 'zoe|martin|acme|\\+33' '$T/c1.log'"
finish
