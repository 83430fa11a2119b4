import sys; sys.path.insert(0,'.')
from mk import *
from mk import _blk
import struct
C,S="192.0.2.1","198.51.100.2"
def spb(b, e="<"):
    return _blk(3, struct.pack(e+"I", len(b)) + b, e)
d = shb() + idb()
for b in conn(C,40000,S,80,100000,500000):
    d += spb(b)
d += spb(tcp(C,40000,S,80,"S",5000))
open("spb_reuse.pcapng","wb").write(d)
