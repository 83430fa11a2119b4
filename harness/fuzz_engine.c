/*
 * fuzz_engine.c - fuzz target: a packet script (engine_script.h) through
 * the decoder, the connection engine and the replay oracle, with the
 * invariants of each checked after every packet.
 *
 * Each record becomes a raw IP frame (es_play) with a time from the
 * script's virtual clock, so TIME_WAIT, idle timeouts and out-of-order
 * capture times are fuzzed deterministically (lwIP's approach). The frame
 * goes three ways:
 *  1. decode_packet: a frame we built ourselves must decode cleanly to
 *     exactly the fields we put in (a second, independent encoder in
 *     lockstep with the decoder), with checksums that verify;
 *  2. our own engine (engine_new), run in lockstep with a deliberately
 *     simple reference model: an array of the live tuples in order of last
 *     activity, searched linearly. From SPEC's flow rules alone (timeouts,
 *     2*MSL after a close, Wireshark's base sequence numbers for new
 *     incarnations, the --max-flows cap with least-recently-active
 *     eviction, twelve reaps per packet in order of expiry time across the
 *     lists, a flush that first expires what has timed out and then ends
 *     the rest in order of creation) the
 *     model predicts for every packet exactly which flows end and why, in
 *     which order, whether the packet creates a flow or joins one, the
 *     flow's sequence and stream numbers and direction, and after a
 *     clock-only record exactly what engine_expire ends. The only facts it
 *     takes from the engine are Zeek's endpoint states (zeekconn has its own
 *     tests), from which it follows orig/resp byte counts by sequence
 *     number (m_reach), and whether a TCP connection is closed (the TCP
 *     state machine has its own tests and its own target); how a replaced
 *     connection had ended is checked against the FINs and ACKs the model
 *     saw (m_check_prev). Every 64
 *     packets, at every clock-only record and at the end, the engine's live
 *     set (engine_foreach) must equal the model's, list by list in the same
 *     order, with no two live entries on one tuple. Conservation: the
 *     packets counted in the flows that ended add up to the packets the
 *     engine accepted; created = live + expired + evicted + replaced +
 *     flushed.
 *  3. the oracle (oracle_new), with its own engine under another hash key:
 *     its findings go through oraclecheck.c, with expectations taken from
 *     our engine's result (tuple.duplicate-live exactly on a new
 *     incarnation of an open connection, tcp.rst-out-of-window exactly on
 *     a RST the engine judged outside the window, the initiator port rules
 *     exactly when the initiator's port calls for them, tcp.midstream
 *     exactly for a flow created by anything but a SYN without ACK; neither
 *     for a flow whose first packet has tcp.invalid-flags' flags, a probe
 *     that opens no connection), and at the end the flows
 *     and evictions it counted must equal ours: the output must not depend
 *     on the hash key. A clock-only record moves both clocks and reaps both
 *     engines the same way (engine_expire, oracle_advance), so the checks
 *     stay on for the whole script.
 *
 * Allocation failures (failalloc.h): one input in 8, chosen by a hash of
 * the input, runs our engine with allocations failing at a rate also taken
 * from the hash. A failure must show as TC_NOMEM from engine_new or
 * engine_packet (counted in stats.nomem) or as one extra eviction of the
 * model's least recently active flow, never as anything else; the
 * model follows what the engine reports, and every block the engine
 * allocated is freed by engine_free (allocation balance, on every build).
 * After a failure changed the engine's course, the engine-versus-oracle
 * comparisons stop for that input (the oracle never fails).
 */
#include <stdlib.h>
#include <string.h>

#include "engine_script.h"
#include "failalloc.h"
#include "fuzz.h"
#include "fuzz_assert.h"
#include "mutator.h"
#include "oracle.h"
#include "oraclecheck.h"
#include "pktcheck.h"

/* Records per input. max_len (mk/fuzz.mk) is 16 KiB, so a libFuzzer input
 * holds at most ~16000 one-byte records; the cap keeps AFL's larger inputs
 * and the model's linear scans (O(live flows) per packet) within
 * milliseconds. 2048 packets still fill and churn every flow cap. */
#define MAX_RECORDS 2048
/* Flows per reap on a clock-only record: engine_expire's bound on work. */
#define EXPIRE_LIMIT 64
/* engine.c: flows the per-packet reaper may end in one pass. */
#define REAP_PER_PASS 12
/* Flows one engine call may end: REAP_PER_PASS, the packet's own
 * (expired or replaced) and one eviction; EXPIRE_LIMIT on a clock-only
 * record. */
#define MAX_EMITS EXPIRE_LIMIT
/* The live set is compared in full every this many packets. */
#define FULL_CHECK_EVERY 64

/* Activity classes: engine.c's lists, in the order it walks them. */
enum { C_UDP = 0, C_TCP_OPEN = 1, C_TCP_CLOSED = 2 };

/* The reference model's flow: one live tuple. */
struct mflow {
	uint8_t proto, ipver;
	uint8_t a[16], b[16];          /* a: initiator (orig), b: responder */
	uint16_t pa, pb;
	uint64_t seqno, stream;
	uint64_t pkts[2], bytes[2];    /* by direction: [0] from a, [1] from b;
					  bytes: UDP payload, TCP the sequence
					  reach (m_reach) */
	uint8_t zst[2], zprev[2];      /* Zeek endpoint states after the last packet */
	bool at_start[2];              /* Zeek's last_seq still start + 1 */
	uint64_t last_frame;
	int64_t last_ns;               /* model clock at its last packet */
	bool closed;                   /* TCP: the engine's verdict (tcp.end) */
	bool base[2], syn[2];          /* by direction: base sequence known, sent a SYN */
	bool fin[2], acked[2];         /* by direction: sent a FIN / an ACK, without RST */
	bool ack_any;                  /* some segment carried ACK, RSTs included */
	uint32_t isn[2];
};

struct emitted {
	uint64_t seqno;
	enum flow_end why;
};

struct run {
	struct es_config cfg;
	struct engine *eng;
	struct oracle *o;
	struct fcheck fc;
	/* the model: live flows, least recently active first */
	struct mflow *fl;
	size_t n, cap;
	int64_t now;                   /* model clock, ns since ES_START_SEC */
	uint64_t created, created_tcp, created_udp;
	uint64_t ended[4];             /* by enum flow_end */
	uint64_t accepted, dropped;    /* packets the engine took / refused (no memory) */
	uint64_t ended_pkts;           /* packets counted in flows that ended */
	/* what the engine emitted during the current call; engine_flush ends
	 * every live flow, so the array grows to the live count */
	struct emitted *em;
	size_t em_cap;
	unsigned n_em;
	bool in_call, in_flush;
	bool inject;                   /* allocation failures armed for our engine */
	bool diverged;                 /* a failure changed our engine's course */
	uint64_t frame, packets;
	uint64_t pkt_flow;             /* seqno of the current packet's flow */
};

static uint64_t st_inputs, st_records, st_packets, st_tcp, st_udp, st_flows, st_incarnations,
	st_expired, st_evicted, st_midstream, st_rst_oow, st_findings, st_compared, st_injected,
	st_nomem, st_advances, st_full_checks;

