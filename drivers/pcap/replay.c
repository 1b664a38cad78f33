/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture replay in virtual time. A capture taken inside the VPC shows both
 * directions with private addresses; the replay sends what the inside sent into
 * the NAT's inside, and first re-addresses what came back to what the internet
 * really sent (the public endpoint the NAT mapped) before it enters the outside.
 * The NAT engine's burst function is the same one the DPDK workers run.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <pcap/pcap.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "natgw_pcap.h"

/* Bursts in replay hold frames of one direction and one timestamp, so that each
 * frame is processed at its own time. */
#define REPLAY_BURST 32
#define EXPIRE_BUDGET 1024

static const char *const skip_names[NATGW_SKIP_MAX] = {
#define NATGW_SKIP_NAME(n) #n,
	NATGW_SKIP_REASONS(NATGW_SKIP_NAME)
#undef NATGW_SKIP_NAME
};

const char *
natgw_skip_name(enum natgw_skip s)
{
	return s < NATGW_SKIP_MAX ? skip_names[s] : "?";
}

/* One gateway: a worker (the same code as the dataplane's) and its ceiling. */
struct gateway {
	struct natgw_worker *wk;
	struct natgw_nat *nat;
	struct natgw_scale *sc;
	struct natgw_worker_ceiling_seen seen; /* its counters at the last epoch */
};

struct replay {
	const struct natgw_replay_conf *c;
	struct natgw_replay_result *res;
	struct gateway gw[NATGW_REPLAY_MAX_GW];
	unsigned int n_gw;
	struct rte_hash *frags; /* inbound first fragments: (src,dst,id,proto) -> public ip */
	struct natgw_pcap_writer *w[NATGW_SIDES];
	struct rte_mbuf *batch[REPLAY_BURST];
	uint16_t nb;
	enum natgw_side side;
	unsigned int g;         /* the batch's gateway */
	uint64_t ts;
	uint64_t src_ts;        /* the batch's time in the source (before --speedup) */
	uint64_t next_epoch;    /* with a ceiling: when the next budgets are due */
	struct natgw_scale *one; /* several gateways: one in their place */
	struct natgw_scale_budget one_budget;
};

static void
frag_key(struct natgw_flow_key *fk, const struct natgw_pkt_info *pi, const uint8_t *ip)
{
	memset(fk, 0, sizeof(*fk));
	fk->src_ip = natgw_rd32(ip + 12);
	fk->dst_ip = natgw_rd32(ip + 16);
	fk->src_port = pi->ip_id;
	fk->proto = ip[9];
}

/* Address an inbound frame as the internet would have: to the public endpoint
 * of its flow, or, with no mapping, to the first public address with its own
 * ports, so that the NAT decides what to do with it. */
static void
readdress(struct replay *r, struct rte_mbuf *m)
{
	struct natgw_nat *nat = r->gw[r->g].nat;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	const struct natgw_nat_conf *nc = natgw_nat_conf(nat);
	struct natgw_pkt_info pi;
	enum natgw_drop why = natgw_pkt_parse(frame, rte_pktmbuf_data_len(m), &pi);
	const struct natgw_flow_key *k = &pi.key;
	struct natgw_flow_key fk;
	uint32_t pub = nc->public_ip[0];
	uint16_t port = k->dst_port;
	const uint8_t *ip = frame + pi.l3_off;
	void *d;

	if (why != NATGW_DROP_NONE) {
		if (!natgw_drop_counted(why))
			return;
		/* Malformed past the IP header: change the address alone, as a
		 * non-first fragment would be. */
		pi.flags = NATGW_PKT_F_FRAG;
		natgw_pkt_rewrite(frame, &pi, true, pub, 0);
		r->res->unmapped++;
		return;
	}
	if ((pi.flags & (NATGW_PKT_F_FRAG | NATGW_PKT_F_FRAG_FIRST)) == NATGW_PKT_F_FRAG) {
		frag_key(&fk, &pi, ip);
		if (rte_hash_lookup_data(r->frags, &fk, &d) >= 0) {
			pub = (uint32_t)(uintptr_t)d;
			r->res->readdressed++;
		} else {
			r->res->unmapped++;
		}
		natgw_pkt_rewrite(frame, &pi, true, pub, 0);
		return;
	}
	/* For an ICMP error, the key is that of the quoted flow, mirrored. */
	if (natgw_nat_public_endpoint(nat, k->proto, k->dst_ip, k->dst_port, k->src_ip,
			k->src_port, &pub, &port))
		r->res->readdressed++;
	else
		r->res->unmapped++;
	if (pi.flags & NATGW_PKT_F_FRAG_FIRST) {
		frag_key(&fk, &pi, ip);
		if (rte_hash_add_key_data(r->frags, &fk, (void *)(uintptr_t)pub) == -ENOSPC) {
			/* A bounded memory of fragments: forget the old ones. */
			rte_hash_reset(r->frags);
			rte_hash_add_key_data(r->frags, &fk, (void *)(uintptr_t)pub);
		}
	}
	natgw_pkt_rewrite(frame, &pi, true, pub, port);
}

