/*
 * gen_pcap.c - deterministic synthetic captures for benchmarks and scale tests.
 *
 * usage: gen_pcap MODE [options] OUT.pcap
 *   mixed     interleaved client/server traffic: TCP connections with a
 *             three-way handshake, data both ways and a FIN or RST close,
 *             plus UDP flows (DNS, NTP, QUIC-like streams), part of it over
 *             IPv6. Clients pick source ports the three ways real stacks do
 *             (sequential, random, per-destination offset + increment, see
 *             RFC 6056), never reusing a port that is still in use.
 *   synflood  SYNs, each on a distinct 5-tuple (spoofed sources), towards a
 *             few servers.
 * options:
 *   --packets N      packets to write (mixed 2000000, synflood 1000000);
 *                    mixed stops at N even if connections are still open,
 *                    as a capture that ends does
 *   --conns N        mixed: TCP connections (100000)
 *   --clients N      mixed: client hosts (2000)
 *   --servers N      servers (64 mixed, 4 synflood)
 *   --concurrency N  mixed: sessions in progress at once, interleaved (2000)
 *   --udp-pct P      mixed: share of packets that are UDP (10)
 *   --v6-pct P       share of connections/flows/SYNs over IPv6 (mixed 10, synflood 0)
 *   --rst-pct P      mixed: share of TCP connections closed by RST (15)
 *   --snaplen N      bytes kept per packet (128; headers always fit)
 *   --nsec           nanosecond timestamps (default microseconds)
 *   --seed S         PRNG seed (1); the same arguments give the same bytes
 *
 * Output: Ethernet link type, little-endian pcap, valid IPv4 header, TCP and
 * UDP checksums (payload bytes are zero, including those cut by the snapshot
 * length, so the checksums hold for the whole packet). Time is virtual: it
 * starts at 2023-11-14 22:13:20 UTC and advances by pseudo-random steps, so
 * nothing depends on the wall clock. A summary goes to stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ==== deterministic randomness ========================================== */

struct rng {
	uint64_t s;
};

/* splitmix64: small, fast, and good enough for traffic shapes. */
static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (multiply-shift; the bias is below 2^-32). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static bool rng_pct(struct rng *r, uint32_t pct)
{
	return rng_below(r, 100) < pct;
}

/* A bijection on 32 bits (odd multipliers and xorshifts are invertible), so
 * distinct counters give distinct keys. */
static uint32_t perm32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/* ==== options =========================================================== */

struct opts {
	bool synflood;
	uint64_t packets;
	uint32_t conns, clients, servers, concurrency;
	uint32_t udp_pct, v6_pct, rst_pct;
	uint32_t snaplen;
	bool nsec;
	uint64_t seed;
	const char *out;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: gen_pcap mixed|synflood [--packets N] [--conns N] [--clients N]\n"
		"       [--servers N] [--concurrency N] [--udp-pct P] [--v6-pct P]\n"
		"       [--rst-pct P] [--snaplen N] [--nsec] [--seed S] OUT.pcap\n");
	exit(2);
}

