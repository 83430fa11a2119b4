/*
 * test_classify.c - edge cases of the port-selection classifier: the
 * min-samples boundary, fixed ports and the port.fixed endpoint count,
 * wrap-around at the top of a range, one destination, descending counters,
 * host and protocol grouping, the memory bound and the host cap; the
 * lookup caches and memos change no answer, nor does cfg.brief any field
 * a record shows. Then the audit's cases: random ports in a narrowed range,
 * the legacy allocator's steady state, strides of any size and sign,
 * port.fixed between the kept samples and in agreement with the class,
 * `fixed` only for a reused port, servers' replies kept out.
 * (Accuracy over the allocator models is tests/tools/confusion.c.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "classify.h"
#include "portalloc.h"

static struct cls *mk(uint32_t min_samples, uint32_t keep, uint32_t max_hosts)
{
	struct cls_config cfg;
	struct cls *c = NULL;

	cls_config_default(&cfg);
	cfg.min_samples = min_samples;
	cfg.keep = keep;
	cfg.max_hosts = max_hosts;
	cfg.key.k0 = 1;
	cfg.key.k1 = 2;
	assert_int_equal(cls_create(&c, &cfg), TC_OK);
	return c;
}

static uint64_t frame_no;

/* host h (IPv4 10.0.0.h), destination server d (198.51.100.d:443 + d % 3;
 * UDP: port 53, so that a well-known source port stays a client's choice,
 * not a flow between service ports, classify.h) */
static void add(struct cls *c, uint8_t host, uint8_t proto, uint32_t d, uint16_t sport)
{
	struct cls_conn k;

	memset(&k, 0, sizeof(k));
	k.frame = ++frame_no;
	k.ts_sec = (int64_t)frame_no;
	k.ts_nsec = 1000;
	k.ipver = 4;
	k.proto = proto;
	k.src[0] = 10; k.src[3] = host;
	k.dst[0] = 198; k.dst[1] = 51; k.dst[2] = (uint8_t)(d >> 8); k.dst[3] = (uint8_t)d;
	k.sport = sport;
	k.dport = proto == 17 ? 53 : (uint16_t)(443 + d % 3);
	assert_int_equal(cls_add(c, &k), TC_OK);
}

static struct cls_host_result result(const struct cls *c, size_t i)
{
	struct cls_host_result r;

	assert_int_equal(cls_host_result(c, i, &r), TC_OK);
	return r;
}

static void test_names(void **state)
{
	enum port_class pc;

	(void)state;
	for (int i = 0; i < PC__COUNT; i++) {
		assert_int_equal(port_class_parse(port_class_name((enum port_class)i), &pc), TC_OK);
		assert_int_equal(pc, i);
	}
	assert_string_equal(port_class_name(PC_PER_DEST_SEQ), "per-destination-sequential");
	assert_string_equal(port_class_name(PC_RANDOM_INCREMENTS), "random-increments");
	assert_int_equal(port_class_parse("alg4", &pc), TC_MALFORMED);
}

static void test_config(void **state)
{
	struct cls_config cfg;
	struct cls *c = NULL;

	(void)state;
	cls_config_default(&cfg);
	assert_int_equal(cfg.min_samples, 8);
	cfg.keep = 0;
	assert_int_equal(cls_create(&c, &cfg), TC_MALFORMED);
	assert_null(c);
	cfg.keep = 16;
	cfg.max_hosts = 0;
	assert_int_equal(cls_create(&c, &cfg), TC_MALFORMED);
}

/* 1025, 1026, ... to a new destination each time: sequential from the
 * min-samples-th connection on, unknown before. */
static void test_min_samples_boundary(void **state)
{
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;

	(void)state;
	for (uint32_t i = 0; i < 7; i++)
		add(c, 1, 6, i, (uint16_t)(1025 + i));
	r = result(c, 0);
	assert_int_equal(r.tcp.connections, 7);
	assert_int_equal(r.tcp.cls, PC_UNKNOWN);
	assert_int_equal(r.cls, PC_UNKNOWN);
	assert_false(r.tcp.port_sequential);
	assert_true(r.confidence == 0);

	add(c, 1, 6, 7, 1032);
	r = result(c, 0);
	assert_int_equal(r.tcp.cls, PC_SEQUENTIAL);
	assert_true(r.tcp.port_sequential);
	assert_int_equal(r.tcp.f.cross_mode, 1);
	assert_true(r.tcp.confidence > 0.5 && r.tcp.confidence <= 1);
	/* evidence: frames of the connections with the +1 stride */
	assert_true(r.tcp.evidence.n >= 2);
	for (uint32_t i = 0; i < r.tcp.evidence.n; i++) {
		assert_int_equal(r.tcp.evidence.frame[i], frame_no - 7 + r.tcp.evidence.index[i]);
		/* each with the time of its own frame (add: frame N at N s) */
		assert_int_equal(r.tcp.evidence.ts_sec[i], (int64_t)r.tcp.evidence.frame[i]);
		assert_int_equal(r.tcp.evidence.ts_nsec[i], 1000);
	}
	assert_int_equal(r.tcp.min_port, 1025);
	assert_int_equal(r.tcp.max_port, 1032);
	assert_int_equal(r.tcp.distinct_ports, 8);
	cls_destroy(c);
}

/* NetBSD's "bsd" algorithm counts down: a stride of -1 is sequential too. */
static void test_descending(void **state)
{
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;

	(void)state;
	for (uint32_t i = 0; i < 20; i++)
		add(c, 1, 6, i % 5, (uint16_t)(65535 - i));
	r = result(c, 0);
	assert_int_equal(r.tcp.cls, PC_SEQUENTIAL);
	assert_int_equal(r.tcp.f.cross_mode, -1);
	cls_destroy(c);
}

/* Wrap-around: modular steps make the jump from the top of the range to its
 * bottom a small forward step. */
