/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the price file (lib/cost natgw_cost_prices_load) and the
 * --price KEY=NUMBER overrides (natgw_cost_prices_set). The input is a
 * price file; if it starts with '=' its lines are overrides applied to the
 * defaults instead. Loaded prices are written back as JSON and must load
 * again to the same prices.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "natgw_cost.h"

static void
round_trip(const struct natgw_cost_prices *p)
{
	struct natgw_cost_prices q;
	char err[512], *text;
	json_t *j;

	if (natgw_cost_prices_json(p, &j) != 0)
		abort();
	text = json_dumps(j, JSON_REAL_PRECISION(17));
	json_decref(j);
	if (text == NULL)
		abort();
	if (natgw_cost_prices_load(&q, fuzz_file((const uint8_t *)text, strlen(text)), err,
			sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_prices: its own JSON does not load: %s\n%s\n", err, text);
		abort();
	}
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct natgw_cost_prices p;
	char err[512];

	if (size && data[0] == '=') {
		char *s = strdup(fuzz_string(data + 1, size - 1)), *line, *save = NULL;

		if (s == NULL)
			abort();
		natgw_cost_prices_defaults(&p);
		for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			(void)natgw_cost_prices_set(&p, line, err, sizeof(err));
		free(s);
		round_trip(&p);
		return 0;
	}
	if (natgw_cost_prices_load(&p, fuzz_file(data, size), err, sizeof(err)) == 0)
		round_trip(&p);
	return 0;
}
