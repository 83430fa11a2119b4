/*
 * fuzz.h - the entry points every fuzz target shares with its three drivers.
 *
 * Each harness/fuzz_NAME.c defines LLVMFuzzerTestOneInput (the libFuzzer
 * interface, which AFL++ and the repro driver call too) and fuzz_stats_print.
 * The drivers are libFuzzer's own main, harness/afl_driver.c (AFL++
 * persistent mode) and harness/repro_main.c (gcc, ASan+UBSan, files and
 * folders; how CI replays corpora and past crashes).
 *
 * Counters: a harness that silently drops its input tests nothing, so every
 * harness counts what it really exercised (inputs, packets decoded, TCP and
 * UDP headers, flows created, ...) and fuzz_stats_print writes them as one
 * line. The repro driver prints that line after its run and
 * tests/t_fuzz_smoke.sh fails when the counters that matter are zero.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * LLVMFuzzerTestOneInput - run one input. data/size: the input, owned by the
 * driver, valid only during the call; exactly size bytes are readable (the
 * libFuzzer and repro drivers allocate exactly that much; see afl_driver.c
 * for AFL). Always returns 0. A broken invariant aborts (fuzz_assert.h).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * LLVMFuzzerInitialize - optional one-time setup before the first input.
 * Declared weak so drivers can test whether a harness defines it.
 */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * fuzz_stats_print - write the harness's counters to out as one line:
 *   "stats: target=NAME inputs=N key=N key=N ...\n"
 * (space-separated key=value, unsigned decimal values, keys [a-z_]). Weak so
 * that a driver links with a harness that has no counters yet; the smoke
 * test treats a missing line as a failure.
 */
__attribute__((weak)) void fuzz_stats_print(FILE *out);

/*
 * fuzz_frame - a copy of data[0 .. len) that can be read at exactly those
 * bytes: under ASan every byte before and after it is poisoned, so any
 * over- or under-read is a report, as with a malloc of exactly len bytes
 * but without an allocation per packet (the allocator's bookkeeping under
 * ASan was a sixth of fuzz_decode's time). The copy stays valid until the
 * next fuzz_frame or fuzz_frame_release call; one frame at a time.
 * Without ASan it is a plain copy.
 */
const uint8_t *fuzz_frame(const uint8_t *data, size_t len);
void fuzz_frame_release(void);

#endif /* FUZZ_H */
