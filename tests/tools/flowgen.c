/*
 * flowgen.c - adversarial captures for the connection engine's scale tests
 * (tests/t_flows_scale.sh).
 *
 * usage: flowgen collide N OUT.pcap
 *          N SYNs on distinct tuples whose fields all add up to the same
 *          number (src 10.x.y.z with sport 60000 - (x + y + z), fixed
 *          destination 192.0.2.1:80): a hash that sums the tuple's fields
 *          puts every one of them in one bucket.
 *        flowgen outoforder N OUT.pcap
 *          N complete TCP connections (handshake, 100 bytes each way, FIN
 *          exchange) interleaved 64 at a time, one packet per millisecond,
 *          with every third packet stamped up to 10 minutes in the past.
 *        flowgen reuse N OUT.pcap
 *          N connection attempts refused (SYN, then RST+ACK from the
 *          server), one per microsecond, then 300 s later N SYNs on other
 *          tuples: the refused ones expire (2*MSL) while the new ones
 *          arrive, and the new flows take the freed table entries, most of
 *          them in the reverse of their order of arrival; all N are still
 *          open at the end of the file.
 * Ethernet, IPv4 with a valid header checksum, TCP without options (TCP
 * checksums are left zero: the engine does not verify them by default).
 * Deterministic: no randomness but a fixed linear congruential sequence.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1700000000u

static FILE *out;
static uint32_t lcg_state = 12345;

static uint32_t lcg(void)
{
	lcg_state = lcg_state * 1664525u + 1013904223u;
	return lcg_state >> 8;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
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

static void header(void)
{
	uint8_t h[24];

	le32(h, 0xa1b2c3d4u);
	h[4] = 2; h[5] = 0; h[6] = 4; h[7] = 0;
	le32(h + 8, 0);
	le32(h + 12, 0);
	le32(h + 16, 262144);
	le32(h + 20, 1);
	fwrite(h, 1, sizeof(h), out);
}

/* One Ethernet/IPv4/TCP frame at (sec, usec). Addresses host order. */
static void tcp(uint32_t sec, uint32_t usec, uint32_t src, uint16_t sport, uint32_t dst,
		uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t len)
{
	uint8_t f[14 + 20 + 20 + 1500], rec[16];
	uint32_t sum = 0, n = 54u + len;

	memset(f, 0, sizeof(f));
	f[0] = 2; f[5] = 2; f[6] = 2; f[11] = 1;
	be16(f + 12, 0x0800);
	f[14] = 0x45;
	be16(f + 16, (uint16_t)(40 + len));
	f[22] = 64;
	f[23] = 6;
	be32(f + 26, src);
	be32(f + 30, dst);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)f[14 + i] << 8 | f[15 + i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	be16(f + 24, (uint16_t)~sum);
	be16(f + 34, sport);
	be16(f + 36, dport);
	be32(f + 38, seq);
	be32(f + 42, ack);
	f[46] = 0x50;
	f[47] = flags;
	be16(f + 48, 65535);
	le32(rec, sec);
	le32(rec + 4, usec);
	le32(rec + 8, n);
	le32(rec + 12, n);
	fwrite(rec, 1, sizeof(rec), out);
	fwrite(f, 1, n, out);
}

enum { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 };

static void collide(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t x = (i >> 16) & 0xff, y = (i >> 8) & 0xff, z = i & 0xff;
		uint32_t src = 10u << 24 | x << 16 | y << 8 | z;

		tcp(T0 + i / 1000000, i % 1000000, src, (uint16_t)(60000 - (x + y + z)),
		    0xc0000201u, 80, SYN, i * 7919u, 0, 0);
	}
}

