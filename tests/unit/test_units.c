/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/units: every kind of quantity, what it takes and what it refuses, with
 * the value each accepted text must give (worked out in the tables, not by the
 * code under test). The library does not use DPDK and this suite starts no EAL.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>

#include "natgw_test.h"
#include "natgw_units.h"

struct good {
	enum natgw_qty kind;
	const char *text;
	double want;
};

struct bad {
	enum natgw_qty kind;
	const char *text;
	int rc;
};

#define NN NATGW_QTY_NOT_NUMBER
#define BU NATGW_QTY_BAD_UNIT

START_TEST(test_accepted)
{
	static const struct good g[] = {
		{NATGW_QTY_PLAIN, "0", 0},
		{NATGW_QTY_PLAIN, "42", 42},
		{NATGW_QTY_PLAIN, "2.5", 2.5},
		{NATGW_QTY_PLAIN, ".5", 0.5},
		{NATGW_QTY_PLAIN, "1e3", 1000},
		{NATGW_QTY_PLAIN, "1.5E-3", 0.0015},
		{NATGW_QTY_COUNT, "250k", 250000},
		{NATGW_QTY_COUNT, "250K", 250000},
		{NATGW_QTY_COUNT, "1.5M", 1500000},
		{NATGW_QTY_COUNT, "2G", 2e9},
		{NATGW_QTY_COUNT, "1T", 1e12},
		{NATGW_QTY_COUNT, "30000", 30000},
		{NATGW_QTY_BITRATE, "5G", 5e9},
		{NATGW_QTY_BITRATE, "1.5Gbps", 1.5e9},
		{NATGW_QTY_BITRATE, "100bps", 100},
		{NATGW_QTY_BITRATE, "500M", 500e6},
		{NATGW_QTY_PKTRATE, "2Mpps", 2e6},
		{NATGW_QTY_PKTRATE, "250k", 250e3},
		{NATGW_QTY_PKTRATE, "7pps", 7},
		{NATGW_QTY_BYTES, "3M", 3e6},
		{NATGW_QTY_BYTES, "3MB", 3e6},
		{NATGW_QTY_BYTES, "2MiB", 2097152},
		{NATGW_QTY_BYTES, "2Mi", 2097152},
		{NATGW_QTY_BYTES, "1Ki", 1024},
		{NATGW_QTY_BYTES, "1.5Gi", 1610612736},
		{NATGW_QTY_BYTES, "1TiB", 1099511627776.0},
		{NATGW_QTY_BYTES, "64B", 64},
		{NATGW_QTY_BYTES, "64", 64},
		{NATGW_QTY_FRACTION, "0.9", 0.9},
		{NATGW_QTY_FRACTION, "90%", 0.9},
		{NATGW_QTY_FRACTION, "95%", 0.95},
		{NATGW_QTY_FRACTION, "0%", 0},
		{NATGW_QTY_DURATION, "1500ns", 1500},
		{NATGW_QTY_DURATION, "100us", 100e3},
		{NATGW_QTY_DURATION, "500ms", 500e6},
		{NATGW_QTY_DURATION, "2.5s", 2.5e9},
		{NATGW_QTY_DURATION, "2m", 120e9},
		{NATGW_QTY_DURATION, "1h", 3600e9},
		{NATGW_QTY_DURATION, "0s", 0},
		{NATGW_QTY_SECONDS, "30", 30e9},
		{NATGW_QTY_SECONDS, "0.5", 0.5e9},
		{NATGW_QTY_SECONDS, "20ms", 20e6},
		{NATGW_QTY_SECONDS, "2m", 120e9},
	};
	unsigned int i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		double v = -1;
		int rc = natgw_qty_parse(g[i].text, g[i].kind, &v);

		ck_assert_msg(rc == 0, "kind %d \"%s\": %d", g[i].kind, g[i].text, rc);
		/* Exact: every figure here is one multiply or divide of exact
		 * decimals the way a user means it (95% is 0.95, not 0.95000...1). */
		ck_assert_msg(v == g[i].want, "kind %d \"%s\" = %.17g, expected %.17g", g[i].kind,
			g[i].text, v, g[i].want);
	}
}
END_TEST

