/*
 * fuzz_portalloc.c - fuzz target: a sequence of operations on the ephemeral
 * port allocator model (targets/portalloc.h), checked in lockstep against a
 * deliberately simple shadow model (a linear list of connections, a port
 * bitmap) in the manner of SQLite's fuzzinvariants and rax's fuzz tests.
 *
 * Input: a 14-byte configuration, then operations until the input ends.
 * Missing bytes read as 0, so every input is valid and short inputs are
 * the small cases, not skipped.
 *   c[0]      algorithm: c[0] % PA__COUNT (legacy, RFC 6056 alg 1-5, linux)
 *   c[1]      range: bits 0-1 profile (0 = a custom small range, 1 linux,
 *             2 iana, 3 bsd-legacy); custom: size = c[1] >> 2 (0..63; 0 is
 *             the empty range pa_create must refuse) and
 *   c[2]      its place: low = 1 + c[2] * 257 for c[2] < 255 (1, 258, ...,
 *             65279: the bottom of the port space, legacy's "above 1024"
 *             edge at c[2] = 3 and 4, and high up to 65342); c[2] = 255: the
 *             range ends the port space, [65536 - size, 65536[, so high is
 *             65536 and port 65535 is in it. A legacy range with no port
 *             above 1024 (high <= 1025) is refused like an empty one.
 *   c[3]      connection slots: 1 + c[3] (1..256)
 *   c[4]      veto: bit i (i < 7) makes the caller's is_in_use callback
 *             refuse every port with port % 8 == i (bit 7 is ignored, so at
 *             least one port in 8 stays acceptable to the callback)
 *   c[5]      bits 0-1 TIME_WAIT {0, 1 s, 2*60 s, 2*120 s}; bit 2 Linux
 *             re-salt every 10 s; bits 3-5 table size (ALG4 1 + n, LINUX
 *             1 << n); bit 6 ALG2 gives up after 8 draws; bit 7 ALG5 N = 4
 *   c[6..13]  PRNG seed (little endian)
 * Operations (first byte: low 3 bits opcode, high bits arguments):
 *   0, 1  connect: a = next byte: laddr a & 3, raddr (a >> 2) & 7, IPv6 when
 *         a & 0x20, ipver 5 (refused) when (a & 0xc0) == 0xc0; rport = next 2
 *   2     close live connection number (next byte % live count), ACTIVE when
 *         op bit 3 is clear, ABORT when set
 *   3     bind port (next 2)
 *   4     unbind port (next 2)
 *   5     advance the clock by next 2 bytes: bit 15 set = seconds, else ms
 *   6     queries on port (next 2) and on connection number (next byte)
 *   7     close something that is not live (a TIME_WAIT tuple, or a made-up
 *         one): must be refused
 *
 * Invariants: every return code agrees with the shadow's prediction; an
 * allocated port is in the range, not bound, not vetoed, and its 4-tuple
 * (legacy: its port) was free; the legacy allocator returns a port above
 * 1024 (whatever the range), the lowest free one; "exhausted" from the
 * exhaustive algorithms (legacy, 1, 3, 4, linux over an even-sized range)
 * means the shadow has no acceptable port either; "no memory" exactly when
 * every slot is live or in TIME_WAIT; probes never exceed the range (ALG2:
 * its attempt bound) and an answer always follows at least one probe; live
 * and TIME_WAIT counts, port users, bound ports and tuple queries match
 * after every operation.
 */
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "fuzz.h"
#include "fuzz_assert.h"
#include "portalloc.h"

/* Operations per input. max_len is 4096 in mk/fuzz.mk, so this only bounds
 * AFL++'s larger inputs: each operation costs at most one scan of the range
 * (<= 65536 probes) plus the same in the shadow, so 4096 of them stay well
 * inside a second even in the worst case. */
#define MAX_OPS 4096
/* Slots: c[3] gives 1..256; the shadow is a linear list, which is the point
 * (obviously right), and 256 keeps it cheap. */
#define MAX_CONNS 256

#define NS_PER_SEC UINT64_C(1000000000)
#define NS_PER_MS  UINT64_C(1000000)
/* The legacy model's ports are above 1024 (IPPORT_RESERVED): 1025 first. */
#define LEGACY_FIRST 1025

struct sconn {
	struct pa_tuple t;
	bool live;
	uint64_t tw_until;     /* TIME_WAIT: in use while now < tw_until */
};

