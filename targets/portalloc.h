/*
 * portalloc.h - the ephemeral (source) port allocator model.
 *
 * What a TCP/IP stack does in connect() when the socket has no local port:
 * pick one from a configured range so that the new 4-tuple (local address,
 * local port, remote address, remote port) is unique. Seven models:
 *
 *   PA_LEGACY   the 4.4BSD-era sequential allocator as SPEC.md states it:
 *               the lowest free port above 1024 ("1025, 1026, ..., the lowest
 *               freed port first"); "freed" = closed and out of TIME_WAIT.
 *   PA_ALG1..5  RFC 6056 section 3.3.1 to 3.3.5, as the RFC's pseudo-code.
 *   PA_LINUX    Linux >= 5.18 __inet_hash_connect(): algorithm 4 with a
 *               perturbation table, even ports first, step 2, a small random
 *               increment and the secret re-salted every 10 seconds.
 *
 * Shape (Linux inet_hashtables): the range is half-open [low, high[, every
 * scan is bounded by the range size and wraps, the 4-tuple uniqueness check
 * can be extended by a caller callback, and "allocated" (TC_OK) is distinct
 * from "exhausted" (TC_EXHAUSTED). Time, randomness and secrets are
 * parameters: the caller owns the PRNG (struct pa_rng, seeded by the caller)
 * and passes packet or virtual time in nanoseconds. No globals, no clock.
 *
 * Memory is bounded at pa_create(): a bitmap of explicitly bound ports,
 * one chain head per port of the range, and a fixed pool of max_conns
 * connection slots (live or TIME_WAIT). A connect that would need a slot
 * beyond the pool returns TC_NOMEM; nothing grows afterwards.
 */
#ifndef TC_PORTALLOC_H
#define TC_PORTALLOC_H

#include "tc.h"
#include "siphash.h"

/* ---- deterministic PRNG ------------------------------------------------ */

/* SplitMix64 (Steele, Lea, Flood 2014): one 64-bit word of state, every seed
 * valid, good enough statistics for a model; not for secrets in production. */
struct pa_rng {
	uint64_t s;
};

/* pa_rng_seed - set the state from seed. Any value is fine. */
void pa_rng_seed(struct pa_rng *r, uint64_t seed);
/* pa_rng_u64 - next 64 random bits; advances *r. */
uint64_t pa_rng_u64(struct pa_rng *r);
/* pa_rng_below - uniform integer in [0, n[ without modulo bias (Lemire's
 * multiply-and-reject). n must be > 0; returns 0 when n == 0. */
uint32_t pa_rng_below(struct pa_rng *r, uint32_t n);

/* ---- model configuration --------------------------------------------- */

enum pa_algo {
	PA_LEGACY = 0,   /* lowest free port above 1024                      */
	PA_ALG1,         /* RFC 6056 3.3.1 simple port randomization        */
	PA_ALG2,         /* RFC 6056 3.3.2 another simple port randomization */
	PA_ALG3,         /* RFC 6056 3.3.3 simple hash-based                */
	PA_ALG4,         /* RFC 6056 3.3.4 double-hash                      */
	PA_ALG5,         /* RFC 6056 3.3.5 random-increments                */
	PA_LINUX,        /* Linux >= 5.18 __inet_hash_connect               */
	PA__COUNT
};

/* pa_algo_name - static name: "legacy", "alg1".."alg5", "linux". */
const char *pa_algo_name(enum pa_algo a);
/* pa_algo_parse - name to enum. TC_OK and *out set; TC_MALFORMED if unknown. */
enum tc_rc pa_algo_parse(const char *name, enum pa_algo *out);

