#!/usr/bin/env bash
# replay_dir.sh DIR [OUTDIR] [tuplecheck options...] - replay every capture
# under DIR through `tuplecheck replay` and report:
#   1. a table files x rules (finding counts per rule; files without any
#      finding are counted, not listed), with a total row;
#   2. the unique signatures (one defect each): rule, transition, count,
#      files, and a reduced example OUTDIR/reduced/SIGNATURE.pcap made by
#      `tuplecheck reduce` from the first file that shows it (REDUCE=0 skips);
#   3. OUTDIR/findings.jsonl, report.junit.xml and report.sarif for CI, and
#      the printed report as OUTDIR/table.txt.
# Captures are recognised by their magic number (pcap either byte order and
# precision, pcapng), whatever their name, in DIR and its subfolders.
# Exit status: that of `tuplecheck replay` (0, 1 findings at or above
# --fail-on, 2 a capture could not be read); 2 for a usage error here.
# Used by `make replay PCAPS=DIR` (mk/replay.mk).
set -u
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
	echo "usage: replay_dir.sh DIR [OUTDIR] [tuplecheck options...]" >&2
	exit 2
fi
dir=$1
out=${2:-out/replay}
shift
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.." || exit 2
TC=${TC_BIN:-build/tuplecheck}
[ -x "$TC" ] || { echo "replay_dir.sh: $TC not built (make)" >&2; exit 2; }
mkdir -p "$out/reduced" || exit 2
rm -f "$out"/reduced/*.pcap

exec /usr/bin/python3 - "$TC" "$dir" "$out" "${REDUCE:-1}" "$@" <<'EOF'
import collections, json, os, subprocess, sys

tc, root, out, reduce_on, opts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5:]
MAGICS = {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d",
          b"\x0a\x0d\x0d\x0a"}
CHUNK = 2000                   # files per tuplecheck run (argument list size)
lines = []

def say(s=""):
    print(s)
    lines.append(s)

files = []
for d, subdirs, names in os.walk(root):
    subdirs.sort()
    for n in sorted(names):
        p = os.path.join(d, n)
        try:
            with open(p, "rb") as f:
                if f.read(4) in MAGICS:
                    files.append(p)
        except OSError:
            pass
if not files:
    print("replay_dir.sh: no pcap or pcapng file under %s" % root, file=sys.stderr)
    sys.exit(2)

# ---- replay: jsonl for the tables, junit and sarif for CI ----
status = 0
records = []
chunks = [files[i:i + CHUNK] for i in range(0, len(files), CHUNK)]
for k, chunk in enumerate(chunks):
    sfx = "" if len(chunks) == 1 else ".%d" % (k + 1)
    for fmt, name in (("junit", "report%s.junit.xml"), ("sarif", "report%s.sarif")):
        with open(os.path.join(out, name % sfx), "w") as f:
            subprocess.run([tc, "replay", "--format", fmt, "--seed", "1"] + opts + chunk,
                           stdout=f, stderr=subprocess.DEVNULL)
    r = subprocess.run([tc, "replay", "--format", "jsonl", "--seed", "1"] + opts + chunk,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode not in (0, 1, 2):
        print("replay_dir.sh: tuplecheck replay died (exit %d):\n%s" % (r.returncode, r.stderr),
              file=sys.stderr)
        sys.exit(r.returncode)
    status = max(status, r.returncode)
    sys.stderr.write(r.stderr)
    records += [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
with open(os.path.join(out, "findings.jsonl"), "w") as f:
    for rec in records:
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")

findings = [r for r in records if r["type"] == "finding"]
summaries = [r for r in records if r["type"] == "summary"]
sev_rank = {"error": 0, "warning": 1, "info": 2}
by_file = collections.OrderedDict((s["file"], collections.Counter()) for s in summaries)
rule_sev = {}
for f in findings:
    by_file.setdefault(f["file"], collections.Counter())[f["rule"]] += 1
    rule_sev[f["rule"]] = f["severity"]
rules = sorted(rule_sev, key=lambda r: (sev_rank[rule_sev[r]], r))

# ---- table: files x rules ----
say("Replayed %d captures under %s (%d packets); %d findings" %
    (len(files), root, sum(s["packets"] for s in summaries), len(findings)))
bad = [s for s in summaries if "error" in s]
if bad:
    say("%d captures stopped early (see stderr)" % len(bad))
if rules:
    say()
    for i, r in enumerate(rules):
        say("  R%-2d %-24s %s" % (i + 1, r, rule_sev[r]))
    w = max(len(os.path.relpath(f, root)) for f in by_file if by_file[f]) if findings else 4
    w = min(max(w, 5), 60)
    say()
    say("%-*s %s" % (w, "file", " ".join("%5s" % ("R%d" % (i + 1)) for i in range(len(rules)))))
    total = collections.Counter()
    quiet = 0
    for f, c in by_file.items():
        if not c:
            quiet += 1
            continue
        total.update(c)
        name = os.path.relpath(f, root)
        if len(name) > w:
            name = "..." + name[-(w - 3):]
        say("%-*s %s" % (w, name, " ".join("%5s" % (c[r] if c[r] else ".") for r in rules)))
    say("%-*s %s" % (w, "TOTAL", " ".join("%5d" % total[r] for r in rules)))
    say("(%d captures without findings)" % quiet)

# ---- unique signatures, with a reduced example each ----
sigs = collections.OrderedDict()
for f in findings:
    e = sigs.setdefault(f["signature"], {"rule": f["rule"], "severity": f["severity"],
                                         "transition": f.get("transition", ""), "count": 0,
                                         "files": set(), "first": (f["file"], f["frame"])})
    e["count"] += 1
    e["files"].add(f["file"])
if sigs:
    say()
    say("%d unique signatures:" % len(sigs))
    order = sorted(sigs.items(), key=lambda kv: (sev_rank[kv[1]["severity"]], -kv[1]["count"], kv[0]))
    for sig, e in order:
        red = "-"
        if reduce_on:
            dst = os.path.join(out, "reduced", sig + ".pcap")
            r = subprocess.run([tc, "reduce", "--rule", e["rule"], "--signature", sig] + opts +
                               [e["first"][0], dst], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
            last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
            if r.returncode == 0:
                n = last.split(" -> ")[1].split()[0] if " -> " in last else "?"
                red = "%s (%s packets)" % (dst, n)
            else:
                red = "not reduced: " + last
        say("  %s %-7s %-24s %6d x in %3d files  %s" % (sig, e["severity"], e["rule"], e["count"],
                                                      len(e["files"]), e["transition"]))
        say("      first: %s frame %d; example: %s" % (e["first"][0], e["first"][1], red))
with open(os.path.join(out, "table.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\nwrote %s/{findings.jsonl,report.junit.xml,report.sarif,table.txt,reduced/}" % out)
sys.exit(status)
EOF
