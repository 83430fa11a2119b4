#!/usr/bin/python3
"""gen_scenarios.py - the scenario captures of the replay oracle.

Writes corpus/pcaps/ (or the folder given as the first argument): for every
rule of the catalog at least one capture on which it must fire and, for the
rules with a legal neighbour, a near miss on which it must stay silent
(reuse after TIME_WAIT, reuse with a higher ISN, with a higher timestamp,
with a timestamp where the old connection had none, after a RST, an
in-window RST, UDP source port 0, checksum rules off by default, 7
destinations from one UDP port). Host captures exercise every
source-port selection class with simple deterministic sequences.

MANIFEST.tsv (written here, next to the captures) says per capture which
options to replay it with, which rules must fire, which must not, and which
host classes are expected. tests/t_scenarios.sh checks the oracle against it
independently of the committed expected outputs.

Determinism: fixed times (integer microseconds from a fixed epoch), MACs,
IP IDs, ISNs, and a seeded random.Random for the allocator sequences, so a
rerun writes byte-identical files (t_scenarios.sh checks that too).
Run with /usr/bin/python3 (the interpreter that has scapy).
"""
import logging
import os
import random
import sys
from decimal import Decimal

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (IP, IPv6, TCP, UDP, Ether, Dot1Q, Dot1AD, CookedLinux,  # noqa: E402
                       Raw, wrpcap, raw)
from scapy.layers.l2 import CookedLinuxV2  # noqa: E402
from scapy.utils import RawPcapWriter  # noqa: E402

EPOCH_US = 1700000000 * 1000000
MAC_C = "02:00:00:00:00:01"
MAC_S = "02:00:00:00:00:02"
MSL = 60                       # the oracle's default --msl


# ---- link layers -------------------------------------------------------------

def eth(ip):
    return Ether(src=MAC_C, dst=MAC_S) / ip


def vlan(ip):
    return Ether(src=MAC_C, dst=MAC_S) / Dot1Q(vlan=10) / ip


def qinq(ip):
    return Ether(src=MAC_C, dst=MAC_S) / Dot1AD(vlan=100) / Dot1Q(vlan=10) / ip


def sll(ip):
    proto = 0x86DD if ip.haslayer(IPv6) else 0x0800
    return CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6,
                       src=b"\x02\x00\x00\x00\x00\x01\x00\x00", proto=proto) / ip


def sll2(ip):
    proto = 0x86DD if ip.haslayer(IPv6) else 0x0800
    return CookedLinuxV2(proto=proto, ifindex=2, lladdrtype=1, pkttype=0, lladdrlen=6,
                         src=b"\x02\x00\x00\x00\x00\x01\x00\x00") / ip


def ip_layer(src, dst):
    if ":" in src:
        return IPv6(src=src, dst=dst, hlim=64)
    return IP(src=src, dst=dst, id=1, ttl=64, flags="DF")


# ---- a capture under construction -----------------------------------------------

class Capture:
    def __init__(self, link=eth):
        self.link = link
        self.pkts = []
        self.t_us = 0            # microseconds after EPOCH_US

    def at(self, seconds):
        """Move the clock to an absolute offset (seconds) from the epoch."""
        self.t_us = int(Decimal(str(seconds)) * 1000000)

    def add(self, l3, step_us=1000):
        p = self.link(l3)
        p.time = Decimal(EPOCH_US + self.t_us) / Decimal(1000000)
        self.pkts.append(p)
        self.t_us += step_us
        return p

    def write(self, path):
        wrpcap(path, self.pkts)


def tcp(src, dst, sport, dport, flags, seq, ack=0, ts=None, win=64240, data=b"", opts=None):
    opts = list(opts or [])
    if ts is not None:
        opts.append(("Timestamp", ts))
    seg = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=win,
              options=opts)
    pkt = ip_layer(src, dst) / seg
    if data:
        pkt = pkt / Raw(data)
    return pkt


