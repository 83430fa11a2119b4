# mk/ci-fuzz.mk - the CI fuzz job, regression replay and the planted-bug
# target that tests them. Included by the top-level Makefile (before
# mk/fuzz.mk, so fuzz.mk's variables are used in recipes only, where make
# expands them late).
#
#   make ci-fuzz [FUZZ_SECONDS=30] [ENGINE=libfuzzer|afl|both] [TARGETS="a b"]
#                [CORPUS_WRITEBACK=1] [JOBS=N] [PLANTED=1] [CI_FUZZ_OUT=dir] [REPLAY=0]
#       ENGINE=none: only replay corpus/pcaps/ through the oracle.
#       deps, build, replay the scenario captures, fuzz every target with
#       each engine (the runs share JOBS cores, default all), triage,
#       reports in out/ci-fuzz/
#       (scripts/ci_fuzz.sh, scripts/ci_fuzz.py, scripts/fuzzlib.py).
#       The job exits 0 no new crash, 1 new crash or oracle mismatch, 2 job
#       error: a bad setting, missing tools, a build failure, or an
#       interrupt without a new crash (make turns every failure into its
#       own status 2; run scripts/ci_fuzz.sh with the same variables to get
#       0/1/2 as is). FUZZ_SECONDS, JOBS, FUZZ_TIMEOUT must be positive
#       integers, MINIMIZE_SECONDS a non-negative one.
#   make regress        replay corpus/regressions/NAME/ through the repro
#                       drivers (ASan+UBSan); part of make test (t_regress.sh)
#   make triage CRASHES="path..." [PROMOTE=1]    scripts/triage.sh
#   make bisect INPUT=file [GOOD=rev] [BAD=rev]  scripts/bisect.sh
#
# PLANTED=1 adds fuzz_planted (tests/planted/fuzz_planted.c: fuzz_decode
# with a deliberate heap over-read behind the 4-byte trigger "PLNT",
# compiled with -DTC_PLANTED_BUG) built into build/fuzz-planted/, never into
# build/fuzz/; TARGETS defaults to it alone then. It exists to prove the
# pipeline finds, deduplicates, minimizes and reports a real crash.

FUZZ_SECONDS     ?= 30
ENGINE           ?= both
TARGETS          ?=
CORPUS_WRITEBACK ?= 0
PLANTED          ?= 0
JOBS             ?=
CI_FUZZ_OUT      ?= out/ci-fuzz
MINIMIZE_SECONDS ?= 20
PROMOTE          ?= 0
REPLAY           ?= 1
CI_FUZZ_PCAPS    ?=
CI_FUZZ_CORPUS   ?=

