#!/usr/bin/env bash
# t_reduce.sh - `tuplecheck reduce`: the output still shows the finding with
# the same signature, is 1-minimal (dropping any one packet loses it,
# checked with editcap independently of the reducer), keeps the link type,
# writes pcap for single-link-type pcapng input, and the exit statuses.
#
# Inputs are scenario captures, some buried in noise (mergecap with other
# scenarios, interleaved by time) so that the reducer has work to do, and a
# host finding among 20,000 SYNs (tests/lib/gen_host_noise.py) that must
# reduce in at most 200 oracle runs. Times pcap cannot hold (past 2106,
# before 1970) and records without a time (pcapng Simple Packet Blocks)
# come out as pcapng and as they were.
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
S=corpus/pcaps
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
[ -x "$TC" ] || { echo "missing $TC (make asan)"; exit 1; }
command -v editcap > /dev/null && command -v mergecap > /dev/null ||
	{ echo "SKIP: editcap/mergecap (wireshark-common) not installed"; exit 77; }

sigs() {   # FILE RULE [OPTIONS...] -> the rule's signatures in FILE, sorted
	local f=$1 r=$2; shift 2
	"$TC" replay --format jsonl --seed 1 "$@" "$f" 2>/dev/null |
		jq -r --arg r "$r" 'select(.type=="finding" and .rule==$r) | .signature' | sort -u
}
count() { capinfos -c -M "$1" 2>/dev/null | awk '/Number of packets/ {print $NF}'; }
linktype() { capinfos -E "$1" 2>/dev/null | awk -F': *' '/File encapsulation/ {print $2}'; }

# check NAME IN RULE MAXPKTS [OPTIONS...]
check() {
	local name=$1 in=$2 rule=$3 max=$4; shift 4
	local out="$tmp/$name.out.pcap" want got n i
	want=$(sigs "$in" "$rule" "$@" | head -1)
	[ -n "$want" ] || { echo "FAIL $name: input does not show $rule"; fail=1; return; }
	if ! "$TC" reduce --rule "$rule" "$@" "$in" "$out" 2> "$tmp/$name.err"; then
		echo "FAIL $name: reduce failed: $(tail -1 "$tmp/$name.err")"; fail=1; return
	fi
	got=$(sigs "$out" "$rule" "$@")
	if ! grep -qx "$want" <<< "$got"; then
		echo "FAIL $name: output lost signature $want (has: ${got:-none})"; fail=1; return
	fi
	n=$(count "$out")
	if [ "$n" -gt "$max" ] || [ "$n" -ge "$(count "$in")" ]; then
		echo "FAIL $name: $n packets left (at most $max expected, input $(count "$in"))"; fail=1
	fi
	if [ "$(linktype "$out")" != "$(linktype "$in")" ]; then
		echo "FAIL $name: link type $(linktype "$out") != $(linktype "$in")"; fail=1
	fi
	# 1-minimal: without any single packet the signature is gone
	for i in $(seq 1 "$n"); do
		editcap "$out" "$tmp/drop.pcap" "$i" 2>/dev/null
		if sigs "$tmp/drop.pcap" "$rule" "$@" | grep -qx "$want"; then
			echo "FAIL $name: not 1-minimal, packet $i is not needed"; fail=1; break
		fi
	done
	echo "ok $name: $(count "$in") -> $n packets, signature $want"
}

mergecap -w "$tmp/noisy_dup.pcap" $S/tuple_duplicate_live.pcap $S/hosts_random_increments.pcap $S/clean_http.pcap
mergecap -w "$tmp/noisy_tw.pcap" $S/tuple_reuse_time_wait.pcap $S/hosts_per_destination.pcap
mergecap -w "$tmp/noisy_rst.pcap" $S/tcp_rst_out_of_window.pcap $S/hosts_random_increments.pcap

