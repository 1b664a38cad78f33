/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NDR/PDR search. Each bound's state is recomputed from every trial so
 * far (a few hundred at most) rather than updated in place: a fail below an
 * earlier pass must bring back the highest pass below it, which only the
 * history knows. docs/lab.md, "How the search works", explains the rules.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/natgw_err.h"
#include "natgw_lab.h"

#define DEF_PRECISION 0.005
#define DEF_PDR_LOSS 0.005
#define DEF_TRIAL_NS 1000000000ull
#define DEF_MAX_TRIALS 64u
#define DEF_GEN_TOLERANCE 0.01
/* Below this the geometric midpoint of two final rates may round to one of them. */
#define MIN_PRECISION 1e-6
#define MAX_PRECISION 0.5
/* About 11.6 days: longer than any trial anyone runs, far from wrapping. */
#define MAX_DURATION_NS 1000000000000000ull
/* Bounds the history's memory (2.4 MB) and the search's quadratic bookkeeping. */
#define MAX_TRIALS 100000u

enum { NDR, PDR, N_BOUNDS };

/* A trial that is evidence about the DUT (not generator-limited). */
struct obs {
	double rate;
	double loss;
	bool is_long; /* a confirmation, final_ns long */
};

/* Where a bound stands. */
enum state {
	ST_ZERO,   /* min_rate failed */
	ST_TOP,    /* the top of the search passed (max_rate or the generator's limit) */
	ST_FINAL,  /* within precision of the lowest fail */
	ST_NEED,   /* needs the trial in next_rate/next_long */
};

struct bound {
	double limit;    /* loss ratio allowed */
	double lo;       /* highest pass below hi and at most the top; 0: none */
	double hi;       /* lowest fail; INFINITY: none */
	double lo_loss;
	bool confirmed;  /* a long trial passed at lo */
	enum state st;
	double next_rate;
	bool next_long;
	double width;    /* upper / lower end of the interval to bisect (>= 1); 0 to confirm */
};

struct search {
	struct natgw_search_conf c; /* defaults resolved */
	bool confirm;               /* final_ns > trial_ns */
	double top;                 /* max_rate, or the lowest achieved rate of a generator-limited trial */
	struct obs *obs;
	unsigned int n_obs;
	struct bound b[N_BOUNDS];
};

void
natgw_search_conf_defaults(struct natgw_search_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->precision = DEF_PRECISION;
	c->ndr_loss = 0;
	c->pdr_loss = DEF_PDR_LOSS;
	c->trial_ns = DEF_TRIAL_NS;
	c->final_ns = 0;
	c->max_trials = DEF_MAX_TRIALS;
	c->gen_tolerance = DEF_GEN_TOLERANCE;
}

/* @p c with the zero fields that mean "the default" resolved. */
static void
resolve(struct natgw_search_conf *out, const struct natgw_search_conf *c)
{
	*out = *c;
	if (out->precision == 0)
		out->precision = DEF_PRECISION;
	if (out->trial_ns == 0)
		out->trial_ns = DEF_TRIAL_NS;
	if (out->max_trials == 0)
		out->max_trials = DEF_MAX_TRIALS;
	if (out->gen_tolerance == 0)
		out->gen_tolerance = DEF_GEN_TOLERANCE;
}

/* Whether @p x is in [lo, hi) (false for NaN). */
static bool
in_half_open(double x, double lo, double hi)
{
	return x >= lo && x < hi;
}

