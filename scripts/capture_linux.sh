#!/usr/bin/env bash
# capture_linux.sh OUT.pcap [CONNECTIONS] - real Linux TCP traffic for the
# oracle: two network namespaces joined by a veth pair, a small server in one
# (ports 80, 443, 8080 on three IPv4 and one IPv6 address), a client in the
# other making CONNECTIONS (default 300) short TCP connections round-robin
# over those 12 destinations, plus 40 UDP datagrams from fresh sockets, all
# captured with tcpdump on the client's veth.
#
# Only the namespaces' own addresses are used (192.0.2.0/24 and 2001:db8::/64,
# documentation ranges, on the veth pair). Names carry this script's PID so
# parallel runs do not collide; a trap removes the namespaces (and with them
# the veth pair) and stops the processes this script started, by their PID.
# Needs root (ip netns), tcpdump and /usr/bin/python3. Exit status: 0 with
# OUT written, 77 when namespaces cannot be created here (reason printed on
# the last line), 1 on any other failure.
set -u
out=${1:?usage: capture_linux.sh OUT.pcap [CONNECTIONS]}
n_conn=${2:-300}
id=$$
nsa=tc-cli-$id nsb=tc-srv-$id
va=tcva$id vb=tcvb$id
pids=()
tmp=$(mktemp -d)

cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$nsa" 2>/dev/null
	ip netns del "$nsb" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root: network namespaces need CAP_SYS_ADMIN"
command -v ip > /dev/null || skip "iproute2 (ip) not installed"
command -v tcpdump > /dev/null || skip "tcpdump not installed"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not installed"
ip netns add "$nsa" 2> "$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
ip netns add "$nsb" 2> "$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
ip link add "$va" netns "$nsa" type veth peer name "$vb" netns "$nsb" 2> "$tmp/err" ||
	skip "cannot create a veth pair: $(cat "$tmp/err")"

A() { ip netns exec "$nsa" "$@"; }
B() { ip netns exec "$nsb" "$@"; }
set -e
A ip link set lo up
B ip link set lo up
A ip addr add 192.0.2.1/24 dev "$va"
A ip addr add 2001:db8::1/64 dev "$va" nodad
for a in 192.0.2.2 192.0.2.3 192.0.2.4; do B ip addr add "$a/24" dev "$vb"; done
B ip addr add 2001:db8::2/64 dev "$vb" nodad
A ip link set "$va" up
B ip link set "$vb" up
set +e

# Background jobs are started with `ip netns exec` itself (it execs the
# program), so $! is the program's own PID and the trap can stop it.
# server: accept, read to EOF, close; UDP: swallow datagrams
ip netns exec "$nsb" /usr/bin/python3 -c '
import selectors, socket
sel = selectors.DefaultSelector()
for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    for port in (80, 443, 8080):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port)); s.listen(128); s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, "listen")
    u = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    u.bind((addr, 53)); u.setblocking(False)
    sel.register(u, selectors.EVENT_READ, "udp")
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if key.data == "listen":
            c, _ = s.accept(); c.setblocking(False)
            sel.register(c, selectors.EVENT_READ, "conn")
        elif key.data == "udp":
            s.recvfrom(2048)
        else:
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            if d:
                s.send(b"ok")
            else:
                sel.unregister(s); s.close()
' &
pids+=($!)

ip netns exec "$nsa" tcpdump -i "$va" --immediate-mode -U -n -s 256 -w "$out" "tcp or udp" 2> "$tmp/tcpdump.err" &
pids+=($!)
for _ in $(seq 50); do
	grep -q "listening on" "$tmp/tcpdump.err" 2>/dev/null && break
	sleep 0.1
done
grep -q "listening on" "$tmp/tcpdump.err" || { echo "tcpdump did not start: $(cat "$tmp/tcpdump.err")"; exit 1; }

# wait for the server's sockets
for _ in $(seq 50); do
	B ss -ltn 2>/dev/null | grep -q ':8080 ' && break
	sleep 0.1
done

# the client, bounded: a stuck connection must not hang the test
timeout 120 ip netns exec "$nsa" /usr/bin/python3 - "$n_conn" <<'EOF'
import socket, sys, time
n = int(sys.argv[1])
dests = [(a, p) for a in ("192.0.2.2", "192.0.2.3", "192.0.2.4", "2001:db8::2")
         for p in (80, 443, 8080)]
for i in range(n):
    a, p = dests[i % len(dests)]
    fam = socket.AF_INET6 if ":" in a else socket.AF_INET
    for attempt in range(20):
        try:
            with socket.create_connection((a, p), timeout=5) as s:
                s.sendall(b"hello %d\n" % i)
                s.recv(16)
                s.shutdown(socket.SHUT_WR)
                while s.recv(16):
                    pass
            break
        except OSError:
            time.sleep(0.05)
    else:
        sys.exit("connection %d to %s:%d failed" % (i, a, p))
for i in range(40):
    a = ("192.0.2.2", "192.0.2.3", "192.0.2.4", "2001:db8::2")[i % 4]
    fam = socket.AF_INET6 if ":" in a else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as u:
        u.sendto(b"q%d" % i, (a, 53))
EOF
rc=$?
# tcpdump may lag behind the traffic: stop it only once the file has stopped
# growing (a signal makes it drop what is still queued in the kernel).
last=-1 same=0
for _ in $(seq 100); do
	size=$(stat -c %s "$out" 2>/dev/null || echo 0)
	if [ "$size" = "$last" ]; then
		same=$((same + 1))
		[ $same -ge 3 ] && break
	else
		same=0
	fi
	last=$size
	sleep 0.4
done
kill -INT "${pids[1]}" 2>/dev/null       # tcpdump writes its last packets and exits
for _ in $(seq 50); do
	kill -0 "${pids[1]}" 2>/dev/null || break
	sleep 0.1
done
wait "${pids[1]}" 2>/dev/null
[ $rc -eq 0 ] || { echo "client failed"; exit 1; }
[ -s "$out" ] || { echo "no capture written"; exit 1; }
echo "$(tr "\n" " " < "$tmp/tcpdump.err" | grep -o "[0-9]* packets captured.*dropped by kernel") into $out"
exit 0
