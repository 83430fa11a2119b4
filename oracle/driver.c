/*
 * driver.c - the per-file replay loop every subcommand shares.
 *
 * load -> cap_open -> for each record: --filter (libpcap BPF, compiled once
 * per link type with pcap_open_dead, applied with pcap_offline_filter, so an
 * expression means exactly what it means to tcpdump) -> decode -> callback.
 * Each file is independent: an unreadable file or a record the reader cannot
 * walk past is reported on stderr with the file's name and the reason, the
 * subcommand's file_end still runs so everything printed stays complete, and
 * the next file is replayed.
 *
 * The input is read through a window (input.c): when the reader reaches its
 * end, the window slides (input_more, cap_refill) and the walk goes on. A
 * regular file that ends short of the size it had when opened was cut by
 * another program while it was read; that is the file's error, named as
 * such.
 *
 * In sanitizer builds each record is copied into a heap buffer of exactly its
 * captured length before decoding, so AddressSanitizer sees any over-read of
 * the packet even though the window holds many records.
 *
 * Once a write to standard output has failed (disk full, closed
 * descriptor), reading stops at the next 4 MiB mark, the file's file_end
 * still runs, no later file is read, and the status is 2 with the reason
 * on stderr (output_failed): a run never ends as if its records were all
 * written.
 *
 * Progress (--progress, or by default when stderr is a terminal and stdout
 * is not): a line on stderr at most once a second while a file is read,
 * rewritten in place on a terminal, and a last line when the file is done
 * if any was shown (always with --progress). Checked every 4 MiB of input,
 * so it costs nothing per packet; stdout is never touched.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#if defined(__SANITIZE_ADDRESS__)
#define EXACT_COPY 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXACT_COPY 1
#endif
#endif
#ifndef EXACT_COPY
#define EXACT_COPY 0
#endif

/* Compiled filters, one per link type and byte order met in the file
 * (pcapng may mix both). */
#define MAX_FILTERS 16

struct filter_cache {
	const char *expr;
	unsigned n;
	uint32_t linktype[MAX_FILTERS];
	bool little[MAX_FILTERS];
	struct bpf_program prog[MAX_FILTERS];
};

static void filter_free(struct filter_cache *fc)
{
	for (unsigned i = 0; i < fc->n; i++)
		pcap_freecode(&fc->prog[i]);
	fc->n = 0;
}

static void put32(uint8_t *p, uint32_t v, bool little)
{
	for (int i = 0; i < 4; i++)
		p[little ? i : 3 - i] = (uint8_t)(v >> (8 * i));
}

/*
 * A filter must mean what it means to `tcpdump -r` on the same file, and
 * libpcap compiles some expressions differently for a file than for a live
 * or "dead" handle: on BSD loopback (link types 0 and 108) the address
 * family of IPv6 is 24, 28 or 30 in a file (the BSDs' values) but the host's
 * own (10 on Linux) otherwise, and for link type 0 it is stored in the byte
 * order of the machine that wrote the file. So the filter is compiled on a
 * savefile handle opened on a pcap file header of the record's link type
 * and byte order, held in memory (fmemopen): libpcap maps the LINKTYPE_
 * number to its DLT_ itself, as it does for the real file. The old BSD
 * numbers for raw IP, which tuplecheck decodes as such, are given as
 * LINKTYPE_RAW. NULL with the reason in err on failure.
 */
static pcap_t *filter_handle(uint32_t linktype, bool little, char *err, size_t errlen)
{
	uint8_t hdr[24];
	char perr[PCAP_ERRBUF_SIZE];
	FILE *f;
	pcap_t *p;

	if (linktype == LT_RAW_OLD12 || linktype == LT_RAW_OLD14)
		linktype = LT_RAW;
	memset(hdr, 0, sizeof(hdr));
	put32(hdr, 0xa1b2c3d4, little);
	hdr[little ? 4 : 5] = 2;                /* version 2.4 */
	hdr[little ? 6 : 7] = 4;
	put32(hdr + 16, CAP_MAX_SNAPLEN, little);
	put32(hdr + 20, linktype, little);
	f = fmemopen(hdr, sizeof(hdr), "r");
	if (f == NULL) {
		snprintf(err, errlen, "--filter: cannot set up a filter: %s", strerror(errno));
		return NULL;
	}
	perr[0] = '\0';
	p = pcap_fopen_offline(f, perr);
	if (p == NULL) {
		fclose(f);
		snprintf(err, errlen, "--filter: cannot set up a filter for link type %u: %s",
			 linktype, perr);
	}
	return p;
}