static uint64_t num_arg(const char *name, const char *v, uint64_t lo, uint64_t hi)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || x < lo || x > hi) {
		fprintf(stderr, "gen_pcap: %s: expected a number in [%llu, %llu], got '%s'\n",
			name, (unsigned long long)lo, (unsigned long long)hi, v);
		exit(2);
	}
	return x;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	if (argc < 3)
		usage();
	memset(o, 0, sizeof(*o));
	if (strcmp(argv[1], "synflood") == 0)
		o->synflood = true;
	else if (strcmp(argv[1], "mixed") != 0)
		usage();
	o->packets = o->synflood ? 1000000 : 2000000;
	o->conns = 100000;
	o->clients = 2000;
	o->servers = o->synflood ? 4 : 64;
	o->concurrency = 2000;
	o->udp_pct = 10;
	o->v6_pct = o->synflood ? 0 : 10;
	o->rst_pct = 15;
	o->snaplen = 128;
	o->seed = 1;
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--nsec") == 0) {
			o->nsec = true;
			continue;
		}
		if (a[0] != '-') {
			if (o->out != NULL)
				usage();
			o->out = a;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(a, "--packets") == 0)
			o->packets = num_arg(a, argv[++i], 1, UINT64_C(1) << 40);
		else if (strcmp(a, "--conns") == 0)
			o->conns = (uint32_t)num_arg(a, argv[++i], 1, 100000000);
		else if (strcmp(a, "--clients") == 0)
			o->clients = (uint32_t)num_arg(a, argv[++i], 1, 1u << 20);
		else if (strcmp(a, "--servers") == 0)
			o->servers = (uint32_t)num_arg(a, argv[++i], 1, 60000);
		else if (strcmp(a, "--concurrency") == 0)
			o->concurrency = (uint32_t)num_arg(a, argv[++i], 1, 1u << 20);
		else if (strcmp(a, "--udp-pct") == 0)
			o->udp_pct = (uint32_t)num_arg(a, argv[++i], 0, 100);
		else if (strcmp(a, "--v6-pct") == 0)
			o->v6_pct = (uint32_t)num_arg(a, argv[++i], 0, 100);
		else if (strcmp(a, "--rst-pct") == 0)
			o->rst_pct = (uint32_t)num_arg(a, argv[++i], 0, 100);
		else if (strcmp(a, "--snaplen") == 0)
			o->snaplen = (uint32_t)num_arg(a, argv[++i], 96, 65535);
		else if (strcmp(a, "--seed") == 0)
			o->seed = num_arg(a, argv[++i], 0, UINT64_MAX);
		else
			usage();
	}
	if (o->out == NULL)
		usage();
}

/* ==== pcap writer ======================================================= */

#define START_SEC 1700000000ull   /* 2023-11-14 22:13:20 UTC */
#define MAX_FRAME 1514

struct writer {
	FILE *f;
	const char *path;
	uint32_t snaplen;
	bool nsec;
	uint64_t now_ns;      /* virtual clock, ns since START_SEC */
	uint64_t packets;
	uint64_t bytes;
};

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void w_fail(const struct writer *w)
{
	fprintf(stderr, "gen_pcap: %s: write failed: %s\n", w->path, strerror(errno));
	exit(1);
}

static void w_open(struct writer *w, const struct opts *o)
{
	uint8_t h[24];

	memset(w, 0, sizeof(*w));
	w->path = o->out;
	w->snaplen = o->snaplen;
	w->nsec = o->nsec;
	w->f = fopen(o->out, "wb");
	if (w->f == NULL) {
		fprintf(stderr, "gen_pcap: %s: %s\n", o->out, strerror(errno));
		exit(1);
	}
	setvbuf(w->f, NULL, _IOFBF, 1 << 20);
	put_le32(h, o->nsec ? 0xa1b23c4du : 0xa1b2c3d4u);
	h[4] = 2; h[5] = 0; h[6] = 4; h[7] = 0;
	put_le32(h + 8, 0);
	put_le32(h + 12, 0);
	put_le32(h + 16, o->snaplen);
	put_le32(h + 20, 1);                      /* LINKTYPE_ETHERNET */
	if (fwrite(h, 1, sizeof(h), w->f) != sizeof(h))
		w_fail(w);
}

static void w_packet(struct writer *w, const uint8_t *frame, uint32_t len)
{
	uint8_t h[16];
	uint32_t caplen = len < w->snaplen ? len : w->snaplen;
	uint64_t sec = START_SEC + w->now_ns / 1000000000u;
	uint32_t frac = (uint32_t)(w->now_ns % 1000000000u);

	put_le32(h, (uint32_t)sec);
	put_le32(h + 4, w->nsec ? frac : frac / 1000u);
	put_le32(h + 8, caplen);
	put_le32(h + 12, len);
	if (fwrite(h, 1, sizeof(h), w->f) != sizeof(h) ||
	    fwrite(frame, 1, caplen, w->f) != caplen)
		w_fail(w);
	w->packets++;
	w->bytes += len;
}

static void w_close(struct writer *w)
{
	if (fflush(w->f) != 0 || ferror(w->f) || fclose(w->f) != 0)
		w_fail(w);
}

/* ==== packet building =================================================== */

