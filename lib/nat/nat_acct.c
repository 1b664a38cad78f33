/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accounting that is not per packet: the traffic of ended sessions by service
 * and by name, the per-minute series of the CloudWatch metrics, and the
 * classifier's hooks. The fast path only counts into the session (one cache
 * line it owns); this file moves those counts on when a session ends or its
 * 32-bit counters are spilled, and closes a minute once a minute.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "nat_private.h"

#define NS_PER_MIN (60ull * 1000000000ull)

static void
acct_move(struct natgw_nat_acct *a, const struct nat_session *s, bool ended)
{
	unsigned int d;

	for (d = 0; d < NATGW_SIDES; d++) {
		a->pkts[d] += s->pkts[d];
		a->bytes[d] += s->bytes[d];
	}
	a->sessions += ended;
}

/* The name's entry, the array grown to hold it; NULL without memory. */
static struct natgw_nat_acct *
acct_name(struct natgw_nat *nat, uint16_t name)
{
	if (name >= nat->acct_name_n) {
		size_t n = RTE_MAX((size_t)name + 1, nat->acct_name_n * 2);
		struct natgw_nat_acct *a = realloc(nat->acct_name, n * sizeof(*a));

		if (a == NULL)
			return NULL;
		memset(a + nat->acct_name_n, 0, (n - nat->acct_name_n) * sizeof(*a));
		nat->acct_name = a;
		nat->acct_name_n = n;
	}
	return &nat->acct_name[name];
}

void
nat_acct_add(struct natgw_nat *nat, const struct nat_session *s, bool ended)
{
	struct natgw_nat_acct *a;

	acct_move(&nat->acct_svc[s->svc], s, ended);
	a = acct_name(nat, nat->sess_name ? nat->sess_name[s - nat->sess] : 0);
	if (a == NULL) {
		/* The services' totals stay whole; only the split by name
		 * misses this, and the report says how often. */
		nat->st.acct_lost++;
		return;
	}
	acct_move(a, s, ended);
}

const struct natgw_nat_acct *
natgw_nat_acct_services(const struct natgw_nat *nat)
{
	return nat->acct_svc;
}

const struct natgw_nat_acct *
natgw_nat_acct_names(const struct natgw_nat *nat, size_t *n)
{
	*n = nat->acct_name_n;
	return nat->acct_name;
}

void
nat_classify(struct natgw_nat *nat, struct nat_session *s)
{
	const struct natgw_nat_classifier *c = &nat->conf.classifier;
	struct natgw_flow_key k;
	uint16_t name = 0;
	uint8_t svc = 0;

	if (c->classify == NULL)
		return;
	nat_in_key(s, &k);
	s->watch = c->classify(c->arg, &k, &svc, &name);
	s->svc = svc;
	nat->sess_name[s - nat->sess] = name;
}

void
nat_watch(struct natgw_nat *nat, struct nat_session *s, enum natgw_side side,
		const uint8_t *frame, const struct natgw_pkt_info *pi)
{
	const struct natgw_nat_classifier *c = &nat->conf.classifier;
	uint16_t *name = &nat->sess_name[s - nat->sess];
	struct natgw_flow_key k;
	uint8_t svc = s->svc;

	nat_in_key(s, &k);
	s->watch = c->learn(c->arg, side, &k, frame + pi->l4_off,
		pi->ip_len - (uint32_t)(pi->l4_off - pi->l3_off), &svc, name) &&
		s->pkts[0] + s->pkts[1] + 1 < NATGW_WATCH_MAX;
	s->svc = svc;
}

void
nat_acct_free(struct natgw_nat *nat)
{
	free(nat->acct_name);
	free(nat->series);
	rte_free(nat->sess_name);
}

/* Close the open minute into a row. */
static void
minute_close(struct natgw_nat *nat)
{
	struct natgw_nat_minute *r;
	unsigned int m;

	if (nat->series_n == nat->series_cap) {
		size_t cap = nat->series_cap ? nat->series_cap * 2 : 64;
		struct natgw_nat_minute *ns = realloc(nat->series, cap * sizeof(*ns));

		if (ns == NULL) {
			/* Kept open: the next minute's row will hold both, so
			 * the sums stay right and only the split is coarser. */
			NAT_LOG(ERR, "metric series: out of memory, minutes merged\n");
			return;
		}
		nat->series = ns;
		nat->series_cap = cap;
	}
	r = &nat->series[nat->series_n++];
	r->start_ns = nat->min_start;
	for (m = 0; m < NATGW_M_MAX; m++) {
		r->metric[m] = nat->st.metric[m] - nat->min_base[m];
		nat->min_base[m] = nat->st.metric[m];
	}
	r->metric[NATGW_M_ActiveConnectionCount] = nat->min_peak_tcp;
	nat->min_peak_tcp = nat->st.active_tcp;
}

void
nat_minute_roll(struct natgw_nat *nat, uint64_t now)
{
	/* A clock going back (a capture's disorder) stays in the open
	 * minute: nat_minute only rolls forward. */
	if (nat->min_end != 0)
		minute_close(nat);
	nat->min_start = now - now % NS_PER_MIN;
	nat->min_end = nat->min_start + NS_PER_MIN;
}

size_t
natgw_nat_series(const struct natgw_nat *nat, struct natgw_nat_minute *rows, size_t max)
{
	size_t n = nat->series_n + (nat->min_end != 0), i;
	unsigned int m;

	for (i = 0; i < nat->series_n && i < max; i++)
		rows[i] = nat->series[i];
	if (nat->min_end != 0 && i < max) {
		struct natgw_nat_minute *r = &rows[i];

		r->start_ns = nat->min_start;
		for (m = 0; m < NATGW_M_MAX; m++)
			r->metric[m] = nat->st.metric[m] - nat->min_base[m];
		r->metric[NATGW_M_ActiveConnectionCount] = nat->min_peak_tcp;
	}
	return n;
}
