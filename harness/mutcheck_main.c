/*
 * mutcheck_main.c - what the custom mutators make, measured: a driver for
 * tests/t_fuzz_mutator.sh that applies mutator NAME (pcap or engine) to
 * every file of the folders given, ROUNDS times each from a fixed seed, and
 * counts how many results still parse where the target needs them to:
 *   pcap:   the result opens (cap_open) and every record reads (cap_next
 *           ends with TC_END); of its IPv4 packets with TCP/UDP wholly
 *           captured, how many carry correct IP and transport checksums;
 *   engine: the script's records re-read (es_next) and re-written
 *           (es_encode) give the same bytes after the configuration byte
 *           (framing intact), and how many records are packets.
 * The same is counted for plain byte mutation of the same inputs (the
 * fallback havoc: what a mutator without structure does), so the test can
 * demand that structure survives far more often with the mutator.
 *
 *   build/fuzz/repro/mutcheck NAME ROUNDS DIR...
 * Prints one line: "mutcheck: name=NAME inputs=N outputs=N ok=N raw_ok=N
 * packets=N csum_ok=N raw_packets=N raw_csum_ok=N too_long=N fixed=N
 * fixed_ok=N fixed6=N snapped_ok=N frag=N frag_ok=N l3_seen=N l3_ok=N
 * csum_broken=N raw_csum_broken=N deleted=N handshakes=N orig_shortened=N
 * lost_shb=N raw_lost_shb=N".
 * pcap: fixed/fixed_ok: IPv4 and IPv6 (fixed6 of them) TCP/UDP packets
 * read whose lengths, checksums and TCP data offset were scrambled and
 * repaired by mut_fix_ip, and how many of those then decode cleanly with
 * correct checksums; snapped_ok: of them, how many got the wire's IP and
 * UDP lengths when their last byte was left out of cap; frag/frag_ok: as
 * IPv4 first fragments, how many kept their transport header untouched;
 * l3_seen/l3_ok: IP packets the decoder found on a link type
 * mut_l3_offset lists, and how many of those it found at the same offset;
 * csum_broken: results holding more packets with a wrong checksum than
 * their input (raw_: the same for byte mutation); orig_shortened: results
 * holding more records captured longer than they were on the wire;
 * lost_shb: results of a pcapng input that start with another block than
 * its Section Header Block (raw_: the same for byte mutation).
 * engine: deleted: results with one record fewer than their input (with
 * framing intact); handshakes: results with more complete handshakes
 * (SYN, SYN+ACK in the reply direction, ACK on one tuple) than their input.
 *
 *   build/fuzz/repro/mutcheck play FILE
 * Plays one packet script the way fuzz_engine does (es_config_decode,
 * es_next, es_play) and prints what it became, so that a test can hold the
 * script reader and player to the format engine_script.h documents: a line
 * "config msl=S range=LO-HI flows=N defaults=0|1 idle=TCP/UDP", then per
 * record "SEC.NSEC clock" or "SEC.NSEC tcp|udp SRC.PORT > DST.PORT
 * flags=0xFFF seq=N ack=N win=N len=N" (addresses as inet_ntop writes
 * them), and "roundtrip-mismatch" after a record that es_encode and es_next
 * do not give back unchanged.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "decode.h"
#include "engine_script.h"
#include "mutator.h"
#include "pktcheck.h"

#define MAX_IN (1u << 20)

struct tally {
	unsigned long inputs, outputs, ok, packets, csum_ok, too_long;
	unsigned long fixed, fixed_ok, fixed6, snapped_ok, frag, frag_ok;
	unsigned long l3_seen, l3_ok;
	unsigned long csum_broken, deleted, handshakes;
	unsigned long orig_short, orig_shortened;
	unsigned long lost_shb;
};

/* A pcapng input (Section Header Block first) whose result starts with
 * another standard block type, in either byte order: the section header
 * was deleted as if it were a record. Byte mutation reaches that only by
 * copying a block type over the first 4 bytes. */
static bool lost_shb(const uint8_t *in, size_t n, const uint8_t *out, size_t m)
{
	static const uint32_t types[] = { 1, 2, 3, 5, 6 };  /* IDB SPB NRB ISB EPB */
	uint32_t first;

	if (n < 4 || m < 4 || mut_be32(in) != 0x0a0d0d0a)
		return false;
	first = mut_be32(out);      /* a little-endian type t reads as t << 24 */
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (first == types[i] || first == types[i] << 24)
			return true;
	return false;
}

/* mut_fix_ip on a wholly captured IP packet (IPv4, or IPv6 without
 * extension headers) whose length fields, checksums and, for TCP, data
 * offset were scrambled must give back a packet that decodes with its
 * transport header and correct checksums. The same packet with its last
 * byte not captured must get the lengths of the wire (IP and UDP), and as
 * an IPv4 first fragment (MF set) its transport header must stay as it was. */
