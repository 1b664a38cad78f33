/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session index: bucketized cuckoo hashing with the keys in the buckets.
 *
 * An entry is the key's 12 bytes of addresses and ports as the key holds them,
 * then a word: the value in bits 0-25, the protocol's code in bits 26-27 (0 for
 * a free entry, so a free entry never matches a key), bits 28-31 zero. Four
 * entries make a bucket, one cache line. A key's two buckets come from one
 * CRC32-C of the key: the first from its high bits (Lemire's multiply-shift
 * range reduction, so any bucket count works), the second a non-zero offset
 * from the first, from the hash multiplied by an odd constant. An entry's key
 * is all there is, so moving an entry recomputes its buckets from it.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
#include <nmmintrin.h>
#define FT_X86 1
#endif

#include "natgw_flowtab.h"

#define FT_WAYS 4
#define FT_VAL_MASK (NATGW_FLOWTAB_VAL_LIMIT - 1)
#define FT_CODE_SHIFT 26
#define FT_CMP_MASK3 (~(uint32_t)FT_VAL_MASK) /* word bits a key compares */
/* Inserts keep at most 7 of 8 entries in use. */
#define FT_LOAD_NUM 7
#define FT_LOAD_DEN 8
/* Breadth-first search of moves: at most this many buckets (depth 5 or so). */
#define FT_BFS_MAX 1024

struct ft_entry {
	uint32_t src_ip, dst_ip, ports, word;
};

struct ft_bucket {
	struct ft_entry e[FT_WAYS];
} __rte_cache_aligned;

_Static_assert(sizeof(struct ft_bucket) == 64, "a bucket is one cache line");
_Static_assert(offsetof(struct natgw_flow_key, proto) == 12, "the key's 12 bytes, then proto");

struct natgw_flowtab {
	struct ft_bucket *b;
	uint32_t nb;   /* buckets, at least 2 */
	uint32_t max;  /* keys it may hold */
	uint32_t n;    /* keys it holds */
};

/* The protocol's 2-bit code, 0 for one that cannot be stored; and back. */
static const uint8_t ft_code_of[256] = {[1] = 3, [6] = 1, [17] = 2};
static const uint8_t ft_proto_of[4] = {0, 6, 17, 1};

/* CRC32-C of the key's addresses, and its ports and protocol (pad bytes out). */
static inline uint32_t
ft_hash(uint64_t lo, uint64_t hi)
{
	hi &= 0xffffffffffull;
#ifdef FT_X86
	return (uint32_t)_mm_crc32_u64(_mm_crc32_u64(0, lo), hi);
#else
	return rte_hash_crc_8byte(hi, rte_hash_crc_8byte(lo, 0));
#endif
}

static inline uint32_t
ft_key_hash(const struct natgw_flow_key *k)
{
	uint64_t w[2];

	memcpy(w, k, sizeof(w));
	return ft_hash(w[0], w[1]);
}

/* The hash of the key an entry holds. */
static inline uint32_t
ft_entry_hash(const struct ft_entry *e)
{
	uint64_t lo = (uint64_t)e->src_ip | (uint64_t)e->dst_ip << 32;
	uint64_t hi = (uint64_t)e->ports |
		(uint64_t)ft_proto_of[(e->word >> FT_CODE_SHIFT) & 3] << 32;

	return ft_hash(lo, hi);
}

/* A key's two buckets, never the same one. */
static inline void
ft_buckets(const struct natgw_flowtab *t, uint32_t h, uint32_t *b1, uint32_t *b2)
{
	uint32_t p = (uint32_t)(((uint64_t)h * t->nb) >> 32);
	uint32_t off = 1 + (uint32_t)(((uint64_t)(h * 0x9e3779b1u) * (t->nb - 1)) >> 32);
	uint32_t s = p + off;

	*b1 = p;
	*b2 = s >= t->nb ? s - t->nb : s;
}

static inline uint32_t
ft_word(uint8_t code, uint32_t val)
{
	return (uint32_t)code << FT_CODE_SHIFT | val;
}

#ifdef FT_X86
/* The key as an entry compares: its 12 bytes and the code's word. */
static inline __m128i
ft_probe(const struct natgw_flow_key *k, uint8_t code)
{
	return _mm_insert_epi32(_mm_loadu_si128((const __m128i *)(const void *)k),
		(int)ft_word(code, 0), 3);
}

/* Whether entry @p j of @p b holds the key of probe @p q (the value's bits
 * left out of the comparison). */
#define FT_EQ(b, j, q, m) ((unsigned int)_mm_testz_si128(_mm_xor_si128( \
	_mm_load_si128((const __m128i *)(const void *)&(b)->e[j]), (q)), (m)))

