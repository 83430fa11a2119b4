#!/usr/bin/env bash
# scripts/analyze.sh - static analysis of tuplecheck's C code: clang's static
# analyzer (path-sensitive: null and uninitialized values, leaks, division by
# zero, dead stores, bad arguments to libc) and cppcheck (warning, portability
# and performance classes) over every source file of targets/, oracle/,
# harness/ and bench/. `make analyze` runs it; so does `make test`
# (tests/t_analyze.sh).
#
#   scripts/analyze.sh [--known FILE] [--out DIR] [--jobs N] [SOURCE.c...]
#
# Every finding is named by tool, file, function (clang) or message
# (cppcheck) and check, without line numbers, so that editing a file does
# not move it. A finding listed in the known file (default
# tests/analyze_known.txt, one per line, each under a comment saying why it
# is a false positive) is reported as known; any other is new. A known
# entry the tools no longer report is stale: the code changed, so the entry
# must go (a list that only grows would hide the next real finding).
#
# Not analyzed: harness/afl_driver.c (its __AFL_* macros exist only under
# afl-clang-fast) and tests/ (cmocka's assertions are not modelled as
# ending the test, which makes every later read look uninitialized).
# harness/mutator_afl.c is analyzed as the fuzz_pcap mutator library.
#
# Exit: 0 nothing new and nothing stale; 1 new or stale findings (listed);
# 2 usage error or a tool missing or failing on a file.
set -u
cd "$(dirname "$0")/.."

known=tests/analyze_known.txt
out=build/analyze
jobs=$(nproc 2>/dev/null || echo 2)
files=()
while [ $# -gt 0 ]; do
	case $1 in
	--known) known=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	-h|--help) sed -n '2,/^# Exit:/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "analyze: unknown option '$1' (--known, --out, --jobs, --help)" >&2; exit 2 ;;
	*) files+=("$1"); shift ;;
	esac
done
if [ ${#files[@]} -eq 0 ]; then
	for f in targets/*.c oracle/*.c harness/*.c bench/*.c; do
		[ "$f" = harness/afl_driver.c ] || files+=("$f")
	done
fi
for f in "${files[@]}"; do
	[ -f "$f" ] || { echo "analyze: $f: no such file" >&2; exit 2; }
done
[ -r "$known" ] || { echo "analyze: $known: cannot read the known findings" >&2; exit 2; }
for t in clang cppcheck /usr/bin/python3; do
	command -v "$t" >/dev/null || { echo "analyze: $t is not installed (bash scripts/deps.sh test)" >&2; exit 2; }
done

# The flags every build uses (Makefile STD, CPPFLAGS_ALL), plus the harness
# and bench headers; -DMUT_FN picks what harness/mutator_afl.c wraps.
flags=(-Itargets -Ioracle -Iharness -Ibench -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DMUT_FN=mut_pcap)

rm -rf "$out" && mkdir -p "$out/clang" || exit 2

# cppcheck: one run over all files, in one process: it follows calls from
# file to file, which it does not do with -j. It runs beside clang's jobs.
cppcheck -q --std=c11 --enable=warning,portability,performance \
	--error-exitcode=0 --template='{file}|{line}|{column}|{id}|{message}' "${flags[@]}" \
	"${files[@]}" 2>"$out/cppcheck.txt" >"$out/cppcheck.log" &
cpp_pid=$!

# clang: one plist per file, $jobs at a time. A file clang cannot compile
# is a failure of the gate, not a clean file.
export out
clang_rc=0
printf '%s\n' "${files[@]}" | xargs -P "$jobs" -I{} bash -c '
	f=$1; shift
	p=$out/clang/$(echo "$f" | tr / _).plist
	clang --analyze -std=c11 -Xclang -analyzer-output=plist -o "$p" "$@" "$f" 2>"$p.err" ||
		{ echo "analyze: clang cannot analyze $f:" >&2; sed "s/^/    /" "$p.err" >&2; exit 255; }
' _ {} "${flags[@]}" || clang_rc=2
if ! wait "$cpp_pid"; then
	echo "analyze: cppcheck failed:" >&2; cat "$out/cppcheck.log" "$out/cppcheck.txt" | sed 's/^/    /' >&2
	exit 2
fi
[ $clang_rc -eq 0 ] || exit 2

/usr/bin/python3 - "$out" "$known" "${#files[@]}" <<'PY'
import glob, os, plistlib, sys

out, known_path, nfiles = sys.argv[1], sys.argv[2], int(sys.argv[3])
found = {}          # key -> "file:line:col" of one occurrence, for people

for pl in sorted(glob.glob(os.path.join(out, "clang", "*.plist"))):
    with open(pl, "rb") as f:
        d = plistlib.load(f)
    files = d.get("files", [])
    for diag in d.get("diagnostics", []):
        loc = diag["location"]
        fname = os.path.relpath(files[loc["file"]])
        key = "clang|%s|%s|%s|%s" % (fname, diag.get("issue_context", "-"),
                                     diag["check_name"], diag["description"])
        found.setdefault(key, "%s:%d:%d" % (fname, loc["line"], loc["col"]))

with open(os.path.join(out, "cppcheck.txt"), encoding="utf-8", errors="replace") as f:
    for line in f:
        parts = line.rstrip("\n").split("|", 4)
        if len(parts) != 5 or not parts[0]:
            continue            # notes and context lines
        fname, ln, col, cid, msg = os.path.relpath(parts[0]), parts[1], parts[2], parts[3], parts[4]
        found.setdefault("cppcheck|%s|%s|%s" % (fname, cid, msg), "%s:%s:%s" % (fname, ln, col))

known = set()
with open(known_path, encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            known.add(line)

new = sorted(k for k in found if k not in known)
stale = sorted(k for k in known if k not in found)
for k in new:
    print("analyze: NEW   %s  %s" % (found[k], k))
for k in stale:
    print("analyze: STALE %s (no longer reported: remove it from %s)" % (k, known_path))
print("analyze: %d files, clang analyzer and cppcheck: %d findings, %d known false positives "
      "(%s), %d new, %d stale" % (nfiles, len(found), len(found) - len(new), known_path,
                                  len(new), len(stale)))
sys.exit(1 if new or stale else 0)
PY
