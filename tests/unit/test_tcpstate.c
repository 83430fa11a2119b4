/*
 * test_tcpstate.c - the passive TCP model, one transition at a time: the
 * handshake (normal, SYN+ACK first, simultaneous open), every close path of
 * RFC 9293's diagram (active close through FIN-WAIT-1/2 and TIME-WAIT,
 * passive close through CLOSE-WAIT and LAST-ACK, FIN+ACK in one segment,
 * CLOSING), RST acceptability (exact, in window, out of window, SYN-SENT's
 * ACK rule, unknown receiver, window scaling negotiated or not, zero
 * window), the tcp.stream incarnation rule with its three ways to learn a
 * base sequence number, timestamps with wrap-around, mid-stream pickup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tcpstate.h"
#include "decode.h"

#define A 0u
#define B 1u

static struct tcp_seg seg(uint16_t flags, uint32_t seq, uint32_t ack, uint32_t len, uint16_t win)
{
	struct tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.len = len;
	s.win = win;
	return s;
}

/* judge then apply, as the engine does; returns tcp_segment's result */
static bool apply(struct tcp_conn *c, unsigned from, struct tcp_seg s, struct tcp_rst_check *rc)
{
	struct tcp_rst_check local;

	if (rc == NULL)
		rc = &local;
	tcp_rst_judge(c, from, &s, rc);
	return tcp_segment(c, from, &s, (s.flags & TH_RST) ? rc : NULL);
}

#define ST(c, side) ((enum tcp_st)(c)->state[side])

/* A:100 <-> B:500, fully established */
static void established(struct tcp_conn *c)
{
	tcp_conn_init(c);
	assert_false(apply(c, A, seg(TH_SYN, 100, 0, 0, 65535), NULL));
	assert_int_equal(ST(c, A), TCPS_SYN_SENT);
	assert_int_equal(ST(c, B), TCPS_LISTEN);
	assert_false(apply(c, B, seg(TH_SYN | TH_ACK, 500, 101, 0, 65535), NULL));
	assert_int_equal(ST(c, B), TCPS_SYN_RECEIVED);
	assert_int_equal(ST(c, A), TCPS_ESTABLISHED);
	assert_false(apply(c, A, seg(TH_ACK, 101, 501, 0, 65535), NULL));
	assert_int_equal(ST(c, B), TCPS_ESTABLISHED);
	assert_int_equal(c->end, TCP_END_OPEN);
	assert_false(c->flags & TCF_MIDSTREAM);
}

static void test_handshake(void **state)
{
	struct tcp_conn c;

	(void)state;
	established(&c);
	assert_int_equal(c.side[A].isn, 100);
	assert_int_equal(c.side[B].isn, 500);
	assert_int_equal(c.side[A].snd_nxt, 101);
	assert_int_equal(c.side[B].snd_nxt, 501);
	assert_true(c.side[A].flags & TSF_SYN);
	assert_true(c.side[B].flags & TSF_SYNACK);
	assert_false(tcp_conn_is_closed(&c));
	/* data moves snd_nxt; a retransmission does not move it back */
	apply(&c, A, seg(TH_ACK | TH_PSH, 101, 501, 50, 65535), NULL);
	assert_int_equal(c.side[A].snd_nxt, 151);
	apply(&c, A, seg(TH_ACK | TH_PSH, 101, 501, 20, 65535), NULL);
	assert_int_equal(c.side[A].snd_nxt, 151);
	apply(&c, B, seg(TH_ACK, 501, 151, 0, 1000), NULL);
	assert_int_equal(c.side[B].last_ack, 151);
	assert_int_equal(c.side[B].win, 1000);
}

/* A closes first: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT; B: CLOSE-WAIT, LAST-ACK, CLOSED. */
static void test_active_and_passive_close(void **state)
{
	struct tcp_conn c;

	(void)state;
	established(&c);
	assert_false(apply(&c, A, seg(TH_FIN | TH_ACK, 101, 501, 0, 65535), NULL));
	assert_int_equal(ST(&c, A), TCPS_FIN_WAIT_1);
	assert_int_equal(ST(&c, B), TCPS_CLOSE_WAIT);
	assert_false(apply(&c, B, seg(TH_ACK, 501, 102, 0, 65535), NULL));
	assert_int_equal(ST(&c, A), TCPS_FIN_WAIT_2);
	assert_true(c.side[A].flags & TSF_FIN_ACKED);
	assert_false(apply(&c, B, seg(TH_FIN | TH_ACK, 501, 102, 0, 65535), NULL));
	assert_int_equal(ST(&c, B), TCPS_LAST_ACK);
	assert_int_equal(ST(&c, A), TCPS_TIME_WAIT);
	assert_int_equal(c.end, TCP_END_OPEN);
	/* the last ACK completes the FIN exchange: the one segment returning true */
	assert_true(apply(&c, A, seg(TH_ACK, 102, 502, 0, 65535), NULL));
	assert_int_equal(ST(&c, B), TCPS_CLOSED);
	assert_int_equal(ST(&c, A), TCPS_TIME_WAIT);
	assert_int_equal(c.end, TCP_END_FIN);
	assert_int_equal(c.side[A].snd_nxt, 102);
	assert_int_equal(c.side[B].snd_nxt, 502);
	assert_int_equal(c.side[A].snd_nxt - 1, 101);      /* where its FIN is */
	/* a RST after the exchange changes nothing */
	assert_false(apply(&c, B, seg(TH_RST, 502, 0, 0, 0), NULL));
	assert_int_equal(c.end, TCP_END_FIN);
}

