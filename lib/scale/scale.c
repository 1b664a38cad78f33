/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controller: demand measured over windows steps each dimension's ceiling
 * (run_windows), epochs refill a token bucket one epoch deep that is split
 * between the shares in proportion to what they were offered (refill, split),
 * and what the shares did goes into the per-second timeline (account).
 *
 * Inside, dimension NATGW_SCALE_BPS counts bytes; the timeline and the rates
 * the model compares are in bits (× 8).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "natgw_scale.h"
#include "scale_private.h"

#define NS_PER_S 1000000000ull
/* A time that has not come: no run of pressing or low use, no step yet. */
#define NEVER UINT64_MAX

/* One dimension's ceiling and where the model stands with it. */
struct dim {
	struct scale_limits lim;
	double ceil;
	uint64_t press_since; /* the start of the first window pressing the ceiling, or NEVER */
	uint64_t low_since;   /* the start of the first window of low use, or NEVER */
	uint64_t last_step;   /* when it last stepped, or NEVER */
	uint64_t ups, downs;
};

/* One share: what it did since the last epoch (indexed by dimension: bytes,
 * packets), and the budget it was given then. */
struct share {
	uint64_t offered[NATGW_SCALE_DIMS];
	uint64_t fwd[NATGW_SCALE_DIMS];
	uint64_t drop[NATGW_SCALE_DIMS];
	uint64_t given[NATGW_SCALE_DIMS];
};

struct natgw_scale {
	struct natgw_scale_conf conf;
	unsigned int n;
	bool started;
	bool nomem;       /* this call could not record a second or a step */
	uint64_t epoch;   /* the current epoch: its start / epoch_ns */
	uint64_t window;  /* the demand window the current epoch is in: its start / window_ns */
	uint64_t win[NATGW_SCALE_DIMS];  /* offered in that window: bytes, packets */
	double tok[NATGW_SCALE_DIMS];    /* tokens not handed out: fractions, or a debt */
	unsigned int rot; /* the share where the next split's odd units start */
	struct dim dim[NATGW_SCALE_DIMS];
	struct natgw_scale_use total;
	struct natgw_scale_second *tl;
	size_t tl_n, tl_cap;
	struct natgw_scale_step *steps;
	size_t steps_n, steps_cap;
	struct share share[];
};

/* Bits or packets per unit a share counts in dimension @p d. */
static unsigned int
unit_bits(unsigned int d)
{
	return d == NATGW_SCALE_BPS ? 8 : 1;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * Room for one more element after the @p n of @p size bytes at @p p, of which
 * there is room for @p *cap. @return the array (maybe moved), or NULL (no
 * memory; @p p is still valid).
 */
static void *
grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap != 0 ? *cap * 2 : 64;
	void *q;

	if (n < *cap)
		return p;
	q = realloc(p, c * size);
	if (q != NULL)
		*cap = c;
	return q;
}

struct natgw_scale *
natgw_scale_create(const struct natgw_scale_conf *c, unsigned int n, char *err, size_t errlen)
{
	struct natgw_scale *s;
	unsigned int d;

	if (natgw_scale_conf_check(c, err, errlen) < 0)
		return NULL;
	if (n == 0) {
		scale_fail(err, errlen, "scale: no share (at least one worker)");
		return NULL;
	}
	s = calloc(1, sizeof(*s) + (size_t)n * sizeof(s->share[0]));
	if (s == NULL) {
		scale_fail(err, errlen, "scale: no memory for %u shares", n);
		return NULL;
	}
	s->conf = *c;
	s->n = n;
	for (d = 0; d < NATGW_SCALE_DIMS; d++) {
		struct dim *x = &s->dim[d];

		scale_limits(c, (enum natgw_scale_dim)d, &x->lim);
		x->ceil = x->lim.start;
		x->press_since = x->low_since = x->last_step = NEVER;
	}
	return s;
}

void
natgw_scale_free(struct natgw_scale *s)
{
	if (s == NULL)
		return;
	free(s->tl);
	free(s->steps);
	free(s);
}

