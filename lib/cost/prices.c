/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prices: the compiled-in defaults, the price file, one-key overrides, and the
 * prices back as JSON.
 *
 * The file is read by flattening it to dotted keys ("nat_gateway.per_gb",
 * "internet_out.per_gb_tiers.2.price") and setting each through the same key
 * table as an override, so the two accept exactly the same keys and values.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natgw_build_config.h"
#include "natgw_cost.h"
#include "cost_private.h"

#define PRICE_FILE "prices-us-east-1.json"
#define KEY_MAX 128

static const struct natgw_cost_prices default_prices = {
	.region = "us-east-1",
	.source = "AWS list prices, us-east-1, 2026: Amazon VPC pricing (NAT gateway), "
		"AWS PrivateLink pricing, Amazon EC2 on-demand pricing (data transfer); "
		"they change: this file is the place to update them",
	.gb_bytes = 1073741824.0,
	.hours_per_month = 730.0,
	.nat_gateway = {.per_hour = 0.045, .per_gb = 0.045},
	.gateway_endpoint = {.per_hour = 0.0, .per_gb = 0.0},
	.interface_endpoint = {
		.per_hour = 0.01,
		.per_gb_tiers = {3, {
			{1048576.0, 0.01},   /* first 1 PB */
			{5242880.0, 0.006},  /* next 4 PB */
			{INFINITY, 0.004},   /* over 5 PB */
		}},
	},
	.internet_out = {
		.free_gb = 100.0,
		.per_gb_tiers = {4, {
			{10240.0, 0.09},     /* first 10 TB */
			{51200.0, 0.085},    /* next 40 TB */
			{153600.0, 0.07},    /* next 100 TB */
			{INFINITY, 0.05},    /* over 150 TB */
		}},
	},
};

/* What a value must be. */
enum check {
	CHECK_PRICE,    /* finite, >= 0 */
	CHECK_POSITIVE, /* finite, > 0 */
	CHECK_WHOLE,    /* a whole number >= 1 */
	CHECK_BOUND,    /* a tier's upper bound: > 0, INFINITY (null) for the last */
};

#define PRICE_KEY(name, field, check) \
	{name, offsetof(struct natgw_cost_prices, field), check}

/* The number keys, in the file's order. */
static const struct {
	const char *name;
	size_t off;
	enum check check;
} num_keys[] = {
	PRICE_KEY("gb_bytes", gb_bytes, CHECK_WHOLE),
	PRICE_KEY("hours_per_month", hours_per_month, CHECK_POSITIVE),
	PRICE_KEY("nat_gateway.per_hour", nat_gateway.per_hour, CHECK_PRICE),
	PRICE_KEY("nat_gateway.per_gb", nat_gateway.per_gb, CHECK_PRICE),
	PRICE_KEY("gateway_endpoint.per_hour", gateway_endpoint.per_hour, CHECK_PRICE),
	PRICE_KEY("gateway_endpoint.per_gb", gateway_endpoint.per_gb, CHECK_PRICE),
	PRICE_KEY("interface_endpoint.per_hour", interface_endpoint.per_hour, CHECK_PRICE),
	PRICE_KEY("internet_out.free_gb", internet_out.free_gb, CHECK_PRICE),
};
#define N_NUM_KEYS (sizeof(num_keys) / sizeof(num_keys[0]))

/* The tiered keys: arrays of {"upto_gb", "price"}. */
static const struct {
	const char *name;
	size_t off;
} tier_keys[] = {
	{"interface_endpoint.per_gb_tiers",
		offsetof(struct natgw_cost_prices, interface_endpoint.per_gb_tiers)},
	{"internet_out.per_gb_tiers",
		offsetof(struct natgw_cost_prices, internet_out.per_gb_tiers)},
};
#define N_TIER_KEYS (sizeof(tier_keys) / sizeof(tier_keys[0]))

/* Seen flags of a file's keys: numbers, then tier fields, then the strings. */
#define SEEN_TIER(t, i, f) (N_NUM_KEYS + ((t) * NATGW_COST_MAX_TIERS + (i)) * 2 + (f))
#define SEEN_REGION SEEN_TIER(N_TIER_KEYS, 0, 0)
#define SEEN_SOURCE (SEEN_REGION + 1)
#define N_SEEN (SEEN_SOURCE + 1)

/* A number a key names. */
struct slot {
	double *v;
	enum check check;
	unsigned int seen;
};

void
natgw_cost_prices_defaults(struct natgw_cost_prices *p)
{
	*p = default_prices;
}

static struct natgw_cost_tiers *
tiers_at(struct natgw_cost_prices *p, unsigned int t)
{
	return (struct natgw_cost_tiers *)((char *)p + tier_keys[t].off);
}

