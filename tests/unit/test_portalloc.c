/*
 * test_portalloc.c - the allocator models against their definitions.
 *
 * Beside each check runs a second, deliberately simple implementation
 * (STYLE.md "lockstep"): a linear list of live tuples for uniqueness, and a
 * per-port array with TIME_WAIT deadlines for the legacy "lowest free port
 * above 1024" rule. Every returned port is compared.
 *
 * The models are also checked against their distributions: over ranges of
 * 5, 7 and 16 ports every port comes out, first and last included, with a
 * loose chi-square bound; over the Linux range ten equal slices show no
 * modulo bias in the random ones; and the first candidate is the RFC's one
 * draw from the caller's PRNG (the PRNG is a parameter, so a copy of it
 * predicts the draw; the Linux tests predict its jitter the same way).
 * Every statistic runs from a fixed seed: the figures are the same on every
 * run, and the bounds sit many standard deviations from both the expected
 * value and what the broken variants in the commit messages give.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>
#include "portalloc.h"

#define SEC UINT64_C(1000000000)
#define MS  UINT64_C(1000000)

static struct pa_tuple dest(uint32_t n, uint16_t rport)
{
	struct pa_tuple t;

	memset(&t, 0, sizeof(t));
	t.ipver = 4;
	t.laddr[0] = 10; t.laddr[3] = 1;
	t.raddr[0] = 192; t.raddr[1] = 0; t.raddr[2] = (uint8_t)(n >> 8); t.raddr[3] = (uint8_t)n;
	t.rport = rport;
	return t;
}

static struct pa_alloc *make(enum pa_algo algo, const char *profile, uint64_t seed,
			     struct pa_rng *rng, struct pa_config *cfg_out)
{
	struct pa_config cfg;
	struct pa_alloc *a = NULL;

	pa_rng_seed(rng, seed);
	assert_int_equal(pa_config_default(&cfg, algo, profile, rng), TC_OK);
	assert_int_equal(pa_create(&a, &cfg, rng), TC_OK);
	if (cfg_out)
		*cfg_out = cfg;
	return a;
}

static struct pa_alloc *make_range(enum pa_algo algo, uint32_t low, uint32_t high,
				   uint64_t seed, struct pa_rng *rng)
{
	struct pa_config cfg;
	struct pa_alloc *a = NULL;

	pa_rng_seed(rng, seed);
	assert_int_equal(pa_config_default(&cfg, algo, NULL, rng), TC_OK);
	cfg.low = low;
	cfg.high = high;
	assert_int_equal(pa_create(&a, &cfg, rng), TC_OK);
	return a;
}

static uint32_t fwd(uint32_t from, uint32_t to, uint32_t range)
{
	return (to + range - from) % range;
}

/* ---- PRNG ---- */

static void test_rng(void **state)
{
	struct pa_rng r1, r2;
	uint32_t hist[10] = { 0 };

	(void)state;
	pa_rng_seed(&r1, 42);
	pa_rng_seed(&r2, 42);
	for (int i = 0; i < 100; i++)
		assert_true(pa_rng_u64(&r1) == pa_rng_u64(&r2));
	pa_rng_seed(&r2, 43);
	assert_true(pa_rng_u64(&r1) != pa_rng_u64(&r2));
	for (int i = 0; i < 10000; i++) {
		uint32_t v = pa_rng_below(&r1, 10);

		assert_true(v < 10);
		hist[v]++;
	}
	for (int i = 0; i < 10; i++)   /* 1000 expected, sd ~30 */
		assert_true(hist[i] > 850 && hist[i] < 1150);
	assert_int_equal(pa_rng_below(&r1, 0), 0);
	assert_int_equal(pa_rng_below(&r1, 1), 0);
}

/* ---- configuration ---- */

static void test_config(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a = (struct pa_alloc *)&cfg; /* must be reset to NULL */
	uint16_t lo, hi;
	enum pa_algo al;

	(void)state;
	pa_rng_seed(&rng, 1);
	assert_int_equal(pa_profile_range("linux", &lo, &hi), TC_OK);
	assert_int_equal(lo, 32768); assert_int_equal(hi, 60999);
	assert_int_equal(pa_profile_range("windows", &lo, &hi), TC_OK);
	assert_int_equal(lo, 49152); assert_int_equal(hi, 65535);
	assert_int_equal(pa_profile_range("iana", &lo, &hi), TC_OK);
	assert_int_equal(lo, 49152); assert_int_equal(hi, 65535);
	assert_int_equal(pa_profile_range("bsd-legacy", &lo, &hi), TC_OK);
	assert_int_equal(lo, 1024); assert_int_equal(hi, 5000);
	assert_int_equal(pa_profile_range("solaris", &lo, &hi), TC_MALFORMED);
	for (int i = 0; i < PA__COUNT; i++) {
		assert_int_equal(pa_algo_parse(pa_algo_name((enum pa_algo)i), &al), TC_OK);
		assert_int_equal(al, i);
	}
	assert_int_equal(pa_algo_parse("alg6", &al), TC_MALFORMED);

	assert_int_equal(pa_config_default(&cfg, PA_LINUX, NULL, &rng), TC_OK);
	assert_int_equal(cfg.low, 32768);
	assert_int_equal(cfg.high, 61000);          /* half-open */
	assert_int_equal(pa_config_default(&cfg, PA_LINUX, "nope", &rng), TC_MALFORMED);

	cfg.low = 5000; cfg.high = 5000;             /* empty range */
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_MALFORMED);
	assert_null(a);
	cfg.low = 0; cfg.high = 10;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_MALFORMED);
	cfg.low = 1; cfg.high = 65537;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_MALFORMED);
	cfg.high = 65536;
	cfg.table_len = 1000;                        /* LINUX needs a power of two */
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_MALFORMED);
	cfg.table_len = 1024;
	cfg.max_conns = 0;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_MALFORMED);
	cfg.max_conns = 8;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	assert_non_null(a);
	pa_destroy(a);
}

/* LEGACY hands out ports above 1024 only: a range without one is empty,
 * and portalloc.h says an empty range is refused at pa_create. */
static void test_legacy_config(void **state)
{
	static const uint32_t empty[][2] = { { 1, 2 }, { 1, 1025 }, { 1000, 1025 }, { 1024, 1025 } };
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a;
	struct pa_tuple t;

	(void)state;
	pa_rng_seed(&rng, 2);
	assert_int_equal(pa_config_default(&cfg, PA_LEGACY, NULL, &rng), TC_OK);
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		a = (struct pa_alloc *)&cfg;             /* must be reset to NULL */
		cfg.low = empty[i][0];
		cfg.high = empty[i][1];
		assert_int_equal(pa_create(&a, &cfg, &rng), TC_MALFORMED);
		assert_null(a);
	}
	/* one port above 1024, 1025: allocated, then the range is used up */
	cfg.low = 1000;
	cfg.high = 1026;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	t = dest(1, 80);
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t.lport, 1025);
	t = dest(2, 80);
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_EXHAUSTED);
	pa_destroy(a);
	/* the same ranges are fine for the other models: their ports are the range */
	assert_int_equal(pa_config_default(&cfg, PA_ALG1, NULL, &rng), TC_OK);
	cfg.low = 1;
	cfg.high = 2;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	t = dest(1, 80);
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t.lport, 1);
	pa_destroy(a);
}

/* ---- every algorithm: range, uniqueness, bookkeeping, in lockstep ---- */

#define MAXLIVE 512
struct ref_live {
	struct pa_tuple t[MAXLIVE];
	int n;
};

static bool ref_has(const struct ref_live *r, const struct pa_tuple *t)
{
	for (int i = 0; i < r->n; i++)
		if (memcmp(&r->t[i], t, sizeof(*t)) == 0)
			return true;
	return false;
}

