/*
 * capture.c - pcap and pcapng records, read from memory (capture.h).
 *
 * One pass over a caller-owned buffer, front to back, through the checked
 * cursor: nothing is copied, nothing allocated (but the interface table of a
 * pcapng section with more than CAP_INLINE_IFACES interfaces), and every
 * length is tested against the bytes left before it is used. The formats are the classic
 * libpcap file format (draft-ietf-opsawg-pcap) and pcapng
 * (draft-ietf-opsawg-pcapng). Where the drafts leave a corrupt file's
 * handling open, the reader takes the rule libpcap 1.10 applies, so the two
 * can be compared record by record; the rules and the places where we differ
 * on purpose are listed in capture.h.
 *
 * Failure is sticky: once cap_next has returned anything but TC_OK, it keeps
 * returning that code, and r->err holds the sentence the command line prints
 * after "tuplecheck: FILE: ".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cursor.h"

/* ==== constants ======================================================== */

#define PCAP_MAGIC_US   0xa1b2c3d4u  /* seconds + microseconds            */
#define PCAP_MAGIC_NS   0xa1b23c4du  /* seconds + nanoseconds             */
#define PCAP_MAGIC_KUZ  0xa1b2cd34u  /* Kuznetzov: 24-byte record headers */
#define PCAP_HDR_LEN    24u
#define PCAP_REC_LEN    16u
#define PCAP_KUZ_REC_LEN 24u

#define NG_SHB          0x0a0d0d0au  /* the same in both byte orders      */
#define NG_IDB          0x00000001u
#define NG_PB           0x00000002u
#define NG_SPB          0x00000003u
#define NG_EPB          0x00000006u
#define NG_JOURNAL      0x00000009u  /* systemd Journal Export Block      */
#define NG_SYSDIG_EV    0x00000204u  /* sysdig event                      */
#define NG_SYSDIG_EV2   0x00000216u  /* sysdig event, version 2           */
#define NG_SYSDIG_EV2L  0x00000221u  /* sysdig event, version 2, large    */
#define NG_CB_COPY      0x00000badu  /* custom block, may be copied       */
#define NG_CB_NOCOPY    0x40000badu  /* custom block, must not be copied  */
#define NG_BOM          0x1a2b3c4du
#define NG_MIN_BLOCK    12u          /* type, length, trailing length     */
#define NG_MIN_SHB      28u          /* + BOM, versions, section length   */
/* The largest block a stream may have (libpcap's rule): 16 MiB, or an EPB
 * (32 bytes of fields) holding the largest packet of a link type seen so far
 * with 128 KiB of options, when that is more. */
#define NG_STREAM_MAX_BLOCK (16u * 1024u * 1024u)
#define NG_EPB_OVERHEAD 32u
#define NG_OPTIONS_ALLOWANCE 131072u

#define OPT_ENDOFOPT    0
#define IF_TSRESOL      9
#define IF_TSOFFSET     14

#define LINKTYPE_EN10MB 1u
#define LINKTYPE_DBUS   231u
#define LINKTYPE_USBPCAP 249u
#define LINKTYPE_EBHSCR 279u

/* Order of caplen and len in a pcap record header (see capture.h). */
enum { LEN_NORMAL = 0, LEN_SWAPPED, LEN_MAYBE_SWAPPED };

/* ==== small helpers ===================================================== */

uint32_t cap_max_caplen(uint32_t linktype)
{
	switch (linktype) {
	case LINKTYPE_DBUS:    return 128u * 1024u * 1024u;
	case LINKTYPE_EBHSCR:  return 8u * 1024u * 1024u;
	case LINKTYPE_USBPCAP: return 1024u * 1024u;
	default:               return CAP_MAX_SNAPLEN;
	}
}

/* libpcap's pcap_adjust_snapshot: 0 and absurd values mean "the maximum". */
static uint32_t effective_snaplen(uint32_t linktype, uint32_t snaplen)
{
	uint32_t max = cap_max_caplen(linktype);

	return (snaplen == 0 || snaplen > max) ? max : snaplen;
}

static enum tc_rc rd32(struct cursor *c, bool le, uint32_t *v)
{
	return le ? rd_le32(c, v) : rd_be32(c, v);
}

static enum tc_rc rd16(struct cursor *c, bool le, uint16_t *v)
{
	return le ? rd_le16(c, v) : rd_be16(c, v);
}

static uint64_t offset_of(const struct cap_reader *r, const uint8_t *at)
{
	return r->base + (uint64_t)(at - r->buf);
}

/*
 * The file offset where the input is known to end, when the caller said it
 * is a regular file of r->size bytes (cap_open_input); 0 when unknown. Never
 * less than what the window has shown (a file that grew since its size was
 * taken).
 */
static uint64_t known_end(const struct cap_reader *r)
{
	uint64_t seen = offset_of(r, r->end);

	if (r->size == CAP_SIZE_UNKNOWN || r->size == CAP_SIZE_STREAM)
		return 0;
	return r->size > seen ? r->size : seen;
}

/* Record a failure: the sticky code, the offset and the sentence. */
__attribute__((format(printf, 4, 5)))
static enum tc_rc fail(struct cap_reader *r, enum tc_rc rc, uint64_t off,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	r->err_offset = off;
	r->state = rc;
	return rc;
}

/*
 * Timestamp of t units of 1/units second since the epoch, plus offset
 * seconds. Exact: the fraction is scaled in 128 bits and rounded down, the
 * seconds are summed modulo 2^64 (a wrapped sum is what a corrupt offset
 * deserves; it must not be undefined behaviour). The reference for the
 * fast paths below (tests/unit/test_fastpaths.c holds them to it).
 */
