/* SPDX-License-Identifier: BSD-3-Clause */
/* What the files of lib/dstclass share; not installed. */
#ifndef DST_PRIVATE_H
#define DST_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "natgw_dstclass.h"

struct rte_hash;

/* Most addresses an instance may hold. */
#define DST_MAX_NAMES (1u << 24)

struct dst_entry {
	uint32_t ip;     /* network order */
	uint8_t service;
	uint8_t source;  /* enum natgw_dst_source: DNS or SNI */
	uint8_t region;  /* index in the ranges' regions */
	uint8_t flags;   /* DST_F_* */
	char name[NATGW_DST_NAME_MAX];
};

#define DST_F_HELD 0x01 /* the slot holds an address */
#define DST_F_USED 0x02 /* learned or looked up since the hand passed */

/* An instance (dstclass.c): learned addresses in slots, CLOCK eviction. */
struct natgw_dst {
	struct rte_hash *h;          /* address -> slot */
	struct dst_entry *e;         /* max slots */
	const struct natgw_dst_ranges *ranges;
	uint32_t max;
	uint32_t fill;               /* slots ever taken (all held until then) */
	uint32_t n;                  /* slots holding an address */
	uint32_t hand;               /* CLOCK */
	struct natgw_dst_stats stats;
};

/*
 * How much a service id says about where bytes go: 0 internet, 1 some AWS
 * address ("aws"), 2 an AWS network known by its addresses only (EC2,
 * CloudFront), 3 a named service. A chain of DNS names takes its most
 * telling one; a learned name of rank 1 or less gives way to a prefix of
 * higher rank.
 */
unsigned int dst_service_rank(unsigned int id);

/* Whether @p p (@p n bytes) is an AWS region name ("us-east-1", "us-gov-west-1"),
 * case-insensitively. */
bool dst_is_region(const char *p, size_t n);

static inline unsigned char
dst_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* A learned name's lower-case bytes: [a-z0-9-_] and dots between labels. */
static inline bool
dst_host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Remember that @p ip (network order) is @p name (lower case, no trailing
 * dot), seen by @p source (DNS or SNI): an entry of the instance's table,
 * new or replaced, evicting one when full. @p service and @p region_name (""
 * for none) are the name's. */
void dst_learn(struct natgw_dst *d, uint32_t ip, const char *name, unsigned int service,
		const char *region_name, enum natgw_dst_source source);

#endif /* DST_PRIVATE_H */
