/*
 * oracle.c - one capture through decode results, the connection engine and
 * every rule; findings to a sink.
 *
 * Per packet, in this order:
 *  1. rules the decoder already judged (pkt.truncated, ip.bad-header,
 *     tcp.bad-offset, udp.bad-length, checksums), once per packet;
 *  2. the engine (targets/engine.h), which names the packet's flow;
 *  3. rules of one header (port.zero, tcp.invalid-flags), once per flow;
 *  4. the rules of the events the engine reports: a new incarnation of a
 *     tuple (tuple.duplicate-live, tuple.reuse-time-wait, once per event)
 *     or a SYN repeating the ISN of a connection a FIN exchange closed
 *     (tuple.reuse-time-wait, once per close),
 *     a flow created without a handshake (tcp.midstream), a RST outside
 *     the window (tcp.rst-out-of-window, per event), and a connection
 *     opened by an initiator (port.privileged-source, port.ephemeral-range,
 *     once per flow; and one record for the host classifier,
 *     oracle/classify.h). A flow whose first packet tcp.invalid-flags
 *     reports is a probe: neither mid-stream nor opened by an initiator.
 * At the end of the file: the host classifier's verdicts (port.sequential,
 * port.fixed, once per host) and one host record per initiating host.
 *
 * Deduplication "once per flow" uses a set of keyed hashes of (rule,
 * signature, canonical 5-tuple, the engine's number of the flow): canonical
 * so both directions of a flow are one flow; the flow's number (its seqno,
 * unique in the file) so that a later connection on the same tuple (a new
 * incarnation, or a new flow after the old one expired: its own stream) is
 * another flow and is reported again; keyed (SipHash, --seed or random) so
 * a crafted capture cannot pile entries into one probe chain. When the
 * engine ends a flow (expired, evicted, replaced by a new incarnation) its
 * entries are removed: its number is never used again, so they could not
 * match. The set thus holds entries of live flows only, bounded by
 * --max-flows and not by the capture's length. A packet the engine tracks
 * no flow for (no memory) is keyed on its tuple alone, and that entry
 * stays for the file (one per finding printed).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "flowcfg.h"
#include "oracle.h"

/* ---- dedup set ------------------------------------------------------------------ */

/*
 * Open addressing with linear probing over (flow number, hash) pairs. An
 * entry of a tracked flow is placed by its flow number (a mix of seqno), so
 * that every entry of one flow lies on one probe run from that place and
 * dedup_forget can find them all when the engine ends the flow; an entry
 * without a flow (DEDUP_NO_FLOW) is placed by its hash and kept for the
 * file. Flow numbers come from the engine (0, 1, 2, ... in order of
 * creation), not from the capture, so a crafted capture cannot gather
 * entries of different flows on one run; the hash is keyed as before.
 * Forgotten entries become tombstones (h == DEDUP_DEAD), which lookups step
 * over and a rebuild clears: live, dead and the new entry stay within half
 * the table.
 */
#define DEDUP_EMPTY 0u
#define DEDUP_DEAD 1u
#define DEDUP_NO_FLOW UINT64_MAX

struct dedup_slot {
	uint64_t flow;       /* the engine's seqno, or DEDUP_NO_FLOW */
	uint64_t h;          /* keyed hash of the finding's key (>= 2); 0 empty, 1 dead */
};

struct dedup {
	struct dedup_slot *slot;
	size_t cap;          /* power of two, or 0 */
	size_t used;         /* live entries */
	size_t dead;         /* tombstones */
};

static void dedup_free(struct dedup *d)
{
	free(d->slot);
	memset(d, 0, sizeof(*d));
}

/* First slot of the probe run of (flow, h). */
static size_t dedup_home(const struct dedup *d, uint64_t flow, uint64_t h)
{
	uint64_t x = flow == DEDUP_NO_FLOW ? h : flow * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(x ^ (x >> 32)) & (d->cap - 1);
}

/* A table of nc slots holding d's live entries (no tombstones).
 * TC_OK or TC_NOMEM (d unchanged). */
static enum tc_rc dedup_rebuild(struct dedup *d, size_t nc)
{
	struct dedup_slot *old = d->slot;
	size_t oc = d->cap;

