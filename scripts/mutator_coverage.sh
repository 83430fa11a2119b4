#!/usr/bin/env bash
# mutator_coverage.sh - edge coverage after the same libFuzzer time with and
# without the custom mutators (harness/mutator.h), for docs/mutator-coverage.md.
#
#   scripts/mutator_coverage.sh [SECONDS] [RUNS] [TARGET...]
#     SECONDS per run (60), RUNS per arm (3), targets fuzz_pcap fuzz_engine.
#
# Both arms use the same binary (build/fuzz/libfuzzer/NAME, ASan+UBSan),
# the same seeds, dictionary, -max_len and -seed=RUN; the "default" arm sets
# TC_FUZZ_NO_CUSTOM_MUTATOR=1, which sends every mutation to LLVMFuzzerMutate
# (what libFuzzer does when no custom mutator is defined). The two arms of a
# run go side by side (one process each, both niced) so that they share the
# machine's load. Seeds: every 16th file of corpus/NAME in name order, so
# that coverage still has room to grow within a minute (the whole committed
# corpus is already minimised to its coverage). "cov" is libFuzzer's count
# of covered edges (inline 8-bit counters) of the instrumented code
# (targets/ and oracle/; harness code is not instrumented), read from the
# final "DONE" line; medians over the runs.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
runs=${2:-3}
shift $(( $# > 2 ? 2 : $# )) || true
targets=("${@:-}")
[ -n "${targets[0]}" ] || targets=(fuzz_pcap fuzz_engine)
out=build/fuzz/mutcov
declare -A maxlen=([fuzz_pcap]=65536 [fuzz_engine]=16384)

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }

for t in "${targets[@]}"; do
	bin=build/fuzz/libfuzzer/$t
	[ -x "$bin" ] || { echo "mutator_coverage: $bin is missing (make fuzz-libfuzzer)" >&2; exit 2; }
	rm -rf "$out/$t" && mkdir -p "$out/$t/seeds"
	ls corpus/"$t" | sort | awk 'NR % 16 == 1' | while read -r f; do cp "corpus/$t/$f" "$out/$t/seeds/"; done
	for i in $(seq 1 "$runs"); do
		for arm in custom default; do
			w=$out/$t/$arm.$i
			mkdir -p "$w/corpus"
			(
				[ "$arm" = default ] && export TC_FUZZ_NO_CUSTOM_MUTATOR=1
				nice -n 10 "$bin" -seed="$i" -max_total_time="$secs" -max_len="${maxlen[$t]:-4096}" \
					-timeout=10 -dict="corpus/$t.dict" -print_final_stats=1 \
					-artifact_prefix="$w/" "$w/corpus" "$out/$t/seeds" >"$w/log" 2>&1 || true
			) &
		done
		wait
	done
	nseeds=$(ls "$out/$t/seeds" | wc -l)
	for arm in custom default; do
		covs=() execs=()
		for i in $(seq 1 "$runs"); do
			l=$out/$t/$arm.$i/log
			covs+=("$(grep -E '^#[0-9]+[[:space:]]+DONE' "$l" | sed -n 's/.* cov: \([0-9]*\) .*/\1/p' | tail -1)")
			execs+=("$(sed -n 's/^stat::number_of_executed_units: *//p' "$l" | tail -1)")
			grep -q "ERROR: libFuzzer\|FUZZ_CHECK failed" "$l" && echo "note: $t $arm run $i stopped on a finding: $l" >&2
		done
		printf '%s\t%s\tseeds=%s\tcov=%s\tmedian_cov=%s\texecs=%s\tmedian_execs=%s\n' "$t" "$arm" "$nseeds" \
			"$(IFS=,; echo "${covs[*]}")" "$(printf '%s\n' "${covs[@]}" | median)" \
			"$(IFS=,; echo "${execs[*]}")" "$(printf '%s\n' "${execs[@]}" | median)"
	done
done