/* FIN+ACK that acknowledges the peer's FIN: FIN-WAIT-1 -> TIME-WAIT at once. */
static void test_fin_ack_in_one_segment(void **state)
{
	struct tcp_conn c;

	(void)state;
	established(&c);
	apply(&c, A, seg(TH_FIN | TH_ACK, 101, 501, 0, 65535), NULL);
	apply(&c, B, seg(TH_FIN | TH_ACK, 501, 102, 0, 65535), NULL);
	assert_int_equal(ST(&c, A), TCPS_TIME_WAIT);
	assert_int_equal(ST(&c, B), TCPS_LAST_ACK);
	assert_true(apply(&c, A, seg(TH_ACK, 102, 502, 0, 65535), NULL));
	assert_int_equal(ST(&c, B), TCPS_CLOSED);
	/* data carried on the FIN counts before it */
	established(&c);
	apply(&c, A, seg(TH_FIN | TH_ACK | TH_PSH, 101, 501, 10, 65535), NULL);
	assert_int_equal(c.side[A].snd_nxt, 112);
	/* bogus data beyond the FIN does not move the end */
	apply(&c, A, seg(TH_ACK | TH_PSH, 112, 501, 5, 65535), NULL);
	assert_int_equal(c.side[A].snd_nxt, 112);
	apply(&c, B, seg(TH_ACK, 501, 111, 0, 65535), NULL);   /* data acked, not the FIN */
	assert_int_equal(ST(&c, A), TCPS_FIN_WAIT_1);
	apply(&c, B, seg(TH_ACK, 501, 112, 0, 65535), NULL);
	assert_int_equal(ST(&c, A), TCPS_FIN_WAIT_2);
}

/* A FIN arriving before our own FIN is acknowledged: CLOSING, then TIME-WAIT. */
static void test_closing(void **state)
{
	struct tcp_conn c;

	(void)state;
	established(&c);
	apply(&c, A, seg(TH_FIN | TH_ACK, 101, 501, 0, 65535), NULL);
	/* B's FIN still acknowledges only up to 101 (A's FIN not yet received) */
	apply(&c, B, seg(TH_FIN | TH_ACK, 501, 101, 0, 65535), NULL);
	assert_int_equal(ST(&c, A), TCPS_CLOSING);
	apply(&c, B, seg(TH_ACK, 502, 102, 0, 65535), NULL);
	assert_int_equal(ST(&c, A), TCPS_TIME_WAIT);
	assert_true(apply(&c, A, seg(TH_ACK, 102, 502, 0, 65535), NULL));
	assert_int_equal(c.end, TCP_END_FIN);
}

/*
 * The capture put the peer's acknowledgement of a FIN before the FIN
 * (audit repros o_finack_before_fin, o_ack_before_fin): a FIN whose sequence
 * number the peer's last ACK already covers is acknowledged on arrival.
 */
static void test_fin_acked_before_it(void **state)
{
	struct tcp_conn c;

	(void)state;
	/* B's FIN+ACK acknowledging A's FIN (ack 102) is seen first */
	established(&c);
	assert_false(apply(&c, B, seg(TH_FIN | TH_ACK, 501, 102, 0, 65535), NULL));
	assert_int_equal(ST(&c, B), TCPS_FIN_WAIT_1);
	assert_int_equal(ST(&c, A), TCPS_CLOSE_WAIT);
	/* then A's FIN+ACK (acknowledging B's FIN): both FINs acknowledged */
	assert_true(apply(&c, A, seg(TH_FIN | TH_ACK, 101, 502, 0, 65535), NULL));
	assert_true(c.side[A].flags & TSF_FIN_ACKED);
	assert_true(c.side[B].flags & TSF_FIN_ACKED);
	assert_int_equal(ST(&c, A), TCPS_CLOSED);
	assert_int_equal(ST(&c, B), TCPS_TIME_WAIT);
	assert_int_equal(c.end, TCP_END_FIN);

	/* B's bare ACK of A's FIN seen first: A goes to FIN-WAIT-2 at its FIN */
	established(&c);
	apply(&c, B, seg(TH_ACK, 501, 102, 0, 65535), NULL);
	apply(&c, A, seg(TH_FIN | TH_ACK, 101, 501, 0, 65535), NULL);
	assert_true(c.side[A].flags & TSF_FIN_ACKED);
	assert_int_equal(ST(&c, A), TCPS_FIN_WAIT_2);
	assert_int_equal(ST(&c, B), TCPS_CLOSE_WAIT);

	/* an earlier ACK short of the FIN acknowledges nothing */
	established(&c);
	apply(&c, B, seg(TH_ACK, 501, 101, 0, 65535), NULL);
	apply(&c, A, seg(TH_FIN | TH_ACK, 101, 501, 0, 65535), NULL);
	assert_false(c.side[A].flags & TSF_FIN_ACKED);
	assert_int_equal(ST(&c, A), TCPS_FIN_WAIT_1);

	/* the same through the full rules (a FIN without ACK) */
	established(&c);
	apply(&c, B, seg(TH_ACK, 501, 102, 0, 65535), NULL);
	apply(&c, A, seg(TH_FIN, 101, 0, 0, 65535), NULL);
	assert_true(c.side[A].flags & TSF_FIN_ACKED);
	assert_int_equal(ST(&c, A), TCPS_FIN_WAIT_2);
}

