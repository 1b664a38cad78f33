/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Check suite for lib/pkt: frame parsing, drop reasons, RFC 1624 checksum
 * arithmetic and the NAT rewrite.
 *
 * Every test builds its frames with tp_build(), which computes checksums from
 * scratch, and judges the result against frames built the same way or against
 * tp_verify(): the code under test is never its own oracle. A rewrite is
 * compared with the frame the NAT should have produced, byte for byte over the
 * whole buffer, so a field changed that should not be, or a checksum off by
 * one representation of zero, fails.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natgw_csum.h"
#include "natgw_pkt.h"
#include "natgw_test.h"
#include "pkt_agree.h"

#define BUF 2048

/* For hot loops: Check records the location of every assertion that passes,
 * one system call each; this calls into Check only to fail. */
#define CHECK(cond, ...) do { \
	if (!(cond)) \
		ck_abort_msg(__VA_ARGS__); \
} while (0)

/* The cast of the scenarios, host order. */
#define PRIV      0x0a000001u /* 10.0.0.1: an inside host */
#define PUB       0xcb007101u /* 203.0.113.1: the gateway's public address */
#define REMOTE    0xc6336407u /* 198.51.100.7: a server outside */
#define ROUTER    0xc0000201u /* 192.0.2.1: a router between the NAT and REMOTE */
#define PRIV_PORT 1234
#define PUB_PORT  40000

static const uint8_t payload[64] = {
	0x64, 0x6e, 0x73, 0x2d, 0x71, 0x75, 0x65, 0x72, 0x79, 0x00, 0xff, 0x01,
	0x80, 0x7f, 0x10, 0xef, 0x55, 0xaa, 0x00, 0x00, 0xff, 0xff, 0x12, 0x34,
	0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
	0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
	0x21, 0x22, 0x23, 0x24,
};

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* After editing an IPv4 header by hand, make its checksum right again so that
 * the edit is the frame's only defect. */
static void
fix_ip_csum(uint8_t *frame)
{
	uint8_t *ip = frame + tp_l3(frame);
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

	if (ihl < 20)
		ihl = 20;
	wr16(ip + 10, 0);
	wr16(ip + 10, (uint16_t)~tp_fold(tp_sum(ip, ihl, 0)));
}

/* The outer ICMP checksum of @p frame, from scratch. */
static void
fix_icmp_csum(uint8_t *frame)
{
	uint8_t *ip = frame + tp_l3(frame), *l4 = frame + tp_l4(frame);
	size_t n = (size_t)tp_get16(ip + 2) - (size_t)(l4 - ip);

	wr16(l4 + 2, 0);
	wr16(l4 + 2, (uint16_t)~tp_fold(tp_sum(l4, n, 0)));
}

/* Insert an 802.1Q-shaped tag right after the MAC addresses. */
static uint16_t
insert_tag(uint8_t *frame, uint16_t len, uint16_t tpid, uint16_t vid)
{
	memmove(frame + 16, frame + 12, (size_t)len - 12);
	wr16(frame + 12, tpid);
	wr16(frame + 14, vid);
	return (uint16_t)(len + 4);
}

/*
 * Build an ICMP error: @p outer gives the addresses, type and code (its proto
 * and payload are overridden), @p inner the packet quoted, of which @p quote
 * IP-layer bytes are kept (0: all of it).
 */
static uint16_t
build_icmp_err(uint8_t *buf, const struct tp *outer, const struct tp *inner, uint16_t quote)
{
	uint8_t q[BUF];
	uint16_t qlen = tp_build(q, inner), l3 = tp_l3(q);
	uint16_t ilen = (uint16_t)(qlen - l3);
	struct tp o = *outer;

	if (quote && quote < ilen)
		ilen = quote;
	o.proto = 1;
	o.payload = q + l3;
	o.plen = ilen;
	o.raw_l4 = false;
	return tp_build(buf, &o);
}

/* Parse into a struct full of garbage: parse must set all it promises itself. */
static enum natgw_drop
parse(const uint8_t *frame, uint32_t len, struct natgw_pkt_info *pi)
{
	char why[256];

	/* Whatever the test, the fast path's reading agrees (pkt_agree.h), at
	 * the default MTU and at one that every longer frame exceeds. */
	ck_assert_msg(pkt_common_agrees(frame, len, 8500, why, sizeof(why)) == 0, "%s", why);
	ck_assert_msg(pkt_common_agrees(frame, len, 60, why, sizeof(why)) == 0, "%s", why);
	memset(pi, 0xa5, sizeof(*pi));
	return natgw_pkt_parse(frame, len, pi);
}

#define PARSE_OK(frame, len, pi) do { \
	enum natgw_drop r_ = parse((frame), (len), (pi)); \
	ck_assert_msg(r_ == NATGW_DROP_NONE, "parse dropped the frame: %s", \
		natgw_drop_name(r_)); \
} while (0)

#define PARSE_DROP(frame, len, pi, want) do { \
	enum natgw_drop r_ = parse((frame), (len), (pi)); \
	ck_assert_msg(r_ == NATGW_DROP_##want, "parse: got %s, want %s", \
		r_ == NATGW_DROP_NONE ? "NONE" : natgw_drop_name(r_), #want); \
} while (0)

/* Key fields in host order against the network-order key. */
static void
expect_key(const struct natgw_pkt_info *pi, uint32_t src, uint32_t dst, uint16_t sport,
		uint16_t dport, uint8_t proto, int line)
{
	ck_assert_msg(pi->key.src_ip == htonl(src), "line %d: key.src_ip %08x, want %08x",
		line, ntohl(pi->key.src_ip), src);
	ck_assert_msg(pi->key.dst_ip == htonl(dst), "line %d: key.dst_ip %08x, want %08x",
		line, ntohl(pi->key.dst_ip), dst);
	ck_assert_msg(pi->key.src_port == htons(sport), "line %d: key.src_port %u, want %u",
		line, ntohs(pi->key.src_port), sport);
	ck_assert_msg(pi->key.dst_port == htons(dport), "line %d: key.dst_port %u, want %u",
		line, ntohs(pi->key.dst_port), dport);
	ck_assert_msg(pi->key.proto == proto, "line %d: key.proto %u, want %u",
		line, pi->key.proto, proto);
	/* The key is hashed as 16 bytes. */
	ck_assert_msg(pi->key.pad[0] == 0 && pi->key.pad[1] == 0 && pi->key.pad[2] == 0,
		"line %d: key padding not zero", line);
}
#define EXPECT_KEY(pi, src, dst, sp, dp, proto) \
	expect_key((pi), (src), (dst), (sp), (dp), (proto), __LINE__)

/* What a counted drop promises the caller (its metrics and readdressing). */
static void
expect_counted(const struct natgw_pkt_info *pi, uint16_t l3, uint16_t ip_len,
		uint32_t src, uint32_t dst, int line)
{
	ck_assert_msg(pi->l3_off == l3, "line %d: l3_off %u, want %u", line, pi->l3_off, l3);
	ck_assert_msg(pi->ip_len == ip_len, "line %d: ip_len %u, want %u",
		line, pi->ip_len, ip_len);
	ck_assert_msg(pi->key.src_ip == htonl(src), "line %d: key.src_ip %08x, want outer %08x",
		line, ntohl(pi->key.src_ip), src);
	ck_assert_msg(pi->key.dst_ip == htonl(dst), "line %d: key.dst_ip %08x, want outer %08x",
		line, ntohl(pi->key.dst_ip), dst);
}
#define EXPECT_COUNTED(pi, l3, ip_len, src, dst) \
	expect_counted((pi), (l3), (ip_len), (src), (dst), __LINE__)

/* Byte-for-byte comparison naming the first difference. */
static void
expect_same(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (got[i] != want[i])
			ck_abort_msg("%s: byte %zu is 0x%02x, want 0x%02x",
				what, i, got[i], want[i]);
}

static void
expect_verifies(const uint8_t *frame, uint16_t len, const char *what)
{
	char why[160];

	ck_assert_msg(tp_verify(frame, len, why, sizeof(why)) == 0, "%s: %s", what, why);
}

/* ------------------------------------------------------------------ */
/* parse_ok                                                            */
/* ------------------------------------------------------------------ */

/* Which frames the fast path's reading takes, and that it reads them as the
 * full parse does, on frames of every layout and on random damage to them. */
START_TEST(test_common_frames)
{
	uint8_t f[BUF];
	uint64_t kw[2];
	uint16_t len, ip_len;
	uint8_t fl;
	char why[256];
	unsigned int i, taken = 0, turned = 0;
	uint32_t rnd = 12345;
	struct tp t = {
		.src = PRIV, .dst = REMOTE, .proto = 6, .sport = PRIV_PORT, .dport = 443,
		.flags = 0x10, .frag = 0x4000, .payload = payload, .plen = 20,
	};
	struct tp v[] = {
		t,
		{ .src = PRIV, .dst = REMOTE, .proto = 17, .sport = 5353, .dport = 53 },
		{ .src = PRIV, .dst = REMOTE, .proto = 17, .sport = 5353, .dport = 53,
		  .udp_no_csum = true },
		{ .src = PRIV, .dst = REMOTE, .proto = 6, .nvlan = 1, .vid = {7} },
		{ .src = PRIV, .dst = REMOTE, .proto = 6, .opt_len = 4 },
		{ .src = PRIV, .dst = REMOTE, .proto = 17, .frag = 0x2000 },
		{ .src = PRIV, .dst = REMOTE, .proto = 17, .frag = 0x0010, .raw_l4 = true,
		  .payload = payload, .plen = 16 },
		{ .src = PRIV, .dst = REMOTE, .proto = 1, .icmp_type = 8, .icmp_id = 9 },
		{ .src = PRIV, .dst = REMOTE, .proto = 6, .ttl = 1 },
		{ .src = PRIV, .dst = REMOTE, .proto = 47, .raw_l4 = true, .payload = payload,
		  .plen = 8 },
	};

	len = tp_build(f, &t);
	ck_assert(natgw_pkt_common(f, len, 1500, kw, &ip_len, &fl));
	ck_assert_uint_eq(ip_len, 60);
	ck_assert_uint_eq(fl, 0x10);
	ck_assert_uint_eq(kw[0], (uint64_t)htonl(REMOTE) << 32 | htonl(PRIV));
	ck_assert_uint_eq(kw[1], (uint64_t)6 << 32 | (uint32_t)htons(443) << 16 |
		htons(PRIV_PORT));
	/* Over the MTU, a bad header checksum, a frame cut short: not taken. */
	ck_assert(!natgw_pkt_common(f, len, 59, kw, &ip_len, &fl));
	ck_assert(!natgw_pkt_common(f, (uint32_t)len - 1, 1500, kw, &ip_len, &fl));
	f[14 + 10] ^= 1;
	ck_assert(!natgw_pkt_common(f, len, 1500, kw, &ip_len, &fl));
	for (i = 0; i < RTE_DIM(v); i++) {
		len = tp_build(f, &v[i]);
		ck_assert_msg(natgw_pkt_common(f, len, 1500, kw, &ip_len, &fl) == (i < 3),
			"frame %u", i);
		ck_assert_msg(pkt_common_agrees(f, len, 1500, why, sizeof(why)) == 0,
			"frame %u: %s", i, why);
	}
	/* Random damage to the first 64 bytes of a TCP and a UDP frame, and to
	 * the length; half the time with the checksums made right again, so
	 * that damage gets past the header checksum. */
	for (i = 0; i < 200000; i++) {
		unsigned int k, nflip;

		len = tp_build(f, &v[(i >> 1) & 1]);
		rnd = rnd * 1103515245u + 12345u;
		nflip = 1 + (rnd >> 16) % 3;
		for (k = 0; k < nflip; k++) {
			rnd = rnd * 1103515245u + 12345u;
			f[(rnd >> 16) % 64] ^= (uint8_t)(1u << ((rnd >> 8) & 7));
		}
		rnd = rnd * 1103515245u + 12345u;
		if ((rnd >> 16) % 8 == 0)
			len = (uint16_t)((rnd >> 20) % (len + 1u));
		if (i & 1)
			(void)natgw_pkt_csum_fill(f, len);
		ck_assert_msg(pkt_common_agrees(f, len, 1500, why, sizeof(why)) == 0,
			"damaged frame %u: %s", i, why);
		if (natgw_pkt_common(f, len, 1500, kw, &ip_len, &fl))
			taken++;
		else
			turned++;
	}
	/* Both outcomes were reached often: the damage exercises the check. */
	ck_assert_uint_gt(taken, 10000);
	ck_assert_uint_gt(turned, 10000);
}
END_TEST

