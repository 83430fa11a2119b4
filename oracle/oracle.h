/*
 * oracle.h - the replay oracle for one capture: every decoded packet goes
 * through the connection engine and the rule catalog, and at the end of the
 * file the host classifier; findings and host records go to a sink.
 *
 * The oracle owns its engine and classifier state; one oracle replays one
 * file (SPEC: engine state starts empty for each file). It reads no clock
 * and no global: time comes from the packets, the hash key from the
 * configuration. The same object serves `tuplecheck replay`, `reduce`
 * (re-run in memory on candidate subsets) and the fuzz targets.
 */
#ifndef TC_ORACLE_H
#define TC_ORACLE_H

#include "capture.h"
#include "decode.h"
#include "engine.h"
#include "report.h"
#include "rules.h"
#include "siphash.h"

struct oracle_cfg {
	struct rule_set rules;
	uint32_t msl;                   /* seconds */
	bool have_range;
	uint16_t eph_lo, eph_hi;        /* inclusive */
	uint32_t min_samples;
	struct engine_config engine;    /* --max-flows, --msl, the hash key */
};

/* Where findings and host records go. Pointers in the records are only
 * valid during the call. Either callback may be NULL. */
struct oracle_sink {
	void (*finding)(void *ctx, const struct finding *f);
	void (*host)(void *ctx, const struct host_record *h);
	void *ctx;
};

struct oracle;

/*
 * oracle_cfg_from_options - the configuration the command line asks for:
 * rules (--rules, defaults, --ephemeral-range), --msl, --min-samples,
 * --max-flows, and the key from --seed (or random when absent; output never
 * depends on it; the same key the flows subcommand uses, flowcfg.h). Also
 * sets o->checksums when a checksum rule is on.
 * Returns TC_OK; TC_MALFORMED with err set (a usage error: exit 2); TC_IO
 * when no random key could be had (err says so).
 */
enum tc_rc oracle_cfg_from_options(struct tc_options *o, struct oracle_cfg *cfg,
				   char *err, size_t errlen);

/*
 * oracle_new - an oracle for one file named file (borrowed; must outlive the
 * oracle) writing to *sink (copied). Returns TC_OK with *out set, or
 * TC_NOMEM.
 */
enum tc_rc oracle_new(const struct oracle_cfg *cfg, const struct oracle_sink *sink,
		      const char *file, struct oracle **out);

/* oracle_packet - replay one record (cp) and its decoding (p). */
void oracle_packet(struct oracle *o, const struct cap_packet *cp, const struct pkt *p);

/* oracle_packet_cb - oracle_packet in the shape of the driver's packet
 * callback (cli.h struct drive_ops), for a driver whose context is the
 * oracle itself: the packet reaches the oracle with no hop between. */
void oracle_packet_cb(void *o, const struct cap_packet *cp, struct pkt *p);

/* oracle_latest - the latest packet time seen so far (the engine's clock;
 * for tests): the first packet's, then each strictly later one's. */
void oracle_latest(const struct oracle *o, int64_t *ts_sec, uint32_t *ts_nsec,
		   uint8_t *ts_digits);

/* oracle_marks - the once-per-flow marks held now (for tests): findings
 * of flows the engine still tracks, plus those of packets it tracked no
 * flow for. A flow's marks go when the engine ends it. */
size_t oracle_marks(const struct oracle *o);

/* oracle_sink_ctx - the ctx of the sink o was made with. */
void *oracle_sink_ctx(const struct oracle *o);

/*
 * oracle_advance - move the engine clock to (ts_sec, ts_nsec) if later and
 * end up to limit flows whose timeout has passed (engine_advance, then
 * engine_expire). For a driver with a clock of its own between packets
 * (fuzz_engine's clock-only records), so that its engine and the oracle's
 * stay in step. No finding comes of it, and the time of host findings
 * (the latest packet time) does not move. Returns the flows ended.
 */
uint64_t oracle_advance(struct oracle *o, int64_t ts_sec, uint32_t ts_nsec, uint64_t limit);

/*
 * oracle_finish - end of the file: host-level findings and host records go
 * to the sink; s->have_flows/flows/evicted are filled for the summary.
 * Call once, before oracle_free. Host findings are judged here; their
 * "frame" is the first frame of their evidence and their "ts" that frame's
 * time, with its own precision (the latest packet time of the file only
 * for a verdict without evidence).
 */
void oracle_finish(struct oracle *o, struct summary *s);

void oracle_free(struct oracle *o);

/*
 * oracle_command - `tuplecheck replay` (hosts_only false: findings, host
 * records and summaries in o->format) and `tuplecheck hosts` (hosts_only
 * true: host records with per-protocol detail, no packet-level rules, no
 * findings). Returns the exit status: 2 usage error or an input not read to
 * its end, else 1 for a finding at or above --fail-on (replay only), else 0.
 */
int oracle_command(struct tc_options *o, bool hosts_only);

#endif /* TC_ORACLE_H */
