/*
 * cmd_flows.c - `tuplecheck flows`: one record per connection (SPEC.md
 * "flow" record), printed as each connection ends, then the per-file
 * summary.
 *
 * Each file gets a fresh engine (engine.h). The engine hands over a flow
 * when it ends: idle timeout (2*MSL after a close), eviction (--max-flows),
 * a new incarnation of its tuple, or the end of the file, where the flows
 * still open follow in order of first appearance. Records are printed in
 * that order, as Zeek writes conn.log, so memory holds only the live flows
 * however long the capture runs: keeping first-appearance order would mean
 * holding every record that ends behind a long-lived connection opened
 * early, which grows with the capture. Sort by first_frame (or stream) for
 * capture order. The order depends on capture times only, never on the
 * hash key.
 *
 * jsonl prints the SPEC record, built in one buffer per record (the file
 * name escaped once per file) and written with one fwrite; text prints an
 * aligned table (column widths fitted per page of PAGE_ROWS rows, never
 * narrower than earlier pages).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "flowcfg.h"

#define PAGE_ROWS 1024

/* Bytes of a jsonl flow record after the file name: the literal text
 * (about 250 bytes) plus every field at its longest. */
#define FLOW_LINE_MAX (256 + 9 * FMT_U64_MAX + 2 * FMT_ADDR_MAX + 2 * FMT_TS_MAX + \
		       FMT_JSON_STR_MAX(ZK_HIST_MAX) + COMMUNITYID_LEN)

struct flows_ctx {
	struct tc_options *o;
	struct engine_config cfg;
	struct engine *e;
	const char *file;
	/* jsonl: {"type":"flow","file":"<escaped name>" then the record */
	char *line;
	size_t prefix_len;
	/* text pages */
	struct flow_record *page;
	size_t page_n;
	int w[8];                       /* column widths so far in this file */
	bool header_done;
	bool nomem;                     /* a record could not be printed    */
};

/* ---- output ---------------------------------------------------------------- */

#define PUT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

/* The line buffer of this file, its prefix written; false without memory. */
static bool line_begin(struct flows_ctx *c)
{
	size_t n = strlen(c->file);
	char *p;

	free(c->line);
	c->line = NULL;
	if (n > (SIZE_MAX - 64 - FLOW_LINE_MAX) / 6)
		return false;
	c->line = malloc(64 + FMT_JSON_STR_MAX(n) + FLOW_LINE_MAX);
	if (c->line == NULL)
		return false;
	p = PUT(c->line, "{\"type\":\"flow\",\"file\":");
	p = fmt_json_str(p, c->file);
	c->prefix_len = (size_t)(p - c->line);
	return true;
}

static void print_jsonl(struct flows_ctx *c, const struct flow_record *r)
{
	char *p = c->line + c->prefix_len;

	p = PUT(p, ",\"proto\":\"");
	memcpy(p, r->proto, strlen(r->proto));
	p += strlen(r->proto);
	p = PUT(p, "\",\"stream\":");
	p = fmt_u64(p, r->stream);
	p = PUT(p, ",\"src\":\"");
	p = fmt_addr(p, r->ipver, r->src);
	p = PUT(p, "\",\"sport\":");
	p = fmt_u64(p, r->sport);
	p = PUT(p, ",\"dst\":\"");
	p = fmt_addr(p, r->ipver, r->dst);
	p = PUT(p, "\",\"dport\":");
	p = fmt_u64(p, r->dport);
	p = PUT(p, ",\"first_frame\":");
	p = fmt_u64(p, r->first_frame);
	p = PUT(p, ",\"last_frame\":");
	p = fmt_u64(p, r->last_frame);
	p = PUT(p, ",\"start\":");
	p = fmt_ts(p, r->start_sec, r->start_nsec, r->ts_digits);
	p = PUT(p, ",\"end\":");
	p = fmt_ts(p, r->end_sec, r->end_nsec, r->ts_digits);
	p = PUT(p, ",\"state\":\"");
	memcpy(p, r->state, strlen(r->state));
	p += strlen(r->state);
	p = PUT(p, "\",\"history\":");
	p = fmt_json_str(p, r->history);
	p = PUT(p, ",\"orig_pkts\":");
	p = fmt_u64(p, r->orig_pkts);
	p = PUT(p, ",\"resp_pkts\":");
	p = fmt_u64(p, r->resp_pkts);
	p = PUT(p, ",\"orig_bytes\":");
	p = fmt_u64(p, r->orig_bytes);
	p = PUT(p, ",\"resp_bytes\":");
	p = fmt_u64(p, r->resp_bytes);
	p = PUT(p, ",\"community_id\":\"");
	memcpy(p, r->community_id, strlen(r->community_id));
	p += strlen(r->community_id);
	p = PUT(p, "\"}\n");
	fwrite(c->line, 1, (size_t)(p - c->line), c->o->out);
}

