/*
 * cli.c - option parsing, usage text and the output helpers shared by every
 * subcommand.
 *
 * The usage text here is the user's reference for the command line (SPEC.md
 * "Command line"); README.md repeats it with examples. Options are parsed
 * with getopt_long so they may come before or after the file names.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "rules.h"
#include "version.h"

static const char usage_text[] =
"usage: tuplecheck COMMAND [options] FILE...\n"
"\n"
"Replays pcap/pcapng captures through a TCP/UDP connection engine and checks\n"
"5-tuple uniqueness, tuple reuse (TIME_WAIT, RFC 6191), port rules and the\n"
"source-port selection of each host (RFC 6056).\n"
"\n"
"Commands:\n"
"  replay   the oracle: findings and per-host summaries\n"
"  flows    one record per connection (Zeek conn_state/history, Community ID),\n"
"           printed as each connection ends (as Zeek's conn.log); those still\n"
"           open at the end of a file follow in order of first appearance\n"
"  hosts    per-host source-port selection analysis\n"
"  packets  decoded header fields, one record per packet\n"
"  reduce   --rule ID [--signature S] IN OUT: shrink a capture to the smallest\n"
"           one that still shows the finding (delta debugging over packets)\n"
"\n"
"FILE is a pcap or pcapng file, or - for standard input. Each file is replayed\n"
"on its own: engine state starts empty for each. Every input is read through a\n"
"window of about 1 MiB, so memory stays flat and a live capture works\n"
"(tcpdump -U -w - | tuplecheck flows -): records are printed whenever the input\n"
"pauses. A file truncated while it is read ends with an error (exit 2).\n"
"\n"
"Options:\n"
"  --format text|jsonl|junit|sarif  output form (default text; jsonl is the\n"
"                            machine form, one JSON object per line; junit\n"
"                            and sarif report findings: replay only)\n"
"  --filter EXPR             libpcap (BPF) filter, as tcpdump takes it\n"
"  --ephemeral-range LO-HI   enable port.ephemeral-range with this range\n"
"                            (1 <= LO <= HI <= 65535)\n"
"  --profile NAME            linux (32768-60999), windows (49152-65535),\n"
"                            iana (49152-65535), bsd-legacy (1024-5000)\n"
"  --msl SECONDS             maximum segment lifetime, 0-86400 (default 60);\n"
"                            TIME_WAIT lasts 2*MSL\n"
"  --min-samples N           connections a host needs before it is classified,\n"
"                            1-1000000 (default 8), counted per protocol: 7 TCP\n"
"                            and 7 UDP connections stay unknown; 65536 hosts at\n"
"                            most, the rest counted in the summary\n"
"  --rules LIST              comma list: id enables only those, -id disables,\n"
"                            +id enables (e.g. +ip.bad-checksum)\n"
"  --fail-on error|warning|info  lowest severity that makes the exit status 1\n"
"                            (default error)\n"
"  --max-flows N             cap on live flows (N >= 1); the least recently\n"
"                            active is evicted and counted in the summary\n"
"  --seed N                  fixed hash key (reproducible replays); default\n"
"                            random per run (output does not depend on it)\n"
"  --rule ID, --signature S  (reduce) the finding to keep\n"
"  --progress, --no-progress  a progress line on stderr once a second while a\n"
"                            file is read, and a last one per file (default:\n"
"                            only when stderr is a terminal and stdout is not)\n"
"  -h, --help                this text\n"
"  -V, --version             version\n";

/* After the rule list, which usage() prints from the rule catalog. */
static const char usage_tail[] =
"\n"
"Link types: Ethernet (1; 802.1Q, 802.1ad and QinQ tags), Linux cooked v1 and\n"
"v2 (113, 276), raw IP (101, 12, 14; IPv4 228, IPv6 229), BSD loopback (0, 108),\n"
"PPP (9, 50), Cisco HDLC (104), PPPoE without Ethernet (51), Linux ARCNET (129),\n"
"IP over InfiniBand (242), Solaris ipnet (226), pf's log (117), Linux NFLOG\n"
"(239), Apple PKTAP (258, 149) around any of the others but NFLOG; MPLS label\n"
"stacks and PPPoE sessions inside Ethernet, Linux cooked and Cisco HDLC.\n"
"Records of other link types count as rejected; a line on stderr names them\n"
"per file.\n"
"\n"
"Exit status: 0 no finding at or above --fail-on; 1 there are; 2 usage error,\n"
"an input that cannot be read (stderr names the file and the reason;\n"
"everything printed for earlier files and packets stays complete and valid),\n"
"or output that cannot be written (disk full, closed: \"standard output: write\n"
"error\" on stderr). Ctrl-C or SIGTERM: the file being read is finished where it\n"
"stopped (open connections, a summary saying \"interrupted\"), no other file is\n"
"read, and tuplecheck dies of the signal; a second Ctrl-C kills at once.\n"
"reduce: 0 OUT written, 1 IN does not show the finding, 2 usage or I/O error\n"
"(an IN cut short is reduced as far as it could be read, OUT written, status 2);\n"
"interrupted, it writes the smallest capture found so far (or nothing, if none\n"
"was found yet) and dies of the signal.\n";

