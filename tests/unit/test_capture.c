/*
 * test_capture.c - the capture reader (targets/capture.c) on byte arrays.
 *
 * Captures are assembled here field by field, in either byte order, so each
 * test states exactly which bytes it feeds the reader. Every buffer handed to
 * the reader is first copied into a malloc'd block of exactly its length, so
 * AddressSanitizer reports any read past the end. Covered: every pcap magic
 * in both byte orders; pcapng with several interfaces, link types, if_tsresol
 * (decimal and binary) and if_tsoffset; SPB, PB and unknown blocks; several
 * sections with a byte-order change; every truncation prefix of a valid pcap
 * and pcapng file; corrupt lengths with their reasons; the empty file.
 * Every one of them is also read as a stream in windows (cap_refill) of
 * sizes from 1 byte up, with the same records, errors and offsets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "capture.h"

/* ==== building captures ================================================= */

struct bld {
	uint8_t b[32768];
	size_t n;
	bool le;
};

static void put8(struct bld *w, uint8_t v)
{
	assert_true(w->n < sizeof(w->b));
	w->b[w->n++] = v;
}

static void put16(struct bld *w, uint16_t v)
{
	if (w->le) {
		put8(w, (uint8_t)v);
		put8(w, (uint8_t)(v >> 8));
	} else {
		put8(w, (uint8_t)(v >> 8));
		put8(w, (uint8_t)v);
	}
}

static void put32(struct bld *w, uint32_t v)
{
	if (w->le) {
		put16(w, (uint16_t)v);
		put16(w, (uint16_t)(v >> 16));
	} else {
		put16(w, (uint16_t)(v >> 16));
		put16(w, (uint16_t)v);
	}
}

static void put64(struct bld *w, uint64_t v)
{
	if (w->le) {
		put32(w, (uint32_t)v);
		put32(w, (uint32_t)(v >> 32));
	} else {
		put32(w, (uint32_t)(v >> 32));
		put32(w, (uint32_t)v);
	}
}

static void putbytes(struct bld *w, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(w, p[i]);
}

static void pad4(struct bld *w)
{
	while (w->n % 4 != 0)
		put8(w, 0);
}

static void pcap_hdr(struct bld *w, uint32_t magic, uint16_t vmin, uint32_t snaplen,
		     uint32_t linktype)
{
	put32(w, magic);
	put16(w, 2);
	put16(w, vmin);
	put32(w, 0);
	put32(w, 0);
	put32(w, snaplen);
	put32(w, linktype);
}

static void pcap_rec(struct bld *w, uint32_t sec, uint32_t frac, uint32_t caplen,
		     uint32_t len, const uint8_t *data)
{
	put32(w, sec);
	put32(w, frac);
	put32(w, caplen);
	put32(w, len);
	putbytes(w, data, caplen);
}

/* pcapng blocks: begin writes type and a placeholder length; end pads,
 * writes the trailer and patches the leading length. */
static size_t ng_begin(struct bld *w, uint32_t type)
{
	size_t at = w->n;

	put32(w, type);
	put32(w, 0);
	return at;
}

static void ng_end(struct bld *w, size_t at)
{
	size_t save;
	uint32_t total;

	pad4(w);
	total = (uint32_t)(w->n - at + 4);
	put32(w, total);
	save = w->n;
	w->n = at + 4;
	put32(w, total);
	w->n = save;
}

static void ng_shb(struct bld *w, bool le)
{
	size_t at;

	w->le = le;
	at = ng_begin(w, 0x0a0d0d0a);
	put32(w, 0x1a2b3c4d);
	put16(w, 1);
	put16(w, 0);
	put64(w, UINT64_MAX);
	ng_end(w, at);
}

static void ng_opt(struct bld *w, uint16_t code, const uint8_t *val, uint16_t len)
{
	put16(w, code);
	put16(w, len);
	putbytes(w, val, len);
	pad4(w);
}

/* IDB; tsresol < 0 means no if_tsresol option; tsoff != 0 adds if_tsoffset. */
static void ng_idb(struct bld *w, uint16_t linktype, uint32_t snaplen, int tsresol,
		   int64_t tsoff)
{
	size_t at = ng_begin(w, 1);

	put16(w, linktype);
	put16(w, 0);
	put32(w, snaplen);
	if (tsresol >= 0) {
		uint8_t v = (uint8_t)tsresol;

		ng_opt(w, 9, &v, 1);
	}
	if (tsoff != 0) {
		put16(w, 14);
		put16(w, 8);
		put64(w, (uint64_t)tsoff);
	}
	if (tsresol >= 0 || tsoff != 0)
		ng_opt(w, 0, NULL, 0);
	ng_end(w, at);
}

static void ng_epb(struct bld *w, uint32_t ifid, uint64_t ts, uint32_t caplen,
		   uint32_t len, const uint8_t *data)
{
	size_t at = ng_begin(w, 6);

	put32(w, ifid);
	put32(w, (uint32_t)(ts >> 32));
	put32(w, (uint32_t)ts);
	put32(w, caplen);
	put32(w, len);
	putbytes(w, data, caplen);
	ng_end(w, at);
}

static uint8_t frame_bytes[256];

static void init_frames(void)
{
	for (size_t i = 0; i < sizeof(frame_bytes); i++)
		frame_bytes[i] = (uint8_t)(i * 7 + 3);
}

/* ==== running the reader on an exact-size copy ========================== */

struct run {
	uint8_t *copy;
	size_t len;
	struct cap_reader r;
	struct cap_packet pk[16];
	size_t n;
	enum tc_rc open_rc, end_rc;
};

static uint8_t *exact_copy(const uint8_t *b, size_t n)
{
	uint8_t *c = malloc(n > 0 ? n : 1);

	assert_non_null(c);
	if (n > 0)
		memcpy(c, b, n);
	return c;
}

/* ==== reading a stream in windows ======================================= */

/* What a whole-buffer read gives, to compare a windowed read with. */
struct whole {
	enum tc_rc open_rc, end_rc;
	struct cap_reader r;            /* err, err_offset: the final result */
	struct cap_packet pk[512];
	size_t n;
	/* what cap_open left */
	enum cap_format format;
	uint32_t linktype, snaplen;
	uint8_t ts_digits;
};

static void read_whole(const uint8_t *b, size_t n, struct whole *w)
{
	w->n = 0;
	w->open_rc = w->end_rc = cap_open(&w->r, b, n);
	w->format = w->r.format;
	w->linktype = w->r.linktype;
	w->snaplen = w->r.snaplen;
	w->ts_digits = w->r.ts_digits;
	if (w->open_rc == TC_OK)
		while (w->n < TC_ARRAY_SIZE(w->pk) &&
		       (w->end_rc = cap_next(&w->r, &w->pk[w->n])) == TC_OK)
			w->n++;
	cap_close(&w->r);
}

/* A window of the file: exactly the bytes b[from, to) in a block of their
 * size, so ASan reports any read outside the window. */
static uint8_t *window(const uint8_t *b, size_t from, size_t to)
{
	return exact_copy(b + from, to - from);
}

/* The result of a read told the input's size (cap_open_input) against the
 * whole-buffer read's: the same, except that a record or block running past
 * a known file end is TC_MALFORMED at once where the whole buffer says
 * TC_TRUNCATED at its end (the sentence is the same; compared apart). */
static bool same_rc(enum tc_rc got, enum tc_rc want, uint64_t size)
{
	return got == want || (size != CAP_SIZE_UNKNOWN && size != CAP_SIZE_STREAM &&
			       want == TC_TRUNCATED && got == TC_MALFORMED);
}

/*
 * Read b[0, n) the way a stream is read (capture.h): a window of `step`
 * bytes (at least CAP_OPEN_MIN) first, made longer while cap_open cannot decide, then each time
 * cap_next runs out, the bytes from r->p on in a new window with `step`
 * more. Every record, the open result and the final result with its reason
 * and offset must be those of the whole-buffer read. size: what the reader
 * is told of the input (cap_open_input; CAP_SIZE_UNKNOWN: plain cap_open
 * and cap_refill). Returns the longest window used.
 */
