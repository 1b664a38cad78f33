/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path: making and ending sessions, and the two profiles' ways of
 * mapping (endpoint-dependent for `aws`, endpoint-independent for `rfc`).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_tcp.h>

#include "natgw_csum.h"
#include "nat_private.h"

static enum natgw_timeout
class_of(const struct nat_session *s)
{
	switch (s->proto) {
	case IPPROTO_TCP:
		switch (s->tcp_state) {
		case NAT_TCP_SYN_SENT:
			return NATGW_TO_tcp_syn;
		case NAT_TCP_CLOSED:
		case NAT_TCP_RESET:
			return NATGW_TO_tcp_trans;
		default:
			return NATGW_TO_tcp_est;
		}
	case IPPROTO_UDP:
		return NATGW_TO_udp;
	default:
		return NATGW_TO_icmp;
	}
}

void
nat_set_class(struct natgw_nat *nat, struct nat_session *s)
{
	uint64_t old = nat_session_deadline(nat, s);

	s->tclass = class_of(s);
	/* The wheel only ever finds deadlines that moved later; one that moved
	 * earlier must be rescheduled now. */
	if (nat_session_deadline(nat, s) < old) {
		uint32_t sid = (uint32_t)(s - nat->sess);

		nat_tw_remove(nat, sid);
		nat_tw_insert(nat, sid, nat_session_deadline(nat, s));
	}
}

/* A flow key from its parts (network order). */
static void
key_of(struct natgw_flow_key *k, uint32_t src_ip, uint16_t src_port, uint32_t dst_ip,
		uint16_t dst_port, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	k->src_ip = src_ip;
	k->src_port = src_port;
	k->dst_ip = dst_ip;
	k->dst_port = dst_port;
	k->proto = proto;
}

void
nat_outside_key(const struct nat_session *s, struct natgw_flow_key *k)
{
	key_of(k, s->rem_ip, s->rem_port, s->pub_ip, s->pub_port, s->proto);
}

void
nat_in_key(const struct nat_session *s, struct natgw_flow_key *k)
{
	key_of(k, s->in_ip, s->in_port, s->rem_ip, s->rem_port, s->proto);
}

static struct nat_spill *
spill_find(const struct natgw_nat *nat, uint32_t sid)
{
	uint32_t i;

	for (i = 0; i < nat->spill_n; i++)
		if (nat->spill[i].sid == sid)
			return &nat->spill[i];
	return NULL;
}

void
nat_spill(struct natgw_nat *nat, uint32_t sid)
{
	struct nat_session *s = &nat->sess[sid];
	struct nat_spill *x = NULL;
	unsigned int d;

	/* Only the flow log reports per-flow counts: without it, nothing to keep. */
	if (nat->conf.keep_flow_log) {
		if (s->spilled)
			x = spill_find(nat, sid);
		if (x == NULL) {
			if (nat->spill_n == nat->spill_cap) {
				uint32_t cap = nat->spill_cap ? nat->spill_cap * 2 : 16;
				struct nat_spill *nx = realloc(nat->spill, cap * sizeof(*nx));

				if (nx == NULL) {
					/* As when the flow log itself cannot grow. */
					NAT_LOG(ERR, "flow log: out of memory, records lost from now on\n");
					nat->conf.keep_flow_log = false;
					goto reset;
				}
				nat->spill = nx;
				nat->spill_cap = cap;
			}
			x = &nat->spill[nat->spill_n++];
			memset(x, 0, sizeof(*x));
			x->sid = sid;
			s->spilled = 1;
		}
		for (d = 0; d < NATGW_SIDES; d++) {
			x->pkts[d] += s->pkts[d];
			x->bytes[d] += s->bytes[d];
		}
	}
reset:
	nat_acct_add(nat, s, false);
	memset(s->pkts, 0, sizeof(s->pkts));
	memset(s->bytes, 0, sizeof(s->bytes));
}

uint32_t
nat_session_alloc(struct natgw_nat *nat)
{
	uint32_t sid = nat->free_head;

	if (sid != NAT_NONE)
		nat->free_head = nat->sess[sid].tw_next;
	return sid;
}

/* A hairpin leg's key in the hairpin table: as packets of @p side carry it. */
static void
hp_key(struct natgw_flow_key *hk, enum natgw_side side, const struct natgw_flow_key *k)
{
	*hk = *k;
	hk->pad[0] = (uint8_t)(side + 1);
}

