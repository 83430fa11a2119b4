#!/usr/bin/env bash
# t_analyze.sh - `make analyze` (scripts/analyze.sh): clang's static analyzer
# and cppcheck find nothing in targets/, oracle/, harness/ and bench/ beyond
# the false positives listed, with reasons, in tests/analyze_known.txt.
#
# Then the gate itself: planted defects that each tool must report (a null
# dereference and a leak for clang, an out-of-bounds write for cppcheck)
# fail it with their names, and a known entry that no longer matches
# anything fails it as stale, so the list cannot keep covering code that
# changed.
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

if bash scripts/analyze.sh --out "$tmp/tree" >"$tmp/tree.txt" 2>&1; then
	tail -n 1 "$tmp/tree.txt"
else
	cat "$tmp/tree.txt"; echo "FAIL: make analyze reports new or stale findings (see above)"; fail=1
fi

mkdir -p "$tmp/src"
cat >"$tmp/src/planted.c" <<'EOF'
#include <stdlib.h>
#include <string.h>

int planted_null(int k);
char *planted_leak(const char *s);
int planted_oob(void);

int planted_null(int k)
{
	int *p = k > 3 ? malloc(sizeof(*p)) : NULL;
	int v;

	*p = k;                 /* NULL when k <= 3, and malloc is unchecked */
	v = *p;
	free(p);
	return v;
}

char *planted_leak(const char *s)
{
	char *a = strdup(s);

	if (a == NULL || a[0] == 'x')
		return NULL;    /* leaks a when it starts with 'x' */
	return a;
}

int planted_oob(void)
{
	int a[4];

	a[4] = 1;
	return a[0];
}
EOF
: >"$tmp/none.txt"
bash scripts/analyze.sh --known "$tmp/none.txt" --out "$tmp/p" "$tmp/src/planted.c" >"$tmp/planted.txt" 2>&1
rc=$?
# findings name files as paths relative to the project, as the script does
rel=$(/usr/bin/python3 -c 'import os,sys; print(os.path.relpath(sys.argv[1]))' "$tmp/src/planted.c")
for want in "clang|$rel|planted_null|core.NullDereference" "clang|$rel|planted_leak|unix.Malloc" \
	    "cppcheck|$rel|arrayIndexOutOfBounds"; do
	grep -F "NEW " "$tmp/planted.txt" | grep -qF "$want" ||
		{ echo "FAIL: the planted defect $want was not reported"; fail=1; }
done
[ $rc -eq 1 ] || { echo "FAIL: planted defects: exit $rc, want 1"; fail=1; }
[ $fail -eq 0 ] || sed 's/^/    | /' "$tmp/planted.txt"

# Every planted finding listed as known: passes; one entry more: stale, fails.
grep -F "NEW " "$tmp/planted.txt" | sed 's/^analyze: NEW   [^ ]*  //' >"$tmp/known.txt"
if ! bash scripts/analyze.sh --known "$tmp/known.txt" --out "$tmp/p" "$tmp/src/planted.c" >"$tmp/k.txt" 2>&1; then
	sed 's/^/    | /' "$tmp/k.txt"; echo "FAIL: planted defects all listed as known still fail"; fail=1
fi
echo "clang|oracle/none.c|gone|core.DivideZero|Division by zero" >>"$tmp/known.txt"
bash scripts/analyze.sh --known "$tmp/known.txt" --out "$tmp/p" "$tmp/src/planted.c" >"$tmp/s.txt" 2>&1
rc=$?
if [ $rc -ne 1 ] || ! grep -qF "STALE clang|oracle/none.c|gone|core.DivideZero" "$tmp/s.txt"; then
	sed 's/^/    | /' "$tmp/s.txt"; echo "FAIL: a stale known entry: exit $rc, want 1 and STALE"; fail=1
fi

# A file clang cannot compile is an error of the gate, not a clean file.
printf 'int broken(void) { return }\n' >"$tmp/src/broken.c"
bash scripts/analyze.sh --known "$tmp/none.txt" --out "$tmp/b" "$tmp/src/broken.c" >"$tmp/b.txt" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "clang cannot analyze" "$tmp/b.txt" ||
	{ sed 's/^/    | /' "$tmp/b.txt"; echo "FAIL: an uncompilable file: exit $rc, want 2"; fail=1; }

[ $fail -eq 0 ] && echo "ok: static analysis clean beyond the listed false positives; planted null dereference, leak and out-of-bounds write fail it; stale entries fail it"
exit $fail
