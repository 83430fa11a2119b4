#!/usr/bin/env bash
# t_stream.sh - standard input, pipes and devices are read as streams, in a
# window the driver slides along (oracle/input.c input_more, the reader's
# cap_refill), not loaded whole first:
#  1. every capture of corpus/ (832 public ones, many malformed, and the
#     scenario and flow captures) gives through stdin exactly what it gives
#     as a file: records, the summary, the error line and the exit status;
#  2. the same when the bytes arrive in small pieces of random sizes, so
#     records and pcapng blocks straddle every kind of window boundary;
#  3. a 100 MB capture through stdin costs a window of memory, not the
#     capture (peak RSS; the loading reader needed the capture's size);
#  4. records come out while the stream is still being written (a live
#     capture): the first packets, and the connections that ended, are on
#     stdout before the rest arrives;
#  5. an endless device (/dev/zero, /dev/urandom) is refused at once as not
#     a capture, so is "-" when standard input is a terminal, and replay of
#     a FIFO holding garbage does not hang (the reason is no longer learnt
#     by opening the file a second time).
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
REL=${TC_REL_BIN:-build/tuplecheck}
genpcap=build/bench/gen_pcap
peakrss=build/bench/peakrss
for b in "$TC" "$REL"; do
	if [ ! -x "$b" ]; then
		echo "skip: $b not built"
		exit 77
	fi
done
for b in "$genpcap" "$peakrss"; do
	if [ ! -x "$b" ]; then
		make --no-print-directory "$b" >/dev/null 2>&1 || { echo "FAIL: $b cannot be built"; exit 1; }
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# same_as_file F OUT ERR RC: OUT/ERR/RC (a run on <stdin>) against the run on
# the file F, with the file's name in place of <stdin>.
same_as_file() {
	local f=$1 out=$2 err=$3 rc=$4 frc esc
	"$TC" packets --format jsonl "$f" >"$tmp/f.out" 2>"$tmp/f.err"
	frc=$?
	esc=$(printf '%s' "$f" | sed 's/[&|\\]/\\&/g')
	sed -i "s|<stdin>|$esc|g" "$out" "$err"
	if [ "$rc" -ne "$frc" ] || ! cmp -s "$out" "$tmp/f.out" || ! cmp -s "$err" "$tmp/f.err"; then
		echo "FAIL $f: stdin exit $rc, file exit $frc"
		diff "$tmp/f.out" "$out" | head -4
		diff "$tmp/f.err" "$err" | head -4
		return 1
	fi
	return 0
}

