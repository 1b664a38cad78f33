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

/* Load @p text as a price file into @p p. @return what natgw_cost_prices_load did. */
static int
load_text(const char *text, struct natgw_cost_prices *p)
{
	const char *path = natgw_test_temp_file(text);
	int rc = natgw_cost_prices_load(p, path, err, sizeof(err));

	unlink(path);
	if (rc < 0)
		ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "\"%s\" does not name %s",
			err, path);
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

/* Overrides refused: the assignment, and what the error says. */
static const char *const bad_overrides[][2] = {
	{"nat_gateway.per_gbb=1", "unknown key nat_gateway.per_gbb"},
	{"region=1", "unknown key region"},
	{"nat_gateway.per_gb=abc", "nat_gateway.per_gb: not a number"},
	{"nat_gateway.per_gb=0.05x", "not a number"},
	{"nat_gateway.per_gb=", "not a number"},
	{"nat_gateway.per_gb=inf", "not a number"},
	{"nat_gateway.per_gb=nan", "not a number"},
	{"nat_gateway.per_gb", "not KEY=NUMBER"},
	{"nat_gateway.per_hour=-1", "nat_gateway.per_hour: negative"},
	{"gb_bytes=0", "gb_bytes: must be"},
	{"internet_out.per_gb_tiers.4.price=1", "no such tier (there are 4)"},
	{"internet_out.per_gb_tiers.x.price=1", "unknown key internet_out.per_gb_tiers.x.price"},
	{"internet_out.per_gb_tiers.0.cost=1", "unknown key internet_out.per_gb_tiers.0.cost"},
	{"internet_out.per_gb_tiers.1.upto_gb=5000",
		"internet_out.per_gb_tiers.1.upto_gb: 5000 is not above"},
	{"internet_out.per_gb_tiers.3.upto_gb=1e12", "the last tier has no upper bound"},
};

START_TEST(test_overrides)
{
	struct natgw_cost_prices p, before;
	size_t i;

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
	for (i = 0; i < sizeof(bad_overrides) / sizeof(bad_overrides[0]); i++) {
		const char *assignment = bad_overrides[i][0];

		ck_err(natgw_cost_prices_set(&p, assignment, err, sizeof(err)),
			bad_overrides[i][1]);
		ck_assert_msg(memcmp(&p, &before, sizeof(p)) == 0, "%s changed prices", assignment);
	}
}
END_TEST

/* A report of @p svc over @p span_s seconds; NULL prices or design: the defaults. */
static void
compute(struct natgw_cost_report *r, const struct natgw_cost_prices *p,
		const struct natgw_cost_design *d, double span_s,
		const struct natgw_cost_service *svc, unsigned int n)
{
	struct natgw_cost_usage u = {.span_s = span_s, .n = n, .svc = svc};
	struct natgw_cost_prices dp;
	struct natgw_cost_design dd;

	natgw_cost_prices_defaults(&dp);
	natgw_cost_design_defaults(&dd);
	ck_assert_msg(natgw_cost_compute(p ? p : &dp, d ? d : &dd, &u, r, err, sizeof(err)) == 0,
		"%s", err);
}

/* The line @p key of @p b, or NULL. */
static const struct natgw_cost_item *
item(const struct natgw_cost_bill *b, const char *key)
{
	unsigned int i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->item[i].key, key) == 0)
			return &b->item[i];
	return NULL;
}

/* Line @p key is there with this monthly quantity, price and monthly amount. */
static void
ck_item(const struct natgw_cost_bill *b, const char *key, double qty_month, double price,
		double month)
{
	const struct natgw_cost_item *it = item(b, key);

	ck_assert_msg(it != NULL, "no line %s", key);
	ck_near(it->qty_month, qty_month);
	ck_near(it->unit_price, price);
	ck_near(it->month, month);
}

/* Every line: amount = quantity × price, run = month / factor; totals add up. */
static void
ck_bill(const struct natgw_cost_report *r, const struct natgw_cost_bill *b)
{
	double run = 0, month = 0;
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		const struct natgw_cost_item *it = &b->item[i];

		ck_near(it->month, it->qty_month * it->unit_price);
		ck_near(it->qty_run, it->qty_month / r->month_factor);
		ck_near(it->run, it->month / r->month_factor);
		ck_assert(strchr(it->key, ' ') == NULL && it->what[0] != 0);
		run += it->run;
		month += it->month;
	}
	ck_near(b->run, run);
	ck_near(b->month, month);
}

