/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lab's traffic generator: frames built on the fly from the flow's index
 * (no per-flow template: a million flows cost only their learned endpoints),
 * paced by the TSC, checked on their way back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_udp.h>

#include "natgw_gen.h"

/* A frame's tag, after the UDP header: 18 bytes, so that a 64-byte frame
 * (60 without its FCS) holds it. Unaligned: read and written with memcpy. */
#define TAG_OFF 42
#define TAG_MAGIC 0x4c57474eu /* "NGWL" */
#define TAG_LEN 18
#define MIN_FRAME 60
#define CYCLE 64 /* frame lengths are taken from a 64-entry cycle of the mix */
#define SRC_PORTS 64512u /* 1024-65535 */

struct pub {
	uint32_t ip;
	uint16_t port;
	uint8_t known;
};

struct natgw_gen {
	struct natgw_gen_conf c;
	struct natgw_gen_dest dests[NATGW_GEN_MAX_DESTS];
	struct rte_ether_addr src_mac[NATGW_GEN_DIRS];
	uint16_t cyc[NATGW_GEN_DIRS][CYCLE];
	struct pub *pub;      /* learned public endpoints, max_flows */
	uint16_t run_id;
	uint16_t ip_id;
	double ns_per_tsc;
	uint64_t hz;
};

double
natgw_gen_mix_mean(const struct natgw_gen_mix *m)
{
	double sum = 0, w = 0;
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		sum += (double)m->len[i] * m->weight[i];
		w += m->weight[i];
	}
	return w > 0 ? sum / w : 0;
}

int
natgw_gen_mix_parse(struct natgw_gen_mix *m, const char *s, char *err, size_t errlen)
{
	const char *p = s;

	memset(m, 0, sizeof(*m));
	if (strcmp(s, "imix") == 0)
		p = "64:7,570:4,1518:1";
	while (*p) {
		char *end;
		unsigned long len, w = 1;

		errno = 0;
		len = strtoul(p, &end, 10);
		if (end == p || errno) {
			snprintf(err, errlen, "frame sizes '%s': '%s' is not a number", s, p);
			return -1;
		}
		if (*end == ':') {
			p = end + 1;
			w = strtoul(p, &end, 10);
			if (end == p || w == 0 || w > 1000) {
				snprintf(err, errlen, "frame sizes '%s': a weight is 1 to 1000", s);
				return -1;
			}
		}
		/* RFC 2544 frame sizes count the FCS: 64 is the least. */
		if (len < MIN_FRAME + 4 || len > 9018) {
			snprintf(err, errlen, "frame sizes '%s': %lu is not a frame size (64 to "
				"9018 bytes, FCS included)", s, len);
			return -1;
		}
		if (m->n == NATGW_GEN_MAX_SIZES) {
			snprintf(err, errlen, "frame sizes '%s': more than %d sizes", s,
				NATGW_GEN_MAX_SIZES);
			return -1;
		}
		m->len[m->n] = (uint16_t)(len - 4);
		m->weight[m->n++] = (uint16_t)w;
		if (*end != ',' && *end != 0) {
			snprintf(err, errlen, "frame sizes '%s': expected ',' after %lu", s, len);
			return -1;
		}
		p = *end ? end + 1 : end;
	}
	if (m->n == 0) {
		snprintf(err, errlen, "frame sizes: none given");
		return -1;
	}
	return 0;
}

/* Spread the mix over a cycle, largest remainder first, interleaved so that a
 * burst holds a fair sample of it (not 7 small frames then 4 medium...). */
static void
make_cycle(uint16_t *cyc, const struct natgw_gen_mix *m)
{
	double wsum = 0, credit[NATGW_GEN_MAX_SIZES] = {0};
	unsigned int i, k;

	for (i = 0; i < m->n; i++)
		wsum += m->weight[i];
	for (k = 0; k < CYCLE; k++) {
		unsigned int best = 0;

		for (i = 0; i < m->n; i++) {
			credit[i] += m->weight[i] / wsum;
			if (credit[i] > credit[best])
				best = i;
		}
		credit[best] -= 1;
		cyc[k] = m->len[best];
	}
}

