/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A synthetic workload: an ECS cluster behind the gateway, and a responder
 * that answers as its destinations would, so that traffic flows both ways
 * through a NAT without any real internet (docs/synth.md).
 *
 * The library is a frame source and sink in virtual time. The caller takes the
 * frames due (natgw_synth_next()), hands each to a NAT on the side it names,
 * and gives back what the NAT sent (natgw_synth_deliver()): towards the
 * destinations, the responder takes it; towards the hosts, the hosts do. With
 * no NAT, the caller closes the loop itself (natgw_synth_run_direct()).
 *
 * No clock is read: every time is an argument or comes from the scenario.
 * Everything is deterministic for a given seed and delivery sequence. Frames
 * delivered late, twice, out of order, broken, or for flows nobody knows are
 * counted, never trusted. Memory is bounded by the parameters.
 */
#ifndef NATGW_SYNTH_H
#define NATGW_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/** Where a frame is, as the NAT sees it. */
enum natgw_synth_side {
	NATGW_SYNTH_INSIDE,  /**< a host sent it: into the NAT's inside */
	NATGW_SYNTH_OUTSIDE, /**< a destination sent it: into the NAT's outside */
	NATGW_SYNTH_OBSERVE, /**< intra-VPC (the resolver): not through the NAT */
};

/** The workload's services: sessions and bytes are counted by these. */
#define NATGW_SYNTH_SERVICES(X) \
	X(ecs)       /* the agents' control channel */ \
	X(ecr_api)   /* api.ecr: the pull's authorisation */ \
	X(ecr_dkr)   /* the registry: manifest and blob redirect */ \
	X(s3)        /* the image's layers */ \
	X(dynamodb)  /* the tasks' queries */ \
	X(logs)      /* PutLogEvents */ \
	X(github)    /* an internet API over HTTPS */ \
	X(dns)       /* public DNS (8.8.8.8), through the NAT */ \
	X(vpc_dns)   /* the VPC resolver: never through the NAT */ \
	X(ping)      /* ICMP echo to 8.8.8.8 */ \
	X(statsd)    /* the UDP metrics burst (one-way) */

/** Services, NATGW_SYNTH_SVC_<name>. */
enum natgw_synth_svc {
#define NATGW_SYNTH_SVC_ENUM(n) NATGW_SYNTH_SVC_##n,
	NATGW_SYNTH_SERVICES(NATGW_SYNTH_SVC_ENUM)
#undef NATGW_SYNTH_SVC_ENUM
	NATGW_SYNTH_N_SVC
};

/** @return the service's name ("ecr_api"), or "?". */
const char *natgw_synth_svc_name(unsigned int svc);

/** The scenario's parameters (docs/synth.md has each key and its default). */
struct natgw_synth_conf {
	uint64_t seed;          /**< seed: everything random follows from it */
	uint32_t hosts;         /**< hosts: container instances (EC2 hosts) */
	uint32_t tasks;         /**< tasks: task launches, round robin over the hosts */
	uint64_t duration_ns;   /**< duration: how long tasks and agents run */
	uint64_t launch_ns;     /**< launch: task launches spread over this much */
	uint64_t start_ns;      /**< start: the first frame's time (Unix ns) */
	uint64_t image_bytes;   /**< image: a task image's size, all layers */
	uint32_t layers;        /**< layers: downloaded in parallel per task */
	uint64_t ecs_every_ns;  /**< ecs_every: agent heartbeat period */
	uint64_t ddb_every_ns;  /**< ddb_every: a task's DynamoDB request period */
	uint32_t ddb_req;       /**< ddb_req: request bytes (mean) */
	uint32_t ddb_resp;      /**< ddb_resp: response bytes (mean) */
	uint64_t logs_every_ns; /**< logs_every: PutLogEvents period */
	uint32_t logs_req;      /**< logs_req: upload bytes (mean) */
	double internet;        /**< internet: share of tasks that use the internet */
	uint64_t github_every_ns; /**< github_every: API call period */
	uint32_t github_resp;   /**< github_resp: response bytes (mean) */
	uint32_t pings;         /**< pings: ICMP echoes to 8.8.8.8 per internet task */
	uint64_t burst_bytes;   /**< burst: statsd burst bytes (0: none) */
	uint64_t burst_bps;     /**< burst_rate: its rate, bits/s */
	uint64_t burst_at_ns;   /**< burst_at: its time from the start */
	uint32_t net;           /**< net: the inside network (host order) */
	uint8_t net_len;        /**< its prefix length */
	uint32_t resolver;      /**< resolver: the VPC resolver (host order) */
	uint32_t retries;       /**< retries: tries of a SYN, a segment or a query */
	uint64_t rto_min_ns;    /**< rto_min: the data retransmission timeout's floor */
	uint32_t max_flows;     /**< max_flows: responder flows at once (beyond: refused) */
};

/** Counters of one service. */
struct natgw_synth_svc_stats {
	uint64_t started;   /**< sessions started (connections, queries, echoes) */
	uint64_t completed; /**< every exchange answered in full */
	uint64_t failed;    /**< gave up after the retries, reset, or cut at the bound */
	uint64_t asked;     /**< bytes the hosts asked the destinations for */
	uint64_t received;  /**< of them, received in order */
	uint64_t sent;      /**< bytes the hosts sent (requests, uploads) */
};

