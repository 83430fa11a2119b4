/*
 * test_communityid.c - Community ID v1 against values tshark 4.0.17 printed
 * (`tshark --enable-protocol communityid -T fields -e communityid`, seed 0
 * and `-o communityid.seed:1`) for a scapy capture of these tuples, which a
 * separate Python implementation of the specification also reproduced.
 * Includes the specification's own example (UDP 192.168.1.42:4242 ->
 * 8.8.8.8:53), both directions of every tuple (the ID must not depend on
 * direction), equal addresses (ports decide the order; IPv4 and IPv6), IPv6,
 * and ports 0 and 65535. The SHA-NI path (communityid_v1_many_sha with
 * shani) against the portable one on these and random tuples (IPv4/IPv6,
 * TCP/UDP, seeds), where the CPU has the x86 SHA extensions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <stdio.h>

#include "communityid.h"
#include "sha1.h"

struct vec {
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t proto;
	const char *seed0, *seed1;
};

static const struct vec vecs[] = {
	{ "192.168.1.42", "8.8.8.8", 4242, 53, 17,
	  "1:vTdrngJjlP5eZ9mw9JtnKyn99KM=", "1:xb9qFh7zzGgwRZ7SzararEnse3o=" },
	{ "10.0.0.1", "10.0.0.2", 34567, 80, 6,
	  "1:4Lpkl6goO8ZgL/S6/UxFgd+e5Is=", "1:yaVo8qEyFahNTdi/RX8UoPKNyFY=" },
	{ "10.0.0.5", "10.0.0.5", 80, 1025, 6,
	  "1:2/y/wro05f7BsEQemrmhmMHjnGI=", "1:2orBJGW+eUfiFXvU/BiSvObDekA=" },
	{ "2001:db8::1", "2001:db8::2", 50000, 443, 6,
	  "1:YXqXufkGr4i6TbJJYF83fvyDLZ8=", "1:4UqPRZtiBP5EFrcD0tNLLR3xkRM=" },
	{ "2001:db8::7", "2001:db8::7", 50000, 443, 6,     /* equal IPv6 addresses */
	  "1:A2dKFKkC0X6p4MH39PsWpUlik4I=", "1:7hehMkuBEsm/8mFF1kY2y5MAXuo=" },
	{ "fe80::1", "2001:db8::ff", 5353, 5353, 17,
	  "1:CyNsJ5Ou4CQZVVFl8qB1PlLNnZM=", "1:nrHLS3vOUpEiTmg/CdRNjUtQtNo=" },
	{ "127.0.0.1", "127.0.0.1", 0, 0, 6,
	  "1:ts6hTI7nISmiHdy4x8v1X420eGE=", "1:RZEuo1XtPOq1xV8NYNQSsFW31kc=" },
	{ "255.255.255.255", "0.0.0.0", 65535, 65535, 17,
	  "1:HIF3LK5oisWNJdS9CC7UNG3cSSA=", "1:7x8kIXTYPgbJOnV1tzFrq7Q/c+g=" },
};

static uint8_t addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (strchr(s, ':')) {
		assert_int_equal(inet_pton(AF_INET6, s, out), 1);
		return 6;
	}
	assert_int_equal(inet_pton(AF_INET, s, out), 1);
	return 4;
}

static void test_vectors_both_directions(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		uint8_t a[16], b[16];
		char out[COMMUNITYID_LEN];
		uint8_t ver = addr(v->src, a);

		assert_int_equal(addr(v->dst, b), ver);
		assert_int_equal(communityid_v1(0, ver, a, v->sport, b, v->dport, v->proto, out), TC_OK);
		assert_string_equal(out, v->seed0);
		assert_int_equal(communityid_v1(0, ver, b, v->dport, a, v->sport, v->proto, out), TC_OK);
		assert_string_equal(out, v->seed0);
		assert_int_equal(communityid_v1(1, ver, a, v->sport, b, v->dport, v->proto, out), TC_OK);
		assert_string_equal(out, v->seed1);
		assert_int_equal(communityid_v1(1, ver, b, v->dport, a, v->sport, v->proto, out), TC_OK);
		assert_string_equal(out, v->seed1);
		assert_int_equal(strlen(out), COMMUNITYID_LEN - 1);
	}
}