static void
ck_report(const struct natgw_cost_report *r)
{
	ck_bill(r, &r->nat);
	ck_bill(r, &r->endpoints);
	ck_near(r->saving_run, r->nat.run - r->endpoints.run);
	ck_near(r->saving_month, r->nat.month - r->endpoints.month);
}

/*
 * One hour; us-east-1 defaults; s3 10 GiB in, ecr.dkr 1 GiB in, the internet
 * 0.5 GiB out (a GB is 2^30 bytes). A month (730 h) is 730 runs.
 *
 * NAT bill:
 *   NAT hours      1 × 730 h × $0.045                 = $32.85   a month, $0.045 the run
 *   NAT data       11.5 GB × 730 = 8395 GB × $0.045   = $377.775,          $0.5175
 *   internet out   0.5 × 730 = 365 GB: 100 GB free,
 *                  265 GB × $0.09                     = $23.85,  $23.85 / 730 = $0.03267123
 *   total          $434.475 a month,                    $0.59517123 the run
 * Endpoints bill (S3 by a gateway endpoint, ecr.dkr by an interface endpoint):
 *   NAT hours      still needed by the internet traffic: $32.85,  $0.045
 *   NAT data       365 GB × $0.045                    = $16.425,           $0.0225
 *   gateway ep.    1 × 730 h × $0, 7300 GB × $0       = $0
 *   interface ep.  1 endpoint × 1 AZ × 730 h × $0.01  = $7.30,             $0.01
 *                  730 GB × $0.01 (first tier)        = $7.30,             $0.01
 *   internet out   as above                             $23.85,            $0.03267123
 *   total          $87.725 a month,                     $0.12017123 the run
 * Saving: $346.75 a month, $0.475 the run. (docs/cost.md works this example.)
 */
static const struct natgw_cost_service example1[] = {
	{"s3", NATGW_COST_S3, 0, 10 * GIB},
	{"ecr.dkr", NATGW_COST_AWS, 0, GIB},
	{"internet", NATGW_COST_INTERNET, GIB / 2, 0},
};

START_TEST(test_example_one_hour)
{
	struct natgw_cost_report r;

	compute(&r, NULL, NULL, 3600, example1, 3);
	ck_report(&r);
	ck_near(r.month_factor, 730);

	ck_assert_uint_eq(r.nat.n, 4);
	ck_item(&r.nat, "nat_gateway.per_hour", 730, 0.045, 32.85);
	ck_near(item(&r.nat, "nat_gateway.per_hour")->run, 0.045);
	ck_item(&r.nat, "nat_gateway.per_gb", 8395, 0.045, 377.775);
	ck_near(item(&r.nat, "nat_gateway.per_gb")->qty_run, 11.5);
	ck_near(item(&r.nat, "nat_gateway.per_gb")->run, 0.5175);
	ck_item(&r.nat, "internet_out.free_gb", 100, 0, 0);
	ck_item(&r.nat, "internet_out.per_gb_tiers.0", 265, 0.09, 23.85);
	ck_near(r.nat.month, 434.475);
	ck_near(r.nat.run, 0.045 + 0.5175 + 23.85 / 730);

	ck_assert_uint_eq(r.endpoints.n, 8);
	ck_item(&r.endpoints, "nat_gateway.per_hour", 730, 0.045, 32.85);
	ck_item(&r.endpoints, "nat_gateway.per_gb", 365, 0.045, 16.425);
	ck_item(&r.endpoints, "gateway_endpoint.per_hour", 730, 0, 0);
	ck_item(&r.endpoints, "gateway_endpoint.per_gb", 7300, 0, 0);
	ck_item(&r.endpoints, "interface_endpoint.per_hour", 730, 0.01, 7.30);
	ck_near(item(&r.endpoints, "interface_endpoint.per_hour")->run, 0.01);
	ck_item(&r.endpoints, "interface_endpoint.per_gb_tiers.0", 730, 0.01, 7.30);
	ck_item(&r.endpoints, "internet_out.free_gb", 100, 0, 0);
	ck_item(&r.endpoints, "internet_out.per_gb_tiers.0", 265, 0.09, 23.85);
	ck_near(r.endpoints.month, 87.725);
	ck_near(r.endpoints.run, 0.045 + 0.0225 + 0.01 + 0.01 + 23.85 / 730);

	ck_near(r.saving_month, 346.75);
	ck_near(r.saving_run, 0.475);
	ck_assert_int_eq(r.svc[0].route, NATGW_COST_VIA_GATEWAY_ENDPOINT);
	ck_assert_int_eq(r.svc[1].route, NATGW_COST_VIA_INTERFACE_ENDPOINT);
	ck_assert_int_eq(r.svc[2].route, NATGW_COST_VIA_NAT);
}
END_TEST

