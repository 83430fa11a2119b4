/*
 * report.c - the report sink: dispatch to the chosen format, the counting
 * every format shares (per file and per run, by severity, and what is at or
 * above --fail-on), the JSON Lines format itself, and the escaping helpers.
 *
 * JSON Lines follows SPEC.md: one finding record per finding as it happens,
 * host records at the end of each file, then the summary record last for
 * that file. Finding records add two fields to the SPEC ones:
 * "transition" (the canonical text the signature hashes, so a reader sees
 * why two findings share a signature) and, for host findings, "frames".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "report_fmt.h"

/* ---- escaping ------------------------------------------------------------------ */

void xml_str(FILE *out, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	while (*u) {
		uint32_t cp;
		size_t n = utf8_len(u, &cp);

		if (n == 0) {
			fputs("\xef\xbf\xbd", out);
			u++;
			continue;
		}
		switch (cp) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		case '\t': fputs("&#9;", out); break;
		case '\n': fputs("&#10;", out); break;
		case '\r': fputs("&#13;", out); break;
		default:
			/* XML 1.0 section 2.2: no other C0 control, no U+FFFE/FFFF. */
			if (cp < 0x20 || cp == 0xfffe || cp == 0xffff)
				fputs("\xef\xbf\xbd", out);
			else
				fwrite(u, 1, n, out);
		}
		u += n;
	}
}

const char *finding_proto(const struct finding *f)
{
	switch (f->proto) {
	case L4_TCP: return "tcp";
	case L4_UDP: return "udp";
	case L4_NONE:
	case L4_OTHER:
		break;
	}
	return NULL;
}


/* addr_format's text of addr in a (NUL-terminated), by fmt_addr (a tenth
 * of addr_format's cost for IPv6, one address per host record). */
static const char *addr_text(char a[FMT_ADDR_MAX + 1], uint8_t ipver, const uint8_t addr[16])
{
	*fmt_addr(a, ipver, addr) = '\0';
	return a;
}

/* The tuple fields of a finding record, as far as they are known. */
void finding_tuple_json(FILE *o, const struct finding *f)
{
	char a[FMT_ADDR_MAX + 1], b[FMT_ADDR_MAX + 1];
	const char *proto = finding_proto(f);

	if (proto != NULL)
		fprintf(o, ",\"proto\":\"%s\"", proto);
	else
		fputs(",\"proto\":null", o);
	if (f->is_host) {
		fprintf(o, ",\"host\":\"%s\",\"frames\":[", addr_text(a, f->ipver, f->host));
		for (uint32_t i = 0; i < f->n_frames; i++) {
			char num[FMT_U64_MAX + 2], *p = num;

			if (i)
				*p++ = ',';
			p = fmt_u64(p, f->frames[i]);
			fwrite(num, 1, (size_t)(p - num), o);
		}
		putc(']', o);
		return;
	}
	/* what the packet did not show is null, so every record has the keys */
	if (f->have_ip)
		fprintf(o, ",\"src\":\"%s\"", addr_text(a, f->ipver, f->src));
	else
		fputs(",\"src\":null", o);
	if (f->have_ports)
		fprintf(o, ",\"sport\":%u", f->sport);
	else
		fputs(",\"sport\":null", o);
	if (f->have_ip)
		fprintf(o, ",\"dst\":\"%s\"", addr_text(b, f->ipver, f->dst));
	else
		fputs(",\"dst\":null", o);
	if (f->have_ports)
		fprintf(o, ",\"dport\":%u", f->dport);
	else
		fputs(",\"dport\":null", o);
}

char *unclassified_text(uint64_t n, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 " %s from hosts past the classifier's %u-host cap not "
		 "classified: no host record, port.sequential or port.fixed for those hosts",
		 n, n == 1 ? "connection" : "connections", (unsigned)CLS_MAX_HOSTS);
	return buf;
}

char *link_unsupported_text(uint64_t n, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 " %s of link types tuplecheck does not decode "
		 "(link.unsupported; stderr names them): no flows or findings from %s",
		 n, n == 1 ? "record" : "records", n == 1 ? "it" : "them");
	return buf;
}

