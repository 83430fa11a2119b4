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
 * jsonl prints the SPEC record, built with the fmt_* helpers of cli.h (the
 * file name escaped once per file) into a buffer that gathers records for
 * one fwrite; text prints an aligned table (each row formatted as its flow
 * ends, column widths fitted per page of PAGE_ROWS rows, never narrower
 * than earlier pages, a page written with one fwrite). Community IDs, which
 * the engine leaves empty, are computed HOLD_RECORDS at a time (four SIMD
 * lanes, or the SHA instructions two at a time).
 *
 * Writing happens on a second thread (tc-writer) once WRITER_BATCH flows
 * have ended: from then on the engine's thread only copies each ended flow
 * into a batch of records and hands full batches over (a ring of
 * WRITER_BATCHES);
 * the writer thread computes their Community IDs, formats and writes them,
 * in the order handed over (on the 2M-packet bench capture that work was
 * 9 % of the one thread's time). Everything else printed (summary, text
 * headings, error lines) waits until the writer has written every batch
 * (writer_drain), so stdout's bytes and their order are the same as with
 * one thread; a capture of fewer flows, or a machine where the thread
 * cannot start, writes on the engine's thread with the same code.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "flowcfg.h"

#define PAGE_ROWS 1024

/* jsonl records are gathered in a buffer of about this many bytes, written
 * with one fwrite when full and at the end of each file, before anything
 * else (summary, error lines) is printed: stdout's bytes and their order
 * are those of one fwrite per record. */
#define BATCH_BYTES 32768

/* Community IDs are hashed this many at a time. */
#define HOLD_RECORDS 8

/* Records per batch handed to the writer thread, and batches in the ring
 * (8 x 128 x 224 bytes). */
#define WRITER_BATCH 128
#define WRITER_BATCHES 8

/* Bytes of a jsonl flow record after the file name: the literal text
 * (about 250 bytes) plus every field at its longest. */
#define FLOW_LINE_MAX (256 + 9 * FMT_U64_MAX + 2 * FMT_ADDR_MAX + 2 * FMT_TS_MAX + \
		       FMT_JSON_STR_MAX(ZK_HIST_MAX) + COMMUNITYID_LEN)

struct batch {
	size_t n;
	struct flow_record rec[WRITER_BATCH];
};

/* The ring of batches between the engine's thread (fills ring[tail]) and
 * the writer thread (writes ring[head]). queued and stop are read and
 * written only under mu; head belongs to the writer thread, tail to the
 * engine's; a batch belongs to the writer from its hand-over (queued + 1)
 * until it is written (queued - 1), so the batch at tail is never one the
 * writer reads. */
struct writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;              /* signalled on every change of queued, stop */
	struct batch *ring;             /* WRITER_BATCHES, NULL without memory */
	unsigned head;                  /* oldest batch handed over (writer) */
	unsigned tail;                  /* batch being filled (engine's thread) */
	unsigned queued;                /* batches handed over, not yet written */
	bool running;                   /* the thread was started */
	bool stop;                      /* the thread is to end */
};

struct flows_ctx {
	struct tc_options *o;
	struct engine_config cfg;
	struct engine *e;
	const char *file;
	/* jsonl: {"type":"flow","file":"<escaped name>" (prefix) then the
	 * record, gathered in line */
	char *prefix;
	size_t prefix_len;
	char *line;
	size_t fill, line_cap;
	struct fmt_ts_memo ts_memo;     /* start and end mostly share digits */
	/* text pages */
	struct text_row *page;
	size_t page_n;
	int w[8];                       /* column widths so far in this file */
	char *out;                      /* a page's lines */
	size_t out_cap;
	/* records of ended flows not yet printed (writer_*) */
	struct writer wr;
	bool header_done;
	bool nomem;                     /* a record could not be printed    */
};

/* ---- output ---------------------------------------------------------------- */

/* The prefix and record buffer of this file; false without memory. */
static bool line_begin(struct flows_ctx *c)
{
	size_t n = strlen(c->file);
	char *p;

	free(c->prefix);
	free(c->line);
	c->prefix = c->line = NULL;
	c->fill = 0;
	if (n > (SIZE_MAX - 64 - BATCH_BYTES - FLOW_LINE_MAX) / 12)
		return false;
	c->prefix = malloc(64 + FMT_JSON_STR_MAX(n));
	if (c->prefix == NULL)
		return false;
	p = FMT_LIT(c->prefix, "{\"type\":\"flow\",\"file\":");
	p = fmt_json_str(p, c->file);
	c->prefix_len = (size_t)(p - c->prefix);
	c->line_cap = BATCH_BYTES + c->prefix_len + FLOW_LINE_MAX;
	c->line = malloc(c->line_cap);
	return c->line != NULL;
}

