#!/usr/bin/python3
"""fuzz_seeds.py - build fuzz seed corpora from the public captures.

  scripts/fuzz_seeds.py decode SRC_DIR OUT_DIR [--max N]
      corpus/fuzz_decode seeds: single frames carrying TCP or UDP, each
      written as one selector byte (harness/fuzz_decode.c: low nibble = index
      of the link type in its table, bit 4 = frame was cut by the snapshot
      length) followed by the captured bytes. Frames are deduplicated by
      shape: link type, the chain of header layers up to TCP/UDP as scapy
      dissects it, TCP flags and option kinds, IP options, truncation. The
      first frame of each shape is kept, so the result is small and varied.
      A few hand-made frames (scapy) add link layers the captures lack.
  scripts/fuzz_seeds.py pcap SRC_DIR OUT_DIR [--max-bytes N] [--max-file N]
      corpus/fuzz_pcap seeds: whole small captures (pcap and pcapng) of a
      link type we decode that hold TCP or UDP, plus truncated variants of a
      few of them (cut inside the file header, a record header and a packet).

  scripts/fuzz_seeds.py portalloc OUT_DIR
      corpus/fuzz_portalloc seeds: hand-made operation sequences (format in
      harness/fuzz_portalloc.c) for every algorithm and range profile, plus
      the edge cases: a range that runs out, slots that run out, TIME_WAIT
      expiry, binds, a vetoing callback, an empty range.

  scripts/fuzz_seeds.py engine OUT_DIR
      corpus/fuzz_engine seeds: hand-made packet scripts (format in
      harness/engine_script.h): handshakes and closes, port reuse inside and
      after TIME_WAIT, duplicate live tuples, RSTs in and out of the window,
      mid-stream pick-up, UDP port patterns, eviction, idle expiry, time
      going backwards, bad flags, privileged and out-of-range ports.

The capture files are read here with a small tolerant reader of our own (the
library under test must not choose its own seeds); scapy (Debian's
python3-scapy, hence /usr/bin/python3) only dissects frames to classify them.
Output names are the SHA-1 of the content, as libFuzzer and OSS-Fuzz name
corpus files, so rerunning is idempotent. Afterwards minimise with
`make fuzz-cmin TARGET=NAME` (libFuzzer -merge=1).
"""
import argparse
import hashlib
import logging
import os
import struct
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import conf, TCP, UDP, IP, IPv6, Raw, Padding  # noqa: E402

# Same order as link_table[] in harness/fuzz_decode.c (first occurrence).
LINK_INDEX = {1: 0, 101: 1, 113: 2, 276: 3, 0: 4, 108: 5, 228: 6, 229: 7, 129: 8, 258: 9,
              242: 10, 104: 11, 51: 12, 239: 13, 9: 15}
# Every link type targets/link.c decodes: the table's, and those fuzz_decode
# reaches only through PKTAP's inner DLT (or, for 50, through 9's parser).
DECODED = set(LINK_INDEX) | {12, 14, 50, 117, 149, 226}
MAX_FRAMES_PER_FILE = 500


def read_records(data):
    """Yield (linktype, caplen, origlen, frame) from a pcap or pcapng buffer;
    stop quietly at the first thing that does not parse."""
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    elif magic == b"\x0a\x0d\x0d\x0a":
        yield from read_pcapng(data)
        return
    else:
        return
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0fffffff
    off = 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if incl > 262144 or off + incl > len(data):
            return
        yield linktype, incl, orig, data[off:off + incl]
        off += incl


def read_pcapng(data):
    off, e, ifaces = 0, "<", []
    while off + 12 <= len(data):
        btype = data[off:off + 4]
        if btype == b"\x0a\x0d\x0d\x0a":
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        t, total = struct.unpack(e + "II", data[off:off + 8])
        if total < 12 or total % 4 or off + total > len(data):
            return
        body = data[off + 8:off + total - 4]
        if t == 1 and len(body) >= 8:
            ifaces.append(struct.unpack(e + "H", body[:2])[0])
        elif t == 6 and len(body) >= 20:
            ifid, _, _, incl, orig = struct.unpack(e + "IIIII", body[:20])
            if ifid < len(ifaces) and 20 + incl <= len(body):
                yield ifaces[ifid], incl, orig, body[20:20 + incl]
        elif t == 3 and len(body) >= 4 and ifaces:
            orig = struct.unpack(e + "I", body[:4])[0]
            incl = min(orig, len(body) - 4)
            yield ifaces[0], incl, orig, body[4:4 + incl]
        off += total


