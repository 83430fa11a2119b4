/*
 * cli.h - the tuplecheck command line: options, input files, the per-file
 * replay driver and the small output helpers every subcommand shares.
 *
 * Each subcommand (cmd_packets.c, cmd_flows.c, ...) is a function
 *     int cmd_NAME(struct tc_options *o);
 * returning the process exit status (0, 1 findings at/above --fail-on, 2 a
 * usage error or an unreadable input). It walks o->files with tc_drive(),
 * which loads each file, applies --filter, decodes every record and hands
 * each one to the subcommand's callback. Engine state starts empty per file.
 */
#ifndef TC_CLI_H
#define TC_CLI_H

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>              /* FMT_LIT */
#include "tc.h"
#include "capture.h"
#include "decode.h"

enum out_format { FMT_TEXT = 0, FMT_JSONL, FMT_JUNIT, FMT_SARIF };
enum severity { SEV_INFO = 0, SEV_WARNING = 1, SEV_ERROR = 2 };

/* tc_options.checksum_rules */
#define CSUM_IP  1u
#define CSUM_TCP 2u
#define CSUM_UDP 4u

struct tc_options {
	const char *cmd;               /* subcommand name */
	enum out_format format;
	const char *filter;            /* --filter EXPR, NULL when absent */
	bool have_range;               /* --ephemeral-range or --profile given */
	uint16_t eph_lo, eph_hi;       /* inclusive, as the user writes it */
	const char *profile;           /* --profile name or NULL */
	uint32_t msl;                  /* --msl seconds, default 60 */
	uint32_t min_samples;          /* --min-samples, default 8 */
	const char *rules;             /* --rules LIST as given, or NULL */
	uint8_t checksum_rules;        /* CSUM_*: the checksum rules --rules turns on */
	enum severity fail_on;         /* --fail-on, default error */
	uint64_t max_flows;            /* --max-flows, 0 = no cap */
	bool have_seed;                /* --seed given: fixed hash key */
	uint64_t seed;
	bool checksums;                /* verify checksums (set when a *.bad-checksum rule is on) */
	int progress;                  /* --progress 1, --no-progress -1, default 0:
					  on when stderr is a terminal and stdout is not */
	int n_files;
	char **files;
	/* reduce: --rule, --signature, IN, OUT */
	const char *rule;
	const char *signature;
	FILE *out;                     /* where records go (stdout) */
	/* optional: where tc_drive copies the reason it gives on stderr for a
	 * file it could not open or whose header it could not read */
	char *open_error;
	size_t open_error_len;
	/* optional: set true by tc_drive when a file stopped the whole run (a
	 * --filter that cannot compile for its link type: a usage error that
	 * would repeat for every file), for callers that hand tc_drive one file
	 * at a time and must not go on to the next */
	bool *stop_run;
};

/* An input file, read through a window (input.c): a regular file, or a
 * stream ("-" for standard input, a pipe, a device). */
struct input {
	const char *name;              /* as the user wrote it; "-" is shown as "<stdin>" */
	const uint8_t *data;           /* the window: bytes base .. base + len of the file */
	size_t len;
	uint64_t base;                 /* file offset of data[0] */
	bool eof;                      /* the input has ended: len is all there is */
	bool regular;                  /* a regular file (never waits; size known) */
	uint64_t size;                 /* a regular file's size when opened, else 0 */
	uint8_t *heap;                 /* the window's buffer (cap bytes) */
	size_t cap;
	int fd;                        /* read from */
	bool own_fd;                   /* closed by input_free (not stdin) */
};

/* input_load - open PATH ("-" = stdin) and read its first window: at least
 * CAP_OPEN_MIN bytes unless the input is shorter. Returns TC_OK; TC_IO with
 * errbuf saying why ("No such file or directory", "is a directory", ...);
 * TC_NOMEM. The caller frees with input_free. */
enum tc_rc input_load(struct input *in, const char *path, char *errbuf, size_t errlen);
void input_free(struct input *in);

/* input_more - drop the window's bytes before keep (a position in data,
 * which nothing will read again), move the rest to the front and read once
 * more after it (the window doubles when the rest fills it: a record larger
 * than the window). data, len and base change; views into the old window
 * are no longer valid. At the end of the input sets eof and reads nothing.
 * Returns TC_OK; TC_IO or TC_NOMEM with errbuf saying why. */
enum tc_rc input_more(struct input *in, const uint8_t *keep, char *errbuf, size_t errlen);
/* input_would_block - a stream with nothing to read just now (a live
 * capture between packets): a good moment to flush what was printed.
 * Never for a regular file. */
