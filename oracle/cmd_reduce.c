/*
 * cmd_reduce.c - `tuplecheck reduce --rule ID [--signature S] IN OUT`: the
 * smallest capture that still produces a finding, for corpus/ regressions.
 *
 * Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating
 * Failure-Inducing Input", 2002: ddmin) over the packets of IN. The test of
 * a candidate replays that subset, renumbered as the output file would
 * number it, through a fresh oracle in memory and asks whether a finding of
 * ID with signature S appears; without --signature, S is the signature of
 * the first finding of ID in IN, so the result shows the same defect rather
 * than another transition of the same rule. Two cheap passes run first:
 * cutting everything after the packet where the finding first appears (not
 * for host rules, which are judged at the end of the file) and keeping only
 * the packets of the finding's own 5-tuple, or for a host rule
 * (port.sequential, port.fixed, ...) the packets to or from the finding's
 * host. ddmin then works on what is left; its result is 1-minimal unless
 * the run cap stopped it. Without the host pass, a host finding among
 * 160,000 other packets used up the run cap before ddmin got near it.
 *
 * Bounded: at most REDUCE_MAX_RUNS oracle runs; progress on stderr every
 * REDUCE_PROGRESS runs; the last line says how many packets remain.
 *
 * Output: pcap with IN's link type and snapshot length (nanosecond magic
 * when IN carried nanoseconds). pcapng input is written as pcap when all
 * kept records share one link type, else as pcapng with one interface per
 * link type. A kept time that pcap's unsigned 32-bit seconds cannot hold
 * (before 1970 or from 2106 on, which pcapng input can carry through
 * if_tsoffset) makes the output pcapng whatever IN was: cut to 32 bits,
 * the times would wrap and the reduced capture judge other elapsed times
 * than IN (a reuse 60 s after close became one 0 s after it). Exit status: 0 written, 1 IN does not show the finding, 2 usage
 * or I/O error. An IN that stops early is reduced as far as it was read and
 * OUT is written, but the status is 2 (as for every unreadable input).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oracle.h"

/* Each run replays up to every packet of IN; 2000 runs keep a reduction of
 * a 10,000-packet capture within a few seconds on one core. */
#define REDUCE_MAX_RUNS 2000
#define REDUCE_PROGRESS 200

struct rec {
	uint8_t *data;             /* exactly caplen bytes, owned */
	uint32_t caplen, origlen;
	int64_t ts_sec;
	uint32_t ts_nsec;
	uint8_t ts_digits;
	bool no_ts;                /* a pcapng Simple Packet Block: no time */
	uint32_t linktype;
	uint32_t snaplen;
	uint64_t frame;            /* its number in IN (--filter leaves gaps) */
	bool have_key;             /* TCP/UDP: canonical tuple below is valid */
	uint8_t key[40];
	uint8_t ipver;             /* 4 or 6 when an IP header decoded, else 0 */
	uint8_t src[16], dst[16];  /* its addresses, as struct pkt holds them */
};

struct reduce {
	struct tc_options *o;
	struct oracle_cfg cfg;
	enum rule_id rule;
	const char *signature;
	/* input */
	struct rec *recs;
	size_t n, cap;
	bool pcapng;
	uint8_t ts_digits;
	const struct cap_reader *rd;
	uint64_t read, filtered;   /* records of IN read, left out by --filter */
	bool oom;
	/* the test */
	unsigned long runs;
	bool stopped;              /* run cap reached */
	bool found;
	size_t found_at;           /* position in the candidate of the first hit */
	size_t feeding;            /* position being fed */
	bool want_tuple;           /* record the first hit's tuple */
	bool have_hit_key;
	uint8_t hit_key[40];
	uint8_t hit_host_ver;        /* a host finding's address family, 0: none */
	uint8_t hit_host[16];        /* and its host */
	char hit_sig[SIG_HEX + 1];   /* signature of the first hit */
	size_t best;                 /* packets in the smallest candidate so far */
};

/* Canonical tuple of a decoded packet: proto, version, lower endpoint first.
 * TC_OK, or TC_UNSUPPORTED when the packet has no TCP/UDP header. */
static enum tc_rc tuple_key(const struct pkt *p, uint8_t key[40])
{
	const uint8_t *a = p->src, *b = p->dst;
	uint16_t pa = p->sport, pb = p->dport;
	int c;