def nflog_payload(frame):
    """The IP packet in a LINKTYPE_NFLOG frame (scapy has no NFLOG layer):
    the value of TLV type 9, the TLVs in whichever byte order makes the
    first type small; None when there is none."""
    if len(frame) < 8 or frame[0] not in (2, 10):
        return None
    order = ">HH" if frame[6] & 0x3F == 0 and frame[7] & 0x3F != 0 else "<HH"
    off = 4
    while off + 4 <= len(frame):
        n, t = struct.unpack_from(order, frame, off)
        if n < 4:
            return None
        if t & 0x3FFF == 9:
            return frame[off + 4:off + n]
        off += (n + 3) & ~3
    return None


def dissect(linktype, frame):
    if linktype in (149, 258):     # Apple PKTAP: header length, record type, DLT
        if len(frame) < 12:
            return None
        hlen, rec, dlt = struct.unpack_from("<III", frame)
        if rec != 1 or hlen < 108 or dlt in (149, 258):
            return None
        return dissect(dlt, frame[hlen:])
    # Three fixed headers scapy has no layer for (targets/link.c's comment):
    # Linux ARCNET (IPv4 at 5 under RFC 1051's id, at 8 under RFC 1201's
    # ids for IPv4 and IPv6), IP over InfiniBand (EtherType at 40, IP at
    # 44) and Solaris ipnet (family at 1, IP at 24).
    ip_at = None
    if linktype == 129 and len(frame) > 5:
        ip_at = {0xF0: (IP, 5), 0xD4: (IP, 8), 0xC4: (IPv6, 8)}.get(frame[4])
    elif linktype == 242 and len(frame) > 44:
        ip_at = {0x0800: (IP, 44), 0x86DD: (IPv6, 44)}.get(struct.unpack_from(">H", frame, 40)[0])
    elif linktype == 226 and len(frame) > 24:
        ip_at = {2: (IP, 24), 26: (IPv6, 24)}.get(frame[1])
    elif linktype == 117 and len(frame) > 1 and frame[0] >= 45:
        at = (frame[0] + 3) & ~3     # pf's log: length, family, packet at length
        ip_at = {2: (IP, at), 24: (IPv6, at), 28: (IPv6, at), 30: (IPv6, at)}.get(frame[1])
    if linktype in (129, 242, 226, 117):
        if ip_at is None:
            return None
        try:
            return ip_at[0](frame[ip_at[1]:])
        except Exception:  # scapy raises anything on odd frames
            return None
    if linktype == 239:
        payload = nflog_payload(frame)
        if payload is None:
            return None
        try:
            return (IP if frame[0] == 2 else IPv6)(payload)
        except Exception:  # scapy raises anything on odd frames
            return None
    cls = conf.l2types.get(linktype)
    if cls is None and linktype in (12, 14):
        cls = conf.l2types.get(101)
    if cls is None:
        return None
    try:
        return cls(frame)
    except Exception:  # scapy raises anything on odd frames
        return None


def shape(linktype, pkt, truncated):
    names, layer = [], pkt
    while layer is not None and not isinstance(layer, (Raw, Padding)):
        names.append(layer.__class__.__name__)
        if isinstance(layer, (TCP, UDP)):
            break
        layer = layer.payload if layer.payload else None
    key = [linktype, tuple(names), truncated]
    if TCP in pkt:
        t = pkt[TCP]
        key.append(int(t.flags))
        key.append(tuple(o[0] if isinstance(o, tuple) else o for o in t.options))
    if IP in pkt:
        key.append(len(pkt[IP].options) > 0)
        key.append(pkt[IP].flags.value if hasattr(pkt[IP].flags, "value") else int(pkt[IP].flags))
    return tuple(str(k) for k in key)