static void churn(enum pa_algo algo, const char *profile, uint64_t seed)
{
	struct pa_rng rng, ops;
	struct pa_config cfg;
	struct pa_alloc *a = make(algo, profile, seed, &rng, &cfg);
	struct ref_live live = { .n = 0 };
	uint64_t now = 0;
	uint32_t ok = 0;

	pa_rng_seed(&ops, seed * 7 + 1);
	for (int step = 0; step < 3000; step++) {
		uint32_t op = pa_rng_below(&ops, 10);

		now += pa_rng_below(&ops, 200) * MS;
		if (op < 6 && live.n < MAXLIVE) {
			struct pa_tuple t = dest(pa_rng_below(&ops, 20), 443);
			uint32_t probes;
			enum tc_rc rc = pa_connect(a, &rng, &t, now, NULL, NULL, &probes);

			assert_int_equal(rc, TC_OK);
			assert_true(t.lport >= cfg.low && t.lport < cfg.high);
			if (algo == PA_LEGACY)
				assert_true(t.lport > 1024);
			assert_true(probes >= 1 && probes <= cfg.high - cfg.low);
			assert_false(ref_has(&live, &t));   /* no live duplicate 4-tuple */
			assert_true(pa_is_tuple_in_use(a, &t));
			live.t[live.n++] = t;
			ok++;
		} else if (live.n > 0) {
			uint32_t k = pa_rng_below(&ops, (uint32_t)live.n);
			enum pa_close_how how = op < 9 ? PA_CLOSE_ACTIVE : PA_CLOSE_ABORT;

			assert_int_equal(pa_close(a, &live.t[k], now, how), TC_OK);
			/* a second close of the same tuple is refused */
			assert_int_equal(pa_close(a, &live.t[k], now, how), TC_MALFORMED);
			live.t[k] = live.t[--live.n];
		}
		assert_int_equal(pa_live_count(a), (uint32_t)live.n);
	}
	assert_true(ok > 1000);
	pa_advance(a, now + cfg.time_wait_ns);
	assert_int_equal(pa_time_wait_count(a), 0);
	pa_destroy(a);
}

static void test_churn_all(void **state)
{
	(void)state;
	for (int al = 0; al < PA__COUNT; al++) {
		churn((enum pa_algo)al, NULL, 11);
		churn((enum pa_algo)al, "bsd-legacy", 12);
		churn((enum pa_algo)al, "linux", 13);
	}
}

/* ---- LEGACY against a straight-line rule ---- */

struct ref_legacy {
	uint8_t live[65536];          /* live connections on the port */
	uint64_t tw_until[65536];     /* latest TIME_WAIT deadline on the port */
	uint8_t bound[65536];
};

static uint16_t ref_lowest(const struct ref_legacy *r, uint32_t high, uint64_t now)
{
	for (uint32_t p = 1025; p < high; p++)
		if (!r->live[p] && r->tw_until[p] <= now && !r->bound[p])
			return (uint16_t)p;
	return 0;
}

static void test_legacy_reference(void **state)
{
	static struct ref_legacy ref;
	struct pa_rng rng, ops;
	struct pa_config cfg;
	struct pa_alloc *a;
	struct ref_live live = { .n = 0 };
	uint64_t now = 0;
	int reused_lower = 0;
	uint16_t prev = 0;

	(void)state;
	memset(&ref, 0, sizeof(ref));
	a = make(PA_LEGACY, "bsd-legacy", 5, &rng, &cfg);
	assert_int_equal(cfg.low, 1024);
	pa_rng_seed(&ops, 99);
	for (int step = 0; step < 6000; step++) {
		uint32_t op = pa_rng_below(&ops, 20);

		now += pa_rng_below(&ops, 3000) * MS;   /* long enough for TIME_WAIT to end */
		if (op < 10 && live.n < MAXLIVE) {
			struct pa_tuple t = dest(pa_rng_below(&ops, 5), 80);
			uint16_t want = ref_lowest(&ref, cfg.high, now);

			assert_int_equal(pa_connect(a, &rng, &t, now, NULL, NULL, NULL), TC_OK);
			assert_int_equal(t.lport, want);
			if (prev && t.lport < prev)
				reused_lower++;
			prev = t.lport;
			ref.live[t.lport]++;
			live.t[live.n++] = t;
		} else if (op < 18 && live.n > 0) {
			uint32_t k = pa_rng_below(&ops, (uint32_t)live.n);
			uint16_t p = live.t[k].lport;
			bool active = op < 16;

			assert_int_equal(pa_close(a, &live.t[k], now,
						  active ? PA_CLOSE_ACTIVE : PA_CLOSE_ABORT), TC_OK);
			ref.live[p]--;
			if (active)
				ref.tw_until[p] = now + cfg.time_wait_ns;
			live.t[k] = live.t[--live.n];
		} else if (op == 18) {
			uint16_t p = (uint16_t)(1025 + pa_rng_below(&ops, 60));
			bool free_now = !ref.live[p] && ref.tw_until[p] <= now && !ref.bound[p];

			assert_int_equal(pa_bind(a, p, now), free_now ? TC_OK : TC_EXHAUSTED);
			if (free_now)
				ref.bound[p] = 1;
		} else {
			uint16_t p = (uint16_t)(1025 + pa_rng_below(&ops, 60));

			assert_int_equal(pa_unbind(a, p), ref.bound[p] ? TC_OK : TC_MALFORMED);
			ref.bound[p] = 0;
		}
	}
	/* the run must have exercised reuse of freed lower ports */
	assert_true(reused_lower > 50);
	pa_destroy(a);
}

/* ---- exhaustion: TC_EXHAUSTED, bounded scan, recovery ---- */

static bool always_taken(void *ctx, const struct pa_tuple *t)
{
	(void)t;
	(*(uint32_t *)ctx)++;
	return true;
}

/*
 * Every model over [low, low + 16[ towards one destination: connects until
 * the range runs out (the exhaustive scans take all 16 ports, the random
 * ones most), a freed port is found again by the deterministic ones, and
 * the caller's veto alone exhausts the range in bounded work. Run in the
 * middle of the port space and at its top, [65520, 65536[, where a 16-bit
 * port variable would wrap before reaching high = 65536.
 */
static void exhaust(uint32_t low, uint64_t seed)
{
	for (int al = 0; al < PA__COUNT; al++) {
		enum pa_algo algo = (enum pa_algo)al;
		bool exhaustive = algo != PA_ALG2 && algo != PA_ALG5;
		struct pa_rng rng;
		struct pa_alloc *a = make_range(algo, low, low + 16, seed, &rng);
		struct pa_tuple got[16];
		uint32_t n = 0, probes, calls = 0, seen_top = 0;
		enum tc_rc rc;

		for (int i = 0; i < 40; i++) {
			struct pa_tuple t = dest(1, 53);

			rc = pa_connect(a, &rng, &t, 0, NULL, NULL, &probes);
			assert_true(probes <= 16);
			if (rc != TC_OK) {
				assert_int_equal(rc, TC_EXHAUSTED);
				assert_int_equal(t.lport, 0);
				if (exhaustive)
					assert_int_equal(probes, 16);
				continue;
			}
			assert_true(n < 16);
			assert_true(t.lport >= low && t.lport < low + 16);
			seen_top += t.lport == low + 15;
			got[n++] = t;
		}
		if (exhaustive) {
			assert_int_equal(n, 16);
			assert_int_equal(seen_top, 1);
		} else {
			assert_true(n >= 8);  /* random draws find most of 16 ports */
		}

		/* a freed port is found again by the exhaustive scans */
		assert_int_equal(pa_close(a, &got[3], 0, PA_CLOSE_ABORT), TC_OK);
		if (exhaustive) {
			struct pa_tuple t = dest(1, 53);

			assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, &probes), TC_OK);
			assert_int_equal(t.lport, got[3].lport);
		}
		pa_destroy(a);

		/* the caller's veto alone exhausts the range, in bounded work */
		a = make_range(algo, low, low + 16, seed + 1, &rng);
		{
			struct pa_tuple t = dest(2, 53);

			rc = pa_connect(a, &rng, &t, 0, always_taken, &calls, &probes);
			assert_int_equal(rc, TC_EXHAUSTED);
			assert_int_equal(probes, calls);
			/* every model gives up after the range size (ALG2: its
			 * default max_attempts, which is the range size) */
			assert_int_equal(probes, 16);
			assert_int_equal(pa_live_count(a), 0);
		}
		pa_destroy(a);
	}
}

static void test_exhaustion(void **state)
{
	(void)state;
	exhaust(40000, 3);
}

