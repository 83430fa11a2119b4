/*
 * decode.c - decode_packet(): link -> IPv4/IPv6 -> TCP/UDP, one layer per
 * file (link.c, ipv4.c, ipv6.c, tcp.c, udp.c), plus the reason names and the
 * address text shared by every output.
 *
 * The dispatcher owns the outcome: the first layer that does not end in
 * TC_OK sets p->status and the walk stops there, so later layers never see a
 * half-parsed header. Soft reasons (ip.bad-options, ip6.bad-ext for a
 * header chain out of order, ip.fragment, tcp.bad-options) are recorded
 * without changing the status.
 *
 * Wire length: a record whose captured length exceeds its original length
 * (corrupt or odd writers) is judged by the captured length, the larger of
 * the two, so bytes that are present are never called missing.
 *
 * Address text follows RFC 5952 section 4 (lowercase hex, no leading zeros,
 * the longest run of two or more zero groups as "::", the first on ties) and
 * prints the dotted-quad tail exactly where glibc's inet_ntop does, which is
 * also what Wireshark prints: IPv4-mapped ::ffff:a.b.c.d (RFC 5952 section 5)
 * and the deprecated IPv4-compatible ::a.b.c.d (the first six groups zero, the
 * seventh not). Matching inet_ntop keeps our records joinable with tshark's.
 */
#include <stdio.h>
#include <string.h>

#include "decode_layers.h"

/* ---- reasons ---------------------------------------------------------------- */

static const char *const err_names[PE__COUNT] = {
	[PE_NONE]                 = "none",
	[PE_LINK_TRUNCATED]       = "link.truncated",
	[PE_LINK_UNSUPPORTED]     = "link.unsupported",
	[PE_VLAN_TOO_DEEP]        = "link.vlan-too-deep",
	[PE_NOT_IP]               = "link.not-ip",
	[PE_IP_TRUNCATED]         = "ip.truncated",
	[PE_IP_BAD_VERSION]       = "ip.bad-version",
	[PE_IP_BAD_IHL]           = "ip.bad-ihl",
	[PE_IP_BAD_TOTLEN]        = "ip.bad-total-length",
	[PE_IP_LEN_EXCEEDS_FRAME] = "ip.length-exceeds-frame",
	[PE_IP_BAD_OPTIONS]       = "ip.bad-options",
	[PE_IP_BAD_CHECKSUM]      = "ip.bad-checksum",
	[PE_IP6_EXT_TOO_DEEP]     = "ip6.ext-too-deep",
	[PE_IP6_BAD_EXT]          = "ip6.bad-ext",
	[PE_IP_FRAGMENT]          = "ip.fragment",
	[PE_TCP_TRUNCATED]        = "tcp.truncated",
	[PE_TCP_BAD_OFFSET]       = "tcp.bad-offset",
	[PE_TCP_BAD_OPTIONS]      = "tcp.bad-options",
	[PE_TCP_BAD_CHECKSUM]     = "tcp.bad-checksum",
	[PE_UDP_TRUNCATED]        = "udp.truncated",
	[PE_UDP_BAD_LENGTH]       = "udp.bad-length",
	[PE_UDP_BAD_CHECKSUM]     = "udp.bad-checksum",
	[PE_LINK_SHORT]           = "link.short-frame",
	[PE_IP_SHORT]             = "ip.short-frame",
};

const char *pkt_err_name(enum pkt_err e)
{
	if ((unsigned)e >= PE__COUNT || err_names[e] == NULL)
		return "unknown";
	return err_names[e];
}

void pkt_add_err(struct pkt *p, enum pkt_err e)
{
	for (unsigned i = 0; i < p->n_err; i++)
		if (p->err[i] == (uint8_t)e)
			return;
	if (p->n_err < PKT_MAX_ERRORS)
		p->err[p->n_err++] = (uint8_t)e;
}

/* ---- clearing a failed layer ------------------------------------------------ */

void pkt_clear_l4(struct pkt *p)
{
	enum l4_kind kind = p->l4;   /* what the IP header announced stays known */

	p->have_l4 = false;
	p->sport = p->dport = 0;
	p->seq = p->ack = 0;
	p->flags = p->win = p->urp = 0;
	p->tcp_hlen = 0;
	p->opt = (struct tcp_opts){ 0 };
	p->udp_len = 0;
	p->payload_len = 0;
	p->l4hdr = NULL;
	p->l4_caplen = 0;
	p->l4_csum = 0;
	p->l4 = kind;
}

void pkt_clear_ip(struct pkt *p)
{
	size_t i;

	pkt_clear_l4(p);
	p->l4 = L4_NONE;
	p->have_ip = false;
	p->ipver = 0;
	for (i = 0; i < sizeof p->src; i++)
		p->src[i] = p->dst[i] = 0;
	p->proto = 0;
	p->ttl = 0;
	p->ip_id = 0;
	p->is_fragment = p->later_fragment = false;
	p->ip_len = p->ip_hlen = 0;
	p->dst_routed = false;
	p->final_dst = NULL;
	p->l3 = NULL;
	p->l3_caplen = 0;
}

