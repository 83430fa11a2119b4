/*
 * test_fastpaths.c - the hand-written fast paths of the hot loops against
 * the straightforward code they replace, on many inputs:
 *  - siphash24_words (the flow table's hash without a byte buffer) equals
 *    siphash24 over the same bytes, for every length 0..63;
 *  - ft_hash equals siphash24 over the documented serialisation of the key
 *    (IPv4: both 4-byte addresses, ports big-endian, protocol, version;
 *    IPv6: the same with 16-byte addresses);
 *  - ft_lookup (a cache of recent entries in front of the keyed table)
 *    answers as ft_find does through inserts, removals and reinsertions;
 *  - engine_flush (an in-place radix sort by creation number) emits every
 *    live flow in creation order when the activity lists hold them in
 *    another order and expiries left gaps;
 *  - the record formatters of oracle/cli.c (fmt_u64, fmt_ts, fmt_addr,
 *    fmt_json_str) write byte for byte what printf, addr_format and a
 *    printf-based timestamp print, including negative and extreme times,
 *    the RFC 5952 special forms and every byte value in strings;
 *  - json_str (FILE) and fmt_json_str (buffer) agree, and fmt_ts_memo
 *    (digits of the seconds remembered between calls) writes fmt_ts's text;
 *  - sha1_short (one block, padding folded in) equals sha1 for lengths
 *    0..127, and communityid_v1 equals a byte-wise reference built from
 *    the specification with memcmp ordering and the streaming sha1;
 *  - sha1_short_x4 (four messages in SIMD lanes) equals sha1 in every lane
 *    and communityid_v1_many equals communityid_v1 tuple by tuple.
 * Inputs come from a fixed-seed generator, so a failure repeats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cli.h"
#include "decode.h"
#include "decode_layers.h"   /* link_parse_inline against link_parse */
#include "flowtable.h"
#include "siphash.h"
#include "engine.h"
#include "sha1.h"
#include "communityid.h"

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void test_siphash_words(void **state)
{
	uint8_t msg[64];
	uint64_t words[8];

	(void)state;
	for (int round = 0; round < 200; round++) {
		struct siphash_key key = { rnd(), rnd() };

		for (size_t i = 0; i < sizeof(msg); i++)
			msg[i] = (uint8_t)rnd();
		for (size_t len = 0; len < sizeof(msg); len++) {
			uint64_t tail = 0;

			for (size_t w = 0; w < len / 8; w++)
				words[w] = le64(msg + 8 * w);
			for (size_t i = len % 8; i-- > 0;)
				tail = tail << 8 | msg[len - len % 8 + i];
			assert_true(siphash24_words(&key, words, tail, len) ==
				    siphash24(&key, msg, len));
		}
	}
}

static void test_ft_hash_serialisation(void **state)
{
	struct flowtable t;
	struct siphash_key key = { rnd(), rnd() };

	(void)state;
	assert_int_equal(ft_init(&t, sizeof(struct ft_entry), 16, &key), TC_OK);
	for (int round = 0; round < 5000; round++) {
		uint8_t a[16] = { 0 }, b[16] = { 0 }, buf[38];
		uint8_t ipver = (round & 1) ? 6 : 4;
		size_t alen = ipver == 4 ? 4 : 16, n = 0;
		uint16_t pa = (uint16_t)rnd(), pb = (uint16_t)rnd();
		uint8_t proto = (round & 2) ? 17 : 6;
		struct ft_key k;
		unsigned side;

		for (size_t i = 0; i < alen; i++) {
			a[i] = (uint8_t)rnd();
			b[i] = (round % 7 == 0) ? a[i] : (uint8_t)rnd();  /* equal addresses too */
		}
		ft_key_make(&k, proto, ipver, a, pa, b, pb, &side);
		memcpy(buf + n, k.addr[0], alen);
		n += alen;
		memcpy(buf + n, k.addr[1], alen);
		n += alen;
		buf[n++] = (uint8_t)(k.port[0] >> 8);
		buf[n++] = (uint8_t)k.port[0];
		buf[n++] = (uint8_t)(k.port[1] >> 8);
		buf[n++] = (uint8_t)k.port[1];
		buf[n++] = proto;
		buf[n++] = ipver;
		assert_true(ft_hash(&t, &k) == (uint32_t)siphash24(&key, buf, n));
		/* the canonical order is memcmp's, then the port */
		{
			int c = memcmp(a, b, 16);
			unsigned want = (c > 0 || (c == 0 && pa > pb)) ? 1 : 0;

			assert_int_equal(side, want);
		}
	}
	ft_destroy(&t);
}

/* ft_lookup (with its cache of recent entries) against ft_find on a table
 * big enough to have the cache, through inserts, removals and reinsertion
 * of the same keys (a removed entry must never be found through a stale
 * cache slot). */
static void make_key(struct ft_key *k, uint32_t i, uint32_t gen)
{
	uint8_t a[16] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
	uint8_t b[16] = { 192, 0, 2, (uint8_t)gen };
	unsigned side;

	ft_key_make(k, (i & 1) ? 6 : 17, 4, a, (uint16_t)(1024 + i % 50000), b, 80, &side);
}

static void test_ft_lookup_cache(void **state)
{
	enum { N = 12000 };
	struct flowtable t;
	struct siphash_key key = { rnd(), rnd() };
	static struct ft_entry *where[N];
	struct ft_key k;
	uint32_t h;

	(void)state;
	assert_int_equal(ft_init(&t, sizeof(struct ft_entry), 0, &key), TC_OK);
	for (uint32_t i = 0; i < N; i++) {
		make_key(&k, i, 0);
		assert_null(ft_lookup(&t, &k, &h));
		assert_true(h == ft_hash(&t, &k));
		assert_int_equal(ft_insert(&t, &k, h, &where[i]), TC_OK);
	}
	assert_non_null(t.cache);              /* the table is big enough for it */
	for (int round = 0; round < 4; round++) {
		/* remove a third, look everything up both ways */
		for (uint32_t i = (uint32_t)round; i < N; i += 3) {
			if (where[i] != NULL) {
				ft_remove(&t, where[i]);
				where[i] = NULL;
			}
		}
		for (uint32_t i = 0; i < N; i++) {
			struct ft_entry *e;

			make_key(&k, i, 0);
			e = ft_lookup(&t, &k, &h);
			assert_ptr_equal(e, where[i]);
			assert_ptr_equal(ft_find(&t, &k, ft_hash(&t, &k)), where[i]);
			assert_true(h == ft_hash(&t, &k));
			if (e != NULL)       /* a second time: now surely from the cache */
				assert_ptr_equal(ft_lookup(&t, &k, &h), e);
		}
		/* reinsert the removed keys: recycled entries, same keys */
		for (uint32_t i = 0; i < N; i++) {
			if (where[i] != NULL)
				continue;
			make_key(&k, i, 0);
			assert_null(ft_lookup(&t, &k, &h));
			assert_int_equal(ft_insert(&t, &k, h, &where[i]), TC_OK);
			assert_ptr_equal(ft_lookup(&t, &k, &h), where[i]);
		}
		/* keys that were never inserted are never found */
		for (uint32_t i = 0; i < N; i += 7) {
			make_key(&k, i, 1);
			assert_null(ft_lookup(&t, &k, &h));
		}
	}
	ft_destroy(&t);
}

/* engine_flush's in-place radix sort: many flows on all three activity
 * lists, touched again in random order (so list order is not creation
 * order), a third expired on the way (gaps in the creation numbers): the
 * flush must emit exactly the live flows, in creation order. */
struct flush_log {
	uint64_t n, last, flushed;
	bool ordered;
};

static void on_flush_emit(void *ctx, const struct engine *e, const struct flow *f,
			  enum flow_end why)
{
	struct flush_log *l = ctx;

	(void)e;
	if (why != FLOW_END_FLUSHED)
		return;
	if (l->flushed > 0 && f->seqno <= l->last)
		l->ordered = false;
	l->last = f->seqno;
	l->flushed++;
}

static void flow_pkt(struct pkt *p, uint32_t i, bool tcp)
{
	memset(p, 0, sizeof(*p));
	p->status = TC_OK;
	p->have_ip = true;
	p->ipver = 4;
	p->src[0] = 10;
	p->src[1] = (uint8_t)(i >> 16);
	p->src[2] = (uint8_t)(i >> 8);
	p->src[3] = (uint8_t)i;
	p->dst[0] = 192;
	p->dst[3] = 1;
	p->have_l4 = true;
	p->sport = (uint16_t)(20000 + i % 40000);
	p->dport = tcp ? 80 : 53;
	if (tcp) {
		p->proto = 6;
		p->l4 = L4_TCP;
		p->flags = TH_SYN;
		p->seq = i;
		p->win = 1000;
		p->tcp_hlen = 20;
	} else {
		p->proto = 17;
		p->l4 = L4_UDP;
		p->udp_len = 8;
	}
}