static void test_exhaustion_top(void **state)
{
	(void)state;
	exhaust(65536 - 16, 3);
}

/* ---- TIME_WAIT is per 4-tuple (RFC 6056), per port for LEGACY ---- */

static void test_time_wait(void **state)
{
	struct pa_rng rng;
	struct pa_alloc *a;
	struct pa_tuple t1 = dest(1, 80), t2 = dest(1, 80), t3 = dest(1, 80), tb = dest(2, 80);

	(void)state;
	a = make_range(PA_ALG1, 40000, 40002, 8, &rng);
	assert_int_equal(pa_connect(a, &rng, &t1, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(pa_connect(a, &rng, &t2, 0, NULL, NULL, NULL), TC_OK);
	assert_int_not_equal(t1.lport, t2.lport);
	assert_int_equal(pa_connect(a, &rng, &t3, 0, NULL, NULL, NULL), TC_EXHAUSTED);
	assert_int_equal(pa_close(a, &t1, 1 * SEC, PA_CLOSE_ACTIVE), TC_OK);
	assert_int_equal(pa_time_wait_count(a), 1);
	/* same destination: the tuple is in TIME_WAIT */
	assert_int_equal(pa_connect(a, &rng, &t3, 2 * SEC, NULL, NULL, NULL), TC_EXHAUSTED);
	/* another destination may share the port: a different 4-tuple */
	assert_int_equal(pa_connect(a, &rng, &tb, 2 * SEC, NULL, NULL, NULL), TC_OK);
	/* just before 2*MSL: still taken; at 2*MSL: free */
	t3 = dest(1, 80);
	assert_int_equal(pa_connect(a, &rng, &t3, 121 * SEC - 1, NULL, NULL, NULL), TC_EXHAUSTED);
	assert_int_equal(pa_connect(a, &rng, &t3, 121 * SEC, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t3.lport, t1.lport);
	assert_int_equal(pa_time_wait_count(a), 0);
	pa_destroy(a);

	/* LEGACY: the port itself stays taken for everybody until TIME_WAIT ends */
	a = make(PA_LEGACY, NULL, 9, &rng, NULL);
	t1 = dest(1, 80);
	assert_int_equal(pa_connect(a, &rng, &t1, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t1.lport, 1025);
	assert_int_equal(pa_close(a, &t1, 0, PA_CLOSE_ACTIVE), TC_OK);
	tb = dest(7, 22);
	assert_int_equal(pa_connect(a, &rng, &tb, 60 * SEC, NULL, NULL, NULL), TC_OK);
	assert_int_equal(tb.lport, 1026);
	/* time given out of order is clamped: the clock never goes back */
	t2 = dest(8, 22);
	assert_int_equal(pa_connect(a, &rng, &t2, 120 * SEC, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t2.lport, 1025);
	t3 = dest(9, 22);
	assert_int_equal(pa_connect(a, &rng, &t3, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t3.lport, 1027);
	/* an abortive close frees the port immediately */
	assert_int_equal(pa_close(a, &tb, 0, PA_CLOSE_ABORT), TC_OK);
	t3 = dest(10, 22);
	assert_int_equal(pa_connect(a, &rng, &t3, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t3.lport, 1026);
	pa_destroy(a);
}

static void test_bind(void **state)
{
	struct pa_rng rng;
	struct pa_alloc *a = make(PA_LEGACY, NULL, 10, &rng, NULL);
	struct pa_tuple t = dest(1, 80);

	(void)state;
	assert_int_equal(pa_bind(a, 0, 0), TC_MALFORMED);
	assert_int_equal(pa_bind(a, 1025, 0), TC_OK);
	assert_int_equal(pa_bind(a, 1025, 0), TC_EXHAUSTED);
	assert_int_equal(pa_bind(a, 80, 0), TC_OK);           /* outside the range */
	assert_true(pa_is_port_bound(a, 80));
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t.lport, 1026);                      /* 1025 is bound */
	assert_int_equal(pa_bind(a, 1026, 0), TC_EXHAUSTED);  /* has a connection */
	assert_int_equal(pa_unbind(a, 1025), TC_OK);
	assert_int_equal(pa_unbind(a, 1025), TC_MALFORMED);
	t = dest(2, 80);
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t.lport, 1025);
	t.ipver = 5;
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_MALFORMED);
	pa_destroy(a);
}

static void test_nomem(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a;
	struct pa_tuple t;

	(void)state;
	pa_rng_seed(&rng, 1);
	assert_int_equal(pa_config_default(&cfg, PA_ALG1, NULL, &rng), TC_OK);
	cfg.max_conns = 4;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	for (uint32_t i = 0; i < 4; i++) {
		t = dest(i, 80);
		assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	}
	t = dest(9, 80);
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_NOMEM);
	/* a slot freed by a close is usable again */
	t = dest(0, 80);
	t.lport = 0;
	for (uint16_t p = 49152; p < 65535 && !pa_is_tuple_in_use(a, &t); p++)
		t.lport = p;
	assert_int_equal(pa_close(a, &t, 0, PA_CLOSE_ABORT), TC_OK);
	t = dest(9, 80);
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	pa_destroy(a);
}

/* ---- ALG3: one counter, sequential per destination ---- */

static void test_alg3_per_destination(void **state)
{
	struct pa_rng rng, ops;
	struct pa_config cfg;
	struct pa_alloc *a = make(PA_ALG3, NULL, 21, &rng, &cfg);
	uint32_t range = cfg.high - cfg.low;
	uint16_t last_port[4] = { 0 };
	int last_index[4] = { 0 };
	int checked = 0;

	(void)state;
	pa_rng_seed(&ops, 5);
	for (int i = 0; i < 400; i++) {
		uint32_t d = pa_rng_below(&ops, 4);
		struct pa_tuple t = dest(d, 443);

		assert_int_equal(pa_connect(a, &rng, &t, (uint64_t)i * MS, NULL, NULL, NULL), TC_OK);
		if (last_port[d]) {
			/* the port moved by exactly the allocations made meanwhile */
			assert_int_equal(fwd(last_port[d], t.lport, range), (uint32_t)(i - last_index[d]));
			checked++;
		}
		last_port[d] = t.lport;
		last_index[d] = i;
	}
	assert_true(checked > 390);
	pa_destroy(a);
}

/* ---- ALG4: one counter per bucket ---- */

static void test_alg4_buckets(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a = make(PA_ALG4, NULL, 31, &rng, &cfg);
	uint32_t range = cfg.high - cfg.low;
	struct pa_tuple A = dest(1, 443), B, C, t;
	uint32_t n, ba = pa_bucket(a, &A, 0);
	uint16_t pa0;
	int found_b = 0, found_c = 0;

	(void)state;
	assert_int_equal(cfg.table_len, 10);
	for (n = 2; n < 1000 && !(found_b && found_c); n++) {
		t = dest(n, 443);
		if (!found_b && pa_bucket(a, &t, 0) != ba) { B = t; found_b = 1; }
		else if (!found_c && pa_bucket(a, &t, 0) == ba) { C = t; found_c = 1; }
	}
	assert_true(found_b && found_c);

	t = A; assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	pa0 = t.lport;
	for (int i = 0; i < 5; i++) {   /* another bucket: A's counter stays */
		t = B; assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	}
	t = A; assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(fwd(pa0, t.lport, range), 1);
	pa0 = t.lport;
	for (int i = 0; i < 3; i++) {   /* same bucket: A's counter moves */
		t = C; assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	}
	t = A; assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(fwd(pa0, t.lport, range), 4);
	pa_destroy(a);
}

/* ---- LINUX: even ports first, steps 2..16, re-salt every 10 s ---- */

static void test_linux(void **state)
{
	struct pa_rng rng, ops;
	struct pa_config cfg;
	struct pa_alloc *a = make(PA_LINUX, NULL, 41, &rng, &cfg);
	uint32_t remaining = (cfg.high - cfg.low) & ~1u;
	uint16_t last[5] = { 0 };
	uint32_t step_hist[17] = { 0 }, buckets[5];
	int changed = 0;

	(void)state;
	assert_int_equal(cfg.table_len, 1u << 16);
	for (uint32_t d = 0; d < 5; d++) {
		struct pa_tuple t = dest(d, 443);

		buckets[d] = pa_bucket(a, &t, 0);
		for (uint32_t e = 0; e < d; e++)
			assert_int_not_equal(buckets[d], buckets[e]);  /* seed chosen so */
	}
	pa_rng_seed(&ops, 6);
	for (int i = 0; i < 500; i++) {   /* all inside one 10 s epoch */
		uint32_t d = pa_rng_below(&ops, 5);
		struct pa_tuple t = dest(d, 443);

		assert_int_equal(pa_connect(a, &rng, &t, (uint64_t)i * 10 * MS, NULL, NULL, NULL), TC_OK);
		assert_int_equal(t.lport % 2, 0);          /* parity of low = 32768 */
		if (last[d]) {
			uint32_t s = fwd(last[d], t.lport, remaining);

			assert_true(s >= 2 && s <= 16 && s % 2 == 0);
			step_hist[s]++;
		}
		last[d] = t.lport;
	}
	for (uint32_t s = 2; s <= 16; s += 2)          /* every increment occurs */
		assert_true(step_hist[s] > 10);
	/* a new epoch: the index (and offset) of a destination are re-drawn */
	for (uint32_t d = 0; d < 5; d++) {
		struct pa_tuple t = dest(d, 443);

		changed += pa_bucket(a, &t, 10 * SEC) != buckets[d];
	}
	assert_true(changed >= 4);
	pa_destroy(a);

	/* even ports first, odd ports only once every even one is taken */
	a = make_range(PA_LINUX, 40000, 40008, 42, &rng);
	for (int i = 0; i < 8; i++) {
		struct pa_tuple t = dest(1, 443);

		assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
		assert_int_equal(t.lport % 2, i < 4 ? 0 : 1);
	}
	{
		struct pa_tuple t = dest(1, 443);
		uint32_t probes;

		assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, &probes), TC_EXHAUSTED);
		assert_int_equal(probes, 8);
	}
	pa_destroy(a);
}

/*
 * LINUX's per-destination hash (portalloc.c linux_port_offset/linux_index,
 * which pa_connect uses too): the perturbation index is the low bits of
 * port_offset (Linux: index = port_offset & (INET_TABLE_PERTURB_SIZE - 1)),
 * and port_offset is re-salted every shuffle_ns (Linux: every 10 s): the
 * same within a period, another one in the next.
 */
static void test_linux_hash(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a = make(PA_LINUX, NULL, 43, &rng, &cfg);
	static const uint64_t at[] = { 0, 5 * SEC, 10 * SEC, 25 * SEC, 3600 * SEC };
	uint32_t moved = 0, n = 0;

	(void)state;
	assert_int_equal(cfg.shuffle_ns, 10 * SEC);
	for (uint32_t d = 0; d < 200; d++) {
		struct pa_tuple t = dest(d, (uint16_t)(443 + d % 3));

		for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
			uint64_t po = pa_port_offset(a, &t, at[k]);
			uint64_t epoch_end = at[k] - at[k] % cfg.shuffle_ns + cfg.shuffle_ns;

			assert_int_equal(pa_bucket(a, &t, at[k]), (uint32_t)po & (cfg.table_len - 1));
			assert_true(pa_port_offset(a, &t, epoch_end - 1) == po);
			moved += pa_port_offset(a, &t, epoch_end) != po;
			n++;
		}
	}
	assert_int_equal(moved, n);   /* 64-bit values: a repeat is a bug, not luck */
	/* the other models have no port_offset */
	pa_destroy(a);
	a = make(PA_ALG4, NULL, 43, &rng, NULL);
	{
		struct pa_tuple t = dest(1, 443);

		assert_true(pa_port_offset(a, &t, 0) == 0);
	}
	pa_destroy(a);
}

