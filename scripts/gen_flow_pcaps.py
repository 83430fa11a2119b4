#!/usr/bin/python3
"""gen_flow_pcaps.py - scenario captures for the connection engine.

Writes corpus/flows/ (or the folder given as the first argument): small
captures that put tuple reuse, retransmitted SYNs, mid-stream pickup, SYN+ACK
first, reverse-direction reuse, resets, UDP timeouts and connections behind
PPPoE and MPLS in front of the engine.
tests/t_tshark_streams.sh compares their TCP streams with tshark's tcp.stream
(references in tests/ref/tshark-streams-flows/), and tests/t_flows_golden.sh
checks `tuplecheck flows` on them against reviewed expected output.

Deterministic: fixed times, MACs, IP IDs and sequence numbers, so a rerun
writes byte-identical files. Run with /usr/bin/python3 (it has scapy).
"""
import logging
import os
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, IPv6, TCP, UDP, Raw  # noqa: E402
from scapy.utils import RawPcapWriter  # noqa: E402

EPOCH_US = 1700000000 * 1000000
ETH = bytes.fromhex("020000000002" "020000000001")    # destination, source MAC


def frame(ip_pkt, l2=None):
    """Ethernet frame carrying ip_pkt: directly, or behind the link-layer
    bytes l2 (which end where the IP header starts and begin with their
    EtherType)."""
    b = bytes(ip_pkt)
    if l2 is None:
        l2 = b"\x86\xdd" if b[0] >> 4 == 6 else b"\x08\x00"
    elif callable(l2):
        l2 = l2(b)
    return ETH + l2 + b


def pppoe(session, vlan=None):
    """PPPoE session header (RFC 2516) with a 2-byte PPP protocol field,
    optionally in an 802.1Q tag."""
    def build(ip):
        proto = b"\x00\x57" if ip[0] >> 4 == 6 else b"\x00\x21"
        hdr = b"\x88\x64\x11\x00" + session.to_bytes(2, "big") + (len(ip) + 2).to_bytes(2, "big")
        tag = b"" if vlan is None else b"\x81\x00" + vlan.to_bytes(2, "big")
        return tag + hdr + proto
    return build


def mpls(*labels):
    """An MPLS stack (RFC 3032), outermost label first, TTL 64."""
    out = b"\x88\x47"
    for i, lab in enumerate(labels):
        bos = 1 if i == len(labels) - 1 else 0
        out += ((lab << 12) | (bos << 8) | 64).to_bytes(4, "big")
    return out
C, S = "10.0.0.1", "10.0.0.2"
CP, SP = 40000, 80


