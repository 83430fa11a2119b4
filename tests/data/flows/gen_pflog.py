#!/usr/bin/python3
"""pflog.pcap for tests/t_flows_golden.sh and t_filter_tcpdump.sh: pf's log
(link type 117) as three systems write it; the pfloghdr is built here by
hand, byte by byte, to the layout tcpdump and Wireshark read (first byte its
length, second the address family, the packet at the length rounded up to 4).

Frames are a quarter second apart. Frames 1-4: a TCP connection
192.0.2.10:40000 > 198.51.100.20:443 (SYN, SYN+ACK, ACK, RST) under a
61-byte header (NetBSD, Darwin), family 2.
Frames 5-6: UDP [2001:db8::10]:50000 > [2001:db8::20]:9999 and the reply under
OpenBSD's 100-byte header, family 24. Frame 7: a TCP SYN
[2001:db8::10]:40001 > [2001:db8::20]:22 under FreeBSD's 69-byte header,
family 28. Frame 8: family 10 (Linux's AF_INET6, which no pf writes): not
IP. Frame 9: a header length of 44, below the oldest pfloghdr's 45:
link.short-frame.
"""
import os
import struct
from scapy.all import IP, IPv6, TCP, UDP, raw


def pfloghdr(length, af, direction):
    """length bytes: length, family, action 0 (pass), reason 0, ifname em0,
    no ruleset, rule 5, subrule -1, uid, pid, rule uid, rule pid 0, direction;
    zeros to the length and to the next multiple of 4."""
    h = bytes([length, af, 0, 0]) + b"em0".ljust(16, b"\0") + bytes(16)
    h += struct.pack(">IIIIII", 5, 0xFFFFFFFF, 0, 0, 0, 0) + bytes([direction])
    h = h[:length] if length <= len(h) else h + bytes(length - len(h))
    return h + bytes(-length % 4)


c4, s4 = "192.0.2.10", "198.51.100.20"
c6, s6 = "2001:db8::10", "2001:db8::20"
frames = [
    (pfloghdr(61, 2, 1), IP(src=c4, dst=s4) / TCP(sport=40000, dport=443, flags="S", seq=1000)),
    (pfloghdr(61, 2, 2), IP(src=s4, dst=c4) / TCP(sport=443, dport=40000, flags="SA", seq=5000,
                                                  ack=1001)),
    (pfloghdr(61, 2, 1), IP(src=c4, dst=s4) / TCP(sport=40000, dport=443, flags="A", seq=1001,
                                                  ack=5001)),
    (pfloghdr(61, 2, 1), IP(src=c4, dst=s4) / TCP(sport=40000, dport=443, flags="R", seq=1001)),
    (pfloghdr(100, 24, 2), IPv6(src=c6, dst=s6) / UDP(sport=50000, dport=9999) / b"query"),
    (pfloghdr(100, 24, 1), IPv6(src=s6, dst=c6) / UDP(sport=9999, dport=50000) / b"answer"),
    (pfloghdr(69, 28, 2), IPv6(src=c6, dst=s6) / TCP(sport=40001, dport=22, flags="S", seq=9)),
    (pfloghdr(61, 10, 2), IPv6(src=c6, dst=s6) / TCP(sport=40002, dport=22, flags="S", seq=9)),
    (pfloghdr(44, 2, 2), IP(src=c4, dst=s4) / TCP(sport=40003, dport=443, flags="S", seq=9)),
]
out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 117)
for i, (hdr, pkt) in enumerate(frames):
    frame = hdr + raw(pkt)
    out += struct.pack("<IIII", 1700000000 + i // 4, 250000 * (i % 4), len(frame),
                       len(frame)) + frame
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pflog.pcap"), "wb") as f:
    f.write(out)
