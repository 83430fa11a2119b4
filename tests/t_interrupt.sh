#!/usr/bin/env bash
# t_interrupt.sh - Ctrl-C (SIGINT) or SIGTERM stops a run cleanly: reading
# stops where it is, the file is finished as if it had ended there (the
# records of connections still open, the summary with "error":
# "interrupted"), one stderr line names the file, no later file is read,
# and the process then dies of the signal (exit 130 / 143 as a shell sees
# it). Cases:
#  1. a live stream waiting for packets (flows, jsonl), SIGINT;
#  2. the same after more than 128 connections ended, so the writer
#     thread is running: the signal still interrupts the waiting read;
#  3. a capture file being read while stdout is a full pipe (the signal
#     comes during a blocked write, which must not fail), SIGTERM, with a
#     second file after it that must not be started;
#  4. SIGINT ignored by the caller (a background job, nohup) stays ignored;
#  5. SIGTERM while a FIFO waits for its first writer.
set -u
# SIGINT ignored by whoever started the tests (nohup, a background job of a
# non-interactive shell) is inherited, and a shell can neither trap nor reset
# a signal ignored on entry: start again with it at its default, or no run
# below could be interrupted (tuplecheck rightly keeps an ignored SIGINT
# ignored).
[ -n "${TC_INT_DEFAULT:-}" ] || TC_INT_DEFAULT=1 exec env --default-signal=INT bash "$0" "$@"
set -m                  # background jobs get their own process group and keep SIGINT
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
flowgen=build/asan/tools/flowgen
if [ ! -x "$TC" ]; then
	echo "skip: $TC not built"
	exit 77
fi
for b in "$flowgen"; do
	if [ ! -x "$b" ]; then
		make --no-print-directory "$b" >/dev/null 2>&1 || { echo "FAIL: $b cannot be built"; exit 1; }
	fi
done
tmp=$(mktemp -d)
feeders=()
cleanup() {
	for p in "${feeders[@]+"${feeders[@]}"}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0

# check NAME RC WANT_RC RECORDS_REGEX WANT_RECORDS FILE_SHOWN
check() {
	local name=$1 rc=$2 want=$3 re=$4 nrec=$5 shown=$6 got
	got=$(grep -cE "$re" "$tmp/out")
	if [ "$rc" -ne "$want" ] || [ "$got" -ne "$nrec" ] ||
	   [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -qx "tuplecheck: $shown: interrupted" "$tmp/err" ||
	   [ "$(grep -c '"type":"summary"' "$tmp/out")" -ne 1 ] ||
	   ! grep -q '"type":"summary".*"error":"interrupted"' "$tmp/out"; then
		echo "FAIL $name: exit $rc (want $want), $got records (want $nrec), stderr: $(head -c 300 "$tmp/err")"
		tail -n 2 "$tmp/out" | cut -c1-300 | sed 's/^/    | /'
		fail=1
	else
		echo "ok   $name: exit $rc, $got records and the summary, \"$(cat "$tmp/err")\""
	fi
}

# live FILE CMD SIG: CMD reads FILE through a FIFO whose writer then keeps
# it open; SIG after 2 s.
live() {
	local f=$1 cmd=$2 sig=$3 pid feeder
	rm -f "$tmp/in"
	mkfifo "$tmp/in"
	( cat "$f"; exec sleep 60 ) >"$tmp/in" &
	feeder=$!
	feeders+=("$feeder")
	"$TC" "$cmd" --format jsonl - <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	sleep 2
	kill -s "$sig" "$pid"
	wait "$pid"
	rc=$?
	kill "$feeder" 2>/dev/null
	wait "$feeder" 2>/dev/null
}

# 1. 4 connections, the last one still open when the stream pauses.
live corpus/flows/incarnations.pcap flows INT
check "flows on a live stream, SIGINT" "$rc" 130 '"type":"flow"' 4 '<stdin>'

# 2. 300 refused connections ended (writer thread started), 300 still open.
"$flowgen" reuse 300 "$tmp/reuse.pcap" >/dev/null || exit 1
live "$tmp/reuse.pcap" flows INT
check "flows on a live stream with the writer thread, SIGINT" "$rc" 130 '"type":"flow"' 600 '<stdin>'

# 3. A capture file being read, its output going to a pipe that is full:
# the signal comes while the process waits in write(2), which must go on
# (no "write error: Interrupted system call", nothing lost) once the
# reader drains the pipe; reading then stops within 4 MiB, the summary
# says why, and the second file is not started.
"$flowgen" reuse 20000 "$tmp/big.pcap" >/dev/null || exit 1       # 4.5 MB, 60,000 packets
mkfifo "$tmp/fifo"
( exec 3<"$tmp/fifo"; sleep 4; cat <&3 >"$tmp/out" ) &
reader=$!
"$TC" packets --format jsonl "$tmp/big.pcap" "$tmp/reuse.pcap" >"$tmp/fifo" 2>"$tmp/err" &
pid=$!
sleep 1.5
kill -s TERM "$pid"
wait "$pid"
rc=$?
wait "$reader"
n=$(grep -c '"type":"packet"' "$tmp/out")
check "packets of a 4.5 MB file into a full pipe, SIGTERM" "$rc" 143 '"type":"packet"' "$n" "$tmp/big.pcap"
last=$(grep '"type":"packet"' "$tmp/out" | tail -n 1 | sed 's/.*"frame":\([0-9]*\).*/\1/')
if [ "$n" -lt 100 ] || [ "$n" -ge 60000 ] || [ "$last" != "$n" ] || grep -q 'reuse.pcap' "$tmp/out"; then
	echo "FAIL packets, SIGTERM: $n records (last frame ${last:-?}) of 60000, or the next file was read"
	fail=1
else
	echo "ok   packets, SIGTERM: frames 1-$n of 60000 complete, then the summary; next file not started"
fi

# 4. SIGINT ignored by whoever started us: the run goes on to its end.
( trap '' INT; exec "$TC" flows --format jsonl - ) < <(cat corpus/flows/incarnations.pcap; exec sleep 3) >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 1.5
kill -s INT "$pid"
wait "$pid"
rc=$?
if [ $rc -ne 0 ] || [ -s "$tmp/err" ] || grep -q interrupted "$tmp/out" || [ "$(grep -c '"type":"flow"' "$tmp/out")" -ne 4 ]; then
	echo "FAIL SIGINT ignored by the caller: exit $rc, $(cat "$tmp/err")"
	fail=1
else
	echo "ok   SIGINT ignored by the caller: the run went on to its end (exit 0)"
fi

# 5. A FIFO nobody has opened for writing yet: opening it used to wait in
#    open(2), which SA_RESTART restarts after the handler, so the first
#    SIGTERM did nothing. It must end the run at once.
mkfifo "$tmp/nowriter.pcap"
"$TC" packets "$tmp/nowriter.pcap" >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 0.5
kill -s TERM "$pid"
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$pid" 2>/dev/null; then
	kill -s KILL "$pid"; wait "$pid" 2>/dev/null
	echo "FAIL FIFO without a writer: still waiting 2 s after SIGTERM"; fail=1
else
	wait "$pid"
	rc=$?
	if [ $rc -ne 143 ] || [ "$(cat "$tmp/err")" != "tuplecheck: $tmp/nowriter.pcap: interrupted" ]; then
		echo "FAIL FIFO without a writer: exit $rc (want 143), stderr: $(cat "$tmp/err")"; fail=1
	else
		echo "ok   FIFO without a writer: SIGTERM ends the wait (exit 143, one line)"
	fi
fi

[ $fail -eq 0 ] && echo "t_interrupt: all passed"
exit $fail
