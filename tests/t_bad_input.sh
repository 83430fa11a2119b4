#!/usr/bin/env bash
# t_bad_input.sh - the bad-input contract of SPEC.md, for every subcommand:
# an empty file, a text file, a cut header, a directory, a missing file, `-`
# with nothing on stdin, a gzip file and a record claiming a huge length each
# give exactly one line on stderr naming the file and the reason, and exit
# status 2; after a mid-file error everything printed stays complete and valid
# (jsonl parses, earlier files and earlier packets are all there).
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
good=corpus/pcaps/tuple_duplicate_live.pcap

: > "$tmp/empty.pcap"
printf 'hello, this is not a capture\n' > "$tmp/text.pcap"
head -c 10 "$good" > "$tmp/cuthdr.pcap"
mkdir "$tmp/dir.pcap"
gzip -c "$good" > "$tmp/gz.pcap"
# a valid file header followed by a record whose captured length is 2^31
/usr/bin/python3 - "$good" "$tmp/huge.pcap" <<'PY'
import struct, sys
hdr = open(sys.argv[1], 'rb').read()[:24]
rec = struct.pack('<IIII', 1700000000, 0, 0x80000000, 0x80000000)
open(sys.argv[2], 'wb').write(hdr + rec + b'\0' * 64)
PY
sz=$(stat -c %s "$good")
head -c $((sz - 10)) "$good" > "$tmp/cutrec.pcap"

check_one() {   # cmd, file, expected reason regex, [stdin file]
	local cmd=$1 f=$2 re=$3 in=${4:-/dev/null} rc lines
	"$TC" "$cmd" --format jsonl "$f" < "$in" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	lines=$(wc -l < "$tmp/err")
	local shown=$f
	[ "$f" = - ] && shown='<stdin>'
	if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -qF "$shown" "$tmp/err" || ! grep -qiE "$re" "$tmp/err"; then
		echo "FAIL $cmd $f: exit $rc, $lines stderr lines: $(cat "$tmp/err")"
		fail=1
	else
		echo "ok   $cmd $(basename "$f"): $(cat "$tmp/err")"
	fi
}

for cmd in packets flows replay hosts; do
	check_one "$cmd" "$tmp/empty.pcap" 'empty'
	check_one "$cmd" "$tmp/text.pcap" 'not a pcap|text'
	check_one "$cmd" "$tmp/cuthdr.pcap" 'truncated'
	check_one "$cmd" "$tmp/dir.pcap" 'directory'
	check_one "$cmd" "$tmp/missing.pcap" 'No such file'
	check_one "$cmd" - 'empty' /dev/null
	check_one "$cmd" "$tmp/gz.pcap" 'not a pcap.*gzip-compressed.*gzip -dc'
	check_one "$cmd" "$tmp/huge.pcap" 'length|large|exceeds|snapshot|truncated'
done

# Mid-file error: good file, cut file, good file. Exit 2, one stderr line for
# the cut file, every jsonl line parses, each file ends with its summary, the
# cut file's records before the cut are all there and its summary says why.
for cmd in packets flows replay; do
	"$TC" "$cmd" --format jsonl --seed 1 "$good" "$tmp/cutrec.pcap" "$good" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if ! /usr/bin/python3 - "$tmp/out" "$cmd" "$good" "$tmp/cutrec.pcap" "$rc" "$tmp/err" <<'PY'
import json, sys
out, cmd, good, cut, rc, err = sys.argv[1:]
recs = [json.loads(l) for l in open(out)]          # every line must parse
errs = open(err).read().splitlines()
assert rc == '2', f'exit {rc}'
assert len(errs) == 1 and cut in errs[0], errs
sums = [r for r in recs if r['type'] == 'summary']
assert [s['file'] for s in sums] == [good, cut, good], [s['file'] for s in sums]
assert 'error' in sums[1] and 'error' not in sums[0] and 'error' not in sums[2]
assert sums[1]['packets'] == sums[0]['packets'] - 1, (sums[0]['packets'], sums[1]['packets'])
if cmd == 'packets':
    frames = [r['frame'] for r in recs if r['type'] == 'packet' and r['file'] == cut]
    assert frames == list(range(1, sums[0]['packets'])), frames
