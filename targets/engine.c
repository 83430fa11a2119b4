/*
 * engine.c - decoded packets to flows: lookup, incarnations, timeouts,
 * eviction, the TCP model and Zeek's view (contract in engine.h).
 *
 * Sections: time, flow life cycle (create, emit, expire, evict), per-packet
 * processing, queries and records.
 *
 * Lists: each flow sits on one activity list by timeout class (UDP, open
 * TCP, closed TCP) and moves to its tail on every packet, so the head of a
 * list is the flow of that class that has been quiet the longest. Expiry
 * looks at a few heads per packet; a lookup that finds a flow past its
 * timeout ends it there and then, so results never depend on when the
 * reaper got round to it. Eviction takes the least recently active of the
 * heads (smallest last frame, then oldest creation): the same flows under
 * any hash key, which keeps output identical across --seed values.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

enum { L_UDP = 0, L_TCP_OPEN = 1, L_TCP_CLOSED = 2, L__COUNT = 3 };

#define NS_PER_SEC INT64_C(1000000000)
/* Relative times are kept in signed 64-bit nanoseconds: +-9e9 s (285 years)
 * from the first packet. Farther times (only a corrupt or fuzzed capture has
 * them) saturate there. */
#define REL_LIMIT_SEC INT64_C(9000000000)
/* Flows the per-packet reaper may expire in one pass, all lists together
 * (3 lists x 4 before they were merged). */
#define REAP_PER_PASS 12

struct engine {
	struct engine_config cfg;
	engine_emit_fn emit;
	void *ctx;
	struct flowtable ft;
	bool have_epoch;
	int64_t epoch_sec;        /* whole seconds of the first packet             */
	/* rel_time's memo (valid once have_epoch): the last whole second it
	 * converted and that second's relative time, sat_sub(clk_sec,
	 * epoch_sec) * NS_PER_SEC; packets of the same second add only their
	 * nanoseconds */
	int64_t clk_sec;
	int64_t clk_base;
	int64_t now;              /* engine clock: largest relative time seen      */
	int64_t reap_at;          /* no list head expires before this clock time   */
	int64_t timeout[L__COUNT];/* per list (= timeout class), in ns: cfg's idle
				     timeouts and 2*MSL                            */
	uint64_t next_seqno;
	uint64_t next_stream[2];  /* [0] TCP, [1] UDP                              */
	struct engine_stats st;
};

static const char *const end_names[] = {
	[FLOW_END_EXPIRED] = "expired",
	[FLOW_END_EVICTED] = "evicted",
	[FLOW_END_REPLACED] = "replaced",
	[FLOW_END_FLUSHED] = "flushed",
};

const char *flow_end_name(enum flow_end why)
{
	if ((unsigned)why >= TC_ARRAY_SIZE(end_names))
		return "?";
	return end_names[why];
}

static const char *const prev_names[] = {
	[PREV_NONE] = "none",
	[PREV_ATTEMPT] = "attempt",
	[PREV_OPEN] = "open",
	[PREV_FIN] = "fin",
	[PREV_RST] = "rst",
	[PREV_FIN_ONE_SIDED] = "fin-one-sided",
};

const char *prev_end_name(enum prev_end how)
{
	if ((unsigned)how >= TC_ARRAY_SIZE(prev_names))
		return "?";
	return prev_names[how];
}

void engine_config_default(struct engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->msl_sec = 60;
	cfg->tcp_idle_sec = 3600;
	cfg->udp_idle_sec = 60;
}

/* ==== time ================================================================== */

/* a - b, saturated to +-REL_LIMIT_SEC, without signed overflow */
static int64_t sat_sub(int64_t a, int64_t b)
{
	if (b >= 0 && a < INT64_MIN + b)
		return -REL_LIMIT_SEC;
	if (b < 0 && a > INT64_MAX + b)
		return REL_LIMIT_SEC;
	a -= b;
	if (a > REL_LIMIT_SEC)
		return REL_LIMIT_SEC;
	if (a < -REL_LIMIT_SEC)
		return -REL_LIMIT_SEC;
	return a;
}

/* The relative time of whole second sec (setting the epoch at the first
 * call), remembered in the memo. Out of line: most packets share their
 * second with the one before. */
static __attribute__((noinline)) int64_t rel_second(struct engine *e, int64_t sec)
{
	if (!e->have_epoch) {
		e->epoch_sec = sec;
		e->have_epoch = true;
	}
	e->clk_sec = sec;
	e->clk_base = sat_sub(sec, e->epoch_sec) * NS_PER_SEC;
	return e->clk_base;
}

/* sat_sub(sec, epoch) * NS_PER_SEC + min(nsec, NS_PER_SEC - 1): the same
 * second as the previous call reuses its product, exactly (the epoch never
 * changes once set). */
static inline int64_t rel_time(struct engine *e, int64_t sec, uint32_t nsec)
{
	int64_t base = e->clk_base;

	if (nsec >= NS_PER_SEC)
		nsec = (uint32_t)(NS_PER_SEC - 1);
	if (__builtin_expect(sec != e->clk_sec || !e->have_epoch, 0))
		base = rel_second(e, sec);
	return base + (int64_t)nsec;
}

void engine_time(const struct engine *e, int64_t rel_ns, int64_t *sec, uint32_t *nsec)
{
	int64_t q = rel_ns / NS_PER_SEC, r = rel_ns % NS_PER_SEC;

	if (r < 0) {                 /* floor division */
		r += NS_PER_SEC;
		q--;
	}
	if (e->epoch_sec > 0 && q > INT64_MAX - e->epoch_sec)
		*sec = INT64_MAX;
	else if (e->epoch_sec < 0 && q < INT64_MIN - e->epoch_sec)
		*sec = INT64_MIN;
	else
		*sec = e->epoch_sec + q;
	*nsec = (uint32_t)r;
}

