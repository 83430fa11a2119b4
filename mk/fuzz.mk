# mk/fuzz.mk - fuzz targets: three builds of each harness, fuzzing jobs,
# corpus replay. Included by the top-level Makefile.
#
# Every harness/fuzz_NAME.c is one target (LLVMFuzzerTestOneInput) and is
# built three ways:
#   build/fuzz/libfuzzer/NAME   clang -fsanitize=fuzzer,address,undefined; the
#                               library is compiled with fuzzer-no-link,address,
#                               undefined into build/fuzz/libfuzzer/obj/.
#   build/fuzz/afl/NAME         afl-clang-fast, persistent mode, test cases in
#                               shared memory (harness/afl_driver.c), plus
#   build/fuzz/afl/NAME.cmplog  the same with AFL_LLVM_CMPLOG=1 for afl-fuzz -c.
#   build/fuzz/repro/NAME       gcc (CC) under ASan+UBSan with
#                               harness/repro_main.c: replays files and folders.
# The other harness/*.c files (common.c, pktcheck.c, engine_script.c, ...)
# are support code. Support code and the library (targets/ and oracle/
# minus main.c) are linked as static archives per build, so a target pulls
# in only the objects it uses: fuzz_decode does not depend on
# the report writers, and a half-written file elsewhere in oracle/ does not
# stop it from linking.
#
# Sanitizers and AFL++: the AFL builds carry no sanitizer. ASan costs AFL
# about half its speed (shadow memory, and -m none becomes mandatory) and
# the shared-memory buffer is larger than the input, so ASan would not see
# over-reads of the input there anyway. Memory errors are found by the
# libFuzzer build (ASan+UBSan on every execution) and by replaying AFL's
# queue and crashes through the repro driver (gcc ASan+UBSan, exact-size
# buffers), which is what CI does (make ci-fuzz: scripts/ci_fuzz.py
# AflRun.replay_queue after every AFL++ run). FUZZ_CHECK aborts in every build, so
# invariant violations are AFL crashes too. For a one-off sanitizer AFL run:
#   make fuzz-afl AFL_SAN=1  ->  build/fuzz/afl-san/NAME (AFL_USE_ASAN/UBSAN)
#
# AFL driver: harness/afl_driver.c (__AFL_FUZZ_INIT / __AFL_LOOP /
# __AFL_FUZZ_TESTCASE_BUF), chosen over AFL++'s libAFLDriver.a
# (afl-clang-fast -fsanitize=fuzzer) by measurement: same objects, same
# seeds and dictionary, afl-fuzz -s 7 -E 150000 (fixed work), wall time on
# this 2-core machine under a load average of ~5 from other jobs, two runs
# each: fuzz_pcap 10.7 s and 10.3 s with ours against 19.5 s and 16.6 s with
# libAFLDriver; fuzz_decode 8.1 / 10.9 s against 13.4 / 7.9 s (within the
# noise). libAFLDriver copies every input into a fresh heap buffer, which
# buys nothing without ASan. AFL_DRIVER=libafldriver builds the other one.

# Jobs:
#   make fuzz TARGET=NAME [SECONDS=30]   libFuzzer on corpus/NAME (read only)
#                                        + build/fuzz/work/NAME (written);
#                                        CORPUS_WRITEBACK=1 merges new
#                                        coverage into corpus/NAME afterwards
#   make afl TARGET=NAME [SECONDS=30]    afl-fuzz with CMPLOG, output in
#                                        build/fuzz/afl-out/NAME; fails when
#                                        AFL saved a crash. fuzz_pcap and
#                                        fuzz_engine load their custom
#                                        mutator (AFL_MUTATOR=0: without)
#   make fuzz-build                      all three builds of every target
#   make fuzz-repro                      only the repro drivers
#   make fuzz-smoke                      replay every corpus with the repro
#                                        drivers and check the counters
#   make fuzz-cmin TARGET=NAME           minimise corpus/NAME (libFuzzer merge)

FUZZ_TARGETS := $(sort $(patsubst harness/%.c,%,$(wildcard harness/fuzz_*.c)))
FUZZ_DRIVERS := harness/repro_main.c harness/afl_driver.c harness/mutator_afl.c \
	harness/mutcheck_main.c