/* The shadow model: everything here is recomputed by plain loops. */
struct shadow {
	struct sconn c[MAX_CONNS];
	uint32_t n;
	uint64_t bound[65536 / 64];
	uint64_t now;
	uint32_t low, high;
	bool exhaustive;                /* "exhausted" means no port in the range is free */
	enum pa_algo algo;
	uint8_t veto;
	uint32_t max_conns;
	uint64_t tw_ns;
};

static uint64_t st_inputs, st_created, st_refused_cfg, st_connects, st_conn_ok,
	st_exhausted, st_nomem, st_closes, st_time_wait, st_binds, st_advances;

static const uint8_t laddr_base[2][16] = {
	{ 192, 0, 2, 10 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 },
};
static const uint8_t raddr_base[2][16] = {
	{ 198, 51, 100, 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 },
};

static uint8_t get8(struct cursor *c)
{
	uint8_t v = 0;

	(void)rd_u8(c, &v);
	return v;
}

static uint16_t get16(struct cursor *c)
{
	uint8_t hi = get8(c), lo = get8(c);

	return (uint16_t)(hi << 8 | lo);
}

static bool is_bound(const struct shadow *s, uint32_t port)
{
	return (s->bound[port / 64] >> (port % 64)) & 1;
}

static bool vetoed(const struct shadow *s, uint16_t port)
{
	return (s->veto >> (port % 8)) & 1;
}

static bool tuple_eq(const struct pa_tuple *x, const struct pa_tuple *y)
{
	return x->ipver == y->ipver && x->lport == y->lport && x->rport == y->rport &&
	       memcmp(x->laddr, y->laddr, 16) == 0 && memcmp(x->raddr, y->raddr, 16) == 0;
}

/* Drop TIME_WAIT entries whose time is over (the model does the same
 * in pa_advance, which every mutating call runs first). */
static void shadow_expire(struct shadow *s, uint64_t now)
{
	uint32_t i = 0;

	if (now > s->now)
		s->now = now;
	while (i < s->n) {
		if (!s->c[i].live && s->c[i].tw_until <= s->now)
			s->c[i] = s->c[--s->n];
		else
			i++;
	}
}

static uint32_t shadow_users(const struct shadow *s, uint32_t port)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->n; i++)
		n += s->c[i].t.lport == port;
	return n;
}

static uint32_t shadow_live(const struct shadow *s)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->n; i++)
		n += s->c[i].live;
	return n;
}

static int shadow_find(const struct shadow *s, const struct pa_tuple *t)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (tuple_eq(&s->c[i].t, t))
			return (int)i;
	return -1;
}

/* Would the model accept port for t? (candidate_is_taken, spelled out) */
static bool acceptable(const struct shadow *s, const struct pa_tuple *t, uint16_t port)
{
	struct pa_tuple cand = *t;

	if (is_bound(s, port) || vetoed(s, port))
		return false;
	cand.lport = port;
	if (s->algo == PA_LEGACY)
		return shadow_users(s, port) == 0;
	return shadow_find(s, &cand) < 0;
}

/* The caller's veto, as the allocator sees it. ctx is the shadow. */
static bool veto_cb(void *ctx, const struct pa_tuple *t)
{
	const struct shadow *s = ctx;

	FUZZ_CHECK(t->lport >= s->low && t->lport < s->high,
		   "is_in_use asked about port %u outside [%u, %u[", t->lport, s->low, s->high);
	return vetoed(s, t->lport);
}

static void check_counts(struct pa_alloc *a, const struct shadow *s)
{
	uint32_t live = shadow_live(s);

	FUZZ_CHECK(pa_live_count(a) == live, "live count %u, shadow %u", pa_live_count(a), live);
	FUZZ_CHECK(pa_time_wait_count(a) == s->n - live, "TIME_WAIT count %u, shadow %u",
		   pa_time_wait_count(a), s->n - live);
}

/* ---- operations ----------------------------------------------------------------- */

