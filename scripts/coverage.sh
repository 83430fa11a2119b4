#!/usr/bin/env bash
# scripts/coverage.sh - the driver of `make coverage` (mk/coverage.mk builds
# the instrumented binaries first and passes them as arguments).
#
# usage: scripts/coverage.sh TUPLECHECK [REPRO_DRIVER... UNIT_TEST...]
#   TUPLECHECK      build/cov/tuplecheck
#   REPRO_DRIVER    build/cov/repro/NAME: replays corpus/NAME/ and
#                   corpus/regressions/NAME/
#   UNIT_TEST       build/cov/tests/test_*: run as tests/run.sh runs them
# env: COV_DIR (build/cov), LLVM_PROFDATA, LLVM_COV, COV_SOURCES (the files
#      reported: targets/ and oracle/), COV_TCPDUMP_EVERY (1: every capture
#      of corpus/tcpdump-tests/; N: every Nth in name order)
#
# What runs, with every profile merged into one:
#   - the unit tests;
#   - each repro driver over its committed corpus and regression inputs (one
#     process; if it aborts, input by input so that one bad input does not
#     lose the coverage of the others, and the aborting inputs are listed);
#   - tuplecheck replay with each scenario's options from
#     corpus/pcaps/MANIFEST.tsv; replay, flows, packets and hosts over all of
#     corpus/pcaps/ in every output format, once from standard input, with
#     --filter and with a small --max-flows; one `reduce` of a scenario;
#   - the command line itself: --help, --version, every option once with a
#     valid value over corpus/pcaps/ and once with an invalid one, inputs
#     that cannot be read (a folder, a missing file, an empty file), the
#     formats a subcommand refuses;
#   - replay, flows, packets and hosts (jsonl) over corpus/tcpdump-tests/
#     (830 public captures, many malformed on purpose).
# Exit status of the commands is not judged here (findings exit 1, broken
# captures 2; the tests judge them); a crash (killed by a signal) is
# reported. Output: out/coverage/summary.txt, out/coverage/html/,
# out/coverage/coverage.json. Exit 0 unless the report cannot be made.
set -uo pipefail
cd "$(dirname "$0")/.."

COV_DIR=${COV_DIR:-build/cov}
PROFDATA=${LLVM_PROFDATA:-llvm-profdata}
LLVMCOV=${LLVM_COV:-llvm-cov}
EVERY=${COV_TCPDUMP_EVERY:-1}
OUT=out/coverage
PROF=$COV_DIR/prof
TO=${COV_TIMEOUT:-300}

[ $# -ge 1 ] || { echo "usage: scripts/coverage.sh TUPLECHECK [BINARY...]" >&2; exit 2; }
TC=$1
BINS=("$@")
for b in "${BINS[@]}"; do
	[ -x "$b" ] || { echo "coverage: $b is not built (make coverage-build)" >&2; exit 2; }
done
read -r -a SOURCES <<<"${COV_SOURCES:-$(ls targets/*.[ch] oracle/*.[ch])}"

rm -rf "$PROF" "$OUT/html"
mkdir -p "$PROF" "$OUT"
# %4m: a pool of 4 profile files per binary, merged into by every process
# (thousands of runs, a handful of files).
export LLVM_PROFILE_FILE="$PWD/$PROF/%4m.profraw"
started=$SECONDS
notes=()
log() { printf 'coverage: %s\n' "$*" >&2; }

# run LABEL CMD...: run CMD with a time limit; note a crash or a timeout.
run() {
	local label=$1 rc=0
	shift
	timeout "$TO" "$@" >/dev/null 2>"$PROF/last.err" || rc=$?
	if [ $rc -eq 124 ]; then
		notes+=("$label: timed out after $TO s (its profile is lost)")
	elif [ $rc -gt 2 ]; then
		notes+=("$label: exit $rc: $(tail -n 1 "$PROF/last.err" | tr -d '\n' | cut -c1-160)")
	fi
	return $rc
}

# ---- unit tests ----------------------------------------------------------------
units=0 unit_fail=0
for b in "${BINS[@]}"; do
	case $b in */tests/test_*) ;; *) continue ;; esac
	units=$((units + 1))
	if ! timeout "$TO" "$b" >"$PROF/unit.log" 2>&1; then
		unit_fail=$((unit_fail + 1))
		notes+=("unit test ${b##*/} failed (tests/run.sh has the details)")
	fi