	if (!p->have_l4 || (p->l4 != L4_TCP && p->l4 != L4_UDP))
		return TC_UNSUPPORTED;
	c = memcmp(a, b, 16);
	if (c > 0 || (c == 0 && pa > pb)) {
		a = p->dst; b = p->src;
		pa = p->dport; pb = p->sport;
	}
	key[0] = (uint8_t)p->l4;
	key[1] = p->ipver;
	memcpy(key + 2, a, 16);
	key[18] = (uint8_t)(pa >> 8); key[19] = (uint8_t)pa;
	memcpy(key + 20, b, 16);
	key[36] = (uint8_t)(pb >> 8); key[37] = (uint8_t)pb;
	key[38] = key[39] = 0;
	return TC_OK;
}

/* ---- loading IN ------------------------------------------------------------------ */

static void load_begin(void *ctx, const char *file, const struct cap_reader *rd)
{
	struct reduce *r = ctx;

	(void)file;
	r->rd = rd;
	r->pcapng = rd->format == CAP_FMT_PCAPNG;
	r->ts_digits = rd->ts_digits;
}

static void load_packet(void *ctx, const struct cap_packet *cp, struct pkt *p)
{
	struct reduce *r = ctx;
	struct rec *e;

	if (r->oom)
		return;
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 256;
		struct rec *nr = realloc(r->recs, nc * sizeof(*nr));

		if (nr == NULL) {
			r->oom = true;
			return;
		}
		r->recs = nr;
		r->cap = nc;
	}
	e = &r->recs[r->n];
	memset(e, 0, sizeof(*e));
	e->data = malloc(cp->caplen ? cp->caplen : 1);
	if (e->data == NULL) {
		r->oom = true;
		return;
	}
	memcpy(e->data, cp->data, cp->caplen);
	e->caplen = cp->caplen;
	e->origlen = cp->origlen;
	e->ts_sec = cp->ts_sec;
	e->ts_nsec = cp->ts_nsec;
	e->ts_digits = cp->ts_digits;
	e->no_ts = (cp->flags & CAP_F_NO_TS) != 0;
	e->linktype = cp->linktype;
	e->frame = cp->frame;
	e->snaplen = r->rd->snaplen;
	if (r->pcapng && cp->ifindex < r->rd->n_ifaces)
		e->snaplen = r->rd->ifaces[cp->ifindex].snaplen;
	if (e->snaplen == 0 || e->snaplen > CAP_MAX_SNAPLEN)
		e->snaplen = CAP_MAX_SNAPLEN;
	e->have_key = tuple_key(p, e->key) == TC_OK;
	if (p->have_ip) {
		e->ipver = p->ipver;
		memcpy(e->src, p->src, 16);
		memcpy(e->dst, p->dst, 16);
	}
	r->n++;
}

static void load_end(void *ctx, const char *file, const struct file_stats *st, const char *error)
{
	struct reduce *r = ctx;

	(void)file;
	(void)error;
	r->read = st->packets;
	r->filtered = st->filtered;
}

/* Can OUT be written? Asked before the reduction, not after it: a typo in
 * OUT's folder should not cost up to REDUCE_MAX_RUNS oracle runs (IN is
 * read first: OUT may name IN itself, or the same missing file). A regular
 * OUT that did not exist is created empty (*created: remove it if nothing
 * is written); one that exists is opened for writing without being
 * truncated; a folder is refused; a device, a FIFO (opening one here would
 * wait for its reader) or a link to a file yet to exist is left to the
 * final open. */
static bool out_check(const char *out, const char *shown, bool *created)
{
	struct stat sb;
	int fd;

	*created = false;
	if (stat(out, &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "tuplecheck: reduce: %s: is a directory, not a file to write\n",
				shown);
			return false;
		}
		if (!S_ISREG(sb.st_mode))
			return true;
		fd = open(out, O_WRONLY | O_CLOEXEC);
	} else if (errno == ENOENT && lstat(out, &sb) == 0) {
		return true;            /* a dangling link: fopen creates its target */
	} else {
		fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		*created = fd >= 0;
	}
	if (fd < 0) {
		fprintf(stderr, "tuplecheck: reduce: %s: cannot create: %m\n", shown);
		return false;
	}
	close(fd);
	return true;
}

