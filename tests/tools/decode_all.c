/*
 * decode_all.c - run every record of every capture given through the decoder.
 *
 * Usage: decode_all PATH...   (a PATH that is a directory means its files)
 *
 * Each record is copied into a heap buffer of exactly its captured length
 * before decode_packet() and decode_verify_checksums() see it, so that under
 * AddressSanitizer any read past the capture is a crash with a stack trace.
 * After each record the decoder's invariants are checked; a broken one prints
 * the file, the frame and the condition, then aborts:
 *   - the status is one of ok/truncated/malformed/unsupported, and anything
 *     but ok comes with at least one named reason;
 *   - truncated only when fewer bytes were captured than were on the wire;
 *   - a transport view only with a network view; every view lies inside the
 *     captured bytes; lengths add up (ip_hlen <= l3_caplen <= ip_len side,
 *     TCP payload = IP payload - TCP header, UDP payload = UDP length - 8).
 * Files that are not captures, or stop early, are counted, not fatal (the
 * corpus holds deliberately broken files).
 *
 * Prints per-outcome and per-reason totals and, last, one machine-readable
 * line: "totals files=N packets=N tcp=N udp=N ..." for tests/t_decode_corpus.sh.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"
#include "decode.h"

struct totals {
	uint64_t files, not_capture, stopped_early, packets;
	uint64_t status[TC_IO + 1];
	uint64_t tcp, udp, other_l4, later_fragments;
	uint64_t reasons[PE__COUNT];
};

#define CHECK(cond, file, frame)                                                   \
	do {                                                                       \
		if (!(cond)) {                                                     \
			fprintf(stderr, "decode_all: %s frame %" PRIu64 ": invariant " \
				"failed: %s (%s:%d)\n", file, frame, #cond, __FILE__,  \
				__LINE__);                                         \
			abort();                                                   \
		}                                                                  \
	} while (0)

static bool inside(const uint8_t *v, size_t n, const uint8_t *buf, size_t len)
{
	return v >= buf && (size_t)(v - buf) <= len && n <= len - (size_t)(v - buf);
}

static void check_invariants(const char *file, uint64_t frame, const uint8_t *buf,
			     size_t caplen, size_t origlen, const struct pkt *p)
{
	CHECK(p->status == TC_OK || p->status == TC_TRUNCATED || p->status == TC_MALFORMED ||
	      p->status == TC_UNSUPPORTED, file, frame);
	CHECK(p->status == TC_OK || p->n_err >= 1, file, frame);
	CHECK(p->status != TC_TRUNCATED || caplen < origlen, file, frame);
	CHECK(!p->have_l4 || p->have_ip, file, frame);
	if (p->have_ip) {
		CHECK(p->ipver == 4 || p->ipver == 6, file, frame);
		CHECK(inside(p->l3, p->l3_caplen, buf, caplen), file, frame);
		CHECK(p->ip_hlen <= p->l3_caplen && p->ip_hlen <= p->ip_len, file, frame);
		CHECK(p->l3_caplen <= p->ip_len, file, frame);
	} else {
		CHECK(p->l3 == NULL && p->l4hdr == NULL, file, frame);
	}
	if (p->have_l4) {
		CHECK(p->l4hdr == p->l3 + p->ip_hlen, file, frame);
		CHECK(p->l4_caplen == p->l3_caplen - p->ip_hlen, file, frame);
		if (p->l4 == L4_TCP) {
			CHECK(p->tcp_hlen >= 20 && p->tcp_hlen <= p->l4_caplen, file, frame);
			CHECK(p->payload_len == p->ip_len - p->ip_hlen - p->tcp_hlen, file, frame);
		} else {
			CHECK(p->l4 == L4_UDP, file, frame);
			if (p->udp_len == 0)   /* an IPv6 jumbogram (RFC 2675 4) */
				CHECK(p->ipver == 6 && p->ip_len - p->ip_hlen > 0xFFFFu &&
				      p->payload_len == p->ip_len - p->ip_hlen - 8, file, frame);
			else
				CHECK(p->udp_len >= 8 &&
				      p->payload_len == (uint32_t)p->udp_len - 8, file, frame);
			CHECK(p->l4_caplen >= 8, file, frame);
		}
	} else {
		CHECK(p->l4hdr == NULL, file, frame);
	}
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	*len = (size_t)st.st_size;
	buf = malloc(*len ? *len : 1);
	if (buf != NULL && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
out:
	fclose(f);
	return buf;
}

