#!/usr/bin/env bash
# t_fuzz_smoke.sh - replay every fuzz corpus and every triaged crash through
# the repro drivers (gcc, ASan+UBSan) and check that the harnesses really
# exercised the code: a harness that silently drops its input passes every
# sanitizer and tests nothing, which is the worst bug a fuzz project can have.
#
# For each harness/fuzz_NAME.c:
#   - build/fuzz/repro/NAME must exist (make fuzz-repro; `make test` builds it
#     through test-extra-builds);
#   - corpus/NAME/ must hold seeds; corpus/regressions/NAME/ is replayed too
#     when present;
#   - the driver must exit 0 (a sanitizer report or a FUZZ_CHECK aborts it),
#     must have run every file (its input count equals the file count), and
#     must print the harness's "stats:" line;
#   - the counters listed for NAME below must all be above zero. A target
#     without an entry fails: whoever adds a harness says what it must show.
set -u
cd "$(dirname "$0")/.."

# Counters that must be non-zero after replaying the corpus, per target.
declare -A need=(
	[fuzz_decode]="packets ok truncated malformed unsupported ip4 ip6 tcp udp fragments bad_checksum"
	[fuzz_pcap]="files records decoded rejected truncated malformed ip4 ip6 tcp udp tracked flows findings
		r_pkt_truncated r_ip_bad_header r_tcp_bad_offset r_udp_bad_length r_ip_bad_checksum
		r_tcp_bad_checksum r_udp_bad_checksum r_tcp_midstream r_port_ephemeral_range
		own_flows determinism truncations trunc_records"
	[fuzz_engine]="records packets tcp udp flows incarnations midstream expired evicted rst_oow findings
		compared advances full_checks injected nomem r_tuple_duplicate_live r_tuple_reuse_time_wait r_port_zero r_port_ephemeral_range
		r_port_privileged_source r_port_sequential r_port_fixed r_tcp_invalid_flags
		r_tcp_rst_out_of_window r_tcp_midstream"
	[fuzz_portalloc]="created refused_config allocated exhausted nomem closes time_wait binds advances"
)

fail=0
ran=0
for src in harness/fuzz_*.c; do
	t=$(basename "$src" .c)
	bin=build/fuzz/repro/$t
	if [ ! -x "$bin" ]; then
		echo "FAIL $t: $bin is missing (make fuzz-repro)"
		fail=1; continue
	fi
	if [ -z "${need[$t]+x}" ]; then
		echo "FAIL $t: no counter expectations in tests/t_fuzz_smoke.sh"
		fail=1; continue
	fi
	dirs=()
	for d in corpus/$t corpus/regressions/$t; do
		[ -d "$d" ] && dirs+=("$d")
	done
	nfiles=0
	[ ${#dirs[@]} -gt 0 ] && nfiles=$(find "${dirs[@]}" -type f ! -name '.*' | wc -l)
	if [ "$nfiles" -eq 0 ]; then
		echo "FAIL $t: corpus/$t/ has no seeds"
		fail=1; continue
	fi
	log=$(mktemp)
	start=$SECONDS
	"$bin" -q -t 60 "${dirs[@]}" >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL $t: repro driver exited $rc on ${dirs[*]}"
		tail -n 30 "$log" | sed 's/^/    | /'
		rm -f "$log"; fail=1; continue
	fi
	stats=$(grep '^stats: ' "$log" | tail -n 1)
	inputs=$(sed -n 's/^repro: \([0-9]*\) inputs.*/\1/p' "$log")
	rm -f "$log"
	if [ -z "$stats" ]; then
		echo "FAIL $t: no stats line (fuzz_stats_print missing?)"
		fail=1; continue
	fi
	if [ "${inputs:-0}" -ne "$nfiles" ]; then
		echo "FAIL $t: driver ran ${inputs:-0} inputs, the corpus holds $nfiles files"
		fail=1; continue
	fi
	bad=""
	for key in inputs ${need[$t]}; do
		v=$(tr ' ' '\n' <<<"$stats" | sed -n "s/^$key=\([0-9]*\)$/\1/p")
		if [ -z "$v" ]; then
			bad+=" $key(missing)"
		elif [ "$v" -eq 0 ]; then
			bad+=" $key=0"
		fi
	done
	if [ -n "$bad" ]; then
		echo "FAIL $t: counters that must be non-zero:$bad"
		echo "    | $stats"
		fail=1; continue
	fi
	ran=$((ran + 1))
	echo "ok   $t: $nfiles inputs in $((SECONDS - start))s"
	echo "     $stats"
done
if [ $ran -eq 0 ] && [ $fail -eq 0 ]; then
	echo "FAIL: no fuzz targets found in harness/"
	exit 1
fi
exit $fail
