/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The session index's layout and its lookup, inline: for a fast path that
 * hashes a key while it still holds it in registers and looks it up a pass
 * later, as rte_lpm and rte_fib expose theirs. Everything else is in
 * natgw_flowtab.h; only flowtab.c writes a table.
 *
 * An entry is the key's 12 bytes of addresses and ports as the packet holds
 * them, then a word: the value in bits 0-25, the protocol's code in bits 26-27
 * (0 for a free entry, so a free entry never matches a key), bits 28-31 zero.
 * Four entries make a bucket, one cache line. A key's two buckets come from
 * one CRC32-C of the key: the first from its high bits (Lemire's
 * multiply-shift range reduction, so any bucket count works), the second a
 * non-zero offset from the first, from the hash multiplied by an odd constant.
 *
 * A key is two words here, an entry's two halves with the value's bits zero:
 * lo, its addresses as the packet holds them (source first), and hi, its ports
 * (source first) and the protocol's code in bits 58-59. Hashed and compared
 * as such, a key needs no assembling between the packet and the bucket.
 */
#ifndef NATGW_FLOWTAB_INLINE_H
#define NATGW_FLOWTAB_INLINE_H

#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
#include <nmmintrin.h>
#define NATGW_FT_X86 1
#endif

#include "natgw_pkt.h"

#define NATGW_FT_WAYS 4
#define NATGW_FT_CODE_SHIFT 26
#define NATGW_FT_VAL_MASK ((1u << NATGW_FT_CODE_SHIFT) - 1)

struct natgw_ft_entry {
	uint32_t src_ip, dst_ip, ports, word;
};

struct natgw_ft_bucket {
	struct natgw_ft_entry e[NATGW_FT_WAYS];
} __rte_cache_aligned;

struct natgw_flowtab {
	struct natgw_ft_bucket *b;
	uint32_t nb;   /* buckets, at least 2 */
	uint32_t max;  /* keys it may hold */
	uint32_t n;    /* keys it holds */
};

/** The protocol's 2-bit code (TCP 1, UDP 2, ICMP 3); 0 for one that cannot be stored. */
static inline uint32_t
natgw_ft_code(uint8_t proto)
{
	return proto == 6 ? 1 : proto == 17 ? 2 : proto == 1 ? 3 : 0;
}

/** A key's high word from its ports (as the key holds them) and its
 * protocol's code: an entry's last 8 bytes with the value's bits zero. */
static inline uint64_t
natgw_ft_hi(uint32_t ports, uint32_t code)
{
	return ports | (uint64_t)code << (32 + NATGW_FT_CODE_SHIFT);
}

/** A key's two words (see the file's comment); hi's code is 0 for a
 * protocol that cannot be stored, which matches no entry. */
static inline void
natgw_ft_key_words(const struct natgw_flow_key *k, uint64_t *lo, uint64_t *hi)
{
	/* Field by field: a key just written field by field (natgw_pkt_parse)
	 * read back as words would wait for the stores to reach the cache. */
	*lo = (uint64_t)k->src_ip | (uint64_t)k->dst_ip << 32;
	*hi = natgw_ft_hi((uint32_t)k->src_port | (uint32_t)k->dst_port << 16,
		natgw_ft_code(k->proto));
}

/** CRC32-C of a key's two words. */
static inline uint32_t
natgw_ft_hash(uint64_t lo, uint64_t hi)
{
#ifdef NATGW_FT_X86
	return (uint32_t)_mm_crc32_u64(_mm_crc32_u64(0, lo), hi);
#else
	return rte_hash_crc_8byte(hi, rte_hash_crc_8byte(lo, 0));
#endif
}

/** Hash @p h's first bucket. */
static inline const struct natgw_ft_bucket *
natgw_ft_bucket1(const struct natgw_flowtab *t, uint32_t h)
{
	return &t->b[((uint64_t)h * t->nb) >> 32];
}

/** Hash @p h's second bucket, given its first @p b1: never the same one. */
static inline const struct natgw_ft_bucket *
natgw_ft_bucket2(const struct natgw_flowtab *t, uint32_t h, const struct natgw_ft_bucket *b1)
{
	uint32_t off = 1 + (uint32_t)(((uint64_t)(h * 0x9e3779b1u) * (t->nb - 1)) >> 32);
	uint32_t s = (uint32_t)(b1 - t->b) + off;

	return &t->b[s >= t->nb ? s - t->nb : s];
}

