/*
 * tcpstate.c - per-side RFC 9293 states of one TCP connection, as a passive
 * observer infers them from the segments both sides send.
 *
 * Each segment is applied in the order a receiving stack would process it
 * (RFC 9293 section 3.10.7.4): RST first, then SYN, then the ACK field, then
 * the FIN. The ACK part runs before the FIN part so that a FIN+ACK which
 * acknowledges the receiver's own FIN takes it FIN-WAIT-1 -> FIN-WAIT-2 ->
 * TIME-WAIT in one step. The sender's state moves as "this is what it sent"
 * (SYN -> SYN-SENT, SYN+ACK -> SYN-RECEIVED, FIN -> FIN-WAIT-1 or LAST-ACK),
 * the receiver's as "this is what it received". A side first seen
 * mid-connection (no SYN) is taken as ESTABLISHED.
 *
 * Deliberate simplifications, each because a passive observer cannot know
 * better: every observed segment is assumed delivered (no loss modelling); a
 * RST's own ACK and window fields are not trusted (RFC 5961 section 3: they
 * carry no meaning for the receiver); payload of a RST does not advance the
 * sender's sequence space.
 */
#include <string.h>

#include "tcpstate.h"
#include "decode.h"

static const char *const state_names[TCPS__COUNT] = {
	[TCPS_LISTEN] = "LISTEN",
	[TCPS_SYN_SENT] = "SYN-SENT",
	[TCPS_SYN_RECEIVED] = "SYN-RECEIVED",
	[TCPS_ESTABLISHED] = "ESTABLISHED",
	[TCPS_FIN_WAIT_1] = "FIN-WAIT-1",
	[TCPS_FIN_WAIT_2] = "FIN-WAIT-2",
	[TCPS_CLOSING] = "CLOSING",
	[TCPS_TIME_WAIT] = "TIME-WAIT",
	[TCPS_CLOSE_WAIT] = "CLOSE-WAIT",
	[TCPS_LAST_ACK] = "LAST-ACK",
	[TCPS_CLOSED] = "CLOSED",
};

const char *tcp_state_name(enum tcp_st s)
{
	if ((unsigned)s >= TCPS__COUNT)
		return "?";
	return state_names[s];
}

void tcp_conn_init(struct tcp_conn *c)
{
	memset(c, 0, sizeof(*c));
}

/* ---- RST acceptability (RFC 5961 section 3.2) --------------------------- */

/* RFC 7323 section 2.3: a shift above 14 is used as 14. */
#define WSCALE_MAX 14

/*
 * Does ack acknowledge the SYN of side r (which sent it and is in SYN-SENT)?
 * RFC 9293 3.10.7.3: acceptable when SND.UNA < SEG.ACK =< SND.NXT, and in
 * SYN-SENT SND.UNA is the ISS. SND.NXT is r's snd_nxt, which counts the data
 * the SYN carried: a TCP Fast Open SYN (RFC 7413) is answered with an ACK of
 * the SYN alone (data refused) or of the SYN and its data, and a RST that
 * refuses such a SYN acknowledges its data too (RFC 9293 3.10.7.1: ACK =
 * SEG.SEQ + SEG.LEN, the SYN counting one), as Linux sends it.
 */
static inline bool acks_syn(const struct tcp_side *r, uint32_t ack)
{
	return seq_gt(ack, r->isn) && seq_leq(ack, r->snd_nxt);
}