uint32_t
nat_hairpin_lookup(const struct natgw_nat *nat, enum natgw_side side,
		const struct natgw_flow_key *k)
{
	struct natgw_flow_key hk;
	void *d;

	if (nat->hp == NULL)
		return NAT_NONE;
	hp_key(&hk, side, k);
	return rte_hash_lookup_data(nat->hp, &hk, &d) >= 0 ? (uint32_t)(uintptr_t)d : NAT_NONE;
}

/* Index a session by its two keys: in the flow tables, or for a hairpin leg
 * (whose packets the fast path must never take: they go back inside) in the
 * hairpin table. */
static int
session_index(struct natgw_nat *nat, uint32_t sid, const struct natgw_flow_key *ik,
		const struct natgw_flow_key *ok, bool hairpin)
{
	struct natgw_flow_key hi, ho;

	if (!hairpin) {
		if (natgw_flowtab_add(nat->tbl[NATGW_SIDE_INSIDE], ik, sid) < 0)
			return -1;
		if (natgw_flowtab_add(nat->tbl[NATGW_SIDE_OUTSIDE], ok, sid) < 0) {
			natgw_flowtab_del(nat->tbl[NATGW_SIDE_INSIDE], ik);
			return -1;
		}
		return 0;
	}
	hp_key(&hi, NATGW_SIDE_INSIDE, ik);
	hp_key(&ho, NATGW_SIDE_OUTSIDE, ok);
	if (rte_hash_add_key_data(nat->hp, &hi, (void *)(uintptr_t)sid) < 0)
		return -1;
	if (rte_hash_add_key_data(nat->hp, &ho, (void *)(uintptr_t)sid) < 0) {
		rte_hash_del_key(nat->hp, &hi);
		return -1;
	}
	return 0;
}

static void
session_unindex(struct natgw_nat *nat, const struct nat_session *s)
{
	struct natgw_flow_key ik, ok, hk;

	nat_in_key(s, &ik);
	nat_outside_key(s, &ok);
	if (!s->hairpin) {
		natgw_flowtab_del(nat->tbl[NATGW_SIDE_INSIDE], &ik);
		natgw_flowtab_del(nat->tbl[NATGW_SIDE_OUTSIDE], &ok);
		return;
	}
	hp_key(&hk, NATGW_SIDE_INSIDE, &ik);
	rte_hash_del_key(nat->hp, &hk);
	hp_key(&hk, NATGW_SIDE_OUTSIDE, &ok);
	rte_hash_del_key(nat->hp, &hk);
}

int
nat_session_insert(struct natgw_nat *nat, uint32_t sid, const struct natgw_flow_key *in_key,
		uint32_t pub_ip, uint16_t pub_port, uint64_t now, bool hairpin)
{
	struct nat_session *s = &nat->sess[sid];
	struct natgw_flow_key ik, ok;

	memset(s, 0, sizeof(*s));
	s->in_ip = in_key->src_ip;
	s->rem_ip = in_key->dst_ip;
	s->in_port = in_key->src_port;
	s->rem_port = in_key->dst_port;
	s->proto = in_key->proto;
	s->pub_ip = pub_ip;
	s->pub_port = pub_port;
	s->d_ip = natgw_csum_delta32(in_key->src_ip, pub_ip);
	s->first_ns = now;
	s->last_ns = now;
	if (in_key->proto == IPPROTO_TCP)
		s->tcp_state = NAT_TCP_SYN_SENT;
	s->tclass = class_of(s);
	if (nat->rfc_link)
		nat->rfc_link[sid] = (struct nat_rfc_link){NAT_NONE, NAT_NONE};
	s->hairpin = hairpin;
	nat_in_key(s, &ik);
	nat_outside_key(s, &ok);
	if (session_index(nat, sid, &ik, &ok, hairpin) < 0)
		goto fail;
	nat_tw_insert(nat, sid, nat_session_deadline(nat, s));
	nat->st.sessions_created++;
	if (++nat->st.sessions_active > nat->st.sessions_peak)
		nat->st.sessions_peak = nat->st.sessions_active;
	if (in_key->proto == IPPROTO_TCP)
		nat_tcp_opened(nat);
	nat_classify(nat, s);
	return 0;
fail:
	s->proto = 0;
	s->tw_next = nat->free_head;
	nat->free_head = sid;
	return -1;
}