/*
 * One LINUX connect with every candidate free (closed peers): the port must
 * be the first candidate, and the perturbation entry then advances by
 * max(i, 2 * random(0..7)) + 2 with i = 0 (Linux: i = max_t(int, i,
 * get_random_u32_below(8) * 2); table_perturb[index] += i + 2). The draw
 * comes from the caller's PRNG, so a copy made before predicts it.
 * Returns the port; *inc the predicted advance.
 */
static uint16_t linux_connect(struct pa_alloc *a, struct pa_rng *rng, struct pa_tuple *t,
			      uint64_t now, uint32_t *inc)
{
	struct pa_rng copy = *rng;
	uint32_t probes;

	*inc = pa_rng_below(&copy, 8) * 2 + 2;
	assert_int_equal(pa_connect(a, rng, t, now, NULL, NULL, &probes), TC_OK);
	assert_int_equal(probes, 1);
	assert_true(copy.s == rng->s);    /* the jitter is the only draw */
	assert_int_equal(pa_close(a, t, now, PA_CLOSE_ABORT), TC_OK);
	return t->lport;
}

/*
 * LINUX, one perturbation entry per index, like test_alg4_buckets: within
 * one 10 s period a destination's next port is its last one moved by
 * exactly the advances of its entry meanwhile (the high half of port_offset
 * is the same both times), whoever made them: connects to a destination on
 * another entry (B) leave A's port alone, connects to a destination on the
 * same entry (C) move it. The advances are even, so the parity of
 * entry + offset never changes and the even-rounded offset moves by exactly
 * their sum. A smaller table (64 entries, a power of two as Linux's) makes
 * same-entry destinations easy to find; 20 different A.
 */
static void test_linux_buckets(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a;
	uint32_t rem, next = 2, checked = 0;
	uint64_t now = 0;

	(void)state;
	pa_rng_seed(&rng, 44);
	assert_int_equal(pa_config_default(&cfg, PA_LINUX, NULL, &rng), TC_OK);
	cfg.table_len = 64;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	rem = (cfg.high - cfg.low) & ~1u;
	for (int round = 0; round < 20; round++) {
		struct pa_tuple A = dest(next++, 443), B, C, t;
		uint32_t ba = pa_bucket(a, &A, now), inc, sum;
		int found_b = 0, found_c = 0;
		uint16_t pa0, pa1;

		for (; next < 60000 && !(found_b && found_c); next++) {
			t = dest(next, 443);
			if (!found_b && pa_bucket(a, &t, now) != ba) { B = t; found_b = 1; }
			else if (!found_c && pa_bucket(a, &t, now) == ba) { C = t; found_c = 1; }
		}
		assert_true(found_b && found_c);

		t = A; pa0 = linux_connect(a, &rng, &t, now, &sum);
		for (int i = 0; i < 5; i++) {   /* another entry: A's stays */
			t = B; (void)linux_connect(a, &rng, &t, now, &inc);
		}
		t = A; pa1 = linux_connect(a, &rng, &t, now, &inc);
		assert_int_equal(fwd(pa0, pa1, rem), sum % rem);
		sum = inc;
		for (int i = 0; i < 3; i++) {   /* the same entry: A's moves */
			t = C; (void)linux_connect(a, &rng, &t, now, &inc);
			sum += inc;
		}
		t = A; pa0 = linux_connect(a, &rng, &t, now, &inc);
		assert_int_equal(fwd(pa1, pa0, rem), sum % rem);
		checked++;
		now += 100 * MS;                /* 20 rounds: 2 s, one period */
	}
	assert_int_equal(checked, 20);
	assert_true(now < cfg.shuffle_ns);
	pa_destroy(a);
}

/*
 * LINUX: the offset is the entry plus the HIGH half of port_offset,
 * (table[index] + (port_offset >> 32)) % remaining, made even. Two
 * destinations A and C on the same entry, connected one after the other:
 * C's offset follows from A's, A's advance and the two high halves. A's
 * port gives entry + high(A) modulo remaining up to its parity bit, and the
 * 32-bit sum may wrap once, so 4 candidates out of 14116 even offsets.
 */
