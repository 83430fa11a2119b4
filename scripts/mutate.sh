#!/usr/bin/env bash
# scripts/mutate.sh - would `make test` notice this bug? Mutation testing of
# the test suite, one planted bug (a patch) at a time.
#
# usage: scripts/mutate.sh [--full] PATCH...
#
# Run in a clean work tree (it refuses uncommitted changes). For each PATCH, a
# unified diff against the work tree (`git diff > x.patch` after editing a
# source file, then `git checkout` the file): apply it, rebuild what
# `make test` builds (ASan+UBSan tuplecheck, unit tests, repro drivers), run
# every unit test and then the quick script tests below, stop at the first
# failure, and revert the patch. One line per patch on stdout:
#   NAME KILLED TEST SECONDS    a test failed (the suite notices the bug)
#   NAME SURVIVED - SECONDS     every test passed: a test gap, or a patch no
#                               input can tell apart (an equivalent mutant)
#   NAME NOBUILD|NOAPPLY - SECONDS
# A test still running after 240 s counts as a kill (a hang). The killing
# test's log is in build/test-logs/. --full also runs the slow script tests
# (the fuzzing pipeline ones): use it to confirm a survivor. The tree is
# rebuilt clean at the end. docs/mutation-audit.md has the session-9 audit
# that this script ran (210 mutants, patches in docs/mutants/).
set -u
cd "$(dirname "$0")/.."
full=0
[ "${1:-}" = --full ] && { full=1; shift; }
if [ $# -eq 0 ]; then echo "usage: scripts/mutate.sh [--full] PATCH..." >&2; exit 2; fi
if ! git diff --quiet; then echo "mutate.sh: the work tree has uncommitted changes" >&2; exit 2; fi
# fastest and most telling first
quick="t_time t_flows_golden t_regress t_scenarios t_fuzz_smoke t_classify_captures
t_tshark_packets t_tshark_streams t_reduce t_fragments t_decode_corpus t_bad_input
t_report_formats t_replay_dir t_reader_limits t_help t_write_errors t_file_cut t_gen_pcap
t_linux_capture t_fuzz_mutator t_reduce_interrupt t_sarif_scale t_progress
t_classifier_accuracy t_tshark_frames t_libpcap_diff t_interrupt"
slow="t_flows_scale t_filter_tcpdump t_stream t_coverage t_triage t_afl_cluster t_bisect
t_ci_fuzz_job t_clusterfuzzlite t_ci_fuzz_e2e"
# any script test not named above runs with the quick ones
for t in tests/t_*.sh; do
	t=$(basename "$t" .sh)
	case " $(echo $quick $slow) " in *" $t "*) ;; *) quick="$quick $t" ;; esac
done
[ $full = 1 ] && quick="$quick $slow"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TC_BIN="$PWD/build/asan/tuplecheck" TC_REL_BIN="$PWD/build/tuplecheck"
mkdir -p build/test-logs
log=$(mktemp)
trap 'rm -f "$log"' EXIT
build() { nice make -s -j2 WERROR=-Werror asan build/tuplecheck test-extra-builds >"$log" 2>&1; }
for patch in "$@"; do
	name=$(basename "$patch" .patch)
	start=$SECONDS
	if ! git apply "$patch" 2>/dev/null; then echo "$name NOAPPLY - 0"; continue; fi
	if ! build; then
		echo "$name NOBUILD - $((SECONDS - start))"
		git apply -R "$patch"; continue
	fi
	killer=""
	for t in build/asan/tests/test_*; do
		n=$(basename "$t")
		if ! timeout 240 nice "$t" </dev/null >"build/test-logs/$n.log" 2>&1; then killer=$n; break; fi
	done
	if [ -z "$killer" ]; then
		for t in $quick; do
			[ -f "tests/$t.sh" ] || continue
			timeout 240 nice bash "tests/$t.sh" </dev/null >"build/test-logs/$t.log" 2>&1
			rc=$?
			if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then killer=$t; break; fi
		done
	fi
	git apply -R "$patch"
	if [ -n "$killer" ]; then echo "$name KILLED $killer $((SECONDS - start))"
	else echo "$name SURVIVED - $((SECONDS - start))"; fi
done
build || { echo "mutate.sh: rebuilding the clean tree failed (see make asan)" >&2; exit 1; }
