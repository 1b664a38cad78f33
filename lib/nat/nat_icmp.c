/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets the fast path does not precompute: ICMP errors, whose quoted packet is
 * translated back along with the outer header (RFC 5508 REQ-4), and the RSTs the
 * `aws` profile sends to the inside for connections it no longer knows.
 */
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_tcp.h>

#include "natgw_csum.h"
#include "nat_private.h"

enum natgw_drop
nat_icmp_error_xlate(struct natgw_nat *nat, enum natgw_side side, uint8_t *frame,
		const struct natgw_pkt_info *pi, const struct nat_session *s)
{
	bool in = side == NATGW_SIDE_OUTSIDE; /* travelling towards the inside */
	uint8_t *ip = frame + pi->l3_off;
	uint16_t ttlw = natgw_rd16(ip + 8);

	RTE_SET_USED(nat);
	natgw_pkt_rewrite(frame, pi, in, in ? s->in_ip : s->pub_ip,
		in ? s->in_port : s->pub_port);
	ip[8]--;
	memcpy(ip + 10, &(uint16_t){natgw_csum_apply(natgw_rd16(ip + 10),
		natgw_csum_delta16(ttlw, natgw_rd16(ip + 8)))}, 2);
	return NATGW_DROP_NONE;
}

/* A packet the NAT makes goes back where @p frame came from: swap the MACs
 * and write a fresh IPv4 header (no options, TTL 64) from @p src to @p dst. */
static void
made_headers(uint8_t *frame, uint8_t *ip, uint16_t tot, uint16_t frag, uint8_t proto,
		uint32_t src, uint32_t dst)
{
	uint8_t mac[6];

	memcpy(mac, frame, 6);
	memcpy(frame, frame + 6, 6);
	memcpy(frame + 6, mac, 6);
	ip[0] = 0x45;
	ip[1] = 0;
	memcpy(ip + 2, &(uint16_t){rte_cpu_to_be_16(tot)}, 2);
	memset(ip + 4, 0, 2);
	memcpy(ip + 6, &(uint16_t){rte_cpu_to_be_16(frag)}, 2);
	ip[8] = 64;
	ip[9] = proto;
	memset(ip + 10, 0, 2);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	memcpy(ip + 10, &(uint16_t){natgw_csum_raw(ip, 20, 0)}, 2);
}

void
nat_make_rst(uint8_t *frame, struct natgw_pkt_info *pi, uint16_t *len)
{
	uint8_t *ip = frame + pi->l3_off, *th = frame + pi->l4_off;
	uint8_t fl = pi->tcp_flags;
	uint32_t src = natgw_rd32(ip + 12), dst = natgw_rd32(ip + 16), seq, ack;
	uint16_t sport = natgw_rd16(th), dport = natgw_rd16(th + 2);
	uint16_t ihl = (ip[0] & 0x0f) * 4, doff = (th[12] >> 4) * 4;
	uint32_t seglen = pi->ip_len - ihl - doff;
	uint8_t *nth;

	memcpy(&seq, th + 4, 4);
	memcpy(&ack, th + 8, 4);
	seq = rte_be_to_cpu_32(seq);
	ack = rte_be_to_cpu_32(ack);
	/* Answer from where the packet was going (RFC 9293 section 3.10.7.1):
	 * with its ACK as our sequence number, or acknowledging what it sent. */
	made_headers(frame, ip, 40, 0x4000, IPPROTO_TCP, dst, src);
	nth = ip + 20;
	memcpy(nth, &dport, 2);
	memcpy(nth + 2, &sport, 2);
	if (fl & RTE_TCP_ACK_FLAG) {
		memcpy(nth + 4, &(uint32_t){rte_cpu_to_be_32(ack)}, 4);
		memset(nth + 8, 0, 4);
		nth[13] = RTE_TCP_RST_FLAG;
	} else {
		seglen += !!(fl & RTE_TCP_SYN_FLAG) + !!(fl & RTE_TCP_FIN_FLAG);
		memset(nth + 4, 0, 4);
		memcpy(nth + 8, &(uint32_t){rte_cpu_to_be_32(seq + seglen)}, 4);
		nth[13] = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	nth[12] = 5 << 4;
	memset(nth + 14, 0, 6); /* window, checksum, urgent pointer */
	memcpy(nth + 16, &(uint16_t){natgw_csum_raw(nth, 20,
		natgw_csum_pseudo(ip, IPPROTO_TCP, 20))}, 2);
	pi->ip_len = 40;
	*len = (uint16_t)(pi->l3_off + 40);
}

void
nat_make_icmp_err(uint8_t *frame, struct natgw_pkt_info *pi, uint16_t *len, uint32_t src,
		uint8_t type, uint8_t code, uint16_t mtu)
{
	uint8_t *ip = frame + pi->l3_off, *ic = ip + 20;
	uint32_t dst = natgw_rd32(ip + 12);
	/* The packet quoted from its IP header on, as much as keeps the error
	 * within 576 bytes (RFC 1812 section 4.3.2.3); the caller's packet is
	 * longer than that, so the error is made in its place. */
	uint16_t q = (uint16_t)RTE_MIN(pi->ip_len, 576u - 28u), tot = (uint16_t)(28 + q);

	memmove(ip + 28, ip, q);
	made_headers(frame, ip, tot, 0, IPPROTO_ICMP, src, dst);
	ic[0] = type;
	ic[1] = code;
	memset(ic + 2, 0, 4);
	/* RFC 1191: the next hop's MTU in the low half of the unused word. */
	memcpy(ic + 6, &(uint16_t){rte_cpu_to_be_16(mtu)}, 2);
	memcpy(ic + 2, &(uint16_t){natgw_csum_raw(ic, (uint32_t)(8 + q), 0)}, 2);
	pi->ip_len = tot;
	*len = (uint16_t)(pi->l3_off + tot);
}