struct natgw_gen *
natgw_gen_create(const struct natgw_gen_conf *c, char *err, size_t errlen)
{
	struct natgw_gen *g;
	uint16_t room;
	unsigned int d, i;

	if (c->n_dests == 0 || c->n_dests > NATGW_GEN_MAX_DESTS || c->hosts == 0) {
		snprintf(err, errlen, "generator: 1 to %d destinations and at least one host",
			NATGW_GEN_MAX_DESTS);
		return NULL;
	}
	room = (uint16_t)(rte_pktmbuf_data_room_size(c->mp) - RTE_PKTMBUF_HEADROOM);
	for (d = 0; d < NATGW_GEN_DIRS; d++)
		for (i = 0; i < c->mix[d].n; i++)
			if (c->mix[d].len[i] > room) {
				snprintf(err, errlen, "frame size %u does not fit a %u-byte buffer "
					"(raise --mbuf-size)", c->mix[d].len[i] + 4u, room);
				return NULL;
			}
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		snprintf(err, errlen, "generator: out of memory");
		return NULL;
	}
	g->c = *c;
	if (g->c.burst == 0)
		g->c.burst = 32;
	memcpy(g->dests, c->dests, c->n_dests * sizeof(*c->dests));
	g->c.dests = g->dests;
	g->pub = calloc(c->max_flows ? c->max_flows : 1, sizeof(*g->pub));
	if (g->pub == NULL) {
		free(g);
		snprintf(err, errlen, "generator: no memory for %u flows", c->max_flows);
		return NULL;
	}
	for (d = 0; d < NATGW_GEN_DIRS; d++) {
		make_cycle(g->cyc[d], &c->mix[d]);
		rte_eth_macaddr_get(c->port[d], &g->src_mac[d]);
	}
	g->hz = rte_get_tsc_hz();
	g->ns_per_tsc = 1e9 / (double)g->hz;
	return g;
}

void
natgw_gen_free(struct natgw_gen *g)
{
	if (g == NULL)
		return;
	free(g->pub);
	free(g);
}

uint64_t
natgw_gen_established(const struct natgw_gen *g, uint64_t n)
{
	uint64_t i, k = 0;

	for (i = 0; i < n && i < g->c.max_flows; i++)
		k += g->pub[i].known;
	return k;
}

void
natgw_gen_forget(struct natgw_gen *g)
{
	memset(g->pub, 0, (g->c.max_flows ? g->c.max_flows : 1) * sizeof(*g->pub));
}

/* Flow i's inside end and destination (network order). Unique for
 * i < hosts * 64512: host first, so that consecutive flows spread over hosts. */
static void
flow_of(const struct natgw_gen *g, uint64_t i, uint32_t *in_ip, uint16_t *in_port,
		const struct natgw_gen_dest **dst)
{
	uint64_t h = i % g->c.hosts, p = (i / g->c.hosts) % SRC_PORTS;

	*in_ip = rte_cpu_to_be_32(rte_be_to_cpu_32(g->c.inside_net) + (uint32_t)h);
	*in_port = rte_cpu_to_be_16((uint16_t)(1024 + p));
	*dst = &g->dests[i % g->c.n_dests];
}

/* Write a frame of direction @p d for flow @p f into @p m. @return false if
 * the flow has no endpoint to send to (inbound, not established). */
