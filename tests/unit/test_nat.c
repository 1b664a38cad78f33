/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Check suite for the NAT engine (lib/nat), in the style of Cilium's NAT tests:
 * build a frame field by field, seed a mapping by sending the outbound packet,
 * run it through natgw_nat_burst(), and compare what comes out with a frame
 * built independently from what the profile says it must be, byte for byte.
 * The expected frames get their checksums from natgw_test.c's from-scratch
 * sums, so a byte-equal output also proves the engine's incremental checksum
 * updates; tp_verify() rechecks every output on its own. Time is virtual:
 * every `now` is chosen by the test.
 */
#include <arpa/inet.h>
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "nat_addrs.h"
#include "nat_private.h" /* test_aws_guess: the profile's ops, the session */
#include "natgw_nat.h"
#include "natgw_test.h"

#define MS 1000000ull

/* More addresses, host order. */
#define ROUTER 0xc6336401u /* 198.51.100.1: a hop on the path, not a flow end */
#define NET    0x0a000000u /* 10.0.0.0/16 */
#define MASK   0xffff0000u

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

#define ISN_C 1000u /* client's initial sequence number */
#define ISN_S 9000u /* server's */

#define IN  NATGW_SIDE_INSIDE
#define OUT NATGW_SIDE_OUTSIDE

static uint8_t pat[1500];

/* ------------------------------------------------------------------ engines */

/* Engines made by a test, freed by the fixture even when the test fails, so
 * that the table names they hold are free for the next test. */
static struct natgw_nat *engines[8];
static unsigned int n_engines;

static void
setup(void)
{
	unsigned int i;

	natgw_test_eal();
	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 37 + 11);
	n_engines = 0;
}

static void
teardown(void)
{
	while (n_engines)
		natgw_nat_free(engines[--n_engines]);
}

static void
conf_base(struct natgw_nat_conf *c, enum natgw_profile p)
{
	natgw_nat_conf_defaults(c, p);
	c->public_ip[0] = htonl(PUB);
	c->n_public = 1;
	c->inside[0].addr = NET;
	c->inside[0].mask = MASK;
	c->n_inside = 1;
	c->max_sessions = 4096;
}

static struct natgw_nat *
mk(const struct natgw_nat_conf *c)
{
	static unsigned int seq;
	char name[16], err[256] = "";
	struct natgw_nat *nat;

	ck_assert_uint_lt(n_engines, sizeof(engines) / sizeof(engines[0]));
	snprintf(name, sizeof(name), "tn%u", seq++);
	nat = natgw_nat_create(name, c, err, sizeof(err));
	ck_assert_msg(nat != NULL, "natgw_nat_create: %s", err);
	engines[n_engines++] = nat;
	return nat;
}

static struct natgw_nat *
mk_profile(enum natgw_profile p)
{
	struct natgw_nat_conf c;

	conf_base(&c, p);
	return mk(&c);
}

static const struct natgw_nat_stats *
st_of(const struct natgw_nat *nat)
{
	return natgw_nat_stats(nat);
}

#define METRIC(nat, name) (st_of(nat)->metric[NATGW_M_##name])
#define DROPS(nat, name) (st_of(nat)->drop[NATGW_DROP_##name])

/* ------------------------------------------------------------------ frames */

static struct tp
tcp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint8_t flags,
		uint32_t seq, uint32_t ack)
{
	struct tp t = {
		.src = src, .dst = dst, .proto = 6, .sport = sport, .dport = dport,
		.flags = flags, .seq = seq, .ack = ack,
	};

	return t;
}

static struct tp
udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint16_t plen)
{
	struct tp t = {
		.src = src, .dst = dst, .proto = 17, .sport = sport, .dport = dport,
		.payload = pat, .plen = plen,
	};

	return t;
}

static struct tp
icmp(uint32_t src, uint32_t dst, uint8_t type, uint16_t id, uint16_t sq, uint16_t plen)
{
	struct tp t = {
		.src = src, .dst = dst, .proto = 1, .icmp_type = type,
		.icmp_id = id, .icmp_seq = sq, .payload = pat, .plen = plen,
	};

	return t;
}

/* An ICMP error from @p src to @p dst quoting @p qlen bytes at @p quote. */
static struct tp
icmp_err(uint32_t src, uint32_t dst, uint8_t type, uint8_t code, const uint8_t *quote,
		uint16_t qlen)
{
	struct tp t = {
		.src = src, .dst = dst, .proto = 1, .icmp_type = type, .icmp_code = code,
		.payload = quote, .plen = qlen,
	};

	return t;
}

/* The IPv4 packet of @p t, cut to at most @p max bytes, into @p buf: what an
 * ICMP error quotes. @return its length. */
static uint16_t
ip_bytes(uint8_t *buf, const struct tp *t, uint16_t max)
{
	uint8_t f[2048];
	uint16_t len = tp_build(f, t), l3 = tp_l3(f), n = (uint16_t)(len - l3);

	if (n > max)
		n = max;
	memcpy(buf, f + l3, n);
	return n;
}

/* A non-IPv4 frame: ARP (0x0806) or IPv6 (0x86dd) with a body of @p body bytes. */
static uint16_t
raw_frame(uint8_t *f, uint16_t ethertype, uint16_t body)
{
	unsigned int i;

	memset(f, 0, 2048);
	for (i = 0; i < 6; i++) {
		f[i] = (uint8_t)(0x02 + i);
		f[6 + i] = (uint8_t)(0x12 + i);
	}
	f[12] = (uint8_t)(ethertype >> 8);
	f[13] = (uint8_t)ethertype;
	if (ethertype == 0x86dd) {
		f[14] = 0x60;
		f[14 + 6] = 17;   /* next header UDP */
		f[14 + 7] = 64;   /* hop limit */
		f[14 + 5] = 8;    /* payload length */
	} else {
		f[14 + 1] = 1;    /* ARP: Ethernet */
		f[14 + 2] = 8;    /* IPv4 */
		f[14 + 4] = 6;
		f[14 + 5] = 4;
		f[14 + 7] = 1;    /* request */
	}
	return (uint16_t)(14 + body);
}

/* Split the datagram of @p whole into two IPv4 fragments at transport byte
 * @p cut (a multiple of 8): the first with MF set, the second at offset cut/8. */
static void
make_frags(const struct tp *whole, uint16_t cut, uint8_t *f1, uint16_t *l1, uint8_t *f2,
		uint16_t *l2)
{
	uint8_t w[2048];
	uint16_t wl = tp_build(w, whole), l4 = tp_l4(w);
	struct tp a = *whole, b = *whole;

	a.raw_l4 = true;
	a.payload = w + l4;
	a.plen = cut;
	a.frag = 0x2000;
	b.raw_l4 = true;
	b.payload = w + l4 + cut;
	b.plen = (uint16_t)(wl - l4 - cut);
	b.frag = (uint16_t)(cut / 8);
	*l1 = tp_build(f1, &a);
	*l2 = tp_build(f2, &b);
}

/* ------------------------------------------------------------------ sending */

/* What came out of the engine for one frame in. */
struct got {
	int side;       /* the side it leaves by; -1: nothing came out */
	uint16_t len;
	uint8_t f[2048];
};

static void
take(struct got *g, int side, struct rte_mbuf *m)
{
	ck_assert_uint_eq(m->nb_segs, 1);
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), rte_pktmbuf_data_len(m));
	g->side = side;
	g->len = rte_pktmbuf_data_len(m);
	memcpy(g->f, rte_pktmbuf_mtod(m, uint8_t *), g->len);
}

/* Send one frame; @return the side its result leaves by, -1 if dropped. */
static int
xmit(struct natgw_nat *nat, enum natgw_side side, const uint8_t *frame, uint16_t len,
		uint64_t now, struct got *g)
{
	struct natgw_nat_out out;
	struct rte_mbuf *m = tp_mbuf(frame, len);
	unsigned int s, i, total;

	ck_assert_ptr_nonnull(m);
	memset(&out, 0xa5, sizeof(out)); /* the engine must reset the counts */
	natgw_nat_burst(nat, side, &m, 1, now, &out);
	ck_assert_uint_le(out.n[0], NATGW_BURST_MAX);
	ck_assert_uint_le(out.n[1], NATGW_BURST_MAX);
	total = out.n[0] + out.n[1];
	g->side = -1;
	g->len = 0;
	for (s = 0; s < NATGW_SIDES; s++)
		for (i = 0; i < out.n[s]; i++) {
			if (g->side < 0)
				take(g, (int)s, out.pkts[s][i]);
			rte_pktmbuf_free(out.pkts[s][i]);
		}
	ck_assert_msg(total <= 1, "one frame in, %u out", total);
	return g->side;
}

static int
xmit_tp(struct natgw_nat *nat, enum natgw_side side, const struct tp *t, uint64_t now,
		struct got *g)
{
	uint8_t f[2048];
	uint16_t len = tp_build(f, t);

	return xmit(nat, side, f, len, now, g);
}

/* Which drop counter moved since @p before (for failure messages). */
static const char *
drop_diff(const uint64_t *before, const struct natgw_nat *nat)
{
	int r;

	for (r = 0; r < NATGW_DROP_MAX; r++)
		if (st_of(nat)->drop[r] != before[r])
			return natgw_drop_name((enum natgw_drop)r);
	return "no drop counted";
}

static void
check_csums(const struct got *g, const char *what)
{
	char why[160] = "";

	ck_assert_msg(tp_verify(g->f, g->len, why, sizeof(why)) == 0, "%s: %s", what, why);
}

/* A frame that must be translated: it comes out on the other side with every
 * checksum right. */
static void
fwd_frame(struct natgw_nat *nat, enum natgw_side side, const uint8_t *f, uint16_t len,
		uint64_t now, struct got *g, const char *what)
{
	uint64_t before[NATGW_DROP_MAX];
	int s;

	memcpy(before, st_of(nat)->drop, sizeof(before));
	s = xmit(nat, side, f, len, now, g);
	ck_assert_msg(s == (int)(side ^ 1), "%s: not forwarded (%s)", what,
		s < 0 ? drop_diff(before, nat) : "answered on its own side");
	check_csums(g, what);
}

static void
fwd(struct natgw_nat *nat, enum natgw_side side, const struct tp *t, uint64_t now,
		struct got *g, const char *what)
{
	uint8_t f[2048];
	uint16_t len = tp_build(f, t);

	fwd_frame(nat, side, f, len, now, g, what);
}

/* A frame that must be dropped for @p why, counted where it should be. */
static void
drop_frame(struct natgw_nat *nat, enum natgw_side side, const uint8_t *f, uint16_t len,
		uint64_t now, enum natgw_drop why, const char *what)
{
	uint64_t before[NATGW_DROP_MAX], dc = METRIC(nat, PacketsDropCount);
	struct got g;
	int s;

	memcpy(before, st_of(nat)->drop, sizeof(before));
	s = xmit(nat, side, f, len, now, &g);
	ck_assert_msg(s < 0, "%s: expected drop %s, came out on side %d to %08x", what,
		natgw_drop_name(why), s, s < 0 ? 0 : tp_ip_dst(g.f));
	ck_assert_msg(st_of(nat)->drop[why] == before[why] + 1, "%s: expected drop %s, got %s",
		what, natgw_drop_name(why), drop_diff(before, nat));
	ck_assert_msg(METRIC(nat, PacketsDropCount) == dc + (natgw_drop_counted(why) ? 1 : 0),
		"%s: PacketsDropCount %" PRIu64 " after %" PRIu64, what,
		METRIC(nat, PacketsDropCount), dc);
}

static void
drop(struct natgw_nat *nat, enum natgw_side side, const struct tp *t, uint64_t now,
		enum natgw_drop why, const char *what)
{
	uint8_t f[2048];
	uint16_t len = tp_build(f, t);

	drop_frame(nat, side, f, len, now, why, what);
}

/* The output must be exactly the frame @p want describes. */
static void
expect_frame(const struct got *g, const struct tp *want, const char *what)
{
	uint8_t w[2048];
	uint16_t wl = tp_build(w, want), i;

	check_csums(g, what);
	ck_assert_msg(g->len == wl, "%s: %u bytes, want %u", what, g->len, wl);
	for (i = 0; i < wl; i++)
		ck_assert_msg(g->f[i] == w[i], "%s: byte %u (IP+%d) is 0x%02x, want 0x%02x",
			what, i, (int)i - (int)tp_l3(w), g->f[i], w[i]);
}

static uint16_t
l4_16(const struct got *g, unsigned int off)
{
	return tp_get16(g->f + tp_l4(g->f) + off);
}

static uint16_t
out_sport(const struct got *g)
{
	return l4_16(g, 0);
}

static uint16_t
out_icmp_id(const struct got *g)
{
	return l4_16(g, 4);
}

/* Open priv:sport -> rem:dport with the three-way handshake, 1 ms apart from
 * @p now; @return the public port. */
static uint16_t
tcp_open(struct natgw_nat *nat, uint32_t priv, uint16_t sport, uint32_t rem, uint16_t dport,
		uint64_t now)
{
	struct tp t = tcp(priv, sport, rem, dport, F_SYN, ISN_C, 0);
	struct got g;
	uint32_t pip;
	uint16_t pport;

	fwd(nat, IN, &t, now, &g, "SYN");
	pip = tp_ip_src(g.f);
	pport = out_sport(&g);
	t = tcp(rem, dport, pip, pport, F_SYN | F_ACK, ISN_S, ISN_C + 1);
	fwd(nat, OUT, &t, now + MS, &g, "SYN-ACK");
	ck_assert_uint_eq(tp_ip_dst(g.f), priv);
	t = tcp(priv, sport, rem, dport, F_ACK, ISN_C + 1, ISN_S + 1);
	fwd(nat, IN, &t, now + 2 * MS, &g, "ACK");
	return pport;
}

/* Bursts: frames built into a static array, outputs copied out per side. */
#define BMAX 16
static uint8_t bframe[BMAX][2048];
static uint16_t blen[BMAX];
static struct got bgot[NATGW_SIDES][BMAX];
static unsigned int bn[NATGW_SIDES];

static void
burst(struct natgw_nat *nat, enum natgw_side side, unsigned int n, uint64_t now)
{
	struct rte_mbuf *m[BMAX];
	struct natgw_nat_out out;
	unsigned int i, s;

	for (i = 0; i < n; i++) {
		m[i] = tp_mbuf(bframe[i], blen[i]);
		ck_assert_ptr_nonnull(m[i]);
	}
	natgw_nat_burst(nat, side, m, (uint16_t)n, now, &out);
	for (s = 0; s < NATGW_SIDES; s++) {
		bn[s] = out.n[s];
		for (i = 0; i < out.n[s]; i++) {
			if (i < BMAX)
				take(&bgot[s][i], (int)s, out.pkts[s][i]);
			rte_pktmbuf_free(out.pkts[s][i]);
		}
	}
	ck_assert_uint_le(bn[0] + bn[1], n);
}

static const struct natgw_flow_record *
log_find(const struct natgw_nat *nat, uint8_t proto, uint32_t in_ip, uint16_t in_port,
		uint32_t rem_ip, uint16_t rem_port)
{
	const struct natgw_flow_record *r;
	size_t n, i;

	r = natgw_nat_flow_log(nat, &n);
	for (i = 0; i < n; i++)
		if (r[i].proto == proto && r[i].in_ip == htonl(in_ip) &&
				r[i].in_port == htons(in_port) && r[i].rem_ip == htonl(rem_ip) &&
				r[i].rem_port == htons(rem_port))
			return &r[i];
	return NULL;
}

static size_t
log_len(const struct natgw_nat *nat)
{
	size_t n;

	natgw_nat_flow_log(nat, &n);
	return n;
}

/* ================================================================== translate */

START_TEST(test_tcp_out_and_back)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t = tcp(PRIV, 40000, REM, 80, F_SYN, ISN_C, 0), w;
	struct got g;
	uint16_t P;

	t.tos = 0x28;
	t.id = 0x1234;
	t.ttl = 64;
	t.win = 29200;
	fwd(nat, IN, &t, T0, &g, "SYN out");
	/* aws: any port of 1024..65535; everything but address, port, TTL and
	 * the two checksums is carried unchanged. */
	P = out_sport(&g);
	ck_assert_uint_ge(P, 1024);
	ck_assert_uint_eq(tp_ip_src(g.f), PUB);
	ck_assert_uint_eq(tp_ip_dst(g.f), REM);
	ck_assert_uint_eq(g.f[tp_l3(g.f) + 8], 63);
	w = t;
	w.src = PUB;
	w.sport = P;
	w.ttl = 63;
	expect_frame(&g, &w, "SYN out");

	t = tcp(REM, 80, PUB, P, F_SYN | F_ACK, ISN_S, ISN_C + 1);
	t.id = 0xbeef;
	t.ttl = 50;
	fwd(nat, OUT, &t, T0 + MS, &g, "SYN-ACK in");
	w = t;
	w.dst = PRIV;
	w.dport = 40000;
	w.ttl = 49;
	expect_frame(&g, &w, "SYN-ACK in");

	/* Odd payload lengths exercise the checksum's odd trailing byte. */
	t = tcp(PRIV, 40000, REM, 80, F_ACK | F_PSH, ISN_C + 1, ISN_S + 1);
	t.payload = pat;
	t.plen = 13;
	t.id = 0x1235;
	fwd(nat, IN, &t, T0 + 2 * MS, &g, "data out");
	w = t;
	w.src = PUB;
	w.sport = P;
	w.ttl = 63;
	expect_frame(&g, &w, "data out");

	t = tcp(REM, 80, PUB, P, F_ACK | F_PSH, ISN_S + 1, ISN_C + 14);
	t.payload = pat + 100;
	t.plen = 777;
	fwd(nat, OUT, &t, T0 + 3 * MS, &g, "data in");
	w = t;
	w.dst = PRIV;
	w.dport = 40000;
	w.ttl = 63;
	expect_frame(&g, &w, "data in");
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 0);
	ck_assert_uint_eq(st_of(nat)->sessions_created, 1);
}
END_TEST

START_TEST(test_udp_out_and_back)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t = udp(PRIV, 5353, REM, 53, 31), w;
	struct got g;
	uint16_t P, Q;

	t.id = 0x4242;
	t.tos = 0xb8;
	fwd(nat, IN, &t, T0, &g, "UDP out");
	P = out_sport(&g);
	ck_assert_uint_ge(P, 1024);
	w = t;
	w.src = PUB;
	w.sport = P;
	w.ttl = 63;
	expect_frame(&g, &w, "UDP out");

	t = udp(REM, 53, PUB, P, 200);
	fwd(nat, OUT, &t, T0 + MS, &g, "UDP in");
	w = t;
	w.dst = PRIV;
	w.dport = 5353;
	w.ttl = 63;
	expect_frame(&g, &w, "UDP in");

	/* A datagram without a checksum must stay without one (RFC 768). */
	t = udp(PRIV2, 6000, REM, 514, 40);
	t.udp_no_csum = true;
	fwd(nat, IN, &t, T0 + 2 * MS, &g, "UDP out, no checksum");
	Q = out_sport(&g);
	ck_assert_uint_eq(l4_16(&g, 6), 0);
	w = t;
	w.src = PUB;
	w.sport = Q;
	w.ttl = 63;
	expect_frame(&g, &w, "UDP out, no checksum");
	t = udp(REM, 514, PUB, Q, 12);
	t.udp_no_csum = true;
	fwd(nat, OUT, &t, T0 + 3 * MS, &g, "UDP in, no checksum");
	w = t;
	w.dst = PRIV2;
	w.dport = 6000;
	w.ttl = 63;
	expect_frame(&g, &w, "UDP in, no checksum");
}
END_TEST

START_TEST(test_icmp_echo_out_and_back)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t = icmp(PRIV, REM, 8, 0x4321, 7, 32), w;
	struct got g;
	uint16_t P;

	t.id = 0x0101;
	fwd(nat, IN, &t, T0, &g, "echo request");
	P = out_icmp_id(&g);
	ck_assert_uint_ge(P, 1024);
	w = t;
	w.src = PUB;
	w.icmp_id = P;
	w.ttl = 63;
	expect_frame(&g, &w, "echo request");

	t = icmp(REM, PUB, 0, P, 7, 32);
	fwd(nat, OUT, &t, T0 + MS, &g, "echo reply");
	w = t;
	w.dst = PRIV;
	w.icmp_id = 0x4321;
	w.ttl = 63;
	expect_frame(&g, &w, "echo reply");

	/* A second request of the same id is the same flow. */
	t = icmp(PRIV, REM, 8, 0x4321, 8, 32);
	fwd(nat, IN, &t, T0 + 2 * MS, &g, "second request");
	ck_assert_uint_eq(out_icmp_id(&g), P);
	ck_assert_uint_eq(st_of(nat)->sessions_created, 1);
}
END_TEST

