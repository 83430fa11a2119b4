/*
 * mutator.c - the pieces mutator_pcap.c and mutator_engine.c share: a
 * PRNG, byte mutation, finding the IP header in a frame, and fixing IP,
 * UDP and TCP length fields and checksums (RFC 791 section 3.1, RFC 768,
 * RFC 9293 section 3.1 with the RFC 8200 section 8.1 pseudo-header for
 * IPv6; the sum is RFC 1071's).
 */
#include <stdlib.h>
#include <string.h>

#include "mutator.h"

/* ---- randomness ------------------------------------------------------------- */

void mut_seed(struct mut_rng *r, uint64_t seed)
{
	r->s = seed ^ UINT64_C(0x6a09e667f3bcc908);
}

uint64_t mut_rand(struct mut_rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint32_t mut_below(struct mut_rng *r, uint32_t n)
{
	return n ? (uint32_t)(mut_rand(r) % n) : 0;
}

bool mut_disabled(void)
{
	static int off = -1;

	if (off < 0) {
		const char *v = getenv("TC_FUZZ_NO_CUSTOM_MUTATOR");

		off = v != NULL && v[0] == '1';
	}
	return off != 0;
}

/* ---- bytes -------------------------------------------------------------------- */

static const int32_t interesting[] = { 0, 1, -1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000,
				       0xffff, 0x10000, 0x7fffffff, (int32_t)0x80000000u };

static size_t havoc_one(uint8_t *d, size_t n, size_t max, struct mut_rng *r)
{
	size_t at, len, to;

	if (n == 0) {
		if (max == 0)
			return 0;
		d[0] = (uint8_t)mut_rand(r);
		return 1;
	}
	at = mut_below(r, (uint32_t)n);
	switch (mut_below(r, 8)) {
	case 0:
		d[at] ^= (uint8_t)(1u << mut_below(r, 8));
		break;
	case 1:
		d[at] = (uint8_t)mut_rand(r);
		break;
	case 2:
		d[at] = (uint8_t)interesting[mut_below(r, 6)];
		break;
	case 3:
		if (at + 1 < n)
			mut_put16(d + at, (uint16_t)(mut_be16(d + at) + mut_below(r, 33) - 16));
		break;
	case 4:
		if (at + 3 < n)
			mut_put32(d + at, (uint32_t)interesting[mut_below(r, 13)]);
		break;
	case 5:                 /* delete a block */
		len = 1 + mut_below(r, (uint32_t)(n - at < 16 ? n - at : 16));
		memmove(d + at, d + at + len, n - at - len);
		n -= len;
		break;
	case 6:                 /* insert random bytes */
		len = 1 + mut_below(r, 8);
		if (n + len > max)
			break;
		memmove(d + at + len, d + at, n - at);
		for (size_t i = 0; i < len; i++)
			d[at + i] = (uint8_t)mut_rand(r);
		n += len;
		break;
	default:                /* copy a block over another place */
		len = 1 + mut_below(r, (uint32_t)(n - at < 16 ? n - at : 16));
		to = mut_below(r, (uint32_t)(n - len + 1));
		memmove(d + to, d + at, len);
		break;
	}
	return n;
}

size_t mut_bytes(uint8_t *data, size_t size, size_t max, struct mut_rng *r)
{
	unsigned k;

	if (LLVMFuzzerMutate != NULL)
		return LLVMFuzzerMutate(data, size, max);
	for (k = 1 + mut_below(r, 4); k > 0; k--)
		size = havoc_one(data, size, max, r);
	return size;
}

/* ---- frames ------------------------------------------------------------------- */

static long ip_at(const uint8_t *f, size_t cap, size_t off)
{
	if (off + 20 > cap)
		return -1;
	if ((f[off] >> 4) == 4 || (f[off] >> 4) == 6)
		return (long)off;
	return -1;
}

static long after_ppp_proto(const uint8_t *f, size_t cap, size_t off);

/* The IP header after EtherType et, which sits at f + off - 2: IP itself,
 * an MPLS stack or a PPPoE session header. */
static long after_ethertype(const uint8_t *f, size_t cap, uint16_t et, size_t off)
{
	if (et == 0x0800 || et == 0x86dd)
		return ip_at(f, cap, off);
	if (et == 0x8847 || et == 0x8848) {
		while (off + 4 <= cap) {
			off += 4;
			if (f[off - 2] & 1)             /* bottom of stack */
				return ip_at(f, cap, off);
		}
		return -1;
	}
	if (et == 0x8864 && off + 6 <= cap && f[off] == 0x11 && f[off + 1] == 0)
		return after_ppp_proto(f, cap, off + 6);
	return -1;
}

/* The IP header after a PPP protocol field at f + off (one byte when odd). */
static long after_ppp_proto(const uint8_t *f, size_t cap, size_t off)
{
	uint16_t proto;

	if (off >= cap)
		return -1;
	proto = f[off++];
	if ((proto & 1) == 0) {
		if (off >= cap)
			return -1;
		proto = (uint16_t)(proto << 8 | f[off++]);
	}
	if (proto == 0x21 || proto == 0x57)
		return ip_at(f, cap, off);
	if (proto == 0x281 || proto == 0x283)
		return after_ethertype(f, cap, 0x8847, off);
	return -1;
}

long mut_l3_offset(uint32_t lt, const uint8_t *f, size_t cap)
{
	size_t off;
	uint16_t et;
	uint32_t fam;
	int tags = 0;

	switch (lt) {
	case 1:                                 /* Ethernet */
		if (cap < 14)
			return -1;
		off = 12;
		et = mut_be16(f + off);
		while ((et == 0x8100 || et == 0x88a8) && tags < 2 && off + 6 <= cap) {
			off += 4;
			et = mut_be16(f + off);
			tags++;
		}
		return after_ethertype(f, cap, et, off + 2);
	case 9: case 50:                        /* PPP, or Cisco HDLC */
		if (cap >= 4 && (f[0] == 0x0f || f[0] == 0x8f))
			return after_ethertype(f, cap, mut_be16(f + 2), 4);
		if (cap >= 2 && f[0] == 0xff)
			return f[1] == 0x03 ? after_ppp_proto(f, cap, 2) : -1;
		return after_ppp_proto(f, cap, 0);
	case 104:                               /* Cisco HDLC */
		return cap >= 4 ? after_ethertype(f, cap, mut_be16(f + 2), 4) : -1;
	case 51:                                /* PPPoE, no Ethernet */
		return after_ethertype(f, cap, 0x8864, 0);
	case 12: case 14: case 101: case 228: case 229:
		return ip_at(f, cap, 0);
	case 0: case 108:                       /* loopback: AF_ in 4 bytes, either order */
		if (cap < 4)
			return -1;
		fam = (uint32_t)f[0] | (uint32_t)f[1] << 8 | (uint32_t)f[2] << 16 | (uint32_t)f[3] << 24;
		if (fam > 0xffff)
			fam = mut_be32(f);
		if (fam != 2 && fam != 24 && fam != 28 && fam != 30)
			return -1;
		return ip_at(f, cap, 4);
	case 113:                               /* Linux SLL */
		if (cap < 16)
			return -1;
		return after_ethertype(f, cap, mut_be16(f + 14), 16);
	case 276:                               /* Linux SLL2 */
		if (cap < 20)
			return -1;
		return after_ethertype(f, cap, mut_be16(f), 20);
	default:
		return -1;
	}
}

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		s += (uint32_t)p[i] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Transport checksum over the pseudo-header of ip (v4 or v6). */
static uint16_t l4_sum(const uint8_t *ip, bool v6, uint8_t proto, const uint8_t *l4, size_t len)
{
	uint32_t s = v6 ? sum16(0, ip + 8, 32) : sum16(0, ip + 12, 8);

	s += proto;
	s += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	return fold(sum16(s, l4, len));
}

void mut_fix_ip(uint8_t *ip, size_t cap, size_t wire, bool csum)
{
	bool v6;
	size_t hl, l4wire, l4cap;
	uint8_t proto;
	uint8_t *l4;

	if (wire < cap)
		wire = cap;
	if (cap < 20)
		return;
	v6 = (ip[0] >> 4) == 6;
	if (!v6) {
		if ((ip[0] & 15) < 5)
			ip[0] = (uint8_t)((ip[0] & 0xf0) | 5);
		hl = (size_t)(ip[0] & 15) * 4;
		if (hl > cap)
			return;
		mut_put16(ip + 2, (uint16_t)(wire > 65535 ? 65535 : wire));
		if (csum) {
			mut_put16(ip + 10, 0);
			mut_put16(ip + 10, fold(sum16(0, ip, hl)));
		}
		if (mut_be16(ip + 6) & 0x3fff)  /* a fragment: no transport header to fix */
			return;
		proto = ip[9];
		wire = wire > 65535 ? 65535 : wire;
		if (wire < hl)
			return;
		l4wire = wire - hl;
	} else {
		if (cap < 40)
			return;
		hl = 40;
		l4wire = wire - 40 > 65535 ? 65535 : wire - 40;
		mut_put16(ip + 4, (uint16_t)l4wire);
		proto = ip[6];
	}
	l4 = ip + hl;
	l4cap = cap - hl;
	if (proto == 17 && l4cap >= 8) {
		mut_put16(l4 + 4, (uint16_t)l4wire);
		if (csum && l4cap >= l4wire && l4wire >= 8) {
			uint16_t c;

			mut_put16(l4 + 6, 0);
			c = l4_sum(ip, v6, 17, l4, l4wire);
			mut_put16(l4 + 6, c ? c : 0xffff);
		}
	} else if (proto == 6 && l4cap >= 20) {
		size_t room = l4cap < l4wire ? l4cap : l4wire, doff = l4[12] >> 4;

		if (doff * 4 > room)
			doff = room / 4;
		if (doff < 5)
			doff = 5;
		l4[12] = (uint8_t)(doff << 4 | (l4[12] & 15));
		if (csum && l4cap >= l4wire && l4wire >= 20) {
			mut_put16(l4 + 16, 0);
			mut_put16(l4 + 16, l4_sum(ip, v6, 6, l4, l4wire));
		}
	}
}

size_t mut_libfuzzer(size_t (*fn)(uint8_t *, size_t, size_t, struct mut_rng *),
		     uint8_t *data, size_t size, size_t max, unsigned int seed)
{
	struct mut_rng r;

	if (mut_disabled() && LLVMFuzzerMutate != NULL)
		return LLVMFuzzerMutate(data, size, max);
	mut_seed(&r, seed);
	return fn(data, size, max, &r);
}
