/*
 * rules.c - the rule catalog, `--rules` parsing, signatures and the pure
 * decision function of each rule.
 *
 * The catalog is one table; its order is the order of enum rule_id and of
 * the SARIF rule list. Each decision function cites the clause it enforces.
 *
 * Deduplication, per rule (the oracle applies it; the table records it):
 *  - per packet: pkt.truncated, ip.bad-header, tcp.bad-offset,
 *    udp.bad-length and the checksum rules. They describe one packet's
 *    bytes; the text report groups them so a capture cut at 68 bytes does
 *    not drown the reader.
 *  - per flow (the engine's flow and signature): port.zero,
 *    port.ephemeral-range, port.privileged-source, tcp.invalid-flags,
 *    tcp.midstream. Every packet of such a flow repeats the same defect; a
 *    later connection on the same 5-tuple (a new incarnation, or a new flow
 *    after the old one expired: its own stream number) is reported again.
 *    A flow created by a packet that tcp.invalid-flags reports (a null,
 *    FIN, SYN+FIN, SYN+ACK+RST or ECE-only scan probe) is not also
 *    reported as tcp.midstream, nor does it open a connection for
 *    port.privileged-source, port.ephemeral-range and the classifier.
 *  - per event: tuple.duplicate-live and tuple.reuse-time-wait (each new
 *    incarnation that breaks the rule), tcp.rst-out-of-window (each blind
 *    reset is a separate attempt).
 *  - per host: port.sequential, port.fixed (one finding with the frames of
 *    the evidence).
 *
 * Signatures hash "rule|transition" where the transition names states and
 * failed conditions only. FNV-1a is used rather than a keyed hash on purpose:
 * signatures must be equal across runs, machines and --seed values.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rules.h"

/* ---- catalog ------------------------------------------------------------------ */