/*
 * A 36 s capture: a month is 730 × 3600 / 36 = 73,000 runs. Two AZs.
 * logs 20 GiB out; the internet 3 GiB out and 1 GiB in.
 *
 * NAT bill:
 *   NAT hours      730 h × $0.045                          = $32.85 a month
 *   NAT data       24 GB × 73,000 = 1,752,000 GB × $0.045  = $78,840
 *   internet out   3 × 73,000 = 219,000 GB; 100 free; the tiers on 218,900 GB:
 *                  10,240 GB × $0.09                       = $921.60
 *                  40,960 GB (to 51,200) × $0.085          = $3,481.60
 *                  102,400 GB (to 153,600) × $0.07         = $7,168
 *                  65,300 GB (over 153,600) × $0.05        = $3,265
 *                  (the GB in are not charged)             = $14,836.20
 *   total          $93,709.05 a month, / 73,000 = $1.2836856 the run
 * Endpoints bill:
 *   NAT hours      $32.85
 *   NAT data       4 GB × 73,000 = 292,000 GB × $0.045     = $13,140
 *   interface ep.  1 endpoint × 2 AZs × 730 h × $0.01      = $14.60
 *                  20 × 73,000 = 1,460,000 GB: the first 1,048,576 GB (1 PB)
 *                  × $0.01 = $10,485.76, 411,424 GB × $0.006 = $2,468.544
 *   internet out   $14,836.20
 *   total          $40,977.954 a month
 * Saving: $52,731.096 a month, / 73,000 = $0.72234378 the run.
 */
START_TEST(test_example_month_tiers)
{
	const struct natgw_cost_service svc[] = {
		{"logs", NATGW_COST_AWS, 20 * GIB, 0},
		{"internet", NATGW_COST_INTERNET, 3 * GIB, GIB},
	};
	struct natgw_cost_design d;
	struct natgw_cost_report r;

	natgw_cost_design_defaults(&d);
	d.n_az = 2;
	compute(&r, NULL, &d, 36, svc, 2);
	ck_report(&r);
	ck_near(r.month_factor, 73000);

	ck_item(&r.nat, "nat_gateway.per_hour", 730, 0.045, 32.85);
	ck_near(item(&r.nat, "nat_gateway.per_hour")->run, 0.045 * 36 / 3600);
	ck_item(&r.nat, "nat_gateway.per_gb", 1752000, 0.045, 78840);
	ck_item(&r.nat, "internet_out.free_gb", 100, 0, 0);
	ck_item(&r.nat, "internet_out.per_gb_tiers.0", 10240, 0.09, 921.6);
	ck_item(&r.nat, "internet_out.per_gb_tiers.1", 40960, 0.085, 3481.6);
	ck_item(&r.nat, "internet_out.per_gb_tiers.2", 102400, 0.07, 7168);
	ck_item(&r.nat, "internet_out.per_gb_tiers.3", 65300, 0.05, 3265);
	ck_assert_uint_eq(r.nat.n, 7);
	ck_near(r.nat.month, 93709.05);
	ck_near(r.nat.run, 93709.05 / 73000);

	ck_item(&r.endpoints, "nat_gateway.per_hour", 730, 0.045, 32.85);
	ck_item(&r.endpoints, "nat_gateway.per_gb", 292000, 0.045, 13140);
	ck_item(&r.endpoints, "interface_endpoint.per_hour", 1460, 0.01, 14.6);
	ck_near(item(&r.endpoints, "interface_endpoint.per_hour")->run, 2 * 0.01 * 36 / 3600);
	ck_item(&r.endpoints, "interface_endpoint.per_gb_tiers.0", 1048576, 0.01, 10485.76);
	ck_item(&r.endpoints, "interface_endpoint.per_gb_tiers.1", 411424, 0.006, 2468.544);
	ck_assert_ptr_null(item(&r.endpoints, "interface_endpoint.per_gb_tiers.2"));
	ck_item(&r.endpoints, "internet_out.per_gb_tiers.3", 65300, 0.05, 3265);
	ck_assert_uint_eq(r.endpoints.n, 10);
	ck_near(r.endpoints.month, 40977.954);

	ck_near(r.saving_month, 52731.096);
	ck_near(r.saving_run, 52731.096 / 73000);
}
END_TEST

