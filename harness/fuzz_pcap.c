/*
 * fuzz_pcap.c - fuzz target: a whole pcap or pcapng file, from memory,
 * through the capture reader, the decoder, and the replay oracle (the
 * connection engine, every rule, the host classifier), as `tuplecheck
 * replay --rules` with every rule switched on would run it.
 *
 * The input is the file itself, with no selector byte, so every public
 * capture is a seed as it is and every crash is a capture tcpdump and
 * Wireshark can open. It is parsed from memory (cap_open on the buffer);
 * nothing goes through a temporary file.
 *
 * Checks, besides the sanitizers:
 *  - the reader: open/next results are reader results, a failure leaves a
 *    reason and stays failed, each record's view lies inside the input and
 *    its fields are in range (frame numbers count 1, 2, 3... in pcap and
 *    rise, as Wireshark numbers them, in pcapng; nanoseconds
 *    below 1e9, captured length within the stated caps, CAP_F_CAPLEN_GT_LEN
 *    exactly when caplen > origlen, link type and interface consistent with
 *    the file's interfaces);
 *  - each record, copied into a buffer of exactly its captured length, is
 *    decoded and checked with pktcheck_decoded and pktcheck_checksums;
 *  - the oracle's findings, through oraclecheck.c: catalog, signature,
 *    tuple, deduplication, and the per-packet rules in lockstep;
 *  - conservation: records read = decoded + rejected; the reader's own
 *    record counter agrees with the records it returned; the flows the
 *    engine created are at most the packets it could track, and some were
 *    created exactly when some packet was trackable; evicted <= created;
 *    and, through an engine of our own (with an emit callback, under a
 *    third hash key) fed the same packets: the packet counts of all its
 *    flows add up to the TCP/UDP packets it tracked, which are exactly
 *    the decoded non-fragment TCP/UDP packets, and it creates and evicts
 *    as many flows as the oracle's engine;
 *  - determinism: a second oracle under another hash key replays the same
 *    packets in lockstep and must report exactly the same findings (rule,
 *    frame, time, tuple, signature, message, evidence), packet by packet
 *    and for the hosts at the end;
 *  - truncation (the reader allocates nothing, so a short buffer is how
 *    its failure paths are injected): the input is cut at a point chosen
 *    by a hash of it and read again from an exact-size copy; the records
 *    read must be a prefix of the full file's, byte for byte, every record
 *    whose successor starts before the cut must be among them, and a clean
 *    end is only allowed at a record boundary;
 *  - streams: the input is read again through sliding windows, as
 *    standard input is (cap_refill), and must give the same records, bytes
 *    and final result, reason and offset as the whole buffer.
 *
 * Oracle configuration (fixed, so that a capture replays one way): every
 * rule on, checksum rules included; ephemeral range 32768-60999 (linux);
 * MSL 60 s; 4 connections make a host classifiable (small captures reach
 * the classifier); a fixed hash key (output must not depend on it anyway).
 */
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "fuzz.h"
#include "fuzz_assert.h"
#include "mutator.h"
#include "oracle.h"
#include "oraclecheck.h"
#include "pktcheck.h"

/* Records per input. A 16-byte pcap record is the smallest there is, so a
 * 64 KiB libFuzzer input (-max_len in mk/fuzz.mk) holds at most ~4000; the
 * cap only bites on AFL++'s larger inputs and keeps one execution's cost
 * bounded, so that a timeout means a slow path, not a long file. */
#define MAX_RECORDS 8192

/* Live flows in the oracle's engine (--max-flows). Bounds memory per input,
 * and is small on purpose: the public captures rarely hold more than a
 * dozen live flows, and a cap they never reach would leave eviction (and
 * findings on evicted tuples) untested here. fuzz_engine varies the cap. */
#define MAX_FLOWS 16

static struct pkt_counts counts;
static uint64_t inputs, files_opened, records, decoded, rejected, tracked_total,
	flows_total, evicted_total, findings_total;
