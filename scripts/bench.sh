#!/usr/bin/env bash
# scripts/bench.sh - the driver of `make bench` (mk/bench.mk builds the tools
# and captures first). Prints one table on stdout (progress and the raw
# measurements go to stderr) and writes out/bench/bench.json.
#
# usage: scripts/bench.sh [ROW...]      (or BENCH_ROWS="row ..."; default: all)
# rows:  decode flows memory replay fuzz
# env:   BENCH_RUNS (5)  runs per throughput measurement; medians are reported
#        BENCH_MEM_RUNS (3)  runs per memory measurement (RSS barely varies)
#        BENCH_TSHARK (1)  0 skips tshark in the flows row (~8 s, 1.2 GiB)
#        BENCH_FUZZ_SECONDS (2)  libFuzzer -max_total_time per run
#        BENCH_FUZZ_RUNS (3)  alternating runs per fuzz target and its baseline
#        BENCH_AFL_SECONDS (10)  afl-fuzz -V for the AFL++ line
#        BENCH_FUZZ_MAXLEN ("fuzz_decode=4096 ...", from mk/fuzz.mk)
#        BENCH_DIR (build/bench)  BENCH_OUT (out/bench)  TUPLECHECK (build/tuplecheck)
#
# Each row is one shell function row_NAME, listed in ROWS below. A row
# measures commands with `alternate`, which runs them in rotation (a, b, a,
# b, ...) so that drift on a shared machine hits all of them alike; each
# command prints key=value pairs on one line and `alternate` collects the
# value of the key named in METRIC. The row then turns medians into table
# lines with `metric` and ends with `end_row`, which writes the row's JSON.
# Rows run in a subshell with errexit: a row that fails half way gets an
# n/a line and the others still run. A command that fails (or is missing)
# is an n/a with its reason, never a crash:
#   row_example() {
#       METRIC=pps alternate base "$BIN/pcap_loop $f" ours "$BIN/tool $f"
#       metric example "tool packets/s vs libpcap loop" packets/s \
#           ours base higher ratio 0.5
#       end_row example "$f" base ours
#   }
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BENCH_DIR:-build/bench}
DATA=$BIN/data
OUT=${BENCH_OUT:-out/bench}
RUNS=${BENCH_RUNS:-5}
MEM_RUNS=${BENCH_MEM_RUNS:-3}
TC=${TUPLECHECK:-build/tuplecheck}
ALL_ROWS=(decode flows memory replay fuzz)
ROWS=("${ALL_ROWS[@]}")

# ---- helpers -----------------------------------------------------------------

log() { printf 'bench: %s\n' "$*" >&2; }

# note TEXT: a line printed under the table (and kept in the JSON).
note() { printf '%s\n' "$*" >>"$TMP/notes"; }

# Median of the numbers on stdin (empty output when there are none).
median() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) exit
		if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# Value of key $1 in a "k=v k=v" line on stdin; status 1 when absent.
kv() {
	tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2; found = 1 } END { exit !found }'
}