static const struct natgw_cost_tiers *
tiers_of(const struct natgw_cost_prices *p, unsigned int t)
{
	return (const struct natgw_cost_tiers *)((const char *)p + tier_keys[t].off);
}

/* The tiered key @p name is, or -1. */
static int
tier_key(const char *name)
{
	unsigned int t;

	for (t = 0; t < N_TIER_KEYS; t++)
		if (strcmp(name, tier_keys[t].name) == 0)
			return (int)t;
	return -1;
}

/* "<tiered key>.<index>.<upto_gb|price>": the slot, or -1. */
static int
tier_slot(struct natgw_cost_prices *p, const char *name, struct slot *s, char *why, size_t n)
{
	unsigned int t;
	unsigned long i;
	size_t len;
	char *end;

	for (t = 0; t < N_TIER_KEYS; t++) {
		len = strlen(tier_keys[t].name);
		if (strncmp(name, tier_keys[t].name, len) == 0 && name[len] == '.')
			break;
	}
	if (t == N_TIER_KEYS)
		return cost_fail(why, n, "unknown key %s", name);
	name += len + 1;
	if (name[0] < '0' || name[0] > '9')
		return cost_fail(why, n, "unknown key %s.%s", tier_keys[t].name, name);
	errno = 0;
	i = strtoul(name, &end, 10);
	if (errno != 0 || i >= tiers_at(p, t)->n || *end != '.')
		return cost_fail(why, n, "%s.%s: no such tier (there are %u)", tier_keys[t].name,
			name, tiers_at(p, t)->n);
	if (strcmp(end, ".upto_gb") == 0) {
		s->v = &tiers_at(p, t)->tier[i].upto_gb;
		s->check = CHECK_BOUND;
		s->seen = SEEN_TIER(t, i, 0);
	} else if (strcmp(end, ".price") == 0) {
		s->v = &tiers_at(p, t)->tier[i].price;
		s->check = CHECK_PRICE;
		s->seen = SEEN_TIER(t, i, 1);
	} else {
		return cost_fail(why, n, "unknown key %s.%s", tier_keys[t].name, name);
	}
	return 0;
}

/* The number @p name names in @p p. @return 0, or -1 with @p why. */
static int
slot_of(struct natgw_cost_prices *p, const char *name, struct slot *s, char *why, size_t n)
{
	unsigned int k;

	for (k = 0; k < N_NUM_KEYS; k++) {
		if (strcmp(name, num_keys[k].name) == 0) {
			s->v = (double *)((char *)p + num_keys[k].off);
			s->check = num_keys[k].check;
			s->seen = k;
			return 0;
		}
	}
	return tier_slot(p, name, s, why, n);
}

/* Whether @p v may be what @p c says. @return 0, or -1 with @p why. */
static int
check_value(const char *name, enum check c, double v, char *why, size_t n)
{
	if (c == CHECK_BOUND && isinf(v) && v > 0)
		return 0;
	if (!isfinite(v))
		return cost_fail(why, n, "%s: not a finite number", name);
	switch (c) {
	case CHECK_PRICE:
		if (v < 0)
			return cost_fail(why, n, "%s: negative (%g)", name, v);
		break;
	case CHECK_POSITIVE:
	case CHECK_BOUND:
		if (v <= 0)
			return cost_fail(why, n, "%s: must be above 0 (%g)", name, v);
		break;
	case CHECK_WHOLE:
		if (v < 1 || v > 9007199254740992.0 || v != floor(v))
			return cost_fail(why, n, "%s: must be a whole number of at least 1 (%g)",
				name, v);
		break;
	}
	return 0;
}

/* Every tiered price: bounds that increase, the last one unbounded. */
static int
check_tiers(const struct natgw_cost_prices *p, char *why, size_t n)
{
	const struct natgw_cost_tiers *ts;
	unsigned int t, i;
	double prev;

	for (t = 0; t < N_TIER_KEYS; t++) {
		ts = tiers_of(p, t);
		if (ts->n < 1 || ts->n > NATGW_COST_MAX_TIERS)
			return cost_fail(why, n, "%s: 1 to %d tiers, not %u", tier_keys[t].name,
				NATGW_COST_MAX_TIERS, ts->n);
		prev = 0;
		for (i = 0; i < ts->n; i++) {
			double b = ts->tier[i].upto_gb;

			if (i + 1 == ts->n && !isinf(b))
				return cost_fail(why, n, "%s.%u.upto_gb: the last tier has no "
					"upper bound (null), not %g", tier_keys[t].name, i, b);
			if (i + 1 < ts->n && isinf(b))
				return cost_fail(why, n, "%s.%u.upto_gb: only the last tier is "
					"unbounded", tier_keys[t].name, i);
			if (b <= prev)
				return cost_fail(why, n, "%s.%u.upto_gb: %g is not above the tier "
					"before (%g)", tier_keys[t].name, i, b, prev);
			prev = b;
		}
	}
	return 0;
}