static const struct rule_info catalog[R__COUNT] = {
	[R_TUPLE_DUPLICATE_LIVE] = {
		"tuple.duplicate-live", SEV_ERROR, true, DEDUP_EVENT,
		"RFC 9293 section 3.5 and 3.10.7.3",
		"A SYN with a new ISN arrived on a 5-tuple whose earlier connection is still open.",
		"A TCP connection is named by its socket pair (RFC 9293 section 2.7); while it is "
		"open, no second connection may use the same 5-tuple. This rule fires when a SYN "
		"without ACK and with an initial sequence number different from the known "
		"connection's arrives on a tuple whose earlier connection completed its handshake "
		"(its initiator acknowledged the SYN+ACK, or it was picked up mid-stream) and saw "
		"neither a FIN exchange nor a RST. Both FINs seen count as a FIN exchange even when "
		"its last ACK was not captured; a FIN from one end when the capture holds nothing "
		"from the other (one direction only) is not called open, since the capture cannot "
		"show it. Possible causes: a port reused while the peer still holds the "
		"connection (an endpoint that lost its state, or a stack handing out a port in "
		"use), one NAT mapping given to two hosts, or half-open recovery: an end aborted or "
		"rebooted and its RST was lost on the network, so the peer still holds the "
		"connection, answers the new SYN with a challenge ACK and is reset (RFC 9293 "
		"section 3.5.2, RFC 5961 section 4). Reported once per new incarnation."
	},
	[R_TUPLE_REUSE_TIME_WAIT] = {
		"tuple.reuse-time-wait", SEV_WARNING, true, DEDUP_EVENT,
		"RFC 9293 section 3.6.1, RFC 1122 section 4.2.2.13, RFC 6191 section 2",
		"A SYN reused a 5-tuple less than 2*MSL after its connection closed, and neither a "
		"higher ISN nor its timestamp made that legal.",
		"After a FIN exchange the active closer keeps the tuple in TIME_WAIT for 2*MSL "
		"(--msl, default 60 s) so that old duplicates die out (RFC 9293 section 3.6.1). "
		"A new SYN may reopen the tuple early if its ISN is above the last sequence "
		"number of the old connection (RFC 1122 section 4.2.2.13), or if it carries a TCP "
		"timestamp that is above the last one seen or where the old connection used none "
		"(RFC 6191 section 2). The finding names the conditions that failed. The "
		"connection closed when both FINs were seen (at the later FIN when the last ACK "
		"is not captured). When the capture holds only one end's packets and that end "
		"sent a FIN, no close is seen and this rule does not fire. A connection ended by "
		"RST has no TIME_WAIT and never fires this rule. Reported once per new "
		"incarnation."
	},
	[R_PORT_ZERO] = {
		"port.zero", SEV_ERROR, true, DEDUP_FLOW,
		"RFC 9293 section 3.1, RFC 768, RFC 6335 section 6",
		"TCP source or destination port 0, or UDP destination port 0.",
		"Port 0 is reserved (RFC 6335 section 6) and names no endpoint, so no TCP segment "
		"and no UDP datagram may be addressed to it. A UDP source port of 0 is legal: RFC "
		"768 defines it as \"no reply port\". Reported once per flow."
	},
	[R_PORT_EPHEMERAL_RANGE] = {
		"port.ephemeral-range", SEV_WARNING, false, DEDUP_FLOW,
		"RFC 6056 section 3.2, RFC 6335 section 6",
		"The initiator's source port is outside the configured ephemeral range.",
		"Enabled by --ephemeral-range LO-HI or --profile. The source port a client picks "
		"for a new connection (TCP: the SYN's sender; UDP: the first datagram's sender) "
		"should come from the ephemeral range its stack is configured with (RFC 6056 "
		"section 3.2 recommends 1024-65535; Linux uses 32768-60999, Windows and IANA "
		"49152-65535). A port outside it points to a static port, NAT rewriting or a "
		"misconfigured range. The finding names the connection from the initiator's "
		"side, as port.privileged-source does. Reported once per flow."
	},
	[R_PORT_PRIVILEGED_SOURCE] = {
		"port.privileged-source", SEV_WARNING, true, DEDUP_FLOW,
		"RFC 6056 section 2.1, RFC 6335 section 6",
		"A TCP initiator uses a source port below 1024.",
		"Ports below 1024 are the well-known (system) ports of servers (RFC 6335 section "
		"6); an ephemeral port is never taken from them (RFC 6056 section 2.1). Some "
		"clients take one on purpose: an active-mode FTP server opens the data "
		"connection from port 20 (RFC 959), NFS and other ONC RPC clients bind a "
		"reserved port so that the server may trust them (the resvport mount option), "
		"and the BSD r-commands (rlogin, rsh) do the same. Otherwise it points to a "
		"spoofed or rewritten packet or a misconfigured stack: a warning to look at, "
		"not proof of an attack. The finding names the connection from the "
		"initiator's side (src and sport are the initiator's, as in its flow record), "
		"also when the capture starts at the responder's SYN+ACK (its frame is then "
		"that SYN+ACK's). Reported once per flow."
	},
	[R_PORT_SEQUENTIAL] = {
		"port.sequential", SEV_WARNING, true, DEDUP_HOST,
		"RFC 6056 section 1 and 3.1",
		"A host's successive connections to different destinations use consecutive or "
		"constant-stride source ports.",
		"A global counter allocator (1025, 1026, ...) lets an off-path attacker predict "
		"the next connection's port and inject or reset it blind; RFC 6056 asks for "
		"obfuscated selection (algorithms 1-5). Fires when the host classifier labels a "
		"host sequential from at least --min-samples connections to different "
		"destinations; the finding lists the frames of the evidence. Reported once per host."
	},
	[R_PORT_FIXED] = {
		"port.fixed", SEV_WARNING, true, DEDUP_HOST,
		"RFC 6056 section 1, RFC 5452 section 4.5",
		"A host sends UDP to 8 or more distinct destination endpoints from one source port.",
		"A single UDP source port reused towards many destinations (a fixed-port DNS "
		"resolver, for instance) leaves only the transaction ID to guess and makes cache "
		"poisoning practical (RFC 5452 section 4.5, RFC 6056 section 1). Fires when one "
		"source port of a host talks to 8 or more distinct destination address/port pairs. "
		"Reported once per host and port."
	},
	[R_TCP_INVALID_FLAGS] = {
		"tcp.invalid-flags", SEV_ERROR, true, DEDUP_FLOW,
		"RFC 9293 section 3.1 and 3.10.7",
		"SYN+FIN, SYN+RST, no flag at all, FIN/PSH/URG without ACK, or none of SYN, RST "
		"and ACK.",
		"Every segment after the initial SYN carries ACK (RFC 9293 section 3.10.7), so "
		"FIN, PSH or URG without ACK cannot come from a conforming stack; SYN with FIN or "
		"RST, and a segment with no flag at all, have no meaning in the state machine. "
		"A segment with none of SYN, RST and ACK, whatever else it carries (only ECE, "
		"CWR, AE or reserved bits), is dropped in every state just as a null one "
		"(sections 3.10.7.2 to 3.10.7.4). Such segments are scanner probes (null, FIN, "
		"Xmas scans) or corruption. A flow such a segment creates is a probe, not a "
		"connection: it is not also reported as tcp.midstream, and neither its sender "
		"nor its receiver counts as an initiator (no port.privileged-source, "
		"port.ephemeral-range or host sample). Reported once per flow and flag "
		"combination."
	},
	[R_TCP_RST_OUT_OF_WINDOW] = {
		"tcp.rst-out-of-window", SEV_WARNING, true, DEDUP_EVENT,
		"RFC 5961 section 3.2, RFC 9293 section 3.10.7.3 and 3.10.7.4",
		"A RST whose sequence number is outside the receiver's window (RFC 5961 blind reset).",
		"A receiver accepts a RST only when its sequence number equals RCV.NXT; one that "
		"is inside the window earns a challenge ACK, and one outside the window is "
		"dropped (RFC 5961 section 3.2). A RST outside the window is what a blind reset "
		"attack looks like, or a stack that resets with a stale sequence number. "
		"A receiver in SYN-SENT has no window yet: there the RST must carry an ACK that "
		"acknowledges its SYN, ISN < ACK =< SND.NXT, the data of a TCP Fast Open SYN "
		"counted (RFC 9293 section 3.10.7.3). Reported for every such RST."
	},
	[R_TCP_MIDSTREAM] = {
		"tcp.midstream", SEV_INFO, true, DEDUP_FLOW,
		"RFC 9293 section 3.5",
		"Traffic on a TCP tuple whose handshake was not seen.",
		"A TCP connection starts with a SYN (RFC 9293 section 3.5). The first packet seen "
		"on this tuple was not one, so the capture began after the handshake, the SYN was "
		"lost or filtered, or the flow table evicted the connection. Sequence-based rules "
		"are weaker on such flows. Reported once per flow."
	},
	[R_PKT_TRUNCATED] = {
		"pkt.truncated", SEV_INFO, true, DEDUP_PACKET,
		"RFC 9293 section 3.1, RFC 791 section 3.1, RFC 8200 section 3",
		"A header cut short by the snapshot length or by lengths that do not fit.",
		"The captured bytes end inside a link, IP, TCP or UDP header, so the packet "
		"could not be fully decoded: the capture's snapshot length was too small, or "
		"the record was cut. This is a property of the capture rather than of the "
		"traffic. Reported per packet; the text report groups them."
	},
	[R_IP_BAD_HEADER] = {
		"ip.bad-header", SEV_WARNING, true, DEDUP_PACKET,
		"RFC 791 section 3.1, RFC 8200 section 3 and 4",
		"IP header fields that contradict each other or the packet.",
		"An IPv4 header with a wrong version, an IHL below 5, a total length below the "
		"header length or above the frame, or malformed options; an IPv6 packet whose "
		"extension header chain is malformed or too deep. No conforming stack sends "
		"these. Reported per packet."
	},
	[R_TCP_BAD_OFFSET] = {
		"tcp.bad-offset", SEV_WARNING, true, DEDUP_PACKET,
		"RFC 9293 section 3.1 and 3.2",
		"TCP data offset below 5 or beyond the segment, or options that overrun it.",
		"The TCP data offset counts 32-bit words of header and must be at least 5 and fit "
		"inside the segment the IP header announces (RFC 9293 section 3.1); options must "
		"fit inside that header (section 3.2). Reported per packet."
	},
	[R_UDP_BAD_LENGTH] = {
		"udp.bad-length", SEV_WARNING, true, DEDUP_PACKET,
		"RFC 768, RFC 8200 section 8.1",
		"UDP length field below 8 or not matching the IP payload.",
		"The UDP length covers header and data (RFC 768) and must be at least 8 and agree "
		"with the length the IP layer gives the datagram. Reported per packet."
	},
	[R_IP_BAD_CHECKSUM] = {
		"ip.bad-checksum", SEV_WARNING, false, DEDUP_PACKET,
		"RFC 791 section 3.1, RFC 1071",
		"IPv4 header checksum is wrong (off by default).",
		"Off by default because captures taken on the sending host see packets before "
		"checksum offload fills them in. Enable with --rules +ip.bad-checksum on captures "
		"taken on the wire. Reported per packet."
	},
	[R_TCP_BAD_CHECKSUM] = {
		"tcp.bad-checksum", SEV_WARNING, false, DEDUP_PACKET,
		"RFC 9293 section 3.1, RFC 1071",
		"TCP checksum is wrong (off by default).",
		"Off by default because of checksum offload (see ip.bad-checksum); enable with "
		"--rules +tcp.bad-checksum. Segments not captured in full are not judged. "
		"Reported per packet."
	},
	[R_UDP_BAD_CHECKSUM] = {
		"udp.bad-checksum", SEV_WARNING, false, DEDUP_PACKET,
		"RFC 768, RFC 8200 section 8.1",
		"UDP checksum is wrong (off by default).",
		"Off by default because of checksum offload; enable with --rules "
		"+udp.bad-checksum. An IPv4 checksum of 0 means none was computed and is legal "
		"(RFC 768); over IPv6 it is mandatory (RFC 8200 section 8.1). Reported per packet."
	},
};

