/*
 * repro_main.c - the plain reproducer: run a fuzz target over files and
 * folders, the way CI replays every corpus and every past crash.
 *
 *   build/fuzz/repro/NAME [-q] [-t SECONDS] PATH...
 *
 * Built with gcc (CC) under ASan+UBSan and linked with one harness's
 * LLVMFuzzerTestOneInput, the pattern of LLVM's StandaloneFuzzTargetMain.c
 * and Suricata's onefile.c. Each PATH is a file, run as given, or a folder,
 * walked recursively; the files found are sorted by byte-wise path order so
 * that two runs over the same tree execute the same sequence (state left in
 * a harness, if any, then replays identically). Names starting with '.' are
 * skipped in folders (.gitkeep, editor files); symbolic links to folders are
 * not followed (no cycles).
 *
 * Each input is read into a buffer of exactly its size, so ASan reports any
 * read past its end, and fuzz_input_name is set to its path for FUZZ_CHECK
 * messages. Output, per input: "PATH ... ok (N bytes)"; the path is printed
 * before the run, so a sanitizer report or FUZZ_CHECK failure that follows
 * names its input. After the run the harness's counters are printed by
 * fuzz_stats_print (the smoke test reads that line).
 *
 * Exit status: 0 when every input ran; 2 when a PATH cannot be read or is a
 * folder with no file to run (usage error); a sanitizer error or failed
 * FUZZ_CHECK aborts the process (ASan abort_on_error, UBSan
 * -fno-sanitize-recover), which is non-zero too.
 * -t SECONDS: abort an input that runs longer (default 60; 0 = no limit), so
 * a hang in CI is a named failure instead of a job timeout.
 * -q: print only failures and the summary.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_assert.h"

struct pathlist {
	char **v;
	size_t n, cap;
};

static int pathlist_add(struct pathlist *l, const char *path)
{
	char *copy;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	copy = strdup(path);
	if (!copy)
		return -1;
	l->v[l->n++] = copy;
	return 0;
}

static void pathlist_free(struct pathlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append every regular file under dir to l. Returns 0, or -1 with errno
 * set and a message printed. */
static int walk(const char *dir, struct pathlist *l)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "repro: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		struct stat st;
		size_t need;
		char *p;

		if (e->d_name[0] == '.')
			continue;
		need = strlen(dir) + 1 + strlen(e->d_name) + 1;
		p = malloc(need);
		if (!p) {
			rc = -1;
			break;
		}
		snprintf(p, need, "%s/%s", dir, e->d_name);
		if (lstat(p, &st) != 0) {
			fprintf(stderr, "repro: %s: %s\n", p, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk(p, l);
		} else if (S_ISREG(st.st_mode) ||
			   (S_ISLNK(st.st_mode) && stat(p, &st) == 0 &&
			    S_ISREG(st.st_mode))) {
			rc = pathlist_add(l, p);
		}
		free(p);
	}
	closedir(d);
	return rc;
}

/* Read path into a fresh buffer of exactly its size (*out owned by the
 * caller, non-NULL even for an empty file). Returns 0 or -1 (message
 * printed). */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	struct stat st;
	size_t n;

	if (!f) {
		fprintf(stderr, "repro: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
		fprintf(stderr, "repro: %s: %s\n", path, strerror(errno));
		goto fail_close;
	}
	n = (size_t)st.st_size;
	/* malloc(0) gives a unique pointer in glibc and ASan; any read of it
	 * is reported, which is what an exact-size buffer is for. */
	buf = malloc(n);
	if (!buf && n != 0) {
		fprintf(stderr, "repro: %s: out of memory (%zu bytes)\n", path, n);
		goto fail_close;
	}
	if (n != 0 && fread(buf, 1, n, f) != n) {
		fprintf(stderr, "repro: %s: short read\n", path);
		goto fail_free;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;

fail_free:
	free(buf);
fail_close:
	fclose(f);
	return -1;
}

/* Write s to stderr from a signal handler (write(2) is async-signal-safe);
 * a failed write leaves nothing better to do. */
static void say(const char *s)
{
	ssize_t r = write(2, s, strlen(s));

	(void)r;
}

static void on_alarm(int sig)
{
	(void)sig;
	say("\nrepro: TIMEOUT in ");
	say(fuzz_input_name);
	say("\n");
	abort();
}

static void usage(void)
{
	fprintf(stderr, "usage: repro [-q] [-t SECONDS] FILE|DIR...\n");
}

int main(int argc, char **argv)
{
	struct pathlist inputs = { NULL, 0, 0 };
	unsigned timeout = 60;
	unsigned long long total_bytes = 0;
	int quiet = 0, opt, i, status = 0;
	size_t k;

	while ((opt = getopt(argc, argv, "qt:")) != -1) {
		switch (opt) {
		case 'q':
			quiet = 1;
			break;
		case 't': {
			char *endp;
			unsigned long v = strtoul(optarg, &endp, 10);

			if (*optarg == '\0' || *endp != '\0' || v > 86400) {
				usage();
				return 2;
			}
			timeout = (unsigned)v;
			break;
		}
		default:
			usage();
			return 2;
		}
	}
	if (optind >= argc) {
		usage();
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);

	/* Gather everything first: a missing path fails before any run. */
	for (i = optind; i < argc; i++) {
		struct stat st;
		struct pathlist found = { NULL, 0, 0 };

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "repro: %s: %s\n", argv[i], strerror(errno));
			status = 2;
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (pathlist_add(&inputs, argv[i]) != 0)
				goto nomem;
			continue;
		}
		if (walk(argv[i], &found) != 0) {
			pathlist_free(&found);
			status = 2;
			goto out;
		}
		/* A folder with nothing to run is a mistyped or not yet filled
		 * corpus: saying "all ran" of it would pass a job that tested
		 * nothing (and qsort must not be handed found.v == NULL). */
		if (found.n == 0) {
			fprintf(stderr, "repro: %s: no input files in this folder\n", argv[i]);
			status = 2;
			goto out;
		}
		qsort(found.v, found.n, sizeof(*found.v), cmp_path);
		for (k = 0; k < found.n; k++)
			if (pathlist_add(&inputs, found.v[k]) != 0) {
				pathlist_free(&found);
				goto nomem;
			}
		pathlist_free(&found);
	}

	signal(SIGALRM, on_alarm);
	for (k = 0; k < inputs.n; k++) {
		uint8_t *buf;
		size_t len;

		if (read_file(inputs.v[k], &buf, &len) != 0) {
			status = 2;
			goto out;
		}
		fuzz_input_name = inputs.v[k];
		if (!quiet) {
			printf("%s ... ", inputs.v[k]);
			fflush(stdout);
		}
		alarm(timeout);
		LLVMFuzzerTestOneInput(buf, len);
		alarm(0);
		if (!quiet)
			printf("ok (%zu bytes)\n", len);
		total_bytes += len;
		free(buf);
	}
	fuzz_input_name = "<none>";
	printf("repro: %zu inputs, %llu bytes, all ran\n", inputs.n, total_bytes);
	if (fuzz_stats_print)
		fuzz_stats_print(stdout);
	goto out;

nomem:
	fprintf(stderr, "repro: out of memory\n");
	status = 2;
out:
	pathlist_free(&inputs);
	fflush(stdout);
	return status;
}