static void test_wrap_around(void **state)
{
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;
	uint32_t p = 65530;

	(void)state;
	/* global +1 in the IANA range, across 65535 -> 49152 */
	for (uint32_t i = 0; i < 12; i++) {
		add(c, 1, 6, i % 4, (uint16_t)p);
		p = p == 65535 ? 49152 : p + 1;
	}
	r = result(c, 0);
	assert_int_equal(r.tcp.f.range_low, 49152);
	assert_int_equal(r.tcp.f.range_high, 65536);
	assert_int_equal(r.tcp.cls, PC_SEQUENTIAL);
	assert_true(r.tcp.f.cross_mode_share == 1.0);

	/* one destination, Linux-like +2 steps across 60998 -> 32768 */
	p = 60980;
	for (uint32_t i = 0; i < 16; i++) {
		add(c, 2, 6, 9, (uint16_t)p);
		p += 2;
		if (p >= 61000)
			p -= 28232;
	}
	r = result(c, 1);
	assert_int_equal(r.tcp.f.range_low, 32768);
	assert_int_equal(r.tcp.f.range_high, 61000);
	assert_int_equal(r.tcp.cls, PC_PER_DEST_SEQ);
	assert_int_equal(r.tcp.f.pd_hits, r.tcp.f.pd_pairs);
	assert_int_equal(r.tcp.f.pd_pairs, 15);

	/* Linux's range is 32768-60999: a port of 61000 is outside it, and
	 * the smallest usual range holding them all is FreeBSD's 10000-65535 */
	for (uint32_t i = 0; i < 12; i++)
		add(c, 3, 6, i % 4, (uint16_t)(i == 5 ? 61000 : 40000 + 997 * i));
	r = result(c, 2);
	assert_int_equal(r.tcp.max_port, 61000);
	assert_int_equal(r.tcp.f.range_low, 10000);
	assert_int_equal(r.tcp.f.range_high, 65536);
	cls_destroy(c);
}

/* +1 to a single destination: alg 3/4 do this too, so the weaker class. */
static void test_single_destination(void **state)
{
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;

	(void)state;
	for (uint32_t i = 0; i < 50; i++)
		add(c, 1, 6, 3, (uint16_t)(1025 + i));
	r = result(c, 0);
	assert_int_equal(r.tcp.f.destinations, 1);
	assert_int_equal(r.tcp.f.cross_steps, 0);
	assert_int_equal(r.tcp.cls, PC_PER_DEST_SEQ);
	assert_false(r.tcp.port_sequential);
	cls_destroy(c);
}

static void test_fixed(void **state)
{
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;

	(void)state;
	/* UDP, one port, 7 distinct endpoints over 10 flows: class fixed,
	 * rule port.fixed not yet */
	for (uint32_t i = 0; i < 10; i++)
		add(c, 1, 17, i % 7, 5353);
	r = result(c, 0);
	assert_int_equal(r.udp.cls, PC_FIXED);
	assert_true(r.udp.f.top_port_share == 1.0);
	assert_false(r.udp.port_fixed);
	/* the 8th distinct endpoint */
	add(c, 1, 17, 7, 5353);
	r = result(c, 0);
	assert_true(r.udp.port_fixed);
	assert_int_equal(r.udp.fixed_port, 5353);
	assert_int_equal(r.udp.fixed_evidence.n, 8);
	/* first flow to each endpoint, in order: numbers 0..6, then 10 */
	for (uint32_t i = 0; i < 7; i++)
		assert_int_equal(r.udp.fixed_evidence.index[i], i);
	assert_int_equal(r.udp.fixed_evidence.index[7], 10);
	assert_int_equal(r.udp.fixed_evidence.frame[7], frame_no);
	assert_int_equal(r.udp.fixed_evidence.ts_sec[7], (int64_t)frame_no);
	assert_int_equal(r.cls, PC_FIXED);
	cls_destroy(c);

	/* port.fixed is a UDP rule and does not wait for min_samples */
	c = mk(20, 256, 16);
	for (uint32_t i = 0; i < 9; i++)
		add(c, 3, 6, i, 7000);
	for (uint32_t i = 0; i < 9; i++)
		add(c, 4, 17, i, 7000);
	r = result(c, 0);
	assert_int_equal(r.tcp.cls, PC_UNKNOWN);     /* 9 < 20 */
	assert_false(r.tcp.port_fixed);
	r = result(c, 1);
	assert_int_equal(r.udp.cls, PC_UNKNOWN);
	assert_true(r.udp.port_fixed);               /* independent of min_samples */
	cls_destroy(c);
}

/* ports drawn by the allocator models, through the classifier */
static enum port_class run_model(enum pa_algo algo, uint32_t ndest, uint32_t n, uint64_t seed)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a;
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;

	pa_rng_seed(&rng, seed);
	assert_int_equal(pa_config_default(&cfg, algo, NULL, &rng), TC_OK);
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	for (uint32_t i = 0; i < n; i++) {
		struct pa_tuple t;
		uint32_t d = pa_rng_below(&rng, ndest);

		memset(&t, 0, sizeof(t));
		t.ipver = 4;
		t.laddr[0] = 10; t.laddr[3] = 1;
		t.raddr[0] = 198; t.raddr[1] = 51; t.raddr[3] = (uint8_t)d;
		t.rport = (uint16_t)(443 + d % 3);
		assert_int_equal(pa_connect(a, &rng, &t, i * UINT64_C(1000000), NULL, NULL, NULL), TC_OK);
		add(c, 1, 6, d, t.lport);
	}
	r = result(c, 0);
	assert_int_equal(r.tcp.port_sequential, r.tcp.cls == PC_SEQUENTIAL);
	pa_destroy(a);
	cls_destroy(c);
	return r.tcp.cls;
}

static void test_models(void **state)
{
	(void)state;
	assert_int_equal(run_model(PA_LEGACY, 10, 64, 1), PC_SEQUENTIAL);
	assert_int_equal(run_model(PA_ALG1, 10, 64, 2), PC_RANDOM);
	assert_int_equal(run_model(PA_ALG2, 10, 64, 3), PC_RANDOM);
	assert_int_equal(run_model(PA_ALG3, 10, 64, 4), PC_PER_DEST_SEQ);
	assert_int_equal(run_model(PA_ALG4, 10, 64, 5), PC_PER_DEST_SEQ);
	assert_int_equal(run_model(PA_ALG5, 10, 64, 6), PC_RANDOM_INCREMENTS);
	assert_int_equal(run_model(PA_LINUX, 10, 64, 7), PC_PER_DEST_SEQ);
	assert_int_equal(run_model(PA_ALG5, 1, 64, 8), PC_RANDOM_INCREMENTS);
	assert_int_equal(run_model(PA_LINUX, 1, 64, 9), PC_PER_DEST_SEQ);
}

