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
 *   9, 50  PPP (RFC 1661) as libpcap stores it: the HDLC-like address and
 *        control bytes 0xFF 0x03 (RFC 1662 3.1), or none when they were
 *        compressed away (ACFC, RFC 1661 6.6), then the protocol field, one
 *        byte when the first is odd (PFC, RFC 1661 6.5) and two otherwise:
 *        0x0021 IPv4, 0x0057 IPv6 (RFC 5072), 0x0281/0x0283 MPLS (RFC
 *        3032 4.3). A first byte 0x0F or 0x8F is Cisco HDLC instead, which
 *        libpcap allows in both link types. 0xFF followed by anything but
 *        0x03 is not PPP data (not IP).
 *   104  Cisco HDLC: address, control, then an EtherType.
 *   51   PPPoE session header without Ethernet (NetBSD), as below.
 *   129  Linux ARCNET (LINKTYPE_ARCNET_LINUX): source and destination
 *        station (a byte each), a 2-byte offset, and the protocol id. IPv4
 *        under RFC 1051 (0xF0) follows at once; IPv4 (0xD4, RFC 1201) and
 *        IPv6 (0xC4, RFC 2497) follow RFC 1201's split flag and 2-byte
 *        sequence number. The split flag is not read: a packet socket
 *        taps the stack above the driver, which splits and reassembles,
 *        so it sees whole packets (tcpdump and Wireshark read them so
 *        too). Any other protocol id is not IP.
 *   242  IP over InfiniBand (LINKTYPE_IPOIB): a 40-byte pseudo-header (an
 *        InfiniBand global route header or, when its first two bytes are
 *        zero, 20 unused bytes and the destination's 20-byte hardware
 *        address), then RFC 4391's 4-byte encapsulation header: an
 *        EtherType and 2 reserved bytes. This is the layout tcpdump and
 *        Wireshark read (the EtherType at offset 40); IPv4 and IPv6 are
 *        IP, any other type is not.
 *   226  Solaris ipnet (LINKTYPE_IPNET, the IP observability devices): a
 *        24-byte big-endian header (version, address family, hook type,
 *        packet length, interface index, group interface index, source
 *        and destination zone); family 2 is IPv4 and 26 Solaris's
 *        AF_INET6, any other is not IP. The version byte and the length
 *        are not checked, as tcpdump and Wireshark do not: the IP header
 *        carries its own length.
 *   117  pf's log (LINKTYPE_PFLOG: `tcpdump -i pflog0` on OpenBSD, FreeBSD,
 *        pfSense, OPNsense): a header whose first byte is its own length
 *        and second the address family, then the packet from its IP
 *        header on, at that length rounded up to a multiple of 4. Each
 *        system's header has a length of its own (61, FreeBSD's 69,
 *        OpenBSD's 100; 45 in the oldest), so only the first two bytes are
 *        read. A length below 45 is link.short-frame (tcpdump and Wireshark
 *        stop there too). The family is the logging host's: 2 is IPv4, 24,
 *        28 and 30 are IPv6 (as for BSD loopback below); any other is not
 *        IP.
 *   239  Linux NFLOG, what `tcpdump -i nflog` writes (LINKTYPE_NFLOG): a
 *        4-byte header (address family, version 0, resource id), then TLVs
 *        of a 16-bit length (counting the 4-byte TLV header, not the
 *        padding to the next multiple of 4) and a 16-bit type, in the byte
 *        order of the host that wrote the file. Type 9 (NFULA_PAYLOAD)
 *        holds the packet from its IP header on: IPv4 when the family is 2,
 *        IPv6 when it is 10 (Linux's AF_INET6), as tcpdump reads it; any
 *        other family or version, or no payload TLV (a rule that logs no
 *        packet bytes), is not IP. The byte order is read off the first
 *        TLV's type, since the file header is not seen here: every type
 *        Linux defines (1-21) has a zero high byte once the two flag bits
 *        (nested, network order) are masked off, so a type that is zero in
 *        its first byte and not in its second was written big-endian (the
 *        way the loopback header's family is read below). A TLV shorter
 *        than its own header, or one that runs past the frame on the wire,
 *        is link.short-frame. No field records how much of the packet the
 *        rule left out (its copy range, nflog-size), so the payload's wire
 *        length is taken to be its IP header's own length when that is
 *        longer: a cut payload is truncated, not an IP length that lies.
 *   258, 149  Apple PKTAP (`tcpdump -i pktap` on macOS; Apple's libpcap
 *        writes it as 149, LINKTYPE_USER2, which tcpdump and Wireshark read
 *        as PKTAP too): a little-endian header whose first three words are
 *        its own length (108 bytes at least, Apple's first layout; later
 *        ones are longer), the record type (1: a packet) and the DLT of the
 *        frame that follows, then that frame, decoded as its link type is
 *        (any above but NFLOG and PKTAP). A header length below 108 is
 *        link.short-frame; another record type, or an inner link type not
 *        decoded here, is not IP (the record's own link type is read).
 *
 * Inside Ethernet, Linux cooked and Cisco HDLC, after any VLAN tags:
 *   0x8847, 0x8848  an MPLS label stack (RFC 3032): 4-byte entries up to the
 *        one with the bottom-of-stack bit. The stack does not say what it
 *        carries: a bottom label 0 is IPv4 and 2 is IPv6 (the explicit
 *        null labels, RFC 3032 2.1); after any other label a first nibble
 *        of 4 or 6 is taken as that IP, as tcpdump and Wireshark guess, and
 *        anything else (a pseudowire, a G-ACh) is not IP. A stack is never
 *        longer than its frame, so no depth limit is needed.
 *   0x8864  PPPoE session stage (RFC 2516 4): version and type 1, code 0,
 *        session id, length, then the PPP protocol field as above. Another
 *        version, type or code is not session data (not IP). The PPPoE
 *        length is not checked against the frame: the IP header inside
 *        carries its own lengths, which are.
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
#define ETHERTYPE_MPLS    0x8847u   /* RFC 3032 5: MPLS unicast */
#define ETHERTYPE_MPLS_MC 0x8848u   /* RFC 5332: MPLS multicast */
#define ETHERTYPE_PPPOE   0x8864u   /* RFC 2516: PPPoE session stage */

#define PPP_ADDRESS  0xFFu           /* RFC 1662 3.1: all-stations */
#define PPP_CONTROL  0x03u           /* RFC 1662 3.1: unnumbered information */
#define PPP_IPV4     0x0021u
#define PPP_IPV6     0x0057u
#define PPP_MPLS     0x0281u
#define PPP_MPLS_MC  0x0283u
#define CHDLC_UNICAST   0x0Fu        /* Cisco HDLC address bytes */
#define CHDLC_MULTICAST 0x8Fu

#define MPLS_LABEL_V4_NULL 0u        /* RFC 3032 2.1: IPv4 explicit null */
#define MPLS_LABEL_V6_NULL 2u        /* RFC 3032 2.1: IPv6 explicit null */

#define ETH_HLEN   14u
#define VLAN_HLEN  4u
#define SLL_HLEN   16u
#define SLL2_HLEN  20u
#define NULL_HLEN  4u
#define MPLS_HLEN  4u
#define PPPOE_HLEN 6u
#define CHDLC_HLEN 4u

#define NFLOG_HLEN     4u            /* family, version, resource id */
#define NFLOG_TLV_HLEN 4u            /* length, type */
#define NFLOG_AF_INET  2u
#define NFLOG_AF_INET6 10u           /* Linux's AF_INET6 */
#define NFULA_PAYLOAD  9u
#define NFLOG_TYPE_MASK 0x3FFFu      /* NLA_F_NESTED and NLA_F_NET_BYTEORDER off */

#define ARCNET_HLEN      5u          /* source, destination, offset, protocol id */
#define ARCNET_SPLIT_HLEN 3u         /* RFC 1201: split flag, sequence number */
#define ARCNET_IP_1051   0xF0u
#define ARCNET_IP_1201   0xD4u
#define ARCNET_IPV6      0xC4u       /* RFC 2497 */

#define IPOIB_HLEN       44u         /* pseudo-header, EtherType, reserved */
#define IPOIB_TYPE_OFF   40u

#define IPNET_HLEN       24u
#define IPNET_AF_INET    2u
#define IPNET_AF_INET6   26u         /* Solaris's AF_INET6 */

#define PFLOG_HLEN_MIN   45u         /* the oldest pfloghdr; later ones are longer */

#define PKTAP_WORDS    12u           /* header length, record type, DLT */
#define PKTAP_HLEN_MIN 108u          /* Apple's first pktap_header */
#define PKTAP_REC_PACKET 1u

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

static enum tc_rc walk_mpls(struct cursor *c, const uint8_t *start, size_t wire, struct pkt *p);
static enum tc_rc walk_pppoe(struct cursor *c, const uint8_t *start, size_t wire, struct pkt *p);

/*
 * Walk VLAN tags starting from EtherType type (already read), leaving c at
 * the network header. Accepts IPv4 and IPv6, and MPLS and PPPoE carrying
 * them; everything else that is well formed is "not IP".
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
	if (type == ETHERTYPE_MPLS || type == ETHERTYPE_MPLS_MC)
		return walk_mpls(c, start, wire, p);
	if (type == ETHERTYPE_PPPOE)
		return walk_pppoe(c, start, wire, p);
	pkt_add_err(p, PE_NOT_IP);
	return TC_UNSUPPORTED;
}

/*
 * The version nibble of the byte at c, for a header that does not say what
 * follows it (raw IP, the bottom of an MPLS stack): 4 or 6 is that IP; any
 * other adds other, PE_IP_BAD_VERSION (malformed: raw IP carries nothing
 * else) or PE_NOT_IP (unsupported: an MPLS pseudowire or G-ACh). Nothing
 * left is the IP layer's truncation, judged on left, the wire bytes from c.
 */
static enum tc_rc ip_by_version(const struct cursor *c, size_t left, enum pkt_err other,
				struct pkt *p)
{
	struct cursor peek = *c;
	uint8_t vhl;

	if (rd_u8(&peek, &vhl) != TC_OK) {
		if (left > 0) {
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
		pkt_add_err(p, other);
		return other == PE_NOT_IP ? TC_UNSUPPORTED : TC_MALFORMED;
	}
}

/* An MPLS label stack from c (p->ethertype already says MPLS), leaving c
 * at what the bottom entry carries. */
static enum tc_rc walk_mpls(struct cursor *c, const uint8_t *start, size_t wire, struct pkt *p)
{
	uint32_t entry = 0;
	enum tc_rc rc;

	do {
		rc = link_fit(c, MPLS_HLEN, wire_left(c, start, wire), p);
		if (rc != TC_OK)
			return rc;
		(void)rd_be32(c, &entry);
	} while ((entry & 0x100u) == 0);        /* S: bottom of stack */
	switch (entry >> 12) {
	case MPLS_LABEL_V4_NULL:
		p->ethertype = ETHERTYPE_IPV4;
		return TC_OK;
	case MPLS_LABEL_V6_NULL:
		p->ethertype = ETHERTYPE_IPV6;
		return TC_OK;
	default:
		return ip_by_version(c, wire_left(c, start, wire), PE_NOT_IP, p);
	}
}

/* A PPP protocol field (one byte when odd, RFC 1661 6.5) and what it
 * carries. */
static enum tc_rc walk_ppp_proto(struct cursor *c, const uint8_t *start, size_t wire,
				 struct pkt *p)
{
	uint8_t b = 0;
	uint16_t proto;
	enum tc_rc rc;

	rc = link_fit(c, 1, wire_left(c, start, wire), p);
	if (rc != TC_OK)
		return rc;
	(void)rd_u8(c, &b);
	proto = b;
	if ((b & 1u) == 0) {
		rc = link_fit(c, 1, wire_left(c, start, wire), p);
		if (rc != TC_OK)
			return rc;
		(void)rd_u8(c, &b);
		proto = (uint16_t)(proto << 8 | b);
	}
	switch (proto) {
	case PPP_IPV4:
		p->ethertype = ETHERTYPE_IPV4;
		return TC_OK;
	case PPP_IPV6:
		p->ethertype = ETHERTYPE_IPV6;
		return TC_OK;
	case PPP_MPLS:
	case PPP_MPLS_MC:
		p->ethertype = proto == PPP_MPLS ? ETHERTYPE_MPLS : ETHERTYPE_MPLS_MC;
		return walk_mpls(c, start, wire, p);
	default:
		p->ethertype = 0;               /* no EtherType names it */
		pkt_add_err(p, PE_NOT_IP);
		return TC_UNSUPPORTED;
	}
}

/* A PPPoE session header from c, then its PPP protocol field. */
static enum tc_rc walk_pppoe(struct cursor *c, const uint8_t *start, size_t wire, struct pkt *p)
{
	uint8_t vt = 0, code = 0;
	enum tc_rc rc;

	rc = link_fit(c, PPPOE_HLEN, wire_left(c, start, wire), p);
	if (rc != TC_OK)
		return rc;
	/* version and type, code, session id, length */
	(void)rd_u8(c, &vt);
	(void)rd_u8(c, &code);
	(void)rd_skip(c, 4);
	if (vt != 0x11u || code != 0) {
		pkt_add_err(p, PE_NOT_IP);
		return TC_UNSUPPORTED;
	}
	return walk_ppp_proto(c, start, wire, p);
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

/* A fixed header of hlen bytes whose last two are the EtherType: Linux
 * cooked v1 (packet type, ARPHRD type, address length, 8 address bytes)
 * and Cisco HDLC (address, control). */
static enum tc_rc parse_type_last(struct cursor *c, size_t wire, size_t hlen, struct pkt *p)
{
	const uint8_t *start = c->p;
	uint16_t type = 0;
	enum tc_rc rc;

	rc = link_fit(c, hlen, wire, p);
	if (rc != TC_OK)
		return rc;
	(void)rd_skip(c, hlen - 2);
	(void)rd_be16(c, &type);
	return walk_ethertype(type, c, start, wire, p);
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

/* An address family as the BSDs and Darwin number it (BSD loopback, pf's
 * log): which IP, or not IP. */
static enum tc_rc ip_by_bsd_family(uint32_t af, struct pkt *p)
{
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
	return ip_by_bsd_family(af, p);
}

/* PPP with or without its address and control bytes, or Cisco HDLC. */
static enum tc_rc parse_ppp(struct cursor *c, size_t wire, struct pkt *p)
{
	const uint8_t *start = c->p;
	uint8_t b0 = 0, b1 = 0;

	if (at_u8(c, 0, &b0) == TC_OK) {
		if (b0 == CHDLC_UNICAST || b0 == CHDLC_MULTICAST)
			return parse_type_last(c, wire, CHDLC_HLEN, p);
		if (b0 == PPP_ADDRESS) {
			enum tc_rc rc = link_fit(c, 2, wire, p);

			if (rc != TC_OK)
				return rc;
			(void)rd_u8(c, &b0);
			(void)rd_u8(c, &b1);
			if (b1 != PPP_CONTROL) {
				pkt_add_err(p, PE_NOT_IP);
				return TC_UNSUPPORTED;
			}
		}
	}
	return walk_ppp_proto(c, start, wire, p);
}

/* PPPoE without Ethernet (LINKTYPE_PPP_ETHER). */
static enum tc_rc parse_pppoe(struct cursor *c, size_t wire, struct pkt *p)
{
	p->ethertype = ETHERTYPE_PPPOE;
	return walk_pppoe(c, c->p, wire, p);
}

/* Linux ARCNET (the top comment). */
static enum tc_rc parse_arcnet_linux(struct cursor *c, size_t wire, struct pkt *p)
{
	uint8_t proto = 0;
	enum tc_rc rc;

	rc = link_fit(c, ARCNET_HLEN, wire, p);
	if (rc != TC_OK)
		return rc;
	(void)at_u8(c, ARCNET_HLEN - 1, &proto);
	if (proto == ARCNET_IP_1051) {
		(void)rd_skip(c, ARCNET_HLEN);
		p->ethertype = ETHERTYPE_IPV4;
		return TC_OK;
	}
	if (proto != ARCNET_IP_1201 && proto != ARCNET_IPV6) {
		pkt_add_err(p, PE_NOT_IP);
		return TC_UNSUPPORTED;
	}
	rc = link_fit(c, ARCNET_HLEN + ARCNET_SPLIT_HLEN, wire, p);
	if (rc != TC_OK)
		return rc;
	(void)rd_skip(c, ARCNET_HLEN + ARCNET_SPLIT_HLEN);
	p->ethertype = proto == ARCNET_IPV6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
	return TC_OK;
}

/* IP over InfiniBand (the top comment). */
static enum tc_rc parse_ipoib(struct cursor *c, size_t wire, struct pkt *p)
{
	uint16_t type = 0;
	enum tc_rc rc;

	rc = link_fit(c, IPOIB_HLEN, wire, p);
	if (rc != TC_OK)
		return rc;
	(void)at_be16(c, IPOIB_TYPE_OFF, &type);
	(void)rd_skip(c, IPOIB_HLEN);
	p->ethertype = type;
	if (type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6)
		return TC_OK;
	pkt_add_err(p, PE_NOT_IP);
	return TC_UNSUPPORTED;
}

/* Solaris ipnet (the top comment). */
static enum tc_rc parse_ipnet(struct cursor *c, size_t wire, struct pkt *p)
{
	uint8_t family = 0;
	enum tc_rc rc;

	rc = link_fit(c, IPNET_HLEN, wire, p);
	if (rc != TC_OK)
		return rc;
	(void)at_u8(c, 1, &family);
	(void)rd_skip(c, IPNET_HLEN);
	switch (family) {
	case IPNET_AF_INET:
		p->ethertype = ETHERTYPE_IPV4;
		return TC_OK;
	case IPNET_AF_INET6:
		p->ethertype = ETHERTYPE_IPV6;
		return TC_OK;
	default:
		pkt_add_err(p, PE_NOT_IP);
		return TC_UNSUPPORTED;
	}
}

/* pf's log (the top comment). */
static enum tc_rc parse_pflog(struct cursor *c, size_t wire, struct pkt *p)
{
	uint8_t len = 0, af = 0;
	size_t hlen;
	enum tc_rc rc;

	rc = link_fit(c, 1, wire, p);
	if (rc != TC_OK)
		return rc;
	(void)at_u8(c, 0, &len);
	if (len < PFLOG_HLEN_MIN) {
		pkt_add_err(p, PE_LINK_SHORT);
		return TC_MALFORMED;
	}
	hlen = ((size_t)len + 3u) & ~(size_t)3u;
	rc = link_fit(c, hlen, wire, p);
	if (rc != TC_OK)
		return rc;
	(void)at_u8(c, 1, &af);
	(void)rd_skip(c, hlen);
	return ip_by_bsd_family(af, p);
}

/*
 * The IP packet's length on the wire for an NFLOG payload of vlen bytes, of
 * which c holds what was captured: vlen, or the IP header's total length
 * (IPv4) or 40 + payload length (IPv6) when that is longer, because the
 * log rule may have copied only the start of the packet. A length field
 * that was not captured, or 0 (segmentation offload), raises nothing.
 */
static size_t nflog_ip_wire(const struct cursor *c, size_t vlen, bool v6)
{
	uint16_t len = 0;
	size_t claimed = 0;

	if (!v6 && at_be16(c, 2, &len) == TC_OK)
		claimed = len;
	else if (v6 && at_be16(c, 4, &len) == TC_OK && len != 0)
		claimed = 40u + len;
	return claimed > vlen ? claimed : vlen;
}

/*
 * LINKTYPE_NFLOG (the top comment): the header, then TLVs up to the payload
 * one. On TC_OK c holds the payload's captured bytes and nothing after them
 * (padding, later TLVs), and *wire is the IP packet's length on the wire.
 */
static enum tc_rc parse_nflog(struct cursor *c, size_t *wire, struct pkt *p)
{
	const uint8_t *start = c->p;
	uint8_t family = 0, version = 0, t0 = 0, t1 = 0;
	bool big_endian;
	enum tc_rc rc;

	rc = link_fit(c, NFLOG_HLEN, *wire, p);
	if (rc != TC_OK)
		return rc;
	(void)rd_u8(c, &family);
	(void)rd_u8(c, &version);
	(void)rd_skip(c, 2);             /* resource id: the nflog group */
	if (version != 0 || (family != NFLOG_AF_INET && family != NFLOG_AF_INET6)) {
		pkt_add_err(p, PE_NOT_IP);
		return TC_UNSUPPORTED;
	}
	/* the first TLV's type bytes, when captured, say the byte order */
	big_endian = at_u8(c, 2, &t0) == TC_OK && at_u8(c, 3, &t1) == TC_OK &&
		     (t0 & 0x3Fu) == 0 && (t1 & 0x3Fu) != 0;
	for (;;) {
		size_t left = wire_left(c, start, *wire), vlen, step;
		uint16_t len = 0, type = 0;

		if (left == 0) {         /* the TLVs ended without a payload */
			pkt_add_err(p, PE_NOT_IP);
			return TC_UNSUPPORTED;
		}
		rc = link_fit(c, NFLOG_TLV_HLEN, left, p);
		if (rc != TC_OK)
			return rc;
		if (big_endian) {
			(void)rd_be16(c, &len);
			(void)rd_be16(c, &type);
		} else {
			(void)rd_le16(c, &len);
			(void)rd_le16(c, &type);
		}
		left -= NFLOG_TLV_HLEN;
		if (len < NFLOG_TLV_HLEN || len - NFLOG_TLV_HLEN > left) {
			pkt_add_err(p, PE_LINK_SHORT);
			return TC_MALFORMED;
		}
		vlen = len - NFLOG_TLV_HLEN;
		if ((type & NFLOG_TYPE_MASK) == NFULA_PAYLOAD) {
			if (cur_left(c) > vlen)
				c->end = c->p + vlen;
			p->ethertype = family == NFLOG_AF_INET ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
			*wire = nflog_ip_wire(c, vlen, family == NFLOG_AF_INET6);
			return TC_OK;
		}
		/* the value and its padding; the last TLV of a frame may lack
		 * the padding */
		step = (vlen + 3u) & ~(size_t)3u;
		if (step > left)
			step = left;
		rc = link_fit(c, step, left, p);
		if (rc != TC_OK)
			return rc;
		(void)rd_skip(c, step);
	}
}

/*
 * Every link type but NFLOG, whose payload's wire length is its own. One we
 * do not decode is link.unsupported, or link.not-ip inside PKTAP (inner):
 * the record's own link type is read, what it carries is not IP to us.
 */
static enum tc_rc link_walk(uint32_t lt, struct cursor *c, size_t wire, bool inner,
			    struct pkt *p);

/* Apple PKTAP (the top comment): its header, then the frame it carries. */
static enum tc_rc parse_pktap(struct cursor *c, size_t wire, struct pkt *p)
{
	uint32_t hlen = 0, rec = 0, dlt = 0;
	enum tc_rc rc;

	rc = link_fit(c, PKTAP_WORDS, wire, p);
	if (rc != TC_OK)
		return rc;
	(void)at_le32(c, 0, &hlen);
	(void)at_le32(c, 4, &rec);
	(void)at_le32(c, 8, &dlt);
	if (hlen < PKTAP_HLEN_MIN) {
		pkt_add_err(p, PE_LINK_SHORT);
		return TC_MALFORMED;
	}
	rc = link_fit(c, hlen, wire, p);
	if (rc != TC_OK)
		return rc;
	(void)rd_skip(c, hlen);
	if (rec != PKTAP_REC_PACKET) {
		pkt_add_err(p, PE_NOT_IP);
		return TC_UNSUPPORTED;
	}
	return link_walk(dlt, c, wire - hlen, true, p);
}

static enum tc_rc link_walk(uint32_t lt, struct cursor *c, size_t wire, bool inner,
			    struct pkt *p)
{
	if (lt == LT_EN10MB)             /* by far the most common: no table jump */
		return parse_ethernet(c, wire, p);
	switch (lt) {
	case LT_LINUX_SLL:
		return parse_type_last(c, wire, SLL_HLEN, p);
	case LT_LINUX_SLL2:
		return parse_sll2(c, wire, p);
	case LT_RAW:
	case LT_RAW_OLD12:
	case LT_RAW_OLD14:
		/* no header: the version says which IP; an empty frame or
		 * another version is the IP layer's problem */
		return ip_by_version(c, wire, PE_IP_BAD_VERSION, p);
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
	case LT_PPP:
	case LT_PPP_HDLC:
		return parse_ppp(c, wire, p);
	case LT_C_HDLC:
		return parse_type_last(c, wire, CHDLC_HLEN, p);
	case LT_PPP_ETHER:
		return parse_pppoe(c, wire, p);
	case LT_ARCNET_LINUX:
		return parse_arcnet_linux(c, wire, p);
	case LT_IPOIB:
		return parse_ipoib(c, wire, p);
	case LT_IPNET:
		return parse_ipnet(c, wire, p);
	case LT_PFLOG:
		return parse_pflog(c, wire, p);
	case LT_PKTAP:
	case LT_PKTAP_USER2:
		if (!inner)
			return parse_pktap(c, wire, p);
		pkt_add_err(p, PE_NOT_IP);       /* one PKTAP header, not a stack */
		return TC_UNSUPPORTED;
	default:
		pkt_add_err(p, inner ? PE_NOT_IP : PE_LINK_UNSUPPORTED);
		return TC_UNSUPPORTED;
	}
}

enum tc_rc link_parse(uint32_t linktype, struct cursor *c, size_t *wire, struct pkt *p)
{
	const uint8_t *start = c->p;
	uint32_t lt = LT_TYPE(linktype);
	enum tc_rc rc;

	if (lt == LT_NFLOG)
		return parse_nflog(c, wire, p);
	rc = link_walk(lt, c, *wire, false, p);
	if (rc == TC_OK)
		*wire -= (size_t)(c->p - start);
	return rc;
}

enum link_bpf_caveat link_bpf_caveat(uint32_t linktype, const uint8_t *data, size_t caplen)
{
	struct cursor c = cur_make(data, caplen);
	uint8_t b = 0;

	switch (LT_TYPE(linktype)) {
	case LT_ARCNET_LINUX:
		return at_u8(&c, ARCNET_HLEN - 1, &b) == TC_OK && b == ARCNET_IP_1051 ?
		       LINK_BPF_ARCNET_1051 : LINK_BPF_OK;
	case LT_PFLOG:
		return at_u8(&c, 1, &b) == TC_OK && (b == BSD_AF_INET6_BSD ||
		       b == BSD_AF_INET6_FREEBSD || b == BSD_AF_INET6_DARWIN) ?
		       LINK_BPF_PFLOG_BSD6 : LINK_BPF_OK;
	default:
		return LINK_BPF_OK;
	}
}
