/*
 * oraclecheck.c - invariants of the oracle's findings (see oraclecheck.h).
 *
 * The straight-line rules below are written from SPEC.md's rule catalog, not
 * from oracle/rules.c, so that the two can disagree: the decoder reasons
 * each catalog rule stands for, port.zero's and tcp.invalid-flags'
 * conditions (the latter with the one extension README.md documents, kept
 * apart in ext_invalid_flags). Where SPEC.md leaves a choice open (which rule, if any, a
 * frame shorter than its link or IP header on the wire belongs to), the
 * check allows either answer and says so.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_assert.h"
#include "oraclecheck.h"

/* Keys per set. Findings are bounded by the input (at most a few per
 * packet, a few thousand packets per input), so this cap is reached only
 * by pathological inputs; past it, deduplication is no longer checked and
 * fc->unchecked counts what was skipped, rather than memory growing. */
#define FC_MAX_KEYS 16384

/* ---- key sets ------------------------------------------------------------------ */

static uint32_t key_hash(const struct fc_key *k)
{
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* Add k. Returns TC_OK when new, TC_END when present, TC_EXHAUSTED when
 * the set is full or out of memory (not stored). */
static enum tc_rc set_add(struct fc_set *s, const struct fc_key *k)
{
	uint32_t i, h = key_hash(k);

	if (s->nslot != 0)
		for (i = h & (s->nslot - 1); s->slot[i] != 0; i = (i + 1) & (s->nslot - 1))
			if (memcmp(&s->keys[s->slot[i] - 1], k, sizeof(*k)) == 0)
				return TC_END;
	if (s->n >= FC_MAX_KEYS)
		return TC_EXHAUSTED;
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 64;
		struct fc_key *nk = realloc(s->keys, cap * sizeof(*nk));

		if (nk == NULL)
			return TC_EXHAUSTED;
		s->keys = nk;
		s->cap = cap;
	}
	if ((s->n + 1) * 2 > s->nslot) {
		uint32_t ns = s->nslot ? s->nslot * 2 : 128;
		uint32_t *slot = calloc(ns, sizeof(*slot));

		if (slot == NULL)
			return TC_EXHAUSTED;
		for (uint32_t j = 0; j < s->n; j++) {
			for (i = key_hash(&s->keys[j]) & (ns - 1); slot[i] != 0; i = (i + 1) & (ns - 1))
				;
			slot[i] = j + 1;
		}
		free(s->slot);
		s->slot = slot;
		s->nslot = ns;
	}
	for (i = h & (s->nslot - 1); s->slot[i] != 0; i = (i + 1) & (s->nslot - 1))
		;
	s->keys[s->n] = *k;
	s->slot[i] = ++s->n;
	return TC_OK;
}

static bool set_has(const struct fc_set *s, const struct fc_key *k)
{
	if (s->nslot == 0)
		return false;
	for (uint32_t i = key_hash(k) & (s->nslot - 1); s->slot[i] != 0; i = (i + 1) & (s->nslot - 1))
		if (memcmp(&s->keys[s->slot[i] - 1], k, sizeof(*k)) == 0)
			return true;
	return false;
}

