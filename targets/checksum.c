/*
 * checksum.c - Internet checksums of a decoded packet (RFC 1071): the IPv4
 * header checksum (RFC 791) and the TCP and UDP checksums over the IPv4
 * (RFC 9293 3.1, RFC 768) or IPv6 (RFC 8200 8.1) pseudo header.
 *
 * A checksum is judged only when every byte it covers was captured; a segment
 * cut by the snapshot length and a fragment (the checksum covers the
 * reassembled datagram) are left alone. The pseudo header names the final
 * destination (RFC 8200 8.1; for IPv4 as tcpdump and Wireshark take it):
 * behind a source route with hops to go (p->dst_routed) that is the address
 * the route names (p->final_dst, see ipv4.c and ipv6.c), and a route that
 * names none we read leaves the checksum alone. A UDP checksum of 0 over
 * IPv4 means "none was computed" (RFC 768); over IPv6 it is not allowed
 * (RFC 8200 8.1) and is reported as bad. A UDP jumbogram's length is its IP
 * payload's (RFC 2675 4), as udp.c records in payload_len. The IPv4 header
 * checksum covers the IHL*4 octets of the header, not an AH after it.
 *
 * The sum runs through the checked cursor like every other read of packet
 * bytes; a correct header or segment sums, checksum field included, to 0xffff.
 */
#include "decode_layers.h"

/*
 * Add the big-endian 16-bit words of c (a trailing odd byte padded with
 * zero) to sum, one's complement style (RFC 1071): the result is congruent
 * to the plain sum modulo 0xffff and is 0 only when that sum is 0, which
 * is all fold() needs. Since 2^16 = 1 modulo 0xffff, a big-endian 32-bit
 * word adds what its two 16-bit halves add (RFC 1071 section 2(C), longer
 * words), so the bytes go in 16-byte blocks of four 32-bit words, each
 * block one length test (a fixed-size sub-cursor read at fixed offsets),
 * into a 64-bit accumulator that cannot overflow for any packet.
 */
static uint32_t sum_bytes(struct cursor c, uint64_t sum)
{
	struct cursor blk = { NULL, NULL };
	uint64_t acc = sum;
	uint32_t w0 = 0, w1 = 0, w2 = 0, w3 = 0;
	uint16_t w = 0;
	uint8_t b = 0;

	while (rd_sub(&c, 16, &blk) == TC_OK) {
		(void)at_be32(&blk, 0, &w0);
		(void)at_be32(&blk, 4, &w1);
		(void)at_be32(&blk, 8, &w2);
		(void)at_be32(&blk, 12, &w3);
		acc += (uint64_t)w0 + w1 + w2 + w3;
	}
	while (rd_be32(&c, &w0) == TC_OK)
		acc += w0;
	if (rd_be16(&c, &w) == TC_OK)
		acc += w;
	if (rd_u8(&c, &b) == TC_OK)
		acc += (uint32_t)b << 8;
	/* 2^32 = 1 modulo 0xffff too: two end-around folds bring any 64-bit
	 * value below 2^32 (the first leaves at most 2^33 - 2) */
	acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
	acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
	return (uint32_t)acc;
}

/* An address (n = 4 or 16 bytes, our own copy in struct pkt) as
 * big-endian 32-bit words, which add what their 16-bit halves add. */
static inline uint64_t sum_addr(const uint8_t *a, size_t n, uint64_t sum)
{
	size_t i;

	for (i = 0; i + 4 <= n; i += 4)
		sum += (uint32_t)a[i] << 24 | (uint32_t)a[i + 1] << 16 |
		       (uint32_t)a[i + 2] << 8 | a[i + 3];
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFFu) + (sum >> 16);
	return (uint16_t)sum;
}

/* The pseudo header of p for an upper-layer length len and protocol proto
 * (len whole: it adds what its two 16-bit halves add). The destination is
 * the final one: dst, or the route's copy of it inside the IP header
 * (p->final_dst, which ipv4.c and ipv6.c found in bounds), read through a
 * cursor like the rest of the packet. */
static uint64_t sum_pseudo(const struct pkt *p, uint32_t len, uint8_t proto)
{
	size_t n = p->ipver == 4 ? 4 : 16;
	uint64_t sum = sum_addr(p->src, n, (uint64_t)len + proto);
	uint8_t final[16] = { 0 };

	if (p->final_dst == NULL)
		return sum_addr(p->dst, n, sum);
	{
		struct cursor f = cur_make(p->final_dst, n);

		(void)rd_bytes(&f, final, n);
	}
	return sum_addr(final, n, sum);
}

void decode_verify_checksums(struct pkt *p)
{
	uint32_t len;

	if (!p->have_ip)
		return;
	if (p->ipver == 4) {
		struct cursor l3 = cur_make(p->l3, p->ip_hlen), hdr = { NULL, NULL };
		uint8_t vhl = 0;

		/* IHL*4 <= ip_hlen: ipv4.c checked it, so both reads succeed */
		(void)at_u8(&l3, 0, &vhl);
		(void)rd_sub(&l3, (size_t)(vhl & 0x0Fu) * 4, &hdr);
		if (fold(sum_bytes(hdr, 0)) != 0xFFFFu)
			pkt_add_err(p, PE_IP_BAD_CHECKSUM);
	}

	if (!p->have_l4 || p->is_fragment || (p->dst_routed && p->final_dst == NULL))
		return;
	if (p->l4 == L4_TCP) {
		len = p->ip_len - p->ip_hlen;
		if (p->l4_caplen < len)
			return;
		if (fold(sum_bytes(cur_make(p->l4hdr, len), sum_pseudo(p, len, p->proto))) != 0xFFFFu)
			pkt_add_err(p, PE_TCP_BAD_CHECKSUM);
	} else if (p->l4 == L4_UDP) {
		len = p->payload_len + 8;        /* the UDP length, or a jumbogram's */
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
