/*
 * classify.c - source-port selection of a host, from the connections it
 * initiates (SPEC.md host port_selection, rules port.sequential and
 * port.fixed; RFC 6056 section 3 for the allocators being recognised).
 *
 * Design. Each (host, protocol) keeps a bounded sample of its connections:
 * (number, frame, destination hash, source port). A verdict looks at three
 * kinds of port step, each taken modulo the range the ports appear to come
 * from (the smallest usual range holding them all), so that a wrap from
 * the top of the range to its bottom is a small forward step and not a
 * jump:
 *   cross steps   between successive connections (numbers n, n+1) to
 *                 different destinations. A global counter (legacy, RFC 6056
 *                 alg 5) shows here; a per-destination offset (alg 3, 4,
 *                 Linux) makes these look uniform.
 *   global steps  between successive connections whatever the destination.
 *   pair steps    between a connection and the previous one to the same
 *                 destination endpoint, n connections apart. Alg 3 moves by
 *                 exactly n, alg 4 by at most n, Linux by 2..16 per
 *                 connection in the same bucket.
 * Under a uniform allocator (RFC 6056 alg 1, 2) every step is uniform over
 * the range, so "small forward step" events have a known chance p = B / R;
 * a binomial tail gives the chance of seeing as many by luck. Thresholds
 * are on that chance, not on raw counts, so few samples can still convince
 * when the pattern is sharp and many samples are needed when it is faint.
 * The assumed range can be wrong: an administrator may narrow it
 * (ip_local_port_range 40000-44999), or one stray port (a service on 123)
 * may widen it to all ports. Either way B / R understates the chance, so
 * rules 4 and 5 also measure it on the ports themselves (see there) and
 * take the larger.
 *
 * The rules (named as the code's sections are):
 *   fixed     port.fixed fires (UDP: one source port towards >= 8 distinct
 *             endpoints, judged over the kept samples and the middle
 *             table, see struct mid), or one source port carries >= 50% of
 *             the connections and was used at least twice.
 *   3         cross steps: one stride s (the most common non-zero one) is
 *             >= 70% of them, >= 2 times, and the chance of a stride that
 *             common is <= 1e-5: C * P(Binomial(steps, 1/R) >= count), C the
 *             strides it could have been (128 for |s| <= 64, the small
 *             strides counters use; else R). Negative strides count (a
 *             descending counter). For |s| > 64 also: same-destination
 *             pairs g connections apart moved by g * s for >= 70% of them
 *             (a global counter predicts every step; evenly spaced
 *             per-destination offsets visited in turn give one large cross
 *             stride but small pair steps). 70%, not less: with
 *             per-destination offsets the step A->B is +D and B->A is -D;
 *             with two destinations the two directions alternate, so one
 *             stride holds at most (k+1)/(2k+1) <= 2/3 of them.
 *   3b        the high-water mark. A lowest-free-first allocator gives each
 *             connection either max-so-far + 1 or a freed port below it, so
 *             its cross steps jump back and forth when ports are freed out
 *             of order. Counted only when the destination differs from the
 *             one that set the mark: >= 3 such extensions by exactly +1 (or
 *             -1 below the low-water mark, a descending counter), >= 40% of
 *             the eligible connections, chance <= 1e-6 (1/R each).
 *   3c        the legacy allocator's block: the distinct ports are exactly
 *             the block [lo, hi], lo the bottom of the assumed range (or one
 *             above: 4.4BSD starts above 1024), some port was used twice,
 *             the first connection used lo and each port's first use among
 *             the first kept connections extended the block by one; >= 3
 *             ports. Lowest free port first does exactly this (a new port is
 *             always max + 1, as all below were used), also in its steady
 *             state where freed ports are reused and no stride or
 *             high-water mark shows. Alg 3/4 never reuse a port before going
 *             round the range; uniform ports over the range cannot pack
 *             n > k connections into k ports at its bottom; uniform ports
 *             over a range of only those k ports would give this order of
 *             first uses with chance 1/k!.
 *   3d        a counter shared with other traffic (other protocols or
 *             programs take some of its values, so steps are +1, +2, +3
 *             and connections start a little out of order): >= 2
 *             destinations, >= 4 cross steps, >= 70% of them forward within
 *             the window w of all the ports, w < 256, and the chance of both
 *             for k distinct ports drawn from any range of 256 ports or more,
 *             k (w / 256)^(k - 1) * P(Binomial(steps, 1/2) >= forward), is
 *             <= 1e-5. No usual or configured range is that narrow; alg 5's
 *             increments (1..500) spread k ports over ~250 k.
 *   4         steps forward and <= min(1024, R/4) for >= 60% of them, chance
 *             <= 1e-6 under uniform ports over the range and <= 1e-2 under
 *             the ports seen (p = the share of ordered pairs of kept ports a
 *             forward step <= the bound apart: random ports in a range of
 *             1000 make most forward steps short), measured on cross steps
 *             (>= 4 of them), or else on global steps whose median is > 32,
 *             provided the cross steps do not contradict (>= 60% forward)
 *             and rule 5 is not met by >= 90% of the pairs: a few
 *             destinations whose secret offsets lie close together make alg
 *             3/4 global steps look like increments, but their pair steps
 *             are all small, while alg 5's are sums of increments (~6% hit).
 *             1e-2, not less: the binomial treats the steps as independent,
 *             which overstates the chance of a mostly ascending order (the
 *             ascents of a random order vary less than a binomial count).
 *   5         pair steps in [1, B], B = min(16 (n + 1), R/8), >= 2 of them,
 *             chance <= 1e-4, where the chance is the larger of the mean of
 *             B/R and the mean share of the other destinations' kept ports
 *             in the same window (with one destination: its own other
 *             ports), each share shrunk towards B/R as if 16 more ports at
 *             B/R were seen (a window that happens to hold one of a few
 *             ports says little).
 * Decision (first that holds):
 *   fewer than min_samples connections  -> unknown
 *   port.fixed fires                    -> fixed (class and rule agree)
 *   3c                                  -> sequential
 *   the 50% share of rule fixed         -> fixed
 *   3, 3b or 3d                         -> sequential
 *   4                                   -> random-increments
 *   5                                   -> per-destination-sequential
 *   otherwise                           -> random
 * Rules 3, 3b and 3d only ever look at steps between different
 * destinations: with one destination, alg 3/4 also count up by one, so
 * "sequential" would be a claim the data cannot support and rule 5 reports
 * the weaker class. Rule 3c may: a reused block rules alg 3/4 out.
 * Rule 4's median test keeps Linux (steps 2..16 to one destination) out of
 * random-increments when only one destination is seen; alg 5's steps are
 * uniform in 1..500 (median ~250).
 * The confidence is a heuristic in [0, 1]: the share of steps that support
 * the verdict times a factor 1 - exp(-k/4) that grows with their number k.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "classify.h"

#define PROTO_TCP 6
#define PROTO_UDP 17

/* thresholds, named once; the file comment says why each is what it is */
#define FIXED_SHARE        0.5
#define FIXED_MIN_USES     2
#define SEQ_SMALL_STRIDE   64
#define SEQ_MODE_SHARE     0.7
#define SEQ_MAX_PVALUE     1e-5
#define LEGACY_MIN_PORTS   3
#define DENSE_MIN_RANGE    256
#define HW_MIN_EXTENDS     3
#define HW_SHARE           0.4
#define HW_MAX_PVALUE      1e-6
#define INC_MAX_BOUND      1024
#define INC_SHARE          0.6
#define INC_MAX_PVALUE     1e-6
#define INC_MAX_PVALUE_PERM 1e-2
#define INC_MIN_MEDIAN     32
#define INC_MIN_CROSS      4
#define PD_STEP_PER_CONN   16
#define PD_MAX_PVALUE      1e-4
#define PD_PRIOR           16.0
#define PD_STRONG_SHARE    0.9
#define KEEP_MAX           (1u << 20)

/* ==== names ============================================================ */

static const char *const class_names[PC__COUNT] = {
	[PC_UNKNOWN] = "unknown",
	[PC_SEQUENTIAL] = "sequential",
	[PC_PER_DEST_SEQ] = "per-destination-sequential",
	[PC_RANDOM_INCREMENTS] = "random-increments",
	[PC_RANDOM] = "random",
	[PC_FIXED] = "fixed",
};

const char *port_class_name(enum port_class c)
{
	return (unsigned)c < PC__COUNT ? class_names[c] : "?";
}