const struct rule_info *rule_info(enum rule_id r)
{
	return &catalog[r];
}

enum tc_rc rule_lookup(const char *s, size_t n, enum rule_id *out)
{
	for (unsigned i = 0; i < R__COUNT; i++) {
		if (strlen(catalog[i].id) == n && memcmp(catalog[i].id, s, n) == 0) {
			*out = (enum rule_id)i;
			return TC_OK;
		}
	}
	return TC_UNSUPPORTED;
}

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEV_ERROR: return "error";
	case SEV_WARNING: return "warning";
	case SEV_INFO: break;
	}
	return "info";
}

/* ---- --rules ------------------------------------------------------------------ */

enum tc_rc rules_parse(const char *list, bool have_range, struct rule_set *set,
		       char *err, size_t errlen)
{
	bool plus[R__COUNT] = { false }, minus[R__COUNT] = { false }, bare[R__COUNT] = { false };
	bool any_bare = false;
	const char *p = list;

	while (p != NULL) {
		const char *comma = strchr(p, ',');
		size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		bool *mark = bare;
		enum rule_id r;

		if (n > 0 && (p[0] == '+' || p[0] == '-')) {
			mark = p[0] == '+' ? plus : minus;
			p++;
			n--;
		}
		if (n == 0) {
			snprintf(err, errlen, "--rules: empty item in '%s'", list);
			return TC_MALFORMED;
		}
		if (rule_lookup(p, n, &r) != TC_OK) {
			int w = snprintf(err, errlen, "--rules: unknown rule '%.*s'; the rules are",
					 (int)(n > 64 ? 64 : n), p);

			for (unsigned i = 0; i < R__COUNT && w > 0 && (size_t)w < errlen; i++)
				w += snprintf(err + w, errlen - (size_t)w, "%s %s", i ? "," : "",
					      catalog[i].id);
			return TC_MALFORMED;
		}
		mark[r] = true;
		if (mark == bare)
			any_bare = true;
		p = comma != NULL ? comma + 1 : NULL;
	}
	for (unsigned i = 0; i < R__COUNT; i++) {
		bool on = any_bare ? bare[i] : catalog[i].default_on;

		/* A range on the command line is the request for its rule. */
		if (i == R_PORT_EPHEMERAL_RANGE && !any_bare && have_range)
			on = true;
		set->on[i] = (on || plus[i]) && !minus[i];
		set->off_why[i] = minus[i] ? RULE_OFF_REMOVED :
				  i == R_PORT_EPHEMERAL_RANGE && !have_range ? RULE_OFF_NO_RANGE :
				  any_bare ? RULE_OFF_NOT_LISTED : RULE_OFF_DEFAULT;
	}
	if (set->on[R_PORT_EPHEMERAL_RANGE] && !have_range) {
		snprintf(err, errlen, "--rules: port.ephemeral-range needs --ephemeral-range LO-HI or --profile");
		return TC_MALFORMED;
	}
	return TC_OK;
}