static size_t check_windowed(const uint8_t *b, size_t n, size_t step, const struct whole *w,
			     uint64_t size)
{
	struct cap_reader r;
	struct cap_packet pk;
	size_t first = step < CAP_OPEN_MIN ? CAP_OPEN_MIN : step;
	size_t fed = n < first ? n : first, from = 0, i = 0, longest = fed;
	uint8_t *win = window(b, 0, fed);
	enum tc_rc rc = size == CAP_SIZE_UNKNOWN ? cap_open(&r, win, fed) :
		cap_open_input(&r, win, fed, size);

	while ((rc == TC_TRUNCATED || (rc == TC_OK && r.peek_cut)) && fed < n) {
		free(win);
		fed = n - fed < step ? n : fed + step;
		longest = fed;
		win = window(b, 0, fed);
		rc = size == CAP_SIZE_UNKNOWN ? cap_open(&r, win, fed) :
			cap_open_input(&r, win, fed, size);
	}
	if (!same_rc(rc, w->open_rc, size))
		fail_msg("window %zu: cap_open %d, whole buffer %d", step, rc, w->open_rc);
	if (rc != TC_OK) {
		assert_string_equal(r.err, w->r.err);
		free(win);
		return longest;
	}
	assert_int_equal(r.format, w->format);
	assert_int_equal(r.linktype, w->linktype);
	assert_int_equal(r.snaplen, w->snaplen);
	assert_int_equal(r.ts_digits, w->ts_digits);
	for (;;) {
		rc = cap_next(&r, &pk);
		if (rc == TC_OK) {
			const struct cap_packet *q = &w->pk[i];

			if (i >= w->n)
				break;          /* past what the whole read kept */
			assert_int_equal(pk.offset, q->offset);
			assert_int_equal(pk.frame, q->frame);
			assert_int_equal(pk.caplen, q->caplen);
			assert_int_equal(pk.origlen, q->origlen);
			assert_int_equal(pk.ts_sec, q->ts_sec);
			assert_int_equal(pk.ts_nsec, q->ts_nsec);
			assert_int_equal(pk.ts_digits, q->ts_digits);
			assert_int_equal(pk.linktype, q->linktype);
			assert_int_equal(pk.ifindex, q->ifindex);
			assert_int_equal(pk.flags, q->flags);
			assert_memory_equal(pk.data, q->data, pk.caplen);
			i++;
			continue;
		}
		if ((rc == TC_END || rc == TC_TRUNCATED) && fed < n) {
			uint8_t *old = win;
			size_t keep = (size_t)(r.p - r.buf);

			from += keep;
			fed = n - fed < step ? n : fed + step;
			if (fed - from > longest)
				longest = fed - from;
			win = window(b, from, fed);
			if (size == CAP_SIZE_UNKNOWN)
				cap_refill(&r, win, fed - from);
			else
				cap_refill_input(&r, win, fed - from, size);
			free(old);
			continue;
		}
		break;
	}
	if (i < w->n)
		fail_msg("window %zu: %zu records, whole buffer %zu", step, i, w->n);
	if (w->n < TC_ARRAY_SIZE(w->pk)) {
		if (!same_rc(rc, w->end_rc, size))
			fail_msg("window %zu: ends with %d (%s), whole buffer %d (%s)", step, rc,
				 r.err, w->end_rc, w->r.err);
		assert_string_equal(r.err, w->r.err);
		assert_int_equal(r.err_offset, w->r.err_offset);
	}
	cap_close(&r);
	free(win);
	return longest;
}

/* Every buffer the tests read is read again as a stream in windows of
 * these sizes, from one byte at a time to more than the buffer; and in some
 * of them told that it is a regular file of n bytes, or a stream
 * (cap_open_input), which must not change what is read. */
static void check_all_windows(const uint8_t *b, size_t n)
{
	static const size_t steps[] = { 1, 2, 3, 5, 8, 13, 64, 100, 4096 };
	struct whole *w = malloc(sizeof(*w));
	uint8_t *copy = exact_copy(b, n);

	assert_non_null(w);
	read_whole(copy, n, w);
	for (size_t k = 0; k < TC_ARRAY_SIZE(steps); k++) {
		check_windowed(copy, n, steps[k], w, CAP_SIZE_UNKNOWN);
		if (steps[k] == 1 || steps[k] == 13 || steps[k] == 4096) {
			check_windowed(copy, n, steps[k], w, n);
			check_windowed(copy, n, steps[k], w, CAP_SIZE_STREAM);
		}
	}
	free(copy);
	free(w);
}

/* Open and read up to 16 records; the copy is kept so views stay valid.
 * The same bytes read as a stream must give the same (check_all_windows). */
static struct run *run_reader(const uint8_t *b, size_t n)
{
	struct run *u = calloc(1, sizeof(*u));

	check_all_windows(b, n);
	assert_non_null(u);
	u->copy = exact_copy(b, n);
	u->len = n;
	u->open_rc = cap_open(&u->r, u->copy, n);
	u->end_rc = u->open_rc;
	if (u->open_rc != TC_OK)
		return u;
	while (u->n < TC_ARRAY_SIZE(u->pk)) {
		u->end_rc = cap_next(&u->r, &u->pk[u->n]);
		if (u->end_rc != TC_OK)
			break;
		/* zero copy: the record is a view into the buffer */
		assert_true(u->pk[u->n].data >= u->copy);
		assert_true(u->pk[u->n].data + u->pk[u->n].caplen <= u->copy + n);
		assert_int_equal(u->pk[u->n].frame, u->n + 1);
		u->n++;
	}
	return u;
}

static void run_free(struct run *u)
{
	cap_close(&u->r);
	free(u->copy);
	free(u);
}

static void assert_err_contains(const struct run *u, const char *s)
{
	if (strstr(u->r.err, s) == NULL)
		fail_msg("r->err \"%s\" does not contain \"%s\"", u->r.err, s);
}

/* ==== classic pcap ====================================================== */

static void check_pcap_magic(uint32_t magic, bool le, uint32_t frac_units)
{
	struct bld w = { .le = le };
	struct run *u;

	pcap_hdr(&w, magic, 4, 65535, 1);
	pcap_rec(&w, 1700000000, frac_units - 1, 60, 60, frame_bytes);
	pcap_rec(&w, 0xffffffffu, 0, 20, 1514, frame_bytes + 60);
	u = run_reader(w.b, w.n);
	assert_int_equal(u->open_rc, TC_OK);
	assert_int_equal(u->r.format, CAP_FMT_PCAP);
	assert_int_equal(u->r.swapped, le);
	assert_int_equal(u->r.linktype, 1);
	assert_int_equal(u->end_rc, TC_END);
	assert_int_equal(u->n, 2);
	assert_int_equal(u->pk[0].caplen, 60);
	assert_int_equal(u->pk[0].origlen, 60);
	assert_int_equal(u->pk[0].ts_sec, 1700000000);
	assert_int_equal(u->pk[0].ts_digits, frac_units == 1000000000u ? 9 : 6);
	assert_int_equal(u->pk[0].ts_nsec,
			 frac_units == 1000000000u ? 999999999u : 999999000u);
	assert_memory_equal(u->pk[0].data, frame_bytes, 60);
	assert_ptr_equal(u->pk[0].data, u->copy + 24 + 16);
	/* seconds are unsigned 32-bit: 0xffffffff is in 2106, not -1 */
	assert_int_equal(u->pk[1].ts_sec, 4294967295LL);
	assert_int_equal(u->pk[1].caplen, 20);
	assert_int_equal(u->pk[1].origlen, 1514);
	assert_int_equal(u->pk[1].flags, 0);
	assert_memory_equal(u->pk[1].data, frame_bytes + 60, 20);
	/* the end is sticky */
	assert_int_equal(cap_next(&u->r, &u->pk[2]), TC_END);
	run_free(u);
}

static void test_pcap_magics(void **state)
{
	(void)state;
	check_pcap_magic(0xa1b2c3d4, true, 1000000);
	check_pcap_magic(0xa1b2c3d4, false, 1000000);
	check_pcap_magic(0xa1b23c4d, true, 1000000000);
	check_pcap_magic(0xa1b23c4d, false, 1000000000);
}

static void test_pcap_modified_magic(void **state)
{
	static const bool orders[] = { true, false };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct bld w = { .le = orders[i] };
		struct run *u;

		pcap_hdr(&w, 0xa1b2cd34, 4, 65535, 1);
		/* 24-byte record header: 8 extra bytes (ifindex, protocol, type) */
		put32(&w, 10); put32(&w, 5); put32(&w, 30); put32(&w, 40);
		put32(&w, 0xdeadbeef); put32(&w, 0x12345678);
		putbytes(&w, frame_bytes, 30);
		u = run_reader(w.b, w.n);
		assert_int_equal(u->end_rc, TC_END);
		assert_int_equal(u->n, 1);
		assert_int_equal(u->pk[0].caplen, 30);
		assert_int_equal(u->pk[0].origlen, 40);
		assert_int_equal(u->pk[0].ts_sec, 10);
		assert_int_equal(u->pk[0].ts_nsec, 5000);
		assert_ptr_equal(u->pk[0].data, u->copy + 24 + 24);
		run_free(u);
	}
}

/* A Kuznetzov file in cooked mode: its Ethernet records carry a fake 14-byte
 * header on top of the snapshot length, which libpcap allows for (snapshot
 * + 14); other link types get no such allowance. */