/* A whole month (factor 1): the free 100 GB, then the tiers on what is beyond. */
START_TEST(test_free_tier)
{
	struct natgw_cost_service svc[] = {{"internet", NATGW_COST_INTERNET, 150 * GIB, 0}};
	const double month = 730 * 3600.0;
	struct natgw_cost_prices p;
	struct natgw_cost_report r;

	/* 150 GB: 100 free, 50 × $0.09 = $4.50 */
	compute(&r, NULL, NULL, month, svc, 1);
	ck_near(r.month_factor, 1);
	ck_item(&r.nat, "internet_out.free_gb", 100, 0, 0);
	ck_item(&r.nat, "internet_out.per_gb_tiers.0", 50, 0.09, 4.5);
	ck_near(r.nat.month, 32.85 + 150 * 0.045 + 4.5);
	ck_near(r.nat.run, r.nat.month);

	/* 60 GB: all free, no tier line */
	svc[0].bytes_out = 60 * GIB;
	compute(&r, NULL, NULL, month, svc, 1);
	ck_item(&r.nat, "internet_out.free_gb", 60, 0, 0);
	ck_assert_ptr_null(item(&r.nat, "internet_out.per_gb_tiers.0"));

	/* free_gb 0: 60 × $0.09 = $5.40, no free line */
	natgw_cost_prices_defaults(&p);
	ck_assert_int_eq(natgw_cost_prices_set(&p, "internet_out.free_gb=0", err, sizeof(err)), 0);
	compute(&r, &p, NULL, month, svc, 1);
	ck_assert_ptr_null(item(&r.nat, "internet_out.free_gb"));
	ck_item(&r.nat, "internet_out.per_gb_tiers.0", 60, 0.09, 5.4);

	/* free 20,000 GB: the tiers count from there, so 30,000 GB is 10,000 in the first */
	ck_assert_int_eq(natgw_cost_prices_set(&p, "internet_out.free_gb=20000", err,
		sizeof(err)), 0);
	svc[0].bytes_out = 30000 * GIB;
	compute(&r, &p, NULL, month, svc, 1);
	ck_item(&r.nat, "internet_out.free_gb", 20000, 0, 0);
	ck_item(&r.nat, "internet_out.per_gb_tiers.0", 10000, 0.09, 900);
	ck_assert_uint_eq(r.nat.n, 4);

	/* data in from the internet: NAT processing only, no transfer line */
	svc[0].bytes_out = 0;
	svc[0].bytes_in = 1000 * GIB;
	compute(&r, NULL, NULL, month, svc, 1);
	ck_assert_uint_eq(r.nat.n, 2);
	ck_item(&r.nat, "nat_gateway.per_gb", 1000, 0.045, 45);
	ck_assert_uint_eq(r.endpoints.n, 2);
	ck_near(r.saving_month, 0);
}
END_TEST

/* No traffic: the NAT design pays its gateway's hours; the endpoints design
 * needs nothing, not even the NAT gateway. */
