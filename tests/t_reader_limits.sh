#!/usr/bin/env bash
# t_reader_limits.sh - what a corrupt length or a crowded section costs the
# capture reader through the command line (oracle/input.c windows,
# targets/capture.h cap_open_input).
#  1. A pcapng file of 96 MB whose second EPB says its total length is
#     0xfffffff0: `packets` ends with exit 2 and exactly the line a block cut
#     by the end of the file gives ("truncated ..., N bytes left", N the
#     bytes from the block to the end), after the first packet's record, and
#     its peak RSS stays small (it used to read the rest of the file into
#     its window first: RSS the size of the file).
#  2. The same bytes through a pipe: refused at once with a line naming the
#     stream limit (16777216 bytes, libpcap's), small peak RSS (it used to
#     grow with the stream, up to 4 GiB).
#  3. Byte-identical output: files whose last block or record claims more
#     bytes than remain (pcapng EPB, SHB, first IDB; pcap D-Bus record), but
#     less than the stream limit, give the same stdout and stderr (file name
#     aside) read as a file (where the reader fails at once) and through a
#     pipe (where it reads to the end first, as before).
#  4. A section of 300 interfaces (more than the 256 the reader holds in
#     itself): read, the packet on interface 299 decoded, exit 0, no leak
#     (sanitizer build).
#  5. A block or record larger than the first window (1 MiB), followed by
#     others: a pcapng EPB carrying 3 MiB of comments and a 2.5 MiB D-Bus pcap
#     record are read whole, with every record after them, exit 0, the same
#     as a file and through a pipe (the window grows, input_more).
#  6. A 63 MB file of records of 256 KiB, each window full when it slides:
#     peak RSS stays near that of a small run, under 12 MiB (the window
#     grows only for a record it cannot hold, not because it was full
#     before the slide).
#  7. A regular file with a block of 136 MiB (an unknown block type, sparse
#     on disk) between two EPBs: read whole, both packets out, exit 0. The
#     window's bound for a stream (128 MiB + 256 KiB) is not a file's.
# Peak RSS with /usr/bin/time -f %M on the release build, whose resident
# floor is a few MB. Exit 0 pass, 1 fail, 77 skip.
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
REL=${TC_REL_BIN:-build/tuplecheck}
for b in "$TC" "$REL"; do
	if [ ! -x "$b" ]; then
		echo "skip: $b not built"
		exit 77
	fi
done
if [ ! -x /usr/bin/time ]; then
	echo "skip: /usr/bin/time is not installed (bash scripts/deps.sh test installs it)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
LIMIT_KB=24576   # the file is 96 MB; a small run peaks near 4 MB

/usr/bin/python3 - "$tmp" <<'PY' || exit 1
import os, struct, sys
out = sys.argv[1]

def pad4(b):
    return b + b'\0' * (-len(b) % 4)

def block(t, body, total=None):
    body = pad4(body)
    n = 12 + len(body)
    return struct.pack('<II', t, total or n) + body + struct.pack('<I', n)

SHB = block(0x0a0d0d0a, struct.pack('<IHHq', 0x1a2b3c4d, 1, 0, -1))

def idb(lt=1):
    return block(1, struct.pack('<HHI', lt, 0, 0))

ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 1, 0, 64, 6, 0,
                 bytes([192, 0, 2, 1]), bytes([198, 51, 100, 2]))
tcp = struct.pack('!HHIIBBHHH', 40000, 80, 1, 0, 0x50, 2, 65535, 0, 0)
PKT = b'\2\0\0\0\0\2\2\0\0\0\0\1\x08\0' + ip + tcp

def epb(ifid=0, total=None):
    return block(6, struct.pack('<IIIII', ifid, 0, 1000000, len(PKT), len(PKT)) + PKT, total)

def write(name, data, size=None):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
        if size:
            f.truncate(size)      # sparse: zeros the reader never needs

# 1, 2: 96 MB, the second EPB claims 0xfffffff0 bytes
write('big.pcapng', SHB + idb() + epb() + epb(total=0xfffffff0)[:8], 96 << 20)
# 3: the last block or record claims more than remains, less than 16 MiB
tail = b'\0' * 3000
write('cut_epb.pcapng', SHB + idb() + epb() + epb(total=8000)[:40] + tail)
write('cut_shb.pcapng', block(0x0a0d0d0a, struct.pack('<IHHq', 0x1a2b3c4d, 1, 0, -1),
                              total=1 << 20)[:24] + tail)
