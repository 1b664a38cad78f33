/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The connection-tracking NAT: one engine per worker, owning its sessions, its
 * slice of every public address's ports, and its expiry wheel.
 *
 * The burst entry point natgw_nat_burst() is what every dataplane runs: the capture
 * replay in virtual time and the DPDK poll-mode workers alike. Its fast path looks
 * sessions up in bulk and applies a rewrite precomputed when the session was made;
 * misses go to the slow path, whose behaviour (mapping, filtering, what a packet
 * without a session gets) is the profile's, chosen once at creation.
 *
 * The engine never reads a clock: every call takes `now`, in nanoseconds.
 */
#ifndef NATGW_NAT_H
#define NATGW_NAT_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#include "natgw_pkt.h"

struct rte_mbuf;

/** Most packets natgw_nat_burst() takes at once. */
#define NATGW_BURST_MAX 64
/** Most public addresses (the AWS NAT gateway allows up to 8). */
#define NATGW_MAX_PUBLIC 8
/** Most inside networks. */
#define NATGW_MAX_INSIDE 16

/** Packet directions, named after the port a packet arrives on. */
enum natgw_side {
	NATGW_SIDE_INSIDE = 0,  /**< the private subnets */
	NATGW_SIDE_OUTSIDE = 1, /**< the internet */
	NATGW_SIDES
};

/** Behaviour profiles (docs/behaviour.md). */
enum natgw_profile {
	NATGW_PROFILE_AWS, /**< the AWS NAT gateway as documented */
	NATGW_PROFILE_RFC, /**< RFC 4787/5382/5508/7857 */
};

/** Inbound filtering for endpoint-independent mappings (RFC 4787 section 5). */
enum natgw_filtering {
	NATGW_FILTER_EIF,  /**< endpoint-independent */
	NATGW_FILTER_ADF,  /**< address-dependent */
	NATGW_FILTER_APDF, /**< address-and-port-dependent */
};

/* Timeout classes, X(name): one wheel deadline per class and profile. */
#define NATGW_TIMEOUTS(X) \
	X(tcp_syn)   /* TCP before the handshake completes */ \
	X(tcp_est)   /* TCP established */ \
	X(tcp_trans) /* TCP after FIN both ways or RST */ \
	X(udp) \
	X(icmp)

/** Timeout classes, NATGW_TO_<name>. */
enum natgw_timeout {
#define NATGW_TO_ENUM(n) NATGW_TO_##n,
	NATGW_TIMEOUTS(NATGW_TO_ENUM)
#undef NATGW_TO_ENUM
	NATGW_TO_MAX
};

/** Service ids are the classifier's (lib/dstclass); 0 is the internet, or
 * no classifier. */
#define NATGW_SVC_MAX 256

/**
 * Who the destinations are (accounting by service, docs/accounting.md),
 * chosen at start-up: with classify NULL, every session is service 0 with no
 * name. The engine calls these from its own worker only, never per packet of
 * an ordinary session: once when a session is made, and for the first packets
 * of a session classify asked to watch.
 */
struct natgw_nat_classifier {
	/**
	 * A new session, by its inside key (src = inside host, dst = remote):
	 * its service id and name id (0: none known). @return true to watch its
	 * next packets through learn (a DNS exchange, a TLS ClientHello).
	 */
	bool (*classify)(void *arg, const struct natgw_flow_key *in_key, uint8_t *svc,
			uint16_t *name);
	/**
	 * A packet of a watched session, arrived on @p side, before its
	 * translation: @p l4 is its transport header and @p l4_len the bytes
	 * from there to the IP packet's end, all in the frame. It may change
	 * the session's @p svc and @p name. @return true to go on watching
	 * (the engine stops after NATGW_WATCH_MAX packets anyway).
	 */
	bool (*learn)(void *arg, enum natgw_side side, const struct natgw_flow_key *in_key,
			const uint8_t *l4, uint32_t l4_len, uint8_t *svc, uint16_t *name);
	/**
	 * Optional: whether a new session from the inside may be made at all
	 * (an egress policy enforced: natgw as the filter a NAT gateway lacks).
	 * Asked in the slow path before a port is taken; a refused packet is
	 * dropped as policy_denied. Established sessions never ask.
	 */
	bool (*admit)(void *arg, const struct natgw_flow_key *in_key);
	void *arg; /**< passed to all */
};

/** The most packets of one session shown to the classifier's learn. */
#define NATGW_WATCH_MAX 16

/** An IPv4 network, host byte order. */
struct natgw_net {
	uint32_t addr; /**< network address */
	uint32_t mask; /**< netmask */
};

