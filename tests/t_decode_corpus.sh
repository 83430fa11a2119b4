#!/usr/bin/env bash
# t_decode_corpus.sh - no public capture may crash the decoder, and the
# decoder must actually decode them.
#
# Runs build/asan/tools/decode_all (tests/tools/decode_all.c) over every file
# of corpus/tcpdump-tests/ under AddressSanitizer and UBSan: each record is
# decoded from a heap copy of exactly its captured length, checksums are
# verified, and the decoder's invariants are checked after every record (the
# tool aborts naming the file and frame). Then the totals must show real
# work: the lower bounds below sit about 20% under what the corpus gave when
# this test was written (10183 records, 1596 TCP and 1821 UDP headers), so a
# decoder that silently stops decoding a link type or a protocol fails here.
# Exit 0 pass, 1 fail, 77 skip.
set -u
cd "$(dirname "$0")/.."
tool=build/asan/tools/decode_all
if [ ! -x "$tool" ]; then
	echo "skip: $tool not built"
	exit 77
fi
out=$("$tool" corpus/tcpdump-tests) || { echo "$out"; echo "FAIL: decode_all exit $?"; exit 1; }
echo "$out"
totals=$(grep '^totals ' <<<"$out")
val() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$totals"; }
fail=0
need() {   # name, minimum
	local v
	v=$(val "$1")
	if [ -z "$v" ] || [ "$v" -lt "$2" ]; then
		echo "FAIL: $1=${v:-missing}, want at least $2"
		fail=1
	fi
}
need files 800
need packets 9000
need ok 4500
need tcp 1250
need udp 1450
exit $fail
