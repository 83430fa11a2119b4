/*
 * input.c - read a capture through a window, never all of it at once.
 *
 * Every input (a regular file, standard input, a pipe, a device) is read
 * with read(2) into a window of about a megabyte that the driver slides
 * along (input_more, and the reader's cap_refill). Memory stays flat
 * however long the capture; a stream's records come out while it is still
 * being written; and a file that another program truncates while it is
 * read (tcpdump -W reopening its ring files, a capture being rewritten) is
 * met as a short read: the capture ends there with a message saying so.
 * Regular files used to be mapped, with a thread populating the pages
 * ahead of the reader: 4-6 % faster on a 215 MB capture, but 108 MB
 * resident instead of 24, and a file cut short under the mapping killed
 * the run with SIGBUS and everything pending lost.
 *
 * A directory, and standard input on a terminal, are refused with a reason
 * the CLI prints as "tuplecheck: FILE: reason".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* A window never grows past this (a record or block that large is refused). */
#define INPUT_MAX ((size_t)1 << 40)

/* Nor, on a stream, past this: the largest pcapng block libpcap accepts for
 * any link type (an EPB holding a 128 MiB D-Bus message with 128 KiB of
 * options) and the largest pcap record (16 bytes of header and the same
 * message) fit. The reader refuses what is larger before the window grows
 * (capture.h cap_open_input: 16 MiB for most link types); this bound holds
 * even for a caller that does not tell it the input is a stream. */
#define INPUT_STREAM_MAX (((size_t)128 << 20) + ((size_t)256 << 10))

/* The first window; it grows (doubling) only for a record or block larger
 * than what it can hold. 1 MiB measured fastest of 128 KiB to 16 MiB
 * (larger windows fall out of the CPU's caches). */
#define INPUT_WINDOW ((size_t)1 << 20)

/* How long a stream waits for data before it looks for an interruption
 * again (cli.h tc_interrupted). */
#define STREAM_POLL_MS 250

/* One read(2) into the free end of the window. */
static enum tc_rc input_read(struct input *in, char *errbuf, size_t errlen)
{
	for (;;) {
		struct pollfd pfd = { .fd = in->fd, .events = POLLIN };
		ssize_t n;

		/* A stream waits in poll, not in read: a signal ends poll
		 * (EINTR) even under SA_RESTART, and the timeout covers one
		 * that comes just before the call. A regular file never
		 * waits (the driver looks for interruptions as it reads). */
		while (!in->regular && !tc_interrupted && poll(&pfd, 1, STREAM_POLL_MS) == 0)
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

/* The window, and its first read: enough for cap_open to tell what the
 * file is (capture.h CAP_OPEN_MIN), unless the input is shorter. On
 * failure everything taken is given back. */
static enum tc_rc input_begin(int fd, bool own, struct input *in, char *errbuf, size_t errlen)
{
	enum tc_rc rc = TC_OK;

	in->fd = fd;
	in->own_fd = own;
	in->cap = INPUT_WINDOW;
	in->heap = malloc(in->cap);
	if (in->heap == NULL) {
		snprintf(errbuf, errlen, "out of memory for the input window");
		rc = TC_NOMEM;
	}
	in->data = in->heap;
	while (rc == TC_OK && !in->eof && in->len < CAP_OPEN_MIN)
		rc = input_read(in, errbuf, errlen);
	if (rc != TC_OK)
		input_free(in);
	return rc;
}

bool input_would_block(const struct input *in)
{
	struct pollfd pfd = { .fd = in->fd, .events = POLLIN };

	return !in->regular && !in->eof && poll(&pfd, 1, 0) == 0;
}

enum tc_rc input_more(struct input *in, const uint8_t *keep, char *errbuf, size_t errlen)
{
	size_t drop = (size_t)(keep - in->data);
	enum tc_rc rc;

	if (in->eof)
		return TC_OK;
	if (drop > 0) {
		memmove(in->heap, keep, in->len - drop);
		in->len -= drop;
		in->base += drop;
	}
	if (in->len == in->cap) {
		size_t max = in->regular ? INPUT_MAX : INPUT_STREAM_MAX;
		size_t cap = in->cap > max / 2 ? max : in->cap * 2;
		uint8_t *nb;

		if (in->cap >= max) {
			if (in->regular)
				snprintf(errbuf, errlen, "a record or block larger than %zu bytes", max);
			else
				snprintf(errbuf, errlen, "a record or block larger than %zu bytes on a "
					 "stream (the most libpcap accepts for any link type)", max);
			return TC_IO;
		}
		nb = realloc(in->heap, cap);
		if (nb == NULL) {
			snprintf(errbuf, errlen, "out of memory for a %zu-byte window", cap);
			return TC_NOMEM;
		}
		in->heap = nb;
		in->data = nb;
		in->cap = cap;
	}
	rc = input_read(in, errbuf, errlen);
	if (rc == TC_OK && in->regular) {
		/* a file that grows while it is read (still being written): its
		 * size as it is now, for the reader's test of a record that
		 * claims more than the file holds (cap_refill_input) and for
		 * the progress line; never lowered, so that input_shrank still
		 * sees a file that was cut */
		struct stat st;

		if (fstat(in->fd, &st) == 0 && (uint64_t)st.st_size > in->size)
			in->size = (uint64_t)st.st_size;
	}
	return rc;
}

bool input_shrank(const struct input *in, char *buf, size_t len)
{
	uint64_t got = in->base + in->len;

	if (!in->regular || !in->eof || got >= in->size)
		return false;
	snprintf(buf, len, "the file shrank from %llu to %llu bytes while it was being read "
		 "(another program truncated or rewrote it)",
		 (unsigned long long)in->size, (unsigned long long)got);
	return true;
}

enum tc_rc input_load(struct input *in, const char *path, char *errbuf, size_t errlen)
{
	struct stat st;
	int fd;

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
		return input_begin(STDIN_FILENO, false, in, errbuf, errlen);
	}

	/* O_NONBLOCK: opening a FIFO waits for its writer, and with SA_RESTART
	 * no signal would end that wait. Opened at once, a FIFO is then waited
	 * on in poll (input_read), which Ctrl-C interrupts; reads block again. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(errbuf, errlen, "cannot open: %s", strerror(errno));
		return TC_IO;
	}
	{
		int fl = fcntl(fd, F_GETFL);

		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
			snprintf(errbuf, errlen, "cannot open: %s", strerror(errno));
			close(fd);
			return TC_IO;
		}
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
	if (S_ISREG(st.st_mode)) {
		in->regular = true;
		in->size = (uint64_t)st.st_size;
		/* the kernel reads further ahead */
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	return input_begin(fd, true, in, errbuf, errlen);
}

void input_free(struct input *in)
{
	if (in->own_fd)
		close(in->fd);
	free(in->heap);
	memset(in, 0, sizeof(*in));
	in->fd = -1;
}
