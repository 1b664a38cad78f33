/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the Check suites share: building frames field by field (with correct
 * checksums computed from scratch, never by the code under test), verifying
 * every checksum of a frame independently, and a DPDK EAL without hugepages.
 */
#ifndef NATGW_TEST_H
#define NATGW_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;
struct rte_mempool;
struct Suite;

/* A frame to build. Addresses and ports in host order; zero fields mean the
 * obvious default (TTL 64, no VLAN, no options). */
struct tp {
	unsigned int nvlan;  /* 0, 1 or 2 tags */
	uint16_t tpid[2];    /* outer first; 0: 0x8100 (0x88a8 outer of two) */
	uint16_t vid[2];
	uint32_t src, dst;
	uint8_t proto;       /* 6, 17, 1, or anything (payload only) */
	uint8_t ttl;         /* 0: 64 */
	uint8_t tos;
	uint16_t id;
	uint16_t frag;       /* flags and offset field as sent (host order) */
	uint8_t opt_len;     /* bytes of IPv4 options (multiple of 4, <= 40) */
	uint16_t sport, dport;
	uint8_t flags;       /* TCP flags */
	uint32_t seq, ack;
	uint16_t win;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq; /* the 4 bytes after the ICMP checksum */
	const void *payload;
	uint16_t plen;
	bool udp_no_csum;    /* UDP checksum 0: none */
	bool raw_l4;         /* payload is the whole L4 (fragments, odd protos) */
};

/* Build @p t into @p buf (at least 2048 bytes); @return the frame length. */
uint16_t tp_build(uint8_t *buf, const struct tp *t);

/* Offset of the IPv4 header in an Ethernet frame (after any VLAN tags). */
uint16_t tp_l3(const uint8_t *frame);
/* Offset of the transport header. */
uint16_t tp_l4(const uint8_t *frame);

/* Read fields of the outer IPv4 packet, host order. */
uint32_t tp_ip_src(const uint8_t *frame);
uint32_t tp_ip_dst(const uint8_t *frame);
uint16_t tp_get16(const uint8_t *p);
uint32_t tp_get32(const uint8_t *p);

/* RFC 1071 the long way: the ones'-complement sum of big-endian 16-bit words
 * of @p n bytes (an odd last byte padded) added to @p s, not folded... */
uint32_t tp_sum(const uint8_t *p, size_t n, uint32_t s);
/* ...folded to 16 bits (not complemented). */
uint16_t tp_fold(uint32_t s);

/*
 * Check every checksum in @p frame from scratch: IPv4 header, the transport
 * checksum over the whole datagram (unless it is a fragment), and for an
 * ICMP error the quoted IPv4 header's and, where the quote is whole, the
 * quoted transport checksum.
 * @return 0, or -1 with what is wrong in @p why.
 */
int tp_verify(const uint8_t *frame, uint16_t len, char *why, size_t n);

/* Bring up the EAL once: no hugepages, no PCI, a private file prefix. */
void natgw_test_eal(void);
/* Bytes of DPDK's heap in use on socket 0 (what a structure took: after minus
 * before). */
size_t natgw_test_heap_used(void);
/* A pool of buffers big enough for any frame the tests build. */
struct rte_mempool *natgw_test_pool(void);
/* A buffer holding a copy of @p frame. */
struct rte_mbuf *tp_mbuf(const uint8_t *frame, uint16_t len);

/* Write @p text to a new file /tmp/natgw-test-XXXXXX (the caller unlinks it);
 * @return its path, in a static buffer that the next call overwrites. */
const char *natgw_test_temp_file(const char *text);

/* Run a suite without forking (the EAL is set up once per process); @return
 * the process exit status. */
int natgw_test_run(struct Suite *s);

#endif
