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
 *   7. options: each one's length fits the header and suits its kind, else
 *      ip.bad-options, which is soft: the options never change where the
 *      header ends, so the header stays usable. A kind with a fixed size must
 *      have it (Stream ID and Router Alert 4, RFC 791 and RFC 2113 2.1;
 *      Quick-Start 8, RFC 4782 4.1), one with a variable size must hold its
 *      fixed part (Record Route, LSRR and SSRR 3: type, length, pointer;
 *      Timestamp 4: type, length, pointer, overflow and flags, RFC 791 3.1;
 *      Security 3, RFC 1108 2). Other kinds are taken at their length. A loose
 *      or strict source route (LSRR, SSRR) whose pointer is not past its
 *      length still has hops to go: dst is the next hop, and the final
 *      destination, which the transport checksum's pseudo header names (as
 *      tcpdump and Wireshark take it), is the option's last address;
 *   8. the authentication header (protocol 51, RFC 4302) in a datagram that
 *      is not a later fragment: stepped over to the protocol it protects, as
 *      ipv6.c does, its length (payload length + 2) 4-byte words. It must fit
 *      in the total length, else ip.bad-total-length (ip_hlen, which then
 *      counts the AH too, would exceed it; in a first fragment, ip.fragment
 *      and no transport layer instead: the rest may be in the next one), and
 *      in the capture, else ip.truncated. At most PKT_MAX_EXTHDRS of them are
 *      walked; a further AH ends the walk as the upper-layer protocol. The
 *      IPv4 header checksum still covers the IHL*4 bytes alone.
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

#define IPOPT_EOL  0u
#define IPOPT_NOP  1u
#define IPOPT_RR   7u      /* Record Route (RFC 791)                */
#define IPOPT_QS   25u     /* Quick-Start (RFC 4782)                */
#define IPOPT_TS   68u     /* Internet Timestamp (RFC 791)          */
#define IPOPT_SEC  130u    /* Basic Security (RFC 1108)             */
#define IPOPT_LSRR 131u    /* Loose Source and Record Route (RFC 791) */
#define IPOPT_SID  136u    /* Stream Identifier (RFC 791)           */
#define IPOPT_SSRR 137u    /* Strict Source and Record Route (RFC 791) */
#define IPOPT_RA   148u    /* Router Alert (RFC 2113)               */

#define IPV4_ADDR_LEN 4u

/* Whether len (type and length octets counted) suits an option of this
 * kind: see step 7 above. len is at least 2. */
static bool ipv4_option_len_ok(uint8_t kind, uint8_t len)
{
	switch (kind) {
	case IPOPT_SID:
	case IPOPT_RA:
		return len == 4;
	case IPOPT_QS:
		return len == 8;
	case IPOPT_TS:
		return len >= 4;
	case IPOPT_RR:
	case IPOPT_LSRR:
	case IPOPT_SSRR:
	case IPOPT_SEC:
		return len >= 3;
	default:
		return true;
	}
}

/*
 * A loose or strict source route of len bytes, body its bytes after type
 * and length. RFC 791 3.1: the pointer (1-based, in the option) names the
 * next address to visit; one greater than the length means the route is
 * used up and dst is the final destination. Otherwise dst is a waypoint
 * (p->dst_routed), and when the pointer sits on an address (4, 8, ...)
 * of route data made of whole addresses, the last one is the final
 * destination (p->final_dst). Returns nothing: a route is not an error.
 */
static void ipv4_source_route(struct cursor body, uint8_t len, struct pkt *p)
{
	uint8_t ptr = 0;

	if (rd_u8(&body, &ptr) != TC_OK || ptr > len)
		return;
	p->dst_routed = true;
	p->final_dst = NULL;             /* a later route option replaces an earlier one */
	if (ptr < 4 || ptr % 4 != 0 || ((size_t)len - 3) % IPV4_ADDR_LEN != 0)
		return;
	/* ptr <= len with both as above leaves at least one whole address */
	(void)rd_skip(&body, (size_t)len - 3 - IPV4_ADDR_LEN);
	if (cur_left(&body) == IPV4_ADDR_LEN)
		p->final_dst = body.p;
}

/* Walk the options in c (exactly the option bytes), noting a source route
 * in p. Returns TC_OK, or TC_MALFORMED when an option's length is below 2,
 * runs past the end or does not suit its kind (the walk then goes on by
 * that length when it can). */