void cap_ts_convert(uint64_t t, uint64_t units, int64_t offset,
		    int64_t *sec, uint32_t *nsec)
{
	uint64_t whole = t / units, frac = t % units;
	__extension__ unsigned __int128 scaled =
		(unsigned __int128)frac * 1000000000u / units;

	*sec = (int64_t)(whole + (uint64_t)offset);
	*nsec = (uint32_t)scaled;
}

/* 10^9 / units when units divides 10^9 (every decimal if_tsresol up to
 * 10^-9 and 2^0), else 0: with it, frac * 10^9 / units is frac * mult
 * exactly, and no 128-bit division is needed. */
static uint32_t ts_mult_of(uint64_t units)
{
	return units != 0 && units <= 1000000000u && 1000000000u % units == 0 ?
	       (uint32_t)(1000000000u / units) : 0;
}

/* cap_ts_convert with the multiplier of ts_mult_of(units): the same result,
 * one 64-bit division instead of a 128-bit one when mult is not 0. */
static void ts_convert_fast(uint64_t t, uint64_t units, uint32_t mult, int64_t offset,
			    int64_t *sec, uint32_t *nsec)
{
	uint64_t whole, frac;

	if (mult == 0) {
		cap_ts_convert(t, units, offset, sec, nsec);
		return;
	}
	whole = t / units;
	frac = t - whole * units;        /* < units <= 10^9 */
	*sec = (int64_t)(whole + (uint64_t)offset);
	*nsec = (uint32_t)(frac * mult); /* < 10^9 */
}

/* True when the first bytes look like text: the file is not a capture at
 * all, and the message should say so rather than only quote a number. */
static bool is_text_start(const uint8_t *p, size_t n)
{
	size_t i;

	if (n > CAP_OPEN_MIN)    /* what cap_open may look at (capture.h) */
		n = CAP_OPEN_MIN;
	for (i = 0; i < n; i++) {
		uint8_t ch = p[i];

		if (!((ch >= 0x20 && ch < 0x7f) || ch == '\n' || ch == '\r' || ch == '\t'))
			return false;
	}
	return n > 0;
}

/* True when buf[0..n) (n < 4) begins one of the magics we know, in either
 * byte order: a cut-short header, not a foreign file. */
static bool is_magic_prefix(const uint8_t *p, size_t n)
{
	static const uint32_t magics[] = {
		PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_KUZ, NG_SHB
	};
	size_t i, k;

	for (i = 0; i < TC_ARRAY_SIZE(magics); i++) {
		bool be = true, le = true;

		for (k = 0; k < n; k++) {
			if (p[k] != (uint8_t)(magics[i] >> (24 - 8 * k)))
				be = false;
			if (p[k] != (uint8_t)(magics[i] >> (8 * k)))
				le = false;
		}
		if (be || le)
			return true;
	}
	return false;
}

/* ==== classic pcap ====================================================== */

static enum tc_rc pcap_open_hdr(struct cap_reader *r, bool le, uint32_t magic)
{
	struct cursor c = cur_make(r->buf, (size_t)(r->end - r->buf));
	uint32_t skip32 = 0, snaplen = 0, linktype = 0;
	uint16_t vmaj = 0, vmin = 0;

	if (cur_left(&c) < PCAP_HDR_LEN)
		return fail(r, TC_TRUNCATED, 0,
			    "truncated pcap file header (%zu of %u bytes)",
			    cur_left(&c), PCAP_HDR_LEN);
	(void)rd32(&c, le, &skip32);           /* magic, already known */
	(void)rd16(&c, le, &vmaj);
	(void)rd16(&c, le, &vmin);
	(void)rd32(&c, le, &skip32);           /* thiszone: always 0 in practice */
	(void)rd32(&c, le, &skip32);           /* sigfigs */
	(void)rd32(&c, le, &snaplen);
	(void)rd32(&c, le, &linktype);

	r->version_major = vmaj;
	r->version_minor = vmin;
	if (vmaj < 2)
		return fail(r, TC_MALFORMED, 4,
			    "archaic pcap file version %u.%u (this reader knows 2.0 to 2.4)",
			    vmaj, vmin);
	if (!((vmaj == 2 && vmin <= 4) || (vmaj == 543 && vmin == 0)))
		return fail(r, TC_MALFORMED, 4,
			    "unsupported pcap file version %u.%u (this reader knows 2.0 to 2.4)",
			    vmaj, vmin);
	if (vmaj == 543 || vmin < 3)
		r->len_order = LEN_SWAPPED;
	else if (vmin == 3)
		r->len_order = LEN_MAYBE_SWAPPED;
	else
		r->len_order = LEN_NORMAL;

	/* The top 6 bits carry FCS information (draft-ietf-opsawg-pcap
	 * section 4), not the link type; libpcap masks them the same way. */
	r->linktype = linktype & 0x03ffffffu;
	r->snaplen = effective_snaplen(r->linktype, snaplen);
	r->rec_hdr_len = PCAP_REC_LEN;
	if (magic == PCAP_MAGIC_KUZ) {
		r->rec_hdr_len = PCAP_KUZ_REC_LEN;
		/* Captures in cooked mode got a fake 14-byte Ethernet header
		 * on top of the snapshot length; libpcap allows for it. */
		if (r->linktype == LINKTYPE_EN10MB)
			r->snaplen += 14;
	}
	r->max_caplen = cap_max_caplen(r->linktype);
	r->ts_units = magic == PCAP_MAGIC_NS ? 1000000000u : 1000000u;
	r->ts_mult = (uint32_t)(1000000000u / r->ts_units);
	r->ts_digits = magic == PCAP_MAGIC_NS ? 9 : 6;
	r->format = CAP_FMT_PCAP;
	r->swapped = le;
	r->p = r->buf + PCAP_HDR_LEN;
	return TC_OK;
}