START_TEST(test_refused)
{
	static const struct bad b[] = {
		{NATGW_QTY_PLAIN, "", NN},
		{NATGW_QTY_PLAIN, "-1", NN},
		{NATGW_QTY_PLAIN, "+1", NN},
		{NATGW_QTY_PLAIN, " 1", NN},
		{NATGW_QTY_PLAIN, "0x10", NN},
		{NATGW_QTY_PLAIN, "inf", NN},
		{NATGW_QTY_PLAIN, "nan", NN},
		{NATGW_QTY_PLAIN, "1e999", NN},
		{NATGW_QTY_PLAIN, "ten", NN},
		{NATGW_QTY_PLAIN, "1k", BU},
		{NATGW_QTY_PLAIN, "1 ", BU},
		{NATGW_QTY_COUNT, "1kk", BU},
		{NATGW_QTY_COUNT, "1m", BU},
		{NATGW_QTY_COUNT, "1Ki", BU},
		{NATGW_QTY_COUNT, "1Mpps", BU},
		{NATGW_QTY_COUNT, "1P", BU},
		{NATGW_QTY_BITRATE, "5Gbit", BU},
		{NATGW_QTY_BITRATE, "5Gpps", BU},
		{NATGW_QTY_BITRATE, "5Gibps", BU},
		{NATGW_QTY_BITRATE, "5 G", BU},
		{NATGW_QTY_PKTRATE, "1Mbps", BU},
		{NATGW_QTY_BYTES, "3Mb", BU},
		{NATGW_QTY_BYTES, "1P", BU},
		{NATGW_QTY_BYTES, "2MiBB", BU},
		{NATGW_QTY_BYTES, "2iB", BU},
		{NATGW_QTY_FRACTION, "90 %", BU},
		{NATGW_QTY_FRACTION, "0.9x", BU},
		{NATGW_QTY_FRACTION, "-10%", NN},
		{NATGW_QTY_DURATION, "60", BU},
		{NATGW_QTY_DURATION, "10parsecs", BU},
		{NATGW_QTY_DURATION, "1d", BU},
		{NATGW_QTY_DURATION, "5msec", BU},
		{NATGW_QTY_DURATION, "5M", BU},
		{NATGW_QTY_SECONDS, "10parsecs", BU},
		{NATGW_QTY_SECONDS, "s", NN},
		{NATGW_QTY_SECONDS, "-2s", NN},
	};
	unsigned int i;

	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		double v = 12345;
		int rc = natgw_qty_parse(b[i].text, b[i].kind, &v);

		ck_assert_msg(rc == b[i].rc, "kind %d \"%s\": %d, expected %d", b[i].kind,
			b[i].text, rc, b[i].rc);
		ck_assert_msg(v == 12345, "kind %d \"%s\": refused but wrote %g", b[i].kind,
			b[i].text, v);
	}
}
END_TEST

/* Each kind takes what its narrower kinds take, so that no option refuses a
 * plain number: a bare count of anything is never a unit error. */
START_TEST(test_plain_numbers_everywhere)
{
	static const enum natgw_qty kinds[] = {
		NATGW_QTY_PLAIN, NATGW_QTY_COUNT, NATGW_QTY_BITRATE, NATGW_QTY_PKTRATE,
		NATGW_QTY_BYTES, NATGW_QTY_FRACTION, NATGW_QTY_SECONDS,
	};
	unsigned int i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		double v;

		ck_assert_int_eq(natgw_qty_parse("12", kinds[i], &v), 0);
		ck_assert(v == (kinds[i] == NATGW_QTY_SECONDS ? 12e9 : 12));
	}
	ck_assert_int_eq(natgw_qty_parse("12", NATGW_QTY_DURATION, &(double){0}), BU);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("units");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_accepted);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_plain_numbers_everywhere);
	suite_add_tcase(s, tc);
	return natgw_test_run(s);
}