static void test_linux_offset(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a;
	uint32_t rem, next = 2;
	uint64_t now = 0;

	(void)state;
	pa_rng_seed(&rng, 45);
	assert_int_equal(pa_config_default(&cfg, PA_LINUX, NULL, &rng), TC_OK);
	cfg.table_len = 64;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	rem = (cfg.high - cfg.low) & ~1u;
	for (int round = 0; round < 20; round++) {
		struct pa_tuple A = dest(next++, 80), C, t;
		uint32_t ba = pa_bucket(a, &A, now), inc, inc_c, hi_a, hi_c, off_a, off_c, d;
		bool match = false;

		for (; next < 60000; next++) {
			C = dest(next, 80);
			if (pa_bucket(a, &C, now) == ba)
				break;
		}
		assert_true(next < 60000);
		next++;
		hi_a = (uint32_t)(pa_port_offset(a, &A, now) >> 32);
		hi_c = (uint32_t)(pa_port_offset(a, &C, now) >> 32);
		t = A; off_a = linux_connect(a, &rng, &t, now, &inc) - cfg.low;
		t = C; off_c = linux_connect(a, &rng, &t, now, &inc_c) - cfg.low;
		/* entry + hi_a = u (32-bit), u % rem = off_a or off_a + 1;
		 * C sees u + inc + hi_c - hi_a (32-bit) */
		d = inc + hi_c - hi_a;
		for (uint32_t par = 0; par < 2 && !match; par++) {
			uint64_t r = off_a + par;
			uint32_t no_wrap = (uint32_t)((r + d) % rem) & ~1u;
			uint32_t wrap = (uint32_t)((r + d + rem - (UINT64_C(1) << 32) % rem) % rem) & ~1u;

			match = off_c == no_wrap || off_c == wrap;
		}
		if (!match)
			fail_msg("round %d: C's offset %u does not follow from A's %u (advance %u)",
				 round, off_c, off_a, inc);
		now += 100 * MS;
	}
	pa_destroy(a);
}

/*
 * LINUX re-salts its secret every 10 s ("tcp: resalt the secret every 10
 * seconds"): connections to one destination 11 s apart each see a new
 * port_offset, so their ports jump anywhere instead of moving by the 2..16
 * of one period (by chance: 8 even steps in 14116, ~0.1 of 199). Through
 * pa_connect only, nothing else.
 */
static void test_linux_resalt(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a = make(PA_LINUX, NULL, 41, &rng, &cfg);
	uint32_t rem = (cfg.high - cfg.low) & ~1u, small = 0, inc;
	uint16_t prev = 0;

	(void)state;
	for (uint32_t i = 0; i < 200; i++) {
		struct pa_tuple t = dest(1, 443);
		uint16_t p = linux_connect(a, &rng, &t, (uint64_t)i * 11 * SEC, &inc);

		if (i > 0) {
			uint32_t step = fwd(prev, p, rem);

			small += step >= 2 && step <= 16;
		}
		prev = p;
	}
	assert_true(small < 10);
	pa_destroy(a);
}

/* ---- ALG5: increments 1..N ---- */

static void test_alg5(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a = make(PA_ALG5, NULL, 51, &rng, &cfg);
	uint32_t range = cfg.high - cfg.low, maxs = 0, prev = 0;

	(void)state;
	for (uint32_t i = 0; i < 1000; i++) {
		struct pa_tuple t = dest(i % 37, 443);

		assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
		/* closed at once, so no candidate is ever taken: one draw per
		 * connect (a taken candidate would add a second increment) */
		assert_int_equal(pa_close(a, &t, 0, PA_CLOSE_ABORT), TC_OK);
		if (prev) {
			uint32_t s = fwd(prev, t.lport, range);

			assert_true(s >= 1 && s <= cfg.increment_n);
			if (s > maxs)
				maxs = s;
		}
		prev = t.lport;
	}
	assert_true(maxs > 450);
	pa_destroy(a);
}

/* ---- distributions: range ends, uniformity, the RFC's draws ---- */

/* Pearson's statistic of hist[0..k[ against equal shares. */
static double chi2_uniform(const uint32_t *hist, uint32_t k, uint32_t n)
{
	double want = (double)n / k, x = 0;

	for (uint32_t i = 0; i < k; i++)
		x += ((double)hist[i] - want) * ((double)hist[i] - want) / want;
	return x;
}

/* Loose bound for k cells: mean k - 1 plus 8 standard deviations
 * (sqrt(2 (k - 1))) plus 10. With a fixed seed the statistic is one fixed
 * number; this only has to stay far from it and far below what a port
 * that never comes out gives (n / k and more: 625 for 10000 draws over 16). */
static double chi2_bound(uint32_t k)
{
	return (double)(k - 1) + 8.0 * sqrt(2.0 * (k - 1)) + 10.0;
}

#define DIST_N 10000

/*
 * One model over [low, low + num[, DIST_N connects to one destination, each
 * closed at once (PA_CLOSE_ABORT), so every first candidate is free and
 * the port is the model's first choice: every port must come out, low and
 * low + num - 1 included, in roughly equal shares. LINUX takes the ports of
 * low's parity first, so only those come out here (offsets 0, 2, ... below
 * the even-rounded size); its other ports are reached by the exhaustion
 * tests. LEGACY is deterministic (always the lowest port) and is checked
 * against its reference above.
 */
static void dist_small(enum pa_algo algo, uint32_t low, uint32_t num, uint64_t seed)
{
	struct pa_rng rng;
	struct pa_alloc *a = make_range(algo, low, low + num, seed, &rng);
	uint32_t hist[16] = { 0 }, cells[16], k = 0, rem = num > 1 ? num & ~1u : num;
	uint32_t sub[16];

	assert_true(num >= 2 && num <= 16);
	for (uint32_t i = 0; i < DIST_N; i++) {
		struct pa_tuple t = dest(1, 443);
		uint32_t probes;

		assert_int_equal(pa_connect(a, &rng, &t, (uint64_t)i * MS, NULL, NULL, &probes), TC_OK);
		assert_int_equal(probes, 1);
		assert_true(t.lport >= low && t.lport < low + num);
		hist[t.lport - low]++;
		assert_int_equal(pa_close(a, &t, (uint64_t)i * MS, PA_CLOSE_ABORT), TC_OK);
	}
	for (uint32_t p = 0; p < num; p++) {
		bool reachable = algo != PA_LINUX || (p % 2 == 0 && p < rem);

		if (reachable)
			cells[k++] = p;
		else
			assert_int_equal(hist[p], 0);
	}
	for (uint32_t j = 0; j < k; j++) {
		if (hist[cells[j]] == 0)
			fail_msg("%s [%u, %u[: port %u never chosen in %u connects", pa_algo_name(algo),
				 low, low + num, low + cells[j], DIST_N);
		sub[j] = hist[cells[j]];
	}
	if (chi2_uniform(sub, k, DIST_N) > chi2_bound(k))
		fail_msg("%s [%u, %u[: chi-square %.1f over %u ports, bound %.1f", pa_algo_name(algo),
			 low, low + num, chi2_uniform(sub, k, DIST_N), k, chi2_bound(k));
	pa_destroy(a);
}

static void test_distribution_small(void **state)
{
	(void)state;
	for (int al = PA_ALG1; al < PA__COUNT; al++) {
		dist_small((enum pa_algo)al, 40000, 16, 61 + 10 * (uint64_t)al);
		dist_small((enum pa_algo)al, 50001, 5, 62 + 10 * (uint64_t)al);
		dist_small((enum pa_algo)al, 60000, 7, 63 + 10 * (uint64_t)al);
	}
}

/*
 * The random models over the whole Linux range [32768, 61000[ (28232
 * ports): 20000 first choices fall in ten equal slices in equal shares. A
 * draw taken as 16 random bits modulo the range gives 3 chances in 65536
 * to the ports below 65536 - 2 * 28232 = 9072 and 2 to the others: 12.9 %
 * of the draws in each of the first three slices instead of 10 %, a
 * chi-square in the hundreds (bound ~52).
 */