/* Hand the gathered records to stdio. */
static void line_flush(struct flows_ctx *c)
{
	if (c->fill > 0)
		fwrite(c->line, 1, c->fill, c->o->out);
	c->fill = 0;
}

/* A short constant name (protocol, Zeek state: a few letters, nothing to
 * escape), copied byte by byte: cheaper than strlen and memcpy calls. */
static char *put_name(char *p, const char *s)
{
	while (*s != '\0')
		*p++ = *s++;
	return p;
}

/* A Community ID: "" or exactly COMMUNITYID_LEN - 1 characters
 * (communityid.h), so a fixed-size copy. */
static char *put_cid(char *p, const char *cid)
{
	if (cid[0] == '\0')
		return p;
	memcpy(p, cid, COMMUNITYID_LEN - 1);
	return p + COMMUNITYID_LEN - 1;
}

static void print_jsonl(struct flows_ctx *c, const struct flow_record *r)
{
	char *p;

	if (c->line_cap - c->fill < c->prefix_len + FLOW_LINE_MAX)
		line_flush(c);
	p = c->line + c->fill;
	memcpy(p, c->prefix, c->prefix_len);
	p += c->prefix_len;

	p = FMT_LIT(p, ",\"proto\":\"");
	p = put_name(p, r->proto);
	p = FMT_LIT(p, "\",\"stream\":");
	p = fmt_u64(p, r->stream);
	p = FMT_LIT(p, ",\"src\":\"");
	p = fmt_addr(p, r->ipver, r->src);
	p = FMT_LIT(p, "\",\"sport\":");
	p = fmt_u64(p, r->sport);
	p = FMT_LIT(p, ",\"dst\":\"");
	p = fmt_addr(p, r->ipver, r->dst);
	p = FMT_LIT(p, "\",\"dport\":");
	p = fmt_u64(p, r->dport);
	p = FMT_LIT(p, ",\"first_frame\":");
	p = fmt_u64(p, r->first_frame);
	p = FMT_LIT(p, ",\"last_frame\":");
	p = fmt_u64(p, r->last_frame);
	p = FMT_LIT(p, ",\"start\":");
	p = fmt_ts_memo(p, &c->ts_memo, r->start_sec, r->start_nsec, r->ts_digits);
	p = FMT_LIT(p, ",\"end\":");
	p = fmt_ts_memo(p, &c->ts_memo, r->end_sec, r->end_nsec, r->ts_digits);
	p = FMT_LIT(p, ",\"state\":\"");
	p = put_name(p, r->state);
	p = FMT_LIT(p, "\",\"history\":");
	p = fmt_json_str(p, r->history);
	p = FMT_LIT(p, ",\"orig_pkts\":");
	p = fmt_u64(p, r->orig_pkts);
	p = FMT_LIT(p, ",\"resp_pkts\":");
	p = fmt_u64(p, r->resp_pkts);
	p = FMT_LIT(p, ",\"orig_bytes\":");
	p = fmt_u64(p, r->orig_bytes);
	p = FMT_LIT(p, ",\"resp_bytes\":");
	p = fmt_u64(p, r->resp_bytes);
	p = FMT_LIT(p, ",\"community_id\":\"");
	p = put_cid(p, r->community_id);
	p = FMT_LIT(p, "\"}\n");
	c->fill = (size_t)(p - c->line);
}

/* ---- text --------------------------------------------------------------------- */

/* The text columns: C_STREAM..C_FRAMES are aligned (widths in w[]), then
 * the duration (at least 12 wide) and the Community ID. */
enum { C_STREAM, C_SRC, C_DST, C_STATE, C_HIST, C_PKTS, C_BYTES, C_FRAMES, C_DUR, C_CID, C_N };

/* Longest text of each column but state (a pointer to a constant name). */
#define ENDPOINT_MAX (FMT_ADDR_MAX + 3 + 5)     /* [addr]:port */
#define ROW_TEXT_MAX (4 + FMT_U64_MAX +                 /* proto/stream      */ \
		      2 * ENDPOINT_MAX +                      /* src, dst          */ \
		      ZK_HIST_MAX + 1 +                       /* history or "-"    */ \
		      3 * (2 * FMT_U64_MAX + 1) +             /* pkts, bytes, frames */ \
		      FMT_U64_MAX + 8 +                       /* duration          */ \
		      COMMUNITYID_LEN)

