#!/usr/bin/env bash
# t_tshark_streams.sh - differential test of the connection engine against
# tshark's tcp.stream and Community ID.
#
# For every capture with a reference tests/ref/tshark-streams/<capture>.tsv
# (scripts/tshark_streams_ref.sh: frame, tcp.stream, communityid for each
# frame tshark 4.0 decodes as plain TCP over one IP header) - the public
# captures of corpus/tcpdump-tests/ - and likewise for the engine's scenario
# captures corpus/flows/ (references in tests/ref/tshark-streams-flows/,
# written by `scripts/tshark_streams_ref.sh corpus/flows
# tests/ref/tshark-streams-flows`), run
#     tuplecheck flows   --format jsonl --seed 1 FILE
#     tuplecheck packets --format jsonl FILE
# and give each of our TCP frames its flow: the flow of the same 5-tuple
# (either direction) whose [first_frame, last_frame] holds the frame (two
# incarnations of one tuple never overlap). Checks:
#  - consistency: every flow's orig_pkts + resp_pkts equals the number of
#    TCP frames that map to it, and every TCP frame maps to exactly one flow;
#  - over the frames both tools decode as plain TCP ("compared frames"), the
#    partition into tshark streams equals the partition into our flows: the
#    same number of streams, each stream with exactly the frames of one flow
#    (so the same packet count);
#  - each compared frame's Community ID equals its flow's community_id.
# Every difference is listed in tests/tshark_streams_known.txt
# ("capture<TAB>frames<TAB>reason", frames as 1,4,7-9: the frames of the
# streams that differ); the test fails on a difference that is not listed
# and on a listed one that no longer occurs. Prints the figures.
# The skip check, the VERSION note and the known-file reader are shared with
# tests/t_tshark_packets.sh (tests/lib/tshark_common.sh and .py).
# Exit 0 pass, 1 fail, 77 skip.
set -u
cd "$(dirname "$0")/.."
. tests/lib/tshark_common.sh
tshark_need_bin
if [ ! -f tests/ref/tshark-streams/VERSION ]; then
	echo "skip: no reference (run scripts/tshark_streams_ref.sh)"
	exit 77
fi
tshark_version_note tests/ref/tshark-streams scripts/tshark_streams_ref.sh "tshark's TCP analysis"

exec /usr/bin/python3 - "$bin" tests/tshark_streams_known.txt \
	corpus/tcpdump-tests tests/ref/tshark-streams corpus/flows tests/ref/tshark-streams-flows <<'PY'
import json, os, subprocess, sys
from collections import defaultdict
sys.path.insert(0, 'tests/lib')
from tshark_common import read_known

binary, knownfile = sys.argv[1:3]
sets = list(zip(sys.argv[3::2], sys.argv[4::2]))       # (corpus, reference dir)


def fmt_frames(frames):
    frames = sorted(frames)
    out, i = [], 0
    while i < len(frames):
        j = i
        while j + 1 < len(frames) and frames[j + 1] == frames[j] + 1:
            j += 1
        out.append(str(frames[i]) if i == j else '%d-%d' % (frames[i], frames[j]))
        i = j + 1
    return ','.join(out)


# capture -> (frames, reason)
known = {cap: (frames, reason) for cap, frames, reason in read_known(knownfile)}


def run(args):
    r = subprocess.run([binary] + args, capture_output=True, text=True, errors='replace')
    if r.returncode not in (0, 1, 2) or 'Sanitizer' in r.stderr or 'runtime error' in r.stderr:
        print('FAIL %s: tuplecheck exit %d\n%s' % (' '.join(args), r.returncode, r.stderr[-2000:]))
        sys.exit(1)
    return [json.loads(l) for l in r.stdout.splitlines() if l.startswith('{')]


def tuple_key(a, pa, b, pb):
    x, y = (a, pa), (b, pb)
    return (x, y) if x <= y else (y, x)


tot = defaultdict(int)
unexpected, seen_known = [], set()
refs = [(corpus, refdir, f) for corpus, refdir in sets
        for f in sorted(os.listdir(refdir)) if f.endswith('.tsv')]
