#!/usr/bin/env bash
# scripts/tshark_ref.sh - regenerate the tshark reference for the decoder's
# differential test (tests/t_tshark_packets.sh).
#
# Runs tshark once over every capture in corpus/tcpdump-tests/ and writes
# tests/ref/tshark/<capture>.tsv with one line per frame that tshark decodes
# as exactly one IPv4 or IPv6 header carrying TCP or UDP, and the tshark
# version to tests/ref/tshark/VERSION. Captures with no such frame get no
# file; stale files are removed. The refs are committed: rerun this when
# tshark changes (the test warns when VERSION differs from the tshark found).
#
# What tshark is asked to do, and why:
#  - Only the dissectors of the layers tuplecheck decodes are enabled (the
#    list is SCOPE in scripts/tshark_lib.py: the link layers of
#    targets/link.c, IPv4, IPv6 and its extension headers, AH, TCP with its
#    MPTCP option, UDP, data). That is
#    the scope: a frame reached through a link layer we do not decode
#    (802.11, ...) never shows IP here; a tunnel inside UDP (VXLAN, Teredo, ...)
#    stays the outer UDP datagram we decode; and an application dissector
#    cannot mark a frame malformed for reasons above TCP/UDP.
#  - No reassembly (ip/ipv6 defragment, TCP desegmentation) and no sequence
#    analysis: the reference is per frame, raw values.
#  - ip.tso_support TRUE (the default, pinned): IPv4 total length 0 means the
#    frame's length; ipv6.tso_support FALSE (the default, pinned).
#  - IPv4, TCP and UDP checksums verified (off by default in tshark), so the
#    checksum code is compared too; a bad checksum is an expert error of the
#    checksum group, which is the one kind of error that keeps a frame.
# Kept frames: frame.protocols holds exactly one "ip"/"ipv6" and exactly one
# "tcp"/"udp" after it with only IPv6 extension headers or "ah" in between
# (so no ICMP-quoted or tunnelled headers), and the frame has no
# _ws.malformed and no expert item of severity error outside the checksum
# group. A frame that tshark
# says was cut by the snapshot length (_ws.short) is kept, with the layer
# tshark names ("tcp", "udp", ...) in the "short" column: the comparison then
# expects tuplecheck to report that layer truncated.
#
# Columns (tab separated, "-" for not applicable):
#   frame ip src dst proto sport dport seq ack flags win tcp_len udp_length short
#   ip_csum l4_csum
# seq/ack are tcp.seq_raw/tcp.ack_raw, flags tcp.flags (hex), win
# tcp.window_size_value (unscaled), tcp_len tcp.len, udp_length udp.length;
# ip_csum/l4_csum are ip.checksum.status and tcp/udp.checksum.status as words
# (bad, good, unverified, absent, illegal).
#
# The dissector scope, the kept-frame rule and the writing of the files are
# shared with scripts/tshark_streams_ref.sh through scripts/tshark_lib.py.
#
# Usage: scripts/tshark_ref.sh [CORPUS_DIR [OUT_DIR]]
set -eu
cd "$(dirname "$0")/.."
corpus=${1:-corpus/tcpdump-tests}
out=${2:-tests/ref/tshark}

command -v tshark >/dev/null || { echo "tshark_ref: tshark not found" >&2; exit 1; }
mkdir -p "$out"

exec nice /usr/bin/python3 - "$corpus" "$out" <<'PY'
import re, sys
sys.path.insert(0, 'scripts')
from tshark_lib import broken, one, scope_ok, tshark_cmd, write_refs

corpus, out = sys.argv[1], sys.argv[2]

CSUM = {'0': 'bad', '1': 'good', '2': 'unverified', '3': 'absent', '4': 'illegal'}
PREFS = ['ip.defragment:FALSE', 'ipv6.defragment:FALSE', 'tcp.desegment_tcp_streams:FALSE',
         'tcp.analyze_sequence_numbers:FALSE', 'tcp.relative_sequence_numbers:FALSE',
         'tcp.calculate_timestamps:FALSE', 'udp.calculate_timestamps:FALSE',
         'ip.tso_support:TRUE', 'ipv6.tso_support:FALSE',
         'ip.check_checksum:TRUE', 'tcp.check_checksum:TRUE', 'udp.check_checksum:TRUE']
FIELDS = ['frame.number', 'frame.protocols', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst',
          'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags',
          'tcp.window_size_value', 'tcp.len', 'udp.srcport', 'udp.dstport', 'udp.length',
          'ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status',
          '_ws.malformed', '_ws.short', '_ws.expert.severity', '_ws.expert.group']
COLUMNS = ['frame', 'ip', 'src', 'dst', 'proto', 'sport', 'dport', 'seq', 'ack', 'flags', 'win',
           'tcp_len', 'udp_length', 'short', 'ip_csum', 'l4_csum']
SHORT = re.compile(r'Packet size limited during capture: (\S+) truncated')
SHORT_NAMES = {'TCP': 'tcp', 'UDP': 'udp', 'IPv4': 'ip', 'IPv6': 'ip'}


def row(c):
    chain = c['frame.protocols'].split(':')
    if not scope_ok(chain) or broken(c):
        return None
    v6 = 'ipv6' in chain
    src = one(c['ipv6.src'] if v6 else c['ip.src'])
    dst = one(c['ipv6.dst'] if v6 else c['ip.dst'])
    if src is None or dst is None:
        return None
    short = '-'
    if c['_ws.short']:
        m = SHORT.search(c['_ws.short'])
        short = SHORT_NAMES.get(m.group(1), m.group(1).lower()) if m else 'yes'
    tcp = 'tcp' in chain
    d = lambda k: one(c[k]) or '-'
    flags = d('tcp.flags')
    if flags != '-':
        flags = '0x%03x' % int(flags, 16)
    if tcp:
        l4 = [d('tcp.srcport'), d('tcp.dstport'), d('tcp.seq_raw'), d('tcp.ack_raw'), flags,
              d('tcp.window_size_value'), d('tcp.len'), '-']
    else:
        l4 = [d('udp.srcport'), d('udp.dstport'), '-', '-', '-', '-', '-', d('udp.length')]
    ip_csum = CSUM.get(one(c['ip.checksum.status']) or '', '-') if not v6 else '-'
    l4_csum = CSUM.get(one(c['tcp.checksum.status' if tcp else 'udp.checksum.status']) or '', '-')
    return ([c['frame.number'], '6' if v6 else '4', src, dst, 'tcp' if tcp else 'udp'] + l4 +
            [short, ip_csum, l4_csum])


write_refs('tshark_ref', 'TCP/UDP frames', corpus, out, tshark_cmd(PREFS, FIELDS), FIELDS, row,
           COLUMNS)
PY
