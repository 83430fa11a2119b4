/*
 * ipv6.c - the IPv6 header (RFC 8200) and its chain of extension headers.
 *
 * Check order, each failure with its own reason (decode.h):
 *   1. 40 bytes captured: else ip.truncated when the wire had them,
 *      ip.short-frame when not even the wire did;
 *   2. version 6                                 else ip.bad-version;
 *   3. 40 + payload length <= wire length        else ip.length-exceeds-frame.
 *      A payload length of 0 followed by a hop-by-hop header holding a Jumbo
 *      Payload option (RFC 2675; Linux BIG TCP sends these) takes the
 *      option's 32-bit length instead (that header must fit as in step 4).
 *      A payload length of 0 with TCP as the next header and no hop-by-hop
 *      header is Linux BIG TCP as captured since the kernel stopped
 *      inserting that header (a GSO super-packet of more than 64 KiB seen
 *      before segmentation): the length stands for the frame's wire length
 *      from the IPv6 header on, as a total length of 0 does for IPv4 (TSO,
 *      ipv4.c step 4), when that wire length leaves more than 65,535 bytes
 *      of payload: Linux writes 0 only for a payload the 16-bit field cannot
 *      hold, so a smaller packet with 0 there is malformed (tshark:
 *      "Malformed Packet"). tcpdump reads it so ("presumed BIG TCP");
 *      Wireshark does with its ipv6.tso_support preference. Any other
 *      payload length of 0 (UDP, no next header, a short packet) is taken
 *      literally;
 *   4. the extension headers, in the order found, at most PKT_MAX_EXTHDRS of
 *      them (one more is ip6.ext-too-deep: a bound on work, as RFC 8200
 *      sets none). Each one must fit in the payload length (else ip6.bad-ext)
 *      and in the captured bytes (else ip.truncated). Walked: hop-by-hop (0),
 *      routing (43), fragment (44), destination options (60) and the
 *      authentication header (51, RFC 4302, whose length counts 4-byte words
 *      minus 2 rather than 8-byte words minus 1). Anything else, 59 (no next
 *      header) included, ends the chain as the upper-layer protocol.
 * A fragment header with a non-zero offset ends the walk: that fragment holds
 * no upper-layer header (soft reason ip.fragment). One with offset 0 and M
 * clear is an atomic fragment, a whole datagram (RFC 6946): not a fragment.
 *
 * A routing header with segments left means dst is a waypoint and not the
 * final destination, which the transport checksum's pseudo header names
 * (RFC 8200 8.1): p->dst_routed, and p->final_dst where the header names it:
 * type 0's last address (RFC 2460 4.4, deprecated by RFC 5095 but still
 * seen), type 2's home address (RFC 6275 6.4), type 4's segment list[0],
 * the last segment (RFC 8754 2). Other types leave the checksum unjudged.
 *
 * Soft reason ip6.bad-ext, for a chain whose every header fits but whose
 * order or contents RFC 8200 and RFC 2675 forbid; receivers drop such a
 * packet, but its headers are still readable, so the walk goes on (Wireshark
 * marks each and decodes on):
 *   - a hop-by-hop header anywhere but right after the IPv6 header (RFC 8200
 *     4.1);
 *   - a Jumbo Payload option with a payload length other than 0, with a
 *     jumbo length below 65536, or in a packet with a fragment header
 *     (RFC 2675 3).
 * Clamping is as for IPv4: l3_caplen is min(captured, 40 + payload length).
 */
#include "decode_layers.h"

#define IPV6_HLEN      40u
#define IPV6_FRAG_HLEN 8u

DECODE_COLD static enum tc_rc ipv6_fail(struct pkt *p, enum tc_rc rc, enum pkt_err why)
{
	pkt_add_err(p, why);
	pkt_clear_ip(p);
	return rc;
}

static bool is_ext_header(uint8_t nh)
{
	return nh == IPPROTO_NUM_HOPOPTS || nh == IPPROTO_NUM_ROUTING ||
	       nh == IPPROTO_NUM_FRAGMENT || nh == IPPROTO_NUM_DSTOPTS ||
	       nh == IPPROTO_NUM_AH;
}

/* An extension header of need bytes against the captured rest of the
 * datagram (d) and its rest on the wire: the reason when it does not fit. */
static enum tc_rc ext_fit(const struct cursor *d, size_t need, size_t wire_left,
			  enum pkt_err *why)
{
	enum tc_rc rc = fit_header(need, cur_left(d), wire_left);

