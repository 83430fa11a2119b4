/*
 * common.c - support shared by every fuzz target: the input name used in
 * failure messages and the FUZZ_CHECK failure path (fuzz_assert.h).
 *
 * Linked into all three builds of every target (libFuzzer, AFL++, repro).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_assert.h"

/* The libFuzzer build never changes it: libFuzzer names the crashing input
 * itself (crash-<sha1>), so this is what its messages say. */
const char *fuzz_input_name = "<libfuzzer input>";

void fuzz_check_failed(const char *file, int line, const char *cond,
		       const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "\n%s:%d: FUZZ_CHECK failed: %s\n", file, line, cond);
	fprintf(stderr, "  input: %s\n  why:   ", fuzz_input_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}