static void test_flush_order(void **state)
{
	enum { N = 70000 };
	struct engine_config cfg;
	struct engine *e;
	struct flush_log log = { 0, 0, 0, true };
	struct engine_result res;
	struct pkt p;
	uint64_t frame = 0, live;

	(void)state;
	engine_config_default(&cfg);
	cfg.hash_key.k0 = rnd();
	cfg.hash_key.k1 = rnd();
	assert_int_equal(engine_new(&cfg, on_flush_emit, &log, &e), TC_OK);
	/* t = 0: N flows, UDP and TCP mixed */
	for (uint32_t i = 0; i < N; i++) {
		struct engine_in in = { ++frame, 1700000000, 0, 6, false };

		flow_pkt(&p, i, i % 3 != 0);
		assert_int_equal(engine_packet(e, &p, &in, &res), TC_OK);
	}
	/* t = 30 s: touch two thirds of the UDP flows and random others */
	for (uint32_t j = 0; j < N; j++) {
		uint32_t i = (uint32_t)(rnd() % N);
		struct engine_in in = { ++frame, 1700000030, 0, 6, false };

		if (i % 3 == 0 && i % 2 == 0)
			continue;               /* these UDP flows stay idle */
		flow_pkt(&p, i, i % 3 != 0);
		p.flags = TH_ACK;
		assert_int_equal(engine_packet(e, &p, &in, &res), TC_OK);
	}
	/* t = 61 s: the idle UDP flows have expired (60 s) */
	engine_advance(e, 1700000061, 0);
	engine_expire(e, UINT64_MAX);
	live = engine_stats(e)->live;
	assert_true(live < N && live > N / 2);
	engine_flush(e);
	assert_true(log.ordered);
	assert_true(log.flushed == live);
	engine_free(e);
}

/* ---- record formatters ------------------------------------------------------ */

static void check_u64(uint64_t v)
{
	char want[32], got[FMT_U64_MAX + 1];

	snprintf(want, sizeof(want), "%" PRIu64, v);
	*fmt_u64(got, v) = '\0';
	assert_string_equal(got, want);
}

static void test_fmt_u64(void **state)
{
	(void)state;
	check_u64(0);
	check_u64(UINT64_MAX);
	for (uint64_t p = 1; p != 0 && p <= UINT64_MAX / 10; p *= 10) {
		check_u64(p - 1);
		check_u64(p);
		check_u64(p + 1);
	}
	for (int i = 0; i < 100000; i++)
		check_u64(rnd() >> (rnd() % 64));
}

/* The timestamp as the printf-based ts_print printed it before the record
 * buffers came: the reference. */
static void ts_reference(char *out, size_t len, int64_t sec, uint32_t nsec, uint8_t digits)
{
	const char *sign = "";

	if (sec < 0 && nsec > 0) {
		sec += 1;
		nsec = 1000000000u - nsec;
		if (sec == 0)
			sign = "-";
	}
	if (digits == 9)
		snprintf(out, len, "%s%" PRId64 ".%09u", sign, sec, nsec);
	else
		snprintf(out, len, "%s%" PRId64 ".%06u", sign, sec, nsec / 1000);
}

static void check_ts(int64_t sec, uint32_t nsec, uint8_t digits)
{
	char want[64], got[FMT_TS_MAX + 1], filed[64];
	FILE *f;
	size_t n;

	ts_reference(want, sizeof(want), sec, nsec, digits);
	*fmt_ts(got, sec, nsec, digits) = '\0';
	assert_string_equal(got, want);
	assert_true(strlen(got) <= FMT_TS_MAX);
	f = tmpfile();
	assert_non_null(f);
	ts_print(f, sec, nsec, digits);
	rewind(f);
	n = fread(filed, 1, sizeof(filed) - 1, f);
	filed[n] = '\0';
	fclose(f);
	assert_string_equal(filed, want);
}

static void test_fmt_ts(void **state)
{
	static const int64_t secs[] = {
		0, 1, -1, 2, -2, 1700000000, -1700000000, INT64_MAX, INT64_MIN,
		INT64_MAX - 1, INT64_MIN + 1, 9000000000, -9000000000,
	};
	static const uint32_t nsecs[] = { 0, 1, 999, 1000, 999999, 1000000, 123456789, 999999999 };

	(void)state;
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		for (size_t j = 0; j < sizeof(nsecs) / sizeof(nsecs[0]); j++) {
			check_ts(secs[i], nsecs[j], 6);
			check_ts(secs[i], nsecs[j], 9);
		}
	for (int i = 0; i < 20000; i++)
		check_ts((int64_t)rnd() >> (rnd() % 64), (uint32_t)(rnd() % 1000000000u),
			 (i & 1) ? 9 : 6);
}

static void check_addr(uint8_t ipver, const uint8_t a[16])
{
	char want[64], got[FMT_ADDR_MAX + 1];

	addr_format(ipver, a, want);
	*fmt_addr(got, ipver, a) = '\0';
	assert_string_equal(got, want);
}

static void test_fmt_addr(void **state)
{
	uint8_t a[16];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		for (int b = 0; b < 16; b++)
			a[b] = (uint8_t)rnd();
		if (i & 1)
			memset(a + 4, 0, 12);
		else    /* runs of zero words: RFC 5952 "::" placement and ties */
			for (int w = 0; w < 8; w++)
				if (rnd() % 3 == 0)
					a[2 * w] = a[2 * w + 1] = 0;
		check_addr((i & 1) ? 4 : 6, a);
	}
	memset(a, 0, 16);
	check_addr(6, a);                      /* :: */
	a[15] = 1;
	check_addr(6, a);                      /* ::1 */
	a[10] = a[11] = 0xff;
	a[12] = 192; a[13] = 0; a[14] = 2;
	check_addr(6, a);                      /* ::ffff:192.0.2.1 */
	check_addr(4, a);
	a[10] = a[11] = 0;
	check_addr(6, a);                      /* ::192.0.2.1 (IPv4-compatible) */
	memset(a, 0, 16);
	a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
	check_addr(6, a);                      /* 2001:db8:: (run at the end) */
	a[9] = 1;
	check_addr(6, a);                      /* 2001:db8:0:0:1:: (the longer run wins) */
	memset(a, 0xff, 16);
	check_addr(6, a);                      /* no run at all */
}

static void check_json(const char *s)
{
	char got[6 * 64 + 3], filed[6 * 64 + 3];
	FILE *f;
	size_t n;

	*fmt_json_str(got, s) = '\0';
	assert_true(strlen(got) <= FMT_JSON_STR_MAX(strlen(s)));
	f = tmpfile();
	assert_non_null(f);
	json_str(f, s);
	rewind(f);
	n = fread(filed, 1, sizeof(filed) - 1, f);
	filed[n] = '\0';
	fclose(f);
	assert_string_equal(got, filed);
	/* the text is valid UTF-8 whatever the bytes were (RFC 8259 8.1) */
	for (const unsigned char *u = (const unsigned char *)got; *u != '\0';) {
		uint32_t cp;
		size_t len = utf8_len(u, &cp);

		assert_true(len != 0);
		u += len;
	}
}

static void test_fmt_json_str(void **state)
{
	char s[64];

	(void)state;
	check_json("");
	check_json("ShADadFf");
	check_json("a\"b\\c\nd\re\tf\x01g\x7f");
	check_json("build/bench/data/mixed.pcap");
	/* every byte value, alone and in runs */
	for (int c = 1; c < 256; c++) {
		s[0] = (char)c;
		s[1] = '\0';
		check_json(s);
	}
	for (int i = 0; i < 5000; i++) {
		size_t len = (size_t)(rnd() % 63);

		for (size_t j = 0; j < len; j++)
			s[j] = (char)(1 + rnd() % 255);
		s[len] = '\0';
		check_json(s);
	}
	/* json_str escapes exactly as before: fixed expectations */
	*fmt_json_str(s, "\x1f\"") = '\0';
	assert_string_equal(s, "\"\\u001f\\\"\"");
	/* valid UTF-8 passes through; a stray byte becomes U+FFFD */
	*fmt_json_str(s, "caf\xc3\xa9-\xe9.pcap") = '\0';
	assert_string_equal(s, "\"caf\xc3\xa9-\\ufffd.pcap\"");
}

