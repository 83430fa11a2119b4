#!/usr/bin/env bash
# scripts/tshark_streams_ref.sh - regenerate the tshark tcp.stream reference
# for the connection engine's differential test (tests/t_tshark_streams.sh).
#
# Runs tshark once over every capture in corpus/tcpdump-tests/ and writes
# tests/ref/tshark-streams/<capture>.tsv with one line per frame that tshark
# decodes as plain TCP over exactly one IPv4/IPv6 header: its tcp.stream and
# its Community ID (the communityid post-dissector, seed 0, base64), and the
# tshark version to tests/ref/tshark-streams/VERSION. Captures without such a
# frame get no file; stale files are removed. The refs are committed: rerun
# this when tshark changes (the test warns when VERSION differs).
#
# tshark runs with its default TCP analysis (tcp.analyze_sequence_numbers and
# relative sequence numbers on), because tcp.stream's split of a reused tuple
# depends on the base sequence numbers that analysis records, and with the
# same dissector scope as the decoder's reference (scripts/tshark_ref.sh):
# only frame, link layers tuplecheck decodes, IPv4, IPv6 and its extension
# headers, AH, TCP (+MPTCP option), UDP and data are enabled, so a tunnel or
# an ICMP error quoting a TCP header never creates a conversation of its own,
# and no application dissector can mark a frame malformed. IP reassembly is
# off, so each frame stands alone.
# Kept frames (the same rule as the decoder reference, for TCP only):
# frame.protocols holds exactly one "ip"/"ipv6" and one "tcp" after it with
# only IPv6 extension headers or "ah" in between; no _ws.malformed; no expert
# error outside the checksum group; not an IP fragment (MF set or a non-zero
# offset, IPv4 or IPv6: the engine does not track fragments).
#
# Columns (tab separated): frame stream community_id
#
# Usage: scripts/tshark_streams_ref.sh [CORPUS_DIR [OUT_DIR]]
set -eu
cd "$(dirname "$0")/.."
corpus=${1:-corpus/tcpdump-tests}
out=${2:-tests/ref/tshark-streams}

command -v tshark >/dev/null || { echo "tshark_streams_ref: tshark not found" >&2; exit 1; }
mkdir -p "$out"

exec nice /usr/bin/python3 - "$corpus" "$out" <<'PY'
import os, re, subprocess, sys

corpus, out = sys.argv[1], sys.argv[2]

KEEP = re.compile(r'^(frame|eth|ethertype|vlan|ieee8021ad|sll|null|raw|ip|ipv6|'
                  r'ipv6\..*|ah|tcp|mptcp|udp|data|communityid|_ws\..*)$')
BETWEEN = {'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts', 'ah'}
PI_ERROR = 0x00800000
PI_CHECKSUM = 0x01000000

protos = subprocess.run(['tshark', '-G', 'protocols'], capture_output=True, text=True,
                        check=True).stdout.splitlines()
disable = []
for line in protos:
    cols = line.split('\t')
    if len(cols) >= 3 and not KEEP.match(cols[2]):
        disable += ['--disable-protocol', cols[2]]

PREFS = ['ip.defragment:FALSE', 'ipv6.defragment:FALSE', 'communityid.seed:0',
         'communityid.do_base64:TRUE']
FIELDS = ['frame.number', 'frame.protocols', 'tcp.stream', 'communityid',
          'ip.flags.mf', 'ip.frag_offset', 'ipv6.fraghdr.more', 'ipv6.fraghdr.offset',
          '_ws.malformed', '_ws.expert.severity', '_ws.expert.group']
cmd = ['tshark', '-n', '--enable-protocol', 'communityid'] + disable
for p in PREFS:
    cmd += ['-o', p]
cmd += ['-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'quote=n']
for f in FIELDS:
    cmd += ['-e', f]


def scope_ok(chain):
    ips = [i for i, p in enumerate(chain) if p in ('ip', 'ipv6')]
    l4 = [i for i, p in enumerate(chain) if p in ('tcp', 'udp')]
    if len(ips) != 1 or len(l4) != 1 or l4[0] < ips[0] or chain[l4[0]] != 'tcp':
        return False
    return all(p in BETWEEN for p in chain[ips[0] + 1:l4[0]])


def one(v):
    return v if v and ',' not in v else None


def is_fragment(c):
    for k in ('ip.flags.mf', 'ipv6.fraghdr.more'):
        if c[k] and any(x in ('1', 'True') for x in c[k].split(',')):
            return True
    for k in ('ip.frag_offset', 'ipv6.fraghdr.offset'):
        if c[k] and any(x not in ('', '0') for x in c[k].split(',')):
            return True
    return False


def row(c):
    if not scope_ok(c['frame.protocols'].split(':')) or c['_ws.malformed'] or is_fragment(c):
        return None
    sev = [int(x) for x in c['_ws.expert.severity'].split(',') if x]
    grp = [int(x) for x in c['_ws.expert.group'].split(',') if x]
    if len(grp) != len(sev) or any(s >= PI_ERROR and g != PI_CHECKSUM for s, g in zip(sev, grp)):
        return None
    stream, cid = one(c['tcp.stream']), one(c['communityid'])
    if stream is None or cid is None:
        return None
    return [c['frame.number'], stream, cid]


names = sorted(n for n in os.listdir(corpus)
               if os.path.isfile(os.path.join(corpus, n)) and n.endswith(('.pcap', '.pcapng')))
written = set()
total = 0
for n in names:
    r = subprocess.run(cmd + ['-r', os.path.join(corpus, n)], capture_output=True, text=True,
                       errors='replace')
    rows = []
    for line in r.stdout.splitlines():
        cols = line.split('\t')
        if len(cols) != len(FIELDS):
            continue
        x = row(dict(zip(FIELDS, cols)))
        if x:
            rows.append(x)
    if not rows:
        continue
    with open(os.path.join(out, n + '.tsv'), 'w') as fh:
        fh.write('# frame\tstream\tcommunity_id\n')
        for x in rows:
            fh.write('\t'.join(x) + '\n')
    written.add(n + '.tsv')
    total += len(rows)

for old in os.listdir(out):
    if old.endswith('.tsv') and old not in written:
        os.remove(os.path.join(out, old))
ver = subprocess.run(['tshark', '--version'], capture_output=True, text=True).stdout.splitlines()[0]
with open(os.path.join(out, 'VERSION'), 'w') as fh:
    fh.write(ver + '\n')
print('tshark_streams_ref: %d captures, %d with TCP frames, %d frames; %s'
      % (len(names), len(written), total, ver))
PY
