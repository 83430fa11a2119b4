/*
 * communityid.c - Community ID v1 (corelight/community-id-spec).
 *
 * The hash input is assembled into a fixed 40-byte buffer (2 + 16 + 16 + 1 +
 * 1 + 2 + 2 at most) in the order the specification gives, the endpoint
 * order decided by comparing addresses byte-wise (network order) and then
 * ports, SHA-1'd (sha1.c) and base64-encoded with the standard alphabet and
 * padding (RFC 4648 section 4), as Zeek, Suricata and tshark print it.
 */
#include <string.h>
#include "communityid.h"
#include "sha1.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 base64 of n bytes into out (4 * ceil(n / 3) chars + NUL). */
static void base64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

enum tc_rc communityid_v1(uint16_t seed, uint8_t ipver,
			  const uint8_t saddr[16], uint16_t sport,
			  const uint8_t daddr[16], uint16_t dport,
			  uint8_t proto, char out[COMMUNITYID_LEN])
{
	uint8_t buf[2 + 16 + 16 + 1 + 1 + 2 + 2];
	uint8_t digest[SHA1_DIGEST_LEN];
	const uint8_t *a1 = saddr, *a2 = daddr;
	uint16_t p1 = sport, p2 = dport;
	size_t alen, n = 0;
	int cmp;

	out[0] = '\0';
	if (ipver == 4)
		alen = 4;
	else if (ipver == 6)
		alen = 16;
	else
		return TC_UNSUPPORTED;

	/* The spec's is_ordered(): saddr < daddr, or equal and sport < dport. */
	cmp = memcmp(saddr, daddr, alen);
	if (cmp > 0 || (cmp == 0 && sport > dport)) {
		a1 = daddr;
		a2 = saddr;
		p1 = dport;
		p2 = sport;
	}

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

	sha1(buf, n, digest);
	out[0] = '1';
	out[1] = ':';
	base64_encode(digest, sizeof(digest), out + 2);
	return TC_OK;
}
