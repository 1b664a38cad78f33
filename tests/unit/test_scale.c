/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/scale: the --scale parser and its errors, the model's steps in scenarios
 * worked out by hand with the default parameters (each expected time and value
 * is computed in the comment above it), enforcement by epoch budgets, the
 * split between shares, time going back, long gaps, and the timeline's sums.
 * The library does not use DPDK and this suite starts no EAL.
 *
 * The defaults, as the scenarios use them: the ceiling starts at 5 Gbps and
 * 1 Mpps, steps by 5 Gbps and 1 Mpps up to 45 Gbps and 10 Mpps; demand of at
 * least 0.9 × the ceiling presses it, and a step up comes once it has pressed
 * for 60 s, then one every 60 s (gap) while it still presses; low use is
 * demand under 0.5 × the ceiling one step lower, a step down comes once it has
 * lasted 10 min, then one every 60 s; demand is measured over 1 s windows, the
 * budgets are given every 1 ms.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natgw_scale.h"
#include "natgw_test.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define G 1e9
#define M 1e6
#define MAX_SHARES 4

static char err[512];

/* An error is one line and says @p what. */
static void
ck_err(int rc, const char *what)
{
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err, what) != NULL, "error \"%s\" does not say \"%s\"", err, what);
	ck_assert_msg(strchr(err, '\n') == NULL, "error \"%s\" is not one line", err);
}

/* @p got within @p frac of @p want (relative). */
#define ck_within(got, want, frac) do { \
	double g_ = (double)(got), w_ = (double)(want); \
	ck_assert_msg(fabs(g_ - w_) <= (frac) * w_, "%s = %.6g, expected %.6g within %g%%", \
		#got, g_, w_, (frac) * 100); \
} while (0)

/* An epoch call that must succeed; checked without Check's bookkeeping, which
 * costs a system call an assertion and the loops make millions. */
static void
epoch_ok(struct natgw_scale *s, uint64_t now, struct natgw_scale_budget *b)
{
	if (natgw_scale_epoch(s, now, b) != 0)
		ck_abort_msg("natgw_scale_epoch at %llu ns failed", (unsigned long long)now);
}

/*
 * A gateway under test: a controller and the shares' traffic. Each share is
 * offered packets of one size at a steady rate, forwards those its budget
 * holds (bytes and a packet left), drops the rest, and reports it all.
 */
struct sim {
	struct natgw_scale *s;
	unsigned int n;
	uint64_t now;       /* the next epoch's start */
	uint64_t epoch;     /* the conf's epoch */
	struct natgw_scale_budget b[MAX_SHARES];
	double carry[MAX_SHARES];             /* fractions of a packet offered */
	struct natgw_scale_use share[MAX_SHARES]; /* per share, since sim_start */
	struct natgw_scale_use sum;           /* what was added, all shares */
};

static void
sim_start_conf(struct sim *m, const struct natgw_scale_conf *c, unsigned int n, uint64_t t0)
{
	memset(m, 0, sizeof(*m));
	m->s = natgw_scale_create(c, n, err, sizeof(err));
	ck_assert_msg(m->s != NULL, "%s", err);
	m->n = n;
	m->now = t0;
	m->epoch = c->epoch_ns;
	ck_assert_int_eq(natgw_scale_epoch(m->s, t0, m->b), 0);
}

/* Start at @p t0 with the defaults changed by @p spec ("" for none). */
static void
sim_start(struct sim *m, const char *spec, unsigned int n, uint64_t t0)
{
	struct natgw_scale_conf c;

	natgw_scale_conf_defaults(&c);
	ck_assert_msg(natgw_scale_conf_set(&c, spec, err, sizeof(err)) == 0, "%s", err);
	sim_start_conf(m, &c, n, t0);
}

static void
use_add(struct natgw_scale_use *a, const struct natgw_scale_use *u)
{
	a->offered_bytes += u->offered_bytes;
	a->offered_pkts += u->offered_pkts;
	a->fwd_bytes += u->fwd_bytes;
	a->fwd_pkts += u->fwd_pkts;
	a->drop_bytes += u->drop_bytes;
	a->drop_pkts += u->drop_pkts;
}

/* One epoch of share @p i offered @p pkts packets of @p size bytes. */
static void
sim_share(struct sim *m, unsigned int i, uint64_t pkts, unsigned int size)
{
	uint64_t fwd = pkts;
	struct natgw_scale_use u;

	if (fwd > m->b[i].pkts)
		fwd = m->b[i].pkts;
	if (fwd > m->b[i].bytes / size)
		fwd = m->b[i].bytes / size;
	u = (struct natgw_scale_use){pkts * size, pkts, fwd * size, fwd, (pkts - fwd) * size,
		pkts - fwd};
	natgw_scale_add(m->s, i, &u);
	use_add(&m->share[i], &u);
	use_add(&m->sum, &u);
}

/*
 * Epochs until @p until: share i is offered @p bps[i] bits per second in
 * packets of @p size bytes.
 */
static void
sim_run(struct sim *m, uint64_t until, const double *bps, unsigned int size)
{
	unsigned int i;

	while (m->now < until) {
		for (i = 0; i < m->n; i++) {
			double want = m->carry[i] + bps[i] / 8 / size * (double)m->epoch / SEC;
			uint64_t pkts = (uint64_t)want;

			m->carry[i] = want - (double)pkts;
			sim_share(m, i, pkts, size);
		}
		m->now += m->epoch;
		epoch_ok(m->s, m->now, m->b);
	}
}

/* The timeline's sums are what was added, and so are the controller's totals;
 * its seconds increase. */
