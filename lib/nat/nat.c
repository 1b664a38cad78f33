/* SPDX-License-Identifier: BSD-3-Clause */
/* The engine's life cycle and its fast path: bulk lookup, precomputed rewrite. */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#include "natgw_csum.h"
#include "nat_private.h"

RTE_LOG_REGISTER_DEFAULT(natgw_nat_logtype, INFO);

#define NS 1000000000ull

static const char *const metric_names[NATGW_M_MAX] = {
#define NATGW_M_NAME(n) #n,
	NATGW_METRICS(NATGW_M_NAME)
#undef NATGW_M_NAME
};

static const char *const timeout_names[NATGW_TO_MAX] = {
#define NATGW_TO_NAME(n) #n,
	NATGW_TIMEOUTS(NATGW_TO_NAME)
#undef NATGW_TO_NAME
};

const char *
natgw_metric_name(enum natgw_metric m)
{
	return m < NATGW_M_MAX ? metric_names[m] : "?";
}

const char *
natgw_timeout_name(enum natgw_timeout t)
{
	return t < NATGW_TO_MAX ? timeout_names[t] : "?";
}

const char *
natgw_profile_name(enum natgw_profile p)
{
	return p == NATGW_PROFILE_RFC ? "rfc" : "aws";
}

const char *
natgw_filtering_name(enum natgw_filtering f)
{
	switch (f) {
	case NATGW_FILTER_ADF:
		return "adf";
	case NATGW_FILTER_APDF:
		return "apdf";
	default:
		return "eif";
	}
}

const char *
natgw_end_name(enum natgw_end e)
{
	static const char *const n[] = {"active", "fin", "rst", "idle", "flushed"};

	return (unsigned int)e < RTE_DIM(n) ? n[e] : "?";
}

void
natgw_nat_conf_defaults(struct natgw_nat_conf *c, enum natgw_profile profile)
{
	memset(c, 0, sizeof(*c));
	c->profile = profile;
	c->max_sessions = 1u << 18;
	c->port_lo = 1024;
	c->port_hi = 65535;
	c->n_workers = 1;
	c->socket_id = SOCKET_ID_ANY;
	c->keep_flow_log = true;
	if (profile == NATGW_PROFILE_AWS) {
		/* AWS NAT gateway documentation: 350 s idle timeout for every
		 * connection, 55,000 simultaneous connections to each unique
		 * destination per address, MTU 8500, UDP fragments only, RST for
		 * packets continuing a timed-out connection. Closed connections are
		 * held as RFC 7857 asks (AWS does not document it). */
		c->filtering = NATGW_FILTER_APDF;
		c->per_dest_limit = 55000;
		c->mtu = 8500;
		c->timeout_ns[NATGW_TO_tcp_syn] = 350 * NS;
		c->timeout_ns[NATGW_TO_tcp_est] = 350 * NS;
		c->timeout_ns[NATGW_TO_tcp_trans] = 240 * NS;
		c->timeout_ns[NATGW_TO_udp] = 350 * NS;
		c->timeout_ns[NATGW_TO_icmp] = 350 * NS;
		c->frag_udp = true;
		c->frag_tcp_icmp = false;
		c->rst_on_stale = true;
	} else {
		/* RFC 5382 REQ-5 (2 h 4 min established, 4 min transitory), RFC 4787
		 * REQ-5 (UDP at least 2 min, 5 min or more recommended as the
		 * default), RFC 5508 REQ-2 (ICMP query at least 60 s). */
		c->filtering = NATGW_FILTER_EIF;
		c->per_dest_limit = 0;
		c->mtu = 9000;
		c->timeout_ns[NATGW_TO_tcp_syn] = 240 * NS;
		c->timeout_ns[NATGW_TO_tcp_est] = 7440 * NS;
		c->timeout_ns[NATGW_TO_tcp_trans] = 240 * NS;
		c->timeout_ns[NATGW_TO_udp] = 300 * NS;
		c->timeout_ns[NATGW_TO_icmp] = 60 * NS;
		c->frag_udp = true;
		c->frag_tcp_icmp = true;
		c->rst_on_stale = false;
		/* RFC 4787 REQ-13 (and RFC 5508 REQ-10): "fragmentation needed"
		 * for a DF packet too big to forward; REQ-3a: low ports stay low. */
		c->icmp_frag_needed = true;
		c->port_range_preserve = true;
	}
}

void
natgw_nat_port_slice(const struct natgw_nat_conf *c, unsigned int worker, uint32_t *base,
		uint32_t *span)
{
	*span = (uint32_t)(c->port_hi - c->port_lo + 1) / c->n_workers;
	*base = c->port_lo + worker * *span;
}

bool
natgw_nat_is_inside(const struct natgw_nat_conf *c, uint32_t ip)
{
	uint32_t h = rte_be_to_cpu_32(ip);
	unsigned int i;

	for (i = 0; i < c->n_inside; i++)
		if ((h & c->inside[i].mask) == c->inside[i].addr)
			return true;
	return false;
}