/** What a scenario did. */
struct natgw_synth_stats {
	struct natgw_synth_svc_stats svc[NATGW_SYNTH_N_SVC];
	uint64_t started, completed, failed; /**< sessions, all services */
	uint64_t frames_out[3];       /**< frames given, per natgw_synth_side */
	uint64_t delivered[2];        /**< frames delivered, to hosts / to responder */
	uint64_t retransmits_host;    /**< segments and queries the hosts sent again */
	uint64_t retransmits_resp;    /**< segments the responder sent again */
	uint64_t timeouts;            /**< retransmission timeouts, both ends */
	uint64_t fast_retransmits;    /**< go-back-N after three duplicate ACKs */
	uint64_t responder_aborted;   /**< responder flows that gave up (reset sent) */
	uint64_t unknown;             /**< frames for no flow the receiver knows */
	uint64_t duplicate;           /**< segments holding only data already had */
	uint64_t out_of_order;        /**< segments past a hole (dropped, dup-ACKed) */
	uint64_t malformed;           /**< unparseable, bad checksum, not ours */
	uint64_t late;                /**< delivered before the time already given */
	uint64_t resets;              /**< RSTs received */
	uint64_t refused;             /**< new responder flows over max_flows */
	uint64_t statsd_received;     /**< burst datagrams the collector got */
	uint64_t resp_flows_peak;     /**< responder flows at once, at most */
	uint64_t stalls;              /**< livelocks broken by the guard (a bug if any) */
	bool cut;                     /**< the hard bound ended it */
};

struct natgw_synth;

/** The defaults (docs/synth.md). */
void natgw_synth_conf_defaults(struct natgw_synth_conf *c);

/**
 * Apply `key=value,...` over @p c (after natgw_synth_conf_defaults()).
 * @return 0, or -1 with a one-line error naming the key in @p err.
 */
int natgw_synth_conf_parse(struct natgw_synth_conf *c, const char *kv, char *err,
		size_t errlen);

/** Make a scenario; NULL with a one-line reason in @p err. */
struct natgw_synth *natgw_synth_create(const struct natgw_synth_conf *c, char *err,
		size_t errlen);

/** Free a scenario (NULL is fine). */
void natgw_synth_free(struct natgw_synth *s);

/**
 * @return the earliest time anything is due (a lower bound on the next
 *   frame's time), or UINT64_MAX once nothing more will ever come.
 */
uint64_t natgw_synth_next_time(const struct natgw_synth *s);

/**
 * The next frame due, in time order (ties in the order made), as Ethernet
 * into @p buf: its length, time and side.
 * @param until take only a frame due at or before this (UINT64_MAX: the next
 *   one whatever its time)
 * @return 1 with a frame, 0 when none is due by @p until (or ever), -1 if
 *   @p cap is too small (the frame stays; *len says how much it needs).
 */
int natgw_synth_next(struct natgw_synth *s, uint64_t until, uint8_t *buf, uint32_t cap,
		uint32_t *len, uint64_t *ts_ns, enum natgw_synth_side *side);

/**
 * A frame the NAT sent out at @p now: OUTSIDE is towards the destinations
 * (the responder takes it), INSIDE towards the hosts (the hosts take it);
 * OBSERVE is ignored. The frame is copied; it is received a path's delay
 * later (never before the time already given out).
 */
void natgw_synth_deliver(struct natgw_synth *s, enum natgw_synth_side side,
		const uint8_t *frame, uint32_t len, uint64_t now);

/**
 * What happens to a frame in natgw_synth_run_direct(): 0 drop it, 1 deliver it,
 * 2 deliver it twice. @p side is where natgw_synth_next() put it.
 */
typedef int (*natgw_synth_frame_fn)(void *arg, const uint8_t *frame, uint32_t len,
		uint64_t ts_ns, enum natgw_synth_side side);

/**
 * Run the scenario with no NAT: every frame a host sends reaches the
 * responder as it is (private addresses), every answer the host; @p fn sees
 * each frame first (may be NULL: deliver all). Until nothing is left or
 * @p until. @return frames given.
 */
uint64_t natgw_synth_run_direct(struct natgw_synth *s, uint64_t until,
		natgw_synth_frame_fn fn, void *arg);

/** The counters so far. */
void natgw_synth_stats(const struct natgw_synth *s, struct natgw_synth_stats *st);

/** One line: hosts, tasks, duration, image, the burst. */
void natgw_synth_describe(const struct natgw_synth_conf *c, char *buf, size_t n);

/** One line: hosts and tasks, sessions completed and failed, retransmissions. */
void natgw_synth_summary(const struct natgw_synth_conf *c, const struct natgw_synth_stats *st,
		char *buf, size_t n);

/** The parameters as a JSON object (new reference). */
json_t *natgw_synth_conf_json(const struct natgw_synth_conf *c);

/** The counters as a JSON object (new reference). */
json_t *natgw_synth_stats_json(const struct natgw_synth_stats *st);

/** @return host @p i's address (host order): from .10 of the network's
 *  second /24 when it has one (the first holds the router and resolver). */
uint32_t natgw_synth_host_ip(const struct natgw_synth_conf *c, uint32_t i);

/**
 * The scenario's destinations, for other drivers that play them (the lab's
 * generator): destination @p i's name, address (host order) and port.
 * @return false once @p i is past the last.
 */
bool natgw_synth_destination(unsigned int i, const char **name, uint32_t *ip, uint16_t *port);

/** @return the scenario's parameters. */
const struct natgw_synth_conf *natgw_synth_conf(const struct natgw_synth *s);

#endif /* NATGW_SYNTH_H */
