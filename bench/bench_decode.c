/*
 * bench_decode.c - decode throughput of tuplecheck's reader and decoder.
 *
 * usage: bench_decode [--read-only] FILE
 * Maps FILE, walks it with cap_open/cap_next (targets/capture.c) and hands
 * every record to decode_packet (targets/decode.c), the path every
 * subcommand takes before the engine. --read-only stops after cap_next, to
 * show the reader's share. Linked with the release objects (-O2, no
 * sanitizers). Prints one line of key=value pairs:
 *   packets=N decoded=N seconds=S pps=P
 * where decoded counts packets with an IP header. The clock covers map and
 * loop, as pcap_loop's covers open and loop. Exit 1 if the file does not
 * read to a clean end.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "decode.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct cap_reader r;   /* 8 KiB of interfaces: off the stack */
	struct cap_packet cp;
	struct pkt p;
	const char *path;
	bool read_only = false;
	unsigned long long n = 0, decoded = 0, sink = 0;
	struct stat st;
	double t0, t1;
	void *map;
	enum tc_rc rc;
	int fd;

	if (argc == 3 && strcmp(argv[1], "--read-only") == 0)
		read_only = true;
	else if (argc != 2) {
		fprintf(stderr, "usage: bench_decode [--read-only] FILE\n");
		return 2;
	}
	path = argv[argc - 1];
	t0 = now_s();
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
		fprintf(stderr, "bench_decode: %s: cannot open or empty\n", path);
		return 1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "bench_decode: %s: mmap failed\n", path);
		return 1;
	}
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	rc = cap_open(&r, map, (size_t)st.st_size);
	if (rc != TC_OK) {
		fprintf(stderr, "bench_decode: %s: %s\n", path, r.err);
		return 1;
	}
	while ((rc = cap_next(&r, &cp)) == TC_OK) {
		n++;
		if (read_only) {
			sink += cp.caplen;
			continue;
		}
		decode_packet(cp.linktype, cp.data, cp.caplen, cp.origlen, &p);
		if (p.have_ip)
			decoded++;
		sink += p.sport;
	}
	t1 = now_s();
	cap_close(&r);
	if (rc != TC_END) {
		fprintf(stderr, "bench_decode: %s: %s\n", path, r.err);
		return 1;
	}
	munmap(map, (size_t)st.st_size);
	printf("packets=%llu decoded=%llu seconds=%.6f pps=%.0f sink=%llu\n",
	       n, decoded, t1 - t0, (double)n / (t1 - t0), sink & 1);
	return 0;
}