static void test_rst_exact_and_window(void **state)
{
	struct tcp_conn c;
	struct tcp_rst_check r;

	(void)state;
	/* exact: B resets at its next sequence number */
	established(&c);
	assert_true(apply(&c, B, seg(TH_RST, 501, 0, 0, 0), &r));
	assert_int_equal(r.verdict, RST_EXACT);
	assert_true(r.have_rcv_nxt);
	assert_int_equal(r.rcv_nxt, 501);
	assert_int_equal(r.rcv_wnd, 65535);
	assert_true(r.wnd_scale_known);
	assert_int_equal(c.end, TCP_END_RST);
	assert_int_equal(ST(&c, A), TCPS_CLOSED);
	assert_int_equal(ST(&c, B), TCPS_CLOSED);

	/* inside A's window but not exact: RFC 5961 challenge ACK territory */
	established(&c);
	assert_true(apply(&c, B, seg(TH_RST, 501 + 1000, 0, 0, 0), &r));
	assert_int_equal(r.verdict, RST_IN_WINDOW);

	/* outside it: ignored by A, the connection stays open */
	established(&c);
	assert_false(apply(&c, B, seg(TH_RST, 501 + 70000, 0, 0, 0), &r));
	assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);
	assert_int_equal(c.end, TCP_END_OPEN);
	assert_int_equal(ST(&c, A), TCPS_ESTABLISHED);
	assert_int_equal(ST(&c, B), TCPS_CLOSED);
	/* below RCV.NXT is outside too */
	established(&c);
	apply(&c, B, seg(TH_RST, 400, 0, 0, 0), &r);
	assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);
	/* the window's edges (RFC 5961 3.2: RCV.NXT =< SEG.SEQ < RCV.NXT +
	 * RCV.WND): its last octet is inside, the one just past it is not */
	established(&c);
	apply(&c, B, seg(TH_RST, 501 + 65534, 0, 0, 0), &r);
	assert_int_equal(r.verdict, RST_IN_WINDOW);
	established(&c);
	assert_false(apply(&c, B, seg(TH_RST, 501 + 65535, 0, 0, 0), &r));
	assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);
	assert_int_equal(c.end, TCP_END_OPEN);

	/* zero window: only the exact sequence number is acceptable */
	established(&c);
	apply(&c, A, seg(TH_ACK, 101, 501, 0, 0), NULL);
	apply(&c, B, seg(TH_RST, 502, 0, 0, 0), &r);
	assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);
	assert_int_equal(r.rcv_wnd, 0);

	/* the sender's own next sequence number counts as exact even when the
	 * receiver has not acknowledged everything yet */
	established(&c);
	apply(&c, B, seg(TH_ACK | TH_PSH, 501, 101, 100000, 65535), NULL);
	apply(&c, B, seg(TH_RST, 100501, 0, 0, 0), &r);
	assert_int_equal(r.verdict, RST_EXACT);
	/* ... while RCV.NXT stays the receiver's last ACK: a RST there is
	 * exact too, one inside the unacknowledged data is in the window */
	established(&c);
	apply(&c, B, seg(TH_ACK | TH_PSH, 501, 101, 1000, 65535), NULL);
	apply(&c, B, seg(TH_RST, 501, 0, 0, 0), &r);
	assert_int_equal(r.rcv_nxt, 501);
	assert_int_equal(r.verdict, RST_EXACT);
	established(&c);
	apply(&c, B, seg(TH_ACK | TH_PSH, 501, 101, 1000, 65535), NULL);
	apply(&c, B, seg(TH_RST, 1001, 0, 0, 0), &r);
	assert_int_equal(r.verdict, RST_IN_WINDOW);
}

/* RFC 9293 3.10.7.3: in SYN-SENT, a RST is acceptable only with an ACK of the SYN. */
static void test_rst_in_syn_sent(void **state)
{
	struct tcp_conn c;
	struct tcp_rst_check r;

	(void)state;
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_SYN, 100, 0, 0, 65535), NULL);
	assert_true(apply(&c, B, seg(TH_RST | TH_ACK, 0, 101, 0, 0), &r));
	assert_int_equal(r.verdict, RST_EXACT);
	assert_true(r.syn_sent);
	assert_int_equal(c.end, TCP_END_RST);

	tcp_conn_init(&c);
	apply(&c, A, seg(TH_SYN, 100, 0, 0, 65535), NULL);
	assert_false(apply(&c, B, seg(TH_RST, 0, 0, 0, 0), &r));
	assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);

	tcp_conn_init(&c);
	apply(&c, A, seg(TH_SYN, 100, 0, 0, 65535), NULL);
	apply(&c, B, seg(TH_RST | TH_ACK, 0, 999, 0, 0), &r);
	assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);
	assert_int_equal(ST(&c, A), TCPS_SYN_SENT);
	/* without the ACK bit the acknowledgment field means nothing, even
	 * when it holds ISS + 1: the RST is dropped */
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_SYN, 100, 0, 0, 65535), NULL);
	assert_false(apply(&c, B, seg(TH_RST, 0, 101, 0, 0), &r));
	assert_true(r.syn_sent);
	assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);
	assert_int_equal(ST(&c, A), TCPS_SYN_SENT);
	assert_int_equal(c.end, TCP_END_OPEN);
}

