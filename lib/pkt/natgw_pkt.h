/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Packet parsing and classification for the NAT.
 *
 * One pass over a frame finds the IPv4 header behind Ethernet and any 802.1Q /
 * 802.1ad tags, validates it, finds the transport header and, for an ICMP error,
 * the packet it quotes. The result is a flow key the session table can look up
 * directly, or the reason the frame cannot be translated. Nothing is written.
 */
#ifndef NATGW_PKT_H
#define NATGW_PKT_H

#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#include <rte_byteorder.h>

/* A frame's 16- and 32-bit fields as they are (network order), at any
 * alignment: memcpy, which compiles to one load or store. */
static inline uint16_t
natgw_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t
natgw_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline void
natgw_wr16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/*
 * Why a packet was dropped. X(name, counted): `counted` is 1 where the packet had
 * a well-formed IPv4 header, so CloudWatch counted it in PacketsIn* and, dropped,
 * in PacketsDropCount; frames that never were IPv4 (ARP, IPv6, runts) appear
 * only in the per-reason counters.
 */
#define NATGW_DROP_REASONS(X) \
	X(eth_truncated, 0)       /* frame shorter than its L2 header(s) */ \
	X(not_ip, 0)              /* ARP, LLDP, any other ethertype */ \
	X(ipv6, 0)                /* IPv6 is not translated */ \
	X(ip_truncated, 0)        /* frame shorter than an IPv4 header */ \
	X(ip_bad_version, 0)      /* ethertype IPv4, version field not 4 */ \
	X(ip_bad_ihl, 0)          /* IHL < 5 or beyond the frame */ \
	X(ip_bad_total_length, 0) /* total length < IHL or beyond the frame */ \
	X(ip_bad_checksum, 1)     /* IPv4 header checksum wrong */ \
	X(ttl_exceeded, 1)        /* TTL would reach 0 on forwarding */ \
	X(mtu_exceeded, 1)        /* larger than the gateway's MTU */ \
	X(l4_truncated, 1)        /* TCP/UDP/ICMP header cut short */ \
	X(tcp_bad_offset, 1)      /* TCP data offset < 5 or beyond the packet */ \
	X(proto_unsupported, 1)   /* not TCP, UDP or ICMP */ \
	X(icmp_type, 1)           /* ICMP type the NAT does not translate */ \
	X(icmp_err_truncated, 1)  /* ICMP error quoting too little to identify */ \
	X(icmp_err_no_session, 1) /* ICMP error about no known session */ \
	X(frag_proto, 1)          /* fragment of a protocol the profile drops */ \
	X(frag_no_session, 1)     /* non-first fragment before its first */ \
	X(src_not_inside, 1)      /* inside packet from outside the inside nets */ \
	X(dst_inside, 1)          /* inside packet to an inside address */ \
	X(dst_not_unicast, 1)     /* inside packet to a multicast, broadcast, loopback, \
				   * 0.0.0.0/8 or 240.0.0.0/4 address */ \
	X(hairpin, 1)             /* inside packet to the NAT's own public address */ \
	X(tcp_not_syn, 1)         /* TCP without a session that is not a SYN */ \
	X(no_session_inbound, 1)  /* unsolicited inbound, or filtered */ \
	X(port_alloc, 1)          /* ErrorPortAllocation: no public port free */ \
	X(table_full, 1)          /* session table full */ \
	X(bandwidth_ceiling, 1)   /* over the gateway's bandwidth ceiling */ \
	X(packet_rate_ceiling, 1) /* over the gateway's packet-rate ceiling */ \
	X(policy_denied, 1)       /* --enforce: a new session the egress policy denies */

/** Drop reasons, NATGW_DROP_<name>. */
enum natgw_drop {
	NATGW_DROP_NONE = -1,
#define NATGW_DROP_ENUM(name, counted) NATGW_DROP_##name,
	NATGW_DROP_REASONS(NATGW_DROP_ENUM)
#undef NATGW_DROP_ENUM
	NATGW_DROP_MAX
};

/** @return the reason's name, as it appears in reports. */
const char *natgw_drop_name(enum natgw_drop r);

/** @return true if a packet dropped for @p r counts in PacketsDropCount. */
bool natgw_drop_counted(enum natgw_drop r);

/**
 * A flow as a packet reads it: addresses and ports in network byte order, as in
 * the packet. For ICMP queries the identifier stands in for the port of the end
 * that asked: requests carry it in src_port, replies in dst_port, so a request
 * and its reply have mirrored keys like TCP and UDP do.
 */