done
log "unit tests: $units run, $unit_fail failed ($((SECONDS - started)) s)"

# ---- repro drivers over the fuzz corpora -------------------------------------------
repro_summary=()
for b in "${BINS[@]}"; do
	case $b in */repro/*) ;; *) continue ;; esac
	t=${b##*/}
	dirs=()
	for d in "corpus/$t" "corpus/regressions/$t"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	if [ ${#dirs[@]} -eq 0 ]; then
		notes+=("repro $t: no corpus/$t/ (not run)")
		continue
	fi
	n=$(find "${dirs[@]}" -type f ! -name '.*' | wc -l)
	if run "repro $t" "$b" -q "${dirs[@]}"; then
		repro_summary+=("$t $n inputs")
	else
		# One process aborted: its profile was not written. Input by
		# input, so that the others still count.
		bad=0
		while IFS= read -r f; do
			timeout 60 "$b" -q "$f" >/dev/null 2>&1 || {
				bad=$((bad + 1))
				[ $bad -le 5 ] && notes+=("repro $t: $f aborts (no coverage from it)")
			}
		done < <(find "${dirs[@]}" -type f ! -name '.*' | LC_ALL=C sort)
		repro_summary+=("$t $n inputs ($bad aborting)")
	fi
done
log "repro drivers: ${repro_summary[*]:-none} ($((SECONDS - started)) s)"

# ---- tuplecheck over the scenario captures ------------------------------------------
pcaps=(corpus/pcaps/*.pcap corpus/pcaps/*.pcapng)
pcaps=($(for p in "${pcaps[@]}"; do [ -e "$p" ] && echo "$p"; done))
while IFS=$'\t' read -r name options _; do
	case "$name" in '' | '#'*) continue ;; esac
	opts=()
	[ "$options" != - ] && read -r -a opts <<<"$options"
	run "replay $name" "$TC" replay --format jsonl --seed 1 "${opts[@]}" "corpus/pcaps/$name"
done <corpus/pcaps/MANIFEST.tsv
if [ ${#pcaps[@]} -gt 0 ]; then
	for f in text jsonl junit sarif; do
		run "replay --format $f" "$TC" replay --format "$f" --seed 1 "${pcaps[@]}"
	done
	for c in flows packets hosts; do
		for f in text jsonl; do
			run "$c --format $f" "$TC" "$c" --format "$f" --seed 1 "${pcaps[@]}"
		done
	done
	run "replay -" "$TC" replay --format jsonl --seed 1 - <"${pcaps[0]}"
	run "replay --filter" "$TC" replay --format jsonl --seed 1 --filter tcp "${pcaps[@]}"
	run "flows --max-flows" "$TC" flows --format jsonl --seed 1 --max-flows 4 "${pcaps[@]}"
	if [ -e corpus/pcaps/tuple_duplicate_live.pcap ]; then
		run "reduce" "$TC" reduce --rule tuple.duplicate-live --seed 1 \
			corpus/pcaps/tuple_duplicate_live.pcap "$PROF/reduced.pcap"
	fi
fi
log "tuplecheck over corpus/pcaps/: ${#pcaps[@]} captures ($((SECONDS - started)) s)"

# ---- the command line ----------------------------------------------------------------
cli_runs=0
cli() { cli_runs=$((cli_runs + 1)); run "tuplecheck $*" "$TC" "$@"; }
if [ ${#pcaps[@]} -gt 0 ]; then
	cli --help; cli -h; cli --version; cli -V; cli; cli nosuch "${pcaps[0]}"; cli replay
	for o in "--profile linux" "--profile windows" "--profile iana" "--profile bsd-legacy" \
		"--ephemeral-range 32768-60999" "--msl 1" "--min-samples 2" "--fail-on info" \
		"--fail-on warning" "--fail-on error" "--rules -port.zero,+ip.bad-checksum" \
		"--rules tcp.invalid-flags" "--seed 7"; do
		read -r -a a <<<"$o"
		cli replay --format jsonl "${a[@]}" "${pcaps[@]}"
	done
	for o in "--format xml" "--msl x" "--msl 99999999999" "--ephemeral-range 5-1" \
		"--ephemeral-range x" "--profile nope" "--rules nosuch.rule" "--fail-on x" \
		"--max-flows x" "--max-flows 0" "--min-samples x" "--seed x" "--filter tcp(((" \
		"--nosuch-option"; do
		read -r -a a <<<"$o"
		cli replay "${a[@]}" "${pcaps[0]}"
	done
	cli flows --format junit "${pcaps[0]}"; cli flows --format sarif "${pcaps[0]}"
	cli hosts --format junit "${pcaps[0]}"; cli packets --format sarif "${pcaps[0]}"
	: >"$PROF/empty.pcap"
	cli replay --format jsonl corpus/pcaps "$PROF/nosuch.pcap" "$PROF/empty.pcap" "${pcaps[0]}"
	cli reduce corpus/pcaps/tuple_duplicate_live.pcap "$PROF/r.pcap"
	cli reduce --rule nosuch.rule corpus/pcaps/tuple_duplicate_live.pcap "$PROF/r.pcap"
	cli reduce --rule port.zero corpus/pcaps/clean_http.pcap "$PROF/r.pcap"
	# streams (stdin, a pipe fed in small pieces, an endless device) and
	# output that cannot be written (full, closed)
	ng=$(find corpus/tcpdump-tests -name '*.pcapng' | LC_ALL=C sort | head -n 1)
	cli packets --format jsonl - <"${pcaps[0]}"
	dd if="$ng" bs=64 status=none | timeout "$TO" "$TC" flows --format jsonl - >/dev/null 2>&1
	dd if="${pcaps[0]}" bs=7 status=none | timeout "$TO" "$TC" replay - >/dev/null 2>&1
	cli flows /dev/zero
	cli flows --progress "${pcaps[0]}"
	# a stream that pauses: inside the file header (cap_open waits for
	# more), then between records (what is held back is printed)
	{ head -c 20 "${pcaps[0]}"; sleep 0.3; tail -c +21 "${pcaps[0]}" | head -c 300; sleep 0.3
	  tail -c +321 "${pcaps[0]}"; } | timeout "$TO" "$TC" flows --progress - >/dev/null 2>&1
	timeout "$TO" "$TC" flows --format jsonl "${pcaps[0]}" >/dev/full 2>/dev/null
	timeout "$TO" "$TC" replay "${pcaps[0]}" >&- 2>/dev/null
	timeout "$TO" "$TC" reduce --rule tuple.duplicate-live corpus/pcaps/tuple_duplicate_live.pcap \
		/dev/full 2>/dev/null
	cli_runs=$((cli_runs + 6))
fi
log "command line: $cli_runs runs ($((SECONDS - started)) s)"

# ---- tuplecheck over the tcpdump captures -------------------------------------------
mapfile -t td < <(find corpus/tcpdump-tests -maxdepth 1 -type f \
	\( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | LC_ALL=C sort |
	awk -v n="$EVERY" '(NR - 1) % n == 0')
for c in replay flows packets hosts; do
	for ((i = 0; i < ${#td[@]}; i += 100)); do
		run "$c over corpus/tcpdump-tests (batch $((i / 100)))" \
			"$TC" "$c" --format jsonl --seed 1 "${td[@]:i:100}"
	done
done
# --filter over every link type the public captures have (libpcap's DLT
# numbers differ from the files' LINKTYPE numbers for a few)
for ((i = 0; i < ${#td[@]}; i += 100)); do
	run "packets --filter over corpus/tcpdump-tests (batch $((i / 100)))" \
		"$TC" packets --format jsonl --filter 'tcp or udp' "${td[@]:i:100}"
done
log "tuplecheck over corpus/tcpdump-tests/: ${#td[@]} captures x 4 subcommands ($((SECONDS - started)) s)"

# ---- merge and report ---------------------------------------------------------------
shopt -s nullglob
raws=("$PROF"/*.profraw)
if [ ${#raws[@]} -eq 0 ]; then
	echo "coverage: no profile was written" >&2
	exit 1
fi
"$PROFDATA" merge -sparse "${raws[@]}" -o "$COV_DIR/merged.profdata" || exit 1
objs=("$TC")
for b in "${BINS[@]:1}"; do objs+=(-object "$b"); done
covargs=(-instr-profile="$COV_DIR/merged.profdata" "${objs[@]}")

"$LLVMCOV" export -summary-only "${covargs[@]}" "${SOURCES[@]}" >"$OUT/coverage.json" || exit 1
"$LLVMCOV" report "${covargs[@]}" "${SOURCES[@]}" >"$PROF/report.txt" || exit 1
"$LLVMCOV" show -format=html -output-dir="$OUT/html" -show-branches=count \
	-show-line-counts-or-regions "${covargs[@]}" "${SOURCES[@]}" >/dev/null || exit 1

{
	echo "tuplecheck coverage: clang source-based (-O0), targets/ and oracle/; $(date -u +%Y-%m-%d) $(git rev-parse --short HEAD 2>/dev/null)"
	echo "inputs: $units unit tests ($unit_fail failed); repro ${repro_summary[*]:-none}; tuplecheck on ${#pcaps[@]} scenario captures (MANIFEST options, all formats), $cli_runs command-line runs and ${#td[@]} tcpdump captures"
	echo
	jq -r '
		def pct(c; n): if n == 0 then "   -   " else ((c * 1000 / n | floor) / 10 | tostring) + " %" end;
		def row(name; fs):
			(fs | map(.summary.lines.covered) | add // 0) as $lc |
			(fs | map(.summary.lines.count) | add // 0) as $ln |
			(fs | map(.summary.branches.covered) | add // 0) as $bc |
			(fs | map(.summary.branches.count) | add // 0) as $bn |
			(fs | map(.summary.functions.covered) | add // 0) as $fc |
			(fs | map(.summary.functions.count) | add // 0) as $fn |
			"\(name | .+"          " | .[0:10]) lines \($lc)/\($ln) \(pct($lc; $ln))   branches \($bc)/\($bn) \(pct($bc; $bn))   functions \($fc)/\($fn) \(pct($fc; $fn))";
		def rel: sub("^.*/(?<d>(targets|oracle)/)"; "\(.d)");
		[.data[0].files[] | .filename |= rel] as $f |
		row("targets/"; [$f[] | select(.filename | startswith("targets/"))]),
		row("oracle/"; [$f[] | select(.filename | startswith("oracle/"))]),
		row("total"; $f),
		(($f | map(.summary.lines.covered) | add) * 100 / ($f | map(.summary.lines.count) | add)) as $p |
		"goal >= 90 % of lines: \(if $p >= 90 then "pass" else "miss" end) (\(($p * 10 | floor) / 10) %)"
	' "$OUT/coverage.json"
	for n in "${notes[@]}"; do echo "note: $n"; done
	echo
	echo "per file (llvm-cov report; Regions, Functions, Lines, Branches):"
	sed "s|$PWD/||" "$PROF/report.txt"
} >"$OUT/summary.txt"

sed -n '1,/^per file/p' "$OUT/summary.txt" | sed '$d'
echo "wrote $OUT/summary.txt, $OUT/html/index.html, $OUT/coverage.json ($((SECONDS - started)) s)"
