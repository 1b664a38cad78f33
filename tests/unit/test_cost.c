/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/cost: the price file and its errors, overrides, and both bills computed
 * by hand (each expected figure is worked out in the comment above it). The
 * library does not use DPDK and this suite starts no EAL.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natgw_build_config.h"
#include "natgw_cost.h"
#include "natgw_test.h"

#define GIB 1073741824ull

/* Equal within a relative 1e-9 (the sums are of a few terms). */
#define ck_near(a, b) do { \
	double a_ = (a), b_ = (b); \
	ck_assert_msg(fabs(a_ - b_) <= 1e-9 * fmax(1.0, fabs(b_)), \
		"%s = %.12g, expected %.12g", #a, a_, b_); \
} while (0)

static char err[512];

/* An error is one line and says @p what. */
static void
ck_err(int rc, const char *what)
{
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err, what) != NULL, "error \"%s\" does not say \"%s\"", err, what);
	ck_assert_msg(strchr(err, '\n') == NULL, "error \"%s\" is not one line", err);
}

/* Write @p text to a new temporary file; @return its path (static). */
static const char *
temp_file(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/natgw-cost-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* Load @p text as a price file into @p p. @return what natgw_cost_prices_load did. */
static int
load_text(const char *text, struct natgw_cost_prices *p)
{
	const char *path = temp_file(text);
	int rc = natgw_cost_prices_load(p, path, err, sizeof(err));

	if (rc < 0)
		ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "\"%s\" does not name %s",
			err, path);
	unlink(path);
	return rc;
}

/* Load @p root (stolen) as a price file. */
static int
load_json(json_t *root, struct natgw_cost_prices *p)
{
	char *text = json_dumps(root, JSON_INDENT(2));
	int rc;

	ck_assert_ptr_nonnull(text);
	rc = load_text(text, p);
	free(text);
	json_decref(root);
	return rc;
}

static json_t *
defaults_json(void)
{
	struct natgw_cost_prices p;
	json_t *o;

	natgw_cost_prices_defaults(&p);
	ck_assert_int_eq(natgw_cost_prices_json(&p, &o), 0);
	return o;
}

/* The shipped file loads to exactly the compiled-in defaults. */
START_TEST(test_shipped_file_is_the_defaults)
{
	struct natgw_cost_prices file, def;
	json_t *a, *b;

	ck_assert_msg(natgw_cost_prices_load(&file, NATGW_BUILDDATA "/prices-us-east-1.json",
		err, sizeof(err)) == 0, "%s", err);
	natgw_cost_prices_defaults(&def);
	ck_assert_int_eq(natgw_cost_prices_json(&file, &a), 0);
	ck_assert_int_eq(natgw_cost_prices_json(&def, &b), 0);
	ck_assert_msg(json_equal(a, b), "data/prices-us-east-1.json differs from the defaults");
	json_decref(a);
	json_decref(b);
	ck_assert_str_eq(file.region, "us-east-1");
	ck_assert_str_eq(file.source, def.source);
	ck_assert(file.gb_bytes == 1073741824.0 && file.hours_per_month == 730);
	ck_assert(file.nat_gateway.per_hour == 0.045 && file.nat_gateway.per_gb == 0.045);
	ck_assert(file.gateway_endpoint.per_hour == 0 && file.gateway_endpoint.per_gb == 0);
	ck_assert(file.interface_endpoint.per_hour == 0.01);
	ck_assert_uint_eq(file.interface_endpoint.per_gb_tiers.n, 3);
	ck_assert(file.interface_endpoint.per_gb_tiers.tier[1].upto_gb == 5242880);
	ck_assert(isinf(file.interface_endpoint.per_gb_tiers.tier[2].upto_gb));
	ck_assert(file.interface_endpoint.per_gb_tiers.tier[2].price == 0.004);
	ck_assert(file.internet_out.free_gb == 100);
	ck_assert_uint_eq(file.internet_out.per_gb_tiers.n, 4);
	ck_assert(file.internet_out.per_gb_tiers.tier[2].upto_gb == 153600);
	ck_assert(file.internet_out.per_gb_tiers.tier[3].price == 0.05);
}
END_TEST