START_TEST(test_parse_tcp)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	struct tp t = {
		.src = PRIV, .dst = REMOTE, .proto = 6, .sport = PRIV_PORT, .dport = 443,
		.flags = 0x02, .id = 0x1234, .frag = 0x4000, .seq = 1000,
	};
	uint16_t len = tp_build(f, &t);

	PARSE_OK(f, len, &pi);
	ck_assert_uint_eq(pi.l3_off, 14);
	ck_assert_uint_eq(pi.l4_off, 34);
	ck_assert_uint_eq(pi.ip_len, 40);
	/* Kept as in the packet: it is a hash key for fragments, like the ports. */
	ck_assert_uint_eq(pi.ip_id, htons(0x1234));
	/* DF alone does not make a fragment. */
	ck_assert_uint_eq(pi.flags, 0);
	ck_assert_uint_eq(pi.tcp_flags, 0x02);
	ck_assert_uint_eq(pi.inner_l3_off, 0);
	ck_assert_uint_eq(pi.inner_l4_off, 0);
	ck_assert_uint_eq(pi.inner_end, 0);
	EXPECT_KEY(&pi, PRIV, REMOTE, PRIV_PORT, 443, 6);

	/* Every flag bit is passed through, with data behind the header. */
	t.flags = 0x18;
	t.payload = payload;
	t.plen = 33;
	len = tp_build(f, &t);
	PARSE_OK(f, len, &pi);
	ck_assert_uint_eq(pi.ip_len, 73);
	ck_assert_uint_eq(pi.tcp_flags, 0x18);
	t.flags = 0xff;
	len = tp_build(f, &t);
	PARSE_OK(f, len, &pi);
	ck_assert_uint_eq(pi.tcp_flags, 0xff);
}
END_TEST

START_TEST(test_parse_udp)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	struct tp t = {
		.src = REMOTE, .dst = PUB, .proto = 17, .sport = 53, .dport = PUB_PORT,
		.id = 0xbeef, .payload = payload, .plen = 21,
	};
	uint16_t len = tp_build(f, &t);

	PARSE_OK(f, len, &pi);
	ck_assert_uint_eq(pi.l3_off, 14);
	ck_assert_uint_eq(pi.l4_off, 34);
	ck_assert_uint_eq(pi.ip_len, 20 + 8 + 21);
	ck_assert_uint_eq(pi.ip_id, htons(0xbeef));
	ck_assert_uint_eq(pi.flags, 0);
	ck_assert_uint_eq(pi.tcp_flags, 0);
	EXPECT_KEY(&pi, REMOTE, PUB, 53, PUB_PORT, 17);

	/* No checksum is no reason to drop. */
	t.udp_no_csum = true;
	len = tp_build(f, &t);
	PARSE_OK(f, len, &pi);
	EXPECT_KEY(&pi, REMOTE, PUB, 53, PUB_PORT, 17);
}
END_TEST

/* Transport checksums are carried, not judged. */
START_TEST(test_parse_l4_csum_not_checked)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	struct tp t = { .src = PRIV, .dst = REMOTE, .proto = 6, .sport = 1, .dport = 2 };
	uint16_t len = tp_build(f, &t);

	f[tp_l4(f) + 16] ^= 0x40;
	PARSE_OK(f, len, &pi);
	t.proto = 17;
	len = tp_build(f, &t);
	f[tp_l4(f) + 6] ^= 0x40;
	PARSE_OK(f, len, &pi);
	t.proto = 1;
	t.icmp_type = 8;
	len = tp_build(f, &t);
	f[tp_l4(f) + 2] ^= 0x40;
	PARSE_OK(f, len, &pi);
}
END_TEST

START_TEST(test_parse_icmp_query)
{
	static const struct {
		uint8_t req, rep;
		uint16_t plen;
	} kinds[] = { { 8, 0, 24 }, { 13, 14, 12 } }; /* echo, timestamp */
	uint8_t f[BUF];
	struct natgw_pkt_info req, rep;
	unsigned int i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct tp t = {
			.src = PRIV, .dst = REMOTE, .proto = 1, .icmp_type = kinds[i].req,
			.icmp_id = 0x4242, .icmp_seq = 7, .payload = payload, .plen = kinds[i].plen,
		};
		uint16_t len = tp_build(f, &t);

		PARSE_OK(f, len, &req);
		ck_assert_uint_eq(req.l4_off, 34);
		ck_assert_uint_eq(req.ip_len, 28 + kinds[i].plen);
		ck_assert_uint_eq(req.flags, NATGW_PKT_F_ICMP_QUERY);
		ck_assert_uint_eq(req.tcp_flags, 0);
		/* The asker's identifier is its port. */
		EXPECT_KEY(&req, PRIV, REMOTE, 0x4242, 0, 1);

		t.src = REMOTE;
		t.dst = PRIV;
		t.icmp_type = kinds[i].rep;
		len = tp_build(f, &t);
		PARSE_OK(f, len, &rep);
		ck_assert_uint_eq(rep.flags, NATGW_PKT_F_ICMP_QUERY | NATGW_PKT_F_ICMP_REPLY);
		EXPECT_KEY(&rep, REMOTE, PRIV, 0, 0x4242, 1);

		/* A reply's key is its request's, mirrored, as for TCP and UDP. */
		ck_assert_uint_eq(rep.key.src_ip, req.key.dst_ip);
		ck_assert_uint_eq(rep.key.dst_ip, req.key.src_ip);
		ck_assert_uint_eq(rep.key.src_port, req.key.dst_port);
		ck_assert_uint_eq(rep.key.dst_port, req.key.src_port);
	}
}
END_TEST

START_TEST(test_parse_vlan)
{
	static const struct {
		unsigned int n;
		uint16_t tpid0, tpid1;
	} tags[] = {
		{ 1, 0x8100, 0 },
		{ 2, 0x88a8, 0x8100 }, /* 802.1ad */
		{ 1, 0x9100, 0 },
		{ 2, 0x9100, 0x8100 }, /* pre-standard QinQ */
		{ 2, 0x8100, 0x8100 },
	};
	static const uint8_t protos[] = { 6, 17, 1 };
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int i, j;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		for (j = 0; j < sizeof(protos); j++) {
			struct tp t = {
				.nvlan = tags[i].n, .tpid = { tags[i].tpid0, tags[i].tpid1 },
				.vid = { 100, 200 }, .src = PRIV, .dst = REMOTE, .proto = protos[j],
				.sport = 5000, .dport = 80, .icmp_type = 8, .icmp_id = 5000,
				.payload = payload, .plen = 10, .id = 77,
			};
			uint16_t len = tp_build(f, &t), l3 = (uint16_t)(14 + 4 * tags[i].n);

			ck_assert_uint_eq(tp_get16(f + 12), tags[i].tpid0);
			PARSE_OK(f, len, &pi);
			ck_assert_msg(pi.l3_off == l3, "tags %u proto %u: l3_off %u, want %u",
				i, protos[j], pi.l3_off, l3);
			ck_assert_uint_eq(pi.l4_off, l3 + 20);
			ck_assert_uint_eq(pi.ip_len, len - l3);
			ck_assert_uint_eq(pi.ip_id, htons(77));
			if (protos[j] == 1)
				EXPECT_KEY(&pi, PRIV, REMOTE, 5000, 0, 1);
			else
				EXPECT_KEY(&pi, PRIV, REMOTE, 5000, 80, protos[j]);
		}
}
END_TEST

START_TEST(test_parse_ip_options)
{
	static const uint8_t protos[] = { 6, 17, 1 };
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int opt, j, nvlan;

	for (opt = 4; opt <= 40; opt += 4)
		for (j = 0; j < sizeof(protos); j++)
			for (nvlan = 0; nvlan <= 2; nvlan += 2) {
				struct tp t = {
					.nvlan = nvlan, .src = REMOTE, .dst = PUB,
					.proto = protos[j], .opt_len = (uint8_t)opt, .sport = 443,
					.dport = PUB_PORT, .flags = 0x12, .icmp_type = 0,
					.icmp_id = PUB_PORT, .payload = payload, .plen = 3,
				};
				uint16_t len = tp_build(f, &t), l3 = (uint16_t)(14 + 4 * nvlan);

				ck_assert_uint_eq(f[l3] & 0x0f, 5 + opt / 4);
				PARSE_OK(f, len, &pi);
				ck_assert_uint_eq(pi.l3_off, l3);
				ck_assert_msg(pi.l4_off == l3 + 20 + opt, "ihl %u: l4_off %u",
					5 + opt / 4, pi.l4_off);
				ck_assert_uint_eq(pi.ip_len, len - l3);
				if (protos[j] == 1) {
					ck_assert_uint_eq(pi.flags,
						NATGW_PKT_F_ICMP_QUERY | NATGW_PKT_F_ICMP_REPLY);
					EXPECT_KEY(&pi, REMOTE, PUB, 0, PUB_PORT, 1);
				} else {
					ck_assert_uint_eq(pi.flags, 0);
					ck_assert_uint_eq(pi.tcp_flags, protos[j] == 6 ? 0x12 : 0);
					EXPECT_KEY(&pi, REMOTE, PUB, 443, PUB_PORT, protos[j]);
				}
			}
}
END_TEST

/* TCP options: the data offset may reach exactly the end of the packet. */
START_TEST(test_parse_tcp_data_offset)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int doff;

	for (doff = 5; doff <= 15; doff++) {
		struct tp t = {
			.src = PRIV, .dst = REMOTE, .proto = 6, .sport = 9, .dport = 10,
			.flags = 0x02, .payload = payload, .plen = (uint16_t)((doff - 5) * 4),
		};
		uint16_t len = tp_build(f, &t);

		f[tp_l4(f) + 12] = (uint8_t)(doff << 4);
		PARSE_OK(f, len, &pi);
		ck_assert_uint_eq(pi.tcp_flags, 0x02);
		EXPECT_KEY(&pi, PRIV, REMOTE, 9, 10, 6);
	}
}
END_TEST

