/*
 * pktcheck.c - invariants of a decoded packet (see pktcheck.h).
 *
 * Three kinds of check, in this order:
 *  1. status and flags: the status is one of the four decode results, the
 *     error list is bounded and names real reasons, ok means no truncation
 *     reason, a failed status carries a reason, have_l4 implies have_ip;
 *  2. lengths and views: l3 and l4hdr point inside the frame, captured
 *     lengths nest (l4_caplen <= l3_caplen - ip_hlen <= caplen), header
 *     lengths are in range, payload_len agrees with ip_len;
 *  3. lockstep re-read: fields at fixed offsets (IPv4/IPv6 addresses, TTL,
 *     TCP/UDP ports, TCP seq/ack/flags/window, UDP length, checksum field)
 *     are read again from the views with our own cursor and compared, and
 *     checksums are recomputed here (RFC 1071) and compared with what
 *     decode_verify_checksums concluded.
 * Reading the frame here goes through cursor.h like any other untrusted
 * read; every view is checked to lie inside the frame before it is used.
 */
#include <arpa/inet.h>
#include <string.h>

#include "cursor.h"
#include "fuzz_assert.h"
#include "pktcheck.h"

/* ---- helpers ---------------------------------------------------------------- */

static bool is_trunc_err(uint8_t e)
{
	return e == PE_LINK_TRUNCATED || e == PE_IP_TRUNCATED ||
	       e == PE_TCP_TRUNCATED || e == PE_UDP_TRUNCATED;
}

static bool is_csum_err(uint8_t e)
{
	return e == PE_IP_BAD_CHECKSUM || e == PE_TCP_BAD_CHECKSUM ||
	       e == PE_UDP_BAD_CHECKSUM;
}

static bool has_err(const struct pkt *p, enum pkt_err e)
{
	for (unsigned i = 0; i < p->n_err && i < PKT_MAX_ERRORS; i++)
		if (p->err[i] == e)
			return true;
	return false;
}

/* Is [v, v + n) inside [data, data + caplen)? Compares addresses as
 * integers so a wild pointer is a failed check, not undefined behaviour. */
static bool view_inside(const uint8_t *data, size_t caplen, const uint8_t *v, size_t n)
{
	uintptr_t lo = (uintptr_t)data, hi = lo + caplen, a = (uintptr_t)v;

	return v != NULL && a >= lo && a <= hi && n <= hi - a;
}