isnum() { [[ ${1:-} =~ ^-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }

# Text safe inside a JSON string and a table cell.
clean() { tr -d '"\\' | tr '\t\n' '  ' | sed 's/ *$//' | cut -c1-200; }
# Lines as a comma-separated list of JSON strings.
clean_lines() { tr -d '"\\\t' | awk 'NR > 1 { printf "," } { printf "\"%s\"", $0 }'; }

# run_one NAME CMD: run CMD once; on success print its output line. On
# failure (non-zero status, no METRIC value, or a wrapped command whose
# exit= is 2 or more) record the reason in $TMP/NAME.err and return 1.
run_one() {
	local name=$1 cmd=$2 out rc=0 e
	out=$(${cmd} 2>"$TMP/$name.stderr") || rc=$?
	out=$(printf '%s\n' "$out" | tail -n 1)
	if [ $rc -ne 0 ]; then
		printf '%s: exit %s: %s\n' "${cmd%% *}" "$rc" \
			"$(tail -n 2 "$TMP/$name.stderr" | clean)" >"$TMP/$name.err"
		return 1
	fi
	e=$(printf '%s\n' "$out" | kv exit) || e=0
	if isnum "$e" && [ "$e" -ge 2 ]; then
		printf '%s exited %s: %s\n' "$(sed 's/.* -- //' <<<"$cmd" | cut -d' ' -f1-2)" "$e" \
			"$(tail -n 2 "$TMP/$name.stderr" | clean)" >"$TMP/$name.err"
		return 1
	fi
	if ! printf '%s\n' "$out" | kv "${METRIC:-pps}" >/dev/null; then
		printf 'no %s in the output of %s\n' "${METRIC:-pps}" "${cmd%% *}" >"$TMP/$name.err"
		return 1
	fi
	printf '%s\n' "$out"
}

# alternate NAME CMD [NAME CMD ...]: one untimed warm-up run of each CMD
# (page cache; WARMUP=0 skips it), then RUNS rounds in rotation. The METRIC
# values land in $TMP/NAME.vals, the last output line in $TMP/NAME.last; a
# command that fails once is dropped (reason in $TMP/NAME.err).
alternate() {
	local -a names=() cmds=()
	local i r out
	while [ $# -gt 0 ]; do
		names+=("$1"); cmds+=("$2"); shift 2
	done
	for i in "${!cmds[@]}"; do
		: >"$TMP/${names[$i]}.vals"
		rm -f "$TMP/${names[$i]}.err" "$TMP/${names[$i]}.last"
		printf '%s\n' "${cmds[$i]}" >"$TMP/${names[$i]}.cmd"
		if [ "${WARMUP:-1}" = 1 ]; then
			run_one "${names[$i]}" "${cmds[$i]}" >/dev/null || true
		fi
	done
	for ((r = 0; r < RUNS; r++)); do
		for i in "${!cmds[@]}"; do
			[ -e "$TMP/${names[$i]}.err" ] && continue
			if out=$(run_one "${names[$i]}" "${cmds[$i]}"); then
				printf '%s\n' "$out" >"$TMP/${names[$i]}.last"
				printf '%s\n' "$out" | kv "${METRIC:-pps}" >>"$TMP/${names[$i]}.vals"
			fi
		done
	done
	for i in "${!names[@]}"; do
		if [ -e "$TMP/${names[$i]}.err" ]; then
			log "$ROW ${names[$i]}: n/a ($(cat "$TMP/${names[$i]}.err"))"
		else
			log "$ROW ${names[$i]}: ${METRIC:-pps} $(paste -sd' ' "$TMP/${names[$i]}.vals")"
		fi
	done
}

# med NAME: median of NAME's values, empty when it failed.
med() { [ -e "$TMP/$1.vals" ] && median <"$TMP/$1.vals" || true; }

# lastkv NAME KEY: KEY from NAME's last output line (empty when absent).
lastkv() { [ -e "$TMP/$1.last" ] && kv "$2" <"$TMP/$1.last" || true; }

# why NAME: the reason NAME has no value (nothing when it has one).
why() {
	if [ -e "$TMP/$1.err" ]; then
		cat "$TMP/$1.err"
	elif [ ! -s "$TMP/$1.vals" ]; then
		echo "$1 was not measured"
	fi
}

# Human form of a number: thousands separators, one decimal below 100.
fmt() {
	isnum "$1" || { printf '%s' "${1:--}"; return; }
	awk -v v="$1" 'BEGIN {
		if (v < 100 && v != int(v)) { printf "%.1f", v; exit }
		s = sprintf("%.0f", v); neg = ""
		if (substr(s, 1, 1) == "-") { neg = "-"; s = substr(s, 2) }
		while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
		printf "%s%s%s", neg, s, out }'
}

# metric ROW LABEL UNIT OURS BASE BETTER KIND GOAL [REASON]
#   OURS/BASE: numbers, or "" when not measured (REASON says why; BASE may
#   be "-" when the line has no baseline). BETTER: higher|lower. KIND:
#   ratio (GOAL bounds OURS/BASE), value (GOAL bounds OURS) or - (no goal:
#   the line is information). Appends a table line and the line's JSON.
metric() {
	local row=$1 label=$2 unit=$3 ours=$4 base=$5 better=$6 kind=$7 goal=$8 reason=${9:-}
	local ratio="" result op judged=""
	reason=$(printf '%s\n' "$reason" | awk 'NF && !seen[$0]++' | paste -sd';' | sed 's/;/; /g')
	op=$([ "$better" = higher ] && echo '>=' || echo '<=')
	if isnum "$ours" && isnum "$base" && awk -v b="$base" 'BEGIN { exit !(b != 0) }'; then
		ratio=$(awk -v a="$ours" -v b="$base" 'BEGIN { r = a / b; printf (r < 0.1 ? "%.2g" : "%.2f"), r }')
	fi
	case $kind in
	ratio) judged=$ratio ;;
	value) judged=$ours ;;
	esac
	if ! isnum "$ours" || { [ "$kind" = ratio ] && ! isnum "$ratio"; }; then
		result="n/a (${reason:-not measured})"
	elif [ "$kind" = - ]; then
		result=info
	elif awk -v r="$judged" -v g="$goal" -v b="$better" \
		'BEGIN { exit !(b == "higher" ? r >= g : r <= g) }'; then
		result=pass
	else
		result=miss
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$row: $label" \
		"$(isnum "$ours" && fmt "$ours" || echo n/a)" \
		"$(isnum "$base" && fmt "$base" || echo -)" \
		"${ratio:+${ratio}x}" \
		"$([ "$kind" = - ] && echo - || echo "$op $goal$([ "$kind" = ratio ] && echo x)")" \
		"$result" >>"$TMP/table.tsv"
	printf '{"metric":"%s","unit":"%s","ours":%s,"baseline":%s,"ratio":%s,"better":"%s","goal":%s,"goal_on":%s,"result":"%s"}\n' \
		"$(clean <<<"$label")" "$unit" "$(isnum "$ours" && echo "$ours" || echo null)" \
		"$(isnum "$base" && echo "$base" || echo null)" "${ratio:-null}" "$better" \
		"$([ "$kind" = - ] && echo null || echo "$goal")" \
		"$([ "$kind" = - ] && echo null || echo "\"$kind\"")" \
		"$(clean <<<"$result")" >>"$TMP/metrics.$row"
}

