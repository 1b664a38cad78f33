/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The engine's session index: a flow key -> a 26-bit value (a session's slot).
 *
 * Bucketized cuckoo hashing. A bucket is one 64-byte cache line of four
 * 16-byte entries, and an entry holds the whole key inline: source and
 * destination address, both ports, and a word packing the value (26 bits)
 * with the protocol (a 2-bit code: TCP, UDP, ICMP; 0 is a free entry). A key
 * has two candidate buckets, both from one CRC32-C of the key, so a lookup
 * that hits reads one or two bucket lines and no separate key store. An
 * insert that finds both buckets full moves entries to their other bucket
 * (a bounded breadth-first search of such moves); a delete clears the entry.
 *
 * Sized at creation: the bucket count is chosen so that @p max_entries fill
 * at most 7/8 of the entries, where cuckoo inserts practically never fail
 * (tests/unit/test_flowtab.c fills tables to their capacity with random keys).
 *
 * One writer and no locks: a table belongs to one core. The key's pad bytes
 * are ignored; only TCP, UDP and ICMP keys can be stored.
 */
#ifndef NATGW_FLOWTAB_H
#define NATGW_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>

#include "natgw_pkt.h"

/** Values are below this (a session index). */
#define NATGW_FLOWTAB_VAL_LIMIT (1u << 26)
/** At most this many keys to one bulk lookup. */
#define NATGW_FLOWTAB_BULK_MAX 64

#include "natgw_flowtab_inline.h"

/**
 * Make a table for up to @p max_entries keys (1 .. NATGW_FLOWTAB_VAL_LIMIT) on
 * NUMA socket @p socket_id (SOCKET_ID_ANY for any). @p name names the memory.
 * @return the table, or NULL (bad size or no memory).
 */
struct natgw_flowtab *natgw_flowtab_create(const char *name, uint32_t max_entries, int socket_id);

/** Free a table; NULL is fine. */
void natgw_flowtab_free(struct natgw_flowtab *t);

/**
 * Map @p k to @p val (below NATGW_FLOWTAB_VAL_LIMIT); a key already there gets
 * the new value. @return 0; -EINVAL for a protocol other than TCP, UDP, ICMP
 * or a value out of range; -ENOSPC when the table holds max_entries keys, or
 * (practically never) when no chain of moves frees an entry.
 */
int natgw_flowtab_add(struct natgw_flowtab *t, const struct natgw_flow_key *k, uint32_t val);

/** Remove @p k. @return 0, or -ENOENT if it was not there. */
int natgw_flowtab_del(struct natgw_flowtab *t, const struct natgw_flow_key *k);

/** @return 0 and the value in @p val, or -ENOENT. */
int natgw_flowtab_lookup(const struct natgw_flowtab *t, const struct natgw_flow_key *k,
		uint32_t *val);

/**
 * Look up @p n keys (at most NATGW_FLOWTAB_BULK_MAX) at once: hash them all and
 * prefetch their buckets, then compare. @return a mask with bit i set where
 * keys[i] was found; vals[i] is its value (left alone for a miss).
 */
uint64_t natgw_flowtab_lookup_bulk(const struct natgw_flowtab *t,
		const struct natgw_flow_key *const *keys, unsigned int n, uint32_t *vals);

/** @return the number of keys held. */
uint32_t natgw_flowtab_count(const struct natgw_flowtab *t);

/** @return the bytes of its buckets (all the memory a key takes). */
size_t natgw_flowtab_bytes(const struct natgw_flowtab *t);

#endif /* NATGW_FLOWTAB_H */