int
natgw_nat_conf_check(const struct natgw_nat_conf *c, char *err, size_t errlen)
{
	unsigned int i, j;

	if (c->n_public < 1 || c->n_public > NATGW_MAX_PUBLIC) {
		snprintf(err, errlen, "need 1 to %d public addresses, got %u",
			NATGW_MAX_PUBLIC, c->n_public);
		return -1;
	}
	if (c->n_inside < 1 || c->n_inside > NATGW_MAX_INSIDE) {
		snprintf(err, errlen, "need 1 to %d inside networks, got %u",
			NATGW_MAX_INSIDE, c->n_inside);
		return -1;
	}
	for (i = 0; i < c->n_public; i++) {
		uint32_t h = rte_be_to_cpu_32(c->public_ip[i]);
		const char *what = natgw_nat_is_inside(c, c->public_ip[i]) ?
			"is inside an inside network" : NULL;

		for (j = 0; j < i && what == NULL; j++)
			if (c->public_ip[j] == c->public_ip[i])
				what = "given twice";
		if (what) {
			snprintf(err, errlen, "public address %u.%u.%u.%u %s", h >> 24,
				(h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff, what);
			return -1;
		}
	}
	if (c->port_lo == 0 || c->port_lo > c->port_hi) {
		snprintf(err, errlen, "bad public port range %u-%u", c->port_lo, c->port_hi);
		return -1;
	}
	if (c->port_range_preserve && c->port_lo < 1024) {
		snprintf(err, errlen, "port range preservation keeps 1-1023 for inside ports "
			"below 1024: the public range must start above 1023, not at %u", c->port_lo);
		return -1;
	}
	if (c->n_workers < 1 || c->worker_id >= c->n_workers ||
			(uint32_t)(c->port_hi - c->port_lo + 1) < c->n_workers) {
		snprintf(err, errlen, "bad worker %u of %u", c->worker_id, c->n_workers);
		return -1;
	}
	if (c->max_sessions < 64 || c->max_sessions > (1u << 26)) {
		snprintf(err, errlen, "max sessions %u out of range 64..%u", c->max_sessions, 1u << 26);
		return -1;
	}
	if (c->mtu < 576) {
		snprintf(err, errlen, "MTU %u below IPv4's minimum of 576", c->mtu);
		return -1;
	}
	for (i = 0; i < NATGW_TO_MAX; i++)
		if (c->timeout_ns[i] < NS) {
			snprintf(err, errlen, "timeout %s below 1 s", timeout_names[i]);
			return -1;
		}
	return 0;
}

/*
 * The tables' hash of a 16-byte key: CRC32-C of its two 8-byte halves, the
 * value rte_hash_crc() gives with SSE4.2, without its length loop and per-word
 * capability test (a third of the lookup's instructions at 1,000 sessions).
 */
static uint32_t
key_hash(const void *key, uint32_t len, uint32_t init)
{
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
	uint64_t a, b;

	RTE_SET_USED(len);
	memcpy(&a, key, 8);
	memcpy(&b, (const uint8_t *)key + 8, 8);
	return (uint32_t)_mm_crc32_u64(_mm_crc32_u64(init, a), b);
#else
	return rte_hash_crc(key, len, init);
#endif
}

static struct rte_hash *
make_table(const char *name, const char *what, uint32_t entries, int socket)
{
	char n[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.entries = entries,
		.key_len = sizeof(struct natgw_flow_key),
		.hash_func = key_hash,
		.socket_id = socket,
		/* Extendable buckets: an insert fails only when the table is full,
		 * never because a bucket pair is, so capacity is what was asked. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	snprintf(n, sizeof(n), "%s_%s", what, name);
	p.name = n;
	return rte_hash_create(&p);
}

struct natgw_nat *
natgw_nat_create(const char *name, const struct natgw_nat_conf *conf, char *err, size_t errlen)
{
	struct natgw_nat *nat;
	uint32_t i, n;

	if (natgw_nat_conf_check(conf, err, errlen) < 0)
		return NULL;
	nat = rte_zmalloc_socket("natgw_nat", sizeof(*nat), RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (nat == NULL)
		goto nomem;
	nat->conf = *conf;
	nat->ops = conf->profile == NATGW_PROFILE_RFC ? &nat_rfc_ops : &nat_aws_ops;
	n = conf->max_sessions;
	nat->tbl[NATGW_SIDE_INSIDE] = natgw_flowtab_create("natgw_in2out", n, conf->socket_id);
	nat->tbl[NATGW_SIDE_OUTSIDE] = natgw_flowtab_create("natgw_out2in", n, conf->socket_id);
	nat->frags = make_table(name, "frag", RTE_MAX(n / 16, 1024u), conf->socket_id);
	if (!nat->tbl[0] || !nat->tbl[1] || !nat->frags)
		goto nomem;
	nat->fragv = rte_zmalloc_socket("natgw_frags",
			sizeof(*nat->fragv) * ((size_t)rte_hash_max_key_id(nat->frags) + 1),
			RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (nat->fragv == NULL)
		goto nomem;
	if (conf->profile == NATGW_PROFILE_AWS) {
		nat->dest = make_table(name, "dest", n, conf->socket_id);
		if (!nat->dest)
			goto nomem;
	} else {
		/* Each mapping has a key each way. */
		nat->maps = make_table(name, "map", 2 * n, conf->socket_id);
		nat->mapv = rte_zmalloc_socket("natgw_maps", sizeof(*nat->mapv) * n,
				RTE_CACHE_LINE_SIZE, conf->socket_id);
		nat->rfc_link = rte_zmalloc_socket("natgw_rfc_links", sizeof(*nat->rfc_link) * n,
				RTE_CACHE_LINE_SIZE, conf->socket_id);
		/* Hairpin legs: two keys each, at most one leg a session. */
		nat->hp = make_table(name, "hp", 2 * n, conf->socket_id);
		if (!nat->maps || !nat->mapv || !nat->rfc_link || !nat->hp)
			goto nomem;
		for (i = 0; i < n; i++)
			nat->mapv[i].next_free = i + 1 < n ? i + 1 : NAT_NONE;
		nat->map_free = 0;
	}
	nat->sess = rte_zmalloc_socket("natgw_sessions", sizeof(*nat->sess) * n,
			RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (nat->sess == NULL)
		goto nomem;
	if (conf->classifier.classify != NULL) {
		nat->sess_name = rte_zmalloc_socket("natgw_sess_names",
			sizeof(*nat->sess_name) * n, 0, conf->socket_id);
		if (nat->sess_name == NULL)
			goto nomem;
	}
	for (i = 0; i < n; i++)
		nat->sess[i].tw_next = i + 1 < n ? i + 1 : NAT_NONE;
	nat->free_head = 0;
	for (i = 0; i < NAT_TW_SLOTS; i++)
		nat->tw_head[i] = NAT_NONE;
	natgw_nat_port_slice(conf, conf->worker_id, &nat->port_base, &nat->port_span);
	nat->low_span = 1023 / conf->n_workers;
	nat->low_base = 1 + conf->worker_id * nat->low_span;
	/* A fixed seed: the same input must give the same ports. */
	nat->seed = 0x6e617467u + conf->worker_id;
	return nat;
nomem:
	snprintf(err, errlen, "cannot allocate the session tables for %u sessions "
		"(raise -m or lower --max-sessions)", conf->max_sessions);
	natgw_nat_free(nat);
	return NULL;
}

void
natgw_nat_free(struct natgw_nat *nat)
{
	if (nat == NULL)
		return;
	natgw_flowtab_free(nat->tbl[0]);
	natgw_flowtab_free(nat->tbl[1]);
	rte_hash_free(nat->frags);
	rte_free(nat->fragv);
	rte_hash_free(nat->dest);
	rte_hash_free(nat->maps);
	rte_hash_free(nat->hp);
	rte_free(nat->mapv);
	rte_free(nat->rfc_link);
	rte_free(nat->sess);
	free(nat->spill);
	free(nat->log);
	nat_acct_free(nat);
	rte_free(nat);
}

const struct natgw_nat_stats *
natgw_nat_stats(const struct natgw_nat *nat)
{
	return &nat->st;
}

const struct natgw_nat_conf *
natgw_nat_conf(const struct natgw_nat *nat)
{
	return &nat->conf;
}

const struct natgw_flow_record *
natgw_nat_flow_log(const struct natgw_nat *nat, size_t *n)
{
	*n = nat->log_n;
	return nat->log;
}

bool
natgw_nat_public_endpoint(const struct natgw_nat *nat, uint8_t proto, uint32_t in_ip,
		uint16_t in_port, uint32_t rem_ip, uint16_t rem_port,
		uint32_t *pub_ip, uint16_t *pub_port)
{
	struct natgw_flow_key k = {
		.src_ip = in_ip, .dst_ip = rem_ip,
		.src_port = in_port, .dst_port = rem_port, .proto = proto,
	};
	uint32_t sid;

	if (natgw_flowtab_lookup(nat->tbl[NATGW_SIDE_INSIDE], &k, &sid) == 0) {
		const struct nat_session *s = &nat->sess[sid];

		*pub_ip = s->pub_ip;
		*pub_port = s->pub_port;
		return true;
	}
	return nat->ops->lookup_mapping && nat->ops->lookup_mapping(nat, &k, pub_ip, pub_port);
}

/* ------------------------------------------------------------------ fast path */

static inline void
drop(struct natgw_nat *nat, struct rte_mbuf *m, enum natgw_drop why)
{
	nat->st.drop[why]++;
	if (natgw_drop_counted(why))
		nat->st.metric[NATGW_M_PacketsDropCount]++;
	rte_pktmbuf_free(m);
}

/*
 * CloudWatch counts connections the VPC's clients open: attempts in the slow
 * path, establishments here. Sessions an inbound packet opened (`rfc` with
 * endpoint-independent filtering) are in neither, so that established never
 * exceeds attempted.
 */
static inline void
count_established(struct natgw_nat *nat, struct nat_session *s)
{
	if (!s->est_counted && !s->inbound) {
		s->est_counted = 1;
		nat->st.metric[NATGW_M_ConnectionEstablishedCount]++;
	}
}

/* Follow the TCP handshake and teardown; counts established connections. */
static void
tcp_track(struct natgw_nat *nat, struct nat_session *s, enum natgw_side side, uint8_t fl)
{
	enum natgw_side opener = s->inbound ? NATGW_SIDE_OUTSIDE : NATGW_SIDE_INSIDE;
	uint8_t old = s->tcp_state;

	if (fl & RTE_TCP_RST_FLAG) {
		s->tcp_state = NAT_TCP_RESET;
	} else if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG &&
			side == opener && (old == NAT_TCP_CLOSED || old == NAT_TCP_RESET)) {
		/* A new connection on the same 5-tuple (TIME_WAIT reuse). */
		s->tcp_state = NAT_TCP_SYN_SENT;
		s->fin_seen = 0;
		s->est_counted = 0;
		if (!s->inbound)
			nat->st.metric[NATGW_M_ConnectionAttemptCount]++;
		nat_tcp_opened(nat);
	} else if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) ==
			(RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG) &&
			side != opener && old == NAT_TCP_SYN_SENT) {
		s->tcp_state = NAT_TCP_EST;
		count_established(nat, s);
	} else if (old == NAT_TCP_RESET) {
		/* RFC 7857 section 2.2 with RFC 6146's TRANS state: a RST holds
		 * the session 4 minutes, and a packet other than a RST in that
		 * time shows the connection lives on (the RST was lost, or out of
		 * window and ignored): it is established again. */
		s->tcp_state = NAT_TCP_EST;
		nat_tcp_opened(nat);
	}
	if ((fl & RTE_TCP_FIN_FLAG) && s->tcp_state != NAT_TCP_RESET) {
		s->fin_seen |= 1u << side;
		s->tcp_state = s->fin_seen == 3 ? NAT_TCP_CLOSED : NAT_TCP_FIN_WAIT;
	}
	if (s->tcp_state == old)
		return;
	if ((s->tcp_state == NAT_TCP_CLOSED || s->tcp_state == NAT_TCP_RESET) &&
			old != NAT_TCP_CLOSED && old != NAT_TCP_RESET)
		nat->st.active_tcp--;
	nat_set_class(nat, s);
}