/* Interleaved hosts, protocols and refused records do not mix. */
static void test_grouping(void **state)
{
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;
	struct cls_conn k;
	struct pa_rng rng;

	(void)state;
	pa_rng_seed(&rng, 3);
	for (uint32_t i = 0; i < 40; i++) {
		add(c, 1, 6, i % 9, (uint16_t)(2000 + i));                        /* sequential */
		add(c, 2, 6, i % 9, (uint16_t)(32768 + pa_rng_below(&rng, 28232))); /* random */
		add(c, 1, 17, i % 4, (uint16_t)(32768 + pa_rng_below(&rng, 28232)));/* random UDP */
	}
	memset(&k, 0, sizeof(k));
	k.ipver = 4; k.proto = 1; k.src[0] = 10; k.src[3] = 1;
	assert_int_equal(cls_add(c, &k), TC_UNSUPPORTED);                  /* ICMP */
	k.proto = 6; k.ipver = 5;
	assert_int_equal(cls_add(c, &k), TC_UNSUPPORTED);
	/* the same first four bytes over IPv6 are another host */
	k.ipver = 6; k.sport = 40000;
	assert_int_equal(cls_add(c, &k), TC_OK);

	assert_int_equal(cls_host_count(c), 3);
	r = result(c, 0);
	assert_int_equal(r.addr[3], 1);
	assert_int_equal(r.ipver, 4);
	assert_int_equal(r.tcp.cls, PC_SEQUENTIAL);
	assert_int_equal(r.udp.cls, PC_RANDOM);
	assert_int_equal(r.connections, 80);
	assert_int_equal(r.cls, PC_SEQUENTIAL);          /* TCP wins the tie */
	assert_int_equal(r.min_port, 2000);
	r = result(c, 1);
	assert_int_equal(r.tcp.cls, PC_RANDOM);
	assert_int_equal(r.udp.connections, 0);
	assert_int_equal(r.udp.cls, PC_UNKNOWN);
	r = result(c, 2);
	assert_int_equal(r.ipver, 6);
	assert_int_equal(r.connections, 1);
	assert_int_equal(cls_host_result(c, 3, &r), TC_END);

	/* asking twice gives the same answer; more traffic can change it */
	{
		struct cls_host_result a = result(c, 0), b = result(c, 0);

		assert_memory_equal(&a, &b, sizeof(a));
		for (uint32_t i = 0; i < 200; i++)
			add(c, 1, 17, 0, 53);
		a = result(c, 0);
		assert_int_equal(a.cls, PC_FIXED);           /* UDP now has more */
		assert_int_equal(a.tcp.cls, PC_SEQUENTIAL);
	}
	cls_destroy(c);
}

/* Past keep, only the first and last keep are looked at; counts stay exact.
 * (Ports from 20000: a block counted up from 10000, the bottom of FreeBSD's
 * range, and then reused would be the legacy allocator, rule 3c.) */
static void test_memory_bound(void **state)
{
	struct cls *c = mk(8, 16, 16);
	struct cls_host_result r;

	(void)state;
	for (uint32_t i = 0; i < 1000; i++)
		add(c, 1, 6, i % 7, (uint16_t)(20000 + i));
	for (uint32_t i = 0; i < 100; i++)
		add(c, 1, 6, i % 7, 20000);              /* repeats: distinct stays */
	r = result(c, 0);
	assert_int_equal(r.tcp.connections, 1100);
	assert_int_equal(r.tcp.f.kept, 32);
	assert_int_equal(r.tcp.distinct_ports, 1000);
	assert_int_equal(r.tcp.min_port, 20000);
	assert_int_equal(r.tcp.max_port, 20999);
	/* the verdict sees the first 16 (20000..20015) and the last 16 (all
	 * 20000): port 20000 is 17 of 32 kept, so the class is fixed */
	assert_true(r.tcp.f.top_port_share == 17.0 / 32);
	assert_int_equal(r.tcp.cls, PC_FIXED);
	for (uint32_t i = 0; i < r.tcp.evidence.n; i++)
		assert_true(r.tcp.evidence.index[i] < 16 || r.tcp.evidence.index[i] >= 1084);
	cls_destroy(c);

	/* a host that stays sequential across the gap */
	c = mk(8, 16, 16);
	for (uint32_t i = 0; i < 500; i++)
		add(c, 1, 6, i % 7, (uint16_t)(10000 + i));
	r = result(c, 0);
	assert_int_equal(r.tcp.cls, PC_SEQUENTIAL);
	assert_int_equal(r.tcp.distinct_ports, 500);
	/* the first and last 16: 15 + 15 steps, none across the gap */
	assert_int_equal(r.tcp.f.cross_steps, 30);
	cls_destroy(c);
}

static void test_host_cap(void **state)
{
	struct cls *c = mk(8, 16, 2);
	struct cls_conn k;

	(void)state;
	add(c, 1, 6, 0, 1000);
	add(c, 2, 6, 0, 1000);
	memset(&k, 0, sizeof(k));
	k.ipver = 4; k.proto = 6; k.src[0] = 10; k.src[3] = 3; k.sport = 1000;
	assert_int_equal(cls_add(c, &k), TC_EXHAUSTED);
	assert_int_equal(cls_add(c, &k), TC_EXHAUSTED);
	assert_int_equal(cls_dropped(c), 2);
	add(c, 1, 6, 1, 1001);                       /* known hosts still count */
	assert_int_equal(cls_host_count(c), 2);
	assert_int_equal(result(c, 0).tcp.connections, 2);
	cls_destroy(c);
}

/* One classifier with the lookup caches from its first connection or never. */
static struct cls *mk_cached(uint32_t keep, uint32_t cache_from)
{
	struct cls_config cfg;
	struct cls *c = NULL;

