/* SPDX-License-Identifier: BSD-3-Clause */
/* natgw's commands and the report they share. */
#ifndef NATGW_APP_COMMANDS_H
#define NATGW_APP_COMMANDS_H

#include <stdio.h>

#include <jansson.h>

#include "natgw_cost.h"
#include "natgw_dstclass.h"
#include "natgw_pcap.h"
#include "natgw_policy.h"
#include "natgw_worker.h"

/* Accounting and cost options, shared by replay and the dataplane
 * (accounting.c): what they set, before and after natgw_acct_setup(). */
struct natgw_acct_conf {
	const char *ip_ranges;            /* --ip-ranges, NULL: the shipped file */
	const char *prices_path;          /* --prices, NULL: the compiled defaults */
	const char *price_set[32];        /* --price KEY=VALUE, applied after the file */
	unsigned int n_price_set;
	struct natgw_cost_prices prices;
	struct natgw_cost_design design;  /* --endpoints, --azs, --nat-gateways, ... */
	const char *policy_path;          /* --policy or --enforce FILE */
	bool enforce;                     /* --enforce: drop what it denies */
	/* natgw_acct_setup() */
	const char *ranges_path;
	struct natgw_dst_ranges *ranges;
	struct natgw_policy *policy;
};

enum {
	ACCT_OPT_IP_RANGES = 0x200,
	ACCT_OPT_PRICES,
	ACCT_OPT_PRICE,
	ACCT_OPT_ENDPOINTS,
	ACCT_OPT_NO_GW,
	ACCT_OPT_AZS,
	ACCT_OPT_NATS,
	ACCT_OPT_POLICY,
	ACCT_OPT_ENFORCE,
};

#define NATGW_ACCT_LONGOPTS \
	{"ip-ranges", required_argument, NULL, ACCT_OPT_IP_RANGES}, \
	{"prices", required_argument, NULL, ACCT_OPT_PRICES}, \
	{"price", required_argument, NULL, ACCT_OPT_PRICE}, \
	{"endpoints", required_argument, NULL, ACCT_OPT_ENDPOINTS}, \
	{"no-gateway-endpoints", no_argument, NULL, ACCT_OPT_NO_GW}, \
	{"azs", required_argument, NULL, ACCT_OPT_AZS}, \
	{"nat-gateways", required_argument, NULL, ACCT_OPT_NATS}, \
	{"policy", required_argument, NULL, ACCT_OPT_POLICY}, \
	{"enforce", required_argument, NULL, ACCT_OPT_ENFORCE}

#define NATGW_ACCT_USAGE \
	"accounting and cost (docs/accounting.md, docs/cost.md):\n" \
	"      --ip-ranges FILE             AWS's ip-ranges.json to classify addresses\n" \
	"                                   by (default: the copy natgw ships)\n" \
	"      --prices FILE                price file (default: us-east-1 list prices)\n" \
	"      --price KEY=USD              override one price, e.g.\n" \
	"                                   nat_gateway.per_gb=0.048; repeat for several\n" \
	"      --endpoints LIST             services the endpoints design moves to\n" \
	"                                   interface endpoints (default:\n" \
	"                                   " NATGW_COST_DEFAULT_INTERFACE ")\n" \
	"      --no-gateway-endpoints       keep S3 and DynamoDB on the NAT in that design\n" \
	"      --azs N                      AZs an interface endpoint is in (default 1)\n" \
	"      --nat-gateways N             NAT gateways billed (default 1)\n" \
	"      --policy FILE                the egress policy you intended (docs/policy.md):\n" \
	"                                   what the NAT let through against it, and what\n" \
	"                                   a blackhole route or endpoints would do\n" \
	"      --enforce FILE               the same, and drop the new sessions it denies\n" \
	"                                   (natgw as the egress filter a NAT lacks)\n"