static void fix_ip_check(const struct cap_packet *cp, struct tally *t)
{
	uint8_t *f;
	long l3 = mut_l3_offset(cp->linktype, cp->data, cp->caplen);
	struct pkt p;

	if (l3 < 0 || cp->caplen != cp->origlen || cp->caplen - (size_t)l3 < 60)
		return;
	f = malloc(cp->caplen);
	if (f == NULL)
		return;
	memcpy(f, cp->data, cp->caplen);
	decode_packet(cp->linktype, f, cp->caplen, cp->origlen, &p);
	if (p.have_l4 && !p.is_fragment && (p.l4 == L4_TCP || p.l4 == L4_UDP) && p.n_err == 0 &&
	    (p.ipver == 4 || p.ip_hlen == 40) && p.ip_len == cp->caplen - (size_t)l3) {
		uint8_t *ip = f + l3, *l4 = ip + p.ip_hlen, keep[20];
		size_t len = cp->caplen - (size_t)l3, hl = p.ip_hlen;
		bool udp = p.l4 == L4_UDP;

		t->fixed++;
		t->fixed6 += p.ipver == 6;
		if (p.ipver == 4) {
			ip[2] ^= 0x5a;          /* total length */
			ip[10] ^= 0xff;         /* header checksum */
		} else {
			ip[5] ^= 0x5a;          /* payload length */
		}
		if (udp) {
			l4[4] ^= 0x33;          /* length */
			l4[6] ^= 0x0f;          /* checksum */
		} else {
			l4[12] &= 0x0f;         /* data offset 0 */
			l4[16] ^= 0xf0;         /* checksum */
		}
		/* the last byte not captured: lengths still from the wire */
		mut_fix_ip(ip, len - 1, len, true);
		if (mut_be16(ip + (p.ipver == 4 ? 2 : 4)) == (p.ipver == 4 ? len : len - 40) &&
		    (!udp || mut_be16(l4 + 4) == len - hl))
			t->snapped_ok++;
		mut_fix_ip(ip, len, len, true);
		decode_packet(cp->linktype, f, cp->caplen, cp->origlen, &p);
		if (p.have_l4 && p.n_err == 0 && p.ip_len == len && !pktcheck_checksums(&p))
			t->fixed_ok++;
		if (p.ipver == 4) {
			/* a first fragment: the transport header is not all there */
			t->frag++;
			ip[6] |= 0x20;
			l4[udp ? 4 : 16] ^= 0x33;
			memcpy(keep, l4, sizeof(keep));
			mut_fix_ip(ip, len, len, true);
			t->frag_ok += memcmp(keep, l4, sizeof(keep)) == 0;
		}
	}
	free(f);
}

static bool l3_linktype(uint32_t lt)
{
	return lt == 0 || lt == 1 || lt == 9 || lt == 12 || lt == 14 || lt == 50 || lt == 51 ||
	       lt == 101 || lt == 104 || lt == 108 || lt == 113 || lt == 228 || lt == 229 ||
	       lt == 276;
}

/* The file opens and every record reads; counts checksummable packets. */
static int pcap_ok(const uint8_t *d, size_t n, struct tally *t)
{
	struct cap_reader *r = malloc(sizeof(*r));
	struct cap_packet cp;
	enum tc_rc rc;
	int ok = 0;

	if (r == NULL)
		return 0;
	if (cap_open(r, d, n) == TC_OK) {
		while ((rc = cap_next(r, &cp)) == TC_OK) {
			struct pkt p;

			fix_ip_check(&cp, t);
			t->orig_short += cp.caplen > cp.origlen;
			decode_packet(cp.linktype, cp.data, cp.caplen, cp.origlen, &p);
			/* the mutators find the IP header where the decoder does, on
			 * the link types mut_l3_offset lists (Ethernet: two tags) */
			if (p.have_ip && p.n_vlan <= 2 && l3_linktype(cp.linktype)) {
				t->l3_seen++;
				t->l3_ok += mut_l3_offset(cp.linktype, cp.data, cp.caplen) ==
					    (long)(p.l3 - cp.data);
			}
			if (p.have_l4 && p.ipver == 4 && !p.is_fragment &&
			    (p.l4 == L4_TCP || p.l4 == L4_UDP) && p.l3_caplen >= p.ip_len) {
				t->packets++;
				if (!pktcheck_checksums(&p))
					t->csum_ok++;
			}
		}
		ok = rc == TC_END;
	}
	cap_close(r);
	free(r);
	return ok;
}

