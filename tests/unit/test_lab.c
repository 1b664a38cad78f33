/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/lab: the latency histogram against sorted arrays of known inputs (each
 * percentile never below the true one and at most 2^-S above it), its exact
 * statistics, merge, reset, overflow and bucket layout; the NDR/PDR search
 * against synthetic DUTs whose true NDR and PDR are known in closed form
 * (step and gradual loss curves, noise, a limited generator, long trials that
 * fail), its stopping rules and its conf errors; rates on the wire at 10GbE
 * line rate. The library does not use DPDK and this suite starts no EAL.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natgw_lab.h"
#include "natgw_test.h"

#define SEC 1000000000ull

static char err[512];

/* @p got within @p frac of @p want (relative). */
#define ck_within(got, want, frac) do { \
	double g_ = (double)(got), w_ = (double)(want); \
	ck_assert_msg(fabs(g_ - w_) <= (frac) * fabs(w_), "%s = %.9g, expected %.9g within %g%%", \
		#got, g_, w_, (frac) * 100); \
} while (0)

/* splitmix64 with a fixed seed: the same inputs on every run */
static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double
rng_unit(void)
{
	return (double)(rng() >> 11) * 0x1p-53;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- histogram ---- */

/* The percentiles every data set is checked at. */
static const double pcts[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 99.999, 100};

/*
 * The true percentile of @p sorted: the smallest value with at least p% of
 * the values at or below it, i.e. the ceil(p n / 100)-th smallest. Computed
 * here the plain way (the 1e-6 absorbs p n / 100 landing a hair above an
 * integer in floating point).
 */
static uint64_t
true_pct(const uint64_t *sorted, size_t n, double p)
{
	size_t k;

	if (p <= 0)
		return sorted[0];
	if (p >= 100)
		return sorted[n - 1];
	k = (size_t)ceil(p * (double)n / 100 - 1e-6);
	return sorted[k ? k - 1 : 0];
}

/*
 * Record @p v[0..n-1] (sorted in place afterwards) with each sub_bits, and
 * check count, min, max and mean exactly, and every percentile: never below
 * the true one, at most 2^-S of it above, never above max.
 */
static void
check_dataset(const char *name, uint64_t *v, size_t n)
{
	static const unsigned int subs[] = {1, 3, 0, 10, 12};
	uint64_t sum = 0;
	size_t i, j, k;

	for (i = 0; i < n; i++)
		sum += v[i];
	for (k = 0; k < sizeof(subs) / sizeof(subs[0]); k++) {
		struct natgw_hist *h = natgw_hist_create(subs[k]);
		unsigned int s;
		double rel;

		ck_assert_ptr_nonnull(h);
		s = natgw_hist_sub_bits(h);
		rel = ldexp(1, -(int)s);
		for (i = 0; i < n; i++)
			natgw_hist_record(h, v[i]);
		if (k == 0)
			qsort(v, n, sizeof(v[0]), cmp_u64);
		ck_assert_uint_eq(natgw_hist_count(h), n);
		ck_assert_uint_eq(natgw_hist_min(h), v[0]);
		ck_assert_uint_eq(natgw_hist_max(h), v[n - 1]);
		ck_assert_msg(natgw_hist_mean(h) == (double)sum / (double)n, "%s: mean %.17g != %.17g",
			name, natgw_hist_mean(h), (double)sum / (double)n);
		ck_assert_uint_eq(natgw_hist_overflow(h), 0);
		for (j = 0; j < sizeof(pcts) / sizeof(pcts[0]); j++) {
			uint64_t want = true_pct(v, n, pcts[j]);
			uint64_t got = natgw_hist_percentile(h, pcts[j]);

			ck_assert_msg(got >= want && (double)(got - want) <= rel * (double)want &&
				got <= v[n - 1], "%s, S=%u: p%g = %llu, true %llu (within %g)", name, s,
				pcts[j], (unsigned long long)got, (unsigned long long)want, rel);
		}
		ck_assert_uint_eq(natgw_hist_percentile(h, 0), v[0]);
		ck_assert_uint_eq(natgw_hist_percentile(h, 100), v[n - 1]);
		natgw_hist_free(h);
	}
}

START_TEST(test_hist_uniform)
{
	size_t n = 1000000, i;
	uint64_t *v = malloc(n * sizeof(*v));

	ck_assert_ptr_nonnull(v);
	/* 1..1e6 in a scrambled order: the order of recording must not matter */
	for (i = 0; i < n; i++)
		v[i] = (i * 7919) % n + 1;
	check_dataset("uniform", v, n);
	ck_assert_uint_eq(v[499999], 500000);
	free(v);
}
END_TEST

START_TEST(test_hist_constant)
{
	uint64_t v[1000];
	struct natgw_hist *h = natgw_hist_create(0);
	size_t i, j;

	for (i = 0; i < 1000; i++)
		v[i] = 123456789;
	check_dataset("constant", v, 1000);
	/* one value: every percentile is that value exactly (clamped to min = max) */
	for (i = 0; i < 1000; i++)
		natgw_hist_record(h, 123456789);
	for (j = 0; j < sizeof(pcts) / sizeof(pcts[0]); j++)
		ck_assert_uint_eq(natgw_hist_percentile(h, pcts[j]), 123456789);
	ck_assert(natgw_hist_mean(h) == 123456789.0);
	natgw_hist_free(h);
}
END_TEST

START_TEST(test_hist_two_spikes)
{
	uint64_t v[10000];
	struct natgw_hist *h = natgw_hist_create(0);
	size_t i;

	/* 90% at 20 us, 10% at 3 ms, interleaved */
	for (i = 0; i < 10000; i++)
		v[i] = i % 10 == 9 ? 3000000 : 20000;
	for (i = 0; i < 10000; i++)
		natgw_hist_record(h, v[i]);
	/* p90 is the 9,000th value, the last of the low spike; just above, the high one */
	ck_assert_uint_ge(natgw_hist_percentile(h, 90), 20000);
	ck_assert_uint_le(natgw_hist_percentile(h, 90), 20000 + 20000 / 128);
	ck_assert_uint_eq(natgw_hist_percentile(h, 90.01), 3000000);
	ck_assert_uint_eq(natgw_hist_percentile(h, 99), 3000000);
	ck_assert_uint_eq(natgw_hist_percentile(h, 0), 20000);
	ck_assert(natgw_hist_mean(h) == (9000.0 * 20000 + 1000.0 * 3000000) / 10000);
	natgw_hist_free(h);
	check_dataset("two spikes", v, 10000);
}
END_TEST

START_TEST(test_hist_exponential)
{
	size_t n = 200000, i;
	uint64_t *v = malloc(n * sizeof(*v));

	ck_assert_ptr_nonnull(v);
	/* latencies with a mean of 50 us and a long tail, from a fixed seed */
	rng_state = 42;
	for (i = 0; i < n; i++)
		v[i] = (uint64_t)(-50000.0 * log(1 - rng_unit()));
	check_dataset("exponential", v, n);
	/* the tail reaches several times the mean: the log buckets matter */
	ck_assert_uint_gt(v[n - 1], 400000);
	free(v);
}
END_TEST

/*
 * Every value lands in a bucket that holds it, at most 2^-S of its lowest
 * value wide; buckets follow values' order. Values around every power of two
 * to 2^40 and random ones, every sub_bits.
 */
START_TEST(test_hist_buckets)
{
	unsigned int s;

	rng_state = 7;
	for (s = 1; s <= NATGW_HIST_MAX_SUB_BITS; s++) {
		struct natgw_hist *h = natgw_hist_create(s);
		uint64_t vals[41 * 3 + 2000];
		size_t n = 0, i;

		ck_assert_ptr_nonnull(h);
		for (i = 0; i <= 40; i++) {
			vals[n++] = (1ull << i) - 1;
			vals[n++] = 1ull << i;
			vals[n++] = (1ull << i) + 1 > NATGW_HIST_MAX_VALUE ? NATGW_HIST_MAX_VALUE :
				(1ull << i) + 1;
		}
		for (i = 0; i < 2000; i++)
			vals[n++] = rng() >> (24 + rng() % 40);
		qsort(vals, n, sizeof(vals[0]), cmp_u64);
		for (i = 0; i < n; i++) {
			unsigned int idx = natgw_hist_index(s, vals[i]), at = idx;
			uint64_t lo, hi, c;

			natgw_hist_record(h, vals[i]);
			ck_assert_int_eq(natgw_hist_next_bucket(h, &at, &lo, &hi, &c), (int)idx);
			ck_assert_uint_eq(at, idx + 1);
			ck_assert_msg(lo <= vals[i] && vals[i] <= hi, "S=%u: %llu not in [%llu, %llu]",
				s, (unsigned long long)vals[i], (unsigned long long)lo,
				(unsigned long long)hi);
			ck_assert_msg((double)(hi - lo) <= ldexp((double)lo, -(int)s),
				"S=%u: [%llu, %llu] is too wide", s, (unsigned long long)lo,
				(unsigned long long)hi);
			if (i > 0)
				ck_assert_uint_le(natgw_hist_index(s, vals[i - 1]), idx);
			ck_assert_uint_lt(idx, h->n_buckets);
		}
		ck_assert_uint_eq(natgw_hist_index(s, NATGW_HIST_MAX_VALUE), h->n_buckets - 1);
		natgw_hist_free(h);
	}
}
END_TEST

/*
 * Iteration: with every value 0..2^14 recorded, the buckets tile the values
 * with no gap or overlap and each holds as many values as it is wide; with
 * random data, the counts sum to the count.
 */
START_TEST(test_hist_iterate)
{
	struct natgw_hist *h = natgw_hist_create(2);
	uint64_t lo, hi, c, next = 0, total = 0;
	unsigned int i = 0;
	int idx, prev = -1;

	for (lo = 0; lo < 1u << 14; lo++)
		natgw_hist_record(h, lo);
	while ((idx = natgw_hist_next_bucket(h, &i, &lo, &hi, &c)) >= 0) {
		ck_assert_int_gt(idx, prev);
		ck_assert_uint_eq(lo, next);
		ck_assert_uint_eq(c, hi - lo + 1);
		next = hi + 1;
		prev = idx;
		total += c;
	}
	ck_assert_uint_eq(next, 1u << 14);
	ck_assert_uint_eq(total, 1u << 14);
	ck_assert_int_eq(natgw_hist_next_bucket(h, &i, &lo, &hi, &c), -1);
	natgw_hist_free(h);

	h = natgw_hist_create(0);
	rng_state = 99;
	for (c = 0; c < 50000; c++)
		natgw_hist_record(h, rng() >> (20 + rng() % 44));
	i = 0;
	total = 0;
	next = 0;
	while (natgw_hist_next_bucket(h, &i, &lo, &hi, &c) >= 0) {
		ck_assert_uint_ge(lo, next);
		ck_assert_uint_ge(hi, lo);
		ck_assert_uint_gt(c, 0);
		next = hi + 1;
		total += c;
	}
	ck_assert_uint_eq(total, natgw_hist_count(h));
	natgw_hist_free(h);
}
END_TEST

/* Two histograms with every bucket, statistic and percentile equal. */
static void
ck_hist_eq(const struct natgw_hist *a, const struct natgw_hist *b)
{
	uint64_t alo, ahi, ac, blo, bhi, bc;
	unsigned int i = 0, j = 0;
	size_t k;
	int ia, ib;

	ck_assert_uint_eq(natgw_hist_count(a), natgw_hist_count(b));
	ck_assert_uint_eq(natgw_hist_min(a), natgw_hist_min(b));
	ck_assert_uint_eq(natgw_hist_max(a), natgw_hist_max(b));
	ck_assert_uint_eq(natgw_hist_overflow(a), natgw_hist_overflow(b));
	ck_assert(natgw_hist_mean(a) == natgw_hist_mean(b));
	do {
		ia = natgw_hist_next_bucket(a, &i, &alo, &ahi, &ac);
		ib = natgw_hist_next_bucket(b, &j, &blo, &bhi, &bc);
		ck_assert_int_eq(ia, ib);
		if (ia >= 0) {
			ck_assert_uint_eq(alo, blo);
			ck_assert_uint_eq(ahi, bhi);
			ck_assert_uint_eq(ac, bc);
		}
	} while (ia >= 0);
	for (k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++)
		ck_assert_uint_eq(natgw_hist_percentile(a, pcts[k]),
			natgw_hist_percentile(b, pcts[k]));
}

START_TEST(test_hist_merge)
{
	struct natgw_hist *all = natgw_hist_create(0), *w[3], *other = natgw_hist_create(5);
	uint64_t v;
	size_t i;

	for (i = 0; i < 3; i++)
		w[i] = natgw_hist_create(0);
	rng_state = 5;
	/* three workers' latencies, one of them also above 2^40 */
	for (i = 0; i < 300000; i++) {
		v = (uint64_t)(-20000.0 * log(1 - rng_unit())) * (1 + i % 3);
		if (i % 100000 == 2)
			v = NATGW_HIST_MAX_VALUE * 3;
		natgw_hist_record(all, v);
		natgw_hist_record(w[i % 3], v);
	}
	/* into an empty one, and an empty one into it */
	ck_assert_int_eq(natgw_hist_merge(other, w[0]), -1);
	ck_assert_uint_eq(natgw_hist_count(other), 0);
	natgw_hist_free(other);
	other = natgw_hist_create(0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(natgw_hist_merge(other, w[i]), 0);
	natgw_hist_reset(w[0]);
	ck_assert_int_eq(natgw_hist_merge(other, w[0]), 0);
	ck_hist_eq(other, all);
	ck_assert_uint_eq(natgw_hist_overflow(other), 3);
	ck_assert_uint_eq(natgw_hist_max(other), NATGW_HIST_MAX_VALUE * 3);
	for (i = 0; i < 3; i++)
		natgw_hist_free(w[i]);
	natgw_hist_free(other);
	natgw_hist_free(all);
}
END_TEST

START_TEST(test_hist_reset)
{
	struct natgw_hist *h = natgw_hist_create(4), *fresh = natgw_hist_create(4);
	uint64_t lo, hi, c;
	unsigned int i = 0;

	for (c = 1; c < 1000; c++)
		natgw_hist_record(h, c * c);
	natgw_hist_record(h, UINT64_MAX);
	natgw_hist_reset(h);
	ck_assert_uint_eq(natgw_hist_count(h), 0);
	ck_assert_uint_eq(natgw_hist_min(h), 0);
	ck_assert_uint_eq(natgw_hist_max(h), 0);
	ck_assert(natgw_hist_mean(h) == 0);
	ck_assert_uint_eq(natgw_hist_overflow(h), 0);
	ck_assert_uint_eq(natgw_hist_percentile(h, 50), 0);
	ck_assert_uint_eq(natgw_hist_percentile(h, 100), 0);
	ck_assert_int_eq(natgw_hist_next_bucket(h, &i, &lo, &hi, &c), -1);
	ck_hist_eq(h, fresh);
	/* and it records as a new one does */
	for (c = 5; c < 500; c += 7) {
		natgw_hist_record(h, c);
		natgw_hist_record(fresh, c);
	}
	ck_hist_eq(h, fresh);
	ck_assert_uint_eq(natgw_hist_min(h), 5);
	natgw_hist_free(h);
	natgw_hist_free(fresh);
}
END_TEST

START_TEST(test_hist_overflow)
{
	struct natgw_hist *h = natgw_hist_create(0), *a, *b, *all;
	uint64_t lo, hi, c;
	unsigned int i = 0;

	natgw_hist_record(h, 0);
	natgw_hist_record(h, NATGW_HIST_MAX_VALUE);      /* the last value with a bucket */
	natgw_hist_record(h, NATGW_HIST_MAX_VALUE + 1);  /* clamped */
	natgw_hist_record(h, UINT64_MAX);                /* clamped */
	ck_assert_uint_eq(natgw_hist_count(h), 4);
	ck_assert_uint_eq(natgw_hist_overflow(h), 2);
	ck_assert_uint_eq(natgw_hist_min(h), 0);
	ck_assert_uint_eq(natgw_hist_max(h), UINT64_MAX);
	/* the sum passes 2^64 and stays exact: (2^64 - 1 + 2^41 + 1) / 4 */
	ck_assert(natgw_hist_mean(h) == ldexp(1, 62) + ldexp(1, 39));
	ck_assert_uint_eq(natgw_hist_percentile(h, 25), 0);
	/* the last bucket holds 2^40 and everything above it: it reports max */
	ck_assert_uint_eq(natgw_hist_percentile(h, 50), UINT64_MAX);
	ck_assert_uint_eq(natgw_hist_percentile(h, 100), UINT64_MAX);
	ck_assert_int_eq(natgw_hist_next_bucket(h, &i, &lo, &hi, &c), 0);
	ck_assert_uint_eq(lo, 0);
	ck_assert_uint_eq(c, 1);
	ck_assert_int_eq(natgw_hist_next_bucket(h, &i, &lo, &hi, &c), (int)h->n_buckets - 1);
	ck_assert_uint_eq(lo, NATGW_HIST_MAX_VALUE);
	ck_assert_uint_eq(hi, UINT64_MAX);
	ck_assert_uint_eq(c, 3);
	ck_assert_int_eq(natgw_hist_next_bucket(h, &i, &lo, &hi, &c), -1);
	natgw_hist_free(h);

	/* merged sums pass 2^64 too */
	a = natgw_hist_create(0);
	b = natgw_hist_create(0);
	all = natgw_hist_create(0);
	natgw_hist_record(a, UINT64_MAX);
	natgw_hist_record(b, UINT64_MAX);
	natgw_hist_record(b, 5);
	natgw_hist_record_n(all, UINT64_MAX, 2);
	natgw_hist_record(all, 5);
	ck_assert_int_eq(natgw_hist_merge(a, b), 0);
	ck_hist_eq(a, all);
	ck_assert(natgw_hist_mean(a) == (ldexp(1, 65) + 3) / 3);
	natgw_hist_free(a);
	natgw_hist_free(b);
	natgw_hist_free(all);

	/* without overflow, the last bucket is 2^40 alone */
	h = natgw_hist_create(0);
	natgw_hist_record(h, NATGW_HIST_MAX_VALUE);
	i = 0;
	ck_assert_int_eq(natgw_hist_next_bucket(h, &i, &lo, &hi, &c), (int)h->n_buckets - 1);
	ck_assert_uint_eq(hi, NATGW_HIST_MAX_VALUE);
	ck_assert_uint_eq(natgw_hist_overflow(h), 0);
	natgw_hist_free(h);
}
END_TEST

START_TEST(test_hist_record_n)
{
	static const struct { uint64_t v, n; } in[] = {
		{0, 3}, {1, 1}, {777, 1000}, {123456, 2049}, {5000000, 1}, {NATGW_HIST_MAX_VALUE, 2},
		{NATGW_HIST_MAX_VALUE + 12345, 5}, {42, 0},
	};
	struct natgw_hist *a = natgw_hist_create(9), *b = natgw_hist_create(9);
	uint64_t k;
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		natgw_hist_record_n(a, in[i].v, in[i].n);
		for (k = 0; k < in[i].n; k++)
			natgw_hist_record(b, in[i].v);
	}
	ck_hist_eq(a, b);
	ck_assert_uint_eq(natgw_hist_overflow(a), 5);
	ck_assert_uint_eq(natgw_hist_min(a), 0);
	natgw_hist_free(a);
	natgw_hist_free(b);

	/* a sum far past 2^64: 2^40 ns 2^30 times, and 2^64 - 1 2^20 times */
	a = natgw_hist_create(0);
	natgw_hist_record_n(a, NATGW_HIST_MAX_VALUE, 1ull << 30);
	ck_assert(natgw_hist_mean(a) == ldexp(1, 40));
	natgw_hist_record_n(a, UINT64_MAX, 1ull << 30);
	ck_within(natgw_hist_mean(a), (ldexp(1, 40) + ldexp(1, 64)) / 2, 1e-15);
	ck_assert_uint_eq(natgw_hist_count(a), 1ull << 31);
	ck_assert_uint_eq(natgw_hist_overflow(a), 1ull << 30);
	natgw_hist_free(a);
}
END_TEST

START_TEST(test_hist_create)
{
	struct natgw_hist *h;

	ck_assert_ptr_null(natgw_hist_create(NATGW_HIST_MAX_SUB_BITS + 1));
	ck_assert_ptr_null(natgw_hist_create(64));
	h = natgw_hist_create(0);
	ck_assert_uint_eq(natgw_hist_sub_bits(h), NATGW_HIST_DEFAULT_SUB_BITS);
	/* 128 buckets a power of two: 34 × 128 + the last */
	ck_assert_uint_eq(h->n_buckets, 34 * 128 + 1);
	natgw_hist_free(h);
	h = natgw_hist_create(NATGW_HIST_MAX_SUB_BITS);
	ck_assert_ptr_nonnull(h);
	natgw_hist_free(h);
	natgw_hist_free(NULL);
}
END_TEST

/* ---- search ---- */

/*
 * A synthetic DUT and generator. The DUT loses nothing up to r_star; above
 * it, a step loses what exceeds r_star ((r - r_star) / r), a gradual curve
 * loses slope × (r / r_star - 1). Counts are 1e9 a trial whatever the rate,
 * so the loss ratio is exact to 1e-9 and any loss at all fails the NDR.
 */
struct dut {
	double r_star;
	double slope;                /* 0: a step */
	double gen_max;              /* the generator sends at most this; 0: no limit */
	unsigned int gen_max_from;   /* ...from this call on (1-based); 0: from the first */
	double long_r_star;          /* r_star for trials of final_ns; 0: r_star */
	uint64_t final_ns;
	unsigned int fail_first_max; /* the first trial at max_rate fails (loss 0.5) */
	double max_rate;
	unsigned int long_fails;     /* this many first long trials lose long_fail_loss */
	double long_fail_loss;
	bool noise_below_pass;       /* the first trial below a PDR pass loses half */
	double pdr_loss;
	unsigned int abort_at;       /* return -1 at this call (1-based); 0: never */
	bool nan_achieved;
	/* what happened */
	unsigned int calls, long_calls;
	double pdr_pass_max;
	double noise_rate;
	double first_long_fail;
};

#define DUT_SENT 1000000000ull

static double
dut_loss(const struct dut *d, double r, bool is_long)
{
	double rs = is_long && d->long_r_star > 0 ? d->long_r_star : d->r_star;

	if (r <= rs)
		return 0;
	if (d->slope > 0)
		return fmin(1, d->slope * (r / rs - 1));
	return (r - rs) / r;
}

static int
dut_trial(void *arg, double rate, uint64_t duration_ns, struct natgw_trial *t)
{
	struct dut *d = arg;
	bool is_long = d->final_ns > 0 && duration_ns == d->final_ns;
	double loss;

	d->calls++;
	ck_assert(t->offered == rate);
	ck_assert_uint_eq(t->duration_ns, duration_ns);
	if (d->abort_at > 0 && d->calls == d->abort_at)
		return -1;
	t->achieved = d->gen_max > 0 && rate > d->gen_max && d->calls >= d->gen_max_from ?
		d->gen_max : rate;
	loss = dut_loss(d, t->achieved, is_long);
	if (is_long && d->long_calls++ < d->long_fails) {
		loss = d->long_fail_loss;
		if (d->first_long_fail == 0)
			d->first_long_fail = rate;
	}
	if (d->fail_first_max && rate == d->max_rate) {
		d->fail_first_max = 0;
		loss = 0.5;
	}
	if (d->noise_below_pass && d->noise_rate == 0 && rate < d->pdr_pass_max) {
		d->noise_rate = rate;
		loss = 0.5;
	}
	if (loss <= d->pdr_loss && rate > d->pdr_pass_max)
		d->pdr_pass_max = rate;
	if (d->nan_achieved)
		t->achieved = NAN;
	t->sent = DUT_SENT;
	t->received = DUT_SENT - (uint64_t)ceil(loss * DUT_SENT);
	return 0;
}

static void
conf_range(struct natgw_search_conf *c, double min, double max)
{
	natgw_search_conf_defaults(c);
	c->min_rate = min;
	c->max_rate = max;
}

static void
search_ok(const struct natgw_search_conf *c, struct dut *d, struct natgw_search_result *r)
{
	d->pdr_loss = c->pdr_loss;
	d->max_rate = c->max_rate;
	ck_assert_msg(natgw_search_run(c, dut_trial, d, r, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(r->n_trials, d->calls);
}

/* Search [@p min, @p max] with the defaults (left in @p c). */
static void
search_range(struct natgw_search_conf *c, double min, double max, struct dut *d,
		struct natgw_search_result *r)
{
	conf_range(c, min, max);
	search_ok(c, d, r);
}

/* No trial from the @p from-th (0-based) on offered more than @p rate. */
static void
ck_offered_at_most(const struct natgw_search_result *r, unsigned int from, double rate)
{
	unsigned int i;

	for (i = from; i < r->n_trials && i < NATGW_SEARCH_MAX_LOG; i++)
		ck_assert_msg(r->log[i].offered <= rate, "trial %u offered %g, above %g", i + 1,
			r->log[i].offered, rate);
}

/*
 * The bound's rules checked against the log, worked out independently of the
 * library: upper is the lowest rate that failed among trials the generator
 * offered (or the top: max_rate or the lowest generator-limited achieved
 * rate), rate the highest pass below it and at most the top.
 */
static void
ck_bound_vs_log(const struct natgw_search_conf *c, const struct natgw_search_result *r,
		const struct natgw_search_bound *b, double limit)
{
	double top = c->max_rate, fail = INFINITY, pass = 0;
	unsigned int i;

	ck_assert_uint_le(r->n_trials, NATGW_SEARCH_MAX_LOG);
	for (i = 0; i < r->n_trials; i++)
		if (r->log[i].achieved < r->log[i].offered * (1 - c->gen_tolerance))
			top = fmin(top, r->log[i].achieved);
	for (i = 0; i < r->n_trials; i++)
		if (r->log[i].achieved >= r->log[i].offered * (1 - c->gen_tolerance) &&
				natgw_trial_loss(&r->log[i]) > limit)
			fail = fmin(fail, r->log[i].offered);
	for (i = 0; i < r->n_trials; i++)
		if (r->log[i].achieved >= r->log[i].offered * (1 - c->gen_tolerance) &&
				natgw_trial_loss(&r->log[i]) <= limit && r->log[i].offered < fail &&
				r->log[i].offered <= top)
			pass = fmax(pass, r->log[i].offered);
	ck_assert(b->upper == fmin(fail, top));
	if (fail <= c->min_rate)
		ck_assert(b->rate == 0 && b->found);
	else
		ck_assert(b->rate == pass);
	ck_assert(b->rate <= b->upper);
}

/* Both bounds against the log. */
static void
ck_vs_log(const struct natgw_search_conf *c, const struct natgw_search_result *r)
{
	ck_bound_vs_log(c, r, &r->ndr, c->ndr_loss);
	ck_bound_vs_log(c, r, &r->pdr, c->pdr_loss);
}

/*
 * @p b is found and brackets @p truth: the rate passed (at or below it), the
 * upper end failed (above it), the two within precision.
 */
static void
ck_brackets(const struct natgw_search_bound *b, double truth, double precision)
{
	ck_assert_msg(b->found, "not found: rate %g upper %g", b->rate, b->upper);
	ck_assert(!b->at_max && !b->at_gen_limit);
	ck_assert_msg(b->rate <= truth * (1 + 1e-9) && b->upper > truth * (1 - 1e-9),
		"[%.9g, %.9g) does not hold %.9g", b->rate, b->upper, truth);
	ck_assert_msg(b->upper - b->rate <= precision * b->upper * (1 + 1e-12),
		"[%.9g, %.9g) is wider than %g", b->rate, b->upper, precision);
}

/*
 * @p b is found at the top of what could be measured, @p rate: max_rate
 * (@p at_max) or the generator's limit; nothing above it failed.
 */
static void
ck_at_top(const struct natgw_search_bound *b, double rate, bool at_max)
{
	ck_assert_msg(b->found && b->at_max == at_max && b->at_gen_limit == !at_max,
		"found %d at_max %d at_gen_limit %d", b->found, b->at_max, b->at_gen_limit);
	ck_assert_msg(b->rate == rate && b->upper == rate, "[%.9g, %.9g], expected %.9g", b->rate,
		b->upper, rate);
}

START_TEST(test_search_step)
{
	static const struct { double min, max, r_star; } cases[] = {
		{1e3, 1e7, 1.5e3},     /* near the bottom */
		{1e3, 1e7, 2e5},
		{1e3, 1e7, 9.9e6},     /* near the top: the PDR (9.95e6) too */
		{1e5, 14.88e6, 3.3e6}, /* 10GbE's 64-byte line rate as the top */
		{10, 20, 13},          /* a narrow range of small rates */
		{1, 1e9, 77777},       /* nine decades */
	};
	static const double precs[] = {0.005, 0.01, 0.001};
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (j = 0; j < sizeof(precs) / sizeof(precs[0]); j++) {
			struct natgw_search_result r;
			struct natgw_search_conf c;
			struct dut d = {.r_star = cases[i].r_star};

			conf_range(&c, cases[i].min, cases[i].max);
			c.precision = precs[j];
			search_ok(&c, &d, &r);
			ck_brackets(&r.ndr, cases[i].r_star, precs[j]);
			/* a step's loss reaches pdr_loss at r_star / (1 - pdr_loss) */
			ck_brackets(&r.pdr, cases[i].r_star / (1 - c.pdr_loss), precs[j]);
			ck_vs_log(&c, &r);
			ck_assert(r.ndr.loss == 0);
			ck_assert(r.pdr.loss <= c.pdr_loss);
			ck_assert(!r.generator_limited);
			ck_assert(r.log[0].offered == c.max_rate);
			/* bisection: about log2(ln(max/min) / precision) trials a bound */
			ck_assert_uint_le(r.n_trials,
				2 * (unsigned int)ceil(log2(log(c.max_rate / c.min_rate) /
				precs[j])) + 4);
		}
	}
}
END_TEST

/* The PDR is above the range: it passes at max_rate while the NDR is searched. */
START_TEST(test_search_pdr_at_max)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 9.97e6};

	search_range(&c, 1e3, 1e7, &d, &r);
	ck_brackets(&r.ndr, 9.97e6, c.precision);
	ck_at_top(&r.pdr, 1e7, true);
	ck_assert(r.pdr.loss > 0 && r.pdr.loss <= c.pdr_loss);
}
END_TEST