# 1. Every capture, whole, through stdin; and, since all of those read to
# their end, cut copies of 20 of them (at 10 bytes, 37 % and 71 % of their
# length: a cut header, records and blocks cut in the middle), a record
# claiming 2 GiB and a text file, which end with an error line.
mkdir "$tmp/cut"
for f in $( (ls corpus/tcpdump-tests/*.pcapng | head -10; ls corpus/tcpdump-tests/*.pcap | head -10) ); do
	sz=$(stat -c %s "$f")
	for c in 10 $((sz * 37 / 100)) $((sz * 71 / 100)); do
		head -c "$c" "$f" >"$tmp/cut/$c-${f##*/}"
	done
done
/usr/bin/python3 - corpus/pcaps/tuple_duplicate_live.pcap "$tmp/cut/huge.pcap" <<'PY'
import struct, sys
hdr = open(sys.argv[1], 'rb').read()[:24]
rec = struct.pack('<IIII', 1700000000, 0, 0x80000000, 0x80000000)
open(sys.argv[2], 'wb').write(hdr + rec + b'\0' * 64)
PY
printf 'hello, this is not a capture\n' >"$tmp/cut/text.pcap"
n=0 bad=0 errs=0
for f in corpus/tcpdump-tests/*.pcap* corpus/pcaps/*.pcap corpus/flows/*.pcap "$tmp"/cut/*; do
	[ -f "$f" ] || continue
	"$TC" packets --format jsonl - <"$f" >"$tmp/s.out" 2>"$tmp/s.err"
	rc=$?
	[ -s "$tmp/s.err" ] && errs=$((errs + 1))
	same_as_file "$f" "$tmp/s.out" "$tmp/s.err" $rc || bad=$((bad + 1))
	n=$((n + 1))
done
if [ $n -lt 900 ] || [ $errs -lt 60 ] || [ $bad -ne 0 ]; then
	echo "FAIL stdin = file: $bad of $n captures differ ($errs with an error line)"
	fail=1
else
	echo "ok   stdin = file: all $n captures ($errs of them with an error line) give the same records, errors and exit status"
fi

# 2. In pieces of 1-700 bytes (seeded), written one by one, on 100 captures:
# the cut ones above, then the public pcapng ones, then pcap ones.
cat >"$tmp/trickle.py" <<'PY'
import os, random, sys
data = open(sys.argv[1], 'rb').read()
rng = random.Random(int(sys.argv[2]))
i = 0
while i < len(data):
    k = rng.choice((1, 2, 3, 7, 16, 61, 700))
    os.write(1, data[i:i + k])
    i += k
PY
n=0 bad=0
for f in $( (ls "$tmp"/cut/*; ls corpus/tcpdump-tests/*.pcapng; ls corpus/tcpdump-tests/*.pcap) | head -100); do
	/usr/bin/python3 "$tmp/trickle.py" "$f" $n | "$TC" packets --format jsonl - >"$tmp/s.out" 2>"$tmp/s.err"
	rc=${PIPESTATUS[1]}
	same_as_file "$f" "$tmp/s.out" "$tmp/s.err" $rc || bad=$((bad + 1))
	n=$((n + 1))
done
if [ $n -ne 100 ] || [ $bad -ne 0 ]; then
	echo "FAIL trickled stdin = file: $bad of $n captures differ"
	fail=1
else
	echo "ok   trickled stdin = file: $n captures in pieces of 1-700 bytes"
fi

# 3. Memory: flows over a ~100 MB capture through stdin (release build).
nice "$genpcap" mixed --packets 1000000 --conns 50000 --clients 1000 --seed 7 "$tmp/big.pcap" 2>/dev/null || exit 1
size_kb=$(( $(stat -c %s "$tmp/big.pcap") / 1024 ))
line=$("$peakrss" -- "$REL" flows --format jsonl - <"$tmp/big.pcap")
rss=$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' <<<"$line")
ex=$(sed -n 's/^exit=\([0-9]*\).*/\1/p' <<<"$line")
if [ "$ex" != 0 ] || [ -z "$rss" ] || [ "$rss" -gt 49152 ]; then
	echo "FAIL stdin memory: exit ${ex:-?}, peak RSS ${rss:-?} KiB for a $size_kb KiB capture (limit 48 MiB)"
	fail=1
else
	echo "ok   stdin memory: peak RSS $rss KiB for a $size_kb KiB capture"
fi
for cmd in flows replay hosts; do
	if ! cmp -s <("$REL" "$cmd" --format jsonl --seed 1 "$tmp/big.pcap") \
		<(cat "$tmp/big.pcap" | "$REL" "$cmd" --format jsonl --seed 1 - |
		  sed "s|\"<stdin>\"|\"$tmp/big.pcap\"|"); then
		echo "FAIL stdin = file on the 100 MB capture ($cmd)"
		fail=1
	else
		echo "ok   stdin (a pipe) = file on the 100 MB capture ($cmd)"
	fi
done

# 4. Live: the first K records of a capture, 3 s of nothing, then the rest.
# What is known before the pause must be on stdout (a regular file, fully
# buffered) while the writer waits.
f=corpus/flows/incarnations.pcap        # classic pcap, 21 packets, 4 connections
# record_offset N: byte offset of record N (0-based; past the end: the size)
record_offset() {
	/usr/bin/python3 - "$f" "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
o, offs = 24, []
while o < len(d):
    offs.append(o)
    o += 16 + struct.unpack('<I', d[o + 8:o + 12])[0]
k = int(sys.argv[2])
print(offs[k] if k < len(offs) else len(d))
PY
}
# live K CMD FMT REGEX: early and total counts of the output lines matching
# REGEX, and the exit status, in $early $total $rc
live() {
	local off
	off=$(record_offset "$1")
	( head -c "$off" "$f"; sleep 3; tail -c +$((off + 1)) "$f" ) |
		"$REL" "$2" --format "$3" - >"$tmp/live.out" 2>"$tmp/live.err" &
	pid=$!
	sleep 1.5
	early=$(grep -cE "$4" "$tmp/live.out")
	wait $pid
	rc=$?
	total=$(grep -cE "$4" "$tmp/live.out")
}
# packets: the 5 sent
live 5 packets jsonl '"type":"packet"'
if [ "$early" -ne 5 ] || [ $rc -ne 0 ] || [ "$total" -ne 21 ]; then
	echo "FAIL live packets: $early records out while the writer waited (want 5), $total in all (want 21), exit $rc"
	fail=1
else
	echo "ok   live packets: 5 records out while the writer waited, $total in all"
fi
# flows: the connections that ended are out too (not held until 128 have
# ended, or the end of the input): all but the last packet sent first
for fmt in jsonl text; do
	live 20 flows "$fmt" '"type":"flow"|^(tcp|udp)/[0-9]+ '
	if [ "$early" -lt 1 ] || [ $rc -ne 0 ] || [ "$total" -ne 4 ] || [ "$early" -ge "$total" ]; then
		echo "FAIL live flows $fmt: $early records out while the writer waited (want 1 or more), $total in all (want 4), exit $rc"
		fail=1
	else
		echo "ok   live flows $fmt: $early of $total connection records out while the writer waited"
	fi
done

# 5. Endless devices and a FIFO of garbage.
for dev in /dev/zero /dev/urandom; do
	timeout 20 "$TC" flows "$dev" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 2 ] || ! grep -q "^tuplecheck: $dev: not a pcap or pcapng file" "$tmp/err"; then
		echo "FAIL $dev: exit $rc: $(cat "$tmp/err")"
		fail=1
	else
		echo "ok   $dev: $(cat "$tmp/err")"
	fi