/* "addr:port", IPv6 in brackets */
static void endpoint_text(uint8_t ipver, const uint8_t *addr, uint16_t port, char *buf, size_t len)
{
	char a[64];

	addr_format(ipver, addr, a);
	snprintf(buf, len, ipver == 6 ? "[%s]:%u" : "%s:%u", a, port);
}

enum { C_STREAM, C_SRC, C_DST, C_STATE, C_HIST, C_PKTS, C_BYTES, C_FRAMES };

struct text_row {
	char stream[32], src[64], dst[64], pkts[48], bytes[48], frames[48], dur[40];
};

static void text_row(const struct flow_record *r, struct text_row *t)
{
	int64_t ds = r->end_sec - r->start_sec;
	int64_t dn = (int64_t)r->end_nsec - (int64_t)r->start_nsec;

	if (dn < 0) {
		dn += 1000000000;
		ds--;
	}
	snprintf(t->stream, sizeof(t->stream), "%s/%" PRIu64, r->proto, r->stream);
	endpoint_text(r->ipver, r->src, r->sport, t->src, sizeof(t->src));
	endpoint_text(r->ipver, r->dst, r->dport, t->dst, sizeof(t->dst));
	snprintf(t->pkts, sizeof(t->pkts), "%" PRIu64 "/%" PRIu64, r->orig_pkts, r->resp_pkts);
	snprintf(t->bytes, sizeof(t->bytes), "%" PRIu64 "/%" PRIu64, r->orig_bytes, r->resp_bytes);
	snprintf(t->frames, sizeof(t->frames), "%" PRIu64 "-%" PRIu64, r->first_frame,
		 r->last_frame);
	snprintf(t->dur, sizeof(t->dur), "%" PRId64 ".%06" PRId64, ds, dn / 1000);
}

static int maxi(int a, int b)
{
	return a > b ? a : b;
}

static void page_flush(struct flows_ctx *c)
{
	FILE *f = c->o->out;
	struct text_row t;
	size_t i;

	for (i = 0; i < c->page_n; i++) {
		const struct flow_record *r = &c->page[i];

		text_row(r, &t);
		c->w[C_STREAM] = maxi(c->w[C_STREAM], (int)strlen(t.stream));
		c->w[C_SRC] = maxi(c->w[C_SRC], (int)strlen(t.src));
		c->w[C_DST] = maxi(c->w[C_DST], (int)strlen(t.dst));
		c->w[C_STATE] = maxi(c->w[C_STATE], (int)strlen(r->state));
		c->w[C_HIST] = maxi(c->w[C_HIST], (int)strlen(r->history));
		c->w[C_PKTS] = maxi(c->w[C_PKTS], (int)strlen(t.pkts));
		c->w[C_BYTES] = maxi(c->w[C_BYTES], (int)strlen(t.bytes));
		c->w[C_FRAMES] = maxi(c->w[C_FRAMES], (int)strlen(t.frames));
	}
	if (!c->header_done && c->page_n > 0) {
		fprintf(f, "%-*s  %-*s  %-*s  %-*s  %-*s  %*s  %*s  %-*s  %-12s  %s\n",
			c->w[C_STREAM], "stream", c->w[C_SRC], "initiator", c->w[C_DST], "responder",
			c->w[C_STATE], "state", c->w[C_HIST], "history", c->w[C_PKTS], "pkts o/r",
			c->w[C_BYTES], "bytes o/r", c->w[C_FRAMES], "frames", "duration",
			"community_id");
		c->header_done = true;
	}
	for (i = 0; i < c->page_n; i++) {
		const struct flow_record *r = &c->page[i];

		text_row(r, &t);
		fprintf(f, "%-*s  %-*s  %-*s  %-*s  %-*s  %*s  %*s  %-*s  %-12s  %s\n",
			c->w[C_STREAM], t.stream, c->w[C_SRC], t.src, c->w[C_DST], t.dst,
			c->w[C_STATE], r->state, c->w[C_HIST], r->history[0] ? r->history : "-",
			c->w[C_PKTS], t.pkts, c->w[C_BYTES], t.bytes, c->w[C_FRAMES], t.frames,
			t.dur, r->community_id);
	}
	c->page_n = 0;
}

