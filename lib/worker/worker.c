/* SPDX-License-Identifier: BSD-3-Clause */
/* A worker: classification to the owning worker, handoff, translation, tx. */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "natgw_worker.h"
#include "worker_private.h"

/* Outside non-first fragments carry no port: the owner of their first fragment
 * is remembered here, in a small direct-mapped cache of the receiving worker.
 * All fragments of a datagram arrive on the same queue (NICs hash fragments
 * by addresses only), so the receiving worker is the one that saw the first. */
#define FRAG_STEER_SIZE 4096

struct frag_steer {
	uint32_t src, dst;
	uint16_t id;
	uint8_t proto;
	uint8_t owner; /* + 1; 0: empty */
};

struct natgw_worker {
	struct natgw_worker_stats st; /* first: its own cache lines */
	struct natgw_nat *nat;
	unsigned int id, n;
	unsigned int expire_budget;
	uint32_t in_seed;
	struct rte_ring *to[NATGW_MAX_WORKERS][NATGW_SIDES];
	struct rte_ring *from[NATGW_MAX_WORKERS][NATGW_SIDES];
	uint8_t *port_owner;          /* public port -> worker, n > 1 */
	struct frag_steer *steer;     /* n > 1 */
	struct natgw_worker_cls cls;  /* destinations (conf.classify) */
	const struct natgw_nat_conf *gw_all; /* gateway mode: every gateway */
};

struct natgw_worker_cls *
worker_cls(struct natgw_worker *w)
{
	return w->cls.ready ? &w->cls : NULL;
}

const struct natgw_worker_cls *
worker_cls_const(const struct natgw_worker *w)
{
	return w->cls.ready ? &w->cls : NULL;
}

