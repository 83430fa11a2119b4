#!/usr/bin/env bash
# t_sarif_scale.sh - the SARIF report of 40,000 input files (plus one named
# twice) lists each file once and points every result at its own file.
#
# SARIF lists each input file once in run.artifacts, so every file that
# begins is looked up among the files seen before. That lookup was a walk
# over the whole list (quadratic: 40,000 files took 1.7 s of CPU against
# 0.15 s for jsonl, reports/cplx.md item 4); report_sarif.c now indexes the
# names in a hash table.
#
# 40,000 symbolic links to one small capture are replayed with --format
# jsonl and --format sarif (release build when there is one), the first
# file named again at the end. The SARIF document must list 40,000 distinct
# artifacts in the order the files were given, every result must point at
# the artifact of its own uri, and both runs must agree on the exit status.
# The CPU time of both runs is printed for the reader; it is not judged here
# (speed is make bench's business, not a test's): the fix took 40,000 files
# from 1.8 s to 0.40 s of CPU, jsonl 0.42 s, on the session-8 machine.
# Exit 0 pass, 1 fail, 77 skip.
set -u
cd "$(dirname "$0")/.."
TC=${TC_REL_BIN:-build/tuplecheck}
[ -x "$TC" ] || TC=${TC_BIN:-build/asan/tuplecheck}
[ -x "$TC" ] || { echo "skip: no tuplecheck built"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case $TC in /*) ;; *) TC=$PWD/$TC ;; esac
exec /usr/bin/python3 - "$TC" "$PWD/corpus/pcaps/tuple_reuse_time_wait.pcap" "$tmp" <<'PY'
import json, os, subprocess, sys

tc, cap, tmp = sys.argv[1:4]
N = 40000
names = ["f%d.pcap" % i for i in range(N)]
for n in names:
    os.symlink(cap, os.path.join(tmp, n))
args = names + names[:1]

def cpu(fmt):
    out = os.path.join(tmp, "out." + fmt)
    with open(out, "wb") as o:
        p = subprocess.Popen([tc, "replay", "--seed", "1", "--format", fmt] + args,
                             cwd=tmp, stdout=o, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    return ru.ru_utime + ru.ru_stime, rc, out

fails = []
tj, rcj, _ = cpu("jsonl")
ts, rcs, sout = cpu("sarif")
if rcj != rcs:
    fails.append("exit status jsonl %d, sarif %d" % (rcj, rcs))
print("cpu for %d files (not judged): jsonl %.2f s, sarif %.2f s" % (N, tj, ts))
run = json.load(open(sout))["runs"][0]
uris = [a["location"]["uri"] for a in run["artifacts"]]
if len(uris) != N or len(set(uris)) != N:
    fails.append("%d artifacts, %d distinct, want %d" % (len(uris), len(set(uris)), N))
if uris != names:
    fails.append("artifact uris are not the file names given, in order")
bad = 0
for r in run["results"]:
    loc = r["locations"][0]["physicalLocation"]["artifactLocation"]
    if not 0 <= loc["index"] < len(uris) or uris[loc["index"]] != loc["uri"]:
        bad += 1
if bad or len(run["results"]) < N + 1:
    fails.append("%d results (at least %d wanted), %d point at another artifact"
                 % (len(run["results"]), N + 1, bad))
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
PY