static void op_connect(struct pa_alloc *a, struct pa_rng *rng, struct shadow *s, struct cursor *in)
{
	uint8_t arg = get8(in);
	bool v6 = arg & 0x20;
	struct pa_tuple t;
	uint32_t probes = 0, total;
	enum tc_rc rc;

	memset(&t, 0, sizeof(t));
	t.ipver = (arg & 0xc0) == 0xc0 ? 5 : v6 ? 6 : 4;
	memcpy(t.laddr, laddr_base[v6], 16);
	memcpy(t.raddr, raddr_base[v6], 16);
	t.laddr[v6 ? 15 : 3] += arg & 3;
	t.raddr[v6 ? 15 : 3] += (arg >> 2) & 7;
	t.rport = get16(in);
	t.lport = 0xdead;                 /* must be overwritten */

	st_connects++;
	rc = pa_connect(a, rng, &t, s->now, veto_cb, s, &probes);
	shadow_expire(s, s->now);
	total = s->n;
	if (t.ipver == 5) {
		FUZZ_CHECK(rc == TC_MALFORMED && t.lport == 0, "ipver 5 gave %s", tc_rc_name(rc));
		return;
	}
	if (total == s->max_conns) {
		FUZZ_CHECK(rc == TC_NOMEM, "all %u slots taken, pa_connect said %s",
			   total, tc_rc_name(rc));
		st_nomem++;
		return;
	}
	FUZZ_CHECK(rc == TC_OK || rc == TC_EXHAUSTED, "pa_connect said %s with %u of %u slots used",
		   tc_rc_name(rc), total, s->max_conns);
	/* portalloc.h: the scan is bounded by the range size, or for ALG2
	 * by max_attempts when that is set. */
	if (s->algo == PA_ALG2 && pa_get_config(a)->max_attempts)
		FUZZ_CHECK(probes <= pa_get_config(a)->max_attempts, "ALG2: %u probes, bound %u",
			   probes, pa_get_config(a)->max_attempts);
	else
		FUZZ_CHECK(probes <= s->high - s->low, "%u probes in a range of %u",
			   probes, s->high - s->low);
	FUZZ_CHECK(probes >= 1, "an answer without looking at a port");
	if (rc == TC_EXHAUSTED) {
		st_exhausted++;
		FUZZ_CHECK(t.lport == 0, "exhausted with lport %u", t.lport);
		/* Exhaustive scans: the shadow must not know a free port. */
		if (s->exhaustive) {
			uint32_t first = s->algo == PA_LEGACY && s->low < LEGACY_FIRST ? LEGACY_FIRST : s->low;

			for (uint32_t p = first; p < s->high; p++)
				FUZZ_CHECK(!acceptable(s, &t, (uint16_t)p),
					   "%s said exhausted, port %u is free", pa_algo_name(s->algo), p);
		}
		return;
	}
	st_conn_ok++;
	FUZZ_CHECK(t.lport >= s->low && t.lport < s->high, "port %u outside [%u, %u[",
		   t.lport, s->low, s->high);
	FUZZ_CHECK(acceptable(s, &t, t.lport), "port %u was not free (bound %d, vetoed %d, users %u)",
		   t.lport, is_bound(s, t.lport), vetoed(s, t.lport), shadow_users(s, t.lport));
	if (s->algo == PA_LEGACY) {
		FUZZ_CHECK(t.lport >= LEGACY_FIRST, "legacy chose %u, not above 1024", t.lport);
		for (uint32_t p = s->low < LEGACY_FIRST ? LEGACY_FIRST : s->low; p < t.lport; p++)
			FUZZ_CHECK(!acceptable(s, &t, (uint16_t)p),
				   "legacy chose %u, lower port %u is free", t.lport, p);
	}
	s->c[s->n].t = t;
	s->c[s->n].live = true;
	s->c[s->n].tw_until = 0;
	s->n++;
}

static void op_close(struct pa_alloc *a, struct shadow *s, struct cursor *in, uint8_t op)
{
	uint8_t which = get8(in);
	enum pa_close_how how = (op & 8) ? PA_CLOSE_ABORT : PA_CLOSE_ACTIVE;
	uint32_t live, k;
	enum tc_rc rc;

	shadow_expire(s, s->now);
	live = shadow_live(s);
	if (live == 0)
		return;
	k = which % live;
	for (uint32_t i = 0; i < s->n; i++) {
		if (!s->c[i].live || k-- != 0)
			continue;
		st_closes++;
		rc = pa_close(a, &s->c[i].t, s->now, how);
		FUZZ_CHECK(rc == TC_OK, "closing a live connection: %s", tc_rc_name(rc));
		if (how == PA_CLOSE_ABORT || s->tw_ns == 0) {
			s->c[i] = s->c[--s->n];
		} else {
			s->c[i].live = false;
			s->c[i].tw_until = s->now > UINT64_MAX - s->tw_ns ? UINT64_MAX : s->now + s->tw_ns;
			st_time_wait++;
		}
		return;
	}
}