void
natgw_scale_add(struct natgw_scale *s, unsigned int share, const struct natgw_scale_use *u)
{
	struct share *sh;

	if (share >= s->n)
		return;
	sh = &s->share[share];
	sh->offered[NATGW_SCALE_BPS] += u->offered_bytes;
	sh->offered[NATGW_SCALE_PPS] += u->offered_pkts;
	sh->fwd[NATGW_SCALE_BPS] += u->fwd_bytes;
	sh->fwd[NATGW_SCALE_PPS] += u->fwd_pkts;
	sh->drop[NATGW_SCALE_BPS] += u->drop_bytes;
	sh->drop[NATGW_SCALE_PPS] += u->drop_pkts;
}

/* Log a step of dimension @p d at @p t. */
static void
log_step(struct natgw_scale *s, enum natgw_scale_dim d, uint64_t t, double from, double to)
{
	struct natgw_scale_step *a = grow(s->steps, &s->steps_cap, s->steps_n, sizeof(*a));

	if (a == NULL) {
		s->nomem = true;
		return;
	}
	s->steps = a;
	a[s->steps_n++] = (struct natgw_scale_step){.t_ns = t, .dim = d, .from = from, .to = to};
}

/*
 * The model, for dimension @p d over @p m windows in a row that each saw the
 * demand @p rate (bits or packets per second), the first ending at @p t. At
 * each window's end: the demand presses the ceiling if it is at least up_frac
 * of it, and is low use if it is under down_frac of the ceiling one step lower
 * (the ceiling above its floor). A step up comes once pressing has lasted
 * up_after, a step down once low use has lasted down_after, either at least
 * gap after the dimension's last step; a run goes on across steps, so steps
 * follow every gap while it lasts. Only the window ends where a step is due are
 * visited: a run costs the steps it makes, however long it is.
 */
static void
run_windows(struct natgw_scale *s, enum natgw_scale_dim d, uint64_t t, uint64_t m, double rate)
{
	const struct natgw_scale_conf *c = &s->conf;
	const uint64_t w = c->window_ns;
	const uint64_t last = t + (m - 1) * w;
	struct dim *x = &s->dim[d];

	while (t <= last) {
		double lower = fmax(x->ceil - x->lim.step, x->lim.floor);
		bool up = rate >= c->up_frac * x->ceil;
		bool down = !up && x->ceil > x->lim.floor && rate < c->down_frac * lower;
		uint64_t *since = up ? &x->press_since : &x->low_since;
		uint64_t due, k;
		double from = x->ceil;

		if (!up && !down) {
			x->press_since = x->low_since = NEVER;
			return;
		}
		*(up ? &x->low_since : &x->press_since) = NEVER;
		if (*since == NEVER)
			*since = t - w;
		if (up && x->ceil >= x->lim.max)
			return;
		due = add_sat(*since, up ? c->up_after_ns : c->down_after_ns);
		if (x->last_step != NEVER && add_sat(x->last_step, c->gap_ns) > due)
			due = add_sat(x->last_step, c->gap_ns);
		/* the first window end at or after due */
		k = due <= t ? 0 : (due - t) / w + ((due - t) % w != 0);
		if (k > (last - t) / w)
			return;
		t += k * w;
		x->ceil = up ? fmin(x->ceil + x->lim.step, x->lim.max) : lower;
		if (up)
			x->ups++;
		else
			x->downs++;
		x->last_step = t;
		log_step(s, d, t, from, x->ceil);
		t += w;
	}
}

/* Close the demand windows that ended by the start of epoch @p e: the one
 * that saw traffic, then any that followed with none. */
static void
advance(struct natgw_scale *s, uint64_t e)
{
	const uint64_t w = s->conf.window_ns;
	const uint64_t we = e * s->conf.epoch_ns / w;
	unsigned int d;

	if (we == s->window)
		return;
	for (d = 0; d < NATGW_SCALE_DIMS; d++) {
		double rate = (double)s->win[d] * unit_bits(d) / ((double)w / NS_PER_S);

		run_windows(s, (enum natgw_scale_dim)d, (s->window + 1) * w, 1, rate);
		if (we - s->window > 1)
			run_windows(s, (enum natgw_scale_dim)d, (s->window + 2) * w,
				we - s->window - 1, 0);
		s->win[d] = 0;
	}
	s->window = we;
}

/* The timeline's second @p sec: the last one, or a new one after it (with
 * the ceiling now). @return it, or NULL (no memory). */