# end_row ROW INPUT NAME...: write $TMP/rows/ROW.json with the row's
# metrics and the raw runs of each named measurement, then forget them.
end_row() {
	local row=$1 input=$2 m sep="" meas="" vals
	shift 2
	for m in "$@"; do
		[ -e "$TMP/$m.cmd" ] || continue
		vals=$( [ -e "$TMP/$m.vals" ] && paste -sd, "$TMP/$m.vals" || true)
		meas+="$sep{\"name\":\"$m\",\"command\":\"$(clean <"$TMP/$m.cmd")\",\"median\":$(isnum "$(med "$m")" && med "$m" || echo null),\"runs\":[$vals],\"last\":\"$( [ -e "$TMP/$m.last" ] && clean <"$TMP/$m.last" || true)\",\"error\":$( [ -e "$TMP/$m.err" ] && echo "\"$(clean <"$TMP/$m.err")\"" || echo null)}"
		sep=,
	done
	mkdir -p "$TMP/rows"
	printf '{"row":"%s","input":"%s","metrics":[%s],"measurements":[%s]}\n' \
		"$row" "$input" "$( [ -e "$TMP/metrics.$row" ] && paste -sd, "$TMP/metrics.$row" || true)" \
		"$meas" >"$TMP/rows/$row.json"
	for m in "$@"; do rm -f "$TMP/$m".*; done
}

# packets FILE: records in FILE, counted by libpcap (the pps divisor for
# commands timed from outside).
packets() { "$BIN/pcap_loop" "$1" | kv packets; }

# tc_works SUBCOMMAND: status 0 when build/tuplecheck has that subcommand
# (it reads the tiny capture with exit 0 or 1); else prints why.
tc_works() {
	local rc=0 err
	if [ ! -x "$TC" ]; then
		echo "$TC is not built"
		return 1
	fi
	err=$("$TC" "$1" --format jsonl --seed 1 "$DATA/tiny.pcap" 2>&1 >/dev/null) || rc=$?
	if [ $rc -ge 2 ]; then
		echo "$1 not built: $TC $1 exits $rc: $(head -n 1 <<<"$err" | clean)"
		return 1
	fi
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
	metric decode "reader+decode packets/s vs libpcap loop" packets/s \
		"$(med reader_decode)" "$(med libpcap_loop)" higher ratio 0.8 \
		"$(why reader_decode; why libpcap_loop)"
	metric decode "reader alone packets/s vs libpcap loop" packets/s \
		"$(med reader)" "$(med libpcap_loop)" higher - - "$(why reader)"
	end_row decode "$f" libpcap_loop reader reader_decode
}

