/*
 * confusion.c - accuracy of the port-selection classifier (oracle/classify.c)
 * on labelled traffic generated with the allocator models (targets/portalloc.c).
 *
 * For each model, 1 to 50 destinations, 3 to 500 connections and several
 * seeds, one "primary" host opens TCP connections through its allocator
 * (live for a while, then closed: actively, i.e. TIME_WAIT, or aborted;
 * none, 30% or all aborted), and unrelated traffic is interleaved in time:
 * 0-3 other hosts with their own allocators (some talking to the same
 * servers), the primary's own UDP flows from a random allocator (scored as
 * their own row), and records of other protocols (ICMP, SCTP) that the
 * classifier must refuse. RFC 6056 alg 1-5 draw from the IANA, Linux or
 * 4.4BSD range, or from a narrowed one (1000 or 5000 ports anywhere, as an
 * administrator may set). Records go through cls_add in time order as a
 * capture replayed by the oracle would give them: one per TCP SYN, and one
 * per UDP flow, i.e. a UDP datagram only when its 5-tuple has been idle
 * for the engine's UDP timeout (repeated datagrams on one 5-tuple are one
 * flow in a capture, not one connection each).
 *
 * Truth labels (what the traffic can show; documented in the output):
 *   legacy               sequential; per-destination-sequential when the
 *                        host contacted a single destination and never used
 *                        a port twice (then legacy and RFC 6056 alg 3/4
 *                        produce the same +1 steps; a reused port rules
 *                        alg 3/4 out)
 *   alg1, alg2           random
 *   alg3, alg4, linux    per-destination-sequential
 *   alg5                 random-increments
 *   linux-sparse         random: Linux connections more than 10 s apart; the
 *                        secret is re-salted every 10 s precisely so that an
 *                        observer sees unrelated ports (commit "tcp: resalt
 *                        the secret every 10 seconds")
 *   fixed                a UDP socket bound to one port, sending to 1-50
 *                        endpoints (a third of the time polling like NTP,
 *                        70 s apart: a new flow each time), some datagrams
 *                        from random ports instead: fixed when the bound
 *                        port's flows reach 8 distinct endpoints or, used
 *                        at least twice, half of the host's flows; else
 *                        random (one flow, or a minority of the flows to
 *                        fewer than 8 endpoints: the rest is what shows).
 *                        Those are the class's own thresholds: this row
 *                        checks the counting (flows, endpoints, the kept
 *                        samples), not the choice of thresholds
 *   udp-alg1             random (the primary's interleaved UDP flows)
 * Any model below --min-samples connections: unknown.
 *
 * Goals (exit 1 when one fails): >= 95% correct at 32 connections or more;
 * never `sequential` for a randomizing allocator (alg1-5, linux, udp) at any
 * count; `unknown` exactly below --min-samples; port.fixed exactly when the
 * fixed port reached 8 distinct endpoints; port.sequential only on legacy,
 * and exactly when the class is sequential with 2 or more destinations.
 *
 * Usage: confusion [--seeds N] [--seed-base B] [--min-samples M]
 *                  [--out FILE] [--verbose]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "portalloc.h"
#include "classify.h"
#include "engine.h"

#define MS UINT64_C(1000000)
#define SEC UINT64_C(1000000000)

enum model {
	M_LEGACY, M_ALG1, M_ALG2, M_ALG3, M_ALG4, M_ALG5, M_LINUX, M_LINUX_SPARSE,
	M_FIXED, M_UDP, M__COUNT
};

static const char *const model_names[M__COUNT] = {
	"legacy", "alg1", "alg2", "alg3", "alg4", "alg5", "linux", "linux-sparse",
	"fixed", "udp-alg1",
};

static bool model_randomizes(enum model m)
{
	return m != M_LEGACY && m != M_FIXED;
}

/* ---- generated records ---- */

struct rec {
	uint64_t t;
	uint32_t host;               /* 0 = primary */
	uint8_t proto;
	uint8_t dst[16];
	uint16_t sport, dport;
};

struct recs {
	struct rec *r;
	size_t n, cap;
};

