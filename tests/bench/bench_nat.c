/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the NAT engine's paths, side by side in one run so that a shared,
 * noisy machine still gives meaningful ratios:
 *   parse   - copy a frame into its buffer and parse it: the floor any NAT pays;
 *   fast    - copy the frames into their buffers, then natgw_nat_burst on
 *             established sessions (bulk lookup + rewrite);
 *   engine  - the part of `fast` spent inside natgw_nat_burst alone (the copy
 *             left out: a dataplane's frames arrive in their buffers);
 *   lookup1 - the same sessions looked up one key at a time in a flow table
 *             like the engine's (natgw_flowtab_lookup), to show what the bulk
 *             lookup buys;
 *   slow    - new sessions: port allocation and two table inserts each;
 * plus the memory per session (see mem_per_session below). Cycles come from the TSC.
 *
 * usage: bench_nat [SESSIONS [PACKETS]]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "natgw_flowtab.h"
#include "natgw_nat.h"
#include "natgw_test.h"
#include "nat_private.h" /* sizeof(struct nat_session) */

#define BURST 32

struct frames {
	uint8_t (*buf)[128];
	uint16_t *len;
	uint32_t n;
};

/* Flow i: a distinct inside endpoint to one of 4096 destinations. */
static void
make_frames(struct frames *f, uint32_t n)
{
	uint32_t i;

	f->n = n;
	f->buf = calloc(n, sizeof(*f->buf));
	f->len = calloc(n, sizeof(*f->len));
	if (!f->buf || !f->len) {
		fprintf(stderr, "bench_nat: out of memory\n");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		uint32_t k = i;
		uint8_t b[2048];
		struct tp t = {
			.src = 0x0a000000u | (k >> 4), .dst = 0xc6336400u | (k & 0xfff),
			.proto = 17, .sport = (uint16_t)(10000 + (k & 0xf)), .dport = 443,
			.payload = "0123456789abcdef0123456789abcdef", .plen = 32,
		};

		f->len[i] = tp_build(b, &t);
		memcpy(f->buf[i], b, f->len[i]);
	}
}

static void
load(struct rte_mbuf *m, const struct frames *f, uint32_t i)
{
	rte_pktmbuf_reset(m);
	memcpy(rte_pktmbuf_append(m, f->len[i]), f->buf[i], f->len[i]);
}

/*
 * What one session slot costs in each of the engine's two session tables
 * (inside and outside keys): the table's buckets, which hold the keys too,
 * divided by max_sessions (tables are sized for capacity, so this is per slot).
 */
static double
table_bytes_per_entry(const struct natgw_nat *nat, enum natgw_side side)
{
	return (double)natgw_flowtab_bytes(nat->tbl[side]) / nat->conf.max_sessions;
}

int
main(int argc, char **argv)
{
	uint32_t sessions = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 100000;
	uint64_t packets = argc > 2 ? strtoull(argv[2], NULL, 0) : 4000000;
	struct natgw_nat_conf c;
	struct natgw_nat_out out;
	struct rte_mbuf *m[BURST];
	struct natgw_pkt_info pi;
	struct frames est;
	struct natgw_nat *nat;
	uint64_t t0, t1, cyc_parse, cyc_fast, cyc_engine = 0, cyc_one, cyc_slow;
	uint64_t now = 1000000000ull, x = 0;
	uint32_t i, j, p, made;
	size_t heap0, heap_nat;
	double hz, tbl_in, tbl_out;
	char err[256];

	natgw_test_eal();
	hz = (double)rte_get_tsc_hz();
	natgw_nat_conf_defaults(&c, NATGW_PROFILE_AWS);
	c.n_public = 8;
	for (i = 0; i < 8; i++)
		c.public_ip[i] = htonl(0xcb007100u + 10 + i);
	c.inside[0].addr = 0x0a000000u;
	c.inside[0].mask = 0xff000000u;
	c.n_inside = 1;
	c.keep_flow_log = false;
	c.max_sessions = (uint32_t)rte_align32pow2(sessions * 2);
	heap0 = natgw_test_heap_used();
	nat = natgw_nat_create("bench", &c, err, sizeof(err));
	if (nat == NULL) {
		fprintf(stderr, "bench_nat: %s\n", err);
		return 1;
	}
	heap_nat = natgw_test_heap_used() - heap0;
	for (i = 0; i < BURST; i++)
		m[i] = rte_pktmbuf_alloc(natgw_test_pool());
	make_frames(&est, sessions);

	/* Slow path: every packet makes a session. */
	t0 = rte_rdtsc();
	for (i = 0; i < sessions; i += BURST) {
		uint16_t n = (uint16_t)RTE_MIN(BURST, sessions - i);

		for (j = 0; j < n; j++)
			load(m[j], &est, i + j);
		natgw_nat_burst(nat, NATGW_SIDE_INSIDE, m, n, now, &out);
		for (j = 0; j < out.n[NATGW_SIDE_OUTSIDE]; j++)
			m[j] = out.pkts[NATGW_SIDE_OUTSIDE][j];
		if (out.n[NATGW_SIDE_OUTSIDE] != n) {
			fprintf(stderr, "bench_nat: only %u of %u sessions made\n",
				out.n[NATGW_SIDE_OUTSIDE], n);
			return 1;
		}
	}
	cyc_slow = rte_rdtsc() - t0;
	made = (uint32_t)natgw_nat_stats(nat)->sessions_active;

	/* Parse only: the floor. The same copy, the same access pattern. */
	t0 = rte_rdtsc();
	for (p = 0, i = 0; p < packets; p += BURST) {
		for (j = 0; j < BURST; j++, i = i + 7919 < sessions ? i + 7919 : (i + 7919) % sessions) {
			load(m[j], &est, i);
			x += natgw_pkt_parse(rte_pktmbuf_mtod(m[j], uint8_t *),
				rte_pktmbuf_data_len(m[j]), &pi) + pi.key.src_port;
		}
	}
	cyc_parse = rte_rdtsc() - t0;

	/* Fast path: established sessions, bursts in a scattered order. */
	t0 = rte_rdtsc();
	for (p = 0, i = 0; p < packets; p += BURST) {
		for (j = 0; j < BURST; j++, i = i + 7919 < sessions ? i + 7919 : (i + 7919) % sessions)
			load(m[j], &est, i);
		t1 = rte_rdtsc();
		natgw_nat_burst(nat, NATGW_SIDE_INSIDE, m, BURST, now, &out);
		cyc_engine += rte_rdtsc() - t1;
		for (j = 0; j < out.n[NATGW_SIDE_OUTSIDE]; j++)
			m[j] = out.pkts[NATGW_SIDE_OUTSIDE][j];
	}
	cyc_fast = rte_rdtsc() - t0;
	if (natgw_nat_stats(nat)->metric[NATGW_M_PacketsDropCount] != 0) {
		fprintf(stderr, "bench_nat: the fast path dropped packets\n");
		return 1;
	}

	/* One-at-a-time lookups of the same keys, without rewriting: what the
	 * bulk lookup saves. */
	{
		struct natgw_flowtab *h = natgw_flowtab_create("bench_one", c.max_sessions,
				SOCKET_ID_ANY);
		struct natgw_pkt_info pis[BURST];
		const struct natgw_flow_key *keys[BURST];
		uint32_t data[BURST], v;
		uint64_t hits;
		uint64_t cyc_bulk;

		for (i = 0; i < sessions; i++) {
			natgw_pkt_parse(est.buf[i], est.len[i], &pi);
			natgw_flowtab_add(h, &pi.key, i);
		}
		t0 = rte_rdtsc();
		for (p = 0, i = 0; p < packets; p += BURST)
			for (j = 0; j < BURST; j++, i = i + 7919 < sessions ? i + 7919 :
					(i + 7919) % sessions) {
				natgw_pkt_parse(est.buf[i], est.len[i], &pi);
				x += (uint64_t)natgw_flowtab_lookup(h, &pi.key, &v);
			}
		cyc_one = rte_rdtsc() - t0;
		t0 = rte_rdtsc();
		for (p = 0, i = 0; p < packets; p += BURST) {
			for (j = 0; j < BURST; j++, i = i + 7919 < sessions ? i + 7919 :
					(i + 7919) % sessions) {
				natgw_pkt_parse(est.buf[i], est.len[i], &pis[j]);
				keys[j] = &pis[j].key;
			}
			hits = natgw_flowtab_lookup_bulk(h, keys, BURST, data);
			x += hits;
		}
		cyc_bulk = rte_rdtsc() - t0;
		natgw_flowtab_free(h);
		tbl_in = table_bytes_per_entry(nat, NATGW_SIDE_INSIDE);
		tbl_out = table_bytes_per_entry(nat, NATGW_SIDE_OUTSIDE);
		printf("{\"bench\":\"nat\",\"sessions\":%u,\"packets\":%" PRIu64
			",\"tsc_hz\":%.0f,\"heap_bytes_per_session\":%.0f,"
			"\"mem_per_session\":{\"record\":%zu,\"in_table_entry\":%.1f,"
			"\"out_table_entry\":%.1f,\"total\":%.1f},"
			"\"cycles_per_pkt\":{\"parse\":%.1f,\"fast\":%.1f,\"engine\":%.1f,"
			"\"slow_new_session\":%.1f,"
			"\"lookup_one_by_one\":%.1f,\"lookup_bulk\":%.1f},"
			"\"mpps\":{\"parse\":%.2f,\"fast\":%.2f,\"engine\":%.2f},\"sessions_per_s\":%.0f,"
			"\"ratio_fast_over_parse\":%.2f,\"ratio_one_over_bulk\":%.2f,\"x\":%" PRIu64 "}\n",
			made, packets, hz, (double)heap_nat / c.max_sessions,
			sizeof(struct nat_session), tbl_in, tbl_out,
			sizeof(struct nat_session) + tbl_in + tbl_out,
			(double)cyc_parse / packets, (double)cyc_fast / packets,
			(double)cyc_engine / packets,
			(double)cyc_slow / sessions,
			(double)cyc_one / packets, (double)cyc_bulk / packets,
			hz / ((double)cyc_parse / packets) / 1e6, hz / ((double)cyc_fast / packets) / 1e6,
			hz / ((double)cyc_engine / packets) / 1e6,
			hz / ((double)cyc_slow / sessions),
			(double)cyc_fast / cyc_parse, (double)cyc_one / cyc_bulk, x & 1);
	}
	for (i = 0; i < BURST; i++)
		rte_pktmbuf_free(m[i]);
	natgw_nat_free(nat);
	free(est.buf);
	free(est.len);
	return 0;
}
