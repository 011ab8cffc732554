#!/usr/bin/env bash
# relay_fanout: one publisher at 1 Mbit/s, 1000 viewers on loopback for 5 s
# (issue 3).  Every viewer must receive every packet and decrypt it with its
# own key using libsrtp (the reference, not the relay's transform), the
# plaintext must be what was sent, and the relay's stats must agree with what
# the viewers counted.  Then the same with AES-CM and 200 viewers.  Prints the
# relay's CPU time per egress packet for docs/performance.md.
. "$(dirname "$0")/../lib.sh"
TOOL=${AMPHI_BUILD:-$AMPHI_TOP/build/default}/test-tools/relay_fanout_check
[ -x "$TOOL" ] || skip "relay_fanout_check not built ($TOOL)"
command -v jq >/dev/null || skip "jq is not installed"
ulimit -n 4096 2>/dev/null

sock=$T/relay.sock
spawn relay "$AMPHI_BIN/amphi-relay" --workers 2 --port-base 42200 --control "$sock" --spool "$T/spool"
check "relay started" wait_for 10 test -S "$sock"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$relay_pid/stat"; }
hz=$(getconf CLK_TCK)

run() {   # run SUITE VIEWERS SECONDS
	local t0 t1 out
	t0=$(cpu_ticks)
	out=$("$TOOL" --control "$sock" --suite "$1" --viewers "$2" --seconds "$3" --bitrate 1000000 --packet-size 1200)
	t1=$(cpu_ticks)
	echo "$1 x $2: $out"
	local sent=$(jq .sent <<<"$out") pout=$(jq .relay_pkts_out <<<"$out")
	check "$1: publisher sent $sent packets" test "$sent" -gt $((80 * $3))
	check "$1: every viewer received every packet" test "$(jq .min_received <<<"$out")" = "$sent"
	check "$1: no viewer received more than was sent" test "$(jq .max_received <<<"$out")" = "$sent"
	check "$1: every packet decrypted with the viewer's key" test "$(jq .auth_failures <<<"$out")" = 0
	check "$1: plaintext as sent" test "$(jq .payload_mismatches <<<"$out")" = 0
	check "$1: relay decrypted each packet once" test "$(jq .relay_pkts_in <<<"$out")" = "$sent"
	check "$1: relay stats = viewers' count ($pout)" test "$pout" = "$(jq .received <<<"$out")"
	check "$1: relay dropped nothing" test "$(jq '.relay_drops + .relay_send_errors' <<<"$out")" = 0
	echo "$1 x $2: relay CPU $(( (t1 - t0) * 1000 / hz )) ms for $pout egress packets" \
	     "($(( pout * hz / ( (t1 - t0) > 0 ? (t1 - t0) : 1 ) )) packets per CPU-second, setup included)"
}
run gcm 1000 5
run cm 200 3

# Frames: 8 packets back to back.  Each viewer's burst leaves as UDP GSO
# super-datagrams; the viewers must still see every packet, one by one.
g0=$(printf '%s\n' '{"cmd":"stats"}' | socat -t5 - "UNIX-CONNECT:$sock" | jq '[.workers[].gso_sends] | add')
out=$("$TOOL" --control "$sock" --suite gcm --viewers 500 --seconds 3 --burst 8)
g1=$(printf '%s\n' '{"cmd":"stats"}' | socat -t5 - "UNIX-CONNECT:$sock" | jq '[.workers[].gso_sends] | add')
echo "bursts: $out (GSO sends $((g1 - g0)))"
check "bursts: every viewer received every packet" test "$(jq '.min_received == .sent and .max_received == .sent' <<<"$out")" = true
check "bursts: all decrypted, plaintext as sent" test "$(jq '.auth_failures + .payload_mismatches' <<<"$out")" = 0
check "bursts: relay used GSO ($((g1 - g0)) sends for $(jq .relay_pkts_out <<<"$out") packets)" \
	test $((g1 - g0)) -gt 0 -a $((g1 - g0)) -lt "$(jq '.relay_pkts_out / 2 | floor' <<<"$out")"

# Latching viewers (no address at viewer.add): each sends one SRTCP receiver
# report first and must then get every packet; an impostor's report under a
# wrong key latches nobody, a viewer that never sends is sent nothing.
out=$("$TOOL" --control "$sock" --suite cm --viewers 300 --seconds 3 --latch)
echo "latch: $out"
check "latch: every latched viewer received every packet" test "$(jq '.min_received == .sent and .max_received == .sent' <<<"$out")" = true
check "latch: all decrypted, plaintext as sent" test "$(jq '.auth_failures + .payload_mismatches' <<<"$out")" = 0
check "latch: the impostor received nothing" test "$(jq .impostor_received <<<"$out")" = 0
check "latch: relay sent only to the latched viewers" test "$(jq '.relay_pkts_out == .received' <<<"$out")" = true

# RTCP: the publisher sends SRs and reads what comes back; viewers 0..9 lose
# every 20th packet and NACK it; every viewer sends a PLI each second.  Halfway
# the publisher restarts (new port, SSRC, sequence and timestamp base).
out=$("$TOOL" --control "$sock" --suite gcm --viewers 200 --seconds 4 --feedback --restart --burst 4)
echo "feedback: $out"
j() { jq "$1" <<<"$out"; }
check "feedback: every viewer ends with every packet (NACKed ones re-sent)" test "$(j .min_received)" = "$(j .sent)"
check "feedback: every NACKed packet was re-sent from the cache ($(j .nacks_sent))" \
	test "$(j '.nacks_sent > 0 and .retransmits_received == .nacks_sent and .relay_retransmits == .nacks_sent')" = true
check "feedback: every viewer received every SR ($(j .sr_sent))" \
	test "$(j '.sr_sent > 0 and .min_sr_received == .sr_sent and .relay_sr_forwarded == .sr_sent')" = true
check "feedback: no authentication failure at the viewers" test "$(j .auth_failures)" = 0
# One PLI may go to the publisher's old socket around its restart.
check "feedback: PLIs reached the publisher ($(j .plis_at_publisher) of $(j .plis_sent) sent)" \
	test "$(j '.plis_at_publisher > 0 and .plis_at_publisher <= .relay_keyframe_sent and .relay_keyframe_sent <= .plis_at_publisher + 1')" = true
# Up to 6 s of requests (the viewers' PLIs for 3 s, the relay's keyframe
# warm-up of viewers given by address up to 5.5 s after they came) at a
# 500 ms interval: at most 13 may pass.
check "feedback: PLIs coalesced to at most one per 500 ms" test "$(j '.plis_at_publisher <= 13 and .relay_keyframe_suppressed > 0')" = true
check "restart: the relay saw the publisher restart once" test "$(j .relay_publisher_restarts)" = 1
check "restart: viewers saw one SSRC (stream.create's ssrcs.video) and consecutive sequence numbers" test "$(j .discontinuities)" = 0
check "feedback: relay egress = media + SRs + retransmissions" \
	test "$(j '.relay_pkts_out == .received + .viewers * .sr_sent + .retransmits_received')" = true

stats=$(printf '%s\n' '{"cmd":"stats"}' | socat -t5 - "UNIX-CONNECT:$sock")
check "no stream left behind" test "$(jq '.streams | length' <<<"$stats")" = 0
check "both workers served viewers" test "$(jq '[.workers[] | select(.handoffs_in > 0 or .pkts_out > 0)] | length' <<<"$stats")" = 2
kill -TERM "$relay_pid"
wait "$relay_pid"
check "relay exits 0 on SIGTERM" test $? = 0
finish
