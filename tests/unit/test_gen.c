/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/gen, the lab's traffic generator, on ring ports wired in this test:
 * looped without a NAT, every frame comes back and is counted, timed and
 * checked; wired wrongly or expecting a NAT that is not there, every frame is
 * counted as mistranslated, never as received; flows without a session are
 * offered and lost without a frame; a full ring is loss or shortfall as
 * configured; the frame-size mixes and their errors.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "natgw_ethdev.h"
#include "natgw_gen.h"
#include "natgw_test.h"

#define FLOWS 64

static struct natgw_gen_dest dests[2];

/* A port on rings @p rx and @p tx, started. */
static uint16_t
ring_port(const char *name, struct rte_ring *rx, struct rte_ring *tx)
{
	struct natgw_port p;
	char err[256];
	int id = rte_eth_from_rings(name, &rx, 1, &tx, 1, 0);

	ck_assert_int_ge(id, 0);
	memset(&p, 0, sizeof(p));
	p.id = (uint16_t)id;
	ck_assert_msg(natgw_port_start(&p, 1, 1, 512, natgw_test_pool(), err, sizeof(err)) == 0,
		"%s", err);
	return p.id;
}

static struct rte_ring *
ring(const char *name, unsigned int size)
{
	struct rte_ring *r = rte_ring_create(name, size, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);

	ck_assert_ptr_nonnull(r);
	return r;
}

/* How the generator's two ports are wired. */
enum wiring {
	LOOP,      /* what the inside port sends arrives at the outside port, and back */
	SELF,      /* each port gets back what it sent: a miswired device */
};

struct rig {
	struct natgw_gen *g;
	struct rte_ring *r[2];
};

static void
rig_make(struct rig *rig, const char *tag, enum wiring w, bool expect_nat, bool full_is_loss,
		unsigned int ring_size, const char *mix)
{
	struct natgw_gen_conf c;
	char n[4][32], err[256];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(n[i], sizeof(n[i]), "%s_r%u", tag, i);
		rig->r[i] = ring(n[i], ring_size);
	}
	snprintf(n[2], sizeof(n[2]), "%s_in", tag);
	snprintf(n[3], sizeof(n[3]), "%s_out", tag);
	memset(&c, 0, sizeof(c));
	if (w == LOOP) {
		c.port[NATGW_GEN_OUT] = ring_port(n[2], rig->r[1], rig->r[0]);
		c.port[NATGW_GEN_IN] = ring_port(n[3], rig->r[0], rig->r[1]);
	} else {
		c.port[NATGW_GEN_OUT] = ring_port(n[2], rig->r[0], rig->r[0]);
		c.port[NATGW_GEN_IN] = ring_port(n[3], rig->r[1], rig->r[1]);
	}
	c.mp = natgw_test_pool();
	c.inside_net = rte_cpu_to_be_32(0x0a000001);
	c.hosts = 8;
	dests[0] = (struct natgw_gen_dest){rte_cpu_to_be_32(0x34d9540c), rte_cpu_to_be_16(443)};
	dests[1] = (struct natgw_gen_dest){rte_cpu_to_be_32(0xc6120001), rte_cpu_to_be_16(443)};
	c.dests = dests;
	c.n_dests = 2;
	ck_assert_int_eq(natgw_gen_mix_parse(&c.mix[0], mix, err, sizeof(err)), 0);
	c.mix[1] = c.mix[0];
	c.out_share = 0.5;
	c.max_flows = FLOWS;
	c.expect_nat = expect_nat;
	c.full_is_loss = full_is_loss;
	rig->g = natgw_gen_create(&c, err, sizeof(err));
	ck_assert_msg(rig->g != NULL, "%s", err);
}

static void
run(struct rig *rig, struct natgw_gen_run *run, struct natgw_gen_result *r)
{
	char err[256];

	if (run->drain_ns == 0)
		run->drain_ns = 5000000;
	ck_assert_msg(natgw_gen_run(rig->g, run, r, err, sizeof(err)) == 0, "%s", err);
}