struct endpoint {
	uint8_t mac[6];
	uint8_t v4[4];
	uint8_t v6[16];
};

struct tuple {
	bool v6;
	uint8_t proto;                 /* 6 or 17 */
	const struct endpoint *src, *dst;
	uint16_t sport, dport;
};

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Ethernet + IPv4/IPv6 + the l4 header given (l4len bytes, checksum field at
 * csum_off zero) + payload bytes: the n_body bytes of body, then zeros up to
 * payload; fills checksums and writes it.
 */
static void emit(struct writer *w, const struct tuple *t, const uint8_t *l4, uint32_t l4len,
		 uint32_t csum_off, const uint8_t *body, uint32_t n_body, uint32_t payload,
		 uint8_t ttl, uint16_t ip_id)
{
	uint8_t f[MAX_FRAME];
	uint32_t iplen, hl = t->v6 ? 40 : 20, seglen = l4len + payload, acc;
	uint8_t *ip = f + 14, *seg;

	if (14 + hl + seglen > MAX_FRAME) {
		fprintf(stderr, "gen_pcap: internal: frame of %u bytes\n", 14 + hl + seglen);
		exit(1);
	}
	memcpy(f, t->dst->mac, 6);
	memcpy(f + 6, t->src->mac, 6);
	be16(f + 12, t->v6 ? 0x86dd : 0x0800);
	iplen = hl + seglen;
	if (t->v6) {
		be32(ip, 0x60000000u);
		be16(ip + 4, (uint16_t)seglen);
		ip[6] = t->proto;
		ip[7] = ttl;
		memcpy(ip + 8, t->src->v6, 16);
		memcpy(ip + 24, t->dst->v6, 16);
		acc = sum16(ip + 8, 32, 0);
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		be16(ip + 2, (uint16_t)iplen);
		be16(ip + 4, ip_id);
		be16(ip + 6, 0x4000);               /* DF */
		ip[8] = ttl;
		ip[9] = t->proto;
		be16(ip + 10, 0);
		memcpy(ip + 12, t->src->v4, 4);
		memcpy(ip + 16, t->dst->v4, 4);
		be16(ip + 10, fold(sum16(ip, 20, 0)));
		acc = sum16(ip + 12, 8, 0);
	}
	acc += t->proto + seglen;                   /* pseudo-header, RFC 793 / 8200 */
	seg = ip + hl;
	memcpy(seg, l4, l4len);
	if (n_body > 0)
		memcpy(seg + l4len, body, n_body);
	memset(seg + l4len + n_body, 0, payload - n_body);
	{
		/* zero bytes add nothing to the sum: headers and body suffice */
		uint16_t c = fold(sum16(seg, l4len + n_body, acc));

		if (t->proto == 17 && c == 0)
			c = 0xffff;                 /* RFC 768: 0 means "no checksum" */
		be16(seg + csum_off, c);
	}
	w_packet(w, f, 14 + iplen);
}

