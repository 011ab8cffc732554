#!/usr/bin/env bash
# control_sse: one webinar, N participants following its event stream over
# real HTTP, two of them chatting: every stream must receive every message
# exactly once and in order, the viewer count must reach N, and the delay
# from a POST to its arrival on all N streams is measured (docs/performance.md).
# A stream that reconnects with Last-Event-ID gets what it missed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built (issue 3): webinars cannot go live without it"
N=${SSE_STREAMS:-200}
M=10

RELAY_SOCK=$T/relay.sock
spawn relay "$AMPHI_BIN/amphi-relay" --workers 1 --port-base 44000 --control "$RELAY_SOCK" \
	--spool "$T/spool" --config "$AMPHI_TOP/etc/relay.conf"
wait_for 10 test -S "$RELAY_SOCK" || { fail "relay starts"; finish; }
export AMPHI_ADMIN_PASSWORD='Correct-Horse-42-battery'
ctl_start c1 || { fail "amphi-control starts"; finish; }

login admin@localhost "$AMPHI_ADMIN_PASSWORD" "$T/admin"
req POST /api/accounts '{"email":"olga@example.org","first_name":"Olga","last_name":"P","role":"organizer"}' "$T/admin"
pw=$(jqo .initial_password)
login olga@example.org "$pw" "$T/o"
req POST /api/password "$(jq -nc --arg c "$pw" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/o"
req POST /api/webinars '{"title":"Town hall","start_time":"2026-12-01T09:00:00Z","visibility":"public"}' "$T/o"
W=$(jqo .id)
req POST "/api/webinars/$W/start" '{}' "$T/o"
check "the webinar is live" is "$status" 200
# One curl for all the joins (one request each, on one kept-alive connection).
joins=()
for ((i = 0; i < N + 2; i++)); do joins+=("$URL/api/webinars/$W/join"); done
curl -s -X POST -H 'Content-Type: application/json' --data-binary '{}' "${joins[@]}" | jq -r .token >"$T/tokens"
check "$((N + 2)) participants joined" is "$(grep -c '^[A-Za-z0-9_-]\{43\}$' "$T/tokens")" $((N + 2))

python3 - "$PORT" "$W" "$T/tokens" "$N" "$M" >"$T/result.json" 2>"$T/python.log" <<'PY'
import json, socket, sys, time, selectors, threading, urllib.request

port, w, tokfile, n, m = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
toks = open(tokfile).read().split()
readers, writers = toks[:n], toks[n:n + 2]
sel = selectors.DefaultSelector()
bufs = {}

def open_stream(tok, last=None):
    s = socket.create_connection(("127.0.0.1", port))
    extra = "Last-Event-ID: %s\r\n" % last if last else ""
    s.sendall(("GET /api/webinars/%s/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
               "%sAccept: text/event-stream\r\n\r\n" % (w, tok, extra)).encode())
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    bufs[s] = {"raw": b"", "msgs": [], "ids": [], "viewers": 0}
    return s

socks = [open_stream(t) for t in readers]
sent = {}

def pump(until):
    while time.time() < until:
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            now = time.time()
            b = bufs[s]
            b["raw"] += data
            while b"\n\n" in b["raw"]:
                frame, b["raw"] = b["raw"].split(b"\n\n", 1)
                ev = {}
                for line in frame.decode("utf-8", "replace").split("\n"):
                    if ":" in line and not line.startswith(":"):
                        k, v = line.split(":", 1)
                        ev[k] = v.strip()
                if ev.get("event") == "chat":
                    d = json.loads(ev["data"])
                    b["msgs"].append((d["text"], now))
                    b["ids"].append(int(ev["id"]))
                elif ev.get("event") == "viewers":
                    b["viewers"] = max(b["viewers"], json.loads(ev["data"])["viewers"])

def pump_until(done, limit, grace):
    """pumps until done() or for limit seconds, then for grace seconds more
    (a frame sent twice arrives within it)."""
    end = time.time() + limit
    while time.time() < end and not done():
        pump(time.time() + 0.05)
    pump(time.time() + grace)

def post(tok, text):
    r = urllib.request.Request("http://127.0.0.1:%d/api/webinars/%s/chat" % (port, w),
                               data=json.dumps({"text": text}).encode(), method="POST",
                               headers={"Content-Type": "application/json", "Authorization": "Bearer " + tok})
    return urllib.request.urlopen(r).status

# Every stream connected and counted: each has seen the viewer count reach n.
pump_until(lambda: all(bufs[s]["viewers"] >= n for s in socks), 10, 0)
codes = []
for i in range(m):
    text = "message %d" % i
    sent[text] = time.time()
    codes.append(post(writers[i % 2], text))
    pump_until(lambda: all(len(bufs[s]["msgs"]) > i for s in socks), 2, 0)
pump(time.time() + 0.5)
delays = sorted(t - sent[x] for s in socks for (x, t) in bufs[s]["msgs"])
order_ok = all([x for (x, _) in bufs[s]["msgs"]] == ["message %d" % i for i in range(m)] for s in socks)
# Reconnect one stream as if it had dropped after the third message.
first = socks[0]
resume_from = bufs[first]["ids"][2]
sel.unregister(first); first.close()
again = open_stream(readers[0], resume_from)
pump_until(lambda: len(bufs[again]["msgs"]) >= m - 3, 2, 0.5)
resumed = [x for (x, _) in bufs[again]["msgs"]]
pct = lambda p: delays[min(len(delays) - 1, int(p * len(delays)))] * 1000 if delays else -1
print(json.dumps({"streams": n, "messages": m, "post_codes": codes,
                  "delivered": len(delays), "in_order": order_ok,
                  "max_viewers_seen": max(b["viewers"] for b in bufs.values()),
                  "resumed": resumed,
                  "delay_ms": {"p50": round(pct(0.5), 1), "p99": round(pct(0.99), 1), "max": round(pct(1.0), 1)}}))
PY
cat "$T/result.json"
R=$T/result.json
check "every chat POST was accepted (201)" is "$(jq -c '.post_codes|unique' "$R")" '[201]'
check "every stream received every message exactly once ($(jq .delivered "$R") of $((N * M)))" is "$(jq .delivered "$R")" $((N * M))
check "... in order" is "$(jq .in_order "$R")" true
check "the viewer count reached $N" test "$(jq .max_viewers_seen "$R")" -ge "$N"
check "a reconnect with Last-Event-ID gets exactly what it missed" \
	is "$(jq -c .resumed "$R")" "$(jq -nc "[range(3; $M) | \"message \\(.)\"]")"
check "every message reached all $N streams within 2 s (p99 $(jq .delay_ms.p99 "$R") ms)" \
	test "$(jq '.delay_ms.max < 2000' "$R")" = true
req GET "/api/webinars/$W/stats" "" "$T/o"
check "stats saw the peak of $N viewers and $N unique joins" \
	is "$(jqo '.peak_viewers >= '"$N"' and .unique_joins >= '"$N")" true
finish