# flows: `tuplecheck flows --format jsonl` (timed from outside: start,
# read, engine, every record formatted, exit) against the libpcap loop;
# engine_only is reader+decode+engine without output (bench_engine), which
# shows where the rest of the time goes. tshark -z conv,tcp runs once
# (BENCH_TSHARK=0 skips it). Memory: one extra run sampled every 2 ms for
# the peak of anonymous memory (see peakrss.c);
# bytes per live flow divide it by the most flows live at once, which
# bench_engine counts (the summary record has only the total).
# Goal (issue): flows at least 0.5x the libpcap loop's packets/s.
row_flows() {
	local f=$DATA/mixed.pcap n why_tc="" live anon maxrss t_pps t_rss t_conv
	n=$(packets "$f")
	why_tc=$(tc_works flows) || true
	if [ -z "$why_tc" ]; then
		METRIC=pps alternate \
			libpcap_loop "$BIN/pcap_loop $f" \
			flows "$BIN/peakrss --packets $n -- $TC flows --format jsonl --seed 1 $f" \
			flows_stdin "$BIN/peakrss --packets $n --stdin $f -- $TC flows --format jsonl --seed 1 -" \
			engine_only "$BIN/bench_engine $f"
		RUNS=1 WARMUP=0 METRIC=anon_peak_kb alternate \
			flows_mem "$BIN/peakrss --sample-ms 2 -- $TC flows --format jsonl --seed 1 $f"
	else
		METRIC=pps alternate libpcap_loop "$BIN/pcap_loop $f" engine_only "$BIN/bench_engine $f"
		echo "$why_tc" >"$TMP/flows.err"
		echo "$why_tc" >"$TMP/flows_stdin.err"
		echo "$why_tc" >"$TMP/flows_mem.err"
	fi
	if [ "${BENCH_TSHARK:-1}" = 0 ]; then
		echo "skipped (BENCH_TSHARK=0)" >"$TMP/tshark.err"
	elif ! command -v tshark >/dev/null; then
		echo "tshark is not installed" >"$TMP/tshark.err"
	else
		log "flows: tshark -q -z conv,tcp on $n packets (once, ~8 s)"
		RUNS=1 WARMUP=0 METRIC=pps alternate tshark \
			"$BIN/peakrss --packets $n --stdout $TMP/tshark.out -- tshark -q -z conv,tcp -r $f"
		t_conv=$(grep -c '<->' "$TMP/tshark.out" || true)
	fi
	metric flows "packets/s vs libpcap loop" packets/s "$(med flows)" "$(med libpcap_loop)" \
		higher ratio 0.5 "$(why flows)"
	metric flows "engine only (no output) packets/s vs libpcap loop" packets/s \
		"$(med engine_only)" "$(med libpcap_loop)" higher - - "$(why engine_only)"
	metric flows "from stdin (a stream) packets/s vs libpcap loop" packets/s \
		"$(med flows_stdin)" "$(med libpcap_loop)" higher - - "$(why flows_stdin)"
	metric flows "from stdin: peak RSS KiB vs tshark" KiB \
		"$(lastkv flows_stdin maxrss_kb)" "$(lastkv tshark maxrss_kb)" lower - - "$(why flows_stdin)"
	t_pps=$(med tshark)
	metric flows "packets/s vs tshark -z conv,tcp" packets/s "$(med flows)" "$t_pps" \
		higher - - "$(why flows)"
	live=$(lastkv engine_only max_live)
	anon=$(med flows_mem)
	maxrss=$(lastkv flows_mem maxrss_kb)
	t_rss=$(lastkv tshark maxrss_kb)
	metric flows "peak RSS KiB vs tshark" KiB "$maxrss" "$t_rss" \
		lower - - "$(why flows_mem)"
	metric flows "peak anon RSS KiB (heap, input window)" KiB "$anon" - \
		lower - - "$(why flows_mem)"
	metric flows "most live flows at once (engine)" flows "$live" - higher - - "$(why engine_only)"
	metric flows "bytes per live flow: anon peak / live vs tshark RSS / conv" bytes \
		"$(isnum "$anon" && isnum "$live" && awk -v a="$anon" -v l="$live" 'BEGIN { printf "%.1f", a * 1024 / l }')" \
		"$(isnum "$t_rss" && isnum "${t_conv:-}" && [ "$t_conv" -gt 0 ] && awk -v a="$t_rss" -v l="$t_conv" 'BEGIN { printf "%.1f", a * 1024 / l }')" \
		lower - - "$(why flows_mem)"
	end_row flows "$f" libpcap_loop flows flows_stdin engine_only flows_mem tshark
}

# per_live NAME: NAME's median anonymous peak in bytes over the most flows
# live at once in the same capture (NAME_engine).
per_live() {
	local a l
	a=$(med "$1")
	l=$(lastkv "$1_engine" max_live)
	isnum "$a" && isnum "$l" && [ "$l" -gt 0 ] &&
		awk -v a="$a" -v l="$l" 'BEGIN { printf "%.1f", a * 1024 / l }' || true
}

