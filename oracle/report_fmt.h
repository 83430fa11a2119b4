/*
 * report_fmt.h - the inside of struct report, shared by report.c (dispatch,
 * counting, jsonl) and the other format back ends (report_text.c,
 * report_junit.c, report_sarif.c). Not for use outside oracle/report*.c.
 */
#ifndef TC_REPORT_FMT_H
#define TC_REPORT_FMT_H

#include "report.h"

struct report_ops {
	void (*file_begin)(struct report *r, const char *file);
	void (*finding)(struct report *r, const struct finding *f);
	void (*host)(struct report *r, const struct host_record *h);
	void (*file_end)(struct report *r, const char *file, const struct file_stats *st,
			 const struct summary *s);
	void (*file_error)(struct report *r, const char *file, const char *reason);
	void (*close)(struct report *r);
	void (*free_priv)(struct report *r);
};

struct report {
	const struct report_ops *ops;
	FILE *out;
	const char *cmd;
	struct rule_set rules;
	enum severity fail_on;
	uint64_t failing;               /* findings at or above fail_on, whole run */
	uint64_t file_count[3];         /* this file's findings by severity */
	uint64_t total[3];              /* whole run */
	uint64_t files, files_failed;
	uint64_t hosts;                 /* host records, whole run */
	bool host_detail;
	void *priv;                     /* the back end's state */
	/* JSON Lines: the last file name written and its JSON text (every
	 * record of a file repeats it); NULL before the first */
	char *jfile_raw, *jfile_json;
	size_t jfile_json_len;
};

/* Back-end constructors: set r->ops and r->priv. TC_OK or TC_NOMEM. */
enum tc_rc report_text_init(struct report *r);
enum tc_rc report_junit_init(struct report *r);
enum tc_rc report_sarif_init(struct report *r);

#endif /* TC_REPORT_FMT_H */