void tcp_rst_judge(const struct tcp_conn *c, unsigned from,
		   const struct tcp_seg *sg, struct tcp_rst_check *out)
{
	const struct tcp_side *s = &c->side[from & 1];
	const struct tcp_side *r = &c->side[(from & 1) ^ 1];
	enum tcp_st rstate = (enum tcp_st)c->state[(from & 1) ^ 1];
	unsigned shift;

	memset(out, 0, sizeof(*out));
	if (!(sg->flags & TH_RST)) {
		out->verdict = RST_NONE;
		return;
	}

	/* RFC 9293 3.10.7.3: in SYN-SENT only the ACK decides. */
	if (rstate == TCPS_SYN_SENT) {
		out->syn_sent = true;
		out->verdict = ((sg->flags & TH_ACK) && acks_syn(r, sg->ack))
			       ? RST_EXACT : RST_OUT_OF_WINDOW;
		return;
	}

	if (r->flags & TSF_ACKED_ANY) {
		out->rcv_nxt = r->last_ack;
		out->have_rcv_nxt = true;
	} else if (s->flags & TSF_NXT) {
		out->rcv_nxt = s->snd_nxt;
		out->have_rcv_nxt = true;
	}

	if (r->flags & TSF_WIN) {
		if (r->flags & TSF_WIN_SYN) {
			shift = 0;                      /* SYN windows are never scaled */
			out->wnd_scale_known = true;
		} else if (c->flags & TCF_WS_NEGOTIATED) {
			shift = c->wscale[(from & 1) ^ 1];
			out->wnd_scale_known = true;
		} else if ((r->flags & TSF_SYN) && (s->flags & TSF_SYN)) {
			shift = 0;                      /* both SYNs seen, not negotiated */
			out->wnd_scale_known = true;
		} else {
			shift = WSCALE_MAX;             /* handshake not seen: assume the most */
		}
		out->rcv_wnd = (uint32_t)r->win << shift;
	}

	if (!out->have_rcv_nxt) {
		out->verdict = RST_UNKNOWN;
		return;
	}
	if (sg->seq == out->rcv_nxt || ((s->flags & TSF_NXT) && sg->seq == s->snd_nxt)) {
		out->verdict = RST_EXACT;
		return;
	}
	if (!(r->flags & TSF_WIN)) {
		out->verdict = RST_UNKNOWN;
		return;
	}
	if (seq_gt(sg->seq, out->rcv_nxt) && sg->seq - out->rcv_nxt < out->rcv_wnd)
		out->verdict = RST_IN_WINDOW;
	else
		out->verdict = RST_OUT_OF_WINDOW;
}

/* ---- applying a segment ---------------------------------------------------- */

static void note_sequence(struct tcp_conn *c, unsigned from, const struct tcp_seg *sg)
{
	struct tcp_side *s = &c->side[from];
	struct tcp_side *r = &c->side[from ^ 1];
	uint16_t fl = sg->flags;
	bool syn = (fl & TH_SYN) != 0;

	/* Wireshark's base sequence numbers (what tcp.stream splits on). */
	s->isn = tcp_base_after(s, sg);
	s->flags |= TSF_BASE;
	if ((fl & TH_ACK) && !(r->flags & TSF_BASE)) {
		r->isn = sg->ack - 1;
		r->flags |= TSF_BASE;
	}

	if (fl & TH_RST) {
		if (!(s->flags & TSF_NXT)) {
			s->snd_nxt = sg->seq;
			s->flags |= TSF_NXT;
		}
		if (!(fl & (TH_SYN | TH_FIN))) {        /* Zeek's hist_last_RST */
			s->rst_seq = sg->seq;
			s->flags |= TSF_RST;
		}
	} else {
		uint32_t end = sg->seq + sg->len + (syn ? 1u : 0u) + ((fl & TH_FIN) ? 1u : 0u);

		if (!(s->flags & TSF_NXT)) {
			s->snd_nxt = end;
		} else if (s->flags & TSF_FIN) {
			/* after a FIN only a FIN further on moves the end (and
			 * the earlier acknowledgement was of another FIN) */
			if ((fl & TH_FIN) && seq_gt(end, s->snd_nxt)) {
				s->snd_nxt = end;
				s->flags &= (uint16_t)~TSF_FIN_ACKED;
			}
		} else if (seq_gt(end, s->snd_nxt)) {
			s->snd_nxt = end;
		}
		s->flags |= TSF_NXT;
		s->win = sg->win;
		s->flags |= TSF_WIN;
		if (syn)
			s->flags |= TSF_WIN_SYN;
		else
			s->flags &= (uint16_t)~TSF_WIN_SYN;
	}

	if (syn) {
		s->flags |= TSF_SYN;
		if (fl & TH_ACK)
			s->flags |= TSF_SYNACK;
		if (sg->has_wscale) {
			s->flags |= TSF_WS_OFFER;
			c->wscale[from] = sg->wscale > WSCALE_MAX ? WSCALE_MAX : sg->wscale;
		} else {
			s->flags &= (uint16_t)~TSF_WS_OFFER;
		}
		/* RFC 7323 2.2: scaling is on only when both SYNs carried it. */
		if ((c->side[0].flags & c->side[1].flags & (TSF_SYN | TSF_WS_OFFER)) ==
		    (TSF_SYN | TSF_WS_OFFER))
			c->flags |= TCF_WS_NEGOTIATED;
		else
			c->flags &= (uint8_t)~TCF_WS_NEGOTIATED;
	}

	if (sg->has_ts && (!(s->flags & TSF_TS) || seq_geq(sg->tsval, s->tsval))) {
		/* TSvals are compared modulo 2^32 like sequence numbers (RFC 7323 5.2) */
		s->tsval = sg->tsval;
		s->flags |= TSF_TS;
	}
}

