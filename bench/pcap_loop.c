/*
 * pcap_loop.c - the baseline of `make bench`: a minimal libpcap read loop.
 *
 * usage: pcap_loop FILE
 * Opens FILE with pcap_open_offline and calls pcap_next_ex until the end,
 * counting packets and summing captured lengths (so the loop touches what a
 * consumer would be handed). Prints one line of key=value pairs:
 *   packets=N bytes=N seconds=S pps=P
 * The clock covers open and loop, as bench_decode's covers map and loop.
 * Exit 1 if libpcap reports an error.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long long n = 0, bytes = 0;
	unsigned sink = 0;
	double t0, t1;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pcap_loop FILE\n");
		return 2;
	}
	t0 = now_s();
	p = pcap_open_offline(argv[1], errbuf);
	if (p == NULL) {
		fprintf(stderr, "pcap_loop: %s: %s\n", argv[1], errbuf);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		n++;
		bytes += h->caplen;
		sink += d[0];
	}
	t1 = now_s();
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "pcap_loop: %s: %s\n", argv[1], pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("packets=%llu bytes=%llu seconds=%.6f pps=%.0f sink=%u\n",
	       n, bytes, t1 - t0, (double)n / (t1 - t0), sink & 1);
	return 0;
}
