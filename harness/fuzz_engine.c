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
 *  2. our own engine (engine_new), watched by a shadow: a plain list of the
 *     live flows with their packet and byte counts. Every engine_result is
 *     checked against it (the flow's tuple and direction, created versus
 *     joined, sequence and stream numbers in order of creation, counters),
 *     every flow must be emitted exactly once and with a reason that fits,
 *     engine_find must find the packet's flow, and the statistics must
 *     balance: created = live + expired + evicted + replaced + flushed;
 *  3. the oracle (oracle_new), with its own engine under another hash key:
 *     its findings go through oraclecheck.c, with expectations taken from
 *     our engine's result (tuple.duplicate-live exactly on a new
 *     incarnation of an open connection, tcp.rst-out-of-window exactly on
 *     a RST the engine judged outside the window, the initiator port rules
 *     exactly when the initiator's port calls for them, tcp.midstream
 *     exactly for a flow created without a SYN), and at the end the flows
 *     and evictions it counted must equal ours: the output must not depend
 *     on the hash key.
 * A clock-only record moves our engine's clock (engine_advance) and reaps
 * (engine_expire); the oracle has no such call, so from then on the two
 * engines may legitimately differ and only our engine's own invariants and
 * the oracle's finding invariants are checked.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_script.h"
#include "fuzz.h"
#include "fuzz_assert.h"
#include "oracle.h"
#include "oraclecheck.h"
#include "pktcheck.h"

/* Records per input. max_len (mk/fuzz.mk) is 16 KiB, so a libFuzzer input
 * holds at most ~16000 one-byte records; the cap keeps AFL's larger inputs
 * and the shadow's linear scans (O(live flows) per packet) within
 * milliseconds. 2048 packets still fill and churn every flow cap. */
#define MAX_RECORDS 2048
/* Flows per reap on a clock-only record: engine_expire's bound on work. */
#define EXPIRE_LIMIT 64

struct sflow {
	uint64_t seqno, stream;
	uint64_t pkts[2], bytes[2];
	uint64_t last_frame;
	struct ft_key key;
};

struct run {
	struct es_config cfg;
	struct engine *eng;
	struct oracle *o;
	struct fcheck fc;
	/* shadow */
	struct sflow *fl;
	size_t n, cap;
	uint64_t created, created_tcp, created_udp;
	uint64_t emitted[4];           /* by enum flow_end */
	bool in_packet, in_flush;
	bool replaced_now;             /* a REPLACED emit happened in this engine_packet */
	struct ft_key replaced_key;
	bool diverged;                 /* a clock-only record was played */
	uint64_t frame;
};

static uint64_t st_inputs, st_records, st_packets, st_tcp, st_udp, st_flows, st_incarnations,
	st_expired, st_evicted, st_midstream, st_rst_oow, st_findings, st_compared;

static uint64_t st_rules[R__COUNT];
static const struct siphash_key key_ours = { 0x1111111111111111ull, 0x2222222222222222ull };
static const struct siphash_key key_oracle = { 0x3333333333333333ull, 0x4444444444444444ull };
static const char file_name[] = "<fuzz_engine input>";

static struct sflow *shadow_find(struct run *run, uint64_t seqno)
{
	for (size_t i = 0; i < run->n; i++)
		if (run->fl[i].seqno == seqno)
			return &run->fl[i];
	return NULL;
}

