/*
 * flowtable.c - keyed-hash flow table with incremental rehash and activity
 * lists (design in flowtable.h).
 *
 * Sections: pool (chunked entries and the free list), buckets (lookup,
 * chains, incremental rehash), activity lists, public operations.
 *
 * Bounded work: a lookup walks at most the two chains its key can be on
 * (old and new table during a rehash); every operation then moves at most
 * REHASH_CHAINS non-empty buckets or visits REHASH_VISITS empty ones. Each
 * operation therefore visits at least REHASH_CHAINS buckets of the old table
 * (4 of n), so a rehash started at load 1 finishes within n/4 operations,
 * before the new table (2n buckets, or more at maybe_grow's one jump) can
 * pass load 1.25; the next growth waits for the current one to finish.
 */
#include <stdlib.h>
#include <string.h>

#include "flowtable.h"

#define CHUNK_ENTRIES (UINT32_C(1) << FT_CHUNK_SHIFT)
#define CHUNK_MASK (CHUNK_ENTRIES - 1)
#define INITIAL_BUCKETS 64u
#define REHASH_CHAINS 4u
#define REHASH_VISITS 40u
/* ft_lookup's cache: allocated once the table holds CACHE_FROM entries
 * (tables of a few flows, such as one fuzz input's, never pay for it; at
 * 8192, every lookup of a capture's first 8192 flows took SipHash and the
 * chain: 110k of 500k packets of the bench's quarter capture, 6 % of its
 * instructions), CACHE_SLOTS indices (64 KiB, well inside L2). On a 2M-packet capture with
 * 76k flows live, 16k slots catch ~88 % of lookups (4k: 73 %, 64k: 92 %;
 * 6 points of the rest are flows' first packets, which no cache catches).
 * 64k slots were tried: 256 KiB of slots, one line each for every active
 * flow, compete for L2 with the flows themselves, and `tuplecheck flows`
 * ran 1-2 % slower than with 16k (4 % while the machine's shared L3 was
 * contended), 8k and 32k no better. */
#define CACHE_FROM 256u
#define CACHE_SLOTS 16384u

/* ==== pool ================================================================= */

/*
 * Chunk layout. Entry i (0-based: index - 1) lives in chunk c at offset o:
 *   i < MIN_ENTRIES:        c = 0, o = i                  (MIN_ENTRIES entries)
 *   i < CHUNK_ENTRIES:      c = log2(i) - MIN_SHIFT + 1,  (2^(c - 1) * MIN_ENTRIES
 *                           o = i - 2^log2(i)              entries: 16, 32, ...)
 *   else:                   c = i / CHUNK_ENTRIES + SMALL_CHUNKS - 1, o = i % CHUNK_ENTRIES
 * so the small chunks 0 .. SMALL_CHUNKS - 1 together hold exactly one full
 * chunk's worth of entries and every later chunk is a full one.
 */
#define MIN_ENTRIES (UINT32_C(1) << FT_CHUNK_MIN_SHIFT)
#define SMALL_CHUNKS (FT_CHUNK_SHIFT - FT_CHUNK_MIN_SHIFT + 1)
/* Chunks needed for FT_MAX_ENTRIES, plus one for the rounding. */
#define MAX_CHUNKS ((FT_MAX_ENTRIES >> FT_CHUNK_SHIFT) + SMALL_CHUNKS)

/* Entries in chunk c. */
static uint32_t chunk_entries(uint32_t c)
{
	if (c == 0)
		return MIN_ENTRIES;
	if (c < SMALL_CHUNKS)
		return MIN_ENTRIES << (c - 1);
	return CHUNK_ENTRIES;
}

/* Entries held by chunks 0 .. n - 1. */
static uint64_t chunks_capacity(uint32_t n)
{
	if (n == 0)
		return 0;
	if (n <= SMALL_CHUNKS)
		return (uint64_t)MIN_ENTRIES << (n - 1);
	return (uint64_t)(n - SMALL_CHUNKS + 1) * CHUNK_ENTRIES;
}

/* Entry by index (idx != FT_NIL, idx <= n_used): ft_at_ in flowtable.h. */
static inline struct ft_entry *at(const struct flowtable *t, uint32_t idx)
{
	return ft_at_(t, idx);
}

