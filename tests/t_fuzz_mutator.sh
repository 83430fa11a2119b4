#!/usr/bin/env bash
# t_fuzz_mutator.sh - the custom mutators keep structure: applied 20 times
# to every seed (fixed PRNG seeds, the mutators' own byte havoc standing in
# for LLVMFuzzerMutate), through build/fuzz/repro/mutcheck:
#   pcap:   at least 80 % of the results open and read to a clean end (plain
#           byte mutation of the same seeds: measured around 40 %), and
#           mut_fix_ip repairs every scrambled IPv4 TCP/UDP packet of the
#           corpus (lengths and checksums) to one that decodes cleanly;
#   engine: at least 85 % of the results re-encode byte for byte (framing
#           intact; 1 call in 10 is raw chaos on purpose), against at most
#           20 % for plain byte mutation;
#   nothing is ever longer than the fuzzer's -max_len.
set -u
cd "$(dirname "$0")/.."
bin=build/fuzz/repro/mutcheck
if [ ! -x "$bin" ]; then
	echo "FAIL: $bin is missing (make fuzz-repro)"
	exit 1
fi
fail=0
get() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=\([0-9]*\)$/\1/p"; }
pct() { echo $(( $1 * 100 / ($2 > 0 ? $2 : 1) )); }

out=$("$bin" pcap 20 corpus/fuzz_pcap) || { echo "FAIL: mutcheck pcap exited $?"; exit 1; }
echo "$out"
n=$(get "$out" outputs); ok=$(get "$out" ok); raw=$(get "$out" raw_ok)
fx=$(get "$out" fixed); fxok=$(get "$out" fixed_ok); long=$(get "$out" too_long)
[ "${n:-0}" -ge 1000 ] || { echo "FAIL: pcap: only ${n:-0} mutations made"; fail=1; }
[ "$(pct "$ok" "$n")" -ge 80 ] || { echo "FAIL: pcap: $ok of $n mutated files read cleanly"; fail=1; }
[ "$ok" -gt $((raw * 3 / 2)) ] || { echo "FAIL: pcap: mutator $ok, byte mutation $raw clean files"; fail=1; }
[ "${fx:-0}" -ge 1000 ] && [ "$fxok" -eq "$fx" ] || { echo "FAIL: pcap: mut_fix_ip repaired $fxok of $fx packets"; fail=1; }
[ "$long" -eq 0 ] || { echo "FAIL: pcap: $long results over -max_len"; fail=1; }

out=$("$bin" engine 20 corpus/fuzz_engine) || { echo "FAIL: mutcheck engine exited $?"; exit 1; }
echo "$out"
n=$(get "$out" outputs); ok=$(get "$out" ok); raw=$(get "$out" raw_ok); long=$(get "$out" too_long)
[ "${n:-0}" -ge 1000 ] || { echo "FAIL: engine: only ${n:-0} mutations made"; fail=1; }
[ "$(pct "$ok" "$n")" -ge 85 ] || { echo "FAIL: engine: $ok of $n mutated scripts keep their framing"; fail=1; }
[ "$(pct "$raw" "$n")" -le 20 ] || { echo "FAIL: engine: byte mutation kept framing $raw of $n times (the comparison is meaningless)"; fail=1; }
[ "$long" -eq 0 ] || { echo "FAIL: engine: $long results over -max_len"; fail=1; }
exit $fail