static struct natgw_scale_second *
second(struct natgw_scale *s, uint64_t sec)
{
	struct natgw_scale_second *t;

	if (s->tl_n > 0 && s->tl[s->tl_n - 1].sec == sec)
		return &s->tl[s->tl_n - 1];
	t = grow(s->tl, &s->tl_cap, s->tl_n, sizeof(*t));
	if (t == NULL) {
		s->nomem = true;
		return NULL;
	}
	s->tl = t;
	t = &s->tl[s->tl_n++];
	memset(t, 0, sizeof(*t));
	t->sec = sec;
	t->ceil_bps = s->dim[NATGW_SCALE_BPS].ceil;
	t->ceil_pps = s->dim[NATGW_SCALE_PPS].ceil;
	return t;
}

/* Account what the shares added to the epoch that is ending: its second of
 * the timeline, its demand window, the totals. */
static void
account(struct natgw_scale *s, uint64_t k)
{
	struct natgw_scale_second *t = second(s, s->epoch * s->conf.epoch_ns / NS_PER_S);
	struct natgw_scale_use *tot = &s->total;
	uint64_t eb = 0, ep = 0;
	double span;
	unsigned int i;

	for (i = 0; i < s->n; i++) {
		const struct share *sh = &s->share[i];

		s->win[NATGW_SCALE_BPS] += sh->offered[NATGW_SCALE_BPS];
		s->win[NATGW_SCALE_PPS] += sh->offered[NATGW_SCALE_PPS];
		tot->offered_bytes += sh->offered[NATGW_SCALE_BPS];
		tot->offered_pkts += sh->offered[NATGW_SCALE_PPS];
		tot->fwd_bytes += sh->fwd[NATGW_SCALE_BPS];
		tot->fwd_pkts += sh->fwd[NATGW_SCALE_PPS];
		tot->drop_bytes += sh->drop[NATGW_SCALE_BPS];
		tot->drop_pkts += sh->drop[NATGW_SCALE_PPS];
		eb += sh->offered[NATGW_SCALE_BPS];
		ep += sh->offered[NATGW_SCALE_PPS];
		if (t == NULL)
			continue;
		t->demand_bps += sh->offered[NATGW_SCALE_BPS] * 8;
		t->demand_pps += sh->offered[NATGW_SCALE_PPS];
		t->fwd_bps += sh->fwd[NATGW_SCALE_BPS] * 8;
		t->fwd_pps += sh->fwd[NATGW_SCALE_PPS];
		t->drop_bps += sh->drop[NATGW_SCALE_BPS] * 8;
		t->drop_pps += sh->drop[NATGW_SCALE_PPS];
	}
	/* The busiest epoch of the second, as a rate: a burst of a millisecond
	 * that meets the ceiling shows here, not in the second's average. */
	span = (double)(k ? k : 1) * (double)s->conf.epoch_ns / NS_PER_S;
	if (t != NULL) {
		t->peak_bps = fmax(t->peak_bps, (double)eb * 8 / span);
		t->peak_pps = fmax(t->peak_pps, (double)ep / span);
	}
}

/*
 * Split @p total units of dimension @p d between the shares by what each was
 * offered in the last epoch: when that fits, each gets its offer and an even
 * part of the rest; when it does not, each gets the same fraction of its
 * offer, as one policer in front of them all would forward. The units the
 * division leaves go one each to shares (that were offered something, when
 * the total is short), starting at a share that turns every epoch.
 */
static void
split(struct natgw_scale *s, enum natgw_scale_dim d, uint64_t total)
{
	unsigned __int128 sum = 0;
	uint64_t given = 0, rest;
	unsigned int i;
	bool fits;

	for (i = 0; i < s->n; i++)
		sum += s->share[i].offered[d];
	fits = sum <= total;
	for (i = 0; i < s->n; i++) {
		struct share *sh = &s->share[i];

		if (fits)
			sh->given[d] = sh->offered[d] + (total - (uint64_t)sum) / s->n;
		else
			sh->given[d] = (uint64_t)((unsigned __int128)total * sh->offered[d] / sum);
		given += sh->given[d];
	}
	rest = total - given;
	for (i = 0; rest > 0 && i < s->n; i++) {
		struct share *sh = &s->share[(s->rot + i) % s->n];

		if (fits || sh->offered[d] > 0) {
			sh->given[d]++;
			rest--;
		}
	}
}

