#!/usr/bin/env bash
# t_bisect.sh - scripts/bisect.sh finds the commit that introduced a crash.
#
# In a clone of this repository (so nothing here is touched), four commits
# are made on top of HEAD with this tree's bisect/triage files: "fix" the
# planted over-read (buf[len - 1]), an unrelated commit, "reintroduce" it
# (buf[len]), another unrelated commit. bisect.sh, given the 4-byte trigger
# as the crashing input, GOOD = the fix and BAD = the tip, must name the
# reintroducing commit; and it must leave the clone as it found it: same
# HEAD, clean status, no build/ folder, no extra worktree, no bisect state.
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
sed -i 's/return buf\[len\];/return buf[len - 1];/' tests/planted/fuzz_planted.c
git commit -q -am "fix the over-read"
good=$(git rev-parse HEAD)
echo "unrelated 1" > NOTES-1.txt && git add NOTES-1.txt && git commit -q -m "unrelated 1"
sed -i 's/return buf\[len - 1\];/return buf[len];/' tests/planted/fuzz_planted.c
git commit -q -am "reintroduce the over-read"
culprit=$(git rev-parse HEAD)
echo "unrelated 2" > NOTES-2.txt && git add NOTES-2.txt && git commit -q -m "unrelated 2"
tip=$(git rev-parse HEAD)
printf 'PLNT' > "$tmp/crash-input"

t0=$SECONDS
bash scripts/bisect.sh --target fuzz_planted "$tmp/crash-input" "$good" "$tip" > "$tmp/out.txt" 2> "$tmp/err.txt"
rc=$?
cat "$tmp/out.txt"
echo "bisect.sh: exit $rc in $((SECONDS - t0)) s"
if [ $rc -ne 0 ] || ! grep -q "^first bad commit: $culprit" "$tmp/out.txt"; then
	tail -n 30 "$tmp/err.txt"
	echo "FAIL: expected first bad commit $culprit"; fail=1
fi
grep -q '^signature: heap-buffer-overflow_read_1-planted_peek-' "$tmp/out.txt" || { echo "FAIL: no signature line"; fail=1; }

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
