/*
 * capture.h - pcap and pcapng records, read from memory.
 *
 * The reader walks a caller-owned buffer holding a whole capture file (mapped
 * by the caller, or read from standard input); it never copies packet bytes
 * and never allocates. Each record comes back as a view into that buffer.
 *
 * Formats: classic pcap (microsecond magic 0xa1b2c3d4 and nanosecond magic
 * 0xa1b23c4d, both byte orders) and pcapng (SHB, IDB, EPB, SPB, obsolete PB;
 * several interfaces with their own link types and if_tsresol; several
 * sections with either byte order; unknown block types skipped by length).
 *
 * Stated rules for records that do not fit (the same choices libpcap makes
 * where it makes one, so the differential test can compare us with it):
 *  - a record whose captured length exceeds the bytes left in the file ends
 *    the walk with TC_TRUNCATED ("truncated record"); earlier records stay
 *    valid;
 *  - a captured length above the larger of the snapshot length and 262144
 *    (libpcap's maximum) is TC_MALFORMED: it is corrupt, not merely large;
 *  - a captured length above the original length is kept as captured and
 *    reported through cap_packet.flags (CAP_F_CAPLEN_GT_LEN);
 *  - everything else is returned as it is.
 */
#ifndef TC_CAPTURE_H
#define TC_CAPTURE_H

#include "tc.h"

#define CAP_MAX_IFACES 256   /* pcapng interfaces per section; more is malformed */
#define CAP_MAX_SNAPLEN 262144u

enum cap_format {
	CAP_FMT_PCAP = 1,
	CAP_FMT_PCAPNG
};

/* cap_packet.flags */
#define CAP_F_CAPLEN_GT_LEN 0x1u  /* captured length above the original length */
#define CAP_F_OBSOLETE_PB   0x2u  /* came from an obsolete pcapng Packet Block  */

struct cap_packet {
	const uint8_t *data;  /* caplen bytes, a view into the caller's buffer */
	uint32_t caplen;      /* bytes present in the file                      */
	uint32_t origlen;     /* bytes on the wire                              */
	int64_t ts_sec;       /* seconds since the epoch                        */
	uint32_t ts_nsec;     /* nanoseconds within the second, < 1e9          */
	uint8_t ts_digits;    /* 6 or 9: precision the file carries, for output */
	uint32_t linktype;    /* LINKTYPE_* of the record's interface           */
	uint32_t ifindex;     /* pcapng interface id; 0 for pcap                */
	uint64_t frame;       /* 1-based record number in the file              */
	uint32_t flags;       /* CAP_F_*                                        */
};

struct cap_iface {
	uint32_t linktype;
	uint32_t snaplen;
	uint64_t ts_units;    /* timestamp units per second (if_tsresol)       */
	int64_t ts_offset;    /* if_tsoffset, seconds                           */
};

/* Reader state. Callers treat it as opaque; it is public only so that it can
 * live on the stack without allocation. */
struct cap_reader {
	const uint8_t *buf;
	const uint8_t *end;
	const uint8_t *p;          /* next record or block */
	enum cap_format format;
	bool swapped;              /* file byte order differs from big-endian read order */
	uint32_t linktype;         /* pcap: the file's link type; pcapng: the first IDB's */
	uint32_t snaplen;
	uint8_t ts_digits;
	uint32_t n_ifaces;
	struct cap_iface ifaces[CAP_MAX_IFACES];
	uint64_t frame;
	char err[192];             /* reason of the last failure, for messages */
	uint64_t err_offset;       /* byte offset of the failing record or block */
};

/*
 * cap_open - recognise the format and read the file header.
 * buf/len: the whole file; it must outlive the reader and every packet view.
 * Returns TC_OK; TC_END for an empty buffer ("empty file"); TC_TRUNCATED when
 * the header is cut short; TC_MALFORMED for an unknown magic or an impossible
 * header. On failure r->err says why in words fit for "FILE: <err>".
 */
enum tc_rc cap_open(struct cap_reader *r, const uint8_t *buf, size_t len);

/*
 * cap_next - the next packet record.
 * Returns TC_OK with *pkt filled; TC_END after the last record; TC_TRUNCATED
 * when the file ends inside a record or block; TC_MALFORMED when a record or
 * block is corrupt. After a failure the reader stays failed (returns the same
 * code again) and r->err / r->err_offset describe it. Non-packet pcapng
 * blocks are consumed silently.
 */
enum tc_rc cap_next(struct cap_reader *r, struct cap_packet *pkt);

#endif /* TC_CAPTURE_H */