/*
 * Dimension @p d's tokens for an epoch @p k epochs after the last one (0: the
 * same epoch again). The bucket is one epoch deep: what the shares left of
 * their budgets (and the idle epochs in between refilled) is kept up to one
 * epoch's worth, and the new epoch adds its own; a second call in the same
 * epoch splits what is left. Fractions of a unit, or a debt if shares
 * forwarded more than given, stay for the next epoch.
 */
static void
refill(struct natgw_scale *s, enum natgw_scale_dim d, uint64_t k)
{
	double depth = s->dim[d].ceil / unit_bits(d) * (double)s->conf.epoch_ns / NS_PER_S;
	double left = s->tok[d], total, whole;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		left += (double)s->share[i].given[d] - (double)s->share[i].fwd[d];
	if (k > 0)
		total = fmin(left + (double)(k - 1) * depth, depth) + depth;
	else
		total = left;
	whole = total > 0 ? floor(total) : 0;
	s->tok[d] = total - whole;
	split(s, d, (uint64_t)whole);
}

int
natgw_scale_epoch(struct natgw_scale *s, uint64_t now, struct natgw_scale_budget *b)
{
	uint64_t e = now / s->conf.epoch_ns, k;
	struct natgw_scale_second *t;
	unsigned int i, d;

	s->nomem = false;
	if (!s->started) {
		/* the bucket starts with the first epoch's own tokens */
		s->started = true;
		s->epoch = e;
		s->window = e * s->conf.epoch_ns / s->conf.window_ns;
		k = 1;
	} else {
		if (e < s->epoch)
			e = s->epoch; /* time went back: none passes */
		k = e - s->epoch;
	}
	account(s, k);
	advance(s, e);
	for (d = 0; d < NATGW_SCALE_DIMS; d++)
		refill(s, (enum natgw_scale_dim)d, k);
	s->epoch = e;
	t = second(s, e * s->conf.epoch_ns / NS_PER_S);
	if (t != NULL) {
		t->ceil_bps = s->dim[NATGW_SCALE_BPS].ceil;
		t->ceil_pps = s->dim[NATGW_SCALE_PPS].ceil;
	}
	for (i = 0; i < s->n; i++) {
		struct share *sh = &s->share[i];

		b[i].bytes = sh->given[NATGW_SCALE_BPS];
		b[i].pkts = sh->given[NATGW_SCALE_PPS];
		memset(sh->offered, 0, sizeof(sh->offered));
		memset(sh->fwd, 0, sizeof(sh->fwd));
		memset(sh->drop, 0, sizeof(sh->drop));
	}
	s->rot = (s->rot + 1) % s->n;
	return s->nomem ? -1 : 0;
}

void
natgw_scale_state(const struct natgw_scale *s, struct natgw_scale_state *st)
{
	unsigned int d;

	memset(st, 0, sizeof(*st));
	for (d = 0; d < NATGW_SCALE_DIMS; d++) {
		st->ceil[d] = s->dim[d].ceil;
		st->ups[d] = s->dim[d].ups;
		st->downs[d] = s->dim[d].downs;
	}
	st->total = s->total;
}

const struct natgw_scale_second *
natgw_scale_timeline(const struct natgw_scale *s, size_t *n)
{
	*n = s->tl_n;
	return s->tl;
}

const struct natgw_scale_step *
natgw_scale_steps(const struct natgw_scale *s, size_t *n)
{
	*n = s->steps_n;
	return s->steps;
}

/* The timeline's columns in the JSON. */
static const struct column {
	const char *name;
	size_t off;
	bool real;
} columns[] = {
	{"sec", offsetof(struct natgw_scale_second, sec), false},
	{"demand_bps", offsetof(struct natgw_scale_second, demand_bps), false},
	{"demand_pps", offsetof(struct natgw_scale_second, demand_pps), false},
	{"fwd_bps", offsetof(struct natgw_scale_second, fwd_bps), false},
	{"fwd_pps", offsetof(struct natgw_scale_second, fwd_pps), false},
	{"drop_bps", offsetof(struct natgw_scale_second, drop_bps), false},
	{"drop_pps", offsetof(struct natgw_scale_second, drop_pps), false},
	{"ceil_bps", offsetof(struct natgw_scale_second, ceil_bps), true},
	{"ceil_pps", offsetof(struct natgw_scale_second, ceil_pps), true},
	{"peak_bps", offsetof(struct natgw_scale_second, peak_bps), true},
	{"peak_pps", offsetof(struct natgw_scale_second, peak_pps), true},
};

