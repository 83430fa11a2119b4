/*
 * portalloc.c - ephemeral port allocator models (RFC 6056, 4.4BSD, Linux).
 *
 * Each algorithm is a bounded loop over candidate ports shaped like Linux
 * __inet_hash_connect(): the range is [low, high[ (half-open, high may be
 * 65536), a candidate is rejected when it is explicitly bound, when (LEGACY)
 * any connection holds the port, when (others) the exact 4-tuple is live or
 * in TIME_WAIT, or when the caller's extra check vetoes it; the loop runs at
 * most the range size (ALG2: max_attempts) times and then reports
 * TC_EXHAUSTED. The RFC 6056 pseudo-code is followed line by line; where we
 * deviate, a comment says why.
 *
 * State, all fixed at pa_create():
 *   bound[]      bitmap of the 65536 ports for explicit bind()
 *   port_head[]  per port of the range, the first connection slot using it
 *   slots[]      max_conns connection slots: live or TIME_WAIT, chained per
 *                port through .next (free slots chained through .next too)
 *   tw_fifo[]    TIME_WAIT slots in order of expiry: every close lasts the
 *                same 2*MSL and the model clock never goes back, so expiry
 *                order is close order and pa_advance() pops from the front
 *   table[]      ALG4 counters / LINUX perturbation table
 */
#include <stdlib.h>
#include <string.h>
#include "portalloc.h"

#define PA_NONE UINT32_MAX
#define PA_MAX_CONNS (1u << 24)      /* keeps slot indexes far from PA_NONE */
#define PA_MAX_TABLE (1u << 24)      /* 64 MiB of counters is already absurd */
#define NS_PER_SEC UINT64_C(1000000000)
#define IPPORT_RESERVED 1024         /* 4.4BSD <netinet/in.h> */
#define LEGACY_FIRST (IPPORT_RESERVED + 1)  /* the lowest port LEGACY hands out */

/* ==== PRNG ============================================================= */

