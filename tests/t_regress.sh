#!/usr/bin/env bash
# t_regress.sh - `make regress`: every input in corpus/regressions/NAME/ (past
# crashes, promoted by scripts/triage.sh --promote) replayed through the gcc
# ASan+UBSan repro driver must run clean.
#
# Then the replay itself is tested on a temporary regressions folder, with
# the planted-bug target (tests/planted/fuzz_planted.c): a crashing input
# must fail it (exit 1) and be named with its crash signature, harmless
# inputs must pass, and a folder for a target without a driver is an error
# (exit 2), so an empty or mistyped folder cannot pass silently; neither can
# a --dir that does not exist or a mistyped target name.
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

if ! make --no-print-directory regress > "$tmp/regress.txt" 2>&1; then
	cat "$tmp/regress.txt"; echo "FAIL: make regress"; fail=1
else
	tail -n 1 "$tmp/regress.txt"
fi
# every regression folder belongs to a real target
for d in corpus/regressions/*/; do
	[ -d "$d" ] || continue
	t=$(basename "$d")
	[ -f "harness/$t.c" ] || { echo "FAIL: corpus/regressions/$t/ has no harness/$t.c"; fail=1; }
done

if ! make --no-print-directory -s ci-fuzz-planted-repro > "$tmp/build.log" 2>&1; then
	tail -n 20 "$tmp/build.log"; echo "FAIL: cannot build the planted-bug repro driver"; exit 1
fi
reg=$tmp/reg
mkdir -p "$reg/fuzz_planted"
printf 'hello' > "$reg/fuzz_planted/harmless-1"
printf '\x00\x45\x00\x00\x14' > "$reg/fuzz_planted/harmless-2"
bash scripts/regress.sh --dir "$reg" --bin-dir build/fuzz-planted > "$tmp/ok.txt" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '2 inputs, 0 failing' "$tmp/ok.txt" ||
	{ cat "$tmp/ok.txt"; echo "FAIL: harmless inputs: exit $rc"; fail=1; }

printf 'PLNT-still-crashes' > "$reg/fuzz_planted/heap-buffer-overflow-0123456789.bin"
bash scripts/regress.sh --dir "$reg" --bin-dir build/fuzz-planted > "$tmp/bad.txt" 2>&1
rc=$?
if [ $rc -ne 1 ] || ! grep -q 'FAIL .*heap-buffer-overflow-0123456789.bin: heap-buffer-overflow_read_1-planted_peek-' "$tmp/bad.txt" \
	|| ! grep -q '3 inputs, 1 failing' "$tmp/bad.txt"; then
	cat "$tmp/bad.txt"; echo "FAIL: a crashing regression input was not reported (exit $rc)"; fail=1
fi

mkdir -p "$reg/fuzz_nosuchtarget" && printf 'x' > "$reg/fuzz_nosuchtarget/a"
bash scripts/regress.sh --dir "$reg" --bin-dir build/fuzz-planted fuzz_nosuchtarget > "$tmp/miss.txt" 2>&1
[ $? -eq 2 ] || { cat "$tmp/miss.txt"; echo "FAIL: a folder without a driver must exit 2"; fail=1; }

# Mistyped paths and names are errors, not "0 inputs": a --dir that is not
# a folder, a NAME without a driver; a real target with nothing promoted
# yet passes and says so.
bash scripts/regress.sh --dir "$tmp/nope" > "$tmp/nodir.txt" 2>&1
[ $? -eq 2 ] && grep -q "regress: $tmp/nope: no such folder" "$tmp/nodir.txt" ||
	{ cat "$tmp/nodir.txt"; echo "FAIL: a --dir that does not exist must exit 2, named"; fail=1; }
bash scripts/regress.sh --dir "$reg" --bin-dir build/fuzz-planted fuzz_plantedd > "$tmp/typo.txt" 2>&1
[ $? -eq 2 ] && grep -q "fuzz_plantedd: no repro driver" "$tmp/typo.txt" ||
	{ cat "$tmp/typo.txt"; echo "FAIL: a mistyped target name must exit 2"; fail=1; }
mkdir -p "$tmp/fresh"
bash scripts/regress.sh --dir "$tmp/fresh" --bin-dir build/fuzz-planted fuzz_planted > "$tmp/fresh.txt" 2>&1
[ $? -eq 0 ] && grep -q "fuzz_planted .* 0 inputs (nothing in $tmp/fresh/fuzz_planted/ yet)" "$tmp/fresh.txt" ||
	{ cat "$tmp/fresh.txt"; echo "FAIL: a target with nothing promoted yet must pass and say so"; fail=1; }

[ $fail -eq 0 ] && echo "ok: regression replay"
exit $fail