static uint8_t tcp_hdr(uint8_t *h, const struct tuple *t, uint32_t seq, uint32_t ack,
		       uint16_t flags, uint16_t win, bool syn_opts)
{
	uint8_t len = syn_opts ? 40 : 20;

	be16(h, t->sport);
	be16(h + 2, t->dport);
	be32(h + 4, seq);
	be32(h + 8, ack);
	h[12] = (uint8_t)((len / 4) << 4 | (flags >> 8 & 0x1));
	h[13] = (uint8_t)flags;
	be16(h + 14, win);
	be16(h + 16, 0);
	be16(h + 18, 0);
	if (syn_opts) {
		uint8_t *o = h + 20;

		o[0] = 2; o[1] = 4; be16(o + 2, t->v6 ? 1440 : 1460);  /* MSS */
		o[4] = 4; o[5] = 2;                                  /* SACK permitted */
		o[6] = 8; o[7] = 10; be32(o + 8, seq ^ 0x5a5a5a5au); be32(o + 12, 0); /* TS */
		o[16] = 1;                                           /* NOP */
		o[17] = 3; o[18] = 3; o[19] = 7;                     /* window scale 7 */
	}
	return len;
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static void emit_tcp(struct writer *w, const struct tuple *t, uint32_t seq, uint32_t ack,
		     uint16_t flags, uint32_t payload, uint8_t ttl, uint16_t ip_id)
{
	uint8_t h[40];
	uint8_t len = tcp_hdr(h, t, seq, ack, flags, (flags & F_SYN) ? 64240 : 501,
			      (flags & F_SYN) != 0);

	emit(w, t, h, len, 16, NULL, 0, payload, ttl, ip_id);
}

static void emit_udp(struct writer *w, const struct tuple *t, const uint8_t *body,
		     uint32_t n_body, uint32_t payload, uint8_t ttl, uint16_t ip_id)
{
	uint8_t h[8];

	be16(h, t->sport);
	be16(h + 2, t->dport);
	be16(h + 4, (uint16_t)(8 + payload));
	be16(h + 6, 0);
	emit(w, t, h, 8, 6, body, n_body, payload, ttl, ip_id);
}

/* A DNS query for a.example/A (RFC 1035 4.1), or its answer (one A record),
 * so that dissectors see DNS rather than zeros. Returns the length. */
static uint32_t dns_message(uint8_t *m, uint16_t id, bool answer, const uint8_t addr[4])
{
	static const uint8_t question[] = {
		1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1
	};
	uint32_t n = 12;

	be16(m, id);
	be16(m + 2, answer ? 0x8180 : 0x0100);
	be16(m + 4, 1);
	be16(m + 6, answer ? 1 : 0);
	be16(m + 8, 0);
	be16(m + 10, 0);
	memcpy(m + n, question, sizeof(question));
	n += sizeof(question);
	if (answer) {
		be16(m + n, 0xc00c);            /* name: pointer to the question */
		be16(m + n + 2, 1);
		be16(m + n + 4, 1);
		be32(m + n + 6, 300);
		be16(m + n + 10, 4);
		memcpy(m + n + 12, addr, 4);
		n += 16;
	}
	return n;
}

/* ==== hosts ============================================================= */

static void make_host(struct endpoint *e, uint32_t id, bool server)
{
	uint32_t i = id + 1;

	e->mac[0] = server ? 0x02 : 0x06;      /* locally administered */
	e->mac[1] = 0x00;
	be32(e->mac + 2, i);
	if (server) {
		/* 198.18.0.0/15 (RFC 2544 benchmarking) and 2001:db8:ffff::/48 */
		e->v4[0] = 198; e->v4[1] = (uint8_t)(18 + (i >> 16 & 1));
		e->v4[2] = (uint8_t)(i >> 8); e->v4[3] = (uint8_t)i;
	} else {
		/* 10.0.0.0/8 and 2001:db8:1::/48 */
		e->v4[0] = 10; e->v4[1] = (uint8_t)(i >> 16);
		e->v4[2] = (uint8_t)(i >> 8); e->v4[3] = (uint8_t)i;
	}
	memset(e->v6, 0, 16);
	e->v6[0] = 0x20; e->v6[1] = 0x01; e->v6[2] = 0x0d; e->v6[3] = 0xb8;
	e->v6[4] = server ? 0xff : 0x00;
	e->v6[5] = server ? 0xff : 0x01;
	be32(e->v6 + 12, i);
}

/* ==== mixed traffic ===================================================== */

/* How a client picks ephemeral ports (RFC 6056 section 3.3 numbering). */
enum port_alg { ALG_SEQUENTIAL = 0, ALG_RANDOM, ALG_PER_DEST, ALG__COUNT };

#define EPH_LO 32768u
#define EPH_HI 61000u          /* half-open: [32768, 61000[ as Linux */

struct client {
	struct endpoint ep;
	enum port_alg alg;
	uint32_t next_port;    /* sequential / per-destination increment */
	uint32_t secret;       /* per-destination offset key */
	uint8_t inuse[65536 / 8];
};

enum sess_kind { S_TCP, S_UDP };

struct sess {
	enum sess_kind kind;
	struct tuple t;        /* client -> server */
	struct client *cl;
	uint32_t cseq, sseq;   /* next sequence number of each side */
	uint32_t data_left;    /* TCP data segments / UDP datagrams still to send */
	uint8_t step;          /* position in the script */
	uint8_t close;         /* CLOSE_* */
	uint16_t ip_id_c, ip_id_s;
	uint32_t udp_req, udp_resp;   /* UDP payload sizes */
	uint16_t dns_id;
};

enum { CLOSE_FIN_CLIENT, CLOSE_FIN_SERVER, CLOSE_RST_CLIENT, CLOSE_RST_SERVER };
enum { ST_SYN, ST_SYNACK, ST_ACK, ST_DATA, ST_CLOSE1, ST_CLOSE2, ST_CLOSE3, ST_CLOSE4, ST_DONE };

static const uint16_t tcp_ports[] = { 443, 443, 443, 80, 80, 8443, 443, 993, 8080, 80 };

static bool port_busy(const struct client *c, uint32_t p)
{
	return (c->inuse[p >> 3] >> (p & 7)) & 1;
}

static void port_set(struct client *c, uint32_t p, bool on)
{
	if (on)
		c->inuse[p >> 3] |= (uint8_t)(1u << (p & 7));
	else
		c->inuse[p >> 3] &= (uint8_t)~(1u << (p & 7));
}

static uint32_t dest_key(const struct endpoint *dst, uint16_t dport)
{
	return (uint32_t)dst->v4[2] << 8 ^ dst->v4[3] ^ (uint32_t)dport << 16;
}

/*
 * A free source port by the client's algorithm: a bounded scan with wrap
 * over [EPH_LO, EPH_HI[ starting at an offset, as RFC 6056 describes them:
 * sequential (the legacy allocator: a counter), random (algorithm 1) and
 * per destination (algorithm 3: F(destination, secret) + a counter that
 * advances with every attempt).
 */
static uint16_t pick_port(struct client *c, struct rng *r, const struct endpoint *dst,
			  uint16_t dport)
{
	uint32_t n = EPH_HI - EPH_LO, off = c->next_port, i;

	if (c->alg == ALG_RANDOM)
		off = rng_below(r, n);
	else if (c->alg == ALG_PER_DEST)
		off += perm32(c->secret ^ dest_key(dst, dport));
	for (i = 0; i < n; i++) {
		uint32_t p = EPH_LO + (uint32_t)(((uint64_t)off + i) % n);

		if (!port_busy(c, p)) {
			c->next_port = (c->next_port + i + 1) % n;
			port_set(c, p, true);
			return (uint16_t)p;
		}
	}
	fprintf(stderr, "gen_pcap: a client ran out of ephemeral ports\n");
	exit(1);
}

struct mixed {
	const struct opts *o;
	struct rng r;
	struct writer *w;
	struct client *clients;
	struct endpoint *servers;
	struct sess *act;
	uint32_t n_act;
	uint64_t tcp_started, udp_started, udp_target_pkts, udp_pkts;
	uint64_t v6_sessions, rst_closes, fin_closes;
	uint32_t data_avg10;     /* mean data segments per TCP connection, x10 */
};

static void start_session(struct mixed *m, struct sess *s)
{
	struct rng *r = &m->r;
	bool udp;

	memset(s, 0, sizeof(*s));
	/* UDP when it is behind its share of packets, or TCP is all started. */
	udp = m->o->udp_pct > 0 &&
	      (m->udp_pkts * 100 < m->w->packets * m->o->udp_pct ||
	       m->tcp_started >= m->o->conns);
	s->cl = &m->clients[rng_below(r, m->o->clients)];
	s->t.src = &s->cl->ep;
	s->t.dst = &m->servers[rng_below(r, m->o->servers)];
	s->t.v6 = rng_pct(r, m->o->v6_pct);
	s->ip_id_c = (uint16_t)rng_next(r);
	s->ip_id_s = (uint16_t)rng_next(r);
	if (s->t.v6)
		m->v6_sessions++;
	if (udp) {
		uint32_t k = rng_below(r, 10);

		s->kind = S_UDP;
		s->t.proto = 17;
		if (k < 6) {            /* DNS: one query, one answer */
			s->t.dport = 53;
			s->data_left = 2;
			s->dns_id = (uint16_t)rng_next(r);
		} else if (k < 7) {     /* NTP */
			s->t.dport = 123;
			s->data_left = 2;
			s->udp_req = s->udp_resp = 48;
		} else {                /* a QUIC-like stream */
			s->t.dport = 443;
			s->data_left = 6 + rng_below(r, 30);
			s->udp_req = 1200;
			s->udp_resp = 1252;
		}
		m->udp_started++;
	} else {
		s->kind = S_TCP;
		s->t.proto = 6;
		s->t.dport = tcp_ports[rng_below(r, ARRAY_SIZE(tcp_ports))];
		/* RFC 6528-shaped ISN: a clock plus a per-connection hash, so a
		 * reused tuple starts above its old sequence space. */
		s->cseq = (uint32_t)(m->w->now_ns / 4000u) + (perm32((uint32_t)m->tcp_started) & 0xffffff);
		s->sseq = (uint32_t)rng_next(r);
		/* uniform, mean data_avg10 / 10 */
		s->data_left = rng_below(r, 2 * m->data_avg10 + 10) / 10;
		s->close = rng_pct(r, m->o->rst_pct) ? (uint8_t)(CLOSE_RST_CLIENT + rng_below(r, 2))
						      : (uint8_t)rng_below(r, 2);
		s->step = ST_SYN;
		m->tcp_started++;
	}
	s->t.sport = pick_port(s->cl, r, s->t.dst, s->t.dport);
}

/* One packet of s; returns false when the session has finished. */
static bool session_step(struct mixed *m, struct sess *s)
{
	struct rng *r = &m->r;
	struct tuple rev = { s->t.v6, s->t.proto, s->t.dst, s->t.src, s->t.dport, s->t.sport };
	const uint8_t cttl = s->t.v6 ? 64 : 63, sttl = 57;

	if (s->kind == S_UDP) {
		bool req = s->data_left % 2 == 0;
		uint8_t dns[64];
		uint32_t n = 0;

		if (s->t.dport == 53) {
			n = dns_message(dns, s->dns_id, !req, s->t.dst->v4);
			s->udp_req = s->udp_resp = n;
		}
		if (req)
			emit_udp(m->w, &s->t, dns, n, s->udp_req, cttl, s->ip_id_c++);
		else
			emit_udp(m->w, &rev, dns, n, s->udp_resp, sttl, s->ip_id_s++);
		m->udp_pkts++;
		return --s->data_left > 0;
	}
	switch (s->step) {
	case ST_SYN:
		emit_tcp(m->w, &s->t, s->cseq, 0, F_SYN, 0, cttl, s->ip_id_c++);
		s->cseq++;
		s->step = ST_SYNACK;
		return true;
	case ST_SYNACK:
		emit_tcp(m->w, &rev, s->sseq, s->cseq, F_SYN | F_ACK, 0, sttl, s->ip_id_s++);
		s->sseq++;
		s->step = ST_ACK;
		return true;
	case ST_ACK:
		emit_tcp(m->w, &s->t, s->cseq, s->sseq, F_ACK, 0, cttl, s->ip_id_c++);
		s->step = ST_DATA;
		return true;
	case ST_DATA:
		if (s->data_left > 0) {
			uint32_t k = rng_below(r, 10);
			uint32_t len = k < 3 ? 0 : k < 6 ? 1 + rng_below(r, 300) : 1448;
			bool from_client = rng_pct(r, 40);

			if (s->t.v6 && len > 1428)
				len = 1428;
			if (from_client) {
				emit_tcp(m->w, &s->t, s->cseq, s->sseq,
					 (uint16_t)(F_ACK | (len ? F_PSH : 0)), len, cttl, s->ip_id_c++);
				s->cseq += len;
			} else {
				emit_tcp(m->w, &rev, s->sseq, s->cseq,
					 (uint16_t)(F_ACK | (len ? F_PSH : 0)), len, sttl, s->ip_id_s++);
				s->sseq += len;
			}
			s->data_left--;
			return true;
		}
		s->step = ST_CLOSE1;
		__attribute__((fallthrough));
	case ST_CLOSE1:
		switch (s->close) {
		case CLOSE_RST_CLIENT:
			emit_tcp(m->w, &s->t, s->cseq, s->sseq, F_RST | F_ACK, 0, cttl, s->ip_id_c++);
			m->rst_closes++;
			return false;
		case CLOSE_RST_SERVER:
			emit_tcp(m->w, &rev, s->sseq, s->cseq, F_RST | F_ACK, 0, sttl, s->ip_id_s++);
			m->rst_closes++;
			return false;
		case CLOSE_FIN_CLIENT:
			emit_tcp(m->w, &s->t, s->cseq, s->sseq, F_FIN | F_ACK, 0, cttl, s->ip_id_c++);
			s->cseq++;
			break;
		default:
			emit_tcp(m->w, &rev, s->sseq, s->cseq, F_FIN | F_ACK, 0, sttl, s->ip_id_s++);
			s->sseq++;
			break;
		}
		s->step = ST_CLOSE2;
		return true;
	case ST_CLOSE2:      /* the other side acknowledges the FIN */
	case ST_CLOSE4:
		if ((s->close == CLOSE_FIN_CLIENT) == (s->step == ST_CLOSE2))
			emit_tcp(m->w, &rev, s->sseq, s->cseq, F_ACK, 0, sttl, s->ip_id_s++);
		else
			emit_tcp(m->w, &s->t, s->cseq, s->sseq, F_ACK, 0, cttl, s->ip_id_c++);
		if (s->step == ST_CLOSE4) {
			m->fin_closes++;
			return false;
		}
		s->step = ST_CLOSE3;
		return true;
	case ST_CLOSE3:      /* and closes its side */
		if (s->close == CLOSE_FIN_CLIENT) {
			emit_tcp(m->w, &rev, s->sseq, s->cseq, F_FIN | F_ACK, 0, sttl, s->ip_id_s++);
			s->sseq++;
		} else {
			emit_tcp(m->w, &s->t, s->cseq, s->sseq, F_FIN | F_ACK, 0, cttl, s->ip_id_c++);
			s->cseq++;
		}
		s->step = ST_CLOSE4;
		return true;
	default:
		return false;
	}
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL) {
		fprintf(stderr, "gen_pcap: out of memory\n");
		exit(1);
	}
	return p;
}

