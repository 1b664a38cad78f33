/* SPDX-License-Identifier: BSD-3-Clause */
/* Option values: addresses, networks, profiles, timeouts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "options.h"

static int
parse_ip(const char *s, size_t n, uint32_t *ip)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	*ip = a.s_addr;
	return 0;
}

int
opt_inside_nets(struct natgw_nat_conf *c, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;

	c->n_inside = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		const char *slash = memchr(p, '/', n);
		char *end;
		unsigned long len;
		uint32_t ip, h, mask;

		if (c->n_inside == NATGW_MAX_INSIDE) {
			snprintf(err, errlen, "--inside-net: more than %d networks", NATGW_MAX_INSIDE);
			return -1;
		}
		if (slash == NULL || parse_ip(p, (size_t)(slash - p), &ip) < 0) {
			snprintf(err, errlen, "--inside-net: '%.*s' is not an IPv4 CIDR (A.B.C.D/N)",
				(int)n, p);
			return -1;
		}
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || end != p + n || end == slash + 1 || len > 32) {
			snprintf(err, errlen, "--inside-net: '%.*s' has a bad prefix length",
				(int)n, p);
			return -1;
		}
		mask = len ? ~0u << (32 - len) : 0;
		h = ntohl(ip);
		if (h & ~mask) {
			snprintf(err, errlen, "--inside-net: '%.*s' has host bits set", (int)n, p);
			return -1;
		}
		c->inside[c->n_inside].addr = h;
		c->inside[c->n_inside].mask = mask;
		c->n_inside++;
		if (p[n] == 0)
			return 0;
		p += n + 1;
	}
}

int
opt_public_ips(struct natgw_nat_conf *c, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;
	unsigned int i;

	c->n_public = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		uint32_t ip;

		if (c->n_public == NATGW_MAX_PUBLIC) {
			snprintf(err, errlen, "--public-ip: more than %d addresses (the AWS NAT "
				"gateway's limit)", NATGW_MAX_PUBLIC);
			return -1;
		}
		if (parse_ip(p, n, &ip) < 0) {
			snprintf(err, errlen, "--public-ip: '%.*s' is not an IPv4 address", (int)n, p);
			return -1;
		}
		if (ip == 0 || ip == 0xffffffff) {
			snprintf(err, errlen, "--public-ip: '%.*s' cannot be a source address",
				(int)n, p);
			return -1;
		}
		/* Said here, with the option's name, rather than by the engine's
		 * configuration check, which knows no options. */
		if (natgw_nat_is_inside(c, ip)) {
			snprintf(err, errlen, "--public-ip: '%.*s' is inside --inside-net", (int)n, p);
			return -1;
		}
		for (i = 0; i < c->n_public; i++)
			if (c->public_ip[i] == ip) {
				snprintf(err, errlen, "--public-ip: '%.*s' given twice", (int)n, p);
				return -1;
			}
		c->public_ip[c->n_public++] = ip;
		if (p[n] == 0)
			return 0;
		p += n + 1;
	}
}

int
opt_profile(enum natgw_profile *pr, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "aws") == 0)
		*pr = NATGW_PROFILE_AWS;
	else if (strcmp(arg, "rfc") == 0)
		*pr = NATGW_PROFILE_RFC;
	else {
		snprintf(err, errlen, "--profile: '%s' is not a profile (aws or rfc)", arg);
		return -1;
	}
	return 0;
}

int
opt_filtering(enum natgw_filtering *f, const char *arg, char *err, size_t errlen)
{
	if (strcmp(arg, "eif") == 0)
		*f = NATGW_FILTER_EIF;
	else if (strcmp(arg, "adf") == 0)
		*f = NATGW_FILTER_ADF;
	else if (strcmp(arg, "apdf") == 0)
		*f = NATGW_FILTER_APDF;
	else {
		snprintf(err, errlen, "--filtering: '%s' is not a filtering mode (eif, adf or apdf)",
			arg);
		return -1;
	}
	return 0;
}

