/* SPDX-License-Identifier: BSD-3-Clause */
/* What the cost library's files share; not installed. */
#ifndef COST_PRIVATE_H
#define COST_PRIVATE_H

#include <stddef.h>

/* Write a one-line reason into @p err (if @p errlen > 0). @return -1. */
int cost_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* COST_PRIVATE_H */
