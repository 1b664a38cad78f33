/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: frames through natgw_pkt_parse and the NAT engine, both
 * directions, against a session table seeded with a TCP connection, a UDP
 * flow and an ICMP echo.
 *
 * Input: a configuration byte, then records [ctl][len:2][frame]. ctl bit 0
 * is the side the frame arrives on; bit 1 "aims" it at seeded session
 * ctl>>4 & 3 (its addresses and ports are set to that session's, as its
 * side sends them, so that the fuzzer reaches translation without guessing
 * a public port); bit 2 recomputes its checksums (natgw_pkt_csum_fill), so
 * that mutations get past the IPv4 header check; bit 3 moves time on ten
 * minutes and expires. Consecutive frames of one side form a burst.
 *
 * What must hold, whatever comes in (abort otherwise): natgw_pkt_common and
 * natgw_pkt_parse read every frame alike (pkt_agree.h); a frame leaving by
 * the outside has a public source address; a frame leaving by the inside
 * goes to an inside address; at the end the sessions' accounting equals the
 * CloudWatch counters less the packets the NAT made itself.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fuzz.h"
#include "natgw_nat.h"
#include "nat_addrs.h"
#include "natgw_test.h"
#include "pkt_agree.h"

/* The seeded flows, as the inside sends them (host order). */
static const struct seed {
	uint8_t proto;
	uint32_t in_ip, rem_ip;
	uint16_t in_port, rem_port; /* ICMP: the echo identifier, 0 */
} seeds[4] = {
	{ 6, PRIV, REM, 40000, 443 },
	{ 17, PRIV2, REM, 5353, 53 },
	{ 1, PRIV, REM2, 77, 0 },
	{ 17, PRIV, REM2, 40001, 123 },
};

struct run {
	struct natgw_nat *nat;
	uint64_t now;
	uint32_t pub[4];    /* public endpoint per seed, network order */
	uint16_t pub_port[4];
	bool seeded[4];
};

static void
check_out(const struct natgw_nat *nat, const struct natgw_nat_out *out)
{
	const struct natgw_nat_conf *c = natgw_nat_conf(nat);
	unsigned int i, k;

	for (i = 0; i < out->n[NATGW_SIDE_OUTSIDE]; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(out->pkts[NATGW_SIDE_OUTSIDE][i], uint8_t *);
		uint32_t src = htonl(tp_ip_src(f));
		bool pub = false;

		for (k = 0; k < c->n_public; k++)
			pub |= src == c->public_ip[k];
		if (!pub) {
			fprintf(stderr, "fuzz_nat: a frame left by the outside from %08x\n",
				ntohl(src));
			abort();
		}
	}
	for (i = 0; i < out->n[NATGW_SIDE_INSIDE]; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(out->pkts[NATGW_SIDE_INSIDE][i], uint8_t *);
		uint32_t dst = htonl(tp_ip_dst(f));

		if (!natgw_nat_is_inside(c, dst)) {
			fprintf(stderr, "fuzz_nat: a frame left by the inside to %08x\n",
				ntohl(dst));
			abort();
		}
	}
}

static void
burst(struct run *r, enum natgw_side side, struct rte_mbuf **pkts, uint16_t n)
{
	struct natgw_nat_out out;
	unsigned int s, i;

	if (n == 0)
		return;
	natgw_nat_burst(r->nat, side, pkts, n, r->now, &out);
	check_out(r->nat, &out);
	for (s = 0; s < NATGW_SIDES; s++)
		for (i = 0; i < out.n[s]; i++)
			rte_pktmbuf_free(out.pkts[s][i]);
}

static void
send_tp(struct run *r, enum natgw_side side, const struct tp *t)
{
	uint8_t f[2048];
	struct rte_mbuf *m = tp_mbuf(f, tp_build(f, t));

	if (m == NULL)
		abort();
	burst(r, side, &m, 1);
}