START_TEST(test_search_gradual)
{
	static const double r0s[] = {2e6, 5.5e6, 123456};
	size_t i;

	for (i = 0; i < sizeof(r0s) / sizeof(r0s[0]); i++) {
		struct natgw_search_result r;
		struct natgw_search_conf c;
		/* 1% more loss for every r0 above r0: 0.5% at 1.5 r0 */
		struct dut d = {.r_star = r0s[i], .slope = 0.01};

		conf_range(&c, 1e4, 1e7);
		c.precision = 0.002;
		search_ok(&c, &d, &r);
		ck_brackets(&r.ndr, r0s[i], c.precision);
		ck_brackets(&r.pdr, 1.5 * r0s[i], c.precision);
		ck_assert(r.pdr.rate > 1.45 * r.ndr.rate);
		ck_vs_log(&c, &r);
	}
}
END_TEST

START_TEST(test_search_all_pass)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = INFINITY};

	search_range(&c, 1e3, 1e7, &d, &r);
	ck_assert_uint_eq(r.n_trials, 1);
	ck_at_top(&r.ndr, 1e7, true);
	ck_at_top(&r.pdr, 1e7, true);
	ck_assert(r.ndr.loss == 0);
	ck_assert(!r.generator_limited && r.generator_max == 1e7);
}
END_TEST