/* Rows are copied to the page's lines in 8-byte words: a field copy may
 * read up to WORD_SLACK bytes past its end (still inside the row's text,
 * which has that much to spare) and write as far past its end in the line
 * buffer (which has room; the next field or the fwrite length covers it). */
#define WORD_SLACK 8

/* One row of a page, formatted when its flow ends: the texts of the columns
 * one after another in text (state excepted), their lengths in len. */
struct text_row {
	const char *state;
	uint8_t len[C_N];
	char text[ROW_TEXT_MAX + WORD_SLACK];
};

/* "addr:port", IPv6 in brackets */
static char *endpoint_text(char *p, uint8_t ipver, const uint8_t *addr, uint16_t port)
{
	if (ipver == 6)
		*p++ = '[';
	p = fmt_addr(p, ipver, addr);
	if (ipver == 6)
		*p++ = ']';
	*p++ = ':';
	return fmt_u64(p, port);
}

/* "A/B" or "A-B" */
static char *pair_text(char *p, uint64_t a, char sep, uint64_t b)
{
	p = fmt_u64(p, a);
	*p++ = sep;
	return fmt_u64(p, b);
}

/* The duration as "%" PRId64 ".%06" PRId64 prints seconds and microseconds. */
static char *duration_text(char *p, const struct flow_record *r)
{
	int64_t ds = r->end_sec - r->start_sec;
	int64_t dn = (int64_t)r->end_nsec - (int64_t)r->start_nsec;
	char buf[64];
	int n;

	if (dn < 0) {
		dn += 1000000000;
		ds--;
	}
	/* fmt_ts prints a non-negative time just so */
	if (ds >= 0 && dn >= 0 && dn < 1000000000)
		return fmt_ts(p, ds, (uint32_t)dn, 6);
	n = snprintf(buf, sizeof(buf), "%" PRId64 ".%06" PRId64, ds, dn / 1000);
	if (n < 0)
		n = 0;
	if ((size_t)n > FMT_U64_MAX + 8)
		n = FMT_U64_MAX + 8;
	memcpy(p, buf, (size_t)n);
	return p + n;
}

static int maxi(int a, int b)
{
	return a > b ? a : b;
}

/* Note the length of column col, which runs from start to end; returns end. */
static char *mark(struct text_row *t, int col, const char *start, char *end)
{
	t->len[col] = (uint8_t)(end - start);
	return end;
}

/* Format r into row t and widen the aligned columns to fit it. */
static void text_row(struct flows_ctx *c, const struct flow_record *r, struct text_row *t)
{
	char *p = t->text, *q;
	size_t hl = strlen(r->history);
	int i;

	q = put_name(p, r->proto);
	*q++ = '/';
	p = mark(t, C_STREAM, p, fmt_u64(q, r->stream));
	p = mark(t, C_SRC, p, endpoint_text(p, r->ipver, r->src, r->sport));
	p = mark(t, C_DST, p, endpoint_text(p, r->ipver, r->dst, r->dport));
	if (hl == 0)
		hl = 1;
	memcpy(p, r->history[0] ? r->history : "-", hl);
	p = mark(t, C_HIST, p, p + hl);
	p = mark(t, C_PKTS, p, pair_text(p, r->orig_pkts, '/', r->resp_pkts));
	p = mark(t, C_BYTES, p, pair_text(p, r->orig_bytes, '/', r->resp_bytes));
	p = mark(t, C_FRAMES, p, pair_text(p, r->first_frame, '-', r->last_frame));
	p = mark(t, C_DUR, p, duration_text(p, r));
	mark(t, C_CID, p, put_cid(p, r->community_id));
	t->state = r->state;
	t->len[C_STATE] = (uint8_t)strlen(r->state);
	for (i = C_STREAM; i <= C_FRAMES; i++)
		c->w[i] = maxi(c->w[i], t->len[i]);
}

/* n bytes from s to p, a word at a time. */
static inline void copy_words(char *p, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 8)
		memcpy(p + i, s + i, 8);
}

/* n spaces at p, a word at a time. */
static inline void fill_spaces(char *p, size_t n)
{
	const uint64_t spaces = UINT64_C(0x2020202020202020);
	size_t i;

	for (i = 0; i < n; i += 8)
		memcpy(p + i, &spaces, 8);
}

/* s (n bytes) in a column of width w: left-aligned, or right-aligned, as
 * printf's "%-*s" and "%*s" pad. */
static inline char *put_left(char *p, const char *s, size_t n, int w)
{
	copy_words(p, s, n);
	if ((size_t)w > n) {
		fill_spaces(p + n, (size_t)w - n);
		return p + w;
	}
	return p + n;
}