static void on_emit(void *ctx, const struct engine *e, const struct flow *f, enum flow_end why)
{
	struct run *run = ctx;
	struct sflow *s = shadow_find(run, f->seqno);

	(void)e;
	FUZZ_CHECK(s != NULL, "flow %llu emitted (%s) but not live: emitted twice or never created",
		   (unsigned long long)f->seqno, flow_end_name(why));
	FUZZ_CHECK((unsigned)why < 4, "emit reason %d", (int)why);
	FUZZ_CHECK(memcmp(s->pkts, f->pkts, sizeof(s->pkts)) == 0 &&
		   memcmp(s->bytes, f->bytes, sizeof(s->bytes)) == 0,
		   "flow %llu emitted with counters %llu/%llu pkts, shadow %llu/%llu",
		   (unsigned long long)f->seqno, (unsigned long long)f->pkts[0],
		   (unsigned long long)f->pkts[1], (unsigned long long)s->pkts[0],
		   (unsigned long long)s->pkts[1]);
	switch (why) {
	case FLOW_END_FLUSHED:
		FUZZ_CHECK(run->in_flush, "FLUSHED outside engine_flush");
		break;
	case FLOW_END_REPLACED:
		FUZZ_CHECK(run->in_packet && !run->replaced_now, "REPLACED outside a packet, or twice");
		run->replaced_now = true;
		run->replaced_key = f->h.key;
		break;
	case FLOW_END_EVICTED:
		FUZZ_CHECK(run->in_packet && run->cfg.max_flows != 0 && run->n >= run->cfg.max_flows,
			   "EVICTED with %zu live flows, cap %llu", run->n,
			   (unsigned long long)run->cfg.max_flows);
		break;
	case FLOW_END_EXPIRED:
		FUZZ_CHECK(!run->in_flush, "EXPIRED during flush");
		break;
	}
	run->emitted[why]++;
	*s = run->fl[--run->n];
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
		   "created %llu (tcp %llu udp %llu), shadow %llu (%llu %llu)",
		   (unsigned long long)st->created, (unsigned long long)st->created_tcp,
		   (unsigned long long)st->created_udp, (unsigned long long)run->created,
		   (unsigned long long)run->created_tcp, (unsigned long long)run->created_udp);
	FUZZ_CHECK(st->live == run->n, "live %llu, shadow %zu", (unsigned long long)st->live, run->n);
	FUZZ_CHECK(st->expired == run->emitted[FLOW_END_EXPIRED] &&
		   st->evicted == run->emitted[FLOW_END_EVICTED] &&
		   st->incarnations == run->emitted[FLOW_END_REPLACED] &&
		   st->flushed == run->emitted[FLOW_END_FLUSHED],
		   "end counters disagree with the flows emitted");
	FUZZ_CHECK(run->cfg.max_flows == 0 || st->live <= run->cfg.max_flows,
		   "%llu live flows, cap %llu", (unsigned long long)st->live,
		   (unsigned long long)run->cfg.max_flows);
	FUZZ_CHECK(st->max_live >= st->live, "max_live %llu < live %llu",
		   (unsigned long long)st->max_live, (unsigned long long)st->live);
	FUZZ_CHECK(st->nomem == 0, "engine dropped %llu packets for lack of memory",
		   (unsigned long long)st->nomem);
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

/* 2. Our engine and its shadow. Fills *ex with what the oracle must say. */
static void run_engine(struct run *run, const struct cap_packet *cp, const struct pkt *p,
		       struct fc_expect *ex)
{
	struct engine_in in = { cp->frame, cp->ts_sec, cp->ts_nsec, cp->ts_digits };
	struct engine_result res;
	const struct flow *f;
	struct sflow *s;
	bool tcp = p->l4 == L4_TCP, syn_only = tcp && (p->flags & (TH_SYN | TH_ACK)) == TH_SYN;
	unsigned d;
	enum tc_rc rc;
	uint64_t live_before = run->n;

