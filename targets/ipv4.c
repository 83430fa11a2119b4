/*
 * ipv4.c - the IPv4 header (RFC 791), its options and fragment fields.
 *
 * Check order, each failure with its own reason (decode.h):
 *   1. 20 bytes captured: else ip.truncated when the wire had them,
 *      ip.short-frame when not even the wire did;
 *   2. version 4                               else ip.bad-version;
 *   3. IHL >= 5                                 else ip.bad-ihl;
 *   4. total length >= IHL*4                    else ip.bad-total-length,
 *      where a total length of 0 is a TCP segmentation offload capture
 *      (the NIC fills the field in after the capture point) and stands for
 *      the frame's wire length from the IP header on. Wireshark does the
 *      same with its default ip.tso_support preference;
 *   5. total length <= wire length              else ip.length-exceeds-frame:
 *      a frame cannot carry more than it had on the wire, so this is a lie in
 *      the length field and not a short capture;
 *   6. IHL*4 bytes captured                     else ip.truncated (the header
 *      fits the wire by 4 and 5, so only the capture can be short);
 *   7. options: each one's length fits the header, else ip.bad-options, which
 *      is soft: the options never change where the header ends, so the header
 *      stays usable.
 * Clamping: the datagram ends at the total length even when the frame goes
 * on (Ethernet pads short frames to 60 bytes and may add an FCS), so
 * l3_caplen is min(captured, total length). Captured bytes below the total
 * length are a snapshot-length cut and not an error of the IP layer.
 *
 * Fragments: MF or a non-zero offset marks a fragment; only the one at offset
 * 0 carries the transport header. A later fragment keeps its IP view, adds
 * the soft reason ip.fragment and has no transport layer. A first fragment
 * may be too short for its whole TCP header (RFC 791 lets a fragment carry
 * as little as 8 data octets): tcp.c then gives it ip.fragment as well.
 */
#include "decode_layers.h"

#define IPV4_MIN_HLEN 20u
#define IPV4_MF       0x2000u
#define IPV4_OFFMASK  0x1FFFu

#define IPOPT_EOL 0u
#define IPOPT_NOP 1u

/* Walk the options in c (exactly the option bytes). Returns TC_OK or
 * TC_MALFORMED when an option's length is below 2 or runs past the end. */
static enum tc_rc ipv4_options(struct cursor *c)
{
	uint8_t kind, len;

	while (rd_u8(c, &kind) == TC_OK) {
		if (kind == IPOPT_EOL)
			return TC_OK;
		if (kind == IPOPT_NOP)
			continue;
		if (rd_u8(c, &len) != TC_OK || len < 2)
			return TC_MALFORMED;
		if (rd_skip(c, (size_t)len - 2) != TC_OK)
			return TC_MALFORMED;
	}
	return TC_OK;
}

/* The end of ipv4_parse for a header with options or a later fragment:
 * the soft reasons in their order, ip.bad-options (an option's length is
 * bad; opts holds the option bytes, maybe none) before ip.fragment.
 * Returns TC_OK. */
__attribute__((noinline))
static enum tc_rc ipv4_soft_reasons(struct pkt *p, struct cursor opts)
{
	if (ipv4_options(&opts) != TC_OK)
		pkt_add_err(p, PE_IP_BAD_OPTIONS);
	if (p->later_fragment)
		pkt_add_err(p, PE_IP_FRAGMENT);
	return TC_OK;
}

DECODE_COLD static enum tc_rc ipv4_fail(struct pkt *p, enum tc_rc rc, enum pkt_err why)
{
	pkt_add_err(p, why);
	pkt_clear_ip(p);
	return rc;
}

enum tc_rc ipv4_parse(struct cursor *c, size_t wire, struct pkt *p)
{
	const uint8_t *l3 = c->p;
	size_t cap = cur_left(c);
	struct cursor h = *c, fix = { NULL, NULL }, opts = { NULL, NULL };
	/* zero-initialised: the fit check makes every read below succeed,
	 * which the compiler cannot see */
	uint8_t vhl = 0, tos = 0;
	uint16_t totlen = 0, frag = 0, csum = 0;
	size_t hlen, len;
	enum tc_rc rc;

	rc = fit_header(IPV4_MIN_HLEN, cap, wire);
	if (rc != TC_OK)
		return ipv4_fail(p, rc, rc == TC_TRUNCATED ? PE_IP_TRUNCATED : PE_IP_SHORT);

	/* The fixed header as a sub-cursor of exactly 20 bytes, read at fixed
	 * offsets: its length is a constant, so the compiler folds the
	 * getters' checks into this one. Fields that need no further test go
	 * straight into p (a failure below clears them with the rest). */
	(void)rd_sub(&h, IPV4_MIN_HLEN, &fix);
	(void)at_u8(&fix, 0, &vhl);
	(void)at_u8(&fix, 1, &tos);
	(void)at_be16(&fix, 2, &totlen);
	(void)at_be16(&fix, 4, &p->ip_id);
	(void)at_be16(&fix, 6, &frag);
	(void)at_u8(&fix, 8, &p->ttl);
	(void)at_u8(&fix, 9, &p->proto);
	(void)at_be16(&fix, 10, &csum);
	(void)at_bytes(&fix, 12, p->src, 4);
	(void)at_bytes(&fix, 16, p->dst, 4);
	(void)tos;
	(void)csum;                      /* judged by decode_verify_checksums */

	if (vhl >> 4 != 4)
		return ipv4_fail(p, TC_MALFORMED, PE_IP_BAD_VERSION);
	hlen = (size_t)(vhl & 0x0Fu) * 4;
	if (hlen < IPV4_MIN_HLEN)
		return ipv4_fail(p, TC_MALFORMED, PE_IP_BAD_IHL);
	len = totlen != 0 ? totlen : wire;   /* 0: TSO, see step 4 above */
	if (len < hlen)
		return ipv4_fail(p, TC_MALFORMED, PE_IP_BAD_TOTLEN);
	if (len > wire)
		return ipv4_fail(p, TC_MALFORMED, PE_IP_LEN_EXCEEDS_FRAME);
	if (cap < hlen)
		return ipv4_fail(p, TC_TRUNCATED, PE_IP_TRUNCATED);

	p->have_ip = true;
	p->ipver = 4;
	p->is_fragment = (frag & (IPV4_MF | IPV4_OFFMASK)) != 0;
	p->later_fragment = (frag & IPV4_OFFMASK) != 0;
	p->ip_len = (uint32_t)len;
	p->ip_hlen = (uint32_t)hlen;
	p->l3 = l3;
	p->l3_caplen = cap < len ? cap : len;
	/* Nearly every packet has neither options nor a later fragment: the
	 * soft reasons are a tail call, so nothing stays alive across a call */
	if (hlen > IPV4_MIN_HLEN || p->later_fragment) {
		(void)rd_sub(&h, hlen - IPV4_MIN_HLEN, &opts);   /* fits: cap >= hlen */
		return ipv4_soft_reasons(p, opts);
	}
	return TC_OK;
}
