/*
 * sha1.c - SHA-1 as FIPS 180-4 specifies it.
 *
 * Section 5.1.1 padding (a 1 bit, zeros, the 64-bit big-endian bit length),
 * section 6.1.2 computation: an 80-word message schedule (kept as a 16-word
 * ring, which yields the same W[t]), the three round functions Ch, Parity and
 * Maj of section 4.1.1 and the four constants of section 4.2.1. Words are
 * assembled byte by byte (big-endian), so no alignment or host byte order
 * assumption. Test vectors (FIPS 180 examples "abc", the 448-bit message,
 * one million 'a') are in tests/unit/test_sha1.c.
 */
#include <string.h>
#include "sha1.h"

static inline uint32_t rotl32(uint32_t x, unsigned b)
{
	return (x << b) | (x >> (32 - b));
}

/* W[t] (section 6.1.2 step 1) in a 16-word ring: the message word for
 * t < 16, else ROTL1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16]). */
static inline uint32_t wt(uint32_t w[16], unsigned t)
{
	if (t >= 16)
		w[t & 15] = rotl32(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^
				   w[t & 15], 1);
	return w[t & 15];
}

/* Section 6.1.2 step 3 for step t, written in place: instead of shifting
 * the five working variables down each step (T = ROTL5(a) + f + e + K + W,
 * e = d, d = c, c = ROTL30(b), b = a, a = T), the caller rotates their
 * names, so the new a lands in e's variable and only b is rotated.
 * SHA1_ROTL and SHA1_WT are those of the word type at hand (one message, or
 * four side by side). */
#define SHA1_STEP(f, k, a, b, c, d, e, t)                                       \
	do {                                                                    \
		e += SHA1_ROTL(a, 5) + f(b, c, d) + (k) + SHA1_WT(w, t);         \
		b = SHA1_ROTL(b, 30);                                           \
	} while (0)

/* Five steps, after which the names are back in place. */
#define SHA1_FIVE(f, k, t)                                                      \
	do {                                                                    \
		SHA1_STEP(f, k, a, b, c, d, e, (t));                            \
		SHA1_STEP(f, k, e, a, b, c, d, (t) + 1);                        \
		SHA1_STEP(f, k, d, e, a, b, c, (t) + 2);                        \
		SHA1_STEP(f, k, c, d, e, a, b, (t) + 3);                        \
		SHA1_STEP(f, k, b, c, d, e, a, (t) + 4);                        \
	} while (0)

/* The round functions of section 4.1.1 and constants of section 4.2.1. Ch
 * and Maj are written in equivalent forms with fewer operations (same truth
 * table: Ch picks y where x is 1, z where 0; Maj is the majority bit). */
#define SHA1_CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define SHA1_PARITY(x, y, z) ((x) ^ (y) ^ (z))
#define SHA1_MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))

/* Section 6.1.2 steps 2-4 for one block given as its 16 message words w
 * (overwritten: they become the ring of W). Always inlined, so that a caller
 * whose words are partly constants (the padding of a short message, see
 * sha1_short) gets those folded into the steps. */
#define SHA1_ROTL rotl32
#define SHA1_WT wt
#define SHA1_EIGHTY_STEPS()                                                     \
	do {                                                                    \
		SHA1_FIVE(SHA1_CH, 0x5a827999u, 0);                             \
		SHA1_FIVE(SHA1_CH, 0x5a827999u, 5);                             \
		SHA1_FIVE(SHA1_CH, 0x5a827999u, 10);                            \
		SHA1_FIVE(SHA1_CH, 0x5a827999u, 15);                            \
		SHA1_FIVE(SHA1_PARITY, 0x6ed9eba1u, 20);                        \
		SHA1_FIVE(SHA1_PARITY, 0x6ed9eba1u, 25);                        \
		SHA1_FIVE(SHA1_PARITY, 0x6ed9eba1u, 30);                        \
		SHA1_FIVE(SHA1_PARITY, 0x6ed9eba1u, 35);                        \
		SHA1_FIVE(SHA1_MAJ, 0x8f1bbcdcu, 40);                           \
		SHA1_FIVE(SHA1_MAJ, 0x8f1bbcdcu, 45);                           \
		SHA1_FIVE(SHA1_MAJ, 0x8f1bbcdcu, 50);                           \
		SHA1_FIVE(SHA1_MAJ, 0x8f1bbcdcu, 55);                           \
		SHA1_FIVE(SHA1_PARITY, 0xca62c1d6u, 60);                        \
		SHA1_FIVE(SHA1_PARITY, 0xca62c1d6u, 65);                        \
		SHA1_FIVE(SHA1_PARITY, 0xca62c1d6u, 70);                        \
		SHA1_FIVE(SHA1_PARITY, 0xca62c1d6u, 75);                        \
	} while (0)