int
cost_prices_check(const struct natgw_cost_prices *p, char *why, size_t n)
{
	unsigned int k;

	for (k = 0; k < N_NUM_KEYS; k++)
		if (check_value(num_keys[k].name, num_keys[k].check,
				*(const double *)((const char *)p + num_keys[k].off), why, n) < 0)
			return -1;
	return check_tiers(p, why, n);
}

/* A file being read: the prices and the keys seen. */
struct load {
	struct natgw_cost_prices *p;
	bool seen[N_SEEN];
};

static int
load_string(struct load *l, const char *name, const json_t *v, char *why, size_t n)
{
	bool region = strcmp(name, "region") == 0;
	char *dst = region ? l->p->region : l->p->source;
	size_t room = region ? sizeof(l->p->region) : sizeof(l->p->source);

	if (!json_is_string(v))
		return cost_fail(why, n, "%s: not a string", name);
	if (json_string_length(v) >= room)
		return cost_fail(why, n, "%s: longer than %zu characters", name, room - 1);
	if (region && json_string_length(v) == 0)
		return cost_fail(why, n, "region: empty");
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	l->seen[region ? SEEN_REGION : SEEN_SOURCE] = true;
	return 0;
}

static int
load_leaf(struct load *l, const char *name, const json_t *v, char *why, size_t n)
{
	struct slot s;
	double x;

	if (strcmp(name, "region") == 0 || strcmp(name, "source") == 0)
		return load_string(l, name, v, why, n);
	if (slot_of(l->p, name, &s, why, n) < 0)
		return -1;
	if (json_is_null(v) && s.check == CHECK_BOUND)
		x = INFINITY;
	else if (json_is_number(v))
		x = json_number_value(v);
	else
		return cost_fail(why, n, "%s: not a number%s", name,
			s.check == CHECK_BOUND ? " or null" : "");
	if (check_value(name, s.check, x, why, n) < 0)
		return -1;
	*s.v = x;
	l->seen[s.seen] = true;
	return 0;
}

static int load_value(struct load *l, const char *name, json_t *v, char *why, size_t n);

static int
load_tiers(struct load *l, int t, const char *name, json_t *v, char *why, size_t n)
{
	struct natgw_cost_tiers *ts = tiers_at(l->p, (unsigned int)t);
	char sub[KEY_MAX];
	size_t i;

	if (!json_is_array(v))
		return cost_fail(why, n, "%s: not an array", name);
	if (json_array_size(v) < 1 || json_array_size(v) > NATGW_COST_MAX_TIERS)
		return cost_fail(why, n, "%s: 1 to %d tiers, not %zu", name, NATGW_COST_MAX_TIERS,
			json_array_size(v));
	ts->n = (unsigned int)json_array_size(v);
	for (i = 0; i < ts->n; i++) {
		if (!json_is_object(json_array_get(v, i)))
			return cost_fail(why, n, "%s.%zu: not an object", name, i);
		snprintf(sub, sizeof(sub), "%s.%zu", name, i);
		if (load_value(l, sub, json_array_get(v, i), why, n) < 0)
			return -1;
	}
	return 0;
}

/* Set every key under @p v, named @p name ("" for the top). */
static int
load_value(struct load *l, const char *name, json_t *v, char *why, size_t n)
{
	char sub[KEY_MAX];
	const char *k;
	json_t *e;
	int t = tier_key(name);

	if (t >= 0)
		return load_tiers(l, t, name, v, why, n);
	if (!json_is_object(v))
		return load_leaf(l, name, v, why, n);
	json_object_foreach(v, k, e) {
		if (snprintf(sub, sizeof(sub), "%s%s%s", name, name[0] ? "." : "", k) >=
				(int)sizeof(sub))
			return cost_fail(why, n, "unknown key %.*s...", KEY_MAX / 2, sub);
		if (load_value(l, sub, e, why, n) < 0)
			return -1;
	}
	return 0;
}

/* The first key the file did not give, if any. @return 0, or -1 with @p why. */
static int
load_missing(const struct load *l, char *why, size_t n)
{
	const struct natgw_cost_tiers *ts;
	unsigned int k, t, i;

	if (!l->seen[SEEN_REGION])
		return cost_fail(why, n, "missing key region");
	for (k = 0; k < N_NUM_KEYS; k++)
		if (!l->seen[k])
			return cost_fail(why, n, "missing key %s", num_keys[k].name);
	for (t = 0; t < N_TIER_KEYS; t++) {
		ts = tiers_at(l->p, t);
		if (ts->n == 0)
			return cost_fail(why, n, "missing key %s", tier_keys[t].name);
		for (i = 0; i < ts->n; i++) {
			if (!l->seen[SEEN_TIER(t, i, 0)])
				return cost_fail(why, n, "missing key %s.%u.upto_gb",
					tier_keys[t].name, i);
			if (!l->seen[SEEN_TIER(t, i, 1)])
				return cost_fail(why, n, "missing key %s.%u.price",
					tier_keys[t].name, i);
		}
	}
	return 0;
}

