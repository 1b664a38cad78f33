/* SPDX-License-Identifier: BSD-3-Clause */
/* What the scale library's files share; not installed. */
#ifndef SCALE_PRIVATE_H
#define SCALE_PRIVATE_H

#include <stddef.h>

#include "lib/natgw_err.h"

#include "natgw_scale.h"

/* Write a one-line reason into @p err (if @p errlen > 0). @return -1. */
#define scale_fail natgw_err

/* The start, max, step and floor of dimension @p d, the floor as it applies
 * (the start for 0). */
struct scale_limits {
	double start, max, step, floor;
};
void scale_limits(const struct natgw_scale_conf *c, enum natgw_scale_dim d,
	struct scale_limits *l);

#endif /* SCALE_PRIVATE_H */
