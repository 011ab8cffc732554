#!/usr/bin/env bash
# control_shutdown: SIGTERM while clients misbehave.  amphi-control once took
# more than 5 s to exit with a client stuck in the middle of a request body
# and Server-Sent Events streams open.  Here: event streams of participants,
# a request that sent half its body and waits, one that sent half its
# headers, an idle keep-alive connection, and requests in flight (logins:
# Argon2id, two at a time, some running and more queued behind them); then
# SIGTERM must end the process within 2 s, answer every request in flight
# (its result or 503), end the streams, and leave a clean database
# (integrity check, no WAL left over, no viewer still counted).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"

PW='Correct-Horse-42-battery'
AMPHI_ADMIN_PASSWORD=$PW ctl_start c1 || { fail "amphi-control starts"; finish; }
DB=$T/c1.db
login admin@localhost "$PW" "$T/admin"
req POST /api/accounts '{"email":"olga@example.org","first_name":"Olga","last_name":"Petrova"}' "$T/admin"
OPW=$(jqo .initial_password)
login olga@example.org "$OPW" "$T/a"
req POST /api/password "$(jq -nc --arg c "$OPW" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/a"
req POST /api/webinars '{"title":"Shutdown","start_time":"2026-12-01T09:30:00Z"}' "$T/a"
W=$(jqo .id)
check "a webinar to follow" is "$status" 201

NSSE=5
for i in $(seq $NSSE); do
	curl -s -o "$T/reg$i" -H 'Content-Type: application/json' --data-binary \
		"{\"first_name\":\"P\",\"last_name\":\"N$i\",\"email\":\"p$i@example.org\",\"job_title\":\"j\",\"organization\":\"o\",\"consent\":true,\"age_15_or_older\":true}" \
		"$URL/api/webinars/$W/registrations"
	curl -sN -H "Authorization: Bearer $(join_token "p$i@example.org")" "$URL/api/webinars/$W/events" >"$T/sse$i" 2>/dev/null &
	_pids+=($!)
	eval "sse${i}_pid=$!"
done
check "$NSSE event streams open" wait_for 10 bash -c "[ \$(grep -l ': connected' '$T'/sse* | wc -l) = $NSSE ]"
check "... and counted as viewers" wait_for 5 bash -c "[ \"\$(sqlite3 '$DB' 'select current_viewers from webinar_stats where webinar_id=$W')\" = $NSSE ]"

# Half a body: 200 bytes announced, 20 sent, then silence.
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"email":"admin@loc' >&3
# Half the headers.
exec 4<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' >&4
# A chunked upload stalled in the middle of a chunk.
exec 6<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /api/password/reset-request HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n{"email":' >&6
# A finished request on a kept-alive connection.
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&5
# A silent stream still gets a keep-alive comment every 5 s: the server reads
# suspended streams once a second, which is also how a vanished client is noticed.
check "silent streams get keep-alives" wait_for 8 bash -c "[ \$(grep -l ': keep-alive' '$T'/sse* | wc -l) = $NSSE ]"

# Requests in flight: logins of unknown addresses (the same Argon2id work as
# known ones, and no lockout to disturb the checks below).
NFLIGHT=8
for i in $(seq $NFLIGHT); do
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H "Origin: $URL" \
		--data-binary "{\"email\":\"nobody$i@example.org\",\"password\":\"Wrong-Password-$i!\"}" \
		"$URL/api/login" >"$T/flight$i" 2>/dev/null &
	eval "flight${i}_pid=$!"
done
sleep 1.5   # their heads and bodies are in: hashing, queued behind the hashes, or refused

t0=$(date +%s%N)
kill -TERM "$c1_pid"
for _ in $(seq 100); do kill -0 "$c1_pid" 2>/dev/null || break; sleep 0.05; done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "amphi-control exits within 2 s of SIGTERM (${ms} ms)" test "$ms" -lt 2000
wait "$c1_pid" 2>/dev/null
rc=$?
check "... with status 0, after logging 'stopped'" bash -c "[ $rc = 0 ] && grep -q ' stopped' '$T/c1.log'"
ended=0
for i in $(seq $NSSE); do
	p=sse${i}_pid
	wait_for 2 bash -c "! kill -0 ${!p}" && ended=$((ended + 1))
done
check "every event stream ended ($ended of $NSSE)" test "$ended" = "$NSSE"
answered=0
for i in $(seq $NFLIGHT); do
	p=flight${i}_pid
	wait "${!p}"
	case $(cat "$T/flight$i") in 401|429|503) answered=$((answered + 1)) ;; esac
done
echo "  in-flight logins answered: $(for i in $(seq $NFLIGHT); do printf '%s ' "$(cat "$T/flight$i")"; done)"
check "every request in flight was answered, 401 or 503 ($answered of $NFLIGHT)" test "$answered" = "$NFLIGHT"
check "the database passes its integrity check" is "$(sqlite3 "$DB" 'pragma integrity_check')" ok
check "no viewer is still counted" is "$(sqlite3 "$DB" "select current_viewers from webinar_stats where webinar_id=$W")" 0
check "the half-sent login changed nothing (no connection log row for it)" \
	is "$(sqlite3 "$DB" "select count(*) from connection_logs where event like 'login%' and account_id = 1")" 1
exec 3>&- 4>&- 5>&- 6>&-
check "the WAL was checkpointed and removed at close" test ! -s "$DB-wal"
finish
