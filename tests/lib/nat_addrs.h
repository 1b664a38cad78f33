/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT engine's tests (test_nat) and its fuzz target (fuzz_nat) share one
 * world: virtual time and the addresses of its gateway, hosts and servers.
 */
#ifndef NATGW_TEST_NAT_ADDRS_H
#define NATGW_TEST_NAT_ADDRS_H

#define NS 1000000000ull
/* Virtual time starts well after 0 so that "the deadline is before now"
 * never hides behind an unsigned wrap. */
#define T0 (1000 * NS)

/* Addresses, host order. */
#define PUB    0xcb00710au /* 203.0.113.10 */
#define PUB2   0xcb00710bu /* 203.0.113.11 */
#define PRIV   0x0a000005u /* 10.0.0.5 */
#define PRIV2  0x0a000006u /* 10.0.0.6 */
#define REM    0xc0000207u /* 192.0.2.7 */
#define REM2   0xc6336409u /* 198.51.100.9 */

#endif
