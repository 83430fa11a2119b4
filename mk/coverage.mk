# mk/coverage.mk - `make coverage`: line and branch coverage of targets/ and
# oracle/ from the committed corpora. Included by the top-level Makefile.
#
#   make coverage        build with clang source-based coverage, run
#                        scripts/coverage.sh (unit tests, the repro drivers
#                        over corpus/NAME/, tuplecheck replay/flows/packets/
#                        hosts over corpus/pcaps/ and corpus/tcpdump-tests/),
#                        merge the profiles, print the summary
#   make coverage COV_TCPDUMP_EVERY=4   only every 4th tcpdump capture
#   make coverage COV_UNIT=0            without the unit tests
#
# Output: out/coverage/summary.txt (per-folder and total line/branch
# figures, then llvm-cov's per-file table), out/coverage/html/index.html,
# out/coverage/coverage.json (llvm-cov export -summary-only). Goal: >= 90 %
# of the lines of targets/ and oracle/.
#
# Builds, all in build/cov/ with clang -O0 -fprofile-instr-generate
# -fcoverage-mapping and no sanitizer (coverage counts what ran; the
# sanitizer builds are the tests' business):
#   build/cov/tuplecheck         every object of targets/ and oracle/ linked
#                                in, as the release build does, so a file no
#                                input reaches still shows as 0 %, not absent
#   build/cov/repro/NAME         harness/repro_main.c + harness/fuzz_NAME.c +
#                                the harness support files (mk/fuzz.mk's
#                                repro drivers, compiled for coverage)
#   build/cov/tests/test_*       the cmocka unit tests
# Lists are computed here rather than taken from mk/fuzz.mk, which is read
# after this file.

COV_DIR    := build/cov
COV_CC     ?= clang
LLVM_PROFDATA ?= $(firstword $(shell command -v llvm-profdata llvm-profdata-14 2>/dev/null) llvm-profdata)
LLVM_COV   ?= $(firstword $(shell command -v llvm-cov llvm-cov-14 2>/dev/null) llvm-cov)
COV_CFLAGS := -O0 -g -fprofile-instr-generate -fcoverage-mapping
COV_LDFLAGS := -fprofile-instr-generate
COV_TCPDUMP_EVERY ?= 1
COV_UNIT   ?= 1

COV_FUZZ_TARGETS := $(sort $(patsubst harness/%.c,%,$(wildcard harness/fuzz_*.c)))
# Support files: every harness file but the drivers (each has its own main
# or entry point; mutator_afl.c is built once per mutator with -DMUT_FN)
# and the targets.
COV_FUZZ_SUP := $(sort $(filter-out harness/repro_main.c harness/afl_driver.c \
	harness/mutator_afl.c harness/mutcheck_main.c \
	$(wildcard harness/fuzz_*.c),$(wildcard harness/*.c)))
COV_HDRS := $(wildcard targets/*.h oracle/*.h harness/*.h tests/unit/*.h)

COV_LIB    := $(LIB_SRC:%.c=$(COV_DIR)/obj/%.o)
COV_SUPOBJ := $(COV_FUZZ_SUP:%.c=$(COV_DIR)/obj/%.o) $(COV_DIR)/obj/harness/repro_main.o
COV_REPRO  := $(COV_FUZZ_TARGETS:%=$(COV_DIR)/repro/%)
COV_TESTS  := $(UNIT_SRC:tests/unit/%.c=$(COV_DIR)/tests/%)
COV_BINS   := $(COV_DIR)/tuplecheck $(COV_REPRO) $(COV_TESTS)

.PHONY: coverage coverage-build
coverage: coverage-build
	@COV_DIR=$(COV_DIR) LLVM_PROFDATA=$(LLVM_PROFDATA) LLVM_COV=$(LLVM_COV) \
		COV_TCPDUMP_EVERY=$(COV_TCPDUMP_EVERY) COV_UNIT=$(COV_UNIT) \
		COV_SOURCES="$(LIB_SRC) oracle/main.c $(wildcard targets/*.h oracle/*.h)" \
		bash scripts/coverage.sh $(COV_DIR)/tuplecheck $(COV_REPRO) \
		$(if $(filter 1,$(COV_UNIT)),$(COV_TESTS))

coverage-build: $(COV_DIR)/tuplecheck $(COV_REPRO) $(if $(filter 1,$(COV_UNIT)),$(COV_TESTS))

$(COV_DIR)/obj/%.o: %.c $(COV_HDRS)
	@mkdir -p $(@D)
	$(COV_CC) $(STD) $(CPPFLAGS_ALL) -Iharness -Itests/unit $(WARN) $(WERROR) $(COV_CFLAGS) -c $< -o $@

$(COV_DIR)/libtc.a: $(COV_LIB)
	@rm -f $@
	$(AR) rcs $@ $^

$(COV_DIR)/tuplecheck: $(COV_DIR)/obj/oracle/main.o $(COV_LIB)
	$(COV_CC) $(COV_LDFLAGS) -o $@ $^ $(LIBS)

# FUZZ_LD_NAME (mk/fuzz.mk, read later: recipes expand late): the link
# flags a target needs, as fuzz_engine's allocation-failure wrappers.
$(COV_REPRO): $(COV_DIR)/repro/%: $(COV_DIR)/obj/harness/%.o $(COV_SUPOBJ) $(COV_DIR)/libtc.a
	@mkdir -p $(@D)
	$(COV_CC) $(COV_LDFLAGS) $(FUZZ_LD_$*) -o $@ $^ $(LIBS)

$(COV_DIR)/tests/%: $(COV_DIR)/obj/tests/unit/%.o $(COV_LIB)
	@mkdir -p $(@D)
	$(COV_CC) $(COV_LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

# The unit tests' objects are intermediate in the pattern chain; keep them
# so that a second `make coverage` neither deletes nor rebuilds them.
.SECONDARY: $(COV_TESTS:$(COV_DIR)/tests/%=$(COV_DIR)/obj/tests/unit/%.o)