PLANTED_DIR := build/fuzz-planted
PLANTED_SRC := tests/planted/fuzz_planted.c
PLANTED_DEPS := $(PLANTED_SRC) harness/fuzz_decode.c $(wildcard harness/*.h targets/*.h)
# The support objects and the driver, whether or not fuzz.mk counts the
# driver among its support objects (sort drops a duplicate). Recursive
# variable: REPRO_SUP is fuzz.mk's, defined after this file is read.
PLANTED_REPRO_OBJS = $(sort $(REPRO_SUP) build/fuzz/repro/obj/harness/repro_main.o)

.PHONY: ci-fuzz regress triage bisect ci-fuzz-planted-build ci-fuzz-planted-libfuzzer \
	ci-fuzz-planted-afl ci-fuzz-planted-repro ci-fuzz-FORCE

# The recipe execs the job: make's child is then the job itself (bash, which
# execs ci_fuzz.py once the build is done), not a shell waiting for it. A
# SIGTERM or SIGINT to the process group (a CI time limit, `timeout`,
# Ctrl-C) reaches the job, which stops the engines and writes its reports,
# and make, which waits for its child before it exits; a shell in between
# would die at once and leave the job running, its reports appearing after
# make returned. The job prints the "make ci-fuzz: the job exited N" note
# itself (CI_FUZZ_VIA_MAKE=1).
ci-fuzz:
	@exec env FUZZ_SECONDS='$(FUZZ_SECONDS)' ENGINE='$(ENGINE)' \
	 TARGETS='$(or $(strip $(TARGETS)),$(if $(filter 1,$(PLANTED)),fuzz_planted,$(FUZZ_TARGETS)))' \
	 CORPUS_WRITEBACK='$(CORPUS_WRITEBACK)' PLANTED='$(PLANTED)' JOBS='$(JOBS)' \
	 CI_FUZZ_OUT='$(CI_FUZZ_OUT)' MINIMIZE_SECONDS='$(MINIMIZE_SECONDS)' \
	 FUZZ_MAXLEN='$(foreach t,$(FUZZ_TARGETS),$(t)=$(call fuzz_maxlen,$(t))) fuzz_planted=4096' \
	 FUZZ_TIMEOUT='$(FUZZ_TIMEOUT)' MAKE='$(MAKE)' REPLAY='$(REPLAY)' CI_FUZZ_PCAPS='$(CI_FUZZ_PCAPS)' CI_FUZZ_CORPUS='$(CI_FUZZ_CORPUS)' \
	 CI_FUZZ_VIA_MAKE=1 bash scripts/ci_fuzz.sh

regress:
	@$(MAKE) --no-print-directory fuzz-repro
	@bash scripts/regress.sh

triage:
	@$(MAKE) --no-print-directory fuzz-libfuzzer fuzz-repro
	@bash scripts/triage.sh $(if $(filter 1,$(PROMOTE)),--promote) $(CRASHES)

bisect:
	@bash scripts/bisect.sh $(INPUT) $(GOOD) $(BAD)

# ---- the planted-bug target --------------------------------------------------
# Objects of the library and the support files are mk/fuzz.mk's; only the
# harness object differs. The links are always redone (cheap) because the
# archives they use are fuzz.mk's targets, not prerequisites known here.
ci-fuzz-planted-build: ci-fuzz-planted-libfuzzer ci-fuzz-planted-afl ci-fuzz-planted-repro

ci-fuzz-planted-libfuzzer:
	@$(MAKE) --no-print-directory $(LF_SUP) build/fuzz/libfuzzer/libtc.a
	@$(MAKE) --no-print-directory $(PLANTED_DIR)/libfuzzer/fuzz_planted $(PLANTED_DIR)/fuzz_planted.dict

ci-fuzz-planted-afl:
	@$(MAKE) --no-print-directory $(AFL_OBJDIR)/harness/afl_driver.o $(AFL_SUP) $(AFL_OBJDIR)/libtc.a \
		$(AFL_CMPDIR)/harness/afl_driver.o $(AFL_CMPSUP) $(AFL_CMPDIR)/libtc.a
	@$(MAKE) --no-print-directory $(PLANTED_DIR)/afl/fuzz_planted $(PLANTED_DIR)/afl/fuzz_planted.cmplog \
		$(PLANTED_DIR)/fuzz_planted.dict

# The repro driver alone (t_regress.sh, t_triage.sh need only gcc).
ci-fuzz-planted-repro:
	@$(MAKE) --no-print-directory $(PLANTED_REPRO_OBJS) build/fuzz/repro/libtc.a
	@$(MAKE) --no-print-directory $(PLANTED_DIR)/repro/fuzz_planted

$(PLANTED_DIR)/obj/libfuzzer.o: $(PLANTED_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(STD) $(FUZZ_CPPFLAGS) $(WARN) $(WERROR) $(LF_CFLAGS) -DTC_PLANTED_BUG -c $< -o $@

# The AFL++ build of the planted harness carries ASan (AFL_USE_ASAN) so that
# AFL++ sees the one-byte over-read; the library objects stay fuzz.mk's.
$(PLANTED_DIR)/obj/afl.o: $(PLANTED_DEPS)
	@mkdir -p $(@D)
	AFL_QUIET=1 AFL_USE_ASAN=1 $(AFL_CC) $(STD) $(FUZZ_CPPFLAGS) $(WARN) $(WERROR) $(AFL_CFLAGS) -DTC_PLANTED_BUG -c $< -o $@

$(PLANTED_DIR)/obj/cmplog.o: $(PLANTED_DEPS)
	@mkdir -p $(@D)
	AFL_QUIET=1 AFL_LLVM_CMPLOG=1 $(AFL_CC) $(STD) $(FUZZ_CPPFLAGS) $(WARN) $(WERROR) $(AFL_CFLAGS) -DTC_PLANTED_BUG -c $< -o $@

$(PLANTED_DIR)/obj/repro.o: $(PLANTED_DEPS)
	@mkdir -p $(@D)
	$(CC) $(STD) $(FUZZ_CPPFLAGS) $(WARN) $(WERROR) $(ASAN_CFLAGS) -DTC_PLANTED_BUG -c $< -o $@

$(PLANTED_DIR)/libfuzzer/fuzz_planted: $(PLANTED_DIR)/obj/libfuzzer.o ci-fuzz-FORCE
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -fsanitize=fuzzer $(LF_SAN) -o $@ $< $(LF_SUP) build/fuzz/libfuzzer/libtc.a $(LIBS)

$(PLANTED_DIR)/afl/fuzz_planted: $(PLANTED_DIR)/obj/afl.o ci-fuzz-FORCE
	@mkdir -p $(@D)
	AFL_QUIET=1 AFL_USE_ASAN=1 $(AFL_CC) $(AFL_CFLAGS) -o $@ $< $(AFL_OBJDIR)/harness/afl_driver.o \
		$(AFL_SUP) $(AFL_OBJDIR)/libtc.a $(LIBS)

$(PLANTED_DIR)/afl/fuzz_planted.cmplog: $(PLANTED_DIR)/obj/cmplog.o ci-fuzz-FORCE
	@mkdir -p $(@D)
	AFL_QUIET=1 AFL_LLVM_CMPLOG=1 $(AFL_CC) $(AFL_CFLAGS) -o $@ $< $(AFL_CMPDIR)/harness/afl_driver.o \
		$(AFL_CMPSUP) $(AFL_CMPDIR)/libtc.a $(LIBS)

$(PLANTED_DIR)/repro/fuzz_planted: $(PLANTED_DIR)/obj/repro.o ci-fuzz-FORCE
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) $(LDFLAGS) -o $@ $< $(PLANTED_REPRO_OBJS) build/fuzz/repro/libtc.a $(LIBS)

# The trigger, then fuzz_decode's own tokens.
$(PLANTED_DIR)/fuzz_planted.dict: tests/planted/fuzz_planted.dict $(wildcard corpus/fuzz_decode.dict)
	@mkdir -p $(@D)
	cat $^ > $@

ci-fuzz-FORCE:
