/*
 * input.c - bring a capture file into memory without a temporary file.
 *
 * Regular files are mapped read-only (the reader works on the mapping, so a
 * multi-gigabyte capture costs page cache, not heap). Standard input, pipes
 * and devices cannot be mapped: they are streams, read into a window of
 * about a megabyte that the driver slides along (input_more, and the
 * reader's cap_refill), so memory stays flat however long the stream and
 * records come out while it is still being written. A directory is refused
 * with a reason the CLI prints as "tuplecheck: FILE: reason".
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
#include <poll.h>
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

/* A stream's first window; it grows (doubling) only for a record or block
 * larger than what it can hold. */
#define STREAM_WINDOW ((size_t)1 << 20)

/* How long a stream waits for data before it looks for an interruption
 * again (cli.h tc_interrupted). */
#define STREAM_POLL_MS 250

/* One read(2) of a stream into the free end of its window. */
static enum tc_rc stream_read(struct input *in, char *errbuf, size_t errlen)
{
	for (;;) {
		struct pollfd pfd = { .fd = in->fd, .events = POLLIN };
		ssize_t n;

		/* Wait in poll, not in read: a signal ends poll (EINTR) even
		 * under SA_RESTART, and the timeout covers one that comes
		 * just before the call. */
		while (!tc_interrupted && poll(&pfd, 1, STREAM_POLL_MS) == 0)
			;
		if (tc_interrupted) {
			snprintf(errbuf, errlen, "interrupted");
			return TC_IO;
		}
		n = read(in->fd, in->heap + in->len, in->cap - in->len);
		if (n > 0) {
			in->len += (size_t)n;
			return TC_OK;
		}
		if (n == 0) {
			in->eof = true;
			return TC_OK;
		}
		if (errno != EINTR) {
			snprintf(errbuf, errlen, "cannot read: %s", strerror(errno));
			return TC_IO;
		}
	}
}

/* Standard input, a pipe, a device: read in a window, not all at once, so
 * a capture of any length (or one that never ends) costs a window of
 * memory and its records come out as they arrive. */
static enum tc_rc stream_open(int fd, bool own, struct input *in, char *errbuf, size_t errlen)
{
	in->fd = fd;
	in->own_fd = own;
	in->stream = true;
	in->cap = STREAM_WINDOW;
	in->heap = malloc(in->cap);
	if (in->heap == NULL) {
		snprintf(errbuf, errlen, "out of memory for the input window");
		return TC_NOMEM;
	}
	in->data = in->heap;
	/* enough for cap_open to tell what the file is (capture.h) */
	while (!in->eof && in->len < CAP_OPEN_MIN) {
		enum tc_rc rc = stream_read(in, errbuf, errlen);

		if (rc != TC_OK)
			return rc;
	}
	return TC_OK;
}

/* stream_open, and on failure everything it took given back. */
static enum tc_rc stream_begin(int fd, bool own, struct input *in, char *errbuf, size_t errlen)
{
	enum tc_rc rc = stream_open(fd, own, in, errbuf, errlen);

	if (rc != TC_OK)
		input_free(in);
	return rc;
}

bool input_would_block(const struct input *in)
{
	struct pollfd pfd = { .fd = in->fd, .events = POLLIN };

	return in->stream && !in->eof && poll(&pfd, 1, 0) == 0;
}

enum tc_rc input_more(struct input *in, const uint8_t *keep, char *errbuf, size_t errlen)
{
	size_t drop = (size_t)(keep - in->data);

	if (!in->stream || in->eof)
		return TC_OK;
	if (drop > 0) {
		memmove(in->heap, keep, in->len - drop);
		in->len -= drop;
		in->base += drop;
	}
	if (in->len == in->cap) {
		uint8_t *nb;

		if (in->cap > INPUT_MAX / 2) {
			snprintf(errbuf, errlen, "a record or block larger than %zu bytes", INPUT_MAX / 2);
			return TC_IO;
		}
		nb = realloc(in->heap, in->cap * 2);
		if (nb == NULL) {
			snprintf(errbuf, errlen, "out of memory for a %zu-byte window", in->cap * 2);
			return TC_NOMEM;
		}
		in->heap = nb;
		in->data = nb;
		in->cap *= 2;
	}
	return stream_read(in, errbuf, errlen);
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
	if (tc_thread_start(&a->thread, ahead_main, a) != 0) {
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
	in->fd = -1;
	in->name = file_display_name(path);
	if (strcmp(path, "-") == 0) {
		/* "-" typed at a prompt would wait for a capture from the
		 * keyboard */
		if (isatty(STDIN_FILENO)) {
			snprintf(errbuf, errlen, "standard input is a terminal, not a capture "
				 "(pipe one in, or give a file)");
			return TC_IO;
		}
		return stream_begin(STDIN_FILENO, false, in, errbuf, errlen);
	}

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
	if (!S_ISREG(st.st_mode))       /* a pipe or a device: like standard input */
		return stream_begin(fd, true, in, errbuf, errlen);
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
	if (in->own_fd)
		close(in->fd);
	free(in->heap);
	memset(in, 0, sizeof(*in));
}
