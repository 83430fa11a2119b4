/*
 * pcapcmp - read one capture with our reader and with libpcap, compare.
 *
 * usage: pcapcmp FILE
 *
 * Our side maps the file and walks it with cap_open/cap_next (capture.h);
 * libpcap's side opens it with pcap_open_offline_with_tstamp_precision(NANO)
 * and calls pcap_next_ex. The two run in lockstep and every record is
 * compared: captured length, original length, timestamp (seconds and
 * nanoseconds, as one exact total), link type (ours mapped to libpcap's DLT_
 * numbering by asking libpcap itself, see dlt_of) and every byte. Then the
 * way each ends is compared: a clean end against an error, after the same
 * number of records. A libpcap that refuses to open a file counts as an
 * error after 0 records, so "both refuse" agrees.
 *
 * Output (stdout, one line): "OK N records ..." or the first difference.
 * Exit status: 0 same, 1 different, 2 cannot compare (the file cannot be
 * read, or libpcap 1.10 stops at something it does not support -- link
 * types or snapshot lengths that differ between pcapng interfaces, or a
 * byte-order change between sections -- after agreeing up to that point).
 */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"

/* libpcap 1.10 errors that are limitations of its API (one link type and
 * one snapshot length per pcap_t, one byte order per file), not judgements
 * on the file. Past them nothing can be compared. */
static const char *const libpcap_limits[] = {
	"different from the type of the first interface",
	"different from the snapshot length of the first interface",
	"sections with different byte orders",
};

static bool is_libpcap_limit(const char *msg)
{
	for (size_t i = 0; i < TC_ARRAY_SIZE(libpcap_limits); i++)
		if (strstr(msg, libpcap_limits[i]) != NULL)
			return true;
	return false;
}

/*
 * The DLT_ value libpcap reports for a file whose link-type field holds
 * linktype: write a 24-byte pcap header into memory and let libpcap open it.
 * Asking libpcap keeps its LINKTYPE_ -> DLT_ table (101 -> 12 for raw IP on
 * Linux, ...) out of this program. Returns -1 if libpcap will not open it.
 */
static int dlt_of(uint32_t linktype)
{
	static int cache[1024];
	static bool cached[1024];
	uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	char errbuf[PCAP_ERRBUF_SIZE];
	FILE *f;
	pcap_t *p;
	int dlt = -1;

	if (linktype < TC_ARRAY_SIZE(cache) && cached[linktype])
		return cache[linktype];
	hdr[16] = 0xff; hdr[17] = 0xff;              /* snaplen 65535 */
	hdr[20] = (uint8_t)linktype;
	hdr[21] = (uint8_t)(linktype >> 8);
	hdr[22] = (uint8_t)(linktype >> 16);
	hdr[23] = (uint8_t)(linktype >> 24);
	f = fmemopen(hdr, sizeof(hdr), "rb");
	if (f != NULL) {
		p = pcap_fopen_offline(f, errbuf);   /* takes f over */
		if (p != NULL) {
			dlt = pcap_datalink(p);
			pcap_close(p);
		} else {
			fclose(f);
		}
	}
	if (linktype < TC_ARRAY_SIZE(cache)) {
		cache[linktype] = dlt;
		cached[linktype] = true;
	}
	return dlt;
}

static __int128 total_ns(int64_t sec, int64_t nsec)
{
	return (__int128)sec * 1000000000 + nsec;
}

static void fmt_ts(char *buf, size_t n, __int128 t)
{
	int neg = t < 0;
	unsigned __int128 u = neg ? (unsigned __int128)-t : (unsigned __int128)t;

	snprintf(buf, n, "%s%llu.%09llu", neg ? "-" : "",
		 (unsigned long long)(u / 1000000000), (unsigned long long)(u % 1000000000));
}