if cmd == 'flows':
    assert sums[1]['flows'] == sums[0]['flows'], (sums[0], sums[1])
    assert len([r for r in recs if r['type'] == 'flow' and r['file'] == cut]) == sums[1]['flows']
if cmd == 'replay':
    groups, cur = [], []                         # records of each file, in order
    for r in recs:
        cur.append(r)
        if r['type'] == 'summary':
            groups.append(cur); cur = []
    last = sums[1]['packets']                    # frames after it were cut off
    key = lambda r: (r['rule'], r.get('frame'), r['signature'])
    f0 = [key(r) for r in groups[0] if r['type'] == 'finding' and 'host' not in r
          and r['frame'] <= last]
    f1 = [key(r) for r in groups[1] if r['type'] == 'finding' and 'host' not in r]
    assert f0 and f1 == f0, (f0, f1)             # the defect lies before the cut
PY
	then
		echo "FAIL $cmd: mid-file error broke the output"; fail=1
	else
		echo "ok   $cmd: mid-file error keeps earlier output complete"
	fi
done

# A stream whose first bytes come in pieces is judged on the same bytes as a
# file (capture.h CAP_OPEN_MIN): 2 bytes, a pause, then the rest, must give
# the file's reason (its magic, text), not "only 2 bytes".
(printf 'ab'; sleep 0.5; printf 'cdefghijklmnopqrstuvwxyz\n') | "$TC" packets - > /dev/null 2> "$tmp/err"
rc=$?
want="tuplecheck: <stdin>: not a pcap or pcapng file (magic 0x61626364; it begins with text, so it is not a capture)"
if [ $rc -ne 2 ] || [ "$(cat "$tmp/err")" != "$want" ]; then
	echo "FAIL stdin in pieces: exit $rc, stderr: $(cat "$tmp/err")"; fail=1
else
	echo "ok   stdin in pieces: $(cat "$tmp/err")"
fi

# Usage errors are exit 2 too, before any output.
for args in "replay --format xml $good" "replay --rules no.such-rule $good" "flows --rules no.such-rule $good" "packets --rules no.such-rule $good" "hosts --rules port.ephemeral-range $good" "flows --filter 'tcp port' $good" "bogus $good" "replay"; do
	eval "\"$TC\" $args" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ $rc -ne 2 ] || [ -s "$tmp/out" ] || [ ! -s "$tmp/err" ]; then
		echo "FAIL usage '$args': exit $rc"; fail=1
	else
		echo "ok   usage '$args': $(head -n 1 "$tmp/err")"
	fi
done
# One message is one line, whatever the file name: control characters in
# it are escaped (a newline in a name would otherwise split the message).
nl="$tmp/cut"$'\n'"name"$'\t'".pcap"
head -c 100 corpus/pcaps/port_zero.pcap > "$nl"
for cmd in packets flows replay hosts; do
	"$TC" "$cmd" "$nl" > /dev/null 2> "$tmp/err"
	rc=$?
	want="tuplecheck: $tmp/cut\\nname\\t.pcap: truncated record header at byte 94 (frame 2): 6 of 16 bytes"
	if [ $rc -ne 2 ] || [ "$(wc -l < "$tmp/err")" -ne 1 ] || [ "$(cat "$tmp/err")" != "$want" ]; then
		echo "FAIL $cmd: name with a newline: exit $rc, stderr: $(cat "$tmp/err")"; fail=1
	else
		echo "ok   $cmd: name with a newline and a tab: one escaped stderr line"
	fi
done

# A DEL alone (the only character escaped that is not below 0x20) and an
# ESC (hex, high nibble first), in the names of missing files.
for pair in "del"$'\x7f'".pcap|del\\x7f.pcap" "esc"$'\x1b'"[1m.pcap|esc\\x1b[1m.pcap"; do
	"$TC" packets "$tmp/${pair%%|*}" > /dev/null 2> "$tmp/err"
	rc=$?
	want="tuplecheck: $tmp/${pair#*|}: cannot open: No such file or directory"
	if [ $rc -ne 2 ] || [ "$(cat "$tmp/err")" != "$want" ]; then
		echo "FAIL name ${pair#*|}: exit $rc, stderr: $(cat -v "$tmp/err") (want $want)"; fail=1
	else
		echo "ok   name ${pair#*|}: $(cat "$tmp/err")"
	fi