static bool
build(struct natgw_gen *g, struct rte_mbuf *m, enum natgw_gen_dir d, uint64_t f,
		uint16_t len, uint64_t tsc)
{
	uint8_t *fr = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)fr;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(fr + 14);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(fr + 34);
	const struct natgw_gen_dest *dst;
	uint32_t in_ip, magic = TAG_MAGIC, flow = (uint32_t)f;
	uint16_t in_port;

	flow_of(g, f, &in_ip, &in_port, &dst);
	if (d == NATGW_GEN_IN) {
		if (f >= g->c.max_flows || !g->pub[f].known)
			return false;
		ip->src_addr = dst->ip;
		ip->dst_addr = g->pub[f].ip;
		udp->src_port = dst->port;
		udp->dst_port = g->pub[f].port;
	} else {
		ip->src_addr = in_ip;
		ip->dst_addr = dst->ip;
		udp->src_port = in_port;
		udp->dst_port = dst->port;
	}
	rte_ether_addr_copy(&g->c.dst_mac[d], &eth->dst_addr);
	rte_ether_addr_copy(&g->src_mac[d], &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - 14));
	ip->packet_id = rte_cpu_to_be_16(g->ip_id++);
	ip->fragment_offset = 0;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - 34));
	/* No UDP checksum (0, allowed over IPv4): the tag's timestamp changes
	 * every frame, and summing 1500 bytes a frame would make the
	 * generator, not the device, the bottleneck. */
	udp->dgram_cksum = 0;
	memcpy(fr + TAG_OFF, &magic, 4);
	memcpy(fr + TAG_OFF + 4, &g->run_id, 2);
	memcpy(fr + TAG_OFF + 6, &flow, 4);
	memcpy(fr + TAG_OFF + 10, &tsc, 8);
	m->data_len = len;
	m->pkt_len = len;
	m->nb_segs = 1;
	m->ol_flags = 0;
	return true;
}

/* A frame back on the port of direction @p arrived_on (the port it came in
 * on): which direction it travelled, checked. */
static void
receive(struct natgw_gen *g, const struct natgw_gen_run *run, struct natgw_gen_result *r,
		struct rte_mbuf *m, enum natgw_gen_dir d, uint64_t now)
{
	const uint8_t *fr = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(fr + 14);
	const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(fr + 34);
	const struct natgw_gen_dest *dst;
	uint32_t magic, flow, in_ip;
	uint16_t run_id, in_port;
	uint64_t tsc;
	bool ok;

	if (m->data_len < MIN_FRAME || m->nb_segs != 1 ||
			fr[12] != 0x08 || fr[13] != 0x00 || ip->version_ihl != RTE_IPV4_VHL_DEF ||
			ip->next_proto_id != IPPROTO_UDP) {
		r->foreign++;
		return;
	}
	memcpy(&magic, fr + TAG_OFF, 4);
	memcpy(&run_id, fr + TAG_OFF + 4, 2);
	memcpy(&flow, fr + TAG_OFF + 6, 4);
	memcpy(&tsc, fr + TAG_OFF + 10, 8);
	if (magic != TAG_MAGIC) {
		r->foreign++;
		return;
	}
	if (run_id != g->run_id) {
		r->stale++;
		return;
	}
	flow_of(g, flow, &in_ip, &in_port, &dst);
	if (d == NATGW_GEN_OUT) {
		/* At the destinations: from the flow's public endpoint, to its
		 * destination. */
		ok = ip->dst_addr == dst->ip && udp->dst_port == dst->port &&
			(!g->c.expect_nat || ip->src_addr != in_ip);
		if (ok && flow < g->c.max_flows) {
			struct pub *p = &g->pub[flow];

			/* Establishing learns (again: a session that
			 * expired comes back with a new endpoint);
			 * afterwards a change is counted. */
			if (!p->known || run->mode == NATGW_GEN_ESTABLISH) {
				p->ip = ip->src_addr;
				p->port = udp->src_port;
				p->known = 1;
			} else if (p->ip != ip->src_addr || p->port != udp->src_port) {
				r->remapped++;
			}
		}
	} else {
		/* Back at the host: to its own address and port, from the
		 * destination. */
		ok = ip->dst_addr == in_ip && udp->dst_port == in_port &&
			ip->src_addr == dst->ip && udp->src_port == dst->port;
	}
	if (!ok) {
		r->mistranslated[d]++;
		return;
	}
	r->received[d]++;
	r->recv_bytes[d] += m->data_len;
	if (run->lat[d] && now > tsc)
		natgw_hist_record(run->lat[d], (uint64_t)((double)(now - tsc) * g->ns_per_tsc));
}

