#!/usr/bin/python3
"""text_columns.pcap for tests/t_flows_golden.sh: the text table's edge cases.

Frames 1-99: UDP 10.0.0.1:1111 > 10.0.0.2:53, one a millisecond from
t = 1.900000 s (end 1.998000). Frames 100-101: UDP 10.0.0.9:5000 >
10.0.0.10:53 at t = 1.999000 and 2.101000: its duration, 0.102000 s, borrows
a second (end's fraction below start's), and its frames text "100-101" is
wider than the "frames" heading, so that column must widen.
"""
import os
from scapy.all import IP, UDP, Ether, Raw, wrpcap

pkts = []
for i in range(99):
    p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.0.0.1", dst="10.0.0.2") / \
        UDP(sport=1111, dport=53) / Raw(b"q")
    p.time = 1.9 + i / 1000
    pkts.append(p)
for t in (1.999, 2.101):
    p = Ether(src="02:00:00:00:00:09", dst="02:00:00:00:00:0a") / IP(src="10.0.0.9", dst="10.0.0.10") / \
        UDP(sport=5000, dport=53) / Raw(b"ab")
    p.time = t
    pkts.append(p)
wrpcap(os.path.join(os.path.dirname(os.path.abspath(__file__)), "text_columns.pcap"), pkts)