/*
 * A SYN that carries data (TCP Fast Open, RFC 7413): its SND.NXT is past
 * the data, and RFC 9293 3.10.7.3 accepts any ACK with ISS < ACK =< SND.NXT.
 * A RST refusing it acknowledges the data too (RFC 9293 3.10.7.1: ACK =
 * SEG.SEQ + SEG.LEN, SYN counting one; Linux sends that); a SYN+ACK may
 * acknowledge the SYN alone (data refused) or the SYN and its data.
 */
static void test_syn_with_data(void **state)
{
	struct tcp_conn c;
	struct tcp_rst_check r;

	(void)state;
	/* the RST+ACK answering SYN(100, 10 bytes): ack 111 */
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_SYN, 100, 0, 10, 65535), NULL);
	assert_int_equal(c.side[A].snd_nxt, 111);
	assert_true(apply(&c, B, seg(TH_RST | TH_ACK, 0, 111, 0, 0), &r));
	assert_true(r.syn_sent);
	assert_int_equal(r.verdict, RST_EXACT);
	assert_int_equal(c.end, TCP_END_RST);
	/* ack of the SYN alone is acceptable too */
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_SYN, 100, 0, 10, 65535), NULL);
	apply(&c, B, seg(TH_RST | TH_ACK, 0, 101, 0, 0), &r);
	assert_int_equal(r.verdict, RST_EXACT);
	/* beyond SND.NXT, or not above the ISS: not acceptable */
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_SYN, 100, 0, 10, 65535), NULL);
	assert_false(apply(&c, B, seg(TH_RST | TH_ACK, 0, 112, 0, 0), &r));
	assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);
	apply(&c, B, seg(TH_RST | TH_ACK, 0, 100, 0, 0), &r);
	assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);
	assert_int_equal(ST(&c, A), TCPS_SYN_SENT);

	/* SYN+ACK acknowledging the SYN's data: the client is ESTABLISHED and
	 * the server's exact RST after it is judged by the window, exact */
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_SYN, 100, 0, 10, 65535), NULL);
	apply(&c, B, seg(TH_SYN | TH_ACK, 500, 111, 0, 65535), NULL);
	assert_int_equal(ST(&c, A), TCPS_ESTABLISHED);
	assert_true(apply(&c, B, seg(TH_RST | TH_ACK, 501, 111, 0, 0), &r));
	assert_false(r.syn_sent);
	assert_int_equal(r.verdict, RST_EXACT);
	/* SYN+ACK acknowledging the SYN alone (the data was refused) */
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_SYN, 100, 0, 10, 65535), NULL);
	apply(&c, B, seg(TH_SYN | TH_ACK, 500, 101, 0, 65535), NULL);
	assert_int_equal(ST(&c, A), TCPS_ESTABLISHED);
	/* a SYN+ACK past SND.NXT leaves it in SYN-SENT; a retransmitted one
	 * (the full rules, not the first-segment path) with a good ACK does not */
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_SYN, 100, 0, 10, 65535), NULL);
	apply(&c, B, seg(TH_SYN | TH_ACK, 500, 112, 0, 65535), NULL);
	assert_int_equal(ST(&c, A), TCPS_SYN_SENT);
	apply(&c, B, seg(TH_SYN | TH_ACK, 500, 111, 0, 65535), NULL);
	assert_int_equal(ST(&c, A), TCPS_ESTABLISHED);
}

static void test_rst_unknown(void **state)
{
	struct tcp_conn c;
	struct tcp_rst_check r;
	struct tcp_seg s = seg(TH_ACK, 0, 0, 0, 0);

	(void)state;
	/* the first segment of the connection is a RST: nothing known */
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_RST, 12345, 0, 0, 0), &r);
	assert_int_equal(r.verdict, RST_UNKNOWN);
	assert_false(r.have_rcv_nxt);
	/* a segment without RST is judged RST_NONE */
	tcp_rst_judge(&c, A, &s, &r);
	assert_int_equal(r.verdict, RST_NONE);
}

