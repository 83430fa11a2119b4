/*
 * flowcfg.h - the engine's configuration from the command line, shared by
 * every subcommand that replays captures through the engine (flows, packets,
 * replay, hosts). The hash key is where randomness enters: random per run unless
 * --seed fixes it, so that a crafted capture cannot aim tuples at one hash
 * bucket, while replays and tests stay reproducible. Output never depends on
 * the key (the engine orders everything by capture order, not hash order).
 */
#ifndef TC_FLOWCFG_H
#define TC_FLOWCFG_H

#include "cli.h"
#include "engine.h"

/*
 * tc_engine_config - fill *cfg from o: --max-flows, --msl, and the SipHash
 * key (derived from --seed, else 16 bytes from getrandom(2)).
 * Returns TC_OK; TC_IO when no random key could be had (message on stderr).
 */
enum tc_rc tc_engine_config(const struct tc_options *o, struct engine_config *cfg);

/*
 * tc_engine_summary - s's flow counts (have_flows, flows, evicted) from e's
 * counters at the end of FILE. Returns false, with a line on stderr naming
 * the file, when packets went untracked for lack of memory.
 */
bool tc_engine_summary(struct engine *e, const char *file, struct summary *s);

/* The key --seed N gives (exposed for tests). */
struct siphash_key tc_seed_key(uint64_t seed);

#endif /* TC_FLOWCFG_H */