static void free_recs(struct reduce *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->recs[i].data);
	free(r->recs);
	r->recs = NULL;
	r->n = r->cap = 0;
}

/* ---- the test: does this subset still show the finding? --------------------------- */

static void test_sink(void *ctx, const struct finding *f)
{
	struct reduce *r = ctx;

	if (r->found || f->rule != r->rule)
		return;
	if (r->signature != NULL && strcmp(f->signature, r->signature) != 0)
		return;
	r->found = true;
	r->found_at = r->feeding;
	memcpy(r->hit_sig, f->signature, sizeof(r->hit_sig));
	if (r->want_tuple && f->is_host) {
		r->hit_host_ver = f->ipver;
		memcpy(r->hit_host, f->host, 16);
	} else if (r->want_tuple && f->have_ports) {
		struct pkt p;

		memset(&p, 0, sizeof(p));
		p.have_l4 = true;
		p.l4 = f->proto;
		p.ipver = f->ipver;
		memcpy(p.src, f->src, 16);
		memcpy(p.dst, f->dst, 16);
		p.sport = f->sport;
		p.dport = f->dport;
		r->have_hit_key = tuple_key(&p, r->hit_key) == TC_OK;
	}
}

static void progress(const struct reduce *r)
{
	if (r->runs % REDUCE_PROGRESS == 0)
		fprintf(stderr, "tuplecheck reduce: %lu oracle runs, %zu packets left\n", r->runs,
			r->best);
}

/* Replay recs[idx[0..k)]: does the finding appear? */
static bool is_reproduced(struct reduce *r, const size_t *idx, size_t k)
{
	struct oracle *orc;
	struct oracle_sink sink = { test_sink, NULL, r };
	bool host_rule = rule_info(r->rule)->dedup == DEDUP_HOST;

	if (r->runs >= REDUCE_MAX_RUNS || tc_interrupted) {
		r->stopped = true;
		return false;
	}
	r->runs++;
	r->found = false;
	if (oracle_new(&r->cfg, &sink, "reduce", &orc) != TC_OK) {
		r->oom = true;
		return false;
	}
	for (size_t i = 0; i < k && !r->found; i++) {
		const struct rec *e = &r->recs[idx[i]];
		struct cap_packet cp;
		struct pkt p;

		memset(&cp, 0, sizeof(cp));
		cp.data = e->data;
		cp.caplen = e->caplen;
		cp.origlen = e->origlen;
		cp.ts_sec = e->ts_sec;
		cp.ts_nsec = e->ts_nsec;
		cp.ts_digits = e->ts_digits;
		cp.linktype = e->linktype;
		cp.frame = i + 1;
		r->feeding = i;
		decode_packet(e->linktype, e->data, e->caplen, e->origlen, &p);
		if (r->o->checksums && p.have_ip)
			decode_verify_checksums(&p);
		oracle_packet(orc, &cp, &p);
	}
	if (!r->found && host_rule) {
		struct summary s;

		memset(&s, 0, sizeof(s));
		r->feeding = k ? k - 1 : 0;
		oracle_finish(orc, &s);
	}
	oracle_free(orc);
	if (r->found && k < r->best)
		r->best = k;
	progress(r);
	return r->found;
}

/* Pass 2's test: is e a packet of the first hit's 5-tuple (flow and packet
 * rules) or one sent to or from its host (host rules)? */
static bool is_own_packet(const struct reduce *r, const struct rec *e)
{
	if (r->have_hit_key)
		return e->have_key && memcmp(e->key, r->hit_key, 40) == 0;
	return e->ipver == r->hit_host_ver && (memcmp(e->src, r->hit_host, 16) == 0 ||
					       memcmp(e->dst, r->hit_host, 16) == 0);
}

/* ---- ddmin ------------------------------------------------------------------------------ */