enum tc_rc port_class_parse(const char *name, enum port_class *out)
{
	for (unsigned i = 0; i < PC__COUNT; i++) {
		if (strcmp(name, class_names[i]) == 0) {
			*out = (enum port_class)i;
			return TC_OK;
		}
	}
	return TC_MALFORMED;
}

/* ==== state ============================================================ */

struct sample {
	uint64_t idx;                /* 0-based connection number in the stream */
	uint64_t frame;
	uint64_t dh;                 /* destination endpoint hash */
	int64_t ts_sec;              /* of frame, for the evidence */
	uint32_t ts_nsec;
	uint16_t sport;
	uint8_t ts_digits;           /* of ts: 6 or 9 (in the padding: 40 bytes) */
};
_Static_assert(sizeof(struct sample) <= 40, "classify.h and README: 40 bytes a sample");

/*
 * The port.fixed rule between the kept samples. Past 2 keep connections
 * the ring overwrites samples; a UDP stream hands each one it drops to
 * this table first: MID_SLOTS source ports, each with the first dropped
 * flow to each of up to CLS_FIXED_ENDPOINTS distinct endpoints. Ports are
 * chosen by Space-Saving counting (Metwally, Agrawal, El Abbadi 2005): a
 * port not held takes the slot with the smallest count, and that count
 * plus one, so a port carrying more than 1/MID_SLOTS of the dropped flows
 * holds a slot at the end, and a burst of flows from one port is held from
 * its first. A port that reached CLS_FIXED_ENDPOINTS is held for good (the
 * rule has fired). What the table cannot promise: a port used more rarely
 * than that between the kept samples, or whose slot was taken over and
 * later won back (its earlier endpoints are forgotten), can miss the
 * rule. 16 slots of 8 samples: 5.1 KiB, allocated only for UDP streams
 * past 2 keep connections (which hold 2 keep samples, 20 KiB at keep 256,
 * and the 8 KiB port set already).
 */
#define MID_SLOTS 16u

struct mid_slot {
	uint16_t port;
	uint8_t n;                   /* endpoints in ep[] */
	uint32_t count;              /* Space-Saving count */
	struct sample ep[CLS_FIXED_ENDPOINTS];   /* first dropped flow to each */
};

struct mid {
	uint32_t used;               /* slots [0, used) hold a port */
	uint32_t samples;            /* sum of their n */
	struct mid_slot s[MID_SLOTS];
};
_Static_assert(sizeof(struct mid) < 5300, "classify.h and README say 5.1 KiB");

struct stream {
	uint64_t n;
	uint16_t min_port, max_port;
	uint32_t distinct;           /* valid when bits != NULL */
	uint64_t *bits;              /* 65536-bit port set, once n > keep */
	struct sample *s;            /* [0, keep) the first; [keep, 2 keep) a ring */
	uint32_t cap;                /* first_cap: s is in the arena; more: malloc'd */
	struct mid *mid;             /* UDP, once samples are dropped; else NULL */
	uint32_t *tix;               /* UDP: tuple index over the kept samples */
	uint32_t tix_cap;            /* its slots: 0 or a power of two */
};

/*
 * Most streams never grow past their first block of samples: those blocks
 * come from an arena of chunks (8 blocks, then doubling up to ARENA_BLOCKS)
 * freed together, instead of a malloc and a free each. A stream that grows
 * moves to a block of its own and leaves its first block unused: memory
 * stays within twice what the samples need.
 */
#define FIRST_CAP 16
#define ARENA_BLOCKS 128u

struct arena_chunk {
	struct arena_chunk *next;
	uint32_t used, blocks;       /* first blocks handed out, held */
	struct sample s[];           /* blocks * first_cap */
};

struct host {
	uint8_t ipver;
	uint8_t addr[16];
	struct stream tcp, udp;
};

/* A destination endpoint and its keyed hash, in the destination cache. */
struct dest_slot {
	uint64_t dh;
	uint8_t addr[16];
	uint16_t port;
	uint8_t ipver;               /* 0: empty */
};

/*
 * Lookup caches. Most connections come from a host seen before and go to
 * an endpoint seen before; two direct-mapped caches, indexed by a cheap
 * unkeyed mix of the address, answer those without SipHash: the host's
 * number (checked against the host's whole address, as the index does)
 * and the destination's keyed hash (stored with the whole endpoint it is
 * the hash of). A capture crafted to collide in them only makes every
 * lookup miss and take the keyed path it took without them, so they add
 * no way to pile work up; and they only ever answer what the keyed path
 * would, so results do not depend on them.
 */
#define HCACHE_SLOTS (1u << 14)        /* 64 KiB */
#define DCACHE_SLOTS (1u << 12)        /* 128 KiB */

/* lgamma(j + 1) and exp(-j / 4) are worked out for the same small j over
 * and over (binom_sf, support): memoised for j < MEMO_MAX. */
#define MEMO_MAX 1024u

struct cls {
	struct cls_config cfg;
	struct host *hosts;
	size_t n_hosts, cap_hosts;
	uint32_t *index;             /* open addressing: host number + 1, 0 empty */
	size_t index_cap;            /* power of two, > 2 n_hosts */
	uint64_t dropped;
	uint64_t adds;               /* cls_add calls that got past the checks */
	uint32_t *hcache;            /* HCACHE_SLOTS host numbers + 1, 0 empty; NULL
	                                before cfg.cache_from connections */
	struct dest_slot *dcache;    /* DCACHE_SLOTS, with hcache */
	/* memo of lgamma(j + 1.0) and exp(-(double)j / 4), j < memo_n: 0 where
	 * not yet worked out (lgamma's two zeros, j = 0 and 1, are filled at
	 * creation). Filled by the const result functions: a memo, not state. */
	double *lgf, *expq;
	uint32_t memo_n;
	uint32_t first_cap;          /* samples of a first block: min(16, 2 keep) */
	struct arena_chunk *arena;   /* newest chunk first */
};

void cls_config_default(struct cls_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->min_samples = 8;
	cfg->keep = 256;
	cfg->max_hosts = CLS_MAX_HOSTS;
	cfg->cache_from = 256;
}

enum tc_rc cls_create(struct cls **out, const struct cls_config *cfg)
{
	struct cls *c;

	*out = NULL;
	if (cfg->keep == 0 || cfg->keep > KEEP_MAX || cfg->max_hosts == 0 ||
	    cfg->max_hosts > UINT32_MAX / 4)
		return TC_MALFORMED;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return TC_NOMEM;
	c->cfg = *cfg;
	c->first_cap = 2 * cfg->keep < FIRST_CAP ? 2 * cfg->keep : FIRST_CAP;
	c->index_cap = 64;
	c->index = calloc(c->index_cap, sizeof(*c->index));
	/* binom_sf and support see j up to the steps of one stream, 2 keep */
	c->memo_n = 2 * cfg->keep + 1 < MEMO_MAX ? 2 * cfg->keep + 1 : MEMO_MAX;
	if (cfg->cache_from == UINT32_MAX)
		c->memo_n = 0;
	c->lgf = c->memo_n ? calloc(2 * (size_t)c->memo_n, sizeof(*c->lgf)) : NULL;
	if (c->index == NULL || (c->memo_n && c->lgf == NULL)) {
		free(c->index);
		free(c->lgf);
		free(c);
		return TC_NOMEM;
	}
	if (c->memo_n) {
		c->expq = c->lgf + c->memo_n;
		c->lgf[0] = lgamma(1.0);
		c->lgf[1] = lgamma(2.0);
	}
	*out = c;
	return TC_OK;
}

static void stream_free(const struct cls *c, struct stream *st)
{
	if (st->cap > c->first_cap)
		free(st->s);
	free(st->bits);
	free(st->mid);
	free(st->tix);
}

void cls_destroy(struct cls *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_hosts; i++) {
		stream_free(c, &c->hosts[i].tcp);
		stream_free(c, &c->hosts[i].udp);
	}
	while (c->arena != NULL) {
		struct arena_chunk *a = c->arena;

		c->arena = a->next;
		free(a);
	}
	free(c->hosts);
	free(c->index);
	free(c->hcache);
	free(c->dcache);
	free(c->lgf);
	free(c);
}

uint64_t cls_dropped(const struct cls *c)
{
	return c->dropped;
}

size_t cls_host_count(const struct cls *c)
{
	return c->n_hosts;
}

