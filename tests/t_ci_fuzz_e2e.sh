#!/usr/bin/env bash
# t_ci_fuzz_e2e.sh - the CI fuzz job end to end, on a real bug.
#
# fuzz_planted (tests/planted/fuzz_planted.c) is fuzz_decode with two
# planted bugs, compiled only with PLANTED=1 into build/fuzz-planted/: a
# heap over-read behind the 4-byte trigger "PLNT" and a signed overflow
# (UBSan only) behind "PLUB". The job
#   make ci-fuzz TARGETS=fuzz_planted ENGINE=libfuzzer FUZZ_SECONDS=20 PLANTED=1
# must find both, report exactly two unique (new) crashes, each minimized to
# at most its trigger plus one byte, exit 1, print progress lines and the
# summary table, and write report.json (parses, consistent),
# report.junit.xml (the JUnit schema's shape: testsuites > testsuite >
# testcase with the required attributes and counts that add up; one test
# case per target and engine) and report.sarif (SARIF 2.1.0 required
# fields, one result per crash located at its planted line). Then:
#   - the corpus folder is untouched by that run; with CORPUS_WRITEBACK=1
#     and both engines, new inputs (named by sha1) are added, none of which
#     the repro driver fails on; the UBSan-only bug, which AFL++'s build
#     (ASan only) runs past into its queue, is found in AFL++'s run too, by
#     the replay of its queue through the repro driver;
#   - libFuzzer -minimize_crash through scripts/triage.sh shrinks a long
#     crashing input to the trigger;
#   - ENGINE=none on a scenario folder whose manifest demands a rule the
#     capture cannot fire: the oracle mismatch fails the job (exit 1);
#   - SIGINT in the middle of a run: the job still triages and writes its
#     reports, marked interrupted, within a few seconds; the crash found
#     before the signal is reported (exit 1) but the run does not read as
#     complete (SARIF executionSuccessful false).
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
command -v clang >/dev/null || { echo "skip: clang missing"; exit 77; }
tmp=$(mktemp -d)
pg=
trap '[ -n "$pg" ] && kill -KILL -- -"$pg" 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
out=$tmp/out

# ---- the job ------------------------------------------------------------------
# A corpus folder of its own, to show the job leaves it alone without
# CORPUS_WRITEBACK=1.
corp=$tmp/corpus
mkdir -p "$corp/fuzz_planted" "$corp/regressions"
printf 'seed' > "$corp/fuzz_planted/seed-1"
snap() { (cd "$corp" && find . -type f -exec sha1sum {} + | sort); }
before=$(snap)
t0=$SECONDS
nice make --no-print-directory ci-fuzz TARGETS=fuzz_planted ENGINE=libfuzzer FUZZ_SECONDS=20 \
	PLANTED=1 CI_FUZZ_OUT="$out" CI_FUZZ_CORPUS="$corp" MINIMIZE_SECONDS=15 > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
[ "$(snap)" = "$before" ] || { echo "FAIL: the corpus changed without CORPUS_WRITEBACK=1"; fail=1; }
echo "make ci-fuzz: exit $rc (make's own; the job's is in its report) in $((SECONDS - t0)) s"
sed -n '/^target /,$p' "$tmp/stdout"
# make reports the recipe's status 1 as its own exit 2 ("Error 1"), so the
# job's own status is read from its report and stdout.
grep -q '^result: FAIL (2 new unique crashes), exit 1;' "$tmp/stdout" ||
	{ tail -n 30 "$tmp/stderr"; echo "FAIL: the job did not end with 'exit 1' for two new crashes"; fail=1; }
grep -q 'make ci-fuzz: the job exited 1' "$tmp/stderr" ||
	{ echo "FAIL: make did not pass on the job's exit status 1"; fail=1; }
