/*
 * cmd_packets.c - `tuplecheck packets`: decoded header fields, one record per
 * packet (SPEC.md "packet" record), then the per-file summary.
 *
 * Every record that passed --filter gets a line, decoded or not, so frame
 * numbers line up with Wireshark's. Every record has every key of SPEC.md's
 * packet record; fields the packet does not have are null rather than
 * zeros: a UDP record's seq/ack/flags/win, a non-IP frame's addresses and
 * ports ("ip":null), which says why in "errors".
 *
 * The packets also go through the connection engine, only to count: the
 * summary's "flows" and "evicted" are what `flows` would report for the
 * same file and options. packets checks no rule, so its findings counts
 * are zero (replay checks them).
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "engine.h"
#include "flowcfg.h"

struct packets_ctx {
	struct tc_options *o;
	const char *file;
	bool header_done;
	struct engine_config cfg;
	struct engine *e;              /* this file's, for the summary's counts */
	bool nomem;                    /* an engine could not be made, or ran out */
};

static const char *proto_name(const struct pkt *p)
{
	switch (p->l4) {
	case L4_TCP: return "tcp";
	case L4_UDP: return "udp";
	case L4_NONE:
	case L4_OTHER:
		break;
	}
	return "other";
}

static void print_jsonl(FILE *f, const char *file, const struct cap_packet *cp,
			const struct pkt *p)
{
	char a[64], b[64];

	fputs("{\"type\":\"packet\",\"file\":", f);
	json_str(f, file);
	fprintf(f, ",\"frame\":%" PRIu64 ",\"ts\":", cp->frame);
	ts_print(f, cp->ts_sec, cp->ts_nsec, cp->ts_digits);
	fprintf(f, ",\"caplen\":%u,\"len\":%u", cp->caplen, cp->origlen);
	if (p->have_ip) {
		fprintf(f, ",\"ip\":%u,\"src\":\"%s\",\"dst\":\"%s\",\"proto\":\"%s\"",
			p->ipver, addr_format(p->ipver, p->src, a),
			addr_format(p->ipver, p->dst, b), proto_name(p));
		if (p->l4 == L4_OTHER || p->l4 == L4_NONE)
			fprintf(f, ",\"ip_proto\":%u", p->proto);
	} else {
		fputs(",\"ip\":null,\"src\":null,\"dst\":null,\"proto\":\"other\"", f);
	}
	/* every record has every key: what the packet lacks is null */
	if (p->have_l4 && (p->l4 == L4_TCP || p->l4 == L4_UDP))
		fprintf(f, ",\"sport\":%u,\"dport\":%u", p->sport, p->dport);
	else
		fputs(",\"sport\":null,\"dport\":null", f);
	if (p->have_l4 && p->l4 == L4_TCP)
		fprintf(f, ",\"seq\":%u,\"ack\":%u,\"flags\":\"0x%03x\",\"win\":%u",
			p->seq, p->ack, p->flags, p->win);
	else
		fputs(",\"seq\":null,\"ack\":null,\"flags\":null,\"win\":null", f);
	if (p->have_l4 && (p->l4 == L4_TCP || p->l4 == L4_UDP))
		fprintf(f, ",\"payload\":%u", p->payload_len);
	else
		fputs(",\"payload\":null", f);
	fputs(",\"errors\":[", f);
	for (unsigned i = 0; i < p->n_err; i++) {
		if (i)
			putc(',', f);
		json_str(f, pkt_err_name((enum pkt_err)p->err[i]));
	}
	fputs("]}\n", f);
}

/* TCP flags the way tcpdump writes them: S F R P . (ACK) U E W. */
static void flags_text(uint16_t fl, char *buf)
{
	static const struct { uint16_t bit; char c; } map[] = {
		{ TH_SYN, 'S' }, { TH_FIN, 'F' }, { TH_RST, 'R' }, { TH_PSH, 'P' },
		{ TH_ACK, '.' }, { TH_URG, 'U' }, { TH_ECE, 'E' }, { TH_CWR, 'W' },
		{ TH_AE, 'A' },
	};
	char *q = buf;

	for (size_t i = 0; i < TC_ARRAY_SIZE(map); i++)
		if (fl & map[i].bit)
			*q++ = map[i].c;
	if (q == buf)
		*q++ = '-';
	*q = '\0';
}