# memory: bytes per live TCP connection. Peak anonymous RSS of `tuplecheck
# flows` on 1,000,000 SYNs on distinct tuples (every one stays live until
# the end of the capture) minus the same on 100 SYNs, divided by the most
# flows live at once (bench_engine; checked against the summary's flows
# when it is missing). The goal line uses anonymous memory (heap, and the
# 1 MiB window the capture is read through); the "whole peak RSS" line
# also counts the program's code and libraries.
# Then "flat in capture length": peak memory on the mixed capture at 1/4,
# 1/2 and full length (same connection pattern, gen_pcap), ratio full /
# quarter. Closed connections stay in the table 2*MSL = 120 s of capture
# time (TIME_WAIT) and UDP flows 60 s, longer than the 1/4 capture lasts
# (~45 s), so the raw ratio follows the live flows, which grow until ~120 s;
# the judged line divides each peak by the most flows live at once in that
# capture (bench_engine), which stays flat unless memory grows with length
# by itself (a leak per packet or per closed flow, an unbounded queue).
# Goals (issue): <= 256 bytes per connection; flat, read as <= 1.25x for 4x
# the packets (such a leak would give up to ~4x).
row_memory() {
	local syn=$DATA/synflood.pcap tiny=$DATA/tiny.pcap live why_tc sum_flows a_syn a_tiny
	why_tc=$(tc_works flows) || true
	if [ -n "$why_tc" ]; then
		for m in syn tiny quarter half full; do echo "$why_tc" >"$TMP/$m.err"; : >"$TMP/$m.cmd"; done
	else
		RUNS=$MEM_RUNS WARMUP=0 METRIC=anon_peak_kb alternate \
			tiny "$BIN/peakrss --sample-ms 2 --last-line $TMP/tiny.summary -- $TC flows --format jsonl --seed 1 $tiny" \
			syn "$BIN/peakrss --sample-ms 2 --last-line $TMP/syn.summary -- $TC flows --format jsonl --seed 1 $syn"
		RUNS=$MEM_RUNS WARMUP=0 METRIC=anon_peak_kb alternate \
			quarter "$BIN/peakrss --sample-ms 2 -- $TC flows --format jsonl --seed 1 $DATA/mixed_quarter.pcap" \
			half "$BIN/peakrss --sample-ms 2 -- $TC flows --format jsonl --seed 1 $DATA/mixed_half.pcap" \
			full "$BIN/peakrss --sample-ms 2 -- $TC flows --format jsonl --seed 1 $DATA/mixed.pcap"
	fi
	RUNS=1 WARMUP=0 METRIC=max_live alternate syn_engine "$BIN/bench_engine $syn"
	live=$(lastkv syn_engine max_live)
	sum_flows=$(jq -r 'select(.type == "summary") | .flows - .evicted' "$TMP/syn.summary" 2>/dev/null || true)
	if ! isnum "$live" && isnum "$sum_flows"; then live=$sum_flows; fi
	if isnum "$live" && isnum "$sum_flows" && [ "$live" != "$sum_flows" ]; then
		log "memory: engine max_live $live differs from the summary's flows-evicted $sum_flows"
	fi
	a_syn=$(med syn)
	a_tiny=$(med tiny)
	metric memory "bytes per live TCP conn (anon peak, 1M SYNs - 100 SYNs)" bytes \
		"$(isnum "$a_syn" && isnum "$a_tiny" && isnum "$live" && awk -v s="$a_syn" -v t="$a_tiny" -v l="$live" 'BEGIN { printf "%.1f", (s - t) * 1024 / l }')" \
		- lower value 256 "$(why syn; why tiny; isnum "$live" || why syn_engine)"
	metric memory "bytes per live TCP conn (whole peak RSS)" bytes \
		"$(isnum "$live" && awk -v s="$(lastkv syn maxrss_kb)" -v t="$(lastkv tiny maxrss_kb)" -v l="$live" 'BEGIN { if (s > 0 && t > 0) printf "%.1f", (s - t) * 1024 / l }')" \
		- lower - - "$(why syn)"
	metric memory "flow table's own bytes per live flow (engine count)" bytes \
		"$(lastkv syn_engine table_bytes_per_live)" - lower - - "$(why syn_engine)"
	metric memory "live flows at peak (1M SYNs)" flows "$live" - higher - - "$(why syn_engine)"
	RUNS=1 WARMUP=0 METRIC=max_live alternate \
		quarter_engine "$BIN/bench_engine $DATA/mixed_quarter.pcap" \
		half_engine "$BIN/bench_engine $DATA/mixed_half.pcap" \
		full_engine "$BIN/bench_engine $DATA/mixed.pcap"
	for m in quarter half full; do
		metric memory "peak anon RSS KiB, mixed $(lastkv "${m}_engine" packets | sed 's/000000$/M/; s/000$/k/') packets ($(fmt "$(lastkv "${m}_engine" max_live)") flows live at peak)" \
			KiB "$(med "$m")" - lower - - "$(why "$m")"
	done
	metric memory "anon peak full / quarter (raw; see note)" KiB "$(med full)" "$(med quarter)" \
		lower - - "$(why full; why quarter)"
	metric memory "anon peak per live flow, full / quarter (flat in length)" bytes \
		"$(per_live full)" "$(per_live quarter)" lower ratio 1.25 \
		"$(why full; why quarter; why full_engine; why quarter_engine)"
	metric memory "peak RSS full / quarter" KiB \
		"$(lastkv full maxrss_kb)" "$(lastkv quarter maxrss_kb)" lower - - "$(why full)"
	note "memory: at the default MSL (60 s) a closed TCP connection stays 2*MSL = 120 s of capture time (TIME_WAIT, RFC 9293) and a UDP flow 60 s after its last packet; the 1/4 capture spans ~45 s and the 1/2 ~90 s, so they end before the table reaches its steady state (the full one spans ~180 s). The raw ratio therefore grows with the live flows; the per-live-flow ratio is the one that shows memory growing with length beyond them."
	end_row memory "$syn $DATA/mixed*.pcap" tiny syn syn_engine quarter half full \
		quarter_engine half_engine full_engine
}