/* ---- capture timestamps ----------------------------------------------------- */

/* Little builders for capture files in memory, in either byte order. */
static size_t put32(uint8_t *b, size_t n, uint32_t v, bool le)
{
	for (int i = 0; i < 4; i++)
		b[n + (size_t)i] = (uint8_t)(le ? v >> (8 * i) : v >> (24 - 8 * i));
	return n + 4;
}

static size_t put16(uint8_t *b, size_t n, uint16_t v, bool le)
{
	b[n] = (uint8_t)(le ? v : v >> 8);
	b[n + 1] = (uint8_t)(le ? v >> 8 : v);
	return n + 2;
}

/* A fraction field: mostly below one second, sometimes at or above it
 * (the carry path), sometimes at the edges. */
static uint32_t rnd_frac(uint64_t units)
{
	switch (rnd() % 8) {
	case 0:  return (uint32_t)rnd();
	case 1:  return (uint32_t)(units - 1);
	case 2:  return (uint32_t)units;
	case 3:  return 0;
	default: return (uint32_t)(rnd() % units);
	}
}

/* pcap: cap_next's timestamps (the fast path for a fraction below one
 * second) equal cap_ts_convert's for every magic and byte order. */
static void test_cap_ts_pcap(void **state)
{
	enum { NREC = 2000, REC = 16 + 1 };
	static uint8_t buf[24 + NREC * REC];
	static const uint32_t magics[] = { 0xa1b2c3d4u, 0xa1b23c4du };
	static uint32_t secs[NREC], fracs[NREC];

	(void)state;
	for (int m = 0; m < 4; m++) {
		uint32_t magic = magics[m & 1];
		uint64_t units = (m & 1) ? 1000000000u : 1000000u;
		bool le = m >= 2;
		struct cap_reader *r = malloc(sizeof(*r));
		struct cap_packet cp;
		size_t n = 0;

		assert_non_null(r);
		n = put32(buf, n, magic, le);
		n = put16(buf, n, 2, le);
		n = put16(buf, n, 4, le);
		n = put32(buf, n, 0, le);
		n = put32(buf, n, 0, le);
		n = put32(buf, n, 65535, le);
		n = put32(buf, n, 1, le);
		for (int i = 0; i < NREC; i++) {
			secs[i] = (i % 5 == 0) ? UINT32_MAX - (uint32_t)(rnd() % 3) : (uint32_t)rnd();
			fracs[i] = rnd_frac(units);
			n = put32(buf, n, secs[i], le);
			n = put32(buf, n, fracs[i], le);
			n = put32(buf, n, 1, le);
			n = put32(buf, n, 1, le);
			buf[n++] = 0;
		}
		assert_int_equal(cap_open(r, buf, n), TC_OK);
		for (int i = 0; i < NREC; i++) {
			int64_t sec;
			uint32_t nsec;

			assert_int_equal(cap_next(r, &cp), TC_OK);
			cap_ts_convert((uint64_t)secs[i] * units + fracs[i], units, 0, &sec, &nsec);
			assert_true(cp.ts_sec == sec);
			assert_int_equal(cp.ts_nsec, nsec);
			assert_int_equal((cp.flags & CAP_F_TS_FRAC_OVERFLOW) != 0, fracs[i] >= units);
		}
		assert_int_equal(cap_next(r, &cp), TC_END);
		free(r);
	}
}

/* pcapng: every if_tsresol (10^-0 .. 10^-19, 2^-0 .. 2^-63), random
 * if_tsoffset and 64-bit times; the multiplier fast path (units dividing
 * 10^9) and the 128-bit path both answer as cap_ts_convert does. */
static void test_cap_ts_pcapng(void **state)
{
	enum { NEPB = 64, EPB = 32 + 4 };
	static uint8_t buf[28 + 40 + NEPB * EPB];
	static uint64_t ts[NEPB];

	(void)state;
	for (int res = 0; res < 20 + 64; res++) {
		uint8_t code = res < 20 ? (uint8_t)res : (uint8_t)(0x80 | (res - 20));
		uint64_t units = 1;
		int64_t offset = (res % 3 == 0) ? 0 : (int64_t)rnd();
		bool le = res & 1;
		struct cap_reader *r = malloc(sizeof(*r));
		struct cap_packet cp;
		size_t n = 0;

		assert_non_null(r);
		if (res < 20)
			for (int i = 0; i < res; i++)
				units *= 10;
		else
			units = (uint64_t)1 << (res - 20);
		/* SHB */
		n = put32(buf, n, 0x0a0d0d0au, le);
		n = put32(buf, n, 28, le);
		n = put32(buf, n, 0x1a2b3c4du, le);
		n = put16(buf, n, 1, le);
		n = put16(buf, n, 0, le);
		n = put32(buf, n, UINT32_MAX, le);
		n = put32(buf, n, UINT32_MAX, le);
		n = put32(buf, n, 28, le);
		/* IDB: if_tsresol, if_tsoffset (the block end ends the options) */
		n = put32(buf, n, 1, le);
		n = put32(buf, n, 40, le);
		n = put16(buf, n, 1, le);
		n = put16(buf, n, 0, le);
		n = put32(buf, n, 0, le);
		n = put16(buf, n, 9, le);
		n = put16(buf, n, 1, le);
		buf[n++] = code;
		buf[n++] = 0;
		buf[n++] = 0;
		buf[n++] = 0;
		n = put16(buf, n, 14, le);
		n = put16(buf, n, 8, le);
		n = put32(buf, n, le ? (uint32_t)offset : (uint32_t)((uint64_t)offset >> 32), le);
		n = put32(buf, n, le ? (uint32_t)((uint64_t)offset >> 32) : (uint32_t)offset, le);
		n = put32(buf, n, 40, le);
		for (int i = 0; i < NEPB; i++) {
			ts[i] = (i % 4 == 0) ? UINT64_MAX - rnd() % 1000 : rnd() >> (rnd() % 64);
			n = put32(buf, n, 6, le);
			n = put32(buf, n, 36, le);
			n = put32(buf, n, 0, le);
			n = put32(buf, n, (uint32_t)(ts[i] >> 32), le);
			n = put32(buf, n, (uint32_t)ts[i], le);
			n = put32(buf, n, 1, le);
			n = put32(buf, n, 1, le);
			n = put32(buf, n, 0, le);      /* one byte of data and padding */
			n = put32(buf, n, 36, le);
		}
		assert_int_equal(cap_open(r, buf, n), TC_OK);
		for (int i = 0; i < NEPB; i++) {
			int64_t sec;
			uint32_t nsec;

			assert_int_equal(cap_next(r, &cp), TC_OK);
			cap_ts_convert(ts[i], units, offset, &sec, &nsec);
			assert_true(cp.ts_sec == sec);
			assert_int_equal(cp.ts_nsec, nsec);
		}
		assert_int_equal(cap_next(r, &cp), TC_END);
		free(r);
	}
}

/* cap_ts_convert itself against a plain long division, so the reference is
 * not only compared with itself. */
static void test_cap_ts_reference(void **state)
{
	(void)state;
	for (int i = 0; i < 100000; i++) {
		uint64_t units = (i & 1) ? (uint64_t)1 << (rnd() % 64) : 1 + rnd() % 1000000000u;
		uint64_t t = rnd() >> (rnd() % 64), frac = t % units, q = 0, rem = 0;
		int64_t sec;
		uint32_t nsec;

		/* floor(frac * 10^9 / units) digit by digit: frac < units, so
		 * rem * 10 never overflows for units < 2^60; skip larger ones */
		if (units >= (uint64_t)1 << 60)
			continue;
		rem = frac;
		for (int d = 0; d < 9; d++) {
			rem *= 10;
			q = q * 10 + rem / units;
			rem %= units;
		}
		cap_ts_convert(t, units, 7, &sec, &nsec);
		assert_true(sec == (int64_t)(t / units + 7));
		assert_true(nsec == q);
	}
}

/* sha1_short (one block, padding folded in for 16 and 40 bytes) gives
 * sha1's digest for every length around and between those. */
static void test_sha1_short(void **state)
{
	uint8_t msg[128], want[SHA1_DIGEST_LEN], got[SHA1_DIGEST_LEN];

	(void)state;
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(msg); i++)
			msg[i] = (uint8_t)rnd();
		for (size_t len = 0; len < sizeof(msg); len++) {
			sha1(msg, len, want);
			sha1_short(msg, len, got);
			assert_memory_equal(got, want, SHA1_DIGEST_LEN);
		}
	}
}

