/*
 * engine.h - the connection state engine: decoded packets in, flows out.
 *
 * engine_packet() takes one decoded packet (decode.h) with its capture time
 * and frame number, finds or creates the flow of its 5-tuple in a keyed hash
 * table (flowtable.h), runs the TCP model (tcpstate.h) and Zeek's view
 * (zeekconn.h), and tells the caller what happened in a struct
 * engine_result: the flow, the packet's direction, whether it created a flow
 * or a new incarnation of a tuple, and what the oracle's rules need to judge
 * it (how the previous incarnation ended, its final sequence numbers and
 * timestamps; where a RST falls in the receiver's window).
 *
 * Flows end, and are handed to the emit callback exactly once, when they
 * expire (idle timeout), are evicted (--max-flows), are replaced by a new
 * incarnation of their tuple, or at engine_flush(). Memory is bounded by the
 * number of live flows, never by the capture's length.
 *
 * Semantics:
 *  - one flow per connection, both directions; the initiator ("orig") is the
 *    sender of the SYN without ACK; when the first packet is a SYN+ACK, its
 *    receiver (history starts with '^', as Zeek flips such a connection),
 *    unless it also carries FIN or RST (a probe that answers no SYN);
 *    otherwise, mid-stream, the sender of the first packet (UDP: the first
 *    datagram's sender);
 *  - TCP incarnations follow Wireshark's tcp.stream exactly: a SYN without
 *    ACK whose sequence number differs from the base sequence number its
 *    sender already has on this tuple starts a new flow (new stream number),
 *    whether or not the old connection closed; a retransmitted SYN (same
 *    ISN) does not. `stream` numbers TCP flows 0, 1, 2, ... in order of first
 *    appearance (UDP flows have their own count);
 *  - times are capture times only, never the wall clock. The engine clock
 *    is the largest timestamp seen so far, so packets out of time order
 *    never move it back: a packet stamped earlier than the clock counts as
 *    happening at the clock's time for its flow's start, end and idle time
 *    (so a flow's end is never before its start, a late packet cannot make
 *    a live flow look idle, and one far-future stamp cannot expire every
 *    later flow at once: they all idle from the clock). The time since a
 *    close (engine_prev.since_close_ns, what TIME-WAIT is judged on) is
 *    different: it is measured between the two packets' own stamps, the
 *    close segment's and the new SYN's, so a capture concatenated out of
 *    time order (mergecap -a) or one far-future stamp cannot make a reuse
 *    look immediate. Keeping the packets' own stamps for start and end as
 *    well would need a second end time in struct flow (the clock one for
 *    expiry): 8 bytes the 240-byte flow has not got;
 *  - timeouts (struct engine_config): a TCP connection closed by a completed
 *    FIN exchange or an accepted RST is kept 2*MSL after its last packet, so
 *    that a new SYN on its tuple can be judged against it (RFC 9293
 *    TIME-WAIT, RFC 6191); an open TCP connection expires after tcp_idle_sec
 *    without packets (default 3600 s: long enough that an idle keep-alive
 *    connection is not split in two, unlike Zeek's 5 min, which would
 *    disagree with Wireshark's tcp.stream); UDP after udp_idle_sec (default
 *    60 s, Zeek's udp_inactivity_timeout);
 *  - IP fragments are not reassembled: the first fragment (offset 0) has
 *    the transport header and counts as the packet; later fragments have
 *    no ports and are not tracked. For UDP its bytes are the decoder's
 *    payload_len, the UDP length (the whole datagram); a TCP segment's
 *    end is taken from the bytes the first fragment carries, and the
 *    peer's ACK then covers the rest. Nor is anything but TCP and UDP;
 *  - bytes per direction are Zeek's orig_bytes/resp_bytes: UDP payload
 *    lengths; TCP from sequence numbers (zk_tcp_extent, zk_tcp_bytes), so
 *    retransmitted bytes count once and acknowledged bytes the capture
 *    missed count too.
 * Time, randomness (the hash key) and configuration are parameters.
 */