static uint64_t st_rules[R__COUNT];
static const struct siphash_key key_ours = { 0x1111111111111111ull, 0x2222222222222222ull };
static const struct siphash_key key_oracle = { 0x3333333333333333ull, 0x4444444444444444ull };
static const char file_name[] = "<fuzz_engine input>";

/* ---- the reference model ----------------------------------------------------- */

static int klass(const struct mflow *m)
{
	if (m->proto == 17)
		return C_UDP;
	return m->closed ? C_TCP_CLOSED : C_TCP_OPEN;
}

static int64_t timeout_ns(const struct run *run, const struct mflow *m)
{
	int64_t sec = m->proto == 17 ? run->cfg.udp_idle_sec
				     : m->closed ? 2 * (int64_t)run->cfg.msl_sec : run->cfg.tcp_idle_sec;

	return sec * 1000000000;
}

static bool m_expired(const struct run *run, const struct mflow *m)
{
	return run->now - m->last_ns >= timeout_ns(run, m);
}

/* The live flow of a packet's tuple and the packet's direction in it. */
static struct mflow *m_find(struct run *run, uint8_t proto, const struct pkt *p, unsigned *dir)
{
	for (size_t i = 0; i < run->n; i++) {
		struct mflow *m = &run->fl[i];

		if (m->proto != proto || m->ipver != p->ipver)
			continue;
		if (m->pa == p->sport && m->pb == p->dport && memcmp(m->a, p->src, 16) == 0 &&
		    memcmp(m->b, p->dst, 16) == 0) {
			*dir = 0;
			return m;
		}
		if (m->pb == p->sport && m->pa == p->dport && memcmp(m->b, p->src, 16) == 0 &&
		    memcmp(m->a, p->dst, 16) == 0) {
			*dir = 1;
			return m;
		}
	}
	return NULL;
}

static struct mflow *m_by_seqno(struct run *run, uint64_t seqno)
{
	for (size_t i = 0; i < run->n; i++)
		if (run->fl[i].seqno == seqno)
			return &run->fl[i];
	return NULL;
}

static void m_remove(struct run *run, struct mflow *m)
{
	size_t i = (size_t)(m - run->fl);

	memmove(&run->fl[i], &run->fl[i + 1], (run->n - i - 1) * sizeof(*m));
	run->n--;
}

/* Move m to the most recently active end; returns its new address. */
static struct mflow *m_touch(struct run *run, struct mflow *m)
{
	struct mflow tmp = *m;

	m_remove(run, m);
	run->fl[run->n++] = tmp;
	return &run->fl[run->n - 1];
}

static bool planned(const struct emitted *e, unsigned n, uint64_t seqno)
{
	for (unsigned i = 0; i < n; i++)
		if (e[i].seqno == seqno)
			return true;
	return false;
}

/* The flows engine_expire(limit), the per-packet reaper (limit
 * REAP_PER_PASS) or engine_flush's first step ends: up to limit expired
 * flows, earliest expiry time (last activity + its class's timeout) first,
 * ties to the lower class. Each class's flows expire in order of activity
 * (times only grow and a class has one timeout), so the candidates are the
 * first flow of each class not yet chosen. */
static unsigned m_reap(struct run *run, uint64_t limit, struct emitted *out)
{
	unsigned n = 0;

	while (n < limit) {
		const struct mflow *best = NULL;
		int64_t best_at = 0;

		for (int c = C_UDP; c <= C_TCP_CLOSED; c++) {
			for (size_t i = 0; i < run->n; i++) {
				const struct mflow *m = &run->fl[i];
				int64_t at;

				if (klass(m) != c || planned(out, n, m->seqno))
					continue;
				at = m->last_ns + timeout_ns(run, m);
				if (m_expired(run, m) && (best == NULL || at < best_at)) {
					best = m;
					best_at = at;
				}
				break;
			}
		}
		if (best == NULL)
			break;
		out[n].seqno = best->seqno;
		out[n].why = FLOW_END_EXPIRED;
		n++;
	}
	return n;
}

/* The least recently active flow not in e[0..n): the eviction victim. */
static const struct mflow *m_victim(const struct run *run, const struct emitted *e, unsigned n)
{
	for (size_t i = 0; i < run->n; i++)
		if (!planned(e, n, run->fl[i].seqno))
			return &run->fl[i];
	return NULL;
}

static void check_emitted(const struct run *run, const struct emitted *want, unsigned n_want,
			  const char *what)
{
	FUZZ_CHECK(run->n_em == n_want, "%s: the engine ended %u flows, the model expected %u "
		   "(first: engine %llu %s, model %llu %s)", what, run->n_em, n_want,
		   run->n_em ? (unsigned long long)run->em[0].seqno : 0ull,
		   run->n_em ? flow_end_name(run->em[0].why) : "-",
		   n_want ? (unsigned long long)want[0].seqno : 0ull,
		   n_want ? flow_end_name(want[0].why) : "-");
	for (unsigned i = 0; i < n_want; i++)
		FUZZ_CHECK(run->em[i].seqno == want[i].seqno && run->em[i].why == want[i].why,
			   "%s: end %u is flow %llu %s, the model expected flow %llu %s", what, i,
			   (unsigned long long)run->em[i].seqno, flow_end_name(run->em[i].why),
			   (unsigned long long)want[i].seqno, flow_end_name(want[i].why));
}

/* Drop the flows the engine ended from the model. */
static void m_apply_ends(struct run *run)
{
	for (unsigned i = 0; i < run->n_em; i++) {
		struct mflow *m = m_by_seqno(run, run->em[i].seqno);

		FUZZ_CHECK(m != NULL, "flow %llu ended but the model has it dead",
			   (unsigned long long)run->em[i].seqno);
		m_remove(run, m);
	}
}

/* ---- the engine's view checked against the model --------------------------- */

static void on_emit(void *ctx, const struct engine *e, const struct flow *f, enum flow_end why)
{
	struct run *run = ctx;
	struct mflow *m = m_by_seqno(run, f->seqno);

	(void)e;
	FUZZ_CHECK((unsigned)why < 4, "emit reason %d", (int)why);
	FUZZ_CHECK(run->in_call, "flow %llu emitted outside an engine call", (unsigned long long)f->seqno);
	FUZZ_CHECK(run->n_em < run->em_cap, "more than %zu flows ended in one engine call",
		   run->em_cap);
	FUZZ_CHECK(m != NULL, "flow %llu emitted (%s) but not live in the model: emitted twice "
		   "or never created", (unsigned long long)f->seqno, flow_end_name(why));
	FUZZ_CHECK(!planned(run->em, run->n_em, f->seqno), "flow %llu emitted twice in one call",
		   (unsigned long long)f->seqno);
	/* the model keeps counters by direction from its initiator a */
	FUZZ_CHECK(f->pkts[0] == m->pkts[0] && f->pkts[1] == m->pkts[1] &&
		   f->bytes[0] == m->bytes[0] && f->bytes[1] == m->bytes[1],
		   "flow %llu emitted with %llu/%llu pkts %llu/%llu bytes, model %llu/%llu, %llu/%llu",
		   (unsigned long long)f->seqno, (unsigned long long)f->pkts[0],
		   (unsigned long long)f->pkts[1], (unsigned long long)f->bytes[0],
		   (unsigned long long)f->bytes[1], (unsigned long long)m->pkts[0],
		   (unsigned long long)m->pkts[1], (unsigned long long)m->bytes[0],
		   (unsigned long long)m->bytes[1]);
	FUZZ_CHECK(why != FLOW_END_FLUSHED || run->in_flush, "FLUSHED outside engine_flush");
	FUZZ_CHECK(why == FLOW_END_FLUSHED || why == FLOW_END_EXPIRED || !run->in_flush,
		   "%s during engine_flush", flow_end_name(why));
	run->em[run->n_em].seqno = f->seqno;
	run->em[run->n_em].why = why;
	run->n_em++;
	run->ended[why]++;
	run->ended_pkts += f->pkts[0] + f->pkts[1];
}

