/*
 * capture.h - pcap and pcapng records, read from memory.
 *
 * The reader walks a caller-owned buffer holding a whole capture file, or a
 * window of one that the caller slides along (tuplecheck reads every input
 * that way; see cap_refill below); it never copies
 * packet bytes, and allocates only for a pcapng section with more than
 * CAP_INLINE_IFACES interfaces (released by cap_close). Each record comes
 * back as a view into that buffer.
 *
 * Formats: classic pcap (microsecond magic 0xa1b2c3d4, nanosecond magic
 * 0xa1b23c4d and the modified "Kuznetzov" magic 0xa1b2cd34 with 24-byte
 * record headers, each in both byte orders) and pcapng (SHB, IDB, EPB, SPB,
 * obsolete PB; several interfaces with their own link types, snapshot lengths,
 * if_tsresol and if_tsoffset; several sections, each with its own byte order;
 * unknown block types skipped by length).
 *
 * Frame numbers are Wireshark's: pcap records count 1, 2, 3...; in pcapng,
 * the blocks tshark 4.0 makes records of without a packet (custom blocks
 * 0x00000bad and 0x40000bad of any PEN, systemd Journal Export blocks,
 * sysdig event blocks 0x204, 0x216 and 0x221) are skipped but take a frame
 * number each, so a packet after one is numbered as Wireshark numbers it.
 *
 * Stated rules for records that do not fit. Where libpcap 1.10 has a rule we
 * take the same one, so that the differential test (tests/t_libpcap_diff.sh)
 * can compare the two readers record by record; deviations are marked [diff].
 *
 * "Effective snapshot length": the snapshot length of the file (pcap) or of
 * the record's interface (pcapng), with 0 and values above cap_max_caplen()
 * replaced by cap_max_caplen() (libpcap's pcap_adjust_snapshot).
 *
 * pcap records:
 *  - a record header cut short, or a captured length running past the end of
 *    the buffer, ends the walk with TC_TRUNCATED; earlier records stay valid;
 *  - a captured length above cap_max_caplen(linktype) (262144 for nearly
 *    every link type) is TC_MALFORMED: the file is corrupt, not merely large;
 *  - a captured length above the effective snapshot length (but within the
 *    maximum) is clamped to the snapshot length, the rest of the record is
 *    skipped, and CAP_F_CLAMPED is set (libpcap does the same, so that no
 *    caller ever sees more bytes than the snapshot length promises);
 *  - versions before 2.3 and DG/UX 543.0 store the original length before
 *    the captured length; version 2.3 may do either and the two are swapped
 *    back when the captured length is the larger (libpcap's rule).
 * pcapng blocks:
 *  - a block total length below 12 (28 for an SHB), not a multiple of 4, or
 *    whose trailing copy differs, is TC_MALFORMED; one running past the end
 *    of the buffer is TC_TRUNCATED;
 *  - an EPB or PB whose captured length exceeds its block body, or whose
 *    interface was not described in its section, is TC_MALFORMED; one whose
 *    captured length exceeds its interface's effective snapshot length is
 *    TC_MALFORMED as in libpcap (the pcapng spec forbids it);
 *  - an SPB's captured length is min(original length, effective snapshot
 *    length of interface 0, bytes in the block body) [diff: libpcap fails
 *    when the body is shorter than the first two]. An SPB carries no time;
 *    it is reported at if_tsoffset seconds (as libpcap does) with CAP_F_NO_TS;
 *  - the IDB options libpcap interprets are checked as strictly as libpcap
 *    does: an option running past the block, if_tsresol not 1 byte long or
 *    finer than 2^-63 / 10^-19, if_tsoffset not 8 bytes long, either of them
 *    twice, or opt_endofopt with a length, is TC_MALFORMED;
 *  - [diff] libpcap 1.10 refuses files whose interfaces have different link
 *    types or snapshot lengths, files whose sections change byte order, and
 *    files with no IDB at all; all of these are valid pcapng and read here;
 *  - [diff] libpcap skips the trailer and multiple-of-4 checks for the first
 *    SHB only, and caps the first SHB at 1 MiB and other blocks at 16 MiB
 *    (more when an IDB's link type allows larger packets: an EPB with the
 *    largest packet and 128 KiB of options); we check every block alike
 *    and cap nothing but the file's end, except on a stream (see
 *    cap_open_input), where libpcap's block cap applies.
 * Both formats:
 *  - a captured length above the original length is kept as captured and
 *    reported through cap_packet.flags (CAP_F_CAPLEN_GT_LEN);
 *  - timestamps are exact integers. pcap seconds are unsigned 32-bit as the
 *    format defines them [diff: libpcap sign-extends them]; a pcap fraction
 *    of a second at or above one second is carried into the seconds (the
 *    total time stays exact) and flagged CAP_F_TS_FRAC_OVERFLOW. pcapng
 *    fractions are converted to nanoseconds rounding down, exactly even for
 *    binary resolutions [diff: libpcap's 64-bit product overflows for
 *    resolutions finer than about 2^-34].
 */
#ifndef TC_CAPTURE_H
#define TC_CAPTURE_H

