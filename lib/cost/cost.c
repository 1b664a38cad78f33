/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two bills: every quantity is first taken to a month (the run's × month /
 * span), priced there (tiers apply to the monthly volume), and the run's amount
 * is the month's × span / month.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "natgw_cost.h"
#include "cost_private.h"

static const char *const class_names[NATGW_COST_CLASSES] = {
	[NATGW_COST_INTERNET] = "internet",
	[NATGW_COST_S3] = "s3",
	[NATGW_COST_DYNAMODB] = "dynamodb",
	[NATGW_COST_AWS] = "aws",
};

const char *
natgw_cost_class_name(enum natgw_cost_class c)
{
	return (unsigned int)c < NATGW_COST_CLASSES ? class_names[c] : "?";
}

const char *
natgw_cost_route_name(enum natgw_cost_route r)
{
	switch (r) {
	case NATGW_COST_VIA_NAT:
		return "nat";
	case NATGW_COST_VIA_GATEWAY_ENDPOINT:
		return "gateway_endpoint";
	case NATGW_COST_VIA_INTERFACE_ENDPOINT:
		return "interface_endpoint";
	}
	return "?";
}

/* A service name: 1 to NATGW_COST_NAME_MAX - 1 of [a-z0-9._-]. */
static int
check_name(const char *name, size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len == 0)
		return cost_fail(err, errlen, "empty service name");
	if (len >= NATGW_COST_NAME_MAX)
		return cost_fail(err, errlen, "service name \"%.*s\" longer than %d characters",
			(int)len, name, NATGW_COST_NAME_MAX - 1);
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
				c == '_'))
			return cost_fail(err, errlen, "service name \"%.*s\": only a-z, 0-9, '.', "
				"'-' and '_'", (int)len, name);
	}
	return 0;
}

typedef char name_t[NATGW_COST_NAME_MAX];

/* The index of @p name among the @p n names of @p names, or -1. */
static int
find_name(const name_t *names, unsigned int n, const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strncmp(names[i], name, len) == 0 && names[i][len] == 0)
			return (int)i;
	return -1;
}

int
natgw_cost_design_set_services(struct natgw_cost_design *d, const char *list, char *err,
		size_t errlen)
{
	name_t names[NATGW_COST_MAX_SERVICES];
	const char *s = list, *end;
	unsigned int n = 0;

	while (*s == ' ')
		s++;
	end = s + strlen(s);
	while (end > s && end[-1] == ' ')
		end--;
	if (end == s || (end - s == 4 && strncmp(s, "none", 4) == 0)) {
		d->n_interface = 0;
		return 0;
	}
	for (;;) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *e = comma != NULL ? comma : end;

		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		if (check_name(s, (size_t)(e - s), err, errlen) < 0)
			return -1;
		if (find_name((const name_t *)names, n, s, (size_t)(e - s)) >= 0)
			return cost_fail(err, errlen, "service \"%.*s\" listed twice",
				(int)(e - s), s);
		if (n == NATGW_COST_MAX_SERVICES)
			return cost_fail(err, errlen, "more than %d services",
				NATGW_COST_MAX_SERVICES);
		memcpy(names[n], s, (size_t)(e - s));
		names[n++][e - s] = 0;
		if (comma == NULL)
			break;
		s = comma + 1;
	}
	memcpy(d->interface, names, sizeof(names[0]) * n);
	d->n_interface = n;
	return 0;
}

void
natgw_cost_design_defaults(struct natgw_cost_design *d)
{
	memset(d, 0, sizeof(*d));
	d->n_nat = 1;
	d->n_az = 1;
	d->gateway_endpoints = true;
	natgw_cost_design_set_services(d, NATGW_COST_DEFAULT_INTERFACE, NULL, 0);
}

/* A bill's lines: NAT hours and data, gateway endpoint hours and data,
 * interface endpoint hours and tiers, the internet's free part and tiers. */
_Static_assert(NATGW_COST_MAX_ITEMS >= 5 + 2 * NATGW_COST_MAX_TIERS + 1,
	"room for every line of a bill");

