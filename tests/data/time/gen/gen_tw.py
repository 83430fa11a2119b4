from scapy.all import *
C,S="192.0.2.1","198.51.100.2"
def t(src,dst,sp,dp,fl,seq,ack,ts):
    p=Ether()/IP(src=src,dst=dst)/TCP(sport=sp,dport=dp,flags=fl,seq=seq,ack=ack)
    p.time=ts; return p
def conn(base, isn=100000):
    return [t(C,S,40000,80,'S',isn,0,base), t(S,C,80,40000,'SA',500000,isn+1,base+.001),
     t(C,S,40000,80,'A',isn+1,500001,base+.002), t(C,S,40000,80,'FA',isn+1,500001,base+.003),
     t(S,C,80,40000,'FA',500001,isn+2,base+.004), t(C,S,40000,80,'A',isn+2,500002,base+.005)]
B=1700000100
# FIN retransmit stamped before the close (out of order), SYN 30 s after the real close
p=conn(B)+[t(S,C,80,40000,'FA',500001,100002,B-90), t(C,S,40000,80,'S',5000,0,B+30)]
wrpcap("tw_backwards.pcap",p)
# control: no retransmit
wrpcap("tw_control.pcap",conn(B)+[t(C,S,40000,80,'S',5000,0,B+30)])
