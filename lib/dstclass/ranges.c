/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AWS's ip-ranges.json in an rte_lpm. Every IPv4 entry is checked and parsed
 * into a list; the list is sorted by prefix, so that the entries of one
 * prefix are together with the most specific service first, and each
 * distinct prefix goes into the table once. The next hop packs the service id
 * (bits 8-15) with the region's index (bits 0-7): rte_lpm's 24 bits hold both,
 * so no side table is needed. Prefixes nested in others are left to the
 * longest match: a /23 AMAZON inside a /11 EC2 is an AWS service's block,
 * not an instance's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_malloc.h>

#include "natgw_build_config.h"
#include "dst_private.h"

struct natgw_dst_ranges {
	struct rte_lpm *lpm;
	uint32_t n_prefixes;
	unsigned int n_regions; /* names in region[], with "" at 0 */
	char date[NATGW_DST_REGION_MAX];
	char region[NATGW_DST_MAX_REGIONS + 1][NATGW_DST_REGION_MAX];
};

/* One IPv4 entry of the file. */
struct rng {
	uint32_t net;   /* host order */
	uint8_t depth;
	uint8_t service;
	uint8_t rank;   /* prefix_rank() */
	uint8_t region;
	uint32_t order; /* in the file */
};

/* An ip-ranges service name: its id, and how specific it is (higher wins
 * where one prefix is listed under several). */
static void
map_service(const char *s, uint8_t *id, uint8_t *rank)
{
	static const struct {
		const char *name;
		uint8_t id, rank;
	} known[] = {
		{"S3", NATGW_DST_S3, 4},
		{"DYNAMODB", NATGW_DST_DYNAMODB, 4},
		{"CLOUDFRONT", NATGW_DST_CLOUDFRONT, 3},
		{"EC2", NATGW_DST_EC2, 1},
		{"AMAZON", NATGW_DST_AWS, 0},
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(known); i++) {
		if (strcmp(s, known[i].name) == 0) {
			*id = known[i].id;
			*rank = known[i].rank;
			return;
		}
	}
	*id = NATGW_DST_AWS; /* any other named service */
	*rank = 2;
}

/* Parse a decimal number of at most @p max, no sign, no leading zero. */
static const char *
parse_num(const char *p, uint32_t max, uint32_t *v)
{
	uint32_t n = 0;
	const char *s = p;

	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (uint32_t)(*p - '0');
		if (n > max || (p > s && *s == '0'))
			return NULL;
		p++;
	}
	*v = n;
	return p == s ? NULL : p;
}

/* "a.b.c.d/n", strictly. @return 0, -1 not a prefix, -2 address bits set
 * past the length. */
static int
parse_prefix(const char *s, uint32_t *net, uint8_t *depth)
{
	uint32_t a = 0, v, i;

	for (i = 0; i < 4; i++) {
		s = parse_num(s, 255, &v);
		if (s == NULL || *s != (i < 3 ? '.' : '/'))
			return -1;
		a = a << 8 | v;
		s++;
	}
	s = parse_num(s, 32, &v);
	if (s == NULL || *s != '\0' || v == 0)
		return -1;
	if (v < 32 && (a & (UINT32_MAX >> v)) != 0)
		return -2;
	*net = a;
	*depth = (uint8_t)v;
	return 0;
}

static bool
region_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= NATGW_DST_REGION_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = dst_lower((unsigned char)s[i]);

		if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-')
			return false;
	}
	return true;
}

/* The index of region @p s, added if new; -1 when the table is full. */
static int
region_add(struct natgw_dst_ranges *r, const char *s)
{
	unsigned int i;

	for (i = 1; i < r->n_regions; i++)
		if (strcmp(r->region[i], s) == 0)
			return (int)i;
	if (r->n_regions > NATGW_DST_MAX_REGIONS)
		return -1;
	snprintf(r->region[r->n_regions], NATGW_DST_REGION_MAX, "%s", s);
	return (int)r->n_regions++;
}

static void __rte_format_printf(4, 5)
fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, what);
}