static uint64_t rules_total[R__COUNT];
static const char file_name[] = "<fuzz_pcap input>";

/* Findings of one packet (or of the hosts at the end), as digests. */
#define MAX_DIGESTS 256

struct digests {
	uint64_t d[MAX_DIGESTS];
	unsigned n;
	bool overflow;
};

/* Per input. */
struct run {
	struct oracle *o, *o2;         /* o2: the same replay under another key */
	struct fcheck fc;
	struct digests da, db;
	struct engine *eng;            /* ours: per-flow counts through emit */
	uint64_t tracked;      /* packets the engine can track: TCP/UDP header (a first fragment too) */
	uint64_t flow_pkts;    /* packets counted in the flows our engine ended */
};

/* A record as the full read returned it, for the truncation check. */
struct rec {
	uint64_t offset, data_off, frame;
	uint32_t caplen, origlen, ts_nsec, linktype, ifindex, flags;
	int64_t ts_sec;
};
static struct rec recs[MAX_RECORDS + 1];
static uint64_t truncations, trunc_records, own_flows, determinism_checked;
static uint64_t windowed_runs, windowed_records;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* Everything a finding says, as one number. */
static uint64_t finding_digest(const struct finding *f)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t v[6] = { (uint32_t)f->rule, (uint32_t)f->severity, (uint32_t)f->proto, f->ipver,
			  f->ts_nsec, f->ts_digits };
	uint8_t b[4] = { f->have_ip, f->have_ports, f->is_host, 0 };

	h = fnv(h, v, sizeof(v));
	h = fnv(h, b, sizeof(b));
	h = fnv(h, &f->frame, sizeof(f->frame));
	h = fnv(h, &f->ts_sec, sizeof(f->ts_sec));
	h = fnv(h, f->src, 16);
	h = fnv(h, f->dst, 16);
	h = fnv(h, &f->sport, 2);
	h = fnv(h, &f->dport, 2);
	h = fnv(h, f->host, 16);
	h = fnv(h, f->signature, strlen(f->signature));
	h = fnv(h, f->transition ? f->transition : "", f->transition ? strlen(f->transition) : 0);
	h = fnv(h, f->message ? f->message : "", f->message ? strlen(f->message) : 0);
	h = fnv(h, &f->n_frames, sizeof(f->n_frames));
	if (f->n_frames)
		h = fnv(h, f->frames, f->n_frames * sizeof(*f->frames));
	return h;
}

static void digest_add(struct digests *d, const struct finding *f)
{
	if (d->n == MAX_DIGESTS) {
		d->overflow = true;
		return;
	}
	d->d[d->n++] = finding_digest(f);
}

/* The first oracle's sink: the checker, and the digest. */
static void sink_a(void *ctx, const struct finding *f)
{
	struct run *run = ctx;

	fcheck_finding(&run->fc, f);
	digest_add(&run->da, f);
}

/* The second oracle's sink: only the digest. */
static void sink_b(void *ctx, const struct finding *f)
{
	digest_add(&((struct run *)ctx)->db, f);
}

/* Both oracles said the same, in the same order. */
static void compare_digests(struct run *run, const char *where, uint64_t frame)
{
	FUZZ_CHECK(run->da.n == run->db.n && run->da.overflow == run->db.overflow &&
		   memcmp(run->da.d, run->db.d, run->da.n * sizeof(run->da.d[0])) == 0,
		   "%s %llu: %u findings under one hash key, %u under another, or different ones",
		   where, (unsigned long long)frame, run->da.n, run->db.n);
	run->da.n = run->db.n = 0;
	run->da.overflow = run->db.overflow = false;
}

static void own_emit(void *ctx, const struct engine *e, const struct flow *f, enum flow_end why)
{
	struct run *run = ctx;

	(void)e;
	(void)why;
	run->flow_pkts += f->pkts[0] + f->pkts[1];
}