int
natgw_cost_prices_load(struct natgw_cost_prices *p, const char *path, char *err, size_t errlen)
{
	struct load l = {.p = p};
	char why[256];
	json_error_t je;
	json_t *root;
	FILE *f;
	int rc;

	memset(p, 0, sizeof(*p));
	f = fopen(path, "r");
	if (f == NULL)
		return cost_fail(err, errlen, "%s: %s", path, strerror(errno));
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (root == NULL)
		return cost_fail(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
	if (!json_is_object(root))
		rc = cost_fail(why, sizeof(why), "not a JSON object");
	else
		rc = load_value(&l, "", root, why, sizeof(why));
	json_decref(root);
	if (rc == 0)
		rc = load_missing(&l, why, sizeof(why));
	if (rc == 0)
		rc = check_tiers(p, why, sizeof(why));
	if (rc < 0)
		return cost_fail(err, errlen, "%s: %s", path, why);
	return 0;
}

int
natgw_cost_prices_set(struct natgw_cost_prices *p, const char *assignment, char *err,
		size_t errlen)
{
	struct natgw_cost_prices q = *p;
	const char *eq = strchr(assignment, '=');
	char name[KEY_MAX], *end;
	struct slot s;
	double v;

	if (eq == NULL)
		return cost_fail(err, errlen, "%s: not KEY=NUMBER", assignment);
	if ((size_t)(eq - assignment) >= sizeof(name))
		return cost_fail(err, errlen, "%.*s...: unknown key", KEY_MAX / 2, assignment);
	memcpy(name, assignment, (size_t)(eq - assignment));
	name[eq - assignment] = 0;
	if (slot_of(&q, name, &s, err, errlen) < 0)
		return -1;
	errno = 0;
	v = strtod(eq + 1, &end);
	if (eq[1] == 0 || *end != 0 || errno == ERANGE || !isfinite(v))
		return cost_fail(err, errlen, "%s: not a number: \"%s\"", name, eq + 1);
	if (check_value(name, s.check, v, err, errlen) < 0)
		return -1;
	*s.v = v;
	if (check_tiers(&q, err, errlen) < 0)
		return -1;
	*p = q;
	return 0;
}

/* The object @p name's sections lead to under @p root (made as needed), and its
 * last part in @p leaf. */
static json_t *
json_section(json_t *root, const char *name, const char **leaf)
{
	const char *dot;
	char part[KEY_MAX];
	json_t *o;

	while ((dot = strchr(name, '.')) != NULL) {
		snprintf(part, sizeof(part), "%.*s", (int)(dot - name), name);
		o = json_object_get(root, part);
		if (o == NULL) {
			o = json_object();
			if (json_object_set_new(root, part, o) < 0)
				return NULL;
		}
		root = o;
		name = dot + 1;
	}
	*leaf = name;
	return root;
}

static json_t *
tiers_json(const struct natgw_cost_tiers *ts)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a != NULL && i < ts->n; i++) {
		json_t *b = isinf(ts->tier[i].upto_gb) ? json_null() :
			json_real(ts->tier[i].upto_gb);

		if (json_array_append_new(a, json_pack("{sosf}", "upto_gb", b,
				"price", ts->tier[i].price)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int
natgw_cost_prices_json(const struct natgw_cost_prices *p, json_t **out)
{
	json_t *o = json_pack("{ssss}", "region", p->region, "source", p->source), *sec;
	const char *leaf;
	unsigned int k;
	int rc = o == NULL ? -1 : 0;

	for (k = 0; rc == 0 && k < N_NUM_KEYS; k++) {
		double v = *(const double *)((const char *)p + num_keys[k].off);

		sec = json_section(o, num_keys[k].name, &leaf);
		rc = sec == NULL ? -1 : json_object_set_new(sec, leaf, num_keys[k].check ==
			CHECK_WHOLE ? json_integer((json_int_t)v) : json_real(v));
	}
	for (k = 0; rc == 0 && k < N_TIER_KEYS; k++) {
		sec = json_section(o, tier_keys[k].name, &leaf);
		rc = sec == NULL ? -1 : json_object_set_new(sec, leaf,
			tiers_json(tiers_of(p, k)));
	}
	if (rc < 0) {
		json_decref(o);
		return -1;
	}
	*out = o;
	return 0;
}

const char *
natgw_cost_default_prices_path(void)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", NATGW_BUILDDATA, PRICE_FILE);
	if (access(path, R_OK) == 0)
		return path;
	snprintf(path, sizeof(path), "%s/%s", NATGW_DATADIR, PRICE_FILE);
	return path;
}