/* Count a first reply for protocols without a handshake. */
static inline void
note_answer(struct natgw_nat *nat, struct nat_session *s, enum natgw_side side)
{
	enum natgw_side opener = s->inbound ? NATGW_SIDE_OUTSIDE : NATGW_SIDE_INSIDE;

	if (side != opener)
		count_established(nat, s);
}

/* The fragment table's key: a datagram is (source, destination, IP ID,
 * protocol) as it arrived, on the side it arrived on. */
static void
frag_key(struct natgw_flow_key *fk, enum natgw_side side, const struct natgw_pkt_info *pi)
{
	memset(fk, 0, sizeof(*fk));
	fk->src_ip = pi->key.src_ip;
	fk->dst_ip = pi->key.dst_ip;
	fk->src_port = pi->ip_id;
	fk->proto = pi->key.proto;
	fk->pad[0] = (uint8_t)(side + 1);
}

/* Whether the session in slot @p sid is still the one a fragment entry saw:
 * the same start, protocol, and the datagram's addresses as its endpoints. */
static bool
frag_same_session(const struct natgw_nat *nat, const struct nat_frag *f, enum natgw_side side,
		const struct natgw_pkt_info *pi)
{
	const struct nat_session *s = &nat->sess[f->sid];

	if (s->proto == 0 || s->proto != f->proto || s->first_ns != f->first_ns)
		return false;
	if (side == NATGW_SIDE_INSIDE)
		return pi->key.src_ip == s->in_ip && pi->key.dst_ip == s->rem_ip;
	return pi->key.src_ip == s->rem_ip && pi->key.dst_ip == s->pub_ip;
}

