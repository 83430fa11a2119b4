from scapy.all import *
C,S="192.0.2.1","198.51.100.2"
def t(src,dst,sp,dp,fl,seq,ack,ts):
    p=Ether()/IP(src=src,dst=dst)/TCP(sport=sp,dport=dp,flags=fl,seq=seq,ack=ack)
    p.time=ts; return p
def conn(base, isn):
    return [t(C,S,40000,80,'S',isn,0,base), t(S,C,80,40000,'SA',500000,isn+1,base+.001),
     t(C,S,40000,80,'A',isn+1,500001,base+.002), t(C,S,40000,80,'FA',isn+1,500001,base+.003),
     t(S,C,80,40000,'FA',500001,isn+2,base+.004), t(C,S,40000,80,'A',isn+2,500002,base+.005)]
# later capture (1 h later) concatenated first, then the earlier capture whose connection used a lower ISN
wrpcap("mergecap_a_syn_before.pcap", conn(1700003600, 900000)+conn(1700000000, 5000))
