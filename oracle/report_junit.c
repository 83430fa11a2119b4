/*
 * report_junit.c - JUnit XML, the report CI dashboards (GitLab, Jenkins)
 * read as test results.
 *
 * Shape: <testsuites> holds one <testsuite> per input file; each holds one
 * <testcase classname=FILE name=RULE> per catalog rule. A rule with a
 * finding at or above --fail-on fails (<failure>, the first JUNIT_LINES
 * findings in its body); one with findings below it passes and lists them in
 * <system-out>; a rule switched off is <skipped>. A file that cannot be
 * read, or stops part-way, adds a testcase "read" with an <error>. Hosts
 * past the classifier's cap are counted in the suite's <properties>
 * (unclassified_connections) and said in its <system-err>.
 * Suites are built in memory and the document is written at close with its
 * totals, so it is complete and well formed whatever happened to the files.
 * No time attributes: the output is a function of the input.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_fmt.h"

#define JUNIT_LINES 20       /* findings quoted per testcase */

struct junit_rule {
	uint64_t failing, passing;   /* at/above and below --fail-on */
	unsigned n_lines;
	char *lines[JUNIT_LINES];    /* owned */
};

struct junit_priv {
	FILE *doc;                   /* memstream of the <testsuite> elements */
	char *doc_buf;
	size_t doc_len;
	struct junit_rule rules[R__COUNT];
	uint64_t tests, failures, errors, skipped;
};

static void junit_clear_file(struct junit_priv *j)
{
	for (unsigned i = 0; i < R__COUNT; i++) {
		for (unsigned k = 0; k < j->rules[i].n_lines; k++)
			free(j->rules[i].lines[k]);
		memset(&j->rules[i], 0, sizeof(j->rules[i]));
	}
}

static void junit_finding(struct report *r, const struct finding *f)
{
	struct junit_priv *j = r->priv;
	struct junit_rule *jr = &j->rules[f->rule];
	char where[160], line[800];
	size_t n;

	if (f->severity >= r->fail_on)
		jr->failing++;
	else
		jr->passing++;
	if (jr->n_lines == JUNIT_LINES)
		return;
	snprintf(line, sizeof(line), "frame %" PRIu64 ": %s: %s [signature %s]", f->frame,
		 finding_where(f, where, sizeof(where)), f->message, f->signature);
	n = strlen(line) + 1;
	jr->lines[jr->n_lines] = malloc(n);
	if (jr->lines[jr->n_lines] != NULL) {
		memcpy(jr->lines[jr->n_lines], line, n);
		jr->n_lines++;
	}
}

static void junit_lines(FILE *d, const struct junit_rule *jr)
{
	uint64_t all = jr->failing + jr->passing;

	for (unsigned k = 0; k < jr->n_lines; k++) {
		xml_str(d, jr->lines[k]);
		fputs("&#10;", d);
	}
	if (all > jr->n_lines)
		fprintf(d, "... and %" PRIu64 " more", all - jr->n_lines);
}

static void junit_error_case(struct junit_priv *j, const char *file, const char *msg)
{
	FILE *d = j->doc;

	fputs("    <testcase classname=\"", d);
	xml_str(d, file);
	fputs("\" name=\"read\">\n      <error type=\"input\" message=\"", d);
	xml_str(d, msg);
	fputs("\"/>\n    </testcase>\n", d);
}