	*why = rc == TC_TRUNCATED ? PE_IP_TRUNCATED : PE_IP6_BAD_EXT;
	return rc;
}

#define IP6OPT_PAD1  0x00u
#define IP6OPT_JUMBO 0xC2u
#define IP6_JUMBO_MIN 65536u     /* RFC 2675 2: a smaller length is an error */

/* Whether the option bytes of a hop-by-hop header (after its next header
 * and length octets) hold a Jumbo Payload option (RFC 2675 2); its length
 * in *jumbo. Options are not judged otherwise: a bad one ends the search. */
static bool hbh_jumbo(struct cursor opts, uint32_t *jumbo)
{
	uint8_t type, olen;

	while (rd_u8(&opts, &type) == TC_OK) {
		struct cursor body;

		if (type == IP6OPT_PAD1)
			continue;
		if (rd_u8(&opts, &olen) != TC_OK || rd_sub(&opts, olen, &body) != TC_OK)
			return false;
		if (type == IP6OPT_JUMBO && olen == 4)
			return rd_be32(&body, jumbo) == TC_OK;
	}
	return false;
}

/*
 * The Jumbo Payload length from the hop-by-hop header at the front of d
 * (RFC 2675 section 2). wire_left bounds the header on the wire, since the
 * payload length that would normally bound it is the 0 being replaced.
 * Returns TC_OK with *jumbo set, or left alone when there is no such option;
 * TC_TRUNCATED / TC_MALFORMED with *why when the header does not fit.
 */
static enum tc_rc ipv6_jumbo(struct cursor d, size_t wire_left, uint32_t *jumbo,
			     bool *found, enum pkt_err *why)
{
	struct cursor opts;
	uint8_t hl = 0;
	size_t elen;
	enum tc_rc rc;

	if ((rc = ext_fit(&d, 2, wire_left, why)) != TC_OK)
		return rc;
	(void)rd_skip(&d, 1);            /* next header: the main walk reads it */
	(void)rd_u8(&d, &hl);
	elen = ((size_t)hl + 1) * 8;
	if ((rc = ext_fit(&d, elen - 2, wire_left - 2, why)) != TC_OK)
		return rc;
	(void)rd_sub(&d, elen - 2, &opts);
	*found = hbh_jumbo(opts, jumbo);
	return TC_OK;
}

#define IP6_RT_SOURCE 0u         /* RFC 2460 4.4 (RFC 5095 deprecates it) */
#define IP6_RT_MIPV6  2u         /* RFC 6275 6.4 */
#define IP6_RT_SRH    4u         /* RFC 8754 */
#define IPV6_ADDR_LEN 16u

/* A routing header (e: all of it) with segments left: dst is a waypoint;
 * the final destination where the type names it (see the top). */
static void ipv6_routing(struct cursor e, struct pkt *p)
{
	uint8_t hl = 0, type = 0, left = 0;
	size_t off;

	(void)at_u8(&e, 1, &hl);
	(void)at_u8(&e, 2, &type);
	(void)at_u8(&e, 3, &left);
	if (left == 0)
		return;                  /* used up: dst is the final destination */
	p->dst_routed = true;
	p->final_dst = NULL;             /* a later route takes over from an earlier one */
	switch (type) {
	case IP6_RT_SOURCE:              /* hl / 2 addresses from octet 8; the last one */
		if (hl < 2)
			return;
		off = 8 + ((size_t)hl / 2 - 1) * IPV6_ADDR_LEN;
		break;
	case IP6_RT_MIPV6:               /* the home address */
	case IP6_RT_SRH:                 /* segment list[0]: the last segment */
		off = 8;
		break;
	default:
		return;
	}
	if (at_fits(&e, off, IPV6_ADDR_LEN))
		p->final_dst = e.p + off;
}

enum tc_rc ipv6_parse(struct cursor *c, size_t wire, struct pkt *p)
{
	const uint8_t *l3 = c->p;
	size_t cap = cur_left(c);
	struct cursor h = *c, d, fix = { NULL, NULL };
	/* zero-initialised: the fit checks make the reads below succeed,
	 * which the compiler cannot see */
	uint32_t vtcfl = 0;
	uint16_t plen = 0;
	uint8_t nh = 0, hlim = 0;
	size_t len, dcap, left;
	unsigned n_ext = 0;
	bool jumbo_opt = false, chain_bad = false;
	enum pkt_err why;
	enum tc_rc rc;

	rc = fit_header(IPV6_HLEN, cap, wire);
	if (rc != TC_OK)
		return ipv6_fail(p, rc, rc == TC_TRUNCATED ? PE_IP_TRUNCATED : PE_IP_SHORT);