/* Reduce idx[0..*k) in place. scratch holds at least *k entries. */
static void ddmin(struct reduce *r, size_t *idx, size_t *k, size_t *scratch)
{
	size_t n = 2;

	while (*k >= 2 && !r->stopped && !r->oom) {
		size_t len = *k, chunk = (len + n - 1) / n;
		bool reduced = false;

		if (n > len)
			n = len;
		/* try each subset */
		for (size_t s = 0; s < len && !reduced; s += chunk) {
			size_t e = s + chunk < len ? s + chunk : len;

			if (e - s == len)
				continue;
			if (is_reproduced(r, idx + s, e - s)) {
				memmove(idx, idx + s, (e - s) * sizeof(*idx));
				*k = e - s;
				n = 2;
				reduced = true;
			}
		}
		/* try each complement */
		for (size_t s = 0; s < len && !reduced && n > 2; s += chunk) {
			size_t e = s + chunk < len ? s + chunk : len, m = 0;

			for (size_t i = 0; i < len; i++)
				if (i < s || i >= e)
					scratch[m++] = idx[i];
			if (is_reproduced(r, scratch, m)) {
				memcpy(idx, scratch, m * sizeof(*idx));
				*k = m;
				n = n - 1 > 2 ? n - 1 : 2;
				reduced = true;
			}
		}
		if (reduced)
			continue;
		if (n >= len)
			break;      /* every single packet is needed: 1-minimal */
		n = n * 2 < len ? n * 2 : len;
	}
}

/* ---- writing OUT ---------------------------------------------------------------------- */

static void put_le16(FILE *f, uint16_t v)
{
	putc(v & 0xff, f);
	putc(v >> 8, f);
}

static void put_le32(FILE *f, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		putc((int)(v >> (8 * i)) & 0xff, f);
}

static void write_pcap(FILE *f, const struct reduce *r, const size_t *idx, size_t k)
{
	bool nano = r->ts_digits == 9;
	uint32_t snaplen = k ? r->recs[idx[0]].snaplen : CAP_MAX_SNAPLEN;
	uint32_t linktype = k ? r->recs[idx[0]].linktype : 1;

	/* pcapng interfaces may differ: nanoseconds if any kept record has them,
	 * the largest snapshot length of their interfaces */
	for (size_t i = 0; i < k; i++) {
		if (r->recs[idx[i]].ts_digits == 9)
			nano = true;
		if (r->recs[idx[i]].snaplen > snaplen)
			snaplen = r->recs[idx[i]].snaplen;
	}

	put_le32(f, nano ? 0xa1b23c4du : 0xa1b2c3d4u);
	put_le16(f, 2);
	put_le16(f, 4);
	put_le32(f, 0);
	put_le32(f, 0);
	put_le32(f, snaplen);
	put_le32(f, linktype);
	for (size_t i = 0; i < k; i++) {
		const struct rec *e = &r->recs[idx[i]];

		put_le32(f, (uint32_t)e->ts_sec);
		put_le32(f, nano ? e->ts_nsec : e->ts_nsec / 1000);
		put_le32(f, e->caplen);
		put_le32(f, e->origlen);
		fwrite(e->data, 1, e->caplen, f);
	}
}

/* Can pcap's record header, unsigned 32-bit seconds, hold this time? */
static bool is_pcap_time(int64_t sec)
{
	return sec >= 0 && sec <= (int64_t)UINT32_MAX;
}

/* Can pcap hold every kept time? Not a time the input did not have (a
 * Simple Packet Block's): pcap would make one up. */
static bool is_pcap_times(const struct reduce *r, const size_t *idx, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (!is_pcap_time(r->recs[idx[i]].ts_sec) || r->recs[idx[i]].no_ts)
			return false;
	return true;
}

/* Whole seconds a 64-bit count of nanoseconds holds after an interface's
 * if_tsoffset: 2^64 - 1 ns less the largest fraction, about 584 years. */
#define NG_MAX_SEC ((UINT64_MAX - 999999999u) / 1000000000u)

struct ng_iface {
	uint32_t linktype, snaplen;
	int64_t offset;            /* if_tsoffset, seconds: 0 leaves the option out */
};

/* Does a record of sec seconds fit an interface with this offset? */
static bool is_in_reach(int64_t sec, int64_t offset)
{
	return sec >= offset && (uint64_t)sec - (uint64_t)offset <= NG_MAX_SEC;
}

/* Can e go out as a Simple Packet Block on interface i0? It had none in
 * IN, and i0 gives it the same link type and captured length (an SPB's
 * captured length is its original length cut to interface 0's snaplen). */
static bool is_spb(const struct rec *e, const struct ng_iface *i0)
{
	uint32_t cap = e->origlen < i0->snaplen ? e->origlen : i0->snaplen;

	return e->no_ts && e->linktype == i0->linktype && e->caplen == cap;
}