# replay: `tuplecheck replay --format jsonl` with every rule against the
# libpcap loop. Goal (issue): at least 0.4x the libpcap loop's packets/s.
row_replay() {
	local f=$DATA/mixed.pcap n why_tc
	n=$(packets "$f")
	why_tc=$(tc_works replay) || true
	if [ -z "$why_tc" ]; then
		METRIC=pps alternate \
			libpcap_loop "$BIN/pcap_loop $f" \
			replay "$BIN/peakrss --packets $n -- $TC replay --format jsonl --seed 1 $f"
	else
		METRIC=pps alternate libpcap_loop "$BIN/pcap_loop $f"
		echo "$why_tc" >"$TMP/replay.err"
		: >"$TMP/replay.cmd"
	fi
	metric replay "packets/s (all rules) vs libpcap loop" packets/s "$(med replay)" \
		"$(med libpcap_loop)" higher ratio 0.4 "$(why replay)"
	metric replay "peak RSS KiB" KiB "$(lastkv replay maxrss_kb)" - \
		lower - - "$(why replay)"
	end_row replay "$f" libpcap_loop replay
}

# lf_exec BIN CORPUS MAXLEN DICT SECONDS (DICT "-" for none): one libFuzzer run of BIN over a
# copy-free view of CORPUS (new inputs go to a scratch folder listed first,
# so corpus/ is only read; -keep_seed=1 keeps every seed in the in-memory
# corpus even when it adds no coverage, so the empty target mutates the
# same inputs as the real one instead of a single byte). exec/s is the
# executed units over the wall time of the process (libFuzzer's own
# average_exec_per_sec is in whole seconds). A crash or leak is not a
# speed: the run fails and its artifact is kept in $OUT/artifacts/.
lf_exec() {
	local bin=$1 corpus=$2 maxlen=$3 dict=$4 secs=$5 w t0 t1 rc=0 units name
	name=${bin##*/}
	[ "$dict" = - ] && dict=""
	w=$(mktemp -d "$TMP/lf.XXXXXX")
	mkdir -p "$w/new" "$OUT/artifacts/$name"
	t0=$(date +%s.%N)
	"$bin" -keep_seed=1 -max_total_time="$secs" -max_len="$maxlen" -timeout=10 \
		${dict:+-dict=$dict} -artifact_prefix="$OUT/artifacts/$name/" -print_final_stats=1 \
		"$w/new" "$corpus" >"$w/log" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	units=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$w/log")
	if [ $rc -ne 0 ] || ! isnum "$units"; then
		echo "$name exit $rc: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$w/log" | clean); artifacts in $OUT/artifacts/$name/" >&2
		rmdir "$OUT/artifacts/$name" 2>/dev/null || true
		rm -rf "$w"
		return 1
	fi
	rmdir "$OUT/artifacts/$name" 2>/dev/null || true
	rmdir "$OUT/artifacts" 2>/dev/null || true
	rm -rf "$w"
	awk -v u="$units" -v a="$t0" -v b="$t1" \
		'BEGIN { printf "execs=%d seconds=%.3f execs_per_sec=%.0f\n", u, b - a, u / (b - a) }'
}

