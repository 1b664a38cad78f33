/* SPDX-License-Identifier: BSD-3-Clause */
/* What the scale library's files share; not installed. */
#ifndef SCALE_PRIVATE_H
#define SCALE_PRIVATE_H

#include <stddef.h>

#include "natgw_scale.h"

/* Write a one-line reason into @p err (if @p errlen > 0). @return -1. */
int scale_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The start, max, step and floor of dimension @p d, the floor as it applies
 * (the start for 0). */
struct scale_limits {
	double start, max, step, floor;
};
void scale_limits(const struct natgw_scale_conf *c, enum natgw_scale_dim d,
	struct scale_limits *l);

#endif /* SCALE_PRIVATE_H */