	cls_config_default(&cfg);
	cfg.keep = keep;
	cfg.cache_from = cache_from;
	cfg.key.k0 = 3;
	cfg.key.k1 = 4;
	assert_int_equal(cls_create(&c, &cfg), TC_OK);
	return c;
}

/*
 * The lookup caches (host number, destination hash) and the memos of
 * lgamma/exp never change an answer: the same random connections, from
 * pools of hosts and endpoints larger than the caches (so slots collide
 * and are taken over) and a few busy ones (so slots hit), give
 * byte-identical results with the caches on from the first connection and
 * with them (and the memos) off; asking again gives the same.
 * keep 1024 has streams longer than the memos (j past them computed);
 * keep 3 streams whose first block (2 keep samples) never grows.
 */
static void test_caches_invisible(void **state)
{
	static const uint32_t keeps[] = { 3, 16, 1024 };
	uint64_t x = UINT64_C(0x243f6a8885a308d3);

	(void)state;
	for (size_t t = 0; t < sizeof(keeps) / sizeof(keeps[0]); t++) {
		struct cls *a = mk_cached(keeps[t], 0), *b = mk_cached(keeps[t], UINT32_MAX);
		struct cls_host_result ra, rb, ra2;

		for (uint32_t i = 0; i < 80000; i++) {
			struct cls_conn k;
			uint32_t host, dst;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memset(&k, 0, sizeof(k));
			k.frame = i + 1;
			k.ipver = (x & 7) == 0 ? 6 : 4;
			k.proto = (x >> 3) & 1 ? 6 : 17;
			host = (x >> 4) % 4 == 0 ? 0 : (x >> 6) & 1 ? (uint32_t)(x >> 8) % 64
								       : (uint32_t)(x >> 8) % 200000;
			dst = (x >> 24) & 1 ? (uint32_t)(x >> 25) % 16 : (uint32_t)(x >> 25) % 6000;
			k.src[0] = 10;
			k.src[1] = (uint8_t)(host >> 16);
			k.src[2] = (uint8_t)(host >> 8);
			k.src[3] = (uint8_t)host;
			k.dst[0] = 198;
			k.dst[2] = (uint8_t)(dst >> 8);
			k.dst[3] = (uint8_t)dst;
			if (k.ipver == 6) {
				k.src[15] = 1;
				k.dst[15] = 2;
			}
			k.dport = (uint16_t)(443 + dst % 5);
			k.sport = (uint16_t)(x >> 48);
			assert_int_equal(cls_add(a, &k), cls_add(b, &k));
		}
		assert_int_equal(cls_host_count(a), cls_host_count(b));
		assert_true(cls_host_count(a) > 20000);   /* more than the cache's slots */
		for (size_t h = 0; h < cls_host_count(a); h++) {
			assert_int_equal(cls_host_result(a, h, &ra), TC_OK);
			assert_int_equal(cls_host_result(b, h, &rb), TC_OK);
			assert_int_equal(cls_host_result(a, h, &ra2), TC_OK);
			assert_memory_equal(&ra, &rb, sizeof(ra));
			assert_memory_equal(&ra, &ra2, sizeof(ra));
		}
		cls_destroy(a);
		cls_destroy(b);
	}
}

static void same_shown(const struct cls_stream_result *a, const struct cls_stream_result *b)
{
	assert_int_equal(a->proto, b->proto);
	assert_int_equal(a->connections, b->connections);
	assert_int_equal(a->distinct_ports, b->distinct_ports);
	assert_int_equal(a->min_port, b->min_port);
	assert_int_equal(a->max_port, b->max_port);
	assert_int_equal(a->cls, b->cls);
	assert_true(a->confidence == b->confidence);
	assert_int_equal(a->f.destinations, b->f.destinations);
	assert_memory_equal(&a->evidence, &b->evidence, sizeof(a->evidence));
	assert_int_equal(a->port_sequential, b->port_sequential);
	assert_int_equal(a->port_fixed, b->port_fixed);
	assert_int_equal(a->fixed_port, b->fixed_port);
	assert_memory_equal(&a->fixed_evidence, &b->fixed_evidence, sizeof(a->fixed_evidence));
}

/*
 * cfg.brief skips the features of streams below min_samples: every field a
 * host record or finding shows is the same as without it, including
 * port.fixed on a stream still too short for a class (min_samples 20, so
 * UDP streams of 8..19 connections to 8+ endpoints from one port fire it
 * while unknown).
 */
static void test_brief(void **state)
{
	struct cls_config cfg;
	struct cls *a = NULL, *b = NULL;
	struct cls_host_result ra, rb;
	uint64_t x = UINT64_C(0x13198a2e03707344);
	uint32_t fixed_unknown = 0;
	enum tc_rc rc;

	(void)state;
	cls_config_default(&cfg);
	cfg.min_samples = 20;
	assert_int_equal(cls_create(&a, &cfg), TC_OK);
	cfg.brief = true;
	assert_int_equal(cls_create(&b, &cfg), TC_OK);
	for (uint32_t i = 0; i < 20000; i++) {
		struct cls_conn k;
		uint32_t host;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memset(&k, 0, sizeof(k));
		k.frame = i + 1;
		k.ipver = 4;
		k.proto = (x & 3) == 0 ? 6 : 17;
		host = (uint32_t)(x >> 2) % 1500;
		k.src[0] = 10;
		k.src[2] = (uint8_t)(host >> 8);
		k.src[3] = (uint8_t)host;
		k.dst[0] = 198;
		k.dst[3] = (uint8_t)(x >> 16);
		k.dport = (uint16_t)(53 + (x >> 24) % 3);
		/* some hosts keep one port, some count up, the rest random */
		k.sport = host % 3 == 0 ? (uint16_t)(40000 + host)
			  : host % 3 == 1 ? (uint16_t)(1024 + i) : (uint16_t)(x >> 40);
		/* UDP from a random well-known port to 54 or 55 is between
		 * service ports: refused by both alike */
		rc = cls_add(a, &k);
		assert_true(rc == TC_OK || (rc == TC_UNSUPPORTED && k.proto == 17 && k.sport < 1024));
		assert_int_equal(cls_add(b, &k), rc);
	}
	assert_int_equal(cls_host_count(a), cls_host_count(b));
	for (size_t h = 0; h < cls_host_count(a); h++) {
		assert_int_equal(cls_host_result(a, h, &ra), TC_OK);
		assert_int_equal(cls_host_result(b, h, &rb), TC_OK);
		same_shown(&ra.tcp, &rb.tcp);
		same_shown(&ra.udp, &rb.udp);
		assert_int_equal(ra.connections, rb.connections);
		assert_int_equal(ra.distinct_ports, rb.distinct_ports);
		assert_int_equal(ra.min_port, rb.min_port);
		assert_int_equal(ra.max_port, rb.max_port);
		assert_int_equal(ra.cls, rb.cls);
		assert_true(ra.confidence == rb.confidence);
		fixed_unknown += ra.udp.port_fixed && ra.udp.cls == PC_UNKNOWN;
	}
	assert_true(fixed_unknown > 0);
	cls_destroy(a);
	cls_destroy(b);
}