/* Poll both ports once. @return frames taken. */
static unsigned int
poll_rx(struct natgw_gen *g, const struct natgw_gen_run *run, struct natgw_gen_result *r)
{
	struct rte_mbuf *m[64];
	unsigned int total = 0, d;
	uint16_t n, i;

	for (d = 0; d < NATGW_GEN_DIRS; d++) {
		/* A frame that went out arrives on the outside-facing port. */
		uint16_t port = g->c.port[d == NATGW_GEN_OUT ? NATGW_GEN_IN : NATGW_GEN_OUT];
		uint64_t now;

		n = rte_eth_rx_burst(port, g->c.rxq, m, RTE_MIN(g->c.burst, 64));
		if (n == 0)
			continue;
		now = rte_rdtsc();
		for (i = 0; i < n; i++)
			receive(g, run, r, m[i], (enum natgw_gen_dir)d, now);
		rte_pktmbuf_free_bulk(m, n);
		total += n;
	}
	return total;
}

/* Send up to @p want frames of direction @p d; @p next is the flow cursor.
 * @return frames built (the port may have refused some: tx_full). */
static uint16_t
send_dir(struct natgw_gen *g, const struct natgw_gen_run *run, struct natgw_gen_result *r,
		enum natgw_gen_dir d, uint16_t want, uint64_t *next)
{
	struct rte_mbuf *m[64];
	uint64_t tsc = rte_rdtsc();
	uint16_t n = 0, sent, i;
	unsigned int k = 0;

	want = RTE_MIN(want, 64);
	if (rte_pktmbuf_alloc_bulk(g->c.mp, m, want) != 0)
		return 0;
	while (n < want && k < 2u * want) {
		uint64_t f;

		k++;
		if (run->mode == NATGW_GEN_BIDIR) {
			f = *next;
			*next = *next + 1 == run->n_flows ? 0 : *next + 1;
		} else {
			f = run->first + *next;
			++*next;
		}
		if (!build(g, m[n], d, f, g->cyc[d][(r->sent[d] + n) % CYCLE], tsc)) {
			/* Inbound to a flow that never got an endpoint (its
			 * session was not made): offered and lost, without a
			 * frame. */
			r->sent[d]++;
			if (run->mode != NATGW_GEN_BIDIR && *next >= run->count)
				break;
			continue;
		}
		n++;
		if (run->mode != NATGW_GEN_BIDIR && *next >= run->count)
			break;
	}
	sent = n ? rte_eth_tx_burst(g->c.port[d], g->c.txq, m, n) : 0;
	for (i = 0; i < (g->c.full_is_loss ? n : sent); i++)
		r->sent_bytes[d] += m[i]->data_len;
	r->sent[d] += g->c.full_is_loss ? n : sent;
	r->tx_full[d] += (uint64_t)(n - sent);
	if (sent < want)
		rte_pktmbuf_free_bulk(m + sent, want - sent);
	return n;
}

