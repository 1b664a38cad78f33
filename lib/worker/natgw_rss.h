/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Predictable RSS: public ports chosen so that the answers of a flow reach the
 * worker that owns it straight from the NIC, without a handoff.
 *
 * The outside port hashes a TCP/UDP packet with Toeplitz over (source address,
 * destination address, source port, destination port) and sends it to the
 * queue its redirection table (RETA) holds at the hash's low bits. For an
 * answer, the destination port is the public port the NAT chose. DPDK's
 * rte_thash helper (on the public port's low bits) gives, for any candidate
 * port, the bits to flip so that the hash's low bits name a RETA entry of one
 * of the owner's queues. Only the low bits move, so a port stays in its
 * aligned block of the owner's slice (a candidate pushed out is passed over).
 *
 * The key is the context's: it must be programmed into the NIC
 * (natgw_rss_steer_key()), with the RETA given here. ICMP, fragments and
 * endpoint-independent mappings (`rfc`, one port for every remote) cannot be
 * steered: the workers hand those over as usual.
 */
#ifndef NATGW_RSS_H
#define NATGW_RSS_H

#include <stdint.h>
#include <stddef.h>

#include "natgw_nat.h"

/** Toeplitz key length (bytes) used for steering: the common 40. */
#define NATGW_RSS_KEY_LEN 40

struct natgw_rss_steer;

/**
 * Make a steering context for a port whose RETA has 2^@p reta_log entries,
 * entry i sending to queue @p reta[i], and where queue q is polled by worker
 * @p queue_worker[q]. @p key (NATGW_RSS_KEY_LEN bytes) is the starting key,
 * NULL for a random one. @return NULL with a one-line @p err.
 */
struct natgw_rss_steer *natgw_rss_steer_create(const char *name, unsigned int reta_log,
		const uint16_t *reta, const uint8_t *queue_worker, unsigned int n_queues,
		unsigned int n_workers, const uint8_t *key, char *err, size_t errlen);

void natgw_rss_steer_free(struct natgw_rss_steer *s);

/** The key to program into the NIC (NATGW_RSS_KEY_LEN bytes). */
const uint8_t *natgw_rss_steer_key(const struct natgw_rss_steer *s);

/**
 * Set @p c's port_steer hook for worker @p worker (c->worker_id). The steering
 * context must outlive the engine.
 */
int natgw_rss_steer_attach(struct natgw_rss_steer *s, struct natgw_nat_conf *c);

/** The queue the NIC would give a packet with this (network-order) TCP/UDP
 * 4-tuple: for tests and for checking a steered port. */
uint16_t natgw_rss_steer_queue(const struct natgw_rss_steer *s, uint32_t src_ip,
		uint32_t dst_ip, uint16_t src_port, uint16_t dst_port);

#endif /* NATGW_RSS_H */
