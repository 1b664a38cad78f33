/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame parsing: find and validate IPv4 and its transport header, or say why not. */
#include <string.h>
#include <netinet/in.h>
#include <rte_branch_prediction.h>
#include <rte_byteorder.h>

#include "natgw_pkt.h"
#include "natgw_csum.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100

static const char *const drop_names[NATGW_DROP_MAX] = {
#define NATGW_DROP_NAME(name, counted) #name,
	NATGW_DROP_REASONS(NATGW_DROP_NAME)
#undef NATGW_DROP_NAME
};

static const bool drop_counted[NATGW_DROP_MAX] = {
#define NATGW_DROP_COUNTED(name, counted) counted,
	NATGW_DROP_REASONS(NATGW_DROP_COUNTED)
#undef NATGW_DROP_COUNTED
};

const char *
natgw_drop_name(enum natgw_drop r)
{
	if (r < 0 || r >= NATGW_DROP_MAX)
		return "none";
	return drop_names[r];
}

bool
natgw_drop_counted(enum natgw_drop r)
{
	return r >= 0 && r < NATGW_DROP_MAX && drop_counted[r];
}

uint16_t
natgw_csum_raw(const void *data, uint32_t len, uint32_t initial)
{
	const uint8_t *p = data;
	uint64_t sum = initial;
	uint16_t w;

	for (; len >= 2; len -= 2, p += 2) {
		memcpy(&w, p, 2);
		sum += w;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, 1);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

bool
natgw_icmp_is_error(uint8_t type)
{
	/* Destination unreachable, time exceeded, parameter problem (RFC 5508 REQ-3).
	 * Source quench is deprecated (RFC 6633) and redirects must not cross a NAT. */
	return type == 3 || type == 11 || type == 12;
}

/* ICMP queries the NAT maps by identifier (RFC 5508 REQ-1 asks for echo; the
 * timestamp pair has the same layout). */
static int
icmp_query_kind(uint8_t type)
{
	switch (type) {
	case 8:
	case 13:
		return 1; /* request */
	case 0:
	case 14:
		return 2; /* reply */
	default:
		return 0;
	}
}

/*
 * Parse the packet an ICMP error quotes, at @p q with @p avail bytes up to the
 * end of the outer IP packet, into the mirrored key of the flow it belongs to.
 */
static enum natgw_drop
parse_quote(const uint8_t *frame, uint16_t q, uint16_t end, struct natgw_pkt_info *pi)
{
	const uint8_t *ip = frame + q;
	uint16_t avail = end - q, ihl, l4;
	uint8_t proto;
	struct natgw_flow_key *k = &pi->key;

	if (avail < 20 || (ip[0] >> 4) != 4)
		return NATGW_DROP_icmp_err_truncated;
	ihl = (ip[0] & 0x0f) * 4;
	/* RFC 792: the quote holds the IP header and at least 64 bits of data,
	 * which is where ports and ICMP identifiers live. */
	if (ihl < 20 || avail < ihl + 8)
		return NATGW_DROP_icmp_err_truncated;
	/* A quoted non-first fragment carries no ports to find its flow by. */
	if (natgw_rd16(ip + 6) & rte_cpu_to_be_16(0x1fff))
		return NATGW_DROP_icmp_err_no_session;
	proto = ip[9];
	l4 = q + ihl;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		k->src_port = natgw_rd16(frame + l4 + 2);
		k->dst_port = natgw_rd16(frame + l4);
		break;
	case IPPROTO_ICMP: {
		int kind = icmp_query_kind(frame[l4]);

		if (kind == 0)
			return NATGW_DROP_icmp_err_no_session;
		/* Requests carry the id as the asker's port; mirrored, a quoted
		 * request reads like a reply. */
		k->src_port = kind == 1 ? 0 : natgw_rd16(frame + l4 + 4);
		k->dst_port = kind == 1 ? natgw_rd16(frame + l4 + 4) : 0;
		break;
	}
	default:
		return NATGW_DROP_icmp_err_no_session;
	}
	/* Only now the key becomes the quote's, mirrored (the error travels
	 * against the quoted packet): a drop above keeps the outer addresses. */
	k->proto = proto;
	k->src_ip = natgw_rd32(ip + 16);
	k->dst_ip = natgw_rd32(ip + 12);
	pi->inner_l3_off = q;
	pi->inner_l4_off = l4;
	pi->inner_end = end;
	{
		uint16_t cs = natgw_l4_csum_off(proto);

		if (l4 + cs + 2 <= end)
			pi->flags |= NATGW_PKT_F_INNER_L4CS;
	}
	pi->flags |= NATGW_PKT_F_ICMP_ERR;
	return NATGW_DROP_NONE;
}