static void check_stats(struct run *run)
{
	const struct engine_stats *st = engine_stats(run->eng);

	FUZZ_CHECK(st->created == st->live + st->expired + st->evicted + st->incarnations + st->flushed,
		   "created %llu != live %llu + expired %llu + evicted %llu + replaced %llu + flushed %llu",
		   (unsigned long long)st->created, (unsigned long long)st->live,
		   (unsigned long long)st->expired, (unsigned long long)st->evicted,
		   (unsigned long long)st->incarnations, (unsigned long long)st->flushed);
	FUZZ_CHECK(st->created == run->created && st->created_tcp == run->created_tcp &&
		   st->created_udp == run->created_udp,
		   "created %llu (tcp %llu udp %llu), model %llu (%llu %llu)",
		   (unsigned long long)st->created, (unsigned long long)st->created_tcp,
		   (unsigned long long)st->created_udp, (unsigned long long)run->created,
		   (unsigned long long)run->created_tcp, (unsigned long long)run->created_udp);
	FUZZ_CHECK(st->live == run->n, "live %llu, model %zu", (unsigned long long)st->live, run->n);
	FUZZ_CHECK(st->expired == run->ended[FLOW_END_EXPIRED] &&
		   st->evicted == run->ended[FLOW_END_EVICTED] &&
		   st->incarnations == run->ended[FLOW_END_REPLACED] &&
		   st->flushed == run->ended[FLOW_END_FLUSHED],
		   "end counters disagree with the flows emitted");
	FUZZ_CHECK(run->cfg.max_flows == 0 || st->live <= run->cfg.max_flows,
		   "%llu live flows, cap %llu", (unsigned long long)st->live,
		   (unsigned long long)run->cfg.max_flows);
	FUZZ_CHECK(st->max_live >= st->live, "max_live %llu < live %llu",
		   (unsigned long long)st->max_live, (unsigned long long)st->live);
	FUZZ_CHECK(st->nomem == run->dropped, "engine dropped %llu packets for lack of memory, "
		   "%llu refusals seen", (unsigned long long)st->nomem, (unsigned long long)run->dropped);
	FUZZ_CHECK(st->packets == run->accepted + run->dropped && st->untracked == 0,
		   "engine counted %llu packets (%llu untracked), %llu were given",
		   (unsigned long long)st->packets, (unsigned long long)st->untracked,
		   (unsigned long long)(run->accepted + run->dropped));
}

/* engine_foreach collects what it visits. */
struct live_list {
	const struct flow **f;
	size_t n, cap;
	bool overflow;
};

static void collect_live(void *ctx, const struct flow *f)
{
	struct live_list *l = ctx;

	if (l->n == l->cap) {
		l->overflow = true;
		return;
	}
	l->f[l->n++] = f;
}

static int key_cmp(const void *x, const void *y)
{
	const struct flow *a = *(const struct flow *const *)x, *b = *(const struct flow *const *)y;

	return memcmp(&a->h.key, &b->h.key, FT_KEY_BYTES);
}

/* The engine's live set against the model's, list by list in order of
 * activity, and no two live entries on one tuple. O(n log n). */
static void check_live_set(struct run *run)
{
	struct live_list l = { NULL, 0, run->n, false };
	size_t k = 0;

	st_full_checks++;
	l.f = malloc((run->n ? run->n : 1) * sizeof(*l.f));
	FUZZ_CHECK(l.f != NULL, "out of memory for the live list");
	engine_foreach(run->eng, collect_live, &l);
	FUZZ_CHECK(!l.overflow && l.n == run->n, "engine_foreach visits %s%zu flows, the model has %zu",
		   l.overflow ? "more than " : "", l.n, run->n);
	for (int c = C_UDP; c <= C_TCP_CLOSED; c++) {
		for (size_t i = 0; i < run->n; i++) {
			const struct mflow *m = &run->fl[i];
			const struct flow *f;

			if (klass(m) != c)
				continue;
			FUZZ_CHECK(k < l.n, "live list ends early");
			f = l.f[k++];
			FUZZ_CHECK(f->seqno == m->seqno, "live flow %zu in engine_foreach order is %llu, "
				   "the model's is %llu (class %d)", k - 1, (unsigned long long)f->seqno,
				   (unsigned long long)m->seqno, c);
			FUZZ_CHECK(flow_is_tcp(f) == (m->proto == 6) && f->h.key.ipver == m->ipver &&
				   memcmp(flow_addr(f, FLOW_DIR_ORIG), m->a, 16) == 0 &&
				   memcmp(flow_addr(f, FLOW_DIR_RESP), m->b, 16) == 0 &&
				   flow_port(f, FLOW_DIR_ORIG) == m->pa && flow_port(f, FLOW_DIR_RESP) == m->pb,
				   "live flow %llu has another tuple than the model's",
				   (unsigned long long)m->seqno);
		}
	}
	qsort(l.f, l.n, sizeof(*l.f), key_cmp);
	for (size_t i = 1; i < l.n; i++)
		FUZZ_CHECK(key_cmp(&l.f[i - 1], &l.f[i]) != 0, "live flows %llu and %llu share a tuple",
			   (unsigned long long)l.f[i - 1]->seqno, (unsigned long long)l.f[i]->seqno);
	free(l.f);
}

