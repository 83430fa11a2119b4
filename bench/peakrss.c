/*
 * peakrss.c - run a command, report its wall time and peak memory.
 *
 * usage: peakrss [--packets N] [--sample-ms MS] [--stdin FILE]
 *                [--last-line FILE | --stdout FILE] -- CMD [ARG...]
 *
 * Runs CMD with standard input from FILE (--stdin; otherwise inherited) and
 * standard output sent to /dev/null, or to FILE (--stdout),
 * or (--last-line) read through a pipe of which only the last line is kept
 * and written to FILE: that is how `make bench` reads a summary record
 * without storing a million flow records. Prints one line of key=value
 * pairs:
 *   exit=E seconds=S maxrss_kb=K anon_peak_kb=A file_at_peak_kb=F
 *   rss_peak_sampled_kb=R samples=N [packets=N pps=P]
 * exit is CMD's exit status (128+signal when killed); seconds is the wall
 * time from fork to reaping; maxrss_kb is the kernel's exact high-water mark
 * of CMD's resident set (getrusage of the child, VmHWM).
 *
 * Why a sampler too: the memory goals are about what the program
 * allocates (heap, stacks), not its code and libraries; and a program that
 * maps its input (tuplecheck did, before oracle/input.c read through a
 * window) has every page of the capture it has read in its resident set,
 * which would make memory look proportional to capture length. The kernel keeps no
 * high-water mark per kind of page, so with --sample-ms MS > 0 the parent
 * reads /proc/PID/status (RssAnon, RssFile, VmRSS) every MS milliseconds
 * and reports the largest RssAnon seen (heap and stacks: what the program
 * allocated) with the RssFile of that sample. rss_peak_sampled_kb against
 * maxrss_kb shows how close sampling came to the true peak. The sampler
 * costs the parent about 30 us per sample on another CPU; the throughput
 * rows run with --sample-ms 0 (the default), which only waits. Sampling
 * starts once CMD has been exec'd (so the wrapper's own forked copy is
 * never sampled), every 0.1 ms at first and twice as long each time up to
 * MS. On a busy machine the parent may not get a CPU before a short command
 * ends, so when sampling, CMD also runs under ptrace with only
 * PTRACE_O_TRACEEXIT set: it stops once as it exits, before its memory is
 * released, and is sampled there (no system call is traced; signals are
 * passed on unchanged). Where ptrace is not allowed, sampling goes on
 * without that last sample.
 *
 * Exit status: 0 when CMD was run (whatever its status, reported as exit=),
 * 2 on a usage error, 1 when CMD could not be started.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: peakrss [--packets N] [--sample-ms MS] [--stdin FILE] "
		"[--last-line FILE | --stdout FILE] -- CMD [ARG...]\n");
	exit(2);
}

static unsigned long long parse_num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		usage();
	return v;
}

struct mem_sample {
	long anon_kb, file_kb, rss_kb;
};

/* Read RssAnon, RssFile and VmRSS of pid. Returns 0, or -1 when the process
 * is gone (or /proc is not mounted): the caller keeps its last sample. */
static int sample(pid_t pid, struct mem_sample *m)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;
	const char *p;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	m->anon_kb = m->file_kb = m->rss_kb = -1;
	if ((p = strstr(buf, "\nRssAnon:")) != NULL)
		m->anon_kb = strtol(p + 9, NULL, 10);
	if ((p = strstr(buf, "\nRssFile:")) != NULL)
		m->file_kb = strtol(p + 9, NULL, 10);
	if ((p = strstr(buf, "\nVmRSS:")) != NULL)
		m->rss_kb = strtol(p + 7, NULL, 10);
	/* A zombie has no memory lines; not a sample. */
	return m->anon_kb < 0 || m->rss_kb < 0 ? -1 : 0;
}

/* Take one sample of pid into the running maxima. */
static void take(pid_t pid, struct mem_sample *best, long *rss_peak, long *samples)
{
	struct mem_sample m;

	if (sample(pid, &m) != 0)
		return;
	(*samples)++;
	if (m.anon_kb > best->anon_kb)
		*best = m;
	if (m.rss_kb > *rss_peak)
		*rss_peak = m.rss_kb;
}

/* The tail of CMD's output: the last complete line (or the unterminated
 * rest, when the output does not end with a newline). */
struct tail {
	char line[65536];
	size_t len;      /* bytes of the line being read          */
	char last[65536];
	size_t last_len; /* the last complete line               */
};

static void tail_feed(struct tail *t, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] == '\n') {
			memcpy(t->last, t->line, t->len);
			t->last_len = t->len;
			t->len = 0;
		} else if (t->len < sizeof(t->line)) {
			t->line[t->len++] = b[i];
		}
	}
}

