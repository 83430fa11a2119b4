import sys; sys.path.insert(0,'.')
from mk import *
from fractions import Fraction as F
C,S="192.0.2.1","198.51.100.2"
T0=1700000000
fr=conn(C,40000,S,80,100000,500000)  # S SA A FA FA A ; client active closer
recs=[(T0+F(i,1000),b) for i,b in enumerate(fr)]
# server retransmits its FIN 100 s later (client's last ACK lost); client ACKs again -> TIME-WAIT restarts (RFC 9293 3.10.7.4)
recs.append((T0+100, fr[4]))
recs.append((T0+100+F(1,1000), fr[5]))
# new SYN with lower ISN 150 s after the first close, 50 s after the restart
recs.append((T0+150, tcp(C,40000,S,80,"S",5000)))
write_pcap("tw_restart.pcap", recs)
