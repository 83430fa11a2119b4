/*
 * test_flowtable.c - the keyed flow table: canonical keys, insert, find,
 * remove, the hard cap, free-list reuse (memory follows live entries),
 * activity lists, incremental growth (every entry findable at every step,
 * bounded rehash work per operation) and a hash-flooding attempt: tuples
 * crafted so that a sum-of-fields hash puts all of them in one bucket must
 * keep every lookup short under the keyed hash. Work is measured by counting
 * the entries each lookup compares, never by timing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flowtable.h"

struct item {
	struct ft_entry h;
	uint32_t tag;
};

static const struct siphash_key key1 = { UINT64_C(0x0123456789abcdef), UINT64_C(0xfedcba9876543210) };
static const struct siphash_key key2 = { 1, 2 };

/* tuple number n: 10.(n>>16).(n>>8).n:(1000+n%5000) -> 192.0.2.1:80 */
static void tuple(uint32_t n, struct ft_key *k, unsigned *side)
{
	uint8_t s[16] = { 10, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
	uint8_t d[16] = { 192, 0, 2, 1 };

	ft_key_make(k, 6, 4, s, (uint16_t)(1000 + n % 5000), d, 80, side);
}

static struct item *add(struct flowtable *t, uint32_t n)
{
	struct ft_key k;
	struct ft_entry *e;
	unsigned side;

	tuple(n, &k, &side);
	assert_int_equal(ft_insert(t, &k, ft_hash(t, &k), &e), TC_OK);
	((struct item *)(void *)e)->tag = n;
	return (struct item *)(void *)e;
}

static struct item *find(struct flowtable *t, uint32_t n)
{
	struct ft_key k;
	unsigned side;

	tuple(n, &k, &side);
	return (struct item *)(void *)ft_find(t, &k, ft_hash(t, &k));
}

static void test_canonical_key(void **state)
{
	uint8_t a[16] = { 10, 0, 0, 1 }, b[16] = { 10, 0, 0, 2 };
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct ft_key k1, k2, k3;
	unsigned s1, s2, s3;

	(void)state;
	ft_key_make(&k1, 6, 4, a, 40000, b, 80, &s1);
	ft_key_make(&k2, 6, 4, b, 80, a, 40000, &s2);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_int_equal(s1, 0);
	assert_int_equal(s2, 1);
	assert_memory_equal(k1.addr[0], a, 16);
	assert_int_equal(k1.port[0], 40000);
	/* equal addresses: the smaller port first; identical endpoints: side 0 */
	ft_key_make(&k3, 17, 4, a, 9, a, 8, &s3);
	assert_int_equal(s3, 1);
	assert_int_equal(k3.port[0], 8);
	ft_key_make(&k3, 17, 4, a, 9, a, 9, &s3);
	assert_int_equal(s3, 0);
	/* protocol and version are part of the key */
	ft_key_make(&k2, 17, 4, a, 40000, b, 80, &s2);
	assert_memory_not_equal(&k1, &k2, FT_KEY_BYTES);
	ft_key_make(&k3, 6, 6, v6, 40000, b, 80, &s3);
	assert_memory_not_equal(&k1, &k3, FT_KEY_BYTES);
}

static void test_insert_find_remove(void **state)
{
	struct flowtable t;

	(void)state;
	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	for (uint32_t n = 0; n < 5000; n++)
		add(&t, n);
	assert_int_equal(t.count, 5000);
	for (uint32_t n = 0; n < 5000; n++) {
		struct item *it = find(&t, n);

		assert_non_null(it);
		assert_int_equal(it->tag, n);
	}
	assert_null(find(&t, 5000));
	for (uint32_t n = 0; n < 5000; n += 2)
		ft_remove(&t, &find(&t, n)->h);
	assert_int_equal(t.count, 2500);
	for (uint32_t n = 0; n < 5000; n++) {
		if (n % 2)
			assert_int_equal(find(&t, n)->tag, n);
		else
			assert_null(find(&t, n));
	}
	ft_destroy(&t);
}

/* Both directions of a tuple find the same entry. */
static void test_both_directions(void **state)
{
	struct flowtable t;
	uint8_t a[16] = { 10, 0, 0, 1 }, b[16] = { 10, 0, 0, 2 };
	struct ft_key k;
	struct ft_entry *e, *f;
	unsigned side;

	(void)state;
	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	ft_key_make(&k, 6, 4, a, 1234, b, 80, &side);
	assert_int_equal(ft_insert(&t, &k, ft_hash(&t, &k), &e), TC_OK);
	ft_key_make(&k, 6, 4, b, 80, a, 1234, &side);
	f = ft_find(&t, &k, ft_hash(&t, &k));
	assert_ptr_equal(e, f);
	ft_destroy(&t);
}

static void test_cap_exhausted(void **state)
{
	struct flowtable t;
	struct ft_key k;
	struct ft_entry *e;
	unsigned side;

	(void)state;
	assert_int_equal(ft_init(&t, sizeof(struct item), 10, &key1), TC_OK);
	for (uint32_t n = 0; n < 10; n++)
		add(&t, n);
	tuple(10, &k, &side);
	assert_int_equal(ft_insert(&t, &k, ft_hash(&t, &k), &e), TC_EXHAUSTED);
	assert_null(e);
	assert_int_equal(t.count, 10);
	ft_remove(&t, &find(&t, 3)->h);
	assert_int_equal(ft_insert(&t, &k, ft_hash(&t, &k), &e), TC_OK);
	ft_destroy(&t);
	/* an entry size below the header is refused */
	assert_int_equal(ft_init(&t, sizeof(struct ft_entry) - 1, 10, &key1), TC_MALFORMED);
}

/* Churn through 100000 tuples with at most 100 live: the pool never grows
 * past what the live entries need (memory follows live flows, not history). */
static void test_free_list_reuse(void **state)
{
	struct flowtable t;
	size_t mem_after_first;

	(void)state;
	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	for (uint32_t n = 0; n < 100; n++)
		add(&t, n);
	mem_after_first = ft_memory(&t);
	for (uint32_t n = 100; n < 100000; n++) {
		ft_remove(&t, &find(&t, n - 100)->h);
		add(&t, n);
	}
	assert_int_equal(t.count, 100);
	assert_true(t.n_used <= 101);
	assert_true(ft_memory(&t) == mem_after_first);
	ft_destroy(&t);
}

/* The pool starts with a 16-entry chunk and doubles up to full chunks of
 * 2^FT_CHUNK_SHIFT: a one-flow table holds a few KiB, and across every
 * chunk boundary (16, 32, ..., 4096, 8192, ...) each entry stays where it
 * was put, distinct from every other, and ft_entry_at agrees with the
 * table's links. */
static void test_pool_chunks(void **state)
{
	enum { N = 3 * (1 << FT_CHUNK_SHIFT) + 5 };
	struct flowtable t;
	struct item **it = calloc(N, sizeof(*it));
	size_t one, full = 0;

	(void)state;
	assert_non_null(it);
	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	add(&t, 0);
	one = ft_memory(&t);
	assert_true(one < ((size_t)1 << FT_CHUNK_MIN_SHIFT) * sizeof(struct item) + 4096);
	ft_destroy(&t);

	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	for (uint32_t n = 0; n < N; n++) {
		it[n] = add(&t, n);
		/* the entry just handed out is the last index used */
		assert_ptr_equal(ft_entry_at(&t, t.n_used), &it[n]->h);
		if (n + 1 == (1u << FT_CHUNK_SHIFT))  /* less the lookup cache's slots */
			full = ft_memory(&t) - (size_t)(t.cache_mask + 1) * sizeof(*t.cache);
	}
	for (uint32_t n = 0; n < N; n++) {
		assert_ptr_equal(find(&t, n), it[n]);
		assert_int_equal(it[n]->tag, n);
		/* entries do not overlap: each one's successor starts after it */
		if (n > 0 && (uintptr_t)it[n] > (uintptr_t)it[n - 1])
			assert_true((uintptr_t)it[n] - (uintptr_t)it[n - 1] >= sizeof(struct item));
	}
	for (uint32_t idx = 1; idx <= t.n_used; idx++)
		assert_int_equal(((struct item *)(void *)ft_entry_at(&t, idx))->tag, idx - 1);
	assert_null(ft_entry_at(&t, t.n_used + 1));
	/* small chunks add up to exactly one full chunk's worth */
	assert_true(full - ((size_t)1 << FT_CHUNK_SHIFT) * sizeof(struct item) < 64 * 1024);
	ft_destroy(&t);
	free(it);
}

static void test_lists(void **state)
{
	struct flowtable t;
	struct item *it[5];
	struct ft_entry *x;
	uint32_t order[5], n = 0;

	(void)state;
	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	for (uint32_t i = 0; i < 5; i++) {
		it[i] = add(&t, i);
		ft_list_put(&t, &it[i]->h, 1);
	}
	ft_list_put(&t, &it[1]->h, 1);      /* 1 becomes the newest */
	ft_list_put(&t, &it[3]->h, 2);      /* 3 moves to another list */
	ft_remove(&t, &it[0]->h);            /* removal unlinks */
	for (x = ft_list_head(&t, 1); x != NULL; x = ft_list_next(&t, x))
		order[n++] = ((struct item *)(void *)x)->tag;
	assert_int_equal(n, 3);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 4);
	assert_int_equal(order[2], 1);
	assert_int_equal(((struct item *)(void *)ft_list_head(&t, 2))->tag, 3);
	assert_null(ft_list_next(&t, ft_list_head(&t, 2)));
	assert_int_equal(t.lists[1].count, 3);
	assert_null(ft_list_head(&t, 0));
	assert_null(ft_list_head(&t, FT_LISTS));
	ft_destroy(&t);
}

