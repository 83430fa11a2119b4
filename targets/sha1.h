/*
 * sha1.h - SHA-1 (FIPS 180-4, section 6.1), for the Community ID flow hash.
 *
 * Community ID v1 is defined as base64(SHA-1(...)), so SHA-1 is needed for
 * compatibility, not for security: nothing here relies on its collision
 * resistance. Streaming interface (init, update any number of times, final)
 * over caller-owned state; no allocation.
 */
#ifndef TC_SHA1_H
#define TC_SHA1_H

#include "tc.h"

#define SHA1_DIGEST_LEN 20
#define SHA1_BLOCK_LEN  64

struct sha1_ctx {
	uint32_t h[5];                  /* intermediate hash value H(i)        */
	uint64_t nbytes;                /* message length so far, in bytes     */
	uint8_t block[SHA1_BLOCK_LEN];  /* pending partial block               */
	size_t fill;                    /* bytes pending in block, < 64        */
};

/* sha1_init - start a new message in *c (caller-owned). */
void sha1_init(struct sha1_ctx *c);

/* sha1_update - append len bytes at data (NULL allowed when len is 0). */
void sha1_update(struct sha1_ctx *c, const void *data, size_t len);

/* sha1_final - pad, finish and write the 20-byte digest to out. *c is then
 * spent; call sha1_init again to reuse it. */
void sha1_final(struct sha1_ctx *c, uint8_t out[SHA1_DIGEST_LEN]);

/* sha1 - one-shot digest of len bytes at data into out. */
void sha1(const void *data, size_t len, uint8_t out[SHA1_DIGEST_LEN]);

/* sha1_short - the same digest as sha1(), faster for the Community ID
 * messages: 16 bytes (IPv4) and 40 bytes (IPv6) are hashed as their one
 * padded block with no streaming state and the padding words folded in as
 * constants. Any other length is handed to sha1(). */
void sha1_short(const void *data, size_t len, uint8_t out[SHA1_DIGEST_LEN]);

/* sha1_short_h - sha1_short's digest as its five 32-bit words H0..H4
 * (digest bytes 4i..4i+3 are h[i], most significant byte first), for
 * callers that encode the digest straight from the words. */
void sha1_short_h(const void *data, size_t len, uint32_t h[5]);

/* Longest message that pads to a single block: 64 - 1 - 8 bytes. */
#define SHA1_SHORT_MAX 55

/* sha1_short_x4 - the digests of four messages at once (msg[i], len[i]
 * bytes), as words into out[i] like sha1_short_h: the same as four sha1()
 * calls. Messages of at most SHA1_SHORT_MAX bytes (one block: the
 * Community ID messages) are hashed side by side in SIMD lanes where the
 * compiler has them, so four cost about what two one-at-a-time do; a
 * longer one is handed to sha1(). */
void sha1_short_x4(const uint8_t *const msg[4], const size_t len[4], uint32_t out[4][5]);

/* sha1_shani_usable - true when this build has the one-block SHA-1 on the
 * x86 SHA extensions (x86-64 and a compiler that can both target them in
 * one function and ask the CPU for them: GCC 11 or later) and the CPU
 * running it has them (SHA and SSE4.1). Cheap: reads the feature words the
 * runtime filled in at start, so callers may ask on every call. */
bool sha1_shani_usable(void);

/* sha1_short_h_shani - sha1_short_h's words for the same message, computed
 * with the SHA instructions when len <= SHA1_SHORT_MAX (one block; longer
 * messages go to the portable code). Call it only when sha1_shani_usable()
 * is true; in a build without the SHA-NI code it is sha1_short_h. */
void sha1_short_h_shani(const void *data, size_t len, uint32_t h[5]);

/* sha1_short_h2_shani - sha1_short_h_shani for two messages (msg[i],
 * len[i] bytes, words into h[i]), hashed side by side so that each fills
 * the other's instruction latency: about the cost of one. Same
 * precondition (sha1_shani_usable()). */
void sha1_short_h2_shani(const uint8_t *const msg[2], const size_t len[2], uint32_t h[2][5]);

#endif /* TC_SHA1_H */
