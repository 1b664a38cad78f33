/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A model of the AWS NAT gateway's elastic ceiling (docs/scaling.md).
 *
 * AWS documents that a NAT gateway starts at 5 Gbps and 1 million packets a
 * second, scales automatically up to 45 Gbps (newer documentation: 100 Gbps)
 * and 10 million packets a second, and drops what goes beyond; it does not
 * publish how it scales. This library models it so a run shows when and how
 * much its traffic would have been throttled:
 *
 * - the ceiling, in bits per second (IP-layer bytes × 8) and in packets per
 *   second, starts low; each of the two steps up while the demand offered
 *   keeps pressing it and steps down after sustained low use, independently
 *   of the other;
 * - enforcement is by budgets: the caller's time is cut into epochs (1 ms);
 *   at each epoch the controller gives every share (a worker) the bytes and
 *   packets it may forward until the next, split in proportion to what the
 *   shares were offered, from a token bucket one epoch deep;
 * - the caller reports what each share was offered, forwarded and dropped;
 *   the controller keeps a per-second timeline and a log of its steps.
 *
 * Plain C and libm (jansson for the JSON): no DPDK, no clock (every time is an
 * argument, in nanoseconds), no global state. One controller is used by one
 * thread: the caller collects the workers' counters and calls it once an epoch.
 */
#ifndef NATGW_SCALE_H
#define NATGW_SCALE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/** The two dimensions of the ceiling. */
enum natgw_scale_dim {
	NATGW_SCALE_BPS, /**< bits per second, counting IP-layer bytes × 8 */
	NATGW_SCALE_PPS, /**< packets per second */
	NATGW_SCALE_DIMS
};

/**
 * The model's parameters. Fill with natgw_scale_conf_defaults(), change with
 * natgw_scale_conf_set(). The --scale keys are the field names without the
 * _ns suffix. Rates are in bits per second (bps_*) and packets per second
 * (pps_*), durations in nanoseconds.
 */
struct natgw_scale_conf {
	double bps_start;       /**< the ceiling at the start (5G) */
	double bps_max;         /**< it never steps above (45G) */
	double bps_step;        /**< one step, up or down (5G) */
	double bps_floor;       /**< it never steps down below; 0: bps_start (0) */
	double pps_start;       /**< (1M) */
	double pps_max;         /**< (10M) */
	double pps_step;        /**< (1M) */
	double pps_floor;       /**< 0: pps_start (0) */
	double up_frac;         /**< demand >= up_frac × ceiling presses it, in (0, 1] (0.9) */
	uint64_t up_after_ns;   /**< pressing this long before a step up (60 s) */
	uint64_t gap_ns;        /**< at least this long between two steps of a dimension (60 s) */
	/**
	 * Low use: demand < down_frac × the ceiling one step lower, in
	 * [0, up_frac); 0 never steps down (0.5).
	 */
	double down_frac;
	uint64_t down_after_ns; /**< low use this long before a step down (10 min) */
	uint64_t window_ns;     /**< demand is measured over windows this long (1 s) */
	uint64_t epoch_ns;      /**< budgets are given this often; divides one second (1 ms) */
};

/** The defaults, each explained in docs/scaling.md. */
void natgw_scale_conf_defaults(struct natgw_scale_conf *c);

/**
 * Change parameters from a --scale value: "key=value[,key=value...]" with the
 * keys bps_start, bps_max, bps_step, bps_floor, pps_start, pps_max, pps_step,
 * pps_floor, up_frac, up_after, gap, down_frac, down_after, window, epoch.
 * Rates take k, M, G or T and an optional unit ("1.5G", "500Mbps", "250k",
 * "2Mpps"); fractions a number or a percentage ("0.9", "90%"); durations need
 * a unit: ns, us, ms, s, m or h ("500ms", "60s", "2m"). The result must pass
 * natgw_scale_conf_check().
 * @return 0, or -1 with a one-line reason naming the key in @p err (@p c is
 * then unchanged).
 */
int natgw_scale_conf_set(struct natgw_scale_conf *c, const char *spec, char *err,
		size_t errlen);

/**
 * Whether @p c is consistent: positive starts and steps, start <= max <= 1000T,
 * a floor of 0 or between start and max, up_frac in (0, 1], down_frac in
 * [0, up_frac), durations up to 1e18 ns, an epoch that divides one second and
 * whose budget at the start holds a 9001-byte packet and one packet, a window
 * that is a multiple of the epoch.
 * @return 0, or -1 with a one-line reason naming the key in @p err.
 */
int natgw_scale_conf_check(const struct natgw_scale_conf *c, char *err, size_t errlen);

/**
 * @p c as a --scale value with every key, units chosen to read well
 * ("bps_start=5G,...,epoch=1ms"); natgw_scale_conf_set() reads it back to the
 * same values. Like snprintf: @return the length the whole text needs.
 */
int natgw_scale_conf_str(const struct natgw_scale_conf *c, char *buf, size_t len);

/**
 * @p c as a JSON object keyed like --scale: rates in bits or packets per
 * second, fractions, durations in seconds, the floors as they apply (the start
 * for 0). @return 0, or -1 (no memory).
 */
int natgw_scale_conf_json(const struct natgw_scale_conf *c, json_t **out);

