#!/usr/bin/env bash
# t_classify_captures.sh - the port-selection classifier through whole
# captures (engine, oracle, `hosts` and `replay` records), on the cases an
# audit found wrong. The captures are written here (Python, fixed seeds,
# Ethernet/IPv4 with TCP handshakes or UDP query/reply pairs), so the test
# needs nothing outside the tree:
#   narrow40k      alg 1-like random ports in 40000-44999 (a narrowed
#                  range) to 100 destinations: random, not
#                  per-destination-sequential
#   outlier123     random UDP ports in Linux's range to 200 endpoints in
#                  turn plus one flow from port 123: random
#   legacy_steady  4.4BSD-like lowest free port first, 4 connections live,
#                  one of them aborted (RST) before each new one: ports
#                  1025.. reused out of order; sequential and port.sequential
#   stride100      +100 per connection, 5 destinations in turn; and -100:
#                  sequential and port.sequential
#   fixed_middle   600 UDP flows, flows 300-309 from port 5353 to 10
#                  endpoints: port.fixed (port 5353), class fixed
#   fixed_d8       23 flows, 8 of them from port 40000 to 8 endpoints:
#                  port.fixed and class fixed together
#   two_random     2 connections, 2 ports, --min-samples 2: not fixed
#   dns_reply_first / dns_replies_only  a DNS server's replies (53 -> high
#                  port) seen before the queries, or alone: no host record
#                  for the server and no port.fixed
#   mixed_7_7      7 TCP + 7 UDP connections: unknown (per protocol), and
#                  --help says so
# Everywhere: a host with a port.fixed finding has port_selection fixed.
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
[ -x "$TC" ] || { echo "missing $TC (make asan)"; exit 1; }
command -v jq >/dev/null || { echo "skip: jq is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

/usr/bin/python3 - "$tmp" <<'PY' || { echo "FAIL: could not write the captures"; exit 1; }
import random, struct, sys

out = sys.argv[1]

def csum(b):
    s = 0
    for i in range(0, len(b), 2):
        s += (b[i] << 8) + (b[i + 1] if i + 1 < len(b) else 0)
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip4(a):
    return bytes(int(x) for x in a.split('.'))

class Cap:
    def __init__(self):
        self.pk = []
        self.isn = 1000
    def frame(self, t, src, dst, proto, l4):
        ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 0, 0x4000, 64,
                                   proto, 0, ip4(src), ip4(dst)))
        ip[10:12] = struct.pack('!H', csum(bytes(ip)))
        eth = b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00'
        self.pk.append((t, eth + bytes(ip) + l4))
    def tcp(self, t, src, sp, dst, dp, flags, seq, ack=0):
        self.frame(t, src, dst, 6, struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags,
                                                65535, 0, 0))
    def connect(self, t, src, sp, dst, dp):
        """handshake; returns the client's next sequence number"""
        self.isn += 7919
        c, s = self.isn, self.isn * 3 & 0xffffffff
        self.tcp(t, src, sp, dst, dp, 0x02, c)
        self.tcp(t + 1e-5, dst, dp, src, sp, 0x12, s, c + 1)
        self.tcp(t + 2e-5, src, sp, dst, dp, 0x10, c + 1, s + 1)
        return c + 1
    def udp(self, t, src, sp, dst, dp, payload=b'q'):
        self.frame(t, src, dst, 17, struct.pack('!HHHH', sp, dp, 8 + len(payload), 0) + payload)
    def query(self, t, src, sp, dst, dp):
        self.udp(t, src, sp, dst, dp, b'q')
        self.udp(t + 1e-4, dst, dp, src, sp, b'r')
    def write(self, name):
        self.pk.sort(key=lambda p: p[0])
        with open(f'{out}/{name}.pcap', 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for t, b in self.pk:
                sec = int(t)
                f.write(struct.pack('<IIII', sec, int(round((t - sec) * 1e6)), len(b), len(b)))
                f.write(b)

H = '10.0.0.1'
def server(d):
    return f'198.51.{d >> 8}.{d & 255}'

# random ports in a narrowed range, 100 destinations
r, c = random.Random(1), Cap()
for i in range(400):
    d = r.randrange(100)
    c.connect(1 + i * 0.1, H, r.randrange(40000, 45000), server(d), 443)
c.write('narrow40k')

# UDP, Linux's range, 200 endpoints in turn, one stray flow from port 123
r, c = random.Random(2), Cap()
for i in range(600):
    c.query(1 + i * 0.05, H, 123 if i == 300 else r.randrange(32768, 61000), server(i % 200), 53)
c.write('outlier123')

# lowest free port first above 1024, 4 live, one of them (any) reset before
# each new one
r, c = random.Random(3), Cap()
live, used = [], set()
for i in range(300):
    t = 1 + i * 0.1
    if len(live) == 4:
        sp, dst, seq = live.pop(r.randrange(4))
        c.tcp(t - 1e-3, H, sp, dst, 443, 0x04, seq)
        used.discard(sp)
    sp = next(p for p in range(1025, 5000) if p not in used)
    used.add(sp)
    dst = server(r.randrange(8))
    live.append((sp, dst, c.connect(t, H, sp, dst, 443)))
c.write('legacy_steady')

# constant strides, 5 destinations in turn
for name, stride in (('stride100', 100), ('stride_m100', -100)):
    c, p = Cap(), 45000
    for i in range(40):
        c.connect(1 + i * 0.1, H, p, server(i % 5), 443)
        p += stride
    c.write(name)

# port 5353 to 10 endpoints in the middle of 600 random UDP flows
r, c = random.Random(4), Cap()
for i in range(600):
    if 300 <= i < 310:
        c.query(1 + i * 0.05, H, 5353, server(1000 + i), 53)
    else:
        c.query(1 + i * 0.05, H, r.randrange(32768, 61000), server(r.randrange(200)), 53)
c.write('fixed_middle')

# 8 of 23 flows from port 40000, each to its own endpoint
r, c = random.Random(5), Cap()
for i in range(23):
    sp = 40000 if i % 3 == 0 else r.randrange(32768, 61000)
    c.query(1 + i * 0.05, H, sp, server(i), 53)
c.write('fixed_d8')

c = Cap()
c.connect(1, H, 56046, server(1), 443)
c.connect(2, H, 56641, server(2), 443)
c.write('two_random')

# a DNS server's replies before its queries (captured late), then alone
for name, with_query in (('dns_reply_first', True), ('dns_replies_only', False)):
    r, c = random.Random(6), Cap()
    for i in range(20):
        cl, sp, t = f'10.1.0.{i + 1}', r.randrange(32768, 61000), 1 + i * 0.1
        c.udp(t, '10.9.9.9', 53, cl, sp, b'r')
        if with_query:
            c.udp(t + 1e-3, cl, sp, '10.9.9.9', 53, b'q')
    c.write(name)

c = Cap()
for i in range(7):
    c.connect(1 + i * 0.1, H, 1025 + i, server(i), 443)
    c.query(2 + i * 0.1, H, 2025 + i, server(i), 53)
c.write('mixed_7_7')
PY

# class NAME [OPTIONS...] HOST: HOST's port_selection in `hosts` (empty: no record)
class() {
	local name=$1 host=${!#}
	"$TC" hosts --format jsonl --seed 1 "${@:2:$#-2}" "$tmp/$name.pcap" |
		jq -r --arg h "$host" 'select(.type == "host" and .host == $h) | .port_selection'
}
# rules NAME [OPTIONS...]: the rules `replay` raises, sorted, one line
rules() {
	"$TC" replay --format jsonl --seed 1 "${@:2}" "$tmp/$1.pcap" |
		jq -r 'select(.type == "finding") | .rule' | sort -u | tr '\n' ' '
}
expect() {   # what got want
	if [ "$2" = "$3" ]; then echo "ok: $1: $2"; else echo "FAIL: $1: got '$2', want '$3'"; fail=1; fi
}

expect "narrow40k class" "$(class narrow40k 10.0.0.1)" random
expect "narrow40k rules" "$(rules narrow40k)" ""
expect "outlier123 class" "$(class outlier123 10.0.0.1)" random
expect "legacy_steady class" "$(class legacy_steady 10.0.0.1)" sequential
expect "legacy_steady rules" "$(rules legacy_steady)" "port.sequential "
for s in stride100 stride_m100; do
	expect "$s class" "$(class $s 10.0.0.1)" sequential
	expect "$s rules" "$(rules $s)" "port.sequential "
done
expect "fixed_middle class" "$(class fixed_middle 10.0.0.1)" fixed
expect "fixed_middle rules" "$(rules fixed_middle)" "port.fixed "
got=$("$TC" replay --format jsonl --seed 1 "$tmp/fixed_middle.pcap" |
	jq -r 'select(.type == "finding") | .message')
expect "fixed_middle port" "${got%% is used*}" "UDP source port 5353"
expect "fixed_d8 class" "$(class fixed_d8 10.0.0.1)" fixed
expect "fixed_d8 rules" "$(rules fixed_d8)" "port.fixed "
expect "two_random class (--min-samples 2)" "$(class two_random --min-samples 2 10.0.0.1)" random
for n in dns_reply_first dns_replies_only; do
	expect "$n server record" "$(class $n 10.9.9.9)" ""
	expect "$n rules" "$(rules $n)" ""
	# nor is the reply's source port judged against the ephemeral range
	expect "$n rules (--profile linux)" "$(rules $n --profile linux)" ""
done
expect "mixed_7_7 class" "$(class mixed_7_7 10.0.0.1)" unknown
if "$TC" --help 2>&1 | grep -A2 -- '--min-samples' | grep -q 'per protocol'; then
	echo "ok: --help says --min-samples counts per protocol"
else
	echo "FAIL: --help does not say that --min-samples counts per protocol"; fail=1
fi

# the class and port.fixed never disagree, in replay's own records
for f in "$tmp"/*.pcap; do
	bad=$("$TC" replay --format jsonl --seed 1 "$f" | jq -rs '
		[.[] | select(.type == "finding" and .rule == "port.fixed") | .host] as $fx |
		.[] | select(.type == "host" and (.host as $h | $fx | index($h)) and
			.port_selection != "fixed") | .host')
	[ -z "$bad" ] || { echo "FAIL: $(basename "$f"): port.fixed on $bad whose class is not fixed"; fail=1; }
done
exit $fail
