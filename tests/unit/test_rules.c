/*
 * test_rules.c - the rule catalog (oracle/rules.c): the table itself, --rules
 * parsing, signature stability and every decision function, on hand-built
 * decoded packets and engine facts.
 *
 * Signature stability is the contract that matters most to triage: the same
 * defect on other addresses, ports, sequence numbers or times must give the
 * same signature, and a different failed condition a different one.
 *
 * Also the oracle's latest-packet time (oracle.c keeps it with a sentinel
 * start instead of a flag), checked against a plain running maximum through
 * the time of a host finding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "classify.h"
#include "rules.h"
#include "report.h"
#include "oracle.h"

/* ==== the catalog ========================================================== */

static void test_catalog_complete(void **state)
{
	(void)state;
	for (unsigned i = 0; i < R__COUNT; i++) {
		const struct rule_info *ri = rule_info((enum rule_id)i);
		enum rule_id back;

		assert_non_null(ri->id);
		assert_non_null(ri->rfc);
		assert_true(strncmp(ri->rfc, "RFC ", 4) == 0);
		assert_true(strlen(ri->help) > 10);
		assert_true(strlen(ri->long_help) > strlen(ri->help));
		assert_int_equal(rule_lookup(ri->id, strlen(ri->id), &back), TC_OK);
		assert_int_equal(back, i);
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(ri->id, rule_info((enum rule_id)j)->id);
	}
	/* SPEC severities and defaults */
	assert_int_equal(rule_info(R_TUPLE_DUPLICATE_LIVE)->severity, SEV_ERROR);
	assert_int_equal(rule_info(R_TUPLE_REUSE_TIME_WAIT)->severity, SEV_WARNING);
	assert_int_equal(rule_info(R_TCP_MIDSTREAM)->severity, SEV_INFO);
	assert_int_equal(rule_info(R_PKT_TRUNCATED)->severity, SEV_INFO);
	assert_false(rule_info(R_IP_BAD_CHECKSUM)->default_on);
	assert_false(rule_info(R_TCP_BAD_CHECKSUM)->default_on);
	assert_false(rule_info(R_UDP_BAD_CHECKSUM)->default_on);
	assert_true(rule_info(R_PORT_ZERO)->default_on);
}

static void test_lookup_exact(void **state)
{
	enum rule_id r;

	(void)state;
	assert_int_equal(rule_lookup("port.zero", 9, &r), TC_OK);
	assert_int_equal(r, R_PORT_ZERO);
	/* prefixes and longer strings are not matches */
	assert_int_equal(rule_lookup("port.zer", 8, &r), TC_UNSUPPORTED);
	assert_int_equal(rule_lookup("port.zeroo", 10, &r), TC_UNSUPPORTED);
	assert_int_equal(rule_lookup("port.zero,x", 9, &r), TC_OK);
}

/* ==== --rules =================================================================== */

static void test_parse_defaults(void **state)
{
	struct rule_set s;
	char err[512];

	(void)state;
	assert_int_equal(rules_parse(NULL, false, &s, err, sizeof(err)), TC_OK);
	for (unsigned i = 0; i < R__COUNT; i++) {
		bool want = rule_info((enum rule_id)i)->default_on;

		assert_int_equal(s.on[i], want);
	}
	assert_false(s.on[R_PORT_EPHEMERAL_RANGE]);
	assert_false(rules_need_checksums(&s));
	/* a range switches its rule on */
	assert_int_equal(rules_parse(NULL, true, &s, err, sizeof(err)), TC_OK);
	assert_true(s.on[R_PORT_EPHEMERAL_RANGE]);
}

static void test_parse_plus_minus(void **state)
{
	struct rule_set s;
	char err[512];

	(void)state;
	assert_int_equal(rules_parse("-tcp.midstream,+ip.bad-checksum", false, &s, err, sizeof(err)), TC_OK);
	assert_false(s.on[R_TCP_MIDSTREAM]);
	assert_true(s.on[R_IP_BAD_CHECKSUM]);
	assert_false(s.on[R_TCP_BAD_CHECKSUM]);
	assert_true(s.on[R_PORT_ZERO]);
	assert_true(rules_need_checksums(&s));
	/* "-" wins over "+" whatever the order */
	assert_int_equal(rules_parse("-port.zero,+port.zero", false, &s, err, sizeof(err)), TC_OK);
	assert_false(s.on[R_PORT_ZERO]);
	/* a range given but its rule disabled */
	assert_int_equal(rules_parse("-port.ephemeral-range", true, &s, err, sizeof(err)), TC_OK);
	assert_false(s.on[R_PORT_EPHEMERAL_RANGE]);
}

static void test_parse_bare_list(void **state)
{
	struct rule_set s;
	char err[512];
	unsigned on = 0;

	(void)state;
	assert_int_equal(rules_parse("port.zero,tcp.invalid-flags,+udp.bad-checksum", true, &s,
				     err, sizeof(err)), TC_OK);
	for (unsigned i = 0; i < R__COUNT; i++)
		on += s.on[i];
	assert_int_equal(on, 3);
	assert_true(s.on[R_PORT_ZERO]);
	assert_true(s.on[R_TCP_INVALID_FLAGS]);
	assert_true(s.on[R_UDP_BAD_CHECKSUM]);
	/* a bare list means only those, even with a range given */
	assert_false(s.on[R_PORT_EPHEMERAL_RANGE]);
}

static void test_parse_errors(void **state)
{
	struct rule_set s;
	char err[512];

	(void)state;
	assert_int_equal(rules_parse("port.zero,tuple.nonsense", false, &s, err, sizeof(err)),
			 TC_MALFORMED);
	assert_non_null(strstr(err, "'tuple.nonsense'"));
	/* the message lists every rule, so the user sees what exists */
	for (unsigned i = 0; i < R__COUNT; i++)
		assert_non_null(strstr(err, rule_info((enum rule_id)i)->id));
	assert_int_equal(rules_parse("-bogus", false, &s, err, sizeof(err)), TC_MALFORMED);
	assert_non_null(strstr(err, "'bogus'"));
	assert_int_equal(rules_parse("port.zero,,tcp.midstream", false, &s, err, sizeof(err)),
			 TC_MALFORMED);
	assert_non_null(strstr(err, "empty"));
	assert_int_equal(rules_parse("+", false, &s, err, sizeof(err)), TC_MALFORMED);
	assert_int_equal(rules_parse("", false, &s, err, sizeof(err)), TC_MALFORMED);
	/* asking for the range rule without a range */
	assert_int_equal(rules_parse("+port.ephemeral-range", false, &s, err, sizeof(err)),
			 TC_MALFORMED);
	assert_non_null(strstr(err, "--ephemeral-range"));
}

/* ==== signatures ================================================================== */

static void test_signature_format(void **state)
{
	char a[SIG_HEX + 1], b[SIG_HEX + 1];

	(void)state;
	signature_make(R_PORT_ZERO, "tcp", a);
	assert_int_equal(strlen(a), SIG_HEX);
	assert_int_equal(strspn(a, "0123456789abcdef"), SIG_HEX);
	signature_make(R_PORT_ZERO, "tcp", b);
	assert_string_equal(a, b);
	/* the rule is part of it */
	signature_make(R_TCP_INVALID_FLAGS, "tcp", b);
	assert_string_not_equal(a, b);
	signature_make(R_PORT_ZERO, "udp-dport", b);
	assert_string_not_equal(a, b);
	/* a pinned value: signatures must not change between releases */
	signature_make(R_PORT_ZERO, "tcp", a);
	assert_string_equal(a, "ed17a89c27d7");
}