void natgw_acct_conf_init(struct natgw_acct_conf *a);
/* 1: an accounting option, taken; 0: not one; -1: a bad value, with err. */
int natgw_acct_opt(struct natgw_acct_conf *a, int code, const char *arg, char *err,
		size_t errlen);
/* Load the price file and apply the overrides. */
int natgw_acct_setup(struct natgw_acct_conf *a, char *err, size_t errlen);
/* Load the ip ranges (an LPM table: after the EAL is up). */
int natgw_acct_load_ranges(struct natgw_acct_conf *a, char *err, size_t errlen);
void natgw_acct_conf_free(struct natgw_acct_conf *a);

/* What a report is made of: the mode's own sections (an object whose members
 * are written in order after "config"; the writer takes ownership) and the
 * engines whose counters and flows it sums. */
struct natgw_report {
	const char *mode;
	const struct natgw_nat_conf *nat;
	json_t *sections;
	struct natgw_nat *const *engines;
	unsigned int n_engines;
	struct natgw_worker *const *workers;   /* the engines' workers (names) */
	const struct natgw_acct_conf *acct;    /* prices and design; NULL: no cost */
	double span_s;                         /* the run's time span, for the cost */
	unsigned int n_gateways;               /* NAT gateways the run modelled (0: 1) */
};

/* A run's traffic by service and by name, all workers together. */
struct natgw_acct_totals {
	struct natgw_nat_acct svc[NATGW_DST_N_SERVICES];
	struct natgw_nat_acct all;
	struct natgw_acct_name *names; /* by bytes, the largest first */
	size_t n_names;
};

struct natgw_acct_name {
	const char *name;
	struct natgw_nat_acct a;
};

int natgw_acct_collect(const struct natgw_report *rep, struct natgw_acct_totals *t);
void natgw_acct_totals_free(struct natgw_acct_totals *t);
json_t *natgw_acct_services_json(const struct natgw_report *rep,
		const struct natgw_acct_totals *t);
int natgw_acct_cost(const struct natgw_report *rep, const struct natgw_acct_totals *t,
		struct natgw_cost_report *out, char *err, size_t errlen);
/* Where the bytes went and the two bills, for the human summary. */
void natgw_acct_summary(FILE *f, const struct natgw_report *rep,
		const struct natgw_acct_totals *t);
/* plot.c: PNGs drawn by gnuplot in dir (NAME.png, with NAME.dat and NAME.gp). */
int natgw_plot_bills(const char *dir, const struct natgw_cost_report *r, char *err,
		size_t errlen);
int natgw_plot_series(const char *dir, const struct natgw_nat_minute *rows, size_t n,
		char *err, size_t errlen);
/* A ceiling's per-second timeline: demand, ceiling, forwarded, dropped. */
int natgw_plot_timeline(const char *dir, const char *name, const char *title,
		const struct natgw_scale *sc, char *err, size_t errlen);
/* The plots of a run (bills, metrics per minute) into dir. */
int natgw_acct_plots(const char *dir, const struct natgw_report *rep, char *err,
		size_t errlen);
/* A finished replay's plots into dir. */
int natgw_replay_plots(const char *dir, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r, const struct natgw_acct_conf *acct,
		char *err, size_t errlen);

/* natgw lab: every trial of the searches @p tests from DIR/trials.csv, and
 * the percentile distribution of each latency histogram. */
int natgw_plot_lab_trials(const char *dir, const char *const *tests, unsigned int n, char *err,
		size_t errlen);
struct natgw_hist;
int natgw_plot_latency(const char *dir, struct natgw_hist *const *h, const char *const *label,
		unsigned int n, char *err, size_t errlen);

/* Each gateway on its own: networks, addresses, metrics, drops over its
 * ceiling, the ceiling's JSON (scales[g] NULL: none). */
json_t *natgw_report_gateways_json(const struct natgw_nat_conf *confs, unsigned int n,
		struct natgw_nat *const *nats, struct natgw_scale *const *scales);
