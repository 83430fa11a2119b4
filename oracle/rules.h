/*
 * rules.h - the rule catalog of the replay oracle, `--rules` parsing, finding
 * signatures and the decision function of each rule.
 *
 * One table (rules.c) holds every rule: id, severity, default on/off, the RFC
 * clause it enforces, a one-line help and the longer text SARIF shows. Every
 * other part (reports, reduce, the SARIF rule list, --help of the rules)
 * reads that table, so a rule is added in one place.
 *
 * Decision functions are pure: they take decoded fields or facts the engine
 * reports and say whether the rule fires, filling a struct rule_hit with the
 * canonical transition text (what the signature hashes) and a message. They
 * keep no state; deduplication lives in the oracle (oracle.c), which knows
 * flows and hosts. SPEC.md "Rule catalog" is the contract.
 */
#ifndef TC_RULES_H
#define TC_RULES_H

#include "tc.h"
#include "cli.h"
#include "decode.h"
#include "engine.h"

enum rule_id {
	R_TUPLE_DUPLICATE_LIVE = 0,
	R_TUPLE_REUSE_TIME_WAIT,
	R_PORT_ZERO,
	R_PORT_EPHEMERAL_RANGE,
	R_PORT_PRIVILEGED_SOURCE,
	R_PORT_SEQUENTIAL,
	R_PORT_FIXED,
	R_TCP_INVALID_FLAGS,
	R_TCP_RST_OUT_OF_WINDOW,
	R_TCP_MIDSTREAM,
	R_PKT_TRUNCATED,
	R_IP_BAD_HEADER,
	R_TCP_BAD_OFFSET,
	R_UDP_BAD_LENGTH,
	R_IP_BAD_CHECKSUM,
	R_TCP_BAD_CHECKSUM,
	R_UDP_BAD_CHECKSUM,
	R__COUNT
};

/* How often a rule reports the same defect (documented per rule in rules.c). */
enum rule_dedup {
	DEDUP_PACKET,      /* every packet that shows it                        */
	DEDUP_FLOW,        /* once per flow and signature: a later connection on
			      the same 5-tuple (its own stream) is another flow */
	DEDUP_EVENT,       /* every engine event (new incarnation, a RST)       */
	DEDUP_HOST         /* once per host and signature in a file             */
};

struct rule_info {
	const char *id;
	enum severity severity;
	bool default_on;
	enum rule_dedup dedup;
	const char *rfc;        /* clause enforced, e.g. "RFC 6191 section 2" */
	const char *help;       /* one line */
	const char *long_help;  /* a paragraph: what, why, when it is legal, dedup */
};

/* rule_info - the catalog entry of r (r < R__COUNT). Static storage. */
const struct rule_info *rule_info(enum rule_id r);

/* rule_lookup - find a rule by its id text (exact match, n bytes of s).
 * Returns TC_OK with *out set, TC_UNSUPPORTED when no rule has that id. */
enum tc_rc rule_lookup(const char *s, size_t n, enum rule_id *out);

/* severity_name - "error", "warning", "info". */
const char *severity_name(enum severity s);

/* The enabled set, built once per run from the defaults, --rules and the
 * options that switch rules on (--ephemeral-range / --profile). */
struct rule_set {
	bool on[R__COUNT];
	uint8_t off_why[R__COUNT];     /* enum rule_off, for the rules that are off */
};

/* Why a rule is off, for reports that list every rule (JUnit). */
enum rule_off {
	RULE_OFF_DEFAULT,              /* off by default, not asked for */
	RULE_OFF_NOT_LISTED,           /* --rules named other rules only */
	RULE_OFF_REMOVED,              /* --rules -id */
	RULE_OFF_NO_RANGE,             /* port.ephemeral-range without a range */
};

/* rules_off_reason - a short phrase into buf saying why rule r is off in
 * set ("off by default; --rules +ip.bad-checksum turns it on"); "" for a
 * rule that is on. Returns buf. */
char *rules_off_reason(const struct rule_set *set, enum rule_id r, char *buf, size_t len);

/*
 * rules_parse - build *set from the defaults and LIST (may be NULL).
 * LIST is a comma list of items: "id" (bare), "+id" (enable), "-id"
 * (disable). If any bare id appears, the set starts empty and holds exactly
 * the bare ids plus the "+" ones; otherwise it starts from the defaults.
 * "-" items are applied last, so "-x" always wins. have_range says whether a
 * port range was given: it turns port.ephemeral-range on by default, and
 * asking for that rule without a range is a usage error.
 * Returns TC_OK; TC_MALFORMED with err naming the offending item ("unknown
 * rule 'x'; the rules are ..." listing every id, "empty item",
 * "port.ephemeral-range needs ..."). err should hold 512 bytes for the list.
 */
enum tc_rc rules_parse(const char *list, bool have_range, struct rule_set *set,
		       char *err, size_t errlen);

/* rules_need_checksums - is any *.bad-checksum rule enabled? */
bool rules_need_checksums(const struct rule_set *set);

/* ---- signatures ------------------------------------------------------------ */

#define SIG_HEX 12   /* hex digits of a signature */

