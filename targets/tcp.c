/*
 * tcp.c - the TCP header (RFC 9293) and the options the engine needs:
 * MSS (RFC 9293 3.2), window scale and timestamps (RFC 7323), SACK-permitted
 * and SACK blocks (RFC 2018).
 *
 * The segment is what the IP layer says it is: ip_len - ip_hlen bytes on the
 * wire, of which the captured part is l3_caplen - ip_hlen. Check order:
 *   1. the segment can hold 20 bytes           else tcp.bad-offset (no
 *      header of any data offset fits in it: a lie in the IP lengths);
 *   2. 20 bytes captured                       else tcp.truncated;
 *   3. data offset >= 5                        else tcp.bad-offset;
 *   4. data offset * 4 <= segment length       else tcp.bad-offset;
 *   5. data offset * 4 bytes captured          else tcp.truncated (the
 *      options are part of the header: a header cut inside them is cut);
 *   6. options                                 else tcp.bad-options, soft:
 *      the data offset, not the options, says where the header ends.
 * payload_len is the segment length minus the header length, from the IP
 * lengths and not from the captured bytes (Wireshark's tcp.len).
 *
 * A first fragment (p->is_fragment) holds only the start of the segment, so
 * in steps 1 and 4 its length is no bound on the header: the rest of the
 * header may be in the next fragment. RFC 791 allows that over IPv4 (a
 * fragment may carry as little as 8 data octets; RFC 1858 3.1 calls it the
 * tiny fragment attack and leaves dropping it to filters): no transport
 * layer and the soft reason ip.fragment, as for a later fragment. Over IPv6
 * the first fragment must hold every header through the upper-layer one
 * (RFC 8200 4.5, from RFC 7112) and a receiver discards it otherwise:
 * ip6.bad-ext, malformed. A data offset below 5 is wrong in any fragment.
 * (UDP needs no such case: its 8-octet header fits in any first fragment
 * but an empty one, and udp.c only lets its length field run past the
 * fragment.)
 *
 * Options: EOL ends the list, NOP is one byte, every other kind has a length
 * byte that counts itself and the kind. A length below 2 or past the option
 * space ends the walk as bad; a known kind with the wrong length is bad, not
 * recorded, and skipped by its length; unknown kinds are skipped by length.
 */
#include "decode_layers.h"

#define TCP_MIN_HLEN 20u

#define TCPOPT_EOL       0u
#define TCPOPT_NOP       1u
#define TCPOPT_MSS       2u
#define TCPOPT_WSCALE    3u
#define TCPOPT_SACK_OK   4u
#define TCPOPT_SACK      5u
#define TCPOPT_TIMESTAMP 8u

#define TCPOLEN_MSS       4u
#define TCPOLEN_WSCALE    3u
#define TCPOLEN_SACK_OK   2u
#define TCPOLEN_TIMESTAMP 10u

/* One option body (len - 2 bytes in b) of a known kind. Returns TC_OK, or
 * TC_MALFORMED when the length does not suit the kind. */
static enum tc_rc tcp_option(uint8_t kind, uint8_t len, struct cursor *b, struct tcp_opts *o)
{
	switch (kind) {
	case TCPOPT_MSS:
		if (len != TCPOLEN_MSS)
			return TC_MALFORMED;
		(void)rd_be16(b, &o->mss);
		o->has_mss = true;
		return TC_OK;
	case TCPOPT_WSCALE:
		if (len != TCPOLEN_WSCALE)
			return TC_MALFORMED;
		(void)rd_u8(b, &o->wscale);
		o->has_wscale = true;
		return TC_OK;
	case TCPOPT_SACK_OK:
		if (len != TCPOLEN_SACK_OK)
			return TC_MALFORMED;
		o->sack_ok = true;
		return TC_OK;
	case TCPOPT_SACK:
		if (len < 2 + 8 || (len - 2) % 8 != 0)
			return TC_MALFORMED;
		while (cur_left(b) >= 8 && o->n_sack < PKT_MAX_SACK) {
			(void)rd_be32(b, &o->sack[o->n_sack][0]);
			(void)rd_be32(b, &o->sack[o->n_sack][1]);
			o->n_sack++;
		}
		return TC_OK;
	case TCPOPT_TIMESTAMP:
		if (len != TCPOLEN_TIMESTAMP)
			return TC_MALFORMED;
		(void)rd_be32(b, &o->ts_val);
		(void)rd_be32(b, &o->ts_ecr);
		o->has_ts = true;
		return TC_OK;
	default:
		return TC_OK;            /* unknown: skipped by its length */
	}
}

/* Walk the option bytes in c. Returns TC_OK, or TC_MALFORMED when any option
 * was bad (what came before it is kept). */
static enum tc_rc tcp_options(struct cursor *c, struct tcp_opts *o)
{
	enum tc_rc result = TC_OK;
	uint8_t kind, len;