static void check_record(const struct cap_reader *r, const uint8_t *buf, size_t len,
			 const struct cap_packet *cp, uint64_t expect_frame)
{
	uintptr_t lo = (uintptr_t)buf, hi = lo + len, a = (uintptr_t)cp->data;
	uint32_t snaplen = r->snaplen;

	FUZZ_CHECK(cp->caplen == 0 || (cp->data != NULL && a >= lo && a <= hi &&
					cp->caplen <= hi - a),
		   "record %llu: view of %u bytes outside the input",
		   (unsigned long long)cp->frame, cp->caplen);
	/* pcap records count 1, 2, 3...; pcapng blocks that Wireshark makes
	 * records without a packet of take numbers in between (capture.h) */
	FUZZ_CHECK(r->format == CAP_FMT_PCAP ? cp->frame == expect_frame :
		   cp->frame >= expect_frame && cp->frame == r->frame,
		   "record numbered %llu, expected %s%llu", (unsigned long long)cp->frame,
		   r->format == CAP_FMT_PCAP ? "" : "at least ", (unsigned long long)expect_frame);
	FUZZ_CHECK(cp->ts_nsec < 1000000000u, "ts_nsec %u", cp->ts_nsec);
	FUZZ_CHECK(cp->ts_digits == 6 || cp->ts_digits == 9, "ts_digits %u", cp->ts_digits);
	FUZZ_CHECK(((cp->flags & CAP_F_CAPLEN_GT_LEN) != 0) == (cp->caplen > cp->origlen),
		   "CAP_F_CAPLEN_GT_LEN is %s with caplen %u, origlen %u",
		   (cp->flags & CAP_F_CAPLEN_GT_LEN) ? "set" : "clear", cp->caplen, cp->origlen);
	FUZZ_CHECK(cp->offset < len && (cp->caplen == 0 || a >= lo + cp->offset),
		   "record offset %llu does not precede its bytes", (unsigned long long)cp->offset);
	if (r->format == CAP_FMT_PCAP) {
		FUZZ_CHECK(cp->ifindex == 0 && cp->linktype == r->linktype,
			   "pcap record on interface %u, link type %u (file: %u)",
			   cp->ifindex, cp->linktype, r->linktype);
		FUZZ_CHECK(cp->ts_digits == r->ts_digits, "ts_digits %u, file %u",
			   cp->ts_digits, r->ts_digits);
		FUZZ_CHECK(!(cp->flags & (CAP_F_OBSOLETE_PB | CAP_F_NO_TS)),
			   "pcap record with pcapng flags 0x%x", cp->flags);
	} else {
		const struct cap_iface *ifc;

		FUZZ_CHECK(cp->ifindex < r->n_ifaces && r->n_ifaces <= CAP_MAX_IFACES,
			   "record on interface %u of %u", cp->ifindex, r->n_ifaces);
		ifc = &r->ifaces[cp->ifindex];
		FUZZ_CHECK(cp->linktype == ifc->linktype, "record link type %u, its interface says %u",
			   cp->linktype, ifc->linktype);
		FUZZ_CHECK(cp->ts_digits == ifc->ts_digits, "ts_digits %u, interface %u",
			   cp->ts_digits, ifc->ts_digits);
		FUZZ_CHECK(!(cp->flags & (CAP_F_CLAMPED | CAP_F_TS_FRAC_OVERFLOW)),
			   "pcapng record with pcap flags 0x%x", cp->flags);
		snaplen = ifc->snaplen;
	}
	/* capture.h: the effective snapshot length is never 0, and no record
	 * is longer than it or than cap_max_caplen() (clamped or malformed).
	 * (The snapshot length itself may exceed the maximum by 14 in
	 * Kuznetzov files, libpcap's allowance for a fake Ethernet header.) */
	FUZZ_CHECK(snaplen != 0, "effective snapshot length 0");
	FUZZ_CHECK(cp->caplen <= snaplen && cp->caplen <= cap_max_caplen(cp->linktype),
		   "caplen %u above the effective snapshot length %u or the maximum %u",
		   cp->caplen, snaplen, cap_max_caplen(cp->linktype));
}

