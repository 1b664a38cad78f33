/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tally: a run's sessions against a policy in the three designs, by
 * rule, and by destination in two bounded lists.
 *
 * A destination list keeps at most max entries, found by a scan of their
 * 32-bit hashes (a list is fed once a session, not once a packet). When it is
 * full, a new destination takes the place of the kept one with the fewest
 * bytes if its session brings more bytes than that one has; the one that
 * leaves, or the newcomer that does not get in, goes into "other". Totals
 * stay exact; a destination's own figures are exact unless it left the list
 * and came back (its earlier part is then in "other"), which cannot happen to
 * a run with at most max destinations.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "policy_private.h"

/* One destination of a list: its name if it has one, else its address. */
struct tally_dest {
	uint8_t service;
	bool named;
	uint32_t ip;                    /* network order; the first seen when named */
	char name[NATGW_DST_NAME_MAX];  /* normalised (policy_norm_name()), or "" */
	struct natgw_policy_count c;
};

struct tally_list {
	unsigned int n;                 /* entries held */
	uint32_t *hash;                 /* of each entry, for the scan */
	struct tally_dest *e;
	struct natgw_policy_count other;
	uint64_t moved;                 /* destinations that left the list or never got in */
};

/* The two lists. */
enum {
	LIST_VIOLATIONS, /* the NAT design's violations */
	LIST_BROKEN,     /* the endpoints design's broken sessions */
	N_LISTS
};

struct natgw_policy_tally {
	const struct natgw_policy *p;
	unsigned int max;               /* entries a list keeps */
	struct natgw_policy_count design[NATGW_POLICY_N_DESIGNS][NATGW_POLICY_N_OUTCOMES];
	struct natgw_policy_count *rule; /* [0]: the default, [1 + i]: rule i */
	struct tally_list list[N_LISTS];
};

static const char *const design_names[NATGW_POLICY_N_DESIGNS] = {
	[NATGW_POLICY_NAT] = "nat",
	[NATGW_POLICY_BLACKHOLE] = "blackhole",
	[NATGW_POLICY_ENDPOINTS] = "endpoints",
};

static const char *const outcome_names[NATGW_POLICY_N_OUTCOMES] = {
	[NATGW_POLICY_FLOW_WANTED] = "flow_wanted",
	[NATGW_POLICY_VIOLATION] = "violations",
	[NATGW_POLICY_BLOCKED] = "blocked",
	[NATGW_POLICY_BROKEN] = "broken",
};

const char *
natgw_policy_design_name(enum natgw_policy_design d)
{
	return (unsigned int)d < NATGW_POLICY_N_DESIGNS ? design_names[d] : NULL;
}

const char *
natgw_policy_outcome_name(enum natgw_policy_outcome o)
{
	return (unsigned int)o < NATGW_POLICY_N_OUTCOMES ? outcome_names[o] : NULL;
}

struct natgw_policy_tally *
natgw_policy_tally_create(const struct natgw_policy *p, unsigned int max_dests)
{
	struct natgw_policy_tally *t;
	unsigned int l;

	if (max_dests == 0)
		max_dests = NATGW_POLICY_TALLY_DESTS;
	if (max_dests > NATGW_POLICY_TALLY_DESTS_MAX)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->p = p;
	t->max = max_dests;
	t->rule = calloc(p->n_rules + 1, sizeof(*t->rule));
	for (l = 0; l < N_LISTS; l++) {
		t->list[l].hash = calloc(max_dests, sizeof(*t->list[l].hash));
		t->list[l].e = calloc(max_dests, sizeof(*t->list[l].e));
		if (t->list[l].hash == NULL || t->list[l].e == NULL)
			break;
	}
	if (t->rule == NULL || l < N_LISTS) {
		natgw_policy_tally_free(t);
		return NULL;
	}
	return t;
}

void
natgw_policy_tally_free(struct natgw_policy_tally *t)
{
	unsigned int l;

	if (t == NULL)
		return;
	for (l = 0; l < N_LISTS; l++) {
		free(t->list[l].hash);
		free(t->list[l].e);
	}
	free(t->rule);
	free(t);
}

