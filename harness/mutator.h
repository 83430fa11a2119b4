/*
 * mutator.h - structure-aware mutation shared by the custom mutators of
 * fuzz_pcap (mutator_pcap.c) and fuzz_engine (mutator_engine.c).
 *
 * A byte-level mutator spends most of its executions on inputs the first
 * parser throws away: one flipped bit in a pcap record length desynchronises
 * every record after it, one changed IP byte makes the checksum wrong and
 * the rules stop at ip.bad-checksum. These mutators parse the input into
 * records, change one thing at the level a person would (a field of one
 * packet, a record inserted, deleted, duplicated or swapped, a timestamp
 * moved), then write it back with every length field and, most of the
 * time, every checksum recomputed (RFC 791, RFC 768, RFC 9293 and RFC 8200
 * for the pseudo-header), so that the mutation reaches the connection
 * engine. A share of the calls still goes to plain byte mutation
 * (LLVMFuzzerMutate under libFuzzer, a small havoc of our own elsewhere)
 * so malformed inputs keep being made too.
 *
 * The same code is the libFuzzer custom mutator (LLVMFuzzerCustomMutator
 * in the harness) and an AFL++ custom mutator library
 * (harness/mutator_afl.c, build/fuzz/afl/mutator_NAME.so).
 * Under libFuzzer, TC_FUZZ_NO_CUSTOM_MUTATOR=1 in the environment sends
 * every call to LLVMFuzzerMutate instead (what libFuzzer does without a
 * custom mutator), which is how docs/mutator-coverage.md compares the two
 * with the same binary.
 */
#ifndef MUTATOR_H
#define MUTATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mut_rng {
	uint64_t s;
};

/* The libFuzzer custom mutator hook, defined by fuzz_pcap.c and
 * fuzz_engine.c; libFuzzer calls it instead of its own mutations. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

/* libFuzzer's byte mutator; absent (NULL) outside libFuzzer. */
__attribute__((weak)) size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

void mut_seed(struct mut_rng *r, uint64_t seed);
uint64_t mut_rand(struct mut_rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t mut_below(struct mut_rng *r, uint32_t n);

/* mut_disabled - true when TC_FUZZ_NO_CUSTOM_MUTATOR=1 (read once). */
bool mut_disabled(void);

/*
 * mut_bytes - mutate data[0..size) in place as raw bytes, growing up to
 * max. LLVMFuzzerMutate when linked, else a small havoc (bit flips, random
 * and interesting bytes, 16/32-bit arithmetic, block insert/delete/copy).
 * Returns the new size (<= max).
 */
size_t mut_bytes(uint8_t *data, size_t size, size_t max, struct mut_rng *r);

/*
 * mut_l3_offset - where the IP header starts in a frame of this link type
 * (LINKTYPE_* as in decode.h: Ethernet with up to two VLAN tags, raw,
 * IPv4/IPv6, BSD loopback either byte order, Linux SLL and SLL2, PPP, Cisco
 * HDLC and PPPoE; MPLS and PPPoE inside Ethernet and SLL),
 * or -1 when the frame is not IP or too short.
 */
long mut_l3_offset(uint32_t linktype, const uint8_t *f, size_t caplen);

/*
 * mut_fix_ip - make an IP packet's length fields consistent with its record
 * and, when csum, its checksums right. ip: the IP header, cap bytes
 * captured, wire bytes on the wire (>= cap normally). Fixes: IPv4 IHL
 * below 5, total length, header checksum; IPv6 payload length; UDP length
 * and checksum; TCP data offset (at least 5, within the segment) and
 * checksum. Checksums only when the header (IPv4) or the whole segment
 * (TCP/UDP) is captured; nothing past the first IPv6 header or in a
 * fragment's transport header is touched.
 */
void mut_fix_ip(uint8_t *ip, size_t cap, size_t wire, bool csum);

/* Big-endian accessors for the mutators. */
static inline uint16_t mut_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t mut_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void mut_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void mut_put32(uint8_t *p, uint32_t v)
{
	mut_put16(p, (uint16_t)(v >> 16));
	mut_put16(p + 2, (uint16_t)v);
}

/*
 * The two structure-aware mutators: data holds size bytes in a buffer of
 * max bytes; returns the new size (1..max; never 0 when max > 0).
 */
size_t mut_pcap(uint8_t *data, size_t size, size_t max, struct mut_rng *r);
size_t mut_engine(uint8_t *data, size_t size, size_t max, struct mut_rng *r);

/*
 * mut_libfuzzer - the body of a target's LLVMFuzzerCustomMutator: mutator fn
 * seeded with libFuzzer's seed, or libFuzzer's own mutation when
 * TC_FUZZ_NO_CUSTOM_MUTATOR=1 (mut_disabled).
 */
size_t mut_libfuzzer(size_t (*fn)(uint8_t *, size_t, size_t, struct mut_rng *),
		     uint8_t *data, size_t size, size_t max, unsigned int seed);

#endif /* MUTATOR_H */