static void test_distribution_linux_range(void **state)
{
	static const enum pa_algo random_algs[] = { PA_ALG1, PA_ALG2, PA_ALG5 };

	(void)state;
	for (size_t j = 0; j < sizeof(random_algs) / sizeof(random_algs[0]); j++) {
		struct pa_rng rng;
		struct pa_config cfg;
		struct pa_alloc *a = make(random_algs[j], "linux", 64 + j, &rng, &cfg);
		uint32_t num = cfg.high - cfg.low, slice[10] = { 0 }, n = 20000;
		double x;

		for (uint32_t i = 0; i < n; i++) {
			struct pa_tuple t = dest(i % 50, 443);

			assert_int_equal(pa_connect(a, &rng, &t, (uint64_t)i * MS, NULL, NULL, NULL), TC_OK);
			slice[(uint64_t)(t.lport - cfg.low) * 10 / num]++;
			assert_int_equal(pa_close(a, &t, (uint64_t)i * MS, PA_CLOSE_ABORT), TC_OK);
		}
		x = chi2_uniform(slice, 10, n);
		if (x > chi2_bound(10))
			fail_msg("%s over the linux range: chi-square %.1f over 10 slices, bound %.1f"
				 " (first slice %u of %u)", pa_algo_name(random_algs[j]), x, chi2_bound(10),
				 slice[0], n);
		pa_destroy(a);
	}
}

/*
 * RFC 6056 3.3.1 and 3.3.2 in lockstep: with every port free, the port is
 * min + random() % num from the caller's PRNG, random() % num being
 * pa_rng_below(rng, num) (uniform without modulo bias), and that draw is all
 * the connect takes from the PRNG. A copy of the PRNG made before the
 * connect predicts it. (A start moved by a constant, (r + 1) % num, leaves
 * the distribution exactly uniform: only this check sees it.) ALG5 in the
 * same way: the step from the previous port is the drawn increment 1..N.
 */
static void test_random_draws(void **state)
{
	static const enum pa_algo algs[] = { PA_ALG1, PA_ALG2, PA_ALG5 };
	static const uint32_t ranges[][2] = { { 40000, 40005 }, { 49152, 65536 }, { 32768, 61000 } };

	(void)state;
	for (size_t j = 0; j < sizeof(algs) / sizeof(algs[0]); j++) {
		for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
			struct pa_rng rng;
			struct pa_alloc *a = make_range(algs[j], ranges[r][0], ranges[r][1], 70 + r, &rng);
			uint32_t num = ranges[r][1] - ranges[r][0], prev = 0;

			for (uint32_t i = 0; i < 2000; i++) {
				struct pa_tuple t = dest(i % 9, 443);
				struct pa_rng copy = rng;
				uint32_t draw = pa_rng_below(&copy, algs[j] == PA_ALG5
							     ? pa_get_config(a)->increment_n : num);

				assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
				if (algs[j] != PA_ALG5)
					assert_int_equal(t.lport, ranges[r][0] + draw);
				else if (i > 0)
					assert_int_equal(fwd(prev, t.lport, num), (draw + 1) % num);
				assert_true(copy.s == rng.s);       /* one draw, no more */
				prev = t.lport;
				assert_int_equal(pa_close(a, &t, 0, PA_CLOSE_ABORT), TC_OK);
			}
			pa_destroy(a);
		}
	}
}

/* ---- the RFC 6056 hash inputs and the counters' advance ---- */

/*
 * RFC 6056 3.3.3-3.3.4: F() and G() take the local address, the remote
 * address and the remote port, so changing any one of them gives another
 * destination (Linux's port_offset hashes the same three, plus the time
 * seed). Checked through ALG3's ports: two connects in a row, every port
 * free, give consecutive ports exactly when F() agrees for the two
 * (chance 1 in 16384 otherwise), and through LINUX's pa_port_offset().
 */
static void test_hash_inputs(void **state)
{
	struct pa_rng rng;
	struct pa_alloc *a = make(PA_ALG3, NULL, 23, &rng, NULL);
	struct pa_alloc *l;
	uint32_t same_laddr = 0, same_rport = 0, same_raddr = 0;

	(void)state;
	l = make(PA_LINUX, NULL, 24, &rng, NULL);
	for (uint32_t d = 0; d < 20; d++) {
		struct pa_tuple base = dest(d, 443), other[3];
		uint32_t *count[3] = { &same_laddr, &same_rport, &same_raddr };

		other[0] = base; other[0].laddr[3] = 2;          /* another local address */
		other[1] = base; other[1].rport = 8443;          /* another remote port */
		other[2] = base; other[2].raddr[0] = 198;        /* another remote address */
		for (int k = 0; k < 3; k++) {
			struct pa_tuple x = base, y = other[k];
			uint32_t range = pa_get_config(a)->high - pa_get_config(a)->low;

			assert_int_equal(pa_connect(a, &rng, &x, 0, NULL, NULL, NULL), TC_OK);
			assert_int_equal(pa_close(a, &x, 0, PA_CLOSE_ABORT), TC_OK);
			assert_int_equal(pa_connect(a, &rng, &y, 0, NULL, NULL, NULL), TC_OK);
			assert_int_equal(pa_close(a, &y, 0, PA_CLOSE_ABORT), TC_OK);
			*count[k] += fwd(x.lport, y.lport, range) == 1;
			x = base; y = other[k];
			assert_true(pa_port_offset(l, &x, 0) != pa_port_offset(l, &y, 0));
		}
	}
	assert_true(same_laddr <= 1);
	assert_true(same_rport <= 1);
	assert_true(same_raddr <= 1);
	pa_destroy(l);
	pa_destroy(a);
}

/*
 * ALG4's G() is keyed by its own secret (secret_key2 in RFC 6056 3.3.4's
 * pseudo-code, key2 in portalloc.h), not F()'s: with key1 alone changed
 * every destination keeps its counter, with key2 changed they move.
 */
static void test_alg4_index_key(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg, c1, c2;
	struct pa_alloc *a, *b1, *b2;
	uint32_t moved1 = 0, moved2 = 0;

	(void)state;
	pa_rng_seed(&rng, 32);
	assert_int_equal(pa_config_default(&cfg, PA_ALG4, NULL, &rng), TC_OK);
	c1 = cfg;
	c1.key1.k0 ^= 1;
	c2 = cfg;
	c2.key2.k0 ^= 1;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	assert_int_equal(pa_create(&b1, &c1, &rng), TC_OK);
	assert_int_equal(pa_create(&b2, &c2, &rng), TC_OK);
	for (uint32_t d = 0; d < 100; d++) {
		struct pa_tuple t = dest(d, 443);

		moved1 += pa_bucket(a, &t, 0) != pa_bucket(b1, &t, 0);
		moved2 += pa_bucket(a, &t, 0) != pa_bucket(b2, &t, 0);
	}
	assert_int_equal(moved1, 0);
	assert_true(moved2 > 50);     /* 90 expected with 10 counters */
	pa_destroy(a);
	pa_destroy(b1);
	pa_destroy(b2);
}

struct veto_ports {
	uint32_t from, n, range, low;   /* ports low + (from + k) % range, k < n */
	uint32_t step;                  /* 1, or 2 for LINUX's one-parity scan */
};

static bool veto_some(void *ctx, const struct pa_tuple *t)
{
	const struct veto_ports *v = ctx;

	for (uint32_t k = 0; k < v->n; k++)
		if (t->lport == v->low + (v->from + k * v->step) % v->range)
			return true;
	return false;
}

/*
 * RFC 6056 3.3.3 and 3.3.4: the counter (next_ephemeral, table[index])
 * advances on every try, taken candidates included ("next_ephemeral++"
 * inside the loop), so after a connect that skipped k taken ports the next
 * one towards the destination starts k + 1 further on, and an exhausted
 * scan moves it by the whole range. Every connect closed at once.
 */