/*
 * The common segment: ACK without SYN, FIN or RST, both sides ESTABLISHED,
 * both base sequence numbers known, the sender has sent before and neither
 * side has sent a FIN. Of tcp_segment's rules only these can then act: the
 * sender's next sequence number, window and timestamp, and its last ACK.
 * No state changes (the ACK rules move only SYN-SENT, SYN-RECEIVED, LISTEN
 * and CLOSED sides; the FIN rules need a FIN) and the connection cannot end
 * here, so tcp_segment returns false. fast_ok tells whether it applies.
 */
#define FAST_SEG_FLAGS (TH_SYN | TH_FIN | TH_RST | TH_ACK)

static inline bool fast_ok(const struct tcp_conn *c, const struct tcp_side *s,
			   const struct tcp_side *r, uint16_t fl)
{
	return (fl & FAST_SEG_FLAGS) == TH_ACK &&
	       (s->flags & (TSF_BASE | TSF_NXT | TSF_FIN)) == (TSF_BASE | TSF_NXT) &&
	       (r->flags & (TSF_BASE | TSF_FIN)) == TSF_BASE &&
	       c->state[0] == TCPS_ESTABLISHED && c->state[1] == TCPS_ESTABLISHED;
}

static inline void fast_segment(struct tcp_side *s, const struct tcp_seg *sg)
{
	uint32_t end = sg->seq + sg->len;
	uint16_t sf = s->flags;

	if (seq_gt(end, s->snd_nxt))
		s->snd_nxt = end;
	s->win = sg->win;
	sf = (uint16_t)((sf | TSF_WIN) & ~TSF_WIN_SYN);
	if (sg->has_ts && (!(sf & TSF_TS) || seq_geq(sg->tsval, s->tsval))) {
		s->tsval = sg->tsval;
		sf |= TSF_TS;
	}
	if (!(sf & TSF_ACKED_ANY) || seq_gt(sg->ack, s->last_ack)) {
		s->last_ack = sg->ack;
		sf |= TSF_ACKED_ANY;
	}
	s->flags = sf;
}

/*
 * A side's first segment is a SYN or SYN+ACK (no FIN, no RST), the peer has
 * sent no FIN: the handshake. Of segment_slow's rules only these act: the
 * sender's base and next sequence number, window, SYN, scaling offer and
 * timestamp; the peer's base from the ACK when it had none; the SYN and
 * SYN+ACK state rules; the sender's first ACK. No FIN is involved, so the
 * connection cannot end here and the result is false.
 */
static inline bool handshake_ok(const struct tcp_conn *c, const struct tcp_side *s,
				const struct tcp_side *r, unsigned from, uint16_t fl)
{
	return (fl & (TH_SYN | TH_FIN | TH_RST)) == TH_SYN && s->flags == 0 &&
	       c->state[from] == TCPS_LISTEN && !(r->flags & TSF_FIN);
}

