/* SPDX-License-Identifier: BSD-3-Clause */
/* The engine's internals, shared by its files; not installed. */
#ifndef NATGW_NAT_PRIVATE_H
#define NATGW_NAT_PRIVATE_H

#include <stdbool.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_branch_prediction.h>
#include <rte_log.h>
#include <rte_tcp.h>

#include "natgw_flowtab.h"
#include "natgw_nat.h"

extern int natgw_nat_logtype;
#define NAT_LOG(level, ...) \
	rte_log(RTE_LOG_##level, natgw_nat_logtype, "natgw.nat: " __VA_ARGS__)

#define NAT_NONE UINT32_MAX

/* Whether TCP flags open a connection: SYN alone (ECE, CWR, PSH, URG may
 * ride along). SYN+FIN, SYN+RST and SYN+ACK do not: SYN+FIN in particular
 * is a scanner's probe that no TCP sends (Linux conntrack calls it invalid). */
static inline bool
nat_tcp_opens(uint8_t flags)
{
	return (flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG |
		RTE_TCP_FIN_FLAG)) == RTE_TCP_SYN_FLAG;
}

/* Whether @p ip (network order) can be a session's remote end: not
 * multicast (224/4), not 240/4 (reserved, and 255.255.255.255, the limited
 * broadcast a router never forwards, RFC 1812 5.3.5.1), not 0/8 ("this
 * network") and not loopback (127/8), which RFC 1812 forbids forwarding to. */
static inline bool
nat_dst_unicast(uint32_t ip)
{
	uint8_t a = (uint8_t)(rte_be_to_cpu_32(ip) >> 24);

	return a != 0 && a != 127 && a < 224;
}

/* TCP states: what the engine has seen of the connection. */
enum nat_tcp_state {
	NAT_TCP_NONE,     /* not TCP */
	NAT_TCP_SYN_SENT, /* SYN from the opener */
	NAT_TCP_EST,      /* SYN+ACK from the answerer */
	NAT_TCP_FIN_WAIT, /* FIN one way */
	NAT_TCP_CLOSED,   /* FIN both ways */
	NAT_TCP_RESET,    /* RST either way */
};

/*
 * One session: exactly one cache line (RTE_CACHE_LINE_SIZE-aligned array), so
 * that the fast path touches one line per packet and a prefetch fetches it all.
 *
 * The flow is kept as fields, as the inside sends it (in -> rem); the padded
 * 16-byte hash key is rebuilt where one is needed (nat_in_key, nat_outside_key).
 * The rewrite is precomputed: the public address and port, and the IP header's
 * checksum delta of in_ip -> pub_ip; the transport delta adds the port's change
 * on the fly. The reverse rewrite uses the negated deltas.
 *
 * Counters are 32 bits a direction. A packet that would wrap one first moves
 * all four into the engine's interim record for the session (nat_spill), and
 * the flow's record sums them when the session ends: the flow log keeps 64-bit
 * totals and loses nothing.
 *
 * The expiry wheel's links: tw_next (also the free list's link) and tw_prev,
 * which for the first session of a slot holds NAT_TW_HEAD | slot instead.
 * `rfc` mapping links live in a parallel array of that profile (nat_rfc_link).
 */
struct nat_session {
	/* set by the slow path */
	uint32_t in_ip;     /* inside address (network order); */
	uint32_t rem_ip;    /* remote address */
	uint16_t in_port;   /* inside port or ICMP id */
	uint16_t rem_port;  /* remote port, 0 for ICMP */
	uint32_t pub_ip;    /* public address */
	uint16_t pub_port;  /* public port or ICMP id */
	uint16_t d_ip;      /* checksum delta of in_ip -> pub_ip */
	uint8_t proto;      /* IP protocol; 0: the slot is free */
	/* written by the fast path when something changes */
	uint8_t tcp_state : 3; /* enum nat_tcp_state */
	uint8_t fin_seen : 2;  /* bit per side that sent a FIN */
	uint8_t tclass : 3;    /* enum natgw_timeout */
	uint8_t inbound : 1;   /* made by an inbound packet */
	uint8_t est_counted : 1; /* counted in ConnectionEstablishedCount */
	uint8_t spilled : 1;   /* has an interim record (nat_spill) */
	uint8_t watch : 1;     /* show packets to the classifier's learn */
	uint8_t hairpin : 1;   /* a leg of a hairpinned flow (`rfc`): its keys
				* are in the hairpin table, not the flow tables */
	uint8_t spare : 3;
	uint8_t svc;           /* the classifier's service id */
	/* written per packet */
	uint64_t last_ns;
	uint64_t first_ns;
	uint32_t pkts[NATGW_SIDES];
	uint32_t bytes[NATGW_SIDES]; /* IP bytes */
	/* the expiry wheel's links; the free list reuses tw_next */
	uint32_t tw_prev, tw_next;
} __rte_cache_aligned;