static void
count_add(struct natgw_policy_count *to, const struct natgw_policy_count *c)
{
	to->sessions += c->sessions;
	to->packets += c->packets;
	to->bytes += c->bytes;
}

/* FNV-1a over the name (or the address) and the service. */
static uint32_t
dest_hash(const struct tally_dest *k)
{
	const unsigned char *s = k->named ? (const unsigned char *)k->name :
		(const unsigned char *)&k->ip;
	size_t i, n = k->named ? strlen(k->name) : sizeof(k->ip);
	uint32_t h = 2166136261u ^ k->service;

	for (i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	return h;
}

static bool
dest_same(const struct tally_dest *a, const struct tally_dest *b)
{
	if (a->service != b->service || a->named != b->named)
		return false;
	return a->named ? strcmp(a->name, b->name) == 0 : a->ip == b->ip;
}

/* Add @p k's counts to its entry, or make one, or put them in "other". */
static void
list_add(struct tally_list *l, unsigned int max, const struct tally_dest *k)
{
	uint32_t h = dest_hash(k);
	unsigned int i, min = 0;

	for (i = 0; i < l->n; i++) {
		if (l->hash[i] == h && dest_same(&l->e[i], k)) {
			count_add(&l->e[i].c, &k->c);
			return;
		}
	}
	if (l->n < max) {
		i = l->n++;
	} else {
		for (i = 1; i < l->n; i++)
			if (l->e[i].c.bytes < l->e[min].c.bytes)
				min = i;
		l->moved++;
		if (k->c.bytes <= l->e[min].c.bytes) {
			count_add(&l->other, &k->c);
			return;
		}
		count_add(&l->other, &l->e[min].c);
		i = min;
	}
	l->hash[i] = h;
	l->e[i] = *k;
}

void
natgw_policy_tally_add(struct natgw_policy_tally *t, const struct natgw_policy *p,
		const struct natgw_policy_dest *d, uint64_t pkts, uint64_t bytes,
		bool via_gateway_endpoint, bool via_interface_endpoint)
{
	struct tally_dest k = {.c = {1, pkts, bytes}};
	int idx = natgw_policy_eval(p, d);
	bool allowed = natgw_policy_rule_action(p, idx) == NATGW_POLICY_ALLOW;
	bool reach = via_gateway_endpoint || via_interface_endpoint;
	int list = -1;

	if (idx < (int)t->p->n_rules)
		count_add(&t->rule[idx + 1], &k.c);
	count_add(&t->design[NATGW_POLICY_NAT][allowed ? NATGW_POLICY_FLOW_WANTED :
		NATGW_POLICY_VIOLATION], &k.c);
	count_add(&t->design[NATGW_POLICY_BLACKHOLE][allowed ? NATGW_POLICY_BROKEN :
		NATGW_POLICY_BLOCKED], &k.c);
	if (!allowed) {
		count_add(&t->design[NATGW_POLICY_ENDPOINTS][NATGW_POLICY_BLOCKED], &k.c);
		list = LIST_VIOLATIONS;
	} else if (reach) {
		count_add(&t->design[NATGW_POLICY_ENDPOINTS][NATGW_POLICY_FLOW_WANTED], &k.c);
	} else {
		count_add(&t->design[NATGW_POLICY_ENDPOINTS][NATGW_POLICY_BROKEN], &k.c);
		list = LIST_BROKEN;
	}
	if (list < 0)
		return;
	k.service = d->service < NATGW_DST_N_SERVICES ? d->service : NATGW_DST_INTERNET;
	k.named = policy_norm_name(d->name, k.name) != NULL;
	if (!k.named)
		k.name[0] = '\0';
	k.ip = d->ip;
	list_add(&t->list[list], t->max, &k);
}

int
natgw_policy_tally_merge(struct natgw_policy_tally *dst, const struct natgw_policy_tally *src)
{
	unsigned int l, i, o;

	if (dst->p != src->p)
		return -1;
	for (i = 0; i < NATGW_POLICY_N_DESIGNS; i++)
		for (o = 0; o < NATGW_POLICY_N_OUTCOMES; o++)
			count_add(&dst->design[i][o], &src->design[i][o]);
	for (i = 0; i <= dst->p->n_rules; i++)
		count_add(&dst->rule[i], &src->rule[i]);
	for (l = 0; l < N_LISTS; l++) {
		for (i = 0; i < src->list[l].n; i++)
			list_add(&dst->list[l], dst->max, &src->list[l].e[i]);
		count_add(&dst->list[l].other, &src->list[l].other);
		dst->list[l].moved += src->list[l].moved;
	}
	return 0;
}

const struct natgw_policy_count *
natgw_policy_tally_count(const struct natgw_policy_tally *t, enum natgw_policy_design d,
		enum natgw_policy_outcome o)
{
	if ((unsigned int)d >= NATGW_POLICY_N_DESIGNS || (unsigned int)o >= NATGW_POLICY_N_OUTCOMES)
		return NULL;
	return &t->design[d][o];
}

const struct natgw_policy_count *
natgw_policy_tally_rule(const struct natgw_policy_tally *t, int idx)
{
	if (idx < -1 || idx >= (int)t->p->n_rules)
		return NULL;
	return &t->rule[idx + 1];
}

/* ------------------------------------------------------------- output */

/* Most bytes first, then most sessions, then by name or address. */
static int
cmp_dest(const void *a, const void *b)
{
	const struct tally_dest *x = *(const struct tally_dest *const *)a;
	const struct tally_dest *y = *(const struct tally_dest *const *)b;

	if (x->c.bytes != y->c.bytes)
		return x->c.bytes < y->c.bytes ? 1 : -1;
	if (x->c.sessions != y->c.sessions)
		return x->c.sessions < y->c.sessions ? 1 : -1;
	if (x->named != y->named)
		return x->named ? -1 : 1;
	if (x->named && strcmp(x->name, y->name) != 0)
		return strcmp(x->name, y->name);
	if (x->ip != y->ip)
		return ntohl(x->ip) < ntohl(y->ip) ? -1 : 1;
	return (int)x->service - (int)y->service;
}

/* The list's entries, sorted, in a new array (free it); NULL if empty or no memory. */
static const struct tally_dest **
sorted(const struct tally_list *l)
{
	const struct tally_dest **v;
	unsigned int i;

	if (l->n == 0)
		return NULL;
	v = malloc(l->n * sizeof(*v));
	if (v == NULL)
		return NULL;
	for (i = 0; i < l->n; i++)
		v[i] = &l->e[i];
	qsort(v, l->n, sizeof(*v), cmp_dest);
	return v;
}

/* A destination as people read it: its name, else its address. */
static const char *
dest_text(const struct tally_dest *e, char *buf, size_t n)
{
	struct in_addr a = {.s_addr = e->ip};

	if (e->named)
		return e->name;
	return inet_ntop(AF_INET, &a, buf, (socklen_t)n) ? buf : "?";
}

static json_t *
count_json(const struct natgw_policy_count *c)
{
	return json_pack("{sIsIsI}", "sessions", (json_int_t)c->sessions,
		"packets", (json_int_t)c->packets, "bytes", (json_int_t)c->bytes);
}

/* @p o (a new object) with the counts of @p c added; NULL (and @p o freed) on failure. */
static json_t *
with_count(json_t *o, const struct natgw_policy_count *c)
{
	json_t *cj = count_json(c);

	if (o == NULL || cj == NULL || json_object_update(o, cj) < 0) {
		json_decref(o);
		o = NULL;
	}
	json_decref(cj);
	return o;
}

static json_t *
list_json(const struct natgw_policy_tally *t, const struct tally_list *l)
{
	const struct tally_dest **v = sorted(l);
	json_t *dests = json_array(), *other;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a;
	unsigned int i;

	if (l->n > 0 && v == NULL) {
		json_decref(dests);
		return NULL;
	}
	for (i = 0; i < l->n; i++) {
		unsigned int svc = v[i]->service;

		a.s_addr = v[i]->ip;
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		dests = policy_json_append(dests, with_count(json_pack("{sssbssssss}",
			"destination", dest_text(v[i], ip, sizeof(ip)), "named", v[i]->named,
			"ip", ip, "service", natgw_dst_service_name(svc),
			"class", natgw_dst_class_name(natgw_dst_service_class(svc))), &v[i]->c));
	}
	free(v);
	other = with_count(json_pack("{sI}", "destinations", (json_int_t)l->moved), &l->other);
	return json_pack("{sIsoso}", "max", (json_int_t)t->max, "destinations", dests,
		"other", other);
}

/* One rule's line of "rules" or "violations_by_rule". */
static json_t *
rule_count_json(const struct natgw_policy_tally *t, const struct natgw_policy *p, int idx)
{
	return with_count(json_pack("{sissss}", "index", idx,
		"label", natgw_policy_rule_label(p, idx),
		"action", natgw_policy_action_name(natgw_policy_rule_action(p, idx))),
		&t->rule[idx + 1]);
}

/* Rules that denied a session under the NAT design, most bytes first. */
static int
cmp_rule_bytes(const void *a, const void *b, void *arg)
{
	const struct natgw_policy_count *r = arg;
	int x = *(const int *)a, y = *(const int *)b;

	if (r[x + 1].bytes != r[y + 1].bytes)
		return r[x + 1].bytes < r[y + 1].bytes ? 1 : -1;
	return x - y;
}

/* The deny rules (the default as -1) that decided a session, most bytes first,
 * into @p idx (room for n_rules + 1). @return how many. */
static unsigned int
violating_rules(const struct natgw_policy_tally *t, const struct natgw_policy *p, int *idx)
{
	unsigned int n = 0;
	int i;

	for (i = -1; i < (int)p->n_rules; i++)
		if (natgw_policy_rule_action(p, i) == NATGW_POLICY_DENY && t->rule[i + 1].sessions)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_rule_bytes, t->rule);
	return n;
}