/* 1. The decoder must give back what es_play encoded. */
static void check_decode(const struct es_packet *ep, const struct pkt *p)
{
	FUZZ_CHECK(p->status == TC_OK && p->n_err == 0 && p->have_ip && p->have_l4,
		   "a well-formed frame decoded as %s with %u reason(s)", tc_rc_name(p->status), p->n_err);
	FUZZ_CHECK(p->ipver == ep->ipver && memcmp(p->src, ep->src, 16) == 0 &&
		   memcmp(p->dst, ep->dst, 16) == 0 && !p->is_fragment,
		   "addresses or version differ from the frame built");
	FUZZ_CHECK(p->l4 == (ep->udp ? L4_UDP : L4_TCP) && p->sport == ep->sport &&
		   p->dport == ep->dport && p->payload_len == ep->payload_len,
		   "transport fields differ (ports %u>%u, payload %u; built %u>%u, %u)",
		   p->sport, p->dport, p->payload_len, ep->sport, ep->dport, ep->payload_len);
	FUZZ_CHECK(p->ip_len == ep->origlen && p->l3_caplen == ep->caplen,
		   "ip_len %u / l3_caplen %zu, built %zu / %zu", p->ip_len, p->l3_caplen,
		   ep->origlen, ep->caplen);
	if (ep->udp) {
		FUZZ_CHECK(p->udp_len == 8u + ep->payload_len, "udp_len %u", p->udp_len);
		return;
	}
	FUZZ_CHECK(p->seq == ep->seq && p->ack == ep->ack && p->flags == ep->flags && p->win == ep->win,
		   "seq/ack/flags/win %u/%u/0x%03x/%u, built %u/%u/0x%03x/%u", p->seq, p->ack, p->flags,
		   p->win, ep->seq, ep->ack, ep->flags, ep->win);
	FUZZ_CHECK(p->opt.has_mss == !!(ep->opts & ES_OPT_MSS) &&
		   (!p->opt.has_mss || p->opt.mss == 1460) &&
		   p->opt.has_wscale == !!(ep->opts & ES_OPT_WSCALE) &&
		   (!p->opt.has_wscale || p->opt.wscale == 7) &&
		   p->opt.sack_ok == !!(ep->opts & ES_OPT_SACKOK) &&
		   p->opt.has_ts == !!(ep->opts & ES_OPT_TS) &&
		   (!p->opt.has_ts || (p->opt.ts_val == ep->tsval && p->opt.ts_ecr == ep->tsecr)),
		   "TCP options differ from the ones built (0x%x)", ep->opts);
}

static bool same_tuple(const struct flow *f, enum flow_dir d, const struct pkt *p)
{
	return memcmp(flow_addr(f, d), p->src, 16) == 0 && flow_port(f, d) == p->sport &&
	       memcmp(flow_addr(f, (enum flow_dir)(d ^ 1)), p->dst, 16) == 0 &&
	       flow_port(f, (enum flow_dir)(d ^ 1)) == p->dport;
}

/* Wireshark's base sequence numbers, as SPEC's incarnation rule reads them
 * (engine.h): a side's first segment sets its base (its seq, less one
 * without SYN), a segment with ACK sets the receiver's (ack - 1). */
static void m_note_seq(struct mflow *m, unsigned d, const struct pkt *p)
{
	/* Wireshark's base: set by the side's first segment and by every SYN */
	if (!m->base[d] || (p->flags & TH_SYN)) {
		m->isn[d] = (p->flags & TH_SYN) ? p->seq : p->seq - 1;
		m->base[d] = true;
	}
	if ((p->flags & TH_ACK) && !m->base[d ^ 1]) {
		m->isn[d ^ 1] = p->ack - 1;
		m->base[d ^ 1] = true;
	}
	if (p->flags & TH_SYN)
		m->syn[d] = true;
}

/* (end - from) when end lies ahead of from, else 0 */
static uint32_t m_ahead(uint32_t end, uint32_t from)
{
	uint32_t d = end - from;

	return (d & 0x80000000u) ? 0 : d;
}

/*
 * Zeek's orig_bytes/resp_bytes bookkeeping (zeekconn.h zk_tcp_extent), in
 * the plain words of Zeek's TCP analyzer, with the Zeek endpoint states the
 * engine reported after the previous packet: bytes[d] is how far direction
 * d's sequence space reaches past its base (the model's isn), the higher of
 * its own segment ends and the peer's ACKs. Call before m_note_seq.
 */
static void m_reach(struct mflow *m, unsigned d, const struct pkt *p)
{
	unsigned q = d ^ 1;
	uint16_t fl = p->flags;
	bool syn = (fl & TH_SYN) != 0, rst = (fl & TH_RST) != 0, fin = (fl & TH_FIN) != 0;
	uint32_t base = syn ? p->seq : m->base[d] ? m->isn[d] : p->seq - 1;
	uint32_t seglen = (rst ? 0u : p->payload_len) + syn + fin;
	uint32_t end = p->seq + seglen;
	uint8_t st = m->zst[d];
	bool restart = st == ZK_INACTIVE;

	/* the SYNs Zeek starts the endpoint over at */
	if (syn && (st == ZK_SYN_SENT || st == ZK_SYN_ACK_SENT))
		restart = p->seq != m->isn[d];
	else if (syn && (st == ZK_ESTABLISHED || st == ZK_PARTIAL))
		restart = true;
	else if (syn && st == ZK_RESET)
		restart = m->zprev[d] == ZK_INACTIVE;

	if (restart) {
		m->bytes[d] = m_ahead(end, base);
		m->at_start[d] = seglen == (syn ? 1u : 0u);
	} else {
		uint32_t hw, last, delta;

		if (base != m->isn[d])
			m->bytes[d] = m_ahead(m->isn[d] + (uint32_t)m->bytes[d], base);
		hw = base + (uint32_t)m->bytes[d];
		last = m->at_start[d] ? base + 1 : hw;
		delta = end - last;
		if ((syn || rst) && delta > 1048576u && delta < 0u - 1048576u) {
			/* more than 1 MiB away either way: ignored */
		} else if (fin && m->at_start[d]) {
			if (end - base > m->bytes[d])
				m->bytes[d] = end - base;
			m->at_start[d] = end == base + 1;
		} else if (st != ZK_RESET && delta != 0 && !(delta & 0x80000000u)) {
			m->bytes[d] += m_ahead(end, hw);
			m->at_start[d] = false;
		}
	}
	if ((fl & TH_ACK) && !rst && m->zst[q] != ZK_INACTIVE) {
		uint32_t ahead = m_ahead(p->ack, m->isn[q] + (uint32_t)m->bytes[q]);

		if (p->ack != 0 || ahead <= 1048576u)
			m->bytes[q] += ahead;
	}
}

/*
 * How the replaced connection old had ended (engine.h enum prev_end), as
 * far as the model can tell from flags alone; the engine's verdict on
 * RSTs (accepted or not) and on which side reached ESTABLISHED is its own
 * (tcpstate has its own tests), so PREV_RST is always allowed and PREV_OPEN
 * against PREV_ATTEMPT is checked in one direction only:
 *  - both ends sent a FIN (for a connection from an endpoint to itself,
 *    one FIN is both): PREV_FIN, whatever the last ACKs did;
 *  - one end sent a FIN, the other sent nothing: PREV_FIN_ONE_SIDED;
 *  - PREV_FIN and PREV_FIN_ONE_SIDED in no other case;
 *  - PREV_OPEN for a connection with a seen handshake needs an ACK from
 *    its initiator (a SYN+ACK alone is an attempt), for one picked up
 *    mid-stream a segment with ACK (probes without one are no connection).
 */