bool input_would_block(const struct input *in);
/* input_shrank - a regular file that ended before the size it had when
 * opened (another program truncated it while it was read): true, with the
 * message in buf. */
bool input_shrank(const struct input *in, char *buf, size_t len);

/* Per-file statistics the driver keeps; subcommands add their own. */
struct file_stats {
	uint64_t packets;              /* records read */
	uint64_t filtered;             /* records dropped by --filter */
	uint64_t decoded;              /* decode_packet returned TC_OK with an IP header */
	uint64_t rejected;             /* records read, not filtered, not decoded */
	uint64_t link_unsupported;     /* of those rejected: records of a link type
	                                  tuplecheck does not decode */
};

/* Callbacks a subcommand gives the driver. Any may be NULL. */
struct drive_ops {
	/* Called once after the file header is read, before any packet. */
	void (*file_begin)(void *ctx, const char *file, const struct cap_reader *rd);
	/* Called for each record that passed --filter, after decoding. */
	void (*packet)(void *ctx, const struct cap_packet *cp, struct pkt *p);
	/* Called once at the end of each file that could be opened: error is
	 * NULL after a clean end, otherwise the reason the walk stopped early
	 * (the subcommand still flushes what it has, then the driver prints the
	 * error line and the exit status becomes 2). */
	void (*file_end)(void *ctx, const char *file, const struct file_stats *st,
			 const char *error);
	/* Called when a stream (standard input, a pipe) has nothing to read
	 * just now, as a live capture between packets: print what is held
	 * back (the driver then flushes stdout). */
	void (*idle)(void *ctx);
};

/*
 * tc_drive - run every file of o->files through ops.
 * Prints "tuplecheck: FILE: reason" on stderr for each file that cannot be
 * read or stops early, and carries on with the next file, except after a
 * --filter that cannot compile (then *o->stop_run is set when given), a
 * write error or an interruption.
 * Returns 0 when every file was read to its end, 2 otherwise.
 */
int tc_drive(struct tc_options *o, const struct drive_ops *ops, void *ctx);

/* ---- output helpers ------------------------------------------------------- */

/* JSON string with quotes and escapes; a byte that does not start valid
 * UTF-8 becomes U+FFFD, so the output is valid JSON for any file name. */
void json_str(FILE *f, const char *s);
/* Length of the valid UTF-8 sequence at s (1-4, the code point in *cp), or
 * 0 when s does not start one (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). Reads no further than a NUL. */
size_t utf8_len(const unsigned char *s, uint32_t *cp);
/* Timestamp as seconds with 6 or 9 decimals (digits), e.g. 1700000000.123456 */
void ts_print(FILE *f, int64_t sec, uint32_t nsec, uint8_t digits);

/*
 * Building one output record in memory, for the high-volume records (one per
 * flow): the caller appends into its own char buffer and writes the record
 * with one fwrite, instead of one stdio call per field. Each fmt_* writes
 * at most the stated number of bytes at p (no NUL) and returns the position
 * just after its text; the text is byte for byte what the FILE * helpers
 * above (and printf's %llu, addr_format) print. fmt_addr and fmt_ts_memo
 * copy whole words, so a few bytes after the returned position (still
 * within the stated maximum) may be overwritten: keep writing from there.
 */
/* FMT_LIT - the string literal lit at p, without its NUL (one fixed-size
 * copy); evaluates to the position after it. */
#define FMT_LIT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

#define FMT_U64_MAX 20          /* 18446744073709551615 */
#define FMT_TS_MAX 32           /* -9223372036854775808.123456789 */
#define FMT_ADDR_MAX 46         /* as addr_format's buffer */
/* Bytes fmt_json_str needs for a string of len bytes (quotes included). */
#define FMT_JSON_STR_MAX(len) (6 * (size_t)(len) + 2)

/* fmt_u64 - v in decimal. */
char *fmt_u64(char *p, uint64_t v);
/* fmt_ts - the timestamp exactly as ts_print prints it. */
char *fmt_ts(char *p, int64_t sec, uint32_t nsec, uint8_t digits);
/* What fmt_ts_memo remembers between calls: the digits of the last
 * seconds value but its last two. Start it zeroed; one per output stream
 * of timestamps. */
struct fmt_ts_memo {
	uint64_t hundreds;             /* seconds / 100 the digits are of */
	size_t len;                    /* 0 while nothing is remembered */
	char text[FMT_U64_MAX];
};
/* fmt_ts_memo - fmt_ts's text (the same bytes, at most FMT_TS_MAX), faster
 * when the seconds share all but their last two digits with the previous
 * call's, as the times of records in one capture mostly do. */
