/*
 * report_text.c - the report for people.
 *
 * While replaying: one line per file when it ends (packets, flows, findings
 * by severity, and why it stopped if it did), followed by its host table.
 * At the end: the findings grouped by rule, worst severity first and then by
 * count, each rule split into its signatures (one defect each) with a count,
 * the transition and the first example, so ten thousand truncated packets
 * read as one line. A rule lists at most TEXT_SIGS signatures in detail and
 * counts the rest.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_fmt.h"

#define TEXT_SIGS 8          /* signatures shown per rule */
#define TEXT_DISTINCT 256    /* distinct signatures counted per rule */

struct sig_entry {
	char sig[SIG_HEX + 1];
	uint64_t count;
	char *transition;    /* owned */
	char *example;       /* owned: "FILE:FRAME  WHERE  MESSAGE" */
};

struct rule_group {
	uint64_t count;
	unsigned n_sigs;                       /* entries in sigs (<= TEXT_SIGS) */
	struct sig_entry sigs[TEXT_SIGS];
	unsigned n_distinct;                   /* distinct signatures, capped */
	bool distinct_capped;
	char distinct[TEXT_DISTINCT][SIG_HEX + 1];
	uint64_t other;                        /* findings of signatures not in sigs */
};

struct text_priv {
	struct rule_group groups[R__COUNT];
	char *hosts;          /* host lines of the current file (memstream) */
	size_t hosts_len;
	FILE *hosts_f;
};

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

static void text_finding(struct report *r, const struct finding *f)
{
	struct text_priv *t = r->priv;
	struct rule_group *g = &t->groups[f->rule];
	unsigned i;
	bool seen = false;

	g->count++;
	for (i = 0; i < g->n_distinct; i++)
		if (strcmp(g->distinct[i], f->signature) == 0)
			seen = true;
	if (!seen) {
		if (g->n_distinct < TEXT_DISTINCT)
			memcpy(g->distinct[g->n_distinct++], f->signature, SIG_HEX + 1);
		else
			g->distinct_capped = true;
	}
	for (i = 0; i < g->n_sigs; i++) {
		if (strcmp(g->sigs[i].sig, f->signature) == 0) {
			g->sigs[i].count++;
			return;
		}
	}
	if (g->n_sigs == TEXT_SIGS) {
		g->other++;
		return;
	}
	{
		struct sig_entry *e = &g->sigs[g->n_sigs];
		char where[160], ex[800];

		snprintf(ex, sizeof(ex), "%s:%" PRIu64 "  %s  %s", f->file, f->frame,
			 finding_where(f, where, sizeof(where)), f->message);
		e->transition = dup_str(f->transition);
		e->example = dup_str(ex);
		if (e->transition == NULL || e->example == NULL) {
			free(e->transition);
			free(e->example);
			g->other++;          /* counted, not detailed: out of memory */
			return;
		}
		memcpy(e->sig, f->signature, SIG_HEX + 1);
		e->count = 1;
		g->n_sigs++;
	}
}

