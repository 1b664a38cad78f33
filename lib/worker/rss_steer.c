/* SPDX-License-Identifier: BSD-3-Clause */
/* Predictable RSS with DPDK's rte_thash helpers (see natgw_rss.h). */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_thash.h>

#include "natgw_rss.h"
#include "natgw_worker.h"

/* The 4-tuple the NIC hashes: src addr (bits 0-31), dst addr (32-63), src
 * port (64-79), dst port (80-95); the helper covers the dst port's low bits. */
#define TUPLE_BITS 96

struct steer_worker {
	struct natgw_rss_steer *s;
	unsigned int worker;
};

struct natgw_rss_steer {
	struct rte_thash_ctx *ctx;
	struct rte_thash_subtuple_helper *h;
	uint8_t key[NATGW_RSS_KEY_LEN];
	unsigned int reta_log;
	uint32_t reta_n;
	uint16_t reta[1u << RTE_THASH_RETA_SZ_MAX];
	/* per worker: the RETA entries whose queue it polls */
	uint16_t *entries[NATGW_MAX_WORKERS];
	uint32_t n_entries[NATGW_MAX_WORKERS];
	struct steer_worker sw[NATGW_MAX_WORKERS];
	unsigned int n_workers;
};

void
natgw_rss_steer_free(struct natgw_rss_steer *s)
{
	unsigned int w;

	if (s == NULL)
		return;
	for (w = 0; w < NATGW_MAX_WORKERS; w++)
		rte_free(s->entries[w]);
	rte_thash_free_ctx(s->ctx);
	rte_free(s);
}

struct natgw_rss_steer *
natgw_rss_steer_create(const char *name, unsigned int reta_log, const uint16_t *reta,
		const uint8_t *queue_worker, unsigned int n_queues, unsigned int n_workers,
		const uint8_t *key, char *err, size_t errlen)
{
	struct natgw_rss_steer *s;
	uint8_t k[NATGW_RSS_KEY_LEN];
	uint32_t i;
	unsigned int w;

	if (reta_log < RTE_THASH_RETA_SZ_MIN || reta_log > RTE_THASH_RETA_SZ_MAX ||
			n_workers < 1 || n_workers > NATGW_MAX_WORKERS) {
		snprintf(err, errlen, "RSS steering: RETA of 2^%u entries or %u workers out of "
			"range", reta_log, n_workers);
		return NULL;
	}
	s = rte_zmalloc("natgw_rss", sizeof(*s), 0);
	if (s == NULL) {
		snprintf(err, errlen, "RSS steering: out of memory");
		return NULL;
	}
	s->reta_log = reta_log;
	s->reta_n = 1u << reta_log;
	s->n_workers = n_workers;
	for (i = 0; i < s->reta_n; i++) {
		if (reta[i] >= n_queues || queue_worker[reta[i]] >= n_workers) {
			snprintf(err, errlen, "RSS steering: RETA entry %u names queue %u, which no "
				"worker polls", i, reta[i]);
			goto fail;
		}
		s->reta[i] = reta[i];
	}
	for (w = 0; w < n_workers; w++) {
		s->entries[w] = rte_zmalloc("natgw_rss_entries", sizeof(uint16_t) * s->reta_n, 0);
		if (s->entries[w] == NULL) {
			snprintf(err, errlen, "RSS steering: out of memory");
			goto fail;
		}
		s->sw[w].s = s;
		s->sw[w].worker = w;
	}
	for (i = 0; i < s->reta_n; i++) {
		w = queue_worker[reta[i]];
		s->entries[w][s->n_entries[w]++] = (uint16_t)i;
	}
	if (key)
		memcpy(k, key, sizeof(k));
	/* The context may rewrite the key so that the helper's bits can reach
	 * every RETA entry; what it ends with is what the NIC must use. */
	s->ctx = rte_thash_init_ctx(name, NATGW_RSS_KEY_LEN, reta_log, key ? k : NULL, 0);
	if (s->ctx == NULL || rte_thash_add_helper(s->ctx, "pub_port", reta_log,
			TUPLE_BITS - reta_log) != 0 ||
			(s->h = rte_thash_get_helper(s->ctx, "pub_port")) == NULL) {
		snprintf(err, errlen, "RSS steering: rte_thash context: %s", rte_strerror(rte_errno));
		goto fail;
	}
	memcpy(s->key, rte_thash_get_key(s->ctx), sizeof(s->key));
	return s;
fail:
	natgw_rss_steer_free(s);
	return NULL;
}

const uint8_t *
natgw_rss_steer_key(const struct natgw_rss_steer *s)
{
	return s->key;
}

static uint32_t
hash_of(const struct natgw_rss_steer *s, uint32_t src_ip, uint32_t dst_ip, uint16_t src_port,
		uint16_t dst_port)
{
	uint32_t t[3];

	/* rte_softrss takes the tuple in host order, as rte_ipv4_tuple. */
	t[0] = rte_be_to_cpu_32(src_ip);
	t[1] = rte_be_to_cpu_32(dst_ip);
	t[2] = ((uint32_t)rte_be_to_cpu_16(src_port) << 16) | rte_be_to_cpu_16(dst_port);
	return rte_softrss(t, 3, s->key);
}

uint16_t
natgw_rss_steer_queue(const struct natgw_rss_steer *s, uint32_t src_ip, uint32_t dst_ip,
		uint16_t src_port, uint16_t dst_port)
{
	return s->reta[hash_of(s, src_ip, dst_ip, src_port, dst_port) & (s->reta_n - 1)];
}

/* The engine's hook: move the candidate port's low bits so that the answer
 * (remote -> public) hashes to a RETA entry of this worker's queues. */
static uint16_t
steer_port(void *arg, const struct natgw_flow_key *r)
{
	const struct steer_worker *sw = arg;
	const struct natgw_rss_steer *s = sw->s;
	uint32_t hash, want, comp;
	uint16_t port;

	if (s->n_entries[sw->worker] == 0)
		return r->dst_port;
	hash = hash_of(s, r->src_ip, r->dst_ip, r->src_port, r->dst_port);
	/* Of the worker's entries, one chosen by the hash's upper bits, so
	 * that the answers spread over all its queues. */
	want = s->entries[sw->worker][(hash >> s->reta_log) % s->n_entries[sw->worker]];
	comp = rte_thash_get_complement(s->h, hash, want);
	port = (uint16_t)(rte_be_to_cpu_16(r->dst_port) ^ comp);
	return rte_cpu_to_be_16(port);
}

int
natgw_rss_steer_attach(struct natgw_rss_steer *s, struct natgw_nat_conf *c)
{
	if (c->worker_id >= s->n_workers)
		return -1;
	c->port_steer = steer_port;
	c->port_steer_arg = &s->sw[c->worker_id];
	return 0;
}