START_TEST(test_search_min_fails)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 500};

	search_range(&c, 1e3, 1e7, &d, &r);
	ck_assert(r.ndr.found && r.ndr.rate == 0 && r.ndr.upper == 1e3 && !r.ndr.at_max);
	ck_assert(r.pdr.found && r.pdr.rate == 0 && r.pdr.upper == 1e3);
	/* it went down to min_rate, tried it once and stopped */
	ck_assert(r.log[r.n_trials - 1].offered == 1e3);
	ck_assert_uint_le(r.n_trials, 16);
	ck_vs_log(&c, &r);
}
END_TEST

/* min_rate itself is the last pass: the bound is min_rate, found. */
START_TEST(test_search_min_passes)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 1001};

	search_range(&c, 1e3, 1e7, &d, &r);
	ck_assert(r.ndr.found && r.ndr.rate == 1e3 && r.ndr.upper <= 1001 / (1 - c.precision));
	ck_vs_log(&c, &r);
}
END_TEST

/* One spurious failure at max_rate of a DUT that passes everything. */
START_TEST(test_search_noise_at_max)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = INFINITY, .fail_first_max = 1};

	search_range(&c, 1e5, 1e7, &d, &r);
	/* the fail stands (conservative): the bounds end just below it */
	ck_assert(r.ndr.found && !r.ndr.at_max && r.ndr.upper == 1e7);
	ck_assert(r.ndr.rate >= 1e7 * (1 - c.precision) && r.ndr.rate < 1e7);
	ck_assert(r.pdr.found && !r.pdr.at_max && r.pdr.upper == 1e7);
	ck_vs_log(&c, &r);
}
END_TEST

