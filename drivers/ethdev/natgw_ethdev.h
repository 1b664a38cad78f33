/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * DPDK ports as the gateway's inside and outside: any ethdev, a PCI NIC or a
 * vdev (net_pcap, net_tap, net_af_packet, net_ring, net_null).
 *
 * Checksums: translation updates every checksum incrementally (RFC 1624), which
 * is exact and cheaper than asking a NIC to sum the packet again, so a frame
 * that arrived with sound checksums leaves with sound ones on any port. The one
 * case that needs more is a frame whose port handed it over with its transport
 * checksum not yet computed (RTE_MBUF_F_RX_L4_CKSUM_NONE: virtio and
 * friends, from a sender that offloaded it): on the way out the port's
 * checksum offload completes it where the port has one, and software does
 * where it does not. No frame leaves with a checksum known to be wrong.
 */
#ifndef NATGW_ETHDEV_H
#define NATGW_ETHDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <rte_ether.h>

struct rte_mbuf;
struct rte_mempool;

/** A port as natgw uses it. */
struct natgw_port {
	uint16_t id;                     /**< DPDK port id */
	char name[64];                   /**< device name */
	char driver[32];                 /**< PMD name */
	struct rte_ether_addr mac;       /**< the port's address: frames leave from it */
	struct rte_ether_addr dst_mac;   /**< next hop (--eth-dest) */
	bool has_dst_mac;                /**< else frames keep their destination */
	uint16_t nb_rxq, nb_txq;         /**< queues configured */
	bool rss;                        /**< RSS spreads the rx queues */
	uint64_t tx_offloads;            /**< checksum offloads enabled */
	uint32_t link_speed;             /**< Mb/s at start, 0 if unknown */
	/** Set before natgw_port_start() to program RSS (predictable RSS): the
	 * Toeplitz key (rss_key_len bytes) and the RETA (reta_size entries). */
	const uint8_t *rss_key;
	uint8_t rss_key_len;
	const uint16_t *reta;
	uint16_t reta_size;
	bool reta_set;                   /**< the RETA was programmed */
};

/**
 * What RSS the port can do: its RETA size and key length (0 when it cannot
 * spread its rx queues by a Toeplitz hash of the 4-tuple).
 */
void natgw_port_rss_caps(uint16_t id, uint16_t *reta_size, uint8_t *key_len);

/**
 * Resolve a port given as an id ("0") or a device name ("net_tap0", a PCI
 * address). @return 0, or -1 with a one-line @p err.
 */
int natgw_port_lookup(const char *spec, uint16_t *id, char *err, size_t errlen);

/**
 * Parse an option's "PORT,MAC" (a next hop: --eth-dest): the port as
 * natgw_port_lookup() takes it, the MAC as six hex bytes with colons.
 * @return 0, or -1 with a one-line @p err naming @p opt.
 */
int natgw_port_mac_arg(const char *opt, const char *arg, uint16_t *id,
		struct rte_ether_addr *mac, char *err, size_t errlen);

/**
 * Configure and start @p p->id with @p nb_rxq rx and @p nb_txq tx queues of
 * @p nb_desc descriptors each, buffers from @p mp. RSS over the rx queues when
 * there are several; checksum offloads enabled where the port has them.
 * Promiscuous mode on (a gateway port takes frames for the hosts behind it).
 * @return 0, or -1 with a one-line @p err naming the port and the problem.
 */
int natgw_port_start(struct natgw_port *p, uint16_t nb_rxq, uint16_t nb_txq, uint16_t nb_desc,
		struct rte_mempool *mp, char *err, size_t errlen);

/** Stop and close the port (idempotent). */
void natgw_port_stop(struct natgw_port *p);

/**
 * Make translated frames ready to leave through @p p: the source MAC becomes
 * the port's, the destination the next hop's if one was given, and a transport
 * checksum the receiving port left undone is completed (see above).
 */
void natgw_port_tx_prepare(const struct natgw_port *p, struct rte_mbuf **pkts, uint16_t n);

/**
 * Prepare (natgw_port_tx_prepare()) and send @p n frames on tx queue @p txq,
 * with a few more tries when the port takes none (a tap's socket, a full
 * ring). @return frames taken; the caller frees the rest.
 */
uint16_t natgw_port_tx_burst(const struct natgw_port *p, uint16_t txq, struct rte_mbuf **pkts,
		uint16_t n);

#endif /* NATGW_ETHDEV_H */
