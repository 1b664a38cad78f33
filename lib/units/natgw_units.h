/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Quantities as people write them in options: a plain decimal number (digits,
 * a point, an exponent; no sign, no hex, no inf or nan) and a unit. One
 * grammar for every option that takes a rate, a size, a share or a duration
 * (--scale, --synth, the lab's rates), so that "5G", "1.5Gbps", "2MiB",
 * "90%" and "500ms" mean the same wherever they are given.
 */
#ifndef NATGW_UNITS_H
#define NATGW_UNITS_H

#include <stddef.h>
#include <stdint.h>

/** What a quantity is, and so which units it takes. */
enum natgw_qty {
	NATGW_QTY_PLAIN,    /**< a number, no unit */
	NATGW_QTY_COUNT,    /**< a decimal prefix k (or K), M, G or T: "250k", "1.5M" */
	NATGW_QTY_BITRATE,  /**< a COUNT, then "bps" or nothing: "5G", "1.5Gbps" */
	NATGW_QTY_PKTRATE,  /**< a COUNT, then "pps" or nothing: "1M", "2Mpps" */
	NATGW_QTY_BYTES,    /**< a COUNT's prefix or a binary one (Ki, Mi, Gi, Ti), then
			      *  "B" or nothing: "3M", "2MiB" */
	NATGW_QTY_FRACTION, /**< a number, or a percentage: "0.9", "90%" */
	NATGW_QTY_DURATION, /**< ns, us, ms, s, m or h, required: nanoseconds */
	NATGW_QTY_SECONDS,  /**< a DURATION, or a bare number of seconds: nanoseconds */
};

/** natgw_qty_parse's failures. */
enum {
	NATGW_QTY_NOT_NUMBER = -1, /**< the text does not start with a plain number */
	NATGW_QTY_BAD_UNIT = -2,   /**< a number, then no unit the quantity takes */
};

/**
 * Read @p s as a quantity of @p kind into @p v, in the base unit (a count,
 * bits or packets a second, bytes, a fraction, nanoseconds).
 * @return 0, NATGW_QTY_NOT_NUMBER or NATGW_QTY_BAD_UNIT.
 */
int natgw_qty_parse(const char *s, enum natgw_qty kind, double *v);

/**
 * Write @p v, a quantity of @p kind in its base unit, as natgw_qty_parse
 * reads it back exactly, in the largest unit that keeps it so: counts and
 * rates as "5G", "1.5M", "250k" (no unit word), durations (nanoseconds, a
 * whole number) as "60s", "10m", "1ms", fractions as the shortest decimal.
 * PLAIN, BYTES and SECONDS are written as COUNT, FRACTION and DURATION are.
 * @return @p buf.
 */
const char *natgw_qty_format(char *buf, size_t len, enum natgw_qty kind, double v);

/** A duration of @p ns nanoseconds as natgw_qty_format writes it, from a
 * whole number (beyond a double's 2^53 too). @return @p buf. */
const char *natgw_qty_format_ns(char *buf, size_t len, uint64_t ns);

#endif /* NATGW_UNITS_H */