static inline void advance_clock(struct engine *e, int64_t t)
{
	if (t > e->now)
		e->now = t;
}

void engine_advance(struct engine *e, int64_t ts_sec, uint32_t ts_nsec)
{
	advance_clock(e, rel_time(e, ts_sec, ts_nsec));
}

/* ==== flow life cycle ======================================================= */

/* A flow's timeout. engine_packet notes a flow's timeout class (UDP; TCP
 * open; TCP closed by a FIN exchange or RST: L_*, the list it joins) in
 * h.user8 right after the segment that may change tcp.end, and nothing else
 * changes tcp.end, so every flow in the table has its class there. */
static inline int64_t timeout_ns(const struct engine *e, const struct flow *f)
{
	return e->timeout[f->h.user8];
}

static bool is_expired(const struct engine *e, const struct flow *f)
{
	return e->now - f->end_ns >= timeout_ns(e, f);
}

/* The clock time at which f expires if it sees no more packets (end_ns and
 * now are never negative; saturated for timeouts near the int64 range). */
static int64_t expiry_of(const struct engine *e, const struct flow *f)
{
	int64_t t = timeout_ns(e, f);

	return f->end_ns > INT64_MAX - t ? INT64_MAX : f->end_ns + t;
}

static void emit_remove(struct engine *e, struct flow *f, enum flow_end why)
{
	switch (why) {
	case FLOW_END_EXPIRED: e->st.expired++; break;
	case FLOW_END_EVICTED: e->st.evicted++; break;
	case FLOW_END_REPLACED: e->st.incarnations++; break;
	case FLOW_END_FLUSHED: e->st.flushed++; break;
	}
	if (e->emit != NULL)
		e->emit(e->ctx, e, f, why);
	ft_remove(&e->ft, &f->h);
}

/*
 * The list head that expires first, or NULL when no list has one. Each list
 * is in order of last activity and all its flows share one timeout, so its
 * head expires first; merging the heads by expiry time ends flows in the
 * order their timeouts passed, whatever list they are on (a TIME-WAIT that
 * ended at +5 s comes before a UDP flow that timed out at +60 s). Ties go
 * to the lower list (UDP, open TCP, closed TCP). *at is set to the head's
 * expiry time.
 */
static struct flow *first_expiry(const struct engine *e, int64_t *at)
{
	struct flow *best = NULL;
	unsigned l;

	*at = INT64_MAX;
	for (l = 0; l < L__COUNT; l++) {
		struct flow *f = (struct flow *)(void *)ft_list_head(&e->ft, l);
		int64_t x;

		if (f == NULL)
			continue;
		x = expiry_of(e, f);
		if (best == NULL || x < *at) {
			best = f;
			*at = x;
		}
	}
	return best;
}

/* End up to limit flows whose timeout has passed at the clock, in order of
 * expiry (first_expiry). Returns how many; *next is then the earliest
 * expiry time left (INT64_MAX with no flows). */
static uint64_t expire_merged(struct engine *e, uint64_t limit, int64_t *next)
{
	uint64_t n = 0;
	struct flow *f;

	while ((f = first_expiry(e, next)) != NULL && n < limit && is_expired(e, f)) {
		emit_remove(e, f, FLOW_END_EXPIRED);
		n++;
	}
	return n;
}

uint64_t engine_expire(struct engine *e, uint64_t limit)
{
	int64_t next;
	uint64_t n = expire_merged(e, limit, &next);

	e->reap_at = next;
	return n;
}

/*
 * The per-packet reaper: at most REAP_PER_PASS flows, in order of expiry.
 * e->reap_at is a lower bound on the heads' expiry times, which lets most
 * packets skip the lists altogether. It stays a lower bound because a head
 * only ever leaves (its successor was active later) and a flow joining a
 * list lowers it to the flow's own expiry (engine_packet); after a pass it
 * is recomputed exactly (still <= now when the pass ran out of budget, so
 * the next packet goes on with it).
 */
static __attribute__((noinline)) void reap_lists(struct engine *e)
{
	int64_t next;

	(void)expire_merged(e, REAP_PER_PASS, &next);
	e->reap_at = next;
}

static inline void reap(struct engine *e)
{
	if (e->now >= e->reap_at)
		reap_lists(e);
}

/* The least recently active flow: the list head with the smallest last
 * frame (then the oldest). NULL when the table is empty. */
static struct flow *lru_victim(struct engine *e)
{
	struct flow *best = NULL;
	unsigned l;

	for (l = 0; l < L__COUNT; l++) {
		struct flow *f = (struct flow *)(void *)ft_list_head(&e->ft, l);

		if (f == NULL)
			continue;
		if (best == NULL || f->last_frame < best->last_frame ||
		    (f->last_frame == best->last_frame && f->seqno < best->seqno))
			best = f;
	}
	return best;
}

/* Insert a flow for k, evicting one flow when the table is full or memory
 * ran out. */
static enum tc_rc create_flow(struct engine *e, const struct ft_key *k, uint32_t h,
			      struct flow **out)
{
	struct ft_entry *ent;
	enum tc_rc rc = ft_insert(&e->ft, k, h, &ent);

	if (rc == TC_EXHAUSTED || rc == TC_NOMEM) {
		struct flow *v = lru_victim(e);

		if (v == NULL)
			return TC_NOMEM;
		emit_remove(e, v, is_expired(e, v) ? FLOW_END_EXPIRED : FLOW_END_EVICTED);
		rc = ft_insert(&e->ft, k, h, &ent);
	}
	if (rc != TC_OK)
		return TC_NOMEM;
	*out = (struct flow *)(void *)ent;
	return TC_OK;
}

/* ==== per-packet processing ================================================= */

