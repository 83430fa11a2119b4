#!/usr/bin/env bash
# t_ci_fuzz_job.sh - the CI fuzz job's own errors and interrupts
# (scripts/ci_fuzz.sh, mk/ci-fuzz.mk); t_ci_fuzz_e2e.sh covers a normal run.
#
#  1. Bad settings (FUZZ_SECONDS=abc or 0, JOBS=0, FUZZ_TIMEOUT=1.5,
#     MINIMIZE_SECONDS=-1, CORPUS_WRITEBACK=yes): exit 2 before anything is
#     built, one stderr line naming the variable, and reports saying so: a
#     JUnit error test case with the reason, SARIF executionSuccessful
#     false; the previous run's report (a PASS) and crash folders are gone.
#  2. A job that cannot run for other reasons (unknown ENGINE, a build
#     failure) reports the same way.
#  3. CI_FUZZ_OUT that is a file, lies under a file, or cannot be created:
#     exit 2 and exactly one stderr line.
#  4. ENGINE=libfuzzer runs where AFL++ is not installed (PATH without
#     afl-*; a fake apt-get so that nothing is ever installed), while
#     ENGINE=afl there stops with "missing dependencies".
#  5. `timeout 10 make ci-fuzz ...` (SIGTERM to make's process group, as a CI
#     time limit sends it): the reports exist when make returns, no fuzzer
#     is left running, and the cut-short job without a crash is not green:
#     exit_code 2, a JUnit error for the run, SARIF executionSuccessful false.
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# check_error_report DIR REASON-PART: report.* of a job that did not run or
# did not finish (exit_code 2, JUnit error case, SARIF not successful).
check_error_report() {
	$PY - "$1" "$2" <<'PYEOF'
import json, os, sys
import xml.etree.ElementTree as ET
d, want = sys.argv[1], sys.argv[2]
try:
    r = json.load(open(os.path.join(d, "report.json")))
    x = ET.parse(os.path.join(d, "report.junit.xml")).getroot()
    inv = json.load(open(os.path.join(d, "report.sarif")))["runs"][0]["invocations"][0]
except (OSError, ValueError, ET.ParseError) as e:
    print("FAIL: %s: reports missing or broken: %s" % (d, e)); sys.exit(1)
errors = [e.get("message", "") for e in x.iter("error")]
problems = []
if r.get("exit_code") != 2 or want not in r.get("reason", ""):
    problems.append("report.json exit_code %r reason %r" % (r.get("exit_code"), r.get("reason")))
if int(x.get("errors", 0)) < 1 or int(x.get("tests", 0)) < 1 or not any(want in m for m in errors):
    problems.append("JUnit tests=%s errors=%s messages %r" % (x.get("tests"), x.get("errors"), errors))
if inv.get("executionSuccessful") is not False or inv.get("exitCode") != 2:
    problems.append("SARIF invocation %r" % inv)
if os.path.exists(os.path.join(d, "crashes", "old")):
    problems.append("the previous run's crash folder is still there")
for p in problems:
    print("FAIL: %s (%s): %s" % (d, want, p))
sys.exit(1 if problems else 0)
PYEOF
}
# A report folder as a previous passing run left it.
stale() {
	rm -rf "$1"
	mkdir -p "$1/crashes/old"
	printf '{"exit_code": 0, "reason": "no new crash"}\n' > "$1/report.json"
	printf 'PLNT' > "$1/crashes/old/minimized.bin"
}

# ---- 1. bad settings ------------------------------------------------------------
f0=$fail
i=0
for setting in FUZZ_SECONDS=abc FUZZ_SECONDS=0 JOBS=0 FUZZ_TIMEOUT=1.5 MINIMIZE_SECONDS=-1 CORPUS_WRITEBACK=yes; do
	i=$((i + 1))
	out=$tmp/set$i
	stale "$out"
	env "$setting" TARGETS=fuzz_decode ENGINE=libfuzzer CI_FUZZ_OUT="$out" bash scripts/ci_fuzz.sh \
		> "$tmp/set$i.out" 2> "$tmp/set$i.err"
	rc=$?
	name=${setting%%=*}
	if [ $rc -ne 2 ] || [ "$(wc -l < "$tmp/set$i.err")" -ne 1 ] || ! grep -q "^ci-fuzz: $setting: " "$tmp/set$i.err"; then
		cat "$tmp/set$i.err"; echo "FAIL: $setting: exit $rc, expected 2 and one stderr line naming it"; fail=1
	fi
	[ -e "$out/build.log" ] && { echo "FAIL: $setting: the job built before checking its settings"; fail=1; }
	check_error_report "$out" "$setting" || fail=1
done
[ $fail -eq "$f0" ] && echo "ok: bad settings refused before the build ($i cases)"

# ---- 2. unknown engine, build failure -----------------------------------------------
f0=$fail
stale "$tmp/eng"
ENGINE=bogus TARGETS=fuzz_decode CI_FUZZ_OUT="$tmp/eng" bash scripts/ci_fuzz.sh > /dev/null 2> "$tmp/eng.err"
[ $? -eq 2 ] || { echo "FAIL: unknown ENGINE: exit status"; fail=1; }
check_error_report "$tmp/eng" "unknown ENGINE=bogus" || fail=1
stale "$tmp/bf"
MAKE=false ENGINE=libfuzzer TARGETS=fuzz_decode CI_FUZZ_OUT="$tmp/bf" bash scripts/ci_fuzz.sh > /dev/null 2> "$tmp/bf.err"
[ $? -eq 2 ] || { echo "FAIL: build failure: exit status"; fail=1; }
check_error_report "$tmp/bf" "build failed" || fail=1
[ $fail -eq "$f0" ] && echo "ok: unknown engine and build failure reported as job errors"