class Cap:
    """Packets with explicit times (microseconds from EPOCH_US)."""

    def __init__(self):
        self.pkts = []
        self.ipid = 1

    def tcp(self, t, src, dst, sport, dport, flags, seq, ack=0, data=b"", win=65535,
            opts=None, l2=None):
        ip = (IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst, id=self.ipid, ttl=64))
        self.ipid += 1
        seg = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=win,
                  options=opts or [])
        p = ip / seg
        if data:
            p = p / Raw(data)
        self.pkts.append((t, frame(p, l2)))

    def udp(self, t, src, dst, sport, dport, data=b"x", l2=None):
        ip = IP(src=src, dst=dst, id=self.ipid, ttl=64)
        self.ipid += 1
        self.pkts.append((t, frame(ip / UDP(sport=sport, dport=dport) / Raw(data), l2)))

    def raw(self, t, frame_bytes):
        self.pkts.append((t, frame_bytes))

    def write(self, path):
        w = RawPcapWriter(path, linktype=1, sync=True)
        w._write_header(None)
        for t, p in self.pkts:
            us = EPOCH_US + t
            w._write_packet(bytes(p), sec=us // 1000000, usec=us % 1000000)
        w.close()


def handshake(c, t, isn_c, isn_s, src=C, dst=S, sport=CP, dport=SP, opts_c=None, opts_s=None,
              l2c=None, l2s=None):
    c.tcp(t, src, dst, sport, dport, "S", isn_c, opts=opts_c, l2=l2c)
    c.tcp(t + 1000, dst, src, dport, sport, "SA", isn_s, isn_c + 1, opts=opts_s, l2=l2s)
    c.tcp(t + 2000, src, dst, sport, dport, "A", isn_c + 1, isn_s + 1, l2=l2c)


def fin_close(c, t, seq_c, seq_s, src=C, dst=S, sport=CP, dport=SP, l2c=None, l2s=None):
    """Client closes first; returns the final sequence numbers."""
    c.tcp(t, src, dst, sport, dport, "FA", seq_c, seq_s, l2=l2c)
    c.tcp(t + 1000, dst, src, dport, sport, "FA", seq_s, seq_c + 1, l2=l2s)
    c.tcp(t + 2000, src, dst, sport, dport, "A", seq_c + 1, seq_s + 1, l2=l2c)
    return seq_c + 1, seq_s + 1


def incarnations(out):
    """One tuple, five connections: reuse after FIN, after RST, while open."""
    c = Cap()
    sec = 1000000
    # 1: full connection with data and FIN exchange
    handshake(c, 0, 1000, 50000)
    c.tcp(3000, C, S, CP, SP, "PA", 1001, 50001, b"GET / HTTP/1.0\r\n\r\n")
    c.tcp(4000, S, C, SP, CP, "PA", 50001, 1019, b"HTTP/1.0 200 OK\r\n\r\n")
    fin_close(c, 5000, 1019, 50020)
    # the old SYN retransmitted (same ISN): still stream 1
    c.tcp(6000, C, S, CP, SP, "S", 1000)
    # 2: new ISN 10 s after the close (inside 2*MSL), ISN above the old final seq
    handshake(c, 10 * sec, 5000, 70000)
    c.tcp(10 * sec + 3000, C, S, CP, SP, "RA", 5001, 70001)
    # 3: after the RST, a new ISN below the old one
    handshake(c, 20 * sec, 3000, 90000)
    c.tcp(20 * sec + 3000, C, S, CP, SP, "PA", 3001, 90001, b"hello")
    # 4: SYN with a new ISN while 3 is still open (a duplicate live tuple)
    c.tcp(30 * sec, C, S, CP, SP, "S", 123456)
    # its retransmission, then the answer
    c.tcp(31 * sec, C, S, CP, SP, "S", 123456)
    c.tcp(31 * sec + 1000, S, C, SP, CP, "SA", 777, 123457)
    c.tcp(31 * sec + 2000, C, S, CP, SP, "A", 123457, 778)
    c.write(os.path.join(out, "incarnations.pcap"))


def midstream(out):
    """Pickup without handshake, then a SYN from the same side; SYN+ACK first."""
    c = Cap()
    c.tcp(0, C, S, 40001, SP, "PA", 5000, 9000, b"abc")
    c.tcp(1000, S, C, SP, 40001, "A", 9000, 5003)
    # a SYN whose seq is the base tshark derived (first seq - 1): not a new stream
    c.tcp(2000, C, S, 40001, SP, "S", 4999)
    # a SYN with any other seq: new stream
    c.tcp(3000, C, S, 40001, SP, "S", 100)
    c.tcp(4000, S, C, SP, 40001, "SA", 300, 101)
    # SYN+ACK first (the SYN was not captured), then the rest of a connection
    c.tcp(10000, S, C, 443, 40002, "SA", 7000, 2001)
    c.tcp(11000, C, S, 40002, 443, "A", 2001, 7001)
    c.tcp(12000, C, S, 40002, 443, "PA", 2001, 7001, b"x" * 10)
    c.tcp(13000, S, C, 443, 40002, "A", 7001, 2011)
    fin_close(c, 14000, 2011, 7001, src=C, dst=S, sport=40002, dport=443)
    # a bare ACK mid-stream on another tuple, never answered
    c.tcp(20000, C, S, 40003, 22, "A", 1, 1)
    c.write(os.path.join(out, "midstream.pcap"))


def reverse(out):
    """The server opens a connection back on the same tuple (ports swapped)."""
    c = Cap()
    handshake(c, 0, 1000, 2000)
    fin_close(c, 3000, 1001, 2001)
    # the former responder sends a SYN with a new ISN: a new stream
    c.tcp(2000000, S, C, SP, CP, "S", 8000)
    c.tcp(2001000, C, S, CP, SP, "SA", 9000, 8001)
    c.tcp(2002000, S, C, SP, CP, "A", 8001, 9001)
    # rejected attempt: SYN then RST+ACK on a fresh tuple
    c.tcp(3000000, C, S, 40010, 81, "S", 42)
    c.tcp(3001000, S, C, 81, 40010, "RA", 0, 43)
    # the client retries with a new ISN right away
    c.tcp(3002000, C, S, 40010, 81, "S", 4242)
    c.tcp(3003000, S, C, 81, 40010, "RA", 0, 4243)
    c.write(os.path.join(out, "reverse.pcap"))


def synack_retx(out):
    """A SYN+ACK repeated with another seq; a SYN and a simultaneous open."""
    c = Cap()
    c.tcp(0, C, S, 40020, SP, "S", 10)
    c.tcp(1000, S, C, SP, 40020, "SA", 500, 11)
    c.tcp(2000, S, C, SP, 40020, "SA", 600, 11)
    c.tcp(3000, C, S, 40020, SP, "A", 11, 601)
    # simultaneous open on another tuple
    c.tcp(10000, C, S, 5000, 5001, "S", 100)
    c.tcp(10100, S, C, 5001, 5000, "S", 200)
    c.tcp(11000, C, S, 5000, 5001, "SA", 100, 201)
    c.tcp(11100, S, C, 5001, 5000, "SA", 200, 101)
    c.write(os.path.join(out, "synack_retx.pcap"))


def ipv6_wscale(out):
    """IPv6 connection with window scaling and timestamps, RST out of window."""
    c = Cap()
    a, b = "2001:db8::1", "2001:db8::2"
    handshake(c, 0, 1, 100, src=a, dst=b, sport=50000, dport=443,
              opts_c=[("MSS", 1440), ("WScale", 7), ("Timestamp", (10, 0))],
              opts_s=[("MSS", 1440), ("WScale", 8), ("Timestamp", (20, 10))])
    c.tcp(3000, a, b, 50000, 443, "PA", 2, 101, b"y" * 100, win=512,
          opts=[("Timestamp", (11, 20))])
    c.tcp(4000, b, a, 443, 50000, "A", 101, 102, win=256, opts=[("Timestamp", (21, 11))],
          )
    # a blind RST far outside the server's window
    c.tcp(5000, a, b, 50000, 443, "R", 2000000000)
    # an exact one
    c.tcp(6000, a, b, 50000, 443, "R", 102)
    c.write(os.path.join(out, "ipv6_wscale.pcap"))


def udp_timeout(out):
    """UDP exchange, a 2-minute silence (past the 60 s UDP timeout), again."""
    c = Cap()
    c.udp(0, C, S, 5353, 53, b"q1")
    c.udp(1000, S, C, 53, 5353, b"r1")
    c.udp(120 * 1000000, C, S, 5353, 53, b"q2")
    c.udp(120 * 1000000 + 500, C, "10.0.0.3", 5353, 53, b"q3")
    c.write(os.path.join(out, "udp_timeout.pcap"))


def out_of_order(out):
    """Timestamps going backwards: the engine clock must not follow them."""
    c = Cap()
    handshake(c, 5000000, 1, 2)
    c.tcp(1000000, C, S, CP, SP, "PA", 2, 3, b"late")     # stamped 4 s earlier
    c.tcp(5003000, S, C, SP, CP, "A", 3, 6)
    c.udp(2000000, C, S, 1234, 53, b"q")
    c.write(os.path.join(out, "out_of_order.pcap"))


def encapsulated(out):
    """Connections behind PPPoE and MPLS: the link layer is not part of the
    tuple, so a connection whose directions take different paths (the
    client's packets in PPPoE over VLAN 7, the server's behind an MPLS
    label) is one flow; an IPv6 connection behind a two-label stack ending
    in the IPv6 explicit null label; a UDP exchange over PPPoE; and frames
    that carry no IP (PPPoE discovery, LCP inside a session, an MPLS
    pseudowire)."""
    c = Cap()
    up, down = pppoe(0x0042, vlan=7), mpls(1000)
    c.raw(0, ETH + b"\x88\x63\x11\x09\x00\x00\x00\x04\x01\x01\x00\x00")   # PADI
    c.raw(500, ETH + b"\x88\x64\x11\x00\x00\x42\x00\x0a\xc0\x21"   # LCP Echo-Request
          b"\x09\x01\x00\x08\x00\x00\x00\x00")
    c.tcp(1000, C, S, CP, SP, "S", 100, l2=up)
    c.tcp(2000, S, C, SP, CP, "SA", 500, 101, l2=down)
    c.tcp(3000, C, S, CP, SP, "A", 101, 501, l2=up)
    c.tcp(4000, C, S, CP, SP, "PA", 101, 501, b"GET / HTTP/1.0\r\n\r\n", l2=up)
    c.tcp(5000, S, C, SP, CP, "PA", 501, 119, b"HTTP/1.0 200 OK\r\n\r\n", l2=down)
    fin_close(c, 6000, 119, 520, l2c=up, l2s=down)
    c6, s6 = "2001:db8::1", "2001:db8::2"
    stack = mpls(16004, 2)
    handshake(c, 20000, 7000, 9000, src=c6, dst=s6, sport=50000, dport=443, l2c=stack,
              l2s=stack)
    c.tcp(23000, c6, s6, 50000, 443, "RA", 7001, 9001, l2=stack)
    c.udp(30000, "10.0.0.5", "10.0.0.53", 33333, 53, b"query", l2=pppoe(7))
    c.udp(31000, "10.0.0.53", "10.0.0.5", 53, 33333, b"answer", l2=pppoe(7))
    c.raw(32000, ETH + mpls(300) + bytes(14))            # Ethernet pseudowire: no IP
    c.write(os.path.join(out, "encapsulated.pcap"))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "flows")
    os.makedirs(out, exist_ok=True)
    for f in (incarnations, midstream, reverse, synack_retx, ipv6_wscale, udp_timeout,
              out_of_order, encapsulated):
        f(out)


if __name__ == "__main__":
    main()
