#!/usr/bin/env bash
# t_replay_dir.sh - `make replay`'s script (scripts/replay_dir.sh) on a small
# folder: captures are found by magic (a text file and a capture without a
# .pcap name in a subfolder), the table's TOTAL row equals the per-rule
# counts of the jsonl findings, every unique signature is listed once with a
# reduced example that still shows that signature, and the CI documents
# (JUnit, SARIF) parse. Then odd folders, captures of link types tuplecheck
# does not decode, and the exit status 3 of a replay that could not run.
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
S=corpus/pcaps
mkdir -p "$tmp/in/sub"
cp $S/tuple_duplicate_live.pcap $S/tcp_invalid_flags.pcap $S/port_zero.pcap $S/clean_http.pcap "$tmp/in/"
cp $S/tuple_reuse_time_wait.pcap "$tmp/in/sub/capture.bin"
echo "not a capture" > "$tmp/in/README"

TC_BIN=$TC bash scripts/replay_dir.sh "$tmp/in" "$tmp/out" > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: exit status $rc, want 1 (error findings)"; cat "$tmp/stderr"; exit 1; }
grep -q "Replayed 5 captures" "$tmp/stdout" || { echo "FAIL: not 5 captures:"; head -3 "$tmp/stdout"; fail=1; }
grep -q "capture.bin" "$tmp/stdout" || { echo "FAIL: capture without .pcap name not replayed"; fail=1; }

/usr/bin/python3 - "$tmp" "$TC" <<'PY' || fail=1
import collections, json, re, subprocess, sys, xml.etree.ElementTree as ET
tmp, tc = sys.argv[1], sys.argv[2]
out = open(tmp + "/stdout").read()
recs = [json.loads(l) for l in open(tmp + "/out/findings.jsonl")]
fs = [r for r in recs if r["type"] == "finding"]
cnt = collections.Counter(f["rule"] for f in fs)
legend = dict(re.findall(r"^\s+R(\d+)\s+(\S+)\s+(?:error|warning|info)$", out, re.M))
total = re.search(r"^TOTAL\s+(.*)$", out, re.M).group(1).split()
bad = []
for i, n in enumerate(total):
    rule = legend[str(i + 1)]
    if int(n) != cnt[rule]:
        bad.append("TOTAL %s = %s, jsonl has %d" % (rule, n, cnt[rule]))
if set(legend.values()) != set(cnt):
    bad.append("legend %s != rules %s" % (sorted(legend.values()), sorted(cnt)))
sigs = {f["signature"]: f["rule"] for f in fs}
listed = re.findall(r"^  ([0-9a-f]{12}) ", out, re.M)
if sorted(listed) != sorted(sigs):
    bad.append("signatures listed %s != %s" % (sorted(listed), sorted(sigs)))
for s, rule in sigs.items():
    p = "%s/out/reduced/%s.pcap" % (tmp, s)
    r = subprocess.run([tc, "replay", "--format", "jsonl", "--seed", "1", p],
                       capture_output=True, text=True)
    got = [json.loads(l) for l in r.stdout.splitlines()]
    if not any(g.get("signature") == s for g in got):
        bad.append("reduced example %s does not show its signature" % s)
ET.parse(tmp + "/out/report.junit.xml")
d = json.load(open(tmp + "/out/report.sarif"))
if len(d["runs"][0]["results"]) != len(fs):
    bad.append("sarif results != findings")
for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
PY
[ $fail -eq 0 ] && echo "ok: table, signatures and reduced examples agree with the findings"