static void test_counter_every_try(void **state)
{
	static const enum pa_algo algs[] = { PA_ALG3, PA_ALG4 };

	(void)state;
	for (size_t j = 0; j < 2; j++) {
		struct pa_rng rng;
		struct pa_alloc *a = make_range(algs[j], 40000, 40100, 33 + j, &rng);
		struct pa_tuple t = dest(1, 443);
		struct veto_ports v = { .n = 0, .range = 100, .low = 40000, .step = 1 };
		uint32_t probes, prev;

		assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
		assert_int_equal(pa_close(a, &t, 0, PA_CLOSE_ABORT), TC_OK);
		prev = t.lport;
		for (uint32_t k = 1; k <= 5; k++) {
			/* the k ports after prev + 1 are taken: k + 1 tries */
			v.from = prev + 1 - 40000;
			v.n = k;
			t = dest(1, 443);
			assert_int_equal(pa_connect(a, &rng, &t, 0, veto_some, &v, &probes), TC_OK);
			assert_int_equal(probes, k + 1);
			assert_int_equal(fwd(prev, t.lport, 100), k + 1);
			assert_int_equal(pa_close(a, &t, 0, PA_CLOSE_ABORT), TC_OK);
			/* the next connect continues after the last try */
			prev = t.lport;
			t = dest(1, 443);
			assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
			assert_int_equal(fwd(prev, t.lport, 100), 1);
			assert_int_equal(pa_close(a, &t, 0, PA_CLOSE_ABORT), TC_OK);
			prev = t.lport;
		}
		/* an exhausted scan moves the counter by the range: 100 tries */
		v.from = 0;
		v.n = 100;
		t = dest(1, 443);
		assert_int_equal(pa_connect(a, &rng, &t, 0, veto_some, &v, &probes), TC_EXHAUSTED);
		assert_int_equal(probes, 100);
		t = dest(1, 443);
		assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
		assert_int_equal(fwd(prev, t.lport, 100), 1);
		pa_destroy(a);
	}
}

/*
 * LINUX: after a connect whose scan went i ports past the first candidate
 * (i = 2k when the k first candidates of low's parity are taken), the
 * perturbation entry advances by max(i, 2 * random(0..7)) + 2 (Linux:
 * i = max_t(int, i, get_random_u32_below(8) * 2); table_perturb[index] +=
 * i + 2), so the destination's next port is the first candidate moved by
 * that much. k from 1 (i = 2, below most draws) to 12 (i = 24, above all).
 */
static void test_linux_advance_after_scan(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a = make(PA_LINUX, NULL, 46, &rng, &cfg);
	uint32_t rem = (cfg.high - cfg.low) & ~1u, inc, below = 0, above = 0;
	uint16_t first;
	struct pa_tuple t = dest(1, 443);

	(void)state;
	first = linux_connect(a, &rng, &t, 0, &inc);
	first = (uint16_t)(cfg.low + (first - cfg.low + inc) % rem);  /* the next first candidate */
	for (uint32_t k = 1; k <= 12; k++) {
		struct veto_ports v = { .from = first - cfg.low, .n = k, .range = rem,
					.low = cfg.low, .step = 2 };
		struct pa_rng copy = rng;
		uint32_t jitter = pa_rng_below(&copy, 8) * 2, i = 2 * k, probes;

		t = dest(1, 443);
		assert_int_equal(pa_connect(a, &rng, &t, 0, veto_some, &v, &probes), TC_OK);
		assert_int_equal(probes, k + 1);
		assert_int_equal(fwd(first, t.lport, rem), i);
		assert_int_equal(pa_close(a, &t, 0, PA_CLOSE_ABORT), TC_OK);
		below += i < jitter;
		above += i > jitter;
		first = (uint16_t)(cfg.low + (first - cfg.low + (i > jitter ? i : jitter) + 2) % rem);
		t = dest(1, 443);
		assert_int_equal(linux_connect(a, &rng, &t, 0, &inc), first);
		first = (uint16_t)(cfg.low + (first - cfg.low + inc) % rem);
	}
	assert_true(below > 0 && above > 0);   /* both sides of the max() were taken */
	pa_destroy(a);
}

/*
 * LINUX over two ports: the other parity pass runs whenever the range has
 * more than one port (Linux: if ((offset & 1) && remaining > 1)), so the
 * second connect gets the odd port; a one-port range has one pass.
 */
static void test_linux_tiny_ranges(void **state)
{
	struct pa_rng rng;
	struct pa_alloc *a = make_range(PA_LINUX, 40000, 40002, 47, &rng);
	struct pa_tuple t;
	uint32_t probes;

	(void)state;
	t = dest(1, 443);
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t.lport, 40000);
	t = dest(1, 443);
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, &probes), TC_OK);
	assert_int_equal(t.lport, 40001);
	assert_int_equal(probes, 2);
	t = dest(1, 443);
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, &probes), TC_EXHAUSTED);
	assert_int_equal(probes, 2);
	pa_destroy(a);

	a = make_range(PA_LINUX, 40001, 40002, 47, &rng);
	t = dest(1, 443);
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t.lport, 40001);
	t = dest(1, 443);
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, &probes), TC_EXHAUSTED);
	assert_int_equal(probes, 1);
	pa_destroy(a);
}

/*
 * The model clock never goes back (portalloc.h): a close given a time
 * before the latest one seen starts its TIME_WAIT at the model's clock, so
 * the port stays taken for 2*MSL from then, not from the stale time.
 */