__attribute__((noinline))
static bool handshake_segment(struct tcp_conn *c, unsigned from, const struct tcp_seg *sg)
{
	struct tcp_side *s = &c->side[from];
	struct tcp_side *r = &c->side[from ^ 1];
	uint8_t *rs = &c->state[from ^ 1];
	uint16_t fl = sg->flags;
	uint16_t sf = TSF_BASE | TSF_NXT | TSF_WIN | TSF_WIN_SYN | TSF_SYN;

	s->isn = sg->seq;
	s->snd_nxt = sg->seq + sg->len + 1u;
	s->win = sg->win;
	if (sg->has_wscale) {
		sf |= TSF_WS_OFFER;
		c->wscale[from] = sg->wscale > WSCALE_MAX ? WSCALE_MAX : sg->wscale;
	}
	if (sg->has_ts) {
		s->tsval = sg->tsval;
		sf |= TSF_TS;
	}
	if (fl & TH_ACK) {
		if (!(r->flags & TSF_BASE)) {
			r->isn = sg->ack - 1;
			r->flags |= TSF_BASE;
		}
		sf |= TSF_SYNACK | TSF_ACKED_ANY;
		s->last_ack = sg->ack;
		c->state[from] = TCPS_SYN_RECEIVED;
		if (*rs == TCPS_SYN_SENT && (r->flags & TSF_SYN) && acks_syn(r, sg->ack))
			*rs = TCPS_ESTABLISHED;
		else if (*rs == TCPS_LISTEN)
			*rs = TCPS_ESTABLISHED;            /* its SYN was not captured */
		else if (*rs == TCPS_SYN_RECEIVED && seq_gt(sg->ack, r->isn))
			*rs = TCPS_ESTABLISHED;            /* simultaneous open completes */
	} else {
		c->state[from] = TCPS_SYN_SENT;
		if (*rs == TCPS_SYN_SENT)
			*rs = TCPS_SYN_RECEIVED;           /* simultaneous open */
	}
	s->flags = sf;
	/* RFC 7323 2.2: scaling is on only when both SYNs carried it. */
	if ((sf & r->flags & (TSF_SYN | TSF_WS_OFFER)) == (TSF_SYN | TSF_WS_OFFER))
		c->flags |= TCF_WS_NEGOTIATED;
	else
		c->flags &= (uint8_t)~TCF_WS_NEGOTIATED;
	return false;
}

/* A connection whose two FINs are both acknowledged has ended with FIN;
 * true when that happened with this segment (it was open before). */
static inline bool fin_close(struct tcp_conn *c, bool was_open)
{
	if (c->end == TCP_END_OPEN &&
	    (c->side[0].flags & (TSF_FIN | TSF_FIN_ACKED)) == (TSF_FIN | TSF_FIN_ACKED) &&
	    (c->side[1].flags & (TSF_FIN | TSF_FIN_ACKED)) == (TSF_FIN | TSF_FIN_ACKED))
		c->end = TCP_END_FIN;
	return was_open && c->end != TCP_END_OPEN;
}

/* The receiver (state rs, side r) sees its FIN acknowledged. */
static inline void fin_acked(uint8_t *rs, struct tcp_side *r)
{
	r->flags |= TSF_FIN_ACKED;
	switch (*rs) {
	case TCPS_FIN_WAIT_1: *rs = TCPS_FIN_WAIT_2; break;
	case TCPS_CLOSING:    *rs = TCPS_TIME_WAIT; break;
	case TCPS_LAST_ACK:   *rs = TCPS_CLOSED; break;
	default: break;
	}
}

/*
 * A FIN (its sender s at state ss) the peer r has already acknowledged: the
 * capture put r's ACK of it, or r's own FIN+ACK, before the FIN itself
 * (reordering between capture points, or a FIN retransmitted after its
 * ACK). ACK processing only looks forward, from a FIN to the ACKs after
 * it, so without this the FIN would stay unacknowledged for good.
 */
static inline void fin_acked_before(uint8_t *ss, struct tcp_side *s, const struct tcp_side *r)
{
	if ((r->flags & TSF_ACKED_ANY) && seq_geq(r->last_ack, s->snd_nxt))
		fin_acked(ss, s);
}

/* A FIN moves its sender (ss) and receiver (rs, peer side r) like this. */
static inline void fin_states(uint8_t *ss, uint8_t *rs, const struct tcp_side *r)
{
	switch (*ss) {
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		*ss = TCPS_FIN_WAIT_1;
		break;
	case TCPS_CLOSE_WAIT:
		*ss = TCPS_LAST_ACK;
		break;
	default:
		break;
	}
	switch (*rs) {
	case TCPS_LISTEN:
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		*rs = TCPS_CLOSE_WAIT;
		break;
	case TCPS_FIN_WAIT_1:
		*rs = (r->flags & TSF_FIN_ACKED) ? TCPS_TIME_WAIT : TCPS_CLOSING;
		break;
	case TCPS_FIN_WAIT_2:
		*rs = TCPS_TIME_WAIT;
		break;
	default:
		break;
	}
}