/*
 * A failure below a rate that already passed (noise): it becomes the upper
 * end, and the pass above it is ignored for that bound.
 */
START_TEST(test_search_noise_below_pass)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 2e6, .slope = 0.01, .noise_below_pass = true};
	unsigned int i;
	bool pass_above = false;

	search_range(&c, 1e4, 1e7, &d, &r);
	ck_assert_msg(d.noise_rate > 0, "no trial below a pass: the test did not test");
	ck_assert(r.pdr.found && r.pdr.upper == d.noise_rate && r.pdr.rate < d.noise_rate);
	for (i = 0; i < r.n_trials; i++)
		if (natgw_trial_loss(&r.log[i]) <= c.pdr_loss && r.log[i].offered > d.noise_rate)
			pass_above = true;
	ck_assert(pass_above);
	ck_assert(r.ndr.found && r.ndr.rate <= 2e6 && r.ndr.upper <= d.noise_rate);
	ck_vs_log(&c, &r);
}
END_TEST

/* The generator tops out below the DUT: the bounds are its limit, said so. */
START_TEST(test_search_gen_limited_below_dut)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 6e6, .gen_max = 4e6};

	search_range(&c, 1e5, 1e7, &d, &r);
	ck_assert(r.generator_limited && r.generator_max == 4e6);
	ck_at_top(&r.ndr, 4e6, false);
	ck_at_top(&r.pdr, 4e6, false);
	ck_offered_at_most(&r, 1, 4e6);
	ck_assert_uint_eq(r.n_trials, 2);
	ck_vs_log(&c, &r);
}
END_TEST