struct natgw_flow_key {
	uint32_t src_ip;   /**< source address */
	uint32_t dst_ip;   /**< destination address */
	uint16_t src_port; /**< source port, or ICMP id of a request */
	uint16_t dst_port; /**< destination port, or ICMP id of a reply */
	uint8_t proto;     /**< IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP */
	uint8_t pad[3];    /**< zero: the key is hashed as 16 bytes */
};

/** Flags of struct natgw_pkt_info. */
#define NATGW_PKT_F_FRAG       0x01 /**< a fragment (MF set or offset non-zero) */
#define NATGW_PKT_F_FRAG_FIRST 0x02 /**< the fragment at offset 0 */
#define NATGW_PKT_F_ICMP_ERR   0x04 /**< ICMP error; key is from the quote */
#define NATGW_PKT_F_ICMP_QUERY 0x08 /**< ICMP echo/timestamp request or reply */
#define NATGW_PKT_F_ICMP_REPLY 0x10 /**< the ICMP query is a reply */
#define NATGW_PKT_F_INNER_L4CS 0x20 /**< the quoted L4 checksum is present */

/** What parsing found in a frame; offsets are from the frame's first byte. */
struct natgw_pkt_info {
	/**
	 * The key to look the packet up with. For an ICMP error it is the quoted
	 * packet's key mirrored, i.e. the key of the flow the error travels with.
	 */
	struct natgw_flow_key key;
	uint16_t l3_off;       /**< IPv4 header */
	uint16_t l4_off;       /**< transport header (first fragment only) */
	uint16_t ip_len;       /**< IPv4 total length: the IP-layer bytes */
	uint16_t ip_id;        /**< IPv4 identification, for fragment tracking */
	uint8_t flags;         /**< NATGW_PKT_F_* */
	uint8_t tcp_flags;     /**< TCP flags byte, 0 otherwise */
	uint16_t inner_l3_off; /**< ICMP error: quoted IPv4 header */
	uint16_t inner_l4_off; /**< ICMP error: quoted transport header */
	uint16_t inner_end;    /**< ICMP error: end of the quoted bytes */
};

/**
 * Parse the frame at @p frame of @p len bytes (Ethernet, up to two VLAN tags).
 *
 * The IPv4 header checksum is verified; transport checksums are not (a NAT that
 * dropped or fixed them would hide the sender's bug: it carries them through).
 *
 * @return NATGW_DROP_NONE with @p pi filled, or the reason to drop the frame.
 *   For reasons with natgw_drop_counted() true, pi->l3_off, pi->ip_len and the
 *   outer addresses in pi->key are set.
 */
enum natgw_drop natgw_pkt_parse(const uint8_t *frame, uint32_t len,
		struct natgw_pkt_info *pi);

/**
 * Recompute, from scratch, the IPv4 header checksum of the frame at @p frame
 * (@p len bytes) and, unless it is a fragment, its TCP, UDP or ICMP checksum
 * (a UDP checksum of 0, "none", is left alone). For captures taken on a host
 * whose NIC computes checksums on transmit (offload): the capture holds what
 * the host handed the NIC, not what went on the wire. The NAT itself never
 * calls this: it carries a wrong checksum through, as it arrived.
 * @return 1 if a checksum changed, 0 if all were right, -1 if the frame holds
 *   no sound IPv4 header (nothing written).
 */
int natgw_pkt_csum_fill(uint8_t *frame, uint32_t len);

/**
 * Whether the options-less IPv4 header at @p ip has a right checksum: the sum
 * of its ten 16-bit words, in ones'-complement arithmetic, is all ones (RFC
 * 1071). Summed 32 bits at a time as plain integers, the header's sum is that
 * modulo 0xffff (2^16 is 1 modulo 0xffff, and the byte order only multiplies
 * it by 256, prime to 0xffff), and never 0 (the version is there): so a right
 * checksum is a multiple of 0xffff. One multiply instead of four folds. The
 * words are loaded from the frame one by one: copied to an array, the
 * compiler bounces them through the stack, where a 16-byte store feeding
 * 4-byte loads does not forward.
 */
