/*
 * communityid.c - Community ID v1 (corelight/community-id-spec).
 *
 * The hash input is assembled into a fixed 40-byte buffer (2 + 16 + 16 + 1 +
 * 1 + 2 + 2 at most) in the order the specification gives, the endpoint
 * order decided by comparing addresses byte-wise (network order) and then
 * ports, SHA-1'd (sha1.c; one block always: with the x86 SHA instructions
 * where the CPU has them, else sha1_short_h, or sha1_short_x4 four at once)
 * and base64-encoded straight from the digest's words with the standard
 * alphabet and padding (RFC 4648 section 4), as Zeek, Suricata and tshark
 * print it.
 */
#include <string.h>
#include "communityid.h"
#include "sha1.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Four base64 characters for 24 bits. */
static inline void b64_quad(char *out, uint32_t v)
{
	out[0] = b64_alphabet[(v >> 18) & 63];
	out[1] = b64_alphabet[(v >> 12) & 63];
	out[2] = b64_alphabet[(v >> 6) & 63];
	out[3] = b64_alphabet[v & 63];
}

/* RFC 4648 base64 of the 20-byte digest given as its five big-endian words
 * h[0..4] (digest bytes 4i..4i+3 = h[i]): six 3-byte groups, then the last
 * two bytes as three characters and one '=', then NUL (29 bytes). */
static void base64_digest(const uint32_t h[5], char *out)
{
	b64_quad(out, h[0] >> 8);                                  /* bytes 0-2   */
	b64_quad(out + 4, (h[0] & 0xff) << 16 | h[1] >> 16);       /* bytes 3-5   */
	b64_quad(out + 8, (h[1] & 0xffff) << 8 | h[2] >> 24);      /* bytes 6-8   */
	b64_quad(out + 12, h[2] & 0xffffff);                       /* bytes 9-11  */
	b64_quad(out + 16, h[3] >> 8);                             /* bytes 12-14 */
	b64_quad(out + 20, (h[3] & 0xff) << 16 | h[4] >> 16);      /* bytes 15-17 */
	b64_quad(out + 24, (h[4] & 0xffff) << 8);                  /* bytes 18-19 */
	out[27] = '=';
	out[28] = '\0';
}

/* The hash input for address width alen (4 or 16, a constant where this is
 * inlined, so the copies are plain moves) into buf; returns its length. */
static inline size_t cid_message(uint8_t buf[40], uint16_t seed, size_t alen,
				 const uint8_t *a1, uint16_t p1, const uint8_t *a2, uint16_t p2,
				 uint8_t proto)
{
	size_t n = 0;

	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, a1, alen);
	n += alen;
	memcpy(buf + n, a2, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;              /* padding */
	buf[n++] = (uint8_t)(p1 >> 8);
	buf[n++] = (uint8_t)p1;
	buf[n++] = (uint8_t)(p2 >> 8);
	buf[n++] = (uint8_t)p2;
	return n;
}

/* Big-endian 32-bit word at p. */
static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The hash input of one tuple into buf (40 bytes); returns its length, 0
 * for an IP version other than 4 or 6. */
static size_t cid_input(uint8_t buf[40], uint16_t seed, uint8_t ipver,
			const uint8_t saddr[16], uint16_t sport,
			const uint8_t daddr[16], uint16_t dport, uint8_t proto)
{
	bool swap;

	/* The spec's is_ordered(): saddr < daddr (byte-wise, network order),
	 * or equal and sport < dport; otherwise the endpoints swap. */
	if (ipver == 4) {
		uint32_t s = be32(saddr), d = be32(daddr);

		swap = s > d || (s == d && sport > dport);
		return swap ? cid_message(buf, seed, 4, daddr, dport, saddr, sport, proto)
			    : cid_message(buf, seed, 4, saddr, sport, daddr, dport, proto);
	}
	if (ipver == 6) {
		int cmp = memcmp(saddr, daddr, 16);

		swap = cmp > 0 || (cmp == 0 && sport > dport);
		return swap ? cid_message(buf, seed, 16, daddr, dport, saddr, sport, proto)
			    : cid_message(buf, seed, 16, saddr, sport, daddr, dport, proto);
	}
	return 0;
}