enum { REC_END, REC_SHORT_HEADER, REC_ABOVE_MAX, REC_SHORT_DATA };

/*
 * The failures of pcap_next_rec, out of line and cold: the record at r->p,
 * numbered r->frame + 1, did not read for reason why; caplen and left are
 * the captured length and the bytes left where the sentence quotes them.
 * Kept apart so that the common path carries no varargs call and needs
 * no saved registers.
 */
__attribute__((cold, noinline))
static enum tc_rc pcap_rec_fail(struct cap_reader *r, int why, uint32_t caplen, size_t left)
{
	unsigned long long off = (unsigned long long)offset_of(r, r->p);
	unsigned long long frame = (unsigned long long)r->frame + 1;

	switch (why) {
	case REC_END:
		return fail(r, TC_END, off, "end of file");
	case REC_SHORT_HEADER:
		return fail(r, TC_TRUNCATED, off,
			    "truncated record header at byte %llu (frame %llu): %zu of %u bytes",
			    off, frame, left, r->rec_hdr_len);
	case REC_ABOVE_MAX:
		return fail(r, TC_MALFORMED, off,
			    "corrupt record at byte %llu (frame %llu): captured length %u is above the maximum %u",
			    off, frame, caplen, r->max_caplen);
	default: {
		/* A record known to run past the end of the file fails now,
		 * with the sentence the end of the file would give, and for
		 * good (TC_MALFORMED: no longer window can help). */
		uint64_t end = known_end(r), data = off + r->rec_hdr_len;
		enum tc_rc rc = TC_TRUNCATED;

		if (end != 0 && data + caplen > end) {
			rc = TC_MALFORMED;
			left = (size_t)(end - data);
		}
		return fail(r, rc, off,
			    "truncated record at byte %llu (frame %llu): header says %u captured bytes, %zu left",
			    off, frame, caplen, left);
	}
	}
}

static enum tc_rc pcap_next_rec(struct cap_reader *r, struct cap_packet *pkt)
{
	struct cursor c = cur_make(r->p, (size_t)(r->end - r->p)), h = { NULL, NULL };
	uint32_t sec = 0, frac = 0, caplen = 0, len = 0, flags = 0;
	uint64_t sec64;

	if (cur_left(&c) == 0)
		return pcap_rec_fail(r, REC_END, 0, 0);
	if (cur_left(&c) < r->rec_hdr_len)
		return pcap_rec_fail(r, REC_SHORT_HEADER, 0, cur_left(&c));
	/* The four words as one 16-byte sub-cursor read at fixed offsets (the
	 * compiler folds their checks into rd_sub's), byte order chosen once. */
	(void)rd_sub(&c, PCAP_REC_LEN, &h);
	if (r->swapped) {
		(void)at_le32(&h, 0, &sec);
		(void)at_le32(&h, 4, &frac);
		(void)at_le32(&h, 8, &caplen);
		(void)at_le32(&h, 12, &len);
	} else {
		(void)at_be32(&h, 0, &sec);
		(void)at_be32(&h, 4, &frac);
		(void)at_be32(&h, 8, &caplen);
		(void)at_be32(&h, 12, &len);
	}
	(void)rd_skip(&c, (size_t)r->rec_hdr_len - PCAP_REC_LEN);

	if (r->len_order == LEN_SWAPPED ||
	    (r->len_order == LEN_MAYBE_SWAPPED && caplen > len)) {
		uint32_t t = caplen;

		caplen = len;
		len = t;
	}
	if (caplen > r->max_caplen)
		return pcap_rec_fail(r, REC_ABOVE_MAX, caplen, 0);
	if (cur_left(&c) < caplen)
		return pcap_rec_fail(r, REC_SHORT_DATA, caplen, cur_left(&c));

	pkt->offset = offset_of(r, r->p);
	pkt->data = c.p;
	pkt->origlen = len;
	r->p = c.p + caplen;
	if (caplen > r->snaplen) {
		caplen = r->snaplen;
		flags |= CAP_F_CLAMPED;
	}
	pkt->caplen = caplen;
	if (caplen > len)
		flags |= CAP_F_CAPLEN_GT_LEN;
	/* What cap_ts_convert((uint64_t)sec * ts_units + frac, ts_units, 0)
	 * gives, without its 128-bit division: ts_units (10^6 or 10^9)
	 * divides 10^9, so the nanoseconds are the remainder times ts_mult.
	 * A fraction of a second or more is carried into the seconds. */
	sec64 = sec;
	if (frac >= r->ts_units) {
		flags |= CAP_F_TS_FRAC_OVERFLOW;
		sec64 += frac / r->ts_units;
		frac %= r->ts_units;
	}
	pkt->ts_sec = (int64_t)sec64;
	pkt->ts_nsec = frac * r->ts_mult;
	pkt->flags = flags;
	pkt->ts_digits = r->ts_digits;
	pkt->linktype = r->linktype;
	pkt->ifindex = 0;
	pkt->frame = ++r->frame;
	return TC_OK;
}

/* ==== pcapng: block framing ============================================= */

struct ng_block {
	uint32_t type;
	uint32_t total;
	uint64_t off;
	struct cursor body;      /* between the length and the trailing length */
	const uint8_t *next;
};

static bool is_packet_block(uint32_t type)
{
	return type == NG_EPB || type == NG_SPB || type == NG_PB;
}