def session(cap, c, s, cp, sp, isn_c, isn_s, data=b"", close="fin", ts=None):
    """A TCP connection from c:cp to s:sp. close: "fin" (client closes first,
    so the client ends in TIME_WAIT), "rst" (client resets), None (left open).
    ts: (client TSval, server TSval) to carry RFC 7323 timestamps, or None.
    Returns the client's next sequence number after the last segment."""
    tc = ts[0] if ts else 0
    tsv = ts[1] if ts else 0

    def T(a, b):
        return (a, b) if ts else None
    cap.add(tcp(c, s, cp, sp, "S", isn_c, ts=T(tc, 0)))
    cap.add(tcp(s, c, sp, cp, "SA", isn_s, isn_c + 1, ts=T(tsv, tc)))
    cap.add(tcp(c, s, cp, sp, "A", isn_c + 1, isn_s + 1, ts=T(tc + 1, tsv)))
    nc, ns = isn_c + 1, isn_s + 1
    if data:
        cap.add(tcp(c, s, cp, sp, "PA", nc, ns, ts=T(tc + 2, tsv), data=data))
        nc += len(data)
        cap.add(tcp(s, c, sp, cp, "A", ns, nc, ts=T(tsv + 1, tc + 2)))
    if close == "fin":
        cap.add(tcp(c, s, cp, sp, "FA", nc, ns, ts=T(tc + 3, tsv + 1)))
        cap.add(tcp(s, c, sp, cp, "A", ns, nc + 1, ts=T(tsv + 2, tc + 3)))
        cap.add(tcp(s, c, sp, cp, "FA", ns, nc + 1, ts=T(tsv + 3, tc + 3)))
        cap.add(tcp(c, s, cp, sp, "A", nc + 1, ns + 1, ts=T(tc + 4, tsv + 3)))
        nc += 1
    elif close == "rst":
        cap.add(tcp(c, s, cp, sp, "R", nc, 0))
    return nc


C4, S4 = "192.0.2.1", "198.51.100.2"
C6, S6 = "2001:db8::1", "2001:db8:1::2"
REQ = b"GET / HTTP/1.0\r\n\r\n"

SCENARIOS = []   # (name, options, must_fire, must_not_fire, hosts, builder)


def scenario(name, options="-", fire="-", silent="-", hosts="-"):
    def reg(fn):
        SCENARIOS.append((name, options, fire, silent, hosts, fn))
        return fn
    return reg


# ---- clean traffic -----------------------------------------------------------------

@scenario("clean_http.pcap",
          silent="tuple.duplicate-live,tuple.reuse-time-wait,port.zero,port.privileged-source,"
                 "tcp.invalid-flags,tcp.rst-out-of-window,tcp.midstream,pkt.truncated,"
                 "ip.bad-header,tcp.bad-offset,udp.bad-length")
def clean_http(path):
    cap = Capture(eth)
    session(cap, C4, S4, 49152, 80, 1000, 5000, data=REQ)
    cap.write(path)


# ---- tuple rules ---------------------------------------------------------------------

@scenario("tuple_duplicate_live.pcap", fire="tuple.duplicate-live",
          silent="tuple.reuse-time-wait,tcp.midstream")
def duplicate_live(path):
    cap = Capture(eth)
    session(cap, C4, S4, 49200, 80, 1000, 5000, data=REQ, close=None)
    cap.at(5)
    # A second SYN, new ISN, same tuple, while the first is established.
    session(cap, C4, S4, 49200, 80, 900000, 700000, data=REQ, close=None)
    cap.write(path)


@scenario("tuple_reuse_time_wait.pcap", fire="tuple.reuse-time-wait",
          silent="tuple.duplicate-live")
def reuse_time_wait(path):
    cap = Capture(eth)
    session(cap, C4, S4, 49300, 80, 100000, 5000, data=REQ)
    cap.at(10)
    # 10 s later (TIME_WAIT is 120 s), ISN below the old final sequence
    # number, no timestamps: neither RFC 6191 condition holds.
    session(cap, C4, S4, 49300, 80, 50000, 9000, data=REQ)
    cap.write(path)


@scenario("tuple_reuse_time_wait_ts.pcap", fire="tuple.reuse-time-wait",
          silent="tuple.duplicate-live")