/* Records re-encode to the same bytes. */
static int engine_ok(const uint8_t *d, size_t n, struct tally *t)
{
	struct cursor c = cur_make(d, n);
	struct es_record rec;
	uint8_t sel, enc[1 + ES_BODY_LEN];
	size_t at = 1;

	if (rd_u8(&c, &sel) != TC_OK)
		return 0;
	while (es_next(&c, &rec) == TC_OK) {
		size_t w = es_encode(&rec, enc, sizeof(enc));

		if (w == 0 || at + w > n || memcmp(d + at, enc, w) != 0)
			return 0;
		at += w;
		if (!(rec.flags & ES_CLOCK_ONLY))
			t->packets++;
	}
	return at == n;
}

/* Records of a script, and complete handshakes in it: SYN, SYN+ACK in
 * the reply direction, ACK, one after the other on the same tuple. */
static unsigned long script_count(const uint8_t *d, size_t n, unsigned long *handshakes)
{
	struct cursor c = cur_make(d, n);
	struct es_record w[3];
	unsigned long k = 0;

	*handshakes = 0;
	(void)rd_u8(&c, &w[0].ctl);
	while (es_next(&c, &w[k % 3]) == TC_OK) {
		const struct es_record *a = &w[(k + 1) % 3], *b = &w[(k + 2) % 3], *x = &w[k % 3];

		k++;
		if (k >= 3 && (a->flags & 0xfff) == 0x002 && (b->flags & 0xfff) == 0x012 &&
		    (x->flags & 0xfff) == 0x010 && !(a->ctl & ES_CTL_REVERSE) &&
		    (b->ctl & ES_CTL_REVERSE) && !(x->ctl & ES_CTL_REVERSE) &&
		    ((a->ctl ^ b->ctl) & 0xfe) == 0 && ((a->ctl ^ x->ctl) & 0xfe) == 0 &&
		    a->cport == b->cport && a->cport == x->cport && a->sport == b->sport &&
		    a->sport == x->sport)
			(*handshakes)++;
	}
	return k;
}

static void one(const char *name, const uint8_t *in, size_t n, unsigned rounds, size_t max,
		struct tally *mut, struct tally *raw)
{
	uint8_t *buf = malloc(max);
	struct mut_rng r;
	int is_pcap = strcmp(name, "pcap") == 0;

	unsigned long recs_in = 0, hs_in = 0, bad_in = 0, short_in = 0;

	if (buf == NULL)
		return;
	if (is_pcap) {
		struct tally in_t = { 0 };

		(void)pcap_ok(in, n, &in_t);
		bad_in = in_t.packets - in_t.csum_ok;
		short_in = in_t.orig_short;
	} else {
		recs_in = script_count(in, n, &hs_in);
	}
	mut->inputs++;
	raw->inputs++;
	for (unsigned k = 0; k < rounds; k++) {
		size_t m;

		mut_seed(&r, (uint64_t)k * 7919 + n);
		memcpy(buf, in, n);
		m = is_pcap ? mut_pcap(buf, n, max, &r) : mut_engine(buf, n, max, &r);
		mut->outputs++;
		mut->too_long += m > max;
		if (is_pcap) {
			unsigned long bad = mut->packets - mut->csum_ok, sh = mut->orig_short;

			mut->ok += pcap_ok(buf, m, mut);
			mut->lost_shb += lost_shb(in, n, buf, m);
			/* a record captured longer than it was on the wire, more than in the input */
			mut->orig_shortened += mut->orig_short - sh > short_in;
			/* a packet with a wrong checksum more than in the input */
			mut->csum_broken += mut->packets - mut->csum_ok - bad > bad_in;
		} else if (engine_ok(buf, m, mut)) {
			unsigned long hs, recs = script_count(buf, m, &hs);

			mut->ok++;
			mut->deleted += recs + 1 == recs_in;
			mut->handshakes += hs > hs_in;
		}

		mut_seed(&r, (uint64_t)k * 7919 + n);
		memcpy(buf, in, n);
		m = mut_bytes(buf, n, max, &r);
		raw->outputs++;
		if (is_pcap) {
			unsigned long bad = raw->packets - raw->csum_ok;

			raw->ok += pcap_ok(buf, m, raw);
			raw->lost_shb += lost_shb(in, n, buf, m);
			raw->csum_broken += raw->packets - raw->csum_ok - bad > bad_in;
		} else {
			raw->ok += engine_ok(buf, m, raw);
		}
	}
	free(buf);
}

static bool same_record(const struct es_record *a, const struct es_record *b)
{
	return a->ctl == b->ctl && a->step == b->step && a->cport == b->cport &&
	       a->sport == b->sport && a->flags == b->flags && a->seq == b->seq &&
	       a->ack == b->ack && a->win == b->win && a->payload_len == b->payload_len &&
	       a->opts == b->opts && a->tsval == b->tsval && a->tsecr == b->tsecr;
}