int
natgw_search_conf_check(const struct natgw_search_conf *conf, char *err, size_t errlen)
{
	struct natgw_search_conf c;

	resolve(&c, conf);
	if (!(c.min_rate > 0) || !isfinite(c.min_rate))
		return natgw_err(err, errlen, "min_rate: %g is not a rate > 0", c.min_rate);
	if (!isfinite(c.max_rate) || !(c.max_rate > c.min_rate))
		return natgw_err(err, errlen, "max_rate: %g is not a finite rate above min_rate (%g)",
			c.max_rate, c.min_rate);
	if (!(c.precision >= MIN_PRECISION && c.precision <= MAX_PRECISION))
		return natgw_err(err, errlen, "precision: %g is not in [%g, %g] (0 for %g)",
			c.precision, MIN_PRECISION, MAX_PRECISION, DEF_PRECISION);
	if (!in_half_open(c.ndr_loss, 0, 1))
		return natgw_err(err, errlen, "ndr_loss: %g is not a loss ratio in [0, 1)", c.ndr_loss);
	if (!in_half_open(c.pdr_loss, c.ndr_loss, 1))
		return natgw_err(err, errlen, "pdr_loss: %g is not a loss ratio in [ndr_loss (%g), 1)",
			c.pdr_loss, c.ndr_loss);
	if (c.trial_ns > MAX_DURATION_NS)
		return natgw_err(err, errlen, "trial_ns: %llu ns is longer than %llu ns",
			(unsigned long long)c.trial_ns, (unsigned long long)MAX_DURATION_NS);
	if (c.final_ns > MAX_DURATION_NS)
		return natgw_err(err, errlen, "final_ns: %llu ns is longer than %llu ns",
			(unsigned long long)c.final_ns, (unsigned long long)MAX_DURATION_NS);
	if (c.max_trials > MAX_TRIALS)
		return natgw_err(err, errlen, "max_trials: %u is more than %u", c.max_trials, MAX_TRIALS);
	if (!(c.gen_tolerance > 0 && c.gen_tolerance < 1))
		return natgw_err(err, errlen, "gen_tolerance: %g is not a fraction in (0, 1) (0 for %g)",
			c.gen_tolerance, DEF_GEN_TOLERANCE);
	return 0;
}

double
natgw_trial_loss(const struct natgw_trial *t)
{
	if (t->sent == 0 || t->received >= t->sent)
		return 0;
	return (double)(t->sent - t->received) / (double)t->sent;
}

/* Where bound @p b stands after the trials so far, and what it needs next. */
static void
bound_update(const struct search *s, struct bound *b)
{
	const struct natgw_search_conf *c = &s->c;
	double base;
	unsigned int i;

	b->hi = INFINITY;
	for (i = 0; i < s->n_obs; i++)
		if (s->obs[i].loss > b->limit && s->obs[i].rate < b->hi)
			b->hi = s->obs[i].rate;
	b->lo = 0;
	b->lo_loss = 0;
	b->confirmed = false;
	for (i = 0; i < s->n_obs; i++) {
		const struct obs *o = &s->obs[i];

		/* passes at or above the lowest fail are noise; above the top, out of reach */
		if (o->loss > b->limit || o->rate >= b->hi || o->rate > s->top || o->rate < b->lo)
			continue;
		if (o->rate > b->lo) {
			b->lo = o->rate;
			b->lo_loss = o->loss;
			b->confirmed = false;
		}
		if (o->is_long) {
			b->confirmed = true;
			b->lo_loss = o->loss;
		}
	}

	b->next_long = false;
	b->width = 0;
	if (b->hi <= c->min_rate) {
		b->st = ST_ZERO;
		return;
	}
	if (b->lo > 0 && b->lo >= s->top) {
		b->st = ST_TOP;
	} else if (b->hi > s->top) {
		/* nothing the generator reaches has failed: try its top */
		b->st = ST_NEED;
		b->next_rate = s->top;
		b->width = s->top / (b->lo > 0 ? b->lo : c->min_rate);
		return;
	} else if (b->lo > 0 && b->hi - b->lo <= c->precision * b->hi) {
		b->st = ST_FINAL;
	} else {
		b->st = ST_NEED;
		base = b->lo > 0 ? b->lo : c->min_rate;
		b->width = b->hi / base;
		if (b->lo == 0 && b->hi - base <= c->precision * b->hi)
			b->next_rate = c->min_rate;
		else
			b->next_rate = sqrt(base) * sqrt(b->hi); /* no overflow of the product */
		return;
	}
	if (s->confirm && !b->confirmed) {
		b->st = ST_NEED;
		b->next_rate = b->lo;
		b->next_long = true;
	}
}