static struct pkt tcp_pkt(const char *src4, uint16_t sport, const char *dst4, uint16_t dport,
			  uint16_t flags)
{
	struct pkt p;
	unsigned a, b, c, d;

	memset(&p, 0, sizeof(p));
	p.have_ip = true;
	p.ipver = 4;
	assert_int_equal(sscanf(src4, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
	p.src[0] = (uint8_t)a; p.src[1] = (uint8_t)b; p.src[2] = (uint8_t)c; p.src[3] = (uint8_t)d;
	assert_int_equal(sscanf(dst4, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
	p.dst[0] = (uint8_t)a; p.dst[1] = (uint8_t)b; p.dst[2] = (uint8_t)c; p.dst[3] = (uint8_t)d;
	p.have_l4 = true;
	p.l4 = L4_TCP;
	p.proto = 6;
	p.sport = sport;
	p.dport = dport;
	p.flags = flags;
	return p;
}

static void sig_of(const struct rule_hit *h, char out[SIG_HEX + 1])
{
	signature_make(h->rule, h->transition, out);
}

static void test_signature_same_defect(void **state)
{
	struct rule_hit h1, h2;
	char s1[SIG_HEX + 1], s2[SIG_HEX + 1];
	struct pkt p1 = tcp_pkt("10.0.0.1", 40000, "10.0.0.2", 0, TH_SYN);
	struct pkt p2 = tcp_pkt("192.0.2.77", 51234, "198.51.100.9", 0, TH_SYN | TH_ECE | TH_CWR);
	struct reuse_facts f1 = {
		.prev = PREV_FIN, .same_direction = true, .elapsed_ns = 1000000000ull,
		.isn = 100, .have_final_seq = true, .final_seq = 5000,
	};
	struct reuse_facts f2 = {
		.prev = PREV_FIN, .same_direction = true, .elapsed_ns = 97000000000ull,
		.isn = 0xfffffff0u, .have_final_seq = true, .final_seq = 12,
	};

	(void)state;
	/* port.zero on other addresses and ports: one defect */
	assert_int_equal(rule_port_zero(&p1, &h1), 1);
	assert_int_equal(rule_port_zero(&p2, &h2), 1);
	sig_of(&h1, s1);
	sig_of(&h2, s2);
	assert_string_equal(s1, s2);
	assert_string_not_equal(h1.message, "");

	/* TIME_WAIT reuse: other numbers, other times, same failed conditions */
	assert_int_equal(rule_reuse_time_wait(&f1, 60, &h1), 1);
	assert_int_equal(rule_reuse_time_wait(&f2, 60, &h2), 1);
	sig_of(&h1, s1);
	sig_of(&h2, s2);
	assert_string_equal(s1, s2);
	/* the numbers are in the message, not in the transition */
	assert_non_null(strstr(h1.message, "100"));
	assert_null(strstr(h1.transition, "100"));

	/* a different failed condition: a timestamp present but not higher */
	f2.syn_has_ts = f2.prev_has_ts = true;
	f2.syn_ts = 5;
	f2.prev_ts = 9;
	assert_int_equal(rule_reuse_time_wait(&f2, 60, &h2), 1);
	sig_of(&h2, s2);
	assert_string_not_equal(s1, s2);
}

/* ==== packet rules =================================================================== */

static void test_port_zero(void **state)
{
	struct rule_hit h;
	struct pkt p = tcp_pkt("10.0.0.1", 0, "10.0.0.2", 80, TH_SYN);

	(void)state;
	assert_int_equal(rule_port_zero(&p, &h), 1);
	assert_int_equal(h.rule, R_PORT_ZERO);
	assert_non_null(strstr(h.message, "source"));
	p.sport = 1;
	assert_int_equal(rule_port_zero(&p, &h), 0);
	/* UDP: destination 0 is a finding, source 0 is RFC 768's "no port" */
	p.l4 = L4_UDP;
	p.sport = 0;
	p.dport = 53;
	assert_int_equal(rule_port_zero(&p, &h), 0);
	p.dport = 0;
	assert_int_equal(rule_port_zero(&p, &h), 1);
	assert_string_equal(h.transition, "udp-dport");
	/* no transport header decoded: nothing to judge */
	p.have_l4 = false;
	assert_int_equal(rule_port_zero(&p, &h), 0);
}

static void test_invalid_flags(void **state)
{
	static const struct { uint16_t flags; const char *t; } bad[] = {
		{ TH_SYN | TH_FIN, "syn+fin" },
		{ TH_SYN | TH_FIN | TH_ACK, "syn+fin" },
		{ TH_SYN | TH_RST, "syn+rst" },
		{ 0, "null" },
		{ TH_FIN, "fin-without-ack" },
		{ TH_PSH, "psh-without-ack" },
		{ TH_URG, "urg-without-ack" },
		{ TH_FIN | TH_PSH | TH_URG, "fin+psh+urg-without-ack" },
		/* none of SYN, RST, ACK: dropped like a null segment (RFC 9293
		 * 3.10.7.2-3.10.7.4), beyond SPEC's list */
		{ TH_ECE, "ece-without-syn-rst-ack" },
		{ TH_CWR, "cwr-without-syn-rst-ack" },
		{ TH_AE, "ae-without-syn-rst-ack" },
		{ TH_ECE | TH_CWR, "ece+cwr-without-syn-rst-ack" },
		{ 0x200, "reserved-without-syn-rst-ack" },
		{ TH_AE | 0x800 | 0x400, "ae+reserved-without-syn-rst-ack" },
		/* ECE/CWR next to a listed combination keep that one's name */
		{ TH_FIN | TH_ECE, "fin-without-ack" },
		{ TH_ECE | TH_CWR | 0xf000, "ece+cwr-without-syn-rst-ack" },
	};
	static const uint16_t good[] = {
		TH_SYN, TH_SYN | TH_ACK, TH_ACK, TH_ACK | TH_PSH, TH_ACK | TH_FIN, TH_RST,
		TH_RST | TH_ACK, TH_ACK | TH_URG, TH_SYN | TH_ECE | TH_CWR, TH_ACK | TH_FIN | TH_PSH,
		TH_ACK | TH_ECE, TH_RST | TH_CWR, TH_ACK | TH_AE | 0x200, TH_SYN | TH_ACK | TH_ECE,
	};
	struct rule_hit h;
	struct pkt p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, 0);

	(void)state;
	for (size_t i = 0; i < TC_ARRAY_SIZE(bad); i++) {
		p.flags = bad[i].flags;
		assert_int_equal(rule_tcp_invalid_flags(&p, &h), 1);
		assert_string_equal(h.transition, bad[i].t);
	}
	/* the message names the bits */
	p.flags = TH_ECE | TH_CWR;
	assert_int_equal(rule_tcp_invalid_flags(&p, &h), 1);
	assert_non_null(strstr(h.message, "ECE+CWR"));
	p.flags = 0x200;
	assert_int_equal(rule_tcp_invalid_flags(&p, &h), 1);
	assert_non_null(strstr(h.message, "reserved 0x200"));
	for (size_t i = 0; i < TC_ARRAY_SIZE(good); i++) {
		p.flags = good[i];
		assert_int_equal(rule_tcp_invalid_flags(&p, &h), 0);
	}
	p.l4 = L4_UDP;
	p.flags = 0;
	assert_int_equal(rule_tcp_invalid_flags(&p, &h), 0);
}

/* The signatures of SPEC's cases of tcp.invalid-flags are what they were
 * before the rule was extended (users dedupe on them; pinned from
 * corpus/pcaps/tcp_invalid_flags.expected.jsonl as committed before), and
 * every flag value SPEC's list covers keeps one of SPEC's transitions: the
 * extension names only values outside that list. */
static void test_invalid_flags_signatures_kept(void **state)
{
	static const struct { uint16_t flags; const char *sig; } pinned[] = {
		{ TH_SYN | TH_FIN, "ab0bb543788c" },
		{ 0, "0809c9624e6e" },
		{ TH_FIN | TH_PSH | TH_URG, "1fd9614a36f7" },
		{ TH_FIN, "e9c149a7737d" },
		{ TH_SYN | TH_RST, "58d7ff43db25" },
	};
	struct rule_hit h;
	struct pkt p = tcp_pkt("10.0.0.1", 1, "10.0.0.2", 2, 0);
	char sig[SIG_HEX + 1];

	(void)state;
	for (size_t i = 0; i < TC_ARRAY_SIZE(pinned); i++) {
		p.flags = pinned[i].flags;
		assert_int_equal(rule_tcp_invalid_flags(&p, &h), 1);
		sig_of(&h, sig);
		assert_string_equal(sig, pinned[i].sig);
	}
	for (uint32_t f = 0; f <= 0xffff; f++) {
		uint16_t v = (uint16_t)(f & 0xfff);
		bool spec = ((v & TH_SYN) && (v & (TH_FIN | TH_RST))) || v == 0 ||
			    (!(v & TH_ACK) && (v & (TH_FIN | TH_PSH | TH_URG)));
		bool ext = (v & 0x3f) == 0 && v != 0;
		bool named;

		p.flags = (uint16_t)f;
		if (!spec && !ext) {
			assert_int_equal(rule_tcp_invalid_flags(&p, &h), 0);
			continue;
		}
		assert_int_equal(rule_tcp_invalid_flags(&p, &h), 1);
		named = strstr(h.transition, "-without-syn-rst-ack") != NULL;
		if (named != ext)
			fail_msg("flags 0x%04x: transition %s", f, h.transition);
	}
}

static void test_initiator_ports(void **state)
{
	struct rule_hit h;

	(void)state;
	assert_int_equal(rule_port_privileged(true, 513, &h), 1);
	assert_int_equal(h.rule, R_PORT_PRIVILEGED_SOURCE);
	assert_int_equal(rule_port_privileged(true, 1023, &h), 1);
	assert_int_equal(rule_port_privileged(true, 1024, &h), 0);
	assert_int_equal(rule_port_privileged(true, 0, &h), 0);     /* port.zero's */
	assert_int_equal(rule_port_privileged(false, 53, &h), 0);   /* TCP only */

	assert_int_equal(rule_port_ephemeral(true, 32768, 32768, 60999, &h), 0);
	assert_int_equal(rule_port_ephemeral(true, 60999, 32768, 60999, &h), 0);
	assert_int_equal(rule_port_ephemeral(true, 32767, 32768, 60999, &h), 1);
	assert_string_equal(h.transition, "tcp|below");
	assert_int_equal(rule_port_ephemeral(false, 61000, 32768, 60999, &h), 1);
	assert_string_equal(h.transition, "udp|above");
	assert_int_equal(rule_port_ephemeral(false, 0, 32768, 60999, &h), 0);
}

static void test_decode_errors(void **state)
{
	struct rule_hit h[PKT_MAX_ERRORS];
	struct pkt p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(rules_decode_errors(&p, h, PKT_MAX_ERRORS), 0);
	pkt_add_err(&p, PE_TCP_TRUNCATED);
	pkt_add_err(&p, PE_IP_BAD_OPTIONS);
	pkt_add_err(&p, PE_NOT_IP);          /* not a defect: no hit */
	pkt_add_err(&p, PE_IP_FRAGMENT);     /* neither */
	pkt_add_err(&p, PE_UDP_BAD_CHECKSUM);
	assert_int_equal(rules_decode_errors(&p, h, PKT_MAX_ERRORS), 3);
	assert_int_equal(h[0].rule, R_PKT_TRUNCATED);
	assert_string_equal(h[0].transition, "tcp.truncated");
	assert_int_equal(h[1].rule, R_IP_BAD_HEADER);
	assert_int_equal(h[2].rule, R_UDP_BAD_CHECKSUM);
	/* max bounds the output */
	assert_int_equal(rules_decode_errors(&p, h, 1), 1);
	memset(&p, 0, sizeof(p));
	pkt_add_err(&p, PE_TCP_BAD_OFFSET);
	pkt_add_err(&p, PE_UDP_BAD_LENGTH);
	pkt_add_err(&p, PE_IP_BAD_CHECKSUM);
	pkt_add_err(&p, PE_TCP_BAD_CHECKSUM);
	assert_int_equal(rules_decode_errors(&p, h, PKT_MAX_ERRORS), 4);
	assert_int_equal(h[0].rule, R_TCP_BAD_OFFSET);
	assert_int_equal(h[1].rule, R_UDP_BAD_LENGTH);
	assert_int_equal(h[2].rule, R_IP_BAD_CHECKSUM);
	assert_int_equal(h[3].rule, R_TCP_BAD_CHECKSUM);
	/* frames too short on the wire: lengths that do not fit */
	memset(&p, 0, sizeof(p));
	pkt_add_err(&p, PE_LINK_SHORT);
	pkt_add_err(&p, PE_IP_SHORT);
	assert_int_equal(rules_decode_errors(&p, h, PKT_MAX_ERRORS), 2);
	assert_int_equal(h[0].rule, R_PKT_TRUNCATED);
	assert_string_equal(h[0].transition, "link.short-frame");
	assert_int_equal(h[1].rule, R_PKT_TRUNCATED);
	assert_string_equal(h[1].transition, "ip.short-frame");
}

/* ==== connection rules ================================================================== */

static void test_duplicate_live(void **state)
{
	struct rule_hit h;
	struct reuse_facts f = { .prev = PREV_OPEN, .prev_state = "ESTABLISHED",
				 .same_direction = true, .isn = 7 };

	(void)state;
	assert_int_equal(rule_duplicate_live(&f, &h), 1);
	assert_int_equal(h.rule, R_TUPLE_DUPLICATE_LIVE);
	assert_string_equal(h.transition, "prev=ESTABLISHED|same-initiator");
	f.prev = PREV_FIN;
	assert_int_equal(rule_duplicate_live(&f, &h), 0);
	f.prev = PREV_RST;
	assert_int_equal(rule_duplicate_live(&f, &h), 0);
	/* an abandoned handshake (never ESTABLISHED) leaves nothing to collide with */
	f.prev = PREV_ATTEMPT;
	assert_int_equal(rule_duplicate_live(&f, &h), 0);
	f.prev = PREV_NONE;
	assert_int_equal(rule_duplicate_live(&f, &h), 0);
	/* one side's FIN, nothing from the other: the capture cannot show it open */
	f.prev = PREV_FIN_ONE_SIDED;
	assert_int_equal(rule_duplicate_live(&f, &h), 0);
}

static void test_reuse_time_wait(void **state)
{
	struct rule_hit h;
	struct reuse_facts f = {
		.prev = PREV_FIN, .same_direction = true, .elapsed_ns = 10000000000ull,
		.isn = 1000, .have_final_seq = true, .final_seq = 2000,
	};

	(void)state;
	/* ISN not above, no timestamp: illegal */
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 1);
	assert_string_equal(h.transition, "prev=FIN|isn<=final|no-ts|same-initiator");
	assert_non_null(strstr(h.message, "no timestamp"));
	/* the old connection's own ISN again: the same failed condition, and
	 * the message says so */
	f.isn_is_old = true;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 1);
	assert_string_equal(h.transition, "prev=FIN|isn<=final|no-ts|same-initiator");
	assert_non_null(strstr(h.message, "ISN 1000 (the old connection's own) is not above"));
	f.isn_is_old = false;
	/* equal is not above (RFC 6191: greater than) */
	f.isn = 2000;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 1);
	/* ISN above the final sequence number: legal (RFC 1122 4.2.2.13) */
	f.isn = 2001;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 0);
	/* modulo 2^32: just past the wrap is above */
	f.final_seq = 0xfffffff0u;
	f.isn = 5;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 0);
	f.isn = 0x7ffffff0u;      /* more than 2^31 ahead: below */
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 1);
	/* higher timestamp on both: legal (RFC 6191) */
	f.syn_has_ts = f.prev_has_ts = true;
	f.syn_ts = 101;
	f.prev_ts = 100;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 0);
	f.syn_ts = 100;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 1);
	assert_string_equal(h.transition, "prev=FIN|isn<=final|ts<=last|same-initiator");
	/* a timestamp on the SYN when the old connection used none: RFC 6191
	 * section 2 honours the SYN (so does Linux), whatever its TSval */
	f.prev_has_ts = false;
	f.syn_ts = 1000000;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 0);
	f.syn_ts = 0;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 0);
	/* neither side's timestamp: the ISN alone decides */
	f.syn_has_ts = false;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 1);
	assert_string_equal(h.transition, "prev=FIN|isn<=final|no-ts|same-initiator");
	/* after 2*MSL anything goes */
	f.elapsed_ns = 120000000000ull;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 0);
	f.elapsed_ns = 119999999999ull;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 1);
	assert_int_equal(rule_reuse_time_wait(&f, 59, &h), 0);
	/* after RST or while open: not this rule */
	f.prev = PREV_RST;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 0);
	f.prev = PREV_OPEN;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 0);
	/* final sequence number unknown and no timestamps: not proven legal */
	f.prev = PREV_FIN;
	f.have_final_seq = false;
	f.syn_has_ts = false;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 1);
	assert_string_equal(h.transition, "prev=FIN|no-final-seq|no-ts|same-initiator");

	/* one side's FIN, the other end not captured: no close is seen, so
	 * not this rule either, however early and low the SYN */
	f.prev = PREV_FIN_ONE_SIDED;
	f.have_final_seq = true;
	f.final_seq = 2000;
	f.isn = 1000;
	f.elapsed_ns = 10000000000ull;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 0);
	f.prev = PREV_FIN;
	assert_int_equal(rule_reuse_time_wait(&f, 60, &h), 1);
}