/*
 * pcapng with nanosecond resolution and one interface per link type met,
 * more when kept times span more than 64-bit nanoseconds can count: a
 * record whose time no interface of its link type reaches gets a new one
 * with if_tsoffset set to its own seconds (offset 0, and no option, when
 * 0 <= seconds < 2^64 ns). A record read from a Simple Packet Block (no
 * time) is written as one again, so the output claims no time IN did not
 * have: interface 0 is then the first such record's link type and snaplen,
 * as its section's interface 0 was (an SPB whose link type or length
 * interface 0 cannot give, only after a section change in IN, gets an
 * Enhanced Packet Block with the time the reader gave it). TC_OK, or
 * TC_NOMEM with nothing written.
 */
static enum tc_rc write_pcapng(FILE *f, const struct reduce *r, const size_t *idx, size_t k)
{
	struct ng_iface *ifs = malloc((k ? k : 1) * sizeof(*ifs));
	uint32_t *which = malloc((k ? k : 1) * sizeof(*which));
	uint32_t n_if = 0;

	if (ifs == NULL || which == NULL) {
		free(ifs);
		free(which);
		return TC_NOMEM;
	}
	for (size_t i = 0; i < k; i++) {
		const struct rec *e = &r->recs[idx[i]];

		if (e->no_ts) {
			ifs[0].linktype = e->linktype;
			ifs[0].snaplen = e->snaplen;
			ifs[0].offset = 0;
			n_if = 1;
			break;
		}
	}
	for (size_t i = 0; i < k; i++) {
		const struct rec *e = &r->recs[idx[i]];
		uint32_t j;

		if (n_if > 0 && is_spb(e, &ifs[0])) {
			which[i] = 0;
			continue;
		}
		for (j = 0; j < n_if; j++)
			if (ifs[j].linktype == e->linktype && is_in_reach(e->ts_sec, ifs[j].offset))
				break;
		if (j == n_if) {
			ifs[j].linktype = e->linktype;
			ifs[j].snaplen = e->snaplen;
			ifs[j].offset = is_in_reach(e->ts_sec, 0) ? 0 : e->ts_sec;
			n_if++;
		}
		which[i] = j;
	}

	/* SHB: type, length, byte-order magic, version 1.0, section length -1 */
	put_le32(f, 0x0a0d0d0a);
	put_le32(f, 28);
	put_le32(f, 0x1a2b3c4d);
	put_le16(f, 1);
	put_le16(f, 0);
	put_le32(f, 0xffffffffu);
	put_le32(f, 0xffffffffu);
	put_le32(f, 28);
	for (uint32_t j = 0; j < n_if; j++) {
		uint32_t len = ifs[j].offset != 0 ? 44 : 32;

		/* IDB with if_tsresol = 9 (nanoseconds), if_tsoffset (option
		 * 14, signed 64-bit seconds) when needed, and opt_endofopt */
		put_le32(f, 1);
		put_le32(f, len);
		put_le16(f, (uint16_t)ifs[j].linktype);
		put_le16(f, 0);
		put_le32(f, ifs[j].snaplen);
		put_le16(f, 9);   /* if_tsresol */
		put_le16(f, 1);
		putc(9, f); putc(0, f); putc(0, f); putc(0, f);
		if (ifs[j].offset != 0) {
			uint64_t off = (uint64_t)ifs[j].offset;

			put_le16(f, 14);
			put_le16(f, 8);
			put_le32(f, (uint32_t)off);
			put_le32(f, (uint32_t)(off >> 32));
		}
		put_le32(f, 0);   /* opt_endofopt */
		put_le32(f, len);
	}
	for (size_t i = 0; i < k; i++) {
		const struct rec *e = &r->recs[idx[i]];
		uint32_t pad = (4 - e->caplen % 4) % 4, len = 32 + e->caplen + pad;
		uint64_t ts;

		if (which[i] == 0 && is_spb(e, &ifs[0])) {
			/* SPB: type 3, length, original length, data */
			len = 16 + e->caplen + pad;
			put_le32(f, 3);
			put_le32(f, len);
			put_le32(f, e->origlen);
			fwrite(e->data, 1, e->caplen, f);
			for (uint32_t p = 0; p < pad; p++)
				putc(0, f);
			put_le32(f, len);
			continue;
		}
		ts = ((uint64_t)e->ts_sec - (uint64_t)ifs[which[i]].offset) * 1000000000u +
			      e->ts_nsec;

		put_le32(f, 6);
		put_le32(f, len);
		put_le32(f, which[i]);
		put_le32(f, (uint32_t)(ts >> 32));
		put_le32(f, (uint32_t)ts);
		put_le32(f, e->caplen);
		put_le32(f, e->origlen);
		fwrite(e->data, 1, e->caplen, f);
		for (uint32_t p = 0; p < pad; p++)
			putc(0, f);
		put_le32(f, len);
	}
	free(ifs);
	free(which);
	return TC_OK;
}

