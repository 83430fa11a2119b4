/*
 * flowcfg.c - engine configuration from options (see flowcfg.h).
 *
 * --seed N becomes a 128-bit SipHash key through two rounds of the
 * splitmix64 finaliser, so nearby seeds give unrelated keys; without --seed
 * the key comes from the kernel's random source (getrandom, no fallback to
 * anything predictable: refusing to run is better than a guessable key).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "flowcfg.h"

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

struct siphash_key tc_seed_key(uint64_t seed)
{
	struct siphash_key k;
	uint64_t s = seed;

	k.k0 = splitmix64(&s);
	k.k1 = splitmix64(&s);
	return k;
}

enum tc_rc tc_engine_config(const struct tc_options *o, struct engine_config *cfg)
{
	engine_config_default(cfg);
	cfg->max_flows = o->max_flows;
	cfg->msl_sec = o->msl;
	if (o->have_seed) {
		cfg->hash_key = tc_seed_key(o->seed);
	} else {
		uint8_t b[16];
		size_t got = 0;

		while (got < sizeof(b)) {
			ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				fprintf(stderr, "tuplecheck: cannot get a random hash key: %s "
					"(use --seed N)\n", strerror(errno));
				return TC_IO;
			}
			got += (size_t)n;
		}
		cfg->hash_key = siphash_key_from_bytes(b);
	}
	return TC_OK;
}

bool tc_engine_summary(struct engine *e, const char *file, struct summary *s)
{
	const struct engine_stats *es = engine_stats(e);
	char buf[NAME_LINE_MAX];

	s->have_flows = true;
	s->flows = es->created;
	s->evicted = es->evicted;
	if (es->nomem == 0)
		return true;
	fprintf(stderr, "tuplecheck: %s: out of memory: %" PRIu64 " packets were not tracked\n",
		name_for_line(file, buf, sizeof(buf)), es->nomem);
	return false;
}
