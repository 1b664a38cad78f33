/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A traffic generator on DPDK ports for lab tests of a stateful NAT (RFC 2544,
 * RFC 9693), as TRex's stateless mode and FD.io CSIT's NAT44 tests do it: one
 * port faces the device under test's inside (it plays the private hosts), the
 * other its outside (it plays the destinations, answering each flow at the
 * public endpoint the NAT gave it). UDP over IPv4; every frame carries its flow,
 * its trial and the TSC when it was sent, so that what comes back is checked
 * (right flow, right translation, this trial) and its one-way latency measured
 * (both ports are this process's: one clock).
 *
 * The generator runs on the lcore that calls it, and reads the TSC: it is a
 * driver, the one place a clock belongs.
 */
#ifndef NATGW_GEN_H
#define NATGW_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <rte_ether.h>

#include "natgw_lab.h"

struct rte_mempool;

/** Directions, named by where a frame goes. */
enum natgw_gen_dir {
	NATGW_GEN_OUT, /**< inside to outside: sent on the inside port */
	NATGW_GEN_IN,  /**< outside to inside: sent on the outside port */
	NATGW_GEN_DIRS
};

/** Most frame sizes in a mix. */
#define NATGW_GEN_MAX_SIZES 8
/** Most destinations. */
#define NATGW_GEN_MAX_DESTS 4096

/** A weighted mix of frame lengths (without FCS, 60 to 1514... up to 9000). */
struct natgw_gen_mix {
	unsigned int n;
	uint16_t len[NATGW_GEN_MAX_SIZES];
	uint16_t weight[NATGW_GEN_MAX_SIZES];
};

/** A destination of the flows. Network order. */
struct natgw_gen_dest {
	uint32_t ip;
	uint16_t port;
};

/** How the generator is made. */
struct natgw_gen_conf {
	uint16_t port[NATGW_GEN_DIRS];   /**< [OUT]: inside-facing port, [IN]: outside-facing */
	uint16_t txq, rxq;               /**< queues to use on both */
	struct rte_mempool *mp;          /**< buffers for what it sends */
	struct rte_ether_addr dst_mac[NATGW_GEN_DIRS]; /**< next hop of each port */
	uint32_t inside_net;             /**< first inside host address (network order) */
	uint32_t hosts;                  /**< inside hosts the flows come from */
	const struct natgw_gen_dest *dests; /**< destinations (copied) */
	unsigned int n_dests;
	struct natgw_gen_mix mix[NATGW_GEN_DIRS]; /**< frame lengths per direction */
	/** Packets a direction sends per packet of the other: out_share is
	 * the fraction of all packets that go out (0.5: symmetric). */
	double out_share;
	uint32_t max_flows;              /**< flows the table holds (established ones) */
	uint16_t burst;                  /**< packets per tx/rx burst (default 32) */
	/** The device translates (a NAT): an outbound frame must arrive from
	 * another address than its inside host's, and keep the public endpoint
	 * it got first. False for a loop without a NAT (calibration). */
	bool expect_nat;
	/** The ports are rings straight into the device's rx queues (the
	 * lab's in-process ports): a ring that takes no more is the device's
	 * full rx queue, where a NIC would drop, so a frame it refuses counts
	 * as sent and lost. On real ports a refusal is the generator's own
	 * NIC queue being full: not sent, the generator's shortfall. */
	bool full_is_loss;
};

/** What one run of the generator saw. */
struct natgw_gen_result {
	uint64_t sent[NATGW_GEN_DIRS];      /**< frames sent */
	uint64_t sent_bytes[NATGW_GEN_DIRS];/**< their bytes (no FCS) */
	uint64_t received[NATGW_GEN_DIRS];  /**< frames of this run back, sound */
	uint64_t recv_bytes[NATGW_GEN_DIRS];
	uint64_t tx_full[NATGW_GEN_DIRS];   /**< frames the port would not take (sent
	                                         and lost with full_is_loss, else not sent) */
	uint64_t mistranslated[NATGW_GEN_DIRS]; /**< back with a wrong address or port */
	uint64_t remapped;                  /**< outbound from another public endpoint than before */
	uint64_t stale;                     /**< from an earlier run (counted nowhere else) */
	uint64_t foreign;                   /**< not the generator's frames */
	uint64_t duration_ns;               /**< from the first send to the last */
	double offered_pps;                 /**< the rate asked for */
	double achieved_pps;                /**< sent / duration */
};

/** What to run. */
enum natgw_gen_mode {
	/** Established flows [0, n_flows), both directions at @p rate pps in all
	 * (out_share of them out); inbound frames go to each flow's public
	 * endpoint, learned when it was established. */
	NATGW_GEN_BIDIR,
	/** One outbound frame a flow, for flows [first, first + count): their
	 * sessions made; the public endpoints learned (flows inside the table). */
	NATGW_GEN_ESTABLISH,
	/** One inbound frame a flow [first, first + count) to its endpoint:
	 * does the session still hold? (table capacity validation) */
	NATGW_GEN_VALIDATE,
};

struct natgw_gen_run {
	enum natgw_gen_mode mode;
	double rate;          /**< pps (BIDIR: both directions together) */
	uint64_t duration_ns; /**< BIDIR: how long */
	uint64_t first, count;/**< ESTABLISH/VALIDATE: which flows (indices may pass
	                           max_flows: they are then not kept, only counted) */
	uint64_t n_flows;     /**< BIDIR: established flows to spread over */
	uint64_t drain_ns;    /**< after sending, wait this long for the last frames (default 50 ms) */
	/** Latency of what came back, per direction (NULL: not recorded). */
	struct natgw_hist *lat[NATGW_GEN_DIRS];
	/** Called about every 100 ms with the elapsed and total ns (progress). */
	void (*tick)(void *arg, uint64_t elapsed_ns, uint64_t total_ns);
	void *tick_arg;
	/** Stop early when this becomes true (a signal). */
	const volatile bool *stop;
};

struct natgw_gen;

/** Make a generator. @return NULL with a one-line @p err. */
struct natgw_gen *natgw_gen_create(const struct natgw_gen_conf *c, char *err, size_t errlen);
/** Free it. */
void natgw_gen_free(struct natgw_gen *g);

/** Run, filling @p r. @return 0, or -1 with @p err (bad run). */
int natgw_gen_run(struct natgw_gen *g, const struct natgw_gen_run *run,
		struct natgw_gen_result *r, char *err, size_t errlen);

/** @return how many of flows [0, n) have a public endpoint learned. */
uint64_t natgw_gen_established(const struct natgw_gen *g, uint64_t n);
/** Forget the public endpoints learned (the device's table was emptied). */
void natgw_gen_forget(struct natgw_gen *g);

/** The mean frame length (no FCS) of a direction's mix. */
double natgw_gen_mix_mean(const struct natgw_gen_mix *m);
/** Parse a mix: "64", "64,570,1518" (equal weights), "64:7,570:4,1518:1",
 * or "imix" (64:7,570:4,1518:1). @return 0, or -1 with a one-line @p err. */
int natgw_gen_mix_parse(struct natgw_gen_mix *m, const char *s, char *err, size_t errlen);

#endif /* NATGW_GEN_H */