/* One decoded record: copy, decode, check, count, replay. */
static void run_packet(struct run *run, const struct cap_packet *cp)
{
	const uint8_t *frame = fuzz_frame(cp->data, cp->caplen);     /* exactly caplen readable */
	struct cap_packet copy = *cp;
	struct pkt p;

	copy.data = frame;
	decode_packet(cp->linktype, frame, cp->caplen, cp->origlen, &p);
	pktcheck_decoded(cp->linktype, frame, cp->caplen, cp->origlen, &p);
	/* checksum rules are on: the replay driver verifies them the same way */
	if (p.have_ip)
		pktcheck_checksums(&p);
	pkt_counts_add(&counts, &p);
	/* The replay driver's split (oracle/driver.c): decoded means an IP
	 * header came out, everything else is rejected. */
	if (p.have_ip)
		decoded++;
	else
		rejected++;
	if (p.have_l4 && (p.l4 == L4_TCP || p.l4 == L4_UDP))
		run->tracked++;

	/* Our engine first: its flow number is the oracle's (flows are
	 * numbered in order of creation, whatever the hash key), which the
	 * checker needs to tell a repeat within a flow from a new flow on
	 * the same tuple. */
	{
		struct engine_in in = { cp->frame, cp->ts_sec, cp->ts_nsec, cp->ts_digits,
					(cp->flags & CAP_F_NO_TS) != 0 };
		struct engine_result res;
		enum tc_rc rc = engine_packet(run->eng, &p, &in, &res);
		bool trackable = p.have_l4 && (p.l4 == L4_TCP || p.l4 == L4_UDP);

		FUZZ_CHECK(trackable ? rc == TC_OK : rc == TC_UNSUPPORTED,
			   "frame %llu: engine_packet says %s for a%s packet",
			   (unsigned long long)cp->frame, tc_rc_name(rc),
			   trackable ? " trackable" : "n untrackable");
		fcheck_packet_begin(&run->fc, &copy, &p,
				    rc == TC_OK ? res.flow->seqno : FC_FLOW_NONE);
	}
	oracle_packet(run->o, &copy, &p);
	fcheck_packet_end(&run->fc, NULL);
	oracle_packet(run->o2, &copy, &p);
	compare_digests(run, "frame", cp->frame);
	fuzz_frame_release();
}

static void oracle_config(struct oracle_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (unsigned r = 0; r < R__COUNT; r++)
		cfg->rules.on[r] = true;
	cfg->msl = 60;
	cfg->have_range = true;
	cfg->eph_lo = 32768;
	cfg->eph_hi = 60999;
	cfg->min_samples = 4;
	engine_config_default(&cfg->engine);
	cfg->engine.msl_sec = cfg->msl;
	cfg->engine.max_flows = MAX_FLOWS;
	cfg->engine.hash_key.k0 = 0x0706050403020100ull;
	cfg->engine.hash_key.k1 = 0x0f0e0d0c0b0a0908ull;
}