/* A session as a flow record. */
static void
fill_record(const struct natgw_nat *nat, struct natgw_flow_record *r, const struct nat_session *s,
		const struct nat_spill *x, enum natgw_end why, uint64_t when)
{
	memset(r, 0, sizeof(*r));
	r->in_ip = s->in_ip;
	r->in_port = s->in_port;
	r->rem_ip = s->rem_ip;
	r->rem_port = s->rem_port;
	r->pub_ip = s->pub_ip;
	r->pub_port = s->pub_port;
	r->proto = s->proto;
	r->end = (uint8_t)why;
	r->tcp_state = s->tcp_state;
	r->inbound = s->inbound;
	r->svc = s->svc;
	r->name = nat->sess_name ? nat->sess_name[s - nat->sess] : 0;
	r->first_ns = s->first_ns;
	r->last_ns = s->last_ns;
	r->end_ns = when;
	r->pkts[0] = s->pkts[NATGW_SIDE_INSIDE];
	r->pkts[1] = s->pkts[NATGW_SIDE_OUTSIDE];
	r->bytes[0] = s->bytes[NATGW_SIDE_INSIDE];
	r->bytes[1] = s->bytes[NATGW_SIDE_OUTSIDE];
	if (x) {
		r->pkts[0] += x->pkts[NATGW_SIDE_INSIDE];
		r->pkts[1] += x->pkts[NATGW_SIDE_OUTSIDE];
		r->bytes[0] += x->bytes[NATGW_SIDE_INSIDE];
		r->bytes[1] += x->bytes[NATGW_SIDE_OUTSIDE];
	}
}

/* Forget a session's interim record (its flow was logged or is not kept). */
static void
spill_drop(struct natgw_nat *nat, uint32_t sid)
{
	struct nat_spill *x = spill_find(nat, sid);

	if (x)
		*x = nat->spill[--nat->spill_n];
}

static void
log_record(struct natgw_nat *nat, const struct nat_session *s, const struct nat_spill *x,
		enum natgw_end why, uint64_t when)
{
	if (!nat->conf.keep_flow_log)
		return;
	if (nat->log_n == nat->log_cap) {
		size_t cap = nat->log_cap ? nat->log_cap * 2 : 1024;
		struct natgw_flow_record *nl = realloc(nat->log, cap * sizeof(*nl));

		if (nl == NULL) {
			/* Counters stay right; only the per-flow list would be short,
			 * and the report says so. */
			NAT_LOG(ERR, "flow log: out of memory, records lost from now on\n");
			nat->conf.keep_flow_log = false;
			return;
		}
		nat->log = nl;
		nat->log_cap = cap;
	}
	fill_record(nat, &nat->log[nat->log_n++], s, x, why, when);
}

size_t
natgw_nat_sessions(const struct natgw_nat *nat, uint32_t *cursor, struct natgw_flow_record *rec,
		size_t max)
{
	uint32_t sid = *cursor;
	size_t n = 0;

	for (; sid < nat->conf.max_sessions && n < max; sid++) {
		const struct nat_session *s = &nat->sess[sid];

		if (s->proto == 0)
			continue;
		fill_record(nat, &rec[n++], s, s->spilled ? spill_find(nat, sid) : NULL,
			s->tcp_state == NAT_TCP_CLOSED ||
			s->tcp_state == NAT_TCP_RESET ? nat_end_of(s) : NATGW_END_ACTIVE, 0);
	}
	*cursor = sid;
	return n;
}

void
nat_session_end(struct natgw_nat *nat, uint32_t sid, enum natgw_end why, uint64_t when)
{
	struct nat_session *s = &nat->sess[sid];

	nat_tw_remove(nat, sid);
	session_unindex(nat, s);
	nat->ops->release(nat, s);
	if (s->proto == IPPROTO_TCP && s->tcp_state != NAT_TCP_CLOSED &&
			s->tcp_state != NAT_TCP_RESET) {
		nat->st.active_tcp--;
		/* CloudWatch: a connection not closed gracefully that went idle. */
		if (why == NATGW_END_IDLE)
			nat->st.metric[NATGW_M_IdleTimeoutCount]++;
	}
	log_record(nat, s, s->spilled ? spill_find(nat, sid) : NULL, why, when);
	nat_acct_add(nat, s, true);
	if (s->spilled)
		spill_drop(nat, sid);
	nat->st.sessions_active--;
	s->proto = 0;
	s->tw_next = nat->free_head;
	nat->free_head = sid;
}

