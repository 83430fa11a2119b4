/*
 * failalloc.h - deterministic allocation-failure injection for the fuzz
 * targets, and an allocation balance to catch leaks on every build.
 *
 * A target linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,
 * --wrap=free (mk/fuzz.mk FUZZ_WRAP_fuzz_NAME) has every malloc, calloc,
 * realloc and free of the statically linked code (targets/, oracle/,
 * harness/) routed through failalloc.c; shared libraries (libc, libpcap,
 * the sanitizer runtimes' own calls) are not affected. While armed, each
 * allocation fails (returns NULL, errno ENOMEM) with probability 1/period,
 * drawn from a PRNG the harness seeds from its input, so a failing input
 * replays identically. Disarmed, the wrappers only count.
 *
 * Why a link-time wrapper rather than an allocator pointer in the
 * configuration of the code under test: the flow table, the engine and the
 * oracle call malloc directly in a dozen places, and the wrapper reaches all
 * of them without changing their interfaces. The capture reader allocates
 * nothing (it reads from the caller's buffer), so fuzz_pcap injects its
 * failures there by truncating the buffer instead.
 *
 * fa_live() counts blocks handed out and not yet freed by the wrapped code.
 * A harness that takes fa_live() before an input and after it has freed
 * everything has a leak check that does not depend on LeakSanitizer
 * (absent from the AFL++ build).
 */
#ifndef FAILALLOC_H
#define FAILALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* fa_arm - start failing: seed the PRNG, fail 1 allocation in period
 * (period >= 1; 1 fails every one). */
void fa_arm(uint64_t seed, uint32_t period);

/* fa_disarm - stop failing (counting goes on). */
void fa_disarm(void);

/* fa_injected - failures injected since the program started. */
uint64_t fa_injected(void);

/* fa_live - blocks allocated through the wrappers and not freed. */
int64_t fa_live(void);

/* fa_linked - true when the wrappers are really in the call path (the
 * binary was linked with --wrap): a harness checks this once so that a
 * build mistake cannot silently turn injection off. */
bool fa_linked(void);

#endif /* FAILALLOC_H */