/* Walk the L2 header(s) to a structurally sound IPv4 header (checksum not
 * checked): its offset, header length and total length. */
static enum natgw_drop
find_ipv4(const uint8_t *frame, uint32_t len, uint32_t *l3, uint16_t *ihl_out,
		uint16_t *tot_out)
{
	uint32_t off = ETH_HLEN;
	uint16_t et, ihl, tot;
	const uint8_t *ip;
	int vlans = 0;

	if (len < ETH_HLEN)
		return NATGW_DROP_eth_truncated;
	et = rte_be_to_cpu_16(natgw_rd16(frame + 12));
	while (et == ETHERTYPE_VLAN || et == ETHERTYPE_QINQ || et == ETHERTYPE_QINQ_OLD) {
		if (++vlans > 2 || len < off + VLAN_HLEN)
			return NATGW_DROP_eth_truncated;
		et = rte_be_to_cpu_16(natgw_rd16(frame + off + 2));
		off += VLAN_HLEN;
	}
	if (et == ETHERTYPE_IPV6)
		return NATGW_DROP_ipv6;
	if (et != ETHERTYPE_IPV4)
		return NATGW_DROP_not_ip;
	if (len < off + 20)
		return NATGW_DROP_ip_truncated;
	ip = frame + off;
	if ((ip[0] >> 4) != 4)
		return NATGW_DROP_ip_bad_version;
	ihl = (ip[0] & 0x0f) * 4;
	if (ihl < 20 || off + ihl > len)
		return NATGW_DROP_ip_bad_ihl;
	tot = rte_be_to_cpu_16(natgw_rd16(ip + 2));
	if (tot < ihl || off + tot > len)
		return NATGW_DROP_ip_bad_total_length;
	*l3 = off;
	*ihl_out = ihl;
	*tot_out = tot;
	return NATGW_DROP_NONE;
}

/* Recompute the checksum field at @p field over @p n bytes at @p data, seeded
 * with @p seed; @return whether it changed. */
static bool
refill(uint8_t *field, const uint8_t *data, uint32_t n, uint32_t seed, bool udp)
{
	uint16_t old = natgw_rd16(field), cs;

	memset(field, 0, 2);
	cs = natgw_csum_raw(data, n, seed);
	/* UDP sends a computed 0 as 0xffff: 0 means "no checksum". */
	if (udp && cs == 0)
		cs = 0xffff;
	memcpy(field, &cs, 2);
	return cs != old;
}

int
natgw_pkt_csum_fill(uint8_t *frame, uint32_t len)
{
	uint32_t off;
	uint16_t ihl, tot, l4len, at, min;
	uint8_t *ip, *l4, proto;
	bool changed;

	if (find_ipv4(frame, len, &off, &ihl, &tot) != NATGW_DROP_NONE)
		return -1;
	ip = frame + off;
	changed = refill(ip + 10, ip, ihl, 0, false);
	/* A fragment's transport checksum covers the whole datagram, which no
	 * single fragment holds. */
	if (natgw_rd16(ip + 6) & rte_cpu_to_be_16(0x3fff))
		return changed;
	proto = ip[9];
	l4 = ip + ihl;
	l4len = tot - ihl;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_ICMP)
		return changed;
	at = natgw_l4_csum_off(proto);
	min = proto == IPPROTO_TCP ? 20 : 8;
	/* Too short to hold one; or UDP's 0, "no checksum", the sender's choice. */
	if (l4len < min || (proto == IPPROTO_UDP && natgw_rd16(l4 + at) == 0))
		return changed;
	/* ICMP's checksum has no pseudo-header. */
	return refill(l4 + at, l4, l4len, proto == IPPROTO_ICMP ? 0 :
		natgw_csum_pseudo(ip, proto, l4len), proto == IPPROTO_UDP) || changed;
}