static void print_text(FILE *f, const struct cap_packet *cp, const struct pkt *p)
{
	char a[64], b[64], fl[16];

	fprintf(f, "%6" PRIu64 " ", cp->frame);
	ts_print(f, cp->ts_sec, cp->ts_nsec, cp->ts_digits);
	if (!p->have_ip) {
		fputs("  (no IP header)", f);
	} else if (p->have_l4 && (p->l4 == L4_TCP || p->l4 == L4_UDP)) {
		bool v6 = p->ipver == 6;

		fprintf(f, "  IPv%u %s%s%s.%u > %s%s%s.%u", p->ipver, v6 ? "[" : "",
			addr_format(p->ipver, p->src, a), v6 ? "]" : "", p->sport,
			v6 ? "[" : "", addr_format(p->ipver, p->dst, b), v6 ? "]" : "", p->dport);
		if (p->l4 == L4_TCP) {
			flags_text(p->flags, fl);
			fprintf(f, " tcp [%s] seq %u ack %u win %u len %u", fl, p->seq, p->ack,
				p->win, p->payload_len);
		} else {
			fprintf(f, " udp len %u", p->payload_len);
		}
	} else {
		fprintf(f, "  IPv%u %s > %s proto %u", p->ipver, addr_format(p->ipver, p->src, a),
			addr_format(p->ipver, p->dst, b), p->proto);
	}
	for (unsigned i = 0; i < p->n_err; i++)
		fprintf(f, "%s%s", i ? "," : "  ! ", pkt_err_name((enum pkt_err)p->err[i]));
	putc('\n', f);
}

static void on_begin(void *ctx, const char *file, const struct cap_reader *rd)
{
	struct packets_ctx *c = ctx;

	(void)rd;
	c->file = file;
	if (engine_new(&c->cfg, NULL, NULL, &c->e) != TC_OK) {
		c->e = NULL;
		c->nomem = true;
	}
	if (c->o->format == FMT_TEXT)
		fprintf(c->o->out, "# %s\n", file);
}

static void on_packet(void *ctx, const struct cap_packet *cp, struct pkt *p)
{
	struct packets_ctx *c = ctx;

	if (c->e != NULL) {
		struct engine_in in = {
			.frame = cp->frame, .ts_sec = cp->ts_sec, .ts_nsec = cp->ts_nsec,
			.ts_digits = cp->ts_digits, .no_ts = (cp->flags & CAP_F_NO_TS) != 0,
		};
		struct engine_result res;

		engine_packet(c->e, p, &in, &res);
	}
	if (c->o->format == FMT_JSONL)
		print_jsonl(c->o->out, c->file, cp, p);
	else
		print_text(c->o->out, cp, p);
}

static void on_end(void *ctx, const char *file, const struct file_stats *st, const char *error)
{
	struct packets_ctx *c = ctx;
	struct summary s = { .error = error };

	if (c->e != NULL && !tc_engine_summary(c->e, file, &s))
		c->nomem = true;
	if (c->o->format == FMT_JSONL)
		summary_print_jsonl(c->o->out, file, st, &s);
	else
		fprintf(c->o->out, "# %s: %" PRIu64 " packets, %" PRIu64 " decoded, %" PRIu64
			" filtered out, %" PRIu64 " flows, %" PRIu64 " evicted%s%s\n", file,
			st->packets, st->decoded, st->filtered, s.flows, s.evicted,
			error ? ", stopped early: " : "", error ? error : "");
	engine_free(c->e);
	c->e = NULL;
}

int cmd_packets(struct tc_options *o)
{
	struct packets_ctx c = { .o = o };
	int status;
	static const struct drive_ops ops = {
		.file_begin = on_begin, .packet = on_packet, .file_end = on_end,
	};

	if (o->format == FMT_JUNIT || o->format == FMT_SARIF) {
		fprintf(stderr, "tuplecheck: packets: --format %s is for findings; use text or jsonl\n",
			o->format == FMT_JUNIT ? "junit" : "sarif");
		return 2;
	}
	if (tc_engine_config(o, &c.cfg) != TC_OK)
		return 2;
	status = tc_drive(o, &ops, &c);
	if (c.nomem) {
		fprintf(stderr, "tuplecheck: packets: out of memory: some flow counts are missing\n");
		status = 2;
	}
	return status;
}