/* usage - the --help text to f: the options, every rule of the catalog
 * (rules.c) with its severity and whether it is off by default, the link
 * types and the exit statuses. Write errors are output_close's to report,
 * with their reason ("write error: No space left on device"): so on stdout
 * the whole text goes into one buffer, set before anything is written, and
 * reaches write(2) only in output_close's flush. With stdio's 4 KiB buffer
 * the text (over 4 KiB) would be written from inside fputs, and a failure
 * there leaves no data to flush again and no errno to report. */
static void usage(FILE *f)
{
	static char buf[1 << 14];        /* glibc ignores the size without a buffer */

	if (f == stdout)
		(void)setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	fputs(usage_text, f);
	fputs("\nRules (the ids --rules takes; \"off\": off by default, turned on by +ID,\n"
	      "or for port.ephemeral-range by --ephemeral-range or --profile):\n", f);
	for (unsigned i = 0; i < R__COUNT; i++) {
		const struct rule_info *ri = rule_info((enum rule_id)i);

		if (ri->default_on)
			fprintf(f, "  %-24s %s\n", ri->id, severity_name(ri->severity));
		else
			fprintf(f, "  %-24s %-7s  off\n", ri->id, severity_name(ri->severity));
	}
	fputs(usage_tail, f);
}

__attribute__((format(printf, 1, 2)))
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tuplecheck: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'tuplecheck --help'.\n");
}

/* Parse an unsigned decimal in [lo, hi]; false on anything else. */
static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char buf[32];
	char *dash;
	uint64_t a, b;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash == NULL)
		return false;
	*dash = '\0';
	if (!parse_u64(buf, 1, 65535, &a) || !parse_u64(dash + 1, 1, 65535, &b) || a > b)
		return false;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return true;
}

struct profile { const char *name; uint16_t lo, hi; };
static const struct profile profiles[] = {
	{ "linux", 32768, 60999 },
	{ "windows", 49152, 65535 },
	{ "iana", 49152, 65535 },
	{ "bsd-legacy", 1024, 5000 },
};

enum {
	OPT_FORMAT = 256, OPT_FILTER, OPT_RANGE, OPT_PROFILE, OPT_MSL, OPT_MIN_SAMPLES,
	OPT_RULES, OPT_FAIL_ON, OPT_MAX_FLOWS, OPT_SEED, OPT_RULE, OPT_SIGNATURE,
	OPT_PROGRESS, OPT_NO_PROGRESS
};

static const struct option long_opts[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "ephemeral-range", required_argument, NULL, OPT_RANGE },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "msl", required_argument, NULL, OPT_MSL },
	{ "min-samples", required_argument, NULL, OPT_MIN_SAMPLES },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "rule", required_argument, NULL, OPT_RULE },
	{ "signature", required_argument, NULL, OPT_SIGNATURE },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The usage error for an option getopt_long refused (opterr is 0, so it
 * said nothing itself). arg is the argument it stopped at; inside a group
 * of short options ("-xy") that is not the option, optopt is. Long options
 * may be abbreviated, so an abbreviation of two names is ambiguous, and a
 * value given to an option that takes none is its own mistake. */