/* The generator tops out above the DUT: the DUT's bounds, not the generator's. */
START_TEST(test_search_gen_limited_above_dut)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 3e6, .gen_max = 8e6};

	search_range(&c, 1e5, 1e7, &d, &r);
	ck_assert(r.generator_limited && r.generator_max == 8e6);
	ck_brackets(&r.ndr, 3e6, c.precision);
	ck_brackets(&r.pdr, 3e6 / (1 - c.pdr_loss), c.precision);
	ck_offered_at_most(&r, 1, 8e6);
	ck_vs_log(&c, &r);
}
END_TEST

/*
 * The generator falters from the fourth trial on (to 2e6): a pass above that
 * is out of reach now and is ignored, the bounds are the new limit, and
 * nothing is offered above it again. The fail at max_rate stays a fail.
 */
START_TEST(test_search_gen_falters)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 6e6, .gen_max_from = 4, .gen_max = 2e6};

	search_range(&c, 1e5, 1e7, &d, &r);
	ck_assert(r.generator_limited && r.generator_max == 1e7);
	ck_assert(r.log[2].offered > 2e6 && natgw_trial_loss(&r.log[2]) == 0);
	ck_assert(r.log[3].achieved == 2e6 && r.log[3].offered > 2e6);
	ck_offered_at_most(&r, 4, 2e6);
	ck_at_top(&r.ndr, 2e6, false);
	ck_at_top(&r.pdr, 2e6, false);
	ck_assert_uint_eq(r.n_trials, 5);
	ck_vs_log(&c, &r);
}
END_TEST

