# test_engine fails one allocation on purpose (the flush's sort array) to
# test engine_flush's fallback, list order: it routes malloc of the
# statically linked code through its own __wrap_malloc. Both builds of the
# unit test (ASan here, coverage in mk/coverage.mk) link it that way.
build/asan/tests/test_engine: LIBS += -Wl,--wrap=malloc
build/cov/tests/test_engine: LIBS += -Wl,--wrap=malloc