/* End of the file: host findings, summary, conservation. */
static void finish(struct run *run)
{
	struct summary sum;

	struct summary sum2;
	const struct engine_stats *es;

	memset(&sum, 0, sizeof(sum));
	memset(&sum2, 0, sizeof(sum2));
	fcheck_finish_begin(&run->fc);
	oracle_finish(run->o, &sum);
	fcheck_finish_end(&run->fc);
	oracle_finish(run->o2, &sum2);
	compare_digests(run, "hosts after frame", run->tracked);
	FUZZ_CHECK(sum.flows == sum2.flows && sum.evicted == sum2.evicted,
		   "flows %llu/%llu evicted %llu/%llu under two hash keys",
		   (unsigned long long)sum.flows, (unsigned long long)sum2.flows,
		   (unsigned long long)sum.evicted, (unsigned long long)sum2.evicted);
	determinism_checked++;
	es = engine_stats(run->eng);
	FUZZ_CHECK(es->created == sum.flows && es->evicted == sum.evicted,
		   "our engine: %llu flows %llu evicted; the oracle's: %llu, %llu",
		   (unsigned long long)es->created, (unsigned long long)es->evicted,
		   (unsigned long long)sum.flows, (unsigned long long)sum.evicted);
	engine_flush(run->eng);
	es = engine_stats(run->eng);
	FUZZ_CHECK(es->nomem == 0 && es->packets - es->untracked == run->tracked,
		   "our engine tracked %llu packets (%llu refused for memory), %llu were trackable",
		   (unsigned long long)(es->packets - es->untracked), (unsigned long long)es->nomem,
		   (unsigned long long)run->tracked);
	FUZZ_CHECK(run->flow_pkts == run->tracked, "the flows hold %llu packets in all, %llu were "
		   "tracked", (unsigned long long)run->flow_pkts, (unsigned long long)run->tracked);
	own_flows += es->created;
	FUZZ_CHECK(sum.have_flows, "oracle_finish did not count flows");
	FUZZ_CHECK(sum.flows <= run->tracked, "%llu flows from %llu trackable packets",
		   (unsigned long long)sum.flows, (unsigned long long)run->tracked);
	FUZZ_CHECK((sum.flows > 0) == (run->tracked > 0), "%llu flows from %llu trackable packets",
		   (unsigned long long)sum.flows, (unsigned long long)run->tracked);
	FUZZ_CHECK(sum.evicted <= sum.flows, "%llu evicted of %llu flows",
		   (unsigned long long)sum.evicted, (unsigned long long)sum.flows);
	/* More flows than the cap were created: all but MAX_FLOWS ended
	 * somehow, but timeouts and new incarnations also end flows, so
	 * eviction is only bounded above. */
	tracked_total += run->tracked;
	flows_total += sum.flows;
	evicted_total += sum.evicted;
	findings_total += fcheck_total(&run->fc);
	for (unsigned r = 0; r < R__COUNT; r++)
		rules_total[r] += run->fc.findings[r];
}

/*
 * Read the input again, cut at a point chosen by a hash of it, from an
 * exact-size copy: r is reused (it is reset by cap_open); n records were
 * read from the whole input, which then ended with full_rc (or hit the cap).
 */
static void truncated(const uint8_t *data, size_t size, uint64_t n, struct cap_reader *r,
		      enum tc_rc full_rc)
{
	size_t cut = (size_t)(fnv(0xcbf29ce484222325ull, data, size < 64 ? size : 64) % size);
	uint8_t *buf = malloc(cut ? cut : 1);
	struct cap_packet cp;
	uint64_t m = 0, must = 0, before = 0;
	enum tc_rc rc;

