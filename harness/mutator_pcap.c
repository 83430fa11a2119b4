/*
 * mutator_pcap.c - structure-aware mutation of pcap and pcapng files (the
 * fuzz_pcap input).
 *
 * The file is cut into units: the pcap file header, then one unit per
 * record (record header + packet bytes); for pcapng one unit per block
 * (RFC draft-ietf-opsawg-pcapng: type, total length, body, total length
 * again), with Enhanced and Simple Packet Blocks understood and every other
 * block kept as it is. Whatever does not parse (a cut record, garbage after
 * the last block) stays as a raw tail. One mutation is applied:
 *   - one packet's bytes through the byte mutator, with the record's
 *     captured and original lengths following the new size;
 *   - one header field of one packet (addresses and ports taken from
 *     another packet so that tuples meet, TCP flags, sequence and
 *     acknowledgment numbers, IP flags and fragment offset, TTL);
 *   - records duplicated, deleted, swapped or moved;
 *   - a timestamp stepped (milliseconds, past 2*MSL, backwards, or a
 *     fraction out of range);
 *   - original length against captured length (snapped, or corrupt);
 *   - the link type or snapshot length of the file or interface;
 * after which IP lengths follow the record and, 9 times in 10, the
 * IPv4/TCP/UDP checksums are recomputed (mutator.c mut_fix_ip); then the
 * units are written back with every record and block length consistent.
 * 1 call in 8 is raw byte mutation of the whole file instead, and
 * anything that is neither pcap nor pcapng gets raw mutation only.
 */
#include <stdlib.h>
#include <string.h>

#include "mutator.h"

/* Units a file is cut into; the rest stays in the raw tail. */
#define MAX_UNITS 4096
/* Largest packet the byte mutator may grow a packet to. */
#define MAX_PACKET 4096

enum ukind { U_FILEHDR, U_PCAP_REC, U_NG_EPB, U_NG_SPB, U_NG_OTHER, U_NG_SHB, U_NG_IDB };

struct unit {
	enum ukind kind;
	bool be;                 /* byte order of its section */
	const uint8_t *p;        /* its bytes as parsed (in the input copy) */
	size_t len;
	/* mutated copy, when changed */
	uint8_t *own;
};

struct pfile {
	bool ng;
	bool be;                 /* pcap: byte order; pcapng: of the first section */
	size_t rechdr;           /* pcap record header: 16, or 24 (Kuznetzov) */
	uint32_t linktype;       /* pcap: the file's; pcapng: the first IDB's */
	struct unit u[MAX_UNITS];
	size_t n;
	const uint8_t *tail;
	size_t tail_len;
};