/* The Community ID as the specification builds it, byte by byte: order the
 * endpoints with memcmp, hash with the streaming sha1, base64 bit by bit. */
static void cid_reference(uint8_t ipver, const uint8_t *sa, uint16_t sp, const uint8_t *da,
			  uint16_t dp, uint8_t proto, char out[COMMUNITYID_LEN])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t alen = ipver == 4 ? 4 : 16, n = 0, o = 2;
	uint8_t buf[40], d[SHA1_DIGEST_LEN];
	int cmp = memcmp(sa, da, alen);

	if (cmp > 0 || (cmp == 0 && sp > dp)) {
		const uint8_t *ta = sa;
		uint16_t tp = sp;

		sa = da;
		sp = dp;
		da = ta;
		dp = tp;
	}
	buf[n++] = 0;
	buf[n++] = 0;
	memcpy(buf + n, sa, alen);
	n += alen;
	memcpy(buf + n, da, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	buf[n++] = (uint8_t)(sp >> 8);
	buf[n++] = (uint8_t)sp;
	buf[n++] = (uint8_t)(dp >> 8);
	buf[n++] = (uint8_t)dp;
	sha1(buf, n, d);
	out[0] = '1';
	out[1] = ':';
	for (unsigned bit = 0; bit < 8 * SHA1_DIGEST_LEN; bit += 6) {
		unsigned v = 0;

		for (unsigned b = bit; b < bit + 6; b++)
			v = v << 1 | (b < 8 * SHA1_DIGEST_LEN ? (d[b / 8] >> (7 - b % 8)) & 1u : 0u);
		out[o++] = b64[v];
	}
	out[o++] = '=';                 /* 20 bytes: 27 characters and one pad */
	out[o] = '\0';
}

/* communityid_v1 (IPv4 endpoints ordered as 32-bit words, the message
 * hashed by sha1_short) against the byte-wise reference, with addresses
 * and ports often equal or sharing prefixes so every ordering branch runs. */
static void test_communityid_fast(void **state)
{
	uint8_t a[16], b[16];
	char want[COMMUNITYID_LEN], got[COMMUNITYID_LEN];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		uint8_t ipver = (i & 1) ? 4 : 6;
		uint16_t sp = (uint16_t)rnd(), dp = (rnd() % 4 == 0) ? sp : (uint16_t)rnd();
		uint8_t proto = (rnd() & 1) ? 6 : 17;

		for (int k = 0; k < 16; k++)
			a[k] = (uint8_t)(rnd() % 4);
		memcpy(b, a, 16);
		if (rnd() % 4 != 0)
			b[rnd() % (ipver == 4 ? 4 : 16)] = (uint8_t)(rnd() % 4);
		cid_reference(ipver, a, sp, b, dp, proto, want);
		assert_int_equal(communityid_v1(0, ipver, a, sp, b, dp, proto, got), TC_OK);
		assert_string_equal(got, want);
	}
}

/* ---- decoder fast paths ----------------------------------------------------- */

/* link_parse_inline (the untagged-Ethernet case inline) answers as
 * link_parse does: same result, cursor and packet fields, for every link
 * type we decode, lengths around the 14-byte header and EtherTypes that
 * take each branch (IP, tags, 802.3 lengths, others). */
static void test_link_parse_inline(void **state)
{
	static const uint32_t lts[] = { 1, 1, 1, 0x04000001u, 113, 276, 101, 0, 108, 228, 239, 147 };
	static const uint16_t types[] = { 0x0800, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x0806,
					  0x05ff, 0x0600, 0x0000, 0xffff };
	uint8_t frame[64];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint32_t lt = lts[rnd() % TC_ARRAY_SIZE(lts)];
		size_t caplen = (size_t)(rnd() % 40), wire = caplen + (size_t)(rnd() % 3 ? 0 : rnd() % 30);
		size_t w1 = wire, w2 = wire;
		struct cursor c1, c2;
		struct pkt p1, p2;
		enum tc_rc r1, r2;

		for (size_t b = 0; b < sizeof(frame); b++)
			frame[b] = (uint8_t)rnd();
		for (size_t off = 12; off + 1 < sizeof(frame); off += 4) {
			uint16_t t = types[rnd() % TC_ARRAY_SIZE(types)];

			if (rnd() % 4 == 0)
				t = (uint16_t)rnd();
			frame[off] = (uint8_t)(t >> 8);
			frame[off + 1] = (uint8_t)t;
		}
		memset(&p1, 0, sizeof(p1));
		memset(&p2, 0, sizeof(p2));
		c1 = cur_make(frame, caplen);
		c2 = c1;
		r1 = link_parse(lt, &c1, &w1, &p1);
		r2 = link_parse_inline(lt, &c2, &w2, &p2);
		assert_int_equal(r1, r2);
		assert_ptr_equal(c1.p, c2.p);
		assert_ptr_equal(c1.end, c2.end);
		assert_int_equal(w1, w2);
		assert_memory_equal(&p1, &p2, sizeof(p1));
	}
}

/* decode_packet resets every byte of its output (three partial memsets
 * stand for one of the whole struct): a packet decoded over garbage equals
 * the same packet decoded over zeros, for frames that stop at each layer. */
