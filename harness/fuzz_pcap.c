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
 *    its fields are in range (frame numbers count 1, 2, 3..., nanoseconds
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
 *    created exactly when some packet was trackable; evicted <= created.
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

/* Per input. */
struct run {
	struct oracle *o;
	struct fcheck fc;
	uint64_t tracked;      /* packets the engine can track: TCP/UDP header, not a fragment */
};

static void check_record(const struct cap_reader *r, const uint8_t *buf, size_t len,
			 const struct cap_packet *cp, uint64_t expect_frame)
{
	uintptr_t lo = (uintptr_t)buf, hi = lo + len, a = (uintptr_t)cp->data;
	uint32_t snaplen = r->snaplen;

	FUZZ_CHECK(cp->caplen == 0 || (cp->data != NULL && a >= lo && a <= hi &&
					cp->caplen <= hi - a),
		   "record %llu: view of %u bytes outside the input",
		   (unsigned long long)cp->frame, cp->caplen);
	FUZZ_CHECK(cp->frame == expect_frame, "record numbered %llu, expected %llu",
		   (unsigned long long)cp->frame, (unsigned long long)expect_frame);
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
	uint8_t *frame = malloc(cp->caplen);
	struct cap_packet copy = *cp;
	struct pkt p;

	if (frame == NULL && cp->caplen != 0)
		return;
	if (cp->caplen != 0)
		memcpy(frame, cp->data, cp->caplen);
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
	if (p.have_l4 && (p.l4 == L4_TCP || p.l4 == L4_UDP) && !p.is_fragment)
		run->tracked++;

	fcheck_packet_begin(&run->fc, &copy, &p);
	oracle_packet(run->o, &copy, &p);
	fcheck_packet_end(&run->fc, NULL);
	free(frame);
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

	memset(&sum, 0, sizeof(sum));
	fcheck_finish_begin(&run->fc);
	oracle_finish(run->o, &sum);
	fcheck_finish_end(&run->fc);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_reader *r = malloc(sizeof(*r));  /* ~10 KiB of interfaces: keep it off the stack */
	struct cap_packet cp;
	struct oracle_cfg cfg;
	struct oracle_sink sink;
	struct run run;
	enum tc_rc rc, again;
	uint64_t n = 0, dec0 = decoded, rej0 = rejected;

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
	sink.finding = fcheck_finding;
	sink.host = NULL;
	sink.ctx = &run.fc;
	if (oracle_new(&cfg, &sink, file_name, &run.o) != TC_OK)
		goto out;
	fcheck_init(&run.fc, &cfg.rules, file_name);

	while (n < MAX_RECORDS && (rc = cap_next(r, &cp)) == TC_OK) {
		n++;
		check_record(r, data, size, &cp, n);
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
	FUZZ_CHECK(r->frame == n, "reader counted %llu records, returned %llu",
		   (unsigned long long)r->frame, (unsigned long long)n);
	FUZZ_CHECK((decoded - dec0) + (rejected - rej0) == n,
		   "records %llu != decoded %llu + rejected %llu", (unsigned long long)n,
		   (unsigned long long)(decoded - dec0), (unsigned long long)(rejected - rej0));
	finish(&run);
	fcheck_free(&run.fc);
	oracle_free(run.o);
out:
	free(r);
	return 0;
}

void fuzz_stats_print(FILE *out)
{
	fprintf(out, "stats: target=fuzz_pcap inputs=%llu files=%llu records=%llu decoded=%llu rejected=%llu"
		" tracked=%llu flows=%llu evicted=%llu findings=%llu",
		(unsigned long long)inputs, (unsigned long long)files_opened,
		(unsigned long long)records, (unsigned long long)decoded,
		(unsigned long long)rejected, (unsigned long long)tracked_total,
		(unsigned long long)flows_total, (unsigned long long)evicted_total,
		(unsigned long long)findings_total);
	pkt_counts_print(out, &counts);
	fcheck_print_rules(out, rules_total);
	fputc('\n', out);
}

/* Structure-aware mutation (mutator.h); TC_FUZZ_NO_CUSTOM_MUTATOR=1 gives
 * libFuzzer's own mutations instead. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	struct mut_rng r;

	if (mut_disabled() && LLVMFuzzerMutate != NULL)
		return LLVMFuzzerMutate(data, size, max_size);
	mut_seed(&r, seed);
	return mut_pcap(data, size, max_size, &r);
}
