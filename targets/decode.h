/*
 * decode.h - one captured frame to link, network and transport fields.
 *
 * decode_packet() walks link layer -> IPv4/IPv6 (with extension headers) ->
 * TCP/UDP over a buffer of exactly the captured bytes, through the checked
 * cursor (cursor.h). It allocates nothing; struct pkt is caller-owned and
 * reset on entry; address fields are copies, header pointers are views into
 * the caller's buffer.
 *
 * Every parse ends in one of three ways per layer: ok, truncated (the capture
 * stopped early: snapshot length) or malformed (fields contradict each other
 * or the packet), each with a named reason in pkt.err[]. When a layer fails,
 * its "have" flag stays false so later stages cannot use half a header.
 *
 * Addresses are kept at full width: IPv4 in the first 4 bytes of a 16-byte
 * array with the rest zero, and ipver says which. Never folded.
 */
#ifndef TC_DECODE_H
#define TC_DECODE_H

#include "tc.h"

/* Link types we decode (LINKTYPE_* numbers as libpcap assigns them). */
#define LT_NULL        0    /* BSD loopback, host byte order AF_        */
#define LT_EN10MB      1
#define LT_PPP         9    /* PPP, RFC 1662 framing (or Cisco HDLC)      */
#define LT_PPP_HDLC    50   /* PPP in HDLC-like framing (or Cisco HDLC)   */
#define LT_PPP_ETHER   51   /* PPPoE session header, no Ethernet (NetBSD) */
#define LT_C_HDLC      104  /* Cisco HDLC                                 */
#define LT_RAW_OLD12   12   /* DLT_RAW on some BSDs                       */
#define LT_RAW_OLD14   14   /* DLT_RAW on OpenBSD                         */
#define LT_RAW         101
#define LT_LOOP        108  /* OpenBSD loopback, network byte order AF_  */
#define LT_LINUX_SLL   113
#define LT_PFLOG       117  /* OpenBSD/FreeBSD pf firewall log (pflog)     */
#define LT_ARCNET_LINUX 129 /* ARCNET as Linux's packet socket gives it   */
#define LT_IPNET       226  /* Solaris ipnet (IP observability devices)  */
#define LT_IPV4        228
#define LT_IPV6        229
#define LT_NFLOG       239  /* Linux netfilter log (NFLOG) messages        */
#define LT_IPOIB       242  /* IP over InfiniBand (RFC 4391), 44-byte header */
#define LT_PKTAP_USER2 149  /* Apple PKTAP as Apple's libpcap writes it    */
#define LT_PKTAP       258  /* Apple PKTAP (per-packet interface, process) */
#define LT_LINUX_SLL2  276

/* The link type of a pcap header or IDB without the FCS-length bits above
 * it (libpcap's LT_LINKTYPE()). */
#define LT_TYPE(lt)    ((lt) & 0x03FFFFFFu)

#define PKT_MAX_ERRORS 8
#define PKT_MAX_VLANS  4     /* tags we walk through before calling it malformed */
#define PKT_MAX_EXTHDRS 8    /* IPv6 extension headers we walk before giving up */
#define PKT_MAX_SACK   4

/* Named reasons. Names (pkt_err_name) appear in the packet record's "errors"
 * array and in findings, so they are part of the output contract. */
