/*
 * cmd_flows.c - `tuplecheck flows`: one record per connection (SPEC.md
 * "flow" record), in order of first appearance, then the per-file summary.
 *
 * Each file gets a fresh engine (engine.h). The engine hands over a flow
 * when it ends (expired, evicted, replaced by a new incarnation, or flushed
 * at the end of the file), which is not the order flows began; records are
 * held in a small min-heap on the engine's creation number and printed as
 * soon as every earlier flow has been printed. Memory for pending records
 * is therefore bounded by the flows still open when a later one ends, not
 * by the capture.
 *
 * jsonl prints the SPEC record; text prints an aligned table (column widths
 * fitted per page of PAGE_ROWS rows, never narrower than earlier pages).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "flowcfg.h"

#define PAGE_ROWS 1024

struct rec_heap {
	struct flow_record *v;
	size_t n, cap;
};

struct flows_ctx {
	struct tc_options *o;
	struct engine_config cfg;
	struct engine *e;
	const char *file;
	struct rec_heap pending;        /* ended, waiting for earlier flows */
	uint64_t next_seqno;            /* next record to print             */
	/* text pages */
	struct flow_record *page;
	size_t page_n;
	int w[8];                       /* column widths so far in this file */
	bool header_done;
	bool nomem;                     /* a record could not be queued      */
};

/* ---- pending records: min-heap on seqno ------------------------------------ */

static bool heap_push(struct rec_heap *h, const struct flow_record *r)
{
	size_t i;

	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 64;
		struct flow_record *nv;

		if (nc > SIZE_MAX / sizeof(*nv))
			return false;
		nv = realloc(h->v, nc * sizeof(*nv));
		if (nv == NULL)
			return false;
		h->v = nv;
		h->cap = nc;
	}
	i = h->n++;
	while (i > 0 && h->v[(i - 1) / 2].seqno > r->seqno) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = *r;
	return true;
}

static void heap_pop(struct rec_heap *h, struct flow_record *out)
{
	struct flow_record last;
	size_t i = 0;

	*out = h->v[0];
	last = h->v[--h->n];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1].seqno < h->v[c].seqno)
			c++;
		if (h->v[c].seqno >= last.seqno)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = last;
}

/* ---- output ---------------------------------------------------------------- */

static void print_jsonl(FILE *f, const char *file, const struct flow_record *r)
{
	char a[64], b[64];

	fputs("{\"type\":\"flow\",\"file\":", f);
	json_str(f, file);
	fprintf(f, ",\"proto\":\"%s\",\"stream\":%" PRIu64 ",\"src\":\"%s\",\"sport\":%u,"
		"\"dst\":\"%s\",\"dport\":%u,\"first_frame\":%" PRIu64 ",\"last_frame\":%" PRIu64
		",\"start\":", r->proto, r->stream, addr_format(r->ipver, r->src, a), r->sport,
		addr_format(r->ipver, r->dst, b), r->dport, r->first_frame, r->last_frame);
	ts_print(f, r->start_sec, r->start_nsec, r->ts_digits);
	fputs(",\"end\":", f);
	ts_print(f, r->end_sec, r->end_nsec, r->ts_digits);
	fprintf(f, ",\"state\":\"%s\",\"history\":", r->state);
	json_str(f, r->history);
	fprintf(f, ",\"orig_pkts\":%" PRIu64 ",\"resp_pkts\":%" PRIu64 ",\"orig_bytes\":%" PRIu64
		",\"resp_bytes\":%" PRIu64 ",\"community_id\":\"%s\"}\n", r->orig_pkts,
		r->resp_pkts, r->orig_bytes, r->resp_bytes, r->community_id);
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
		print_jsonl(c->o->out, c->file, r);
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

/* Print every pending record whose predecessors have all been printed. */
static void drain(struct flows_ctx *c)
{
	struct flow_record r;

	while (c->pending.n > 0 && c->pending.v[0].seqno == c->next_seqno) {
		heap_pop(&c->pending, &r);
		print_record(c, &r);
		c->next_seqno++;
	}
}

/* ---- driver callbacks ------------------------------------------------------------ */

static void on_flow_end(void *ctx, const struct engine *e, const struct flow *f,
			enum flow_end why)
{
	struct flows_ctx *c = ctx;
	struct flow_record r;

	(void)why;
	engine_flow_record(e, f, 0, &r);
	if (r.seqno == c->next_seqno) {
		print_record(c, &r);
		c->next_seqno++;
		drain(c);
	} else if (!heap_push(&c->pending, &r)) {
		c->nomem = true;
	}
}

static void on_begin(void *ctx, const char *file, const struct cap_reader *rd)
{
	struct flows_ctx *c = ctx;

	(void)rd;
	c->file = file;
	c->next_seqno = 0;
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
	if (engine_new(&c->cfg, on_flow_end, c, &c->e) != TC_OK) {
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
		struct flow_record r;

		engine_flush(c->e);
		drain(c);
		/* only after a record was lost to memory can a gap remain:
		 * print what is left rather than hold it back */
		while (c->pending.n > 0) {
			heap_pop(&c->pending, &r);
			print_record(c, &r);
		}
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
	c->pending.n = 0;
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
	free(c.pending.v);
	free(c.page);
	if (c.nomem) {
		fprintf(stderr, "tuplecheck: flows: out of memory: some flow records are missing\n");
		status = 2;
	}
	return status;
}
