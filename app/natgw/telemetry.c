/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands of the dataplane, for dpdk-telemetry.py while natgw
 * runs. Counters are read as the workers write them (word-sized, so never torn);
 * session listings are asked of the workers, which own their tables.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_telemetry.h>

#include "commands.h"
#include "dataplane.h"

#define FLOWS_DEFAULT 10
/* A reply is at most 16 kB of JSON: about this many flows fit. */
#define FLOWS_MAX 40

/* The dataplane, while its workers and engines exist. Commands run on the
 * telemetry thread: the lock keeps the teardown from freeing what a command
 * is reading. */
static struct dp *tdp;
static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;

/* A jansson value into a telemetry dict member. Telemetry nests one level
 * (a dict of containers); anything deeper goes as its JSON text. */
static void
add_json(struct rte_tel_data *d, const char *key, json_t *v, bool top)
{
	char buf[RTE_TEL_MAX_STRING_LEN];

	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);

		rte_tel_data_add_dict_u64(d, key, x < 0 ? 0 : (uint64_t)x);
	} else if (json_is_string(v)) {
		rte_tel_data_add_dict_string(d, key, json_string_value(v));
	} else if (json_is_real(v)) {
		snprintf(buf, sizeof(buf), "%g", json_real_value(v));
		rte_tel_data_add_dict_string(d, key, buf);
	} else if (json_is_boolean(v)) {
		rte_tel_data_add_dict_int(d, key, json_is_true(v));
	} else if (top && json_is_array(v) && json_array_size(v) > 0 &&
			json_array_size(v) <= RTE_TEL_MAX_ARRAY_ENTRIES &&
			(json_is_string(json_array_get(v, 0)) ||
			 json_is_integer(json_array_get(v, 0)))) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		bool str = json_is_string(json_array_get(v, 0));
		size_t i;
		json_t *x;

		if (c == NULL)
			return;
		rte_tel_data_start_array(c, str ? RTE_TEL_STRING_VAL : RTE_TEL_U64_VAL);
		json_array_foreach(v, i, x) {
			if (str)
				rte_tel_data_add_array_string(c, json_is_string(x) ?
					json_string_value(x) : "?");
			else
				rte_tel_data_add_array_u64(c, json_is_integer(x) &&
					json_integer_value(x) > 0 ?
					(uint64_t)json_integer_value(x) : 0);
		}
		rte_tel_data_add_dict_container(d, key, c, 0);
	} else if (top && json_is_object(v)) {
		struct rte_tel_data *c = rte_tel_data_alloc();
		const char *k;
		json_t *x;

		if (c == NULL)
			return;
		rte_tel_data_start_dict(c);
		json_object_foreach(v, k, x)
			add_json(c, k, x, false);
		rte_tel_data_add_dict_container(d, key, c, 0);
	} else {
		char *s = json_dumps(v, JSON_COMPACT);

		if (s) {
			rte_tel_data_add_dict_string(d, key, s);
			free(s);
		}
	}
}

static void
dict_from_json(struct rte_tel_data *d, json_t *o)
{
	const char *k;
	json_t *v;

	rte_tel_data_start_dict(d);
	json_object_foreach(o, k, v)
		add_json(d, k, v, true);
	json_decref(o);
}

static int
tel_config(const char *params, struct rte_tel_data *d)
{
	json_t *o = natgw_report_config_json(&tdp->nat);
	unsigned int i;

	(void)params;
	json_object_set_new(o, "workers", json_integer(tdp->n_workers));
	json_object_set_new(o, "inside_port", json_string(tdp->port[NATGW_SIDE_INSIDE].name));
	json_object_set_new(o, "outside_port", json_string(tdp->port[NATGW_SIDE_OUTSIDE].name));
	for (i = 0; i < tdp->n_workers; i++) {
		char k[32];

		snprintf(k, sizeof(k), "worker%u_lcore", i);
		json_object_set_new(o, k, json_integer(tdp->wk[i].lcore));
	}
	dict_from_json(d, o);
	return 0;
}

static int
tel_metrics(const char *params, struct rte_tel_data *d)
{
	struct natgw_nat_stats st;
	json_t *o;

	(void)params;
	natgw_report_totals(tdp->engines, tdp->n_workers, &st);
	o = natgw_report_metrics_json(&st);
	json_object_set_new(o, "drops", natgw_report_drops_json(&st));
	dict_from_json(d, o);
	return 0;
}