def write(out_dir, blob):
    name = hashlib.sha1(blob).hexdigest()
    with open(os.path.join(out_dir, name), "wb") as f:
        f.write(blob)
    return name


def captures(src):
    for name in sorted(os.listdir(src)):
        if name.endswith((".pcap", ".pcapng")):
            yield name, os.path.join(src, name)


def handmade_link_frames():
    """(linktype, frame) pairs built with scapy: PPPoE and an MPLS stack
    behind a VLAN tag on Ethernet, Cisco HDLC, PPPoE without Ethernet, PPP
    without address and control bytes, NFLOG with big-endian TLVs (the
    public capture has little-endian ones) and a payload cut by the rule's
    copy range, PKTAP around BSD loopback (the public captures have
    Ethernet), IPv6 over ARCNET and over IPoIB (with a global route header
    in front), and Solaris ipnet inside PKTAP (fuzz_decode has no slot of
    its own for ipnet; the one public ipnet capture holds only ICMP)."""
    from scapy.all import Ether, Dot1Q, PPPoE, PPP
    from scapy.contrib.mpls import MPLS
    tcp4 = IP(src="192.0.2.7", dst="198.51.100.8") / TCP(sport=40000, dport=443, flags="S")
    udp6 = IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=5353, dport=53) / b"dns"
    eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    return [
        (1, bytes(eth / PPPoE(sessionid=0x1234) / PPP(proto=0x21) / tcp4)),
        (1, bytes(eth / Dot1Q(vlan=7) / MPLS(label=100, s=0) / MPLS(label=200, s=1) / udp6)),
        (104, b"\x0f\x00\x86\xdd" + bytes(udp6)),
        (51, bytes(PPPoE(sessionid=1) / PPP(proto=0x57) / udp6)),
        (9, b"\x21" + bytes(tcp4)),
        (239, b"\x0a\x00\x00\x01" + struct.pack(">HH", 4 + len(udp6), 9) + bytes(udp6)),
        (239, b"\x02\x00\x00\x01" + struct.pack("<HH", 4 + 24, 9) + bytes(tcp4)[:24]),
        (258, struct.pack("<III", 108, 1, 0) + b"utun0".ljust(96, b"\0")
         + struct.pack("<I", 2) + bytes(tcp4)),
        (129, b"\xbe\x50\xb2\x00\xc4\x00\x00\x01" + bytes(udp6)),
        (242, b"\x60\x00\x00\x00\x00\x00\x00\x01" + bytes(32) + b"\x86\xdd\x00\x00"
         + bytes(udp6)),
        (258, struct.pack("<III", 108, 1, 226) + b"net0".ljust(96, b"\0")
         + ipnet_header(26, len(udp6)) + bytes(udp6)),
        (258, struct.pack("<III", 108, 1, 117) + b"pflog0".ljust(96, b"\0")
         + pflog_header(69, 28) + bytes(udp6)),
    ]


def pflog_header(length, af):
    """pf's log header of length bytes (61, 69 or 100 by system), padded to
    4: length, family, pass, match, ifname em0, rule 5, direction in."""
    h = bytes([length, af, 0, 0]) + b"em0".ljust(16, b"\0") + bytes(16)
    h += struct.pack(">IIIIII", 5, 0xFFFFFFFF, 0, 0, 0, 0) + b"\x01"
    h = h[:length] if length <= len(h) else h + bytes(length - len(h))
    return h + bytes(-length % 4)


def ipnet_header(family, length):
    """Solaris ipnet's 24-byte header: version 1, family, hook 0, length,
    interface 2, group 0, zones 0 > 0."""
    return struct.pack(">BBHIIIII", 1, family, 0, length, 2, 0, 0, 0)