struct pa_config {
	enum pa_algo algo;
	uint32_t low, high;        /* half-open [low, high[, 1 <= low < high <= 65536 */
	uint32_t table_len;        /* ALG4: counters (RFC 6056 suggests 10);
	                              LINUX: perturbation entries, a power of two
	                              (Linux: 1 << 16, i.e. 256 KiB of state)     */
	uint32_t max_attempts;     /* ALG2: random draws before giving up;
	                              0 = high - low (the RFC's count)            */
	uint32_t increment_n;      /* ALG5: N, increments are 1..N (RFC: 500)     */
	uint64_t time_wait_ns;     /* TIME_WAIT length, 2 * MSL                    */
	uint64_t shuffle_ns;       /* LINUX: secret re-salt period (10 s); 0 = never */
	uint32_t max_conns;        /* connection slots (live + TIME_WAIT)          */
	struct siphash_key key1;   /* secret of F (the per-destination offset)     */
	struct siphash_key key2;   /* secret of G (ALG4 table index)               */
};

/*
 * pa_config_default - fill *cfg for algo over profile's range with the
 * defaults named above (MSL 60 s, max_conns 4096, table 10 for ALG4 and
 * 1 << 16 for LINUX, N = 500, re-salt 10 s for LINUX) and keys drawn
 * from rng. profile: "linux" [32768, 61000[, "windows" and "iana"
 * [49152, 65536[, "bsd-legacy" [1024, 5001[, or NULL for the algorithm's
 * natural one (LEGACY: bsd-legacy, LINUX: linux, others: iana).
 * Returns TC_OK, or TC_MALFORMED for an unknown profile (cfg untouched).
 */
enum tc_rc pa_config_default(struct pa_config *cfg, enum pa_algo algo,
			     const char *profile, struct pa_rng *rng);

/*
 * pa_profile_range - SPEC.md --profile ranges, inclusive as users write them
 * (linux 32768-60999, windows and iana 49152-65535, bsd-legacy 1024-5000).
 * Returns TC_OK with *lo, *hi set, or TC_MALFORMED for an unknown name.
 */
enum tc_rc pa_profile_range(const char *name, uint16_t *lo, uint16_t *hi);

/* ---- the allocator ---------------------------------------------------- */

/* A 4-tuple as seen from the allocating host. Addresses at full width:
 * IPv4 in the first 4 bytes, the rest zero (as struct pkt keeps them). */
struct pa_tuple {
	uint8_t ipver;             /* 4 or 6 */
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint16_t lport;            /* output of pa_connect, input elsewhere */
	uint16_t rport;
};

/*
 * The uniqueness check a caller may add (Linux passes check_established()
 * to __inet_hash_connect the same way). Returns true when the candidate
 * 4-tuple t (t->lport is the candidate port) must not be used. ctx is the
 * caller's. The allocator always checks its own live and TIME_WAIT
 * connections and its bound ports first; this is an extra veto, for example
 * the replay engine's view of tuples alive in a capture, or a test that
 * pretends every port is taken.
 */
typedef bool (*pa_is_in_use_fn)(void *ctx, const struct pa_tuple *t);

enum pa_close_how {
	PA_CLOSE_ACTIVE = 0,  /* we sent the first FIN: TIME_WAIT for 2*MSL     */
	PA_CLOSE_ABORT        /* RST, or the peer closed first: free at once    */
};

struct pa_alloc;

/*
 * pa_create - a new allocator for cfg. rng seeds the model's boot-time
 * state (RFC 6056 alg 3/5 counters, alg 4 and Linux tables), as a stack
 * does at boot. On TC_OK *out is owned by the caller (pa_destroy).
 * TC_MALFORMED: cfg inconsistent (empty or out-of-bounds range, for LEGACY
 * a range with no port above 1024, i.e. high <= 1025; LINUX table not a
 * power of two, zero table or N, zero max_conns). TC_NOMEM.
 */
enum tc_rc pa_create(struct pa_alloc **out, const struct pa_config *cfg,
		     struct pa_rng *rng);
void pa_destroy(struct pa_alloc *a);