/* The worker's transmit: into the side's output file, at the burst's time. */
static uint16_t
write_out(void *arg, enum natgw_side s, struct rte_mbuf **pkts, uint16_t n)
{
	struct replay *r = arg;
	uint16_t i;

	for (i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(pkts[i], uint8_t *);
		uint32_t len = rte_pktmbuf_data_len(pkts[i]);

		natgw_pcap_write(r->w[s], f, len, r->ts);
		/* The loop closed: the responder takes what left for the
		 * internet, the hosts what came back in, in the scenario's time. */
		if (r->c->synth)
			natgw_synth_deliver(r->c->synth, s == NATGW_SIDE_OUTSIDE ?
				NATGW_SYNTH_OUTSIDE : NATGW_SYNTH_INSIDE, f, len, r->src_ts);
		rte_pktmbuf_free(pkts[i]);
	}
	r->res->out_frames[s] += n;
	return n;
}

static void
flush(struct replay *r)
{
	uint16_t i;

	if (r->nb == 0)
		return;
	if (r->side == NATGW_SIDE_OUTSIDE && r->c->synth == NULL)
		for (i = 0; i < r->nb; i++)
			readdress(r, r->batch[i]);
	r->res->to_side[r->side] += r->nb;
	natgw_worker_rx(r->gw[r->g].wk, r->side, r->batch, r->nb, r->ts, write_out, r);
	r->nb = 0;
	natgw_worker_housekeep(r->gw[r->g].wk, r->ts);
}

/* The gateway whose inside holds @p ip (network order); 0 if none does. */
static unsigned int
gateway_of(const struct replay *r, uint32_t ip)
{
	unsigned int g;

	for (g = 0; g < r->n_gw; g++)
		if (natgw_nat_is_inside(natgw_nat_conf(r->gw[g].nat), ip))
			return g;
	return 0;
}

/*
 * An epoch of the ceilings: each gateway's controller learns what arrived and
 * what its budget let through since the last epoch (the engine's own
 * counters), and gives the next budget. Called at each epoch boundary the
 * virtual time crosses, with the batch flushed, so that a budget applies to
 * exactly the frames of its epoch.
 */
static int
epoch(struct replay *r, uint64_t now, char *err, size_t errlen)
{
	uint64_t all_bytes = 0, all_pkts = 0; /* offered to all the gateways */
	unsigned int g;

	for (g = 0; g < r->n_gw; g++) {
		struct gateway *gw = &r->gw[g];
		struct natgw_scale_use u;
		struct natgw_scale_budget b;

		natgw_worker_ceiling_use(gw->wk, &gw->seen, &u);
		natgw_scale_add(gw->sc, 0, &u);
		all_bytes += u.offered_bytes;
		all_pkts += u.offered_pkts;
		if (natgw_scale_epoch(gw->sc, now, &b) < 0) {
			snprintf(err, errlen, "gateway %u: the ceiling's controller failed", g);
			return -1;
		}
		natgw_nat_set_budget(gw->nat, b.bytes, b.pkts);
	}
	/* One gateway for all: what its own budget would have held. */
	if (r->one && natgw_scale_shadow_epoch(r->one, now, all_bytes, all_pkts,
			&r->one_budget) < 0) {
		snprintf(err, errlen, "the one-gateway comparison's controller failed");
		return -1;
	}
	r->next_epoch = (now / r->c->scale->epoch_ns + 1) * r->c->scale->epoch_ns;
	return 0;
}

/* The gateway that owns public address @p ip (network order); 0 if none. */
static unsigned int
gateway_of_public(const struct replay *r, uint32_t ip)
{
	unsigned int g, i;

	for (g = 0; g < r->n_gw; g++) {
		const struct natgw_nat_conf *nc = natgw_nat_conf(r->gw[g].nat);

		for (i = 0; i < nc->n_public; i++)
			if (nc->public_ip[i] == ip)
				return g;
	}
	return 0;
}