write('cut_idb.pcapng', SHB + idb()[:4] + struct.pack('<I', 900000) + tail)
dbus = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 0, 231)
rec = struct.pack('<IIII', 1, 2, len(PKT), len(PKT)) + PKT
write('cut_rec.pcap', dbus + rec + struct.pack('<IIII', 3, 4, 5000000, 5000000) + tail)
# 4: 300 interfaces, a packet on the last
write('ifaces300.pcapng', SHB + b''.join(idb(1 if i % 2 else 101) for i in range(299)) +
      idb(1) + epb(ifid=299))
# 5: larger than the first window: an EPB with 3 MiB of opt_comment between
# two small ones (source ports 1, 2, 3), a 2.5 MiB D-Bus record likewise
def epb_port(port, opts=b''):
    p = PKT[:34] + struct.pack('!H', port) + PKT[36:]
    return block(6, struct.pack('<IIIII', 0, 0, 1000000 + port, len(p), len(p)) + pad4(p) + opts)
comment = (struct.pack('<HH', 1, 65532) + b'c' * 65532) * 48 + struct.pack('<HH', 0, 0)
write('bigblock.pcapng', SHB + idb() + epb_port(1) + epb_port(2, comment) + epb_port(3))
write('bigrec.pcap', dbus + b''.join(struct.pack('<IIII', 10 + i, 0, n, n) + bytes(n)
                                     for i, n in enumerate((100, 5 << 19, 100))))
# 7: sparse, the packets on source ports 1 and 3
with open(os.path.join(out, 'hugeblock.pcapng'), 'wb') as f:
    f.write(SHB + idb() + epb_port(1) + struct.pack('<II', 0xbad, 136 << 20))
    f.seek((136 << 20) - 12, 1)
    f.write(struct.pack('<I', 136 << 20) + epb_port(3))
# 6: 240 Ethernet records of 262144 bytes (the largest snapshot)
with open(os.path.join(out, 'full.pcap'), 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    body = PKT + bytes(262144 - len(PKT))
    for i in range(240):
        f.write(struct.pack('<IIII', 100 + i, 0, 262144, 262144) + body)
PY

# 1. a regular file
f=$tmp/big.pcapng
size=$(stat -c %s "$f")
/usr/bin/time -o "$tmp/rss" -f %M "$REL" packets --format jsonl "$f" >"$tmp/out" 2>"$tmp/err"
rc=$?
rss=$(tail -n 1 "$tmp/rss")
want="tuplecheck: $f: truncated pcapng enhanced packet block at offset 136 (frame 2): total length 4294967280, $((size - 136)) bytes left"
if [ $rc -ne 2 ] || [ "$(cat "$tmp/err")" != "$want" ]; then
	echo "FAIL file: exit $rc, stderr: $(head -c 400 "$tmp/err")"
	echo "     want: $want"
	fail=1
fi
if [ "$(jq -r 'select(.type == "packet") | .frame' "$tmp/out" | tr '\n' ' ')" != "1 " ]; then
	echo "FAIL file: the first packet's record is missing: $(head -c 300 "$tmp/out")"
	fail=1
fi
if [ "$rss" -gt $LIMIT_KB ]; then
	echo "FAIL file: peak RSS $rss KiB reading a $size-byte file with a corrupt length (limit $LIMIT_KB)"
	fail=1
fi
echo "file: exit $rc, peak RSS $rss KiB"

# 2. the same through a pipe
cat "$f" | /usr/bin/time -o "$tmp/rss" -f %M "$REL" packets --format jsonl - >"$tmp/out" 2>"$tmp/err"
rc=${PIPESTATUS[1]}
rss=$(tail -n 1 "$tmp/rss")
want="tuplecheck: <stdin>: pcapng enhanced packet block at offset 136 (frame 2): total length 4294967280 is above 16777216 bytes, the largest block read from a stream (libpcap's limit for the link types seen)"
if [ $rc -ne 2 ] || [ "$(cat "$tmp/err")" != "$want" ]; then
	echo "FAIL stream: exit $rc, stderr: $(head -c 400 "$tmp/err")"
	echo "       want: $want"
	fail=1
fi
if [ "$rss" -gt $LIMIT_KB ]; then
	echo "FAIL stream: peak RSS $rss KiB (limit $LIMIT_KB)"
	fail=1
fi
echo "stream: exit $rc, peak RSS $rss KiB"

# 3. a file fails at once, a pipe at the end: the same output
for n in cut_epb.pcapng cut_shb.pcapng cut_idb.pcapng cut_rec.pcap; do
	f=$tmp/$n
	"$TC" packets --format jsonl "$f" >"$tmp/f.out" 2>"$tmp/f.err"
	frc=$?
	"$TC" packets --format jsonl - <"$f" >"$tmp/s.out" 2>"$tmp/s.err"
	src=$?
	# the summary and the error line carry the file's name
	sed -e "s|$f|FILE|g" "$tmp/f.out" "$tmp/f.err" >"$tmp/f.all"
	sed -e "s|<stdin>|FILE|g" -e 's|"file":"-"|"file":"FILE"|g' "$tmp/s.out" "$tmp/s.err" >"$tmp/s.all"
	if [ $frc -ne 2 ] || [ $frc -ne $src ] || ! cmp -s "$tmp/f.all" "$tmp/s.all" ||
	   ! grep -q "bytes left\|left$" "$tmp/f.err"; then
		echo "FAIL $n: as a file (exit $frc) and through a pipe (exit $src) differ:"
		diff "$tmp/f.all" "$tmp/s.all" | head -6
		fail=1
	fi
done
echo "cut files: file and pipe agree on 4 captures"

# 4. 300 interfaces
"$TC" packets --format jsonl "$tmp/ifaces300.pcapng" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ] || [ "$(jq -r 'select(.type == "packet") | "\(.frame) \(.ip) \(.sport)"' "$tmp/out")" != "1 4 40000" ]; then
	echo "FAIL 300 interfaces: exit $rc, $(head -c 300 "$tmp/err") $(head -c 300 "$tmp/out")"
	fail=1