static void m_check_prev(const struct mflow *old, const struct engine_prev *pv)
{
	bool self = old->pa == old->pb && memcmp(old->a, old->b, 16) == 0;
	bool fins = (old->fin[0] && old->fin[1]) || (self && (old->fin[0] || old->fin[1]));
	bool one = !fins && ((old->fin[0] && old->pkts[1] == 0) || (old->fin[1] && old->pkts[0] == 0));

	FUZZ_CHECK(!fins || pv->how == PREV_FIN || pv->how == PREV_RST,
		   "both ends sent a FIN, but the previous connection ended %s", prev_end_name(pv->how));
	FUZZ_CHECK(!one || pv->how == PREV_FIN_ONE_SIDED || pv->how == PREV_RST,
		   "one end sent a FIN, the other nothing, but the previous connection ended %s",
		   prev_end_name(pv->how));
	FUZZ_CHECK(pv->how != PREV_FIN || fins, "previous connection ended fin without two FINs");
	FUZZ_CHECK(pv->how != PREV_FIN_ONE_SIDED || one,
		   "previous connection ended fin-one-sided, model: FINs %d/%d, packets %llu/%llu",
		   old->fin[0], old->fin[1], (unsigned long long)old->pkts[0],
		   (unsigned long long)old->pkts[1]);
	FUZZ_CHECK(pv->how != PREV_OPEN || pv->midstream || old->acked[0] || (self && old->acked[1]),
		   "previous connection open, but its initiator never sent an ACK");
	FUZZ_CHECK(pv->how != PREV_OPEN || !pv->midstream || old->ack_any,
		   "previous mid-stream connection open, but none of its segments carried ACK");
}

/* 2. Our engine in lockstep with the model. Returns the engine's result
 * code; fills *ex with what the oracle must say (when the engine took the
 * packet and nothing has diverged). */
static enum tc_rc run_engine(struct run *run, const struct cap_packet *cp, const struct pkt *p,
			     struct fc_expect *ex)
{
	struct engine_in in = { cp->frame, cp->ts_sec, cp->ts_nsec, cp->ts_digits, false };
	struct engine_result res;
	struct emitted want[MAX_EMITS + 4];
	const struct flow *f;
	struct mflow *m;
	bool tcp = p->l4 == L4_TCP, syn_only = tcp && (p->flags & (TH_SYN | TH_ACK)) == TH_SYN;
	/* a SYN+ACK's receiver initiated, unless FIN or RST come with it */
	bool flipped = tcp && (p->flags & (TH_SYN | TH_ACK | TH_FIN | TH_RST)) == (TH_SYN | TH_ACK);
	bool replace = false, retransmit = false, evict = false, failed;
	struct mflow old;               /* the flow a new incarnation replaces */
	unsigned n_want, d = 0, md;
	enum tc_rc rc;
	uint64_t inj0 = fa_injected();
	int64_t t = (cp->ts_sec - ES_START_SEC) * 1000000000 + cp->ts_nsec;

	/* The model's prediction. */
	if (t > run->now)
		run->now = t;
	n_want = m_reap(run, REAP_PER_PASS, want);
	m = m_find(run, tcp ? 6 : 17, p, &d);
	if (m != NULL && planned(want, n_want, m->seqno))
		m = NULL;                        /* the reaper got it first */
	if (m != NULL && m_expired(run, m)) {
		want[n_want].seqno = m->seqno;
		want[n_want++].why = FLOW_END_EXPIRED;
		m = NULL;
	}
	if (m != NULL && syn_only && m->base[d] && p->seq != m->isn[d]) {
		want[n_want].seqno = m->seqno;
		want[n_want++].why = FLOW_END_REPLACED;
		replace = true;
		old = *m;
	} else if (m != NULL) {
		retransmit = syn_only && m->syn[d] && p->seq == m->isn[d];
	}
	if ((m == NULL || replace) && run->cfg.max_flows != 0 &&
	    run->n - n_want >= run->cfg.max_flows) {
		const struct mflow *v = m_victim(run, want, n_want);

		FUZZ_CHECK(v != NULL, "model: a full table with nothing to evict");
		want[n_want].seqno = v->seqno;
		want[n_want++].why = m_expired(run, v) ? FLOW_END_EXPIRED : FLOW_END_EVICTED;
		evict = true;
	}

	run->n_em = 0;
	run->in_call = true;
	if (run->inject)
		fa_arm(run->frame * 0x9e3779b97f4a7c15ull ^ run->created, 2 + (uint32_t)(run->frame % 7));
	rc = engine_packet(run->eng, p, &in, &res);
	fa_disarm();
	run->in_call = false;
	failed = fa_injected() != inj0;

	/* What the engine did, against the prediction. An injected failure may
	 * add one eviction (create_flow makes room when memory ran out) or
	 * refuse the packet; nothing else. */
	if (failed && !evict && run->n_em == n_want + 1 && run->n_em > 0) {
		const struct mflow *v = m_victim(run, want, n_want);

		FUZZ_CHECK(v != NULL && run->em[n_want].seqno == v->seqno,
			   "after a failed allocation the engine ended flow %llu, not the least "
			   "recently active", (unsigned long long)run->em[n_want].seqno);
		want[n_want].seqno = v->seqno;
		want[n_want++].why = m_expired(run, v) ? FLOW_END_EXPIRED : FLOW_END_EVICTED;
		run->diverged = true;
	}
	check_emitted(run, want, n_want, "packet");
	if (m != NULL) {
		/* removing ends moves the array: find the joined flow again */
		uint64_t seqno = m->seqno;

		m_apply_ends(run);
		m = replace ? NULL : m_by_seqno(run, seqno);
		FUZZ_CHECK(replace || m != NULL, "model lost flow %llu", (unsigned long long)seqno);
	} else {
		m_apply_ends(run);
	}
	if (rc == TC_NOMEM) {
		FUZZ_CHECK(failed, "engine_packet: no memory, but no allocation failed");
		FUZZ_CHECK(m == NULL, "engine_packet: no memory while joining a live flow");
		FUZZ_CHECK(res.flow == NULL, "TC_NOMEM with a flow");
		run->dropped++;
		run->diverged = true;
		st_nomem++;
		check_stats(run);
		return rc;
	}
	FUZZ_CHECK(rc == TC_OK && res.flow != NULL, "engine_packet refused a TCP/UDP packet: %s",
		   tc_rc_name(rc));
	run->accepted++;
	f = res.flow;
	run->pkt_flow = f->seqno;

	FUZZ_CHECK(res.dir <= 1 && flow_is_tcp(f) == tcp && f->h.key.ipver == p->ipver,
		   "flow proto/version/direction wrong");
	FUZZ_CHECK(same_tuple(f, res.dir, p), "the flow's endpoints in direction %u are not "
		   "the packet's", (unsigned)res.dir);
	FUZZ_CHECK(res.side == (f->orig_side ^ (unsigned)res.dir), "side %u, orig_side %u, dir %u",
		   res.side, f->orig_side, (unsigned)res.dir);
	FUZZ_CHECK(f->last_frame == cp->frame, "last_frame %llu, packet %llu",
		   (unsigned long long)f->last_frame, (unsigned long long)cp->frame);
	FUZZ_CHECK(f->end_ns >= f->start_ns, "flow ends before it starts");
	FUZZ_CHECK(engine_find(run->eng, tcp ? 6 : 17, p->ipver, p->src, p->sport, p->dst, p->dport) == f &&
		   engine_find(run->eng, tcp ? 6 : 17, p->ipver, p->dst, p->dport, p->src, p->sport) == f,
		   "engine_find does not return the packet's flow");
	FUZZ_CHECK(res.created == (m == NULL), "the engine %s, the model expected %s",
		   res.created ? "created a flow" : "joined a flow", m == NULL ? "a creation" : "a join");
	FUZZ_CHECK(res.new_incarnation == replace, "new_incarnation %d, the model says %d",
		   res.new_incarnation, replace);
	FUZZ_CHECK(!res.new_incarnation || res.prev.how != PREV_NONE, "new incarnation with prev none");
	if (replace)
		m_check_prev(&old, &res.prev);
	FUZZ_CHECK(res.midstream == (res.created && tcp && !(p->flags & TH_SYN)),
		   "midstream %d for a %s TCP segment with flags 0x%03x", res.midstream,
		   res.created ? "creating" : "joining", p->flags);
	FUZZ_CHECK(res.syn_retransmit == retransmit, "syn_retransmit %d, the model says %d",
		   res.syn_retransmit, retransmit);
	FUZZ_CHECK(res.rst.verdict == RST_NONE || (tcp && (p->flags & TH_RST)),
		   "a RST verdict for a packet without RST");

