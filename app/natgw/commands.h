/* SPDX-License-Identifier: BSD-3-Clause */
/* natgw's commands and the report they share. */
#ifndef NATGW_APP_COMMANDS_H
#define NATGW_APP_COMMANDS_H

#include <stdio.h>

#include "natgw_pcap.h"

/* natgw replay: argv[0] is "replay". Returns the exit status. */
int natgw_cmd_replay(int argc, char **argv);

/* Write report.json for a finished replay; -1 with err on failure. */
int natgw_report_write(const char *path, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r, char *err, size_t errlen);

/* Print the human summary of a finished replay. */
void natgw_report_summary(FILE *f, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r);

#endif
