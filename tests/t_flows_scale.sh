#!/usr/bin/env bash
# t_flows_scale.sh - the connection engine on hostile captures: counters must
# come out exact and memory must stay bounded.
#
#  1. collide: 65536 SYNs on tuples whose fields add up to the same number
#     (tests/tools/flowgen: a sum-of-fields hash puts all in one bucket).
#     Expect 65536 flows, all S0, first_frame increasing, stream 0..65535,
#     under the sanitizer build.
#  2. out of order: 3000 interleaved connections, every third packet stamped
#     up to 10 minutes in the past. Expect exactly 3000 flows, all SF with
#     history ShADadFf, 9 packets each, and start <= end for every record.
#  3. SYN flood: 1,000,000 SYNs on distinct tuples (bench/gen_pcap synflood)
#     with --max-flows 1000: 1,000,000 flow records in order, the summary
#     says flows 1000000 and evicted 999000 (the capture lasts seconds, so
#     nothing expires), and the peak anonymous memory (RssAnon, sampled
#     from /proc: heap, stacks, the input window) is within 8 MiB of
#     the same command on 10,000 SYNs: memory does not grow with the flood.
#     Run with the release build (the sanitizer's allocator quarantine would
#     hide the flat profile); a 200,000-SYN flood also runs under the
#     sanitizer build for correctness.
#  4. the same 1,000,000 SYNs without a cap: every flow live at once,
#     flushed at the end in first-frame order (streams 0..999999); the
#     peak anonymous memory per live flow must stay at or below 256 bytes
#     (entry, buckets and everything else tuplecheck holds, above the
#     10,000-SYN baseline). Printed as a figure.
#  5. file and stream: the 200,000-SYN capture (18 MB, 18 of the 1 MiB
#     windows it is read through) gives the same records read from its file
#     as from standard input (sanitizer build); the release run of the
#     1,000,000-SYN file shows the record writer's thread (tc-writer,
#     cmd_flows.c).
#  6. the 200,000-SYN capture cut in the middle of a record, --max-flows
#     1000 (records written by tc-writer from the start): exit 2, every
#     flow before the cut printed in order, the summary carries the error,
#     one stderr line names the file (sanitizer build).
#  7. reuse (tests/tools/flowgen reuse 400000): 400,000 refused attempts,
#     then 300 s later 400,000 SYNs that take the expired flows' table
#     entries, mostly in reverse order, and are all open at the end. The
#     end-of-file flush puts them in first-appearance order, here through
#     its radix sort of groups of more than SMALL_SORT flows (engine.c
#     sort_by_seqno), which only a table of ~2^19 entries with that many
#     flows still open reaches: 400,000 REJ records, then streams
#     400000..799999 in first-frame order (sanitizer build).
#  8. a 2,400,000-SYN capture (216 MB), --max-flows 1000, release build:
#     the whole resident set (RssAnon + RssFile: heap, window, code and
#     libraries) peaks at or below 48 MiB, whatever the capture's length
#     (the capture was once mapped, and this check held its resident pages
#     under 128 MiB).
# Exit 0 pass, 1 fail, 77 skip.
set -u
cd "$(dirname "$0")/.."
asan=${TC_BIN:-build/asan/tuplecheck}
rel=${TC_REL_BIN:-build/tuplecheck}
flowgen=build/asan/tools/flowgen
genpcap=build/bench/gen_pcap
for b in "$asan" "$flowgen"; do
	if [ ! -x "$b" ]; then
		echo "skip: $b not built"
		exit 77
	fi