static void test_window_scaling(void **state)
{
	struct tcp_conn c;
	struct tcp_rst_check r;
	struct tcp_seg s;

	(void)state;
	/* both SYNs offer a shift: A's windows are scaled by A's 7 */
	for (int both = 1; both >= 0; both--) {
		tcp_conn_init(&c);
		s = seg(TH_SYN, 100, 0, 0, 65535);
		s.has_wscale = true;
		s.wscale = 7;
		apply(&c, A, s, NULL);
		s = seg(TH_SYN | TH_ACK, 500, 101, 0, 65535);
		s.has_wscale = both;
		s.wscale = 8;
		apply(&c, B, s, NULL);
		assert_int_equal(!!(c.flags & TCF_WS_NEGOTIATED), both);
		apply(&c, A, seg(TH_ACK, 101, 501, 0, 512), NULL);
		apply(&c, B, seg(TH_ACK, 501, 101, 0, 256), NULL);
		/* the client's RST against the server's window (judged, not
		 * applied), scaled by the server's shift only when negotiated */
		s = seg(TH_RST, 101 + 60000, 0, 0, 0);
		tcp_rst_judge(&c, A, &s, &r);
		assert_true(r.wnd_scale_known);
		if (both) {
			assert_int_equal(r.rcv_wnd, 256u << 8);
			assert_int_equal(r.verdict, RST_IN_WINDOW);
		} else {
			assert_int_equal(r.rcv_wnd, 256);
			assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);
		}
		apply(&c, B, seg(TH_RST, 501 + 60000, 0, 0, 0), &r);
		assert_true(r.wnd_scale_known);
		if (both) {
			assert_int_equal(r.rcv_wnd, 512u << 7);
			assert_int_equal(r.verdict, RST_IN_WINDOW);
		} else {
			assert_int_equal(r.rcv_wnd, 512);
			assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);
		}
	}
	/* a shift above 14 is used as 14 (RFC 7323 2.3) */
	tcp_conn_init(&c);
	s = seg(TH_SYN, 1, 0, 0, 1);
	s.has_wscale = true;
	s.wscale = 20;
	apply(&c, A, s, NULL);
	assert_int_equal(c.wscale[A], 14);
	/* the window of a SYN is never scaled */
	tcp_conn_init(&c);
	s = seg(TH_SYN, 100, 0, 0, 1000);
	s.has_wscale = true;
	s.wscale = 7;
	apply(&c, A, s, NULL);
	s = seg(TH_SYN | TH_ACK, 500, 101, 0, 2000);
	s.has_wscale = true;
	s.wscale = 7;
	apply(&c, B, s, NULL);
	apply(&c, A, seg(TH_RST, 101 + 3000, 0, 0, 0), &r);
	assert_int_equal(r.rcv_wnd, 2000);       /* B's SYN+ACK window, unscaled */
	assert_int_equal(r.verdict, RST_OUT_OF_WINDOW);
	/* handshake not seen: the largest shift is assumed and said so */
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_ACK, 100, 500, 0, 10), NULL);
	apply(&c, B, seg(TH_RST, 500 + 100000, 0, 0, 0), &r);
	assert_false(r.wnd_scale_known);
	assert_int_equal(r.rcv_wnd, 10u << 14);
	assert_int_equal(r.verdict, RST_IN_WINDOW);
}

/* Wireshark's tcp.stream rule and its three sources of a base sequence number. */
static void test_incarnation_rule(void **state)
{
	struct tcp_conn c;
	struct tcp_seg s;

	(void)state;
	/* no base known: never a new incarnation */
	tcp_conn_init(&c);
	s = seg(TH_SYN, 100, 0, 0, 1);
	assert_false(tcp_is_new_incarnation(&c, A, &s));
	/* base from the SYN: same ISN is a retransmission, another ISN is new */
	established(&c);
	s = seg(TH_SYN, 100, 0, 0, 1);
	assert_false(tcp_is_new_incarnation(&c, A, &s));
	s = seg(TH_SYN, 101, 0, 0, 1);
	assert_true(tcp_is_new_incarnation(&c, A, &s));
	/* a SYN+ACK never is, whatever its seq; nor a SYN from the other side
	 * with its own ISN */
	s = seg(TH_SYN | TH_ACK, 9999, 101, 0, 1);
	assert_false(tcp_is_new_incarnation(&c, B, &s));
	s = seg(TH_SYN, 500, 0, 0, 1);
	assert_false(tcp_is_new_incarnation(&c, B, &s));
	s = seg(TH_SYN, 501, 0, 0, 1);
	assert_true(tcp_is_new_incarnation(&c, B, &s));
	/* base from a first segment without SYN: its seq - 1 */
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_ACK | TH_PSH, 5000, 9000, 3, 1), NULL);
	assert_true(c.flags & TCF_MIDSTREAM);
	assert_int_equal(ST(&c, A), TCPS_ESTABLISHED);
	s = seg(TH_SYN, 4999, 0, 0, 1);
	assert_false(tcp_is_new_incarnation(&c, A, &s));
	s = seg(TH_SYN, 100, 0, 0, 1);
	assert_true(tcp_is_new_incarnation(&c, A, &s));
	/* base of the peer from an ACK: ack - 1 (B never sent anything) */
	s = seg(TH_SYN, 8999, 0, 0, 1);
	assert_false(tcp_is_new_incarnation(&c, B, &s));
	s = seg(TH_SYN, 9000, 0, 0, 1);
	assert_true(tcp_is_new_incarnation(&c, B, &s));
}