/* A synthetic frame's side and gateway: the synth says which side; the
 * host's gateway takes what the hosts send, the public address's what the
 * destinations send. Intra-VPC frames are only shown to the classifier. */
static int
synth_side(const struct replay *r, const uint8_t *frame, uint32_t len,
		enum natgw_synth_side ss, enum natgw_side *side, unsigned int *g, uint32_t *host)
{
	struct natgw_pkt_info pi;
	enum natgw_drop why = natgw_pkt_parse(frame, len, &pi);
	uint32_t src = 0, dst = 0;

	if (why == NATGW_DROP_NONE || natgw_drop_counted(why)) {
		src = natgw_rd32(frame + pi.l3_off + 12);
		dst = natgw_rd32(frame + pi.l3_off + 16);
	}
	*side = ss == NATGW_SYNTH_OUTSIDE ? NATGW_SIDE_OUTSIDE : NATGW_SIDE_INSIDE;
	*host = dst; /* intra-VPC: the receiver, as for a capture */
	*g = ss == NATGW_SYNTH_OUTSIDE ? gateway_of_public(r, dst) :
		gateway_of(r, ss == NATGW_SYNTH_INSIDE ? src : dst);
	return ss == NATGW_SYNTH_OBSERVE ? NATGW_SKIP_intra_vpc : -1;
}

/*
 * The next frame of the source into @p m: the capture's, or the synth's. A
 * synthetic frame due later than the batch waits until the batch has gone
 * through the NAT, whose answers may come before it.
 * @return 1, 0 at the end, -1 with @p err.
 */
static int
source_next(struct replay *r, struct natgw_pcap_reader *rd, struct rte_mbuf *m,
		uint64_t *ts, uint32_t *len, uint32_t *wire, enum natgw_synth_side *ss,
		char *err, size_t errlen)
{
	uint8_t *buf = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t cap = rte_pktmbuf_tailroom(m);
	int n;

	if (rd)
		return natgw_pcap_next(rd, buf, cap, ts, len, wire, err, errlen);
	n = natgw_synth_next(r->c->synth, r->nb ? r->src_ts : UINT64_MAX, buf, cap, len, ts, ss);
	if (n == 0 && r->nb) {
		flush(r);
		n = natgw_synth_next(r->c->synth, UINT64_MAX, buf, cap, len, ts, ss);
	}
	if (n < 0) {
		snprintf(err, errlen, "a synthetic frame of %u bytes, more than a buffer holds",
			*len);
		return -1;
	}
	*wire = *len;
	return n;
}

/* Which side of the NAT a frame from the capture enters, or why it does not. */
static int
classify(const struct natgw_nat_conf *nc, const uint8_t *frame, uint32_t len,
		enum natgw_side *side, uint32_t *host)
{
	struct natgw_pkt_info pi;
	enum natgw_drop why = natgw_pkt_parse(frame, len, &pi);
	bool src_in, dst_in;

	*side = NATGW_SIDE_INSIDE;
	*host = 0;
	/* Not IPv4 at all (ARP, IPv6, runts): the inside's, where the NAT
	 * counts it. */
	if (why != NATGW_DROP_NONE && !natgw_drop_counted(why))
		return -1;
	src_in = natgw_nat_is_inside(nc, natgw_rd32(frame + pi.l3_off + 12));
	dst_in = natgw_nat_is_inside(nc, natgw_rd32(frame + pi.l3_off + 16));
	/* The inside host: its gateway takes the frame. Between two inside
	 * hosts, the receiver (a DNS answer's asker). */
	*host = natgw_rd32(frame + pi.l3_off + (src_in && !dst_in ? 12 : 16));
	if (src_in && dst_in)
		return NATGW_SKIP_intra_vpc;
	if (src_in)
		return -1;
	if (dst_in) {
		*side = NATGW_SIDE_OUTSIDE;
		return -1;
	}
	return NATGW_SKIP_not_via_nat;
}

static int
open_outputs(struct replay *r, char *err, size_t errlen)
{
	r->w[NATGW_SIDE_OUTSIDE] = natgw_pcap_writer_open(r->c->outside_path, err, errlen);
	if (r->w[NATGW_SIDE_OUTSIDE] == NULL)
		return -1;
	r->w[NATGW_SIDE_INSIDE] = natgw_pcap_writer_open(r->c->inside_path, err, errlen);
	return r->w[NATGW_SIDE_INSIDE] ? 0 : -1;
}

