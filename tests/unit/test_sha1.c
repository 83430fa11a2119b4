/*
 * test_sha1.c - SHA-1 against the FIPS 180 examples ("abc", the 448-bit and
 * 896-bit messages, one million 'a'), the empty message, and messages of the
 * lengths around the padding boundaries (55, 56, 63, 64, 65, 119, 200 bytes;
 * digests computed with Python's hashlib, an independent implementation),
 * fed whole and split at every position. The one-block SHA-1 on the x86
 * SHA instructions (sha1_short_h_shani, and two at once in
 * sha1_short_h2_shani) against the portable code, bit for bit, on the FIPS
 * vectors and random messages of every length 0..55, where the CPU has
 * them (a note says so where it does not).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sha1.h"

static void hex(const uint8_t d[SHA1_DIGEST_LEN], char out[41])
{
	for (int i = 0; i < SHA1_DIGEST_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check(const void *msg, size_t n, const char *want)
{
	uint8_t d[SHA1_DIGEST_LEN];
	char h[41];

	sha1(msg, n, d);
	hex(d, h);
	assert_string_equal(h, want);
}

static void test_fips_examples(void **state)
{
	(void)state;
	check("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	      "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	      "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112,
	      "a49b2446a02c645bf419f995b67091253a04a259");
	check("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	check(NULL, 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

static void test_million_a(void **state)
{
	struct sha1_ctx c;
	uint8_t block[1000], d[SHA1_DIGEST_LEN];
	char h[41];

	(void)state;
	memset(block, 'a', sizeof(block));
	sha1_init(&c);
	for (int i = 0; i < 1000; i++)
		sha1_update(&c, block, sizeof(block));
	sha1_final(&c, d);
	hex(d, h);
	assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static const struct { size_t n; const char *digest; } boundary[] = {
	{ 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ 55, "ddf57317ef34bfee3b6df83d359098930eb278bc" },
	{ 56, "a0d492bb0fc889d0eca3bc137066ab6f4f74f369" },
	{ 63, "c55856749bef509bdfe6bfebfc7bf4e793e82132" },
	{ 64, "bede92be29c3874e1b54ddc77988d606fc857a8e" },
	{ 65, "b05a80522b053d6dc7e0a517d0e70212c7dad11f" },
	{ 119, "504e27376a6e0f0dba8295b85cb25dc4dfa17d23" },
	{ 200, "892b673ca3c696ab13ab8aab3cf3abfbc3aaeb3b" },
};

/* message byte i = i*7+3 (mod 256), as the hashlib digests were made */
static void test_padding_boundaries_and_splits(void **state)
{
	uint8_t msg[200];

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (size_t k = 0; k < sizeof(boundary) / sizeof(boundary[0]); k++) {
		size_t n = boundary[k].n;

		check(msg, n, boundary[k].digest);
		for (size_t cut = 0; cut <= n; cut++) {
			struct sha1_ctx c;
			uint8_t d[SHA1_DIGEST_LEN];
			char h[41];

			sha1_init(&c);
			sha1_update(&c, msg, cut);
			sha1_update(&c, msg + cut, n - cut);
			sha1_final(&c, d);
			hex(d, h);
			assert_string_equal(h, boundary[k].digest);
		}
	}
}

/* Byte-at-a-time feeding from exact-size heap copies (ASan sees over-reads). */
static void test_bytewise_exact_buffers(void **state)
{
	struct sha1_ctx c;
	uint8_t d[SHA1_DIGEST_LEN];
	char h[41];

	(void)state;
	sha1_init(&c);
	for (size_t i = 0; i < 200; i++) {
		uint8_t *b = malloc(1);

		assert_non_null(b);
		*b = (uint8_t)(i * 7 + 3);
		sha1_update(&c, b, 1);
		free(b);
	}
	sha1_final(&c, d);
	hex(d, h);
	assert_string_equal(h, "892b673ca3c696ab13ab8aab3cf3abfbc3aaeb3b");
}

/* The digest as words (bytes 4i..4i+3 big-endian = h[i]). */
static void words(const uint8_t d[SHA1_DIGEST_LEN], uint32_t h[5])
{
	for (int i = 0; i < 5; i++)
		h[i] = (uint32_t)d[4 * i] << 24 | (uint32_t)d[4 * i + 1] << 16 |
		       (uint32_t)d[4 * i + 2] << 8 | d[4 * i + 3];
}

static uint64_t rng = UINT64_C(0x243f6a8885a308d3);

static uint8_t rnd8(void)
{
	rng = rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return (uint8_t)(rng >> 56);
}

/* msg (n bytes) through both SHA-NI entry points equals sha1(). */
static void check_shani(const uint8_t *msg, size_t n, const uint8_t *other, size_t n2)
{
	uint8_t d[SHA1_DIGEST_LEN], d2[SHA1_DIGEST_LEN];
	uint32_t want[5], want2[5], got[5], got2[2][5];
	const uint8_t *m[2] = { msg, other };
	size_t len[2] = { n, n2 };

	sha1(msg, n, d);
	words(d, want);
	sha1(other, n2, d2);
	words(d2, want2);
	memset(got, 0xa5, sizeof(got));
	sha1_short_h_shani(msg, n, got);
	assert_memory_equal(got, want, sizeof(want));
	sha1_short_h(msg, n, got);              /* and the portable one-block */
	assert_memory_equal(got, want, sizeof(want));
	memset(got2, 0x5a, sizeof(got2));
	sha1_short_h2_shani(m, len, got2);
	assert_memory_equal(got2[0], want, sizeof(want));
	assert_memory_equal(got2[1], want2, sizeof(want2));
}

static void test_shani_vs_portable(void **state)
{
	static const char abc448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t a[SHA1_SHORT_MAX + 1], b[SHA1_SHORT_MAX + 1];
	uint8_t d[SHA1_DIGEST_LEN];
	uint32_t h[5], want[5];

	(void)state;
	if (!sha1_shani_usable()) {
		printf("[  SKIPPED ] SHA-NI path: this build or CPU has no x86 SHA extensions\n");
		skip();
	}
	/* FIPS 180 "abc" and the empty message through the SHA instructions */
	sha1_short_h_shani("abc", 3, h);
	sha1((const uint8_t *)"abc", 3, d);
	words(d, want);
	assert_memory_equal(h, want, sizeof(want));
	assert_int_equal(h[0], 0xa9993e36u);
	assert_int_equal(h[4], 0x9cd0d89du);
	sha1_short_h_shani(NULL, 0, h);
	assert_int_equal(h[0], 0xda39a3eeu);
	assert_int_equal(h[4], 0xafd80709u);
	/* the 448-bit example is 56 bytes, two blocks: the fallback */
	sha1_short_h_shani(abc448, 56, h);
	assert_int_equal(h[0], 0x84983e44u);
	assert_int_equal(h[4], 0xe54670f1u);
	for (int round = 0; round < 40; round++) {
		for (size_t n = 0; n <= SHA1_SHORT_MAX; n++) {
			size_t n2 = (n * 7 + (size_t)round) % (SHA1_SHORT_MAX + 1);

			for (size_t i = 0; i < sizeof(a); i++) {
				a[i] = rnd8();
				b[i] = rnd8();
			}
			check_shani(a, n, b, n2);
			check_shani(a, n, b, n);
		}
	}
	/* longer than one block: both go to the portable code */
	check_shani((const uint8_t *)abc448, 56, a, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_examples),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_padding_boundaries_and_splits),
		cmocka_unit_test(test_bytewise_exact_buffers),
		cmocka_unit_test(test_shani_vs_portable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
