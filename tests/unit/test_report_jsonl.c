/*
 * test_report_jsonl.c - the JSON Lines finding and host records (built in a
 * buffer with the fmt_* helpers, written a buffer-full at a time, the file
 * name's JSON text kept from one record to the next) against the
 * straightforward stdio code they replace: one fprintf or json_str per
 * field. Covered: packet findings over IPv4 and IPv6 with and without ports
 * or an IP header, host findings with 0, 1 and 16 frames, strings with
 * every escape, strings and file names longer than the record buffer, a
 * file name that changes under the same pointer, host records with and
 * without the classifier's detail. Random cases come from a fixed-seed
 * generator, so a failure repeats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static uint64_t rng_state = UINT64_C(0x2545f4914f6cdd1d);

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* ---- the reference: the record as stdio wrote it field by field ---- */

static void ref_tuple(FILE *o, const struct finding *f)
{
	char a[64], b[64];
	const char *proto = finding_proto(f);

	if (proto != NULL)
		fprintf(o, ",\"proto\":\"%s\"", proto);
	else
		fputs(",\"proto\":null", o);
	if (f->is_host) {
		fprintf(o, ",\"host\":\"%s\",\"frames\":[", addr_format(f->ipver, f->host, a));
		for (uint32_t i = 0; i < f->n_frames; i++)
			fprintf(o, "%s%" PRIu64, i ? "," : "", f->frames[i]);
		putc(']', o);
		return;
	}
	/* unknown fields are null: every finding record has the keys */
	if (f->have_ip)
		fprintf(o, ",\"src\":\"%s\"", addr_format(f->ipver, f->src, a));
	else
		fputs(",\"src\":null", o);
	if (f->have_ports)
		fprintf(o, ",\"sport\":%u", f->sport);
	else
		fputs(",\"sport\":null", o);
	if (f->have_ip)
		fprintf(o, ",\"dst\":\"%s\"", addr_format(f->ipver, f->dst, b));
	else
		fputs(",\"dst\":null", o);
	if (f->have_ports)
		fprintf(o, ",\"dport\":%u", f->dport);
	else
		fputs(",\"dport\":null", o);
}

static void ref_finding(FILE *o, const struct finding *f)
{
	fputs("{\"type\":\"finding\",\"rule\":", o);
	json_str(o, rule_info(f->rule)->id);
	fprintf(o, ",\"severity\":\"%s\",\"file\":", severity_name(f->severity));
	json_str(o, f->file);
	fprintf(o, ",\"frame\":%" PRIu64 ",\"ts\":", f->frame);
	ts_print(o, f->ts_sec, f->ts_nsec, f->ts_digits);
	ref_tuple(o, f);
	fprintf(o, ",\"signature\":\"%s\",\"transition\":", f->signature);
	json_str(o, f->transition);
	fputs(",\"message\":", o);
	json_str(o, f->message);
	fputs("}\n", o);
}

static void ref_host(FILE *o, const struct host_record *h)
{
	char a[64];

	fputs("{\"type\":\"host\",\"file\":", o);
	json_str(o, h->file);
	fprintf(o, ",\"host\":\"%s\",\"connections\":%" PRIu64 ",\"distinct_ports\":%" PRIu64
		",\"min_port\":%u,\"max_port\":%u,\"port_selection\":", addr_format(h->ipver, h->addr, a),
		h->connections, h->distinct_ports, h->min_port, h->max_port);
	json_str(o, h->port_selection);
	if (h->detail != NULL) {
		const struct cls_stream_result *st[2] = { &h->detail->tcp, &h->detail->udp };

		fprintf(o, ",\"confidence\":%.3f", h->detail->confidence);
		for (int i = 0; i < 2; i++) {
			if (st[i]->connections == 0)
				continue;
			fprintf(o, ",\"%s\":{\"connections\":%" PRIu64 ",\"distinct_ports\":%u,"
				"\"min_port\":%u,\"max_port\":%u,\"port_selection\":\"%s\","
				"\"confidence\":%.3f,\"destinations\":%u}", i == 0 ? "tcp" : "udp",
				st[i]->connections, st[i]->distinct_ports, st[i]->min_port,
				st[i]->max_port, port_class_name(st[i]->cls), st[i]->confidence,
				st[i]->f.destinations);
		}
	}
	fputs("}\n", o);
}

/* ---- random records ---- */

/* A string of n bytes: mostly plain, with quotes, backslashes, controls,
 * DEL and bytes >= 0x80 mixed in. */
static void rnd_str(char *s, size_t n)
{
	static const char special[] = "\"\\\n\r\t\x01\x1f\x7f\x80\xc3\xa9\xff";

	for (size_t i = 0; i < n; i++) {
		uint64_t x = rnd();

		s[i] = x % 8 == 0 ? special[(x >> 8) % (sizeof(special) - 1)]
				  : (char)('a' + (x >> 8) % 26);
	}
	s[n] = '\0';
}

static void rnd_addr(uint8_t a[16], uint8_t ipver)
{
	uint64_t x = rnd(), y = rnd();

	memset(a, 0, 16);
	memcpy(a, &x, ipver == 4 ? 4 : 8);
	if (ipver == 6 && (y & 1))
		memcpy(a + 8, &y, 8);
}