static void bad_option(const char *arg)
{
	const struct option *exact = NULL, *first = NULL;
	char names[256] = "";
	size_t n, used = 0;
	unsigned nhit = 0;

	/* optopt is the letter for a short option; for a long one it is 0
	 * (unknown, ambiguous) or that option's val (given a value it does not
	 * take): 'h', 'V' or OPT_*, none of which can be refused as a letter.
	 * arg is no guide here: inside "-zq" optind has not moved on, so it is
	 * the argument before, which may well be a long option. */
	if (optopt > 0 && optopt < OPT_FORMAT && optopt != 'h' && optopt != 'V') {
		usage_error("unknown option '-%c'", optopt);
		return;
	}
	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
		usage_error("unknown option '%s'", arg);
		return;
	}
	arg += 2;
	n = strcspn(arg, "=");
	for (const struct option *lo = long_opts; lo->name != NULL; lo++) {
		if (strncmp(lo->name, arg, n) != 0)
			continue;
		if (lo->name[n] == '\0') {
			exact = lo;
			break;
		}
		if (first == NULL)
			first = lo;
		nhit++;
		if (used < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s--%s",
						 used ? ", " : "", lo->name);
	}
	if (exact == NULL && nhit == 1)
		exact = first;
	if (exact != NULL && arg[n] == '=' && exact->has_arg == no_argument)
		usage_error("option '--%s' takes no value", exact->name);
	else if (exact == NULL && nhit > 1)
		usage_error("option '--%.*s' is ambiguous: %s", (int)n, arg, names);
	else
		usage_error("unknown option '--%.*s'", (int)n, arg);
}

/* Validate --filter once, against Ethernet, so a typo is a usage error before
 * any output rather than a per-file failure. */
static bool filter_valid(const char *expr)
{
	struct bpf_program prog;
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, (int)CAP_MAX_SNAPLEN);
	bool ok;

	if (dead == NULL)
		return false;
	ok = pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) == 0;
	if (ok)
		pcap_freecode(&prog);
	else
		fprintf(stderr, "tuplecheck: --filter: %s\n", pcap_geterr(dead));
	pcap_close(dead);
	return ok;
}

/* Returns -1 when parsing succeeded and the command should run, otherwise the
 * exit status (0 after --help/--version, 2 on a usage error). */