/* mutcheck play FILE: the script's records as fuzz_engine plays them. */
static int play(const char *path, uint8_t *in)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	struct cursor c;
	struct es_config cfg;
	struct es_player pl;
	struct es_record rec, back;
	struct es_packet ep;
	uint8_t sel = 0, enc[1 + ES_BODY_LEN];

	if (f == NULL) {
		perror(path);
		return 2;
	}
	n = fread(in, 1, MAX_IN, f);
	fclose(f);
	c = cur_make(in, n);
	(void)rd_u8(&c, &sel);
	es_config_decode(sel, &cfg);
	printf("config msl=%u range=%u-%u flows=%llu defaults=%d idle=%u/%u\n", cfg.msl_sec,
	       cfg.eph_lo, cfg.eph_hi, (unsigned long long)cfg.max_flows, cfg.default_rules,
	       cfg.tcp_idle_sec, cfg.udp_idle_sec);
	es_player_init(&pl);
	while (es_next(&c, &rec) == TC_OK) {
		struct cursor e = cur_make(enc, es_encode(&rec, enc, sizeof(enc)));
		char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
		int af;

		if (es_play(&pl, &rec, &ep) != TC_OK) {
			printf("%lld.%09u clock\n", (long long)ep.ts_sec, ep.ts_nsec);
		} else {
			af = ep.ipver == 4 ? AF_INET : AF_INET6;
			inet_ntop(af, ep.src, src, sizeof(src));
			inet_ntop(af, ep.dst, dst, sizeof(dst));
			printf("%lld.%09u %s %s.%u > %s.%u flags=0x%03x seq=%u ack=%u win=%u len=%u\n",
			       (long long)ep.ts_sec, ep.ts_nsec, ep.udp ? "udp" : "tcp", src, ep.sport,
			       dst, ep.dport, ep.flags, ep.seq, ep.ack, ep.win, ep.payload_len);
		}
		if (es_next(&e, &back) != TC_OK || !same_record(&rec, &back))
			printf("roundtrip-mismatch\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tally mut = { 0 }, raw = { 0 };
	unsigned rounds;
	uint8_t *in = malloc(MAX_IN);
	size_t max;

	if (argc == 3 && strcmp(argv[1], "play") == 0 && in != NULL) {
		int rc = play(argv[2], in);

		free(in);
		return rc;
	}
	if (argc < 4 || (strcmp(argv[1], "pcap") != 0 && strcmp(argv[1], "engine") != 0) || in == NULL) {
		fprintf(stderr, "usage: mutcheck pcap|engine ROUNDS DIR... | mutcheck play FILE\n");
		free(in);
		return 2;
	}
	rounds = (unsigned)strtoul(argv[2], NULL, 10);
	max = strcmp(argv[1], "pcap") == 0 ? 65536 : 16384;
	for (int i = 3; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (d == NULL) {
			perror(argv[i]);
			free(in);
			return 2;
		}
		while ((e = readdir(d)) != NULL) {
			char path[4096];
			FILE *f;
			size_t n;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			f = fopen(path, "rb");
			if (f == NULL)
				continue;
			n = fread(in, 1, MAX_IN, f);
			fclose(f);
			if (n > max)
				continue;       /* larger than the fuzzer's -max_len */
			if (strcmp(argv[1], "pcap") == 0 && !pcap_ok(in, n, &(struct tally){ 0 }))
				continue;       /* only valid files: does the mutator keep them so? */
			one(argv[1], in, n, rounds, max, &mut, &raw);
		}
		closedir(d);
	}
	printf("mutcheck: name=%s inputs=%lu outputs=%lu ok=%lu raw_ok=%lu packets=%lu csum_ok=%lu "
	       "raw_packets=%lu raw_csum_ok=%lu too_long=%lu fixed=%lu fixed_ok=%lu fixed6=%lu "
	       "snapped_ok=%lu frag=%lu frag_ok=%lu l3_seen=%lu l3_ok=%lu csum_broken=%lu "
	       "raw_csum_broken=%lu deleted=%lu handshakes=%lu orig_shortened=%lu "
	       "lost_shb=%lu raw_lost_shb=%lu\n", argv[1],
	       mut.inputs, mut.outputs, mut.ok, raw.ok, mut.packets, mut.csum_ok, raw.packets,
	       raw.csum_ok, mut.too_long, mut.fixed, mut.fixed_ok, mut.fixed6, mut.snapped_ok,
	       mut.frag, mut.frag_ok, mut.l3_seen, mut.l3_ok, mut.csum_broken, raw.csum_broken,
	       mut.deleted, mut.handshakes, mut.orig_shortened, mut.lost_shb, raw.lost_shb);
	free(in);
	return 0;
}