#ifndef TC_ENGINE_H
#define TC_ENGINE_H

#include "tc.h"
#include "decode.h"
#include "siphash.h"
#include "flowtable.h"
#include "tcpstate.h"
#include "zeekconn.h"
#include "communityid.h"

/* ---- configuration --------------------------------------------------------- */

struct engine_config {
	struct siphash_key hash_key;  /* flow table key: random in production    */
	uint64_t max_flows;           /* live flows cap; 0 = no cap (2^30)       */
	uint32_t msl_sec;             /* maximum segment lifetime, default 60    */
	uint32_t tcp_idle_sec;        /* open TCP idle timeout, default 3600     */
	uint32_t udp_idle_sec;        /* UDP idle timeout, default 60            */
};

/* engine_config_default - the defaults above, hash key all zero (callers
 * set it: random per run, or from --seed). */
void engine_config_default(struct engine_config *cfg);

/* ---- flows ----------------------------------------------------------------- */

enum flow_dir { FLOW_DIR_ORIG = 0, FLOW_DIR_RESP = 1 };

/* Why a flow was handed to the emit callback. */
enum flow_end {
	FLOW_END_EXPIRED = 0,   /* idle (or 2*MSL after close) timeout          */
	FLOW_END_EVICTED,       /* --max-flows reached: least recently active   */
	FLOW_END_REPLACED,      /* a new incarnation of its tuple started       */
	FLOW_END_FLUSHED        /* engine_flush (end of the capture)            */
};
const char *flow_end_name(enum flow_end why);

/* flow.fflags */
#define FLOW_F_MIDSTREAM 0x01u  /* TCP: created by a segment without SYN       */
#define FLOW_F_FLIPPED   0x02u  /* TCP: created by a SYN+ACK without FIN or RST
				   (orig = receiver)                           */
#define FLOW_F_CLOSE_NO_TS 0x04u /* the packet close_ns comes from had no
				   timestamp (pcapng Simple Packet Block)      */

/*
 * A flow, as the engine keeps it (240 bytes on LP64). Read-only for callers;
 * pointers handed out are valid until the next engine call that can change
 * the table (engine_packet, engine_expire, engine_flush, engine_free).
 * Key sides: h.key.addr[0]/port[0] is the smaller endpoint; orig_side says
 * which key side initiated; tcp.side[] is indexed by key side, the counters
 * and zk by direction.
 */
struct flow {
	struct ft_entry h;        /* canonical key, cached hash, table links     */
	uint64_t stream;          /* per protocol, 0-based, order of creation    */
	uint64_t seqno;           /* all flows, 0-based, order of creation       */
	uint64_t first_frame, last_frame;
	int64_t start_ns;         /* clock at its first packet } ns relative to  */
	int64_t end_ns;           /* clock at its last packet  } the engine epoch */
	int64_t close_ns;         /* the own stamp (not the clock: see Semantics)
				     of the segment that ended it (TCP), or of a
				     FIN retransmitted after it; while open, of
				     the last segment that was a side's first
				     FIN, or a FIN retransmitted after both
				     sides sent one                              */
	uint64_t pkts[2];         /* [FLOW_DIR_ORIG], [FLOW_DIR_RESP]            */
	uint64_t bytes[2];        /* per direction; UDP: payload bytes; TCP:
				     Zeek's sequence extent (zk_tcp_extent),
				     which zk_tcp_bytes turns into bytes       */
	struct tcp_conn tcp;      /* TCP model; zero for UDP                     */
	struct zk_conn zk;        /* Zeek conn_state/history                     */
	uint8_t ts_digits;        /* 6 or 9: timestamp precision for output      */
	uint8_t fflags;           /* FLOW_F_*                                    */
	uint8_t orig_side;        /* key side (0/1) of the initiator             */
};

