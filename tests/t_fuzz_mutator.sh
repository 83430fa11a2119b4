#!/usr/bin/env bash
# t_fuzz_mutator.sh - the custom mutators keep structure: applied 20 times
# to every seed (fixed PRNG seeds, the mutators' own byte havoc standing in
# for LLVMFuzzerMutate), through build/fuzz/repro/mutcheck:
#   pcap:   at least 80 % of the results open and read to a clean end (plain
#           byte mutation of the same seeds: measured around 40 %), and
#           mut_fix_ip repairs every scrambled IPv4 and IPv6 TCP/UDP packet
#           of the corpus (lengths, TCP data offset, checksums) to one that
#           decodes cleanly, takes the lengths from the wire when the last
#           byte is not captured, and leaves a first fragment's transport
#           header alone; mut_l3_offset finds the IP header wherever the
#           decoder does (tests/data/mutator adds big-endian loopback); at
#           most half as many results as with byte mutation gain a packet
#           with a wrong checksum (9 in 10 mutations are fixed), and at most
#           4 % a record captured longer than it was on the wire (the one
#           mutation meant to do that is about 2 % of the results); no
#           result of a pcapng seed starts with a block other than the
#           Section Header Block (records are deleted, moved and swapped,
#           never the section header and never to before it; 200 rounds of
#           the pcapng seeds alone make that reachable often enough to see);
#   engine: at least 85 % of the results re-encode byte for byte (framing
#           intact; 1 call in 10 is raw chaos on purpose), against at most
#           20 % for plain byte mutation; record deletion (one record fewer,
#           about 6 % by design) and handshake insertion (SYN, SYN+ACK the
#           other way, ACK: about 2 %) each show in at least 1 % and 0.5 %;
#   nothing is ever longer than the fuzzer's -max_len.
# Then the script format fuzz_engine and the engine mutator rely on
# (harness/engine_script.h) is held to its documentation: hand-written
# scripts played through `mutcheck play` must give the frames and times the
# header promises (configuration byte, direction bit, hosts, clock steps in
# ms and s, backwards and clamped at the start, relative sequence numbers
# counting SYN, data and FIN per direction, a body longer than 30 bytes
# skipped, a last record cut short still played, es_encode/es_next giving a
# record back, relative-mode memory forgetting the least recently used
# tuple first).
set -u
cd "$(dirname "$0")/.."
bin=build/fuzz/repro/mutcheck
if [ ! -x "$bin" ]; then
	echo "FAIL: $bin is missing (make fuzz-repro)"
	exit 1
fi
fail=0
get() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=\([0-9]*\)$/\1/p"; }
pct() { echo $(( $1 * 100 / ($2 > 0 ? $2 : 1) )); }