int
opt_uint(uint64_t *v, const char *name, const char *arg, uint64_t lo, uint64_t hi,
		char *err, size_t errlen)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || x < lo || x > hi) {
		snprintf(err, errlen, "%s: '%s' is not a whole number from %llu to %llu", name, arg,
			(unsigned long long)lo, (unsigned long long)hi);
		return -1;
	}
	*v = x;
	return 0;
}

int
opt_double(double *v, const char *name, const char *arg, double lo, double hi, char *err,
		size_t errlen)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(arg, &end);
	if (errno || end == arg || *end || !(x >= lo && x <= hi)) {
		snprintf(err, errlen, "%s: '%s' is not a number from %g to %g", name, arg, lo, hi);
		return -1;
	}
	*v = x;
	return 0;
}

int
opt_scale(struct natgw_scale_conf *c, int *on, const char *arg, char *err, size_t errlen)
{
	char e[400];

	if (strcmp(arg, "off") == 0 || strcmp(arg, "on") == 0) {
		*on = arg[1] == 'n';
		return 0;
	}
	if (natgw_scale_conf_set(c, arg, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "--scale: %s", e);
		return -1;
	}
	*on = 1;
	return 0;
}

int
opt_timeout(struct natgw_nat_conf *c, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	uint64_t s;
	int i;

	for (i = 0; eq && i < NATGW_TO_MAX; i++) {
		const char *n = natgw_timeout_name(i);

		if (strlen(n) == (size_t)(eq - arg) && strncmp(arg, n, (size_t)(eq - arg)) == 0) {
			if (opt_uint(&s, "--timeout", eq + 1, 1, 86400, err, errlen) < 0) {
				snprintf(err, errlen, "--timeout: '%s': seconds must be a whole "
					"number from 1 to 86400", arg);
				return -1;
			}
			c->timeout_ns[i] = s * 1000000000ull;
			return 0;
		}
	}
	snprintf(err, errlen, "--timeout: '%s' is not CLASS=SECONDS with CLASS one of "
		"tcp_syn, tcp_est, tcp_trans, udp, icmp", arg);
	return -1;
}

/* ------------------------------------------------------------- --gateway */

int
opt_gateway_add(const char **spec, unsigned int *n, unsigned int max, const char *arg,
		char *err, size_t errlen)
{
	if (*n == max) {
		snprintf(err, errlen, "--gateway: at most %u gateways", max);
		return -1;
	}
	spec[(*n)++] = arg;
	return 0;
}

/* "A.B.C.D/N+...=IP+..." split at '=', with '+' turned into ','. */
static int
gateway_split(const char *spec, char *nets, char *ips, size_t len, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	size_t i;

	if (eq == NULL || eq == spec || eq[1] == 0 || (size_t)(eq - spec) >= len ||
			strlen(eq + 1) >= len) {
		snprintf(err, errlen, "--gateway '%s': want NETS=IPS, e.g. "
			"10.0.1.0/24+10.0.2.0/24=203.0.113.11", spec);
		return -1;
	}
	memcpy(nets, spec, (size_t)(eq - spec));
	nets[eq - spec] = 0;
	strcpy(ips, eq + 1);
	for (i = 0; nets[i]; i++)
		nets[i] = nets[i] == '+' ? ',' : nets[i];
	for (i = 0; ips[i]; i++)
		ips[i] = ips[i] == '+' ? ',' : ips[i];
	return 0;
}

/* All gateways' networks and addresses: the replay's inside and public. */
int
opt_gateway_union(const char *const *spec, unsigned int n, char *in, char *pub, size_t len,
		char *err, size_t errlen)
{
	char nets[512], ips[512];
	unsigned int g;

	in[0] = pub[0] = 0;
	for (g = 0; g < n; g++) {
		if (gateway_split(spec[g], nets, ips, sizeof(nets), err, errlen) < 0)
			return -1;
		if (strlen(in) + strlen(nets) + 2 > len || strlen(pub) + strlen(ips) + 2 > len) {
			snprintf(err, errlen, "--gateway: too many networks or addresses");
			return -1;
		}
		strcat(strcat(in, g ? "," : ""), nets);
		strcat(strcat(pub, g ? "," : ""), ips);
	}
	return 0;
}

