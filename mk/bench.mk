# mk/bench.mk - `make bench`: throughput ratios against baselines.
# Included by the top-level Makefile.
#
#   make bench              build the tools, generate the captures once,
#                           run every row of scripts/bench.sh, print the
#                           table and write out/bench/bench.json
#   make bench BENCH_ROWS="decode flows"   only some rows (decode flows
#                           memory replay fuzz)
#   make bench BENCH_RUNS=9          more runs per measurement
#   make bench BENCH_TSHARK=0        skip the tshark line of the flows row
#                           (tshark: ~8 s and 1.2 GiB peak RSS on the 2M
#                           packets, 240 k packets/s, at b8a63ff and 65ff4a1)
#   make bench BENCH_FUZZ_SECONDS=N  libFuzzer seconds per run (default 2)
#   make bench-tools / bench-data    only build / only generate
#
# What the rows need besides the tools below (build/tuplecheck, the
# libFuzzer and AFL++ builds of the fuzz targets) is built on a best-effort
# basis: a piece that does not build (another part of the tree half
# written) makes its row print n/a with the reason, not stop the bench.
#
# Tools are built into build/bench/ with -O2 and no sanitizers; the ones
# that exercise tuplecheck link the release objects (build/rel/obj/targets/)
# through an archive, so a tool pulls in only the layers it calls.
# Captures are generated deterministically (bench/gen_pcap.c, fixed seeds)
# into build/bench/data/ and kept: they are remade only when the generator
# changes.
#
# Adding a row: write a tool (bench/NAME.c gets a rule below by pattern;
# add it to BENCH_TOOLS), add any capture to BENCH_DATA with its rule, and
# add a row_NAME function to scripts/bench.sh (see the comment there).

BENCH_DIR  := build/bench
BENCH_DATA_DIR := $(BENCH_DIR)/data
BENCH_ROWS ?=
BENCH_RUNS ?= 5
BENCH_FLAGS := $(STD) $(CPPFLAGS_ALL) $(WARN) $(WERROR) -O2 -g -DNDEBUG

BENCH_LIB  := $(BENCH_DIR)/libtuplecheck_targets.a
BENCH_TOOLS := $(BENCH_DIR)/gen_pcap $(BENCH_DIR)/pcap_loop $(BENCH_DIR)/peakrss \
	$(BENCH_DIR)/bench_decode $(BENCH_DIR)/bench_engine
BENCH_DATA := $(BENCH_DATA_DIR)/mixed.pcap $(BENCH_DATA_DIR)/synflood.pcap \
	$(BENCH_DATA_DIR)/mixed_quarter.pcap $(BENCH_DATA_DIR)/mixed_half.pcap \
	$(BENCH_DATA_DIR)/tiny.pcap
BENCH_TSHARK ?= 1
BENCH_FUZZ_SECONDS ?= 2
# Built when possible; each row says n/a when its piece is missing.
# Deferred (=): LF_BINS comes from mk/fuzz.mk, read after this file.
BENCH_OPTIONAL = build/tuplecheck $(BENCH_DIR)/fuzz_empty \
	$(LF_BINS) build/fuzz/afl/fuzz_decode

.PHONY: bench bench-tools bench-data
bench: bench-tools bench-data
	@$(MAKE) --no-print-directory -k $(BENCH_OPTIONAL) >$(BENCH_DIR)/optional-build.log 2>&1 || \
		echo "bench: some optional builds failed (their rows print n/a); see $(BENCH_DIR)/optional-build.log" >&2
	@BENCH_ROWS="$(BENCH_ROWS)" BENCH_RUNS="$(BENCH_RUNS)" BENCH_TSHARK="$(BENCH_TSHARK)" \
		BENCH_FUZZ_SECONDS="$(BENCH_FUZZ_SECONDS)" \
		BENCH_FUZZ_MAXLEN="$(foreach t,$(sort $(FUZZ_TARGETS) fuzz_engine),$(t)=$(call fuzz_maxlen,$(t)))" \
		bash scripts/bench.sh

bench-tools: $(BENCH_TOOLS)

bench-data: $(BENCH_DATA)

$(BENCH_LIB): $(filter build/rel/obj/targets/%,$(REL_OBJ))
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

# Tools that need no tuplecheck code.
$(BENCH_DIR)/gen_pcap: bench/gen_pcap.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_FLAGS) -o $@ $<

$(BENCH_DIR)/pcap_loop: bench/pcap_loop.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_FLAGS) -o $@ $< -lpcap

$(BENCH_DIR)/peakrss: bench/peakrss.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_FLAGS) -o $@ $<

# The empty libFuzzer target: the real targets' compile and link flags
# (mk/fuzz.mk LF_CFLAGS, LF_SAN), nothing else linked in.
$(BENCH_DIR)/fuzz_empty: bench/fuzz_empty.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(STD) $(WARN) $(WERROR) $(LF_CFLAGS) -c $< -o $@.o
	$(FUZZ_CC) -g -fsanitize=fuzzer $(LF_SAN) -o $@ $@.o

# Every other bench/NAME.c links the release objects of targets/.
$(BENCH_DIR)/%: bench/%.c $(BENCH_LIB) $(wildcard targets/*.h)
	@mkdir -p $(@D)
	$(CC) $(BENCH_FLAGS) -o $@ $< $(BENCH_LIB) $(LIBS)

# The captures. mixed: the next issue's scale scenario (about 2,000,000
# packets, 100,000 TCP connections from 2,000 clients, 10 % UDP, 10 % IPv6);
# synflood: 1,000,000 SYNs on distinct tuples.
$(BENCH_DATA_DIR)/mixed.pcap: $(BENCH_DIR)/gen_pcap
	@mkdir -p $(@D)
	nice $< mixed --packets 2000000 --conns 100000 --clients 2000 --seed 1 $@.tmp
	mv $@.tmp $@

$(BENCH_DATA_DIR)/synflood.pcap: $(BENCH_DIR)/gen_pcap
	@mkdir -p $(@D)
	nice $< synflood --packets 1000000 --seed 2 $@.tmp
	mv $@.tmp $@

# The mixed capture cut to 1/4 and 1/2 of its length with the same
# connection pattern (same clients, servers, concurrency, packets per
# connection and seed; a quarter of the connections), for the "memory flat
# in capture length" line of the memory row.
$(BENCH_DATA_DIR)/mixed_quarter.pcap: $(BENCH_DIR)/gen_pcap
	@mkdir -p $(@D)
	nice $< mixed --packets 500000 --conns 25000 --clients 2000 --seed 1 $@.tmp
	mv $@.tmp $@

$(BENCH_DATA_DIR)/mixed_half.pcap: $(BENCH_DIR)/gen_pcap
	@mkdir -p $(@D)
	nice $< mixed --packets 1000000 --conns 50000 --clients 2000 --seed 1 $@.tmp
	mv $@.tmp $@

# The baseline of the bytes-per-connection line: the same command on 100
# SYNs measures what tuplecheck holds with (almost) no flows.
$(BENCH_DATA_DIR)/tiny.pcap: $(BENCH_DIR)/gen_pcap
	@mkdir -p $(@D)
	$< synflood --packets 100 --seed 2 $@.tmp
	mv $@.tmp $@

# gen_pcap is checked by tests/t_gen_pcap.sh, so `make test` builds it.
test-extra-builds: $(BENCH_DIR)/gen_pcap
