/*
 * sha1.c - SHA-1 as FIPS 180-4 specifies it.
 *
 * Section 5.1.1 padding (a 1 bit, zeros, the 64-bit big-endian bit length),
 * section 6.1.2 computation: an 80-word message schedule (kept as a 16-word
 * ring, which yields the same W[t]), the three round functions Ch, Parity and
 * Maj of section 4.1.1 and the four constants of section 4.2.1. Words are
 * assembled byte by byte (big-endian), so no alignment or host byte order
 * assumption. Test vectors (FIPS 180 examples "abc", the 448-bit message,
 * one million 'a') are in tests/unit/test_sha1.c. On x86-64 CPUs with the
 * SHA extensions, the one-block messages (the Community ID ones) can go
 * through those instructions instead (sha1_short_h_shani, chosen at run
 * time by the caller with sha1_shani_usable()); the portable code stays for
 * every other CPU and compiler, and the tests pin one to the other.
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

/* ---- the x86 SHA extensions ------------------------------------------------ */

/*
 * One block with SHA1RNDS4 (four steps of section 6.1.2 step 3, the round
 * function and constant picked by its immediate: 0 Ch/K0, 1 Parity/K1,
 * 2 Maj/K2, 3 Parity/K3), SHA1NEXTE (the e of the next four steps, ROTL30 of
 * the a four steps back, added to the first of their four words) and
 * SHA1MSG1/SHA1MSG2 (the next four words of W from the previous sixteen:
 * W[i] = MSG2(MSG1(W[i-4], W[i-3]) ^ W[i-2], W[i-1]) for words grouped by
 * four). A vector holds words high lane first: a, b, c, d as lanes 3..0,
 * e in lane 3, and W[4i] .. W[4i+3] as lanes 3..0, which is a 16-byte
 * big-endian load with its bytes reversed. Only built where the compiler
 * can both target the instructions in one function (the rest of the file
 * stays baseline x86-64) and ask the CPU for them at run time:
 * __builtin_cpu_supports("sha") is GCC's (11 and later); clang 14 does not
 * know that name, so its builds keep the portable code.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11
#define SHA1_SHANI 1
#endif

#ifdef SHA1_SHANI
#include <immintrin.h>

#define SHANI_TARGET __attribute__((target("sha,sse4.1")))

/* The 16 bytes at p as four big-endian words, the first in lane 3. */
static inline __attribute__((always_inline)) SHANI_TARGET __m128i shani_load(const uint8_t *p)
{
	const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

	return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), rev);
}

/* The 8 bytes at p as two big-endian words in lanes 3 and 2, lanes 1 and
 * 0 zero. */
static inline __attribute__((always_inline)) SHANI_TARGET __m128i shani_load8(const uint8_t *p)
{
	const __m128i rev = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

	return _mm_shuffle_epi8(_mm_loadl_epi64((const __m128i *)(const void *)p), rev);
}

/* Steps 4i..4i+3 with round function/constant f of one block whose
 * state is x: W[4i..4i+3] into x.w[i & 3] first (for i >= 4), then e from
 * the a four steps back (x.prev), then the four steps. */
#define SHANI_FOUR(x, i, f)                                                     \
	do {                                                                    \
		if ((i) >= 4)                                                   \
			(x).w[(i) & 3] = _mm_sha1msg2_epu32(                    \
				_mm_xor_si128(_mm_sha1msg1_epu32((x).w[(i) & 3],  \
								 (x).w[((i) + 1) & 3]), \
					      (x).w[((i) + 2) & 3]),            \
				(x).w[((i) + 3) & 3]);                          \
		(x).e = _mm_sha1nexte_epu32((x).prev, (x).w[(i) & 3]);          \
		(x).prev = (x).abcd;                                            \
		(x).abcd = _mm_sha1rnds4_epu32((x).abcd, (x).e, f);             \
	} while (0)

/* The working state of one block: a, b, c, d; e; the a, b, c, d of four
 * steps back; the last sixteen words of W. */
struct shani_state {
	__m128i abcd, e, prev, w[4];
};

/* Steps 0-79 of n (1 or 2, a constant where inlined) independent blocks
 * from H(0), side by side so that one block's instructions fill the
 * other's latency; then section 6.1.2 step 4 into h[j] (words as
 * sha1_short_h gives them). */