static void test_pcap_kuznetzov_snaplen(void **state)
{
	(void)state;
	for (uint32_t lt = 1; lt <= 101; lt += 100) {
		struct bld w = { .le = true };
		struct run *u;

		pcap_hdr(&w, 0xa1b2cd34, 4, 40, lt);
		put32(&w, 1); put32(&w, 0); put32(&w, 54); put32(&w, 54);
		put32(&w, 0); put32(&w, 0);
		putbytes(&w, frame_bytes, 54);
		u = run_reader(w.b, w.n);
		assert_int_equal(u->end_rc, TC_END);
		assert_int_equal(u->n, 1);
		assert_int_equal(u->r.snaplen, lt == 1 ? 54 : 40);
		assert_int_equal(u->pk[0].caplen, lt == 1 ? 54 : 40);
		assert_int_equal(u->pk[0].flags, lt == 1 ? 0 : CAP_F_CLAMPED);
		run_free(u);
	}
}

/* The link type field's top bits say whether frames end in an FCS and how
 * long it is (draft-ietf-opsawg-pcap section 4); the link type is the rest. */
static void test_pcap_linktype_fcs_bits(void **state)
{
	struct bld w = { .le = false };
	struct run *u;

	(void)state;
	pcap_hdr(&w, 0xa1b2c3d4, 4, 65535, 0x44000001u);  /* FCS of 4 bytes, Ethernet */
	pcap_rec(&w, 1, 0, 60, 64, frame_bytes);
	u = run_reader(w.b, w.n);
	assert_int_equal(u->end_rc, TC_END);
	assert_int_equal(u->r.linktype, 1);
	assert_int_equal(u->n, 1);
	assert_int_equal(u->pk[0].linktype, 1);
	run_free(u);
}

/* caplen above the snapshot length: clamped, the rest skipped (libpcap) */
static void test_pcap_clamp_to_snaplen(void **state)
{
	struct bld w = { .le = true };
	struct run *u;

	(void)state;
	pcap_hdr(&w, 0xa1b2c3d4, 4, 40, 1);
	pcap_rec(&w, 1, 0, 60, 60, frame_bytes);
	pcap_rec(&w, 2, 0, 10, 10, frame_bytes + 100);
	pcap_rec(&w, 3, 0, 40, 40, frame_bytes);       /* exactly the snapshot length */
	u = run_reader(w.b, w.n);
	assert_int_equal(u->end_rc, TC_END);
	assert_int_equal(u->n, 3);
	assert_int_equal(u->pk[2].caplen, 40);
	assert_int_equal(u->pk[2].flags, 0);           /* all of it: not clamped */
	assert_int_equal(u->r.snaplen, 40);
	assert_int_equal(u->pk[0].caplen, 40);
	assert_int_equal(u->pk[0].origlen, 60);
	assert_int_equal(u->pk[0].flags, CAP_F_CLAMPED);
	assert_int_equal(u->pk[1].caplen, 10);
	assert_memory_equal(u->pk[1].data, frame_bytes + 100, 10);
	run_free(u);
}

static void test_pcap_caplen_above_max(void **state)
{
	struct bld w = { .le = true };
	struct run *u;

	(void)state;
	pcap_hdr(&w, 0xa1b2c3d4, 4, 0, 1);
	pcap_rec(&w, 1, 0, 10, 10, frame_bytes);
	put32(&w, 1); put32(&w, 0); put32(&w, 262145); put32(&w, 262145);
	u = run_reader(w.b, w.n);
	assert_int_equal(u->n, 1);
	assert_int_equal(u->end_rc, TC_MALFORMED);
	assert_err_contains(u, "record at byte 50 (frame 2): captured length 262145 is above the maximum 262144");
	assert_int_equal(u->r.err_offset, 50);
	assert_int_equal(cap_next(&u->r, &u->pk[1]), TC_MALFORMED);  /* sticky */
	run_free(u);
}

static void test_pcap_odd_records(void **state)
{
	struct bld w = { .le = false };
	struct run *u;

	(void)state;
	pcap_hdr(&w, 0xa1b2c3d4, 4, 65535, 1);
	pcap_rec(&w, 7, 2500000, 20, 10, frame_bytes);  /* usec >= 1e6, caplen > len */
	u = run_reader(w.b, w.n);
	assert_int_equal(u->n, 1);
	assert_int_equal(u->pk[0].ts_sec, 9);
	assert_int_equal(u->pk[0].ts_nsec, 500000000);
	assert_int_equal(u->pk[0].flags, CAP_F_CAPLEN_GT_LEN | CAP_F_TS_FRAC_OVERFLOW);
	run_free(u);
}

/* Before 2.3 the original length came first; 2.3 swaps only if needed. */
static void test_pcap_old_versions(void **state)
{
	struct bld w = { .le = true };
	struct run *u;

	(void)state;
	pcap_hdr(&w, 0xa1b2c3d4, 2, 65535, 1);
	pcap_rec(&w, 1, 0, 100, 20, frame_bytes);    /* fields: len=100, caplen=20 */
	w.n -= 100 - 20;
	u = run_reader(w.b, w.n);
	assert_int_equal(u->end_rc, TC_END);
	assert_int_equal(u->n, 1);
	assert_int_equal(u->pk[0].caplen, 20);
	assert_int_equal(u->pk[0].origlen, 100);
	run_free(u);

	w.n = 0;
	pcap_hdr(&w, 0xa1b2c3d4, 3, 65535, 1);
	pcap_rec(&w, 1, 0, 20, 100, frame_bytes);    /* already in order */
	pcap_rec(&w, 1, 0, 100, 30, frame_bytes);    /* swapped: caplen 30 */
	w.n -= 100 - 30;
	u = run_reader(w.b, w.n);
	assert_int_equal(u->end_rc, TC_END);
	assert_int_equal(u->n, 2);
	assert_int_equal(u->pk[0].caplen, 20);
	assert_int_equal(u->pk[0].origlen, 100);
	assert_int_equal(u->pk[1].caplen, 30);
	assert_int_equal(u->pk[1].origlen, 100);
	run_free(u);
}

static void test_pcap_bad_headers(void **state)
{
	struct bld w = { .le = true };
	struct run *u;

	(void)state;
	pcap_hdr(&w, 0xa1b2c3d4, 4, 65535, 1);
	w.b[4] = 1;      /* version 1.4 */
	u = run_reader(w.b, w.n);
	assert_int_equal(u->open_rc, TC_MALFORMED);
	assert_err_contains(u, "pcap file version 1.4");
	run_free(u);

	w.b[4] = 2;
	w.b[6] = 5;      /* version 2.5 */
	u = run_reader(w.b, w.n);
	assert_int_equal(u->open_rc, TC_MALFORMED);
	assert_err_contains(u, "unsupported pcap file version 2.5");
	run_free(u);

	u = run_reader(w.b, 12);
	assert_int_equal(u->open_rc, TC_TRUNCATED);
	assert_string_equal(u->r.err, "truncated pcap file header (12 of 24 bytes)");
	run_free(u);
}

static void test_pcap_truncated_record_message(void **state)
{
	struct bld w = { .le = true };
	struct run *u;

	(void)state;
	pcap_hdr(&w, 0xa1b2c3d4, 4, 65535, 1);
	pcap_rec(&w, 1, 0, 60, 60, frame_bytes);
	pcap_rec(&w, 1, 0, 200, 1514, frame_bytes);
	u = run_reader(w.b, w.n - 170);
	assert_int_equal(u->n, 1);
	assert_int_equal(u->end_rc, TC_TRUNCATED);
	assert_string_equal(u->r.err,
			    "truncated record at byte 100 (frame 2): header says 200 captured bytes, 30 left");
	run_free(u);

	u = run_reader(w.b, 100 + 7);
	assert_int_equal(u->end_rc, TC_TRUNCATED);
	assert_string_equal(u->r.err,
			    "truncated record header at byte 100 (frame 2): 7 of 16 bytes");
	run_free(u);
}

