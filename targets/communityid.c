/*
 * communityid.c - Community ID v1 (corelight/community-id-spec).
 *
 * The hash input is assembled into a fixed 40-byte buffer (2 + 16 + 16 + 1 +
 * 1 + 2 + 2 at most) in the order the specification gives, the endpoint
 * order decided by comparing addresses byte-wise (network order) and then
 * ports, SHA-1'd (sha1.c; sha1_short, as the message is always one block)
 * and base64-encoded with the standard alphabet and padding (RFC 4648
 * section 4), as Zeek, Suricata and tshark print it.
 */
#include <string.h>
#include "communityid.h"
#include "sha1.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 base64 of n bytes into out (4 * ceil(n / 3) chars + NUL). */
static void base64_encode(const uint8_t *in, size_t n, char *out)
{
	const uint8_t *end = in + n - n % 3;

	for (; in < end; in += 3, out += 4) {
		uint32_t v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];

		out[0] = b64_alphabet[v >> 18];
		out[1] = b64_alphabet[(v >> 12) & 63];
		out[2] = b64_alphabet[(v >> 6) & 63];
		out[3] = b64_alphabet[v & 63];
	}
	if (n % 3 == 1) {
		out[0] = b64_alphabet[in[0] >> 2];
		out[1] = b64_alphabet[(in[0] & 3) << 4];
		out[2] = '=';
		out[3] = '=';
		out += 4;
	} else if (n % 3 == 2) {
		out[0] = b64_alphabet[in[0] >> 2];
		out[1] = b64_alphabet[(in[0] & 3) << 4 | in[1] >> 4];
		out[2] = b64_alphabet[(in[1] & 15) << 2];
		out[3] = '=';
		out += 4;
	}
	*out = '\0';
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

enum tc_rc communityid_v1(uint16_t seed, uint8_t ipver,
			  const uint8_t saddr[16], uint16_t sport,
			  const uint8_t daddr[16], uint16_t dport,
			  uint8_t proto, char out[COMMUNITYID_LEN])
{
	uint8_t buf[2 + 16 + 16 + 1 + 1 + 2 + 2];
	uint8_t digest[SHA1_DIGEST_LEN];
	size_t n;
	bool swap;

	/* The spec's is_ordered(): saddr < daddr (byte-wise, network order),
	 * or equal and sport < dport; otherwise the endpoints swap. */
	if (ipver == 4) {
		uint32_t s = be32(saddr), d = be32(daddr);

		swap = s > d || (s == d && sport > dport);
		n = swap ? cid_message(buf, seed, 4, daddr, dport, saddr, sport, proto)
			 : cid_message(buf, seed, 4, saddr, sport, daddr, dport, proto);
	} else if (ipver == 6) {
		int cmp = memcmp(saddr, daddr, 16);

		swap = cmp > 0 || (cmp == 0 && sport > dport);
		n = swap ? cid_message(buf, seed, 16, daddr, dport, saddr, sport, proto)
			 : cid_message(buf, seed, 16, saddr, sport, daddr, dport, proto);
	} else {
		out[0] = '\0';
		return TC_UNSUPPORTED;
	}
	sha1_short(buf, n, digest);
	out[0] = '1';
	out[1] = ':';
	base64_encode(digest, sizeof(digest), out + 2);
	return TC_OK;
}
