/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame builder, independent checksum verifier and EAL set-up for the Check suites.
 * Checksums here are computed the long way (RFC 1071 over every byte), so that a
 * test never trusts the incremental code it is testing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "natgw_test.h"

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

uint16_t
tp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
tp_get32(const uint8_t *p)
{
	return (uint32_t)tp_get16(p) << 16 | tp_get16(p + 2);
}

uint32_t
tp_sum(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += tp_get16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

uint16_t
tp_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint32_t
pseudo(const uint8_t *ip, uint8_t proto, uint16_t l4len)
{
	return tp_sum(ip + 12, 8, 0) + proto + l4len;
}

uint16_t
tp_build(uint8_t *buf, const struct tp *t)
{
	uint16_t off = 12, ihl = (uint16_t)(20 + t->opt_len), l4hl, tot;
	uint8_t *ip, *l4;
	unsigned int i;

	memset(buf, 0, 2048);
	for (i = 0; i < 6; i++) {
		buf[i] = (uint8_t)(0x02 + i);
		buf[6 + i] = (uint8_t)(0x12 + i);
	}
	for (i = 0; i < t->nvlan; i++) {
		uint16_t tpid = t->tpid[i] ? t->tpid[i] :
			(t->nvlan == 2 && i == 0 ? 0x88a8 : 0x8100);

		put16(buf + off, tpid);
		put16(buf + off + 2, t->vid[i]);
		off += 4;
	}
	put16(buf + off, 0x0800);
	off += 2;
	ip = buf + off;
	if (t->raw_l4)
		l4hl = 0;
	else if (t->proto == 6)
		l4hl = 20;
	else if (t->proto == 17 || t->proto == 1)
		l4hl = 8;
	else
		l4hl = 0;
	tot = (uint16_t)(ihl + l4hl + t->plen);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	ip[1] = t->tos;
	put16(ip + 2, tot);
	put16(ip + 4, t->id);
	put16(ip + 6, t->frag);
	ip[8] = t->ttl ? t->ttl : 64;
	ip[9] = t->proto;
	put32(ip + 12, t->src);
	put32(ip + 16, t->dst);
	/* Options: a record-route-shaped run of NOPs ended by EOL. */
	for (i = 0; i < t->opt_len; i++)
		ip[20 + i] = i + 1 == t->opt_len ? 0 : 1;
	put16(ip + 10, (uint16_t)~tp_fold(tp_sum(ip, ihl, 0)));
	l4 = ip + ihl;
	if (t->plen)
		memcpy(l4 + l4hl, t->payload, t->plen);
	if (l4hl == 0)
		return (uint16_t)(off + tot);
	if (t->proto == 6) {
		put16(l4, t->sport);
		put16(l4 + 2, t->dport);
		put32(l4 + 4, t->seq);
		put32(l4 + 8, t->ack);
		l4[12] = 5 << 4;
		l4[13] = t->flags;
		put16(l4 + 14, t->win ? t->win : 64240);
		put16(l4 + 16, (uint16_t)~tp_fold(tp_sum(l4, tot - ihl, pseudo(ip, 6, tot - ihl))));
	} else if (t->proto == 17) {
		put16(l4, t->sport);
		put16(l4 + 2, t->dport);
		put16(l4 + 4, (uint16_t)(tot - ihl));
		if (!t->udp_no_csum) {
			uint16_t c = (uint16_t)~tp_fold(tp_sum(l4, tot - ihl, pseudo(ip, 17, tot - ihl)));

			put16(l4 + 6, c ? c : 0xffff);
		}
	} else {
		l4[0] = t->icmp_type;
		l4[1] = t->icmp_code;
		put16(l4 + 4, t->icmp_id);
		put16(l4 + 6, t->icmp_seq);
		put16(l4 + 2, (uint16_t)~tp_fold(tp_sum(l4, tot - ihl, 0)));
	}
	return (uint16_t)(off + tot);
}

uint16_t
tp_l3(const uint8_t *frame)
{
	uint16_t off = 12;

	while (tp_get16(frame + off) == 0x8100 || tp_get16(frame + off) == 0x88a8 ||
			tp_get16(frame + off) == 0x9100)
		off += 4;
	return (uint16_t)(off + 2);
}

uint16_t
tp_l4(const uint8_t *frame)
{
	uint16_t l3 = tp_l3(frame);

	return (uint16_t)(l3 + (frame[l3] & 0x0f) * 4);
}

uint32_t
tp_ip_src(const uint8_t *frame)
{
	return tp_get32(frame + tp_l3(frame) + 12);
}

uint32_t
tp_ip_dst(const uint8_t *frame)
{
	return tp_get32(frame + tp_l3(frame) + 16);
}

/* Verify an IPv4 packet of @p avail bytes at @p ip; @p quoted: inside an ICMP
 * error, where the packet may be cut short. */
static int
verify_ip(const uint8_t *ip, size_t avail, bool quoted, char *why, size_t n)
{
	uint16_t ihl, tot, frag, l4len;
	const uint8_t *l4;
	uint8_t proto;

	if (avail < 20 || (ip[0] >> 4) != 4) {
		snprintf(why, n, "%sno IPv4 header", quoted ? "quote: " : "");
		return -1;
	}
	ihl = (uint16_t)((ip[0] & 0x0f) * 4);
	tot = tp_get16(ip + 2);
	if (ihl < 20 || ihl > avail) {
		snprintf(why, n, "%sbad IHL", quoted ? "quote: " : "");
		return -1;
	}
	if (tp_fold(tp_sum(ip, ihl, 0)) != 0xffff) {
		snprintf(why, n, "%sIPv4 header checksum 0x%04x wrong", quoted ? "quote: " : "",
			tp_get16(ip + 10));
		return -1;
	}
	if (!quoted && tot > avail) {
		snprintf(why, n, "total length %u beyond the frame", tot);
		return -1;
	}
	frag = tp_get16(ip + 6);
	if (frag & 0x3fff)
		return 0; /* a fragment's transport checksum covers the whole datagram */
	if (quoted && tot > avail)
		return 0; /* cut short: the quoted transport checksum cannot be checked */
	proto = ip[9];
	l4 = ip + ihl;
	l4len = (uint16_t)(tot - ihl);
	if (proto == 6 && l4len >= 20) {
		if (tp_fold(tp_sum(l4, l4len, pseudo(ip, 6, l4len))) != 0xffff) {
			snprintf(why, n, "%sTCP checksum 0x%04x wrong", quoted ? "quote: " : "",
				tp_get16(l4 + 16));
			return -1;
		}
	} else if (proto == 17 && l4len >= 8) {
		if (tp_get16(l4 + 6) != 0 &&
				tp_fold(tp_sum(l4, l4len, pseudo(ip, 17, l4len))) != 0xffff) {
			snprintf(why, n, "%sUDP checksum 0x%04x wrong", quoted ? "quote: " : "",
				tp_get16(l4 + 6));
			return -1;
		}
	} else if (proto == 1 && l4len >= 8) {
		if (tp_fold(tp_sum(l4, l4len, 0)) != 0xffff) {
			snprintf(why, n, "%sICMP checksum 0x%04x wrong", quoted ? "quote: " : "",
				tp_get16(l4 + 2));
			return -1;
		}
		if (!quoted && (l4[0] == 3 || l4[0] == 11 || l4[0] == 12))
			return verify_ip(l4 + 8, l4len - 8u, true, why, n);
	}
	return 0;
}

int
tp_verify(const uint8_t *frame, uint16_t len, char *why, size_t n)
{
	uint16_t l3 = tp_l3(frame);

	if (l3 >= len) {
		snprintf(why, n, "frame too short");
		return -1;
	}
	return verify_ip(frame + l3, (size_t)(len - l3), false, why, n);
}

static struct rte_mempool *pool;

/* With --no-shconf the runtime directory stays empty but is still made: remove
 * it at exit, so that test runs leave nothing in /var/run/dpdk. */
static char runtime_dir[256];

static void
remove_runtime_dir(void)
{
	if (runtime_dir[0])
		rmdir(runtime_dir);
}

void
natgw_test_eal(void)
{
	static bool up;
	char prefix[64];
	char *args[] = {
		"natgw-test", "--no-huge", "-m", "768", "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "-l", "0", "--no-telemetry",
		"--log-level", "lib.eal:error", NULL,
	};

	if (up)
		return;
	snprintf(prefix, sizeof(prefix), "natgw-test-%ld", (long)getpid());
	if (rte_eal_init((int)(sizeof(args) / sizeof(args[0])) - 1, args) < 0) {
		fprintf(stderr, "natgw-test: EAL initialisation failed\n");
		exit(1);
	}
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	atexit(remove_runtime_dir);
	up = true;
}

size_t
natgw_test_heap_used(void)
{
	struct rte_malloc_socket_stats s;

	rte_malloc_get_socket_stats(0, &s);
	return s.heap_allocsz_bytes;
}

struct rte_mempool *
natgw_test_pool(void)
{
	natgw_test_eal();
	if (pool == NULL) {
		pool = rte_pktmbuf_pool_create("natgw_test", 4095, 0, 0,
			2048 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
		if (pool == NULL) {
			fprintf(stderr, "natgw-test: cannot make the mbuf pool\n");
			exit(1);
		}
	}
	return pool;
}

struct rte_mbuf *
tp_mbuf(const uint8_t *frame, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(natgw_test_pool());

	if (m == NULL)
		return NULL;
	memcpy(rte_pktmbuf_append(m, len), frame, len);
	return m;
}

const char *
natgw_test_temp_file(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/natgw-test-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

int
natgw_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
