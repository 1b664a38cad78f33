/* SPDX-License-Identifier: BSD-3-Clause */
/* natgw's commands and the report they share. */
#ifndef NATGW_APP_COMMANDS_H
#define NATGW_APP_COMMANDS_H

#include <stdio.h>

#include <jansson.h>

#include "natgw_pcap.h"

/* What a report is made of: the mode's own sections (an object whose members
 * are written in order after "config"; the writer takes ownership) and the
 * engines whose counters and flows it sums. */
struct natgw_report {
	const char *mode;
	const struct natgw_nat_conf *nat;
	json_t *sections;
	struct natgw_nat *const *engines;
	unsigned int n_engines;
};

/* natgw [EAL options] -- OPTIONS: the DPDK dataplane. */
int natgw_cmd_dataplane(int argc, char **argv);

/* natgw replay: argv[0] is "replay". Returns the exit status. */
int natgw_cmd_replay(int argc, char **argv);

/* Write report.json for a finished replay; -1 with err on failure. */
int natgw_report_write(const char *path, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r, char *err, size_t errlen);

/* Write a finished replay's CSV files into dir; -1 with err on failure. */
int natgw_replay_csv(const char *dir, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r, char *err, size_t errlen);

/* Write report.json from several engines; -1 with err on failure. */
int natgw_report_write_engines(const char *path, const struct natgw_report *rep, char *err,
		size_t errlen);

/* Sum several engines' counters (ActiveConnectionCount: the sum of peaks). */
void natgw_report_totals(struct natgw_nat *const *engines, unsigned int n,
		struct natgw_nat_stats *t);

/* Sections shared by the report and the telemetry. */
json_t *natgw_report_config_json(const struct natgw_nat_conf *n);
json_t *natgw_report_metrics_json(const struct natgw_nat_stats *st);
json_t *natgw_report_drops_json(const struct natgw_nat_stats *st);
json_t *natgw_report_flow_json(const struct natgw_flow_record *f);

/* "tcp", "udp", "icmp". */
const char *natgw_report_proto_name(uint8_t p);

/* accounting.c: the engines' per-minute series merged by minute (malloc'ed,
 * NULL without memory), as JSON, and the CSV files of a run in @p dir. */
struct natgw_nat_minute *natgw_acct_series(struct natgw_nat *const *engines, unsigned int n,
		size_t *nrows);
json_t *natgw_acct_series_json(const struct natgw_nat_minute *rows, size_t n);
int natgw_acct_write_csv(const char *dir, const struct natgw_report *rep, char *err,
		size_t errlen);

/* The traffic, sessions and drops lines of a summary. */
void natgw_report_summary_nat(FILE *f, const struct natgw_nat_stats *st);

/* Print the human summary of a finished replay. */
void natgw_report_summary(FILE *f, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r);

#endif