static void test_not_a_capture(void **state)
{
	static const char text[] = "#!/usr/bin/env python3\nprint('hi')\n";
	static const uint8_t junk[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	static const uint8_t magic3[] = { 0xd4, 0xc3, 0xb2 };
	static const uint8_t other3[] = { 0x12, 0x34, 0x56 };
	static const struct {
		uint8_t head[8];
		const char *says;
	} packed[] = {
		{ { 0x1f, 0x8b, 0x08, 0x08, 0, 0, 0, 0 },
		  "(magic 0x1f8b0808): gzip-compressed; decompress it first, or pipe it in: "
		  "gzip -dc FILE | tuplecheck COMMAND -" },
		{ { 0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0 }, "zstd-compressed" },
		{ { 0xfd, '7', 'z', 'X', 'Z', 0, 0, 0 }, "xz-compressed" },
		{ { 'B', 'Z', 'h', '9', '1', 'A', 'Y', '&' }, "bzip2-compressed" },
		{ { 0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0 }, "lz4-compressed" },
	};
	struct run *u;

	(void)state;
	u = run_reader((const uint8_t *)text, sizeof(text) - 1);
	assert_int_equal(u->open_rc, TC_MALFORMED);
	assert_err_contains(u, "not a pcap or pcapng file (magic 0x23212f75");
	assert_err_contains(u, "text");
	run_free(u);

	u = run_reader(junk, sizeof(junk));
	assert_int_equal(u->open_rc, TC_MALFORMED);
	assert_string_equal(u->r.err, "not a pcap or pcapng file (magic 0x00010203)");
	run_free(u);

	u = run_reader(magic3, sizeof(magic3));
	assert_int_equal(u->open_rc, TC_TRUNCATED);
	run_free(u);

	u = run_reader(other3, sizeof(other3));
	assert_int_equal(u->open_rc, TC_MALFORMED);
	assert_err_contains(u, "only 3 bytes");
	run_free(u);

	/* a compressed capture: named, with what to do about it */
	for (size_t i = 0; i < TC_ARRAY_SIZE(packed); i++) {
		u = run_reader(packed[i].head, sizeof(packed[i].head));
		assert_int_equal(u->open_rc, TC_MALFORMED);
		assert_err_contains(u, packed[i].says);
		run_free(u);
	}
}

static void test_empty_file(void **state)
{
	struct run *u;
	struct cap_packet pk;

	(void)state;
	u = run_reader((const uint8_t *)"", 0);
	assert_int_equal(u->open_rc, TC_END);
	assert_string_equal(u->r.err, "empty file");
	assert_int_equal(cap_next(&u->r, &pk), TC_END);
	run_free(u);
}

/* ==== pcapng ============================================================ */

/* Two interfaces: Ethernet at 10^-9 with an offset, raw IP at 2^-10. */
static size_t build_ng_two_ifaces(struct bld *w, bool le)
{
	ng_shb(w, le);
	ng_idb(w, 1, 0, 9, -100);
	ng_idb(w, 101, 128, 0x80 | 10, 0);
	ng_epb(w, 0, 1234567890123456789ull, 60, 60, frame_bytes);
	ng_epb(w, 1, 1000ull * 1024 + 512, 33, 40, frame_bytes + 60);
	ng_epb(w, 0, 5, 1, 1, frame_bytes + 100);
	return w->n;
}

static void test_ng_two_interfaces(void **state)
{
	static const bool orders[] = { true, false };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct bld w = { 0 };
		struct run *u;

		build_ng_two_ifaces(&w, orders[i]);
		u = run_reader(w.b, w.n);
		assert_int_equal(u->open_rc, TC_OK);
		assert_int_equal(u->r.format, CAP_FMT_PCAPNG);
		assert_int_equal(u->r.linktype, 1);       /* known at open */
		assert_int_equal(u->end_rc, TC_END);
		assert_int_equal(u->n, 3);
		assert_int_equal(u->r.n_ifaces, 2);

		assert_int_equal(u->pk[0].linktype, 1);
		assert_int_equal(u->pk[0].ifindex, 0);
		assert_int_equal(u->pk[0].ts_sec, 1234567890 - 100);
		assert_int_equal(u->pk[0].ts_nsec, 123456789);
		assert_int_equal(u->pk[0].ts_digits, 9);
		assert_int_equal(u->pk[0].caplen, 60);
		assert_memory_equal(u->pk[0].data, frame_bytes, 60);

		assert_int_equal(u->pk[1].linktype, 101);
		assert_int_equal(u->pk[1].ifindex, 1);
		assert_int_equal(u->pk[1].ts_sec, 1000);
		assert_int_equal(u->pk[1].ts_nsec, 500000000);
		assert_int_equal(u->pk[1].ts_digits, 6);
		assert_int_equal(u->pk[1].caplen, 33);
		assert_int_equal(u->pk[1].origlen, 40);
		assert_memory_equal(u->pk[1].data, frame_bytes + 60, 33);

		/* 5 ns after the epoch, minus 100 s of offset */
		assert_int_equal(u->pk[2].ts_sec, -100);
		assert_int_equal(u->pk[2].ts_nsec, 5);
		run_free(u);
	}
}

/* Binary resolutions finer than 2^-34 are still exact (no 64-bit overflow). */
static void test_ng_fine_binary_resolution(void **state)
{
	struct bld w = { 0 };
	struct run *u;

	(void)state;
	ng_shb(&w, true);
	ng_idb(&w, 1, 0, 0x80 | 40, 0);
	ng_epb(&w, 0, (1000ull << 40) + (1ull << 39) + 12345, 10, 10, frame_bytes);
	ng_idb(&w, 1, 0, 12, 0);   /* picoseconds: rounded down to ns */
	ng_epb(&w, 1, 1999999999999ull, 10, 10, frame_bytes);
	u = run_reader(w.b, w.n);
	assert_int_equal(u->n, 2);
	assert_int_equal(u->pk[0].ts_sec, 1000);
	/* floor((2^39 + 12345) * 1e9 / 2^40) = 500000000 + 11 */
	assert_int_equal(u->pk[0].ts_nsec, 500000011);
	assert_int_equal(u->pk[0].ts_digits, 9);
	assert_int_equal(u->pk[1].ts_sec, 1);
	assert_int_equal(u->pk[1].ts_nsec, 999999999);
	run_free(u);
}

static void test_ng_spb_pb_unknown(void **state)
{
	struct bld w = { 0 };
	struct run *u;
	size_t at;

	(void)state;
	ng_shb(&w, true);
	at = ng_begin(&w, 0x80000123);         /* unknown (custom) block */
	putbytes(&w, frame_bytes, 13);
	ng_end(&w, at);
	ng_idb(&w, 1, 50, -1, 0);
	at = ng_begin(&w, 3);                  /* SPB, len 60 > snaplen 50 */
	put32(&w, 60);
	putbytes(&w, frame_bytes, 50);
	ng_end(&w, at);
	at = ng_begin(&w, 3);                  /* SPB, len 20 */
	put32(&w, 20);
	putbytes(&w, frame_bytes, 20);
	ng_end(&w, at);
	at = ng_begin(&w, 3);                  /* SPB whose body is shorter than both */
	put32(&w, 45);
	putbytes(&w, frame_bytes, 12);
	ng_end(&w, at);
	at = ng_begin(&w, 2);                  /* obsolete PB */
	put16(&w, 0);
	put16(&w, 3);
	put32(&w, 0);
	put32(&w, 2500000);
	put32(&w, 7);
	put32(&w, 9);
	putbytes(&w, frame_bytes + 1, 7);
	ng_end(&w, at);
	at = ng_begin(&w, 5);                  /* ISB: skipped */
	put32(&w, 0);
	ng_end(&w, at);
	u = run_reader(w.b, w.n);
	assert_int_equal(u->end_rc, TC_END);
	assert_int_equal(u->n, 4);
	assert_int_equal(u->pk[0].caplen, 50);
	assert_int_equal(u->pk[0].origlen, 60);
	assert_int_equal(u->pk[0].flags, CAP_F_NO_TS);
	assert_int_equal(u->pk[1].caplen, 20);
	assert_int_equal(u->pk[2].caplen, 12);
	assert_int_equal(u->pk[2].origlen, 45);
	assert_int_equal(u->pk[3].flags, CAP_F_OBSOLETE_PB);
	assert_int_equal(u->pk[3].caplen, 7);
	assert_int_equal(u->pk[3].origlen, 9);
	assert_int_equal(u->pk[3].ts_sec, 2);
	assert_int_equal(u->pk[3].ts_nsec, 500000000);
	assert_memory_equal(u->pk[3].data, frame_bytes + 1, 7);
	run_free(u);
}

