/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the --scale key=value parser (lib/scale). A value it
 * takes is written back (natgw_scale_conf_str) and must read back to the same
 * text; a value it refuses must leave the configuration unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "natgw_scale.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct natgw_scale_conf c, before, d;
	char err[512], a[1024], b[1024];

	natgw_scale_conf_defaults(&c);
	before = c;
	if (natgw_scale_conf_set(&c, fuzz_string(data, size), err, sizeof(err)) != 0) {
		if (memcmp(&c, &before, sizeof(c)) != 0) {
			fprintf(stderr, "fuzz_scale: refused, yet changed: %s\n", err);
			abort();
		}
		return 0;
	}
	if (natgw_scale_conf_str(&c, a, sizeof(a)) >= (int)sizeof(a))
		abort();
	natgw_scale_conf_defaults(&d);
	if (natgw_scale_conf_set(&d, a, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_scale: its own text does not read back: %s\n%s\n", err, a);
		abort();
	}
	natgw_scale_conf_str(&d, b, sizeof(b));
	if (strcmp(a, b) != 0) {
		fprintf(stderr, "fuzz_scale: read back differently:\n%s\n%s\n", a, b);
		abort();
	}
	return 0;
}