char *rules_off_reason(const struct rule_set *set, enum rule_id r, char *buf, size_t len)
{
	const char *id = catalog[r].id;

	buf[0] = '\0';
	if (set->on[r])
		return buf;
	switch ((enum rule_off)set->off_why[r]) {
	case RULE_OFF_REMOVED:
		snprintf(buf, len, "turned off by --rules -%s", id);
		break;
	case RULE_OFF_NO_RANGE:
		snprintf(buf, len, "needs --ephemeral-range LO-HI or --profile");
		break;
	case RULE_OFF_NOT_LISTED:
		snprintf(buf, len, "not in the --rules list");
		break;
	case RULE_OFF_DEFAULT:
	default:
		snprintf(buf, len, "off by default; --rules +%s turns it on", id);
		break;
	}
	return buf;
}

bool rules_need_checksums(const struct rule_set *set)
{
	return set->on[R_IP_BAD_CHECKSUM] || set->on[R_TCP_BAD_CHECKSUM] ||
	       set->on[R_UDP_BAD_CHECKSUM];
}

/* ---- signatures ---------------------------------------------------------------- */

static uint64_t fnv1a64(uint64_t h, const char *s)
{
	for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
		h ^= *u;
		h *= 0x100000001b3ull;
	}
	return h;
}

