/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rates on the wire from packets a second and the frame length DPDK counts
 * (without the FCS): what a link carries at layer 2 and at layer 1.
 */
#include "natgw_lab.h"

/* Frame check sequence: on the wire, not in DPDK's byte counts. */
#define FCS_LEN 4
/* Preamble and start-of-frame delimiter (8) and the minimum inter-frame gap (12). */
#define L1_OVERHEAD 20

double
natgw_rate_l2_bps(double pps, double mean_frame_len)
{
	return pps * (mean_frame_len + FCS_LEN) * 8;
}

double
natgw_rate_l1_bps(double pps, double mean_frame_len)
{
	return pps * (mean_frame_len + FCS_LEN + L1_OVERHEAD) * 8;
}
