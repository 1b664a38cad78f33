/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the names natgw learns from traffic (lib/dstclass): DNS
 * responses and TLS ClientHellos, straight from the packets of any host
 * behind the NAT. The first byte chooses: even, the rest is a DNS message;
 * odd, a TCP payload. Every address taught is classified afterwards, and a
 * name given back must be a short lower-case host name.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "natgw_dstclass.h"
#include "natgw_test.h"

static void
check_name(const struct natgw_dst_result *r)
{
	size_t i, n;

	if (r->name == NULL)
		return;
	n = strlen(r->name);
	if (n == 0 || n >= NATGW_DST_NAME_MAX)
		goto bad;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)r->name[i]) && !isdigit((unsigned char)r->name[i]) &&
				strchr("-._", r->name[i]) == NULL)
			goto bad;
	return;
bad:
	fprintf(stderr, "fuzz_learn: name \"%s\" given back\n", r->name);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct natgw_dst *d;
	struct natgw_dst_result r;
	uint32_t ip;

	if (size < 1)
		return 0;
	if (d == NULL) {
		natgw_test_eal();
		/* Few slots, so that eviction runs too. */
		d = natgw_dst_create("fuzz", 8, -1, NULL);
		if (d == NULL)
			abort();
	}
	if (data[0] & 1) {
		ip = 0x0700000a;
		(void)natgw_dst_learn_sni(d, ip, data + 1, size - 1);
		natgw_dst_classify(d, ip, &r);
		check_name(&r);
	} else if (natgw_dst_learn_dns(d, data + 1, size - 1) > 0) {
		/* Whatever the message taught: its A records' addresses are in it. */
		size_t i;

		for (i = 1; i + 4 <= size; i++) {
			memcpy(&ip, data + i, 4);
			natgw_dst_classify(d, ip, &r);
			check_name(&r);
		}
	}
	if (natgw_dst_count(d) > 8)
		abort();
	return 0;
}