#include "tc.h"

/* pcapng interfaces per section: the first CAP_INLINE_IFACES live in the
 * reader, more in a table on the heap that doubles as needed, up to
 * CAP_MAX_IFACES (a bound against hostile files: 2 MiB of table); more is
 * TC_MALFORMED. tshark and libpcap set no bound but memory. */
#define CAP_INLINE_IFACES 256u
#define CAP_MAX_IFACES 65536u
#define CAP_MAX_SNAPLEN 262144u

enum cap_format {
	CAP_FMT_PCAP = 1,
	CAP_FMT_PCAPNG
};

/* cap_packet.flags */
#define CAP_F_CAPLEN_GT_LEN    0x1u  /* captured length above the original length */
#define CAP_F_OBSOLETE_PB      0x2u  /* came from an obsolete pcapng Packet Block  */
#define CAP_F_CLAMPED          0x4u  /* pcap: captured length cut to the snapshot length */
#define CAP_F_NO_TS            0x8u  /* pcapng SPB: the file carries no timestamp  */
#define CAP_F_TS_FRAC_OVERFLOW 0x10u /* pcap: fraction field was >= one second      */

struct cap_packet {
	const uint8_t *data;  /* caplen bytes, a view into the caller's buffer */
	uint32_t caplen;      /* bytes present in the file                      */
	uint32_t origlen;     /* bytes on the wire                              */
	int64_t ts_sec;       /* seconds since the epoch                        */
	uint32_t ts_nsec;     /* nanoseconds within the second, < 1e9          */
	uint8_t ts_digits;    /* 6 or 9: precision the file carries, for output */
	uint32_t linktype;    /* LINKTYPE_* of the record's interface           */
	uint32_t ifindex;     /* pcapng interface id; 0 for pcap                */
	uint64_t frame;       /* 1-based record number, as Wireshark numbers it */
	uint32_t flags;       /* CAP_F_*                                        */
	uint64_t offset;      /* byte offset of the record (pcap) or block      */
};

struct cap_iface {
	uint32_t linktype;
	uint32_t snaplen;     /* effective snapshot length (see above)          */
	uint64_t ts_units;    /* timestamp units per second (if_tsresol)       */
	int64_t ts_offset;    /* if_tsoffset, seconds                           */
	uint8_t ts_digits;    /* 6 when ts_units <= 10^6, else 9                */
	uint32_t ts_mult;     /* 10^9 / ts_units when that is exact, else 0     */
};

/* Reader state. Callers treat it as opaque; it is public only so that it can
 * live on the stack without allocation. It must not be copied while it is
 * in use (ifaces may point into it). */
struct cap_reader {
	const uint8_t *buf;
	const uint8_t *end;
	const uint8_t *p;          /* next record or block */
	enum cap_format format;
	bool swapped;              /* true: the file (pcap) or current section
				    * (pcapng) is little-endian; false: big-endian */
	uint32_t linktype;         /* pcap: the file's link type; pcapng: the
				    * first IDB's (0 until one is seen) */
	uint32_t snaplen;          /* pcap: effective snapshot length; pcapng:
				    * the first IDB's */
	uint8_t ts_digits;         /* pcap: 6 or 9; pcapng: the first IDB's */
	uint32_t n_ifaces;         /* pcapng: interfaces of the current section */
	struct cap_iface *ifaces;  /* n_ifaces of them: iface_buf, or the heap */
	uint32_t ifaces_cap;       /* room at ifaces */
	struct cap_iface iface_buf[CAP_INLINE_IFACES];
	uint64_t frame;            /* the last frame number given: packets and
				    * the pcapng blocks that take one */
	char err[192];             /* reason of the last failure, for messages */
	uint64_t err_offset;       /* byte offset of the failing record or block */
	/* extensions */
	enum tc_rc state;          /* TC_OK while walking; then the sticky result */
	uint16_t version_major;    /* of the file header or current SHB */
	uint16_t version_minor;
	uint8_t rec_hdr_len;       /* pcap: 16, or 24 for magic 0xa1b2cd34 */
	uint8_t len_order;         /* pcap: internal, caplen/len field order */
	uint64_t ts_units;         /* pcap: 10^6 or 10^9 */
	uint32_t n_sections;       /* pcapng: sections seen so far */
	uint32_t ts_mult;          /* pcap: 10^9 / ts_units (1000 or 1) */
	uint32_t max_caplen;       /* pcap: cap_max_caplen(linktype) */
	uint64_t base;             /* file offset of buf[0] (cap_refill) */
	bool peek_cut;             /* pcapng: cap_open's look-ahead for the first
				    * IDB ran out of bytes before it decided */
	uint64_t size;             /* cap_open_input: what is known of the input */
	uint32_t max_block;        /* pcapng on a stream: the largest block */
};

/*
 * cap_open - recognise the format and read the file header.
 * buf/len: the whole file; it must outlive the reader and every packet view.
 * r is reset (whatever it held is forgotten: cap_close a reader before
 * opening it again).
 * Returns TC_OK; TC_END for an empty buffer ("empty file"); TC_TRUNCATED when
 * the header is cut short (also for a buffer of 1-3 bytes that begins a known
 * magic); TC_MALFORMED for an unknown magic or an impossible header. On
 * failure r->err says why in words fit for "FILE: <err>".
 */
