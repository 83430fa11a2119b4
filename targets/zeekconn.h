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
 *   ^ roles flipped (the first packet was a SYN+ACK: its receiver is the originator)
 * a, d, i, q appear once per direction; s, h, f, r again whenever the
 * sequence number differs from the last one of that kind; c, t, w are
 * logarithmic (at the 1st, 10th, 100th, ... occurrence).
 * Known differences from Zeek, each a choice made for a passive replay with
 * no content reassembly: no 'g' (content gaps need reassembly); a packet
 * with a bad checksum is counted ('c') and still analysed (Zeek drops it);
 * the history keeps its first ZK_HIST_MAX letters; the originator of a
 * connection picked up mid-stream is the sender of its first packet (Zeek
 * may flip it by its likely_server_ports table, which depends on the loaded
 * analyzers); payload bytes are counted from packet lengths, not sequence
 * numbers (so retransmissions count).
 */
#ifndef TC_ZEEKCONN_H
#define TC_ZEEKCONN_H

#include "tc.h"

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

/* What the Zeek model needs of one TCP segment, with the sender's sequence
 * context as it was before this segment (the engine's tcpstate has it). */
struct zk_tcp_in {
	unsigned dir;            /* ZK_ORIG or ZK_RESP: who sent it            */
	uint16_t flags;          /* TH_* bits                                  */
	uint32_t seq;
	uint32_t len;            /* payload bytes                              */
	uint32_t win;            /* window field (zero or not is what matters) */
	bool bad_checksum;
	bool have_prev_seq;      /* the sender sent something before           */
	uint32_t prev_snd_nxt;   /* highest seq+len it had sent before         */
	bool have_prev_syn;      /* it sent a SYN before, at prev_syn_seq      */
	uint32_t prev_syn_seq;
	bool have_prev_fin;      /* it sent a FIN before, ending at prev_fin_end */
	uint32_t prev_fin_end;
	bool have_prev_rst;      /* it sent a RST before, at prev_rst_seq      */
	uint32_t prev_rst_seq;
};

/* zk_init - empty connection; flipped: the first packet was a SYN+ACK seen
 * from the responder, so the history starts with '^'. */
void zk_init(struct zk_conn *z, bool flipped);

/* zk_tcp_packet - record one TCP segment: history letters and the endpoint
 * state transitions of Zeek's TCP analyzer. */
void zk_tcp_packet(struct zk_conn *z, const struct zk_tcp_in *in);

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
