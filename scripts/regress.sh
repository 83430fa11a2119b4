#!/usr/bin/env bash
# scripts/regress.sh - replay every triaged crash input under ASan+UBSan.
#
#   scripts/regress.sh [--dir corpus/regressions] [--bin-dir build/fuzz] [NAME...]
#
# corpus/regressions/NAME/ holds inputs that once crashed fuzz target NAME
# (promoted by scripts/triage.sh --promote, named by their crash signature).
# Each folder is run through build/fuzz/repro/NAME, the gcc ASan+UBSan
# driver; a fixed bug must stay fixed, so any sanitizer report, FUZZ_CHECK
# failure or timeout fails. On failure every input of the folder is run on
# its own and the failing ones are named with their current signature.
# `make regress` runs this; tests/t_regress.sh runs it in `make test`.
# A NAME given on the command line must be a fuzz target (a driver in
# BIN-DIR/repro/); with no folder or no input yet it is said and passes.
# Exit: 0 all ran clean, 1 an input crashed, 2 a driver is missing, --dir is
# not a folder, or an option is wrong.
set -u
cd "$(dirname "$0")/.."
dir=corpus/regressions
bins=build/fuzz
while [ $# -gt 0 ]; do
	case $1 in
	--dir|--bin-dir)
		[ $# -ge 2 ] || { echo "regress: $1 needs a value" >&2; exit 2; }
		if [ "$1" = --dir ]; then dir=$2; else bins=$2; fi
		shift 2 ;;
	-*) echo "regress: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
# A mistyped folder must not pass as "0 inputs".
[ -d "$dir" ] || { echo "regress: $dir: no such folder" >&2; exit 2; }
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1:handle_abort=1:allocator_may_return_null=1:symbolize=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:symbolize=1"
sym=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)
[ -n "$sym" ] && export ASAN_SYMBOLIZER_PATH=$sym

named=$#          # targets named on the command line, not found in $dir
if [ $named -gt 0 ]; then
	names=("$@")
else
	names=()
	for d in "$dir"/*/; do
		[ -d "$d" ] && names+=("$(basename "$d")")
	done
fi
total=0 bad=0 missing=0
for name in "${names[@]+"${names[@]}"}"; do
	d=$dir/$name
	n=$(find "$d" -type f ! -name '.*' 2>/dev/null | wc -l)
	drv=$bins/repro/$name
	# an empty folder of a real target has nothing to replay; a NAME
	# without a driver is a mistyped target, folder or not
	if [ "$n" -eq 0 ] && [ -x "$drv" ]; then
		[ $named -gt 0 ] && printf 'regress: %-16s    0 inputs (nothing in %s/ yet)\n' "$name" "$d"
		continue
	fi
	if [ ! -x "$drv" ]; then
		echo "regress: $name: no repro driver at $drv (make fuzz-repro)" >&2
		missing=$((missing + 1))
		continue
	fi
	total=$((total + n))
	if ("$drv" -q -t 30 "$d"; exit $?) >/dev/null 2>&1; then
		printf 'regress: %-16s %4d inputs ok\n' "$name" "$n"
		continue
	fi
	# Name every failing input, with the signature it crashes with now.
	before=$bad
	while IFS= read -r f; do
		if ! ("$drv" -q -t 30 "$f"; exit $?) >/dev/null 2>&1; then
			sig=$(/usr/bin/python3 scripts/fuzzlib.py signature --bin-dir "$bins" "$name" "$f" 2>/dev/null)
			echo "regress: FAIL $f: ${sig:-crashes (no sanitizer report)}"
			bad=$((bad + 1))
		fi
	done < <(find "$d" -type f ! -name '.*' | sort)
	if [ $bad -eq "$before" ]; then
		echo "regress: FAIL $d: crashes as a folder, no input alone (state kept between inputs)"
		bad=$((bad + 1))
	fi
done
echo "regress: $total inputs, $bad failing, $missing target(s) without a driver"
[ $missing -gt 0 ] && exit 2
[ $bad -gt 0 ] && exit 1
exit 0