int cli_parse(struct tc_options *o, int argc, char **argv)
{
	int c;
	uint64_t v;

	memset(o, 0, sizeof(*o));
	o->msl = 60;
	o->min_samples = 8;
	o->fail_on = SEV_ERROR;
	o->out = stdout;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("tuplecheck %s\n", TC_VERSION);
		return 0;
	}
	o->cmd = argv[1];
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("tuplecheck %s\n", TC_VERSION);
			return 0;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				o->format = FMT_TEXT;
			else if (strcmp(optarg, "jsonl") == 0)
				o->format = FMT_JSONL;
			else if (strcmp(optarg, "junit") == 0)
				o->format = FMT_JUNIT;
			else if (strcmp(optarg, "sarif") == 0)
				o->format = FMT_SARIF;
			else {
				usage_error("--format: '%s' is not one of text, jsonl, junit, sarif", optarg);
				return 2;
			}
			break;
		case OPT_FILTER:
			o->filter = optarg;
			break;
		case OPT_RANGE:
			if (!parse_range(optarg, &o->eph_lo, &o->eph_hi)) {
				usage_error("--ephemeral-range: '%s' is not LO-HI with 1 <= LO <= HI <= 65535", optarg);
				return 2;
			}
			o->have_range = true;
			break;
		case OPT_PROFILE: {
			size_t i;

			for (i = 0; i < TC_ARRAY_SIZE(profiles); i++)
				if (strcmp(optarg, profiles[i].name) == 0)
					break;
			if (i == TC_ARRAY_SIZE(profiles)) {
				usage_error("--profile: '%s' is not one of linux, windows, iana, bsd-legacy", optarg);
				return 2;
			}
			o->profile = profiles[i].name;
			o->eph_lo = profiles[i].lo;
			o->eph_hi = profiles[i].hi;
			o->have_range = true;
			break;
		}
		case OPT_MSL:
			if (!parse_u64(optarg, 0, 86400, &v)) {
				usage_error("--msl: '%s' is not a number of seconds from 0 to 86400", optarg);
				return 2;
			}
			o->msl = (uint32_t)v;
			break;
		case OPT_MIN_SAMPLES:
			if (!parse_u64(optarg, 1, 1000000, &v)) {
				usage_error("--min-samples: '%s' is not a number from 1 to 1000000", optarg);
				return 2;
			}
			o->min_samples = (uint32_t)v;
			break;
		case OPT_RULES:
			o->rules = optarg;
			break;
		case OPT_FAIL_ON:
			if (strcmp(optarg, "error") == 0)
				o->fail_on = SEV_ERROR;
			else if (strcmp(optarg, "warning") == 0)
				o->fail_on = SEV_WARNING;
			else if (strcmp(optarg, "info") == 0)
				o->fail_on = SEV_INFO;
			else {
				usage_error("--fail-on: '%s' is not one of error, warning, info", optarg);
				return 2;
			}
			break;
		case OPT_MAX_FLOWS:
			if (!parse_u64(optarg, 1, UINT64_MAX / 2, &v)) {
				usage_error("--max-flows: '%s' is not a positive number", optarg);
				return 2;
			}
			o->max_flows = v;
			break;
		case OPT_SEED:
			if (!parse_u64(optarg, 0, UINT64_MAX, &v)) {
				usage_error("--seed: '%s' is not a non-negative number", optarg);
				return 2;
			}
			o->seed = v;
			o->have_seed = true;
			break;
		case OPT_RULE:
			o->rule = optarg;
			break;
		case OPT_SIGNATURE:
			o->signature = optarg;
			break;
		case OPT_PROGRESS:
			o->progress = 1;
			break;
		case OPT_NO_PROGRESS:
			o->progress = -1;
			break;
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
			return 2;
		default:
			bad_option(argv[optind - 1]);
			return 2;
		}
	}
	o->n_files = argc - optind;
	o->files = argv + optind;
	/* --rule and --signature say what reduce keeps; anywhere else they are
	 * most likely --rules mistyped, which must not pass unnoticed */
	if ((o->rule != NULL || o->signature != NULL) &&
	    (strcmp(o->cmd, "replay") == 0 || strcmp(o->cmd, "flows") == 0 ||
	     strcmp(o->cmd, "hosts") == 0 || strcmp(o->cmd, "packets") == 0)) {
		usage_error("%s: --%s is an option of reduce%s", o->cmd,
			    o->rule != NULL ? "rule" : "signature",
			    o->rule != NULL ? " (did you mean --rules?)" : "");
		return 2;
	}
	/* --rules is checked for every command, so a typo is a usage error
	 * wherever it is given; commands without findings use it for the
	 * checksum rules (packets reports their errors only when on) */
	{
		struct rule_set set;
		char err[1024];

		if (rules_parse(o->rules, o->have_range, &set, err, sizeof(err)) != TC_OK) {
			usage_error("%s", err);
			return 2;
		}
		o->checksum_rules = (uint8_t)((set.on[R_IP_BAD_CHECKSUM] ? CSUM_IP : 0) |
					      (set.on[R_TCP_BAD_CHECKSUM] ? CSUM_TCP : 0) |
					      (set.on[R_UDP_BAD_CHECKSUM] ? CSUM_UDP : 0));
		o->checksums = o->checksum_rules != 0;
	}
	if (o->filter != NULL && !filter_valid(o->filter)) {
		fprintf(stderr, "Try 'tuplecheck --help'.\n");
		return 2;
	}
	return -1;
}

/* ---- output helpers ------------------------------------------------------- */

size_t utf8_len(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; v = c & 0x1fu; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; v = c & 0x0fu; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; v = c & 0x07u; min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)   /* also stops at the terminating NUL */
			return 0;
		v = v << 6 | (s[i] & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* The escape json_str and fmt_json_str write for byte c into out (up to 6
 * bytes, no NUL); returns its length, 0 when c stands for itself. */
static size_t json_escape(unsigned char c, char out[6])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':  out[0] = '\\'; out[1] = '"'; return 2;
	case '\\': out[0] = '\\'; out[1] = '\\'; return 2;
	case '\n': out[0] = '\\'; out[1] = 'n'; return 2;
	case '\r': out[0] = '\\'; out[1] = 'r'; return 2;
	case '\t': out[0] = '\\'; out[1] = 't'; return 2;
	default:
		if (c >= 0x20 && c != 0x7f)
			return 0;
		memcpy(out, "\\u00", 4);
		out[4] = hex[c >> 4];
		out[5] = hex[c & 15];
		return 6;
	}
}

