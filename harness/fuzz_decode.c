/*
 * fuzz_decode.c - fuzz target: one frame through decode_packet().
 *
 * Input: byte 0 selects the configuration, the rest is the frame.
 *   bits 0-3  link type: index into link_table below (every LINKTYPE we
 *             decode but 12 and 14, whose parser is 101's, 50, whose parser
 *             is 9's, and Solaris ipnet 226; PKTAP's inner DLT reaches these
 *             along with every other. And one we do not decode, radiotap,
 *             so the "unsupported" path is fuzzed too);
 *   bits 4-5  original (wire) length relative to the captured length:
 *             0 equal, 1 snapped (1000 bytes more on the wire), 2 captured
 *             length above the wire length (a corrupt record libpcap still
 *             returns), 3 a 65535-byte packet;
 *   bits 6-7  ignored (kept so that seeds can be read as bytes).
 * An empty input has no selector and is the empty Ethernet frame. Short
 * inputs are not skipped: they are the truncation cases.
 *
 * The frame is copied (fuzz_frame) so that exactly its length is readable
 * before decoding, and ASan sees any over- or under-read (the libFuzzer
 * buffer is exact too, the AFL++ one is not). Then: every invariant of
 * pktcheck.c, the same frame decoded a second time must give the same
 * answer (decode_packet must reset its output and read nothing else), and
 * decode_verify_checksums must only append checksum reasons that agree
 * with our own sums.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_assert.h"
#include "pktcheck.h"

static const uint32_t link_table[16] = {
	LT_EN10MB, LT_RAW, LT_LINUX_SLL, LT_LINUX_SLL2,
	LT_NULL, LT_LOOP, LT_IPV4, LT_IPV6,
	LT_ARCNET_LINUX, LT_PKTAP, LT_IPOIB, LT_C_HDLC,
	LT_PPP_ETHER,
	LT_NFLOG,
	127,    /* radiotap: not decoded */
	LT_PPP,
};

static struct pkt_counts counts;
static uint64_t inputs;

/* Fields that must come out the same from two decodes of one frame. */
static void check_same(const struct pkt *a, const struct pkt *b)
{
	FUZZ_CHECK(a->status == b->status && a->n_err == b->n_err &&
		   memcmp(a->err, b->err, a->n_err) == 0 &&
		   a->have_ip == b->have_ip && a->have_l4 == b->have_l4 &&
		   a->ethertype == b->ethertype && a->n_vlan == b->n_vlan,
		   "second decode of the same frame differs (status %s/%s)",
		   tc_rc_name(a->status), tc_rc_name(b->status));
	if (a->have_ip)
		FUZZ_CHECK(a->ipver == b->ipver && memcmp(a->src, b->src, 16) == 0 &&
			   memcmp(a->dst, b->dst, 16) == 0 && a->proto == b->proto &&
			   a->ip_len == b->ip_len && a->ip_hlen == b->ip_hlen &&
			   a->l3 == b->l3 && a->l3_caplen == b->l3_caplen &&
			   a->is_fragment == b->is_fragment && a->dst_routed == b->dst_routed &&
			   a->final_dst == b->final_dst,
			   "second decode of the same frame gives another IP view");
	if (a->have_l4)
		FUZZ_CHECK(a->l4 == b->l4 && a->sport == b->sport && a->dport == b->dport &&
			   a->seq == b->seq && a->ack == b->ack && a->flags == b->flags &&
			   a->payload_len == b->payload_len && a->l4_caplen == b->l4_caplen &&
			   memcmp(&a->opt, &b->opt, sizeof(a->opt)) == 0,
			   "second decode of the same frame gives another transport view");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sel = size > 0 ? data[0] : 0;
	uint32_t linktype = link_table[sel & 15];
	size_t caplen = size > 0 ? size - 1 : 0;
	size_t origlen;
	const uint8_t *frame;
	struct pkt p, again;

	inputs++;
	switch ((sel >> 4) & 3) {
	case 0: origlen = caplen; break;
	case 1: origlen = caplen + 1000; break;
	case 2: origlen = caplen / 2; break;
	default: origlen = 65535; break;
	}
	/* Exactly caplen bytes readable (none for an empty frame: any read of
	 * it is an ASan report). */
	frame = fuzz_frame(data + (size > 0), caplen);

	memset(&p, 0xa5, sizeof(p));     /* decode_packet must reset every field */
	FUZZ_CHECK(decode_packet(linktype, frame, caplen, origlen, &p) == p.status,
		   "decode_packet's return differs from out->status");
	pktcheck_decoded(linktype, frame, caplen, origlen, &p);
	memset(&again, 0x5a, sizeof(again));
	decode_packet(linktype, frame, caplen, origlen, &again);
	check_same(&p, &again);
	pktcheck_checksums(&p);
	pkt_counts_add(&counts, &p);
	fuzz_frame_release();
	return 0;
}

void fuzz_stats_print(FILE *out)
{
	fprintf(out, "stats: target=fuzz_decode inputs=%llu", (unsigned long long)inputs);
	pkt_counts_print(out, &counts);
	fputc('\n', out);
}