static enum tc_rc ipv4_options(struct cursor *c, struct pkt *p)
{
	enum tc_rc result = TC_OK;
	uint8_t kind, len;

	while (rd_u8(c, &kind) == TC_OK) {
		struct cursor body;

		if (kind == IPOPT_EOL)
			break;
		if (kind == IPOPT_NOP)
			continue;
		if (rd_u8(c, &len) != TC_OK || len < 2 ||
		    rd_sub(c, (size_t)len - 2, &body) != TC_OK)
			return TC_MALFORMED;
		if (!ipv4_option_len_ok(kind, len))
			result = TC_MALFORMED;
		else if (kind == IPOPT_LSRR || kind == IPOPT_SSRR)
			ipv4_source_route(body, len, p);
	}
	return result;
}

DECODE_COLD static enum tc_rc ipv4_fail(struct pkt *p, enum tc_rc rc, enum pkt_err why)
{
	pkt_add_err(p, why);
	pkt_clear_ip(p);
	return rc;
}

/* An AH that does not fit in the datagram: in a first fragment the rest
 * of it may follow in the next fragment, as a TCP header may (tcp.c), so
 * the walk ends there with the soft ip.fragment and no transport layer
 * (p->proto stays 51); anywhere else the total length is too short for the
 * headers it carries. */
DECODE_COLD static enum tc_rc ipv4_ah_short(struct pkt *p)
{
	if (p->is_fragment) {
		pkt_add_err(p, PE_IP_FRAGMENT);
		return TC_OK;
	}
	return ipv4_fail(p, TC_MALFORMED, PE_IP_BAD_TOTLEN);
}

/* Step over the authentication headers at l3 + p->ip_hlen (step 8 above):
 * p->proto and p->ip_hlen move past each. cap is the captured length from
 * l3, already clamped to the total length. Returns TC_OK, or the failure
 * with the IP view cleared. */
static enum tc_rc ipv4_ah(struct pkt *p, size_t cap)
{
	unsigned n;

	for (n = 0; n < PKT_MAX_EXTHDRS && p->proto == IPPROTO_NUM_AH; n++) {
		struct cursor ah = cur_make(p->l3 + p->ip_hlen, cap - p->ip_hlen);
		uint8_t next = 0, plen = 0;
		size_t alen;

		/* the next header and payload length octets, then the whole AH,
		 * each against the datagram (total length) and the capture */
		if (p->ip_len - p->ip_hlen < 2)
			return ipv4_ah_short(p);
		if (at_u8(&ah, 0, &next) != TC_OK || at_u8(&ah, 1, &plen) != TC_OK)
			return ipv4_fail(p, TC_TRUNCATED, PE_IP_TRUNCATED);
		alen = ((size_t)plen + 2) * 4;
		if (p->ip_len - p->ip_hlen < alen)
			return ipv4_ah_short(p);
		if (cur_left(&ah) < alen)
			return ipv4_fail(p, TC_TRUNCATED, PE_IP_TRUNCATED);
		p->ip_hlen += (uint32_t)alen;
		p->proto = next;
	}
	return TC_OK;
}

/* The end of ipv4_parse for a header with options, a later fragment or an
 * authentication header: the soft reasons in their order, ip.bad-options
 * (opts holds the option bytes, maybe none) before ip.fragment, then the
 * AH walk, which may fail. */
__attribute__((noinline))
static enum tc_rc ipv4_tail(struct pkt *p, struct cursor opts)
{
	if (ipv4_options(&opts, p) != TC_OK)
		pkt_add_err(p, PE_IP_BAD_OPTIONS);
	if (p->later_fragment) {
		pkt_add_err(p, PE_IP_FRAGMENT);
		return TC_OK;
	}
	return p->proto == IPPROTO_NUM_AH ? ipv4_ah(p, p->l3_caplen) : TC_OK;
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
	/* Nearly every packet has neither options nor a later fragment nor
	 * AH: the rest is a tail call, so nothing stays alive across a call */
	if (hlen > IPV4_MIN_HLEN || p->later_fragment || p->proto == IPPROTO_NUM_AH) {
		(void)rd_sub(&h, hlen - IPV4_MIN_HLEN, &opts);   /* fits: cap >= hlen */
		return ipv4_tail(p, opts);
	}
	return TC_OK;
}
