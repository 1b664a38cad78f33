/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT's two readings of a frame must agree: natgw_pkt_common (the fast
 * path's, inline) accepts exactly the frames natgw_pkt_parse finds to be
 * untagged IPv4 without options, not a fragment, TCP or UDP, TTL above 1 and
 * within the MTU, and reads the same key, length and TCP flags from them.
 * Checked on every frame test_pkt parses and every frame fuzz_nat feeds.
 */
#ifndef NATGW_TEST_PKT_AGREE_H
#define NATGW_TEST_PKT_AGREE_H

#include <stdio.h>
#include <string.h>

#include "natgw_pkt.h"

/* @return 0 if the two agree on @p frame; -1 with the difference in @p why. */
static inline int
pkt_common_agrees(const uint8_t *frame, uint32_t len, uint16_t mtu, char *why, size_t n)
{
	struct natgw_pkt_info pi;
	uint64_t kw[2] = {0, 0}, pw[2];
	uint16_t ip_len = 0;
	uint8_t fl = 0;
	bool common = natgw_pkt_common(frame, len, mtu, kw, &ip_len, &fl);
	enum natgw_drop r = natgw_pkt_parse(frame, len, &pi);
	bool shape = r == NATGW_DROP_NONE && pi.flags == 0 && pi.l3_off == 14 &&
		pi.l4_off == 34 && (pi.key.proto == 6 || pi.key.proto == 17) &&
		frame[14 + 8] > 1 && pi.ip_len <= mtu;

	if (common != shape) {
		snprintf(why, n, "natgw_pkt_common %s a frame natgw_pkt_parse reads as %s "
			"(flags %#x, l3 %u, l4 %u, protocol %u)", common ? "takes" : "turns down",
			natgw_drop_name(r), pi.flags, pi.l3_off, pi.l4_off, pi.key.proto);
		return -1;
	}
	if (!common)
		return 0;
	memcpy(pw, &pi.key, sizeof(pw));
	pw[1] &= 0xffffffffffull;
	if (kw[0] != pw[0] || kw[1] != pw[1] || ip_len != pi.ip_len || fl != pi.tcp_flags) {
		snprintf(why, n, "natgw_pkt_common reads key %016llx %010llx, length %u, flags %#x; "
			"natgw_pkt_parse %016llx %010llx, %u, %#x",
			(unsigned long long)kw[0], (unsigned long long)kw[1], ip_len, fl,
			(unsigned long long)pw[0], (unsigned long long)pw[1], pi.ip_len,
			pi.tcp_flags);
		return -1;
	}
	return 0;
}

#endif