/* ==== host table ======================================================= */

/* The host index's keyed hash: SipHash of the version and the address's
 * significant bytes (5 for IPv4, 17 for IPv6; the index only needs the
 * hash to be keyed and the same for the same host within one run). */
static uint64_t host_hash(const struct cls *c, uint8_t ipver, const uint8_t addr[16])
{
	uint64_t w[2];

	if (ipver == 4) {
		uint32_t a4;

		memcpy(&a4, addr, sizeof(a4));
		return siphash24_words(&c->cfg.key, NULL, (uint64_t)a4 << 8 | ipver, 5);
	}
	memcpy(w, addr, sizeof(w));
	return siphash24_words(&c->cfg.key, w, ipver, 17);
}

/* The cache slot of an endpoint (port 0 for a host), in its low bits: an
 * unkeyed mix of all its bytes, good enough to spread addresses; never a
 * table index. */
static uint32_t cache_mix(uint8_t ipver, const uint8_t addr[16], uint16_t port)
{
	uint64_t a, b;

	/* the two halves folded, the high bits folded onto the low ones (so
	 * every address bit reaches the slot bits), one multiply whose upper
	 * half is the result */
	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	a ^= b ^ ((uint64_t)ipver << 56) ^ (uint64_t)port << 40;
	a ^= a >> 29;
	return (uint32_t)((a * UINT64_C(0x9e3779b97f4a7c15)) >> 32);
}

/* The caches, once cfg.cache_from connections were recorded. Without
 * memory the classifier goes on without them. */
static void cache_start(struct cls *c)
{
	c->hcache = calloc(HCACHE_SLOTS, sizeof(*c->hcache));
	c->dcache = calloc(DCACHE_SLOTS, sizeof(*c->dcache));
	if (c->hcache == NULL || c->dcache == NULL) {
		free(c->hcache);
		free(c->dcache);
		c->hcache = NULL;
		c->dcache = NULL;
		c->cfg.cache_from = UINT32_MAX;
	}
}

static uint64_t dest_hash(struct cls *c, const struct cls_conn *k)
{
	uint8_t buf[19];
	struct dest_slot *ds = NULL;
	uint64_t h;

	if (c->dcache != NULL) {
		ds = &c->dcache[cache_mix(k->ipver, k->dst, k->dport) & (DCACHE_SLOTS - 1)];
		if (ds->ipver == k->ipver && ds->port == k->dport &&
		    memcmp(ds->addr, k->dst, 16) == 0)
			return ds->dh;
	}
	buf[0] = k->ipver;
	memcpy(buf + 1, k->dst, 16);
	buf[17] = (uint8_t)(k->dport >> 8);
	buf[18] = (uint8_t)k->dport;
	h = siphash24(&c->cfg.key, buf, sizeof(buf));
	if (ds != NULL) {
		ds->dh = h;
		memcpy(ds->addr, k->dst, 16);
		ds->port = k->dport;
		ds->ipver = k->ipver;
	}
	return h;
}

/* Slot of the index where the host is, or the empty slot where it goes. */
static size_t index_probe(const struct cls *c, uint64_t h, uint8_t ipver, const uint8_t addr[16])
{
	size_t mask = c->index_cap - 1, i = (size_t)h & mask;

	for (;;) {
		uint32_t v = c->index[i];

		if (v == 0)
			return i;
		if (c->hosts[v - 1].ipver == ipver && memcmp(c->hosts[v - 1].addr, addr, 16) == 0)
			return i;
		i = (i + 1) & mask;
	}
}

static enum tc_rc index_grow(struct cls *c)
{
	size_t cap = c->index_cap * 2;
	uint32_t *idx = calloc(cap, sizeof(*idx));

	if (idx == NULL)
		return TC_NOMEM;
	for (size_t h = 0; h < c->n_hosts; h++) {
		size_t i = (size_t)host_hash(c, c->hosts[h].ipver, c->hosts[h].addr) & (cap - 1);

		while (idx[i] != 0)
			i = (i + 1) & (cap - 1);
		idx[i] = (uint32_t)h + 1;
	}
	free(c->index);
	c->index = idx;
	c->index_cap = cap;
	return TC_OK;
}

/* The host of conn, created if new. TC_OK, TC_EXHAUSTED, TC_NOMEM. */
static enum tc_rc host_get(struct cls *c, const struct cls_conn *k, struct host **out)
{
	uint32_t *cs = NULL;
	uint64_t h;
	size_t slot;
	struct host *hp;

	if (c->hcache != NULL) {
		uint32_t v;

		cs = &c->hcache[cache_mix(k->ipver, k->src, 0) & (HCACHE_SLOTS - 1)];
		v = *cs;
		if (v != 0 && c->hosts[v - 1].ipver == k->ipver &&
		    memcmp(c->hosts[v - 1].addr, k->src, 16) == 0) {
			*out = &c->hosts[v - 1];
			return TC_OK;
		}
	}
	h = host_hash(c, k->ipver, k->src);
	slot = index_probe(c, h, k->ipver, k->src);
	if (c->index[slot] != 0) {
		if (cs != NULL)
			*cs = c->index[slot];
		*out = &c->hosts[c->index[slot] - 1];
		return TC_OK;
	}
	if (c->n_hosts >= c->cfg.max_hosts)
		return TC_EXHAUSTED;
	if (c->n_hosts == c->cap_hosts) {
		size_t cap = c->cap_hosts ? c->cap_hosts * 2 : 16;
		struct host *nh = realloc(c->hosts, cap * sizeof(*nh));

		if (nh == NULL)
			return TC_NOMEM;
		c->hosts = nh;
		c->cap_hosts = cap;
	}
	if ((c->n_hosts + 1) * 2 >= c->index_cap) {
		if (index_grow(c) != TC_OK)
			return TC_NOMEM;
		slot = index_probe(c, h, k->ipver, k->src);
	}
	hp = &c->hosts[c->n_hosts];
	memset(hp, 0, sizeof(*hp));
	hp->ipver = k->ipver;
	memcpy(hp->addr, k->src, 16);
	c->index[slot] = (uint32_t)++c->n_hosts;
	if (cs != NULL)
		*cs = (uint32_t)c->n_hosts;
	*out = hp;
	return TC_OK;
}

/* ==== recording ======================================================== */

/* Add port to the set; returns 1 when it was not there yet, else 0. */
static uint32_t bit_add(uint64_t *bits, uint16_t port)
{
	uint64_t m = UINT64_C(1) << (port % 64);
	uint32_t added = (bits[port / 64] & m) == 0;

	bits[port / 64] |= m;
	return added;
}

/* A first block of first_cap samples from the arena, or NULL. */
static struct sample *first_block(struct cls *c)
{
	struct arena_chunk *a = c->arena;

	if (a == NULL || a->used == a->blocks) {
		uint32_t blocks = a == NULL ? 8 : a->blocks * 2 < ARENA_BLOCKS ? a->blocks * 2
									     : ARENA_BLOCKS;

		a = malloc(sizeof(*a) + (size_t)blocks * c->first_cap * sizeof(a->s[0]));
		if (a == NULL)
			return NULL;
		a->next = c->arena;
		a->used = 0;
		a->blocks = blocks;
		c->arena = a;
	}
	return &a->s[(size_t)a->used++ * c->first_cap];
}

/* A sample dropped from the ring into the middle table (see struct mid). */
static void mid_add(struct mid *md, const struct sample *x)
{
	struct mid_slot *s, *low = NULL;

	for (uint32_t i = 0; i < md->used; i++) {
		s = &md->s[i];
		if (s->port != x->sport) {
			/* the unpinned slot with the smallest count, first of equals */
			if (s->n < CLS_FIXED_ENDPOINTS && (low == NULL || s->count < low->count))
				low = s;
			continue;
		}
		s->count++;
		if (s->n == CLS_FIXED_ENDPOINTS)
			return;
		for (uint32_t j = 0; j < s->n; j++)
			if (s->ep[j].dh == x->dh)
				return;
		s->ep[s->n++] = *x;
		md->samples++;
		return;
	}
	if (md->used < MID_SLOTS) {
		s = &md->s[md->used++];
		s->count = 1;
	} else if (low != NULL) {
		/* Space-Saving: the new port takes over the smallest count */
		s = low;
		s->count++;
		md->samples -= s->n;
	} else {
		return;                  /* every slot holds a port that fired */
	}
	s->port = x->sport;
	s->n = 1;
	s->ep[0] = *x;
	md->samples++;
}

