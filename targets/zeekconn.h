/*
 * zeekconn.h - Zeek's conn.log view of a connection: the per-endpoint states,
 * the conn_state summary (S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH,
 * SH, SHR, OTH) and the history letters, so flow records can be compared
 * with Zeek's logs line by line.
 *
 * Reimplemented from Zeek's documented behaviour (conn/main.zeek: the
 * conn_state() rules and the history field's description; the TCP analyzer's
 * endpoint transitions INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL,
 * ESTABLISHED, CLOSED, RESET). Letters: upper case for the originator, lower
 * case for the responder:
 *   s SYN without ACK    h SYN+ACK        a pure ACK        d payload
 *   f FIN                r RST            c bad checksum    t retransmitted payload
 *   w zero window        i FIN+RST        q other multi-flag (SYN+FIN, SYN+RST)
 *   ^ roles flipped (the first packet was a SYN+ACK without FIN or RST: its
 *     receiver is the originator)
 * a, d, i, q appear once per direction; s, h, f, r again whenever the
 * sequence number differs from the last one of that kind; c, t, w are
 * logarithmic (at the 1st, 10th, 100th, ... occurrence).
 * Known differences from Zeek (no 'g', bad checksums, the 16-letter cap,
 * the originator of a connection seen from its SYN+ACK, ...) are listed for
 * users in README.md, "Connections: tuplecheck flows".
 */
#ifndef TC_ZEEKCONN_H
#define TC_ZEEKCONN_H

#include "tc.h"
#include "tcpstate.h"   /* struct tcp_seg, struct tcp_side */

#define ZK_HIST_MAX 16

/* Zeek's endpoint states (init-bare.zeek TCP_* and UDP_* constants). */
enum zk_ep {
	ZK_INACTIVE = 0,
	ZK_SYN_SENT,
	ZK_SYN_ACK_SENT,
	ZK_PARTIAL,
	ZK_ESTABLISHED,
	ZK_CLOSED,
	ZK_RESET,
	ZK_UDP_ACTIVE            /* UDP: the endpoint sent a datagram */
};

/* zk_conn.seqflags, shifted by the direction: the sender's own highest
 * segment end (Zeek's last_seq) is still its start + 1 (only its SYN, or
 * nothing, before). */
#define ZK_SEQ_AT_START 0x01u

/* Directions as Zeek indexes them. */
#define ZK_ORIG 0
#define ZK_RESP 1

struct zk_conn {
	char hist[ZK_HIST_MAX];  /* not NUL-terminated; hist_len letters      */
	uint8_t hist_len;
	uint8_t st[2];           /* enum zk_ep per direction                    */
	uint8_t prev_st[2];      /* state before the last change                */
	uint8_t seqflags;        /* ZK_SEQ_AT_START << dir (zk_tcp_extent)     */
	uint16_t seen;           /* once-only letters already recorded          */
	uint16_t cnt[2][3];      /* c, t, w occurrences per direction (saturating) */
};

/* zk_init - empty connection; flipped: the first packet was a SYN+ACK
 * (without FIN or RST) seen from the responder, so the history starts
 * with '^'. */
void zk_init(struct zk_conn *z, bool flipped);

/*
 * zk_tcp_packet - record one TCP segment sg sent in direction dir (ZK_ORIG
 * or ZK_RESP): history letters and the endpoint state transitions of Zeek's
 * TCP analyzer. prev is the sender's tcpstate side as it was BEFORE this
 * segment (call this before tcp_segment applies it): Zeek's repeat and
 * retransmission rules compare with what the sender had sent earlier
 * (TSF_NXT/snd_nxt: the highest seq+len; TSF_SYN/isn: its SYN's seq;
 * TSF_FIN: a FIN ending at snd_nxt - 1; TSF_RST/rst_seq: its last RST
 * without SYN or FIN, as Zeek's hist_last_RST).
 * bad_checksum: the segment's TCP checksum was wrong ('c').
 */
void zk_tcp_packet(struct zk_conn *z, unsigned dir, const struct tcp_seg *sg,
		   const struct tcp_side *prev, bool bad_checksum);