def reuse_time_wait_ts(path):
    cap = Capture(eth)
    session(cap, C6, S6, 49301, 443, 100000, 5000, data=REQ, ts=(50000, 70000))
    cap.at(3)
    # Timestamps on both incarnations, but the new TSval is lower and so is
    # the ISN: an old duplicate as far as RFC 6191 can tell.
    session(cap, C6, S6, 49301, 443, 20000, 9000, data=REQ, ts=(40000, 80000))
    cap.write(path)


@scenario("tuple_reuse_time_wait_same_isn.pcap", fire="tuple.reuse-time-wait",
          silent="tuple.duplicate-live")
def reuse_time_wait_same_isn(path):
    cap = Capture(eth)
    session(cap, C4, S4, 49307, 80, 100000, 5000, data=REQ)
    cap.at(1)
    session(cap, C4, S4, 49308, 80, 200000, 5000, data=REQ, ts=(50000, 70000))
    # 10 s after the close, the old connection's own ISN again: not above
    # its final sequence number (RFC 1122 4.2.2.13), no timestamp. tshark
    # keeps one stream and so do we; the SYN, retransmitted once before
    # the handshake completes, is reported once.
    cap.at(10)
    cap.add(tcp(C4, S4, 49307, 80, "S", 100000))
    cap.at(11)
    session(cap, C4, S4, 49307, 80, 100000, 9000, data=REQ)
    # The same ISN with a higher timestamp: RFC 6191 honours it (silent).
    cap.at(12)
    session(cap, C4, S4, 49308, 80, 200000, 9000, data=REQ, ts=(60000, 80000))
    cap.write(path)


@scenario("nearmiss_reuse_after_2msl.pcap", silent="tuple.reuse-time-wait,tuple.duplicate-live")
def reuse_after_2msl(path):
    cap = Capture(vlan)
    session(cap, C4, S4, 49302, 80, 100000, 5000, data=REQ)
    cap.at(2 * MSL + 5)
    session(cap, C4, S4, 49302, 80, 50000, 9000, data=REQ)
    cap.write(path)


@scenario("nearmiss_reuse_higher_isn.pcap", silent="tuple.reuse-time-wait,tuple.duplicate-live")
def reuse_higher_isn(path):
    cap = Capture(sll)
    final = session(cap, C4, S4, 49303, 80, 100000, 5000, data=REQ)
    cap.at(10)
    session(cap, C4, S4, 49303, 80, final + 64000, 9000, data=REQ)
    cap.write(path)


@scenario("nearmiss_reuse_higher_ts.pcap", silent="tuple.reuse-time-wait,tuple.duplicate-live")
def reuse_higher_ts(path):
    cap = Capture(eth)
    session(cap, C6, S6, 49304, 443, 100000, 5000, data=REQ, ts=(50000, 70000))
    cap.at(3)
    # Lower ISN, but a higher timestamp: RFC 6191 accepts it.
    session(cap, C6, S6, 49304, 443, 20000, 9000, data=REQ, ts=(60000, 80000))
    cap.write(path)


@scenario("nearmiss_reuse_ts_new_only.pcap", silent="tuple.reuse-time-wait,tuple.duplicate-live")
def reuse_ts_new_only(path):
    cap = Capture(eth)
    session(cap, C4, S4, 49306, 80, 100000, 5000, data=REQ)
    cap.at(3)
    # The old connection used no timestamps, the new SYN carries one (its
    # ISN is lower): RFC 6191 section 2 honours the SYN, as Linux does.
    session(cap, C4, S4, 49306, 80, 20000, 9000, data=REQ, ts=(60000, 80000))
    cap.write(path)


@scenario("nearmiss_reuse_after_rst.pcap", silent="tuple.reuse-time-wait,tuple.duplicate-live")
def reuse_after_rst(path):
    cap = Capture(sll2)
    session(cap, C4, S4, 49305, 80, 100000, 5000, data=REQ, close="rst")
    cap.at(1)
    # A RST leaves no TIME_WAIT: reuse at once with any ISN is legal.
    session(cap, C4, S4, 49305, 80, 50000, 9000, data=REQ)
    cap.write(path)