enum tc_rc cap_open(struct cap_reader *r, const uint8_t *buf, size_t len);

/*
 * cap_next - the next packet record.
 * Returns TC_OK with *pkt filled; TC_END after the last record; TC_TRUNCATED
 * when the file ends inside a record or block; TC_MALFORMED when a record or
 * block is corrupt; TC_NOMEM when a section's interface table cannot grow
 * (see CAP_MAX_IFACES). After the end or a failure the reader stays there
 * (returns the same code again) and r->err / r->err_offset describe it.
 * Non-packet pcapng blocks are consumed silently. *pkt is written only on
 * TC_OK.
 */
enum tc_rc cap_next(struct cap_reader *r, struct cap_packet *pkt);

/*
 * cap_close - release what the reader allocated (the interface table of a
 * pcapng section with more than CAP_INLINE_IFACES interfaces). Call it once
 * done with a reader that cap_open has opened, before freeing or reopening
 * it; the packet views stay valid (they point into the caller's buffer).
 * Calling it again, or on a reader that allocated nothing, does nothing.
 */
void cap_close(struct cap_reader *r);

/*
 * Streams (a pipe, standard input): the caller holds a window of the file,
 * not all of it, and the reader walks the window as if it were the file.
 * cap_open's first window holds at least CAP_OPEN_MIN bytes, or the whole
 * file when it is shorter (what the file is, or is not, shows in its first
 * bytes). When cap_open returns TC_TRUNCATED, or TC_OK with r->peek_cut, and more
 * of the file can come, the caller makes the window longer (same start)
 * and calls cap_open again. When cap_next returns TC_END or TC_TRUNCATED
 * and more can come, the caller keeps the bytes from r->p on (the record or
 * block not yet read: nothing before it is looked at again), reads more
 * after them and calls cap_refill with the new window, then cap_next
 * again; at the real end of the file, a last cap_refill without new bytes
 * lets cap_next give its final answer. Records, offsets, errors and their
 * wording are then exactly those of cap_open and cap_next over the whole
 * file in one buffer (tests/unit/test_capture.c reads every capture both
 * ways, in windows of many sizes).
 */
/*
 * cap_refill - the window now starts at buf with the bytes that were at
 * r->p (len bytes in all, at least as many as before from r->p on). Clears
 * a TC_END or TC_TRUNCATED result; a TC_MALFORMED one stays.
 */
void cap_refill(struct cap_reader *r, const uint8_t *buf, size_t len);
#define CAP_OPEN_MIN 16

/*
 * cap_open_input, cap_refill_input - cap_open and cap_refill, told what the
 * caller knows of the input beyond the window, so that a corrupt length
 * costs no memory. size is one of:
 *   CAP_SIZE_UNKNOWN  nothing (what cap_open and cap_refill assume);
 *   CAP_SIZE_STREAM   a pipe or standard input: a pcapng block that the
 *                     window does not hold and that is above libpcap's
 *                     limit (16 MiB, or an EPB with the largest packet of a
 *                     link type seen so far and 128 KiB of options: 128 MiB
 *                     and 128 KiB with D-Bus) fails at once, TC_MALFORMED,
 *                     naming the limit; so a stream's window never grows
 *                     past that (a pcap record is never above
 *                     cap_max_caplen anyway);
 *   anything else     a regular file of that many bytes (taken again at
 *                     each refill when the file may grow): a record or
 *                     block that claims bytes past its end fails at once
 *                     with exactly the sentence the end of the file would
 *                     give it ("truncated ..., N bytes left"), but as
 *                     TC_MALFORMED, for good (no longer window can help),
 *                     instead of asking for a window reaching that end.
 * Records, offsets and sentences are otherwise those of cap_open/cap_refill.
 */
#define CAP_SIZE_UNKNOWN 0u
#define CAP_SIZE_STREAM UINT64_MAX
enum tc_rc cap_open_input(struct cap_reader *r, const uint8_t *buf, size_t len, uint64_t size);
void cap_refill_input(struct cap_reader *r, const uint8_t *buf, size_t len, uint64_t size);

/*
 * cap_ts_convert - the time t units of 1/units second after the epoch, plus
 * offset seconds, as seconds and nanoseconds (rounded down; seconds summed
 * modulo 2^64). units must not be 0. Pure function; the reader's reference
 * conversion, exported so that tests can hold its fast paths to it.
 */
void cap_ts_convert(uint64_t t, uint64_t units, int64_t offset,
		    int64_t *sec, uint32_t *nsec);

/*
 * cap_max_caplen - the largest captured length libpcap accepts for a link
 * type (its max_snaplen_for_dlt): 262144 except D-Bus, USBPcap and EBHSCR,
 * whose frames can be larger. Pure function.
 */
uint32_t cap_max_caplen(uint32_t linktype);

#endif /* TC_CAPTURE_H */
