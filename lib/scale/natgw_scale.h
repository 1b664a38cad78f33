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
 * Whether @p c is consistent: positive starts and steps, start <= max, a floor
 * of 0 or between start and max, up_frac in (0, 1], down_frac in [0, up_frac),
 * an epoch that divides one second and whose budget at the start holds a
 * 9001-byte packet and a packet, a window that is a multiple of the epoch.
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

#endif /* NATGW_SCALE_H */
