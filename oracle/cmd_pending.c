/*
 * cmd_pending.c - placeholders for subcommands still being written, so the
 * tool links while they land one by one. Each is a weak symbol: the real
 * cmd_NAME.c overrides it. Removed once every subcommand exists.
 */
#include <stdio.h>

#include "cli.h"

static int pending(const struct tc_options *o)
{
	fprintf(stderr, "tuplecheck: %s: not available in this build yet\n", o->cmd);
	return 2;
}

__attribute__((weak)) int cmd_flows(struct tc_options *o) { return pending(o); }
__attribute__((weak)) int cmd_hosts(struct tc_options *o) { return pending(o); }
__attribute__((weak)) int cmd_replay(struct tc_options *o) { return pending(o); }
__attribute__((weak)) int cmd_reduce(struct tc_options *o) { return pending(o); }
