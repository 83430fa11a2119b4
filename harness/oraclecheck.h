/*
 * oraclecheck.h - invariants of the oracle's findings, shared by fuzz_pcap
 * and fuzz_engine.
 *
 * The checker is the oracle's sink (struct oracle_sink): every finding goes
 * through fcheck_finding, which checks it against the catalog (rule
 * enabled, severity, signature recomputed from the transition), against the
 * packet being replayed (frame, time, tuple) and against the deduplication
 * each rule promises (rules.h enum rule_dedup: once per flow or host means
 * once, kept in a set of full keys, not hashes). Around each packet,
 * fcheck_packet_end checks in lockstep with straight-line versions of the
 * per-packet rules written from SPEC.md: every decoder reason that names a
 * rule gives that rule's finding; port.zero and tcp.invalid-flags fire
 * exactly when their conditions hold (first time per flow); engine-event
 * rules fire only where the caller's own engine says they may, and the
 * initiator rules name the initiator it knows as src.
 */
#ifndef ORACLECHECK_H
#define ORACLECHECK_H

#include "capture.h"
#include "decode.h"
#include "report.h"
#include "rules.h"

/* What a caller that runs its own engine expects of this packet (see
 * fuzz_engine.c): must[r] demands at least one finding of rule r unless r
 * was already reported for this flow (DEDUP_FLOW rules); may[r] allows
 * findings of r (engine-event and initiator rules), which are refused
 * otherwise when an expectation is given. */
struct fc_expect {
	bool must[R__COUNT];
	bool may[R__COUNT];
	/* the initiator of the packet's flow (its source port and address), which
	 * port.privileged-source and port.ephemeral-range must name as src */
	uint16_t init_sport;
	uint8_t init_src[16];
};

/* The flow of the packet being replayed, as the caller's own engine numbers
 * it (struct flow.seqno, unique in a file; the oracle's engine numbers flows
 * the same way, whatever its hash key), or one of these: */
#define FC_FLOW_NONE UINT64_MAX           /* the engine tracks no flow for it:
					     the oracle keys "once per flow"
					     on the tuple alone */
#define FC_FLOW_UNKNOWN (UINT64_MAX - 1)  /* the caller cannot tell (its engine
					     went another way): once-per-flow
					     repeats are not checked */

struct fc_key {
	uint8_t rule, l4, ipver;
	uint8_t a[16], b[16];      /* canonical: smaller (address, port) first; host: a */
	uint16_t pa, pb;
	uint64_t flow;             /* FC_FLOW_NONE or the flow's number; host: 0 */
	char sig[SIG_HEX + 1];     /* "" in the any-signature set */
};

/* A set of keys: open addressing over indices into a growable array. */
struct fc_set {
	struct fc_key *keys;
	uint32_t n, cap;
	uint32_t *slot;            /* 0 = empty, else index + 1 */
	uint32_t nslot;
};

struct fcheck {
	struct rule_set rules;
	const char *file;
	bool in_packet, finishing;
	struct cap_packet cp;
	struct pkt p;
	uint64_t flow;                 /* the packet's flow (FC_FLOW_*)   */
	uint64_t max_frame;
	unsigned got[R__COUNT];        /* findings of this packet, per rule */
	uint16_t init_sport;           /* src of this packet's initiator-rule finding */
	uint8_t init_src[16];
	struct fc_set flow_sig;        /* (rule, flow, signature), DEDUP_FLOW */
	struct fc_set flow_any;        /* (rule, flow), any signature */
	struct fc_set host_sig;        /* (rule, host, signature), DEDUP_HOST */
	uint64_t findings[R__COUNT];   /* totals, for the stats line */
	uint64_t unchecked;            /* keys not stored: a set hit its cap */
};

/* fcheck_init - an empty checker for one file. rules: the enabled set the
 * oracle was given (copied); file: the name given to oracle_new (the
 * pointer itself is compared). */
void fcheck_init(struct fcheck *fc, const struct rule_set *rules, const char *file);
void fcheck_free(struct fcheck *fc);

/* Around oracle_packet(o, cp, p): cp and p are copied; flow is the packet's
 * flow number or FC_FLOW_NONE / FC_FLOW_UNKNOWN (above): "once per flow"
 * means once per (rule, signature, tuple, flow). expect may be NULL (no
 * engine of the caller's own: engine-event rules are not judged). */
void fcheck_packet_begin(struct fcheck *fc, const struct cap_packet *cp, const struct pkt *p,
			 uint64_t flow);
void fcheck_packet_end(struct fcheck *fc, const struct fc_expect *expect);

/* Around oracle_finish: host findings come in between. */
void fcheck_finish_begin(struct fcheck *fc);
void fcheck_finish_end(struct fcheck *fc);

/* The sink callback: ctx is the struct fcheck. */
void fcheck_finding(void *ctx, const struct finding *f);

/* Sum of fc->findings[]. */
uint64_t fcheck_total(const struct fcheck *fc);

/* Print per-rule totals as " r_RULE=N" for each rule (the rule id with '.'
 * and '-' as '_'), the tail of a stats line (fuzz.h). */
void fcheck_print_rules(FILE *out, const uint64_t totals[R__COUNT]);

#endif /* ORACLECHECK_H */
