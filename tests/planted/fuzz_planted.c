/*
 * fuzz_planted.c - fuzz_decode with two planted bugs, the test subject of
 * the CI fuzz pipeline (tests/t_ci_fuzz_e2e.sh, t_regress.sh, t_triage.sh,
 * t_bisect.sh).
 *
 * A pipeline test needs a crash that a short fuzzing run finds every time,
 * in real project code, with a stack the crash-state rules can name. This
 * file reuses the real fuzz_decode target unchanged (it is included below
 * with its entry point renamed) and puts one deliberate bug in front of it:
 * when the input starts with the 4-byte trigger "PLNT", planted_peek reads
 * one byte past an exact-size copy of the input. ASan reports that as a
 * heap-buffer-overflow READ 1 in planted_peek <- planted_check <-
 * LLVMFuzzerTestOneInput. The trigger is in tests/planted/fuzz_planted.dict,
 * so libFuzzer (-dict) and AFL++ (-x, and CMPLOG on the memcmp) reach it in
 * seconds; the smallest crashing input is the 4 trigger bytes.
 *
 * The second bug is one only UndefinedBehaviorSanitizer sees: behind the
 * trigger "PLUB", planted_scale multiplies past INT_MAX (an
 * Integer-overflow in planted_scale <- planted_check <-
 * LLVMFuzzerTestOneInput). The libFuzzer build and the gcc repro driver
 * carry UBSan and abort; the AFL++ build carries ASan only, so for AFL++
 * the input is a harmless new path that lands in its queue, not in
 * crashes/, which is how a memory error hides from an uninstrumented
 * AFL++ build of a real target. It tests that the job replays AFL++'s
 * queue through the repro driver, that it never writes such an input back
 * into the corpus, and that UBSan reports of the repro driver are parsed.
 *
 * It is built only by mk/ci-fuzz.mk's planted rules (PLANTED=1), into
 * build/fuzz-planted/, and only with -DTC_PLANTED_BUG: without that macro
 * the check compiles to nothing. It lives outside harness/ so that
 * mk/fuzz.mk's harness/fuzz_*.c never builds it as a normal target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The real target, entry points renamed so this file can wrap them. */
#define LLVMFuzzerTestOneInput fuzz_decode_test_one_input
#define fuzz_stats_print fuzz_decode_stats_print
#include "fuzz_decode.c"
#undef LLVMFuzzerTestOneInput
#undef fuzz_stats_print

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void fuzz_stats_print(FILE *out);

static uint64_t planted_hits;

#ifdef TC_PLANTED_BUG
static const uint8_t planted_trigger[4] = { 'P', 'L', 'N', 'T' };
static const uint8_t planted_ub_trigger[4] = { 'P', 'L', 'U', 'B' };

/* The bug: a length check that forgot the element it then reads. buf holds
 * exactly len bytes (heap), so buf[len] is one past the end. noinline keeps
 * the frame in every build, so the crash state is stable across gcc/clang. */
__attribute__((noinline)) static uint8_t planted_peek(const uint8_t *buf, size_t len)
{
	return buf[len];
}

/* The UBSan-only bug: units is at least 0x8003 here, so the product
 * overflows int (signed overflow is undefined; without UBSan it wraps). */
__attribute__((noinline)) static int planted_scale(int units)
{
	return units * 65536;
}

/* Copy the input into an exact-size heap buffer (the AFL++ driver's buffer
 * is larger than the input, which would hide the over-read) and peek. */
__attribute__((noinline)) static void planted_check(const uint8_t *data, size_t size)
{
	volatile uint8_t sink;
	volatile int scaled;
	uint8_t *copy;

	if (size >= sizeof(planted_ub_trigger) &&
	    memcmp(data, planted_ub_trigger, sizeof(planted_ub_trigger)) == 0) {
		planted_hits++;
		scaled = planted_scale(0x7fff + (int)(size & 0xff));
		(void)scaled;
		return;
	}
	if (size < sizeof(planted_trigger) ||
	    memcmp(data, planted_trigger, sizeof(planted_trigger)) != 0)
		return;
	copy = malloc(size);
	if (copy == NULL)
		return;
	memcpy(copy, data, size);
	planted_hits++;
	sink = planted_peek(copy, size);
	(void)sink;
	free(copy);
}
#else
static void planted_check(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	planted_check(data, size);
	return fuzz_decode_test_one_input(data, size);
}

void fuzz_stats_print(FILE *out)
{
	fuzz_decode_stats_print(out);
	fprintf(out, "stats: target=fuzz_planted planted_hits=%llu\n",
		(unsigned long long)planted_hits);
}