/* A second section in the other byte order has its own interfaces. */
static void test_ng_sections(void **state)
{
	struct bld w = { 0 };
	struct run *u;
	size_t second;

	(void)state;
	ng_shb(&w, true);
	ng_idb(&w, 1, 0, -1, 0);
	ng_idb(&w, 113, 0, -1, 0);
	ng_epb(&w, 1, 3000000, 10, 10, frame_bytes);
	second = w.n;
	ng_shb(&w, false);
	ng_idb(&w, 228, 0, 9, 0);
	ng_epb(&w, 0, 4000000000ull, 11, 11, frame_bytes + 10);
	u = run_reader(w.b, w.n);
	assert_int_equal(u->end_rc, TC_END);
	assert_int_equal(u->n, 2);
	assert_int_equal(u->pk[0].linktype, 113);
	assert_int_equal(u->pk[0].ts_sec, 3);
	assert_int_equal(u->pk[1].linktype, 228);
	assert_int_equal(u->pk[1].ifindex, 0);
	assert_int_equal(u->pk[1].ts_sec, 4);
	assert_int_equal(u->pk[1].ts_digits, 9);
	assert_false(u->r.swapped);
	assert_int_equal(u->r.n_sections, 2);
	run_free(u);

	/* interface 1 of the first section does not exist in the second */
	w.n = second;
	ng_shb(&w, false);
	ng_idb(&w, 228, 0, 9, 0);
	ng_epb(&w, 1, 1, 11, 11, frame_bytes);
	u = run_reader(w.b, w.n);
	assert_int_equal(u->n, 1);
	assert_int_equal(u->end_rc, TC_MALFORMED);
	assert_err_contains(u, "(frame 2): interface 1, but the section describes 1 interface");
	run_free(u);
}

/* SHB versions (libpcap's rules): the first section must be 1.0 or 1.2
 * (1.1 was never defined), a later one may be any 1.x; 2.x never. */
static void test_ng_shb_versions(void **state)
{
	static const struct { uint16_t maj, min; bool first_ok; } v[] = {
		{ 1, 0, true }, { 1, 2, true }, { 1, 1, false }, { 1, 5, false }, { 2, 0, false },
	};

	(void)state;
	for (size_t i = 0; i < TC_ARRAY_SIZE(v); i++) {
		struct bld w = { 0 };
		struct run *u;
		size_t second;

		/* as the first section */
		ng_shb(&w, true);
		ng_idb(&w, 1, 0, -1, 0);
		ng_epb(&w, 0, 1, 20, 20, frame_bytes);
		w.n = 12;
		put16(&w, v[i].maj);
		put16(&w, v[i].min);
		w.n = 28 + 20 + 52;
		u = run_reader(w.b, w.n);
		if (v[i].first_ok) {
			assert_int_equal(u->end_rc, TC_END);
			assert_int_equal(u->n, 1);
		} else {
			assert_int_equal(u->open_rc, TC_MALFORMED);
			assert_err_contains(u, "unsupported version");
		}
		run_free(u);

		/* as the second section: any 1.x */
		w.n = 12;
		put32(&w, 0x00000001);   /* back to 1.0 (le: 1, 0) */
		w.n = second = 28 + 20 + 52;
		ng_shb(&w, false);
		ng_idb(&w, 1, 0, -1, 0);
		ng_epb(&w, 0, 2, 20, 20, frame_bytes);
		{
			size_t end = w.n;

			w.n = second + 12;
			put16(&w, v[i].maj);
			put16(&w, v[i].min);
			w.n = end;
		}
		u = run_reader(w.b, w.n);
		assert_int_equal(u->open_rc, TC_OK);
		if (v[i].maj == 1) {
			assert_int_equal(u->end_rc, TC_END);
			assert_int_equal(u->n, 2);
		} else {
			assert_int_equal(u->end_rc, TC_MALFORMED);
			assert_int_equal(u->n, 1);
			assert_err_contains(u, "unsupported version 2.0");
		}
		run_free(u);
	}
}

/* Corrupt one 32-bit field of a valid file and expect a named reason. */
static void expect_malformed(const struct bld *w, size_t at, uint32_t v, bool le,
			     size_t records, const char *why)
{
	struct bld c = *w;
	struct run *u;

	c.le = le;
	c.n = at;
	put32(&c, v);
	c.n = w->n;
	u = run_reader(c.b, c.n);
	if (u->end_rc != TC_MALFORMED)
		fail_msg("expected malformed for \"%s\", got %s (%s)", why,
			 tc_rc_name(u->end_rc), u->r.err);
	assert_int_equal(u->n, records);
	assert_err_contains(u, why);
	run_free(u);
}

static void test_ng_corrupt_lengths(void **state)
{
	struct bld w = { 0 };
	size_t shb_len, idb0, epb0;
	uint8_t v2[2] = { 9, 9 };

	(void)state;
	ng_shb(&w, true);
	shb_len = w.n;
	idb0 = w.n;
	ng_idb(&w, 1, 0, 6, 0);
	epb0 = w.n;
	ng_epb(&w, 0, 1, 20, 20, frame_bytes);
	ng_epb(&w, 0, 2, 20, 20, frame_bytes);
	/* w: SHB 28, IDB 32 at 28, EPB 52 at 60, EPB 52 at 112 */
	assert_int_equal(shb_len, 28);
	assert_int_equal(epb0, 60);

	expect_malformed(&w, 112 + 4, 7, true, 1,
			 "pcapng enhanced packet block at offset 112 (frame 2): total length 7 is below the minimum 12");
	expect_malformed(&w, 112 + 4, 50, true, 1,
			 "total length 50 is not a multiple of 4");
	expect_malformed(&w, 112 + 48, 56, true, 1,
			 "trailing total length 56 differs from the leading 52");
	expect_malformed(&w, 4, 24, true, 0,
			 "pcapng section header block at offset 0: total length 24 is below the minimum 28");
	expect_malformed(&w, 8, 0x01020304, true, 0, "byte-order magic 0x04030201");
	expect_malformed(&w, epb0 + 20, 33, true, 0,
			 "captured length 33 runs past the block body");
	expect_malformed(&w, epb0 + 8, 2, true, 0,
			 "interface 2, but the section describes 1 interface");
	expect_malformed(&w, idb0 + 8 + 4, 8, true, 0,
			 "above the snapshot length 8 of interface 0");
	/* if_tsresol option: code 9, length 2 */
	expect_malformed(&w, idb0 + 16, 9 | 2u << 16, true, 0,
			 "if_tsresol has length 2, expected 1");
	/* if_tsresol 2^-64 */
	expect_malformed(&w, idb0 + 20, 0x80 | 64, true, 0, "if_tsresol 2^-64");
	/* option length running past the block */
	expect_malformed(&w, idb0 + 16, 9 | 200u << 16, true, 0, "runs past the block end");

	/* a repeated if_tsresol */
	w.n = idb0;
	{
		size_t at = ng_begin(&w, 1);

		put16(&w, 1); put16(&w, 0); put32(&w, 0);
		ng_opt(&w, 9, v2, 1);
		ng_opt(&w, 9, v2 + 1, 1);
		ng_end(&w, at);
	}
	ng_epb(&w, 0, 1, 20, 20, frame_bytes);
	{
		struct run *u = run_reader(w.b, w.n);

		assert_int_equal(u->end_rc, TC_MALFORMED);
		assert_err_contains(u, "if_tsresol appears twice");
		run_free(u);
	}
}

static void test_ng_block_past_end(void **state)
{
	struct bld w = { 0 };
	struct run *u;

	(void)state;
	ng_shb(&w, false);
	ng_idb(&w, 1, 0, -1, 0);
	ng_epb(&w, 0, 1, 60, 60, frame_bytes);
	w.le = false;
	w.n = 28 + 20 + 4;
	put32(&w, 4096);                       /* EPB total length 4096 */
	w.n = 28 + 20 + 92;
	u = run_reader(w.b, w.n);
	assert_int_equal(u->end_rc, TC_TRUNCATED);
	assert_string_equal(u->r.err,
			    "truncated pcapng enhanced packet block at offset 48 (frame 1): total length 4096, 92 bytes left");
	run_free(u);
}

/* A block of the given type whose body is n bytes of filler after a 32-bit
 * first word (a custom block's PEN, anything for the others). */
static void ng_other(struct bld *w, uint32_t type, uint32_t first, size_t n)
{
	size_t at = ng_begin(w, type);

	put32(w, first);
	putbytes(w, frame_bytes, n);
	ng_end(w, at);
}

/*
 * Frame numbers as Wireshark gives them (SPEC.md): the blocks tshark 4.0
 * turns into records without a packet (custom blocks of any PEN, systemd
 * Journal Export, sysdig events 0x204/0x216/0x221) take a number each; the
 * ones it reads as metadata or skips (NRB, ISB, DSB, sysdig blocks with
 * flags, local-use and unknown types) do not. tests/t_tshark_frames.sh holds
 * the same list to tshark itself.
 */