int
natgw_gen_run(struct natgw_gen *g, const struct natgw_gen_run *run, struct natgw_gen_result *r,
		char *err, size_t errlen)
{
	enum natgw_gen_dir only = run->mode == NATGW_GEN_VALIDATE ? NATGW_GEN_IN : NATGW_GEN_OUT;
	double share[NATGW_GEN_DIRS], per_tsc[NATGW_GEN_DIRS];
	uint64_t t0, t_end, t_last, now, next[NATGW_GEN_DIRS] = {0, 0};
	uint64_t drain = run->drain_ns ? run->drain_ns : 50000000ull, last_tick, last_rx;
	uint64_t total_ns;
	bool sending = true;
	unsigned int d;

	memset(r, 0, sizeof(*r));
	if (!(run->rate > 0)) {
		snprintf(err, errlen, "generator: a rate above 0 is needed");
		return -1;
	}
	if (run->mode == NATGW_GEN_BIDIR && (run->n_flows == 0 || run->duration_ns == 0)) {
		snprintf(err, errlen, "generator: flows and a duration are needed");
		return -1;
	}
	if (run->mode != NATGW_GEN_BIDIR && run->count == 0) {
		snprintf(err, errlen, "generator: no flows to send to");
		return -1;
	}
	g->run_id++;
	if (run->mode == NATGW_GEN_BIDIR) {
		share[NATGW_GEN_OUT] = g->c.out_share;
		share[NATGW_GEN_IN] = 1 - g->c.out_share;
		/* Each direction starts at its own place in the flows, so that
		 * both cover them all whatever the share. */
		next[NATGW_GEN_IN] = run->n_flows / 2;
	} else {
		share[only] = 1;
		share[!only] = 0;
	}
	for (d = 0; d < NATGW_GEN_DIRS; d++)
		per_tsc[d] = run->rate * share[d] / (double)g->hz;
	r->offered_pps = run->rate;
	total_ns = run->mode == NATGW_GEN_BIDIR ? run->duration_ns :
		(uint64_t)((double)run->count / run->rate * 1e9);
	t0 = rte_rdtsc();
	t_end = run->mode == NATGW_GEN_BIDIR ? t0 + (uint64_t)((double)run->duration_ns /
		g->ns_per_tsc) : UINT64_MAX;
	t_last = last_tick = last_rx = t0;
	while (sending) {
		now = rte_rdtsc();
		if (now >= t_end || (run->stop && *run->stop))
			break;
		for (d = 0; d < NATGW_GEN_DIRS; d++) {
			uint64_t target, done = r->sent[d] +
				(g->c.full_is_loss ? 0 : r->tx_full[d]);

			if (share[d] == 0)
				continue;
			if (run->mode != NATGW_GEN_BIDIR && next[d] >= run->count) {
				sending = false;
				continue;
			}
			target = (uint64_t)((double)(now - t0) * per_tsc[d]) + 1;
			if (target > done) {
				uint64_t due = target - done;

				/* Behind (the lcore was busy): catch up a
				 * burst at a time; a generator that cannot keep
				 * up shows it in the achieved rate. */
				send_dir(g, run, r, (enum natgw_gen_dir)d,
					(uint16_t)RTE_MIN(due, g->c.burst), &next[d]);
				t_last = rte_rdtsc();
			}
		}
		if (poll_rx(g, run, r))
			last_rx = rte_rdtsc();
		if (run->tick && now - last_tick > g->hz / 10) {
			run->tick(run->tick_arg, (uint64_t)((double)(now - t0) * g->ns_per_tsc),
				total_ns);
			last_tick = now;
		}
	}
	r->duration_ns = (uint64_t)((double)(t_last - t0) * g->ns_per_tsc);
	/* Drain: what is still on its way; longer while it keeps coming. */
	for (;;) {
		now = rte_rdtsc();
		if (poll_rx(g, run, r))
			last_rx = now;
		if ((double)(now - last_rx) * g->ns_per_tsc > (double)drain / 4 &&
				(double)(now - t_last) * g->ns_per_tsc > (double)drain)
			break;
		if ((double)(now - t_last) * g->ns_per_tsc > 4.0 * (double)drain)
			break;
	}
	r->achieved_pps = r->duration_ns ?
		(double)(r->sent[0] + r->sent[1]) / ((double)r->duration_ns / 1e9) : 0;
	return 0;
}
