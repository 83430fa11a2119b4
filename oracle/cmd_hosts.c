/*
 * cmd_hosts.c - `tuplecheck hosts`: per-host source-port selection, the
 * classifier's verdict (oracle/classify.h) for every host that initiated a
 * connection, one record per host and file, then the summary.
 *
 * The same replay as `tuplecheck replay` (engine, initiator events,
 * classifier), without findings: the host record carries the SPEC fields
 * plus the classifier's confidence and a per-protocol breakdown (TCP and UDP
 * ports are judged apart). Text and jsonl only; findings formats (junit,
 * sarif) are refused as a usage error, like `packets` does.
 */
#include <stdio.h>
#include <string.h>

#include "oracle.h"

struct hosts_ctx {
	struct oracle_cfg cfg;
	struct report *rep;
	struct oracle *orc;
	bool oom;
};

static void sink_host(void *ctx, const struct host_record *h)
{
	struct hosts_ctx *c = ctx;

	report_host(c->rep, h);
}

static void on_begin(void *ctx, const char *file, const struct cap_reader *rd)
{
	struct hosts_ctx *c = ctx;
	struct oracle_sink sink = { NULL, sink_host, c };

	(void)rd;
	report_file_begin(c->rep, file);
	if (oracle_new(&c->cfg, &sink, file, &c->orc) != TC_OK)
		c->oom = true;
}

static void on_packet(void *ctx, const struct cap_packet *cp, struct pkt *p)
{
	struct hosts_ctx *c = ctx;

	if (c->orc != NULL)
		oracle_packet(c->orc, cp, p);
}

static void on_end(void *ctx, const char *file, const struct file_stats *st, const char *error)
{
	struct hosts_ctx *c = ctx;
	struct summary s;

	memset(&s, 0, sizeof(s));
	s.error = error;
	if (c->orc == NULL && error == NULL)
		s.error = "out of memory: the oracle could not start";
	if (c->orc != NULL)
		oracle_finish(c->orc, &s);
	report_file_end(c->rep, file, st, &s);
	oracle_free(c->orc);
	c->orc = NULL;
}

int cmd_hosts(struct tc_options *o)
{
	struct hosts_ctx c;
	static const struct drive_ops ops = { on_begin, on_packet, on_end };
	char err[512];
	int status;

	if (o->format == FMT_JUNIT || o->format == FMT_SARIF) {
		fprintf(stderr, "tuplecheck: hosts: --format %s is for findings; use text or jsonl\n",
			o->format == FMT_JUNIT ? "junit" : "sarif");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	if (oracle_cfg_from_options(o, &c.cfg, err, sizeof(err)) != TC_OK) {
		fprintf(stderr, "tuplecheck: %s\nTry 'tuplecheck --help'.\n", err);
		return 2;
	}
	/* Host classification needs no packet-level rule: skip their work. */
	memset(c.cfg.rules.on, 0, sizeof(c.cfg.rules.on));
	o->checksums = false;
	c.rep = report_new(o->format, o->out, "hosts", &c.cfg.rules, o->fail_on);
	if (c.rep == NULL) {
		fprintf(stderr, "tuplecheck: out of memory\n");
		return 2;
	}
	report_set_host_detail(c.rep, true);
	status = drive_reporting(o, &ops, &c, c.rep);
	report_close(c.rep);
	if (status == 0 && c.oom)
		status = 2;
	report_free(c.rep);
	return status;
}
