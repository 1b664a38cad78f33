/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK ports: lookup, configuration with checked capabilities, tx preparation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "natgw_ethdev.h"
#include "natgw_pkt.h"

int
natgw_port_lookup(const char *spec, uint16_t *id, char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "empty port");
		return -1;
	}
	v = strtoul(spec, &end, 10);
	if (*end == '\0') {
		if (v >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)v)) {
			snprintf(err, errlen, "port %s does not exist (%u ports: give them with "
				"-a or --vdev)", spec, rte_eth_dev_count_avail());
			return -1;
		}
		*id = (uint16_t)v;
		return 0;
	}
	if (rte_eth_dev_get_port_by_name(spec, id) != 0) {
		snprintf(err, errlen, "no port named '%s' (give it with -a or --vdev)", spec);
		return -1;
	}
	return 0;
}

#define TX_CSUM (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM | \
		RTE_ETH_TX_OFFLOAD_UDP_CKSUM)

int
natgw_port_start(struct natgw_port *p, uint16_t nb_rxq, uint16_t nb_txq, uint16_t nb_desc,
		struct rte_mempool *mp, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	uint16_t rxd = nb_desc, txd = nb_desc, q;
	int rc, sock = rte_eth_dev_socket_id(p->id);

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(p->id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: no device info: %s", p->id, rte_strerror(-rc));
		return -1;
	}
	rte_eth_dev_get_name_by_port(p->id, p->name);
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	if (nb_rxq > info.max_rx_queues || nb_txq > info.max_tx_queues) {
		snprintf(err, errlen, "port %u (%s): %u rx and %u tx queues asked, the device "
			"has at most %u and %u", p->id, p->name, nb_rxq, nb_txq,
			info.max_rx_queues, info.max_tx_queues);
		return -1;
	}
	p->rss = false;
	if (nb_rxq > 1) {
		uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;

		/* Without RSS the device decides by itself which queue gets what
		 * (net_ring: the sender's choice); the workers hand packets to
		 * their owner either way. */
		if (hf) {
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_hf = hf;
			if (p->rss_key) {
				conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)(uintptr_t)p->rss_key;
				conf.rx_adv_conf.rss_conf.rss_key_len = p->rss_key_len;
			}
			p->rss = true;
		}
	}
	/* Receive checksum checks are not asked for: the NAT carries transport
	 * checksums through as they came and checks the IPv4 header itself, and
	 * on software ports (net_tap) the check would cost a sum per packet.
	 * Transmit offloads are enabled where present, to complete what a port
	 * delivered undone. */
	p->tx_offloads = info.tx_offload_capa & TX_CSUM;
	conf.txmode.offloads = p->tx_offloads;
	rc = rte_eth_dev_configure(p->id, nb_rxq, nb_txq, &conf);
	if (rc != 0) {
		snprintf(err, errlen, "port %u (%s): cannot configure: %s", p->id, p->name,
			rte_strerror(-rc));
		return -1;
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &rxd, &txd);
	if (rc != 0) {
		snprintf(err, errlen, "port %u (%s): descriptors: %s", p->id, p->name,
			rte_strerror(-rc));
		return -1;
	}
	for (q = 0; q < nb_rxq; q++) {
		struct rte_eth_rxconf rxc = info.default_rxconf;

		rxc.offloads = conf.rxmode.offloads;
		rc = rte_eth_rx_queue_setup(p->id, q, rxd, sock, &rxc, mp);
		if (rc != 0) {
			snprintf(err, errlen, "port %u (%s): rx queue %u: %s (more --mbufs?)",
				p->id, p->name, q, rte_strerror(-rc));
			return -1;
		}
	}
	for (q = 0; q < nb_txq; q++) {
		struct rte_eth_txconf txc = info.default_txconf;

		txc.offloads = conf.txmode.offloads;
		rc = rte_eth_tx_queue_setup(p->id, q, txd, sock, &txc);
		if (rc != 0) {
			snprintf(err, errlen, "port %u (%s): tx queue %u: %s", p->id, p->name, q,
				rte_strerror(-rc));
			return -1;
		}
	}
	rc = rte_eth_macaddr_get(p->id, &p->mac);
	if (rc != 0)
		memset(&p->mac, 0, sizeof(p->mac));
	rc = rte_eth_dev_start(p->id);
	if (rc != 0) {
		snprintf(err, errlen, "port %u (%s): cannot start: %s", p->id, p->name,
			rte_strerror(-rc));
		return -1;
	}
	p->reta_set = false;
	if (p->rss && p->reta && p->reta_size) {
		struct rte_eth_rss_reta_entry64 r[RTE_ETH_RSS_RETA_SIZE_512 /
			RTE_ETH_RETA_GROUP_SIZE];
		uint16_t i;

		memset(r, 0, sizeof(r));
		for (i = 0; i < p->reta_size && i < RTE_ETH_RSS_RETA_SIZE_512; i++) {
			r[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
			r[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = p->reta[i];
		}
		/* Without the table the hash still spreads the queues, just
		 * not where the ports were chosen for: handoff covers it. */
		p->reta_set = rte_eth_dev_rss_reta_update(p->id, r, p->reta_size) == 0;
	}
	/* Not every vdev has the notion (net_null, net_ring): not an error. */
	rte_eth_promiscuous_enable(p->id);
	p->nb_rxq = nb_rxq;
	p->nb_txq = nb_txq;
	memset(&link, 0, sizeof(link));
	p->link_speed = rte_eth_link_get_nowait(p->id, &link) == 0 &&
		link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN ? link.link_speed : 0;
	return 0;
}

void
natgw_port_rss_caps(uint16_t id, uint16_t *reta_size, uint8_t *key_len)
{
	struct rte_eth_dev_info info;

	*reta_size = 0;
	*key_len = 0;
	if (rte_eth_dev_info_get(id, &info) != 0 ||
			!(info.flow_type_rss_offloads & (RTE_ETH_RSS_NONFRAG_IPV4_TCP |
				RTE_ETH_RSS_NONFRAG_IPV4_UDP)) ||
			info.reta_size == 0 || info.reta_size > RTE_ETH_RSS_RETA_SIZE_512 ||
			(info.reta_size & (info.reta_size - 1)) != 0)
		return;
	*reta_size = info.reta_size;
	*key_len = info.hash_key_size;
}

void
natgw_port_stop(struct natgw_port *p)
{
	if (!rte_eth_dev_is_valid_port(p->id))
		return;
	rte_eth_dev_stop(p->id);
	rte_eth_dev_close(p->id);
}

/* Complete the transport checksum of a frame whose receiving port left it
 * undone: by the outgoing port's offload, or in software. */
static void
complete_csum(const struct natgw_port *p, struct rte_mbuf *m)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	struct natgw_pkt_info pi;
	struct rte_ipv4_hdr *ip;
	uint64_t need;
	uint8_t proto;

	if (natgw_pkt_parse(frame, rte_pktmbuf_data_len(m), &pi) != NATGW_DROP_NONE ||
			(pi.flags & NATGW_PKT_F_FRAG))
		return;
	ip = (struct rte_ipv4_hdr *)(frame + pi.l3_off);
	proto = ip->next_proto_id;
	need = proto == IPPROTO_TCP ? RTE_ETH_TX_OFFLOAD_TCP_CKSUM :
		proto == IPPROTO_UDP ? RTE_ETH_TX_OFFLOAD_UDP_CKSUM : 0;
	if (need && (p->tx_offloads & need)) {
		m->l2_len = pi.l3_off;
		m->l3_len = (uint64_t)(pi.l4_off - pi.l3_off);
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 |
			(proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
		/* The device sums from the pseudo-header's sum. */
		*(uint16_t *)(frame + pi.l4_off + natgw_l4_csum_off(proto)) =
			rte_ipv4_phdr_cksum(ip, m->ol_flags);
		return;
	}
	natgw_pkt_csum_fill(frame, rte_pktmbuf_data_len(m));
}

void
natgw_port_tx_prepare(const struct natgw_port *p, struct rte_mbuf **pkts, uint16_t n)
{
	uint8_t l2[12];
	uint64_t w0;
	uint32_t w1;
	uint16_t i;

	/* The 12 bytes of addresses as two stores, the same for every frame. */
	memcpy(l2, &p->dst_mac, 6);
	memcpy(l2 + 6, &p->mac, 6);
	memcpy(&w0, l2, 8);
	memcpy(&w1, l2 + 8, 4);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);

		if (p->has_dst_mac)
			memcpy(frame, &w0, 8);
		else
			memcpy(frame + 6, l2 + 6, 2);
		memcpy(frame + 8, &w1, 4);
		if (unlikely((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
				RTE_MBUF_F_RX_L4_CKSUM_NONE))
			complete_csum(p, m);
	}
}