#ifdef NATGW_FT_X86
#define NATGW_FT_EQ(b, j, q, m) ((unsigned int)_mm_testz_si128(_mm_xor_si128( \
	_mm_load_si128((const __m128i *)(const void *)&(b)->e[j]), (q)), (m)))

/** Bit j set where entry j of @p b holds the key (@p lo, @p hi): the value's
 * bits left out. Unrolled by hand: -O2 leaves a loop here, with a variable
 * shift, at twice the cost. */
static inline unsigned int
natgw_ft_match(const struct natgw_ft_bucket *b, uint64_t lo, uint64_t hi)
{
	const __m128i m = _mm_set_epi32((int)~NATGW_FT_VAL_MASK, -1, -1, -1);
	const __m128i q = _mm_set_epi64x((long long)hi, (long long)lo);

	return NATGW_FT_EQ(b, 0, q, m) | NATGW_FT_EQ(b, 1, q, m) << 1 |
		NATGW_FT_EQ(b, 2, q, m) << 2 | NATGW_FT_EQ(b, 3, q, m) << 3;
}
#else
static inline unsigned int
natgw_ft_match(const struct natgw_ft_bucket *b, uint64_t lo, uint64_t hi)
{
	const uint64_t m = (uint64_t)~NATGW_FT_VAL_MASK << 32 | 0xffffffffull;
	unsigned int r = 0, j;

	for (j = 0; j < NATGW_FT_WAYS; j++) {
		uint64_t w[2];

		memcpy(w, &b->e[j], sizeof(w));
		r |= (unsigned int)(w[0] == lo && ((w[1] ^ hi) & m) == 0) << j;
	}
	return r;
}
#endif

/**
 * The entry holding the key (@p lo, @p hi) of hash @p h (natgw_ft_hash), whose
 * first bucket is @p b1 (natgw_ft_bucket1): looked for there, then in its
 * second bucket. @return the entry, or NULL.
 */
static inline const struct natgw_ft_entry *
natgw_ft_entry_of(const struct natgw_flowtab *t, uint32_t h, const struct natgw_ft_bucket *b1,
		uint64_t lo, uint64_t hi)
{
	const struct natgw_ft_bucket *b = b1;
	unsigned int m;

	/* A key of code 0 would match a free entry. */
	if (unlikely((hi >> (32 + NATGW_FT_CODE_SHIFT)) == 0))
		return NULL;
	m = natgw_ft_match(b, lo, hi);
	if (unlikely(m == 0)) {
		b = natgw_ft_bucket2(t, h, b1);
		m = natgw_ft_match(b, lo, hi);
	}
	return m ? &b->e[__builtin_ctz(m)] : NULL;
}

/**
 * Look up the key (@p lo, @p hi) of hash @p h whose first bucket is @p b1
 * (natgw_ft_entry_of). @return 0 and the value in @p val, or -1.
 */
static inline int
natgw_flowtab_find(const struct natgw_flowtab *t, uint32_t h, const struct natgw_ft_bucket *b1,
		uint64_t lo, uint64_t hi, uint32_t *val)
{
	const struct natgw_ft_entry *e = natgw_ft_entry_of(t, h, b1, lo, hi);

	if (e == NULL)
		return -1;
	*val = e->word & NATGW_FT_VAL_MASK;
	return 0;
}

/**
 * Prefetch both buckets of key @p k: what looking it up and not finding it
 * reads, and where adding it writes. For a key looked up or added soon, so
 * that its cache misses overlap others' work.
 */
static inline void
natgw_flowtab_prefetch(const struct natgw_flowtab *t, const struct natgw_flow_key *k)
{
	uint64_t lo, hi;
	uint32_t h;
	const struct natgw_ft_bucket *b1;

	natgw_ft_key_words(k, &lo, &hi);
	h = natgw_ft_hash(lo, hi);
	b1 = natgw_ft_bucket1(t, h);
	rte_prefetch0(b1);
	rte_prefetch0(natgw_ft_bucket2(t, h, b1));
}

#endif /* NATGW_FLOWTAB_INLINE_H */
