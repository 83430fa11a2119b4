/*
 * decode_layers.h - the per-layer parsers behind decode_packet() (decode.h).
 *
 * Private to the decoder: link.c, ipv4.c, ipv6.c, tcp.c, udp.c and decode.c
 * include it; nothing above targets/ should. Each parser reads only through
 * the checked cursor (cursor.h) and ends in one of the three outcomes with a
 * named reason added to the packet (pkt_add_err):
 *
 *   TC_OK         the layer's header is complete and consistent;
 *   TC_TRUNCATED  the capture stopped inside the header, but the header would
 *                 have fitted in the bytes on the wire (snapshot length);
 *   TC_MALFORMED  a length field or the frame itself contradicts the header
 *                 (it does not fit even in the bytes on the wire).
 *
 * Link parsers may also return TC_UNSUPPORTED (not IP, or a link type we do
 * not decode). On anything but TC_OK the parser leaves its layer's "have"
 * flag false and its views NULL (pkt_clear_ip / pkt_clear_l4), so no later
 * stage can use half a header.
 *
 * Two lengths bound every layer: "cap", the bytes captured from the start of
 * the layer, and "wire", the bytes the frame had on the wire from there
 * (origlen minus what the lower layers used). The rule that tells truncated
 * from malformed is the same everywhere: a header that runs past "cap" but
 * not past "wire" is truncated; one that runs past "wire" is malformed.
 */
#ifndef TC_DECODE_LAYERS_H
#define TC_DECODE_LAYERS_H

#include "cursor.h"
#include "decode.h"

/* A layer's failure path (most packets never take it) is kept out of line
 * and marked cold, so the compiler lays the common path out straight. */
#define DECODE_COLD __attribute__((cold, noinline))

#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86DDu

#define IPPROTO_NUM_HOPOPTS  0u
#define IPPROTO_NUM_TCP      6u
#define IPPROTO_NUM_UDP      17u
#define IPPROTO_NUM_ROUTING  43u
#define IPPROTO_NUM_FRAGMENT 44u
#define IPPROTO_NUM_AH       51u
#define IPPROTO_NUM_NONE     59u
#define IPPROTO_NUM_DSTOPTS  60u

/*
 * link_parse - consume the link-layer header (and any VLAN tags) of a frame.
 * c: the whole captured frame; on TC_OK it is advanced to the first byte of
 * the IP header (and ends where the link layer says the IP packet ends:
 * NFLOG's payload TLV) and p->ethertype is ETHERTYPE_IPV4 or ETHERTYPE_IPV6.
 * *wire: the frame's length on the wire (never below the captured length);
 * on TC_OK, the IP packet's length on the wire from c on (the rest of the
 * frame, or what NFLOG's payload TLV says, link.c).
 * Returns TC_OK; TC_TRUNCATED (link.truncated); TC_MALFORMED (link.short-frame,
 * link.vlan-too-deep, ip.bad-version for raw IP with another version, or
 * ip.short-frame for raw IP with nothing in it); TC_UNSUPPORTED
 * (link.unsupported, link.not-ip).
 */
enum tc_rc link_parse(uint32_t linktype, struct cursor *c, size_t *wire, struct pkt *p);

/*
 * link_parse_inline - link_parse with its most common case inline in the
 * caller: an untagged Ethernet frame carrying IPv4 or IPv6 whose 14-byte
 * header was captured. Same contract and results as link_parse (which
 * would take the same branch: header fits, EtherType is IP, no tag to
 * walk); every other frame goes to link_parse.
 */
static inline enum tc_rc link_parse_inline(uint32_t linktype, struct cursor *c, size_t *wire,
					   struct pkt *p)
{
	struct cursor rest = *c, eth = { NULL, NULL };
	uint16_t type = 0;

	if (LT_TYPE(linktype) == LT_EN10MB && rd_sub(&rest, 14, &eth) == TC_OK &&
	    at_be16(&eth, 12, &type) == TC_OK &&
	    (type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6)) {
		p->ethertype = type;
		*c = rest;
		*wire -= 14;
		return TC_OK;
	}
	return link_parse(linktype, c, wire, p);
}

/*
 * ipv4_parse / ipv6_parse - the network header, IPv6 extension headers
 * included. c covers the captured bytes from the IP header on; wire is the
 * wire length from the same point. On TC_OK p->have_ip is true and l3,
 * l3_caplen, ip_len, ip_hlen, proto, addresses and fragment fields are set.
 * Returns TC_OK, TC_TRUNCATED or TC_MALFORMED with the reason added.
 * Soft reasons (ip.bad-options, ip6.bad-ext for a chain whose headers fit
 * but break an ordering rule, ip.fragment) are added without failing.
 */
enum tc_rc ipv4_parse(struct cursor *c, size_t wire, struct pkt *p);
enum tc_rc ipv6_parse(struct cursor *c, size_t wire, struct pkt *p);

/*
 * tcp_parse / udp_parse - the transport header of a packet whose IP layer
 * parsed (p->have_ip, not a later fragment). The segment is taken from p:
 * its length on the wire is ip_len - ip_hlen, its captured part
 * l3_caplen - ip_hlen. On TC_OK p->have_l4 is true and every transport field
 * is set. Returns TC_OK, TC_TRUNCATED or TC_MALFORMED with the reason added.
 * tcp.bad-options is soft: the header stays usable. tcp_parse may also end
 * in TC_OK without a transport layer: an IPv4 first fragment that holds
 * only part of the TCP header (ip.fragment, see tcp.c).
 */
enum tc_rc tcp_parse(struct pkt *p);
enum tc_rc udp_parse(struct pkt *p);

/* Clear the network (and with it the transport) view, or only the transport
 * view, after a failed parse. */
void pkt_clear_ip(struct pkt *p);
void pkt_clear_l4(struct pkt *p);

/*
 * fit_header - the outcome of a header of need bytes against cap captured
 * and wire on-the-wire bytes: TC_OK when it fits the capture, TC_TRUNCATED
 * when it fits only the wire, TC_MALFORMED when it fits neither.
 */
static inline enum tc_rc fit_header(size_t need, size_t cap, size_t wire)
{
	if (cap >= need)
		return TC_OK;
	return wire >= need ? TC_TRUNCATED : TC_MALFORMED;
}

#endif /* TC_DECODE_LAYERS_H */