static void set_free(struct fc_set *s)
{
	free(s->keys);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* The flow key of a tuple and flow, as oracle.c's "once per flow": the
 * smaller (address, port) endpoint first, then the flow's number. memset
 * first: the key is hashed and compared as bytes. */
static void flow_key(struct fc_key *k, enum rule_id r, uint8_t l4, uint8_t ipver,
		     const uint8_t src[16], uint16_t sport, const uint8_t dst[16],
		     uint16_t dport, uint64_t flow, const char *sig)
{
	int c = memcmp(src, dst, 16);
	bool swap = c > 0 || (c == 0 && sport > dport);

	memset(k, 0, sizeof(*k));
	k->rule = (uint8_t)r;
	k->l4 = l4;
	k->ipver = ipver;
	memcpy(k->a, swap ? dst : src, 16);
	memcpy(k->b, swap ? src : dst, 16);
	k->pa = swap ? dport : sport;
	k->pb = swap ? sport : dport;
	k->flow = flow;
	if (sig != NULL)
		memcpy(k->sig, sig, SIG_HEX + 1);
}

/* ---- the rules as SPEC.md states them ------------------------------------------------ */

/* The catalog rule a decoder reason stands for; R__COUNT for none. */
static enum rule_id spec_rule_of(uint8_t e)
{
	switch (e) {
	case PE_LINK_TRUNCATED: case PE_IP_TRUNCATED:
	case PE_TCP_TRUNCATED: case PE_UDP_TRUNCATED:
		return R_PKT_TRUNCATED;           /* "a header cut short" */
	case PE_IP_BAD_VERSION: case PE_IP_BAD_IHL: case PE_IP_BAD_TOTLEN:
	case PE_IP_LEN_EXCEEDS_FRAME: case PE_IP_BAD_OPTIONS:
	case PE_IP6_EXT_TOO_DEEP: case PE_IP6_BAD_EXT:
		return R_IP_BAD_HEADER;           /* "fields that contradict" */
	case PE_TCP_BAD_OFFSET: case PE_TCP_BAD_OPTIONS:
		return R_TCP_BAD_OFFSET;
	case PE_UDP_BAD_LENGTH:
		return R_UDP_BAD_LENGTH;
	case PE_IP_BAD_CHECKSUM:  return R_IP_BAD_CHECKSUM;
	case PE_TCP_BAD_CHECKSUM: return R_TCP_BAD_CHECKSUM;
	case PE_UDP_BAD_CHECKSUM: return R_UDP_BAD_CHECKSUM;
	default:
		return R__COUNT;                  /* not IP, unsupported, fragment */
	}
}

/* Reasons SPEC.md does not pin to one rule: a frame shorter on the wire
 * than its link or IP header ("cut short ... by lengths that do not fit"
 * or "fields that contradict the packet"), a VLAN stack deeper than we walk.
 * Either of the two rules, or none, is accepted. */
static bool spec_ambiguous(uint8_t e)
{
	return e == PE_LINK_SHORT || e == PE_IP_SHORT || e == PE_VLAN_TOO_DEEP;
}

static bool spec_port_zero(const struct pkt *p)
{
	if (!p->have_l4)
		return false;
	if (p->l4 == L4_TCP)
		return p->sport == 0 || p->dport == 0;
	return p->l4 == L4_UDP && p->dport == 0;
}

static bool spec_invalid_flags(const struct pkt *p)
{
	uint16_t f = p->flags & 0xfff;

	if (!p->have_l4 || p->l4 != L4_TCP)
		return false;
	return ((f & TH_SYN) && (f & TH_FIN)) || ((f & TH_SYN) && (f & TH_RST)) || f == 0 ||
	       (!(f & TH_ACK) && (f & (TH_FIN | TH_PSH | TH_URG)));
}

/* The extension README.md documents beyond SPEC's list: a segment with
 * none of SYN, RST and ACK, whatever else it carries, is dropped in every
 * state (RFC 9293 3.10.7.2-3.10.7.4) and is tcp.invalid-flags' too. */
static bool ext_invalid_flags(const struct pkt *p)
{
	return p->have_l4 && p->l4 == L4_TCP && !(p->flags & (TH_SYN | TH_RST | TH_ACK));
}

/* ---- the checker ----------------------------------------------------------------------- */

void fcheck_init(struct fcheck *fc, const struct rule_set *rules, const char *file)
{
	memset(fc, 0, sizeof(*fc));
	fc->rules = *rules;
	fc->file = file;
}

void fcheck_free(struct fcheck *fc)
{
	set_free(&fc->flow_sig);
	set_free(&fc->flow_any);
	set_free(&fc->host_sig);
}

uint64_t fcheck_total(const struct fcheck *fc)
{
	uint64_t n = 0;

	for (unsigned r = 0; r < R__COUNT; r++)
		n += fc->findings[r];
	return n;
}

void fcheck_print_rules(FILE *out, const uint64_t totals[R__COUNT])
{
	for (unsigned r = 0; r < R__COUNT; r++) {
		const char *id = rule_info((enum rule_id)r)->id;

		fputs(" r_", out);
		for (; *id; id++)
			fputc(*id == '.' || *id == '-' ? '_' : *id, out);
		fprintf(out, "=%llu", (unsigned long long)totals[r]);
	}
}

void fcheck_packet_begin(struct fcheck *fc, const struct cap_packet *cp, const struct pkt *p,
			 uint64_t flow)
{
	FUZZ_CHECK(!fc->in_packet && !fc->finishing, "packet_begin out of order");
	fc->in_packet = true;
	fc->cp = *cp;
	fc->p = *p;
	fc->flow = flow;
	if (cp->frame > fc->max_frame)
		fc->max_frame = cp->frame;
	memset(fc->got, 0, sizeof(fc->got));
}

static void check_common(struct fcheck *fc, const struct finding *f)
{
	const struct rule_info *ri;
	char sig[SIG_HEX + 1];

	FUZZ_CHECK((unsigned)f->rule < R__COUNT, "finding with rule %d", (int)f->rule);
	ri = rule_info(f->rule);
	FUZZ_CHECK(fc->rules.on[f->rule], "finding of disabled rule %s", ri->id);
	FUZZ_CHECK(f->severity == ri->severity, "%s with severity %s, catalog says %s", ri->id,
		   severity_name(f->severity), severity_name(ri->severity));
	FUZZ_CHECK(f->file == fc->file, "%s: finding names another file", ri->id);
	FUZZ_CHECK(f->transition != NULL && f->message != NULL && f->message[0] != '\0',
		   "%s without transition or message", ri->id);
	FUZZ_CHECK(strlen(f->signature) == SIG_HEX &&
		   strspn(f->signature, "0123456789abcdef") == SIG_HEX,
		   "%s signature \"%s\" is not %d lowercase hex digits", ri->id, f->signature, SIG_HEX);
	signature_make(f->rule, f->transition, sig);
	FUZZ_CHECK(strcmp(sig, f->signature) == 0, "%s signature %s, recomputed %s", ri->id,
		   f->signature, sig);
	fc->findings[f->rule]++;
}

static void check_packet_finding(struct fcheck *fc, const struct finding *f)
{
	const struct pkt *p = &fc->p;
	const struct rule_info *ri = rule_info(f->rule);
	bool ports = p->have_l4 && (p->l4 == L4_TCP || p->l4 == L4_UDP);

	FUZZ_CHECK(!f->is_host && ri->dedup != DEDUP_HOST, "%s: host finding during a packet", ri->id);
	FUZZ_CHECK(f->frame == fc->cp.frame && f->ts_sec == fc->cp.ts_sec &&
		   f->ts_nsec == fc->cp.ts_nsec && f->ts_digits == fc->cp.ts_digits,
		   "%s: frame %llu at %lld.%09u, the packet is frame %llu at %lld.%09u", ri->id,
		   (unsigned long long)f->frame, (long long)f->ts_sec, f->ts_nsec,
		   (unsigned long long)fc->cp.frame, (long long)fc->cp.ts_sec, fc->cp.ts_nsec);
	FUZZ_CHECK(f->have_ip == p->have_ip && f->have_ports == ports,
		   "%s: tuple fields (ip %d ports %d) differ from the packet's (%d %d)", ri->id,
		   f->have_ip, f->have_ports, p->have_ip, ports);
	if (f->rule == R_PORT_PRIVILEGED_SOURCE || f->rule == R_PORT_EPHEMERAL_RANGE) {
		/* about the initiator: its side is src, whichever end sent the
		 * packet (the initiator's port is checked against the caller's
		 * engine at fcheck_packet_end) */
		bool fwd = memcmp(f->src, p->src, 16) == 0 && memcmp(f->dst, p->dst, 16) == 0 &&
			   f->sport == p->sport && f->dport == p->dport;
		bool rev = memcmp(f->src, p->dst, 16) == 0 && memcmp(f->dst, p->src, 16) == 0 &&
			   f->sport == p->dport && f->dport == p->sport;

		FUZZ_CHECK(f->have_ip && f->have_ports && f->ipver == p->ipver && f->proto == p->l4 &&
			   (fwd || rev), "%s: tuple %u>%u is neither the packet's %u>%u nor its reverse",
			   ri->id, f->sport, f->dport, p->sport, p->dport);
		FUZZ_CHECK(f->rule != R_PORT_PRIVILEGED_SOURCE || (f->sport != 0 && f->sport < 1024),
			   "%s: src port %u is not the privileged port judged", ri->id, f->sport);
		fc->init_sport = f->sport;
		memcpy(fc->init_src, f->src, 16);
	} else {
		if (f->have_ip)
			FUZZ_CHECK(f->ipver == p->ipver && memcmp(f->src, p->src, 16) == 0 &&
				   memcmp(f->dst, p->dst, 16) == 0, "%s: addresses differ from the packet's",
				   ri->id);
		if (f->have_ports)
			FUZZ_CHECK(f->sport == p->sport && f->dport == p->dport && f->proto == p->l4,
				   "%s: ports %u>%u, packet %u>%u", ri->id, f->sport, f->dport, p->sport,
				   p->dport);
	}
	if (ri->dedup == DEDUP_FLOW)
		FUZZ_CHECK(f->have_ports, "%s (once per flow) on a packet without a transport header",
			   ri->id);
	/* repeats: once per (tuple, flow), unless the flow is unknown */
	if (ri->dedup == DEDUP_FLOW && fc->flow != FC_FLOW_UNKNOWN) {
		struct fc_key k;
		enum tc_rc rc;

		flow_key(&k, f->rule, (uint8_t)p->l4, p->ipver, p->src, p->sport, p->dst, p->dport,
			 fc->flow, f->signature);
		rc = set_add(&fc->flow_sig, &k);
		FUZZ_CHECK(rc != TC_END, "%s (signature %s) reported twice for one flow", ri->id,
			   f->signature);
		fc->unchecked += rc == TC_EXHAUSTED;
		memset(k.sig, 0, sizeof(k.sig));
		fc->unchecked += set_add(&fc->flow_any, &k) == TC_EXHAUSTED;
	}
	fc->got[f->rule]++;
}

static void check_host_finding(struct fcheck *fc, const struct finding *f)
{
	const struct rule_info *ri = rule_info(f->rule);
	struct fc_key k;
	enum tc_rc rc;

	FUZZ_CHECK(f->is_host && ri->dedup == DEDUP_HOST, "%s at the end of the file, not a host rule",
		   ri->id);
	FUZZ_CHECK(f->proto == L4_TCP || f->proto == L4_UDP, "%s: proto %d", ri->id, (int)f->proto);
	FUZZ_CHECK(f->ipver == 4 || f->ipver == 6, "%s: ipver %u", ri->id, f->ipver);
	FUZZ_CHECK(f->frames != NULL || f->n_frames == 0, "%s: evidence frames missing", ri->id);
	for (uint32_t i = 0; i < f->n_frames; i++)
		FUZZ_CHECK(f->frames[i] >= 1 && f->frames[i] <= fc->max_frame,
			   "%s: evidence frame %llu outside 1..%llu", ri->id,
			   (unsigned long long)f->frames[i], (unsigned long long)fc->max_frame);
	FUZZ_CHECK(f->n_frames == 0 ? f->frame == 0 : f->frame == f->frames[0],
		   "%s: frame %llu is not the first evidence frame", ri->id, (unsigned long long)f->frame);
	memset(&k, 0, sizeof(k));
	k.rule = (uint8_t)f->rule;
	k.l4 = (uint8_t)f->proto;
	k.ipver = f->ipver;
	memcpy(k.a, f->host, 16);
	memcpy(k.sig, f->signature, SIG_HEX + 1);
	rc = set_add(&fc->host_sig, &k);
	FUZZ_CHECK(rc != TC_END, "%s reported twice for one host", ri->id);
	fc->unchecked += rc == TC_EXHAUSTED;
}

void fcheck_finding(void *ctx, const struct finding *f)
{
	struct fcheck *fc = ctx;

	FUZZ_CHECK(fc->in_packet || fc->finishing, "finding outside oracle_packet/oracle_finish");
	check_common(fc, f);
	if (fc->in_packet)
		check_packet_finding(fc, f);
	else
		check_host_finding(fc, f);
}

/* Was r reported earlier for the flow of the current packet (any
 * signature)? When the flow is unknown nothing can be demanded: true. */
static bool seen_for_flow(const struct fcheck *fc, enum rule_id r)
{
	const struct pkt *p = &fc->p;
	struct fc_key k;

	if (fc->flow == FC_FLOW_UNKNOWN)
		return true;
	flow_key(&k, r, (uint8_t)p->l4, p->ipver, p->src, p->sport, p->dst, p->dport, fc->flow,
		 NULL);
	return set_has(&fc->flow_any, &k);
}

void fcheck_packet_end(struct fcheck *fc, const struct fc_expect *expect)
{
	const struct pkt *p = &fc->p;
	unsigned want[R__COUNT] = { 0 }, slack = 0;

	FUZZ_CHECK(fc->in_packet, "packet_end without packet_begin");
	fc->in_packet = false;

	/* Decoder reasons: one finding per reason (DEDUP_PACKET), nothing else. */
	for (unsigned i = 0; i < p->n_err && i < PKT_MAX_ERRORS; i++) {
		enum rule_id r = spec_rule_of(p->err[i]);

		if (r != R__COUNT && fc->rules.on[r])
			want[r]++;
		slack += spec_ambiguous(p->err[i]);
	}
	for (unsigned r = 0; r < R__COUNT; r++) {
		const struct rule_info *ri = rule_info((enum rule_id)r);

		if (ri->dedup != DEDUP_PACKET)
			continue;
		FUZZ_CHECK(fc->got[r] >= want[r], "%s: %u finding(s), the decoder named %u reason(s)",
			   ri->id, fc->got[r], want[r]);
		FUZZ_CHECK(fc->got[r] <= want[r] + ((r == R_PKT_TRUNCATED || r == R_IP_BAD_HEADER) ? slack : 0),
			   "%s: %u finding(s) for %u reason(s) of the decoder", ri->id, fc->got[r], want[r]);
	}

	/* port.zero and tcp.invalid-flags: exactly when the condition holds,
	 * once per flow. */
	if (fc->rules.on[R_PORT_ZERO]) {
		bool cond = spec_port_zero(p);

		FUZZ_CHECK(!fc->got[R_PORT_ZERO] || cond, "port.zero on %u>%u", p->sport, p->dport);
		FUZZ_CHECK(!cond || fc->got[R_PORT_ZERO] || seen_for_flow(fc, R_PORT_ZERO),
			   "port 0 (%u>%u) without port.zero", p->sport, p->dport);
	}
	if (fc->rules.on[R_TCP_INVALID_FLAGS]) {
		bool cond = spec_invalid_flags(p) || ext_invalid_flags(p);

		FUZZ_CHECK(!fc->got[R_TCP_INVALID_FLAGS] || cond, "tcp.invalid-flags on flags 0x%03x",
			   p->flags);
		FUZZ_CHECK(!cond || fc->got[R_TCP_INVALID_FLAGS] || seen_for_flow(fc, R_TCP_INVALID_FLAGS),
			   "flags 0x%03x without tcp.invalid-flags", p->flags);
	}
	/* At most one finding per rule and packet, except decoder reasons. */
	for (unsigned r = 0; r < R__COUNT; r++)
		if (rule_info((enum rule_id)r)->dedup != DEDUP_PACKET)
			FUZZ_CHECK(fc->got[r] <= 1, "%s %u times for one packet",
				   rule_info((enum rule_id)r)->id, fc->got[r]);

	if (expect == NULL)
		return;
	for (unsigned r = 0; r < R__COUNT; r++) {
		const struct rule_info *ri = rule_info((enum rule_id)r);

		if (!fc->rules.on[r])
			continue;
		if (expect->must[r])
			FUZZ_CHECK(fc->got[r] > 0 || (ri->dedup == DEDUP_FLOW && seen_for_flow(fc, (enum rule_id)r)),
				   "the engine's facts call for %s, the oracle said nothing", ri->id);
		if (r == R_TUPLE_DUPLICATE_LIVE || r == R_TUPLE_REUSE_TIME_WAIT ||
		    r == R_TCP_RST_OUT_OF_WINDOW || r == R_TCP_MIDSTREAM ||
		    r == R_PORT_PRIVILEGED_SOURCE || r == R_PORT_EPHEMERAL_RANGE)
			FUZZ_CHECK(fc->got[r] == 0 || expect->may[r],
				   "%s reported where the engine's facts do not allow it", ri->id);
	}
	/* the initiator rules name the initiator's side of the connection */
	if (fc->got[R_PORT_PRIVILEGED_SOURCE] || fc->got[R_PORT_EPHEMERAL_RANGE])
		FUZZ_CHECK(fc->init_sport == expect->init_sport &&
			   memcmp(fc->init_src, expect->init_src, 16) == 0,
			   "an initiator rule names port %u as the initiator's, the engine says %u",
			   fc->init_sport, expect->init_sport);
}

void fcheck_finish_begin(struct fcheck *fc)
{
	FUZZ_CHECK(!fc->in_packet && !fc->finishing, "finish_begin out of order");
	fc->finishing = true;
}

void fcheck_finish_end(struct fcheck *fc)
{
	FUZZ_CHECK(fc->finishing, "finish_end without finish_begin");
	fc->finishing = false;
}
