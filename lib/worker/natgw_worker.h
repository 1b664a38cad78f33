/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A worker: one NAT engine and what moves packets to and from it. Every dataplane
 * runs this code: the DPDK poll-mode workers (one per lcore) and the capture
 * replay (one worker in virtual time).
 *
 * With several workers each owns its sessions and its slice of every public
 * address's ports (the engine's worker_id/n_workers split). A packet is
 * translated by the worker that owns its flow:
 *  - from the inside, the owner is a hash of the inside source address, so that
 *    all of a host's flows, its fragments and its endpoint-independent mappings
 *    (`rfc`) live on one worker;
 *  - from the outside, the owner is the worker whose port slice holds the
 *    destination port (the public port), or for ICMP the identifier or the
 *    quoted packet's public port.
 * A packet received by another worker is handed to its owner over a
 * single-producer, single-consumer rte_ring: nothing shared is written per
 * packet. With one worker there is no classification at all (chosen at
 * creation, not per packet).
 *
 * The worker never reads a clock: `now` (ns) is an argument.
 */
#ifndef NATGW_WORKER_H
#define NATGW_WORKER_H

#include <stdint.h>

#include <rte_common.h>

#include "natgw_nat.h"
#include "natgw_scale.h"

struct natgw_dst;
struct natgw_dst_ranges;
struct natgw_policy;

struct rte_mbuf;
struct rte_ring;

/** Most workers. */
#define NATGW_MAX_WORKERS 16

/**
 * Send packets out of a side. @return how many were taken; the worker frees
 * and counts the rest as tx drops.
 */
typedef uint16_t (*natgw_tx_fn)(void *arg, enum natgw_side side, struct rte_mbuf **pkts,
		uint16_t n);

/** Counters of one worker, written only by it (read by others: word-sized). */
struct natgw_worker_stats {
	uint64_t rx[NATGW_SIDES];        /**< packets received, by arrival side */
	uint64_t tx[NATGW_SIDES];        /**< packets sent, by side sent out of */
	uint64_t tx_bytes[NATGW_SIDES];  /**< their frame bytes */
	uint64_t tx_drop[NATGW_SIDES];   /**< packets the port would not take */
	uint64_t handoff_out;            /**< packets handed to their owner */
	uint64_t handoff_in;             /**< packets taken from other workers */
	uint64_t handoff_drop;           /**< handed packets lost to a full ring */
	uint64_t loops;                  /**< poll loops */
	uint64_t busy_loops;             /**< loops that moved a packet */
} __rte_cache_aligned;

/** How a worker is made. */
struct natgw_worker_conf {
	const char *name;              /**< unique; names the engine's tables */
	struct natgw_nat_conf nat;     /**< engine; worker_id and n_workers say which */
	unsigned int expire_budget;    /**< expiry work per natgw_worker_housekeep() */
	/** n_workers > 1: handoff rings. to[w][side] carries packets of @p side to
	 * worker w (NULL for this worker itself); from[w][side] brings them from w. */
	struct rte_ring *to[NATGW_MAX_WORKERS][NATGW_SIDES];
	struct rte_ring *from[NATGW_MAX_WORKERS][NATGW_SIDES];
	/** Classify destinations (docs/accounting.md): a dstclass instance of
	 * the worker's own learns names from its DNS answers and ClientHellos
	 * and looks addresses up in @p ranges (NULL: names only). */
	bool classify;
	const struct natgw_dst_ranges *ranges; /**< AWS's prefixes, shared read-only */
	uint32_t max_names;            /**< learned addresses held (0: 65536) */
	/** With classify: refuse the new inside sessions this egress policy
	 * denies (natgw as the filter a NAT gateway lacks); NULL: none. */
	const struct natgw_policy *enforce;
	/**
	 * Gateway mode (n_gw > 0): each worker is a NAT gateway of its own,
	 * this one gateway @p gw_id of @p n_gw, whose engine (nat, with
	 * n_workers 1) has its own networks and addresses; gw_all holds every
	 * gateway's configuration (it must outlive the worker). A packet from
	 * the inside belongs to the gateway of its inside host, one from the
	 * outside to the gateway of its public address; the handoff rings are
	 * between the gateways' workers.
	 */
	unsigned int n_gw, gw_id;
	const struct natgw_nat_conf *gw_all;
};

