/* SPDX-License-Identifier: BSD-3-Clause */
/* The two bills as JSON and as text. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "natgw_cost.h"

static json_t *
bill_json(const struct natgw_cost_bill *b)
{
	json_t *items = json_array();
	unsigned int i;

	for (i = 0; items != NULL && i < b->n; i++) {
		const struct natgw_cost_item *it = &b->item[i];

		if (json_array_append_new(items, json_pack("{sssssssfsfsfsfsf}", "key", it->key,
				"what", it->what, "unit", it->unit, "quantity_run", it->qty_run,
				"quantity_month", it->qty_month, "unit_price", it->unit_price,
				"run", it->run, "month", it->month)) < 0) {
			json_decref(items);
			items = NULL;
		}
	}
	return json_pack("{sosfsf}", "items", items, "run", b->run, "month", b->month);
}

static json_t *
design_json(const struct natgw_cost_design *d)
{
	json_t *names = json_array();
	unsigned int i;

	for (i = 0; names != NULL && i < d->n_interface; i++) {
		if (json_array_append_new(names, json_string(d->interface[i])) < 0) {
			json_decref(names);
			names = NULL;
		}
	}
	return json_pack("{sIsIsbso}", "nat_gateways", (json_int_t)d->n_nat,
		"azs", (json_int_t)d->n_az, "gateway_endpoints", d->gateway_endpoints,
		"interface_services", names);
}

static json_t *
services_json(const struct natgw_cost_report *r)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a != NULL && i < r->n; i++) {
		if (json_array_append_new(a, json_pack("{sssssIsIss}", "name", r->svc[i].name,
				"class", natgw_cost_class_name(r->svc[i].cls),
				"bytes_out", (json_int_t)r->svc[i].bytes_out,
				"bytes_in", (json_int_t)r->svc[i].bytes_in,
				"route", natgw_cost_route_name(r->svc[i].route))) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

int
natgw_cost_report_json(const struct natgw_cost_report *r, json_t **out)
{
	json_t *prices = NULL, *o;

	if (natgw_cost_prices_json(&r->prices, &prices) < 0)
		return -1;
	o = json_pack("{sfsfsososososos{sfsf}}", "span_s", r->span_s,
		"month_factor", r->month_factor, "prices", prices,
		"design", design_json(&r->design),
		"services", services_json(r), "nat", bill_json(&r->nat),
		"endpoints", bill_json(&r->endpoints),
		"saving", "run", r->saving_run, "month", r->saving_month);
	if (o == NULL)
		return -1;
	*out = o;
	return 0;
}

/*
 * @p x for a person: 0 as "0"; from 100 on, whole (money: cents from 1 on);
 * from 1, two decimals; below 1, three significant digits (at most 12
 * decimals), so that a run's tiny amounts still show.
 */
static const char *
fmt_num(char *buf, size_t n, double x, const char *prefix, bool money)
{
	double a = fabs(x);
	int dec;

	if (a == 0)
		dec = money ? 2 : 0;
	else if (a >= 1)
		dec = a >= 100 && !money ? 0 : 2;
	else
		dec = (int)fmin(12, fmax(money ? 2 : 0, 2 - floor(log10(a))));
	snprintf(buf, n, "%s%s%.*f", x < 0 ? "-" : "", prefix, dec, a);
	return buf;
}

#define W_WHAT 44
#define W_QTY 14
#define W_PRICE 10
#define W_AMOUNT 13 /* "$0.000000747" and a space before it */

static void
print_bill(const struct natgw_cost_bill *b, FILE *f)
{
	char q[32], qty[48], price[32], run[32], month[32];
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		const struct natgw_cost_item *it = &b->item[i];

		snprintf(qty, sizeof(qty), "%s %s", fmt_num(q, sizeof(q), it->qty_month, "", false),
			it->unit);
		snprintf(price, sizeof(price), "$%g", it->unit_price);
		fprintf(f, "  %-*s%*s%*s%*s%*s\n", W_WHAT - 2, it->what, W_QTY, qty, W_PRICE, price,
			W_AMOUNT, fmt_num(run, sizeof(run), it->run, "$", true),
			W_AMOUNT, fmt_num(month, sizeof(month), it->month, "$", true));
	}
	fprintf(f, "  %-*s%*s%*s\n", W_WHAT - 2 + W_QTY + W_PRICE, "Total",
		W_AMOUNT, fmt_num(run, sizeof(run), b->run, "$", true),
		W_AMOUNT, fmt_num(month, sizeof(month), b->month, "$", true));
}

/* The services the endpoints design sends by @p route: "s3, dynamodb". */
static void
print_route(const struct natgw_cost_report *r, enum natgw_cost_route route, const char *label,
		FILE *f)
{
	const char *sep = "";
	unsigned int i;

	for (i = 0; i < r->n; i++) {
		if (r->svc[i].route != route)
			continue;
		fprintf(f, "%s%s", sep[0] ? sep : label, r->svc[i].name);
		sep = ", ";
	}
	if (sep[0])
		fputc('\n', f);
}

void
natgw_cost_report_print(const struct natgw_cost_report *r, FILE *f)
{
	char a[32], b[32], c[32];

	fprintf(f, "Cost of the run's traffic, %s list prices in USD (docs/cost.md)\n",
		r->prices.region);
	fprintf(f, "Run of %s s; a month (%g h) is %s times the run: monthly quantities "
		"extrapolate it.\n\n", fmt_num(a, sizeof(a), r->span_s, "", false),
		r->prices.hours_per_month, fmt_num(b, sizeof(b), r->month_factor, "", false));
	fprintf(f, "%-*s%*s%*s%*s%*s\n", W_WHAT, "Through the NAT gateway", W_QTY, "a month",
		W_PRICE, "price", W_AMOUNT, "run", W_AMOUNT, "month");
	print_bill(&r->nat, f);
	fprintf(f, "\nWith VPC endpoints\n");
	print_route(r, NATGW_COST_VIA_GATEWAY_ENDPOINT, "  gateway endpoints: ", f);
	print_route(r, NATGW_COST_VIA_INTERFACE_ENDPOINT, "  interface endpoints: ", f);
	print_bill(&r->endpoints, f);
	fprintf(f, "\n%-*s%*s%*s", W_WHAT + W_QTY + W_PRICE, "Saving with endpoints",
		W_AMOUNT, fmt_num(a, sizeof(a), r->saving_run, "$", true),
		W_AMOUNT, fmt_num(b, sizeof(b), r->saving_month, "$", true));
	if (r->nat.month > 0)
		fprintf(f, " (%s%%)", fmt_num(c, sizeof(c),
			100 * r->saving_month / r->nat.month, "", false));
	fputc('\n', f);
}