START_TEST(test_parse_fragments)
{
	static const uint8_t protos[] = { 6, 17, 1 };
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int j;

	for (j = 0; j < sizeof(protos); j++) {
		/* First fragment: MF, offset 0, a whole transport header. */
		struct tp t = {
			.src = PRIV, .dst = REMOTE, .proto = protos[j], .sport = 7000, .dport = 53,
			.icmp_type = 8, .icmp_id = 7000, .id = 0xabcd, .frag = 0x2000,
			.payload = payload, .plen = 32,
		};
		uint16_t len = tp_build(f, &t);

		PARSE_OK(f, len, &pi);
		ck_assert_uint_eq(pi.flags & (NATGW_PKT_F_FRAG | NATGW_PKT_F_FRAG_FIRST),
			NATGW_PKT_F_FRAG | NATGW_PKT_F_FRAG_FIRST);
		ck_assert_uint_eq(pi.ip_id, htons(0xabcd));
		ck_assert_uint_eq(pi.l4_off, 34);
		if (protos[j] == 1)
			EXPECT_KEY(&pi, PRIV, REMOTE, 7000, 0, 1);
		else
			EXPECT_KEY(&pi, PRIV, REMOTE, 7000, 53, protos[j]);

		/* Middle and last fragments: bytes that look like ports are data. */
		{
			static const uint16_t fr[] = {
				0x2000 | 5, 5, 0x2000 | 0x1fff, 0x4000 | 9, 0x1000,
			};
			unsigned int k;

			for (k = 0; k < sizeof(fr) / sizeof(fr[0]); k++) {
				struct tp n = {
					.src = PRIV, .dst = REMOTE, .proto = protos[j],
					.id = 0xabcd, .frag = fr[k], .raw_l4 = true,
					.payload = payload, .plen = 24,
				};

				len = tp_build(f, &n);
				PARSE_OK(f, len, &pi);
				ck_assert_msg(pi.flags == NATGW_PKT_F_FRAG,
					"proto %u frag 0x%04x: flags 0x%02x", protos[j], fr[k],
					pi.flags);
				ck_assert_uint_eq(pi.ip_id, htons(0xabcd));
				ck_assert_uint_eq(pi.ip_len, 44);
				ck_assert_uint_eq(pi.tcp_flags, 0);
				EXPECT_KEY(&pi, PRIV, REMOTE, 0, 0, protos[j]);
			}
		}
		/* A non-first fragment too short to hold any transport header. */
		{
			struct tp n = {
				.src = PRIV, .dst = REMOTE, .proto = protos[j], .frag = 3,
				.raw_l4 = true, .payload = payload, .plen = 1,
			};

			len = tp_build(f, &n);
			PARSE_OK(f, len, &pi);
			ck_assert_uint_eq(pi.flags, NATGW_PKT_F_FRAG);
			EXPECT_KEY(&pi, PRIV, REMOTE, 0, 0, protos[j]);
		}
	}
}
END_TEST

/* Short frames come padded to 60 bytes (and may carry an FCS): the IP layer
 * ends where the total length says. */
START_TEST(test_parse_eth_padding)
{
	static const uint8_t protos[] = { 6, 17, 1 };
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int j;

	for (j = 0; j < sizeof(protos); j++) {
		struct tp t = {
			.src = PRIV, .dst = REMOTE, .proto = protos[j], .sport = 1111,
			.dport = 2222, .icmp_type = 8, .icmp_id = 1111, .payload = payload,
			.plen = 2,
		};
		uint16_t len = tp_build(f, &t), ip_len = (uint16_t)(len - 14);

		memset(f + len, 0xee, 64 - len + 4u);
		PARSE_OK(f, 64 + 4, &pi);
		ck_assert_uint_eq(pi.ip_len, ip_len);
		if (protos[j] == 1)
			EXPECT_KEY(&pi, PRIV, REMOTE, 1111, 0, 1);
		else
			EXPECT_KEY(&pi, PRIV, REMOTE, 1111, 2222, protos[j]);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* parse_drop                                                          */
/* ------------------------------------------------------------------ */

/* A plain UDP frame the drop tests break one field of. */
static uint16_t
base_udp(uint8_t *f, unsigned int nvlan)
{
	struct tp t = {
		.nvlan = nvlan, .src = PRIV, .dst = REMOTE, .proto = 17, .sport = 4000,
		.dport = 53, .payload = payload, .plen = 12,
	};

	return tp_build(f, &t);
}

START_TEST(test_drop_eth_truncated)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	uint16_t len = base_udp(f, 0);
	unsigned int n;

	PARSE_OK(f, len, &pi);
	for (n = 0; n < 14; n++)
		PARSE_DROP(f, n, &pi, eth_truncated);

	/* A tag announced and cut short: the inner ethertype is missing. */
	len = base_udp(f, 1);
	PARSE_OK(f, len, &pi);
	for (n = 14; n < 18; n++)
		PARSE_DROP(f, n, &pi, eth_truncated);
	len = base_udp(f, 2);
	PARSE_OK(f, len, &pi);
	for (n = 18; n < 22; n++)
		PARSE_DROP(f, n, &pi, eth_truncated);

	/* Three tags, each of the TPIDs, ahead of a good IPv4 packet. */
	{
		static const uint16_t tpids[] = { 0x8100, 0x88a8, 0x9100 };
		unsigned int i;

		for (i = 0; i < 3; i++) {
			len = base_udp(f, 2);
			len = insert_tag(f, len, tpids[i], 300);
			PARSE_DROP(f, len, &pi, eth_truncated);
		}
	}
}
END_TEST

START_TEST(test_drop_not_ip)
{
	static const uint16_t types[] = { 0x0806, 0x88cc, 0x8035, 0x0000, 0x05dc };
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int i, nvlan;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		for (nvlan = 0; nvlan <= 2; nvlan++) {
			uint16_t len = base_udp(f, nvlan);

			wr16(f + tp_l3(f) - 2, types[i]);
			PARSE_DROP(f, len, &pi, not_ip);
		}
}
END_TEST

START_TEST(test_drop_ipv6)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int nvlan;

	for (nvlan = 0; nvlan <= 2; nvlan++) {
		uint16_t len = base_udp(f, nvlan);

		wr16(f + tp_l3(f) - 2, 0x86dd);
		f[tp_l3(f)] = 0x60;
		PARSE_DROP(f, len, &pi, ipv6);
		/* The ethertype decides, not the version nibble. */
		f[tp_l3(f)] = 0x45;
		PARSE_DROP(f, len, &pi, ipv6);
	}
}
END_TEST

START_TEST(test_drop_ip_truncated)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int nvlan, n;

	for (nvlan = 0; nvlan <= 2; nvlan++) {
		uint16_t l3;

		base_udp(f, nvlan);
		l3 = tp_l3(f);
		for (n = l3; n < l3 + 20u; n++)
			PARSE_DROP(f, n, &pi, ip_truncated);
	}
}
END_TEST

START_TEST(test_drop_ip_bad_version)
{
	static const uint8_t v[] = { 0x05, 0x15, 0x55, 0x65, 0xf5 };
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int i;

	for (i = 0; i < sizeof(v); i++) {
		uint16_t len = base_udp(f, 0);

		f[14] = v[i];
		fix_ip_csum(f);
		PARSE_DROP(f, len, &pi, ip_bad_version);
	}
}
END_TEST

START_TEST(test_drop_ip_bad_ihl)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	uint16_t len;
	unsigned int ihl;

	for (ihl = 0; ihl < 5; ihl++) {
		len = base_udp(f, 0);
		f[14] = (uint8_t)(0x40 | ihl);
		fix_ip_csum(f);
		PARSE_DROP(f, len, &pi, ip_bad_ihl);
	}
	/* 60 bytes of header announced in a 40-byte packet at the frame's end:
	 * the header length is checked before the total length. */
	len = base_udp(f, 1);
	f[18] = 0x4f;
	PARSE_DROP(f, len, &pi, ip_bad_ihl);
	/* One byte short of an IHL of 6. */
	{
		struct tp t = { .src = PRIV, .dst = REMOTE, .proto = 99, .raw_l4 = true };

		len = tp_build(f, &t);
		f[14] = 0x46;
		wr16(f + 16, 24);
		fix_ip_csum(f);
		PARSE_DROP(f, len + 3u, &pi, ip_bad_ihl);
		PARSE_DROP(f, len + 4u, &pi, proto_unsupported);
	}
}
END_TEST

START_TEST(test_drop_ip_bad_total_length)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	uint16_t len;
	unsigned int tot;

	for (tot = 0; tot < 20; tot++) {
		len = base_udp(f, 0);
		wr16(f + 16, (uint16_t)tot);
		fix_ip_csum(f);
		PARSE_DROP(f, len, &pi, ip_bad_total_length);
	}
	/* Shorter than a header with options. */
	{
		struct tp t = { .src = PRIV, .dst = REMOTE, .proto = 17, .opt_len = 8,
			.sport = 1, .dport = 2 };

		len = tp_build(f, &t);
		wr16(f + 16, 27);
		fix_ip_csum(f);
		PARSE_DROP(f, len, &pi, ip_bad_total_length);
	}
	/* Longer than the frame, by one byte and by a lot. */
	len = base_udp(f, 2);
	wr16(f + 22 + 2, (uint16_t)(len - 22 + 1));
	fix_ip_csum(f);
	PARSE_DROP(f, len, &pi, ip_bad_total_length);
	wr16(f + 22 + 2, 0xffff);
	fix_ip_csum(f);
	PARSE_DROP(f, len, &pi, ip_bad_total_length);
	/* The same length fits once the frame is long enough. */
	wr16(f + 22 + 2, (uint16_t)(len - 22 + 1));
	fix_ip_csum(f);
	PARSE_OK(f, len + 1u, &pi);
}
END_TEST

START_TEST(test_drop_ip_bad_checksum)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int nvlan, bit;

	for (nvlan = 0; nvlan <= 2; nvlan++) {
		struct tp t = { .nvlan = nvlan, .src = PRIV, .dst = REMOTE, .proto = 6,
			.opt_len = 8, .sport = 3, .dport = 4 };
		uint16_t len = tp_build(f, &t), l3 = tp_l3(f);

		for (bit = 0; bit < 16; bit++) {
			f[l3 + 10 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
			PARSE_DROP(f, len, &pi, ip_bad_checksum);
			EXPECT_COUNTED(&pi, l3, 48, PRIV, REMOTE);
			f[l3 + 10 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		/* A changed TTL or option byte, checksum left alone. */
		f[l3 + 8]--;
		PARSE_DROP(f, len, &pi, ip_bad_checksum);
		f[l3 + 8]++;
		f[l3 + 21] ^= 0x80;
		PARSE_DROP(f, len, &pi, ip_bad_checksum);
		f[l3 + 21] ^= 0x80;
		PARSE_OK(f, len, &pi);
	}
}
END_TEST

START_TEST(test_drop_l4_truncated)
{
	static const struct {
		uint8_t proto;
		uint16_t plen; /* one byte short of the header */
	} c[] = { { 6, 19 }, { 17, 7 }, { 1, 7 }, { 6, 0 }, { 17, 0 }, { 1, 0 } };
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct tp t = { .nvlan = 1, .src = PRIV, .dst = REMOTE, .proto = c[i].proto,
			.raw_l4 = true, .payload = payload, .plen = c[i].plen, .frag = 0x4000 };
		uint16_t len = tp_build(f, &t);

		PARSE_DROP(f, len, &pi, l4_truncated);
		EXPECT_COUNTED(&pi, 18, 20 + c[i].plen, PRIV, REMOTE);
		/* The total length decides, not what trails it in the frame. */
		memset(f + len, 0, 64);
		PARSE_DROP(f, len + 64u, &pi, l4_truncated);
		/* A first fragment must hold the header too. */
		t.frag = 0x2000;
		len = tp_build(f, &t);
		PARSE_DROP(f, len, &pi, l4_truncated);
	}
}
END_TEST

START_TEST(test_drop_tcp_bad_offset)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	struct tp t = { .src = PRIV, .dst = REMOTE, .proto = 6, .opt_len = 4, .sport = 5,
		.dport = 6, .payload = payload, .plen = 8 };
	uint16_t len, l4;
	unsigned int doff;

	for (doff = 0; doff < 5; doff++) {
		len = tp_build(f, &t);
		l4 = tp_l4(f);
		f[l4 + 12] = (uint8_t)(doff << 4);
		PARSE_DROP(f, len, &pi, tcp_bad_offset);
		EXPECT_COUNTED(&pi, 14, 52, PRIV, REMOTE);
	}
	/* 28 bytes of header fit the 28-byte segment; 32 do not, even with frame
	 * padding behind the packet. */
	len = tp_build(f, &t);
	l4 = tp_l4(f);
	f[l4 + 12] = 7 << 4;
	PARSE_OK(f, len, &pi);
	f[l4 + 12] = 8 << 4;
	PARSE_DROP(f, len + 8u, &pi, tcp_bad_offset);
	EXPECT_COUNTED(&pi, 14, 52, PRIV, REMOTE);
	f[l4 + 12] = 15 << 4;
	PARSE_DROP(f, len, &pi, tcp_bad_offset);
}
END_TEST