/*
 * Any other ACK, with or without FIN but without SYN or RST, from a side
 * that has sent before, both bases known (the handshake's last ACK, a
 * FIN+ACK, the ACKs around a FIN exchange): no base to learn and no SYN
 * rule, so segment_slow's rules reduce to these, in its order: sequence,
 * window, timestamp; the ACK's state rules; the last ACK; the
 * acknowledgement of the peer's FIN; the FIN's own state rules; the end of
 * a completed FIN exchange.
 */
static inline bool ack_ok(const struct tcp_side *s, const struct tcp_side *r, uint16_t fl)
{
	return (fl & (TH_SYN | TH_RST | TH_ACK)) == TH_ACK &&
	       (s->flags & (TSF_BASE | TSF_NXT)) == (TSF_BASE | TSF_NXT) &&
	       (r->flags & TSF_BASE) != 0;
}

__attribute__((noinline))
static bool ack_segment(struct tcp_conn *c, unsigned from, const struct tcp_seg *sg)
{
	struct tcp_side *s = &c->side[from];
	struct tcp_side *r = &c->side[from ^ 1];
	uint8_t *ss = &c->state[from];
	uint8_t *rs = &c->state[from ^ 1];
	bool was_open = c->end == TCP_END_OPEN;
	bool fin = (sg->flags & TH_FIN) != 0;
	uint32_t end = sg->seq + sg->len + (fin ? 1u : 0u);
	uint16_t sf = s->flags;

	if (!(sf & TSF_FIN)) {
		if (seq_gt(end, s->snd_nxt))
			s->snd_nxt = end;
	} else if (fin && seq_gt(end, s->snd_nxt)) {
		/* after a FIN only a FIN further on moves the end (and the
		 * earlier acknowledgement was of another FIN) */
		s->snd_nxt = end;
		sf &= (uint16_t)~TSF_FIN_ACKED;
	}
	s->win = sg->win;
	sf = (uint16_t)((sf | TSF_WIN) & ~TSF_WIN_SYN);
	if (sg->has_ts && (!(sf & TSF_TS) || seq_geq(sg->tsval, s->tsval))) {
		s->tsval = sg->tsval;
		sf |= TSF_TS;
	}
	if (*rs == TCPS_SYN_RECEIVED && seq_gt(sg->ack, r->isn))
		*rs = TCPS_ESTABLISHED;
	if (*ss == TCPS_SYN_SENT || *ss == TCPS_LISTEN || *ss == TCPS_CLOSED)
		*ss = TCPS_ESTABLISHED;            /* it got a reply we did not see */
	if (!(sf & TSF_ACKED_ANY) || seq_gt(sg->ack, s->last_ack)) {
		s->last_ack = sg->ack;
		sf |= TSF_ACKED_ANY;
	}
	s->flags = sf;
	if ((r->flags & TSF_FIN) && seq_geq(sg->ack, r->snd_nxt))
		fin_acked(rs, r);
	if (fin) {
		s->flags |= TSF_FIN;
		fin_states(ss, rs, r);
		fin_acked_before(ss, s, r);
	}
	return fin_close(c, was_open);
}

static bool segment_slow(struct tcp_conn *c, unsigned from, const struct tcp_seg *sg,
			 const struct tcp_rst_check *rst);

/* Not the fast path: the handshake path, the ACK path or the full rules.
 * A function of its own (and the three out of line) so that the fast path
 * in tcp_segment needs no saved registers. */
__attribute__((noinline))
static bool segment_other(struct tcp_conn *c, unsigned from, const struct tcp_seg *sg,
			  const struct tcp_rst_check *rst)
{
	const struct tcp_side *s = &c->side[from & 1];
	const struct tcp_side *r = &c->side[(from & 1) ^ 1];
	uint16_t fl = sg->flags;

	if (handshake_ok(c, s, r, from & 1, fl))
		return handshake_segment(c, from & 1, sg);
	if (ack_ok(s, r, fl))
		return ack_segment(c, from & 1, sg);
	return segment_slow(c, from, sg, rst);
}