fi
echo "300 interfaces: exit $rc"

# 5. larger than the first window, as a file and through a pipe
for n in "bigblock.pcapng:1 2 3 :1 2 3 " "bigrec.pcap:1 2 3 :100 2621440 100 "; do
	f=$tmp/${n%%:*}
	want=${n#*:}
	for how in file pipe; do
		if [ $how = file ]; then
			"$TC" packets --format jsonl "$f" >"$tmp/out" 2>"$tmp/err"
			rc=$?
		else
			cat "$f" | "$TC" packets --format jsonl - >"$tmp/out" 2>"$tmp/err"
			rc=${PIPESTATUS[1]}
		fi
		got=$(jq -r 'select(.type == "packet") | .frame' "$tmp/out" | tr '\n' ' '):
		case $n in
		*.pcapng*) got=$got$(jq -r 'select(.type == "packet") | .sport' "$tmp/out" | tr '\n' ' ') ;;
		*) got=$got$(jq -r 'select(.type == "packet") | .caplen' "$tmp/out" | tr '\n' ' ') ;;
		esac
		# no error; bigrec's D-Bus records (a link type tuplecheck does
		# not decode) get the driver's one-line note, nothing else
		errs=$(grep -v ': 3 of 3 records have link type 231 (D-Bus), which tuplecheck does not decode' "$tmp/err")
		if [ $rc -ne 0 ] || [ -n "$errs" ] || [ "$got" != "$want" ]; then
			echo "FAIL ${n%%:*} ($how): exit $rc, frames:fields '$got' (want '$want'), stderr: $(head -c 300 "$tmp/err")"
			fail=1
		fi
	done
done
echo "larger than the first window: read as a file and through a pipe"

# 6. full windows that slide: no growth
f=$tmp/full.pcap
/usr/bin/time -o "$tmp/rss" -f %M "$REL" packets --format jsonl "$f" >"$tmp/out" 2>"$tmp/err"
rc=$?
rss=$(tail -n 1 "$tmp/rss")
if [ $rc -ne 0 ] || [ "$(tail -n 1 "$tmp/out" | jq -r .packets)" != 240 ] || [ "$rss" -gt 12288 ]; then
	echo "FAIL full windows: exit $rc, $(tail -n 1 "$tmp/out" | jq -r .packets) packets (want 240), peak RSS $rss KiB (limit 12288)"
	fail=1
fi
echo "full windows: exit $rc, peak RSS $rss KiB reading a $(stat -c %s "$f")-byte file"

# 7. a 136 MiB block in a regular file (release build: the window is 256 MiB)
"$REL" packets --format jsonl "$tmp/hugeblock.pcapng" >"$tmp/out" 2>"$tmp/err"
rc=$?
got=$(jq -r 'select(.type == "packet") | .sport' "$tmp/out" | tr '\n' ' ')
if [ $rc -ne 0 ] || [ -s "$tmp/err" ] || [ "$got" != "1 3 " ]; then
	echo "FAIL 136 MiB block in a file: exit $rc, source ports '$got' (want '1 3 '), stderr: $(head -c 300 "$tmp/err")"
	fail=1
fi
echo "136 MiB block in a file: exit $rc"
exit $fail