START_TEST(test_vlan_tags_kept)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t = udp(PRIV, 40000, REM, 53, 20), w;
	struct got g;
	uint16_t P;

	t.nvlan = 1;
	t.vid[0] = 100;
	fwd(nat, IN, &t, T0, &g, "802.1Q out");
	P = out_sport(&g);
	w = t;
	w.src = PUB;
	w.sport = P;
	w.ttl = 63;
	expect_frame(&g, &w, "802.1Q out");

	t = udp(REM, 53, PUB, P, 20);
	t.nvlan = 2;
	t.vid[0] = 10;
	t.vid[1] = 20;
	fwd(nat, OUT, &t, T0 + MS, &g, "QinQ in");
	w = t;
	w.dst = PRIV;
	w.dport = 40000;
	w.ttl = 63;
	expect_frame(&g, &w, "QinQ in");
	ck_assert_uint_eq(tp_get16(g.f + 12), 0x88a8);
	ck_assert_uint_eq(tp_get16(g.f + 16), 0x8100);
}
END_TEST

START_TEST(test_ip_options_kept)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t = tcp(PRIV, 40000, REM, 443, F_SYN, ISN_C, 0), w;
	struct got g;
	uint16_t P;

	t.opt_len = 8;
	fwd(nat, IN, &t, T0, &g, "SYN with options");
	ck_assert_uint_eq(g.f[tp_l3(g.f)] & 0x0f, 7);
	P = out_sport(&g);
	w = t;
	w.src = PUB;
	w.sport = P;
	w.ttl = 63;
	expect_frame(&g, &w, "SYN with options");

	t = tcp(REM, 443, PUB, P, F_SYN | F_ACK, ISN_S, ISN_C + 1);
	t.opt_len = 4;
	fwd(nat, OUT, &t, T0 + MS, &g, "SYN-ACK with options");
	w = t;
	w.dst = PRIV;
	w.dport = 40000;
	w.ttl = 63;
	expect_frame(&g, &w, "SYN-ACK with options");
}
END_TEST

START_TEST(test_burst_new_flow)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t[3], w;
	unsigned int i;
	uint16_t P;

	/* A flow's opening packets in one burst: the session the first makes
	 * must serve the rest. */
	t[0] = tcp(PRIV, 40000, REM, 80, F_SYN, ISN_C, 0);
	t[1] = tcp(PRIV, 40000, REM, 80, F_ACK, ISN_C + 1, ISN_S + 1);
	t[2] = tcp(PRIV, 40000, REM, 80, F_ACK | F_PSH, ISN_C + 1, ISN_S + 1);
	t[2].payload = pat;
	t[2].plen = 9;
	for (i = 0; i < 3; i++)
		blen[i] = tp_build(bframe[i], &t[i]);
	burst(nat, IN, 3, T0);
	ck_assert_uint_eq(bn[IN], 0);
	ck_assert_uint_eq(bn[OUT], 3);
	ck_assert_uint_eq(st_of(nat)->sessions_created, 1);
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 0);
	P = out_sport(&bgot[OUT][0]);
	for (i = 0; i < 3; i++) {
		w = t[i];
		w.src = PUB;
		w.sport = P;
		w.ttl = 63;
		expect_frame(&bgot[OUT][i], &w, "burst out");
	}

	/* The answers in one burst, in order. */
	t[0] = tcp(REM, 80, PUB, P, F_SYN | F_ACK, ISN_S, ISN_C + 1);
	t[1] = tcp(REM, 80, PUB, P, F_ACK | F_PSH, ISN_S + 1, ISN_C + 10);
	t[1].payload = pat;
	t[1].plen = 100;
	t[2] = tcp(REM, 80, PUB, P, F_ACK | F_PSH, ISN_S + 101, ISN_C + 10);
	t[2].payload = pat + 100;
	t[2].plen = 50;
	for (i = 0; i < 3; i++)
		blen[i] = tp_build(bframe[i], &t[i]);
	burst(nat, OUT, 3, T0 + MS);
	ck_assert_uint_eq(bn[IN], 3);
	for (i = 0; i < 3; i++) {
		w = t[i];
		w.dst = PRIV;
		w.dport = 40000;
		w.ttl = 63;
		expect_frame(&bgot[IN][i], &w, "burst in");
	}
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 1);
}
END_TEST

START_TEST(test_burst_mixed)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp a = udp(PRIV, 1111, REM, 53, 10), b = udp(PRIV2, 2222, REM2, 123, 48);
	struct tp ttl1 = udp(PRIV, 3333, REM, 53, 10);

	/* New flows, a repeat of one of them, and frames to drop, interleaved:
	 * what is forwarded keeps its order. */
	ttl1.ttl = 1;
	blen[0] = tp_build(bframe[0], &a);
	blen[1] = raw_frame(bframe[1], 0x0806, 28);
	blen[2] = tp_build(bframe[2], &b);
	blen[3] = tp_build(bframe[3], &ttl1);
	blen[4] = tp_build(bframe[4], &a);
	blen[5] = raw_frame(bframe[5], 0x86dd, 48);
	burst(nat, IN, 6, T0);
	ck_assert_uint_eq(bn[OUT], 3);
	ck_assert_uint_eq(bn[IN], 0);
	ck_assert_uint_eq(tp_ip_dst(bgot[OUT][0].f), REM);
	ck_assert_uint_eq(tp_ip_dst(bgot[OUT][1].f), REM2);
	ck_assert_uint_eq(tp_ip_dst(bgot[OUT][2].f), REM);
	ck_assert_uint_eq(out_sport(&bgot[OUT][0]), out_sport(&bgot[OUT][2]));
	ck_assert_uint_eq(st_of(nat)->sessions_created, 2);
	ck_assert_uint_eq(DROPS(nat, not_ip), 1);
	ck_assert_uint_eq(DROPS(nat, ipv6), 1);
	ck_assert_uint_eq(DROPS(nat, ttl_exceeded), 1);
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 1);
	ck_assert_uint_eq(METRIC(nat, PacketsInFromSource), 4);
	ck_assert_uint_eq(METRIC(nat, PacketsOutToDestination), 3);
}
END_TEST

START_TEST(test_drop_not_ipv4)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	uint8_t f[2048];
	uint16_t len;

	len = raw_frame(f, 0x0806, 28);
	drop_frame(nat, IN, f, len, T0, NATGW_DROP_not_ip, "ARP inside");
	drop_frame(nat, OUT, f, len, T0, NATGW_DROP_not_ip, "ARP outside");
	len = raw_frame(f, 0x86dd, 48);
	drop_frame(nat, IN, f, len, T0, NATGW_DROP_ipv6, "IPv6 inside");
	drop_frame(nat, OUT, f, len, T0, NATGW_DROP_ipv6, "IPv6 outside");
	/* Never IPv4: in no CloudWatch count. */
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 0);
	ck_assert_uint_eq(METRIC(nat, PacketsInFromSource), 0);
	ck_assert_uint_eq(METRIC(nat, PacketsInFromDestination), 0);
	ck_assert_uint_eq(METRIC(nat, BytesInFromSource), 0);
}
END_TEST

START_TEST(test_drop_ttl)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t = udp(PRIV, 40000, REM, 53, 10);
	struct got g;

	t.ttl = 1;
	drop(nat, IN, &t, T0, NATGW_DROP_ttl_exceeded, "TTL 1");
	ck_assert_uint_eq(st_of(nat)->sessions_created, 0);
	t.ttl = 2;
	fwd(nat, IN, &t, T0, &g, "TTL 2");
	ck_assert_uint_eq(g.f[tp_l3(g.f) + 8], 1);
}
END_TEST

START_TEST(test_drop_mtu)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct tp t = udp(PRIV, 40000, REM, 53, 576 - 28 + 1);
	struct got g;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.mtu = 576;
	nat = mk(&c);
	drop(nat, IN, &t, T0, NATGW_DROP_mtu_exceeded, "577 bytes");
	t.plen = 576 - 28;
	fwd(nat, IN, &t, T0, &g, "576 bytes");
	ck_assert_uint_eq(tp_get16(g.f + tp_l3(g.f) + 2), 576);
}
END_TEST

START_TEST(test_public_endpoint)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t = udp(PRIV, 40000, REM, 53, 10);
	struct got g;
	uint32_t ip = 0;
	uint16_t port = 0, P, Q;

	ck_assert(!natgw_nat_public_endpoint(nat, 17, htonl(PRIV), htons(40000), htonl(REM),
		htons(53), &ip, &port));
	fwd(nat, IN, &t, T0, &g, "UDP");
	P = out_sport(&g);
	ck_assert(natgw_nat_public_endpoint(nat, 17, htonl(PRIV), htons(40000), htonl(REM),
		htons(53), &ip, &port));
	ck_assert_uint_eq(ip, htonl(PUB));
	ck_assert_uint_eq(port, htons(P));
	/* aws maps per destination: another remote, or another protocol, has none. */
	ck_assert(!natgw_nat_public_endpoint(nat, 17, htonl(PRIV), htons(40000), htonl(REM2),
		htons(53), &ip, &port));
	ck_assert(!natgw_nat_public_endpoint(nat, 6, htonl(PRIV), htons(40000), htonl(REM),
		htons(53), &ip, &port));

	t = icmp(PRIV, REM, 8, 0x77, 1, 8);
	fwd(nat, IN, &t, T0, &g, "echo");
	Q = out_icmp_id(&g);
	ck_assert(natgw_nat_public_endpoint(nat, 1, htonl(PRIV), htons(0x77), htonl(REM), 0,
		&ip, &port));
	ck_assert_uint_eq(ip, htonl(PUB));
	ck_assert_uint_eq(port, htons(Q));

	/* Gone with the session. */
	natgw_nat_expire(nat, T0 + 400 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	ck_assert(!natgw_nat_public_endpoint(nat, 17, htonl(PRIV), htons(40000), htonl(REM),
		htons(53), &ip, &port));
}
END_TEST

/* One run of a fixed exchange, every output appended to @p log: side, length,
 * bytes; then the flow log. @return bytes written. */
static size_t
script(struct natgw_nat *nat, uint8_t *log, size_t cap)
{
	size_t off = 0, n, i;
	const struct natgw_flow_record *r;
	struct tp t;
	struct got g, u;
	uint8_t q[2048];
	uint16_t P, ql;
	unsigned int h;
	uint64_t now = T0;

#define LOG_GOT(gp) do { \
		ck_assert_uint_le(off + 3 + (gp)->len, cap); \
		log[off++] = (uint8_t)((gp)->side + 1); \
		log[off++] = (uint8_t)((gp)->len >> 8); \
		log[off++] = (uint8_t)(gp)->len; \
		memcpy(log + off, (gp)->f, (gp)->len); \
		off += (gp)->len; \
	} while (0)
	for (h = 0; h < 8; h++) {
		t = tcp(NET | (0x300 + h), (uint16_t)(30000 + h), REM, 443, F_SYN, ISN_C, 0);
		xmit_tp(nat, IN, &t, now, &g);
		LOG_GOT(&g);
		P = out_sport(&g);
		t = tcp(REM, 443, PUB, P, F_SYN | F_ACK, ISN_S, ISN_C + 1);
		xmit_tp(nat, OUT, &t, now += MS, &g);
		LOG_GOT(&g);
		t = tcp(REM, 443, PUB, P, F_ACK | F_PSH, ISN_S + 1, ISN_C + 1);
		t.payload = pat;
		t.plen = (uint16_t)(100 + h);
		xmit_tp(nat, OUT, &t, now += MS, &g);
		LOG_GOT(&g);
	}
	t = udp(PRIV, 5000, REM2, 53, 30);
	xmit_tp(nat, IN, &t, now += MS, &u);
	LOG_GOT(&u);
	t = icmp(PRIV, REM2, 8, 99, 1, 16);
	xmit_tp(nat, IN, &t, now += MS, &g);
	LOG_GOT(&g);
	t = icmp(REM2, PUB, 0, out_icmp_id(&g), 1, 16);
	xmit_tp(nat, OUT, &t, now += MS, &g);
	LOG_GOT(&g);
	/* Port unreachable quoting what actually went out. */
	ql = (uint16_t)(u.len - tp_l3(u.f));
	memcpy(q, u.f + tp_l3(u.f), ql);
	t = icmp_err(REM2, PUB, 3, 3, q, ql);
	xmit_tp(nat, OUT, &t, now += MS, &g);
	LOG_GOT(&g);
	t = tcp(PRIV2, 7000, REM, 80, F_ACK, 5, 6);
	xmit_tp(nat, IN, &t, now += MS, &g);
	LOG_GOT(&g);
	t = udp(REM, 9, PUB, 4000, 4);
	xmit_tp(nat, OUT, &t, now += MS, &g);
	LOG_GOT(&g);
	natgw_nat_expire(nat, now + 200 * NS, 1u << 20);
	natgw_nat_finish(nat, now + 300 * NS);
	r = natgw_nat_flow_log(nat, &n);
	for (i = 0; i < n; i++) {
		ck_assert_uint_le(off + sizeof(*r), cap);
		memcpy(log + off, &r[i], sizeof(*r));
		off += sizeof(*r);
	}
#undef LOG_GOT
	return off;
}

static uint8_t log_a[1 << 16], log_b[1 << 16];

START_TEST(test_determinism)
{
	struct natgw_nat *a = mk_profile(NATGW_PROFILE_AWS);
	struct natgw_nat *b = mk_profile(NATGW_PROFILE_AWS);
	size_t na = script(a, log_a, sizeof(log_a)), nb = script(b, log_b, sizeof(log_b)), i;

	ck_assert_uint_gt(na, 1000);
	ck_assert_uint_eq(na, nb);
	for (i = 0; i < na; i++)
		ck_assert_msg(log_a[i] == log_b[i], "outputs differ at byte %zu", i);
	ck_assert_uint_eq(log_len(a), 10);
	ck_assert_mem_eq(st_of(a), st_of(b), sizeof(struct natgw_nat_stats));
}
END_TEST

/* ================================================================== icmp_error */

/* Send a UDP datagram out; @return its public port. */
static uint16_t
udp_out(struct natgw_nat *nat, uint32_t priv, uint16_t sport, uint32_t rem, uint16_t dport,
		uint64_t now)
{
	struct tp t = udp(priv, sport, rem, dport, 24);
	struct got g;

	fwd(nat, IN, &t, now, &g, "UDP out");
	return out_sport(&g);
}

START_TEST(test_icmp_err_udp_port_unreachable)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp u = udp(PRIV, 40000, REM, 53, 24), q, e, w;
	uint8_t qb[2048], wb[2048];
	uint16_t ql, wl, P, l4;
	struct got g;

	u.id = 0x1111;
	P = udp_out(nat, PRIV, 40000, REM, 53, T0);
	/* The datagram as it reached REM: translated, TTL spent on the way. */
	q = u;
	q.src = PUB;
	q.sport = P;
	q.ttl = 58;
	ql = ip_bytes(qb, &q, 2048);
	e = icmp_err(REM, PUB, 3, 3, qb, ql);
	e.id = 0x2222;
	fwd(nat, OUT, &e, T0 + MS, &g, "port unreachable");
	/* Outer to the private host; the quote as the private host sent it, its
	 * TTL as quoted. */
	w = u;
	w.ttl = 58;
	wl = ip_bytes(wb, &w, 2048);
	w = icmp_err(REM, PRIV, 3, 3, wb, wl);
	w.id = 0x2222;
	w.ttl = 63;
	expect_frame(&g, &w, "port unreachable");
	l4 = tp_l4(g.f);
	ck_assert_uint_eq(tp_ip_dst(g.f), PRIV);
	ck_assert_uint_eq(tp_get32(g.f + l4 + 8 + 12), PRIV);
	ck_assert_uint_eq(tp_get16(g.f + l4 + 8 + 20), 40000);
	ck_assert_uint_eq(tp_get32(g.f + l4 + 8 + 16), REM);
	ck_assert_uint_eq(tp_get16(g.f + l4 + 8 + 22), 53);
}
END_TEST

START_TEST(test_icmp_err_time_exceeded_router)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp u = udp(PRIV, 33434, REM, 33435, 24), q, e, w;
	uint8_t qb[2048], wb[2048];
	uint16_t ql, wl, P;
	struct got g;

	/* traceroute: a hop that is neither end of the flow answers. */
	P = udp_out(nat, PRIV, 33434, REM, 33435, T0);
	q = u;
	q.src = PUB;
	q.sport = P;
	q.ttl = 1;
	ql = ip_bytes(qb, &q, 2048);
	e = icmp_err(ROUTER, PUB, 11, 0, qb, ql);
	e.ttl = 250;
	fwd(nat, OUT, &e, T0 + MS, &g, "time exceeded");
	w = u;
	w.ttl = 1;
	wl = ip_bytes(wb, &w, 2048);
	w = icmp_err(ROUTER, PRIV, 11, 0, wb, wl);
	w.ttl = 249;
	expect_frame(&g, &w, "time exceeded");
}
END_TEST

START_TEST(test_icmp_err_tcp_truncated_quote)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp s = tcp(PRIV, 40001, REM, 80, F_SYN, ISN_C, 0), q, e, w;
	uint8_t qb[2048], wb[2048];
	uint16_t ql, wl, P;
	struct got g;

	s.id = 0x3030;
	fwd(nat, IN, &s, T0, &g, "SYN");
	P = out_sport(&g);
	/* RFC 792's minimum quote: the IP header and 8 bytes, ports and
	 * sequence number but no TCP checksum. */
	q = s;
	q.src = PUB;
	q.sport = P;
	q.ttl = 61;
	ql = ip_bytes(qb, &q, 28);
	ck_assert_uint_eq(ql, 28);
	e = icmp_err(ROUTER, PUB, 3, 13, qb, ql);
	fwd(nat, OUT, &e, T0 + MS, &g, "admin prohibited");
	w = s;
	w.ttl = 61;
	wl = ip_bytes(wb, &w, 28);
	w = icmp_err(ROUTER, PRIV, 3, 13, wb, wl);
	w.ttl = 63;
	expect_frame(&g, &w, "admin prohibited");
	ck_assert_uint_eq(tp_get16(g.f + tp_l4(g.f) + 8 + 20), 40001);
}
END_TEST

START_TEST(test_icmp_err_echo_quote)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp r = icmp(PRIV, REM, 8, 0x0bad, 3, 16), q, e, w;
	uint8_t qb[2048], wb[2048];
	uint16_t ql, wl, P;
	struct got g;

	fwd(nat, IN, &r, T0, &g, "echo request");
	P = out_icmp_id(&g);
	q = r;
	q.src = PUB;
	q.icmp_id = P;
	q.ttl = 1;
	ql = ip_bytes(qb, &q, 2048);
	e = icmp_err(ROUTER, PUB, 11, 0, qb, ql);
	fwd(nat, OUT, &e, T0 + MS, &g, "time exceeded for ping");
	w = r;
	w.ttl = 1;
	wl = ip_bytes(wb, &w, 2048);
	w = icmp_err(ROUTER, PRIV, 11, 0, wb, wl);
	w.ttl = 63;
	expect_frame(&g, &w, "time exceeded for ping");
	ck_assert_uint_eq(tp_get16(g.f + tp_l4(g.f) + 8 + 20 + 4), 0x0bad);
}
END_TEST

START_TEST(test_icmp_err_no_session)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp q = udp(PUB, 4444, REM2, 53, 8), e;
	uint8_t qb[2048];
	uint16_t ql, P;

	ql = ip_bytes(qb, &q, 2048);
	e = icmp_err(REM2, PUB, 3, 3, qb, ql);
	drop(nat, OUT, &e, T0, NATGW_DROP_icmp_err_no_session, "error about nothing");

	/* A session with another remote does not vouch for an error about
	 * a flow to this one. */
	P = udp_out(nat, PRIV, 40000, REM, 53, T0);
	q = udp(PUB, P, REM2, 53, 24);
	ql = ip_bytes(qb, &q, 2048);
	e = icmp_err(REM2, PUB, 3, 3, qb, ql);
	drop(nat, OUT, &e, T0 + MS, NATGW_DROP_icmp_err_no_session, "error about another remote");

	/* From the inside, about an inbound packet that never was. */
	q = udp(REM, 53, PRIV, 41000, 8);
	ql = ip_bytes(qb, &q, 2048);
	e = icmp_err(PRIV, REM, 3, 3, qb, ql);
	drop(nat, IN, &e, T0 + MS, NATGW_DROP_icmp_err_no_session, "inside error about nothing");
}
END_TEST

START_TEST(test_icmp_err_from_inside)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp r, q, e, w;
	uint8_t qb[2048], wb[2048];
	uint16_t ql, wl, P;
	struct got g;

	P = udp_out(nat, PRIV, 40000, REM, 53, T0);
	r = udp(REM, 53, PUB, P, 20);
	r.id = 0x5151;
	fwd(nat, OUT, &r, T0 + MS, &g, "reply");
	/* The inside host no longer listens: it quotes the reply as it got it. */
	q = r;
	q.dst = PRIV;
	q.dport = 40000;
	q.ttl = 63;
	ql = ip_bytes(qb, &q, 2048);
	e = icmp_err(PRIV, REM, 3, 3, qb, ql);
	fwd(nat, IN, &e, T0 + 2 * MS, &g, "inside port unreachable");
	w = r;
	w.ttl = 63;
	wl = ip_bytes(wb, &w, 2048);
	w = icmp_err(PUB, REM, 3, 3, wb, wl);
	w.ttl = 63;
	expect_frame(&g, &w, "inside port unreachable");
	ck_assert_uint_eq(tp_ip_src(g.f), PUB);
	ck_assert_uint_eq(tp_get32(g.f + tp_l4(g.f) + 8 + 16), PUB);
	ck_assert_uint_eq(tp_get16(g.f + tp_l4(g.f) + 8 + 22), P);
}
END_TEST

