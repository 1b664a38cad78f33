/* SPDX-License-Identifier: BSD-3-Clause */
/* What the cost library's files share; not installed. */
#ifndef COST_PRIVATE_H
#define COST_PRIVATE_H

#include <stddef.h>

#include "lib/natgw_err.h"

struct natgw_cost_prices;

/* Write a one-line reason into @p err (if @p errlen > 0). @return -1. */
#define cost_fail natgw_err

/* Whether every number of @p p is one a price file may hold (the tiers
 * included). @return 0, or -1 with @p why. */
int cost_prices_check(const struct natgw_cost_prices *p, char *why, size_t n);

#endif /* COST_PRIVATE_H */
