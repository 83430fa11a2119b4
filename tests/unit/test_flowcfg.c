/*
 * test_flowcfg.c - the engine configuration the command line gives
 * (oracle/flowcfg.c): --seed N becomes the SipHash key of two rounds of
 * splitmix64 (Vigna's generator; state 0 gives the published sequence
 * 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, ...), so nearby seeds give
 * unrelated keys and both 64-bit halves of the key differ; --max-flows and
 * --msl reach the engine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "flowcfg.h"

/* seed 0: splitmix64's first two outputs from state 0 */
static void test_seed_key_reference(void **state)
{
	struct siphash_key k = tc_seed_key(0);

	(void)state;
	assert_true(k.k0 == UINT64_C(0xe220a8397b1dcdaf));
	assert_true(k.k1 == UINT64_C(0x6e789e6aa1b965f4));
}

/* nearby seeds: four unrelated words, no half equal to the other */
static void test_seed_key_nearby(void **state)
{
	struct siphash_key a = tc_seed_key(1), b = tc_seed_key(2);

	(void)state;
	assert_true(a.k0 != a.k1);
	assert_true(b.k0 != b.k1);
	assert_true(a.k0 != b.k0 && a.k1 != b.k1 && a.k0 != b.k1 && a.k1 != b.k0);
}

/* the options reach the engine's configuration, the key from --seed */
static void test_engine_config_from_options(void **state)
{
	struct tc_options o;
	struct engine_config cfg;
	struct siphash_key k = tc_seed_key(42);

	(void)state;
	memset(&o, 0, sizeof(o));
	o.max_flows = 1234;
	o.msl = 7;
	o.have_seed = true;
	o.seed = 42;
	assert_int_equal(tc_engine_config(&o, &cfg), TC_OK);
	assert_true(cfg.max_flows == 1234);
	assert_int_equal(cfg.msl_sec, 7);
	assert_true(cfg.hash_key.k0 == k.k0 && cfg.hash_key.k1 == k.k1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_key_reference),
		cmocka_unit_test(test_seed_key_nearby),
		cmocka_unit_test(test_engine_config_from_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