void signature_make(enum rule_id r, const char *transition, char out[SIG_HEX + 1])
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv1a64(h, catalog[r].id);
	h = fnv1a64(h, "|");
	h = fnv1a64(h, transition);
	/* "%012" PRIx64 of h >> 16 (48 bits: exactly 12 digits), without a
	 * snprintf per finding */
	h >>= 16;
	for (int i = SIG_HEX - 1; i >= 0; i--, h >>= 4)
		out[i] = "0123456789abcdef"[h & 0xf];
	out[SIG_HEX] = '\0';
}

/* ---- helpers --------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void hit_msg(struct rule_hit *h, enum rule_id r, const char *fmt, ...);

static void hit_msg(struct rule_hit *h, enum rule_id r, const char *fmt, ...)
{
	va_list ap;

	h->rule = r;
	va_start(ap, fmt);
	vsnprintf(h->message, sizeof(h->message), fmt, ap);
	va_end(ap);
}

static void hit_transition(struct rule_hit *h, const char *t)
{
	snprintf(h->transition, sizeof(h->transition), "%s", t);
}

bool is_seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* ---- decoder-reported rules ------------------------------------------------------- */

struct err_map {
	enum pkt_err err;
	enum rule_id rule;
	const char *text;     /* what the message says */
};

/* RFC 791 / 8200 / 9293 / 768 header checks, named by the decoder. Reasons
 * that are not defects of the packet (not IP, unsupported link type, a
 * later fragment) have no entry. */
static const struct err_map err_rules[] = {
	{ PE_LINK_TRUNCATED, R_PKT_TRUNCATED, "link-layer header cut short by the capture" },
	{ PE_IP_TRUNCATED, R_PKT_TRUNCATED, "IP header cut short by the capture" },
	{ PE_TCP_TRUNCATED, R_PKT_TRUNCATED, "TCP header cut short by the capture" },
	{ PE_UDP_TRUNCATED, R_PKT_TRUNCATED, "UDP header cut short by the capture" },
	{ PE_LINK_SHORT, R_PKT_TRUNCATED, "frame on the wire shorter than its link-layer header" },
	{ PE_IP_SHORT, R_PKT_TRUNCATED, "frame on the wire too short for a minimal IP header" },
	{ PE_IP_BAD_VERSION, R_IP_BAD_HEADER, "IP version field does not match the link layer's protocol" },
	{ PE_IP_BAD_IHL, R_IP_BAD_HEADER, "IPv4 header length (IHL) below 5 words" },
	{ PE_IP_BAD_TOTLEN, R_IP_BAD_HEADER, "IP total length below the header length" },
	{ PE_IP_LEN_EXCEEDS_FRAME, R_IP_BAD_HEADER, "IP total length exceeds the frame's length on the wire" },
	{ PE_IP_BAD_OPTIONS, R_IP_BAD_HEADER, "IPv4 options overrun the header or have a length their kind does not allow" },
	{ PE_IP6_EXT_TOO_DEEP, R_IP_BAD_HEADER, "IPv6 extension header chain too deep" },
	{ PE_IP6_BAD_EXT, R_IP_BAD_HEADER, "IPv6 extension header chain malformed (a header cut short or out of order, Jumbo Payload misused, or a first fragment without the whole chain)" },
	{ PE_TCP_BAD_OFFSET, R_TCP_BAD_OFFSET, "TCP data offset below 5 words or beyond the segment" },
	{ PE_TCP_BAD_OPTIONS, R_TCP_BAD_OFFSET, "TCP options overrun the header or have a length their kind does not allow" },
	{ PE_UDP_BAD_LENGTH, R_UDP_BAD_LENGTH, "UDP length field below 8 or not matching the IP payload" },
	{ PE_IP_BAD_CHECKSUM, R_IP_BAD_CHECKSUM, "IPv4 header checksum is wrong" },
	{ PE_TCP_BAD_CHECKSUM, R_TCP_BAD_CHECKSUM, "TCP checksum is wrong" },
	{ PE_UDP_BAD_CHECKSUM, R_UDP_BAD_CHECKSUM, "UDP checksum is wrong" },
};