	if (nc > SIZE_MAX / sizeof(*old))
		return TC_NOMEM;
	d->slot = calloc(nc, sizeof(*old));
	if (d->slot == NULL) {
		d->slot = old;
		return TC_NOMEM;
	}
	d->cap = nc;
	d->dead = 0;
	for (size_t k = 0; k < oc; k++) {
		size_t i;

		if (old[k].h == DEDUP_EMPTY || old[k].h == DEDUP_DEAD)
			continue;
		for (i = dedup_home(d, old[k].flow, old[k].h); d->slot[i].h != DEDUP_EMPTY;
		     i = (i + 1) & (nc - 1))
			;
		d->slot[i] = old[k];
	}
	free(old);
	return TC_OK;
}

/* Insert (flow, h). Returns TC_OK when it is new, TC_END when it was there,
 * TC_NOMEM (the caller then reports rather than silently dropping). */
static enum tc_rc dedup_add(struct dedup *d, uint64_t flow, uint64_t h)
{
	size_t i, put = SIZE_MAX;

	if (h < 2)
		h += 2;
	if (d->used + d->dead + 1 > d->cap / 2) {
		/* grow when live entries fill a quarter, else only sweep the
		 * tombstones: either way a quarter of the table is free after
		 * it, so rebuilds cost O(1) amortized per insertion */
		size_t nc = d->cap == 0 ? 64 : d->used + 1 > d->cap / 4 ? d->cap * 2 : d->cap;

		if (nc < d->cap || dedup_rebuild(d, nc) != TC_OK)
			return TC_NOMEM;
	}
	for (i = dedup_home(d, flow, h); d->slot[i].h != DEDUP_EMPTY; i = (i + 1) & (d->cap - 1)) {
		if (d->slot[i].h == DEDUP_DEAD) {
			if (put == SIZE_MAX)
				put = i;
			continue;
		}
		if (d->slot[i].h == h && d->slot[i].flow == flow)
			return TC_END;
	}
	if (put == SIZE_MAX)
		put = i;
	else
		d->dead--;
	d->slot[put].flow = flow;
	d->slot[put].h = h;
	d->used++;
	return TC_OK;
}

/* Forget every entry of flow (a seqno): the engine ended it, and the
 * number is never given to another flow, so they can no longer match. */
static void dedup_forget(struct dedup *d, uint64_t flow)
{
	if (d->used == 0)
		return;
	for (size_t i = dedup_home(d, flow, 0); d->slot[i].h != DEDUP_EMPTY;
	     i = (i + 1) & (d->cap - 1)) {
		if (d->slot[i].h != DEDUP_DEAD && d->slot[i].flow == flow) {
			d->slot[i].h = DEDUP_DEAD;
			d->used--;
			d->dead++;
		}
	}
}

/* ---- oracle --------------------------------------------------------------------- */

struct oracle {
	struct oracle_cfg cfg;
	struct oracle_sink sink;
	const char *file;
	struct dedup flow_seen;
	struct engine *eng;
	struct cls *cls;
	/* The latest packet (time, frame, digits): the engine's clock.
	 * It starts at a sentinel below every time, (INT64_MIN, 0), so the
	 * usual packet (time moved forward) needs no flag; have_time is asked
	 * only for a packet stamped exactly the sentinel (see is_latest). */
	struct engine_in latest;
	bool have_time;
	/* Per packet, kept here rather than in oracle_packet's frame: the
	 * engine's input when the packet is not the latest (a packet that is
	 * goes to the engine as latest itself), the engine's result, and the
	 * packet for the rare event path, so that only o lives across the
	 * engine call and oracle_packet needs no stack frame. */
	struct engine_in in;
	struct engine_result res;
	const struct cap_packet *cur_cp;
	const struct pkt *cur_p;
};