/* Growth is incremental: while the bucket array doubles, every entry stays
 * findable, and no operation moves more than a few chains. */
static void test_incremental_growth(void **state)
{
	struct flowtable t;
	uint32_t n, seen_rehashing = 0;

	(void)state;
	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	for (n = 0; n < 200000; n++) {
		add(&t, n);
		if (t.rehashing) {
			seen_rehashing++;
			/* look up an older entry and the newest one mid-rehash */
			assert_int_equal(find(&t, n / 2)->tag, n / 2);
			assert_int_equal(find(&t, n)->tag, n);
		}
	}
	assert_true(seen_rehashing > 1000);
	/* 64 doubles to 8192 (7 grows), jumps to 131072 once the table is big
	 * (maybe_grow), then doubles to 262144: 9 grows */
	assert_int_equal(t.st.grows, 9);
	assert_true(t.st.max_rehash_work <= 40);
	/* load stays between 1/2 and 1 after the jump */
	assert_int_equal(t.nbuckets[0], 262144);
	for (n = 0; n < 200000; n++)
		assert_int_equal(find(&t, n)->tag, n);
	ft_destroy(&t);
}

/* The lookup cache comes with the 256th entry, not before: a table of a
 * few flows (one fuzz input's) never allocates its 64 KiB. */