_Static_assert(sizeof(struct nat_session) == 64, "a session is one cache line");

/* tw_prev of the first session of wheel slot s: NAT_TW_HEAD | s (session
 * indices stay below 2^26). */
#define NAT_TW_HEAD 0x80000000u

/* What a session's 32-bit counters moved out before they would wrap. */
struct nat_spill {
	uint32_t sid;
	uint64_t pkts[NATGW_SIDES];
	uint64_t bytes[NATGW_SIDES];
};

/* `rfc`: a session's mapping and the next session on that mapping's list. */
struct nat_rfc_link {
	uint32_t map;
	uint32_t map_next;
};

/* A tracked first fragment: the session its datagram belongs to. Indexed by
 * the fragment table's key position. The session's first_ns, protocol and
 * addresses tell whether the slot still holds that session. */
struct nat_frag {
	uint32_t sid;
	uint8_t proto;
	uint64_t first_ns;
	uint64_t t_ns;
};

/* `rfc` endpoint-independent mapping: inside endpoint <-> public endpoint. */
struct nat_mapping {
	uint32_t in_ip;
	uint16_t in_port;
	uint16_t pub_port;
	uint32_t pub_ip;
	uint8_t proto;
	uint32_t refcnt;   /* sessions using it */
	uint32_t sessions; /* first session on its list */
	uint32_t next_free;
};

/* Per-profile slow path, chosen at creation (never per packet). */
struct nat_profile_ops {
	/* A packet from the inside with no session: make one, or say why not. */
	enum natgw_drop (*outbound_new)(struct natgw_nat *nat, const struct natgw_flow_key *k,
			uint64_t now, uint32_t *sid);
	/* NULL, or: the outside key outbound_new will most likely give @p k's
	 * session, its first try (false: no guess). The burst prefetches its
	 * buckets for every key without a session before making any. */
	bool (*outbound_guess)(const struct natgw_nat *nat, const struct natgw_flow_key *k,
			struct natgw_flow_key *ok);
	/* A packet from the outside with no session: make one, or say why not. */
	enum natgw_drop (*inbound_new)(struct natgw_nat *nat, const struct natgw_flow_key *k,
			uint8_t tcp_flags, uint64_t now, uint32_t *sid);
	/* Release what the profile holds for a session that ends. */
	void (*release)(struct natgw_nat *nat, struct nat_session *s);
	/*
	 * An inside packet to a public address (hairpinning), NULL: none (the
	 * packet is dropped as hairpin). Finds or makes both legs: @p s1, the
	 * sender's session (the packet as it leaves it), and @p s2, the
	 * receiver's (the packet as it arrives at its public endpoint).
	 */
	enum natgw_drop (*hairpin)(struct natgw_nat *nat, const struct natgw_pkt_info *pi,
			uint64_t now, uint32_t *s1, uint32_t *s2);
	/* The public endpoint for an inside flow without a session, if mapped. */
	bool (*lookup_mapping)(const struct natgw_nat *nat, const struct natgw_flow_key *in_key,
			uint32_t *pub_ip, uint16_t *pub_port);
};

#define NAT_TW_SLOTS 16384u /* a power of two; 1.07 s slots: 4.9 h horizon */
#define NAT_TW_SHIFT 30     /* ns >> 30: about a second per slot */

struct natgw_nat {
	struct natgw_nat_conf conf;
	const struct nat_profile_ops *ops;
	struct natgw_flowtab *tbl[NATGW_SIDES]; /* in2out by inside key, out2in by outside key */
	struct rte_hash *dest;             /* `aws`: connections per (pub ip, destination) */
	struct rte_hash *maps;             /* `rfc`: mappings, both directions */
	struct rte_hash *frags;            /* first fragments: (src,dst,id,proto,side) */
	struct rte_hash *hp;               /* `rfc`: hairpin legs' keys, both sides */
	struct nat_frag *fragv;            /* their sessions, by key position */
	struct nat_session *sess;
	uint32_t free_head;
	struct nat_mapping *mapv;
	struct nat_rfc_link *rfc_link;     /* `rfc`: per session */
	uint32_t map_free;
	struct nat_spill *spill;           /* interim counters of big flows */
	uint32_t spill_n, spill_cap;
	uint32_t tw_head[NAT_TW_SLOTS];
	uint64_t tw_cursor; /* next wheel tick to examine */
	bool tw_started;
	uint32_t port_base, port_span; /* this worker's slice of the port range */
	uint32_t low_base, low_span;   /* its slice of 1-1023 (port_range_preserve) */
	bool limited;                  /* a ceiling's budget applies */
	uint64_t budget_bytes, budget_pkts;
	uint32_t seed;
	struct natgw_nat_stats st;
	struct natgw_flow_record *log;
	size_t log_n, log_cap;
	/* accounting of ended sessions (nat_acct.c) */
	struct natgw_nat_acct acct_svc[NATGW_SVC_MAX];
	uint16_t *sess_name;               /* classifier's name id per session, off
					    * the fast path (NULL: no classifier) */
	struct natgw_nat_acct *acct_name;
	size_t acct_name_n;
	/* the per-minute series: closed minutes, and the open one's start values */
	struct natgw_nat_minute *series;
	size_t series_n, series_cap;
	uint64_t min_start, min_end;       /* the open minute; min_end 0: none yet */
	uint64_t min_base[NATGW_M_MAX];    /* the counters when it opened */
	uint64_t min_peak_tcp;             /* its most concurrent TCP connections */
};