enum tc_rc oracle_cfg_from_options(struct tc_options *o, struct oracle_cfg *cfg,
				   char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	if (rules_parse(o->rules, o->have_range, &cfg->rules, err, errlen) != TC_OK)
		return TC_MALFORMED;
	cfg->msl = o->msl;
	cfg->have_range = o->have_range;
	cfg->eph_lo = o->eph_lo;
	cfg->eph_hi = o->eph_hi;
	cfg->min_samples = o->min_samples;
	if (tc_engine_config(o, &cfg->engine) != TC_OK) {
		snprintf(err, errlen, "no random hash key available (use --seed N)");
		return TC_IO;
	}
	o->checksums = rules_need_checksums(&cfg->rules);
	return TC_OK;
}

/* The engine's emit callback: a flow ended, its once-per-flow marks go. */
static void on_flow_end(void *ctx, const struct engine *e, const struct flow *f,
			enum flow_end why)
{
	struct oracle *o = ctx;

	(void)e;
	(void)why;
	dedup_forget(&o->flow_seen, f->seqno);
}

enum tc_rc oracle_new(const struct oracle_cfg *cfg, const struct oracle_sink *sink,
		      const char *file, struct oracle **out)
{
	struct oracle *o = calloc(1, sizeof(*o));
	struct cls_config cc;

	*out = NULL;
	if (o == NULL)
		return TC_NOMEM;
	o->cfg = *cfg;
	o->sink = *sink;
	o->file = file;
	o->latest.ts_sec = INT64_MIN;
	cls_config_default(&cc);
	cc.min_samples = cfg->min_samples;
	cc.key = cfg->engine.hash_key;
	cc.brief = true;             /* host records and findings only */
	if (engine_new(&cfg->engine, on_flow_end, o, &o->eng) != TC_OK ||
	    cls_create(&o->cls, &cc) != TC_OK) {
		oracle_free(o);
		return TC_NOMEM;
	}
	*out = o;
	return TC_OK;
}

void oracle_free(struct oracle *o)
{
	if (o == NULL)
		return;
	dedup_free(&o->flow_seen);
	engine_free(o->eng);
	cls_destroy(o->cls);
	free(o);
}

/* Fill a finding's packet fields from cp and p. */
static void finding_from_packet(struct finding *f, const struct oracle *o,
				const struct cap_packet *cp, const struct pkt *p)
{
	memset(f, 0, sizeof(*f));
	f->file = o->file;
	f->frame = cp->frame;
	f->ts_sec = cp->ts_sec;
	f->ts_nsec = cp->ts_nsec;
	f->ts_digits = cp->ts_digits;
	f->proto = p->l4;
	if (p->have_ip) {
		f->have_ip = true;
		f->ipver = p->ipver;
		memcpy(f->src, p->src, 16);
		memcpy(f->dst, p->dst, 16);
	}
	if (p->have_l4 && (p->l4 == L4_TCP || p->l4 == L4_UDP)) {
		f->have_ports = true;
		f->sport = p->sport;
		f->dport = p->dport;
	}
}

/* The finding of hit h on packet p; reverse: name the tuple from the
 * receiver's side (src = p's dst), for a rule about the connection's
 * initiator when the packet came from the responder. */
static void emit_as(struct oracle *o, const struct cap_packet *cp, const struct pkt *p,
		    const struct rule_hit *h, bool reverse)
{
	struct finding f;

	if (!o->cfg.rules.on[h->rule] || o->sink.finding == NULL)
		return;
	finding_from_packet(&f, o, cp, p);
	if (reverse) {
		uint16_t port = f.sport;

		memcpy(f.src, p->dst, 16);
		memcpy(f.dst, p->src, 16);
		f.sport = f.dport;
		f.dport = port;
	}
	f.rule = h->rule;
	f.severity = rule_info(h->rule)->severity;
	f.transition = h->transition;
	f.message = h->message;
	signature_make(h->rule, h->transition, f.signature);
	o->sink.finding(o->sink.ctx, &f);
}

static void emit(struct oracle *o, const struct cap_packet *cp, const struct pkt *p,
		 const struct rule_hit *h)
{
	emit_as(o, cp, p, h, false);
}

/* Has (rule, transition, flow fl of p, occasion) been reported in this
 * file? Marks it. fl is the engine's flow of p, NULL when it tracks none
 * (the tuple alone is the key then); occasion tells apart findings of one
 * flow that are not repeats (0 for the once-per-flow rules). */