char *finding_where(const struct finding *f, char *buf, size_t len)
{
	char a[64], b[64];
	const char *proto = finding_proto(f);

	if (proto == NULL && !f->have_ip && !f->is_host) {
		snprintf(buf, len, "(no IP header)");
		return buf;
	}
	if (proto == NULL)
		proto = "ip";
	if (f->is_host) {
		snprintf(buf, len, "%s host %s", proto, addr_format(f->ipver, f->host, a));
	} else if (f->have_ports) {
		bool v6 = f->ipver == 6;

		snprintf(buf, len, "%s %s%s%s:%u > %s%s%s:%u", proto, v6 ? "[" : "",
			 addr_format(f->ipver, f->src, a), v6 ? "]" : "", f->sport,
			 v6 ? "[" : "", addr_format(f->ipver, f->dst, b), v6 ? "]" : "", f->dport);
	} else if (f->have_ip) {
		snprintf(buf, len, "%s %s > %s", proto, addr_format(f->ipver, f->src, a),
			 addr_format(f->ipver, f->dst, b));
	} else {
		snprintf(buf, len, "%s", proto);
	}
	return buf;
}

/* ---- JSON Lines ------------------------------------------------------------------ */

/*
 * A record is built in a buffer with the fmt_* helpers and written with one
 * fwrite per buffer-full (a stdio call per field was most of a record's
 * cost). Every piece is either bounded (numbers, addresses, names) or a
 * string whose room is measured first; a string too long for the buffer
 * at all goes out through json_str, which writes the same bytes
 * (test_fastpaths checks json_str against fmt_json_str).
 */
#define WB_SIZE 2048
#define WB_PIECE 256                 /* room for any bounded piece (<= 160) */

struct wbuf {
	FILE *out;
	char *p;
	char b[WB_SIZE];
};

static void wb_flush(struct wbuf *w)
{
	fwrite(w->b, 1, (size_t)(w->p - w->b), w->out);
	w->p = w->b;
}

/* Room for n more bytes (n <= WB_SIZE); the position to write at. */
static char *wb_room(struct wbuf *w, size_t n)
{
	if ((size_t)(w->b + WB_SIZE - w->p) < n)
		wb_flush(w);
	return w->p;
}

/* s as a JSON string, quotes included. */
static void wb_json_str(struct wbuf *w, const char *s)
{
	size_t need = FMT_JSON_STR_MAX(strlen(s));

	if (need > WB_SIZE) {
		wb_flush(w);
		json_str(w->out, s);
		return;
	}
	w->p = fmt_json_str(wb_room(w, need), s);
}

/* lit (a string literal) into w */
#define WB_LIT(w, lit) ((w)->p = FMT_LIT(wb_room((w), sizeof(lit) - 1), (lit)))

/* finding_tuple_json's fields, into w. */
static void wb_tuple(struct wbuf *w, const struct finding *f)
{
	const char *proto = finding_proto(f);
	char *p = wb_room(w, WB_PIECE);

	if (proto != NULL) {
		p = FMT_LIT(p, ",\"proto\":\"");
		memcpy(p, proto, strlen(proto));     /* "tcp" or "udp" */
		p = FMT_LIT(p + strlen(proto), "\"");
	} else {
		p = FMT_LIT(p, ",\"proto\":null");
	}
	if (f->is_host) {
		p = FMT_LIT(p, ",\"host\":\"");
		p = fmt_addr(p, f->ipver, f->host);
		w->p = FMT_LIT(p, "\",\"frames\":[");
		for (uint32_t i = 0; i < f->n_frames; i++) {
			p = wb_room(w, FMT_U64_MAX + 2);
			if (i)
				*p++ = ',';
			w->p = fmt_u64(p, f->frames[i]);
		}
		WB_LIT(w, "]");
		return;
	}
	if (f->have_ip) {
		p = FMT_LIT(p, ",\"src\":\"");
		p = fmt_addr(p, f->ipver, f->src);
		*p++ = '"';
	} else {
		p = FMT_LIT(p, ",\"src\":null");
	}
	if (f->have_ports) {
		p = FMT_LIT(p, ",\"sport\":");
		p = fmt_u64(p, f->sport);
	} else {
		p = FMT_LIT(p, ",\"sport\":null");
	}
	if (f->have_ip) {
		p = FMT_LIT(p, ",\"dst\":\"");
		p = fmt_addr(p, f->ipver, f->dst);
		*p++ = '"';
	} else {
		p = FMT_LIT(p, ",\"dst\":null");
	}
	if (f->have_ports) {
		p = FMT_LIT(p, ",\"dport\":");
		p = fmt_u64(p, f->dport);
	} else {
		p = FMT_LIT(p, ",\"dport\":null");
	}
	w->p = p;
}