uint16_t
natgw_port_tx_burst(const struct natgw_port *p, uint16_t txq, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent = 0, k, tries = 0;

	natgw_port_tx_prepare(p, pkts, n);
	/* A port busy for a moment (a tap's socket, a full ring) gets a few more
	 * tries before what it would not take counts as tx drops. */
	do {
		k = rte_eth_tx_burst(p->id, txq, pkts + sent, (uint16_t)(n - sent));
		sent = (uint16_t)(sent + k);
	} while (sent < n && k == 0 && ++tries < 4);
	return sent;
}

static int
parse_mac(const char *s, struct rte_ether_addr *mac)
{
	unsigned int b[6], i;
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
			&tail) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		mac->addr_bytes[i] = (uint8_t)b[i];
	}
	return 0;
}

int
natgw_port_mac_arg(const char *opt, const char *arg, uint16_t *id, struct rte_ether_addr *mac,
		char *err, size_t errlen)
{
	const char *comma = strchr(arg, ',');
	char pn[64];

	if (comma == NULL || (size_t)(comma - arg) >= sizeof(pn)) {
		snprintf(err, errlen, "%s: '%s' is not PORT,MAC", opt, arg);
		return -1;
	}
	memcpy(pn, arg, (size_t)(comma - arg));
	pn[comma - arg] = '\0';
	if (natgw_port_lookup(pn, id, err, errlen) < 0)
		return -1;
	if (parse_mac(comma + 1, mac) < 0) {
		snprintf(err, errlen, "%s: '%s' is not a MAC address", opt, comma + 1);
		return -1;
	}
	return 0;
}