struct ft_entry *ft_entry_at(const struct flowtable *t, uint32_t idx)
{
	if (idx == FT_NIL || idx > t->n_used)
		return NULL;
	return at(t, idx);
}

/* An unused entry index, or FT_NIL when no memory. */
static uint32_t pool_get(struct flowtable *t)
{
	uint32_t idx;

	if (t->free_head != FT_NIL) {
		idx = t->free_head;
		t->free_head = at(t, idx)->next;
		return idx;
	}
	if (t->n_used == chunks_capacity(t->n_chunks)) {
		uint8_t *chunk;

		if (t->n_chunks == t->cap_chunks) {
			uint32_t ncap = t->cap_chunks ? t->cap_chunks * 2 : 16;
			uint8_t **nc;

			if (ncap > MAX_CHUNKS)
				ncap = MAX_CHUNKS;
			if (ncap <= t->n_chunks)
				return FT_NIL;
			nc = realloc(t->chunks, (size_t)ncap * sizeof(*nc));
			if (nc == NULL)
				return FT_NIL;
			t->chunks = nc;
			t->cap_chunks = ncap;   /* >= 16 > SMALL_CHUNKS - 1 */
			t->full_chunks = nc + (SMALL_CHUNKS - 1);
		}
		chunk = malloc((size_t)chunk_entries(t->n_chunks) * t->entry_size);
		if (chunk == NULL)
			return FT_NIL;
		t->chunks[t->n_chunks++] = chunk;
	}
	return ++t->n_used;
}

/* ==== buckets ============================================================== */

/* The bucket slot that holds (or would hold) hash h right now. */
static uint32_t *slot_for(struct flowtable *t, uint32_t h)
{
	if (t->rehashing) {
		uint32_t b0 = h & (t->nbuckets[0] - 1);

		if (b0 >= t->rehash_pos)
			return &t->bucket[0][b0];
		return &t->bucket[1][h & (t->nbuckets[1] - 1)];
	}
	return &t->bucket[0][h & (t->nbuckets[0] - 1)];
}

/* The new bucket array replaces the old one (every chain has moved, or the
 * caller empties the table anyway). */
static void rehash_done(struct flowtable *t)
{
	free(t->bucket[0]);
	t->bucket[0] = t->bucket[1];
	t->nbuckets[0] = t->nbuckets[1];
	t->bucket[1] = NULL;
	t->nbuckets[1] = 0;
	t->rehashing = false;
	t->rehash_pos = 0;
}

static void rehash_step(struct flowtable *t)
{
	uint32_t moved = 0, visited = 0;

	if (!t->rehashing)
		return;
	while (t->rehash_pos < t->nbuckets[0] && moved < REHASH_CHAINS &&
	       visited < REHASH_VISITS) {
		uint32_t idx = t->bucket[0][t->rehash_pos];

		visited++;
		if (idx != FT_NIL) {
			moved++;
			while (idx != FT_NIL) {
				struct ft_entry *e = at(t, idx);
				uint32_t next = e->next;
				uint32_t *s = &t->bucket[1][e->hash & (t->nbuckets[1] - 1)];

				e->next = *s;
				*s = idx;
				idx = next;
			}
			t->bucket[0][t->rehash_pos] = FT_NIL;
		}
		t->rehash_pos++;
	}
	if (visited > t->st.max_rehash_work)
		t->st.max_rehash_work = visited;
	if (t->rehash_pos == t->nbuckets[0])
		rehash_done(t);
}

/* Start growing the bucket array when the load would pass 1: doubling it,
 * except once. A table that has reached JUMP_FROM entries serves a capture
 * of many flows, and each doubling from there to JUMP_BUCKETS would move
 * every entry again, a cache miss each (on the 2M-packet bench capture,
 * 76k flows: 131k moves, 2.7 % of `tuplecheck flows`); it goes to
 * JUMP_BUCKETS in one step instead (512 KiB, 24k moves in all), then
 * doubles again. */