static void recs_push(struct recs *v, const struct rec *x)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		v->r = realloc(v->r, v->cap * sizeof(*v->r));
		if (v->r == NULL) {
			fprintf(stderr, "confusion: out of memory\n");
			exit(2);
		}
	}
	v->r[v->n++] = *x;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->host > y->host) - (x->host < y->host);
}

/* ---- a tiny binary heap of pending closes ---- */

struct pending {
	uint64_t t;
	struct pa_tuple tup;
	bool abort;
};

struct heap {
	struct pending *h;
	size_t n, cap;
};

static void heap_push(struct heap *q, const struct pending *p)
{
	size_t i;

	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 256;
		q->h = realloc(q->h, q->cap * sizeof(*q->h));
		if (q->h == NULL)
			exit(2);
	}
	i = q->n++;
	while (i > 0 && q->h[(i - 1) / 2].t > p->t) {
		q->h[i] = q->h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	q->h[i] = *p;
}

static struct pending heap_pop(struct heap *q)
{
	struct pending top = q->h[0], last = q->h[--q->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= q->n)
			break;
		if (c + 1 < q->n && q->h[c + 1].t < q->h[c].t)
			c++;
		if (q->h[c].t >= last.t)
			break;
		q->h[i] = q->h[c];
		i = c;
	}
	if (q->n > 0)
		q->h[i] = last;
	return top;
}

/* ---- destinations ---- */

static void server_addr(uint32_t id, uint8_t ipver, uint8_t out[16])
{
	memset(out, 0, 16);
	if (ipver == 4) {
		out[0] = 198; out[1] = 51; out[2] = (uint8_t)(id >> 8); out[3] = (uint8_t)id;
	} else {
		out[0] = 0x20; out[1] = 0x01; out[2] = 0x0d; out[3] = 0xb8;
		out[14] = (uint8_t)(id >> 8); out[15] = (uint8_t)id;
	}
}

static void host_addr(uint32_t host, uint8_t ipver, uint8_t out[16])
{
	memset(out, 0, 16);
	if (ipver == 4) {
		out[0] = 10; out[1] = 0; out[2] = (uint8_t)(host >> 8); out[3] = (uint8_t)(host + 1);
	} else {
		out[0] = 0xfd; out[15] = (uint8_t)(host + 1); out[14] = (uint8_t)(host >> 8);
	}
}

static const uint16_t service_ports[] = { 443, 80, 22, 25, 993, 8080, 53, 123 };

static double exp_draw(struct pa_rng *g, double mean)
{
	double u = (pa_rng_below(g, 1u << 30) + 0.5) / (double)(1u << 30);

	return -log(u) * mean;
}

struct traffic {
	enum pa_algo algo;
	const char *profile;         /* NULL: the algorithm's own */
	uint32_t low, high;          /* high > 0: this range instead of the profile's */
	uint32_t table_len;          /* 0: default */
	uint8_t proto;
	uint32_t ndest;              /* destinations: server ids base..base+ndest-1 */
	uint32_t dest_base;
	uint32_t nconn;
	uint64_t t0;
	double gap_mean_ns;          /* exponential inter-arrival mean */
	uint64_t gap_min_ns;         /* or uniform [min, max] when max > 0 */
	uint64_t gap_max_ns;
	double life_mean_ns;
	uint32_t abort_pct;
};

/*
 * Generate one host's connections through its allocator: connects in time
 * order, closes replayed from a heap before each connect. Returns the
 * number of distinct destinations used.
 */