static void
check_sums(const struct sim *m)
{
	struct natgw_scale_use t = {0};
	struct natgw_scale_state st;
	const struct natgw_scale_second *tl;
	size_t n, i;

	tl = natgw_scale_timeline(m->s, &n);
	for (i = 0; i < n; i++) {
		if (i > 0)
			ck_assert_uint_gt(tl[i].sec, tl[i - 1].sec);
		ck_assert(tl[i].demand_bps % 8 == 0 && tl[i].fwd_bps % 8 == 0 &&
			tl[i].drop_bps % 8 == 0);
		t.offered_bytes += tl[i].demand_bps / 8;
		t.offered_pkts += tl[i].demand_pps;
		t.fwd_bytes += tl[i].fwd_bps / 8;
		t.fwd_pkts += tl[i].fwd_pps;
		t.drop_bytes += tl[i].drop_bps / 8;
		t.drop_pkts += tl[i].drop_pps;
	}
	ck_assert(memcmp(&t, &m->sum, sizeof(t)) == 0);
	natgw_scale_state(m->s, &st);
	ck_assert(memcmp(&st.total, &m->sum, sizeof(t)) == 0);
}

/* The timeline's second @p sec (it must be there). */
static const struct natgw_scale_second *
second_at(const struct sim *m, uint64_t sec)
{
	const struct natgw_scale_second *tl;
	size_t n, i;

	tl = natgw_scale_timeline(m->s, &n);
	for (i = 0; i < n; i++)
		if (tl[i].sec == sec)
			return &tl[i];
	ck_abort_msg("no second %llu in the timeline", (unsigned long long)sec);
	return NULL;
}

/* Each second from @p from to before @p to forwarded @p bps within 2%. */
static void
check_fwd(const struct sim *m, uint64_t from, uint64_t to, double bps)
{
	uint64_t sec;

	for (sec = from; sec < to; sec++)
		ck_within(second_at(m, sec)->fwd_bps, bps, 0.02);
}

/* The step log is @p n steps: times in seconds, dimensions, values. */
struct want_step {
	uint64_t t_s;
	enum natgw_scale_dim dim;
	double from, to;
};

static void
check_steps(const struct sim *m, const struct want_step *w, size_t n)
{
	const struct natgw_scale_step *st;
	size_t got, i;

	st = natgw_scale_steps(m->s, &got);
	for (i = 0; i < got && i < n; i++) {
		ck_assert_msg(st[i].t_ns == w[i].t_s * SEC && st[i].dim == w[i].dim &&
			st[i].from == w[i].from && st[i].to == w[i].to,
			"step %zu: at %.3f s %s %g -> %g, expected at %llu s %s %g -> %g", i,
			(double)st[i].t_ns / SEC, st[i].dim == NATGW_SCALE_BPS ? "bps" : "pps",
			st[i].from, st[i].to, (unsigned long long)w[i].t_s,
			w[i].dim == NATGW_SCALE_BPS ? "bps" : "pps", w[i].from, w[i].to);
	}
	ck_assert_uint_eq(got, n);
}

/* The ceiling in force at second @p sec by the steps @p w of dimension @p d. */
static double
ceiling_at(const struct want_step *w, size_t n, enum natgw_scale_dim d, double start,
		uint64_t sec)
{
	double c = start;
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i].dim == d && w[i].t_s <= sec)
			c = w[i].to;
	return c;
}

/* ---- configuration ---- */

