/*
 * fuzz_empty.c - the baseline of the fuzz exec/s rows of `make bench`: a
 * libFuzzer target that tests nothing.
 *
 * Built exactly as the real targets are (clang, -fsanitize=fuzzer with
 * AddressSanitizer and UndefinedBehaviorSanitizer, same -O level, see
 * mk/bench.mk) and run on each real target's corpus with that target's
 * -max_len and dictionary, so the ratio target/empty isolates the cost of
 * the harness and the code under test from libFuzzer's own per-execution
 * cost (mutation, input copy, coverage bookkeeping).
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns 0 for every input, as every fuzzer entry does (STYLE.md). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
	return 0;
}