	run->in_packet = true;
	run->replaced_now = false;
	rc = engine_packet(run->eng, p, &in, &res);
	run->in_packet = false;
	FUZZ_CHECK(rc == TC_OK && res.flow != NULL, "engine_packet refused a TCP/UDP packet: %s",
		   tc_rc_name(rc));
	f = res.flow;
	d = res.dir;
	FUZZ_CHECK(d <= 1 && flow_is_tcp(f) == tcp && f->h.key.ipver == p->ipver,
		   "flow proto/version/direction wrong");
	FUZZ_CHECK(same_tuple(f, (enum flow_dir)d, p), "the flow's endpoints in direction %u are not "
		   "the packet's", d);
	FUZZ_CHECK(res.side == (f->orig_side ^ d), "side %u, orig_side %u, dir %u", res.side,
		   f->orig_side, d);
	FUZZ_CHECK(f->last_frame == cp->frame, "last_frame %llu, packet %llu",
		   (unsigned long long)f->last_frame, (unsigned long long)cp->frame);
	FUZZ_CHECK(f->end_ns >= f->start_ns, "flow ends before it starts");
	FUZZ_CHECK(engine_find(run->eng, tcp ? 6 : 17, p->ipver, p->src, p->sport, p->dst, p->dport) == f &&
		   engine_find(run->eng, tcp ? 6 : 17, p->ipver, p->dst, p->dport, p->src, p->sport) == f,
		   "engine_find does not return the packet's flow");
	FUZZ_CHECK(!res.new_incarnation || (res.created && syn_only && run->replaced_now &&
					    memcmp(&run->replaced_key, &f->h.key, FT_KEY_BYTES) == 0),
		   "new incarnation without a SYN, a creation or the old flow replaced");
	FUZZ_CHECK(!run->replaced_now || res.new_incarnation, "a flow was replaced without a new incarnation");
	FUZZ_CHECK(!res.new_incarnation || res.prev.how != PREV_NONE, "new incarnation with prev none");
	FUZZ_CHECK(res.midstream == (res.created && tcp && !(p->flags & TH_SYN)),
		   "midstream %d for a %s TCP segment with flags 0x%03x", res.midstream,
		   res.created ? "creating" : "joining", p->flags);
	FUZZ_CHECK(!res.syn_retransmit || (!res.created && syn_only), "syn_retransmit on a created flow");
	FUZZ_CHECK(res.rst.verdict == RST_NONE || (tcp && (p->flags & TH_RST)),
		   "a RST verdict for a packet without RST");

	s = shadow_find(run, f->seqno);
	if (res.created) {
		FUZZ_CHECK(s == NULL, "created flow %llu is already live", (unsigned long long)f->seqno);
		FUZZ_CHECK(f->seqno == run->created && f->stream == (tcp ? run->created_tcp : run->created_udp),
			   "flow numbered %llu/stream %llu, expected %llu/%llu",
			   (unsigned long long)f->seqno, (unsigned long long)f->stream,
			   (unsigned long long)run->created,
			   (unsigned long long)(tcp ? run->created_tcp : run->created_udp));
		FUZZ_CHECK(f->first_frame == cp->frame, "first_frame %llu", (unsigned long long)f->first_frame);
		if (run->n == run->cap) {
			size_t ncap = run->cap ? run->cap * 2 : 64;
			struct sflow *nf = realloc(run->fl, ncap * sizeof(*nf));

			FUZZ_CHECK(nf != NULL, "out of memory for the shadow");
			run->fl = nf;
			run->cap = ncap;
		}
		s = &run->fl[run->n++];
		memset(s, 0, sizeof(*s));
		s->seqno = f->seqno;
		s->stream = f->stream;
		s->key = f->h.key;
		run->created++;
		if (tcp)
			run->created_tcp++;
		else
			run->created_udp++;
		st_flows++;
		st_incarnations += res.new_incarnation;
		st_midstream += res.midstream;
	} else {
		FUZZ_CHECK(s != NULL, "packet joined flow %llu, which is not live",
			   (unsigned long long)f->seqno);
		/* the per-packet reaper may have expired others meanwhile */
		FUZZ_CHECK(run->n <= live_before, "live flows grew without a creation");
	}
	s->pkts[d]++;
	s->bytes[d] += p->payload_len;
	s->last_frame = cp->frame;
	FUZZ_CHECK(memcmp(s->pkts, f->pkts, sizeof(s->pkts)) == 0 &&
		   memcmp(s->bytes, f->bytes, sizeof(s->bytes)) == 0,
		   "flow %llu counters %llu/%llu pkts %llu/%llu bytes, shadow %llu/%llu, %llu/%llu",
		   (unsigned long long)f->seqno, (unsigned long long)f->pkts[0],
		   (unsigned long long)f->pkts[1], (unsigned long long)f->bytes[0],
		   (unsigned long long)f->bytes[1], (unsigned long long)s->pkts[0],
		   (unsigned long long)s->pkts[1], (unsigned long long)s->bytes[0],
		   (unsigned long long)s->bytes[1]);
	check_stats(run);