static void test_close_stale_time(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a = make(PA_LEGACY, NULL, 14, &rng, &cfg);
	struct pa_tuple t1 = dest(1, 80), t2;

	(void)state;
	assert_int_equal(pa_connect(a, &rng, &t1, 100 * SEC, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t1.lport, 1025);
	assert_int_equal(pa_close(a, &t1, 0, PA_CLOSE_ACTIVE), TC_OK);   /* stale: taken as 100 s */
	t2 = dest(2, 80);
	assert_int_equal(pa_connect(a, &rng, &t2, 100 * SEC + cfg.time_wait_ns - 1, NULL, NULL, NULL),
			 TC_OK);
	assert_int_equal(t2.lport, 1026);
	assert_int_equal(pa_close(a, &t2, 0, PA_CLOSE_ABORT), TC_OK);
	t2 = dest(3, 80);
	assert_int_equal(pa_connect(a, &rng, &t2, 100 * SEC + cfg.time_wait_ns, NULL, NULL, NULL),
			 TC_OK);
	assert_int_equal(t2.lport, 1025);
	pa_destroy(a);
}

/*
 * A close near the end of the 64-bit clock: its TIME_WAIT deadline is
 * past what the clock can hold, so it saturates (ends at UINT64_MAX)
 * instead of wrapping to a time long gone and freeing the port at once.
 */
static void test_time_wait_end_of_clock(void **state)
{
	struct pa_rng rng;
	struct pa_alloc *a = make(PA_LEGACY, NULL, 20, &rng, NULL);
	struct pa_tuple t = dest(1, 80);
	uint64_t late = UINT64_MAX - 10 * SEC;

	(void)state;
	assert_int_equal(pa_connect(a, &rng, &t, late, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t.lport, 1025);
	assert_int_equal(pa_close(a, &t, late, PA_CLOSE_ACTIVE), TC_OK);
	t = dest(2, 80);
	assert_int_equal(pa_connect(a, &rng, &t, late + 1, NULL, NULL, NULL), TC_OK);
	assert_int_equal(t.lport, 1026);
	assert_int_equal(pa_time_wait_count(a), 1);
	pa_destroy(a);
}

/*
 * TC_NOMEM only when every slot is live or in an unexpired TIME_WAIT: a
 * connect after 2*MSL finds the slots of the ended TIME_WAITs free again
 * (portalloc.h: "all max_conns slots hold live or TIME_WAIT connections").
 */
static void test_nomem_time_wait(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a;
	struct pa_tuple t[2];

	(void)state;
	pa_rng_seed(&rng, 15);
	assert_int_equal(pa_config_default(&cfg, PA_ALG1, NULL, &rng), TC_OK);
	cfg.max_conns = 2;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	for (uint32_t i = 0; i < 2; i++) {
		t[i] = dest(i, 80);
		assert_int_equal(pa_connect(a, &rng, &t[i], 0, NULL, NULL, NULL), TC_OK);
		assert_int_equal(pa_close(a, &t[i], 0, PA_CLOSE_ACTIVE), TC_OK);
	}
	t[0] = dest(5, 80);
	assert_int_equal(pa_connect(a, &rng, &t[0], cfg.time_wait_ns - 1, NULL, NULL, NULL), TC_NOMEM);
	t[0] = dest(5, 80);
	assert_int_equal(pa_connect(a, &rng, &t[0], cfg.time_wait_ns, NULL, NULL, NULL), TC_OK);
	assert_int_equal(pa_time_wait_count(a), 0);
	pa_destroy(a);
}

/*
 * The 4-tuple includes the remote port: connections to two services of one
 * host share a local port (a one-port range), each is closed on its own,
 * and TIME_WAIT on one leaves the other service's tuple free.
 */
static void test_tuple_remote_port(void **state)
{
	struct pa_rng rng;
	struct pa_alloc *a = make_range(PA_ALG1, 40000, 40001, 16, &rng);
	struct pa_tuple web = dest(1, 80), tls = dest(1, 443), again;

	(void)state;
	assert_int_equal(pa_connect(a, &rng, &web, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(pa_connect(a, &rng, &tls, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(web.lport, 40000);
	assert_int_equal(tls.lport, 40000);
	assert_int_equal(pa_close(a, &tls, 0, PA_CLOSE_ACTIVE), TC_OK);
	assert_true(pa_is_tuple_in_use(a, &web));
	assert_int_equal(pa_live_count(a), 1);
	assert_int_equal(pa_close(a, &web, 0, PA_CLOSE_ABORT), TC_OK);
	again = dest(1, 80);
	assert_int_equal(pa_connect(a, &rng, &again, 0, NULL, NULL, NULL), TC_OK);
	again = dest(1, 443);
	assert_int_equal(pa_connect(a, &rng, &again, 0, NULL, NULL, NULL), TC_EXHAUSTED);
	pa_destroy(a);
}

/*
 * ALG2 gives up after max_attempts draws when set (portalloc.h), a
 * failure leaves t->lport 0 whatever the caller had in it, and the
 * configuration refuses a zero N for ALG5 and a zero table for ALG4.
 */
static void test_alg2_attempts_and_config(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a;
	struct pa_tuple t = dest(1, 80);
	uint32_t calls = 0, probes;

	(void)state;
	pa_rng_seed(&rng, 17);
	assert_int_equal(pa_config_default(&cfg, PA_ALG2, NULL, &rng), TC_OK);
	cfg.max_attempts = 3;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	t.lport = 50000;                           /* stale from an earlier use */
	assert_int_equal(pa_connect(a, &rng, &t, 0, always_taken, &calls, &probes), TC_EXHAUSTED);
	assert_int_equal(probes, 3);
	assert_int_equal(calls, 3);
	assert_int_equal(t.lport, 0);
	pa_destroy(a);

	assert_int_equal(pa_config_default(&cfg, PA_ALG5, NULL, &rng), TC_OK);
	cfg.increment_n = 0;
	a = (struct pa_alloc *)&cfg;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_MALFORMED);
	assert_null(a);
	assert_int_equal(pa_config_default(&cfg, PA_ALG4, NULL, &rng), TC_OK);
	cfg.table_len = 0;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_MALFORMED);
}

/*
 * LINUX queries at a time before the model's clock answer for the clock,
 * as a connect would (it clamps time the same way): the bucket and
 * port_offset of the period the model is in, not of the stale one.
 */
static void test_linux_query_stale_time(void **state)
{
	struct pa_rng rng;
	struct pa_alloc *a = make(PA_LINUX, NULL, 48, &rng, NULL);
	uint32_t moved = 0;

	(void)state;
	pa_advance(a, 35 * SEC);
	for (uint32_t d = 0; d < 20; d++) {
		struct pa_tuple t = dest(d, 443);

		assert_int_equal(pa_bucket(a, &t, 0), pa_bucket(a, &t, 35 * SEC));
		assert_true(pa_port_offset(a, &t, 0) == pa_port_offset(a, &t, 35 * SEC));
		moved += pa_bucket(a, &t, 45 * SEC) != pa_bucket(a, &t, 35 * SEC);
	}
	assert_true(moved > 15);                  /* and later times still move */
	pa_destroy(a);
}

/*
 * An active close with a zero TIME_WAIT (time_wait_ns = 0) frees the tuple
 * at once: now + 0 has already come.
 */
static void test_zero_time_wait(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a;
	struct pa_tuple t = dest(1, 80);

	(void)state;
	pa_rng_seed(&rng, 18);
	assert_int_equal(pa_config_default(&cfg, PA_LEGACY, NULL, &rng), TC_OK);
	cfg.time_wait_ns = 0;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	assert_int_equal(pa_connect(a, &rng, &t, 5 * SEC, NULL, NULL, NULL), TC_OK);
	assert_int_equal(pa_close(a, &t, 5 * SEC, PA_CLOSE_ACTIVE), TC_OK);
	assert_int_equal(pa_time_wait_count(a), 0);
	assert_int_equal(pa_port_users(a, 1025), 0);
	assert_int_equal(pa_bind(a, 1025, 5 * SEC), TC_OK);
	pa_destroy(a);
}

/*
 * bind() on a port whose TIME_WAIT has just run out succeeds, with no
 * other call in between to move the clock: pa_bind takes the time it is
 * given (EADDRINUSE only while the connection still holds the port).
 */
static void test_bind_after_time_wait(void **state)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a = make(PA_ALG1, NULL, 19, &rng, &cfg);
	struct pa_tuple t = dest(1, 80);

	(void)state;
	assert_int_equal(pa_connect(a, &rng, &t, 0, NULL, NULL, NULL), TC_OK);
	assert_int_equal(pa_close(a, &t, 0, PA_CLOSE_ACTIVE), TC_OK);
	assert_int_equal(pa_bind(a, t.lport, cfg.time_wait_ns - 1), TC_EXHAUSTED);
	assert_int_equal(pa_bind(a, t.lport, cfg.time_wait_ns), TC_OK);
	assert_int_equal(pa_time_wait_count(a), 0);
	pa_destroy(a);
}

/* ---- determinism ---- */

static void run_script(enum pa_algo algo, uint64_t seed, uint16_t out[200])
{
	struct pa_rng rng;
	struct pa_alloc *a = make(algo, NULL, seed, &rng, NULL);

	for (uint32_t i = 0; i < 200; i++) {
		struct pa_tuple t = dest(i % 7, 443);

		assert_int_equal(pa_connect(a, &rng, &t, i * 100 * MS, NULL, NULL, NULL), TC_OK);
		out[i] = t.lport;
		if (i % 3 == 0)
			assert_int_equal(pa_close(a, &t, i * 100 * MS, PA_CLOSE_ACTIVE), TC_OK);
	}
	pa_destroy(a);
}

static void test_determinism(void **state)
{
	static uint16_t x[200], y[200];

	(void)state;
	for (int al = 0; al < PA__COUNT; al++) {
		run_script((enum pa_algo)al, 77, x);
		run_script((enum pa_algo)al, 77, y);
		assert_memory_equal(x, y, sizeof(x));
		if (al != PA_LEGACY) {   /* every other model depends on its secrets */
			run_script((enum pa_algo)al, 78, y);
			assert_memory_not_equal(x, y, sizeof(x));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_legacy_config),
		cmocka_unit_test(test_churn_all),
		cmocka_unit_test(test_legacy_reference),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_exhaustion_top),
		cmocka_unit_test(test_time_wait),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_nomem),
		cmocka_unit_test(test_alg3_per_destination),
		cmocka_unit_test(test_alg4_buckets),
		cmocka_unit_test(test_linux),
		cmocka_unit_test(test_linux_hash),
		cmocka_unit_test(test_linux_buckets),
		cmocka_unit_test(test_linux_offset),
		cmocka_unit_test(test_linux_resalt),
		cmocka_unit_test(test_alg5),
		cmocka_unit_test(test_distribution_small),
		cmocka_unit_test(test_distribution_linux_range),
		cmocka_unit_test(test_random_draws),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_hash_inputs),
		cmocka_unit_test(test_alg4_index_key),
		cmocka_unit_test(test_counter_every_try),
		cmocka_unit_test(test_linux_advance_after_scan),
		cmocka_unit_test(test_linux_tiny_ranges),
		cmocka_unit_test(test_close_stale_time),
		cmocka_unit_test(test_time_wait_end_of_clock),
		cmocka_unit_test(test_nomem_time_wait),
		cmocka_unit_test(test_tuple_remote_port),
		cmocka_unit_test(test_alg2_attempts_and_config),
		cmocka_unit_test(test_linux_query_stale_time),
		cmocka_unit_test(test_zero_time_wait),
		cmocka_unit_test(test_bind_after_time_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