/* JSON text is UTF-8 (RFC 8259 section 8.1), but file names are bytes: a
 * byte that does not start a valid UTF-8 sequence is written as U+FFFD, so
 * every record stays valid JSON whatever the name. */
#define JSON_BAD_UTF8 "\\ufffd"

void json_str(FILE *f, const char *s)
{
	const char *run = s;
	char esc[6];

	/* runs of bytes that stand for themselves go out in one call */
	putc('"', f);
	while (*s) {
		unsigned char ch = (unsigned char)*s;
		uint32_t cp;
		size_t n;

		if (ch >= 0x80) {
			n = utf8_len((const unsigned char *)s, &cp);
			if (n != 0) {
				s += n;
				continue;
			}
			fwrite(run, 1, (size_t)(s - run), f);
			fputs(JSON_BAD_UTF8, f);
		} else {
			n = json_escape(ch, esc);
			if (n == 0) {
				s++;
				continue;
			}
			fwrite(run, 1, (size_t)(s - run), f);
			fwrite(esc, 1, n, f);
		}
		run = ++s;
	}
	fwrite(run, 1, (size_t)(s - run), f);
	putc('"', f);
}

char *fmt_json_str(char *p, const char *s)
{
	unsigned char ch;

	*p++ = '"';
	while ((ch = (unsigned char)*s) != '\0') {
		uint32_t cp;
		size_t n;

		/* the bytes json_escape leaves alone, tested first */
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
			*p++ = (char)ch;
			s++;
		} else if (ch < 0x80) {
			p += json_escape(ch, p);
			s++;
		} else if ((n = utf8_len((const unsigned char *)s, &cp)) != 0) {
			memcpy(p, s, n);
			p += n;
			s += n;
		} else {
			p = FMT_LIT(p, JSON_BAD_UTF8);
			s++;
		}
	}
	*p++ = '"';
	return p;
}

/* "00" .. "99": numbers are written two digits per division. */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* The number of decimal digits of v (1 to 20): floor(log10) estimated from
 * the bit length (1233 / 4096 ~ log10(2)), then corrected by one compare. */
static inline unsigned dec_len(uint64_t v)
{
	static const uint64_t pow10[20] = {
		UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000),
		UINT64_C(100000), UINT64_C(1000000), UINT64_C(10000000),
		UINT64_C(100000000), UINT64_C(1000000000), UINT64_C(10000000000),
		UINT64_C(100000000000), UINT64_C(1000000000000), UINT64_C(10000000000000),
		UINT64_C(100000000000000), UINT64_C(1000000000000000),
		UINT64_C(10000000000000000), UINT64_C(100000000000000000),
		UINT64_C(1000000000000000000), UINT64_C(10000000000000000000),
	};
	unsigned t = (unsigned)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;

	return t + (v >= pow10[t]);
}

/* A byte (address octet) in decimal: one to three digits, no call. */
static inline char *fmt_u8(char *p, unsigned v)
{
	if (v >= 100) {
		*p++ = (char)('0' + v / 100);
		v %= 100;
	} else if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	memcpy(p, digit_pairs + 2 * v, 2);
	return p + 2;
}

