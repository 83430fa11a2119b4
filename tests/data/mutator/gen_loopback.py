#!/usr/bin/python3
"""Loopback captures for tests/t_fuzz_mutator.sh (mutcheck pcap), whose
4-byte address family is in network byte order, the case mut_l3_offset
(harness/mutator.c) must recognise besides the little-endian one the fuzz
corpus holds:

  loop108.pcap   LINKTYPE_LOOP (108, OpenBSD: AF_ always big-endian):
                 AF_INET 2 + IPv4 TCP, AF_INET6 24 + IPv6 UDP.
  null_be.pcap   LINKTYPE_NULL (0) written by a big-endian host (file magic
                 a1b2c3d4, AF_ in its byte order): AF_INET 2 + IPv4 UDP,
                 AF_INET6 30 (Darwin) + IPv6 TCP.

Every packet is wholly captured, with correct checksums and at least 60
bytes of IP, so mutcheck's mut_fix_ip check takes it too.
"""
import os
import struct
from scapy.all import IP, IPv6, TCP, UDP, Raw

here = os.path.dirname(os.path.abspath(__file__))


def write(name, be, linktype, frames):
    e = ">" if be else "<"
    out = struct.pack(e + "IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype)
    for i, f in enumerate(frames):
        out += struct.pack(e + "IIII", 1700000000 + i, 0, len(f), len(f)) + f
    with open(os.path.join(here, name), "wb") as fh:
        fh.write(out)


tcp4 = bytes(IP(src="192.0.2.1", dst="192.0.2.2") / TCP(sport=40000, dport=80, flags="PA", seq=1, ack=1) /
             Raw(b"x" * 40))
udp6 = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=5353, dport=53) / Raw(b"y" * 30))
udp4 = bytes(IP(src="192.0.2.3", dst="192.0.2.4") / UDP(sport=1234, dport=53) / Raw(b"z" * 40))
tcp6 = bytes(IPv6(src="2001:db8::3", dst="2001:db8::4") / TCP(sport=40001, dport=443, flags="A", seq=7, ack=9) /
             Raw(b"w" * 20))
write("loop108.pcap", False, 108, [struct.pack(">I", 2) + tcp4, struct.pack(">I", 24) + udp6])
write("null_be.pcap", True, 0, [struct.pack(">I", 2) + udp4, struct.pack(">I", 30) + tcp6])