/*
 * pa_connect - choose the local port for t (ipver, laddr, raddr, rport set
 * by the caller) at time now_ns, and record the connection as live.
 * is_in_use/ctx: optional extra veto (NULL for none). probes, if not NULL,
 * receives how many candidate ports were examined (always <= the range size,
 * or max_attempts for ALG2: the scan is bounded).
 * Returns TC_OK with t->lport set; TC_EXHAUSTED when no acceptable port was
 * found (t->lport = 0; the algorithm's counters moved as the real one's
 * would); TC_NOMEM when all max_conns slots hold live or TIME_WAIT
 * connections; TC_MALFORMED when ipver is not 4 or 6.
 * Time never goes backwards inside the model: now_ns below the latest time
 * seen is taken as that time.
 */
enum tc_rc pa_connect(struct pa_alloc *a, struct pa_rng *rng, struct pa_tuple *t,
		      uint64_t now_ns, pa_is_in_use_fn is_in_use, void *ctx,
		      uint32_t *probes);

/*
 * pa_close - end the live connection t (all five fields) at now_ns.
 * PA_CLOSE_ACTIVE keeps the tuple (and, for LEGACY, the port) taken until
 * now_ns + time_wait_ns; PA_CLOSE_ABORT frees it at once.
 * Returns TC_OK; TC_MALFORMED when no live connection has that tuple
 * (never opened, already closed, or in TIME_WAIT).
 */
enum tc_rc pa_close(struct pa_alloc *a, const struct pa_tuple *t, uint64_t now_ns,
		    enum pa_close_how how);

/*
 * pa_bind - explicit bind(port) (a listener, or bind-before-connect): the
 * port becomes exclusively ours and connect() never picks it (Linux skips a
 * bind bucket that is not connect-only). Any port 1..65535, in the range or
 * not. Returns TC_OK; TC_EXHAUSTED when that port is already bound or has a
 * live or TIME_WAIT connection (EADDRINUSE without SO_REUSEADDR);
 * TC_MALFORMED for port 0 (bind(0) means "pick one", not modelled).
 */
enum tc_rc pa_bind(struct pa_alloc *a, uint16_t port, uint64_t now_ns);
/* pa_unbind - release a bound port at once. TC_OK; TC_MALFORMED if not bound. */
enum tc_rc pa_unbind(struct pa_alloc *a, uint16_t port);

/* pa_advance - move the model's clock to now_ns (never backwards) and free
 * every TIME_WAIT connection whose 2*MSL has run out. Work is proportional
 * to the connections freed. */
void pa_advance(struct pa_alloc *a, uint64_t now_ns);

/* ---- queries (for tests, the fuzz target and the replay oracle) ---- */

/* true when t (with t->lport) is live or in an unexpired TIME_WAIT. */
bool pa_is_tuple_in_use(const struct pa_alloc *a, const struct pa_tuple *t);
/* true when port is explicitly bound. */
bool pa_is_port_bound(const struct pa_alloc *a, uint16_t port);
/* connections holding port (live + TIME_WAIT, as of the model's clock). */
uint32_t pa_port_users(const struct pa_alloc *a, uint16_t port);
uint32_t pa_live_count(const struct pa_alloc *a);
uint32_t pa_time_wait_count(const struct pa_alloc *a);
const struct pa_config *pa_get_config(const struct pa_alloc *a);
/*
 * pa_bucket - the counter a connection to t's destination would use at
 * now_ns: the G() index for ALG4, the perturbation index for LINUX;
 * 0 for the other algorithms (one global counter or none).
 */
uint32_t pa_bucket(const struct pa_alloc *a, const struct pa_tuple *t, uint64_t now_ns);
/*
 * pa_port_offset - LINUX: the keyed 64-bit hash of t's destination (ipver,
 * laddr, raddr, rport; t->lport is ignored) a connection at now_ns would
 * use, Linux's port_offset, salted with now_ns / shuffle_ns. Its low bits
 * are pa_bucket()'s perturbation index, its high 32 bits are added to that
 * entry to make the offset; pa_connect computes both through the same code.
 * 0 for the other algorithms.
 */
uint64_t pa_port_offset(const struct pa_alloc *a, const struct pa_tuple *t, uint64_t now_ns);

#endif /* TC_PORTALLOC_H */