/* One column of the timeline. */
static json_t *
column_json(const struct natgw_scale *s, const struct column *col)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < s->tl_n; i++) {
		const char *p = (const char *)&s->tl[i] + col->off;
		json_t *v;
		uint64_t u;
		double r;

		if (col->real) {
			memcpy(&r, p, sizeof(r));
			v = json_real(r);
		} else {
			memcpy(&u, p, sizeof(u));
			v = json_integer((json_int_t)u);
		}
		if (json_array_append_new(a, v) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

static json_t *
steps_json(const struct natgw_scale *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < s->steps_n; i++) {
		const struct natgw_scale_step *st = &s->steps[i];

		if (json_array_append_new(a, json_pack("{sIsssfsf}", "t_ns", (json_int_t)st->t_ns,
				"dim", st->dim == NATGW_SCALE_BPS ? "bps" : "pps", "from", st->from,
				"to", st->to)) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

int
natgw_scale_json(const struct natgw_scale *s, json_t **out)
{
	const struct natgw_scale_use *u = &s->total;
	json_t *conf = NULL, *tl = json_object();
	size_t i;

	for (i = 0; tl != NULL && i < sizeof(columns) / sizeof(columns[0]); i++) {
		if (json_object_set_new(tl, columns[i].name, column_json(s, &columns[i])) < 0) {
			json_decref(tl);
			tl = NULL;
		}
	}
	natgw_scale_conf_json(&s->conf, &conf);
	*out = json_pack("{sos{sfsf}s{sIsI}s{sIsI}s{sIsIsIsIsIsI}soso}", "conf", conf,
		"ceiling", "bps", s->dim[NATGW_SCALE_BPS].ceil, "pps", s->dim[NATGW_SCALE_PPS].ceil,
		"ups", "bps", (json_int_t)s->dim[NATGW_SCALE_BPS].ups,
		"pps", (json_int_t)s->dim[NATGW_SCALE_PPS].ups,
		"downs", "bps", (json_int_t)s->dim[NATGW_SCALE_BPS].downs,
		"pps", (json_int_t)s->dim[NATGW_SCALE_PPS].downs,
		"total", "offered_bytes", (json_int_t)u->offered_bytes,
		"offered_pkts", (json_int_t)u->offered_pkts, "fwd_bytes", (json_int_t)u->fwd_bytes,
		"fwd_pkts", (json_int_t)u->fwd_pkts, "drop_bytes", (json_int_t)u->drop_bytes,
		"drop_pkts", (json_int_t)u->drop_pkts, "steps", steps_json(s), "timeline", tl);
	return *out != NULL ? 0 : -1;
}

int
natgw_scale_shadow_epoch(struct natgw_scale *s, uint64_t now, uint64_t offered_bytes,
		uint64_t offered_pkts, struct natgw_scale_budget *b)
{
	struct natgw_scale_use u = {.offered_bytes = offered_bytes, .offered_pkts = offered_pkts};
	uint64_t over_p = offered_pkts > b->pkts ? offered_pkts - b->pkts : 0;
	uint64_t over_b = offered_bytes > b->bytes ? offered_bytes - b->bytes : 0;
	uint64_t by_b = offered_bytes ? (uint64_t)((double)offered_pkts * (double)over_b /
		(double)offered_bytes + 0.5) : 0;

	u.drop_pkts = over_p > by_b ? over_p : by_b;
	u.drop_bytes = offered_pkts ? (uint64_t)((double)offered_bytes * (double)u.drop_pkts /
		(double)offered_pkts) : 0;
	if (u.drop_bytes < over_b)
		u.drop_bytes = over_b;
	u.fwd_bytes = offered_bytes - u.drop_bytes;
	u.fwd_pkts = offered_pkts - u.drop_pkts;
	natgw_scale_add(s, 0, &u);
	return natgw_scale_epoch(s, now, b);
}