	FUZZ_CHECK(buf != NULL, "out of memory for a %zu-byte copy", cut);
	memcpy(buf, data, cut);
	truncations++;
	/* records that ended before the cut: their successor starts by then */
	for (uint64_t i = 0; i + 1 < n; i++)
		if (recs[i + 1].offset <= cut)
			must = i + 1;
	for (uint64_t i = 0; i < n; i++)
		if (recs[i].offset < cut)
			before = i + 1;
	rc = cap_open(r, buf, cut);
	if (rc != TC_OK) {
		FUZZ_CHECK(rc == TC_END || rc == TC_TRUNCATED || rc == TC_MALFORMED,
			   "cap_open of %zu of %zu bytes: %s", cut, size, tc_rc_name(rc));
		FUZZ_CHECK(must == 0, "cap_open of %zu of %zu bytes failed (%s) before %llu whole "
			   "records", cut, size, tc_rc_name(rc), (unsigned long long)must);
		free(buf);
		return;
	}
	(void)full_rc;
	while (m < MAX_RECORDS && (rc = cap_next(r, &cp)) == TC_OK) {
		const struct rec *w = &recs[m];

		FUZZ_CHECK(m < n, "cut at %zu of %zu bytes: record %llu read, the whole file has %llu",
			   cut, size, (unsigned long long)(m + 1), (unsigned long long)n);
		FUZZ_CHECK(cp.offset == w->offset && cp.frame == w->frame && cp.caplen == w->caplen &&
			   cp.origlen == w->origlen && cp.ts_sec == w->ts_sec && cp.ts_nsec == w->ts_nsec &&
			   cp.linktype == w->linktype && cp.ifindex == w->ifindex && cp.flags == w->flags &&
			   (cp.caplen == 0 || (uint64_t)(cp.data - buf) == w->data_off),
			   "cut at %zu of %zu bytes: record %llu differs from the whole file's",
			   cut, size, (unsigned long long)(m + 1));
		FUZZ_CHECK(cp.caplen == 0 || (uint64_t)(cp.data - buf) + cp.caplen <= cut,
			   "cut at %zu: record %llu reaches past the cut", cut, (unsigned long long)(m + 1));
		FUZZ_CHECK(cp.caplen == 0 || memcmp(cp.data, data + w->data_off, cp.caplen) == 0,
			   "cut at %zu: record %llu has other bytes", cut, (unsigned long long)(m + 1));
		m++;
	}
	trunc_records += m;
	FUZZ_CHECK(m >= must, "cut at %zu of %zu bytes: %llu records read, %llu ended before the cut",
		   cut, size, (unsigned long long)m, (unsigned long long)must);
	FUZZ_CHECK(m == MAX_RECORDS || rc == TC_END || rc == TC_TRUNCATED || rc == TC_MALFORMED,
		   "cap_next on a cut file returned %s", tc_rc_name(rc));
	FUZZ_CHECK(rc != TC_END || m >= before, "cut at %zu of %zu bytes inside record %llu, yet "
		   "a clean end after %llu", cut, size, (unsigned long long)before,
		   (unsigned long long)m);
	free(buf);
}

/*
 * Read the input again as a stream is read (capture.h, oracle/input.c):
 * through windows, each an exact-size copy (fuzz_frame: ASan reports a
 * read outside it), the first `step` bytes and made longer while cap_open
 * cannot decide, then each time the reader runs out the bytes from r->p on
 * with `step` more (step from a hash of the input, 16-2063; the unit test
 * test_capture covers every step from 1 byte). The open result, every record
 * (fields, offset and bytes) and the final result with its reason and
 * offset must be those of the whole-buffer read: n records, then full_rc
 * with full_err at full_off.
 */
static void windowed(const uint8_t *data, size_t size, uint64_t n, struct cap_reader *r,
		     enum tc_rc full_rc, const char *full_err, uint64_t full_off)
{
	size_t step = 16 + (size_t)(fnv(0x84222325cbf29ce4ull, data, size < 64 ? size : 64) % 2048);
	size_t fed = size < step ? size : step, from = 0;
	const uint8_t *win = fuzz_frame(data, fed);
	struct cap_packet cp;
	uint64_t m = 0;
	enum tc_rc rc = cap_open(r, win, fed);