static inline char *put_right(char *p, const char *s, size_t n, int w)
{
	if ((size_t)w > n) {
		fill_spaces(p, (size_t)w - n);
		p += (size_t)w - n;
	}
	copy_words(p, s, n);
	return p + n;
}

/* The two spaces between columns. */
static inline char *sep(char *p)
{
	p[0] = ' ';
	p[1] = ' ';
	return p + 2;
}

/* Print the rows of the page (the heading first, once per file), all in
 * one buffer written with one fwrite. */
static void page_flush(struct flows_ctx *c)
{
	FILE *f = c->o->out;
	size_t line_max = 2 * C_N + 1 + ROW_TEXT_MAX + 255, need, i;
	char *p, *q;
	int k;

	if (c->page_n == 0)
		return;
	if (!c->header_done) {
		fprintf(f, "%-*s  %-*s  %-*s  %-*s  %-*s  %*s  %*s  %-*s  %-12s  %s\n",
			c->w[C_STREAM], "stream", c->w[C_SRC], "initiator", c->w[C_DST], "responder",
			c->w[C_STATE], "state", c->w[C_HIST], "history", c->w[C_PKTS], "pkts o/r",
			c->w[C_BYTES], "bytes o/r", c->w[C_FRAMES], "frames", "duration",
			"community_id");
		c->header_done = true;
	}
	for (k = C_STREAM; k <= C_FRAMES; k++)
		line_max += (size_t)c->w[k];
	need = c->page_n * line_max + WORD_SLACK;
	if (need > c->out_cap) {
		free(c->out);
		c->out_cap = 0;
		c->out = malloc(need);
		if (c->out == NULL) {
			c->nomem = true;
			c->page_n = 0;
			return;
		}
		c->out_cap = need;
	}
	p = c->out;
	for (i = 0; i < c->page_n; i++) {
		const struct text_row *t = &c->page[i];
		const char *s = t->text;
		const uint8_t *n = t->len;

		p = sep(put_left(p, s, n[C_STREAM], c->w[C_STREAM]));
		s += n[C_STREAM];
		p = sep(put_left(p, s, n[C_SRC], c->w[C_SRC]));
		s += n[C_SRC];
		p = sep(put_left(p, s, n[C_DST], c->w[C_DST]));
		s += n[C_DST];
		q = put_name(p, t->state);  /* a constant: no reading past it */
		if (q < p + c->w[C_STATE]) {
			fill_spaces(q, (size_t)(p + c->w[C_STATE] - q));
			q = p + c->w[C_STATE];
		}
		p = sep(q);
		p = sep(put_left(p, s, n[C_HIST], c->w[C_HIST]));
		s += n[C_HIST];
		p = sep(put_right(p, s, n[C_PKTS], c->w[C_PKTS]));
		s += n[C_PKTS];
		p = sep(put_right(p, s, n[C_BYTES], c->w[C_BYTES]));
		s += n[C_BYTES];
		p = sep(put_left(p, s, n[C_FRAMES], c->w[C_FRAMES]));
		s += n[C_FRAMES];
		p = sep(put_left(p, s, n[C_DUR], 12));
		s += n[C_DUR];
		copy_words(p, s, n[C_CID]);
		p += n[C_CID];
		*p++ = '\n';
	}
	fwrite(c->out, 1, (size_t)(p - c->out), f);
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
	text_row(c, r, &c->page[c->page_n++]);
	if (c->page_n == PAGE_ROWS)
		page_flush(c);
}

/* ---- driver callbacks ------------------------------------------------------------ */

/* Print the records of b in order, first filling in the Community IDs the
 * engine left empty, HOLD_RECORDS at a time (communityid_v1_many). */
static void write_batch(struct flows_ctx *c, struct batch *b)
{
	struct communityid_tuple t[HOLD_RECORDS];
	char cid[HOLD_RECORDS][COMMUNITYID_LEN];
	size_t which[HOLD_RECORDS], i, k, n;

	for (k = 0; k < b->n; k += HOLD_RECORDS) {
		size_t m = b->n - k < HOLD_RECORDS ? b->n - k : HOLD_RECORDS;

		for (i = 0, n = 0; i < m; i++) {
			const struct flow_record *r = &b->rec[k + i];

			if (r->community_id[0] != '\0')
				continue;
			t[n].ipver = r->ipver;
			t[n].proto = strcmp(r->proto, "tcp") == 0 ? 6 : 17;     /* TCP, UDP */
			t[n].sport = r->sport;
			t[n].dport = r->dport;
			t[n].saddr = r->src;
			t[n].daddr = r->dst;
			which[n++] = k + i;
		}
		if (n > 0)
			communityid_v1_many(0, t, n, cid);
		for (i = 0; i < n; i++)
			memcpy(b->rec[which[i]].community_id, cid[i], COMMUNITYID_LEN);
		for (i = 0; i < m; i++)
			print_record(c, &b->rec[k + i]);
	}
	b->n = 0;
}