int
natgw_policy_tally_json(const struct natgw_policy_tally *t, const struct natgw_policy *p,
		json_t **out)
{
	json_t *o, *pol = NULL, *rules = json_array(), *viol = json_array();
	json_t *designs = json_object();
	int *idx = malloc((p->n_rules + 1) * sizeof(*idx));
	unsigned int d, k, n = 0;
	bool bad;
	int i;

	if (idx != NULL)
		n = violating_rules(t, p, idx);
	for (i = 0; i < (int)p->n_rules; i++)
		rules = policy_json_append(rules, rule_count_json(t, p, i));
	rules = policy_json_append(rules, rule_count_json(t, p, -1));
	for (k = 0; k < n; k++)
		viol = policy_json_append(viol, rule_count_json(t, p, idx[k]));
	for (d = 0; designs != NULL && d < NATGW_POLICY_N_DESIGNS; d++) {
		json_t *dj = json_object();

		for (k = 0; dj != NULL && k < NATGW_POLICY_N_OUTCOMES; k++) {
			if (json_object_set_new(dj, outcome_names[k],
					count_json(&t->design[d][k])) < 0) {
				json_decref(dj);
				dj = NULL;
			}
		}
		if (json_object_set_new(designs, design_names[d], dj) < 0) {
			json_decref(designs);
			designs = NULL;
		}
	}
	if (natgw_policy_json(p, &pol) == 0 &&
			json_object_set_new(pol, "origin", json_string(p->origin)) < 0) {
		json_decref(pol);
		pol = NULL;
	}
	o = json_pack("{sosssososososo}", "policy", pol,
		"default", natgw_policy_action_name((enum natgw_policy_action)p->dflt),
		"rules", rules, "designs", designs, "violations_by_rule", viol,
		"violations_by_destination", list_json(t, &t->list[LIST_VIOLATIONS]),
		"broken_by_destination", list_json(t, &t->list[LIST_BROKEN]));
	bad = idx == NULL;
	free(idx);
	if (o == NULL || bad) {
		json_decref(o);
		return -1;
	}
	*out = o;
	return 0;
}