START_TEST(test_loop_every_frame_back)
{
	struct rig rig;
	struct natgw_gen_result r;
	struct natgw_gen_run est = {.mode = NATGW_GEN_ESTABLISH, .rate = 1e6, .count = FLOWS};
	struct natgw_gen_run bi = {.mode = NATGW_GEN_BIDIR, .rate = 2e5, .n_flows = FLOWS,
		.duration_ns = 20000000};
	unsigned int d;

	rig_make(&rig, "lp", LOOP, false, true, 1024, "64");
	run(&rig, &est, &r);
	ck_assert_uint_eq(r.sent[NATGW_GEN_OUT], FLOWS);
	ck_assert_uint_eq(r.received[NATGW_GEN_OUT], FLOWS);
	ck_assert_uint_eq(natgw_gen_established(rig.g, FLOWS), FLOWS);
	for (d = 0; d < NATGW_GEN_DIRS; d++)
		bi.lat[d] = natgw_hist_create(0);
	run(&rig, &bi, &r);
	for (d = 0; d < NATGW_GEN_DIRS; d++) {
		ck_assert_uint_gt(r.sent[d], 0);
		ck_assert_uint_eq(r.received[d], r.sent[d]);
		ck_assert_uint_eq(r.mistranslated[d], 0);
		/* 64-byte frames: 60 bytes without the FCS. */
		ck_assert_uint_eq(r.sent_bytes[d], 60 * r.sent[d]);
		ck_assert_uint_eq(natgw_hist_count(bi.lat[d]), r.received[d]);
		ck_assert_uint_gt(natgw_hist_min(bi.lat[d]), 0);
		natgw_hist_free(bi.lat[d]);
	}
	ck_assert_uint_eq(r.remapped, 0);
	ck_assert_uint_eq(r.stale, 0);
	ck_assert_uint_eq(r.foreign, 0);
	/* About the rate asked for: 4,000 frames in 20 ms (a busy machine
	 * can only make it fewer). */
	ck_assert_uint_le(r.sent[0] + r.sent[1], 4000 + 64);
	natgw_gen_free(rig.g);
}
END_TEST

/* A device that hands frames back untranslated, when a NAT is expected:
 * every outbound frame is wrong, none received, no endpoint learned. */
START_TEST(test_untranslated_is_mistranslated)
{
	struct rig rig;
	struct natgw_gen_result r;
	struct natgw_gen_run est = {.mode = NATGW_GEN_ESTABLISH, .rate = 1e6, .count = FLOWS};

	rig_make(&rig, "un", LOOP, true, true, 1024, "64");
	run(&rig, &est, &r);
	ck_assert_uint_eq(r.sent[NATGW_GEN_OUT], FLOWS);
	ck_assert_uint_eq(r.received[NATGW_GEN_OUT], 0);
	ck_assert_uint_eq(r.mistranslated[NATGW_GEN_OUT], FLOWS);
	ck_assert_uint_eq(natgw_gen_established(rig.g, FLOWS), 0);
	natgw_gen_free(rig.g);
}
END_TEST

/* Frames that come back out of the wrong port: checked as the other
 * direction, they fail its check. */
START_TEST(test_wrong_port_is_mistranslated)
{
	struct rig rig;
	struct natgw_gen_result r;
	struct natgw_gen_run est = {.mode = NATGW_GEN_ESTABLISH, .rate = 1e6, .count = FLOWS};

	rig_make(&rig, "wp", SELF, false, true, 1024, "64");
	run(&rig, &est, &r);
	ck_assert_uint_eq(r.received[0] + r.received[1], 0);
	ck_assert_uint_eq(r.mistranslated[NATGW_GEN_IN], FLOWS);
	natgw_gen_free(rig.g);
}
END_TEST

/* Inbound to flows that never got a session: offered and lost, no frame. */
START_TEST(test_validate_unestablished)
{
	struct rig rig;
	struct natgw_gen_result r;
	struct natgw_gen_run val = {.mode = NATGW_GEN_VALIDATE, .rate = 1e6, .count = FLOWS};

	rig_make(&rig, "va", LOOP, false, true, 1024, "64");
	run(&rig, &val, &r);
	ck_assert_uint_eq(r.sent[NATGW_GEN_IN], FLOWS);
	ck_assert_uint_eq(r.sent_bytes[NATGW_GEN_IN], 0);
	ck_assert_uint_eq(r.received[NATGW_GEN_IN], 0);
	ck_assert_uint_eq(rte_ring_count(rig.r[0]) + rte_ring_count(rig.r[1]), 0);
	natgw_gen_free(rig.g);
}
END_TEST

/* A ring that takes 31 frames and is never drained (the ports wired to
 * rings nobody reads: SELF wiring with rx polled... by the generator itself,
 * so instead: one ring, the device's rx queue, left full). */