static void text_host(struct report *r, const struct host_record *h)
{
	struct text_priv *t = r->priv;
	char a[64];

	if (t->hosts_f == NULL) {
		t->hosts_f = open_memstream(&t->hosts, &t->hosts_len);
		if (t->hosts_f == NULL)
			return;
	}
	fprintf(t->hosts_f, "  host %-39s %6" PRIu64 " connections %6" PRIu64
		" ports %5u-%-5u  %s", addr_format(h->ipver, h->addr, a), h->connections,
		h->distinct_ports, h->min_port, h->max_port, h->port_selection);
	if (r->host_detail && h->detail != NULL) {
		const struct cls_stream_result *st[2] = { &h->detail->tcp, &h->detail->udp };

		fprintf(t->hosts_f, " (confidence %.2f)", h->detail->confidence);
		for (int i = 0; i < 2; i++)
			if (st[i]->connections > 0)
				fprintf(t->hosts_f, "; %s %" PRIu64 " to %u destinations: %s",
					i == 0 ? "tcp" : "udp", st[i]->connections,
					st[i]->f.destinations, port_class_name(st[i]->cls));
	}
	fputc('\n', t->hosts_f);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void text_file_end(struct report *r, const char *file, const struct file_stats *st,
			  const struct summary *s)
{
	struct text_priv *t = r->priv;
	FILE *o = r->out;

	fprintf(o, "%s: %" PRIu64 " %s (%" PRIu64 " decoded", file, st->packets,
		plural(st->packets, "packet", "packets"), st->decoded);
	if (st->filtered)
		fprintf(o, ", %" PRIu64 " filtered out", st->filtered);
	fputc(')', o);
	if (s->have_flows)
		fprintf(o, ", %" PRIu64 " %s", s->flows, plural(s->flows, "flow", "flows"));
	if (s->have_flows && s->evicted)
		fprintf(o, " (%" PRIu64 " evicted by --max-flows)", s->evicted);
	if (strcmp(r->cmd, "hosts") == 0)
		fputc('\n', o);
	else
		fprintf(o, ": %" PRIu64 " %s, %" PRIu64 " %s, %" PRIu64 " info\n",
			s->findings[SEV_ERROR], plural(s->findings[SEV_ERROR], "error", "errors"),
			s->findings[SEV_WARNING], plural(s->findings[SEV_WARNING], "warning", "warnings"),
			s->findings[SEV_INFO]);
	if (st->link_unsupported) {
		char why[160];

		fprintf(o, "  %s\n", link_unsupported_text(st->link_unsupported, why, sizeof(why)));
	}
	if (s->unclassified) {
		char why[192];

		fprintf(o, "  %s\n", unclassified_text(s->unclassified, why, sizeof(why)));
	}
	if (s->error != NULL)
		fprintf(o, "  stopped early: %s\n", s->error);
	if (t->hosts_f != NULL) {
		fclose(t->hosts_f);
		t->hosts_f = NULL;
		fwrite(t->hosts, 1, t->hosts_len, o);
		free(t->hosts);
		t->hosts = NULL;
		t->hosts_len = 0;
	}
}

static void text_file_error(struct report *r, const char *file, const char *reason)
{
	fprintf(r->out, "%s: not read: %s\n", file, reason);
}

/* Worst first: severity, then count, then catalog order. */
static int group_cmp(const struct report *r, unsigned a, unsigned b)
{
	const struct text_priv *t = r->priv;
	enum severity sa = rule_info((enum rule_id)a)->severity;
	enum severity sb = rule_info((enum rule_id)b)->severity;

	if (sa != sb)
		return sa > sb ? -1 : 1;
	if (t->groups[a].count != t->groups[b].count)
		return t->groups[a].count > t->groups[b].count ? -1 : 1;
	return a < b ? -1 : 1;
}

static void text_close(struct report *r)
{
	struct text_priv *t = r->priv;
	FILE *o = r->out;
	unsigned order[R__COUNT], n = 0;
	uint64_t all = r->total[0] + r->total[1] + r->total[2];

	for (unsigned i = 0; i < R__COUNT; i++)
		if (t->groups[i].count > 0)
			order[n++] = i;
	/* insertion sort: at most R__COUNT entries */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && group_cmp(r, order[j - 1], order[j]) > 0; j--) {
			unsigned tmp = order[j];

			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	if (strcmp(r->cmd, "hosts") == 0) {
		fprintf(o, "\n%" PRIu64 " %s, %" PRIu64 " %s%s\n", r->files,
			plural(r->files, "file", "files"), r->hosts, plural(r->hosts, "host", "hosts"),
			r->files_failed ? "; some files not read to the end" : "");
		return;
	}
	if (n > 0)
		fputs("\nFindings by rule (worst first):\n", o);
	for (unsigned k = 0; k < n; k++) {
		const struct rule_info *ri = rule_info((enum rule_id)order[k]);
		const struct rule_group *g = &t->groups[order[k]];

		fprintf(o, "%-7s  %-24s %6" PRIu64 " %s, %u%s %s\n", severity_name(ri->severity),
			ri->id, g->count, plural(g->count, "finding", "findings"), g->n_distinct,
			g->distinct_capped ? "+" : "", plural(g->n_distinct, "signature", "signatures"));
		for (unsigned i = 0; i < g->n_sigs; i++)
			fprintf(o, "    %6" PRIu64 " x [%s] %s\n             e.g. %s\n",
				g->sigs[i].count, g->sigs[i].sig, g->sigs[i].transition,
				g->sigs[i].example);
		if (g->other > 0)
			fprintf(o, "    %6" PRIu64 " x other signatures\n", g->other);
	}
	fprintf(o, "\n%" PRIu64 " %s, %" PRIu64 " %s: %" PRIu64 " %s, %" PRIu64 " %s, %" PRIu64
		" info; %" PRIu64 " at or above --fail-on %s",
		r->files, plural(r->files, "file", "files"), all, plural(all, "finding", "findings"),
		r->total[SEV_ERROR], plural(r->total[SEV_ERROR], "error", "errors"),
		r->total[SEV_WARNING], plural(r->total[SEV_WARNING], "warning", "warnings"),
		r->total[SEV_INFO], r->failing, severity_name(r->fail_on));
	if (r->files_failed)
		fprintf(o, "; %" PRIu64 " %s not read to the end", r->files_failed,
			plural(r->files_failed, "file", "files"));
	fputc('\n', o);
}

static void text_free(struct report *r)
{
	struct text_priv *t = r->priv;

	if (t == NULL)
		return;
	for (unsigned i = 0; i < R__COUNT; i++)
		for (unsigned j = 0; j < t->groups[i].n_sigs; j++) {
			free(t->groups[i].sigs[j].transition);
			free(t->groups[i].sigs[j].example);
		}
	if (t->hosts_f != NULL)
		fclose(t->hosts_f);
	free(t->hosts);
	free(t);
}

static const struct report_ops text_ops = {
	.finding = text_finding,
	.host = text_host,
	.file_end = text_file_end,
	.file_error = text_file_error,
	.close = text_close,
	.free_priv = text_free,
};

enum tc_rc report_text_init(struct report *r)
{
	r->priv = calloc(1, sizeof(struct text_priv));
	if (r->priv == NULL)
		return TC_NOMEM;
	r->ops = &text_ops;
	return TC_OK;
}