/* ---- the dispatcher --------------------------------------------------------- */

/*
 * Every byte of *p to zero, as three memsets of at most 80 bytes: gcc turns
 * each into a few 16-byte stores, where one memset or compound literal of
 * the whole struct (216 bytes) becomes rep stosq, about twice the work per
 * packet. The result is the same all-zero struct.
 */
#define PKT_RESET_CHUNK ((sizeof(struct pkt) + 23) / 24 * 8)   /* a third, rounded up to 8 */
_Static_assert(PKT_RESET_CHUNK <= 80 && sizeof(struct pkt) > 2 * PKT_RESET_CHUNK,
	       "pkt_reset: three chunks of at most 80 bytes must cover struct pkt");

static inline void pkt_reset(struct pkt *p)
{
	unsigned char *b = (unsigned char *)p;

	memset(b, 0, PKT_RESET_CHUNK);
	memset(b + PKT_RESET_CHUNK, 0, PKT_RESET_CHUNK);
	memset(b + 2 * PKT_RESET_CHUNK, 0, sizeof(struct pkt) - 2 * PKT_RESET_CHUNK);
}

enum tc_rc decode_packet(uint32_t linktype, const uint8_t *data, size_t caplen,
			 size_t origlen, struct pkt *out)
{
	static const uint8_t none[1];
	size_t wire = origlen > caplen ? origlen : caplen;
	struct cursor c;
	enum tc_rc rc;

	pkt_reset(out);
	out->linktype = linktype;
	if (data == NULL) {          /* an empty record may come without a buffer */
		data = none;
		caplen = 0;
	}
	c = cur_make(data, caplen);

	rc = link_parse_inline(linktype, &c, &wire, out);
	if (rc != TC_OK)
		goto done;
	if (out->ethertype == ETHERTYPE_IPV4)
		rc = ipv4_parse(&c, wire, out);
	else
		rc = ipv6_parse(&c, wire, out);
	if (rc != TC_OK || out->later_fragment)
		goto done;

	switch (out->proto) {
	case IPPROTO_NUM_TCP:
		rc = tcp_parse(out);
		break;
	case IPPROTO_NUM_UDP:
		rc = udp_parse(out);
		break;
	default:
		out->l4 = L4_OTHER;
		break;
	}
done:
	out->status = rc;
	return rc;
}

/* ---- address text ----------------------------------------------------------- */

/* v (< 256) in decimal, as "%u" prints it. */
static char *put_dec8(char *p, unsigned v)
{
	if (v >= 100) {
		*p++ = (char)('0' + v / 100);
		v %= 100;
		*p++ = (char)('0' + v / 10);
	} else if (v >= 10) {
		*p++ = (char)('0' + v / 10);
	}
	*p++ = (char)('0' + v % 10);
	return p;
}

/* x (< 65536) in lower-case hex without leading zeros, as "%x" prints it. */
static char *put_hex16(char *p, unsigned x)
{
	static const char hex[] = "0123456789abcdef";
	int shift = x >= 0x1000 ? 12 : x >= 0x100 ? 8 : x >= 0x10 ? 4 : 0;

	for (; shift >= 0; shift -= 4)
		*p++ = hex[(x >> shift) & 15];
	return p;
}

/* The dotted quad of addr[0..3]. */
static char *put_quad(char *p, const uint8_t a[4])
{
	p = put_dec8(p, a[0]);
	*p++ = '.';
	p = put_dec8(p, a[1]);
	*p++ = '.';
	p = put_dec8(p, a[2]);
	*p++ = '.';
	return put_dec8(p, a[3]);
}

char *addr_write(char *p, uint8_t ipver, const uint8_t addr[16])
{
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0, i;

	if (ipver != 6)
		return put_quad(p, addr);
	/* RFC 5952: the longest run of two or more zero groups (the first of
	 * equal runs) becomes "::"; an IPv4-mapped or -compatible address
	 * ends in its dotted quad */
	for (i = 0; i < 8; i++)
		w[i] = (unsigned)addr[2 * i] << 8 | addr[2 * i + 1];
	for (i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur < 0)
				cur = i, cur_len = 0;
			cur_len++;
			if (cur_len > best_len)      /* strictly longer: first wins ties */
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;

	for (i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		if (i == 6 && best == 0 &&
		    (best_len == 6 || (best_len == 5 && w[5] == 0xFFFFu)))
			return put_quad(p, addr + 12);
		p = put_hex16(p, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

char *addr_format(uint8_t ipver, const uint8_t addr[16], char *buf)
{
	*addr_write(buf, ipver, addr) = '\0';
	return buf;
}