/*
 * The tuple index of a UDP stream. A UDP socket whose 5-tuple goes quiet for
 * the 60 s idle timeout comes back as a new flow, and so as a new record;
 * counted each time, one long-lived socket (syslog every 90 s) would look
 * like a host choosing one port again and again, and make a random host
 * `fixed` (audit fp item 3). A record whose (source port, destination) is
 * among the kept samples is the same socket seen again, not a port choice,
 * and cls_add_once leaves it out (cls_add, fed one record per port choice
 * by its tests and the allocator models, records it). The index maps that pair to the sample's
 * position: open addressing, linear probing over the keyed destination
 * hash (a capture cannot aim at one slot), positions + 1, 0 empty; at most
 * half full, so O(1) per record; a sample the ring overwrites leaves it
 * first (backward-shift deletion). Past 2 keep records the same pair can
 * come back once its sample left the ring: a choice again, 1 in keep at
 * most. 4 KiB at keep 256, for UDP streams only.
 */
static uint32_t tix_home(const struct stream *st, uint16_t sport, uint64_t dh)
{
	uint64_t x = dh ^ (uint64_t)sport * UINT64_C(0x9e3779b97f4a7c15);

	return (uint32_t)(x >> 32) & (st->tix_cap - 1);
}

/* The position of the kept sample with this (sport, dh), or -1. */
static int64_t tix_find(const struct stream *st, uint16_t sport, uint64_t dh)
{
	if (st->tix_cap == 0)
		return -1;
	for (uint32_t i = tix_home(st, sport, dh); st->tix[i] != 0; i = (i + 1) & (st->tix_cap - 1)) {
		const struct sample *y = &st->s[st->tix[i] - 1];

		if (y->dh == dh && y->sport == sport)
			return (int64_t)st->tix[i] - 1;
	}
	return -1;
}

static void tix_put(struct stream *st, uint32_t pos)
{
	uint32_t i = tix_home(st, st->s[pos].sport, st->s[pos].dh);

	while (st->tix[i] != 0)
		i = (i + 1) & (st->tix_cap - 1);
	st->tix[i] = pos + 1;
}

/* Remove the sample at pos (still in s[pos]) from the index. */
static void tix_del(struct stream *st, uint32_t pos)
{
	uint32_t mask = st->tix_cap - 1, i = tix_home(st, st->s[pos].sport, st->s[pos].dh), j;

	while (st->tix[i] != pos + 1)
		i = (i + 1) & mask;
	/* backward shift: pull back each later entry of the run whose home
	 * is not cyclically in (i, j] */
	for (j = (i + 1) & mask; st->tix[j] != 0; j = (j + 1) & mask) {
		const struct sample *y = &st->s[st->tix[j] - 1];
		uint32_t k = tix_home(st, y->sport, y->dh);

		if (((j - k) & mask) >= ((j - i) & mask)) {
			st->tix[i] = st->tix[j];
			i = j;
		}
	}
	st->tix[i] = 0;
}

/* Room in the index for `entries` samples, at most half full. TC_OK, or
 * TC_NOMEM with the stream unchanged. */
static enum tc_rc tix_reserve(struct stream *st, uint64_t entries)
{
	uint32_t cap = st->tix_cap ? st->tix_cap : 32, *nt;
	uint64_t held = st->n;

	while ((uint64_t)cap < 2 * entries)
		cap *= 2;
	if (cap == st->tix_cap)
		return TC_OK;
	nt = calloc(cap, sizeof(*nt));
	if (nt == NULL)
		return TC_NOMEM;
	free(st->tix);
	st->tix = nt;
	st->tix_cap = cap;
	if (held > st->cap)
		held = st->cap;
	for (uint32_t pos = 0; pos < held; pos++)
		tix_put(st, pos);
	return TC_OK;
}

static enum tc_rc stream_add(struct cls *c, struct stream *st, bool udp, const struct sample *x)
{
	uint32_t keep = c->cfg.keep;
	uint64_t pos = st->n < keep ? st->n : keep + (st->n - keep) % keep;

	if (udp && tix_reserve(st, st->n < 2 * (uint64_t)keep ? st->n + 1 : 2 * (uint64_t)keep) != TC_OK)
		return TC_NOMEM;
	if (udp && st->n >= 2 * (uint64_t)keep) {
		/* s[pos] is about to be overwritten: port.fixed keeps what it
		 * needs of it */
		if (st->mid == NULL) {
			st->mid = calloc(1, sizeof(*st->mid));
			if (st->mid == NULL)
				return TC_NOMEM;
		}
		mid_add(st->mid, &st->s[pos]);
		tix_del(st, (uint32_t)pos);
	}

	if (pos >= st->cap) {
		/* first_cap, then doubling up to 2 keep (a first block of
		 * 2 keep never grows) */
		uint32_t cap = st->cap ? st->cap * 2 : c->first_cap;
		struct sample *ns;

		if (cap > 2 * keep)
			cap = 2 * keep;
		if (st->cap == 0) {
			ns = first_block(c);
		} else if (st->cap == c->first_cap) {
			ns = malloc((size_t)cap * sizeof(*ns));
			if (ns != NULL)
				memcpy(ns, st->s, (size_t)st->cap * sizeof(*ns));
		} else {
			ns = realloc(st->s, (size_t)cap * sizeof(*ns));
		}
		if (ns == NULL)
			return TC_NOMEM;
		st->s = ns;
		st->cap = cap;
	}
	if (st->n == keep && st->bits == NULL) {
		/* From now on samples are overwritten: count distinct ports in a
		 * bitmap, seeded with the first keep (all still present). */
		st->bits = calloc(65536 / 64, sizeof(*st->bits));
		if (st->bits == NULL)
			return TC_NOMEM;
		for (uint32_t i = 0; i < keep; i++)
			st->distinct += bit_add(st->bits, st->s[i].sport);
	}
	if (st->bits)
		st->distinct += bit_add(st->bits, x->sport);
	st->s[pos] = *x;
	if (udp)
		tix_put(st, (uint32_t)pos);
	if (st->n == 0 || x->sport < st->min_port)
		st->min_port = x->sport;
	if (st->n == 0 || x->sport > st->max_port)
		st->max_port = x->sport;
	st->n++;
	return TC_OK;
}

/* cls_add and cls_add_once; once: refuse a UDP tuple already kept. */
static enum tc_rc add_conn(struct cls *c, const struct cls_conn *conn, bool once)
{
	struct host *h;
	struct stream *st;
	struct sample x;
	enum tc_rc rc;

	if ((conn->proto != PROTO_TCP && conn->proto != PROTO_UDP) ||
	    (conn->ipver != 4 && conn->ipver != 6))
		return TC_UNSUPPORTED;
	/* a server's reply taken for a client's query, or ports fixed by the
	 * protocol (classify.h) */
	if (conn->proto == PROTO_UDP && cls_not_a_choice(conn->sport, conn->dport))
		return TC_UNSUPPORTED;
	if (c->hcache == NULL && c->cfg.cache_from != UINT32_MAX && c->adds++ >= c->cfg.cache_from)
		cache_start(c);
	rc = host_get(c, conn, &h);
	if (rc == TC_EXHAUSTED)
		c->dropped++;
	if (rc != TC_OK)
		return rc;
	st = conn->proto == PROTO_TCP ? &h->tcp : &h->udp;
	x.idx = st->n;
	x.frame = conn->frame;
	x.ts_sec = conn->ts_sec;
	x.ts_nsec = conn->ts_nsec;
	x.ts_digits = conn->ts_digits;
	x.dh = dest_hash(c, conn);
	x.sport = conn->sport;
	/* the same UDP socket again after an idle timeout (see tix_find) */
	if (once && conn->proto == PROTO_UDP && tix_find(st, x.sport, x.dh) >= 0)
		return TC_END;
	return stream_add(c, st, conn->proto == PROTO_UDP, &x);
}

enum tc_rc cls_add(struct cls *c, const struct cls_conn *conn)
{
	return add_conn(c, conn, false);
}

enum tc_rc cls_add_once(struct cls *c, const struct cls_conn *conn)
{
	return add_conn(c, conn, true);
}

/* ==== statistics helpers =============================================== */

