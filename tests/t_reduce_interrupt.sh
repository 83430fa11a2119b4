#!/usr/bin/env bash
# t_reduce_interrupt.sh - `tuplecheck reduce` stopped by SIGINT. The signal
# is delivered at a chosen point, not after a guessed delay (a reduction
# of thousands of packets takes a tenth of a second): strace injects it
# when the process makes its Nth write or read system call.
#  1. during the search (the write of the "200 oracle runs" progress line,
#     the second write of the run): OUT is written with the smallest
#     capture found so far, which still shows the finding with the same
#     signature, is smaller than the input and larger than the
#     uninterrupted result; stderr says "interrupted: not minimal"; the
#     process dies of SIGINT (130).
#  2. while the capture is being loaded (its first read): no capture is
#     known to reproduce yet, so OUT is not created; stderr names the file
#     whose reading stopped, then says that OUT was not written; exit 130.
set -u
# SIGINT ignored by whoever started the tests (nohup, a background job of a
# non-interactive shell) is inherited, and a shell can neither trap nor reset
# a signal ignored on entry: start again with it at its default, or no run
# below could be interrupted (tuplecheck rightly keeps an ignored SIGINT
# ignored).
[ -n "${TC_INT_DEFAULT:-}" ] || TC_INT_DEFAULT=1 exec env --default-signal=INT bash "$0" "$@"
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
flowgen=build/asan/tools/flowgen
[ -x "$TC" ] || { echo "missing $TC (make asan)"; exit 1; }
[ -x "$flowgen" ] || make --no-print-directory "$flowgen" >/dev/null 2>&1 ||
	{ echo "FAIL: $flowgen cannot be built"; exit 1; }
command -v mergecap >/dev/null || { echo "SKIP: mergecap (wireshark-common) not installed"; exit 77; }
command -v strace >/dev/null || { echo "SKIP: strace not installed"; exit 77; }
strace -o /dev/null true 2>/dev/null || { echo "SKIP: strace cannot trace here (ptrace not permitted)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

count() { capinfos -c -M "$1" 2>/dev/null | awk '/Number of packets/ {print $NF}'; }
sig() { "$TC" replay --format jsonl "$1" 2>/dev/null |
	jq -r 'select(.type=="finding" and .rule=="port.sequential") | .signature' | sort -u; }

# a sequential host buried in 18,000 packets of other connections
"$flowgen" outoforder 2000 "$tmp/noise.pcap"
mergecap -w "$tmp/in.pcap" "$tmp/noise.pcap" corpus/pcaps/hosts_sequential.pcap
n_in=$(count "$tmp/in.pcap")
want=$(sig "$tmp/in.pcap")
"$TC" reduce --rule port.sequential "$tmp/in.pcap" "$tmp/full.pcap" 2>/dev/null
n_full=$(count "$tmp/full.pcap")
if [ -z "$want" ] || [ -z "$n_full" ] || [ "$n_full" -ge "$n_in" ]; then
	echo "FAIL setup: input shows '${want}', uninterrupted reduction $n_in -> ${n_full:-?} packets"
	exit 1
fi

# 1. during the search
strace -o /dev/null -e trace=write -e inject=write:signal=SIGINT:when=2 \
	"$TC" reduce --rule port.sequential "$tmp/in.pcap" "$tmp/out.pcap" 2>"$tmp/err"
rc=$?
n=$(count "$tmp/out.pcap")
got=$(sig "$tmp/out.pcap")
if [ $rc -ne 130 ] || ! grep -q "(interrupted: not minimal); wrote $tmp/out.pcap" "$tmp/err" ||
   [ "$got" != "$want" ] || [ -z "$n" ] || [ "$n" -ge "$n_in" ] || [ "$n" -le "$n_full" ]; then
	echo "FAIL search interrupted: exit $rc (want 130), ${n:-no} packets (want between $n_full and $n_in)," \
		"signature '${got}' (want $want): $(tail -n 1 "$tmp/err")"
	fail=1
else
	echo "ok   search interrupted: exit 130, $n_in -> $n packets (minimal: $n_full), still shows $want"
fi

# 2. while loading
strace -o /dev/null -P "$tmp/in.pcap" -e trace=read -e inject=read:signal=SIGINT:when=1 \
	"$TC" reduce --rule port.sequential "$tmp/in.pcap" "$tmp/none.pcap" 2>"$tmp/err"
rc=$?
if [ $rc -ne 130 ] || [ -e "$tmp/none.pcap" ] || [ "$(wc -l <"$tmp/err")" -ne 2 ] ||
   [ "$(head -n 1 "$tmp/err")" != "tuplecheck: $tmp/in.pcap: interrupted" ] ||
   [ "$(tail -n 1 "$tmp/err")" != "tuplecheck: reduce: interrupted before a reproducing capture was found; $tmp/none.pcap not written" ]; then
	echo "FAIL load interrupted: exit $rc (want 130), OUT $( [ -e "$tmp/none.pcap" ] && echo exists || echo absent), stderr: $(cat "$tmp/err")"
	fail=1
else
	echo "ok   load interrupted: exit 130, nothing written, stderr says where and what"
fi

[ $fail -eq 0 ] && echo "t_reduce_interrupt: all passed"
exit $fail