unsigned rules_decode_errors(const struct pkt *p, struct rule_hit *hits, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->n_err && i < PKT_MAX_ERRORS && n < max; i++) {
		for (size_t k = 0; k < TC_ARRAY_SIZE(err_rules); k++) {
			const char *name;

			if (err_rules[k].err != (enum pkt_err)p->err[i])
				continue;
			name = pkt_err_name(err_rules[k].err);
			hit_transition(&hits[n], name);
			hit_msg(&hits[n], err_rules[k].rule, "%s (%s)", err_rules[k].text, name);
			n++;
			break;
		}
	}
	return n;
}

/* ---- port rules ---------------------------------------------------------------------- */

unsigned rule_port_zero(const struct pkt *p, struct rule_hit *hit)
{
	if (!p->have_l4)
		return 0;
	/* The transition names the protocol only: a port 0 on the way out and
	 * the reply coming back from it are one defect of one flow. */
	if (p->l4 == L4_TCP && (p->sport == 0 || p->dport == 0)) {
		hit_transition(hit, "tcp");
		hit_msg(hit, R_PORT_ZERO, "TCP %s port 0 (reserved, names no endpoint)",
			p->sport == 0 ? (p->dport == 0 ? "source and destination" : "source")
				      : "destination");
		return 1;
	}
	if (p->l4 == L4_UDP && p->dport == 0) {
		hit_transition(hit, "udp-dport");
		hit_msg(hit, R_PORT_ZERO, "UDP destination port 0 (reserved; only a source port of 0 is legal, RFC 768)");
		return 1;
	}
	return 0;
}

unsigned rule_port_privileged(bool is_tcp, uint16_t sport, struct rule_hit *hit)
{
	if (!is_tcp || sport == 0 || sport >= 1024)
		return 0;
	hit_transition(hit, "tcp|initiator-sport<1024");
	hit_msg(hit, R_PORT_PRIVILEGED_SOURCE,
		"TCP connection initiated from privileged source port %u (below 1024)", sport);
	return 1;
}

unsigned rule_port_ephemeral(bool is_tcp, uint16_t sport, uint16_t lo, uint16_t hi,
			     struct rule_hit *hit)
{
	const char *proto = is_tcp ? "tcp" : "udp";

	/* Port 0 is port.zero's (TCP) or legal (UDP source); not a range question. */
	if (sport == 0 || (sport >= lo && sport <= hi))
		return 0;
	snprintf(hit->transition, sizeof(hit->transition), "%s|%s", proto,
		 sport < lo ? "below" : "above");
	hit_msg(hit, R_PORT_EPHEMERAL_RANGE,
		"%s initiator source port %u is %s the ephemeral range %u-%u",
		is_tcp ? "TCP" : "UDP", sport, sport < lo ? "below" : "above", lo, hi);
	return 1;
}

/* ---- TCP flags ------------------------------------------------------------------------- */