START_TEST(test_zero_traffic)
{
	const struct natgw_cost_service svc[] = {
		{"s3", NATGW_COST_S3, 0, 0},
		{"logs", NATGW_COST_AWS, 0, 0},
		{"internet", NATGW_COST_INTERNET, 0, 0},
	};
	struct natgw_cost_design d;
	struct natgw_cost_report r;

	compute(&r, NULL, NULL, 60, NULL, 0);
	ck_report(&r);
	ck_assert_uint_eq(r.nat.n, 1);
	ck_item(&r.nat, "nat_gateway.per_hour", 730, 0.045, 32.85);
	ck_near(r.nat.run, 0.045 / 60);
	ck_assert_uint_eq(r.endpoints.n, 0);
	ck_assert(r.endpoints.run == 0 && r.endpoints.month == 0);
	ck_near(r.saving_month, 32.85);

	/* services without a byte make no endpoint; two gateways, two hours lines' worth */
	natgw_cost_design_defaults(&d);
	d.n_nat = 2;
	compute(&r, NULL, &d, 60, svc, 3);
	ck_report(&r);
	ck_assert_uint_eq(r.nat.n, 1);
	ck_item(&r.nat, "nat_gateway.per_hour", 1460, 0.045, 65.7);
	ck_assert_uint_eq(r.endpoints.n, 0);
	ck_assert_int_eq(r.svc[0].route, NATGW_COST_VIA_GATEWAY_ENDPOINT);
	ck_assert_int_eq(r.svc[1].route, NATGW_COST_VIA_INTERFACE_ENDPOINT);
}
END_TEST

/*
 * Where traffic goes: gateway endpoints first (S3, DynamoDB, when on), then an
 * interface endpoint (a listed service not of the internet class), else the NAT.
 * One hour, so a month is 730 runs.
 */
START_TEST(test_routes)
{
	const struct natgw_cost_service svc[] = {
		{"s3", NATGW_COST_S3, 0, 10 * GIB},
		{"dynamodb", NATGW_COST_DYNAMODB, GIB, GIB},
		{"cloudfront", NATGW_COST_INTERNET, 0, GIB},
		{"sts", NATGW_COST_AWS, GIB, 0},
	};
	struct natgw_cost_design d;
	struct natgw_cost_report r;

	/* no gateway endpoints: S3 and DynamoDB stay on the NAT, 12 + 1 GB = 13 GB */
	natgw_cost_design_defaults(&d);
	d.gateway_endpoints = false;
	compute(&r, NULL, &d, 3600, svc, 4);
	ck_report(&r);
	ck_assert_int_eq(r.svc[0].route, NATGW_COST_VIA_NAT);
	ck_assert_int_eq(r.svc[1].route, NATGW_COST_VIA_NAT);
	ck_assert_int_eq(r.svc[2].route, NATGW_COST_VIA_NAT);
	ck_assert_int_eq(r.svc[3].route, NATGW_COST_VIA_INTERFACE_ENDPOINT);
	ck_assert_ptr_null(item(&r.endpoints, "gateway_endpoint.per_hour"));
	ck_item(&r.endpoints, "nat_gateway.per_gb", 13 * 730, 0.045, 13 * 730 * 0.045);
	ck_item(&r.endpoints, "interface_endpoint.per_gb_tiers.0", 730, 0.01, 7.3);
	/* the NAT bill: every byte processed, 14 GB; cloudfront's are in, not charged */
	ck_item(&r.nat, "nat_gateway.per_gb", 14 * 730, 0.045, 14 * 730 * 0.045);
	ck_assert_ptr_null(item(&r.nat, "internet_out.free_gb"));
	/* sts's 730 GB cost $32.85 on the NAT, $7.30 + $7.30 by its endpoint */
	ck_near(r.saving_month, 730 * 0.045 - 2 * 7.3);

	/* S3 and cloudfront listed: S3 by an interface endpoint, cloudfront (the
	 * internet) never; two interface endpoints in one AZ */
	ck_assert_int_eq(natgw_cost_design_set_services(&d, "s3,cloudfront,sts", err,
		sizeof(err)), 0);
	compute(&r, NULL, &d, 3600, svc, 4);
	ck_report(&r);
	ck_assert_int_eq(r.svc[0].route, NATGW_COST_VIA_INTERFACE_ENDPOINT);
	ck_assert_int_eq(r.svc[2].route, NATGW_COST_VIA_NAT);
	ck_item(&r.endpoints, "interface_endpoint.per_hour", 2 * 730, 0.01, 14.6);
	ck_item(&r.endpoints, "interface_endpoint.per_gb_tiers.0", 11 * 730, 0.01, 11 * 7.3);

	/* gateway endpoints on: they win over the list; two of them, 12 GB */
	d.gateway_endpoints = true;
	ck_assert_int_eq(natgw_cost_design_set_services(&d, "s3,dynamodb,sts", err,
		sizeof(err)), 0);
	compute(&r, NULL, &d, 3600, svc, 4);
	ck_report(&r);
	ck_assert_int_eq(r.svc[0].route, NATGW_COST_VIA_GATEWAY_ENDPOINT);
	ck_assert_int_eq(r.svc[1].route, NATGW_COST_VIA_GATEWAY_ENDPOINT);
	ck_item(&r.endpoints, "gateway_endpoint.per_hour", 2 * 730, 0, 0);
	ck_item(&r.endpoints, "gateway_endpoint.per_gb", 12 * 730, 0, 0);
	ck_item(&r.endpoints, "interface_endpoint.per_hour", 730, 0.01, 7.3);
	ck_item(&r.endpoints, "nat_gateway.per_gb", 730, 0.045, 730 * 0.045);
}
END_TEST