static inline __attribute__((always_inline)) void sha1_compress(uint32_t h[5], uint32_t w[16])
{
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	/* written out, so every t is a constant and W stays in registers */
	SHA1_EIGHTY_STEPS();
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}
#undef SHA1_ROTL
#undef SHA1_WT

/* Big-endian 32-bit word at p. */
static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[16];
	unsigned t;

	for (t = 0; t < 16; t++)
		w[t] = be32(p + 4 * t);
	sha1_compress(h, w);
}

/* H(0), section 5.3.1 */
#define SHA1_H0 { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u }

/* The digest of h into out, big-endian words (section 6.1.2, last step). */
static inline void sha1_digest(const uint32_t h[5], uint8_t out[SHA1_DIGEST_LEN])
{
	unsigned i;

	for (i = 0; i < 5; i++, out += 4) {
		uint32_t x = h[i];

		out[0] = (uint8_t)(x >> 24);
		out[1] = (uint8_t)(x >> 16);
		out[2] = (uint8_t)(x >> 8);
		out[3] = (uint8_t)x;
	}
}

void sha1_init(struct sha1_ctx *c)
{
	static const uint32_t h0[5] = SHA1_H0;

	memcpy(c->h, h0, sizeof(c->h));
	c->nbytes = 0;
	c->fill = 0;
}

void sha1_update(struct sha1_ctx *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	c->nbytes += len;
	while (len > 0) {
		size_t take = SHA1_BLOCK_LEN - c->fill;

		if (take > len)
			take = len;
		if (c->fill == 0 && take == SHA1_BLOCK_LEN) {
			sha1_block(c->h, p);            /* whole block: no copy */
		} else {
			memcpy(c->block + c->fill, p, take);
			c->fill += take;
			if (c->fill == SHA1_BLOCK_LEN) {
				sha1_block(c->h, c->block);
				c->fill = 0;
			}
		}
		p += take;
		len -= take;
	}
}