/* A string member of entry @p i, or NULL with @p err filled. */
static const char *
member(json_t *e, const char *key, size_t i, const char *path, char *err, size_t errlen)
{
	const char *s = json_string_value(json_object_get(e, key));

	if (s == NULL)
		fail(err, errlen, path, "prefixes[%zu].%s: %s", i, key,
			json_object_get(e, key) == NULL ? "missing" : "not a string");
	return s;
}

/* Check and parse the file's "prefixes" into @p out. @return 0, or -1 with
 * @p err filled. */
static int
parse_entries(struct natgw_dst_ranges *r, json_t *prefixes, struct rng *out,
		const char *path, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < json_array_size(prefixes); i++) {
		json_t *e = json_array_get(prefixes, i);
		const char *pfx, *region, *service;
		int ri, rc;

		if (!json_is_object(e)) {
			fail(err, errlen, path, "prefixes[%zu]: not an object", i);
			return -1;
		}
		if ((pfx = member(e, "ip_prefix", i, path, err, errlen)) == NULL ||
				(region = member(e, "region", i, path, err, errlen)) == NULL ||
				(service = member(e, "service", i, path, err, errlen)) == NULL)
			return -1;
		rc = parse_prefix(pfx, &out[i].net, &out[i].depth);
		if (rc < 0) {
			fail(err, errlen, path, "prefixes[%zu].ip_prefix: %s: %s", i,
				rc == -1 ? "not an IPv4 prefix" : "address bits set past the length",
				pfx);
			return -1;
		}
		if (!region_ok(region)) {
			fail(err, errlen, path, "prefixes[%zu].region: not a region: \"%s\"", i,
				region);
			return -1;
		}
		if (service[0] == '\0') {
			fail(err, errlen, path, "prefixes[%zu].service: empty", i);
			return -1;
		}
		if ((ri = region_add(r, region)) < 0) {
			fail(err, errlen, path, "prefixes[%zu].region: more than %d regions", i,
				NATGW_DST_MAX_REGIONS);
			return -1;
		}
		out[i].region = (uint8_t)ri;
		out[i].order = (uint32_t)i;
		map_service(service, &out[i].service, &out[i].rank);
	}
	return 0;
}