done
# A name longer than any open(2) accepts, every escape 4 bytes wide: cut,
# ending in "...", still one line, at each of the 4 alignments of the
# escapes against the end of the buffer (cli.h NAME_LINE_MAX).
ctl=$(head -c 5000 /dev/zero | tr '\0' '\001')
for pad in "" a aa aaa; do
	"$TC" packets "$tmp/$pad$ctl" > /dev/null 2> "$tmp/err"
	rc=$?
	if [ $rc -ne 2 ] || [ "$(wc -l < "$tmp/err")" -ne 1 ] || [ "$(wc -c < "$tmp/err")" -gt $((16388 + 60)) ] ||
	   ! grep -qE "^tuplecheck: $tmp/$pad(\\\\x01)+\.\.\.: cannot open: File name too long\$" "$tmp/err"; then
		echo "FAIL long name (pad '$pad'): exit $rc, $(wc -c < "$tmp/err") bytes: $(head -c 100 "$tmp/err")...$(tail -c 100 "$tmp/err")"; fail=1
	else
		echo "ok   long name (pad '$pad'): one line of $(wc -c < "$tmp/err") bytes, cut with ..."
	fi
done
# "-" is refused only when standard input is a terminal: a pipe into it is
# read when stdout is the terminal (util-linux script gives a pty).
if command -v script > /dev/null; then
	n=$("$TC" packets --format jsonl "$good" | grep -c '"type":"packet"')
	script -qec "cat $good | $TC packets --format jsonl -; echo rc=\$?" /dev/null > "$tmp/tty" 2>&1 < /dev/null
	if [ "$(grep -c '"type":"packet"' "$tmp/tty")" -ne "$n" ] || ! grep -q '^rc=0' "$tmp/tty"; then
		echo "FAIL a pipe into -, stdout a terminal: $(tr -d '\r' < "$tmp/tty" | head -c 300)"; fail=1
	else
		echo "ok   a pipe into -, stdout a terminal: $n packets, exit 0"
	fi
fi

# A refused option is named as the user typed it: the letter inside a group
# of short options, the abbreviation that fits two long ones, a value given
# to an option that takes none; reduce's own options are refused elsewhere
# (--rule for --rules would otherwise run every rule without a word).
while IFS='|' read -r args want; do
	eval "\"$TC\" $args" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	got=$(head -n 1 "$tmp/err")
	if [ $rc -ne 2 ] || [ -s "$tmp/out" ] || [ "$got" != "tuplecheck: $want" ]; then
		echo "FAIL usage '$args': exit $rc, '$got' (want '$want')"; fail=1
	else
		echo "ok   usage '$args': $got"
	fi
done <<EOF2
replay -xy $good|unknown option '-x'
replay $good -qV|unknown option '-q'
replay --progress -zq $good|unknown option '-z'
replay --msl=5 -zV $good|unknown option '-z'
replay --progress=1 $good|option '--progress' takes no value
replay --pro $good|option '--pro' is ambiguous: --profile, --progress
replay --help=x $good|option '--help' takes no value
replay --bogus=1 $good|unknown option '--bogus'
replay --rule port.zero $good|replay: --rule is an option of reduce (did you mean --rules?)
hosts --signature 0123456789ab $good|hosts: --signature is an option of reduce
EOF2
# packets lists a wrong checksum only when its own rule is on: the capture
# has one wrong IPv4, TCP and UDP checksum each
cs=corpus/pcaps/bad_checksums.pcap
for case in "-tcp.bad-checksum,+udp.bad-checksum:udp.bad-checksum" \
	    "+tcp.bad-checksum:tcp.bad-checksum" \
	    "+ip.bad-checksum,+tcp.bad-checksum,+udp.bad-checksum:ip.bad-checksum tcp.bad-checksum udp.bad-checksum" \
	    "-ip.bad-checksum:"; do
	want=${case#*:}
	got=$("$TC" packets --format jsonl "--rules=${case%%:*}" "$cs" | jq -r 'select(.type=="packet") | .errors[]' | sort | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" = "$want" ]; then
		echo "ok   packets --rules=${case%%:*}: errors '$want'"
	else
		echo "FAIL packets --rules=${case%%:*}: errors '$got', expected '$want'"; fail=1
	fi
done
# A --filter libpcap cannot compile for a link type met in a file is a
# usage error that would repeat for every file (README --filter, driver.c):
# one stderr line, exit 2, and no later file is read.
sll=corpus/pcaps/tcp_midstream.pcap   # Linux cooked v1: no VLAN support
for cmd in flows packets replay hosts; do
	"$TC" "$cmd" --format jsonl --filter vlan "$sll" "$good" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	later=$(jq -r 'select(.file != null) | .file' "$tmp/out" | grep -cxF "$good")
	if [ $rc -ne 2 ] || [ "$(wc -l < "$tmp/err")" -ne 1 ] || ! grep -qF -- "--filter:" "$tmp/err" || [ "$later" -ne 0 ]; then
		echo "FAIL $cmd --filter vlan: exit $rc, $later records of the later file, stderr: $(cat "$tmp/err")"; fail=1
	else
		echo "ok   $cmd --filter vlan on Linux cooked: stops, the later file is not read"
	fi
done
# A link type tuplecheck does not decode is not bad input: exit 0, its
# records count as rejected, and after the file's records one stderr line
# per such link type names the file, how many records of how many, and the
# type (driver.c unread_report); past 4 such types one more line counts the
# rest. A file of link types it reads prints nothing on stderr.
nf=corpus/tcpdump-tests/ieee802.11_rx-stbc.pcap
/usr/bin/python3 - "$tmp/mixed.pcapng" <<'PY'
import struct, sys
def block(t, body):
    body += b'\0' * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack('<II', t, n) + body + struct.pack('<I', n)
out = block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1))
lts = [105, 127, 1, 195, 147, 148, 150]
for lt in lts:
    out += block(1, struct.pack('<HHI', lt, 0, 0))