static uint32_t gen_host(struct recs *out, uint32_t host, uint8_t ipver,
			 const struct traffic *tr, struct pa_rng *g)
{
	struct pa_config cfg;
	struct pa_alloc *a;
	struct heap q = { 0 };
	uint64_t t = tr->t0;
	static uint8_t used[65536];
	uint32_t distinct = 0;

	if (pa_config_default(&cfg, tr->algo, tr->profile, g) != TC_OK)
		exit(2);
	if (tr->table_len)
		cfg.table_len = tr->table_len;
	if (tr->high) {
		cfg.low = tr->low;
		cfg.high = tr->high;
	}
	if (pa_create(&a, &cfg, g) != TC_OK) {
		fprintf(stderr, "confusion: pa_create failed\n");
		exit(2);
	}
	memset(used, 0, tr->ndest < 65536 ? tr->ndest : 65536);
	for (uint32_t i = 0; i < tr->nconn; i++) {
		struct pa_tuple tup;
		struct pending p;
		struct rec r;
		uint32_t d = pa_rng_below(g, tr->ndest);

		if (tr->gap_max_ns)
			t += tr->gap_min_ns + pa_rng_below(g, (uint32_t)((tr->gap_max_ns - tr->gap_min_ns) / MS)) * MS;
		else
			t += (uint64_t)exp_draw(g, tr->gap_mean_ns);
		while (q.n > 0 && q.h[0].t <= t) {
			struct pending c = heap_pop(&q);

			if (pa_close(a, &c.tup, c.t, c.abort ? PA_CLOSE_ABORT : PA_CLOSE_ACTIVE) != TC_OK)
				exit(3);
		}
		memset(&tup, 0, sizeof(tup));
		tup.ipver = ipver;
		host_addr(host, ipver, tup.laddr);
		server_addr(tr->dest_base + d, ipver, tup.raddr);
		tup.rport = service_ports[(tr->dest_base + d) % TC_ARRAY_SIZE(service_ports)];
		if (pa_connect(a, g, &tup, t, NULL, NULL, NULL) != TC_OK)
			continue;        /* exhausted: no connection, as a real stack */
		if (!used[d]) {
			used[d] = 1;
			distinct++;
		}
		memset(&r, 0, sizeof(r));
		r.t = t;
		r.host = host;
		r.proto = tr->proto;
		memcpy(r.dst, tup.raddr, 16);
		r.dport = tup.rport;
		r.sport = tup.lport;
		recs_push(out, &r);
		p.t = t + 1 + (uint64_t)exp_draw(g, tr->life_mean_ns);
		p.tup = tup;
		p.abort = pa_rng_below(g, 100) < tr->abort_pct;
		heap_push(&q, &p);
	}
	free(q.h);
	pa_destroy(a);
	return distinct;
}

/* A UDP socket bound to one port (*port) sending nconn datagrams to ndest
 * endpoints, some of them replaced by datagrams from random ports. Returns
 * the distinct endpoints of the fixed port. */
static uint32_t gen_fixed(struct recs *out, uint8_t ipver, uint32_t ndest, uint32_t nconn,
			  uint64_t gap_mean, struct pa_rng *g, uint16_t *port)
{
	uint32_t other_pct = pa_rng_below(g, 31), distinct = 0;
	static uint8_t used[256];
	uint64_t t = 0;

	*port = (uint16_t)(1024 + pa_rng_below(g, 64511));
	memset(used, 0, sizeof(used));
	for (uint32_t i = 0; i < nconn; i++) {
		struct rec r;
		uint32_t d = pa_rng_below(g, ndest);

		t += (uint64_t)exp_draw(g, (double)gap_mean);
		memset(&r, 0, sizeof(r));
		r.t = t;
		r.host = 0;
		r.proto = 17;
		server_addr(d, ipver, r.dst);
		r.dport = service_ports[d % TC_ARRAY_SIZE(service_ports)];
		if (pa_rng_below(g, 100) < other_pct) {
			r.sport = (uint16_t)(32768 + pa_rng_below(g, 28232));
		} else {
			r.sport = *port;
			if (!used[d]) {
				used[d] = 1;
				distinct++;
			}
		}
		recs_push(out, &r);
	}
	return distinct;
}

/*
 * What a capture shows of the records: every TCP record is a SYN that
 * opens a connection, but UDP datagrams on one 5-tuple are one flow until
 * it has been idle for the engine's UDP timeout (targets/engine.c), so a
 * UDP record opens a flow only when its 5-tuple was not seen in that
 * time. Marks each record's .fed; the table is open addressing over the
 * tuple, 2 * (power of two >= n) slots.
 */
struct tuple_slot {
	uint64_t last;               /* time of the tuple's latest datagram */
	uint32_t rec;                /* record index + 1, 0 empty */
};

