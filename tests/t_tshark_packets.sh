#!/usr/bin/env bash
# t_tshark_packets.sh - differential test of the header decoder against tshark.
#
# For every capture with a reference file tests/ref/tshark/<capture>.tsv
# (written by scripts/tshark_ref.sh: the frames tshark 4.0 decodes as exactly
# one IPv4/IPv6 header carrying TCP or UDP), run
#     tuplecheck packets --format jsonl --rules +ip.bad-checksum,... FILE
# once and compare, frame by frame: ip version, src, dst, proto, the IPv4
# header checksum verdict and the TCP/UDP checksum verdict (tshark's bad or
# illegal <=> our *.bad-checksum reason; good, absent or unverified <=> none),
# and unless tshark says the transport header was cut by the snapshot length:
# sport, dport, and for TCP raw seq, raw ack, flags, window and payload length
# (tcp.len), for UDP payload length (udp.length - 8). A frame tshark marks
# cut ("short" column) must carry that layer's "<layer>.truncated" reason and
# no transport fields.
#
# Every difference must be listed in tests/tshark_packets_known.txt
# ("capture<TAB>frames<TAB>reason", frames as 1,4,7-9); the test fails on a
# difference that is not listed and on a listed one that no longer occurs.
# Prints the totals. Exit 0 pass, 1 fail, 77 skip.
# The skip check, the VERSION note and the known-file reader are shared with
# tests/t_tshark_streams.sh (tests/lib/tshark_common.sh and .py).
set -u
cd "$(dirname "$0")/.."
. tests/lib/tshark_common.sh
tshark_need_bin
tshark_version_note tests/ref/tshark scripts/tshark_ref.sh "the decoder of tshark"

exec /usr/bin/python3 - "$bin" corpus/tcpdump-tests tests/ref/tshark tests/tshark_packets_known.txt <<'PY'
import json, os, subprocess, sys
sys.path.insert(0, 'tests/lib')
from tshark_common import read_known

binary, corpus, refdir, knownfile = sys.argv[1:5]

known = {}          # (capture, frame) -> reason
for cap, frames, reason in read_known(knownfile):
    for fr in frames:
        known[(cap, fr)] = reason


def expect(ref, rec):
    """Field names on which the tuplecheck record differs from the reference row."""
    if rec is None:
        return ['missing']
    bad = []
    if rec.get('ip') != int(ref['ip']):
        bad.append('ip')
    for k in ('src', 'dst', 'proto'):
        if rec.get(k) != ref[k]:
            bad.append(k)
    errors = rec.get('errors', [])
    if (ref['ip_csum'] in ('bad', 'illegal')) != ('ip.bad-checksum' in errors):
        bad.append('ip_csum')
    l4bad = ref['proto'] + '.bad-checksum'
    if (ref['l4_csum'] in ('bad', 'illegal')) != (l4bad in errors):
        bad.append('l4_csum')
    if ref['short'] != '-':
        if ref['short'] + '.truncated' not in errors:
            bad.append('truncated')
        if rec.get('sport') is not None:
            bad.append('l4-despite-truncation')
        return bad
    want = {'sport': ref['sport'], 'dport': ref['dport']}
    if ref['proto'] == 'tcp':
        want.update(seq=ref['seq'], ack=ref['ack'], win=ref['win'], payload=ref['tcp_len'])
    else:
        want['payload'] = str(int(ref['udp_length']) - 8) if ref['udp_length'] != '-' else '-'
    for k, v in want.items():
        if str(rec.get(k)) != v:
            bad.append(k)
    if ref['proto'] == 'tcp' and rec.get('flags') != ref['flags']:
        bad.append('flags')
    return bad


compared = equal = known_diff = 0
unexpected, seen_known = [], set()
refs = sorted(f for f in os.listdir(refdir) if f.endswith('.tsv'))
for rf in refs:
    cap = rf[:-4]
    rows = []
    cols = None
    for line in open(os.path.join(refdir, rf)):
        line = line.rstrip('\n')
        if line.startswith('# '):
            cols = line[2:].split('\t')
            continue
        rows.append(dict(zip(cols, line.split('\t'))))
    r = subprocess.run([binary, 'packets', '--format', 'jsonl', '--rules',
                        '+ip.bad-checksum,+tcp.bad-checksum,+udp.bad-checksum',
                        os.path.join(corpus, cap)],
                       capture_output=True, text=True, errors='replace')
    if r.returncode not in (0, 1, 2) or 'Sanitizer' in r.stderr:
        print('FAIL %s: tuplecheck exit %d\n%s' % (cap, r.returncode, r.stderr[-2000:]))
        sys.exit(1)
    recs = {}
    for line in r.stdout.splitlines():
        o = json.loads(line)
        if o.get('type') == 'packet':
            recs[o['frame']] = o
    for ref in rows:
        fr = int(ref['frame'])
        compared += 1
        bad = expect(ref, recs.get(fr))
        if not bad:
            equal += 1
            continue
        if (cap, fr) in known:
            known_diff += 1
            seen_known.add((cap, fr))
            continue
        rec = recs.get(fr)
        unexpected.append('%s frame %d: %s\n    tshark: %s\n    ours:   %s' % (
            cap, fr, ','.join(bad), '\t'.join(ref[c] for c in cols),
            json.dumps({k: v for k, v in (rec or {}).items() if k not in ('type', 'file', 'ts')})))

stale = sorted(k for k in known if k not in seen_known)
print('tshark differential: %d reference captures, %d frames compared, %d equal, '
      '%d known differences, %d unexpected, %d stale known entries'
      % (len(refs), compared, equal, known_diff, len(unexpected), len(stale)))
for u in unexpected[:60]:
    print('DIFF ' + u)
if len(unexpected) > 60:
    print('... %d more' % (len(unexpected) - 60))
for cap, fr in stale:
    print('STALE %s frame %d: listed in %s but now agrees (or is not a reference frame)'
          % (cap, fr, knownfile))
sys.exit(1 if unexpected or stale else 0)
PY