/* Open the seeded flows: a TCP handshake, a UDP exchange, an echo. */
static void
seed(struct run *r)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		const struct seed *s = &seeds[i];
		struct tp t = {
			.src = s->in_ip, .dst = s->rem_ip, .proto = s->proto,
			.sport = s->in_port, .dport = s->rem_port,
			.flags = 0x02, .seq = 1000, .icmp_type = 8, .icmp_id = s->in_port,
		};
		uint32_t pub_ip;
		uint16_t pub_port;

		send_tp(r, NATGW_SIDE_INSIDE, &t);
		if (!natgw_nat_public_endpoint(r->nat, s->proto, htonl(s->in_ip),
				htons(s->in_port), htonl(s->rem_ip), htons(s->rem_port),
				&pub_ip, &pub_port))
			continue;
		r->seeded[i] = true;
		r->pub[i] = pub_ip;
		r->pub_port[i] = pub_port;
		/* The answer, and for TCP the handshake's last segment. */
		memset(&t, 0, sizeof(t));
		t.src = s->rem_ip;
		t.dst = ntohl(pub_ip);
		t.proto = s->proto;
		t.sport = s->rem_port;
		t.dport = ntohs(pub_port);
		t.flags = 0x12;
		t.seq = 9000;
		t.ack = 1001;
		t.icmp_type = 0;
		t.icmp_id = ntohs(pub_port);
		send_tp(r, NATGW_SIDE_OUTSIDE, &t);
		if (s->proto == 6) {
			struct tp a = {
				.src = s->in_ip, .dst = s->rem_ip, .proto = 6,
				.sport = s->in_port, .dport = s->rem_port,
				.flags = 0x10, .seq = 1001, .ack = 9001,
			};

			send_tp(r, NATGW_SIDE_INSIDE, &a);
		}
	}
}

static void
put32(uint8_t *p, uint32_t v_be)
{
	memcpy(p, &v_be, 4);
}

static void
put16(uint8_t *p, uint16_t v_be)
{
	memcpy(p, &v_be, 2);
}

/* Give the frame seeded session @p k's addresses and ports as side @p side
 * sends them, where the parse finds them. */
static void
aim(const struct run *r, uint8_t *f, uint32_t len, enum natgw_side side, unsigned int k)
{
	const struct seed *s = &seeds[k];
	struct natgw_pkt_info pi;
	uint32_t src, dst;
	uint16_t sp, dp;
	uint8_t *ip, *l4;

	if (!r->seeded[k] || natgw_pkt_parse(f, len, &pi) != NATGW_DROP_NONE ||
			(pi.flags & (NATGW_PKT_F_ICMP_ERR | NATGW_PKT_F_FRAG)) ||
			pi.key.proto != s->proto)
		return;
	if (side == NATGW_SIDE_INSIDE) {
		src = htonl(s->in_ip);
		sp = htons(s->in_port);
		dst = htonl(s->rem_ip);
		dp = htons(s->rem_port);
	} else {
		src = htonl(s->rem_ip);
		sp = htons(s->rem_port);
		dst = r->pub[k];
		dp = r->pub_port[k];
	}
	ip = f + pi.l3_off;
	l4 = f + pi.l4_off;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	if (s->proto == 1) {
		/* Requests go out, replies come back. */
		l4[0] = side == NATGW_SIDE_INSIDE ? 8 : 0;
		put16(l4 + 4, side == NATGW_SIDE_INSIDE ? sp : dp);
	} else {
		put16(l4, sp);
		put16(l4 + 2, dp);
	}
}

/* The sessions' accounting against the CloudWatch counters, once every
 * session has ended (natgw_nat_finish). */
static void
check_acct(const struct natgw_nat *nat)
{
	const struct natgw_nat_stats *st = natgw_nat_stats(nat);
	const struct natgw_nat_acct *a = natgw_nat_acct_services(nat);
	uint64_t bytes[NATGW_SIDES] = { 0, 0 }, pkts[NATGW_SIDES] = { 0, 0 };
	unsigned int i, s;

	for (i = 0; i < NATGW_SVC_MAX; i++)
		for (s = 0; s < NATGW_SIDES; s++) {
			bytes[s] += a[i].bytes[s];
			pkts[s] += a[i].pkts[s];
		}
	if (bytes[0] + st->icmp_bytes[NATGW_SIDE_OUTSIDE] !=
			st->metric[NATGW_M_BytesOutToDestination] ||
			pkts[0] + st->icmp_sent[NATGW_SIDE_OUTSIDE] !=
			st->metric[NATGW_M_PacketsOutToDestination] ||
			bytes[1] + st->rst_bytes + st->icmp_bytes[NATGW_SIDE_INSIDE] !=
			st->metric[NATGW_M_BytesOutToSource] ||
			pkts[1] + st->rst_sent + st->icmp_sent[NATGW_SIDE_INSIDE] !=
			st->metric[NATGW_M_PacketsOutToSource]) {
		fprintf(stderr, "fuzz_nat: sessions' accounting %lu/%lu B, %lu/%lu packets; "
			"counters out %lu/%lu B, %lu/%lu packets\n",
			(unsigned long)bytes[0], (unsigned long)bytes[1],
			(unsigned long)pkts[0], (unsigned long)pkts[1],
			(unsigned long)st->metric[NATGW_M_BytesOutToDestination],
			(unsigned long)st->metric[NATGW_M_BytesOutToSource],
			(unsigned long)st->metric[NATGW_M_PacketsOutToDestination],
			(unsigned long)st->metric[NATGW_M_PacketsOutToSource]);
		abort();
	}
}