/* lgamma(j + 1.0), through the memo when j is small. */
static double lgf(const struct cls *c, uint32_t j)
{
	double v;

	if (j >= c->memo_n)
		return lgamma(j + 1.0);
	v = c->lgf[j];
	if (v == 0 && j >= 2) {        /* [0] and [1] are filled at creation */
		v = lgamma(j + 1.0);
		c->lgf[j] = v;
	}
	return v;
}

/* exp(-(double)k / 4), through the memo when k is small. */
static double expq(const struct cls *c, uint32_t k)
{
	double v;

	if (k >= c->memo_n)
		return exp(-(double)k / 4);
	v = c->expq[k];
	if (v == 0) {
		v = exp(-(double)k / 4);
		c->expq[k] = v;
	}
	return v;
}

/* P(X >= k) for X ~ Binomial(m, p), summed in log space. */
static double binom_sf(const struct cls *c, uint32_t k, uint32_t m, double p)
{
	double sum = 0, lp, lq, lm;

	if (k == 0 || p >= 1)
		return 1;
	if (k > m || p <= 0)
		return 0;
	lp = log(p);
	lq = log1p(-p);
	lm = lgf(c, m);              /* the same every term: worked out once */
	for (uint32_t j = k; j <= m; j++) {
		double t = exp(lm - lgf(c, j) - lgf(c, m - j) +
			       j * lp + (m - j) * lq);

		sum += t;
		if (j > m * p && t < sum * 1e-17)
			break;
	}
	return sum > 1 ? 1 : sum;
}

static double support(const struct cls *cl, double share, uint32_t k)
{
	double c = share * (1 - expq(cl, k));

	return c < 0 ? 0 : c > 1 ? 1 : c;
}

/*
 * Stable merge sorts with the comparison inlined (qsort's calls through a
 * function pointer were most of the classifier's cost at the end of a
 * capture). Every order used below is total (ties end on the connection
 * number, unique in a stream), so the result is the one qsort gave.
 * Runs of SORT_RUN are insertion sorted, then merged bottom up between a
 * and tmp[n]; the sorted values end in a.
 */
#define SORT_RUN 16

#define DEFINE_SORT(name, type, less)                                           \
	static void name(type *a, type *tmp, uint32_t n)                            \
	{                                                                           \
		type *src = a, *dst = tmp;                                          \
                                                                                    \
		for (uint32_t lo = 0; lo < n; lo += SORT_RUN) {                     \
			uint32_t hi = n - lo < SORT_RUN ? n : lo + SORT_RUN;        \
                                                                                    \
			for (uint32_t i = lo + 1; i < hi; i++) {                    \
				type x = a[i];                                      \
				uint32_t j = i;                                     \
                                                                                    \
				for (; j > lo && less((&x), (&a[j - 1])); j--)      \
					a[j] = a[j - 1];                            \
				a[j] = x;                                           \
			}                                                           \
		}                                                                   \
		for (uint32_t w = SORT_RUN; w < n; w *= 2) {                        \
			for (uint32_t lo = 0; lo < n; lo += 2 * w) {                \
				uint32_t mid = n - lo < w ? n : lo + w;             \
				uint32_t hi = n - lo < 2 * w ? n : lo + 2 * w;      \
				uint32_t i = lo, j = mid, k = lo;                   \
                                                                                    \
				while (i < mid && j < hi)                           \
					dst[k++] = less((&src[j]), (&src[i]))       \
							   ? src[j++] : src[i++];   \
				while (i < mid)                                     \
					dst[k++] = src[i++];                        \
				while (j < hi)                                      \
					dst[k++] = src[j++];                        \
			}                                                           \
			{                                                           \
				type *t = src;                                      \
                                                                                    \
				src = dst;                                          \
				dst = t;                                            \
			}                                                           \
		}                                                                   \
		if (src != a)                                                       \
			memcpy(a, src, (size_t)n * sizeof(*a));                     \
	}

#define LESS_VAL(x, y) (*(x) < *(y))
/* by destination, then connection number */
#define LESS_DEST(x, y) ((x)->dh != (y)->dh ? (x)->dh < (y)->dh : (x)->idx < (y)->idx)
/* by source port, then destination, then connection number */
#define LESS_SPORT(x, y) ((x)->sport != (y)->sport ? (x)->sport < (y)->sport : LESS_DEST(x, y))
#define LESS_IDX(x, y) ((x)->idx < (y)->idx)

DEFINE_SORT(sort_i32, int32_t, LESS_VAL)
DEFINE_SORT(sort_u16, uint16_t, LESS_VAL)
DEFINE_SORT(sort_dest, struct sample, LESS_DEST)
DEFINE_SORT(sort_sport, struct sample, LESS_SPORT)
DEFINE_SORT(sort_idx, struct sample, LESS_IDX)

/*
 * The range the ports were drawn from, for modular steps: the smallest of
 * the usual ranges (SPEC.md profiles, FreeBSD's 10000-65535, RFC 6056's
 * advice 1024-65535) holding every port seen, else all ports.
 */
static void guess_range(uint16_t lo, uint16_t hi, uint32_t *low, uint32_t *high)
{
	static const uint32_t ranges[][2] = {
		{ 1024, 5001 }, { 32768, 61000 }, { 49152, 65536 },
		{ 10000, 65536 }, { 1024, 65536 }, { 1, 65536 },
	};

	for (size_t i = 0; i < TC_ARRAY_SIZE(ranges); i++) {
		if (lo >= ranges[i][0] && hi < ranges[i][1]) {
			*low = ranges[i][0];
			*high = ranges[i][1];
			return;
		}
	}
	*low = 0;
	*high = 65536;
}

/* b - a modulo r, in (-r/2, r/2] */
static int32_t mstep(uint16_t a, uint16_t b, uint32_t r)
{
	int64_t f = ((int64_t)b - a) % (int64_t)r;

	if (f < 0)
		f += r;
	return (int32_t)(f > (int64_t)r / 2 ? f - r : f);
}

/* dst = src, entries past src->n left as they are */
static void ev_copy(struct cls_evidence *dst, const struct cls_evidence *src)
{
	dst->n = src->n;
	memcpy(dst->index, src->index, src->n * sizeof(src->index[0]));
	memcpy(dst->frame, src->frame, src->n * sizeof(src->frame[0]));
	memcpy(dst->ts_sec, src->ts_sec, src->n * sizeof(src->ts_sec[0]));
	memcpy(dst->ts_nsec, src->ts_nsec, src->n * sizeof(src->ts_nsec[0]));
	memcpy(dst->ts_digits, src->ts_digits, src->n * sizeof(src->ts_digits[0]));
}

/* ev_add for a sample known not to be there yet (the callers go through
 * distinct samples: a connection number is unique in its stream). */
static void ev_append(struct cls_evidence *e, const struct sample *x)
{
	if (e->n < CLS_MAX_EVIDENCE) {
		e->index[e->n] = x->idx;
		e->frame[e->n] = x->frame;
		e->ts_sec[e->n] = x->ts_sec;
		e->ts_nsec[e->n] = x->ts_nsec;
		e->ts_digits[e->n] = x->ts_digits;
		e->n++;
	}
}

static void ev_add(struct cls_evidence *e, const struct sample *x)
{
	for (uint32_t i = 0; i < e->n; i++)
		if (e->index[i] == x->idx)
			return;
	ev_append(e, x);
}

/* ==== the verdict for one (host, protocol) ============================= */

struct step {
	int32_t s;
	uint32_t at;                 /* position of the later connection in v[] */
};

/* Scratch bytes for a stream of cap kept samples and extra samples from
 * the middle table (see judge). */
#define SCRATCH_BYTES(cap, extra)                                                       \
	(((cap) + 2 * ((cap) + (extra))) * sizeof(struct sample) +                      \
	 (cap) * (2 * sizeof(struct step) + sizeof(int32_t) + 2 * sizeof(uint16_t)))
#define STACK_SAMPLES 64

struct scratch {
	struct sample *v;            /* kept samples, by connection number */
	struct sample *w;            /* sorted copies (cap + extra) */
	void *tmp;                   /* the sorts' other half (cap + extra samples) */
	struct step *cross, *global;
	int32_t *vals;
	uint16_t *ports;             /* kept ports, sorted */
	uint16_t *gports;            /* kept ports sorted within each destination */
};