static bool is_flow_repeat(struct oracle *o, const struct pkt *p, const struct rule_hit *h,
			   const struct flow *fl, uint64_t occasion)
{
	uint8_t key[1 + 1 + 1 + 2 * (16 + 2) + 1 + 8 + 8 + HIT_TRANSITION_MAX];
	const uint8_t *a = p->src, *b = p->dst;
	uint16_t pa = p->sport, pb = p->dport;
	size_t n = 0, tl = strlen(h->transition);
	int c = memcmp(a, b, 16);
	uint64_t id = fl != NULL ? fl->seqno : 0;

	if (c > 0 || (c == 0 && pa > pb)) {   /* canonical: lower endpoint first */
		a = p->dst; b = p->src;
		pa = p->dport; pb = p->sport;
	}
	key[n++] = (uint8_t)h->rule;
	key[n++] = (uint8_t)p->l4;
	key[n++] = p->ipver;
	memcpy(key + n, a, 16); n += 16;
	key[n++] = (uint8_t)(pa >> 8); key[n++] = (uint8_t)pa;
	memcpy(key + n, b, 16); n += 16;
	key[n++] = (uint8_t)(pb >> 8); key[n++] = (uint8_t)pb;
	key[n++] = fl != NULL;
	for (int i = 0; i < 8; i++)
		key[n++] = (uint8_t)(id >> (8 * i));
	for (int i = 0; i < 8; i++)
		key[n++] = (uint8_t)(occasion >> (8 * i));
	memcpy(key + n, h->transition, tl); n += tl;
	/* Out of memory: report again rather than lose a finding. */
	return dedup_add(&o->flow_seen, fl != NULL ? fl->seqno : DEDUP_NO_FLOW,
			 siphash24(&o->cfg.engine.hash_key, key, n)) == TC_END;
}

/* emit_as, once per flow fl (see is_flow_repeat). */
static void emit_once_per_flow_as(struct oracle *o, const struct cap_packet *cp,
				  const struct pkt *p, const struct rule_hit *h,
				  const struct flow *fl, bool reverse)
{
	if (!o->cfg.rules.on[h->rule] || is_flow_repeat(o, p, h, fl, 0))
		return;
	emit_as(o, cp, p, h, reverse);
}

static void emit_once_per_flow(struct oracle *o, const struct cap_packet *cp,
			       const struct pkt *p, const struct rule_hit *h,
			       const struct flow *fl)
{
	emit_once_per_flow_as(o, cp, p, h, fl, false);
}

/* emit_once_per_flow for a rule about the initiator: the finding names
 * the connection from the initiator's side, as its flow record does
 * (src, sport = the initiator's), also when the packet that opened the
 * flow is the responder's SYN+ACK (dir FLOW_DIR_RESP); the frame is still
 * that packet's. */
static void emit_initiator(struct oracle *o, const struct cap_packet *cp,
			   const struct pkt *p, const struct rule_hit *h,
			   const struct flow *fl, enum flow_dir dir)
{
	emit_once_per_flow_as(o, cp, p, h, fl, dir == FLOW_DIR_RESP);
}

/* ---- engine events ---------------------------------------------------------------- */

/* The facts of the tuple rules: the SYN p and what the engine knew of the
 * connection before it (pv). */
static void reuse_facts_of(const struct pkt *p, const struct engine_prev *pv,
			   struct reuse_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->prev = pv->how;
	f->prev_state = tcp_state_name((enum tcp_st)pv->sender_state);
	f->same_direction = pv->sender_was_orig;
	f->elapsed_ns = pv->since_close_ns > 0 ? (uint64_t)pv->since_close_ns : 0;
	f->elapsed_clamped = pv->close_after_syn;
	f->elapsed_unknown = pv->no_close_time;
	f->isn = p->seq;
	f->isn_is_old = p->seq == pv->old_isn;
	f->have_final_seq = pv->have_final_seq[0];
	f->final_seq = pv->final_seq[0];
	f->syn_has_ts = p->opt.has_ts;
	f->syn_ts = p->opt.ts_val;
	f->prev_has_ts = pv->have_tsval[0];
	f->prev_ts = pv->last_tsval[0];
}

