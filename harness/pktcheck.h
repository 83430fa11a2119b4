/*
 * pktcheck.h - invariants of one decoded packet, shared by fuzz_decode,
 * fuzz_pcap and fuzz_engine, plus the counters every packet harness keeps.
 *
 * decode.h promises more than "does not crash": a status consistent with
 * the per-layer flags and error list, lengths that fit inside each other,
 * views that point into the caller's frame, addresses that format as text
 * inet_pton reads back. pktcheck_decoded() checks each promise with
 * FUZZ_CHECK, and re-reads the fixed-offset header fields (addresses, ports,
 * sequence numbers, flags) from the frame through a cursor of its own: a
 * second, deliberately simple reader in lockstep with the decoder.
 */
#ifndef PKTCHECK_H
#define PKTCHECK_H

#include <stdio.h>

#include "decode.h"

/* What a harness saw, for fuzz_stats_print and the smoke test. */
struct pkt_counts {
	uint64_t packets;        /* frames given to decode_packet */
	uint64_t status[TC_IO + 1]; /* by enum tc_rc: ok, truncated, malformed, unsupported */
	uint64_t ip4, ip6;       /* have_ip */
	uint64_t tcp, udp;       /* have_l4 with a TCP / UDP header */
	uint64_t fragments;      /* is_fragment */
	uint64_t bad_checksum;   /* packets given at least one *_BAD_CHECKSUM */
};

/*
 * pktcheck_decoded - check every invariant of a decode_packet() result.
 * linktype/data/caplen/origlen: exactly what was passed to decode_packet;
 * p: its output. Aborts through FUZZ_CHECK on a violation; returns otherwise.
 * Reads only inside [data, data + caplen).
 */
void pktcheck_decoded(uint32_t linktype, const uint8_t *data, size_t caplen,
		      size_t origlen, const struct pkt *p);

/*
 * pktcheck_checksums - run decode_verify_checksums(p) and check that it only
 * appended *_BAD_CHECKSUM reasons, at most one per layer, for layers that
 * were decoded, leaving every other field as it was. p is updated as
 * decode_verify_checksums leaves it. Returns true when it added a reason.
 */
bool pktcheck_checksums(struct pkt *p);

/*
 * pktcheck_addr - addr_format(ipver, addr) must give text that inet_pton
 * reads back to the same bytes, in RFC 5952 form for IPv6 (lower case, no
 * leading zeros, at most one "::").
 */
void pktcheck_addr(uint8_t ipver, const uint8_t addr[16]);

/* Add p to c. */
void pkt_counts_add(struct pkt_counts *c, const struct pkt *p);

/* Print c as " packets=N ok=N truncated=N ... udp=N" (leading space, no
 * newline), the middle of a stats line (fuzz.h). */
void pkt_counts_print(FILE *out, const struct pkt_counts *c);

#endif /* PKTCHECK_H */