static void test_decode_reset(void **state)
{
	static struct pkt a, b;
	uint8_t frame[80];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t caplen = (size_t)(rnd() % sizeof(frame));

		for (size_t k = 0; k < sizeof(frame); k++)
			frame[k] = (uint8_t)rnd();
		if (rnd() % 4 != 0) {          /* mostly Ethernet + IPv4/IPv6 + TCP/UDP */
			bool v6 = rnd() % 2;

			frame[12] = v6 ? 0x86 : 0x08;
			frame[13] = v6 ? 0xdd : 0x00;
			frame[14] = v6 ? 0x60 : (uint8_t)(0x45 + rnd() % 3);
			if (!v6) {
				frame[16] = 0;
				frame[17] = (uint8_t)(caplen - 14 + rnd() % 3);
				frame[20] = frame[21] = 0;
				frame[23] = rnd() % 2 ? 6 : 17;
			} else {
				frame[18] = 0;
				frame[19] = (uint8_t)(caplen - 54 + rnd() % 3);
				frame[20] = rnd() % 2 ? 6 : 17;
			}
		}
		memset(&a, 0xa5, sizeof(a));
		memset(&b, 0, sizeof(b));
		assert_int_equal(decode_packet(1, frame, caplen, caplen, &a),
				 decode_packet(1, frame, caplen, caplen, &b));
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

/* fmt_ts_memo writes fmt_ts's bytes whatever it remembers: runs of times
 * sharing their hundreds of seconds, jumps, small and negative times, the
 * extremes, both precisions, with one memo throughout. */
static void test_fmt_ts_memo(void **state)
{
	struct fmt_ts_memo m;
	char want[FMT_TS_MAX + 1], got[FMT_TS_MAX + 8];
	int64_t sec = 1700000000;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (int i = 0; i < 200000; i++) {
		uint32_t nsec = (uint32_t)(rnd() % 1000000000u);
		uint8_t digits = (rnd() & 1) ? 9 : 6;
		char *end;

		switch (rnd() % 8) {
		case 0:
			sec = (int64_t)rnd() >> (rnd() % 64);       /* anywhere, either sign */
			break;
		case 1:
			sec = (int64_t)(rnd() % 300) - 100;         /* around 0 and 100 */
			break;
		case 2:
			sec = (rnd() & 1) ? INT64_MAX - (int64_t)(rnd() % 200)
					  : INT64_MIN + (int64_t)(rnd() % 200);
			break;
		default:                                        /* nearby: the memo's case */
			if (sec > INT64_MIN + 3 && sec < INT64_MAX - 3)
				sec += (int64_t)(rnd() % 7) - 3;
			break;
		}
		*fmt_ts(want, sec, nsec, digits) = '\0';
		memset(got, 'x', sizeof(got));
		end = fmt_ts_memo(got, &m, sec, nsec, digits);
		assert_true(end - got == (ptrdiff_t)strlen(want));
		assert_true(end - got <= FMT_TS_MAX);
		*end = '\0';
		assert_string_equal(got, want);
	}
}

/* ---- checksums ------------------------------------------------------------ */

/* The RFC 1071 sum as plainly as it can be written: 16-bit big-endian
 * words, an odd last byte padded with zero, carries folded at the end. */
static uint16_t ref_sum16(const uint8_t *b, size_t n, uint32_t sum)
{
	for (size_t i = 0; i < n; i += 2)
		sum += (uint32_t)b[i] << 8 | (i + 1 < n ? b[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xFFFFu) + (sum >> 16);
	return (uint16_t)sum;
}

static bool has_err(const struct pkt *p, enum pkt_err e)
{
	for (unsigned i = 0; i < p->n_err; i++)
		if (p->err[i] == e)
			return true;
	return false;
}

/* decode_verify_checksums (32-bit words, 16-byte blocks) against ref_sum16
 * on IPv4 and IPv6 TCP and UDP packets of every length parity, with the
 * checksums right, or wrong in the header, the payload or the field. */
static void test_checksum_sums(void **state)
{
	static uint8_t f[14 + 40 + 8 + 1600];
	static struct pkt p;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		bool v6 = rnd() % 3 == 0, tcp = rnd() % 2 == 0;
		size_t ihl = v6 ? 40 : 20, thl = tcp ? 20 : 8;
		size_t pay = (size_t)(rnd() % (i % 10 == 0 ? 1600 : 80));
		size_t seg = thl + pay, n = 14 + ihl + seg;
		uint8_t *ip = f + 14, *l4 = ip + ihl;
		uint32_t ph = 0;
		uint16_t c;
		int spoil = (int)(rnd() % 4);      /* 0: all right; 1 IP header; 2 L4; 3 L4 field */

		for (size_t k = 0; k < n; k++)
			f[k] = (uint8_t)rnd();
		f[12] = v6 ? 0x86 : 0x08;
		f[13] = v6 ? 0xdd : 0x00;
		if (v6) {
			ip[0] = 0x60;
			ip[4] = (uint8_t)(seg >> 8);
			ip[5] = (uint8_t)seg;
			ip[6] = tcp ? 6 : 17;
		} else {
			ip[0] = 0x45;
			ip[2] = (uint8_t)((ihl + seg) >> 8);
			ip[3] = (uint8_t)(ihl + seg);
			ip[6] = ip[7] = 0;                /* not a fragment */
			ip[9] = tcp ? 6 : 17;
			ip[10] = ip[11] = 0;
			c = (uint16_t)~ref_sum16(ip, 20, 0);
			ip[10] = (uint8_t)(c >> 8);
			ip[11] = (uint8_t)c;
		}
		if (tcp) {
			l4[12] = 0x50;                      /* data offset 5 */
		} else {
			l4[4] = (uint8_t)(seg >> 8);
			l4[5] = (uint8_t)seg;
		}
		{
			size_t csum_at = tcp ? 16 : 6;
			const uint8_t *src = v6 ? ip + 8 : ip + 12, *dst = v6 ? ip + 24 : ip + 16;
			size_t alen = v6 ? 16 : 4;

			ph = ref_sum16(src, alen, 0);
			ph = ref_sum16(dst, alen, ph);
			ph += (uint32_t)(seg >> 16) + (uint32_t)(seg & 0xFFFFu) + (tcp ? 6u : 17u);
			l4[csum_at] = l4[csum_at + 1] = 0;
			c = (uint16_t)~ref_sum16(l4, seg, ph);
			l4[csum_at] = (uint8_t)(c >> 8);
			l4[csum_at + 1] = (uint8_t)c;
		}
		if (spoil == 1 && !v6)
			ip[8] ^= (uint8_t)(1 + rnd() % 255);            /* TTL */
		else if (spoil == 2)
			l4[thl + (pay ? rnd() % pay : 0) - (pay ? 0 : 1)] ^= (uint8_t)(1 + rnd() % 255);
		else if (spoil == 3)
			l4[tcp ? 16 : 6] ^= (uint8_t)(1 + rnd() % 255);

		assert_int_equal(decode_packet(1, f, n, n, &p), TC_OK);
		decode_verify_checksums(&p);
		if (!v6)
			assert_int_equal(has_err(&p, PE_IP_BAD_CHECKSUM), ref_sum16(ip, 20, 0) != 0xFFFFu);
		{
			const uint8_t *src = v6 ? ip + 8 : ip + 12, *dst = v6 ? ip + 24 : ip + 16;
			size_t alen = v6 ? 16 : 4;
			uint16_t field = (uint16_t)(l4[tcp ? 16 : 6] << 8 | l4[tcp ? 17 : 7]);
			bool bad;

			ph = ref_sum16(src, alen, 0);
			ph = ref_sum16(dst, alen, ph);
			ph += (uint32_t)(seg >> 16) + (uint32_t)(seg & 0xFFFFu) + (tcp ? 6u : 17u);
			bad = ref_sum16(l4, seg, ph) != 0xFFFFu;
			if (!tcp && field == 0)
				bad = v6;                   /* none computed: IPv4 only */
			assert_int_equal(has_err(&p, tcp ? PE_TCP_BAD_CHECKSUM : PE_UDP_BAD_CHECKSUM), bad);
			if (spoil >= 2 && !(!tcp && field == 0))
				assert_true(bad);           /* the reference sees the damage too */
		}
	}
}

/* sha1_short_x4 (four messages in SIMD lanes) gives sha1's digest in each
 * lane, whatever the mix of lengths: 0 to 55 (one block, the lanes' padding
 * differing), longer ones (handed to sha1), the same buffer in two lanes. */
static void test_sha1_short_x4(void **state)
{
	uint8_t msgs[4][80], want[SHA1_DIGEST_LEN], got[SHA1_DIGEST_LEN];
	uint32_t h[4][5];
	const uint8_t *msg[4];
	size_t len[4];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		for (int i = 0; i < 4; i++) {
			for (size_t j = 0; j < sizeof(msgs[i]); j++)
				msgs[i][j] = (uint8_t)rnd();
			len[i] = (rnd() % 8 == 0) ? (size_t)(rnd() % 80) : (size_t)(rnd() % 56);
			if (rnd() % 3 == 0)                     /* the Community ID lengths */
				len[i] = (rnd() & 1) ? 16 : 40;
			msg[i] = msgs[i];
		}
		if (round % 5 == 0) {
			msg[3] = msg[0];
			len[3] = len[0];
		}
		sha1_short_x4(msg, len, h);
		for (int i = 0; i < 4; i++) {
			sha1(msg[i], len[i], want);
			for (int b = 0; b < SHA1_DIGEST_LEN; b++)    /* words, high byte first */
				got[b] = (uint8_t)(h[i][b / 4] >> (24 - 8 * (b % 4)));
			assert_memory_equal(got, want, SHA1_DIGEST_LEN);
		}
	}
}

/* n random Community ID tuples in t (addresses in addr): source address
 * bytes 0-3, destination bytes a third of the time equal to the source's,
 * else 0 .. spread - 1; one version in ten unsupported; ports equal a
 * quarter of the time. */
static void random_tuples(struct communityid_tuple *t, uint8_t (*addr)[2][16], size_t n,
			  unsigned spread)
{
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 16; k++) {
			addr[i][0][k] = (uint8_t)(rnd() % 4);
			addr[i][1][k] = (rnd() % 3 == 0) ? addr[i][0][k] : (uint8_t)(rnd() % spread);
		}
		t[i].ipver = (rnd() % 10 == 0) ? 5 : (rnd() & 1) ? 4 : 6;
		t[i].proto = (rnd() & 1) ? 6 : 17;
		t[i].sport = (uint16_t)rnd();
		t[i].dport = (rnd() % 4 == 0) ? t[i].sport : (uint16_t)rnd();
		t[i].saddr = addr[i][0];
		t[i].daddr = addr[i][1];
	}
}

/* communityid_v1_many equals communityid_v1 tuple by tuple, for batches of
 * every size 0 to 9 (full groups of four, the leftovers, one alone), with
 * IPv4, IPv6 and unsupported versions mixed in. */
static void test_communityid_many(void **state)
{
	uint8_t addr[9][2][16];
	struct communityid_tuple t[9];
	char want[COMMUNITYID_LEN], got[9][COMMUNITYID_LEN];

	(void)state;
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(rnd() % 10);
		uint16_t seed = (rnd() & 1) ? 0 : (uint16_t)rnd();

		random_tuples(t, addr, n, 4);
		memset(got, 'x', sizeof(got));
		communityid_v1_many(seed, t, n, got);
		for (size_t i = 0; i < n; i++) {
			communityid_v1(seed, t[i].ipver, t[i].saddr, t[i].sport, t[i].daddr,
				       t[i].dport, t[i].proto, want);
			assert_string_equal(got[i], want);
		}
		for (size_t i = n; i < 9; i++)          /* nothing written past n */
			assert_int_equal(got[i][0], 'x');
	}
}

/* ---- TCP options ------------------------------------------------------------ */