static void op_close_dead(struct pa_alloc *a, struct shadow *s, struct cursor *in)
{
	uint8_t which = get8(in);
	struct pa_tuple t;
	enum tc_rc rc;

	shadow_expire(s, s->now);
	memset(&t, 0, sizeof(t));
	t.ipver = 4;
	memcpy(t.laddr, laddr_base[0], 16);
	memcpy(t.raddr, raddr_base[0], 16);
	t.lport = (uint16_t)(s->low + which % (s->high - s->low));
	t.rport = 9;                      /* connect never uses port 9 unless the input says so */
	for (uint32_t i = 0; i < s->n; i++)
		if (!s->c[i].live && which-- == 0) {
			t = s->c[i].t;
			break;
		}
	if (shadow_find(s, &t) >= 0 && s->c[shadow_find(s, &t)].live)
		return;                   /* the made-up tuple happens to be live */
	rc = pa_close(a, &t, s->now, PA_CLOSE_ACTIVE);
	FUZZ_CHECK(rc == TC_MALFORMED, "closing a tuple that is not live: %s", tc_rc_name(rc));
}

static void op_bind(struct pa_alloc *a, struct shadow *s, struct cursor *in)
{
	uint16_t port = get16(in);
	bool busy;
	enum tc_rc rc;

	st_binds++;
	rc = pa_bind(a, port, s->now);
	shadow_expire(s, s->now);
	if (port == 0) {
		FUZZ_CHECK(rc == TC_MALFORMED, "bind(0) gave %s", tc_rc_name(rc));
		return;
	}
	busy = is_bound(s, port) || shadow_users(s, port) > 0;
	FUZZ_CHECK(rc == (busy ? TC_EXHAUSTED : TC_OK), "bind(%u) gave %s, shadow says %s",
		   port, tc_rc_name(rc), busy ? "in use" : "free");
	if (rc == TC_OK)
		s->bound[port / 64] |= UINT64_C(1) << (port % 64);
}

static void op_unbind(struct pa_alloc *a, struct shadow *s, struct cursor *in)
{
	uint16_t port = get16(in);
	enum tc_rc rc = pa_unbind(a, port);

	FUZZ_CHECK(rc == (is_bound(s, port) ? TC_OK : TC_MALFORMED), "unbind(%u) gave %s",
		   port, tc_rc_name(rc));
	s->bound[port / 64] &= ~(UINT64_C(1) << (port % 64));
}

static void op_advance(struct pa_alloc *a, struct shadow *s, struct cursor *in)
{
	uint16_t d = get16(in);
	uint64_t step = (d & 0x8000) ? (uint64_t)(d & 0x7fff) * NS_PER_SEC : (uint64_t)d * NS_PER_MS;

	st_advances++;
	pa_advance(a, s->now + step);
	shadow_expire(s, s->now + step);
}

static void op_query(struct pa_alloc *a, struct shadow *s, struct cursor *in)
{
	uint16_t port = get16(in);
	uint8_t which = get8(in);

	/* pa_port_users counts what the model holds; compare after the
	 * same lazy expiry (the model's clock is the shadow's). */
	FUZZ_CHECK(pa_port_users(a, port) == shadow_users(s, port), "port %u: %u users, shadow %u",
		   port, pa_port_users(a, port), shadow_users(s, port));
	FUZZ_CHECK(pa_is_port_bound(a, port) == is_bound(s, port), "port %u bound: model %d, shadow %d",
		   port, pa_is_port_bound(a, port), is_bound(s, port));
	if (s->n > 0) {
		struct pa_tuple t = s->c[which % s->n].t;

		FUZZ_CHECK(pa_is_tuple_in_use(a, &t), "a shadow connection on port %u is unknown to the model",
			   t.lport);
		t.rport ^= 0x8000;
		FUZZ_CHECK(pa_is_tuple_in_use(a, &t) == (shadow_find(s, &t) >= 0),
			   "tuple query disagrees for a neighbour tuple");
	}
}

/* ---- the target ---------------------------------------------------------------- */