bool tcp_segment(struct tcp_conn *c, unsigned from, const struct tcp_seg *sg,
		 const struct tcp_rst_check *rst)
{
	struct tcp_side *s = &c->side[from & 1];

	if (fast_ok(c, s, &c->side[(from & 1) ^ 1], sg->flags)) {
		fast_segment(s, sg);
		return false;
	}
	return segment_other(c, from, sg, rst);
}

/* Every other segment, by the rules in RFC 9293's processing order. */
__attribute__((noinline))
static bool segment_slow(struct tcp_conn *c, unsigned from, const struct tcp_seg *sg,
			 const struct tcp_rst_check *rst)
{
	struct tcp_side *s, *r;
	uint8_t *ss, *rs;               /* sender's and receiver's state */
	uint16_t fl = sg->flags;
	bool was_open = c->end == TCP_END_OPEN;
	bool syn = (fl & TH_SYN) != 0;

	from &= 1;
	s = &c->side[from];
	r = &c->side[from ^ 1];
	ss = &c->state[from];
	rs = &c->state[from ^ 1];
	if (!(c->side[0].flags & TSF_NXT) && !(c->side[1].flags & TSF_NXT) && !syn)
		c->flags |= TCF_MIDSTREAM;

	note_sequence(c, from, sg);

	if (fl & TH_RST) {
		*ss = TCPS_CLOSED;
		if (rst == NULL || rst->verdict != RST_OUT_OF_WINDOW) {
			*rs = TCPS_CLOSED;
			if (was_open)
				c->end = TCP_END_RST;
		}
		return was_open && c->end != TCP_END_OPEN;
	}

	/* SYN: the sender opens; a receiver in SYN-SENT meets a crossing SYN. */
	if (syn && !(fl & TH_ACK)) {
		if (*ss == TCPS_LISTEN || *ss == TCPS_CLOSED)
			*ss = TCPS_SYN_SENT;
		if (*rs == TCPS_SYN_SENT)
			*rs = TCPS_SYN_RECEIVED;           /* simultaneous open */
	} else if (syn) {
		if (*ss == TCPS_LISTEN || *ss == TCPS_CLOSED ||
		    *ss == TCPS_SYN_SENT)
			*ss = TCPS_SYN_RECEIVED;
		if (*rs == TCPS_SYN_SENT && (r->flags & TSF_SYN) && acks_syn(r, sg->ack))
			*rs = TCPS_ESTABLISHED;
		else if (*rs == TCPS_LISTEN)
			*rs = TCPS_ESTABLISHED;            /* its SYN was not captured */
		else if (*rs == TCPS_SYN_RECEIVED && seq_gt(sg->ack, r->isn))
			*rs = TCPS_ESTABLISHED;            /* simultaneous open completes */
	}

	/* ACK field (not on a SYN: handled above). */
	if ((fl & TH_ACK) && !syn) {
		if (*rs == TCPS_SYN_RECEIVED && seq_gt(sg->ack, r->isn))
			*rs = TCPS_ESTABLISHED;
		if (*ss == TCPS_SYN_SENT || *ss == TCPS_LISTEN ||
		    *ss == TCPS_CLOSED)
			*ss = TCPS_ESTABLISHED;            /* it got a reply we did not see */
	} else if (!syn && (*ss == TCPS_LISTEN || *ss == TCPS_CLOSED)) {
		*ss = TCPS_ESTABLISHED;                    /* mid-stream, no ACK bit */
	}
	if ((fl & TH_ACK) && (!(s->flags & TSF_ACKED_ANY) || seq_gt(sg->ack, s->last_ack))) {
		s->last_ack = sg->ack;
		s->flags |= TSF_ACKED_ANY;
	}
	if ((fl & TH_ACK) && (r->flags & TSF_FIN) && seq_geq(sg->ack, r->snd_nxt))
		fin_acked(rs, r);

	if (fl & TH_FIN) {
		s->flags |= TSF_FIN;
		fin_states(ss, rs, r);
		fin_acked_before(ss, s, r);
	}

	return fin_close(c, was_open);
}

bool tcp_conn_is_closed(const struct tcp_conn *c)
{
	return c->end != TCP_END_OPEN;
}