static bool
frag_stale(const struct nat_frag *f, uint64_t now)
{
	return now - f->t_ns > NAT_FRAG_TIMEOUT_NS;
}

/* Remember which session a first fragment belongs to, for the fragments after it. */
static void
frag_track(struct natgw_nat *nat, enum natgw_side side, const struct natgw_pkt_info *pi,
		uint32_t sid, uint64_t now)
{
	struct natgw_flow_key fk;
	int32_t pos;

	frag_key(&fk, side, pi);
	pos = rte_hash_add_key(nat->frags, &fk);
	if (pos == -ENOSPC) {
		/* Full: sweep out the stale entries once and try again. */
		const void *key;
		void *data;
		uint32_t it = 0;
		int32_t p;

		while ((p = rte_hash_iterate(nat->frags, &key, &data, &it)) >= 0)
			if (frag_stale(&nat->fragv[p], now))
				rte_hash_del_key(nat->frags, key);
		pos = rte_hash_add_key(nat->frags, &fk);
	}
	/* Still full: the later fragments will be dropped as frag_no_session. */
	if (pos < 0)
		return;
	nat->fragv[pos].sid = sid;
	nat->fragv[pos].proto = nat->sess[sid].proto;
	nat->fragv[pos].first_ns = nat->sess[sid].first_ns;
	nat->fragv[pos].t_ns = now;
}

static int
frag_lookup(struct natgw_nat *nat, enum natgw_side side, const struct natgw_pkt_info *pi,
		uint64_t now, uint32_t *sid)
{
	struct natgw_flow_key fk;
	const struct nat_frag *f;
	int32_t pos;

	frag_key(&fk, side, pi);
	pos = rte_hash_lookup(nat->frags, &fk);
	if (pos < 0)
		return -1;
	f = &nat->fragv[pos];
	/* Too old, or its session ended (and the slot may serve another
	 * session since: its start and endpoints tell). */
	if (frag_stale(f, now) || !frag_same_session(nat, f, side, pi)) {
		rte_hash_del_key(nat->frags, &fk);
		return -1;
	}
	*sid = f->sid;
	return 0;
}

/* Apply an unfolded sum of checksum deltas (below 2^20) to checksum field
 * value @p csum: RFC 1624 eqn. 3 with a single fold, the same result as
 * folding after each delta (ones'-complement addition is associative). */
static inline uint16_t
csum_apply_sum(uint16_t csum, uint32_t deltas)
{
	return (uint16_t)~natgw_csum_fold((uint32_t)(uint16_t)~csum + deltas);
}

/* Rewrite the outer IPv4 header's translated address and decrement TTL. */
static inline void
xlate_ip(uint8_t *ip, enum natgw_side side, const struct nat_session *s)
{
	uint16_t ttlw = natgw_rd16(ip + 8);
	/* TTL and protocol as one word, the TTL (above 1 here) decremented in a
	 * register: a byte store followed by a word load of the same bytes
	 * would stall on store forwarding (measured: a third of this
	 * function's time). */
	uint16_t nttlw = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ttlw) - 0x100));
	uint32_t a = side == NATGW_SIDE_INSIDE ? s->pub_ip : s->in_ip;
	uint32_t d = side == NATGW_SIDE_INSIDE ? s->d_ip : natgw_csum_negate(s->d_ip);

	natgw_wr16(ip + 8, nttlw);
	d += (uint16_t)~ttlw + (uint32_t)nttlw;
	memcpy(ip + (side == NATGW_SIDE_INSIDE ? 12 : 16), &a, 4);
	natgw_wr16(ip + 10, csum_apply_sum(natgw_rd16(ip + 10), d));
}

/* Rewrite the transport port (or ICMP id) and its checksum: the port's change,
 * and for TCP and UDP the address's too (their pseudo-header covers it). */
static __rte_always_inline void
xlate_l4(uint8_t *l4, enum natgw_side side, const struct nat_session *s, uint8_t proto)
{
	bool out = side == NATGW_SIDE_INSIDE;
	uint16_t from = out ? s->in_port : s->pub_port, to = out ? s->pub_port : s->in_port;
	uint32_t d = (uint32_t)(uint16_t)~from + to;
	uint8_t *cs = l4 + natgw_l4_csum_off(proto);
	uint16_t c = natgw_rd16(cs);

	if (proto != IPPROTO_ICMP)
		d += out ? s->d_ip : natgw_csum_negate(s->d_ip);
	natgw_wr16(l4 + natgw_l4_port_off(proto, out), to);
	if (proto == IPPROTO_UDP) {
		/* 0 is "no checksum" and stays; a computed 0 is sent as 0xffff. */
		if (c != 0) {
			c = csum_apply_sum(c, d);
			natgw_wr16(cs, c == 0 ? 0xffff : c);
		}
	} else {
		natgw_wr16(cs, csum_apply_sum(c, d));
	}
}

/* Whether @p ip is one of the NAT's public addresses. */
static bool
is_public(const struct natgw_nat_conf *c, uint32_t ip)
{
	unsigned int i;

	for (i = 0; i < c->n_public; i++)
		if (c->public_ip[i] == ip)
			return true;
	return false;
}

static inline bool
frag_allowed(const struct natgw_nat *nat, uint8_t proto)
{
	return proto == IPPROTO_UDP ? nat->conf.frag_udp : nat->conf.frag_tcp_icmp;
}

/* Reasons found in the transport header, past a valid IPv4 header. */
static inline bool
l4_reason(enum natgw_drop r)
{
	return r == NATGW_DROP_l4_truncated || r == NATGW_DROP_tcp_bad_offset ||
		r == NATGW_DROP_icmp_type || r == NATGW_DROP_icmp_err_truncated ||
		r == NATGW_DROP_icmp_err_no_session;
}

