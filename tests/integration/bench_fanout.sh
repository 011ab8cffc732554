#!/usr/bin/env bash
# bench_fanout: amphi-bench against a real amphi-relay it starts itself (the
# way `make bench` runs it), small: 100 SDES viewers of 1 Mbit/s, 2 s, both
# suites (enough relay work to measure its CPU time).  Every
# viewer must receive every packet and its sampled packets must decrypt under
# its own key; the JSON must carry the keys scripts depend on (DESIGN.md §8).
. "$(dirname "$0")/../lib.sh"
command -v jq >/dev/null || skip "jq is not installed"

for suite in gcm cm; do
	out=$T/$suite.json
	check "amphi-bench fanout --suite $suite runs" \
		"$AMPHI_BIN/amphi-bench" fanout --viewers 100 --bitrate 1000000 --packet-size 1200 \
		--seconds 2 --suite $suite --port-base 43000 --workers 2 --json "$out"
	[ -s "$out" ] || { fail "$suite: no JSON written"; continue; }
	check "$suite: every documented key is there" jq -e \
		'has("viewers") and has("egress_pps") and has("relay_cpu_s") and
		 has("egress_pps_per_cpu_s") and has("raw_ceiling_pps_per_cpu_s") and has("ratio")
		 and has("raw_ceiling_gso_pps_per_cpu_s") and has("ratio_gso")
		 and has("loss_worst_viewer") and has("viewers_with_loss")
		 and has("loss") and (.latency_us | has("p50") and has("p99"))' "$out"
	check "$suite: 100 viewers, something published" jq -e '.viewers == 100 and .published > 150' "$out"
	check "$suite: the relay sent one packet per viewer per packet" \
		jq -e '.relay_pkts_out == .published * 100' "$out"
	check "$suite: every viewer received every packet, once" \
		jq -e '.loss == 0 and .min_received_per_viewer == .published and .loss_worst_viewer == 0
		       and .viewers_with_loss == 0 and .duplicates == 0 and .received == .published * 100' "$out"
	check "$suite: the relay's CPU is its process's, its threads' split beside it" \
		jq -e '(.relay_threads | length) > 0 and has("relay_exited_threads_cpu_s")
		       and ([.relay_threads[].cpu_s] | add) <= .relay_cpu_s + 0.1' "$out"
	check "$suite: sampled packets decrypt under each viewer's key" \
		jq -e '.decrypted > 0 and .auth_fail == 0' "$out"
	check "$suite: ratios are measured, not zero" \
		jq -e '.raw_ceiling_pps_per_cpu_s > 0 and .relay_cpu_s > 0 and .ratio > 0' "$out"
	# the relay sends a frame's 3-4 packets per viewer as one GSO run: the
	# GSO ceiling sends runs of that same average length, three ways (send()
	# and io_uring on a connected socket per viewer, io_uring sendmsg on one
	# socket as the relay does), and is the best of them
	check "$suite: a GSO ceiling of the relay's run length, and ratio_gso" \
		jq -e '.relay_gso_sends > 0 and (.raw_ceiling.gso.run - .relay_pkts_out / .relay_gso_sends
		       | fabs) < 0.001 and .raw_ceiling.gso.run > 2 and .raw_ceiling.gso.delivered > 0.5
		       and .raw_ceiling_gso_pps_per_cpu_s > 0
		       and (.ratio_gso - .egress_pps_per_cpu_s / .raw_ceiling_gso_pps_per_cpu_s | fabs) < 1e-9' "$out"
	check "$suite: the GSO ceiling is the best of send(), io_uring and sendmsg, all measured" \
		jq -e '.raw_ceiling.gso as $g | [$g.send_pps_per_cpu_s, $g.io_uring_pps_per_cpu_s,
		       $g.sendmsg_pps_per_cpu_s] as $r | ($r | min) > 0 and $g.send_delivered > 0.5
		       and $g.io_uring_delivered > 0.5 and $g.sendmsg_delivered > 0.5 and $g.batch == 64
		       and .raw_ceiling_gso_pps_per_cpu_s == ($r | max)
		       and $g[$g.used + "_pps_per_cpu_s"] == ($r | max)' "$out"
	check "$suite: latency measured" jq -e '.latency_us.p50 > 0 and .latency_us.p99 >= .latency_us.p50' "$out"
done
out=$T/ramp.json
check "amphi-bench fanout --ramp runs" "$AMPHI_BIN/amphi-bench" fanout --ramp --viewers 50 \
	--max-viewers 100 --bitrate 1000000 --packet-size 1200 --seconds 1 --suite gcm \
	--slo-loss 0.5 --slo-p99-ms 5000 --port-base 43000 --workers 2 --json "$out" \
	--report "$T/ramp.html"
# an SLO a loaded test machine meets: both steps pass, the ramp stops at --max-viewers
check "ramp: steps 50 and 100 viewers, capacity 100" jq -e \
	'(.steps | map(.viewers)) == [50, 100] and .capacity_viewers == 100 and .viewers == 100
	 and .capacity_bound == "max_viewers" and .refine_steps == 0
	 and (.capacity_relay_cores - .relay_cpu_s / .relay_wall_s | fabs) < 1e-9
	 and (.viewers_per_core - 100 / .capacity_relay_cores | fabs) < 1e-6
	 and .viewers_per_core_projected == (.capacity_relay_cores < 1)
	 and .slo.loss == 0.5 and .bench == "fanout-ramp"' "$out"
check "ramp: HTML report with the plots" grep -c "<svg" "$T/ramp.html"
# an SLO no step meets (p99 within 0.1 ms): no capacity, no viewers per core
out=$T/ramp-none.json
check "amphi-bench fanout --ramp runs with an SLO no step meets" "$AMPHI_BIN/amphi-bench" fanout \
	--ramp --viewers 20 --max-viewers 40 --bitrate 1000000 --packet-size 1200 --seconds 1 \
	--suite gcm --slo-p99-ms 0.1 --port-base 43000 --workers 2 --json "$out"
check "ramp: the first step failed, capacity 0, nothing per core" jq -e \
	'(.steps | map(.viewers)) == [20] and .capacity_viewers == 0 and .capacity_bound == "slo"
	 and (has("viewers_per_core") | not) and (has("capacity_relay_cores") | not)' "$out"
check "bad arguments are refused" bash -c "! '$AMPHI_BIN/amphi-bench' fanout --viewers 0 --bitrate 1 2>/dev/null"
finish