/*
 * zk_tcp_extent - Zeek's sequence bookkeeping for orig_bytes/resp_bytes
 * (TCP_Endpoint::Size): call for every TCP segment BEFORE zk_tcp_packet
 * (Zeek updates sequence numbers with the endpoint states the segment
 * found). ext[ZK_ORIG], ext[ZK_RESP] hold, per direction, how far that
 * direction's sequence space reaches past its base sequence number: the
 * higher of the sender's highest segment end (a RST's payload not
 * counted) and the peer's highest ACK, 64-bit across wraps; the base is
 * tcpstate's (tcp_base_after). sender and peer are the tcpstate sides as
 * they were before the segment. Zeek's rules: a direction starts over at
 * its first segment and at the SYNs that re-base it; the peer's ACK counts
 * once the direction has sent, never from a RST, nor an ACK of 0 more than
 * 1 MiB ahead; the sender's end does not count after its RST, nor from a
 * SYN or RST more than 1 MiB away; a FIN when nothing but the SYN came
 * before from its sender counts however far it lies, even after a RST.
 */
void zk_tcp_extent_(struct zk_conn *z, unsigned dir, const struct tcp_seg *sg,
		    const struct tcp_side *sender, const struct tcp_side *peer,
		    uint64_t ext[2]);

/* Move *ext on so that base + *ext reaches seq, when seq lies ahead of it
 * (less than 2^31 ahead, RFC 9293 3.4); never back. */
static inline void zk_ext_forward(uint64_t *ext, uint32_t base, uint32_t seq)
{
	uint32_t delta = seq - (base + (uint32_t)*ext);

	if (delta != 0 && !(delta & 0x80000000u))
		*ext += delta;
}

/* Inline for the common segment (an ACK with or without data, no SYN, FIN
 * or RST, between two endpoints past INACTIVE, the sender not RESET and
 * past its start, ACK not 0), where the rules reduce to moving both reaches
 * on; zk_tcp_extent_ (zeekconn.c) for every other. */
static inline void zk_tcp_extent(struct zk_conn *z, unsigned dir, const struct tcp_seg *sg,
				 const struct tcp_side *sender, const struct tcp_side *peer,
				 uint64_t ext[2])
{
	unsigned d = dir & 1;

	if ((sg->flags & (TH_SYN | TH_FIN | TH_RST | TH_ACK)) == TH_ACK && sg->ack != 0 &&
	    z->st[d] != ZK_INACTIVE && z->st[d] != ZK_RESET && z->st[d ^ 1] != ZK_INACTIVE &&
	    !(z->seqflags & (ZK_SEQ_AT_START << d))) {
		zk_ext_forward(&ext[d], sender->isn, sg->seq + sg->len);
		zk_ext_forward(&ext[d ^ 1], peer->isn, sg->ack);
		return;
	}
	zk_tcp_extent_(z, dir, sg, sender, peer, ext);
}

/*
 * zk_tcp_bytes - Zeek's orig_bytes (dir ZK_ORIG) or resp_bytes (ZK_RESP) from
 * that direction's ext (zk_tcp_extent): 0 while the endpoint is INACTIVE,
 * else ext less the SYN octet and less the FIN octet once it sent a FIN; 0
 * too for an endpoint that went SYN_SENT -> RESET while its peer stayed
 * INACTIVE when the peer had acknowledged data (data_acked: Zeek's
 * "half-open connection discovered and aborted").
 */
uint64_t zk_tcp_bytes(const struct zk_conn *z, unsigned dir, uint64_t ext, bool data_acked);

/* zk_udp_packet - record one UDP datagram from dir ('D'/'d', endpoint active;
 * 'C'/'c' when bad_checksum). */
void zk_udp_packet(struct zk_conn *z, unsigned dir, bool bad_checksum);

/*
 * zk_conn_state - Zeek's conn_state for a TCP (is_tcp) or UDP connection;
 * orig_bytes/resp_bytes decide REJ for two RESET endpoints. Returns a static
 * string ("S0", "SF", ...).
 */
const char *zk_conn_state(const struct zk_conn *z, bool is_tcp,
			  uint64_t orig_bytes, uint64_t resp_bytes);

/* zk_history - the history as a NUL-terminated string in buf (at least
 * ZK_HIST_MAX + 1 bytes). Returns buf. */
char *zk_history(const struct zk_conn *z, char *buf);

#endif /* TC_ZEEKCONN_H */