/* By prefix, then the most specific service, then the file's order. */
static int
rng_cmp(const void *a, const void *b)
{
	const struct rng *x = a, *y = b;

	if (x->net != y->net)
		return x->net < y->net ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool
same_prefix(const struct rng *a, const struct rng *b)
{
	return a->net == b->net && a->depth == b->depth;
}

/* Make the LPM and add the sorted entries' distinct prefixes. */
static int
fill_lpm(struct natgw_dst_ranges *r, const struct rng *e, size_t n, const char *path,
		char *err, size_t errlen)
{
	static uint32_t seq;
	struct rte_lpm_config cfg = {0};
	char name[RTE_LPM_NAMESIZE];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (i > 0 && same_prefix(&e[i], &e[i - 1]))
			continue;
		r->n_prefixes++;
		if (e[i].depth > 24)
			cfg.number_tbl8s++; /* at most one group a prefix */
	}
	cfg.max_rules = r->n_prefixes;
	cfg.number_tbl8s = RTE_MAX(cfg.number_tbl8s, 1u);
	snprintf(name, sizeof(name), "natgw_dst_%u", __atomic_fetch_add(&seq, 1,
		__ATOMIC_RELAXED));
	r->lpm = rte_lpm_create(name, SOCKET_ID_ANY, &cfg);
	if (r->lpm == NULL) {
		fail(err, errlen, path, "cannot make the prefix table (%u prefixes): %s",
			r->n_prefixes, rte_strerror(rte_errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (i > 0 && same_prefix(&e[i], &e[i - 1]))
			continue;
		rc = rte_lpm_add(r->lpm, e[i].net, e[i].depth,
			(uint32_t)e[i].service << 8 | e[i].region);
		if (rc < 0) {
			fail(err, errlen, path, "prefixes[%u]: cannot add to the prefix table: %s",
				e[i].order, rte_strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* The whole file into @p r. */
static int
load(struct natgw_dst_ranges *r, const char *path, char *err, size_t errlen)
{
	json_t *root, *prefixes;
	json_error_t je;
	struct rng *e = NULL;
	const char *date;
	size_t n;
	FILE *f;
	int rc = -1;

	f = fopen(path, "r");
	if (f == NULL) {
		fail(err, errlen, path, "%s", strerror(errno));
		return -1;
	}
	root = json_loadf(f, 0, &je);
	fclose(f);
	if (root == NULL) {
		fail(err, errlen, path, "line %d column %d: %s", je.line, je.column, je.text);
		return -1;
	}
	prefixes = json_object_get(root, "prefixes");
	if (!json_is_object(root)) {
		fail(err, errlen, path, "not a JSON object");
	} else if (!json_is_array(prefixes)) {
		fail(err, errlen, path, "prefixes: %s",
			prefixes == NULL ? "missing" : "not an array");
	} else if ((n = json_array_size(prefixes)) == 0) {
		fail(err, errlen, path, "prefixes: empty");
	} else if ((e = calloc(n, sizeof(*e))) == NULL) {
		fail(err, errlen, path, "out of memory");
	} else if (parse_entries(r, prefixes, e, path, err, errlen) == 0) {
		qsort(e, n, sizeof(*e), rng_cmp);
		rc = fill_lpm(r, e, n, path, err, errlen);
	}
	date = json_string_value(json_object_get(root, "createDate"));
	if (rc == 0 && date != NULL)
		snprintf(r->date, sizeof(r->date), "%s", date);
	free(e);
	json_decref(root);
	return rc;
}

struct natgw_dst_ranges *
natgw_dst_ranges_load(const char *path, char *err, size_t errlen)
{
	struct natgw_dst_ranges *r;

	r = rte_zmalloc("natgw_dst_ranges", sizeof(*r), 0);
	if (r == NULL) {
		fail(err, errlen, path, "out of memory");
		return NULL;
	}
	r->n_regions = 1; /* 0: "" */
	if (load(r, path, err, errlen) < 0) {
		natgw_dst_ranges_free(r);
		return NULL;
	}
	return r;
}

void
natgw_dst_ranges_free(struct natgw_dst_ranges *r)
{
	if (r == NULL)
		return;
	rte_lpm_free(r->lpm);
	rte_free(r);
}

unsigned int
natgw_dst_ranges_lookup(const struct natgw_dst_ranges *r, uint32_t ip, uint8_t *region)
{
	uint32_t nh;

	if (r == NULL || rte_lpm_lookup(r->lpm, rte_be_to_cpu_32(ip), &nh) != 0)
		nh = NATGW_DST_INTERNET << 8;
	if (region != NULL)
		*region = (uint8_t)nh;
	return (nh >> 8) & 0xff;
}

uint32_t
natgw_dst_ranges_count(const struct natgw_dst_ranges *r)
{
	return r != NULL ? r->n_prefixes : 0;
}

const char *
natgw_dst_ranges_date(const struct natgw_dst_ranges *r)
{
	return r != NULL ? r->date : "";
}

const char *
natgw_dst_region_name(const struct natgw_dst_ranges *r, unsigned int idx)
{
	return r != NULL && idx < r->n_regions ? r->region[idx] : "";
}

unsigned int
natgw_dst_region_index(const struct natgw_dst_ranges *r, const char *name)
{
	unsigned int i;

	for (i = 1; r != NULL && name != NULL && i < r->n_regions; i++)
		if (strcasecmp(r->region[i], name) == 0)
			return i;
	return 0;
}

const char *
natgw_dst_default_ipranges_path(void)
{
	static const char installed[] = NATGW_DATADIR "/" NATGW_IPRANGES;

	if (access(installed, R_OK) == 0)
		return installed;
	return NATGW_BUILDDATA "/" NATGW_IPRANGES;
}
