/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session index: bucketized cuckoo hashing with the keys in the buckets.
 * The layout, the hash and the lookup are in natgw_flowtab_inline.h; here are
 * the table's making, its inserts (moving entries to their other bucket to
 * make room) and deletes. An entry's key is all there is, so moving an entry
 * recomputes its buckets from it.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "natgw_flowtab.h"

#define FT_WAYS NATGW_FT_WAYS
#define FT_VAL_MASK NATGW_FT_VAL_MASK
/* Inserts keep at most 7 of 8 entries in use. */
#define FT_LOAD_NUM 7
#define FT_LOAD_DEN 8
/* Breadth-first search of moves: at most this many buckets (depth 5 or so). */
#define FT_BFS_MAX 1024

_Static_assert(sizeof(struct natgw_ft_bucket) == 64, "a bucket is one cache line");
_Static_assert(offsetof(struct natgw_flow_key, proto) == 12, "the key's 12 bytes, then proto");
_Static_assert(NATGW_FT_VAL_MASK + 1 == NATGW_FLOWTAB_VAL_LIMIT, "values fit the word");

/* The hash of a key. */
static inline uint32_t
ft_key_hash(const struct natgw_flow_key *k)
{
	uint64_t lo, hi;

	natgw_ft_key_words(k, &lo, &hi);
	return natgw_ft_hash(lo, hi);
}

/* The hash of the key an entry holds: its words as they are, the value out. */
static inline uint32_t
ft_entry_hash(const struct natgw_ft_entry *e)
{
	uint64_t w[2];

	memcpy(w, e, sizeof(w));
	return natgw_ft_hash(w[0], w[1] & ~((uint64_t)NATGW_FT_VAL_MASK << 32));
}

/* A key's two buckets, never the same one. */
static inline void
ft_buckets(const struct natgw_flowtab *t, uint32_t h, uint32_t *b1, uint32_t *b2)
{
	const struct natgw_ft_bucket *p1 = natgw_ft_bucket1(t, h);

	*b1 = (uint32_t)(p1 - t->b);
	*b2 = (uint32_t)(natgw_ft_bucket2(t, h, p1) - t->b);
}

static inline uint32_t
ft_word(uint32_t code, uint32_t val)
{
	return code << NATGW_FT_CODE_SHIFT | val;
}

/* The entry holding @p k, or NULL. */
static struct natgw_ft_entry *
ft_find(const struct natgw_flowtab *t, const struct natgw_flow_key *k)
{
	uint64_t lo, hi;
	uint32_t h;

	natgw_ft_key_words(k, &lo, &hi);
	h = natgw_ft_hash(lo, hi);
	/* The table is the caller's to change (del, add). */
	return (struct natgw_ft_entry *)(uintptr_t)natgw_ft_entry_of(t, h,
		natgw_ft_bucket1(t, h), lo, hi);
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
	const struct natgw_ft_entry *e = ft_find(t, k);

	if (e == NULL)
		return -ENOENT;
	*val = e->word & FT_VAL_MASK;
	return 0;
}

int
natgw_flowtab_del(struct natgw_flowtab *t, const struct natgw_flow_key *k)
{
	struct natgw_ft_entry *e = ft_find(t, k);

	if (e == NULL)
		return -ENOENT;
	memset(e, 0, sizeof(*e));
	t->n--;
	return 0;
}

/* A free entry of bucket @p b, or -1. */
static inline int
ft_free_slot(const struct natgw_ft_bucket *b)
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
static struct natgw_ft_entry *
ft_make_room(struct natgw_flowtab *t, uint32_t b1, uint32_t b2)
{
	struct ft_node nd[FT_BFS_MAX];
	int32_t head, tail = 2;

	nd[0] = (struct ft_node){b1, -1, 0};
	nd[1] = (struct ft_node){b2, -1, 0};
	for (head = 0; head < tail; head++) {
		struct natgw_ft_bucket *b = &t->b[nd[head].bkt];
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
				struct natgw_ft_entry *to = &t->b[alt].e[f];
				struct natgw_ft_entry *from = &b->e[s];
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
	uint32_t code = natgw_ft_code(k->proto);
	struct natgw_ft_entry *e;
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
	const struct natgw_ft_bucket *b1[NATGW_FLOWTAB_BULK_MAX];
	uint64_t lo[NATGW_FLOWTAB_BULK_MAX], hi[NATGW_FLOWTAB_BULK_MAX], hits = 0;
	uint32_t h[NATGW_FLOWTAB_BULK_MAX];
	unsigned int i;

	/* Hash every key and prefetch both its buckets before comparing any. */
	for (i = 0; i < n; i++) {
		natgw_ft_key_words(keys[i], &lo[i], &hi[i]);
		h[i] = natgw_ft_hash(lo[i], hi[i]);
		b1[i] = natgw_ft_bucket1(t, h[i]);
		rte_prefetch0(b1[i]);
		rte_prefetch0(natgw_ft_bucket2(t, h[i], b1[i]));
	}
	/* The first bucket, then the second only for a key not in the first:
	 * inserts fill a key's first bucket first, so most keys are there. */
	for (i = 0; i < n; i++)
		if (natgw_flowtab_find(t, h[i], b1[i], lo[i], hi[i], &vals[i]) == 0)
			hits |= 1ull << i;
	return hits;
}
