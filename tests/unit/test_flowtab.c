/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Check suite for the session index (lib/flowtab): single and bulk lookups,
 * tables filled to their capacity with random keys, churn checked against a
 * plain array that holds what the table should, and keys one field apart.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_memory.h>

#include "natgw_flowtab.h"
#include "natgw_test.h"

static const uint8_t protos[3] = {6, 17, 1};

static void
setup(void)
{
	natgw_test_eal();
}

/* xorshift64*: reproducible keys. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static struct natgw_flow_key
rnd_key(uint64_t *s)
{
	struct natgw_flow_key k;
	uint64_t a = rnd(s), b = rnd(s);

	memset(&k, 0, sizeof(k));
	k.src_ip = (uint32_t)a;
	k.dst_ip = (uint32_t)(a >> 32);
	k.src_port = (uint16_t)b;
	k.dst_port = (uint16_t)(b >> 16);
	k.proto = protos[(b >> 32) % 3];
	return k;
}

static struct natgw_flow_key
key(uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t proto)
{
	struct natgw_flow_key k;

	memset(&k, 0, sizeof(k));
	k.src_ip = src;
	k.dst_ip = dst;
	k.src_port = sp;
	k.dst_port = dp;
	k.proto = proto;
	return k;
}

START_TEST(test_add_lookup_del)
{
	struct natgw_flowtab *t = natgw_flowtab_create("t", 100, SOCKET_ID_ANY);
	struct natgw_flow_key k = key(0x0a000005, 0xc0000207, 1234, 443, 6), k2;
	uint32_t v = 0;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(natgw_flowtab_lookup(t, &k, &v), -ENOENT);
	ck_assert_int_eq(natgw_flowtab_add(t, &k, 42), 0);
	ck_assert_uint_eq(natgw_flowtab_count(t), 1);
	ck_assert_int_eq(natgw_flowtab_lookup(t, &k, &v), 0);
	ck_assert_uint_eq(v, 42);
	/* A key already there takes the new value; still one key. */
	ck_assert_int_eq(natgw_flowtab_add(t, &k, NATGW_FLOWTAB_VAL_LIMIT - 1), 0);
	ck_assert_uint_eq(natgw_flowtab_count(t), 1);
	ck_assert_int_eq(natgw_flowtab_lookup(t, &k, &v), 0);
	ck_assert_uint_eq(v, NATGW_FLOWTAB_VAL_LIMIT - 1);
	/* Value 0 is a value like any other. */
	ck_assert_int_eq(natgw_flowtab_add(t, &k, 0), 0);
	ck_assert_int_eq(natgw_flowtab_lookup(t, &k, &v), 0);
	ck_assert_uint_eq(v, 0);
	/* The pad bytes are not part of the key. */
	k2 = k;
	k2.pad[0] = 1;
	k2.pad[2] = 0xff;
	ck_assert_int_eq(natgw_flowtab_lookup(t, &k2, &v), 0);
	/* Out of range. */
	ck_assert_int_eq(natgw_flowtab_add(t, &k, NATGW_FLOWTAB_VAL_LIMIT), -EINVAL);
	k2 = k;
	k2.proto = 47;
	ck_assert_int_eq(natgw_flowtab_add(t, &k2, 1), -EINVAL);
	ck_assert_int_eq(natgw_flowtab_lookup(t, &k2, &v), -ENOENT);
	ck_assert_int_eq(natgw_flowtab_del(t, &k2), -ENOENT);
	ck_assert_int_eq(natgw_flowtab_del(t, &k), 0);
	ck_assert_int_eq(natgw_flowtab_del(t, &k), -ENOENT);
	ck_assert_int_eq(natgw_flowtab_lookup(t, &k, &v), -ENOENT);
	ck_assert_uint_eq(natgw_flowtab_count(t), 0);
	/* Every byte of the table is its buckets: 64 a bucket. */
	ck_assert_uint_eq(natgw_flowtab_bytes(t) % 64, 0);
	ck_assert(natgw_flowtab_bytes(t) >= 100 * 16);
	natgw_flowtab_free(t);
	natgw_flowtab_free(NULL);
	ck_assert_ptr_null(natgw_flowtab_create("t", 0, SOCKET_ID_ANY));
	ck_assert_ptr_null(natgw_flowtab_create("t", NATGW_FLOWTAB_VAL_LIMIT + 1, SOCKET_ID_ANY));
}
END_TEST