/* A record's file name as a JSON string: the text of the last name again
 * when it is the same name (compared by content: the caller only lends
 * it), else worked out and kept for the next record. */
static void wb_file(struct report *r, struct wbuf *w, const char *file)
{
	size_t len;

	if (r->jfile_raw == NULL || strcmp(r->jfile_raw, file) != 0) {
		len = strlen(file);
		free(r->jfile_raw);
		r->jfile_raw = malloc(len + 1 + FMT_JSON_STR_MAX(len));
		if (r->jfile_raw == NULL) {          /* no memory: no shortcut */
			wb_json_str(w, file);
			return;
		}
		memcpy(r->jfile_raw, file, len + 1);
		r->jfile_json = r->jfile_raw + len + 1;
		r->jfile_json_len = (size_t)(fmt_json_str(r->jfile_json, file) - r->jfile_json);
	}
	if (r->jfile_json_len > WB_SIZE) {
		wb_flush(w);
		fwrite(r->jfile_json, 1, r->jfile_json_len, w->out);
		return;
	}
	memcpy(wb_room(w, r->jfile_json_len), r->jfile_json, r->jfile_json_len);
	w->p += r->jfile_json_len;
}

static void jsonl_finding(struct report *r, const struct finding *f)
{
	struct wbuf w;
	const char *sev = severity_name(f->severity);
	char *p;

	w.out = r->out;
	w.p = w.b;
	WB_LIT(&w, "{\"type\":\"finding\",\"rule\":");
	wb_json_str(&w, rule_info(f->rule)->id);
	p = FMT_LIT(wb_room(&w, WB_PIECE), ",\"severity\":\"");
	memcpy(p, sev, strlen(sev));     /* "error", "warning", "info" */
	p += strlen(sev);
	w.p = FMT_LIT(p, "\",\"file\":");
	wb_file(r, &w, f->file);
	p = FMT_LIT(wb_room(&w, WB_PIECE), ",\"frame\":");
	p = fmt_u64(p, f->frame);
	p = FMT_LIT(p, ",\"ts\":");
	w.p = fmt_ts(p, f->ts_sec, f->ts_nsec, f->ts_digits);
	wb_tuple(&w, f);
	p = FMT_LIT(wb_room(&w, WB_PIECE), ",\"signature\":\"");
	memcpy(p, f->signature, strlen(f->signature));
	p += strlen(f->signature);
	w.p = FMT_LIT(p, "\",\"transition\":");
	wb_json_str(&w, f->transition);
	WB_LIT(&w, ",\"message\":");
	wb_json_str(&w, f->message);
	WB_LIT(&w, "}\n");
	wb_flush(&w);
}

static void jsonl_host(struct report *r, const struct host_record *h)
{
	struct wbuf w;
	char *p;
	const struct cls_stream_result *st[2];

	w.out = r->out;
	w.p = w.b;
	WB_LIT(&w, "{\"type\":\"host\",\"file\":");
	wb_file(r, &w, h->file);
	p = FMT_LIT(wb_room(&w, WB_PIECE), ",\"host\":\"");
	p = fmt_addr(p, h->ipver, h->addr);
	p = FMT_LIT(p, "\",\"connections\":");
	w.p = fmt_u64(p, h->connections);
	p = FMT_LIT(wb_room(&w, WB_PIECE), ",\"distinct_ports\":");
	p = fmt_u64(p, h->distinct_ports);
	p = FMT_LIT(p, ",\"min_port\":");
	p = fmt_u64(p, h->min_port);
	p = FMT_LIT(p, ",\"max_port\":");
	p = fmt_u64(p, h->max_port);
	w.p = FMT_LIT(p, ",\"port_selection\":");
	wb_json_str(&w, h->port_selection);
	if (!r->host_detail || h->detail == NULL) {
		WB_LIT(&w, "}\n");
		wb_flush(&w);
		return;
	}
	st[0] = &h->detail->tcp;
	st[1] = &h->detail->udp;
	wb_flush(&w);
	fprintf(r->out, ",\"confidence\":%.3f", h->detail->confidence);
	for (int i = 0; i < 2; i++) {
		if (st[i]->connections == 0)
			continue;
		fprintf(r->out, ",\"%s\":{\"connections\":%" PRIu64 ",\"distinct_ports\":%u,"
			"\"min_port\":%u,\"max_port\":%u,\"port_selection\":\"%s\","
			"\"confidence\":%.3f,\"destinations\":%u}", i == 0 ? "tcp" : "udp",
			st[i]->connections, st[i]->distinct_ports, st[i]->min_port,
			st[i]->max_port, port_class_name(st[i]->cls), st[i]->confidence,
			st[i]->f.destinations);
	}
	fputs("}\n", r->out);
}