/* Returns the program for the record's link type and byte order, compiling
 * it on first use; NULL with a message in err on a compile error. */
static struct bpf_program *filter_get(struct filter_cache *fc, uint32_t linktype, bool little,
				      char *err, size_t errlen)
{
	pcap_t *h;

	for (unsigned i = 0; i < fc->n; i++)
		if (fc->linktype[i] == linktype && fc->little[i] == little)
			return &fc->prog[i];
	if (fc->n == MAX_FILTERS) {
		snprintf(err, errlen, "--filter: more than %d link types in one file", MAX_FILTERS);
		return NULL;
	}
	h = filter_handle(linktype, little, err, errlen);
	if (h == NULL)
		return NULL;
	if (pcap_compile(h, &fc->prog[fc->n], fc->expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "--filter: %s (link type %u)", pcap_geterr(h), linktype);
		pcap_close(h);
		return NULL;
	}
	pcap_close(h);
	fc->linktype[fc->n] = linktype;
	fc->little[fc->n] = little;
	return &fc->prog[fc->n++];
}

static bool filter_pass(struct bpf_program *prog, const struct cap_packet *cp)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)cp->ts_sec;
	h.ts.tv_usec = (suseconds_t)(cp->ts_nsec / 1000);
	h.caplen = cp->caplen;
	h.len = cp->origlen;
	return pcap_offline_filter(prog, &h, cp->data) != 0;
}

/* ---- progress ------------------------------------------------------------ */

struct progress {
	bool on;                       /* lines may be printed for this file */
	bool forced;                   /* --progress: the last line always */
	bool tty;                      /* stderr is a terminal: rewrite in place */
	bool shown;                    /* a line is on the screen */
	double t0, next;               /* start, time of the next line */
};

static double mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_begin(struct progress *pg, const struct tc_options *o)
{
	memset(pg, 0, sizeof(*pg));
	pg->tty = isatty(STDERR_FILENO) != 0;
	pg->forced = o->progress > 0;
	pg->on = pg->forced || (o->progress == 0 && pg->tty && !isatty(fileno(o->out)));
	if (pg->on) {
		pg->t0 = mono_seconds();
		pg->next = pg->t0 + 1.0;
	}
}

/* At byte off of len (0: a stream, length unknown), packets read so far:
 * a line if a second has passed. */
static void progress_tick(struct progress *pg, const char *name, uint64_t off, uint64_t len,
			  uint64_t packets)
{
	char where[64];
	double now, dt;

	if (!pg->on || (now = mono_seconds()) < pg->next)
		return;
	pg->next = now + 1.0;
	dt = now - pg->t0;
	if (len > 0)
		snprintf(where, sizeof(where), "%3.0f%% (%.1f of %.1f MB)",
			 100.0 * (double)off / (double)len, (double)off / 1e6, (double)len / 1e6);
	else
		snprintf(where, sizeof(where), "%.1f MB", (double)off / 1e6);
	fprintf(stderr, "%stuplecheck: %s: %s, %llu packets, %.2f M packets/s%s",
		pg->tty ? "\r" : "", name, where, (unsigned long long)packets,
		(double)packets / dt / 1e6, pg->tty ? "\033[K" : "\n");
	fflush(stderr);
	pg->shown = true;
}