static void test_cache_threshold(void **state)
{
	struct flowtable t;
	uint32_t n;

	(void)state;
	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	for (n = 0; n < 255; n++)
		add(&t, n);
	assert_null(t.cache);
	add(&t, 255);
	assert_non_null(t.cache);
	for (n = 0; n < 256; n++)
		assert_int_equal(find(&t, n)->tag, n);
	ft_destroy(&t);
}

/* A table capped below the jump's size only doubles: 20000 entries under a
 * cap of 30000 end in 32768 buckets, never 131072. */
static void test_growth_capped(void **state)
{
	struct flowtable t;
	uint32_t n;

	(void)state;
	assert_int_equal(ft_init(&t, sizeof(struct item), 30000, &key1), TC_OK);
	for (n = 0; n < 20000; n++)
		add(&t, n);
	while (t.rehashing)
		assert_non_null(find(&t, 0));
	assert_int_equal(t.nbuckets[0], 32768);
	assert_int_equal(t.st.grows, 9);
	for (n = 0; n < 20000; n++)
		assert_int_equal(find(&t, n)->tag, n);
	ft_destroy(&t);
}

/* Hash flooding: 65536 tuples whose fields all add up to the same number
 * (src 10.0.i.j, sport 40000 - i - j, fixed destination), so a hash that
 * sums fields sends every one of them to one bucket. Under the keyed hash
 * the longest lookup compares only a handful of entries. */