/*
 * Blocks that Wireshark turns into records of their own without a packet:
 * each takes a frame number, so the packets after it are numbered as
 * Wireshark numbers them (SPEC.md). Checked one by one against tshark 4.0
 * on crafted files (tests/t_tshark_frames.sh): custom blocks of any PEN,
 * systemd Journal Export, and the sysdig event blocks 0x204, 0x216 and
 * 0x221. Not counted, because tshark 4.0 reads them as file metadata or
 * skips them: NRB, ISB, DSB, the sysdig blocks with flags (0x208, 0x217,
 * 0x222) and every other sysdig or unknown type, custom types with the
 * local-use bit (0x80000bad, 0xc0000bad). [diff] tshark stops with an
 * error on such a block too short for its fixed fields (a custom block
 * under 16 bytes, a journal block under 35, a sysdig event under 36 or
 * 40); we count it and go on, as we skip any block we do not read.
 */
static bool is_record_block(uint32_t type)
{
	switch (type) {
	case NG_JOURNAL:
	case NG_SYSDIG_EV:
	case NG_SYSDIG_EV2:
	case NG_SYSDIG_EV2L:
	case NG_CB_COPY:
	case NG_CB_NOCOPY:
		return true;
	default:
		return false;
	}
}

static const char *block_name(uint32_t type)
{
	switch (type) {
	case NG_SHB: return "section header block";
	case NG_IDB: return "interface description block";
	case NG_EPB: return "enhanced packet block";
	case NG_SPB: return "simple packet block";
	case NG_PB:  return "packet block";
	default:     return "block";
	}
}

/* " (frame N)" after a packet block's offset, so a message names the record
 * the reader was about to return. */
static const char *frame_note(char *buf, size_t n, uint32_t type, uint64_t frame)
{
	if (is_packet_block(type))
		snprintf(buf, n, " (frame %llu)", (unsigned long long)frame);
	else
		buf[0] = '\0';
	return buf;
}

enum { BLK_BELOW_MIN, BLK_NOT_ALIGNED, BLK_CUT, BLK_TRAILER };

/*
 * ng_frame's length failures, out of line and cold so that its common path
 * carries no varargs call: the block at r->p, of the given type, has total
 * length total; x is the minimum (BLK_BELOW_MIN) or the trailing copy
 * (BLK_TRAILER), left the bytes left from the block's start (BLK_CUT).
 * A cut block that a longer window cannot help (capture.h cap_open_input:
 * past a regular file's known end, or above a stream's block limit) is
 * TC_MALFORMED. report=false returns the code without failing the reader.
 */
__attribute__((cold, noinline))
static enum tc_rc ng_block_fail(struct cap_reader *r, bool report, int why, uint32_t type,
				uint32_t total, uint32_t x, size_t left)
{
	unsigned long long off = (unsigned long long)offset_of(r, r->p);
	char fn[40];

	if (why == BLK_CUT) {
		uint64_t end = known_end(r);

		/* a stream: never a longer window for a block above the
		 * limit (libpcap's) */
		if (r->size == CAP_SIZE_STREAM && total > r->max_block) {
			if (!report)
				return TC_MALFORMED;
			frame_note(fn, sizeof(fn), type, r->frame + 1);
			return fail(r, TC_MALFORMED, off,
				    "pcapng %s at offset %llu%s: total length %u is above %u bytes, the largest block read from a stream (libpcap's limit for the link types seen)",
				    block_name(type), off, fn, total, r->max_block);
		}
		/* a regular file: a block known to run past its end fails
		 * now, with the sentence the end of the file would give, and
		 * for good (TC_MALFORMED: no longer window can help) */
		if (end != 0 && off + total > end) {
			if (!report)
				return TC_MALFORMED;
			frame_note(fn, sizeof(fn), type, r->frame + 1);
			return fail(r, TC_MALFORMED, off,
				    "truncated pcapng %s at offset %llu%s: total length %u, %llu bytes left",
				    block_name(type), off, fn, total, (unsigned long long)(end - off));
		}
	}
	if (!report)
		return why == BLK_CUT ? TC_TRUNCATED : TC_MALFORMED;
	frame_note(fn, sizeof(fn), type, r->frame + 1);
	switch (why) {
	case BLK_BELOW_MIN:
		return fail(r, TC_MALFORMED, off,
			    "pcapng %s at offset %llu%s: total length %u is below the minimum %u",
			    block_name(type), off, fn, total, x);
	case BLK_NOT_ALIGNED:
		return fail(r, TC_MALFORMED, off,
			    "pcapng %s at offset %llu%s: total length %u is not a multiple of 4",
			    block_name(type), off, fn, total);
	case BLK_CUT:
		return fail(r, TC_TRUNCATED, off,
			    "truncated pcapng %s at offset %llu%s: total length %u, %zu bytes left",
			    block_name(type), off, fn, total, left);
	default:
		return fail(r, TC_MALFORMED, off,
			    "pcapng %s at offset %llu%s: trailing total length %u differs from the leading %u",
			    block_name(type), off, fn, x, total);
	}
}

/*
 * Frame the block at r->p: type, total length and trailing copy, checked in
 * libpcap's order (minimum, multiple of 4, fits in the file, trailer). An SHB
 * also fixes the byte order, from its byte-order magic, before its length is
 * read. report=false probes without failing the reader (cap_open's look
 * ahead). Returns TC_OK, TC_END at the end of the buffer, TC_TRUNCATED or
 * TC_MALFORMED.
 */
