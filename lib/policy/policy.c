/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The policy file, compiled for evaluation, and evaluation itself.
 *
 * A rule is compiled once: its service and class lists become one mask of
 * service ids, its protocols a mask, its CIDRs (network, mask) pairs in host
 * order, its ports inclusive ranges, its host patterns lower-case strings.
 * Evaluation then tests each field a rule gives with a mask test or a short
 * loop, and lower-cases the destination's name once, on the stack, the first
 * time a rule with a host pattern is tried.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>

#include "lib/natgw_err.h"
#include "policy_private.h"

/* A key path while reading a rule: "rules[3].port[1]". */
#define PATH_MAX_LEN 64

static const char *const action_names[] = {
	[NATGW_POLICY_DENY] = "deny",
	[NATGW_POLICY_ALLOW] = "allow",
};

static const struct {
	const char *name;
	uint8_t bit;
	uint8_t proto;
} protos[] = {
	{"tcp", POLICY_P_TCP, IPPROTO_TCP},
	{"udp", POLICY_P_UDP, IPPROTO_UDP},
	{"icmp", POLICY_P_ICMP, IPPROTO_ICMP},
};
#define N_PROTOS (sizeof(protos) / sizeof(protos[0]))

const char *
natgw_policy_action_name(enum natgw_policy_action a)
{
	return a == NATGW_POLICY_ALLOW ? "allow" : "deny";
}

/* ------------------------------------------------------------ reading */

/* Room for @p need items in @p *arr of @p *cap. @return 0, or -1 (no memory). */
static int
grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *a;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	a = realloc(*arr, c * size);
	if (a == NULL)
		return -1;
	*arr = a;
	*cap = c;
	return 0;
}

/* A field's value is one item or a non-empty list of them. */
static size_t
n_items(const json_t *v)
{
	return json_is_array(v) ? json_array_size(v) : 1;
}

static json_t *
item_at(json_t *v, size_t i)
{
	return json_is_array(v) ? json_array_get(v, i) : v;
}

/* "rules[3].port" or, for an item of a list, "rules[3].port[1]". */
static const char *
item_path(char *buf, const char *rule, const char *key, const json_t *v, size_t i)
{
	if (json_is_array(v))
		snprintf(buf, PATH_MAX_LEN, "%s.%s[%zu]", rule, key, i);
	else
		snprintf(buf, PATH_MAX_LEN, "%s.%s", rule, key);
	return buf;
}

/* The list checks every field shares. @return 0, or -1 with @p why. */
static int
check_list(const char *rule, const char *key, const json_t *v, char *why, size_t n)
{
	if (!json_is_array(v))
		return 0;
	if (json_array_size(v) == 0)
		return natgw_err(why, n, "%s.%s: an empty list matches nothing", rule, key);
	if (json_array_size(v) > NATGW_POLICY_MAX_LIST)
		return natgw_err(why, n, "%s.%s: more than %d items", rule, key, NATGW_POLICY_MAX_LIST);
	return 0;
}

/* The action named by @p v. @return 0, or -1 with @p why. */
static int
read_action(const json_t *v, const char *path, uint8_t *out, char *why, size_t n)
{
	unsigned int a;

	if (!json_is_string(v))
		return natgw_err(why, n, "%s: not a string (\"allow\" or \"deny\")", path);
	for (a = 0; a < 2; a++) {
		if (strcasecmp(json_string_value(v), action_names[a]) == 0) {
			*out = (uint8_t)a;
			return 0;
		}
	}
	return natgw_err(why, n, "%s: \"%s\" is not \"allow\" or \"deny\"", path,
		json_string_value(v));
}

/* The index of a service, class or protocol name (any case), or -1. */
static int
service_index(const char *name)
{
	return natgw_dst_service_by_name(name);
}

static int
class_index(const char *name)
{
	unsigned int c;

	for (c = 0; c < NATGW_DST_CLASS_MAX; c++)
		if (strcasecmp(name, natgw_dst_class_name((enum natgw_dst_class)c)) == 0)
			return (int)c;
	return -1;
}

