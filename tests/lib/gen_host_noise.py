#!/usr/bin/python3
"""gen_host_noise.py N OUT: a pcap where one host's port.sequential finding
hides among N other packets (the reduce test's input, tests/t_reduce.sh).

Host 10.0.0.1 opens 10 TCP connections from ports 1025..1034 (one SYN each,
to 12.0.0.k:80), spread evenly over N SYNs from random hosts in 13.0.0.0/8
to random ports: a host rule's evidence, with nothing of the 5-tuple kind
to cut to. Ethernet/IPv4/TCP, checksums correct, one packet per millisecond.
A fixed seed: the same N gives the same bytes."""
import random
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn(src, dst, sport, dport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = struct.pack("!IIBBH", src, dst, 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    r = random.Random(1)
    step = max(n // 10, 1)
    host = 0x0A000001
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            if i % step == 0 and i // step < 10:
                k = i // step
                p = syn(host, 0x0C000000 + k, 1025 + k, 80, 1000 + k)
            else:
                p = syn(0x0D000000 + r.randrange(1 << 24), 0x0C000000 + r.randrange(1 << 20),
                        1024 + r.randrange(64000), 80, r.randrange(1 << 32))
            t = 1700000000 * 1000000 + i * 1000
            f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(p), len(p)) + p)


if __name__ == "__main__":
    main()