static enum tc_rc ng_frame(struct cap_reader *r, struct ng_block *b, bool report)
{
	struct cursor c = cur_make(r->p, (size_t)(r->end - r->p));
	uint64_t off = offset_of(r, r->p);
	struct cursor hd = { NULL, NULL };
	uint32_t type = 0, total = 0, trailer = 0, min = NG_MIN_BLOCK;
	bool le = r->swapped;

	if (cur_left(&c) == 0)
		return report ? fail(r, TC_END, off, "end of file") : TC_END;
	if (cur_left(&c) < 8) {
		if (!report)
			return TC_TRUNCATED;
		return fail(r, TC_TRUNCATED, off,
			    "truncated pcapng block header at offset %llu: %zu of 8 bytes",
			    (unsigned long long)off, cur_left(&c));
	}
	(void)rd_sub(&c, 8, &hd);              /* type and total length */
	(void)at_be32(&hd, 0, &type);
	if (type == NG_SHB) {
		uint32_t magic = 0;

		min = NG_MIN_SHB;
		if (at_be32(&c, 0, &magic) != TC_OK) {   /* after the length */
			if (!report)
				return TC_TRUNCATED;
			return fail(r, TC_TRUNCATED, off,
				    "truncated pcapng section header at offset %llu: %zu of at least %u bytes",
				    (unsigned long long)off, cur_left(&c) + 8, NG_MIN_SHB);
		}
		if (magic == NG_BOM)
			le = false;
		else if (magic == 0x4d3c2b1au)
			le = true;
		else if (!report)
			return TC_MALFORMED;
		else
			return fail(r, TC_MALFORMED, off,
				    "pcapng section header block at offset %llu: byte-order magic 0x%08x is neither 0x1a2b3c4d nor its byte swap",
				    (unsigned long long)off, magic);
	} else if (le) {
		type = __builtin_bswap32(type);
	}
	if (le)
		(void)at_le32(&hd, 4, &total);
	else
		(void)at_be32(&hd, 4, &total);

	if (total < min)
		return ng_block_fail(r, report, BLK_BELOW_MIN, type, total, min, 0);
	if (total % 4 != 0)
		return ng_block_fail(r, report, BLK_NOT_ALIGNED, type, total, 0, 0);
	if (cur_left(&c) < (size_t)total - 8)
		return ng_block_fail(r, report, BLK_CUT, type, total, 0, cur_left(&c) + 8);
	b->body.p = c.p;
	b->body.end = c.p + (total - 12);
	(void)rd_skip(&c, total - 12);
	if (le)
		(void)rd_le32(&c, &trailer);
	else
		(void)rd_be32(&c, &trailer);
	if (trailer != total)
		return ng_block_fail(r, report, BLK_TRAILER, type, total, trailer, 0);
	b->type = type;
	b->total = total;
	b->off = off;
	b->next = c.p;
	if (type == NG_SHB)
		r->swapped = le;
	return TC_OK;
}

/* ==== pcapng: section and interface blocks ============================== */

/* Section Header Block: byte order (already taken by ng_frame), version.
 * The first section must be 1.0 or 1.2, later ones any 1.x (libpcap's
 * rules: 1.1 was never defined, 1.2 is written by some tools). */
static enum tc_rc ng_shb(struct cap_reader *r, const struct ng_block *b)
{
	struct cursor c = b->body;
	uint16_t vmaj = 0, vmin = 0;

	(void)rd_skip(&c, 4);                  /* byte-order magic */
	(void)rd16(&c, r->swapped, &vmaj);
	(void)rd16(&c, r->swapped, &vmin);
	r->version_major = vmaj;
	r->version_minor = vmin;
	if (vmaj != 1 || (r->n_sections == 0 && vmin != 0 && vmin != 2))
		return fail(r, TC_MALFORMED, b->off,
			    "pcapng section header block at offset %llu: unsupported version %u.%u (this reader knows 1.0 and 1.2)",
			    (unsigned long long)b->off, vmaj, vmin);
	r->n_sections++;
	r->n_ifaces = 0;    /* interface ids are per section */
	return TC_OK;
}

/* Options of an IDB: if_tsresol and if_tsoffset, with libpcap's checks. */
static enum tc_rc ng_idb_options(struct cap_reader *r, const struct ng_block *b,
				 struct cursor *c, struct cap_iface *ifc)
{
	bool saw_res = false, saw_off = false, le = r->swapped;
	unsigned long long off = (unsigned long long)b->off;