/* ---- audit fixes: each test below failed on the classifier before ---- */

/* A connection through allocator a from host 10.0.0.1 to one of ndest
 * destinations (198.51.d.d); *tup is the live tuple, the port returned. */
static uint16_t model_conn(struct pa_alloc *a, struct pa_rng *rng, uint32_t ndest, uint64_t t,
			   struct pa_tuple *tup)
{
	uint32_t d = pa_rng_below(rng, ndest);

	memset(tup, 0, sizeof(*tup));
	tup->ipver = 4;
	tup->laddr[0] = 10; tup->laddr[3] = 1;
	tup->raddr[0] = 198; tup->raddr[1] = 51; tup->raddr[2] = (uint8_t)(d >> 8);
	tup->raddr[3] = (uint8_t)d;
	tup->rport = (uint16_t)(443 + d % 3);
	assert_int_equal(pa_connect(a, rng, tup, t, NULL, NULL, NULL), TC_OK);
	return tup->lport;
}

static uint32_t dest_of(const struct pa_tuple *t)
{
	return (uint32_t)t->raddr[2] << 8 | t->raddr[3];
}

/* n connections of algo over [low, high[ to ndest destinations, each
 * aborted at once; the class of the host's TCP. */
static enum port_class run_range(enum pa_algo algo, uint32_t low, uint32_t high, uint32_t ndest,
				 uint32_t n, uint64_t seed)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a;
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;

	pa_rng_seed(&rng, seed);
	assert_int_equal(pa_config_default(&cfg, algo, NULL, &rng), TC_OK);
	cfg.low = low;
	cfg.high = high;
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	for (uint32_t i = 0; i < n; i++) {
		struct pa_tuple t;
		uint16_t p = model_conn(a, &rng, ndest, i * UINT64_C(1000000), &t);

		add(c, 1, 6, dest_of(&t), p);
		assert_int_equal(pa_close(a, &t, i * UINT64_C(1000000) + 1, PA_CLOSE_ABORT), TC_OK);
	}
	r = result(c, 0);
	pa_destroy(a);
	cls_destroy(c);
	return r.tcp.cls;
}

/*
 * Random ports from a narrowed range (40000-44999; the usual range that
 * holds them is 1024-65535, 13 times wider) are random, not
 * per-destination-sequential: small forward steps to one destination are
 * 13 times likelier than that range says, and the other destinations'
 * ports show it. The same when one stray port widens the assumed range to
 * all ports. Alg 3 in the narrowed range stays per-destination-sequential.
 */
static void test_narrow_range(void **state)
{
	struct cls *c;
	struct pa_rng rng;
	struct cls_host_result r;

	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		assert_int_equal(run_range(PA_ALG1, 40000, 45000, 100, 400, seed), PC_RANDOM);
		assert_int_equal(run_range(PA_ALG2, 40000, 45000, 60, 300, seed), PC_RANDOM);
		assert_int_equal(run_range(PA_ALG1, 40000, 41000, 40, 100, seed), PC_RANDOM);
		assert_int_equal(run_range(PA_ALG3, 40000, 45000, 20, 100, seed), PC_PER_DEST_SEQ);
	}
	/* Linux's range and one flow from port 123, 600 flows to 200 endpoints */
	c = mk(8, 256, 16);
	pa_rng_seed(&rng, 7);
	for (uint32_t i = 0; i < 600; i++) {
		uint32_t d = pa_rng_below(&rng, 200);

		add(c, 1, 17, d, i == 300 ? 123 : (uint16_t)(32768 + pa_rng_below(&rng, 28232)));
	}
	r = result(c, 0);
	assert_int_equal(r.udp.min_port, 123);
	assert_int_equal(r.udp.cls, PC_RANDOM);
	cls_destroy(c);
}

/* The legacy allocator in its steady state: 4 connections live at a time,
 * one of them (any) aborted before each new one, so a few ports at the
 * bottom of the range (1025...) take turns, out of order. */
static struct cls_host_result legacy_steady(uint32_t ndest)
{
	struct pa_rng rng;
	struct pa_config cfg;
	struct pa_alloc *a;
	struct pa_tuple live[4];
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;

	pa_rng_seed(&rng, 11);
	assert_int_equal(pa_config_default(&cfg, PA_LEGACY, NULL, &rng), TC_OK);
	assert_int_equal(pa_create(&a, &cfg, &rng), TC_OK);
	for (uint32_t i = 0; i < 300; i++) {
		struct pa_tuple *t = &live[i < 4 ? i : pa_rng_below(&rng, 4)];
		uint64_t now = i * UINT64_C(100000000);
		uint16_t p;

		if (i >= 4)
			assert_int_equal(pa_close(a, t, now, PA_CLOSE_ABORT), TC_OK);
		p = model_conn(a, &rng, ndest, now, t);
		add(c, 1, 6, dest_of(t), p);
	}
	r = result(c, 0);
	pa_destroy(a);
	cls_destroy(c);
	return r;
}

/* Sequential, and port.sequential with it when there were destinations to
 * differ (the rule's wording: "to different destinations"). */