/* A SYN without ACK replaced the tuple's previous incarnation; the engine
 * says how that one ended and what state and role its sender had there. */
static void on_new_incarnation(struct oracle *o, const struct cap_packet *cp,
			       const struct pkt *p, const struct engine_result *res)
{
	struct reuse_facts f;
	struct rule_hit h;

	reuse_facts_of(p, &res->prev, &f);
	if (rule_duplicate_live(&f, &h))
		emit(o, cp, p, &h);
	if (rule_reuse_time_wait(&f, o->cfg.msl, &h))
		emit(o, cp, p, &h);
}

/* A SYN repeating the ISN of a connection that a FIN exchange closed: the
 * engine keeps it in that flow (one stream, as Wireshark's tcp.stream), but
 * it opens the tuple again like a new incarnation, and its ISN is not
 * above the old final sequence number (RFC 1122 4.2.2.13): judged as one.
 * Once per close of the flow: the SYN's own retransmissions are the same
 * attempt. */
static void on_syn_after_fin(struct oracle *o, const struct cap_packet *cp,
			     const struct pkt *p, const struct engine_result *res)
{
	struct reuse_facts f;
	struct rule_hit h;

	reuse_facts_of(p, &res->prev, &f);
	if (rule_reuse_time_wait(&f, o->cfg.msl, &h) && o->cfg.rules.on[h.rule] &&
	    !is_flow_repeat(o, p, &h, res->flow, (uint64_t)res->flow->close_ns))
		emit(o, cp, p, &h);
}

/* A connection was opened: its initiator's port rules and the classifier.
 * dir: the packet's direction in the flow (FLOW_DIR_RESP for a SYN+ACK
 * that started it). */
static void on_initiator(struct oracle *o, const struct cap_packet *cp, const struct pkt *p,
			 const struct flow *fl, enum flow_dir dir)
{
	bool is_tcp = flow_is_tcp(fl);
	uint16_t sport = flow_port(fl, FLOW_DIR_ORIG);
	struct rule_hit h;
	struct cls_conn cc;

	if (port_privileged_fires(is_tcp, sport) && rule_port_privileged(is_tcp, sport, &h))
		emit_initiator(o, cp, p, &h, fl, dir);
	/* a UDP "initiator" sending from a server port to a client's port is a
	 * reply whose query was not captured, and one between service ports
	 * (DHCP 68 -> 67, NTP 123 -> 123, IKE 500 -> 500) uses the port its
	 * protocol fixes: neither is a client's choice of port (classify.h) */
	if (o->cfg.have_range && (is_tcp || !cls_not_a_choice(sport, flow_port(fl, FLOW_DIR_RESP))) &&
	    rule_port_ephemeral(is_tcp, sport, o->cfg.eph_lo, o->cfg.eph_hi, &h))
		emit_initiator(o, cp, p, &h, fl, dir);

	memset(&cc, 0, sizeof(cc));
	cc.ts_sec = cp->ts_sec;
	cc.ts_nsec = cp->ts_nsec;
	cc.ts_digits = cp->ts_digits;
	cc.frame = cp->frame;
	cc.ipver = fl->h.key.ipver;
	cc.proto = fl->h.key.proto;
	memcpy(cc.src, flow_addr(fl, FLOW_DIR_ORIG), 16);
	memcpy(cc.dst, flow_addr(fl, FLOW_DIR_RESP), 16);
	cc.sport = sport;
	cc.dport = flow_port(fl, FLOW_DIR_RESP);
	/* A full host table or no memory leaves the host unclassified; the
	 * classifier counts what it refused (cls_dropped). A UDP flow of a
	 * socket already sampled (its tuple re-created after the idle
	 * timeout) is no new choice of port: cls_add_once refuses it. */
	(void)cls_add_once(o->cls, &cc);
}

/* Out of the per-packet path: its callers below are rare (a decode error,
 * a port 0, suspicious flags, a flow event), and kept apart they do not
 * widen the common path's stack frame or register use. */
#if defined(__GNUC__)
#define RARE __attribute__((noinline, cold))
#else
#define RARE
#endif

