"""scripts/tshark_lib.py - what the two tshark reference generators share.

Imported by scripts/tshark_ref.sh (the header decoder's per-frame reference,
tests/ref/tshark/) and scripts/tshark_streams_ref.sh (the connection engine's
tcp.stream and Community ID reference, tests/ref/tshark-streams*/), so that
both references are made with the same dissector scope and the same rule for
which frames count:
  - tshark_cmd(): the tshark command line: every dissector disabled but the
    layers tuplecheck decodes (SCOPE, plus any the caller adds), the caller's
    preferences, and the caller's fields printed tab separated, all
    occurrences, unquoted;
  - scope_ok(), broken(), one(): the frame filter: exactly one IPv4/IPv6
    header carrying TCP or UDP with only IPv6 extension headers or AH in
    between, no _ws.malformed, no expert error outside the checksum group;
  - write_refs(): run the command over every capture of a corpus folder and
    write <capture>.tsv for those with a kept frame, remove stale .tsv files,
    write VERSION (tshark's first --version line) and print the totals.
Each script keeps its own fields, preferences, row() and columns; see their
header comments for why tshark is asked what it is asked.
"""
import os
import re
import subprocess

# Dissectors kept: frame, Ethernet, EtherType, VLAN/802.1ad, Linux cooked
# v1/v2, BSD loopback, raw IP, PPP (with HDLC-like framing), PPPoE, Cisco
# HDLC, MPLS, Linux NFLOG, Apple PKTAP (with the frame it carries, and
# tshark's user-DLT table that reads link type 149 as PKTAP), Linux ARCNET,
# IP over InfiniBand, Solaris ipnet, pf's log, IPv4, IPv6
# and its extension headers, AH, TCP with its MPTCP option, UDP, data (and
# tshark's own _ws.* items). With MPLS kept, tshark
# also reads MPLS inside UDP (port 6635): such frames have two IP headers
# and leave the reference.
SCOPE = [r'frame', r'eth', r'ethertype', r'vlan', r'ieee8021ad', r'sll', r'null', r'raw',
         r'ppp', r'ppp_hdlc', r'pppoe', r'pppoes', r'chdlc', r'mpls', r'nflog',
         r'pktap', r'pcap_pktdata', r'user_dlt', r'arcnet', r'ipoib', r'ipnet',
         r'pflog',
         r'ip', r'ipv6', r'ipv6\..*', r'ah', r'tcp', r'mptcp', r'udp', r'data']
BETWEEN = {'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts', 'ah'}
PI_ERROR = 0x00800000
PI_CHECKSUM = 0x01000000


def tshark_cmd(prefs, fields, keep_extra=(), args_extra=()):
    """tshark -n ARGS_EXTRA, every protocol outside SCOPE + KEEP_EXTRA
    disabled, -o for each of PREFS, and -T fields with -e for each of FIELDS
    (the caller appends -r FILE)."""
    keep = re.compile(r'^(%s)$' % '|'.join(SCOPE + list(keep_extra) + [r'_ws\..*']))
    protos = subprocess.run(['tshark', '-G', 'protocols'], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    disable = []
    for line in protos:
        cols = line.split('\t')
        if len(cols) >= 3 and not keep.match(cols[2]):
            disable += ['--disable-protocol', cols[2]]
    cmd = ['tshark', '-n'] + list(args_extra) + disable
    for p in prefs:
        cmd += ['-o', p]
    cmd += ['-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'quote=n']
    for f in fields:
        cmd += ['-e', f]
    return cmd


def scope_ok(chain, tcp_only=False):
    """One IP header carrying TCP or UDP (TCP only if TCP_ONLY), nothing but
    extension headers between; CHAIN is frame.protocols split on ':'."""
    ips = [i for i, p in enumerate(chain) if p in ('ip', 'ipv6')]
    l4 = [i for i, p in enumerate(chain) if p in ('tcp', 'udp')]
    if len(ips) != 1 or len(l4) != 1 or l4[0] < ips[0]:
        return False
    if tcp_only and chain[l4[0]] != 'tcp':
        return False
    return all(p in BETWEEN for p in chain[ips[0] + 1:l4[0]])


def broken(c):
    """True when frame C (field -> value) is _ws.malformed or carries an
    expert error outside the checksum group (a bad checksum keeps a frame)."""
    if c['_ws.malformed']:
        return True
    sev = [int(x) for x in c['_ws.expert.severity'].split(',') if x]
    grp = [int(x) for x in c['_ws.expert.group'].split(',') if x]
    return len(grp) != len(sev) or any(s >= PI_ERROR and g != PI_CHECKSUM
                                       for s, g in zip(sev, grp))


def one(v):
    """V when it holds exactly one occurrence, else None."""
    return v if v and ',' not in v else None


def write_refs(prog, what, corpus, out, cmd, fields, row, columns):
    """Run CMD -r FILE over every .pcap/.pcapng file of CORPUS, turn each line
    into ROW(field -> value) (a list of strings, or None to drop the frame),
    write OUT/<capture>.tsv ('# ' + COLUMNS, then one line a kept frame) for
    captures with a kept frame, remove other .tsv files of OUT, write
    OUT/VERSION, and print PROG's totals (WHAT names the kept frames)."""
    names = sorted(n for n in os.listdir(corpus)
                   if os.path.isfile(os.path.join(corpus, n))
                   and n.endswith(('.pcap', '.pcapng')))
    written = set()
    total = 0
    for n in names:
        r = subprocess.run(cmd + ['-r', os.path.join(corpus, n)], capture_output=True,
                           text=True, errors='replace')
        rows = []
        for line in r.stdout.splitlines():
            cols = line.split('\t')
            if len(cols) != len(fields):
                continue
            x = row(dict(zip(fields, cols)))
            if x:
                rows.append(x)
        if not rows:
            continue
        with open(os.path.join(out, n + '.tsv'), 'w') as fh:
            fh.write('# ' + '\t'.join(columns) + '\n')
            for x in rows:
                fh.write('\t'.join(x) + '\n')
        written.add(n + '.tsv')
        total += len(rows)

    for old in os.listdir(out):
        if old.endswith('.tsv') and old not in written:
            os.remove(os.path.join(out, old))
    ver = subprocess.run(['tshark', '--version'], capture_output=True,
                         text=True).stdout.splitlines()[0]
    with open(os.path.join(out, 'VERSION'), 'w') as fh:
        fh.write(ver + '\n')
    print('%s: %d captures, %d with %s, %d frames; %s'
          % (prog, len(names), len(written), what, total, ver))
