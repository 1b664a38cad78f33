/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * What natgw's lab mode measures with: a latency histogram, the NDR/PDR
 * throughput search and rates on the wire (RFC 2544, RFC 9693).
 *
 * - The histogram is HDR-style: log-linear buckets with a fixed relative
 *   precision, fixed memory, recording without allocation; exact count, min,
 *   max and mean beside it. One histogram has one writer: give each worker
 *   its own and merge them.
 * - The search finds the highest offered rate with no loss (NDR, the
 *   Non-Drop Rate) and with at most a small loss ratio (PDR, the Partial Drop
 *   Rate) by bisection over trials the caller runs, both from the same
 *   trials, as TRex's and FD.io CSIT's NDR/PDR searches do.
 *   docs/lab.md, "How the search works", is the long form of the rules below.
 *
 * Plain C11 and libm: no DPDK, no clock (durations are the caller's), no
 * global state.
 */
#ifndef NATGW_LAB_H
#define NATGW_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Latency histogram, HDR-style (log-linear buckets) ---- */

/** Values up to this (2^40 ns, about 18 minutes) have a bucket of their own precision. */
#define NATGW_HIST_MAX_VALUE (1ull << 40)
/** sub_bits when 0 is asked: 128 sub-buckets a power of two, within 1/128 (0.8%). */
#define NATGW_HIST_DEFAULT_SUB_BITS 7u
/** The largest sub_bits: 4,096 sub-buckets a power of two, 950 KB of counts. */
#define NATGW_HIST_MAX_SUB_BITS 12u

/**
 * A histogram. The fields are here only so that natgw_hist_record() can be
 * inlined; use the functions.
 *
 * Buckets: every value below 2^(S+1) has a bucket of its own (exact); above,
 * the values from 2^e to 2^(e+1) - 1 are cut into 2^S buckets of 2^(e-S)
 * values each, so a bucket is at most 2^-S of its lowest value wide. The last
 * bucket starts at 2^40 and also holds every larger value (clamped, counted
 * in `overflow`).
 */
struct natgw_hist {
	unsigned int sub_bits;   /**< S */
	unsigned int n_buckets;  /**< (41 - S) × 2^S + 1 */
	uint64_t count;          /**< values recorded */
	uint64_t overflow;       /**< of which above NATGW_HIST_MAX_VALUE */
	uint64_t min;            /**< exact; UINT64_MAX while empty */
	uint64_t max;            /**< exact, the true value even when clamped */
	uint64_t sum_lo, sum_hi; /**< the exact sum of the true values, 128 bits */
	uint64_t counts[];       /**< per bucket */
};

/**
 * A histogram whose reported values are within 2^-@p sub_bits relative of
 * the true ones.
 * @param sub_bits S, 1..NATGW_HIST_MAX_SUB_BITS; 0 means NATGW_HIST_DEFAULT_SUB_BITS.
 * @return the histogram, or NULL (sub_bits out of range, or no memory).
 */
struct natgw_hist *natgw_hist_create(unsigned int sub_bits);

/** Free @p h (NULL is fine). */
void natgw_hist_free(struct natgw_hist *h);

/** Forget every value recorded. */
void natgw_hist_reset(struct natgw_hist *h);

/**
 * The bucket of @p v (at most NATGW_HIST_MAX_VALUE) with @p s sub-bits:
 * g = the power of two above the linear range that v falls in (0 for
 * v < 2^(S+1)), and v's top S+1 bits within it.
 */
static inline unsigned int
natgw_hist_index(unsigned int s, uint64_t v)
{
	/* v | 2^S has its highest bit at S or above, so g >= 0 with no branch */
	unsigned int g = (unsigned int)(63 - __builtin_clzll(v | (1ull << s))) - s;

	return (g << s) + (unsigned int)(v >> g);
}

/** Record one value @p v in nanoseconds; no allocation, a dozen instructions. */
static inline void
natgw_hist_record(struct natgw_hist *h, uint64_t v)
{
	unsigned int i;

	if (__builtin_expect(v > NATGW_HIST_MAX_VALUE, 0)) {
		h->overflow++;
		i = h->n_buckets - 1;
	} else {
		i = natgw_hist_index(h->sub_bits, v);
	}
	h->counts[i]++;
	h->count++;
	h->sum_lo += v;
	h->sum_hi += h->sum_lo < v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/** Record @p v @p n times (as n calls of natgw_hist_record(), in one step). */
void natgw_hist_record_n(struct natgw_hist *h, uint64_t v, uint64_t n);

/**
 * Add every value of @p src to @p dst (workers' histograms into one).
 * @return 0, or -1 if their sub_bits differ (@p dst is then unchanged).
 */
int natgw_hist_merge(struct natgw_hist *dst, const struct natgw_hist *src);

/** How many values were recorded. */
uint64_t natgw_hist_count(const struct natgw_hist *h);
/** The smallest value recorded, exact; 0 when empty. */
uint64_t natgw_hist_min(const struct natgw_hist *h);
/** The largest value recorded, exact (also when above NATGW_HIST_MAX_VALUE); 0 when empty. */
uint64_t natgw_hist_max(const struct natgw_hist *h);
/** The mean of the values recorded, from their exact sum; 0 when empty. */
double natgw_hist_mean(const struct natgw_hist *h);
/** How many values were above NATGW_HIST_MAX_VALUE (clamped into the last bucket). */
uint64_t natgw_hist_overflow(const struct natgw_hist *h);
/** The histogram's sub_bits (the default resolved). */
unsigned int natgw_hist_sub_bits(const struct natgw_hist *h);

/**
 * The value at percentile @p p (0..100): the smallest recorded value v such
 * that at least p% of the values recorded are <= v, reported as the highest
 * value of v's bucket clamped to [min, max], as HdrHistogram does. It is
 * therefore never below the true percentile and at most 2^-S of it above.
 * p <= 0 gives min, p >= 100 max; 0 when empty. "At least p%" means
 * ceil(p / 100 × count) values, with a relative tolerance of 1e-12 so that
 * p × count / 100 computed in floating point as 999000.0000001 still means
 * 999000.
 */
uint64_t natgw_hist_percentile(const struct natgw_hist *h, double p);

/**
 * Walk the non-empty buckets in increasing order (for CSV and plots):
 *
 *     unsigned int i = 0;
 *     while (natgw_hist_next_bucket(h, &i, &lo, &hi, &n) >= 0)
 *             printf("%lu,%lu,%lu\n", lo, hi, n);
 *
 * @param i where to start looking; set to the index after the bucket returned,
 *   so the next call goes on from there (no i++ in the loop).
 * @param lo, hi the bucket's values, both included. The last bucket is
 *   [2^40, max]: it holds the values clamped into it.
 * @param count how many values the bucket holds.
 * @return the bucket's index (>= the @p i passed in), or -1 when no bucket
 *   from there on holds a value.
 */
int natgw_hist_next_bucket(const struct natgw_hist *h, unsigned int *i, uint64_t *lo, uint64_t *hi,
		uint64_t *count);

/* ---- Throughput search: NDR and PDR by binary search over the offered rate ---- */

/** What one trial measured: filled by the caller's trial function. */
struct natgw_trial {
	/**
	 * The rate asked for (the search's unit: packets or connections a
	 * second). The search sets it, and duration_ns, before the call.
	 */
	double offered;
	double achieved;       /**< the rate the generator really sent at (may be < offered); must be set */
	uint64_t sent;         /**< packets (or connections) sent... */
	uint64_t received;     /**< ...and received back */
	uint64_t duration_ns;  /**< the trial's length */
};

/**
 * Run one trial at @p rate for @p duration_ns and fill @p t (offered and
 * duration_ns are already set to the two arguments).
 * @return 0, or -1 to abort the search (the caller reports why by its own means).
 */
typedef int (*natgw_trial_fn)(void *arg, double rate, uint64_t duration_ns, struct natgw_trial *t);

/**
 * How to search. Start from natgw_search_conf_defaults() and set the range:
 * a field of 0 takes its default only where 0 could mean nothing else
 * (precision, trial_ns, max_trials, gen_tolerance); ndr_loss and pdr_loss are
 * taken as they are, 0 included.
 */
struct natgw_search_conf {
	double min_rate;        /**< the search's lowest rate, > 0 (no default) */
	double max_rate;        /**< its highest, > min_rate (no default) */
	/**
	 * A bound is final when (upper - rate) <= precision × upper; in
	 * [1e-6, 0.5] (0: 0.005).
	 */
	double precision;
	double ndr_loss;        /**< loss ratio the NDR allows, in [0, 1) (0: none) */
	double pdr_loss;        /**< loss ratio the PDR allows, in [ndr_loss, 1) (0.005 = 0.5%) */
	uint64_t trial_ns;      /**< trial length, up to 1e15 ns (0: 1 s) */
	/**
	 * If > trial_ns: a bound is only found once a trial this long passed at
	 * its rate, run when the short trials have narrowed it (MLRsearch's final
	 * trial); a failed confirmation becomes the bound's new upper end and the
	 * search goes on. 0 (or <= trial_ns): no confirmation. Up to 1e15 ns.
	 */
	uint64_t final_ns;
	unsigned int max_trials; /**< hard bound on trials, confirmations included, up to 100,000 (0: 64) */
	/**
	 * A trial whose achieved rate is below offered × (1 - gen_tolerance) is
	 * generator-limited: not evidence about the DUT. In (0, 1) (0: 0.01).
	 */
	double gen_tolerance;
};

/** natgw_search_result keeps this many trials in its log. */
#define NATGW_SEARCH_MAX_LOG 128

/**
 * One bound: NDR or PDR.
 *
 * What to print, by the flags (R = rate, U = upper):
 * - found, at_max: "NDR >= R: the DUT was not the limit in the range";
 * - found, at_gen_limit: "NDR >= R: the generator's limit, the DUT was not
 *   the limit below it" (result.generator_max says how far the generator got);
 * - found, rate 0: "NDR < min_rate: even the lowest rate failed";
 * - found otherwise: "NDR = R (next rate up U failed)";
 * - not found: "NDR not found: between R and U when the search stopped" (it
 *   ran out of trials, a confirmation had not run, or the generator could not
 *   even offer min_rate).
 */
struct natgw_search_bound {
	double rate;        /**< the highest rate that passed below upper; 0 if none (min_rate failed) */
	/**
	 * The lowest rate that failed; max_rate when none failed, or the
	 * generator's limit when no rate the generator could reach failed.
	 */
	double upper;
	bool found;         /**< rate is final: within precision of upper, at_max, at_gen_limit or 0 */
	bool at_max;        /**< max_rate itself passed: the DUT was not the limit in the range */
	/**
	 * The generator could not offer more than rate and rate passed: the DUT
	 * was not the limit up to there; its own limit is unknown.
	 */
	bool at_gen_limit;
	bool confirmed;     /**< a trial of final_ns passed at rate */
	double loss;        /**< loss ratio of the trial that established rate (the confirmation's if any); 0 for rate 0 */
};

/** What a search found. */
struct natgw_search_result {
	struct natgw_search_bound ndr, pdr;
	bool generator_limited;      /**< some trial could not be offered at its rate */
	double generator_max;        /**< the highest achieved rate seen */
	unsigned int n_trials;       /**< trials run */
	struct natgw_trial log[NATGW_SEARCH_MAX_LOG]; /**< every trial in order (the first n_trials, capped) */
};

/** The defaults: no range (min_rate and max_rate 0, which the check refuses), the rest as documented. */
void natgw_search_conf_defaults(struct natgw_search_conf *c);

/**
 * Whether @p c can be searched (after zero fields take their defaults).
 * @return 0, or -1 with a one-line reason naming the field in @p err.
 */
int natgw_search_conf_check(const struct natgw_search_conf *c, char *err, size_t errlen);

/**
 * Search NDR and PDR over [min_rate, max_rate], calling @p fn for each trial
 * (the rules are in docs/lab.md, "How the search works"):
 *
 * - Both bounds come from the same trials: a trial with loss L passes the NDR
 *   iff L <= ndr_loss and the PDR iff L <= pdr_loss. Per bound, upper is the
 *   lowest rate that failed and rate the highest that passed below it.
 * - The first trial is at max_rate. Then each trial bisects the widest bound
 *   not yet final, at the geometric midpoint sqrt(rate × upper) (min_rate
 *   standing in for rate while nothing passed): the precision is relative,
 *   and halving the ratio upper/rate halves the relative width whatever the
 *   scale, so the number of trials depends on max_rate/min_rate and the
 *   precision only. A bound within precision of min_rate that has not passed
 *   tries min_rate itself; if that fails the bound is 0 (found).
 * - Noise: a fail below a pass makes the fail the upper end; passes above the
 *   lowest fail are ignored (conservative).
 * - A generator-limited trial is logged but not evidence; the search's top
 *   becomes its achieved rate (passes above the top are ignored, the next
 *   trial for a bound that has not failed below it is at the top). A pass at
 *   the top is at_gen_limit.
 * - final_ns: once the short trials made every bound final, each is
 *   confirmed by a long trial at its rate; a failed one is a fail like any
 *   other, and the search goes on.
 * - It stops when both bounds are found, after max_trials, or when the
 *   generator cannot offer min_rate.
 *
 * @param r filled also when the search stops early (max_trials, an abort).
 * @return 0 when the search ran (whether or not the bounds were found); -1
 *   with a one-line reason in @p err for a bad conf, a trial function that
 *   reported an achieved rate that is not a finite number >= 0, or no memory;
 *   -1 with @p err untouched when @p fn aborted.
 */
int natgw_search_run(const struct natgw_search_conf *c, natgw_trial_fn fn, void *arg,
		struct natgw_search_result *r, char *err, size_t errlen);

/**
 * Loss ratio of a trial: (sent - received) / sent, 0 for an empty trial;
 * received > sent (duplicates) is loss 0 (the trial, in the log, keeps both counts).
 */
double natgw_trial_loss(const struct natgw_trial *t);

/* ---- Rates on the wire ---- */

/**
 * Bits a second at layer 2: each frame with its 4-byte FCS.
 * @param pps frames a second
 * @param mean_frame_len the mean frame length WITHOUT the FCS (what DPDK counts)
 */
double natgw_rate_l2_bps(double pps, double mean_frame_len);

/**
 * Bits a second at layer 1: each frame with its FCS, its 8 bytes of preamble
 * and start delimiter and its 12 bytes of inter-frame gap (what fills a link:
 * 64-byte frames at 14,880,952 a second are 10 Gbps).
 */
double natgw_rate_l1_bps(double pps, double mean_frame_len);

#endif
