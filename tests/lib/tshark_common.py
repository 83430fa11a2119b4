"""tests/lib/tshark_common.py - the known-differences file format shared by
the two tshark differential tests, tests/t_tshark_packets.sh
(tests/tshark_packets_known.txt) and tests/t_tshark_streams.sh
(tests/tshark_streams_known.txt), whose Python halves import it (their
shell halves share tests/lib/tshark_common.sh).

A known file has one line a difference, "capture<TAB>frames<TAB>reason" with
frames as 1,4,7-9; blank lines and lines starting with '#' are skipped.
"""
import os
import sys


def parse_frames(spec):
    """The set of frame numbers in SPEC ("1,4,7-9")."""
    out = set()
    for part in spec.split(','):
        part = part.strip()
        if '-' in part:
            a, b = part.split('-', 1)
            out.update(range(int(a), int(b) + 1))
        elif part:
            out.add(int(part))
    return out


def read_known(knownfile):
    """[(capture, set of frames, reason)] for each entry of KNOWNFILE (none
    when it does not exist); exits with the file:line of a malformed line."""
    entries = []
    if not os.path.exists(knownfile):
        return entries
    for n, line in enumerate(open(knownfile), 1):
        line = line.rstrip('\n')
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        cols = line.split('\t')
        if len(cols) < 3 or not cols[2].strip():
            sys.exit('%s:%d: want "capture<TAB>frames<TAB>reason"' % (knownfile, n))
        entries.append((cols[0], parse_frames(cols[1]), cols[2]))
    return entries