/* Bit j set where entry j of @p b holds the key of probe @p q. Unrolled by
 * hand: -O2 leaves a loop here, with a variable shift, at twice the cost. */
static inline unsigned int
ft_match(const struct ft_bucket *b, __m128i q)
{
	const __m128i m = _mm_set_epi32((int)FT_CMP_MASK3, -1, -1, -1);

	return FT_EQ(b, 0, q, m) | FT_EQ(b, 1, q, m) << 1 |
		FT_EQ(b, 2, q, m) << 2 | FT_EQ(b, 3, q, m) << 3;
}
#else
struct ft_probe_s {
	uint64_t lo, hi;
};

static inline struct ft_probe_s
ft_probe(const struct natgw_flow_key *k, uint8_t code)
{
	struct ft_probe_s q;

	memcpy(&q, k, 12);
	q.hi = (q.hi & 0xffffffffull) | (uint64_t)ft_word(code, 0) << 32;
	return q;
}

static inline unsigned int
ft_match(const struct ft_bucket *b, struct ft_probe_s q)
{
	const uint64_t m = (uint64_t)FT_CMP_MASK3 << 32 | 0xffffffffull;
	unsigned int r = 0, j;

	for (j = 0; j < FT_WAYS; j++) {
		uint64_t w[2];

		memcpy(w, &b->e[j], sizeof(w));
		r |= (unsigned int)(w[0] == q.lo && ((w[1] ^ q.hi) & m) == 0) << j;
	}
	return r;
}
#endif

/* The entry holding @p k, or NULL. */
static struct ft_entry *
ft_find(const struct natgw_flowtab *t, const struct natgw_flow_key *k)
{
	uint8_t code = ft_code_of[k->proto];
	uint32_t b1, b2;
	unsigned int m;

	if (code == 0)
		return NULL;
	ft_buckets(t, ft_key_hash(k), &b1, &b2);
	m = ft_match(&t->b[b1], ft_probe(k, code));
	if (m)
		return &t->b[b1].e[__builtin_ctz(m)];
	m = ft_match(&t->b[b2], ft_probe(k, code));
	return m ? &t->b[b2].e[__builtin_ctz(m)] : NULL;
}

struct natgw_flowtab *
natgw_flowtab_create(const char *name, uint32_t max_entries, int socket_id)
{
	struct natgw_flowtab *t;
	uint64_t nb;

	if (max_entries < 1 || max_entries > NATGW_FLOWTAB_VAL_LIMIT)
		return NULL;
	/* Enough buckets that max_entries fill at most 7/8 of them. */
	nb = ((uint64_t)max_entries * FT_LOAD_DEN + FT_WAYS * FT_LOAD_NUM - 1) /
		(FT_WAYS * FT_LOAD_NUM);
	t = rte_zmalloc_socket(name, sizeof(*t), RTE_CACHE_LINE_SIZE, socket_id);
	if (t == NULL)
		return NULL;
	t->nb = (uint32_t)RTE_MAX(nb, 2u);
	t->max = max_entries;
	t->b = rte_zmalloc_socket(name, sizeof(*t->b) * t->nb, RTE_CACHE_LINE_SIZE, socket_id);
	if (t->b == NULL) {
		rte_free(t);
		return NULL;
	}
	return t;
}

void
natgw_flowtab_free(struct natgw_flowtab *t)
{
	if (t == NULL)
		return;
	rte_free(t->b);
	rte_free(t);
}

uint32_t
natgw_flowtab_count(const struct natgw_flowtab *t)
{
	return t->n;
}

size_t
natgw_flowtab_bytes(const struct natgw_flowtab *t)
{
	return sizeof(*t->b) * t->nb;
}

int
natgw_flowtab_lookup(const struct natgw_flowtab *t, const struct natgw_flow_key *k,
		uint32_t *val)
{
	const struct ft_entry *e = ft_find(t, k);

	if (e == NULL)
		return -ENOENT;
	*val = e->word & FT_VAL_MASK;
	return 0;
}

int
natgw_flowtab_del(struct natgw_flowtab *t, const struct natgw_flow_key *k)
{
	struct ft_entry *e = ft_find(t, k);

	if (e == NULL)
		return -ENOENT;
	memset(e, 0, sizeof(*e));
	t->n--;
	return 0;
}

/* A free entry of bucket @p b, or -1. */
static inline int
ft_free_slot(const struct ft_bucket *b)
{
	int j;

	for (j = 0; j < FT_WAYS; j++)
		if (b->e[j].word == 0)
			return j;
	return -1;
}

/* A bucket the search reached: by moving entry `slot` of its parent's bucket. */
struct ft_node {
	uint32_t bkt;
	int32_t parent; /* -1: one of the new key's own buckets */
	uint32_t slot;
};