	/* What the oracle (same packets, same configuration) must report. */
	memset(ex, 0, sizeof(*ex));
	{
		bool bad_flags = tcp && (((p->flags & TH_SYN) && (p->flags & (TH_FIN | TH_RST))) ||
					 (p->flags & 0xfff) == 0 ||
					 (!(p->flags & TH_ACK) && (p->flags & (TH_FIN | TH_PSH | TH_URG))));
		bool dup = res.new_incarnation && res.prev.how == PREV_OPEN;
		bool oow = tcp && res.rst.verdict == RST_OUT_OF_WINDOW;
		bool mid = res.created && tcp && !bad_flags && !syn_only;
		bool opened = (res.created || res.new_incarnation) && !res.midstream;
		uint16_t isport = flow_port(f, FLOW_DIR_ORIG);
		bool priv = opened && tcp && isport != 0 && isport < 1024;
		bool eph = opened && run->cfg.have_range && isport != 0 &&
			   (isport < run->cfg.eph_lo || isport > run->cfg.eph_hi);

		ex->must[R_TUPLE_DUPLICATE_LIVE] = ex->may[R_TUPLE_DUPLICATE_LIVE] = dup;
		ex->may[R_TUPLE_REUSE_TIME_WAIT] = res.new_incarnation && res.prev.how == PREV_FIN &&
						   res.prev.since_close_ns <
							   (int64_t)run->cfg.msl_sec * 2 * 1000000000;
		ex->must[R_TCP_RST_OUT_OF_WINDOW] = ex->may[R_TCP_RST_OUT_OF_WINDOW] = oow;
		ex->must[R_TCP_MIDSTREAM] = ex->may[R_TCP_MIDSTREAM] = mid;
		ex->must[R_PORT_PRIVILEGED_SOURCE] = ex->may[R_PORT_PRIVILEGED_SOURCE] = priv;
		ex->must[R_PORT_EPHEMERAL_RANGE] = ex->may[R_PORT_EPHEMERAL_RANGE] = eph;
		st_rst_oow += oow;
	}
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
	uint8_t *frame = malloc(ep->caplen);   /* exact size: ASan sees over-reads */
	struct cap_packet cp;
	struct pkt p;
	struct fc_expect ex;

	FUZZ_CHECK(frame != NULL, "out of memory for a %zu-byte frame", ep->caplen);
	memcpy(frame, ep->frame, ep->caplen);
	memset(&cp, 0, sizeof(cp));
	cp.data = frame;
	cp.caplen = (uint32_t)ep->caplen;
	cp.origlen = (uint32_t)ep->origlen;
	cp.ts_sec = ep->ts_sec;
	cp.ts_nsec = ep->ts_nsec;
	cp.ts_digits = 9;
	cp.linktype = LT_RAW;
	cp.frame = ++run->frame;

	decode_packet(LT_RAW, frame, ep->caplen, ep->origlen, &p);
	pktcheck_decoded(LT_RAW, frame, ep->caplen, ep->origlen, &p);
	check_decode(ep, &p);
	FUZZ_CHECK(!pktcheck_checksums(&p), "checksums of a frame built with correct ones are wrong");
	st_packets++;
	st_tcp += !ep->udp;
	st_udp += ep->udp;

	run_engine(run, &cp, &p, &ex);
	fcheck_packet_begin(&run->fc, &cp, &p);
	oracle_packet(run->o, &cp, &p);
	fcheck_packet_end(&run->fc, run->diverged ? NULL : &ex);
	free(frame);
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
	struct run run;
	const struct engine_stats *st;
	uint8_t sel = 0;
	unsigned n = 0;