static uint32_t sum_hash(const struct ft_key *k)
{
	uint32_t s = k->port[0] + k->port[1] + k->proto;

	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 16; j++)
			s += k->addr[i][j];
	return s;
}

static void crafted(uint32_t n, struct ft_key *k)
{
	uint8_t s[16] = { 10, 0, (uint8_t)(n >> 8), (uint8_t)n };
	uint8_t d[16] = { 192, 0, 2, 1 };
	unsigned side;

	ft_key_make(k, 6, 4, s, (uint16_t)(40000 - (n >> 8) - (n & 0xff)), d, 80, &side);
}

static void test_collisions_bounded(void **state)
{
	const struct siphash_key *keys[2] = { &key1, &key2 };

	(void)state;
	for (int ki = 0; ki < 2; ki++) {
		struct flowtable t;
		struct ft_key k;
		struct ft_entry *e;
		uint32_t n, first = 0;

		assert_int_equal(ft_init(&t, sizeof(struct item), 0, keys[ki]), TC_OK);
		for (n = 0; n < 65536; n++) {
			crafted(n, &k);
			if (n == 0)
				first = sum_hash(&k);
			assert_int_equal(sum_hash(&k), first);   /* the set is adversarial */
			/* the engine's pattern: look up, then insert when absent */
			assert_null(ft_find(&t, &k, ft_hash(&t, &k)));
			assert_int_equal(ft_insert(&t, &k, ft_hash(&t, &k), &e), TC_OK);
		}
		for (n = 0; n < 65536; n++) {
			crafted(n, &k);
			assert_non_null(ft_find(&t, &k, ft_hash(&t, &k)));
		}
		/* a sum hash would compare up to 65535 entries per lookup */
		if (t.st.max_probes > 12)
			fail_msg("key %d: a lookup compared %u entries", ki, t.st.max_probes);
		assert_true(t.st.probes / t.st.lookups <= 2);
		assert_true(t.st.max_rehash_work <= 40);
		ft_destroy(&t);
	}
}

/* The key changes where tuples land, never what is found. */
/* ft_clear in the middle of a rehash, with the lookup cache on: the table is
 * empty (no key found, lists empty, count 0), then takes the same number of
 * entries again in the memory it already holds, every one findable through
 * ft_lookup and ft_find. */
static void test_clear(void **state)
{
	struct flowtable t;
	struct ft_key k;
	uint32_t i, n = 20000, h;
	size_t mem;
	unsigned side, l;
	bool saw_rehash = false;

	(void)state;
	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	for (i = 0; i < n; i++) {
		ft_list_put(&t, &add(&t, i)->h, i % FT_LISTS);
		saw_rehash |= t.rehashing;
	}
	assert_true(saw_rehash);
	/* stop half way through a doubling: insert until a rehash is running */
	while (!t.rehashing)
		ft_list_put(&t, &add(&t, n++)->h, 0);
	assert_non_null(t.cache);
	mem = ft_memory(&t);
	ft_clear(&t);
	assert_int_equal(t.count, 0);
	assert_false(t.rehashing);
	for (l = 0; l < FT_LISTS; l++) {
		assert_null(ft_list_head(&t, l));
		assert_int_equal(t.lists[l].count, 0);
	}
	for (i = 0; i < n; i += 97) {
		tuple(i, &k, &side);
		assert_null(ft_lookup(&t, &k, &h));
		assert_null(find(&t, i));
	}
	assert_true(ft_memory(&t) <= mem);
	for (i = 0; i < n; i++)
		ft_list_put(&t, &add(&t, i + 1000000)->h, 1);
	assert_int_equal(t.count, n);
	assert_int_equal(t.lists[1].count, n);
	for (i = 0; i < n; i++) {
		struct item *it;

		tuple(i + 1000000, &k, &side);
		it = (struct item *)(void *)ft_lookup(&t, &k, &h);
		assert_non_null(it);
		assert_int_equal(it->tag, i + 1000000);
		assert_ptr_equal(find(&t, i + 1000000), it);
	}
	/* the chunks were reused: no more entry memory than before the clear
	 * (a doubling of the bucket array may have started again) */
	assert_true(ft_memory(&t) <= mem + (size_t)t.nbuckets[1] * sizeof(uint32_t));
	ft_destroy(&t);
}