/* A packet's own time: its stamp relative to the epoch (not clamped to the
 * clock), and whether the capture had none (pcapng Simple Packet Block). */
struct stamp {
	int64_t t;
	bool no_ts;
};

static bool has_err(const struct pkt *p, enum pkt_err which)
{
	unsigned i;

	for (i = 0; i < p->n_err && i < PKT_MAX_ERRORS; i++)
		if (p->err[i] == which)
			return true;
	return false;
}

static bool any_established(const struct tcp_conn *c)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		enum tcp_st s = (enum tcp_st)c->state[i];

		if (s != TCPS_LISTEN && s != TCPS_SYN_SENT && s != TCPS_SYN_RECEIVED &&
		    s != TCPS_CLOSED)
			return true;
	}
	return false;
}

/*
 * How a connection that neither completed a FIN exchange nor took a RST
 * (tcp.end is TCP_END_OPEN) had ended, as far as the capture can show:
 *  - both sides sent a FIN: the exchange is complete even when its last
 *    ACK (or an ACK of the first FIN) was not captured; PREV_FIN, so a new
 *    SYN is judged by the TIME-WAIT rules (SPEC: duplicate-live needs "no
 *    completed FIN exchange"); a connection from an endpoint to itself
 *    receives each segment it sends, so its one FIN is both;
 *  - one side sent a FIN and the other sent nothing captured (a capture of
 *    one direction, `--filter 'src host A'`): the close may have completed
 *    out of sight, and nothing shows it did not; PREV_FIN_ONE_SIDED;
 *  - picked up mid-stream: PREV_OPEN (its handshake happened before) once
 *    a segment with ACK was seen; segments without SYN, RST or ACK (null,
 *    FIN, PSH, URG or ECN bits alone: scanners' probes, tcp.invalid-flags)
 *    are dropped in every state (RFC 9293 3.10.7) and show no connection:
 *    PREV_ATTEMPT;
 *  - otherwise PREV_OPEN only when the handshake is seen to complete: a
 *    side reached ESTABLISHED and the initiator (the SYN's sender, or the
 *    SYN+ACK's receiver) sent a segment with ACK, its ACK of the SYN+ACK or
 *    anything after it (every segment after the handshake carries ACK,
 *    RFC 9293 3.10.7). A SYN+ACK alone, however often retransmitted, moves
 *    the model's initiator to ESTABLISHED as if it were delivered, but
 *    shows nothing the initiator received: PREV_ATTEMPT.
 */
static enum prev_end open_prev_end(const struct flow *f)
{
	const struct tcp_conn *c = &f->tcp;
	uint16_t f0 = c->side[0].flags, f1 = c->side[1].flags;
	bool self = f->h.key.port[0] == f->h.key.port[1] &&
		    memcmp(f->h.key.addr[0], f->h.key.addr[1], 16) == 0;

	if ((f0 & f1 & TSF_FIN) || (self && ((f0 | f1) & TSF_FIN)))
		return PREV_FIN;
	if (((f0 & TSF_FIN) && !(f1 & TSF_NXT)) || ((f1 & TSF_FIN) && !(f0 & TSF_NXT)))
		return PREV_FIN_ONE_SIDED;
	if (c->flags & TCF_MIDSTREAM)
		return ((f0 | f1) & TSF_ACKED_ANY) ? PREV_OPEN : PREV_ATTEMPT;
	return any_established(c) && (c->side[f->orig_side].flags & TSF_ACKED_ANY)
	       ? PREV_OPEN : PREV_ATTEMPT;
}

static void fill_prev(const struct engine *e, const struct flow *f, unsigned from,
		      const struct pkt *p, const struct tcp_seg *sg, const struct stamp *now_st,
		      struct engine_prev *pv)
{
	const struct tcp_side *sd[2] = { &f->tcp.side[from], &f->tcp.side[from ^ 1] };
	unsigned i;

	memset(pv, 0, sizeof(*pv));
	switch ((enum tcp_end)f->tcp.end) {
	case TCP_END_FIN: pv->how = PREV_FIN; break;
	case TCP_END_RST: pv->how = PREV_RST; break;
	case TCP_END_OPEN:
	default:
		pv->how = open_prev_end(f);
		break;
	}
	pv->midstream = (f->tcp.flags & TCF_MIDSTREAM) != 0;
	pv->stream = f->stream;
	pv->first_frame = f->first_frame;
	pv->last_frame = f->last_frame;
	pv->closed = pv->how == PREV_FIN || pv->how == PREV_RST;
	if (pv->closed || pv->how == PREV_FIN_ONE_SIDED) {
		engine_time(e, f->close_ns, &pv->close_sec, &pv->close_nsec);
		/* the two packets' own stamps, not the clock: after a capture
		 * concatenated out of time order, or one far-future stamp,
		 * the clock is ahead of both (relative stamps are within
		 * +-REL_LIMIT_SEC of the epoch, their difference may not be
		 * within int64) */
		if (f->close_ns >= 0 && now_st->t < INT64_MIN + f->close_ns)
			pv->since_close_ns = INT64_MIN;
		else if (f->close_ns < 0 && now_st->t > INT64_MAX + f->close_ns)
			pv->since_close_ns = INT64_MAX;
		else
			pv->since_close_ns = now_st->t - f->close_ns;
		/* a SYN stamped before the close (time going backwards: a
		 * capture concatenated out of order, two capture points) is
		 * as far from the close as the stamps are apart: an hour
		 * before it is no reuse of its TIME-WAIT, a millisecond is */
		if (pv->since_close_ns < 0) {
			pv->since_close_ns = pv->since_close_ns == INT64_MIN ? INT64_MAX
									     : -pv->since_close_ns;
			pv->close_after_syn = true;
		}
		pv->no_close_time = now_st->no_ts || (f->fflags & FLOW_F_CLOSE_NO_TS);
		if (pv->no_close_time) {
			pv->since_close_ns = 0;
			pv->close_after_syn = false;
		}
	}
	pv->since_last_ns = e->now - f->end_ns;
	if (pv->since_last_ns < 0)
		pv->since_last_ns = 0;
	pv->old_isn = sd[0]->isn;
	/* compared by address and port, not key side: a packet from an
	 * endpoint to itself has the same endpoint on both sides */
	pv->sender_was_orig = flow_port(f, FLOW_DIR_ORIG) == p->sport &&
			      memcmp(flow_addr(f, FLOW_DIR_ORIG), p->src, 16) == 0;
	pv->sender_state = (uint8_t)flow_tcp_state(f, pv->sender_was_orig ? FLOW_DIR_ORIG
									   : FLOW_DIR_RESP);
	for (i = 0; i < 2; i++) {
		pv->have_final_seq[i] = (sd[i]->flags & TSF_NXT) != 0;
		pv->final_seq[i] = sd[i]->snd_nxt;
		pv->fin_sent[i] = (sd[i]->flags & TSF_FIN) != 0;
		pv->have_tsval[i] = (sd[i]->flags & TSF_TS) != 0;
		pv->last_tsval[i] = sd[i]->tsval;
	}
	pv->isn_above_final = pv->have_final_seq[0] && seq_gt(sg->seq, pv->final_seq[0]);
	pv->ts_above = sg->has_ts && pv->have_tsval[0] && seq_gt(sg->tsval, pv->last_tsval[0]);
}

