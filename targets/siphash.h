/*
 * siphash.h - SipHash-2-4, the keyed 64-bit hash of the flow table.
 *
 * Written from the description in J.-P. Aumasson and D. J. Bernstein,
 * "SipHash: a fast short-input PRF" (2012): four 64-bit words of state
 * initialised from the 128-bit key and the constants "somepseudorandomlygeneratedbytes",
 * two SipRounds per 8-byte little-endian message word, the final word
 * carrying the message length in its top byte, 0xff folded into v2 and four
 * finalisation rounds.
 *
 * Why keyed: the flow table hashes 5-tuples an attacker chooses (every packet
 * of a capture is untrusted). An unkeyed hash lets a crafted capture put every
 * tuple into one bucket; with a secret per-run key it cannot (the Linux
 * inet_hashtables and Redis dict choice). The key is a parameter: random in
 * production, fixed by --seed for replay and tests.
 */
#ifndef TC_SIPHASH_H
#define TC_SIPHASH_H

#include "tc.h"

struct siphash_key {
	uint64_t k0;   /* key bytes 0..7, read little-endian  */
	uint64_t k1;   /* key bytes 8..15, read little-endian */
};

/*
 * siphash24 - SipHash-2-4 of len bytes at data under key.
 * data may be NULL when len is 0. Returns the 64-bit tag; the paper's byte
 * output is this value written little-endian. Pure: no state kept.
 */
uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

/*
 * siphash24_words - siphash24 of a len-byte message given as words, for
 * callers that assemble a fixed-layout key from fields and would otherwise
 * write it into a byte buffer first: words[0 .. len/8 - 1] are its full
 * 8-byte words and tail its last len % 8 bytes, each read little-endian
 * (tail < 2^(8 * (len % 8))). Returns exactly siphash24 of that message.
 */
uint64_t siphash24_words(const struct siphash_key *key, const uint64_t *words,
			 uint64_t tail, size_t len);

/*
 * siphash_key_from_bytes - the key as the paper writes it (16 bytes,
 * k0 = bytes 0..7 little-endian, k1 = bytes 8..15). Returns the key.
 */
struct siphash_key siphash_key_from_bytes(const uint8_t bytes[16]);

#endif /* TC_SIPHASH_H */