static void decode_file(const char *path, struct totals *t)
{
	static struct cap_reader r;     /* large: keep it off the stack */
	struct cap_packet cp;
	size_t len = 0;
	uint8_t *data = read_file(path, &len);
	enum tc_rc rc;

	if (data == NULL) {
		fprintf(stderr, "decode_all: %s: cannot read\n", path);
		t->not_capture++;
		return;
	}
	t->files++;
	if (cap_open(&r, data, len) != TC_OK) {
		t->not_capture++;
		cap_close(&r);
		free(data);
		return;
	}
	while ((rc = cap_next(&r, &cp)) == TC_OK) {
		uint8_t *copy = malloc(cp.caplen ? cp.caplen : 1);
		struct pkt p;

		if (copy == NULL) {
			fprintf(stderr, "decode_all: out of memory\n");
			exit(2);
		}
		memcpy(copy, cp.data, cp.caplen);
		decode_packet(cp.linktype, copy, cp.caplen, cp.origlen, &p);
		check_invariants(path, cp.frame, copy, cp.caplen, cp.origlen, &p);
		decode_verify_checksums(&p);
		free(copy);

		t->packets++;
		t->status[p.status]++;
		for (unsigned i = 0; i < p.n_err; i++)
			t->reasons[p.err[i]]++;
		if (p.have_l4 && p.l4 == L4_TCP)
			t->tcp++;
		else if (p.have_l4 && p.l4 == L4_UDP)
			t->udp++;
		else if (p.have_ip && p.l4 == L4_OTHER)
			t->other_l4++;
		if (p.later_fragment)
			t->later_fragments++;
	}
	if (rc != TC_END)
		t->stopped_early++;
	cap_close(&r);
	free(data);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void decode_path(const char *path, struct totals *t)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		decode_file(path, t);
		return;
	}
	d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "decode_all: %s: cannot open directory\n", path);
		exit(2);
	}
	while ((e = readdir(d)) != NULL) {
		size_t l;

		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 256) * sizeof *names);

			if (nn == NULL)
				exit(2);
			names = nn;
		}
		l = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(l);
		if (names[n] == NULL)
			exit(2);
		snprintf(names[n++], l, "%s/%s", path, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);   /* a stable order for messages */
	for (size_t i = 0; i < n; i++) {
		decode_file(names[i], t);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	static struct totals t;

	if (argc < 2) {
		fprintf(stderr, "usage: decode_all PATH...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		decode_path(argv[i], &t);

	printf("files %" PRIu64 " (not captures %" PRIu64 ", stopped early %" PRIu64 ")\n",
	       t.files, t.not_capture, t.stopped_early);
	printf("packets %" PRIu64 ": ok %" PRIu64 ", truncated %" PRIu64 ", malformed %" PRIu64
	       ", unsupported %" PRIu64 "\n", t.packets, t.status[TC_OK], t.status[TC_TRUNCATED],
	       t.status[TC_MALFORMED], t.status[TC_UNSUPPORTED]);
	printf("transport: tcp %" PRIu64 ", udp %" PRIu64 ", other %" PRIu64
	       ", later fragments %" PRIu64 "\n", t.tcp, t.udp, t.other_l4, t.later_fragments);
	for (int e = 1; e < PE__COUNT; e++)
		if (t.reasons[e])
			printf("  %-26s %" PRIu64 "\n", pkt_err_name((enum pkt_err)e), t.reasons[e]);
	printf("totals files=%" PRIu64 " packets=%" PRIu64 " tcp=%" PRIu64 " udp=%" PRIu64
	       " ok=%" PRIu64 " truncated=%" PRIu64 " malformed=%" PRIu64 " unsupported=%" PRIu64
	       "\n", t.files, t.packets, t.tcp, t.udp, t.status[TC_OK], t.status[TC_TRUNCATED],
	       t.status[TC_MALFORMED], t.status[TC_UNSUPPORTED]);
	return 0;
}