START_TEST(test_drop_proto_unsupported)
{
	static const uint8_t protos[] = { 47, 132, 58, 50, 0, 255 };
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int i;

	for (i = 0; i < sizeof(protos); i++) {
		struct tp t = { .nvlan = 2, .src = REMOTE, .dst = PUB, .proto = protos[i],
			.raw_l4 = true, .payload = payload, .plen = 40 };
		uint16_t len = tp_build(f, &t);

		PARSE_DROP(f, len, &pi, proto_unsupported);
		EXPECT_COUNTED(&pi, 22, 60, REMOTE, PUB);
		/* Its fragments likewise, first or not. */
		t.frag = 0x2000;
		len = tp_build(f, &t);
		PARSE_DROP(f, len, &pi, proto_unsupported);
		t.frag = 0x0010;
		len = tp_build(f, &t);
		PARSE_DROP(f, len, &pi, proto_unsupported);
	}
}
END_TEST

START_TEST(test_drop_icmp_type)
{
	static const uint8_t types[] = { 4, 5, 9, 10, 15, 17, 42, 255 };
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int i;

	for (i = 0; i < sizeof(types); i++) {
		struct tp t = { .src = ROUTER, .dst = PUB, .proto = 1, .icmp_type = types[i],
			.payload = payload, .plen = 28 };
		uint16_t len = tp_build(f, &t);

		PARSE_DROP(f, len, &pi, icmp_type);
		EXPECT_COUNTED(&pi, 14, 56, ROUTER, PUB);
	}
}
END_TEST

START_TEST(test_drop_icmp_err_truncated)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	struct tp out = { .src = ROUTER, .dst = PUB, .icmp_type = 11 };
	struct tp in = { .src = PUB, .dst = REMOTE, .proto = 17, .sport = PUB_PORT,
		.dport = 53, .payload = payload, .plen = 20 };
	uint16_t len, q;

	/* Nothing quoted at all. */
	{
		struct tp e = out;

		e.proto = 1;
		len = tp_build(f, &e);
		PARSE_DROP(f, len, &pi, icmp_err_truncated);
		EXPECT_COUNTED(&pi, 14, 28, ROUTER, PUB);
	}
	/* Less than an IP header quoted. */
	for (q = 1; q < 20; q++) {
		len = build_icmp_err(f, &out, &in, q);
		PARSE_DROP(f, len, &pi, icmp_err_truncated);
		EXPECT_COUNTED(&pi, 14, 28 + q, ROUTER, PUB);
	}
	/* The header and 7 of the 8 bytes RFC 792 promises. */
	len = build_icmp_err(f, &out, &in, 27);
	PARSE_DROP(f, len, &pi, icmp_err_truncated);
	EXPECT_COUNTED(&pi, 14, 28 + 27, ROUTER, PUB);
	len = build_icmp_err(f, &out, &in, 28);
	PARSE_OK(f, len, &pi);
	/* With quoted options the 8 bytes come later: 31 bytes would do for a
	 * plain header but not for one of 24. */
	in.opt_len = 4;
	len = build_icmp_err(f, &out, &in, 31);
	PARSE_DROP(f, len, &pi, icmp_err_truncated);
	EXPECT_COUNTED(&pi, 14, len - 14, ROUTER, PUB);
	len = build_icmp_err(f, &out, &in, 32);
	PARSE_OK(f, len, &pi);
	in.opt_len = 0;
	/* A quoted header claiming an IHL below 5. */
	{
		uint8_t q4[BUF];
		uint16_t qlen = tp_build(q4, &in);
		struct tp e = out;

		q4[14] = 0x44;
		e.proto = 1;
		e.payload = q4 + 14;
		e.plen = (uint16_t)(qlen - 14);
		len = tp_build(f, &e);
		PARSE_DROP(f, len, &pi, icmp_err_truncated);
		EXPECT_COUNTED(&pi, 14, len - 14, ROUTER, PUB);
	}
	/* A quote that is not IPv4 has no header to find the flow by. */
	{
		uint8_t q6[BUF];
		uint16_t qlen = tp_build(q6, &in);
		struct tp e = out;

		q6[14] = 0x65;
		e.proto = 1;
		e.payload = q6 + 14;
		e.plen = (uint16_t)(qlen - 14);
		len = tp_build(f, &e);
		PARSE_DROP(f, len, &pi, icmp_err_truncated);
		EXPECT_COUNTED(&pi, 14, len - 14, ROUTER, PUB);
	}
	/* A fragmented error, though the fragment at hand quotes enough. */
	out.frag = 0x2000;
	len = build_icmp_err(f, &out, &in, 0);
	PARSE_DROP(f, len, &pi, icmp_err_truncated);
	EXPECT_COUNTED(&pi, 14, len - 14, ROUTER, PUB);
}
END_TEST

/*
 * Quotes that identify no flow. All the drop reasons are checked before any of
 * the fields a counted drop promises, so that a fault in the latter cannot hide
 * one in the former.
 */
START_TEST(test_drop_icmp_err_no_session)
{
	static const struct tp quotes[] = {
		/* Non-first fragments: their "ports" are payload. */
		{ .src = PUB, .dst = REMOTE, .proto = 17, .frag = 0x2000 | 185, .raw_l4 = true,
			.payload = payload, .plen = 16 },
		{ .src = PUB, .dst = REMOTE, .proto = 6, .frag = 1, .raw_l4 = true,
			.payload = payload, .plen = 16 },
		{ .src = PUB, .dst = REMOTE, .proto = 17, .frag = 0x1000, .raw_l4 = true,
			.payload = payload, .plen = 16 },
		{ .src = PUB, .dst = REMOTE, .proto = 1, .frag = 0x4000 | 0x1fff,
			.raw_l4 = true, .payload = payload, .plen = 16 },
		/* A protocol the NAT keeps no sessions for. */
		{ .src = PUB, .dst = REMOTE, .proto = 47, .raw_l4 = true, .payload = payload,
			.plen = 16 },
		/* ICMP but not a query: an error about an error, a redirect, ... */
		{ .src = PUB, .dst = REMOTE, .proto = 1, .icmp_type = 3, .payload = payload,
			.plen = 28 },
		{ .src = PUB, .dst = REMOTE, .proto = 1, .icmp_type = 5, .payload = payload,
			.plen = 28 },
		{ .src = PUB, .dst = REMOTE, .proto = 1, .icmp_type = 11, .payload = payload,
			.plen = 28 },
		{ .src = PUB, .dst = REMOTE, .proto = 1, .icmp_type = 9 },
	};
	enum { NQ = sizeof(quotes) / sizeof(quotes[0]) };
	struct tp out = { .src = ROUTER, .dst = PUB, .icmp_type = 3, .icmp_code = 4 };
	struct natgw_pkt_info pi[NQ];
	uint16_t len[NQ];
	uint8_t f[BUF];
	unsigned int i;

	for (i = 0; i < NQ; i++) {
		len[i] = build_icmp_err(f, &out, &quotes[i], 0);
		PARSE_DROP(f, len[i], &pi[i], icmp_err_no_session);
	}
	/* A quoted first fragment has its ports: it is found like any packet. */
	{
		struct tp in = { .src = PUB, .dst = REMOTE, .proto = 17, .frag = 0x2000,
			.sport = PUB_PORT, .dport = 53, .payload = payload, .plen = 16 };
		struct natgw_pkt_info ok;
		uint16_t n = build_icmp_err(f, &out, &in, 0);

		PARSE_OK(f, n, &ok);
		EXPECT_KEY(&ok, REMOTE, PUB, 53, PUB_PORT, 17);
	}
	for (i = 0; i < NQ; i++) {
		ck_assert_msg(pi[i].key.src_ip == htonl(ROUTER) && pi[i].key.dst_ip == htonl(PUB),
			"quote %u (proto %u, type %u): key addresses %08x -> %08x, want the "
			"outer %08x -> %08x", i, quotes[i].proto, quotes[i].icmp_type,
			ntohl(pi[i].key.src_ip), ntohl(pi[i].key.dst_ip), ROUTER, PUB);
		EXPECT_COUNTED(&pi[i], 14, len[i] - 14, ROUTER, PUB);
	}
}
END_TEST

