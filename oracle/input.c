/*
 * input.c - bring a capture file into memory without a temporary file.
 *
 * Regular files are mapped read-only (the reader works on the mapping, so a
 * multi-gigabyte capture costs page cache, not heap). Standard input cannot
 * be mapped, so "-" is read into a growing heap buffer. Anything else that
 * is not a regular file (a directory, a device) is refused with a reason the
 * CLI prints as "tuplecheck: FILE: reason".
 *
 * Read-ahead: walking a mapping page by page costs a page fault each time
 * the kernel's fault-around runs out (16 pages); on a 2M-packet capture that
 * was ~10 % of `tuplecheck flows`. input_read_ahead hands that work to a
 * second thread that populates the page tables a window ahead of the reader
 * and drops the pages well behind it (the unmapping at the end had been
 * another ~3 %, and every page of the file stayed resident until then).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

/* Inputs above this are refused rather than risking the address space on a
 * 32-bit build; 64-bit builds never reach it in practice. */
#define INPUT_MAX ((size_t)1 << 40)

static enum tc_rc read_all_fd(int fd, struct input *in, char *errbuf, size_t errlen)
{
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);

	if (buf == NULL) {
		snprintf(errbuf, errlen, "out of memory reading standard input");
		return TC_NOMEM;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			uint8_t *nb;

			if (cap > INPUT_MAX / 2) {
				free(buf);
				snprintf(errbuf, errlen, "standard input is larger than %zu bytes", INPUT_MAX);
				return TC_IO;
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				snprintf(errbuf, errlen, "out of memory reading standard input");
				return TC_NOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(errbuf, errlen, "cannot read: %s", strerror(errno));
			free(buf);
			return TC_IO;
		}
		len += (size_t)n;
	}
	in->heap = buf;
	in->data = buf;
	in->len = len;
	return TC_OK;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22           /* Linux 5.14; older headers lack it */
#endif
/* Bytes populated per madvise call. */
#define AHEAD_STEP ((size_t)2 << 20)

struct input_ahead {
	pthread_t thread;
	uint8_t *base;
	size_t len;
	atomic_size_t reader;   /* offset the reader has reached */
	atomic_bool stop;       /* input_free is waiting for the thread */
};

static void *ahead_main(void *arg)
{
	struct input_ahead *a = arg;
	const struct timespec nap = { 0, 200000 };      /* 0.2 ms */
	size_t off = 0, dropped = 0;
	bool populate = true;

	while (!atomic_load_explicit(&a->stop, memory_order_relaxed)) {
		size_t reader = atomic_load_explicit(&a->reader, memory_order_relaxed);
		bool busy = false;

		if (populate && off < a->len && off <= reader + INPUT_AHEAD_WINDOW) {
			size_t n = a->len - off < AHEAD_STEP ? a->len - off : AHEAD_STEP;

			/* EINVAL on a kernel without it, EFAULT/ENOMEM on
			 * trouble: the reader takes its own page faults */
			if (madvise(a->base + off, n, MADV_POPULATE_READ) != 0)
				populate = false;
			off += n;
			busy = true;
		}
		if (reader >= INPUT_AHEAD_BEHIND &&
		    dropped + AHEAD_STEP <= reader - INPUT_AHEAD_BEHIND) {
			/* read-only private mapping: the pages go back to the
			 * page cache, and a late reader would fault them in again */
			(void)madvise(a->base + dropped, AHEAD_STEP, MADV_DONTNEED);
			dropped += AHEAD_STEP;
			busy = true;
		}
		if (!busy)
			nanosleep(&nap, NULL);
	}
	return NULL;
}

void input_read_ahead(struct input *in)
{
	struct input_ahead *a;

	if (in->map == NULL || in->ahead != NULL || in->len < INPUT_AHEAD_MIN)
		return;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return;
	a->base = in->map;
	a->len = in->len;
	atomic_init(&a->reader, 0);
	atomic_init(&a->stop, false);
	if (pthread_create(&a->thread, NULL, ahead_main, a) != 0) {
		free(a);
		return;
	}
	(void)pthread_setname_np(a->thread, "tc-readahead");   /* for top -H, tests */
	in->ahead = a;
}

void input_progress(struct input *in, size_t off)
{
	if (in->ahead != NULL)
		atomic_store_explicit(&in->ahead->reader, off, memory_order_relaxed);
}

enum tc_rc input_load(struct input *in, const char *path, char *errbuf, size_t errlen)
{
	struct stat st;
	int fd;
	void *map;

	memset(in, 0, sizeof(*in));
	in->name = file_display_name(path);
	if (strcmp(path, "-") == 0)
		return read_all_fd(STDIN_FILENO, in, errbuf, errlen);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(errbuf, errlen, "cannot open: %s", strerror(errno));
		return TC_IO;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(errbuf, errlen, "cannot stat: %s", strerror(errno));
		close(fd);
		return TC_IO;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(errbuf, errlen, "is a directory, not a capture file");
		close(fd);
		return TC_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		/* A pipe or a device: read it like standard input. */
		enum tc_rc rc = read_all_fd(fd, in, errbuf, errlen);

		close(fd);
		return rc;
	}
	if (st.st_size == 0) {
		close(fd);
		in->data = (const uint8_t *)"";
		in->len = 0;
		return TC_OK;
	}
	if ((uint64_t)st.st_size > INPUT_MAX) {
		snprintf(errbuf, errlen, "file is larger than %zu bytes", INPUT_MAX);
		close(fd);
		return TC_IO;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(errbuf, errlen, "cannot map: %s", strerror(errno));
		return TC_IO;
	}
	(void)madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	in->map = map;
	in->data = map;
	in->len = (size_t)st.st_size;
	return TC_OK;
}

void input_free(struct input *in)
{
	if (in->ahead != NULL) {
		atomic_store(&in->ahead->stop, true);
		pthread_join(in->ahead->thread, NULL);
		free(in->ahead);
	}
	if (in->map != NULL)
		munmap(in->map, in->len);
	free(in->heap);
	memset(in, 0, sizeof(*in));
}
