#!/usr/bin/env bash
# t_progress.sh - progress on stderr (oracle/driver.c): never on stdout,
# never unless asked or stderr is a terminal, and then once a second and a
# last line per file.
#
#  1. --progress on a small capture: stdout byte for byte as without it;
#     stderr is exactly one line, "tuplecheck: FILE: read N packets (...)"
#     with N the summary's packet count.
#  2. default, stderr a file: nothing on stderr.
#  3. stderr a terminal (util-linux script gives a pty), stdout a file:
#     a 2,000,000-SYN capture under the sanitizer build takes more than a
#     second, so at least one in-place line ("\r... NN% (x of y MB) ...")
#     comes before the last line; --no-progress: nothing.
#  4. --progress on a capture cut mid-record: the last progress line, then
#     the error line naming the file; exit 2.
# Exit 0 pass, 1 fail, 77 skip.
set -u
cd "$(dirname "$0")/.."
tc=${TC_BIN:-build/asan/tuplecheck}
genpcap=build/bench/gen_pcap
[ -x "$tc" ] || { echo "skip: $tc not built"; exit 77; }
command -v script >/dev/null || { echo "skip: script (util-linux) is missing"; exit 77; }
if [ ! -x "$genpcap" ]; then
	make --no-print-directory "$genpcap" >/dev/null 2>&1 || { echo "skip: $genpcap cannot be built"; exit 77; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

f=corpus/flows/incarnations.pcap
# 1
"$tc" flows --format jsonl --seed 1 "$f" >"$tmp/plain.out" 2>"$tmp/plain.err"
"$tc" flows --format jsonl --seed 1 --progress "$f" >"$tmp/prog.out" 2>"$tmp/prog.err"
n=$(tail -n 1 "$tmp/plain.out" | jq -r .packets)
if cmp -s "$tmp/plain.out" "$tmp/prog.out" && [ "$(wc -l <"$tmp/prog.err")" -eq 1 ] &&
   grep -Eq "^tuplecheck: $f: read $n packets \([0-9.]+ MB\) in [0-9.]+ s, [0-9.]+ M packets/s$" "$tmp/prog.err"; then
	ok "--progress: stdout unchanged, one last line on stderr ($(cat "$tmp/prog.err"))"
else
	bad "--progress on $f: stdout differs or stderr is not one last line:"; sed 's/^/    | /' "$tmp/prog.err"
fi
# 2
if [ ! -s "$tmp/plain.err" ]; then ok "default with stderr not a terminal: nothing on stderr"
else bad "default printed on stderr:"; sed 's/^/    | /' "$tmp/plain.err"; fi

# 3
nice "$genpcap" synflood --packets 2000000 --seed 4 "$tmp/syn.pcap" 2>/dev/null || { echo "FAIL gen_pcap"; exit 1; }
script -qec "$tc flows --format jsonl --max-flows 1000 $tmp/syn.pcap > $tmp/tty.out" /dev/null >"$tmp/tty.err" 2>&1
if grep -q $'\r'"tuplecheck: $tmp/syn.pcap: *[0-9]*% ([0-9.]* of [0-9.]* MB), [0-9]* packets" "$tmp/tty.err" &&
   grep -q "tuplecheck: $tmp/syn.pcap: read 2000000 packets" "$tmp/tty.err" &&
   [ "$(tail -n 1 "$tmp/tty.out" | jq -r .packets)" = 2000000 ]; then
	ok "stderr a terminal: in-place progress lines, then the last line; stdout complete"
else
	bad "stderr a terminal: no in-place progress line or no last line:"; tr '\r' '\n' <"$tmp/tty.err" | sed 's/^/    | /' | tail -n 5
fi
script -qec "$tc flows --format jsonl --max-flows 1000 --no-progress $tmp/syn.pcap > $tmp/tty2.out" /dev/null >"$tmp/tty2.err" 2>&1
if [ ! -s "$tmp/tty2.err" ] && cmp -s "$tmp/tty.out" "$tmp/tty2.out"; then
	ok "--no-progress on a terminal: nothing on stderr, same stdout"
else
	bad "--no-progress on a terminal printed:"; tr '\r' '\n' <"$tmp/tty2.err" | sed 's/^/    | /' | tail -n 5
fi

# 4
head -c 5000 "$tmp/syn.pcap" >"$tmp/cut.pcap"
"$tc" flows --format jsonl --progress "$tmp/cut.pcap" >/dev/null 2>"$tmp/cut.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/cut.err")" -eq 2 ] &&
   head -n 1 "$tmp/cut.err" | grep -q "^tuplecheck: $tmp/cut.pcap: read [0-9]* packets" &&
   tail -n 1 "$tmp/cut.err" | grep -q "^tuplecheck: $tmp/cut.pcap: truncated record"; then
	ok "cut capture: the last progress line, then the error line, exit 2"
else
	bad "cut capture (exit $rc):"; sed 's/^/    | /' "$tmp/cut.err"
fi
exit $fail