struct natgw_worker *
natgw_worker_create(const struct natgw_worker_conf *c, char *err, size_t errlen)
{
	struct natgw_nat_conf ncc = c->nat;
	const struct natgw_nat_conf *nc = &ncc;
	struct natgw_worker *w;
	uint32_t base, span, p, o;
	/* Gateway mode: the workers are the gateways, each engine on its own. */
	unsigned int id = c->n_gw ? c->gw_id : nc->worker_id;
	unsigned int n = c->n_gw ? c->n_gw : nc->n_workers;

	if (n < 1 || n > NATGW_MAX_WORKERS || id >= n) {
		snprintf(err, errlen, "need 1 to %d workers, got worker %u of %u",
			NATGW_MAX_WORKERS, id, n);
		return NULL;
	}
	if (c->n_gw && (c->gw_all == NULL || nc->n_workers != 1)) {
		snprintf(err, errlen, "gateway %u: need every gateway's configuration, and an "
			"engine of its own", id);
		return NULL;
	}
	for (p = 0; p < n && n > 1; p++)
		if (p != id && (!c->to[p][0] || !c->to[p][1] || !c->from[p][0] ||
				!c->from[p][1])) {
			snprintf(err, errlen, "worker %u: no handoff ring with worker %u", id, p);
			return NULL;
		}
	w = rte_zmalloc_socket("natgw_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, nc->socket_id);
	if (w == NULL) {
		snprintf(err, errlen, "cannot allocate worker %u", nc->worker_id);
		return NULL;
	}
	w->id = id;
	w->n = n;
	w->gw_all = c->n_gw ? c->gw_all : NULL;
	w->expire_budget = c->expire_budget ? c->expire_budget : 256;
	w->in_seed = 0x77726b72u; /* the same on every worker: they must agree */
	memcpy(w->to, c->to, sizeof(w->to));
	memcpy(w->from, c->from, sizeof(w->from));
	if (c->classify) {
		if (worker_cls_init(w, &w->cls, c, err, errlen) < 0)
			goto fail;
		worker_cls_hooks(&w->cls, &ncc.classifier);
	}
	w->nat = natgw_nat_create(c->name, nc, err, errlen);
	if (w->nat == NULL)
		goto fail;
	if (w->n > 1 && w->gw_all == NULL) {
		w->port_owner = rte_zmalloc_socket("natgw_port_owner", 65536, 0, nc->socket_id);
		w->steer = rte_zmalloc_socket("natgw_frag_steer",
				sizeof(*w->steer) * FRAG_STEER_SIZE, RTE_CACHE_LINE_SIZE,
				nc->socket_id);
		if (!w->port_owner || !w->steer) {
			snprintf(err, errlen, "cannot allocate worker %u's tables", w->id);
			goto fail;
		}
		/* The engines' slices; ports past the last slice belong to no
		 * one and are left to worker 0 (zeroed), whose engine drops them. */
		for (o = 0; o < w->n; o++) {
			natgw_nat_port_slice(nc, o, &base, &span);
			for (p = base; p < base + span; p++)
				w->port_owner[p] = (uint8_t)o;
		}
	}
	return w;
fail:
	natgw_worker_free(w);
	return NULL;
}

void
natgw_worker_free(struct natgw_worker *w)
{
	if (w == NULL)
		return;
	natgw_nat_free(w->nat);
	worker_cls_free(&w->cls);
	rte_free(w->port_owner);
	rte_free(w->steer);
	rte_free(w);
}

struct natgw_nat *
natgw_worker_nat(struct natgw_worker *w)
{
	return w->nat;
}

const struct natgw_worker_stats *
natgw_worker_stats(const struct natgw_worker *w)
{
	return &w->st;
}

unsigned int
natgw_worker_id(const struct natgw_worker *w)
{
	return w->id;
}

void
natgw_worker_count_loop(struct natgw_worker *w, bool busy)
{
	w->st.loops++;
	w->st.busy_loops += busy;
}

static inline unsigned int
scale(uint32_t h, unsigned int n)
{
	return (unsigned int)(((uint64_t)h * n) >> 32);
}

static struct frag_steer *
steer_slot(const struct natgw_worker *w, const struct natgw_pkt_info *pi)
{
	uint32_t h = rte_hash_crc_4byte(pi->key.src_ip, pi->key.dst_ip ^ pi->ip_id);

	return &w->steer[h & (FRAG_STEER_SIZE - 1)];
}

/* Gateway mode: the gateway of the inside host (an ICMP error's key is the
 * mirrored quote: its source is the inside host either way), or of the public
 * address (the key's destination: the packet's, a fragment's, and for an ICMP
 * error the quote's source). Anything no gateway owns stays here. */
static unsigned int
gateway_of(const struct natgw_worker *w, enum natgw_side side, const struct natgw_pkt_info *pi)
{
	unsigned int g, i;

	for (g = 0; g < w->n; g++) {
		const struct natgw_nat_conf *gc = &w->gw_all[g];

		if (side == NATGW_SIDE_INSIDE) {
			if (natgw_nat_is_inside(gc, pi->key.src_ip))
				return g;
			continue;
		}
		for (i = 0; i < gc->n_public; i++)
			if (gc->public_ip[i] == pi->key.dst_ip)
				return g;
	}
	return w->id;
}

unsigned int
natgw_worker_owner(const struct natgw_worker *w, enum natgw_side side, const uint8_t *frame,
		uint16_t len)
{
	struct natgw_pkt_info pi;
	struct frag_steer *fs;
	unsigned int o;
	uint16_t port;

	if (natgw_pkt_parse(frame, len, &pi) != NATGW_DROP_NONE)
		return w->id;
	if (w->gw_all)
		return gateway_of(w, side, &pi);
	if (side == NATGW_SIDE_INSIDE) {
		/* An ICMP error's key is the mirrored quote: its source is the
		 * inside host either way. */
		return scale(rte_hash_crc_4byte(pi.key.src_ip, w->in_seed), w->n);
	}
	if ((pi.flags & (NATGW_PKT_F_FRAG | NATGW_PKT_F_FRAG_FIRST)) == NATGW_PKT_F_FRAG) {
		fs = steer_slot(w, &pi);
		if (fs->owner && fs->src == pi.key.src_ip && fs->dst == pi.key.dst_ip &&
				fs->id == pi.ip_id && fs->proto == pi.key.proto)
			return fs->owner - 1u;
		return w->id;
	}
	/* The public end: the destination port, or an ICMP query's identifier,
	 * which the key holds as the destination port of a reply and the source
	 * port of a request. */
	port = (pi.flags & (NATGW_PKT_F_ICMP_QUERY | NATGW_PKT_F_ICMP_REPLY)) ==
		NATGW_PKT_F_ICMP_QUERY ? pi.key.src_port : pi.key.dst_port;
	o = w->port_owner[rte_be_to_cpu_16(port)];
	if (pi.flags & NATGW_PKT_F_FRAG_FIRST) {
		fs = steer_slot(w, &pi);
		fs->src = pi.key.src_ip;
		fs->dst = pi.key.dst_ip;
		fs->id = pi.ip_id;
		fs->proto = pi.key.proto;
		fs->owner = (uint8_t)(o + 1);
	}
	return o;
}

static void
translate(struct natgw_worker *w, enum natgw_side side, struct rte_mbuf **pkts, uint16_t n,
		uint64_t now, natgw_tx_fn tx, void *tx_arg)
{
	struct natgw_nat_out out;
	unsigned int s;
	uint16_t i, sent;

	natgw_nat_burst(w->nat, side, pkts, n, now, &out);
	for (s = 0; s < NATGW_SIDES; s++) {
		if (out.n[s] == 0)
			continue;
		for (i = 0; i < out.n[s]; i++)
			w->st.tx_bytes[s] += rte_pktmbuf_pkt_len(out.pkts[s][i]);
		sent = tx(tx_arg, (enum natgw_side)s, out.pkts[s], out.n[s]);
		w->st.tx[s] += sent;
		if (unlikely(sent < out.n[s])) {
			w->st.tx_drop[s] += out.n[s] - sent;
			for (i = sent; i < out.n[s]; i++) {
				w->st.tx_bytes[s] -= rte_pktmbuf_pkt_len(out.pkts[s][i]);
				rte_pktmbuf_free(out.pkts[s][i]);
			}
		}
	}
}

void
natgw_worker_rx(struct natgw_worker *w, enum natgw_side side, struct rte_mbuf **pkts,
		uint16_t n, uint64_t now, natgw_tx_fn tx, void *tx_arg)
{
	struct rte_mbuf *mine[NATGW_BURST_MAX];
	struct rte_mbuf *theirs[NATGW_MAX_WORKERS][NATGW_BURST_MAX];
	uint16_t nt[NATGW_MAX_WORKERS];
	uint16_t i, nm = 0;
	unsigned int o, k;

	/* Received bytes are the ports' counters (rte_eth_stats); a worker
	 * counts the bytes it sends, which no port can split by worker. */
	w->st.rx[side] += n;
	if (w->n == 1) {
		translate(w, side, pkts, n, now, tx, tx_arg);
		return;
	}
	memset(nt, 0, sizeof(nt[0]) * w->n);
	for (i = 0; i < n; i++) {
		o = natgw_worker_owner(w, side, rte_pktmbuf_mtod(pkts[i], const uint8_t *),
			rte_pktmbuf_data_len(pkts[i]));
		if (o == w->id)
			mine[nm++] = pkts[i];
		else
			theirs[o][nt[o]++] = pkts[i];
	}
	for (o = 0; o < w->n; o++) {
		if (nt[o] == 0)
			continue;
		k = rte_ring_sp_enqueue_burst(w->to[o][side], (void **)theirs[o], nt[o], NULL);
		w->st.handoff_out += k;
		if (unlikely(k < nt[o])) {
			w->st.handoff_drop += nt[o] - k;
			rte_pktmbuf_free_bulk(&theirs[o][k], nt[o] - k);
		}
	}
	if (nm)
		translate(w, side, mine, nm, now, tx, tx_arg);
}

unsigned int
natgw_worker_drain(struct natgw_worker *w, uint64_t now, natgw_tx_fn tx, void *tx_arg)
{
	struct rte_mbuf *pkts[NATGW_BURST_MAX];
	unsigned int o, s, n, total = 0;

	for (o = 0; o < w->n; o++) {
		if (o == w->id)
			continue;
		for (s = 0; s < NATGW_SIDES; s++) {
			n = rte_ring_sc_dequeue_burst(w->from[o][s], (void **)pkts,
				NATGW_BURST_MAX, NULL);
			if (n == 0)
				continue;
			w->st.handoff_in += n;
			total += n;
			translate(w, (enum natgw_side)s, pkts, (uint16_t)n, now, tx, tx_arg);
		}
	}
	return total;
}

unsigned int
natgw_worker_housekeep(struct natgw_worker *w, uint64_t now)
{
	return natgw_nat_expire(w->nat, now, w->expire_budget);
}

void
natgw_worker_ceiling_use(const struct natgw_worker *w, struct natgw_worker_ceiling_seen *last,
		struct natgw_scale_use *u)
{
	const struct natgw_nat_stats *st = natgw_nat_stats(w->nat);
	uint64_t in_b = st->metric[NATGW_M_BytesInFromSource] +
		st->metric[NATGW_M_BytesInFromDestination];
	uint64_t in_p = st->metric[NATGW_M_PacketsInFromSource] +
		st->metric[NATGW_M_PacketsInFromDestination];
	uint64_t cp = st->drop[NATGW_DROP_bandwidth_ceiling] +
		st->drop[NATGW_DROP_packet_rate_ceiling];

	memset(u, 0, sizeof(*u));
	u->offered_bytes = in_b - last->in_bytes;
	u->offered_pkts = in_p - last->in_pkts;
	u->drop_bytes = RTE_MIN(st->ceiling_bytes - last->ceil_bytes, u->offered_bytes);
	u->drop_pkts = RTE_MIN(cp - last->ceil_pkts, u->offered_pkts);
	u->fwd_bytes = u->offered_bytes - u->drop_bytes;
	u->fwd_pkts = u->offered_pkts - u->drop_pkts;
	last->in_bytes = in_b;
	last->in_pkts = in_p;
	last->ceil_bytes += u->drop_bytes;
	last->ceil_pkts += u->drop_pkts;
}
