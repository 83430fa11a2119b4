#!/usr/bin/env bash
# t_time.sh - capture times that do not simply grow (reports/time.md of
# session 8; captures in tests/data/time/, made by the audit's generators
# with scapy, checked against tshark's frame.time_epoch):
#  - the time since a close that tuple.reuse-time-wait judges is the two
#    packets' own stamps apart, not the engine clock's: a later capture
#    concatenated first (mergecap -a), one far-future UDP stamp, and the
#    pcap 32-bit seconds wrap must not make a reuse 300 s after the close
#    look immediate (all three: no finding; reuse_300s.pcap alone: none);
#  - a FIN retransmitted in TIME-WAIT restarts the 2*MSL (RFC 9293
#    3.10.7.4): tw_restart.pcap's SYN is 50 s after the last FIN: flagged;
#    a restart never shortens it: tw_backwards.pcap is tw_control.pcap plus
#    the server's FIN again stamped 90 s before the close (out of order),
#    and both must say 29.995 s with --msl 30 (review8);
#  - a SYN stamped an hour before the close (mergecap_a_syn_before.pcap) is
#    an hour from it: no finding (review8);
#  - pcapng Simple Packet Blocks have no timestamp: the finding claims no
#    elapsed time;
#  - flows whose timeout passed by the end of the capture count as expired
#    however few packets followed (reap10: 10 expired with 1 trailing
#    packet or 3), and one reaping pass ends flows in order of expiry
#    (reap_order --msl 1: tcp/0, closed at +1 s, before udp/0 and udp/1).
set -u
cd "$(dirname "$0")/.."
bin=${TC_BIN:-build/asan/tuplecheck}
d=tests/data/time
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for f in mergecap_a.pcap jump_then_reuse.pcap wrap32.pcap reuse_300s.pcap; do
	out=$("$bin" replay --format jsonl --seed 1 "$d/$f" 2>&1)
	n=$(printf '%s\n' "$out" | grep -c '"rule":"tuple.reuse-time-wait"')
	[ "$n" -eq 0 ] || bad "$f: $n tuple.reuse-time-wait, want 0: $(printf '%s\n' "$out" | grep -m1 reuse-time-wait | cut -c1-300)"
done

out=$("$bin" replay --format jsonl --seed 1 "$d/tw_restart.pcap" 2>&1)
line=$(printf '%s\n' "$out" | grep '"rule":"tuple.reuse-time-wait"')
if [ "$(printf '%s\n' "$line" | grep -c .)" -ne 1 ] ||
   ! printf '%s' "$line" | grep -q '"transition":"prev=FIN|isn<=final|no-ts|same-initiator"' ||
   ! printf '%s' "$line" | grep -q '50\.000 s after its connection closed'; then
	bad "tw_restart.pcap: want one reuse-time-wait isn<=final|no-ts 50.000 s after the close, got: ${line:-nothing}"
fi

for f in tw_control.pcap tw_backwards.pcap; do
	line=$("$bin" replay --format jsonl --seed 1 --msl 30 "$d/$f" 2>&1 | grep '"rule":"tuple.reuse-time-wait"')
	printf '%s' "$line" | grep -q '29\.995 s after its connection closed' ||
		bad "$f --msl 30: want one reuse-time-wait 29.995 s after the close, got: ${line:-nothing}"
done

n=$("$bin" replay --format jsonl --seed 1 "$d/mergecap_a_syn_before.pcap" 2>&1 | grep -c '"rule":"tuple.reuse-time-wait"')
[ "$n" -eq 0 ] || bad "mergecap_a_syn_before.pcap: $n tuple.reuse-time-wait, want 0 (the SYN is stamped an hour before the close)"

out=$("$bin" replay --format jsonl --seed 1 "$d/spb_reuse.pcapng" 2>&1)
line=$(printf '%s\n' "$out" | grep '"rule":"tuple.reuse-time-wait"')
if [ -z "$line" ] || printf '%s' "$line" | grep -q '[0-9] s after its connection closed' ||
   ! printf '%s' "$line" | grep -q 'how long after is unknown'; then
	bad "spb_reuse.pcapng: the finding must not claim an elapsed time: ${line:-no finding}"
fi

for f in reap10.pcap reap10_tail3.pcap; do
	sum=$("$bin" flows --seed 1 "$d/$f" 2>&1 | tail -n 1)
	printf '%s' "$sum" | grep -q ', 10 expired$' || bad "$f: want 10 expired: $sum"
	n=$("$bin" flows --format jsonl --seed 1 "$d/$f" 2>&1 | grep -c '"type":"flow"')
	[ "$n" -eq 11 ] || bad "$f: $n flow records, want 11"
done

order=$("$bin" flows --msl 1 --seed 1 "$d/reap_order.pcap" 2>&1 | awk '$1 ~ /^(tcp|udp)\// { printf "%s ", $1 }')
[ "$order" = "tcp/0 udp/0 udp/1 udp/2 " ] || bad "reap_order.pcap --msl 1: records $order, want tcp/0 udp/0 udp/1 udp/2"

[ $fail -eq 0 ] && echo "t_time: all passed"
exit $fail