/* Names and counting for every reason: reports are keyed by these names. */
START_TEST(test_drop_names)
{
	static const char *const want[] = {
#define WANT_NAME(name, counted) #name,
		NATGW_DROP_REASONS(WANT_NAME)
#undef WANT_NAME
	};
	int r, s;

	ck_assert_int_eq((int)(sizeof(want) / sizeof(want[0])), NATGW_DROP_MAX);
	for (r = 0; r < NATGW_DROP_MAX; r++) {
		const char *n = natgw_drop_name((enum natgw_drop)r);

		ck_assert_ptr_nonnull(n);
		ck_assert_msg(n[0] != '\0', "reason %d has an empty name", r);
		ck_assert_str_eq(n, want[r]);
		ck_assert_str_ne(n, "none");
		for (s = 0; s < r; s++)
			ck_assert_msg(strcmp(n, natgw_drop_name((enum natgw_drop)s)) != 0,
				"reasons %d and %d share the name %s", s, r, n);
		/* Counted from the first reason that implies a good IPv4 header on. */
		ck_assert_msg(natgw_drop_counted((enum natgw_drop)r) ==
			(r >= NATGW_DROP_ip_bad_checksum), "%s: counted %d", n,
			natgw_drop_counted((enum natgw_drop)r));
	}
	ck_assert_str_eq(natgw_drop_name(NATGW_DROP_NONE), "none");
	ck_assert_str_eq(natgw_drop_name(NATGW_DROP_MAX), "none");
	ck_assert_str_eq(natgw_drop_name((enum natgw_drop)1000), "none");
	ck_assert_str_eq(natgw_drop_name((enum natgw_drop)-7), "none");
	ck_assert(!natgw_drop_counted(NATGW_DROP_NONE));
	ck_assert(!natgw_drop_counted(NATGW_DROP_MAX));
	ck_assert(!natgw_drop_counted((enum natgw_drop)1000));
	ck_assert(!natgw_drop_counted((enum natgw_drop)-7));

	ck_assert(natgw_icmp_is_error(3));
	ck_assert(natgw_icmp_is_error(11));
	ck_assert(natgw_icmp_is_error(12));
	for (r = 0; r < 256; r++)
		if (r != 3 && r != 11 && r != 12)
			ck_assert_msg(!natgw_icmp_is_error((uint8_t)r), "type %d", r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* icmp_error                                                          */
/* ------------------------------------------------------------------ */

START_TEST(test_icmp_err_udp)
{
	static const uint8_t types[] = { 3, 11, 12 };
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	unsigned int i, qopt;

	for (i = 0; i < sizeof(types); i++)
		for (qopt = 0; qopt <= 8; qopt += 8) {
			struct tp out = { .nvlan = 1, .src = ROUTER, .dst = PUB, .opt_len = 4,
				.icmp_type = types[i], .icmp_code = 0 };
			struct tp in = { .src = PUB, .dst = REMOTE, .proto = 17,
				.opt_len = (uint8_t)qopt, .sport = PUB_PORT, .dport = 53,
				.payload = payload, .plen = 30 };
			uint16_t len = build_icmp_err(f, &out, &in, 0);
			uint16_t ql3 = 18 + 24 + 8;

			PARSE_OK(f, len, &pi);
			ck_assert_uint_eq(pi.l3_off, 18);
			ck_assert_uint_eq(pi.l4_off, 18 + 24);
			ck_assert_uint_eq(pi.ip_len, len - 18);
			ck_assert_uint_eq(pi.flags, NATGW_PKT_F_ICMP_ERR | NATGW_PKT_F_INNER_L4CS);
			ck_assert_uint_eq(pi.inner_l3_off, ql3);
			ck_assert_uint_eq(pi.inner_l4_off, ql3 + 20 + qopt);
			ck_assert_uint_eq(pi.inner_end, len);
			/* The flow the error travels with: REMOTE -> PUB. */
			EXPECT_KEY(&pi, REMOTE, PUB, 53, PUB_PORT, 17);

			/* Exactly the RFC 792 minimum still reaches UDP's checksum. */
			len = build_icmp_err(f, &out, &in, (uint16_t)(20 + qopt + 8));
			PARSE_OK(f, len, &pi);
			ck_assert_uint_eq(pi.flags, NATGW_PKT_F_ICMP_ERR | NATGW_PKT_F_INNER_L4CS);
			ck_assert_uint_eq(pi.inner_end, len);
			EXPECT_KEY(&pi, REMOTE, PUB, 53, PUB_PORT, 17);
		}
}
END_TEST

START_TEST(test_icmp_err_tcp)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	struct tp out = { .src = REMOTE, .dst = PUB, .icmp_type = 3, .icmp_code = 3 };
	struct tp in = { .src = PUB, .dst = REMOTE, .proto = 6, .sport = PUB_PORT,
		.dport = 443, .flags = 0x02, .payload = payload, .plen = 12 };
	uint16_t len, q;

	/* IP header + 8: ports, but not the checksum at offset 16. */
	for (q = 28; q <= 40; q++) {
		bool reach = q >= 20 + 16 + 2;

		len = build_icmp_err(f, &out, &in, q);
		PARSE_OK(f, len, &pi);
		ck_assert_msg(pi.flags == (NATGW_PKT_F_ICMP_ERR |
			(reach ? NATGW_PKT_F_INNER_L4CS : 0)),
			"quote of %u bytes: flags 0x%02x", q, pi.flags);
		ck_assert_uint_eq(pi.inner_l3_off, 14 + 20 + 8);
		ck_assert_uint_eq(pi.inner_l4_off, 14 + 20 + 8 + 20);
		ck_assert_uint_eq(pi.inner_end, 14 + 20 + 8 + q);
		ck_assert_uint_eq(pi.tcp_flags, 0);
		EXPECT_KEY(&pi, REMOTE, PUB, 443, PUB_PORT, 6);
	}
	len = build_icmp_err(f, &out, &in, 0);
	PARSE_OK(f, len, &pi);
	ck_assert_uint_eq(pi.flags, NATGW_PKT_F_ICMP_ERR | NATGW_PKT_F_INNER_L4CS);
	ck_assert_uint_eq(pi.inner_end, len);
	EXPECT_KEY(&pi, REMOTE, PUB, 443, PUB_PORT, 6);
}
END_TEST

START_TEST(test_icmp_err_echo)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	struct tp out = { .src = ROUTER, .dst = PUB, .icmp_type = 11 };
	struct tp in = { .src = PUB, .dst = REMOTE, .proto = 1, .icmp_type = 8,
		.icmp_id = PUB_PORT, .icmp_seq = 1, .payload = payload, .plen = 56 };
	uint16_t len;

	/* A quoted request from PUB: mirrored, it reads like a reply to PUB. */
	len = build_icmp_err(f, &out, &in, 28);
	PARSE_OK(f, len, &pi);
	ck_assert_uint_eq(pi.flags, NATGW_PKT_F_ICMP_ERR | NATGW_PKT_F_INNER_L4CS);
	ck_assert_uint_eq(pi.inner_l3_off, 42);
	ck_assert_uint_eq(pi.inner_l4_off, 62);
	ck_assert_uint_eq(pi.inner_end, len);
	EXPECT_KEY(&pi, REMOTE, PUB, 0, PUB_PORT, 1);

	/* A quoted reply (PUB answering REMOTE's ping); mirrored, it reads like
	 * REMOTE's request. */
	in.icmp_type = 0;
	len = build_icmp_err(f, &out, &in, 0);
	PARSE_OK(f, len, &pi);
	ck_assert_uint_eq(pi.flags, NATGW_PKT_F_ICMP_ERR | NATGW_PKT_F_INNER_L4CS);
	EXPECT_KEY(&pi, REMOTE, PUB, PUB_PORT, 0, 1);

	/* Timestamp queries are mapped the same way. */
	in.icmp_type = 13;
	len = build_icmp_err(f, &out, &in, 28);
	PARSE_OK(f, len, &pi);
	EXPECT_KEY(&pi, REMOTE, PUB, 0, PUB_PORT, 1);
}
END_TEST

/* Padding after the outer packet is not part of the quote. */
START_TEST(test_icmp_err_padding)
{
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	struct tp out = { .nvlan = 2, .src = ROUTER, .dst = PUB, .icmp_type = 3,
		.icmp_code = 1 };
	struct tp in = { .src = PUB, .dst = REMOTE, .proto = 6, .sport = PUB_PORT,
		.dport = 22 };
	uint16_t len = build_icmp_err(f, &out, &in, 28);

	memset(f + len, 0xcc, 20);
	PARSE_OK(f, len + 20u, &pi);
	ck_assert_uint_eq(pi.ip_len, len - 22);
	ck_assert_uint_eq(pi.inner_end, len);
	/* Had the padding counted as quote, the TCP checksum would seem present. */
	ck_assert_uint_eq(pi.flags, NATGW_PKT_F_ICMP_ERR);
	EXPECT_KEY(&pi, REMOTE, PUB, 22, PUB_PORT, 6);
}
END_TEST

/* ------------------------------------------------------------------ */
/* csum                                                                */
/* ------------------------------------------------------------------ */

