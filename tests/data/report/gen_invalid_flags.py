#!/usr/bin/python3
"""invalid_flags.pcap for tests/t_report_formats.sh: 19 TCP segments from
10.1.0.1 to 10.1.0.2:80, each on its own source port, with flag sets of
which 18 are invalid (RFC 9293) in 10 distinct ways (tcp.invalid-flags
signatures): more than the 8 the text report details per rule, so its
"other signatures" line must carry the rest of the count."""
import os
from scapy.all import IP, TCP, Ether, wrpcap

combos = ["SF", "SR", "FR", "SFR", "SFP", "SFU", "", "F", "FPU", "P", "U", "PU", "FP", "FU",
          "SRP", "SRU", "SFRPU", "SE", "FC"]
pkts = []
for i, fl in enumerate(combos):
    p = Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02") / \
        IP(src="10.1.0.1", dst="10.1.0.2") / TCP(sport=40000 + i, dport=80, flags=fl, seq=1000)
    p.time = 1.0 + i / 100
    pkts.append(p)
wrpcap(os.path.join(os.path.dirname(os.path.abspath(__file__)), "invalid_flags.pcap"), pkts)
