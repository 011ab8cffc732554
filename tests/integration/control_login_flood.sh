#!/usr/bin/env bash
# control_login_flood: a flood of wrong-password logins cannot stall the
# control plane (issue 11 item 3).  Waves of 80 concurrent wrong logins (20
# emails, 10 source addresses, real HTTP through curl --parallel) keep the
# Argon2id threads busy while /healthz, an authenticated API call, WHEP and
# WHIP are timed against a real amphi-relay: every answer within 200 ms.  A
# person logging in from elsewhere during the flood gets in within 2 s (the
# issue's goal: the reserved hashing lane starts such a login at once), and so
# does a browser with a device cookie; flood logins past the hashing queue get 503 + Retry-After at once,
# and the default per-address limit answers 429.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built"
SDP=$AMPHI_TOP/tests/data/sdp

RELAY_SOCK=$T/relay.sock
spawn relay "$AMPHI_BIN/amphi-relay" --workers 1 --port-base 43400 --control "$RELAY_SOCK" \
	--spool "$T/spool" --config "$AMPHI_TOP/etc/relay.conf"
wait_for 10 test -S "$RELAY_SOCK" || { fail "relay starts"; finish; }
export AMPHI_ADMIN_PASSWORD='Correct-Horse-42-battery'
ctl_start c1 || { fail "amphi-control starts"; finish; }

login admin@localhost "$AMPHI_ADMIN_PASSWORD" "$T/admin"
req POST /api/accounts '{"email":"org@example.org","first_name":"Org","last_name":"Anizer","role":"organizer"}' "$T/admin"
pw=$(jqo .initial_password)
login org@example.org "$pw" "$T/o"
OPW='Purple-Lantern-77-river'
req POST /api/password "$(jq -nc --arg c "$pw" --arg n "$OPW" '{current_password:$c,new_password:$n}')" "$T/o"
check "organizer is ready" is "$status" 200
req POST /api/webinars '{"title":"t","start_time":"2026-12-01T09:30:00Z","visibility":"public","recording":false,"video_codec":"vp8"}' "$T/o"
W=$(jqo .id)
req POST "/api/webinars/$W/speakers" '{}' "$T/o"; PUB=$(jqo .token)
req POST "/api/webinars/$W/start" '{}' "$T/o"
check "a public webinar is live" is "$status" 200
t_login() {   # t_login EMAIL PASSWORD SOURCE JAR -> "status seconds"
	curl -s -o "$T/tl" -w '%{http_code} %{time_total}' --interface "$3" -b "$4" -c "$4" \
		-H 'Content-Type: application/json' -H "Origin: $URL" \
		--data-binary "$(jq -nc --arg e "$1" --arg p "$2" '{email:$e,password:$p}')" "$URL/api/login"
}
# Two logins at once on an idle control plane: what an Argon2id verification
# costs here while the other hashing thread is busy too.  On a calm machine
# that is about 1 s and the bound below is the issue's 2 s; only on one so
# busy with other work that 1.5 times this exceeds 2 s is the bound 1.5 times
# this: a login during the flood may cost one hash plus the flood's share of
# the CPU, never the rest of a flood's hash before its own (which is what it
# cost before the reserved lane: 2.03 s on the idle CI machine).
t_login org@example.org "$OPW" 127.0.0.2 "$T/base" >"$T/b1" &
b1_pid=$!
t_login admin@localhost "$AMPHI_ADMIN_PASSWORD" 127.0.0.4 "$T/base2" >"$T/b2"
wait "$b1_pid"
L0=$(cat "$T/b1" "$T/b2" | awk '{ if ($2 > m) m = $2 } END { print m + 0 }')
check "two logins on an idle control plane: 200" is "$(cut -d' ' -f1 "$T/b1" "$T/b2" | tr '\n' ' ')" "200 200 "
echo "  two logins at once, idle: $L0 s"

# probe NAME CURL-ARGS...: the time of one request, appended to $T/NAME.
probe() {
	local name=$1
	shift
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$@" >>"$T/$name"
}
probes() {   # probes SUFFIX: 10 rounds of healthz, an API call and WHEP
	for _ in $(seq 10); do
		probe "healthz$1" "$URL/healthz"
		probe "api$1" -b "$T/o" "$URL/api/webinars"
		probe "whep$1" -X POST -H 'Content-Type: application/sdp' --data-binary "@$SDP/chromium-recvonly.sdp" "$URL/whep/$W"
		sleep 0.2
	done
}
# The same requests without a flood: the goal is 200 ms on an idle machine;
# on a busy one the bound grows by three times the slowest idle answer.
probes .idle

# --- the flood ------------------------------------------------------------------------
for i in $(seq 0 79); do
	e=$([ $((i % 20)) = 0 ] && echo admin@localhost || echo "nobody$((i % 20))@example.org")
	[ "$i" = 0 ] || echo next   # a separator: a trailing "next" voids the whole file
	printf 'url = "%s/api/login"\ninterface = "127.0.0.%d"\nheader = "Content-Type: application/json"\n' \
		"$URL" $((11 + i % 10))
	printf 'data-binary = "{\\"email\\":\\"%s\\",\\"password\\":\\"Wrong-password-%d\\"}"\n' "$e" "$i"
	printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
