#!/usr/bin/env bash
# scripts/deps.sh - make sure the tools and libraries tuplecheck needs are here.
#
#   scripts/deps.sh [--check] [GROUP...]      (--help: the usage below)
#
# Checks quickly (no package manager call when all is present). When something
# is missing: as root, installs it with apt-get; otherwise prints the exact
# apt-get command and exits 1. `make test` runs it for everything; `make
# ci-fuzz` only for what its ENGINE and the build need, so that a libFuzzer
# job does not require AFL++ or the test tools.
#   --check   only report, never install (exit 1 when something is missing);
#             anywhere among the arguments
#   GROUP     build      make, gcc, libpcap, /usr/bin/python3 (every job)
#             triage     llvm-symbolizer (named stack frames in crash reports)
#             libfuzzer  clang and its libFuzzer runtime
#             afl        AFL++ (afl-fuzz, afl-clang-fast, afl-tmin, afl-cmin)
#             test       clang, llvm-cov, cmocka, scapy, tshark, tcpdump, ip, jq,
#                        script, strace, /usr/bin/time, zip, unzip, cppcheck
#   no GROUP: all of them. On a bare Debian 12 (no make yet) run it first,
#   as root: bash scripts/deps.sh
# Exit: 0 all present, 1 something missing (and not installed), 2 usage.
set -u
usage() {
	sed -n '2,/^# Exit:/s/^# \{0,1\}//p' "$0"
}
check_only=0
args=()
for a in "$@"; do
	case $a in
	--check) check_only=1 ;;
	-h|--help) usage; exit 0 ;;
	-*) echo "deps: unknown option '$a' (--check, --help)" >&2; exit 2 ;;
	*) args+=("$a") ;;
	esac
done
groups=" ${args[*]:-build triage libfuzzer afl test} "
for g in $groups; do
	case $g in
	build|triage|libfuzzer|afl|test) ;;
	*) echo "deps: unknown group '$g' (build, triage, libfuzzer, afl, test; --help)" >&2; exit 2 ;;
	esac
done

missing=()        # Debian package names
need() {          # group, package, test command...
	local group=$1 pkg=$2; shift 2
	case $groups in *" $group "*) ;; *) return 0 ;; esac
	if ! "$@" >/dev/null 2>&1; then
		missing+=("$pkg")
	fi
}
have() { command -v "$1"; }
have_file() { [ -e "$1" ]; }

need build     make             have make
need build     gcc              have gcc
need build     libpcap-dev      have_file /usr/include/pcap/pcap.h
need build     python3          have_file /usr/bin/python3
need triage    llvm             bash -c 'command -v llvm-symbolizer-14 || command -v llvm-symbolizer'
need libfuzzer clang            have clang
need libfuzzer libclang-rt-14-dev bash -c 'ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a'
need test      llvm             bash -c 'command -v llvm-profdata && command -v llvm-cov && command -v llvm-symbolizer'
need afl       afl++            bash -c 'command -v afl-fuzz && command -v afl-clang-fast && command -v afl-tmin && command -v afl-cmin'
need test      clang            have clang
need test      libcmocka-dev    have_file /usr/include/cmocka.h
need test      python3-scapy    /usr/bin/python3 -c 'import scapy.all'
need test      tshark           have tshark
need test      tcpdump          have tcpdump
need test      iproute2         have ip
need test      jq               have jq
need test      bsdutils         have script          # util-linux script: t_progress's pty
need test      strace           have strace          # t_reduce_interrupt's signal injection
need test      time             have_file /usr/bin/time   # t_reader_limits's peak RSS
need test      zip              have zip             # t_clusterfuzzlite's seed corpus zips
need test      unzip            have unzip
need test      cppcheck         have cppcheck        # t_analyze (make analyze)

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
exec "$0" --check $groups