/* Findings of the decoder's errors, once per packet. */
RARE static void decode_findings(struct oracle *o, const struct cap_packet *cp,
				 const struct pkt *p)
{
	struct rule_hit hits[PKT_MAX_ERRORS];
	unsigned n = rules_decode_errors(p, hits, PKT_MAX_ERRORS);

	for (unsigned i = 0; i < n; i++)
		emit(o, cp, p, &hits[i]);
}

/* port.zero and tcp.invalid-flags, once per flow, for the packet and
 * engine result kept in o (called when a port is 0 or tcp_flags_suspect). */
RARE static void header_findings(struct oracle *o)
{
	const struct cap_packet *cp = o->cur_cp;
	const struct pkt *p = o->cur_p;
	struct rule_hit h;

	if (rule_port_zero(p, &h))
		emit_once_per_flow(o, cp, p, &h, o->res.flow);
	if (p->l4 == L4_TCP && tcp_flags_invalid(p->flags) && rule_tcp_invalid_flags(p, &h))
		emit_once_per_flow(o, cp, p, &h, o->res.flow);
}

/* The rules of the engine's events: a new incarnation, a created flow, a
 * RST outside the window, a connection opened by an initiator, for the
 * packet and result kept in o. Called for a packet whose result says
 * created, new_incarnation or a RST outside the window; a result without a
 * flow (the engine refused the packet: by its contract flow is NULL unless
 * TC_OK) has nothing to judge. */
RARE static void engine_events(struct oracle *o)
{
	const struct cap_packet *cp = o->cur_cp;
	const struct pkt *p = o->cur_p;
	const struct engine_result *res = &o->res;
	struct rule_hit h;
	bool is_tcp = p->l4 == L4_TCP;
	bool probe = is_tcp && tcp_flags_suspect(p->flags) && tcp_flags_invalid(p->flags);

	if (res->flow == NULL)
		return;
	if (res->new_incarnation)
		on_new_incarnation(o, cp, p, res);
	else if (res->syn_retransmit && res->prev.how == PREV_FIN)
		on_syn_after_fin(o, cp, p, res);
	/* A probe with impossible flags (a scanner's null, FIN, SYN+FIN or
	 * SYN+ACK+RST packet) is tcp.invalid-flags' finding; it is not
	 * traffic of a connection whose handshake was missed, so it does not
	 * also count as mid-stream. */
	if (res->created && is_tcp && midstream_fires(p->flags) && !probe &&
	    rule_midstream(p->flags, &h))
		emit_once_per_flow(o, cp, p, &h, res->flow);
	if (is_tcp && res->rst.verdict == RST_OUT_OF_WINDOW) {
		struct rst_facts rf = {
			tcp_state_name(flow_tcp_state(res->flow, res->dir ^ 1u)), p->seq, &res->rst
		};

		if (rule_rst_out_of_window(&rf, &h))
			emit(o, cp, p, &h);
	}
	/* Whoever opened the connection: known unless it was picked up
	 * mid-stream, or the flow's first packet is such a probe, which opens
	 * no connection: neither its sender nor its receiver (the engine's
	 * originator when a SYN+ACK carries FIN or RST besides) is an
	 * initiator, for the port rules and the host classifier alike. */
	if ((res->created || res->new_incarnation) && !res->midstream && !probe)
		on_initiator(o, cp, p, res->flow, res->dir);
}

/* Is a packet at (sec, nsec) the new latest? Later than the latest, or the
 * very first packet when it is stamped exactly the starting sentinel
 * (INT64_MIN, 0). The same second is asked first: the usual case of a
 * capture of some packet rate. */
static inline bool is_latest(struct oracle *o, int64_t sec, uint32_t nsec)
{
	if (__builtin_expect(sec == o->latest.ts_sec, 1)) {
		if (nsec > o->latest.ts_nsec)
			return true;
		if (!o->have_time && sec == INT64_MIN && nsec == 0) {
			o->have_time = true;
			return true;
		}
		return false;
	}
	return sec > o->latest.ts_sec;
}

/* The latest-time bookkeeping alone, for a packet the engine does not see. */
static inline void latest_time(struct oracle *o, const struct cap_packet *cp)
{
	if (is_latest(o, cp->ts_sec, cp->ts_nsec)) {
		o->latest.frame = cp->frame;
		o->latest.ts_sec = cp->ts_sec;
		o->latest.ts_nsec = cp->ts_nsec;
		o->latest.ts_digits = cp->ts_digits;
	}
}