unsigned rule_tcp_invalid_flags(const struct pkt *p, struct rule_hit *hit)
{
	uint16_t f;
	const char *what = NULL, *t = NULL;

	if (!p->have_l4 || p->l4 != L4_TCP)
		return 0;
	f = p->flags;
	/* Order: the most specific combination names the finding. */
	if ((f & (TH_SYN | TH_FIN)) == (TH_SYN | TH_FIN)) {
		t = "syn+fin";
		what = "SYN and FIN together";
	} else if ((f & (TH_SYN | TH_RST)) == (TH_SYN | TH_RST)) {
		t = "syn+rst";
		what = "SYN and RST together";
	} else if ((f & 0x0fff) == 0) {
		t = "null";
		what = "no flag at all (null segment)";
	} else if (!(f & TH_ACK) && (f & (TH_FIN | TH_PSH | TH_URG))) {
		static const char *const names[8] = {
			"", "fin", "psh", "fin+psh", "urg", "fin+urg", "psh+urg", "fin+psh+urg"
		};
		unsigned k = ((f & TH_FIN) ? 1u : 0u) | ((f & TH_PSH) ? 2u : 0u) |
			     ((f & TH_URG) ? 4u : 0u);

		snprintf(hit->transition, sizeof(hit->transition), "%s-without-ack", names[k]);
		hit_msg(hit, R_TCP_INVALID_FLAGS, "TCP flags 0x%03x: %s without ACK", f, names[k]);
		return 1;
	} else if (!(f & (TH_SYN | TH_RST | TH_ACK))) {
		/* Beyond SPEC's list, checked last so that every case above keeps
		 * its transition (and signature): only bits that name no control
		 * (ECE, CWR, AE, reserved), so none of SYN, RST, ACK, FIN, PSH,
		 * URG. RFC 9293 drops such a segment in every state, as a null
		 * one: LISTEN (3.10.7.2 "any other control or text-bearing
		 * segment"), SYN-SENT (3.10.7.3 "neither of the SYN or RST bits
		 * is set"), later states (3.10.7.4 "if the ACK bit is off"). The
		 * transition names the bits, the three reserved ones as one. */
		char tb[32] = "", mb[64] = "";
		size_t tn = 0, mn = 0;
		static const struct { uint16_t bit; const char *t, *m; } bits[] = {
			{ TH_ECE, "ece", "ECE" }, { TH_CWR, "cwr", "CWR" }, { TH_AE, "ae", "AE" },
			{ 0x0e00, "reserved", "reserved" },
		};

		for (size_t i = 0; i < TC_ARRAY_SIZE(bits); i++) {
			if (!(f & bits[i].bit))
				continue;
			tn += (size_t)snprintf(tb + tn, sizeof(tb) - tn, "%s%s", tn ? "+" : "", bits[i].t);
			mn += (size_t)snprintf(mb + mn, sizeof(mb) - mn, "%s%s", mn ? "+" : "", bits[i].m);
		}
		if (f & 0x0e00)
			snprintf(mb + mn, sizeof(mb) - mn, " 0x%03x", f & 0x0e00);
		snprintf(hit->transition, sizeof(hit->transition), "%s-without-syn-rst-ack", tb);
		hit_msg(hit, R_TCP_INVALID_FLAGS,
			"TCP flags 0x%03x: %s without SYN, RST or ACK (dropped like a null segment)",
			f, mb);
		return 1;
	}
	if (t == NULL)
		return 0;
	hit_transition(hit, t);
	hit_msg(hit, R_TCP_INVALID_FLAGS, "TCP flags 0x%03x: %s", f, what);
	return 1;
}

/* ---- connection rules ------------------------------------------------------------------- */

unsigned rule_duplicate_live(const struct reuse_facts *f, struct rule_hit *hit)
{
	if (f->prev != PREV_OPEN)
		return 0;
	snprintf(hit->transition, sizeof(hit->transition), "prev=%s|%s",
		 f->prev_state != NULL ? f->prev_state : "open",
		 f->same_direction ? "same-initiator" : "reversed");
	hit_msg(hit, R_TUPLE_DUPLICATE_LIVE,
		"SYN with new ISN %u on a 5-tuple whose connection is still open (%s)%s",
		f->isn, f->prev_state != NULL ? f->prev_state : "open",
		f->same_direction ? "" : "; the SYN comes from the old responder");
	return 1;
}