static int
proto_index(const char *name)
{
	unsigned int k;

	for (k = 0; k < N_PROTOS; k++)
		if (strcasecmp(name, protos[k].name) == 0)
			return (int)k;
	return -1;
}

static const char *
class_name(unsigned int c)
{
	return natgw_dst_class_name((enum natgw_dst_class)c);
}

static const char *
proto_name(unsigned int k)
{
	return k < N_PROTOS ? protos[k].name : NULL;
}

/* The keys whose items are names, each a bit of a mask. */
static const struct {
	const char *key;
	const char *what;  /* "unknown <what>" */
	const char *known; /* what is known, for the error */
	int (*index)(const char *name);
	const char *(*name)(unsigned int index);
} name_keys[] = {
	{"service", "service", "docs/accounting.md lists them", service_index,
		natgw_dst_service_name},
	{"class", "class", "internet, s3, dynamodb, aws", class_index, class_name},
	{"proto", "protocol", "tcp, udp, icmp", proto_index, proto_name},
};
#define N_NAME_KEYS (sizeof(name_keys) / sizeof(name_keys[0]))

/* The names of @p v (name key @p k) as a mask of bits by index. */
static int
read_names(const char *rule, unsigned int k, json_t *v, uint64_t *mask, char *why, size_t n)
{
	char path[PATH_MAX_LEN];
	const char *s;
	size_t i;
	int idx;

	for (i = 0; i < n_items(v); i++) {
		json_t *it = item_at(v, i);

		item_path(path, rule, name_keys[k].key, v, i);
		if (!json_is_string(it))
			return natgw_err(why, n, "%s: not a string (a %s name)", path,
				name_keys[k].what);
		s = json_string_value(it);
		idx = name_keys[k].index(s);
		if (idx < 0)
			return natgw_err(why, n, "%s: unknown %s \"%s\" (%s)", path,
				name_keys[k].what, s, name_keys[k].known);
		*mask |= UINT64_C(1) << idx;
	}
	return 0;
}

/* A whole decimal number of at most @p max from @p s to @p *end. */
static int
read_uint(const char *s, const char **end, unsigned long max, unsigned long *out)
{
	unsigned long x = 0;
	const char *p = s;

	while (*p >= '0' && *p <= '9' && p - s < 10)
		x = x * 10 + (unsigned long)(*p++ - '0');
	if (p == s || (*p >= '0' && *p <= '9') || x > max)
		return -1;
	*end = p;
	*out = x;
	return 0;
}

/* "a.b.c.d/len" or "a.b.c.d" (a /32). */
static int
read_cidr(const json_t *v, const char *path, struct policy_cidr *c, char *why, size_t n)
{
	char addr[INET_ADDRSTRLEN];
	const char *s, *slash, *end;
	unsigned long len = 32;
	struct in_addr a;
	uint32_t ip;

	if (!json_is_string(v))
		return natgw_err(why, n, "%s: not a string (\"10.0.0.0/8\")", path);
	s = json_string_value(v);
	slash = strchr(s, '/');
	if ((slash ? (size_t)(slash - s) : strlen(s)) >= sizeof(addr))
		return natgw_err(why, n, "%s: \"%s\" is not an IPv4 CIDR", path, s);
	snprintf(addr, sizeof(addr), "%.*s", (int)(slash ? slash - s : (ptrdiff_t)strlen(s)), s);
	if (inet_pton(AF_INET, addr, &a) != 1 ||
			(slash && (read_uint(slash + 1, &end, 32, &len) < 0 || *end != '\0')))
		return natgw_err(why, n, "%s: \"%s\" is not an IPv4 CIDR", path, s);
	ip = ntohl(a.s_addr);
	c->mask = len == 0 ? 0 : UINT32_MAX << (32 - len);
	c->net = ip & c->mask;
	if (c->net != ip) {
		a.s_addr = htonl(c->net);
		inet_ntop(AF_INET, &a, addr, sizeof(addr));
		return natgw_err(why, n, "%s: \"%s\" has bits set past its prefix (%s/%lu?)", path, s,
			addr, len);
	}
	return 0;
}