/* Endpoint of a direction: address (16 bytes, IPv4 in the first 4) and port. */
static inline const uint8_t *flow_addr(const struct flow *f, enum flow_dir d)
{
	return f->h.key.addr[f->orig_side ^ (unsigned)d];
}
static inline uint16_t flow_port(const struct flow *f, enum flow_dir d)
{
	return f->h.key.port[f->orig_side ^ (unsigned)d];
}
/* TCP model side of a direction. */
static inline const struct tcp_side *flow_tcp_side(const struct flow *f, enum flow_dir d)
{
	return &f->tcp.side[f->orig_side ^ (unsigned)d];
}
static inline enum tcp_st flow_tcp_state(const struct flow *f, enum flow_dir d)
{
	return (enum tcp_st)f->tcp.state[f->orig_side ^ (unsigned)d];
}
static inline bool flow_is_tcp(const struct flow *f)
{
	return f->h.key.proto == 6;
}

/* Everything the SPEC flow record prints, resolved (see engine_flow_record). */
struct flow_record {
	uint64_t seqno;
	uint64_t stream;
	const char *proto;              /* "tcp" or "udp"                          */
	uint8_t ipver;
	uint8_t src[16], dst[16];       /* src = initiator                         */
	uint16_t sport, dport;
	uint64_t first_frame, last_frame;
	int64_t start_sec, end_sec;
	uint32_t start_nsec, end_nsec;
	uint8_t ts_digits;
	const char *state;              /* Zeek conn_state                         */
	char history[ZK_HIST_MAX + 1];  /* Zeek history                            */
	uint64_t orig_pkts, resp_pkts, orig_bytes, resp_bytes;
	char community_id[COMMUNITYID_LEN];
	const char *tcp_state[2];       /* RFC 9293 state of orig, resp (TCP) or NULL */
};

/* ---- per-packet result ------------------------------------------------------ */

/* How the previous incarnation of a tuple had ended when a new one started. */
enum prev_end {
	PREV_NONE = 0,          /* no previous incarnation in the table           */
	PREV_ATTEMPT,           /* its handshake was not seen to complete (the
				   initiator never acknowledged a SYN+ACK), no
				   FIN, no accepted RST                           */
	PREV_OPEN,              /* open: no completed FIN exchange, no RST, the
				   handshake completed or was before the capture
				   (mid-stream, with a segment carrying ACK)      */
	PREV_FIN,               /* closed by a FIN exchange: both sides sent a
				   FIN (its last ACK need not be captured)        */
	PREV_RST,               /* closed by an accepted RST                      */
	PREV_FIN_ONE_SIDED      /* one side sent a FIN, the other sent nothing
				   captured (a one-direction capture): whether
				   it closed cannot be seen                       */
};
const char *prev_end_name(enum prev_end how);

/*
 * What the engine knew of the previous incarnation when a SYN started a new
 * one on the same tuple (engine_result.new_incarnation). Arrays are indexed
 * [0] = the endpoint that sent this SYN (same address and port), [1] = its
 * peer, whatever roles they had in the old connection.
 */