#define JUMP_FROM 8192u
#define JUMP_BUCKETS 131072u
static void maybe_grow(struct flowtable *t)
{
	uint32_t n = t->nbuckets[0], nn;
	uint32_t *nb;

	if (t->rehashing || t->count + 1 <= n)
		return;
	/* no more buckets than the cap can fill, and n * 2 must fit */
	if (n >= t->max_entries || n > UINT32_MAX / 2 || (size_t)n * 2 > SIZE_MAX / sizeof(*nb))
		return;
	nn = n >= JUMP_FROM && n < JUMP_BUCKETS / 2 && t->max_entries >= JUMP_BUCKETS / 2 ?
	     JUMP_BUCKETS : n * 2;
	nb = calloc((size_t)nn, sizeof(*nb));
	if (nb == NULL) {
		t->st.grow_failures++;
		return;
	}
	t->bucket[1] = nb;
	t->nbuckets[1] = nn;
	t->rehashing = true;
	t->rehash_pos = 0;
	t->st.grows++;
}

/* Index of entry e (which must be in the table), found through its chain. */
static uint32_t index_of(struct flowtable *t, const struct ft_entry *e)
{
	uint32_t idx = *slot_for(t, e->hash);

	while (idx != FT_NIL && at(t, idx) != e)
		idx = at(t, idx)->next;
	return idx;
}

/* ==== activity lists ======================================================= */

static inline void list_unlink(struct flowtable *t, struct ft_entry *e)
{
	struct ft_entry *prev = NULL;
	struct ft_list *l;

	if (e->list == FT_NO_LIST)
		return;
	l = &t->lists[e->list];
	if (e->lprev != FT_NIL) {
		prev = at(t, e->lprev);
		prev->lnext = e->lnext;
	} else {
		l->head = e->lnext;
	}
	if (e->lnext != FT_NIL) {
		at(t, e->lnext)->lprev = e->lprev;
	} else {
		l->tail = e->lprev;
		l->tail_e = prev;
	}
	l->count--;
	e->list = FT_NO_LIST;
	e->lprev = e->lnext = FT_NIL;
}

/* ft_list_put's other cases (see there), the plain way. */
void ft_list_put_slow_(struct flowtable *t, struct ft_entry *e, unsigned list)
{
	uint32_t idx = e == t->last_e ? t->last_idx : index_of(t, e);
	struct ft_list *l;

	if (idx == FT_NIL || list >= FT_LISTS)
		return;
	if (e->list == list && t->lists[list].tail == idx)
		return;                         /* already the newest */
	list_unlink(t, e);
	l = &t->lists[list];
	e->list = (uint8_t)list;
	e->lprev = l->tail;
	e->lnext = FT_NIL;
	if (l->tail != FT_NIL)
		l->tail_e->lnext = idx;
	else
		l->head = idx;
	l->tail = idx;
	l->tail_e = e;
	l->count++;
}

struct ft_entry *ft_list_head(const struct flowtable *t, unsigned list)
{
	if (list >= FT_LISTS || t->lists[list].head == FT_NIL)
		return NULL;
	return at(t, t->lists[list].head);
}

struct ft_entry *ft_list_next(const struct flowtable *t, const struct ft_entry *e)
{
	if (e->list == FT_NO_LIST || e->lnext == FT_NIL)
		return NULL;
	return at(t, e->lnext);
}

/* ==== public operations ==================================================== */

enum tc_rc ft_init(struct flowtable *t, size_t entry_size, uint32_t max_entries,
		   const struct siphash_key *key)
{
	unsigned i;

	memset(t, 0, sizeof(*t));
	if (entry_size < sizeof(struct ft_entry))
		return TC_MALFORMED;
	/* keep every entry aligned for any member type */
	entry_size = (entry_size + 7) & ~(size_t)7;
	t->entry_size = entry_size;
	t->key = *key;
	if (max_entries == 0 || max_entries > FT_MAX_ENTRIES)
		max_entries = FT_MAX_ENTRIES;
	t->max_entries = max_entries;
	t->nbuckets[0] = INITIAL_BUCKETS;
	t->bucket[0] = calloc(INITIAL_BUCKETS, sizeof(uint32_t));
	if (t->bucket[0] == NULL)
		return TC_NOMEM;
	for (i = 0; i < FT_LISTS; i++)
		t->lists[i].head = t->lists[i].tail = FT_NIL;
	return TC_OK;
}

void ft_destroy(struct flowtable *t)
{
	uint32_t i;

	for (i = 0; i < t->n_chunks; i++)
		free(t->chunks[i]);
	free(t->chunks);
	free(t->bucket[0]);
	free(t->bucket[1]);
	free(t->cache);
	memset(t, 0, sizeof(*t));
}