	if (res.created) {
		struct mflow nm;

		FUZZ_CHECK(f->seqno == run->created && f->stream == (tcp ? run->created_tcp : run->created_udp),
			   "flow numbered %llu/stream %llu, the model says %llu/%llu",
			   (unsigned long long)f->seqno, (unsigned long long)f->stream,
			   (unsigned long long)run->created,
			   (unsigned long long)(tcp ? run->created_tcp : run->created_udp));
		FUZZ_CHECK(f->first_frame == cp->frame, "first_frame %llu", (unsigned long long)f->first_frame);
		/* the initiator: the sender, or the receiver of a SYN+ACK */
		FUZZ_CHECK(res.dir == (flipped ? FLOW_DIR_RESP : FLOW_DIR_ORIG),
			   "a new flow's first packet (flags 0x%03x) in direction %u", p->flags,
			   (unsigned)res.dir);
		memset(&nm, 0, sizeof(nm));
		nm.proto = tcp ? 6 : 17;
		nm.ipver = p->ipver;
		memcpy(nm.a, flipped ? p->dst : p->src, 16);
		memcpy(nm.b, flipped ? p->src : p->dst, 16);
		nm.pa = flipped ? p->dport : p->sport;
		nm.pb = flipped ? p->sport : p->dport;
		nm.seqno = run->created++;
		nm.stream = tcp ? run->created_tcp++ : run->created_udp++;
		if (run->n == run->cap) {
			size_t ncap = run->cap ? run->cap * 2 : 64;
			struct mflow *nf = realloc(run->fl, ncap * sizeof(*nf));

			FUZZ_CHECK(nf != NULL, "out of memory for the model");
			run->fl = nf;
			run->cap = ncap;
		}
		run->fl[run->n++] = nm;
		m = &run->fl[run->n - 1];
		d = flipped ? 1 : 0;
		st_flows++;
		st_incarnations += res.new_incarnation;
		st_midstream += res.midstream;
	} else {
		FUZZ_CHECK(f->seqno == m->seqno, "packet joined flow %llu, the model's is %llu",
			   (unsigned long long)f->seqno, (unsigned long long)m->seqno);
		FUZZ_CHECK(res.dir == d, "packet in direction %u, the model says %u", (unsigned)res.dir, d);
		m = m_touch(run, m);
	}
	md = d;
	m->pkts[md]++;
	if (!tcp)
		m->bytes[md] += p->payload_len;
	m->last_frame = cp->frame;
	m->last_ns = run->now;
	if (tcp) {
		/* prev describes a joined flow only for a same-ISN SYN on a
		 * connection a FIN exchange had closed (m->closed: before this
		 * packet; the engine's end never leaves FIN once there), or
		 * whose two FINs were seen without the last ACK (fins: the
		 * model's FIN flags before this packet) */
		if (!res.created) {
			bool self = m->pa == m->pb && memcmp(m->a, m->b, 16) == 0;
			bool fins = (m->fin[0] && m->fin[1]) || (self && (m->fin[0] || m->fin[1]));
			bool joined_fin = retransmit && (m->closed ? f->tcp.end == TCP_END_FIN : fins);

			FUZZ_CHECK(res.prev.how == (joined_fin ? PREV_FIN : PREV_NONE),
				   "prev.how %s on a joined flow (syn_retransmit %d, closed %d, end %u)",
				   prev_end_name(res.prev.how), retransmit, m->closed,
				   (unsigned)f->tcp.end);
		}
		m_reach(m, md, p);
		m_note_seq(m, md, p);
		memcpy(m->zst, f->zk.st, 2);    /* by direction, as the model's */
		memcpy(m->zprev, f->zk.prev_st, 2);
		m->ack_any = m->ack_any || (p->flags & TH_ACK);
		if (!(p->flags & TH_RST)) {
			m->fin[md] = m->fin[md] || (p->flags & TH_FIN);
			m->acked[md] = m->acked[md] || (p->flags & TH_ACK);
		}
		m->closed = f->tcp.end != TCP_END_OPEN;
	}
	FUZZ_CHECK(f->pkts[0] == m->pkts[0] && f->pkts[1] == m->pkts[1] &&
		   f->bytes[0] == m->bytes[0] && f->bytes[1] == m->bytes[1],
		   "flow %llu counters %llu/%llu pkts %llu/%llu bytes, model %llu/%llu, %llu/%llu",
		   (unsigned long long)f->seqno, (unsigned long long)f->pkts[0],
		   (unsigned long long)f->pkts[1], (unsigned long long)f->bytes[0],
		   (unsigned long long)f->bytes[1], (unsigned long long)m->pkts[0],
		   (unsigned long long)m->pkts[1], (unsigned long long)m->bytes[0],
		   (unsigned long long)m->bytes[1]);
	check_stats(run);
	if (run->n <= 4 || run->packets % FULL_CHECK_EVERY == 0)
		check_live_set(run);