static void gen_mixed(const struct opts *o, struct writer *w)
{
	struct mixed m;
	uint32_t i;
	uint64_t tcp_pkts;

	memset(&m, 0, sizeof(m));
	m.o = o;
	m.w = w;
	m.r.s = o->seed;
	m.clients = xcalloc(o->clients, sizeof(*m.clients));
	m.servers = xcalloc(o->servers, sizeof(*m.servers));
	m.act = xcalloc(o->concurrency, sizeof(*m.act));
	for (i = 0; i < o->clients; i++) {
		make_host(&m.clients[i].ep, i, false);
		m.clients[i].alg = (enum port_alg)(i % ALG__COUNT);
		m.clients[i].secret = (uint32_t)rng_next(&m.r);
		m.clients[i].next_port = rng_below(&m.r, EPH_HI - EPH_LO);
	}
	for (i = 0; i < o->servers; i++)
		make_host(&m.servers[i], i, true);
	/* Data segments per connection (in tenths) so that the TCP share of the
	 * packets comes out near --packets: per connection 3 handshake packets
	 * and 3.5 closing ones on average (4 for FIN, 1 for RST). The capture
	 * stops at --packets with sessions still open, as real captures end;
	 * once every connection has started, UDP flows keep half the
	 * concurrency busy so that the count is reached. */
	tcp_pkts = o->packets * (100 - o->udp_pct) / 100;
	{
		uint64_t per10 = tcp_pkts * 10 / o->conns;
		uint64_t close10 = (uint64_t)(100 - o->rst_pct) * 40 / 100 +
				   (uint64_t)o->rst_pct * 10 / 100;

		m.data_avg10 = per10 > 30 + close10 ? (uint32_t)(per10 - 30 - close10) : 0;
	}
	while (m.n_act < o->concurrency && m.tcp_started < o->conns)
		start_session(&m, &m.act[m.n_act++]);
	while (w->packets < o->packets && m.n_act > 0) {
		uint32_t k = rng_below(&m.r, m.n_act);
		struct sess *s = &m.act[k];

		w->now_ns += 1000 + rng_below(&m.r, 180000);
		if (!session_step(&m, s)) {
			port_set(s->cl, s->t.sport, false);
			if (m.tcp_started < o->conns ||
			    (o->udp_pct > 0 && m.udp_pkts * 100 < w->packets * o->udp_pct) ||
			    (o->udp_pct > 0 && m.n_act <= o->concurrency / 2))
				start_session(&m, s);
			else
				m.act[k] = m.act[--m.n_act];
		}
	}
	fprintf(stderr,
		"gen_pcap mixed: %llu packets (%llu UDP), %llu TCP connections started "
		"(%llu FIN closes, %llu RST closes), %llu UDP flows, %llu sessions over IPv6, "
		"%u sessions still open at the end\n",
		(unsigned long long)w->packets, (unsigned long long)m.udp_pkts,
		(unsigned long long)m.tcp_started, (unsigned long long)m.fin_closes,
		(unsigned long long)m.rst_closes, (unsigned long long)m.udp_started,
		(unsigned long long)m.v6_sessions, m.n_act);
	free(m.act);
	free(m.servers);
	free(m.clients);
}