check duplicate-live "$tmp/noisy_dup.pcap" tuple.duplicate-live 4
check reuse-time-wait "$tmp/noisy_tw.pcap" tuple.reuse-time-wait 6
check rst-out-of-window "$tmp/noisy_rst.pcap" tcp.rst-out-of-window 4
check ephemeral-range $S/port_ephemeral_range.pcap port.ephemeral-range 2 --profile linux
check checksum $S/bad_checksums.pcap udp.bad-checksum 1 --rules +udp.bad-checksum
# host rules are judged at the end of the file: --min-samples connections stay
check sequential $S/hosts_sequential.pcap port.sequential 8
check fixed $S/hosts_fixed.pcap port.fixed 8
# a host finding among 20,000 unrelated SYNs: the cheap pass that keeps the
# host's own packets leaves ddmin 10, so a few dozen runs suffice (without
# it ddmin needed 1,489 runs here, and hit the 2,000-run cap at 160,000)
/usr/bin/python3 tests/lib/gen_host_noise.py 20000 "$tmp/host_noise.pcap"
check host-in-noise "$tmp/host_noise.pcap" port.sequential 8
runs=$(sed -n 's/.* -> [0-9]* packets in \([0-9]*\) oracle runs.*/\1/p' "$tmp/host-in-noise.err")
if [ -z "$runs" ] || [ "$runs" -gt 200 ]; then
	echo "FAIL host-in-noise: ${runs:-?} oracle runs, at most 200 expected: $(tail -1 "$tmp/host-in-noise.err")"; fail=1
fi

# pcapng in, one link type: pcap out, same link type
editcap -F pcapng $S/tcp_midstream.pcap "$tmp/mid.pcapng"
if "$TC" reduce --rule tcp.midstream "$tmp/mid.pcapng" "$tmp/mid.out" 2>/dev/null; then
	magic=$(od -An -tx1 -N4 "$tmp/mid.out" | tr -d ' ')
	[ "$magic" = d4c3b2a1 ] || { echo "FAIL pcapng: output magic $magic, want pcap (d4c3b2a1)"; fail=1; }
	[ "$(linktype "$tmp/mid.out")" = "$(linktype $S/tcp_midstream.pcap)" ] ||
		{ echo "FAIL pcapng: link type changed"; fail=1; }
else
	echo "FAIL pcapng: reduce failed"; fail=1
fi

# times pcap's unsigned 32-bit seconds cannot hold (pcapng input, through
# if_tsoffset): the output is pcapng and every kept packet keeps its time.
# tuple_reuse_time_wait.pcap moved to end 5 s past 2^32 s (2106) and to
# 1,000,000,000 s before 1970; cut to 32 bits, those times used to wrap.
/usr/bin/python3 - $S/tuple_reuse_time_wait.pcap "$tmp" <<'PY'
import struct, sys
src, tmp = sys.argv[1:3]
d = open(src, "rb").read()
assert struct.unpack("<I", d[:4])[0] == 0xA1B2C3D4, "microsecond pcap expected"
recs, o = [], 24
while o < len(d):
    sec, usec, cap, orig = struct.unpack("<IIII", d[o:o + 16])
    recs.append((sec * 10**9 + usec * 1000, orig, d[o + 16:o + 16 + cap]))
    o += 16 + cap
