#!/usr/bin/env bash
# t_fragments.sh - IP fragments: the first fragment (offset 0) carries the
# transport header, so it counts as the datagram or segment; later
# fragments carry no ports and are not tracked. Captures are built with
# scapy (fragment()/fragment6()):
#  - a DNS query from 10.0.0.1:40000 to 10.0.0.2:53, fragmented (a large
#    EDNS query), then its unfragmented answer: the client is the
#    initiator, so --profile linux raises no port.ephemeral-range (the old
#    engine dropped the query and took the server for the initiator of a
#    flow from port 53);
#  - the same over IPv6;
#  - a small query answered by a fragmented 3000-byte response: the flow
#    has one packet each way, and the response's bytes are the datagram's
#    (the UDP length), as tshark counts the reassembled datagram.
# Each flow's packet counts are compared with tshark's conversation table
# (which reassembles: one frame per datagram).
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
PY=/usr/bin/python3
[ -x "$TC" ] || { echo "missing $TC (make asan)"; exit 1; }
$PY -c 'import scapy.all' 2>/dev/null || { echo "SKIP: python3-scapy not installed"; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: tshark not installed (scripts/deps.sh installs it)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

$PY - "$tmp" <<'PY'
import sys
from scapy.all import Ether, IP, IPv6, IPv6ExtHdrFragment, UDP, Raw, fragment, fragment6, wrpcap
tmp = sys.argv[1]
E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
t = 1700000000.0

def stamp(pkts, t0):
    for i, p in enumerate(pkts):
        p.time = t0 + i * 0.001
    return pkts

q = E / IP(src="10.0.0.1", dst="10.0.0.2", id=7) / UDP(sport=40000, dport=53) / Raw(b"q" * 2000)
a = E / IP(src="10.0.0.2", dst="10.0.0.1", id=8) / UDP(sport=53, dport=40000) / Raw(b"a" * 100)
wrpcap(tmp + "/v4_query.pcap", stamp(fragment(q, fragsize=1000) + [a], t))

q6 = (E / IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(id=9) /
      UDP(sport=40000, dport=53) / Raw(b"q" * 2000))
a6 = E / IPv6(src="2001:db8::2", dst="2001:db8::1") / UDP(sport=53, dport=40000) / Raw(b"a" * 100)
wrpcap(tmp + "/v6_query.pcap", stamp(fragment6(q6, 1280) + [a6], t))

q = E / IP(src="10.0.0.1", dst="10.0.0.2", id=10) / UDP(sport=40001, dport=53) / Raw(b"q" * 40)
a = E / IP(src="10.0.0.2", dst="10.0.0.1", id=11) / UDP(sport=53, dport=40001) / Raw(b"a" * 3000)
wrpcap(tmp + "/v4_answer.pcap", stamp([q] + fragment(a, fragsize=1200), t))
PY

# check NAME ORIG_PKTS RESP_PKTS RESP_BYTES INITIATOR:SPORT DPORT
check() {
	local f="$tmp/$1.pcap" got want
	got=$("$TC" flows --format jsonl "$f" | jq -r 'select(.type=="flow") |
		"\(.src):\(.sport) \(.dport) \(.orig_pkts) \(.resp_pkts) \(.resp_bytes)"')
	want="$5 $6 $2 $3 $4"
	if [ "$got" != "$want" ]; then
		echo "FAIL $1: flow '$got', want '$want' (initiator:sport dport orig resp resp_bytes)"; fail=1; return
	fi
	# tshark reassembles: its conversation table has one frame per datagram
	local conv
	conv=$(tshark -r "$f" -q -z conv,udp 2>/dev/null | awk '$2 == "<->" { print $10 }')   # total frames
	if [ "$conv" != "$(( $2 + $3 ))" ]; then
		echo "FAIL $1: tshark counts ${conv:-no} datagrams, the flow $(( $2 + $3 ))"; fail=1; return
	fi
	if "$TC" replay --profile linux --format jsonl "$f" | grep -q '"rule":"port.ephemeral-range"'; then
		echo "FAIL $1: port.ephemeral-range raised (the server taken for the initiator)"; fail=1; return
	fi
	echo "ok   $1: $got"
}
check v4_query 1 1 100 10.0.0.1:40000 53
check v6_query 1 1 100 2001:db8::1:40000 53
check v4_answer 1 1 3000 10.0.0.1:40001 53
exit $fail