	while ((rc == TC_TRUNCATED || (rc == TC_OK && r->peek_cut)) && fed < size) {
		fed = size - fed < step ? size : fed + step;
		win = fuzz_frame(data, fed);
		rc = cap_open(r, win, fed);
	}
	FUZZ_CHECK(rc == TC_OK, "read in windows of %zu bytes, cap_open fails (%s: %s); "
		   "on the whole input it did not", step, tc_rc_name(rc), r->err);
	windowed_runs++;
	for (;;) {
		rc = cap_next(r, &cp);
		if (rc == TC_OK) {
			const struct rec *w = &recs[m];

			if (m == MAX_RECORDS)
				break;
			FUZZ_CHECK(m < n, "windows of %zu: record %llu read, the whole file has %llu",
				   step, (unsigned long long)(m + 1), (unsigned long long)n);
			FUZZ_CHECK(cp.offset == w->offset && cp.frame == w->frame &&
				   cp.caplen == w->caplen && cp.origlen == w->origlen && cp.ts_sec == w->ts_sec &&
				   cp.ts_nsec == w->ts_nsec && cp.linktype == w->linktype &&
				   cp.ifindex == w->ifindex && cp.flags == w->flags &&
				   (cp.caplen == 0 || memcmp(cp.data, data + w->data_off, cp.caplen) == 0),
				   "windows of %zu: record %llu differs from the whole file's",
				   step, (unsigned long long)(m + 1));
			m++;
			continue;
		}
		if ((rc == TC_END || rc == TC_TRUNCATED) && fed < size) {
			/* the reader only does arithmetic on r->p from here on,
			 * so the new window may take the old one's place */
			from += (size_t)(r->p - r->buf);
			fed = size - fed < step ? size : fed + step;
			win = fuzz_frame(data + from, fed - from);
			cap_refill(r, win, fed - from);
			continue;
		}
		break;
	}
	fuzz_frame_release();
	windowed_records += m;
	if (m == MAX_RECORDS || n == MAX_RECORDS)
		return;
	FUZZ_CHECK(m == n && rc == full_rc && strcmp(r->err, full_err) == 0 &&
		   r->err_offset == full_off,
		   "windows of %zu: %llu records then %s (%s, at %llu); the whole input: %llu, "
		   "%s (%s, at %llu)", step, (unsigned long long)m, tc_rc_name(rc), r->err,
		   (unsigned long long)r->err_offset, (unsigned long long)n, tc_rc_name(full_rc),
		   full_err, (unsigned long long)full_off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_reader *r = malloc(sizeof(*r));  /* ~10 KiB of interfaces: keep it off the stack */
	struct cap_packet cp;
	struct oracle_cfg cfg;
	struct oracle_sink sink;
	struct run run;
	enum tc_rc rc, again;
	uint64_t n = 0, dec0 = decoded, rej0 = rejected, full_off;
	char full_err[sizeof(r->err)];

	inputs++;
	memset(&run, 0, sizeof(run));
	if (r == NULL)
		return 0;
	rc = cap_open(r, data, size);
	FUZZ_CHECK(rc == TC_OK || rc == TC_END || rc == TC_TRUNCATED || rc == TC_MALFORMED,
		   "cap_open returned %s", tc_rc_name(rc));
	FUZZ_CHECK(rc != TC_END || size == 0, "cap_open says empty for %zu bytes", size);
	if (rc != TC_OK) {
		FUZZ_CHECK(rc == TC_END || (memchr(r->err, '\0', sizeof(r->err)) && r->err[0] != '\0'),
			   "cap_open failed (%s) without a reason", tc_rc_name(rc));
		goto out;
	}
	files_opened++;
	FUZZ_CHECK(r->format == CAP_FMT_PCAP || r->format == CAP_FMT_PCAPNG, "format %d", (int)r->format);

	oracle_config(&cfg);
	sink.finding = sink_a;
	sink.host = NULL;
	sink.ctx = &run;
	FUZZ_CHECK(oracle_new(&cfg, &sink, file_name, &run.o) == TC_OK, "oracle_new failed");
	cfg.engine.hash_key.k0 ^= 0x5555555555555555ull;
	sink.finding = sink_b;
	FUZZ_CHECK(oracle_new(&cfg, &sink, file_name, &run.o2) == TC_OK, "oracle_new failed");
	cfg.engine.hash_key.k1 ^= 0xaaaaaaaaaaaaaaaaull;
	FUZZ_CHECK(engine_new(&cfg.engine, own_emit, &run, &run.eng) == TC_OK, "engine_new failed");
	cfg.engine.hash_key.k0 ^= 0x5555555555555555ull;
	cfg.engine.hash_key.k1 ^= 0xaaaaaaaaaaaaaaaaull;
	fcheck_init(&run.fc, &cfg.rules, file_name);

	while (n < MAX_RECORDS && (rc = cap_next(r, &cp)) == TC_OK) {
		n++;
		check_record(r, data, size, &cp, n);
		recs[n - 1] = (struct rec){ cp.offset, cp.caplen ? (uint64_t)(cp.data - data) : 0,
					    cp.frame, cp.caplen, cp.origlen, cp.ts_nsec, cp.linktype, cp.ifindex,
					    cp.flags, cp.ts_sec };
		run_packet(&run, &cp);
	}
	records += n;
	if (n == MAX_RECORDS)
		goto conserve;
	FUZZ_CHECK(rc == TC_END || rc == TC_TRUNCATED || rc == TC_MALFORMED,
		   "cap_next returned %s", tc_rc_name(rc));
	if (rc != TC_END)
		FUZZ_CHECK(memchr(r->err, '\0', sizeof(r->err)) && r->err[0] != '\0',
			   "cap_next failed (%s) without a reason", tc_rc_name(rc));
	again = cap_next(r, &cp);
	FUZZ_CHECK(again == rc, "cap_next after %s returned %s (must stay put)",
		   tc_rc_name(rc), tc_rc_name(again));
conserve:
	FUZZ_CHECK(r->format == CAP_FMT_PCAP ? r->frame == n : r->frame >= n,
		   "reader counted %llu records, returned %llu",
		   (unsigned long long)r->frame, (unsigned long long)n);
	FUZZ_CHECK((decoded - dec0) + (rejected - rej0) == n,
		   "records %llu != decoded %llu + rejected %llu", (unsigned long long)n,
		   (unsigned long long)(decoded - dec0), (unsigned long long)(rejected - rej0));
	finish(&run);
	fcheck_free(&run.fc);
	oracle_free(run.o);
	oracle_free(run.o2);
	engine_free(run.eng);
	memcpy(full_err, r->err, sizeof(full_err));
	full_off = r->err_offset;
	cap_close(r);           /* each read below reopens r */
	truncated(data, size, n, r, rc);
	cap_close(r);
	windowed(data, size, n, r, rc, full_err, full_off);
out:
	cap_close(r);
	free(r);
	return 0;
}

void fuzz_stats_print(FILE *out)
{
	fprintf(out, "stats: target=fuzz_pcap inputs=%llu files=%llu records=%llu decoded=%llu rejected=%llu"
		" tracked=%llu flows=%llu evicted=%llu findings=%llu own_flows=%llu determinism=%llu"
		" truncations=%llu trunc_records=%llu windowed=%llu windowed_records=%llu",
		(unsigned long long)inputs, (unsigned long long)files_opened,
		(unsigned long long)records, (unsigned long long)decoded,
		(unsigned long long)rejected, (unsigned long long)tracked_total,
		(unsigned long long)flows_total, (unsigned long long)evicted_total,
		(unsigned long long)findings_total, (unsigned long long)own_flows,
		(unsigned long long)determinism_checked, (unsigned long long)truncations,
		(unsigned long long)trunc_records, (unsigned long long)windowed_runs,
		(unsigned long long)windowed_records);
	pkt_counts_print(out, &counts);
	fcheck_print_rules(out, rules_total);
	fputc('\n', out);
}

/* Structure-aware mutation (mutator.h); TC_FUZZ_NO_CUSTOM_MUTATOR=1 gives
 * libFuzzer's own mutations instead. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	return mut_libfuzzer(mut_pcap, data, size, max_size, seed);
}