struct engine_prev {
	enum prev_end how;
	bool midstream;               /* the old one was picked up mid-stream    */
	uint64_t stream;              /* its stream number                       */
	uint64_t first_frame, last_frame;
	bool closed;                  /* how is PREV_FIN or PREV_RST             */
	int64_t close_sec;            /* when it closed (valid when closed): the
					 segment that completed the exchange or
					 the RST, else the later side's first FIN;
					 for PREV_FIN_ONE_SIDED, that FIN       */
	uint32_t close_nsec;
	int64_t since_close_ns;       /* how far apart this SYN's own stamp and
					 the close segment's own stamp are (not
					 the clock), >= 0: also when the SYN is
					 stamped earlier (close_after_syn); 0
					 when either packet has no timestamp
					 (no_close_time)                         */
	bool close_after_syn;         /* the SYN is stamped before the close:
					 time went backwards in the capture      */
	bool no_close_time;           /* the SYN or the close came from a pcapng
					 Simple Packet Block: no time to measure */
	int64_t since_last_ns;        /* engine clock now minus its last packet  */
	uint32_t old_isn;             /* the sender's ISN there (differs from this
					 SYN's seq, except after syn_retransmit) */
	bool sender_was_orig;         /* this SYN's sender (address and port) was
					 its initiator                           */
	uint8_t sender_state;         /* enum tcp_st the sender's side was in there */
	bool have_final_seq[2];
	uint32_t final_seq[2];        /* next sequence number after its last
					 segment (after its FIN when it sent one) */
	bool fin_sent[2];
	bool have_tsval[2];
	uint32_t last_tsval[2];       /* last TSval it sent there                */
	/* Ready verdicts for RFC 1122 4.2.2.13 / RFC 6191: a SYN may reopen a
	 * tuple in TIME-WAIT when its ISN is above the old final sequence
	 * number, or its timestamp above the old last TSval (strictly, as
	 * Linux's tcp_timewait_state_process does). */
	bool isn_above_final;         /* this SYN's seq > final_seq[0]           */
	bool ts_above;                /* this SYN's TSval > last_tsval[0]        */
};

struct engine_result {
	const struct flow *flow;      /* the packet's flow; NULL unless TC_OK    */
	enum flow_dir dir;            /* from the initiator or the responder     */
	unsigned side;                /* key side of the sender (tcp.side[side]) */
	bool created;                 /* this packet created the flow            */
	bool new_incarnation;         /* ... replacing a previous incarnation of
					 the same tuple still in the table: see prev */
	bool midstream;               /* created by a TCP segment without SYN
					 (the handshake was not seen)             */
	bool syn_retransmit;          /* SYN without ACK repeating the known ISN */
	bool closed_now;              /* this segment ended the TCP connection   */
	struct engine_prev prev;      /* valid when new_incarnation, and when
					 syn_retransmit on a connection a completed
					 FIN exchange closed (how PREV_FIN, read
					 before this segment: the same ISN in
					 TIME-WAIT); otherwise only how is set
					 (PREV_NONE)                             */
	struct tcp_rst_check rst;     /* TCP with RST: where it fell; else RST_NONE */
};

/* ---- the engine ------------------------------------------------------------ */

struct engine_stats {
	uint64_t packets;             /* engine_packet calls                     */
	uint64_t untracked;           /* not TCP/UDP, no transport header, fragment */
	uint64_t created;             /* flows created (all incarnations)        */
	uint64_t created_tcp, created_udp;
	uint64_t incarnations;        /* flows replaced by a new incarnation     */
	uint64_t expired;             /* flows ended by a timeout                */
	uint64_t evicted;             /* flows ended by --max-flows              */
	uint64_t flushed;             /* flows ended by engine_flush             */
	uint64_t live;                /* flows in the table now                  */
	uint64_t max_live;
	uint64_t nomem;               /* packets dropped: no memory, nothing to evict */
	uint32_t max_probes;          /* most entries one lookup compared        */
	uint64_t probes, lookups;     /* totals (mean chain walk = probes/lookups) */
	size_t memory;                /* bytes held by the flow table            */
};

struct engine;

/* Called once per flow when it ends. f is valid only during the call; the
 * callback must not call back into the engine except engine_flow_record. */
typedef void (*engine_emit_fn)(void *ctx, const struct engine *e,
			       const struct flow *f, enum flow_end why);

/* The time and place of one packet. */
struct engine_in {
	uint64_t frame;               /* 1-based frame number in its capture     */
	int64_t ts_sec;               /* capture timestamp                       */
	uint32_t ts_nsec;             /* < 1e9 (larger values are clamped)       */
	uint8_t ts_digits;            /* 6 or 9                                  */
	bool no_ts;                   /* the capture has no timestamp for it (pcapng
					 Simple Packet Block: ts_sec is the
					 interface's if_tsoffset); false unless
					 set                                     */
};