/* Every combination of timestamps and ISN, against the table README.md's
 * rule section states (RFC 6191 section 2, RFC 1122 4.2.2.13): within
 * 2*MSL of a FIN close the SYN is flagged exactly when
 *  - it has no timestamp and its ISN is not above the old final one, or
 *  - both incarnations have timestamps and neither its TSval nor its ISN
 *    is above the old one.
 * A SYN with a timestamp on a tuple whose old connection used none is
 * never flagged; a higher ISN is never flagged, whatever the TSvals. */
static void test_reuse_time_wait_table(void **state)
{
	static const int rel[3] = { -1, 0, 1 };   /* below, equal, above */

	(void)state;
	for (unsigned prev_ts = 0; prev_ts < 2; prev_ts++)
		for (unsigned syn_ts = 0; syn_ts < 2; syn_ts++)
			for (unsigned t = 0; t < 3; t++)
				for (unsigned i = 0; i < 3; i++) {
					struct rule_hit h;
					struct reuse_facts f = {
						.prev = PREV_FIN, .same_direction = true,
						.elapsed_ns = 5000000000ull, .have_final_seq = true,
						.final_seq = 70000, .isn = (uint32_t)(70000 + rel[i] * 500),
						.prev_has_ts = prev_ts != 0, .prev_ts = 4000,
						.syn_has_ts = syn_ts != 0,
						.syn_ts = (uint32_t)(4000 + rel[t] * 7),
					};
					bool isn_above = rel[i] > 0, ts_above = rel[t] > 0;
					bool want;

					if (!syn_ts)
						want = !isn_above;
					else if (!prev_ts)
						want = false;
					else
						want = !ts_above && !isn_above;
					assert_int_equal(rule_reuse_time_wait(&f, 60, &h), want ? 1 : 0);
					if (want)
						assert_string_equal(h.transition,
								    syn_ts ? "prev=FIN|isn<=final|ts<=last|same-initiator"
									   : "prev=FIN|isn<=final|no-ts|same-initiator");
				}
}