# ---- 3. a report folder that cannot be used ---------------------------------------
f0=$fail
printf 'x' > "$tmp/afile"
for d in "$tmp/afile" "$tmp/afile/sub" /proc/tuplecheck-ci-fuzz-test; do
	CI_FUZZ_OUT="$d" TARGETS=fuzz_decode bash scripts/ci_fuzz.sh > "$tmp/od.out" 2> "$tmp/od.err"
	rc=$?
	if [ $rc -ne 2 ] || [ "$(wc -l < "$tmp/od.err")" -ne 1 ] || ! grep -q "CI_FUZZ_OUT=$d" "$tmp/od.err"; then
		cat "$tmp/od.err"; echo "FAIL: CI_FUZZ_OUT=$d: exit $rc, expected 2 and one stderr line"; fail=1
	fi
done
[ "$(cat "$tmp/afile")" = x ] || { echo "FAIL: the file given as CI_FUZZ_OUT was changed"; fail=1; }
[ $fail -eq "$f0" ] && echo "ok: unusable CI_FUZZ_OUT refused"

# ---- 4. the dependencies of the chosen engine only -----------------------------------
mkdir -p "$tmp/bin"
for f in /usr/bin/* /usr/sbin/* /usr/local/bin/*; do
	[ -e "$f" ] || continue
	case ${f##*/} in afl-*|apt-get) continue ;; esac
	ln -sf "$f" "$tmp/bin/${f##*/}" 2>/dev/null
done
printf '#!/bin/sh\necho "apt-get (test stub): not installing anything" >&2\nexit 1\n' > "$tmp/bin/apt-get"
chmod +x "$tmp/bin/apt-get"
PATH=$tmp/bin ENGINE=libfuzzer TARGETS=fuzz_decode FUZZ_SECONDS=1 REPLAY=0 MINIMIZE_SECONDS=0 \
	CI_FUZZ_OUT="$tmp/lf" bash scripts/ci_fuzz.sh > "$tmp/lf.out" 2>&1
rc=$?
$PY - "$tmp/lf/report.json" "$rc" <<'PYEOF' || { tail -n 15 "$tmp/lf.out"; fail=1; }
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print("FAIL: ENGINE=libfuzzer without AFL++: no report (%s)" % e); sys.exit(1)
ok = int(sys.argv[2]) in (0, 1) and r["exit_code"] in (0, 1) and [x["status"] for x in r["runs"]] == ["ok"]
print(("ok" if ok else "FAIL") + ": ENGINE=libfuzzer without AFL++ installed: exit %s, %s" % (sys.argv[2], r.get("reason")))
sys.exit(0 if ok else 1)
PYEOF
PATH=$tmp/bin ENGINE=afl TARGETS=fuzz_decode FUZZ_SECONDS=1 REPLAY=0 CI_FUZZ_OUT="$tmp/af" \
	bash scripts/ci_fuzz.sh > /dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: ENGINE=afl without AFL++ must exit 2"; fail=1; }
check_error_report "$tmp/af" "missing dependencies" || fail=1

# ---- 5. SIGTERM to make ci-fuzz's process group --------------------------------------
out=$tmp/term
t0=$SECONDS
timeout -s TERM 10 make --no-print-directory ci-fuzz TARGETS=fuzz_decode ENGINE=libfuzzer FUZZ_SECONDS=120 \
	REPLAY=0 MINIMIZE_SECONDS=0 CI_FUZZ_OUT="$out" > "$tmp/term.txt" 2>&1
rc=$?
echo "timeout make ci-fuzz: exit $rc after $((SECONDS - t0)) s"
# At once: the reports must exist when make has returned.
if [ ! -f "$out/report.json" ] || [ ! -f "$out/report.junit.xml" ] || [ ! -f "$out/report.sarif" ]; then
	tail -n 10 "$tmp/term.txt"; echo "FAIL: make returned before the job wrote its reports"; fail=1
else
	check_error_report "$out" "SIGTERM" || fail=1
	$PY - "$out" <<'PYEOF' || fail=1
import json, os, sys
import xml.etree.ElementTree as ET
r = json.load(open(os.path.join(sys.argv[1], "report.json")))
x = ET.parse(os.path.join(sys.argv[1], "report.junit.xml")).getroot()
case = [c for c in x.iter("testcase") if c.get("classname") == "ci-fuzz.fuzz_decode"]
ok = (r["interrupted"] == "SIGTERM" and [x["status"] for x in r["runs"]] == ["interrupted"]
      and len(case) == 1 and case[0].find("error") is not None and case[0].find("error").get("type") == "Interrupted")
print(("ok" if ok else "FAIL") + ": SIGTERM: %s, run %s" % (r.get("reason"), [x["status"] for x in r["runs"]]))
sys.exit(0 if ok else 1)
PYEOF
fi
sleep 1
if pgrep -f "$out/work" > /dev/null; then
	pgrep -af "$out/work"; echo "FAIL: fuzzer processes outlived make ci-fuzz"; fail=1
	for p in $(pgrep -f "$out/work"); do kill -KILL "$p" 2>/dev/null; done
fi

[ $fail -eq 0 ] && echo "ok: ci-fuzz job errors and interrupts"
exit $fail