# Odd folders. A FIFO must be skipped, not opened (that would wait for a
# writer forever); a symbolic link to a folder is followed, a link loop is
# walked once; a capture whose header cannot be read is listed; a name with
# a newline is one line of the table; a Latin-1 name works through to its
# reduced example.
mkdir -p "$tmp/odd/sub" "$tmp/elsewhere/deep"
mkfifo "$tmp/odd/live.pcap"
cp $S/tcp_midstream.pcap "$tmp/elsewhere/deep/mid.pcap"
ln -s "$tmp/elsewhere" "$tmp/odd/linked"
ln -s .. "$tmp/odd/sub/loop"
head -c 10 $S/port_zero.pcap > "$tmp/odd/short_header.pcap"
cp $S/port_zero.pcap "$tmp/odd/new"$'\n'"line.pcap"
cp $S/tuple_duplicate_live.pcap "$tmp/odd/caf"$'\xe9'".pcap"
TC_BIN=$TC timeout 120 bash scripts/replay_dir.sh "$tmp/odd" "$tmp/out2" > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
for want in "Replayed 4 captures" "1 capture could not be read at all (see stderr):" "  short_header.pcap" \
	    "linked/deep/mid.pcap" "new\\nline.pcap" "caf\\xe9.pcap"; do
	grep -qF -- "$want" "$tmp/stdout" || { echo "FAIL odd folder: stdout lacks '$want'"; fail=1; }
done
grep -qF "live.pcap: skipped, not a regular file" "$tmp/stderr" || { echo "FAIL odd folder: the FIFO is not reported as skipped"; fail=1; }
grep -q "not reduced" "$tmp/stdout" && { echo "FAIL odd folder: $(grep 'not reduced' "$tmp/stdout" | head -1)"; fail=1; }
if [ $rc -ne 2 ]; then
	echo "FAIL odd folder: exit $rc, want 2 (a capture could not be read); stderr: $(tail -3 "$tmp/stderr")"; fail=1
fi

# Link types tuplecheck does not decode: tuplecheck's note per file is
# gathered into one report line per link type (records, captures), and none
# of those notes reaches stderr.
mkdir -p "$tmp/links/sub"
cp corpus/tcpdump-tests/ieee802.11_rx-stbc.pcap "$tmp/links/"
cp corpus/tcpdump-tests/ieee802.11_rx-stbc.pcap "$tmp/links/sub/again.pcap"
cp corpus/tcpdump-tests/radiotap-heapoverflow.pcap corpus/tcpdump-tests/802_15_4-data.pcap \
	corpus/tcpdump-tests/nflog.pcap corpus/flows/encapsulated.pcap "$tmp/links/"
REDUCE=0 TC_BIN=$TC bash scripts/replay_dir.sh "$tmp/links" "$tmp/out4" > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
for want in "4 captures hold records of link types tuplecheck does not decode (counted as rejected, no flows or findings from them):" \
	    "  link type 127 (802.11 plus radiotap header): 7 records in 3 captures" \
	    "  link type 195 (IEEE 802.15.4 with FCS): 1 record in 1 capture"; do
	grep -qxF -- "$want" "$tmp/stdout" || { echo "FAIL link types: stdout lacks '$want'"; fail=1; }
done
# NFLOG (239) is read, so nflog.pcap is not among them
if grep -q "link type 239" "$tmp/stdout"; then
	echo "FAIL link types: NFLOG listed as not decoded: $(grep "link type 239" "$tmp/stdout")"; fail=1
fi
if [ $rc -ne 0 ] || [ -s "$tmp/stderr" ]; then
	echo "FAIL link types: exit $rc, stderr: $(head -3 "$tmp/stderr")"; fail=1
fi

# Could not run at all: exit 3, so `make replay` fails even as a survey.
mkdir -p "$tmp/none"; echo text > "$tmp/none/a.txt"
for d in "$tmp/none" "$tmp/missing"; do
	TC_BIN=$TC bash scripts/replay_dir.sh "$d" "$tmp/out3" > /dev/null 2> "$tmp/stderr"
	rc=$?
	[ $rc -eq 3 ] || { echo "FAIL: $d: exit $rc, want 3 (could not run): $(cat "$tmp/stderr")"; fail=1; }
done
[ $fail -eq 0 ] && echo "ok: odd folders (FIFO, links, loop, unreadable header, odd names), exit 3 when nothing can run"
exit $fail