/* Bytes for a person: 1000-based, one decimal from kB on. */
static const char *
human(uint64_t b, char *buf, size_t n)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	unsigned int u = 0;
	double v = (double)b;

	for (; v >= 1000 && u + 1 < sizeof(unit) / sizeof(unit[0]); u++)
		v /= 1000;
	if (u == 0)
		snprintf(buf, n, "%" PRIu64 " B", b);
	else
		snprintf(buf, n, "%.1f %s", v, unit[u]);
	return buf;
}

/* "12 sessions (1.3 MB)" */
static const char *
count_text(const struct natgw_policy_count *c, char *buf, size_t n)
{
	char b[32];

	snprintf(buf, n, "%" PRIu64 " session%s (%s)", c->sessions, c->sessions == 1 ? "" : "s",
		human(c->bytes, b, sizeof(b)));
	return buf;
}

/* Destinations printed of each list. */
#define PRINT_TOP 5

static void
print_list(const struct tally_list *l, FILE *f)
{
	const struct tally_dest **v = sorted(l);
	char ip[INET_ADDRSTRLEN], c[64];
	unsigned int i;

	for (i = 0; v != NULL && i < l->n && i < PRINT_TOP; i++)
		fprintf(f, "      %-40s %-14s %s\n", dest_text(v[i], ip, sizeof(ip)),
			natgw_dst_service_name(v[i]->service), count_text(&v[i]->c, c, sizeof(c)));
	if (l->n > PRINT_TOP || l->other.sessions) {
		struct natgw_policy_count rest = l->other;

		for (; v != NULL && i < l->n; i++)
			count_add(&rest, &v[i]->c);
		fprintf(f, "      %-40s %-14s %s\n", "(the others)", "",
			count_text(&rest, c, sizeof(c)));
	}
	free(v);
}