static uint32_t be32_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The option rules of tcp.c written out plainly: EOL ends, NOP is one
 * byte, every other kind needs a length byte >= 2 that fits (else the walk
 * stops as bad); known kinds with the wrong length are bad and skipped. */
static bool ref_tcp_options(const uint8_t *b, size_t n, struct tcp_opts *o)
{
	bool bad = false;
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	while (i < n) {
		uint8_t kind = b[i], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || b[i + 1] < 2 || b[i + 1] - 2u > n - i - 2)
			return true;
		len = b[i + 1];
		if (kind == 2) {
			if (len == 4) {
				o->mss = (uint16_t)(b[i + 2] << 8 | b[i + 3]);
				o->has_mss = true;
			} else {
				bad = true;
			}
		} else if (kind == 3) {
			if (len == 3) {
				o->wscale = b[i + 2];
				o->has_wscale = true;
			} else {
				bad = true;
			}
		} else if (kind == 4) {
			if (len == 2)
				o->sack_ok = true;
			else
				bad = true;
		} else if (kind == 5) {
			if (len < 10 || (len - 2) % 8 != 0)
				bad = true;
			else
				for (size_t k = 0; k + 8 <= len - 2u && o->n_sack < PKT_MAX_SACK; k += 8) {
					o->sack[o->n_sack][0] = be32_at(b + i + 2 + k);
					o->sack[o->n_sack][1] = be32_at(b + i + 6 + k);
					o->n_sack++;
				}
		} else if (kind == 8) {
			if (len == 10) {
				o->ts_val = be32_at(b + i + 2);
				o->ts_ecr = be32_at(b + i + 6);
				o->has_ts = true;
			} else {
				bad = true;
			}
		}
		i += len;
	}
	return bad;
}

/* tcp_parse's options (with the NOP, NOP, timestamps fast path) against
 * the plain rules: 12-byte option areas near that layout (one or two bytes
 * changed, or none) and random areas of every length up to 40. */
static void test_tcp_options(void **state)
{
	static const uint8_t lead[4] = { 1, 1, 8, 10 };
	static const uint8_t kinds[] = { 0, 1, 2, 3, 4, 5, 8, 30 };
	static struct pkt p;
	uint8_t f[14 + 20 + 60];

	(void)state;
	for (int i = 0; i < 100000; i++) {
		size_t olen = (i % 2 == 0) ? 12 : 4 * (size_t)(rnd() % 11);
		uint8_t *ip = f + 14, *tcp = ip + 20, *o = tcp + 20;
		size_t n = 14 + 20 + 20 + olen;
		struct tcp_opts want;
		bool bad;

		for (size_t k = 0; k < sizeof(f); k++)
			f[k] = (uint8_t)rnd();
		if (i % 2 == 0) {
			memcpy(o, lead, 4);
			for (int m = (int)(rnd() % 3); m > 0; m--)
				o[rnd() % 4] = (uint8_t)rnd();
		} else {
			for (size_t k = 0; k < olen; k++)   /* plausible kinds and lengths */
				if (rnd() % 2)
					o[k] = rnd() % 2 ? kinds[rnd() % sizeof(kinds)] : (uint8_t)(rnd() % 12);
		}
		f[12] = 0x08;
		f[13] = 0x00;
		ip[0] = 0x45;
		ip[2] = (uint8_t)((n - 14) >> 8);
		ip[3] = (uint8_t)(n - 14);
		ip[6] = ip[7] = 0;
		ip[9] = 6;
		tcp[12] = (uint8_t)((20 + olen) / 4 << 4);
		assert_int_equal(decode_packet(1, f, n, n, &p), TC_OK);
		bad = ref_tcp_options(o, olen, &want);
		assert_int_equal(has_err(&p, PE_TCP_BAD_OPTIONS), bad);
		assert_memory_equal(&p.opt, &want, sizeof(want));
	}
}

/* ---- Zeek history model: fast path and direct tcp_side reads ------------- */

/*
 * The Zeek model as it was before zk_tcp_packet read the sender's tcp_side
 * directly and got a fast path for segments without SYN, FIN or RST (commit
 * eee4b3c), verbatim under ref_ names, with the input struct the engine
 * built field by field (ref_zk_in_of below is that engine code).
 */
struct ref_zk_tcp_in {
	unsigned dir;            /* ZK_ORIG or ZK_RESP: who sent it            */
	uint16_t flags;          /* TH_* bits                                  */
	uint32_t seq;
	uint32_t len;            /* payload bytes                              */
	uint32_t win;            /* window field (zero or not is what matters) */
	bool bad_checksum;
	bool have_prev_seq;      /* the sender sent something before           */
	uint32_t prev_snd_nxt;   /* highest seq+len it had sent before         */
	bool have_prev_syn;      /* it sent a SYN before, at prev_syn_seq      */
	uint32_t prev_syn_seq;
	bool have_prev_fin;      /* it sent a FIN before, ending at prev_fin_end */
	uint32_t prev_fin_end;
	bool have_prev_rst;      /* it sent a RST before, at prev_rst_seq      */
	uint32_t prev_rst_seq;
};

/* ref_once-only ref_history bits; the responder's are these shifted by 8 */
#define RZH_SYN     0x01u
#define RZH_FIN     0x02u
#define RZH_RST     0x04u
#define RZH_ACK     0x08u
#define RZH_DATA    0x10u
#define RZH_FINRST  0x20u
#define RZH_MULTI   0x40u

/* logarithmic counters */
#define RZC_CSUM 0
#define RZC_RXMIT 1
#define RZC_ZEROWIN 2

static void ref_add_letter(struct zk_conn *z, unsigned dir, char upper)
{
	if (z->hist_len >= ZK_HIST_MAX)
		return;                 /* ref_history full: keep the first letters */
	z->hist[z->hist_len++] = dir == ZK_ORIG ? upper : (char)(upper - 'A' + 'a');
}

/* Record the letter the first time; true when it had been seen before. */
static bool ref_once(struct zk_conn *z, unsigned dir, uint16_t bit, char upper)
{
	uint16_t mask = (uint16_t)(dir == ZK_ORIG ? bit : bit << 8);

	if (z->seen & mask)
		return true;
	z->seen = (uint16_t)(z->seen | mask);
	ref_add_letter(z, dir, upper);
	return false;
}

/* Letter at the 1st, 10th, 100th, ... occurrence. */
static void ref_scaled(struct zk_conn *z, unsigned dir, unsigned which, char upper)
{
	uint16_t n = z->cnt[dir][which];

	if (n == UINT16_MAX)
		return;                 /* saturated: 10000 is the last letter */
	n++;
	z->cnt[dir][which] = n;
	if (n == 1 || n == 10 || n == 100 || n == 1000 || n == 10000)
		ref_add_letter(z, dir, upper);
}

static void ref_set_state(struct zk_conn *z, unsigned dir, enum zk_ep s)
{
	if (z->st[dir] != s) {
		z->prev_st[dir] = z->st[dir];
		z->st[dir] = (uint8_t)s;
	}
}

/*
 * Zeek re-bases an endpoint's sequence numbers at a SYN whose seq jumped
 * while the endpoint is in SYN_SENT, SYN_ACK_SENT, ESTABLISHED or PARTIAL
 * (and in RESET when nothing came before the RST), which makes the SYN's
 * relative seq equal the last one: no repeated letter. Only a SYN from a
 * CLOSED endpoint, or a RESET one that had been active, can repeat s or h.
 */
static bool ref_syn_repeat_counts(const struct zk_conn *z, unsigned d)
{
	return z->st[d] == ZK_CLOSED ||
	       (z->st[d] == ZK_RESET && z->prev_st[d] != ZK_INACTIVE);
}

static void ref_history(struct zk_conn *z, const struct ref_zk_tcp_in *in, unsigned d)
{
	uint16_t fl = in->flags;
	int bits = !!(fl & TH_SYN) + !!(fl & TH_FIN) + !!(fl & TH_RST);

	if (bits > 1) {
		if ((fl & TH_FIN) && (fl & TH_RST))
			ref_once(z, d, RZH_FINRST, 'I');
		else
			ref_once(z, d, RZH_MULTI, 'Q');
	} else if (bits == 1) {
		if (fl & TH_SYN) {
			char code = (fl & TH_ACK) ? 'H' : 'S';

			if (ref_once(z, d, RZH_SYN, code) && ref_syn_repeat_counts(z, d) &&
			    (!in->have_prev_syn || in->seq != in->prev_syn_seq))
				ref_add_letter(z, d, code);
		}
		if (fl & TH_FIN) {
			if (ref_once(z, d, RZH_FIN, 'F') &&
			    (!in->have_prev_fin || in->seq + in->len != in->prev_fin_end))
				ref_add_letter(z, d, 'F');
		}
		if (fl & TH_RST) {
			if (ref_once(z, d, RZH_RST, 'R') &&
			    (!in->have_prev_rst || in->seq != in->prev_rst_seq))
				ref_add_letter(z, d, 'R');
		}
	} else if (in->len > 0) {
		ref_once(z, d, RZH_DATA, 'D');
	} else if (fl & TH_ACK) {
		ref_once(z, d, RZH_ACK, 'A');
	}
}