static void init_flow(struct engine *e, struct flow *f, bool tcp, unsigned from,
		      uint16_t flags, const struct engine_in *in, int64_t t,
		      const struct stamp *st)
{
	/* A SYN+ACK answers a SYN: its receiver initiated. Not one with FIN
	 * or RST as well: that answers nothing (RFC 9293 3.10.7: SYN with FIN
	 * or RST has no meaning in the state machine), it is a scanner's probe,
	 * so its sender is the originator, as of any other first packet. (Zeek
	 * flips no first packet on its flags, because of such stealth scans,
	 * only by its likely_server_ports; zeekconn.h lists the difference.) */
	bool flipped = tcp && (flags & (TH_SYN | TH_ACK | TH_FIN | TH_RST)) == (TH_SYN | TH_ACK);

	f->orig_side = (uint8_t)(flipped ? from ^ 1 : from);
	f->fflags = 0;
	if (flipped)
		f->fflags |= FLOW_F_FLIPPED;
	if (tcp && !(flags & TH_SYN))
		f->fflags |= FLOW_F_MIDSTREAM;
	f->seqno = e->next_seqno++;
	f->stream = e->next_stream[tcp ? 0 : 1]++;
	f->first_frame = in->frame;
	f->start_ns = t;
	f->end_ns = t;
	f->close_ns = st->t;
	if (st->no_ts)
		f->fflags |= FLOW_F_CLOSE_NO_TS;
	f->ts_digits = in->ts_digits;
	tcp_conn_init(&f->tcp);
	zk_init(&f->zk, flipped);
	e->st.created++;
	if (tcp)
		e->st.created_tcp++;
	else
		e->st.created_udp++;
}

/* The close time of f: the segment's own stamp, and whether it had one. */
static void set_close_time(struct flow *f, const struct stamp *st)
{
	f->close_ns = st->t;
	if (st->no_ts)
		f->fflags |= FLOW_F_CLOSE_NO_TS;
	else
		f->fflags &= (uint8_t)~FLOW_F_CLOSE_NO_TS;
}

static void tcp_update(const struct engine *e, struct flow *f, unsigned from,
		       enum flow_dir dir, const struct pkt *p, const struct tcp_seg *sg,
		       const struct stamp *st, struct engine_result *res)
{
	const struct tcp_side *s = &f->tcp.side[from];
	bool had_fin = (s->flags & TSF_FIN) != 0;

	res->syn_retransmit = (sg->flags & (TH_SYN | TH_ACK)) == TH_SYN && !res->created &&
			      (s->flags & TSF_SYN) && sg->seq == s->isn;
	/* The same ISN after a completed FIN exchange (both FINs seen, the
	 * last ACK captured or not, as open_prev_end judges it): no new flow
	 * (as tcp.stream), but a reuse to judge (RFC 1122 4.2.2.13, RFC
	 * 6191): the connection's facts as they were before this segment. */
	if (res->syn_retransmit && (f->tcp.end == TCP_END_FIN ||
				    (f->tcp.end == TCP_END_OPEN && open_prev_end(f) == PREV_FIN)))
		fill_prev(e, f, from, p, sg, st, &res->prev);
	/* Zeek's rules read the sender's side as it was before this segment:
	 * before tcp_segment (the two models share no state); its sequence
	 * bookkeeping reads the endpoint states before zk_tcp_packet moves
	 * them. FLOW_DIR_* and ZK_* are both 0 for the originator. */
	zk_tcp_extent(&f->zk, dir, sg, s, &f->tcp.side[from ^ 1], f->bytes);
	zk_tcp_packet(&f->zk, dir, sg, s, p->n_err > 0 && has_err(p, PE_TCP_BAD_CHECKSUM));
	/* res->rst is zero (RST_NONE) unless the segment carries a RST */
	if (sg->flags & TH_RST)
		tcp_rst_judge(&f->tcp, from, sg, &res->rst);
	res->closed_now = tcp_segment(&f->tcp, from, sg,
				      (sg->flags & TH_RST) ? &res->rst : NULL);
	/* a side's first FIN starts a close whose last ACK the capture may
	 * lack (fill_prev measures TIME-WAIT from here then); the segment
	 * that ends the connection moves the time on; so does a FIN
	 * retransmitted after both sides sent theirs: RFC 9293 3.10.7.4, in
	 * TIME-WAIT "the only thing that can arrive ... is a retransmission of
	 * the remote FIN. Acknowledge it, and restart the 2 MSL timeout" (as
	 * Linux's tcp_timewait_state_process does). The close time is the
	 * segment's own stamp, not the clock (fill_prev). */
	if (res->closed_now || (!had_fin && (s->flags & TSF_FIN) && f->tcp.end == TCP_END_OPEN))
		set_close_time(f, st);
	/* a restart never shortens TIME-WAIT: a retransmitted FIN stamped
	 * before the close (captured out of order) leaves it where it is */
	else if (had_fin && (sg->flags & TH_FIN) && !(sg->flags & TH_RST) &&
		 (f->tcp.end == TCP_END_FIN ||
		  (f->tcp.end == TCP_END_OPEN && (f->tcp.side[from ^ 1].flags & TSF_FIN))) &&
		 st->t > f->close_ns)
		set_close_time(f, st);
}