/* 443, "443" or "1024-65535". */
static int
read_ports(const json_t *v, const char *path, struct policy_ports *pr, char *why, size_t n)
{
	unsigned long lo, hi;
	const char *s, *end;

	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0 || json_integer_value(v) > 65535)
			return natgw_err(why, n, "%s: %" JSON_INTEGER_FORMAT
				" is not a port (0 to 65535)", path, json_integer_value(v));
		pr->lo = pr->hi = (uint16_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return natgw_err(why, n, "%s: not a port (443) or a range (\"1024-65535\")", path);
	s = json_string_value(v);
	if (read_uint(s, &end, 65535, &lo) < 0)
		return natgw_err(why, n, "%s: \"%s\" is not a port (0 to 65535) or a range (\"LO-HI\")",
			path, s);
	hi = lo;
	if (*end == '-' && read_uint(end + 1, &end, 65535, &hi) < 0)
		return natgw_err(why, n, "%s: \"%s\" is not a port range (\"LO-HI\", 0 to 65535)", path,
			s);
	if (*end != '\0')
		return natgw_err(why, n, "%s: \"%s\" is not a port (0 to 65535) or a range (\"LO-HI\")",
			path, s);
	if (hi < lo)
		return natgw_err(why, n, "%s: \"%s\": the range ends before it starts", path, s);
	pr->lo = (uint16_t)lo;
	pr->hi = (uint16_t)hi;
	return 0;
}

/* A host pattern: 1 to 253 printable characters, no space; kept in lower case. */
static int
read_host(const json_t *v, const char *path, char **out, char *why, size_t n)
{
	const char *s;
	size_t i, len;

	if (!json_is_string(v))
		return natgw_err(why, n, "%s: not a string (a name pattern, \"*.amazonaws.com\")", path);
	s = json_string_value(v);
	len = strlen(s);
	if (len == 0 || len >= NATGW_POLICY_HOST_MAX)
		return natgw_err(why, n, "%s: a name pattern has 1 to %d characters", path,
			NATGW_POLICY_HOST_MAX - 1);
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return natgw_err(why, n, "%s: \"%s\": a name pattern is printable ASCII without "
				"spaces", path, s);
	*out = strdup(s);
	if (*out == NULL)
		return natgw_err(why, n, "%s: no memory", path);
	for (i = 0; i < len; i++)
		(*out)[i] = (char)tolower((unsigned char)(*out)[i]);
	return 0;
}

/* "cidr", "port" or "host": each item into the policy's array. */
static int
read_items(struct natgw_policy *p, struct policy_rule *r, const char *rule, const char *key,
		json_t *v, char *why, size_t n)
{
	char path[PATH_MAX_LEN];
	size_t i, cnt = n_items(v);
	int rc = 0;

	if (strcmp(key, "cidr") == 0) {
		if (grow((void **)&p->cidrs, &p->cap_cidrs, p->n_cidrs + cnt,
				sizeof(*p->cidrs)) < 0)
			return natgw_err(why, n, "no memory");
		r->cidr = (uint32_t)p->n_cidrs;
		for (i = 0; rc == 0 && i < cnt; i++, r->n_cidr++)
			rc = read_cidr(item_at(v, i), item_path(path, rule, key, v, i),
				&p->cidrs[p->n_cidrs++], why, n);
	} else if (strcmp(key, "port") == 0) {
		if (grow((void **)&p->ports, &p->cap_ports, p->n_ports + cnt,
				sizeof(*p->ports)) < 0)
			return natgw_err(why, n, "no memory");
		r->port = (uint32_t)p->n_ports;
		for (i = 0; rc == 0 && i < cnt; i++, r->n_port++)
			rc = read_ports(item_at(v, i), item_path(path, rule, key, v, i),
				&p->ports[p->n_ports++], why, n);
	} else {
		if (grow((void **)&p->hosts, &p->cap_hosts, p->n_hosts + cnt,
				sizeof(*p->hosts)) < 0)
			return natgw_err(why, n, "no memory");
		r->host = (uint32_t)p->n_hosts;
		for (i = 0; rc == 0 && i < cnt; i++, r->n_host++) {
			p->hosts[p->n_hosts] = NULL;
			rc = read_host(item_at(v, i), item_path(path, rule, key, v, i),
				&p->hosts[p->n_hosts], why, n);
			if (rc == 0)
				p->n_hosts++;
		}
	}
	return rc;
}

