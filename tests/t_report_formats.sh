#!/usr/bin/env bash
# t_report_formats.sh - the JUnit and SARIF reports of `tuplecheck replay`
# are well formed and say the same thing as the jsonl report, also when an
# input is missing or stops part-way (the document must still be complete).
#
# Parsed with /usr/bin/python3's xml.etree and json modules. Checks:
#  - SARIF 2.1.0 required fields: version, $schema, runs[].tool.driver.name
#    and .rules (one per catalog rule, with help text), results[].ruleId,
#    .message.text, .locations[].physicalLocation.artifactLocation.uri, the
#    frame in logicalLocations, partialFingerprints carrying the signature;
#    ruleIndex points at the rule of the same id; results equal the jsonl
#    findings one for one (rule, frame, signature); the unreadable and the
#    cut file appear as error notifications, executionSuccessful false.
#  - JUnit: one testsuite per file, one testcase per file and rule, failure
#    exactly for the rules with a finding at or above --fail-on in jsonl,
#    skipped for rules that are off, an error testcase for each bad file,
#    totals on <testsuites> equal to the sums.
#  - exit status 2 (an input could not be read) in all three formats.
#  - a file named twice, with another file between, is one SARIF artifact
#    (the schema wants them unique) that both runs' results point at; a file name that is not
#    UTF-8 (Latin-1 "\xe9") still gives valid UTF-8 JSON: U+FFFD in its
#    place in the jsonl records of every command, percent-encoded in the
#    SARIF uri; in "v~1 x.pcap" the space is percent-encoded and the
#    unreserved "~" is not (RFC 3986 2.3);
#  - each skipped JUnit rule says why it is off (default, -id, not listed,
#    no port range).
#  - jsonl: each file's summary counts that file's finding records by
#    severity; JUnit: a failure quotes each finding of its rule (at most 20,
#    then "... and N more" only when more there are).
#  - text: the "Findings by rule" table agrees with jsonl (count and
#    distinct signatures per rule, the detailed signatures' counts plus
#    "other signatures" adding up to the rule's count, a rule with more
#    than 8 signatures included) and lists the rules
#    worst severity first, then by count.
#  - hosts past the host classifier's cap (tests/tools/flowgen collide:
#    65,546 SYNs from as many hosts, so the last 10 are refused) are counted
#    alike in every format: jsonl unclassified_connections, the text
#    summary line, the JUnit suite's property and system-err, a SARIF
#    warning notification on that artifact; a file under the cap has none.
#  - records of a link type tuplecheck does not decode (802.11 with radiotap,
#    ieee802.11_rx-stbc.pcap) are
#    counted alike: jsonl link_unsupported, a text summary line, a JUnit
#    property and system-err, a SARIF warning notification on that file;
#    an Ethernet file has none of them.
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$TC" ] || { echo "missing $TC (make asan)"; exit 1; }
# a capture cut in the middle of a record: read part-way, then an error
head -c 300 corpus/pcaps/tuple_reuse_time_wait.pcap > "$tmp/cut.pcap"
# tests/data/report/invalid_flags.pcap (gen_invalid_flags.py): one rule with
# more signatures than the text report details
files=(corpus/pcaps/*.pcap tests/data/report/invalid_flags.pcap "$tmp/missing.pcap" "$tmp/cut.pcap")
opts=(--seed 1 --fail-on warning --profile linux --rules +tcp.bad-checksum)

for fmt in jsonl junit sarif text; do
	"$TC" replay --format "$fmt" "${opts[@]}" "${files[@]}" > "$tmp/out.$fmt" 2> "$tmp/err.$fmt"
	rc=$?
	if [ $rc -ne 2 ]; then
		echo "FAIL: --format $fmt exit status $rc, want 2 (unreadable input)"
		exit 1
	fi
	grep -q "missing.pcap" "$tmp/err.$fmt" || { echo "FAIL: $fmt: stderr does not name the missing file"; exit 1; }
done

"$TC" replay --format sarif corpus/pcaps/port_zero.pcap corpus/pcaps/tuple_reuse_time_wait.pcap \
	corpus/pcaps/port_zero.pcap > "$tmp/twice.sarif"
cp corpus/pcaps/tuple_reuse_time_wait.pcap "$tmp/caf"$'\xe9'".pcap"
for cmd in replay flows packets hosts; do
	"$TC" "$cmd" --format jsonl "$tmp/caf"$'\xe9'".pcap" > "$tmp/latin.$cmd.jsonl"
done
"$TC" replay --format sarif "$tmp/caf"$'\xe9'".pcap" > "$tmp/latin.sarif"
cp corpus/pcaps/port_zero.pcap "$tmp/v~1 x.pcap"
"$TC" replay --format sarif "$tmp/v~1 x.pcap" > "$tmp/tilde.sarif"
"$TC" replay --format junit --rules -tcp.midstream corpus/pcaps/port_zero.pcap > "$tmp/skip.junit"
flowgen=build/asan/tools/flowgen
[ -x "$flowgen" ] || { echo "missing $flowgen (make test-extra-builds)"; exit 1; }
"$flowgen" collide 65546 "$tmp/cap.pcap" || exit 1
for fmt in jsonl junit sarif text; do
	"$TC" replay --format "$fmt" "$tmp/cap.pcap" corpus/pcaps/port_zero.pcap > "$tmp/cap.$fmt"
	rc=$?   # 1: port_zero.pcap's findings
	[ $rc -eq 1 ] || { echo "FAIL: cap: --format $fmt exit status $rc, want 1"; exit 1; }
	"$TC" replay --format "$fmt" corpus/tcpdump-tests/ieee802.11_rx-stbc.pcap \
		corpus/pcaps/port_zero.pcap > "$tmp/wlan.$fmt" 2> /dev/null
	rc=$?
	[ $rc -eq 1 ] || { echo "FAIL: wlan: --format $fmt exit status $rc, want 1"; exit 1; }
done

"$PY" - "$tmp" <<'EOF'
import json, sys, xml.etree.ElementTree as ET
tmp = sys.argv[1]
fails = []
def check(cond, what):
    if not cond:
        fails.append(what)

# ---- jsonl: the reference
findings, files = [], []
for line in open(tmp + "/out.jsonl"):
    r = json.loads(line)
    if r["type"] == "finding":
        findings.append(r)
    elif r["type"] == "summary":
        files.append(r["file"])
check(len(findings) > 20, "jsonl has only %d findings" % len(findings))
sev_rank = {"info": 0, "warning": 1, "error": 2}

# ---- SARIF
d = json.load(open(tmp + "/out.sarif"))
check(d.get("version") == "2.1.0", "sarif version")
check("sarif-2.1.0" in d.get("$schema", ""), "sarif $schema")
check(len(d["runs"]) == 1, "one run")
run = d["runs"][0]
drv = run["tool"]["driver"]
check(drv.get("name") == "tuplecheck", "driver.name")
rules = drv.get("rules", [])
check(len(rules) == 17, "17 rules, got %d" % len(rules))
for i, rule in enumerate(rules):
    for k in ("id", "shortDescription", "fullDescription", "help", "defaultConfiguration"):
        check(k in rule, "rule %d lacks %s" % (i, k))
    check(len(rule["help"]["text"]) > 40, "rule %s help text" % rule.get("id"))
    check(rule["defaultConfiguration"]["level"] in ("error", "warning", "note"), "rule level")
ids = [r["id"] for r in rules]
res = run["results"]
check(len(res) == len(findings), "sarif results %d != jsonl findings %d" % (len(res), len(findings)))
for r, f in zip(res, findings):
    check(r["ruleId"] == f["rule"], "ruleId order")
    check(ids[r["ruleIndex"]] == r["ruleId"], "ruleIndex points at its rule")
    check(r["message"]["text"], "message.text")
    check(r["level"] == {"error": "error", "warning": "warning", "info": "note"}[f["severity"]], "level")
    loc = r["locations"][0]
    uri = loc["physicalLocation"]["artifactLocation"]["uri"]
    check(uri.endswith(f["file"].split("/")[-1]), "artifact uri %s for %s" % (uri, f["file"]))
    check(run["artifacts"][loc["physicalLocation"]["artifactLocation"]["index"]]["location"]["uri"] == uri,
          "artifact index")
    ll = loc["logicalLocations"][0]
    if "host" in f:
        check(ll["name"] == "host " + f["host"], "host logical location")
    else:
        check(ll["name"] == "frame %d" % f["frame"], "frame logical location")
    check(r["properties"]["frame"] == f["frame"], "frame property")
    check(r["partialFingerprints"]["tuplecheck/signature/v1"] == f["signature"], "fingerprint")
inv = run["invocations"][0]
check(inv["executionSuccessful"] is False, "executionSuccessful false with a bad input")
notes = [n["message"]["text"] for n in inv["toolExecutionNotifications"]]
check(len(notes) == 2, "two error notifications, got %r" % notes)
check(any("open" in n for n in notes), "missing file notification")
uris = [a["location"]["uri"] for a in run["artifacts"]]
check(any(u.endswith("missing.pcap") for u in uris), "missing file listed as artifact")
check(any(u.endswith("cut.pcap") for u in uris), "cut file listed as artifact")

# ---- JUnit
root = ET.parse(tmp + "/out.junit").getroot()
check(root.tag == "testsuites", "root testsuites")
suites = root.findall("testsuite")
check(len(suites) == len(files) + 1, "one testsuite per file (%d vs %d + missing)" % (len(suites), len(files)))
tot = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for s in suites:
    cases = s.findall("testcase")
    name = s.get("name")
    for k in tot:
        tot[k] += int(s.get(k))
    check(int(s.get("tests")) == len(cases), "tests attribute of %s" % name)
    if name.endswith("missing.pcap"):
        check(len(cases) == 1 and cases[0].find("error") is not None, "missing file is an error case")
        continue
    names = [c.get("name") for c in cases if c.get("name") != "read"]
    check(names == ids, "one testcase per rule in %s" % name)
    want_fail = set(f["rule"] for f in findings if f["file"] == name
                    and sev_rank[f["severity"]] >= sev_rank["warning"])
    got_fail = set(c.get("name") for c in cases if c.find("failure") is not None)
    check(want_fail == got_fail, "%s: failures %s != jsonl %s" % (name, sorted(got_fail), sorted(want_fail)))
    check(int(s.get("failures")) == len(got_fail), "failures attribute of %s" % name)
    skipped = [c.get("name") for c in cases if c.find("skipped") is not None]
    check("ip.bad-checksum" in skipped and "tcp.bad-checksum" not in skipped, "skipped = rules off")
    err = [c for c in cases if c.get("name") == "read"]
    check(bool(err) == name.endswith("cut.pcap"), "read error case only for the cut file (%s)" % name)
for k in tot:
    check(int(root.get(k)) == tot[k], "testsuites %s total" % k)

# ---- the same file twice, and a name that is not UTF-8
d = json.loads(open(tmp + "/twice.sarif", "rb").read().decode("utf-8"))
run = d["runs"][0]
check(len(run["artifacts"]) == 2, "file named twice: %d artifacts" % len(run["artifacts"]))
zero = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
zero = [a for a in zero if a["uri"].endswith("/port_zero.pcap")]
idx = set(a["index"] for a in zero)
check(len(zero) >= 2 and idx == {0}, "file named twice: results point at %r" % idx)
for name in ("latin.replay.jsonl", "latin.flows.jsonl", "latin.packets.jsonl", "latin.hosts.jsonl"):
    raw = open(tmp + "/" + name, "rb").read()
    try:
        recs = [json.loads(l) for l in raw.decode("utf-8").splitlines()]
    except ValueError as e:
        check(False, "%s: not UTF-8 JSON: %s" % (name, e))
        continue
    files = set(r["file"] for r in recs if "file" in r)
    check(len(recs) > 1 and files and all(f.endswith("caf\ufffd.pcap") for f in files),
          "%s: file names %r" % (name, sorted(files)))
try:
    d = json.loads(open(tmp + "/latin.sarif", "rb").read().decode("utf-8"))
    uri = d["runs"][0]["artifacts"][0]["location"]["uri"]
    check(uri.endswith("/caf%E9.pcap"), "latin sarif uri %r (the byte percent-encoded)" % uri)
except ValueError as e:
    check(False, "latin.sarif: not UTF-8 JSON: %s" % e)
why = {}
for c in ET.parse(tmp + "/skip.junit").getroot().iter("testcase"):
    sk = c.find("skipped")
    if sk is not None:
        why[c.get("name")] = sk.get("message")
check(why.get("ip.bad-checksum") == "rule off: off by default; --rules +ip.bad-checksum turns it on",
      "default-off reason: %r" % why.get("ip.bad-checksum"))
check(why.get("tcp.midstream") == "rule off: turned off by --rules -tcp.midstream",
      "removed reason: %r" % why.get("tcp.midstream"))
check(why.get("port.ephemeral-range") == "rule off: needs --ephemeral-range LO-HI or --profile",
      "no-range reason: %r" % why.get("port.ephemeral-range"))

d = json.load(open(tmp + "/tilde.sarif"))
uris = [a["location"]["uri"] for a in d["runs"][0]["artifacts"]]
uris += [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in d["runs"][0]["results"]]
check(len(uris) > 1 and all(u.endswith("/v~1%20x.pcap") for u in uris), "tilde sarif uris %r" % uris[:2])

# ---- jsonl summaries count their own file's findings
per = {}
for f in findings:
    per.setdefault(f["file"], {"error": 0, "warning": 0, "info": 0})[f["severity"]] += 1
for line in open(tmp + "/out.jsonl"):
    r = json.loads(line)
    if r["type"] == "summary":
        want = per.get(r["file"], {"error": 0, "warning": 0, "info": 0})
        check(r["findings"] == want, "summary of %s: findings %r, records %r" % (r["file"], r["findings"], want))

# ---- JUnit failure bodies quote the findings
for s in suites:
    for c in s.findall("testcase"):
        fl = c.find("failure")
        if fl is None:
            continue
        n = sum(1 for f in findings if f["file"] == s.get("name") and f["rule"] == c.get("name"))
        lines = [l for l in (fl.text or "").split("\n") if l]
        want = min(n, 20) + (1 if n > 20 else 0)
        check(len(lines) == want, "junit %s %s: %d body lines for %d findings" % (s.get("name"), c.get("name"), len(lines), n))
        check((n > 20) == any(l.startswith("... and ") for l in lines), "junit %s: '... and N more' line" % c.get("name"))

# ---- text: the findings by rule
import re
sev_of, count_of, sigs_of = {}, {}, {}
for f in findings:
    sev_of[f["rule"]] = f["severity"]
    count_of[f["rule"]] = count_of.get(f["rule"], 0) + 1
    sigs_of.setdefault(f["rule"], set()).add(f["signature"])
groups, cur = [], None
text = open(tmp + "/out.text").read().split("\nFindings by rule (worst first):\n")
check(len(text) == 2, "text: a 'Findings by rule' table")
for line in (text[1] if len(text) == 2 else "").split("\n"):
    m = re.match(r"^(error|warning|info)\s+(\S+)\s+(\d+) findings?, (\d+)\+? signatures?$", line)
    if m:
        cur = [m.group(2), m.group(1), int(m.group(3)), int(m.group(4)), 0]
        groups.append(cur)
        continue
    m = re.match(r"^\s+(\d+) x (\[|other signatures$)", line)
    if m and cur:
        cur[4] += int(m.group(1))
check([g[0] for g in groups] == sorted(count_of, key=lambda k: (-sev_rank[sev_of[k]], -count_of[k], ids.index(k))),
      "text: rules worst first, then by count: %r" % [g[0] for g in groups])
for rule, sev, n, nsig, detailed in groups:
    check(sev == sev_of.get(rule) and n == count_of.get(rule), "text %s: %s %d, jsonl %s %s" % (rule, sev, n, sev_of.get(rule), count_of.get(rule)))
    check(nsig == len(sigs_of.get(rule, ())), "text %s: %d signatures, jsonl %d" % (rule, nsig, len(sigs_of.get(rule, ()))))
    check(detailed == n, "text %s: signature counts add up to %d, not %d" % (rule, detailed, n))

# ---- counts said alike in every format: a jsonl summary field, one text
# summary line, a JUnit property and system-err in that file's suite, a
# SARIF warning notification on its artifact; none of it for port_zero.pcap
pz = "corpus/pcaps/port_zero.pcap"
def serr(s):
    return [e.text for e in s.findall("system-err")]
def said_everywhere(tag, f, key, n, marker, text_start, start):
    summ = {r["file"]: r for r in map(json.loads, open(tmp + "/%s.jsonl" % tag)) if r["type"] == "summary"}
    check(summ.get(f, {}).get(key) == n and key not in summ.get(pz, {key: 0}),
          "%s jsonl: %s %r / %r" % (tag, key, summ.get(f), summ.get(pz)))
    lines = [l for l in open(tmp + "/%s.text" % tag) if marker in l]
    check(len(lines) == 1 and lines[0].startswith(text_start),
          "%s text: one summary line for %s, got %r" % (tag, start, lines))
    suites = {s.get("name"): s for s in ET.parse(tmp + "/%s.junit" % tag).getroot().iter("testsuite")}
    def prop(s):
        return [p.get("value") for p in s.iter("property") if p.get("name") == key]
    check(f in suites and prop(suites[f]) == [str(n)] and len(serr(suites[f])) == 1 and
          serr(suites[f])[0].startswith(start),
          "%s junit: property %d and one system-err in %s's suite" % (tag, n, f))
    check(pz in suites and prop(suites[pz]) == [] and serr(suites[pz]) == [],
          "%s junit: nothing about %s in the suite of %s" % (tag, key, pz))
    run = json.load(open(tmp + "/%s.sarif" % tag))["runs"][0]
    inv = run["invocations"][0]
    notes = inv.get("toolExecutionNotifications", [])
    arts = [a["location"]["uri"] for a in run["artifacts"]]
    check(inv["executionSuccessful"] is True, "%s sarif: executionSuccessful stays true" % tag)
    check(len(notes) == 1 and notes[0]["level"] == "warning" and
          notes[0]["message"]["text"].startswith(start) and
          notes[0]["properties"][key] == n and
          notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["index"] == arts.index(f),
          "%s sarif: one warning notification on %s, got %r" % (tag, f, notes))
    return summ

# hosts past the classifier's cap: 10 connections
said_everywhere("cap", tmp + "/cap.pcap", "unclassified_connections", 10,
                "host cap not classified", "  10 connections from hosts past", "10 connections")
# records of a link type not decoded, all 3 of them rejected
nf = "corpus/tcpdump-tests/ieee802.11_rx-stbc.pcap"
summ = said_everywhere("wlan", nf, "link_unsupported", 3, "link types tuplecheck does not decode",
                       "  3 records of link types", "3 records of link types")
check(summ.get(nf, {}).get("rejected") == 3, "wlan jsonl: rejected %r" % summ.get(nf))

if fails:
    print("\n".join("FAIL: " + f for f in fails[:30]))
    sys.exit(1)
print("ok: %d findings, %d sarif rules, %d junit suites" % (len(findings), len(rules), len(suites)))
EOF