/* oracle_packet's body, inlined into it and into oracle_packet_cb. */
static inline __attribute__((always_inline)) void
packet_body(struct oracle *o, const struct cap_packet *cp, const struct pkt *p)
{
	struct engine_in *in;
	int64_t sec;
	uint32_t nsec;

	/* Kept in o for the rare paths, which read them back from there: so
	 * o is the only value that has to survive a call (one saved register,
	 * no stack frame on the common path). */
	o->cur_cp = cp;
	o->cur_p = p;
	if (p->n_err) {              /* most packets decode cleanly */
		decode_findings(o, cp, p);
		cp = o->cur_cp;
		p = o->cur_p;
	}
	if (!p->have_l4 || (p->l4 != L4_TCP && p->l4 != L4_UDP)) {
		latest_time(o, cp);
		return;
	}

	/* The latest packet time goes where the engine reads its input: the
	 * usual packet (time moved forward) is the latest and is copied once. */
	sec = cp->ts_sec;
	nsec = cp->ts_nsec;
	in = is_latest(o, sec, nsec) ? &o->latest : &o->in;
	in->frame = cp->frame;
	in->ts_sec = sec;
	in->ts_nsec = nsec;
	in->ts_digits = cp->ts_digits;
	in->no_ts = (cp->flags & CAP_F_NO_TS) != 0;

	(void)engine_packet(o->eng, p, in, &o->res);
	/* The rules of one header, after the engine so that "once per flow"
	 * knows the flow; each is asked only when its finding is possible at
	 * all (a port 0, suspicious TCP flags). */
	p = o->cur_p;
	if (p->sport == 0 || p->dport == 0 || (p->l4 == L4_TCP && tcp_flags_suspect(p->flags)))
		header_findings(o);
	/* anything for the rules to judge? (a UDP result never has a RST
	 * verdict, engine.h; engine_events asks for the flow) */
	if (o->res.created || o->res.new_incarnation || o->res.syn_retransmit ||
	    o->res.rst.verdict == RST_OUT_OF_WINDOW)
		engine_events(o);
}

void oracle_packet(struct oracle *o, const struct cap_packet *cp, const struct pkt *p)
{
	packet_body(o, cp, p);
}

/* Its own copy of the body (gcc would otherwise fold it into a jump to
 * oracle_packet, the identical function): the replay path's entry. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((no_icf))
#endif
void oracle_packet_cb(void *o, const struct cap_packet *cp, struct pkt *p)
{
	packet_body(o, cp, p);
}

void oracle_latest(const struct oracle *o, int64_t *ts_sec, uint32_t *ts_nsec,
		   uint8_t *ts_digits)
{
	*ts_sec = o->latest.ts_sec;
	*ts_nsec = o->latest.ts_nsec;
	*ts_digits = o->latest.ts_digits;
}

size_t oracle_marks(const struct oracle *o)
{
	return o->flow_seen.used;
}

void *oracle_sink_ctx(const struct oracle *o)
{
	return o->sink.ctx;
}

uint64_t oracle_advance(struct oracle *o, int64_t ts_sec, uint32_t ts_nsec, uint64_t limit)
{
	engine_advance(o->eng, ts_sec, ts_nsec);
	return engine_expire(o->eng, limit);
}

/* ---- end of file: hosts ---------------------------------------------------------------- */