/** Engine configuration. natgw_nat_conf_defaults() fills a profile's values. */
struct natgw_nat_conf {
	enum natgw_profile profile;  /**< behaviour profile */
	enum natgw_filtering filtering; /**< `rfc` inbound filtering */
	uint32_t public_ip[NATGW_MAX_PUBLIC]; /**< public addresses, network order */
	unsigned int n_public;       /**< 1..NATGW_MAX_PUBLIC */
	struct natgw_net inside[NATGW_MAX_INSIDE]; /**< inside networks */
	unsigned int n_inside;       /**< 1..NATGW_MAX_INSIDE */
	uint32_t max_sessions;       /**< session table size */
	uint16_t port_lo;            /**< lowest public port */
	uint16_t port_hi;            /**< highest public port */
	uint32_t per_dest_limit;     /**< connections per destination per address, 0: none */
	uint16_t mtu;                /**< largest IP packet forwarded */
	uint64_t timeout_ns[NATGW_TO_MAX]; /**< idle timeouts per class */
	bool frag_udp;               /**< forward UDP fragments */
	bool frag_tcp_icmp;          /**< forward TCP and ICMP fragments */
	bool rst_on_stale;           /**< answer TCP without a session with an RST */
	bool icmp_frag_needed;       /**< answer a DF packet over the MTU with ICMP
				      *   "fragmentation needed" (type 3 code 4) */
	bool port_parity;            /**< a public port has its inside port's parity */
	bool port_range_preserve;    /**< an inside port below 1024 gets a public
				      *   port below 1024 (RFC 4787 REQ-3a) */
	bool keep_flow_log;          /**< keep a record of every ended session */
	unsigned int worker_id;      /**< this engine's worker, 0..n_workers-1 */
	unsigned int n_workers;      /**< workers sharing the port space */
	int socket_id;               /**< NUMA socket for the tables */
	/**
	 * Optional (endpoint-dependent mappings, `aws`): given the key the
	 * answers of a new flow will carry, with a candidate public port as
	 * dst_port (network order), return the port (network order) to use
	 * instead so that the answers' receive hash brings them to this worker
	 * (predictable RSS, lib/worker's natgw_rss_steer). NULL: no steering.
	 */
	uint16_t (*port_steer)(void *arg, const struct natgw_flow_key *reply);
	void *port_steer_arg;        /**< passed to port_steer */
	struct natgw_nat_classifier classifier; /**< destinations; zeroed: none */
};

/**
 * Fill @p c with the defaults of @p profile (timeouts, ranges, limits,
 * fragments); addresses and networks are left for the caller.
 */
void natgw_nat_conf_defaults(struct natgw_nat_conf *c, enum natgw_profile profile);

/** @return the profile's name ("aws", "rfc"). */
const char *natgw_profile_name(enum natgw_profile p);
/** @return the timeout class's name. */
const char *natgw_timeout_name(enum natgw_timeout t);
/** @return the filtering mode's name ("eif", "adf", "apdf"). */
const char *natgw_filtering_name(enum natgw_filtering f);

/* The CloudWatch NAT gateway metrics, X(name), under their AWS names. */
#define NATGW_METRICS(X) \
	X(ActiveConnectionCount) \
	X(BytesInFromDestination) \
	X(BytesInFromSource) \
	X(BytesOutToDestination) \
	X(BytesOutToSource) \
	X(ConnectionAttemptCount) \
	X(ConnectionEstablishedCount) \
	X(ErrorPortAllocation) \
	X(IdleTimeoutCount) \
	X(PacketsDropCount) \
	X(PacketsInFromDestination) \
	X(PacketsInFromSource) \
	X(PacketsOutToDestination) \
	X(PacketsOutToSource)

/** Metric indices, NATGW_M_<name>. */
enum natgw_metric {
#define NATGW_M_ENUM(n) NATGW_M_##n,
	NATGW_METRICS(NATGW_M_ENUM)
#undef NATGW_M_ENUM
	NATGW_M_MAX
};

/** @return the metric's AWS name. */
const char *natgw_metric_name(enum natgw_metric m);

/**
 * Counters of one engine; written only by its worker. ActiveConnectionCount
 * holds the peak of concurrent TCP connections (CloudWatch's Maximum);
 * active_tcp holds the current count.
 */