/* Kept samples in connection order. */
static uint32_t gather(const struct stream *st, uint32_t keep, struct sample *v)
{
	uint64_t first = st->n < keep ? st->n : keep;
	uint64_t ring = st->n > keep ? st->n - keep : 0;
	uint32_t m = 0;

	for (uint64_t i = 0; i < first; i++)
		v[m++] = st->s[i];
	if (ring <= keep) {
		for (uint64_t i = 0; i < ring; i++)
			v[m++] = st->s[keep + i];
	} else {
		for (uint64_t j = 0; j < keep; j++)
			v[m++] = st->s[keep + (ring + j) % keep];
	}
	return m;
}

/* Entries of the sorted s[n] that are <= x. */
static uint32_t count_upto(const uint16_t *s, uint32_t n, uint32_t x)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Entries q of the sorted s[n] a forward step of 1..b from a, modulo the
 * range [low, low + range) that holds them all: (q - a) mod range in [1, b],
 * b < range. */
static uint32_t count_window(const uint16_t *s, uint32_t n, uint32_t a, uint32_t b,
			     uint32_t low, uint32_t range)
{
	uint32_t end = a + b;

	if (end < low + range)
		return count_upto(s, n, end) - count_upto(s, n, a);
	return n - count_upto(s, n, a) + count_upto(s, n, end - range);
}

/*
 * port.fixed: the source port with the most distinct destination
 * endpoints among the kept samples and the middle table's (at most
 * CLS_MAX_EVIDENCE of the first flow to each, earliest first, as
 * evidence). sc->w and sc->tmp hold m + the table's samples.
 */
static void judge_fixed_rule(const struct scratch *sc, uint32_t m, const struct mid *md,
			     struct cls_stream_result *r)
{
	uint32_t best = 0, best_at = 0, i = 0, t = m;

	memcpy(sc->w, sc->v, m * sizeof(*sc->w));
	for (uint32_t k = 0; md != NULL && k < md->used; k++)
		for (uint32_t j = 0; j < md->s[k].n; j++)
			sc->w[t++] = md->s[k].ep[j];
	if (t < CLS_FIXED_ENDPOINTS)
		return;
	sort_sport(sc->w, sc->tmp, t);
	while (i < t) {
		uint32_t j = i, endpoints = 0;

		for (; j < t && sc->w[j].sport == sc->w[i].sport; j++)
			if (j == i || sc->w[j].dh != sc->w[j - 1].dh)
				endpoints++;
		if (endpoints > best) {
			best = endpoints;
			best_at = i;
		}
		i = j;
	}
	r->fixed_endpoints = best;
	if (best < CLS_FIXED_ENDPOINTS)
		return;
	r->port_fixed = true;
	r->fixed_port = sc->w[best_at].sport;
	/* the first connection to each endpoint (by destination, then
	 * number: the first of each run), earliest first */
	{
		uint32_t n = 0;

		for (uint32_t j = best_at; j < t && sc->w[j].sport == r->fixed_port; j++)
			if (j == best_at || sc->w[j].dh != sc->w[j - 1].dh)
				sc->w[n++] = sc->w[j];
		sort_idx(sc->w, sc->tmp, n);
		for (uint32_t j = 0; j < n; j++)
			ev_append(&r->fixed_evidence, &sc->w[j]);
	}
}

/* Rule 4 on one set of steps: share of forward steps <= bound, the chance
 * of that many under each null hypothesis, their median. vals: scratch [n]. */
struct inc_test {
	uint32_t hits, median;
	double share, pvalue, pvalue_perm;
	bool pass;
};

static void inc_test(const struct cls *c, const struct step *set, uint32_t n, uint32_t bound,
		     uint32_t range, double p_perm, int32_t *vals, int32_t *tmp, struct inc_test *t)
{
	t->hits = 0;
	for (uint32_t i = 0; i < n; i++)
		if (set[i].s >= 1 && (uint32_t)set[i].s <= bound)
			vals[t->hits++] = set[i].s;
	t->share = n ? (double)t->hits / n : 0;
	t->pvalue = binom_sf(c, t->hits, n, (double)bound / range);
	t->pvalue_perm = binom_sf(c, t->hits, n, p_perm);
	t->median = 0;
	if (t->hits) {
		sort_i32(vals, tmp, t->hits);
		t->median = (uint32_t)vals[t->hits / 2];
	}
	t->pass = n >= 3 && t->share >= INC_SHARE && t->pvalue <= INC_MAX_PVALUE &&
		  t->pvalue_perm <= INC_MAX_PVALUE_PERM;
}

/* The verdict for one stream into r, which the caller zeroed. */
static enum tc_rc judge(const struct cls *c, const struct stream *st, uint8_t proto,
			struct cls_stream_result *r)
{
	struct cls_features *f = &r->f;
	struct scratch sc;
	uint32_t m, nc = 0, ng = 0, range, top = 0, even = 0, extra;
	void *block;
	size_t cap;
	bool seq = false, inc = false, pd = false, pd_strong = false, legacy = false;
	bool stride = false, hw = false, hw_up = true, dense = false;
	double seq_conf = 0, hw_conf = 0, inc_conf = 0, pd_conf = 0, legacy_conf = 0;
	/* only .n and the entries below it are ever read: no need to zero
	 * five arrays of 16 frames each time */
	struct cls_evidence ev_fixed, ev_pd, ev_up, ev_down, ev_block, ev_dense;
	const struct cls_evidence *ev_hw = NULL;
	const struct step *inc_set = NULL;
	uint32_t inc_n = 0;
	/* most streams are short: their scratch fits here, no malloc */
	union {
		struct sample align;
		unsigned char b[SCRATCH_BYTES(STACK_SAMPLES, 0)];
	} local;

	ev_fixed.n = ev_pd.n = ev_up.n = ev_down.n = ev_block.n = ev_dense.n = 0;
	r->proto = proto;
	r->connections = st->n;
	r->cls = PC_UNKNOWN;
	if (st->n == 0)
		return TC_OK;
	r->min_port = st->min_port;
	r->max_port = st->max_port;

	cap = st->n < 2 * (uint64_t)c->cfg.keep ? (size_t)st->n : 2 * (size_t)c->cfg.keep;
	extra = st->mid != NULL ? st->mid->samples : 0;
	block = SCRATCH_BYTES(cap, extra) <= sizeof(local) ? (void *)&local
							    : malloc(SCRATCH_BYTES(cap, extra));
	if (block == NULL)
		return TC_NOMEM;
	sc.v = block;
	sc.w = sc.v + cap;
	sc.tmp = sc.w + cap + extra;
	sc.cross = (struct step *)(sc.v + cap + 2 * (cap + extra));
	sc.global = sc.cross + cap;
	sc.vals = (int32_t *)(sc.global + cap);
	sc.ports = (uint16_t *)(sc.vals + cap);
	sc.gports = sc.ports + cap;
	m = gather(st, c->cfg.keep, sc.v);
	f->kept = m;

	/* ---- ports: distinct, most used, parity ---- */
	for (uint32_t i = 0; i < m; i++) {
		sc.ports[i] = sc.v[i].sport;
		even += sc.v[i].sport % 2 == 0;
	}
	sort_u16(sc.ports, sc.tmp, m);
	{
		uint32_t distinct = 0, run = 0;
		uint16_t top_port = 0;

		for (uint32_t i = 0; i < m; i++) {
			run = i > 0 && sc.ports[i] == sc.ports[i - 1] ? run + 1 : 1;
			distinct += run == 1;
			if (run > top) {
				top = run;
				top_port = sc.ports[i];
			}
		}
		r->distinct_ports = st->bits ? st->distinct : distinct;
		f->top_port_share = (double)top / m;
		f->even_share = (double)even / m;
		for (uint32_t i = 0; i < m && ev_fixed.n < CLS_MAX_EVIDENCE; i++)
			if (sc.v[i].sport == top_port)
				ev_append(&ev_fixed, &sc.v[i]);
	}
	/* port.fixed needs CLS_FIXED_ENDPOINTS endpoints among the samples */
	if (proto == PROTO_UDP)
		judge_fixed_rule(&sc, m, st->mid, r);
	if (c->cfg.brief && st->n < c->cfg.min_samples) {
		/* the class is unknown whatever the steps say: of the rest
		 * only the destinations are shown, counted as rule 5 does */
		uint32_t dests = 0;

		memcpy(sc.w, sc.v, m * sizeof(*sc.w));
		sort_dest(sc.w, sc.tmp, m);
		for (uint32_t i = 0; i < m; i++)
			dests += i == 0 || sc.w[i].dh != sc.w[i - 1].dh;
		f->destinations = dests;
		goto out;
	}

