#!/usr/bin/env bash
# t_gen_pcap.sh - the benchmark capture generator (bench/gen_pcap.c) makes
# what it promises, on small instances of both modes:
#   - the same arguments give the same bytes, another seed other bytes;
#   - exactly --packets records, read to a clean end by libpcap and by our
#     reader alike (pcapcmp);
#   - tshark finds no malformed packet and no bad IPv4/TCP/UDP checksum;
#   - mixed: --conns TCP connections (tshark tcp.stream), each starting with
#     a SYN; UDP and IPv6 shares near the requested 10 %;
#   - synflood: only SYNs, every 5-tuple distinct.
set -u
cd "$(dirname "$0")/.."
gen=build/bench/gen_pcap
cmp_tool=build/asan/tools/pcapcmp
for t in "$gen" "$cmp_tool"; do
	[ -x "$t" ] || { echo "skip: $t is not built (make asan build/bench/gen_pcap)"; exit 77; }
done
command -v tshark >/dev/null || { echo "skip: tshark is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {   # description, condition (evaluated)
	if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}
ts() { tshark -n -r "$@" 2>/dev/null; }

N=20000 C=1000
$gen mixed --packets $N --conns $C --clients 50 --concurrency 100 --seed 7 "$tmp/a.pcap" 2>/dev/null
$gen mixed --packets $N --conns $C --clients 50 --concurrency 100 --seed 7 "$tmp/b.pcap" 2>/dev/null
$gen mixed --packets $N --conns $C --clients 50 --concurrency 100 --seed 8 "$tmp/c.pcap" 2>/dev/null
check "mixed: same seed, same bytes" "cmp -s '$tmp/a.pcap' '$tmp/b.pcap'"
check "mixed: other seed, other bytes" "! cmp -s '$tmp/a.pcap' '$tmp/c.pcap'"
out=$($cmp_tool "$tmp/a.pcap")
check "mixed: $N records, libpcap and our reader agree ($out)" "[[ '$out' == 'OK $N records, both end cleanly' ]]"

bad=$(ts "$tmp/a.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	-o udp.check_checksum:TRUE \
	-Y '_ws.malformed || ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0' | wc -l)
check "mixed: no malformed packet or bad checksum (tshark: $bad)" "[ $bad -eq 0 ]"
streams=$(ts "$tmp/a.pcap" -Y tcp -T fields -e tcp.stream | sort -un | wc -l)
syns=$(ts "$tmp/a.pcap" -Y 'tcp.flags == 0x002' | wc -l)
check "mixed: $C TCP connections (tcp.stream: $streams, SYNs: $syns)" "[ $streams -eq $C ] && [ $syns -eq $C ]"
udp=$(ts "$tmp/a.pcap" -Y udp | wc -l)
v6=$(ts "$tmp/a.pcap" -Y ipv6 | wc -l)
check "mixed: UDP share near 10 % ($udp of $N)" "[ $udp -ge $((N * 7 / 100)) ] && [ $udp -le $((N * 13 / 100)) ]"
check "mixed: IPv6 share near 10 % ($v6 of $N)" "[ $v6 -ge $((N * 5 / 100)) ] && [ $v6 -le $((N * 15 / 100)) ]"

S=5000
$gen synflood --packets $S --v6-pct 20 --seed 3 "$tmp/s.pcap" 2>/dev/null
out=$($cmp_tool "$tmp/s.pcap")
check "synflood: $S records, libpcap and our reader agree ($out)" "[[ '$out' == 'OK $S records, both end cleanly' ]]"
nonsyn=$(ts "$tmp/s.pcap" -Y 'tcp.flags != 0x002 || _ws.malformed || ip.checksum.status == 0 || tcp.checksum.status == 0' \
	-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE | wc -l)
check "synflood: only SYNs, no malformed packet or bad checksum ($nonsyn others)" "[ $nonsyn -eq 0 ]"
tuples=$(ts "$tmp/s.pcap" -T fields -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport | sort -u | wc -l)
check "synflood: $S distinct 5-tuples ($tuples)" "[ $tuples -eq $S ]"
exit $fail