/* The full parse: every header layout, every drop reason. */
static enum natgw_drop
parse_full(const uint8_t *frame, uint32_t len, struct natgw_pkt_info *pi)
{
	uint32_t off;
	uint16_t ihl, tot, frag, l4, l4len;
	const uint8_t *ip;
	struct natgw_flow_key *k = &pi->key;
	enum natgw_drop why;

	memset(pi, 0, sizeof(*pi));
	why = find_ipv4(frame, len, &off, &ihl, &tot);
	if (why != NATGW_DROP_NONE)
		return why;
	ip = frame + off;
	pi->l3_off = (uint16_t)off;
	pi->ip_len = tot;
	pi->ip_id = natgw_rd16(ip + 4);
	k->src_ip = natgw_rd32(ip + 12);
	k->dst_ip = natgw_rd32(ip + 16);
	k->proto = ip[9];
	if (natgw_csum_raw(ip, ihl, 0) != 0)
		return NATGW_DROP_ip_bad_checksum;

	frag = rte_be_to_cpu_16(natgw_rd16(ip + 6));
	if (frag & 0x3fff) {
		pi->flags |= NATGW_PKT_F_FRAG;
		if ((frag & 0x1fff) == 0)
			pi->flags |= NATGW_PKT_F_FRAG_FIRST;
	}
	if (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP && k->proto != IPPROTO_ICMP)
		return NATGW_DROP_proto_unsupported;
	l4 = (uint16_t)(off + ihl);
	pi->l4_off = l4;
	if ((pi->flags & NATGW_PKT_F_FRAG) && !(pi->flags & NATGW_PKT_F_FRAG_FIRST))
		return NATGW_DROP_NONE; /* no transport header here: tracked by fragment */
	l4len = tot - ihl;

	switch (k->proto) {
	case IPPROTO_TCP: {
		uint16_t doff;

		if (l4len < 20)
			return NATGW_DROP_l4_truncated;
		doff = (frame[l4 + 12] >> 4) * 4;
		if (doff < 20 || doff > l4len)
			return NATGW_DROP_tcp_bad_offset;
		k->src_port = natgw_rd16(frame + l4);
		k->dst_port = natgw_rd16(frame + l4 + 2);
		pi->tcp_flags = frame[l4 + 13];
		return NATGW_DROP_NONE;
	}
	case IPPROTO_UDP:
		if (l4len < 8)
			return NATGW_DROP_l4_truncated;
		k->src_port = natgw_rd16(frame + l4);
		k->dst_port = natgw_rd16(frame + l4 + 2);
		return NATGW_DROP_NONE;
	default: { /* ICMP */
		uint8_t type;
		int kind;

		if (l4len < 8)
			return NATGW_DROP_l4_truncated;
		type = frame[l4];
		if (natgw_icmp_is_error(type)) {
			/* A fragmented error has its quote cut: nothing to translate it by. */
			if (pi->flags & NATGW_PKT_F_FRAG)
				return NATGW_DROP_icmp_err_truncated;
			return parse_quote(frame, l4 + 8, (uint16_t)(off + tot), pi);
		}
		kind = icmp_query_kind(type);
		if (kind == 0)
			return NATGW_DROP_icmp_type;
		pi->flags |= NATGW_PKT_F_ICMP_QUERY;
		if (kind == 1) {
			k->src_port = natgw_rd16(frame + l4 + 4);
		} else {
			pi->flags |= NATGW_PKT_F_ICMP_REPLY;
			k->dst_port = natgw_rd16(frame + l4 + 4);
		}
		return NATGW_DROP_NONE;
	}
	}
}

/* Store a field and return the checksum delta of the change. */
static inline uint16_t
put16(uint8_t *p, uint16_t v)
{
	uint16_t old = natgw_rd16(p);

	memcpy(p, &v, 2);
	return natgw_csum_delta16(old, v);
}

static inline uint16_t
put32(uint8_t *p, uint32_t v)
{
	uint32_t old = natgw_rd32(p);

	memcpy(p, &v, 4);
	return natgw_csum_delta32(old, v);
}

/* Apply delta @p d to the checksum at @p cs of protocol @p proto; returns the
 * delta of the checksum field's own change, for a checksum that covers it. */
static inline uint16_t
fix_l4_csum(uint8_t *cs, uint8_t proto, uint16_t d)
{
	uint16_t v = proto == IPPROTO_UDP ? natgw_csum_apply_udp(natgw_rd16(cs), d) :
		natgw_csum_apply(natgw_rd16(cs), d);

	return put16(cs, v);
}

