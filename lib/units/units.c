/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natgw_units.h"

struct unit {
	const char *name;
	double mult;
};

/* Prefixes, then the duration units (matched whole: "m" is not "ms"). */
static const struct unit decimal[] = {
	{"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
};
static const struct unit binary[] = {
	{"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
};
static const struct unit durations[] = {
	{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A plain decimal number at the start of @p s: strtod's decimal form without
 * its sign, spaces, hex, inf and nan, none of which an option means. */
static int
number(const char *s, double *v, const char **end)
{
	char *e;

	if (!((*s >= '0' && *s <= '9') || *s == '.') || (s[0] == '0' && (s[1] | 0x20) == 'x'))
		return -1;
	errno = 0;
	*v = strtod(s, &e);
	if (e == s || errno == ERANGE || !isfinite(*v))
		return -1;
	*end = e;
	return 0;
}

/* The unit of @p u that @p s starts with (whole, when @p whole), or NULL. */
static const struct unit *
unit_at(const char *s, const struct unit *u, size_t n, int whole)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t l = strlen(u[i].name);

		if (strncmp(s, u[i].name, l) == 0 && (!whole || s[l] == 0))
			return &u[i];
	}
	return NULL;
}

/* At @p s: a prefix, or none (binary ones tried first: "Mi" is not "M" then
 * "i"), then @p word or nothing. Its multiplier into @p mult; @return 0 or -1. */
static int
prefixed(const char *s, int with_binary, const char *word, double *mult)
{
	const struct unit *u = with_binary ? unit_at(s, binary, N(binary), 0) : NULL;

	if (u == NULL)
		u = unit_at(s, decimal, N(decimal), 0);
	*mult = u ? u->mult : 1;
	if (u)
		s += strlen(u->name);
	return *s == 0 || (word && strcmp(s, word) == 0) ? 0 : -1;
}

int
natgw_qty_parse(const char *s, enum natgw_qty kind, double *v)
{
	const struct unit *u;
	const char *rest;
	double x, mult = 1;
	int rc = 0;

	if (number(s, &x, &rest) < 0)
		return NATGW_QTY_NOT_NUMBER;
	switch (kind) {
	case NATGW_QTY_PLAIN:
		rc = *rest ? -1 : 0;
		break;
	case NATGW_QTY_COUNT:
		rc = prefixed(rest, 0, NULL, &mult);
		break;
	case NATGW_QTY_BITRATE:
		rc = prefixed(rest, 0, "bps", &mult);
		break;
	case NATGW_QTY_PKTRATE:
		rc = prefixed(rest, 0, "pps", &mult);
		break;
	case NATGW_QTY_BYTES:
		rc = prefixed(rest, 1, "B", &mult);
		break;
	case NATGW_QTY_FRACTION:
		if (strcmp(rest, "%") == 0) {
			/* Divided, not times 0.01 (inexact): "95%" is 0.95 exactly
			 * as "0.95" is. */
			*v = x / 100;
			return 0;
		}
		rc = *rest ? -1 : 0;
		break;
	case NATGW_QTY_SECONDS:
		if (*rest == 0) {
			mult = 1e9;
			break;
		}
		/* fall through */
	case NATGW_QTY_DURATION:
		u = unit_at(rest, durations, N(durations), 1);
		if (u)
			mult = u->mult;
		else
			rc = -1;
		break;
	}
	if (rc < 0)
		return NATGW_QTY_BAD_UNIT;
	*v = x * mult;
	return 0;
}

/* A count or a rate in the largest decimal prefix that holds it exactly. */
static const char *
format_count(char *buf, size_t len, double v)
{
	size_t i = N(decimal);

	/* From T down to k (K is k's other spelling), then none. */
	while (i-- > 0) {
		double q = v / decimal[i].mult;

		if (q < 1 || decimal[i].name[0] == 'K')
			continue;
		snprintf(buf, len, "%.15g", q);
		if (strtod(buf, NULL) * decimal[i].mult == v) {
			snprintf(buf, len, "%.15g%s", q, decimal[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
	return buf;
}

const char *
natgw_qty_format_ns(char *buf, size_t len, uint64_t ns)
{
	size_t i = N(durations) - 1;

	while (i > 0 && (ns == 0 || ns % (uint64_t)durations[i].mult != 0))
		i--;
	snprintf(buf, len, "%llu%s", (unsigned long long)(ns / (uint64_t)durations[i].mult),
		durations[i].name);
	return buf;
}

const char *
natgw_qty_format(char *buf, size_t len, enum natgw_qty kind, double v)
{
	switch (kind) {
	case NATGW_QTY_DURATION:
	case NATGW_QTY_SECONDS:
		return natgw_qty_format_ns(buf, len, (uint64_t)llround(v));
	case NATGW_QTY_FRACTION:
		snprintf(buf, len, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, len, "%.17g", v);
		return buf;
	default:
		return format_count(buf, len, v);
	}
}