/* A packet without a session: the slow path makes one or says why not. */
static enum natgw_drop
slow_path(struct natgw_nat *nat, enum natgw_side side, const struct natgw_pkt_info *pi,
		uint64_t now, uint32_t *sid)
{
	const struct natgw_flow_key *k = &pi->key;
	enum natgw_drop why;

	if (pi->flags & NATGW_PKT_F_ICMP_ERR)
		return NATGW_DROP_icmp_err_no_session;
	if (side == NATGW_SIDE_OUTSIDE)
		return nat->ops->inbound_new(nat, k, pi->tcp_flags, now, sid);
	if (!natgw_nat_is_inside(&nat->conf, k->src_ip))
		return NATGW_DROP_src_not_inside;
	if (!nat_dst_unicast(k->dst_ip))
		return NATGW_DROP_dst_not_unicast;
	if (natgw_nat_is_inside(&nat->conf, k->dst_ip))
		return NATGW_DROP_dst_inside;
	if (is_public(&nat->conf, k->dst_ip))
		return NATGW_DROP_hairpin;
	if (k->proto == IPPROTO_TCP && !nat_tcp_opens(pi->tcp_flags))
		return NATGW_DROP_tcp_not_syn;
	if (k->proto == IPPROTO_ICMP && (pi->flags & NATGW_PKT_F_ICMP_REPLY))
		return NATGW_DROP_icmp_type;
	if (nat->conf.classifier.admit &&
			!nat->conf.classifier.admit(nat->conf.classifier.arg, k))
		return NATGW_DROP_policy_denied;
	nat->st.metric[NATGW_M_ConnectionAttemptCount]++;
	why = nat->ops->outbound_new(nat, k, now, sid);
	if (why == NATGW_DROP_port_alloc)
		nat->st.metric[NATGW_M_ErrorPortAllocation]++;
	return why;
}

/* A packet's share of the ceiling's budget, or why there is none left. */
static inline enum natgw_drop
spend(struct natgw_nat *nat, uint32_t len)
{
	if (nat->budget_pkts == 0) {
		nat->st.ceiling_bytes += len;
		return NATGW_DROP_packet_rate_ceiling;
	}
	if (nat->budget_bytes < len) {
		nat->st.ceiling_bytes += len;
		return NATGW_DROP_bandwidth_ceiling;
	}
	nat->budget_pkts--;
	nat->budget_bytes -= len;
	return NATGW_DROP_NONE;
}

void
natgw_nat_set_budget(struct natgw_nat *nat, uint64_t bytes, uint64_t pkts)
{
	nat->limited = true;
	nat->budget_bytes = bytes;
	nat->budget_pkts = pkts;
}

void
natgw_nat_unlimit(struct natgw_nat *nat)
{
	nat->limited = false;
}

/* A packet the NAT made, sent back out of the side @p m arrived on. */
static void
send_made(struct natgw_nat *nat, enum natgw_side side, struct rte_mbuf *m, uint32_t len,
		struct natgw_nat_out *out)
{
	nat->st.metric[side == NATGW_SIDE_INSIDE ? NATGW_M_PacketsOutToSource :
		NATGW_M_PacketsOutToDestination]++;
	nat->st.metric[side == NATGW_SIDE_INSIDE ? NATGW_M_BytesOutToSource :
		NATGW_M_BytesOutToDestination] += len;
	out->pkts[side][out->n[side]++] = m;
}

/*
 * A packet over the MTU. With DF set, the `rfc` profile answers "fragmentation
 * needed" with the MTU (RFC 4787 REQ-13, RFC 1191); from outside only for a
 * packet of a session, so that the NAT answers no stranger. Never about an
 * ICMP error (RFC 1122 section 3.2.2) or a non-first fragment.
 */
static void
too_big(struct natgw_nat *nat, enum natgw_side side, struct rte_mbuf *m,
		struct natgw_pkt_info *pi, struct natgw_nat_out *out)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *ip = frame + pi->l3_off;
	uint32_t sid, src = nat->conf.public_ip[0];
	uint16_t len;

	if (!nat->conf.icmp_frag_needed || !(ip[6] & 0x40) ||
			(pi->flags & (NATGW_PKT_F_ICMP_ERR | NATGW_PKT_F_FRAG)) ||
			(side == NATGW_SIDE_OUTSIDE &&
			natgw_flowtab_lookup(nat->tbl[side], &pi->key, &sid) < 0)) {
		drop(nat, m, NATGW_DROP_mtu_exceeded);
		return;
	}
	if (side == NATGW_SIDE_OUTSIDE)
		src = pi->key.dst_ip;
	/* Still a drop: the packet itself goes nowhere. */
	nat->st.drop[NATGW_DROP_mtu_exceeded]++;
	nat->st.metric[NATGW_M_PacketsDropCount]++;
	len = rte_pktmbuf_data_len(m);
	nat_make_icmp_err(frame, pi, &len, src, 3, 4, nat->conf.mtu);
	rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - len);
	nat->st.icmp_sent[side]++;
	nat->st.icmp_bytes[side] += pi->ip_len;
	send_made(nat, side, m, pi->ip_len, out);
}

/*
 * An inside packet to one of the NAT's public addresses: the profile hairpins
 * it back inside (`rfc`) or it is dropped. Both legs' translations are applied
 * in turn, with one TTL decrement; the packet is counted once, as delivered to
 * the inside (PacketsOutToSource, the receiving leg's packets from outside).
 */