	st_inputs++;
	memset(&run, 0, sizeof(run));
	(void)rd_u8(&in, &sel);
	es_config_decode(sel, &run.cfg);

	engine_config_default(&ecfg);
	ecfg.msl_sec = run.cfg.msl_sec;
	ecfg.max_flows = run.cfg.max_flows;
	ecfg.tcp_idle_sec = run.cfg.tcp_idle_sec;
	ecfg.udp_idle_sec = run.cfg.udp_idle_sec;
	ecfg.hash_key = key_ours;
	oracle_config(&run.cfg, &ocfg);
	sink.finding = fcheck_finding;
	sink.host = NULL;
	sink.ctx = &run.fc;
	if (engine_new(&ecfg, on_emit, &run, &run.eng) != TC_OK)
		return 0;
	if (oracle_new(&ocfg, &sink, file_name, &run.o) != TC_OK) {
		engine_free(run.eng);
		return 0;
	}
	fcheck_init(&run.fc, &ocfg.rules, file_name);
	es_player_init(&pl);

	while (n < MAX_RECORDS && es_next(&in, &rec) == TC_OK) {
		n++;
		if (es_play(&pl, &rec, &ep) == TC_OK) {
			play_packet(&run, &ep);
			continue;
		}
		/* clock-only: our engine moves on and reaps; the oracle cannot */
		engine_advance(run.eng, ep.ts_sec, ep.ts_nsec);
		FUZZ_CHECK(engine_expire(run.eng, EXPIRE_LIMIT) <= EXPIRE_LIMIT, "engine_expire over its limit");
		check_stats(&run);
		run.diverged = true;
	}
	st_records += n;

	run.in_flush = true;
	engine_flush(run.eng);
	run.in_flush = false;
	st = engine_stats(run.eng);
	FUZZ_CHECK(st->live == 0 && run.n == 0, "after engine_flush: %llu live, shadow %zu",
		   (unsigned long long)st->live, run.n);
	check_stats(&run);
	st_expired += st->expired;
	st_evicted += st->evicted;

	memset(&sum, 0, sizeof(sum));
	fcheck_finish_begin(&run.fc);
	oracle_finish(run.o, &sum);
	fcheck_finish_end(&run.fc);
	if (!run.diverged) {
		/* same packets, same configuration, another hash key */
		FUZZ_CHECK(sum.flows == st->created && sum.evicted == st->evicted,
			   "oracle's engine: %llu flows %llu evicted; ours: %llu, %llu",
			   (unsigned long long)sum.flows, (unsigned long long)sum.evicted,
			   (unsigned long long)st->created, (unsigned long long)st->evicted);
		st_compared++;
	}
	st_findings += fcheck_total(&run.fc);
	for (unsigned r = 0; r < R__COUNT; r++)
		st_rules[r] += run.fc.findings[r];

	fcheck_free(&run.fc);
	oracle_free(run.o);
	engine_free(run.eng);
	free(run.fl);
	return 0;
}

void fuzz_stats_print(FILE *out)
{
	fprintf(out, "stats: target=fuzz_engine inputs=%llu records=%llu packets=%llu tcp=%llu udp=%llu"
		" flows=%llu incarnations=%llu midstream=%llu expired=%llu evicted=%llu rst_oow=%llu"
		" findings=%llu compared=%llu",
		(unsigned long long)st_inputs, (unsigned long long)st_records,
		(unsigned long long)st_packets, (unsigned long long)st_tcp, (unsigned long long)st_udp,
		(unsigned long long)st_flows, (unsigned long long)st_incarnations,
		(unsigned long long)st_midstream, (unsigned long long)st_expired,
		(unsigned long long)st_evicted, (unsigned long long)st_rst_oow,
		(unsigned long long)st_findings, (unsigned long long)st_compared);
	fcheck_print_rules(out, st_rules);
	fputc('\n', out);
}
