/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's destination classifier: the engine's classifier hooks on top of
 * lib/dstclass, and the names the worker's sessions were classified by.
 *
 * Each worker owns a dstclass instance: the names it learns come from the
 * DNS answers and ClientHellos of its own sessions. An inside host's flows all
 * belong to one worker (the owner is a hash of the inside address), so the DNS
 * answer a host got and the connections it then opens meet on the same
 * worker, and nothing is shared or locked.
 *
 * Names get small ids (uint16_t, the engine's per-session name) in a
 * registry of their own: the dstclass table forgets addresses (it is bounded),
 * a report must not forget the names its flows were counted under.
 */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>

#include "natgw_worker.h"
#include "worker_private.h"

/* Ids 1..NAMES_MAX; 0 is "no name". */
#define NAMES_MAX 65535u

static uint16_t
intern(struct natgw_worker_cls *c, const char *name)
{
	ENTRY e = {.key = (char *)(uintptr_t)name}, *f = NULL;
	char *copy;

	if (hsearch_r(e, FIND, &f, &c->htab) && f != NULL)
		return (uint16_t)(uintptr_t)f->data;
	if (c->n_names == NAMES_MAX) {
		c->names_overflow++;
		return 0;
	}
	copy = strdup(name);
	if (copy == NULL) {
		c->names_overflow++;
		return 0;
	}
	e.key = copy;
	e.data = (void *)(uintptr_t)(c->n_names + 1);
	if (!hsearch_r(e, ENTER, &f, &c->htab)) {
		free(copy);
		c->names_overflow++;
		return 0;
	}
	c->names[c->n_names++] = copy;
	return (uint16_t)c->n_names;
}

static void
classify_ip(struct natgw_worker_cls *c, uint32_t ip, uint8_t *svc, uint16_t *name)
{
	struct natgw_dst_result r;

	natgw_dst_classify(c->dst, ip, &r);
	*svc = r.service;
	*name = r.name ? intern(c, r.name) : 0;
}

static bool
cls_classify(void *arg, const struct natgw_flow_key *k, uint8_t *svc, uint16_t *name)
{
	struct natgw_worker_cls *c = arg;

	classify_ip(c, k->dst_ip, svc, name);
	/* Watch DNS exchanges for their answers, and TCP connections for a
	 * ClientHello in their first payload from the inside. */
	return (k->proto == IPPROTO_UDP && k->dst_port == RTE_BE16(53)) ||
		k->proto == IPPROTO_TCP;
}

/* The payload of a TCP segment or UDP datagram; false if there is none. */
static bool
payload(uint8_t proto, const uint8_t *l4, uint32_t len, const uint8_t **p, uint32_t *plen)
{
	uint32_t h;

	if (proto == IPPROTO_UDP)
		h = 8;
	else if (proto == IPPROTO_TCP && len >= 20)
		h = (uint32_t)(l4[12] >> 4) * 4;
	else
		return false;
	if (len <= h)
		return false;
	*p = l4 + h;
	*plen = len - h;
	return true;
}

static bool
cls_learn(void *arg, enum natgw_side side, const struct natgw_flow_key *k, const uint8_t *l4,
		uint32_t l4_len, uint8_t *svc, uint16_t *name)
{
	struct natgw_worker_cls *c = arg;
	const uint8_t *p;
	uint32_t n;

	if (!payload(k->proto, l4, l4_len, &p, &n))
		return true; /* a handshake segment: the payload is still to come */
	if (k->proto == IPPROTO_UDP) {
		/* Answers teach; the session goes on being watched for the
		 * next query's answer (the engine bounds how long). */
		if (side == NATGW_SIDE_OUTSIDE)
			natgw_dst_learn_dns(c->dst, p, n);
		return true;
	}
	if (side != NATGW_SIDE_INSIDE)
		return true; /* a server speaking first: wait for the client */
	if (natgw_dst_learn_sni(c->dst, k->dst_ip, p, n) == 1)
		classify_ip(c, k->dst_ip, svc, name);
	return false;
}

/* --enforce: a new session's destination as the policy sees it, by the
 * names and prefixes known now (a ClientHello comes later: SNI cannot
 * decide here). */
static bool
cls_admit(void *arg, const struct natgw_flow_key *k)
{
	struct natgw_worker_cls *c = arg;
	struct natgw_dst_result r;
	struct natgw_policy_dest d;
	int rule;

	natgw_dst_classify(c->dst, k->dst_ip, &r);
	d.ip = k->dst_ip;
	d.port = k->dst_port;
	d.proto = k->proto;
	d.service = r.service;
	d.name = r.name;
	rule = natgw_policy_eval(c->enforce, &d);
	if (natgw_policy_rule_action(c->enforce, rule) == NATGW_POLICY_ALLOW)
		return true;
	c->refused[rule + 1]++;
	return false;
}

const uint64_t *
natgw_worker_refused(const struct natgw_worker *w, unsigned int *n)
{
	const struct natgw_worker_cls *c = worker_cls_const(w);

	*n = c && c->enforce ? natgw_policy_rule_count(c->enforce) + 1 : 0;
	return *n ? c->refused : NULL;
}

/* What init made besides the name registry's entries. */
static void
worker_cls_free_parts(struct natgw_worker_cls *c)
{
	natgw_dst_free(c->dst);
	free(c->names);
	free(c->refused);
	memset(c, 0, sizeof(*c));
}

int
worker_cls_init(struct natgw_worker *w, struct natgw_worker_cls *c,
		const struct natgw_worker_conf *conf, char *err, size_t errlen)
{
	char name[64];

	memset(c, 0, sizeof(*c));
	snprintf(name, sizeof(name), "%s_dst", conf->name);
	c->dst = natgw_dst_create(name, conf->max_names ? conf->max_names : 65536,
		conf->nat.socket_id, conf->ranges);
	c->names = calloc(NAMES_MAX, sizeof(*c->names));
	if (c->dst == NULL || c->names == NULL || !hcreate_r(2 * NAMES_MAX, &c->htab)) {
		snprintf(err, errlen, "worker %u: cannot make the destination classifier",
			conf->nat.worker_id);
		worker_cls_free_parts(c);
		return -1;
	}
	c->enforce = conf->enforce;
	if (c->enforce) {
		c->refused = calloc(natgw_policy_rule_count(c->enforce) + 1, sizeof(*c->refused));
		if (c->refused == NULL) {
			snprintf(err, errlen, "worker %u: no memory for the policy's counters",
				conf->nat.worker_id);
			hdestroy_r(&c->htab);
			worker_cls_free_parts(c);
			return -1;
		}
	}
	c->ready = true;
	(void)w;
	return 0;
}

void
worker_cls_hooks(struct natgw_worker_cls *c, struct natgw_nat_classifier *h)
{
	h->classify = cls_classify;
	h->learn = cls_learn;
	h->admit = c->enforce ? cls_admit : NULL;
	h->arg = c;
}

void
worker_cls_free(struct natgw_worker_cls *c)
{
	unsigned int i;

	if (!c->ready)
		return;
	hdestroy_r(&c->htab);
	for (i = 0; i < c->n_names; i++)
		free(c->names[i]);
	worker_cls_free_parts(c);
}

void
natgw_worker_observe(struct natgw_worker *w, const uint8_t *frame, uint32_t len)
{
	struct natgw_worker_cls *c = worker_cls(w);
	struct natgw_pkt_info pi;
	const uint8_t *p;
	uint32_t n;

	if (c == NULL || natgw_pkt_parse(frame, len, &pi) != NATGW_DROP_NONE ||
			pi.key.proto != IPPROTO_UDP || pi.key.src_port != RTE_BE16(53) ||
			(pi.flags & (NATGW_PKT_F_FRAG | NATGW_PKT_F_ICMP_ERR)))
		return;
	if (payload(IPPROTO_UDP, frame + pi.l4_off, pi.ip_len - (pi.l4_off - pi.l3_off), &p, &n))
		natgw_dst_learn_dns(c->dst, p, n);
}

const char *
natgw_worker_name(const struct natgw_worker *w, uint16_t id)
{
	const struct natgw_worker_cls *c = worker_cls_const(w);

	if (c == NULL || id == 0 || id > c->n_names)
		return NULL;
	return c->names[id - 1];
}

const struct natgw_dst *
natgw_worker_dst(const struct natgw_worker *w)
{
	const struct natgw_worker_cls *c = worker_cls_const(w);

	return c ? c->dst : NULL;
}
