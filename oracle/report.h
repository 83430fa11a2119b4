/*
 * report.h - findings, host records and the four report formats.
 *
 * A report is a sink the oracle writes into as it replays: file begin,
 * findings, host records, file end (with the SPEC summary), and a final
 * close. Each format decides how much to hold back:
 *  - jsonl   streams every record at once (SPEC.md "JSON Lines schema");
 *  - text    prints one line per file as it ends, then the findings grouped
 *            by rule, worst first, with counts and the first examples;
 *  - junit   one <testsuite> per file, one <testcase> per file and rule
 *            (failure when a finding is at or above --fail-on); the document
 *            is written at close with totals, so it is complete even when a
 *            file fails part-way;
 *  - sarif   SARIF 2.1.0, one run, a rule entry per catalog rule, results
 *            streamed, artifacts and invocation notes at close.
 * Frames are not lines: a SARIF result is located by artifactLocation (the
 * file) plus a logicalLocation named "frame N" (kind "element") and a
 * "frame" property; no region is invented, because a pcap has no lines.
 */
#ifndef TC_REPORT_H
#define TC_REPORT_H

#include <stdio.h>
#include "classify.h"
#include "cli.h"
#include "rules.h"

struct finding {
	enum rule_id rule;
	enum severity severity;
	const char *file;
	uint64_t frame;                 /* 1-based; for host findings the first evidence frame */
	int64_t ts_sec;
	uint32_t ts_nsec;
	uint8_t ts_digits;
	enum l4_kind proto;             /* L4_TCP, L4_UDP; anything else: not printed */
	uint8_t ipver;
	/* packet and flow findings: the packet's tuple as it travelled (the
	 * initiator rules, port.privileged-source and port.ephemeral-range:
	 * from the initiator's side, as the flow record names it, also when
	 * the packet is the responder's SYN+ACK); a packet whose IP or
	 * transport header did not decode has only what did */
	bool have_ip;                   /* src, dst */
	bool have_ports;                /* sport, dport */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	/* host findings: the host and the frames of the evidence */
	bool is_host;
	uint8_t host[16];
	const uint64_t *frames;         /* caller-owned, valid during the call */
	uint32_t n_frames;
	char signature[SIG_HEX + 1];
	const char *transition;         /* what the signature hashes */
	const char *message;
};

/* The SPEC host record. */
struct host_record {
	const char *file;
	uint8_t ipver;
	uint8_t addr[16];
	uint64_t connections;
	uint64_t distinct_ports;
	uint16_t min_port, max_port;
	const char *port_selection;     /* class name (SPEC "Host port_selection classes") */
	const struct cls_host_result *detail;  /* the classifier's verdict, borrowed; may be NULL */
};

struct report;

/*
 * report_new - a report in format fmt writing to out. cmd is the subcommand
 * name (shown in headers), rules the enabled set (junit lists one testcase
 * per rule, SARIF marks disabled rules), fail_on the --fail-on severity.
 * Returns NULL when out of memory. The caller frees with report_free after
 * report_close.
 */
struct report *report_new(enum out_format fmt, FILE *out, const char *cmd,
			  const struct rule_set *rules, enum severity fail_on);

/* report_file_begin - a file's replay starts; resets its finding counts.
 * file is borrowed for the call (formats that keep it copy it). */
void report_file_begin(struct report *r, const char *file);
/* report_finding - one finding, counted by severity and against --fail-on.
 * f and everything it points to are only borrowed for the call. */
void report_finding(struct report *r, const struct finding *f);
/* report_host - one host record of the current file (borrowed). */
void report_host(struct report *r, const struct host_record *h);
/* report_file_end - the file's summary. s is copied and its findings
 * counts replaced by the report's own; s->error non-NULL: the file stopped
 * early for that reason. */
void report_file_end(struct report *r, const char *file, const struct file_stats *st,
		     const struct summary *s);
/* report_file_error - a file that could not be opened or whose header could
 * not be read (it gets no begin/end). */
void report_file_error(struct report *r, const char *file, const char *reason);
/* report_close - finish the document (closing brackets, grouped text,
 * totals) and flush. Call once, after the last file. */
void report_close(struct report *r);
/* report_free - release r (NULL allowed). */
void report_free(struct report *r);

/* Host records with the classifier's detail (confidence, per protocol):
 * `tuplecheck hosts` asks for it; replay prints the SPEC fields only. */
void report_set_host_detail(struct report *r, bool on);

/* Findings at or above fail_on seen so far (exit status 1 when > 0). */
uint64_t report_failing(const struct report *r);

/*
 * drive_reporting - tc_drive over o->files one file at a time, so that a
 * file the driver cannot open (or whose header cannot be read) also reaches
 * the report through report_file_error, with the reason the driver prints.
 * ops/ctx as for tc_drive (handed over as they are); ops->file_begin must
 * call report_file_begin on rep, which is how a file that began is told
 * from one that did not. Returns what tc_drive would: 0, or 2 when any
 * file was not read to its end.
 */
int drive_reporting(struct tc_options *o, const struct drive_ops *ops, void *ctx,
		    struct report *rep);

/* ---- shared by the format back ends (report_*.c) ------------------------- */

/* "tcp", "udp", or NULL when the finding has no transport protocol. */
const char *finding_proto(const struct finding *f);
/* ,"proto":..,"src":..,"sport":.. (or "host"/"frames") as far as known. */
void finding_tuple_json(FILE *o, const struct finding *f);
/* "tcp 10.0.0.1:4000 > 10.0.0.2:80" or "host 10.0.0.1" into buf. */
char *finding_where(const struct finding *f, char *buf, size_t len);
/* "N connections from hosts past the classifier's 65536-host cap not
 * classified: no host record, ..." into buf: what every format says of
 * summary.unclassified. Returns buf. */
char *unclassified_text(uint64_t n, char *buf, size_t len);
/* "N records of link types tuplecheck does not decode ...: no flows or
 * findings from them" into buf: what every format says of
 * file_stats.link_unsupported. Returns buf. */
char *link_unsupported_text(uint64_t n, char *buf, size_t len);
/* XML text/attribute escaping; invalid UTF-8 and control characters that
 * XML 1.0 forbids become U+FFFD. */
void xml_str(FILE *out, const char *s);

#endif /* TC_REPORT_H */
