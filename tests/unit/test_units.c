/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/units: every kind of quantity, what it takes and what it refuses, with
 * the value each accepted text must give (worked out in the tables, not by the
 * code under test); what the formatter writes, and that it reads back exactly.
 * The library does not use DPDK and this suite starts no EAL.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

/* What natgw_qty_format writes, and that it reads back as the same value. */
START_TEST(test_format)
{
	static const struct {
		enum natgw_qty kind;
		double v;
		const char *want;
	} f[] = {
		{NATGW_QTY_COUNT, 5e9, "5G"},
		{NATGW_QTY_COUNT, 1.5e9, "1.5G"},
		{NATGW_QTY_COUNT, 250e3, "250k"},
		{NATGW_QTY_COUNT, 45e9, "45G"},
		{NATGW_QTY_COUNT, 2e12, "2T"},
		{NATGW_QTY_COUNT, 999, "999"},
		{NATGW_QTY_COUNT, 0, "0"},
		{NATGW_QTY_COUNT, 1234567, "1.234567M"},
		{NATGW_QTY_BITRATE, 1e6, "1M"},
		{NATGW_QTY_PKTRATE, 0.5, "0.5"},
		{NATGW_QTY_FRACTION, 0.9, "0.9"},
		{NATGW_QTY_FRACTION, 0.95, "0.95"},
		{NATGW_QTY_DURATION, 60e9, "1m"},
		{NATGW_QTY_DURATION, 90e9, "90s"},
		{NATGW_QTY_DURATION, 3600e9, "1h"},
		{NATGW_QTY_DURATION, 1500, "1500ns"},
		{NATGW_QTY_DURATION, 1e6, "1ms"},
		{NATGW_QTY_DURATION, 0, "0ns"},
		{NATGW_QTY_DURATION, 600e9, "10m"},
	};
	uint64_t x = 1;
	unsigned int i;
	char buf[64];

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		double back = -1;

		natgw_qty_format(buf, sizeof(buf), f[i].kind, f[i].v);
		ck_assert_msg(strcmp(buf, f[i].want) == 0, "%.17g written \"%s\", expected \"%s\"",
			f[i].v, buf, f[i].want);
		ck_assert_int_eq(natgw_qty_parse(buf, f[i].kind, &back), 0);
		ck_assert_msg(back == f[i].v, "\"%s\" read back %.17g", buf, back);
	}
	/* Round trips of awkward values: every one read back exactly. */
	for (i = 0; i < 20000; i++) {
		double v, back;
		uint64_t ns;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		v = (double)(x >> 11) / (double)(1ull << (x % 53));
		natgw_qty_format(buf, sizeof(buf), NATGW_QTY_COUNT, v);
		ck_assert_msg(natgw_qty_parse(buf, NATGW_QTY_COUNT, &back) == 0 && back == v,
			"%.17g written \"%s\", read back %.17g", v, buf, back);
		natgw_qty_format(buf, sizeof(buf), NATGW_QTY_FRACTION, v);
		ck_assert_msg(natgw_qty_parse(buf, NATGW_QTY_FRACTION, &back) == 0 && back == v,
			"%.17g written \"%s\", read back %.17g", v, buf, back);
		ns = (x >> 20) % 1000000 * (i % 3 == 0 ? 1000000000ull : i % 3 == 1 ? 1000 : 1);
		natgw_qty_format_ns(buf, sizeof(buf), ns);
		ck_assert_msg(natgw_qty_parse(buf, NATGW_QTY_DURATION, &back) == 0 &&
			back == (double)ns, "%llu ns written \"%s\", read back %.17g",
			(unsigned long long)ns, buf, back);
	}
	/* Beyond a double's integers: the whole number, in nanoseconds. */
	natgw_qty_format_ns(buf, sizeof(buf), 1000000000000000001ull);
	ck_assert_str_eq(buf, "1000000000000000001ns");
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
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);
	return natgw_test_run(s);
}
