import sys; sys.path.insert(0,'.')
from mk import *
C,S="192.0.2.1","198.51.100.2"
fr=conn(C,40000,S,80,100000,500000)
recs=[((0xFFFFFFFF,999990+i),b) for i,b in enumerate(fr[:4])]+[((0,i),b) for i,b in enumerate(fr[4:])]
recs += [((0x80000000,5),udp(C,1,S,2)), ((0,0),udp(C,3,S,4)), ((0x7fffffff,999999),udp(C,5,S,6)), ((5,1999999),udp(C,7,S,8))]
write_pcap("wrap32.pcap", recs, raw_ts=True)
