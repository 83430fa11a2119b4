import sys; sys.path.insert(0,'.')
from mk import *
from fractions import Fraction as F
C,S="192.0.2.1","198.51.100.2"
T0=1700000000
# 1) one bogus packet stamped 10 years ahead, then two connections on one tuple 300 s apart
recs=[(T0+10*365*86400, udp("10.9.9.9",5353,"10.9.9.8",5353))]
for k,(base,isn) in enumerate([(T0,100000),(T0+300,5000)]):
    recs += [(base+F(i,1000),b) for i,b in enumerate(conn(C,40000,S,80,isn,500000+k))]
write_pcap("jump_then_reuse.pcap", recs)
# 2) mergecap -a style: capture B (later, 12:00) then capture A (earlier, 11:00) ; A reuses tuple after 300 s
recs=[(T0+3600+F(i,1000),b) for i,b in enumerate(conn("10.0.0.5",1234,S,443,1,2))]
for k,(base,isn) in enumerate([(T0,100000),(T0+300,5000)]):
    recs += [(base+F(i,1000),b) for i,b in enumerate(conn(C,40000,S,80,isn,500000+k))]
write_pcap("concat_reuse.pcap", recs)