for i, lt in enumerate(lts):
    for k in range(i + 1):          # i + 1 records of the i-th type
        out += block(6, struct.pack('<IIIII', i, 0, 1000 + k, 14, 14) + bytes(14))
open(sys.argv[1], 'wb').write(out)
PY
for cmd in packets flows replay hosts; do
	"$TC" "$cmd" --format jsonl "$nf" corpus/flows/encapsulated.pcap > "$tmp/out" 2> "$tmp/err"
	rc=$?
	rej=$(jq -r 'select(.type == "summary" and .file == "'"$nf"'") | .rejected' "$tmp/out")
	if [ $rc -ne 0 ] || [ "$(wc -l < "$tmp/err")" -ne 1 ] || [ "$rej" != 3 ] ||
	   ! grep -qF "tuplecheck: $nf: 3 of 3 records have link type 127 (" "$tmp/err"; then
		echo "FAIL $cmd on radiotap: exit $rc, rejected '$rej', stderr: $(cat "$tmp/err")"; fail=1
	else
		echo "ok   $cmd on radiotap: exit 0, 3 rejected, one line naming the link type"
	fi
	"$TC" "$cmd" --format jsonl "$tmp/mixed.pcapng" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	want="$tmp/mixed.pcapng: 1 of 28 records have link type 105
$tmp/mixed.pcapng: 2 of 28 records have link type 127
$tmp/mixed.pcapng: 4 of 28 records have link type 195
$tmp/mixed.pcapng: 5 of 28 records have link type 147
$tmp/mixed.pcapng: 13 more records of other link types"
	got=$(sed -e 's/^tuplecheck: //' -e 's/ (.*//' -e 's/, which.*//' -e 's/ it does not decode$//' "$tmp/err")
	counts=$(jq -r 'select(.type == "summary") | "\(.rejected) \(.link_unsupported)"' "$tmp/out")
	if [ $rc -ne 0 ] || [ "$got" != "$want" ] || [ "$counts" != "28 25" ]; then
		echo "FAIL $cmd on 6 link types it does not decode: exit $rc, rejected/link_unsupported '$counts' (want '28 25'), stderr: $(cat "$tmp/err")"; fail=1
	else
		echo "ok   $cmd on 6 link types it does not decode: 4 lines and the rest counted"
	fi
	"$TC" "$cmd" --format jsonl "$good" corpus/flows/encapsulated.pcap \
		corpus/tcpdump-tests/nflog.pcap > /dev/null 2> "$tmp/err"
	if [ -s "$tmp/err" ]; then
		echo "FAIL $cmd on link types it reads: stderr: $(cat "$tmp/err")"; fail=1
	fi
done
exit $fail