void
natgw_policy_tally_print(const struct natgw_policy_tally *t, const struct natgw_policy *p,
		FILE *f)
{
	const struct natgw_policy_count (*d)[NATGW_POLICY_N_OUTCOMES] = t->design;
	int *idx = malloc((p->n_rules + 1) * sizeof(*idx));
	char a[64], b[64], c[64];
	unsigned int k, n;

	fprintf(f, "Egress policy %s: %u rule%s, default %s\n", p->origin, p->n_rules,
		p->n_rules == 1 ? "" : "s",
		natgw_policy_action_name((enum natgw_policy_action)p->dflt));
	fprintf(f, "  NAT gateway (every session flows): %s wanted, %s against the policy\n",
		count_text(&d[NATGW_POLICY_NAT][NATGW_POLICY_FLOW_WANTED], a, sizeof(a)),
		count_text(&d[NATGW_POLICY_NAT][NATGW_POLICY_VIOLATION], b, sizeof(b)));
	if (d[NATGW_POLICY_NAT][NATGW_POLICY_VIOLATION].sessions) {
		n = idx != NULL ? violating_rules(t, p, idx) : 0;
		for (k = 0; k < n; k++)
			fprintf(f, "    denied by %s: %s\n", natgw_policy_rule_label(p, idx[k]),
				count_text(&t->rule[idx[k] + 1], a, sizeof(a)));
		fprintf(f, "    let through against the policy:\n");
		print_list(&t->list[LIST_VIOLATIONS], f);
	}
	fprintf(f, "  blackhole (NAT route removed, nothing flows): %s wanted and broken\n",
		count_text(&d[NATGW_POLICY_BLACKHOLE][NATGW_POLICY_BROKEN], a, sizeof(a)));
	fprintf(f, "  endpoints (no NAT route; endpoints with the policy): %s flow, %s wanted "
		"but broken, %s blocked\n",
		count_text(&d[NATGW_POLICY_ENDPOINTS][NATGW_POLICY_FLOW_WANTED], a, sizeof(a)),
		count_text(&d[NATGW_POLICY_ENDPOINTS][NATGW_POLICY_BROKEN], b, sizeof(b)),
		count_text(&d[NATGW_POLICY_ENDPOINTS][NATGW_POLICY_BLOCKED], c, sizeof(c)));
	if (d[NATGW_POLICY_ENDPOINTS][NATGW_POLICY_BROKEN].sessions) {
		fprintf(f, "    wanted, but no endpoint reaches them:\n");
		print_list(&t->list[LIST_BROKEN], f);
	}
	free(idx);
}