enum pkt_err {
	PE_NONE = 0,
	PE_LINK_TRUNCATED,      /* "link.truncated"            */
	PE_LINK_UNSUPPORTED,    /* "link.unsupported"          link type we do not decode */
	PE_VLAN_TOO_DEEP,       /* "link.vlan-too-deep"        */
	PE_NOT_IP,              /* "link.not-ip"               ARP, LLDP, ... (not an error of the packet) */
	PE_IP_TRUNCATED,        /* "ip.truncated"              */
	PE_IP_BAD_VERSION,      /* "ip.bad-version"            */
	PE_IP_BAD_IHL,          /* "ip.bad-ihl"                IHL < 5 */
	PE_IP_BAD_TOTLEN,       /* "ip.bad-total-length"       total length < header */
	PE_IP_LEN_EXCEEDS_FRAME,/* "ip.length-exceeds-frame"   claims more than the wire length */
	PE_IP_BAD_OPTIONS,      /* "ip.bad-options"            */
	PE_IP_BAD_CHECKSUM,     /* "ip.bad-checksum"           */
	PE_IP6_EXT_TOO_DEEP,    /* "ip6.ext-too-deep"          */
	PE_IP6_BAD_EXT,         /* "ip6.bad-ext"               */
	PE_IP_FRAGMENT,         /* "ip.fragment"               a fragment without a whole L4 header:
	                         *                              a later one, or an IPv4 first one
	                         *                              too short for its TCP header */
	PE_TCP_TRUNCATED,       /* "tcp.truncated"             */
	PE_TCP_BAD_OFFSET,      /* "tcp.bad-offset"            data offset < 5 or beyond the segment */
	PE_TCP_BAD_OPTIONS,     /* "tcp.bad-options"           */
	PE_TCP_BAD_CHECKSUM,    /* "tcp.bad-checksum"          */
	PE_UDP_TRUNCATED,       /* "udp.truncated"             */
	PE_UDP_BAD_LENGTH,      /* "udp.bad-length"            */
	PE_UDP_BAD_CHECKSUM,    /* "udp.bad-checksum"          */
	/* added by the decoder (appended, so earlier values keep their numbers) */
	PE_LINK_SHORT,          /* "link.short-frame"          the frame on the wire is shorter than its link header */
	PE_IP_SHORT,            /* "ip.short-frame"            fewer bytes on the wire than a minimal IP header */
	PE__COUNT
};

const char *pkt_err_name(enum pkt_err e);

enum l4_kind { L4_NONE = 0, L4_TCP, L4_UDP, L4_OTHER };

/* TCP flag bits as in the 12-bit field (RFC 9293, RFC 3168, RFC 3540). */
#define TH_FIN 0x001
#define TH_SYN 0x002
#define TH_RST 0x004
#define TH_PSH 0x008
#define TH_ACK 0x010
#define TH_URG 0x020
#define TH_ECE 0x040
#define TH_CWR 0x080
#define TH_AE  0x100

struct tcp_opts {
	bool has_mss, has_wscale, sack_ok, has_ts;
	uint16_t mss;
	uint8_t wscale;
	uint32_t ts_val, ts_ecr;
	uint8_t n_sack;
	uint32_t sack[PKT_MAX_SACK][2];
};

struct pkt {
	/* outcome: TC_OK, TC_TRUNCATED, TC_MALFORMED (first failing layer decides),
	 * TC_UNSUPPORTED (not IP, or a link type we do not decode) */
	enum tc_rc status;
	uint8_t n_err;
	uint8_t err[PKT_MAX_ERRORS];   /* enum pkt_err, in the order found */

	/* link layer */
	uint32_t linktype;
	uint16_t ethertype;            /* of the network layer, after tags and labels;
	                                * 0 behind a PPP protocol that is not IP */
	uint8_t n_vlan;
	uint16_t vlan[PKT_MAX_VLANS];  /* VLAN ids, outermost first */

	/* network layer; valid when have_ip */
	bool have_ip;
	uint8_t ipver;                 /* 4 or 6 */
	uint8_t src[16], dst[16];      /* IPv4 in the first 4 bytes, rest zero */
	uint8_t proto;                 /* transport protocol number after IPv6 ext headers */
	uint8_t ttl;                   /* TTL or hop limit */
	uint16_t ip_id;
	bool is_fragment;              /* MF/M set or offset != 0 (IPv4 or IPv6 fragment header;
	                                * an atomic IPv6 fragment, RFC 6946, is not one) */
	bool later_fragment;           /* offset != 0: carries no transport header */
	uint32_t ip_len;               /* IP total length as claimed (IPv6: 40 + payload length,
	                                * or + the RFC 2675 jumbo length); an IPv4 total
	                                * length of 0 (TSO) is replaced by the wire length */
	uint32_t ip_hlen;              /* IP header + IPv6 extension headers or IPv4 AH
	                                * (RFC 4302): where the transport header starts */
	bool dst_routed;               /* a source route still has hops to go, so dst is a
	                                * waypoint and not the final destination: IPv4 LSRR or
	                                * SSRR with an address left (RFC 791 3.1), IPv6 routing
	                                * header with segments left > 0 (RFC 8200 4.4) */
	const uint8_t *final_dst;      /* view: when dst_routed, the final destination the route
	                                * names (4 or 16 bytes inside the IP header: the last
	                                * LSRR/SSRR address; routing type 0's last address,
	                                * type 2's home address, type 4's segment list[0]);
	                                * NULL when the route names none we read (then the
	                                * transport checksum is not judged) or !dst_routed */
	const uint8_t *l3;             /* view: start of the IP header */
	size_t l3_caplen;              /* captured bytes from l3, clamped to ip_len */