/* fill's records through a JSON Lines report; the reference text in *ref_text */
static char *run_report(void (*fill)(struct report *r, FILE *ref), char **ref_text)
{
	char *got = NULL, *want = NULL;
	size_t got_len = 0, want_len = 0;
	FILE *out = open_memstream(&got, &got_len);
	FILE *ref = open_memstream(&want, &want_len);
	struct rule_set rules;
	struct report *r;

	assert_non_null(out);
	assert_non_null(ref);
	memset(&rules, 0, sizeof(rules));
	r = report_new(FMT_JSONL, out, "replay", &rules, SEV_ERROR);
	assert_non_null(r);
	fill(r, ref);
	report_free(r);
	fclose(out);
	fclose(ref);
	*ref_text = want;
	return got;
}

static uint64_t frames[16];
static char file_buf[4000];

static void fill_findings(struct report *r, FILE *ref)
{
	static char msg[6000], trans[200];

	for (uint32_t i = 0; i < 3000; i++) {
		struct finding f;
		uint64_t x = rnd();

		memset(&f, 0, sizeof(f));
		/* the file name: short, or longer than the record buffer even
		 * before escaping; the same buffer rewritten between records */
		if (i % 500 == 0)
			rnd_str(file_buf, (i / 500) % 2 ? 3000 : 1 + (size_t)(x % 60));
		f.file = file_buf;
		f.rule = (enum rule_id)(x % R__COUNT);
		f.severity = (enum severity)((x >> 8) % 3);
		f.frame = i % 7 == 0 ? UINT64_MAX - (x >> 40) : x >> (x % 60);
		f.ts_sec = (int64_t)(rnd() >> (x % 40)) * ((x >> 16) % 5 == 0 ? -1 : 1);
		f.ts_nsec = (uint32_t)((x >> 20) % 1000000000u);
		f.ts_digits = (x >> 50) & 1 ? 9 : 6;
		f.proto = (enum l4_kind)((x >> 12) % 4);
		f.ipver = (x >> 14) & 1 ? 6 : 4;
		if ((x >> 15) % 5 == 0) {
			f.is_host = true;
			rnd_addr(f.host, f.ipver);
			f.n_frames = (x >> 18) % 3 == 0 ? 0 : (x >> 18) % 3 == 1 ? 1 : 16;
			for (uint32_t k = 0; k < 16; k++)
				frames[k] = rnd() >> (k * 3);
			f.frames = frames;
		} else {
			f.have_ip = (x >> 16) % 4 != 0;
			f.have_ports = f.have_ip && (x >> 18) % 3 != 0;
			rnd_addr(f.src, f.ipver);
			rnd_addr(f.dst, f.ipver);
			f.sport = (uint16_t)(x >> 24);
			f.dport = (uint16_t)(x >> 40);
		}
		for (int k = 0; k < SIG_HEX; k++)
			f.signature[k] = "0123456789abcdef"[(rnd() >> 7) % 16];
		rnd_str(trans, (size_t)((x >> 30) % 100));
		/* messages up to 6000 bytes: past the buffer, escaped or not */
		rnd_str(msg, i % 97 == 0 ? 5000 + (size_t)(x % 900) : (size_t)((x >> 33) % 400));
		f.transition = trans;
		f.message = msg;
		report_finding(r, &f);
		ref_finding(ref, &f);
	}
}

static void test_jsonl_findings(void **state)
{
	char *want, *got;

	(void)state;
	got = run_report(fill_findings, &want);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void fill_hosts(struct report *r, FILE *ref)
{
	static struct cls_host_result hr;
	static const char *const names[] = { "random", "sequential", "unknown" };

	for (uint32_t i = 0; i < 2000; i++) {
		struct host_record h;
		uint64_t x = rnd();

		memset(&h, 0, sizeof(h));
		if (i % 400 == 0)
			rnd_str(file_buf, (i / 400) % 2 ? 2500 : 1 + (size_t)(x % 60));
		h.file = file_buf;
		h.ipver = x & 1 ? 6 : 4;
		rnd_addr(h.addr, h.ipver);
		h.connections = rnd() >> (x % 64);
		h.distinct_ports = rnd() >> (x % 64);
		h.min_port = (uint16_t)(x >> 8);
		h.max_port = (uint16_t)(x >> 24);
		h.port_selection = names[(x >> 40) % 3];
		if ((x >> 44) & 1) {
			memset(&hr, 0, sizeof(hr));
			hr.confidence = (double)(x >> 50) / 16384;
			hr.tcp.connections = (x >> 45) & 1 ? x >> 20 : 0;
			hr.tcp.confidence = 0.5;
			hr.udp.connections = (x >> 46) & 1 ? x >> 30 : 0;
			hr.udp.f.destinations = 7;
			h.detail = &hr;
			report_set_host_detail(r, true);
		} else {
			report_set_host_detail(r, false);
		}
		report_host(r, &h);
		ref_host(ref, &h);
	}
}

static void test_jsonl_hosts(void **state)
{
	char *want, *got;

	(void)state;
	got = run_report(fill_hosts, &want);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonl_findings),
		cmocka_unit_test(test_jsonl_hosts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