static inline __attribute__((always_inline)) SHANI_TARGET void
shani_blocks_h0(struct shani_state *x, unsigned n, uint32_t (*h)[5])
{
	const __m128i abcd0 = _mm_set_epi32((int)0x67452301u, (int)0xefcdab89u,
					    (int)0x98badcfeu, (int)0x10325476u);
	const __m128i e0 = _mm_set_epi32((int)0xc3d2e1f0u, 0, 0, 0);
	unsigned j;

#define SHANI_ALL(i, f)                                                         \
	do {                                                                    \
		for (j = 0; j < n; j++)                                         \
			SHANI_FOUR(x[j], i, f);                                 \
	} while (0)
	/* steps 0-3: e is H(0)'s own, plus W[0] */
	for (j = 0; j < n; j++) {
		x[j].e = _mm_add_epi32(e0, x[j].w[0]);
		x[j].prev = abcd0;
		x[j].abcd = _mm_sha1rnds4_epu32(abcd0, x[j].e, 0);
	}
	SHANI_ALL(1, 0);
	SHANI_ALL(2, 0);
	SHANI_ALL(3, 0);
	SHANI_ALL(4, 0);
	SHANI_ALL(5, 1);
	SHANI_ALL(6, 1);
	SHANI_ALL(7, 1);
	SHANI_ALL(8, 1);
	SHANI_ALL(9, 1);
	SHANI_ALL(10, 2);
	SHANI_ALL(11, 2);
	SHANI_ALL(12, 2);
	SHANI_ALL(13, 2);
	SHANI_ALL(14, 2);
	SHANI_ALL(15, 3);
	SHANI_ALL(16, 3);
	SHANI_ALL(17, 3);
	SHANI_ALL(18, 3);
	SHANI_ALL(19, 3);
#undef SHANI_ALL
	/* step 4: H(1) = H(0) + the working variables; e's ROTL30 comes from
	 * SHA1NEXTE as for a next round */
	for (j = 0; j < n; j++) {
		__m128i e = _mm_sha1nexte_epu32(x[j].prev, e0);

		_mm_storeu_si128((__m128i *)(void *)h[j],
				 _mm_shuffle_epi32(_mm_add_epi32(x[j].abcd, abcd0), 0x1b));
		h[j][4] = (uint32_t)_mm_extract_epi32(e, 3);
	}
}
#undef SHANI_FOUR

/* The words of the one padded block (section 5.1.1) of a message of
 * len <= SHA1_SHORT_MAX bytes into x->w, the Community ID lengths with
 * their padding as constants. */
static inline __attribute__((always_inline)) SHANI_TARGET void
shani_pad(struct shani_state *x, const uint8_t *msg, size_t len)
{
	if (len == 16) {
		/* IPv4 Community ID: the message, the 1 bit, 128 bits long */
		x->w[0] = shani_load(msg);
		x->w[1] = _mm_set_epi32((int)0x80000000u, 0, 0, 0);
		x->w[2] = _mm_setzero_si128();
		x->w[3] = _mm_set_epi32(0, 0, 0, 16 * 8);
	} else if (len == 40) {
		/* IPv6: words 8 and 9 from bytes 32-39, the 1 bit in word 10 */
		x->w[0] = shani_load(msg);
		x->w[1] = shani_load(msg + 16);
		x->w[2] = _mm_or_si128(shani_load8(msg + 32),
				       _mm_set_epi32(0, 0, (int)0x80000000u, 0));
		x->w[3] = _mm_set_epi32(0, 0, 0, 40 * 8);
	} else {
		uint8_t block[SHA1_BLOCK_LEN];

		memset(block, 0, sizeof(block));
		if (len > 0)                    /* msg may be NULL when len is 0 */
			memcpy(block, msg, len);
		block[len] = 0x80;
		block[62] = (uint8_t)(len * 8 >> 8);    /* len * 8 < 2^16 */
		block[63] = (uint8_t)(len * 8);
		x->w[0] = shani_load(block);
		x->w[1] = shani_load(block + 16);
		x->w[2] = shani_load(block + 32);
		x->w[3] = shani_load(block + 48);
	}
}

static SHANI_TARGET void sha1_short_h_ni(const uint8_t *msg, size_t len, uint32_t h[5])
{
	struct shani_state x[1];

	shani_pad(&x[0], msg, len);
	shani_blocks_h0(x, 1, (uint32_t (*)[5])h);
}

static SHANI_TARGET void sha1_short_h2_ni(const uint8_t *const msg[2], const size_t len[2],
					  uint32_t h[2][5])
{
	struct shani_state x[2];

	shani_pad(&x[0], msg[0], len[0]);
	shani_pad(&x[1], msg[1], len[1]);
	shani_blocks_h0(x, 2, h);
}
#endif /* SHA1_SHANI */

bool sha1_shani_usable(void)
{
#ifdef SHA1_SHANI
	return __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1");
#else
	return false;
#endif
}

void sha1_short_h_shani(const void *data, size_t len, uint32_t h[5])
{
#ifdef SHA1_SHANI
	if (len <= SHA1_SHORT_MAX) {
		sha1_short_h_ni(data, len, h);
		return;
	}
#endif
	sha1_short_h(data, len, h);
}

void sha1_short_h2_shani(const uint8_t *const msg[2], const size_t len[2], uint32_t h[2][5])
{
#ifdef SHA1_SHANI
	if (len[0] <= SHA1_SHORT_MAX && len[1] <= SHA1_SHORT_MAX) {
		sha1_short_h2_ni(msg, len, h);
		return;
	}
#endif
	sha1_short_h_shani(msg[0], len[0], h[0]);
	sha1_short_h_shani(msg[1], len[1], h[1]);
}

void sha1(const void *data, size_t len, uint8_t out[SHA1_DIGEST_LEN])
{
	struct sha1_ctx c;

	sha1_init(&c);
	sha1_update(&c, data, len);
	sha1_final(&c, out);
}
