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
# precision, pcapng), whatever their name, in DIR and its subfolders
# (symbolic links to folders followed, each folder once); entries that are
# not regular files (FIFOs, devices, sockets) are listed and skipped, since
# opening them could wait forever. Names are shown with control characters
# escaped, so one name is one line.
# Exit status: that of `tuplecheck replay` (0, 1 findings at or above
# --fail-on, 2 a capture could not be read); 3 when the replay could not
# run at all (usage, no capture under DIR, tuplecheck missing or killed,
# an internal error here).
# Used by `make replay PCAPS=DIR` (mk/replay.mk).
set -u
if [ $# -lt 1 ]; then
	echo "usage: replay_dir.sh DIR [OUTDIR] [tuplecheck options...]" >&2
	exit 3
fi
if [ ! -d "$1" ]; then
	echo "replay_dir.sh: $1: not a folder" >&2
	exit 3
fi
dir=$1
out=${2:-out/replay}
shift
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.." || exit 3
TC=${TC_BIN:-build/tuplecheck}
[ -x "$TC" ] || { echo "replay_dir.sh: $TC not built (make)" >&2; exit 3; }
mkdir -p "$out/reduced" || exit 3
rm -f "$out"/reduced/*.pcap

exec /usr/bin/python3 - "$TC" "$dir" "$out" "${REDUCE:-1}" "$@" <<'EOF'
import collections, json, os, re, stat, subprocess, sys, traceback

def crashed(t, v, tb):         # an internal error is "could not run", not findings
    traceback.print_exception(t, v, tb)
    print("replay_dir.sh: internal error (above); no report written", file=sys.stderr)
    sys.stderr.flush()
    os._exit(3)
sys.excepthook = crashed

tc, root, out, reduce_on, opts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5:]
MAGICS = {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d",
          b"\x0a\x0d\x0d\x0a"}
CHUNK = 2000                   # files per tuplecheck run (argument list size)
lines = []

def say(s=""):
    """a line of the report: printed, and kept for table.txt"""
    lines.append(s)
    try:
        print(s)
    except BrokenPipeError:    # `| head`: the files are still written in full
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

def nof(n, word):               # "1 capture", "2 captures"
    return "%d %s%s" % (n, word, "" if n == 1 else "s")

def disp(name):
    """name for one line of text: undecodable bytes and control characters escaped"""
    t = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in t)

def as_reported(name):
    """the name as tuplecheck's JSON records carry it (U+FFFD for bytes that are not UTF-8)"""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")

files, seen_dirs, skipped = [], set(), []
for d, subdirs, names in os.walk(root, followlinks=True):
    real = os.path.realpath(d)
    if real in seen_dirs:      # a link loop, or a folder reached twice
        subdirs[:] = []
        continue
    seen_dirs.add(real)
    subdirs.sort()
    for n in sorted(names):
        p = os.path.join(d, n)
        try:
            st = os.stat(p)
        except OSError:        # a dangling link
            continue
        if not stat.S_ISREG(st.st_mode):
            skipped.append(p)
            continue
        try:
            with open(p, "rb") as f:
                if f.read(4) in MAGICS:
                    files.append(p)
        except OSError as e:
            print("replay_dir.sh: %s: %s" % (disp(p), e.strerror), file=sys.stderr)
paths = {as_reported(p): p for p in files}   # the real path of each reported name
def shown(name):
    """a reported name as the user knows it: relative to DIR, real bytes escaped"""
    return disp(os.path.relpath(paths.get(name, name), root))
for p in skipped:
    print("replay_dir.sh: %s: skipped, not a regular file" % disp(p), file=sys.stderr)
if not files:
    print("replay_dir.sh: no pcap or pcapng file under %s" % disp(root), file=sys.stderr)
    sys.exit(3)

# ---- replay: jsonl for the tables, junit and sarif for CI ----
status = 0
records = []
UNREAD = re.compile(r"^tuplecheck: (.*): (\d+) of \d+ records have link type (\d+)(?: \((.*)\))?, "
                    r"which tuplecheck does not decode")
UNREAD_MORE = re.compile(r"^tuplecheck: (.*): (\d+) more records of other link types it does not decode")
unread = {}     # link type -> [description, records, names of captures]
chunks = [files[i:i + CHUNK] for i in range(0, len(files), CHUNK)]
for k, chunk in enumerate(chunks):
    sfx = "" if len(chunks) == 1 else ".%d" % (k + 1)
    for fmt, name in (("junit", "report%s.junit.xml"), ("sarif", "report%s.sarif")):
        with open(os.path.join(out, name % sfx), "w") as f:
            subprocess.run([tc, "replay", "--format", fmt, "--seed", "1"] + opts + chunk,
                           stdout=f, stderr=subprocess.DEVNULL)
    r = subprocess.run([tc, "replay", "--format", "jsonl", "--seed", "1"] + opts + chunk,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    if r.returncode not in (0, 1, 2):
        print("replay_dir.sh: tuplecheck replay died (%s):\n%s" %
              ("signal %d" % -r.returncode if r.returncode < 0 else "exit %d" % r.returncode,
               r.stderr), file=sys.stderr)
        sys.exit(3)
    status = max(status, r.returncode)
    # tuplecheck's per-file notes on link types it does not decode are
    # gathered into one report line; every other stderr line passes on
    for line in r.stderr.splitlines(True):
        m = UNREAD.match(line)
        if m:
            u = unread.setdefault(m.group(3), [m.group(4) or "", 0, set()])
            u[1] += int(m.group(2))
            u[2].add(m.group(1))
            continue
        m = UNREAD_MORE.match(line)
        if m:
            u = unread.setdefault("other", ["", 0, set()])
            u[1] += int(m.group(2))
            u[2].add(m.group(1))
            continue
        sys.stderr.write(line)
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
say("Replayed %s under %s (%s); %s" %
    (nof(len(files), "capture"), root, nof(sum(s["packets"] for s in summaries), "packet"),
     nof(len(findings), "finding")))
if unread:
    n = len(set().union(*(u[2] for u in unread.values())))
    say("%s %s records of link types tuplecheck does not decode "
        "(counted as rejected, no flows or findings from them):" %
        (nof(n, "capture"), "holds" if n == 1 else "hold"))
    for lt, (desc, n, caps) in sorted(unread.items(), key=lambda kv: (-len(kv[1][2]), kv[0])):
        name = "other link types" if lt == "other" else \
               "link type %s%s" % (lt, " (%s)" % desc if desc else "")
        say("  %s: %s in %s" % (name, nof(n, "record"), nof(len(caps), "capture")))
bad = [s for s in summaries if s.get("error") is not None]
if bad:
    say("%s stopped early (see stderr):" % nof(len(bad), "capture"))
    for s in bad:
        say("  %s: %s" % (shown(s["file"]), s["error"]))
opened = set(s["file"] for s in summaries)
unread = [p for p in files if as_reported(p) not in opened]
if unread:
    say("%s could not be read at all (see stderr):" % nof(len(unread), "capture"))
    for p in unread:
        say("  %s" % disp(os.path.relpath(p, root)))
if rules:
    say()
    for i, r in enumerate(rules):
        say("  R%-2d %-24s %s" % (i + 1, r, rule_sev[r]))
    w = max(len(shown(f)) for f in by_file if by_file[f]) if findings else 4
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
        name = shown(f)
        if len(name) > w:
            name = "..." + name[-(w - 3):]
        say("%-*s %s" % (w, name, " ".join("%5s" % (c[r] if c[r] else ".") for r in rules)))
    say("%-*s %s" % (w, "TOTAL", " ".join("%5d" % total[r] for r in rules)))
    say("(%s without findings)" % nof(quiet, "capture"))

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
    say("%s:" % nof(len(sigs), "unique signature"))
    order = sorted(sigs.items(), key=lambda kv: (sev_rank[kv[1]["severity"]], -kv[1]["count"], kv[0]))
    for sig, e in order:
        red = "-"
        if reduce_on:
            dst = os.path.join(out, "reduced", sig + ".pcap")
            src = paths.get(e["first"][0], e["first"][0])
            r = subprocess.run([tc, "reduce", "--rule", e["rule"], "--signature", sig] + opts +
                               [src, dst], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, errors="replace")
            last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
            # 2 with OUT written: reduced from the part of a cut capture read
            if r.returncode in (0, 2) and " -> " in last and os.path.exists(dst):
                n = last.split(" -> ")[1].split()[0]
                red = "%s (%s%s)" % (dst, nof(int(n), "packet") if n.isdigit() else n + " packets",
                                         "" if r.returncode == 0 else
                                             ", from the packets before a read error")
            else:
                red = "not reduced: " + last
        nf = len(e["files"])
        say("  %s %-7s %-24s %6d x in %3d %-5s  %s" % (sig, e["severity"], e["rule"], e["count"],
                                                       nf, "file" if nf == 1 else "files",
                                                       e["transition"]))
        say("      first: %s frame %d; example: %s" % (disp(paths.get(e["first"][0], e["first"][0])),
                                                      e["first"][1], red))
with open(os.path.join(out, "table.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
say()
say("wrote %s/{findings.jsonl,report.junit.xml,report.sarif,table.txt,reduced/}" % out)
sys.exit(status)
EOF