START_TEST(test_icmp_err_no_refresh)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp q, e, r;
	uint8_t qb[2048];
	uint16_t ql, P;
	struct got g;

	/* ICMP errors must not keep a mapping alive (RFC 5508 REQ-2 spirit):
	 * the session still ends 350 s after its last real packet. */
	P = udp_out(nat, PRIV, 40000, REM, 53, T0);
	q = udp(PUB, P, REM, 53, 24);
	q.ttl = 1;
	ql = ip_bytes(qb, &q, 2048);
	e = icmp_err(ROUTER, PUB, 11, 0, qb, ql);
	fwd(nat, OUT, &e, T0 + 300 * NS, &g, "error at 300 s");
	r = udp(REM, 53, PUB, P, 8);
	drop(nat, OUT, &r, T0 + 351 * NS, NATGW_DROP_no_session_inbound, "reply at 351 s");
}
END_TEST

/* ================================================================== aws */

START_TEST(test_aws_edm_unique)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct {
		uint32_t pub, dst;
		uint16_t port, dport;
		uint8_t proto;
	} seen[16 * 4 + 16];
	unsigned int n = 0, h, d, i, j;
	struct tp t;
	struct got g;

	/* 16 ports only: 64 UDP flows fit only if every destination has all 16
	 * to itself (55,000 per unique destination, not per address). */
	conf_base(&c, NATGW_PROFILE_AWS);
	c.port_lo = 1024;
	c.port_hi = 1039;
	nat = mk(&c);
	for (h = 0; h < 16; h++)
		for (d = 0; d < 4; d++) {
			t = udp(NET | (0x100 + h), 40000, d & 1 ? REM2 : REM,
				d & 2 ? 443 : 53, 8);
			fwd(nat, IN, &t, T0, &g, "EDM flow");
			seen[n].pub = tp_ip_src(g.f);
			seen[n].port = out_sport(&g);
			seen[n].dst = tp_ip_dst(g.f);
			seen[n].dport = l4_16(&g, 2);
			seen[n++].proto = 17;
			ck_assert_uint_ge(out_sport(&g), 1024);
			ck_assert_uint_le(out_sport(&g), 1039);
		}
	/* TCP has its own port space. */
	for (h = 0; h < 16; h++) {
		t = tcp(NET | (0x100 + h), 40000, REM, 53, F_SYN, ISN_C, 0);
		fwd(nat, IN, &t, T0, &g, "TCP flow");
		seen[n].pub = tp_ip_src(g.f);
		seen[n].port = out_sport(&g);
		seen[n].dst = REM;
		seen[n].dport = 53;
		seen[n++].proto = 6;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ck_assert_msg(!(seen[i].pub == seen[j].pub && seen[i].port == seen[j].port &&
				seen[i].dst == seen[j].dst && seen[i].dport == seen[j].dport &&
				seen[i].proto == seen[j].proto),
				"flows %u and %u share public port %u to the same destination",
				i, j, seen[i].port);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 80);
	t = udp(NET | 0x200, 40000, REM, 53, 8);
	drop(nat, IN, &t, T0, NATGW_DROP_port_alloc, "17th flow to one destination");
	ck_assert_uint_eq(METRIC(nat, ErrorPortAllocation), 1);
}
END_TEST

START_TEST(test_aws_per_dest_limit)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct tp t;
	struct got g;
	unsigned int i;
	uint64_t rst_at = T0 + NS, later;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.per_dest_limit = 10;
	c.port_lo = 1024;
	c.port_hi = 2047;
	nat = mk(&c);
	for (i = 0; i < 10; i++) {
		t = tcp(NET | (0x200 + i), 40000, REM, 80, F_SYN, ISN_C, 0);
		fwd(nat, IN, &t, T0, &g, "within the limit");
	}
	t = tcp(NET | 0x20a, 40000, REM, 80, F_SYN, ISN_C, 0);
	drop(nat, IN, &t, T0, NATGW_DROP_port_alloc, "11th to one destination");
	ck_assert_uint_eq(METRIC(nat, ErrorPortAllocation), 1);
	ck_assert_uint_eq(METRIC(nat, ConnectionAttemptCount), 11);
	/* Any other destination (address, port or protocol) has its own count. */
	t = tcp(NET | 0x20a, 40000, REM, 443, F_SYN, ISN_C, 0);
	fwd(nat, IN, &t, T0, &g, "other port");
	t = tcp(NET | 0x20a, 40000, REM2, 80, F_SYN, ISN_C, 0);
	fwd(nat, IN, &t, T0, &g, "other address");
	t = udp(NET | 0x20a, 40000, REM, 80, 8);
	fwd(nat, IN, &t, T0, &g, "other protocol");

	/* A connection that ends gives its place back. */
	t = tcp(NET | 0x200, 40000, REM, 80, F_RST, ISN_C + 1, 0);
	fwd(nat, IN, &t, rst_at, &g, "RST");
	later = rst_at + c.timeout_ns[NATGW_TO_tcp_trans] + 3 * NS;
	ck_assert_uint_lt(later, T0 + c.timeout_ns[NATGW_TO_tcp_syn]);
	natgw_nat_expire(nat, later, 1u << 20);
	ck_assert_uint_eq(log_len(nat), 1);
	t = tcp(NET | 0x20a, 40000, REM, 80, F_SYN, ISN_C, 0);
	fwd(nat, IN, &t, later, &g, "after one ended");
	t = tcp(NET | 0x20b, 40000, REM, 80, F_SYN, ISN_C, 0);
	drop(nat, IN, &t, later, NATGW_DROP_port_alloc, "full again");
	ck_assert_uint_eq(METRIC(nat, ErrorPortAllocation), 2);
}
END_TEST

START_TEST(test_aws_per_dest_limit_two_publics)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct tp t;
	struct got g;
	unsigned int i, on_pub = 0, on_pub2 = 0;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.per_dest_limit = 10;
	c.port_lo = 1024;
	c.port_hi = 2047;
	c.public_ip[1] = htonl(PUB2);
	c.n_public = 2;
	nat = mk(&c);
	for (i = 0; i < 20; i++) {
		t = tcp(NET | (0x200 + i), 40000, REM, 80, F_SYN, ISN_C, 0);
		fwd(nat, IN, &t, T0, &g, "within twice the limit");
		if (tp_ip_src(g.f) == PUB)
			on_pub++;
		else if (tp_ip_src(g.f) == PUB2)
			on_pub2++;
	}
	ck_assert_uint_eq(on_pub, 10);
	ck_assert_uint_eq(on_pub2, 10);
	t = tcp(NET | 0x220, 40000, REM, 80, F_SYN, ISN_C, 0);
	drop(nat, IN, &t, T0, NATGW_DROP_port_alloc, "21st to one destination");
	ck_assert_uint_eq(METRIC(nat, ErrorPortAllocation), 1);
}
END_TEST

START_TEST(test_aws_port_exhaustion)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct tp t;
	struct got g;
	unsigned int i;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.port_lo = 1024;
	c.port_hi = 1031;
	nat = mk(&c);
	for (i = 0; i < 8; i++) {
		t = tcp(NET | (0x300 + i), 40000, REM, 80, F_SYN, ISN_C, 0);
		fwd(nat, IN, &t, T0, &g, "one of 8 ports");
		ck_assert_uint_ge(out_sport(&g), 1024);
		ck_assert_uint_le(out_sport(&g), 1031);
	}
	for (i = 8; i < 20; i++) {
		t = tcp(NET | (0x300 + i), 40000, REM, 80, F_SYN, ISN_C, 0);
		drop(nat, IN, &t, T0, NATGW_DROP_port_alloc, "no port left");
	}
	ck_assert_uint_eq(METRIC(nat, ErrorPortAllocation), 12);
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 12);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 8);
	t = tcp(NET | 0x300, 40001, REM, 81, F_SYN, ISN_C, 0);
	fwd(nat, IN, &t, T0, &g, "another destination port");
	t = udp(NET | 0x300, 40001, REM, 80, 8);
	fwd(nat, IN, &t, T0, &g, "UDP to the same destination");
}
END_TEST

START_TEST(test_aws_table_full)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct tp t;
	struct got g;
	unsigned int i;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.max_sessions = 64;
	nat = mk(&c);
	for (i = 0; i < 64; i++) {
		t = udp(PRIV, (uint16_t)(20000 + i), REM, 53, 8);
		fwd(nat, IN, &t, T0, &g, "within the table");
	}
	t = udp(PRIV, 20064, REM, 53, 8);
	drop(nat, IN, &t, T0, NATGW_DROP_table_full, "65th session");
	ck_assert_uint_eq(st_of(nat)->sessions_active, 64);
	/* Room again once sessions expire, and the per-destination count
	 * was given back for the failed attempt. */
	natgw_nat_expire(nat, T0 + 400 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	fwd(nat, IN, &t, T0 + 400 * NS, &g, "after expiry");
}
END_TEST

static uint16_t
steer_nowhere(void *arg, const struct natgw_flow_key *reply)
{
	(void)arg;
	return reply->dst_port;
}

/*
 * The burst prefetches, for each key without a session, the buckets of the
 * outside key the aws profile's guess says the new session will take. The
 * guess must be the slow path's first try: on a table where no try collides
 * (a destination a flow), every session made takes exactly the guessed key,
 * also with four addresses, both protocols, and inside ports below 1024 under
 * port range preservation. Steered ports get no guess.
 */
START_TEST(test_aws_guess)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	uint32_t i, sid;
	uint64_t x = 7;

	conf_base(&c, NATGW_PROFILE_AWS);
	for (i = 0; i < 4; i++)
		c.public_ip[i] = htonl(PUB + i);
	c.n_public = 4;
	c.port_range_preserve = true;
	nat = mk(&c);
	ck_assert_ptr_nonnull(nat->ops->outbound_guess);
	for (i = 0; i < 3000; i++) {
		struct natgw_flow_key k, g, made;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		memset(&k, 0, sizeof(k));
		k.src_ip = htonl(NET | (uint32_t)(x >> 48 & 0xfff) | 1);
		k.src_port = htons(i % 10 == 0 ? (uint16_t)(1 + (x >> 20) % 1023) :
			(uint16_t)(1024 + (x >> 20) % 64000));
		k.dst_ip = htonl(REM2 + i);
		k.dst_port = htons(443);
		k.proto = i & 1 ? IPPROTO_UDP : IPPROTO_TCP;
		ck_assert(nat->ops->outbound_guess(nat, &k, &g));
		ck_assert_int_eq(nat->ops->outbound_new(nat, &k, T0, &sid), NATGW_DROP_NONE);
		nat_outside_key(&nat->sess[sid], &made);
		ck_assert_msg(memcmp(&g, &made, sizeof(g)) == 0,
			"flow %u: guessed %08x:%u, made %08x:%u", i, ntohl(g.dst_ip),
			ntohs(g.dst_port), ntohl(made.dst_ip), ntohs(made.dst_port));
	}
	c.port_steer = steer_nowhere;
	nat = mk(&c);
	{
		struct natgw_flow_key k = {.src_ip = htonl(PRIV), .src_port = htons(40000),
			.dst_ip = htonl(REM), .dst_port = htons(443), .proto = IPPROTO_TCP}, g;

		ck_assert(!nat->ops->outbound_guess(nat, &k, &g));
	}
}
END_TEST

START_TEST(test_aws_unsolicited_inbound)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t;

	t = tcp(REM, 80, PUB, 1234, F_SYN, ISN_S, 0);
	drop(nat, OUT, &t, T0, NATGW_DROP_no_session_inbound, "unsolicited SYN");
	t = udp(REM, 53, PUB, 1234, 8);
	drop(nat, OUT, &t, T0, NATGW_DROP_no_session_inbound, "unsolicited UDP");
	t = icmp(REM, PUB, 8, 1, 1, 8);
	drop(nat, OUT, &t, T0, NATGW_DROP_no_session_inbound, "ping to the gateway");
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 3);
	ck_assert_uint_eq(METRIC(nat, PacketsInFromDestination), 3);
	ck_assert_uint_eq(METRIC(nat, PacketsOutToSource), 0);
	ck_assert_uint_eq(st_of(nat)->sessions_created, 0);
	ck_assert_uint_eq(st_of(nat)->rst_sent, 0);
}
END_TEST

START_TEST(test_aws_filtering)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t;
	struct got g;
	uint16_t P = udp_out(nat, PRIV, 40000, REM, 53, T0);

	/* Only the flow's destination may answer. */
	t = udp(REM, 54, PUB, P, 8);
	drop(nat, OUT, &t, T0 + MS, NATGW_DROP_no_session_inbound, "other remote port");
	t = udp(REM2, 53, PUB, P, 8);
	drop(nat, OUT, &t, T0 + MS, NATGW_DROP_no_session_inbound, "other remote address");
	t = udp(REM, 53, PUB, (uint16_t)(P == 65535 ? 1024 : P + 1), 8);
	drop(nat, OUT, &t, T0 + MS, NATGW_DROP_no_session_inbound, "other public port");
	t = tcp(REM, 53, PUB, P, F_SYN | F_ACK, 1, 1);
	drop(nat, OUT, &t, T0 + MS, NATGW_DROP_no_session_inbound, "other protocol");
	t = udp(REM, 53, PUB, P, 8);
	fwd(nat, OUT, &t, T0 + MS, &g, "the destination");
	ck_assert_uint_eq(tp_ip_dst(g.f), PRIV);
}
END_TEST

START_TEST(test_aws_inside_checks)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t;

	t = udp(0xac100001u, 40000, REM, 53, 8); /* 172.16.0.1 */
	drop(nat, IN, &t, T0, NATGW_DROP_src_not_inside, "source outside the inside nets");
	t = udp(PRIV, 40000, NET | 0x909, 53, 8);
	drop(nat, IN, &t, T0, NATGW_DROP_dst_inside, "inside to inside");
	t = icmp(PRIV, REM, 0, 5, 1, 8);
	drop(nat, IN, &t, T0, NATGW_DROP_icmp_type, "echo reply without a request");
	/* To the NAT's own public address: not sent to the internet. */
	t = tcp(PRIV, 40000, PUB, 8080, F_SYN, ISN_C, 0);
	drop(nat, IN, &t, T0, NATGW_DROP_hairpin, "hairpin");
	ck_assert_uint_eq(st_of(nat)->sessions_created, 0);
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 4);
}
END_TEST

/* The RST the engine answered with must be a well-formed reset of @p t. */
static void
check_rst(const struct got *g, const struct tp *t, uint32_t seq, uint32_t ack, uint8_t flags)
{
	uint16_t l3 = tp_l3(g->f);
	const uint8_t *ip = g->f + l3, *th = ip + 20;
	unsigned int i;

	check_csums(g, "RST");
	ck_assert_int_eq(g->side, IN);
	ck_assert_uint_eq(g->len, l3 + 40);
	/* Back where the segment came from: MACs, addresses and ports swapped. */
	for (i = 0; i < 6; i++) {
		ck_assert_uint_eq(g->f[i], 0x12 + i);
		ck_assert_uint_eq(g->f[6 + i], 0x02 + i);
	}
	ck_assert_uint_eq(ip[0], 0x45);
	ck_assert_uint_eq(tp_get16(ip + 2), 40);
	ck_assert_uint_eq(ip[9], 6);
	ck_assert_uint_gt(ip[8], 1);
	ck_assert_uint_eq(tp_get32(ip + 12), t->dst);
	ck_assert_uint_eq(tp_get32(ip + 16), t->src);
	ck_assert_uint_eq(tp_get16(th), t->dport);
	ck_assert_uint_eq(tp_get16(th + 2), t->sport);
	ck_assert_uint_eq(tp_get32(th + 4), seq);
	ck_assert_uint_eq(tp_get32(th + 8), ack);
	ck_assert_uint_eq(th[12] >> 4, 5);
	ck_assert_uint_eq(th[13], flags);
}

START_TEST(test_aws_rst_stale_ack)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t = tcp(PRIV, 40000, REM, 80, F_ACK | F_PSH, 5000, 7000);
	struct got g;

	t.payload = pat;
	t.plen = 10;
	ck_assert_int_eq(xmit_tp(nat, IN, &t, T0, &g), IN);
	/* RFC 9293 3.10.7.1: the segment had an ACK, the reset takes it as its
	 * sequence number. */
	check_rst(&g, &t, 7000, 0, F_RST);
	ck_assert_uint_eq(st_of(nat)->rst_sent, 1);
	ck_assert_uint_eq(DROPS(nat, tcp_not_syn), 1);
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 1);
	ck_assert_uint_eq(METRIC(nat, PacketsOutToDestination), 0);
	ck_assert_uint_eq(st_of(nat)->sessions_created, 0);

	/* A SYN-ACK from the inside is not an opening either. */
	t = tcp(PRIV, 40000, REM, 80, F_SYN | F_ACK, 100, 200);
	ck_assert_int_eq(xmit_tp(nat, IN, &t, T0, &g), IN);
	check_rst(&g, &t, 200, 0, F_RST);

	/* Never an RST for an RST. */
	t = tcp(PRIV, 40000, REM, 80, F_RST | F_ACK, 100, 200);
	drop(nat, IN, &t, T0, NATGW_DROP_tcp_not_syn, "stale RST");
	ck_assert_uint_eq(st_of(nat)->rst_sent, 2);
}
END_TEST

START_TEST(test_aws_rst_stale_no_ack)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t = tcp(PRIV, 40000, REM, 80, F_PSH, 5000, 0);
	struct got g;

	/* No ACK: RST+ACK acknowledging everything the segment occupied. */
	t.payload = pat;
	t.plen = 10;
	t.nvlan = 1;
	t.vid[0] = 42;
	t.opt_len = 8;
	ck_assert_int_eq(xmit_tp(nat, IN, &t, T0, &g), IN);
	check_rst(&g, &t, 0, 5010, F_RST | F_ACK);
	ck_assert_uint_eq(tp_get16(g.f + 12), 0x8100);
	ck_assert_uint_eq(tp_get16(g.f + 14), 42);

	t = tcp(PRIV, 40000, REM, 80, F_FIN, 5000, 0);
	t.payload = pat;
	t.plen = 3;
	ck_assert_int_eq(xmit_tp(nat, IN, &t, T0, &g), IN);
	check_rst(&g, &t, 0, 5004, F_RST | F_ACK);
	ck_assert_uint_eq(st_of(nat)->rst_sent, 2);
	ck_assert_uint_eq(DROPS(nat, tcp_not_syn), 2);
}
END_TEST

/* ================================================================== hostile */

/*
 * Flag combinations no TCP opens a connection with: SYN+FIN (a scanner's
 * probe), SYN+RST, no flags. From the inside none makes a session (aws
 * answers as for a stale segment: an RST, never one for an RST); to the
 * public address from outside none gets in. Within an established
 * connection the NAT does not police flags: they are translated, and the
 * endpoints' TCP judges them.
 */
START_TEST(test_hostile_tcp_flags)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	static const uint8_t odd[] = { F_SYN | F_FIN, F_SYN | F_RST, 0, F_SYN | F_FIN | F_PSH };
	uint16_t P;
	struct got g;
	struct tp t;
	unsigned int i;

	for (i = 0; i < sizeof(odd); i++) {
		t = tcp(PRIV, (uint16_t)(41000 + i), REM, 80, odd[i], ISN_C, 0);
		ck_assert_msg(xmit_tp(nat, IN, &t, T0, &g) != OUT, "flags 0x%02x went out", odd[i]);
		if (odd[i] & F_RST)
			ck_assert_int_eq(g.side, -1);
		else
			ck_assert_uint_eq(g.f[tp_l4(g.f) + 13] & F_RST, F_RST);
		t = tcp(REM, 80, PUB, (uint16_t)(2000 + i), odd[i], ISN_S, 0);
		drop(nat, OUT, &t, T0, NATGW_DROP_no_session_inbound, "odd flags from outside");
	}
	ck_assert_uint_eq(DROPS(nat, tcp_not_syn), sizeof(odd));
	ck_assert_uint_eq(st_of(nat)->sessions_created, 0);
	ck_assert_uint_eq(METRIC(nat, PacketsOutToDestination), 0);
	P = tcp_open(nat, PRIV, 40000, REM, 80, T0);
	for (i = 0; i < sizeof(odd); i++) {
		t = tcp(PRIV, 40000, REM, 80, odd[i], ISN_C + 1, 0);
		fwd(nat, IN, &t, T0 + NS, &g, "odd flags within a connection, out");
		ck_assert_uint_eq(out_sport(&g), P);
	}
	t = tcp(REM, 80, PUB, P, F_SYN | F_FIN, ISN_S + 1, 0);
	fwd(nat, OUT, &t, T0 + NS, &g, "odd flags within a connection, in");
	ck_assert_uint_eq(tp_ip_dst(g.f), PRIV);
}
END_TEST

/* Destinations that are not one host: multicast, the limited broadcast,
 * 240/4, loopback, 0/8. No session, nothing out, counted as drops. */