/* The generator cannot even offer min_rate: nothing is found, and it says why. */
START_TEST(test_search_gen_below_min)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 6e6, .gen_max = 5e4};

	search_range(&c, 1e5, 1e7, &d, &r);
	ck_assert_uint_eq(r.n_trials, 1);
	ck_assert(r.generator_limited && r.generator_max == 5e4);
	ck_assert(!r.ndr.found && r.ndr.rate == 0 && !r.pdr.found);
}
END_TEST

/* Within the tolerance the generator is not limited: 0.5% short of 1% allowed. */
START_TEST(test_search_gen_tolerance)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = INFINITY, .gen_max = 1e7 * 0.995};

	search_range(&c, 1e5, 1e7, &d, &r);
	ck_assert(!r.generator_limited && r.n_trials == 1);
	ck_at_top(&r.ndr, 1e7, true);
	c.gen_tolerance = 0.001;
	d = (struct dut){.r_star = INFINITY, .gen_max = 1e7 * 0.995};
	search_ok(&c, &d, &r);
	ck_assert(r.generator_limited);
	ck_at_top(&r.ndr, 1e7 * 0.995, false);
}
END_TEST

/* The first confirmation fails: it becomes the NDR's upper end and the search goes on. */
START_TEST(test_search_final_fails_once)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	/* 0.1% loss fails the NDR's confirmation, not the PDR's (0.5%) */
	struct dut d = {.r_star = 5e6, .final_ns = 10 * SEC, .long_fails = 1,
		.long_fail_loss = 0.001};
	unsigned int i, long_pass_at_ndr = 0;

	conf_range(&c, 1e5, 1e7);
	c.final_ns = 10 * SEC;
	search_ok(&c, &d, &r);
	ck_assert_uint_ge(d.long_calls, 2); /* the failed one, then the passing ones */
	ck_assert(d.first_long_fail > 0);
	ck_assert(r.ndr.found && r.ndr.confirmed && r.ndr.loss == 0);
	ck_assert(r.ndr.upper == d.first_long_fail && r.ndr.rate < d.first_long_fail);
	ck_assert(r.ndr.upper - r.ndr.rate <= c.precision * r.ndr.upper);
	ck_brackets(&r.pdr, 5e6 / (1 - c.pdr_loss), c.precision);
	ck_assert(r.pdr.confirmed);
	/* short trials ran after the failed confirmation, and the last word was a long pass */
	for (i = 0; i < r.n_trials; i++)
		if (r.log[i].duration_ns == 10 * SEC && r.log[i].offered == r.ndr.rate &&
				natgw_trial_loss(&r.log[i]) == 0)
			long_pass_at_ndr++;
	ck_assert_uint_eq(long_pass_at_ndr, 1);
	ck_assert_uint_eq(r.log[0].duration_ns, SEC);
	ck_vs_log(&c, &r);
}
END_TEST