static void test_key_independence(void **state)
{
	struct flowtable a, b;
	struct ft_key k;
	unsigned side, differ = 0;

	(void)state;
	assert_int_equal(ft_init(&a, sizeof(struct item), 0, &key1), TC_OK);
	assert_int_equal(ft_init(&b, sizeof(struct item), 0, &key2), TC_OK);
	for (uint32_t n = 0; n < 1000; n++) {
		tuple(n, &k, &side);
		differ += ft_hash(&a, &k) != ft_hash(&b, &k);
		add(&a, n);
		add(&b, n);
	}
	assert_true(differ > 990);
	for (uint32_t n = 0; n < 1000; n++)
		assert_int_equal(find(&a, n)->tag, find(&b, n)->tag);
	ft_destroy(&a);
	ft_destroy(&b);
}

/* Activity lists against a model, through many moves: every entry carries
 * the list it was last put on and a stamp that grows with each put, so a
 * list must hold exactly its entries in stamp order, with matching back
 * links, head, tail and count. Puts come right after ft_lookup (the entry
 * handed out last: ft_list_put's fast path) and on other entries (its
 * plain path), to the same list, to other lists and to no valid list,
 * with removals and reinsertions in between; 12000 entries, so entries
 * live in the small chunks and in full chunks and the lookup cache is on. */
#define LM_N 12000u
static uint64_t lm_rng = UINT64_C(0x9e3779b97f4a7c15);

static uint32_t lm_rand(void)
{
	lm_rng ^= lm_rng << 13;
	lm_rng ^= lm_rng >> 7;
	lm_rng ^= lm_rng << 17;
	return (uint32_t)(lm_rng >> 16);
}

static void lm_check(struct flowtable *t, struct item **ptr, const uint8_t *mlist,
		     const uint64_t *mstamp)
{
	uint32_t want[FT_LISTS] = { 0 };

	for (uint32_t n = 0; n < LM_N; n++)
		if (ptr[n] != NULL && mlist[n] < FT_LISTS)
			want[mlist[n]]++;
	for (unsigned l = 0; l < FT_LISTS; l++) {
		const struct ft_entry *prev = NULL, *x;
		uint32_t n = 0;
		uint64_t last = 0;

		for (x = ft_list_head(t, l); x != NULL; x = ft_list_next(t, x)) {
			uint32_t tag = ((const struct item *)(const void *)x)->tag;

			assert_ptr_equal(ptr[tag], x);
			assert_int_equal(mlist[tag], l);
			assert_int_equal(x->list, l);
			assert_true(mstamp[tag] > last);
			last = mstamp[tag];
			assert_ptr_equal(ft_entry_at(t, x->lprev), prev);
			prev = x;
			n++;
			assert_true(n <= want[l]);
		}
		assert_int_equal(n, want[l]);
		assert_int_equal(t->lists[l].count, want[l]);
		assert_ptr_equal(ft_entry_at(t, t->lists[l].tail), prev);
		assert_ptr_equal(t->lists[l].tail_e, prev);
	}
}