/*
 * signature_make - the stable signature of (rule, transition): the first 48
 * bits of FNV-1a 64 over "ID|TRANSITION", as 12 lowercase hex digits into
 * out (SIG_HEX + 1 bytes). The transition text names states and conditions,
 * never addresses, ports or times, so equal signatures mean one defect.
 */
void signature_make(enum rule_id r, const char *transition, char out[SIG_HEX + 1]);

/* ---- decision functions ---------------------------------------------------- */

#define HIT_TRANSITION_MAX 96
#define HIT_MESSAGE_MAX 320

/* What a firing rule says. transition feeds the signature; message is for
 * people and may name numbers (ports, sequence numbers, seconds). */
struct rule_hit {
	enum rule_id rule;
	char transition[HIT_TRANSITION_MAX];
	char message[HIT_MESSAGE_MAX];
};

/*
 * Packet-level rules. Each returns how many hits it wrote into hits[0..max)
 * (0 = the packet is fine for that rule). p is a decoded packet.
 */

/* pkt.truncated, ip.bad-header, tcp.bad-offset, udp.bad-length and the three
 * checksum rules, from the decoder's named reasons (p->err). One hit per
 * reason; rules that are off still produce hits (the caller filters). */
unsigned rules_decode_errors(const struct pkt *p, struct rule_hit *hits, unsigned max);

/* port.zero: TCP sport or dport 0, UDP dport 0 (RFC 9293 section 3.1 ports
 * name endpoints, 0 is reserved; RFC 768: UDP source port 0 means "no reply
 * port" and is legal). Returns 0 or 1. */
unsigned rule_port_zero(const struct pkt *p, struct rule_hit *hit);

/* tcp.invalid-flags: SYN+FIN, SYN+RST, no flag at all, FIN/PSH/URG without
 * ACK (RFC 9293 section 3.10.7: only a SYN or RST may lack ACK outside
 * SYN-SENT replies), and, beyond SPEC's list, a segment with none of SYN,
 * RST and ACK whatever else it carries (only ECE, CWR, AE or reserved
 * bits): RFC 9293 drops it in every state (3.10.7.2 LISTEN, 3.10.7.3
 * SYN-SENT "neither of the SYN or RST bits", 3.10.7.4 "if the ACK bit is
 * off") exactly as a null segment. Returns 0 or 1. */
unsigned rule_tcp_invalid_flags(const struct pkt *p, struct rule_hit *hit);

/* The inline tests below are meant to be inlined even into the oracle's
 * out-of-line (cold) paths, where gcc would otherwise call them. */
#if defined(__GNUC__)
#define RULE_INLINE static inline __attribute__((always_inline))
#else
#define RULE_INLINE static inline
#endif

/* tcp_flags_invalid - whether rule_tcp_invalid_flags finds anything in a
 * TCP segment with flags f, without building the finding: the per-packet
 * test (test_rules checks it against the rule for every flag value). */
RULE_INLINE bool tcp_flags_invalid(uint16_t f)
{
	return ((f & TH_SYN) && (f & (TH_FIN | TH_RST))) || !(f & (TH_SYN | TH_RST | TH_ACK)) ||
	       (!(f & TH_ACK) && (f & (TH_FIN | TH_PSH | TH_URG)));
}

/* Bit i set: tcp_flags_invalid(f) holds for a segment whose six low flags
 * (FIN..URG) are i. The six decide alone (the flags beyond them, ECE, CWR,
 * AE and the reserved bits, never make a segment valid or invalid), so
 * bit i is exactly tcp_flags_invalid(i). test_rules checks the mask
 * against tcp_flags_invalid for every flag value. */
#define TCP_FLAGS_SUSPECT_MASK UINT64_C(0xc8c8ffffc8c8ffeb)

/* tcp_flags_suspect - the per-packet filter before tcp_flags_invalid: one
 * bit test, true exactly for the flag values tcp_flags_invalid finds
 * invalid (the oracle still confirms with the exact test). */
RULE_INLINE bool tcp_flags_suspect(uint16_t f)
{
	return (TCP_FLAGS_SUSPECT_MASK >> (f & 63)) & 1;
}

/* Initiator port rules: sport is the source port of the connection's
 * initiator (TCP: the sender of the SYN; UDP: the sender of the first
 * datagram). port.privileged-source (TCP only, port below 1024 and not 0)
 * and port.ephemeral-range (lo..hi inclusive). Each returns 0 or 1. */
unsigned rule_port_privileged(bool is_tcp, uint16_t sport, struct rule_hit *hit);
unsigned rule_port_ephemeral(bool is_tcp, uint16_t sport, uint16_t lo, uint16_t hi,
			     struct rule_hit *hit);

/* port_privileged_fires - whether rule_port_privileged fires, without
 * building the finding (test_rules checks it against the rule for every
 * port of both protocols). */
RULE_INLINE bool port_privileged_fires(bool is_tcp, uint16_t sport)
{
	return is_tcp && sport != 0 && sport < 1024;
}

/* ---- connection rules (facts the engine reports) --------------------------- */

