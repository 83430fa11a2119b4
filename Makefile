# tuplecheck - build, test and fuzz jobs.
#
# Two builds share one strict warning list:
#   build/tuplecheck            optimized release build, no sanitizers (make)
#   build/asan/...              AddressSanitizer + UndefinedBehaviorSanitizer,
#                               halt on the first error (make test)
# Sources are picked up by folder (targets/*.c, oracle/*.c, tests/unit/test_*.c),
# so adding a file needs no edit here. Fuzzing, benchmarks and the CI fuzz job
# live in mk/*.mk, included at the end.

CC      ?= cc
CFLAGS  ?= -O2 -g
# -Werror in CI (CI=true) and wherever WERROR=-Werror is given.
WERROR  ?= $(if $(filter true,$(CI)),-Werror,)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wpointer-arith -Wcast-qual -Wwrite-strings -Wundef \
	-Wimplicit-fallthrough -Wold-style-definition -Wnull-dereference

CPPFLAGS_ALL := -Itargets -Ioracle -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
STD := -std=c11
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LIBS := -lpcap -lm

TARGETS_SRC := $(sort $(wildcard targets/*.c))
ORACLE_SRC  := $(sort $(filter-out oracle/main.c,$(wildcard oracle/*.c)))
LIB_SRC     := $(TARGETS_SRC) $(ORACLE_SRC)
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRC    := $(sort $(wildcard tests/tools/*.c))

REL_OBJ  := $(LIB_SRC:%.c=build/rel/obj/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=build/asan/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=build/asan/tools/%)

.PHONY: all test unit deps clean asan release help analyze
all: build/tuplecheck

help:
	@echo "make              optimized build/tuplecheck"
	@echo "make deps         install what is missing (scripts/deps.sh; a bare machine needs make first)"
	@echo "make test         unit, golden, differential and regression tests under ASan+UBSan"
	@echo "make unit         only the cmocka unit tests"
	@echo "make ci-fuzz      the CI fuzz job (FUZZ_SECONDS=30 ENGINE=libfuzzer|afl|both|none)"
	@echo "make fuzz TARGET=NAME SECONDS=N / make afl TARGET=NAME SECONDS=N"
	@echo "make fuzz-build   all three builds of every fuzz target (fuzz-libfuzzer, fuzz-afl, fuzz-repro: one)"
	@echo "make fuzz-smoke   replay every fuzz corpus through the repro drivers"
	@echo "make fuzz-cmin TARGET=NAME  minimize corpus/NAME"
	@echo "make regress      replay corpus/regressions/NAME/ under ASan+UBSan"
	@echo "make triage CRASHES=\"PATH...\" [PROMOTE=1]  deduplicate, minimize, report crashes"
	@echo "make bisect INPUT=FILE [GOOD=rev] [BAD=rev]  the commit that introduced a crash"
	@echo "make replay PCAPS=DIR  replay a folder of captures"
	@echo "make bench        throughput and memory ratios against baselines"
	@echo "make coverage     llvm-cov line/branch coverage from the corpora"
	@echo "make analyze      clang static analyzer and cppcheck; fails on findings not in tests/analyze_known.txt"
	@echo "make confusion-matrix  rewrite docs/confusion-matrix.txt"
	@echo "make clean        remove build/ and out/"

deps:
	@bash scripts/deps.sh

# ---- release -----------------------------------------------------------------
build/rel/obj/%.o: %.c $(wildcard targets/*.h oracle/*.h)
	@mkdir -p $(@D)
	$(CC) $(STD) $(CPPFLAGS_ALL) $(CPPFLAGS) $(WARN) $(WERROR) $(CFLAGS) -DNDEBUG -c $< -o $@

build/tuplecheck: build/rel/obj/oracle/main.o $(REL_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

release: build/tuplecheck

# ---- sanitizer build (tests) -------------------------------------------------
ASAN_CFLAGS := -O1 -g $(SAN)

build/asan/obj/%.o: %.c $(wildcard targets/*.h oracle/*.h)
	@mkdir -p $(@D)
	$(CC) $(STD) $(CPPFLAGS_ALL) $(CPPFLAGS) $(WARN) $(WERROR) $(ASAN_CFLAGS) -c $< -o $@

build/asan/tuplecheck: build/asan/obj/oracle/main.o $(ASAN_OBJ)
	$(CC) $(ASAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

build/asan/tests/%: tests/unit/%.c $(ASAN_OBJ) $(wildcard tests/unit/*.h)
	@mkdir -p $(@D)
	$(CC) $(STD) $(CPPFLAGS_ALL) -Itests/unit $(WARN) $(WERROR) $(ASAN_CFLAGS) -o $@ $< $(ASAN_OBJ) -lcmocka $(LIBS)

build/asan/tools/%: tests/tools/%.c $(ASAN_OBJ)
	@mkdir -p $(@D)
	$(CC) $(STD) $(CPPFLAGS_ALL) $(WARN) $(WERROR) $(ASAN_CFLAGS) -o $@ $< $(ASAN_OBJ) $(LIBS)

asan: build/asan/tuplecheck $(UNIT_BIN) $(TOOL_BIN)

# make test: install what is missing, build under sanitizers, run everything.
test: deps
	@$(MAKE) --no-print-directory asan build/tuplecheck
	@$(MAKE) --no-print-directory test-extra-builds
	@bash tests/run.sh

unit: asan
	@bash tests/run.sh unit

# Static analysis (clang --analyze, cppcheck) of targets/, oracle/, harness/
# and bench/; part of make test through tests/t_analyze.sh.
analyze:
	@bash scripts/analyze.sh

# Other mk files add prerequisites here (fuzz repro drivers, ...).
.PHONY: test-extra-builds
test-extra-builds:

clean:
	rm -rf build out

-include mk/*.mk