	/* the fixed header as one 40-byte sub-cursor read at fixed offsets:
	 * the compiler folds the getters' checks into rd_sub's */
	(void)rd_sub(&h, IPV6_HLEN, &fix);
	(void)at_be32(&fix, 0, &vtcfl);
	(void)at_be16(&fix, 4, &plen);
	(void)at_u8(&fix, 6, &nh);
	(void)at_u8(&fix, 7, &hlim);
	(void)at_bytes(&fix, 8, p->src, 16);
	(void)at_bytes(&fix, 24, p->dst, 16);

	if (vtcfl >> 28 != 6)
		return ipv6_fail(p, TC_MALFORMED, PE_IP_BAD_VERSION);
	len = IPV6_HLEN + (size_t)plen;
	if (plen == 0 && nh == IPPROTO_NUM_HOPOPTS) {
		uint32_t jumbo = 0;
		bool found = false;

		rc = ipv6_jumbo(cur_make(l3 + IPV6_HLEN, cap - IPV6_HLEN), wire - IPV6_HLEN,
				&jumbo, &found, &why);
		if (rc != TC_OK)
			return ipv6_fail(p, rc, why);
		if (found)
			len = IPV6_HLEN + (size_t)jumbo;
	} else if (plen == 0 && nh == IPPROTO_NUM_TCP && wire > IPV6_HLEN + 65535u) {
		len = wire;              /* BIG TCP, see step 3 above */
	}
	if (len > wire || len > UINT32_MAX)
		return ipv6_fail(p, TC_MALFORMED, PE_IP_LEN_EXCEEDS_FRAME);

	/* d: the captured part of the datagram after the fixed header; left:
	 * the same on the wire. Both shrink as extension headers are taken. */
	dcap = cap < len ? cap : len;
	d = cur_make(l3 + IPV6_HLEN, dcap - IPV6_HLEN);
	left = len - IPV6_HLEN;

	while (is_ext_header(nh) && !p->later_fragment) {
		struct cursor e, peek = d;
		uint8_t next = 0, hl = 0;
		size_t elen;

		if (n_ext >= PKT_MAX_EXTHDRS)
			return ipv6_fail(p, TC_MALFORMED, PE_IP6_EXT_TOO_DEEP);
		if ((rc = ext_fit(&d, 2, left, &why)) != TC_OK)
			return ipv6_fail(p, rc, why);
		(void)rd_u8(&peek, &next);
		(void)rd_u8(&peek, &hl);
		if (nh == IPPROTO_NUM_FRAGMENT)
			elen = IPV6_FRAG_HLEN;
		else if (nh == IPPROTO_NUM_AH)
			elen = ((size_t)hl + 2) * 4;
		else
			elen = ((size_t)hl + 1) * 8;
		if ((rc = ext_fit(&d, elen, left, &why)) != TC_OK)
			return ipv6_fail(p, rc, why);
		(void)rd_sub(&d, elen, &e);

		if (nh == IPPROTO_NUM_FRAGMENT) {
			uint16_t offmf = 0;

			(void)at_be16(&e, 2, &offmf);
			/* offset 0 without M is an atomic fragment: a whole
			 * datagram (RFC 6946), not a fragment */
			p->is_fragment = (offmf & 0xFFF9u) != 0;
			p->later_fragment = (offmf >> 3) != 0;
			chain_bad |= jumbo_opt;
		} else if (nh == IPPROTO_NUM_ROUTING) {
			ipv6_routing(e, p);
		} else if (nh == IPPROTO_NUM_HOPOPTS) {
			struct cursor opts = e;
			uint32_t jumbo = 0;

			(void)rd_skip(&opts, 2);
			if (n_ext != 0) {
				chain_bad = true;    /* not right after the IPv6 header */
			} else if (hbh_jumbo(opts, &jumbo)) {
				jumbo_opt = true;
				chain_bad |= plen != 0 || jumbo < IP6_JUMBO_MIN;
			}
		}
		left -= elen;
		nh = next;
		n_ext++;
	}

	p->have_ip = true;
	p->ipver = 6;
	p->proto = nh;
	p->ttl = hlim;
	p->ip_len = (uint32_t)len;
	p->ip_hlen = (uint32_t)(len - left);
	p->l3 = l3;
	p->l3_caplen = dcap;
	if (chain_bad)
		pkt_add_err(p, PE_IP6_BAD_EXT);
	if (p->later_fragment)
		pkt_add_err(p, PE_IP_FRAGMENT);
	return TC_OK;
}
