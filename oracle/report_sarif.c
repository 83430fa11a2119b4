/*
 * report_sarif.c - SARIF 2.1.0 (OASIS), the format code scanning tools read.
 *
 * One run. tool.driver.rules lists every catalog rule in catalog order (so
 * ruleIndex is the rule's enum value) with its short and full description,
 * help text, default level and whether it is enabled, and the RFC clause as
 * a property. Results stream as findings arrive; artifacts (one per input
 * file, in order) and the invocation (executionSuccessful, one notification
 * per file that could not be read to its end, a warning per file whose hosts
 * passed the classifier's cap) are written at close, so the
 * document is complete even when a file fails part-way.
 *
 * Location of a result: a capture has no lines, so no region is invented.
 * physicalLocation.artifactLocation names the file (uri, percent-encoded
 * relative reference, plus the artifact index); logicalLocations carries
 * "frame N" (kind "element", fullyQualifiedName "FILE#frame=N"; host
 * findings use "host A", kind "namespace"); properties repeat the frame,
 * timestamp and tuple as numbers and strings. partialFingerprints carries
 * the finding signature under "tuplecheck/signature/v1", so two results
 * with the same defect match across runs.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_fmt.h"
#include "version.h"

struct sarif_priv {
	bool first_result;
	unsigned n_files, cap_files;
	unsigned cur;                /* the artifact of the file being read */
	char **files;                /* artifact uris' sources, owned, in index order, each once */
	char **errors;               /* reason per file, owned, NULL when read fully */
	struct sarif_counts {        /* per file, summed when it is named twice */
		uint64_t unclassified;       /* summary.unclassified */
		uint64_t link_unsupported;   /* file_stats.link_unsupported */
	} *counts;
	uint64_t *hashes;            /* name_hash of files[i] */
	unsigned *slots;             /* open addressing over files: index + 1, 0 empty */
	unsigned n_slots;            /* a power of two, >= 2 * cap_files; 0 before the first */
	bool oom;                    /* an artifact could not be recorded */
};

static const char *sarif_level(enum severity s)
{
	switch (s) {
	case SEV_ERROR: return "error";
	case SEV_WARNING: return "warning";
	case SEV_INFO: break;
	}
	return "note";
}

/* RFC 3986 relative reference: keep unreserved characters and '/', encode
 * every other byte. */
static void sarif_uri(FILE *o, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";

	putc('"', o);
	for (const unsigned char *u = (const unsigned char *)path; *u; u++) {
		if ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') ||
		    (*u >= '0' && *u <= '9') || *u == '-' || *u == '.' || *u == '_' ||
		    *u == '~' || *u == '/')
			putc(*u, o);
		else
			fprintf(o, "%%%c%c", hex[*u >> 4], hex[*u & 15]);
	}
	putc('"', o);
}

static void sarif_text(FILE *o, const char *key, const char *text)
{
	fprintf(o, "\"%s\":{\"text\":", key);
	json_str(o, text);
	putc('}', o);
}

static void sarif_header(struct report *r)
{
	FILE *o = r->out;

	fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
	      "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"tuplecheck\",\"version\":\""
	      TC_VERSION "\",\"semanticVersion\":\"" TC_VERSION "\",\"rules\":[\n", o);
	for (unsigned i = 0; i < R__COUNT; i++) {
		const struct rule_info *ri = rule_info((enum rule_id)i);
		char help[1200];

		snprintf(help, sizeof(help), "%s Enforces %s.", ri->long_help, ri->rfc);
		fprintf(o, "%s{\"id\":\"%s\",\"name\":\"%s\",", i ? ",\n" : "", ri->id, ri->id);
		sarif_text(o, "shortDescription", ri->help);
		putc(',', o);
		sarif_text(o, "fullDescription", ri->long_help);
		putc(',', o);
		sarif_text(o, "help", help);
		fprintf(o, ",\"defaultConfiguration\":{\"enabled\":%s,\"level\":\"%s\"},"
			"\"properties\":{\"rfc\":", ri->default_on ? "true" : "false",
			sarif_level(ri->severity));
		json_str(o, ri->rfc);
		fprintf(o, ",\"enabled\":%s}}", r->rules.on[i] ? "true" : "false");
	}
	fputs("]}},\n\"columnKind\":\"unicodeCodePoints\",\"results\":[", o);
}

/* FNV-1a, 64 bits: file names come from the command line or a folder
 * listing, not from the capture, so a keyed hash buys nothing here; the
 * index only has to make "seen this name before?" cost O(1) instead of a
 * walk over every earlier file (40,000 files took 1.9 s that way). */
static uint64_t name_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (const unsigned char *u = (const unsigned char *)name; *u; u++) {
		h ^= *u;
		h *= 0x100000001b3u;
	}
	return h;
}

