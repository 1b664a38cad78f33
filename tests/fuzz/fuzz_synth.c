/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the synthetic scenario's key=value parser (drivers/synth
 * natgw_synth_conf_parse, `natgw synth`'s and `natgw replay --synth`'s
 * options). A configuration it accepts is described and written as JSON, as
 * the commands do.
 */
#include <stdlib.h>

#include <jansson.h>

#include "fuzz.h"
#include "natgw_synth.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct natgw_synth_conf c;
	char err[512], text[1024];
	json_t *j;

	natgw_synth_conf_defaults(&c);
	if (natgw_synth_conf_parse(&c, fuzz_string(data, size), err, sizeof(err)) != 0)
		return 0;
	natgw_synth_describe(&c, text, sizeof(text));
	j = natgw_synth_conf_json(&c);
	if (j == NULL)
		abort();
	json_decref(j);
	return 0;
}