	/* What the oracle (same packets, same configuration) must report. */
	memset(ex, 0, sizeof(*ex));
	{
		/* tcp.invalid-flags' segments (SPEC's list, and none of SYN,
		 * RST, ACK: README's extension) */
		bool bad_flags = tcp && (((p->flags & TH_SYN) && (p->flags & (TH_FIN | TH_RST))) ||
					 !(p->flags & (TH_SYN | TH_RST | TH_ACK)) ||
					 (!(p->flags & TH_ACK) && (p->flags & (TH_FIN | TH_PSH | TH_URG))));
		bool dup = res.new_incarnation && res.prev.how == PREV_OPEN;
		bool oow = tcp && res.rst.verdict == RST_OUT_OF_WINDOW;
		bool mid = res.created && tcp && !bad_flags && !syn_only;
		/* a probe with tcp.invalid-flags' flags opens no connection */
		bool opened = (res.created || res.new_incarnation) && !res.midstream && !bad_flags;
		uint16_t isport = flow_port(f, FLOW_DIR_ORIG);
		bool priv = opened && tcp && isport != 0 && isport < 1024;
		uint16_t irport = flow_port(f, FLOW_DIR_RESP);
		/* UDP from a server port (1-1023) to a client's is a reply
		 * whose query was not seen, and UDP between service ports
		 * (the same port both ends, or both 1-1023; not to DNS 53)
		 * uses the port its protocol fixes: neither is judged */
		bool reply = !tcp && ((isport <= 1023 && irport > 1023) ||
				      (irport != 53 && (isport == irport ||
							(isport <= 1023 && irport <= 1023))));
		bool eph = opened && run->cfg.have_range && isport != 0 && !reply &&
			   (isport < run->cfg.eph_lo || isport > run->cfg.eph_hi);

		ex->must[R_TUPLE_DUPLICATE_LIVE] = ex->may[R_TUPLE_DUPLICATE_LIVE] = dup;
		/* a new incarnation, or a same-ISN SYN on the closed flow */
		ex->may[R_TUPLE_REUSE_TIME_WAIT] = (res.new_incarnation || res.syn_retransmit) &&
						   res.prev.how == PREV_FIN &&
						   res.prev.since_close_ns <
							   (int64_t)run->cfg.msl_sec * 2 * 1000000000;
		ex->must[R_TCP_RST_OUT_OF_WINDOW] = ex->may[R_TCP_RST_OUT_OF_WINDOW] = oow;
		ex->must[R_TCP_MIDSTREAM] = ex->may[R_TCP_MIDSTREAM] = mid;
		ex->must[R_PORT_PRIVILEGED_SOURCE] = ex->may[R_PORT_PRIVILEGED_SOURCE] = priv;
		ex->must[R_PORT_EPHEMERAL_RANGE] = ex->may[R_PORT_EPHEMERAL_RANGE] = eph;
		ex->init_sport = isport;
		memcpy(ex->init_src, flow_addr(f, FLOW_DIR_ORIG), 16);
		st_rst_oow += oow;
	}
	return TC_OK;
}

static void oracle_config(const struct es_config *ec, struct oracle_cfg *cfg)
{
	char err[160];

	memset(cfg, 0, sizeof(*cfg));
	if (ec->default_rules) {
		enum tc_rc rc = rules_parse(NULL, ec->have_range, &cfg->rules, err, sizeof(err));

		FUZZ_CHECK(rc == TC_OK, "rules_parse(NULL) failed: %s", err);
	} else {
		for (unsigned r = 0; r < R__COUNT; r++)
			cfg->rules.on[r] = r != R_PORT_EPHEMERAL_RANGE || ec->have_range;
	}
	cfg->msl = ec->msl_sec;
	cfg->have_range = ec->have_range;
	cfg->eph_lo = ec->eph_lo;
	cfg->eph_hi = ec->eph_hi;
	cfg->min_samples = 4;
	engine_config_default(&cfg->engine);
	cfg->engine.msl_sec = ec->msl_sec;
	cfg->engine.max_flows = ec->max_flows;
	cfg->engine.tcp_idle_sec = ec->tcp_idle_sec;
	cfg->engine.udp_idle_sec = ec->udp_idle_sec;
	cfg->engine.hash_key = key_oracle;
}

static void play_packet(struct run *run, const struct es_packet *ep)
{
	const uint8_t *frame = fuzz_frame(ep->frame, ep->caplen);   /* exactly caplen readable */
	struct cap_packet cp;
	struct pkt p;
	struct fc_expect ex;
	enum tc_rc rc;

	memset(&cp, 0, sizeof(cp));
	cp.data = frame;
	cp.caplen = (uint32_t)ep->caplen;
	cp.origlen = (uint32_t)ep->origlen;
	cp.ts_sec = ep->ts_sec;
	cp.ts_nsec = ep->ts_nsec;
	cp.ts_digits = 9;
	cp.linktype = LT_RAW;
	cp.frame = ++run->frame;
	run->packets++;

	decode_packet(LT_RAW, frame, ep->caplen, ep->origlen, &p);
	pktcheck_decoded(LT_RAW, frame, ep->caplen, ep->origlen, &p);
	check_decode(ep, &p);
	FUZZ_CHECK(!pktcheck_checksums(&p), "checksums of a frame built with correct ones are wrong");
	st_packets++;
	st_tcp += !ep->udp;
	st_udp += ep->udp;

	rc = run_engine(run, &cp, &p, &ex);
	/* the oracle's engine numbers flows as ours does until ours diverged */
	fcheck_packet_begin(&run->fc, &cp, &p,
			    rc == TC_OK && !run->diverged ? run->pkt_flow : FC_FLOW_UNKNOWN);
	oracle_packet(run->o, &cp, &p);
	fcheck_packet_end(&run->fc, rc == TC_OK && !run->diverged ? &ex : NULL);
	fuzz_frame_release();
}

/* A clock-only record: both engines move on and reap the same flows. */
static void play_clock(struct run *run, const struct es_packet *ep)
{
	struct emitted want[MAX_EMITS];
	unsigned n_want;
	uint64_t ours, theirs;
	int64_t t = (ep->ts_sec - ES_START_SEC) * 1000000000 + ep->ts_nsec;

	st_advances++;
	if (t > run->now)
		run->now = t;
	n_want = m_reap(run, EXPIRE_LIMIT, want);
	run->n_em = 0;
	run->in_call = true;
	engine_advance(run->eng, ep->ts_sec, ep->ts_nsec);
	ours = engine_expire(run->eng, EXPIRE_LIMIT);
	run->in_call = false;
	FUZZ_CHECK(ours == run->n_em, "engine_expire says %llu, it emitted %u",
		   (unsigned long long)ours, run->n_em);
	check_emitted(run, want, n_want, "engine_expire");
	m_apply_ends(run);
	theirs = oracle_advance(run->o, ep->ts_sec, ep->ts_nsec, EXPIRE_LIMIT);
	FUZZ_CHECK(run->diverged || theirs == ours, "oracle_advance ended %llu flows, our engine %llu",
		   (unsigned long long)theirs, (unsigned long long)ours);
	check_stats(run);
	check_live_set(run);
}

/* Flush: first the flows whose timeout has passed, expired in order of
 * expiry (m_reap), then every other live flow, in order of creation (list
 * order when the sort had no memory). */
static void flush(struct run *run)
{
	uint64_t inj0 = fa_injected();
	size_t n = run->n;
	struct emitted *want = malloc((n + 1) * sizeof(*want));
	unsigned n_exp;

	FUZZ_CHECK(want != NULL, "out of memory for %zu ends", n + 1);
	n_exp = m_reap(run, n, want);
	if (n + 1 > run->em_cap) {
		struct emitted *ne = realloc(run->em, (n + 1) * sizeof(*ne));

		FUZZ_CHECK(ne != NULL, "out of memory for %zu ends", n + 1);
		run->em = ne;
		run->em_cap = n + 1;
	}
	run->n_em = 0;
	run->in_call = run->in_flush = true;
	if (run->inject)
		fa_arm(run->created, 2);
	engine_flush(run->eng);
	fa_disarm();
	run->in_call = run->in_flush = false;
	FUZZ_CHECK(run->n_em == n, "engine_flush ended %u flows of %zu", run->n_em, n);
	for (unsigned i = 0; i < run->n_em; i++)
		FUZZ_CHECK(i < n_exp ? run->em[i].seqno == want[i].seqno &&
				       run->em[i].why == FLOW_END_EXPIRED
				     : run->em[i].why == FLOW_END_FLUSHED,
			   "engine_flush: end %u is flow %llu %s, the model expected %s%llu", i,
			   (unsigned long long)run->em[i].seqno, flow_end_name(run->em[i].why),
			   i < n_exp ? "expired " : "flushed, ",
			   (unsigned long long)(i < n_exp ? want[i].seqno : 0));
	free(want);
	if (fa_injected() == inj0)
		for (unsigned i = n_exp + 1; i < run->n_em; i++)
			FUZZ_CHECK(run->em[i - 1].seqno < run->em[i].seqno,
				   "engine_flush: flow %llu after flow %llu (not in creation order)",
				   (unsigned long long)run->em[i].seqno,
				   (unsigned long long)run->em[i - 1].seqno);
	m_apply_ends(run);
}

