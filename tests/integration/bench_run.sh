#!/usr/bin/env bash
# bench_run: `make bench`'s driver (bench/run) keeps each run's results in a
# directory of its own, bench/results/<date>-<commit>[-dirty][-N]/ (here
# under BENCH_RESULTS, in the test's folder): a tiny fan-out run (4 viewers,
# 1 s, both suites) must leave both suites' JSON and HTML reports, the
# machine (machine.json) and an index.html that says the machine and links
# every report; a second run the same day gets its own directory and
# `latest` follows it; bench/headline reads the directory and names the
# file of each figure.
. "$(dirname "$0")/../lib.sh"
command -v jq >/dev/null || skip "jq is not installed"

R=$T/results
cd "$AMPHI_TOP"
check "bench/run (fanout only, 4 viewers, 1 s) succeeds" env BENCH_ONLY=fanout FANOUT_VIEWERS=4 \
	FANOUT_SECONDS=1 BENCH_RESULTS="$R" bench/run >"$T/run1.log" 2>&1
cat "$T/run1.log"
short=$(git rev-parse --short HEAD)
name=$(date -u +%F)-$short
[ -n "$(git status --porcelain)" ] && name=$name-dirty
D=$R/$name
check "the run's directory is <date>-<commit>: $name" test -d "$D"
for suite in gcm cm; do
	# 4 viewers for 1 s cost the relay a few clock ticks of CPU, on a fast
	# machine none: the ratios are then 0 (bench_fanout measures them)
	check "$suite: JSON kept, a fan-out result" jq -e '.bench == "fanout" and .viewers == 4
		and .published > 0 and .relay_pkts_out == .published * 4
		and ((.relay_cpu_s > 0) == (.ratio > 0 and .ratio_gso > 0))' "$D/fanout-$suite.json"
	check "$suite: HTML report kept, with its plots" grep -q "<svg" "$D/fanout-$suite.html"
	check "$suite: the index links the JSON" grep -q "href='fanout-$suite.json'" "$D/index.html"
	check "$suite: the index links the report" grep -q "href='fanout-$suite.html'" "$D/index.html"
done
check "machine.json: nproc, model, kernel, load before, commit, time" jq -e --arg c "$(git rev-parse HEAD)" \
	'.nproc > 0 and (.cpu_model | length) > 0 and .kernel == "'"$(uname -r)"'"
	 and (.loadavg_before | length) == 3 and .commit == $c and .wall_s >= 1 and .status == 0' "$D/machine.json"
check "index.html says the machine" bash -c "grep -q '<th>nproc</th><td>$(nproc)</td>' '$D/index.html' &&
	grep -q 'load average before the run' '$D/index.html' && grep -q '$(uname -r)' '$D/index.html'"
check "latest points at the run" test "$(readlink "$R/latest")" = "$name"

check "a second run the same day: a directory of its own" env BENCH_ONLY=crypto CRYPTO_BENCH_SECONDS=0.02 \
	BENCH_RESULTS="$R" bench/run >"$T/run2.log" 2>&1
check "... named $name-2, latest follows, the first run untouched" bash -c \
	"test -s '$R/$name-2/crypto.json' && test \"\$(readlink '$R/latest')\" = '$name-2' &&
	 test -s '$D/fanout-gcm.json' && ! test -e '$D/crypto.json'"

bench/headline "$D" >"$T/headline.md"
cat "$T/headline.md"
check "headline: the fan-out rows name their files" bash -c \
	"grep -F '| \`$D/fanout-gcm.json\` |' '$T/headline.md' | grep -q 'ratio_gso' &&
	 grep -F '| \`$D/fanout-cm.json\` |' '$T/headline.md' | grep -q 'ratio_gso'"
check "headline: what did not run says so, no figure" grep -q "| ramp, GCM, 1 Mbit/s | not run: no " "$T/headline.md"

finish