static struct shadow sh;   /* 10 KiB: static, reset per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor in = cur_make(data, size);
	static const uint64_t tw_choice[4] = { 0, NS_PER_SEC, 120 * NS_PER_SEC, 240 * NS_PER_SEC };
	static const char *const profile[4] = { NULL, "linux", "iana", "bsd-legacy" };
	uint8_t c[14] = { 0 };
	struct pa_config cfg;
	struct pa_rng rng;
	struct pa_alloc *a = NULL;
	uint64_t seed = 0;
	bool valid = true;
	enum tc_rc rc;

	st_inputs++;
	for (size_t i = 0; i < sizeof(c); i++)
		c[i] = get8(&in);
	for (int i = 13; i >= 6; i--)
		seed = seed << 8 | c[i];
	pa_rng_seed(&rng, seed);

	rc = pa_config_default(&cfg, (enum pa_algo)(c[0] % PA__COUNT),
			       (c[1] & 3) ? profile[c[1] & 3] : NULL, &rng);
	FUZZ_CHECK(rc == TC_OK, "pa_config_default refused a known profile: %s", tc_rc_name(rc));
	if ((c[1] & 3) == 0) {
		cfg.low = c[2] < 255 ? 1 + (uint32_t)c[2] * 257 : 65536 - (uint32_t)(c[1] >> 2);
		cfg.high = cfg.low + (c[1] >> 2);
		valid = cfg.low < cfg.high;         /* high <= 65536 either way */
	}
	/* portalloc.h: a legacy range without a port above 1024 is malformed */
	if (cfg.algo == PA_LEGACY && cfg.high <= LEGACY_FIRST)
		valid = false;
	cfg.max_conns = 1 + (uint32_t)c[3];
	cfg.time_wait_ns = tw_choice[c[5] & 3];
	cfg.shuffle_ns = (c[5] & 4) ? 10 * NS_PER_SEC : 0;
	if (cfg.algo == PA_ALG4)
		cfg.table_len = 1 + ((c[5] >> 3) & 7);
	if (cfg.algo == PA_LINUX)
		cfg.table_len = 1u << ((c[5] >> 3) & 7);
	cfg.max_attempts = (c[5] & 0x40) ? 8 : 0;
	if (c[5] & 0x80)
		cfg.increment_n = 4;

	rc = pa_create(&a, &cfg, &rng);
	if (!valid) {
		FUZZ_CHECK(rc == TC_MALFORMED && a == NULL, "pa_create accepted [%u, %u[: %s",
			   cfg.low, cfg.high, tc_rc_name(rc));
		st_refused_cfg++;
		return 0;
	}
	FUZZ_CHECK(rc == TC_OK && a != NULL, "pa_create refused a valid configuration: %s",
		   tc_rc_name(rc));
	st_created++;

	memset(&sh, 0, sizeof(sh));
	sh.low = cfg.low;
	sh.high = cfg.high;
	sh.algo = cfg.algo;
	sh.veto = c[4] & 0x7f;
	sh.max_conns = cfg.max_conns;
	sh.tw_ns = cfg.time_wait_ns;
	sh.now = 1700000000 * NS_PER_SEC;   /* any fixed start: no wall clock */
	/* ALG2 and ALG5 draw at random and may miss the last free port (RFC
	 * 6056 says so). Linux scans (high - low) rounded down to even ports
	 * with wrap, so with an odd-sized range one port, which depends on
	 * the offset, is skipped in a pass (portalloc.c, as the kernel). */
	sh.exhaustive = cfg.algo != PA_ALG2 && cfg.algo != PA_ALG5 &&
			!(cfg.algo == PA_LINUX && (cfg.high - cfg.low) % 2 == 1 && cfg.high - cfg.low > 1);

	for (unsigned n = 0; n < MAX_OPS && cur_left(&in) > 0; n++) {
		uint8_t op = get8(&in);

		switch (op & 7) {
		case 0:
		case 1: op_connect(a, &rng, &sh, &in); break;
		case 2: op_close(a, &sh, &in, op); break;
		case 3: op_bind(a, &sh, &in); break;
		case 4: op_unbind(a, &sh, &in); break;
		case 5: op_advance(a, &sh, &in); break;
		case 6: op_query(a, &sh, &in); break;
		default: op_close_dead(a, &sh, &in); break;
		}
		check_counts(a, &sh);
	}
	pa_destroy(a);
	return 0;
}

void fuzz_stats_print(FILE *out)
{
	fprintf(out, "stats: target=fuzz_portalloc inputs=%llu created=%llu refused_config=%llu"
		" connects=%llu allocated=%llu exhausted=%llu nomem=%llu closes=%llu"
		" time_wait=%llu binds=%llu advances=%llu\n",
		(unsigned long long)st_inputs, (unsigned long long)st_created,
		(unsigned long long)st_refused_cfg, (unsigned long long)st_connects,
		(unsigned long long)st_conn_ok, (unsigned long long)st_exhausted,
		(unsigned long long)st_nomem, (unsigned long long)st_closes,
		(unsigned long long)st_time_wait, (unsigned long long)st_binds,
		(unsigned long long)st_advances);
}