/* Bytes p[0..3] as a little-endian 32-bit word. */
static inline uint64_t le32_at(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	       (uint64_t)p[3] << 24;
}

uint32_t ft_hash(const struct flowtable *t, const struct ft_key *k)
{
	uint64_t w[4], tail;

	/* The hashed message, independent of host byte order: both addresses,
	 * both ports big-endian, protocol, version. An IPv4 key hashes only
	 * its 4-byte addresses, 14 bytes in all (the other address bytes are
	 * zero), which takes SipHash two message words instead of five; the
	 * version byte keeps IPv4 and IPv6 keys apart. The words are built
	 * from the fields as siphash24 would read that message
	 * (siphash24_words), with no byte buffer in between. */
	tail = (uint64_t)(k->port[0] >> 8) | (uint64_t)(k->port[0] & 0xff) << 8 |
	       (uint64_t)(k->port[1] >> 8) << 16 | (uint64_t)(k->port[1] & 0xff) << 24 |
	       (uint64_t)k->proto << 32 | (uint64_t)k->ipver << 40;
	if (k->ipver == 4) {
		w[0] = le32_at(k->addr[0]) | le32_at(k->addr[1]) << 32;
		return (uint32_t)siphash24_words(&t->key, w, tail, 8 + 6);
	}
	w[0] = le32_at(k->addr[0]) | le32_at(k->addr[0] + 4) << 32;
	w[1] = le32_at(k->addr[0] + 8) | le32_at(k->addr[0] + 12) << 32;
	w[2] = le32_at(k->addr[1]) | le32_at(k->addr[1] + 4) << 32;
	w[3] = le32_at(k->addr[1] + 8) | le32_at(k->addr[1] + 12) << 32;
	return (uint32_t)siphash24_words(&t->key, w, tail, 32 + 6);
}

/* ==== lookup cache ========================================================= */

/* key_eq and cache_slot: ft_key_eq_ and ft_cache_slot_ in flowtable.h. */
static inline bool key_eq(const struct ft_key *a, const struct ft_key *b)
{
	return ft_key_eq_(a, b);
}

static inline uint32_t cache_slot(const struct flowtable *t, const struct ft_key *k)
{
	return ft_cache_slot_(t, k);
}

static inline void cache_put(struct flowtable *t, const struct ft_entry *e, uint32_t idx)
{
	if (t->cache != NULL)
		t->cache[cache_slot(t, &e->key)] = idx;
}

/* Forget e (index idx) before it leaves the table. */
static inline void cache_drop(struct flowtable *t, const struct ft_entry *e, uint32_t idx)
{
	if (t->cache != NULL) {
		uint32_t *s = &t->cache[cache_slot(t, &e->key)];

		if (*s == idx)
			*s = FT_NIL;
	}
}

static struct ft_entry *chain_find(struct flowtable *t, uint32_t idx,
				   const struct ft_key *k, uint32_t hash, uint32_t *probes)
{
	while (idx != FT_NIL) {
		struct ft_entry *e = at(t, idx);

		(*probes)++;
		if (e->hash == hash && key_eq(&e->key, k)) {
			t->last_e = e;
			t->last_idx = idx;
			cache_put(t, e, idx);
			return e;
		}
		idx = e->next;
	}
	return NULL;
}

struct ft_entry *ft_find(struct flowtable *t, const struct ft_key *k, uint32_t hash)
{
	struct ft_entry *e;
	uint32_t probes = 0;

	rehash_step(t);
	e = chain_find(t, *slot_for(t, hash), k, hash, &probes);
	t->st.lookups++;
	t->st.probes += probes;
	t->st.last_probes = probes;
	if (probes > t->st.max_probes)
		t->st.max_probes = probes;
	return e;
}

/* ft_lookup after its cache missed: hash, then the table. */
struct ft_entry *ft_lookup_miss_(struct flowtable *t, const struct ft_key *k, uint32_t *hash)
{
	*hash = ft_hash(t, k);
	return ft_find(t, k, *hash);
}

/* ft_lookup the plain way, for a table without a cache or in a rehash. */
struct ft_entry *ft_lookup_slow_(struct flowtable *t, const struct ft_key *k, uint32_t *hash)
{
	if (t->cache != NULL) {
		uint32_t idx = t->cache[cache_slot(t, k)];

		if (idx != FT_NIL) {
			struct ft_entry *e = at(t, idx);

			if (key_eq(&e->key, k)) {
				rehash_step(t);
				return ft_cache_hit_(t, e, idx, hash);
			}
		}
	}
	return ft_lookup_miss_(t, k, hash);
}

