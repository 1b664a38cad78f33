/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An instance: the addresses learned from traffic, each with its name in a
 * fixed slot, indexed by an rte_hash (the 4-byte address -> the slot), and
 * the shared prefixes. Slots are taken in order until the table is full; then
 * a CLOCK hand goes round them: a slot whose `used` bit is set (learned or
 * looked up since the hand last passed) has the bit cleared and is passed
 * over, the first slot without it is evicted and reused. The hand clears
 * every bit in one turn, so it stops within two.
 */
#include <string.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "dst_private.h"

struct natgw_dst *
natgw_dst_create(const char *name, uint32_t max_names, int socket_id,
		const struct natgw_dst_ranges *ranges)
{
	char hname[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = hname,
		/* rte_hash wants at least a bucket's worth */
		.entries = RTE_MAX(max_names, 16u),
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = socket_id,
		/* an insert fails only when the table is full */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct natgw_dst *d;

	if (max_names == 0 || max_names > DST_MAX_NAMES)
		return NULL;
	d = rte_zmalloc_socket(name, sizeof(*d), RTE_CACHE_LINE_SIZE, socket_id);
	if (d == NULL)
		return NULL;
	d->max = max_names;
	d->ranges = ranges;
	snprintf(hname, sizeof(hname), "dst_%s", name);
	d->h = rte_hash_create(&p);
	d->e = rte_zmalloc_socket(name, sizeof(*d->e) * max_names, RTE_CACHE_LINE_SIZE,
		socket_id);
	if (d->h == NULL || d->e == NULL) {
		natgw_dst_free(d);
		return NULL;
	}
	return d;
}

void
natgw_dst_free(struct natgw_dst *d)
{
	if (d == NULL)
		return;
	rte_hash_free(d->h);
	rte_free(d->e);
	rte_free(d);
}

uint32_t
natgw_dst_count(const struct natgw_dst *d)
{
	return d->n;
}

const struct natgw_dst_stats *
natgw_dst_stats(const struct natgw_dst *d)
{
	return &d->stats;
}

const struct natgw_dst_ranges *
natgw_dst_ranges(const struct natgw_dst *d)
{
	return d->ranges;
}

/* A slot for a new address: a never-used one, else the CLOCK's victim. */
static uint32_t
take_slot(struct natgw_dst *d)
{
	for (;;) {
		struct dst_entry *e;
		uint32_t s;

		if (d->fill < d->max)
			return d->fill++;
		s = d->hand;
		e = &d->e[s];
		d->hand = d->hand + 1 == d->max ? 0 : d->hand + 1;
		if (!(e->flags & DST_F_HELD))
			return s;
		if (e->flags & DST_F_USED) {
			e->flags &= (uint8_t)~DST_F_USED;
			continue;
		}
		rte_hash_del_key(d->h, &e->ip);
		e->flags = 0;
		d->n--;
		d->stats.evicted++;
		return s;
	}
}

void
dst_learn(struct natgw_dst *d, uint32_t ip, const char *name, unsigned int service,
		const char *region_name, enum natgw_dst_source source)
{
	struct dst_entry *e;
	void *data;
	uint32_t s;

	if (rte_hash_lookup_data(d->h, &ip, &data) >= 0) {
		e = &d->e[(uintptr_t)data];
	} else {
		s = take_slot(d);
		e = &d->e[s];
		if (rte_hash_add_key_data(d->h, &ip, (void *)(uintptr_t)s) < 0)
			return; /* cannot happen: the table holds max keys */
		d->n++;
	}
	e->ip = ip;
	e->service = (uint8_t)service;
	e->source = (uint8_t)source;
	e->region = (uint8_t)natgw_dst_region_index(d->ranges, region_name);
	e->flags = DST_F_HELD | DST_F_USED;
	snprintf(e->name, sizeof(e->name), "%s", name);
	d->stats.learned++;
}

void
natgw_dst_classify(struct natgw_dst *d, uint32_t ip, struct natgw_dst_result *r)
{
	uint8_t region = 0;
	unsigned int psvc = natgw_dst_ranges_lookup(d->ranges, ip, &region);
	void *data;

	memset(r, 0, sizeof(*r));
	if (psvc != NATGW_DST_INTERNET) {
		r->service = (uint8_t)psvc;
		r->source = NATGW_DST_SRC_IPRANGES;
		r->region = region;
	}
	if (rte_hash_lookup_data(d->h, &ip, &data) >= 0) {
		struct dst_entry *e = &d->e[(uintptr_t)data];

		e->flags |= DST_F_USED;
		r->name = e->name;
		r->name_source = e->source;
		/* The name decides unless it says less than the prefix does. */
		if (dst_service_rank(e->service) > 1 ||
				dst_service_rank(e->service) >= dst_service_rank(psvc)) {
			r->service = e->service;
			r->source = e->source;
		}
		if (e->region != 0)
			r->region = e->region;
	}
	d->stats.lookups[r->source]++;
}