/* Fragment tracking entries age out after this long (RFC 791's reassembly
 * timer bound is 15 s; Linux uses 30 s). */
#define NAT_FRAG_TIMEOUT_NS (30ull * 1000000000ull)

extern const struct nat_profile_ops nat_aws_ops;
extern const struct nat_profile_ops nat_rfc_ops;

/* When a session ends if no packet comes. */
static inline uint64_t
nat_session_deadline(const struct natgw_nat *nat, const struct nat_session *s)
{
	return s->last_ns + nat->conf.timeout_ns[s->tclass];
}

/* nat_acct.c */
void nat_minute_roll(struct natgw_nat *nat, uint64_t now);
/* Keep the per-minute series' minute current: once a burst or an expiry run. */
static inline void
nat_minute(struct natgw_nat *nat, uint64_t now)
{
	if (unlikely(now >= nat->min_end))
		nat_minute_roll(nat, now);
}
/* One more TCP connection open: the peaks, overall and in the minute. */
static inline void
nat_tcp_opened(struct natgw_nat *nat)
{
	uint64_t a = ++nat->st.active_tcp;

	if (a > nat->st.metric[NATGW_M_ActiveConnectionCount])
		nat->st.metric[NATGW_M_ActiveConnectionCount] = a;
	if (a > nat->min_peak_tcp)
		nat->min_peak_tcp = a;
}
/* Move a session's traffic into the accounting (and count it if it ended). */
void nat_acct_add(struct natgw_nat *nat, const struct nat_session *s, bool ended);
/* A new session: ask the classifier who its destination is. */
void nat_classify(struct natgw_nat *nat, struct nat_session *s);
/* A watched session's packet, before translation. */
void nat_watch(struct natgw_nat *nat, struct nat_session *s, enum natgw_side side,
		const uint8_t *frame, const struct natgw_pkt_info *pi);
void nat_acct_free(struct natgw_nat *nat);

/* nat_slow.c */
uint32_t nat_session_alloc(struct natgw_nat *nat);
int nat_session_insert(struct natgw_nat *nat, uint32_t sid, const struct natgw_flow_key *in_key,
		uint32_t pub_ip, uint16_t pub_port, uint64_t now, bool hairpin);
/* A hairpin leg by its key as packets of @p side carry it. */
uint32_t nat_hairpin_lookup(const struct natgw_nat *nat, enum natgw_side side,
		const struct natgw_flow_key *k);
void nat_session_end(struct natgw_nat *nat, uint32_t sid, enum natgw_end why, uint64_t when);
void nat_outside_key(const struct nat_session *s, struct natgw_flow_key *k);
void nat_in_key(const struct nat_session *s, struct natgw_flow_key *k);
/* Move a session's counters to its interim record before one would wrap. */
void nat_spill(struct natgw_nat *nat, uint32_t sid);
void nat_set_class(struct natgw_nat *nat, struct nat_session *s);
/* How a session whose deadline passed ended: by its TCP state, else idle. */
enum natgw_end nat_end_of(const struct nat_session *s);

/* nat_timer.c */
void nat_tw_insert(struct natgw_nat *nat, uint32_t sid, uint64_t deadline);
void nat_tw_remove(struct natgw_nat *nat, uint32_t sid);

/* nat_icmp.c */
enum natgw_drop nat_icmp_error_xlate(struct natgw_nat *nat, enum natgw_side side,
		uint8_t *frame, const struct natgw_pkt_info *pi, const struct nat_session *s);
void nat_make_rst(uint8_t *frame, struct natgw_pkt_info *pi, uint16_t *len);
/* Turn the packet into an ICMP error about itself, from @p src back to its
 * sender: @p type, @p code, and @p mtu for "fragmentation needed". */
void nat_make_icmp_err(uint8_t *frame, struct natgw_pkt_info *pi, uint16_t *len, uint32_t src,
		uint8_t type, uint8_t code, uint16_t mtu);

#endif /* NATGW_NAT_PRIVATE_H */
