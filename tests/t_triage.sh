#!/usr/bin/env bash
# t_triage.sh - crash identity and scripts/triage.sh.
#
# 1. Real sanitizer output on this machine, from a small program compiled
#    here with gcc ASan+UBSan (and clang libFuzzer for a timeout), placed in
#    a harness/ folder so its frames count as project frames: each report
#    must parse to the expected ClusterFuzz-style type and crash state, the
#    driver/abort plumbing must be dropped from the state, and signatures
#    must be equal exactly when the bug is the same.
# 2. scripts/triage.sh (repro driver only) on a folder mixing a libFuzzer artifact, an AFL++
#    instance folder (crash names with ':'), an OSS-Fuzz testcase name and a
#    harmless file, all for the planted-bug target: one unique crash,
#    minimized to the 4-byte trigger, artifact names free of ':', the
#    harmless file listed as unreproducible, a JUnit report with a failing
#    test case for the target; --promote writes it to a
#    regressions folder, after which the same crash is known (exit 0).
# 3. A UBSan-only planted bug reproduced by the repro driver alone: triage
#    and bisect.sh's signature step must recognise its report.
# 4. One stack reached through two targets is two findings, each known or
#    new by its own target's regressions, each in its own crash folder.
# 5. A libFuzzer minimization that hands back another bug's crash is not
#    kept, and libFuzzer runs again instead of giving up.
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# ---- 1. parsing real reports -----------------------------------------------
mkdir -p "$tmp/p/harness"
cat > "$tmp/p/harness/cases.c" <<'EOF'
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
__attribute__((noinline)) static int add_one(int a) { return a + 1; }
__attribute__((noinline)) static void *leaky(size_t n) { return malloc(n); }
__attribute__((noinline)) static int over(const char *p, size_t n) { return p[n]; }
__attribute__((noinline)) static int over2(const char *p, size_t n) { return over(p, n); }
__attribute__((noinline)) static int use_freed(char *p) { free(p); return p[0]; }
__attribute__((noinline)) static void fuzz_check_failed(const char *c) { fprintf(stderr, "\nx.c:1: FUZZ_CHECK failed: %s\n", c); abort(); }
__attribute__((noinline)) static void check_a(int x) { if (x != 3) fuzz_check_failed("x == 3"); }
__attribute__((noinline)) static void check_b(int x) { if (x != 4) fuzz_check_failed("x == 4"); }
__attribute__((noinline)) static void checks(int x) { check_a(x); }
__attribute__((noinline)) static void checks2(int x) { check_b(x); }
int main(int argc, char **argv) {
	volatile int big = INT_MAX;
	char *h = malloc(8);
	memset(h, 1, 8);
	switch (argv[1][0]) {
	case 'u': return add_one(big) & 1;
	case 'l': { void *volatile p = leaky(24); p = NULL; (void)p; break; }
	case 'o': return over2(h, 8 + (argv[1][1] == '2'));   /* o and o2: one bug */
	case 'f': return use_freed(h);
	case 'a': checks(argc); break;
	case 'b': checks2(argc); break;
	}
	free(h);
	return 0;
}
EOF
if ! gcc -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	"$tmp/p/harness/cases.c" -o "$tmp/p/cases" 2> "$tmp/cc.err"; then
	cat "$tmp/cc.err"; echo "FAIL: cannot compile the test program"; exit 1
fi
sym=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer)
for c in u l o o2 f a b; do
	(cd "$tmp/p" && ASAN_SYMBOLIZER_PATH=$sym ASAN_OPTIONS=symbolize=1:handle_abort=1:detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ./cases "$c"; exit $?) > "$tmp/$c.txt" 2>&1
done
# A libFuzzer timeout (clang): the stack is printed by libFuzzer's handler.
if command -v clang >/dev/null; then
	cat > "$tmp/p/harness/spin.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