START_TEST(test_hostile_dst_not_unicast)
{
	static const uint32_t dsts[] = {
		0xe00000fbu, /* 224.0.0.251 mDNS */
		0xeffffffau, /* 239.255.255.250 SSDP */
		0xffffffffu, /* limited broadcast */
		0xf0000001u, /* 240.0.0.1 */
		0x7f000001u, /* 127.0.0.1 */
		0x00000001u, /* 0.0.0.1 */
	};
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS), *rfc;
	struct got g;
	struct tp t;
	uint16_t P;
	unsigned int i;

	for (i = 0; i < sizeof(dsts) / sizeof(dsts[0]); i++) {
		t = udp(PRIV, 5353, dsts[i], 5353, 16);
		drop(nat, IN, &t, T0, NATGW_DROP_dst_not_unicast, "UDP not to one host");
		t = icmp(PRIV, dsts[i], 8, 7, 1, 8);
		drop(nat, IN, &t, T0, NATGW_DROP_dst_not_unicast, "ping not to one host");
	}
	t = tcp(PRIV, 40000, 0xe0000001u, 80, F_SYN, ISN_C, 0);
	drop(nat, IN, &t, T0, NATGW_DROP_dst_not_unicast, "SYN to a multicast group");
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 13);
	ck_assert_uint_eq(st_of(nat)->sessions_created, 0);
	/* rfc, endpoint-independent filtering: a mapping admits any remote, but
	 * not a multicast or broadcast source. */
	rfc = mk_profile(NATGW_PROFILE_RFC);
	t = udp(PRIV, 40000, REM, 5000, 8);
	fwd(rfc, IN, &t, T0, &g, "opening the mapping");
	P = out_sport(&g);
	t = udp(REM2, 6000, PUB, P, 8);
	fwd(rfc, OUT, &t, T0 + MS, &g, "another remote, EIF");
	t = udp(0xe0000005u, 6000, PUB, P, 8);
	drop(rfc, OUT, &t, T0 + MS, NATGW_DROP_no_session_inbound, "a multicast source");
	t = udp(0xffffffffu, 6000, PUB, P, 8);
	drop(rfc, OUT, &t, T0 + MS, NATGW_DROP_no_session_inbound, "a broadcast source");
}
END_TEST

/* A TCP segment with a wrong checksum is translated, not dropped: the NAT
 * does not verify transport checksums (the receiver does), and its RFC 1624
 * update keeps a wrong sum exactly as wrong, so the receiver still drops it. */
START_TEST(test_hostile_tcp_bad_csum)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	uint8_t f[2048], w[2048];
	uint16_t len, P, l4, in_right, in_wrong, out_right;
	char why[160];
	struct got g;
	struct tp t;

	P = tcp_open(nat, PRIV, 40000, REM, 80, T0);
	t = tcp(PRIV, 40000, REM, 80, F_ACK | F_PSH, ISN_C + 1, ISN_S + 1);
	t.payload = pat;
	t.plen = 100;
	len = tp_build(f, &t);
	l4 = tp_l4(f);
	in_right = tp_get16(f + l4 + 16);
	f[l4 + 16] ^= 0x5a;
	in_wrong = tp_get16(f + l4 + 16);
	ck_assert_int_eq(xmit(nat, IN, f, len, T0 + NS, &g), OUT);
	ck_assert_uint_eq(out_sport(&g), P);
	ck_assert_int_ne(tp_verify(g.f, g.len, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "TCP checksum") != NULL, "%s", why);
	/* Wrong by as much as it came in (ones'-complement difference), next to
	 * the translated frame built with a right sum. */
	t.src = PUB;
	t.sport = P;
	t.ttl = 63;
	tp_build(w, &t);
	out_right = tp_get16(w + tp_l4(w) + 16);
	ck_assert_uint_eq(tp_fold((uint32_t)in_wrong + (uint16_t)~in_right),
		tp_fold((uint32_t)tp_get16(g.f + tp_l4(g.f) + 16) + (uint16_t)~out_right));
}
END_TEST

/*
 * Fragments the NAT does not reassemble: a middle one (MF, non-zero offset)
 * and one overlapping the first are translated like any other of their
 * datagram once the first was seen (aws forwards UDP fragments); the
 * destination's reassembly decides about the overlap.
 */
START_TEST(test_frag_middle_overlap)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp whole = udp(PRIV, 40000, REM, 5000, 80), fr;
	static const uint16_t cut[][2] = { { 0, 24 }, { 24, 48 }, { 16, 40 }, { 48, 88 } };
	uint8_t w[2048], f[2048];
	uint16_t l4, i;
	struct got g;

	whole.id = 0x7777;
	tp_build(w, &whole);
	l4 = tp_l4(w);
	for (i = 0; i < 4; i++) {
		fr = whole;
		fr.raw_l4 = true;
		fr.payload = w + l4 + cut[i][0];
		fr.plen = (uint16_t)(cut[i][1] - cut[i][0]);
		fr.frag = (uint16_t)((i < 3 ? 0x2000 : 0) | cut[i][0] / 8);
		fwd_frame(nat, IN, f, tp_build(f, &fr), T0 + i * MS, &g,
			i == 0 ? "first" : i == 1 ? "middle" : i == 2 ? "overlapping" : "last");
		ck_assert_uint_eq(tp_ip_src(g.f), PUB);
		ck_assert_uint_eq(tp_get16(g.f + tp_l3(g.f) + 4), 0x7777);
	}
	ck_assert_uint_eq(st_of(nat)->sessions_created, 1);
	ck_assert_uint_eq(st_of(nat)->frags_tracked, 3);
}
END_TEST

/* ================================================================== timeout */

START_TEST(test_idle_lazy)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	const struct natgw_flow_record *r;
	struct tp t;
	struct got g;
	uint16_t P = tcp_open(nat, PRIV, 40000, REM, 80, T0);
	uint64_t last = T0 + 2 * MS, last2 = last + 349 * NS;

	t = tcp(PRIV, 40000, REM, 80, F_ACK | F_PSH, ISN_C + 1, ISN_S + 1);
	t.payload = pat;
	t.plen = 10;
	fwd(nat, IN, &t, last2, &g, "data at 349 s");
	ck_assert_uint_eq(out_sport(&g), P);
	ck_assert_uint_eq(log_len(nat), 0);

	/* 351 s of silence: the connection is gone, the inside gets a reset. */
	t = tcp(PRIV, 40000, REM, 80, F_ACK | F_PSH, ISN_C + 11, ISN_S + 1);
	t.payload = pat;
	t.plen = 10;
	ck_assert_int_eq(xmit_tp(nat, IN, &t, last2 + 351 * NS, &g), IN);
	check_rst(&g, &t, ISN_S + 1, 0, F_RST);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 1);
	ck_assert_uint_eq(st_of(nat)->rst_sent, 1);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 0);
	ck_assert_uint_eq(log_len(nat), 1);
	r = log_find(nat, 6, PRIV, 40000, REM, 80);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->end, NATGW_END_IDLE);
	ck_assert_uint_eq(r->end_ns, last2 + 350 * NS);
	ck_assert_uint_eq(r->last_ns, last2);
	ck_assert_uint_eq(r->first_ns, T0);
	ck_assert_uint_eq(r->pub_port, htons(P));
	ck_assert_uint_eq(r->pkts[0], 3);
	ck_assert_uint_eq(r->pkts[1], 1);
	/* The remote's late answer finds nothing either. */
	t = tcp(REM, 80, PUB, P, F_ACK, ISN_S + 1, ISN_C + 11);
	drop(nat, OUT, &t, last2 + 352 * NS, NATGW_DROP_no_session_inbound, "late answer");
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 1);
}
END_TEST

START_TEST(test_idle_expire)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	const struct natgw_flow_record *r;
	struct tp t;
	struct got g;
	uint64_t last = T0 + 2 * MS, last2 = last + 349 * NS;

	tcp_open(nat, PRIV, 40000, REM, 80, T0);
	natgw_nat_expire(nat, last + 349 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 1);
	t = tcp(PRIV, 40000, REM, 80, F_ACK, ISN_C + 1, ISN_S + 1);
	fwd(nat, IN, &t, last2, &g, "keepalive at 349 s");
	/* The wheel still holds the first deadline: it must find the session
	 * moved on, not end it. */
	natgw_nat_expire(nat, last2 + 349 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 1);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 0);
	natgw_nat_expire(nat, last2 + 353 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 1);
	ck_assert_uint_eq(log_len(nat), 1);
	r = log_find(nat, 6, PRIV, 40000, REM, 80);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->end, NATGW_END_IDLE);
	ck_assert_uint_eq(r->end_ns, last2 + 350 * NS);
	t = tcp(PRIV, 40000, REM, 80, F_ACK | F_PSH, ISN_C + 1, ISN_S + 1);
	t.payload = pat;
	t.plen = 1;
	ck_assert_int_eq(xmit_tp(nat, IN, &t, last2 + 354 * NS, &g), IN);
	check_rst(&g, &t, ISN_S + 1, 0, F_RST);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 1);
}
END_TEST

START_TEST(test_fin_end)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	const struct natgw_nat_conf *c = natgw_nat_conf(nat);
	const struct natgw_flow_record *r;
	struct tp t;
	struct got g;
	uint16_t P = tcp_open(nat, PRIV, 40000, REM, 80, T0);
	uint64_t t1 = T0 + NS;

	ck_assert_uint_eq(st_of(nat)->active_tcp, 1);
	t = tcp(PRIV, 40000, REM, 80, F_FIN | F_ACK, ISN_C + 1, ISN_S + 1);
	fwd(nat, IN, &t, t1, &g, "FIN out");
	ck_assert_uint_eq(st_of(nat)->active_tcp, 1);
	t = tcp(REM, 80, PUB, P, F_FIN | F_ACK, ISN_S + 1, ISN_C + 2);
	fwd(nat, OUT, &t, t1, &g, "FIN in");
	ck_assert_uint_eq(st_of(nat)->active_tcp, 0);
	t = tcp(PRIV, 40000, REM, 80, F_ACK, ISN_C + 2, ISN_S + 2);
	fwd(nat, IN, &t, t1, &g, "last ACK");
	natgw_nat_expire(nat, t1 + 400 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	r = log_find(nat, 6, PRIV, 40000, REM, 80);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->end, NATGW_END_FIN);
	ck_assert_uint_eq(r->end_ns, t1 + c->timeout_ns[NATGW_TO_tcp_trans]);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 0);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 0);
}
END_TEST

START_TEST(test_rst_end)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	const struct natgw_nat_conf *c = natgw_nat_conf(nat);
	const struct natgw_flow_record *r;
	struct tp t;
	struct got g;
	uint16_t P = tcp_open(nat, PRIV, 40000, REM, 80, T0);
	uint64_t t1 = T0 + NS;

	t = tcp(REM, 80, PUB, P, F_RST, ISN_S + 1, 0);
	fwd(nat, OUT, &t, t1, &g, "RST in");
	ck_assert_uint_eq(st_of(nat)->active_tcp, 0);
	natgw_nat_expire(nat, t1 + 400 * NS, 1u << 20);
	r = log_find(nat, 6, PRIV, 40000, REM, 80);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->end, NATGW_END_RST);
	ck_assert_uint_eq(r->end_ns, t1 + c->timeout_ns[NATGW_TO_tcp_trans]);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 0);
	ck_assert_uint_eq(METRIC(nat, ActiveConnectionCount), 1);
}
END_TEST

START_TEST(test_tcp_reuse_after_fin)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t;
	struct got g;
	uint16_t P = tcp_open(nat, PRIV, 40000, REM, 80, T0);
	uint64_t t1 = T0 + NS;

	t = tcp(PRIV, 40000, REM, 80, F_FIN | F_ACK, ISN_C + 1, ISN_S + 1);
	fwd(nat, IN, &t, t1, &g, "FIN out");
	t = tcp(REM, 80, PUB, P, F_FIN | F_ACK, ISN_S + 1, ISN_C + 2);
	fwd(nat, OUT, &t, t1, &g, "FIN in");
	ck_assert_uint_eq(st_of(nat)->active_tcp, 0);
	/* The same 5-tuple opened again while the closed one is still held
	 * (TIME_WAIT reuse): a new connection through the same mapping. */
	t = tcp(PRIV, 40000, REM, 80, F_SYN, ISN_C + 100000, 0);
	fwd(nat, IN, &t, t1 + 10 * NS, &g, "SYN again");
	ck_assert_uint_eq(out_sport(&g), P);
	ck_assert_uint_eq(METRIC(nat, ConnectionAttemptCount), 2);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 1);
	t = tcp(REM, 80, PUB, P, F_SYN | F_ACK, ISN_S + 100000, ISN_C + 100001);
	fwd(nat, OUT, &t, t1 + 11 * NS, &g, "SYN-ACK again");
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 2);
	ck_assert_uint_eq(st_of(nat)->sessions_created, 1);
	/* Established again: it now lives by the established timeout. */
	natgw_nat_expire(nat, t1 + 11 * NS + 400 * NS, 1u << 20);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 1);
	ck_assert_ptr_nonnull(log_find(nat, 6, PRIV, 40000, REM, 80));
	ck_assert_uint_eq(log_find(nat, 6, PRIV, 40000, REM, 80)->end, NATGW_END_IDLE);
}
END_TEST

START_TEST(test_expire_budget)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	const struct natgw_flow_record *r;
	struct tp t;
	struct got g;
	unsigned int i, calls = 0, w, budget = 10;
	size_t n;

	for (i = 0; i < 100; i++) {
		t = udp(PRIV, (uint16_t)(20000 + i), REM, 53, 8);
		fwd(nat, IN, &t, T0, &g, "UDP");
	}
	do {
		w = natgw_nat_expire(nat, T0 + 400 * NS, budget);
		ck_assert_uint_le(w, budget + 1);
		if (calls++ == 0)
			ck_assert_uint_gt(st_of(nat)->sessions_active, 0);
		ck_assert_uint_lt(calls, 10000);
	} while (st_of(nat)->sessions_active > 0);
	ck_assert_uint_ge(calls, 100 / (budget + 1));
	r = natgw_nat_flow_log(nat, &n);
	ck_assert_uint_eq(n, 100);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(r[i].end, NATGW_END_IDLE);
		ck_assert_uint_eq(r[i].end_ns, T0 + 350 * NS);
	}
	ck_assert_uint_eq(natgw_nat_expire(nat, T0 + 401 * NS, budget), 0);

	/* A quiet gap costs too: one session 350 s ahead of the wheel's cursor
	 * is not reached by one small call, but by many. */
	t = udp(PRIV, 30000, REM, 53, 8);
	fwd(nat, IN, &t, T0 + 500 * NS, &g, "lone UDP");
	calls = 0;
	do {
		w = natgw_nat_expire(nat, T0 + 900 * NS, 4);
		ck_assert_uint_le(w, 5);
		if (calls++ == 0)
			ck_assert_uint_eq(st_of(nat)->sessions_active, 1);
		ck_assert_uint_lt(calls, 10000);
	} while (st_of(nat)->sessions_active > 0);
	ck_assert_uint_ge(calls, 300 / 5);
}
END_TEST

START_TEST(test_finish)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	const struct natgw_flow_record *r;
	uint64_t t1 = T0 + 100 * NS;

	/* At the report's end: a connection past its idle timeout ended idle at
	 * its deadline, one still within it is reported active, and only the
	 * first is an idle timeout. */
	tcp_open(nat, PRIV, 40000, REM, 80, T0);
	tcp_open(nat, PRIV, 40001, REM, 80, t1);
	natgw_nat_finish(nat, T0 + 2 * MS + 360 * NS);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 0);
	ck_assert_uint_eq(log_len(nat), 2);
	r = log_find(nat, 6, PRIV, 40000, REM, 80);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->end, NATGW_END_IDLE);
	ck_assert_uint_eq(r->end_ns, T0 + 2 * MS + 350 * NS);
	r = log_find(nat, 6, PRIV, 40001, REM, 80);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->end, NATGW_END_ACTIVE);
	ck_assert_uint_eq(r->end_ns, 0);
	ck_assert_uint_eq(r->last_ns, t1 + 2 * MS);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 1);
}
END_TEST

/*
 * A session counts in 32 bits a direction; a flow that moves more than 4 GiB
 * must still be reported whole: the engine moves the counters aside before
 * they would wrap and the flow's record sums them. 140,000 datagrams of
 * 65,000 bytes (9.1 GB, past two wraps) in big buffers of the test's own.
 */
START_TEST(test_counters_past_32_bits)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct rte_mempool *mp;
	struct rte_mbuf *m[32];
	struct natgw_nat_out o;
	const struct natgw_flow_record *r;
	struct tp t = udp(PRIV, 40000, REM, 53, 8), a;
	uint8_t hdr[2048];
	const uint16_t ip_len = 65000;
	const uint32_t total = 140000;
	uint16_t hl, P;
	uint32_t sent, j;
	struct got g;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.mtu = 65535;
	nat = mk(&c);
	mp = rte_pktmbuf_pool_create("tn_big", 63, 0, 0, 65535, SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(mp);
	t.udp_no_csum = true;
	hl = tp_build(hdr, &t);
	/* Make it a 65,000-byte IP packet: total length, header checksum, and
	 * the UDP length (the UDP checksum is 0, none). */
	{
		uint8_t *ip = hdr + tp_l3(hdr);
		uint16_t cs;

		ip[2] = (uint8_t)(ip_len >> 8);
		ip[3] = (uint8_t)ip_len;
		ip[10] = ip[11] = 0;
		cs = (uint16_t)~tp_fold(tp_sum(ip, 20, 0));
		ip[10] = (uint8_t)(cs >> 8);
		ip[11] = (uint8_t)cs;
		ip[24] = (uint8_t)((ip_len - 20) >> 8);
		ip[25] = (uint8_t)(ip_len - 20);
	}
	for (j = 0; j < 32; j++) {
		m[j] = rte_pktmbuf_alloc(mp);
		ck_assert_ptr_nonnull(m[j]);
		memset(rte_pktmbuf_append(m[j], (uint16_t)(tp_l3(hdr) + ip_len)), 0,
			tp_l3(hdr) + ip_len);
	}
	for (sent = 0; sent < total; sent += 32) {
		for (j = 0; j < 32; j++)
			memcpy(rte_pktmbuf_mtod(m[j], uint8_t *), hdr, hl);
		natgw_nat_burst(nat, IN, m, 32, T0, &o);
		ck_assert_uint_eq(o.n[OUT], 32);
		for (j = 0; j < 32; j++)
			m[j] = o.pkts[OUT][j];
	}
	{
		const uint8_t *f = rte_pktmbuf_mtod(m[0], const uint8_t *);

		P = tp_get16(f + tp_l4(f));
	}
	for (j = 0; j < 32; j++)
		rte_pktmbuf_free(m[j]);
	/* One answer, which counts on its own side. */
	a = udp(REM, 53, PUB, P, 8);
	fwd(nat, OUT, &a, T0, &g, "answer");
	natgw_nat_finish(nat, T0 + NS);
	ck_assert_uint_eq(log_len(nat), 1);
	r = log_find(nat, 17, PRIV, 40000, REM, 53);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->pkts[0], total);
	ck_assert_uint_eq(r->bytes[0], (uint64_t)total * ip_len);
	ck_assert_uint_eq(r->pkts[1], 1);
	ck_assert_uint_eq(r->bytes[1], 28 + 8);
	ck_assert_uint_eq(METRIC(nat, BytesOutToDestination), (uint64_t)total * ip_len);
	rte_mempool_free(mp);
}
END_TEST

START_TEST(test_udp_idle_aws)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	const struct natgw_flow_record *r;
	struct tp t;
	struct got g;
	uint16_t P = udp_out(nat, PRIV, 40000, REM, 53, T0);

	t = udp(REM, 53, PUB, P, 8);
	fwd(nat, OUT, &t, T0 + 349 * NS, &g, "answer at 349 s");
	drop(nat, OUT, &t, T0 + 699 * NS, NATGW_DROP_no_session_inbound, "answer 350 s later");
	r = log_find(nat, 17, PRIV, 40000, REM, 53);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->end, NATGW_END_IDLE);
	ck_assert_uint_eq(r->end_ns, T0 + 699 * NS);
}
END_TEST

/* ================================================================== metrics */

