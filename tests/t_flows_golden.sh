#!/usr/bin/env bash
# t_flows_golden.sh - `tuplecheck flows` on the engine's scenario captures
# (corpus/flows/, made by scripts/gen_flow_pcaps.py) and the captures of
# tests/data/flows/ (made by the scapy script beside each: text_columns.pcap,
# a duration that borrows a second and a frames column wider than its
# heading) against reviewed expected output in
# tests/golden/flows/<capture>.jsonl and .txt.
#
# Each expected file was checked by hand against the capture: the stream
# split of every reused tuple (which tests/t_tshark_streams.sh also checks
# against tshark), Zeek's conn_state and history letters, packet and payload
# byte counts per direction, the initiator (SYN sender, SYN+ACK receiver,
# first sender mid-stream, the old server when it opens back), times when
# packets are stamped out of order, the UDP idle split.
# Records come in the order flows end (oracle/cmd_flows.c: timeout,
# eviction, replacement by a new incarnation, then the rest at the end of
# the file in order of first appearance), so the expected files pin that
# order too (reverse.pcap: stream 2 is replaced by stream 3 at frame 12,
# before stream 1 is flushed).
# Output must also be identical under --seed 1, --seed 987654321 and no
# --seed (a random hash key): nothing printed may depend on the key,
# including the order.
# To accept a deliberate change: rerun with UPDATE=1 and review the diff.
# Exit 0 pass, 1 fail, 77 skip.
set -u
cd "$(dirname "$0")/.."
bin=${TC_BIN:-build/asan/tuplecheck}
if [ ! -x "$bin" ]; then
	echo "skip: $bin not built"
	exit 77
fi
fail=0
n=0
for pcap in corpus/flows/*.pcap tests/data/flows/*.pcap; do
	b=$(basename "$pcap" .pcap)
	for fmt in jsonl txt; do
		args=(--seed 1)
		[ "$fmt" = jsonl ] && args+=(--format jsonl)
		want=tests/golden/flows/$b.$fmt
		got=$("$bin" flows "${args[@]}" "$pcap" 2>&1)
		rc=$?
		if [ $rc -ne 0 ]; then
			echo "FAIL $pcap ($fmt): exit $rc"; echo "$got" | tail -5; fail=1; continue
		fi
		if [ "${UPDATE:-0}" = 1 ]; then
			printf '%s\n' "$got" > "$want"
		elif ! diff -u "$want" <(printf '%s\n' "$got") > /tmp/t_flows_golden.$$; then
			echo "FAIL $pcap ($fmt) differs from $want:"; head -40 /tmp/t_flows_golden.$$; fail=1
		fi
		rm -f /tmp/t_flows_golden.$$
		n=$((n + 1))
	done
	a=$("$bin" flows --format jsonl --seed 1 "$pcap")
	for s in "--seed 987654321" ""; do
		c=$("$bin" flows --format jsonl $s "$pcap")
		if [ "$a" != "$c" ]; then
			echo "FAIL $pcap: output differs between --seed 1 and '${s:-random key}'"; fail=1
		fi
	done
done
echo "flows golden: $n outputs compared, key independence checked on $(ls corpus/flows/*.pcap tests/data/flows/*.pcap | wc -l) captures"

# --max-flows: 5000 SYNs on 5000 tuples within 50 ms (gen_pcap synflood; no
# timeout passes), room for 1000 live flows: every flow after the 1000th
# evicts one, so the summary says 5000 flows, 4000 evicted.
genpcap=build/bench/gen_pcap
[ -x "$genpcap" ] || make --no-print-directory "$genpcap" >/dev/null 2>&1 || { echo "FAIL: $genpcap cannot be built"; exit 1; }
syn=$(mktemp)
nice "$genpcap" synflood --packets 5000 --seed 4 "$syn" 2>/dev/null || { rm -f "$syn"; echo "FAIL gen_pcap"; exit 1; }
sum=$("$bin" flows --format jsonl --seed 1 --max-flows 1000 "$syn" | tail -n 1 | jq -c '[.flows, .evicted]')
rm -f "$syn"
if [ "$sum" != "[5000,4000]" ]; then
	echo "FAIL --max-flows 1000 on 5000 SYNs: summary [flows, evicted] $sum, want [5000,4000]"; fail=1
else
	echo "--max-flows 1000 on 5000 SYNs: 5000 flows, 4000 evicted"
fi
# Zeek's c/C for a bad checksum only when that protocol's rule is on:
# bad_checksums.pcap has one wrong IPv4, TCP and UDP checksum each, and a
# rule for one of them must not mark the others' connections.
cs=corpus/pcaps/bad_checksums.pcap
for case in "+ip.bad-checksum:" "+tcp.bad-checksum:tcp" "+udp.bad-checksum:udp" \
	    "+ip.bad-checksum,+tcp.bad-checksum,+udp.bad-checksum:tcp udp" "-ip.bad-checksum:"; do
	rules=${case%%:*} want=${case#*:}
	got=$("$bin" flows --format jsonl --rules "$rules" "$cs" |
		jq -r 'select(.proto and (.history | test("C";"i"))) | .proto' | sort | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" != "$want" ]; then
		echo "FAIL flows --rules $rules $cs: c/C in the history of '$got', want '$want'"; fail=1
	fi
done
exit $fail