def handmade_captures():
    """Small pcap files of link types the public captures hold no TCP/UDP
    behind: a TCP handshake and a UDP exchange over Solaris ipnet (226), and
    the same over pf's log (117) with OpenBSD's and FreeBSD's headers."""
    pkts = [IP(src="192.0.2.5", dst="198.51.100.6") / TCP(sport=33000, dport=22, flags="S",
                                                          seq=100),
            IP(src="198.51.100.6", dst="192.0.2.5") / TCP(sport=22, dport=33000, flags="SA",
                                                          seq=500, ack=101),
            IP(src="192.0.2.5", dst="198.51.100.6") / TCP(sport=33000, dport=22, flags="A",
                                                          seq=101, ack=501),
            IPv6(src="2001:db8::5", dst="2001:db8::6") / UDP(sport=50000, dport=53) / b"q",
            IPv6(src="2001:db8::6", dst="2001:db8::5") / UDP(sport=53, dport=50000) / b"a"]
    files = []
    for lt, head in ((226, lambda p: ipnet_header(2 if IP in p else 26, len(p))),
                     (117, lambda p: pflog_header(100, 2) if IP in p else pflog_header(69, 28))):
        out = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, lt)
        for i, p in enumerate(pkts):
            frame = head(p) + bytes(p)
            out += struct.pack("<IIII", 1700000000 + i, 0, len(frame), len(frame)) + frame
        files.append(out)
    return files


