/*
 * classify.h - which source-port selection a host uses, judged from traffic.
 *
 * The replay oracle feeds one record per connection a host initiates (TCP:
 * the SYN without ACK that opens a new stream; UDP: the first datagram of a
 * new flow), in capture order, with the frame number so that findings can
 * cite frames. At the end it asks, per host, for the SPEC.md port_selection
 * class, a confidence and the evidence, plus the verdict of the two
 * host-level rules:
 *   port.sequential  successive connections to different destinations use
 *                    consecutive or constant-stride source ports;
 *   port.fixed       UDP to 8 or more distinct destination endpoints from
 *                    one source port.
 *
 * Each (host, protocol) is judged on its own: TCP and UDP ports are separate
 * name spaces and stacks allocate them with different code (Linux UDP picks
 * at random while TCP uses RFC 6056 algorithm 4). The per-host record takes
 * the class of the protocol with more connections (TCP on a tie), so a host
 * with min_samples connections or more in all can still be `unknown` when
 * neither protocol alone has min_samples (7 TCP + 7 UDP at the default 8).
 *
 * What is not a client's connection: a UDP datagram from a well-known port
 * (1..CLS_SERVER_PORT_MAX, RFC 6335 section 6) to a port above it is a
 * server's reply whose query was not seen first (the capture started after
 * it, or missed it), even when the engine calls its sender the flow's
 * initiator; cls_add refuses it (Zeek would flip such a flow; we only keep
 * it out of the client statistics, so a DNS server does not look like a
 * client with a fixed port 53).
 * Nor is a UDP flow between service ports: both ends on one port (IKE
 * 500 and 4500, RFC 7296 2.11; NTP 123, RFC 5905; RIP 520; NetBIOS 137
 * and 138; PTP 319; HSRP 1985; Babel 6696), or both ports well-known
 * (DHCP 68 -> 67 and the server's 67 -> 68, RFC 2131 4.1; DHCPv6 546 ->
 * 547; LDP 646; PTP 319 -> 320). Those ports are fixed by the protocol's
 * RFC, not chosen by an allocator (RFC 6056 and RFC 6335 6 are about
 * allocator-chosen ports), so they tell nothing of the host's allocator and
 * port.ephemeral-range and port.fixed would blame a port the host had to
 * use. A query to DNS port 53 is still judged, 53 -> 53 included: RFC
 * 5452 section 4.5 asks a resolver to randomize its source port. A server
 * on a high port whose replies come before any query (27015 -> 40000)
 * cannot be told from a client and still counts.
 *
 * Bounded memory: per (host, protocol) the first `keep` connections and the
 * last `keep` (a ring) are kept, 40 bytes each; counts, port extremes and
 * (past `keep`, through a lazily allocated 8 KiB bitmap) distinct ports stay
 * exact. For port.fixed a UDP stream past 2 `keep` connections also keeps,
 * of the connections the ring drops, 16 source ports with up to 8 distinct
 * endpoints each (Space-Saving counting: 5.1 KiB, allocated then; a port
 * carrying more than 1/16 of the dropped connections is held at the end).
 * A UDP stream also indexes its kept samples by (source port, destination)
 * (4 KiB at keep 256) so that a socket re-created after an idle timeout is
 * not counted as a new choice of port (cls_add_once). In all, a host that
 * initiated more than 2 keep connections of both protocols holds about
 * 65 KiB at keep 256: per protocol 20 KiB of samples and the 8 KiB port
 * set, plus 5.1 + 4 KiB for UDP. Hosts beyond max_hosts (65,536 by
 * default: 4 GiB at most) are not tracked; the connections they initiate
 * are counted in cls_dropped(). Work per cls_add is O(1); a result costs
 * O(keep log keep).
 *
 * The features, their thresholds and why (see classify.c for the detail):
 *   fixed                port.fixed fires, or one source port carries
 *                        >= 50% of the connections and was used twice.
 *   sequential           steps between successive connections to DIFFERENT
 *                        destinations repeat one stride, of any size or
 *                        sign, more often than chance allows; or new ports
 *                        extend the high-water mark by exactly one (a
 *                        lowest-free-first allocator between reuses); or
 *                        the ports are one block at the bottom of the range,
 *                        grown one by one and reused (the same allocator in
 *                        its steady state); or they sit in a window far
 *                        narrower than any range, mostly in ascending order
 *                        (a counter shared with other traffic).
 *   random-increments    steps are forward and bounded (<= 1024, far below
 *                        the range) much more often than chance, across
 *                        destinations, or globally with median > 32.
 *   per-destination-     steps between successive connections to the SAME
 *   sequential           destination are small and forward (<= 16 per
 *                        connection in between) much more often than chance.
 *   random               none of these; unknown below min_samples.
 * "Much more often than chance": a binomial tail against uniform ports over
 * the usual range the ports fit in, and (random-increments,
 * per-destination-sequential) against the ports actually seen, so that a
 * narrowed range (40000-44999) or one stray port that widened the assumed
 * one is not taken for a pattern.
 * With a single destination "sequential" cannot be told from
 * "per-destination-sequential" (RFC 6056 alg 3 and 4 count up by one per
 * connection too); the classifier then reports the weaker claim,
 * per-destination-sequential, unless the host reuses a block of ports at
 * the bottom of the range (alg 3 and 4 do not).
 */
