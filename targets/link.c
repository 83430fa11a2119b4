/*
 * link.c - link-layer headers: from the first byte of a frame to its IP header.
 *
 * Link types (LINKTYPE_* as libpcap writes them in files; the top six bits of
 * a pcap header's link type carry the FCS length and are masked off here as
 * libpcap's LT_LINKTYPE() does):
 *   1    Ethernet II (IEEE 802.3), then any VLAN tags: 802.1Q (0x8100),
 *        802.1ad S-tag (0x88a8) and the pre-standard QinQ 0x9100, at most
 *        PKT_MAX_VLANS deep (one more is link.vlan-too-deep: a real network
 *        stacks two or three). An EtherType below 0x0600 is an 802.3 length
 *        (LLC follows) and counts as not IP.
 *   113  Linux cooked v1: 16-byte header, protocol (an EtherType) last.
 *   276  Linux cooked v2: 20-byte header, protocol first.
 *        Both may be followed by VLAN tags, as on Ethernet.
 *   101, 12, 14  raw IP: the version nibble picks IPv4 or IPv6.
 *   228, 229     raw IPv4, raw IPv6.
 *   0    BSD loopback: a 4-byte address family in the byte order of the
 *        machine that captured it. A value that does not fit 16 bits was
 *        written in the other order and is read swapped (AF numbers are
 *        small), as libpcap and Wireshark do.
 *   108  OpenBSD loopback: the same family word, in network byte order.
 *        AF_INET is 2 everywhere; AF_INET6 differs per system: 24 (NetBSD,
 *        OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly), 30 (Darwin). All count.
 *
 * Check order for every link type: the fixed header fits (truncated when it
 * fits only the wire length, link.short-frame when not even that), then the
 * protocol field, then each VLAN tag the same way. Nothing here reads past a
 * checked cursor getter.
 */
#include "decode_layers.h"

#define ETHERTYPE_VLAN    0x8100u   /* IEEE 802.1Q C-tag */
#define ETHERTYPE_QINQ    0x88A8u   /* IEEE 802.1ad S-tag */
#define ETHERTYPE_QINQ_OLD 0x9100u  /* pre-standard double tagging */
#define ETHERTYPE_MIN     0x0600u   /* below: an IEEE 802.3 length field */

#define ETH_HLEN   14u
#define VLAN_HLEN  4u
#define SLL_HLEN   16u
#define SLL2_HLEN  20u
#define NULL_HLEN  4u

#define BSD_AF_INET          2u
#define BSD_AF_INET6_BSD     24u
#define BSD_AF_INET6_FREEBSD 28u
#define BSD_AF_INET6_DARWIN  30u

/* The link header of need bytes against what is left: ok, truncated, or
 * link.short-frame when the frame on the wire is too short for it. */
static enum tc_rc link_fit(struct cursor *c, size_t need, size_t wire_left, struct pkt *p)
{
	enum tc_rc rc = fit_header(need, cur_left(c), wire_left);

	if (rc == TC_TRUNCATED)
		pkt_add_err(p, PE_LINK_TRUNCATED);
	else if (rc == TC_MALFORMED)
		pkt_add_err(p, PE_LINK_SHORT);
	return rc;
}

static size_t wire_left(const struct cursor *c, const uint8_t *start, size_t wire)
{
	size_t used = (size_t)(c->p - start);

	return wire > used ? wire - used : 0;
}

/*
 * Walk VLAN tags starting from EtherType type (already read), leaving c at
 * the network header. Accepts IPv4 and IPv6 only; everything else that is
 * well formed is "not IP".
 */
static enum tc_rc walk_ethertype(uint16_t type, struct cursor *c, const uint8_t *start,
				 size_t wire, struct pkt *p)
{
	enum tc_rc rc;

	while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD) {
		uint16_t tci = 0;

		if (p->n_vlan >= PKT_MAX_VLANS) {
			pkt_add_err(p, PE_VLAN_TOO_DEEP);
			return TC_MALFORMED;
		}
		rc = link_fit(c, VLAN_HLEN, wire_left(c, start, wire), p);
		if (rc != TC_OK)
			return rc;
		(void)rd_be16(c, &tci);
		(void)rd_be16(c, &type);
		p->vlan[p->n_vlan++] = (uint16_t)(tci & 0x0FFFu);
	}
	p->ethertype = type;
	if (type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6)
		return TC_OK;
	pkt_add_err(p, PE_NOT_IP);
	return TC_UNSUPPORTED;
}

static enum tc_rc parse_ethernet(struct cursor *c, size_t wire, struct pkt *p)
{
	const uint8_t *start = c->p;
	struct cursor fix = { NULL, NULL };
	uint16_t type = 0;
	enum tc_rc rc;