for corpus, refdir, rf in refs:
    cap = rf[:-4]
    path = os.path.join(corpus, cap)
    ref = {}
    for line in open(os.path.join(refdir, rf)):
        if line.startswith('#'):
            continue
        fr, st, cid = line.rstrip('\n').split('\t')
        ref[int(fr)] = (int(st), cid)
    flows = [o for o in run(['flows', '--format', 'jsonl', '--seed', '1', path])
             if o.get('type') == 'flow' and o['proto'] == 'tcp']
    pkts = [o for o in run(['packets', '--format', 'jsonl', path])
            if o.get('type') == 'packet' and o.get('proto') == 'tcp' and o.get('sport') is not None]
    by_tuple = defaultdict(list)
    for i, f in enumerate(flows):
        by_tuple[tuple_key(f['src'], f['sport'], f['dst'], f['dport'])].append(i)

    bad = set()             # frames of streams that differ
    why = []
    mapped = defaultdict(set)
    ours = {}
    for p in pkts:
        k = tuple_key(p['src'], p['sport'], p['dst'], p['dport'])
        hits = [i for i in by_tuple.get(k, ())
                if flows[i]['first_frame'] <= p['frame'] <= flows[i]['last_frame']]
        if len(hits) == 1:
            mapped[hits[0]].add(p['frame'])
            ours[p['frame']] = hits[0]
        elif p['frame'] in ref:
            bad.add(p['frame'])
            why.append('frame %d maps to %d flows' % (p['frame'], len(hits)))
    for i, f in enumerate(flows):
        if f['orig_pkts'] + f['resp_pkts'] != len(mapped[i]):
            bad.update(fr for fr in mapped[i] if fr in ref)
            why.append('flow %d counts %d packets, %d frames map to it'
                       % (f['stream'], f['orig_pkts'] + f['resp_pkts'], len(mapped[i])))

    both = sorted(fr for fr in ref if fr in ours)
    tot['frames_ref'] += len(ref)
    tot['frames_ours'] += len(ours)
    tot['frames'] += len(both)
    s2f, f2s = defaultdict(set), defaultdict(set)
    sframes = defaultdict(set)
    for fr in both:
        st, cid = ref[fr]
        s2f[st].add(ours[fr])
        f2s[ours[fr]].add(st)
        sframes[st].add(fr)
        if cid != flows[ours[fr]]['community_id']:
            bad.add(fr)
            why.append('frame %d community_id %s, tshark %s'
                       % (fr, flows[ours[fr]]['community_id'], cid))
        else:
            tot['cid_equal'] += 1
    for st, fl in s2f.items():
        tot['streams'] += 1
        if len(fl) == 1 and len(f2s[next(iter(fl))]) == 1:
            tot['streams_equal'] += 1
        else:
            bad.update(sframes[st])
            why.append('tshark stream %d is split over our flows %s'
                       % (st, sorted(flows[i]['stream'] for i in fl)) if len(fl) > 1 else
                       'tshark stream %d shares our flow %d with streams %s'
                       % (st, flows[next(iter(fl))]['stream'], sorted(f2s[next(iter(fl))])))
    tot['flows'] += len({ours[fr] for fr in both})

    if not bad:
        continue
    if cap in known and known[cap][0] == bad:
        seen_known.add(cap)
        tot['known'] += 1
        continue
    unexpected.append('%s\t%s\t%s' % (cap, fmt_frames(bad), '; '.join(why[:6])))

stale = sorted(c for c in known if c not in seen_known)
print('tshark tcp.stream differential: %d captures, %d frames compared (%d tshark TCP frames, '
      '%d ours), %d tshark streams / %d flows, %d streams equal, %d community IDs equal, '
      '%d captures with known differences, %d unexpected, %d stale'
      % (len(refs), tot['frames'], tot['frames_ref'], tot['frames_ours'], tot['streams'],
         tot['flows'], tot['streams_equal'], tot['cid_equal'], tot['known'], len(unexpected),
         len(stale)))
for u in unexpected:
    print('DIFF ' + u)
for c in stale:
    print('STALE %s: listed in %s but the difference no longer occurs as listed' % (c, knownfile))
sys.exit(1 if unexpected or stale else 0)
PY