static void test_rst_window(void **state)
{
	struct rule_hit h;
	struct tcp_rst_check chk = { .verdict = RST_EXACT, .have_rcv_nxt = true, .rcv_nxt = 1000,
				     .rcv_wnd = 500, .wnd_scale_known = true };
	struct rst_facts f = { "ESTABLISHED", 1000, &chk };

	(void)state;
	/* the engine's verdict decides; only out-of-window fires */
	assert_int_equal(rule_rst_out_of_window(&f, &h), 0);
	chk.verdict = RST_IN_WINDOW;
	f.seq = 1499;
	assert_int_equal(rule_rst_out_of_window(&f, &h), 0);
	chk.verdict = RST_UNKNOWN;
	assert_int_equal(rule_rst_out_of_window(&f, &h), 0);
	chk.verdict = RST_NONE;
	assert_int_equal(rule_rst_out_of_window(&f, &h), 0);
	f.chk = NULL;
	assert_int_equal(rule_rst_out_of_window(&f, &h), 0);
	f.chk = &chk;
	/* above and below the window are different transitions */
	chk.verdict = RST_OUT_OF_WINDOW;
	f.seq = 1500;
	assert_int_equal(rule_rst_out_of_window(&f, &h), 1);
	assert_string_equal(h.transition, "state=ESTABLISHED|above-window");
	assert_non_null(strstr(h.message, "[1000, 1500)"));
	f.seq = 999;
	assert_int_equal(rule_rst_out_of_window(&f, &h), 1);
	assert_string_equal(h.transition, "state=ESTABLISHED|below-rcv-nxt");
	/* modulo 2^32: just past a wrapped window is above it */
	chk.rcv_nxt = 0xffffff00u;
	f.seq = 0x200;
	assert_int_equal(rule_rst_out_of_window(&f, &h), 1);
	assert_string_equal(h.transition, "state=ESTABLISHED|above-window");
	/* an unknown window scale is said in the message, not the signature */
	chk.wnd_scale_known = false;
	assert_int_equal(rule_rst_out_of_window(&f, &h), 1);
	assert_string_equal(h.transition, "state=ESTABLISHED|above-window");
	assert_non_null(strstr(h.message, "largest assumed"));
	/* SYN-SENT: the RFC 9293 3.10.7.3 ACK check decided */
	chk.syn_sent = true;
	f.state = "SYN-SENT";
	assert_int_equal(rule_rst_out_of_window(&f, &h), 1);
	assert_string_equal(h.transition, "state=SYN-SENT|ack-not-for-syn");
}

static void test_midstream(void **state)
{
	struct rule_hit h;

	(void)state;
	assert_int_equal(rule_midstream(TH_SYN, &h), 0);
	assert_int_equal(rule_midstream(TH_SYN | TH_ECE | TH_CWR, &h), 0);
	assert_int_equal(rule_midstream(TH_SYN | TH_ACK, &h), 1);
	assert_string_equal(h.transition, "first=syn-ack");
	assert_int_equal(rule_midstream(TH_ACK | TH_PSH, &h), 1);
	assert_string_equal(h.transition, "first=ack");
	assert_int_equal(rule_midstream(TH_RST, &h), 1);
	assert_string_equal(h.transition, "first=rst");
	assert_int_equal(rule_midstream(TH_FIN | TH_ACK, &h), 1);
	assert_string_equal(h.transition, "first=fin");
	assert_int_equal(rule_midstream(TH_ACK | TH_ECE, &h), 1);
	assert_string_equal(h.transition, "first=ack");
	/* no ACK at all: not labelled an ACK (tcp.invalid-flags' segments) */
	assert_int_equal(rule_midstream(TH_ECE | TH_CWR, &h), 1);
	assert_string_equal(h.transition, "first=no-ack");
	assert_int_equal(rule_midstream(TH_PSH, &h), 1);
	assert_string_equal(h.transition, "first=no-ack");
}

/* ==== escaping ============================================================================= */

static char *capture_out(void (*fn)(FILE *, const char *), const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, in);
	fclose(f);
	return buf;
}

static void test_escaping(void **state)
{
	char *s;

	(void)state;
	s = capture_out(xml_str, "a<b>&\"c'\x01\t\xff\xc3\xa9");
	assert_string_equal(s, "a&lt;b&gt;&amp;&quot;c&apos;\xef\xbf\xbd&#9;\xef\xbf\xbd\xc3\xa9");
	free(s);
	/* XML 1.0 Char: every C0 control but tab, LF and CR is out, up to 0x1f */
	s = capture_out(xml_str, "\x1f\x1e \x7f");
	assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd \x7f");
	free(s);
	/* overlong and surrogate encodings are invalid UTF-8 */
	s = capture_out(xml_str, "\xc0\xaf\xed\xa0\x80");
	assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	s = capture_out(json_str, "q\"\\\n\x7f\xfe\xe2\x82\xac");
	assert_string_equal(s, "\"q\\\"\\\\\\n\\u007f\\ufffd\xe2\x82\xac\"");
	free(s);
	/* a sequence cut by the end of the string */
	s = capture_out(json_str, "x\xe2\x82");
	assert_string_equal(s, "\"x\\ufffd\\ufffd\"");
	free(s);
}

/* signature_make against its definition: FNV-1a 64 of "<rule id>|<transition>",
 * the top 48 bits as printf's "%012" PRIx64, for every rule and many
 * transitions (random bytes, empty, long). */
static void test_signature_definition(void **state)
{
	uint64_t x = UINT64_C(0x9e3779b97f4a7c15);

	(void)state;
	for (int i = 0; i < 20000; i++) {
		char t[80], want[32], got[SIG_HEX + 1];
		size_t n;
		enum rule_id r;
		uint64_t h = UINT64_C(0xcbf29ce484222325);
		const unsigned char *u;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = (enum rule_id)(x % R__COUNT);
		n = (size_t)(x >> 8) % sizeof(t);
		for (size_t k = 0; k < n; k++)
			t[k] = (char)(1 + (x >> (k % 48)) % 255);
		t[n] = '\0';
		for (u = (const unsigned char *)rule_info(r)->id; *u; u++)
			h = (h ^ *u) * UINT64_C(0x100000001b3);
		h = (h ^ '|') * UINT64_C(0x100000001b3);
		for (u = (const unsigned char *)t; *u; u++)
			h = (h ^ *u) * UINT64_C(0x100000001b3);
		snprintf(want, sizeof(want), "%012" PRIx64, h >> 16);
		signature_make(r, t, got);
		assert_string_equal(got, want);
	}
}