@scenario("nearmiss_reuse_after_half_open.pcap", silent="tuple.reuse-time-wait,tuple.duplicate-live")
def reuse_after_half_open(path):
    cap = Capture(eth)
    # A SYN answered by a SYN+ACK, retransmitted twice, that the client never
    # acknowledges (it never arrived, or the client gave up): the handshake
    # did not complete, so the new SYN 3 s later reuses nothing live.
    cap.add(tcp(C4, S4, 49313, 80, "S", 1000))
    for t in (0.001, 1, 3):
        cap.at(t)
        cap.add(tcp(S4, C4, 80, 49313, "SA", 5000, 1001))
    cap.at(3.5)
    session(cap, C4, S4, 49313, 80, 70000, 9000, data=REQ)
    cap.write(path)


def keep_only(cap, pred):
    """Drop the packets a capture filter would not have kept."""
    cap.pkts = [p for p in cap.pkts if pred(p)]


def syn_fin_rst(p):
    """tcpdump's `tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0`."""
    return (int(p[TCP].flags) & 0x07) != 0


@scenario("tuple_reuse_time_wait_fins_unacked.pcap", fire="tuple.reuse-time-wait",
          silent="tuple.duplicate-live")
def reuse_time_wait_fins_unacked(path):
    cap = Capture(eth)
    # Both FINs seen is a completed FIN exchange, with or without its last
    # ACK in the capture: the reuse 10 s later with a lower ISN and no
    # timestamps breaks TIME_WAIT (not a duplicate of a live connection).
    nc = session(cap, C4, S4, 49306, 80, 100000, 5000, data=REQ, close=None)
    cap.add(tcp(C4, S4, 49306, 80, "FA", nc, 5001))
    cap.add(tcp(S4, C4, 80, 49306, "FA", 5001, nc + 1))   # the client's last ACK is lost
    # The server's FIN+ACK, acknowledging the client's FIN, captured before
    # that FIN (the two were captured at different points).
    nd = session(cap, C4, S4, 49307, 80, 200000, 6000, data=REQ, close=None)
    cap.add(tcp(S4, C4, 80, 49307, "FA", 6001, nd + 1))
    cap.add(tcp(C4, S4, 49307, 80, "FA", nd, 6002))
    cap.add(tcp(C4, S4, 49307, 80, "A", nd + 1, 6002))
    cap.at(10)
    session(cap, C4, S4, 49306, 80, 50000, 9000, data=REQ)
    session(cap, C4, S4, 49307, 80, 60000, 9500, data=REQ)
    cap.write(path)


@scenario("nearmiss_reuse_fins_only.pcap", silent="tuple.reuse-time-wait,tuple.duplicate-live")
def reuse_fins_only(path):
    cap = Capture(eth)
    # Only SYN, FIN and RST segments captured: every ACK of a FIN is missing.
    # Reuse 10 s later with a higher ISN, and 2*MSL + 5 s later with a lower
    # one: both legal.
    final = session(cap, C4, S4, 49308, 80, 100000, 5000, data=REQ)
    session(cap, C4, S4, 49309, 80, 200000, 6000, data=REQ)
    cap.at(10)
    session(cap, C4, S4, 49308, 80, final + 64000, 9000, data=REQ)
    cap.at(2 * MSL + 5)
    session(cap, C4, S4, 49309, 80, 50000, 9500, data=REQ)
    keep_only(cap, syn_fin_rst)
    cap.write(path)


@scenario("nearmiss_reuse_one_direction.pcap", silent="tuple.reuse-time-wait,tuple.duplicate-live")
def reuse_one_direction(path):
    cap = Capture(eth)
    # The client's packets only (`src host`): its FIN is there, the server's
    # answer cannot be, so the capture shows neither a live connection nor a
    # close. Reuse 10 s after the FIN with a lower ISN (a TIME_WAIT question
    # only if the connection closed), with a higher ISN, and 2*MSL + 5 s
    # after it with a lower one: no tuple finding for any of them.
    session(cap, C4, S4, 49310, 80, 100000, 5000, data=REQ)
    final = session(cap, C4, S4, 49311, 80, 100000, 5000, data=REQ)
    session(cap, C4, S4, 49312, 80, 200000, 6000, data=REQ)
    cap.at(10)
    session(cap, C4, S4, 49310, 80, 50000, 9000, data=REQ)
    session(cap, C4, S4, 49311, 80, final + 64000, 9000, data=REQ)
    cap.at(2 * MSL + 5)
    session(cap, C4, S4, 49312, 80, 50000, 9500, data=REQ)
    keep_only(cap, lambda p: p[IP].src == C4)
    cap.write(path)


