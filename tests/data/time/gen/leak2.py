import sys; sys.path.insert(0,'.')
from mk import *
from fractions import Fraction as F
C,S="192.0.2.1","198.51.100.2"
T0=1700000000
write_pcap("future_only.pcap", [(T0+10*365*86400, udp("10.9.9.9",5353,"10.9.9.8",5353))])
recs=[]
for k,(base,isn) in enumerate([(T0,100000),(T0+300,5000)]):
    recs += [(base+F(i,1000),b) for i,b in enumerate(conn(C,40000,S,80,isn,500000+k))]
write_pcap("reuse_300s.pcap", recs)