	rc = link_fit(c, ETH_HLEN, wire, p);
	if (rc != TC_OK)
		return rc;
	/* destination and source MAC, then the EtherType */
	(void)rd_sub(c, ETH_HLEN, &fix);
	(void)at_be16(&fix, 12, &type);
	if (type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6) {
		p->ethertype = type;     /* untagged IP: what walk_ethertype concludes */
		return TC_OK;
	}
	if (type < ETHERTYPE_MIN) {      /* 802.3 length: LLC/SNAP follows */
		p->ethertype = type;
		pkt_add_err(p, PE_NOT_IP);
		return TC_UNSUPPORTED;
	}
	return walk_ethertype(type, c, start, wire, p);
}

static enum tc_rc parse_sll(struct cursor *c, size_t wire, struct pkt *p)
{
	const uint8_t *start = c->p;
	uint16_t proto = 0;
	enum tc_rc rc;

	rc = link_fit(c, SLL_HLEN, wire, p);
	if (rc != TC_OK)
		return rc;
	/* packet type, ARPHRD type, address length, 8 address bytes */
	(void)rd_skip(c, 14);
	(void)rd_be16(c, &proto);
	return walk_ethertype(proto, c, start, wire, p);
}

static enum tc_rc parse_sll2(struct cursor *c, size_t wire, struct pkt *p)
{
	const uint8_t *start = c->p;
	uint16_t proto = 0;
	enum tc_rc rc;

	rc = link_fit(c, SLL2_HLEN, wire, p);
	if (rc != TC_OK)
		return rc;
	(void)rd_be16(c, &proto);
	/* reserved, interface index, ARPHRD type, packet type, address length,
	 * 8 address bytes */
	(void)rd_skip(c, 18);
	return walk_ethertype(proto, c, start, wire, p);
}

/* Raw IP: no header; the version nibble says which IP. An empty frame or a
 * version other than 4 or 6 is the IP layer's problem, so it is reported
 * with the IP layer's reasons. */
static enum tc_rc parse_raw(struct cursor *c, size_t wire, struct pkt *p)
{
	struct cursor peek = *c;
	uint8_t vhl;

	if (rd_u8(&peek, &vhl) != TC_OK) {
		if (wire > 0) {
			pkt_add_err(p, PE_IP_TRUNCATED);
			return TC_TRUNCATED;
		}
		pkt_add_err(p, PE_IP_SHORT);
		return TC_MALFORMED;
	}
	switch (vhl >> 4) {
	case 4:
		p->ethertype = ETHERTYPE_IPV4;
		return TC_OK;
	case 6:
		p->ethertype = ETHERTYPE_IPV6;
		return TC_OK;
	default:
		pkt_add_err(p, PE_IP_BAD_VERSION);
		return TC_MALFORMED;
	}
}

static enum tc_rc parse_loopback(struct cursor *c, size_t wire, bool network_order,
				 struct pkt *p)
{
	uint32_t af = 0;
	enum tc_rc rc;

	rc = link_fit(c, NULL_HLEN, wire, p);
	if (rc != TC_OK)
		return rc;
	if (network_order) {
		(void)rd_be32(c, &af);
	} else {
		(void)rd_le32(c, &af);
		if (af > 0xFFFFu)        /* written big-endian: swap */
			af = (af >> 24) | ((af >> 8) & 0xFF00u) |
			     ((af << 8) & 0xFF0000u) | (af << 24);
	}
	switch (af) {
	case BSD_AF_INET:
		p->ethertype = ETHERTYPE_IPV4;
		return TC_OK;
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		p->ethertype = ETHERTYPE_IPV6;
		return TC_OK;
	default:
		pkt_add_err(p, PE_NOT_IP);
		return TC_UNSUPPORTED;
	}
}

enum tc_rc link_parse(uint32_t linktype, struct cursor *c, size_t wire, struct pkt *p)
{
	uint32_t lt = linktype & 0x03FFFFFFu;

	if (lt == LT_EN10MB)             /* by far the most common: no table jump */
		return parse_ethernet(c, wire, p);
	switch (lt) {
	case LT_LINUX_SLL:
		return parse_sll(c, wire, p);
	case LT_LINUX_SLL2:
		return parse_sll2(c, wire, p);
	case LT_RAW:
	case LT_RAW_OLD12:
	case LT_RAW_OLD14:
		return parse_raw(c, wire, p);
	case LT_IPV4:
		p->ethertype = ETHERTYPE_IPV4;
		return TC_OK;
	case LT_IPV6:
		p->ethertype = ETHERTYPE_IPV6;
		return TC_OK;
	case LT_NULL:
		return parse_loopback(c, wire, false, p);
	case LT_LOOP:
		return parse_loopback(c, wire, true, p);
	default:
		pkt_add_err(p, PE_LINK_UNSUPPORTED);
		return TC_UNSUPPORTED;
	}
}
