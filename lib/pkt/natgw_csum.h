/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * RFC 1624 incremental checksum updates.
 *
 * A NAT changes a few 16-bit words of a header; recomputing a checksum over the
 * whole packet would cost a pass over the payload and, worse, would silently repair
 * a checksum that was wrong on arrival. RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'),
 * carries the old checksum's error through unchanged.
 *
 * A delta is the ones'-complement sum of (~m + m') over every changed word, folded
 * to 16 bits. Deltas add, so a session precomputes the delta of its whole rewrite
 * once and the fast path applies it with one call.
 */
#ifndef NATGW_CSUM_H
#define NATGW_CSUM_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

/** Fold a 32-bit ones'-complement accumulator to 16 bits. */
static inline uint16_t
natgw_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/**
 * Delta of replacing 16-bit word @p old by @p new (both in the same byte order
 * as the checksum field they are summed into).
 */
static inline uint16_t
natgw_csum_delta16(uint16_t old, uint16_t new)
{
	return natgw_csum_fold((uint32_t)(uint16_t)~old + new);
}

/** Delta of replacing a 32-bit field (two words) @p old by @p new. */
static inline uint16_t
natgw_csum_delta32(uint32_t old, uint32_t new)
{
	uint32_t s = (uint32_t)(uint16_t)~(old >> 16) + (uint16_t)~(old & 0xffff) +
		(new >> 16) + (new & 0xffff);
	return natgw_csum_fold(s);
}

/** Combine two deltas. */
static inline uint16_t
natgw_csum_add(uint16_t a, uint16_t b)
{
	return natgw_csum_fold((uint32_t)a + b);
}

/** The delta that undoes @p d. */
static inline uint16_t
natgw_csum_negate(uint16_t d)
{
	return (uint16_t)~d;
}

/**
 * Apply delta @p d to checksum field value @p csum (RFC 1624 eqn. 3).
 * @return the new checksum field value.
 */
static inline uint16_t
natgw_csum_apply(uint16_t csum, uint16_t d)
{
	return (uint16_t)~natgw_csum_fold((uint32_t)(uint16_t)~csum + d);
}

/**
 * Apply delta @p d to a UDP checksum: 0 means "no checksum" and stays 0, and a
 * computed 0 is sent as 0xffff (RFC 768).
 */
static inline uint16_t
natgw_csum_apply_udp(uint16_t csum, uint16_t d)
{
	uint16_t r;

	if (csum == 0)
		return 0;
	r = natgw_csum_apply(csum, d);
	return r == 0 ? 0xffff : r;
}

/**
 * The unfolded sum of a TCP or UDP pseudo-header (RFC 793, RFC 768): the IPv4
 * addresses of the header at @p ip, protocol @p proto and transport length
 * @p l4len, in network byte order words, to seed natgw_csum_raw().
 */
static inline uint32_t
natgw_csum_pseudo(const uint8_t *ip, uint8_t proto, uint16_t l4len)
{
	uint16_t w[4];
	unsigned int i;
	uint32_t s = 0;

	memcpy(w, ip + 12, 8);
	for (i = 0; i < 4; i++)
		s += w[i];
	return s + rte_cpu_to_be_16(proto) + rte_cpu_to_be_16(l4len);
}

/**
 * Full Internet checksum of @p len bytes at @p data (RFC 1071), for building
 * packets (generated RSTs) and for tests; never used to repair a forwarded one.
 * @return the checksum field value, in network byte order as stored.
 */
uint16_t natgw_csum_raw(const void *data, uint32_t len, uint32_t initial);

#endif /* NATGW_CSUM_H */