/* tcp_flags_invalid (the per-packet test) says exactly when the rule
 * finds something, for every 16-bit flag value. */
static void test_flags_invalid_predicate(void **state)
{
	struct pkt p;
	struct rule_hit h;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.have_l4 = true;
	p.l4 = L4_TCP;
	for (uint32_t f = 0; f <= 0xffff; f++) {
		p.flags = (uint16_t)f;
		assert_int_equal(tcp_flags_invalid((uint16_t)f), rule_tcp_invalid_flags(&p, &h) != 0);
	}
}

/* tcp_flags_suspect (oracle_packet's one-bit filter) equals
 * tcp_flags_invalid for every 16-bit flag value: the six low flags decide
 * (with all six clear the segment has none of SYN, RST, ACK: invalid
 * whatever ECE, CWR, AE or the reserved bits say). */
static void test_flags_suspect_mask(void **state)
{
	(void)state;
	for (uint32_t f = 0; f <= 0xffff; f++) {
		bool inv = tcp_flags_invalid((uint16_t)f), sus = tcp_flags_suspect((uint16_t)f);

		if (inv != sus)
			fail_msg("flags 0x%04x: invalid %d, suspect %d", f, inv, sus);
	}
}

/* port_privileged_fires and midstream_fires (the oracle's inline tests
 * before the calls) say exactly when their rules fire: every port of both
 * protocols, every 16-bit flag value. */
static void test_inline_fires(void **state)
{
	struct rule_hit h;

	(void)state;
	for (uint32_t port = 0; port <= 0xffff; port++) {
		assert_int_equal(port_privileged_fires(true, (uint16_t)port),
				 rule_port_privileged(true, (uint16_t)port, &h) != 0);
		assert_int_equal(port_privileged_fires(false, (uint16_t)port),
				 rule_port_privileged(false, (uint16_t)port, &h) != 0);
	}
	for (uint32_t f = 0; f <= 0xffff; f++)
		assert_int_equal(midstream_fires((uint16_t)f), rule_midstream((uint16_t)f, &h) != 0);
}

/* ---- the oracle on a few hand-built packets --------------------------------- */

#define LOG_MAX 32

struct olog {
	unsigned n, hosts;
	struct {
		enum rule_id rule;
		uint64_t frame;
		uint8_t src[16], dst[16];
		uint16_t sport, dport;
		char transition[HIT_TRANSITION_MAX];
		char message[HIT_MESSAGE_MAX];
	} f[LOG_MAX];
	uint8_t host[LOG_MAX][16];
};

static void olog_finding(void *ctx, const struct finding *f)
{
	struct olog *l = ctx;

	assert_true(l->n < LOG_MAX);
	l->f[l->n].rule = f->rule;
	l->f[l->n].frame = f->frame;
	memcpy(l->f[l->n].src, f->src, 16);
	memcpy(l->f[l->n].dst, f->dst, 16);
	l->f[l->n].sport = f->sport;
	l->f[l->n].dport = f->dport;
	snprintf(l->f[l->n].transition, HIT_TRANSITION_MAX, "%s", f->transition);
	snprintf(l->f[l->n].message, HIT_MESSAGE_MAX, "%s", f->message);
	l->n++;
}

static void olog_host(void *ctx, const struct host_record *h)
{
	struct olog *l = ctx;

	assert_true(l->hosts < LOG_MAX);
	memcpy(l->host[l->hosts++], h->addr, 16);
}

/* The rule settings most oracle tests start from: the default rules,
 * MSL 60 s, 8 samples before a host is classified, default engine. */
static void basic_cfg(struct oracle_cfg *cfg)
{
	char err[512];

	memset(cfg, 0, sizeof(*cfg));
	assert_int_equal(rules_parse(NULL, false, &cfg->rules, err, sizeof(err)), TC_OK);
	cfg->msl = 60;
	cfg->min_samples = 8;
	engine_config_default(&cfg->engine);
}

/* p to the oracle as capture frame `frame`, stamped sec.nsec with `digits`
 * decimals. */
static void feed(struct oracle *o, const struct pkt *p, uint64_t frame, int64_t sec,
		 uint32_t nsec, uint8_t digits)
{
	struct cap_packet cp;

	memset(&cp, 0, sizeof(cp));
	cp.frame = frame;
	cp.ts_sec = sec;
	cp.ts_nsec = nsec;
	cp.ts_digits = digits;
	oracle_packet(o, &cp, p);
}

/* Replay p[0..n) (frames 1..n, 1 ms apart) with the default rules plus
 * port.ephemeral-range over 32768-60999 and --min-samples 1, into *l. */
static void replay_pkts(const struct pkt *p, unsigned n, struct olog *l)
{
	struct oracle_cfg cfg;
	struct oracle_sink sink;
	struct oracle *o;
	struct summary s;
	char err[512];

	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(rules_parse(NULL, true, &cfg.rules, err, sizeof(err)), TC_OK);
	cfg.msl = 60;
	cfg.have_range = true;
	cfg.eph_lo = 32768;
	cfg.eph_hi = 60999;
	cfg.min_samples = 1;
	engine_config_default(&cfg.engine);
	memset(l, 0, sizeof(*l));
	memset(&sink, 0, sizeof(sink));
	sink.finding = olog_finding;
	sink.host = olog_host;
	sink.ctx = l;
	assert_int_equal(oracle_new(&cfg, &sink, "t.pcap", &o), TC_OK);
	for (unsigned i = 0; i < n; i++)
		feed(o, &p[i], i + 1, 1700000000, i * 1000000u, 6);
	memset(&s, 0, sizeof(s));
	oracle_finish(o, &s);
	oracle_free(o);
}

static unsigned olog_count(const struct olog *l, enum rule_id r)
{
	unsigned k = 0;

	for (unsigned i = 0; i < l->n; i++)
		k += l->f[i].rule == r;
	return k;
}

/* A flow opened by a segment with none of SYN, RST and ACK (only ECE, CWR,
 * AE or reserved bits) is tcp.invalid-flags', not tcp.midstream's (as a
 * null segment's is), and no "first=ack" label anywhere. */
static void test_oracle_ecn_only_segment(void **state)
{
	static const uint16_t fl[] = { TH_ECE, TH_CWR, TH_AE, TH_ECE | TH_CWR, 0x200, 0 };
	struct pkt p[TC_ARRAY_SIZE(fl)];
	struct olog l;

	(void)state;
	for (size_t i = 0; i < TC_ARRAY_SIZE(fl); i++)
		p[i] = tcp_pkt("192.0.2.1", (uint16_t)(41012 + i), "198.51.100.2", 80, fl[i]);
	replay_pkts(p, TC_ARRAY_SIZE(fl), &l);
	assert_int_equal(olog_count(&l, R_TCP_INVALID_FLAGS), TC_ARRAY_SIZE(fl));
	assert_int_equal(olog_count(&l, R_TCP_MIDSTREAM), 0);
	assert_int_equal(l.n, TC_ARRAY_SIZE(fl));
	for (unsigned i = 0; i < l.n; i++)
		assert_null(strstr(l.f[i].transition, "first=ack"));
}

/* A flow whose first packet has impossible flags opens no connection:
 * a SYN+ACK with FIN or RST (or every flag) makes neither its receiver
 * (the engine used to flip such a flow) nor its sender an initiator, and
 * neither does a SYN+FIN: no port.privileged-source, no
 * port.ephemeral-range, no host sample; only tcp.invalid-flags. The
 * flow's originator is the sender. A plain SYN from a privileged port,
 * replayed with them, shows the rules and the host record do fire. */