static void test_ng_frame_numbers(void **state)
{
	static const bool orders[] = { true, false };

	(void)state;
	for (size_t o = 0; o < 2; o++) {
		struct bld w = { 0 };
		struct cap_reader r;
		struct cap_packet pk;
		uint64_t frames[8] = { 0 };   /* for clang --analyze: n is asserted below */
		size_t n = 0, at, cut;
		uint8_t *copy;

		ng_shb(&w, orders[o]);
		ng_other(&w, 0x00000bad, 1, 8);          /* 1: custom, PEN 1 */
		ng_other(&w, 4, 0, 4);                   /* NRB */
		ng_idb(&w, 1, 0, -1, 0);
		ng_epb(&w, 0, 1, 20, 20, frame_bytes);   /* 2 */
		ng_other(&w, 5, 0, 16);                  /* ISB */
		ng_other(&w, 10, 0x544c534b, 8);         /* DSB */
		ng_other(&w, 9, 0x5f5f5245, 40);         /* 3: systemd journal */
		ng_other(&w, 0x204, 0, 32);              /* 4: sysdig event */
		ng_epb(&w, 0, 2, 20, 20, frame_bytes);   /* 5 */
		ng_other(&w, 0x216, 0, 32);              /* 6: sysdig event v2 */
		ng_other(&w, 0x221, 0, 32);              /* 7: sysdig event v2 large */
		ng_other(&w, 0x40000bad, 32473, 3);      /* 8: custom, not to copy */
		ng_other(&w, 0x208, 0, 32);              /* sysdig blocks with flags */
		ng_other(&w, 0x217, 0, 32);
		ng_other(&w, 0x222, 0, 32);
		ng_other(&w, 0x205, 0, 32);              /* other sysdig blocks */
		ng_other(&w, 0x80000bad, 1, 8);          /* local use, not custom */
		ng_other(&w, 0xc0000bad, 1, 8);
		ng_other(&w, 0x12345678, 0, 4);          /* unknown */
		ng_epb(&w, 0, 3, 20, 20, frame_bytes);   /* 9 */
		at = ng_begin(&w, 3);                    /* 10: SPB */
		put32(&w, 5);
		putbytes(&w, frame_bytes, 5);
		ng_end(&w, at);
		/* a second section: frame numbers go on */
		ng_shb(&w, !orders[o]);
		ng_other(&w, 0x00000bad, 0xffffffffu, 0);  /* 11 */
		ng_idb(&w, 1, 0, -1, 0);
		ng_epb(&w, 0, 4, 20, 20, frame_bytes);   /* 12 */
		check_all_windows(w.b, w.n);

		copy = exact_copy(w.b, w.n);
		assert_int_equal(cap_open(&r, copy, w.n), TC_OK);
		while (n < TC_ARRAY_SIZE(frames) && cap_next(&r, &pk) == TC_OK)
			frames[n++] = pk.frame;
		assert_int_equal(cap_next(&r, &pk), TC_END);
		assert_int_equal(n, 5);
		assert_int_equal(frames[0], 2);
		assert_int_equal(frames[1], 5);
		assert_int_equal(frames[2], 9);
		assert_int_equal(frames[3], 10);
		assert_int_equal(frames[4], 12);
		assert_int_equal(r.frame, 12);
		free(copy);

		/* a packet block cut after a counted block names its number */
		cut = w.n;
		ng_other(&w, 0x204, 0, 32);              /* 13 */
		at = w.n;
		ng_epb(&w, 0, 5, 20, 20, frame_bytes);   /* 14, cut */
		w.n -= 4;
		copy = exact_copy(w.b, w.n);
		assert_int_equal(cap_open(&r, copy, w.n), TC_OK);
		n = 0;
		while (cap_next(&r, &pk) == TC_OK)
			n++;
		assert_int_equal(n, 5);
		assert_int_equal(r.state, TC_TRUNCATED);
		{
			char want[160];

			snprintf(want, sizeof(want),
				 "truncated pcapng enhanced packet block at offset %zu (frame 14): total length 52, 48 bytes left",
				 at);
			assert_string_equal(r.err, want);
		}
		free(copy);
		w.n = cut;
	}
}

/*
 * More interfaces than the reader holds in itself (CAP_INLINE_IFACES): the
 * table moves to the heap and doubles (256 -> 512 -> 1024 here), each
 * interface keeps its own link type, snapshot length and resolution, a new
 * section starts a new table, and ids past the section's count are still
 * refused. Read whole and in windows (run_reader); LeakSanitizer checks
 * that cap_close releases the table.
 */
static void test_ng_many_interfaces(void **state)
{
	static const uint32_t ids[] = { 0, 255, 256, 511, 512, 599 };
	static const bool orders[] = { true, false };

	(void)state;
	for (size_t o = 0; o < 2; o++) {
		struct bld w = { 0 };
		struct run *u;
		size_t k;

		ng_shb(&w, orders[o]);
		for (uint32_t i = 0; i < 600; i++)
			ng_idb(&w, i % 2 ? 101 : 1, 100 + i, i % 3 ? -1 : 9, 0);
		for (k = 0; k < TC_ARRAY_SIZE(ids); k++)
			ng_epb(&w, ids[k], 1000000000ull + k, 40, 40, frame_bytes);
		ng_shb(&w, !orders[o]);
		ng_idb(&w, 228, 0, -1, 0);
		ng_idb(&w, 229, 0, -1, 0);
		ng_idb(&w, 1, 0, -1, 0);
		ng_epb(&w, 2, 7, 10, 10, frame_bytes);
		ng_epb(&w, 3, 8, 10, 10, frame_bytes);
		u = run_reader(w.b, w.n);
		assert_int_equal(u->open_rc, TC_OK);
		assert_int_equal(u->n, TC_ARRAY_SIZE(ids) + 1);
		for (k = 0; k < TC_ARRAY_SIZE(ids); k++) {
			uint32_t i = ids[k];

			assert_int_equal(u->pk[k].ifindex, i);
			assert_int_equal(u->pk[k].linktype, i % 2 ? 101 : 1);
			assert_int_equal(u->pk[k].ts_digits, i % 3 ? 6 : 9);
			assert_int_equal(u->pk[k].ts_sec, i % 3 ? 1000 : 1);
			assert_memory_equal(u->pk[k].data, frame_bytes, 40);
		}
		assert_int_equal(u->pk[k].linktype, 1);
		assert_int_equal(u->pk[k].ifindex, 2);
		assert_int_equal(u->end_rc, TC_MALFORMED);
		assert_err_contains(u, "interface 3, but the section describes 3 interfaces");
		assert_int_equal(u->r.n_ifaces, 3);
		run_free(u);

		/* the first section alone ends cleanly with its 600 interfaces,
		 * each as its IDB described it */
		w.n = 0;
		ng_shb(&w, orders[o]);
		for (uint32_t i = 0; i < 600; i++)
			ng_idb(&w, i % 2 ? 101 : 1, 100 + i, i % 3 ? -1 : 9, 0);
		u = run_reader(w.b, w.n);
		assert_int_equal(u->end_rc, TC_END);
		assert_int_equal(u->r.n_ifaces, 600);
		for (uint32_t i = 0; i < 600; i++) {
			assert_int_equal(u->r.ifaces[i].linktype, i % 2 ? 101 : 1);
			assert_int_equal(u->r.ifaces[i].snaplen, 100 + i);
		}
		run_free(u);
	}
}

/* The bound: CAP_MAX_IFACES interfaces in a section are read, one more is
 * refused with a reason (a file of 1.3 MB, built on the heap). */
static void test_ng_interface_bound(void **state)
{
	size_t idb_len = 20, n = 28 + (size_t)(CAP_MAX_IFACES + 1) * idb_len + 52;
	uint8_t *buf = malloc(n);
	struct bld w = { 0 };
	struct cap_reader *r = malloc(sizeof(*r));
	struct cap_packet pk;
	size_t at;
	char want[160];

	(void)state;
	assert_non_null(buf);
	assert_non_null(r);
	ng_shb(&w, true);
	ng_idb(&w, 1, 0, -1, 0);
	assert_int_equal(w.n, 28 + idb_len);
	memcpy(buf, w.b, 28);
	for (at = 28; at < 28 + (size_t)(CAP_MAX_IFACES + 1) * idb_len; at += idb_len)
		memcpy(buf + at, w.b + 28, idb_len);
	w.n = 0;
	ng_epb(&w, CAP_MAX_IFACES - 1, 5, 20, 20, frame_bytes);
	assert_int_equal(w.n, 52);

	/* CAP_MAX_IFACES interfaces, then a packet on the last one */
	at = 28 + (size_t)CAP_MAX_IFACES * idb_len;
	memcpy(buf + at, w.b, 52);
	assert_int_equal(cap_open(r, buf, at + 52), TC_OK);
	assert_int_equal(cap_next(r, &pk), TC_OK);
	assert_int_equal(pk.ifindex, CAP_MAX_IFACES - 1);
	assert_int_equal(r->n_ifaces, CAP_MAX_IFACES);
	assert_int_equal(cap_next(r, &pk), TC_END);
	cap_close(r);

	/* one more IDB (where the packet was) */
	memcpy(buf + at, buf + 28, idb_len);
	memcpy(buf + at + idb_len, w.b, 52);
	assert_int_equal(cap_open(r, buf, n), TC_OK);
	assert_int_equal(cap_next(r, &pk), TC_MALFORMED);
	snprintf(want, sizeof(want),
		 "pcapng interface description block at offset %zu: more than %u interfaces in one section (this reader's limit)",
		 at, CAP_MAX_IFACES);
	assert_string_equal(r->err, want);
	cap_close(r);
	cap_close(r);                   /* twice: nothing more to release */
	free(r);
	free(buf);
}