/* The protocol number is hashed: TCP and UDP on one tuple differ. */
static void test_protocol_matters(void **state)
{
	uint8_t a[16], b[16];
	char t[COMMUNITYID_LEN], u[COMMUNITYID_LEN];

	(void)state;
	addr("10.0.0.1", a);
	addr("10.0.0.2", b);
	communityid_v1(0, 4, a, 1000, b, 53, 6, t);
	communityid_v1(0, 4, a, 1000, b, 53, 17, u);
	assert_string_not_equal(t, u);
}

static void test_bad_version(void **state)
{
	uint8_t a[16] = { 0 };
	char out[COMMUNITYID_LEN] = "junk";

	(void)state;
	assert_int_equal(communityid_v1(0, 5, a, 1, a, 2, 6, out), TC_UNSUPPORTED);
	assert_string_equal(out, "");
}

static uint64_t rng = UINT64_C(0x13198a2e03707344);

static uint32_t rnd32(void)
{
	rng = rng * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return (uint32_t)(rng >> 32);
}

static void test_shani_vs_portable(void **state)
{
	enum { N = 37 };
	uint8_t addrs[2 * N][16];
	struct communityid_tuple t[N];
	char want[N][COMMUNITYID_LEN], got[N][COMMUNITYID_LEN];

	(void)state;
	if (!sha1_shani_usable()) {
		printf("[  SKIPPED ] SHA-NI path: this build or CPU has no x86 SHA extensions\n");
		skip();
	}
	/* the tshark values through the SHA instructions */
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		uint8_t a[16], b[16];
		uint8_t ver = addr(vecs[i].src, a);
		struct communityid_tuple x[2] = {
			{ ver, vecs[i].proto, vecs[i].sport, vecs[i].dport, a, b },
			{ ver, vecs[i].proto, vecs[i].dport, vecs[i].sport, b, a },
		};

		addr(vecs[i].dst, b);
		communityid_v1_many_sha(1, x, 2, got, true);
		assert_string_equal(got[0], vecs[i].seed1);
		assert_string_equal(got[1], vecs[i].seed1);
		communityid_v1_many_sha(0, x, 1, got, true);
		assert_string_equal(got[0], vecs[i].seed0);
	}
	for (int round = 0; round < 300; round++) {
		uint16_t seed = round % 3 == 0 ? 0 : (uint16_t)rnd32();
		size_t n = (size_t)round % N + 1;

		for (size_t i = 0; i < 2 * N; i++)
			for (size_t k = 0; k < 16; k += 4) {
				uint32_t r = rnd32();

				memcpy(addrs[i] + k, &r, 4);
			}
		for (size_t i = 0; i < n; i++) {
			uint32_t r = rnd32();

			/* mostly 4/6; now and then a version to refuse */
			t[i].ipver = (r & 15) == 0 ? 5 : (r & 1) ? 4 : 6;
			t[i].proto = (r & 2) ? 6 : 17;
			t[i].sport = (uint16_t)rnd32();
			t[i].dport = (r & 4) ? t[i].sport : (uint16_t)rnd32();
			t[i].saddr = addrs[2 * i];
			t[i].daddr = (r & 8) ? addrs[2 * i] : addrs[2 * i + 1];
		}
		memset(want, 'x', sizeof(want));
		memset(got, 'y', sizeof(got));
		communityid_v1_many_sha(seed, t, n, want, false);
		communityid_v1_many_sha(seed, t, n, got, true);
		for (size_t i = 0; i < n; i++) {
			char one[COMMUNITYID_LEN];

			assert_string_equal(got[i], want[i]);
			assert_int_equal(strlen(got[i]), t[i].ipver == 5 ? 0 : COMMUNITYID_LEN - 1);
			communityid_v1(seed, t[i].ipver, t[i].saddr, t[i].sport, t[i].daddr,
				       t[i].dport, t[i].proto, one);
			assert_string_equal(one, want[i]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_both_directions),
		cmocka_unit_test(test_protocol_matters),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_shani_vs_portable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