done >"$T/flood.curl"
flood() {
	local end=$(($(date +%s) + 12))
	while [ "$(date +%s)" -lt "$end" ]; do
		curl -s --no-progress-meter -Z --parallel-max 80 --parallel-immediate -K "$T/flood.curl" >>"$T/flood.codes"
	done
}
flood &
flood_pid=$!
flood &   # two waves at a time: one is always arriving while the other waits
flood_pid2=$!
sleep 2   # the first waves are in and the hashing threads are busy

probe whip -X POST -H "Authorization: Bearer $PUB" -H 'Content-Type: application/sdp' \
	--data-binary "@$SDP/chromium-sendonly.sdp" "$URL/whip/$W"
probes ""
legit=$(t_login org@example.org "$OPW" 127.0.0.3 "$T/fresh")
trusted=$(t_login admin@localhost "$AMPHI_ADMIN_PASSWORD" 127.0.0.11 "$T/admin")
wait "$flood_pid" "$flood_pid2"

max() { awk '{ if ($2 > m) m = $2 } END { printf "%.3f", m + 0 }' "$T/$1"; }
codes() { awk '{ print $1 }' "$T/$1" | sort | uniq -c | tr -s ' \n' ' '; }
echo "  flood answers: $(codes flood.codes)"
echo "  slowest during the flood: healthz $(max healthz) s, api $(max api) s, whep $(max whep) s, whip $(max whip) s"
echo "  logins during the flood: new client ${legit#* } s, trusted device ${trusted#* } s"
check "flood: some logins were checked (401/423)" grep -Eq '^(401|423)$' "$T/flood.codes"
check "flood: logins past the full hashing queue get 503 at once" grep -q '^503$' "$T/flood.codes"
check "flood: nothing else failed" sh -c "! grep -Evq '^(401|423|429|503)$' '$T/flood.codes'"
check "healthz answers (200) during the flood" sh -c "awk '\$1 != 200 { exit 1 }' '$T/healthz'"
check "an authenticated API call answers (200)" sh -c "awk '\$1 != 200 { exit 1 }' '$T/api'"
check "WHEP answers (201)" sh -c "awk '\$1 != 201 { exit 1 }' '$T/whep'"
check "WHIP answers (201)" sh -c "awk '\$1 != 201 { exit 1 }' '$T/whip'"
for n in healthz api whep whip; do
	idle=$(max "${n/whip/whep}.idle")
	bound=$(awk "BEGIN { printf \"%.3f\", 0.2 + 3 * $idle }")
	echo "  $n: idle p100 $idle s, flood p100 $(max $n) s, bound $bound s"
	check "$n within 200 ms (+3x its idle time here) during the flood (p100)" awk "BEGIN { exit !($(max $n) < $bound) }"
done
limit=$(awk "BEGIN { l = 1.5 * $L0; printf \"%.2f\", (l > 2 ? l : 2) }")
check "a login from a new client succeeds during the flood" is "${legit% *}" 200
check "... within $limit s" awk "BEGIN { exit !(${legit#* } < $limit) }"
check "a browser with a device cookie logs in to the flooded admin account" is "${trusted% *}" 200
check "... within $limit s" awk "BEGIN { exit !(${trusted#* } < $limit) }"
check "an address that used its attempts: 429 + Retry-After" sh -c "grep -q '^429$' '$T/flood.codes'"

# --- the default per-address limit ----------------------------------------------------------
URL1=$URL
ctl_start c2 || { fail "a second amphi-control starts"; finish; }
sed "s|$URL1|$URL|; /^interface/s|127\.0\.0\.[0-9]*|127.0.0.21|" "$T/flood.curl" >"$T/one.curl"
curl -s --no-progress-meter -Z --parallel-max 80 --parallel-immediate -K "$T/one.curl" >"$T/one.codes"
echo "  80 logins from one address: $(codes one.codes)"
check "one address: past 20 attempts, 429 at once" test "$(grep -c '^429$' "$T/one.codes")" -ge 60
reset() {   # reset SOURCE EMAIL: one reset request, headers in $T/h
	curl -s -D "$T/h" -o "$T/out" -w '%{http_code}\n' --interface "$1" -H 'Content-Type: application/json' \
		--data-binary "{\"email\":\"$2\"}" "$URL/api/password/reset-request"
}
for i in $(seq 30); do reset 127.0.0.22 "r$i@example.org"; done >"$T/r.codes"
ok=$(grep -c '^202$' "$T/r.codes") no=$(grep -c '^429$' "$T/r.codes")
echo "  30 reset requests from one address: $ok 202, $no 429"
check "reset requests: 20 per address at once (+1 per 3 s), then 429" \
	sh -c "[ $ok -ge 20 ] && [ $ok -le 23 ] && [ $((ok + no)) = 30 ]"
check "... too_many_attempts with Retry-After" \
	sh -c "[ '$(jqo .error)' = too_many_attempts ] && grep -qi '^retry-after: [1-9]' '$T/h'"
for i in 1 2 3 4; do reset "127.0.0.3$i" same@example.org; done >"$T/r.codes"
check "reset requests: 3 per email address, whatever the source" is "$(tr '\n' ' ' <"$T/r.codes")" "202 202 202 429 "
finish