done
# "-" with a terminal on standard input (a pty from util-linux script)
# would wait for a capture typed at the keyboard: refused at once.
timeout 20 script -qec "$TC packets - ; echo rc=\$?" /dev/null >"$tmp/tty" 2>&1 </dev/null
if ! grep -q '<stdin>: standard input is a terminal, not a capture' "$tmp/tty" || ! grep -q 'rc=2' "$tmp/tty"; then
	echo "FAIL - on a terminal: $(tr -d '\r' <"$tmp/tty" | head -c 300)"
	fail=1
else
	echo "ok   - on a terminal: $(tr -d '\r' <"$tmp/tty" | head -n 1)"
fi
mkfifo "$tmp/fifo"
(printf 'GET / HTTP/1.1\r\nHost: example\r\n\r\n' >"$tmp/fifo") &
timeout 20 "$TC" replay "$tmp/fifo" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 2 ] || ! grep -q 'begins with text' "$tmp/err" || ! grep -q 'fifo: not read: not a pcap.*begins with text' "$tmp/out"; then
	echo "FAIL replay of a FIFO with text: exit $rc: $(cat "$tmp/err") / $(head -c 300 "$tmp/out")"
	fail=1
else
	echo "ok   replay of a FIFO with text: exit 2, reason in the report: $(cat "$tmp/err")"
fi

[ $fail -eq 0 ] && echo "t_stream: all passed"
exit $fail
