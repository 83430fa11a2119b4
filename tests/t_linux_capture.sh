#!/usr/bin/env bash
# t_linux_capture.sh - the oracle on real Linux traffic.
#
# scripts/capture_linux.sh makes a few hundred TCP connections (and some UDP
# datagrams) between two network namespaces with this machine's own kernel
# and captures them. A conforming stack must draw no tuple.* and no port.*
# finding (with --profile linux, so the ephemeral range is checked too), and
# the client must be classified as a randomizing allocator (Linux uses RFC
# 6056 algorithm 4: per-destination-sequential; random and
# random-increments are accepted too), never sequential, fixed or unknown.
# The same verdict function is first run on the sequential scenario capture
# and must reject it, so the check cannot pass vacuously.
# Skips (exit 77, reason on the last line) where namespaces cannot be made.
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$TC" ] || { echo "missing $TC (make asan)"; exit 1; }

# verdict FILE: prints problems, exit 0 when the capture looks like a
# conforming randomizing stack
verdict() {
	"$TC" replay --format jsonl --seed 1 --profile linux "$1" > "$tmp/r.jsonl" 2> "$tmp/r.err"
	[ $? -le 1 ] || { echo "replay failed: $(cat "$tmp/r.err")"; return 1; }
	"$TC" hosts --format jsonl --seed 1 "$1" > "$tmp/h.jsonl" 2> "$tmp/h.err" ||
		{ echo "hosts failed: $(cat "$tmp/h.err")"; return 1; }
	/usr/bin/python3 - "$tmp/r.jsonl" "$tmp/h.jsonl" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
hosts = [json.loads(l) for l in open(sys.argv[2]) if '"host"' in l]
bad = []
for f in recs:
    if f["type"] == "finding" and f["rule"].split(".")[0] in ("tuple", "port"):
        bad.append("finding %s at frame %d: %s" % (f["rule"], f["frame"], f["message"]))
ok = {"per-destination-sequential", "random-increments", "random"}
tcp_conns = 0
for h in hosts:
    if h["type"] != "host" or "tcp" not in h:
        continue
    tcp_conns += h["tcp"]["connections"]
    if h["tcp"]["port_selection"] not in ok:
        bad.append("host %s: TCP class %s (%d connections)" %
                   (h["host"], h["tcp"]["port_selection"], h["tcp"]["connections"]))
if tcp_conns < 100:
    bad.append("only %d TCP connections initiated" % tcp_conns)
others = sorted(set(f["rule"] for f in recs if f["type"] == "finding"))
print("%d TCP connections; classes %s; other findings: %s" % (
    tcp_conns, sorted(set(h["tcp"]["port_selection"] for h in hosts if "tcp" in h)),
    others or "none"))
for b in bad[:10]:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF
}

# the check must be able to fail
if verdict corpus/pcaps/hosts_sequential.pcap > "$tmp/neg" 2>&1; then
	echo "FAIL: the verdict accepts the sequential scenario:"; cat "$tmp/neg"; exit 1
fi

bash scripts/capture_linux.sh "$tmp/linux.pcap" 300 > "$tmp/cap.log" 2>&1
rc=$?
if [ $rc -eq 77 ]; then
	tail -n 1 "$tmp/cap.log"
	exit 77
fi
[ $rc -eq 0 ] || { echo "FAIL: capture_linux.sh exit $rc:"; cat "$tmp/cap.log"; exit 1; }
cat "$tmp/cap.log"
if verdict "$tmp/linux.pcap"; then
	echo "ok: kernel $(uname -r) traffic is clean and randomized"
	exit 0
fi
echo "FAIL: real Linux traffic drew findings or a predictable class"
exit 1