/* Whether the path to node @p i already moves entry @p slot of bucket @p bkt. */
static bool
ft_on_path(const struct ft_node *nd, int32_t i, uint32_t bkt, uint32_t slot)
{
	for (; nd[i].parent >= 0; i = nd[i].parent)
		if (nd[nd[i].parent].bkt == bkt && nd[i].slot == slot)
			return true;
	return false;
}

/*
 * Free an entry in bucket b1 or b2 by moving entries to their other bucket:
 * breadth-first, so the shortest chain of moves. @return the freed entry, or
 * NULL when none is found within FT_BFS_MAX buckets.
 */
static struct ft_entry *
ft_make_room(struct natgw_flowtab *t, uint32_t b1, uint32_t b2)
{
	struct ft_node nd[FT_BFS_MAX];
	int32_t head, tail = 2;

	nd[0] = (struct ft_node){b1, -1, 0};
	nd[1] = (struct ft_node){b2, -1, 0};
	for (head = 0; head < tail; head++) {
		struct ft_bucket *b = &t->b[nd[head].bkt];
		uint32_t s;

		for (s = 0; s < FT_WAYS; s++) {
			uint32_t a1, a2, alt;
			int f;

			if (ft_on_path(nd, head, nd[head].bkt, s))
				continue;
			ft_buckets(t, ft_entry_hash(&b->e[s]), &a1, &a2);
			alt = a1 == nd[head].bkt ? a2 : a1;
			f = ft_free_slot(&t->b[alt]);
			if (f >= 0) {
				/* Move along the chain, from its free end back. */
				struct ft_entry *to = &t->b[alt].e[f];
				struct ft_entry *from = &b->e[s];
				int32_t i = head;

				*to = *from;
				for (; nd[i].parent >= 0; i = nd[i].parent) {
					to = from;
					from = &t->b[nd[nd[i].parent].bkt].e[nd[i].slot];
					*to = *from;
				}
				return from;
			}
			if (tail < FT_BFS_MAX)
				nd[tail++] = (struct ft_node){alt, head, s};
		}
	}
	return NULL;
}

int
natgw_flowtab_add(struct natgw_flowtab *t, const struct natgw_flow_key *k, uint32_t val)
{
	uint8_t code = ft_code_of[k->proto];
	struct ft_entry *e;
	uint32_t b1, b2;
	int f;

	if (code == 0 || val >= NATGW_FLOWTAB_VAL_LIMIT)
		return -EINVAL;
	e = ft_find(t, k);
	if (e != NULL) {
		e->word = ft_word(code, val);
		return 0;
	}
	if (t->n >= t->max)
		return -ENOSPC;
	ft_buckets(t, ft_key_hash(k), &b1, &b2);
	if ((f = ft_free_slot(&t->b[b1])) >= 0)
		e = &t->b[b1].e[f];
	else if ((f = ft_free_slot(&t->b[b2])) >= 0)
		e = &t->b[b2].e[f];
	else if ((e = ft_make_room(t, b1, b2)) == NULL)
		return -ENOSPC;
	memcpy(e, k, 12);
	e->word = ft_word(code, val);
	t->n++;
	return 0;
}

uint64_t
natgw_flowtab_lookup_bulk(const struct natgw_flowtab *t,
		const struct natgw_flow_key *const *keys, unsigned int n, uint32_t *vals)
{
	const struct ft_bucket *p1[NATGW_FLOWTAB_BULK_MAX], *p2[NATGW_FLOWTAB_BULK_MAX];
	uint64_t hits = 0;
	unsigned int i;

	/* Hash every key and prefetch both its buckets before comparing any. */
	for (i = 0; i < n; i++) {
		uint32_t b1, b2;

		ft_buckets(t, ft_key_hash(keys[i]), &b1, &b2);
		p1[i] = &t->b[b1];
		p2[i] = &t->b[b2];
		rte_prefetch0(p1[i]);
		rte_prefetch0(p2[i]);
	}
	/* The first bucket, then the second only for a key not in the first:
	 * inserts fill a key's first bucket first, so most keys are there. */
	for (i = 0; i < n; i++) {
		uint8_t code = ft_code_of[keys[i]->proto];
		const struct ft_bucket *b = p1[i];
		unsigned int m = ft_match(b, ft_probe(keys[i], code));

		if (unlikely(m == 0)) {
			b = p2[i];
			m = ft_match(b, ft_probe(keys[i], code));
			if (m == 0)
				continue;
		}
		if (unlikely(code == 0)) /* matched a free entry */
			continue;
		vals[i] = b->e[__builtin_ctz(m)].word & FT_VAL_MASK;
		hits |= 1ull << i;
	}
	return hits;
}