	/* transport layer; valid when have_l4 */
	bool have_l4;
	enum l4_kind l4;
	uint16_t sport, dport;
	uint32_t seq, ack;             /* raw 32-bit values */
	uint16_t flags;                /* 12-bit TCP flag field */
	uint16_t win;                  /* raw, unscaled */
	uint16_t urp;
	uint8_t tcp_hlen;              /* data offset * 4 */
	struct tcp_opts opt;
	uint16_t udp_len;              /* as carried: 0 in an IPv6 jumbogram (RFC 2675 4) */
	uint32_t payload_len;          /* transport payload length: TCP from the IP lengths,
	                                * UDP its length - 8 (a jumbogram's from the IP payload) */
	const uint8_t *l4hdr;          /* view: start of the TCP/UDP header */
	size_t l4_caplen;              /* captured bytes from l4hdr, clamped to ip_len */
	uint16_t l4_csum;              /* checksum field as carried */
};

/*
 * decode_packet - decode one frame.
 * linktype: LINKTYPE_* of the frame; data/caplen: exactly the captured bytes;
 * origlen: the length on the wire (used to tell truncation from a lying IP
 * length). *out is reset and filled; nothing is retained after return except
 * the views into data. Returns out->status.
 */
enum tc_rc decode_packet(uint32_t linktype, const uint8_t *data, size_t caplen,
			 size_t origlen, struct pkt *out);

/*
 * decode_verify_checksums - check IPv4 header and TCP/UDP checksums of a
 * decoded packet and append PE_*_BAD_CHECKSUM to out->err for each that is
 * wrong. Checksums over partially captured segments are not judged. Separate
 * from decode_packet because it costs a pass over the payload and is off by
 * default (offloaded captures carry wrong checksums).
 */
void decode_verify_checksums(struct pkt *p);

/*
 * Records that libpcap's filter code for their link type reads wrongly, so
 * that `--filter` (as tcpdump -r) judges them on the wrong bytes:
 *   LINK_BPF_ARCNET_1051  Linux ARCNET, IPv4 under RFC 1051's protocol id:
 *                         libpcap assumes RFC 1201's 8-byte header.
 *   LINK_BPF_PFLOG_BSD6   pf's log, IPv6 with a BSD's address family (24, 28,
 *                         30): libpcap tests for the running system's own.
 * Reads at most the first 5 bytes of the captured frame.
 */
enum link_bpf_caveat { LINK_BPF_OK, LINK_BPF_ARCNET_1051, LINK_BPF_PFLOG_BSD6, LINK_BPF_N };
enum link_bpf_caveat link_bpf_caveat(uint32_t linktype, const uint8_t *data, size_t caplen);

/* Add an error to p->err: once (a reason already listed is not repeated;
 * ip6.bad-ext may come from ipv6.c and again from tcp.c), and dropped
 * silently past PKT_MAX_ERRORS, which the check order makes unreachable:
 * each layer adds at most two. */
void pkt_add_err(struct pkt *p, enum pkt_err e);

/* Format an address (p->ipver 4 or 6) into buf: dotted quad or RFC 5952 text.
 * buf must hold at least 46 bytes. Returns buf. */
char *addr_format(uint8_t ipver, const uint8_t addr[16], char *buf);

/* addr_write - the same text written at p, not terminated (at most 45
 * bytes); returns the position after it. */
char *addr_write(char *p, uint8_t ipver, const uint8_t addr[16]);

#endif /* TC_DECODE_H */