# ---- port rules ------------------------------------------------------------------------

@scenario("port_zero.pcap", fire="port.zero")
def port_zero(path):
    cap = Capture(eth)
    cap.add(tcp(C4, S4, 49400, 0, "S", 1000))
    cap.add(tcp(S4, C4, 0, 49400, "RA", 0, 1001))
    cap.add(ip_layer(C4, S4) / UDP(sport=49401, dport=0) / Raw(b"x" * 8))
    cap.write(path)


@scenario("nearmiss_udp_sport_zero.pcap", silent="port.zero")
def udp_sport_zero(path):
    cap = Capture(eth)
    # RFC 768: source port 0 means "no reply port"; legal.
    for i in range(3):
        cap.add(ip_layer(C6, S6) / UDP(sport=0, dport=514) / Raw(b"<13>syslog %d" % i))
    cap.write(path)


@scenario("port_ephemeral_range.pcap", options="--profile linux", fire="port.ephemeral-range")
def ephemeral_range(path):
    cap = Capture(qinq)
    session(cap, C4, S4, 20000, 80, 1000, 5000, data=REQ)
    cap.add(ip_layer(C4, S4) / UDP(sport=61000, dport=53) / Raw(b"q" * 12))
    cap.write(path)


@scenario("nearmiss_ephemeral_range.pcap", options="--profile linux",
          silent="port.ephemeral-range,port.privileged-source")
def ephemeral_in_range(path):
    cap = Capture(eth)
    session(cap, C4, S4, 40000, 80, 1000, 5000, data=REQ)
    cap.add(ip_layer(C4, S4) / UDP(sport=45000, dport=53) / Raw(b"q" * 12))
    cap.add(ip_layer(S4, C4) / UDP(sport=53, dport=45000) / Raw(b"a" * 12))
    cap.write(path)


@scenario("port_privileged_source.pcap", fire="port.privileged-source")
def privileged_source(path):
    cap = Capture(eth)
    session(cap, C4, S4, 513, 513, 1000, 5000, data=b"rlogin\0")
    cap.write(path)


@scenario("port_privileged_source_flows.pcap", fire="port.privileged-source",
          silent="tuple.reuse-time-wait,tuple.duplicate-live")
def privileged_source_flows(path):
    cap = Capture(eth)
    final = session(cap, C4, S4, 514, 514, 1000, 5000, data=b"rsh\0")
    # A new incarnation of the tuple (higher ISN, legal in TIME_WAIT), then
    # a new flow after the old one expired: each is a connection of its
    # own, so each is reported ("once per flow", not once per tuple).
    cap.at(10)
    final = session(cap, C4, S4, 514, 514, final + 64000, 9000, data=b"rsh\0")
    cap.at(10 + 2 * MSL + 5)
    session(cap, C4, S4, 514, 514, final + 64000, 13000, data=b"rsh\0")
    cap.write(path)


# ---- TCP rules ----------------------------------------------------------------------------

@scenario("tcp_invalid_flags.pcap", fire="tcp.invalid-flags")
def invalid_flags(path):
    cap = Capture(vlan)
    # Scanner probes: SYN+FIN, null, Xmas (FIN+PSH+URG), FIN alone, SYN+RST.
    for i, fl in enumerate(["SF", "", "FPU", "F", "SR"]):
        cap.add(tcp(C4, S4, 40001 + i, 22, fl, 7000 + i))
    cap.write(path)


@scenario("tcp_rst_out_of_window.pcap", fire="tcp.rst-out-of-window",
          silent="tuple.duplicate-live")
def rst_out_of_window(path):
    cap = Capture(eth)
    nc = session(cap, C4, S4, 49500, 80, 1000, 5000, data=REQ, close=None)
    # A reset aimed at the client 2^30 below anything it would accept.
    cap.add(tcp(S4, C4, 80, 49500, "R", 5001 + (1 << 30)))
    # The connection is still alive: data goes on.
    cap.add(tcp(C4, S4, 49500, 80, "PA", nc, 5001, data=b"more"))
    cap.write(path)