void
natgw_pkt_rewrite(uint8_t *frame, const struct natgw_pkt_info *pi, bool dst_end,
		uint32_t addr, uint16_t port)
{
	uint8_t *ip = frame + pi->l3_off, *l4 = frame + pi->l4_off;
	uint8_t proto = ip[9];
	uint16_t da = put32(ip + (dst_end ? 16 : 12), addr);

	put16(ip + 10, natgw_csum_apply(natgw_rd16(ip + 10), da));
	if ((pi->flags & (NATGW_PKT_F_FRAG | NATGW_PKT_F_FRAG_FIRST)) == NATGW_PKT_F_FRAG)
		return;
	if (pi->flags & NATGW_PKT_F_ICMP_ERR) {
		/* The quote went the other way: its mirrored end is this one. */
		uint8_t *q = frame + pi->inner_l3_off, *ql4 = frame + pi->inner_l4_off;
		uint8_t qproto = q[9];
		uint16_t dqa, dp, dicmp;

		dqa = put32(q + (dst_end ? 12 : 16), addr);
		dicmp = natgw_csum_add(dqa,
			put16(q + 10, natgw_csum_apply(natgw_rd16(q + 10), dqa)));
		dp = put16(ql4 + natgw_l4_port_off(qproto, dst_end), port);
		dicmp = natgw_csum_add(dicmp, dp);
		if (pi->flags & NATGW_PKT_F_INNER_L4CS)
			dicmp = natgw_csum_add(dicmp, fix_l4_csum(ql4 + natgw_l4_csum_off(qproto),
				qproto, qproto == IPPROTO_ICMP ? dp : natgw_csum_add(dp, dqa)));
		fix_l4_csum(l4 + 2, IPPROTO_ICMP, dicmp);
		return;
	}
	{
		uint16_t dp = put16(l4 + natgw_l4_port_off(proto, !dst_end), port);

		/* TCP and UDP checksums cover the addresses; ICMP's does not. */
		fix_l4_csum(l4 + natgw_l4_csum_off(proto), proto,
			proto == IPPROTO_ICMP ? dp : natgw_csum_add(dp, da));
	}
}

/*
 * The common case first, without a branch per rare layout: untagged Ethernet,
 * IPv4 without options, not a fragment, TCP or UDP with a whole header, a good
 * header checksum. Anything else, valid or not, goes through parse_full, which
 * finds every drop reason; what this accepts, parse_full would accept with the
 * same result.
 */
enum natgw_drop
natgw_pkt_parse(const uint8_t *frame, uint32_t len, struct natgw_pkt_info *pi)
{
	const uint8_t *ip = frame + ETH_HLEN, *l4 = ip + 20;
	uint16_t tot;
	uint8_t proto;

	if (unlikely(len < ETH_HLEN + 20 + 8 ||
			natgw_rd16(frame + 12) != rte_cpu_to_be_16(ETHERTYPE_IPV4) ||
			ip[0] != 0x45))
		return parse_full(frame, len, pi);
	tot = rte_be_to_cpu_16(natgw_rd16(ip + 2));
	proto = ip[9];
	if (unlikely(tot < 20 + 8 || ETH_HLEN + (uint32_t)tot > len ||
			(natgw_rd16(ip + 6) & rte_cpu_to_be_16(0x3fff)) != 0))
		return parse_full(frame, len, pi);
	if (proto == IPPROTO_TCP) {
		uint16_t doff = (l4[12] >> 4) * 4;

		if (unlikely(tot < 40 || doff < 20 || doff > tot - 20))
			return parse_full(frame, len, pi);
		pi->tcp_flags = l4[13];
	} else if (likely(proto == IPPROTO_UDP)) {
		pi->tcp_flags = 0;
	} else {
		return parse_full(frame, len, pi);
	}
	if (unlikely(!natgw_ip20_csum_ok(ip)))
		return parse_full(frame, len, pi);
	pi->key.src_ip = natgw_rd32(ip + 12);
	pi->key.dst_ip = natgw_rd32(ip + 16);
	pi->key.src_port = natgw_rd16(l4);
	pi->key.dst_port = natgw_rd16(l4 + 2);
	pi->key.proto = proto;
	memset(pi->key.pad, 0, sizeof(pi->key.pad));
	pi->l3_off = ETH_HLEN;
	pi->l4_off = ETH_HLEN + 20;
	pi->ip_len = tot;
	pi->ip_id = natgw_rd16(ip + 4);
	pi->flags = 0;
	pi->inner_l3_off = 0;
	pi->inner_l4_off = 0;
	pi->inner_end = 0;
	return NATGW_DROP_NONE;
}