/* RFC 1071 one's-complement sum over a cursor's bytes, added to sum. */
static uint32_t csum_add(uint32_t sum, struct cursor c)
{
	uint16_t w = 0;
	uint8_t b;

	while (rd_be16(&c, &w) == TC_OK)
		sum += w;
	if (rd_u8(&c, &b) == TC_OK)
		sum += (uint32_t)b << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* ---- addresses ---------------------------------------------------------------- */

void pktcheck_addr(uint8_t ipver, const uint8_t addr[16])
{
	char buf[64];
	uint8_t back[16];
	const char *s;
	int af = ipver == 6 ? AF_INET6 : AF_INET;
	size_t n = ipver == 6 ? 16 : 4;

	FUZZ_CHECK(ipver == 4 || ipver == 6, "ipver %u", ipver);
	memset(buf, 0x55, sizeof(buf));
	s = addr_format(ipver, addr, buf);
	FUZZ_CHECK(s == buf, "addr_format must return its buffer");
	FUZZ_CHECK(memchr(buf, '\0', 46) != NULL, "addr_format wrote no NUL within 46 bytes");
	FUZZ_CHECK(inet_pton(af, buf, back) == 1, "addr_format gave \"%s\", inet_pton rejects it", buf);
	FUZZ_CHECK(memcmp(back, addr, n) == 0, "\"%s\" does not read back to the same address", buf);
	if (ipver == 6) {
		const char *dbl = strstr(buf, "::");
		size_t run = 0;

		/* RFC 5952 4.2.2/4.3: one "::" at most, lower case hex, no
		 * leading zeros in a group. */
		FUZZ_CHECK(dbl == NULL || strstr(dbl + 1, "::") == NULL, "two \"::\" in %s", buf);
		for (const char *q = buf; *q; q++) {
			FUZZ_CHECK(!(*q >= 'A' && *q <= 'F'), "upper case in %s (RFC 5952 4.3)", buf);
			if (*q == ':' || *q == '.') {
				run = 0;
				continue;
			}
			FUZZ_CHECK(!(run == 0 && *q == '0' && q[1] != '\0' && q[1] != ':' && q[1] != '.'),
				   "leading zero in a group of %s (RFC 5952 4.1)", buf);
			run++;
			FUZZ_CHECK(run <= 4, "group longer than 4 digits in %s", buf);
		}
	}
}

/* ---- status, flags, lengths ------------------------------------------------------ */

static void check_status(uint32_t linktype, const struct pkt *p)
{
	bool trunc = false;

	FUZZ_CHECK(p->status == TC_OK || p->status == TC_TRUNCATED ||
		   p->status == TC_MALFORMED || p->status == TC_UNSUPPORTED,
		   "status %d (%s) is not a decode result", (int)p->status, tc_rc_name(p->status));
	FUZZ_CHECK(p->n_err <= PKT_MAX_ERRORS, "n_err %u > %d", p->n_err, PKT_MAX_ERRORS);
	for (unsigned i = 0; i < p->n_err; i++) {
		const char *name;

		FUZZ_CHECK(p->err[i] > PE_NONE && p->err[i] < PE__COUNT,
			   "err[%u] = %u is not a reason", i, p->err[i]);
		name = pkt_err_name((enum pkt_err)p->err[i]);
		FUZZ_CHECK(name != NULL && name[0] != '\0', "reason %u has no name", p->err[i]);
		trunc |= is_trunc_err(p->err[i]);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(p->err[j] != p->err[i], "reason %s listed twice", name);
	}
	FUZZ_CHECK(p->linktype == linktype, "linktype %u, given %u", p->linktype, linktype);
	FUZZ_CHECK(!(p->status == TC_OK && trunc), "status ok with a truncation reason");
	FUZZ_CHECK(!(p->status == TC_TRUNCATED && !trunc), "status truncated without a truncation reason");
	FUZZ_CHECK(p->status == TC_OK || p->n_err > 0,
		   "status %s without a named reason", tc_rc_name(p->status));
	FUZZ_CHECK(!p->have_l4 || p->have_ip, "have_l4 without have_ip");
	FUZZ_CHECK(p->n_vlan <= PKT_MAX_VLANS, "n_vlan %u", p->n_vlan);
	FUZZ_CHECK(!(has_err(p, PE_LINK_UNSUPPORTED) || has_err(p, PE_LINK_TRUNCATED) ||
		     has_err(p, PE_NOT_IP) || has_err(p, PE_VLAN_TOO_DEEP)) || !p->have_ip,
		   "a link-layer failure with have_ip set");
}

/* Bytes the frame had on the wire from l3 on: decode.c judges a record by
 * the larger of its captured and original lengths. */
static size_t wire_from_l3(const uint8_t *data, size_t caplen, size_t origlen, const struct pkt *p)
{
	size_t wire = origlen > caplen ? origlen : caplen;

	return wire - (size_t)(p->l3 - data);
}

/*
 * NFLOG (link.c): the IP packet is the value of the TLV whose 4-byte header
 * ends at l3, a type 9 in either byte order; its length less 4 is returned.
 * The rule that logged it may have copied only a part, so the decoder takes
 * the IP header's own length when that is longer.
 */
static size_t nflog_value_len(const uint8_t *data, size_t caplen, const struct pkt *p)
{
	const uint8_t *h = p->l3 - 4;
	size_t len;

	FUZZ_CHECK(view_inside(data, caplen, p->l3, 0) && p->l3 - data >= 8,
		   "NFLOG: l3 at %td, not after the header and a TLV header", p->l3 - data);
	if (h[2] == 9 && (h[3] & 0x3Fu) == 0)
		len = (size_t)h[0] | (size_t)h[1] << 8;
	else if (h[3] == 9 && (h[2] & 0x3Fu) == 0)
		len = (size_t)h[0] << 8 | h[1];
	else
		len = 0;
	FUZZ_CHECK(len >= 4, "NFLOG: l3 does not follow a payload TLV header (%02x %02x %02x %02x)",
		   h[0], h[1], h[2], h[3]);
	return len - 4;
}

/* ip_max: the most the IP length may say (the wire length from l3, or for
 * NFLOG what an IP length field can hold); vlen: NFLOG's payload length. */
static void check_ip(const uint8_t *data, size_t caplen, size_t ip_max, size_t vlen,
		     const struct pkt *p)
{
	size_t room;

	FUZZ_CHECK(p->ipver == 4 || p->ipver == 6, "have_ip with ipver %u", p->ipver);
	FUZZ_CHECK(view_inside(data, caplen, p->l3, 0), "l3 outside the frame");
	room = caplen - (size_t)(p->l3 - data);
	FUZZ_CHECK(p->ip_len <= ip_max, "ip_len %u > %zu bytes on the wire (ip.length-exceeds-frame)",
		   p->ip_len, ip_max);
	FUZZ_CHECK(p->l3_caplen <= room, "l3_caplen %zu > %zu bytes left in the frame",
		   p->l3_caplen, room);
	FUZZ_CHECK(p->l3_caplen <= vlen, "l3_caplen %zu > %zu bytes of the link layer's payload",
		   p->l3_caplen, vlen);
	FUZZ_CHECK(p->l3_caplen <= p->ip_len, "l3_caplen %zu > ip_len %u (must be clamped)",
		   p->l3_caplen, p->ip_len);
	FUZZ_CHECK(p->ip_hlen <= p->ip_len, "ip_hlen %u > ip_len %u", p->ip_hlen, p->ip_len);
	FUZZ_CHECK(p->ip_hlen <= p->l3_caplen, "have_ip with ip_hlen %u but only %zu bytes captured",
		   p->ip_hlen, p->l3_caplen);
	/* a source route lives in IPv4 options or an IPv6 extension header;
	 * the final destination it names lies inside the IP header */
	FUZZ_CHECK(!p->dst_routed || p->ip_hlen > (p->ipver == 4 ? 20u : 40u),
		   "dst_routed without IPv4 options or an IPv6 extension header");
	FUZZ_CHECK(p->final_dst == NULL ||
		   (p->dst_routed &&
		    view_inside(p->l3 + (p->ipver == 4 ? 20 : 40), p->ip_hlen - (p->ipver == 4 ? 20 : 40),
				p->final_dst, p->ipver == 4 ? 4 : 16)),
		   "final_dst outside the IP header's options or extension headers");
	if (p->ipver == 4) {
		static const uint8_t zero[12];

		FUZZ_CHECK(memcmp(p->src + 4, zero, 12) == 0 && memcmp(p->dst + 4, zero, 12) == 0,
			   "IPv4 address with bytes 4..15 not zero");
		/* the header (20-60 octets, reread checks it against IHL) and
		 * any authentication headers, each a whole number of words */
		FUZZ_CHECK(p->ip_hlen >= 20 && p->ip_hlen % 4 == 0, "IPv4 ip_hlen %u", p->ip_hlen);
	} else {
		/* extension headers come in 8-octet units, AH in 4-octet ones */
		FUZZ_CHECK(p->ip_hlen >= 40 && (p->ip_hlen - 40) % 4 == 0,
			   "IPv6 ip_hlen %u (40 + whole extension headers)", p->ip_hlen);
		FUZZ_CHECK(p->ip_len >= 40, "IPv6 ip_len %u", p->ip_len);
	}
	FUZZ_CHECK(!p->later_fragment || p->is_fragment, "later_fragment without is_fragment");
	FUZZ_CHECK(!p->later_fragment || !p->have_l4, "a later fragment with a transport header");
	pktcheck_addr(p->ipver, p->src);
	pktcheck_addr(p->ipver, p->dst);
}

static void check_l4(const struct pkt *p)
{
	size_t room;
	uint32_t seg;

	FUZZ_CHECK(p->l4 == L4_TCP || p->l4 == L4_UDP, "have_l4 with l4 %d", (int)p->l4);
	FUZZ_CHECK(p->proto == (p->l4 == L4_TCP ? 6 : 17), "l4 %d but proto %u", (int)p->l4, p->proto);
	FUZZ_CHECK(p->ip_hlen <= p->l3_caplen, "transport header decoded but IP header not captured "
		   "(ip_hlen %u, l3_caplen %zu)", p->ip_hlen, p->l3_caplen);
	FUZZ_CHECK(p->l4hdr == p->l3 + p->ip_hlen, "l4hdr is not l3 + ip_hlen");
	room = p->l3_caplen - p->ip_hlen;
	FUZZ_CHECK(p->l4_caplen <= room, "l4_caplen %zu > %zu captured after the IP header",
		   p->l4_caplen, room);
	seg = p->ip_len - p->ip_hlen;
	if (p->l4 == L4_TCP) {
		FUZZ_CHECK(p->tcp_hlen >= 20 && p->tcp_hlen <= 60 && p->tcp_hlen % 4 == 0,
			   "tcp_hlen %u", p->tcp_hlen);
		FUZZ_CHECK(p->tcp_hlen <= seg, "tcp_hlen %u > segment %u", p->tcp_hlen, seg);
		FUZZ_CHECK(p->l4_caplen >= p->tcp_hlen, "TCP header of %u bytes, %zu captured",
			   p->tcp_hlen, p->l4_caplen);
		FUZZ_CHECK(p->payload_len == seg - p->tcp_hlen,
			   "TCP payload_len %u, ip_len %u - ip_hlen %u - tcp_hlen %u = %u",
			   p->payload_len, p->ip_len, p->ip_hlen, p->tcp_hlen, seg - p->tcp_hlen);
		FUZZ_CHECK(p->flags <= 0xfff, "flags 0x%x wider than 12 bits", p->flags);
		FUZZ_CHECK(p->opt.n_sack <= PKT_MAX_SACK, "n_sack %u", p->opt.n_sack);
	} else {
		/* udp.c: payload_len is the UDP length - 8; the UDP length fits
		 * the IP payload except in a first fragment, where it counts
		 * the reassembled datagram. A length of 0 is an IPv6 jumbogram
		 * (RFC 2675 4): IP payload above 65535, all of it the datagram. */
		FUZZ_CHECK(seg >= 8 && p->l4_caplen >= 8, "UDP header in a segment of %u", seg);
		if (p->udp_len == 0)
			FUZZ_CHECK(p->ipver == 6 && seg > 0xffff && p->payload_len == seg - 8u,
				   "UDP length 0 (IPv%u, IP payload %u) taken as a jumbogram of %u",
				   p->ipver, seg, p->payload_len);
		else
			FUZZ_CHECK(p->udp_len >= 8 && p->payload_len == p->udp_len - 8u,
				   "UDP payload_len %u with UDP length %u", p->payload_len, p->udp_len);
		FUZZ_CHECK(p->udp_len <= seg || p->is_fragment,
			   "UDP length %u > IP payload %u in an unfragmented datagram", p->udp_len, seg);
	}
}

/* ---- lockstep re-read -------------------------------------------------------- */

/* From the end of the IPv4 header (ihl octets, protocol proto) to ip_hlen
 * there are only whole authentication headers (RFC 4302: next header,
 * then payload length in 4-octet words minus 2), and the last one's next
 * header is p->proto. */
static void reread_ah(const struct pkt *p, size_t ihl, uint8_t proto)
{
	struct cursor c = cur_make(p->l3, p->ip_hlen);
	size_t off = ihl;

	while (off < p->ip_hlen) {
		uint8_t next = 0, plen = 0;

		FUZZ_CHECK(proto == 51, "IPv4 ip_hlen %u reaches past the header (%zu) behind protocol %u",
			   p->ip_hlen, off, proto);
		FUZZ_CHECK(at_u8(&c, off, &next) == TC_OK && at_u8(&c, off + 1, &plen) == TC_OK,
			   "IPv4 AH at %zu not inside ip_hlen %u", off, p->ip_hlen);
		off += ((size_t)plen + 2) * 4;
		proto = next;
	}
	FUZZ_CHECK(off == p->ip_hlen, "IPv4 AH chain ends at %zu, ip_hlen %u", off, p->ip_hlen);
	FUZZ_CHECK(proto == p->proto, "IPv4 protocol %u (after any AH) vs %u", proto, p->proto);
}

/* The IPv4 options (octets 20 to ihl) read again for a source route (RFC
 * 791 3.1), independently of ipv4.c: an LSRR (131) or SSRR (137) of 3 or
 * more octets whose pointer has not run past it makes dst a waypoint; the
 * last address of its route data is the final destination when the pointer
 * sits on an address and the data is whole addresses; a later route wins.
 * Checked only when every option is well formed (each length at least 2
 * and inside the header, up to an end-of-list), the case where what the
 * decoder must find is not a matter of how it recovers. */
static void reread_route4(const struct pkt *p, size_t ihl)
{
	struct cursor c = cur_make(p->l3, ihl);
	const uint8_t *final = NULL;
	bool routed = false;
	size_t off = 20;

	while (off < ihl) {
		uint8_t type = 0, len = 0, ptr = 0;

		(void)at_u8(&c, off, &type);
		if (type == 0)
			break;                  /* end of list */
		if (type == 1) {
			off++;                  /* no operation */
			continue;
		}
		if (at_u8(&c, off + 1, &len) != TC_OK || len < 2 || off + len > ihl)
			return;                 /* malformed: not checked */
		if ((type == 131 || type == 137) && len >= 3 &&
		    at_u8(&c, off + 2, &ptr) == TC_OK && ptr <= len) {
			routed = true;
			final = ptr >= 4 && ptr % 4 == 0 && (len - 3u) % 4 == 0 ? p->l3 + off + len - 4
										 : NULL;
		}
		off += len;
	}
	FUZZ_CHECK(routed == p->dst_routed && final == p->final_dst,
		   "IPv4 source route: options say routed %d, final destination at %td; "
		   "decoder %d, %td", routed, final != NULL ? final - p->l3 : -1,
		   p->dst_routed, p->final_dst != NULL ? p->final_dst - p->l3 : -1);
}

/* The IPv6 extension headers (octets 40 to ip_hlen) read again for a
 * routing header with segments left (RFC 8200 4.4, 8.1): dst is then a
 * waypoint, and the final destination is type 0's last address (RFC 2460
 * 4.4), type 2's home address (RFC 6275 6.4) or type 4's segment list[0]
 * (RFC 8754 2); a later routing header wins. Lengths: fragment 8 octets,
 * AH (payload length + 2) * 4 (RFC 4302), the others (length + 1) * 8. */
static void reread_route6(const struct pkt *p)
{
	struct cursor c = cur_make(p->l3, p->ip_hlen);
	const uint8_t *final = NULL;
	bool routed = false;
	uint8_t nh = 0;
	size_t off = 40;

	(void)at_u8(&c, 6, &nh);
	while (off < p->ip_hlen) {
		uint8_t next = 0, hl = 0, type = 0, left = 0;
		size_t elen, at = 0;

		FUZZ_CHECK(nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51,
			   "IPv6 ip_hlen %u reaches past the extension headers (%zu) behind %u",
			   p->ip_hlen, off, nh);
		FUZZ_CHECK(at_u8(&c, off, &next) == TC_OK && at_u8(&c, off + 1, &hl) == TC_OK,
			   "IPv6 extension header at %zu not inside ip_hlen %u", off, p->ip_hlen);
		elen = nh == 44 ? 8 : nh == 51 ? ((size_t)hl + 2) * 4 : ((size_t)hl + 1) * 8;
		FUZZ_CHECK(off + elen <= p->ip_hlen, "IPv6 extension header at %zu, %zu octets, "
			   "past ip_hlen %u", off, elen, p->ip_hlen);
		if (nh == 43 && at_u8(&c, off + 2, &type) == TC_OK &&
		    at_u8(&c, off + 3, &left) == TC_OK && left != 0) {
			routed = true;
			final = NULL;
			if (type == 0 && hl >= 2)
				at = 8 + ((size_t)hl / 2 - 1) * 16;
			else if (type == 2 || type == 4)
				at = 8;
			if (at != 0 && at + 16 <= elen)
				final = p->l3 + off + at;
		}
		off += elen;
		nh = next;
	}
	FUZZ_CHECK(nh == p->proto, "IPv6 next header %u after the chain vs proto %u", nh, p->proto);
	FUZZ_CHECK(routed == p->dst_routed && final == p->final_dst,
		   "IPv6 routing header: the chain says routed %d, final destination at %td; "
		   "decoder %d, %td", routed, final != NULL ? final - p->l3 : -1,
		   p->dst_routed, p->final_dst != NULL ? p->final_dst - p->l3 : -1);
}

static void reread(const struct pkt *p, size_t wire)
{
	struct cursor c = cur_make(p->l3, p->l3_caplen);
	uint8_t b = 0, addr[16];
	uint16_t w = 0;
	uint32_t d = 0;

	if (p->ipver == 4) {
		uint8_t ihl = 0, proto = 0;

		FUZZ_CHECK(rd_u8(&c, &b) == TC_OK && (b >> 4) == 4 && (b & 15) * 4u <= p->ip_hlen,
			   "IPv4 version/IHL byte 0x%02x vs ip_hlen %u", b, p->ip_hlen);
		ihl = (uint8_t)((b & 15) * 4);
		/* ipv4.c: a total length of 0 (TSO) stands for the wire length */
		FUZZ_CHECK(rd_skip(&c, 1) == TC_OK && rd_be16(&c, &w) == TC_OK &&
			   (w != 0 ? w == p->ip_len : p->ip_len == wire),
			   "IPv4 total length %u vs ip_len %u (wire %zu)", w, p->ip_len, wire);
		FUZZ_CHECK(rd_be16(&c, &w) == TC_OK && w == p->ip_id, "IPv4 id %u vs %u", w, p->ip_id);
		FUZZ_CHECK(rd_skip(&c, 2) == TC_OK && rd_u8(&c, &b) == TC_OK && b == p->ttl,
			   "IPv4 TTL %u vs %u", b, p->ttl);
		FUZZ_CHECK(rd_u8(&c, &proto) == TC_OK, "IPv4 protocol not captured");
		FUZZ_CHECK(rd_skip(&c, 2) == TC_OK && rd_bytes(&c, addr, 4) == TC_OK &&
			   memcmp(addr, p->src, 4) == 0, "IPv4 source differs from the header");
		FUZZ_CHECK(rd_bytes(&c, addr, 4) == TC_OK && memcmp(addr, p->dst, 4) == 0,
			   "IPv4 destination differs from the header");
		reread_ah(p, ihl, proto);
		reread_route4(p, ihl);
	} else {
		uint8_t nh = 0;

		FUZZ_CHECK(rd_u8(&c, &b) == TC_OK && (b >> 4) == 6, "IPv6 version nibble %u", b >> 4);
		FUZZ_CHECK(rd_skip(&c, 3) == TC_OK && rd_be16(&c, &w) == TC_OK && rd_u8(&c, &nh) == TC_OK,
			   "IPv6 payload length and next header not captured");
		/* a payload length of 0 stands for the wire length when TCP
		 * follows the fixed header and the wire length leaves more
		 * than 65,535 bytes of payload (BIG TCP, ipv6.c step 3), is
		 * taken literally for a shorter TCP packet, and may announce a
		 * Jumbo Payload option (RFC 2675) that ipv6.c reads from a
		 * hop-by-hop header */
		FUZZ_CHECK(w != 0 ? 40u + w == p->ip_len
				  : nh != 6 || p->ip_len == (wire > 40u + 65535u ? wire : 40u),
			   "IPv6 payload length %u, next header %u vs ip_len %u (wire %zu)", w, nh,
			   p->ip_len, wire);
		FUZZ_CHECK(rd_u8(&c, &b) == TC_OK && b == p->ttl,
			   "IPv6 hop limit %u vs %u", b, p->ttl);
		FUZZ_CHECK(rd_bytes(&c, addr, 16) == TC_OK && memcmp(addr, p->src, 16) == 0,
			   "IPv6 source differs from the header");
		FUZZ_CHECK(rd_bytes(&c, addr, 16) == TC_OK && memcmp(addr, p->dst, 16) == 0,
			   "IPv6 destination differs from the header");
		reread_route6(p);
	}
	if (!p->have_l4)
		return;
	c = cur_make(p->l4hdr, p->l4_caplen);
	FUZZ_CHECK(rd_be16(&c, &w) == TC_OK && w == p->sport, "source port %u vs %u", w, p->sport);
	FUZZ_CHECK(rd_be16(&c, &w) == TC_OK && w == p->dport, "destination port %u vs %u", w, p->dport);
	if (p->l4 == L4_UDP) {
		FUZZ_CHECK(rd_be16(&c, &w) == TC_OK && w == p->udp_len, "UDP length %u vs %u", w, p->udp_len);
		FUZZ_CHECK(rd_be16(&c, &w) == TC_OK && w == p->l4_csum, "UDP checksum field %u vs %u", w, p->l4_csum);
		return;
	}
	FUZZ_CHECK(rd_be32(&c, &d) == TC_OK && d == p->seq, "seq %u vs %u", d, p->seq);
	FUZZ_CHECK(rd_be32(&c, &d) == TC_OK && d == p->ack, "ack %u vs %u", d, p->ack);
	FUZZ_CHECK(rd_be16(&c, &w) == TC_OK && (w >> 12) * 4u == p->tcp_hlen && (w & 0xfff) == p->flags,
		   "offset/flags word 0x%04x vs tcp_hlen %u flags 0x%03x", w, p->tcp_hlen, p->flags);
	FUZZ_CHECK(rd_be16(&c, &w) == TC_OK && w == p->win, "window %u vs %u", w, p->win);
	FUZZ_CHECK(rd_be16(&c, &w) == TC_OK && w == p->l4_csum, "TCP checksum field %u vs %u", w, p->l4_csum);
	FUZZ_CHECK(rd_be16(&c, &w) == TC_OK && w == p->urp, "urgent pointer %u vs %u", w, p->urp);
}

void pktcheck_decoded(uint32_t linktype, const uint8_t *data, size_t caplen,
		      size_t origlen, const struct pkt *p)
{
	size_t wire, ip_max;

	check_status(linktype, p);
	if (!p->have_ip)
		return;
	if (LT_TYPE(linktype) == LT_NFLOG) {
		wire = nflog_value_len(data, caplen, p);
		ip_max = wire > 40u + 65535u ? wire : 40u + 65535u;
	} else {
		wire = ip_max = wire_from_l3(data, caplen, origlen, p);
	}
	check_ip(data, caplen, ip_max, wire, p);
	reread(p, wire);
	if (p->have_l4)
		check_l4(p);
}

/* ---- checksums ------------------------------------------------------------------ */

/* Our own verdicts: 1 wrong, 0 right, -1 not judged (not all bytes
 * captured, a fragment, or a rule the decoder may choose either way). */
static int ip_csum_verdict(const struct pkt *p)
{
	struct cursor c;
	uint8_t vhl = 0;

	if (p->ipver != 4 || p->l3_caplen < p->ip_hlen)
		return -1;
	/* the header alone (IHL), not an authentication header after it */
	c = cur_make(p->l3, p->ip_hlen);
	if (rd_u8(&c, &vhl) != TC_OK || (vhl & 15) * 4u > p->ip_hlen)
		return -1;      /* pktcheck_decoded has failed already */
	return csum_fold(csum_add(0, cur_make(p->l3, (vhl & 15) * 4u))) == 0xffff ? 0 : 1;
}

static int l4_csum_verdict(const struct pkt *p)
{
	uint32_t len, sum = 0;

	if (!p->have_l4 || p->is_fragment || (p->dst_routed && p->final_dst == NULL))
		return -1;      /* not judged: reassembly / final destination needed */
	/* TCP covers the IP payload; UDP its own length (RFC 768), which
	 * udp.c keeps within the IP payload; a jumbogram's is all of it. */
	len = p->l4 == L4_TCP ? p->ip_len - p->ip_hlen
			      : p->udp_len != 0 ? p->udp_len : p->ip_len - p->ip_hlen;
	if (p->l4_caplen < len)
		return -1;      /* "partially captured segments are not judged" */
	if (p->l4 == L4_UDP && p->l4_csum == 0)
		return p->ipver == 6;  /* none computed: fine over IPv4 (RFC 768),
					* not allowed over IPv6 (RFC 8200 8.1) */
	/* the final destination: a source route's, where it names one
	 * (check_ip made sure the view lies inside the IP header) */
	sum = csum_add(sum, cur_make(p->src, p->ipver == 4 ? 4 : 16));
	sum = csum_add(sum, cur_make(p->final_dst != NULL ? p->final_dst : p->dst,
				     p->ipver == 4 ? 4 : 16));
	sum += p->proto;
	sum += len & 0xffff;
	sum += len >> 16;
	sum = csum_add(sum, cur_make(p->l4hdr, len));
	return csum_fold(sum) == 0xffff ? 0 : 1;
}

bool pktcheck_checksums(struct pkt *p)
{
	struct pkt before = *p;
	int ipv = ip_csum_verdict(p), l4v = l4_csum_verdict(p);
	bool added_ip = false, added_l4 = false;

	decode_verify_checksums(p);
	FUZZ_CHECK(p->status == before.status && p->have_ip == before.have_ip &&
		   p->have_l4 == before.have_l4 && p->l3 == before.l3 && p->l4hdr == before.l4hdr &&
		   p->payload_len == before.payload_len && p->sport == before.sport &&
		   p->dport == before.dport,
		   "decode_verify_checksums changed more than the error list");
	FUZZ_CHECK(p->n_err >= before.n_err && p->n_err <= PKT_MAX_ERRORS,
		   "error list went from %u to %u", before.n_err, p->n_err);
	FUZZ_CHECK(memcmp(p->err, before.err, before.n_err) == 0, "earlier reasons were rewritten");
	for (unsigned i = before.n_err; i < p->n_err; i++) {
		FUZZ_CHECK(is_csum_err(p->err[i]), "appended %s, not a checksum reason",
			   pkt_err_name((enum pkt_err)p->err[i]));
		if (p->err[i] == PE_IP_BAD_CHECKSUM) {
			FUZZ_CHECK(p->have_ip && p->ipver == 4, "ip.bad-checksum without an IPv4 header");
			added_ip = true;
		} else {
			FUZZ_CHECK(p->have_l4 && (p->err[i] == PE_TCP_BAD_CHECKSUM) == (p->l4 == L4_TCP),
				   "%s on a packet without that header", pkt_err_name((enum pkt_err)p->err[i]));
			added_l4 = true;
		}
	}
	/* Lockstep with our own sums. An error list that was already full
	 * cannot take more (pkt_add_err drops silently), so only judge when
	 * there was room. */
	if (before.n_err + 2 <= PKT_MAX_ERRORS) {
		if (ipv >= 0)
			FUZZ_CHECK(added_ip == (ipv == 1), "IPv4 header checksum: ours says %s, decoder %s",
				   ipv ? "wrong" : "right", added_ip ? "wrong" : "right");
		if (l4v >= 0)
			FUZZ_CHECK(added_l4 == (l4v == 1), "%s checksum: ours says %s, decoder %s",
				   p->l4 == L4_TCP ? "TCP" : "UDP", l4v ? "wrong" : "right",
				   added_l4 ? "wrong" : "right");
	}
	return p->n_err > before.n_err;
}

/* ---- counters -------------------------------------------------------------------- */

void pkt_counts_add(struct pkt_counts *c, const struct pkt *p)
{
	c->packets++;
	if ((unsigned)p->status < TC_ARRAY_SIZE(c->status))
		c->status[p->status]++;
	if (p->have_ip) {
		if (p->ipver == 4)
			c->ip4++;
		else
			c->ip6++;
	}
	if (p->have_l4 && p->l4 == L4_TCP)
		c->tcp++;
	if (p->have_l4 && p->l4 == L4_UDP)
		c->udp++;
	if (p->have_ip && p->is_fragment)
		c->fragments++;
	for (unsigned i = 0; i < p->n_err && i < PKT_MAX_ERRORS; i++)
		if (is_csum_err(p->err[i])) {
			c->bad_checksum++;
			break;
		}
}

void pkt_counts_print(FILE *out, const struct pkt_counts *c)
{
	fprintf(out, " packets=%llu ok=%llu truncated=%llu malformed=%llu unsupported=%llu"
		" ip4=%llu ip6=%llu tcp=%llu udp=%llu fragments=%llu bad_checksum=%llu",
		(unsigned long long)c->packets, (unsigned long long)c->status[TC_OK],
		(unsigned long long)c->status[TC_TRUNCATED],
		(unsigned long long)c->status[TC_MALFORMED],
		(unsigned long long)c->status[TC_UNSUPPORTED],
		(unsigned long long)c->ip4, (unsigned long long)c->ip6,
		(unsigned long long)c->tcp, (unsigned long long)c->udp,
		(unsigned long long)c->fragments, (unsigned long long)c->bad_checksum);
}