/* Allocate the lookup cache once the table is big enough to gain from it;
 * without memory the table simply works without one. */
static void cache_init(struct flowtable *t)
{
	t->cache = calloc(CACHE_SLOTS, sizeof(*t->cache));
	t->cache_mask = t->cache != NULL ? CACHE_SLOTS - 1 : 0;
}

enum tc_rc ft_insert(struct flowtable *t, const struct ft_key *k, uint32_t hash,
		     struct ft_entry **out)
{
	struct ft_entry *e;
	uint32_t idx, *s;

	*out = NULL;
	if (t->count >= t->max_entries)
		return TC_EXHAUSTED;
	rehash_step(t);
	maybe_grow(t);
	idx = pool_get(t);
	if (idx == FT_NIL)
		return TC_NOMEM;
	e = at(t, idx);
	memset(e, 0, t->entry_size);
	e->key = *k;
	e->hash = hash;
	e->list = FT_NO_LIST;
	s = slot_for(t, hash);
	e->next = *s;
	*s = idx;
	t->count++;
	t->last_e = e;
	t->last_idx = idx;
	if (t->cache == NULL && t->count >= CACHE_FROM)
		cache_init(t);
	cache_put(t, e, idx);
	*out = e;
	return TC_OK;
}

void ft_remove(struct flowtable *t, struct ft_entry *e)
{
	uint32_t *s = slot_for(t, e->hash);
	uint32_t idx = *s;

	/* unlink from the chain, remembering e's index on the way */
	if (idx != FT_NIL && at(t, idx) == e) {
		*s = e->next;
	} else {
		while (idx != FT_NIL && at(t, idx)->next != FT_NIL &&
		       at(t, at(t, idx)->next) != e)
			idx = at(t, idx)->next;
		if (idx == FT_NIL || at(t, idx)->next == FT_NIL)
			return;                 /* not in the table: nothing to do */
		{
			struct ft_entry *p = at(t, idx);

			idx = p->next;
			p->next = e->next;
		}
	}
	list_unlink(t, e);
	cache_drop(t, e, idx);
	if (e == t->last_e)
		t->last_e = NULL;
	e->next = t->free_head;
	t->free_head = idx;
	t->count--;
	rehash_step(t);
}

void ft_clear(struct flowtable *t)
{
	unsigned i;

	if (t->rehashing)               /* the new array is the one to keep */
		rehash_done(t);
	memset(t->bucket[0], 0, (size_t)t->nbuckets[0] * sizeof(*t->bucket[0]));
	if (t->cache != NULL)
		memset(t->cache, 0, ((size_t)t->cache_mask + 1) * sizeof(*t->cache));
	for (i = 0; i < FT_LISTS; i++) {
		t->lists[i].head = t->lists[i].tail = FT_NIL;
		t->lists[i].tail_e = NULL;
		t->lists[i].count = 0;
	}
	t->count = 0;
	t->n_used = 0;                  /* the chunks are handed out again */
	t->free_head = FT_NIL;
	t->last_e = NULL;
	t->last_idx = FT_NIL;
}

size_t ft_listed(const struct flowtable *t, uint32_t *out, size_t max)
{
	uint32_t c, idx = 1, left = t->n_used;
	size_t n = 0;

	for (c = 0; c < t->n_chunks && left > 0 && n < max; c++) {
		const uint8_t *p = t->chunks[c];
		uint32_t m = chunk_entries(c), j;

		if (m > left)
			m = left;
		left -= m;
		for (j = 0; j < m && n < max; j++, idx++, p += t->entry_size)
			if (((const struct ft_entry *)(const void *)p)->list != FT_NO_LIST)
				out[n++] = idx;
	}
	return n;
}

size_t ft_memory(const struct flowtable *t)
{
	return (size_t)chunks_capacity(t->n_chunks) * t->entry_size +
	       (size_t)t->cap_chunks * sizeof(uint8_t *) +
	       ((size_t)t->nbuckets[0] + t->nbuckets[1]) * sizeof(uint32_t) +
	       (t->cache != NULL ? (size_t)(t->cache_mask + 1) * sizeof(uint32_t) : 0);
}
