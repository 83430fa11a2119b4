#!/usr/bin/env bash
# t_coverage.sh - `make coverage` keeps working and keeps its goal: it
# builds (clang source-based coverage), every input runs without a driver
# aborting or timing out (a repro driver linked without its allocation
# wrappers aborted on every fuzz_engine input and its coverage was lost
# unnoticed), and at least 90 % of the lines of targets/ and oracle/ run.
# About 10 s.
set -u
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
make --no-print-directory coverage >"$log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL make coverage exited $rc"
	tail -n 20 "$log" | sed 's/^/    | /'
	exit 1
fi
fail=0
if ! grep -q '^goal >= 90 % of lines: pass' "$log"; then
	echo "FAIL the line goal: $(grep '^goal' "$log")"
	fail=1
fi
if grep -qE 'aborting|aborts|timed out|^note: ' "$log"; then
	echo "FAIL inputs that gave no coverage:"
	grep -E 'aborting|aborts|timed out|^note: ' "$log" | head -n 8 | sed 's/^/    | /'
	fail=1
fi
grep -E '^(targets|oracle|total)/? ' "$log"
[ $fail -eq 0 ] && echo "t_coverage: $(grep '^goal' "$log")"
exit $fail