__attribute__((noinline)) static void spin(volatile int *x) { for (;;) (*x)++; }
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { volatile int x = 0; if (n > 0 && d[0] == 'S') spin(&x); return 0; }
EOF
	clang -g -O1 -fsanitize=fuzzer,address "$tmp/p/harness/spin.c" -o "$tmp/p/spin" 2> "$tmp/cc.err" || cat "$tmp/cc.err"
	printf 'S' > "$tmp/S"
	(cd "$tmp/p" && ASAN_SYMBOLIZER_PATH=$sym ./spin -timeout=1 "$tmp/S"; exit $?) > "$tmp/t.txt" 2>&1
fi
$PY - "$tmp" <<'PYEOF' || fail=1
import sys
sys.path.insert(0, "scripts")
import fuzzlib as fl
d = sys.argv[1]
bad = 0
def crash(name):
    try:
        return fl.parse_report(open("%s/%s.txt" % (d, name)).read())
    except FileNotFoundError:
        return None
want = {   # case: (kind, type, crash state functions, location line)
    "u": ("crash", "Integer-overflow", ["add_one"], 5),
    "l": ("leak", "Direct-leak", ["leaky"], 6),
    "o": ("crash", "Heap-buffer-overflow READ 1", ["over", "over2"], 7),
    "f": ("crash", "Heap-use-after-free READ 1", ["use_freed"], 9),
    "a": ("crash", "ASSERT", ["x == 3", "check_a", "checks"], 11),
    "t": ("timeout", "Timeout", ["spin", "LLVMFuzzerTestOneInput"], 3),
}
for k, (kind, ctype, state, line) in want.items():
    c = crash(k)
    if c is None:
        print("FAIL %s: no crash parsed" % k); bad = 1; continue
    loc = c.location()
    got = (c.kind, c.crash_type, c.state_lines(), loc[1] if loc else None)
    if got != (kind, ctype, state, line):
        print("FAIL %s: got %r, want %r" % (k, got, (kind, ctype, state, line))); bad = 1
    elif loc[0] != "harness/cases.c" and k != "t":
        print("FAIL %s: location %r" % (k, loc)); bad = 1
    sig = c.signature()
    if not all(ch.isalnum() or ch in "._-" for ch in sig):
        print("FAIL %s: signature %r is not a safe file name" % (k, sig)); bad = 1
    print("ok: %-2s %-28s %s" % (k, c.crash_type, sig))
# same bug, other input -> same signature; other check -> other signature
if crash("o").signature() != crash("o2").signature():
    print("FAIL: o and o2 are one bug but have different signatures"); bad = 1
if crash("a").signature() == crash("b").signature():
    print("FAIL: two different FUZZ_CHECKs share a signature"); bad = 1
if fl.parse_report("all fine\nrepro: 3 inputs, 12 bytes, all ran\n") is not None:
    print("FAIL: a clean run parsed as a crash"); bad = 1
sys.exit(bad)
PYEOF

# ---- 2. triage.sh on the planted-bug target ---------------------------------
if ! make --no-print-directory -s ci-fuzz-planted-repro > "$tmp/build.log" 2>&1; then
	tail -n 20 "$tmp/build.log"; echo "FAIL: cannot build the planted-bug repro driver"; exit 1
fi
in=$tmp/crashes
mkdir -p "$in/afl-out/main/crashes" "$in/afl-out/main/queue"
touch "$in/afl-out/main/fuzzer_stats"
printf 'PLNTqueue entry, not a crash' > "$in/afl-out/main/queue/id:000001,orig:x"   # must be ignored
{ printf 'PLNT'; head -c 300 /dev/urandom; } > "$in/crash-0123456789abcdef"
{ printf 'PLNT'; head -c 40 /dev/urandom; } > "$in/afl-out/main/crashes/id:000000,sig:06,src:000000,op:havoc,rep:4"
{ printf 'PLNT'; head -c 90 /dev/urandom; } > "$in/clusterfuzz-testcase-minimized-fuzz_planted-5701"
printf 'hello' > "$in/crash-harmless"
# Only the repro driver (what `make test` builds): minimization falls back to
# chunk removal through it (t_ci_fuzz_e2e.sh covers libFuzzer's).
mkdir -p "$tmp/bins/repro"
cp build/fuzz-planted/repro/fuzz_planted "$tmp/bins/repro/"
out=$tmp/out
bash scripts/triage.sh --target fuzz_planted --bin-dir "$tmp/bins" --regressions "$tmp/reg" --out "$out" \
	--minimize-seconds 20 --promote "$in" > "$tmp/triage.txt" 2> "$tmp/triage.err"