/* ==== SYN flood ========================================================= */

static void gen_synflood(const struct opts *o, struct writer *w)
{
	struct rng r = { o->seed };
	struct endpoint *servers = xcalloc(o->servers, sizeof(*servers));
	struct endpoint src;
	uint64_t i, v6 = 0;

	if (o->packets > UINT32_MAX) {
		fprintf(stderr, "gen_pcap: synflood: at most 2^32 distinct tuples\n");
		exit(2);
	}
	for (i = 0; i < o->servers; i++)
		make_host(&servers[i], (uint32_t)i, true);
	memset(&src, 0, sizeof(src));
	src.mac[0] = 0x0a;
	for (i = 0; i < o->packets; i++) {
		/* perm32 is a bijection, so each i gives its own (address, low
		 * byte) pair; the port is injective in the low byte for a fixed
		 * address, so every (source, port) pair is new. */
		uint32_t k = perm32((uint32_t)i);
		uint32_t a = k >> 8, lo = k & 0xff;
		struct tuple t;

		memset(&t, 0, sizeof(t));
		t.v6 = rng_pct(&r, o->v6_pct);
		t.proto = 6;
		t.src = &src;
		t.dst = &servers[rng_below(&r, o->servers)];
		t.sport = (uint16_t)(1024 + lo * 251 + perm32(a) % 251);
		t.dport = 80;
		/* 100.64.0.0/10 is too small for 2^24; use 11.0.0.0/8 (spoofed
		 * sources are arbitrary public space) and 2001:db8:5::/48 */
		src.v4[0] = 11;
		src.v4[1] = (uint8_t)(a >> 16);
		src.v4[2] = (uint8_t)(a >> 8);
		src.v4[3] = (uint8_t)a;
		memset(src.v6, 0, 16);
		src.v6[0] = 0x20; src.v6[1] = 0x01; src.v6[2] = 0x0d; src.v6[3] = 0xb8;
		src.v6[5] = 0x05;
		be32(src.v6 + 12, a);
		be32(src.mac + 2, a);
		if (t.v6)
			v6++;
		w->now_ns += 1 + rng_below(&r, 20000);
		emit_tcp(w, &t, (uint32_t)rng_next(&r), 0, F_SYN, 0,
			 (uint8_t)(32 + rng_below(&r, 200)), (uint16_t)rng_next(&r));
	}
	fprintf(stderr, "gen_pcap synflood: %llu SYNs on distinct tuples (%llu over IPv6) to %u servers\n",
		(unsigned long long)w->packets, (unsigned long long)v6, o->servers);
	free(servers);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct writer w;

	parse_opts(argc, argv, &o);
	w_open(&w, &o);
	if (o.synflood)
		gen_synflood(&o, &w);
	else
		gen_mixed(&o, &w);
	w_close(&w);
	return 0;
}