static void test_oracle_probe_opens_nothing(void **state)
{
	struct pkt p[5];
	struct olog l;
	struct oracle_cfg cfg;
	struct engine *e;
	struct engine_result res;
	struct engine_in in = { 1, 1700000000, 0, 6, false };

	(void)state;
	p[0] = tcp_pkt("192.0.2.1", 40000, "198.51.100.2", 80, TH_SYN | TH_ACK | TH_FIN);
	p[1] = tcp_pkt("192.0.2.1", 40001, "198.51.100.2", 443, TH_SYN | TH_ACK | TH_RST);
	p[2] = tcp_pkt("192.0.2.1", 40002, "198.51.100.2", 22, 0xff);
	p[3] = tcp_pkt("192.0.2.1", 20, "198.51.100.2", 179, TH_SYN | TH_FIN);
	p[4] = tcp_pkt("192.0.2.9", 1000, "198.51.100.2", 2049, TH_SYN);
	replay_pkts(p, 5, &l);
	assert_int_equal(olog_count(&l, R_TCP_INVALID_FLAGS), 4);
	assert_int_equal(olog_count(&l, R_TCP_MIDSTREAM), 0);
	assert_int_equal(olog_count(&l, R_PORT_PRIVILEGED_SOURCE), 1);
	assert_int_equal(olog_count(&l, R_PORT_EPHEMERAL_RANGE), 1);
	for (unsigned i = 0; i < l.n; i++)
		if (l.f[i].rule == R_PORT_PRIVILEGED_SOURCE || l.f[i].rule == R_PORT_EPHEMERAL_RANGE)
			assert_int_equal(l.f[i].frame, 5);
	assert_int_equal(l.hosts, 1);
	assert_memory_equal(l.host[0], p[4].src, 16);

	/* the engine's originator of such a flow: its sender */
	memset(&cfg, 0, sizeof(cfg));
	engine_config_default(&cfg.engine);
	assert_int_equal(engine_new(&cfg.engine, NULL, NULL, &e), TC_OK);
	for (unsigned i = 0; i < 3; i++) {
		in.frame = i + 1;
		assert_int_equal(engine_packet(e, &p[i], &in, &res), TC_OK);
		assert_true(res.created);
		assert_int_equal(res.dir, FLOW_DIR_ORIG);
		assert_int_equal(flow_port(res.flow, FLOW_DIR_ORIG), p[i].sport);
	}
	engine_free(e);
}

/* The initiator rules name the connection from the initiator's side, as
 * its flow record does: when the capture starts at the responder's
 * SYN+ACK, src and sport are the SYN+ACK's receiver's (the port the
 * message names), the frame the SYN+ACK's. A SYN's findings keep the
 * packet's own orientation, which is the same thing there. */
static void test_oracle_initiator_side(void **state)
{
	struct pkt p[2];
	struct olog l;

	(void)state;
	p[0] = tcp_pkt("198.51.100.2", 22, "192.0.2.1", 1023, TH_SYN | TH_ACK);
	p[1] = tcp_pkt("192.0.2.7", 1022, "198.51.100.2", 513, TH_SYN);
	replay_pkts(p, 2, &l);
	assert_int_equal(olog_count(&l, R_PORT_PRIVILEGED_SOURCE), 2);
	assert_int_equal(olog_count(&l, R_PORT_EPHEMERAL_RANGE), 2);
	for (unsigned i = 0; i < l.n; i++) {
		if (l.f[i].rule != R_PORT_PRIVILEGED_SOURCE && l.f[i].rule != R_PORT_EPHEMERAL_RANGE)
			continue;
		if (l.f[i].frame == 1) {
			assert_memory_equal(l.f[i].src, p[0].dst, 16);
			assert_memory_equal(l.f[i].dst, p[0].src, 16);
			assert_int_equal(l.f[i].sport, 1023);
			assert_int_equal(l.f[i].dport, 22);
		} else {
			assert_int_equal(l.f[i].frame, 2);
			assert_memory_equal(l.f[i].src, p[1].src, 16);
			assert_int_equal(l.f[i].sport, 1022);
			assert_int_equal(l.f[i].dport, 513);
		}
		/* the port in the message is the src port */
		assert_non_null(strstr(l.f[i].message, l.f[i].frame == 1 ? "1023" : "1022"));
	}
}

/* Once per flow means both directions of it (the dedup key is the
 * canonical 5-tuple): a port 0 on the way out and the reply coming back
 * from it are one port.zero finding. Also on loopback, where both ends
 * have one address and only the ports order the tuple, and for
 * tcp.invalid-flags (a SYN+FIN answered by a SYN+FIN). */
static void test_oracle_once_per_flow_both_directions(void **state)
{
	static const char *const addr[][2] = {
		{ "192.0.2.1", "198.51.100.2" }, { "127.0.0.1", "127.0.0.1" },
	};
	struct pkt p[4];
	struct olog l;

	(void)state;
	for (size_t i = 0; i < TC_ARRAY_SIZE(addr); i++) {
		p[0] = tcp_pkt(addr[i][0], 40000, addr[i][1], 0, TH_ACK);
		p[1] = tcp_pkt(addr[i][1], 0, addr[i][0], 40000, TH_ACK);
		p[2] = tcp_pkt(addr[i][0], 40001, addr[i][1], 80, TH_SYN | TH_FIN);
		p[3] = tcp_pkt(addr[i][1], 80, addr[i][0], 40001, TH_SYN | TH_FIN);
		replay_pkts(p, 4, &l);
		if (olog_count(&l, R_PORT_ZERO) != 1 || olog_count(&l, R_TCP_INVALID_FLAGS) != 1)
			fail_msg("%s <-> %s: port.zero %u times, tcp.invalid-flags %u times, want once each",
				 addr[i][0], addr[i][1], olog_count(&l, R_PORT_ZERO),
				 olog_count(&l, R_TCP_INVALID_FLAGS));
	}
}

/* tcp.invalid-flags is reported once per flow and flag combination
 * (README, rules.c): a scanner's null, FIN and Xmas probes on one tuple are
 * three findings, their repeats none. */
static void test_oracle_invalid_flags_per_combination(void **state)
{
	static const uint16_t fl[] = {
		0, TH_FIN, 0, TH_FIN | TH_PSH | TH_URG, TH_FIN, TH_FIN | TH_PSH | TH_URG,
	};
	struct pkt p[TC_ARRAY_SIZE(fl)];
	struct olog l;

	(void)state;
	for (size_t i = 0; i < TC_ARRAY_SIZE(fl); i++)
		p[i] = tcp_pkt("192.0.2.1", 41000, "198.51.100.2", 80, fl[i]);
	replay_pkts(p, TC_ARRAY_SIZE(fl), &l);
	assert_int_equal(olog_count(&l, R_TCP_INVALID_FLAGS), 3);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.f[0].transition, "null");
	assert_string_equal(l.f[1].transition, "fin-without-ack");
	assert_string_equal(l.f[2].transition, "fin+psh+urg-without-ack");
}

static struct pkt seg(bool from_client, uint16_t flags, uint32_t seq, uint32_t ack)
{
	struct pkt p = from_client ? tcp_pkt("192.0.2.1", 40000, "198.51.100.2", 80, flags)
				   : tcp_pkt("198.51.100.2", 80, "192.0.2.1", 40000, flags);

	p.seq = seq;
	p.ack = ack;
	p.win = 65535;
	p.tcp_hlen = 20;
	return p;
}

/* A SYN repeating the ISN of a connection its FIN exchange closed is
 * judged as a reuse of the tuple (tuple.reuse-time-wait: the ISN is not
 * above the old final sequence number), once per close: its own
 * retransmission is the same attempt. A FIN the peer retransmits restarts
 * TIME-WAIT (RFC 9293 3.10.7.4), so the same SYN after it is a new
 * attempt on a new close, reported again. */
static void test_oracle_same_isn_once_per_close(void **state)
{
	struct pkt p[10];
	struct olog l;
	unsigned k = 0;

	(void)state;
	p[k++] = seg(true, TH_SYN, 100, 0);
	p[k++] = seg(false, TH_SYN | TH_ACK, 500, 101);
	p[k++] = seg(true, TH_ACK, 101, 501);
	p[k++] = seg(true, TH_FIN | TH_ACK, 101, 501);
	p[k++] = seg(false, TH_FIN | TH_ACK, 501, 102);
	p[k++] = seg(true, TH_ACK, 102, 502);
	p[k++] = seg(true, TH_SYN, 100, 0);          /* frame 7: the old ISN again */
	p[k++] = seg(true, TH_SYN, 100, 0);          /* its retransmission */
	p[k++] = seg(false, TH_FIN | TH_ACK, 501, 102); /* TIME-WAIT restarts */
	p[k++] = seg(true, TH_SYN, 100, 0);          /* frame 10: a new attempt */
	replay_pkts(p, k, &l);
	if (olog_count(&l, R_TUPLE_REUSE_TIME_WAIT) != 2) {
		for (unsigned i = 0; i < l.n; i++)
			print_message("finding: frame %" PRIu64 " %s %s\n", l.f[i].frame,
				      rule_info(l.f[i].rule)->id, l.f[i].transition);
		fail_msg("tuple.reuse-time-wait %u times, want 2 (frames 7 and 10)",
			 olog_count(&l, R_TUPLE_REUSE_TIME_WAIT));
	}
	for (unsigned i = 0; i < l.n; i++)
		if (l.f[i].rule == R_TUPLE_REUSE_TIME_WAIT)
			assert_true(l.f[i].frame == 7 || l.f[i].frame == 10);
}

