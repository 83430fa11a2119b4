/*
 * bench_engine.c - the connection engine alone: reader, decoder, engine.
 *
 * usage: bench_engine FILE
 * Maps FILE, walks it with cap_open/cap_next, decodes every record and
 * hands it to engine_packet (targets/engine.c) with the default
 * configuration (engine_config_default: MSL 60 s, no flow cap) and a fixed
 * hash key, exactly what `tuplecheck flows` does before it formats records,
 * but without an emit callback. It is the "engine only" line of the flows
 * row (the rest of `tuplecheck flows` is output), and the source of two
 * figures the summary record does not carry: the most flows live at once
 * and the flow table's own count of the bytes it holds. Prints one line:
 *   packets=N flows=N max_live=N table_bytes_max=N table_bytes_per_live=B
 *   seconds=S pps=P
 * table_bytes_max is the largest engine_stats()->memory seen (read every
 * 4096 packets and at the end, before the flush), so the peak during a
 * rehash, when both bucket arrays exist, is caught to within 4096 packets.
 * Exit 1 if the file does not read to a clean end or the engine runs out of
 * memory.
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
#include "engine.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct cap_reader r;   /* 8 KiB of interfaces: off the stack */
	static const uint8_t key[16] = { 1 };
	struct engine_config cfg;
	struct engine *e;
	const struct engine_stats *es;
	struct engine_result res;
	struct engine_in in;
	struct cap_packet cp;
	struct pkt p;
	unsigned long long n = 0;
	size_t mem_max = 0;
	uint64_t max_live, created, nomem;
	struct stat st;
	double t0, t1;
	void *map;
	enum tc_rc rc;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_engine FILE\n");
		return 2;
	}
	engine_config_default(&cfg);
	cfg.hash_key = siphash_key_from_bytes(key);
	if (engine_new(&cfg, NULL, NULL, &e) != TC_OK) {
		fprintf(stderr, "bench_engine: out of memory\n");
		return 1;
	}
	t0 = now_s();
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
		fprintf(stderr, "bench_engine: %s: cannot open or empty\n", argv[1]);
		return 1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "bench_engine: %s: mmap failed\n", argv[1]);
		return 1;
	}
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	rc = cap_open(&r, map, (size_t)st.st_size);
	if (rc != TC_OK) {
		fprintf(stderr, "bench_engine: %s: %s\n", argv[1], r.err);
		return 1;
	}
	while ((rc = cap_next(&r, &cp)) == TC_OK) {
		n++;
		decode_packet(cp.linktype, cp.data, cp.caplen, cp.origlen, &p);
		in.frame = n;
		in.ts_sec = cp.ts_sec;
		in.ts_nsec = cp.ts_nsec;
		in.ts_digits = cp.ts_digits;
		in.no_ts = (cp.flags & CAP_F_NO_TS) != 0;
		engine_packet(e, &p, &in, &res);
		if ((n & 4095) == 0) {
			es = engine_stats(e);
			if (es->memory > mem_max)
				mem_max = es->memory;
		}
	}
	es = engine_stats(e);
	if (es->memory > mem_max)
		mem_max = es->memory;
	max_live = es->max_live;
	created = es->created;
	nomem = es->nomem;
	engine_flush(e);
	t1 = now_s();
	engine_free(e);
	cap_close(&r);
	munmap(map, (size_t)st.st_size);
	if (rc != TC_END) {
		fprintf(stderr, "bench_engine: %s: %s\n", argv[1], r.err);
		return 1;
	}
	if (nomem > 0) {
		fprintf(stderr, "bench_engine: %s: engine out of memory on %llu packets\n",
			argv[1], (unsigned long long)nomem);
		return 1;
	}
	printf("packets=%llu flows=%llu max_live=%llu table_bytes_max=%zu "
	       "table_bytes_per_live=%.1f seconds=%.6f pps=%.0f\n",
	       n, (unsigned long long)created, (unsigned long long)max_live, mem_max,
	       max_live ? (double)mem_max / (double)max_live : 0.0, t1 - t0,
	       (double)n / (t1 - t0));
	return 0;
}
