import sys; sys.path.insert(0,'.')
from mk import *
from fractions import Fraction as F
C,S="192.0.2.1","198.51.100.2"
T0=1700000000
recs=[(T0+F(k,100), udp(C,10000+k,S,53)) for k in range(10)]
recs.append((T0+100, udp(C,20000,S,53)))
write_pcap("reap10.pcap", recs)
# order across lists
recs=[(T0, udp(C,30000,S,53))]
recs += [(T0+1+F(i,1000),b) for i,b in enumerate(conn(C,40000,S,80,1,2))]
recs += [(T0+2, udp(C,30001,S,53))]
recs += [(T0+100, udp(C,30002,S,53))]
write_pcap("reap_order.pcap", recs)
