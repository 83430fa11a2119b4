/*
 * flowtable.h - the flow table: a hash table of fixed-size entries keyed by
 * the canonical 5-tuple, with activity lists for expiry and eviction.
 *
 * Design (after Linux inet_hashtables and Redis dict):
 *  - the key is canonical: protocol, IP version, both full 128-bit addresses
 *    and both ports, the smaller (address, port) endpoint first, so both
 *    directions of a connection find one entry;
 *  - keyed SipHash-2-4 (siphash.h) with a key the caller gives: random per
 *    run in production, fixed by --seed for replay and tests. A crafted
 *    capture cannot aim tuples at one bucket without the key;
 *  - each entry caches its hash and lookups compare it before the key;
 *  - separate chaining through 32-bit entry indices, load factor at most 1;
 *    growth doubles the bucket array with overflow checks and moves the old
 *    buckets incrementally (a few per operation), so no single operation
 *    rehashes the table: every operation does bounded work;
 *  - entries live in chunks that never move (pointers stay valid until the
 *    entry is removed) and are recycled through a free list, so memory
 *    follows the number of live flows, not the length of the capture;
 *  - a hard cap (max_entries): inserting beyond it fails with TC_EXHAUSTED
 *    and the caller decides whom to evict (the engine: least recently
 *    active, counted);
 *  - FT_LISTS doubly linked activity lists; the caller moves an entry to the
 *    tail of a list on each use, so each list's head is its least recently
 *    used entry. Lists do not depend on the hash key, so eviction and expiry
 *    order are the same under any key.
 * Single-threaded; no globals; allocation only on insert and growth.
 * The per-packet steps are inline in this header (ft_key_make, ft_lookup's
 * cache hit, ft_list_put's move within a list), with the plain code for
 * every other case in flowtable.c; names ending in _ are their internals.
 */
#ifndef TC_FLOWTABLE_H
#define TC_FLOWTABLE_H

#include <stddef.h>
#include <string.h>

#include "tc.h"
#include "siphash.h"

/* Index 0 is never an entry, so it means "no entry" in every link. */
#define FT_NIL 0u
#define FT_LISTS 4
#define FT_NO_LIST 0xffu
/* Entries per pool chunk (a power of two). The first chunks are smaller:
 * 2^FT_CHUNK_MIN_SHIFT entries, then doubling (16, 16, 32, ..., 2048) until
 * they add up to one full chunk, so a table that only ever holds a few
 * flows (one capture of a handful of connections, one fuzz input) costs a
 * few KiB, not 2^FT_CHUNK_SHIFT entries, and a large table has the same
 * chunks as before. */
#define FT_CHUNK_SHIFT 12
#define FT_CHUNK_MIN_SHIFT 4
/* Hard ceiling on entries: indices are 32-bit and bucket counts must double
 * without overflow. */
#define FT_MAX_ENTRIES (UINT32_C(1) << 30)

struct ft_key {
	uint8_t addr[2][16];     /* endpoint 0 is the smaller (address, port)  */
	uint16_t port[2];
	uint8_t proto;           /* IP protocol number (6, 17)                 */
	uint8_t ipver;           /* 4 or 6; IPv4 in the first 4 bytes, rest 0  */
};
/* Bytes of struct ft_key that are hashed and compared (no padding inside). */
#define FT_KEY_BYTES 38

/* The header every entry starts with. Callers embed it as the first member
 * of their own entry type and treat the fields as read-only. */
struct ft_entry {
	struct ft_key key;
	uint8_t list;            /* activity list, or FT_NO_LIST               */
	uint8_t user8;           /* free for the caller                        */
	uint32_t hash;           /* cached hash of key (low 32 bits)           */
	uint32_t next;           /* bucket chain, or free list                 */
	uint32_t lprev, lnext;   /* activity list links                        */
};

struct ft_stats {
	uint64_t lookups;        /* ft_find calls                              */
	uint64_t probes;         /* entries looked at by all lookups           */
	uint32_t max_probes;     /* most entries one lookup looked at          */
	uint32_t last_probes;    /* entries the last lookup looked at          */
	uint64_t grows;          /* bucket array doublings started             */
	uint64_t grow_failures;  /* doublings refused for lack of memory       */
	uint32_t max_rehash_work;/* most buckets one operation visited moving  */
};

struct ft_list {
	uint32_t head, tail;     /* oldest, newest                             */
	uint32_t count;
	struct ft_entry *tail_e; /* the entry tail names, NULL when empty      */
};