static void print_record(struct flows_ctx *c, const struct flow_record *r)
{
	if (c->o->format == FMT_JSONL) {
		if (c->line != NULL)
			print_jsonl(c, r);
		return;
	}
	if (c->page == NULL) {
		c->page = malloc(PAGE_ROWS * sizeof(*c->page));
		if (c->page == NULL) {
			c->nomem = true;
			return;
		}
	}
	c->page[c->page_n++] = *r;
	if (c->page_n == PAGE_ROWS)
		page_flush(c);
}

/* ---- driver callbacks ------------------------------------------------------------ */

static void on_flow_end(void *ctx, const struct engine *e, const struct flow *f,
			enum flow_end why)
{
	struct flows_ctx *c = ctx;
	struct flow_record r;

	(void)why;
	engine_flow_record(e, f, 0, &r);
	print_record(c, &r);
}

static void on_begin(void *ctx, const char *file, const struct cap_reader *rd)
{
	struct flows_ctx *c = ctx;

	(void)rd;
	c->file = file;
	c->header_done = false;
	c->page_n = 0;
	/* columns are never narrower than their heading */
	c->w[C_STREAM] = (int)strlen("stream");
	c->w[C_SRC] = (int)strlen("initiator");
	c->w[C_DST] = (int)strlen("responder");
	c->w[C_STATE] = (int)strlen("state");
	c->w[C_HIST] = (int)strlen("history");
	c->w[C_PKTS] = (int)strlen("pkts o/r");
	c->w[C_BYTES] = (int)strlen("bytes o/r");
	c->w[C_FRAMES] = (int)strlen("frames");
	if ((c->o->format == FMT_JSONL && !line_begin(c)) ||
	    engine_new(&c->cfg, on_flow_end, c, &c->e) != TC_OK) {
		c->e = NULL;
		c->nomem = true;
	}
	if (c->o->format == FMT_TEXT)
		fprintf(c->o->out, "# %s\n", file);
}

static void on_packet(void *ctx, const struct cap_packet *cp, struct pkt *p)
{
	struct flows_ctx *c = ctx;
	struct engine_in in;
	struct engine_result res;

	if (c->e == NULL)
		return;
	in.frame = cp->frame;
	in.ts_sec = cp->ts_sec;
	in.ts_nsec = cp->ts_nsec;
	in.ts_digits = cp->ts_digits;
	engine_packet(c->e, p, &in, &res);
}

static void on_end(void *ctx, const char *file, const struct file_stats *st, const char *error)
{
	struct flows_ctx *c = ctx;
	struct summary s;
	const struct engine_stats *es = NULL;

	memset(&s, 0, sizeof(s));
	s.error = error;
	if (c->e != NULL) {
		engine_flush(c->e);
		es = engine_stats(c->e);
		if (es->nomem > 0) {
			fprintf(stderr, "tuplecheck: %s: out of memory: %" PRIu64
				" packets were not tracked\n", file, es->nomem);
			c->nomem = true;
		}
		s.have_flows = true;
		s.flows = es->created;
		s.evicted = es->evicted;
	}
	if (c->o->format == FMT_JSONL) {
		summary_print_jsonl(c->o->out, file, st, &s);
	} else {
		page_flush(c);
		fprintf(c->o->out, "# %s: %" PRIu64 " packets, %" PRIu64 " decoded, %" PRIu64
			" flows (%" PRIu64 " tcp, %" PRIu64 " udp), %" PRIu64 " evicted, %" PRIu64
			" expired%s%s\n", file, st->packets, st->decoded, s.flows,
			es ? es->created_tcp : 0, es ? es->created_udp : 0, s.evicted,
			es ? es->expired : 0, error ? ", stopped early: " : "", error ? error : "");
	}
	engine_free(c->e);
	c->e = NULL;
}

int cmd_flows(struct tc_options *o)
{
	struct flows_ctx c;
	static const struct drive_ops ops = { on_begin, on_packet, on_end };
	int status;

	if (o->format == FMT_JUNIT || o->format == FMT_SARIF) {
		fprintf(stderr, "tuplecheck: flows: --format %s is for findings; use text or jsonl\n",
			o->format == FMT_JUNIT ? "junit" : "sarif");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.o = o;
	if (tc_engine_config(o, &c.cfg) != TC_OK)
		return 2;
	status = tc_drive(o, &ops, &c);
	free(c.line);
	free(c.page);
	if (c.nomem) {
		fprintf(stderr, "tuplecheck: flows: out of memory: some flow records are missing\n");
		status = 2;
	}
	return status;
}