	while (cur_left(c) != 0) {
		uint16_t code, olen;
		struct cursor val;

		if (rd16(c, le, &code) != TC_OK || rd16(c, le, &olen) != TC_OK)
			return fail(r, TC_MALFORMED, b->off,
				    "pcapng interface description block at offset %llu: option header cut short by the block end",
				    off);
		if (rd_sub(c, ((size_t)olen + 3u) & ~(size_t)3u, &val) != TC_OK)
			return fail(r, TC_MALFORMED, b->off,
				    "pcapng interface description block at offset %llu: option %u of %u bytes runs past the block end",
				    off, code, olen);
		if (code == OPT_ENDOFOPT) {
			if (olen != 0)
				return fail(r, TC_MALFORMED, b->off,
					    "pcapng interface description block at offset %llu: opt_endofopt has length %u, expected 0",
					    off, olen);
			break;
		}
		if (code == IF_TSRESOL) {
			uint8_t v = 0;
			unsigned i;

			if (olen != 1)
				return fail(r, TC_MALFORMED, b->off,
					    "pcapng interface description block at offset %llu: if_tsresol has length %u, expected 1",
					    off, olen);
			if (saw_res)
				return fail(r, TC_MALFORMED, b->off,
					    "pcapng interface description block at offset %llu: if_tsresol appears twice",
					    off);
			saw_res = true;
			(void)rd_u8(&val, &v);
			if (v & 0x80) {
				if ((v & 0x7f) > 63)
					return fail(r, TC_MALFORMED, b->off,
						    "pcapng interface description block at offset %llu: if_tsresol 2^-%u is finer than 2^-63",
						    off, v & 0x7fu);
				ifc->ts_units = (uint64_t)1 << (v & 0x7f);
			} else {
				if (v > 19)
					return fail(r, TC_MALFORMED, b->off,
						    "pcapng interface description block at offset %llu: if_tsresol 10^-%u is finer than 10^-19",
						    off, v);
				ifc->ts_units = 1;
				for (i = 0; i < v; i++)
					ifc->ts_units *= 10;
			}
		} else if (code == IF_TSOFFSET) {
			uint32_t hi = 0, lo = 0;

			if (olen != 8)
				return fail(r, TC_MALFORMED, b->off,
					    "pcapng interface description block at offset %llu: if_tsoffset has length %u, expected 8",
					    off, olen);
			if (saw_off)
				return fail(r, TC_MALFORMED, b->off,
					    "pcapng interface description block at offset %llu: if_tsoffset appears twice",
					    off);
			saw_off = true;
			/* A 64-bit integer in the section's byte order. */
			(void)rd32(&val, le, le ? &lo : &hi);
			(void)rd32(&val, le, le ? &hi : &lo);
			ifc->ts_offset = (int64_t)((uint64_t)hi << 32 | lo);
		}
	}
	return TC_OK;
}

/*
 * Room for one more interface: the table in the reader holds the first
 * CAP_INLINE_IFACES; past them it moves to the heap and doubles as needed,
 * up to CAP_MAX_IFACES (a bound against hostile files and endless streams:
 * 2 MiB of table; each IDB takes at least 20 bytes of the file, so a
 * section reaching it is more than 1 MiB of interface descriptions). The
 * heap table is kept for later sections and released by cap_close.
 */
__attribute__((cold, noinline))
static enum tc_rc ng_grow_ifaces(struct cap_reader *r, const struct ng_block *b)
{
	uint32_t cap = r->ifaces_cap * 2;
	struct cap_iface *t;

	if (r->ifaces_cap >= CAP_MAX_IFACES)
		return fail(r, TC_MALFORMED, b->off,
			    "pcapng interface description block at offset %llu: more than %u interfaces in one section (this reader's limit)",
			    (unsigned long long)b->off, CAP_MAX_IFACES);
	if (cap > CAP_MAX_IFACES)
		cap = CAP_MAX_IFACES;
	if (r->ifaces == r->iface_buf) {
		t = malloc((size_t)cap * sizeof(*t));
		if (t != NULL)
			memcpy(t, r->iface_buf, sizeof(r->iface_buf));
	} else {
		t = realloc(r->ifaces, (size_t)cap * sizeof(*t));
	}
	if (t == NULL)
		return fail(r, TC_NOMEM, b->off,
			    "pcapng interface description block at offset %llu: out of memory for a table of %u interfaces",
			    (unsigned long long)b->off, cap);
	r->ifaces = t;
	r->ifaces_cap = cap;
	return TC_OK;
}

static enum tc_rc ng_idb(struct cap_reader *r, const struct ng_block *b)
{
	struct cursor c = b->body;
	struct cap_iface ifc;
	uint16_t linktype, reserved;
	uint32_t snaplen;
	enum tc_rc rc;

	if (rd16(&c, r->swapped, &linktype) != TC_OK ||
	    rd16(&c, r->swapped, &reserved) != TC_OK ||
	    rd32(&c, r->swapped, &snaplen) != TC_OK)
		return fail(r, TC_MALFORMED, b->off,
			    "pcapng interface description block at offset %llu: body of %zu bytes, expected at least 8",
			    (unsigned long long)b->off, cur_left(&b->body));
	if (r->n_ifaces == r->ifaces_cap) {
		rc = ng_grow_ifaces(r, b);
		if (rc != TC_OK)
			return rc;
	}
	memset(&ifc, 0, sizeof(ifc));
	ifc.linktype = linktype;
	ifc.snaplen = effective_snaplen(linktype, snaplen);
	ifc.ts_units = 1000000;
	rc = ng_idb_options(r, b, &c, &ifc);
	if (rc != TC_OK)
		return rc;
	ifc.ts_digits = ifc.ts_units <= 1000000 ? 6 : 9;
	ifc.ts_mult = ts_mult_of(ifc.ts_units);
	r->ifaces[r->n_ifaces++] = ifc;
	/* libpcap's block limit grows to hold this link type's largest
	 * packet with 128 KiB of options */
	if ((uint64_t)NG_EPB_OVERHEAD + cap_max_caplen(ifc.linktype) + NG_OPTIONS_ALLOWANCE > r->max_block)
		r->max_block = NG_EPB_OVERHEAD + cap_max_caplen(ifc.linktype) + NG_OPTIONS_ALLOWANCE;
	if (r->n_sections == 1 && r->n_ifaces == 1) {
		r->linktype = ifc.linktype;
		r->snaplen = ifc.snaplen;
		r->ts_digits = ifc.ts_digits;
	}
	return TC_OK;
}

/* ==== pcapng: packet blocks ============================================= */

static enum tc_rc ng_packet(struct cap_reader *r, const struct ng_block *b,
			    struct cap_packet *pkt)
{
	struct cursor c = b->body;
	uint64_t frame = r->frame + 1;
	unsigned long long off = (unsigned long long)b->off;
	uint32_t ifid = 0, hi = 0, lo = 0, caplen = 0, len = 0;
	const struct cap_iface *ifc;
	bool le = r->swapped;