[ $rc -ne 0 ] || { echo "FAIL: make ci-fuzz succeeded despite the planted crash"; fail=1; }
grep -Eq '^\[ci-fuzz +[0-9]+s/20s\] fuzz_planted +libfuzzer +x[0-9]+ +exec/s +[0-9]+ +corpus +[0-9]+ +crashes [0-9]+' "$tmp/stdout" ||
	{ echo "FAIL: no progress line"; fail=1; }
line=$(grep -n 'return buf\[len\];' tests/planted/fuzz_planted.c | cut -d: -f1)
ubline=$(grep -n 'return units \* 65536;' tests/planted/fuzz_planted.c | cut -d: -f1)

$PY - "$out" "$line" "$ubline" <<'PYEOF' || fail=1
import json, os, sys
import xml.etree.ElementTree as ET
out, line, ubline = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
bad = 0
def check(cond, msg):
    global bad
    if not cond:
        print("FAIL: " + msg); bad = 1

r = json.load(open(os.path.join(out, "report.json")))
check(r["exit_code"] == 1, "report.json exit_code %r" % r["exit_code"])
check(len(r["crashes"]) == 2, "%d unique crashes, expected exactly 2" % len(r["crashes"]))
check(len(r["runs"]) == 1 and r["runs"][0]["target"] == "fuzz_planted" and r["runs"][0]["engine"] == "libfuzzer"
      and r["runs"][0]["status"] == "ok" and r["runs"][0]["execs"] > 0, "runs: %r" % r["runs"])
check(r["replay"]["status"] in ("pass", "fail") and len(r["replay"]["scenarios"]) >= 20,
      "the scenario replay did not run: %r" % r["replay"].get("reason"))
want = {"Heap-buffer-overflow READ 1": (["planted_peek", "planted_check"], line, b"PLNT", "heap-buffer-overflow"),
        "Integer-overflow": (["planted_scale", "planted_check"], ubline, b"PLUB", "signed integer overflow")}
check(sorted(c["crash_type"] for c in r["crashes"]) == sorted(want), str([c["crash_type"] for c in r["crashes"]]))
for c in r["crashes"]:
    if c["crash_type"] not in want:
        continue
    state, ln, trigger, words = want[c["crash_type"]]
    check(not c["known"], "the planted crash must be new")
    check(c["crash_state"][:2] == state, str(c["crash_state"]))
    check(c["location"] == {"file": "tests/planted/fuzz_planted.c", "line": ln}, str(c["location"]))
    mini = open(c["minimized"], "rb").read()
    check(mini.startswith(trigger) and len(mini) <= 5, "minimized input %r" % mini)
    d = os.path.dirname(c["minimized"])
    check(sorted(os.listdir(d)) == ["info.json", "input.bin", "minimized.bin", "report.txt"], str(os.listdir(d)))
    rep = open(os.path.join(d, "report.txt")).read()
    check(words in rep and state[0] in rep, "report.txt is not the sanitizer report")
for root, dirs, files in os.walk(os.path.join(out, "crashes")):
    for n in dirs + files:
        check(":" not in n, "artifact name with ':' %s" % n)

# JUnit: the Jenkins/Ant schema's structure and counts.
x = ET.parse(os.path.join(out, "report.junit.xml")).getroot()
check(x.tag == "testsuites", "root element %s" % x.tag)
tot = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
fuzz_cases = []
for s in x.findall("testsuite"):
    for a in ("name", "tests", "failures", "errors", "skipped", "time", "timestamp"):
        check(a in s.attrib, "testsuite lacks %s" % a)
    cases = s.findall("testcase")
    check(int(s.get("tests")) == len(cases), "suite %s: tests=%s for %d cases" % (s.get("name"), s.get("tests"), len(cases)))
    check(int(s.get("failures")) == sum(1 for c in cases if c.find("failure") is not None), "suite failures")
    check(int(s.get("errors")) == sum(1 for c in cases if c.find("error") is not None), "suite errors")
    for c in cases:
        for a in ("classname", "name", "time"):
            check(a in c.attrib, "testcase lacks %s" % a)
        float(c.get("time"))
        for child in c:
            check(child.tag in ("failure", "error", "skipped", "system-out", "system-err"), "testcase child %s" % child.tag)
            if child.tag in ("failure", "error"):
                check("message" in child.attrib and "type" in child.attrib, "failure without message/type")
        if c.get("classname", "").startswith("ci-fuzz."):
            fuzz_cases.append(c)
    for k in tot:
        tot[k] += int(s.get(k))
