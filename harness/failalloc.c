/*
 * failalloc.c - the malloc family wrappers of failalloc.h.
 *
 * The linker's --wrap=SYM turns every undefined reference to SYM in the
 * objects it links into __wrap_SYM and makes __real_SYM the real one (here
 * the sanitizer runtime's allocator, or libc's in the plain AFL++ build).
 * Single-threaded, like the targets.
 */
#include <errno.h>
#include <stdlib.h>

#include "failalloc.h"

/* Weak: a binary linked without --wrap (every target but fuzz_engine, which
 * may still carry this object when a makefile links all support objects)
 * never calls the wrappers, and must link all the same. */
__attribute__((weak)) void *__real_malloc(size_t n);
__attribute__((weak)) void *__real_calloc(size_t n, size_t size);
__attribute__((weak)) void *__real_realloc(void *p, size_t n);
__attribute__((weak)) void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static bool armed;
/* volatile: the compiler knows malloc and free touch no other variable */
static volatile bool wrapped;
static uint64_t rng, injected;
static uint32_t period = 1;
static int64_t live;

void fa_arm(uint64_t seed, uint32_t per)
{
	rng = seed ^ UINT64_C(0x9e3779b97f4a7c15);
	period = per ? per : 1;
	armed = true;
}

void fa_disarm(void)
{
	armed = false;
}

uint64_t fa_injected(void)
{
	return injected;
}

int64_t fa_live(void)
{
	return live;
}

bool fa_linked(void)
{
	void *volatile p;

	wrapped = false;
	p = malloc(1);          /* sets wrapped when it went through us */
	free(p);
	return wrapped;
}

/* splitmix64 step: decides whether this allocation fails. */
static bool fail_now(void)
{
	uint64_t z;

	wrapped = true;
	if (!armed)
		return false;
	z = (rng += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	if (z % period != 0)
		return false;
	injected++;
	errno = ENOMEM;
	return true;
}

void *__wrap_malloc(size_t n)
{
	void *p;

	if (fail_now())
		return NULL;
	p = __real_malloc(n);
	if (p != NULL)
		live++;
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *p;

	if (fail_now())
		return NULL;
	p = __real_calloc(n, size);
	if (p != NULL)
		live++;
	return p;
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q;

	if (p != NULL && n == 0) {
		/* implementation-defined; the code under test never does it */
		__real_free(p);
		live--;
		return NULL;
	}
	if (fail_now())
		return NULL;    /* the old block stays valid, as realloc promises */
	q = __real_realloc(p, n);
	if (q != NULL && p == NULL)
		live++;
	return q;
}

void __wrap_free(void *p)
{
	if (p != NULL)
		live--;
	__real_free(p);
}