static uint64_t tuple_hash(const struct rec *r)
{
	uint64_t h = UINT64_C(1469598103934665603);
	const uint8_t *d = r->dst;

	for (int i = 0; i < 16; i++)
		h = (h ^ d[i]) * UINT64_C(1099511628211);
	h = (h ^ r->host) * UINT64_C(1099511628211);
	h = (h ^ r->sport) * UINT64_C(1099511628211);
	return (h ^ r->dport) * UINT64_C(1099511628211);
}

static bool same_tuple(const struct rec *a, const struct rec *b)
{
	return a->host == b->host && a->sport == b->sport && a->dport == b->dport &&
	       memcmp(a->dst, b->dst, 16) == 0;
}

static void mark_flows(struct recs *v, bool *fed)
{
	struct engine_config ec;
	size_t cap = 16;
	struct tuple_slot *tab;
	uint64_t idle;

	engine_config_default(&ec);
	idle = (uint64_t)ec.udp_idle_sec * SEC;
	while (cap < 2 * v->n)
		cap *= 2;
	tab = calloc(cap, sizeof(*tab));
	if (tab == NULL)
		exit(2);
	for (size_t i = 0; i < v->n; i++) {
		const struct rec *r = &v->r[i];
		size_t j;

		fed[i] = true;
		if (r->proto != 17)
			continue;
		for (j = tuple_hash(r) & (cap - 1); tab[j].rec != 0; j = (j + 1) & (cap - 1))
			if (same_tuple(&v->r[tab[j].rec - 1], r))
				break;
		if (tab[j].rec != 0 && r->t - tab[j].last <= idle)
			fed[i] = false;          /* the same flow */
		tab[j].rec = (uint32_t)i + 1;
		tab[j].last = r->t;
	}
	free(tab);
}

/* ---- scoring ---- */

struct cell {
	uint32_t n[PC__COUNT];
};

struct score {
	struct cell by_model[2][M__COUNT];          /* [>=32][model] */
	enum port_class truth_of_model[M__COUNT];   /* the usual truth, for labels */
	struct cell by_class[2][PC__COUNT];
	uint32_t total[2], correct[2];
	uint32_t known_total[2], known_correct[2];   /* truth other than unknown */
	uint32_t seq_on_random;                     /* forbidden */
	uint32_t unknown_wrong;                     /* unknown iff below min-samples */
	uint32_t fixed_rule_wrong, seq_rule_wrong;
	uint32_t refused_other_wrong;
};

static void record(struct score *s, enum model m, enum port_class truth, enum port_class got,
		   uint64_t nconn, uint32_t min_samples, bool verbose, const char *what)
{
	int big = nconn >= 32;

	s->by_model[big][m].n[got]++;
	s->by_class[big][truth].n[got]++;
	s->total[big]++;
	s->correct[big] += truth == got;
	if (truth != PC_UNKNOWN) {
		s->known_total[big]++;
		s->known_correct[big] += truth == got;
	}
	if (model_randomizes(m) && got == PC_SEQUENTIAL)
		s->seq_on_random++;
	if ((nconn < min_samples) != (got == PC_UNKNOWN))
		s->unknown_wrong++;
	if (verbose && truth != got)
		fprintf(stderr, "miss: %-12s truth %-26s got %-26s n=%-4llu %s\n", model_names[m],
			port_class_name(truth), port_class_name(got), (unsigned long long)nconn, what);
}

static const uint32_t dest_counts[] = { 1, 2, 3, 5, 8, 13, 21, 34, 50 };
static const uint32_t conn_counts[] = { 3, 5, 8, 10, 12, 16, 20, 24, 28, 32, 40, 48, 64,
					100, 150, 200, 300, 500 };

struct opts {
	uint32_t seeds, seed_base, min_samples;
	const char *out;
	bool verbose;
};