static void test_legacy_steady(void **state)
{
	struct cls_host_result r;

	(void)state;
	r = legacy_steady(8);
	assert_int_equal(r.tcp.min_port, 1025);
	assert_true(r.tcp.distinct_ports <= 6);          /* it is the steady state */
	assert_int_equal(r.tcp.max_port - r.tcp.min_port + 1, r.tcp.distinct_ports);
	assert_int_equal(r.tcp.cls, PC_SEQUENTIAL);
	assert_true(r.tcp.port_sequential);
	/* evidence: the first use of each port, the first connection first */
	assert_true(r.tcp.evidence.n >= 3);
	assert_int_equal(r.tcp.evidence.index[0], 0);

	r = legacy_steady(1);
	assert_int_equal(r.tcp.cls, PC_SEQUENTIAL);
	assert_false(r.tcp.port_sequential);
}

/* 40 connections to 5 destinations in turn, port = start + i * stride in
 * Linux's range (modulo it): sequential for any stride and sign. */
static void test_strides(void **state)
{
	static const int32_t strides[] = { 100, -100, 4000, 65, -1000, 7 };

	(void)state;
	for (size_t k = 0; k < sizeof(strides) / sizeof(strides[0]); k++) {
		struct cls *c = mk(8, 256, 16);
		struct cls_host_result r;
		int64_t p = 40000;

		for (uint32_t i = 0; i < 40; i++) {
			add(c, 1, 6, i % 5, (uint16_t)p);
			p = 32768 + ((p - 32768 + strides[k]) % 28232 + 28232) % 28232;
		}
		r = result(c, 0);
		assert_int_equal(r.tcp.cls, PC_SEQUENTIAL);
		assert_int_equal(r.tcp.f.cross_mode, strides[k]);
		assert_true(r.tcp.port_sequential);
		cls_destroy(c);
	}
}

/* Not a stride: per-destination offsets that happen to be evenly spaced,
 * visited in turn (one large cross step 3 times in 4), +2 to each
 * destination (corpus/pcaps/hosts_per_destination.pcap's pattern). */
static void test_stride_not_per_destination(void **state)
{
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;
	uint32_t step[4] = { 0 };

	(void)state;
	for (uint32_t i = 0; i < 24; i++) {
		uint32_t d = i % 4, base = (d * 7919u * 4099u + 12345u) % 28232u;

		add(c, 1, 6, d, (uint16_t)(32768 + (base + step[d]) % 28232));
		step[d] += 2;
	}
	r = result(c, 0);
	assert_true(r.tcp.f.cross_mode_share >= 0.7);     /* it looks like one */
	assert_int_equal(r.tcp.cls, PC_PER_DEST_SEQ);
	cls_destroy(c);
}

/* Rule 3d: a counter shared with other traffic (steps +1..+3, so no one
 * stride and no high-water mark) to 5 destinations in turn. Every port
 * within a window of fewer than 256 ports: sequential. A window of 256
 * ports or more could be a narrow configured range holding random-ish
 * ports: rule 3d (file comment of classify.c: w < 256) says nothing, and
 * forward bounded steps are random-increments. */
static struct cls_host_result shared_counter(uint32_t w)
{
	static const uint32_t steps[] = { 2, 3, 1, 2, 3 };
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;
	uint32_t p = 40000, i = 0;

	for (; p < 40000 + w - 1; i++) {
		add(c, 1, 6, i % 5, (uint16_t)p);
		p += steps[i % 5];
		if (p > 40000 + w - 1)
			p = 40000 + w - 1;
	}
	add(c, 1, 6, i % 5, (uint16_t)p);
	r = result(c, 0);
	assert_int_equal(r.tcp.max_port - r.tcp.min_port + 1, w);
	cls_destroy(c);
	return r;
}

static void test_shared_counter_window(void **state)
{
	struct cls_host_result r;

	(void)state;
	r = shared_counter(100);
	assert_true(r.tcp.f.cross_mode_share < 0.7);      /* no one stride */
	assert_int_equal(r.tcp.cls, PC_SEQUENTIAL);
	assert_true(r.tcp.port_sequential);
	assert_true(r.tcp.f.dense_pvalue <= 1e-5);
	assert_true(r.tcp.evidence.n >= 2);
	r = shared_counter(255);
	assert_int_equal(r.tcp.cls, PC_SEQUENTIAL);
	assert_true(r.tcp.f.dense_pvalue <= 1e-5);
	r = shared_counter(256);
	assert_true(r.tcp.f.dense_pvalue == 1);           /* rule 3d not applied */
	assert_int_equal(r.tcp.cls, PC_RANDOM_INCREMENTS);
	assert_false(r.tcp.port_sequential);
}

/* Rule 4 on cross steps needs 4 of them, and 4 are enough: a counter
 * moved by random increments (RFC 6056 alg 5, here with N above the
 * suggested 500) seen over 8 connections to 5 destinations, where the 4
 * cross steps are forward and short (+700) and the steps to the same
 * destination are not (+1500, past the bound of 1024): the global steps do
 * not make the case (4 of 7), the cross steps do. */
static void test_increments_four_cross_steps(void **state)
{
	static const uint8_t dest[8] = { 0, 1, 1, 2, 2, 3, 3, 4 };
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;
	uint32_t p = 15000;

	(void)state;
	for (uint32_t i = 0; i < 8; i++) {
		add(c, 1, 6, dest[i], (uint16_t)p);
		p += i + 1 < 8 && dest[i + 1] != dest[i] ? 700 : 1500;
	}
	r = result(c, 0);
	assert_int_equal(r.tcp.f.cross_steps, 4);
	assert_int_equal(r.tcp.f.inc_steps, 4);
	assert_int_equal(r.tcp.f.inc_bound, 1024);
	assert_true(r.tcp.f.inc_share == 1.0);
	assert_int_equal(r.tcp.cls, PC_RANDOM_INCREMENTS);
	cls_destroy(c);
}

/* Linux to one destination (steps 2..16) while 1 connection in 10 comes
 * from a port the application bound itself (anywhere in the range): the
 * pairs are not all small (rule 5 is not met by 90% of them), yet most
 * global steps are forward and short. Rule 4 on global steps also wants
 * their median above 32 (alg 5's increments are 1..500, median ~250), so
 * this stays per-destination-sequential, not random-increments. */
