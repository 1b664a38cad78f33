/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/worker: which worker owns a packet, handoff between workers over their
 * rings, and predictable RSS (public ports whose answers hash to the owner's
 * queue), checked with DPDK's software Toeplitz hash.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <check.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_thash.h>

#include "natgw_rss.h"
#include "natgw_test.h"
#include "natgw_worker.h"

#define PUB 0xcb00710au /* 203.0.113.10 */
#define NS 1000000000ull

static void
base_conf(struct natgw_nat_conf *c, unsigned int id, unsigned int n)
{
	natgw_nat_conf_defaults(c, NATGW_PROFILE_AWS);
	c->public_ip[0] = htonl(PUB);
	c->n_public = 1;
	c->inside[0].addr = 0x0a000000u;
	c->inside[0].mask = 0xff000000u;
	c->n_inside = 1;
	c->max_sessions = 8192;
	c->worker_id = id;
	c->n_workers = n;
}

/* Collects what a worker sends, per side. */
struct sink {
	struct rte_mbuf *m[NATGW_SIDES][512];
	uint16_t n[NATGW_SIDES];
	uint16_t refuse; /* take at most this many per call, 0: all */
};

static uint16_t
sink_tx(void *arg, enum natgw_side side, struct rte_mbuf **pkts, uint16_t n)
{
	struct sink *k = arg;
	uint16_t i, take = k->refuse && k->refuse < n ? k->refuse : n;

	for (i = 0; i < take; i++)
		k->m[side][k->n[side]++] = pkts[i];
	return take;
}

static void
sink_free(struct sink *k)
{
	unsigned int s;

	for (s = 0; s < NATGW_SIDES; s++)
		while (k->n[s])
			rte_pktmbuf_free(k->m[s][--k->n[s]]);
}

static struct rte_mbuf *
syn(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	uint8_t b[2048];
	struct tp t = {.src = src, .dst = dst, .proto = 6, .sport = sport, .dport = dport,
		.flags = 0x02, .seq = 1};

	return tp_mbuf(b, tp_build(b, &t));
}

/* A worker; with @p gw, gateway @p id of @p n (gateway mode) with gw[id]'s
 * networks and address. */
static struct natgw_worker *
make(unsigned int id, unsigned int n, struct rte_ring *to[][NATGW_SIDES],
		struct rte_ring *from[][NATGW_SIDES], const struct natgw_nat_conf *gw)
{
	struct natgw_worker_conf wc;
	struct natgw_worker *w;
	char err[256], name[32];