FUZZ_SUPPORT := $(sort $(filter-out $(FUZZ_DRIVERS) $(wildcard harness/fuzz_*.c),$(wildcard harness/*.c)))
FUZZ_HDRS    := $(wildcard targets/*.h oracle/*.h harness/*.h)
FUZZ_CPPFLAGS := $(CPPFLAGS_ALL) -Iharness

FUZZ_CC  ?= clang
AFL_CC   ?= afl-clang-fast
AFL_FUZZ ?= afl-fuzz
AFL_DRIVER ?= own
AFL_SAN  ?=
NICE     ?= nice -n 10
SECONDS  ?= 30
TARGET   ?=

# Largest input libFuzzer generates, per target. Not a cap on seeds read
# from disk, a bound on what mutation explores: larger inputs only repeat
# the same code and slow every execution down.
#  decode: one frame. 4 KiB holds the link header, 4 VLAN tags, IPv6 with
#          all 8 extension headers at realistic sizes and a 60-byte TCP
#          header; headers are all the decoder reads.
#  pcap:   a whole file. 64 KiB holds hundreds of small records, enough for
#          the reader's multi-section/multi-interface paths and for flows
#          of many packets; fuzz_pcap.c caps records per input to match.
#  engine: packet scripts of ~20-30 bytes per record: 16 KiB is several
#          hundred packets, enough to fill and evict a small flow table.
#  portalloc: operation sequences of a few bytes each; 4 KiB is ~1000
#          operations, far more than any range the harness configures.
FUZZ_MAXLEN_fuzz_decode    := 4096
FUZZ_MAXLEN_fuzz_pcap      := 65536
FUZZ_MAXLEN_fuzz_engine    := 16384
FUZZ_MAXLEN_fuzz_portalloc := 4096
fuzz_maxlen = $(or $(FUZZ_MAXLEN_$(1)),4096)
# Link flags per target. fuzz_engine injects allocation failures into its
# engine through link-time wrappers of the malloc family
# (harness/failalloc.h), in all three builds.
FUZZ_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
FUZZ_LD_fuzz_engine := $(FUZZ_WRAP)
# Per-input time limit: harness caps keep one execution in milliseconds, so
# 10 s means a hang, not a big input.
FUZZ_TIMEOUT ?= 10

# ---- libFuzzer ---------------------------------------------------------------
# -O2, not -O1: measured on this machine (docs/fuzzing-speed.md), fuzz_engine
# ran 2.1x and fuzz_pcap 2.4x the executions per second, sanitizers and
# coverage unchanged; at -O1 small helpers (sip_round, cursor getters) stay
# out of line and every UBSan alignment/null check in them becomes a
# __sanitizer_cov_trace_const_cmp8 call.
#
# The harness's own code (harness/*.c: the checks, shadow models, script
# player, custom mutators) is built with the sanitizers but without
# coverage instrumentation (LF_HCFLAGS): coverage feedback should measure
# the code under test (targets/, oracle/), not which of our own checks
# passed, and every comparison in a check otherwise costs a trace-cmp
# call (fuzz_engine 1.5x, fuzz_pcap 1.4x faster). A custom mutator must not
# be instrumented anyway: libFuzzer runs it between executions.
LF_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all
LF_CFLAGS := -O2 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(LF_SAN)
LF_HCFLAGS := -O2 -g -fno-omit-frame-pointer $(LF_SAN)
LF_LIB    := $(LIB_SRC:%.c=build/fuzz/libfuzzer/obj/%.o)
LF_SUP    := $(FUZZ_SUPPORT:%.c=build/fuzz/libfuzzer/obj/%.o)
LF_BINS   := $(FUZZ_TARGETS:%=build/fuzz/libfuzzer/%)

build/fuzz/libfuzzer/obj/harness/%.o: harness/%.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(STD) $(FUZZ_CPPFLAGS) $(WARN) $(WERROR) $(LF_HCFLAGS) -c $< -o $@

build/fuzz/libfuzzer/obj/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(STD) $(FUZZ_CPPFLAGS) $(WARN) $(WERROR) $(LF_CFLAGS) -c $< -o $@

build/fuzz/libfuzzer/libtc.a: $(LF_LIB)
	@rm -f $@
	$(AR) rcs $@ $^

build/fuzz/libfuzzer/libharness.a: $(LF_SUP)
	@rm -f $@
	$(AR) rcs $@ $^

$(LF_BINS): build/fuzz/libfuzzer/%: build/fuzz/libfuzzer/obj/harness/%.o build/fuzz/libfuzzer/libharness.a build/fuzz/libfuzzer/libtc.a
	$(FUZZ_CC) -g -fsanitize=fuzzer $(LF_SAN) $(FUZZ_LD_$*) -o $@ $^ $(LIBS)

# ---- AFL++ -------------------------------------------------------------------
AFL_ENV      := AFL_QUIET=1 $(if $(AFL_SAN),AFL_USE_ASAN=1 AFL_USE_UBSAN=1)
AFL_BINDIR   := build/fuzz/afl$(if $(AFL_SAN),-san)
AFL_OBJDIR   := $(AFL_BINDIR)/obj
AFL_CMPDIR   := $(AFL_BINDIR)/cmplog-obj
AFL_CFLAGS   := -O2 -g
AFL_LIB      := $(LIB_SRC:%.c=$(AFL_OBJDIR)/%.o)
AFL_SUP      := $(FUZZ_SUPPORT:%.c=$(AFL_OBJDIR)/%.o)
AFL_CMPLIB   := $(LIB_SRC:%.c=$(AFL_CMPDIR)/%.o)
AFL_CMPSUP   := $(FUZZ_SUPPORT:%.c=$(AFL_CMPDIR)/%.o)
AFL_BINS     := $(FUZZ_TARGETS:%=$(AFL_BINDIR)/%)
AFL_CMPBINS  := $(FUZZ_TARGETS:%=$(AFL_BINDIR)/%.cmplog)
# own: harness/afl_driver.c; libafldriver: AFL++'s libAFLDriver.a, pulled in
# by -fsanitize=fuzzer.
ifeq ($(AFL_DRIVER),libafldriver)
AFL_DRV_OBJ  :=
AFL_DRV_LINK := -fsanitize=fuzzer
else
AFL_DRV_OBJ  := $(AFL_OBJDIR)/harness/afl_driver.o
AFL_DRV_LINK :=
endif

$(AFL_OBJDIR)/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(AFL_ENV) $(AFL_CC) $(STD) $(FUZZ_CPPFLAGS) $(WARN) $(WERROR) $(AFL_CFLAGS) -c $< -o $@

$(AFL_CMPDIR)/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(AFL_ENV) AFL_LLVM_CMPLOG=1 $(AFL_CC) $(STD) $(FUZZ_CPPFLAGS) $(WARN) $(WERROR) $(AFL_CFLAGS) -c $< -o $@

$(AFL_OBJDIR)/libtc.a: $(AFL_LIB)
	@rm -f $@
	$(AR) rcs $@ $^

$(AFL_OBJDIR)/libharness.a: $(AFL_SUP)
	@rm -f $@
	$(AR) rcs $@ $^

$(AFL_CMPDIR)/libharness.a: $(AFL_CMPSUP)
	@rm -f $@
	$(AR) rcs $@ $^

$(AFL_CMPDIR)/libtc.a: $(AFL_CMPLIB)
	@rm -f $@
	$(AR) rcs $@ $^

$(AFL_BINS): $(AFL_BINDIR)/%: $(AFL_OBJDIR)/harness/%.o $(AFL_DRV_OBJ) $(AFL_OBJDIR)/libharness.a $(AFL_OBJDIR)/libtc.a
	$(AFL_ENV) $(AFL_CC) $(AFL_CFLAGS) $(AFL_DRV_LINK) $(FUZZ_LD_$*) -o $@ $^ $(LIBS)

$(AFL_CMPBINS): $(AFL_BINDIR)/%.cmplog: $(AFL_CMPDIR)/harness/%.o $(AFL_CMPDIR)/harness/afl_driver.o $(AFL_CMPDIR)/libharness.a $(AFL_CMPDIR)/libtc.a
	$(AFL_ENV) AFL_LLVM_CMPLOG=1 $(AFL_CC) $(AFL_CFLAGS) $(FUZZ_LD_$*) -o $@ $^ $(LIBS)

# ---- AFL++ custom mutator libraries -----------------------------------------
# The structure-aware mutators of fuzz_pcap and fuzz_engine (harness/
# mutator.h) as AFL++ custom mutators: plain clang, no instrumentation (the
# mutator runs inside afl-fuzz, not in the target). `make afl` loads the one
# of its TARGET through AFL_CUSTOM_MUTATOR_LIBRARY.
FUZZ_MUTATORS := fuzz_pcap fuzz_engine
MUT_FN_fuzz_pcap     := mut_pcap
MUT_SRC_fuzz_pcap    := harness/mutator.c harness/mutator_pcap.c
MUT_FN_fuzz_engine   := mut_engine
MUT_SRC_fuzz_engine  := harness/mutator.c harness/mutator_engine.c harness/engine_script.c
AFL_MUT_LIBS := $(FUZZ_MUTATORS:%=build/fuzz/afl/mutator_%.so)

$(AFL_MUT_LIBS): build/fuzz/afl/mutator_%.so: harness/mutator_afl.c $(FUZZ_HDRS) \
		$(foreach m,$(FUZZ_MUTATORS),$(MUT_SRC_$(m)))
	@mkdir -p $(@D)
	$(FUZZ_CC) $(STD) $(FUZZ_CPPFLAGS) $(WARN) $(WERROR) -O2 -g -fPIC -shared \
		-DMUT_FN=$(MUT_FN_$*) -o $@ harness/mutator_afl.c $(MUT_SRC_$*)

# ---- repro (gcc, ASan+UBSan; the library objects are the test build's) ---
REPRO_SUP  := $(FUZZ_SUPPORT:%.c=build/fuzz/repro/obj/%.o)
REPRO_BINS := $(FUZZ_TARGETS:%=build/fuzz/repro/%)

build/fuzz/repro/obj/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(CC) $(STD) $(FUZZ_CPPFLAGS) $(WARN) $(WERROR) $(ASAN_CFLAGS) -c $< -o $@

build/fuzz/repro/libtc.a: $(ASAN_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

build/fuzz/repro/libharness.a: $(REPRO_SUP)
	@rm -f $@
	$(AR) rcs $@ $^

$(REPRO_BINS): build/fuzz/repro/%: build/fuzz/repro/obj/harness/%.o build/fuzz/repro/obj/harness/repro_main.o \
		build/fuzz/repro/libharness.a build/fuzz/repro/libtc.a
	$(CC) $(ASAN_CFLAGS) $(LDFLAGS) $(FUZZ_LD_$*) -o $@ $^ $(LIBS)

# The mutators' checker (tests/t_fuzz_mutator.sh), on the repro objects.
build/fuzz/repro/mutcheck: build/fuzz/repro/obj/harness/mutcheck_main.o build/fuzz/repro/libharness.a \
		build/fuzz/repro/libtc.a
	$(CC) $(ASAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# ---- jobs ------------------------------------------------------------------------
.PHONY: fuzz afl fuzz-build fuzz-repro fuzz-libfuzzer fuzz-afl fuzz-smoke fuzz-cmin fuzz-check-target
fuzz-build: $(LF_BINS) $(AFL_BINS) $(AFL_CMPBINS) $(AFL_MUT_LIBS) $(REPRO_BINS)
fuzz-libfuzzer: $(LF_BINS)
fuzz-afl: $(AFL_BINS) $(AFL_CMPBINS) $(AFL_MUT_LIBS)
fuzz-repro: $(REPRO_BINS) build/fuzz/repro/mutcheck

# `make test` runs tests/t_fuzz_smoke.sh, which needs the repro drivers.
test-extra-builds: fuzz-repro

fuzz-smoke: fuzz-repro
	@bash tests/t_fuzz_smoke.sh

fuzz-check-target:
	@if [ -z "$(filter $(TARGET),$(FUZZ_TARGETS))" ] || [ -z "$(TARGET)" ]; then \
		echo "fuzz: TARGET=NAME with NAME one of: $(FUZZ_TARGETS)" >&2; exit 2; fi
	@if [ ! -d corpus/$(TARGET) ]; then echo "fuzz: corpus/$(TARGET)/ is missing" >&2; exit 2; fi

# libFuzzer writes new inputs into its first corpus folder only, so the
# scratch folder goes first and the committed corpus (and the regression
# inputs) are only read. -reduce_inputs rewrites files in that first folder
# too, which is another reason it must not be corpus/NAME.
fuzz: fuzz-check-target
	@$(MAKE) --no-print-directory build/fuzz/libfuzzer/$(TARGET)
	@mkdir -p build/fuzz/work/$(TARGET) build/fuzz/artifacts/$(TARGET)
	$(NICE) build/fuzz/libfuzzer/$(TARGET) -max_total_time=$(SECONDS) \
		-max_len=$(call fuzz_maxlen,$(TARGET)) -timeout=$(FUZZ_TIMEOUT) \
		$(if $(wildcard corpus/$(TARGET).dict),-dict=corpus/$(TARGET).dict) \
		-artifact_prefix=build/fuzz/artifacts/$(TARGET)/ -print_final_stats=1 $(FUZZ_ARGS) \
		build/fuzz/work/$(TARGET) corpus/$(TARGET) $(wildcard corpus/regressions/$(TARGET))
ifeq ($(CORPUS_WRITEBACK),1)
	$(NICE) build/fuzz/libfuzzer/$(TARGET) -merge=1 -max_len=$(call fuzz_maxlen,$(TARGET)) \
		-timeout=$(FUZZ_TIMEOUT) corpus/$(TARGET) build/fuzz/work/$(TARGET)
endif

# Minimise the committed corpus: keep the smallest set of inputs with the
# same coverage (libFuzzer -merge=1 into an empty folder), then swap it in.
fuzz-cmin: fuzz-check-target
	@$(MAKE) --no-print-directory build/fuzz/libfuzzer/$(TARGET)
	@rm -rf build/fuzz/cmin/$(TARGET) && mkdir -p build/fuzz/cmin/$(TARGET)
	$(NICE) build/fuzz/libfuzzer/$(TARGET) -merge=1 -max_len=$(FUZZ_CMIN_MAXLEN) \
		-timeout=$(FUZZ_TIMEOUT) build/fuzz/cmin/$(TARGET) corpus/$(TARGET)
	@before=$$(ls corpus/$(TARGET) | wc -l); \
	 rm -f corpus/$(TARGET)/* && cp build/fuzz/cmin/$(TARGET)/* corpus/$(TARGET)/ && \
	 echo "fuzz-cmin: corpus/$(TARGET): $$before -> $$(ls corpus/$(TARGET) | wc -l) inputs"
# Seeds may be longer than what mutation explores; keep them whole.
FUZZ_CMIN_MAXLEN ?= 1048576

AFL_RUN_ENV := AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
	AFL_NO_AFFINITY=1 AFL_AUTORESUME=1

# AFL++'s fork server leaves a persistent-mode child stopped (in a session of
# its own) when afl-fuzz exits at the wrong moment: kill what init adopted
# (scripts/fuzzlib.py reap_orphans), whatever afl-fuzz's exit status.
AFL_REAP = /usr/bin/python3 -c 'import sys; sys.path.insert(0, "scripts"); import fuzzlib; \
	fuzzlib.reap_orphans(sys.argv[1:])'

# AFL_MUTATOR=0 runs without the target's custom mutator.
AFL_MUTATOR ?= 1
afl_mut_env = $(if $(and $(filter 1,$(AFL_MUTATOR)),$(filter $(1),$(FUZZ_MUTATORS))),\
	AFL_CUSTOM_MUTATOR_LIBRARY=$(abspath build/fuzz/afl/mutator_$(1).so))

afl: fuzz-check-target
	@$(MAKE) --no-print-directory build/fuzz/afl/$(TARGET) build/fuzz/afl/$(TARGET).cmplog \
		$(if $(filter $(TARGET),$(FUZZ_MUTATORS)),build/fuzz/afl/mutator_$(TARGET).so)
	@mkdir -p build/fuzz/afl-out
	$(AFL_RUN_ENV) $(call afl_mut_env,$(TARGET)) $(NICE) $(AFL_FUZZ) -V $(SECONDS) -i corpus/$(TARGET) \
		-o build/fuzz/afl-out/$(TARGET) -G $(call fuzz_maxlen,$(TARGET)) \
		$(if $(wildcard corpus/$(TARGET).dict),-x corpus/$(TARGET).dict) \
		-c build/fuzz/afl/$(TARGET).cmplog -l 2AT $(AFL_ARGS) -- build/fuzz/afl/$(TARGET); \
	rc=$$?; $(AFL_REAP) build/fuzz/afl/$(TARGET) build/fuzz/afl/$(TARGET).cmplog; exit $$rc
	@n=$$(find build/fuzz/afl-out/$(TARGET) -path '*/crashes/id:*' | wc -l); \
	 if [ $$n -gt 0 ]; then echo "afl: $$n crash(es) in build/fuzz/afl-out/$(TARGET)/*/crashes/;" \
		"replay with build/fuzz/repro/$(TARGET)" >&2; exit 1; fi
