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
# The dissector scope, the kept-frame rule and the writing of the files are
# shared with scripts/tshark_ref.sh through scripts/tshark_lib.py.
#
# Usage: scripts/tshark_streams_ref.sh [CORPUS_DIR [OUT_DIR]]
set -eu
cd "$(dirname "$0")/.."
corpus=${1:-corpus/tcpdump-tests}
out=${2:-tests/ref/tshark-streams}

command -v tshark >/dev/null || { echo "tshark_streams_ref: tshark not found" >&2; exit 1; }
mkdir -p "$out"

exec nice /usr/bin/python3 - "$corpus" "$out" <<'PY'
import sys
sys.path.insert(0, 'scripts')
from tshark_lib import broken, one, scope_ok, tshark_cmd, write_refs

corpus, out = sys.argv[1], sys.argv[2]

PREFS = ['ip.defragment:FALSE', 'ipv6.defragment:FALSE', 'communityid.seed:0',
         'communityid.do_base64:TRUE']
FIELDS = ['frame.number', 'frame.protocols', 'tcp.stream', 'communityid',
          'ip.flags.mf', 'ip.frag_offset', 'ipv6.fraghdr.more', 'ipv6.fraghdr.offset',
          '_ws.malformed', '_ws.expert.severity', '_ws.expert.group']


def is_fragment(c):
    for k in ('ip.flags.mf', 'ipv6.fraghdr.more'):
        if c[k] and any(x in ('1', 'True') for x in c[k].split(',')):
            return True
    for k in ('ip.frag_offset', 'ipv6.fraghdr.offset'):
        if c[k] and any(x not in ('', '0') for x in c[k].split(',')):
            return True
    return False


def row(c):
    if (not scope_ok(c['frame.protocols'].split(':'), tcp_only=True) or is_fragment(c)
            or broken(c)):
        return None
    stream, cid = one(c['tcp.stream']), one(c['communityid'])
    if stream is None or cid is None:
        return None
    return [c['frame.number'], stream, cid]


write_refs('tshark_streams_ref', 'TCP frames', corpus, out,
           tshark_cmd(PREFS, FIELDS, keep_extra=['communityid'],
                      args_extra=['--enable-protocol', 'communityid']),
           FIELDS, row, ['frame', 'stream', 'community_id'])
PY