int main(int argc, char **argv)
{
	unsigned long long packets = 0, sample_ms = 0;
	const char *last_path = NULL, *out_path = "/dev/null", *in_path = NULL;
	static struct tail tl;
	struct mem_sample best = { -1, -1, -1 };
	long rss_peak = -1, samples = 0;
	struct rusage ru = { 0 };
	int i, status = 0, pfd[2] = { -1, -1 }, xfd[2], rc, code;
	bool traced = false;
	char flag = 0;
	double t0, t1, next, step = 1e-4, max_step;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--packets") == 0)
			packets = parse_num(argv[++i]);
		else if (strcmp(argv[i], "--sample-ms") == 0)
			sample_ms = parse_num(argv[++i]);
		else if (strcmp(argv[i], "--last-line") == 0)
			last_path = argv[++i];
		else if (strcmp(argv[i], "--stdout") == 0)
			out_path = argv[++i];
		else if (strcmp(argv[i], "--stdin") == 0)
			in_path = argv[++i];
		else
			usage();
	}
	if (i >= argc)
		usage();
	max_step = (double)sample_ms / 1e3;
	if (last_path != NULL && pipe(pfd) != 0) {
		perror("peakrss: pipe");
		return 1;
	}
	/* xfd: the child writes 'T' when it asked to be traced; EOF (close on
	 * exec) says the exec happened. */
	if (pipe2(xfd, O_CLOEXEC) != 0) {
		perror("peakrss: pipe");
		return 1;
	}
	fflush(stdout);
	t0 = now_s();
	pid = fork();
	if (pid < 0) {
		perror("peakrss: fork");
		return 1;
	}
	if (pid == 0) {
		int out = pfd[1] >= 0 ? pfd[1] :
			  open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (out < 0 || dup2(out, STDOUT_FILENO) < 0)
			_exit(127);
		if (in_path != NULL) {
			int in = open(in_path, O_RDONLY);

			if (in < 0 || dup2(in, STDIN_FILENO) < 0)
				_exit(127);
		}
		if (pfd[0] >= 0)
			close(pfd[0]);
		close(xfd[0]);
		if (sample_ms > 0 && ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 &&
		    write(xfd[1], "T", 1) != 1)
			_exit(127);
		execvp(argv[i], argv + i);
		fprintf(stderr, "peakrss: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	if (pfd[1] >= 0)
		close(pfd[1]);
	close(xfd[1]);
	while ((rc = (int)read(xfd[0], &flag, 1)) < 0 && errno == EINTR)
		;
	close(xfd[0]);
	if (rc == 1 && flag == 'T') {
		/* A traced child stops with SIGTRAP once its exec is done. */
		while ((rc = (int)waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (rc == pid && WIFSTOPPED(status)) {
			traced = true;
			take(pid, &best, &rss_peak, &samples);
			if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
				   (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL)) != 0)
				perror("peakrss: PTRACE_SETOPTIONS");
			ptrace(PTRACE_CONT, pid, NULL, NULL);
		}
	}
	next = now_s();
	/* Unless the child already exited during its exec (rc == pid, not
	 * stopped): then status holds its end and there is nothing to watch. */
	while (!(rc == pid && !WIFSTOPPED(status))) {
		bool polling = sample_ms > 0 || pfd[0] >= 0;
		double wait;

		if (sample_ms > 0 && now_s() >= next) {
			take(pid, &best, &rss_peak, &samples);
			next = now_s() + step;
			step = step * 2 < max_step ? step * 2 : max_step;
		}
		wait = sample_ms > 0 ? next - now_s() : 0.01;
		if (wait < 0)
			wait = 0;
		if (pfd[0] >= 0) {
			struct pollfd p = { pfd[0], POLLIN, 0 };

			if (poll(&p, 1, (int)(wait * 1e3 + 0.999)) > 0) {
				char buf[65536];
				ssize_t n = read(pfd[0], buf, sizeof(buf));

				if (n > 0)
					tail_feed(&tl, buf, (size_t)n);
				else if (n == 0 || errno != EINTR) {
					close(pfd[0]);
					pfd[0] = -1;
				}
			}
		}
		rc = (int)wait4(pid, &status, (polling ? WNOHANG : 0) | __WALL, &ru);
		if (rc < 0 && errno != EINTR) {
			perror("peakrss: wait4");
			return 1;
		}
		if (rc == pid && WIFSTOPPED(status)) {
			if (traced && status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
				/* Exiting, memory still mapped: the last sample. */
				take(pid, &best, &rss_peak, &samples);
				ptrace(PTRACE_CONT, pid, NULL, NULL);
			} else {
				ptrace(PTRACE_CONT, pid, NULL,
				       (void *)(long)(WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status)));
			}
			continue;
		}
		if (rc == 0 && pfd[0] < 0 && sample_ms > 0) {
			struct timespec ts = { 0, (long)(wait * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	/* What CMD wrote before it ended and the wrapper had not read yet. */
	while (pfd[0] >= 0) {
		char buf[65536];
		ssize_t n = read(pfd[0], buf, sizeof(buf));

		if (n > 0) {
			tail_feed(&tl, buf, (size_t)n);
		} else if (n == 0 || errno != EINTR) {
			close(pfd[0]);
			pfd[0] = -1;
		}
	}
	t1 = now_s();
	if (tl.len > 0) {
		memcpy(tl.last, tl.line, tl.len);
		tl.last_len = tl.len;
	}
	if (last_path != NULL) {
		FILE *f = fopen(last_path, "w");

		if (f == NULL || fwrite(tl.last, 1, tl.last_len, f) != tl.last_len ||
		    fputc('\n', f) == EOF || fclose(f) != 0) {
			fprintf(stderr, "peakrss: %s: cannot write\n", last_path);
			return 1;
		}
	}
	if (ru.ru_maxrss == 0)
		getrusage(RUSAGE_CHILDREN, &ru);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("exit=%d seconds=%.6f maxrss_kb=%ld anon_peak_kb=%ld file_at_peak_kb=%ld "
	       "rss_peak_sampled_kb=%ld samples=%ld",
	       code, t1 - t0, ru.ru_maxrss, best.anon_kb, best.file_kb, rss_peak, samples);
	if (packets > 0)
		printf(" packets=%llu pps=%.0f", packets, (double)packets / (t1 - t0));
	printf("\n");
	return 0;
}
