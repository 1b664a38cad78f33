/* SPDX-License-Identifier: BSD-3-Clause */
/* The DPDK dataplane's state, shared by its run loop and its telemetry. */
#ifndef NATGW_APP_DATAPLANE_H
#define NATGW_APP_DATAPLANE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_common.h>

#include "natgw_ethdev.h"
#include "natgw_rss.h"
#include "natgw_worker.h"

#define DP_MAX_RXQ 32 /* rx queues one worker polls */

/* A request for a listing of a worker's sessions, served by the worker between
 * bursts (its tables are its own: no other thread walks them). */
enum snap_state { SNAP_IDLE, SNAP_ASKED, SNAP_BUSY, SNAP_DONE };

struct dp_snap {
	_Atomic int state;
	struct natgw_flow_record *rec;
	size_t max;
	size_t n;
};

/* A worker's share of the ceiling, from the main lcore each epoch: a seqlock
 * (seq odd while written), read by the worker between bursts. */
struct dp_budget {
	_Atomic uint64_t seq;
	_Atomic uint64_t bytes, pkts;
};

struct dp_worker {
	struct natgw_worker *w;
	unsigned int lcore;
	uint16_t txq;
	uint16_t nrx;
	struct {
		uint16_t port, queue;
		enum natgw_side side;
	} rx[DP_MAX_RXQ];
	struct natgw_port *port[NATGW_SIDES];
	uint16_t burst;
	struct dp_snap snap;
	/* the ceiling: the main lcore writes budget (its own cache line), the
	 * worker remembers the last it applied */
	struct dp_budget budget __rte_cache_aligned;
	uint64_t budget_seen __rte_cache_aligned;
	/* main lcore only: the engine's counters at the last epoch */
	struct natgw_worker_ceiling_seen seen;
} __rte_cache_aligned;

struct dp {
	struct natgw_nat_conf nat;
	struct natgw_port port[NATGW_SIDES];
	struct dp_worker wk[NATGW_MAX_WORKERS];
	unsigned int n_workers;
	struct natgw_nat *engines[NATGW_MAX_WORKERS];
	struct natgw_worker *workers[NATGW_MAX_WORKERS]; /* wk[i].w, for reports */
	/* wall-clock ns at tsc0: `now` is real time, from the TSC */
	uint64_t tsc0, rt0_ns;
	double ns_per_cycle;
	uint64_t start_ns; /* workers started */
	_Atomic bool quit;
	struct natgw_rss_steer *steer; /* predictable RSS on the outside, if any */
	/* gateway mode (--gateway): worker g is gateway g, its own engine */
	unsigned int n_gw;
	struct natgw_nat_conf gw[NATGW_MAX_WORKERS];
	/* the elastic ceiling: one controller a gateway (a share a worker),
	 * or one for the gateway all workers make up; NULL: none */
	struct natgw_scale *scale[NATGW_MAX_WORKERS];
	unsigned int n_scale;
	/* several gateways: one in their place, fed all their traffic (what-if) */
	struct natgw_scale *one;
	struct natgw_scale_budget one_budget;
	uint64_t epoch_ns, next_epoch;
	uint16_t reta[512];
};

/* Now, in ns of real time. */
uint64_t dp_now(const struct dp *dp);

/* Ask every worker for up to @p max of its sessions into @p rec; waits at most
 * about @p timeout_ms. @return records, or -1 if a worker did not answer. */
long dp_snapshot(struct dp *dp, struct natgw_flow_record *rec, size_t max,
		unsigned int timeout_ms);

/* A port's id, name and DPDK counters. */
json_t *dp_port_json(const struct natgw_port *p);

/* Register /natgw/... telemetry commands. */
void dp_telemetry_register(struct dp *dp);
/* Make them answer nothing (before the workers and engines are freed). */
void dp_telemetry_unregister(void);

#endif
