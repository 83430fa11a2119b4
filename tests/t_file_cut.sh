#!/usr/bin/env bash
# t_file_cut.sh - a capture file that another program truncates, or keeps
# writing, while tuplecheck reads it (tcpdump -W reopening a ring file with
# O_TRUNC; a capture still being written). The file is read through a window
# (oracle/input.c), so:
#  1. cut in the middle of a record while it is being read: exit 2 (not
#     killed by SIGBUS, as when the file was mapped), one stderr line naming
#     the file, saying it shrank from its size at opening to the new one and
#     what the reader found at the cut; every record before the cut on
#     stdout exactly as for a copy cut there beforehand, the summary's
#     "error" carrying the same reason;
#  2. cut exactly between two records: still exit 2 and the same message
#     (the reader alone would see a clean end), same records as the copy;
#  3. records appended while it is being read are read too (as cat would),
#     several windows of them (so that windows end past the size the file
#     had when opened, with a record across the edge: its size is taken
#     again as the file grows),
#     exit 0.
# tuplecheck writes `packets` records into a FIFO the test has stopped
# reading, so it waits with only its first window read; the test reads the
# first record (the file is open), changes the file, then drains the FIFO.
# Sanitizer build.
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
genpcap=build/bench/gen_pcap
if [ ! -x "$TC" ]; then
	echo "skip: $TC not built"
	exit 77
fi
if [ ! -x "$genpcap" ]; then
	make --no-print-directory "$genpcap" >/dev/null 2>&1 || { echo "FAIL: $genpcap cannot be built"; exit 1; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

nice "$genpcap" synflood --packets 200000 --seed 4 "$tmp/orig.pcap" 2>/dev/null || exit 1
size=$(stat -c %s "$tmp/orig.pcap")

# boundary N: the offset of the first record at or after byte N (pcap:
# 24-byte header, then 16-byte record headers with caplen at +8, little endian)
boundary() {
	/usr/bin/python3 - "$tmp/orig.pcap" "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
want, off = int(sys.argv[2]), 24
while off < want:
    off += 16 + struct.unpack_from('<I', data, off + 8)[0]
print(off)
PY
}

# during NAME ACTION...: run `packets` on a fresh copy of the capture into a
# FIFO, read its first line, run ACTION on the file, drain the rest.
# Leaves $tmp/NAME.out (all stdout), .err, .rc.
during() {
	local name=$1 f=$tmp/$1.pcap first
	shift
	cp "$tmp/orig.pcap" "$f"
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	"$TC" packets --format jsonl "$f" >"$tmp/fifo" 2>"$tmp/$name.err" &
	local pid=$!
	exec 3<"$tmp/fifo"
	IFS= read -r first <&3
	"$@" "$f"
	{ printf '%s\n' "$first"; cat <&3; } >"$tmp/$name.out"
	exec 3<&-
	wait "$pid"
	echo $? >"$tmp/$name.rc"
}

# expect_cut NAME AT: NAME's run cut at byte AT against a copy cut there.
expect_cut() {
	local name=$1 at=$2 rc copy=$tmp/$1-copy.pcap
	rc=$(cat "$tmp/$name.rc")
	head -c "$at" "$tmp/orig.pcap" >"$copy"
	"$TC" packets --format jsonl "$copy" >"$tmp/$name-copy.out" 2>/dev/null
	if [ "$rc" != 2 ]; then
		echo "FAIL $name: exit $rc, expected 2 ($(head -c 300 "$tmp/$name.err"))"
		fail=1
		return
	fi
	/usr/bin/python3 - "$tmp" "$name" "$size" "$at" <<'PY' || fail=1
import json, os, sys
tmp, name, size, at = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
f = os.path.join(tmp, name + '.pcap')
out = open(os.path.join(tmp, name + '.out')).read().splitlines()
ref = open(os.path.join(tmp, name + '-copy.out')).read().replace(
    os.path.join(tmp, name + '-copy.pcap'), f).splitlines()
err = open(os.path.join(tmp, name + '.err')).read()
why = 'the file shrank from %d to %d bytes while it was being read ' \
      '(another program truncated or rewrote it)' % (size, at)
ok = True
def check(cond, what):
    global ok
    print(('ok   ' if cond else 'FAIL ') + name + ': ' + what)
    ok = ok and cond
summ, rsumm = json.loads(out[-1]), json.loads(ref[-1])
ref_err = rsumm.get('error')
full = why + (': ' + ref_err if ref_err else '')
check(out[:-1] == ref[:-1] and len(out) > 1000,
      '%d records, the same as from a copy cut at byte %d' % (len(out) - 1, at))
check(summ.get('error') == full and
      {k: v for k, v in summ.items() if k != 'error'} == {k: v for k, v in rsumm.items() if k != 'error'},
      'summary as the copy\'s, error %r' % summ.get('error'))
check(err == 'tuplecheck: %s: %s\n' % (f, full), 'one stderr line: %r' % err[:300])
sys.exit(0 if ok else 1)
PY
}

# 1. in the middle of a record, past the first window
mid=$(( size / 2 + 7 ))
during mid truncate -s "$mid"
expect_cut mid "$mid"

# 2. between two records
edge=$(boundary $(( size * 2 / 3 )))
during edge truncate -s "$edge"
expect_cut edge "$edge"

# 3. appended while being read: the records of a second capture (its
# 24-byte file header left out) after the first's
nice "$genpcap" synflood --packets 50000 --seed 5 "$tmp/more.pcap" 2>/dev/null || exit 1
append() { tail -c +25 "$tmp/more.pcap" >>"$1"; }
during grow append
n=$(grep -c '"type":"packet"' "$tmp/grow.out")
if [ "$(cat "$tmp/grow.rc")" = 0 ] && [ "$n" = 250000 ] && [ ! -s "$tmp/grow.err" ]; then
	echo "ok   grow: records appended while the file was read are read too (250000 packets, exit 0)"
else
	echo "FAIL grow: exit $(cat "$tmp/grow.rc"), $n packets, expected 250000 and exit 0 ($(head -c 300 "$tmp/grow.err"))"
	fail=1
fi

exit $fail