for k in tot:
    check(int(x.get(k)) == tot[k], "testsuites %s=%s, suites add up to %d" % (k, x.get(k), tot[k]))
check(len(fuzz_cases) == 1 and fuzz_cases[0].get("classname") == "ci-fuzz.fuzz_planted"
      and fuzz_cases[0].get("name") == "libfuzzer" and fuzz_cases[0].find("failure") is not None,
      "one failing test case for fuzz_planted/libfuzzer expected")

# SARIF 2.1.0: required fields (sarifLog version+runs, run.tool.driver.name,
# result.message.text) and our location rule.
s = json.load(open(os.path.join(out, "report.sarif")))
check(s.get("version") == "2.1.0" and "sarif-2.1.0" in s.get("$schema", ""), "SARIF version/schema")
check(isinstance(s.get("runs"), list) and len(s["runs"]) == 1, "SARIF runs")
run = s["runs"][0]
check(bool(run["tool"]["driver"].get("name")), "tool.driver.name")
rules = run["tool"]["driver"].get("rules", [])
res = run.get("results", [])
check(len(res) == 2, "%d SARIF results, expected 2" % len(res))
for rs in res:
    check(bool(rs["message"]["text"]), "result.message.text")
    check(rs["ruleId"] == rules[rs["ruleIndex"]]["id"], "ruleIndex does not point at ruleId")
    pl = rs["locations"][0]["physicalLocation"]
    check(pl["artifactLocation"]["uri"] == "tests/planted/fuzz_planted.c" and pl["region"]["startLine"] in (line, ubline),
          "SARIF location %r" % pl)
    check(rs["level"] == "error" and rs.get("baselineState") == "new", "level/baselineState")
sys.exit(bad)
PYEOF

# ---- CORPUS_WRITEBACK=1: both engines merge new coverage into the corpus ---------
if command -v afl-fuzz >/dev/null; then
	nice make --no-print-directory ci-fuzz TARGETS=fuzz_planted ENGINE=both FUZZ_SECONDS=8 PLANTED=1 \
		CORPUS_WRITEBACK=1 REPLAY=0 MINIMIZE_SECONDS=0 CI_FUZZ_OUT="$tmp/wb" CI_FUZZ_CORPUS="$corp" \
		> "$tmp/wb.txt" 2>&1
	$PY - "$tmp/wb/report.json" "$corp/fuzz_planted" <<'PYEOF' || { grep -v '^\[ci-fuzz  ' "$tmp/wb.txt" | tail -n 20; fail=1; }
import hashlib, json, os, sys
r = json.load(open(sys.argv[1]))
d = sys.argv[2]
merged = {x["engine"]: x.get("merged_into_corpus") for x in r["runs"]}
files = sorted(os.listdir(d))
bad = 0
if not merged.get("libfuzzer") or merged.get("afl") is None or "writeback_error" in str(r["runs"]):
    print("FAIL: write-back per engine: %r" % r["runs"]); bad = 1
if "seed-1" not in files or len(files) != 1 + merged.get("libfuzzer", 0) + (merged.get("afl") or 0):
    print("FAIL: corpus holds %d files after merging %r" % (len(files), merged)); bad = 1
for f in files:
    data = open(os.path.join(d, f), "rb").read()
    if f != "seed-1" and f != hashlib.sha1(data).hexdigest():
        print("FAIL: merged input %s is not named by its sha1" % f); bad = 1; break
    if data.startswith(b"PLNT") or data.startswith(b"PLUB"):
        print("FAIL: a crashing input was merged into the corpus: %s %r" % (f, data[:8])); bad = 1; break