int
opt_gateways(const struct natgw_nat_conf *base, const char *const *spec, unsigned int n,
		struct natgw_nat_conf *gw, char *err, size_t errlen)
{
	char nets[512], ips[512], e[400];
	unsigned int g, h, i, j;

	for (g = 0; g < n; g++) {
		struct natgw_nat_conf *gc = &gw[g];

		*gc = *base;
		if (gateway_split(spec[g], nets, ips, sizeof(nets), err, errlen) < 0)
			return -1;
		if (opt_inside_nets(gc, nets, e, sizeof(e)) < 0 ||
				opt_public_ips(gc, ips, e, sizeof(e)) < 0 ||
				natgw_nat_conf_check(gc, e, sizeof(e)) < 0) {
			snprintf(err, errlen, "--gateway '%s': %s", spec[g], e);
			return -1;
		}
		for (h = 0; h < g; h++)
			for (i = 0; i < gc->n_inside; i++)
				for (j = 0; j < gw[h].n_inside; j++) {
					const struct natgw_net *a = &gc->inside[i];
					const struct natgw_net *b = &gw[h].inside[j];
					uint32_t m = a->mask & b->mask;

					if ((a->addr & m) == (b->addr & m)) {
						snprintf(err, errlen, "--gateway '%s': its networks "
							"overlap gateway %u's ('%s')", spec[g], h,
							spec[h]);
						return -1;
					}
				}
	}
	return 0;
}

int
opt_port_alloc(struct natgw_nat_conf *c, const char *arg, char *err, size_t errlen)
{
	const char *p = arg;

	for (;;) {
		size_t n = strcspn(p, ","), k = strcspn(p, "=");
		bool *flag = NULL;
		const char *v = p + k + 1;
		size_t vn = n > k ? n - k - 1 : 0;

		if (k < n && k == 6 && strncmp(p, "parity", 6) == 0)
			flag = &c->port_parity;
		else if (k < n && k == 5 && strncmp(p, "range", 5) == 0)
			flag = &c->port_range_preserve;
		if (flag == NULL || !((vn == 2 && strncmp(v, "on", 2) == 0) ||
				(vn == 3 && strncmp(v, "off", 3) == 0))) {
			snprintf(err, errlen, "--port-alloc: '%.*s' is not parity=on|off or "
				"range=on|off", (int)n, p);
			return -1;
		}
		*flag = vn == 2;
		if (p[n] == 0)
			return 0;
		p += n + 1;
	}
}

int
opt_nat_timeout_add(struct opt_nat *o, const char *arg, char *err, size_t errlen)
{
	if (o->nt == RTE_DIM(o->timeouts)) {
		snprintf(err, errlen, "--timeout: given more than %zu times", RTE_DIM(o->timeouts));
		return -1;
	}
	o->timeouts[o->nt++] = arg;
	return 0;
}

int
opt_nat_conf(struct natgw_nat_conf *c, enum natgw_profile *pr, const struct opt_nat *o,
		char *err, size_t errlen)
{
	unsigned int i;

	if (opt_profile(pr, o->profile ? o->profile : "aws", err, errlen) < 0)
		return -1;
	natgw_nat_conf_defaults(c, *pr);
	if (opt_inside_nets(c, o->inside_net, err, errlen) < 0 ||
			opt_public_ips(c, o->public_ip, err, errlen) < 0)
		return -1;
	if (o->filtering) {
		if (*pr != NATGW_PROFILE_RFC) {
			snprintf(err, errlen, "--filtering: only the rfc profile has a choice "
				"(aws filters by endpoint, as the AWS gateway does)");
			return -1;
		}
		if (opt_filtering(&c->filtering, o->filtering, err, errlen) < 0)
			return -1;
	}
	for (i = 0; i < o->nt; i++)
		if (opt_timeout(c, o->timeouts[i], err, errlen) < 0)
			return -1;
	if (o->max_sessions)
		c->max_sessions = (uint32_t)o->max_sessions;
	if (o->mtu)
		c->mtu = (uint16_t)o->mtu;
	if (o->port_alloc && opt_port_alloc(c, o->port_alloc, err, errlen) < 0)
		return -1;
	return 0;
}