/* The writer thread: write the batches handed over, oldest first, until
 * told to stop with none left. */
static void *writer_main(void *arg)
{
	struct flows_ctx *c = arg;
	struct writer *w = &c->wr;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct batch *b;

		while (w->queued == 0 && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->queued == 0)
			break;
		b = &w->ring[w->head];
		pthread_mutex_unlock(&w->mu);
		write_batch(c, b);
		w->head = (w->head + 1) % WRITER_BATCHES;
		pthread_mutex_lock(&w->mu);
		w->queued--;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* The batch the engine's thread fills (owned by it). */
static struct batch *writer_fill(struct writer *w)
{
	return &w->ring[w->tail];
}

/* Hand the filled batch over: to the thread (started the first time, on a
 * full batch), waiting while every batch is taken; without a thread,
 * write it here. */
static void writer_submit(struct flows_ctx *c, bool full)
{
	struct writer *w = &c->wr;
	struct batch *b = writer_fill(w);

	if (b->n == 0)
		return;
	if (!w->running && full) {
		w->running = tc_thread_start(&w->thread, writer_main, c) == 0;
		if (w->running)
			(void)pthread_setname_np(w->thread, "tc-writer");
	}
	if (!w->running) {
		write_batch(c, b);
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->queued++;
	pthread_cond_broadcast(&w->cv);
	while (w->queued == WRITER_BATCHES)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	w->tail = (w->tail + 1) % WRITER_BATCHES;
}

/* Every record handed over is written: after this the engine's thread may
 * print (and touch the output state) again. */
static void writer_drain(struct flows_ctx *c)
{
	struct writer *w = &c->wr;

	writer_submit(c, false);
	if (!w->running)
		return;
	pthread_mutex_lock(&w->mu);
	while (w->queued > 0)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

/* Drain, end the thread and free the ring. */
static void writer_end(struct flows_ctx *c)
{
	struct writer *w = &c->wr;

	if (w->ring == NULL)
		return;
	writer_drain(c);
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->ring);
	w->ring = NULL;
}

static void on_flow_end(void *ctx, const struct engine *e, const struct flow *f,
			enum flow_end why)
{
	struct flows_ctx *c = ctx;
	struct batch *b = writer_fill(&c->wr);

	(void)why;
	engine_flow_record(e, f, ENGINE_NO_CID, &b->rec[b->n++]);
	if (b->n == WRITER_BATCH)
		writer_submit(c, true);
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
	in.no_ts = (cp->flags & CAP_F_NO_TS) != 0;
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
		writer_drain(c);
		if (c->line != NULL)
			line_flush(c);  /* before anything else is printed */
		es = engine_stats(c->e);
		if (!tc_engine_summary(c->e, file, &s))
			c->nomem = true;
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

/* A live stream paused: the records of flows that ended so far go out now,
 * not when 128 more have ended (text: the page so far, with the column
 * widths so far). */
static void on_idle(void *ctx)
{
	struct flows_ctx *c = ctx;

	if (c->e == NULL)
		return;
	writer_drain(c);
	if (c->line != NULL)
		line_flush(c);
	page_flush(c);
}

int cmd_flows(struct tc_options *o)
{
	struct flows_ctx c;
	static const struct drive_ops ops = {
		.file_begin = on_begin, .packet = on_packet, .file_end = on_end, .idle = on_idle,
	};
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
	c.wr.ring = calloc(WRITER_BATCHES, sizeof(*c.wr.ring));
	if (c.wr.ring == NULL) {
		fprintf(stderr, "tuplecheck: flows: out of memory\n");
		return 2;
	}
	pthread_mutex_init(&c.wr.mu, NULL);
	pthread_cond_init(&c.wr.cv, NULL);
	status = tc_drive(o, &ops, &c);
	writer_end(&c);
	free(c.prefix);
	free(c.line);
	free(c.page);
	free(c.out);
	if (c.nomem) {
		fprintf(stderr, "tuplecheck: flows: out of memory: some flow records are missing\n");
		status = 2;
	}
	return status;
}
