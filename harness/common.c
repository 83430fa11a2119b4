/*
 * common.c - support shared by every fuzz target: the input name used in
 * failure messages, the FUZZ_CHECK failure path (fuzz_assert.h) and the
 * exact-size frame buffer (fuzz.h fuzz_frame).
 *
 * Linked into all three builds of every target (libFuzzer, AFL++, repro).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_assert.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FRAME_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FRAME_ASAN 1
#endif
#ifdef FRAME_ASAN
#include <sanitizer/asan_interface.h>
#define FRAME_POISON(p, n) __asan_poison_memory_region((p), (n))
#define FRAME_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define FRAME_POISON(p, n) ((void)(p), (void)(n))
#define FRAME_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* fuzz_frame's buffer: FRAME_GAP poisoned bytes, the frame, the rest
 * poisoned; ASan's shadow granule is 8 bytes, so a frame starting at an
 * 8-aligned offset is fenced exactly at both ends. */
#define FRAME_GAP 64
#define FRAME_MAX 262144
static _Alignas(64) uint8_t frame_buf[FRAME_GAP + FRAME_MAX + FRAME_GAP];
static size_t frame_len;
static uint8_t *frame_heap;
static int frame_ready;

const uint8_t *fuzz_frame(const uint8_t *data, size_t len)
{
	uint8_t *p = frame_buf + FRAME_GAP;

	fuzz_frame_release();
	if (!frame_ready) {
		FRAME_POISON(frame_buf, sizeof(frame_buf));
		frame_ready = 1;
	}
	if (len > FRAME_MAX) {          /* larger than any snaplen we accept */
		frame_heap = malloc(len);
		FUZZ_CHECK(frame_heap != NULL, "out of memory for a %zu-byte frame", len);
		memcpy(frame_heap, data, len);
		return frame_heap;
	}
	FRAME_UNPOISON(p, len);
	if (len > 0)
		memcpy(p, data, len);
	frame_len = len;
	return p;
}

void fuzz_frame_release(void)
{
	FRAME_POISON(frame_buf + FRAME_GAP, frame_len);
	frame_len = 0;
	free(frame_heap);
	frame_heap = NULL;
}

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