# afl_exec BIN CORPUS MAXLEN DICT SECONDS (DICT "-" for none): afl-fuzz -V SECONDS (no CMPLOG:
# the plain persistent-mode execution speed), execs_per_sec from
# fuzzer_stats.
afl_exec() {
	local bin=$1 corpus=$2 maxlen=$3 dict=$4 secs=$5 o rc=0 eps
	[ "$dict" = - ] && dict=""
	o=$(mktemp -d "$TMP/afl.XXXXXX")
	AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
		AFL_NO_AFFINITY=1 AFL_QUIET=1 AFL_AUTORESUME=1 \
		timeout $((secs + 120)) afl-fuzz -V "$secs" -i "$corpus" -o "$o" -G "$maxlen" \
		${dict:+-x $dict} -- "$bin" >"$o.log" 2>&1 || rc=$?
	eps=$(awk -F: '$1 ~ /^execs_per_sec/ { gsub(/ /, "", $2); print $2 }' "$o/default/fuzzer_stats" 2>/dev/null || true)
	if ! isnum "$eps"; then
		echo "afl-fuzz exit $rc: $(grep -a -m1 -E 'PROGRAM ABORT|ERROR' "$o.log" | sed 's/\x1b\[[0-9;]*m//g' | clean)" >&2
		return 1
	fi
	printf 'execs_per_sec=%s execs=%s crashes=%s\n' "$eps" \
		"$(awk -F: '$1 ~ /^execs_done/ { gsub(/ /, "", $2); print $2 }' "$o/default/fuzzer_stats")" \
		"$(awk -F: '$1 ~ /^saved_crashes|^unique_crashes/ { gsub(/ /, "", $2); print $2; exit }' "$o/default/fuzzer_stats")"
}

# fuzz: libFuzzer exec/s of each target on its committed corpus against
# the empty target (bench/fuzz_empty.c, same flags) on the same corpus with
# the same -max_len and dictionary, alternating, BENCH_FUZZ_RUNS runs of
# BENCH_FUZZ_SECONDS each. Goals (issue): fuzz_decode >= 50 % of the empty
# target; fuzz_pcap and fuzz_engine >= 20 %; other targets are shown
# without a goal. Then AFL++ persistent mode on fuzz_decode, as is.
row_fuzz() {
	local t bin corpus maxlen dict goal kind secs=${BENCH_FUZZ_SECONDS:-2} reason
	local -a targets=(fuzz_decode fuzz_pcap fuzz_engine) names=()
	for t in harness/fuzz_*.c; do
		[ -e "$t" ] || continue
		t=${t##*/}; t=${t%.c}
		[[ " ${targets[*]} " == *" $t "* ]] || targets+=("$t")
	done
	for t in "${targets[@]}"; do
		bin=build/fuzz/libfuzzer/$t
		corpus=corpus/$t
		dict=$( [ -e "corpus/$t.dict" ] && echo "corpus/$t.dict" || echo -)
		maxlen=$(tr ' ' '\n' <<<"${BENCH_FUZZ_MAXLEN:-}" | awk -F= -v t="$t" '$1 == t { print $2 }')
		maxlen=${maxlen:-4096}
		case $t in
		fuzz_decode) kind=ratio goal=0.5 ;;
		fuzz_pcap | fuzz_engine) kind=ratio goal=0.2 ;;
		*) kind=- goal=- ;;
		esac
		names+=("$t" "empty_$t")
		reason=""
		if [ ! -e "harness/$t.c" ]; then
			reason="harness/$t.c does not exist yet"
		elif [ ! -x "$bin" ]; then
			reason="$bin not built (see $BIN/optional-build.log)"
		elif [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
			reason="$corpus/ is missing or empty"
		elif [ ! -x "$BIN/fuzz_empty" ]; then
			reason="$BIN/fuzz_empty not built (see $BIN/optional-build.log)"
		fi
		if [ -n "$reason" ]; then
			echo "$reason" >"$TMP/$t.err"; : >"$TMP/$t.cmd"
		else
			log "fuzz: $t against the empty target, ${BENCH_FUZZ_RUNS:-3} x 2 runs of ~$((secs + 1)) s"
			RUNS=${BENCH_FUZZ_RUNS:-3} WARMUP=0 METRIC=execs_per_sec alternate \
				"$t" "lf_exec $bin $corpus $maxlen $dict $secs" \
				"empty_$t" "lf_exec $BIN/fuzz_empty $corpus $maxlen $dict $secs"
		fi
		metric fuzz "$t libFuzzer exec/s vs empty target" exec/s "$(med "$t")" \
			"$(med "empty_$t")" higher "$kind" "$goal" "$(why "$t"; [ -e "$TMP/$t.err" ] || why "empty_$t")"
	done
	t=fuzz_decode
	bin=build/fuzz/afl/$t
	if ! command -v afl-fuzz >/dev/null; then
		echo "afl-fuzz is not installed" >"$TMP/afl_$t.err"; : >"$TMP/afl_$t.cmd"
	elif [ ! -x "$bin" ]; then
		echo "$bin not built (see $BIN/optional-build.log)" >"$TMP/afl_$t.err"; : >"$TMP/afl_$t.cmd"
	else
		log "fuzz: afl-fuzz -V ${BENCH_AFL_SECONDS:-10} on $t"
		maxlen=$(tr ' ' '\n' <<<"${BENCH_FUZZ_MAXLEN:-}" | awk -F= -v t="$t" '$1 == t { print $2 }')
		RUNS=1 WARMUP=0 METRIC=execs_per_sec alternate "afl_$t" \
			"afl_exec $bin corpus/$t ${maxlen:-4096} $( [ -e "corpus/$t.dict" ] && echo "corpus/$t.dict" || echo -) ${BENCH_AFL_SECONDS:-10}"
	fi
	metric fuzz "$t AFL++ persistent exec/s (afl-fuzz -V ${BENCH_AFL_SECONDS:-10}, no cmplog)" \
		exec/s "$(med "afl_$t")" - higher - - "$(why "afl_$t")"
	end_row fuzz corpus/ "${names[@]}" "afl_$t"
}

