#!/usr/bin/env bash
# scripts/triage.sh - triage crash files from anywhere, the CI fuzz job's way.
#
#   scripts/triage.sh [--promote] [--target NAME] [--out DIR] [--bin-dir DIRS]
#                     [--minimize-seconds N] [--regressions DIR] PATH...
#
# PATH: crash files or folders: an AFL++ output folder (its */crashes and
# */hangs are taken), libFuzzer artifacts (crash-*, leak-*, timeout-*),
# OSS-Fuzz/ClusterFuzzLite testcases (clusterfuzz-testcase-minimized-
# fuzz_decode-...), crash folders of an earlier triage or CI job. The
# target is --target when given, else the info.json of a crash folder,
# else the target the path names (.../fuzz_pcap/..., ...-fuzz_pcap-...),
# else the first target whose repro build crashes on the input.
#
# Each input is reproduced with the repro driver (gcc ASan+UBSan), its
# sanitizer report reduced to ClusterFuzz's crash identity (type + top three
# project frames, symbolized with llvm-symbolizer), deduplicated, minimized
# (libFuzzer -minimize_crash or afl-tmin; kept only if the signature holds)
# and written to out/triage/crashes/TARGET/SIGNATURE/ with report.json,
# report.junit.xml and report.sarif in out/triage/ and a table on stdout.
# A signature that a file in corpus/regressions/NAME/ already names is
# "known". --promote copies each new minimized input to
# corpus/regressions/NAME/SIGNATURE.bin (.pcap for fuzz_pcap), where
# `make regress` replays it from then on.
#
# The code is scripts/fuzzlib.py, shared with make ci-fuzz.
# Exit: 0 nothing new, 1 a new unique crash, 2 usage or missing inputs.
set -u
cd "$(dirname "$0")/.."
if [ $# -eq 0 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'
	[ $# -eq 0 ] && exit 2 || exit 0
fi
targets=$(ls harness/fuzz_*.c 2>/dev/null | sed 's|harness/||; s|\.c$||' | tr '\n' ',')
exec /usr/bin/python3 scripts/fuzzlib.py triage --all-targets "${targets}fuzz_planted" \
	--bin-dir "${TRIAGE_BIN_DIR:-build/fuzz-planted:build/fuzz}" "$@"
