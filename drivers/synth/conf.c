/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scenario's parameters: defaults, `key=value,...` parsing, and their
 * description and JSON for reports. One table drives all three, so a key
 * cannot be parsed but left out of the report, or the other way round.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "natgw_synth.h"
#include "natgw_units.h"

#define SEC 1000000000ull

enum kind { K_COUNT, K_U64, K_BYTES, K_TIME, K_RATE, K_SHARE, K_NET, K_IP };

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	double lo, hi;    /* the accepted range, in the value's unit (ns, bytes...) */
	const char *what; /* for errors */
};

#define F(m) offsetof(struct natgw_synth_conf, m)

static const struct key keys[] = {
	{"seed", K_U64, F(seed), 0, 1.8e19, "any number"},
	{"hosts", K_COUNT, F(hosts), 1, 4096, "1 to 4096"},
	{"tasks", K_COUNT, F(tasks), 0, 65536, "0 to 65536"},
	{"duration", K_TIME, F(duration_ns), 1e9, 86400e9, "1s to 24h"},
	{"launch", K_TIME, F(launch_ns), 0, 86400e9, "0 to 24h"},
	{"start", K_TIME, F(start_ns), 0, 4e18, "Unix time, up to year 2096"},
	{"image", K_BYTES, F(image_bytes), 0, 1e11, "0 to 100G"},
	{"layers", K_COUNT, F(layers), 1, 32, "1 to 32"},
	{"ecs_every", K_TIME, F(ecs_every_ns), 1e8, 86400e9, "100ms to 24h"},
	{"ddb_every", K_TIME, F(ddb_every_ns), 1e6, 86400e9, "1ms to 24h"},
	{"ddb_req", K_COUNT, F(ddb_req), 32, 1e6, "32 to 1000000 bytes"},
	{"ddb_resp", K_COUNT, F(ddb_resp), 32, 1e8, "32 to 100000000 bytes"},
	{"logs_every", K_TIME, F(logs_every_ns), 1e6, 86400e9, "1ms to 24h"},
	{"logs_req", K_COUNT, F(logs_req), 32, 1e7, "32 to 10000000 bytes"},
	{"internet", K_SHARE, F(internet), 0, 1, "a share from 0 to 1"},
	{"github_every", K_TIME, F(github_every_ns), 1e6, 86400e9, "1ms to 24h"},
	{"github_resp", K_COUNT, F(github_resp), 32, 1e8, "32 to 100000000 bytes"},
	{"pings", K_COUNT, F(pings), 0, 1000, "0 to 1000"},
	{"burst", K_BYTES, F(burst_bytes), 0, 1e10, "0 (none) to 10G"},
	{"burst_rate", K_RATE, F(burst_bps), 1e6, 1e12, "1M to 1T bits/s"},
	{"burst_at", K_TIME, F(burst_at_ns), 0, 86400e9, "0 to 24h"},
	{"net", K_NET, F(net), 8, 28, "an IPv4 network, /8 to /28"},
	{"resolver", K_IP, F(resolver), 0, 0, "an IPv4 address in net"},
	{"retries", K_COUNT, F(retries), 1, 15, "1 to 15"},
	{"rto_min", K_TIME, F(rto_min_ns), 1e6, 60e9, "1ms to 60s"},
	{"max_flows", K_COUNT, F(max_flows), 16, 1 << 22, "16 to 4194304"},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

void
natgw_synth_conf_defaults(struct natgw_synth_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->seed = 1;
	c->hosts = 4;
	c->tasks = 6;
	c->duration_ns = 300 * SEC;
	c->launch_ns = 120 * SEC;
	c->start_ns = 1787413200ull * SEC; /* 2026-08-22 15:40 UTC, as the sample */
	c->image_bytes = 3000000;
	c->layers = 3;
	c->ecs_every_ns = 15 * SEC;
	c->ddb_every_ns = 2 * SEC;
	c->ddb_req = 450;
	c->ddb_resp = 1200;
	c->logs_every_ns = 5 * SEC;
	c->logs_req = 1200;
	c->internet = 0.5;
	c->github_every_ns = 30 * SEC;
	c->github_resp = 24000;
	c->pings = 0;
	c->burst_bytes = 2000000;
	c->burst_bps = 16000000000ull;
	c->burst_at_ns = 90 * SEC;
	c->net = 0x0a000000;
	c->net_len = 16;
	c->resolver = 0x0a000002;
	c->retries = 6;
	c->rto_min_ns = SEC / 5;
	c->max_flows = 65536;
}

/* A number with the units its key takes (lib/units), scaled to the key's unit. */
static int
parse_num(const struct key *k, const char *v, double *out)
{
	/* Networks, addresses and seeds have parsers of their own (set_key). */
	static const enum natgw_qty qty[] = {
		[K_COUNT] = NATGW_QTY_PLAIN, [K_SHARE] = NATGW_QTY_PLAIN,
		[K_BYTES] = NATGW_QTY_BYTES, [K_TIME] = NATGW_QTY_SECONDS,
		[K_RATE] = NATGW_QTY_BITRATE,
	};

	return natgw_qty_parse(v, qty[k->kind], out) < 0 ? -1 : 0;
}

static int
parse_ip(const char *v, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, v, &a) != 1)
		return -1;
	*ip = ntohl(a.s_addr);
	return 0;
}

