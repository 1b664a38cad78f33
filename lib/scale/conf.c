/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's parameters: the defaults, the --scale parser with its units, the
 * consistency check, and the parameters as --scale text and as JSON.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natgw_scale.h"
#include "natgw_units.h"
#include "scale_private.h"

#define NS_PER_S 1000000000.0
/* The largest packet a budget must hold: AWS's jumbo MTU inside a VPC. */
#define JUMBO_BYTES 9001
/* The longest duration --scale takes, ns (about 31 years). */
#define DUR_MAX 1e18
/* The highest rate, bits or packets a second: budgets stay well within 64 bits. */
#define RATE_MAX 1e15

void
natgw_scale_conf_defaults(struct natgw_scale_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->bps_start = 5e9;
	c->bps_max = 45e9;
	c->bps_step = 5e9;
	c->pps_start = 1e6;
	c->pps_max = 10e6;
	c->pps_step = 1e6;
	c->up_frac = 0.9;
	c->up_after_ns = 60 * (uint64_t)NS_PER_S;
	c->gap_ns = 60 * (uint64_t)NS_PER_S;
	c->down_frac = 0.5;
	c->down_after_ns = 600 * (uint64_t)NS_PER_S;
	c->window_ns = (uint64_t)NS_PER_S;
	c->epoch_ns = 1000000;
}

void
scale_limits(const struct natgw_scale_conf *c, enum natgw_scale_dim d, struct scale_limits *l)
{
	if (d == NATGW_SCALE_BPS)
		*l = (struct scale_limits){c->bps_start, c->bps_max, c->bps_step, c->bps_floor};
	else
		*l = (struct scale_limits){c->pps_start, c->pps_max, c->pps_step, c->pps_floor};
	if (l->floor == 0)
		l->floor = l->start;
}

/* What a key's value is. */
enum kind {
	K_BPS,  /* bits per second: a number, k/M/G/T, "bps" */
	K_PPS,  /* packets per second: a number, k/M/G/T, "pps" */
	K_FRAC, /* a number or a percentage */
	K_DUR,  /* a number and ns, us, ms, s, m or h: ns in a uint64_t */
};

#define OFF(field) offsetof(struct natgw_scale_conf, field)