static void junit_file_end(struct report *r, const char *file, const struct file_stats *st,
			   const struct summary *s)
{
	struct junit_priv *j = r->priv;
	FILE *d = j->doc;
	uint64_t tests = R__COUNT, failures = 0, skipped = 0, errors = s->error ? 1 : 0;

	if (d == NULL)
		return;
	for (unsigned i = 0; i < R__COUNT; i++) {
		if (!r->rules.on[i])
			skipped++;
		else if (j->rules[i].failing > 0)
			failures++;
	}
	tests += errors;
	fputs("  <testsuite name=\"", d);
	xml_str(d, file);
	fprintf(d, "\" tests=\"%" PRIu64 "\" failures=\"%" PRIu64 "\" errors=\"%" PRIu64
		"\" skipped=\"%" PRIu64 "\">\n", tests, failures, errors, skipped);
	if (s->unclassified || st->link_unsupported) {
		fputs("    <properties>", d);
		if (st->link_unsupported)
			fprintf(d, "<property name=\"link_unsupported\" value=\"%" PRIu64 "\"/>",
				st->link_unsupported);
		if (s->unclassified)
			fprintf(d, "<property name=\"unclassified_connections\" value=\"%" PRIu64
				"\"/>", s->unclassified);
		fputs("</properties>\n", d);
	}
	for (unsigned i = 0; i < R__COUNT; i++) {
		const struct rule_info *ri = rule_info((enum rule_id)i);
		const struct junit_rule *jr = &j->rules[i];

		fputs("    <testcase classname=\"", d);
		xml_str(d, file);
		fprintf(d, "\" name=\"%s\">", ri->id);
		if (!r->rules.on[i]) {
			char why[96];

			fprintf(d, "\n      <skipped message=\"rule off: %s\"/>\n    ",
				rules_off_reason(&r->rules, (enum rule_id)i, why, sizeof(why)));
		} else if (jr->failing > 0) {
			fprintf(d, "\n      <failure type=\"%s\" message=\"%" PRIu64 " %s finding%s (%s)\">",
				ri->id, jr->failing, severity_name(ri->severity),
				jr->failing == 1 ? "" : "s", ri->rfc);
			junit_lines(d, jr);
			fputs("</failure>\n    ", d);
		} else if (jr->passing > 0) {
			fputs("\n      <system-out>", d);
			junit_lines(d, jr);
			fputs("</system-out>\n    ", d);
		}
		fputs("</testcase>\n", d);
	}
	if (s->error != NULL) {
		char msg[400];

		snprintf(msg, sizeof(msg), "stopped early: %s", s->error);
		junit_error_case(j, file, msg);
	}
	if (s->unclassified || st->link_unsupported) {
		char why[192];

		fputs("    <system-err>", d);
		if (st->link_unsupported)
			fprintf(d, "%s%s", link_unsupported_text(st->link_unsupported, why, sizeof(why)),
				s->unclassified ? "\n" : "");
		if (s->unclassified)
			fputs(unclassified_text(s->unclassified, why, sizeof(why)), d);
		fputs("</system-err>\n", d);
	}
	fputs("  </testsuite>\n", d);
	j->tests += tests;
	j->failures += failures;
	j->errors += errors;
	j->skipped += skipped;
	junit_clear_file(j);
}

static void junit_file_error(struct report *r, const char *file, const char *reason)
{
	struct junit_priv *j = r->priv;

	if (j->doc == NULL)
		return;
	fputs("  <testsuite name=\"", j->doc);
	xml_str(j->doc, file);
	fputs("\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n", j->doc);
	junit_error_case(j, file, reason);
	fputs("  </testsuite>\n", j->doc);
	j->tests++;
	j->errors++;
}

static void junit_close(struct report *r)
{
	struct junit_priv *j = r->priv;
	FILE *o = r->out;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", o);
	fprintf(o, "<testsuites name=\"tuplecheck %s\" tests=\"%" PRIu64 "\" failures=\"%" PRIu64
		"\" errors=\"%" PRIu64 "\" skipped=\"%" PRIu64 "\">\n", r->cmd, j->tests,
		j->failures, j->errors, j->skipped);
	if (j->doc != NULL) {
		fclose(j->doc);
		j->doc = NULL;
		fwrite(j->doc_buf, 1, j->doc_len, o);
	}
	fputs("</testsuites>\n", o);
}

static void junit_free(struct report *r)
{
	struct junit_priv *j = r->priv;

	if (j == NULL)
		return;
	junit_clear_file(j);
	if (j->doc != NULL)
		fclose(j->doc);
	free(j->doc_buf);
	free(j);
}

static const struct report_ops junit_ops = {
	.finding = junit_finding,
	.file_end = junit_file_end,
	.file_error = junit_file_error,
	.close = junit_close,
	.free_priv = junit_free,
};

enum tc_rc report_junit_init(struct report *r)
{
	struct junit_priv *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return TC_NOMEM;
	j->doc = open_memstream(&j->doc_buf, &j->doc_len);
	if (j->doc == NULL) {
		free(j);
		return TC_NOMEM;
	}
	r->priv = j;
	r->ops = &junit_ops;
	return TC_OK;
}