START_TEST(test_full_ring)
{
	struct natgw_gen_conf c;
	struct natgw_gen_result r;
	struct natgw_gen_run est = {.mode = NATGW_GEN_ESTABLISH, .rate = 1e7, .count = 200};
	struct rte_ring *sink[2], *src[2];
	struct natgw_gen *g;
	char err[256];
	unsigned int k;

	for (k = 0; k < 2; k++) {
		char n[4][32];

		snprintf(n[0], sizeof(n[0]), "fr_sink%u", k);
		snprintf(n[1], sizeof(n[1]), "fr_src%u", k);
		snprintf(n[2], sizeof(n[2]), "fr_in%u", k);
		snprintf(n[3], sizeof(n[3]), "fr_out%u", k);
		/* The generator transmits into a 32-entry ring nobody reads,
		 * and receives from an empty one. */
		sink[k] = ring(n[0], 32);
		src[k] = ring(n[1], 32);
		memset(&c, 0, sizeof(c));
		c.port[NATGW_GEN_OUT] = ring_port(n[2], src[k], sink[k]);
		c.port[NATGW_GEN_IN] = ring_port(n[3], src[k], sink[k]);
		c.mp = natgw_test_pool();
		c.inside_net = rte_cpu_to_be_32(0x0a000001);
		c.hosts = 8;
		c.dests = dests;
		c.n_dests = 1;
		ck_assert_int_eq(natgw_gen_mix_parse(&c.mix[0], "64", err, sizeof(err)), 0);
		c.mix[1] = c.mix[0];
		c.out_share = 0.5;
		c.max_flows = 200;
		c.full_is_loss = k == 0;
		g = natgw_gen_create(&c, err, sizeof(err));
		ck_assert_msg(g != NULL, "%s", err);
		est.drain_ns = 1000000;
		ck_assert_int_eq(natgw_gen_run(g, &est, &r, err, sizeof(err)), 0);
		/* The ring took 31 (one slot is kept empty). */
		ck_assert_uint_eq(rte_ring_count(sink[k]), 31);
		ck_assert_uint_eq(r.tx_full[NATGW_GEN_OUT], 200 - 31);
		/* Full is the device's loss: all 200 offered; else the
		 * generator's shortfall: only 31 sent. */
		ck_assert_uint_eq(r.sent[NATGW_GEN_OUT], k == 0 ? 200 : 31);
		ck_assert_uint_eq(r.received[NATGW_GEN_OUT], 0);
		natgw_gen_free(g);
	}
}
END_TEST

START_TEST(test_mix)
{
	static const struct {
		const char *s, *want;
	} bad[] = {
		{"40", "not a frame size"}, {"64:0", "weight"}, {"64,,128", "not a number"},
		{"9019", "not a frame size"}, {"64;128", "expected ','"},
		{"64,65,66,67,68,69,70,71,72", "more than 8"}, {"", "none given"},
		{"x", "not a number"},
	};
	struct natgw_gen_mix m;
	char err[256];
	unsigned int i;

	ck_assert_int_eq(natgw_gen_mix_parse(&m, "imix", err, sizeof(err)), 0);
	ck_assert_uint_eq(m.n, 3);
	ck_assert_uint_eq(m.len[0], 60);
	ck_assert_uint_eq(m.weight[0], 7);
	ck_assert_uint_eq(m.len[2], 1514);
	ck_assert_uint_eq(m.weight[2], 1);
	/* The simple IMIX: (64*7 + 570*4 + 1518) / 12 with the FCS. */
	ck_assert_double_eq_tol(natgw_gen_mix_mean(&m) + 4, (64.0 * 7 + 570 * 4 + 1518) / 12,
		1e-9);
	ck_assert_int_eq(natgw_gen_mix_parse(&m, "64,1518", err, sizeof(err)), 0);
	ck_assert_double_eq_tol(natgw_gen_mix_mean(&m), 787, 1e-9);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(natgw_gen_mix_parse(&m, bad[i].s, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, bad[i].want) != NULL, "'%s': %s", bad[i].s, err);
		ck_assert_ptr_null(strchr(err, '\n'));
	}
}
END_TEST

/* A mix is sent in its proportions: 1 in 2 of 64 and 1518 bytes. */
START_TEST(test_mix_sent)
{
	struct rig rig;
	struct natgw_gen_result r;
	struct natgw_gen_run est = {.mode = NATGW_GEN_ESTABLISH, .rate = 1e6, .count = 512};

	rig_make(&rig, "ms", LOOP, false, true, 1024, "64,1518");
	run(&rig, &est, &r);
	ck_assert_uint_eq(r.sent[NATGW_GEN_OUT], 512);
	ck_assert_uint_eq(r.sent_bytes[NATGW_GEN_OUT], 256 * 60 + 256 * 1514);
	ck_assert_uint_eq(r.received[NATGW_GEN_OUT], 512);
	natgw_gen_free(rig.g);
}
END_TEST

static Suite *
gen_suite(void)
{
	Suite *s = suite_create("gen");
	TCase *t = tcase_create("gen");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, test_loop_every_frame_back);
	tcase_add_test(t, test_untranslated_is_mistranslated);
	tcase_add_test(t, test_wrong_port_is_mistranslated);
	tcase_add_test(t, test_validate_unestablished);
	tcase_add_test(t, test_full_ring);
	tcase_add_test(t, test_mix);
	tcase_add_test(t, test_mix_sent);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	natgw_test_eal();
	return natgw_test_run(gen_suite());
}
