/* SPDX-License-Identifier: BSD-3-Clause */
/* The engine's internals, shared by its files; not installed. */
#ifndef NATGW_NAT_PRIVATE_H
#define NATGW_NAT_PRIVATE_H

#include <rte_common.h>
#include <rte_log.h>

#include "natgw_nat.h"

extern int natgw_nat_logtype;
#define NAT_LOG(level, ...) \
	rte_log(RTE_LOG_##level, natgw_nat_logtype, "natgw.nat: " __VA_ARGS__)

#define NAT_NONE UINT32_MAX

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
 * One session. Fields are grouped by who writes them: the slow path when it makes
 * the session, the fast path per packet, the wheel when it reschedules. The
 * rewrite is precomputed data: the public side's address and port, and the
 * checksum deltas of turning the inside endpoint into the public one; the
 * reverse rewrite uses the negated deltas.
 */
struct nat_session {
	/* set by the slow path */
	struct natgw_flow_key in_key; /* inside ip/port -> remote ip/port, as sent */
	uint32_t pub_ip;
	uint16_t pub_port;
	uint16_t d_ip;   /* checksum delta of in_ip -> pub_ip */
	uint16_t d_l4;   /* delta of the transport checksum: address (if in the
			  * pseudo-header) and port/id */
	uint8_t inbound; /* made by an inbound packet */
	uint8_t end;     /* enum natgw_end once ending */
	/* written per packet by the fast path */
	uint8_t tcp_state;
	uint8_t fin_seen; /* bit per side that sent a FIN */
	uint8_t tclass;   /* enum natgw_timeout */
	uint8_t est_counted;
	uint64_t last_ns;
	uint64_t first_ns;
	uint64_t pkts[NATGW_SIDES];
	uint64_t bytes[NATGW_SIDES];
	/* the expiry wheel's links; the free list reuses next */
	uint32_t tw_prev, tw_next;
	uint32_t tw_slot;
	/* `rfc`: the mapping and its other sessions */
	uint32_t map;
	uint32_t map_next;
	/* bumped each time the slot holds a new session: what refers to a
	 * session by index (fragment tracking) can tell it is still the one */
	uint32_t gen;
};

/* A tracked first fragment: the session its datagram belongs to. Indexed by
 * the fragment table's key position. */
struct nat_frag {
	uint32_t sid;
	uint32_t gen;
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
	/* A packet from the outside with no session: make one, or say why not. */
	enum natgw_drop (*inbound_new)(struct natgw_nat *nat, const struct natgw_flow_key *k,
			uint8_t tcp_flags, uint64_t now, uint32_t *sid);
	/* Release what the profile holds for a session that ends. */
	void (*release)(struct natgw_nat *nat, struct nat_session *s);
	/* The public endpoint for an inside flow without a session, if mapped. */
	bool (*lookup_mapping)(const struct natgw_nat *nat, const struct natgw_flow_key *in_key,
			uint32_t *pub_ip, uint16_t *pub_port);
};

#define NAT_TW_SLOTS 16384u /* a power of two; 1.07 s slots: 4.9 h horizon */
#define NAT_TW_SHIFT 30     /* ns >> 30: about a second per slot */

struct natgw_nat {
	struct natgw_nat_conf conf;
	const struct nat_profile_ops *ops;
	struct rte_hash *tbl[NATGW_SIDES]; /* in2out by inside key, out2in by outside key */
	struct rte_hash *dest;             /* `aws`: connections per (pub ip, destination) */
	struct rte_hash *maps;             /* `rfc`: mappings, both directions */
	struct rte_hash *frags;            /* first fragments: (src,dst,id,proto,side) */
	struct nat_frag *fragv;            /* their sessions, by key position */
	struct nat_session *sess;
	uint32_t free_head;
	struct nat_mapping *mapv;
	uint32_t map_free;
	uint32_t tw_head[NAT_TW_SLOTS];
	uint64_t tw_cursor; /* next wheel tick to examine */
	bool tw_started;
	uint32_t port_base, port_span; /* this worker's slice of the port range */
	uint32_t seed;
	struct natgw_nat_stats st;
	struct natgw_flow_record *log;
	size_t log_n, log_cap;
};

/* Fragment tracking entries age out after this long (RFC 791's reassembly
 * timer bound is 15 s; Linux uses 30 s). */
#define NAT_FRAG_TIMEOUT_NS (30ull * 1000000000ull)

extern const struct nat_profile_ops nat_aws_ops;
extern const struct nat_profile_ops nat_rfc_ops;

/* nat_slow.c */
uint32_t nat_session_alloc(struct natgw_nat *nat);
int nat_session_insert(struct natgw_nat *nat, uint32_t sid, const struct natgw_flow_key *in_key,
		uint32_t pub_ip, uint16_t pub_port, uint64_t now);
void nat_session_end(struct natgw_nat *nat, uint32_t sid, enum natgw_end why, uint64_t when);
void nat_outside_key(const struct nat_session *s, struct natgw_flow_key *k);
uint64_t nat_session_deadline(const struct natgw_nat *nat, const struct nat_session *s);
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

#endif /* NATGW_NAT_PRIVATE_H */
