/*
 * cmd_replay.c - `tuplecheck replay`: every file through the oracle
 * (oracle.c), findings and host records into the report chosen by --format
 * (report*.c), the summary last for each file.
 *
 * Exit status (SPEC.md): 2 when an input could not be read to its end (the
 * report is still closed, so JUnit and SARIF documents stay complete), else
 * 1 when a finding is at or above --fail-on, else 0.
 */
#include <stdio.h>
#include <string.h>

#include "oracle.h"

struct replay_ctx {
	struct tc_options *o;
	struct oracle_cfg cfg;
	struct report *rep;
	struct oracle *orc;          /* the current file's, NULL between files */
	bool hosts_only;             /* `hosts`: no findings, host detail */
	bool oom;
};

static void sink_finding(void *ctx, const struct finding *f)
{
	struct replay_ctx *c = ctx;

	report_finding(c->rep, f);
}

static void sink_host(void *ctx, const struct host_record *h)
{
	struct replay_ctx *c = ctx;

	report_host(c->rep, h);
}

static void on_begin(void *ctx, const char *file, const struct cap_reader *rd)
{
	struct replay_ctx *c = ctx;
	struct oracle_sink sink = { c->hosts_only ? NULL : sink_finding, sink_host, c };

	(void)rd;
	report_file_begin(c->rep, file);
	if (oracle_new(&c->cfg, &sink, file, &c->orc) != TC_OK)
		c->oom = true;
}

static void on_packet(void *ctx, const struct cap_packet *cp, struct pkt *p)
{
	struct replay_ctx *c = ctx;

	if (c->orc != NULL)
		oracle_packet(c->orc, cp, p);
}

static void on_end(void *ctx, const char *file, const struct file_stats *st, const char *error)
{
	struct replay_ctx *c = ctx;
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

/* The driver's callbacks when the file's oracle was made before the file
 * opened: the driver's context is then the oracle itself, so each packet
 * goes to oracle_packet_cb straight from the driver (no hop through
 * on_packet); the command's context is the oracle's sink context. */
static void on_begin_direct(void *ctx, const char *file, const struct cap_reader *rd)
{
	struct replay_ctx *c = oracle_sink_ctx(ctx);

	(void)rd;
	report_file_begin(c->rep, file);
}

static void on_end_direct(void *ctx, const char *file, const struct file_stats *st,
			  const char *error)
{
	struct replay_ctx *c = oracle_sink_ctx(ctx);

	c->orc = ctx;
	on_end(c, file, st, error);
}

/* One file: with its oracle made first (direct callbacks), or, without
 * memory for that, the plain callbacks (on_begin makes the oracle, or
 * reports that it could not). Returns drive_reporting's status. */
static int replay_file(struct replay_ctx *c, int i)
{
	static const struct drive_ops ops = {
		.file_begin = on_begin, .packet = on_packet, .file_end = on_end,
	};
	static const struct drive_ops direct = {
		.file_begin = on_begin_direct, .packet = oracle_packet_cb,
		.file_end = on_end_direct,
	};
	struct oracle_sink sink = { c->hosts_only ? NULL : sink_finding, sink_host, c };
	struct tc_options one = *c->o;
	struct oracle *orc;
	int status;

	one.files = c->o->files + i;
	one.n_files = 1;
	if (oracle_new(&c->cfg, &sink, file_display_name(c->o->files[i]), &orc) != TC_OK)
		return drive_reporting(&one, &ops, c, c->rep);
	c->orc = orc;
	status = drive_reporting(&one, &direct, orc, c->rep);
	/* on_end freed it and cleared c->orc, unless the file never began */
	oracle_free(c->orc);
	c->orc = NULL;
	return status;
}

int oracle_command(struct tc_options *o, bool hosts_only)
{
	struct replay_ctx c;
	char err[512];
	int status = 0;
	bool stop = false;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.hosts_only = hosts_only;
	if (oracle_cfg_from_options(o, &c.cfg, err, sizeof(err)) != TC_OK) {
		fprintf(stderr, "tuplecheck: %s\nTry 'tuplecheck --help'.\n", err);
		return 2;
	}
	if (hosts_only) {
		/* Host classification needs no packet-level rule: skip their work. */
		memset(c.cfg.rules.on, 0, sizeof(c.cfg.rules.on));
		o->checksums = false;
	}
	c.rep = report_new(o->format, o->out, hosts_only ? "hosts" : "replay", &c.cfg.rules,
			   o->fail_on);
	if (c.rep == NULL) {
		fprintf(stderr, "tuplecheck: out of memory\n");
		return 2;
	}
	if (hosts_only)
		report_set_host_detail(c.rep, true);
	/* one file at a time (replay_file): a --filter that cannot compile
	 * stops the run here too, as tc_drive stops over its files */
	o->stop_run = &stop;
	for (int i = 0; i < o->n_files && !stop && !output_failed(o->out) && !tc_interrupted; i++)
		if (replay_file(&c, i) != 0)
			status = 2;
	o->stop_run = NULL;
	report_close(c.rep);
	if (status == 0 && c.oom)
		status = 2;
	if (status == 0 && !hosts_only && report_failing(c.rep) > 0)
		status = 1;
	report_free(c.rep);
	return status;
}

int cmd_replay(struct tc_options *o)
{
	return oracle_command(o, false);
}