enum natgw_end
nat_end_of(const struct nat_session *s)
{
	return s->tcp_state == NAT_TCP_CLOSED ? NATGW_END_FIN :
		s->tcp_state == NAT_TCP_RESET ? NATGW_END_RST : NATGW_END_IDLE;
}

void
natgw_nat_finish(struct natgw_nat *nat, uint64_t now)
{
	uint32_t sid;

	nat_minute(nat, now);
	for (sid = 0; sid < nat->conf.max_sessions; sid++) {
		struct nat_session *s = &nat->sess[sid];
		uint64_t dl;

		if (s->proto == 0)
			continue;
		dl = nat_session_deadline(nat, s);
		if (dl <= now)
			nat_session_end(nat, sid, nat_end_of(s), dl);
		else
			/* Still in the table: a closed or reset connection says
			 * so, but has no removal time yet (end_ns 0). */
			nat_session_end(nat, sid, s->tcp_state == NAT_TCP_CLOSED ||
				s->tcp_state == NAT_TCP_RESET ? nat_end_of(s) :
				NATGW_END_ACTIVE, 0);
	}
}

/* The public address an inside host starts from: the same for all of a host's
 * flows while it has room (RFC 4787 REQ-2, "paired" pooling). */
static unsigned int
pool_start(const struct natgw_nat *nat, uint32_t in_ip)
{
	return rte_jhash_1word(in_ip, nat->seed) % nat->conf.n_public;
}

/* The ports probe_port tries for @p k: this worker's slice, or for an inside
 * port below 1024 under RFC 4787 REQ-3a its slice of 1-1023 (a span of 0:
 * none). */
static void
probe_slice(const struct natgw_nat *nat, const struct natgw_flow_key *k, uint32_t *base,
		uint32_t *span)
{
	*base = nat->port_base;
	*span = nat->port_span;
	if (k->proto != IPPROTO_ICMP && nat->conf.port_range_preserve &&
			rte_be_to_cpu_16(k->src_port) < 1024) {
		*base = nat->low_base;
		*span = nat->low_span;
	}
}

/* Where in a slice of @p span ports probe_port starts for @p k: per flow. */
static uint32_t
probe_start(const struct natgw_nat *nat, const struct natgw_flow_key *k, uint32_t span)
{
	return rte_jhash(k, sizeof(*k), nat->seed) % span;
}

/* Probe this worker's slice of ports from a per-flow starting point for one
 * that `is_free` accepts. With @p reply (the answers' key, endpoint-dependent
 * mappings) and a port_steer hook, each candidate is first moved to where the
 * answers' receive hash lands on this worker (predictable RSS); a candidate
 * moved out of the slice is passed over. For TCP and UDP, the options of RFC
 * 4787 REQ-3a and REQ-4 narrow the candidates: an inside port below 1024
 * probes this worker's slice of 1-1023 instead, and parity must match. */
static int
probe_port(const struct natgw_nat *nat, const struct natgw_flow_key *k, uint16_t prefer,
		bool (*is_free)(const struct natgw_nat *, const void *, uint16_t), const void *arg,
		const struct natgw_flow_key *reply, uint16_t *port)
{
	uint32_t start, j, base, span;
	uint16_t in = rte_be_to_cpu_16(k->src_port);
	bool steer = reply != NULL && nat->conf.port_steer != NULL;
	bool parity = k->proto != IPPROTO_ICMP && nat->conf.port_parity;

	probe_slice(nat, k, &base, &span);
	if (span == 0)
		return -1;
	if (!steer && prefer >= base && prefer < base + span &&
			(!parity || ((prefer ^ in) & 1) == 0) &&
			is_free(nat, arg, rte_cpu_to_be_16(prefer))) {
		*port = rte_cpu_to_be_16(prefer);
		return 0;
	}
	start = probe_start(nat, k, span);
	for (j = 0; j < span; j++) {
		uint16_t h = (uint16_t)(base + (start + j) % span);
		uint16_t p = rte_cpu_to_be_16(h);

		if (steer) {
			struct natgw_flow_key r = *reply;

			r.dst_port = p;
			p = nat->conf.port_steer(nat->conf.port_steer_arg, &r);
			h = rte_be_to_cpu_16(p);
			if (h < base || h >= base + span)
				continue;
		}
		if (parity && ((h ^ in) & 1))
			continue;
		if (is_free(nat, arg, p)) {
			*port = p;
			return 0;
		}
	}
	return -1;
}

/* ------------------------------------------------------------------ aws */