struct natgw_nat_stats {
	uint64_t metric[NATGW_M_MAX];    /**< CloudWatch metrics */
	uint64_t drop[NATGW_DROP_MAX];   /**< drops per reason */
	uint64_t rst_sent;               /**< RSTs sent back to the inside */
	uint64_t rst_bytes;              /**< their IP bytes */
	uint64_t icmp_sent[NATGW_SIDES]; /**< ICMP errors the NAT made, by the side
					  *   they left by */
	uint64_t icmp_bytes[NATGW_SIDES]; /**< their IP bytes */
	uint64_t hairpinned;             /**< packets hairpinned (`rfc`) */
	uint64_t acct_lost;              /**< name accounting that found no memory */
	uint64_t ceiling_bytes;          /**< IP bytes of the packets over a ceiling */
	uint64_t sessions_created;       /**< sessions made */
	uint64_t sessions_active;        /**< sessions in the table now */
	uint64_t sessions_peak;          /**< most sessions at once */
	uint64_t active_tcp;             /**< TCP connections open now */
	uint64_t mappings_active;        /**< `rfc`: endpoint-independent mappings */
	uint64_t frags_tracked;          /**< fragments translated by tracking */
};

/** How a session ended. */
enum natgw_end {
	NATGW_END_ACTIVE,  /**< still open */
	NATGW_END_FIN,     /**< closed by FIN both ways */
	NATGW_END_RST,     /**< reset */
	NATGW_END_IDLE,    /**< idle timeout */
	NATGW_END_FLUSHED, /**< removed when the engine was torn down */
};

/** @return the end's name. */
const char *natgw_end_name(enum natgw_end e);

/** A session as reported: a flow of the report. Directions: [0] inside to
 * outside, [1] outside to inside; bytes are IP-layer. */
struct natgw_flow_record {
	uint32_t in_ip, rem_ip, pub_ip;       /**< network order */
	uint16_t in_port, rem_port, pub_port; /**< network order */
	uint8_t proto;                        /**< IP protocol */
	uint8_t end;                          /**< enum natgw_end */
	uint8_t tcp_state;                    /**< last TCP state */
	uint8_t inbound;                      /**< made by an inbound packet (`rfc`) */
	uint8_t svc;                          /**< the classifier's service id */
	uint16_t name;                        /**< the classifier's name id, 0: none */
	uint64_t first_ns;                    /**< first packet */
	uint64_t last_ns;                     /**< last packet */
	uint64_t end_ns;                      /**< when the NAT removed it (0: still held) */
	uint64_t pkts[2];                     /**< packets per direction */
	uint64_t bytes[2];                    /**< IP bytes per direction */
};

/**
 * The traffic of a group of sessions: [0] inside to outside, [1] outside to
 * inside, IP bytes, as the flow records count it. Sessions are counted when
 * they end (natgw_nat_finish ends them all), their traffic as it is moved
 * out of a session: when it ends, or before a 32-bit counter would wrap.
 */
struct natgw_nat_acct {
	uint64_t pkts[NATGW_SIDES];  /**< packets per direction */
	uint64_t bytes[NATGW_SIDES]; /**< IP bytes per direction */
	uint64_t sessions;           /**< sessions ended */
};

/**
 * One minute of the CloudWatch metrics (CloudWatch's 1-minute period): each
 * counter's increase in the minute, and for ActiveConnectionCount the
 * minute's maximum. Minutes start at multiples of 60 s of the engine's clock
 * (the capture's time in a replay: UTC minutes).
 */
struct natgw_nat_minute {
	uint64_t start_ns;                /**< the minute's start */
	uint64_t metric[NATGW_M_MAX];     /**< the metrics in it */
};

/** Packets natgw_nat_burst() hands back, per side to send them out of. */
struct natgw_nat_out {
	struct rte_mbuf *pkts[NATGW_SIDES][NATGW_BURST_MAX]; /**< to transmit */
	uint16_t n[NATGW_SIDES];                             /**< how many */
};

struct natgw_nat;

/**
 * Create an engine.
 * @param name unique among engines (names the DPDK tables)
 * @param conf configuration, copied
 * @param err buffer for a one-line reason on failure
 * @return the engine, or NULL with @p err filled (bad configuration, no memory).
 */
struct natgw_nat *natgw_nat_create(const char *name, const struct natgw_nat_conf *conf,
		char *err, size_t errlen);

/** Free an engine and its tables. */
void natgw_nat_free(struct natgw_nat *nat);

/**
 * Translate a burst of frames that arrived on @p side at time @p now (ns).
 *
 * Each frame is either appended to @p out for the other side (translated), turned
 * into an answer for its own side (an RST, `aws` profile), or freed and counted
 * under its drop reason. The caller owns the mbufs again through @p out only.
 * @p out's counts are reset first. @p n is at most NATGW_BURST_MAX.
 */
void natgw_nat_burst(struct natgw_nat *nat, enum natgw_side side,
		struct rte_mbuf **pkts, uint16_t n, uint64_t now, struct natgw_nat_out *out);

/**
 * Limit what the engine forwards until the next call: @p bytes (IP bytes) and
 * @p pkts packets, the worker's share of the gateway's ceiling for one epoch
 * (lib/scale). A packet that arrives with too little left is dropped as
 * bandwidth_ceiling or packet_rate_ceiling (PacketsDropCount), before the NAT
 * looks at it; what is left of a budget does not carry over: each call
 * replaces it. natgw_nat_unlimit() lifts the limit (the default).
 */