/* An all-zero key of no protocol must not match the free entries (all zero). */
START_TEST(test_zero_key_misses_free_entries)
{
	struct natgw_flowtab *t = natgw_flowtab_create("t", 64, SOCKET_ID_ANY);
	struct natgw_flow_key z = key(0, 0, 0, 0, 0), zt = key(0, 0, 0, 0, 6);
	const struct natgw_flow_key *kp[2] = {&z, &zt};
	uint32_t v[2];

	ck_assert_int_eq(natgw_flowtab_lookup(t, &z, &v[0]), -ENOENT);
	ck_assert_int_eq(natgw_flowtab_lookup(t, &zt, &v[0]), -ENOENT);
	ck_assert_uint_eq(natgw_flowtab_lookup_bulk(t, kp, 2, v), 0);
	/* The all-zero TCP key is a key like any other. */
	ck_assert_int_eq(natgw_flowtab_add(t, &zt, 7), 0);
	ck_assert_uint_eq(natgw_flowtab_lookup_bulk(t, kp, 2, v), 2);
	ck_assert_uint_eq(v[1], 7);
	natgw_flowtab_free(t);
}
END_TEST

START_TEST(test_bulk_mixed)
{
	struct natgw_flowtab *t = natgw_flowtab_create("t", 5000, SOCKET_ID_ANY);
	struct natgw_flow_key k[NATGW_FLOWTAB_BULK_MAX];
	const struct natgw_flow_key *kp[NATGW_FLOWTAB_BULK_MAX];
	uint32_t v[NATGW_FLOWTAB_BULK_MAX];
	uint64_t s = 99, want = 0, got;
	unsigned int i, round, n;

	/* Other keys around them. */
	for (i = 0; i < 4000; i++) {
		struct natgw_flow_key o = rnd_key(&s);

		ck_assert_int_eq(natgw_flowtab_add(t, &o, 100000 + i), 0);
	}
	for (round = 0; round < 50; round++) {
		n = 1 + (unsigned int)(rnd(&s) % NATGW_FLOWTAB_BULK_MAX);
		want = 0;
		for (i = 0; i < n; i++) {
			k[i] = rnd_key(&s);
			kp[i] = &k[i];
			if (rnd(&s) & 1) {
				ck_assert_int_eq(natgw_flowtab_add(t, &k[i], round * 64 + i), 0);
				want |= 1ull << i;
			}
			v[i] = UINT32_MAX;
		}
		got = natgw_flowtab_lookup_bulk(t, kp, n, v);
		ck_assert_uint_eq(got, want);
		for (i = 0; i < n; i++) {
			if (want & (1ull << i))
				ck_assert_uint_eq(v[i], round * 64 + i);
			else
				ck_assert_uint_eq(v[i], UINT32_MAX); /* left alone */
		}
		for (i = 0; i < n; i++)
			if (want & (1ull << i))
				ck_assert_int_eq(natgw_flowtab_del(t, &k[i]), 0);
	}
	ck_assert_uint_eq(natgw_flowtab_count(t), 4000);
	natgw_flowtab_free(t);
}
END_TEST

/* Bulk lookups of all @p n keys, in bursts of the most: key i is found with
 * value want[i], or not at all where want[i] is UINT32_MAX. */
static void
check_bulk(const struct natgw_flowtab *t, const struct natgw_flow_key *k, uint32_t n,
		const uint32_t *want)
{
	const struct natgw_flow_key *kp[NATGW_FLOWTAB_BULK_MAX];
	uint32_t v[NATGW_FLOWTAB_BULK_MAX], b, j;

	for (b = 0; b < n; b += NATGW_FLOWTAB_BULK_MAX) {
		uint32_t nb = RTE_MIN(n - b, (uint32_t)NATGW_FLOWTAB_BULK_MAX);
		uint64_t m;

		for (j = 0; j < nb; j++)
			kp[j] = &k[b + j];
		m = natgw_flowtab_lookup_bulk(t, kp, nb, v);
		for (j = 0; j < nb; j++) {
			ck_assert_uint_eq(!!(m & (1ull << j)), want[b + j] != UINT32_MAX);
			if (want[b + j] != UINT32_MAX)
				ck_assert_uint_eq(v[j], want[b + j]);
		}
	}
}