/* The services of the classes in @p classes. */
static uint64_t
class_services(uint8_t classes)
{
	uint64_t m = 0;
	unsigned int id;

	for (id = 0; id < NATGW_DST_N_SERVICES; id++)
		if (classes & (1u << natgw_dst_service_class(id)))
			m |= UINT64_C(1) << id;
	return m;
}

/* What a rule's fields say together: the service mask, contradictions. */
static int
finish_rule(struct policy_rule *r, const char *rule, char *why, size_t n)
{
	uint64_t all = NATGW_DST_N_SERVICES == 64 ? UINT64_MAX :
		(UINT64_C(1) << NATGW_DST_N_SERVICES) - 1;

	if (r->svc_given || r->class_given) {
		r->fields |= POLICY_F_SERVICE;
		r->services = (r->svc_given ? r->svc_given : all) &
			(r->class_given ? class_services(r->class_given) : all);
		if (r->services == 0)
			return natgw_err(why, n, "%s: no service is both in \"service\" and in "
				"\"class\": the rule matches nothing", rule);
	}
	if (r->n_cidr)
		r->fields |= POLICY_F_CIDR;
	if (r->n_host)
		r->fields |= POLICY_F_HOST;
	if (r->n_port) {
		r->fields |= POLICY_F_PORT;
		if (r->protos == POLICY_P_ICMP)
			return natgw_err(why, n, "%s.port: an ICMP rule has no ports", rule);
	}
	if (r->protos)
		r->fields |= POLICY_F_PROTO;
	return 0;
}

static const char *const rule_keys[] = {
	"name", "action", "service", "class", "host", "cidr", "port", "proto",
};
#define N_RULE_KEYS (sizeof(rule_keys) / sizeof(rule_keys[0]))

static int
read_rule(struct natgw_policy *p, unsigned int idx, json_t *o, char *why, size_t n)
{
	struct policy_rule *r = &p->rules[idx];
	char rule[32], path[PATH_MAX_LEN];
	const char *key, *s;
	uint64_t mask;
	json_t *v;
	unsigned int k;
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	snprintf(rule, sizeof(rule), "rules[%u]", idx);
	snprintf(r->label, sizeof(r->label), "rule %u", idx);
	if (!json_is_object(o))
		return natgw_err(why, n, "%s: not an object", rule);
	json_object_foreach(o, key, v) {
		for (k = 0; k < N_RULE_KEYS; k++)
			if (strcmp(key, rule_keys[k]) == 0)
				break;
		if (k == N_RULE_KEYS)
			return natgw_err(why, n, "%s: unknown key \"%s\" (name, action, service, class, "
				"host, cidr, port, proto)", rule, key);
		snprintf(path, sizeof(path), "%s.%s", rule, key);
		if (strcmp(key, "name") == 0) {
			if (!json_is_string(v))
				return natgw_err(why, n, "%s: not a string", path);
			s = json_string_value(v);
			if (s[0] == '\0' || strlen(s) >= NATGW_POLICY_LABEL_MAX)
				return natgw_err(why, n, "%s: a name has 1 to %d characters", path,
					NATGW_POLICY_LABEL_MAX - 1);
			for (i = 0; s[i] != '\0'; i++)
				if (s[i] < ' ' || s[i] > '~')
					return natgw_err(why, n, "%s: a name is printable ASCII", path);
			snprintf(r->label, sizeof(r->label), "%s", s);
			r->named = true;
			continue;
		}
		if (strcmp(key, "action") == 0) {
			if (read_action(v, path, &r->action, why, n) < 0)
				return -1;
			continue;
		}
		if (check_list(rule, key, v, why, n) < 0)
			return -1;
		for (k = 0; k < N_NAME_KEYS; k++)
			if (strcmp(key, name_keys[k].key) == 0)
				break;
		mask = 0;
		if (k < N_NAME_KEYS)
			rc = read_names(rule, k, v, &mask, why, n);
		else
			rc = read_items(p, r, rule, key, v, why, n);
		if (rc < 0)
			return -1;
		if (k == 0)
			r->svc_given = mask;
		else if (k == 1)
			r->class_given = (uint8_t)mask;
		else if (k == 2)
			r->protos = (uint8_t)mask;
	}
	if (json_object_get(o, "action") == NULL)
		return natgw_err(why, n, "%s: no \"action\" (\"allow\" or \"deny\")", rule);
	return finish_rule(r, rule, why, n);
}