/*
 * engine_new - an empty engine. cfg is copied; emit (may be NULL) receives
 * every flow that ends, with ctx. Returns TC_OK with *out set, or TC_NOMEM.
 * Free with engine_free.
 */
enum tc_rc engine_new(const struct engine_config *cfg, engine_emit_fn emit,
		      void *ctx, struct engine **out);

/* engine_free - free e and its flows without emitting them (call
 * engine_flush first to get them). NULL is allowed. */
void engine_free(struct engine *e);

/*
 * engine_packet - account one decoded packet.
 * p: the decoded packet (read only); in: its frame number and time.
 * Returns TC_OK with res filled; TC_UNSUPPORTED when the packet is not
 * tracked (no IP, not TCP/UDP, no transport header, an IP fragment: res->flow
 * NULL); TC_NOMEM when a new flow was needed and neither memory nor an
 * evictable flow was available (the packet is dropped and counted).
 * Flows that end meanwhile (expired, evicted, replaced) go to the emit
 * callback before this returns. Bounded work: one lookup, at most 12
 * expiries (in engine_expire's order; the rest wait for the next packets,
 * or for engine_flush), at most one eviction.
 */
enum tc_rc engine_packet(struct engine *e, const struct pkt *p,
			 const struct engine_in *in, struct engine_result *res);

/* engine_advance - move the engine clock to (ts_sec, ts_nsec) if later
 * (the fuzz harness's virtual clock; packets move it too). */
void engine_advance(struct engine *e, int64_t ts_sec, uint32_t ts_nsec);

/* engine_expire - emit and remove up to limit flows whose timeout has passed
 * at the current clock, in order of the time their timeout passed (ties:
 * UDP, then open TCP, then closed TCP). Returns how many. */
uint64_t engine_expire(struct engine *e, uint64_t limit);

/* engine_flush - end every live flow and empty the table: first those whose
 * timeout has passed at the clock (FLOW_END_EXPIRED, counted as expired, in
 * engine_expire's order: the per-packet reaper ends only a few per packet,
 * and the count must not depend on how many packets followed), then the
 * rest (FLOW_END_FLUSHED) in order of creation. */
void engine_flush(struct engine *e);

/* engine_stats - counters as of now (live and memory refreshed). */
const struct engine_stats *engine_stats(struct engine *e);

/* engine_foreach - call fn for every live flow (list by list, least
 * recently active first); fn must not change the engine. */
void engine_foreach(const struct engine *e,
		    void (*fn)(void *ctx, const struct flow *f), void *ctx);

/*
 * engine_find - the live flow of a tuple given in either direction, or NULL.
 * proto 6 or 17; addresses as in struct pkt. Expired flows still in the
 * table are returned (they are reaped lazily).
 */
const struct flow *engine_find(struct engine *e, uint8_t proto, uint8_t ipver,
			       const uint8_t src[16], uint16_t sport,
			       const uint8_t dst[16], uint16_t dport);

/* engine_flow_record's cid_seed for "leave community_id empty". */
#define ENGINE_NO_CID (-1)

/*
 * engine_flow_record - resolve f into the printable record: initiator first,
 * times back to epoch seconds, Zeek state and history, Community ID with
 * seed cid_seed (0 to 65535; 0 is the common default). With ENGINE_NO_CID
 * community_id is left empty for a caller that computes Community IDs
 * itself, several at a time (communityid_v1_many), from r's tuple.
 */
void engine_flow_record(const struct engine *e, const struct flow *f,
			int32_t cid_seed, struct flow_record *r);

/* engine_time - a relative engine time (flow.start_ns, ...) as epoch
 * seconds and nanoseconds. */
void engine_time(const struct engine *e, int64_t rel_ns, int64_t *sec, uint32_t *nsec);

#endif /* TC_ENGINE_H */