static void
hairpin_packet(struct natgw_nat *nat, struct rte_mbuf *m, struct natgw_pkt_info *pi,
		uint64_t now, struct natgw_nat_out *out)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *), *ip = frame + pi->l3_off, mac[6];
	enum natgw_drop why = NATGW_DROP_hairpin;
	struct nat_session *a, *b;
	uint32_t s1, s2, src;
	uint16_t ttlw;

	memcpy(&src, ip + 12, 4);
	if (!natgw_nat_is_inside(&nat->conf, src))
		why = NATGW_DROP_src_not_inside;
	else if (nat->ops->hairpin != NULL)
		why = nat->ops->hairpin(nat, pi, now, &s1, &s2);
	if (why != NATGW_DROP_NONE) {
		drop(nat, m, why);
		return;
	}
	a = &nat->sess[s1];
	b = &nat->sess[s2];
	ttlw = natgw_rd16(ip + 8);
	natgw_pkt_rewrite(frame, pi, false, a->pub_ip, a->pub_port);
	natgw_pkt_rewrite(frame, pi, true, b->in_ip, b->in_port);
	ip[8]--;
	natgw_wr16(ip + 10, natgw_csum_apply(natgw_rd16(ip + 10),
		natgw_csum_delta16(ttlw, natgw_rd16(ip + 8))));
	/* Back out of the port it came in by: from the gateway's MAC. */
	memcpy(mac, frame, 6);
	memcpy(frame, frame + 6, 6);
	memcpy(frame + 6, mac, 6);
	if (!(pi->flags & NATGW_PKT_F_ICMP_ERR)) {
		a->last_ns = now;
		b->last_ns = now;
		if (a->proto == IPPROTO_TCP) {
			tcp_track(nat, a, NATGW_SIDE_INSIDE, pi->tcp_flags);
			tcp_track(nat, b, NATGW_SIDE_OUTSIDE, pi->tcp_flags);
		} else {
			note_answer(nat, b, NATGW_SIDE_OUTSIDE);
		}
	}
	if (unlikely(b->pkts[NATGW_SIDE_OUTSIDE] == UINT32_MAX ||
			b->bytes[NATGW_SIDE_OUTSIDE] > UINT32_MAX - pi->ip_len))
		nat_spill(nat, s2);
	b->pkts[NATGW_SIDE_OUTSIDE]++;
	b->bytes[NATGW_SIDE_OUTSIDE] += pi->ip_len;
	nat->st.hairpinned++;
	send_made(nat, NATGW_SIDE_INSIDE, m, pi->ip_len, out);
}

/*
 * Everything about one packet that the common path leaves: drops, fragments,
 * ICMP errors, packets without a session or whose session timed out, and any
 * packet after a session was made or ended in this burst (the bulk answers
 * are stale then: look again, one by one).
 */
static __rte_noinline void
one_packet(struct natgw_nat *nat, enum natgw_side side, struct rte_mbuf *m,
		struct natgw_pkt_info *pi, enum natgw_drop why, uint32_t sid, uint64_t now,
		bool *changed, struct natgw_nat_out *out)
{
	enum natgw_side other = side ^ 1;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint8_t *ip = frame + pi->l3_off;
	struct nat_session *s;
	bool nonfirst = (pi->flags & (NATGW_PKT_F_FRAG | NATGW_PKT_F_FRAG_FIRST)) ==
		NATGW_PKT_F_FRAG;

	if (why != NATGW_DROP_NONE) {
		if (why == NATGW_DROP_mtu_exceeded)
			too_big(nat, side, m, pi, out);
		else
			drop(nat, m, why);
		return;
	}
	if (ip[8] <= 1) {
		drop(nat, m, NATGW_DROP_ttl_exceeded);
		return;
	}
	if (nonfirst) {
		if (frag_lookup(nat, side, pi, now, &sid) < 0) {
			drop(nat, m, NATGW_DROP_frag_no_session);
			return;
		}
	} else if (*changed) {
		if (natgw_flowtab_lookup(nat->tbl[side], &pi->key, &sid) < 0)
			sid = NAT_NONE;
	}
	if (sid != NAT_NONE) {
		s = &nat->sess[sid];
		if (now >= nat_session_deadline(nat, s)) {
			/* Timed out but not yet reaped: it ended at its deadline. */
			if (nonfirst) {
				drop(nat, m, NATGW_DROP_frag_no_session);
				return;
			}
			nat_session_end(nat, sid, nat_end_of(s), nat_session_deadline(nat, s));
			sid = NAT_NONE;
			*changed = true;
		}
	}
	if (sid == NAT_NONE && side == NATGW_SIDE_INSIDE && !nonfirst &&
			is_public(&nat->conf, pi->key.dst_ip)) {
		*changed = true;
		hairpin_packet(nat, m, pi, now, out);
		return;
	}
	if (sid == NAT_NONE) {
		enum natgw_drop w = slow_path(nat, side, pi, now, &sid);

		*changed = true;
		if (w == NATGW_DROP_tcp_not_syn && nat->conf.rst_on_stale &&
				!(pi->tcp_flags & RTE_TCP_RST_FLAG)) {
			/* AWS: a packet continuing a timed-out connection gets
			 * an RST back, not silence. */
			uint16_t len = rte_pktmbuf_data_len(m);

			nat->st.drop[w]++;
			nat->st.metric[NATGW_M_PacketsDropCount]++;
			nat_make_rst(frame, pi, &len);
			rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - len);
			nat->st.rst_sent++;
			nat->st.rst_bytes += pi->ip_len;
			nat->st.metric[NATGW_M_PacketsOutToSource]++;
			nat->st.metric[NATGW_M_BytesOutToSource] += pi->ip_len;
			out->pkts[side][out->n[side]++] = m;
			return;
		}
		if (w != NATGW_DROP_NONE) {
			drop(nat, m, w);
			return;
		}
	}
	s = &nat->sess[sid];
	if (pi->flags & NATGW_PKT_F_ICMP_ERR) {
		enum natgw_drop w = nat_icmp_error_xlate(nat, side, frame, pi, s);

		if (w != NATGW_DROP_NONE) {
			drop(nat, m, w);
			return;
		}
	} else {
		if (unlikely(s->watch) && !nonfirst)
			nat_watch(nat, s, side, frame, pi);
		xlate_ip(ip, side, s);
		if (!nonfirst)
			xlate_l4(frame + pi->l4_off, side, s, s->proto);
		else
			nat->st.frags_tracked++;
		if (pi->flags & NATGW_PKT_F_FRAG_FIRST)
			frag_track(nat, side, pi, sid, now);
		/* ICMP errors refresh nothing (RFC 5508 REQ-2 style: they
		 * must not keep a mapping alive). */
		s->last_ns = now;
		if (s->proto == IPPROTO_TCP) {
			if (!nonfirst)
				tcp_track(nat, s, side, pi->tcp_flags);
		} else {
			note_answer(nat, s, side);
		}
	}
	if (unlikely(s->pkts[side] == UINT32_MAX || s->bytes[side] > UINT32_MAX - pi->ip_len))
		nat_spill(nat, sid);
	s->pkts[side]++;
	s->bytes[side] += pi->ip_len;
	nat->st.metric[side == NATGW_SIDE_INSIDE ? NATGW_M_PacketsOutToDestination :
		NATGW_M_PacketsOutToSource]++;
	nat->st.metric[side == NATGW_SIDE_INSIDE ? NATGW_M_BytesOutToDestination :
		NATGW_M_BytesOutToSource] += pi->ip_len;
	out->pkts[other][out->n[other]++] = m;
}

