/*
 * tcpstate.h - a passive observer's model of both ends of one TCP connection.
 *
 * The engine sees each segment once, on the wire, and feeds it here with the
 * side (0 or 1) that sent it. Every observed segment is taken as delivered:
 * it moves its sender's state as "sent" and its receiver's state as
 * "received" in the RFC 9293 section 3.3.2 state diagram, so each side keeps
 * its own state (SYN-SENT, SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2, CLOSING,
 * TIME-WAIT, CLOSE-WAIT, LAST-ACK, CLOSED; LISTEN is implied for a side that
 * has not spoken yet). Besides the state, each side records what the rules
 * about tuple reuse and resets need:
 *  - its initial sequence number (the "base" Wireshark's tcp.stream split
 *    compares with: the seq of its last SYN, else first seq - 1, else the
 *    peer's first ACK - 1), the next sequence number it will use (highest seq + length,
 *    SYN and FIN counting one each), the last ACK and window it advertised;
 *  - window scaling (RFC 7323 section 2): the shift each SYN offered, in use
 *    only when both SYNs carried the option; SYN windows are never scaled;
 *  - the last timestamp value it sent (RFC 7323 TSval), for RFC 6191 and PAWS;
 *  - whether it sent a FIN (its sequence number is then snd_nxt - 1) and
 *    whether the peer acknowledged it, by an ACK after it or by one the
 *    capture put before it (the peer's last ACK already past the FIN), so
 *    that "FIN exchange completed" is exact.
 * A connection ends by a completed FIN exchange (both FINs acknowledged) or by
 * an accepted RST (see tcp_rst_judge: RFC 5961 section 3.2 window check;
 * in SYN-SENT, RFC 9293 section 3.10.7.3). An out-of-window RST is ignored,
 * as the receiver's stack would ignore it.
 *
 * Pure state over caller-owned memory: no allocation, no time (the engine
 * keeps times), no I/O. Sequence comparisons are modulo 2^32 (RFC 9293
 * section 3.4: "a < b" means b - a taken as a signed 32-bit value is > 0).
 */
#ifndef TC_TCPSTATE_H
#define TC_TCPSTATE_H

#include "tc.h"
#include "decode.h"   /* TH_* flag bits */

enum tcp_st {
	TCPS_LISTEN = 0,        /* has sent nothing yet (also the passive CLOSED/LISTEN) */
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSING,
	TCPS_TIME_WAIT,
	TCPS_CLOSE_WAIT,
	TCPS_LAST_ACK,
	TCPS_CLOSED,            /* after a RST, or LAST-ACK acknowledged */
	TCPS__COUNT
};

/* RFC 9293 name of a state ("SYN-SENT", ...). */
const char *tcp_state_name(enum tcp_st s);

/* tcp_side.flags */
#define TSF_BASE        0x0001u  /* isn known (tshark "base_seq set")          */
#define TSF_NXT         0x0002u  /* snd_nxt known: this side sent a segment     */
#define TSF_SYN         0x0004u  /* sent a SYN (with or without ACK)            */
#define TSF_ACKED_ANY   0x0008u  /* sent a segment with ACK: last_ack valid     */
#define TSF_WIN         0x0010u  /* win valid                                   */
#define TSF_WS_OFFER    0x0020u  /* its SYN carried a window scale option       */
#define TSF_TS          0x0040u  /* tsval valid                                 */
#define TSF_FIN         0x0080u  /* sent a FIN, at snd_nxt - 1                  */
#define TSF_FIN_ACKED   0x0100u  /* the peer acknowledged that FIN              */
#define TSF_RST         0x0200u  /* sent a RST without SYN or FIN; rst_seq valid */
#define TSF_SYNACK      0x0400u  /* its SYN carried ACK (it answered a SYN)     */
#define TSF_WIN_SYN     0x0800u  /* win came from a SYN: never scaled           */

struct tcp_side {
	uint32_t isn;           /* base sequence number (see TSF_BASE)           */
	uint32_t snd_nxt;       /* next sequence number it will send; after its
				   FIN it stays just past the FIN (anything
				   sent beyond a FIN is bogus), so the FIN is
				   at snd_nxt - 1                               */
	uint32_t last_ack;      /* highest ACK it sent (its RCV.NXT as seen)    */
	uint32_t tsval;         /* last TSval it sent                           */
	uint32_t rst_seq;       /* sequence number of its last RST without SYN
				   or FIN (what Zeek's 'R' repeats compare) */
	uint16_t win;           /* last window field it sent, unscaled          */
	uint16_t flags;         /* TSF_*                                        */
};

/* tcp_conn.flags */
#define TCF_WS_NEGOTIATED  0x01u  /* both SYNs offered window scaling        */
#define TCF_MIDSTREAM      0x02u  /* first segment seen had no SYN            */

enum tcp_end {
	TCP_END_OPEN = 0,       /* neither a completed FIN exchange nor a RST    */
	TCP_END_FIN,            /* both FINs sent and acknowledged                */
	TCP_END_RST             /* an accepted RST                               */
};

struct tcp_conn {
	struct tcp_side side[2];
	uint8_t state[2];       /* enum tcp_st of each side                       */
	uint8_t wscale[2];      /* shift each side's SYN offered (<= 14)          */
	uint8_t flags;          /* TCF_*                                          */
	uint8_t end;            /* enum tcp_end                                   */
};