static int
read_policy(struct natgw_policy *p, json_t *root, char *why, size_t n)
{
	json_t *rules, *v;
	const char *key;
	size_t i;

	if (!json_is_object(root))
		return natgw_err(why, n, "not a JSON object");
	json_object_foreach(root, key, v) {
		if (strcmp(key, "default") != 0 && strcmp(key, "rules") != 0 &&
				strcmp(key, "description") != 0)
			return natgw_err(why, n, "unknown key \"%s\" (default, rules, description)",
				key);
	}
	v = json_object_get(root, "description");
	if (v != NULL) {
		if (!json_is_string(v))
			return natgw_err(why, n, "description: not a string");
		p->description = strdup(json_string_value(v));
		if (p->description == NULL)
			return natgw_err(why, n, "no memory");
	}
	v = json_object_get(root, "default");
	if (v == NULL)
		return natgw_err(why, n, "no \"default\" (\"allow\" or \"deny\")");
	if (read_action(v, "default", &p->dflt, why, n) < 0)
		return -1;
	rules = json_object_get(root, "rules");
	if (rules == NULL)
		return natgw_err(why, n, "no \"rules\" (a list, which may be empty)");
	if (!json_is_array(rules))
		return natgw_err(why, n, "rules: not a list");
	if (json_array_size(rules) > NATGW_POLICY_MAX_RULES)
		return natgw_err(why, n, "rules: %zu rules, at most %d", json_array_size(rules),
			NATGW_POLICY_MAX_RULES);
	p->rules = calloc(json_array_size(rules) + 1, sizeof(*p->rules));
	if (p->rules == NULL)
		return natgw_err(why, n, "no memory");
	json_array_foreach(rules, i, v) {
		if (read_rule(p, (unsigned int)i, v, why, n) < 0)
			return -1;
		p->n_rules++;
	}
	return 0;
}

/* A policy from parsed JSON (@p root, borrowed), or NULL with @p err. */
static struct natgw_policy *
make_policy(json_t *root, const char *origin, char *err, size_t errlen)
{
	struct natgw_policy *p = calloc(1, sizeof(*p));
	char why[512];

	if (p == NULL || (p->origin = strdup(origin)) == NULL) {
		free(p);
		natgw_err(err, errlen, "%s: no memory", origin);
		return NULL;
	}
	if (read_policy(p, root, why, sizeof(why)) < 0) {
		natgw_err(err, errlen, "%s: %s", origin, why);
		natgw_policy_free(p);
		return NULL;
	}
	return p;
}

struct natgw_policy *
natgw_policy_load(const char *path, char *err, size_t errlen)
{
	struct natgw_policy *p;
	json_error_t je;
	json_t *root;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		natgw_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (root == NULL) {
		natgw_err(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		return NULL;
	}
	p = make_policy(root, path, err, errlen);
	json_decref(root);
	return p;
}

struct natgw_policy *
natgw_policy_parse(const char *json, const char *origin, char *err, size_t errlen)
{
	struct natgw_policy *p;
	json_error_t je;
	json_t *root;

	if (origin == NULL)
		origin = "policy";
	root = json_loads(json, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		natgw_err(err, errlen, "%s:%d:%d: %s", origin, je.line, je.column, je.text);
		return NULL;
	}
	p = make_policy(root, origin, err, errlen);
	json_decref(root);
	return p;
}

void
natgw_policy_free(struct natgw_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_hosts; i++)
		free(p->hosts[i]);
	free(p->hosts);
	free(p->cidrs);
	free(p->ports);
	free(p->rules);
	free(p->description);
	free(p->origin);
	free(p);
}