/* The slot where file (hash h) is, or the empty slot where it would go. */
static unsigned *sarif_slot(const struct sarif_priv *s, const char *file, uint64_t h)
{
	unsigned mask = s->n_slots - 1, i = (unsigned)h & mask;

	while (s->slots[i] != 0) {
		unsigned at = s->slots[i] - 1;

		if (s->hashes[at] == h && strcmp(s->files[at], file) == 0)
			break;
		i = (i + 1) & mask;
	}
	return &s->slots[i];
}

/* Make room for one more artifact: the arrays grow by doubling, the index
 * is rebuilt at twice their capacity (load at most one half). TC_OK or
 * TC_NOMEM (nothing lost: the old arrays stay valid). */
static enum tc_rc sarif_grow(struct sarif_priv *s)
{
	unsigned nc = s->cap_files ? s->cap_files * 2 : 16;
	unsigned ns = nc * 2;
	char **nf;
	char **ne;
	struct sarif_counts *nu;
	uint64_t *nh;
	unsigned *sl;

	if (nc <= s->cap_files || ns <= nc)
		return TC_NOMEM;        /* unsigned overflow: 2^30 files */
	nf = realloc(s->files, nc * sizeof(*nf));
	if (nf == NULL)
		return TC_NOMEM;
	s->files = nf;
	ne = realloc(s->errors, nc * sizeof(*ne));
	if (ne == NULL)
		return TC_NOMEM;
	s->errors = ne;
	nu = realloc(s->counts, nc * sizeof(*nu));
	if (nu == NULL)
		return TC_NOMEM;
	s->counts = nu;
	nh = realloc(s->hashes, nc * sizeof(*nh));
	if (nh == NULL)
		return TC_NOMEM;
	s->hashes = nh;
	sl = calloc(ns, sizeof(*sl));
	if (sl == NULL)
		return TC_NOMEM;
	free(s->slots);
	s->slots = sl;
	s->n_slots = ns;
	s->cap_files = nc;
	for (unsigned i = 0; i < s->n_files; i++)
		*sarif_slot(s, s->files[i], s->hashes[i]) = i + 1;
	return TC_OK;
}

/* Record an artifact and make it the current one; returns its index. A
 * file named twice (or "-" twice) is one artifact: the schema requires
 * run.artifacts to have unique items; the name index (sarif_slot) finds it
 * in O(1) expected time. Out of memory, the previous artifact stays
 * current (s->oom tells the reader the list is incomplete). */
static unsigned sarif_artifact(struct sarif_priv *s, const char *file)
{
	uint64_t h = name_hash(file);
	unsigned *slot;

	if (s->n_slots != 0) {
		slot = sarif_slot(s, file, h);
		if (*slot != 0)
			return s->cur = *slot - 1;
	}
	if (s->n_files == s->cap_files && sarif_grow(s) != TC_OK) {
		s->oom = true;
		return s->n_files ? s->n_files - 1 : 0;
	}
	s->files[s->n_files] = strdup(file);
	s->errors[s->n_files] = NULL;
	s->counts[s->n_files].unclassified = 0;
	s->counts[s->n_files].link_unsupported = 0;
	s->hashes[s->n_files] = h;
	if (s->files[s->n_files] == NULL) {
		s->oom = true;
		return s->n_files ? s->n_files - 1 : 0;
	}
	*sarif_slot(s, file, h) = s->n_files + 1;
	return s->cur = s->n_files++;
}

static void sarif_file_begin(struct report *r, const char *file)
{
	sarif_artifact(r->priv, file);
}

static void sarif_location(FILE *o, const char *file, unsigned index)
{
	fputs("{\"physicalLocation\":{\"artifactLocation\":{\"uri\":", o);
	sarif_uri(o, file);
	fprintf(o, ",\"index\":%u}}", index);
}

static void sarif_finding(struct report *r, const struct finding *f)
{
	struct sarif_priv *s = r->priv;
	FILE *o = r->out;
	char a[64], where[160], fq[512];
	unsigned index = s->cur;

	fprintf(o, "%s\n{\"ruleId\":\"%s\",\"ruleIndex\":%u,\"level\":\"%s\",",
		s->first_result ? "" : ",", rule_info(f->rule)->id, (unsigned)f->rule,
		sarif_level(f->severity));
	s->first_result = false;
	{
		char text[700];

		snprintf(text, sizeof(text), "%s (%s, frame %" PRIu64 ")", f->message,
			 finding_where(f, where, sizeof(where)), f->frame);
		sarif_text(o, "message", text);
	}
	fputs(",\"locations\":[", o);
	sarif_location(o, f->file, index);
	if (f->is_host) {
		snprintf(where, sizeof(where), "host %s", addr_format(f->ipver, f->host, a));
		snprintf(fq, sizeof(fq), "%s#host=%s", f->file, a);
	} else {
		snprintf(where, sizeof(where), "frame %" PRIu64, f->frame);
		snprintf(fq, sizeof(fq), "%s#frame=%" PRIu64, f->file, f->frame);
	}
	fputs(",\"logicalLocations\":[{\"name\":", o);
	json_str(o, where);
	fputs(",\"fullyQualifiedName\":", o);
	json_str(o, fq);
	fprintf(o, ",\"kind\":\"%s\"}]}]", f->is_host ? "namespace" : "element");
	fprintf(o, ",\"partialFingerprints\":{\"tuplecheck/signature/v1\":\"%s\"}", f->signature);
	fprintf(o, ",\"properties\":{\"frame\":%" PRIu64 ",\"ts\":", f->frame);
	ts_print(o, f->ts_sec, f->ts_nsec, f->ts_digits);
	finding_tuple_json(o, f);
	fputs(",\"transition\":", o);
	json_str(o, f->transition);
	fputs("}}", o);
}