static void emit_host(struct oracle *o, const struct cls_host_result *hr, enum rule_id r,
		      uint8_t proto, const struct cls_evidence *ev, const char *transition,
		      const char *message)
{
	struct finding f;

	if (!o->cfg.rules.on[r] || o->sink.finding == NULL)
		return;
	memset(&f, 0, sizeof(f));
	f.rule = r;
	f.severity = rule_info(r)->severity;
	f.file = o->file;
	/* the first evidence frame, and its time with that frame's own
	 * precision (a host verdict is only known at the end of the file, but
	 * it points at what supports it; pcapng interfaces may differ in
	 * if_tsresol, so the latest packet's digits could cut it) */
	f.frame = ev->n > 0 ? ev->frame[0] : 0;
	f.ts_sec = ev->n > 0 ? ev->ts_sec[0] : o->latest.ts_sec;
	f.ts_nsec = ev->n > 0 ? ev->ts_nsec[0] : o->latest.ts_nsec;
	f.ts_digits = ev->n > 0 ? ev->ts_digits[0] : o->latest.ts_digits;
	if (f.ts_digits == 0)
		f.ts_digits = 6;
	f.proto = proto == 17 ? L4_UDP : L4_TCP;
	f.ipver = hr->ipver;
	f.is_host = true;
	memcpy(f.host, hr->addr, 16);
	f.frames = ev->frame;
	f.n_frames = ev->n;
	f.transition = transition;
	f.message = message;
	signature_make(r, transition, f.signature);
	o->sink.finding(o->sink.ctx, &f);
}

static void host_findings(struct oracle *o, const struct cls_host_result *hr)
{
	const struct cls_stream_result *st[2] = { &hr->tcp, &hr->udp };
	char msg[HIT_MESSAGE_MAX];

	for (int i = 0; i < 2; i++) {
		const char *proto = i == 0 ? "tcp" : "udp";

		if (!st[i]->port_sequential)
			continue;
		snprintf(msg, sizeof(msg),
			 "%s source ports of %" PRIu64 " connections to different destinations follow a "
			 "counter (most common step %+d, %.0f%% of steps): predictable, RFC 6056 asks "
			 "for obfuscated selection", i == 0 ? "TCP" : "UDP", st[i]->connections,
			 (int)st[i]->f.cross_mode, 100.0 * st[i]->f.cross_mode_share);
		emit_host(o, hr, R_PORT_SEQUENTIAL, st[i]->proto, &st[i]->evidence, proto, msg);
	}
	if (hr->udp.port_fixed) {
		snprintf(msg, sizeof(msg),
			 "UDP source port %u is used towards %u or more distinct destination endpoints",
			 hr->udp.fixed_port, (unsigned)CLS_FIXED_ENDPOINTS);
		emit_host(o, hr, R_PORT_FIXED, 17, &hr->udp.fixed_evidence, "udp|one-port-many-endpoints",
			  msg);
	}
}

void oracle_finish(struct oracle *o, struct summary *s)
{
	const struct engine_stats *es = engine_stats(o->eng);
	struct cls_host_result hr, *kept = NULL;
	bool *have = NULL;
	size_t n = cls_host_count(o->cls);

	s->have_flows = true;
	s->flows = es->created;
	s->evicted = es->evicted;
	s->unclassified = cls_dropped(o->cls);
	/* Each host's verdict (the classifier sorts all its samples) is worked
	 * out once and kept for the host records, which come after every
	 * finding; 1.4 KiB a host, less than the samples it was judged on.
	 * Without memory for that, the records pass asks again. */
	if (o->sink.host != NULL && n > 0) {
		kept = malloc(n * sizeof(*kept));
		have = calloc(n, sizeof(*have));
		if (kept == NULL || have == NULL) {
			free(kept);
			free(have);
			kept = NULL;
			have = NULL;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct cls_host_result *r = kept != NULL ? &kept[i] : &hr;

		if (cls_host_result(o->cls, i, r) == TC_OK) {
			if (have != NULL)
				have[i] = true;
			host_findings(o, r);
		}
	}
	for (size_t i = 0; o->sink.host != NULL && i < n; i++) {
		struct host_record rec;
		const struct cls_host_result *r = &hr;

		if (have != NULL && have[i])
			r = &kept[i];
		else if (cls_host_result(o->cls, i, &hr) != TC_OK)
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.file = o->file;
		rec.ipver = r->ipver;
		memcpy(rec.addr, r->addr, 16);
		rec.connections = r->connections;
		rec.distinct_ports = r->distinct_ports;
		rec.min_port = r->min_port;
		rec.max_port = r->max_port;
		rec.port_selection = port_class_name(r->cls);
		rec.detail = r;
		o->sink.host(o->sink.ctx, &rec);
	}
	free(kept);
	free(have);
}