static void test_timestamps(void **state)
{
	struct tcp_conn c;
	struct tcp_seg s;

	(void)state;
	tcp_conn_init(&c);
	s = seg(TH_SYN, 1, 0, 0, 1);
	s.has_ts = true;
	s.tsval = 0xfffffff0u;
	apply(&c, A, s, NULL);
	assert_true(c.side[A].flags & TSF_TS);
	assert_int_equal(c.side[A].tsval, 0xfffffff0u);
	s = seg(TH_ACK, 2, 0, 0, 1);
	s.has_ts = true;
	s.tsval = 5;                    /* after the wrap: newer */
	apply(&c, A, s, NULL);
	assert_int_equal(c.side[A].tsval, 5);
	s.tsval = 0xfffffff8u;          /* older than 5 modulo 2^32: ignored */
	apply(&c, A, s, NULL);
	assert_int_equal(c.side[A].tsval, 5);
	assert_false(c.side[B].flags & TSF_TS);
}

/* The SYN was not captured: a SYN+ACK first still gives both sides a state. */
static void test_synack_first_and_simultaneous_open(void **state)
{
	struct tcp_conn c;

	(void)state;
	tcp_conn_init(&c);
	apply(&c, B, seg(TH_SYN | TH_ACK, 500, 101, 0, 1), NULL);
	assert_int_equal(ST(&c, B), TCPS_SYN_RECEIVED);
	assert_int_equal(ST(&c, A), TCPS_ESTABLISHED);
	apply(&c, A, seg(TH_ACK, 101, 501, 0, 1), NULL);
	assert_int_equal(ST(&c, B), TCPS_ESTABLISHED);

	/* RFC 9293 figure 7: SYNs cross, then SYN+ACKs */
	tcp_conn_init(&c);
	apply(&c, A, seg(TH_SYN, 100, 0, 0, 1), NULL);
	apply(&c, B, seg(TH_SYN, 300, 0, 0, 1), NULL);
	assert_int_equal(ST(&c, A), TCPS_SYN_RECEIVED);
	assert_int_equal(ST(&c, B), TCPS_SYN_SENT);
	apply(&c, A, seg(TH_SYN | TH_ACK, 100, 301, 0, 1), NULL);
	assert_int_equal(ST(&c, B), TCPS_ESTABLISHED);
	apply(&c, B, seg(TH_SYN | TH_ACK, 300, 101, 0, 1), NULL);
	assert_int_equal(ST(&c, A), TCPS_ESTABLISHED);
}

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(tcp_state_name(TCPS_SYN_SENT), "SYN-SENT");
	assert_string_equal(tcp_state_name(TCPS_TIME_WAIT), "TIME-WAIT");
	assert_string_equal(tcp_state_name(TCPS_CLOSE_WAIT), "CLOSE-WAIT");
	assert_string_equal(tcp_state_name(TCPS__COUNT), "?");
	for (int i = 0; i < TCPS__COUNT; i++)
		assert_string_not_equal(tcp_state_name((enum tcp_st)i), "?");
}

/* Sequence comparisons are modulo 2^32. */
static void test_seq_compare(void **state)
{
	(void)state;
	assert_true(seq_lt(0xfffffff0u, 5));
	assert_true(seq_gt(5, 0xfffffff0u));
	assert_true(seq_leq(7, 7));
	assert_true(seq_geq(7, 7));
	assert_false(seq_lt(7, 7));
	assert_true(seq_lt(0, 0x7fffffffu));
	assert_false(seq_lt(0, 0x80000001u));
}

/* ---- the fast path of tcp_segment against the plain code ------------------ */

/*
 * ref_note_sequence and ref_tcp_segment are tcp_segment as it was before
 * its fast paths (ACK segments between ESTABLISHED sides; a side's first
 * SYN or SYN+ACK; other ACKs from a side that has sent), as of eee4b3c, kept verbatim as the reference:
 * tcp_segment must leave every byte of the connection and its return
 * value exactly as they do. Rule changes made since are made here too, in
 * the plain code's words: every SYN sets its sender's base; a SYN+ACK completes SYN-SENT for any ACK in
 * (ISS, SND.NXT], the SYN's data counted (RFC 9293 3.10.7.3); a FIN the
 * peer's last ACK already covers is acknowledged when it arrives.
 */
#define REF_WSCALE_MAX 14