/*
 * A result with nothing to say: every field zero except prev, of which only
 * how (PREV_NONE) is set: prev is valid only with new_incarnation, and
 * fill_prev then writes all of it. Clearing prev's ~100 bytes on every
 * packet took a rep stos that cost more than the rest of the bookkeeping.
 * flow, dir and side are left to the caller: engine_packet writes them
 * once, at its end or on its way out.
 */
static inline void result_clear_flags(struct engine_result *res)
{
	res->created = false;
	res->new_incarnation = false;
	res->midstream = false;
	res->syn_retransmit = false;
	res->closed_now = false;
	res->prev.how = PREV_NONE;
	memset(&res->rst, 0, sizeof(res->rst));
}

enum tc_rc engine_packet(struct engine *e, const struct pkt *p,
			 const struct engine_in *in, struct engine_result *res)
{
	struct ft_key k;
	struct tcp_seg sg;
	struct flow *f;
	unsigned from, list;
	uint32_t h;
	int64_t t;
	struct stamp st;
	bool tcp;
	enum flow_dir dir;
	enum tc_rc rc;

	result_clear_flags(res);
	e->st.packets++;
	/* l4 is L4_TCP (1) or L4_UDP (2); ipver | 2 is 6 for 4 and 6 only. A
	 * first fragment carries the transport header and counts; a later one
	 * has none (have_l4 false) */
	if (!p->have_ip || !p->have_l4 || (unsigned)p->l4 - L4_TCP > L4_UDP - L4_TCP ||
	    (p->ipver | 2) != 6) {
		e->st.untracked++;
		res->flow = NULL;
		res->dir = FLOW_DIR_ORIG;
		res->side = 0;
		return TC_UNSUPPORTED;
	}
	tcp = p->l4 == L4_TCP;
	/* advance_clock, then t = e->now: a packet stamped in the past
	 * happens now */
	t = rel_time(e, in->ts_sec, in->ts_nsec);
	st.t = t;
	st.no_ts = in->no_ts;
	if (t < e->now)
		t = e->now;
	e->now = t;
	reap(e);

	/* every field is set for TCP; UDP never reads sg */
	if (tcp) {
		sg.flags = p->flags;
		sg.seq = p->seq;
		sg.ack = p->ack;
		sg.len = p->payload_len;
		sg.win = p->win;
		sg.has_wscale = p->opt.has_wscale;
		sg.wscale = p->opt.wscale;
		sg.has_ts = p->opt.has_ts;
		sg.tsval = p->opt.ts_val;
	}

	ft_key_make(&k, tcp ? 6 : 17, p->ipver, p->src, p->sport, p->dst, p->dport, &from);
	f = (struct flow *)(void *)ft_lookup(&e->ft, &k, &h);
	if (f != NULL && is_expired(e, f)) {
		emit_remove(e, f, FLOW_END_EXPIRED);
		f = NULL;
	}
	if (f != NULL && tcp && tcp_is_new_incarnation(&f->tcp, from, &sg)) {
		fill_prev(e, f, from, p, &sg, &st, &res->prev);
		res->new_incarnation = true;
		emit_remove(e, f, FLOW_END_REPLACED);
		f = NULL;
	}
	if (f == NULL) {
		rc = create_flow(e, &k, h, &f);
		if (rc != TC_OK) {
			e->st.nomem++;
			memset(res, 0, sizeof(*res));
			return rc;
		}
		init_flow(e, f, tcp, from, tcp ? sg.flags : 0, in, t, &st);
		res->created = true;
		res->midstream = (f->fflags & FLOW_F_MIDSTREAM) != 0;
		/* only a new flow raises the count (the rest of this call
		 * removes none), so the peak can only move here */
		if (e->ft.count > e->st.max_live)
			e->st.max_live = e->ft.count;
	}

	/* from and orig_side are key sides, 0 or 1 */
	dir = (enum flow_dir)(from ^ f->orig_side);
	f->pkts[dir]++;
	if (!tcp)
		f->bytes[dir] += p->payload_len;        /* TCP: zk_tcp_extent */
	f->last_frame = in->frame;
	f->end_ns = t;
	if (in->ts_digits > f->ts_digits)
		f->ts_digits = in->ts_digits;

	if (tcp) {
		tcp_update(e, f, from, dir, p, &sg, &st, res);
		list = f->tcp.end != TCP_END_OPEN ? L_TCP_CLOSED : L_TCP_OPEN;
	} else {
		zk_udp_packet(&f->zk, dir == FLOW_DIR_ORIG ? ZK_ORIG : ZK_RESP,
			      has_err(p, PE_UDP_BAD_CHECKSUM));
		list = L_UDP;
	}
	f->h.user8 = (uint8_t)list;             /* see timeout_ns() */
	ft_list_put(&e->ft, &f->h, list);
	/* expiry_of(e, f) < e->reap_at (see reap()) without the saturated
	 * sum: both timeouts and reap_at are >= 0, so reap_at - timeout cannot
	 * overflow, and end_ns + timeout > INT64_MAX implies end_ns >
	 * INT64_MAX - timeout >= reap_at - timeout, false on both sides */
	if (t < e->reap_at - e->timeout[list])
		e->reap_at = expiry_of(e, f);

	res->flow = f;
	res->dir = dir;
	res->side = from;
	return TC_OK;
}