ub = [c for c in r["crashes"] if c["crash_type"] == "Integer-overflow"]
afl = [x for x in r["runs"] if x["engine"] == "afl"]
if not ub or "afl" not in ub[0]["engines"] or not afl or afl[0].get("queue_failing", 0) < 1:
    print("FAIL: the UBSan-only crash in AFL++'s queue was not found by the queue replay: %r, afl run %r"
          % ([(c["crash_type"], c["engines"]) for c in r["crashes"]], afl)); bad = 1
print(("ok" if not bad else "FAIL") + ": write-back added %r; AFL++ queue: %s replayed, %s failing"
      % (merged, afl[0].get("queue_replayed") if afl else "-", afl[0].get("queue_failing") if afl else "-"))
sys.exit(bad)
PYEOF
	# Nothing written back may crash the repro driver (ASan+UBSan).
	if ! build/fuzz-planted/repro/fuzz_planted -q -t 10 "$corp/fuzz_planted" > "$tmp/wb-replay.txt" 2>&1; then
		head -n 5 "$tmp/wb-replay.txt"; echo "FAIL: the repro driver fails on an input written back to the corpus"; fail=1
	else
		echo "ok: every corpus input runs clean through the repro driver"
	fi
	# AFL++'s fork server puts the target in a session of its own, and a
	# persistent-mode child stopped between two inputs outlives afl-fuzz;
	# the job must kill what init adopted (fuzzlib.reap_orphans).
	left=$(for p in /proc/[0-9]*; do
		e=$(readlink "$p/exe" 2>/dev/null) || continue
		case "${e% (deleted)}" in "$PWD"/build/fuzz-planted/afl/fuzz_planted*) ;; *) continue ;; esac
		[ "$(sed 's/.*) //' "$p/stat" 2>/dev/null | cut -d' ' -f2)" = 1 ] && echo "${p#/proc/}"
	done)
	if [ -n "$left" ]; then
		echo "FAIL: AFL++ processes left behind by the job: $left"; fail=1
	else
		echo "ok: no AFL++ process left behind"
	fi
fi

# ---- libFuzzer -minimize_crash via triage.sh ------------------------------------
# libFuzzer stops minimizing as soon as a step finds nothing smaller (about
# 5 s here); the budget is only a ceiling, large enough that a loaded
# machine (a test run beside fuzzers) still gets there: with 15 s, one run
# beside two fuzzers fell back to chunk removal instead.
{ printf 'PLNT'; head -c 300 /dev/urandom; } > "$tmp/crash-long"
bash scripts/triage.sh --target fuzz_planted --bin-dir build/fuzz-planted --minimize-seconds 60 \
	--regressions "$tmp/noreg" --out "$tmp/tri" "$tmp/crash-long" > "$tmp/tri.txt" 2>&1
$PY - "$tmp/tri/report.json" <<'PYEOF' || fail=1
import json, sys
c = json.load(open(sys.argv[1]))["crashes"][0]
ok = c["minimize"].startswith("minimized with libfuzzer") and c["minimized_size"] == 4
print(("ok" if ok else "FAIL") + ": libFuzzer minimization %d -> %d bytes (%s)" % (c["size"], c["minimized_size"], c["minimize"]))
sys.exit(0 if ok else 1)
PYEOF