/* Add a line of @p qty_month units at @p price to @p b. */
static void __attribute__((format(printf, 7, 8)))
add_item(struct natgw_cost_bill *b, double factor, const char *key, const char *unit,
		double qty_month, double price, const char *what, ...)
{
	struct natgw_cost_item *it;
	va_list ap;

	if (b->n == NATGW_COST_MAX_ITEMS)
		return; /* cannot happen (the assertion above) */
	it = &b->item[b->n++];
	snprintf(it->key, sizeof(it->key), "%s", key);
	va_start(ap, what);
	vsnprintf(it->what, sizeof(it->what), what, ap);
	va_end(ap);
	it->unit = unit;
	it->qty_month = qty_month;
	it->qty_run = qty_month / factor;
	it->unit_price = price;
	it->month = qty_month * price;
	it->run = it->month / factor;
	b->month += it->month;
	b->run += it->run;
}

/* A line per tier that @p gb_month reaches. */
static void
add_tiered(struct natgw_cost_bill *b, double factor, const char *key, const char *label,
		const struct natgw_cost_tiers *ts, double gb_month)
{
	char k[48];
	double lo = 0, q;
	unsigned int i;

	for (i = 0; i < ts->n && gb_month > lo; i++) {
		const struct natgw_cost_tier *t = &ts->tier[i];

		q = fmin(gb_month, t->upto_gb) - lo;
		snprintf(k, sizeof(k), "%s.%u", key, i);
		if (ts->n == 1)
			add_item(b, factor, k, "GB", q, t->price, "%s", label);
		else if (i == 0)
			add_item(b, factor, k, "GB", q, t->price, "%s, first %.0f GB", label,
				t->upto_gb);
		else if (i + 1 < ts->n)
			add_item(b, factor, k, "GB", q, t->price, "%s, next %.0f GB", label,
				t->upto_gb - lo);
		else
			add_item(b, factor, k, "GB", q, t->price, "%s, over %.0f GB", label, lo);
		lo = t->upto_gb;
	}
}

/* Data out to the internet: the free part, then the tiers on what is beyond it. */
static void
add_internet(struct natgw_cost_bill *b, double factor, const struct natgw_cost_prices *p,
		double gb_month)
{
	double free_gb = fmin(gb_month, p->internet_out.free_gb);

	if (free_gb > 0)
		add_item(b, factor, "internet_out.free_gb", "GB", free_gb, 0.0,
			"Internet data out, free (%g GB a month)", p->internet_out.free_gb);
	add_tiered(b, factor, "internet_out.per_gb_tiers", "Internet data out",
		&p->internet_out.per_gb_tiers, gb_month - free_gb);
}

/* Monthly GB of a design's traffic, and the endpoints that carry some. */
struct volumes {
	double nat, gateway, interface, internet_out;
	unsigned int n_gateway, n_interface;
	bool nat_used;
};

static enum natgw_cost_route
route_of(const struct natgw_cost_design *d, const char *name, enum natgw_cost_class c)
{
	if (d->gateway_endpoints && (c == NATGW_COST_S3 || c == NATGW_COST_DYNAMODB))
		return NATGW_COST_VIA_GATEWAY_ENDPOINT;
	if (c != NATGW_COST_INTERNET && find_name((const name_t *)d->interface, d->n_interface,
			name, strlen(name)) >= 0)
		return NATGW_COST_VIA_INTERFACE_ENDPOINT;
	return NATGW_COST_VIA_NAT;
}

/* The monthly volumes of @p r's services, all through the NAT (@p all_nat) or
 * each by its route. */
static void
volumes_of(const struct natgw_cost_report *r, bool all_nat, struct volumes *v)
{
	double to_gb_month = r->month_factor / r->prices.gb_bytes;
	unsigned int i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < r->n; i++) {
		double out = (double)r->svc[i].bytes_out * to_gb_month;
		double gb = out + (double)r->svc[i].bytes_in * to_gb_month;
		bool used = (r->svc[i].bytes_out | r->svc[i].bytes_in) != 0;

		if (r->svc[i].cls == NATGW_COST_INTERNET)
			v->internet_out += out;
		switch (all_nat ? NATGW_COST_VIA_NAT : r->svc[i].route) {
		case NATGW_COST_VIA_NAT:
			v->nat += gb;
			v->nat_used |= used;
			break;
		case NATGW_COST_VIA_GATEWAY_ENDPOINT:
			v->gateway += gb;
			v->n_gateway += used;
			break;
		case NATGW_COST_VIA_INTERFACE_ENDPOINT:
			v->interface += gb;
			v->n_interface += used;
			break;
		}
	}
}