/* Read b whole, then in windows of 64 bytes told `size`; the whole read must
 * end as want_rc with reason want_err; returns the longest window used. */
static size_t sized_read(const struct bld *w, uint64_t size, enum tc_rc want_rc,
			 const char *want_err)
{
	struct whole *wh = malloc(sizeof(*wh));
	uint8_t *copy = exact_copy(w->b, w->n);
	size_t longest;

	assert_non_null(wh);
	read_whole(copy, w->n, wh);
	assert_int_equal(wh->end_rc, want_rc);
	assert_string_equal(wh->r.err, want_err);
	longest = check_windowed(copy, w->n, 64, wh, size);
	free(copy);
	free(wh);
	return longest;
}

/*
 * A corrupt length claiming far more than the input holds (capture.h
 * cap_open_input). Told the file's size, the reader fails as soon as the
 * window shows the length, with the sentence the end of the file gives, so
 * the window never grows; not told, it wants a window reaching the end of
 * the file (what made memory grow to the file's size). Told it is a stream,
 * a block above libpcap's limit fails at once naming the limit.
 */
static void test_corrupt_length_known_size(void **state)
{
	struct bld w = { 0 };
	size_t bad, longest;
	char want[256];

	(void)state;
	ng_shb(&w, true);
	ng_idb(&w, 1, 0, -1, 0);
	ng_epb(&w, 0, 1, 20, 20, frame_bytes);
	bad = w.n;
	ng_epb(&w, 0, 2, 20, 20, frame_bytes);
	w.n = bad + 4;
	put32(&w, 0xfffffff0u);
	w.n = bad + 52;
	while (w.n < 20000)
		ng_epb(&w, 0, 3, 20, 20, frame_bytes);
	snprintf(want, sizeof(want),
		 "truncated pcapng enhanced packet block at offset %zu (frame 2): total length 4294967280, %zu bytes left",
		 bad, w.n - bad);
	longest = sized_read(&w, w.n, TC_TRUNCATED, want);
	assert_true(longest <= 2 * 64 + 100);
	longest = sized_read(&w, CAP_SIZE_UNKNOWN, TC_TRUNCATED, want);
	assert_true(longest >= w.n - bad);      /* the whole rest of the file */

	/* on a stream: refused at once, naming the limit */
	{
		struct cap_reader r;
		struct cap_packet pk;
		uint8_t *win = exact_copy(w.b, 200);

		assert_int_equal(cap_open_input(&r, win, 200, CAP_SIZE_STREAM), TC_OK);
		assert_int_equal(cap_next(&r, &pk), TC_OK);
		assert_int_equal(cap_next(&r, &pk), TC_MALFORMED);
		snprintf(want, sizeof(want),
			 "pcapng enhanced packet block at offset %zu (frame 2): total length 4294967280 is above 16777216 bytes, the largest block read from a stream (libpcap's limit for the link types seen)",
			 bad);
		assert_string_equal(r.err, want);
		cap_close(&r);
		free(win);
	}

	/* the same at the section header, and at the first IDB (cap_open's
	 * look-ahead must not ask for more) */
	w.n = 4;
	put32(&w, 0xfffffff0u);
	w.n = 20000;
	snprintf(want, sizeof(want),
		 "truncated pcapng section header block at offset 0: total length 4294967280, 20000 bytes left");
	{
		struct whole *wh = malloc(sizeof(*wh));

		assert_non_null(wh);
		read_whole(w.b, w.n, wh);
		assert_int_equal(wh->open_rc, TC_TRUNCATED);
		assert_string_equal(wh->r.err, want);
		assert_true(check_windowed(w.b, w.n, 64, wh, w.n) <= 64);
		free(wh);
	}
	w.n = 4;
	put32(&w, 28);
	w.n = 28 + 4;
	put32(&w, 0x7ffffff0u);
	w.n = 20000;
	snprintf(want, sizeof(want),
		 "truncated pcapng interface description block at offset 28: total length 2147483632, 19972 bytes left");
	longest = sized_read(&w, w.n, TC_TRUNCATED, want);
	assert_true(longest <= 64);

	/* a block that the file does hold is waited for as before */
	w.n = 28 + 4;
	put32(&w, 20);
	w.n = 48 + 4;
	put32(&w, 19952);          /* the first EPB, to the end of the file: trailer differs */
	w.n = 20000;
	snprintf(want, sizeof(want),
		 "pcapng enhanced packet block at offset 48 (frame 1): trailing total length %u differs from the leading 19952",
		 0x01020304u);
	w.n = 20000 - 4;
	put32(&w, 0x01020304u);
	longest = sized_read(&w, w.n, TC_MALFORMED, want);
	assert_true(longest >= 19952);
}

/* Streams: the block limit grows with a link type whose packets can be larger
 * (D-Bus: 128 MiB), as libpcap's does; pcap records past a known end. */
static void test_stream_block_limit(void **state)
{
	struct bld w = { 0 };
	struct cap_reader r;
	struct cap_packet pk;
	uint8_t *win;
	size_t at;
	char want[256];

	(void)state;
	ng_shb(&w, false);
	ng_idb(&w, 1, 0, -1, 0);
	ng_idb(&w, 231, 0, -1, 0);              /* D-Bus */
	at = w.n;
	ng_epb(&w, 1, 1, 20, 20, frame_bytes);
	w.n = at + 4;
	put32(&w, 20u << 20);                   /* 20 MiB: allowed with D-Bus */
	w.n = at + 52;
	win = exact_copy(w.b, w.n);
	assert_int_equal(cap_open_input(&r, win, w.n, CAP_SIZE_STREAM), TC_OK);
	assert_int_equal(cap_next(&r, &pk), TC_TRUNCATED);   /* more, please */
	cap_close(&r);
	free(win);
	/* the limit itself is allowed, 4 bytes more is not */
	for (int k = 0; k < 2; k++) {
		w.n = at + 4;
		put32(&w, 32u + (128u << 20) + 131072u + 4u * (uint32_t)k);
		w.n = at + 52;
		win = exact_copy(w.b, w.n);
		assert_int_equal(cap_open_input(&r, win, w.n, CAP_SIZE_STREAM), TC_OK);
		assert_int_equal(cap_next(&r, &pk), k == 0 ? TC_TRUNCATED : TC_MALFORMED);
		cap_close(&r);
		free(win);
	}
	w.n = at + 4;
	put32(&w, 200u << 20);                  /* 200 MiB: not even with D-Bus */
	w.n = at + 52;
	win = exact_copy(w.b, w.n);
	assert_int_equal(cap_open_input(&r, win, w.n, CAP_SIZE_STREAM), TC_OK);
	assert_int_equal(cap_next(&r, &pk), TC_MALFORMED);
	snprintf(want, sizeof(want),
		 "pcapng enhanced packet block at offset %zu (frame 1): total length 209715200 is above %u bytes, the largest block read from a stream (libpcap's limit for the link types seen)",
		 at, 32u + (128u << 20) + 131072u);
	assert_string_equal(r.err, want);
	cap_close(&r);
	free(win);

	/* pcap, D-Bus (records up to 128 MiB): a record past the known end */
	w.n = 0;
	w.le = true;
	pcap_hdr(&w, 0xa1b2c3d4, 4, 0, 231);
	pcap_rec(&w, 1, 2, 60, 60, frame_bytes);
	at = w.n;
	pcap_rec(&w, 3, 4, 20, 20, frame_bytes);
	w.n = at + 8;
	put32(&w, 100000000);
	w.n = 20000;
	snprintf(want, sizeof(want),
		 "truncated record at byte %zu (frame 2): header says 100000000 captured bytes, %zu left",
		 at, 20000 - at - 16);
	assert_true(sized_read(&w, w.n, TC_TRUNCATED, want) <= 2 * 64 + 100);
	assert_true(sized_read(&w, CAP_SIZE_UNKNOWN, TC_TRUNCATED, want) >= 20000 - at);
}

/* ==== every truncation prefix =========================================== */