/* What is known when a SYN (no ACK) opens a new incarnation on a tuple that
 * had one before, or repeats the ISN of a connection a FIN exchange closed
 * (the engine keeps that in the same flow). Sequence numbers and
 * timestamps are those of the SYN's sender, as seen on the previous
 * incarnation. */
struct reuse_facts {
	enum prev_end prev;         /* engine.h: how the previous incarnation ended */
	const char *prev_state;     /* engine's name of the old state, for messages */
	bool same_direction;        /* the SYN comes from the old initiator */
	uint64_t elapsed_ns;        /* SYN time minus the old close time (PREV_FIN),
				       between the two packets' own stamps */
	bool elapsed_clamped;       /* the SYN is stamped before the close: elapsed_ns
				       is how far before */
	bool elapsed_unknown;       /* either has no timestamp (pcapng SPB): elapsed 0,
				       and the message claims no time */
	uint32_t isn;               /* the new SYN's sequence number */
	bool isn_is_old;            /* ... equals the sender's ISN of the old connection
				       (a SYN repeated after its FIN exchange) */
	bool have_final_seq;        /* the old incarnation carried data/FIN from this side */
	uint32_t final_seq;         /* highest sequence number the sender used before (its FIN's seq + 1) */
	bool syn_has_ts;
	uint32_t syn_ts;
	bool prev_has_ts;           /* the sender used timestamps on the old incarnation */
	uint32_t prev_ts;           /* its last TSval seen */
};

/*
 * rule_duplicate_live: tuple.duplicate-live fires when prev is PREV_OPEN
 * (RFC 9293 section 3.5/3.10.7.3: a connection is named by its socket pair;
 * two live connections cannot share one). PREV_ATTEMPT, an old handshake
 * not seen to complete, is legal: a client that gives up a connect in
 * SYN-SENT deletes its TCB without sending anything (RFC 9293 section
 * 3.10.5, ABORT), so a new SYN on the tuple is all the wire shows. Nor does
 * it fire on PREV_FIN_ONE_SIDED: the capture cannot show that connection
 * still open (nor closed: rule_reuse_time_wait stays silent too). Returns
 * 0 or 1.
 */
unsigned rule_duplicate_live(const struct reuse_facts *f, struct rule_hit *hit);

/*
 * rule_reuse_time_wait: tuple.reuse-time-wait fires when prev is PREV_FIN
 * (both FINs seen, acknowledged or not), elapsed < 2*msl, and no condition
 * that makes the reuse legal holds:
 *  - the SYN carries a timestamp and the old incarnation's sender used none
 *    (RFC 6191 section 2 honours such a SYN);
 *  - the SYN's TSval is above the last one the sender used (RFC 6191);
 *  - its ISN is above final_seq (RFC 1122 4.2.2.13), whatever the
 *    timestamps say.
 * So it fires for a SYN without a timestamp whose ISN is not above, and for
 * a SYN whose TSval and ISN are both not above the old ones. Both
 * comparisons are modulo 2^32 (RFC 9293 section 3.4, RFC 7323 section 5.3
 * PAWS arithmetic). The message says which conditions failed. Returns 0 or 1.
 */
unsigned rule_reuse_time_wait(const struct reuse_facts *f, uint32_t msl, struct rule_hit *hit);

/* seq_gt - a > b modulo 2^32 (RFC 9293 section 3.4). */
bool is_seq_gt(uint32_t a, uint32_t b);

/* What is known when a RST arrives on a tracked connection: the engine's
 * RFC 5961 judgement (tcpstate.h tcp_rst_judge) and the receiver's state. */
struct rst_facts {
	const char *state;               /* receiver's RFC 9293 state name */
	uint32_t seq;                    /* the RST's sequence number */
	const struct tcp_rst_check *chk; /* the engine's verdict and window */
};

/*
 * rule_rst_out_of_window: tcp.rst-out-of-window fires when the engine found
 * the RST outside the receiver's window: RCV.NXT <= seq < RCV.NXT + RCV.WND
 * does not hold (RFC 5961 section 3.2: such a RST is dropped; one inside the
 * window but not exact earns a challenge ACK and is legal traffic), or, in
 * SYN-SENT, it does not acknowledge the SYN (RFC 9293 section 3.10.7.3).
 * The transition says which side of the window it fell on. Returns 0 or 1.
 */
unsigned rule_rst_out_of_window(const struct rst_facts *f, struct rule_hit *hit);

/*
 * rule_midstream: tcp.midstream for the first packet of a TCP tuple that is
 * not a SYN without ACK (RFC 9293 section 3.5: a connection starts with the
 * three-way handshake; without it the capture began mid-connection or the
 * SYN was lost). flags is the first packet's flag field. Returns 0 or 1.
 */
unsigned rule_midstream(uint16_t flags, struct rule_hit *hit);

/* midstream_fires - whether rule_midstream fires for first-packet flags f,
 * without building the finding: anything but a SYN without ACK (test_rules
 * checks it against the rule for every flag value). */
RULE_INLINE bool midstream_fires(uint16_t f)
{
	return (f & (TH_SYN | TH_ACK)) != TH_SYN;
}

#endif /* TC_RULES_H */