/*
 * The common packet: TCP or UDP, IPv4 header at @p l3 with TTL to spare, the
 * transport header at @p l4, not a fragment nor an ICMP error, whose session
 * the bulk lookup found: translated here if the session is alive, not watched
 * and its counters will not wrap. @return false to leave it to one_packet,
 * with nothing written.
 */
static __rte_always_inline bool
fast_packet(struct natgw_nat *nat, enum natgw_side side, uint8_t *frame, uint16_t l3,
		uint16_t l4, uint32_t len, uint8_t tcp_flags, uint32_t sid, uint64_t now)
{
	struct nat_session *s = &nat->sess[sid];

	if (unlikely(now >= nat_session_deadline(nat, s) || s->watch ||
			s->pkts[side] == UINT32_MAX || s->bytes[side] > UINT32_MAX - len))
		return false;
	xlate_ip(frame + l3, side, s);
	/* One copy a protocol, its offsets constants. */
	if (s->proto == IPPROTO_TCP)
		xlate_l4(frame + l4, side, s, IPPROTO_TCP);
	else if (s->proto == IPPROTO_UDP)
		xlate_l4(frame + l4, side, s, IPPROTO_UDP);
	else
		xlate_l4(frame + l4, side, s, IPPROTO_ICMP);
	s->last_ns = now;
	if (s->proto == IPPROTO_TCP) {
		/* Only SYN, FIN and RST move tcp_track's state, and any segment
		 * after a RST: a segment without them (most of them) has nothing
		 * to track. */
		if (unlikely((tcp_flags &
				(RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG | RTE_TCP_RST_FLAG)) ||
				s->tcp_state == NAT_TCP_RESET))
			tcp_track(nat, s, side, tcp_flags);
	} else if (unlikely(!s->est_counted)) {
		note_answer(nat, s, side);
	}
	s->pkts[side]++;
	s->bytes[side] += len;
	return true;
}

/* A burst's CloudWatch counters, added once a burst: what came in on @p side
 * (@p in), or what of it was forwarded. */
static inline void
count_burst(struct natgw_nat *nat, enum natgw_side side, bool in, uint64_t pkts, uint64_t bytes)
{
	bool from_src = side == NATGW_SIDE_INSIDE;

	nat->st.metric[in ? (from_src ? NATGW_M_PacketsInFromSource :
		NATGW_M_PacketsInFromDestination) : (from_src ? NATGW_M_PacketsOutToDestination :
		NATGW_M_PacketsOutToSource)] += pkts;
	nat->st.metric[in ? (from_src ? NATGW_M_BytesInFromSource :
		NATGW_M_BytesInFromDestination) : (from_src ? NATGW_M_BytesOutToDestination :
		NATGW_M_BytesOutToSource)] += bytes;
}

/*
 * Any burst: every packet parsed whole and counted; the keys looked up in one
 * bulk request, which prefetches the buckets; the sessions found prefetched;
 * then each packet translated in order. A packet that makes or ends a session
 * sends every later one of the burst to one_packet, which looks again.
 */
static void
any_burst(struct natgw_nat *nat, enum natgw_side side, struct rte_mbuf **pkts, uint16_t n,
		uint64_t now, struct natgw_nat_out *out)
{
	struct natgw_pkt_info pi[NATGW_BURST_MAX];
	enum natgw_drop why[NATGW_BURST_MAX];
	const struct natgw_flow_key *keys[NATGW_BURST_MAX];
	uint32_t found[NATGW_BURST_MAX];
	uint16_t kidx[NATGW_BURST_MAX];
	uint32_t sid[NATGW_BURST_MAX];
	enum natgw_side other = side ^ 1;
	uint64_t hits = 0, pkts_in = 0, bytes_in = 0, pkts_out = 0, bytes_out = 0;
	uint16_t i, nk = 0, nout;
	bool changed = false, limited = nat->limited;

	/* Parse everything first so that the lookups go out as one bulk request. */
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum natgw_drop w;

		sid[i] = NAT_NONE;
		w = natgw_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), &pi[i]);
		if (unlikely(limited) && w == NATGW_DROP_NONE)
			w = spend(nat, pi[i].ip_len);
		why[i] = w;
		if (likely(w == NATGW_DROP_NONE && pi[i].flags == 0 &&
				pi[i].ip_len <= nat->conf.mtu)) {
			/* The common packet: counted, looked up. */
			pkts_in++;
			bytes_in += pi[i].ip_len;
			kidx[nk] = i;
			keys[nk++] = &pi[i].key;
			continue;
		}
		if (w != NATGW_DROP_NONE && !natgw_drop_counted(w))
			continue;
		pkts_in++;
		bytes_in += pi[i].ip_len;
		/* A fragment of a protocol the profile drops is dropped for that,
		 * whatever its first bytes hold (a tiny first fragment cuts the
		 * transport header short). */
		if ((pi[i].flags & NATGW_PKT_F_FRAG) && !frag_allowed(nat, pi[i].key.proto) &&
				(w == NATGW_DROP_NONE || l4_reason(w))) {
			why[i] = NATGW_DROP_frag_proto;
			continue;
		}
		if (w != NATGW_DROP_NONE)
			continue;
		if (pi[i].ip_len > nat->conf.mtu) {
			why[i] = NATGW_DROP_mtu_exceeded;
			continue;
		}
		if (pi[i].flags & NATGW_PKT_F_FRAG) {
			/* A later fragment has no ports to look up by: it follows
			 * its first fragment, which may be in this very burst, so
			 * it is looked up below, in order. */
			if (!(pi[i].flags & NATGW_PKT_F_FRAG_FIRST))
				continue;
		}
		kidx[nk] = i;
		keys[nk++] = &pi[i].key;
	}
	count_burst(nat, side, true, pkts_in, bytes_in);
	if (nk)
		hits = natgw_flowtab_lookup_bulk(nat->tbl[side], keys, nk, found);
	/* Prefetch every session found before touching any; for a key without
	 * one, what making its session will read (the profile's choice). */
	for (i = 0; i < nk; i++)
		if (hits & (1ull << i)) {
			sid[kidx[i]] = found[i];
			rte_prefetch0(&nat->sess[found[i]]);
		} else if (side == NATGW_SIDE_INSIDE && nat->ops->outbound_guess &&
				pi[kidx[i]].flags == 0) {
			struct natgw_flow_key ok;

			if (nat->ops->outbound_guess(nat, keys[i], &ok))
				natgw_flowtab_prefetch(nat->tbl[NATGW_SIDE_OUTSIDE], &ok);
		}

	nout = 0;
	for (i = 0; i < n; i++) {
		uint8_t *frame = rte_pktmbuf_mtod(pkts[i], uint8_t *);

		if (likely(!changed && why[i] == NATGW_DROP_NONE && sid[i] != NAT_NONE &&
				!(pi[i].flags & (NATGW_PKT_F_FRAG | NATGW_PKT_F_ICMP_ERR)) &&
				frame[pi[i].l3_off + 8] > 1 &&
				fast_packet(nat, side, frame, pi[i].l3_off, pi[i].l4_off,
					pi[i].ip_len, pi[i].tcp_flags, sid[i], now))) {
			pkts_out++;
			bytes_out += pi[i].ip_len;
			out->pkts[other][nout++] = pkts[i];
			continue;
		}
		out->n[other] = nout;
		one_packet(nat, side, pkts[i], &pi[i], why[i], sid[i], now, &changed, out);
		nout = out->n[other];
	}
	out->n[other] = nout;
	count_burst(nat, side, false, pkts_out, bytes_out);
}