const char *
natgw_policy_origin(const struct natgw_policy *p)
{
	return p->origin;
}

unsigned int
natgw_policy_rule_count(const struct natgw_policy *p)
{
	return p->n_rules;
}

const char *
natgw_policy_rule_label(const struct natgw_policy *p, int idx)
{
	if (idx == -1)
		return "default";
	if (idx < 0 || (unsigned int)idx >= p->n_rules)
		return NULL;
	return p->rules[idx].label;
}

enum natgw_policy_action
natgw_policy_rule_action(const struct natgw_policy *p, int idx)
{
	if (idx == -1)
		return (enum natgw_policy_action)p->dflt;
	if (idx < 0 || (unsigned int)idx >= p->n_rules)
		return NATGW_POLICY_DENY;
	return (enum natgw_policy_action)p->rules[idx].action;
}

/* ---------------------------------------------------------- evaluation */

const char *
policy_norm_name(const char *name, char *buf)
{
	size_t i, len;

	if (name == NULL)
		return NULL;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= NATGW_DST_NAME_MAX)
		return NULL;
	for (i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[len] = '\0';
	return buf;
}

/* The destination, prepared once for every rule. */
struct eval_dest {
	const struct natgw_policy_dest *d;
	uint64_t svc_bit;
	uint32_t ip;        /* host order */
	uint16_t port;      /* host order */
	uint8_t proto_bit;  /* 0: not TCP, UDP or ICMP */
	bool name_done;     /* name has been normalised (it may be NULL) */
	const char *name;
	char buf[NATGW_DST_NAME_MAX];
};

static bool
rule_matches(const struct natgw_policy *p, const struct policy_rule *r, struct eval_dest *e)
{
	unsigned int i;

	if ((r->fields & POLICY_F_PROTO) && !(r->protos & e->proto_bit))
		return false;
	if ((r->fields & POLICY_F_SERVICE) && !(r->services & e->svc_bit))
		return false;
	if (r->fields & POLICY_F_PORT) {
		if (!(e->proto_bit & (POLICY_P_TCP | POLICY_P_UDP)))
			return false;
		for (i = 0; i < r->n_port; i++) {
			const struct policy_ports *pr = &p->ports[r->port + i];

			if (e->port >= pr->lo && e->port <= pr->hi)
				break;
		}
		if (i == r->n_port)
			return false;
	}
	if (r->fields & POLICY_F_CIDR) {
		for (i = 0; i < r->n_cidr; i++)
			if ((e->ip & p->cidrs[r->cidr + i].mask) == p->cidrs[r->cidr + i].net)
				break;
		if (i == r->n_cidr)
			return false;
	}
	if (r->fields & POLICY_F_HOST) {
		if (!e->name_done) {
			e->name = policy_norm_name(e->d->name, e->buf);
			e->name_done = true;
		}
		if (e->name == NULL)
			return false;
		for (i = 0; i < r->n_host; i++)
			if (fnmatch(p->hosts[r->host + i], e->name, 0) == 0)
				break;
		if (i == r->n_host)
			return false;
	}
	return true;
}

int
natgw_policy_eval(const struct natgw_policy *p, const struct natgw_policy_dest *d)
{
	struct eval_dest e;
	unsigned int i, svc;

	e.d = d;
	svc = d->service < NATGW_DST_N_SERVICES ? d->service : NATGW_DST_INTERNET;
	e.svc_bit = UINT64_C(1) << svc;
	e.ip = ntohl(d->ip);
	e.port = ntohs(d->port);
	e.proto_bit = 0;
	for (i = 0; i < N_PROTOS; i++)
		if (d->proto == protos[i].proto)
			e.proto_bit = protos[i].bit;
	e.name_done = false;
	e.name = NULL;
	for (i = 0; i < p->n_rules; i++)
		if (rule_matches(p, &p->rules[i], &e))
			return (int)i;
	return -1;
}

