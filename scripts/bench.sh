#!/usr/bin/env bash
# scripts/bench.sh - the driver of `make bench` (mk/bench.mk builds the tools
# and captures first). Prints one table and writes out/bench/bench.json.
#
# usage: scripts/bench.sh [ROW...]      (or BENCH_ROWS="row ..."; default: all)
# env:   BENCH_RUNS (5)  runs per measurement; medians are reported
#        BENCH_DIR (build/bench)  BENCH_OUT (out/bench)
#
# Each row is one shell function row_NAME, listed in ROWS below. A row
# measures one or more commands with `alternate`, which runs them in
# rotation (a, b, a, b, ...) BENCH_RUNS times so that drift on a shared
# machine hits all of them alike, and then calls `report`, which prints the
# table lines and writes the row's JSON. Commands print key=value pairs on
# one line; `alternate` collects the value of the key named in METRIC.
#
# To add a row (flows/s, replay, memory per flow, fuzz exec/s, ...):
#   row_flows() {
#       METRIC=pps alternate "flows" "$BIN/bench_flows $DATA/mixed.pcap" \
#                            "baseline" "..."
#       report flows "$DATA/mixed.pcap" "packets/s" higher flows baseline 0.5
#   }
# and append "flows" to ROWS. report's arguments: row name, input, unit,
# which direction is better (higher|lower), the measured name, the baseline
# name (or -), and the goal for measured/baseline (or -).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BENCH_DIR:-build/bench}
DATA=$BIN/data
OUT=${BENCH_OUT:-out/bench}
RUNS=${BENCH_RUNS:-5}
ROWS=(decode)

# ---- helpers -----------------------------------------------------------------

# Median of the numbers on stdin.
median() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# Value of key $1 in a "k=v k=v" line on stdin.
kv() {
	tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2; found = 1 } END { exit !found }'
}

# alternate NAME CMD [NAME CMD ...]: run each CMD $RUNS times in rotation;
# the METRIC values land in $TMP/NAME.vals and the last output line of each
# in $TMP/NAME.last. One untimed warm-up run of each first (page cache).
alternate() {
	local -a names=() cmds=()
	local i r out
	while [ $# -gt 0 ]; do
		names+=("$1"); cmds+=("$2"); shift 2
	done
	for i in "${!cmds[@]}"; do
		: >"$TMP/${names[$i]}.vals"
		${cmds[$i]} >/dev/null
	done
	for ((r = 0; r < RUNS; r++)); do
		for i in "${!cmds[@]}"; do
			out=$(${cmds[$i]})
			printf '%s\n' "$out" >"$TMP/${names[$i]}.last"
			printf '%s\n' "$out" | kv "${METRIC:-pps}" >>"$TMP/${names[$i]}.vals"
		done
	done
}

fmt_int() {
	LC_ALL=C printf "%'d" "$1" 2>/dev/null || printf '%s' "$1"
}

# report ROW INPUT UNIT BETTER NAME BASELINE GOAL
# Prints a line per measurement of the row (baseline first) and writes
# $TMP/rows/ROW.json.
report() {
	local row=$1 input=$2 unit=$3 better=$4 name=$5 base=$6 goal=$7
	local m med vals ratio="null" verdict="" json_meas="" sep="" n
	local -a names=()
	[ "$base" != - ] && names+=("$base")
	for m in "$TMP"/*.vals; do
		m=${m##*/}; m=${m%.vals}
		[ "$m" = "$base" ] || names+=("$m")
	done
	for m in "${names[@]}"; do
		med=$(median <"$TMP/$m.vals")
		vals=$(paste -sd, "$TMP/$m.vals")
		local r=""
		if [ "$base" != - ]; then
			local bmed
			bmed=$(median <"$TMP/$base.vals")
			r=$(awk -v a="$med" -v b="$bmed" 'BEGIN { printf "%.2f", a / b }')
			[ "$m" = "$name" ] && ratio=$r
		fi
		printf '%-8s %-22s %15s %-10s %s\n' "$row" "$m" "$(fmt_int "$med")" "$unit" \
			"${r:+${r}x}"
		json_meas+="$sep{\"name\":\"$m\",\"median\":$med,\"runs\":[$vals],\"last\":\"$(tr -d '"\\' <"$TMP/$m.last")\"}"
		sep=,
	done
	if [ "$goal" != - ] && [ "$ratio" != null ]; then
		if awk -v r="$ratio" -v g="$goal" -v b="$better" \
			'BEGIN { exit !(b == "higher" ? r >= g : r <= g) }'; then
			verdict=meets
		else
			verdict=misses
		fi
		printf '%-8s %s/%s = %sx, goal %s %sx: %s\n' "$row" "$name" "$base" "$ratio" \
			"$([ "$better" = higher ] && echo '>=' || echo '<=')" "$goal" "$verdict"
	fi
	n=$(kv packets <"$TMP/$name.last" || echo null)
	mkdir -p "$TMP/rows"
	printf '{"row":"%s","input":"%s","input_packets":%s,"unit":"%s","better":"%s","measured":"%s","baseline":%s,"ratio":%s,"goal":%s,"verdict":%s,"measurements":[%s]}\n' \
		"$row" "$input" "$n" "$unit" "$better" "$name" \
		"$([ "$base" = - ] && echo null || echo "\"$base\"")" "$ratio" \
		"$([ "$goal" = - ] && echo null || echo "$goal")" \
		"$([ -z "$verdict" ] && echo null || echo "\"$verdict\"")" "$json_meas" \
		>"$TMP/rows/$row.json"
	rm -f "$TMP"/*.vals "$TMP"/*.last
}

# ---- rows --------------------------------------------------------------------

# decode: tuplecheck's reader + decoder against a minimal libpcap loop over
# the same 2,000,000-packet capture; "reader" is the reader alone.
# Goal (issue): decode at least 0.8x the libpcap loop's packets/s.
row_decode() {
	local f=$DATA/mixed.pcap
	METRIC=pps alternate \
		libpcap_loop "$BIN/pcap_loop $f" \
		reader "$BIN/bench_decode --read-only $f" \
		reader_decode "$BIN/bench_decode $f"
	report decode "$f" packets/s higher reader_decode libpcap_loop 0.8
}

# ---- main --------------------------------------------------------------------

if [ $# -gt 0 ]; then
	ROWS=("$@")
elif [ -n "${BENCH_ROWS:-}" ]; then
	read -r -a ROWS <<<"$BENCH_ROWS"
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"

echo "tuplecheck bench: $RUNS alternating runs per measurement, medians; $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))"
printf '%-8s %-22s %15s %-10s %s\n' row measurement median unit "vs baseline"
for row in "${ROWS[@]}"; do
	if ! declare -F "row_$row" >/dev/null; then
		echo "bench: no row '$row' (have: ${ROWS[*]})" >&2
		exit 2
	fi
	"row_$row"
done

{
	printf '{"tool":"tuplecheck bench","runs":%s,"cpus":%s,"rows":[' "$RUNS" "$(nproc)"
	sep=
	for row in "${ROWS[@]}"; do
		printf '%s' "$sep"
		tr -d '\n' <"$TMP/rows/$row.json"
		sep=,
	done
	printf ']}\n'
} >"$OUT/bench.json"
if command -v jq >/dev/null; then
	jq -e . "$OUT/bench.json" >/dev/null || { echo "bench: invalid $OUT/bench.json" >&2; exit 1; }
fi
echo "wrote $OUT/bench.json"
