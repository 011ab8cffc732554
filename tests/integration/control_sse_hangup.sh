#!/usr/bin/env bash
# control_sse_hangup: event-stream clients that leave.  Their sockets used to
# stay open (CLOSE-WAIT) until the next keep-alive comment, up to 5 s later,
# and each departure logged a warning (27,316 in 8 minutes of churn).  Here
# participants open streams and hang up; within a second the server must have
# closed each socket (ss, in this test's own network namespace), and the log
# must hold a debug line per departure and no warning at all.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v ss >/dev/null || skip "ss (iproute2) is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

PW='Correct-Horse-42-battery'
AMPHI_LOG=debug AMPHI_ADMIN_PASSWORD=$PW ctl_start c1 || { fail "amphi-control starts"; finish; }
login admin@localhost "$PW" "$T/admin"
req POST /api/accounts '{"email":"olga@example.org","first_name":"Olga","last_name":"Petrova"}' "$T/admin"
OPW=$(jqo .initial_password)
login olga@example.org "$OPW" "$T/o"
req POST /api/password "$(jq -nc --arg c "$OPW" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/o"
req POST /api/webinars '{"title":"Churn","start_time":"2026-12-01T09:30:00Z","visibility":"public"}' "$T/o"
W=$(jqo .id)
check "a public webinar" is "$status" 201 || finish
N=6
for i in $(seq $N); do
	req POST "/api/webinars/$W/join" '{}' "$T/none"
	jqo .token >>"$T/tokens"
done
check "$N participants joined" is "$(grep -c '^[A-Za-z0-9_-]\{43\}$' "$T/tokens")" $N

# Sockets on the server's side of its port that are not LISTEN: open
# connections, or ones the client closed and the server not yet.
server_socks() { ss -Htn state all "( sport = :$PORT )" | grep -vc LISTEN; }

# Each client opens its stream, waits for the server's first line, then
# closes; the script reports how long the server took to close its side.
python3 - "$PORT" "$W" "$T/tokens" >"$T/hangup.json" 2>"$T/python.log" <<'PY'
import json, socket, subprocess, sys, time
port, w, toks = int(sys.argv[1]), sys.argv[2], open(sys.argv[3]).read().split()

def server_side(cport):
    out = subprocess.run(["ss", "-Htn", "state", "all", "( sport = :%d and dport = :%d )" % (port, cport)],
                         capture_output=True, text=True).stdout
    return out.split()[0] if out.strip() else None

res = []
for tok in toks:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("GET /api/webinars/%s/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
               "Accept: text/event-stream\r\n\r\n" % (w, tok)).encode())
    got = b""
    s.settimeout(5)
    while b": connected" not in got:
        more = s.recv(4096)
        if not more:
            sys.exit("stream closed before its first line: %r" % got)
        got += more
    cport = s.getsockname()[1]
    time.sleep(0.3)
    s.close()
    t0 = time.time()
    state = server_side(cport)
    while state is not None and time.time() - t0 < 8:
        time.sleep(0.02)
        state = server_side(cport)
    res.append({"closed_after_ms": round((time.time() - t0) * 1000), "left": state})
print(json.dumps(res))
PY
cat "$T/hangup.json"
check "every stream was opened and closed ($N)" is "$(jq length "$T/hangup.json" 2>/dev/null)" $N
check "the server closed every departed client's socket within 1 s" \
	is "$(jq '[.[] | select(.left != null or .closed_after_ms >= 1000)] | length' "$T/hangup.json")" 0
check "no connection is left on the server's port" wait_for 2 test "$(server_socks)" = 0
check "each departure is a debug line" \
	is "$(grep -c 'debug control event stream client left' "$T/c1.log")" $N
check "and no warning was logged" sh -c "! grep -E '^[^ ]+ (warn|error) ' '$T/c1.log'"
grep -E '^[^ ]+ (warn|error) ' "$T/c1.log" | head -n 5
finish