START_TEST(test_metrics_counts)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	const struct natgw_flow_record *r;
	uint8_t f[2048];
	uint16_t len, P, U, I;
	uint64_t now = T0;
	struct tp t;
	struct got g;

	/* TCP: 6 packets out (40, 40, 40, 140, 40, 40 bytes), 3 in (40, 240, 40). */
	t = tcp(PRIV, 40000, REM, 80, F_SYN, ISN_C, 0);
	fwd(nat, IN, &t, now, &g, "SYN");
	P = out_sport(&g);
	ck_assert_uint_eq(METRIC(nat, ConnectionAttemptCount), 1);
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 0);
	ck_assert_uint_eq(METRIC(nat, ActiveConnectionCount), 1);
	/* A SYN-ACK the opener sends establishes nothing: only the answerer's. */
	t = tcp(PRIV, 40000, REM, 80, F_SYN | F_ACK, ISN_C, 1);
	fwd(nat, IN, &t, now, &g, "SYN-ACK from the opener");
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 0);
	t = tcp(REM, 80, PUB, P, F_SYN | F_ACK, ISN_S, ISN_C + 1);
	fwd(nat, OUT, &t, now += MS, &g, "SYN-ACK");
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 1);
	t = tcp(PRIV, 40000, REM, 80, F_ACK, ISN_C + 1, ISN_S + 1);
	fwd(nat, IN, &t, now += MS, &g, "ACK");
	t.flags = F_ACK | F_PSH;
	t.payload = pat;
	t.plen = 100;
	fwd(nat, IN, &t, now += MS, &g, "data out");
	t = tcp(REM, 80, PUB, P, F_ACK | F_PSH, ISN_S + 1, ISN_C + 101);
	t.payload = pat;
	t.plen = 200;
	fwd(nat, OUT, &t, now += MS, &g, "data in");
	t = tcp(PRIV, 40000, REM, 80, F_FIN | F_ACK, ISN_C + 101, ISN_S + 201);
	fwd(nat, IN, &t, now += MS, &g, "FIN out");
	t = tcp(REM, 80, PUB, P, F_FIN | F_ACK, ISN_S + 201, ISN_C + 102);
	fwd(nat, OUT, &t, now += MS, &g, "FIN in");
	t = tcp(PRIV, 40000, REM, 80, F_ACK, ISN_C + 102, ISN_S + 202);
	fwd(nat, IN, &t, now += MS, &g, "last ACK");
	/* Only the SYN-ACK established it. */
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 1);

	/* UDP: 1 out (58), 2 in (128 each); the second answer establishes nothing. */
	t = udp(PRIV, 5000, REM2, 53, 30);
	fwd(nat, IN, &t, now += MS, &g, "query");
	U = out_sport(&g);
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 1);
	t = udp(REM2, 53, PUB, U, 100);
	fwd(nat, OUT, &t, now += MS, &g, "answer");
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 2);
	fwd(nat, OUT, &t, now += MS, &g, "answer again");
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 2);

	/* ICMP: 1 out, 1 in (44 each). */
	t = icmp(PRIV, REM2, 8, 7, 1, 16);
	fwd(nat, IN, &t, now += MS, &g, "ping");
	I = out_icmp_id(&g);
	t = icmp(REM2, PUB, 0, I, 1, 16);
	fwd(nat, OUT, &t, now += MS, &g, "pong");
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 3);

	/* Drops: two counted (38 bytes in, 28 bytes out), two never IPv4. */
	t = udp(REM, 9, PUB, 4000, 10);
	drop(nat, OUT, &t, now += MS, NATGW_DROP_no_session_inbound, "unsolicited");
	t = udp(PRIV, 6000, REM, 53, 0);
	t.ttl = 1;
	drop(nat, IN, &t, now, NATGW_DROP_ttl_exceeded, "TTL 1");
	len = raw_frame(f, 0x0806, 28);
	drop_frame(nat, IN, f, len, now, NATGW_DROP_not_ip, "ARP");
	len = raw_frame(f, 0x86dd, 48);
	drop_frame(nat, OUT, f, len, now, NATGW_DROP_ipv6, "IPv6");

	ck_assert_uint_eq(METRIC(nat, PacketsInFromSource), 6 + 1 + 1 + 1);
	ck_assert_uint_eq(METRIC(nat, BytesInFromSource), 340 + 58 + 44 + 28);
	ck_assert_uint_eq(METRIC(nat, PacketsOutToDestination), 6 + 1 + 1);
	ck_assert_uint_eq(METRIC(nat, BytesOutToDestination), 340 + 58 + 44);
	ck_assert_uint_eq(METRIC(nat, PacketsInFromDestination), 3 + 2 + 1 + 1);
	ck_assert_uint_eq(METRIC(nat, BytesInFromDestination), 320 + 256 + 44 + 38);
	ck_assert_uint_eq(METRIC(nat, PacketsOutToSource), 3 + 2 + 1);
	ck_assert_uint_eq(METRIC(nat, BytesOutToSource), 320 + 256 + 44);
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 2);
	ck_assert_uint_eq(METRIC(nat, ConnectionAttemptCount), 3);
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 3);
	ck_assert_uint_eq(METRIC(nat, ActiveConnectionCount), 1);
	ck_assert_uint_eq(METRIC(nat, ErrorPortAllocation), 0);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 0);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 0);
	ck_assert_uint_eq(DROPS(nat, not_ip), 1);
	ck_assert_uint_eq(DROPS(nat, ipv6), 1);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 3);
	ck_assert_uint_eq(st_of(nat)->sessions_peak, 3);

	/* Per flow, after the report's end. */
	ck_assert_uint_eq(log_len(nat), 0);
	natgw_nat_finish(nat, now + NS);
	ck_assert_uint_eq(log_len(nat), 3);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	r = log_find(nat, 6, PRIV, 40000, REM, 80);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->pkts[0], 6);
	ck_assert_uint_eq(r->pkts[1], 3);
	ck_assert_uint_eq(r->bytes[0], 340);
	ck_assert_uint_eq(r->bytes[1], 320);
	ck_assert_uint_eq(r->pub_ip, htonl(PUB));
	ck_assert_uint_eq(r->pub_port, htons(P));
	ck_assert_uint_eq(r->first_ns, T0);
	/* Closed by FIN both ways but still held (transitory timeout): the
	 * record says how it ended, and has no removal time yet. */
	ck_assert_uint_eq(r->end, NATGW_END_FIN);
	ck_assert_uint_eq(r->end_ns, 0);
	r = log_find(nat, 17, PRIV, 5000, REM2, 53);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->pkts[0], 1);
	ck_assert_uint_eq(r->pkts[1], 2);
	ck_assert_uint_eq(r->bytes[0], 58);
	ck_assert_uint_eq(r->bytes[1], 256);
	r = log_find(nat, 1, PRIV, 7, REM2, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->pkts[0], 1);
	ck_assert_uint_eq(r->pkts[1], 1);
	ck_assert_uint_eq(r->bytes[0], 44);
	ck_assert_uint_eq(r->bytes[1], 44);
	ck_assert_uint_eq(r->pub_port, htons(I));
}
END_TEST

START_TEST(test_metrics_active_peak)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t;
	struct got g;
	unsigned int i;

	for (i = 0; i < 3; i++)
		tcp_open(nat, PRIV, (uint16_t)(41000 + i), REM, 443, T0);
	ck_assert_uint_eq(METRIC(nat, ActiveConnectionCount), 3);
	for (i = 0; i < 2; i++) {
		t = tcp(PRIV, (uint16_t)(41000 + i), REM, 443, F_RST | F_ACK, ISN_C + 1, ISN_S + 1);
		fwd(nat, IN, &t, T0 + NS, &g, "RST out");
	}
	ck_assert_uint_eq(st_of(nat)->active_tcp, 1);
	tcp_open(nat, PRIV, 41003, REM, 443, T0 + 2 * NS);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 2);
	ck_assert_uint_eq(METRIC(nat, ActiveConnectionCount), 3);
	tcp_open(nat, PRIV, 41004, REM, 443, T0 + 3 * NS);
	tcp_open(nat, PRIV, 41005, REM, 443, T0 + 3 * NS);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 4);
	ck_assert_uint_eq(METRIC(nat, ActiveConnectionCount), 4);
	natgw_nat_expire(nat, T0 + 1000 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 0);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	ck_assert_uint_eq(METRIC(nat, ActiveConnectionCount), 4);
	/* The two reset ones are not idle timeouts; the four others are. */
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 4);
	ck_assert_uint_eq(METRIC(nat, ConnectionAttemptCount), 6);
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 6);
}
END_TEST

/* ================================================================== fragments */

START_TEST(test_frag_udp_aws)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	uint8_t f1[2048], f2[2048], w1[2048], w2[2048];
	uint16_t l1, l2, wl1, wl2, P, i;
	struct tp whole = udp(PRIV, 40000, REM, 5000, 40), want;
	struct got g;

	whole.id = 0x4242;
	make_frags(&whole, 24, f1, &l1, f2, &l2);
	fwd_frame(nat, IN, f1, l1, T0, &g, "first fragment out");
	P = out_sport(&g);
	/* The first fragment's UDP checksum covers the whole datagram: build
	 * the translated whole and cut it the same way. */
	want = whole;
	want.src = PUB;
	want.sport = P;
	want.ttl = 63;
	make_frags(&want, 24, w1, &wl1, w2, &wl2);
	ck_assert_uint_eq(g.len, wl1);
	for (i = 0; i < wl1; i++)
		ck_assert_msg(g.f[i] == w1[i], "first fragment byte %u", i);
	fwd_frame(nat, IN, f2, l2, T0 + MS, &g, "second fragment out");
	ck_assert_uint_eq(g.len, wl2);
	for (i = 0; i < wl2; i++)
		ck_assert_msg(g.f[i] == w2[i], "second fragment byte %u", i);
	ck_assert_uint_eq(st_of(nat)->frags_tracked, 1);
	ck_assert_uint_eq(st_of(nat)->sessions_created, 1);

	/* The answer, fragmented too. */
	whole = udp(REM, 5000, PUB, P, 60);
	whole.id = 0x9999;
	make_frags(&whole, 32, f1, &l1, f2, &l2);
	fwd_frame(nat, OUT, f1, l1, T0 + 2 * MS, &g, "first fragment in");
	want = whole;
	want.dst = PRIV;
	want.dport = 40000;
	want.ttl = 63;
	make_frags(&want, 32, w1, &wl1, w2, &wl2);
	ck_assert_uint_eq(g.len, wl1);
	for (i = 0; i < wl1; i++)
		ck_assert_msg(g.f[i] == w1[i], "first fragment in, byte %u", i);
	fwd_frame(nat, OUT, f2, l2, T0 + 3 * MS, &g, "second fragment in");
	ck_assert_uint_eq(g.len, wl2);
	for (i = 0; i < wl2; i++)
		ck_assert_msg(g.f[i] == w2[i], "second fragment in, byte %u", i);
	ck_assert_uint_eq(st_of(nat)->frags_tracked, 2);
}
END_TEST

START_TEST(test_frag_tcp_icmp_aws)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	uint8_t f1[2048], f2[2048];
	uint16_t l1, l2;
	struct tp t;

	t = tcp(PRIV, 40000, REM, 80, F_SYN, ISN_C, 0);
	t.payload = pat;
	t.plen = 16;
	t.id = 7;
	make_frags(&t, 24, f1, &l1, f2, &l2);
	drop_frame(nat, IN, f1, l1, T0, NATGW_DROP_frag_proto, "TCP first fragment");
	drop_frame(nat, IN, f2, l2, T0, NATGW_DROP_frag_proto, "TCP second fragment");
	t = icmp(PRIV, REM, 8, 1, 1, 64);
	t.id = 8;
	make_frags(&t, 32, f1, &l1, f2, &l2);
	drop_frame(nat, IN, f1, l1, T0, NATGW_DROP_frag_proto, "ICMP first fragment");
	drop_frame(nat, IN, f2, l2, T0, NATGW_DROP_frag_proto, "ICMP second fragment");
	ck_assert_uint_eq(st_of(nat)->sessions_created, 0);
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 4);

	/* A tiny first fragment, its TCP header cut at 8 bytes: still a TCP
	 * fragment the profile drops, not a malformed header. */
	t = tcp(PRIV, 40000, REM, 80, F_SYN, ISN_C, 0);
	t.id = 9;
	make_frags(&t, 8, f1, &l1, f2, &l2);
	drop_frame(nat, IN, f1, l1, T0, NATGW_DROP_frag_proto, "tiny TCP first fragment");
	ck_assert_uint_eq(DROPS(nat, l4_truncated), 0);
}
END_TEST

START_TEST(test_frag_tiny_rfc)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_RFC);
	uint8_t f1[2048], f2[2048];
	uint16_t l1, l2;
	struct tp t = tcp(PRIV, 40000, REM, 80, F_SYN, ISN_C, 0);

	/* Where TCP fragments are forwarded, a first fragment without the whole
	 * TCP header has no ports to translate: it is the header that is short. */
	t.id = 10;
	make_frags(&t, 8, f1, &l1, f2, &l2);
	drop_frame(nat, IN, f1, l1, T0, NATGW_DROP_l4_truncated, "tiny TCP first fragment");
	ck_assert_uint_eq(DROPS(nat, frag_proto), 0);
}
END_TEST

START_TEST(test_frag_no_first)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	uint8_t f1[2048], f2[2048];
	uint16_t l1, l2;
	struct tp t = udp(PRIV, 40000, REM, 5000, 40);
	struct got g;

	t.id = 0x1001;
	make_frags(&t, 24, f1, &l1, f2, &l2);
	drop_frame(nat, IN, f2, l2, T0, NATGW_DROP_frag_no_session, "second before first");
	/* A first fragment of another datagram of the flow does not adopt it. */
	fwd(nat, IN, &t, T0, &g, "whole datagram");
	drop_frame(nat, IN, f2, l2, T0, NATGW_DROP_frag_no_session, "still no first");
	fwd_frame(nat, IN, f1, l1, T0, &g, "first");
	fwd_frame(nat, IN, f2, l2, T0, &g, "second after first");
	ck_assert_uint_eq(tp_ip_src(g.f), PUB);
	/* A fragment from outside with an ID the inside used is not it. */
	drop_frame(nat, OUT, f2, l2, T0, NATGW_DROP_frag_no_session, "wrong side");
}
END_TEST

/* An engine whose UDP sessions end within the fragment tracker's 30 s. */
static struct natgw_nat *
mk_short_udp(void)
{
	struct natgw_nat_conf c;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.timeout_ns[NATGW_TO_udp] = 2 * NS;
	return mk(&c);
}

/*
 * A fragment whose first fragment belonged to a session that has ended since,
 * its slot (sessions are reused last-freed-first) taken by a new session of
 * another inside host: it is the old datagram's and must not go through the
 * new session, least of all to another host. @p same_remote: the new session
 * is with the same remote as the old one.
 */
static void
stale_frag(bool same_remote)
{
	struct natgw_nat *nat = mk_short_udp();
	uint32_t rem = same_remote ? REM : REM2;
	uint8_t f1[2048], f2[2048];
	uint16_t l1, l2, P;
	struct tp t;
	struct got g;

	t = udp(PRIV, 40000, REM, 5000, 40);
	t.id = 0x4444;
	make_frags(&t, 24, f1, &l1, f2, &l2);
	fwd_frame(nat, IN, f1, l1, T0, &g, "first fragment out");
	natgw_nat_expire(nat, T0 + 10 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	udp_out(nat, PRIV2, 40001, rem, 5000, T0 + 10 * NS);
	drop_frame(nat, IN, f2, l2, T0 + 11 * NS, NATGW_DROP_frag_no_session,
		"outbound fragment of an ended session");
	natgw_nat_expire(nat, T0 + 20 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);

	P = udp_out(nat, PRIV, 40000, REM, 5000, T0 + 20 * NS);
	t = udp(REM, 5000, PUB, P, 40);
	t.id = 0x3333;
	make_frags(&t, 24, f1, &l1, f2, &l2);
	fwd_frame(nat, OUT, f1, l1, T0 + 20 * NS + MS, &g, "first fragment in");
	ck_assert_uint_eq(tp_ip_dst(g.f), PRIV);
	natgw_nat_expire(nat, T0 + 30 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	udp_out(nat, PRIV2, 40001, rem, 6000, T0 + 30 * NS);
	drop_frame(nat, OUT, f2, l2, T0 + 31 * NS, NATGW_DROP_frag_no_session,
		"inbound fragment of an ended session");
}

START_TEST(test_frag_stale_other_remote)
{
	stale_frag(false);
}
END_TEST

START_TEST(test_frag_stale_same_remote)
{
	stale_frag(true);
}
END_TEST

START_TEST(test_frag_same_burst)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t = udp(PRIV, 40000, REM, 5000, 40);

	/* Fragments travel back to back and so share a burst: the second must
	 * find what the first (earlier in the same burst) recorded. */
	t.id = 0x2001;
	make_frags(&t, 24, bframe[0], &blen[0], bframe[1], &blen[1]);
	burst(nat, IN, 2, T0);
	ck_assert_msg(bn[OUT] == 2, "new flow: %u of 2 fragments forwarded (frag_no_session %"
		PRIu64 ")", bn[OUT], DROPS(nat, frag_no_session));
	ck_assert_uint_eq(tp_ip_src(bgot[OUT][1].f), PUB);

	t.id = 0x2002;
	make_frags(&t, 24, bframe[0], &blen[0], bframe[1], &blen[1]);
	burst(nat, IN, 2, T0 + MS);
	ck_assert_msg(bn[OUT] == 2, "known flow: %u of 2 fragments forwarded (frag_no_session %"
		PRIu64 ")", bn[OUT], DROPS(nat, frag_no_session));
}
END_TEST

START_TEST(test_frag_tcp_rfc)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_RFC);
	uint8_t f1[2048], f2[2048], w1[2048], w2[2048];
	uint16_t l1, l2, wl1, wl2, P, i;
	struct tp t = tcp(PRIV, 40000, REM, 80, F_SYN, ISN_C, 0), want;
	struct got g;

	t.payload = pat;
	t.plen = 16;
	t.id = 0x7777;
	make_frags(&t, 24, f1, &l1, f2, &l2);
	fwd_frame(nat, IN, f1, l1, T0, &g, "TCP first fragment");
	P = out_sport(&g);
	want = t;
	want.src = PUB;
	want.sport = P;
	want.ttl = 63;
	make_frags(&want, 24, w1, &wl1, w2, &wl2);
	ck_assert_uint_eq(g.len, wl1);
	for (i = 0; i < wl1; i++)
		ck_assert_msg(g.f[i] == w1[i], "TCP first fragment byte %u", i);
	fwd_frame(nat, IN, f2, l2, T0, &g, "TCP second fragment");
	ck_assert_uint_eq(g.len, wl2);
	for (i = 0; i < wl2; i++)
		ck_assert_msg(g.f[i] == w2[i], "TCP second fragment byte %u", i);

	/* ICMP fragments too. */
	t = icmp(PRIV, REM, 8, 0x55, 1, 64);
	t.id = 0x7778;
	make_frags(&t, 32, f1, &l1, f2, &l2);
	fwd_frame(nat, IN, f1, l1, T0, &g, "ICMP first fragment");
	fwd_frame(nat, IN, f2, l2, T0, &g, "ICMP second fragment");
	ck_assert_uint_eq(st_of(nat)->frags_tracked, 2);
}
END_TEST

/* ================================================================== rfc */

START_TEST(test_rfc_eim)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_RFC);
	struct tp t, w;
	struct got g;
	uint32_t ip;
	uint16_t port, Q;

	/* One inside endpoint, one public endpoint, whatever the destination;
	 * the port kept where it is free. */
	t = udp(PRIV, 40000, REM, 53, 10);
	fwd(nat, IN, &t, T0, &g, "to REM");
	ck_assert_uint_eq(tp_ip_src(g.f), PUB);
	ck_assert_uint_eq(out_sport(&g), 40000);
	w = t;
	w.src = PUB;
	w.ttl = 63;
	expect_frame(&g, &w, "to REM");
	t = udp(PRIV, 40000, REM2, 123, 10);
	fwd(nat, IN, &t, T0, &g, "to REM2");
	ck_assert_uint_eq(tp_ip_src(g.f), PUB);
	ck_assert_uint_eq(out_sport(&g), 40000);
	ck_assert_uint_eq(st_of(nat)->mappings_active, 1);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 2);
	t = udp(REM, 53, PUB, 40000, 10);
	fwd(nat, OUT, &t, T0, &g, "from REM");
	ck_assert_uint_eq(tp_ip_dst(g.f), PRIV);
	t = udp(REM2, 123, PUB, 40000, 10);
	fwd(nat, OUT, &t, T0, &g, "from REM2");
	ck_assert_uint_eq(tp_ip_dst(g.f), PRIV);

	/* Another host wanting the same port gets another one. */
	t = udp(PRIV2, 40000, REM, 53, 10);
	fwd(nat, IN, &t, T0, &g, "second host");
	Q = out_sport(&g);
	ck_assert_uint_ne(Q, 40000);
	ck_assert_uint_ge(Q, 1024);
	ck_assert_uint_eq(st_of(nat)->mappings_active, 2);

	/* The mapping is known for a remote the host never talked to. */
	ck_assert(natgw_nat_public_endpoint(nat, 17, htonl(PRIV), htons(40000), htonl(ROUTER),
		htons(9), &ip, &port));
	ck_assert_uint_eq(ip, htonl(PUB));
	ck_assert_uint_eq(port, htons(40000));
	/* A port below 1024 is kept below 1024 (RFC 4787 REQ-3a), here as
	 * it was, since it is free. */
	t = udp(PRIV, 53, REM, 53, 10);
	fwd(nat, IN, &t, T0, &g, "low port");
	ck_assert_uint_eq(out_sport(&g), 53);
}
END_TEST

