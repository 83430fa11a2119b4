#!/usr/bin/env bash
# tests/run.sh - run every test of `make test` and print one closing line.
#
# Two kinds of test, both found by name so that adding one needs no edit here:
#   build/asan/tests/test_*   cmocka unit tests (built from tests/unit/test_*.c)
#   tests/t_*.sh              golden, differential, regression and smoke tests;
#                             exit 0 = pass, 77 = skip (the script prints why),
#                             anything else = fail.
# Usage: tests/run.sh [unit|scripts] [NAME-SUBSTRING]
# Everything runs under ASan+UBSan with halt_on_error; leaks fail the test.
set -u
cd "$(dirname "$0")/.."
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export TC_BIN="$PWD/build/asan/tuplecheck"
export TC_REL_BIN="$PWD/build/tuplecheck"

kind=${1:-all}
pat=${2:-}
pass=0 fail=0 skip=0
failed=()
logdir=build/test-logs
mkdir -p "$logdir"

run_one() {   # name, command...
	local name=$1; shift
	local log="$logdir/$name.log" start=$SECONDS rc
	"$@" >"$log" 2>&1
	rc=$?
	local secs=$((SECONDS - start))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); printf 'PASS  %-40s %4ss\n' "$name" "$secs"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); printf 'SKIP  %-40s %s\n' "$name" "$(tail -n 1 "$log")"
	else
		fail=$((fail + 1)); failed+=("$name")
		printf 'FAIL  %-40s %4ss (exit %d, log %s)\n' "$name" "$secs" "$rc" "$log"
		tail -n 25 "$log" | sed 's/^/    | /'
	fi
}

if [ "$kind" = all ] || [ "$kind" = unit ]; then
	for t in build/asan/tests/test_*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		[ -n "$pat" ] && [[ $n != *"$pat"* ]] && continue
		run_one "$n" "$t"
	done
fi
if [ "$kind" = all ] || [ "$kind" = scripts ]; then
	for t in tests/t_*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$t" .sh)
		[ -n "$pat" ] && [[ $n != *"$pat"* ]] && continue
		run_one "$n" bash "$t"
	done
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed: ${failed[*]}"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && [ $((pass + fail)) -gt 0 ]