def block(t, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", t, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
for name, shift in (("after2106", 2**32 + 5 - recs[-1][0] // 10**9),
                    ("before1970", -10**9 - recs[-1][0] // 10**9)):
    base = recs[0][0] // 10**9 + shift - 1     # if_tsoffset: all ticks from it
    opts = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HHq", 14, 8, base) + b"\0" * 4
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 65535) + opts)
    for ns, orig, b in recs:
        ticks = ns + shift * 10**9 - base * 10**9
        out += block(6, struct.pack("<IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(b), orig) + b)
    open("%s/%s.pcapng" % (tmp, name), "wb").write(out)
PY
for name in after2106 before1970; do
	in="$tmp/$name.pcapng" out="$tmp/$name.out"
	want=$(sigs "$in" tuple.reuse-time-wait)
	if [ -z "$want" ] || ! "$TC" reduce --rule tuple.reuse-time-wait "$in" "$out" 2> "$tmp/err"; then
		echo "FAIL $name: no finding to reduce or reduce failed: $(tail -1 "$tmp/err")"; fail=1; continue
	fi
	magic=$(od -An -tx1 -N4 "$out" | tr -d ' ')
	"$TC" packets --format jsonl "$in" | grep -o '"ts":[^,]*' | sort > "$tmp/in.ts"
	"$TC" packets --format jsonl "$out" | grep -o '"ts":[^,]*' | sort > "$tmp/out.ts"
	lost=$(comm -13 "$tmp/in.ts" "$tmp/out.ts" | head -3 | tr '\n' ' ')
	if [ "$magic" != 0a0d0d0a ] || [ -n "$lost" ] || [ "$(sigs "$out" tuple.reuse-time-wait)" != "$want" ]; then
		echo "FAIL $name: output magic $magic (want pcapng 0a0d0d0a), times not in IN: ${lost:-none}, signatures $(sigs "$out" tuple.reuse-time-wait | tr '\n' ' ') (want $want)"; fail=1
	else
		echo "ok $name: pcapng out, $(wc -l < "$tmp/out.ts") packets at IN's times ($(head -1 "$tmp/out.ts") ...)"
	fi
done

# The last second pcap can hold (2^32 - 1, in 2106) is still pcap's: a pcap
# IN ending exactly there is reduced to pcap, same link type, same times.
/usr/bin/python3 - $S/tuple_reuse_time_wait.pcap "$tmp/edge2106.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
recs, o = [], 24
while o < len(d):
    sec, usec, cap, orig = struct.unpack("<IIII", d[o:o + 16])
    recs.append([sec, usec, cap, orig, d[o + 16:o + 16 + cap]])
    o += 16 + cap
shift = 2**32 - 1 - recs[-1][0]
out = d[:24]
for sec, usec, cap, orig, b in recs:
    out += struct.pack("<IIII", sec + shift, usec, cap, orig) + b
open(sys.argv[2], "wb").write(out)
PY
in="$tmp/edge2106.pcap" out="$tmp/edge2106.out"
want=$(sigs "$in" tuple.reuse-time-wait)
if [ -n "$want" ] && "$TC" reduce --rule tuple.reuse-time-wait "$in" "$out" 2> "$tmp/err"; then
	magic=$(od -An -tx1 -N4 "$out" | tr -d ' ')
	"$TC" packets --format jsonl "$in" | grep -o '"ts":[^,]*' | sort > "$tmp/in.ts"
	"$TC" packets --format jsonl "$out" | grep -o '"ts":[^,]*' | sort > "$tmp/out.ts"
	lost=$(comm -13 "$tmp/in.ts" "$tmp/out.ts" | head -3 | tr '\n' ' ')
	if [ "$magic" != d4c3b2a1 ] || [ -n "$lost" ] || [ "$(sigs "$out" tuple.reuse-time-wait)" != "$want" ]; then
		echo "FAIL edge2106: output magic $magic (want pcap d4c3b2a1), times not in IN: ${lost:-none}"; fail=1
	else
		echo "ok edge2106: pcap IN ending at 2^32 - 1 s reduced to pcap at IN's times"
	fi
else
	echo "FAIL edge2106: no finding to reduce or reduce failed: $(tail -1 "$tmp/err")"; fail=1
fi

# Simple Packet Blocks carry no time: the reduced capture must claim none
# either (SPBs again, no made-up time for the reuse message to measure)
in=tests/data/time/spb_reuse.pcapng out="$tmp/spb.out"
if ! "$TC" reduce --rule tuple.reuse-time-wait "$in" "$out" 2> "$tmp/err"; then
	echo "FAIL spb: reduce failed: $(tail -1 "$tmp/err")"; fail=1
else
	msg=$("$TC" replay --format jsonl --seed 1 "$out" | grep '"rule":"tuple.reuse-time-wait"')
	spb=$(/usr/bin/python3 -c '
import struct, sys
b = open(sys.argv[1], "rb").read(); o = n = 0
while o + 8 <= len(b):
    t, l = struct.unpack_from("<II", b, o); n += t == 3; o += l
print(n)' "$out")
	if [ "$(sigs "$out" tuple.reuse-time-wait)" != "$(sigs "$in" tuple.reuse-time-wait)" ] ||
	   [ "$spb" -lt 1 ] || ! printf '%s' "$msg" | grep -q 'how long after is unknown'; then
		echo "FAIL spb: $spb Simple Packet Blocks out, finding: ${msg:-none}"; fail=1
	else
		echo "ok spb: $spb Simple Packet Blocks out, no elapsed time claimed"
	fi
fi

# exit statuses: 1 not shown, 2 usage
"$TC" reduce --rule tuple.duplicate-live $S/clean_http.pcap "$tmp/x.pcap" 2>/dev/null
[ $? -eq 1 ] || { echo "FAIL: a capture without the finding must exit 1"; fail=1; }
[ ! -e "$tmp/x.pcap" ] || { echo "FAIL: no output when the finding is absent"; fail=1; }
"$TC" reduce --rule no.such-rule $S/clean_http.pcap "$tmp/x.pcap" 2>/dev/null
[ $? -eq 2 ] || { echo "FAIL: unknown rule must exit 2"; fail=1; }
"$TC" reduce --rule port.zero --signature XYZ $S/port_zero.pcap "$tmp/x.pcap" 2>/dev/null
[ $? -eq 2 ] || { echo "FAIL: malformed signature must exit 2"; fail=1; }
"$TC" reduce --rule port.zero --signature 000000000000 $S/port_zero.pcap "$tmp/x.pcap" 2>/dev/null
[ $? -eq 1 ] || { echo "FAIL: a signature the input does not show must exit 1"; fail=1; }
"$TC" reduce --rule port.zero $S/port_zero.pcap 2>/dev/null
[ $? -eq 2 ] || { echo "FAIL: missing OUT must exit 2"; fail=1; }
[ ! -e "$tmp/x.pcap" ] || { echo "FAIL: no output may be left behind when nothing is written"; fail=1; }

# OUT that cannot be created is refused before the reduction, not after it
"$TC" reduce --rule tuple.duplicate-live "$tmp/noisy_dup.pcap" "$tmp/no/such/dir/x.pcap" 2> "$tmp/err"
rc=$?
if [ $rc -ne 2 ] || [ "$(cat "$tmp/err")" != "tuplecheck: reduce: $tmp/no/such/dir/x.pcap: cannot create: No such file or directory" ]; then
	echo "FAIL: OUT in a missing folder: exit $rc (want 2 before any run), stderr: $(head -c 300 "$tmp/err")"; fail=1
fi

# a folder as OUT is refused before the reduction too; a link to a file
# yet to exist is written through; IN and OUT naming the same missing file
# is "cannot open" (OUT is checked after IN is read, never created first)
mkdir "$tmp/outdir"
"$TC" reduce --rule tuple.duplicate-live "$tmp/noisy_dup.pcap" "$tmp/outdir" 2> "$tmp/err"
rc=$?
if [ $rc -ne 2 ] || [ "$(cat "$tmp/err")" != "tuplecheck: reduce: $tmp/outdir: is a directory, not a file to write" ]; then
	echo "FAIL: OUT a folder: exit $rc, stderr: $(head -c 300 "$tmp/err")"; fail=1
fi
ln -s "$tmp/link-target.pcap" "$tmp/link.pcap"
if ! "$TC" reduce --rule tcp.midstream $S/tcp_midstream.pcap "$tmp/link.pcap" 2> "$tmp/err" ||
   [ ! -s "$tmp/link-target.pcap" ]; then
	echo "FAIL: OUT a link to a file yet to exist: $(tail -n 1 "$tmp/err")"; fail=1
fi
"$TC" reduce --rule tcp.midstream "$tmp/gone.pcap" "$tmp/gone.pcap" 2> "$tmp/err"
rc=$?
if [ $rc -ne 2 ] || [ -e "$tmp/gone.pcap" ] || [ "$(cat "$tmp/err")" != "tuplecheck: $tmp/gone.pcap: cannot open: No such file or directory" ]; then
	echo "FAIL: IN = OUT, missing: exit $rc, stderr: $(cat "$tmp/err")"; fail=1
fi

# --filter: frames are named by their number in IN, and the count says
# how many the filter selected (port_zero.pcap: the UDP datagram is frame 3)
"$TC" reduce --filter udp --rule port.zero $S/port_zero.pcap "$tmp/f.pcap" 2> "$tmp/err"
rc=$?
if [ $rc -ne 0 ] || ! grep -q "(first found at frame 3)" "$tmp/err" ||
   ! grep -q ": 1 of 3 packets selected by --filter -> 1 packets in" "$tmp/err"; then
	echo "FAIL --filter: exit $rc, stderr: $(cat "$tmp/err")"; fail=1
else
	echo "ok --filter: frame 3 named as in IN, 1 of 3 packets selected"
fi

# IN cut short: the packets before the cut are reduced and written, but
# the exit status is 2 as for any input that cannot be read; a cut before
# the finding is 2 too (not 1: the capture was not all seen), no OUT
n=$(count $S/tuple_duplicate_live.pcap)
head -c $(( $(stat -c %s $S/tuple_duplicate_live.pcap) - 30 )) $S/tuple_duplicate_live.pcap > "$tmp/cut.pcap"
"$TC" reduce --rule tuple.duplicate-live "$tmp/cut.pcap" "$tmp/cut.out" 2> "$tmp/err"
rc=$?
if [ $rc -ne 2 ] || [ "$(sigs "$tmp/cut.out" tuple.duplicate-live)" != "$(sigs $S/tuple_duplicate_live.pcap tuple.duplicate-live)" ] ||
   ! grep -q "^tuplecheck: $tmp/cut.pcap: truncated record" "$tmp/err" ||
   ! grep -q "wrote $tmp/cut.out (from the packets read before the error)$" "$tmp/err"; then
	echo "FAIL cut IN: exit $rc (want 2), stderr: $(cat "$tmp/err")"; fail=1
else
	echo "ok cut IN: reduced what was read, exit 2"
fi
head -c 200 $S/tuple_duplicate_live.pcap > "$tmp/cut2.pcap"
"$TC" reduce --rule tuple.duplicate-live "$tmp/cut2.pcap" "$tmp/cut2.out" 2> "$tmp/err"
rc=$?
if [ $rc -ne 2 ] || [ -e "$tmp/cut2.out" ] || ! grep -q "does not show tuple.duplicate-live in the [0-9]* packets read before the error$" "$tmp/err"; then
	echo "FAIL cut IN before the finding: exit $rc (want 2, no OUT), stderr: $(cat "$tmp/err")"; fail=1
fi

# --rule names the finding to keep: an off-by-default rule (tcp.bad-checksum)
# is turned on for it, without --rules (the capture has one bad TCP checksum).
in=$S/bad_checksums.pcap out="$tmp/csum.out"
want=$(sigs "$in" tcp.bad-checksum --rules +tcp.bad-checksum)
"$TC" reduce --rule tcp.bad-checksum "$in" "$out" 2> "$tmp/err"
rc=$?
if [ -z "$want" ] || [ $rc -ne 0 ] || [ "$(sigs "$out" tcp.bad-checksum --rules +tcp.bad-checksum)" != "$want" ]; then
	echo "FAIL off-by-default rule: exit $rc (want 0), signatures '$want': $(tail -1 "$tmp/err")"; fail=1
else
	echo "ok off-by-default rule: reduce --rule tcp.bad-checksum keeps it without --rules"
fi
exit $fail
