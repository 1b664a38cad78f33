/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker's internals shared by its files; not installed. */
#ifndef NATGW_WORKER_PRIVATE_H
#define NATGW_WORKER_PRIVATE_H

#include <search.h>
#include <stdbool.h>

#include "natgw_dstclass.h"
#include "natgw_policy.h"
#include "natgw_worker.h"

/* A worker's destination classifier (classify.c). */
struct natgw_worker_cls {
	bool ready;
	struct natgw_dst *dst;        /* names learned from this worker's traffic */
	struct hsearch_data htab;     /* name -> id */
	char **names;                 /* id - 1 -> name */
	unsigned int n_names;
	uint64_t names_overflow;      /* names past the registry's room: id 0 */
	const struct natgw_policy *enforce; /* refuse what it denies, NULL: none */
	uint64_t *refused;            /* packets refused, by deciding rule + 1 */
};

int worker_cls_init(struct natgw_worker *w, struct natgw_worker_cls *c,
		const struct natgw_worker_conf *conf, char *err, size_t errlen);
/* The engine's hooks onto @p c. */
void worker_cls_hooks(struct natgw_worker_cls *c, struct natgw_nat_classifier *h);
void worker_cls_free(struct natgw_worker_cls *c);
/* The worker's classifier, NULL without one (worker.c). */
struct natgw_worker_cls *worker_cls(struct natgw_worker *w);
const struct natgw_worker_cls *worker_cls_const(const struct natgw_worker *w);

#endif /* NATGW_WORKER_PRIVATE_H */