static void test_lists_model(void **state)
{
	struct flowtable t;
	struct item **ptr = calloc(LM_N, sizeof(*ptr));
	uint8_t *mlist = calloc(LM_N, 1);
	uint64_t *mstamp = calloc(LM_N, sizeof(*mstamp)), clock = 0;
	unsigned fast = 0;

	(void)state;
	assert_non_null(ptr);
	assert_non_null(mlist);
	assert_non_null(mstamp);
	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	for (uint32_t step = 0; step < 300000; step++) {
		uint32_t r = lm_rand(), n = r % LM_N, op = (r >> 16) % 16;
		unsigned list = (r >> 20) % FT_LISTS;
		struct ft_key k;
		struct ft_entry *e;
		uint32_t h;
		unsigned side;

		if (ptr[n] == NULL) {
			ptr[n] = add(&t, n);
			mlist[n] = FT_NO_LIST;
			if (op < 12) {
				ft_list_put(&t, &ptr[n]->h, list);
				mlist[n] = (uint8_t)list;
				mstamp[n] = ++clock;
			}
		} else if (op == 0) {
			ft_remove(&t, &ptr[n]->h);
			ptr[n] = NULL;
		} else if (op <= 12) {
			uint64_t lookups = t.st.lookups, probes = t.st.probes;

			tuple(n, &k, &side);
			e = ft_lookup(&t, &k, &h);
			assert_ptr_equal(e, &ptr[n]->h);
			assert_int_equal(h, ft_hash(&t, &k));
			/* one lookup counted, with the entries it looked at */
			assert_int_equal(t.st.lookups, lookups + 1);
			assert_true(t.st.last_probes >= 1);
			assert_int_equal(t.st.probes, probes + t.st.last_probes);
			assert_true(t.st.max_probes >= t.st.last_probes);
			assert_ptr_equal(t.last_e, e);
			if (op <= 9 && mlist[n] < FT_LISTS) {
				list = mlist[n];        /* same list: the usual move */
				fast++;
			}
			ft_list_put(&t, e, list);
			mlist[n] = (uint8_t)list;
			mstamp[n] = ++clock;
		} else if (op <= 14) {
			/* not the entry handed out last */
			ft_list_put(&t, &ptr[n]->h, list);
			mlist[n] = (uint8_t)list;
			mstamp[n] = ++clock;
		} else {
			tuple(n, &k, &side);
			e = ft_lookup(&t, &k, &h);
			ft_list_put(&t, e, FT_LISTS);   /* no such list: no change */
		}
		if (step % 9973 == 0)
			lm_check(&t, ptr, mlist, mstamp);
	}
	lm_check(&t, ptr, mlist, mstamp);
	assert_non_null(t.cache);
	assert_true(fast > 100000);
	ft_destroy(&t);
	free(ptr);
	free(mlist);
	free(mstamp);
}

/* The whole key is compared: a key that differs from an entry's in any one
 * of its FT_KEY_BYTES bytes is not that entry, even when the caller's hash
 * is the entry's (so the comparison, not the hash, must tell them apart). */
static void test_key_compared_whole(void **state)
{
	struct flowtable t;
	struct ft_key k, v;
	struct ft_entry *e;
	uint8_t a[16], b[16];
	unsigned side;
	uint32_t h;

	(void)state;
	for (unsigned i = 0; i < 16; i++) {
		a[i] = (uint8_t)(0x20 + i * 7);
		b[i] = (uint8_t)(0x90 + i * 3);
	}
	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	for (unsigned ver = 4; ver <= 6; ver += 2) {
		ft_key_make(&k, ver == 4 ? 17 : 6, (uint8_t)ver, a, 4242, b, 53, &side);
		h = ft_hash(&t, &k);
		assert_int_equal(ft_insert(&t, &k, h, &e), TC_OK);
		for (unsigned byte = 0; byte < FT_KEY_BYTES; byte++) {
			for (unsigned bit = 0; bit < 8; bit++) {
				memcpy(&v, &k, sizeof(v));
				((uint8_t *)&v)[byte] ^= (uint8_t)(1u << bit);
				assert_null(ft_find(&t, &v, h));
			}
		}
		assert_ptr_equal(ft_find(&t, &k, h), e);
	}
	ft_destroy(&t);
}

/* ft_key_make's order is memcmp's on the 16 address bytes, then the port,
 * wherever the addresses first differ (in the first or the second 8-byte
 * word, in a high or a low bit), and the key holds exactly the inputs. */
static void test_key_make_order(void **state)
{
	(void)state;
	for (unsigned pos = 0; pos <= 16; pos++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			for (unsigned swap = 0; swap < 4; swap++) {
				uint8_t a[16], b[16];
				uint16_t pa = (swap & 2) ? 80 : 443, pb = (swap & 2) ? 443 : 80;
				struct ft_key k;
				unsigned side, want;
				int c;

				for (unsigned i = 0; i < 16; i++)
					a[i] = b[i] = (uint8_t)(0x35 * i + pos);
				if (pos < 16) {
					a[pos] = (uint8_t)(a[pos] & ~(1u << bit));
					b[pos] = (uint8_t)(b[pos] | (1u << bit));
					/* bytes after the first difference pull the other way */
					for (unsigned i = pos + 1; i < 16; i++)
						a[i] = 0xff, b[i] = 0;
				}
				if (swap & 1)
					ft_key_make(&k, 6, 6, b, pb, a, pa, &side);
				else
					ft_key_make(&k, 6, 6, a, pa, b, pb, &side);
				c = (swap & 1) ? memcmp(b, a, 16) : memcmp(a, b, 16);
				want = (c > 0 || (c == 0 && ((swap & 1) ? pb > pa : pa > pb))) ? 1 : 0;
				assert_int_equal(side, want);
				assert_memory_equal(k.addr[side], (swap & 1) ? b : a, 16);
				assert_memory_equal(k.addr[side ^ 1], (swap & 1) ? a : b, 16);
				assert_int_equal(k.port[side], (swap & 1) ? pb : pa);
				assert_int_equal(k.port[side ^ 1], (swap & 1) ? pa : pb);
				assert_int_equal(k.proto, 6);
				assert_int_equal(k.ipver, 6);
			}
		}
	}
}

