#!/usr/bin/env bash
# bench_webrtc: amphi-bench --transport webrtc against a real amphi-relay it
# starts itself: 120 WebRTC viewers, each attached with webrtc.add, a STUN
# check with USE-CANDIDATE, a DTLS 1.2 client handshake with use_srtp of
# the suite, SRTP keys from the exporter, then a 1 Mbit/s synthetic stream
# for 3 s with consent checks every 0.5 s.  Both suites.  Every viewer must
# connect and receive every packet (loss 0), its sampled packets decrypt
# under the exported key, and the relay's own counters agree: one DTLS
# handshake and at least one valid STUN check per viewer, none rejected,
# one SRTP packet out per viewer per packet published, the frames sent as
# GSO runs.
. "$(dirname "$0")/../lib.sh"
command -v jq >/dev/null || skip "jq is not installed"

n=120
for suite in gcm cm; do
	out=$T/$suite.json
	"$AMPHI_BIN/amphi-bench" fanout --viewers $n --bitrate 1000000 --packet-size 1200 \
		--seconds 3 --suite $suite --transport webrtc --consent-interval 500 \
		--port-base 43100 --workers 2 --json "$out" >"$T/$suite.out" 2>"$T/$suite.err"
	rc=$?
	check "$suite: amphi-bench --transport webrtc runs" test $rc = 0
	[ -s "$out" ] || { cat "$T/$suite.err"; fail "$suite: no JSON written"; continue; }
	check "$suite: the documented keys and the transport's" jq -e \
		'.transport == "webrtc" and has("egress_pps") and has("ratio") and has("loss")
		 and (.latency_us | has("p50") and has("p99"))
		 and (.handshake | has("per_s") and has("failed") and (.time_us | has("p50") and has("p99")))' "$out"
	check "$suite: all $n viewers connected with the suite asked for" jq -e \
		".handshake.connected == $n and .handshake.failed == 0 and .handshake.wrong_profile == 0" "$out"
	check "$suite: handshakes timed" jq -e \
		'.handshake.time_us.p50 > 0 and .handshake.time_us.p99 >= .handshake.time_us.p50 and .handshake.per_s > 0' "$out"
	check "$suite: relay counted one DTLS handshake per viewer, none failed" jq -e \
		".relay_webrtc.dtls_ok == $n and .relay_webrtc.dtls_failed == 0" "$out"
	check "$suite: relay accepted every STUN check, rejected none" jq -e \
		".relay_webrtc.stun_ok >= $n and .relay_webrtc.stun_rejected == 0 and .relay_webrtc.consent_expired == 0" "$out"
	check "$suite: the relay sent one packet per viewer per packet" \
		jq -e ".published > 200 and .relay_pkts_out == .published * $n" "$out"
	check "$suite: frames went out to the WebRTC viewers as GSO runs" \
		jq -e '.relay_gso_sends > 0 and .relay_gso_sends < .relay_pkts_out' "$out"
	check "$suite: every viewer received every packet" \
		jq -e '.loss == 0 and .min_received_per_viewer == .published' "$out"
	check "$suite: sampled packets decrypt under the exported keys" \
		jq -e '.decrypted > 0 and .auth_fail == 0' "$out"
	check "$suite: consent checks answered and verified" \
		jq -e ".consent.sent >= $n and .consent.ok >= .consent.sent * 0.98 and .consent.bad == 0" "$out"
	check "$suite: latency measured" jq -e '.latency_us.p50 > 0 and .latency_us.p99 >= .latency_us.p50' "$out"
done
check "a bad transport is refused" bash -c \
	"! '$AMPHI_BIN/amphi-bench' fanout --viewers 1 --bitrate 100000 --packet-size 1200 --seconds 1 --suite gcm --transport quic 2>/dev/null"
finish