/* Long trials hold less than short ones: the bounds are the long trials'. */
START_TEST(test_search_final_lower)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 5e6, .long_r_star = 4.8e6, .final_ns = 30 * SEC};

	conf_range(&c, 1e5, 1e7);
	c.final_ns = 30 * SEC;
	c.max_trials = 128;
	search_ok(&c, &d, &r);
	ck_brackets(&r.ndr, 4.8e6, c.precision);
	ck_brackets(&r.pdr, 4.8e6 / (1 - c.pdr_loss), c.precision);
	ck_assert(r.ndr.confirmed && r.pdr.confirmed);
	ck_vs_log(&c, &r);
}
END_TEST

/* at_max is confirmed too, and final_ns not above trial_ns confirms nothing. */
START_TEST(test_search_final_at_max)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = INFINITY, .final_ns = 5 * SEC};

	conf_range(&c, 1e5, 1e7);
	c.final_ns = 5 * SEC;
	search_ok(&c, &d, &r);
	ck_assert_uint_eq(r.n_trials, 2);
	ck_assert(r.ndr.at_max && r.ndr.confirmed && r.pdr.confirmed);
	ck_assert_uint_eq(r.log[1].duration_ns, 5 * SEC);
	c.final_ns = c.trial_ns;
	d = (struct dut){.r_star = INFINITY};
	search_ok(&c, &d, &r);
	ck_assert_uint_eq(r.n_trials, 1);
	ck_assert(r.ndr.at_max && !r.ndr.confirmed);
}
END_TEST

START_TEST(test_search_max_trials)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 2e5};

	conf_range(&c, 1e3, 1e7);
	c.max_trials = 3;
	search_ok(&c, &d, &r);
	ck_assert_uint_eq(r.n_trials, 3);
	ck_assert(!r.ndr.found && !r.pdr.found);
	ck_assert(r.ndr.rate <= 2e5 && r.ndr.upper > 2e5 && r.ndr.rate < r.ndr.upper);
	ck_vs_log(&c, &r);

	/* confirmations count too: bisection done, no trial left to confirm */
	d = (struct dut){.r_star = INFINITY, .final_ns = 5 * SEC};
	c.final_ns = 5 * SEC;
	c.max_trials = 1;
	search_ok(&c, &d, &r);
	ck_assert(r.ndr.rate == 1e7 && !r.ndr.found && !r.ndr.confirmed);
}
END_TEST

/* More trials than the log holds: every long trial fails, the search keeps going. */
START_TEST(test_search_log_cap)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 5e6, .long_r_star = 0.5, .final_ns = 2 * SEC};

	conf_range(&c, 1, 1e9);
	c.final_ns = 2 * SEC;
	c.precision = 1e-6;
	c.max_trials = 300;
	search_ok(&c, &d, &r);
	ck_assert_uint_eq(r.n_trials, 300);
	ck_assert(!r.ndr.found && !r.pdr.found);
	ck_assert(r.log[NATGW_SEARCH_MAX_LOG - 1].offered > 0);
	ck_assert(r.ndr.rate < 5e6);
}
END_TEST

START_TEST(test_search_abort)
{
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 2e5, .abort_at = 3};

	conf_range(&c, 1e3, 1e7);
	strcpy(err, "the caller's own words");
	ck_assert_int_eq(natgw_search_run(&c, dut_trial, &d, &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the caller's own words");
	ck_assert_uint_eq(r.n_trials, 2);
	ck_assert(!r.ndr.found && r.ndr.upper == 1e7);

	d = (struct dut){.r_star = 2e5, .nan_achieved = true};
	ck_assert_int_eq(natgw_search_run(&c, dut_trial, &d, &r, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "achieved") && !strchr(err, '\n'), "%s", err);
}
END_TEST

START_TEST(test_search_conf)
{
	static const struct {
		const char *field;
		double min, max, precision, ndr, pdr, tol;
		uint64_t trial_ns, final_ns;
		unsigned int max_trials;
	} bad[] = {
		{"min_rate", 0, 1e6, 0, 0, 0.005, 0, 0, 0, 0},
		{"min_rate", -5, 1e6, 0, 0, 0.005, 0, 0, 0, 0},
		{"min_rate", NAN, 1e6, 0, 0, 0.005, 0, 0, 0, 0},
		{"min_rate", INFINITY, 1e6, 0, 0, 0.005, 0, 0, 0, 0},
		{"max_rate", 1e6, 1e6, 0, 0, 0.005, 0, 0, 0, 0},
		{"max_rate", 1e6, 1e3, 0, 0, 0.005, 0, 0, 0, 0},
		{"max_rate", 1e3, INFINITY, 0, 0, 0.005, 0, 0, 0, 0},
		{"max_rate", 1e3, NAN, 0, 0, 0.005, 0, 0, 0, 0},
		{"precision", 1e3, 1e6, -0.01, 0, 0.005, 0, 0, 0, 0},
		{"precision", 1e3, 1e6, 1e-9, 0, 0.005, 0, 0, 0, 0},
		{"precision", 1e3, 1e6, 0.6, 0, 0.005, 0, 0, 0, 0},
		{"precision", 1e3, 1e6, NAN, 0, 0.005, 0, 0, 0, 0},
		{"ndr_loss", 1e3, 1e6, 0, -0.1, 0.005, 0, 0, 0, 0},
		{"ndr_loss", 1e3, 1e6, 0, 1, 1, 0, 0, 0, 0},
		{"pdr_loss", 1e3, 1e6, 0, 0.01, 0.005, 0, 0, 0, 0},
		{"pdr_loss", 1e3, 1e6, 0, 0, 1, 0, 0, 0, 0},
		{"pdr_loss", 1e3, 1e6, 0, 0, NAN, 0, 0, 0, 0},
		{"gen_tolerance", 1e3, 1e6, 0, 0, 0.005, -0.01, 0, 0, 0},
		{"gen_tolerance", 1e3, 1e6, 0, 0, 0.005, 1, 0, 0, 0},
		{"trial_ns", 1e3, 1e6, 0, 0, 0.005, 0, 2000000000000000ull, 0, 0},
		{"final_ns", 1e3, 1e6, 0, 0, 0.005, 0, 0, UINT64_MAX, 0},
		{"max_trials", 1e3, 1e6, 0, 0, 0.005, 0, 0, 0, 100001},
	};
	struct natgw_search_result r;
	struct natgw_search_conf c;
	struct dut d = {.r_star = 1e5};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = (struct natgw_search_conf){.min_rate = bad[i].min, .max_rate = bad[i].max,
			.precision = bad[i].precision, .ndr_loss = bad[i].ndr,
			.pdr_loss = bad[i].pdr, .gen_tolerance = bad[i].tol,
			.trial_ns = bad[i].trial_ns, .final_ns = bad[i].final_ns,
			.max_trials = bad[i].max_trials};
		err[0] = 0;
		ck_assert_int_eq(natgw_search_conf_check(&c, err, sizeof(err)), -1);
		ck_assert_msg(strncmp(err, bad[i].field, strlen(bad[i].field)) == 0 &&
			err[strlen(bad[i].field)] == ':', "case %zu: \"%s\" does not start with %s:",
			i, err, bad[i].field);
		ck_assert_msg(strchr(err, '\n') == NULL, "\"%s\" is not one line", err);
		/* the search refuses it the same way, before any trial */
		ck_assert_int_eq(natgw_search_run(&c, dut_trial, &d, &r, err, sizeof(err)), -1);
		ck_assert_uint_eq(d.calls, 0);
		ck_assert_uint_eq(r.n_trials, 0);
	}

	/* the defaults need a range, and name it */
	natgw_search_conf_defaults(&c);
	ck_assert_int_eq(natgw_search_conf_check(&c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "min_rate"));
	ck_assert(c.precision == 0.005 && c.ndr_loss == 0 && c.pdr_loss == 0.005);
	ck_assert(c.trial_ns == SEC && c.final_ns == 0 && c.max_trials == 64);
	ck_assert(c.gen_tolerance == 0.01);
	c.min_rate = 1;
	c.max_rate = 2;
	ck_assert_int_eq(natgw_search_conf_check(&c, err, sizeof(err)), 0);
	/* zeros where 0 means nothing take the defaults: trials of 1 s, at most 64 */
	c = (struct natgw_search_conf){.min_rate = 1e3, .max_rate = 1e7};
	ck_assert_int_eq(natgw_search_conf_check(&c, err, sizeof(err)), 0);
	d = (struct dut){.r_star = 2e5};
	search_ok(&c, &d, &r);
	ck_assert_uint_eq(r.log[0].duration_ns, SEC);
	/* pdr_loss 0 is taken as it is: the PDR is the NDR */
	ck_assert(r.pdr.rate == r.ndr.rate && r.pdr.upper == r.ndr.upper);
	ck_brackets(&r.ndr, 2e5, 0.005);
}
END_TEST

