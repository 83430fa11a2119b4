#!/usr/bin/env bash
# scripts/afl-cluster.sh - AFL++ instances of one target on a shared sync folder.
#
#   scripts/afl-cluster.sh main      TARGET SYNC_DIR [options] [-- afl-fuzz args]
#   scripts/afl-cluster.sh secondary TARGET SYNC_DIR [options] [-- afl-fuzz args]
#   scripts/afl-cluster.sh status    SYNC_DIR
#
# main starts the one -M instance of the whole cluster (main-HOST, with
# CMPLOG: it does the deterministic stages and is the instance other
# machines copy); secondary starts -S instances (sec-HOST-1, sec-HOST-2,
# ...; default one per core), the first with CMPLOG -l 2AT, the next with
# MOpt (-L 0) and other power schedules, as AFL++'s fuzzing_in_depth.md
# section 3c advises. Every instance of every machine writes into SYNC_DIR
# under its own name, so a folder shared by several machines (NFS) or kept
# in step with rsync (docs/fuzzing.md) makes them one campaign. Re-running
# resumes (AFL_AUTORESUME).
#
# Options:
#   -n N          secondary: number of instances (default: cores; cores-1 if a
#                 main instance of this host is running in SYNC_DIR)
#   -V SECONDS    stop after this long (default: run until Ctrl-C)
#   --name NAME   instance name prefix instead of main-HOST / sec-HOST
#   --bin-dir D   where the AFL++ builds are (default build/fuzz; needs
#                 D/afl/TARGET and D/afl/TARGET.cmplog: make fuzz-afl)
#   --dry-run     print the afl-fuzz command lines, start nothing
# Seeds: corpus/TARGET/ (and corpus/regressions/TARGET/); dictionary:
# corpus/TARGET.dict. Crashes land in SYNC_DIR/*/crashes/: triage them with
# scripts/triage.sh SYNC_DIR.
set -u
cd "$(dirname "$0")/.."

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
[ $# -ge 1 ] || usage
mode=$1; shift
case $mode in
main|secondary) [ $# -ge 2 ] || usage; target=$1 sync=$2; shift 2 ;;
status) [ $# -ge 1 ] || usage; exec afl-whatsup -s "$1" ;;
-h|--help) usage 0 ;;
*) usage ;;
esac

host=$(hostname -s 2>/dev/null || hostname)
host=$(printf '%s' "$host" | tr -c 'A-Za-z0-9_-' '_')
count= secs= name= bins=build/fuzz dry=0 extra=()
while [ $# -gt 0 ]; do
	case $1 in
	-n) count=$2; shift 2 ;;
	-V) secs=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--bin-dir) bins=$2; shift 2 ;;
	--dry-run) dry=1; shift ;;
	--) shift; extra=("$@"); break ;;
	*) echo "afl-cluster: unknown option $1" >&2; usage ;;
	esac
done
bin=$bins/afl/$target
cmplog=$bins/afl/$target.cmplog
if [ $dry -eq 0 ]; then
	[ -x "$bin" ] || { echo "afl-cluster: no $bin (make fuzz-afl)" >&2; exit 2; }
	command -v afl-fuzz >/dev/null || { echo "afl-cluster: afl-fuzz is not installed" >&2; exit 2; }
fi

# Seeds: AFL++ wants one flat folder of files of at most 1 MB.
mkdir -p "$sync"
seeds=$sync/.seeds-$host-$mode-$target   # dot: AFL++ does not sync from it
if [ $dry -eq 0 ]; then
	rm -rf "$seeds"
	mkdir -p "$seeds"
	for d in corpus/$target corpus/regressions/$target; do
		[ -d "$d" ] || continue
		find "$d" -type f ! -name '.*' -size -1024k -print0 |
			while IFS= read -r -d '' f; do cp "$f" "$seeds/$(sha1sum "$f" | cut -c1-40)"; done
	done
	[ -n "$(ls -A "$seeds")" ] || printf '\0' > "$seeds/zero"
fi
maxlen=$(sed -n "s/^FUZZ_MAXLEN_$target *:= *\([0-9]*\).*/\1/p" mk/fuzz.mk 2>/dev/null | head -n 1)

export AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_AUTORESUME=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_CMPLOG_ONLY_NEW=1 AFL_FAST_CAL=1
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0

common() {   # the arguments every instance shares
	printf '%s\n' -i "$seeds" -o "$sync"
	[ -n "$secs" ] && printf '%s\n' -V "$secs"
	[ -n "$maxlen" ] && printf '%s\n' -G "$maxlen"
	[ -f "corpus/$target.dict" ] && printf '%s\n' -x "corpus/$target.dict"
	return 0
}

pids=()
start() {    # instance name, then its own flags
	local inst=$1; shift
	local -a cmd
	mapfile -t cmd < <(common)
	cmd=(afl-fuzz "$@" "${cmd[@]}" "${extra[@]+"${extra[@]}"}" -- "$bin")
	if [ $dry -eq 1 ]; then
		printf '%q ' "${cmd[@]}"; echo
		return
	fi
	if [ "$mode" = main ] && [ -t 1 ]; then
		exec "${cmd[@]}"           # the main instance in the foreground, with its UI
	fi
	AFL_NO_UI=1 "${cmd[@]}" > "$sync/$inst.log" 2>&1 &
	pids+=($!)
	echo "afl-cluster: started $inst (pid $!, log $sync/$inst.log)"
}

if [ "$mode" = main ]; then
	inst=${name:-main-$host}
	c=()
	[ -x "$cmplog" ] || [ $dry -eq 1 ] && c=(-c "$cmplog" -l 2AT)
	start "$inst" -M "$inst" "${c[@]+"${c[@]}"}"
else
	if [ -z "$count" ]; then
		count=$(nproc 2>/dev/null || echo 1)
		[ -d "$sync/${name:-main-$host}" ] && [ "$count" -gt 1 ] && count=$((count - 1))
	fi
	variants=("-L 0" "-p explore" "-p exploit" "-p coe" "-Z" "-p rare")
	for i in $(seq 1 "$count"); do
		inst=${name:-sec-$host}-$i
		if [ "$i" -eq 1 ] && { [ -x "$cmplog" ] || [ $dry -eq 1 ]; }; then
			start "$inst" -S "$inst" -c "$cmplog" -l 2AT
		else
			# shellcheck disable=SC2206
			v=(${variants[$(( (i - 2) % ${#variants[@]} ))]})
			start "$inst" -S "$inst" "${v[@]}"
		fi
	done
fi
[ $dry -eq 1 ] && exit 0
# AFL++'s fork server puts the target in a session of its own; a
# persistent-mode child stopped between two inputs outlives afl-fuzz. Kill
# what init adopted once the instances are gone (scripts/fuzzlib.py).
reap() {
	/usr/bin/python3 -c 'import sys; sys.path.insert(0, "scripts"); import fuzzlib
fuzzlib.reap_orphans(sys.argv[1:])' "$bin" "$cmplog" 2>/dev/null || true
}
trap 'kill "${pids[@]}" 2>/dev/null; wait; reap; exit 130' INT TERM
rc=0
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done
reap
echo "afl-cluster: all instances stopped; status: scripts/afl-cluster.sh status $sync"
exit $rc