/* The key counting connections from one public address to one destination. */
static void
dest_key(struct natgw_flow_key *dk, uint32_t pub, const struct natgw_flow_key *k)
{
	memset(dk, 0, sizeof(*dk));
	dk->src_ip = pub;
	dk->dst_ip = k->dst_ip;
	dk->dst_port = k->dst_port;
	dk->proto = k->proto;
}

static uintptr_t
dest_count(const struct natgw_nat *nat, const struct natgw_flow_key *dk)
{
	void *d;

	return rte_hash_lookup_data(nat->dest, dk, &d) >= 0 ? (uintptr_t)d : 0;
}

/* Endpoint-dependent: a port is free for a destination when no session holds
 * (destination, public address, port). */
static bool
aws_port_free(const struct natgw_nat *nat, const void *arg, uint16_t port)
{
	struct natgw_flow_key ok = *(const struct natgw_flow_key *)arg;
	uint32_t sid;

	ok.dst_port = port;
	return natgw_flowtab_lookup(nat->tbl[NATGW_SIDE_OUTSIDE], &ok, &sid) < 0;
}

/* The outside key aws_outbound_new tries first for @p k: the host's first
 * address and the flow's first port. Its buckets, looked up by the probe and
 * written by the insert, are most of a new session's cache misses in a large
 * table. No guess with steered ports (the hook moves each candidate). */
static bool
aws_outbound_guess(const struct natgw_nat *nat, const struct natgw_flow_key *k,
		struct natgw_flow_key *ok)
{
	uint32_t base, span;

	probe_slice(nat, k, &base, &span);
	if (span == 0 || nat->conf.port_steer != NULL)
		return false;
	key_of(ok, k->dst_ip, k->dst_port, nat->conf.public_ip[pool_start(nat, k->src_ip)],
		rte_cpu_to_be_16((uint16_t)(base + probe_start(nat, k, span))), k->proto);
	return true;
}

static enum natgw_drop
aws_outbound_new(struct natgw_nat *nat, const struct natgw_flow_key *k, uint64_t now,
		uint32_t *sid_out)
{
	unsigned int start = pool_start(nat, k->src_ip), i;
	/* Each worker holds its share of the limit, and at least one connection
	 * (0 would read as "no limit"). */
	uint32_t limit = nat->conf.per_dest_limit == 0 ? 0 :
		RTE_MAX(nat->conf.per_dest_limit / nat->conf.n_workers, 1u);

	for (i = 0; i < nat->conf.n_public; i++) {
		uint32_t pub = nat->conf.public_ip[(start + i) % nat->conf.n_public];
		struct natgw_flow_key dk, ok;
		uintptr_t cnt;
		uint16_t port;
		uint32_t sid;

		dest_key(&dk, pub, k);
		cnt = dest_count(nat, &dk);
		if (limit && cnt >= limit)
			continue;
		key_of(&ok, k->dst_ip, k->dst_port, pub, 0, k->proto);
		/* AWS does not preserve source ports. */
		if (probe_port(nat, k, 0, aws_port_free, &ok, &ok, &port) < 0)
			continue;
		/* Take the count first: a session that exists always holds one,
		 * which is what aws_release gives back. */
		if (rte_hash_add_key_data(nat->dest, &dk, (void *)(cnt + 1)) < 0)
			return NATGW_DROP_table_full;
		sid = nat_session_alloc(nat);
		if (sid == NAT_NONE || nat_session_insert(nat, sid, k, pub, port, now, false) < 0) {
			if (cnt)
				rte_hash_add_key_data(nat->dest, &dk, (void *)cnt);
			else
				rte_hash_del_key(nat->dest, &dk);
			return NATGW_DROP_table_full;
		}
		*sid_out = sid;
		return NATGW_DROP_NONE;
	}
	return NATGW_DROP_port_alloc;
}

static enum natgw_drop
aws_inbound_new(struct natgw_nat *nat, const struct natgw_flow_key *k, uint8_t tcp_flags,
		uint64_t now, uint32_t *sid)
{
	RTE_SET_USED(nat);
	RTE_SET_USED(k);
	RTE_SET_USED(tcp_flags);
	RTE_SET_USED(now);
	RTE_SET_USED(sid);
	/* The AWS gateway only answers flows its inside opened. */
	return NATGW_DROP_no_session_inbound;
}