/* FNV-1a of the input: chooses the inputs that run with failures. */
static uint64_t input_hash(const uint8_t *data, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor in = cur_make(data, size);
	struct engine_config ecfg;
	struct oracle_cfg ocfg;
	struct oracle_sink sink;
	struct es_player pl;
	struct es_record rec;
	struct es_packet ep;
	struct summary sum;
	struct run *run;
	const struct engine_stats *st;
	uint8_t sel = 0;
	unsigned n = 0;
	uint64_t h = input_hash(data, size), inj0 = fa_injected();
	int64_t live0;
	enum tc_rc rc;
	static int linked = -1;

	if (linked < 0) {
		linked = fa_linked();
		FUZZ_CHECK(linked, "failalloc's wrappers are not linked in (mk/fuzz.mk FUZZ_WRAP)");
	}
	live0 = fa_live();
	st_inputs++;
	run = calloc(1, sizeof(*run));
	FUZZ_CHECK(run != NULL, "out of memory for the run");
	(void)rd_u8(&in, &sel);
	es_config_decode(sel, &run->cfg);
	run->inject = (h & 7) == 0;
	run->em_cap = MAX_EMITS + 4;
	run->em = malloc(run->em_cap * sizeof(*run->em));
	FUZZ_CHECK(run->em != NULL, "out of memory for the ends");

	engine_config_default(&ecfg);
	ecfg.msl_sec = run->cfg.msl_sec;
	ecfg.max_flows = run->cfg.max_flows;
	ecfg.tcp_idle_sec = run->cfg.tcp_idle_sec;
	ecfg.udp_idle_sec = run->cfg.udp_idle_sec;
	ecfg.hash_key = key_ours;
	oracle_config(&run->cfg, &ocfg);
	sink.finding = fcheck_finding;
	sink.host = NULL;
	sink.ctx = &run->fc;
	/* engine_new under failures in a quarter of those inputs: the rest
	 * get to play their packets */
	if (run->inject && ((h >> 8) & 3) == 0)
		fa_arm(h, 2 + (uint32_t)((h >> 3) % 5));
	rc = engine_new(&ecfg, on_emit, run, &run->eng);
	fa_disarm();
	if (rc != TC_OK) {
		FUZZ_CHECK(rc == TC_NOMEM && fa_injected() != inj0 && run->eng == NULL,
			   "engine_new failed (%s) with no allocation failure", tc_rc_name(rc));
		st_nomem++;
		goto out;
	}
	FUZZ_CHECK(oracle_new(&ocfg, &sink, file_name, &run->o) == TC_OK, "oracle_new failed");
	fcheck_init(&run->fc, &ocfg.rules, file_name);
	es_player_init(&pl);

	while (n < MAX_RECORDS && es_next(&in, &rec) == TC_OK) {
		n++;
		if (es_play(&pl, &rec, &ep) == TC_OK)
			play_packet(run, &ep);
		else
			play_clock(run, &ep);
	}
	st_records += n;

	check_live_set(run);
	flush(run);
	st = engine_stats(run->eng);
	FUZZ_CHECK(st->live == 0 && run->n == 0, "after engine_flush: %llu live, model %zu",
		   (unsigned long long)st->live, run->n);
	check_stats(run);
	/* conservation: every packet the engine took is in exactly one flow */
	FUZZ_CHECK(run->ended_pkts == run->accepted, "flows ended with %llu packets in all, the "
		   "engine took %llu", (unsigned long long)run->ended_pkts,
		   (unsigned long long)run->accepted);
	FUZZ_CHECK(run->accepted + run->dropped == run->packets, "%llu packets played, %llu taken, "
		   "%llu refused", (unsigned long long)run->packets, (unsigned long long)run->accepted,
		   (unsigned long long)run->dropped);
	st_expired += st->expired;
	st_evicted += st->evicted;

	memset(&sum, 0, sizeof(sum));
	fcheck_finish_begin(&run->fc);
	oracle_finish(run->o, &sum);
	fcheck_finish_end(&run->fc);
	if (!run->diverged) {
		/* same packets, same configuration, another hash key */
		FUZZ_CHECK(sum.flows == st->created && sum.evicted == st->evicted,
			   "oracle's engine: %llu flows %llu evicted; ours: %llu, %llu",
			   (unsigned long long)sum.flows, (unsigned long long)sum.evicted,
			   (unsigned long long)st->created, (unsigned long long)st->evicted);
		st_compared++;
	}
	st_findings += fcheck_total(&run->fc);
	for (unsigned r = 0; r < R__COUNT; r++)
		st_rules[r] += run->fc.findings[r];

	fcheck_free(&run->fc);
	oracle_free(run->o);
	engine_free(run->eng);
out:
	st_injected += fa_injected() - inj0;
	free(run->fl);
	free(run->em);
	free(run);
	/* everything the engine, the oracle and this harness allocated for
	 * this input is freed, failures or not */
	FUZZ_CHECK(fa_live() == live0, "%lld blocks still allocated after the input",
		   (long long)(fa_live() - live0));
	return 0;
}

void fuzz_stats_print(FILE *out)
{
	fprintf(out, "stats: target=fuzz_engine inputs=%llu records=%llu packets=%llu tcp=%llu udp=%llu"
		" flows=%llu incarnations=%llu midstream=%llu expired=%llu evicted=%llu rst_oow=%llu"
		" findings=%llu compared=%llu advances=%llu full_checks=%llu injected=%llu nomem=%llu",
		(unsigned long long)st_inputs, (unsigned long long)st_records,
		(unsigned long long)st_packets, (unsigned long long)st_tcp, (unsigned long long)st_udp,
		(unsigned long long)st_flows, (unsigned long long)st_incarnations,
		(unsigned long long)st_midstream, (unsigned long long)st_expired,
		(unsigned long long)st_evicted, (unsigned long long)st_rst_oow,
		(unsigned long long)st_findings, (unsigned long long)st_compared,
		(unsigned long long)st_advances, (unsigned long long)st_full_checks,
		(unsigned long long)st_injected, (unsigned long long)st_nomem);
	fcheck_print_rules(out, st_rules);
	fputc('\n', out);
}

/* Structure-aware mutation (mutator.h); TC_FUZZ_NO_CUSTOM_MUTATOR=1 gives
 * libFuzzer's own mutations instead. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	return mut_libfuzzer(mut_engine, data, size, max_size, seed);
}
