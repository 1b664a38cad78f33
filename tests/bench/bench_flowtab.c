/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session index, side by side in one run: DPDK's rte_hash as the engine
 * made it before lib/flowtab (16-byte keys, extendable buckets, the two-CRC32-C
 * hash) against natgw_flowtab, at several table sizes:
 *   insert      - cycles per key to fill the table with SESSIONS keys;
 *   bulk        - cycles per key of bulk lookups, bursts of 32 keys in a
 *                 scattered order, all hits (the fast path's case);
 *   bytes       - memory per slot of capacity (rte_hash: DPDK's heap in use
 *                 after creating the table minus before; flowtab: its buckets).
 * Both tables are sized as bench_nat sizes the engine (capacity twice the
 * sessions, rounded up to a power of two); `flowtab_full` is a flowtab whose
 * capacity is exactly SESSIONS (7/8 of its entries in use), the densest it gets.
 * Each figure is the best of ROUNDS, the tables taking turns.
 *
 * usage: bench_flowtab [SESSIONS [LOOKUPS [ROUNDS]]]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "natgw_flowtab.h"
#include "natgw_test.h"

#define BURST 32
#define STRIDE 7919

/* The engine's former rte_hash function: CRC32-C of the key's two halves. */
static uint32_t
crc2(const void *key, uint32_t len, uint32_t init)
{
	const uint64_t *w = key;

	RTE_SET_USED(len);
	return rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], init));
}

/* Flow i as bench_nat makes it: a distinct inside endpoint, 4096 destinations. */
static void
make_keys(struct natgw_flow_key *k, uint32_t n)
{
	uint32_t i;

	memset(k, 0, sizeof(*k) * n);
	for (i = 0; i < n; i++) {
		k[i].src_ip = rte_cpu_to_be_32(0x0a000000u | (i >> 4));
		k[i].dst_ip = rte_cpu_to_be_32(0xc6336400u | (i & 0xfff));
		k[i].src_port = rte_cpu_to_be_16((uint16_t)(10000 + (i & 0xf)));
		k[i].dst_port = rte_cpu_to_be_16(443);
		k[i].proto = 17;
	}
}

struct table {
	const char *name;
	struct rte_hash *h;
	struct natgw_flowtab *f;
	double bytes, insert, bulk;
};

static void
make(struct table *t, uint32_t cap)
{
	static unsigned int seq;
	char name[RTE_HASH_NAMESIZE];
	size_t h0 = natgw_test_heap_used();

	if (strcmp(t->name, "rte_hash") == 0) {
		struct rte_hash_parameters p = {
			.name = name, .entries = cap, .key_len = sizeof(struct natgw_flow_key),
			.hash_func = crc2, .socket_id = SOCKET_ID_ANY,
			.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
		};

		snprintf(name, sizeof(name), "bench_ft%u", seq++);
		t->h = rte_hash_create(&p);
		t->bytes = (double)(natgw_test_heap_used() - h0) / cap;
	} else {
		t->f = natgw_flowtab_create("bench_ft", cap, SOCKET_ID_ANY);
		t->bytes = t->f ? (double)natgw_flowtab_bytes(t->f) / cap : 0;
	}
	if (t->h == NULL && t->f == NULL) {
		fprintf(stderr, "bench_flowtab: cannot make %s of %u\n", t->name, cap);
		exit(1);
	}
}

static void
drop(struct table *t)
{
	rte_hash_free(t->h);
	natgw_flowtab_free(t->f);
	t->h = NULL;
	t->f = NULL;
}

static double
fill(struct table *t, const struct natgw_flow_key *k, uint32_t n)
{
	uint64_t c0 = rte_rdtsc();
	uint32_t i;
	int rc = 0;

	for (i = 0; i < n; i++)
		rc |= t->h ? (rte_hash_add_key_data(t->h, &k[i], (void *)(uintptr_t)i) < 0) :
			natgw_flowtab_add(t->f, &k[i], i);
	if (rc) {
		fprintf(stderr, "bench_flowtab: %s: an insert failed\n", t->name);
		exit(1);
	}
	return (double)(rte_rdtsc() - c0) / n;
}

/* Bulk lookups of @p lookups keys in a scattered order; @return cycles a key. */
static double
lookups(struct table *t, const struct natgw_flow_key *const *order, uint32_t n,
		uint64_t lookups, uint64_t *check)
{
	const struct natgw_flow_key *const *kp;
	void *data[BURST];
	uint32_t vals[BURST], i = 0;
	uint64_t p, hits, c0 = rte_rdtsc();

	for (p = 0; p < lookups; p += BURST) {
		kp = &order[i];
		i = i + 2 * BURST <= n ? i + BURST : 0;
		if (t->h) {
			rte_hash_lookup_bulk_data(t->h, (const void **)kp, BURST, &hits, data);
			*check += (uintptr_t)data[0];
		} else {
			hits = natgw_flowtab_lookup_bulk(t->f, kp, BURST, vals);
			*check += vals[0];
		}
		if (hits != (1ull << BURST) - 1) {
			fprintf(stderr, "bench_flowtab: %s missed a key\n", t->name);
			exit(1);
		}
	}
	return (double)(rte_rdtsc() - c0) / (double)lookups;
}

int
main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100000;
	uint64_t nl = argc > 2 ? strtoull(argv[2], NULL, 0) : 4000000;
	unsigned int rounds = argc > 3 ? (unsigned int)strtoul(argv[3], NULL, 0) : 3, r, x;
	uint32_t cap = rte_align32pow2(n * 2);
	struct table tb[3] = {{.name = "rte_hash"}, {.name = "flowtab"}, {.name = "flowtab_full"}};
	struct natgw_flow_key *k = calloc(n, sizeof(*k));
	uint64_t check = 0;

	const struct natgw_flow_key **order = calloc(n, sizeof(*order));
	uint32_t i, j;

	if (k == NULL || order == NULL || n < BURST) {
		fprintf(stderr, "bench_flowtab: need at least %d sessions, and memory\n", BURST);
		return 1;
	}
	natgw_test_eal();
	make_keys(k, n);
	/* The scattered order, made once: no division in the timed loop. */
	for (i = 0, j = 0; i < n; i++, j = j + STRIDE < n ? j + STRIDE : (j + STRIDE) % n)
		order[i] = &k[j];
	for (x = 0; x < 3; x++)
		tb[x].insert = tb[x].bulk = 1e18;
	for (r = 0; r < rounds; r++)
		for (x = 0; x < 3; x++) {
			double c;

			make(&tb[x], x == 2 ? n : cap);
			c = fill(&tb[x], k, n);
			tb[x].insert = RTE_MIN(tb[x].insert, c);
			c = lookups(&tb[x], order, n, nl, &check);
			tb[x].bulk = RTE_MIN(tb[x].bulk, c);
			drop(&tb[x]);
		}
	printf("{\"bench\":\"flowtab\",\"sessions\":%u,\"capacity\":%u,\"lookups\":%" PRIu64
		",\"rounds\":%u", n, cap, nl, rounds);
	for (x = 0; x < 3; x++)
		printf(",\"%s\":{\"insert\":%.1f,\"bulk\":%.1f,\"bytes_per_slot\":%.1f}",
			tb[x].name, tb[x].insert, tb[x].bulk, tb[x].bytes);
	printf(",\"bulk_rte_over_flowtab\":%.2f,\"x\":%" PRIu64 "}\n",
		tb[0].bulk / tb[1].bulk, check & 1);
	free(order);
	free(k);
	return 0;
}
