#!/usr/bin/python3
# helpers: build packets with scapy, write pcap/pcapng by hand with exact timestamps
import logging, struct, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, IPv6, TCP, UDP, Raw

def eth(p):
    return bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/p)

def tcp(src, sport, dst, dport, flags, seq=0, ack=0, opts=None, payload=b""):
    t = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=65535)
    if opts: t.options = opts
    return eth(IP(src=src, dst=dst)/t/Raw(payload) if payload else IP(src=src, dst=dst)/t)

def udp(src, sport, dst, dport, payload=b"x"):
    return eth(IP(src=src, dst=dst)/UDP(sport=sport, dport=dport)/Raw(payload))

def conn(c, cp, s, sp, isn_c, isn_s, data=b"", close=True):
    """list of frames for a full TCP connection (no times)"""
    fr = [tcp(c,cp,s,sp,"S",isn_c), tcp(s,sp,c,cp,"SA",isn_s,isn_c+1),
          tcp(c,cp,s,sp,"A",isn_c+1,isn_s+1)]
    n = len(data)
    if data:
        fr.append(tcp(c,cp,s,sp,"PA",isn_c+1,isn_s+1,payload=data))
        fr.append(tcp(s,sp,c,cp,"A",isn_s+1,isn_c+1+n))
    if close:
        fr += [tcp(c,cp,s,sp,"FA",isn_c+1+n,isn_s+1), tcp(s,sp,c,cp,"FA",isn_s+1,isn_c+2+n),
               tcp(c,cp,s,sp,"A",isn_c+2+n,isn_s+2)]
    return fr

def write_pcap(path, recs, nano=False, linktype=1, big=False, raw_ts=False):
    """recs: list of (t, bytes); t float/int seconds or (sec, frac) raw when raw_ts"""
    e = ">" if big else "<"
    magic = 0xa1b23c4d if nano else 0xa1b2c3d4
    out = struct.pack(e+"IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)
    for t, b in recs:
        if raw_ts:
            sec, frac = t
        else:
            from fractions import Fraction
            T = Fraction(t) if not isinstance(t, Fraction) else t
            import math
            sec = math.floor(T); frac = int((T - sec) * (10**9 if nano else 10**6))
        out += struct.pack(e+"IIII", sec & 0xffffffff, frac, len(b), len(b)) + b
    open(path, "wb").write(out)

def _blk(btype, body, e="<"):
    pad = (-len(body)) % 4
    body += b"\0"*pad
    L = 12 + len(body)
    return struct.pack(e+"II", btype, L) + body + struct.pack(e+"I", L)

def _opt(code, val, e="<"):
    return struct.pack(e+"HH", code, len(val)) + val + b"\0"*((-len(val)) % 4)

def shb(e="<"):
    return _blk(0x0A0D0D0A, struct.pack(e+"IHHq", 0x1A2B3C4D, 1, 0, -1), e)

def idb(linktype=1, tsresol=None, tsoffset=None, e="<"):
    body = struct.pack(e+"HHI", linktype, 0, 262144)
    opts = b""
    if tsresol is not None: opts += _opt(9, bytes([tsresol]), e)
    if tsoffset is not None: opts += _opt(14, struct.pack(e+"q", tsoffset), e)
    if opts: opts += _opt(0, b"", e)
    return _blk(1, body + opts, e)

def epb(ifid, ts_units, b, e="<"):
    hi, lo = (ts_units >> 32) & 0xffffffff, ts_units & 0xffffffff
    return _blk(6, struct.pack(e+"IIIII", ifid, hi, lo, len(b), len(b)) + b, e)
