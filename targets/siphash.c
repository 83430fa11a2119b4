/*
 * siphash.c - SipHash-2-4 (Aumasson and Bernstein, 2012).
 *
 * A straight reading of the paper's algorithm: no unaligned loads (message
 * words are assembled byte by byte, so the code is endian-neutral and safe
 * on any buffer), no tables, constant work per 8 bytes. Test vectors: the
 * paper's appendix (key 00..0f, messages 00..n-1 for n = 0..63), in
 * tests/unit/test_siphash.c.
 */
#include "siphash.h"

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	       (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	       (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

/* One SipRound: the ARX network of the paper's Figure 2.1. */
static inline void sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl64(s->v2, 32);
}

/* Compression of one message word: c = 2 rounds. */
static inline void sip_compress(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

static inline void sip_init(struct sip_state *s, const struct siphash_key *key)
{
	/* "somepseudorandomlygeneratedbytes" as four big-endian words */
	s->v0 = key->k0 ^ UINT64_C(0x736f6d6570736575);
	s->v1 = key->k1 ^ UINT64_C(0x646f72616e646f6d);
	s->v2 = key->k0 ^ UINT64_C(0x6c7967656e657261);
	s->v3 = key->k1 ^ UINT64_C(0x7465646279746573);
}

/* The final word (the last 0..7 bytes, length mod 256 in the top byte) and
 * the finalisation: d = 4 rounds. */
static inline uint64_t sip_finish(struct sip_state *s, uint64_t tail, size_t len)
{
	sip_compress(s, tail | (uint64_t)(len & 0xff) << 56);
	s->v2 ^= 0xff;
	sip_round(s);
	sip_round(s);
	sip_round(s);
	sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t full = len - (len % 8);
	size_t i;
	uint64_t last = 0;
	struct sip_state s;

	sip_init(&s, key);
	for (i = 0; i < full; i += 8)
		sip_compress(&s, load_le64(p + i));

	/* the remaining 0..7 bytes (a switch rather than a loop: short keys
	 * are the common case) */
	p += full;
	switch (len % 8) {
	case 7: last |= (uint64_t)p[6] << 48; FALLTHROUGH;
	case 6: last |= (uint64_t)p[5] << 40; FALLTHROUGH;
	case 5: last |= (uint64_t)p[4] << 32; FALLTHROUGH;
	case 4: last |= (uint64_t)p[3] << 24; FALLTHROUGH;
	case 3: last |= (uint64_t)p[2] << 16; FALLTHROUGH;
	case 2: last |= (uint64_t)p[1] << 8;  FALLTHROUGH;
	case 1: last |= (uint64_t)p[0];       break;
	default: break;
	}
	return sip_finish(&s, last, len);
}

uint64_t siphash24_words(const struct siphash_key *key, const uint64_t *words,
			 uint64_t tail, size_t len)
{
	struct sip_state s;
	size_t i;

	sip_init(&s, key);
	for (i = 0; i < len / 8; i++)
		sip_compress(&s, words[i]);
	return sip_finish(&s, tail, len);
}

struct siphash_key siphash_key_from_bytes(const uint8_t bytes[16])
{
	struct siphash_key k;

	k.k0 = load_le64(bytes);
	k.k1 = load_le64(bytes + 8);
	return k;
}