/* ---- service ports -------------------------------------------------------- */

static struct pkt udp_pkt(const char *src4, uint16_t sport, const char *dst4, uint16_t dport)
{
	struct pkt p = tcp_pkt(src4, sport, dst4, dport, 0);

	p.l4 = L4_UDP;
	p.proto = 17;
	return p;
}

/* UDP between ports its protocol fixes (audit fp items 1 and 2: DHCP, NTP,
 * IKE, HSRP, ... flagged by port.ephemeral-range, and their senders made
 * hosts, `fixed` ones with port.fixed for a DHCP server, NTP or IKE peer):
 * no port.ephemeral-range and no host sample. A query to DNS port 53 is
 * still a client's choice (RFC 5452), from 53 too; so is a high port to
 * another one, and a high port to a well-known one. The same port at both
 * ends is a service's, high or not (IKE 4500, Babel 6696). */
static void test_oracle_service_ports(void **state)
{
	static const struct { uint16_t sport, dport; bool judged; } c[] = {
		{ 68, 67, false },      /* DHCP client, RFC 2131 4.1 */
		{ 67, 68, false },      /* DHCP server's unicast Offer */
		{ 546, 547, false },    /* DHCPv6 */
		{ 123, 123, false },    /* NTP symmetric / ntpd client */
		{ 500, 500, false },    /* IKE, RFC 7296 2.11 */
		{ 4500, 4500, false },  /* IKE NAT traversal */
		{ 1985, 1985, false },  /* HSRP */
		{ 6696, 6696, false },  /* Babel */
		{ 53, 53, true },       /* a resolver on fixed port 53 */
		{ 1000, 53, true },     /* a query from a well-known port */
		{ 20000, 20000, false },/* one port both ends, a high one too */
		{ 20000, 123, true },   /* a client's port to a server's */
		{ 20000, 30000, true },
	};
	struct pkt p[TC_ARRAY_SIZE(c)];
	struct olog l;

	(void)state;
	for (size_t i = 0; i < TC_ARRAY_SIZE(c); i++) {
		char src[32];

		snprintf(src, sizeof(src), "192.0.2.%zu", i + 1);
		p[i] = udp_pkt(src, c[i].sport, "198.51.100.2", c[i].dport);
	}
	replay_pkts(p, TC_ARRAY_SIZE(c), &l);
	for (size_t i = 0; i < TC_ARRAY_SIZE(c); i++) {
		bool fired = false, host = false;

		for (unsigned k = 0; k < l.n; k++)
			fired |= l.f[k].rule == R_PORT_EPHEMERAL_RANGE && l.f[k].frame == i + 1;
		for (unsigned k = 0; k < l.hosts; k++)
			host |= memcmp(l.host[k], p[i].src, 16) == 0;
		if (fired != c[i].judged || host != c[i].judged)
			fail_msg("UDP %u -> %u: port.ephemeral-range %d, host record %d, want %d",
				 c[i].sport, c[i].dport, fired, host, c[i].judged);
	}
}

static void conns_sink(void *ctx, const struct host_record *h)
{
	uint64_t *n = ctx;

	*n += h->connections;
}

/* One UDP socket talking every 90 s (syslog) is re-created as a flow after
 * each 60 s idle timeout; it is one choice of port, one host sample (audit
 * fp item 3, udp_one_socket_idle.pcap: 10 connections, class fixed). A
 * second socket on another port is another sample. */
static void test_oracle_udp_socket_once(void **state)
{
	struct oracle_cfg cfg;
	struct oracle_sink sink;
	struct oracle *o;
	struct summary s;
	uint64_t conns = 0;

	(void)state;
	basic_cfg(&cfg);
	memset(&sink, 0, sizeof(sink));
	sink.host = conns_sink;
	sink.ctx = &conns;
	assert_int_equal(oracle_new(&cfg, &sink, "t.pcap", &o), TC_OK);
	for (unsigned i = 0; i < 11; i++) {
		struct pkt p = udp_pkt("192.0.2.5", i < 10 ? 41234 : 41235, "198.51.100.2", 514);

		feed(o, &p, i + 1, 1700000000 + 90 * (int64_t)i, 0, 6);
	}
	memset(&s, 0, sizeof(s));
	oracle_finish(o, &s);
	oracle_free(o);
	assert_int_equal(s.flows, 11);            /* the engine still splits */
	assert_int_equal(conns, 2);
}

/* Connections from hosts past the classifier's cap are counted for the
 * summary, not dropped in silence (audit cplx item 1, hostcap_65536.pcap:
 * 10.0.0.1's port.sequential vanished with no word): CLS_MAX_HOSTS hosts
 * with one SYN each, then 10 SYNs from one more host. */
static void test_oracle_host_cap_counted(void **state)
{
	struct oracle_cfg cfg;
	struct oracle_sink sink;
	struct oracle *o;
	struct summary s;
	uint64_t conns = 0;
	uint64_t frame = 0;

	(void)state;
	basic_cfg(&cfg);
	cfg.engine.max_flows = 1024;
	memset(&sink, 0, sizeof(sink));
	sink.host = conns_sink;
	sink.ctx = &conns;
	assert_int_equal(oracle_new(&cfg, &sink, "t.pcap", &o), TC_OK);
	for (uint32_t i = 0; i < CLS_MAX_HOSTS + 10; i++) {
		struct pkt p = tcp_pkt("10.0.0.1", (uint16_t)(1025 + i), "198.51.100.2", 80, TH_SYN);

		if (i < CLS_MAX_HOSTS) {
			p.src[0] = 11;
			p.src[1] = (uint8_t)(i >> 16);
			p.src[2] = (uint8_t)(i >> 8);
			p.src[3] = (uint8_t)i;
			p.sport = 40000;
		}
		frame++;
		feed(o, &p, frame, 1700000000, (uint32_t)frame, 9);
	}
	memset(&s, 0, sizeof(s));
	oracle_finish(o, &s);
	oracle_free(o);
	assert_int_equal(conns, CLS_MAX_HOSTS);
	assert_int_equal(s.unclassified, 10);
}

static void seq_sink(void *ctx, const struct finding *f)
{
	if (f->rule == R_PORT_SEQUENTIAL)
		olog_finding(ctx, f);
}

/* port.sequential is judged per protocol (README: "A host's successive
 * connections ... use consecutive ... source ports"; the transition names
 * the protocol): a counter allocator is found in a host's UDP flows as
 * in its TCP connections. 20 UDP queries and 20 TCP SYNs from one host,
 * each to its own destination, from ports 40000, 40001, ...: one finding
 * per protocol. */
static void test_oracle_sequential_per_protocol(void **state)
{
	struct oracle_cfg cfg;
	struct oracle_sink sink;
	struct oracle *o;
	struct summary s;
	struct olog l;

	(void)state;
	basic_cfg(&cfg);
	memset(&l, 0, sizeof(l));
	memset(&sink, 0, sizeof(sink));
	sink.finding = seq_sink;
	sink.ctx = &l;
	assert_int_equal(oracle_new(&cfg, &sink, "t.pcap", &o), TC_OK);
	for (unsigned i = 0; i < 40; i++) {
		char dst[32];
		struct pkt p;

		snprintf(dst, sizeof(dst), "198.51.100.%u", 1 + i % 20);
		p = tcp_pkt("192.0.2.1", (uint16_t)(40000 + i), dst, 53, TH_SYN);
		if (i < 20) {
			p.l4 = L4_UDP;
			p.proto = 17;
			p.flags = 0;
		}
		feed(o, &p, i + 1, 1700000000 + i, 0, 6);
	}
	memset(&s, 0, sizeof(s));
	oracle_finish(o, &s);
	oracle_free(o);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.f[0].transition, "tcp");
	assert_string_equal(l.f[1].transition, "udp");
	assert_true(l.f[1].frame >= 1 && l.f[1].frame <= 20);   /* UDP evidence */
}

/* ---- once-per-flow marks ------------------------------------------------ */

static void count_sink(void *ctx, const struct finding *f)
{
	unsigned *n = ctx;

	(void)f;
	(*n)++;
}

