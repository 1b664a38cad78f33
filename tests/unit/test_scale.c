/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/scale: the defaults, the --scale parser and its errors, the parameters
 * as text and JSON. The library does not use DPDK and this suite starts no
 * EAL.
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

static char err[512];

/* An error is one line and says @p what. */
static void
ck_err(int rc, const char *what)
{
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err, what) != NULL, "error \"%s\" does not say \"%s\"", err, what);
	ck_assert_msg(strchr(err, '\n') == NULL, "error \"%s\" is not one line", err);
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

int
main(void)
{
	Suite *s = suite_create("scale");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_parse_units);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_conf_json);
	suite_add_tcase(s, tc);
	return natgw_test_run(s);
}