void pa_rng_seed(struct pa_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t pa_rng_u64(struct pa_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint32_t pa_rng_below(struct pa_rng *r, uint32_t n)
{
	uint64_t m;
	uint32_t low_bits, threshold;

	if (n == 0)
		return 0;
	m = (uint64_t)(uint32_t)pa_rng_u64(r) * n;
	low_bits = (uint32_t)m;
	if (low_bits < n) {
		threshold = (0u - n) % n;
		while (low_bits < threshold) {
			m = (uint64_t)(uint32_t)pa_rng_u64(r) * n;
			low_bits = (uint32_t)m;
		}
	}
	return (uint32_t)(m >> 32);
}

/* ==== names, profiles, defaults ======================================== */

static const char *const algo_names[PA__COUNT] = {
	[PA_LEGACY] = "legacy", [PA_ALG1] = "alg1", [PA_ALG2] = "alg2",
	[PA_ALG3] = "alg3", [PA_ALG4] = "alg4", [PA_ALG5] = "alg5",
	[PA_LINUX] = "linux",
};

const char *pa_algo_name(enum pa_algo a)
{
	return (unsigned)a < PA__COUNT ? algo_names[a] : "?";
}

enum tc_rc pa_algo_parse(const char *name, enum pa_algo *out)
{
	for (unsigned i = 0; i < PA__COUNT; i++) {
		if (strcmp(name, algo_names[i]) == 0) {
			*out = (enum pa_algo)i;
			return TC_OK;
		}
	}
	return TC_MALFORMED;
}

struct profile {
	const char *name;
	uint16_t lo, hi;             /* inclusive, as SPEC.md writes them */
};

static const struct profile profiles[] = {
	{ "linux",      32768, 60999 },   /* ip_local_port_range since 2015 */
	{ "windows",    49152, 65535 },   /* since Vista / 2008 */
	{ "iana",       49152, 65535 },   /* RFC 6335 dynamic/private */
	{ "bsd-legacy",  1024,  5000 },   /* 4.4BSD IPPORT_RESERVED..USERRESERVED */
};

enum tc_rc pa_profile_range(const char *name, uint16_t *lo, uint16_t *hi)
{
	for (size_t i = 0; i < TC_ARRAY_SIZE(profiles); i++) {
		if (strcmp(name, profiles[i].name) == 0) {
			*lo = profiles[i].lo;
			*hi = profiles[i].hi;
			return TC_OK;
		}
	}
	return TC_MALFORMED;
}

enum tc_rc pa_config_default(struct pa_config *cfg, enum pa_algo algo,
			     const char *profile, struct pa_rng *rng)
{
	uint16_t lo, hi;

	if (profile == NULL)
		profile = algo == PA_LEGACY ? "bsd-legacy" : algo == PA_LINUX ? "linux" : "iana";
	if (pa_profile_range(profile, &lo, &hi) != TC_OK || (unsigned)algo >= PA__COUNT)
		return TC_MALFORMED;
	memset(cfg, 0, sizeof(*cfg));
	cfg->algo = algo;
	cfg->low = lo;
	cfg->high = (uint32_t)hi + 1;
	cfg->table_len = algo == PA_LINUX ? 1u << 16 : 10;
	cfg->max_attempts = 0;
	cfg->increment_n = 500;
	cfg->time_wait_ns = 2 * 60 * NS_PER_SEC;
	cfg->shuffle_ns = algo == PA_LINUX ? 10 * NS_PER_SEC : 0;
	cfg->max_conns = 4096;
	cfg->key1.k0 = pa_rng_u64(rng);
	cfg->key1.k1 = pa_rng_u64(rng);
	cfg->key2.k0 = pa_rng_u64(rng);
	cfg->key2.k1 = pa_rng_u64(rng);
	return TC_OK;
}

/* ==== the allocator object ============================================= */

enum slot_state { SLOT_FREE = 0, SLOT_LIVE, SLOT_TIME_WAIT };

struct pa_slot {
	struct pa_tuple t;
	uint64_t tw_until;           /* SLOT_TIME_WAIT: free from this time on */
	uint32_t next;               /* same-port chain, or free list */
	uint8_t state;               /* enum slot_state */
};

struct pa_alloc {
	struct pa_config cfg;
	uint64_t now;                /* model clock, monotonic */
	uint32_t range;              /* high - low */
	uint64_t bound[65536 / 64];
	uint32_t *port_head;         /* [range] */
	struct pa_slot *slots;       /* [max_conns] */
	uint32_t free_head;
	uint32_t n_live, n_tw;
	uint32_t *tw_fifo;           /* [max_conns] ring */
	uint32_t tw_first;
	uint32_t *table;             /* ALG4 / LINUX counters, else NULL */
	uint64_t next_ephemeral;     /* ALG3 and ALG5 global counter */
};

static bool is_config_valid(const struct pa_config *c)
{
	if ((unsigned)c->algo >= PA__COUNT)
		return false;
	if (c->low < 1 || c->low >= c->high || c->high > 65536)
		return false;
	/* LEGACY hands out ports above 1024 only (alg_legacy): a range with
	 * none is as empty as low == high. */
	if (c->algo == PA_LEGACY && c->high <= LEGACY_FIRST)
		return false;
	if (c->max_conns == 0 || c->max_conns > PA_MAX_CONNS)
		return false;
	if (c->algo == PA_ALG4 && (c->table_len == 0 || c->table_len > PA_MAX_TABLE))
		return false;
	if (c->algo == PA_LINUX && (c->table_len == 0 || c->table_len > PA_MAX_TABLE ||
				    (c->table_len & (c->table_len - 1)) != 0))
		return false;
	if (c->algo == PA_ALG5 && c->increment_n == 0)
		return false;
	return true;
}

enum tc_rc pa_create(struct pa_alloc **out, const struct pa_config *cfg,
		     struct pa_rng *rng)
{
	struct pa_alloc *a;

	*out = NULL;
	if (!is_config_valid(cfg))
		return TC_MALFORMED;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return TC_NOMEM;
	a->cfg = *cfg;
	a->range = cfg->high - cfg->low;
	a->port_head = malloc((size_t)a->range * sizeof(*a->port_head));
	a->slots = calloc(cfg->max_conns, sizeof(*a->slots));
	a->tw_fifo = malloc((size_t)cfg->max_conns * sizeof(*a->tw_fifo));
	if (a->port_head == NULL || a->slots == NULL || a->tw_fifo == NULL)
		goto fail;
	for (uint32_t i = 0; i < a->range; i++)
		a->port_head[i] = PA_NONE;
	for (uint32_t i = 0; i < cfg->max_conns; i++)
		a->slots[i].next = i + 1 < cfg->max_conns ? i + 1 : PA_NONE;
	a->free_head = 0;

	if (cfg->algo == PA_ALG4 || cfg->algo == PA_LINUX) {
		a->table = malloc((size_t)cfg->table_len * sizeof(*a->table));
		if (a->table == NULL)
			goto fail;
		/* RFC 6056 3.3.4: table[i] = random() % 65536 at boot. Linux fills
		 * table_perturb with random bytes once (get_random_sleepable_once):
		 * full 32-bit values. */
		for (uint32_t i = 0; i < cfg->table_len; i++)
			a->table[i] = cfg->algo == PA_ALG4 ? pa_rng_below(rng, 65536)
							   : (uint32_t)pa_rng_u64(rng);
	}
	/* RFC 6056 3.3.3: next_ephemeral = 0 at boot, "could be random";
	 * 3.3.5: next_ephemeral = random() % 65536. Random for both. */
	if (cfg->algo == PA_ALG3 || cfg->algo == PA_ALG5)
		a->next_ephemeral = pa_rng_below(rng, 65536);
	*out = a;
	return TC_OK;
fail:
	pa_destroy(a);
	return TC_NOMEM;
}

void pa_destroy(struct pa_alloc *a)
{
	if (a == NULL)
		return;
	free(a->table);
	free(a->tw_fifo);
	free(a->slots);
	free(a->port_head);
	free(a);
}

/* ==== slots, chains, TIME_WAIT ========================================= */

static bool is_same_tuple(const struct pa_tuple *x, const struct pa_tuple *y)
{
	return x->ipver == y->ipver && x->lport == y->lport && x->rport == y->rport &&
	       memcmp(x->laddr, y->laddr, 16) == 0 && memcmp(x->raddr, y->raddr, 16) == 0;
}

static bool is_port_in_range(const struct pa_alloc *a, uint32_t port)
{
	return port >= a->cfg.low && port < a->cfg.high;
}

/* Slot holding exactly t (live or TIME_WAIT), or PA_NONE. */
static uint32_t chain_find(const struct pa_alloc *a, const struct pa_tuple *t)
{
	if (!is_port_in_range(a, t->lport))
		return PA_NONE;
	for (uint32_t s = a->port_head[t->lport - a->cfg.low]; s != PA_NONE; s = a->slots[s].next)
		if (is_same_tuple(&a->slots[s].t, t))
			return s;
	return PA_NONE;
}

static void chain_unlink(struct pa_alloc *a, uint32_t slot)
{
	uint32_t *link = &a->port_head[a->slots[slot].t.lport - a->cfg.low];

	while (*link != slot)
		link = &a->slots[*link].next;
	*link = a->slots[slot].next;
}

static void slot_release(struct pa_alloc *a, uint32_t slot)
{
	chain_unlink(a, slot);
	a->slots[slot].state = SLOT_FREE;
	a->slots[slot].next = a->free_head;
	a->free_head = slot;
}

void pa_advance(struct pa_alloc *a, uint64_t now_ns)
{
	if (now_ns > a->now)
		a->now = now_ns;
	while (a->n_tw > 0) {
		uint32_t s = a->tw_fifo[a->tw_first];

		if (a->slots[s].tw_until > a->now)
			break;
		slot_release(a, s);
		a->tw_first = (a->tw_first + 1) % a->cfg.max_conns;
		a->n_tw--;
	}
}

/* ==== candidate test (check_suitable_port + "five-tuple is unique") ==== */

static bool is_bound(const struct pa_alloc *a, uint32_t port)
{
	return (a->bound[port / 64] >> (port % 64)) & 1;
}

static bool is_candidate_taken(const struct pa_alloc *a, const struct pa_tuple *cand,
			       pa_is_in_use_fn is_in_use, void *ctx)
{
	uint32_t port = cand->lport;

	if (is_bound(a, port))
		return true;
	if (a->cfg.algo == PA_LEGACY) {
		/* 4.4BSD in_pcbbind() with lport 0 looks the port up with
		 * wildcard matching: any PCB on it, TIME_WAIT included, takes it. */
		if (a->port_head[port - a->cfg.low] != PA_NONE)
			return true;
	} else if (chain_find(a, cand) != PA_NONE) {
		return true;
	}
	return is_in_use != NULL && is_in_use(ctx, cand);
}

/* ==== keyed hashes F and G (RFC 6056 3.3.3, 3.3.4) ===================== */

/*
 * F(local_IP, remote_IP, remote_port, secret_key). The RFC suggests MD5; any
 * keyed PRF fits its requirement, and Linux uses SipHash, so do we. salt is
 * Linux's time seed (jiffies / 10 s); 0 for the RFC algorithms.
 */
static uint64_t dest_hash(const struct siphash_key *key, const struct pa_tuple *t,
			  uint64_t salt)
{
	uint8_t buf[1 + 16 + 16 + 2 + 8];
	size_t n = 0;

	buf[n++] = t->ipver;
	memcpy(buf + n, t->laddr, 16);
	n += 16;
	memcpy(buf + n, t->raddr, 16);
	n += 16;
	buf[n++] = (uint8_t)(t->rport >> 8);
	buf[n++] = (uint8_t)t->rport;
	for (int i = 0; i < 8; i++)
		buf[n++] = (uint8_t)(salt >> (8 * i));
	return siphash24(key, buf, n);
}

/*
 * Linux's port_offset at time now (secure_ipv4_port_ephemeral() since
 * "tcp: resalt the secret every 10 seconds": the SipHash input carries
 * jiffies / EPHEMERAL_PORT_SHUFFLE_PERIOD, 10 s, so every destination's
 * offset and index are re-drawn each period). alg_linux() and the queries pa_bucket()/pa_port_offset() all
 * go through here and linux_index(), so a test of the queries tests connect.
 */
static uint64_t linux_port_offset(const struct pa_alloc *a, const struct pa_tuple *t,
				  uint64_t now)
{
	uint64_t salt = a->cfg.shuffle_ns ? now / a->cfg.shuffle_ns : 0;

	return dest_hash(&a->cfg.key1, t, salt);
}

/* The perturbation entry: the low bits of port_offset, index = port_offset
 * & (INET_TABLE_PERTURB_SIZE - 1) since "tcp: drop the hash_32() part from
 * the index calculation" (May 2022); the high 32 bits are what alg_linux()
 * adds to the entry ("tcp: use different parts of the port_offset for index
 * and offset"). table_len is a power of two. */
static uint32_t linux_index(const struct pa_alloc *a, uint64_t port_offset)
{
	return (uint32_t)port_offset & (a->cfg.table_len - 1);
}

/* ALG4's G(): which of the table_len counters a destination uses. */
static uint32_t alg4_index(const struct pa_alloc *a, const struct pa_tuple *t)
{
	return (uint32_t)(dest_hash(&a->cfg.key2, t, 0) % a->cfg.table_len);
}

uint32_t pa_bucket(const struct pa_alloc *a, const struct pa_tuple *t, uint64_t now_ns)
{
	uint64_t when = now_ns > a->now ? now_ns : a->now;

	if (a->cfg.algo == PA_ALG4)
		return alg4_index(a, t);
	if (a->cfg.algo == PA_LINUX)
		return linux_index(a, linux_port_offset(a, t, when));
	return 0;
}

uint64_t pa_port_offset(const struct pa_alloc *a, const struct pa_tuple *t, uint64_t now_ns)
{
	uint64_t when = now_ns > a->now ? now_ns : a->now;

	return a->cfg.algo == PA_LINUX ? linux_port_offset(a, t, when) : 0;
}

/* ==== the algorithms =================================================== */

struct scan {
	struct pa_alloc *a;
	struct pa_tuple cand;
	pa_is_in_use_fn is_in_use;
	void *ctx;
	uint32_t probes;
};

static bool is_port_free(struct scan *s, uint32_t port)
{
	s->probes++;
	s->cand.lport = (uint16_t)port;
	return !is_candidate_taken(s->a, &s->cand, s->is_in_use, s->ctx);
}

/*
 * LEGACY. The SPEC's model of the old BSD allocator: the lowest free port
 * strictly above IPPORT_RESERVED (1024) inside the range, so 1025 comes
 * first with the bsd-legacy range. Deviation from 4.4BSD in_pcbbind(),
 * stated on purpose: that code kept a "lastport" hint and advanced it, so it
 * reused freed ports only after wrapping at 5000; SPEC.md defines the legacy
 * allocator as "a freed port reused first". Both behaviours are
 * `sequential` to the classifier. Scan: at most high - max(low, 1025) candidates, no wrap
 * (never none: pa_create refuses a LEGACY range with no port above 1024).
 */
static enum tc_rc alg_legacy(struct scan *s)
{
	const struct pa_config *c = &s->a->cfg;
	uint32_t start = c->low > IPPORT_RESERVED ? c->low : IPPORT_RESERVED + 1;

	for (uint32_t port = start; port < c->high; port++)
		if (is_port_free(s, port))
			return TC_OK;
	return TC_EXHAUSTED;
}

/* RFC 6056 3.3.1: random start, then +1 with wrap, num_ephemeral tries. */
static enum tc_rc alg1(struct scan *s, struct pa_rng *rng)
{
	const struct pa_config *c = &s->a->cfg;
	uint32_t num = s->a->range;
	uint32_t next = c->low + pa_rng_below(rng, num);

	for (uint32_t count = num; count > 0; count--) {
		if (is_port_free(s, next))
			return TC_OK;
		next = next == c->high - 1 ? c->low : next + 1;
	}
	return TC_EXHAUSTED;
}

/*
 * RFC 6056 3.3.2: a fresh random candidate per try. The RFC bounds the tries
 * with count = num_ephemeral; max_attempts lets a model give up earlier (as
 * Linux UDP's bounded probing does). Random draws may miss the last free
 * port, so TC_EXHAUSTED here can mean "unlucky", as in the RFC.
 */
static enum tc_rc alg2(struct scan *s, struct pa_rng *rng)
{
	const struct pa_config *c = &s->a->cfg;
	uint32_t num = s->a->range;
	uint32_t count = c->max_attempts ? c->max_attempts : num;

	for (; count > 0; count--)
		if (is_port_free(s, c->low + pa_rng_below(rng, num)))
			return TC_OK;
	return TC_EXHAUSTED;
}

/*
 * RFC 6056 3.3.3: port = min + (next_ephemeral + F(...)) % num, the one
 * global counter advanced on every try, num_ephemeral tries. The counter is
 * 64-bit so that (counter + offset) % num never sees a 2^32 wrap.
 */
static enum tc_rc alg3(struct scan *s)
{
	struct pa_alloc *a = s->a;
	uint32_t num = a->range;
	uint64_t offset = dest_hash(&a->cfg.key1, &s->cand, 0) % num;

	for (uint32_t count = num; count > 0; count--) {
		uint32_t port = a->cfg.low + (uint32_t)((a->next_ephemeral + offset) % num);

		a->next_ephemeral++;
		if (is_port_free(s, port))
			return TC_OK;
	}
	return TC_EXHAUSTED;
}

/*
 * RFC 6056 3.3.4: as 3.3.3 with the counter table[G(...)], G keyed by a
 * second secret. Counters are 32-bit as the RFC's table; the sum is taken
 * modulo num in 64 bits.
 */
static enum tc_rc alg4(struct scan *s)
{
	struct pa_alloc *a = s->a;
	uint32_t num = a->range;
	uint64_t offset = dest_hash(&a->cfg.key1, &s->cand, 0) % num;
	uint32_t index = alg4_index(a, &s->cand);

	for (uint32_t count = num; count > 0; count--) {
		uint32_t port = a->cfg.low + (uint32_t)((offset + a->table[index]) % num);

		a->table[index]++;
		if (is_port_free(s, port))
			return TC_OK;
	}
	return TC_EXHAUSTED;
}

/*
 * RFC 6056 3.3.5: next_ephemeral += random() % N + 1, port = min +
 * next_ephemeral % num, num_ephemeral tries. Random increments can step
 * over free ports, so TC_EXHAUSTED may come with ports left (as in the RFC).
 */
static enum tc_rc alg5(struct scan *s, struct pa_rng *rng)
{
	struct pa_alloc *a = s->a;
	uint32_t num = a->range;

	for (uint32_t count = num; count > 0; count--) {
		a->next_ephemeral += pa_rng_below(rng, a->cfg.increment_n) + 1;
		if (is_port_free(s, a->cfg.low + (uint32_t)(a->next_ephemeral % num)))
			return TC_OK;
	}
	return TC_EXHAUSTED;
}

/*
 * Linux >= 5.18 __inet_hash_connect() (commits of May 2022 after Kol, Klein
 * and Gilad): RFC 6056 algorithm 4 where
 *   port_offset = siphash(laddr, raddr, rport, now / 10 s) (64 bits),
 *   index  = low bits of port_offset & (table_len - 1),
 *   offset = (table[index] + (port_offset >> 32)) % remaining, made even,
 * then ports of low's parity at step 2 with wrap, then the other parity; on
 * success table[index] += max(i, 2 * random(0..7)) + 2, i being how far the
 * scan went. remaining = (high - low) rounded down to even, as Linux does:
 * with an odd-sized range one port is unreachable in a pass (the kernel
 * warns to "prefer different parity for start/end values").
 * Not modelled: ip_local_reserved_ports (use pa_bind), tcp_tw_reuse (a
 * TIME_WAIT tuple stays taken here), per-socket IP_LOCAL_PORT_RANGE (step 1).
 */
static enum tc_rc alg_linux(struct scan *s, struct pa_rng *rng)
{
	struct pa_alloc *a = s->a;
	const struct pa_config *c = &a->cfg;
	uint32_t remaining = a->range;
	uint64_t port_offset = linux_port_offset(a, &s->cand, a->now);
	uint32_t index = linux_index(a, port_offset);
	uint32_t offset, i, port, jitter;

	if (remaining > 1)
		remaining &= ~1u;
	offset = (a->table[index] + (uint32_t)(port_offset >> 32)) % remaining;
	offset &= ~1u;
	for (;;) {
		port = c->low + offset;
		for (i = 0; i < remaining; i += 2, port += 2) {
			if (port >= c->high)
				port -= remaining;
			if (is_port_free(s, port))
				goto ok;
		}
		offset++;
		if (!((offset & 1) && remaining > 1))
			return TC_EXHAUSTED;
	}
ok:
	jitter = pa_rng_below(rng, 8) * 2;
	if (i < jitter)
		i = jitter;
	a->table[index] += i + 2;
	return TC_OK;
}

/* ==== public operations ================================================ */

enum tc_rc pa_connect(struct pa_alloc *a, struct pa_rng *rng, struct pa_tuple *t,
		      uint64_t now_ns, pa_is_in_use_fn is_in_use, void *ctx,
		      uint32_t *probes)
{
	struct scan s = { .a = a, .cand = *t, .is_in_use = is_in_use, .ctx = ctx };
	enum tc_rc rc = TC_EXHAUSTED;
	uint32_t slot;

	if (probes)
		*probes = 0;
	t->lport = 0;
	if (t->ipver != 4 && t->ipver != 6)
		return TC_MALFORMED;
	pa_advance(a, now_ns);
	if (a->free_head == PA_NONE)
		return TC_NOMEM;

	switch (a->cfg.algo) {
	case PA_LEGACY: rc = alg_legacy(&s); break;
	case PA_ALG1:   rc = alg1(&s, rng); break;
	case PA_ALG2:   rc = alg2(&s, rng); break;
	case PA_ALG3:   rc = alg3(&s); break;
	case PA_ALG4:   rc = alg4(&s); break;
	case PA_ALG5:   rc = alg5(&s, rng); break;
	case PA_LINUX:  rc = alg_linux(&s, rng); break;
	case PA__COUNT: break;
	}
	if (probes)
		*probes = s.probes;
	if (rc != TC_OK)
		return rc;

	slot = a->free_head;
	a->free_head = a->slots[slot].next;
	a->slots[slot].t = s.cand;
	a->slots[slot].state = SLOT_LIVE;
	a->slots[slot].tw_until = 0;
	a->slots[slot].next = a->port_head[s.cand.lport - a->cfg.low];
	a->port_head[s.cand.lport - a->cfg.low] = slot;
	a->n_live++;
	t->lport = s.cand.lport;
	return TC_OK;
}

enum tc_rc pa_close(struct pa_alloc *a, const struct pa_tuple *t, uint64_t now_ns,
		    enum pa_close_how how)
{
	uint32_t slot;

	pa_advance(a, now_ns);
	slot = chain_find(a, t);
	if (slot == PA_NONE || a->slots[slot].state != SLOT_LIVE)
		return TC_MALFORMED;
	a->n_live--;
	if (how == PA_CLOSE_ABORT || a->cfg.time_wait_ns == 0) {
		slot_release(a, slot);
		return TC_OK;
	}
	a->slots[slot].state = SLOT_TIME_WAIT;
	a->slots[slot].tw_until = a->now > UINT64_MAX - a->cfg.time_wait_ns
					  ? UINT64_MAX : a->now + a->cfg.time_wait_ns;
	a->tw_fifo[(a->tw_first + a->n_tw) % a->cfg.max_conns] = slot;
	a->n_tw++;
	return TC_OK;
}

enum tc_rc pa_bind(struct pa_alloc *a, uint16_t port, uint64_t now_ns)
{
	if (port == 0)
		return TC_MALFORMED;
	pa_advance(a, now_ns);
	if (is_bound(a, port) ||
	    (is_port_in_range(a, port) && a->port_head[port - a->cfg.low] != PA_NONE))
		return TC_EXHAUSTED;
	a->bound[port / 64] |= UINT64_C(1) << (port % 64);
	return TC_OK;
}

enum tc_rc pa_unbind(struct pa_alloc *a, uint16_t port)
{
	if (!is_bound(a, port))
		return TC_MALFORMED;
	a->bound[port / 64] &= ~(UINT64_C(1) << (port % 64));
	return TC_OK;
}

bool pa_is_tuple_in_use(const struct pa_alloc *a, const struct pa_tuple *t)
{
	return chain_find(a, t) != PA_NONE;
}

bool pa_is_port_bound(const struct pa_alloc *a, uint16_t port)
{
	return is_bound(a, port);
}

uint32_t pa_port_users(const struct pa_alloc *a, uint16_t port)
{
	uint32_t n = 0;

	if (!is_port_in_range(a, port))
		return 0;
	for (uint32_t s = a->port_head[port - a->cfg.low]; s != PA_NONE; s = a->slots[s].next)
		n++;
	return n;
}

uint32_t pa_live_count(const struct pa_alloc *a)
{
	return a->n_live;
}

uint32_t pa_time_wait_count(const struct pa_alloc *a)
{
	return a->n_tw;
}

const struct pa_config *pa_get_config(const struct pa_alloc *a)
{
	return &a->cfg;
}