static void test_small_steps_not_increments(void **state)
{
	struct pa_rng rng;

	(void)state;
	pa_rng_seed(&rng, 11);
	for (uint32_t run = 0; run < 20; run++) {
		struct cls *c = mk(8, 256, 16);
		struct cls_host_result r;
		uint32_t q = 33000 + pa_rng_below(&rng, 1000);

		for (uint32_t i = 0; i < 60; i++) {
			if (pa_rng_below(&rng, 10) == 0) {
				add(c, 1, 6, 3, (uint16_t)(32768 + pa_rng_below(&rng, 28000)));
			} else {
				q += 2 + 2 * pa_rng_below(&rng, 8);
				add(c, 1, 6, 3, (uint16_t)q);
			}
		}
		r = result(c, 0);
		assert_int_equal(r.tcp.f.destinations, 1);
		assert_true(r.tcp.f.inc_median <= 32);
		assert_int_equal(r.tcp.cls, PC_PER_DEST_SEQ);
		cls_destroy(c);
	}
}

/*
 * port.fixed when the fixed port's flows are all between the kept ones
 * (keep 16: the first and last 16 of 220 UDP flows): 10 flows from 5353 to
 * 10 endpoints in the middle. And a port that comes back every 10th flow
 * through the middle (more than 1/16 of them: Space-Saving keeps it).
 */
static void test_fixed_middle(void **state)
{
	struct pa_rng rng;
	struct cls *c = mk(8, 16, 16);
	struct cls_host_result r;
	uint64_t first = 0;

	(void)state;
	pa_rng_seed(&rng, 5);
	for (uint32_t i = 0; i < 220; i++) {
		if (i >= 100 && i < 110) {
			add(c, 1, 17, 1000 + i, 5353);
			if (i == 100)
				first = frame_no;
		} else {
			add(c, 1, 17, pa_rng_below(&rng, 200),
			    (uint16_t)(32768 + pa_rng_below(&rng, 28232)));
		}
	}
	r = result(c, 0);
	assert_true(r.udp.port_fixed);
	assert_int_equal(r.udp.fixed_port, 5353);
	assert_int_equal(r.udp.cls, PC_FIXED);
	/* evidence: the first flow to each of the first 8 endpoints */
	assert_int_equal(r.udp.fixed_evidence.n, CLS_FIXED_ENDPOINTS);
	for (uint32_t i = 0; i < CLS_FIXED_ENDPOINTS; i++) {
		assert_int_equal(r.udp.fixed_evidence.index[i], 100 + i);
		assert_int_equal(r.udp.fixed_evidence.frame[i], first + i);
	}
	cls_destroy(c);

	/* every 10th of 400 flows from port 40000, each to a new endpoint */
	c = mk(8, 16, 16);
	for (uint32_t i = 0; i < 400; i++)
		add(c, 1, 17, i % 10 == 5 ? 1000 + i : pa_rng_below(&rng, 200),
		    i % 10 == 5 ? 40000 : (uint16_t)(32768 + pa_rng_below(&rng, 28232)));
	r = result(c, 0);
	assert_true(r.udp.port_fixed);
	assert_int_equal(r.udp.fixed_port, 40000);
	cls_destroy(c);

	/* Space-Saving: a port not held takes the smallest count plus one.
	 * The table is full of ports seen once when 5353 starts to come back
	 * every other dropped flow, between ports never seen again: it must
	 * hold its slot (more than 1/16 of the flows) and reach 8 endpoints,
	 * not be pushed out by each new port in turn. */
	c = mk(8, 16, 16);
	for (uint32_t i = 0; i < 48 + 24 + 32; i++) {
		bool fixed = i >= 48 && i < 48 + 24 && i % 2 == 0;

		add(c, 1, 17, fixed ? 1000 + i : 100 + i % 50,
		    fixed ? 5353 : (uint16_t)(32768 + i * 97));
	}
	r = result(c, 0);
	assert_true(r.udp.port_fixed);
	assert_int_equal(r.udp.fixed_port, 5353);
	cls_destroy(c);

	/* 7 endpoints in the middle are not 8 */
	c = mk(8, 16, 16);
	for (uint32_t i = 0; i < 220; i++)
		add(c, 1, 17, i >= 100 && i < 110 ? 1000 + i % 7 : pa_rng_below(&rng, 200),
		    i >= 100 && i < 110 ? 5353 : (uint16_t)(32768 + pa_rng_below(&rng, 28232)));
	r = result(c, 0);
	assert_false(r.udp.port_fixed);
	cls_destroy(c);
}

/* port.fixed and the class agree: 8 flows from one port to 8 endpoints
 * among 23 flows (35%) is `fixed`, not `random` with a port.fixed finding. */
static void test_fixed_consistent(void **state)
{
	struct pa_rng rng;
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;

	(void)state;
	pa_rng_seed(&rng, 9);
	for (uint32_t i = 0; i < 23; i++)
		add(c, 1, 17, i % 3 == 0 ? i / 3 : 100 + i,
		    i % 3 == 0 ? 40000 : (uint16_t)(32768 + pa_rng_below(&rng, 28232)));
	r = result(c, 0);
	assert_true(r.udp.port_fixed);
	assert_int_equal(r.udp.cls, PC_FIXED);
	assert_int_equal(r.cls, PC_FIXED);
	cls_destroy(c);
}

/* fixed means a port was reused: 1 or 2 connections on distinct ports are
 * not fixed whatever --min-samples lets through. */
static void test_fixed_needs_reuse(void **state)
{
	struct cls *c = mk(2, 256, 16);
	struct cls_host_result r;

	(void)state;
	add(c, 1, 6, 0, 56046);
	add(c, 1, 6, 1, 56641);
	r = result(c, 0);
	assert_int_not_equal(r.tcp.cls, PC_FIXED);
	assert_int_not_equal(r.tcp.cls, PC_UNKNOWN);
	add(c, 2, 6, 0, 40000);                      /* the same port twice */
	add(c, 2, 6, 1, 40000);
	assert_int_equal(result(c, 1).tcp.cls, PC_FIXED);
	cls_destroy(c);

	c = mk(1, 256, 16);
	add(c, 1, 6, 0, 1025);
	r = result(c, 0);
	assert_int_not_equal(r.tcp.cls, PC_FIXED);
	assert_int_not_equal(r.tcp.cls, PC_UNKNOWN);
	cls_destroy(c);
}

