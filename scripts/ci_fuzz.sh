#!/usr/bin/env bash
# scripts/ci_fuzz.sh - the CI fuzz job (make ci-fuzz): dependencies, build,
# then scripts/ci_fuzz.py for replay, fuzzing, triage and reports.
#
# Settings come from the environment (mk/ci-fuzz.mk passes them):
#   FUZZ_SECONDS (30)  ENGINE (both|libfuzzer|afl)  TARGETS ("fuzz_decode ...")
#   CORPUS_WRITEBACK (0|1)  JOBS (all cores)  PLANTED (0|1)  CI_FUZZ_OUT
#   (out/ci-fuzz)  MINIMIZE_SECONDS (20)  FUZZ_MAXLEN ("NAME=N ...")
#   FUZZ_TIMEOUT (10 s per input)  REPLAY (1; 0 skips the scenario replay)
#   CI_FUZZ_PCAPS (corpus/pcaps)  CI_FUZZ_CORPUS (corpus: seeds, dictionaries,
#   regressions/, and where CORPUS_WRITEBACK=1 writes)
#   ENGINE=none replays the scenarios only
# Exit status: 0 no new crash, 1 a new unique crash or an oracle mismatch,
# 2 the job could not run (missing tools, build failure); in every case
# out/ci-fuzz/report.{json,junit.xml,sarif} are written.
set -u
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
: "${FUZZ_SECONDS:=30}" "${ENGINE:=both}" "${CORPUS_WRITEBACK:=0}" "${PLANTED:=0}"
: "${CI_FUZZ_OUT:=out/ci-fuzz}" "${MINIMIZE_SECONDS:=20}" "${FUZZ_TIMEOUT:=10}" "${MAKE:=make}"
: "${FUZZ_MAXLEN:=}"
[ -n "${JOBS:-}" ] || JOBS=$(nproc 2>/dev/null || echo 1)
if [ -z "${TARGETS:-}" ]; then
	TARGETS=$(ls harness/fuzz_*.c 2>/dev/null | sed 's|harness/||; s|\.c$||' | tr '\n' ' ')
	[ "$PLANTED" = 1 ] && TARGETS="fuzz_planted"
fi
bin_dirs=build/fuzz
[ "$PLANTED" = 1 ] && bin_dirs=build/fuzz-planted:build/fuzz

args=(--targets "$TARGETS" --engines "$ENGINE" --seconds "$FUZZ_SECONDS" --jobs "$JOBS"
      --out "$CI_FUZZ_OUT" --bin-dir "$bin_dirs" --minimize-seconds "$MINIMIZE_SECONDS"
      --timeout "$FUZZ_TIMEOUT" --max-len "$FUZZ_MAXLEN")
[ "$CORPUS_WRITEBACK" = 1 ] && args+=(--writeback)
[ "${REPLAY:-1}" = 0 ] && args+=(--no-replay)
[ -n "${CI_FUZZ_PCAPS:-}" ] && args+=(--pcaps "$CI_FUZZ_PCAPS")
[ -n "${CI_FUZZ_CORPUS:-}" ] && args+=(--corpus "$CI_FUZZ_CORPUS" --regressions "$CI_FUZZ_CORPUS/regressions")

mkdir -p "$CI_FUZZ_OUT"
setup_error() {   # reason: reports say the job could not run, exit 2
	"$PY" scripts/ci_fuzz.py "${args[@]}" --setup-error "$1"
	exit 2
}
trap 'setup_error "interrupted during setup"' INT TERM

case $ENGINE in
libfuzzer|afl|both|none) ;;
*) setup_error "unknown ENGINE=$ENGINE (libfuzzer, afl, both or none)" ;;
esac
t0=$SECONDS
if ! bash scripts/deps.sh; then
	setup_error "missing dependencies (scripts/deps.sh)"
fi

# What to build: every engine's binary of every target, the repro driver
# (triage reproduces with it), the release tuplecheck (scenario replay).
goals=(build/tuplecheck)
for t in $TARGETS; do
	[ "$t" = fuzz_planted ] && continue
	case $ENGINE in
	libfuzzer) goals+=(build/fuzz/libfuzzer/"$t") ;;
	afl) goals+=(build/fuzz/afl/"$t" build/fuzz/afl/"$t".cmplog) ;;
	none) continue ;;
	*) goals+=(build/fuzz/libfuzzer/"$t" build/fuzz/afl/"$t" build/fuzz/afl/"$t".cmplog) ;;
	esac
	goals+=(build/fuzz/repro/"$t")
done
log="$CI_FUZZ_OUT/build.log"
echo "[ci-fuzz] building ($log)"
if ! "$MAKE" --no-print-directory -j"$JOBS" "${goals[@]}" >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	setup_error "build failed (see $log)"
fi
planted=(ci-fuzz-planted-repro)
case $ENGINE in
libfuzzer) planted+=(ci-fuzz-planted-libfuzzer) ;;
afl) planted+=(ci-fuzz-planted-afl) ;;
none) planted=() ;;
*) planted+=(ci-fuzz-planted-libfuzzer ci-fuzz-planted-afl) ;;
esac
if [ "$PLANTED" = 1 ] && [ ${#planted[@]} -gt 0 ] && ! "$MAKE" --no-print-directory -j"$JOBS" "${planted[@]}" >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	setup_error "planted-bug build failed (see $log)"
fi
echo "[ci-fuzz] build done in $((SECONDS - t0)) s"
trap - INT TERM

exec "$PY" scripts/ci_fuzz.py "${args[@]}"