done
if [ ! -x "$genpcap" ]; then
	make --no-print-directory "$genpcap" >/dev/null 2>&1 || { echo "skip: $genpcap cannot be built"; exit 77; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$flowgen" collide 65536 "$tmp/collide.pcap" || exit 1
"$flowgen" outoforder 3000 "$tmp/ooo.pcap" || exit 1
"$flowgen" reuse 400000 "$tmp/reuse.pcap" || exit 1
nice "$genpcap" synflood --packets 1000000 --seed 2 "$tmp/syn1m.pcap" 2>/dev/null || exit 1
nice "$genpcap" synflood --packets 200000 --seed 2 "$tmp/syn200k.pcap" 2>/dev/null || exit 1
nice "$genpcap" synflood --packets 10000 --seed 2 "$tmp/syn10k.pcap" 2>/dev/null || exit 1
nice "$genpcap" synflood --packets 2400000 --seed 3 "$tmp/syn2400k.pcap" 2>/dev/null || exit 1

exec /usr/bin/python3 - "$asan" "$rel" "$tmp" <<'PY'
import json, os, re, subprocess, sys, threading, time

asan, rel, tmp = sys.argv[1:4]
failures = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        failures.append(what)


threads = {}
peak_total = {}


def run(binary, args, on_line, sample=False, stdin=None):
    """Run binary flows ARGS, feed each stdout line to on_line; return
    (exit status, stderr, peak RssAnon in KiB when sampled). The names of
    the threads seen while sampling go to threads[last argument]."""
    p = subprocess.Popen([binary, 'flows'] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, stdin=stdin)
    peak = [0]
    peak_total[args[-1]] = 0

    def sampler():
        while p.poll() is None:
            try:
                with open('/proc/%d/status' % p.pid) as fh:
                    kb = {}
                    for l in fh:
                        if l.startswith(('RssAnon:', 'RssFile:')):
                            kb[l.split(':')[0]] = int(l.split()[1])
                    if 'RssAnon' in kb:
                        peak[0] = max(peak[0], kb['RssAnon'])
                        peak_total[args[-1]] = max(peak_total[args[-1]],
                                                   kb['RssAnon'] + kb.get('RssFile', 0))
                for t in os.listdir('/proc/%d/task' % p.pid):
                    with open('/proc/%d/task/%s/comm' % (p.pid, t)) as fh:
                        threads.setdefault(args[-1], set()).add(fh.read().strip())
            except OSError:
                pass
            time.sleep(0.002)

    th = threading.Thread(target=sampler) if sample else None
    if th:
        th.start()
    for line in p.stdout:
        on_line(line)
    err = p.stderr.read()
    p.wait()
    if th:
        th.join()
    if 'Sanitizer' in err or 'runtime error' in err:
        failures.append('sanitizer report:\n' + err[-3000:])
        print(err[-3000:])
    return p.returncode, err, peak[0]


class Flows:
    """Counts flow records cheaply (regexes, a full parse only when asked)."""
    rx = re.compile(r'"stream":(\d+).*"first_frame":(\d+).*"state":"(\w+)","history":"([^"]*)"'
                    r',"orig_pkts":(\d+),"resp_pkts":(\d+)')

    def __init__(self, parse=False):
        self.n = 0
        self.summary = None
        self.ordered = True
        self.streams_ok = True
        self.last_frame = 0
        self.states = {}
        self.hist = {}
        self.pkts = {}
        self.parse = parse
        self.records = []

    def __call__(self, line):
        if line.startswith('{"type":"summary"'):
            self.summary = json.loads(line)
            return
        m = self.rx.search(line)
        if not m:
            return
        stream, ff = int(m.group(1)), int(m.group(2))
        if stream != self.n:
            self.streams_ok = False
        if ff <= self.last_frame:
            self.ordered = False
        self.last_frame = ff
        self.n += 1
        for d, k in ((self.states, m.group(3)), (self.hist, m.group(4)),
                     (self.pkts, int(m.group(5)) + int(m.group(6)))):
            d[k] = d.get(k, 0) + 1
        if self.parse:
            self.records.append(json.loads(line))


# 1. colliding tuples
f = Flows()
rc, err, _ = run(asan, ['--format', 'jsonl', '--seed', '1', os.path.join(tmp, 'collide.pcap')], f)
check(rc == 0, 'collide: exit 0 (got %d)' % rc)
check(f.n == 65536 and f.summary and f.summary['flows'] == 65536,
      'collide: 65536 flow records and summary flows (got %d, %s)' % (f.n, f.summary))
check(f.states == {'S0': 65536} and f.ordered and f.streams_ok,
      'collide: all S0, in first-frame order, streams 0..65535')

# 2. out-of-order timestamps
f = Flows(parse=True)
rc, err, _ = run(asan, ['--format', 'jsonl', '--seed', '1', os.path.join(tmp, 'ooo.pcap')], f)
check(rc == 0 and f.n == 3000 and f.summary['flows'] == 3000 and f.summary['evicted'] == 0,
      'out of order: exactly 3000 flows, none evicted (got %d)' % f.n)
check(f.states == {'SF': 3000} and f.hist == {'ShADadFf': 3000} and f.pkts == {9: 3000},
      'out of order: every flow SF ShADadFf with 9 packets (%s %s)' % (f.states, f.hist))
check(all(r['start'] <= r['end'] for r in f.records) and f.ordered,
      'out of order: start <= end everywhere, records in first-frame order')

# 3. SYN flood under a cap
f = Flows()
rc, err, _ = run(asan, ['--format', 'jsonl', '--seed', '1', '--max-flows', '1000',
                        os.path.join(tmp, 'syn200k.pcap')], f)
check(rc == 0 and f.n == 200000 and f.summary['flows'] == 200000 and
      f.summary['evicted'] == 199000 and f.ordered and f.streams_ok,
      'flood 200k (sanitizer build): 200000 records in order, evicted 199000 (%s)' % f.summary)

# 5. the same records from the file as from standard input
lines = {}
for how in ('file', 'stdin'):
    got = lines[how] = []
    path = os.path.join(tmp, 'syn200k.pcap')
    if how == 'file':
        rc, err, _ = run(asan, ['--format', 'jsonl', '--seed', '1', path], got.append)
    else:
        with open(path, 'rb') as fh:
            rc, err, _ = run(asan, ['--format', 'jsonl', '--seed', '1', '-'], got.append,
                             stdin=fh)
    check(rc == 0 and len(got) == 200001, 'file and stdin: %s run exits 0 with 200000 records '
          'and a summary (got %d lines)' % (how, len(got)))
check([l.replace('"file":"' + path + '"', '"file":"<stdin>"') for l in lines['file']] ==
      lines['stdin'], 'file and stdin: both give the same records')

# 6. a capture cut in the middle of a record, with the records written by
# the writer thread (cmd_flows.c): every record of a flow that ended before
# the cut comes out, in order, then the summary with the error, then the
# error line on stderr; exit status 2
cut = os.path.join(tmp, 'syn200k-cut.pcap')
with open(path, 'rb') as fh:
    data = fh.read()
with open(cut, 'wb') as fh:
    fh.write(data[:len(data) // 2 + 7])
got = []
rc, err, _ = run(asan, ['--format', 'jsonl', '--seed', '1', '--max-flows', '1000', cut], got.append)
recs = [json.loads(l) for l in got]
flows = [r for r in recs if r['type'] == 'flow']
check(rc == 2 and recs[-1]['type'] == 'summary' and 'error' in recs[-1] and
      len(flows) == recs[-1]['packets'] == recs[-1]['flows'] and
      [r['stream'] for r in flows] == list(range(len(flows))) and len(flows) > 90000,
      'cut capture: exit 2, %d records in order, then the summary with its error (%s)'
      % (len(flows), recs[-1]))
check(err.startswith('tuplecheck: ' + cut + ': ') and len(err.splitlines()) == 1,
      'cut capture: one stderr line naming the file (%r)' % err[:200])

# 7. entries reused out of order, then the flush's large-group sort
f = Flows(parse=True)
rc, err, _ = run(asan, ['--format', 'jsonl', '--seed', '1', os.path.join(tmp, 'reuse.pcap')], f)
first = [r['first_frame'] for r in f.records[400000:]]
check(rc == 0 and f.n == 800000 and f.summary['flows'] == 800000 and
      f.states == {'REJ': 400000, 'S0': 400000} and f.streams_ok and
      all(r['state'] == 'S0' for r in f.records[400000:]) and
      all(a < b for a, b in zip(first, first[1:])),
      'reuse: 400000 REJ, then 400000 open flows flushed in first-frame order, '
      'streams 0..799999 (%s %s)' % (f.states, f.summary))
f = None

if not os.access(rel, os.X_OK):
    print('note: %s not built: memory checks skipped' % rel)
else:
    base = Flows()
    _, _, base_kb = run(rel, ['--format', 'jsonl', '--seed', '1', '--max-flows', '1000',
                              os.path.join(tmp, 'syn10k.pcap')], base, sample=True)
    f = Flows()
    rc, err, flood_kb = run(rel, ['--format', 'jsonl', '--seed', '1', '--max-flows', '1000',
                                  os.path.join(tmp, 'syn1m.pcap')], f, sample=True)
    check(rc == 0 and f.n == 1000000 and f.summary['flows'] == 1000000 and
          f.summary['evicted'] == 999000 and f.ordered and f.streams_ok,
          'flood 1M --max-flows 1000: 1000000 records in order, evicted 999000 (%s)' % f.summary)
    seen = threads.get(os.path.join(tmp, 'syn1m.pcap'), set())
    check('tc-writer' in seen,
          'flood 1M: the records are written by the writer thread (threads seen: %s)'
          % sorted(seen))
    # 8. the capture is read through a window (oracle/input.c), so a 216 MB
    # capture costs no more resident memory than a small one
    big = os.path.join(tmp, 'syn2400k.pcap')
    g = Flows()
    rc, err, _ = run(rel, ['--format', 'jsonl', '--seed', '1', '--max-flows', '1000', big], g,
                     sample=True)
    size_kb = os.path.getsize(big) // 1024
    check(rc == 0 and g.n == 2400000 and 0 < peak_total[big] <= 48 * 1024,
          'flood 2.4M (%d MB file): peak resident set (anon + file) %d KiB <= 48 MiB'
          % (size_kb // 1024, peak_total[big]))
    check(flood_kb - base_kb <= 8192,
          'flood 1M --max-flows 1000: peak RssAnon %d KiB vs %d KiB for 10k SYNs' % (flood_kb, base_kb))

    # 4. a million live flows at once
    f = Flows()
    rc, err, live_kb = run(rel, ['--format', 'jsonl', '--seed', '1',
                                 os.path.join(tmp, 'syn1m.pcap')], f, sample=True)
    base = Flows()
    _, _, base_kb = run(rel, ['--format', 'jsonl', '--seed', '1',
                              os.path.join(tmp, 'syn10k.pcap')], base, sample=True)
    per = (live_kb - base_kb) * 1024.0 / (1000000 - 10000)
    check(rc == 0 and f.n == 1000000 and f.summary['evicted'] == 0 and
          f.ordered and f.streams_ok,
          '1M live flows: 1000000 records, none evicted, flushed in first-frame order')
    check(per <= 256, '1M live flows: %.1f bytes of anonymous memory per live flow '
          '(peak %d KiB, 10k baseline %d KiB), target <= 256' % (per, live_kb, base_kb))

sys.exit(1 if failures else 0)
PY