static uint32_t rd32(const uint8_t *p, bool be)
{
	return be ? mut_be32(p) : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
					  (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v, bool be)
{
	if (be) {
		mut_put32(p, v);
		return;
	}
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint16_t rd16(const uint8_t *p, bool be)
{
	return be ? mut_be16(p) : (uint16_t)(p[0] | p[1] << 8);
}

/* ---- parsing ------------------------------------------------------------------ */

static bool parse_pcap(struct pfile *f, const uint8_t *d, size_t n)
{
	uint32_t m = mut_be32(d);
	size_t off = 24;

	if (m == 0xa1b2c3d4 || m == 0xa1b23c4d || m == 0xa1b2cd34)
		f->be = true;
	else if (m == 0xd4c3b2a1 || m == 0x4d3cb2a1 || m == 0x34cdb2a1)
		f->be = false;
	else
		return false;
	f->rechdr = (m == 0xa1b2cd34 || m == 0x34cdb2a1) ? 24 : 16;
	f->linktype = rd32(d + 20, f->be) & 0x0fffffff;
	f->u[0] = (struct unit){ U_FILEHDR, f->be, d, 24, NULL };
	f->n = 1;
	while (f->n < MAX_UNITS && off + f->rechdr <= n) {
		uint32_t cap = rd32(d + off + 8, f->be);

		if (cap > n - off - f->rechdr)
			break;
		f->u[f->n++] = (struct unit){ U_PCAP_REC, f->be, d + off, f->rechdr + cap, NULL };
		off += f->rechdr + cap;
	}
	f->tail = d + off;
	f->tail_len = n - off;
	return true;
}

static bool parse_pcapng(struct pfile *f, const uint8_t *d, size_t n)
{
	size_t off = 0;
	bool be = false, have_lt = false;

	if (mut_be32(d) != 0x0a0d0d0a || n < 12)
		return false;
	f->ng = true;
	while (f->n < MAX_UNITS && off + 12 <= n) {
		uint32_t type, len;
		enum ukind k;

		if (mut_be32(d + off) == 0x0a0d0d0a) {  /* SHB: its own byte order */
			if (off + 12 > n)
				break;
			if (mut_be32(d + off + 8) == 0x1a2b3c4d)
				be = true;
			else if (rd32(d + off + 8, false) == 0x1a2b3c4d)
				be = false;
			else
				break;
			if (f->n == 0)
				f->be = be;
		}
		type = rd32(d + off, be);
		len = rd32(d + off + 4, be);
		if (len < 12 || len % 4 != 0 || len > n - off || rd32(d + off + len - 4, be) != len)
			break;
		switch (type) {
		case 0x0a0d0d0a: k = U_NG_SHB; break;
		case 1: k = U_NG_IDB; break;
		case 3: k = U_NG_SPB; break;
		case 6: k = len >= 32 ? U_NG_EPB : U_NG_OTHER; break;
		default: k = U_NG_OTHER; break;
		}
		if (k == U_NG_IDB && !have_lt && len >= 20) {
			f->linktype = rd16(d + off + 8, be);
			have_lt = true;
		}
		f->u[f->n++] = (struct unit){ k, be, d + off, len, NULL };
		off += len;
	}
	f->tail = d + off;
	f->tail_len = n - off;
	return f->n > 0;
}

/* ---- packets inside units ----------------------------------------------------- */

/* The packet bytes of a unit (pcap record, EPB, SPB): offset and length
 * within the unit. False for units without a packet. */
static bool packet_of(const struct pfile *f, const struct unit *u, size_t *off, size_t *len)
{
	const uint8_t *p = u->own ? u->own : u->p;
	uint32_t cap;

	switch (u->kind) {
	case U_PCAP_REC:
		*off = f->rechdr;
		*len = u->len - f->rechdr;
		return true;
	case U_NG_EPB:
		cap = rd32(p + 20, u->be);
		*off = 28;
		*len = cap <= u->len - 32 ? cap : u->len - 32;
		return true;
	case U_NG_SPB:
		if (u->len < 16)
			return false;
		*off = 12;
		*len = u->len - 16;
		cap = rd32(p + 8, u->be);       /* original length */
		if (cap < *len)
			*len = cap;
		return true;
	default:
		return false;
	}
}

static uint32_t orig_of(const struct pfile *f, const struct unit *u)
{
	const uint8_t *p = u->own ? u->own : u->p;

	switch (u->kind) {
	case U_PCAP_REC: return rd32(p + 12, u->be);
	case U_NG_EPB: return rd32(p + 24, u->be);
	case U_NG_SPB: return rd32(p + 8, u->be);
	default: (void)f; return 0;
	}
}

/*
 * Rebuild unit u with packet bytes pkt[0..plen) and original length orig,
 * every length field consistent. Returns false when out of memory.
 */
static bool set_packet(const struct pfile *f, struct unit *u, const uint8_t *pkt, size_t plen,
		       uint32_t orig)
{
	const uint8_t *old = u->own ? u->own : u->p;
	size_t off, olen, opts = 0, pad = (4 - plen % 4) % 4, nlen;
	uint8_t *b;

	if (!packet_of(f, u, &off, &olen))
		return false;
	if (u->kind == U_NG_EPB) {
		size_t opad = (4 - olen % 4) % 4;

		opts = u->len - 4 >= off + olen + opad ? u->len - 4 - (off + olen + opad) : 0;
	}
	nlen = u->kind == U_PCAP_REC ? off + plen : off + plen + pad + opts + 4;
	b = malloc(nlen);
	if (b == NULL)
		return false;
	memcpy(b, old, off);
	memcpy(b + off, pkt, plen);
	switch (u->kind) {
	case U_PCAP_REC:
		wr32(b + 8, (uint32_t)plen, u->be);
		wr32(b + 12, orig, u->be);
		break;
	case U_NG_EPB:
		memset(b + off + plen, 0, pad);
		memcpy(b + off + plen + pad, old + u->len - 4 - opts, opts);
		wr32(b + 4, (uint32_t)nlen, u->be);
		wr32(b + 20, (uint32_t)plen, u->be);
		wr32(b + 24, orig, u->be);
		wr32(b + nlen - 4, (uint32_t)nlen, u->be);
		break;
	default:                                 /* SPB */
		memset(b + off + plen, 0, pad);
		wr32(b + 4, (uint32_t)nlen, u->be);
		wr32(b + 8, orig, u->be);
		wr32(b + nlen - 4, (uint32_t)nlen, u->be);
		break;
	}
	free(u->own);
	u->own = b;
	u->len = nlen;
	return true;
}

/* A random unit holding a packet, or -1. */
static long pick_packet(const struct pfile *f, struct mut_rng *r)
{
	size_t off, len;

	for (int tries = 0; tries < 16 && f->n > 0; tries++) {
		size_t i = mut_below(r, (uint32_t)f->n);

		if (packet_of(f, &f->u[i], &off, &len))
			return (long)i;
	}
	for (size_t i = 0; i < f->n; i++)
		if (packet_of(f, &f->u[i], &off, &len))
			return (long)i;
	return -1;
}

static uint32_t linktype_of(const struct pfile *f)
{
	return f->ng ? (f->linktype ? f->linktype : 1) : f->linktype;
}

/* ---- mutations ---------------------------------------------------------------- */

/* Copy packet i out into buf; returns its length. */
static size_t packet_copy(const struct pfile *f, const struct unit *u, uint8_t *buf, size_t cap)
{
	size_t off, len;
	const uint8_t *p = u->own ? u->own : u->p;

	if (!packet_of(f, u, &off, &len))
		return 0;
	if (len > cap)
		len = cap;
	memcpy(buf, p + off, len);
	return len;
}

/* Header fields of one packet, some taken from another packet. */
static void tweak_fields(const struct pfile *f, uint8_t *pkt, size_t len, struct mut_rng *r)
{
	long l3 = mut_l3_offset(linktype_of(f), pkt, len);
	uint8_t other[MAX_PACKET];
	size_t olen = 0;
	long o3 = -1, l4, ol4 = -1;
	bool v6;
	long donor = pick_packet(f, r);

	if (l3 < 0)
		return;
	if (donor >= 0) {
		olen = packet_copy(f, &f->u[donor], other, sizeof(other));
		o3 = mut_l3_offset(linktype_of(f), other, olen);
	}
	v6 = (pkt[l3] >> 4) == 6;
	if (v6 && (size_t)l3 + 40 > len)
		return;
	l4 = l3 + (v6 ? 40 : (pkt[l3] & 15) * 4);
	if (o3 >= 0 && (other[o3] >> 4) == (pkt[l3] >> 4))
		ol4 = o3 + ((other[o3] >> 4) == 6 ? 40 : (other[o3] & 15) * 4);
	switch (mut_below(r, 9)) {
	case 0:         /* addresses from the donor, maybe swapped */
		if (ol4 >= 0 && (size_t)o3 + (v6 ? 40 : 20) <= olen) {
			size_t a = v6 ? 8 : 12, w = v6 ? 16 : 4;
			bool swap = mut_below(r, 2);

			memcpy(pkt + l3 + a, other + o3 + a + (swap ? w : 0), w);
			memcpy(pkt + l3 + a + w, other + o3 + a + (swap ? 0 : w), w);
		} else {
			pkt[l3 + (v6 ? 8 : 12) + mut_below(r, v6 ? 32 : 8)] ^= (uint8_t)(1u << mut_below(r, 8));
		}
		break;
	case 1:         /* ports from the donor, maybe swapped */
		if ((size_t)l4 + 4 <= len) {
			if (ol4 >= 0 && (size_t)ol4 + 4 <= olen) {
				bool swap = mut_below(r, 2);

				memcpy(pkt + l4, other + ol4 + (swap ? 2 : 0), 2);
				memcpy(pkt + l4 + 2, other + ol4 + (swap ? 0 : 2), 2);
			} else {
				static const uint16_t ports[] = { 0, 1, 53, 80, 443, 1023, 1024, 5000,
								  32767, 32768, 49152, 60999, 61000, 65535 };

				mut_put16(pkt + l4 + 2 * mut_below(r, 2), ports[mut_below(r, 14)]);
			}
		}
		break;
	case 2:         /* swap the two endpoints: the reply direction */
		if ((size_t)l4 + 4 <= len) {
			size_t a = (size_t)l3 + (v6 ? 8 : 12), w = v6 ? 16 : 4;
			uint8_t t[16];
			uint16_t sp = mut_be16(pkt + l4);

			memcpy(t, pkt + a, w);
			memmove(pkt + a, pkt + a + w, w);
			memcpy(pkt + a + w, t, w);
			mut_put16(pkt + l4, mut_be16(pkt + l4 + 2));
			mut_put16(pkt + l4 + 2, sp);
		}
		break;
	case 3:         /* TCP flags */
		if ((size_t)l4 + 14 <= len) {
			static const uint8_t fl[] = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x01,
						      0x00, 0x03, 0x06, 0x29, 0xc2 };

			if (mut_below(r, 2))
				pkt[l4 + 13] = fl[mut_below(r, sizeof(fl))];
			else
				pkt[l4 + 13] ^= (uint8_t)(1u << mut_below(r, 8));
		}
		break;
	case 4:         /* sequence or acknowledgment number */
		if ((size_t)l4 + 12 <= len) {
			size_t at = (size_t)l4 + 4 + 4 * mut_below(r, 2);
			uint32_t v = mut_be32(pkt + at);

			if (ol4 >= 0 && (size_t)ol4 + 12 <= olen && mut_below(r, 2))
				v = mut_be32(other + ol4 + 4 + 4 * mut_below(r, 2)) + mut_below(r, 3);
			else
				v += (uint32_t)(int32_t)(mut_below(r, 2) ? (int)mut_below(r, 64) - 32
									 : (int)mut_below(r, 1 << 20) - (1 << 19));
			mut_put32(pkt + at, v);
		}
		break;
	case 5:         /* IPv4 flags and fragment offset */
		if (!v6) {
			static const uint16_t ff[] = { 0x0000, 0x4000, 0x2000, 0x2001, 0x0001, 0x1fff };

			mut_put16(pkt + l3 + 6, ff[mut_below(r, 6)]);
		}
		break;
	case 6:         /* TTL / hop limit, or the protocol */
		if (mut_below(r, 2))
			pkt[l3 + (v6 ? 7 : 8)] = (uint8_t)mut_below(r, 3);
		else
			pkt[l3 + (v6 ? 6 : 9)] = (uint8_t)(mut_below(r, 2) ? 6 : 17);
		break;
	case 7:         /* TCP window */
		if ((size_t)l4 + 16 <= len)
			mut_put16(pkt + l4 + 14, (uint16_t)(mut_below(r, 2) ? 0 : mut_rand(r)));
		break;
	default:        /* TCP data offset (options appear or vanish) */
		if ((size_t)l4 + 13 <= len)
			pkt[l4 + 12] = (uint8_t)((5 + mut_below(r, 11)) << 4 | (pkt[l4 + 12] & 15));
		break;
	}
}

/* Step one record's timestamp. */
static void tweak_time(struct unit *u, bool ns, struct mut_rng *r)
{
	uint8_t *p = u->own;
	bool be = u->be;

	if (u->kind == U_PCAP_REC) {
		uint32_t sec = rd32(p, be), frac = rd32(p + 4, be);
		uint32_t one = ns ? 1000000000u : 1000000u;

		switch (mut_below(r, 5)) {
		case 0: frac += one / 1000 * mut_below(r, 1000); break;
		case 1: sec += 1 + mut_below(r, 300); break;
		case 2: sec -= 1 + mut_below(r, 120); break;
		case 3: sec += 2 * 60 + mut_below(r, 3) - 1; break;  /* 2*MSL, default MSL */
		default: frac = one + mut_below(r, 3); break;        /* out of range */
		}
		if (frac >= one && mut_below(r, 4)) {
			sec += frac / one;
			frac %= one;
		}
		wr32(p, sec, be);
		wr32(p + 4, frac, be);
	} else if (u->kind == U_NG_EPB) {
		uint64_t t = (uint64_t)rd32(p + 12, be) << 32 | rd32(p + 16, be);
		static const uint64_t steps[] = { 1000, 1000000, 121000000, 300000000 };

		if (mut_below(r, 3))
			t += steps[mut_below(r, 4)] * (1 + mut_below(r, 3));
		else
			t -= steps[mut_below(r, 4)];
		wr32(p + 12, (uint32_t)(t >> 32), be);
		wr32(p + 16, (uint32_t)t, be);
	}
}

/* Make u's bytes its own copy (mutations write into it). */
static bool own(struct unit *u)
{
	if (u->own == NULL) {
		u->own = malloc(u->len);
		if (u->own == NULL)
			return false;
		memcpy(u->own, u->p, u->len);
	}
	return true;
}

static bool mutate_packet(struct pfile *f, struct mut_rng *r)
{
	long i = pick_packet(f, r);
	uint8_t *pkt;
	size_t len, olen_cap, off, plen;
	uint32_t orig;
	long l3;
	bool ok;
	unsigned what = mut_below(r, 10);

	if (i < 0)
		return false;
	pkt = malloc(MAX_PACKET);
	if (pkt == NULL)
		return false;
	len = packet_copy(f, &f->u[i], pkt, MAX_PACKET);
	(void)packet_of(f, &f->u[i], &off, &plen);
	orig = orig_of(f, &f->u[i]);
	olen_cap = len;
	if (what < 5) {
		len = mut_bytes(pkt, len, MAX_PACKET, r);
	} else if (what < 9) {
		tweak_fields(f, pkt, len, r);
	} else {        /* original length against captured length */
		switch (mut_below(r, 3)) {
		case 0: orig = (uint32_t)len; break;
		case 1: orig = (uint32_t)len + 1 + mut_below(r, 1500); break;
		default: orig = len ? (uint32_t)len - 1 - mut_below(r, (uint32_t)len) : 0; break;
		}
	}
	/* keep how much was cut off the wire, unless that was the mutation */
	if (what < 9)
		orig = orig >= olen_cap ? (uint32_t)len + (orig - (uint32_t)olen_cap) : (uint32_t)len;
	l3 = mut_l3_offset(linktype_of(f), pkt, len);
	if (l3 >= 0 && what < 9 && mut_below(r, 10))
		mut_fix_ip(pkt + l3, len - (size_t)l3, orig > (uint32_t)l3 ? orig - (size_t)l3 : 0,
			   mut_below(r, 10) != 0);
	ok = set_packet(f, &f->u[i], pkt, len, orig);
	free(pkt);
	return ok;
}

static bool mutate_records(struct pfile *f, struct mut_rng *r)
{
	size_t first = f->ng ? 0 : 1, span, a, b;
	struct unit t;

	if (f->n <= first)
		return false;
	span = f->n - first;
	a = first + mut_below(r, (uint32_t)span);
	b = first + mut_below(r, (uint32_t)span);
	switch (mut_below(r, 4)) {
	case 0:         /* duplicate a to just after b (a retransmission, a repeat) */
		if (f->n >= MAX_UNITS)
			return false;
		t = f->u[a];
		if (t.own != NULL) {
			t.own = malloc(t.len);
			if (t.own == NULL)
				return false;
			memcpy(t.own, f->u[a].own, t.len);
		}
		memmove(&f->u[b + 2], &f->u[b + 1], (f->n - b - 1) * sizeof(t));
		f->u[b + 1] = t;
		f->n++;
		return true;
	case 1:         /* delete a (not a pcapng section header) */
		if (f->u[a].kind == U_NG_SHB)
			return false;
		free(f->u[a].own);
		memmove(&f->u[a], &f->u[a + 1], (f->n - a - 1) * sizeof(t));
		f->n--;
		return true;
	case 2:         /* swap two */
		if (f->u[a].kind == U_NG_SHB || f->u[b].kind == U_NG_SHB || a == b)
			return false;
		t = f->u[a];
		f->u[a] = f->u[b];
		f->u[b] = t;
		return true;
	default:        /* move a to b (never before the first section header) */
		if (f->u[a].kind == U_NG_SHB || a == b || (f->ng && b == 0))
			return false;
		t = f->u[a];
		if (a < b)
			memmove(&f->u[a], &f->u[a + 1], (b - a) * sizeof(t));
		else
			memmove(&f->u[b + 1], &f->u[b], (a - b) * sizeof(t));
		f->u[b] = t;
		return true;
	}
}

static bool mutate_header(struct pfile *f, struct mut_rng *r)
{
	static const uint32_t lts[] = { 1, 101, 113, 276, 0, 108, 228, 229, 12, 14, 105, 9, 50,
					51, 104, 239, 258, 149, 129, 242, 226, 117 };
	struct unit *u = NULL;

	if (!f->ng) {
		u = &f->u[0];
	} else {
		for (size_t i = 0; i < f->n; i++)
			if (f->u[i].kind == U_NG_IDB && f->u[i].len >= 20 && (u == NULL || mut_below(r, 2)))
				u = &f->u[i];
	}
	if (u == NULL || !own(u))
		return false;
	if (mut_below(r, 3)) {
		uint32_t lt = lts[mut_below(r, sizeof(lts) / sizeof(lts[0]))];

		if (!f->ng)
			wr32(u->own + 20, lt, u->be);
		else if (u->be)
			mut_put16(u->own + 8, (uint16_t)lt);
		else {
			u->own[8] = (uint8_t)lt;
			u->own[9] = (uint8_t)(lt >> 8);
		}
	} else {
		static const uint32_t snaps[] = { 0, 1, 14, 20, 40, 54, 68, 96, 262144, 0xffffffffu };

		wr32(u->own + (f->ng ? 12 : 16), snaps[mut_below(r, 10)], u->be);
	}
	return true;
}

/* ---- writing back --------------------------------------------------------------- */

static size_t emit(const struct pfile *f, uint8_t *out, size_t max)
{
	size_t o = 0;

	for (size_t i = 0; i < f->n; i++) {
		const struct unit *u = &f->u[i];

		if (o + u->len > max)
			return o;       /* whole records only */
		memcpy(out + o, u->own ? u->own : u->p, u->len);
		o += u->len;
	}
	if (o + f->tail_len <= max) {
		memcpy(out + o, f->tail, f->tail_len);
		o += f->tail_len;
	}
	return o;
}

static struct pfile file;

size_t mut_pcap(uint8_t *data, size_t size, size_t max, struct mut_rng *r)
{
	struct pfile *f;
	uint8_t *copy;
	size_t n = 0;
	bool ok = false;

	if (max == 0)
		return 0;
	if (size < 24 || mut_below(r, 8) == 0)
		return mut_bytes(data, size, max, r);
	/* 160 KiB of unit table: kept between calls (mutators run one at a
	 * time), only the used part is reset */
	f = &file;
	f->ng = false;
	f->n = 0;
	f->linktype = 0;
	copy = malloc(size);
	if (copy == NULL)
		return mut_bytes(data, size, max, r);
	memcpy(copy, data, size);
	if (parse_pcap(f, copy, size) || parse_pcapng(f, copy, size)) {
		unsigned k = 1 + (mut_below(r, 4) == 0 ? mut_below(r, 3) : 0);

		for (; k > 0; k--) {
			unsigned what = mut_below(r, 20);

			if (what < 12) {
				ok |= mutate_packet(f, r);
			} else if (what < 16) {
				ok |= mutate_records(f, r);
			} else if (what < 19) {
				long i = pick_packet(f, r);

				if (i >= 0 && own(&f->u[i])) {
					tweak_time(&f->u[i], !f->ng && (mut_be32(copy) == 0xa1b23c4d ||
									mut_be32(copy) == 0x4d3cb2a1), r);
					ok = true;
				}
			} else {
				ok |= mutate_header(f, r);
			}
		}
		if (ok)
			n = emit(f, data, max);
		for (size_t i = 0; i < f->n; i++)
			free(f->u[i].own);
	}
	free(copy);
	if (n == 0)
		return mut_bytes(data, size, max, r);
	return n;
}
