#!/usr/bin/env bash
# control_sse_scale: a large webinar's audience on Server-Sent Events.  2000
# participants of a public webinar (each with its own join token) hold their
# event streams open at once (bin/amphi-sse-load: one epoll thread); one chat
# message posted once must reach all 2000.  Measured on amphi-control itself:
# its threads (must not grow with the streams), its resident memory per
# stream, the delivery latency, then SIGTERM with every stream open (exit
# within 2 s, no viewer left counted).  Numbers in docs/performance.md.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v sqlite3 >/dev/null || skip "the sqlite3 command is not installed"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built: webinars cannot go live without it"
[ -x "$AMPHI_BIN/amphi-sse-load" ] || skip "bin/amphi-sse-load is not built"
N=${SSE_CLIENTS:-2000}
ulimit -n $((N + 1024)) 2>/dev/null || skip "cannot raise the open-file limit to $((N + 1024)) (ulimit -Hn: $(ulimit -Hn))"

RELAY_SOCK=$T/relay.sock
spawn relay "$AMPHI_BIN/amphi-relay" --workers 1 --port-base 45000 --control "$RELAY_SOCK" \
	--spool "$T/spool" --config "$AMPHI_TOP/etc/relay.conf"
wait_for 10 test -S "$RELAY_SOCK" || { fail "relay starts"; finish; }
PW='Correct-Horse-42-battery'
AMPHI_ADMIN_PASSWORD=$PW ctl_start c1 || { fail "amphi-control starts"; finish; }
DB=$T/c1.db
login admin@localhost "$PW" "$T/admin"
req POST /api/accounts '{"email":"olga@example.org","first_name":"Olga","last_name":"Petrova"}' "$T/admin"
OPW=$(jqo .initial_password)
login olga@example.org "$OPW" "$T/a"
req POST /api/password "$(jq -nc --arg c "$OPW" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/a"
req POST /api/webinars '{"title":"Keynote","start_time":"2026-12-01T09:30:00Z","visibility":"public"}' "$T/a"
W=$(jqo .id)
req POST "/api/webinars/$W/start" '{}' "$T/a"
check "a live public webinar" is "$status" 200

# N public joins, 32 at a time, one join token each.
mkdir -p "$T/joins"
for i in $(seq "$N"); do
	# "next": each transfer its own options (data would add up otherwise).
	[ "$i" = 1 ] || echo next
	printf 'url = "%s/api/webinars/%s/join"\nheader = "Content-Type: application/json"\ndata = "{}"\noutput = "%s/joins/%s"\n' \
		"$URL" "$W" "$T" "$i"
done >"$T/joins.cfg"
t0=$(date +%s%N)
curl -s --parallel --parallel-max 32 -K "$T/joins.cfg" 2>/dev/null
cat "$T"/joins/* | jq -r .token >"$T/tokens"
join_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "$N join tokens (${join_ms} ms)" is "$(sort -u "$T/tokens" | grep -c '^[A-Za-z0-9_-]\{43\}$')" "$N"

pid=$c1_pid
threads() { awk '/^Threads:/ {print $2}' "/proc/$pid/status"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
thr0=$(threads) rss0=$(rss_kb)

t0=$(date +%s%N)
"$AMPHI_BIN/amphi-sse-load" --port "$PORT" --path "/api/webinars/$W/events" --tokens "$T/tokens" \
	--clients "$N" --marker '"text":"one message for all"' --timeout 90 --ready "$T/ready" >"$T/load.json" 2>"$T/load.err" &
load=$!
_pids+=($load)
wait_for 90 test -s "$T/ready"
open_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "all $N streams open at once (in ${open_ms} ms)" is "$(cat "$T/ready" 2>/dev/null)" "$N"
check "... and amphi-control counts $N viewers" \
	wait_for 10 bash -c "[ \"\$(sqlite3 '$DB' 'select current_viewers from webinar_stats where webinar_id=$W')\" = $N ]"
sleep 2   # let the viewers frames settle, then measure at rest
thr1=$(threads) rss1=$(rss_kb)
per_stream=$(( (rss1 - rss0) * 1024 / N ))
echo "threads: $thr0 before, $thr1 with $N streams; RSS: ${rss0} kB before, ${rss1} kB with (${per_stream} B per stream)"
check "threads do not grow with the streams ($thr0 -> $thr1)" test "$thr1" -le $((thr0 + 2))
# CPU of amphi-control over 5 s with every stream idle (the once-a-second
# tick reads each one): utime + stime in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
c0=$(cpu)
sleep 5
idle_pct=$(( ($(cpu) - c0) * 100 / $(getconf CLK_TCK) / 5 ))
echo "idle CPU with $N streams: ${idle_pct}% of one core"
check "idle streams cost little CPU (${idle_pct}% of a core, bound 25%)" test "$idle_pct" -lt 25
# AddressSanitizer's redzones and quarantine multiply memory: no bound there.
if nm -D "$AMPHI_BIN/amphi-control" 2>/dev/null | grep -q __asan_init; then
	echo "resident memory per stream not judged: amphi-control runs under AddressSanitizer"
else
	check "resident memory per open stream stays under 64 KiB (${per_stream} B)" test "$per_stream" -lt 65536
fi

# One chat message, posted once by the organizer.
t_post=$(date +%s%N)
req POST "/api/webinars/$W/chat" '{"text":"one message for all"}' "$T/a"
check "the organizer posts one message" is "$status" 201
wait "$load"
load_rc=$?
cat "$T/load.json"
check "every one of the $N streams received it" is "$load_rc/$(jq -r .received "$T/load.json")" "0/$N"
[ "$load_rc" = 0 ] || { finish; }   # no latency to speak of
p50=$(( ($(jq -r .p50_ns "$T/load.json") - t_post) / 1000000 ))
p99=$(( ($(jq -r .p99_ns "$T/load.json") - t_post) / 1000000 ))
last=$(( ($(jq -r .last_ns "$T/load.json") - t_post) / 1000000 ))
echo "delivery after the POST: p50 ${p50} ms, p99 ${p99} ms, last ${last} ms (includes curl's own start)"
check "the last stream had it within 2 s of the POST (${last} ms)" test "$last" -ge 0 -a "$last" -lt 2000

# SIGTERM with every stream open (the load client stays connected).
"$AMPHI_BIN/amphi-sse-load" --port "$PORT" --path "/api/webinars/$W/events" --tokens "$T/tokens" \
	--clients "$N" --marker 'never-sent' --timeout 60 --ready "$T/ready2" >/dev/null 2>&1 &
_pids+=($!)
wait_for 90 test -s "$T/ready2"
check "$N streams open again" is "$(cat "$T/ready2")" "$N"
t0=$(date +%s%N)
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
stop_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "SIGTERM with $N open streams: exit within 2 s (${stop_ms} ms)" test "$stop_ms" -lt 2000
check "... no viewer left counted" is "$(sqlite3 "$DB" "select current_viewers from webinar_stats where webinar_id=$W")" 0
{
	echo "sse_scale streams=$N threads_before=$thr0 threads_with=$thr1 rss_before_kb=$rss0 rss_with_kb=$rss1"
	echo "sse_scale bytes_per_stream=$per_stream idle_cpu_pct=$idle_pct open_ms=$open_ms p50_ms=$p50 p99_ms=$p99 last_ms=$last stop_ms=$stop_ms"
} | tee -a "${AMPHI_PERF_LOG:-/dev/null}"
finish
