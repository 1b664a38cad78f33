/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the egress policy parser (lib/policy). A policy that
 * parses is evaluated for a few destinations and written back as JSON, which
 * must parse again to a policy with the same rules deciding the same way.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "natgw_policy.h"

static const struct natgw_policy_dest dests[] = {
	{ 0x0100000a, 0xbb01, IPPROTO_TCP, 0, "example.com" },
	{ 0x0701a8c0, 0x3500, IPPROTO_UDP, 1, NULL },
	{ 0x08080808, 0, IPPROTO_ICMP, 2, "s3.amazonaws.com." },
	{ 0xffffffff, 0xffff, 47, 255, "A.B.C" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct natgw_policy *p, *q;
	char err[512], *text;
	json_t *j;
	size_t i;

	p = natgw_policy_parse(fuzz_string(data, size), "fuzz", err, sizeof(err));
	if (p == NULL)
		return 0;
	if (natgw_policy_json(p, &j) != 0)
		abort();
	text = json_dumps(j, 0);
	json_decref(j);
	if (text == NULL)
		abort();
	q = natgw_policy_parse(text, "again", err, sizeof(err));
	if (q == NULL) {
		fprintf(stderr, "fuzz_policy: its own JSON does not read back: %s\n%s\n",
			err, text);
		abort();
	}
	if (natgw_policy_rule_count(p) != natgw_policy_rule_count(q))
		abort();
	for (i = 0; i < sizeof(dests) / sizeof(dests[0]); i++)
		if (natgw_policy_eval(p, &dests[i]) != natgw_policy_eval(q, &dests[i])) {
			fprintf(stderr, "fuzz_policy: read back, it decides otherwise\n%s\n", text);
			abort();
		}
	free(text);
	natgw_policy_free(q);
	natgw_policy_free(p);
	return 0;
}