/* The file is read (to its end or to a failure at byte off). */
static void progress_end(struct progress *pg, const char *name, uint64_t off, uint64_t packets)
{
	double dt;

	if (!pg->on || (!pg->shown && !pg->forced))
		return;
	dt = mono_seconds() - pg->t0;
	fprintf(stderr, "%stuplecheck: %s: read %llu packets (%.1f MB) in %.2f s, %.2f M packets/s%s\n",
		pg->tty && pg->shown ? "\r" : "", name, (unsigned long long)packets,
		(double)off / 1e6, dt, dt > 0 ? (double)packets / dt / 1e6 : 0.0,
		pg->tty && pg->shown ? "\033[K" : "");
	fflush(stderr);
}

/* The checksums are verified when any checksum rule is on; a wrong one is
 * kept only when its own rule is (--rules +tcp.bad-checksum: TCP's alone).
 * Every command sees the same: `packets` lists it, `flows` gives its
 * connection Zeek's c/C, `replay` reports it. */
static void drop_checksums_off(struct pkt *p, uint8_t on)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->n_err; i++) {
		uint8_t e = p->err[i];

		if ((e == PE_IP_BAD_CHECKSUM && !(on & CSUM_IP)) ||
		    (e == PE_TCP_BAD_CHECKSUM && !(on & CSUM_TCP)) ||
		    (e == PE_UDP_BAD_CHECKSUM && !(on & CSUM_UDP)))
			continue;
		p->err[n++] = e;
	}
	p->n_err = (uint8_t)n;
}

/*
 * Records of link types the decoder does not read (link.unsupported): a
 * capture of 802.11 frames or USB traffic gives no connection at all, and
 * the summary's "rejected" alone does not say why. One line per such link
 * type goes to stderr at the end of the file, after its records; the exit
 * status does not change (the file was read).
 */
#define UNREAD_LINKS 4
struct unread_links {
	unsigned n;
	uint32_t lt[UNREAD_LINKS];
	uint64_t count[UNREAD_LINKS];
	uint64_t others;        /* records of further link types */
};

static void unread_add(struct unread_links *u, uint32_t lt)
{
	for (unsigned i = 0; i < u->n; i++)
		if (u->lt[i] == lt) {
			u->count[i]++;
			return;
		}
	if (u->n == UNREAD_LINKS) {
		u->others++;
		return;
	}
	u->lt[u->n] = lt;
	u->count[u->n++] = 1;
}

static void unread_report(const struct unread_links *u, const char *shown, uint64_t packets)
{
	for (unsigned i = 0; i < u->n; i++) {
		uint32_t lt = LT_TYPE(u->lt[i]);
		/* libpcap names DLT_ values, which equal the LINKTYPE_ ones up
		 * to 10 and from 104 on */
		const char *what = lt <= 10 || (lt >= 104 && lt <= 0x7FFFFFFFu) ?
				   pcap_datalink_val_to_description((int)lt) : NULL;

		fprintf(stderr, "tuplecheck: %s: %llu of %llu records have link type %u%s%s%s, "
			"which tuplecheck does not decode (counted as rejected; `tuplecheck --help` "
			"lists the link types it reads)\n", shown, (unsigned long long)u->count[i],
			(unsigned long long)packets, lt, what ? " (" : "", what ? what : "",
			what ? ")" : "");
	}
	if (u->others > 0)
		fprintf(stderr, "tuplecheck: %s: %llu more records of other link types it does "
			"not decode\n", shown, (unsigned long long)u->others);
}

/* A file that cannot be opened or whose header cannot be read: the line on
 * stderr, and the reason where the caller asked for it. Returns 2. */
static int open_failed(struct tc_options *o, const char *name, const char *why)
{
	fprintf(stderr, "tuplecheck: %s: %s\n", name, why);
	if (o->open_error != NULL)
		snprintf(o->open_error, o->open_error_len, "%s", why);
	return 2;
}

/* What the reader is told of the input beyond its window (capture.h
 * cap_open_input): a regular file's size (kept current by input_more), so
 * that a corrupt length fails at once instead of growing the window to the
 * end of the file; or that it is a stream, where a block above libpcap's
 * limit is refused. */
static uint64_t input_extent(const struct input *in)
{
	return in->regular ? in->size : CAP_SIZE_STREAM;
}

