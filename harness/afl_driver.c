/*
 * afl_driver.c - AFL++ persistent-mode driver with shared-memory test cases.
 *
 * Built with afl-clang-fast, which defines the __AFL_* macros: the fork
 * server starts after the one-time initialisation (__AFL_INIT, deferred),
 * each test case arrives in shared memory (__AFL_FUZZ_TESTCASE_BUF, no file
 * or stdin read per execution) and up to AFL_DRIVER_LOOP inputs run in one
 * process (__AFL_LOOP) before AFL forks a fresh one. This is the recipe of
 * AFL++'s README.persistent_mode.md; mk/fuzz.mk records why this driver is
 * used instead of libAFLDriver.a (measured there).
 *
 * Persistent mode reuses the process, so a harness must leave no state
 * behind between inputs; ours keep only counters.
 *
 * The shared-memory buffer is larger than the input, so an over-read past
 * the input's end is invisible here; the AFL build has no sanitizer anyway
 * (speed). Every input AFL keeps is replayed by the ASan repro driver in CI,
 * which copies it into an exact-size buffer.
 *
 * Run outside afl-fuzz (./build/fuzz/afl/NAME < input) the macros fall back
 * to one input read from standard input, which is how afl-tmin, afl-cmin and
 * afl-showmap use it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_assert.h"

/* Inputs per process: AFL++'s documented default. A leak or a slowly
 * growing state would surface as a crash or slow-down within this many
 * runs, and the fork cost is amortised 10000 times. */
#define AFL_DRIVER_LOOP 10000

#ifndef __AFL_FUZZ_TESTCASE_LEN
#error "afl_driver.c must be compiled with afl-clang-fast (see mk/fuzz.mk)"
#endif

/* afl-cc defines the __AFL_* macros on the command line, and they cast
 * string literals to char *: AFL's code, not ours, so -Wcast-qual is
 * silenced for this file only (it is compiled by clang-based afl-cc). */
#pragma clang diagnostic ignored "-Wcast-qual"

__AFL_FUZZ_INIT();

int main(int argc, char **argv)
{
	unsigned char *buf;

	fuzz_input_name = "<afl input>";
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
#ifdef __AFL_HAVE_MANUAL_CONTROL
	__AFL_INIT();
#endif
	buf = __AFL_FUZZ_TESTCASE_BUF;  /* after __AFL_INIT, before __AFL_LOOP */
	while (__AFL_LOOP(AFL_DRIVER_LOOP)) {
		/* The macro reads shared memory; keep it out of the call. */
		size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;

		LLVMFuzzerTestOneInput(buf, len);
	}
	return 0;
}