/*
 * The trial to run next: the widest bisection first, confirmations (width 0)
 * once none is left; the NDR on a tie. @return the bound it is for, or -1
 * when both are done.
 */
static int
pick(const struct search *s)
{
	int best = -1, k;

	for (k = 0; k < N_BOUNDS; k++)
		if (s->b[k].st == ST_NEED && (best < 0 || s->b[k].width > s->b[best].width))
			best = k;
	return best;
}

static void
bound_result(const struct search *s, const struct bound *b, struct natgw_search_bound *out)
{
	memset(out, 0, sizeof(*out));
	out->upper = b->hi < s->top ? b->hi : s->top;
	if (b->st == ST_ZERO) {
		out->found = true;
		return;
	}
	out->rate = b->lo;
	out->loss = b->lo_loss;
	out->confirmed = b->confirmed;
	out->found = b->st == ST_TOP || b->st == ST_FINAL;
	if (b->st == ST_TOP) {
		out->at_max = s->top >= s->c.max_rate;
		out->at_gen_limit = !out->at_max;
	}
}

/* Run one trial at @p rate, log it, and take what it says. */
static int
one_trial(struct search *s, natgw_trial_fn fn, void *arg, double rate, bool is_long,
		struct natgw_search_result *r, char *err, size_t errlen)
{
	uint64_t dur = is_long ? s->c.final_ns : s->c.trial_ns;
	struct natgw_trial t;
	unsigned int n = r->n_trials;

	memset(&t, 0, sizeof(t));
	t.offered = rate;
	t.duration_ns = dur;
	if (fn(arg, rate, dur, &t) != 0)
		return -1; /* the caller says why, err is left alone */
	r->n_trials++;
	if (n < NATGW_SEARCH_MAX_LOG)
		r->log[n] = t;
	if (!isfinite(t.achieved) || t.achieved < 0)
		return natgw_err(err, errlen, "trial %u at %g: achieved rate %g is not a finite number >= 0",
			n + 1, rate, t.achieved);
	if (t.achieved > r->generator_max)
		r->generator_max = t.achieved;
	if (t.achieved < rate * (1 - s->c.gen_tolerance)) {
		/* not evidence: what the generator reached is the new top */
		r->generator_limited = true;
		if (t.achieved < s->top)
			s->top = t.achieved;
		return 0;
	}
	s->obs[s->n_obs++] = (struct obs){rate, natgw_trial_loss(&t), is_long};
	return 0;
}

int
natgw_search_run(const struct natgw_search_conf *conf, natgw_trial_fn fn, void *arg,
		struct natgw_search_result *r, char *err, size_t errlen)
{
	struct search s;
	int rc = 0, k;

	memset(r, 0, sizeof(*r));
	if (natgw_search_conf_check(conf, err, errlen) < 0)
		return -1;
	memset(&s, 0, sizeof(s));
	resolve(&s.c, conf);
	s.confirm = s.c.final_ns > s.c.trial_ns;
	s.top = s.c.max_rate;
	s.b[NDR].limit = s.c.ndr_loss;
	s.b[PDR].limit = s.c.pdr_loss;
	s.obs = malloc(s.c.max_trials * sizeof(s.obs[0]));
	if (s.obs == NULL)
		return natgw_err(err, errlen, "no memory for %u trials", s.c.max_trials);

	for (;;) {
		for (k = 0; k < N_BOUNDS; k++)
			bound_update(&s, &s.b[k]);
		/* the generator cannot even offer min_rate: nothing more can be measured */
		if (s.top < s.c.min_rate || r->n_trials >= s.c.max_trials)
			break;
		k = pick(&s);
		if (k < 0)
			break;
		rc = one_trial(&s, fn, arg, s.b[k].next_rate, s.b[k].next_long, r, err, errlen);
		if (rc < 0) {
			for (k = 0; k < N_BOUNDS; k++)
				bound_update(&s, &s.b[k]);
			break;
		}
	}
	bound_result(&s, &s.b[NDR], &r->ndr);
	bound_result(&s, &s.b[PDR], &r->pdr);
	free(s.obs);
	return rc;
}