static void
aws_release(struct natgw_nat *nat, struct nat_session *s)
{
	struct natgw_flow_key dk, ik;
	uintptr_t cnt;

	nat_in_key(s, &ik);
	dest_key(&dk, s->pub_ip, &ik);
	cnt = dest_count(nat, &dk);
	if (cnt > 1)
		rte_hash_add_key_data(nat->dest, &dk, (void *)(cnt - 1));
	else if (cnt == 1)
		rte_hash_del_key(nat->dest, &dk);
}

const struct nat_profile_ops nat_aws_ops = {
	.outbound_new = aws_outbound_new,
	.outbound_guess = aws_outbound_guess,
	.inbound_new = aws_inbound_new,
	.release = aws_release,
	.hairpin = NULL,
	.lookup_mapping = NULL,
};

/* ------------------------------------------------------------------ rfc */

/* Mapping keys: the inside endpoint (pad[0] = 1) and the public one (pad[0] = 2)
 * share one table. */
static void
map_key_in(struct natgw_flow_key *mk, uint32_t ip, uint16_t port, uint8_t proto)
{
	memset(mk, 0, sizeof(*mk));
	mk->src_ip = ip;
	mk->src_port = port;
	mk->proto = proto;
	mk->pad[0] = 1;
}

static void
map_key_pub(struct natgw_flow_key *mk, uint32_t ip, uint16_t port, uint8_t proto)
{
	memset(mk, 0, sizeof(*mk));
	mk->dst_ip = ip;
	mk->dst_port = port;
	mk->proto = proto;
	mk->pad[0] = 2;
}

struct rfc_probe {
	uint32_t pub;
	uint8_t proto;
};

static bool
rfc_port_free(const struct natgw_nat *nat, const void *arg, uint16_t port)
{
	const struct rfc_probe *p = arg;
	struct natgw_flow_key mk;

	map_key_pub(&mk, p->pub, port, p->proto);
	return rte_hash_lookup(nat->maps, &mk) < 0;
}

static uint32_t
rfc_find_mapping(const struct natgw_nat *nat, uint32_t ip, uint16_t port, uint8_t proto, bool pub)
{
	struct natgw_flow_key mk;
	void *d;

	if (pub)
		map_key_pub(&mk, ip, port, proto);
	else
		map_key_in(&mk, ip, port, proto);
	return rte_hash_lookup_data(nat->maps, &mk, &d) >= 0 ? (uint32_t)(uintptr_t)d : NAT_NONE;
}

static uint32_t
rfc_new_mapping(struct natgw_nat *nat, const struct natgw_flow_key *k)
{
	unsigned int start = pool_start(nat, k->src_ip), i;
	uint32_t mid = nat->map_free;

	if (mid == NAT_NONE)
		return NAT_NONE;
	for (i = 0; i < nat->conf.n_public; i++) {
		struct rfc_probe p = {
			.pub = nat->conf.public_ip[(start + i) % nat->conf.n_public],
			.proto = k->proto,
		};
		struct nat_mapping *m = &nat->mapv[mid];
		struct natgw_flow_key ki, kp;
		uint16_t port;

		/* Keep the inside port where it is free: many applications
		 * assume it (common practice, not required by RFC 4787). */
		if (probe_port(nat, k, rte_be_to_cpu_16(k->src_port), rfc_port_free, &p, NULL,
				&port) < 0)
			continue;
		map_key_in(&ki, k->src_ip, k->src_port, k->proto);
		map_key_pub(&kp, p.pub, port, k->proto);
		if (rte_hash_add_key_data(nat->maps, &ki, (void *)(uintptr_t)mid) < 0)
			return NAT_NONE;
		if (rte_hash_add_key_data(nat->maps, &kp, (void *)(uintptr_t)mid) < 0) {
			rte_hash_del_key(nat->maps, &ki);
			return NAT_NONE;
		}
		nat->map_free = m->next_free;
		m->in_ip = k->src_ip;
		m->in_port = k->src_port;
		m->pub_ip = p.pub;
		m->pub_port = port;
		m->proto = k->proto;
		m->refcnt = 0;
		m->sessions = NAT_NONE;
		nat->st.mappings_active++;
		return mid;
	}
	return NAT_NONE;
}