static void run_scenario(struct score *s, const struct opts *o, enum model m, uint32_t ndest,
			 uint32_t nconn, uint64_t seed)
{
	struct pa_rng g;
	struct recs v = { 0 };
	struct cls_config cc;
	struct cls *c;
	struct cls_host_result hr;
	uint8_t ipver;
	uint32_t distinct = 0, fixed_endpoints = 0, n_noise;
	uint64_t udp_n = 0, fixed_flows = 0, tcp_n = 0;
	uint32_t tcp_ports = 0;
	uint16_t fixed_port = 0;
	double gap;
	char what[320];
	bool *fed;
	static const double gaps_ms[] = { 10, 50, 200 };

	pa_rng_seed(&g, seed * 1000003 + (uint64_t)m * 7919 + ndest * 131 + nconn);
	ipver = pa_rng_below(&g, 4) == 0 ? 6 : 4;
	gap = gaps_ms[pa_rng_below(&g, 3)] * (double)MS;

	if (m == M_FIXED) {
		/* a third poll like NTP (64 s and more): a new flow each time */
		if (pa_rng_below(&g, 3) == 0)
			gap = 70.0 * SEC;
		fixed_endpoints = gen_fixed(&v, ipver, ndest, nconn, (uint64_t)gap, &g, &fixed_port);
	} else if (m != M_UDP) {
		/* abort (RST, no TIME_WAIT) none, some or all: with all, a
		 * legacy host reuses its lowest ports (its steady state) */
		static const uint32_t aborts[] = { 0, 30, 100 };
		struct traffic tr = {
			.proto = 6, .ndest = ndest, .dest_base = 0, .nconn = nconn,
			.gap_mean_ns = gap, .life_mean_ns = (pa_rng_below(&g, 2) ? 0.5 : 5.0) * SEC,
			.abort_pct = aborts[pa_rng_below(&g, 3)],
		};
		static const enum pa_algo algo_of[] = {
			[M_LEGACY] = PA_LEGACY, [M_ALG1] = PA_ALG1, [M_ALG2] = PA_ALG2,
			[M_ALG3] = PA_ALG3, [M_ALG4] = PA_ALG4, [M_ALG5] = PA_ALG5,
			[M_LINUX] = PA_LINUX, [M_LINUX_SPARSE] = PA_LINUX,
		};
		static const char *const profiles[] = { "iana", "linux", "bsd-legacy", NULL };

		tr.algo = algo_of[m];
		if (m >= M_ALG1 && m <= M_ALG5) {
			uint32_t k = pa_rng_below(&g, 4);

			tr.profile = profiles[k];
			if (profiles[k] == NULL) {
				/* a narrowed range: 1000 or 5000 ports anywhere */
				tr.low = 10000 + pa_rng_below(&g, 50000);
				tr.high = tr.low + (pa_rng_below(&g, 2) ? 1000 : 5000);
			}
		}
		if (m == M_LINUX_SPARSE) {
			tr.gap_min_ns = 11 * SEC;   /* every connection in its own 10 s epoch */
			tr.gap_max_ns = 30 * SEC;
		}
		distinct = gen_host(&v, 0, ipver, &tr, &g);
	}
	/* the primary's UDP: random ports (Linux UDP), 0-100% as many flows */
	if (m == M_UDP || (m != M_FIXED && pa_rng_below(&g, 2))) {
		/* UDP has no TIME_WAIT: every flow ends with an immediate free */
		struct traffic tr = {
			.algo = PA_ALG1, .profile = "linux", .proto = 17, .ndest = 1 + pa_rng_below(&g, 8),
			.dest_base = 0, .nconn = m == M_UDP ? nconn : pa_rng_below(&g, nconn + 1),
			.gap_mean_ns = gap * 2, .life_mean_ns = 30.0 * SEC, .abort_pct = 100,
		};
		gen_host(&v, 0, ipver, &tr, &g);
	}
	/* other hosts: any allocator, some to the same servers */
	n_noise = pa_rng_below(&g, 4);
	for (uint32_t h = 1; h <= n_noise; h++) {
		struct traffic tr = {
			.algo = (enum pa_algo)pa_rng_below(&g, PA__COUNT), .table_len = 0,
			.proto = pa_rng_below(&g, 3) ? 6 : 17, .ndest = 1 + pa_rng_below(&g, 30),
			.dest_base = pa_rng_below(&g, 2) ? 0 : 100, .nconn = 5 + pa_rng_below(&g, 300),
			.gap_mean_ns = gap * (1 + pa_rng_below(&g, 4)), .life_mean_ns = 2.0 * SEC,
			.abort_pct = 10,
		};

		if (tr.proto == 17)
			tr.abort_pct = 100;

		if (tr.algo == PA_LINUX)
			tr.table_len = 1u << 8;     /* keep the noise cheap */
		gen_host(&v, h, ipver, &tr, &g);
	}
	qsort(v.r, v.n, sizeof(*v.r), rec_cmp);
	fed = malloc((v.n ? v.n : 1) * sizeof(*fed));
	if (fed == NULL)
		exit(2);
	mark_flows(&v, fed);
	{
		static uint8_t seen[65536];

		memset(seen, 0, sizeof(seen));
		for (size_t i = 0; i < v.n; i++) {
			if (!fed[i] || v.r[i].host != 0)
				continue;
			if (v.r[i].proto == 6) {
				tcp_n++;
				tcp_ports += !seen[v.r[i].sport];
				seen[v.r[i].sport] = 1;
				continue;
			}
			udp_n++;
			fixed_flows += m == M_FIXED && v.r[i].sport == fixed_port;
		}
	}

	cls_config_default(&cc);
	cc.min_samples = o->min_samples;
	cc.key.k0 = seed;
	cc.key.k1 = ~seed;
	if (cls_create(&c, &cc) != TC_OK)
		exit(2);
	for (size_t i = 0; i < v.n; i++) {
		struct cls_conn k;
		const struct rec *r = &v.r[i];

		if (!fed[i])
			continue;
		memset(&k, 0, sizeof(k));
		k.ts_sec = (int64_t)(r->t / 1000000000u);
		k.ts_nsec = (uint32_t)(r->t % 1000000000u);
		k.frame = 2 * i + 1;
		k.ipver = ipver;
		k.proto = r->proto;
		host_addr(r->host, ipver, k.src);
		memcpy(k.dst, r->dst, 16);
		k.sport = r->sport;
		k.dport = r->dport;
		if (cls_add(c, &k) != TC_OK)
			exit(2);
		if (i % 5 == 0) {        /* other protocols, interleaved */
			k.frame = 2 * i + 2;
			k.proto = i % 10 ? 1 : 132;
			if (cls_add(c, &k) != TC_UNSUPPORTED)
				s->refused_other_wrong++;
		}
	}
	{
		/* hosts come in order of first appearance: find the primary */
		uint8_t me[16];
		size_t i = 0;

		host_addr(0, ipver, me);
		do {
			if (cls_host_result(c, i++, &hr) != TC_OK)
				exit(4);
		} while (memcmp(hr.addr, me, 16) != 0);
	}

	if (m == M_UDP) {
		enum port_class truth = udp_n < o->min_samples ? PC_UNKNOWN : PC_RANDOM;

		snprintf(what, sizeof(what), "udp flows=%llu seed=%llu", (unsigned long long)udp_n,
			 (unsigned long long)seed);
		record(s, m, truth, hr.udp.cls, udp_n, o->min_samples, o->verbose, what);
		s->fixed_rule_wrong += hr.udp.port_fixed;
	} else {
		const struct cls_stream_result *r = m == M_FIXED ? &hr.udp : &hr.tcp;
		enum port_class truth;

		switch (m) {
		case M_LEGACY:
			/* one destination and no port used twice: alg 3/4 too */
			truth = distinct > 1 || tcp_ports < tcp_n ? PC_SEQUENTIAL : PC_PER_DEST_SEQ;
			break;
		case M_ALG1: case M_ALG2: case M_LINUX_SPARSE: truth = PC_RANDOM; break;
		case M_ALG3: case M_ALG4: case M_LINUX: truth = PC_PER_DEST_SEQ; break;
		case M_ALG5: truth = PC_RANDOM_INCREMENTS; break;
		default:
			/* the fixed port shows when it carries 2 or more flows and
			 * half of them, or reaches 8 endpoints; else the host's
			 * other flows, from random ports, are what it does */
			truth = fixed_endpoints >= CLS_FIXED_ENDPOINTS ||
				(fixed_flows >= 2 && 2 * fixed_flows >= udp_n) ? PC_FIXED : PC_RANDOM;
			break;
		}
		if (r->connections < o->min_samples)
			truth = PC_UNKNOWN;
		snprintf(what, sizeof(what),
			 "dests=%u used=%u ipv%u seed=%llu conf=%.2f cross=%u mode=%d/%.2f hw=%u/%u "
			 "inc=%.2f/%u/%.1g/%.1g pd=%u/%u/%.1g range=%u-%u", ndest, distinct, ipver,
			 (unsigned long long)seed, r->confidence, r->f.cross_steps, r->f.cross_mode,
			 r->f.cross_mode_share, r->f.hw_extends, r->f.hw_eligible, r->f.inc_share,
			 r->f.inc_median, r->f.inc_pvalue, r->f.inc_pvalue_perm, r->f.pd_hits,
			 r->f.pd_pairs, r->f.pd_pvalue, r->f.range_low, r->f.range_high);
		record(s, m, truth, r->cls, r->connections, o->min_samples, o->verbose, what);
		if (m == M_FIXED && r->port_fixed != (fixed_endpoints >= CLS_FIXED_ENDPOINTS))
			s->fixed_rule_wrong++;
		if (m != M_FIXED && r->port_sequential && m != M_LEGACY)
			s->seq_rule_wrong++;
		if (r->port_sequential != (r->cls == PC_SEQUENTIAL && r->f.destinations >= 2))
			s->seq_rule_wrong++;
	}
	cls_destroy(c);
	free(fed);
	free(v.r);
}