/* Fill a table of @p cap with random keys: every insert up to cap succeeds,
 * the next fails, and every key is found with its value. */
static void
fill(uint32_t cap, uint64_t seed)
{
	struct natgw_flowtab *t = natgw_flowtab_create("t", cap, SOCKET_ID_ANY);
	struct natgw_flow_key *k = malloc(sizeof(*k) * (cap + 1));
	uint32_t *want = malloc(sizeof(*want) * cap);
	uint32_t i, got;
	uint64_t s = seed;

	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(want);
	for (i = 0; i <= cap; i++)
		k[i] = rnd_key(&s); /* 96 random bits: no two alike */
	for (i = 0; i < cap; i++)
		want[i] = i;
	for (i = 0; i < cap; i++)
		ck_assert_msg(natgw_flowtab_add(t, &k[i], i) == 0, "cap %u: insert %u failed",
			cap, i);
	ck_assert_uint_eq(natgw_flowtab_count(t), cap);
	ck_assert_int_eq(natgw_flowtab_add(t, &k[cap], cap), -ENOSPC);
	/* A key already there may still change its value. */
	ck_assert_int_eq(natgw_flowtab_add(t, &k[0], 5), 0);
	ck_assert_int_eq(natgw_flowtab_add(t, &k[0], 0), 0);
	check_bulk(t, k, cap, want);
	ck_assert_int_eq(natgw_flowtab_lookup(t, &k[cap], &got), -ENOENT);
	/* Emptied and filled again. */
	for (i = 0; i < cap; i++)
		ck_assert_int_eq(natgw_flowtab_del(t, &k[i]), 0);
	ck_assert_uint_eq(natgw_flowtab_count(t), 0);
	for (i = 1; i <= cap; i++)
		ck_assert_int_eq(natgw_flowtab_add(t, &k[i], i), 0);
	for (i = 1; i <= cap; i++) {
		ck_assert_int_eq(natgw_flowtab_lookup(t, &k[i], &got), 0);
		ck_assert_uint_eq(got, i);
	}
	free(want);
	free(k);
	natgw_flowtab_free(t);
}

START_TEST(test_fill_small)
{
	static const uint32_t caps[] = {1, 2, 3, 7, 8, 13, 64, 100, 1000, 1024, 4095, 10007};
	unsigned int i, seed;

	for (seed = 1; seed <= 3; seed++)
		for (i = 0; i < RTE_DIM(caps); i++)
			fill(caps[i], seed * 7919 + i);
}
END_TEST

START_TEST(test_fill_large)
{
	fill(100000, 3);
	fill(1u << 20, 4);
}
END_TEST

/*
 * Churn against a reference: a pool of keys, an array saying which are in the
 * table and with what value; random inserts, updates, deletes and lookups at
 * a table kept nearly full, the whole pool checked (bulk) every so often.
 */