	pkt->flags = 0;
	if (b->type == NG_SPB) {
		if (rd32(&c, le, &len) != TC_OK)
			return fail(r, TC_MALFORMED, b->off,
				    "pcapng simple packet block at offset %llu (frame %llu): body of %zu bytes, expected at least 4",
				    off, (unsigned long long)frame, cur_left(&b->body));
		ifid = 0;
		caplen = len;
		pkt->flags |= CAP_F_NO_TS;
	} else if (b->type == NG_EPB) {
		struct cursor h = { NULL, NULL };

		/* interface, timestamp high and low, captured and original
		 * length: one length test, then fixed-offset reads (the
		 * compiler folds their checks into rd_sub's), byte order
		 * chosen once */
		if (rd_sub(&c, 20, &h) != TC_OK)
			return fail(r, TC_MALFORMED, b->off,
				    "pcapng enhanced packet block at offset %llu (frame %llu): body of %zu bytes, expected at least 20",
				    off, (unsigned long long)frame, cur_left(&b->body));
		if (le) {
			(void)at_le32(&h, 0, &ifid);
			(void)at_le32(&h, 4, &hi);
			(void)at_le32(&h, 8, &lo);
			(void)at_le32(&h, 12, &caplen);
			(void)at_le32(&h, 16, &len);
		} else {
			(void)at_be32(&h, 0, &ifid);
			(void)at_be32(&h, 4, &hi);
			(void)at_be32(&h, 8, &lo);
			(void)at_be32(&h, 12, &caplen);
			(void)at_be32(&h, 16, &len);
		}
	} else {
		uint16_t id16, drops;

		if (rd16(&c, le, &id16) != TC_OK || rd16(&c, le, &drops) != TC_OK ||
		    rd32(&c, le, &hi) != TC_OK || rd32(&c, le, &lo) != TC_OK ||
		    rd32(&c, le, &caplen) != TC_OK || rd32(&c, le, &len) != TC_OK)
			return fail(r, TC_MALFORMED, b->off,
				    "pcapng packet block at offset %llu (frame %llu): body of %zu bytes, expected at least 20",
				    off, (unsigned long long)frame, cur_left(&b->body));
		ifid = id16;
		pkt->flags |= CAP_F_OBSOLETE_PB;
	}
	if (ifid >= r->n_ifaces)
		return fail(r, TC_MALFORMED, b->off,
			    "pcapng %s at offset %llu (frame %llu): interface %u, but the section describes %u interface%s",
			    block_name(b->type), off, (unsigned long long)frame, ifid,
			    r->n_ifaces, r->n_ifaces == 1 ? "" : "s");
	ifc = &r->ifaces[ifid];
	if (b->type == NG_SPB) {
		/* draft-ietf-opsawg-pcapng 4.4: min(original length, SnapLen);
		 * and never more than the block holds. */
		if (caplen > ifc->snaplen)
			caplen = ifc->snaplen;
		if (caplen > cur_left(&c))
			caplen = (uint32_t)cur_left(&c);
	} else {
		if (caplen > cur_left(&c))
			return fail(r, TC_MALFORMED, b->off,
				    "pcapng %s at offset %llu (frame %llu): captured length %u runs past the block body (%zu bytes of packet data and options)",
				    block_name(b->type), off, (unsigned long long)frame,
				    caplen, cur_left(&c));
		if (caplen > ifc->snaplen)
			return fail(r, TC_MALFORMED, b->off,
				    "pcapng %s at offset %llu (frame %llu): captured length %u is above the snapshot length %u of interface %u",
				    block_name(b->type), off, (unsigned long long)frame,
				    caplen, ifc->snaplen, ifid);
	}
	if (caplen > len)
		pkt->flags |= CAP_F_CAPLEN_GT_LEN;
	pkt->data = c.p;
	pkt->caplen = caplen;
	pkt->origlen = len;
	ts_convert_fast((uint64_t)hi << 32 | lo, ifc->ts_units, ifc->ts_mult, ifc->ts_offset,
			&pkt->ts_sec, &pkt->ts_nsec);
	pkt->ts_digits = ifc->ts_digits;
	pkt->linktype = ifc->linktype;
	pkt->ifindex = ifid;
	pkt->offset = b->off;
	pkt->frame = frame;
	r->frame = frame;
	return TC_OK;
}

/* Out of line: inlined into cap_next, its registers would be saved and
 * restored around every pcap record too. */
__attribute__((noinline))
static enum tc_rc ng_next(struct cap_reader *r, struct cap_packet *pkt)
{
	for (;;) {
		struct ng_block b;
		enum tc_rc rc = ng_frame(r, &b, true);

		if (rc != TC_OK)
			return rc;
		switch (b.type) {
		case NG_SHB:
			rc = ng_shb(r, &b);
			break;
		case NG_IDB:
			rc = ng_idb(r, &b);
			break;
		case NG_EPB:
		case NG_SPB:
		case NG_PB:
			rc = ng_packet(r, &b, pkt);
			if (rc == TC_OK) {
				r->p = b.next;
				return TC_OK;
			}
			break;
		default:
			/* statistics, name resolution, custom...: skipped, but
			 * some take a frame number (is_record_block) */
			if (is_record_block(b.type))
				r->frame++;
			break;
		}
		if (rc != TC_OK)
			return rc;
		r->p = b.next;
	}
}