#ifndef TC_CLASSIFY_H
#define TC_CLASSIFY_H

#include "tc.h"
#include "siphash.h"

enum port_class {
	PC_UNKNOWN = 0,
	PC_SEQUENTIAL,
	PC_PER_DEST_SEQ,
	PC_RANDOM_INCREMENTS,
	PC_RANDOM,
	PC_FIXED,
	PC__COUNT
};

/* port_class_name - the SPEC.md spelling: "unknown", "sequential",
 * "per-destination-sequential", "random-increments", "random", "fixed". */
const char *port_class_name(enum port_class c);
/* port_class_parse - the reverse. TC_OK, or TC_MALFORMED for another name. */
enum tc_rc port_class_parse(const char *name, enum port_class *out);

struct cls_config {
	uint32_t min_samples;      /* --min-samples: below it the class is unknown */
	uint32_t keep;             /* K: first K and last K connections kept */
	uint32_t max_hosts;        /* hosts tracked at most */
	struct siphash_key key;    /* key of the host and destination hashes */
	uint32_t cache_from;       /* connections recorded before the lookup
	                              caches start (results never depend on
	                              it; UINT32_MAX: never, and no memos
	                              either: the plain code, for tests) */
	bool brief;                /* streams below min_samples: features
	                              other than destinations left 0 (their
	                              class is unknown whatever they say;
	                              every other result field is the same) */
};

/* The default host cap: at ~65 KiB a host at most (see above), 4 GiB. */
#define CLS_MAX_HOSTS 65536u

/* cls_config_default - min_samples 8, keep 256, max_hosts CLS_MAX_HOSTS, key 0
 * (give a random key in production, a fixed one for replay and tests),
 * cache_from 256, brief false. */
void cls_config_default(struct cls_config *cfg);

/* One initiated connection. Addresses at full width (IPv4 in the first 4
 * bytes, rest zero), as struct pkt has them. */
struct cls_conn {
	int64_t ts_sec;            /* time of its first packet, reported with */
	uint32_t ts_nsec;          /* the evidence (not used to classify) */
	uint8_t ts_digits;         /* its precision, 6 or 9, reported with it */
	uint64_t frame;            /* 1-based frame number of its first packet */
	uint8_t ipver;             /* 4 or 6 */
	uint8_t proto;             /* 6 (TCP) or 17 (UDP) */
	uint8_t src[16];           /* the initiating host */
	uint8_t dst[16];
	uint16_t sport, dport;
};

struct cls;

/*
 * cls_create - a classifier for cfg. On TC_OK *out is the caller's
 * (cls_destroy). TC_MALFORMED when keep or max_hosts is 0 or keep exceeds
 * 1 << 20; TC_NOMEM.
 */
enum tc_rc cls_create(struct cls **out, const struct cls_config *cfg);
void cls_destroy(struct cls *c);

/*
 * cls_add - record one initiated connection. conn is copied.
 * Returns TC_OK; TC_UNSUPPORTED when proto is neither TCP nor UDP, ipver
 * is not 4/6, or it is UDP from a port in 1..CLS_SERVER_PORT_MAX to one
 * above (a server's reply) or between service ports (cls_not_a_choice, see
 * above; nothing recorded, no host created);
 * TC_EXHAUSTED when the host is new and
 * max_hosts are tracked already (counted in cls_dropped); TC_NOMEM (the
 * connection is not recorded, the classifier stays consistent).
 */
enum tc_rc cls_add(struct cls *c, const struct cls_conn *conn);

/*
 * cls_add_once - cls_add for the replay oracle, whose records are flows:
 * also TC_END (nothing recorded) when conn is UDP and the host's kept
 * samples hold its (source port, destination endpoint) already. That is
 * the same socket again, its flow re-created after the UDP idle timeout,
 * not a new choice of port (one syslog socket would otherwise count once
 * per message and make a host `fixed`).
 */
enum tc_rc cls_add_once(struct cls *c, const struct cls_conn *conn);

/* Connections refused because the host table was full. */
uint64_t cls_dropped(const struct cls *c);
/* Hosts tracked, in order of first appearance. */
size_t cls_host_count(const struct cls *c);

#define CLS_MAX_EVIDENCE 16
#define CLS_FIXED_ENDPOINTS 8      /* SPEC port.fixed: 8 or more endpoints */
#define CLS_SERVER_PORT_MAX 1023   /* well-known ports (RFC 6335 6): servers */

/* cls_server_reply - does a UDP flow whose first datagram went from sport
 * to dport look like a server's reply whose query was not seen (see
 * above)? The classifier leaves it out, and so does port.ephemeral-range. */
static inline bool cls_server_reply(uint16_t sport, uint16_t dport)
{
	return sport >= 1 && sport <= CLS_SERVER_PORT_MAX && dport > CLS_SERVER_PORT_MAX;
}

