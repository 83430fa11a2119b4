/*
 * checksum.c - Internet checksums of a decoded packet (RFC 1071): the IPv4
 * header checksum (RFC 791) and the TCP and UDP checksums over the IPv4
 * (RFC 9293 3.1, RFC 768) or IPv6 (RFC 8200 8.1) pseudo header.
 *
 * A checksum is judged only when every byte it covers was captured; a segment
 * cut by the snapshot length, a fragment (the checksum covers the reassembled
 * datagram) and an IPv6 packet whose routing header still has segments left
 * (the pseudo header names the final destination, which dst is not) are left
 * alone. A UDP checksum of 0 over IPv4 means "none was computed" (RFC 768);
 * over IPv6 it is not allowed (RFC 8200 8.1) and is reported as bad.
 *
 * The sum runs through the checked cursor like every other read of packet
 * bytes; a correct header or segment sums, checksum field included, to 0xffff.
 */
#include "decode_layers.h"

/* Add the big-endian 16-bit words of c (a trailing odd byte padded with
 * zero) to sum. */
static uint32_t sum_bytes(struct cursor c, uint32_t sum)
{
	uint16_t w;
	uint8_t b;

	while (rd_be16(&c, &w) == TC_OK)
		sum += w;
	if (rd_u8(&c, &b) == TC_OK)
		sum += (uint32_t)b << 8;
	return sum;
}

static uint32_t sum_addr(const uint8_t *a, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)a[i] << 8 | a[i + 1];
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFFu) + (sum >> 16);
	return (uint16_t)sum;
}

/* The pseudo header of p for an upper-layer length len and protocol proto. */
static uint32_t sum_pseudo(const struct pkt *p, uint32_t len, uint8_t proto)
{
	size_t alen = p->ipver == 4 ? 4 : 16;
	uint32_t sum = 0;

	sum = sum_addr(p->src, alen, sum);
	sum = sum_addr(p->dst, alen, sum);
	sum += len >> 16;
	sum += len & 0xFFFFu;
	sum += proto;
	return sum;
}

void decode_verify_checksums(struct pkt *p)
{
	uint32_t len;

	if (!p->have_ip)
		return;
	if (p->ipver == 4 &&
	    fold(sum_bytes(cur_make(p->l3, p->ip_hlen), 0)) != 0xFFFFu)
		pkt_add_err(p, PE_IP_BAD_CHECKSUM);

	if (!p->have_l4 || p->is_fragment || p->ip6_routing)
		return;
	if (p->l4 == L4_TCP) {
		len = p->ip_len - p->ip_hlen;
		if (p->l4_caplen < len)
			return;
		if (fold(sum_bytes(cur_make(p->l4hdr, len), sum_pseudo(p, len, p->proto))) != 0xFFFFu)
			pkt_add_err(p, PE_TCP_BAD_CHECKSUM);
	} else if (p->l4 == L4_UDP) {
		len = p->udp_len;
		if (p->l4_caplen < len)
			return;
		if (p->l4_csum == 0) {
			if (p->ipver == 6)
				pkt_add_err(p, PE_UDP_BAD_CHECKSUM);
			return;
		}
		if (fold(sum_bytes(cur_make(p->l4hdr, len), sum_pseudo(p, len, p->proto))) != 0xFFFFu)
			pkt_add_err(p, PE_UDP_BAD_CHECKSUM);
	}
}