START_TEST(test_churn_vs_model)
{
	enum { CAP = 3000, POOL = 4000, OPS = 200000 };
	struct natgw_flowtab *t = natgw_flowtab_create("t", CAP, SOCKET_ID_ANY);
	static struct natgw_flow_key k[POOL];
	static uint32_t model[POOL]; /* UINT32_MAX: absent */
	uint32_t in = 0, i, op, v;
	uint64_t s = 12345;

	for (i = 0; i < POOL; i++) {
		k[i] = rnd_key(&s);
		model[i] = UINT32_MAX;
	}
	for (op = 0; op < OPS; op++) {
		uint64_t r = rnd(&s);
		uint32_t x = (uint32_t)(r % POOL);
		uint32_t val = (uint32_t)(r >> 32) & (NATGW_FLOWTAB_VAL_LIMIT - 1);

		/* Three inserts to a delete: the pool would settle at 3,000 keys,
		 * so the table stays at or near its capacity. */
		switch ((r >> 20) % 5) {
		case 0:
		case 1:
		case 2: {
			int rc = natgw_flowtab_add(t, &k[x], val);

			if (model[x] != UINT32_MAX || in < CAP) {
				ck_assert_int_eq(rc, 0);
				in += model[x] == UINT32_MAX;
				model[x] = val;
			} else {
				ck_assert_int_eq(rc, -ENOSPC);
			}
			break;
		}
		case 3:
			ck_assert_int_eq(natgw_flowtab_del(t, &k[x]),
				model[x] == UINT32_MAX ? -ENOENT : 0);
			in -= model[x] != UINT32_MAX;
			model[x] = UINT32_MAX;
			break;
		default:
			if (model[x] == UINT32_MAX) {
				ck_assert_int_eq(natgw_flowtab_lookup(t, &k[x], &v), -ENOENT);
			} else {
				ck_assert_int_eq(natgw_flowtab_lookup(t, &k[x], &v), 0);
				ck_assert_uint_eq(v, model[x]);
			}
		}
		ck_assert_uint_eq(natgw_flowtab_count(t), in);
		if (op % 20000 == 0)
			check_bulk(t, k, POOL, model);
	}
	/* The churn kept the table full most of the time: moves were made. */
	ck_assert_uint_ge(in, CAP - 100);
	natgw_flowtab_free(t);
}
END_TEST

/* Keys that differ from one another in a single field, or a single bit. */
START_TEST(test_one_field_apart)
{
	struct natgw_flowtab *t = natgw_flowtab_create("t", 1000, SOCKET_ID_ANY);
	struct natgw_flow_key k[200];
	uint32_t n = 0, i, v, bit;

	k[n++] = key(0x0a000005, 0xc0000207, 1234, 443, 17);
	k[n++] = key(0x0a000006, 0xc0000207, 1234, 443, 17); /* source */
	k[n++] = key(0x0a000005, 0xc0000208, 1234, 443, 17); /* destination */
	k[n++] = key(0x0a000005, 0xc0000207, 1235, 443, 17); /* source port */
	k[n++] = key(0x0a000005, 0xc0000207, 1234, 444, 17); /* destination port */
	k[n++] = key(0x0a000005, 0xc0000207, 1234, 443, 6);  /* protocol */
	k[n++] = key(0x0a000005, 0xc0000207, 1234, 443, 1);
	k[n++] = key(0xc0000207, 0x0a000005, 443, 1234, 17); /* the reverse */
	k[n++] = key(0x0a000005, 0xc0000207, 443, 1234, 17); /* ports swapped */
	k[n++] = key(0xc0000207, 0x0a000005, 1234, 443, 17); /* addresses swapped */
	/* Each of the 96 bits of addresses and ports flipped, in TCP. */
	for (bit = 0; bit < 96; bit++) {
		uint8_t *p = (uint8_t *)&k[n];

		k[n] = key(0x0a000005, 0xc0000207, 1234, 443, 6);
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		n++;
	}
	for (i = 0; i < n; i++)
		ck_assert_int_eq(natgw_flowtab_add(t, &k[i], i), 0);
	ck_assert_uint_eq(natgw_flowtab_count(t), n);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(natgw_flowtab_lookup(t, &k[i], &v), 0);
		ck_assert_uint_eq(v, i);
	}
	/* Deleting one leaves its neighbours. */
	ck_assert_int_eq(natgw_flowtab_del(t, &k[0]), 0);
	ck_assert_int_eq(natgw_flowtab_lookup(t, &k[0], &v), -ENOENT);
	for (i = 1; i < n; i++) {
		ck_assert_int_eq(natgw_flowtab_lookup(t, &k[i], &v), 0);
		ck_assert_uint_eq(v, i);
	}
	natgw_flowtab_free(t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("flowtab");
	TCase *tc = tcase_create("flowtab");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_add_lookup_del);
	tcase_add_test(tc, test_zero_key_misses_free_entries);
	tcase_add_test(tc, test_bulk_mixed);
	tcase_add_test(tc, test_fill_small);
	tcase_add_test(tc, test_fill_large);
	tcase_add_test(tc, test_churn_vs_model);
	tcase_add_test(tc, test_one_field_apart);
	suite_add_tcase(s, tc);
	return natgw_test_run(s);
}
