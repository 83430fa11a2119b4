#!/usr/bin/env bash
# scripts/ci_fuzz.sh - the CI fuzz job (make ci-fuzz): checks, dependencies,
# build, then scripts/ci_fuzz.py for replay, fuzzing, triage and reports.
#
# Settings come from the environment (mk/ci-fuzz.mk passes them):
#   FUZZ_SECONDS (30)  ENGINE (both|libfuzzer|afl)  TARGETS ("fuzz_decode ...")
#   CORPUS_WRITEBACK (0|1)  JOBS (all cores)  PLANTED (0|1)  CI_FUZZ_OUT
#   (out/ci-fuzz)  MINIMIZE_SECONDS (20)  FUZZ_MAXLEN ("NAME=N ...")
#   FUZZ_TIMEOUT (10 s per input)  REPLAY (1; 0 skips the scenario replay)
#   CI_FUZZ_PCAPS (corpus/pcaps)  CI_FUZZ_CORPUS (corpus: seeds, dictionaries,
#   regressions/, and where CORPUS_WRITEBACK=1 writes)
#   ENGINE=none replays the scenarios only
#
# Order: CI_FUZZ_OUT must be a writable folder (else one stderr line and
# exit 2, with no report: there is nowhere to write one); the previous
# run's reports and crash folders are removed; then every setting is
# checked (FUZZ_SECONDS, JOBS, FUZZ_TIMEOUT positive integers,
# MINIMIZE_SECONDS a non-negative one, the 0/1 switches, ENGINE) before
# anything is built, then only the dependencies of the chosen engines
# (scripts/deps.sh build triage [libfuzzer] [afl]).
#
# Exit status: 0 no new crash; 1 a new unique crash or an oracle mismatch;
# 2 the job could not run (bad setting, missing tools, build failure) or
# was interrupted before it finished. From the settings check on,
# CI_FUZZ_OUT/report.{json,junit.xml,sarif} are written in every case.
# CI_FUZZ_VIA_MAKE=1 (mk/ci-fuzz.mk) adds a stderr line on failure saying
# that make turns the status into its own 2.
set -u
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
: "${FUZZ_SECONDS:=30}" "${ENGINE:=both}" "${CORPUS_WRITEBACK:=0}" "${PLANTED:=0}"
: "${CI_FUZZ_OUT:=out/ci-fuzz}" "${MINIMIZE_SECONDS:=20}" "${FUZZ_TIMEOUT:=10}" "${MAKE:=make}"
: "${FUZZ_MAXLEN:=}" "${REPLAY:=1}"

via_make_note() {   # status: make reports any failure as its own 2
	[ "${CI_FUZZ_VIA_MAKE:-0}" = 1 ] && [ "$1" -ne 0 ] &&
		echo "make ci-fuzz: the job exited $1 (1 new crash or oracle mismatch, 2 job error);" \
			"make reports any failure as 2, scripts/ci_fuzz.sh returns the job's own status" >&2
	return 0
}

# ---- the report folder, before anything else ----------------------------------
out_problem() {
	local d=$1 err
	if [ -e "$d" ] && [ ! -d "$d" ]; then
		echo "it exists and is not a directory"; return
	fi
	if ! err=$(mkdir -p -- "$d" 2>&1); then
		echo "cannot create it (${err##*: })"; return
	fi
	if ! err=$( (: > "$d/.ci-fuzz-write-test") 2>&1); then
		echo "cannot write in it (${err##*: })"; return
	fi
	rm -f -- "$d/.ci-fuzz-write-test"
}
problem=$(out_problem "$CI_FUZZ_OUT")
if [ -n "$problem" ]; then
	echo "ci-fuzz: cannot write the reports to CI_FUZZ_OUT=$CI_FUZZ_OUT: $problem" >&2
	via_make_note 2
	exit 2
fi
# The previous run's verdict must not survive a job that stops early.
rm -f -- "$CI_FUZZ_OUT"/report.json "$CI_FUZZ_OUT"/report.junit.xml "$CI_FUZZ_OUT"/report.sarif
rm -rf -- "$CI_FUZZ_OUT"/crashes "$CI_FUZZ_OUT"/work "$CI_FUZZ_OUT"/logs