static int
parse_net(const char *v, uint32_t *net, uint8_t *len)
{
	char buf[64], *slash, *end;
	unsigned long l;

	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return -1;
	*slash = 0;
	errno = 0;
	l = strtoul(slash + 1, &end, 10);
	if (*end || end == slash + 1 || errno || l < 8 || l > 28 || parse_ip(buf, net) < 0)
		return -1;
	*len = (uint8_t)l;
	if (*net & ~(uint32_t)(0xffffffffu << (32 - l)))
		return -2;
	return 0;
}

static int
set_key(struct natgw_synth_conf *c, const struct key *k, const char *v, bool *resolver_set,
		char *err, size_t errlen)
{
	uint8_t *p = (uint8_t *)c + k->off;
	double x;
	int rc;

	switch (k->kind) {
	case K_NET:
		rc = parse_net(v, (uint32_t *)p, &c->net_len);
		if (rc == -2) {
			snprintf(err, errlen, "synth: net=%s: host bits set (the network is "
				"its first address)", v);
			return -1;
		}
		if (rc < 0)
			goto bad;
		return 0;
	case K_IP:
		if (parse_ip(v, (uint32_t *)p) < 0)
			goto bad;
		*resolver_set = true;
		return 0;
	case K_U64:
		{
			char *end;

			errno = 0;
			*(uint64_t *)p = strtoull(v, &end, 10);
			if (*v < '0' || *v > '9' || *end || errno)
				goto bad;
			return 0;
		}
	default:
		break;
	}
	if (parse_num(k, v, &x) < 0 || x < k->lo || x > k->hi)
		goto bad;
	switch (k->kind) {
	case K_COUNT:
		if (x != floor(x))
			goto bad;
		*(uint32_t *)p = (uint32_t)x;
		break;
	case K_SHARE:
		*(double *)p = x;
		break;
	default:
		*(uint64_t *)p = (uint64_t)llround(x);
		break;
	}
	return 0;
bad:
	snprintf(err, errlen, "synth: %s=%s: want %s", k->name, v, k->what);
	return -1;
}

int
natgw_synth_conf_parse(struct natgw_synth_conf *c, const char *kv, char *err, size_t errlen)
{
	char *copy, *item, *save = NULL;
	bool resolver_set = false;
	uint32_t mask;
	int rc = 0;

	if (kv == NULL || *kv == 0)
		return 0;
	copy = strdup(kv);
	if (copy == NULL) {
		snprintf(err, errlen, "synth: out of memory");
		return -1;
	}
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		size_t i;

		if (eq == NULL || eq == item || eq[1] == 0) {
			snprintf(err, errlen, "synth: '%s': want key=value (keys in docs/synth.md)",
				item);
			rc = -1;
			break;
		}
		*eq = 0;
		for (i = 0; i < N_KEYS; i++)
			if (strcmp(keys[i].name, item) == 0)
				break;
		if (i == N_KEYS) {
			snprintf(err, errlen, "synth: unknown key '%s' (keys in docs/synth.md)",
				item);
			rc = -1;
			break;
		}
		if (set_key(c, &keys[i], eq + 1, &resolver_set, err, errlen) < 0) {
			rc = -1;
			break;
		}
	}
	free(copy);
	if (rc < 0)
		return rc;
	mask = 0xffffffffu << (32 - c->net_len);
	/* The resolver follows the network unless given: its base + 2, as in
	 * every VPC. */
	if (!resolver_set)
		c->resolver = c->net + 2;
	if ((c->resolver & mask) != c->net) {
		snprintf(err, errlen, "synth: resolver: not in net (want an address in it)");
		return -1;
	}
	return 0;
}

static void
ip_str(uint32_t ip, char *buf, size_t n)
{
	struct in_addr a = {.s_addr = htonl(ip)};

	inet_ntop(AF_INET, &a, buf, (socklen_t)n);
}

void
natgw_synth_describe(const struct natgw_synth_conf *c, char *buf, size_t n)
{
	char net[INET_ADDRSTRLEN];

	ip_str(c->net, net, sizeof(net));
	snprintf(buf, n, "synthetic ECS cluster: %u hosts in %s/%u, %u tasks over %.0f s, "
		"images of %.1f MB in %u layers, statsd burst %.1f MB at %.3g Gbps at %.0f s, "
		"seed %" PRIu64, c->hosts, net, c->net_len, c->tasks, c->duration_ns / 1e9,
		c->image_bytes / 1e6, c->layers, c->burst_bytes / 1e6, c->burst_bps / 1e9,
		c->burst_at_ns / 1e9, c->seed);
}

json_t *
natgw_synth_conf_json(const struct natgw_synth_conf *c)
{
	json_t *o = json_object();
	char ip[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN + 4];
	size_t i;

	for (i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];
		const uint8_t *p = (const uint8_t *)c + k->off;
		json_t *v;

		switch (k->kind) {
		case K_COUNT:
			v = json_integer(*(const uint32_t *)p);
			break;
		case K_U64:
		case K_BYTES:
		case K_RATE:
			v = json_integer((json_int_t)*(const uint64_t *)p);
			break;
		case K_TIME:
			/* In seconds, as the keys are written. */
			v = json_real((double)*(const uint64_t *)p / 1e9);
			break;
		case K_SHARE:
			v = json_real(*(const double *)p);
			break;
		case K_NET:
			ip_str(c->net, ip, sizeof(ip));
			snprintf(net, sizeof(net), "%s/%u", ip, c->net_len);
			v = json_string(net);
			break;
		default:
			ip_str(*(const uint32_t *)p, ip, sizeof(ip));
			v = json_string(ip);
			break;
		}
		json_object_set_new(o, k->name, v);
	}
	return o;
}
