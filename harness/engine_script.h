/*
 * engine_script.h - the fuzz_engine input format: a compact packet script.
 *
 * A script is one configuration byte followed by records, each a length
 * byte and that many bytes of body (lwIP's and Zeek's fuzzers take
 * delimited packets the same way). Length-prefixing keeps records apart
 * when a mutator changes one of them, and lets a custom mutator
 * (LLVMFuzzerCustomMutator / afl_custom_fuzz) parse a script, mutate one
 * record's fields and re-emit it with consistent framing. Every byte string
 * is a valid script: a body shorter than ES_BODY_LEN reads its missing
 * fields as 0, a length running past the input takes what is there, bytes
 * past ES_BODY_LEN are ignored (room to extend the format).
 *
 * Configuration byte (es_config_decode):
 *   bits 0-1  MSL: 1, 30, 60, 120 s (1 s lets TIME_WAIT end within a script)
 *   bits 2-3  ephemeral range: none, linux 32768-60999, iana 49152-65535,
 *             bsd-legacy 1024-5000 (SPEC --profile ranges)
 *   bits 4-5  flow cap (--max-flows): none, 2, 8, 64
 *   bit  6    rules: every rule (0) or the SPEC defaults (1)
 *   bit  7    short idle timeouts: TCP 30 s, UDP 5 s (else 3600 s / 60 s)
 *
 * Record body, big-endian, offsets in bytes:
 *   0      ctl: bit 0 direction (0 client->server, 1 server->client),
 *          bit 1 UDP (else TCP), bit 2 IPv6, bit 3 relative sequence
 *          numbers and timestamps (below), bits 4-5 client host (0-3),
 *          bits 6-7 server host (0-3)
 *   1-2    clock step before this record: bits 0-13 amount, bit 14 unit
 *          (set: seconds, clear: milliseconds), bit 15 step backwards
 *          (out-of-order capture times; never below the script's start)
 *   3-4    client port          5-6  server port
 *   7-8    bits 0-11 TCP flags (ignored for UDP); bit 15 set: no packet,
 *          the record only moves the clock (engine_advance + expiry)
 *   9-12   sequence number      13-16  acknowledgment number
 *   17-18  window               19-20  payload length (bytes on the wire,
 *          not captured: the frame is snapped after the headers)
 *   21     TCP options: bit 0 MSS 1460, bit 1 window scale 7, bit 2
 *          SACK permitted, bit 3 timestamps
 *   22-25  TSval                26-29  TSecr
 * Relative mode (ctl bit 3, TCP): seq is an offset from the sender's next
 * sequence number on this tuple (what it would send next: ISN + SYN + data
 * + FIN so far), ack an offset from the receiver's, TSval an offset from
 * the sender's last TSval. Offsets 0 make an in-order conversation, so
 * hand-written scripts stay short and mutations stay near the window; on
 * a tuple not seen before, "next" is 0.
 */
#ifndef ENGINE_SCRIPT_H
#define ENGINE_SCRIPT_H

#include "cursor.h"

#define ES_BODY_LEN 30       /* bytes of body read; longer bodies are cut */
#define ES_HOSTS 4           /* client and server addresses per family */
/* Tuples whose sequence state relative mode remembers. A script usually
 * talks over a handful of tuples; when more are used, the least recently
 * used is forgotten (its next relative packet starts again from 0). */
#define ES_TRACK 16
/* Largest frame es_build writes: IPv6 (40) + TCP with all options (60). */
#define ES_FRAME_MAX 100
#define ES_START_SEC 1700000000   /* the script's clock starts here */

#define ES_OPT_MSS    0x01u
#define ES_OPT_WSCALE 0x02u
#define ES_OPT_SACKOK 0x04u
#define ES_OPT_TS     0x08u

#define ES_CTL_REVERSE 0x01u
#define ES_CTL_UDP     0x02u
#define ES_CTL_IPV6    0x04u
#define ES_CTL_REL     0x08u
#define ES_CLOCK_ONLY  0x8000u  /* in the flags word */
#define ES_STEP_SEC    0x4000u
#define ES_STEP_BACK   0x8000u

struct es_config {
	uint32_t msl_sec;
	bool have_range;
	uint16_t eph_lo, eph_hi;    /* inclusive */
	uint64_t max_flows;         /* 0 = no cap */
	bool default_rules;         /* SPEC defaults instead of every rule */
	uint32_t tcp_idle_sec, udp_idle_sec;
};

/* One record, as read. */
struct es_record {
	uint8_t ctl;
	uint16_t step;              /* clock step word, as encoded */
	uint16_t cport, sport;      /* client port, server port */
	uint16_t flags;             /* flags word, as encoded */
	uint32_t seq, ack;
	uint16_t win, payload_len;
	uint8_t opts;
	uint32_t tsval, tsecr;
};

/* The frame a record becomes, with what decode_packet must find in it. */
struct es_packet {
	uint8_t frame[ES_FRAME_MAX];
	size_t caplen, origlen;     /* origlen = caplen + payload_len */
	int64_t ts_sec;
	uint32_t ts_nsec;
	bool udp;
	uint8_t ipver;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;      /* as sent: direction applied */
	uint32_t seq, ack;          /* relative mode resolved */
	uint16_t flags;             /* 12 bits */
	uint16_t win, payload_len;
	uint8_t opts;
	uint32_t tsval, tsecr;
};

struct es_track {
	bool used;
	uint64_t last_use;
	uint8_t key[8];             /* ipver, client, server, cport, sport */
	uint32_t next_seq[2];       /* by direction: client->server, server->client */
	uint32_t last_ts[2];
};

/* Interpreter state: the virtual clock and relative-mode memory. */
struct es_player {
	int64_t sec;                /* virtual clock */
	uint32_t nsec;
	uint64_t uses;
	struct es_track track[ES_TRACK];
};

/* es_config_decode - the configuration byte to settings. Pure. */
void es_config_decode(uint8_t sel, struct es_config *cfg);

/*
 * es_next - read the next record from in. Returns TC_OK with *r filled
 * (missing fields 0) and in advanced past the record; TC_END when in is
 * empty. Never fails otherwise.
 */
enum tc_rc es_next(struct cursor *in, struct es_record *r);

/*
 * es_encode - write r as a record (length byte + ES_BODY_LEN bytes) to out,
 * which holds cap bytes. Returns the bytes written, or 0 when cap is too
 * small. es_next(es_encode(r)) gives r back.
 */
size_t es_encode(const struct es_record *r, uint8_t *out, size_t cap);

/* es_player_init - clock at ES_START_SEC, nothing remembered. */
void es_player_init(struct es_player *pl);

/*
 * es_play - apply r: step the clock, and unless r is clock-only, build its
 * frame (LINKTYPE_RAW: IPv4 or IPv6, then TCP or UDP with a correct
 * checksum when the payload length is 0) into *out and update the
 * relative-mode memory. Returns TC_OK when out holds a packet, TC_END for a
 * clock-only record (out->ts_* still set).
 */
enum tc_rc es_play(struct es_player *pl, const struct es_record *r, struct es_packet *out);

#endif /* ENGINE_SCRIPT_H */