START_TEST(test_defaults)
{
	struct natgw_scale_conf c;
	char buf[512];

	natgw_scale_conf_defaults(&c);
	ck_assert(c.bps_start == 5 * G && c.bps_max == 45 * G && c.bps_step == 5 * G);
	ck_assert(c.pps_start == 1 * M && c.pps_max == 10 * M && c.pps_step == 1 * M);
	ck_assert(c.bps_floor == 0 && c.pps_floor == 0);
	ck_assert(c.up_frac == 0.9 && c.down_frac == 0.5);
	ck_assert_uint_eq(c.up_after_ns, 60 * SEC);
	ck_assert_uint_eq(c.gap_ns, 60 * SEC);
	ck_assert_uint_eq(c.down_after_ns, 600 * SEC);
	ck_assert_uint_eq(c.window_ns, SEC);
	ck_assert_uint_eq(c.epoch_ns, MS);
	ck_assert_int_eq(natgw_scale_conf_check(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(natgw_scale_conf_str(&c, buf, sizeof(buf)), (int)strlen(buf));
	ck_assert_str_eq(buf, "bps_start=5G,bps_max=45G,bps_step=5G,bps_floor=0,pps_start=1M,"
		"pps_max=10M,pps_step=1M,pps_floor=0,up_frac=0.9,up_after=1m,gap=1m,"
		"down_frac=0.5,down_after=10m,window=1s,epoch=1ms");
}
END_TEST

START_TEST(test_parse_units)
{
	struct natgw_scale_conf c, d;
	char buf[512];

	natgw_scale_conf_defaults(&c);
	ck_assert_msg(natgw_scale_conf_set(&c, "bps_start=1.5G,bps_max=100G,bps_step=500M,"
		"bps_floor=2.5Gbps,pps_start=250k,pps_max=2Mpps,pps_step=250K,pps_floor=500000",
		err, sizeof(err)) == 0, "%s", err);
	ck_assert(c.bps_start == 1.5e9 && c.bps_max == 100e9 && c.bps_step == 500e6);
	ck_assert(c.bps_floor == 2.5e9);
	ck_assert(c.pps_start == 250e3 && c.pps_max == 2e6 && c.pps_step == 250e3);
	ck_assert(c.pps_floor == 500e3);
	ck_assert_msg(natgw_scale_conf_set(&c, " up_frac=95% , up_after=500ms,gap=2m,"
		"down_frac=0.25,down_after=1h,window=2s,epoch=100us", err, sizeof(err)) == 0,
		"%s", err);
	ck_assert(c.up_frac == 0.95 && c.down_frac == 0.25);
	ck_assert_uint_eq(c.up_after_ns, 500 * MS);
	ck_assert_uint_eq(c.gap_ns, 120 * SEC);
	ck_assert_uint_eq(c.down_after_ns, 3600 * SEC);
	ck_assert_uint_eq(c.window_ns, 2 * SEC);
	ck_assert_uint_eq(c.epoch_ns, 100000);
	ck_assert_msg(natgw_scale_conf_set(&c, "gap=1500ns,up_after=2.5s,down_after=0s", err,
		sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(c.gap_ns, 1500);
	ck_assert_uint_eq(c.up_after_ns, 2500 * MS);
	ck_assert_uint_eq(c.down_after_ns, 0);

	/* the order does not matter: the whole is checked once */
	natgw_scale_conf_defaults(&c);
	ck_assert_msg(natgw_scale_conf_set(&c, "bps_start=50G,bps_max=100G", err,
		sizeof(err)) == 0, "%s", err);
	/* nothing changes nothing */
	d = c;
	ck_assert_int_eq(natgw_scale_conf_set(&c, "", err, sizeof(err)), 0);
	ck_assert(memcmp(&c, &d, sizeof(c)) == 0);

	/* printed and read back: the same */
	natgw_scale_conf_defaults(&c);
	ck_assert_int_eq(natgw_scale_conf_set(&c, "bps_start=1.234567G,bps_max=77777777777,"
		"bps_step=123,pps_start=3.3M,pps_floor=4M,up_frac=0.87654321,gap=1234567us,"
		"down_after=90s,window=20ms,epoch=250us", err, sizeof(err)), 0);
	ck_assert_int_lt(natgw_scale_conf_str(&c, buf, sizeof(buf)), (int)sizeof(buf));
	ck_assert_msg(strstr(buf, "bps_start=1.234567G,") == buf, "%s", buf);
	ck_assert_msg(strstr(buf, ",bps_step=123,") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "gap=1234567us,") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "down_after=90s,window=20ms,epoch=250us") != NULL, "%s", buf);
	natgw_scale_conf_defaults(&d);
	ck_assert_msg(natgw_scale_conf_set(&d, buf, err, sizeof(err)) == 0, "%s", err);
	ck_assert(memcmp(&c, &d, sizeof(c)) == 0);
	/* like snprintf: the length it needs, truncated */
	ck_assert_int_eq(natgw_scale_conf_str(&c, buf, 10), natgw_scale_conf_str(&c, NULL, 0));
	ck_assert_str_eq(buf, "bps_start");
}
END_TEST

/* Each bad --scale value: one line naming the key; the conf unchanged. */
START_TEST(test_parse_errors)
{
	static const struct {
		const char *spec, *what;
	} bad[] = {
		{"foo=1", "unknown key \"foo\""},
		{"bps=5G", "unknown key \"bps\""},
		{"bps_start", "bps_start: no value"},
		{"bps_start=", "bps_start: \"\" is not a rate"},
		{"bps_start=abc", "bps_start: \"abc\" is not a rate"},
		{"bps_start=5X", "bps_start: \"5X\""},
		{"bps_start=5Gpps", "bps_start: \"5Gpps\""},
		{"pps_start=1Mbps", "pps_start: \"1Mbps\" is not a rate in packets/s"},
		{"bps_start=-5G", "bps_start: \"-5G\""},
		{"bps_start=0x10", "bps_start: \"0x10\""},
		{"bps_start=inf", "bps_start: \"inf\""},
		{"bps_start=1e999", "bps_start: \"1e999\""},
		{"bps_start=0", "bps_start: must be a positive rate"},
		{"bps_start=50G", "bps_max: 45G is below bps_start 50G"},
		{"pps_max=500k", "pps_max: 500k is below pps_start 1M"},
		{"bps_max=2000T", "bps_max: 2000T is above 1000T"},
		{"bps_step=0", "bps_step: must be a positive rate"},
		{"pps_step=-1", "pps_step: \"-1\""},
		{"bps_floor=2G", "bps_floor: 2G is not 0"},
		{"pps_floor=11M", "pps_floor: 11M is not 0"},
		{"up_frac=0", "up_frac: 0 is not in (0, 1]"},
		{"up_frac=1.5", "up_frac: 1.5 is not in (0, 1]"},
		{"up_frac=90", "up_frac: 90 is not in (0, 1]"},
		{"up_frac=0.9x", "up_frac: \"0.9x\" is not a fraction"},
		{"down_frac=0.9", "down_frac: 0.9 is not in [0, up_frac 0.9)"},
		{"up_frac=0.4", "down_frac: 0.5 is not in [0, up_frac 0.4)"},
		{"window=60", "window: \"60\" needs a unit"},
		{"gap=5d", "gap: \"5d\" needs a unit"},
		{"up_after=-1s", "up_after: \"-1s\" is not a duration"},
		{"down_after=1e30s", "down_after: \"1e30s\" is too long"},
		{"epoch=3ms", "epoch: 3ms does not divide one second"},
		{"epoch=0s", "epoch: 0ns does not divide one second"},
		{"window=1500us", "window: 1500us is not a multiple of epoch 1ms"},
		{"window=0s", "window: 0ns is not a multiple"},
		{"epoch=1us", "epoch: 1us at bps_start 5G is a budget smaller than a 9001-byte"},
		{"bps_start=50M,epoch=1ms", "epoch: 1ms at bps_start 50M"},
		{"pps_start=100,pps_step=100", "epoch: 1ms at pps_start 100 is a budget of less"},
		{"gap=1s,,window=1s", "empty item"},
		{"gap=1s,", "empty item"},
		{",", "empty item"},
		{"gap=1s,foo", "unknown key \"foo\""},
	};
	struct natgw_scale_conf c, d;
	size_t i;

	natgw_scale_conf_defaults(&d);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = d;
		err[0] = 0;
		ck_err(natgw_scale_conf_set(&c, bad[i].spec, err, sizeof(err)), bad[i].what);
		ck_assert_msg(memcmp(&c, &d, sizeof(c)) == 0, "%s changed the conf", bad[i].spec);
	}
	/* the check alone, on a conf filled by hand */
	c = d;
	c.down_frac = -0.1;
	ck_err(natgw_scale_conf_check(&c, err, sizeof(err)), "down_frac");
	c = d;
	c.bps_max = NAN;
	ck_err(natgw_scale_conf_check(&c, err, sizeof(err)), "bps_max");
	c = d;
	c.gap_ns = UINT64_MAX;
	ck_err(natgw_scale_conf_check(&c, err, sizeof(err)), "gap: longer than");
	/* a short buffer, or none */
	ck_assert_int_eq(natgw_scale_conf_set(&c, "foo=1", err, 4), -1);
	ck_assert_str_eq(err, "unk");
	ck_assert_int_eq(natgw_scale_conf_set(&c, "foo=1", NULL, 0), -1);
}
END_TEST

START_TEST(test_conf_json)
{
	struct natgw_scale_conf c;
	json_t *o;

	natgw_scale_conf_defaults(&c);
	ck_assert_int_eq(natgw_scale_conf_set(&c, "pps_floor=2M", err, sizeof(err)), 0);
	ck_assert_int_eq(natgw_scale_conf_json(&c, &o), 0);
	ck_assert_uint_eq(json_object_size(o), 15);
	ck_assert(json_real_value(json_object_get(o, "bps_start")) == 5e9);
	ck_assert(json_real_value(json_object_get(o, "bps_floor")) == 5e9); /* 0: the start */
	ck_assert(json_real_value(json_object_get(o, "pps_floor")) == 2e6);
	ck_assert(json_real_value(json_object_get(o, "up_frac")) == 0.9);
	ck_assert(json_real_value(json_object_get(o, "down_after")) == 600);
	ck_assert(json_real_value(json_object_get(o, "epoch")) == 0.001);
	json_decref(o);
}
END_TEST

START_TEST(test_create_errors)
{
	struct natgw_scale_conf c;
	struct natgw_scale *s;

	natgw_scale_conf_defaults(&c);
	ck_assert_ptr_null(natgw_scale_create(&c, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "no share") != NULL, "%s", err);
	c.up_frac = 2;
	ck_assert_ptr_null(natgw_scale_create(&c, 1, err, sizeof(err)));
	ck_assert_msg(strstr(err, "up_frac") != NULL, "%s", err);
	natgw_scale_free(NULL);
	natgw_scale_conf_defaults(&c);
	s = natgw_scale_create(&c, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	natgw_scale_free(s); /* never used */
}
END_TEST

/* ---- the model ---- */

/*
 * Demand steps from 2 to 30 Gbps at 10 s, two shares of 1500-byte packets,
 * 400 s.
 *
 * Bandwidth: the window [10 s, 11 s) is the first to press the 5 Gbps ceiling
 * (30 >= 0.9 × 5), so pressing runs from 10 s; the first step is due at
 * 10 + 60 = 70 s (5 -> 10 Gbps), and as 30 Gbps keeps pressing each new
 * ceiling, one more every 60 s: 130 s (15), 190 s (20), 250 s (25), 310 s (30),
 * 370 s (35: 30 >= 0.9 × 30 = 27 still pressed 30 Gbps). At 35 Gbps,
 * 30 < 0.9 × 35 = 31.5: no more steps.
 *
 * Packets: 30 Gbps of 1500-byte packets is 2.5 Mpps, pressing 1 Mpps from
 * 10 s too: 70 s (2 Mpps), 130 s (3 Mpps: 2.5 >= 0.9 × 2 = 1.8); at 3 Mpps,
 * 2.5 < 2.7: no more. The packet ceiling never binds first here: at 1 Mpps it
 * lets 12 Gbps of these packets through, more than 5 Gbps.
 *
 * Drops: from 10 s to 310 s, demand is above the ceiling, and what is
 * forwarded each second is the ceiling (within 2%); before 10 s (2 Gbps under
 * 5) and from 310 s (30 Gbps under 30, then 35) nothing is dropped.
 */
static const struct want_step ramp_steps[] = {
	{70, NATGW_SCALE_BPS, 5 * G, 10 * G}, {70, NATGW_SCALE_PPS, 1 * M, 2 * M},
	{130, NATGW_SCALE_BPS, 10 * G, 15 * G}, {130, NATGW_SCALE_PPS, 2 * M, 3 * M},
	{190, NATGW_SCALE_BPS, 15 * G, 20 * G}, {250, NATGW_SCALE_BPS, 20 * G, 25 * G},
	{310, NATGW_SCALE_BPS, 25 * G, 30 * G}, {370, NATGW_SCALE_BPS, 30 * G, 35 * G},
};
#define N_RAMP (sizeof(ramp_steps) / sizeof(ramp_steps[0]))

START_TEST(test_step_2_to_30_gbps)
{
	const double low[2] = {1 * G, 1 * G}, high[2] = {15 * G, 15 * G};
	struct natgw_scale_state st;
	struct sim m;
	uint64_t sec;

	sim_start(&m, "", 2, 0);
	sim_run(&m, 10 * SEC, low, 1500);
	sim_run(&m, 400 * SEC, high, 1500);
	check_steps(&m, ramp_steps, N_RAMP);
	natgw_scale_state(m.s, &st);
	ck_assert(st.ceil[NATGW_SCALE_BPS] == 35 * G && st.ceil[NATGW_SCALE_PPS] == 3 * M);
	ck_assert(st.ups[NATGW_SCALE_BPS] == 6 && st.ups[NATGW_SCALE_PPS] == 2);
	ck_assert(st.downs[NATGW_SCALE_BPS] == 0 && st.downs[NATGW_SCALE_PPS] == 0);
	for (sec = 0; sec < 400; sec++) {
		const struct natgw_scale_second *t = second_at(&m, sec);
		double c = ceiling_at(ramp_steps, N_RAMP, NATGW_SCALE_BPS, 5 * G, sec);
		double cp = ceiling_at(ramp_steps, N_RAMP, NATGW_SCALE_PPS, 1 * M, sec);
		double demand = sec < 10 ? 2 * G : 30 * G;

		ck_assert_msg(t->ceil_bps == c, "second %llu: ceiling %g, expected %g",
			(unsigned long long)sec, t->ceil_bps, c);
		ck_assert(t->ceil_pps == cp);
		ck_within(t->demand_bps, demand, 0.001);
		if (demand > c) {
			ck_assert_msg(t->drop_bps > 0, "second %llu", (unsigned long long)sec);
			ck_within(t->fwd_bps, c, 0.02);
		} else {
			ck_assert_msg(t->drop_bps == 0 && t->drop_pps == 0,
				"second %llu: %llu bits dropped under the ceiling",
				(unsigned long long)sec, (unsigned long long)t->drop_bps);
			ck_assert_uint_eq(t->fwd_bps, t->demand_bps);
		}
	}
	check_sums(&m);
	natgw_scale_free(m.s);
}
END_TEST

/*
 * A spike shorter than the persistence window: 30 Gbps from 10 s to 69 s
 * (59 s) between 2 Gbps. Pressing runs from 10 s; at the end of its last
 * window, 69 s, it has lasted 59 s < 60; the window [69 s, 70 s) is 2 Gbps
 * again and ends the run. No step; drops only during the spike. One second
 * longer (to 70 s) and the step comes at 70 s, as in the ramp.
 */
static void
spike(struct sim *m, uint64_t end)
{
	const double low[1] = {2 * G}, high[1] = {30 * G};

	sim_start(m, "", 1, 0);
	sim_run(m, 10 * SEC, low, 1500);
	sim_run(m, end, high, 1500);
	sim_run(m, 100 * SEC, low, 1500);
}

START_TEST(test_spike_no_step)
{
	const struct want_step one[] = {
		{70, NATGW_SCALE_BPS, 5 * G, 10 * G}, {70, NATGW_SCALE_PPS, 1 * M, 2 * M},
	};
	struct natgw_scale_state st;
	struct sim m;
	uint64_t sec;

	spike(&m, 69 * SEC);
	check_steps(&m, NULL, 0);
	natgw_scale_state(m.s, &st);
	ck_assert(st.ceil[NATGW_SCALE_BPS] == 5 * G && st.ceil[NATGW_SCALE_PPS] == 1 * M);
	for (sec = 0; sec < 100; sec++) {
		const struct natgw_scale_second *t = second_at(&m, sec);

		if (sec >= 10 && sec < 69)
			ck_within(t->fwd_bps, 5 * G, 0.02);
		else
			ck_assert_msg(t->drop_bps == 0, "second %llu", (unsigned long long)sec);
	}
	check_sums(&m);
	natgw_scale_free(m.s);

	spike(&m, 70 * SEC);
	check_steps(&m, one, 2);
	check_sums(&m);
	natgw_scale_free(m.s);
}
END_TEST

/*
 * Scale-down after sustained low use, not below the start. 30 Gbps of
 * 1500-byte packets from 0 s: pressing from 0 s, steps at 60, 120, 180, 240,
 * 300, 360 s to 35 Gbps, and 2.5 Mpps takes the packet ceiling to 2 Mpps at
 * 60 s and 3 Mpps at 120 s (as in the ramp, 10 s earlier).
 *
 * Then 1 Gbps (83,333 pps) from 400 s. Bandwidth: 1 < 0.5 × 30 (the ceiling
 * one step below 35): low use from 400 s; a step down is due at
 * 400 + 600 = 1000 s (35 -> 30), then one every 60 s while 1 Gbps stays under
 * half the next ceiling down: 1060 (25), 1120 (20), 1180 (15), 1240 (10),
 * 1300 s (5 Gbps, the start: it stops there). Packets: 0.083 < 0.5 × 2: low
 * use from 400 s, 1000 s (2 Mpps), 1060 s (1 Mpps, the start).
 */
START_TEST(test_scale_down)
{
	const double high[1] = {30 * G}, low[1] = {1 * G};
	const struct want_step w[] = {
		{60, NATGW_SCALE_BPS, 5 * G, 10 * G}, {60, NATGW_SCALE_PPS, 1 * M, 2 * M},
		{120, NATGW_SCALE_BPS, 10 * G, 15 * G}, {120, NATGW_SCALE_PPS, 2 * M, 3 * M},
		{180, NATGW_SCALE_BPS, 15 * G, 20 * G}, {240, NATGW_SCALE_BPS, 20 * G, 25 * G},
		{300, NATGW_SCALE_BPS, 25 * G, 30 * G}, {360, NATGW_SCALE_BPS, 30 * G, 35 * G},
		{1000, NATGW_SCALE_BPS, 35 * G, 30 * G}, {1000, NATGW_SCALE_PPS, 3 * M, 2 * M},
		{1060, NATGW_SCALE_BPS, 30 * G, 25 * G}, {1060, NATGW_SCALE_PPS, 2 * M, 1 * M},
		{1120, NATGW_SCALE_BPS, 25 * G, 20 * G}, {1180, NATGW_SCALE_BPS, 20 * G, 15 * G},
		{1240, NATGW_SCALE_BPS, 15 * G, 10 * G}, {1300, NATGW_SCALE_BPS, 10 * G, 5 * G},
	};
	struct natgw_scale_state st;
	struct sim m;

	sim_start(&m, "", 1, 0);
	sim_run(&m, 400 * SEC, high, 1500);
	sim_run(&m, 1500 * SEC, low, 1500);
	check_steps(&m, w, sizeof(w) / sizeof(w[0]));
	natgw_scale_state(m.s, &st);
	ck_assert(st.ceil[NATGW_SCALE_BPS] == 5 * G && st.ceil[NATGW_SCALE_PPS] == 1 * M);
	ck_assert(st.ups[NATGW_SCALE_BPS] == 6 && st.downs[NATGW_SCALE_BPS] == 6);
	ck_assert(st.ups[NATGW_SCALE_PPS] == 2 && st.downs[NATGW_SCALE_PPS] == 2);
	ck_assert(second_at(&m, 999)->ceil_bps == 35 * G);
	ck_assert(second_at(&m, 1000)->ceil_bps == 30 * G);
	ck_assert(second_at(&m, 1499)->ceil_bps == 5 * G);
	check_sums(&m);
	natgw_scale_free(m.s);
}
END_TEST

/*
 * The packet ceiling with small packets: 2 Mpps of 64-byte packets is
 * 1.024 Gbps, far under the 5 Gbps ceiling, but presses 1 Mpps from 0 s: a
 * step at 60 s (2 Mpps) and, since 2 >= 0.9 × 2, at 120 s (3 Mpps); 2 < 2.7
 * after. Until 60 s, 1 Mpps is forwarded (within 2%) and 1 Mpps dropped;
 * from 60 s, nothing is dropped. The bandwidth ceiling never moves.
 */
START_TEST(test_packet_ceiling)
{
	const double small[2] = {2 * M * 64 * 8 / 2, 2 * M * 64 * 8 / 2};
	const struct want_step w[] = {
		{60, NATGW_SCALE_PPS, 1 * M, 2 * M}, {120, NATGW_SCALE_PPS, 2 * M, 3 * M},
	};
	struct natgw_scale_state st;
	struct sim m;
	uint64_t sec;

	sim_start(&m, "", 2, 0);
	sim_run(&m, 130 * SEC, small, 64);
	check_steps(&m, w, 2);
	natgw_scale_state(m.s, &st);
	ck_assert(st.ceil[NATGW_SCALE_BPS] == 5 * G && st.ups[NATGW_SCALE_BPS] == 0);
	for (sec = 0; sec < 130; sec++) {
		const struct natgw_scale_second *t = second_at(&m, sec);

		ck_within(t->demand_pps, 2 * M, 0.001);
		if (sec < 60) {
			ck_within(t->fwd_pps, 1 * M, 0.02);
			ck_within(t->drop_pps, 1 * M, 0.02);
		} else {
			ck_assert_msg(t->drop_pps == 0, "second %llu", (unsigned long long)sec);
		}
	}
	check_sums(&m);
	natgw_scale_free(m.s);
}
END_TEST

/* ---- enforcement ---- */

/*
 * Sustained overload: two shares each offered 7.5 Gbps of 1500-byte packets,
 * 3 times the 5 Gbps ceiling together, for 10 s (no step: pressing needs
 * 60 s). Each second forwards 5 Gbps within 2%, each share half of it; the
 * rest is dropped.
 */
START_TEST(test_overload_accuracy)
{
	const double d[2] = {7.5 * G, 7.5 * G};
	struct sim m;
	uint64_t sec;

	sim_start(&m, "", 2, 0);
	sim_run(&m, 10 * SEC, d, 1500);
	check_fwd(&m, 0, 10, 5 * G);
	for (sec = 0; sec < 10; sec++)
		ck_within(second_at(&m, sec)->drop_bps, 10 * G, 0.02);
	ck_within(m.share[0].fwd_bytes * 8, 25 * G, 0.02);
	ck_within(m.share[1].fwd_bytes * 8, 25 * G, 0.02);
	check_sums(&m);
	natgw_scale_free(m.s);
}
END_TEST

/*
 * The same overload with the epochs called late, as a capture's packets call
 * them (the first packet after each boundary, 0.4 µs in), and by three shares
 * offered 9, 4.5 and 1.5 Gbps: budgets follow the grid, not the calls, and
 * are split in proportion to the demand: 3, 1.5 and 0.5 Gbps forwarded.
 */
START_TEST(test_overload_late_calls_uneven)
{
	const double d[3] = {9 * G, 4.5 * G, 1.5 * G};
	struct sim m;
	unsigned int i;
	uint64_t e;

	sim_start(&m, "", 3, 400);
	for (e = 1; e <= 10000; e++) {
		for (i = 0; i < 3; i++)
			sim_share(&m, i, (uint64_t)(d[i] / 8 / 1500 / 1000), 1500);
		epoch_ok(m.s, e * MS + 400, m.b);
	}
	check_fwd(&m, 0, 10, 5 * G);
	ck_within(m.share[0].fwd_bytes * 8, 30 * G, 0.02);
	ck_within(m.share[1].fwd_bytes * 8, 15 * G, 0.02);
	ck_within(m.share[2].fwd_bytes * 8, 5 * G, 0.02);
	check_sums(&m);
	natgw_scale_free(m.s);
}
END_TEST

/*
 * Budgets between shares: while share 1 idles, share 0 alone forwards the
 * whole ceiling; when share 1 is offered as much, they get half each.
 */
START_TEST(test_split_idle_share)
{
	const double one[2] = {15 * G, 0}, both[2] = {15 * G, 15 * G};
	struct sim m;

	sim_start(&m, "", 2, 0);
	sim_run(&m, 5 * SEC, one, 1500);
	ck_assert_uint_eq(m.share[1].offered_bytes, 0);
	check_fwd(&m, 0, 5, 5 * G);
	ck_within(m.share[0].fwd_bytes * 8, 25 * G, 0.02);
	memset(m.share, 0, sizeof(m.share));
	sim_run(&m, 10 * SEC, both, 1500);
	check_fwd(&m, 5, 10, 5 * G);
	ck_within(m.share[0].fwd_bytes * 8, 12.5 * G, 0.02);
	ck_within(m.share[1].fwd_bytes * 8, 12.5 * G, 0.02);
	check_sums(&m);
	natgw_scale_free(m.s);
}
END_TEST

/*
 * Under the ceiling, a share gets what it was offered in the last epoch and
 * an even part of the rest: steady traffic is never dropped, and traffic that
 * moves from one share to the other costs at most the first epoch after the
 * move. 4 Gbps of 1000-byte packets (500 packets, 500,000 bytes an epoch)
 * moves between two shares every second. Steadily, the bucket is full: the
 * 625,000 bytes kept and the epoch's own 625,000; the share that starts gets
 * half of what the last epoch's offer leaves, (1,250,000 - 500,000) / 2 =
 * 375,000 bytes, in its first epoch: 375 packets of its 500, 125 dropped. It
 * gets all it is offered after. The very first epoch has no offer to go by
 * and splits evenly: 312,500 bytes, 312 packets forwarded, 188 dropped.
 */
START_TEST(test_split_under_ceiling)
{
	const double a[2] = {4 * G, 0}, b[2] = {0, 4 * G};
	struct sim m;
	uint64_t sec;

	sim_start(&m, "", 2, 0);
	for (sec = 0; sec < 10; sec++)
		sim_run(&m, (sec + 1) * SEC, sec % 2 == 0 ? a : b, 1000);
	for (sec = 0; sec < 10; sec++) {
		const struct natgw_scale_second *t = second_at(&m, sec);

		ck_assert_uint_eq(t->drop_pps, sec == 0 ? 188 : 125);
	}
	check_sums(&m);
	natgw_scale_free(m.s);
}
END_TEST

/* ---- time ---- */

/*
 * Time going back counts as none passing: no tokens are added, the calls
 * only split what is left of the current epoch, and the timeline stays in
 * order. Calls within one epoch likewise.
 */
START_TEST(test_time_backwards)
{
	const double d[1] = {15 * G};
	struct natgw_scale_budget b;
	struct sim m;
	uint64_t before;
	size_t n;

	sim_start(&m, "", 1, 0);
	sim_run(&m, 5 * SEC, d, 1500);
	/* 15 Gbps overloads: the budget of the epoch at 5 s is one epoch's 625,000 bytes
	 * and what the last one left (under a packet) */
	ck_assert_uint_ge(m.b[0].bytes, 625000);
	ck_assert_uint_lt(m.b[0].bytes, 625000 + 1500);
	before = m.b[0].bytes;
	sim_share(&m, 0, 100, 1500); /* 150,000 bytes forwarded */
	ck_assert_int_eq(natgw_scale_epoch(m.s, 3 * SEC, &b), 0);
	ck_assert_uint_eq(b.bytes, before - 150000);
	ck_assert_int_eq(natgw_scale_epoch(m.s, 0, &b), 0);
	ck_assert_uint_eq(b.bytes, before - 150000);
	ck_assert_int_eq(natgw_scale_epoch(m.s, 5 * SEC + 999999, &b), 0);
	ck_assert_uint_eq(b.bytes, before - 150000);
	natgw_scale_timeline(m.s, &n);
	ck_assert_uint_eq(n, 6);
	m.b[0] = b;
	sim_run(&m, 6 * SEC, d, 1500);
	check_fwd(&m, 5, 6, 5 * G);
	natgw_scale_timeline(m.s, &n);
	ck_assert_uint_eq(n, 7);
	check_sums(&m);
	natgw_scale_free(m.s);
}
END_TEST

/*
 * A gap of 100 years with no traffic is jumped, not walked (walking would not
 * end). Parameters for a quick climb: up_after=1s, gap=1s, bps_floor=15G.
 * 60 Gbps of 1500-byte packets (5 Mpps) from 0 s steps bandwidth every second
 * from 1 s: 10, 15, ..., 45 Gbps at 8 s; packets at 1 s (2M) to 5 s (6M:
 * 5 >= 0.9 × 5; 5 < 0.9 × 6 after). The traffic stops at 10 s: low use from
 * 10 s, a step down due at 10 + 600 = 610 s, then every second: bandwidth
 * 40 at 610 s down to 15 Gbps (its floor) at 615 s, packets 5M at 610 s down
 * to 1M (the start) at 614 s. After the gap, the first epoch's budget is the
 * bucket full and its own: 2 × 15 Gbps × 1 ms = 3,750,000 bytes.
 */
START_TEST(test_long_gap)
{
	const double d[1] = {60 * G};
	const uint64_t later = 10 * SEC + 100ull * 365 * 86400 * SEC;
	struct natgw_scale_state st;
	const struct natgw_scale_step *steps;
	struct sim m;
	size_t n, i;

	sim_start(&m, "up_after=1s,gap=1s,bps_floor=15G", 1, 0);
	sim_run(&m, 10 * SEC, d, 1500);
	natgw_scale_state(m.s, &st);
	ck_assert(st.ceil[NATGW_SCALE_BPS] == 45 * G && st.ceil[NATGW_SCALE_PPS] == 6 * M);
	ck_assert_int_eq(natgw_scale_epoch(m.s, later, m.b), 0);
	natgw_scale_state(m.s, &st);
	ck_assert(st.ceil[NATGW_SCALE_BPS] == 15 * G && st.ceil[NATGW_SCALE_PPS] == 1 * M);
	ck_assert(st.downs[NATGW_SCALE_BPS] == 6 && st.downs[NATGW_SCALE_PPS] == 5);
	steps = natgw_scale_steps(m.s, &n);
	ck_assert_uint_eq(n, 8 + 5 + 6 + 5);
	for (i = 0; i < n; i++) {
		const struct natgw_scale_step *s = &steps[i];
		uint64_t n_down;

		if (s->to > s->from)
			continue;
		/* the n-th step down of each is at 610 s + n - 1 */
		if (s->dim == NATGW_SCALE_BPS)
			n_down = (uint64_t)((45 * G - s->from) / (5 * G));
		else
			n_down = (uint64_t)((6 * M - s->from) / M);
		ck_assert_uint_eq(s->t_ns, (610 + n_down) * SEC);
	}
	ck_assert_uint_eq(m.b[0].bytes, 3750000);
	ck_assert_uint_eq(m.b[0].pkts, 2000);
	natgw_scale_timeline(m.s, &n);
	ck_assert_uint_eq(n, 12); /* seconds 0 to 10, and the one after the gap */
	ck_assert(second_at(&m, later / SEC)->ceil_bps == 15 * G);
	/* and on, from there */
	m.now = later;
	sim_run(&m, later + 2 * SEC, d, 1500);
	check_sums(&m);
	natgw_scale_free(m.s);
}
END_TEST

/*
 * Timeline sums with irregular calls: several adds an epoch, calls in the
 * same epoch, time going back, gaps, four shares; what the timeline and the
 * totals hold is exactly what was added.
 */
START_TEST(test_timeline_sums)
{
	struct sim m;
	uint64_t r = 12345, t = 7 * SEC + 123;
	unsigned int k, i;

	sim_start(&m, "up_after=2s,gap=1s,down_after=3s", 4, t);
	for (k = 0; k < 200000; k++) {
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		for (i = 0; i < 4; i++)
			if ((r >> (20 + i)) & 1)
				sim_share(&m, i, (r >> (32 + 4 * i)) % 900, 64 + (r >> 40) % 1400);
		switch ((r >> 60) & 7) {
		case 0:
			break;                           /* the same time again */
		case 1:
			t -= (r >> 8) % (3 * MS);      /* back */
			break;
		case 2:
			t += (r >> 8) % (20 * SEC);    /* a gap */
			break;
		default:
			t += (r >> 8) % (2 * MS);
			break;
		}
		epoch_ok(m.s, t, m.b);
	}
	check_sums(&m);
	natgw_scale_free(m.s);
}
END_TEST

/* A burst of one epoch: the second's average hides it, its peak does not. */
START_TEST(test_peak_epoch)
{
	struct natgw_scale_conf c;
	struct natgw_scale_budget b;
	struct natgw_scale_use u = {0};
	const struct natgw_scale_second *t;
	struct natgw_scale *s;
	size_t n;
	uint64_t e;

	natgw_scale_conf_defaults(&c);
	s = natgw_scale_create(&c, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	/* 1 ms epochs through second 7; at the 300th, 2 MB (16 Gbps) offered,
	 * 625 kB (the 5 Gbps budget) forwarded. */
	for (e = 0; e <= 1000; e++) {
		memset(&u, 0, sizeof(u));
		if (e == 301) {
			u.offered_bytes = 2000000;
			u.offered_pkts = 1400;
			u.fwd_bytes = 625000;
			u.fwd_pkts = 437;
			u.drop_bytes = u.offered_bytes - u.fwd_bytes;
			u.drop_pkts = u.offered_pkts - u.fwd_pkts;
		}
		natgw_scale_add(s, 0, &u);
		ck_assert_int_eq(natgw_scale_epoch(s, 7 * SEC + e * MS, &b), 0);
	}
	t = natgw_scale_timeline(s, &n);
	ck_assert_uint_ge(n, 1);
	ck_assert_uint_eq(t[0].sec, 7);
	ck_assert_uint_eq(t[0].demand_bps, 16000000);
	ck_assert(t[0].peak_bps == 16e9);
	ck_assert(t[0].peak_pps == 1.4e6);
	natgw_scale_free(s);
}
END_TEST

/* The what-if controller: 3x its 5 Gbps for a second of 1 ms epochs lets a
 * third through as a fluid, the packets in step with the bytes. */
START_TEST(test_shadow)
{
	struct natgw_scale_conf c;
	struct natgw_scale_budget b = {0, 0};
	struct natgw_scale_state st;
	struct natgw_scale *s;
	uint64_t e;

	natgw_scale_conf_defaults(&c);
	c.bps_max = c.bps_start; /* no steps */
	s = natgw_scale_create(&c, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(natgw_scale_shadow_epoch(s, 5 * SEC, 0, 0, &b), 0);
	for (e = 1; e <= 1000; e++)
		ck_assert_int_eq(natgw_scale_shadow_epoch(s, 5 * SEC + e * MS, 1875000, 1250, &b),
			0);
	natgw_scale_state(s, &st);
	ck_assert_uint_eq(st.total.offered_bytes, 1875000000ull);
	ck_within((double)st.total.fwd_bytes * 8, 5e9, 0.01);
	ck_within((double)st.total.drop_pkts / (double)st.total.offered_pkts,
		(double)st.total.drop_bytes / (double)st.total.offered_bytes, 0.01);
	natgw_scale_free(s);
}
END_TEST

START_TEST(test_json)
{
	const double d[1] = {30 * G};
	json_t *o, *tl;
	const char *key;
	json_t *col;
	struct sim m;
	size_t n;

	sim_start(&m, "up_after=1s,gap=1s", 1, 0);
	sim_run(&m, 3 * SEC, d, 1500);
	ck_assert_int_eq(natgw_scale_json(m.s, &o), 0);
	ck_assert(json_real_value(json_object_get(json_object_get(o, "conf"), "up_after")) == 1);
	/* steps every second from 1 s (up_after 1 s): 10, 15, 20 Gbps; 2, 3 Mpps */
	ck_assert(json_real_value(json_object_get(json_object_get(o, "ceiling"), "bps")) ==
		20 * G);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "ups"), "bps")),
		3);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "total"),
		"offered_bytes")), (json_int_t)m.sum.offered_bytes);
	ck_assert_uint_eq(json_array_size(json_object_get(o, "steps")), 5);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(o,
		"steps"), 0), "dim")), "bps");
	tl = json_object_get(o, "timeline");
	natgw_scale_timeline(m.s, &n);
	ck_assert_uint_eq(json_object_size(tl), 11);
	json_object_foreach(tl, key, col)
		ck_assert_msg(json_array_size(col) == n, "%s", key);
	ck_assert(json_real_value(json_array_get(json_object_get(tl, "ceil_bps"), 2)) == 15 * G);
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(tl, "sec"), 3)), 3);
	json_decref(o);
	natgw_scale_free(m.s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("scale");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_parse_units);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_conf_json);
	tcase_add_test(tc, test_create_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("model");
	tcase_add_test(tc, test_step_2_to_30_gbps);
	tcase_add_test(tc, test_spike_no_step);
	tcase_add_test(tc, test_scale_down);
	tcase_add_test(tc, test_packet_ceiling);
	suite_add_tcase(s, tc);
	tc = tcase_create("enforcement");
	tcase_add_test(tc, test_overload_accuracy);
	tcase_add_test(tc, test_overload_late_calls_uneven);
	tcase_add_test(tc, test_split_idle_share);
	tcase_add_test(tc, test_split_under_ceiling);
	suite_add_tcase(s, tc);
	tc = tcase_create("time");
	tcase_add_test(tc, test_time_backwards);
	tcase_add_test(tc, test_long_gap);
	tcase_add_test(tc, test_timeline_sums);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_peak_epoch);
	tcase_add_test(tc, test_shadow);
	suite_add_tcase(s, tc);
	return natgw_test_run(s);
}