/*
 * The burst of common packets of established sessions, which is most bursts
 * under load: three passes, each over what the one before brought into the
 * cache (VPP's dual/quad loops, without the graph). The first reads each
 * frame (natgw_pkt_common), hashes its key while it is in registers and
 * prefetches its buckets; the second finds each session and prefetches it;
 * the third translates. Nothing is written before the third pass: a frame
 * that is not common or a key without a session sends the whole burst to
 * any_burst (@return false). Inlined once a side, so that the side is a
 * constant in the translation.
 */
static __rte_always_inline bool
common_burst(struct natgw_nat *nat, const enum natgw_side side, struct rte_mbuf **pkts,
		uint16_t n, uint64_t now, struct natgw_nat_out *out)
{
	const struct natgw_flowtab *t = nat->tbl[side];
	const enum natgw_side other = side ^ 1;
	const struct natgw_ft_bucket *b1[NATGW_BURST_MAX];
	uint64_t lo[NATGW_BURST_MAX], hi[NATGW_BURST_MAX];
	uint32_t h[NATGW_BURST_MAX], sid[NATGW_BURST_MAX];
	uint16_t len[NATGW_BURST_MAX];
	uint8_t tfl[NATGW_BURST_MAX];
	uint64_t bytes_in = 0, pkts_out = 0, bytes_out = 0;
	uint16_t i, nout = 0, mtu = nat->conf.mtu;
	bool changed = false, limited = nat->limited;

	for (i = 0; i < n; i++) {
		uint64_t kw[2];

		if (!natgw_pkt_common(rte_pktmbuf_mtod(pkts[i], const uint8_t *),
				rte_pktmbuf_data_len(pkts[i]), mtu, kw, &len[i], &tfl[i]))
			return false;
		lo[i] = kw[0];
		/* natgw_ft_code's, for the only two protocols natgw_pkt_common
		 * takes (its three-way choice measured 2-3% slower here). */
		hi[i] = natgw_ft_hi((uint32_t)kw[1], (kw[1] >> 32) == IPPROTO_TCP ? 1 : 2);
		h[i] = natgw_ft_hash(lo[i], hi[i]);
		/* The first bucket only: inserts fill it first, and the second
		 * is read when the key is not there. */
		b1[i] = natgw_ft_bucket1(t, h[i]);
		rte_prefetch0(b1[i]);
		bytes_in += len[i];
	}
	for (i = 0; i < n; i++) {
		if (natgw_flowtab_find(t, h[i], b1[i], lo[i], hi[i], &sid[i]) < 0)
			return false;
		rte_prefetch0(&nat->sess[sid[i]]);
	}
	count_burst(nat, side, true, n, bytes_in);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
		struct natgw_pkt_info pi;
		enum natgw_drop w;

		if (unlikely(limited) && (w = spend(nat, len[i])) != NATGW_DROP_NONE) {
			drop(nat, m, w);
			continue;
		}
		if (likely(!changed && fast_packet(nat, side, frame, 14, 34, len[i], tfl[i], sid[i],
				now))) {
			pkts_out++;
			bytes_out += len[i];
			out->pkts[other][nout++] = m;
			continue;
		}
		/* A session timed out, watched or about to wrap a counter, or
		 * one made or ended before it in the burst: the whole parse
		 * (as natgw_pkt_common read it) and the packet-by-packet way. */
		(void)natgw_pkt_parse(frame, rte_pktmbuf_data_len(m), &pi);
		out->n[other] = nout;
		one_packet(nat, side, m, &pi, NATGW_DROP_NONE, sid[i], now, &changed, out);
		nout = out->n[other];
	}
	out->n[other] = nout;
	count_burst(nat, side, false, pkts_out, bytes_out);
	return true;
}

void
natgw_nat_burst(struct natgw_nat *nat, enum natgw_side side, struct rte_mbuf **pkts,
		uint16_t n, uint64_t now, struct natgw_nat_out *out)
{
	bool done;

	out->n[0] = out->n[1] = 0;
	nat_minute(nat, now);
	if (n == 0)
		return;
	done = side == NATGW_SIDE_INSIDE ?
		common_burst(nat, NATGW_SIDE_INSIDE, pkts, n, now, out) :
		common_burst(nat, NATGW_SIDE_OUTSIDE, pkts, n, now, out);
	if (!done)
		any_burst(nat, side, pkts, n, now, out);
}
