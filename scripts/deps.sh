#!/usr/bin/env bash
# scripts/deps.sh - make sure every tool and library tuplecheck needs is here.
#
# Checks quickly (no package manager call when all is present). When something
# is missing: as root, installs it with apt-get; otherwise prints the exact
# apt-get command and exits 1. `make test` and `make ci-fuzz` run it first.
#   --check   only report, never install (exit 1 when something is missing)
set -u
check_only=0
[ "${1:-}" = "--check" ] && check_only=1

missing=()        # Debian package names
need() {          # description, test command..., -- package
	local pkg=$1; shift
	if ! "$@" >/dev/null 2>&1; then
		missing+=("$pkg")
	fi
}
have() { command -v "$1"; }
have_file() { [ -e "$1" ]; }

need make             have make
need gcc              have gcc
need clang            have clang
need libclang-rt-14-dev bash -c 'ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a'
need llvm             bash -c 'command -v llvm-profdata && command -v llvm-cov && command -v llvm-symbolizer'
need afl++            bash -c 'command -v afl-fuzz && command -v afl-clang-fast && command -v afl-tmin'
need libpcap-dev      have_file /usr/include/pcap/pcap.h
need libcmocka-dev    have_file /usr/include/cmocka.h
need python3-scapy    /usr/bin/python3 -c 'import scapy.all'
need tshark           have tshark
need tcpdump          have tcpdump
need iproute2         have ip
need jq               have jq
need bsdutils         have script          # util-linux script: t_progress's pty
need strace           have strace          # t_reduce_interrupt's signal injection

# Unique, in order.
pkgs=$(printf '%s\n' "${missing[@]+"${missing[@]}"}" | awk 'NF && !seen[$0]++' | tr '\n' ' ')
if [ -z "$pkgs" ]; then
	exit 0
fi
echo "deps: missing packages: $pkgs" >&2
cmd="apt-get install -y --no-install-recommends $pkgs"
if [ $check_only -eq 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	echo "deps: install them with:  sudo apt-get update && sudo $cmd" >&2
	exit 1
fi
echo "deps: installing with apt-get (a few minutes on a fresh machine)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2 || { echo "deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $pkgs >&2 || { echo "deps: apt-get install failed" >&2; exit 1; }
# Re-check so a package that installed but did not provide the tool is named.
exec "$0" --check