static void print_matrices(FILE *f, const struct score *s, int big, const char *title)
{
	static const char *const short_names[PC__COUNT] = {
		"unknown", "sequential", "per-dest-seq", "rand-incr", "random", "fixed",
	};
	static const char *const model_truth[M__COUNT] = {
		"sequential*", "random", "random", "per-dest-seq", "per-dest-seq",
		"rand-incr", "per-dest-seq", "random", "fixed*", "random",
	};

	fprintf(f, "\n%s: %u sequences, %u correct (%.1f%%)\n", title, s->total[big],
		s->correct[big], s->total[big] ? 100.0 * s->correct[big] / s->total[big] : 0.0);
	fprintf(f, "  of which at or above --min-samples: %u sequences, %u correct (%.1f%%)\n",
		s->known_total[big], s->known_correct[big],
		s->known_total[big] ? 100.0 * s->known_correct[big] / s->known_total[big] : 0.0);
	fprintf(f, "\nby allocator model (rows; usual truth in brackets) x predicted class (columns)\n");
	fprintf(f, "%-28s", "");
	for (int p = 0; p < PC__COUNT; p++)
		fprintf(f, " %12s", short_names[p]);
	fprintf(f, "\n");
	for (int m = 0; m < M__COUNT; m++) {
		char label[64];

		snprintf(label, sizeof(label), "%s [%s]", model_names[m], model_truth[m]);
		fprintf(f, "%-28s", label);
		for (int p = 0; p < PC__COUNT; p++)
			fprintf(f, " %12u", s->by_model[big][m].n[p]);
		fprintf(f, "\n");
	}
	fprintf(f, "\nby class: truth (rows) x predicted (columns)\n");
	fprintf(f, "%-28s", "");
	for (int p = 0; p < PC__COUNT; p++)
		fprintf(f, " %12s", short_names[p]);
	fprintf(f, " %9s\n", "recall");
	for (int t = 0; t < PC__COUNT; t++) {
		uint32_t row = 0;

		for (int p = 0; p < PC__COUNT; p++)
			row += s->by_class[big][t].n[p];
		if (row == 0)
			continue;
		fprintf(f, "%-28s", port_class_name((enum port_class)t));
		for (int p = 0; p < PC__COUNT; p++)
			fprintf(f, " %12u", s->by_class[big][t].n[p]);
		fprintf(f, " %8.1f%%\n", 100.0 * s->by_class[big][t].n[t] / row);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: confusion [--seeds N] [--seed-base B] [--min-samples M] "
			"[--out FILE] [--verbose]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = { .seeds = 3, .seed_base = 1000, .min_samples = 8 };
	static struct score s;
	double acc_big;
	bool ok;
	FILE *outs[2] = { stdout, NULL };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
			o.seeds = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--seed-base") == 0 && i + 1 < argc)
			o.seed_base = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--min-samples") == 0 && i + 1 < argc)
			o.min_samples = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			o.out = argv[++i];
		else if (strcmp(argv[i], "--verbose") == 0)
			o.verbose = true;
		else
			return usage();
	}
	if (o.seeds == 0 || o.min_samples == 0)
		return usage();
	for (int m = 0; m < M__COUNT; m++)
		for (size_t d = 0; d < TC_ARRAY_SIZE(dest_counts); d++)
			for (size_t n = 0; n < TC_ARRAY_SIZE(conn_counts); n++)
				for (uint32_t k = 0; k < o.seeds; k++)
					run_scenario(&s, &o, (enum model)m, dest_counts[d],
						     conn_counts[n], o.seed_base + k);

	acc_big = s.total[1] ? (double)s.correct[1] / s.total[1] : 0;
	ok = acc_big >= 0.95 && s.seq_on_random == 0 && s.unknown_wrong == 0 &&
	     s.fixed_rule_wrong == 0 && s.seq_rule_wrong == 0 && s.refused_other_wrong == 0;
	if (o.out) {
		outs[1] = fopen(o.out, "w");
		if (outs[1] == NULL) {
			perror(o.out);
			return 2;
		}
	}
	for (int k = 0; k < 2 && outs[k]; k++) {
		FILE *f = outs[k];

		fprintf(f, "tuplecheck port-selection classifier: confusion matrix\n");
		fprintf(f, "generated by build/asan/tools/confusion --seeds %u --seed-base %u "
			   "--min-samples %u (tests/t_classifier_accuracy.sh)\n",
			o.seeds, o.seed_base, o.min_samples);
		fprintf(f, "grid: %zu models x destinations {1,2,3,5,8,13,21,34,50} x connections "
			   "{3..500, %zu values} x %u seeds; unrelated hosts, the host's own UDP and\n"
			   "other-protocol records interleaved; alg1-5 in the IANA, Linux, 4.4BSD or a "
			   "narrowed range (1000 or 5000 ports).\nConnections are what a capture shows: "
			   "one per TCP SYN, one per UDP flow (a 5-tuple idle for the UDP timeout).\n"
			   "* legacy with a single destination and no port reused is labelled "
			   "per-destination-sequential (indistinguishable\nfrom RFC 6056 alg 3/4 there). "
			   "fixed* = fixed when the bound port's flows reach 8 endpoints or, 2 or more, "
			   "half the\nflows (the class's thresholds), else random. linux-sparse = Linux "
			   "with connections > 10 s apart (re-salted secret:\nrandom by design). Below "
			   "--min-samples the truth is unknown.\n",
			(size_t)M__COUNT, TC_ARRAY_SIZE(conn_counts), o.seeds);
		print_matrices(f, &s, 1, "connections >= 32");
		print_matrices(f, &s, 0, "connections < 32");
		fprintf(f, "\ngoals\n");
		fprintf(f, "  >= 95%% correct at >= 32 connections:      %.2f%%  %s\n", 100 * acc_big,
			acc_big >= 0.95 ? "ok" : "FAIL");
		fprintf(f, "  sequential for a randomizing allocator:   %u  %s\n", s.seq_on_random,
			s.seq_on_random == 0 ? "ok" : "FAIL");
		fprintf(f, "  unknown iff below --min-samples, misses:  %u  %s\n", s.unknown_wrong,
			s.unknown_wrong == 0 ? "ok" : "FAIL");
		fprintf(f, "  port.fixed wrong:                         %u  %s\n", s.fixed_rule_wrong,
			s.fixed_rule_wrong == 0 ? "ok" : "FAIL");
		fprintf(f, "  port.sequential wrong:                    %u  %s\n", s.seq_rule_wrong,
			s.seq_rule_wrong == 0 ? "ok" : "FAIL");
		fprintf(f, "  other protocols not refused:              %u  %s\n", s.refused_other_wrong,
			s.refused_other_wrong == 0 ? "ok" : "FAIL");
	}
	if (outs[1])
		fclose(outs[1]);
	return ok ? 0 : 1;
}
