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
 * fixed_ok=N". fixed/fixed_ok (pcap): IPv4 TCP/UDP packets read whose
 * lengths and checksums were scrambled and repaired by mut_fix_ip, and how
 * many of those then decode cleanly with correct checksums.
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
	unsigned long fixed, fixed_ok;
};

/* mut_fix_ip on a wholly captured IP packet whose length fields and
 * checksums were scrambled must give back a packet that decodes with its
 * transport header and correct checksums. */
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
	    p.ipver == 4 && p.ip_len == cp->caplen - (size_t)l3) {
		uint8_t *ip = f + l3, *l4 = ip + (ip[0] & 15) * 4;

		t->fixed++;
		ip[2] ^= 0x5a;                  /* total length */
		ip[10] ^= 0xff;                 /* header checksum */
		if (p.l4 == L4_UDP) {
			l4[4] ^= 0x33;          /* length */
			l4[6] ^= 0x0f;          /* checksum */
		} else {
			l4[16] ^= 0xf0;         /* checksum */
		}
		mut_fix_ip(ip, cp->caplen - (size_t)l3, cp->origlen - (size_t)l3, true);
		decode_packet(cp->linktype, f, cp->caplen, cp->origlen, &p);
		if (p.have_l4 && p.n_err == 0 && p.ip_len == cp->caplen - (size_t)l3 &&
		    !pktcheck_checksums(&p))
			t->fixed_ok++;
	}
	free(f);
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
			decode_packet(cp.linktype, cp.data, cp.caplen, cp.origlen, &p);
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

static void one(const char *name, const uint8_t *in, size_t n, unsigned rounds, size_t max,
		struct tally *mut, struct tally *raw)
{
	uint8_t *buf = malloc(max);
	struct mut_rng r;
	int is_pcap = strcmp(name, "pcap") == 0;

	if (buf == NULL)
		return;
	mut->inputs++;
	raw->inputs++;
	for (unsigned k = 0; k < rounds; k++) {
		size_t m;

		mut_seed(&r, (uint64_t)k * 7919 + n);
		memcpy(buf, in, n);
		m = is_pcap ? mut_pcap(buf, n, max, &r) : mut_engine(buf, n, max, &r);
		mut->outputs++;
		mut->too_long += m > max;
		mut->ok += is_pcap ? pcap_ok(buf, m, mut) : engine_ok(buf, m, mut);

		mut_seed(&r, (uint64_t)k * 7919 + n);
		memcpy(buf, in, n);
		m = mut_bytes(buf, n, max, &r);
		raw->outputs++;
		raw->ok += is_pcap ? pcap_ok(buf, m, raw) : engine_ok(buf, m, raw);
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
		return 2;
	}
	rounds = (unsigned)strtoul(argv[2], NULL, 10);
	max = strcmp(argv[1], "pcap") == 0 ? 65536 : 16384;
	for (int i = 3; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (d == NULL) {
			perror(argv[i]);
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
	       "raw_packets=%lu raw_csum_ok=%lu too_long=%lu fixed=%lu fixed_ok=%lu\n", argv[1],
	       mut.inputs, mut.outputs, mut.ok, raw.ok, mut.packets, mut.csum_ok, raw.packets,
	       raw.csum_ok, mut.too_long, mut.fixed, mut.fixed_ok);
	free(in);
	return 0;
}