START_TEST(test_design_services)
{
	struct natgw_cost_design d, before;
	char many[NATGW_COST_MAX_SERVICES * 8 + 16] = "";
	int i, n = 0;

	natgw_cost_design_defaults(&d);
	ck_assert_uint_eq(d.n_nat, 1);
	ck_assert_uint_eq(d.n_az, 1);
	ck_assert(d.gateway_endpoints);
	ck_assert_uint_eq(d.n_interface, 10);
	ck_assert_str_eq(d.interface[0], "ecr.api");
	ck_assert_str_eq(d.interface[9], "kms");

	ck_assert_int_eq(natgw_cost_design_set_services(&d, " logs , ecr.dkr,sts ", err,
		sizeof(err)), 0);
	ck_assert_uint_eq(d.n_interface, 3);
	ck_assert_str_eq(d.interface[0], "logs");
	ck_assert_str_eq(d.interface[1], "ecr.dkr");
	ck_assert_str_eq(d.interface[2], "sts");
	ck_assert_int_eq(natgw_cost_design_set_services(&d, "none", err, sizeof(err)), 0);
	ck_assert_uint_eq(d.n_interface, 0);
	ck_assert_int_eq(natgw_cost_design_set_services(&d, "ecs-agent", err, sizeof(err)), 0);
	ck_assert_uint_eq(d.n_interface, 1);
	ck_assert_int_eq(natgw_cost_design_set_services(&d, "  ", err, sizeof(err)), 0);
	ck_assert_uint_eq(d.n_interface, 0);

	ck_assert_int_eq(natgw_cost_design_set_services(&d, "logs,sts", err, sizeof(err)), 0);
	before = d;
	ck_err(natgw_cost_design_set_services(&d, "logs,,sts", err, sizeof(err)),
		"empty service name");
	ck_err(natgw_cost_design_set_services(&d, "logs,", err, sizeof(err)),
		"empty service name");
	ck_err(natgw_cost_design_set_services(&d, "logs,sts,logs", err, sizeof(err)),
		"service \"logs\" listed twice");
	ck_err(natgw_cost_design_set_services(&d, "ECR.API", err, sizeof(err)),
		"service name \"ECR.API\": only a-z");
	ck_err(natgw_cost_design_set_services(&d, "ecr api", err, sizeof(err)), "only a-z");
	ck_err(natgw_cost_design_set_services(&d, "a-service-name-of-32-characters-", err,
		sizeof(err)), "longer than 31 characters");
	for (i = 0; i <= NATGW_COST_MAX_SERVICES; i++)
		n += snprintf(many + n, sizeof(many) - (size_t)n, "%ss%d", i ? "," : "", i);
	ck_err(natgw_cost_design_set_services(&d, many, err, sizeof(err)), "more than 64");
	ck_assert_msg(memcmp(&d, &before, sizeof(d)) == 0, "a failed list changed the design");
	*strrchr(many, ',') = 0;
	ck_assert_int_eq(natgw_cost_design_set_services(&d, many, err, sizeof(err)), 0);
	ck_assert_uint_eq(d.n_interface, NATGW_COST_MAX_SERVICES);
}
END_TEST