/** One gateway's controller. */
struct natgw_scale;

/** What one share did since the previous natgw_scale_epoch(). Bytes are IP-layer bytes. */
struct natgw_scale_use {
	uint64_t offered_bytes, offered_pkts; /**< everything that arrived, forwarded or not */
	uint64_t fwd_bytes, fwd_pkts;         /**< forwarded, within the budget */
	uint64_t drop_bytes, drop_pkts;       /**< dropped for want of budget */
};

/** What one share may forward until the next natgw_scale_epoch(). */
struct natgw_scale_budget {
	uint64_t bytes; /**< a packet is forwarded only if its bytes fit... */
	uint64_t pkts;  /**< ...and a packet is left */
};

/**
 * A controller with @p n shares (workers, at least 1) at the start of @p c.
 * @return it, or NULL with a one-line reason in @p err (a conf that fails
 * natgw_scale_conf_check(), no share, no memory).
 */
struct natgw_scale *natgw_scale_create(const struct natgw_scale_conf *c, unsigned int n,
		char *err, size_t errlen);

/** Free @p s (NULL is fine). */
void natgw_scale_free(struct natgw_scale *s);

/**
 * Add what share @p share (below n; others are ignored) did since the
 * previous natgw_scale_epoch(): several calls add up. The next
 * natgw_scale_epoch() accounts it to the epoch that call ended.
 */
void natgw_scale_add(struct natgw_scale *s, unsigned int share, const struct natgw_scale_use *u);

/**
 * Advance to @p now (ns; earlier than before counts as no time passing, a long
 * gap is jumped over, not walked): account what was added, close the demand
 * windows that ended and step the ceiling as the model says, and give in
 * @p b[0..n-1] each share's budget until the next call. Budgets refill once an
 * epoch of the grid now / epoch; a second call in the same epoch gives what is
 * left of it, split again.
 * @return 0, or -1 if the timeline or the step log could not grow (no memory;
 * the budgets are given all the same).
 */
int natgw_scale_epoch(struct natgw_scale *s, uint64_t now, struct natgw_scale_budget *b);

/**
 * A controller that enforces nothing, for a what-if (one gateway in the place
 * of several): given what was offered in the epoch that ends at @p now, it
 * decides itself what its last budget would have let through, as a fluid (a
 * packet is dropped for either limit: the packets dropped are the more of
 * those over the packet budget and the bytes' share over the byte budget),
 * adds that as share 0 and moves on to the next epoch. @p s has one share;
 * @p b holds its budget between calls (start it zeroed).
 * @return as natgw_scale_epoch().
 */
int natgw_scale_shadow_epoch(struct natgw_scale *s, uint64_t now, uint64_t offered_bytes,
		uint64_t offered_pkts, struct natgw_scale_budget *b);

/** Where a controller stands. */
struct natgw_scale_state {
	double ceil[NATGW_SCALE_DIMS];      /**< the ceiling now: bits/s, packets/s */
	uint64_t ups[NATGW_SCALE_DIMS];     /**< steps up so far */
	uint64_t downs[NATGW_SCALE_DIMS];   /**< steps down so far */
	/** everything added before the last natgw_scale_epoch(), all shares */
	struct natgw_scale_use total;
};

/** Where @p s stands now. */
void natgw_scale_state(const struct natgw_scale *s, struct natgw_scale_state *st);

/**
 * One second of the timeline: the traffic of the epochs that started in it.
 * Counts in one second are rates: bits (IP bytes × 8) and packets per second.
 */
struct natgw_scale_second {
	uint64_t sec;                        /**< now / 10^9 */
	uint64_t demand_bps, demand_pps;     /**< offered */
	uint64_t fwd_bps, fwd_pps;           /**< forwarded */
	uint64_t drop_bps, drop_pps;         /**< dropped for want of budget */
	double ceil_bps, ceil_pps;           /**< the ceiling at the second's last epoch */
	double peak_bps, peak_pps;           /**< the busiest epoch's demand, as a rate */
};

/**
 * The timeline: a second for every second in which natgw_scale_epoch() was
 * called, in order; seconds without a call carried no traffic and have none.
 * Its sums equal what was added. Valid until the next natgw_scale_epoch().
 * @return the seconds, @p n of them (NULL if none).
 */
const struct natgw_scale_second *natgw_scale_timeline(const struct natgw_scale *s, size_t *n);

/** One step of the ceiling. */
struct natgw_scale_step {
	uint64_t t_ns;            /**< the end of the demand window that decided it */
	enum natgw_scale_dim dim;
	double from, to;
};

/**
 * Every step so far, in order of time. Valid until the next
 * natgw_scale_epoch(). @return the steps, @p n of them (NULL if none).
 */
const struct natgw_scale_step *natgw_scale_steps(const struct natgw_scale *s, size_t *n);

/**
 * The controller for report.json: "conf" (natgw_scale_conf_json()), "ceiling",
 * "ups" and "downs" (each {"bps", "pps"}), "total" (the sums added), "steps"
 * (a list), and "timeline" as columns of equal length ("sec", "demand_bps",
 * ..., "ceil_pps"), ready to plot. @return 0, or -1 (no memory).
 */
int natgw_scale_json(const struct natgw_scale *s, json_t **out);

#endif /* NATGW_SCALE_H */