# ---- an oracle mismatch fails the job -----------------------------------------
mkdir -p "$tmp/pcaps"
cp corpus/pcaps/clean_http.pcap "$tmp/pcaps/"
printf '# capture\toptions\tmust_fire\tmust_not_fire\thosts\nclean_http.pcap\t-\tport.zero\t-\t-\n' > "$tmp/pcaps/MANIFEST.tsv"
# scripts/ci_fuzz.sh directly: the job's own exit status, unchanged by make
ENGINE=none CI_FUZZ_PCAPS="$tmp/pcaps" CI_FUZZ_OUT="$tmp/rp" bash scripts/ci_fuzz.sh > "$tmp/rp.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: oracle mismatch: scripts/ci_fuzz.sh exit $rc, expected 1"; fail=1; }
$PY - "$tmp/rp" <<'PYEOF' || { cat "$tmp/rp.txt"; fail=1; }
import json, os, sys
import xml.etree.ElementTree as ET
r = json.load(open(os.path.join(sys.argv[1], "report.json")))
sc = r["replay"]["scenarios"]
ok = r["exit_code"] == 1 and len(sc) == 1 and sc[0]["status"] == "fail" and "port.zero" in sc[0]["message"]
x = ET.parse(os.path.join(sys.argv[1], "report.junit.xml")).getroot()
ok = ok and any(c.find("failure") is not None for c in x.iter("testcase") if c.get("classname") == "replay")
print(("ok" if ok else "FAIL") + ": oracle mismatch -> exit %s, %s" % (r["exit_code"], sc[0].get("message") if sc else "-"))
sys.exit(0 if ok else 1)
PYEOF

# ---- a job that cannot run: exit 2, and still a report saying why -----------------
ENGINE=bogus TARGETS=fuzz_decode CI_FUZZ_OUT="$tmp/bogus" bash scripts/ci_fuzz.sh > "$tmp/bogus.txt" 2>&1
rc=$?
if [ $rc -ne 2 ] || ! $PY -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(r["exit_code"] != 2)' "$tmp/bogus/report.json" 2>/dev/null; then
	cat "$tmp/bogus.txt"; echo "FAIL: an unknown engine must exit 2 with a report (exit $rc)"; fail=1
fi

# ---- Ctrl-C in the middle of fuzzing ------------------------------------------------
setsid nice make --no-print-directory ci-fuzz TARGETS=fuzz_planted ENGINE=libfuzzer FUZZ_SECONDS=120 \
	PLANTED=1 CI_FUZZ_OUT="$tmp/int" MINIMIZE_SECONDS=5 > "$tmp/int.txt" 2>&1 &
pg=$!
for _ in $(seq 1 120); do
	grep -q 'exec/s' "$tmp/int.txt" 2>/dev/null && break
	sleep 0.5
done
sleep 3
t1=$SECONDS
kill -INT -- -"$pg"
for _ in $(seq 1 60); do
	[ -f "$tmp/int/report.json" ] && break
	sleep 0.5
done
wait "$pg" 2>/dev/null
pg=
$PY - "$tmp/int" "$((SECONDS - t1))" <<'PYEOF' || { tail -n 20 "$tmp/int.txt"; fail=1; }
import json, os, sys
try:
    r = json.load(open(os.path.join(sys.argv[1], "report.json")))
except (OSError, ValueError) as e:
    print("FAIL: no report after SIGINT: %s" % e); sys.exit(1)
run = r["runs"][0]
sarif = json.load(open(os.path.join(sys.argv[1], "report.sarif")))
inv = sarif["runs"][0]["invocations"][0]
ok = (r["interrupted"] == "SIGINT" and run["status"] == "interrupted" and run["seconds"] < 100
      and len(r["crashes"]) >= 1 and r["exit_code"] == 1
      and inv["exitCode"] == 1 and inv["executionSuccessful"] is False)
print(("ok" if ok else "FAIL") + ": SIGINT after %ss of fuzzing: reports written %ss later, %d crash(es) collected, exit_code %s"
      % (run["seconds"], sys.argv[2], len(r["crashes"]), r["exit_code"]))
sys.exit(0 if ok else 1)
PYEOF
if pgrep -f "$tmp/int/work" >/dev/null; then
	echo "FAIL: fuzzer processes survived the interrupt"; fail=1
fi

[ $fail -eq 0 ] && echo "ok: ci-fuzz end to end in $((SECONDS - t0)) s"
exit $fail