static void
configure(struct natgw_nat_conf *c, uint8_t b)
{
	natgw_nat_conf_defaults(c, (b & 1) ? NATGW_PROFILE_RFC : NATGW_PROFILE_AWS);
	c->public_ip[0] = htonl(PUB);
	c->public_ip[1] = htonl(PUB2);
	c->n_public = (b & 2) ? 2 : 1;
	c->inside[0].addr = 0x0a000000u;
	c->inside[0].mask = 0xffff0000u;
	c->n_inside = 1;
	/* Small tables and ranges reach table_full and port_alloc. */
	c->max_sessions = (b & 0x80) ? 64 : 1024;
	if (b & 4)
		c->port_hi = (uint16_t)(c->port_lo + 15);
	if (b & 8)
		c->per_dest_limit = 2;
	c->filtering = (enum natgw_filtering)((b >> 4) % 3);
	if (b & 0x40) {
		c->frag_udp = !c->frag_udp;
		c->frag_tcp_icmp = !c->frag_tcp_icmp;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *pkts[NATGW_BURST_MAX];
	struct natgw_nat_conf c;
	enum natgw_side side = NATGW_SIDE_INSIDE;
	struct run r;
	char err[256], why[256];
	uint16_t n = 0;
	size_t off = 1;

	if (size < 1)
		return 0;
	natgw_test_pool();
	memset(&r, 0, sizeof(r));
	configure(&c, data[0]);
	r.nat = natgw_nat_create("fuzz", &c, err, sizeof(err));
	if (r.nat == NULL) {
		fprintf(stderr, "fuzz_nat: %s\n", err);
		abort();
	}
	r.now = T0;
	seed(&r);
	while (off + 3 <= size) {
		uint8_t ctl = data[off];
		uint32_t len = (uint32_t)data[off + 1] << 8 | data[off + 2];
		enum natgw_side s = (ctl & 1) ? NATGW_SIDE_OUTSIDE : NATGW_SIDE_INSIDE;
		struct rte_mbuf *m;
		uint8_t *f;

		off += 3;
		if (len > size - off)
			len = (uint32_t)(size - off);
		if (len > 2048)
			len = 2048;
		if (n && (s != side || n == NATGW_BURST_MAX || (ctl & 8))) {
			burst(&r, side, pkts, n);
			n = 0;
		}
		if (ctl & 8) {
			r.now += 600 * NS;
			natgw_nat_expire(r.nat, r.now, 1u << 20);
		} else {
			r.now += 1000000;
		}
		side = s;
		m = rte_pktmbuf_alloc(natgw_test_pool());
		if (m == NULL)
			abort();
		f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
		memcpy(f, data + off, len);
		off += len;
		if (ctl & 2)
			aim(&r, f, len, s, (ctl >> 4) & 3);
		if (ctl & 4)
			natgw_pkt_csum_fill(f, len);
		if (pkt_common_agrees(f, len, natgw_nat_conf(r.nat)->mtu, why, sizeof(why)) < 0) {
			fprintf(stderr, "fuzz_nat: %s\n", why);
			abort();
		}
		pkts[n++] = m;
	}
	burst(&r, side, pkts, n);
	natgw_nat_finish(r.nat, r.now);
	check_acct(r.nat);
	natgw_nat_free(r.nat);
	return 0;
}