START_TEST(test_trial_loss)
{
	struct natgw_trial t = {.sent = 1000, .received = 990};

	ck_assert(natgw_trial_loss(&t) == 0.01);
	t.received = 1000;
	ck_assert(natgw_trial_loss(&t) == 0);
	t.received = 1005; /* duplicates: not negative loss */
	ck_assert(natgw_trial_loss(&t) == 0);
	t.received = 0;
	ck_assert(natgw_trial_loss(&t) == 1);
	t.sent = 0;
	ck_assert(natgw_trial_loss(&t) == 0);
}
END_TEST

/* ---- rates on the wire ---- */

START_TEST(test_rates)
{
	/* 10GbE line rate: a 64-byte frame (60 without FCS) takes 84 bytes of wire time */
	double pps64 = 10e9 / (84 * 8), pps1518 = 10e9 / (1538 * 8);

	ck_within(pps64, 14880952.38, 1e-9);
	ck_within(natgw_rate_l1_bps(pps64, 60), 10e9, 1e-12);
	ck_within(natgw_rate_l2_bps(pps64, 60), 10e9 * 64 / 84, 1e-12);
	ck_within(natgw_rate_l1_bps(14.88e6, 60), 10e9, 1e-4);
	ck_within(pps1518, 812743.82, 1e-8);
	ck_within(natgw_rate_l1_bps(pps1518, 1514), 10e9, 1e-12);
	ck_within(natgw_rate_l2_bps(pps1518, 1514), 10e9 * 1518 / 1538, 1e-12);
	ck_assert(natgw_rate_l1_bps(0, 60) == 0 && natgw_rate_l2_bps(0, 1514) == 0);
	/* a mean length need not be whole */
	ck_within(natgw_rate_l2_bps(1e6, 99.5), 1e6 * 103.5 * 8, 1e-12);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lab");
	TCase *tc = tcase_create("hist");

	tcase_add_test(tc, test_hist_uniform);
	tcase_add_test(tc, test_hist_constant);
	tcase_add_test(tc, test_hist_two_spikes);
	tcase_add_test(tc, test_hist_exponential);
	tcase_add_test(tc, test_hist_buckets);
	tcase_add_test(tc, test_hist_iterate);
	tcase_add_test(tc, test_hist_merge);
	tcase_add_test(tc, test_hist_reset);
	tcase_add_test(tc, test_hist_overflow);
	tcase_add_test(tc, test_hist_record_n);
	tcase_add_test(tc, test_hist_create);
	suite_add_tcase(s, tc);
	tc = tcase_create("search");
	tcase_add_test(tc, test_search_step);
	tcase_add_test(tc, test_search_pdr_at_max);
	tcase_add_test(tc, test_search_gradual);
	tcase_add_test(tc, test_search_all_pass);
	tcase_add_test(tc, test_search_min_fails);
	tcase_add_test(tc, test_search_min_passes);
	tcase_add_test(tc, test_search_noise_at_max);
	tcase_add_test(tc, test_search_noise_below_pass);
	tcase_add_test(tc, test_search_gen_limited_below_dut);
	tcase_add_test(tc, test_search_gen_limited_above_dut);
	tcase_add_test(tc, test_search_gen_falters);
	tcase_add_test(tc, test_search_gen_below_min);
	tcase_add_test(tc, test_search_gen_tolerance);
	tcase_add_test(tc, test_search_final_fails_once);
	tcase_add_test(tc, test_search_final_lower);
	tcase_add_test(tc, test_search_final_at_max);
	tcase_add_test(tc, test_search_max_trials);
	tcase_add_test(tc, test_search_log_cap);
	tcase_add_test(tc, test_search_abort);
	tcase_add_test(tc, test_search_conf);
	tcase_add_test(tc, test_trial_loss);
	tcase_add_test(tc, test_rates);
	suite_add_tcase(s, tc);
	return natgw_test_run(s);
}
