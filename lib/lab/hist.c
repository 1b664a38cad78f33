/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The latency histogram: everything but recording one value, which is inline
 * in natgw_lab.h. The bucket layout is described there (struct natgw_hist).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "natgw_lab.h"

/* 2^64 as a double, to turn the 128-bit sum into one */
#define TWO_64 18446744073709551616.0

struct natgw_hist *
natgw_hist_create(unsigned int sub_bits)
{
	struct natgw_hist *h;
	unsigned int n;

	if (sub_bits == 0)
		sub_bits = NATGW_HIST_DEFAULT_SUB_BITS;
	if (sub_bits > NATGW_HIST_MAX_SUB_BITS)
		return NULL;
	/* the bucket of 2^40 is the last one */
	n = natgw_hist_index(sub_bits, NATGW_HIST_MAX_VALUE) + 1;
	h = malloc(sizeof(*h) + n * sizeof(h->counts[0]));
	if (h == NULL)
		return NULL;
	h->sub_bits = sub_bits;
	h->n_buckets = n;
	natgw_hist_reset(h);
	return h;
}

void
natgw_hist_free(struct natgw_hist *h)
{
	free(h);
}

void
natgw_hist_reset(struct natgw_hist *h)
{
	memset(h->counts, 0, h->n_buckets * sizeof(h->counts[0]));
	h->count = 0;
	h->overflow = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->sum_lo = 0;
	h->sum_hi = 0;
}

/* Add a 128-bit (hi, lo) to the histogram's sum. */
static void
sum_add(struct natgw_hist *h, uint64_t hi, uint64_t lo)
{
	h->sum_lo += lo;
	h->sum_hi += hi + (h->sum_lo < lo);
}

void
natgw_hist_record_n(struct natgw_hist *h, uint64_t v, uint64_t n)
{
	uint64_t a_lo = v & 0xffffffffu, a_hi = v >> 32;
	uint64_t b_lo = n & 0xffffffffu, b_hi = n >> 32;
	uint64_t ll, lh, hl, mid, lo;

	if (n == 0)
		return;
	if (v > NATGW_HIST_MAX_VALUE) {
		h->overflow += n;
		h->counts[h->n_buckets - 1] += n;
	} else {
		h->counts[natgw_hist_index(h->sub_bits, v)] += n;
	}
	h->count += n;
	/* v × n in 128 bits, by 32-bit halves: the sum stays exact */
	ll = a_lo * b_lo;
	lh = a_lo * b_hi;
	hl = a_hi * b_lo;
	mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
	lo = (mid << 32) | (ll & 0xffffffffu);
	sum_add(h, a_hi * b_hi + (lh >> 32) + (hl >> 32) + (mid >> 32), lo);
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

int
natgw_hist_merge(struct natgw_hist *dst, const struct natgw_hist *src)
{
	unsigned int i;

	if (dst->sub_bits != src->sub_bits)
		return -1;
	for (i = 0; i < dst->n_buckets; i++)
		dst->counts[i] += src->counts[i];
	dst->count += src->count;
	dst->overflow += src->overflow;
	sum_add(dst, src->sum_hi, src->sum_lo);
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return 0;
}

uint64_t
natgw_hist_count(const struct natgw_hist *h)
{
	return h->count;
}

uint64_t
natgw_hist_min(const struct natgw_hist *h)
{
	return h->count ? h->min : 0;
}

uint64_t
natgw_hist_max(const struct natgw_hist *h)
{
	return h->max;
}

double
natgw_hist_mean(const struct natgw_hist *h)
{
	if (h->count == 0)
		return 0;
	return ((double)h->sum_hi * TWO_64 + (double)h->sum_lo) / (double)h->count;
}

uint64_t
natgw_hist_overflow(const struct natgw_hist *h)
{
	return h->overflow;
}

unsigned int
natgw_hist_sub_bits(const struct natgw_hist *h)
{
	return h->sub_bits;
}

/* The values of bucket @p i, both ends included (the inverse of natgw_hist_index). */
static void
bucket_range(const struct natgw_hist *h, unsigned int i, uint64_t *lo, uint64_t *hi)
{
	unsigned int s = h->sub_bits, g;

	if (i == h->n_buckets - 1) {
		/* 2^40 and whatever was clamped into it; max is at least 2^40 once it holds one */
		*lo = NATGW_HIST_MAX_VALUE;
		*hi = h->max > NATGW_HIST_MAX_VALUE ? h->max : NATGW_HIST_MAX_VALUE;
		return;
	}
	if (i < 2u << s) {
		*lo = *hi = i;
		return;
	}
	g = (i >> s) - 1;
	*lo = (uint64_t)(i - (g << s)) << g;
	*hi = *lo + (1ull << g) - 1;
}

uint64_t
natgw_hist_percentile(const struct natgw_hist *h, double p)
{
	uint64_t want, seen = 0, lo, hi;
	double x;
	unsigned int i;

	if (h->count == 0)
		return 0;
	if (!(p > 0))
		return h->min;
	if (p >= 100)
		return h->max;
	x = p / 100 * (double)h->count;
	want = (uint64_t)ceil(x - x * 1e-12);
	if (want == 0)
		want = 1;
	for (i = 0; i < h->n_buckets; i++) {
		seen += h->counts[i];
		if (seen >= want)
			break;
	}
	if (i == h->n_buckets)
		return h->max;
	bucket_range(h, i, &lo, &hi);
	if (hi < h->min)
		return h->min;
	return hi > h->max ? h->max : hi;
}

int
natgw_hist_next_bucket(const struct natgw_hist *h, unsigned int *i, uint64_t *lo, uint64_t *hi,
		uint64_t *count)
{
	unsigned int j;

	for (j = *i; j < h->n_buckets; j++) {
		if (h->counts[j] == 0)
			continue;
		bucket_range(h, j, lo, hi);
		*count = h->counts[j];
		*i = j + 1;
		return (int)j;
	}
	*i = h->n_buckets;
	return -1;
}