char *fmt_u64(char *p, uint64_t v)
{
	char *end, *q;
	uint32_t x;

	if (v < 100)
		return fmt_u8(p, (unsigned)v);
	/* the length first, then the digits from the right, two per division,
	 * straight into p; 32-bit divisions once the value fits */
	end = q = p + dec_len(v);
	while (v > UINT32_MAX) {
		q -= 2;
		memcpy(q, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	x = (uint32_t)v;
	while (x >= 100) {
		q -= 2;
		memcpy(q, digit_pairs + 2 * (x % 100), 2);
		x /= 100;
	}
	if (x >= 10)
		memcpy(q - 2, digit_pairs + 2 * x, 2);
	else
		q[-1] = (char)('0' + x);
	return end;
}

/* Four decimal digits of v (< 10000), leading zeros. */
static inline void put4(char *p, uint32_t v)
{
	memcpy(p, digit_pairs + 2 * (v / 100), 2);
	memcpy(p + 2, digit_pairs + 2 * (v % 100), 2);
}

/* The fraction of a timestamp: the last width (6 or 9) decimal digits of
 * v, leading zeros. */
static inline char *fmt_fixed(char *p, uint32_t v, unsigned width)
{
	if (width == 9) {
		*p++ = (char)('0' + v / 100000000 % 10);
		v %= 100000000;
		put4(p, v / 10000);
		put4(p + 4, v % 10000);
		return p + 8;
	}
	memcpy(p, digit_pairs + 2 * (v / 10000 % 100), 2);
	put4(p + 2, v % 10000);
	return p + 6;
}

char *fmt_ts(char *p, int64_t sec, uint32_t nsec, uint8_t digits)
{
	/* Negative times (before 1970) print as -S.F with F counted forward
	 * from S, which JSON parsers read as a plain number; keep sign right. */
	if (sec < 0 && nsec > 0) {
		sec += 1;
		nsec = 1000000000u - nsec;
		if (sec == 0)
			*p++ = '-';
	}
	if (sec < 0) {
		*p++ = '-';
		p = fmt_u64(p, (uint64_t)-(sec + 1) + 1);   /* INT64_MIN too */
	} else {
		p = fmt_u64(p, (uint64_t)sec);
	}
	*p++ = '.';
	if (digits == 9)
		return fmt_fixed(p, nsec, 9);
	return fmt_fixed(p, nsec / 1000, 6);
}

char *fmt_ts_memo(char *p, struct fmt_ts_memo *m, int64_t sec, uint32_t nsec, uint8_t digits)
{
	uint64_t hundreds;
	unsigned last2;

	if (sec < 100)                  /* negative, or no digits to share */
		return fmt_ts(p, sec, nsec, digits);
	hundreds = (uint64_t)sec / 100;
	last2 = (unsigned)((uint64_t)sec % 100);
	if (m->len == 0 || m->hundreds != hundreds) {
		m->len = (size_t)(fmt_u64(m->text, hundreds) - m->text);
		m->hundreds = hundreds;
	}
	if (m->len <= 8)                /* 10-digit seconds: one word */
		memcpy(p, m->text, 8);
	else
		memcpy(p, m->text, m->len);
	p += m->len;
	memcpy(p, digit_pairs + 2 * last2, 2);
	p[2] = '.';
	if (digits == 9)
		return fmt_fixed(p + 3, nsec, 9);
	return fmt_fixed(p + 3, nsec / 1000, 6);
}

void ts_print(FILE *f, int64_t sec, uint32_t nsec, uint8_t digits)
{
	char buf[FMT_TS_MAX];

	fwrite(buf, 1, (size_t)(fmt_ts(buf, sec, nsec, digits) - buf), f);
}

/* Each byte value's decimal digits and a '.', in 4 bytes (what is past
 * the '.' is overwritten by the next octet): the first three octets of a
 * dotted quad are one 4-byte copy each. */
#define OCTET_DOT(v)                                                            \
	(char)((v) >= 100 ? '0' + (v) / 100 : (v) >= 10 ? '0' + (v) / 10 : '0' + (v)), \
	(char)((v) >= 100 ? '0' + (v) / 10 % 10 : (v) >= 10 ? '0' + (v) % 10 : '.'), \
	(char)((v) >= 100 ? '0' + (v) % 10 : (v) >= 10 ? '.' : 0),                   \
	(char)((v) >= 100 ? '.' : 0)
#define OCTET_DOT4(v) OCTET_DOT(v), OCTET_DOT((v) + 1), OCTET_DOT((v) + 2), OCTET_DOT((v) + 3)
#define OCTET_DOT16(v) OCTET_DOT4(v), OCTET_DOT4((v) + 4), OCTET_DOT4((v) + 8), OCTET_DOT4((v) + 12)
#define OCTET_DOT64(v) OCTET_DOT16(v), OCTET_DOT16((v) + 16), OCTET_DOT16((v) + 32), \
		       OCTET_DOT16((v) + 48)
static const char octet_dot[256 * 4] = {
	OCTET_DOT64(0), OCTET_DOT64(64), OCTET_DOT64(128), OCTET_DOT64(192)
};

/* Octet v and a '.'; returns the position after the '.'. */
static inline char *put_octet_dot(char *p, unsigned v)
{
	memcpy(p, octet_dot + 4 * v, 4);
	return p + 2 + (v >= 10) + (v >= 100);
}

char *fmt_addr(char *p, uint8_t ipver, const uint8_t addr[16])
{
	if (ipver == 6)                 /* RFC 5952, decode.c's writer */
		return addr_write(p, 6, addr);
	/* addr_format's dotted quad, without snprintf */
	p = put_octet_dot(p, addr[0]);
	p = put_octet_dot(p, addr[1]);
	p = put_octet_dot(p, addr[2]);
	return fmt_u8(p, addr[3]);
}

/* ---- write errors ---------------------------------------------------------- */

int stream_flush(FILE *f)
{
	bool failed = ferror(f) != 0;

	errno = 0;
	if (fflush(f) != 0)
		return errno != 0 ? errno : -1;
	return failed ? -1 : 0;
}

/* The first failure of standard output is reported, once; err as
 * stream_flush returns it. */
static bool out_told;

static void output_tell(int err)
{
	if (out_told)
		return;
	fprintf(stderr, "tuplecheck: standard output: write error%s%s\n",
		err > 0 ? ": " : "", err > 0 ? strerror(err) : "");
	out_told = true;
}

bool output_failed(FILE *out)
{
	if (!ferror(out))
		return false;
	/* stdio keeps what a failed write could not write, so this flush tries
	 * again and says why (ENOSPC, EBADF, EIO, ...) */
	if (!out_told)
		output_tell(stream_flush(out));
	return true;
}

bool output_flush(FILE *out)
{
	int err = stream_flush(out);

	if (err == 0)
		return false;
	output_tell(err);
	return true;
}

int output_close(int status)
{
	int err;

	if (output_flush(stdout))
		return 2;
	errno = 0;
	if (fclose(stdout) != 0) {
		err = errno;
		output_tell(err != 0 ? err : -1);
		return 2;
	}
	return status;
}

volatile sig_atomic_t tc_interrupted;

static void on_signal(int sig)
{
	tc_interrupted = sig;
}

void interrupt_setup(void)
{
	static const int sigs[] = { SIGINT, SIGTERM };

	for (size_t i = 0; i < TC_ARRAY_SIZE(sigs); i++) {
		struct sigaction sa, old;

		if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		/* SA_RESTART: a write to a slow stdout is not cut short (stdio
		 * would take EINTR for a write error); a stream waits for
		 * data in poll, which a signal always ends (input.c).
		 * SA_RESETHAND: the second signal has its default effect. */
		sa.sa_flags = SA_RESTART | SA_RESETHAND;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(sigs[i], &sa, NULL);
	}
}

void interrupt_finish(void)
{
	int sig = tc_interrupted;

	if (sig == 0)
		return;
	signal(sig, SIG_DFL);
	raise(sig);
}

int tc_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t block, old;
	int rc;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);       /* the new thread inherits it */
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void std_fds_hold(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int held;

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* open() takes the lowest free descriptor: fd itself */
		held = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (held != -1 && held != fd)
			close(held);
	}
}