rc=$?
cat "$tmp/triage.txt"
[ $rc -eq 1 ] || { echo "FAIL: triage.sh exit $rc, expected 1 (new crash)"; tail "$tmp/triage.err"; fail=1; }
$PY - "$out" "$tmp/reg" <<'PYEOF' || fail=1
import json, os, sys
out, reg = sys.argv[1], sys.argv[2]
r = json.load(open(os.path.join(out, "report.json")))
bad = 0
def check(cond, msg):
    global bad
    if not cond:
        print("FAIL: " + msg); bad = 1
check(len(r["crashes"]) == 1, "%d unique crashes, expected 1" % len(r["crashes"]))
c = r["crashes"][0]
check(c["count"] == 3, "3 crash files expected in the group, got %d" % c["count"])
check(c["crash_type"] == "Heap-buffer-overflow READ 1", c["crash_type"])
check(c["crash_state"] == ["planted_peek", "planted_check", "LLVMFuzzerTestOneInput"], str(c["crash_state"]))
check(c["minimized_size"] == 4 and open(c["minimized"], "rb").read() == b"PLNT",
      "minimized to %d bytes, expected the 4-byte trigger" % c["minimized_size"])
check("chunk removal" in c["minimize"], "minimizer: %s" % c["minimize"])
check(c["size"] == 44, "the kept input should be the smallest (44 bytes), got %d" % c["size"])
check(len(r["unreproducible"]) == 1 and r["unreproducible"][0]["input"].endswith("crash-harmless"),
      "unreproducible: %r" % r["unreproducible"])
check(len(r["promoted"]) == 1, "promoted: %r" % r["promoted"])
for root, dirs, files in os.walk(out):
    for n in dirs + files:
        check(":" not in n and "," not in n, "unsafe artifact name %s" % n)
regs = os.listdir(os.path.join(reg, "fuzz_planted"))
check(regs == [c["signature"] + ".bin"], "regressions: %r" % regs)
# The JUnit report of a triage with a new crash is red: a failing test case.
import xml.etree.ElementTree as ET
x = ET.parse(os.path.join(out, "report.junit.xml")).getroot()
cases = [(t.get("classname"), t.find("failure") is not None) for t in x.iter("testcase")]
check(cases == [("triage.fuzz_planted", True)] and x.get("tests") == "1" and x.get("failures") == "1",
      "triage JUnit: tests=%s failures=%s cases %r" % (x.get("tests"), x.get("failures"), cases))
sys.exit(bad)
PYEOF
# promoted: the same crash is known now, and the job would pass
bash scripts/triage.sh --target fuzz_planted --bin-dir "$tmp/bins" --regressions "$tmp/reg" --out "$tmp/out2" \
	--minimize-seconds 0 "$in/crash-0123456789abcdef" > "$tmp/triage2.txt" 2>&1
rc=$?
grep -q '(0 new, 1 known)' "$tmp/triage2.txt" && [ $rc -eq 0 ] ||
	{ cat "$tmp/triage2.txt"; echo "FAIL: after --promote the crash is not known (exit $rc)"; fail=1; }
# ---- 3. a UBSan-only bug through the repro driver -----------------------------
# fuzz_planted's second bug (trigger PLUB) is a signed overflow that only
# UBSan reports. The repro driver prints "PATH ... " before each input, so
# UBSan's "FILE:LINE:COL: runtime error:" continues that line: triage and
# bisect.sh's step (fuzzlib.py signature) must still recognise it.
mkdir -p "$tmp/ub"
{ printf 'PLUB'; head -c 60 /dev/urandom; } > "$tmp/ub/crash-ub"
ubline=$(grep -n 'return units \* 65536;' tests/planted/fuzz_planted.c | cut -d: -f1)
bash scripts/triage.sh --target fuzz_planted --bin-dir "$tmp/bins" --regressions "$tmp/reg" --out "$tmp/out-ub" \
	--minimize-seconds 5 "$tmp/ub/crash-ub" > "$tmp/triage-ub.txt" 2>&1
