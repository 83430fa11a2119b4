/*
 * oracle.c - one capture through decode results, the connection engine and
 * every rule; findings to a sink.
 *
 * Per packet, in this order:
 *  1. rules the decoder already judged (pkt.truncated, ip.bad-header,
 *     tcp.bad-offset, udp.bad-length, checksums), once per packet;
 *  2. rules of one header (port.zero, tcp.invalid-flags), once per flow;
 *  3. the engine, then the rules of connection events it reports.
 * At the end of the file: the host classifier and its findings.
 *
 * Deduplication "once per flow" uses a set of keyed hashes of (rule,
 * signature, canonical 5-tuple): canonical so both directions of a flow are
 * one flow, keyed (SipHash, --seed or random) so a crafted capture cannot
 * pile entries into one probe chain. The set only grows with findings
 * printed, so its size is bounded by the output.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "oracle.h"

/* ---- dedup set ------------------------------------------------------------------ */

struct dedup {
	uint64_t *slot;      /* 0 = empty */
	size_t cap;          /* power of two */
	size_t used;
};

static void dedup_free(struct dedup *d)
{
	free(d->slot);
	memset(d, 0, sizeof(*d));
}

/* Insert h. Returns TC_OK when h is new, TC_END when it was there, TC_NOMEM
 * (the caller then reports rather than silently dropping). */
static enum tc_rc dedup_add(struct dedup *d, uint64_t h)
{
	size_t i;

	if (h == 0)
		h = 1;
	if (d->used + 1 > d->cap / 2) {
		size_t nc = d->cap ? d->cap * 2 : 64;
		uint64_t *ns;

		if (nc > SIZE_MAX / sizeof(*ns) || nc < d->cap)
			return TC_NOMEM;
		ns = calloc(nc, sizeof(*ns));
		if (ns == NULL)
			return TC_NOMEM;
		for (size_t k = 0; k < d->cap; k++) {
			if (d->slot[k] == 0)
				continue;
			for (i = d->slot[k] & (nc - 1); ns[i] != 0; i = (i + 1) & (nc - 1))
				;
			ns[i] = d->slot[k];
		}
		free(d->slot);
		d->slot = ns;
		d->cap = nc;
	}
	for (i = h & (d->cap - 1); d->slot[i] != 0; i = (i + 1) & (d->cap - 1))
		if (d->slot[i] == h)
			return TC_END;
	d->slot[i] = h;
	d->used++;
	return TC_OK;
}

/* ---- oracle --------------------------------------------------------------------- */

struct oracle {
	struct oracle_cfg cfg;
	struct oracle_sink sink;
	const char *file;
	struct dedup flow_seen;
};

enum tc_rc oracle_cfg_from_options(struct tc_options *o, struct oracle_cfg *cfg,
				   char *err, size_t errlen)
{
	uint8_t kb[16];

	memset(cfg, 0, sizeof(*cfg));
	if (rules_parse(o->rules, o->have_range, &cfg->rules, err, errlen) != TC_OK)
		return TC_MALFORMED;
	cfg->msl = o->msl;
	cfg->have_range = o->have_range;
	cfg->eph_lo = o->eph_lo;
	cfg->eph_hi = o->eph_hi;
	cfg->min_samples = o->min_samples;
	cfg->max_flows = o->max_flows;
	if (o->have_seed) {
		for (int i = 0; i < 8; i++) {
			kb[i] = (uint8_t)(o->seed >> (8 * i));
			kb[8 + i] = (uint8_t)(~o->seed >> (8 * i));
		}
	} else if (getrandom(kb, sizeof(kb), 0) != (ssize_t)sizeof(kb)) {
		/* No entropy source: fall back to an address-derived key. Output
		 * never depends on the key; only flooding resistance does. */
		uint64_t a = (uint64_t)(uintptr_t)cfg ^ 0x9e3779b97f4a7c15ull;

		for (int i = 0; i < 16; i++)
			kb[i] = (uint8_t)(a >> (8 * (i % 8)));
	}
	cfg->key = siphash_key_from_bytes(kb);
	o->checksums = rules_need_checksums(&cfg->rules);
	return TC_OK;
}

enum tc_rc oracle_new(const struct oracle_cfg *cfg, const struct oracle_sink *sink,
		      const char *file, struct oracle **out)
{
	struct oracle *o = calloc(1, sizeof(*o));

	*out = NULL;
	if (o == NULL)
		return TC_NOMEM;
	o->cfg = *cfg;
	o->sink = *sink;
	o->file = file;
	*out = o;
	return TC_OK;
}

void oracle_free(struct oracle *o)
{
	if (o == NULL)
		return;
	dedup_free(&o->flow_seen);
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

static void emit(struct oracle *o, const struct cap_packet *cp, const struct pkt *p,
		 const struct rule_hit *h)
{
	struct finding f;

	if (!o->cfg.rules.on[h->rule] || o->sink.finding == NULL)
		return;
	finding_from_packet(&f, o, cp, p);
	f.rule = h->rule;
	f.severity = rule_info(h->rule)->severity;
	f.transition = h->transition;
	f.message = h->message;
	signature_make(h->rule, h->transition, f.signature);
	o->sink.finding(o->sink.ctx, &f);
}

/* Has (rule, transition, flow of p) been reported in this file? Marks it. */
static bool is_flow_repeat(struct oracle *o, const struct pkt *p, const struct rule_hit *h)
{
	uint8_t key[1 + 1 + 1 + 2 * (16 + 2) + HIT_TRANSITION_MAX];
	const uint8_t *a = p->src, *b = p->dst;
	uint16_t pa = p->sport, pb = p->dport;
	size_t n = 0, tl = strlen(h->transition);
	int c = memcmp(a, b, 16);

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
	memcpy(key + n, h->transition, tl); n += tl;
	/* Out of memory: report again rather than lose a finding. */
	return dedup_add(&o->flow_seen, siphash24(&o->cfg.key, key, n)) == TC_END;
}

static void emit_once_per_flow(struct oracle *o, const struct cap_packet *cp,
			       const struct pkt *p, const struct rule_hit *h)
{
	if (!o->cfg.rules.on[h->rule] || is_flow_repeat(o, p, h))
		return;
	emit(o, cp, p, h);
}

void oracle_packet(struct oracle *o, const struct cap_packet *cp, const struct pkt *p)
{
	struct rule_hit hits[PKT_MAX_ERRORS], h;
	unsigned n = rules_decode_errors(p, hits, PKT_MAX_ERRORS);
	bool is_tcp, is_syn;

	for (unsigned i = 0; i < n; i++)
		emit(o, cp, p, &hits[i]);
	if (!p->have_l4 || (p->l4 != L4_TCP && p->l4 != L4_UDP))
		return;
	is_tcp = p->l4 == L4_TCP;

	if (rule_port_zero(p, &h))
		emit_once_per_flow(o, cp, p, &h);
	if (rule_tcp_invalid_flags(p, &h))
		emit_once_per_flow(o, cp, p, &h);

	/* Initiator rules: the sender of a SYN without ACK opens a connection. */
	is_syn = is_tcp && (p->flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) == TH_SYN;
	if (is_syn) {
		if (rule_port_privileged(true, p->sport, &h))
			emit_once_per_flow(o, cp, p, &h);
		if (o->cfg.have_range &&
		    rule_port_ephemeral(true, p->sport, o->cfg.eph_lo, o->cfg.eph_hi, &h))
			emit_once_per_flow(o, cp, p, &h);
	}
}

void oracle_finish(struct oracle *o, struct summary *s)
{
	(void)o;
	s->have_flows = false;
}