	while (rd_u8(c, &kind) == TC_OK) {
		struct cursor body;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP)
			continue;
		if (rd_u8(c, &len) != TC_OK || len < 2 ||
		    rd_sub(c, (size_t)len - 2, &body) != TC_OK)
			return TC_MALFORMED;
		if (tcp_option(kind, len, &body, o) != TC_OK)
			result = TC_MALFORMED;
	}
	return result;
}

/* The option bytes of a header that parsed: recorded in p->opt, and the
 * soft reason tcp.bad-options added when any was bad. Returns TC_OK. */
__attribute__((noinline))
static enum tc_rc tcp_parse_options(struct pkt *p, struct cursor opts)
{
	uint32_t lead = 0;

	/* NOP, NOP, timestamps and nothing else: the 12 option bytes Linux
	 * puts on nearly every segment (RFC 7323 appendix A). The walk would
	 * record exactly the timestamps; read them at fixed offsets. */
	if (cur_left(&opts) == 12 && at_be32(&opts, 0, &lead) == TC_OK &&
	    lead == (TCPOPT_NOP << 24 | TCPOPT_NOP << 16 | TCPOPT_TIMESTAMP << 8 |
		     TCPOLEN_TIMESTAMP)) {
		(void)at_be32(&opts, 4, &p->opt.ts_val);
		(void)at_be32(&opts, 8, &p->opt.ts_ecr);
		p->opt.has_ts = true;
		return TC_OK;
	}
	if (tcp_options(&opts, &p->opt) != TC_OK)
		pkt_add_err(p, PE_TCP_BAD_OPTIONS);
	return TC_OK;
}

DECODE_COLD static enum tc_rc tcp_fail(struct pkt *p, enum tc_rc rc, enum pkt_err why)
{
	pkt_add_err(p, why);
	pkt_clear_l4(p);
	return rc;
}

/* A TCP header that does not fit in the IP payload: a split header in a
 * first fragment (see the top), else a data offset beyond the segment. */
DECODE_COLD static enum tc_rc tcp_too_long(struct pkt *p)
{
	if (!p->is_fragment)
		return tcp_fail(p, TC_MALFORMED, PE_TCP_BAD_OFFSET);
	if (p->ipver == 6)
		return tcp_fail(p, TC_MALFORMED, PE_IP6_BAD_EXT);
	pkt_add_err(p, PE_IP_FRAGMENT);
	pkt_clear_l4(p);
	return TC_OK;
}

enum tc_rc tcp_parse(struct pkt *p)
{
	size_t seglen = (size_t)p->ip_len - p->ip_hlen;
	struct cursor c = cur_make(p->l3 + p->ip_hlen, p->l3_caplen - p->ip_hlen), fix = { NULL, NULL }, opts = { NULL, NULL };
	uint8_t off_rsv = 0, flags_lo = 0;   /* read after the size check */
	size_t hlen;

	p->l4 = L4_TCP;
	if (seglen < TCP_MIN_HLEN)
		return tcp_too_long(p);
	if (rd_sub(&c, TCP_MIN_HLEN, &fix) != TC_OK)
		return tcp_fail(p, TC_TRUNCATED, PE_TCP_TRUNCATED);

	/* fix is exactly 20 bytes long and read at fixed offsets: the
	 * compiler folds the getters' checks into the one above */
	p->l4hdr = fix.p;
	(void)at_be16(&fix, 0, &p->sport);
	(void)at_be16(&fix, 2, &p->dport);
	(void)at_be32(&fix, 4, &p->seq);
	(void)at_be32(&fix, 8, &p->ack);
	(void)at_u8(&fix, 12, &off_rsv);
	(void)at_u8(&fix, 13, &flags_lo);
	(void)at_be16(&fix, 14, &p->win);
	(void)at_be16(&fix, 16, &p->l4_csum);
	(void)at_be16(&fix, 18, &p->urp);

	hlen = (size_t)(off_rsv >> 4) * 4;
	if (hlen < TCP_MIN_HLEN)
		return tcp_fail(p, TC_MALFORMED, PE_TCP_BAD_OFFSET);
	if (hlen > seglen)
		return tcp_too_long(p);

	/* The flag field is the low 12 bits of bytes 12-13, below the data
	 * offset: the three reserved bits, AE, then CWR ... FIN. Reserved bits
	 * are kept, as Wireshark's tcp.flags keeps them. */
	p->flags = (uint16_t)(((unsigned)off_rsv & 0x0Fu) << 8 | flags_lo);
	p->tcp_hlen = (uint8_t)hlen;
	p->payload_len = (uint32_t)(seglen - hlen);
	p->l4_caplen = p->l3_caplen - p->ip_hlen;
	p->have_l4 = true;
	/* The options last, so that the walk is a tail call and the common
	 * path (no option bytes) keeps nothing alive across a call. A header
	 * cut inside its options fails here all the same: tcp_fail clears
	 * every field just written. */
	if (hlen > TCP_MIN_HLEN) {
		if (rd_sub(&c, hlen - TCP_MIN_HLEN, &opts) != TC_OK)
			return tcp_fail(p, TC_TRUNCATED, PE_TCP_TRUNCATED);
		return tcp_parse_options(p, opts);
	}
	return TC_OK;
}