static void jsonl_file_end(struct report *r, const char *file, const struct file_stats *st,
			   const struct summary *s)
{
	summary_print_jsonl(r->out, file, st, s);
}

static const struct report_ops jsonl_ops = {
	.finding = jsonl_finding,
	.host = jsonl_host,
	.file_end = jsonl_file_end,
};

/* ---- dispatch -------------------------------------------------------------------- */

struct report *report_new(enum out_format fmt, FILE *out, const char *cmd,
			  const struct rule_set *rules, enum severity fail_on)
{
	struct report *r = calloc(1, sizeof(*r));
	enum tc_rc rc = TC_OK;

	if (r == NULL)
		return NULL;
	r->out = out;
	r->cmd = cmd;
	r->rules = *rules;
	r->fail_on = fail_on;
	switch (fmt) {
	case FMT_JSONL:
		r->ops = &jsonl_ops;
		break;
	case FMT_JUNIT:
		rc = report_junit_init(r);
		break;
	case FMT_SARIF:
		rc = report_sarif_init(r);
		break;
	case FMT_TEXT:
		rc = report_text_init(r);
		break;
	}
	if (rc != TC_OK) {
		free(r);
		return NULL;
	}
	return r;
}

void report_file_begin(struct report *r, const char *file)
{
	memset(r->file_count, 0, sizeof(r->file_count));
	r->files++;
	if (r->ops->file_begin)
		r->ops->file_begin(r, file);
}

void report_finding(struct report *r, const struct finding *f)
{
	r->file_count[f->severity]++;
	r->total[f->severity]++;
	if (f->severity >= r->fail_on)
		r->failing++;
	if (r->ops->finding)
		r->ops->finding(r, f);
}

void report_host(struct report *r, const struct host_record *h)
{
	r->hosts++;
	if (r->ops->host)
		r->ops->host(r, h);
}

void report_file_end(struct report *r, const char *file, const struct file_stats *st,
		     const struct summary *s)
{
	struct summary mine = *s;

	/* The report saw every finding; its count is the one printed. */
	memcpy(mine.findings, r->file_count, sizeof(mine.findings));
	if (s->error != NULL)
		r->files_failed++;
	if (r->ops->file_end)
		r->ops->file_end(r, file, st, &mine);
}

void report_file_error(struct report *r, const char *file, const char *reason)
{
	r->files++;
	r->files_failed++;
	if (r->ops->file_error)
		r->ops->file_error(r, file, reason);
}

void report_close(struct report *r)
{
	if (r->ops->close)
		r->ops->close(r);
	output_flush(r->out);
}

void report_free(struct report *r)
{
	if (r == NULL)
		return;
	if (r->ops->free_priv)
		r->ops->free_priv(r);
	free(r->jfile_raw);
	free(r);
}

void report_set_host_detail(struct report *r, bool on)
{
	r->host_detail = on;
}

uint64_t report_failing(const struct report *r)
{
	return r->failing;
}

/* ---- driving files into a report ---------------------------------------------- */

int drive_reporting(struct tc_options *o, const struct drive_ops *ops, void *ctx,
		    struct report *rep)
{
	struct tc_options one = *o;
	int status = 0;

	/* ops go to the driver as they are (no wrapper in the per-packet
	 * path): a file began when ops->file_begin reported it */
	for (int i = 0; i < o->n_files && !(o->stop_run != NULL && *o->stop_run); i++) {
		uint64_t files = rep->files;

		char why[320] = "could not be read";

		one.files = o->files + i;
		one.n_files = 1;
		one.open_error = why;
		one.open_error_len = sizeof(why);
		if (tc_drive(&one, ops, ctx) != 0) {
			status = 2;
			if (rep->files == files)
				report_file_error(rep, file_display_name(o->files[i]), why);
		}
	}
	return status;
}