@scenario("nearmiss_rst_in_window.pcap", silent="tcp.rst-out-of-window")
def rst_in_window(path):
    cap = Capture(sll)
    nc = session(cap, C4, S4, 49501, 80, 1000, 5000, data=REQ, close=None)
    # Inside the client's window but not exact: challenge ACK (RFC 5961 3.2),
    # legal; then the exact reset that ends it.
    cap.add(tcp(S4, C4, 80, 49501, "R", 5001 + 1000))
    cap.add(tcp(C4, S4, 49501, 80, "A", nc, 5001))
    cap.add(tcp(S4, C4, 80, 49501, "R", 5001))
    cap.write(path)


TFO_COOKIE = [("MSS", 1460), ("TFO", b"\x01\x02\x03\x04\x05\x06\x07\x08")]


@scenario("nearmiss_rst_syn_with_data.pcap", silent="tcp.rst-out-of-window")
def rst_syn_with_data(path):
    cap = Capture(eth)
    # TCP Fast Open (RFC 7413): the SYN carries 10 bytes. Its SND.NXT is
    # ISN + 11, and RFC 9293 3.10.7.3 accepts ISN < ACK =< SND.NXT, so the
    # RST+ACK refusing it with ACK = ISN + 11 (RFC 9293 3.10.7.1, as Linux
    # sends it) is acceptable.
    cap.add(tcp(C4, S4, 49502, 80, "S", 1000, opts=TFO_COOKIE, data=b"GET / HTTP"))
    cap.add(tcp(S4, C4, 80, 49502, "RA", 0, 1011))
    # Accepted with its data: the SYN+ACK acknowledges ISN + 11 and takes
    # the client to ESTABLISHED; a RST at the server's next sequence number
    # is then exact.
    cap.add(tcp(C4, S4, 49503, 80, "S", 2000, opts=TFO_COOKIE, data=b"GET / HTTP"))
    cap.add(tcp(S4, C4, 80, 49503, "SA", 5000, 2011))
    cap.add(tcp(S4, C4, 80, 49503, "RA", 5001, 2011))
    cap.write(path)


@scenario("tcp_midstream.pcap", fire="tcp.midstream", silent="tuple.duplicate-live")
def midstream(path):
    cap = Capture(sll)
    for i in range(3):
        cap.add(tcp(C4, S4, 49600, 80, "PA", 123456 + 10 * i, 654321, data=b"x" * 10))
        cap.add(tcp(S4, C4, 80, 49600, "A", 654321, 123456 + 10 * (i + 1)))
    cap.write(path)


@scenario("tcp_midstream_flows.pcap", fire="tcp.midstream", silent="tuple.duplicate-live")
def midstream_flows(path):
    cap = Capture(eth)
    # Picked up mid-stream and closed by a FIN exchange; 2*MSL after its
    # last packet the flow has expired, and data on the same tuple is a new
    # flow (its own stream), picked up mid-stream again: reported again.
    c, s = 223344, 556677
    cap.add(tcp(C4, S4, 49601, 80, "PA", c, s, data=b"x" * 10))
    cap.add(tcp(S4, C4, 80, 49601, "A", s, c + 10))
    cap.add(tcp(C4, S4, 49601, 80, "FA", c + 10, s))
    cap.add(tcp(S4, C4, 80, 49601, "FA", s, c + 11))
    cap.add(tcp(C4, S4, 49601, 80, "A", c + 11, s + 1))
    cap.at(2 * MSL + 5)
    cap.add(tcp(C4, S4, 49601, 80, "PA", 900000, 800000, data=b"y" * 10))
    cap.add(tcp(S4, C4, 80, 49601, "A", 800000, 900010))
    cap.write(path)


# ---- header rules ----------------------------------------------------------------------------