START_TEST(test_rfc_eif)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_RFC);
	const struct natgw_flow_record *r;
	struct tp t, w;
	struct got g;

	udp_out(nat, PRIV, 40000, REM, 53, T0);
	/* Endpoint-independent filtering: anyone may reach a live mapping. */
	t = udp(REM2, 7777, PUB, 40000, 33);
	fwd(nat, OUT, &t, T0 + MS, &g, "UDP from a new remote");
	w = t;
	w.dst = PRIV;
	w.ttl = 63;
	expect_frame(&g, &w, "UDP from a new remote");
	t = udp(PRIV, 40000, REM2, 7777, 5);
	fwd(nat, IN, &t, T0 + 2 * MS, &g, "answer to it");
	ck_assert_uint_eq(tp_ip_src(g.f), PUB);
	ck_assert_uint_eq(out_sport(&g), 40000);

	/* TCP: a SYN may open a connection to a mapped endpoint (RFC 5382 REQ-4's
	 * endpoint-independent filtering). */
	t = tcp(PRIV, 40001, REM, 80, F_SYN, ISN_C, 0);
	fwd(nat, IN, &t, T0, &g, "TCP out");
	ck_assert_uint_eq(out_sport(&g), 40001);
	t = tcp(REM2, 5555, PUB, 40001, F_SYN, ISN_S, 0);
	fwd(nat, OUT, &t, T0 + MS, &g, "inbound SYN");
	w = t;
	w.dst = PRIV;
	w.dport = 40001;
	w.ttl = 63;
	expect_frame(&g, &w, "inbound SYN");
	t = tcp(PRIV, 40001, REM2, 5555, F_SYN | F_ACK, ISN_C, ISN_S + 1);
	fwd(nat, IN, &t, T0 + 2 * MS, &g, "inside's SYN-ACK");
	w = t;
	w.src = PUB;
	w.ttl = 63;
	expect_frame(&g, &w, "inside's SYN-ACK");
	t = tcp(ROUTER, 5555, PUB, 40001, F_ACK, 1, 1);
	drop(nat, OUT, &t, T0, NATGW_DROP_no_session_inbound, "inbound ACK without a SYN");
	t = udp(REM2, 7777, PUB, 40002, 8);
	drop(nat, OUT, &t, T0, NATGW_DROP_no_session_inbound, "unmapped port");
	t = icmp(REM2, PUB, 8, 40000, 1, 8);
	drop(nat, OUT, &t, T0, NATGW_DROP_no_session_inbound, "inbound ping");

	natgw_nat_finish(nat, T0 + NS);
	r = log_find(nat, 6, PRIV, 40001, REM2, 5555);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->inbound, 1);
	r = log_find(nat, 6, PRIV, 40001, REM, 80);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->inbound, 0);
}
END_TEST

START_TEST(test_rfc_adf)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct tp t;
	struct got g;

	conf_base(&c, NATGW_PROFILE_RFC);
	c.filtering = NATGW_FILTER_ADF;
	nat = mk(&c);
	udp_out(nat, PRIV, 40000, REM, 53, T0);
	t = udp(REM, 9999, PUB, 40000, 8);
	fwd(nat, OUT, &t, T0 + MS, &g, "same address, other port");
	ck_assert_uint_eq(tp_ip_dst(g.f), PRIV);
	ck_assert_uint_eq(l4_16(&g, 2), 40000);
	t = udp(REM2, 53, PUB, 40000, 8);
	drop(nat, OUT, &t, T0 + MS, NATGW_DROP_no_session_inbound, "other address");
}
END_TEST

START_TEST(test_rfc_apdf)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct tp t;
	struct got g;

	conf_base(&c, NATGW_PROFILE_RFC);
	c.filtering = NATGW_FILTER_APDF;
	nat = mk(&c);
	udp_out(nat, PRIV, 40000, REM, 53, T0);
	t = udp(REM, 9999, PUB, 40000, 8);
	drop(nat, OUT, &t, T0 + MS, NATGW_DROP_no_session_inbound, "same address, other port");
	t = udp(REM2, 53, PUB, 40000, 8);
	drop(nat, OUT, &t, T0 + MS, NATGW_DROP_no_session_inbound, "other address");
	t = udp(REM, 53, PUB, 40000, 8);
	fwd(nat, OUT, &t, T0 + MS, &g, "the destination");
}
END_TEST

START_TEST(test_rfc_timeouts_udp_icmp)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_RFC);
	const struct natgw_flow_record *r;
	struct tp t;
	struct got g;

	/* UDP: 5 min (RFC 4787 REQ-5: at least 2 min, 5 min or more the
	 * recommended default). */
	udp_out(nat, PRIV, 40000, REM, 53, T0);
	t = udp(REM, 53, PUB, 40000, 8);
	fwd(nat, OUT, &t, T0 + 299 * NS, &g, "UDP at 299 s");
	drop(nat, OUT, &t, T0 + 599 * NS, NATGW_DROP_no_session_inbound, "UDP 300 s later");
	r = log_find(nat, 17, PRIV, 40000, REM, 53);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->end, NATGW_END_IDLE);
	ck_assert_uint_eq(r->end_ns, T0 + 599 * NS);
	/* With its last session the mapping went, so EIF lets nothing in. */
	ck_assert_uint_eq(st_of(nat)->mappings_active, 0);
	t = udp(REM2, 53, PUB, 40000, 8);
	drop(nat, OUT, &t, T0 + 600 * NS, NATGW_DROP_no_session_inbound, "after the mapping");

	/* ICMP query: 60 s (RFC 5508 REQ-1). */
	t = icmp(PRIV, REM, 8, 0x99, 1, 8);
	fwd(nat, IN, &t, T0, &g, "ping");
	t = icmp(REM, PUB, 0, out_icmp_id(&g), 1, 8);
	fwd(nat, OUT, &t, T0 + 59 * NS, &g, "pong at 59 s");
	drop(nat, OUT, &t, T0 + 119 * NS, NATGW_DROP_no_session_inbound, "pong 60 s later");
}
END_TEST

START_TEST(test_rfc_timeouts_tcp)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_RFC);
	const struct natgw_flow_record *r;
	struct tp t;
	struct got g;
	uint64_t last = T0 + 2 * MS, tb = T0 + 20000 * NS, t1 = tb + 10 * NS;
	uint16_t P;

	/* Established: 2 h 4 min (RFC 5382 REQ-5). */
	P = tcp_open(nat, PRIV, 40000, REM, 80, T0);
	t = tcp(REM, 80, PUB, P, F_ACK, ISN_S + 1, ISN_C + 1);
	fwd(nat, OUT, &t, last + 7439 * NS, &g, "ACK at 7439 s");
	drop(nat, OUT, &t, last + (7439 + 7440) * NS, NATGW_DROP_no_session_inbound,
		"ACK 7440 s later");
	r = log_find(nat, 6, PRIV, 40000, REM, 80);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->end, NATGW_END_IDLE);
	ck_assert_uint_eq(r->end_ns, last + (7439 + 7440) * NS);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 1);

	/* Transitory: 4 min after FIN both ways. */
	P = tcp_open(nat, PRIV, 40001, REM, 80, tb);
	t = tcp(PRIV, 40001, REM, 80, F_FIN | F_ACK, ISN_C + 1, ISN_S + 1);
	fwd(nat, IN, &t, t1, &g, "FIN out");
	t = tcp(REM, 80, PUB, P, F_FIN | F_ACK, ISN_S + 1, ISN_C + 2);
	fwd(nat, OUT, &t, t1, &g, "FIN in");
	t = tcp(REM, 80, PUB, P, F_ACK, ISN_S + 2, ISN_C + 2);
	fwd(nat, OUT, &t, t1 + 239 * NS, &g, "retransmission at 239 s");
	drop(nat, OUT, &t, t1 + 479 * NS, NATGW_DROP_no_session_inbound, "240 s later");
	r = log_find(nat, 6, PRIV, 40001, REM, 80);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->end, NATGW_END_FIN);
	ck_assert_uint_eq(r->end_ns, t1 + 479 * NS);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 1);
}
END_TEST

START_TEST(test_rfc_no_rst)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_RFC);
	struct tp t = tcp(PRIV, 40000, REM, 80, F_ACK | F_PSH, 5000, 7000);

	t.payload = pat;
	t.plen = 10;
	drop(nat, IN, &t, T0, NATGW_DROP_tcp_not_syn, "stale segment");
	ck_assert_uint_eq(st_of(nat)->rst_sent, 0);
	ck_assert_uint_eq(METRIC(nat, PacketsOutToSource), 0);
}
END_TEST

/* ================================================================== workers */

START_TEST(test_workers_port_slices)
{
	struct natgw_nat_conf c;
	struct natgw_nat *w[2];
	uint16_t lo[2] = {1024, 33280}, hi[2] = {33279, 65535}, ports[2][64];
	struct tp t;
	struct got g;
	unsigned int k, i, j;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.n_workers = 2;
	for (k = 0; k < 2; k++) {
		c.worker_id = k;
		w[k] = mk(&c);
		for (i = 0; i < 64; i++) {
			t = tcp(NET | (0x400 + i), 40000, REM, 443, F_SYN, ISN_C, 0);
			fwd(w[k], IN, &t, T0, &g, "worker flow");
			ports[k][i] = out_sport(&g);
			ck_assert_msg(ports[k][i] >= lo[k] && ports[k][i] <= hi[k],
				"worker %u gave port %u", k, ports[k][i]);
		}
	}
	/* The same destination through either worker: never the same port. */
	for (i = 0; i < 64; i++)
		for (j = 0; j < 64; j++)
			ck_assert_uint_ne(ports[0][i], ports[1][j]);

	/* rfc keeps a port only inside its own worker's slice. */
	conf_base(&c, NATGW_PROFILE_RFC);
	c.n_workers = 2;
	teardown();
	for (k = 0; k < 2; k++) {
		c.worker_id = k;
		w[k] = mk(&c);
		t = udp(PRIV, 40000, REM, 53, 8);
		fwd(w[k], IN, &t, T0, &g, "rfc worker");
		ck_assert_msg(out_sport(&g) >= lo[k] && out_sport(&g) <= hi[k],
			"rfc worker %u gave port %u", k, out_sport(&g));
	}
	ck_assert_uint_eq(out_sport(&g), 40000);
}
END_TEST

/* ================================================================== config */

static void
conf_rejected(const struct natgw_nat_conf *c, const char *what, const char *word)
{
	char err[256] = "";

	ck_assert_msg(natgw_nat_conf_check(c, err, sizeof(err)) == -1, "%s accepted", what);
	ck_assert_msg(err[0] != '\0', "%s: no reason given", what);
	ck_assert_msg(strstr(err, word) != NULL, "%s: reason \"%s\" lacks \"%s\"", what, err, word);
}

START_TEST(test_conf_check)
{
	struct natgw_nat_conf ok, c;
	char err[256] = "";

	conf_base(&ok, NATGW_PROFILE_AWS);
	ck_assert_int_eq(natgw_nat_conf_check(&ok, err, sizeof(err)), 0);
	conf_base(&c, NATGW_PROFILE_RFC);
	ck_assert_int_eq(natgw_nat_conf_check(&c, err, sizeof(err)), 0);

	c = ok;
	c.n_public = 0;
	conf_rejected(&c, "no public address", "public");
	c = ok;
	c.n_public = 9;
	conf_rejected(&c, "9 public addresses", "public");
	c = ok;
	c.n_public = 2;
	c.public_ip[1] = htonl(NET | 0x101);
	conf_rejected(&c, "public address inside", "inside");
	c = ok;
	c.n_public = 2;
	c.public_ip[1] = htonl(PUB);
	conf_rejected(&c, "public address twice", "twice");
	c = ok;
	c.n_inside = 0;
	conf_rejected(&c, "no inside network", "inside");
	c = ok;
	c.port_lo = 0;
	conf_rejected(&c, "port 0", "port");
	c = ok;
	c.port_lo = 2000;
	c.port_hi = 1999;
	conf_rejected(&c, "ports backwards", "port");
	c = ok;
	c.mtu = 575;
	conf_rejected(&c, "MTU 575", "MTU");
	c = ok;
	c.timeout_ns[NATGW_TO_udp] = NS - 1;
	conf_rejected(&c, "UDP timeout under 1 s", "udp");
	c = ok;
	c.timeout_ns[NATGW_TO_tcp_est] = 0;
	conf_rejected(&c, "TCP timeout 0", "tcp_est");
	c = ok;
	c.max_sessions = 63;
	conf_rejected(&c, "63 sessions", "sessions");
	c = ok;
	c.max_sessions = (1u << 26) + 1;
	conf_rejected(&c, "2^26+1 sessions", "sessions");
	c = ok;
	c.n_workers = 2;
	c.worker_id = 2;
	conf_rejected(&c, "worker 2 of 2", "worker");
	c = ok;
	c.n_workers = 0;
	conf_rejected(&c, "no workers", "worker");

	/* The limits themselves are fine. */
	c = ok;
	c.mtu = 576;
	c.max_sessions = 64;
	c.n_public = 8;
	for (unsigned int i = 0; i < 8; i++)
		c.public_ip[i] = htonl(PUB + i);
	c.timeout_ns[NATGW_TO_icmp] = NS;
	ck_assert_int_eq(natgw_nat_conf_check(&c, err, sizeof(err)), 0);

	/* Creation refuses the same with the same reason. */
	c = ok;
	c.mtu = 100;
	err[0] = '\0';
	ck_assert_ptr_null(natgw_nat_create("tn_bad", &c, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "MTU"));
}
END_TEST

START_TEST(test_conf_defaults)
{
	struct natgw_nat_conf c;

	/* The documented profile values (DESIGN.md's behaviour table). */
	natgw_nat_conf_defaults(&c, NATGW_PROFILE_AWS);
	ck_assert_uint_eq(c.port_lo, 1024);
	ck_assert_uint_eq(c.port_hi, 65535);
	ck_assert_uint_eq(c.per_dest_limit, 55000);
	ck_assert_uint_eq(c.mtu, 8500);
	ck_assert_uint_eq(c.timeout_ns[NATGW_TO_tcp_est], 350 * NS);
	ck_assert_uint_eq(c.timeout_ns[NATGW_TO_tcp_syn], 350 * NS);
	ck_assert_uint_eq(c.timeout_ns[NATGW_TO_udp], 350 * NS);
	ck_assert_uint_eq(c.timeout_ns[NATGW_TO_icmp], 350 * NS);
	ck_assert(c.frag_udp);
	ck_assert(!c.frag_tcp_icmp);
	ck_assert(c.rst_on_stale);
	natgw_nat_conf_defaults(&c, NATGW_PROFILE_RFC);
	ck_assert_uint_ge(c.timeout_ns[NATGW_TO_tcp_est], 7440 * NS);
	ck_assert_uint_ge(c.timeout_ns[NATGW_TO_tcp_trans], 240 * NS);
	ck_assert_uint_eq(c.timeout_ns[NATGW_TO_udp], 300 * NS);
	ck_assert_uint_ge(c.timeout_ns[NATGW_TO_icmp], 60 * NS);
	ck_assert_int_eq(c.filtering, NATGW_FILTER_EIF);
	ck_assert(c.frag_udp);
	ck_assert(c.frag_tcp_icmp);
	ck_assert(!c.rst_on_stale);
	ck_assert(c.icmp_frag_needed);
	ck_assert(c.port_range_preserve);
	ck_assert(!c.port_parity);
	natgw_nat_conf_defaults(&c, NATGW_PROFILE_AWS);
	ck_assert(!c.icmp_frag_needed);
	ck_assert(!c.port_range_preserve);
	ck_assert(!c.port_parity);
}
END_TEST

/* ================================================================ accounting */

/* The per-minute series: rows at UTC minutes, each counter's sum over the rows
 * equal to the engine's, ActiveConnectionCount the most open in each minute. */
