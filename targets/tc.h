/*
 * tc.h - the one result convention shared by every layer of tuplecheck.
 *
 * Every function that can fail returns an enum tc_rc; bool is kept for is_*
 * predicates (STYLE.md). Parsers distinguish TC_TRUNCATED (not enough captured
 * bytes: the capture is short, the packet was fine) from TC_MALFORMED (fields
 * contradict each other or the packet), because the oracle reports them
 * differently (pkt.truncated versus ip.bad-header and friends).
 */
#ifndef TC_H
#define TC_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum tc_rc {
	TC_OK = 0,
	TC_END,          /* iteration finished normally (no more records)      */
	TC_TRUNCATED,    /* fewer bytes captured than the header claims         */
	TC_MALFORMED,    /* fields contradict each other or the packet          */
	TC_UNSUPPORTED,  /* well formed, but not something we decode (e.g. ARP) */
	TC_NOMEM,        /* allocation failed; state left consistent            */
	TC_EXHAUSTED,    /* a bounded resource (port range, table) is used up  */
	TC_IO            /* the operating system refused (open, read, mmap)     */
};

/* Static name of a result code, for messages ("truncated", "malformed", ...). */
const char *tc_rc_name(enum tc_rc rc);

/* Marks an intended fall-through between switch labels. gcc accepts a
 * comment for -Wimplicit-fallthrough, clang only the attribute. */
#if defined(__GNUC__) || defined(__clang__)
#define FALLTHROUGH __attribute__((fallthrough))
#else
#define FALLTHROUGH ((void)0)
#endif

#define TC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* TC_H */
