#!/usr/bin/env bash
# t_bisect.sh - scripts/bisect.sh finds the commit that introduced a crash.
#
# In a clone of this repository (so nothing here is touched), six commits
# are made on top of HEAD with this tree's bisect/triage files: "fix" both
# planted bugs (buf[len - 1]; units * 2), an unrelated commit, "reintroduce"
# the over-read (buf[len]), another unrelated commit, "reintroduce" the
# signed overflow (units * 65536), a third unrelated commit. With GOOD = the
# fix and BAD = the tip, bisect.sh must name the reintroducing commit of
#   - the over-read, given the crash folder triage.sh wrote for the 4-byte
#     trigger, copied elsewhere, without --target: the target comes from
#     the folder's info.json (the docs' `bisect.sh .../minimized.bin`);
#   - the UBSan-only overflow (trigger PLUB): its report is recognised.
# It must leave the clone as it found it: same HEAD, clean status, no
# build/ folder, no extra worktree, no bisect state.
set -u
cd "$(dirname "$0")/.."
src=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
repo=$tmp/repo
git clone -q "$src" "$repo" || { echo "FAIL: git clone"; exit 1; }
cd "$repo"
git config user.email t_bisect@example.invalid
git config user.name t_bisect
# This tree's versions of the files under test (they may be uncommitted).
for f in scripts/bisect.sh scripts/fuzzlib.py mk/ci-fuzz.mk tests/planted/fuzz_planted.c tests/planted/fuzz_planted.dict; do
	mkdir -p "$(dirname "$f")"
	cp "$src/$f" "$f"
done
git add -A . && git commit -q -m "base" --allow-empty
grep -q 'return buf\[len\];' tests/planted/fuzz_planted.c || { echo "FAIL: planted line not found"; exit 1; }
grep -q 'return units \* 65536;' tests/planted/fuzz_planted.c || { echo "FAIL: planted overflow not found"; exit 1; }
sed -i -e 's/return buf\[len\];/return buf[len - 1];/' -e 's/return units \* 65536;/return units * 2;/' \
	tests/planted/fuzz_planted.c
git commit -q -am "fix the over-read and the overflow"
good=$(git rev-parse HEAD)
echo "unrelated 1" > NOTES-1.txt && git add NOTES-1.txt && git commit -q -m "unrelated 1"
sed -i 's/return buf\[len - 1\];/return buf[len];/' tests/planted/fuzz_planted.c
git commit -q -am "reintroduce the over-read"
culprit=$(git rev-parse HEAD)
echo "unrelated 2" > NOTES-2.txt && git add NOTES-2.txt && git commit -q -m "unrelated 2"
sed -i 's/return units \* 2;/return units * 65536;/' tests/planted/fuzz_planted.c
git commit -q -am "reintroduce the overflow"
culprit_ub=$(git rev-parse HEAD)
echo "unrelated 3" > NOTES-3.txt && git add NOTES-3.txt && git commit -q -m "unrelated 3"
tip=$(git rev-parse HEAD)

# The crash folder triage.sh (the CI job's code) writes for the trigger,
# copied to a path that names no target.
printf 'PLNT' > "$tmp/crash-input"
if ! (cd "$src" && make --no-print-directory -s ci-fuzz-planted-repro > "$tmp/build.log" 2>&1); then
	tail -n 20 "$tmp/build.log"; echo "FAIL: cannot build the planted-bug repro driver"; exit 1
fi
bash "$src/scripts/triage.sh" --target fuzz_planted --bin-dir "$src/build/fuzz-planted" --regressions "$tmp/noreg" \
	--out "$tmp/tri" --minimize-seconds 0 "$tmp/crash-input" > "$tmp/tri.txt" 2>&1
folder=$(dirname "$(find "$tmp/tri/crashes" -name minimized.bin | head -n 1)")
[ -f "$folder/info.json" ] || { cat "$tmp/tri.txt"; echo "FAIL: triage.sh wrote no crash folder"; exit 1; }
cp -r "$folder" "$tmp/a-crash"

t0=$SECONDS
bash scripts/bisect.sh "$tmp/a-crash/minimized.bin" "$good" "$tip" > "$tmp/out.txt" 2> "$tmp/err.txt"
rc=$?
cat "$tmp/out.txt"
echo "bisect.sh: exit $rc in $((SECONDS - t0)) s"
if [ $rc -ne 0 ] || ! grep -q "^first bad commit: $culprit" "$tmp/out.txt"; then
	tail -n 30 "$tmp/err.txt"
	echo "FAIL: expected first bad commit $culprit (crash folder, target from its info.json)"; fail=1
fi
grep -q '^signature: heap-buffer-overflow_read_1-planted_peek-' "$tmp/out.txt" || { echo "FAIL: no signature line"; fail=1; }

# The UBSan-only bug: the repro driver's report must be recognised at BAD.
printf 'PLUB' > "$tmp/crash-ub"
bash scripts/bisect.sh --target fuzz_planted "$tmp/crash-ub" "$good" "$tip" > "$tmp/out-ub.txt" 2> "$tmp/err-ub.txt"
rc=$?
cat "$tmp/out-ub.txt"
if [ $rc -ne 0 ] || ! grep -q "^first bad commit: $culprit_ub" "$tmp/out-ub.txt" ||
	! grep -q '^signature: integer-overflow-planted_scale-' "$tmp/out-ub.txt"; then
	tail -n 30 "$tmp/err-ub.txt"
	echo "FAIL: expected first bad commit $culprit_ub for the UBSan crash (exit $rc)"; fail=1
fi

# the clone is as it was
[ "$(git rev-parse HEAD)" = "$tip" ] || { echo "FAIL: HEAD moved"; fail=1; }
[ -z "$(git status --porcelain)" ] || { git status --short; echo "FAIL: the tree was modified"; fail=1; }
[ ! -e build ] || { echo "FAIL: something was built in the user's tree"; fail=1; }
[ "$(git worktree list | wc -l)" -eq 1 ] || { git worktree list; echo "FAIL: worktree left behind"; fail=1; }
git bisect log > /dev/null 2>&1 && { echo "FAIL: bisect state left in the user's tree"; fail=1; }

# usage errors
bash scripts/bisect.sh --target fuzz_planted "$tmp/no-such-file" > /dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: a missing input must exit 2"; fail=1; }

[ $fail -eq 0 ] && echo "ok: bisect found ${culprit:0:12} without touching the tree"
exit $fail
