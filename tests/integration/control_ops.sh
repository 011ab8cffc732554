#!/usr/bin/env bash
# /healthz and /metrics against a real amphi-relay: its counters re-exported
# in Prometheus text, labelled by worker; the relay stopping turns health
# into a fast 503 (bounded by ctl_timeout) and amphi_relay_up into 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$AMPHI_BIN/amphi-relay" ] || skip "amphi-relay is not built"

mkdir -p "$T/spool/ready"
spawn relay "$AMPHI_BIN/amphi-relay" --workers 2 --port-base 42300 --control "$T/relay.sock" \
	--spool "$T/spool" --retention "$AMPHI_TOP/etc/retention.conf"
wait_for 20 test -S "$T/relay.sock" || { fail "amphi-relay starts"; cat "$T/relay.log"; finish; }
printf '[control]\nctl_timeout = 1s\n' >"$T/c1.conf"
RELAY_SOCK=$T/relay.sock AMPHI_ADMIN_PASSWORD='Sentinel-Harbor-99!x' ctl_start c1 --config "$T/c1.conf" ||
	{ fail "amphi-control starts"; finish; }

req GET /healthz
check "healthz with the relay up: 200" is "$status/$(jqo .relay)/$(jqo .db)" 200/ok/ok
curl -s "$URL/metrics" >"$T/m"
check "metrics: the relay is up" grep -q '^amphi_relay_up 1$' "$T/m"
check "metrics: relay counters per worker" grep -q '^amphi_relay_workers_pkts_in{worker="0"} [0-9]' "$T/m"
check "... for each worker" grep -q '^amphi_relay_workers_pkts_in{worker="1"} [0-9]' "$T/m"
check "metrics: the worker label is not repeated as a sample" sh -c "! grep -q '^amphi_relay_workers_worker' '$T/m'"
check "metrics: requests by route pattern and status" grep -q '^amphi_http_requests_total{route="/healthz",method="GET",status="200"} 1$' "$T/m"
check "metrics: login counters" grep -q '^amphi_logins_total{outcome="failed"} 0$' "$T/m"
check "metrics: webinars by state" grep -q '^amphi_webinars{state="scheduled"} 0$' "$T/m"
if command -v promtool >/dev/null; then
	check "promtool accepts the text" sh -c "promtool check metrics <'$T/m'"
fi
curl -s -o /dev/null "$URL/api/accounts/12"
curl -s -o /dev/null "$URL/api/accounts/13"
check "ids are folded into the route pattern" sh -c "curl -s '$URL/metrics' | grep -q '^amphi_http_requests_total{route=\"/api/accounts/{id}\",method=\"GET\",status=\"401\"} 2$'"

kill -TERM "$relay_pid"
wait_for 10 sh -c "! kill -0 $relay_pid 2>/dev/null"
t0=$(date +%s.%N)
req GET /healthz
t1=$(date +%s.%N)
check "healthz with the relay down: 503 naming it" is "$status/$(jqo .ok)" 503/false
check "... fast (under 3 s)" awk "BEGIN { exit !($t1 - $t0 < 3) }"
check "... saying why" sh -c "jq -r .relay '$T/out' | grep -q '^unreachable'"
check "metrics with the relay down: amphi_relay_up 0" sh -c "curl -s '$URL/metrics' | grep -q '^amphi_relay_up 0$'"
finish