static enum natgw_drop
rfc_attach(struct natgw_nat *nat, uint32_t mid, const struct natgw_flow_key *in_key,
		uint64_t now, bool inbound, bool hairpin, uint32_t *sid_out)
{
	struct nat_mapping *m = &nat->mapv[mid];
	uint32_t sid = nat_session_alloc(nat);
	struct nat_session *s;

	if (sid == NAT_NONE)
		return NATGW_DROP_table_full;
	if (nat_session_insert(nat, sid, in_key, m->pub_ip, m->pub_port, now, hairpin) < 0)
		return NATGW_DROP_table_full;
	s = &nat->sess[sid];
	s->inbound = inbound;
	nat->rfc_link[sid].map = mid;
	nat->rfc_link[sid].map_next = m->sessions;
	m->sessions = sid;
	m->refcnt++;
	*sid_out = sid;
	return NATGW_DROP_NONE;
}

static void
rfc_map_free(struct natgw_nat *nat, uint32_t mid)
{
	struct nat_mapping *m = &nat->mapv[mid];
	struct natgw_flow_key mk;

	map_key_in(&mk, m->in_ip, m->in_port, m->proto);
	rte_hash_del_key(nat->maps, &mk);
	map_key_pub(&mk, m->pub_ip, m->pub_port, m->proto);
	rte_hash_del_key(nat->maps, &mk);
	m->next_free = nat->map_free;
	nat->map_free = mid;
	nat->st.mappings_active--;
}

static void
rfc_release(struct natgw_nat *nat, struct nat_session *s)
{
	struct nat_mapping *m;
	uint32_t sid = (uint32_t)(s - nat->sess), *pp;
	struct nat_rfc_link *l = &nat->rfc_link[sid];

	if (l->map == NAT_NONE)
		return;
	m = &nat->mapv[l->map];
	for (pp = &m->sessions; *pp != NAT_NONE; pp = &nat->rfc_link[*pp].map_next)
		if (*pp == sid) {
			*pp = l->map_next;
			break;
		}
	/* The mapping lives as long as a session uses it (RFC 4787 REQ-5). */
	if (--m->refcnt == 0)
		rfc_map_free(nat, l->map);
	l->map = NAT_NONE;
}

static enum natgw_drop
rfc_outbound(struct natgw_nat *nat, const struct natgw_flow_key *k, uint64_t now,
		bool hairpin, uint32_t *sid)
{
	uint32_t mid = rfc_find_mapping(nat, k->src_ip, k->src_port, k->proto, false);
	bool fresh = false;
	enum natgw_drop why;

	if (mid == NAT_NONE) {
		if (nat->map_free == NAT_NONE || nat->free_head == NAT_NONE)
			return NATGW_DROP_table_full;
		mid = rfc_new_mapping(nat, k);
		if (mid == NAT_NONE)
			return NATGW_DROP_port_alloc;
		fresh = true;
	}
	why = rfc_attach(nat, mid, k, now, false, hairpin, sid);
	/* Undo a mapping made for a session that could not be. */
	if (why != NATGW_DROP_NONE && fresh)
		rfc_map_free(nat, mid);
	return why;
}

static enum natgw_drop
rfc_outbound_new(struct natgw_nat *nat, const struct natgw_flow_key *k, uint64_t now,
		uint32_t *sid)
{
	return rfc_outbound(nat, k, now, false, sid);
}

static enum natgw_drop
rfc_inbound(struct natgw_nat *nat, const struct natgw_flow_key *k, uint8_t tcp_flags,
		uint64_t now, bool hairpin, uint32_t *sid)
{
	uint32_t mid, x;
	struct nat_mapping *m;
	struct natgw_flow_key in_key;

	if (nat->conf.filtering == NATGW_FILTER_APDF || k->proto == IPPROTO_ICMP)
		return NATGW_DROP_no_session_inbound;
	/* Only a SYN may open a TCP connection from outside (RFC 5382 REQ-4's
	 * simultaneous open and endpoint-independent filtering), and only from
	 * a unicast source: a session's remote end is one host. */
	if ((k->proto == IPPROTO_TCP && !nat_tcp_opens(tcp_flags)) ||
			!nat_dst_unicast(k->src_ip))
		return NATGW_DROP_no_session_inbound;
	mid = rfc_find_mapping(nat, k->dst_ip, k->dst_port, k->proto, true);
	if (mid == NAT_NONE)
		return NATGW_DROP_no_session_inbound;
	m = &nat->mapv[mid];
	if (nat->conf.filtering == NATGW_FILTER_ADF) {
		for (x = m->sessions; x != NAT_NONE; x = nat->rfc_link[x].map_next)
			if (nat->sess[x].rem_ip == k->src_ip)
				break;
		if (x == NAT_NONE)
			return NATGW_DROP_no_session_inbound;
	}
	key_of(&in_key, m->in_ip, m->in_port, k->src_ip, k->src_port, k->proto);
	return rfc_attach(nat, mid, &in_key, now, true, hairpin, sid);
}

