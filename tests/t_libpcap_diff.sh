#!/usr/bin/env bash
# t_libpcap_diff.sh - our capture reader against libpcap on every corpus capture.
#
# Runs build/asan/tools/pcapcmp (tests/tools/pcapcmp.c: both readers in
# lockstep, every record's lengths, timestamp, link type and bytes, and how
# each ends) on every corpus/tcpdump-tests/*.pcap and *.pcapng. Every file
# must agree, except those listed with an explanation in
# tests/libpcap_diff_known.txt; a listed file that no longer differs fails
# too, so the list stays true. A crash or sanitizer report fails at once.
set -u
cd "$(dirname "$0")/.."
tool=build/asan/tools/pcapcmp
known=tests/libpcap_diff_known.txt
corpus=corpus/tcpdump-tests

if [ ! -x "$tool" ]; then
	echo "skip: $tool is not built (make asan)"
	exit 77
fi
declare -A reason=()
while IFS= read -r line || [ -n "$line" ]; do
	case $line in ''|'#'*) continue ;; esac
	name=${line%%$'\t'*}
	why=${line#*$'\t'}
	if [ "$name" = "$line" ] || [ -z "${why// /}" ]; then
		echo "FAIL: $known: line without a TAB-separated reason: $line"
		exit 1
	fi
	if [ ! -f "$corpus/$name" ]; then
		echo "FAIL: $known lists $name, which is not in $corpus"
		exit 1
	fi
	reason[$name]=$why
done <"$known"

total=0 agree=0 listed=0 bad=0
for f in "$corpus"/*.pcap "$corpus"/*.pcapng; do
	[ -f "$f" ] || continue
	name=${f##*/}
	total=$((total + 1))
	out=$(nice "$tool" "$f" 2>&1)
	rc=$?
	case $rc in
	0)
		if [ -n "${reason[$name]+x}" ]; then
			echo "STALE: $name is listed in $known but now agrees: $out"
			bad=$((bad + 1))
		else
			agree=$((agree + 1))
		fi
		;;
	1|2)
		if [ -n "${reason[$name]+x}" ]; then
			listed=$((listed + 1))
			echo "known: $name: $out"
		else
			echo "DIFFERS: $name (exit $rc): $out"
			bad=$((bad + 1))
		fi
		;;
	*)
		echo "CRASH: $name (exit $rc):"
		printf '%s\n' "$out" | tail -n 20
		bad=$((bad + 1))
		;;
	esac
done
echo "$total captures: $agree agree with libpcap, $listed known differences (listed), $bad unexpected"
[ "$total" -gt 0 ] && [ "$bad" -eq 0 ]