START_TEST(test_csum_raw_vectors)
{
	/* The classic header: checksum 0xb861. */
	uint8_t h[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	/* RFC 1071 section 3: the sum of these is 0xddf2 (big-endian words). */
	static const uint8_t rfc1071[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint16_t c;
	uint8_t b[2];

	c = natgw_csum_raw(h, 20, 0);
	memcpy(b, &c, 2);
	ck_assert_msg(b[0] == 0xb8 && b[1] == 0x61, "checksum stored as %02x %02x, want b8 61",
		b[0], b[1]);
	memcpy(h + 10, &c, 2);
	ck_assert_uint_eq(natgw_csum_raw(h, 20, 0), 0);

	c = natgw_csum_raw(rfc1071, 8, 0);
	memcpy(b, &c, 2);
	ck_assert_msg(b[0] == 0x22 && b[1] == 0x0d, "got %02x %02x, want 22 0d", b[0], b[1]);
	/* An odd byte is padded with zero on the right: 0x0001 + 0xf200. */
	c = natgw_csum_raw(rfc1071, 3, 0);
	memcpy(b, &c, 2);
	ck_assert_msg(b[0] == 0x0d && b[1] == 0xfe, "got %02x %02x, want 0d fe", b[0], b[1]);
	ck_assert_uint_eq(natgw_csum_raw(rfc1071, 0, 0), 0xffff);
	/* A partial sum carries on through @p initial. */
	ck_assert_uint_eq(natgw_csum_raw(rfc1071 + 4, 4,
		(uint16_t)~natgw_csum_raw(rfc1071, 4, 0)), natgw_csum_raw(rfc1071, 8, 0));

	/* The same header with an identification making its data sum 0xffff:
	 * its checksum is 0x0000, never 0xffff. */
	h[4] = 0xb8;
	h[5] = 0x61;
	h[10] = h[11] = 0;
	ck_assert_uint_eq(natgw_csum_raw(h, 20, 0), 0x0000);
}
END_TEST

/* The RFC 1624 cases: eqn. 3 must produce +0 where eqn. 2 would produce -0. */
START_TEST(test_csum_rfc1624)
{
	/* RFC 1624 section 4: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives 0x0000. */
	ck_assert_uint_eq(natgw_csum_apply(0xdd2f, natgw_csum_delta16(0x5555, 0x3285)), 0x0000);

	/* Header above with id 0xb861, checksum 0x0000: decrement the TTL
	 * (word 0x4011 -> 0x3f11) and back. */
	ck_assert_uint_eq(natgw_csum_apply(0x0000, natgw_csum_delta16(0x4011, 0x3f11)), 0x0100);
	ck_assert_uint_eq(natgw_csum_apply(0x0100, natgw_csum_delta16(0x3f11, 0x4011)), 0x0000);
	/* A change to nothing, as a delta of -0, leaves the checksum alone. */
	ck_assert_uint_eq(natgw_csum_apply(0x0000, natgw_csum_delta16(0x1234, 0x1234)), 0x0000);
	ck_assert_uint_eq(natgw_csum_apply(0xb861, natgw_csum_delta16(0xffff, 0xffff)), 0xb861);
	ck_assert_uint_eq(natgw_csum_apply(0xb861, natgw_csum_delta32(0xc0a80001u, 0xc0a80001u)),
		0xb861);
	/* +0 and -0 are the same number. */
	ck_assert_uint_eq(natgw_csum_apply(0xb861, natgw_csum_delta16(0xffff, 0x0000)), 0xb861);
	ck_assert_uint_eq(natgw_csum_apply(0xb861, natgw_csum_delta16(0x0000, 0xffff)), 0xb861);

	/* The classic header readdressed, 192.168.0.1 -> 10.0.0.1, against the
	 * same header summed from scratch. */
	{
		uint8_t h[20] = {
			0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
		};
		uint16_t before = tp_get16(h + 10), want;

		h[12] = 10;
		h[13] = 0;
		h[14] = 0;
		h[15] = 1;
		h[10] = h[11] = 0;
		want = (uint16_t)~tp_fold(tp_sum(h, 20, 0));
		ck_assert_uint_eq(natgw_csum_apply(before,
			natgw_csum_delta32(0xc0a80001u, 0x0a000001u)), want);
	}
}
END_TEST

static uint64_t rng_state;

/* xorshift64*: fixed seed, so that a failure reproduces. */
static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Full checksum of @p n native words with word @p cs as the checksum field:
 * byte order does not matter to ones' complement sums as long as it is the
 * same everywhere, which is how the library uses the words too. */
static uint16_t
words_csum(const uint16_t *w, unsigned int n, unsigned int cs)
{
	uint32_t s = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (i != cs)
			s += w[i];
	return (uint16_t)~tp_fold(s);
}

static uint16_t
pick16(uint16_t old)
{
	switch (rng() % 6) {
	case 0:
		return 0;
	case 1:
		return 0xffff;
	case 2:
		return old;
	case 3:
		return (uint16_t)~old;
	default:
		return (uint16_t)rng();
	}
}

/*
 * Random headers, random changes: the incremental checksum (change by change,
 * or composed into one delta) must equal a full recomputation exactly, 0x0000
 * and all. A third of the headers start with checksum 0x0000 and a third are
 * steered to end with it, where an RFC 1141-style update would give 0xffff.
 */
START_TEST(test_csum_incremental_property)
{
	unsigned int iter, zero_before = 0, zero_after = 0, udp_ffff = 0;

	rng_state = 0x9e3779b97f4a7c15ull;
	for (iter = 0; iter < 150000; iter++) {
		uint16_t w[32], c, cseq, udp, udpseq, total = 0, full, want_udp;
		unsigned int n = 10 + rng() % 23, cs = 1 + rng() % (n - 1), mode = iter % 3;
		unsigned int k, nchg = 1 + rng() % 4, i;

		for (i = 0; i < n; i++)
			w[i] = (uint16_t)rng();
		/* A version nibble: the data is never all zero, which is the one
		 * case where a full computation gives 0xffff. */
		w[0] = (uint16_t)(0x4500 | (w[0] & 0xff));
		w[cs] = 0;
		if (mode == 1) {
			/* Steer one word so that the data sums to 0xffff: checksum 0. */
			unsigned int j = cs == 1 ? 2 : 1;

			w[j] = 0;
			w[j] = (uint16_t)(0xffff - (uint16_t)~words_csum(w, n, cs));
		}
		c = words_csum(w, n, cs);
		if (c == 0)
			zero_before++;
		/* The library's full computation agrees with the reference. */
		CHECK(natgw_csum_raw(w, n * 2, 0) == c,
			"iter %u: natgw_csum_raw 0x%04x, want 0x%04x", iter,
			natgw_csum_raw(w, n * 2, 0), c);
		w[cs] = c;
		CHECK(natgw_csum_raw(w, n * 2, 0) == 0, "iter %u: does not verify", iter);
		udp = c ? c : 0xffff;
		cseq = c;
		udpseq = udp;

		for (k = 0; k < nchg; k++) {
			unsigned int j;
			uint16_t d;

			do
				j = 1 + rng() % (n - 1);
			while (j == cs);
			if (mode == 2 && k == nchg - 1) {
				/* The last change lands the data sum on 0xffff. */
				uint16_t old = w[j];

				w[j] = 0;
				w[j] = (uint16_t)(0xffff - (uint16_t)~words_csum(w, n, cs));
				d = natgw_csum_delta16(old, w[j]);
			} else if (j + 1 < n && j + 1 != cs && rng() % 3 == 0) {
				uint32_t old32, new32;

				memcpy(&old32, &w[j], 4);
				new32 = (uint32_t)pick16((uint16_t)(old32 >> 16)) << 16 |
					pick16((uint16_t)old32);
				memcpy(&w[j], &new32, 4);
				d = natgw_csum_delta32(old32, new32);
			} else {
				uint16_t old = w[j];

				w[j] = pick16(old);
				d = natgw_csum_delta16(old, w[j]);
			}
			cseq = natgw_csum_apply(cseq, d);
			udpseq = natgw_csum_apply_udp(udpseq, d);
			total = natgw_csum_add(total, d);
			w[cs] = cseq;
		}
		full = words_csum(w, n, cs);
		if (full == 0)
			zero_after++;
		want_udp = full ? full : 0xffff;
		if (want_udp == 0xffff)
			udp_ffff++;
		CHECK(cseq == full, "iter %u: change by change 0x%04x, full 0x%04x",
			iter, cseq, full);
		CHECK(natgw_csum_apply(c, total) == full,
			"iter %u: composed delta 0x%04x, full 0x%04x", iter,
			natgw_csum_apply(c, total), full);
		CHECK(udpseq == want_udp, "iter %u: UDP 0x%04x, want 0x%04x",
			iter, udpseq, want_udp);
		CHECK(natgw_csum_apply_udp(udp, total) == want_udp,
			"iter %u: UDP composed 0x%04x, want 0x%04x", iter,
			natgw_csum_apply_udp(udp, total), want_udp);
		/* Undoing the whole rewrite gives back the original checksum. */
		CHECK(natgw_csum_apply(full, natgw_csum_negate(total)) == c,
			"iter %u: negated 0x%04x, want 0x%04x", iter,
			natgw_csum_apply(full, natgw_csum_negate(total)), c);
	}
	/* The edge cases were reached, not just hoped for. */
	ck_assert_uint_gt(zero_before, 10000);
	ck_assert_uint_gt(zero_after, 10000);
	ck_assert_uint_gt(udp_ffff, 10000);
}
END_TEST

START_TEST(test_csum_udp_negate_add)
{
	uint16_t d = natgw_csum_delta32(0x0a000001u, 0xcb007101u);
	uint16_t e = natgw_csum_delta16(1234, 40000);

	/* No checksum stays no checksum, whatever changes. */
	ck_assert_uint_eq(natgw_csum_apply_udp(0, d), 0);
	ck_assert_uint_eq(natgw_csum_apply_udp(0, 0xffff), 0);
	ck_assert_uint_eq(natgw_csum_apply_udp(0, 0), 0);
	/* ~(~0x1234 + 0x1234) is 0: sent as 0xffff, as a plain apply gives 0. */
	ck_assert_uint_eq(natgw_csum_apply(0x1234, 0x1234), 0);
	ck_assert_uint_eq(natgw_csum_apply_udp(0x1234, 0x1234), 0xffff);
	/* Otherwise the same as apply. */
	ck_assert_uint_eq(natgw_csum_apply_udp(0x1234, d), natgw_csum_apply(0x1234, d));
	ck_assert_uint_ne(natgw_csum_apply(0x1234, d), 0);
	/* 0xffff (a computed 0) updated as the number it stands for. */
	ck_assert_uint_eq(natgw_csum_apply_udp(0xffff, e), (uint16_t)~e);

	/* negate undoes; add composes; order does not matter. */
	ck_assert_uint_eq(natgw_csum_apply(natgw_csum_apply(0xb861, d), natgw_csum_negate(d)),
		0xb861);
	ck_assert_uint_eq(natgw_csum_apply(natgw_csum_apply(0xb861, d), e),
		natgw_csum_apply(0xb861, natgw_csum_add(d, e)));
	ck_assert_uint_eq(natgw_csum_add(d, e), natgw_csum_add(e, d));
	ck_assert_uint_eq(natgw_csum_apply(0xb861, natgw_csum_add(d, natgw_csum_negate(d))),
		0xb861);
	/* fold carries the end-around carry twice over. */
	ck_assert_uint_eq(natgw_csum_fold(0xffffffffu), 0xffff);
	ck_assert_uint_eq(natgw_csum_fold(0x0001fffeu), 0xffff);
	ck_assert_uint_eq(natgw_csum_fold(0x00010000u), 0x0001);
	ck_assert_uint_eq(natgw_csum_fold(0), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* rewrite                                                             */
/* ------------------------------------------------------------------ */

/*
 * Parse @p f, rewrite it, and compare all of the buffer with @p want, built
 * from scratch with the new address and port: every byte that should change
 * did, to the right value, and no other byte (padding and beyond) moved.
 */
static void
rewrite_check(uint8_t *f, uint16_t len, const uint8_t *want, bool dst_end, uint32_t addr,
		uint16_t port, const char *what)
{
	struct natgw_pkt_info pi;
	enum natgw_drop r = parse(f, len, &pi);

	ck_assert_msg(r == NATGW_DROP_NONE, "%s: parse: %s", what, natgw_drop_name(r));
	ck_assert_msg(memcmp(f, want, BUF) != 0, "%s: nothing to rewrite", what);
	natgw_pkt_rewrite(f, &pi, dst_end, htonl(addr), htons(port));
	expect_same(f, want, BUF, what);
	expect_verifies(f, len, what);
}

static void
rewrite_tp(const struct tp *before, const struct tp *after, bool dst_end, uint32_t addr,
		uint16_t port, const char *what)
{
	uint8_t f[BUF], w[BUF];
	uint16_t len = tp_build(f, before);

	ck_assert_uint_eq(tp_build(w, after), len);
	expect_verifies(f, len, what);
	rewrite_check(f, len, w, dst_end, addr, port, what);
}

/* Outbound: PRIV:PRIV_PORT -> REMOTE becomes PUB:PUB_PORT -> REMOTE; inbound
 * the reverse, on the destination. For ICMP the port is the query id. */
static void
rewrite_both_ends(struct tp t, const char *what)
{
	struct tp a;
	char w[160];

	t.src = PRIV;
	t.dst = REMOTE;
	t.sport = PRIV_PORT;
	t.dport = 443;
	t.icmp_type = 8;
	t.icmp_id = PRIV_PORT;
	a = t;
	a.src = PUB;
	a.sport = PUB_PORT;
	a.icmp_id = PUB_PORT;
	snprintf(w, sizeof(w), "%s, source end", what);
	rewrite_tp(&t, &a, false, PUB, PUB_PORT, w);

	t.src = REMOTE;
	t.dst = PUB;
	t.sport = 443;
	t.dport = PUB_PORT;
	t.icmp_type = 0;
	t.icmp_id = PUB_PORT;
	a = t;
	a.dst = PRIV;
	a.dport = PRIV_PORT;
	a.icmp_id = PRIV_PORT;
	snprintf(w, sizeof(w), "%s, destination end", what);
	rewrite_tp(&t, &a, true, PRIV, PRIV_PORT, w);

	/* Same port, new address: ICMP's checksum does not cover addresses, so
	 * an echo must keep its checksum while TCP and UDP's change. */
	a = t;
	a.dst = PRIV;
	snprintf(w, sizeof(w), "%s, address only", what);
	rewrite_tp(&t, &a, true, PRIV, PUB_PORT, w);
}

/* natgw_pkt_csum_fill, for captures taken before checksum offload: every
 * checksum comes out as a from-scratch build has it, and nothing else moves. */
START_TEST(test_csum_fill)
{
	static const uint8_t protos[] = {6, 17, 1};
	uint8_t want[BUF], f[BUF];
	unsigned int i, v;

	for (i = 0; i < sizeof(protos); i++)
		for (v = 0; v < 3; v++) {
			struct tp t = {
				.nvlan = v, .vid = {100, 200}, .src = PRIV, .dst = REMOTE,
				.proto = protos[i], .sport = PRIV_PORT, .dport = 443,
				.flags = 0x18, .seq = 1, .ack = 2, .icmp_type = 8,
				.icmp_id = 7, .opt_len = (uint8_t)(4 * v),
				.payload = payload, .plen = 33,
			};
			uint16_t len = tp_build(want, &t), l3 = tp_l3(want);
			uint16_t l4 = tp_l4(want);
			uint16_t at = protos[i] == 6 ? 16 : protos[i] == 17 ? 6 : 2;

			memcpy(f, want, BUF);
			ck_assert_int_eq(natgw_pkt_csum_fill(f, len), 0);
			ck_assert_mem_eq(f, want, BUF);
			/* What an offloading host hands its NIC: IP checksum 0,
			 * transport checksum holding the pseudo-header sum only. */
			wr16(f + l3 + 10, 0);
			wr16(f + l4 + at, 0x1234);
			ck_assert_int_eq(natgw_pkt_csum_fill(f, len), 1);
			ck_assert_mem_eq(f, want, BUF);
		}
}
END_TEST

START_TEST(test_csum_fill_edges)
{
	uint8_t want[BUF], f[BUF];
	struct tp t = {
		.src = PRIV, .dst = REMOTE, .proto = 17, .sport = PRIV_PORT, .dport = 53,
		.payload = payload, .plen = 20, .udp_no_csum = true,
	};
	uint16_t len = tp_build(want, &t), l3 = tp_l3(want);
	char why[128];

	/* UDP without a checksum keeps none. */
	memcpy(f, want, BUF);
	wr16(f + l3 + 10, 0xdead);
	ck_assert_int_eq(natgw_pkt_csum_fill(f, len), 1);
	ck_assert_mem_eq(f, want, BUF);

	/* A non-first fragment: the IP header is fixed, the payload (which may
	 * look like a transport header) is not touched. */
	t.udp_no_csum = false;
	t.raw_l4 = true;
	t.frag = 185;
	len = tp_build(want, &t);
	memcpy(f, want, BUF);
	wr16(f + l3 + 10, 0);
	ck_assert_int_eq(natgw_pkt_csum_fill(f, len), 1);
	ck_assert_mem_eq(f, want, BUF);
	ck_assert_int_eq(tp_verify(f, len, why, sizeof(why)), 0);

	/* Not IPv4, or no sound header: -1 and nothing written. */
	memcpy(f, want, BUF);
	wr16(f + 12, 0x0806);
	ck_assert_int_eq(natgw_pkt_csum_fill(f, len), -1);
	wr16(f + 12, 0x0800);
	f[l3] = 0x44;
	memcpy(want, f, BUF);
	ck_assert_int_eq(natgw_pkt_csum_fill(f, len), -1);
	ck_assert_mem_eq(f, want, BUF);
	ck_assert_int_eq(natgw_pkt_csum_fill(f, 10), -1);
}
END_TEST

START_TEST(test_rewrite_tcp_udp_icmp)
{
	static const uint8_t protos[] = { 6, 17, 1 };
	static const uint8_t opts[] = { 0, 12, 40 };
	unsigned int j, nvlan, o;
	char what[96];

	for (j = 0; j < sizeof(protos); j++)
		for (nvlan = 0; nvlan <= 2; nvlan++)
			for (o = 0; o < sizeof(opts); o++) {
				struct tp t = {
					.nvlan = nvlan, .vid = { 10, 20 }, .proto = protos[j],
					.opt_len = opts[o], .flags = 0x18, .seq = 0x01020304,
					.ack = 0xa0b0c0d0, .id = 0x7777, .frag = 0x4000, .ttl = 17,
					.tos = 0x10, .icmp_seq = 3, .payload = payload,
					/* odd lengths: the trailing byte is summed padded */
					.plen = (uint16_t)(5 + 2 * o),
				};

				snprintf(what, sizeof(what), "proto %u, %u tags, %u option bytes",
					protos[j], nvlan, opts[o]);
				rewrite_both_ends(t, what);
			}
	/* An ICMP timestamp query is rewritten like an echo. */
	{
		struct tp t = { .src = PRIV, .dst = REMOTE, .proto = 1, .icmp_type = 13,
			.icmp_id = PRIV_PORT, .payload = payload, .plen = 12 };
		struct tp a = t;

		a.src = PUB;
		a.icmp_id = PUB_PORT;
		rewrite_tp(&t, &a, false, PUB, PUB_PORT, "timestamp request");
	}
}
END_TEST

START_TEST(test_rewrite_udp_no_csum)
{
	struct tp t = { .nvlan = 1, .src = PRIV, .dst = REMOTE, .proto = 17,
		.sport = PRIV_PORT, .dport = 53, .udp_no_csum = true, .payload = payload,
		.plen = 17 };
	struct tp a = t;
	uint8_t f[BUF];
	struct natgw_pkt_info pi;
	uint16_t len;

	a.src = PUB;
	a.sport = PUB_PORT;
	rewrite_tp(&t, &a, false, PUB, PUB_PORT, "UDP without checksum, source end");
	/* And the field really is still zero. */
	len = tp_build(f, &t);
	PARSE_OK(f, len, &pi);
	natgw_pkt_rewrite(f, &pi, false, htonl(PUB), htons(PUB_PORT));
	ck_assert_uint_eq(tp_get16(f + tp_l4(f) + 6), 0);

	t.src = REMOTE;
	t.dst = PUB;
	t.sport = 53;
	t.dport = PUB_PORT;
	a = t;
	a.dst = PRIV;
	a.dport = PRIV_PORT;
	rewrite_tp(&t, &a, true, PRIV, PRIV_PORT, "UDP without checksum, destination end");
}
END_TEST

/* A rewrite whose UDP checksum computes to 0 must send 0xffff, and a datagram
 * that arrived with 0xffff (a computed 0) must be updated as the number. */
START_TEST(test_rewrite_udp_csum_computes_zero)
{
	uint8_t pl[2] = { 0, 0 }, f[BUF];
	struct tp before = { .src = PRIV, .dst = REMOTE, .proto = 17, .sport = PRIV_PORT,
		.dport = 53, .payload = pl, .plen = 2 };
	struct tp after = before;
	uint16_t c, len;

	after.src = PUB;
	after.sport = PUB_PORT;
	tp_build(f, &after);
	c = tp_get16(f + tp_l4(f) + 6);
	ck_assert_uint_ne(c, 0xffff);
	/* A payload word equal to the checksum makes the sum 0xffff. */
	wr16(pl, c);
	len = tp_build(f, &after);
	ck_assert_uint_eq(tp_get16(f + tp_l4(f) + 6), 0xffff);
	expect_verifies(f, len, "UDP with a computed zero");

	rewrite_tp(&before, &after, false, PUB, PUB_PORT, "UDP checksum becoming 0");
	rewrite_tp(&after, &before, false, PRIV, PRIV_PORT, "UDP checksum from 0xffff");
}
END_TEST

/*
 * Build @p t (wrapped in ICMP error @p outer if not NULL) with the zero 16-bit
 * word at @p steer, an offset from the outer transport header inside what its
 * checksum at @p cs covers, set to that checksum's value: the covered data then
 * sums to 0xffff (-0), so the checksum is 0x0000.
 */
static void
build_csum_zero(uint8_t *f, const struct tp *t, uint16_t steer, uint16_t cs,
		const struct tp *outer)
{
	uint16_t len = outer ? build_icmp_err(f, outer, t, 0) : tp_build(f, t);
	uint16_t l4 = tp_l4(f);

	ck_assert_uint_eq(tp_get16(f + l4 + steer), 0);
	wr16(f + l4 + steer, tp_get16(f + l4 + cs));
	wr16(f + l4 + cs, 0);
	expect_verifies(f, len, "checksum steered to 0");
}

/* Rewrites whose checksum lands on 0x0000: it must stay +0, for TCP and ICMP
 * have no "no checksum" value that 0xffff would be needed to avoid. */
START_TEST(test_rewrite_csum_becomes_zero)
{
	uint8_t pl[4] = { 0, 0, 0, 0 }, f[BUF], w[BUF];
	uint16_t len;

	/* TCP: the first payload word steers. */
	{
		struct tp t = { .src = PRIV, .dst = REMOTE, .proto = 6, .sport = PRIV_PORT,
			.dport = 443, .flags = 0x10, .payload = pl, .plen = 4 };
		struct tp a = t;

		a.src = PUB;
		a.sport = PUB_PORT;
		build_csum_zero(w, &a, 20, 16, NULL);
		memcpy(pl, w + tp_l4(w) + 20, 2);
		len = tp_build(f, &t);
		rewrite_check(f, len, w, false, PUB, PUB_PORT, "TCP checksum becoming 0");
	}
	/* ICMP echo: the sequence number steers. */
	{
		struct tp t = { .src = PRIV, .dst = REMOTE, .proto = 1, .icmp_type = 8,
			.icmp_id = PRIV_PORT, .payload = payload, .plen = 8 };
		struct tp a = t;

		a.src = PUB;
		a.icmp_id = PUB_PORT;
		build_csum_zero(w, &a, 6, 2, NULL);
		t.icmp_seq = a.icmp_seq = tp_get16(w + tp_l4(w) + 6);
		len = tp_build(f, &t);
		rewrite_check(f, len, w, false, PUB, PUB_PORT, "ICMP echo checksum becoming 0");
	}
	/* ICMP error: its unused word steers the outer checksum. */
	{
		struct tp ob = { .src = ROUTER, .dst = PUB, .icmp_type = 11 };
		struct tp ib = { .src = PUB, .dst = REMOTE, .proto = 17, .sport = PUB_PORT,
			.dport = 53, .payload = payload, .plen = 10 };
		struct tp oa = ob, ia = ib;

		oa.dst = PRIV;
		ia.src = PRIV;
		ia.sport = PRIV_PORT;
		build_csum_zero(w, &ia, 6, 2, &oa);
		ob.icmp_seq = oa.icmp_seq = tp_get16(w + tp_l4(w) + 6);
		len = build_icmp_err(f, &ob, &ib, 0);
		rewrite_check(f, len, w, true, PRIV, PRIV_PORT, "ICMP error checksum becoming 0");
	}
}
END_TEST

/* The NAT carries a sender's checksum error through: neither fixing nor
 * worsening it. */
START_TEST(test_rewrite_tcp_bad_csum_kept)
{
	static const uint16_t errs[] = { 0x0001, 0x1234, 0xfffe, 0x8000 };
	unsigned int i, dst_end;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		for (dst_end = 0; dst_end <= 1; dst_end++) {
			struct tp t = { .nvlan = 1, .src = PRIV, .dst = REMOTE, .proto = 6,
				.sport = PRIV_PORT, .dport = 80, .flags = 0x10, .payload = payload,
				.plen = 11, .opt_len = 4 };
			struct tp a = t;
			uint8_t f[BUF], w[BUF];
			struct natgw_pkt_info pi;
			uint16_t len, l4, good_before, bad_before, good_after, bad_after;
			uint16_t err_before, err_after;
			char why[160];

			if (dst_end) {
				t.src = REMOTE;
				t.dst = PUB;
				t.sport = 80;
				t.dport = PUB_PORT;
				a = t;
				a.dst = PRIV;
				a.dport = PRIV_PORT;
			} else {
				a.src = PUB;
				a.sport = PUB_PORT;
			}
			len = tp_build(f, &t);
			tp_build(w, &a);
			l4 = tp_l4(f);
			good_before = tp_get16(f + l4 + 16);
			bad_before = tp_fold((uint32_t)good_before + errs[i]);
			wr16(f + l4 + 16, bad_before);
			ck_assert_int_ne(tp_verify(f, len, why, sizeof(why)), 0);

			PARSE_OK(f, len, &pi);
			natgw_pkt_rewrite(f, &pi, dst_end, htonl(dst_end ? PRIV : PUB),
				htons(dst_end ? PRIV_PORT : PUB_PORT));
			good_after = tp_get16(w + l4 + 16);
			bad_after = tp_get16(f + l4 + 16);
			/* The error, as a ones' complement difference, is unchanged. */
			err_before = tp_fold((uint32_t)bad_before + (uint16_t)~good_before);
			err_after = tp_fold((uint32_t)bad_after + (uint16_t)~good_after);
			ck_assert_msg(err_after == err_before,
				"error 0x%04x: stored - correct was 0x%04x, is 0x%04x "
				"(0x%04x vs 0x%04x)",
				errs[i], err_before, err_after, bad_after, good_after);
			ck_assert_int_ne(tp_verify(f, len, why, sizeof(why)), 0);
			ck_assert_msg(strstr(why, "TCP checksum") != NULL, "%s", why);
			/* Everything else is as a correct packet's rewrite. */
			wr16(w + l4 + 16, bad_after);
			expect_same(f, w, BUF, "TCP with a bad checksum");
		}
}
END_TEST

START_TEST(test_rewrite_fragments)
{
	static const uint8_t protos[] = { 6, 17, 1 };
	unsigned int j;
	char what[96];

	for (j = 0; j < sizeof(protos); j++) {
		/* Non-first: only the address and the header checksum; the bytes
		 * where ports would be are data and stay. */
		struct tp t = { .nvlan = 1, .src = PRIV, .dst = REMOTE, .proto = protos[j],
			.id = 0x5151, .frag = 0x2000 | 3, .raw_l4 = true, .payload = payload,
			.plen = 40, .opt_len = 8 };
		struct tp a = t;

		a.src = PUB;
		snprintf(what, sizeof(what), "proto %u non-first fragment, source end", protos[j]);
		rewrite_tp(&t, &a, false, PUB, PUB_PORT, what);
		t.src = REMOTE;
		t.dst = PUB;
		t.frag = 8;
		a = t;
		a.dst = PRIV;
		snprintf(what, sizeof(what), "proto %u last fragment, destination end", protos[j]);
		rewrite_tp(&t, &a, true, PRIV, PRIV_PORT, what);
	}
	/* The first fragment has the transport header: ports and checksum too. */
	{
		struct tp t = { .src = PRIV, .dst = REMOTE, .proto = 6, .id = 0x5151,
			.frag = 0x2000, .sport = PRIV_PORT, .dport = 443, .payload = payload,
			.plen = 24 };
		struct tp a = t;

		a.src = PUB;
		a.sport = PUB_PORT;
		rewrite_tp(&t, &a, false, PUB, PUB_PORT, "TCP first fragment");
		t.proto = 17;
		a.proto = 17;
		rewrite_tp(&t, &a, false, PUB, PUB_PORT, "UDP first fragment");
	}
}
END_TEST

/*
 * One ICMP error through the NAT. @p dst_end: the error comes from outside
 * about a packet the inside sent (quoted PUB:PUB_PORT -> REMOTE becomes
 * PRIV:PRIV_PORT -> REMOTE, outer destination PUB -> PRIV). Otherwise it comes
 * from PRIV about a packet it received (quoted REMOTE -> PRIV:PRIV_PORT becomes
 * REMOTE -> PUB:PUB_PORT, outer source PRIV -> PUB).
 */
static void
icmp_err_case(uint8_t qproto, uint16_t quote, bool dst_end, uint8_t type,
		unsigned int nvlan, uint8_t opt, uint8_t qopt, bool qudp_no_csum)
{
	struct tp ob = { .nvlan = nvlan, .vid = { 5, 6 }, .opt_len = opt, .icmp_type = type,
		.icmp_code = type == 3 ? 3 : 0, .icmp_id = type == 12 ? 0x0800 : 0, .ttl = 250 };
	struct tp ib = { .proto = qproto, .opt_len = qopt, .id = 0x1111, .frag = 0x4000,
		.ttl = 1, .flags = 0x02, .seq = 0x11223344, .udp_no_csum = qudp_no_csum,
		.payload = payload, .plen = qproto == 1 ? 9 : 13 };
	struct tp oa, ia;
	uint8_t f[BUF], w[BUF];
	struct natgw_pkt_info pi;
	uint16_t len, qihl = (uint16_t)(20 + qopt), csoff = natgw_l4_csum_off(qproto);
	bool l4cs = quote == 0 || quote >= qihl + csoff + 2;
	char what[160];

	snprintf(what, sizeof(what),
		"ICMP %u error %s about proto %u, quote %u, %u tags, options %u/%u%s",
		type, dst_end ? "inbound" : "outbound", qproto, quote, nvlan, opt, qopt,
		qudp_no_csum ? ", no UDP checksum" : "");
	if (dst_end) {
		ob.src = ROUTER;
		ob.dst = PUB;
		ib.src = PUB;
		ib.dst = REMOTE;
		ib.sport = PUB_PORT;
		ib.dport = 53;
		ib.icmp_type = 8;
		ib.icmp_id = PUB_PORT;
		oa = ob;
		oa.dst = PRIV;
		ia = ib;
		ia.src = PRIV;
		ia.sport = PRIV_PORT;
		ia.icmp_id = PRIV_PORT;
	} else {
		ob.src = PRIV;
		ob.dst = REMOTE;
		ib.src = REMOTE;
		ib.dst = PRIV;
		ib.sport = 53;
		ib.dport = PRIV_PORT;
		ib.icmp_type = 0;
		ib.icmp_id = PRIV_PORT;
		oa = ob;
		oa.src = PUB;
		ia = ib;
		ia.dst = PUB;
		ia.dport = PUB_PORT;
		ia.icmp_id = PUB_PORT;
	}
	len = build_icmp_err(f, &ob, &ib, quote);
	ck_assert_uint_eq(build_icmp_err(w, &oa, &ia, quote), len);
	expect_verifies(f, len, what);
	if (quote && quote == qihl + csoff + 1) {
		/* The quote ends inside the quoted checksum: the byte present cannot
		 * be updated without the one missing, so it is carried as it came,
		 * and the ICMP checksum must cover it as it is. */
		uint16_t at = (uint16_t)(tp_l4(w) + 8 + qihl + csoff);

		w[at] = f[at];
		fix_icmp_csum(w);
	}

	/* The key finds the session of the quoted flow, from this side. */
	PARSE_OK(f, len, &pi);
	ck_assert_msg(pi.flags == (NATGW_PKT_F_ICMP_ERR | (l4cs ? NATGW_PKT_F_INNER_L4CS : 0)),
		"%s: flags 0x%02x", what, pi.flags);
	ck_assert_uint_eq(pi.inner_l3_off, pi.l4_off + 8);
	ck_assert_uint_eq(pi.inner_l4_off, pi.inner_l3_off + qihl);
	ck_assert_uint_eq(pi.inner_end, len);
	if (dst_end) {
		if (qproto == 1)
			EXPECT_KEY(&pi, REMOTE, PUB, 0, PUB_PORT, 1);
		else
			EXPECT_KEY(&pi, REMOTE, PUB, 53, PUB_PORT, qproto);
	} else {
		if (qproto == 1)
			EXPECT_KEY(&pi, PRIV, REMOTE, PRIV_PORT, 0, 1);
		else
			EXPECT_KEY(&pi, PRIV, REMOTE, PRIV_PORT, 53, qproto);
	}
	rewrite_check(f, len, w, dst_end, dst_end ? PRIV : PUB, dst_end ? PRIV_PORT : PUB_PORT,
		what);
	/* Spelled out, what the comparison above implies: the outer end on this
	 * side and the quoted end mirrored to it changed, the far ends did not. */
	{
		const uint8_t *q = f + pi.inner_l3_off, *ql4 = f + pi.inner_l4_off;
		uint16_t qport = tp_get16(ql4 + (qproto == 1 ? 4 : dst_end ? 0 : 2));

		if (dst_end) {
			ck_assert_uint_eq(tp_ip_src(f), ROUTER);
			ck_assert_uint_eq(tp_ip_dst(f), PRIV);
			ck_assert_uint_eq(tp_get32(q + 12), PRIV);
			ck_assert_uint_eq(tp_get32(q + 16), REMOTE);
			ck_assert_uint_eq(qport, PRIV_PORT);
		} else {
			ck_assert_uint_eq(tp_ip_src(f), PUB);
			ck_assert_uint_eq(tp_ip_dst(f), REMOTE);
			ck_assert_uint_eq(tp_get32(q + 12), REMOTE);
			ck_assert_uint_eq(tp_get32(q + 16), PUB);
			ck_assert_uint_eq(qport, PUB_PORT);
		}
		if (qproto != 1)
			ck_assert_uint_eq(tp_get16(ql4 + (dst_end ? 2 : 0)), 53);
		if (qudp_no_csum)
			ck_assert_uint_eq(tp_get16(ql4 + 6), 0);
	}
}

START_TEST(test_rewrite_icmp_err_inbound)
{
	static const uint8_t protos[] = { 17, 6, 1 };
	static const uint8_t types[] = { 3, 11, 12 };
	unsigned int j, t;

	for (j = 0; j < sizeof(protos); j++)
		for (t = 0; t < sizeof(types); t++) {
			/* The RFC 792 minimum: TCP's checksum is not in it. */
			icmp_err_case(protos[j], 28, true, types[t], 0, 0, 0, false);
			/* The whole packet, so tp_verify checks the quoted L4 checksum. */
			icmp_err_case(protos[j], 0, true, types[t], 0, 0, 0, false);
			icmp_err_case(protos[j], 0, true, types[t], 2, 8, 4, false);
			icmp_err_case(protos[j], 36, true, types[t], 1, 4, 8, false);
		}
	/* RFC 1812 routers quote more; TCP's checksum just inside, just outside. */
	icmp_err_case(6, 38, true, 11, 0, 0, 0, false);
	icmp_err_case(6, 37, true, 11, 0, 0, 0, false);
	icmp_err_case(17, 0, true, 3, 1, 0, 0, true);
	icmp_err_case(17, 28, true, 3, 0, 0, 0, true);
}
END_TEST

START_TEST(test_rewrite_icmp_err_outbound)
{
	static const uint8_t protos[] = { 17, 6, 1 };
	static const uint8_t types[] = { 3, 11, 12 };
	unsigned int j, t;

	for (j = 0; j < sizeof(protos); j++)
		for (t = 0; t < sizeof(types); t++) {
			icmp_err_case(protos[j], 28, false, types[t], 0, 0, 0, false);
			icmp_err_case(protos[j], 0, false, types[t], 0, 0, 0, false);
			icmp_err_case(protos[j], 0, false, types[t], 2, 40, 8, false);
			icmp_err_case(protos[j], 36, false, types[t], 1, 4, 0, false);
		}
	icmp_err_case(6, 38, false, 3, 0, 0, 0, false);
	icmp_err_case(17, 0, false, 3, 0, 0, 0, true);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pkt");
	TCase *tc;

	tc = tcase_create("parse_ok");
	tcase_add_test(tc, test_parse_tcp);
	tcase_add_test(tc, test_common_frames);
	tcase_add_test(tc, test_parse_udp);
	tcase_add_test(tc, test_parse_l4_csum_not_checked);
	tcase_add_test(tc, test_parse_icmp_query);
	tcase_add_test(tc, test_parse_vlan);
	tcase_add_test(tc, test_parse_ip_options);
	tcase_add_test(tc, test_parse_tcp_data_offset);
	tcase_add_test(tc, test_parse_fragments);
	tcase_add_test(tc, test_parse_eth_padding);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse_drop");
	tcase_add_test(tc, test_drop_eth_truncated);
	tcase_add_test(tc, test_drop_not_ip);
	tcase_add_test(tc, test_drop_ipv6);
	tcase_add_test(tc, test_drop_ip_truncated);
	tcase_add_test(tc, test_drop_ip_bad_version);
	tcase_add_test(tc, test_drop_ip_bad_ihl);
	tcase_add_test(tc, test_drop_ip_bad_total_length);
	tcase_add_test(tc, test_drop_ip_bad_checksum);
	tcase_add_test(tc, test_drop_l4_truncated);
	tcase_add_test(tc, test_drop_tcp_bad_offset);
	tcase_add_test(tc, test_drop_proto_unsupported);
	tcase_add_test(tc, test_drop_icmp_type);
	tcase_add_test(tc, test_drop_icmp_err_truncated);
	tcase_add_test(tc, test_drop_icmp_err_no_session);
	tcase_add_test(tc, test_drop_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("icmp_error");
	tcase_add_test(tc, test_icmp_err_udp);
	tcase_add_test(tc, test_icmp_err_tcp);
	tcase_add_test(tc, test_icmp_err_echo);
	tcase_add_test(tc, test_icmp_err_padding);
	suite_add_tcase(s, tc);

	tc = tcase_create("csum");
	tcase_add_test(tc, test_csum_raw_vectors);
	tcase_add_test(tc, test_csum_rfc1624);
	tcase_add_test(tc, test_csum_incremental_property);
	tcase_add_test(tc, test_csum_udp_negate_add);
	tcase_add_test(tc, test_csum_fill);
	tcase_add_test(tc, test_csum_fill_edges);
	suite_add_tcase(s, tc);

	tc = tcase_create("rewrite");
	tcase_add_test(tc, test_rewrite_tcp_udp_icmp);
	tcase_add_test(tc, test_rewrite_udp_no_csum);
	tcase_add_test(tc, test_rewrite_udp_csum_computes_zero);
	tcase_add_test(tc, test_rewrite_csum_becomes_zero);
	tcase_add_test(tc, test_rewrite_tcp_bad_csum_kept);
	tcase_add_test(tc, test_rewrite_fragments);
	tcase_add_test(tc, test_rewrite_icmp_err_inbound);
	tcase_add_test(tc, test_rewrite_icmp_err_outbound);
	suite_add_tcase(s, tc);

	return natgw_test_run(s);
}