void natgw_nat_set_budget(struct natgw_nat *nat, uint64_t bytes, uint64_t pkts);
void natgw_nat_unlimit(struct natgw_nat *nat);

/**
 * Expire idle sessions up to time @p now, doing about @p budget units of work:
 * each session examined and each wheel slot (about a second) crossed is one;
 * a call may end one unit past the budget. A session is reaped once the
 * wheel's second holding its deadline has wholly passed, and is recorded as
 * ended at its exact deadline.
 * @return work done.
 */
unsigned int natgw_nat_expire(struct natgw_nat *nat, uint64_t now, unsigned int budget);

/**
 * End every remaining session for a report at time @p now. Those whose timeout
 * has passed end at their deadline, as natgw_nat_expire() would have ended
 * them (fin, rst, or idle by their TCP state). The others are still held:
 * recorded with end_ns 0, as fin or rst if their connection was closed or
 * reset, as active otherwise. Records go to the flow log.
 */
void natgw_nat_finish(struct natgw_nat *nat, uint64_t now);

/** @return the engine's counters. */
const struct natgw_nat_stats *natgw_nat_stats(const struct natgw_nat *nat);

/** @return the engine's configuration. */
const struct natgw_nat_conf *natgw_nat_conf(const struct natgw_nat *nat);

/**
 * The flow log: every session that ended, in the order they ended.
 * @return the records; @p n gets their number.
 */
const struct natgw_flow_record *natgw_nat_flow_log(const struct natgw_nat *nat, size_t *n);

/**
 * Sessions held now, as flow records (end_ns 0; end "active", or "fin"/"rst"
 * for a closed or reset connection still held), for a live listing. Walks the
 * session array from @p cursor (start at 0) and leaves it where it stopped, so
 * that a long listing can be taken in pieces.
 * @return records written, at most @p max; fewer means the walk is complete.
 */
size_t natgw_nat_sessions(const struct natgw_nat *nat, uint32_t *cursor,
		struct natgw_flow_record *rec, size_t max);

/**
 * Traffic of ended sessions by service id: NATGW_SVC_MAX entries. Its sums
 * over services equal the flow log's (when kept) and, after
 * natgw_nat_finish(), the CloudWatch Bytes/PacketsOutTo counters less the
 * packets the NAT made itself (natgw_nat_stats' rst_sent, rst_bytes,
 * icmp_sent, icmp_bytes).
 */
const struct natgw_nat_acct *natgw_nat_acct_services(const struct natgw_nat *nat);

/**
 * Traffic of ended sessions by the classifier's name id: @p n gets the
 * entries (index = name id; 0 is the sessions without a name).
 */
const struct natgw_nat_acct *natgw_nat_acct_names(const struct natgw_nat *nat, size_t *n);

/**
 * The per-minute series of the CloudWatch metrics: every minute that saw a
 * packet or an expiry, oldest first, the current one last. Summed over the
 * rows, each counter equals natgw_nat_stats()'s; ActiveConnectionCount's
 * maximum over the rows equals its. Copies up to @p max rows into @p rows.
 * @return the number of rows there are.
 */
size_t natgw_nat_series(const struct natgw_nat *nat, struct natgw_nat_minute *rows, size_t max);

/**
 * The public endpoint of the flow between inside endpoint (@p in_ip, @p in_port)
 * and remote (@p rem_ip, @p rem_port), as an answer from the remote would be
 * addressed: for ICMP queries the ports are the identifier and 0.
 * All values in network order.
 * @return true if the NAT holds a mapping for it.
 */
bool natgw_nat_public_endpoint(const struct natgw_nat *nat, uint8_t proto,
		uint32_t in_ip, uint16_t in_port, uint32_t rem_ip, uint16_t rem_port,
		uint32_t *pub_ip, uint16_t *pub_port);

/**
 * The slice of the public port range that worker @p worker of c->n_workers
 * owns: @p span ports (host order) from @p base. Equal slices from port_lo;
 * the few ports past the last slice belong to no worker.
 */
void natgw_nat_port_slice(const struct natgw_nat_conf *c, unsigned int worker,
		uint32_t *base, uint32_t *span);

/** @return true if @p ip (network order) is in the inside networks. */
bool natgw_nat_is_inside(const struct natgw_nat_conf *c, uint32_t ip);

/**
 * Validate a configuration.
 * @return 0, or -1 with a one-line reason in @p err.
 */
int natgw_nat_conf_check(const struct natgw_nat_conf *c, char *err, size_t errlen);

#endif /* NATGW_NAT_H */