START_TEST(test_compute_errors)
{
	struct natgw_cost_service svc[NATGW_COST_MAX_SERVICES + 1];
	struct natgw_cost_usage u = {.span_s = 60, .n = 1, .svc = svc};
	struct natgw_cost_prices p;
	struct natgw_cost_design d;
	struct natgw_cost_report r;
	char names[NATGW_COST_MAX_SERVICES + 1][8];
	unsigned int i;

	natgw_cost_prices_defaults(&p);
	natgw_cost_design_defaults(&d);
	for (i = 0; i <= NATGW_COST_MAX_SERVICES; i++) {
		snprintf(names[i], sizeof(names[i]), "s%u", i);
		svc[i] = (struct natgw_cost_service){names[i], NATGW_COST_AWS, 1, 1};
	}
	u.span_s = 0;
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)),
		"run span 0 s: must be a positive number of seconds");
	u.span_s = -5;
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), "positive number");
	u.span_s = NAN;
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), "positive number");
	u.span_s = INFINITY;
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), "positive number");
	/* a tiny span is allowed: a month is 2.6e9 of it */
	u.span_s = 1e-3;
	ck_assert_int_eq(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), 0);
	ck_near(r.month_factor, 2628000000.0);
	u.span_s = 60;

	d.n_nat = 0;
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), "at least one NAT gateway");
	d.n_nat = 1;
	d.n_az = 0;
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), "and one AZ");
	d.n_az = 1;

	u.n = NATGW_COST_MAX_SERVICES + 1;
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), "more than 64 services");
	u.n = NATGW_COST_MAX_SERVICES;
	ck_assert_int_eq(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.n, NATGW_COST_MAX_SERVICES);

	u.n = 3;
	svc[2].name = "s0";
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), "service s0 given twice");
	svc[2].name = NULL;
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), "empty service name");
	svc[2].name = "Internet";
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), "only a-z");
	svc[2].name = names[2];
	svc[2].cls = NATGW_COST_CLASSES;
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), "service s2: unknown class");
	svc[2].cls = NATGW_COST_AWS;

	memset(&p, 0, sizeof(p));
	ck_err(natgw_cost_compute(&p, &d, &u, &r, err, sizeof(err)), "prices: gb_bytes");
}
END_TEST