static enum natgw_drop
rfc_inbound_new(struct natgw_nat *nat, const struct natgw_flow_key *k, uint8_t tcp_flags,
		uint64_t now, uint32_t *sid)
{
	return rfc_inbound(nat, k, tcp_flags, now, false, sid);
}

/* A hairpin leg still alive at @p now; one whose deadline passed ends here. */
static uint32_t
hairpin_leg(struct natgw_nat *nat, enum natgw_side side, const struct natgw_flow_key *k,
		uint64_t now)
{
	uint32_t sid = nat_hairpin_lookup(nat, side, k);

	if (sid != NAT_NONE && now >= nat_session_deadline(nat, &nat->sess[sid])) {
		nat_session_end(nat, sid, nat_end_of(&nat->sess[sid]),
			nat_session_deadline(nat, &nat->sess[sid]));
		sid = NAT_NONE;
	}
	return sid;
}

/*
 * Hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8): the packet leaves through the
 * sender's endpoint-independent mapping (its source becomes the sender's public
 * endpoint, REQ-9a's "external source IP address and port") and arrives at the
 * receiver's as if from outside, through the same filtering. ICMP errors about
 * a hairpinned flow take the same two legs (RFC 5508 REQ-7). Both legs are
 * sessions of their own, kept out of the flow tables.
 */
static enum natgw_drop
rfc_hairpin(struct natgw_nat *nat, const struct natgw_pkt_info *pi, uint64_t now,
		uint32_t *s1, uint32_t *s2)
{
	const struct natgw_flow_key *k = &pi->key;
	bool err = (pi->flags & NATGW_PKT_F_ICMP_ERR) != 0;
	const struct nat_session *a;
	struct natgw_flow_key k2;
	enum natgw_drop why;

	/* An ICMP query to a public address is for the NAT itself, which does
	 * not answer; fragments are not tracked across a hairpin. */
	if ((k->proto == IPPROTO_ICMP && !err) || (pi->flags & NATGW_PKT_F_FRAG))
		return NATGW_DROP_hairpin;
	*s1 = hairpin_leg(nat, NATGW_SIDE_INSIDE, k, now);
	if (*s1 == NAT_NONE) {
		if (err)
			return NATGW_DROP_icmp_err_no_session;
		if (k->proto == IPPROTO_TCP && !nat_tcp_opens(pi->tcp_flags))
			return NATGW_DROP_tcp_not_syn;
		nat->st.metric[NATGW_M_ConnectionAttemptCount]++;
		why = rfc_outbound(nat, k, now, true, s1);
		if (why == NATGW_DROP_port_alloc)
			nat->st.metric[NATGW_M_ErrorPortAllocation]++;
		if (why != NATGW_DROP_NONE)
			return why;
	}
	a = &nat->sess[*s1];
	key_of(&k2, a->pub_ip, a->pub_port, k->dst_ip, k->dst_port, k->proto);
	*s2 = hairpin_leg(nat, NATGW_SIDE_OUTSIDE, &k2, now);
	if (*s2 != NAT_NONE)
		return NATGW_DROP_NONE;
	if (err)
		return NATGW_DROP_icmp_err_no_session;
	why = rfc_inbound(nat, &k2, pi->tcp_flags, now, true, s2);
	/* No receiver: the packet was for the NAT's own address. */
	return why == NATGW_DROP_no_session_inbound ? NATGW_DROP_hairpin : why;
}

static bool
rfc_lookup_mapping(const struct natgw_nat *nat, const struct natgw_flow_key *in_key,
		uint32_t *pub_ip, uint16_t *pub_port)
{
	uint32_t mid = rfc_find_mapping(nat, in_key->src_ip, in_key->src_port, in_key->proto, false);

	if (mid == NAT_NONE)
		return false;
	*pub_ip = nat->mapv[mid].pub_ip;
	*pub_port = nat->mapv[mid].pub_port;
	return true;
}

const struct nat_profile_ops nat_rfc_ops = {
	.outbound_new = rfc_outbound_new,
	.inbound_new = rfc_inbound_new,
	.release = rfc_release,
	.hairpin = rfc_hairpin,
	.lookup_mapping = rfc_lookup_mapping,
};
