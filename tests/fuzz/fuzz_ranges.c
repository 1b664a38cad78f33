/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: AWS's ip-ranges.json reader (lib/dstclass
 * natgw_dst_ranges_load) on a file made from the input; a table that loads
 * is looked up and its regions named.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "natgw_dstclass.h"
#include "natgw_test.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t ips[] = { 0x0100000a, 0x0400030d, 0xffffffff, 0 };
	struct natgw_dst_ranges *r;
	char err[512];
	unsigned int i;

	natgw_test_eal();
	r = natgw_dst_ranges_load(fuzz_file(data, size), err, sizeof(err));
	if (r == NULL)
		return 0;
	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		uint8_t region;
		unsigned int svc = natgw_dst_ranges_lookup(r, ips[i], &region);

		if (svc >= natgw_dst_n_services())
			abort();
		(void)natgw_dst_region_name(r, region);
	}
	(void)natgw_dst_region_index(r, "us-east-1");
	(void)natgw_dst_ranges_date(r);
	natgw_dst_ranges_free(r);
	return 0;
}