/* The summary's lines for them: with several, a line each. */
void natgw_report_summary_gateways(FILE *f, const struct natgw_nat_conf *confs, unsigned int n,
		struct natgw_nat *const *nats, struct natgw_scale *const *scales);
/* One gateway in the place of these n (a what-if controller fed all their
 * traffic): report.json's one_gateway_instead, and its summary line. */
json_t *natgw_report_one_gateway_json(const struct natgw_scale *one,
		struct natgw_nat *const *nats, unsigned int n);
void natgw_report_one_gateway_line(FILE *f, const struct natgw_scale *one,
		struct natgw_nat *const *nats, unsigned int n);
/* The ceiling's state and the drops over it, one line. */
void natgw_report_ceiling_line(FILE *f, const char *indent, const struct natgw_scale *sc,
		const struct natgw_nat_stats *st);
/* The egress policy's three designs over the run's flows (--policy): the
 * tally (NULL without a policy or memory), and its JSON and summary. */
struct natgw_policy_tally *natgw_acct_policy(const struct natgw_report *rep);
json_t *natgw_acct_policy_json(const struct natgw_report *rep, const struct natgw_acct_totals *t,
		const struct natgw_policy_tally *tally);
void natgw_acct_policy_summary(FILE *f, const struct natgw_report *rep,
		const struct natgw_acct_totals *t, const struct natgw_policy_tally *tally);
/* "86.1 kB". */
void natgw_report_human_bytes(uint64_t b, char *buf, size_t n);

/* eal.c: argv for rte_eal_init() with --no-huge -m 1024 added on a machine
 * without free hugepages (said once on stderr), EAL's INFO chatter off; and
 * the removal of the runtime directory EAL leaves. */
char **natgw_eal_args(int argc, char **argv, int *nargc);
void natgw_eal_remove_runtime_dir(const char *dir);

/* natgw [EAL options] -- OPTIONS: the DPDK dataplane. */
int natgw_cmd_dataplane(int argc, char **argv);

/* mkdir -p: an output directory and any missing parents (replay, lab);
 * -1 with errno. */
int natgw_mkdir_p(const char *path);

/* natgw lab [EAL options] -- OPTIONS: throughput tests (argv[0] "lab"). */
int natgw_cmd_lab(int argc, char **argv);

/* natgw synth: argv[0] is "synth". Returns the exit status. */
int natgw_cmd_synth(int argc, char **argv);

/* natgw replay: argv[0] is "replay". Returns the exit status. */
int natgw_cmd_replay(int argc, char **argv);

/* Write report.json for a finished replay; -1 with err on failure. */
int natgw_report_write(const char *path, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r, const struct natgw_acct_conf *acct,
		char *err, size_t errlen);

/* Write a finished replay's CSV files into dir; -1 with err on failure. */
int natgw_replay_csv(const char *dir, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r, const struct natgw_acct_conf *acct,
		char *err, size_t errlen);

/* Write report.json from several engines; -1 with err on failure. */
int natgw_report_write_engines(const char *path, const struct natgw_report *rep, char *err,
		size_t errlen);

/* Sum several engines' counters (ActiveConnectionCount: the sum of peaks). */
void natgw_report_totals(struct natgw_nat *const *engines, unsigned int n,
		struct natgw_nat_stats *t);
/* Add one engine's counters to @p t (every field summed, peaks included). */
void natgw_report_stats_add(struct natgw_nat_stats *t, const struct natgw_nat_stats *st);

/* Sections shared by the report and the telemetry. */
json_t *natgw_report_config_json(const struct natgw_nat_conf *n);
json_t *natgw_report_metrics_json(const struct natgw_nat_stats *st);
json_t *natgw_report_drops_json(const struct natgw_nat_stats *st);
json_t *natgw_report_flow_json(const struct natgw_flow_record *f, const char *name);

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
		const struct natgw_replay_result *r, const struct natgw_acct_conf *acct);

#endif
