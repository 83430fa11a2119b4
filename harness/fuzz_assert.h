/*
 * fuzz_assert.h - harness checks that stay on whatever NDEBUG says.
 *
 * FUZZ_CHECK(cond, fmt, ...) is the harness's assert: when cond is false it
 * prints file, line, the condition as written, the name of the input being
 * run and a printf-style explanation, then calls abort(). abort() is what
 * every engine recognises as a crash (libFuzzer and AFL++ catch SIGABRT; the
 * repro driver dies with it and CI sees a non-zero status), so a broken
 * invariant is triaged exactly like a sanitizer report (SQLite fatalError,
 * zstd FUZZ_ASSERT). It is not assert(): release-style builds with -DNDEBUG
 * must not switch the oracle off.
 *
 * fuzz_input_name names the current input in those messages. The repro
 * driver sets it to the file path before each run; under libFuzzer it stays
 * "<libfuzzer input>" (libFuzzer itself writes the crashing input to a
 * crash-<sha1> file), under the AFL++ driver it is "<afl input>".
 */
#ifndef FUZZ_ASSERT_H
#define FUZZ_ASSERT_H

extern const char *fuzz_input_name;

/*
 * fuzz_check_failed - report a failed FUZZ_CHECK and abort. Never returns.
 * file/line/cond come from the macro; fmt and its arguments explain the
 * failure with the values involved. Output goes to stderr.
 */
void fuzz_check_failed(const char *file, int line, const char *cond,
		       const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

#define FUZZ_CHECK(cond, ...)                                                 \
	do {                                                                  \
		if (!(cond))                                                  \
			fuzz_check_failed(__FILE__, __LINE__, #cond,          \
					  __VA_ARGS__);                       \
	} while (0)

#endif /* FUZZ_ASSERT_H */