/* The 10-packet script of connection c, step k (0..9); false when done. */
static int conn_step(uint32_t c, unsigned k, uint32_t sec, uint32_t usec)
{
	uint32_t cli = 10u << 24 | 1u << 16 | (c >> 8 & 0xff) << 8 | (c & 0xff);
	uint32_t srv = 0xc0000202u;
	uint16_t cp = (uint16_t)(1024 + c % 60000), sp = 80;
	uint32_t ci = c * 1000u, si = c * 3000u + 7;

	switch (k) {
	case 0: tcp(sec, usec, cli, cp, srv, sp, SYN, ci, 0, 0); break;
	case 1: tcp(sec, usec, srv, sp, cli, cp, SYN | ACK, si, ci + 1, 0); break;
	case 2: tcp(sec, usec, cli, cp, srv, sp, ACK, ci + 1, si + 1, 0); break;
	case 3: tcp(sec, usec, cli, cp, srv, sp, PSH | ACK, ci + 1, si + 1, 100); break;
	case 4: tcp(sec, usec, srv, sp, cli, cp, ACK, si + 1, ci + 101, 0); break;
	case 5: tcp(sec, usec, srv, sp, cli, cp, PSH | ACK, si + 1, ci + 101, 100); break;
	case 6: tcp(sec, usec, cli, cp, srv, sp, FIN | ACK, ci + 101, si + 101, 0); break;
	case 7: tcp(sec, usec, srv, sp, cli, cp, FIN | ACK, si + 101, ci + 102, 0); break;
	case 8: tcp(sec, usec, cli, cp, srv, sp, ACK, ci + 102, si + 102, 0); break;
	default: return 0;
	}
	return 1;
}

static void outoforder(uint32_t n)
{
	enum { LIVE = 64 };
	uint32_t conn[LIVE];
	unsigned step[LIVE];
	uint32_t next = 0, live = 0;
	uint64_t ms = 0;

	for (uint32_t i = 0; i < LIVE && next < n; i++, live++) {
		conn[i] = next++;
		step[i] = 0;
	}
	while (live > 0) {
		uint32_t j = lcg() % live;
		uint64_t t = 600000 + ms;            /* ms since T0, room to go back */

		if (lcg() % 3 == 0)
			t -= lcg() % 600000;
		ms++;
		conn_step(conn[j], step[j]++, (uint32_t)(T0 + t / 1000), (uint32_t)(t % 1000) * 1000);
		if (step[j] == 9) {
			if (next < n) {
				conn[j] = next++;
				step[j] = 0;
			} else {
				conn[j] = conn[live - 1];
				step[j] = step[live - 1];
				live--;
			}
		}
	}
}

static void reuse(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t cli = 10u << 24 | 3u << 16 | (i >> 8 & 0xff) << 8 | (i & 0xff);
		uint16_t cp = (uint16_t)(1024 + (i >> 16));

		tcp(T0 + i / 1000000, i % 1000000, cli, cp, 0xc0000203u, 80, SYN, i * 2654435761u, 0, 0);
		tcp(T0 + i / 1000000, i % 1000000, 0xc0000203u, 80, cli, cp, RST | ACK, 0,
		    i * 2654435761u + 1, 0);
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t cli = 10u << 24 | 4u << 16 | (i >> 8 & 0xff) << 8 | (i & 0xff);

		tcp(T0 + 300 + i / 1000000, i % 1000000, cli, (uint16_t)(1024 + (i >> 16)),
		    0xc0000203u, 80, SYN, i * 40503u, 0, 0);
	}
}

int main(int argc, char **argv)
{
	unsigned long n;

	if (argc != 4 || (strcmp(argv[1], "collide") && strcmp(argv[1], "outoforder") &&
			  strcmp(argv[1], "reuse"))) {
		fprintf(stderr, "usage: flowgen collide|outoforder|reuse N OUT.pcap\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	if (n == 0 || n > 16777216) {
		fprintf(stderr, "flowgen: N must be 1 to 2^24\n");
		return 2;
	}
	out = fopen(argv[3], "wb");
	if (out == NULL) {
		perror(argv[3]);
		return 2;
	}
	header();
	if (argv[1][0] == 'c')
		collide((uint32_t)n);
	else if (argv[1][0] == 'r')
		reuse((uint32_t)n);
	else
		outoforder((uint32_t)n);
	if (fclose(out) != 0) {
		perror(argv[3]);
		return 2;
	}
	return 0;
}
