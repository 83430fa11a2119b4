#!/usr/bin/env bash
# t_scenarios.sh - the scenario corpus (corpus/pcaps/, scripts/gen_scenarios.py)
# against the replay oracle.
#
# Three independent checks:
#  1. MANIFEST.tsv: on each capture, replayed with its options, every rule in
#     must_fire fires, no rule in must_not_fire does, and each host has the
#     port_selection class listed. Every catalog rule (as the tool's own SARIF
#     rule list names them) must fire on at least one capture. This part does
#     not look at the expected files.
#  2. Golden: `tuplecheck replay --format jsonl --seed 1 OPTIONS corpus/pcaps/NAME`
#     equals corpus/pcaps/NAME.expected.jsonl byte for byte.
#     `tuplecheck hosts` classifies every host as replay does. Every
#     finding's ts is the time of the packet its frame names.
#  3. Determinism: the generator, run into a temporary folder, writes
#     captures and manifest byte-identical to the committed ones.
# Set TC_UPDATE_EXPECTED=1 to rewrite the expected files (then review them).
set -u
cd "$(dirname "$0")/.."
TC=${TC_BIN:-build/asan/tuplecheck}
PY=/usr/bin/python3
dir=corpus/pcaps
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
[ -x "$TC" ] || { echo "missing $TC (make asan)"; exit 1; }
[ -f "$dir/MANIFEST.tsv" ] || { echo "missing $dir/MANIFEST.tsv"; exit 1; }

fired_all=""
rows=0
while IFS=$'\t' read -r name options fire silent hosts; do
	case "$name" in ''|'#'*) continue ;; esac
	rows=$((rows + 1))
	opts=()
	[ "$options" != "-" ] && read -r -a opts <<< "$options"
	out="$tmp/$name.jsonl"
	"$TC" replay --format jsonl --seed 1 "${opts[@]}" "$dir/$name" > "$out" 2> "$tmp/err"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		echo "FAIL $name: exit status $rc: $(cat "$tmp/err")"; fail=1; continue
	fi
	got=$(jq -r 'select(.type=="finding") | .rule' "$out" | sort -u | tr '\n' ' ')
	if [ "$fire" != "-" ]; then
		for r in ${fire//,/ }; do
			if [[ " $got" != *" $r "* ]]; then
				echo "FAIL $name: $r must fire (got: ${got:-nothing})"; fail=1
			fi
			fired_all="$fired_all $r"
		done
	fi
	if [ "$silent" != "-" ]; then
		for r in ${silent//,/ }; do
			if [[ " $got" == *" $r "* ]]; then
				echo "FAIL $name: $r must not fire"; fail=1
			fi
		done
	fi
	if [ "$hosts" != "-" ]; then
		for hc in ${hosts//,/ }; do
			h=${hc%%=*} c=${hc#*=}
			gc=$(jq -r --arg h "$h" 'select(.type=="host" and .host==$h) | .port_selection' "$out")
			if [ "$gc" != "$c" ]; then
				echo "FAIL $name: host $h classified '${gc:-absent}', manifest says '$c'"; fail=1
			fi
		done
	fi
	# every finding's ts is the time of its frame (host-level ones too:
	# their frame is the first evidence frame)
	"$TC" packets --format jsonl "$dir/$name" > "$tmp/pk.jsonl" 2>/dev/null
	bad=$(jq -rs '(map(select(.type=="packet") | {key: (.frame|tostring), value: .ts}) | from_entries) as $t
		| .[] | select(.type=="finding" and .frame > 0 and $t[.frame|tostring] != .ts)
		| "\(.rule) frame \(.frame) ts \(.ts), the frame is at \($t[.frame|tostring])"' \
		"$out" "$tmp/pk.jsonl" 2>&1)
	[ -z "$bad" ] || { echo "FAIL $name: a finding's ts is not its frame's: $bad"; fail=1; }
	# `tuplecheck hosts` gives every host the class replay gave it
	"$TC" hosts --format jsonl --seed 1 "${opts[@]}" "$dir/$name" > "$tmp/hosts.jsonl" 2>&1 ||
		{ echo "FAIL $name: tuplecheck hosts failed: $(tail -1 "$tmp/hosts.jsonl")"; fail=1; }
	a=$(jq -c 'select(.type=="host") | [.host, .port_selection, .connections]' "$out")
	b=$(jq -c 'select(.type=="host") | [.host, .port_selection, .connections]' "$tmp/hosts.jsonl")
	[ "$a" = "$b" ] || { echo "FAIL $name: hosts and replay disagree: $b vs $a"; fail=1; }
	exp="$dir/${name%.pcap}.expected.jsonl"
	if [ "${TC_UPDATE_EXPECTED:-0}" = 1 ]; then
		cp "$out" "$exp"
	elif ! cmp -s "$out" "$exp"; then
		echo "FAIL $name: output differs from $exp:"
		diff "$exp" "$out" | head -10
		fail=1
	fi
done < "$dir/MANIFEST.tsv"
[ $rows -ge 20 ] || { echo "FAIL: only $rows manifest rows"; fail=1; }

# every catalog rule has a capture that makes it fire
"$TC" replay --format sarif --seed 1 "$dir/clean_http.pcap" > "$tmp/cat.sarif"
for r in $($PY -c 'import json,sys; print(" ".join(r["id"] for r in json.load(open(sys.argv[1]))["runs"][0]["tool"]["driver"]["rules"]))' "$tmp/cat.sarif"); do
	if [[ " $fired_all " != *" $r "* ]]; then
		echo "FAIL: no scenario makes $r fire"; fail=1
	fi
done

# the generator is deterministic and the committed captures are its output
if "$PY" scripts/gen_scenarios.py "$tmp/regen" > /dev/null 2> "$tmp/gen.err"; then
	for f in "$tmp"/regen/*; do
		b=$(basename "$f")
		if ! cmp -s "$f" "$dir/$b"; then
			echo "FAIL: regenerated $b differs from the committed one"; fail=1
		fi
	done
	n_regen=$(ls "$tmp/regen" | wc -l)
	n_comm=$(ls "$dir" | grep -v '\.expected\.jsonl$' | wc -l)
	[ "$n_regen" = "$n_comm" ] || { echo "FAIL: $n_regen files regenerated, $n_comm committed"; fail=1; }
else
	echo "FAIL: gen_scenarios.py: $(tail -3 "$tmp/gen.err")"; fail=1
fi

[ $fail -eq 0 ] && echo "ok: $rows scenarios, every rule fires somewhere, captures reproducible"
exit $fail