bool
natgw_policy_allows(const struct natgw_policy *p, const struct natgw_policy_dest *d)
{
	return natgw_policy_rule_action(p, natgw_policy_eval(p, d)) == NATGW_POLICY_ALLOW;
}

/* --------------------------------------------------------------- JSON */

/* @p items as one value, or a list of several; NULL (and @p items freed) on no memory. */
static json_t *
one_or_list(json_t *items)
{
	json_t *one;

	if (items == NULL || json_array_size(items) != 1)
		return items;
	one = json_incref(json_array_get(items, 0));
	json_decref(items);
	return one;
}

json_t *
policy_json_append(json_t *a, json_t *v)
{
	if (a == NULL || v == NULL || json_array_append_new(a, v) < 0) {
		json_decref(a);
		json_decref(v);
		return NULL;
	}
	return a;
}

static json_t *
rule_json(const struct natgw_policy *p, const struct policy_rule *r)
{
	char buf[INET_ADDRSTRLEN + 4], addr[INET_ADDRSTRLEN];
	json_t *o = json_object(), *l;
	struct in_addr a;
	unsigned int i, k;
	int bad = o == NULL;

	bad |= json_object_set_new(o, "name", json_string(r->label)) < 0;
	bad |= json_object_set_new(o, "action", json_string(action_names[r->action])) < 0;
	for (k = 0; k < N_NAME_KEYS; k++) {
		uint64_t mask = k == 0 ? r->svc_given : k == 1 ? r->class_given : r->protos;

		if (mask == 0)
			continue;
		l = json_array();
		for (i = 0; i < 64; i++)
			if (mask & (UINT64_C(1) << i))
				l = policy_json_append(l, json_string(name_keys[k].name(i)));
		bad |= json_object_set_new(o, name_keys[k].key, one_or_list(l)) < 0;
	}
	if (r->n_host) {
		l = json_array();
		for (i = 0; i < r->n_host; i++)
			l = policy_json_append(l, json_string(p->hosts[r->host + i]));
		bad |= json_object_set_new(o, "host", one_or_list(l)) < 0;
	}
	if (r->n_cidr) {
		l = json_array();
		for (i = 0; i < r->n_cidr; i++) {
			const struct policy_cidr *c = &p->cidrs[r->cidr + i];

			a.s_addr = htonl(c->net);
			inet_ntop(AF_INET, &a, addr, sizeof(addr));
			snprintf(buf, sizeof(buf), "%s/%d", addr,
				c->mask ? 32 - __builtin_ctz(c->mask) : 0);
			l = policy_json_append(l, json_string(buf));
		}
		bad |= json_object_set_new(o, "cidr", one_or_list(l)) < 0;
	}
	if (r->n_port) {
		l = json_array();
		for (i = 0; i < r->n_port; i++) {
			const struct policy_ports *pr = &p->ports[r->port + i];

			snprintf(buf, sizeof(buf), "%u-%u", pr->lo, pr->hi);
			l = policy_json_append(l, pr->lo == pr->hi ? json_integer(pr->lo) :
				json_string(buf));
		}
		bad |= json_object_set_new(o, "port", one_or_list(l)) < 0;
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
natgw_policy_json(const struct natgw_policy *p, json_t **out)
{
	json_t *o = json_object(), *rules = json_array();
	unsigned int i;
	int bad = o == NULL;

	for (i = 0; i < p->n_rules; i++)
		rules = policy_json_append(rules, rule_json(p, &p->rules[i]));
	if (p->description != NULL)
		bad |= json_object_set_new(o, "description", json_string(p->description)) < 0;
	bad |= json_object_set_new(o, "default", json_string(action_names[p->dflt])) < 0;
	bad |= json_object_set_new(o, "rules", rules) < 0;
	if (bad) {
		json_decref(o);
		return -1;
	}
	*out = o;
	return 0;
}