/* ==== the engine object ===================================================== */

enum tc_rc engine_new(const struct engine_config *cfg, engine_emit_fn emit,
		      void *ctx, struct engine **out)
{
	struct engine *e = calloc(1, sizeof(*e));
	uint64_t cap;

	*out = NULL;
	if (e == NULL)
		return TC_NOMEM;
	e->cfg = *cfg;
	e->emit = emit;
	e->ctx = ctx;
	e->reap_at = INT64_MAX;                 /* no flows: nothing to reap */
	e->timeout[L_UDP] = (int64_t)cfg->udp_idle_sec * NS_PER_SEC;
	e->timeout[L_TCP_OPEN] = (int64_t)cfg->tcp_idle_sec * NS_PER_SEC;
	e->timeout[L_TCP_CLOSED] = 2 * (int64_t)cfg->msl_sec * NS_PER_SEC;
	cap = cfg->max_flows;
	if (cap == 0 || cap > FT_MAX_ENTRIES)
		cap = FT_MAX_ENTRIES;
	if (ft_init(&e->ft, sizeof(struct flow), (uint32_t)cap, &cfg->hash_key) != TC_OK) {
		free(e);
		return TC_NOMEM;
	}
	*out = e;
	return TC_OK;
}

void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	ft_destroy(&e->ft);
	free(e);
}

/*
 * Entry indices sorted by creation number (seqno), for the groups of
 * flush_sorted (below) that share the top bits of their seqno, in place:
 * no qsort (its comparator could not see the table without a global) and
 * no second array (at the end of a capture every flow is live, and the
 * flush must not need more than 4 bytes per flow). A most-
 * significant-digit radix sort on seqno - base, 8 bits at a time, with the
 * in-place "American flag" permutation; buckets of up to SMALL_SORT entries
 * are insertion-sorted with their keys copied out. Each entry's key is read
 * about twice per digit, against 2 log2(n) times by a heap sort: the keys
 * live in the flows, all over the table, so each read is a cache miss.
 */
#define SMALL_SORT 32

static uint64_t seqno_at(const struct engine *e, uint32_t idx)
{
	return ((const struct flow *)(const void *)ft_at_(&e->ft, idx))->seqno;
}

static void small_sort(const struct engine *e, uint32_t *v, size_t n)
{
	uint64_t key[SMALL_SORT];
	size_t i, j;

	for (i = 0; i < n; i++) {
		uint32_t x = v[i];
		uint64_t k = seqno_at(e, x);

		for (j = i; j > 0 && key[j - 1] > k; j--) {
			key[j] = key[j - 1];
			v[j] = v[j - 1];
		}
		key[j] = k;
		v[j] = x;
	}
}

static void radix_sort(const struct engine *e, uint32_t *v, size_t n, uint64_t base,
		       unsigned shift)
{
	uint32_t count[256], next[256], end[256];
	size_t d, pos;

	if (n <= SMALL_SORT) {
		small_sort(e, v, n);
		return;
	}
	memset(count, 0, sizeof(count));
	for (pos = 0; pos < n; pos++)
		count[((seqno_at(e, v[pos]) - base) >> shift) & 255]++;
	for (d = 0, pos = 0; d < 256; d++) {
		next[d] = (uint32_t)pos;
		pos += count[d];
		end[d] = (uint32_t)pos;
	}
	/* each step puts one entry in its digit's bucket for good */
	for (d = 0; d < 256; d++) {
		while (next[d] < end[d]) {
			uint32_t x = v[next[d]];
			size_t dx = ((seqno_at(e, x) - base) >> shift) & 255;

			while (dx != d) {
				uint32_t y = v[next[dx]];

				v[next[dx]++] = x;
				x = y;
				dx = ((seqno_at(e, x) - base) >> shift) & 255;
			}
			v[next[d]++] = x;
		}
	}
	if (shift == 0)
		return;
	for (d = 0, pos = 0; d < 256; pos += count[d], d++)
		if (count[d] > 1)
			radix_sort(e, v + pos, count[d], base, shift - 8);
}

/* The lowest and highest seqno of the n flows at indices v (n > 0). */
static void seqno_range(const struct engine *e, const uint32_t *v, size_t n,
			uint64_t *lo, uint64_t *hi)
{
	size_t i;

	*lo = UINT64_MAX;
	*hi = 0;
	for (i = 0; i < n; i++) {
		uint64_t k = seqno_at(e, v[i]);

		if (k < *lo)
			*lo = k;
		if (k > *hi)
			*hi = k;
	}
}

static void sort_by_seqno(const struct engine *e, uint32_t *v, size_t n)
{
	uint64_t lo, hi, span;
	unsigned shift = 0;

	if (n < 2)
		return;
	seqno_range(e, v, n, &lo, &hi);
	for (span = hi - lo; span >> shift > 255; shift += 8)
		;
	radix_sort(e, v, n, lo, shift);
}

/*
 * Emission order for engine_flush, with the 4 bytes per flow of v and no
 * more. v holds n entry indices in ascending order (ft_listed: the pool read
 * in memory order). Each index is packed with the top bits of its flow's
 * seqno - lo (all of them when the span of seqnos fits) into one 32-bit
 * word: two passes read the flows in ascending index order, which the
 * hardware prefetcher follows (one for lo and hi, one to pack). The words
 * are sorted on those bits alone, in the array, with no look into the
 * table. Entries with the same top bits (at most 2^shift of them: seqnos
 * are unique) are then sorted on their full seqno and emitted at once,
 * while their entries are still in the cache (prefetched FLUSH_AHEAD
 * entries ahead). Each flow is read at random about once, against several
 * times per digit by sorting the indices on keys that live in the table.
 */