/* The default path is the build tree's copy here, and it loads. */
START_TEST(test_default_path)
{
	struct natgw_cost_prices p;
	const char *path = natgw_cost_default_prices_path();

	ck_assert_str_eq(path, NATGW_BUILDDATA "/prices-us-east-1.json");
	ck_assert_msg(natgw_cost_prices_load(&p, path, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

/* Prices changed by overrides, written as JSON, read back the same. */
START_TEST(test_prices_json_round_trip)
{
	struct natgw_cost_prices p, q;
	json_t *a, *b;

	natgw_cost_prices_defaults(&p);
	ck_assert_int_eq(natgw_cost_prices_set(&p, "gb_bytes=1000000000", err, sizeof(err)), 0);
	ck_assert_int_eq(natgw_cost_prices_set(&p, "nat_gateway.per_gb=0.052", err,
		sizeof(err)), 0);
	ck_assert_int_eq(natgw_cost_prices_set(&p, "internet_out.per_gb_tiers.1.upto_gb=20000",
		err, sizeof(err)), 0);
	ck_assert_int_eq(natgw_cost_prices_json(&p, &a), 0);
	ck_assert_int_eq(load_json(json_deep_copy(a), &q), 0);
	ck_assert_int_eq(natgw_cost_prices_json(&q, &b), 0);
	ck_assert(json_equal(a, b));
	ck_assert(q.gb_bytes == 1e9 && q.nat_gateway.per_gb == 0.052);
	ck_assert(q.internet_out.per_gb_tiers.tier[1].upto_gb == 20000);
	json_decref(a);
	json_decref(b);
}
END_TEST

START_TEST(test_load_errors_file)
{
	struct natgw_cost_prices p;

	ck_err(natgw_cost_prices_load(&p, "/nonexistent/prices.json", err, sizeof(err)),
		"/nonexistent/prices.json: No such file or directory");
	/* jansson's line and column */
	ck_err(load_text("{\n  \"region\": \"x\",\n  \"gb_bytes\": ,\n}\n", &p), ":3:");
	ck_err(load_text("", &p), "");
	ck_err(load_text("[1, 2]", &p), "not a JSON object");
	ck_err(load_text("{\"region\": \"a\", \"region\": \"b\"}", &p), "duplicate");
	ck_err(load_text("{\"region\": \"us-east-1\"}", &p), "missing key gb_bytes");
}
END_TEST

/* The shipped prices with one change each: the error names the key. */
START_TEST(test_load_errors_keys)
{
	struct natgw_cost_prices p;
	json_t *o, *t;

	o = defaults_json();
	json_object_set_new(o, "regoin", json_string("x"));
	ck_err(load_json(o, &p), "unknown key regoin");

	o = defaults_json();
	json_object_set_new(json_object_get(o, "nat_gateway"), "per_gbb", json_real(1));
	ck_err(load_json(o, &p), "unknown key nat_gateway.per_gbb");

	o = defaults_json();
	t = json_array_get(json_object_get(json_object_get(o, "internet_out"), "per_gb_tiers"), 1);
	json_object_set_new(t, "prize", json_real(1));
	ck_err(load_json(o, &p), "unknown key internet_out.per_gb_tiers.1.prize");

	o = defaults_json();
	json_object_set_new(json_object_get(o, "nat_gateway"), "per_gb", json_real(-0.01));
	ck_err(load_json(o, &p), "nat_gateway.per_gb: negative");

	o = defaults_json();
	json_object_set_new(json_object_get(o, "nat_gateway"), "per_hour", json_string("0.045"));
	ck_err(load_json(o, &p), "nat_gateway.per_hour: not a number");

	o = defaults_json();
	json_object_set_new(json_object_get(o, "nat_gateway"), "per_hour", json_null());
	ck_err(load_json(o, &p), "nat_gateway.per_hour: not a number");

	o = defaults_json();
	json_object_del(json_object_get(o, "gateway_endpoint"), "per_gb");
	ck_err(load_json(o, &p), "missing key gateway_endpoint.per_gb");

	o = defaults_json();
	json_object_del(o, "region");
	ck_err(load_json(o, &p), "missing key region");

	o = defaults_json();
	json_object_set_new(o, "region", json_string(""));
	ck_err(load_json(o, &p), "region: empty");

	o = defaults_json();
	json_object_set_new(o, "region", json_string("a-region-name-of-more-than-31-chars"));
	ck_err(load_json(o, &p), "region: longer than 31");

	o = defaults_json();
	json_object_set_new(o, "gb_bytes", json_real(1e9 + 0.5));
	ck_err(load_json(o, &p), "gb_bytes: must be a whole number");

	o = defaults_json();
	json_object_set_new(o, "hours_per_month", json_integer(0));
	ck_err(load_json(o, &p), "hours_per_month: must be above 0");

	o = defaults_json();
	json_object_set_new(o, "nat_gateway", json_real(1));
	ck_err(load_json(o, &p), "unknown key nat_gateway");
}
END_TEST

START_TEST(test_load_errors_tiers)
{
	struct natgw_cost_prices p;
	json_t *o, *a;
	int i;

#define INET_TIERS(o) json_object_get(json_object_get(o, "internet_out"), "per_gb_tiers")
	/* 10240, 51200, 153600: the third set to 51200 does not increase */
	o = defaults_json();
	json_object_set_new(json_array_get(INET_TIERS(o), 2), "upto_gb", json_real(51200));
	ck_err(load_json(o, &p), "internet_out.per_gb_tiers.2.upto_gb: 51200 is not above the "
		"tier before (51200)");

	o = defaults_json();
	json_object_set_new(json_array_get(INET_TIERS(o), 0), "upto_gb", json_real(0));
	ck_err(load_json(o, &p), "internet_out.per_gb_tiers.0.upto_gb: must be above 0");

	o = defaults_json();
	json_object_set_new(json_array_get(INET_TIERS(o), 3), "upto_gb", json_real(1e9));
	ck_err(load_json(o, &p), "internet_out.per_gb_tiers.3.upto_gb: the last tier has no "
		"upper bound");

	o = defaults_json();
	json_object_set_new(json_array_get(INET_TIERS(o), 1), "upto_gb", json_null());
	ck_err(load_json(o, &p), "internet_out.per_gb_tiers.1.upto_gb: only the last tier");

	o = defaults_json();
	json_object_del(json_array_get(INET_TIERS(o), 1), "price");
	ck_err(load_json(o, &p), "missing key internet_out.per_gb_tiers.1.price");

	o = defaults_json();
	json_array_set_new(INET_TIERS(o), 1, json_real(0.085));
	ck_err(load_json(o, &p), "internet_out.per_gb_tiers.1: not an object");

	o = defaults_json();
	json_array_clear(INET_TIERS(o));
	ck_err(load_json(o, &p), "internet_out.per_gb_tiers: 1 to 8 tiers, not 0");

	o = defaults_json();
	a = INET_TIERS(o);
	for (i = 0; i < 5; i++)
		json_array_insert_new(a, 0, json_pack("{sfsf}", "upto_gb", 1.0 + i, "price", 0.1));
	ck_err(load_json(o, &p), "internet_out.per_gb_tiers: 1 to 8 tiers, not 9");

	o = defaults_json();
	json_object_set_new(json_object_get(o, "interface_endpoint"), "per_gb_tiers",
		json_object());
	ck_err(load_json(o, &p), "interface_endpoint.per_gb_tiers: not an array");

	/* one tier, unbounded: a flat price is fine */
	o = defaults_json();
	a = json_object_get(json_object_get(o, "interface_endpoint"), "per_gb_tiers");
	json_array_clear(a);
	json_array_append_new(a, json_pack("{snsf}", "upto_gb", "price", 0.01));
	ck_assert_msg(load_json(o, &p) == 0, "%s", err);
	ck_assert_uint_eq(p.interface_endpoint.per_gb_tiers.n, 1);
#undef INET_TIERS
}
END_TEST

START_TEST(test_overrides)
{
	struct natgw_cost_prices p, before;

	natgw_cost_prices_defaults(&p);
	ck_assert_int_eq(natgw_cost_prices_set(&p, "nat_gateway.per_gb=0.052", err, sizeof(err)),
		0);
	ck_assert(p.nat_gateway.per_gb == 0.052);
	ck_assert_int_eq(natgw_cost_prices_set(&p, "internet_out.free_gb=0", err, sizeof(err)),
		0);
	ck_assert(p.internet_out.free_gb == 0);
	ck_assert_int_eq(natgw_cost_prices_set(&p, "interface_endpoint.per_gb_tiers.2.price=1e-3",
		err, sizeof(err)), 0);
	ck_assert(p.interface_endpoint.per_gb_tiers.tier[2].price == 0.001);
	ck_assert_int_eq(natgw_cost_prices_set(&p, "hours_per_month=720", err, sizeof(err)), 0);
	ck_assert(p.hours_per_month == 720);

	before = p;
	ck_err(natgw_cost_prices_set(&p, "nat_gateway.per_gbb=1", err, sizeof(err)),
		"unknown key nat_gateway.per_gbb");
	ck_err(natgw_cost_prices_set(&p, "region=1", err, sizeof(err)), "unknown key region");
	ck_err(natgw_cost_prices_set(&p, "nat_gateway.per_gb=abc", err, sizeof(err)),
		"nat_gateway.per_gb: not a number");
	ck_err(natgw_cost_prices_set(&p, "nat_gateway.per_gb=0.05x", err, sizeof(err)),
		"not a number");
	ck_err(natgw_cost_prices_set(&p, "nat_gateway.per_gb=", err, sizeof(err)),
		"not a number");
	ck_err(natgw_cost_prices_set(&p, "nat_gateway.per_gb=inf", err, sizeof(err)),
		"not a number");
	ck_err(natgw_cost_prices_set(&p, "nat_gateway.per_gb=nan", err, sizeof(err)),
		"not a number");
	ck_err(natgw_cost_prices_set(&p, "nat_gateway.per_gb", err, sizeof(err)),
		"not KEY=NUMBER");
	ck_err(natgw_cost_prices_set(&p, "nat_gateway.per_hour=-1", err, sizeof(err)),
		"nat_gateway.per_hour: negative");
	ck_err(natgw_cost_prices_set(&p, "gb_bytes=0", err, sizeof(err)), "gb_bytes: must be");
	ck_err(natgw_cost_prices_set(&p, "internet_out.per_gb_tiers.4.price=1", err,
		sizeof(err)), "no such tier (there are 4)");
	ck_err(natgw_cost_prices_set(&p, "internet_out.per_gb_tiers.x.price=1", err,
		sizeof(err)), "unknown key internet_out.per_gb_tiers.x.price");
	ck_err(natgw_cost_prices_set(&p, "internet_out.per_gb_tiers.0.cost=1", err,
		sizeof(err)), "unknown key internet_out.per_gb_tiers.0.cost");
	ck_err(natgw_cost_prices_set(&p, "internet_out.per_gb_tiers.1.upto_gb=5000", err,
		sizeof(err)), "internet_out.per_gb_tiers.1.upto_gb: 5000 is not above");
	ck_err(natgw_cost_prices_set(&p, "internet_out.per_gb_tiers.3.upto_gb=1e12", err,
		sizeof(err)), "the last tier has no upper bound");
	ck_assert_msg(memcmp(&p, &before, sizeof(p)) == 0, "a failed override changed prices");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cost");
	TCase *tc = tcase_create("prices");

	tcase_add_test(tc, test_shipped_file_is_the_defaults);
	tcase_add_test(tc, test_default_path);
	tcase_add_test(tc, test_prices_json_round_trip);
	tcase_add_test(tc, test_load_errors_file);
	tcase_add_test(tc, test_load_errors_keys);
	tcase_add_test(tc, test_load_errors_tiers);
	tcase_add_test(tc, test_overrides);
	suite_add_tcase(s, tc);
	return natgw_test_run(s);
}