static void sarif_note_error(struct sarif_priv *s, unsigned index, const char *reason)
{
	if (index < s->n_files && s->errors[index] == NULL)
		s->errors[index] = strdup(reason);
}

static void sarif_file_end(struct report *r, const char *file, const struct file_stats *st,
			   const struct summary *sum)
{
	struct sarif_priv *s = r->priv;

	(void)file;
	if (sum->error != NULL && s->n_files > 0)
		sarif_note_error(s, s->cur, sum->error);
	if (s->cur < s->n_files) {
		s->counts[s->cur].unclassified += sum->unclassified;
		s->counts[s->cur].link_unsupported += st->link_unsupported;
	}
}

static void sarif_file_error(struct report *r, const char *file, const char *reason)
{
	struct sarif_priv *s = r->priv;
	bool oom = s->oom;
	unsigned index = sarif_artifact(s, file);

	if (s->oom == oom)      /* not the previous file's artifact */
		sarif_note_error(s, index, reason);
}

static void sarif_close(struct report *r)
{
	struct sarif_priv *s = r->priv;
	FILE *o = r->out;
	bool first = true;

	fputs("\n],\"artifacts\":[", o);
	for (unsigned i = 0; i < s->n_files; i++) {
		fprintf(o, "%s{\"location\":{\"uri\":", i ? "," : "");
		sarif_uri(o, s->files[i]);
		fputs("},\"mimeType\":\"application/vnd.tcpdump.pcap\"}", o);
	}
	fprintf(o, "],\n\"invocations\":[{\"executionSuccessful\":%s,\"toolExecutionNotifications\":[",
		r->files_failed == 0 && !s->oom ? "true" : "false");
	for (unsigned i = 0; i < s->n_files; i++) {
		if (s->errors[i] == NULL)
			continue;
		fprintf(o, "%s{\"level\":\"error\",", first ? "" : ",");
		first = false;
		sarif_text(o, "message", s->errors[i]);
		fputs(",\"locations\":[", o);
		sarif_location(o, s->files[i], i);
		fputs("}]}", o);
	}
	for (unsigned i = 0; i < s->n_files; i++) {
		char why[192];

		if (s->counts[i].link_unsupported != 0) {
			fprintf(o, "%s{\"level\":\"warning\",", first ? "" : ",");
			first = false;
			sarif_text(o, "message", link_unsupported_text(s->counts[i].link_unsupported,
								       why, sizeof(why)));
			fputs(",\"locations\":[", o);
			sarif_location(o, s->files[i], i);
			fprintf(o, "}],\"properties\":{\"link_unsupported\":%" PRIu64 "}}",
				s->counts[i].link_unsupported);
		}
		if (s->counts[i].unclassified == 0)
			continue;
		fprintf(o, "%s{\"level\":\"warning\",", first ? "" : ",");
		first = false;
		sarif_text(o, "message", unclassified_text(s->counts[i].unclassified, why, sizeof(why)));
		fputs(",\"locations\":[", o);
		sarif_location(o, s->files[i], i);
		fprintf(o, "}],\"properties\":{\"unclassified_connections\":%" PRIu64 "}}",
			s->counts[i].unclassified);
	}
	if (s->oom) {
		fprintf(o, "%s{\"level\":\"error\",\"message\":{\"text\":\"out of memory: "
			"some artifacts are not listed\"}}", first ? "" : ",");
	}
	fputs("]}]}]}\n", o);
}

static void sarif_free(struct report *r)
{
	struct sarif_priv *s = r->priv;

	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->n_files; i++) {
		free(s->files[i]);
		free(s->errors[i]);
	}
	free(s->files);
	free(s->errors);
	free(s->counts);
	free(s->hashes);
	free(s->slots);
	free(s);
}

static const struct report_ops sarif_ops = {
	.file_begin = sarif_file_begin,
	.finding = sarif_finding,
	.file_end = sarif_file_end,
	.file_error = sarif_file_error,
	.close = sarif_close,
	.free_priv = sarif_free,
};

enum tc_rc report_sarif_init(struct report *r)
{
	struct sarif_priv *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return TC_NOMEM;
	s->first_result = true;
	r->priv = s;
	r->ops = &sarif_ops;
	sarif_header(r);
	return TC_OK;
}