static bool is_one_linktype(const struct reduce *r, const size_t *idx, size_t k)
{
	for (size_t i = 1; i < k; i++)
		if (r->recs[idx[i]].linktype != r->recs[idx[0]].linktype)
			return false;
	return true;
}

/* ---- the command -------------------------------------------------------------------------- */

int cmd_reduce(struct tc_options *o)
{
	struct reduce r;
	static const struct drive_ops ops = { .file_begin = load_begin, .packet = load_packet,
					      .file_end = load_end };
	struct tc_options in = *o;
	char err[512];
	size_t *idx = NULL, *scratch = NULL, k, before;
	int status = 2, werr;
	bool load_failed, created = false;
	char in_buf[NAME_LINE_MAX], out_buf[NAME_LINE_MAX];
	const char *in_name, *out_name;     /* for messages: one line each */
	char from[96] = "";
	FILE *f;

	memset(&r, 0, sizeof(r));
	r.o = o;
	if (o->rule == NULL || o->n_files != 2) {
		fprintf(stderr, "tuplecheck: reduce: usage: tuplecheck reduce --rule ID [--signature S] IN OUT\n"
			"Try 'tuplecheck --help'.\n");
		return 2;
	}
	if (rule_lookup(o->rule, strlen(o->rule), &r.rule) != TC_OK) {
		fprintf(stderr, "tuplecheck: reduce: unknown rule '%s'\nTry 'tuplecheck --help'.\n", o->rule);
		return 2;
	}
	if (o->signature != NULL && (strlen(o->signature) != SIG_HEX ||
				     strspn(o->signature, "0123456789abcdef") != SIG_HEX)) {
		fprintf(stderr, "tuplecheck: reduce: --signature '%s' is not %d lowercase hex digits\n",
			o->signature, SIG_HEX);
		return 2;
	}
	r.signature = o->signature;
	if (oracle_cfg_from_options(o, &r.cfg, err, sizeof(err)) != TC_OK) {
		fprintf(stderr, "tuplecheck: %s\nTry 'tuplecheck --help'.\n", err);
		return 2;
	}
	if (r.rule == R_PORT_EPHEMERAL_RANGE && !r.cfg.have_range) {
		fprintf(stderr, "tuplecheck: reduce: port.ephemeral-range needs --ephemeral-range LO-HI or --profile\n");
		return 2;
	}
	/* The rule asked for is on, whatever the defaults say. */
	r.cfg.rules.on[r.rule] = true;
	o->checksums = rules_need_checksums(&r.cfg.rules);

	in_name = name_for_line(file_display_name(o->files[0]), in_buf, sizeof(in_buf));
	out_name = name_for_line(o->files[1], out_buf, sizeof(out_buf));
	in.n_files = 1;
	in.format = FMT_TEXT;
	load_failed = tc_drive(&in, &ops, &r) != 0;
	if ((load_failed && r.n == 0) || tc_interrupted)
		goto interrupted;
	/* IN stopped early (the driver said why): reduce what was read, but
	 * the exit status stays 2, as for every input that cannot be read */
	if (load_failed)
		snprintf(from, sizeof(from), " in the %zu packets read before the error", r.n);
	if (r.oom) {
		fprintf(stderr, "tuplecheck: reduce: %s: out of memory loading the capture\n", in_name);
		goto out;
	}
	if (!out_check(o->files[1], out_name, &created))
		goto out;
	idx = malloc((r.n ? r.n : 1) * sizeof(*idx));
	scratch = malloc((r.n ? r.n : 1) * sizeof(*scratch));
	if (idx == NULL || scratch == NULL) {
		fprintf(stderr, "tuplecheck: reduce: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < r.n; i++)
		idx[i] = i;
	k = before = r.best = r.n;

	r.want_tuple = true;
	if (!is_reproduced(&r, idx, k)) {
		if (tc_interrupted)
			goto interrupted;
		fprintf(stderr, "tuplecheck: reduce: %s does not show %s%s%s%s\n",
			in_name, rule_info(r.rule)->id,
			r.signature ? " with signature " : "", r.signature ? r.signature : "", from);
		status = load_failed ? 2 : 1;
		goto out;
	}
	r.want_tuple = false;
	/* Without --signature, keep the defect of the first finding of the rule,
	 * so the reduction cannot drift to another transition of it. */
	if (r.signature == NULL) {
		r.signature = r.hit_sig;
		fprintf(stderr, "tuplecheck reduce: keeping %s signature %s (first found at frame %" PRIu64 ")\n",
			rule_info(r.rule)->id, r.hit_sig, r.recs[r.found_at].frame);
	}
	/* Pass 1: nothing after the first hit can matter (host rules excepted). */
	if (rule_info(r.rule)->dedup != DEDUP_HOST)
		k = r.found_at + 1;
	/* Pass 2: the finding's own flow alone, or its host's packets alone. */
	if (r.have_hit_key || r.hit_host_ver != 0) {
		size_t m = 0;

		for (size_t i = 0; i < k; i++)
			if (is_own_packet(&r, &r.recs[idx[i]]))
				scratch[m++] = idx[i];
		if (m > 0 && m < k && is_reproduced(&r, scratch, m)) {
			memcpy(idx, scratch, m * sizeof(*idx));
			k = m;
		}
	}
	ddmin(&r, idx, &k, scratch);
	if (r.oom) {
		fprintf(stderr, "tuplecheck: reduce: out of memory\n");
		goto out;
	}

	f = fopen(o->files[1], "wb");
	if (f == NULL) {
		fprintf(stderr, "tuplecheck: reduce: %s: cannot create: %m\n", out_name);
		goto out;
	}
	werr = 0;
	if ((!r.pcapng || is_one_linktype(&r, idx, k)) && is_pcap_times(&r, idx, k))
		write_pcap(f, &r, idx, k);
	else if (write_pcapng(f, &r, idx, k) != TC_OK)
		werr = ENOMEM;
	if (werr == 0)
		werr = stream_flush(f);
	errno = 0;
	if (fclose(f) != 0 && werr == 0)
		werr = errno != 0 ? errno : -1;
	if (werr != 0) {
		/* a cut capture would mislead whoever replays it: remove it (a
		 * regular file only: OUT may be a device or a pipe) */
		struct stat sb;
		bool removed = stat(o->files[1], &sb) == 0 && S_ISREG(sb.st_mode) &&
			       unlink(o->files[1]) == 0;

		fprintf(stderr, "tuplecheck: reduce: %s: write failed%s%s%s\n", out_name,
			werr > 0 ? ": " : "", werr > 0 ? strerror(werr) : "",
			removed ? " (the partial file is removed)" : "");
		goto out;
	}
	if (r.filtered > 0)
		snprintf(err, sizeof(err), "%zu of %" PRIu64 " packets selected by --filter", before, r.read);
	else
		snprintf(err, sizeof(err), "%zu", before);
	fprintf(stderr, "tuplecheck reduce: %s: %s -> %zu packets in %lu oracle runs%s; wrote %s%s\n",
		in_name, err, k, r.runs,
		!r.stopped ? "" : tc_interrupted ? " (interrupted: not minimal)" :
		" (stopped at the run cap: not minimal)", out_name,
		load_failed ? " (from the packets read before the error)" : "");
	created = false;
	status = load_failed ? 2 : 0;
	goto out;
interrupted:
	/* nothing known to reproduce yet: say so rather than leave OUT missing
	 * without a word (the driver names the file only when it was reading) */
	if (tc_interrupted)
		fprintf(stderr, "tuplecheck: reduce: interrupted before a reproducing capture was found; %s not written\n",
			out_name);
out:
	if (created)            /* nothing was written into the OUT made empty */
		(void)unlink(o->files[1]);
	free(idx);
	free(scratch);
	free_recs(&r);
	return status;
}