#define WORD_SMALL 48
#define WORD_WIDE 11            /* bits of the first digit, at most */

/* One in-place "American flag" pass over v[0 .. n) on the digit
 * (word >> shift) & mask: afterwards bucket d is v[end[d - 1] .. end[d])
 * (from 0 for d = 0). next and end hold mask + 1 entries. */
static void flag_pass(uint32_t *v, size_t n, unsigned shift, uint32_t mask,
		      uint32_t *next, uint32_t *end)
{
	size_t d, pos;

	memset(end, 0, ((size_t)mask + 1) * sizeof(*end));
	for (pos = 0; pos < n; pos++)
		end[(v[pos] >> shift) & mask]++;
	for (d = 0, pos = 0; d <= mask; d++) {
		next[d] = (uint32_t)pos;
		pos += end[d];
		end[d] = (uint32_t)pos;
	}
	/* each step puts one word in its digit's bucket for good */
	for (d = 0; d <= mask; d++) {
		while (next[d] < end[d]) {
			uint32_t x = v[next[d]];
			size_t dx = (x >> shift) & mask;

			while (dx != d) {
				uint32_t y = v[next[dx]];

				v[next[dx]++] = x;
				x = y;
				dx = (x >> shift) & mask;
			}
			v[next[d]++] = x;
		}
	}
}

/* Digit width for n words with bits hi .. lo left: about log2(n), so that
 * a pass costs O(n), and at most cap. */
static unsigned digit_width(size_t n, unsigned hi, unsigned lo, unsigned cap)
{
	unsigned w = n >= ((size_t)1 << cap) ? cap : 64u - (unsigned)__builtin_clzll(n);

	return w < hi - lo ? w : hi - lo;
}