def cmd_decode(args):
    os.makedirs(args.out, exist_ok=True)
    seen, kept, variants, others = set(), 0, 0, 0
    for name, path in captures(args.src):
        with open(path, "rb") as f:
            data = f.read()
        for i, (lt, incl, orig, frame) in enumerate(read_records(data)):
            if i >= MAX_FRAMES_PER_FILE or kept >= args.max:
                break
            if lt not in LINK_INDEX:
                continue
            pkt = dissect(lt, frame)
            if pkt is None:
                continue
            if not (TCP in pkt or UDP in pkt):
                # a few frames that are not IP at all (ARP, LLDP, ...): the
                # "unsupported" outcome needs seeds too
                key = ("other", lt, pkt.__class__.__name__, pkt.payload.__class__.__name__)
                if key not in seen and others < 8 and IP not in pkt and IPv6 not in pkt:
                    seen.add(key)
                    write(args.out, bytes([LINK_INDEX[lt]]) + frame)
                    others += 1
                continue
            key = shape(lt, pkt, incl < orig)
            if key in seen:
                continue
            seen.add(key)
            sel = LINK_INDEX[lt] | (0x10 if incl < orig else 0)
            write(args.out, bytes([sel]) + frame)
            kept += 1
            # Every tenth shape also cut short, once as a snapshot-length
            # cut (selector bit 4: the wire had more) and once as a frame
            # that really ended there: truncated versus malformed.
            if kept % 10 == 1 and len(frame) > 40:
                for cut in (len(frame) // 3, len(frame) - 1):
                    write(args.out, bytes([sel | 0x10]) + frame[:cut])
                    write(args.out, bytes([sel & 0x0f]) + frame[:cut])
                    variants += 2
        if kept >= args.max:
            break
    # One frame on a link type we do not decode (radiotap, index 14).
    write(args.out, bytes([14]) + b"\x00\x00\x08\x00" + bytes(28))
    # Link layers the public captures hold no TCP/UDP behind (or none at all).
    for lt, frame in handmade_link_frames():
        write(args.out, bytes([LINK_INDEX[lt]]) + frame)
    print(f"fuzz_seeds decode: {kept} frames of distinct shapes, {variants} cut variants, "
          f"{others} non-IP frames -> {args.out}")


def cmd_pcap(args):
    os.makedirs(args.out, exist_ok=True)
    total, picked = 0, []
    for name, path in captures(args.src):
        size = os.path.getsize(path)
        if size > args.max_file:
            continue
        with open(path, "rb") as f:
            data = f.read()
        ok = False
        for i, (lt, incl, orig, frame) in enumerate(read_records(data)):
            if i >= 50:
                break
            if lt in DECODED:
                pkt = dissect(lt, frame)
                if pkt is not None and (TCP in pkt or UDP in pkt):
                    ok = True
                    break
        if not ok or total + size > args.max_bytes:
            continue
        write(args.out, data)
        picked.append((name, data))
        total += size
    for data in handmade_captures():
        write(args.out, data)
        total += len(data)
    # Truncated variants of a handful of small files of each format.
    variants = 0
    for fmt in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x0a\x0d\x0d\x0a"):
        few = [d for _, d in picked if d[:4] == fmt and len(d) > 64][:3]
        for d in few:
            for cut in (10, 30, 40, len(d) // 2, len(d) - 1):
                if 0 < cut < len(d):
                    write(args.out, d[:cut])
                    variants += 1
                    total += cut
    print(f"fuzz_seeds pcap: {len(picked)} captures + {variants} truncated variants, "
          f"{total} bytes -> {args.out}")


# ---- fuzz_portalloc ------------------------------------------------------------
# Opcodes of harness/fuzz_portalloc.c (low 3 bits of the operation byte).
PA_CONNECT, PA_CLOSE, PA_BIND, PA_UNBIND, PA_ADVANCE, PA_QUERY, PA_CLOSE_DEAD = 0, 2, 3, 4, 5, 6, 7


def pa_config(algo, profile, size=0, low_idx=0, conns=16, veto=0, flags=1, seed=1):
    return bytes([algo, profile | (size << 2), low_idx, conns - 1, veto, flags]) + \
        struct.pack("<Q", seed)


def pa_connect(laddr=0, raddr=0, v6=False, rport=80):
    return bytes([PA_CONNECT, laddr | (raddr << 2) | (0x20 if v6 else 0)]) + struct.pack(">H", rport)


def pa_ops_mixed():
    ops = b""
    for i in range(12):
        ops += pa_connect(laddr=i & 3, raddr=i % 5, v6=i % 4 == 3, rport=80 if i % 3 else 443)
    ops += bytes([PA_CLOSE, 0]) + bytes([PA_CLOSE | 8, 1]) + bytes([PA_CLOSE, 2])
    ops += bytes([PA_QUERY]) + struct.pack(">H", 1025) + b"\x00"
    ops += bytes([PA_BIND]) + struct.pack(">H", 50000) + bytes([PA_BIND]) + struct.pack(">H", 1026)
    ops += bytes([PA_CLOSE_DEAD, 0])
    ops += bytes([PA_ADVANCE]) + struct.pack(">H", 0x8000 | 3)      # 3 s: TIME_WAIT of 1 s ends
    for i in range(6):
        ops += pa_connect(raddr=1, rport=80)
    ops += bytes([PA_UNBIND]) + struct.pack(">H", 50000) + bytes([PA_UNBIND]) + struct.pack(">H", 7)
    ops += bytes([PA_BIND]) + struct.pack(">H", 0)
    ops += bytes([PA_QUERY]) + struct.pack(">H", 50000) + b"\x03"
    return ops


def cmd_portalloc(args):
    os.makedirs(args.out, exist_ok=True)
    n = 0
    for algo in range(7):
        for profile in (1, 2, 3):
            write(args.out, pa_config(algo, profile, flags=1 | (2 << 3), seed=algo * 7 + profile) +
                  pa_ops_mixed())
            n += 1
        # a small custom range [1029, 1037[ that runs out, with a veto on port % 8 == 5
        ops = b"".join(pa_connect(rport=80) for _ in range(10))
        ops += bytes([PA_CLOSE | 8, 0]) + pa_connect(rport=80)
        write(args.out, pa_config(algo, 0, size=8, low_idx=4, conns=64, veto=0x20, seed=algo) + ops)
        # slots run out: 4 slots, 6 connects, TIME_WAIT of 240 s, expiry
        ops = b"".join(pa_connect(raddr=i, rport=53) for i in range(6))
        ops += bytes([PA_CLOSE, 0]) + pa_connect(rport=53)
        ops += bytes([PA_ADVANCE]) + struct.pack(">H", 0x8000 | 300) + pa_connect(rport=53)
        write(args.out, pa_config(algo, 2, conns=4, flags=3, seed=99 + algo) + ops)
        # a custom range ending the port space (low_idx 255: [65536 - size, 65536[):
        # [65520, 65536[ used up towards one destination, port 65535 included, one
        # port freed (abort) and taken again, then exhausted again
        ops = b"".join(pa_connect(rport=80) for _ in range(20))
        ops += bytes([PA_CLOSE | 8, 3]) + pa_connect(rport=80) + pa_connect(rport=80)
        write(args.out, pa_config(algo, 0, size=16, low_idx=255, conns=64, seed=200 + algo) + ops)
        n += 3
    write(args.out, pa_config(0, 0, size=0, low_idx=10))          # empty range: refused
    write(args.out, bytes([5]))                                    # config cut short
    n += 2
    print(f"fuzz_seeds portalloc: {n} inputs -> {args.out}")


# ---- fuzz_engine ------------------------------------------------------------------
# Bits of harness/engine_script.h.
ES_REV, ES_UDP, ES_V6, ES_REL = 0x01, 0x02, 0x04, 0x08
ES_MSS, ES_WS, ES_SACK, ES_TS = 1, 2, 4, 8
TF, TS_, TR, TP, TA = 0x01, 0x02, 0x04, 0x08, 0x10
CLOCK_ONLY, STEP_SEC, STEP_BACK = 0x8000, 0x4000, 0x8000


def es_rec(ctl=0, client=0, server=0, step=0, cport=0, sport=0, flags=0, seq=0, ack=0,
           win=65535, plen=0, opts=0, tsval=0, tsecr=0):
    body = struct.pack(">BHHHHIIHHBII", ctl | (client << 4) | (server << 6), step, cport, sport,
                       flags, seq & 0xffffffff, ack & 0xffffffff, win, plen, opts,
                       tsval & 0xffffffff, tsecr & 0xffffffff)
    assert len(body) == 30
    return bytes([len(body)]) + body


def es_cfg(msl=2, rng=1, flows=0, default_rules=False, short_idle=False):
    return bytes([msl | (rng << 2) | (flows << 4) | (0x40 if default_rules else 0) |
                  (0x80 if short_idle else 0)])


def es_conversation(v6=False, client=0, server=0, cport=49200, sport=80, isn=1000, ts=False,
                    close=True, step=1):
    """A handshake, some data, and (when close) a FIN exchange, in relative mode."""
    c = ES_REL | (ES_V6 if v6 else 0)
    o = (ES_MSS | ES_WS | ES_SACK | ES_TS) if ts else ES_MSS
    t = dict(client=client, server=server, cport=cport, sport=sport)
    tv = 100 if ts else 0
    recs = [es_rec(c, flags=TS_, seq=isn, opts=o, tsval=tv, step=step, **t),
            es_rec(c | ES_REV, flags=TS_ | TA, seq=5000, opts=o, tsval=tv, step=1, **t),
            es_rec(c, flags=TA, opts=ES_TS if ts else 0, tsval=1, step=1, **t),
            es_rec(c, flags=TP | TA, plen=100, opts=ES_TS if ts else 0, tsval=1, step=1, **t),
            es_rec(c | ES_REV, flags=TA, opts=ES_TS if ts else 0, tsval=1, step=1, **t)]
    if close:
        recs += [es_rec(c, flags=TF | TA, opts=ES_TS if ts else 0, tsval=1, step=1, **t),
                 es_rec(c | ES_REV, flags=TF | TA, opts=ES_TS if ts else 0, tsval=1, step=1, **t),
                 es_rec(c, flags=TA, opts=ES_TS if ts else 0, tsval=1, step=1, **t)]
    return b"".join(recs)


def cmd_engine(args):
    os.makedirs(args.out, exist_ok=True)
    seeds = []
    # 1. a clean conversation, v4 and v6, then the tuple reused after 2 s:
    #    ISN above the old final sequence number (allowed), then below it
    #    without timestamps (tuple.reuse-time-wait)
    for v6 in (False, True):
        s1 = es_conversation(v6=v6)
        s1 += es_rec(ES_REL | (ES_V6 if v6 else 0), step=STEP_SEC | 2, cport=49200, sport=80,
                     flags=TS_, seq=5000)
        s1 += es_conversation(v6=v6, isn=0, close=True, step=1)[31:]  # rest of the handshake
        s1 += es_rec(ES_REL | (ES_V6 if v6 else 0), step=STEP_SEC | 1, cport=49200, sport=80,
                     flags=TS_, seq=0x80000000)
        seeds.append(es_cfg() + s1)
    # 2. MSL 1 s, timestamps: reuse within TIME_WAIT with a higher TSval
    #    (RFC 6191 allows it), then after 2*MSL
    s2 = es_conversation(v6=True, ts=True)
    s2 += es_rec(ES_REL | ES_V6, step=1500, cport=49200, sport=80, flags=TS_, seq=0xfffff000,
                 opts=ES_TS, tsval=1000)
    s2 += es_rec(ES_REL | ES_V6 | ES_REV, step=10, cport=49200, sport=80, flags=TR | TA)
    s2 += es_rec(ES_REL | ES_V6, step=STEP_SEC | 3, cport=49200, sport=80, flags=TS_, seq=7)
    seeds.append(es_cfg(msl=0) + s2)
    # 3. duplicate live tuple: a new SYN with another ISN on an open connection
    s3 = es_conversation(close=False) + es_rec(ES_REL, step=5, cport=49200, sport=80, flags=TS_,
                                               seq=123456)
    seeds.append(es_cfg() + s3)
    # 4. RSTs: one far outside the window, one exactly at RCV.NXT
    s4 = es_conversation(close=False)
    s4 += es_rec(ES_REL | ES_REV, step=1, cport=49200, sport=80, flags=TR, seq=0x10000000)
    s4 += es_rec(ES_REL | ES_REV, step=1, cport=49200, sport=80, flags=TR, seq=0)
    seeds.append(es_cfg() + s4)
    # 5. mid-stream pick-up, and a flow created by a SYN+ACK
    s5 = es_rec(0, cport=50000, sport=443, flags=TP | TA, seq=77, ack=99, plen=10)
    s5 += es_rec(ES_REV, cport=50000, sport=443, flags=TA, seq=99, ack=87, step=2)
    s5 += es_rec(ES_REV, client=1, cport=50001, sport=443, flags=TS_ | TA, seq=5, ack=6, step=2)
    s5 += es_rec(0, client=1, cport=50001, sport=443, flags=TA, seq=6, ack=6, step=2)
    seeds.append(es_cfg() + s5)
    # 6. UDP: one source port towards 8 endpoints (port.fixed), replies
    s6 = b""
    for i in range(8):
        s6 += es_rec(ES_UDP, server=i % 4, cport=40000, sport=53 if i < 4 else 5353, plen=40,
                     step=3)
        s6 += es_rec(ES_UDP | ES_REV, server=i % 4, cport=40000, sport=53 if i < 4 else 5353,
                     plen=120, step=1)
    seeds.append(es_cfg(rng=2) + s6)
    # 7. a legacy allocator: consecutive source ports to different places
    #    (port.sequential, port.ephemeral-range below the linux range)
    s7 = b"".join(es_rec(ES_REL, server=i % 4, cport=1025 + i, sport=80 + i // 4, flags=TS_,
                         seq=1000 * i, step=20) for i in range(10))
    seeds.append(es_cfg(rng=1) + s7)
    # 8. flow cap 2: six UDP flows, evictions
    s8 = b"".join(es_rec(ES_UDP, client=i % 4, cport=33000 + i, sport=123, plen=48, step=1)
                  for i in range(6))
    s8 += es_rec(ES_UDP, client=0, cport=33000, sport=123, plen=48, step=1)
    seeds.append(es_cfg(flows=1) + s8)
    # 9. short idle timeouts: a UDP flow, 10 s of silence, again (expired and
    #    new); a clock-only record; an open TCP flow idle past 30 s
    s9 = es_rec(ES_UDP, cport=34000, sport=53, plen=30)
    s9 += es_rec(ES_UDP, cport=34000, sport=53, plen=30, step=STEP_SEC | 10)
    s9 += es_conversation(close=False, cport=34001)
    s9 += es_rec(0, step=STEP_SEC | 100, flags=CLOCK_ONLY)
    s9 += es_rec(ES_REL, cport=34001, sport=80, flags=TA, step=1)
    seeds.append(es_cfg(short_idle=True) + s9)
    # 10. bad flags and ports: SYN+FIN, null, FIN without ACK, SYN+RST,
    #     privileged source port, port 0, UDP to port 0
    s10 = es_rec(0, cport=1000, sport=22, flags=TS_, seq=1)
    s10 += es_rec(0, client=1, cport=50010, sport=80, flags=TS_ | TF, step=1)
    s10 += es_rec(0, client=1, cport=50011, sport=80, flags=0, step=1)
    s10 += es_rec(0, client=1, cport=50012, sport=80, flags=TF, step=1)
    s10 += es_rec(0, client=1, cport=50013, sport=80, flags=TS_ | TR, step=1)
    s10 += es_rec(0, client=2, cport=0, sport=80, flags=TS_, step=1)
    s10 += es_rec(ES_UDP, client=2, cport=5000, sport=0, plen=4, step=1)
    seeds.append(es_cfg(rng=3) + s10)
    # 11. capture times going backwards, default rules
    s11 = es_conversation(close=False, cport=45000)
    s11 += es_rec(ES_REL, cport=45000, sport=80, flags=TA, step=STEP_BACK | STEP_SEC | 5)
    s11 += es_rec(ES_REL | ES_REV, cport=45000, sport=80, flags=TA, step=STEP_BACK | 200)
    seeds.append(es_cfg(default_rules=True) + s11)
    # 12. flow cap 8, many short TCP connections from four clients (churn)
    s12 = b"".join(es_conversation(client=i % 4, cport=49152 + i, sport=443, isn=i * 7919,
                                   step=3) for i in range(12))
    seeds.append(es_cfg(flows=2, rng=2) + s12)
    # 13. closes the capture shows only in part, each tuple reused 5 s later
    #     with a lower ISN: both FINs without the last ACK (a FIN exchange:
    #     tuple.reuse-time-wait), the client's packets only (its FIN, nothing
    #     from the server), a SYN answered by two SYN+ACKs and no ACK (an
    #     attempt, not a live connection)
    rec = 31
    s13 = es_conversation(cport=49400)[:-rec]
    s13 += es_rec(ES_REL, step=STEP_SEC | 5, cport=49400, sport=80, flags=TS_, seq=0x80000000)
    one = es_conversation(cport=49401)
    s13 += b"".join(one[i:i + rec] for i in range(0, len(one), rec) if not one[i + 1] & ES_REV)
    s13 += es_rec(ES_REL, step=STEP_SEC | 5, cport=49401, sport=80, flags=TS_, seq=0x80000000)
    s13 += es_rec(ES_REL, step=1, cport=49402, sport=80, flags=TS_, seq=1000)
    s13 += es_rec(ES_REL | ES_REV, step=1, cport=49402, sport=80, flags=TS_ | TA, seq=5000)
    s13 += es_rec(ES_REL | ES_REV, step=STEP_SEC | 1, cport=49402, sport=80, flags=TS_ | TA,
                  seq=0xffffffff)
    s13 += es_rec(ES_REL, step=STEP_SEC | 5, cport=49402, sport=80, flags=TS_, seq=0x80000000)
    seeds.append(es_cfg() + s13)
    for blob in seeds:
        write(args.out, blob)
    write(args.out, b"")            # no configuration byte at all
    write(args.out, b"\x00\x05\x00")  # a record cut short
    print(f"fuzz_seeds engine: {len(seeds) + 2} scripts -> {args.out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("decode")
    d.add_argument("src")
    d.add_argument("out")
    d.add_argument("--max", type=int, default=400)
    p = sub.add_parser("pcap")
    p.add_argument("src")
    p.add_argument("out")
    p.add_argument("--max-bytes", type=int, default=1500000)
    p.add_argument("--max-file", type=int, default=65536)
    q = sub.add_parser("portalloc")
    q.add_argument("out")
    e = sub.add_parser("engine")
    e.add_argument("out")
    args = ap.parse_args()
    {"decode": cmd_decode, "pcap": cmd_pcap, "portalloc": cmd_portalloc,
     "engine": cmd_engine}[args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