struct natgw_worker;

/** Make a worker and its engine. @return NULL with a one-line @p err. */
struct natgw_worker *natgw_worker_create(const struct natgw_worker_conf *c, char *err,
		size_t errlen);

/** Free a worker and its engine (packets still in rings are the rings' owner's). */
void natgw_worker_free(struct natgw_worker *w);

/**
 * Packets that arrived on @p side: hand those another worker owns to it, and
 * translate the rest, sending them with @p tx. @p n is at most NATGW_BURST_MAX.
 */
void natgw_worker_rx(struct natgw_worker *w, enum natgw_side side, struct rte_mbuf **pkts,
		uint16_t n, uint64_t now, natgw_tx_fn tx, void *tx_arg);

/**
 * Translate what other workers handed over, at most a burst per ring.
 * @return packets taken.
 */
unsigned int natgw_worker_drain(struct natgw_worker *w, uint64_t now, natgw_tx_fn tx,
		void *tx_arg);

/** Expire sessions with the configured budget. @return work done. */
unsigned int natgw_worker_housekeep(struct natgw_worker *w, uint64_t now);

/**
 * The worker that owns a frame that arrived on @p side, by the rules above.
 * Frames that do not parse belong to @p self (its engine counts the drop).
 */
unsigned int natgw_worker_owner(const struct natgw_worker *w, enum natgw_side side,
		const uint8_t *frame, uint16_t len);

/** @return the worker's engine. */
struct natgw_nat *natgw_worker_nat(struct natgw_worker *w);

/** @return the worker's counters. */
const struct natgw_worker_stats *natgw_worker_stats(const struct natgw_worker *w);

/** @return the worker's index. */
unsigned int natgw_worker_id(const struct natgw_worker *w);

/**
 * Show the classifier a frame the NAT does not see (a replay's intra-VPC DNS
 * answer from the VPC resolver): DNS answers in it teach names. Without a
 * classifier, nothing.
 */
void natgw_worker_observe(struct natgw_worker *w, const uint8_t *frame, uint32_t len);

/** @return the name of name id @p id of this worker's sessions, NULL for 0. */
const char *natgw_worker_name(const struct natgw_worker *w, uint16_t id);

/**
 * With an enforced policy: the packets its admit hook refused, by deciding
 * rule (index 0: the default, i: rule i - 1); @p n gets the entries.
 * @return NULL (n 0) without an enforced policy.
 */
const uint64_t *natgw_worker_refused(const struct natgw_worker *w, unsigned int *n);

/** @return the worker's classifier instance (its counters), NULL without one. */
const struct natgw_dst *natgw_worker_dst(const struct natgw_worker *w);

/** A worker's engine counters as a ceiling's controller last read them. */
struct natgw_worker_ceiling_seen {
	uint64_t in_bytes, in_pkts, ceil_bytes, ceil_pkts;
};

/**
 * What the worker's engine took in, and dropped over its budget, since
 * @p last (which this updates): its use of the ceiling for one epoch, for
 * natgw_scale_add(). It may be called from another core while the worker
 * runs: a burst counts its ceiling drops before its intake, so drops read
 * ahead of their intake are left for the next call.
 */
void natgw_worker_ceiling_use(const struct natgw_worker *w,
		struct natgw_worker_ceiling_seen *last, struct natgw_scale_use *u);

/** Count a busy or idle poll loop (the DPDK lcore loop's bookkeeping). */
void natgw_worker_count_loop(struct natgw_worker *w, bool busy);

#endif /* NATGW_WORKER_H */