/* One segment as the model needs it (copied from the decoded packet). */
struct tcp_seg {
	uint16_t flags;         /* TH_* bits                                      */
	uint32_t seq, ack;
	uint32_t len;           /* payload bytes                                  */
	uint16_t win;           /* window field, unscaled                         */
	bool has_wscale;
	uint8_t wscale;
	bool has_ts;
	uint32_t tsval;
};

enum rst_verdict {
	RST_NONE = 0,           /* the segment has no RST                         */
	RST_EXACT,              /* seq is exactly what the receiver expects next  */
	RST_IN_WINDOW,          /* inside the window but not exact: an RFC 5961
				   receiver answers with a challenge ACK          */
	RST_OUT_OF_WINDOW,      /* outside the receiver's window (blind reset)    */
	RST_UNKNOWN             /* nothing known of the receiver's window         */
};

struct tcp_rst_check {
	enum rst_verdict verdict;
	bool have_rcv_nxt;
	uint32_t rcv_nxt;       /* receiver's next expected seq (best estimate)   */
	uint32_t rcv_wnd;       /* receiver's window in bytes, scaled            */
	bool wnd_scale_known;   /* false: rcv_wnd assumes the largest shift (14)  */
	bool syn_sent;          /* the receiver was in SYN-SENT: the RFC 9293
				   3.10.7.3 rule (ACK must acknowledge the SYN)
				   decided, not the window                        */
};

/* Modular sequence comparisons (RFC 9293 section 3.4). */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return ((a - b) & 0x80000000u) != 0;
}
static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return a == b || seq_lt(a, b);
}
static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return seq_lt(b, a);
}
static inline bool seq_geq(uint32_t a, uint32_t b)
{
	return seq_leq(b, a);
}

/* tcp_conn_init - empty connection: both sides LISTEN, nothing known. */
void tcp_conn_init(struct tcp_conn *c);

/*
 * tcp_base_after - the base sequence number side s has once it sent sg:
 * Wireshark's rule, which sets it from the first segment of the side (its
 * seq, less one without SYN) and again from every SYN, with or without ACK
 * (a SYN+ACK retransmitted with another ISN re-bases the side; a SYN
 * without ACK whose seq differs is a new incarnation, see below). Pure.
 */
static inline uint32_t tcp_base_after(const struct tcp_side *s, const struct tcp_seg *sg)
{
	if (sg->flags & TH_SYN)
		return sg->seq;
	return (s->flags & TSF_BASE) ? s->isn : sg->seq - 1;
}

/*
 * tcp_is_new_incarnation - would this segment from side `from` start a new
 * connection on the same tuple? True exactly when it is a SYN without ACK,
 * the sender's base sequence number is known and the SYN's seq differs from
 * it: Wireshark's tcp.stream rule (a retransmitted SYN, same ISN, is not).
 * Pure.
 */
static inline bool tcp_is_new_incarnation(const struct tcp_conn *c, unsigned from,
					  const struct tcp_seg *sg)
{
	const struct tcp_side *s = &c->side[from & 1];

	/* inline: asked of every segment of a known connection */
	return (sg->flags & (TH_SYN | TH_ACK)) == TH_SYN &&
	       (s->flags & TSF_BASE) != 0 && sg->seq != s->isn;
}

/*
 * tcp_rst_judge - where does this RST from side `from` fall in the
 * receiver's window, before the segment is applied? Fills *out (verdict
 * RST_NONE when sg has no RST). Rules:
 *  - receiver in SYN-SENT (sent a SYN, nothing synchronised): acceptable
 *    (RST_EXACT) iff ACK is set and acknowledges its SYN, ISN < ACK =<
 *    SND.NXT where SND.NXT counts data the SYN carried (TCP Fast Open),
 *    else RST_OUT_OF_WINDOW (RFC 9293 3.10.7.3, RFC 5961 3.2);
 *  - otherwise RCV.NXT is the receiver's last ACK (or, before it sent one,
 *    the sender's next seq) and RCV.WND its last window, scaled when scaling
 *    was negotiated (the largest shift when the SYNs were not seen):
 *    seq == RCV.NXT, or seq == the sender's own next seq (the receiver's
 *    RCV.NXT once data in flight arrives), is RST_EXACT; RCV.NXT < seq <
 *    RCV.NXT + RCV.WND is RST_IN_WINDOW; anything else RST_OUT_OF_WINDOW;
 *  - RST_UNKNOWN when RCV.NXT cannot be estimated, or when it can but the
 *    receiver has sent no window yet and seq is not an exact match.
 * Pure.
 */
void tcp_rst_judge(const struct tcp_conn *c, unsigned from,
		   const struct tcp_seg *sg, struct tcp_rst_check *out);

/*
 * tcp_segment - apply one segment sent by side `from` (0 or 1) to *c.
 * rst: the verdict from tcp_rst_judge for this segment (NULL when no RST).
 * A RST closes the connection (end = TCP_END_RST, both sides CLOSED) unless
 * its verdict is RST_OUT_OF_WINDOW, in which case only its sender is CLOSED.
 * Returns true when this segment ended the connection (it was open before).
 */
bool tcp_segment(struct tcp_conn *c, unsigned from, const struct tcp_seg *sg,
		 const struct tcp_rst_check *rst);

/* True once both sides are in a state where no more data can flow. */
bool tcp_conn_is_closed(const struct tcp_conn *c);

#endif /* TC_TCPSTATE_H */
