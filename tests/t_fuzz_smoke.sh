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
# Then the exact-size frame copy every target decodes from (fuzz_frame) is
# probed under ASan: reads just outside it must be reported.
set -u
cd "$(dirname "$0")/.."

# Counters that must be non-zero after replaying the corpus, per target.
declare -A need=(
	[fuzz_decode]="packets ok truncated malformed unsupported ip4 ip6 tcp udp fragments bad_checksum"
	[fuzz_pcap]="files records decoded rejected truncated malformed ip4 ip6 tcp udp tracked flows findings
		r_pkt_truncated r_ip_bad_header r_tcp_bad_offset r_udp_bad_length r_ip_bad_checksum
		r_tcp_bad_checksum r_udp_bad_checksum r_tcp_midstream r_port_ephemeral_range
		own_flows determinism truncations trunc_records windowed windowed_records"
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
# The driver's own input errors: a folder with no file to run and a missing
# path are exit 2 with a line naming them, before any input runs (an empty
# folder used to reach qsort with a null array: a UBSan abort, exit 1).
edir=$(mktemp -d)
mkdir "$edir/empty" && touch "$edir/empty/.hidden"
for c in "$edir/empty:no input files in this folder" "$edir/missing:No such file or directory"; do
	path=${c%%:*} want=${c#*:}
	out=$(build/fuzz/repro/fuzz_decode "$path" 2>&1)
	rc=$?
	if [ $rc -ne 2 ] || [ "$out" != "repro: $path: $want" ]; then
		echo "FAIL repro driver on $path: exit $rc, want 2 and \"repro: $path: $want\""
		printf '%s\n' "$out" | sed 's/^/    | /'; fail=1
	fi
done
rm -rf "$edir"
[ $fail -eq 0 ] && echo "ok   repro driver: an empty folder and a missing path are exit 2, named"

# fuzz_frame (harness/common.c), the copy every target decodes from, must
# fence the frame exactly under ASan, as a malloc of its size would: byte
# len - 1 readable, byte len and byte -1 reported, nothing after release,
# and nothing past a frame that follows a longer one without a release in
# between (fuzz_pcap's windows do that).
probe_dir=$(mktemp -d)
cat >"$probe_dir/probe.c" <<'PROBE'
#include <stdlib.h>
#include "fuzz.h"
int main(int argc, char **argv)
{
	static const uint8_t data[64] = { 1, 2, 3 };
	const uint8_t *f;
	volatile uint8_t x = 0;
	long k = argc > 1 ? strtol(argv[1], NULL, 10) : 0;

	if (argc > 2 && argv[2][0] == 'a')      /* "after" a 60-byte frame */
		(void)fuzz_frame(data, 60);
	f = fuzz_frame(data, 10);
	if (argc > 2 && argv[2][0] == 'r')      /* "release" */
		fuzz_frame_release();
	x = f[k];
	(void)x;
	return 0;
}
PROBE
if ! ${CC:-gcc} -g -fsanitize=address -Iharness -o "$probe_dir/probe" "$probe_dir/probe.c" \
	harness/common.c 2>"$probe_dir/cc.log"; then
	echo "FAIL fuzz_frame probe does not build:"; sed 's/^/    | /' "$probe_dir/cc.log"; fail=1
else
	pfail=0
	for c in "9:0" "0:0" "10:1" "-1:1" "0 release:1" "9 after:0" "10 after:1" "59 after:1"; do
		args=${c%:*} want=${c##*:}
		ASAN_OPTIONS=detect_leaks=0 "$probe_dir/probe" $args >/dev/null 2>"$probe_dir/err"
		got=$?
		if [ "$want" = 0 ] && [ $got -ne 0 ]; then
			echo "FAIL fuzz_frame: reading byte $args of a 10-byte frame was reported"; pfail=1
		elif [ "$want" = 1 ] && ! grep -q "use-after-poison" "$probe_dir/err"; then
			echo "FAIL fuzz_frame: reading byte $args of a 10-byte frame was not reported"; pfail=1
		fi
	done
	[ $pfail -eq 0 ] && echo "ok   fuzz_frame: a 10-byte frame is readable at 0..9 only (after a 60-byte one too), and not after release"
	[ $pfail -eq 0 ] || fail=1
fi
rm -rf "$probe_dir"

if [ $ran -eq 0 ] && [ $fail -eq 0 ]; then
	echo "FAIL: no fuzz targets found in harness/"
	exit 1
fi
exit $fail