static void ref_note_sequence(struct tcp_conn *c, unsigned from, const struct tcp_seg *sg)
{
	struct tcp_side *s = &c->side[from];
	struct tcp_side *r = &c->side[from ^ 1];
	uint16_t fl = sg->flags;
	bool syn = (fl & TH_SYN) != 0;

	/* Wireshark's base sequence numbers (what tcp.stream splits on);
	 * every SYN sets it again (tshark re-bases on a SYN+ACK too) */
	if (!(s->flags & TSF_BASE) || syn) {
		s->isn = syn ? sg->seq : sg->seq - 1;
		s->flags |= TSF_BASE;
	}
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
			c->wscale[from] = sg->wscale > REF_WSCALE_MAX ? REF_WSCALE_MAX : sg->wscale;
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

static bool ref_tcp_segment(struct tcp_conn *c, unsigned from, const struct tcp_seg *sg,
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

	ref_note_sequence(c, from, sg);

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
		if (*rs == TCPS_SYN_SENT && (r->flags & TSF_SYN) && seq_gt(sg->ack, r->isn) &&
		    seq_leq(sg->ack, r->snd_nxt))
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
	if ((fl & TH_ACK) && (r->flags & TSF_FIN) && seq_geq(sg->ack, r->snd_nxt)) {
		r->flags |= TSF_FIN_ACKED;
		switch (*rs) {
		case TCPS_FIN_WAIT_1: *rs = TCPS_FIN_WAIT_2; break;
		case TCPS_CLOSING:    *rs = TCPS_TIME_WAIT; break;
		case TCPS_LAST_ACK:   *rs = TCPS_CLOSED; break;
		default: break;
		}
	}

	if (fl & TH_FIN) {
		s->flags |= TSF_FIN;
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
		if ((r->flags & TSF_ACKED_ANY) && seq_geq(r->last_ack, s->snd_nxt)) {
			s->flags |= TSF_FIN_ACKED;
			switch (*ss) {
			case TCPS_FIN_WAIT_1: *ss = TCPS_FIN_WAIT_2; break;
			case TCPS_CLOSING:    *ss = TCPS_TIME_WAIT; break;
			case TCPS_LAST_ACK:   *ss = TCPS_CLOSED; break;
			default: break;
			}
		}
	}

	if (c->end == TCP_END_OPEN &&
	    (c->side[0].flags & (TSF_FIN | TSF_FIN_ACKED)) == (TSF_FIN | TSF_FIN_ACKED) &&
	    (c->side[1].flags & (TSF_FIN | TSF_FIN_ACKED)) == (TSF_FIN | TSF_FIN_ACKED))
		c->end = TCP_END_FIN;
	return was_open && c->end != TCP_END_OPEN;
}


static uint64_t pin_rng = UINT64_C(0x2545f4914f6cdd1d);

static uint32_t pin_rnd(void)
{
	pin_rng ^= pin_rng << 13;       /* xorshift64 */
	pin_rng ^= pin_rng >> 7;
	pin_rng ^= pin_rng << 17;
	return (uint32_t)(pin_rng >> 16);
}

/* a sequence number near base (either side of it, or half the space away) */
static uint32_t near(uint32_t base)
{
	static const int32_t d[] = { -70000, -2, -1, 0, 0, 1, 2, 3, 50, 70000 };
	uint32_t r = pin_rnd();

	if ((r & 15) == 0)
		return base + 0x80000000u;
	return base + (uint32_t)d[(r >> 4) % (sizeof(d) / sizeof(d[0]))];
}

static void random_side(struct tcp_side *s, uint32_t base)
{
	static const uint16_t common[] = {
		TSF_BASE | TSF_NXT | TSF_ACKED_ANY | TSF_WIN,
		TSF_BASE | TSF_NXT | TSF_ACKED_ANY | TSF_WIN | TSF_TS | TSF_SYN,
		TSF_BASE, 0,
	};
	uint32_t r = pin_rnd();

	s->isn = near(base);
	s->snd_nxt = near(base);
	s->last_ack = near(base);
	s->tsval = near(base);
	s->rst_seq = near(base);
	s->win = (uint16_t)(r & 1 ? 0 : pin_rnd());
	/* either any TSF_* mix or one of the usual ones with a few bits flipped */
	if (r & 2)
		s->flags = (uint16_t)(pin_rnd() & 0x0fffu);
	else
		s->flags = (uint16_t)(common[(r >> 2) & 3] ^ ((r & 4) ? 0 : (1u << ((r >> 4) % 12))));
}

/* one segment applied by tcp_segment and by the reference: same bytes */
static void pin_one(const struct tcp_conn *c0, unsigned from, const struct tcp_seg *sg,
		    const struct tcp_rst_check *rc)
{
	struct tcp_conn a = *c0, b = *c0;
	bool ra = tcp_segment(&a, from, sg, rc);
	bool rb = ref_tcp_segment(&b, from, sg, rc);

	if (ra != rb || memcmp(&a, &b, sizeof(a)) != 0)
		fail_msg("tcp_segment differs: from %u flags %#x states %u/%u side flags %#x/%#x",
			 from, sg->flags, c0->state[0], c0->state[1],
			 c0->side[0].flags, c0->side[1].flags);
}

/*
 * Every combination of SYN, FIN, RST, ACK (and PSH) x every state of each
 * side x both senders x the three ends, each with random sides around
 * one sequence number (so that every comparison goes both ways), random
 * options and every RST verdict; then random segment streams from fresh
 * connections, which reach the states the way real traffic does.
 */
static void test_segment_fast_path_pinned(void **state)
{
	struct tcp_rst_check rc;
	struct tcp_conn c;
	struct tcp_seg sg;
	unsigned fl, s0, s1, from, end, k, fast = 0, handshake = 0, ack_fin = 0;

	(void)state;
	for (fl = 0; fl < 32; fl++)
		for (s0 = 0; s0 < TCPS__COUNT; s0++)
			for (s1 = 0; s1 < TCPS__COUNT; s1++)
				for (from = 0; from < 2; from++)
					for (end = 0; end < 3; end++)
						for (k = 0; k < (s0 == TCPS_ESTABLISHED &&
								 s1 == TCPS_ESTABLISHED ? 600u : 6u); k++) {
		uint32_t base = pin_rnd();

		memset(&c, 0, sizeof(c));
		random_side(&c.side[0], base);
		random_side(&c.side[1], base);
		c.state[0] = (uint8_t)s0;
		c.state[1] = (uint8_t)s1;
		c.wscale[0] = (uint8_t)(pin_rnd() % 15);
		c.wscale[1] = (uint8_t)(pin_rnd() % 15);
		c.flags = (uint8_t)(pin_rnd() & 3);
		c.end = (uint8_t)end;
		if ((pin_rnd() & 3) == 0)         /* a side that has sent nothing yet */
			memset(&c.side[from], 0, sizeof(c.side[from]));
		memset(&sg, 0, sizeof(sg));
		sg.flags = (uint16_t)(((fl & 1) ? TH_SYN : 0) | ((fl & 2) ? TH_FIN : 0) |
				      ((fl & 4) ? TH_RST : 0) | ((fl & 8) ? TH_ACK : 0) |
				      ((fl & 16) ? TH_PSH : 0));
		sg.seq = near(base);
		sg.ack = near(base);
		sg.len = (k & 1) ? pin_rnd() % 3000 : 0;
		sg.win = (uint16_t)((k & 2) ? pin_rnd() : 0);
		sg.has_ts = (pin_rnd() & 1) != 0;
		sg.tsval = near(base);
		sg.has_wscale = (pin_rnd() & 1) != 0;
		sg.wscale = (uint8_t)(pin_rnd() % 16);
		memset(&rc, 0, sizeof(rc));
		rc.verdict = (enum rst_verdict)(k % 5);
		if ((sg.flags & (TH_SYN | TH_FIN | TH_RST | TH_ACK)) == TH_ACK &&
		    s0 == TCPS_ESTABLISHED && s1 == TCPS_ESTABLISHED &&
		    (c.side[from].flags & (TSF_BASE | TSF_NXT | TSF_FIN)) == (TSF_BASE | TSF_NXT) &&
		    (c.side[from ^ 1].flags & (TSF_BASE | TSF_FIN)) == TSF_BASE)
			fast++;
		if ((sg.flags & (TH_SYN | TH_FIN | TH_RST)) == TH_SYN && c.side[from].flags == 0 &&
		    c.state[from] == TCPS_LISTEN && !(c.side[from ^ 1].flags & TSF_FIN))
			handshake++;
		if ((sg.flags & (TH_SYN | TH_FIN | TH_RST | TH_ACK)) == TH_ACK &&
		    (c.side[from].flags & (TSF_BASE | TSF_NXT)) == (TSF_BASE | TSF_NXT) &&
		    (c.side[from ^ 1].flags & TSF_BASE) && (c.side[from ^ 1].flags & TSF_FIN))
			ack_fin++;
		pin_one(&c, from, &sg, (sg.flags & TH_RST) && (k & 4) == 0 ? &rc : NULL);
	}
	assert_true(fast > 200);        /* the fast paths themselves ran, often */
	assert_true(handshake > 200);
	assert_true(ack_fin > 200);     /* the ACK path with the peer's FIN sent */

	for (k = 0; k < 3000; k++) {
		uint32_t base = pin_rnd(), n;

		tcp_conn_init(&c);
		for (n = 0; n < 40; n++) {
			static const uint16_t pick[] = {
				TH_ACK, TH_ACK, TH_ACK | TH_PSH, TH_ACK, TH_SYN, TH_SYN | TH_ACK,
				TH_FIN | TH_ACK, TH_RST, TH_RST | TH_ACK, TH_FIN, 0, TH_ACK,
			};
			struct tcp_conn b;
			bool ra, rb;

			from = pin_rnd() & 1;
			memset(&sg, 0, sizeof(sg));
			sg.flags = pick[pin_rnd() % (sizeof(pick) / sizeof(pick[0]))];
			sg.seq = near(base);
			sg.ack = near(base);
			sg.len = (pin_rnd() & 1) ? pin_rnd() % 100 : 0;
			sg.win = (uint16_t)pin_rnd();
			sg.has_ts = (pin_rnd() & 3) != 0;
			sg.tsval = near(base);
			tcp_rst_judge(&c, from, &sg, &rc);
			b = c;
			ra = tcp_segment(&c, from, &sg, (sg.flags & TH_RST) ? &rc : NULL);
			rb = ref_tcp_segment(&b, from, &sg, (sg.flags & TH_RST) ? &rc : NULL);
			assert_int_equal(ra, rb);
			assert_memory_equal(&c, &b, sizeof(c));
		}
	}
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_active_and_passive_close),
		cmocka_unit_test(test_fin_ack_in_one_segment),
		cmocka_unit_test(test_closing),
		cmocka_unit_test(test_fin_acked_before_it),
		cmocka_unit_test(test_rst_exact_and_window),
		cmocka_unit_test(test_rst_in_syn_sent),
		cmocka_unit_test(test_syn_with_data),
		cmocka_unit_test(test_rst_unknown),
		cmocka_unit_test(test_window_scaling),
		cmocka_unit_test(test_incarnation_rule),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_synack_first_and_simultaneous_open),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_seq_compare),
		cmocka_unit_test(test_segment_fast_path_pinned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
