/*
 * main.c - tuplecheck's entry point: parse the command line and dispatch to
 * the subcommand (cmd_*.c). Exit status per SPEC.md: 0 clean, 1 findings at
 * or above --fail-on, 2 usage error, unreadable input or output that cannot
 * be written.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(struct tc_options *o);
	bool needs_files;
};

static const struct command commands[] = {
	{ "replay", cmd_replay, true },
	{ "flows", cmd_flows, true },
	{ "hosts", cmd_hosts, true },
	{ "packets", cmd_packets, true },
	{ "reduce", cmd_reduce, true },
};

int main(int argc, char **argv)
{
	struct tc_options o;
	int rc;

	std_fds_hold();
	interrupt_setup();
	rc = cli_parse(&o, argc, argv);
	if (rc >= 0)
		return output_close(rc);
	for (size_t i = 0; i < TC_ARRAY_SIZE(commands); i++) {
		if (strcmp(o.cmd, commands[i].name) != 0)
			continue;
		if (commands[i].needs_files && o.n_files == 0) {
			fprintf(stderr, "tuplecheck: %s: no input file (give a capture, or - for standard input)\n"
				"Try 'tuplecheck --help'.\n", o.cmd);
			return 2;
		}
		rc = output_close(commands[i].run(&o));
		interrupt_finish();
		return rc;
	}
	fprintf(stderr, "tuplecheck: '%s' is not a command (replay, flows, hosts, packets, reduce)\n"
		"Try 'tuplecheck --help'.\n", o.cmd);
	return 2;
}
