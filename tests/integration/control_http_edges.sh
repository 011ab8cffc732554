#!/usr/bin/env bash
# control_http_edges: the request heads amphi-control must refuse itself
# (RFC 9110/9112; control/http_head.h), over curl and over raw sockets for
# what curl never sends.  Each refusal comes at once, before any body byte is
# read, as exactly one answer (no "100 Continue" first), and the connection
# is closed after it.  And the CSRF check trusts public_origin only, never
# the request's own Host (a rebound DNS name would pass that).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

printf '[control]\nmax_body = 4096\n' >"$T/c1.conf"
ADMIN='Sentinel-Harbor-99!x'
AMPHI_ADMIN_PASSWORD=$ADMIN ctl_start c1 --config "$T/c1.conf" || { fail "amphi-control starts"; finish; }
login admin@localhost "$ADMIN"
check "admin logs in" is "$status" 200

# raw NAME HEAD: sends HEAD (printf escapes) and nothing else, then reads for
# up to 3 s.  Prints "<status lines> <status codes> <ms until closed or 'open'>"
# (statuses joined by '+', "100+413" for two answers).
raw() {
	python3 - "$PORT" "$1" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
s.settimeout(3)
t0, got, closed = time.time(), b"", None
try:
    while True:
        d = s.recv(65536)
        if not d:
            closed = round((time.time() - t0) * 1000)
            break
        got += d
except (socket.timeout, ConnectionResetError):
    pass
codes = [l.split()[1].decode() for l in got.split(b"\r\n") if l.startswith(b"HTTP/1.")]
print(len(codes), "+".join(codes) or "-", closed if closed is not None else "open")
PY
}
# answered_once WHAT EXPECTED-STATUS RESULT: one answer of that status, and
# the connection closed within 1 s of the request.
answered_once() {
	local n codes ms
	read -r n codes ms <<<"$3"
	echo "  $1: $n answer(s) $codes, closed after $ms ms"
	[ "$n" = 1 ] && [ "$codes" = "$2" ] && [ "$ms" != open ] && [ "$ms" -lt 1000 ]
}

H='Host: 127.0.0.1\r\nContent-Type: application/json\r\n'
# --- a declared body above max_body: 413 before reading it ---------------------------
r=$(raw "POST /api/login HTTP/1.1\r\n${H}Content-Length: 100000\r\n\r\n")
check "Content-Length above max_body, no body sent: 413 at once" answered_once "413" 413 "$r"
r=$(raw "POST /api/login HTTP/1.1\r\n${H}Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
check "... with Expect: 100-continue: 413 only, no 100 Continue" answered_once "413+Expect" 413 "$r"
r=$(raw "POST /api/login HTTP/1.1\r\n${H}Content-Length: 3000\r\nExpect: 100-continue\r\n\r\n")
read -r _ codes _ <<<"$r"
check "a body within the limit still gets 100 Continue ($codes)" is "${codes%%+*}" 100
head -c 3000000 /dev/zero >"$T/big"
curl -s -D "$T/h" -o "$T/out" -w '%{http_code}' -H "Origin: $URL" -H 'Content-Type: application/json' \
	-H 'Expect: 100-continue' --data-binary @"$T/big" "$URL/api/login" >"$T/st"
check "curl, a 3 MB body with Expect: one answer, 413" \
	is "$(cat "$T/st")/$(grep -c '^HTTP/' "$T/h")/$(jqo .error)" 413/1/body_too_large
curl -s -D "$T/h" -o "$T/out" -w '%{http_code}' -H "Origin: $URL" -H 'Content-Type: application/json' \
	-H 'Expect:' --data-binary @"$T/big" "$URL/api/login" >"$T/st"
check "curl, a 3 MB body without Expect: 413" is "$(cat "$T/st")/$(grep -c '^HTTP/' "$T/h")" 413/1

# --- framing that two parsers could read differently: 400 ------------------------------
r=$(raw "POST /api/login HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
check "Content-Length with Transfer-Encoding: 400" answered_once CL+TE 400 "$r"
r=$(raw "POST /api/login HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\n{}")
check "two Content-Length fields: 400" answered_once CL+CL 400 "$r"
r=$(raw "POST /api/login HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n")
check "a last transfer coding other than chunked: 400" answered_once TE:gzip 400 "$r"
r=$(raw "GET /healthz HTTP/1.1\r\n\r\n")
check "HTTP/1.1 without Host: 400" answered_once no-Host 400 "$r"
r=$(raw "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: $(head -c 40000 /dev/zero | tr '\0' a)\r\n\r\n")
check "a head too large for the server: 431 once" answered_once huge-head 431 "$r"

# --- control bytes in the target: 400 (a %00 used to cut the path short) --------------
for t in '/api/webinars%00/1' '/index.html%00.png' '/healthz%0a' '/api/session%7F' '/healthz?x=%00'; do
	st=$(curl -s -o "$T/out" -w '%{http_code}' -b "$T/jar" "$URL$t")
	check "GET $t: 400 bad_request" is "$st/$(jqo .error)" 400/bad_request
done
check "... a plain %41 is still fine" is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz%41")" 404
check "... and the server still answers" is "$(curl -s -o /dev/null -w '%{http_code}' "$URL/")" 200

# --- CSRF: public_origin only, never the request's Host ---------------------------------
body='{"email":"csrf@example.org","first_name":"C","last_name":"S"}'
# curl matches cookies against a Host it is given: the session cookie goes by hand.
SID=$(awk '$6 == "amphi_session" { print $7 }' "$T/jar")
st=$(curl -s -o "$T/out" -w '%{http_code}' -H "Cookie: amphi_session=$SID" -H 'Host: evil.example' -H 'Origin: http://evil.example' \
	-H 'Content-Type: application/json' --data-binary "$body" "$URL/api/accounts")
check "a cookie write whose Origin matches only its own Host: 403 csrf" is "$st/$(jqo .error)" 403/csrf
st=$(curl -s -o "$T/out" -w '%{http_code}' -b "$T/jar" -H "Origin: $URL" \
	-H 'Content-Type: application/json' --data-binary "$body" "$URL/api/accounts")
check "the public origin (default: the listen address) is accepted" is "$st" 201
finish