static void ref_inactive(struct zk_conn *z, const struct ref_zk_tcp_in *in, unsigned d)
{
	unsigned p = d ^ 1;
	uint16_t fl = in->flags;

	if (fl & TH_SYN) {
		if (d == ZK_ORIG) {
			ref_set_state(z, d, (fl & TH_ACK) ? ZK_SYN_ACK_SENT : ZK_SYN_SENT);
		} else {
			if (z->st[p] == ZK_SYN_SENT)
				ref_set_state(z, p, ZK_ESTABLISHED);
			ref_set_state(z, d, ZK_ESTABLISHED);
		}
	}
	if (fl & TH_FIN)
		ref_set_state(z, d, ZK_CLOSED);
	if (fl & TH_RST)
		ref_set_state(z, d, ZK_RESET);

	if (z->st[d] == ZK_INACTIVE) {
		if (d == ZK_RESP && in->len == 0 && z->st[ZK_ORIG] == ZK_SYN_SENT)
			return;         /* an ACK of the SYN before the SYN+ACK: not partial */
		if ((fl & TH_ACK) && z->st[p] == ZK_ESTABLISHED)
			ref_set_state(z, d, ZK_ESTABLISHED);    /* only its SYN was missed */
		else
			ref_set_state(z, d, ZK_PARTIAL);
	}
}

static void ref_state_machine(struct zk_conn *z, const struct ref_zk_tcp_in *in, unsigned d)
{
	unsigned p = d ^ 1;
	uint16_t fl = in->flags;

	switch (z->st[d]) {
	case ZK_INACTIVE:
		ref_inactive(z, in, d);
		break;
	case ZK_SYN_SENT:
	case ZK_SYN_ACK_SENT:
		if (fl & TH_FIN)
			ref_set_state(z, d, ZK_CLOSED);
		if (fl & TH_RST)
			ref_set_state(z, d, ZK_RESET);
		break;
	case ZK_ESTABLISHED:
	case ZK_PARTIAL:
		if ((fl & TH_SYN) && !(fl & TH_ACK) && z->st[d] == ZK_PARTIAL &&
		    z->st[p] == ZK_INACTIVE)
			ref_set_state(z, d, ZK_SYN_SENT);
		if ((fl & TH_FIN) && !(fl & TH_RST)) {
			ref_set_state(z, d, ZK_CLOSED);
			if (z->st[p] == ZK_RESET && z->prev_st[p] == ZK_CLOSED)
				ref_set_state(z, p, ZK_CLOSED);
		}
		if (fl & TH_RST)
			ref_set_state(z, d, ZK_RESET);
		break;
	case ZK_CLOSED:
		/* after a FIN exchange a RST does not change the outcome */
		if ((fl & TH_RST) && z->st[p] != ZK_CLOSED)
			ref_set_state(z, d, ZK_RESET);
		break;
	default:
		break;
	}
}

static void ref_zk_tcp_packet(struct zk_conn *z, const struct ref_zk_tcp_in *in)
{
	unsigned d = in->dir & 1;       /* the helpers take d, never in->dir */
	uint16_t fl = in->flags;

	if (in->bad_checksum)
		ref_scaled(z, d, RZC_CSUM, 'C');
	/* rule added since: a FIN of any kind is noted (Zeek's FIN_cnt, for
	 * the byte count; bit 0x80, no letter) */
	if (fl & TH_FIN)
		z->seen = (uint16_t)(z->seen | (0x80u << (d * 8)));
	ref_history(z, in, d);

	if (in->win == 0 && !(fl & TH_RST) && z->st[d ^ 1] != ZK_CLOSED &&
	    z->st[d] != ZK_RESET)
		ref_scaled(z, d, RZC_ZEROWIN, 'W');

	if (!(fl & TH_RST) && z->st[d] != ZK_RESET && in->have_prev_seq && in->len > 0) {
		uint32_t end = in->seq + in->len + ((fl & TH_SYN) ? 1u : 0u) +
			       ((fl & TH_FIN) ? 1u : 0u);

		/* nothing beyond what it had already sent: a retransmission */
		if (((end - in->prev_snd_nxt) & 0x80000000u) != 0 || end == in->prev_snd_nxt)
			ref_scaled(z, d, RZC_RXMIT, 'T');
	}

	ref_state_machine(z, in, d);
}



static struct ref_zk_tcp_in ref_zk_in_of(unsigned dir, const struct tcp_seg *sg,
					 const struct tcp_side *s, bool bad_checksum)
{
	const struct ref_zk_tcp_in zi = {
		.dir = dir,
		.flags = sg->flags,
		.seq = sg->seq,
		.len = sg->len,
		.win = sg->win,
		.bad_checksum = bad_checksum,
		.have_prev_seq = (s->flags & TSF_NXT) != 0,
		.prev_snd_nxt = s->snd_nxt,
		.have_prev_syn = (s->flags & TSF_SYN) != 0,
		.prev_syn_seq = s->isn,
		.have_prev_fin = (s->flags & TSF_FIN) != 0,
		.prev_fin_end = s->snd_nxt - 1,
		.have_prev_rst = (s->flags & TSF_RST) != 0,
		.prev_rst_seq = s->rst_seq,
	};

	return zi;
}

/* a value near base: equal, either side, or half the sequence space away */
static uint32_t zk_near(uint32_t base)
{
	static const int32_t d[] = { -3, -2, -1, 0, 0, 0, 1, 2, 3, 1000 };
	uint64_t r = rnd();

	if ((r & 15) == 0)
		return base + 0x80000000u;
	return base + (uint32_t)d[(r >> 4) % (sizeof(d) / sizeof(d[0]))];
}

static void zk_pin_one(const struct zk_conn *z0, unsigned dir, const struct tcp_seg *sg,
		       const struct tcp_side *prev, bool bad)
{
	struct zk_conn a = *z0, b = *z0;
	struct ref_zk_tcp_in zi = ref_zk_in_of(dir, sg, prev, bad);

	zk_tcp_packet(&a, dir, sg, prev, bad);
	ref_zk_tcp_packet(&b, &zi);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		fail_msg("zk_tcp_packet differs: dir %u flags %#x len %u win %u states %u/%u "
			 "prev %u/%u seen %#x prev flags %#x", dir, sg->flags, sg->len,
			 sg->win, z0->st[0], z0->st[1], z0->prev_st[0], z0->prev_st[1],
			 z0->seen, prev->flags);
}

/*
 * Every combination of SYN, FIN, RST, ACK, PSH x every endpoint state of
 * both directions x every earlier state of the peer x both directions x
 * checksum good or bad x payload or none x window zero or not, each with
 * random once-letters already seen, counters at and around 1, 10, 100 and
 * saturation, a history anywhere from empty to full, and a random sender
 * context (SYN, FIN, RST, data sent before, at the same or other sequence
 * numbers); then random packet streams from empty connections.
 */