static const struct key {
	const char *name;
	enum kind kind;
	size_t off;
} keys[] = {
	{"bps_start", K_BPS, OFF(bps_start)},
	{"bps_max", K_BPS, OFF(bps_max)},
	{"bps_step", K_BPS, OFF(bps_step)},
	{"bps_floor", K_BPS, OFF(bps_floor)},
	{"pps_start", K_PPS, OFF(pps_start)},
	{"pps_max", K_PPS, OFF(pps_max)},
	{"pps_step", K_PPS, OFF(pps_step)},
	{"pps_floor", K_PPS, OFF(pps_floor)},
	{"up_frac", K_FRAC, OFF(up_frac)},
	{"up_after", K_DUR, OFF(up_after_ns)},
	{"gap", K_DUR, OFF(gap_ns)},
	{"down_frac", K_FRAC, OFF(down_frac)},
	{"down_after", K_DUR, OFF(down_after_ns)},
	{"window", K_DUR, OFF(window_ns)},
	{"epoch", K_DUR, OFF(epoch_ns)},
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static double *
num_at(struct natgw_scale_conf *c, const struct key *k)
{
	return (double *)((char *)c + k->off);
}

static uint64_t *
dur_at(struct natgw_scale_conf *c, const struct key *k)
{
	return (uint64_t *)((char *)c + k->off);
}

/* Key @p k's number in @p c (not a duration). */
static double
num_of(const struct natgw_scale_conf *c, const struct key *k)
{
	double v;

	memcpy(&v, (const char *)c + k->off, sizeof(v));
	return v;
}

/* Key @p k's duration in @p c, ns. */
static uint64_t
dur_of(const struct natgw_scale_conf *c, const struct key *k)
{
	uint64_t ns;

	memcpy(&ns, (const char *)c + k->off, sizeof(ns));
	return ns;
}

/* Set key @p k of @p c from the text @p val. @return 0, or -1 with @p err. */
static int
set_value(struct natgw_scale_conf *c, const struct key *k, const char *val, char *err,
		size_t errlen)
{
	static const enum natgw_qty qty[] = {
		[K_BPS] = NATGW_QTY_BITRATE, [K_PPS] = NATGW_QTY_PKTRATE,
		[K_FRAC] = NATGW_QTY_FRACTION, [K_DUR] = NATGW_QTY_DURATION,
	};
	double v;
	int rc = natgw_qty_parse(val, qty[k->kind], &v);

	if (rc == NATGW_QTY_BAD_UNIT && k->kind == K_DUR)
		return scale_fail(err, errlen, "%s: \"%s\" needs a unit: ns, us, ms, s, "
			"m or h (\"500ms\", \"60s\", \"2m\")", k->name, val);
	if (rc < 0)
		goto bad;
	if (k->kind != K_DUR) {
		*num_at(c, k) = v;
		return 0;
	}
	if (v > DUR_MAX)
		return scale_fail(err, errlen, "%s: \"%s\" is too long", k->name, val);
	*dur_at(c, k) = (uint64_t)llround(v);
	return 0;
bad:
	switch (k->kind) {
	case K_BPS:
		return scale_fail(err, errlen, "%s: \"%s\" is not a rate in bits/s (\"5G\", "
			"\"500M\", \"1.5Gbps\")", k->name, val);
	case K_PPS:
		return scale_fail(err, errlen, "%s: \"%s\" is not a rate in packets/s (\"1M\", "
			"\"250k\", \"2Mpps\")", k->name, val);
	case K_FRAC:
		return scale_fail(err, errlen, "%s: \"%s\" is not a fraction (\"0.9\", "
			"\"90%%\")", k->name, val);
	case K_DUR:
		break;
	}
	return scale_fail(err, errlen, "%s: \"%s\" is not a duration (\"500ms\", \"60s\", "
		"\"2m\")", k->name, val);
}

/* Apply one "key=value" of @p len bytes at @p item to @p c. */
static int
set_item(struct natgw_scale_conf *c, const char *item, size_t len, char *err, size_t errlen)
{
	const char *eq = memchr(item, '=', len);
	size_t klen = eq != NULL ? (size_t)(eq - item) : len;
	char val[64];
	size_t i, vlen;

	for (i = 0; i < N_KEYS; i++)
		if (strncmp(keys[i].name, item, klen) == 0 && keys[i].name[klen] == 0)
			break;
	if (i == N_KEYS)
		return scale_fail(err, errlen, "unknown key \"%.*s\" (keys: bps_start, bps_max, "
			"bps_step, bps_floor, pps_start, pps_max, pps_step, pps_floor, up_frac, "
			"up_after, gap, down_frac, down_after, window, epoch)", (int)klen, item);
	if (eq == NULL)
		return scale_fail(err, errlen, "%s: no value (%s=VALUE)", keys[i].name,
			keys[i].name);
	vlen = len - klen - 1;
	if (vlen >= sizeof(val))
		return scale_fail(err, errlen, "%s: value too long", keys[i].name);
	memcpy(val, eq + 1, vlen);
	val[vlen] = 0;
	return set_value(c, &keys[i], val, err, errlen);
}

int
natgw_scale_conf_set(struct natgw_scale_conf *c, const char *spec, char *err, size_t errlen)
{
	struct natgw_scale_conf n = *c;
	const char *s = spec;

	for (;;) {
		const char *comma = strchr(s, ',');
		const char *e = comma != NULL ? comma : s + strlen(s);

		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (e == s) {
			if (comma != NULL || s != spec)
				return scale_fail(err, errlen, "empty item in \"%s\"", spec);
		} else if (set_item(&n, s, (size_t)(e - s), err, errlen) < 0) {
			return -1;
		}
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	if (natgw_scale_conf_check(&n, err, errlen) < 0)
		return -1;
	*c = n;
	return 0;
}

/* Parameters as they read best, and as --scale reads them back (lib/units). */
static const char *
fmt_rate(char *buf, size_t len, double v)
{
	return natgw_qty_format(buf, len, NATGW_QTY_COUNT, v);
}

static const char *
fmt_dur(char *buf, size_t len, uint64_t ns)
{
	return natgw_qty_format_ns(buf, len, ns);
}

static const char *
fmt_frac(char *buf, size_t len, double v)
{
	return natgw_qty_format(buf, len, NATGW_QTY_FRACTION, v);
}

int
natgw_scale_conf_check(const struct natgw_scale_conf *c, char *err, size_t errlen)
{
	static const char *const dim_name[] = {"bps", "pps"};
	char a[32], b[32];
	unsigned int d;

	for (d = 0; d < NATGW_SCALE_DIMS; d++) {
		const char *n = dim_name[d];
		struct scale_limits l;
		double floor_set;

		scale_limits(c, (enum natgw_scale_dim)d, &l);
		floor_set = d == NATGW_SCALE_BPS ? c->bps_floor : c->pps_floor;
		if (!(l.start > 0) || !isfinite(l.start))
			return scale_fail(err, errlen, "%s_start: must be a positive rate", n);
		if (!(l.max >= l.start) || !isfinite(l.max))
			return scale_fail(err, errlen, "%s_max: %s is below %s_start %s", n,
				fmt_rate(a, sizeof(a), l.max), n, fmt_rate(b, sizeof(b), l.start));
		if (l.max > RATE_MAX)
			return scale_fail(err, errlen, "%s_max: %s is above 1000T", n,
				fmt_rate(a, sizeof(a), l.max));
		if (!(l.step > 0) || !isfinite(l.step))
			return scale_fail(err, errlen, "%s_step: must be a positive rate", n);
		if (floor_set != 0 && !(floor_set >= l.start && floor_set <= l.max))
			return scale_fail(err, errlen, "%s_floor: %s is not 0 (the start) nor "
				"between %s_start and %s_max", n, fmt_rate(a, sizeof(a), floor_set),
				n, n);
	}
	if (!(c->up_frac > 0 && c->up_frac <= 1))
		return scale_fail(err, errlen, "up_frac: %s is not in (0, 1]",
			fmt_frac(a, sizeof(a), c->up_frac));
	if (!(c->down_frac >= 0 && c->down_frac < c->up_frac))
		return scale_fail(err, errlen, "down_frac: %s is not in [0, up_frac %s)",
			fmt_frac(a, sizeof(a), c->down_frac), fmt_frac(b, sizeof(b), c->up_frac));
	if (c->up_after_ns > DUR_MAX || c->gap_ns > DUR_MAX || c->down_after_ns > DUR_MAX)
		return scale_fail(err, errlen, "%s: longer than 1e18 ns",
			c->up_after_ns > DUR_MAX ? "up_after" : c->gap_ns > DUR_MAX ? "gap" :
			"down_after");
	if (c->epoch_ns == 0 || (uint64_t)NS_PER_S % c->epoch_ns != 0)
		return scale_fail(err, errlen, "epoch: %s does not divide one second",
			fmt_dur(a, sizeof(a), c->epoch_ns));
	if (c->window_ns == 0 || c->window_ns > DUR_MAX || c->window_ns % c->epoch_ns != 0)
		return scale_fail(err, errlen, "window: %s is not a multiple of epoch %s",
			fmt_dur(a, sizeof(a), c->window_ns), fmt_dur(b, sizeof(b), c->epoch_ns));
	if (c->bps_start / 8 * ((double)c->epoch_ns / NS_PER_S) < JUMBO_BYTES)
		return scale_fail(err, errlen, "epoch: %s at bps_start %s is a budget smaller "
			"than a %d-byte packet", fmt_dur(a, sizeof(a), c->epoch_ns),
			fmt_rate(b, sizeof(b), c->bps_start), JUMBO_BYTES);
	if (c->pps_start * ((double)c->epoch_ns / NS_PER_S) < 1)
		return scale_fail(err, errlen, "epoch: %s at pps_start %s is a budget of less than "
			"one packet", fmt_dur(a, sizeof(a), c->epoch_ns),
			fmt_rate(b, sizeof(b), c->pps_start));
	return 0;
}

int
natgw_scale_conf_str(const struct natgw_scale_conf *c, char *buf, size_t len)
{
	size_t i, used = 0;

	for (i = 0; i < N_KEYS; i++) {
		char text[32];
		int w;

		if (keys[i].kind == K_DUR)
			fmt_dur(text, sizeof(text), dur_of(c, &keys[i]));
		else if (keys[i].kind == K_FRAC)
			fmt_frac(text, sizeof(text), num_of(c, &keys[i]));
		else
			fmt_rate(text, sizeof(text), num_of(c, &keys[i]));
		w = snprintf(used < len ? buf + used : NULL, used < len ? len - used : 0,
			"%s%s=%s", i > 0 ? "," : "", keys[i].name, text);
		if (w < 0)
			return w;
		used += (size_t)w;
	}
	return (int)used;
}

int
natgw_scale_conf_json(const struct natgw_scale_conf *c, json_t **out)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; o != NULL && i < N_KEYS; i++) {
		double v;

		if (keys[i].kind == K_DUR)
			v = (double)dur_of(c, &keys[i]) / NS_PER_S;
		else
			v = num_of(c, &keys[i]);
		if (v == 0 && keys[i].off == OFF(bps_floor))
			v = c->bps_start;
		else if (v == 0 && keys[i].off == OFF(pps_floor))
			v = c->pps_start;
		if (json_object_set_new(o, keys[i].name, json_real(v)) < 0) {
			json_decref(o);
			o = NULL;
		}
	}
	*out = o;
	return o != NULL ? 0 : -1;
}