/* The once-per-flow marks are bounded by the live flows, not by the
 * capture (audit cplx item 2: replay memory grew by ~35 bytes per flow
 * with a finding, 103 MB on a churn capture with --max-flows 10): 3000
 * mid-stream connections, each segment sent twice, through --max-flows
 * 16. Each connection is still reported once, and a connection that comes
 * back after its flow was evicted is a new flow, reported again. */
static void test_oracle_marks_bounded(void **state)
{
	enum { CONNS = 3000, MAXF = 16 };
	struct oracle_cfg cfg;
	struct oracle_sink sink;
	struct oracle *o;
	struct summary s;
	unsigned got = 0;
	uint64_t frame = 0;

	(void)state;
	basic_cfg(&cfg);
	cfg.engine.max_flows = MAXF;
	memset(&sink, 0, sizeof(sink));
	sink.finding = count_sink;
	sink.ctx = &got;
	assert_int_equal(oracle_new(&cfg, &sink, "t.pcap", &o), TC_OK);
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < CONNS; i++) {
			struct pkt p = tcp_pkt("192.0.2.1", (uint16_t)(40000 + i), "198.51.100.2", 80,
					       TH_ACK);

			for (unsigned k = 0; k < 2; k++) {
				frame++;
				feed(o, &p, frame, 1700000000, (uint32_t)frame, 9);
			}
			if (oracle_marks(o) > MAXF)
				fail_msg("%zu marks held with %u flows at most, after %u connections",
					 oracle_marks(o), (unsigned)MAXF, round * CONNS + i + 1);
		}
		assert_int_equal(got, (round + 1) * CONNS);
	}
	memset(&s, 0, sizeof(s));
	oracle_finish(o, &s);
	oracle_free(o);
}

/* ---- the oracle's latest packet time ------------------------------------- */

struct host_ts {
	unsigned n;
	uint64_t frame;
	int64_t sec;
	uint32_t nsec;
	uint8_t digits;
};

static void host_ts_sink(void *ctx, const struct finding *f)
{
	struct host_ts *t = ctx;

	if (f->is_host && f->rule == R_PORT_FIXED) {
		t->n++;
		t->frame = f->frame;
		t->sec = f->ts_sec;
		t->nsec = f->ts_nsec;
		t->digits = f->ts_digits;
	}
}

/* Replays n packets stamped sec[i], nsec[i], digits[i]: UDP from one host
 * and one port to endpoint i % 9 (so port.fixed fires at the end), except
 * where udp[i] is false (no transport header: only the time counts). The
 * oracle's latest packet time (its engine clock) must be the plain running
 * maximum: the first packet, then each strictly later one; the host
 * finding carries the time of the frame it names (its first evidence). */
static void check_latest(const int64_t *sec, const uint32_t *nsec, const uint8_t *digits,
			 const bool *udp, unsigned n)
{
	struct oracle_cfg cfg;
	struct oracle_sink sink;
	struct host_ts got = { 0, 0, 0, 0, 0 };
	struct oracle *o;
	struct summary s;
	bool have = false;
	int64_t rs = 0;
	uint32_t rn = 0;
	uint8_t rd = 0;

	basic_cfg(&cfg);
	cfg.rules.on[R_PORT_FIXED] = true;
	memset(&sink, 0, sizeof(sink));
	sink.finding = host_ts_sink;
	sink.ctx = &got;
	assert_int_equal(oracle_new(&cfg, &sink, "t.pcap", &o), TC_OK);
	for (unsigned i = 0; i < n; i++) {
		struct cap_packet cp;
		struct pkt p;

		memset(&cp, 0, sizeof(cp));
		cp.frame = i + 1;
		cp.ts_sec = sec[i];
		cp.ts_nsec = nsec[i];
		cp.ts_digits = digits[i];
		memset(&p, 0, sizeof(p));
		if (udp[i]) {
			p.have_ip = true;
			p.ipver = 4;
			p.src[0] = 10;
			p.src[3] = 1;
			p.dst[0] = 192;
			p.dst[3] = (uint8_t)(1 + i % 9);
			p.proto = 17;
			p.have_l4 = true;
			p.l4 = L4_UDP;
			p.sport = 5353;
			p.dport = 53;
		}
		oracle_packet(o, &cp, &p);
		if (!have || sec[i] > rs || (sec[i] == rs && nsec[i] > rn)) {
			have = true;
			rs = sec[i];
			rn = nsec[i];
			rd = digits[i];
		}
	}
	{
		int64_t ls;
		uint32_t ln;
		uint8_t ld;

		oracle_latest(o, &ls, &ln, &ld);
		assert_true(ls == rs);
		assert_int_equal(ln, rn);
		assert_int_equal(ld, rd);
	}
	memset(&s, 0, sizeof(s));
	oracle_finish(o, &s);
	oracle_free(o);
	assert_int_equal(got.n, 1);
	assert_true(got.frame >= 1 && got.frame <= n && udp[got.frame - 1]);
	assert_true(got.sec == sec[got.frame - 1]);
	assert_int_equal(got.nsec, nsec[got.frame - 1]);
	/* and its precision (audit time item 6: the digits were the latest
	 * packet's, so a ns frame among us frames lost its nanoseconds) */
	assert_int_equal(got.digits, digits[got.frame - 1]);
}

static void test_oracle_latest_time(void **state)
{
	enum { N = 24 };
	static const int64_t secs[] = { INT64_MIN, INT64_MIN + 1, -5, 0, 7, 8, INT64_MAX };
	static const uint32_t nsecs[] = { 0, 1, 5, 999999999 };
	int64_t sec[N];
	uint32_t nsec[N];
	uint8_t digits[N];
	bool udp[N];
	uint64_t x = 0x2545f4914f6cdd1dull;

	(void)state;
	/* the very first packet stamped exactly the sentinel, then equal ones
	 * with other digits: the first stays the latest */
	for (unsigned i = 0; i < N; i++) {
		sec[i] = INT64_MIN;
		nsec[i] = 0;
		digits[i] = i == 0 ? 9 : 6;
		udp[i] = true;
	}
	check_latest(sec, nsec, digits, udp, N);
	udp[0] = false;             /* ... also when it has no transport header */
	check_latest(sec, nsec, digits, udp, N);
	/* random orders over few values, so ties and steps back are common */
	for (unsigned round = 0; round < 300; round++) {
		for (unsigned i = 0; i < N; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			sec[i] = secs[(x >> 8) % (round < 100 ? 3 : 7)];
			nsec[i] = nsecs[(x >> 20) % 4];
			digits[i] = (x >> 30) & 1 ? 9 : 6;
			udp[i] = (x >> 40) % 4 != 0;
		}
		for (unsigned i = 0; i < 9; i++)
			udp[i] = true;      /* nine endpoints at least */
		check_latest(sec, nsec, digits, udp, N);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_complete),
		cmocka_unit_test(test_lookup_exact),
		cmocka_unit_test(test_parse_defaults),
		cmocka_unit_test(test_parse_plus_minus),
		cmocka_unit_test(test_parse_bare_list),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_signature_format),
		cmocka_unit_test(test_signature_same_defect),
		cmocka_unit_test(test_signature_definition),
		cmocka_unit_test(test_port_zero),
		cmocka_unit_test(test_invalid_flags),
		cmocka_unit_test(test_invalid_flags_signatures_kept),
		cmocka_unit_test(test_flags_invalid_predicate),
		cmocka_unit_test(test_flags_suspect_mask),
		cmocka_unit_test(test_oracle_latest_time),
		cmocka_unit_test(test_oracle_ecn_only_segment),
		cmocka_unit_test(test_oracle_probe_opens_nothing),
		cmocka_unit_test(test_oracle_initiator_side),
		cmocka_unit_test(test_oracle_once_per_flow_both_directions),
		cmocka_unit_test(test_oracle_invalid_flags_per_combination),
		cmocka_unit_test(test_oracle_same_isn_once_per_close),
		cmocka_unit_test(test_inline_fires),
		cmocka_unit_test(test_initiator_ports),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_duplicate_live),
		cmocka_unit_test(test_reuse_time_wait),
		cmocka_unit_test(test_reuse_time_wait_table),
		cmocka_unit_test(test_rst_window),
		cmocka_unit_test(test_midstream),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_oracle_marks_bounded),
		cmocka_unit_test(test_oracle_service_ports),
		cmocka_unit_test(test_oracle_udp_socket_once),
		cmocka_unit_test(test_oracle_host_cap_counted),
		cmocka_unit_test(test_oracle_sequential_per_protocol),
	};

	return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