char *fmt_ts_memo(char *p, struct fmt_ts_memo *m, int64_t sec, uint32_t nsec, uint8_t digits);
/* fmt_addr - addr_format's text of addr (ipver 4 or 6), without its NUL. */
char *fmt_addr(char *p, uint8_t ipver, const uint8_t addr[16]);
/* fmt_json_str - s (NUL-terminated) as json_str prints it, quotes included;
 * at most FMT_JSON_STR_MAX(strlen(s)) bytes. */
char *fmt_json_str(char *p, const char *s);
/* Display name of a file argument ("-" -> "<stdin>"). */
const char *file_display_name(const char *path);
/* name_for_line - name as it may appear in a one-line message: name itself
 * when it has no control character, else a copy in buf (len bytes) with
 * them escaped ("\n", "\t", "\x1b"), so that one message stays one line.
 * NAME_LINE_MAX holds any name open(2) accepts (PATH_MAX bytes, 4 each
 * escaped); a longer one is cut and ends in "...". */
#define NAME_LINE_MAX (4 * 4096 + 4)
const char *name_for_line(const char *name, char *buf, size_t len);

/*
 * Write errors. Records go through stdio, which only remembers that a write
 * failed (disk full, a closed or revoked descriptor, EIO): nothing is lost
 * silently if every run checks, stops reading once its output is failing,
 * and exits 2 with the reason.
 */
/* stream_flush - flush f: 0 when everything written to it so far reached
 * its file, otherwise the errno of the failure (-1 when stdio no longer
 * knows it). */
int stream_flush(FILE *f);
/* output_failed - true once a write to out (standard output) has failed;
 * the first call that sees it prints "tuplecheck: standard output: write
 * error: REASON" on stderr. Cheap (one flag test) while nothing failed. */
bool output_failed(FILE *out);
/* output_flush - flush out (standard output); true, with the reason
 * printed as output_failed does, when a write to it failed now or before. */
bool output_flush(FILE *out);
/* output_close - at exit: flush and close standard output; status when that
 * worked, 2 (reason on stderr, once) when any write to it failed. */
int output_close(int status);
/*
 * Interruption. After SIGINT or SIGTERM, tc_interrupted holds the signal's
 * number: the run stops reading where it is (at once when waiting on a
 * stream, within 4 MiB of a file), finishes that file as if it had ended
 * there (the records of connections still open, the summary with the
 * error "interrupted", so nothing printed is left cut), reads no other
 * file, and main then dies of the same signal, so a shell or a script
 * sees an interruption, not an error. A second signal kills at once.
 */
extern volatile sig_atomic_t tc_interrupted;
/* interrupt_setup - catch SIGINT and SIGTERM (unless the caller has them
 * ignored, as for a background job or under nohup). */
void interrupt_setup(void);
/* interrupt_finish - if a signal came, die of it now (after stdout was
 * closed). */
void interrupt_finish(void);
/* tc_thread_start - pthread_create for helper threads: they never take
 * SIGINT/SIGTERM, so a signal reaches the main thread and interrupts its
 * blocking read. Returns pthread_create's result. */
int tc_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* std_fds_hold - a descriptor 0-2 the caller closed would be taken by the
 * first file opened (and records meant for stdout could land in it): hold
 * each closed one on /dev/null, opened so that using it fails with EBADF as
 * using the closed descriptor would have. Call first thing in main. */
void std_fds_hold(void);

/* What a subcommand adds to the per-file summary record. */
struct summary {
	bool have_flows;               /* flows/evicted are printed only when counted */
	uint64_t flows, evicted;
	uint64_t unclassified;         /* connections the host classifier could not
	                                  take: their initiator came after its
	                                  host cap (printed when not 0) */
	uint64_t findings[3];          /* indexed by enum severity */
	const char *error;             /* why the file stopped early, or NULL */
};
/* The SPEC summary record, last for each file:
 * {"type":"summary","file":F,"packets":N,"decoded":N,"flows":N,"evicted":N,
 *  "findings":{"error":N,"warning":N,"info":N}} plus "filtered", "rejected",
 * "link_unsupported" and "unclassified_connections" when not 0 and, after an
 * early stop, "error". */
void summary_print_jsonl(FILE *f, const char *file, const struct file_stats *st,
			 const struct summary *s);

/* Parse argv into *o. Returns -1 when the command should run, otherwise the
 * exit status to return at once (0 after --help/--version, 2 usage error). */
int cli_parse(struct tc_options *o, int argc, char **argv);

/* Subcommands. */
int cmd_packets(struct tc_options *o);
int cmd_flows(struct tc_options *o);
int cmd_hosts(struct tc_options *o);
int cmd_replay(struct tc_options *o);
int cmd_reduce(struct tc_options *o);

#endif /* TC_CLI_H */