	guess_range(st->min_port, st->max_port, &f->range_low, &f->range_high);
	range = f->range_high - f->range_low;

	/* ---- steps between successive connections ---- */
	for (uint32_t i = 1; i < m; i++) {
		struct step x;

		if (sc.v[i].idx != sc.v[i - 1].idx + 1)
			continue;             /* the gap between first and last K */
		x.s = mstep(sc.v[i - 1].sport, sc.v[i].sport, range);
		x.at = i;
		sc.global[ng++] = x;
		if (sc.v[i].dh != sc.v[i - 1].dh)
			sc.cross[nc++] = x;
	}
	f->cross_steps = nc;

	/* ---- rule 3: one constant stride between different destinations ---- */
	f->cross_mode_pvalue = 1;
	if (nc > 0) {
		uint32_t small = 0, best = 0, run = 0;
		int32_t mode = 0;

		for (uint32_t i = 0; i < nc; i++) {
			sc.vals[i] = sc.cross[i].s;
			small += sc.cross[i].s != 0 && abs(sc.cross[i].s) <= SEQ_SMALL_STRIDE;
		}
		sort_i32(sc.vals, sc.tmp, nc);
		for (uint32_t i = 0; i < nc; i++) {
			run = i > 0 && sc.vals[i] == sc.vals[i - 1] ? run + 1 : 1;
			if (sc.vals[i] != 0 && run > best) {
				best = run;
				mode = sc.vals[i];
			}
		}
		f->cross_mode = mode;
		f->cross_mode_share = (double)best / nc;
		f->cross_small_share = (double)small / nc;
		if (best > 0) {
			/* the stride was picked as the most common one: chance of
			 * one given stride that often, times the strides it could
			 * have been */
			double strides = abs(mode) <= SEQ_SMALL_STRIDE ? 2.0 * SEQ_SMALL_STRIDE : range;
			double pv = strides * binom_sf(c, best, nc, 1.0 / range);

			f->cross_mode_pvalue = pv < 1 ? pv : 1;
		}
		stride = best >= 2 && f->cross_mode_share >= SEQ_MODE_SHARE &&
			 f->cross_mode_pvalue <= SEQ_MAX_PVALUE;
		seq_conf = support(c, f->cross_mode_share, best);
	}

	/* ---- rule 3b: the high-water mark of a lowest-free allocator ---- */
	{
		uint32_t up = 0, down = 0, elig_up = 0, elig_down = 0, hi_at = 0, lo_at = 0;

		for (uint32_t i = 1; i < m; i++) {
			uint16_t p = sc.v[i].sport, hi = sc.v[hi_at].sport, lo = sc.v[lo_at].sport;

			if (sc.v[i].dh != sc.v[hi_at].dh) {
				elig_up++;
				if (p == hi + 1) {
					up++;
					ev_add(&ev_up, &sc.v[hi_at]);
					ev_add(&ev_up, &sc.v[i]);
				}
			}
			if (sc.v[i].dh != sc.v[lo_at].dh) {
				elig_down++;
				if (p + 1 == lo) {
					down++;
					ev_add(&ev_down, &sc.v[lo_at]);
					ev_add(&ev_down, &sc.v[i]);
				}
			}
			if (p > hi)
				hi_at = i;
			if (p < lo)
				lo_at = i;
		}
		hw_up = up >= down;
		f->hw_eligible = up >= down ? elig_up : elig_down;
		f->hw_extends = up >= down ? up : down;
		f->hw_pvalue = binom_sf(c, f->hw_extends, f->hw_eligible, 1.0 / range);
		if (f->hw_extends >= HW_MIN_EXTENDS && f->hw_extends >= HW_SHARE * f->hw_eligible &&
		    f->hw_pvalue <= HW_MAX_PVALUE) {
			hw = true;
			hw_conf = support(c, (double)f->hw_extends / f->hw_eligible, f->hw_extends);
		}
	}

	/* ---- rule 5: small forward steps to the same destination ---- */
	{
		uint32_t pairs = 0, hits = 0, dests = 0, g0 = 0, g1 = 0, fit = 0;
		double psum = 0, psum_other = 0;

		memcpy(sc.w, sc.v, m * sizeof(*sc.w));
		sort_dest(sc.w, sc.tmp, m);
		for (uint32_t i = 0; i < m; i++) {
			uint64_t gap;
			uint32_t b, others;
			int64_t fw;

			if (i == 0 || sc.w[i].dh != sc.w[i - 1].dh) {
				/* a new destination: its ports, sorted */
				dests++;
				g0 = i;
				for (g1 = i; g1 < m && sc.w[g1].dh == sc.w[i].dh; g1++)
					sc.gports[g1] = sc.w[g1].sport;
				sort_u16(sc.gports + g0, sc.tmp, g1 - g0);
				continue;
			}
			gap = sc.w[i].idx - sc.w[i - 1].idx;
			b = gap < range ? (uint32_t)(PD_STEP_PER_CONN * (gap + 1)) : range;
			if (b > range / 8)
				b = range / 8;
			fw = ((int64_t)sc.w[i].sport - sc.w[i - 1].sport) % (int64_t)range;
			if (fw < 0)
				fw += range;
			/* the chance of a hit: b/R over the assumed range, and
			 * the share of the other destinations' ports in the same
			 * window (larger for a narrower real range, or a stray
			 * port that widened the assumed one) */
			{
				uint32_t own = count_window(sc.gports + g0, g1 - g0, sc.w[i - 1].sport,
							    b, f->range_low, range);
				uint32_t in = count_window(sc.ports, m, sc.w[i - 1].sport, b,
							   f->range_low, range) - own;

				others = m - (g1 - g0);
				if (others == 0) {
					/* one destination: its other connections */
					in = own - (fw >= 1 && fw <= b);
					others = g1 - g0 - 2;
				}
				psum_other += (in + PD_PRIOR * b / range) / (others + PD_PRIOR);
			}
			pairs++;
			psum += (double)b / range;
			/* what a global counter of stride cross_mode predicts */
			fit += ((int64_t)sc.w[i].sport - sc.w[i - 1].sport -
				(int64_t)(gap % range) * f->cross_mode) % (int64_t)range == 0;
			if (fw >= 1 && fw <= b) {
				hits++;
				ev_add(&ev_pd, &sc.w[i - 1]);
				ev_add(&ev_pd, &sc.w[i]);
			}
		}
		f->destinations = dests;
		f->stride_fit = fit;
		f->pd_pairs = pairs;
		f->pd_hits = hits;
		/* the larger mean chance of the two */
		f->pd_pvalue = pairs ? binom_sf(c, hits, pairs,
						(psum > psum_other ? psum : psum_other) / pairs) : 1;
		pd = hits >= 2 && f->pd_pvalue <= PD_MAX_PVALUE;
		pd_strong = pd && hits >= PD_STRONG_SHARE * pairs;
		if (pairs) {
			double share = 2.0 * hits / pairs;

			pd_conf = support(c, share > 1 ? 1 : share, hits);
		}
	}

	/* ---- rule 3 again: a large stride must be a global counter's ---- */
	/* A counter of stride s moves by g * s between two connections g
	 * apart, to the same destination too. Per-destination offsets that
	 * happen to be evenly spaced, visited in turn, give one large
	 * cross stride as well, but small steps to each destination. */
	if (stride && abs(f->cross_mode) > SEQ_SMALL_STRIDE && f->pd_pairs > 0 &&
	    f->stride_fit < SEQ_MODE_SHARE * f->pd_pairs)
		stride = false;