rc=$?
$PY - "$tmp/out-ub" "$rc" "$ubline" <<'PYEOF' || { cat "$tmp/triage-ub.txt"; fail=1; }
import json, os, sys
r = json.load(open(os.path.join(sys.argv[1], "report.json")))
rc, line = int(sys.argv[2]), int(sys.argv[3])
c = r["crashes"][0] if len(r["crashes"]) == 1 else None
ok = (rc == 1 and c is not None and c["crash_type"] == "Integer-overflow"
      and c["crash_state"] == ["planted_scale", "planted_check", "LLVMFuzzerTestOneInput"]
      and c["location"] == {"file": "tests/planted/fuzz_planted.c", "line": line} and not r["unreproducible"])
print(("ok" if ok else "FAIL") + ": UBSan report of the repro driver: exit %d, crashes %r, unreproducible %d"
      % (rc, [(x["crash_type"], x["crash_state"], x["location"]) for x in r["crashes"]], len(r["unreproducible"])))
sys.exit(0 if ok else 1)
PYEOF
sig=$($PY scripts/fuzzlib.py signature --bin-dir "$tmp/bins" fuzz_planted "$tmp/ub/crash-ub" 2>/dev/null)
case $sig in
integer-overflow-planted_scale-*) echo "ok: bisect's step sees the UBSan crash: $sig" ;;
*) echo "FAIL: fuzzlib.py signature on the UBSan crash printed '$sig'"; fail=1 ;;
esac

# ---- 4. one stack through two targets: two findings -------------------------------
# The same bug reached through two targets (fuzz_pcap and fuzz_decode both
# reach tcp_parse) has one signature. Two target names share the planted
# repro driver here; the regressions folder knows the crash for fuzz_alpha
# only. Each target must get its own unique crash, folder and JUnit
# verdict, known-ness from its own corpus/regressions/TARGET/.
mkdir -p "$tmp/x/a" "$tmp/x/b"
{ printf 'PLNT'; head -c 20 /dev/urandom; } > "$tmp/x/a/crash-a"
{ printf 'PLNT'; head -c 30 /dev/urandom; } > "$tmp/x/b/crash-b"
$PY - "$tmp/x" "$tmp/bins" <<'PYEOF' || fail=1
import os, sys
import xml.etree.ElementTree as ET
sys.path.insert(0, "scripts")
import fuzzlib as fl
d, bins = sys.argv[1], sys.argv[2]
sig = fl.reproduce(fl.Bins("fuzz_planted", bins), os.path.join(d, "a/crash-a"))[0].signature()
os.makedirs(os.path.join(d, "reg/fuzz_alpha"))
open(os.path.join(d, "reg/fuzz_alpha", sig + ".bin"), "wb").write(b"PLNT")
cands = [fl.Candidate("fuzz_alpha", "libfuzzer", "crash", os.path.join(d, "a/crash-a")),
         fl.Candidate("fuzz_beta", "afl", "crash", os.path.join(d, "b/crash-b"))]
crashes, unrepro, _ = fl.triage(cands, bins, os.path.join(d, "out"), os.path.join(d, "reg"), minimize_seconds=0,
                                bins_for=lambda t: fl.Bins("fuzz_planted", bins))
got = sorted((c["target"], c["known"], c["engines"]) for c in crashes)
bad = 0
if got != [("fuzz_alpha", True, ["libfuzzer"]), ("fuzz_beta", False, ["afl"])]:
    print("FAIL: two targets, one stack: %r" % got); bad = 1