/* A UDP datagram from a well-known port to a high port is a server's reply
 * taken for a query (its query was not captured first): not recorded, so a
 * DNS server seen from its replies is neither a client nor port.fixed.
 * Nor is a flow between service ports; a query to DNS port 53 is. */
static void test_server_replies(void **state)
{
	struct cls *c = mk(8, 256, 16);
	struct cls_conn k;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.ipver = 4;
	k.proto = 17;
	k.src[0] = 10; k.src[3] = 9;
	k.dst[0] = 10; k.dst[1] = 1;
	k.sport = 53;
	for (uint32_t i = 0; i < 20; i++) {
		k.dst[3] = (uint8_t)(1 + i);
		k.dport = (uint16_t)(40000 + 97 * i);
		assert_int_equal(cls_add(c, &k), TC_UNSUPPORTED);
	}
	/* between service ports the protocol fixes (audit fp items 1-2):
	 * NTP 123 -> 123, IKE 500 -> 500 and 4500 -> 4500, DHCP 68 -> 67 and
	 * 67 -> 68, DHCPv6 546 -> 547, HSRP 1985 -> 1985: not a client either */
	{
		static const uint16_t svc[][2] = {
			{ 123, 123 }, { 500, 500 }, { 4500, 4500 }, { 68, 67 }, { 67, 68 },
			{ 546, 547 }, { 1985, 1985 }, { 6696, 6696 },
		};

		for (size_t i = 0; i < TC_ARRAY_SIZE(svc); i++) {
			k.sport = svc[i][0];
			k.dport = svc[i][1];
			assert_int_equal(cls_add(c, &k), TC_UNSUPPORTED);
		}
	}
	assert_int_equal(cls_host_count(c), 0);
	k.dport = 53;                  /* a resolver on fixed port 53: a client */
	k.sport = 53;
	assert_int_equal(cls_add(c, &k), TC_OK);
	k.sport = 0;                                 /* no reply port: a client */
	k.dport = 40000;
	assert_int_equal(cls_add(c, &k), TC_OK);
	k.proto = 6;                                 /* TCP: the SYN says who */
	k.sport = 80;
	assert_int_equal(cls_add(c, &k), TC_OK);
	assert_int_equal(cls_host_count(c), 1);
	assert_int_equal(result(c, 0).udp.connections, 2);
	cls_destroy(c);
}

/* cls_add_once refuses a UDP (source port, destination) that the host's
 * kept samples hold (the first keep and the last keep recorded), against a
 * plain list of what was recorded: tuples drawn from a small set, so that
 * they repeat, leave the ring and come back (the index's deletions). TCP
 * and cls_add record every time. Audit fp item 3: a syslog socket
 * re-created after each 60 s idle timeout made a random host `fixed`. */
static void test_add_once(void **state)
{
	enum { KEEP = 4, N = 3000 };
	static uint16_t rec_port[N];
	static uint32_t rec_dst[N];
	uint32_t nrec = 0;
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
	struct cls *c = mk(8, KEEP, 16);
	struct cls_conn k;
	struct cls_host_result r;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.ipver = 4;
	k.proto = 17;
	k.src[0] = 10; k.src[3] = 1;
	k.dst[0] = 198;
	k.dport = 53;
	for (uint32_t i = 0; i < N; i++) {
		uint32_t d;
		bool kept = false;
		enum tc_rc rc;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d = (uint32_t)(x % 5);
		k.sport = (uint16_t)(40000 + (x >> 8) % 4);
		k.dst[3] = (uint8_t)d;
		k.frame = i + 1;
		for (uint32_t j = 0; j < nrec; j++)
			if ((j < KEEP || j + KEEP >= nrec) && rec_port[j] == k.sport && rec_dst[j] == d)
				kept = true;
		rc = cls_add_once(c, &k);
		if (rc != (kept ? TC_END : TC_OK))
			fail_msg("record %u (port %u, destination %u): %d, kept %d", i, k.sport, d, rc, kept);
		if (rc == TC_OK) {
			rec_port[nrec] = k.sport;
			rec_dst[nrec++] = d;
		}
	}
	assert_true(nrec > 100);                  /* tuples did come back */
	r = result(c, 0);
	assert_int_equal(r.udp.connections, nrec);
	/* plain cls_add and TCP record the same tuple again */
	assert_int_equal(cls_add(c, &k), TC_OK);
	k.proto = 6;
	assert_int_equal(cls_add_once(c, &k), TC_OK);
	assert_int_equal(cls_add_once(c, &k), TC_OK);
	cls_destroy(c);
}

/* --min-samples counts per protocol: 7 TCP + 7 UDP leave the host unknown
 * (documented in README and --help). */
static void test_min_samples_per_protocol(void **state)
{
	struct cls *c = mk(8, 256, 16);
	struct cls_host_result r;

	(void)state;
	for (uint32_t i = 0; i < 7; i++) {
		add(c, 1, 6, i, (uint16_t)(1025 + i));
		add(c, 1, 17, i, (uint16_t)(2025 + i));
	}
	r = result(c, 0);
	assert_int_equal(r.connections, 14);
	assert_int_equal(r.cls, PC_UNKNOWN);
	cls_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_min_samples_boundary),
		cmocka_unit_test(test_descending),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_single_destination),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_models),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_host_cap),
		cmocka_unit_test(test_caches_invisible),
		cmocka_unit_test(test_brief),
		cmocka_unit_test(test_narrow_range),
		cmocka_unit_test(test_legacy_steady),
		cmocka_unit_test(test_strides),
		cmocka_unit_test(test_stride_not_per_destination),
		cmocka_unit_test(test_shared_counter_window),
		cmocka_unit_test(test_small_steps_not_increments),
		cmocka_unit_test(test_increments_four_cross_steps),
		cmocka_unit_test(test_fixed_middle),
		cmocka_unit_test(test_fixed_consistent),
		cmocka_unit_test(test_fixed_needs_reuse),
		cmocka_unit_test(test_server_replies),
		cmocka_unit_test(test_min_samples_per_protocol),
		cmocka_unit_test(test_add_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