void sha1_final(struct sha1_ctx *c, uint8_t out[SHA1_DIGEST_LEN])
{
	uint64_t bits = c->nbytes * 8;    /* the standard counts modulo 2^64 bits */
	unsigned i;

	c->block[c->fill++] = 0x80;
	if (c->fill > SHA1_BLOCK_LEN - 8) {
		memset(c->block + c->fill, 0, SHA1_BLOCK_LEN - c->fill);
		sha1_block(c->h, c->block);
		c->fill = 0;
	}
	memset(c->block + c->fill, 0, SHA1_BLOCK_LEN - 8 - c->fill);
	for (i = 0; i < 8; i++)
		c->block[SHA1_BLOCK_LEN - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha1_block(c->h, c->block);
	sha1_digest(c->h, out);
}

/* The single padded block of a message of len <= SHA1_SHORT_MAX bytes
 * (section 5.1.1: the message, a 1 bit, zeros, the 64-bit bit length),
 * compressed from H(0) into h. Always inlined, so that for a constant len
 * the padding words are constants folded into the steps. */
static inline __attribute__((always_inline)) void sha1_one_block(const uint8_t *msg, size_t len,
								  uint32_t h[5])
{
	static const uint32_t h0[5] = SHA1_H0;
	uint8_t block[SHA1_BLOCK_LEN];
	uint32_t w[16];
	unsigned t;

	memset(block, 0, sizeof(block));
	memcpy(block, msg, len);
	block[len] = 0x80;
	for (t = 0; t < 14; t++)
		w[t] = be32(block + 4 * t);
	w[14] = 0;                      /* len * 8 < 2^32: the high word is 0 */
	w[15] = (uint32_t)len * 8;
	memcpy(h, h0, sizeof(h0));
	sha1_compress(h, w);
}

/* The digest of any message as words. */
static void sha1_h(const void *data, size_t len, uint32_t h[5])
{
	struct sha1_ctx c;
	uint8_t d[SHA1_DIGEST_LEN];
	unsigned i;

	sha1_init(&c);
	sha1_update(&c, data, len);
	sha1_final(&c, d);
	for (i = 0; i < 5; i++)
		h[i] = be32(d + 4 * i);
}

void sha1_short_h(const void *data, size_t len, uint32_t h[5])
{
	/* The Community ID messages: 16 bytes (IPv4), 40 (IPv6). */
	if (len == 16)
		sha1_one_block(data, 16, h);
	else if (len == 40)
		sha1_one_block(data, 40, h);
	else
		sha1_h(data, len, h);
}

void sha1_short(const void *data, size_t len, uint8_t out[SHA1_DIGEST_LEN])
{
	uint32_t h[5];

	sha1_short_h(data, len, h);
	sha1_digest(h, out);
}

/* ---- four messages side by side -------------------------------------------- */

/* Four 32-bit words, one per message, in the vector extension of GCC and
 * Clang: SIMD lanes where the target has them (SSE2 on x86-64), plain
 * word operations elsewhere. Lane i holds message i's value throughout. */
typedef uint32_t sha1_x4 __attribute__((vector_size(16)));

static inline sha1_x4 rotl_x4(sha1_x4 x, unsigned b)
{
	return (x << b) | (x >> (32 - b));
}

static inline sha1_x4 wt_x4(sha1_x4 w[16], unsigned t)
{
	if (t >= 16)
		w[t & 15] = rotl_x4(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^
				    w[t & 15], 1);
	return w[t & 15];
}

#define SHA1_ROTL rotl_x4
#define SHA1_WT wt_x4
/* sha1_compress for four blocks at once, one per lane. */
static void sha1_compress_x4(sha1_x4 h[5], sha1_x4 w[16])
{
	sha1_x4 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	SHA1_EIGHTY_STEPS();
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}
#undef SHA1_ROTL
#undef SHA1_WT

/* Lane i of words: the one padded block (section 5.1.1) of a message of
 * len <= SHA1_SHORT_MAX bytes. Always inlined, so that for a constant len
 * the copies are fixed-size and the padding words constants. */
static inline __attribute__((always_inline)) void pad_words(const uint8_t *msg, size_t len,
							     uint32_t words[16][4], unsigned i)
{
	uint8_t block[SHA1_BLOCK_LEN];
	unsigned t;

	memset(block, 0, sizeof(block));
	memcpy(block, msg, len);
	block[len] = 0x80;
	for (t = 0; t < 14; t++)
		words[t][i] = be32(block + 4 * t);
	words[14][i] = 0;               /* len * 8 < 2^32: the high word is 0 */
	words[15][i] = (uint32_t)len * 8;
}

void sha1_short_x4(const uint8_t *const msg[4], const size_t len[4], uint32_t out[4][5])
{
	static const uint32_t h0[5] = SHA1_H0;
	uint32_t words[16][4];          /* words[t][i]: word t of message i */
	sha1_x4 w[16], h[5];
	unsigned i, t;

	for (i = 0; i < 4; i++) {
		/* the Community ID lengths with their padding folded in */
		if (len[i] == 16)
			pad_words(msg[i], 16, words, i);
		else if (len[i] == 40)
			pad_words(msg[i], 40, words, i);
		else
			pad_words(msg[i], len[i] <= SHA1_SHORT_MAX ? len[i] : 0, words, i);
	}
	for (t = 0; t < 16; t++)
		memcpy(&w[t], words[t], sizeof(w[t]));
	for (i = 0; i < 5; i++)
		h[i] = (sha1_x4){ h0[i], h0[i], h0[i], h0[i] };
	sha1_compress_x4(h, w);
	for (i = 0; i < 4; i++) {
		if (len[i] > SHA1_SHORT_MAX) {  /* more than one block */
			sha1_h(msg[i], len[i], out[i]);
			continue;
		}
		for (t = 0; t < 5; t++)
			out[i][t] = h[t][i];
	}
}

void sha1(const void *data, size_t len, uint8_t out[SHA1_DIGEST_LEN])
{
	struct sha1_ctx c;

	sha1_init(&c);
	sha1_update(&c, data, len);
	sha1_final(&c, out);
}