/* "1:" and the base64 of the digest (as words). */
static void cid_text(const uint32_t h[5], char out[COMMUNITYID_LEN])
{
	out[0] = '1';
	out[1] = ':';
	base64_digest(h, out + 2);
}

/* communityid_v1 with the SHA-1 chosen by the caller (ni: the SHA
 * instructions, only when sha1_shani_usable()). */
static enum tc_rc cid_one(uint16_t seed, uint8_t ipver, const uint8_t saddr[16], uint16_t sport,
			  const uint8_t daddr[16], uint16_t dport, uint8_t proto, bool ni,
			  char out[COMMUNITYID_LEN])
{
	uint8_t buf[2 + 16 + 16 + 1 + 1 + 2 + 2];
	uint32_t h[5];
	size_t n = cid_input(buf, seed, ipver, saddr, sport, daddr, dport, proto);

	if (n == 0) {
		out[0] = '\0';
		return TC_UNSUPPORTED;
	}
	if (ni)
		sha1_short_h_shani(buf, n, h);
	else
		sha1_short_h(buf, n, h);
	cid_text(h, out);
	return TC_OK;
}

enum tc_rc communityid_v1(uint16_t seed, uint8_t ipver,
			  const uint8_t saddr[16], uint16_t sport,
			  const uint8_t daddr[16], uint16_t dport,
			  uint8_t proto, char out[COMMUNITYID_LEN])
{
	return cid_one(seed, ipver, saddr, sport, daddr, dport, proto, sha1_shani_usable(), out);
}

void communityid_v1_many_sha(uint16_t seed, const struct communityid_tuple *t, size_t n,
			     char (*out)[COMMUNITYID_LEN], bool shani)
{
	if (shani) {
		/* two at a time with the SHA instructions (each block fills the
		 * other's latency): about half the cost of the four SIMD lanes */
		for (; n >= 2; n -= 2, t += 2, out += 2) {
			uint8_t buf[2][40];
			uint32_t digest[2][5];
			const uint8_t *msg[2] = { buf[0], buf[1] };
			size_t len[2], i;

			for (i = 0; i < 2; i++)
				len[i] = cid_input(buf[i], seed, t[i].ipver, t[i].saddr, t[i].sport,
						   t[i].daddr, t[i].dport, t[i].proto);
			if (len[0] == 0 || len[1] == 0) {       /* not IPv4/IPv6 */
				for (i = 0; i < 2; i++)
					cid_one(seed, t[i].ipver, t[i].saddr, t[i].sport,
						t[i].daddr, t[i].dport, t[i].proto, true, out[i]);
				continue;
			}
			sha1_short_h2_shani(msg, len, digest);
			cid_text(digest[0], out[0]);
			cid_text(digest[1], out[1]);
		}
		if (n == 1)
			cid_one(seed, t->ipver, t->saddr, t->sport, t->daddr, t->dport, t->proto,
				true, out[0]);
		return;
	}
	while (n >= 2) {
		uint8_t buf[4][40];
		uint32_t digest[4][5];
		const uint8_t *msg[4];
		size_t len[4];
		size_t k = n < 4 ? n : 4, i;

		for (i = 0; i < 4; i++) {
			/* lanes past the last tuple hash the first one again */
			const struct communityid_tuple *x = &t[i < k ? i : 0];

			len[i] = cid_input(buf[i], seed, x->ipver, x->saddr, x->sport, x->daddr,
					   x->dport, x->proto);
			msg[i] = buf[i];
		}
		sha1_short_x4(msg, len, digest);
		for (i = 0; i < k; i++) {
			if (len[i] == 0)
				out[i][0] = '\0';
			else
				cid_text(digest[i], out[i]);
		}
		t += k;
		out += k;
		n -= k;
	}
	if (n == 1)                     /* one alone: the one-lane hash is cheaper */
		cid_one(seed, t->ipver, t->saddr, t->sport, t->daddr, t->dport, t->proto, false,
			out[0]);
}

void communityid_v1_many(uint16_t seed, const struct communityid_tuple *t, size_t n,
			 char (*out)[COMMUNITYID_LEN])
{
	communityid_v1_many_sha(seed, t, n, out, sha1_shani_usable());
}
