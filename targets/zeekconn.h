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
 * Known differences from Zeek, each a choice made for a passive replay with
 * no content reassembly: no 'g' (content gaps need reassembly); a packet
 * with a bad checksum is counted ('c') and still analysed (Zeek drops it);
 * the history keeps its first ZK_HIST_MAX letters; the originator of a
 * connection picked up mid-stream is the sender of its first packet (Zeek
 * may flip it by its likely_server_ports table, which depends on the loaded
 * analyzers), and a first SYN+ACK's receiver always (Zeek: by the same
 * table; a SYN+ACK with FIN or RST, a probe, is not flipped here); payload bytes are counted from packet lengths, not sequence
 * numbers (so retransmissions count).
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

/* Directions as Zeek indexes them. */
#define ZK_ORIG 0
#define ZK_RESP 1

struct zk_conn {
	char hist[ZK_HIST_MAX];  /* not NUL-terminated; hist_len letters      */
	uint8_t hist_len;
	uint8_t st[2];           /* enum zk_ep per direction                    */
	uint8_t prev_st[2];      /* state before the last change                */
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
 * TSF_FIN: a FIN ending at snd_nxt - 1; TSF_RST/rst_seq: its last RST).
 * bad_checksum: the segment's TCP checksum was wrong ('c').
 */
void zk_tcp_packet(struct zk_conn *z, unsigned dir, const struct tcp_seg *sg,
		   const struct tcp_side *prev, bool bad_checksum);

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