if [ -z "${TARGETS:-}" ]; then
	TARGETS=$(ls harness/fuzz_*.c 2>/dev/null | sed 's|harness/||; s|\.c$||' | tr '\n' ' ')
	[ "$PLANTED" = 1 ] && TARGETS="fuzz_planted"
fi
bin_dirs=build/fuzz
[ "$PLANTED" = 1 ] && bin_dirs=build/fuzz-planted:build/fuzz

make_args() {   # the runner's command line from the settings (ci_fuzz.py takes them as given)
	args=(--targets "$TARGETS" --engines "$ENGINE" --seconds "$FUZZ_SECONDS" --jobs "${JOBS:-}"
	      --out "$CI_FUZZ_OUT" --bin-dir "$bin_dirs" --minimize-seconds "$MINIMIZE_SECONDS"
	      --timeout "$FUZZ_TIMEOUT" --max-len "$FUZZ_MAXLEN")
	[ "$CORPUS_WRITEBACK" = 1 ] && args+=(--writeback)
	[ "$REPLAY" = 0 ] && args+=(--no-replay)
	[ -n "${CI_FUZZ_PCAPS:-}" ] && args+=(--pcaps "$CI_FUZZ_PCAPS")
	[ -n "${CI_FUZZ_CORPUS:-}" ] && args+=(--corpus "$CI_FUZZ_CORPUS" --regressions "$CI_FUZZ_CORPUS/regressions")
	return 0
}
make_args

setup_error() {   # reason: one stderr line, reports saying the job could not run, exit 2
	echo "ci-fuzz: $1" >&2
	CI_FUZZ_VIA_MAKE=0 "$PY" scripts/ci_fuzz.py "${args[@]}" --setup-error "$1"
	via_make_note 2
	exit 2
}
trap 'setup_error "interrupted during setup"' INT TERM

# ---- settings -----------------------------------------------------------------
int_setting() {   # name value min meaning: empty when fine, else the problem
	case $2 in
	''|*[!0-9]*|0[0-9]*) ;;
	*) [ ${#2} -le 9 ] && [ "$2" -ge "$3" ] && return ;;
	esac
	if [ "$3" -ge 1 ]; then
		echo "$1=$2: not a positive integer ($4)"
	else
		echo "$1=$2: not a non-negative integer ($4)"
	fi
}
switch_setting() {   # name value
	case $2 in 0|1) ;; *) echo "$1=$2: must be 0 or 1" ;; esac
}
bad=$(int_setting FUZZ_SECONDS "$FUZZ_SECONDS" 1 "seconds of fuzzing per target and engine")
[ -n "$bad" ] || [ -z "${JOBS:-}" ] || bad=$(int_setting JOBS "$JOBS" 1 "cores the runs share")
[ -n "$bad" ] || bad=$(int_setting FUZZ_TIMEOUT "$FUZZ_TIMEOUT" 1 "seconds one input may run")
[ -n "$bad" ] || bad=$(int_setting MINIMIZE_SECONDS "$MINIMIZE_SECONDS" 0 "seconds of minimization per crash")
for v in CORPUS_WRITEBACK PLANTED REPLAY; do
	[ -n "$bad" ] || bad=$(switch_setting "$v" "${!v}")
done
[ -n "$bad" ] && setup_error "$bad"
[ -n "${JOBS:-}" ] || JOBS=$(nproc 2>/dev/null || echo 1)
make_args

case $ENGINE in
libfuzzer) dep_groups=(build triage libfuzzer) ;;
afl) dep_groups=(build triage afl) ;;
both) dep_groups=(build triage libfuzzer afl) ;;
none) dep_groups=(build) ;;
*) setup_error "unknown ENGINE=$ENGINE (libfuzzer, afl, both or none)" ;;
esac
t0=$SECONDS
if ! bash scripts/deps.sh "${dep_groups[@]}"; then
	setup_error "missing dependencies for ENGINE=$ENGINE (scripts/deps.sh ${dep_groups[*]})"
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

# exec: the job is this process from here on, so a signal sent to it (or to
# make's recipe, which execs this script) reaches the runner directly.
exec "$PY" scripts/ci_fuzz.py "${args[@]}"