/* report_json, dumped and parsed back: the figures, the routes, the prices. */
START_TEST(test_report_json_round_trip)
{
	struct natgw_cost_prices p, q;
	struct natgw_cost_report r;
	json_t *j, *back, *items, *it;
	json_error_t je;
	double month = 0;
	char *text;
	size_t i;

	compute(&r, NULL, NULL, 3600, example1, 3);
	ck_assert_int_eq(natgw_cost_report_json(&r, &j), 0);
	text = json_dumps(j, 0);
	ck_assert_ptr_nonnull(text);
	back = json_loads(text, 0, &je);
	ck_assert_msg(back != NULL, "%s", je.text);
	free(text);
	json_decref(j);

	ck_assert(json_real_value(json_object_get(back, "span_s")) == 3600);
	ck_assert(json_real_value(json_object_get(back, "month_factor")) == r.month_factor);
	ck_assert(json_real_value(json_object_get(json_object_get(back, "nat"), "month")) ==
		r.nat.month);
	ck_near(json_real_value(json_object_get(json_object_get(back, "nat"), "month")), 434.475);
	ck_assert(json_real_value(json_object_get(json_object_get(back, "endpoints"), "run")) ==
		r.endpoints.run);
	ck_near(json_real_value(json_object_get(json_object_get(back, "saving"), "month")),
		346.75);
	ck_near(json_real_value(json_object_get(json_object_get(back, "saving"), "run")), 0.475);

	items = json_object_get(json_object_get(back, "endpoints"), "items");
	ck_assert_uint_eq(json_array_size(items), r.endpoints.n);
	json_array_foreach(items, i, it) {
		ck_assert_str_eq(json_string_value(json_object_get(it, "key")),
			r.endpoints.item[i].key);
		ck_assert_str_eq(json_string_value(json_object_get(it, "unit")),
			r.endpoints.item[i].unit);
		month += json_real_value(json_object_get(it, "month"));
	}
	ck_near(month, 87.725);
	it = json_array_get(items, 4);
	ck_assert_str_eq(json_string_value(json_object_get(it, "what")),
		"Interface endpoint hours (1 in 1 AZ)");
	ck_assert(json_real_value(json_object_get(it, "quantity_month")) == 730);
	ck_assert(json_real_value(json_object_get(it, "quantity_run")) == 1);
	ck_assert(json_real_value(json_object_get(it, "unit_price")) == 0.01);

	it = json_array_get(json_object_get(back, "services"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(it, "name")), "s3");
	ck_assert_str_eq(json_string_value(json_object_get(it, "class")), "s3");
	ck_assert_str_eq(json_string_value(json_object_get(it, "route")), "gateway_endpoint");
	ck_assert(json_integer_value(json_object_get(it, "bytes_in")) == (json_int_t)(10 * GIB));
	it = json_array_get(json_object_get(back, "services"), 2);
	ck_assert_str_eq(json_string_value(json_object_get(it, "class")), "internet");
	ck_assert_str_eq(json_string_value(json_object_get(it, "route")), "nat");

	it = json_object_get(back, "design");
	ck_assert(json_integer_value(json_object_get(it, "nat_gateways")) == 1);
	ck_assert(json_integer_value(json_object_get(it, "azs")) == 1);
	ck_assert(json_is_true(json_object_get(it, "gateway_endpoints")));
	ck_assert_uint_eq(json_array_size(json_object_get(it, "interface_services")), 10);

	/* the prices section is a price file */
	ck_assert_int_eq(load_json(json_incref(json_object_get(back, "prices")), &q), 0);
	natgw_cost_prices_defaults(&p);
	ck_assert(q.nat_gateway.per_gb == p.nat_gateway.per_gb);
	ck_assert(q.internet_out.per_gb_tiers.tier[3].price == 0.05);
	json_decref(back);
}
END_TEST

/* The printed bills: aligned, the example's figures, tiny run amounts shown. */
START_TEST(test_report_print)
{
	struct natgw_cost_report r;
	char *buf = NULL, *line, *save;
	size_t len = 0;
	FILE *f;
	int n_rows = 0;

	compute(&r, NULL, NULL, 3600, example1, 3);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	natgw_cost_report_print(&r, f);
	fclose(f);
	ck_assert_msg(strstr(buf, "us-east-1") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "8395 GB") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "$377.77") || strstr(buf, "$377.78"), "%s", buf);
	ck_assert_msg(strstr(buf, "$0.595") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "gateway endpoints: s3\n") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "interface endpoints: ecr.dkr\n") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "$346.75") != NULL && strstr(buf, "$0.475") != NULL, "%s", buf);
	/* every line with amounts ends its month column at the same place */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, " $") == NULL || strstr(line, "Saving") != NULL)
			continue;
		ck_assert_msg(strlen(line) == 94, "not aligned: \"%s\"", line);
		n_rows++;
	}
	ck_assert_int_eq(n_rows, 4 + 1 + 8 + 1);
	free(buf);

	/* one second: the hour's $0.045 is $0.0000125 */
	compute(&r, NULL, NULL, 1, NULL, 0);
	f = open_memstream(&buf, &len);
	natgw_cost_report_print(&r, f);
	fclose(f);
	ck_assert_msg(strstr(buf, "$0.0000125") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "2628000 times the run") != NULL, "%s", buf);
	free(buf);
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
	tc = tcase_create("bills");
	tcase_add_test(tc, test_example_one_hour);
	tcase_add_test(tc, test_example_month_tiers);
	tcase_add_test(tc, test_free_tier);
	tcase_add_test(tc, test_zero_traffic);
	tcase_add_test(tc, test_routes);
	tcase_add_test(tc, test_design_services);
	tcase_add_test(tc, test_compute_errors);
	tcase_add_test(tc, test_report_json_round_trip);
	tcase_add_test(tc, test_report_print);
	suite_add_tcase(s, tc);
	return natgw_test_run(s);
}
