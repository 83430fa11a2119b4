/*
 * cmd_hosts.c - `tuplecheck hosts`: per-host source-port selection, the
 * classifier's verdict (oracle/classify.h) for every host that initiated a
 * connection, one record per host and file, then the summary.
 *
 * The same replay as `tuplecheck replay` (engine, initiator events,
 * classifier), without findings: the host record carries the SPEC fields
 * plus the classifier's confidence and a per-protocol breakdown (TCP and UDP
 * ports are judged apart). Text and jsonl only; findings formats (junit,
 * sarif) are refused as a usage error, like `packets` does.
 */
#include <stdio.h>

#include "oracle.h"

int cmd_hosts(struct tc_options *o)
{
	if (o->format == FMT_JUNIT || o->format == FMT_SARIF) {
		fprintf(stderr, "tuplecheck: hosts: --format %s is for findings; use text or jsonl\n",
			o->format == FMT_JUNIT ? "junit" : "sarif");
		return 2;
	}
	return oracle_command(o, true);
}