dirs = sorted(os.path.relpath(os.path.dirname(c["minimized"]), os.path.join(d, "out")) for c in crashes)
if dirs != ["crashes/fuzz_alpha/" + sig, "crashes/fuzz_beta/" + sig]:
    print("FAIL: crash folders %r" % dirs); bad = 1
report = {"started": fl.now_iso(), "exit_code": 1, "out_dir": os.path.join(d, "out"), "crashes": crashes,
          "runs": [{"target": "fuzz_alpha", "engine": "libfuzzer", "status": "ok", "seconds": 1.0},
                   {"target": "fuzz_beta", "engine": "afl", "status": "ok", "seconds": 1.0}]}
fl.write_reports(os.path.join(d, "out"), report)
x = ET.parse(os.path.join(d, "out/report.junit.xml")).getroot()
verdict = {c.get("classname"): c.find("failure") is not None for c in x.iter("testcase")}
if verdict != {"ci-fuzz.fuzz_alpha": False, "ci-fuzz.fuzz_beta": True}:
    print("FAIL: JUnit verdicts %r (fuzz_beta's new crash must fail its own case)" % verdict); bad = 1
print(("ok" if not bad else "FAIL") + ": one stack through two targets: %r" % got)
sys.exit(bad)
PYEOF

# ---- 5. libFuzzer -minimize_crash handing back another crash ----------------
# From an input that reaches two bugs, -minimize_crash keeps the first crash it
# meets, which may be the other bug (about 1 run in 20 for the planted target:
# "PLNT" and "PLUB" differ in two bytes its comparison tracing offers). That
# result must not be kept, and libFuzzer must run again in the same budget
# instead of giving up for chunk removal. A stand-in for the libFuzzer build
# returns the other bug's trigger on its first minimization and the right one
# after; the real repro driver judges both.
mkdir -p "$tmp/lfb/libfuzzer" "$tmp/lfb/repro"
cp build/fuzz-planted/repro/fuzz_planted "$tmp/lfb/repro/"
cat > "$tmp/lfb/libfuzzer/fuzz_planted" <<EOF
#!/bin/sh
case " \$* " in *" -minimize_crash=1 "*) ;; *) exit 0 ;; esac
for a; do case \$a in -exact_artifact_path=*) out=\${a#*=} ;; esac; done
n=\$(cat "$tmp/lfb/calls" 2>/dev/null || echo 0)
echo \$((n + 1)) > "$tmp/lfb/calls"
if [ "\$n" = 0 ]; then printf 'PLUB' > "\$out"; else printf 'PLNT' > "\$out"; fi
exit 1
EOF
chmod +x "$tmp/lfb/libfuzzer/fuzz_planted"
{ printf 'PLNT'; head -c 60 /dev/urandom; } > "$tmp/lfb/crash-two"
bash scripts/triage.sh --target fuzz_planted --bin-dir "$tmp/lfb" --minimize-seconds 20 \
	--regressions "$tmp/lfb/noreg" --out "$tmp/lfb/out" "$tmp/lfb/crash-two" > "$tmp/lfb/tri.txt" 2>&1
$PY - "$tmp/lfb/out/report.json" "$tmp/lfb/calls" <<'PYEOF' || fail=1
import json, sys
c = json.load(open(sys.argv[1]))["crashes"][0]
calls = open(sys.argv[2]).read().strip()
ok = (c["minimize"].startswith("minimized with libfuzzer") and "another crash" in c["minimize"]
      and c["minimized_size"] == 4 and open(c["minimized"], "rb").read() == b"PLNT" and calls == "2")
print(("ok" if ok else "FAIL") + ": libFuzzer run again after it returned another crash: %s, %d bytes, %s runs"
      % (c["minimize"], c["minimized_size"], calls))
sys.exit(0 if ok else 1)
PYEOF

# a folder that does not exist is a usage error
bash scripts/triage.sh --out "$tmp/out3" "$tmp/nonexistent" > /dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: a missing path must exit 2"; fail=1; }

[ $fail -eq 0 ] && echo "ok: crash identity and triage"
exit $fail