/* Insertion sort of a few words (on the whole word: as good as on bits). */
static void word_sort_small(uint32_t *v, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		uint32_t x = v[i];

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void word_sort(uint32_t *v, size_t n, unsigned hi, unsigned lo);

/* v[0 .. n) sorted on bits lo .. hi - 1 of the words: a first digit of up
 * to cap bits (next and end hold 2^cap counters), the rest by word_sort. */
static void word_sort_digits(uint32_t *v, size_t n, unsigned hi, unsigned lo, unsigned cap,
			     uint32_t *next, uint32_t *end)
{
	unsigned w, shift;
	size_t d, from;

	if (n <= WORD_SMALL) {
		word_sort_small(v, n);
		return;
	}
	w = digit_width(n, hi, lo, cap);
	shift = hi - w;
	flag_pass(v, n, shift, (UINT32_C(1) << w) - 1, next, end);
	if (shift == lo)
		return;
	for (d = 0, from = 0; d < (size_t)1 << w; from = end[d], d++)
		if (end[d] - from > 1)
			word_sort(v + from, end[d] - from, shift, lo);
}

/* v[0 .. n) sorted on bits lo .. hi - 1 of the words, digits of up to 8
 * bits. */
static void word_sort(uint32_t *v, size_t n, unsigned hi, unsigned lo)
{
	uint32_t next[256], end[256];

	word_sort_digits(v, n, hi, lo, 8, next, end);
}

/* The same for the whole array: a first digit of up to WORD_WIDE bits, so
 * that a large table's buckets are small after one pass. */
static void word_sort_top(uint32_t *v, size_t n, unsigned hi, unsigned lo)
{
	uint32_t next[1u << WORD_WIDE], end[1u << WORD_WIDE];

	word_sort_digits(v, n, hi, lo, WORD_WIDE, next, end);
}

static void flush_emit(struct engine *e, const uint32_t *v, size_t n, bool clear)
{
	size_t k;

	for (k = 0; k < n; k++) {
		struct flow *f = (struct flow *)(void *)ft_at_(&e->ft, v[k]);

		if (clear) {
			e->st.flushed++;
			if (e->emit != NULL)
				e->emit(e->ctx, e, f, FLOW_END_FLUSHED);
		} else {
			emit_remove(e, f, FLOW_END_FLUSHED);
		}
	}
}

#define FLUSH_AHEAD 16

static void flush_sorted(struct engine *e, uint32_t *v, size_t n, bool clear)
{
	uint64_t lo, hi;
	unsigned bits, top, sbits, shift;
	uint32_t imask;
	size_t k, j, pf;

	if (n == 0)
		return;
	seqno_range(e, v, n, &lo, &hi);
	/* indices are at most n_used < 2^31: bits for them, the rest for seqno */
	bits = 32u - (unsigned)__builtin_clz(e->ft.n_used);
	top = 32u - bits;
	imask = bits >= 32 ? UINT32_MAX : (UINT32_C(1) << bits) - 1;
	sbits = hi == lo ? 0 : 64u - (unsigned)__builtin_clzll(hi - lo);
	shift = sbits > top ? sbits - top : 0;
	for (k = 0; k < n; k++)
		v[k] |= (uint32_t)((seqno_at(e, v[k]) - lo) >> shift) << bits;
	word_sort_top(v, n, bits + (sbits < top ? sbits : top), bits);
	for (k = 0, pf = 0; k < n; k = j) {
		uint32_t d = v[k] >> bits;

		/* the entries of the groups ahead, every line of each (the
		 * sort reads its seqno, the emission the rest) */
		for (; pf < n && pf < k + FLUSH_AHEAD; pf++) {
			const uint8_t *p = (const uint8_t *)(const void *)ft_at_(&e->ft, v[pf] & imask);
			size_t o;

			for (o = 0; o < sizeof(struct flow); o += 64)
				__builtin_prefetch(p + o);
		}

		for (j = k; j < n && v[j] >> bits == d; j++)
			v[j] &= imask;
		if (j - k > SMALL_SORT)
			sort_by_seqno(e, v + k, j - k);
		else if (j - k > 1)
			small_sort(e, v + k, j - k);
		flush_emit(e, v + k, j - k, clear);
	}
}

void engine_flush(struct engine *e)
{
	size_t n, i;
	/* 4 bytes per live flow, only while flushing */
	uint32_t *all;
	unsigned l;
	int64_t next;

	/* flows whose timeout has passed at the end of the capture expired,
	 * whether or not the per-packet reaper's budget got round to them */
	(void)expire_merged(e, UINT64_MAX, &next);
	e->reap_at = next;
	n = e->ft.count;
	all = n ? malloc(n * sizeof(*all)) : NULL;
	if (all != NULL) {
		i = ft_listed(&e->ft, all, n);
		/* when every flow is on a list: emit them all, then empty the
		 * table in one go instead of unlinking each flow from its chain
		 * and list (the callback may not look into the engine but
		 * through engine_flow_record) */
		flush_sorted(e, all, i, i == n);
		if (i == n)
			ft_clear(&e->ft);
		free(all);
	}
	/* without memory for the sort (or anything left): list order */
	for (l = 0; l < L__COUNT; l++) {
		struct flow *f;

		while ((f = (struct flow *)(void *)ft_list_head(&e->ft, l)) != NULL)
			emit_remove(e, f, FLOW_END_FLUSHED);
	}
}

const struct engine_stats *engine_stats(struct engine *e)
{
	e->st.live = e->ft.count;
	e->st.max_probes = e->ft.st.max_probes;
	e->st.probes = e->ft.st.probes;
	e->st.lookups = e->ft.st.lookups;
	e->st.memory = ft_memory(&e->ft) + sizeof(*e);
	return &e->st;
}

void engine_foreach(const struct engine *e,
		    void (*fn)(void *ctx, const struct flow *f), void *ctx)
{
	unsigned l;

	for (l = 0; l < L__COUNT; l++) {
		const struct ft_entry *x;

		for (x = ft_list_head(&e->ft, l); x != NULL; x = ft_list_next(&e->ft, x))
			fn(ctx, (const struct flow *)(const void *)x);
	}
}

const struct flow *engine_find(struct engine *e, uint8_t proto, uint8_t ipver,
			       const uint8_t src[16], uint16_t sport,
			       const uint8_t dst[16], uint16_t dport)
{
	struct ft_key k;
	unsigned side;

	ft_key_make(&k, proto, ipver, src, sport, dst, dport, &side);
	return (const struct flow *)(const void *)ft_find(&e->ft, &k, ft_hash(&e->ft, &k));
}

/* Has direction d's peer acknowledged more than d's SYN (Zeek's
 * ! NoDataAcked())? */
static bool data_acked(const struct flow *f, enum flow_dir d)
{
	const struct tcp_side *s = flow_tcp_side(f, d);
	const struct tcp_side *peer = flow_tcp_side(f, (enum flow_dir)(d ^ 1));

	return (peer->flags & TSF_ACKED_ANY) && (s->flags & TSF_BASE) &&
	       seq_gt(peer->last_ack, s->isn + 1);
}

void engine_flow_record(const struct engine *e, const struct flow *f,
			int32_t cid_seed, struct flow_record *r)
{
	bool tcp = flow_is_tcp(f);

	memset(r, 0, sizeof(*r));
	r->seqno = f->seqno;
	r->stream = f->stream;
	r->proto = tcp ? "tcp" : "udp";
	r->ipver = f->h.key.ipver;
	memcpy(r->src, flow_addr(f, FLOW_DIR_ORIG), 16);
	memcpy(r->dst, flow_addr(f, FLOW_DIR_RESP), 16);
	r->sport = flow_port(f, FLOW_DIR_ORIG);
	r->dport = flow_port(f, FLOW_DIR_RESP);
	r->first_frame = f->first_frame;
	r->last_frame = f->last_frame;
	engine_time(e, f->start_ns, &r->start_sec, &r->start_nsec);
	engine_time(e, f->end_ns, &r->end_sec, &r->end_nsec);
	r->ts_digits = f->ts_digits;
	r->orig_pkts = f->pkts[FLOW_DIR_ORIG];
	r->resp_pkts = f->pkts[FLOW_DIR_RESP];
	if (tcp) {
		r->orig_bytes = zk_tcp_bytes(&f->zk, ZK_ORIG, f->bytes[FLOW_DIR_ORIG],
					     data_acked(f, FLOW_DIR_ORIG));
		r->resp_bytes = zk_tcp_bytes(&f->zk, ZK_RESP, f->bytes[FLOW_DIR_RESP],
					     data_acked(f, FLOW_DIR_RESP));
	} else {
		r->orig_bytes = f->bytes[FLOW_DIR_ORIG];
		r->resp_bytes = f->bytes[FLOW_DIR_RESP];
	}
	r->state = zk_conn_state(&f->zk, tcp, r->orig_bytes, r->resp_bytes);
	zk_history(&f->zk, r->history);
	if (cid_seed != ENGINE_NO_CID)        /* else empty, from the memset */
		communityid_v1((uint16_t)cid_seed, r->ipver, r->src, r->sport, r->dst,
			       r->dport, f->h.key.proto, r->community_id);
	if (tcp) {
		r->tcp_state[0] = tcp_state_name(flow_tcp_state(f, FLOW_DIR_ORIG));
		r->tcp_state[1] = tcp_state_name(flow_tcp_state(f, FLOW_DIR_RESP));
	}
}