/* ft_listed: exactly the entries on a list, ascending index, after many
 * removals and reuses of pool slots across small and full chunks; entries
 * inserted but on no list and recycled ones are left out; max truncates. */
static uint32_t lcg_fl(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static void test_listed(void **state)
{
	enum { N = 12000 };
	struct flowtable t;
	static struct item *it[N];
	static char mark[N + 1];
	uint32_t *out = malloc((N + 1) * sizeof(*out)), s = 7, i, want = 0;
	size_t got, k;

	(void)state;
	assert_non_null(out);
	assert_int_equal(ft_init(&t, sizeof(struct item), 0, &key1), TC_OK);
	assert_int_equal(ft_listed(&t, out, N), 0);
	for (i = 0; i < N; i++) {
		it[i] = add(&t, i);
		ft_list_put(&t, &it[i]->h, i % FT_LISTS);
	}
	/* remove about half at random, then reuse their slots: every other
	 * new entry goes on a list, the rest stay on none */
	for (i = 0; i < N; i++)
		if (lcg_fl(&s) % 2) {
			ft_remove(&t, &it[i]->h);
			it[i] = NULL;
		}
	for (i = 0; i < N; i++)
		if (it[i] == NULL && lcg_fl(&s) % 3) {
			it[i] = add(&t, N + i);
			if (i % 2)
				ft_list_put(&t, &it[i]->h, (i / 2) % FT_LISTS);
		}
	for (i = 1; i <= t.n_used; i++) {
		const struct ft_entry *e = ft_entry_at(&t, i);
		uint32_t tag = ((const struct item *)(const void *)e)->tag % N;

		/* live (still the entry of its tuple's slot) and on a list */
		mark[i] = it[tag] != NULL && &it[tag]->h == e && e->list != FT_NO_LIST;
		want += mark[i];
	}
	assert_true(want > N / 3 && want < t.count);
	assert_true(t.n_used > 4096);             /* full chunks too */
	got = ft_listed(&t, out, N + 1);
	assert_int_equal(got, want);
	for (k = 0; k < got; k++) {
		assert_true(out[k] >= 1 && out[k] <= t.n_used);
		assert_true(k == 0 || out[k - 1] < out[k]);
		assert_int_equal(mark[out[k]], 1);
		assert_int_not_equal(ft_entry_at(&t, out[k])->list, FT_NO_LIST);
	}
	/* at most max */
	assert_int_equal(ft_listed(&t, out, 100), 100);
	for (k = 1; k < 100; k++)
		assert_true(out[k - 1] < out[k]);
	ft_clear(&t);
	assert_int_equal(ft_listed(&t, out, N), 0);
	ft_destroy(&t);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_key),
		cmocka_unit_test(test_insert_find_remove),
		cmocka_unit_test(test_both_directions),
		cmocka_unit_test(test_cap_exhausted),
		cmocka_unit_test(test_free_list_reuse),
		cmocka_unit_test(test_pool_chunks),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_incremental_growth),
		cmocka_unit_test(test_growth_capped),
		cmocka_unit_test(test_cache_threshold),
		cmocka_unit_test(test_collisions_bounded),
		cmocka_unit_test(test_key_independence),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_lists_model),
		cmocka_unit_test(test_key_compared_whole),
		cmocka_unit_test(test_key_make_order),
		cmocka_unit_test(test_listed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