void summary_print_jsonl(FILE *f, const char *file, const struct file_stats *st,
			 const struct summary *s)
{
	fputs("{\"type\":\"summary\",\"file\":", f);
	json_str(f, file);
	fprintf(f, ",\"packets\":%" PRIu64 ",\"decoded\":%" PRIu64, st->packets, st->decoded);
	if (s->have_flows)
		fprintf(f, ",\"flows\":%" PRIu64 ",\"evicted\":%" PRIu64, s->flows, s->evicted);
	fprintf(f, ",\"findings\":{\"error\":%" PRIu64 ",\"warning\":%" PRIu64 ",\"info\":%" PRIu64 "}",
		s->findings[SEV_ERROR], s->findings[SEV_WARNING], s->findings[SEV_INFO]);
	fprintf(f, ",\"filtered\":%" PRIu64 ",\"rejected\":%" PRIu64, st->filtered, st->rejected);
	if (st->link_unsupported)
		fprintf(f, ",\"link_unsupported\":%" PRIu64, st->link_unsupported);
	if (s->unclassified)
		fprintf(f, ",\"unclassified_connections\":%" PRIu64, s->unclassified);
	if (s->error != NULL) {
		fputs(",\"error\":", f);
		json_str(f, s->error);
	}
	fputs("}\n", f);
}