/* One design's bill; the NAT design keeps its gateways whatever it carries. */
static void
bill(const struct natgw_cost_report *r, bool all_nat, struct natgw_cost_bill *b)
{
	const struct natgw_cost_prices *p = &r->prices;
	const struct natgw_cost_design *d = &r->design;
	double f = r->month_factor, h = p->hours_per_month;
	struct volumes v;

	volumes_of(r, all_nat, &v);
	if (all_nat || v.nat_used)
		add_item(b, f, "nat_gateway.per_hour", "hour", d->n_nat * h,
			p->nat_gateway.per_hour, "NAT gateway hours (%u gateway%s)", d->n_nat,
			d->n_nat == 1 ? "" : "s");
	if (v.nat > 0)
		add_item(b, f, "nat_gateway.per_gb", "GB", v.nat, p->nat_gateway.per_gb,
			"NAT gateway data processed");
	if (v.n_gateway > 0) {
		add_item(b, f, "gateway_endpoint.per_hour", "hour", v.n_gateway * h,
			p->gateway_endpoint.per_hour, "Gateway endpoint hours (%u endpoint%s)",
			v.n_gateway, v.n_gateway == 1 ? "" : "s");
		add_item(b, f, "gateway_endpoint.per_gb", "GB", v.gateway,
			p->gateway_endpoint.per_gb, "Gateway endpoint data");
	}
	if (v.n_interface > 0) {
		add_item(b, f, "interface_endpoint.per_hour", "hour", v.n_interface * d->n_az * h,
			p->interface_endpoint.per_hour, "Interface endpoint hours (%u in %u AZ%s)",
			v.n_interface, d->n_az, d->n_az == 1 ? "" : "s");
		add_tiered(b, f, "interface_endpoint.per_gb_tiers", "Interface endpoint data",
			&p->interface_endpoint.per_gb_tiers, v.interface);
	}
	if (v.internet_out > 0)
		add_internet(b, f, p, v.internet_out);
}

/* The services of @p u into @p r, checked. */
static int
take_services(const struct natgw_cost_usage *u, struct natgw_cost_report *r, char *err,
		size_t errlen)
{
	unsigned int i, j;

	if (u->n > NATGW_COST_MAX_SERVICES)
		return cost_fail(err, errlen, "more than %d services", NATGW_COST_MAX_SERVICES);
	for (i = 0; i < u->n; i++) {
		const struct natgw_cost_service *s = &u->svc[i];
		size_t len = s->name == NULL ? 0 : strlen(s->name);

		if (check_name(s->name, len, err, errlen) < 0)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(r->svc[j].name, s->name) == 0)
				return cost_fail(err, errlen, "service %s given twice", s->name);
		if ((unsigned int)s->cls >= NATGW_COST_CLASSES)
			return cost_fail(err, errlen, "service %s: unknown class %d", s->name,
				(int)s->cls);
		memcpy(r->svc[i].name, s->name, len + 1);
		r->svc[i].cls = s->cls;
		r->svc[i].bytes_out = s->bytes_out;
		r->svc[i].bytes_in = s->bytes_in;
		r->svc[i].route = route_of(&r->design, s->name, s->cls);
	}
	r->n = u->n;
	return 0;
}

int
natgw_cost_compute(const struct natgw_cost_prices *p, const struct natgw_cost_design *d,
		const struct natgw_cost_usage *usage, struct natgw_cost_report *out, char *err,
		size_t errlen)
{
	char why[256];

	memset(out, 0, sizeof(*out));
	if (!(usage->span_s > 0) || !isfinite(usage->span_s))
		return cost_fail(err, errlen, "run span %g s: must be a positive number of seconds",
			usage->span_s);
	if (d->n_nat < 1 || d->n_az < 1)
		return cost_fail(err, errlen, "design: at least one NAT gateway and one AZ, not %u "
			"and %u", d->n_nat, d->n_az);
	if (d->n_interface > NATGW_COST_MAX_SERVICES)
		return cost_fail(err, errlen, "design: more than %d services",
			NATGW_COST_MAX_SERVICES);
	if (cost_prices_check(p, why, sizeof(why)) < 0)
		return cost_fail(err, errlen, "prices: %s", why);
	out->prices = *p;
	out->design = *d;
	out->span_s = usage->span_s;
	out->month_factor = p->hours_per_month * 3600.0 / usage->span_s;
	if (take_services(usage, out, err, errlen) < 0)
		return -1;
	bill(out, true, &out->nat);
	bill(out, false, &out->endpoints);
	out->saving_run = out->nat.run - out->endpoints.run;
	out->saving_month = out->nat.month - out->endpoints.month;
	return 0;
}