struct flowtable {
	struct siphash_key key;
	size_t entry_size;       /* bytes per entry, >= sizeof(struct ft_entry) */
	uint32_t max_entries;
	uint32_t count;          /* live entries                               */
	/* entry pool */
	uint8_t **chunks;
	uint8_t **full_chunks;   /* chunks + the small ones: [i >> FT_CHUNK_SHIFT]
				  * is the full chunk of entry i (0-based) */
	uint32_t n_chunks, cap_chunks;
	uint32_t n_used;         /* entries ever handed out from the chunks    */
	uint32_t free_head;
	/* buckets: [0] is the table; during a rehash [1] is the new one */
	uint32_t *bucket[2];
	uint32_t nbuckets[2];    /* powers of two                              */
	bool rehashing;
	uint32_t rehash_pos;     /* next bucket of [0] to move                 */
	struct ft_list lists[FT_LISTS];
	struct ft_stats st;
	/* the entry ft_find or ft_insert handed out last and its index, so
	 * that ft_list_put on it need not walk its chain to learn the index */
	const struct ft_entry *last_e;
	uint32_t last_idx;
	/* ft_lookup's cache of recently used entries (see there): indices,
	 * FT_NIL or a live entry whose key maps to that slot; NULL until the
	 * table first holds FT_CACHE_FROM entries */
	uint32_t *cache;
	uint32_t cache_mask;     /* slots - 1 (a power of two), 0 without cache */
};

/*
 * ft_init - an empty table. entry_size: size of the caller's entry type
 * (struct ft_entry first); max_entries: cap on live entries, 1 to
 * FT_MAX_ENTRIES (larger values are clamped); key: the SipHash key, copied.
 * Returns TC_OK, TC_NOMEM (nothing to free), TC_MALFORMED for an entry_size
 * below sizeof(struct ft_entry).
 */
enum tc_rc ft_init(struct flowtable *t, size_t entry_size, uint32_t max_entries,
		   const struct siphash_key *key);

/* ft_destroy - free everything; *t may be ft_init'ed again. */
void ft_destroy(struct flowtable *t);

/* Big-endian 64-bit word at p (an address's bytes 0..7 or 8..15):
 * comparing addresses word by word this way orders them as memcmp does. */