/*
 * For each prefix of a valid file: open and read on an exact-size copy. The
 * reader must return exactly the records that fit completely, identical to
 * the full file's, and then end with TC_TRUNCATED - or TC_END where the
 * prefix ends on a record or block boundary (bounds[]), TC_END "empty file"
 * for the empty prefix - never TC_MALFORMED, never an over-read (ASan).
 * rec_ends[] lists where each packet record ends.
 */
static void check_prefixes(const uint8_t *b, size_t n, const size_t *rec_ends,
			   size_t n_recs, const size_t *bounds, size_t n_bounds)
{
	struct run *full = run_reader(b, n);

	assert_int_equal(full->end_rc, TC_END);
	assert_int_equal(full->n, n_recs);
	for (size_t len = 0; len < n; len++) {
		struct run *u = run_reader(b, len);
		size_t fit = 0;
		bool at_bound = len == 0;

		for (size_t k = 0; k < n_recs; k++)
			if (rec_ends[k] <= len)
				fit = k + 1;
		for (size_t k = 0; k < n_bounds; k++)
			if (bounds[k] == len)
				at_bound = true;
		if (at_bound ? u->end_rc != TC_END : u->end_rc != TC_TRUNCATED)
			fail_msg("prefix %zu of %zu: %s (%s)", len, n,
				 tc_rc_name(u->end_rc), u->r.err);
		if (!at_bound || len == 0)
			assert_true(u->r.err[0] != '\0');
		if (u->n != fit)
			fail_msg("prefix %zu: %zu records, expected %zu", len, u->n, fit);
		for (size_t k = 0; k < u->n; k++) {
			assert_int_equal(u->pk[k].caplen, full->pk[k].caplen);
			assert_int_equal(u->pk[k].origlen, full->pk[k].origlen);
			assert_int_equal(u->pk[k].ts_sec, full->pk[k].ts_sec);
			assert_int_equal(u->pk[k].ts_nsec, full->pk[k].ts_nsec);
			assert_memory_equal(u->pk[k].data, full->pk[k].data, u->pk[k].caplen);
		}
		run_free(u);
	}
	run_free(full);
}

static void test_pcap_every_prefix(void **state)
{
	static const uint32_t magics[] = { 0xa1b2c3d4, 0xa1b23c4d };

	(void)state;
	for (size_t m = 0; m < 2; m++) {
		for (int le = 0; le < 2; le++) {
			struct bld w = { .le = le != 0 };
			size_t ends[4];

			pcap_hdr(&w, magics[m], 4, 65535, 1);
			ends[0] = w.n;
			pcap_rec(&w, 1, 2, 60, 60, frame_bytes);
			ends[1] = w.n;
			pcap_rec(&w, 3, 4, 0, 0, frame_bytes);
			ends[2] = w.n;
			pcap_rec(&w, 5, 6, 17, 100, frame_bytes);
			ends[3] = w.n;
			check_prefixes(w.b, w.n, ends + 1, 3, ends, 4);
		}
	}
}

static void test_pcapng_every_prefix(void **state)
{
	struct bld w = { 0 };
	size_t recs[8], bounds[16], nr = 0, nb = 0, at;

	(void)state;
	ng_shb(&w, true);
	bounds[nb++] = w.n;
	ng_idb(&w, 1, 0, 9, -100);
	bounds[nb++] = w.n;
	ng_idb(&w, 101, 128, 0x80 | 10, 0);
	bounds[nb++] = w.n;
	ng_epb(&w, 0, 1234567890123456789ull, 60, 60, frame_bytes);
	bounds[nb++] = recs[nr++] = w.n;
	ng_epb(&w, 1, 1000ull * 1024 + 512, 33, 40, frame_bytes + 60);
	bounds[nb++] = recs[nr++] = w.n;
	/* a second section in the other order, an unknown block, SPB, EPB */
	ng_shb(&w, false);
	bounds[nb++] = w.n;
	ng_idb(&w, 1, 0, -1, 0);
	bounds[nb++] = w.n;
	at = ng_begin(&w, 0x40000001);
	put32(&w, 1);
	ng_end(&w, at);
	bounds[nb++] = w.n;
	at = ng_begin(&w, 3);
	put32(&w, 5);
	putbytes(&w, frame_bytes, 5);
	ng_end(&w, at);
	bounds[nb++] = recs[nr++] = w.n;
	ng_epb(&w, 0, 77, 3, 3, frame_bytes);
	bounds[nb++] = recs[nr++] = w.n;
	check_prefixes(w.b, w.n, recs, nr, bounds, nb);
}

/* ==== failure sentences of blocks that are not packets ================== */

/*
 * The block-length sentences (formatted out of line since the speed round)
 * for blocks that carry no frame number, in big-endian sections, including
 * a broken first IDB that cap_open's look-ahead passes over silently and
 * cap_next then reports, and an SHB cut inside its byte-order magic.
 */
static void test_ng_block_sentences(void **state)
{
	struct bld w = { 0 };
	struct run *u;
	size_t idb0, cust;

	(void)state;
	/* SHB 28 + IDB 20 with its total length set to 4 */
	ng_shb(&w, false);
	idb0 = w.n;
	ng_idb(&w, 1, 0, -1, 0);
	w.n = idb0 + 4;
	put32(&w, 4);
	w.n = idb0 + 20;
	u = run_reader(w.b, w.n);
	assert_int_equal(u->open_rc, TC_OK);
	assert_int_equal(u->end_rc, TC_MALFORMED);
	assert_int_equal(u->r.err_offset, 28);
	assert_string_equal(u->r.err,
			    "pcapng interface description block at offset 28: total length 4 is below the minimum 12");
	run_free(u);

	/* a custom block (type 0xbad) whose trailer differs */
	w.n = idb0;
	ng_idb(&w, 1, 0, -1, 0);
	cust = w.n;
	{
		size_t at = ng_begin(&w, 0xbad);

		put32(&w, 0x61626364);
		ng_end(&w, at);
	}
	w.n = cust + 12;
	put32(&w, 5);
	u = run_reader(w.b, w.n);
	assert_int_equal(u->end_rc, TC_MALFORMED);
	assert_int_equal(u->r.err_offset, cust);
	assert_string_equal(u->r.err,
			    "pcapng block at offset 48: trailing total length 5 differs from the leading 16");
	run_free(u);

	/* a second IDB after a packet, cut by the end of the file */
	w.n = cust;
	ng_epb(&w, 0, 1, 20, 20, frame_bytes);
	idb0 = w.n;
	ng_idb(&w, 1, 0, 6, 0);
	w.n = idb0 + 4;
	put32(&w, 400);
	w.n = idb0 + 20;
	u = run_reader(w.b, w.n);
	assert_int_equal(u->n, 1);
	assert_int_equal(u->end_rc, TC_TRUNCATED);
	assert_string_equal(u->r.err,
			    "truncated pcapng interface description block at offset 100: total length 400, 20 bytes left");
	run_free(u);

	/* an SHB of 8 to 11 bytes: the byte-order magic is cut */
	for (size_t n = 8; n < 12; n++) {
		char want[96];

		u = run_reader(w.b, n);
		assert_int_equal(u->open_rc, TC_TRUNCATED);
		snprintf(want, sizeof(want),
			 "truncated pcapng section header at offset 0: %zu of at least 28 bytes", n);
		assert_string_equal(u->r.err, want);
		run_free(u);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_magics),
		cmocka_unit_test(test_pcap_modified_magic),
		cmocka_unit_test(test_pcap_kuznetzov_snaplen),
		cmocka_unit_test(test_pcap_linktype_fcs_bits),
		cmocka_unit_test(test_pcap_clamp_to_snaplen),
		cmocka_unit_test(test_pcap_caplen_above_max),
		cmocka_unit_test(test_pcap_odd_records),
		cmocka_unit_test(test_pcap_old_versions),
		cmocka_unit_test(test_pcap_bad_headers),
		cmocka_unit_test(test_pcap_truncated_record_message),
		cmocka_unit_test(test_not_a_capture),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_ng_two_interfaces),
		cmocka_unit_test(test_ng_fine_binary_resolution),
		cmocka_unit_test(test_ng_spb_pb_unknown),
		cmocka_unit_test(test_ng_sections),
		cmocka_unit_test(test_ng_shb_versions),
		cmocka_unit_test(test_ng_corrupt_lengths),
		cmocka_unit_test(test_ng_block_past_end),
		cmocka_unit_test(test_pcap_every_prefix),
		cmocka_unit_test(test_pcapng_every_prefix),
		cmocka_unit_test(test_ng_block_sentences),
		cmocka_unit_test(test_ng_frame_numbers),
		cmocka_unit_test(test_ng_many_interfaces),
		cmocka_unit_test(test_ng_interface_bound),
		cmocka_unit_test(test_corrupt_length_known_size),
		cmocka_unit_test(test_stream_block_limit),
	};

	init_frames();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