/* Compare one record; prints the difference and returns false if any. */
static bool same_record(uint64_t n, const struct cap_packet *o,
			const struct pcap_pkthdr *h, const uint8_t *d, int dlt)
{
	char a[48], b[48];
	__int128 to = total_ns(o->ts_sec, o->ts_nsec);
	__int128 tl = total_ns((int64_t)h->ts.tv_sec, (int64_t)h->ts.tv_usec);
	int ours_dlt = dlt_of(o->linktype);

	if (o->caplen != h->caplen) {
		printf("record %llu: captured length ours %u, libpcap %u\n",
		       (unsigned long long)n, o->caplen, h->caplen);
		return false;
	}
	if (o->origlen != h->len) {
		printf("record %llu: original length ours %u, libpcap %u\n",
		       (unsigned long long)n, o->origlen, h->len);
		return false;
	}
	if (to != tl) {
		fmt_ts(a, sizeof(a), to);
		fmt_ts(b, sizeof(b), tl);
		printf("record %llu: timestamp ours %s, libpcap %s\n",
		       (unsigned long long)n, a, b);
		return false;
	}
	if (ours_dlt != dlt) {
		printf("record %llu: link type ours %u (DLT %d), libpcap DLT %d\n",
		       (unsigned long long)n, o->linktype, ours_dlt, dlt);
		return false;
	}
	for (uint32_t i = 0; i < o->caplen; i++) {
		if (o->data[i] != d[i]) {
			printf("record %llu: byte %u differs: ours 0x%02x, libpcap 0x%02x\n",
			       (unsigned long long)n, i, o->data[i], d[i]);
			return false;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	static const uint8_t empty[1];
	char errbuf[PCAP_ERRBUF_SIZE];
	const uint8_t *buf = empty;
	struct cap_reader *r;
	struct stat st;
	pcap_t *lp;
	uint64_t n = 0;
	enum tc_rc orc;
	size_t len = 0;
	void *map = NULL;
	const char *lerr = NULL;
	int fd, status = 0, dlt = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: pcapcmp FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		printf("cannot compare: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	len = (size_t)st.st_size;
	if (len > 0) {
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			printf("cannot compare: %s: mmap: %s\n", argv[1], strerror(errno));
			close(fd);
			return 2;
		}
		buf = map;
	}
	close(fd);

	r = malloc(sizeof(*r));
	if (r == NULL) {
		printf("cannot compare: out of memory\n");
		return 2;
	}
	orc = cap_open(r, buf, len);
	if (orc == TC_END)
		orc = TC_MALFORMED;   /* "empty file": a refusal, as libpcap's */
	lp = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO,
						     errbuf);
	if (lp == NULL)
		lerr = errbuf;
	else
		dlt = pcap_datalink(lp);

	for (;;) {
		struct cap_packet o;
		struct pcap_pkthdr *h = NULL;
		const u_char *d = NULL;
		int lrc = -1;

		if (orc == TC_OK)
			orc = cap_next(r, &o);
		if (lp != NULL) {
			lrc = pcap_next_ex(lp, &h, &d);
			if (lrc == PCAP_ERROR)
				lerr = pcap_geterr(lp);
		}
		if (orc == TC_OK && lrc == 1) {
			n++;
			if (!same_record(n, &o, h, d, dlt)) {
				status = 1;
				break;
			}
			continue;
		}
		if (orc == TC_OK || lrc == 1) {
			if (lrc == PCAP_ERROR && is_libpcap_limit(lerr)) {
				printf("cannot compare past record %llu: libpcap stops (%s); ours goes on\n",
				       (unsigned long long)n, lerr);
				status = 2;
			} else if (orc == TC_OK) {
				printf("record %llu: ours has it, libpcap %s\n",
				       (unsigned long long)n + 1,
				       lrc == PCAP_ERROR_BREAK ? "ends cleanly" : lerr);
				status = 1;
			} else {
				printf("record %llu: libpcap has it, ours %s (%s)\n",
				       (unsigned long long)n + 1, tc_rc_name(orc), r->err);
				status = 1;
			}
			break;
		}
		/* Neither has another record: compare how each ended. */
		if (orc == TC_END && lrc == PCAP_ERROR_BREAK) {
			printf("OK %llu records, both end cleanly\n", (unsigned long long)n);
		} else if (orc != TC_END && lrc == PCAP_ERROR) {
			if (is_libpcap_limit(lerr)) {
				printf("cannot compare: libpcap stops (%s); ours: %s\n", lerr, r->err);
				status = 2;
			} else {
				printf("OK %llu records, both stop with an error (ours: %s | libpcap: %s)\n",
				       (unsigned long long)n, r->err, lerr);
			}
		} else if (orc == TC_END) {
			if (is_libpcap_limit(lerr)) {
				printf("cannot compare past record %llu: libpcap stops (%s); ours ends cleanly\n",
				       (unsigned long long)n, lerr);
				status = 2;
			} else {
				printf("after %llu records: ours ends cleanly, libpcap fails (%s)\n",
				       (unsigned long long)n, lerr);
				status = 1;
			}
		} else {
			printf("after %llu records: libpcap ends cleanly, ours fails (%s: %s)\n",
			       (unsigned long long)n, tc_rc_name(orc), r->err);
			status = 1;
		}
		break;
	}
	if (lp != NULL)
		pcap_close(lp);
	cap_close(r);
	free(r);
	if (map != NULL)
		munmap(map, len);
	return status;
}