static void test_zeek_tcp_pinned(void **state)
{
	static const uint16_t cnts[] = { 0, 0, 1, 8, 9, 98, 99, 999, 9999, 65534, 65535 };
	struct zk_conn z;
	struct tcp_side prev;
	struct tcp_seg sg;
	unsigned fl, s0, s1, ps, dir, k, j, n;

	(void)state;
	for (fl = 0; fl < 32; fl++)
		for (s0 = 0; s0 <= ZK_RESET; s0++)
			for (s1 = 0; s1 <= ZK_RESET; s1++)
				for (ps = 0; ps <= ZK_RESET; ps++)
					for (dir = 0; dir < 2; dir++)
						for (k = 0; k < 16; k++) {
		uint32_t base = (uint32_t)rnd();

		memset(&z, 0, sizeof(z));
		z.st[0] = (uint8_t)s0;
		z.st[1] = (uint8_t)s1;
		z.prev_st[dir ^ 1] = (uint8_t)ps;
		z.prev_st[dir] = (uint8_t)(rnd() % (ZK_RESET + 1));
		z.seen = (uint16_t)(rnd() & rnd());
		z.hist_len = (uint8_t)((rnd() & 3) == 0 ? ZK_HIST_MAX - (rnd() % 2)
							: rnd() % ZK_HIST_MAX);
		for (j = 0; j < z.hist_len; j++)
			z.hist[j] = (char)('a' + rnd() % 26);
		for (j = 0; j < 6; j++)
			z.cnt[j / 3][j % 3] = cnts[rnd() % (sizeof(cnts) / sizeof(cnts[0]))];
		memset(&prev, 0, sizeof(prev));
		prev.flags = (uint16_t)(rnd() & 0x0fffu);
		prev.isn = zk_near(base);
		prev.snd_nxt = zk_near(base);
		prev.rst_seq = zk_near(base);
		memset(&sg, 0, sizeof(sg));
		sg.flags = (uint16_t)(((fl & 1) ? TH_SYN : 0) | ((fl & 2) ? TH_FIN : 0) |
				      ((fl & 4) ? TH_RST : 0) | ((fl & 8) ? TH_ACK : 0) |
				      ((fl & 16) ? TH_PSH : 0));
		sg.seq = zk_near(base);
		sg.len = (k & 1) ? (uint32_t)(rnd() % 4) : 0;
		sg.win = (uint16_t)((k & 2) ? rnd() : 0);
		zk_pin_one(&z, dir, &sg, &prev, (k & 4) != 0);
	}

	for (k = 0; k < 4000; k++) {
		static const uint16_t pick[] = {
			TH_ACK, TH_ACK | TH_PSH, TH_ACK, TH_SYN, TH_SYN | TH_ACK, TH_FIN | TH_ACK,
			TH_RST, TH_RST | TH_ACK, TH_FIN, 0, TH_FIN | TH_RST, TH_SYN | TH_FIN,
		};
		uint32_t base = (uint32_t)rnd();

		zk_init(&z, (rnd() & 7) == 0);
		for (n = 0; n < 30; n++) {
			struct zk_conn b;
			struct ref_zk_tcp_in zi;
			bool bad = (rnd() % 50) == 0;

			dir = (unsigned)(rnd() & 1);
			memset(&prev, 0, sizeof(prev));
			prev.flags = (uint16_t)(rnd() & (TSF_NXT | TSF_SYN | TSF_FIN | TSF_RST));
			prev.isn = zk_near(base);
			prev.snd_nxt = zk_near(base);
			prev.rst_seq = zk_near(base);
			memset(&sg, 0, sizeof(sg));
			sg.flags = pick[rnd() % (sizeof(pick) / sizeof(pick[0]))];
			sg.seq = zk_near(base);
			sg.len = (rnd() & 1) ? (uint32_t)(rnd() % 3) : 0;
			sg.win = (uint16_t)((rnd() % 8) ? 1 + rnd() % 100 : 0);
			b = z;
			zi = ref_zk_in_of(dir, &sg, &prev, bad);
			zk_tcp_packet(&z, dir, &sg, &prev, bad);
			ref_zk_tcp_packet(&b, &zi);
			assert_memory_equal(&z, &b, sizeof(z));
		}
	}
}

/*
 * zk_tcp_extent's inline path for the common segment against the full
 * rules (zk_tcp_extent_) on the same inputs: every endpoint state pair,
 * the sender at its start or not, flags with and without SYN, FIN, RST and
 * ACK, ACK 0 or not, sequence numbers and reaches near each other, half
 * the sequence space away and across a wrap.
 */
static void test_zeek_extent_pinned(void **state)
{
	static const uint16_t pick[] = {
		TH_ACK, TH_ACK | TH_PSH, TH_ACK, TH_SYN, TH_SYN | TH_ACK, TH_FIN | TH_ACK,
		TH_RST, TH_RST | TH_ACK, TH_FIN, 0, TH_PSH,
	};
	unsigned k;

	(void)state;
	for (k = 0; k < 200000; k++) {
		struct zk_conn z, zb;
		struct tcp_side s, p;
		struct tcp_seg sg;
		uint64_t a[2], b[2];
		uint32_t base = (uint32_t)rnd();
		unsigned dir = (unsigned)(rnd() & 1);

		memset(&z, 0, sizeof(z));
		z.st[0] = (uint8_t)(rnd() % (ZK_RESET + 1));
		z.st[1] = (uint8_t)(rnd() % (ZK_RESET + 1));
		z.prev_st[dir] = (uint8_t)(rnd() % (ZK_RESET + 1));
		z.seqflags = (uint8_t)(rnd() & 3);
		memset(&s, 0, sizeof(s));
		memset(&p, 0, sizeof(p));
		s.flags = TSF_BASE | TSF_NXT;
		p.flags = TSF_BASE;
		s.isn = zk_near(base);
		p.isn = (uint32_t)rnd();
		memset(&sg, 0, sizeof(sg));
		sg.flags = pick[rnd() % (sizeof(pick) / sizeof(pick[0]))];
		sg.seq = zk_near(base);
		sg.len = (rnd() & 1) ? (uint32_t)(rnd() % 2000) : 0;
		sg.ack = (rnd() % 8) == 0 ? 0 : zk_near(p.isn);
		a[0] = b[0] = (rnd() & 1) ? rnd() % 3000 : rnd();
		a[1] = b[1] = (rnd() & 1) ? rnd() % 3000 : rnd();
		zb = z;
		zk_tcp_extent(&z, dir, &sg, &s, &p, a);
		zk_tcp_extent_(&zb, dir, &sg, &s, &p, b);
		if (a[0] != b[0] || a[1] != b[1] || memcmp(&z, &zb, sizeof(z)) != 0)
			fail_msg("zk_tcp_extent differs: dir %u flags %#x states %u/%u seqflags %#x",
				 dir, sg.flags, z.st[0], z.st[1], z.seqflags);
	}
}

/* The SHA-NI Community IDs (communityid_v1_many_sha with shani, two
 * blocks side by side) equal the portable ones (sha1_short_x4 lanes), and
 * communityid_v1_many (which picks one by the CPU) equals both, for
 * batches of 0 to 9 with near-equal addresses and bad versions mixed in;
 * skipped with a note where the CPU or build lacks the SHA extensions. */
static void test_communityid_shani(void **state)
{
	uint8_t addr[9][2][16];
	struct communityid_tuple t[9];
	char want[9][COMMUNITYID_LEN], got[9][COMMUNITYID_LEN], dflt[9][COMMUNITYID_LEN];

	(void)state;
	if (!sha1_shani_usable()) {
		printf("[  SKIPPED ] SHA-NI Community ID: no x86 SHA extensions here\n");
		skip();
	}
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(rnd() % 10);
		uint16_t seed = (rnd() & 1) ? 0 : (uint16_t)rnd();

		random_tuples(t, addr, n, 256);
		memset(got, 'x', sizeof(got));
		communityid_v1_many_sha(seed, t, n, want, false);
		communityid_v1_many_sha(seed, t, n, got, true);
		communityid_v1_many(seed, t, n, dflt);
		for (size_t i = 0; i < n; i++) {
			assert_string_equal(got[i], want[i]);
			assert_string_equal(dflt[i], want[i]);
		}
		for (size_t i = n; i < 9; i++)          /* nothing written past n */
			assert_int_equal(got[i][0], 'x');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_words),
		cmocka_unit_test(test_ft_hash_serialisation),
		cmocka_unit_test(test_ft_lookup_cache),
		cmocka_unit_test(test_flush_order),
		cmocka_unit_test(test_fmt_u64),
		cmocka_unit_test(test_fmt_ts),
		cmocka_unit_test(test_fmt_addr),
		cmocka_unit_test(test_fmt_json_str),
		cmocka_unit_test(test_cap_ts_pcap),
		cmocka_unit_test(test_cap_ts_pcapng),
		cmocka_unit_test(test_cap_ts_reference),
		cmocka_unit_test(test_link_parse_inline),
		cmocka_unit_test(test_decode_reset),
		cmocka_unit_test(test_checksum_sums),
		cmocka_unit_test(test_tcp_options),
		cmocka_unit_test(test_sha1_short),
		cmocka_unit_test(test_communityid_fast),
		cmocka_unit_test(test_fmt_ts_memo),
		cmocka_unit_test(test_sha1_short_x4),
		cmocka_unit_test(test_communityid_many),
		cmocka_unit_test(test_zeek_tcp_pinned),
		cmocka_unit_test(test_zeek_extent_pinned),
		cmocka_unit_test(test_communityid_shani),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