	/* ---- rule 3d: a counter shared with other traffic ---- */
	f->dense_pvalue = 1;
	if (!stride && !hw && f->destinations >= 2 && nc >= INC_MIN_CROSS &&
	    r->distinct_ports >= LEGACY_MIN_PORTS) {
		uint32_t w = (uint32_t)(st->max_port - st->min_port) + 1, fwd = 0;

		for (uint32_t i = 0; i < nc; i++)
			fwd += sc.cross[i].s >= 1 && (uint32_t)sc.cross[i].s < w;
		if (w < DENSE_MIN_RANGE && fwd >= SEQ_MODE_SHARE * nc) {
			/* every port in a window of w: chance k (w / 256)^(k - 1)
			 * for k distinct ports drawn from 256 or more; forward
			 * steps: at most 1/2 each, whatever the values */
			double pv = r->distinct_ports *
				    pow((double)w / DENSE_MIN_RANGE, r->distinct_ports - 1.0) *
				    binom_sf(c, fwd, nc, 0.5);

			f->dense_pvalue = pv < 1 ? pv : 1;
			dense = f->dense_pvalue <= SEQ_MAX_PVALUE;
			if (dense) {
				seq_conf = support(c, (double)fwd / nc, fwd);
				for (uint32_t i = 0; i < nc; i++) {
					if (sc.cross[i].s >= 1 && (uint32_t)sc.cross[i].s < w) {
						ev_add(&ev_dense, &sc.v[sc.cross[i].at - 1]);
						ev_add(&ev_dense, &sc.v[sc.cross[i].at]);
					}
				}
			}
		}
	}
	seq = stride || hw || dense;
	if (dense) {
		ev_hw = &ev_dense;
	} else if (!stride && hw) {
		seq_conf = hw_conf;
		ev_hw = hw_up ? &ev_up : &ev_down;
	}

	/* ---- rule 3c: a lowest-free block at the bottom of the range ---- */
	if (r->distinct_ports >= LEGACY_MIN_PORTS && st->n > r->distinct_ports &&
	    (uint32_t)(st->max_port - st->min_port) + 1 == r->distinct_ports &&
	    (st->min_port == f->range_low || st->min_port == f->range_low + 1) &&
	    sc.v[0].sport == st->min_port) {
		/* the block starts at its bottom port and each port's first use
		 * (as far as the first kept connections show) extends it by one:
		 * every port below the mark was used before, so a port not above
		 * the mark is not new */
		uint16_t mark = sc.v[0].sport;
		bool ok = true;

		ev_append(&ev_block, &sc.v[0]);
		for (uint32_t i = 1; i < m && sc.v[i].idx == i && ok; i++) {
			if (sc.v[i].sport == mark + 1) {
				mark++;
				ev_append(&ev_block, &sc.v[i]);
			} else if (sc.v[i].sport > mark) {
				ok = false;
			}
		}
		f->block_ports = ok ? (uint32_t)(mark - st->min_port) + 1 : 0;
		legacy = ok && f->block_ports >= LEGACY_MIN_PORTS;
		legacy_conf = support(c, (double)f->block_ports / r->distinct_ports, f->block_ports);
	}

	/* ---- rule 4: forward bounded increments ---- */
	{
		uint32_t bound = range / 4 < INC_MAX_BOUND ? range / 4 : INC_MAX_BOUND;
		struct inc_test tc = { 0 }, tg = { 0 };
		double p_perm = 0;

		if (bound == 0)
			bound = 1;
		/* the chance that the step between two kept connections picked
		 * at random is forward and <= bound: ports confined to a
		 * narrower range than the assumed one make it larger */
		if (m >= 2) {
			for (uint32_t i = 0; i < m; i++)
				p_perm += count_window(sc.ports, m, sc.ports[i], bound, f->range_low,
						       range);
			p_perm /= (double)m * (m - 1);
		}
		if (p_perm < (double)bound / range)
			p_perm = (double)bound / range;
		inc_test(c, sc.cross, nc, bound, range, p_perm, sc.vals, sc.tmp, &tc);
		inc_test(c, sc.global, ng, bound, range, p_perm, sc.vals, sc.tmp, &tg);
		/* cross steps: the counter is shared by all destinations; global
		 * steps: also fine when they are not small (median > 32), which
		 * keeps +1 (alg 3/4) and 2..16 (Linux) to one destination out */
		tc.pass = nc >= INC_MIN_CROSS && tc.pass;
		tg.pass = tg.pass && tg.median > INC_MIN_MEDIAN &&
			  (nc < INC_MIN_CROSS || tc.share >= INC_SHARE) && !pd_strong;
		inc = tc.pass || tg.pass;
		inc_set = tc.pass || (!tg.pass && nc >= INC_MIN_CROSS) ? sc.cross : sc.global;
		inc_n = inc_set == sc.cross ? nc : ng;
		{
			const struct inc_test *t = inc_set == sc.cross ? &tc : &tg;

			f->inc_steps = inc_n;
			f->inc_bound = bound;
			f->inc_share = t->share;
			f->inc_pvalue = t->pvalue;
			f->inc_pvalue_perm = t->pvalue_perm;
			f->inc_median = t->median;
			inc_conf = support(c, t->share, t->hits);
		}
	}

	/* ---- the decision, in the order of the file comment ---- */
	if (st->n < c->cfg.min_samples) {
		r->cls = PC_UNKNOWN;
	} else if (r->port_fixed) {
		r->cls = PC_FIXED;
		r->confidence = support(c, 1, r->fixed_endpoints);
		ev_copy(&r->evidence, &r->fixed_evidence);
	} else if (legacy) {
		r->cls = PC_SEQUENTIAL;
		r->confidence = legacy_conf;
		/* the rule is about connections to different destinations */
		r->port_sequential = f->destinations >= 2;
		ev_copy(&r->evidence, &ev_block);
	} else if (top >= FIXED_MIN_USES && f->top_port_share >= FIXED_SHARE) {
		r->cls = PC_FIXED;
		r->confidence = support(c, f->top_port_share, top);
		ev_copy(&r->evidence, &ev_fixed);
	} else if (seq) {
		r->cls = PC_SEQUENTIAL;
		r->confidence = seq_conf;
		r->port_sequential = true;
		if (ev_hw != NULL)
			ev_copy(&r->evidence, ev_hw);
		for (uint32_t i = 0; i < nc && (ev_hw == NULL || ev_hw->n == 0); i++) {
			if (sc.cross[i].s == f->cross_mode) {
				ev_add(&r->evidence, &sc.v[sc.cross[i].at - 1]);
				ev_add(&r->evidence, &sc.v[sc.cross[i].at]);
			}
		}
	} else if (inc) {
		r->cls = PC_RANDOM_INCREMENTS;
		r->confidence = inc_conf;
		for (uint32_t i = 0; i < inc_n; i++) {
			if (inc_set[i].s >= 1 && (uint32_t)inc_set[i].s <= f->inc_bound) {
				ev_add(&r->evidence, &sc.v[inc_set[i].at - 1]);
				ev_add(&r->evidence, &sc.v[inc_set[i].at]);
			}
		}
	} else if (pd) {
		r->cls = PC_PER_DEST_SEQ;
		r->confidence = pd_conf;
		ev_copy(&r->evidence, &ev_pd);
	} else {
		double against = f->cross_mode_share;

		if (f->inc_share > against)
			against = f->inc_share;
		if (f->pd_pairs && (double)f->pd_hits / f->pd_pairs > against)
			against = (double)f->pd_hits / f->pd_pairs;
		r->cls = PC_RANDOM;
		r->confidence = support(c, 1 - against, m);
		for (uint32_t i = 0; i < m && i < CLS_MAX_EVIDENCE; i++)
			ev_append(&r->evidence, &sc.v[i]);
	}
out:
	if (block != (void *)&local)
		free(block);
	return TC_OK;
}

enum tc_rc cls_host_result(const struct cls *c, size_t i, struct cls_host_result *out)
{
	const struct host *h;
	const struct cls_stream_result *big;
	enum tc_rc rc;

	if (i >= c->n_hosts)
		return TC_END;
	h = &c->hosts[i];
	memset(out, 0, sizeof(*out));
	out->ipver = h->ipver;
	memcpy(out->addr, h->addr, 16);
	rc = judge(c, &h->tcp, PROTO_TCP, &out->tcp);
	if (rc == TC_OK)
		rc = judge(c, &h->udp, PROTO_UDP, &out->udp);
	if (rc != TC_OK)
		return rc;

	out->connections = out->tcp.connections + out->udp.connections;
	out->distinct_ports = out->tcp.distinct_ports + out->udp.distinct_ports;
	if (out->tcp.connections && out->udp.connections) {
		out->min_port = out->tcp.min_port < out->udp.min_port ? out->tcp.min_port
								      : out->udp.min_port;
		out->max_port = out->tcp.max_port > out->udp.max_port ? out->tcp.max_port
								      : out->udp.max_port;
	} else {
		big = out->tcp.connections ? &out->tcp : &out->udp;
		out->min_port = big->min_port;
		out->max_port = big->max_port;
	}
	big = out->tcp.connections >= out->udp.connections ? &out->tcp : &out->udp;
	out->cls = big->cls;
	out->confidence = big->confidence;
	return TC_OK;
}