/*
 * Look ahead (bounded) for the first IDB of the first section so r->linktype
 * is known at open time, as a pcap file's is. The probe never fails the
 * reader; cap_next reports whatever it stops at.
 */
static void ng_peek_linktype(struct cap_reader *r)
{
	const uint8_t *save = r->p;
	bool save_le = r->swapped;
	int i;

	for (i = 0; i < 16; i++) {
		struct ng_block b;
		enum tc_rc rc = ng_frame(r, &b, false);

		if (rc == TC_END || rc == TC_TRUNCATED)
			r->peek_cut = true;     /* a stream may hold more */
		if (rc != TC_OK || b.type == NG_SHB || is_packet_block(b.type))
			break;
		if (b.type == NG_IDB) {
			/* Parsed for real (options and all), then forgotten:
			 * cap_next reads it again in order. */
			(void)ng_idb(r, &b);
			r->n_ifaces = 0;
			r->state = TC_OK;
			r->err[0] = '\0';
			r->err_offset = 0;
			break;
		}
		r->p = b.next;
	}
	r->p = save;
	r->swapped = save_le;
}

/* ==== public entry points =============================================== */

/* The compressor whose magic a file begins with (captures are often kept
 * compressed), named as its command is; NULL for any other. */
static const char *compressed_by(uint32_t magic)
{
	if ((magic >> 16) == 0x1f8bu)
		return "gzip";
	if (magic == 0x28b52ffdu)
		return "zstd";
	if (magic == 0xfd377a58u)             /* fd '7zXZ' */
		return "xz";
	if ((magic >> 8) == 0x425a68u && (magic & 0xff) >= '1' && (magic & 0xff) <= '9')
		return "bzip2";                 /* 'BZh' and the block size digit */
	if (magic == 0x04224d18u)
		return "lz4";
	return NULL;
}

enum tc_rc cap_open(struct cap_reader *r, const uint8_t *buf, size_t len)
{
	return cap_open_input(r, buf, len, CAP_SIZE_UNKNOWN);
}

enum tc_rc cap_open_input(struct cap_reader *r, const uint8_t *buf, size_t len, uint64_t size)
{
	struct cursor c = cur_make(buf, len);
	const char *compressor;
	uint32_t magic;

	memset(r, 0, sizeof(*r));
	r->ifaces = r->iface_buf;
	r->ifaces_cap = CAP_INLINE_IFACES;
	r->size = size;
	r->max_block = NG_STREAM_MAX_BLOCK;
	r->buf = buf;
	r->end = buf + len;
	r->p = buf;
	r->ts_digits = 6;
	r->state = TC_OK;

	if (len == 0)
		return fail(r, TC_END, 0, "empty file");
	if (rd_be32(&c, &magic) != TC_OK) {
		if (is_magic_prefix(buf, len))
			return fail(r, TC_TRUNCATED, 0,
				    "truncated capture file header (%zu bytes)", len);
		return fail(r, TC_MALFORMED, 0,
			    "not a pcap or pcapng file (only %zu byte%s)",
			    len, len == 1 ? "" : "s");
	}
	switch (magic) {
	case PCAP_MAGIC_US:
	case PCAP_MAGIC_NS:
	case PCAP_MAGIC_KUZ:
		return pcap_open_hdr(r, false, magic);
	case 0xd4c3b2a1u:
	case 0x4d3cb2a1u:
	case 0x34cdb2a1u:
		return pcap_open_hdr(r, true, __builtin_bswap32(magic));
	case NG_SHB: {
		struct ng_block b = { 0 };
		enum tc_rc rc;

		r->format = CAP_FMT_PCAPNG;
		rc = ng_frame(r, &b, true);
		if (rc == TC_OK)
			rc = ng_shb(r, &b);
		if (rc != TC_OK)
			return rc;
		r->p = b.next;
		ng_peek_linktype(r);
		return TC_OK;
	}
	default:
		break;
	}
	compressor = compressed_by(magic);
	if (compressor != NULL)
		return fail(r, TC_MALFORMED, 0,
			    "not a pcap or pcapng file (magic 0x%08x): %s-compressed; decompress it "
			    "first, or pipe it in: %s -dc FILE | tuplecheck COMMAND -",
			    magic, compressor, compressor);
	if (is_text_start(buf, len))
		return fail(r, TC_MALFORMED, 0,
			    "not a pcap or pcapng file (magic 0x%08x; it begins with text, so it is not a capture)",
			    magic);
	return fail(r, TC_MALFORMED, 0, "not a pcap or pcapng file (magic 0x%08x)", magic);
}

void cap_close(struct cap_reader *r)
{
	if (r->ifaces != r->iface_buf)
		free(r->ifaces);
	r->ifaces = r->iface_buf;
	r->ifaces_cap = CAP_INLINE_IFACES;
	r->n_ifaces = 0;
}

void cap_refill_input(struct cap_reader *r, const uint8_t *buf, size_t len, uint64_t size)
{
	r->size = size;
	cap_refill(r, buf, len);
}

void cap_refill(struct cap_reader *r, const uint8_t *buf, size_t len)
{
	r->base = offset_of(r, r->p);
	r->buf = r->p = buf;
	r->end = buf + len;
	if (r->state == TC_END || r->state == TC_TRUNCATED) {
		r->state = TC_OK;
		r->err[0] = '\0';
		r->err_offset = 0;
	}
}

enum tc_rc cap_next(struct cap_reader *r, struct cap_packet *pkt)
{
	if (r->state != TC_OK)
		return r->state;
	if (r->format == CAP_FMT_PCAP)
		return pcap_next_rec(r, pkt);
	return ng_next(r, pkt);
}
