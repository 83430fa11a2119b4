#!/usr/bin/env bash
# t_help.sh - what `tuplecheck --help` says about rules and option values is
# what the program does and what README.md says:
#   - its rule list (printed from the catalog in oracle/rules.c) names
#     exactly the rules of README's rule table, each with the table's
#     severity, and marks "off" exactly those the table calls off by default
#     (the checksum rules; port.ephemeral-range without a range);
#   - every numeric range it gives (--msl, --min-samples, --ephemeral-range,
#     --max-flows) is the one enforced: both ends accepted, one past each end
#     refused with exit 2 (bounds read from the --help text, not copied here);
#   - junit and sarif, "replay only", are refused by flows, hosts and packets
#     (exit 2) and taken by replay;
#   - no line is wider than 80 columns.
# Exit 0 pass, 1 fail, 77 skip.
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
[ -x "$TC" ] || { echo "skip: $TC not built (make asan)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
good=corpus/pcaps/tuple_duplicate_live.pcap

"$TC" --help > "$tmp/help" 2>"$tmp/err" || { echo "FAIL: --help exit $?"; cat "$tmp/err"; exit 1; }

# ---- rules against README's table ------------------------------------------
/usr/bin/python3 - README.md "$tmp/help" <<'PY' || fail=1
import re, sys
readme, help_text = open(sys.argv[1]).read(), open(sys.argv[2]).read()
sec = readme[readme.index("### Rules"):]
sec = sec[:sec.index("\n\n", sec.index("| id |"))]
want = {}
for line in sec.splitlines():
    cols = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cols) < 3 or not cols[0].startswith("`"):
        continue
    off = "off by default" in cols[2] or "off without" in cols[2]
    for rid in re.findall(r"`([a-z0-9.-]+)`", cols[0]):
        want[rid] = (cols[1], off)
if len(want) < 10:
    sys.exit("FAIL: only %d rules found in README's rule table" % len(want))
lines = help_text.splitlines()
start = [i for i, l in enumerate(lines) if l.startswith("Rules ")]
if not start:
    sys.exit("FAIL: --help has no 'Rules' list")
i = start[0] + 1
while i < len(lines) and not lines[i].startswith("  "):
    i += 1          # the rest of the heading
got = {}
while i < len(lines) and lines[i].startswith("  "):
    f = lines[i].split()
    got[f[0]] = (f[1] if len(f) > 1 else None, len(f) > 2 and f[2] == "off")
    i += 1
bad = 0
for rid in sorted(set(want) | set(got)):
    if want.get(rid) != got.get(rid):
        print("FAIL: rule %s: README (severity, off) %s, --help %s" % (rid, want.get(rid), got.get(rid)))
        bad = 1
if not bad:
    print("ok: --help lists the %d rules of README's table with their severity and default" % len(got))
sys.exit(bad)
PY

# ---- ranges: read from --help, checked against the parser -------------------
accepts() {   # description, options...: the options must be taken (exit 0 or 1)
	local what=$1; shift
	"$TC" flows "$@" "$good" >/dev/null 2>"$tmp/err"
	local rc=$?
	if [ $rc -eq 2 ]; then echo "FAIL: $what refused: $(head -n 1 "$tmp/err")"; fail=1; fi
}
refuses() {   # description, options...: a usage error, exit 2
	local what=$1; shift
	"$TC" flows "$@" "$good" >/dev/null 2>"$tmp/err"
	local rc=$?
	if [ $rc -ne 2 ]; then echo "FAIL: $what taken (exit $rc)"; fail=1; fi
}
range_of() {   # option: "LO HI" from its --help lines ("N-M" after the option)
	awk -v o="$1" '$1 == o { on = 1 } on && /^  --/ && $1 != o { exit }
		on && match($0, /[0-9]+-[0-9]+/) { r = substr($0, RSTART, RLENGTH); sub(/-/, " ", r); print r; exit }' "$tmp/help"
}
for opt in --msl --min-samples; do
	read -r lo hi <<< "$(range_of "$opt")"
	if [ -z "${hi:-}" ]; then echo "FAIL: --help gives no range for $opt"; fail=1; continue; fi
	before=$fail fail=0
	accepts "$opt $lo" "$opt" "$lo"
	accepts "$opt $hi" "$opt" "$hi"
	[ "$lo" -gt 0 ] && refuses "$opt $((lo - 1))" "$opt" "$((lo - 1))"
	refuses "$opt $((hi + 1))" "$opt" "$((hi + 1))"
	[ $fail -eq 0 ] && echo "ok: $opt takes $lo to $hi, as --help says"
	fail=$((fail | before))
done
# "(1 <= LO <= HI <= 65535)"
if grep -A1 -- '--ephemeral-range LO-HI' "$tmp/help" | grep -q '(1 <= LO <= HI <= 65535)'; then
	before=$fail fail=0
	accepts "--ephemeral-range 1-65535" --ephemeral-range 1-65535
	accepts "--ephemeral-range 7-7" --ephemeral-range 7-7
	refuses "--ephemeral-range 0-10" --ephemeral-range 0-10
	refuses "--ephemeral-range 1-65536" --ephemeral-range 1-65536
	refuses "--ephemeral-range 10-9" --ephemeral-range 10-9
	[ $fail -eq 0 ] && echo "ok: --ephemeral-range bounds as --help says"
	fail=$((fail | before))
else
	echo "FAIL: --help does not give --ephemeral-range's bounds"; fail=1
fi
if grep -A1 -- '--max-flows N' "$tmp/help" | grep -q '(N >= 1)'; then
	before=$fail fail=0
	accepts "--max-flows 1" --max-flows 1
	refuses "--max-flows 0" --max-flows 0
	[ $fail -eq 0 ] && echo "ok: --max-flows N >= 1, as --help says"
	fail=$((fail | before))
else
	echo "FAIL: --help does not say --max-flows N >= 1"; fail=1
fi

# ---- junit and sarif: replay only -------------------------------------------
if grep -A2 -- '--format text|jsonl|junit|sarif' "$tmp/help" | grep -q 'replay only'; then
	before=$fail fail=0
	for f in junit sarif; do
		for c in flows hosts packets; do
			"$TC" "$c" --format "$f" "$good" >/dev/null 2>"$tmp/fmt.err"
			rc=$?
			[ $rc -eq 2 ] || { echo "FAIL: $c --format $f: exit $rc, not 2"; fail=1; }
			# the one line names the command and the format refused
			if [ "$(wc -l <"$tmp/fmt.err")" -ne 1 ] || ! grep -q "^tuplecheck: $c: --format $f " "$tmp/fmt.err"; then
				echo "FAIL: $c --format $f: stderr does not name it: $(cat "$tmp/fmt.err")"; fail=1
			fi
		done
		"$TC" replay --format "$f" "$good" >/dev/null 2>&1
		rc=$?
		[ $rc -le 1 ] || { echo "FAIL: replay --format $f: exit $rc"; fail=1; }
	done
	[ $fail -eq 0 ] && echo "ok: junit and sarif are for replay only"
	fail=$((fail | before))
else
	echo "FAIL: --help does not say junit and sarif are for replay only"; fail=1
fi

# ---- width --------------------------------------------------------------------
if awk 'length > 80 { print "FAIL: --help line " NR " is " length " columns: " $0; bad = 1 } END { exit bad }' "$tmp/help"; then
	echo "ok: no --help line wider than 80 columns"
else
	fail=1
fi
exit $fail