/* After a failure, remove an output this run opened, so that nothing left
 * looks complete; only a regular file: a path that names a device or one
 * that this run never opened is not ours to delete. */
static void
remove_output(bool opened, const char *path)
{
	struct stat st;

	if (opened && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		unlink(path);
}

int
natgw_replay_run(const struct natgw_replay_conf *c, struct natgw_replay_result *res,
		char *err, size_t errlen)
{
	struct natgw_pcap_reader *rd;
	struct rte_mempool *mp = NULL;
	struct replay r = {.c = c, .res = res};
	struct rte_hash_parameters hp = {
		.name = "replay_frags", .entries = 4096,
		.key_len = sizeof(struct natgw_flow_key), .hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
	};
	uint64_t total = 0, now = 0, first_ts = 0, src_start = 0;
	struct stat st;
	unsigned int g;
	bool opened[NATGW_SIDES];
	int rc = -1, n;
	char e2[256];

	memset(res, 0, sizeof(*res));
	if (c->synth) {
		const struct natgw_synth_conf *sc = natgw_synth_conf(c->synth);

		rd = NULL;
		snprintf(res->linktype, sizeof(res->linktype), "EN10MB");
		total = sc->duration_ns;
		src_start = sc->start_ns;
	} else {
		rd = natgw_pcap_open(c->capture, err, errlen);
		if (rd == NULL)
			return -1;
		snprintf(res->linktype, sizeof(res->linktype), "%s", natgw_pcap_linktype(rd));
		if (stat(c->capture, &st) == 0)
			total = (uint64_t)st.st_size;
	}
	r.n_gw = c->n_gw ? c->n_gw : 1;
	res->n_gw = r.n_gw;
	for (g = 0; g < r.n_gw; g++) {
		struct natgw_worker_conf wc = {0};
		char name[32];

		snprintf(name, sizeof(name), "replay%u", g);
		wc.name = name;
		wc.nat = c->n_gw ? c->gw[g] : c->nat;
		wc.expire_budget = EXPIRE_BUDGET;
		wc.classify = c->classify;
		wc.ranges = c->ranges;
		wc.enforce = c->enforce;
		r.gw[g].wk = natgw_worker_create(&wc, err, errlen);
		if (r.gw[g].wk == NULL)
			goto out;
		r.gw[g].nat = natgw_worker_nat(r.gw[g].wk);
		res->workers[g] = r.gw[g].wk;
		res->nats[g] = r.gw[g].nat;
		if (c->scale) {
			r.gw[g].sc = natgw_scale_create(c->scale, 1, err, errlen);
			if (r.gw[g].sc == NULL)
				goto out;
			res->scales[g] = r.gw[g].sc;
		}
	}
	if (c->scale && r.n_gw > 1) {
		r.one = natgw_scale_create(c->scale, 1, err, errlen);
		if (r.one == NULL)
			goto out;
		res->one = r.one;
	}
	/* One buffer holds the largest IPv4 packet with its L2 header. */
	mp = rte_pktmbuf_pool_create("replay_pool", 2 * REPLAY_BURST + 64, 0, 0,
			UINT16_MAX, SOCKET_ID_ANY);
	r.frags = rte_hash_create(&hp);
	if (mp == NULL || r.frags == NULL) {
		snprintf(err, errlen, "cannot allocate replay buffers (raise -m)");
		goto out;
	}
	if (open_outputs(&r, err, errlen) < 0)
		goto out;

	for (;;) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t len, wire;
		uint64_t ts, src_ts;
		enum natgw_side side;
		enum natgw_synth_side ss = NATGW_SYNTH_INSIDE;
		uint32_t host;
		int skip;

		if (m == NULL) {
			snprintf(err, errlen, "replay buffers exhausted");
			goto out;
		}
		n = source_next(&r, rd, m, &ts, &len, &wire, &ss, e2, sizeof(e2));
		if (n <= 0) {
			rte_pktmbuf_free(m);
			if (n < 0) {
				if (rd)
					snprintf(err, errlen, "%s: unreadable after frame %" PRIu64
						": %s", c->capture, res->frames, e2);
				else
					snprintf(err, errlen, "synth: %s", e2);
				goto out;
			}
			break;
		}
		src_ts = ts;
		res->frames++;
		if (res->frames == 1)
			first_ts = ts;
		/* --speedup: the capture's time compressed from its first frame,
		 * so that the same bytes come N times as fast. */
		if (c->speedup > 0 && c->speedup != 1)
			ts = first_ts + (uint64_t)((double)(ts > first_ts ? ts - first_ts : 0) /
				c->speedup);
		/* Virtual time never runs backwards: a frame older than the
		 * one before it (merged captures) is taken at the later time. */
		now = ts > now ? ts : now;
		if (res->frames == 1)
			res->first_ns = now;
		res->last_ns = now;
		if (c->progress && (res->frames & 0xffff) == 0)
			c->progress(c->progress_arg, res->frames,
				rd ? natgw_pcap_offset(rd) : src_ts - src_start, total);
		if (len == 0) {
			res->skip[NATGW_SKIP_frame_too_large]++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (len < wire) {
			res->skip[NATGW_SKIP_capture_truncated]++;
			rte_pktmbuf_free(m);
			continue;
		}
		rte_pktmbuf_append(m, (uint16_t)len);
		if (c->fix_checksums &&
				natgw_pkt_csum_fill(rte_pktmbuf_mtod(m, uint8_t *), len) == 1)
			res->checksums_fixed++;
		if (c->synth) {
			skip = synth_side(&r, rte_pktmbuf_mtod(m, uint8_t *), len, ss, &side, &g,
				&host);
		} else {
			skip = classify(&c->nat, rte_pktmbuf_mtod(m, uint8_t *), len, &side, &host);
			g = gateway_of(&r, host);
		}
		if (skip == NATGW_SKIP_intra_vpc && c->classify) {
			/* The VPC resolver's answers never cross the NAT, yet
			 * they name what the hosts connect to next: show them
			 * to the classifier of the host they answer, in the
			 * capture's order. */
			flush(&r);
			natgw_worker_observe(r.gw[gateway_of(&r, host)].wk,
				rte_pktmbuf_mtod(m, uint8_t *), len);
		}
		if (skip >= 0) {
			res->skip[skip]++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (r.nb && (r.nb == REPLAY_BURST || side != r.side || now != r.ts || g != r.g ||
				src_ts != r.src_ts))
			flush(&r);
		if (c->scale && now >= r.next_epoch) {
			flush(&r);
			if (epoch(&r, now, err, errlen) < 0) {
				rte_pktmbuf_free(m);
				goto out;
			}
		}
		r.side = side;
		r.g = g;
		r.ts = now;
		r.src_ts = src_ts;
		r.batch[r.nb++] = m;
	}
	flush(&r);
	/* The last epoch's use, into the ceilings' timelines. */
	if (c->scale && res->frames && epoch(&r, now, err, errlen) < 0)
		goto out;
	for (g = 0; g < r.n_gw; g++)
		natgw_nat_finish(r.gw[g].nat, now);
	rc = 0;
out:
	while (r.nb)
		rte_pktmbuf_free(r.batch[--r.nb]);
	opened[NATGW_SIDE_OUTSIDE] = r.w[NATGW_SIDE_OUTSIDE] != NULL;
	opened[NATGW_SIDE_INSIDE] = r.w[NATGW_SIDE_INSIDE] != NULL;
	if (natgw_pcap_writer_close(r.w[NATGW_SIDE_OUTSIDE], e2, sizeof(e2)) < 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", c->outside_path, e2);
		rc = -1;
	}
	if (natgw_pcap_writer_close(r.w[NATGW_SIDE_INSIDE], e2, sizeof(e2)) < 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", c->inside_path, e2);
		rc = -1;
	}
	if (rc < 0) {
		remove_output(opened[NATGW_SIDE_OUTSIDE], c->outside_path);
		remove_output(opened[NATGW_SIDE_INSIDE], c->inside_path);
	}
	rte_hash_free(r.frags);
	rte_mempool_free(mp);
	natgw_pcap_close(rd);
	if (rc < 0)
		natgw_replay_result_free(res);
	return rc;
}

void
natgw_replay_result_free(struct natgw_replay_result *res)
{
	unsigned int g;

	for (g = 0; g < NATGW_REPLAY_MAX_GW; g++) {
		natgw_worker_free(res->workers[g]);
		natgw_scale_free(res->scales[g]);
		res->workers[g] = NULL;
		res->nats[g] = NULL;
		res->scales[g] = NULL;
	}
	natgw_scale_free(res->one);
	res->one = NULL;
}
