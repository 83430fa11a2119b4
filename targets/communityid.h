/*
 * communityid.h - Community ID v1, the flow hash Zeek, Suricata and
 * Wireshark emit, so our flow records can be joined with their logs.
 *
 * Definition (corelight/community-id-spec, version 1):
 *   "1:" + base64( SHA-1( seed:16 be . saddr . daddr . proto:8 . 0:8 .
 *                         sport:16 be . dport:16 be ) )
 * with addresses at their natural width (4 bytes for IPv4, 16 for IPv6), in
 * network byte order, and the two endpoints ordered first: the endpoint with
 * the smaller address comes first; with equal addresses, the smaller port.
 * Both directions of a flow therefore get the same ID. Ports are the
 * transport ports for TCP, UDP and SCTP (ICMP's type/code mapping is not
 * needed here: the engine tracks TCP and UDP only).
 */
#ifndef TC_COMMUNITYID_H
#define TC_COMMUNITYID_H

#include "tc.h"

/* "1:" + 28 base64 characters (20 digest bytes) + NUL */
#define COMMUNITYID_LEN 31

/*
 * communityid_v1 - the Community ID of one 5-tuple, in either direction.
 * ipver: 4 (addresses in the first 4 bytes of each array) or 6; seed: the
 * Community ID seed (0 is what the other tools use by default); out: caller's
 * buffer of COMMUNITYID_LEN bytes, always NUL-terminated.
 * Returns TC_OK; TC_UNSUPPORTED for any other ipver (out is then "").
 */
enum tc_rc communityid_v1(uint16_t seed, uint8_t ipver,
			  const uint8_t saddr[16], uint16_t sport,
			  const uint8_t daddr[16], uint16_t dport,
			  uint8_t proto, char out[COMMUNITYID_LEN]);

/* One 5-tuple for communityid_v1_many: the arguments of communityid_v1. */
struct communityid_tuple {
	uint8_t ipver;                  /* 4 or 6 */
	uint8_t proto;                  /* IP protocol number */
	uint16_t sport, dport;
	const uint8_t *saddr, *daddr;   /* 16 bytes each, IPv4 in the first 4 */
};

/*
 * communityid_v1_many - the Community IDs of n tuples (t[0..n-1]) into
 * out[0..n-1], each exactly what communityid_v1(seed, ...) writes for it
 * ("" for an IP version other than 4 or 6). Four at a time share one
 * SIMD SHA-1 pass (sha1_short_x4), which costs about what two single
 * hashes do: for callers that hold several records before printing them.
 * On a CPU with the x86 SHA extensions (sha1_shani_usable()) each is hashed
 * with those instead, which is cheaper still; communityid_v1 does the same.
 */
void communityid_v1_many(uint16_t seed, const struct communityid_tuple *t, size_t n,
			 char (*out)[COMMUNITYID_LEN]);

/*
 * communityid_v1_many_sha - communityid_v1_many with the SHA-1 code chosen
 * by the caller: shani true (allowed only when sha1_shani_usable() is true)
 * hashes with the x86 SHA instructions, false with the portable code
 * (sha1_short_x4 four at a time). Both write the same out; for tests that
 * pin one to the other.
 */
void communityid_v1_many_sha(uint16_t seed, const struct communityid_tuple *t, size_t n,
			     char (*out)[COMMUNITYID_LEN], bool shani);

#endif /* TC_COMMUNITYID_H */
