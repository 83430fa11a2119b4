#!/usr/bin/env bash
# t_tshark_frames.sh - pcapng frame numbers against tshark 4.0 (SPEC.md:
# `frame` is numbered as Wireshark numbers it).
#
# Wireshark makes records without a packet of some pcapng blocks (custom
# blocks, systemd Journal Export, sysdig events), each with a frame number
# of its own, and reads others as file metadata or skips them. The corpus
# has none of these blocks, so this test builds small captures here, in both
# byte orders: for each block type, one such block between two EPBs (little
# endian) and one before the first IDB (big endian), plus one file per byte
# order mixing them all. tuplecheck's packet
# frame numbers must be exactly those tshark gives the packets (records whose
# protocols begin with "eth"). Types tried: every one tshark 4.0 counts (the
# list in targets/capture.c is_record_block) and a spread of ones it does not
# (NRB, ISB, DSB, IRIG/ARINC 7 and 8, the sysdig blocks with flags and other
# sysdig types, custom types with the local-use bit, unknown types).
# Exit 0 pass, 1 fail, 77 skip (no tshark or no build).
set -u
cd "$(dirname "$0")/.."
bin=${TC_BIN:-build/asan/tuplecheck}
if [ ! -x "$bin" ]; then
	echo "skip: $bin not built"
	exit 77
fi
if ! command -v tshark >/dev/null 2>&1; then
	echo "skip: tshark not installed"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$tmp" <<'PY' || exit 1
import os, struct, sys
out = sys.argv[1]

def pad4(b):
    return b + b'\0' * (-len(b) % 4)

def block(t, body, e):
    body = pad4(body)
    n = 12 + len(body)
    return struct.pack(e + 'II', t, n) + body + struct.pack(e + 'I', n)

def shb(e):
    return block(0x0a0d0d0a, struct.pack(e + 'IHHq', 0x1a2b3c4d, 1, 0, -1), e)

def idb(e):
    return block(1, struct.pack(e + 'HHI', 1, 0, 0), e)

# an Ethernet/IPv4/TCP SYN; its source port says which EPB it is
def epb(e, sport, ts):
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 1, 0, 64, 6, 0,
                     bytes([192, 0, 2, 1]), bytes([198, 51, 100, 2]))
    tcp = struct.pack('!HHIIBBHHH', sport, 80, 1, 0, 0x50, 2, 65535, 0, 0)
    pkt = b'\2\0\0\0\0\2\2\0\0\0\0\1\x08\0' + ip + tcp
    return block(6, struct.pack(e + 'IIIII', 0, ts >> 32, ts & 0xffffffff,
                                len(pkt), len(pkt)) + pkt, e)

def body(t, e):
    if t == 4:        # NRB: one IPv4 record, end of records
        return struct.pack(e + 'HH', 1, 14) + bytes([192, 0, 2, 1]) + \
            b'a.example\0' + b'\0\0' + struct.pack(e + 'HH', 0, 0)
    if t == 5:        # ISB: interface 0, timestamp, no options
        return struct.pack(e + 'III', 0, 0, 0)
    if t == 10:       # DSB: TLS key log, 4 bytes of secrets
        return struct.pack(e + 'II', 0x544c534b, 4) + b'abcd'
    if t == 9:        # systemd Journal Export entry
        return b'__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=hi\n\n'
    if 0x200 <= t < 0x300:   # sysdig: cpu, ts, tid, len, type, nparams, flags
        return struct.pack(e + 'HQQIHII', 0, 1700000000000000000, 42, 40, 3, 0, 0) + b'\0' * 8
    if t & 0x3fffffff == 0xbad:  # custom block: PEN, data
        return struct.pack(e + 'I', 32473) + b'hello'
    return b'zzzz'

counted = [0x9, 0x204, 0x216, 0x221, 0xbad, 0x40000bad]
skipped = [0x4, 0x5, 0xa, 0x7, 0x8, 0x200, 0x205, 0x208, 0x217, 0x218, 0x222,
           0x223, 0x80000bad, 0xc0000bad, 0x80000001, 0x12345678]
for e, tag in (('<', 'le'), ('>', 'be')):
    mix = shb(e) + idb(e)
    for t in counted + skipped:
        b = block(t, body(t, e), e)
        # (one file per tshark run costs ~0.3 s: each type between packets
        # in little-endian, before the IDB in big-endian; all of them
        # together in both)
        if tag == 'le':
            with open(os.path.join(out, 'b%x_%s.pcapng' % (t, tag)), 'wb') as f:
                f.write(shb(e) + idb(e) + epb(e, 40001, 1) + b + epb(e, 40002, 2))
        elif t != 5:    # an ISB needs the interface it names
            with open(os.path.join(out, 'first%x_%s.pcapng' % (t, tag)), 'wb') as f:
                f.write(shb(e) + b + idb(e) + epb(e, 40001, 1))
        mix += b + (epb(e, 40000 + len(mix) % 20000, 3) if t % 3 == 0 else b'')
    mix += epb(e, 40000, 4)
    with open(os.path.join(out, 'mix_%s.pcapng' % tag), 'wb') as f:
        f.write(mix)
PY

fail=0 files=0
for f in "$tmp"/*.pcapng; do
	n=$(basename "$f")
	want=$(tshark -r "$f" -T fields -e frame.number -e frame.protocols 2>"$tmp/err" |
		awk -F'\t' '$2 ~ /^eth/ { print $1 }' | tr '\n' ' ')
	if [ -s "$tmp/err" ] && grep -qv "Running as" "$tmp/err"; then
		echo "FAIL $n: tshark could not read the crafted file: $(grep -v 'Running as' "$tmp/err" | head -2)"
		fail=1
		continue
	fi
	got=$("$bin" packets --format jsonl "$f" 2>"$tmp/tc_err" |
		jq -r 'select(.type == "packet") | .frame' | tr '\n' ' ')
	if [ -s "$tmp/tc_err" ]; then
		echo "FAIL $n: tuplecheck: $(head -2 "$tmp/tc_err")"
		fail=1
	fi
	files=$((files + 1))
	if [ "$got" != "$want" ]; then
		echo "FAIL $n: tuplecheck frames '$got', tshark '$want'"
		fail=1
	fi
done
echo "tshark frame numbers: $files crafted captures compared"
exit $fail