static inline bool
natgw_ip20_csum_ok(const uint8_t *ip)
{
	uint64_t w01, w23;
	uint32_t w4;

	memcpy(&w01, ip, 8);
	memcpy(&w23, ip + 8, 8);
	memcpy(&w4, ip + 16, 4);
	return ((w01 & 0xffffffff) + (w01 >> 32) + (w23 & 0xffffffff) + (w23 >> 32) + w4) %
		0xffff == 0;
}

/**
 * The common frame, in a few loads and without a branch per rare layout:
 * untagged Ethernet, IPv4 without options, not a fragment, TTL above 1, at
 * most @p max_ip bytes at the IP layer, TCP or UDP with a whole header, a good
 * IPv4 header checksum. Inline, for the NAT's fast path, which looks no further
 * into a frame than this; any frame it turns down goes to natgw_pkt_parse(),
 * which finds what it is. For a frame it accepts, natgw_pkt_parse() returns
 * NATGW_DROP_NONE with no flags, the same key, IP length and TCP flags, the IPv4
 * header at 14 and the transport header at 34 (tests/lib/pkt_agree.h, run by
 * test_pkt and the fuzz_nat target, holds the two to that).
 *
 * @return true with @p key, @p ip_len and @p tcp_flags (0 for UDP) set; false,
 *   with nothing set, for any other frame. @p key is the flow key as two
 *   words: the first 13 bytes of struct natgw_flow_key (addresses, ports,
 *   protocol) read as little-endian words, the rest zero.
 */
static inline bool
natgw_pkt_common(const uint8_t *frame, uint32_t len, uint16_t max_ip, uint64_t key[2],
		uint16_t *ip_len, uint8_t *tcp_flags)
{
	const uint8_t *ip = frame + 14;
	uint32_t ports;
	uint16_t et, tot, frag;
	uint8_t proto, fl = 0;

	if (len < 14 + 20 + 8)
		return false;
	et = natgw_rd16(frame + 12);
	tot = rte_be_to_cpu_16(natgw_rd16(ip + 2));
	frag = natgw_rd16(ip + 6);
	proto = ip[9];
	/* 0x0800 and 0x3fff in network order, read as host words. */
	if (et != rte_cpu_to_be_16(0x0800) || ip[0] != 0x45 || ip[8] <= 1 ||
			(frag & rte_cpu_to_be_16(0x3fff)) != 0 || tot > max_ip ||
			14u + tot > len)
		return false;
	if (proto == 6) {
		uint16_t doff = (uint16_t)((ip[20 + 12] >> 4) * 4);

		if (tot < 40 || doff < 20 || doff > tot - 20)
			return false;
		fl = ip[20 + 13];
	} else if (proto != 17 || tot < 28) {
		return false;
	}
	if (!natgw_ip20_csum_ok(ip))
		return false;
	/* Loaded as words straight from the frame: a key assembled in memory
	 * from narrower stores and read back as words would wait for the
	 * stores to retire (no store-to-load forwarding across them). */
	memcpy(&key[0], ip + 12, 8);
	memcpy(&ports, ip + 20, 4);
	key[1] = ports | (uint64_t)proto << 32;
	*ip_len = tot;
	*tcp_flags = fl;
	return true;
}

/** @return true if @p type is an ICMP error message the NAT translates. */
bool natgw_icmp_is_error(uint8_t type);

/** Transport checksum offset inside the L4 header of @p proto, or 0 if none. */
static inline uint16_t
natgw_l4_csum_off(uint8_t proto)
{
	return proto == 6 ? 16 : proto == 17 ? 6 : proto == 1 ? 2 : 0;
}

/** Byte offset, from the L4 header, of the 16-bit field that carries the port or
 * ICMP id of the flow end on side @p src (true: the source end). */
static inline uint16_t
natgw_l4_port_off(uint8_t proto, bool src)
{
	if (proto == 1)
		return 4;
	return src ? 0 : 2;
}

/**
 * Rewrite one end of a parsed packet: its source end (@p dst_end false) or its
 * destination end gets address @p addr and port (ICMP query: identifier)
 * @p port, both in network order, with every checksum the change touches
 * updated incrementally: IPv4 header, transport (with its pseudo-header), and
 * for an ICMP error the quoted packet's mirrored end, the quoted headers'
 * checksums and the ICMP checksum. A non-first fragment has only its address
 * rewritten; its transport checksum travels in the first fragment. TTL is left
 * alone.
 */
void natgw_pkt_rewrite(uint8_t *frame, const struct natgw_pkt_info *pi, bool dst_end,
		uint32_t addr, uint16_t port);

#endif /* NATGW_PKT_H */