unsigned rule_reuse_time_wait(const struct reuse_facts *f, uint32_t msl, struct rule_hit *hit)
{
	uint64_t tw_ns = (uint64_t)msl * 2u * 1000000000u;
	bool ts_ok, isn_ok;
	const char *ts_t, *isn_t;
	char ts_m[96], isn_m[128], when[160];

	if (f->prev != PREV_FIN || f->elapsed_ns >= tw_ns)
		return 0;
	/* RFC 6191 section 2: a SYN with a timestamp is honoured when the old
	 * incarnation used none (as Linux's tcp_timewait_state_process does),
	 * or when its TSval is above the last one the old incarnation sent. */
	ts_ok = f->syn_has_ts && (!f->prev_has_ts || is_seq_gt(f->syn_ts, f->prev_ts));
	/* RFC 1122 4.2.2.13: otherwise the ISN must be above the old final sequence
	 * number. Without a known final sequence number nothing proves the SYN is
	 * not an old duplicate, so the condition counts as failed. Either
	 * condition is enough: a higher ISN with a lower timestamp is not
	 * flagged (RFC 1122 allows it; SPEC's rule asks for both to fail). */
	isn_ok = f->have_final_seq && is_seq_gt(f->isn, f->final_seq);
	if (ts_ok || isn_ok)
		return 0;

	/* Here the SYN either has no timestamp, or both incarnations have one
	 * and the SYN's is not above the old last one. */
	if (!f->syn_has_ts) {
		ts_t = "no-ts";
		snprintf(ts_m, sizeof(ts_m), "the SYN carries no timestamp");
	} else {
		ts_t = "ts<=last";
		snprintf(ts_m, sizeof(ts_m), "its timestamp %u is not above the last one seen, %u",
			 f->syn_ts, f->prev_ts);
	}
	if (f->have_final_seq) {
		isn_t = "isn<=final";
		snprintf(isn_m, sizeof(isn_m), "ISN %u%s is not above the old final sequence number %u",
			 f->isn, f->isn_is_old ? " (the old connection's own)" : "", f->final_seq);
	} else {
		isn_t = "no-final-seq";
		snprintf(isn_m, sizeof(isn_m), "the old final sequence number of this side is unknown");
	}
	snprintf(hit->transition, sizeof(hit->transition), "prev=FIN|%s|%s|%s", isn_t, ts_t,
		 f->same_direction ? "same-initiator" : "reversed");
	/* the elapsed time is the two packets' own stamps apart: say so when
	 * it could not be measured rather than claim a number */
	if (f->elapsed_unknown)
		snprintf(when, sizeof(when), "after its connection closed (how long after is "
			 "unknown: the capture has no timestamp for the SYN or the close)");
	else if (f->elapsed_clamped)
		snprintf(when, sizeof(when), "%" PRIu64 ".%03u s from its connection's close (the "
			 "SYN is stamped that far before the close: time goes backwards in the "
			 "capture)",
			 f->elapsed_ns / 1000000000u, (unsigned)(f->elapsed_ns / 1000000u % 1000u));
	else
		snprintf(when, sizeof(when), "%" PRIu64 ".%03u s after its connection closed",
			 f->elapsed_ns / 1000000000u, (unsigned)(f->elapsed_ns / 1000000u % 1000u));
	hit_msg(hit, R_TUPLE_REUSE_TIME_WAIT,
		"SYN reuses the 5-tuple %s (TIME_WAIT lasts %" PRIu64 " s): %s and %s",
		when, (uint64_t)msl * 2u, isn_m, ts_m);
	return 1;
}

unsigned rule_rst_out_of_window(const struct rst_facts *f, struct rule_hit *hit)
{
	const struct tcp_rst_check *c = f->chk;
	const char *state = f->state != NULL ? f->state : "?";
	const char *where;
	char scale[48] = "";

	if (c == NULL || c->verdict != RST_OUT_OF_WINDOW)
		return 0;
	if (c->syn_sent) {
		snprintf(hit->transition, sizeof(hit->transition), "state=%s|ack-not-for-syn", state);
		hit_msg(hit, R_TCP_RST_OUT_OF_WINDOW,
			"RST with sequence number %u in SYN-SENT does not acknowledge the SYN", f->seq);
		return 1;
	}
	where = c->have_rcv_nxt && (int32_t)(f->seq - c->rcv_nxt) < 0 ? "below-rcv-nxt"
								       : "above-window";
	if (!c->wnd_scale_known)
		snprintf(scale, sizeof(scale), ", window scale unknown: largest assumed");
	snprintf(hit->transition, sizeof(hit->transition), "state=%s|%s", state, where);
	if (c->have_rcv_nxt)
		hit_msg(hit, R_TCP_RST_OUT_OF_WINDOW,
			"RST sequence number %u is outside the receiver's window [%u, %u) in state %s%s",
			f->seq, c->rcv_nxt, c->rcv_nxt + (c->rcv_wnd > 0 ? c->rcv_wnd : 1u), state, scale);
	else
		hit_msg(hit, R_TCP_RST_OUT_OF_WINDOW,
			"RST sequence number %u is outside the receiver's window in state %s%s",
			f->seq, state, scale);
	return 1;
}

unsigned rule_midstream(uint16_t flags, struct rule_hit *hit)
{
	const char *t;

	if ((flags & (TH_SYN | TH_ACK)) == TH_SYN)
		return 0;
	if ((flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
		t = "first=syn-ack";
	else if (flags & TH_RST)
		t = "first=rst";
	else if (flags & TH_FIN)
		t = "first=fin";
	else if (flags & TH_ACK)
		t = "first=ack";
	else
		t = "first=no-ack";     /* PSH, URG, ECE, ... alone: tcp.invalid-flags' */
	hit_transition(hit, t);
	hit_msg(hit, R_TCP_MIDSTREAM, "TCP traffic without a seen handshake (first packet flags 0x%03x)",
		flags);
	return 1;
}