static int
tel_stats(const char *params, struct rte_tel_data *d)
{
	json_t *o = json_object();
	unsigned int i;

	(void)params;
	/* telemetry has no floating point: milliseconds */
	json_object_set_new(o, "elapsed_ms",
		json_integer((json_int_t)((dp_now(tdp) - tdp->start_ns) / 1000000)));
	for (i = 0; i < NATGW_SIDES; i++)
		json_object_set_new(o, i == NATGW_SIDE_INSIDE ? "inside_port" : "outside_port",
			dp_port_json(&tdp->port[i]));
	for (i = 0; i < tdp->n_workers; i++) {
		const struct natgw_worker_stats *ws = natgw_worker_stats(tdp->wk[i].w);
		const struct natgw_nat_stats *ns = natgw_nat_stats(tdp->engines[i]);
		char k[32];

		snprintf(k, sizeof(k), "worker%u", i);
		json_object_set_new(o, k, json_pack("{sIsIsIsIsIsIsIsIsIsIsIsIsI}",
			"rx_inside", (json_int_t)ws->rx[0], "rx_outside", (json_int_t)ws->rx[1],
			"tx_inside", (json_int_t)ws->tx[0], "tx_outside", (json_int_t)ws->tx[1],
			"tx_drop_inside", (json_int_t)ws->tx_drop[0],
			"tx_drop_outside", (json_int_t)ws->tx_drop[1],
			"handoff_out", (json_int_t)ws->handoff_out,
			"handoff_in", (json_int_t)ws->handoff_in,
			"handoff_drop", (json_int_t)ws->handoff_drop,
			"nat_drops", (json_int_t)ns->metric[NATGW_M_PacketsDropCount],
			"sessions_active", (json_int_t)ns->sessions_active,
			"sessions_created", (json_int_t)ns->sessions_created,
			"loops", (json_int_t)ws->loops));
	}
	dict_from_json(d, o);
	return 0;
}

static int
tel_flows(const char *params, struct rte_tel_data *d)
{
	struct natgw_flow_record rec[FLOWS_MAX];
	unsigned long want = FLOWS_DEFAULT;
	long n, i;
	json_t *o;

	if (params && *params) {
		char *end;

		want = strtoul(params, &end, 10);
		if (*end != '\0' || want == 0)
			return -1;
	}
	if (want > FLOWS_MAX)
		want = FLOWS_MAX;
	n = dp_snapshot(tdp, rec, want, 200);
	if (n < 0)
		return -1;
	o = json_object();
	json_object_set_new(o, "count", json_integer(n));
	json_object_set_new(o, "limit", json_integer((json_int_t)want));
	for (i = 0; i < n; i++) {
		char k[24];

		snprintf(k, sizeof(k), "%ld", i);
		json_object_set_new(o, k, natgw_report_flow_json(&rec[i], NULL));
	}
	dict_from_json(d, o);
	return 0;
}

static int
guarded(int (*fn)(const char *, struct rte_tel_data *), const char *params,
		struct rte_tel_data *d)
{
	int rc = -1;

	pthread_mutex_lock(&tel_lock);
	if (tdp)
		rc = fn(params, d);
	pthread_mutex_unlock(&tel_lock);
	return rc;
}

#define TEL_CMD(name) \
	static int \
	cmd_##name(const char *cmd, const char *params, struct rte_tel_data *d) \
	{ \
		(void)cmd; \
		return guarded(tel_##name, params, d); \
	}
TEL_CMD(stats)
TEL_CMD(metrics)
TEL_CMD(flows)
TEL_CMD(config)

void
dp_telemetry_register(struct dp *dp)
{
	pthread_mutex_lock(&tel_lock);
	tdp = dp;
	pthread_mutex_unlock(&tel_lock);
	rte_telemetry_register_cmd("/natgw/stats", cmd_stats,
		"natgw per-port and per-worker counters. No parameters");
	rte_telemetry_register_cmd("/natgw/metrics", cmd_metrics,
		"natgw CloudWatch metrics (AWS names) and drops by reason. No parameters");
	rte_telemetry_register_cmd("/natgw/flows", cmd_flows,
		"natgw sessions held now. Parameter: how many (default 10, at most 40)");
	rte_telemetry_register_cmd("/natgw/config", cmd_config,
		"natgw configuration. No parameters");
}

void
dp_telemetry_unregister(void)
{
	/* DPDK 22.11 cannot unregister a command: they answer -1 from now on. */
	pthread_mutex_lock(&tel_lock);
	tdp = NULL;
	pthread_mutex_unlock(&tel_lock);
}
