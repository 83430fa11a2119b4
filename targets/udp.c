/*
 * udp.c - the UDP header (RFC 768; RFC 8200 8.1 for IPv6).
 *
 * The datagram's room is what the IP layer gives it: ip_len - ip_hlen bytes
 * on the wire, l3_caplen - ip_hlen of them captured. Check order:
 *   1. the IP payload can hold 8 bytes         else udp.bad-length (the IP
 *      lengths leave no room for a UDP header);
 *   2. 8 bytes captured                        else udp.truncated;
 *   3. UDP length >= 8                         else udp.bad-length, except
 *      in an IPv6 jumbogram: a UDP length of 0 with an IP payload above
 *      65535 octets (which only a Jumbo Payload option can give) means the
 *      datagram is the whole IP payload (RFC 2675 4);
 *   4. UDP length <= IP payload length         else udp.bad-length, except in
 *      the first fragment of a fragmented datagram, where the UDP length
 *      counts the whole reassembled datagram (Wireshark makes the same
 *      exception).
 * A UDP length below the IP payload length is legal: the rest is not UDP's.
 * payload_len is UDP length - 8 (a jumbogram's IP payload - 8); udp_len
 * stays the field as carried.
 */
#include "decode_layers.h"

#define UDP_HLEN 8u
#define UDP_MAX_LEN 0xFFFFu      /* what the 16-bit length field can say */

DECODE_COLD static enum tc_rc udp_fail(struct pkt *p, enum tc_rc rc, enum pkt_err why)
{
	pkt_add_err(p, why);
	pkt_clear_l4(p);
	return rc;
}

enum tc_rc udp_parse(struct pkt *p)
{
	size_t room = (size_t)p->ip_len - p->ip_hlen;
	struct cursor c = cur_make(p->l3 + p->ip_hlen, p->l3_caplen - p->ip_hlen), fix = { NULL, NULL };

	p->l4 = L4_UDP;
	if (room < UDP_HLEN)
		return udp_fail(p, TC_MALFORMED, PE_UDP_BAD_LENGTH);
	if (rd_sub(&c, UDP_HLEN, &fix) != TC_OK)
		return udp_fail(p, TC_TRUNCATED, PE_UDP_TRUNCATED);

	/* 8 bytes at fixed offsets: one length test for the whole header */
	p->l4hdr = fix.p;
	(void)at_be16(&fix, 0, &p->sport);
	(void)at_be16(&fix, 2, &p->dport);
	(void)at_be16(&fix, 4, &p->udp_len);
	(void)at_be16(&fix, 6, &p->l4_csum);

	if (p->udp_len < UDP_HLEN) {
		if (p->udp_len != 0 || p->ipver != 6 || room <= UDP_MAX_LEN)
			return udp_fail(p, TC_MALFORMED, PE_UDP_BAD_LENGTH);
		p->payload_len = (uint32_t)(room - UDP_HLEN);   /* jumbogram: step 3 */
	} else {
		if (p->udp_len > room && !p->is_fragment)
			return udp_fail(p, TC_MALFORMED, PE_UDP_BAD_LENGTH);
		p->payload_len = (uint32_t)p->udp_len - UDP_HLEN;
	}

	p->l4_caplen = p->l3_caplen - p->ip_hlen;
	p->have_l4 = true;
	return TC_OK;
}