/* cls_service_ports - is a UDP flow from sport to dport between service
 * ports fixed by their protocol (see above): not the query of a client to
 * DNS port 53, and either the same port at both ends or both ports
 * well-known. The classifier leaves it out, and so does
 * port.ephemeral-range. */
static inline bool cls_service_ports(uint16_t sport, uint16_t dport)
{
	return dport != 53 && sport >= 1 &&
	       (sport == dport || (sport <= CLS_SERVER_PORT_MAX && dport <= CLS_SERVER_PORT_MAX));
}

/* cls_not_a_choice - a UDP flow whose source port says nothing of an
 * allocator: cls_server_reply or cls_service_ports. */
static inline bool cls_not_a_choice(uint16_t sport, uint16_t dport)
{
	return cls_server_reply(sport, dport) || cls_service_ports(sport, dport);
}

/* Connections that support a verdict: their 0-based number among the
 * host's connections of that protocol, and their frame. */
struct cls_evidence {
	uint32_t n;
	uint64_t index[CLS_MAX_EVIDENCE];
	uint64_t frame[CLS_MAX_EVIDENCE];
	int64_t ts_sec[CLS_MAX_EVIDENCE];      /* of frame[i] */
	uint32_t ts_nsec[CLS_MAX_EVIDENCE];
	uint8_t ts_digits[CLS_MAX_EVIDENCE];   /* 6 or 9 (0 when not given) */
};

/* The measured features, reported so a verdict can be explained. Steps are
 * port differences taken modulo the assumed range, signed (-R/2, R/2]. */
struct cls_features {
	uint32_t kept;             /* connections the verdict looked at */
	uint32_t destinations;     /* distinct destination endpoints among them */
	uint32_t range_low;        /* range assumed for the modular steps, [low, high[ */
	uint32_t range_high;
	double top_port_share;     /* share of the most used source port */
	double even_share;         /* share of even source ports (Linux connect) */
	uint32_t cross_steps;      /* successive connections, different destinations */
	int32_t cross_mode;        /* most common such step (0 if none) */
	double cross_mode_share;
	double cross_mode_pvalue;  /* chance of a stride that common (rule 3) */
	uint32_t stride_fit;       /* same-destination pairs g connections apart
	                              whose step is g * cross_mode */
	double cross_small_share;  /* share with 1 <= |step| <= 64 */
	uint32_t hw_eligible;      /* connections to another destination than the
	                              one holding the high/low-water mark */
	uint32_t hw_extends;       /* ... that extended it by exactly one */
	double hw_pvalue;
	double dense_pvalue;       /* rule 3d: chance of the ports' window and
	                              their forward steps under random ports */
	uint32_t block_ports;      /* ports of a block at the bottom of the range
	                              whose first uses extended it one by one
	                              (rule 3c; 0 when the block test fails) */
	uint32_t inc_steps;        /* steps the random-increments test used */
	double inc_share;          /* share of them forward and <= inc_bound */
	uint32_t inc_bound;
	uint32_t inc_median;       /* median of those forward bounded steps */
	double inc_pvalue;         /* chance of that many under uniform ports */
	double inc_pvalue_perm;    /* ... under ports drawn from those seen */
	uint32_t pd_pairs;         /* successive connections to the same destination */
	uint32_t pd_hits;          /* ... with a small forward step */
	double pd_pvalue;          /* chance of that many hits under uniform ports
	                              or the other destinations' ports */
};

struct cls_stream_result {
	uint8_t proto;             /* 6 or 17 */
	uint64_t connections;      /* all fed, kept or not */
	uint32_t distinct_ports;
	uint16_t min_port, max_port;          /* 0, 0 when connections == 0 */
	enum port_class cls;
	double confidence;         /* in [0, 1]; heuristic, not a probability */
	struct cls_features f;
	struct cls_evidence evidence;         /* supports cls */
	bool port_sequential;      /* rule fires: the class is sequential and
	                              the connections went to 2 or more
	                              destinations; its evidence is .evidence */
	bool port_fixed;           /* rule fires (UDP only) */
	uint32_t fixed_endpoints;  /* UDP: most distinct endpoints of one port */
	uint16_t fixed_port;
	struct cls_evidence fixed_evidence;   /* first connection to each endpoint */
};

struct cls_host_result {
	uint8_t ipver;
	uint8_t addr[16];
	struct cls_stream_result tcp, udp;
	/* the SPEC.md host record (both protocols together) */
	uint64_t connections;
	uint32_t distinct_ports;   /* TCP distinct + UDP distinct */
	uint16_t min_port, max_port;
	enum port_class cls;       /* of the protocol with more connections */
	double confidence;
};

/*
 * cls_host_result - the verdict for the i-th host (0-based, order of first
 * appearance). *out is filled. Returns TC_OK; TC_END when i is past the last
 * host; TC_NOMEM (scratch space for sorting). Does not change the state:
 * it can be asked again after more cls_add calls.
 */
enum tc_rc cls_host_result(const struct cls *c, size_t i, struct cls_host_result *out);

#endif /* TC_CLASSIFY_H */