/*
 * The stderr line for records --filter judged on bytes libpcap misreads
 * (link_bpf_caveat), after "--filter", the verb, and their count. tcpdump -r
 * selects the same records: the filter still means what it means there.
 */
static const struct { const char *verb, *what; } bpf_caveat_line[LINK_BPF_N] = {
	[LINK_BPF_ARCNET_1051] = { "judged", "Linux ARCNET records of RFC 1051 IP (protocol id "
		"0xF0) on the wrong bytes: libpcap compiles filters for link type 129 as if "
		"every frame had RFC 1201's 8-byte header, so it reads their IP header 3 bytes "
		"late (tcpdump -r selects the same records)" },
	[LINK_BPF_PFLOG_BSD6] = { "met", "pflog records of IPv6 (address family 24, 28 or 30, "
		"as a BSD logs it): libpcap compiles a filter's IPv6 test for link type 117 "
		"against this system's own AF_INET6, so no IPv6 part of the filter matched them "
		"(tcpdump -r selects the same records)" },
};

/* One file. Returns 0 or 2; *fatal set when --filter cannot compile (a usage
 * error that would repeat for every file). */
static int drive_file(struct tc_options *o, const struct drive_ops *ops, void *ctx,
		      const char *path, bool *fatal)
{
	struct input in;
	struct cap_reader *rd;
	struct cap_packet cp;
	struct pkt p;
	struct file_stats st;
	struct filter_cache fc;
	struct unread_links ul;
	char err[320], cut[448];
	const char *name = file_display_name(path);
	char shown_buf[NAME_LINE_MAX];
	const char *shown = name_for_line(name, shown_buf, sizeof(shown_buf));   /* stderr */
	const char *stop = NULL;
	enum tc_rc rc;
	int status = 0;
	uint64_t check_at = 0;
	uint64_t bpf_caveats[LINK_BPF_N] = { 0 };   /* records --filter misjudged, by kind */
	struct progress pg;

	memset(&st, 0, sizeof(st));
	memset(&fc, 0, sizeof(fc));
	memset(&ul, 0, sizeof(ul));
	fc.expr = o->filter;
	if (input_load(&in, path, err, sizeof(err)) != TC_OK)
		return open_failed(o, shown, err);
	rd = malloc(sizeof(*rd));
	if (rd == NULL) {
		input_free(&in);
		return open_failed(o, shown, "out of memory");
	}
	rc = cap_open_input(rd, in.data, in.len, input_extent(&in));
	/* until the window shows what the file is (capture.h) */
	while (!in.eof && (rc == TC_TRUNCATED || (rc == TC_OK && rd->peek_cut))) {
		if (input_more(&in, in.data, err, sizeof(err)) != TC_OK) {
			cap_close(rd);
			free(rd);
			input_free(&in);
			return open_failed(o, shown, err);
		}
		rc = cap_open_input(rd, in.data, in.len, input_extent(&in));
	}
	if (rc != TC_OK) {
		snprintf(err, sizeof(err), "%s",
			 rc == TC_END ? "empty file, not a pcap or pcapng capture" : rd->err);
		cap_close(rd);
		free(rd);
		input_free(&in);
		return open_failed(o, shown, err);
	}
	if (ops->file_begin)
		ops->file_begin(ctx, name, rd);
	progress_begin(&pg, o);

	for (;;) {
		uint8_t *copy = NULL;

		rc = cap_next(rd, &cp);
		if (rc != TC_OK) {
			if (in.eof || (rc != TC_END && rc != TC_TRUNCATED))
				break;
			/* the window is used up: slide it (records seen so far
			 * first, when no more has come yet) */
			if (input_would_block(&in)) {
				if (ops->idle)
					ops->idle(ctx);
				fflush(o->out);
			}
			if (input_more(&in, rd->p, err, sizeof(err)) != TC_OK) {
				stop = err;
				break;
			}
			cap_refill_input(rd, in.data, in.len, input_extent(&in));
			continue;
		}
		st.packets++;
		if (cp.offset >= check_at) {    /* every 4 MiB: errors, progress */
			if (ferror(o->out))     /* what follows would be lost */
				break;
			if (tc_interrupted) {
				stop = "interrupted";
				break;
			}
			progress_tick(&pg, shown, cp.offset, in.size, st.packets);
			check_at = cp.offset + ((uint64_t)4 << 20);
		}
		if (o->filter != NULL) {
			struct bpf_program *prog = filter_get(&fc, cp.linktype, rd->swapped,
							      err, sizeof(err));

			if (prog == NULL) {
				/* this record is not processed: the counts must
				 * still add up (packets = filtered + decoded +
				 * rejected) */
				st.packets--;
				stop = err;
				*fatal = true;
				break;
			}
			bpf_caveats[link_bpf_caveat(cp.linktype, cp.data, cp.caplen)]++;
			if (!filter_pass(prog, &cp)) {
				st.filtered++;
				continue;
			}
		}
		if (EXACT_COPY && cp.caplen > 0) {
			copy = malloc(cp.caplen);
			if (copy == NULL) {
				snprintf(err, sizeof(err), "out of memory at frame %llu",
					 (unsigned long long)cp.frame);
				stop = err;
				break;
			}
			memcpy(copy, cp.data, cp.caplen);
			cp.data = copy;
		}
		decode_packet(cp.linktype, cp.data, cp.caplen, cp.origlen, &p);
		if (o->checksums && p.have_ip) {
			decode_verify_checksums(&p);
			drop_checksums_off(&p, o->checksum_rules);
		}
		if (p.have_ip) {
			st.decoded++;
		} else {
			st.rejected++;
			if (p.n_err > 0 && p.err[0] == PE_LINK_UNSUPPORTED) {
				st.link_unsupported++;
				unread_add(&ul, cp.linktype);
			}
		}
		if (ops->packet)
			ops->packet(ctx, &cp, &p);
		free(copy);
	}
	if (stop == NULL && input_shrank(&in, cut, sizeof(cut))) {
		/* what the reader says of the cut, if anything, after that */
		if (rc != TC_END && rc != TC_OK)
			snprintf(cut + strlen(cut), sizeof(cut) - strlen(cut), ": %s", rd->err);
		stop = cut;
	} else if (stop == NULL && rc != TC_END && rc != TC_OK) {
		snprintf(err, sizeof(err), "%s", rd->err);
		stop = err;
	}
	progress_end(&pg, shown, rc == TC_END ? in.base + in.len : rc == TC_OK ? cp.offset :
		     rd->err_offset, st.packets);
	if (ops->file_end)
		ops->file_end(ctx, name, &st, stop);
	if (ul.n > 0) {
		output_flush(o->out);   /* records first, then the note */
		unread_report(&ul, shown, st.packets);
	}
	for (int k = LINK_BPF_OK + 1; k < LINK_BPF_N; k++)
		if (bpf_caveats[k] > 0) {
			output_flush(o->out);
			fprintf(stderr, "tuplecheck: %s: --filter %s %llu %s\n", shown,
				bpf_caveat_line[k].verb, (unsigned long long)bpf_caveats[k],
				bpf_caveat_line[k].what);
		}
	if (stop != NULL) {
		output_flush(o->out);   /* records first, then the reason */
		fprintf(stderr, "tuplecheck: %s: %s\n", shown, stop);
		status = 2;
	}
	if (output_failed(o->out))
		status = 2;
	filter_free(&fc);
	cap_close(rd);
	free(rd);
	input_free(&in);
	return status;
}

int tc_drive(struct tc_options *o, const struct drive_ops *ops, void *ctx)
{
	int status = 0;

	for (int i = 0; i < o->n_files; i++) {
		bool fatal = false;

		if (drive_file(o, ops, ctx, o->files[i], &fatal) != 0)
			status = 2;
		if (fatal && o->stop_run != NULL)
			*o->stop_run = true;
		if (fatal || output_failed(o->out) || tc_interrupted)
			break;
	}
	if (output_flush(o->out))
		status = 2;
	return status;
}
