# mk/bench.mk - `make bench`: throughput ratios against baselines.
# Included by the top-level Makefile.
#
#   make bench              build the tools, generate the captures once,
#                           run every row of scripts/bench.sh, print the
#                           table and write out/bench/bench.json
#   make bench BENCH_ROWS="decode"   only some rows
#   make bench BENCH_RUNS=9          more runs per measurement
#   make bench-tools / bench-data    only build / only generate
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
BENCH_TOOLS := $(BENCH_DIR)/gen_pcap $(BENCH_DIR)/pcap_loop $(BENCH_DIR)/bench_decode
BENCH_DATA := $(BENCH_DATA_DIR)/mixed.pcap $(BENCH_DATA_DIR)/synflood.pcap

.PHONY: bench bench-tools bench-data
bench: bench-tools bench-data
	@BENCH_ROWS="$(BENCH_ROWS)" BENCH_RUNS="$(BENCH_RUNS)" bash scripts/bench.sh

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

# gen_pcap is checked by tests/t_gen_pcap.sh, so `make test` builds it.
test-extra-builds: $(BENCH_DIR)/gen_pcap