START_TEST(test_series_minutes)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	/* A minute boundary, so that rows are predictable: m0 = 20 min. */
	const uint64_t m0 = 1200 * NS;
	struct natgw_nat_minute rows[8];
	struct tp t;
	struct got g;
	size_t n, i;
	unsigned int m;
	uint64_t sum;

	/* Minute 0: two UDP datagrams out, one back; two TCP connections open. */
	t = udp(PRIV, 4000, REM, 53, 30);
	fwd(nat, IN, &t, m0 + 1 * NS, &g, "udp 1");
	fwd(nat, IN, &t, m0 + 2 * NS, &g, "udp 2");
	t = udp(REM, 53, PUB, out_sport(&g), 100);
	fwd(nat, OUT, &t, m0 + 3 * NS, &g, "udp back");
	tcp_open(nat, PRIV, 5000, REM, 443, m0 + 10 * NS);
	tcp_open(nat, PRIV2, 5001, REM, 443, m0 + 20 * NS);
	/* Minute 2 (none in minute 1): one more connection; the first two
	 * still open, so this minute's maximum is 3. */
	tcp_open(nat, PRIV, 5002, REM2, 80, m0 + 130 * NS);
	n = natgw_nat_series(nat, rows, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(rows[0].start_ns, m0);
	ck_assert_uint_eq(rows[1].start_ns, m0 + 120 * NS);
	ck_assert_uint_eq(rows[0].metric[NATGW_M_PacketsOutToDestination], 2 + 2 * 2);
	ck_assert_uint_eq(rows[0].metric[NATGW_M_PacketsOutToSource], 1 + 2);
	ck_assert_uint_eq(rows[0].metric[NATGW_M_ActiveConnectionCount], 2);
	ck_assert_uint_eq(rows[1].metric[NATGW_M_PacketsOutToDestination], 2);
	ck_assert_uint_eq(rows[1].metric[NATGW_M_ConnectionAttemptCount], 1);
	ck_assert_uint_eq(rows[1].metric[NATGW_M_ActiveConnectionCount], 3);
	/* Expiry in a later minute: the idle timeouts land in that minute. */
	natgw_nat_expire(nat, m0 + 2000 * NS, UINT32_MAX);
	n = natgw_nat_series(nat, rows, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(rows[2].start_ns % (60 * NS), 0);
	ck_assert_uint_eq(rows[2].metric[NATGW_M_IdleTimeoutCount], 3);
	ck_assert_uint_eq(rows[2].metric[NATGW_M_PacketsOutToDestination], 0);
	for (m = 0; m < NATGW_M_MAX; m++) {
		uint64_t top = 0;

		for (sum = 0, i = 0; i < n; i++) {
			sum += rows[i].metric[m];
			top = RTE_MAX(top, rows[i].metric[m]);
		}
		if (m == NATGW_M_ActiveConnectionCount)
			ck_assert_uint_eq(top, st_of(nat)->metric[m]);
		else
			ck_assert_msg(sum == st_of(nat)->metric[m], "%s: rows sum to %" PRIu64
				", the counter is %" PRIu64, natgw_metric_name(m), sum,
				st_of(nat)->metric[m]);
	}
	/* A short buffer gets the first rows and the full count. */
	ck_assert_uint_eq(natgw_nat_series(nat, rows, 1), 3);
	ck_assert_uint_eq(rows[0].start_ns, m0);
}
END_TEST

/* A classifier that names destinations by their last octet and watches DNS. */
struct cls_log {
	unsigned int classified, learned;
	enum natgw_side learn_side[NATGW_WATCH_MAX + 4];
	uint32_t learn_len[NATGW_WATCH_MAX + 4];
	bool keep_watching;
};

static bool
cls_classify(void *arg, const struct natgw_flow_key *k, uint8_t *svc, uint16_t *name)
{
	struct cls_log *l = arg;

	l->classified++;
	*svc = (uint8_t)(ntohl(k->dst_ip) & 0xff);
	*name = (uint16_t)(ntohs(k->dst_port) == 53 ? 0 : 100 + ntohs(k->dst_port) % 7);
	return ntohs(k->dst_port) == 53;
}

static bool
cls_learn(void *arg, enum natgw_side side, const struct natgw_flow_key *k, const uint8_t *l4,
		uint32_t l4_len, uint8_t *svc, uint16_t *name)
{
	struct cls_log *l = arg;

	ck_assert_uint_eq(ntohs(k->dst_port), 53); /* the inside key, either way */
	ck_assert_uint_eq(ntohs(k->src_port), 4000);
	/* The transport header as it arrived: from the inside port, or from
	 * the remote's. */
	ck_assert_uint_eq(l4[1], (side == NATGW_SIDE_INSIDE ? 4000 : 53) & 0xff);
	l->learn_side[l->learned] = side;
	l->learn_len[l->learned++] = l4_len;
	if (side == NATGW_SIDE_INSIDE)
		return true; /* a query: wait for its answer */
	*svc = 200;
	*name = 7;
	return l->keep_watching;
}

START_TEST(test_acct_classifier)
{
	struct cls_log l = {.keep_watching = false};
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	const struct natgw_nat_acct *a;
	const struct natgw_flow_record *r;
	uint64_t sum[NATGW_SIDES] = {0, 0}, pk[NATGW_SIDES] = {0, 0}, ses = 0;
	size_t n, i;
	struct tp t;
	struct got g;
	uint16_t P;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.classifier.classify = cls_classify;
	c.classifier.learn = cls_learn;
	c.classifier.arg = &l;
	nat = mk(&c);
	/* DNS: the query is shown to learn, the answer too, which renames the
	 * session and stops the watch; later packets are not shown. */
	t = udp(PRIV, 4000, REM, 53, 30);
	fwd(nat, IN, &t, T0, &g, "query");
	P = out_sport(&g);
	ck_assert_uint_eq(l.classified, 1);
	ck_assert_uint_eq(l.learned, 1);
	ck_assert_uint_eq(l.learn_side[0], IN);
	ck_assert_uint_eq(l.learn_len[0], 8 + 30);
	t = udp(REM, 53, PUB, P, 90);
	fwd(nat, OUT, &t, T0 + MS, &g, "answer");
	ck_assert_uint_eq(l.learned, 2);
	ck_assert_uint_eq(l.learn_side[1], OUT);
	ck_assert_uint_eq(l.learn_len[1], 8 + 90);
	fwd(nat, OUT, &t, T0 + 2 * MS, &g, "answer again");
	t = udp(PRIV, 4000, REM, 53, 30);
	fwd(nat, IN, &t, T0 + 3 * MS, &g, "query again");
	ck_assert_uint_eq(l.learned, 2);
	/* TCP to REM2: classified, never watched. */
	tcp_open(nat, PRIV2, 6000, REM2, 443, T0 + 10 * MS);
	ck_assert_uint_eq(l.classified, 2);
	ck_assert_uint_eq(l.learned, 2);
	natgw_nat_finish(nat, T0 + 20 * MS);

	r = natgw_nat_flow_log(nat, &n);
	ck_assert_uint_eq(n, 2);
	for (i = 0; i < n; i++) {
		if (r[i].proto == IPPROTO_UDP) {
			ck_assert_uint_eq(r[i].svc, 200);
			ck_assert_uint_eq(r[i].name, 7);
		} else {
			ck_assert_uint_eq(r[i].svc, REM2 & 0xff);
			ck_assert_uint_eq(r[i].name, 100 + 443 % 7);
		}
	}
	/* By service and by name, the same traffic as the flows and the
	 * CloudWatch counters. */
	a = natgw_nat_acct_services(nat);
	ck_assert_uint_eq(a[200].sessions, 1);
	ck_assert_uint_eq(a[200].pkts[0], 2);
	ck_assert_uint_eq(a[200].pkts[1], 2);
	ck_assert_uint_eq(a[200].bytes[1], 2 * (20 + 8 + 90));
	ck_assert_uint_eq(a[REM2 & 0xff].sessions, 1);
	ck_assert_uint_eq(a[REM2 & 0xff].pkts[0], 2);
	for (i = 0; i < NATGW_SVC_MAX; i++) {
		sum[0] += a[i].bytes[0];
		sum[1] += a[i].bytes[1];
		ses += a[i].sessions;
	}
	ck_assert_uint_eq(ses, 2);
	ck_assert_uint_eq(sum[0], METRIC(nat, BytesOutToDestination));
	ck_assert_uint_eq(sum[1], METRIC(nat, BytesOutToSource));
	a = natgw_nat_acct_names(nat, &n);
	ck_assert_uint_ge(n, 101 + 443 % 7);
	ck_assert_uint_eq(a[7].pkts[0] + a[7].pkts[1], 4);
	ck_assert_uint_eq(a[100 + 443 % 7].sessions, 1);
	for (i = 0; i < n; i++) {
		pk[0] += a[i].pkts[0];
		pk[1] += a[i].pkts[1];
	}
	ck_assert_uint_eq(pk[0], METRIC(nat, PacketsOutToDestination));
	ck_assert_uint_eq(pk[1], METRIC(nat, PacketsOutToSource));
}
END_TEST

/* Watching ends after NATGW_WATCH_MAX packets even if learn wants more, and
 * without a flow log the accounting is still whole. */
START_TEST(test_acct_watch_bound)
{
	struct cls_log l = {.keep_watching = true};
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	const struct natgw_nat_acct *a;
	struct tp t = udp(PRIV, 4000, REM, 53, 30);
	struct got g;
	unsigned int i;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.keep_flow_log = false;
	c.classifier.classify = cls_classify;
	c.classifier.learn = cls_learn;
	c.classifier.arg = &l;
	nat = mk(&c);
	for (i = 0; i < NATGW_WATCH_MAX + 4; i++)
		fwd(nat, IN, &t, T0 + i * MS, &g, "query");
	ck_assert_uint_eq(l.learned, NATGW_WATCH_MAX);
	natgw_nat_finish(nat, T0 + NS);
	ck_assert_uint_eq(log_len(nat), 0);
	a = natgw_nat_acct_services(nat);
	ck_assert_uint_eq(a[REM & 0xff].pkts[0], NATGW_WATCH_MAX + 4);
	ck_assert_uint_eq(a[REM & 0xff].bytes[0], (NATGW_WATCH_MAX + 4) * (20 + 8 + 30));
	ck_assert_uint_eq(a[REM & 0xff].sessions, 1);
}
END_TEST

/* A ceiling's budget: what is over it is dropped and counted, by the limit
 * it hit, and each budget replaces the last (nothing carries over). */
START_TEST(test_budget_ceiling)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_AWS);
	struct tp t = udp(PRIV, 4000, REM, 53, 400 - 28);
	struct got g;
	unsigned int i;

	natgw_nat_set_budget(nat, 1000, 10);
	fwd(nat, IN, &t, T0, &g, "1st of 1000 bytes");
	fwd(nat, IN, &t, T0 + 1, &g, "2nd of 1000 bytes");
	drop(nat, IN, &t, T0 + 2, NATGW_DROP_bandwidth_ceiling, "3rd: 200 bytes left");
	natgw_nat_set_budget(nat, 100000, 2);
	fwd(nat, IN, &t, T0 + 3, &g, "1st of 2 packets");
	fwd(nat, IN, &t, T0 + 4, &g, "2nd of 2 packets");
	drop(nat, IN, &t, T0 + 5, NATGW_DROP_packet_rate_ceiling, "3rd of 2 packets");
	natgw_nat_unlimit(nat);
	for (i = 0; i < 20; i++)
		fwd(nat, IN, &t, T0 + 6 + i, &g, "unlimited");
	ck_assert_uint_eq(DROPS(nat, bandwidth_ceiling), 1);
	ck_assert_uint_eq(DROPS(nat, packet_rate_ceiling), 1);
	ck_assert_uint_eq(st_of(nat)->ceiling_bytes, 2 * 400);
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 2);
	ck_assert_uint_eq(METRIC(nat, PacketsInFromSource), 26);
	ck_assert_uint_eq(METRIC(nat, PacketsOutToDestination), 24);
}
END_TEST

/* Enforcement: the admit hook refuses a new session from its first packet,
 * before any port is taken; established sessions never ask it again. */
static unsigned int admit_asked;

static bool
admit_not_8125(void *arg, const struct natgw_flow_key *k)
{
	(void)arg;
	admit_asked++;
	return k->dst_port != htons(8125);
}

START_TEST(test_admit_policy)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct tp t;
	struct got g;
	unsigned int i;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.classifier.admit = admit_not_8125;
	nat = mk(&c);
	admit_asked = 0;
	t = udp(PRIV, 4000, REM, 8125, 100);
	drop(nat, IN, &t, T0, NATGW_DROP_policy_denied, "denied datagram");
	drop(nat, IN, &t, T0 + 1, NATGW_DROP_policy_denied, "denied again");
	ck_assert_uint_eq(st_of(nat)->sessions_created, 0);
	ck_assert_uint_eq(METRIC(nat, ConnectionAttemptCount), 0);
	tcp_open(nat, PRIV, 5000, REM, 443, T0 + 2);
	ck_assert_uint_eq(admit_asked, 3);
	t = tcp(PRIV, 5000, REM, 443, F_ACK, ISN_C + 1, ISN_S + 1);
	for (i = 0; i < 10; i++)
		fwd(nat, IN, &t, T0 + 10 + i, &g, "established");
	ck_assert_uint_eq(admit_asked, 3);
	ck_assert_uint_eq(DROPS(nat, policy_denied), 2);
}
END_TEST

/* ================================================================== conform */

/*
 * The requirements of docs/conformance.md that the tests above do not already
 * prove, each case named after its row.
 */

/* The output's IP packet must be exactly @p want's (a frame the NAT sends back
 * out of the port it came in by has its MACs swapped). */
static void
expect_ip(const struct got *g, const struct tp *want, const char *what)
{
	uint8_t w[2048];
	uint16_t wl = tp_build(w, want), wl3 = tp_l3(w), gl3 = tp_l3(g->f), i;

	check_csums(g, what);
	ck_assert_msg(g->len - gl3 == wl - wl3, "%s: %u IP bytes, want %u", what,
		g->len - gl3, wl - wl3);
	for (i = 0; i < wl - wl3; i++)
		ck_assert_msg(g->f[gl3 + i] == w[wl3 + i], "%s: IP byte %u is 0x%02x, want 0x%02x",
			what, i, g->f[gl3 + i], w[wl3 + i]);
}

/* A frame that must come back out of the side it arrived on. */
static void
back(struct natgw_nat *nat, enum natgw_side side, const struct tp *t, uint64_t now,
		struct got *g, const char *what)
{
	uint64_t before[NATGW_DROP_MAX];
	int s;

	memcpy(before, st_of(nat)->drop, sizeof(before));
	s = xmit_tp(nat, side, t, now, g);
	ck_assert_msg(s == (int)side, "%s: not sent back (%s)", what,
		s < 0 ? drop_diff(before, nat) : "forwarded");
	check_csums(g, what);
}

/* AWS: 55,000 simultaneous connections to one destination per public
 * address, at the documented default, with two addresses: 110,000 fit, the
 * next is refused (ErrorPortAllocation), each address holds 55,000. */
START_TEST(test_aws_55000_per_dest)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	unsigned int i, on_first = 0;
	struct tp t;
	struct got g;

	conf_base(&c, NATGW_PROFILE_AWS);
	ck_assert_uint_eq(c.per_dest_limit, 55000);
	c.public_ip[1] = htonl(PUB2);
	c.n_public = 2;
	c.max_sessions = 1u << 17;
	nat = mk(&c);
	for (i = 0; i < 110000; i++) {
		t = tcp(NET | (0x100 + i / 50000), (uint16_t)(10000 + i % 50000), REM, 443, F_SYN,
			ISN_C, 0);
		fwd(nat, IN, &t, T0, &g, "within 2 x 55,000");
		on_first += tp_ip_src(g.f) == PUB;
		ck_assert_uint_ge(out_sport(&g), 1024);
	}
	ck_assert_uint_eq(on_first, 55000);
	t = tcp(NET | 0x200, 10000, REM, 443, F_SYN, ISN_C, 0);
	drop(nat, IN, &t, T0, NATGW_DROP_port_alloc, "the 110,001st");
	ck_assert_uint_eq(METRIC(nat, ErrorPortAllocation), 1);
	/* Another destination port is another destination. */
	t = tcp(NET | 0x200, 10000, REM, 444, F_SYN, ISN_C, 0);
	fwd(nat, IN, &t, T0, &g, "another destination");
}
END_TEST

/* RFC 5382 REQ-2: simultaneous open, both profiles. */
START_TEST(test_tcp_simultaneous_open)
{
	enum natgw_profile pr = _i ? NATGW_PROFILE_RFC : NATGW_PROFILE_AWS;
	struct natgw_nat *nat = mk_profile(pr);
	const struct natgw_nat_conf *c = natgw_nat_conf(nat);
	struct tp t, w;
	struct got g;
	uint16_t P;

	t = tcp(PRIV, 40000, REM, 5000, F_SYN, ISN_C, 0);
	fwd(nat, IN, &t, T0, &g, "SYN out");
	P = out_sport(&g);
	/* The peer's own SYN crosses ours: no ACK, and it must get through. */
	t = tcp(REM, 5000, PUB, P, F_SYN, ISN_S, 0);
	fwd(nat, OUT, &t, T0 + MS, &g, "crossing SYN in");
	w = tcp(REM, 5000, PRIV, 40000, F_SYN, ISN_S, 0);
	w.ttl = 63;
	expect_frame(&g, &w, "crossing SYN in");
	t = tcp(PRIV, 40000, REM, 5000, F_SYN | F_ACK, ISN_C, ISN_S + 1);
	fwd(nat, IN, &t, T0 + 2 * MS, &g, "SYN-ACK out");
	t = tcp(REM, 5000, PUB, P, F_SYN | F_ACK, ISN_S, ISN_C + 1);
	fwd(nat, OUT, &t, T0 + 3 * MS, &g, "SYN-ACK in");
	ck_assert_uint_eq(METRIC(nat, ConnectionAttemptCount), 1);
	ck_assert_uint_eq(METRIC(nat, ConnectionEstablishedCount), 1);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 1);
	/* Established: it outlives the opening timeout. */
	t = tcp(REM, 5000, PUB, P, F_ACK, ISN_S + 1, ISN_C + 1);
	fwd(nat, OUT, &t, T0 + 3 * MS + c->timeout_ns[NATGW_TO_tcp_est] - NS, &g,
		"ACK just within the established timeout");
}
END_TEST

/* RFC 7857 section 2.2: a RST is translated, the session held 4 minutes, and a
 * packet other than a RST in that time makes it established again. */
START_TEST(test_rst_hold_rfc7857)
{
	enum natgw_profile pr = _i ? NATGW_PROFILE_RFC : NATGW_PROFILE_AWS;
	struct natgw_nat *nat = mk_profile(pr);
	const struct natgw_nat_conf *c = natgw_nat_conf(nat);
	const struct natgw_flow_record *r;
	uint64_t t1 = T0 + NS, t2 = t1 + 200 * NS, t3 = t2 + 400 * NS;
	struct tp t, w;
	struct got g;
	uint16_t P = tcp_open(nat, PRIV, 40000, REM, 80, T0);

	ck_assert_uint_eq(c->timeout_ns[NATGW_TO_tcp_trans], 240 * NS);
	t = tcp(REM, 80, PUB, P, F_RST, ISN_S + 1, 0);
	fwd(nat, OUT, &t, t1, &g, "RST in");
	w = tcp(REM, 80, PRIV, 40000, F_RST, ISN_S + 1, 0);
	w.ttl = 63;
	expect_frame(&g, &w, "RST translated");
	ck_assert_uint_eq(st_of(nat)->active_tcp, 0);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 1);
	if (pr == NATGW_PROFILE_RFC)
		ck_assert_uint_eq(st_of(nat)->mappings_active, 1);
	/* The connection goes on (the RST was not accepted): established again,
	 * and now held by the established timeout, not 240 s. */
	t = tcp(PRIV, 40000, REM, 80, F_ACK | F_PSH, ISN_C + 1, ISN_S + 1);
	t.payload = pat;
	t.plen = 20;
	fwd(nat, IN, &t, t2, &g, "data 200 s after the RST");
	ck_assert_uint_eq(out_sport(&g), P);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 1);
	natgw_nat_expire(nat, t2 + 300 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 1);
	t = tcp(REM, 80, PUB, P, F_ACK, ISN_S + 1, ISN_C + 21);
	fwd(nat, OUT, &t, t2 + 300 * NS, &g, "ACK 300 s later");
	/* A RST with nothing after it: the session ends 240 s later, as reset. */
	t = tcp(PRIV, 40000, REM, 80, F_RST, ISN_C + 21, 0);
	fwd(nat, IN, &t, t3, &g, "RST out");
	natgw_nat_expire(nat, t3 + 239 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 1);
	natgw_nat_expire(nat, t3 + 242 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	r = log_find(nat, 6, PRIV, 40000, REM, 80);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->end, NATGW_END_RST);
	ck_assert_uint_eq(r->end_ns, t3 + 240 * NS);
	ck_assert_uint_eq(METRIC(nat, IdleTimeoutCount), 0);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 0);
	if (pr == NATGW_PROFILE_RFC)
		ck_assert_uint_eq(st_of(nat)->mappings_active, 0);
}
END_TEST

/* RFC 4787 REQ-12, RFC 5508 REQ-6: no ICMP error ends (or refreshes) a
 * session or its mapping, whatever its type or who sent it. */
START_TEST(test_icmp_err_never_ends)
{
	enum natgw_profile pr = _i ? NATGW_PROFILE_RFC : NATGW_PROFILE_AWS;
	struct natgw_nat *nat = mk_profile(pr);
	static const uint8_t tc_[][2] = {{3, 3}, {3, 1}, {3, 13}, {11, 0}, {12, 0}, {3, 4}};
	struct tp q, e, t;
	uint8_t qb[2048];
	uint16_t ql, P, Pt;
	struct got g;
	unsigned int i;

	P = udp_out(nat, PRIV, 40000, REM, 53, T0);
	Pt = tcp_open(nat, PRIV, 40001, REM, 80, T0);
	for (i = 0; i < sizeof(tc_) / sizeof(tc_[0]); i++) {
		q = udp(PUB, P, REM, 53, 24);
		ql = ip_bytes(qb, &q, 2048);
		e = icmp_err(i & 1 ? ROUTER : REM, PUB, tc_[i][0], tc_[i][1], qb, ql);
		fwd(nat, OUT, &e, T0 + (i + 1) * NS, &g, "error about the UDP flow");
		q = tcp(PUB, Pt, REM, 80, F_ACK, ISN_C + 1, ISN_S + 1);
		ql = ip_bytes(qb, &q, 2048);
		e = icmp_err(i & 1 ? ROUTER : REM, PUB, tc_[i][0], tc_[i][1], qb, ql);
		fwd(nat, OUT, &e, T0 + (i + 1) * NS, &g, "error about the TCP flow");
	}
	ck_assert_uint_eq(st_of(nat)->sessions_active, 2);
	ck_assert_uint_eq(st_of(nat)->active_tcp, 1);
	if (pr == NATGW_PROFILE_RFC)
		ck_assert_uint_eq(st_of(nat)->mappings_active, 2);
	t = udp(REM, 53, PUB, P, 8);
	fwd(nat, OUT, &t, T0 + 20 * NS, &g, "UDP reply after the errors");
	t = tcp(REM, 80, PUB, Pt, F_ACK, ISN_S + 1, ISN_C + 1);
	fwd(nat, OUT, &t, T0 + 20 * NS, &g, "TCP segment after the errors");
}
END_TEST

/* RFC 4787 REQ-9, RFC 5382 REQ-8: the rfc profile hairpins, with the
 * sender's public endpoint as the source (REQ-9a). */
/*
 * Exhaustion, `aws`: with every port towards one destination taken (2 x
 * 55,000 on two addresses) and then the session table full, new sessions are
 * dropped and counted (ErrorPortAllocation and port_alloc, then table_full)
 * while established connections, to that destination and another, keep every
 * packet both ways, and their flow records count exactly what they sent.
 * Once the half-open sessions time out, new sessions are made again.
 */
#define EX_EST 8

struct ex_conn {
	uint32_t rem;
	uint16_t sport, pport, pub_lo; /* pub_lo: the public address's last byte */
	uint64_t pkts[2], bytes[2];    /* what was sent, IP bytes */
};

/* One data segment each way on every established connection, all of which
 * must go through; @return the time after it. */
static uint64_t
ex_exchange(struct natgw_nat *nat, struct ex_conn *e, uint64_t now, uint16_t plen)
{
	unsigned int i;
	struct got g;
	struct tp t;

	for (i = 0; i < EX_EST; i++) {
		t = tcp(PRIV, e[i].sport, e[i].rem, 443, F_ACK | F_PSH, ISN_C + 1, ISN_S + 1);
		t.payload = pat;
		t.plen = plen;
		fwd(nat, IN, &t, now, &g, "established, out, under exhaustion");
		ck_assert_uint_eq(out_sport(&g), e[i].pport);
		e[i].pkts[0]++;
		e[i].bytes[0] += 40u + plen;
		t = tcp(e[i].rem, 443, (PUB & ~0xffu) | e[i].pub_lo, e[i].pport, F_ACK | F_PSH,
			ISN_S + 1, ISN_C + 1);
		t.payload = pat;
		t.plen = (uint16_t)(2 * plen);
		fwd(nat, OUT, &t, now, &g, "established, back in, under exhaustion");
		ck_assert_uint_eq(tp_ip_dst(g.f), PRIV);
		e[i].pkts[1]++;
		e[i].bytes[1] += 40u + 2u * plen;
	}
	return now + MS;
}