out=$("$bin" pcap 20 corpus/fuzz_pcap tests/data/mutator) || { echo "FAIL: mutcheck pcap exited $?"; exit 1; }
echo "$out"
n=$(get "$out" outputs); ok=$(get "$out" ok); raw=$(get "$out" raw_ok)
fx=$(get "$out" fixed); fxok=$(get "$out" fixed_ok); long=$(get "$out" too_long)
[ "${n:-0}" -ge 1000 ] || { echo "FAIL: pcap: only ${n:-0} mutations made"; fail=1; }
[ "$(pct "$ok" "$n")" -ge 80 ] || { echo "FAIL: pcap: $ok of $n mutated files read cleanly"; fail=1; }
[ "$ok" -gt $((raw * 3 / 2)) ] || { echo "FAIL: pcap: mutator $ok, byte mutation $raw clean files"; fail=1; }
[ "${fx:-0}" -ge 1000 ] && [ "$fxok" -eq "$fx" ] || { echo "FAIL: pcap: mut_fix_ip repaired $fxok of $fx packets"; fail=1; }
[ "$long" -eq 0 ] || { echo "FAIL: pcap: $long results over -max_len"; fail=1; }
fx6=$(get "$out" fixed6); snap=$(get "$out" snapped_ok); fr=$(get "$out" frag); frok=$(get "$out" frag_ok)
l3s=$(get "$out" l3_seen); l3ok=$(get "$out" l3_ok); cb=$(get "$out" csum_broken)
rcb=$(get "$out" raw_csum_broken); osh=$(get "$out" orig_shortened)
[ "${fx6:-0}" -ge 100 ] || { echo "FAIL: pcap: only ${fx6:-0} IPv6 packets for mut_fix_ip"; fail=1; }
[ "$snap" -eq "$fx" ] || { echo "FAIL: pcap: mut_fix_ip took the wire lengths in $snap of $fx snapped packets"; fail=1; }
[ "${fr:-0}" -ge 1000 ] && [ "$frok" -eq "$fr" ] || { echo "FAIL: pcap: mut_fix_ip left $frok of $fr first fragments' transport headers alone"; fail=1; }
[ "${l3s:-0}" -ge 1000 ] && [ "$l3ok" -eq "$l3s" ] || { echo "FAIL: pcap: mut_l3_offset agreed with the decoder on $l3ok of $l3s IP packets"; fail=1; }
[ $((cb * 2)) -le "$rcb" ] || { echo "FAIL: pcap: $cb results gained a wrong checksum (byte mutation: $rcb)"; fail=1; }
[ "$(pct "$osh" "$n")" -le 4 ] || { echo "FAIL: pcap: $osh of $n results gained a record longer than its original length"; fail=1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ngdir=$tmp/pcapng
mkdir "$ngdir"
for f in corpus/fuzz_pcap/* tests/data/mutator/*; do
	[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 0a0d0d0a ] && cp "$f" "$ngdir/"
done
ngout=$("$bin" pcap 200 "$ngdir") || { echo "FAIL: mutcheck pcap (pcapng seeds) exited $?"; exit 1; }
ngn=$(get "$ngout" outputs); lost=$(($(get "$out" lost_shb) + $(get "$ngout" lost_shb)))
[ "${ngn:-0}" -ge 1000 ] || { echo "FAIL: pcap: only ${ngn:-0} mutations of pcapng seeds"; fail=1; }
[ "$lost" -eq 0 ] || { echo "FAIL: pcap: $lost results of pcapng seeds no longer start with their section header"; fail=1; }

out=$("$bin" engine 20 corpus/fuzz_engine) || { echo "FAIL: mutcheck engine exited $?"; exit 1; }
echo "$out"
n=$(get "$out" outputs); ok=$(get "$out" ok); raw=$(get "$out" raw_ok); long=$(get "$out" too_long)
[ "${n:-0}" -ge 1000 ] || { echo "FAIL: engine: only ${n:-0} mutations made"; fail=1; }
[ "$(pct "$ok" "$n")" -ge 85 ] || { echo "FAIL: engine: $ok of $n mutated scripts keep their framing"; fail=1; }
[ "$(pct "$raw" "$n")" -le 20 ] || { echo "FAIL: engine: byte mutation kept framing $raw of $n times (the comparison is meaningless)"; fail=1; }
[ "$long" -eq 0 ] || { echo "FAIL: engine: $long results over -max_len"; fail=1; }
del=$(get "$out" deleted); hs=$(get "$out" handshakes)
[ $((del * 100)) -ge "$n" ] || { echo "FAIL: engine: a record deleted in only $del of $n results"; fail=1; }
[ $((hs * 200)) -ge "$n" ] || { echo "FAIL: engine: a handshake inserted in only $hs of $n results"; fail=1; }

/usr/bin/python3 - "$tmp" <<'PY'
import struct, sys
def rec(ctl, step, cport, sport, flags, seq=0, ack=0, win=0, plen=0):
    b = struct.pack('>BHHHHIIHHBII', ctl, step, cport, sport, flags, seq, ack, win, plen, 0, 0, 0)
    return bytes([len(b)]) + b
# 0xed: MSL 30 s, bsd-legacy range, cap 8 flows, SPEC default rules, short
# idle timeouts. Client host 1, server host 2 (ctl 0x90), relative mode.
s = bytes([0xed])
s += rec(0x98, 0, 40000, 80, 0x002, seq=1000, win=65535)      # SYN, seq offset from 0
s += rec(0x99, 5, 40000, 80, 0x012, seq=5000, win=1000)        # +5 ms, reply direction
s += rec(0x98, 0x4002, 40000, 80, 0x010, win=500, plen=100)    # +2 s, 100 bytes of data
s += rec(0x98, 0, 40000, 80, 0x011, win=500)                   # FIN
s += rec(0x99, 0, 40000, 80, 0x011, win=1000)                  # FIN back: acks the FIN
s += rec(0, 0xc003, 0, 0, 0x8000)                              # clock only, 3 s back
b = rec(0x02, 0x4001, 5353, 53, 0, plen=12)                    # UDP, body of 32 bytes
s += bytes([32]) + b[1:] + b'\xff\xff'
s += rec(0x03, 1, 5353, 53, 0)                                 # UDP reply, absolute
s += rec(0x02, 2, 1234, 53, 0)[:8]                             # cut after the server port
open(sys.argv[1] + '/s1', 'wb').write(s)
# 17 tuples: the sixteen remembered ones are the most recently used.
s = bytes([0])
s += rec(0x08, 0, 1, 80, 0x002, seq=100)
for p in range(2, 17):
    s += rec(0x08, 0, p, 80, 0x002)
s += rec(0x08, 0, 1, 80, 0x010)           # tuple 1 used again: now the newest
s += rec(0x08, 0, 17, 80, 0x002)          # a 17th tuple: port 2's memory goes
s += rec(0x08, 0, 1, 80, 0x010)           # tuple 1 still continues from 101
s += rec(0x08, 0, 2, 80, 0x010)           # port 2 starts again from 0
open(sys.argv[1] + '/s2', 'wb').write(s)
PY
cat >"$tmp/want1" <<'EOF'
config msl=30 range=1024-5000 flows=8 defaults=1 idle=30/5
1700000000.000000000 tcp 192.0.2.11.40000 > 198.51.100.22.80 flags=0x002 seq=1000 ack=0 win=65535 len=0
1700000000.005000000 tcp 198.51.100.22.80 > 192.0.2.11.40000 flags=0x012 seq=5000 ack=1001 win=1000 len=0
1700000002.005000000 tcp 192.0.2.11.40000 > 198.51.100.22.80 flags=0x010 seq=1001 ack=5001 win=500 len=100
1700000002.005000000 tcp 192.0.2.11.40000 > 198.51.100.22.80 flags=0x011 seq=1101 ack=5001 win=500 len=0
1700000002.005000000 tcp 198.51.100.22.80 > 192.0.2.11.40000 flags=0x011 seq=5001 ack=1102 win=1000 len=0
1700000000.000000000 clock
1700000001.000000000 udp 192.0.2.10.5353 > 198.51.100.20.53 flags=0x000 seq=0 ack=0 win=0 len=12
1700000001.001000000 udp 198.51.100.20.53 > 192.0.2.10.5353 flags=0x000 seq=0 ack=0 win=0 len=0
1700000001.003000000 udp 192.0.2.10.1234 > 198.51.100.20.53 flags=0x000 seq=0 ack=0 win=0 len=0
EOF
"$bin" play "$tmp/s1" >"$tmp/got1" 2>&1
if ! diff -u "$tmp/want1" "$tmp/got1" >"$tmp/d1"; then
	echo "FAIL: engine script: played differently from engine_script.h:"; sed 's/^/    | /' "$tmp/d1"; fail=1
fi
"$bin" play "$tmp/s2" >"$tmp/got2" 2>&1
got=$(tail -n 2 "$tmp/got2" | sed 's/.*\.\([0-9]*\) > .* seq=\([0-9]*\) .*/\1:\2/' | tr '\n' ' ')
if [ "$(wc -l <"$tmp/got2")" -ne 21 ] || [ "$got" != "1:101 2:0 " ] || grep -q mismatch "$tmp/got2"; then
	echo "FAIL: engine script: relative-mode memory after 17 tuples (port:seq) '$got', want '1:101 2:0 '"
	sed 's/^/    | /' "$tmp/got2"; fail=1
fi
[ $fail -eq 0 ] && echo "ok   engine script: hand-written scripts play as engine_script.h documents"
exit $fail
