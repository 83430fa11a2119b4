#!/usr/bin/env bash
# t_afl_cluster.sh - scripts/afl-cluster.sh: a main and a secondary instance
# of fuzz_decode, started separately (as two machines would start them) on
# one sync folder, for a few seconds. Both must fuzz under their own names
# and see each other's finds through the folder (corpus_imported > 0 on at
# least one side); the dry run must show the documented instance layout.
set -u
cd "$(dirname "$0")/.."
command -v afl-fuzz >/dev/null || { echo "skip: afl-fuzz not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
if ! make --no-print-directory -s build/fuzz/afl/fuzz_decode build/fuzz/afl/fuzz_decode.cmplog > "$tmp/build.log" 2>&1; then
	tail -n 20 "$tmp/build.log"; echo "FAIL: cannot build the AFL++ target"; exit 1
fi

dry=$(bash scripts/afl-cluster.sh secondary fuzz_decode "$tmp/sync" -n 3 --name sec-x --dry-run)
echo "$dry"
[ "$(echo "$dry" | grep -c '^afl-fuzz -S sec-x-[123] ')" -eq 3 ] || { echo "FAIL: dry run: 3 -S instances expected"; fail=1; }
echo "$dry" | grep '^afl-fuzz -S sec-x-1 ' | grep -q -- '-c build/fuzz/afl/fuzz_decode.cmplog' || { echo "FAIL: first secondary without CMPLOG"; fail=1; }
echo "$dry" | grep '^afl-fuzz -S sec-x-2 ' | grep -q -- '-L 0' || { echo "FAIL: second secondary without MOpt"; fail=1; }
bash scripts/afl-cluster.sh main fuzz_decode "$tmp/sync" --name main-x --dry-run | grep -q '^afl-fuzz -M main-x ' ||
	{ echo "FAIL: dry run of main"; fail=1; }

nice bash scripts/afl-cluster.sh main fuzz_decode "$tmp/sync" --name main-a -V 8 > "$tmp/main.txt" 2>&1 &
nice bash scripts/afl-cluster.sh secondary fuzz_decode "$tmp/sync" --name sec-b -n 1 -V 8 > "$tmp/sec.txt" 2>&1 &
wait
imported=0
for inst in main-a sec-b-1; do
	st=$tmp/sync/$inst/fuzzer_stats
	if [ ! -f "$st" ]; then
		tail -n 5 "$tmp/sync/$inst.log" 2>/dev/null; echo "FAIL: $inst did not run"; fail=1; continue
	fi
	execs=$(sed -n 's/^execs_done *: *//p' "$st")
	imp=$(sed -n 's/^corpus_imported *: *//p' "$st")
	echo "ok: $inst: $execs execs, $imp imported"
	[ "${execs:-0}" -gt 0 ] || { echo "FAIL: $inst executed nothing"; fail=1; }
	imported=$((imported + ${imp:-0}))
done
[ $imported -gt 0 ] || { echo "FAIL: the instances did not sync through $tmp/sync"; fail=1; }
# no fork-server child may outlive its instance (afl-cluster.sh reaps them)
left=$(for p in /proc/[0-9]*; do
	e=$(readlink "$p/exe" 2>/dev/null) || continue
	case "${e% (deleted)}" in "$PWD"/build/fuzz/afl/fuzz_decode*) ;; *) continue ;; esac
	[ "$(sed 's/.*) //' "$p/stat" 2>/dev/null | cut -d' ' -f2)" = 1 ] && echo "${p#/proc/}"
done)
[ -z "$left" ] || { echo "FAIL: AFL++ processes left behind: $left"; fail=1; }
bash scripts/afl-cluster.sh status "$tmp/sync" > "$tmp/status.txt" 2>&1
grep -q 'Summary stats' "$tmp/status.txt" || { cat "$tmp/status.txt"; echo "FAIL: status"; fail=1; }
[ $fail -eq 0 ] && echo "ok: afl-cluster"
exit $fail