START_TEST(test_exhaustion_established_exact)
{
	struct ex_conn e[EX_EST];
	const struct natgw_flow_record *r;
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	uint64_t now = T0, t_fill;
	unsigned int i, made = 0;
	struct got g;
	struct tp t;

	conf_base(&c, NATGW_PROFILE_AWS);
	c.public_ip[1] = htonl(PUB2);
	c.n_public = 2;
	/* Room for every port towards REM, the connections to REM2 and 14 more. */
	c.max_sessions = 110000 + EX_EST / 2 + 14;
	nat = mk(&c);
	memset(e, 0, sizeof(e));
	for (i = 0; i < EX_EST; i++) {
		e[i].rem = i < EX_EST / 2 ? REM : REM2;
		e[i].sport = (uint16_t)(30000 + i);
		e[i].pport = tcp_open(nat, PRIV, e[i].sport, e[i].rem, 443, now);
		ck_assert(natgw_nat_public_endpoint(nat, 6, htonl(PRIV), htons(e[i].sport),
			htonl(e[i].rem), htons(443), &(uint32_t){0}, &(uint16_t){0}));
		/* The handshake: SYN and ACK out, SYN-ACK in, 40 bytes each. */
		e[i].pkts[0] = 2;
		e[i].bytes[0] = 80;
		e[i].pkts[1] = 1;
		e[i].bytes[1] = 40;
		now += 3 * MS;
	}
	for (i = 0; i < EX_EST; i++) {
		uint32_t pip;
		uint16_t pport;

		natgw_nat_public_endpoint(nat, 6, htonl(PRIV), htons(e[i].sport), htonl(e[i].rem),
			htons(443), &pip, &pport);
		e[i].pub_lo = (uint16_t)(ntohl(pip) & 0xff);
	}
	/* Half-open connections to REM until every port of both addresses
	 * towards it is taken. */
	t_fill = now;
	for (i = 0; i < 110000 - EX_EST / 2; i++) {
		t = tcp(NET | (0x100 + i / 50000), (uint16_t)(10000 + i % 50000), REM, 443, F_SYN,
			ISN_C, 0);
		fwd(nat, IN, &t, now, &g, "filling the ports towards one destination");
		made++;
	}
	ck_assert_uint_eq(st_of(nat)->sessions_active, made + EX_EST);
	now = ex_exchange(nat, e, now + MS, 100);
	for (i = 0; i < 5; i++) {
		t = tcp(NET | 0x200, (uint16_t)(20000 + i), REM, 443, F_SYN, ISN_C, 0);
		drop(nat, IN, &t, now, NATGW_DROP_port_alloc, "no port left towards REM");
		now = ex_exchange(nat, e, now, (uint16_t)(10 * i));
	}
	ck_assert_uint_eq(METRIC(nat, ErrorPortAllocation), 5);
	ck_assert_uint_eq(DROPS(nat, port_alloc), 5);
	/* Other destinations still get ports, until the table is full. */
	for (i = 0; i < 14; i++) {
		t = udp(NET | 0x300, (uint16_t)(20000 + i), REM2, 53, 8);
		fwd(nat, IN, &t, now, &g, "another destination, within the table");
	}
	for (i = 0; i < 5; i++) {
		t = udp(NET | 0x300, (uint16_t)(30000 + i), REM2, 53, 8);
		drop(nat, IN, &t, now, NATGW_DROP_table_full, "the table is full");
		now = ex_exchange(nat, e, now, (uint16_t)(200 + i));
	}
	ck_assert_uint_eq(DROPS(nat, table_full), 5);
	ck_assert_uint_eq(METRIC(nat, ErrorPortAllocation), 5);
	ck_assert_uint_eq(METRIC(nat, PacketsDropCount), 10);
	ck_assert_uint_eq(st_of(nat)->sessions_active, c.max_sessions);
	/* The established connections stay alive past the others' timeout;
	 * the half-open ones and the datagrams end, making room. */
	now = ex_exchange(nat, e, t_fill + 300 * NS, 1);
	natgw_nat_expire(nat, t_fill + 352 * NS, 1u << 30);
	ck_assert_uint_eq(st_of(nat)->sessions_active, EX_EST);
	now = t_fill + 352 * NS;
	t = tcp(NET | 0x200, 20000, REM, 443, F_SYN, ISN_C, 0);
	fwd(nat, IN, &t, now, &g, "after the half-open sessions expired");
	t = udp(NET | 0x300, 30000, REM2, 53, 8);
	fwd(nat, IN, &t, now, &g, "room in the table again");
	now = ex_exchange(nat, e, now, 700);
	natgw_nat_finish(nat, now);
	for (i = 0; i < EX_EST; i++) {
		r = log_find(nat, 6, PRIV, e[i].sport, e[i].rem, 443);
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(r->end, NATGW_END_ACTIVE);
		ck_assert_uint_eq(r->pkts[0], e[i].pkts[0]);
		ck_assert_uint_eq(r->pkts[1], e[i].pkts[1]);
		ck_assert_uint_eq(r->bytes[0], e[i].bytes[0]);
		ck_assert_uint_eq(r->bytes[1], e[i].bytes[1]);
	}
}
END_TEST

START_TEST(test_hairpin_rfc)
{
	struct natgw_nat *nat = mk_profile(NATGW_PROFILE_RFC);
	struct tp t, w, q, e;
	uint8_t qb[2048];
	uint16_t PA, PB, ql;
	struct got g;

	/* A (PRIV) has a public endpoint from talking to REM. */
	PA = udp_out(nat, PRIV, 40000, REM, 3478, T0);
	ck_assert_uint_eq(PA, 40000);
	/* B (PRIV2) sends to it: A gets it from B's public endpoint. */
	t = udp(PRIV2, 5000, PUB, PA, 30);
	back(nat, IN, &t, T0 + NS, &g, "B to A's public endpoint");
	PB = out_sport(&g);
	w = udp(PUB, PB, PRIV, 40000, 30);
	w.ttl = 63;
	expect_ip(&g, &w, "hairpinned to A");
	ck_assert_uint_eq(PB, 5000);
	/* A answers B's public endpoint. */
	t = udp(PRIV, 40000, PUB, PB, 12);
	back(nat, IN, &t, T0 + 2 * NS, &g, "A's answer");
	w = udp(PUB, PA, PRIV2, 5000, 12);
	w.ttl = 63;
	expect_ip(&g, &w, "hairpinned to B");
	ck_assert_uint_eq(st_of(nat)->hairpinned, 2);
	/* An ICMP error about the hairpinned flow takes the same way back
	 * (RFC 5508 REQ-7): A's port unreachable about what it got reaches B
	 * quoting what B sent. */
	q = udp(PUB, PB, PRIV, 40000, 30);
	q.ttl = 63;
	ql = ip_bytes(qb, &q, 2048);
	e = icmp_err(PRIV, PUB, 3, 3, qb, ql);
	back(nat, IN, &e, T0 + 3 * NS, &g, "A's port unreachable");
	q = udp(PRIV2, 5000, PUB, PA, 30);
	q.ttl = 63;
	ql = ip_bytes(qb, &q, 2048);
	w = icmp_err(PUB, PRIV2, 3, 3, qb, ql);
	w.ttl = 63;
	expect_ip(&g, &w, "port unreachable to B");
	/* The mapping is not ended by it, and A still reaches REM through it. */
	t = udp(PRIV, 40000, REM, 3478, 12);
	fwd(nat, IN, &t, T0 + 4 * NS, &g, "A to REM");
	ck_assert_uint_eq(out_sport(&g), PA);
	/* Sent counted once, as delivered to the inside. */
	ck_assert_uint_eq(METRIC(nat, PacketsOutToSource), 3);
	ck_assert_uint_eq(METRIC(nat, PacketsOutToDestination), 2);

	/* TCP: A's SYN from its mapping... */
	t = tcp(PRIV, 41000, REM, 80, F_SYN, ISN_C, 0);
	fwd(nat, IN, &t, T0 + 5 * NS, &g, "A's SYN out");
	PA = out_sport(&g);
	/* ...lets B open a connection to it through the NAT. */
	t = tcp(PRIV2, 6000, PUB, PA, F_SYN, ISN_S, 0);
	back(nat, IN, &t, T0 + 6 * NS, &g, "B's SYN to A");
	PB = out_sport(&g);
	w = tcp(PUB, PB, PRIV, 41000, F_SYN, ISN_S, 0);
	w.ttl = 63;
	expect_ip(&g, &w, "B's SYN at A");
	t = tcp(PRIV, 41000, PUB, PB, F_SYN | F_ACK, ISN_C, ISN_S + 1);
	back(nat, IN, &t, T0 + 7 * NS, &g, "A's SYN-ACK");
	ck_assert_uint_eq(tp_ip_dst(g.f), PRIV2);
	t = tcp(PRIV2, 6000, PUB, PA, F_ACK, ISN_S + 1, ISN_C + 1);
	back(nat, IN, &t, T0 + 8 * NS, &g, "B's ACK");
	/* Not a SYN, no session: dropped. */
	t = tcp(PRIV2, 6001, PUB, PA, F_ACK, ISN_S + 1, ISN_C + 1);
	drop(nat, IN, &t, T0 + 9 * NS, NATGW_DROP_tcp_not_syn, "stray ACK to A");
	/* Nobody behind the public endpoint, or a ping to the NAT: dropped. */
	t = udp(PRIV2, 5000, PUB, 39999, 30);
	drop(nat, IN, &t, T0 + 10 * NS, NATGW_DROP_hairpin, "to an unmapped port");
	t = icmp(PRIV2, PUB, 8, 0x77, 1, 8);
	drop(nat, IN, &t, T0 + 10 * NS, NATGW_DROP_hairpin, "ping to the NAT");
	/* Both legs end like any session: all gone after the timeouts. */
	natgw_nat_expire(nat, T0 + 10000 * NS, 1u << 20);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	ck_assert_uint_eq(st_of(nat)->mappings_active, 0);
}
END_TEST

/* Hairpinning meets the filter: with address-dependent filtering B reaches A
 * only after A sent to B's public address; the aws profile never hairpins. */
START_TEST(test_hairpin_filtering)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct tp t;
	struct got g;
	uint16_t PA;

	conf_base(&c, NATGW_PROFILE_RFC);
	c.filtering = NATGW_FILTER_ADF;
	nat = mk(&c);
	PA = udp_out(nat, PRIV, 40000, REM, 3478, T0);
	t = udp(PRIV2, 5000, PUB, PA, 30);
	drop(nat, IN, &t, T0 + NS, NATGW_DROP_hairpin, "ADF: A never sent to PUB");
	/* A sends to B's public endpoint (made by B's first try, which made
	 * B's mapping): now PUB may reach A. */
	t = udp(PRIV, 40000, PUB, 5000, 30);
	back(nat, IN, &t, T0 + 2 * NS, &g, "A to B's public endpoint");
	t = udp(PRIV2, 5000, PUB, PA, 30);
	back(nat, IN, &t, T0 + 3 * NS, &g, "ADF: now allowed");
	ck_assert_uint_eq(tp_ip_dst(g.f), PRIV);

	conf_base(&c, NATGW_PROFILE_AWS);
	nat = mk(&c);
	PA = udp_out(nat, PRIV, 40000, REM, 3478, T0);
	t = udp(PRIV2, 5000, PUB, PA, 30);
	drop(nat, IN, &t, T0 + NS, NATGW_DROP_hairpin, "aws: no hairpinning");
	ck_assert_uint_eq(st_of(nat)->sessions_active, 1);
}
END_TEST

/* RFC 4787 REQ-13, RFC 5508 REQ-10, RFC 1191: a DF packet over the MTU gets
 * "fragmentation needed" with the MTU (rfc); the aws profile drops it
 * silently, as AWS documents. */
START_TEST(test_frag_needed)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	struct tp t, w;
	uint8_t qb[2048];
	uint16_t ql, P;
	struct got g;

	conf_base(&c, NATGW_PROFILE_RFC);
	c.mtu = 1000;
	nat = mk(&c);
	t = udp(PRIV, 40000, REM, 53, 1200);
	t.frag = 0x4000;
	back(nat, IN, &t, T0, &g, "DF datagram over the MTU");
	ql = ip_bytes(qb, &t, 548);
	w = icmp_err(PUB, PRIV, 3, 4, qb, ql);
	w.icmp_seq = 1000; /* the next hop's MTU, in the unused word's low half */
	w.frag = 0;
	expect_ip(&g, &w, "fragmentation needed");
	ck_assert_uint_eq(DROPS(nat, mtu_exceeded), 1);
	ck_assert_uint_eq(st_of(nat)->icmp_sent[IN], 1);
	ck_assert_uint_eq(st_of(nat)->icmp_bytes[IN], 576);
	ck_assert_uint_eq(METRIC(nat, PacketsOutToSource), 1);
	ck_assert_uint_eq(st_of(nat)->sessions_active, 0);
	/* Without DF: dropped (natgw does not fragment; see conformance.md). */
	t.frag = 0;
	drop(nat, IN, &t, T0, NATGW_DROP_mtu_exceeded, "no DF");
	/* From outside: answered only for a packet of a session. */
	P = udp_out(nat, PRIV, 40000, REM, 53, T0);
	t = udp(REM, 53, PUB, P, 1200);
	t.frag = 0x4000;
	back(nat, OUT, &t, T0 + NS, &g, "DF reply over the MTU");
	ck_assert_uint_eq(tp_ip_src(g.f), PUB);
	ck_assert_uint_eq(tp_ip_dst(g.f), REM);
	ck_assert_uint_eq(st_of(nat)->icmp_sent[OUT], 1);
	t = udp(REM2, 53, PUB, 33333, 1200);
	t.frag = 0x4000;
	drop(nat, OUT, &t, T0 + NS, NATGW_DROP_mtu_exceeded, "stranger's DF packet");
	ck_assert_uint_eq(st_of(nat)->icmp_sent[OUT], 1);

	conf_base(&c, NATGW_PROFILE_AWS);
	c.mtu = 1000;
	nat = mk(&c);
	t = udp(PRIV, 40000, REM, 53, 1200);
	t.frag = 0x4000;
	drop(nat, IN, &t, T0, NATGW_DROP_mtu_exceeded, "aws: DF over the MTU");
	ck_assert_uint_eq(st_of(nat)->icmp_sent[IN], 0);
}
END_TEST

/* RFC 4787 REQ-4 with RFC 7857 section 8: port parity, an option (off by
 * default), in both profiles. */
START_TEST(test_port_parity)
{
	enum natgw_profile pr = _i ? NATGW_PROFILE_RFC : NATGW_PROFILE_AWS;
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	unsigned int i, same = 0;
	uint16_t P;

	conf_base(&c, pr);
	ck_assert(!c.port_parity);
	c.port_parity = true;
	nat = mk(&c);
	for (i = 0; i < 200; i++) {
		/* Every inside port twice, from two hosts: the second cannot keep
		 * it (rfc), yet keeps its parity. */
		P = udp_out(nat, i & 1 ? PRIV2 : PRIV, (uint16_t)(20000 + i / 2), REM, 53, T0);
		ck_assert_msg(((P ^ (20000 + i / 2)) & 1) == 0, "port %u for inside port %u", P,
			20000 + i / 2);
		same += P == 20000 + i / 2;
	}
	if (pr == NATGW_PROFILE_RFC)
		ck_assert_uint_eq(same, 100);
	/* Without the option parity is chance: both parities show up. */
	conf_base(&c, pr);
	nat = mk(&c);
	for (i = 0, same = 0; i < 64; i++)
		same += (udp_out(nat, PRIV, (uint16_t)(20000 + 2 * i), REM2, 53, T0) & 1) == 0;
	if (pr == NATGW_PROFILE_AWS)
		ck_assert(same > 0 && same < 64);
}
END_TEST

/* RFC 4787 REQ-3a: an inside port below 1024 gets a public port below 1024
 * (rfc default; the aws profile keeps to AWS's 1024-65535). */
START_TEST(test_port_range_preserve)
{
	struct natgw_nat_conf c;
	struct natgw_nat *nat;
	char err[256];
	uint16_t P;
	unsigned int i;

	nat = mk_profile(NATGW_PROFILE_RFC);
	ck_assert(natgw_nat_conf(nat)->port_range_preserve);
	ck_assert_uint_eq(udp_out(nat, PRIV, 123, REM, 123, T0), 123);
	for (i = 0; i < 50; i++) {
		P = udp_out(nat, PRIV2 + i, 123, REM, 123, T0);
		ck_assert_msg(P >= 1 && P < 1024 && P != 123, "low port %u", P);
	}
	ck_assert_uint_ge(udp_out(nat, PRIV, 1024, REM, 123, T0), 1024);
	nat = mk_profile(NATGW_PROFILE_AWS);
	ck_assert(!natgw_nat_conf(nat)->port_range_preserve);
	ck_assert_uint_ge(udp_out(nat, PRIV, 123, REM, 123, T0), 1024);
	/* The low range must not overlap the public range. */
	conf_base(&c, NATGW_PROFILE_RFC);
	c.port_lo = 1000;
	ck_assert_int_eq(natgw_nat_conf_check(&c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "port range preservation"));
}
END_TEST

/* ================================================================== main */

static TCase *
tc(Suite *s, const char *name)
{
	TCase *t = tcase_create(name);

	tcase_add_checked_fixture(t, setup, teardown);
	suite_add_tcase(s, t);
	return t;
}

int
main(void)
{
	Suite *s = suite_create("nat");
	TCase *t;

	t = tc(s, "translate");
	tcase_add_test(t, test_tcp_out_and_back);
	tcase_add_test(t, test_udp_out_and_back);
	tcase_add_test(t, test_icmp_echo_out_and_back);
	tcase_add_test(t, test_vlan_tags_kept);
	tcase_add_test(t, test_ip_options_kept);
	tcase_add_test(t, test_burst_new_flow);
	tcase_add_test(t, test_burst_mixed);
	tcase_add_test(t, test_drop_not_ipv4);
	tcase_add_test(t, test_drop_ttl);
	tcase_add_test(t, test_drop_mtu);
	tcase_add_test(t, test_public_endpoint);
	tcase_add_test(t, test_series_minutes);
	tcase_add_test(t, test_acct_classifier);
	tcase_add_test(t, test_acct_watch_bound);
	tcase_add_test(t, test_budget_ceiling);
	tcase_add_test(t, test_admit_policy);
	tcase_add_test(t, test_determinism);

	t = tc(s, "icmp_error");
	tcase_add_test(t, test_icmp_err_udp_port_unreachable);
	tcase_add_test(t, test_icmp_err_time_exceeded_router);
	tcase_add_test(t, test_icmp_err_tcp_truncated_quote);
	tcase_add_test(t, test_icmp_err_echo_quote);
	tcase_add_test(t, test_icmp_err_no_session);
	tcase_add_test(t, test_icmp_err_from_inside);
	tcase_add_test(t, test_icmp_err_no_refresh);

	t = tc(s, "aws");
	tcase_add_test(t, test_aws_edm_unique);
	tcase_add_test(t, test_aws_per_dest_limit);
	tcase_add_test(t, test_aws_per_dest_limit_two_publics);
	tcase_add_test(t, test_aws_port_exhaustion);
	tcase_add_test(t, test_aws_table_full);
	tcase_add_test(t, test_aws_unsolicited_inbound);
	tcase_add_test(t, test_aws_guess);
	tcase_add_test(t, test_aws_filtering);
	tcase_add_test(t, test_aws_inside_checks);
	tcase_add_test(t, test_aws_rst_stale_ack);
	tcase_add_test(t, test_aws_rst_stale_no_ack);

	t = tc(s, "hostile");
	tcase_add_test(t, test_hostile_tcp_flags);
	tcase_add_test(t, test_hostile_dst_not_unicast);
	tcase_add_test(t, test_hostile_tcp_bad_csum);
	tcase_add_test(t, test_frag_middle_overlap);

	t = tc(s, "timeout");
	tcase_add_test(t, test_idle_lazy);
	tcase_add_test(t, test_idle_expire);
	tcase_add_test(t, test_fin_end);
	tcase_add_test(t, test_rst_end);
	tcase_add_test(t, test_tcp_reuse_after_fin);
	tcase_add_test(t, test_expire_budget);
	tcase_add_test(t, test_finish);
	tcase_add_test(t, test_udp_idle_aws);
	tcase_add_test(t, test_counters_past_32_bits);

	t = tc(s, "metrics");
	tcase_add_test(t, test_metrics_counts);
	tcase_add_test(t, test_metrics_active_peak);

	t = tc(s, "fragments");
	tcase_add_test(t, test_frag_udp_aws);
	tcase_add_test(t, test_frag_tcp_icmp_aws);
	tcase_add_test(t, test_frag_no_first);
	tcase_add_test(t, test_frag_stale_other_remote);
	tcase_add_test(t, test_frag_stale_same_remote);
	tcase_add_test(t, test_frag_same_burst);
	tcase_add_test(t, test_frag_tcp_rfc);
	tcase_add_test(t, test_frag_tiny_rfc);

	t = tc(s, "rfc");
	tcase_add_test(t, test_rfc_eim);
	tcase_add_test(t, test_rfc_eif);
	tcase_add_test(t, test_rfc_adf);
	tcase_add_test(t, test_rfc_apdf);
	tcase_add_test(t, test_rfc_timeouts_udp_icmp);
	tcase_add_test(t, test_rfc_timeouts_tcp);
	tcase_add_test(t, test_rfc_no_rst);

	t = tc(s, "workers");
	tcase_add_test(t, test_workers_port_slices);

	t = tc(s, "config");
	tcase_add_test(t, test_conf_check);
	tcase_add_test(t, test_conf_defaults);

	t = tc(s, "conform");
	tcase_add_test(t, test_aws_55000_per_dest);
	tcase_add_test(t, test_exhaustion_established_exact);
	tcase_add_loop_test(t, test_tcp_simultaneous_open, 0, 2);
	tcase_add_loop_test(t, test_rst_hold_rfc7857, 0, 2);
	tcase_add_loop_test(t, test_icmp_err_never_ends, 0, 2);
	tcase_add_test(t, test_hairpin_rfc);
	tcase_add_test(t, test_hairpin_filtering);
	tcase_add_test(t, test_frag_needed);
	tcase_add_loop_test(t, test_port_parity, 0, 2);
	tcase_add_test(t, test_port_range_preserve);

	return natgw_test_run(s);
}