static inline uint64_t ft_be64_(const uint8_t *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
	       (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	       (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

/*
 * ft_key_make - the canonical key of a packet's tuple. src/dst are 16-byte
 * addresses (IPv4 in the first 4 bytes, the rest zero). *src_side receives
 * the endpoint index (0 or 1) the source ended up at; equal endpoints give 0.
 * Endpoint 0 is the one with the smaller address (memcmp order), or with
 * the smaller port when the addresses are equal. Inline: once per packet,
 * where a call would cost about as much as the work.
 */
static inline void ft_key_make(struct ft_key *k, uint8_t proto, uint8_t ipver,
			       const uint8_t src[16], uint16_t sport,
			       const uint8_t dst[16], uint16_t dport, unsigned *src_side)
{
	uint64_t x = ft_be64_(src), y = ft_be64_(dst);
	unsigned s;

	if (x == y) {
		x = ft_be64_(src + 8);
		y = ft_be64_(dst + 8);
	}
	/* (src > dst || (src == dst && sport > dport)) without branches:
	 * which way a packet travels is a coin toss the predictor cannot learn */
	s = (unsigned)(x > y) | ((unsigned)(x == y) & (unsigned)(sport > dport));
	/* every byte of the key is written below (it has no padding) */
	memcpy(k->addr[s], src, 16);
	memcpy(k->addr[s ^ 1], dst, 16);
	k->port[s] = sport;
	k->port[s ^ 1] = dport;
	k->proto = proto;
	k->ipver = ipver;
	*src_side = s;
}

/* ft_hash - keyed hash of k (what ft_find and ft_insert expect). */
uint32_t ft_hash(const struct flowtable *t, const struct ft_key *k);

/*
 * ft_find - the entry with key k (hash = ft_hash(t, k)), or NULL.
 * Also advances an incremental rehash by a bounded step.
 */
struct ft_entry *ft_find(struct flowtable *t, const struct ft_key *k, uint32_t hash);

/*
 * ft_insert - add an entry for k (which must not be present). On TC_OK *out
 * is the new entry: header filled, the rest of entry_size zeroed, on no list.
 * TC_EXHAUSTED: max_entries live entries already (nothing changed);
 * TC_NOMEM: no memory for a new chunk (nothing changed). A bucket array
 * that cannot grow is not an error: chains get longer, the table stays
 * correct, st.grow_failures counts it.
 */
enum tc_rc ft_insert(struct flowtable *t, const struct ft_key *k, uint32_t hash,
		     struct ft_entry **out);

/* ft_remove - unlink e from its bucket and list and recycle it. e is invalid
 * afterwards. */
void ft_remove(struct flowtable *t, struct ft_entry *e);

/*
 * ft_clear - remove every entry at once, in time proportional to the bucket
 * array, not to the entries: the table is empty as after ft_init but keeps
 * its memory (chunks, buckets, cache) for the entries to come. Pointers to
 * entries become invalid. For a caller that has already dealt with every
 * entry (the engine's flush), where removing them one by one would walk
 * each one's chain and list neighbours for nothing.
 */
void ft_clear(struct flowtable *t);

/*
 * ft_listed - the index of every entry on an activity list (every live
 * entry the caller has put on one), in pool order, that is ascending index,
 * written to out[0 ..]: at most max of them; returns how many it wrote.
 * Reads the pool chunk by chunk in memory order, so the hardware
 * prefetcher keeps up, where following the lists would take one dependent
 * cache miss per entry. Free (recycled) entries are on no list; entries
 * past n_used were never handed out and are not looked at. For the
 * engine's flush; not on any per-packet path.
 */
size_t ft_listed(const struct flowtable *t, uint32_t *out, size_t max);

/* Internal, not for callers: ft_list_put done the plain way. */
void ft_list_put_slow_(struct flowtable *t, struct ft_entry *e, unsigned list);

/* Internal: entry i (0-based index, i < 1 << FT_CHUNK_SHIFT) in the small
 * chunks (layout in flowtable.c): chunk 0 holds the first
 * 2^FT_CHUNK_MIN_SHIFT entries, chunk c > 0 the 2^(c - 1 + FT_CHUNK_MIN_SHIFT)
 * entries from i = 2^(c - 1 + FT_CHUNK_MIN_SHIFT) on. */
static inline struct ft_entry *ft_at_small_(const struct flowtable *t, uint32_t i)
{
	uint32_t c = 0, o = i;

	if (i >= (UINT32_C(1) << FT_CHUNK_MIN_SHIFT)) {
		unsigned b = 31u - (unsigned)__builtin_clz(i);

		c = b - FT_CHUNK_MIN_SHIFT + 1;
		o = i - (UINT32_C(1) << b);
	}
	return (struct ft_entry *)(void *)(t->chunks[c] + (size_t)o * t->entry_size);
}

/* Entry by index (idx != FT_NIL, idx <= n_used). Full chunks first: in a
 * large table nearly every entry is there, and the path is a shift, a mask,
 * one load and a multiply. */
static inline struct ft_entry *ft_at_(const struct flowtable *t, uint32_t idx)
{
	uint32_t i = idx - 1;

	if (__builtin_expect(i >= (UINT32_C(1) << FT_CHUNK_SHIFT), 1))
		return (struct ft_entry *)(void *)(t->full_chunks[i >> FT_CHUNK_SHIFT] +
			(size_t)(i & ((UINT32_C(1) << FT_CHUNK_SHIFT) - 1)) * t->entry_size);
	return ft_at_small_(t, i);
}

/*
 * ft_list_put - move e to the tail (newest end) of list (< FT_LISTS; other
 * values change nothing). Inline for the common case, a flow's next packet:
 * e is the entry ft_lookup or ft_insert just handed out (its index is
 * known) and moves within the list it is on, which takes the same tests
 * in the same order and leaves the same links as ft_list_put_slow_'s
 * unlink and append; every other case goes there.
 */
static inline void ft_list_put(struct flowtable *t, struct ft_entry *e, unsigned list)
{
	struct ft_list *l;
	uint32_t idx, tail, prev, next;

	if (__builtin_expect(e != t->last_e || list >= FT_LISTS, 0)) {
		ft_list_put_slow_(t, e, list);
		return;
	}
	idx = t->last_idx;
	if (__builtin_expect(idx == FT_NIL, 0))
		return;
	if (__builtin_expect(e->list != list, 0)) {
		ft_list_put_slow_(t, e, list);
		return;
	}
	l = &t->lists[list];
	tail = l->tail;
	if (tail == idx)
		return;                         /* already the newest */
	/* e is on l but not its tail, so it has a successor and the tail is
	 * another entry; the count and e->list stay */
	prev = e->lprev;
	next = e->lnext;
	ft_at_(t, next)->lprev = prev;
	if (prev != FT_NIL)
		ft_at_(t, prev)->lnext = next;
	else
		l->head = next;
	l->tail_e->lnext = idx;
	e->lprev = tail;
	e->lnext = FT_NIL;
	l->tail = idx;
	l->tail_e = e;
}

/* Internal, not for callers: ft_lookup's plain code (no cache, or a
 * rehash to advance) and its path after a cache miss (hash, ft_find). */
struct ft_entry *ft_lookup_slow_(struct flowtable *t, const struct ft_key *k, uint32_t *hash);
struct ft_entry *ft_lookup_miss_(struct flowtable *t, const struct ft_key *k, uint32_t *hash);

static inline uint64_t ft_load64_(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The key's bytes are its fields with no padding in between, so five
 * 8-byte words cover all FT_KEY_BYTES of it (the last overlaps the one
 * before by two bytes). */
_Static_assert(offsetof(struct ft_key, port) == 32 && offsetof(struct ft_key, proto) == 36 &&
	       offsetof(struct ft_key, ipver) == 37 && FT_KEY_BYTES == 38 &&
	       sizeof(struct ft_key) == FT_KEY_BYTES, "struct ft_key layout");

/* Internal: whole keys equal, all FT_KEY_BYTES bytes as five words. */
static inline bool ft_key_eq_(const struct ft_key *a, const struct ft_key *b)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;

	return ((ft_load64_(x) ^ ft_load64_(y)) | (ft_load64_(x + 8) ^ ft_load64_(y + 8)) |
		(ft_load64_(x + 16) ^ ft_load64_(y + 16)) | (ft_load64_(x + 24) ^ ft_load64_(y + 24)) |
		(ft_load64_(x + FT_KEY_BYTES - 8) ^ ft_load64_(y + FT_KEY_BYTES - 8))) == 0;
}

/* Internal: the lookup cache slot of key k, an unkeyed multiply-xor mix of
 * the whole key. Only speed depends on it (a collision is a miss), never
 * an answer. */
static inline uint32_t ft_cache_slot_(const struct flowtable *t, const struct ft_key *k)
{
	uint64_t x = ft_load64_(k->addr[0]) * UINT64_C(0x9e3779b97f4a7c15) ^
		     ft_load64_(k->addr[0] + 8) * UINT64_C(0xc2b2ae3d27d4eb4f) ^
		     ft_load64_(k->addr[1]) * UINT64_C(0x165667b19e3779f9) ^
		     ft_load64_(k->addr[1] + 8) * UINT64_C(0x27d4eb2f165667c5) ^
		     ((uint64_t)k->port[0] << 32 | (uint64_t)k->port[1] << 16 |
		      (uint64_t)k->proto << 8 | k->ipver);

	x ^= x >> 29;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	return (uint32_t)(x >> 32) & t->cache_mask;
}

/*
 * ft_lookup - ft_find for a caller that has not hashed k yet: the entry with
 * key k or NULL, with *hash set to ft_hash(t, k) either way (the caller
 * inserts with it after a miss). Also advances an incremental rehash.
 * In front of the table sits a direct-mapped cache of recently found or
 * inserted entries, indexed by an unkeyed mix of the key and checked
 * against the whole key; it only ever holds live entries, so the answer is
 * always ft_find's, and a hit (the packets of a flow usually come close
 * together) takes the hash from the entry instead of computing SipHash. A
 * crafted capture can only make it miss, which costs what ft_find costs.
 * Inline for the cache hit (a cache lookup, the key compared, the counts
 * ft_find would make for one entry looked at); every other case goes to
 * the plain code in flowtable.c.
 */
/* The counts and memory of a cache hit on entry e (index idx): what ft_find
 * records for a lookup that looked at one entry. Returns e. */
static inline struct ft_entry *ft_cache_hit_(struct flowtable *t, struct ft_entry *e,
					     uint32_t idx, uint32_t *hash)
{
	t->st.lookups++;
	t->st.probes++;
	t->st.last_probes = 1;
	if (t->st.max_probes < 1)
		t->st.max_probes = 1;
	t->last_e = e;
	t->last_idx = idx;
	*hash = e->hash;
	return e;
}

static inline struct ft_entry *ft_lookup(struct flowtable *t, const struct ft_key *k,
					 uint32_t *hash)
{
	struct ft_entry *e;
	uint32_t idx;

	if (__builtin_expect(t->cache == NULL || t->rehashing, 0))
		return ft_lookup_slow_(t, k, hash);
	idx = t->cache[ft_cache_slot_(t, k)];
	if (idx == FT_NIL)
		return ft_lookup_miss_(t, k, hash);
	e = ft_at_(t, idx);
	if (!ft_key_eq_(&e->key, k))
		return ft_lookup_miss_(t, k, hash);
	return ft_cache_hit_(t, e, idx, hash);
}

/* ft_list_head - oldest entry of list, or NULL when empty. */
struct ft_entry *ft_list_head(const struct flowtable *t, unsigned list);

/* ft_list_next - the entry after e on its list (newer), or NULL. */
struct ft_entry *ft_list_next(const struct flowtable *t, const struct ft_entry *e);

/* ft_entry_at - entry by index (1-based, as stored in links), or NULL. */
struct ft_entry *ft_entry_at(const struct flowtable *t, uint32_t idx);

/* Bytes the table holds (pool chunks, bucket arrays, chunk index). */
size_t ft_memory(const struct flowtable *t);

#endif /* TC_FLOWTABLE_H */