# ---- main --------------------------------------------------------------------

if [ $# -gt 0 ]; then
	ROWS=("$@")
elif [ -n "${BENCH_ROWS:-}" ]; then
	read -r -a ROWS <<<"$BENCH_ROWS"
fi
for row in "${ROWS[@]}"; do
	if ! declare -F "row_$row" >/dev/null; then
		echo "bench: no row '$row' (have: ${ALL_ROWS[*]})" >&2
		exit 2
	fi
done
for t in pcap_loop peakrss bench_decode bench_engine; do
	[ -x "$BIN/$t" ] || { echo "bench: $BIN/$t is not built (make bench-tools)" >&2; exit 2; }
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"
: >"$TMP/table.tsv"
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
started=$(date +%s)

for row in "${ROWS[@]}"; do
	log "row $row ($(($(date +%s) - started)) s so far)"
	rc=0
	set +e
	(ROW=$row; set -e; "row_$row")
	rc=$?
	set -e
	if [ $rc -ne 0 ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$row" n/a - "" - \
			"n/a (the row's script failed with status $rc; see stderr)" >>"$TMP/table.tsv"
		mkdir -p "$TMP/rows"
		printf '{"row":"%s","error":"row script failed with status %s","metrics":[%s],"measurements":[]}\n' \
			"$row" "$rc" "$( [ -e "$TMP/metrics.$row" ] && paste -sd, "$TMP/metrics.$row" || true)" \
			>"$TMP/rows/$row.json"
	fi
done
elapsed=$(($(date +%s) - started))

echo "tuplecheck bench: medians of $RUNS alternating runs (memory $MEM_RUNS, fuzz ${BENCH_FUZZ_RUNS:-3}); $(nproc) CPUs ($cpu); ${elapsed} s"
{
	printf 'metric\tours\tbaseline\tratio\tgoal\tresult\n'
	cat "$TMP/table.tsv"
} | awk -F'\t' '{ printf "%-70s %14s %14s %9s %9s  %s\n", $1, $2, $3, $4, $5, $6 }'
[ -e "$TMP/notes" ] && sed 's/^/note: /' "$TMP/notes"
echo "references measured by the team on this machine (not rerun here): libpcap loop ~4.5 M pps, tshark conv,tcp ~55 k pps and 1.7 GiB, ndpiReader ~70 k pps and 3.6 KB per flow (2M-packet mixed capture)"

{
	printf '{"tool":"tuplecheck bench","runs":%s,"mem_runs":%s,"cpus":%s,"cpu":"%s","seconds":%s,"rows":[' \
		"$RUNS" "$MEM_RUNS" "$(nproc)" "$(clean <<<"$cpu")" "$elapsed"
	sep=
	for row in "${ROWS[@]}"; do
		printf '%s' "$sep"
		tr -d '\n' <"$TMP/rows/$row.json"
		sep=,
	done
	printf '],"notes":[%s]' "$( [ -e "$TMP/notes" ] && clean_lines <"$TMP/notes" || true)"
	printf ',"references":{"libpcap_loop_pps":4500000,"tshark_conv_tcp_pps":55000,"tshark_conv_tcp_rss_bytes":1825361100,"ndpireader_pps":70000,"ndpireader_bytes_per_flow":3600}}\n'
} >"$OUT/bench.json"
if command -v jq >/dev/null; then
	jq -e . "$OUT/bench.json" >/dev/null || { echo "bench: invalid $OUT/bench.json" >&2; exit 1; }
fi
echo "wrote $OUT/bench.json"