	memset(&wc, 0, sizeof(wc));
	snprintf(name, sizeof(name), "tw%u_%u%s", id, n, gw ? "g" : "");
	wc.name = name;
	base_conf(&wc.nat, id, n);
	if (gw) {
		wc.nat = gw[id];
		wc.n_gw = n;
		wc.gw_id = id;
		wc.gw_all = gw;
	}
	if (to)
		memcpy(wc.to, to, sizeof(wc.to[0]) * n);
	if (from)
		memcpy(wc.from, from, sizeof(wc.from[0]) * n);
	w = natgw_worker_create(&wc, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	return w;
}

/* Two workers joined by their handoff rings (r: [from][to][side]); with @p gw,
 * two gateways. */
static void
make_pair(struct natgw_worker *w[2], struct rte_ring *r[2][2][NATGW_SIDES],
		const struct natgw_nat_conf *gw)
{
	struct rte_ring *to[2][2][NATGW_SIDES], *from[2][2][NATGW_SIDES];
	unsigned int i, j, s;
	char name[32];

	memset(r, 0, sizeof(struct rte_ring *) * 2 * 2 * NATGW_SIDES);
	memset(to, 0, sizeof(to));
	memset(from, 0, sizeof(from));
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			for (s = 0; s < NATGW_SIDES && i != j; s++) {
				snprintf(name, sizeof(name), "th%u%u%u", i, j, s);
				r[i][j][s] = rte_ring_create(name, 64, SOCKET_ID_ANY,
					RING_F_SP_ENQ | RING_F_SC_DEQ);
				ck_assert(r[i][j][s] != NULL);
			}
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			for (s = 0; s < NATGW_SIDES; s++) {
				to[i][j][s] = r[i][j][s];
				from[i][j][s] = r[j][i][s];
			}
	w[0] = make(0, 2, to[0], from[0], gw);
	w[1] = make(1, 2, to[1], from[1], gw);
}

static void
free_pair(struct natgw_worker *w[2], struct rte_ring *r[2][2][NATGW_SIDES])
{
	unsigned int i, j, s;

	natgw_worker_free(w[0]);
	natgw_worker_free(w[1]);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			for (s = 0; s < NATGW_SIDES; s++)
				rte_ring_free(r[i][j][s]);
}

START_TEST(test_owner_rules)
{
	struct rte_ring *r[2][2][NATGW_SIDES];
	struct natgw_worker *pair[2], *w;
	uint8_t b[2048];
	unsigned int o, i, seen[2] = {0, 0};
	uint16_t len;

	make_pair(pair, r, NULL);
	w = pair[0];
	/* Inside: every flow of a host, whatever its ports and destination,
	 * has one owner; hosts spread over both. */
	for (i = 0; i < 64; i++) {
		struct tp t = {.src = 0x0a000100u + i, .dst = 0xc6336401u, .proto = 17,
			.sport = 1000, .dport = 53};

		len = tp_build(b, &t);
		o = natgw_worker_owner(w, NATGW_SIDE_INSIDE, b, len);
		t.sport = 2000 + (uint16_t)i;
		t.dst = 0x08080808u;
		t.proto = 6;
		len = tp_build(b, &t);
		ck_assert_uint_eq(natgw_worker_owner(w, NATGW_SIDE_INSIDE, b, len), o);
		seen[o]++;
	}
	ck_assert(seen[0] > 10 && seen[1] > 10);
	/* Outside: the slice of the destination port. Two workers over
	 * 1024-65535: 1024-33279 and 33280-65535. */
	{
		static const struct {
			uint16_t port;
			unsigned int owner;
		} c[] = {{1024, 0}, {33279, 0}, {33280, 1}, {65535, 1}, {80, 0}};

		for (i = 0; i < RTE_DIM(c); i++) {
			struct tp t = {.src = 0xc6336401u, .dst = PUB, .proto = 6, .sport = 443,
				.dport = c[i].port, .flags = 0x12};

			len = tp_build(b, &t);
			ck_assert_uint_eq(natgw_worker_owner(w, NATGW_SIDE_OUTSIDE, b, len),
				c[i].owner);
		}
	}
	/* ICMP echo reply: its identifier is the public end. */
	{
		struct tp t = {.src = 0xc6336401u, .dst = PUB, .proto = 1, .icmp_type = 0,
			.icmp_id = 40000, .icmp_seq = 1};

		len = tp_build(b, &t);
		ck_assert_uint_eq(natgw_worker_owner(w, NATGW_SIDE_OUTSIDE, b, len), 1);
	}
	/* A later fragment follows its first fragment's owner, which the
	 * receiving worker remembered; unseen, it stays where it arrived. */
	{
		uint8_t pl[64];
		struct tp first = {.src = 0xc6336401u, .dst = PUB, .proto = 17, .sport = 53,
			.dport = 50000, .id = 77, .frag = 0x2000, .payload = pl, .plen = 32};
		struct tp later = {.src = 0xc6336401u, .dst = PUB, .proto = 17, .id = 77,
			.frag = 5, .payload = pl, .plen = 16, .raw_l4 = true};

		memset(pl, 0xab, sizeof(pl));
		len = tp_build(b, &later);
		ck_assert_uint_eq(natgw_worker_owner(w, NATGW_SIDE_OUTSIDE, b, len), 0);
		len = tp_build(b, &first);
		ck_assert_uint_eq(natgw_worker_owner(w, NATGW_SIDE_OUTSIDE, b, len), 1);
		len = tp_build(b, &later);
		ck_assert_uint_eq(natgw_worker_owner(w, NATGW_SIDE_OUTSIDE, b, len), 1);
	}
	/* What does not parse stays with the receiver, whose engine counts it. */
	memset(b, 0, 60);
	ck_assert_uint_eq(natgw_worker_owner(w, NATGW_SIDE_OUTSIDE, b, 60), 0);
	free_pair(pair, r);
}
END_TEST

START_TEST(test_handoff_between_workers)
{
	struct rte_ring *r[2][2][NATGW_SIDES];
	struct natgw_worker *w[2];
	struct sink k[2];
	struct rte_mbuf *pk[32];
	unsigned int i, j, s, total;

	memset(k, 0, sizeof(k));
	make_pair(w, r, NULL);
	/* 32 hosts' SYNs all arrive at worker 0. */
	for (i = 0; i < 32; i++)
		pk[i] = syn(0x0a000200u + i, 40000, 0xc6336401u, 443);
	natgw_worker_rx(w[0], NATGW_SIDE_INSIDE, pk, 32, NS, sink_tx, &k[0]);
	ck_assert_uint_eq(natgw_worker_drain(w[1], NS, sink_tx, &k[1]),
		natgw_worker_stats(w[0])->handoff_out);
	total = k[0].n[NATGW_SIDE_OUTSIDE] + k[1].n[NATGW_SIDE_OUTSIDE];
	ck_assert_uint_eq(total, 32);
	ck_assert(k[0].n[NATGW_SIDE_OUTSIDE] > 0 && k[1].n[NATGW_SIDE_OUTSIDE] > 0);
	ck_assert_uint_eq(natgw_worker_stats(w[1])->handoff_in,
		natgw_worker_stats(w[0])->handoff_out);
	/* Each worker's sessions use ports of its own slice, and every answer
	 * that arrives at the wrong worker is handed to the right one. */
	for (j = 0; j < 2; j++) {
		for (i = 0; i < k[j].n[NATGW_SIDE_OUTSIDE]; i++) {
			struct rte_mbuf *m = k[j].m[NATGW_SIDE_OUTSIDE][i];
			const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
			uint16_t pport = tp_get16(f + tp_l4(f));
			uint8_t b[2048];
			struct tp ans = {.src = 0xc6336401u, .dst = PUB, .proto = 6, .sport = 443,
				.dport = pport, .flags = 0x12, .seq = 9, .ack = 2};

			ck_assert_uint_eq((pport - 1024u) / 32256u, j);
			pk[0] = tp_mbuf(b, tp_build(b, &ans));
			/* all answers arrive at worker 1 */
			natgw_worker_rx(w[1], NATGW_SIDE_OUTSIDE, pk, 1, NS + 1, sink_tx, &k[1]);
		}
	}
	natgw_worker_drain(w[0], NS + 1, sink_tx, &k[0]);
	ck_assert_uint_eq(k[0].n[NATGW_SIDE_INSIDE] + k[1].n[NATGW_SIDE_INSIDE], 32);
	ck_assert_uint_eq(natgw_nat_stats(natgw_worker_nat(w[0]))->drop[NATGW_DROP_no_session_inbound] +
		natgw_nat_stats(natgw_worker_nat(w[1]))->drop[NATGW_DROP_no_session_inbound], 0);
	/* A port that refuses counts tx drops and the worker frees them. */
	k[1].refuse = 1;
	sink_free(&k[1]);
	for (i = 0; i < 4; i++)
		pk[i] = syn(0x0a000300u, (uint16_t)(1000 + i), 0xc6336402u, 80);
	s = natgw_worker_owner(w[1], NATGW_SIDE_INSIDE, rte_pktmbuf_mtod(pk[0], uint8_t *),
		rte_pktmbuf_data_len(pk[0]));
	natgw_worker_rx(w[s], NATGW_SIDE_INSIDE, pk, 4, NS + 2, sink_tx, &k[1]);
	ck_assert_uint_eq(k[1].n[NATGW_SIDE_OUTSIDE], 1);
	ck_assert_uint_eq(natgw_worker_stats(w[s])->tx_drop[NATGW_SIDE_OUTSIDE], 3);
	sink_free(&k[0]);
	sink_free(&k[1]);
	free_pair(w, r);
}
END_TEST

/* Gateway mode: two gateways, each its own subnet and address; a packet
 * reaches its gateway's worker whichever worker received it, and leaves with
 * that gateway's address; the answer finds its way back the same way. */
START_TEST(test_gateway_mode)
{
	struct natgw_nat_conf gw[2];
	struct rte_ring *r[2][2][NATGW_SIDES];
	struct natgw_worker *w[2];
	struct sink k[2];
	struct rte_mbuf *pk[2];
	unsigned int g;

	memset(k, 0, sizeof(k));
	for (g = 0; g < 2; g++) {
		base_conf(&gw[g], 0, 1);
		gw[g].inside[0].addr = 0x0a000100u + (g << 8); /* 10.0.1+g.0/24 */
		gw[g].inside[0].mask = 0xffffff00u;
		gw[g].public_ip[0] = htonl(PUB + 1 + g);       /* 203.0.113.11+g */
	}
	make_pair(w, r, gw);
	pk[0] = syn(0x0a000105u, 40000, 0xc6336401u, 443); /* 10.0.1.5: gateway 0 */
	pk[1] = syn(0x0a000205u, 40001, 0xc6336401u, 443); /* 10.0.2.5: gateway 1 */
	ck_assert_uint_eq(natgw_worker_owner(w[0], NATGW_SIDE_INSIDE,
		rte_pktmbuf_mtod(pk[1], uint8_t *), rte_pktmbuf_data_len(pk[1])), 1);
	natgw_worker_rx(w[0], NATGW_SIDE_INSIDE, pk, 2, NS, sink_tx, &k[0]);
	ck_assert_uint_eq(natgw_worker_drain(w[1], NS, sink_tx, &k[1]), 1);
	for (g = 0; g < 2; g++) {
		const uint8_t *f;
		uint8_t b[2048];
		struct tp ans = {.src = 0xc6336401u, .dst = PUB + 1 + g, .proto = 6, .sport = 443,
			.flags = 0x12, .seq = 9, .ack = 2};

		ck_assert_uint_eq(k[g].n[NATGW_SIDE_OUTSIDE], 1);
		f = rte_pktmbuf_mtod(k[g].m[NATGW_SIDE_OUTSIDE][0], const uint8_t *);
		ck_assert_uint_eq(tp_ip_src(f), PUB + 1 + g);
		/* Its answer arrives at the other gateway's worker. */
		ans.dport = tp_get16(f + tp_l4(f));
		pk[0] = tp_mbuf(b, tp_build(b, &ans));
		natgw_worker_rx(w[g ^ 1], NATGW_SIDE_OUTSIDE, pk, 1, NS + 1, sink_tx, &k[g ^ 1]);
		natgw_worker_drain(w[g], NS + 1, sink_tx, &k[g]);
		ck_assert_uint_eq(k[g].n[NATGW_SIDE_INSIDE], 1);
		f = rte_pktmbuf_mtod(k[g].m[NATGW_SIDE_INSIDE][0], const uint8_t *);
		ck_assert_uint_eq(tp_ip_dst(f), 0x0a000105u + (g << 8));
	}
	ck_assert_uint_eq(natgw_nat_stats(natgw_worker_nat(w[0]))->sessions_created, 1);
	ck_assert_uint_eq(natgw_nat_stats(natgw_worker_nat(w[1]))->sessions_created, 1);
	sink_free(&k[0]);
	sink_free(&k[1]);
	free_pair(w, r);
}
END_TEST

/* Predictable RSS: every answer of a steered session hashes (Toeplitz, the
 * NIC's function, computed by rte_softrss) to a queue its owner polls. */
START_TEST(test_rss_steering)
{
	/* 4 queues; worker 0 polls 0 and 2, worker 1 polls 1 and 3 */
	static const uint8_t qw[4] = {0, 1, 0, 1};
	uint16_t reta[128];
	struct natgw_rss_steer *rs;
	unsigned int id, i, hits[4] = {0, 0, 0, 0};
	char err[256];

	for (i = 0; i < 128; i++)
		reta[i] = (uint16_t)(i % 4);
	rs = natgw_rss_steer_create("trss", 7, reta, qw, 4, 2, NULL, err, sizeof(err));
	ck_assert_msg(rs != NULL, "%s", err);
	for (id = 0; id < 2; id++) {
		struct natgw_nat_conf c;
		struct natgw_nat *nat;

		/* Each worker's engine, made alone: this test is about its ports. */
		base_conf(&c, id, 2);
		ck_assert_int_eq(natgw_rss_steer_attach(rs, &c), 0);
		nat = natgw_nat_create(id ? "trs1" : "trs0", &c, err, sizeof(err));
		ck_assert_msg(nat != NULL, "%s", err);
		for (i = 0; i < 400; i++) {
			uint32_t rem = 0xc6336400u + (i % 50);
			uint16_t rport = (uint16_t)(i % 3 ? 443 : 8080), pport, q;
			struct rte_mbuf *m = syn(0x0a000000u + i, (uint16_t)(20000 + i), rem, rport);
			struct natgw_nat_out out;
			uint32_t pip;

			natgw_nat_burst(nat, NATGW_SIDE_INSIDE, &m, 1, NS, &out);
			ck_assert_uint_eq(out.n[NATGW_SIDE_OUTSIDE], 1);
			rte_pktmbuf_free(out.pkts[NATGW_SIDE_OUTSIDE][0]);
			ck_assert(natgw_nat_public_endpoint(nat, 6, htonl(0x0a000000u + i),
				htons((uint16_t)(20000 + i)), htonl(rem), htons(rport), &pip, &pport));
			q = natgw_rss_steer_queue(rs, htonl(rem), pip, htons(rport), pport);
			ck_assert_msg(qw[q] == id, "flow %u: answer hashes to queue %u, worker %u "
				"owns the session", i, q, id);
			ck_assert_uint_eq((ntohs(pport) - 1024u) / 32256u, id);
			hits[q]++;
		}
		natgw_nat_free(nat);
	}
	/* both of each worker's queues are used */
	for (i = 0; i < 4; i++)
		ck_assert_msg(hits[i] > 50, "queue %u got %u answers", i, hits[i]);
	natgw_rss_steer_free(rs);
}
END_TEST

START_TEST(test_rss_steer_refuses)
{
	static const uint8_t qw[2] = {0, 5};
	uint16_t reta[4] = {0, 1, 0, 1};
	char err[256];

	ck_assert(natgw_rss_steer_create("bad1", 2, reta, qw, 2, 2, NULL, err, sizeof(err)) ==
		NULL);
	ck_assert(strstr(err, "queue 1") != NULL);
	ck_assert(natgw_rss_steer_create("bad2", 30, reta, qw, 2, 2, NULL, err, sizeof(err)) ==
		NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("worker");
	TCase *t = tcase_create("worker");

	natgw_test_eal();
	tcase_set_timeout(t, 120);
	tcase_add_test(t, test_owner_rules);
	tcase_add_test(t, test_handoff_between_workers);
	tcase_add_test(t, test_gateway_mode);
	tcase_add_test(t, test_rss_steering);
	tcase_add_test(t, test_rss_steer_refuses);
	suite_add_tcase(s, t);
	return natgw_test_run(s);
}