def write_raw(path, frames, linktype=1, snaplen=65535):
    """frames: list of (bytes, caplen or None, seconds offset)."""
    w = RawPcapWriter(path, linktype=linktype, snaplen=snaplen, endianness="<")
    w.write_header(None)
    for data, caplen, t in frames:
        us = EPOCH_US + int(Decimal(str(t)) * 1000000)
        cut = data if caplen is None else data[:caplen]
        w.write_packet(cut, sec=us // 1000000, usec=us % 1000000, wirelen=len(data))
    w.close()


@scenario("pkt_truncated.pcap", fire="pkt.truncated", silent="tcp.bad-offset,ip.bad-header")
def truncated(path):
    full = raw(eth(tcp(C4, S4, 49700, 80, "S", 1000, ts=(1, 0))))
    plain = raw(eth(tcp(C4, S4, 49702, 80, "S", 2000)))
    udp6 = raw(eth(ip_layer(C6, S6) / UDP(sport=49701, dport=53) / Raw(b"q" * 20)))
    # snaplen 60: the TCP header with its options (14 + 20 + 32 bytes) does
    # not fit; the IPv6 UDP frame is cut inside the IPv6 header; a plain SYN
    # (54 bytes) fits whole and is not a finding.
    write_raw(path, [(full, 60, 0), (udp6, 40, 0.001), (plain, None, 0.002)], snaplen=60)


@scenario("ip_bad_header.pcap", fire="ip.bad-header")
def ip_bad_header(path):
    cap = Capture(eth)
    p = IP(src=C4, dst=S4, id=1, ihl=4) / TCP(sport=49800, dport=80, flags="S", seq=1)
    cap.add(p)
    p = IP(src=C4, dst=S4, id=2, len=10) / TCP(sport=49801, dport=80, flags="S", seq=1)
    cap.add(p)
    cap.write(path)


@scenario("tcp_bad_offset.pcap", fire="tcp.bad-offset")
def tcp_bad_offset(path):
    cap = Capture(eth)
    cap.add(ip_layer(C6, S6) / TCP(sport=49900, dport=80, flags="S", seq=1, dataofs=3))
    cap.add(ip_layer(C6, S6) / TCP(sport=49901, dport=80, flags="S", seq=1, dataofs=15))
    cap.write(path)


@scenario("udp_bad_length.pcap", fire="udp.bad-length")
def udp_bad_length(path):
    cap = Capture(eth)
    cap.add(ip_layer(C4, S4) / UDP(sport=50000, dport=53, len=4) / Raw(b"q" * 12))
    cap.add(ip_layer(C4, S4) / UDP(sport=50001, dport=53, len=200) / Raw(b"q" * 12))
    cap.write(path)


def bad_checksum_frames(cap):
    cap.add(IP(src=C4, dst=S4, id=7, chksum=0x1234) / UDP(sport=50100, dport=53) / Raw(b"q" * 8))
    cap.add(ip_layer(C4, S4) / TCP(sport=50101, dport=80, flags="S", seq=1, chksum=0x4321))
    cap.add(ip_layer(C6, S6) / UDP(sport=50102, dport=53, chksum=0x1111) / Raw(b"q" * 8))


@scenario("bad_checksums.pcap",
          options="--rules +ip.bad-checksum,+tcp.bad-checksum,+udp.bad-checksum",
          fire="ip.bad-checksum,tcp.bad-checksum,udp.bad-checksum")
def bad_checksums(path):
    cap = Capture(eth)
    bad_checksum_frames(cap)
    cap.write(path)


@scenario("nearmiss_checksums_default_off.pcap",
          silent="ip.bad-checksum,tcp.bad-checksum,udp.bad-checksum")
def checksums_off(path):
    cap = Capture(eth)
    bad_checksum_frames(cap)
    cap.write(path)


# ---- hosts: source-port selection ------------------------------------------------------------

LIN_LO, LIN_HI = 32768, 61000     # Linux's range, half-open


def host_sessions(cap, host, ports_and_dsts, isn_base):
    """One short connection per (sport, (dst, dport)), a second apart."""
    for i, (sp, (dst, dp)) in enumerate(ports_and_dsts):
        cap.at(i)
        session(cap, host, dst, sp, dp, isn_base + 100000 * i, 7000000 + 1000 * i)


def servers(n, base="203.0.113."):
    return [(base + str(10 + i), 80 + (i % 3)) for i in range(n)]


@scenario("hosts_sequential.pcap", fire="port.sequential",
          silent="port.fixed,port.privileged-source", hosts="192.0.2.10=sequential")
def hosts_sequential(path):
    cap = Capture(eth)
    dsts = servers(12)
    host_sessions(cap, "192.0.2.10", [(1025 + i, dsts[i]) for i in range(12)], 1000)
    cap.write(path)


@scenario("hosts_per_destination.pcap", silent="port.sequential,port.fixed",
          hosts="192.0.2.20=per-destination-sequential")
def hosts_per_destination(path):
    cap = Capture(eth)
    dsts = servers(4)
    # RFC 6056 algorithm 3/4 as Linux does it: a hashed offset per
    # destination, then small steps (Linux: +2, even ports first).
    base = [LIN_LO + (d * 7919 * 4099 + 12345) % (LIN_HI - LIN_LO) for d in range(4)]
    step = [0] * 4
    seq = []
    for i in range(24):
        d = i % 4
        seq.append((LIN_LO + (base[d] - LIN_LO + step[d]) % (LIN_HI - LIN_LO), dsts[d]))
        step[d] += 2
    host_sessions(cap, "192.0.2.20", seq, 2000)
    cap.write(path)


@scenario("hosts_random_increments.pcap", silent="port.sequential,port.fixed",
          hosts="192.0.2.30=random-increments")
def hosts_random_increments(path):
    cap = Capture(eth)
    rng = random.Random(5)
    dsts = servers(16)
    port, seq = 40000, []
    for i in range(16):
        # RFC 6056 algorithm 5: a global counter advanced by 1..N (N = 500).
        port = LIN_LO + (port - LIN_LO + rng.randint(1, 500)) % (LIN_HI - LIN_LO)
        seq.append((port, dsts[i]))
    host_sessions(cap, "192.0.2.30", seq, 3000)
    cap.write(path)


@scenario("hosts_random.pcap", silent="port.sequential,port.fixed",
          hosts="2001:db8:40::40=random")
def hosts_random(path):
    cap = Capture(eth)
    rng = random.Random(1)
    dsts = [("2001:db8:ff::" + str(10 + i), 443) for i in range(16)]
    # RFC 6056 algorithm 1: every port drawn uniformly from the range.
    seq = [(rng.randrange(LIN_LO, LIN_HI), dsts[i]) for i in range(16)]
    host_sessions(cap, "2001:db8:40::40", seq, 4000)
    cap.write(path)


def udp_fanout(cap, host, sport, n):
    for i in range(n):
        dst = "203.0.113." + str(50 + i)
        cap.at(i * 0.5)
        cap.add(ip_layer(host, dst) / UDP(sport=sport, dport=53) / Raw(b"query%02d" % i))
        cap.add(ip_layer(dst, host) / UDP(sport=53, dport=sport) / Raw(b"answer%02d" % i))


@scenario("hosts_fixed.pcap", fire="port.fixed", silent="port.sequential",
          hosts="192.0.2.50=fixed")
def hosts_fixed(path):
    cap = Capture(eth)
    udp_fanout(cap, "192.0.2.50", 40053, 10)
    cap.write(path)


@scenario("nearmiss_fixed_7_destinations.pcap", options="--min-samples 4", silent="port.fixed",
          hosts="192.0.2.51=fixed")
def fixed_seven(path):
    # One port, 7 endpoints: the host's class is "fixed" (enough samples with
    # --min-samples 4) but the rule needs 8 endpoints (SPEC).
    cap = Capture(eth)
    udp_fanout(cap, "192.0.2.51", 40053, 7)
    cap.write(path)


# ---- main ----------------------------------------------------------------------------------------

def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "pcaps")
    os.makedirs(out, exist_ok=True)
    rows = ["# capture\toptions\tmust_fire\tmust_not_fire\thosts"]
    for name, options, fire, silent, hosts, fn in SCENARIOS:
        fn(os.path.join(out, name))
        rows.append("\t".join([name, options, fire, silent, hosts]))
    with open(os.path.join(out, "MANIFEST.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print("wrote %d captures and MANIFEST.tsv to %s" % (len(SCENARIOS), out))


if __name__ == "__main__":
    main()
