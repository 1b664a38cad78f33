/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accounting across a run's engines (one per worker): the per-minute series of
 * the CloudWatch metrics merged by minute, and the CSV files for spreadsheets.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <jansson.h>
#include <rte_common.h>

#include "commands.h"
#include "options.h"

static int
by_start(const void *a, const void *b)
{
	const struct natgw_nat_minute *x = a, *y = b;

	return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

struct natgw_nat_minute *
natgw_acct_series(struct natgw_nat *const *engines, unsigned int n, size_t *nrows)
{
	struct natgw_nat_minute *rows;
	size_t total = 0, k = 0, i, out;
	unsigned int e, m;

	for (e = 0; e < n; e++)
		total += natgw_nat_series(engines[e], NULL, 0);
	*nrows = 0;
	rows = calloc(total ? total : 1, sizeof(*rows));
	if (rows == NULL)
		return NULL;
	for (e = 0; e < n; e++)
		k += natgw_nat_series(engines[e], rows + k, total - k);
	/* Workers' rows of one minute become one: counters add up, and so do
	 * their ActiveConnectionCount maxima (a bound from above, as in the
	 * totals: each worker's peak came at its own moment). */
	qsort(rows, k, sizeof(*rows), by_start);
	for (i = 0, out = 0; i < k; i++) {
		if (out && rows[out - 1].start_ns == rows[i].start_ns) {
			for (m = 0; m < NATGW_M_MAX; m++)
				rows[out - 1].metric[m] += rows[i].metric[m];
		} else {
			rows[out++] = rows[i];
		}
	}
	*nrows = out;
	return rows;
}

/* A minute's start as ISO 8601 UTC, as CloudWatch shows its timestamps. */
static const char *
iso_minute(uint64_t ns, char *buf, size_t n)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "%" PRIu64, ns);
	return buf;
}

json_t *
natgw_acct_series_json(const struct natgw_nat_minute *rows, size_t n)
{
	json_t *a = json_array();
	char t[32];
	size_t i;
	unsigned int m;

	for (i = 0; i < n; i++) {
		json_t *o = json_pack("{sssI}", "start", iso_minute(rows[i].start_ns, t, sizeof(t)),
			"start_ns", (json_int_t)rows[i].start_ns);

		for (m = 0; m < NATGW_M_MAX; m++)
			json_object_set_new(o, natgw_metric_name(m),
				json_integer((json_int_t)rows[i].metric[m]));
		json_array_append_new(a, o);
	}
	return json_pack("{sisssisbso}", "period_s", 60,
		"ActiveConnectionCount", "maximum in the minute",
		"minutes", (json_int_t)n, "sums_equal_metrics", 1, "rows", a);
}

/* ------------------------------------------------------------------ CSV */

static FILE *
csv_open(const char *dir, const char *name, char *path, size_t pathlen, char *err,
		size_t errlen)
{
	FILE *f;

	snprintf(path, pathlen, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

static int
csv_close(FILE *f, const char *path, char *err, size_t errlen)
{
	int bad = ferror(f);

	if (fclose(f) != 0 || bad) {
		snprintf(err, errlen, "%s: writing failed: %s", path, strerror(errno ? errno : EIO));
		return -1;
	}
	return 0;
}

static int
write_series_csv(const char *dir, const struct natgw_nat_minute *rows, size_t n, char *err,
		size_t errlen)
{
	char path[4096], t[32];
	FILE *f = csv_open(dir, "metrics_per_minute.csv", path, sizeof(path), err, errlen);
	size_t i;
	unsigned int m;

	if (f == NULL)
		return -1;
	fputs("start,start_ns", f);
	for (m = 0; m < NATGW_M_MAX; m++)
		fprintf(f, ",%s", natgw_metric_name(m));
	fputc('\n', f);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s,%" PRIu64, iso_minute(rows[i].start_ns, t, sizeof(t)),
			rows[i].start_ns);
		for (m = 0; m < NATGW_M_MAX; m++)
			fprintf(f, ",%" PRIu64, rows[i].metric[m]);
		fputc('\n', f);
	}
	return csv_close(f, path, err, errlen);
}

static int
write_flows_csv(const char *dir, const struct natgw_report *rep, char *err, size_t errlen)
{
	char path[4096];
	FILE *f = csv_open(dir, "flows.csv", path, sizeof(path), err, errlen);
	unsigned int e;

	if (f == NULL)
		return -1;
	fputs("proto,inside_ip,inside_port,public_ip,public_port,destination_ip,"
		"destination_port,packets_out,bytes_out,packets_in,bytes_in,"
		"first_ns,last_ns,end_ns,end,opened_by\n", f);
	for (e = 0; e < rep->n_engines; e++) {
		size_t n, i;
		const struct natgw_flow_record *r = natgw_nat_flow_log(rep->engines[e], &n);

		for (i = 0; i < n; i++) {
			char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];
			struct in_addr x;

			x.s_addr = r[i].in_ip;
			inet_ntop(AF_INET, &x, a, sizeof(a));
			x.s_addr = r[i].pub_ip;
			inet_ntop(AF_INET, &x, b, sizeof(b));
			x.s_addr = r[i].rem_ip;
			inet_ntop(AF_INET, &x, c, sizeof(c));
			fprintf(f, "%s,%s,%u,%s,%u,%s,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64
				",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%s\n",
				natgw_report_proto_name(r[i].proto), a, ntohs(r[i].in_port), b,
				ntohs(r[i].pub_port), c, ntohs(r[i].rem_port),
				r[i].pkts[0], r[i].bytes[0], r[i].pkts[1], r[i].bytes[1],
				r[i].first_ns, r[i].last_ns, r[i].end_ns, natgw_end_name(r[i].end),
				r[i].inbound ? "outside" : "inside");
		}
	}
	return csv_close(f, path, err, errlen);
}

int
natgw_acct_write_csv(const char *dir, const struct natgw_report *rep, char *err, size_t errlen)
{
	struct natgw_nat_minute *rows;
	size_t n;
	int rc;

	rows = natgw_acct_series(rep->engines, rep->n_engines, &n);
	if (rows == NULL) {
		snprintf(err, errlen, "%s: out of memory for the per-minute series", dir);
		return -1;
	}
	rc = write_series_csv(dir, rows, n, err, errlen);
	free(rows);
	if (rc == 0)
		rc = write_flows_csv(dir, rep, err, errlen);
	return rc;
}

/* ------------------------------------------------------------- options */

void
natgw_acct_conf_init(struct natgw_acct_conf *a)
{
	memset(a, 0, sizeof(*a));
	natgw_cost_prices_defaults(&a->prices);
	natgw_cost_design_defaults(&a->design);
}

int
natgw_acct_opt(struct natgw_acct_conf *a, int code, const char *arg, char *err, size_t errlen)
{
	uint64_t v;

	switch (code) {
	case ACCT_OPT_IP_RANGES:
		a->ip_ranges = arg;
		return 1;
	case ACCT_OPT_PRICES:
		a->prices_path = arg;
		return 1;
	case ACCT_OPT_PRICE:
		if (a->n_price_set == RTE_DIM(a->price_set)) {
			snprintf(err, errlen, "--price: at most %zu", RTE_DIM(a->price_set));
			return -1;
		}
		a->price_set[a->n_price_set++] = arg;
		return 1;
	case ACCT_OPT_ENDPOINTS: {
		char e[256];

		if (natgw_cost_design_set_services(&a->design, arg, e, sizeof(e)) < 0) {
			snprintf(err, errlen, "--endpoints %s: %s", arg, e);
			return -1;
		}
		return 1;
	}
	case ACCT_OPT_NO_GW:
		a->design.gateway_endpoints = false;
		return 1;
	case ACCT_OPT_AZS:
		if (opt_uint(&v, "--azs", arg, 1, 64, err, errlen) < 0)
			return -1;
		a->design.n_az = (unsigned int)v;
		return 1;
	case ACCT_OPT_NATS:
		if (opt_uint(&v, "--nat-gateways", arg, 1, 64, err, errlen) < 0)
			return -1;
		a->design.n_nat = (unsigned int)v;
		return 1;
	case ACCT_OPT_POLICY:
	case ACCT_OPT_ENFORCE:
		if (a->policy_path && strcmp(a->policy_path, arg) != 0) {
			snprintf(err, errlen, "--policy and --enforce name one policy, not two");
			return -1;
		}
		a->policy_path = arg;
		a->enforce |= code == ACCT_OPT_ENFORCE;
		return 1;
	}
	return 0;
}

int
natgw_acct_setup(struct natgw_acct_conf *a, char *err, size_t errlen)
{
	char e[400];
	unsigned int i;

	if (a->prices_path &&
			natgw_cost_prices_load(&a->prices, a->prices_path, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "--prices: %s", e);
		return -1;
	}
	if (a->policy_path) {
		a->policy = natgw_policy_load(a->policy_path, e, sizeof(e));
		if (a->policy == NULL) {
			snprintf(err, errlen, "--%s: %s", a->enforce ? "enforce" : "policy", e);
			return -1;
		}
	}
	/* Overrides after the file, whatever the options' order. */
	for (i = 0; i < a->n_price_set; i++)
		if (natgw_cost_prices_set(&a->prices, a->price_set[i], e, sizeof(e)) < 0) {
			snprintf(err, errlen, "--price %s: %s", a->price_set[i], e);
			return -1;
		}
	return 0;
}

int
natgw_acct_load_ranges(struct natgw_acct_conf *a, char *err, size_t errlen)
{
	char e[400];

	a->ranges_path = a->ip_ranges ? a->ip_ranges : natgw_dst_default_ipranges_path();
	a->ranges = natgw_dst_ranges_load(a->ranges_path, e, sizeof(e));
	if (a->ranges == NULL) {
		snprintf(err, errlen, "%s%s", a->ip_ranges ? "--ip-ranges: " : "", e);
		return -1;
	}
	return 0;
}

void
natgw_acct_conf_free(struct natgw_acct_conf *a)
{
	natgw_dst_ranges_free(a->ranges);
	a->ranges = NULL;
	natgw_policy_free(a->policy);
	a->policy = NULL;
}

/* ----------------------------------------------------- services and names */

static int
by_name(const void *x, const void *y)
{
	return strcmp(((const struct natgw_acct_name *)x)->name, ((const struct natgw_acct_name *)y)->name);
}

static uint64_t
acct_bytes(const struct natgw_nat_acct *a)
{
	return a->bytes[0] + a->bytes[1];
}

static int
by_bytes_desc(const void *x, const void *y)
{
	uint64_t a = acct_bytes(&((const struct natgw_acct_name *)x)->a);
	uint64_t b = acct_bytes(&((const struct natgw_acct_name *)y)->a);

	if (a != b)
		return a > b ? -1 : 1;
	return by_name(x, y);
}

static void
acct_sum(struct natgw_nat_acct *t, const struct natgw_nat_acct *a)
{
	unsigned int d;

	for (d = 0; d < NATGW_SIDES; d++) {
		t->pkts[d] += a->pkts[d];
		t->bytes[d] += a->bytes[d];
	}
	t->sessions += a->sessions;
}

int
natgw_acct_collect(const struct natgw_report *rep, struct natgw_acct_totals *t)
{
	size_t total = 0, n, i, k = 0;
	unsigned int e;

	memset(t, 0, sizeof(*t));
	for (e = 0; e < rep->n_engines; e++) {
		const struct natgw_nat_acct *a = natgw_nat_acct_services(rep->engines[e]);

		for (i = 0; i < NATGW_DST_N_SERVICES; i++)
			acct_sum(&t->svc[i], &a[i]);
		for (i = 0; i < NATGW_SVC_MAX; i++)
			acct_sum(&t->all, &a[i]);
		natgw_nat_acct_names(rep->engines[e], &n);
		total += n;
	}
	t->names = calloc(total ? total : 1, sizeof(*t->names));
	if (t->names == NULL)
		return -1;
	/* Names are each worker's own ids: merge them by their text. */
	for (e = 0; e < rep->n_engines; e++) {
		const struct natgw_nat_acct *a = natgw_nat_acct_names(rep->engines[e], &n);

		for (i = 1; i < n; i++) {
			const char *nm = rep->workers ? natgw_worker_name(rep->workers[e],
				(uint16_t)i) : NULL;

			if (nm == NULL || a[i].sessions + a[i].pkts[0] + a[i].pkts[1] == 0)
				continue;
			t->names[k].name = nm;
			t->names[k++].a = a[i];
		}
	}
	qsort(t->names, k, sizeof(*t->names), by_name);
	for (i = 0, n = 0; i < k; i++) {
		if (n && strcmp(t->names[n - 1].name, t->names[i].name) == 0)
			acct_sum(&t->names[n - 1].a, &t->names[i].a);
		else
			t->names[n++] = t->names[i];
	}
	qsort(t->names, n, sizeof(*t->names), by_bytes_desc);
	t->n_names = n;
	return 0;
}

void
natgw_acct_totals_free(struct natgw_acct_totals *t)
{
	free(t->names);
	t->names = NULL;
}

static json_t *
acct_json(const struct natgw_nat_acct *a)
{
	return json_pack("{sIsIsIsIsI}", "packets_out", (json_int_t)a->pkts[0],
		"bytes_out", (json_int_t)a->bytes[0], "packets_in", (json_int_t)a->pkts[1],
		"bytes_in", (json_int_t)a->bytes[1], "sessions", (json_int_t)a->sessions);
}

/* Services in the order of their bytes, the largest first; those without
 * traffic left out. @return how many. */
static unsigned int
services_by_bytes(const struct natgw_acct_totals *t, unsigned int *order)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < NATGW_DST_N_SERVICES; i++) {
		if (t->svc[i].sessions + t->svc[i].pkts[0] + t->svc[i].pkts[1] == 0)
			continue;
		for (j = n++; j > 0 && acct_bytes(&t->svc[order[j - 1]]) <
				acct_bytes(&t->svc[i]); j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	return n;
}

json_t *
natgw_acct_services_json(const struct natgw_report *rep, const struct natgw_acct_totals *t)
{
	struct natgw_nat_acct cls[NATGW_DST_CLASS_MAX];
	unsigned int order[NATGW_DST_N_SERVICES], n, i, e;
	json_t *o = json_object(), *a, *c;
	uint64_t learned = 0, dns_bad = 0, sni_bad = 0;

	memset(cls, 0, sizeof(cls));
	for (i = 0; i < NATGW_DST_N_SERVICES; i++)
		acct_sum(&cls[natgw_dst_service_class(i)], &t->svc[i]);
	c = json_object();
	for (i = 0; i < NATGW_DST_CLASS_MAX; i++)
		json_object_set_new(c, natgw_dst_class_name(i), acct_json(&cls[i]));
	json_object_set_new(o, "by_class", c);
	a = json_array();
	n = services_by_bytes(t, order);
	for (i = 0; i < n; i++) {
		json_t *s = acct_json(&t->svc[order[i]]);
		const char *ep = natgw_dst_service_endpoint_name(order[i]);

		json_object_set_new(s, "service", json_string(natgw_dst_service_name(order[i])));
		json_object_set_new(s, "class", json_string(natgw_dst_class_name(
			natgw_dst_service_class(order[i]))));
		json_object_set_new(s, "vpc_endpoint", ep ? json_string(ep) : json_null());
		json_array_append_new(a, s);
	}
	json_object_set_new(o, "by_service", a);
	a = json_array();
	for (i = 0; i < t->n_names; i++) {
		json_t *s = acct_json(&t->names[i].a);
		char region[32];
		int svc = natgw_dst_name_service(t->names[i].name, region, sizeof(region));

		json_object_set_new(s, "name", json_string(t->names[i].name));
		json_object_set_new(s, "service", json_string(natgw_dst_service_name(
			(unsigned int)svc)));
		json_object_set_new(s, "region", region[0] ? json_string(region) : json_null());
		json_array_append_new(a, s);
	}
	json_object_set_new(o, "by_name", a);
	for (e = 0; rep->workers && e < rep->n_engines; e++) {
		const struct natgw_dst *d = natgw_worker_dst(rep->workers[e]);
		const struct natgw_dst_stats *ds = d ? natgw_dst_stats(d) : NULL;

		if (ds) {
			learned += ds->learned;
			dns_bad += ds->dns_malformed;
			sni_bad += ds->sni_malformed;
		}
	}
	json_object_set_new(o, "classifier", json_pack("{sssssIsIsIsI}",
		"ip_ranges", rep->acct ? rep->acct->ranges_path : "",
		"ip_ranges_date", rep->acct ? natgw_dst_ranges_date(rep->acct->ranges) : "",
		"prefixes", (json_int_t)(rep->acct ? natgw_dst_ranges_count(rep->acct->ranges) : 0),
		"addresses_learned", (json_int_t)learned,
		"dns_malformed", (json_int_t)dns_bad, "sni_malformed", (json_int_t)sni_bad));
	return o;
}

/* ------------------------------------------------------------------ cost */

static enum natgw_cost_class
cost_class(unsigned int svc)
{
	switch (natgw_dst_service_class(svc)) {
	case NATGW_DST_CLASS_S3:
		return NATGW_COST_S3;
	case NATGW_DST_CLASS_DYNAMODB:
		return NATGW_COST_DYNAMODB;
	case NATGW_DST_CLASS_AWS:
		return NATGW_COST_AWS;
	default:
		return NATGW_COST_INTERNET;
	}
}

int
natgw_acct_cost(const struct natgw_report *rep, const struct natgw_acct_totals *t,
		struct natgw_cost_report *out, char *err, size_t errlen)
{
	struct natgw_cost_service svc[NATGW_DST_N_SERVICES];
	struct natgw_cost_usage u = {.span_s = rep->span_s, .svc = svc};
	struct natgw_cost_design design;
	unsigned int i;

	for (i = 0; i < NATGW_DST_N_SERVICES; i++) {
		if (t->svc[i].pkts[0] + t->svc[i].pkts[1] == 0)
			continue;
		svc[u.n].name = natgw_dst_service_name(i);
		svc[u.n].cls = cost_class(i);
		svc[u.n].bytes_out = t->svc[i].bytes[0];
		svc[u.n].bytes_in = t->svc[i].bytes[1];
		u.n++;
	}
	/* Every gateway the run modelled is billed its hours. */
	design = rep->acct->design;
	design.n_nat = RTE_MAX(design.n_nat, rep->n_gateways);
	return natgw_cost_compute(&rep->acct->prices, &design, &u, out, err, errlen);
}

/* ---------------------------------------------------------------- summary */

void
natgw_acct_summary(FILE *f, const struct natgw_report *rep, const struct natgw_acct_totals *t)
{
	unsigned int order[NATGW_DST_N_SERVICES], n, i;
	uint64_t all = acct_bytes(&t->all);
	struct natgw_cost_report cr;
	char b[32], err[256];

	if (all == 0)
		return;
	n = services_by_bytes(t, order);
	fprintf(f, "  where the bytes went (both directions, IP layer):\n");
	for (i = 0; i < n; i++) {
		natgw_report_human_bytes(acct_bytes(&t->svc[order[i]]), b, sizeof(b));
		fprintf(f, "    %-16s %10s  %5.1f%%  %" PRIu64 " sessions\n",
			natgw_dst_service_name(order[i]), b,
			100.0 * (double)acct_bytes(&t->svc[order[i]]) / (double)all,
			t->svc[order[i]].sessions);
	}
	if (t->n_names)
		fprintf(f, "  top destinations by name:\n");
	for (i = 0; i < t->n_names && i < 5; i++) {
		natgw_report_human_bytes(acct_bytes(&t->names[i].a), b, sizeof(b));
		fprintf(f, "    %-56s %10s\n", t->names[i].name, b);
	}
	if (rep->acct && rep->acct->policy) {
		struct natgw_policy_tally *tally = natgw_acct_policy(rep);

		if (tally)
			natgw_acct_policy_summary(f, rep, t, tally);
		natgw_policy_tally_free(tally);
	}
	if (rep->acct == NULL || rep->span_s <= 0)
		return;
	if (natgw_acct_cost(rep, t, &cr, err, sizeof(err)) < 0) {
		fprintf(f, "  cost: %s\n", err);
		return;
	}
	natgw_cost_report_print(&cr, f);
}

/* ----------------------------------------------------------------- plots */

int
natgw_acct_plots(const char *dir, const struct natgw_report *rep, char *err, size_t errlen)
{
	struct natgw_acct_totals tot;
	struct natgw_cost_report cr;
	struct natgw_nat_minute *rows;
	size_t n;
	int rc;

	rows = natgw_acct_series(rep->engines, rep->n_engines, &n);
	if (rows == NULL) {
		snprintf(err, errlen, "out of memory for the per-minute series");
		return -1;
	}
	rc = n ? natgw_plot_series(dir, rows, n, err, errlen) : 0;
	free(rows);
	if (rc < 0 || rep->acct == NULL || rep->span_s <= 0)
		return rc;
	if (natgw_acct_collect(rep, &tot) < 0) {
		snprintf(err, errlen, "out of memory for the accounting");
		return -1;
	}
	rc = natgw_acct_cost(rep, &tot, &cr, err, errlen);
	natgw_acct_totals_free(&tot);
	return rc < 0 ? rc : natgw_plot_bills(dir, &cr, err, errlen);
}

/* ---------------------------------------------------------------- policy */

/* Whether the endpoints design reaches a service: a gateway endpoint (S3,
 * DynamoDB, when on) or one of the chosen interface endpoints. */
static void
endpoint_routes(const struct natgw_cost_design *d, unsigned int svc, bool *gw, bool *ife)
{
	enum natgw_dst_class c = natgw_dst_service_class(svc);
	const char *name = natgw_dst_service_name(svc);
	unsigned int i;

	*gw = d->gateway_endpoints && (c == NATGW_DST_CLASS_S3 || c == NATGW_DST_CLASS_DYNAMODB);
	*ife = false;
	for (i = 0; c != NATGW_DST_CLASS_INTERNET && name && i < d->n_interface; i++)
		if (strcmp(d->interface[i], name) == 0)
			*ife = true;
}

/* Each flow of the run with its destination as the policy sees it. */
static void
policy_flows(const struct natgw_report *rep,
		void (*fn)(void *arg, const struct natgw_flow_record *f,
			const struct natgw_policy_dest *d, bool gw, bool ife),
		void *arg)
{
	unsigned int e;

	for (e = 0; e < rep->n_engines; e++) {
		size_t n, i;
		const struct natgw_flow_record *r = natgw_nat_flow_log(rep->engines[e], &n);

		for (i = 0; i < n; i++) {
			struct natgw_policy_dest d = {
				.ip = r[i].rem_ip, .port = r[i].rem_port, .proto = r[i].proto,
				.service = r[i].svc,
				.name = rep->workers ? natgw_worker_name(rep->workers[e],
					r[i].name) : NULL,
			};
			bool gw, ife;

			endpoint_routes(&rep->acct->design, r[i].svc, &gw, &ife);
			fn(arg, &r[i], &d, gw, ife);
		}
	}
}

/* A policy and what a walk over the flows fills. */
struct policy_walk {
	const struct natgw_policy *p;
	struct natgw_policy_tally *tally;
	struct natgw_acct_totals *t;
};

static void
tally_one(void *arg, const struct natgw_flow_record *f, const struct natgw_policy_dest *d,
		bool gw, bool ife)
{
	struct policy_walk *w = arg;

	natgw_policy_tally_add(w->tally, w->p, d, f->pkts[0] + f->pkts[1],
		f->bytes[0] + f->bytes[1], gw, ife);
}

struct natgw_policy_tally *
natgw_acct_policy(const struct natgw_report *rep)
{
	struct policy_walk w = {.p = rep->acct ? rep->acct->policy : NULL};

	if (w.p == NULL)
		return NULL;
	w.tally = natgw_policy_tally_create(w.p, 0);
	if (w.tally != NULL)
		policy_flows(rep, tally_one, &w);
	return w.tally;
}

/* What flows in the endpoints design: allowed and reachable, by service. */
static void
endpoints_flowing(void *arg, const struct natgw_flow_record *f,
		const struct natgw_policy_dest *d, bool gw, bool ife)
{
	struct policy_walk *u = arg;
	struct natgw_nat_acct *a = &u->t->svc[f->svc < NATGW_DST_N_SERVICES ? f->svc : 0];

	if (!(gw || ife) || !natgw_policy_allows(u->p, d))
		return;
	a->pkts[0] += f->pkts[0];
	a->pkts[1] += f->pkts[1];
	a->bytes[0] += f->bytes[0];
	a->bytes[1] += f->bytes[1];
	a->sessions++;
}

/* The three designs' monthly bills: the run's traffic through the NAT; the NAT
 * kept with no route (its hours); the endpoints with what flows through them. */
static int
policy_bills(const struct natgw_report *rep, const struct natgw_acct_totals *t, double bill[3])
{
	struct natgw_acct_totals none, ep;
	struct policy_walk u = {.p = rep->acct->policy, .t = &ep};
	struct natgw_cost_report cr;
	char err[256];

	memset(&none, 0, sizeof(none));
	memset(&ep, 0, sizeof(ep));
	policy_flows(rep, endpoints_flowing, &u);
	if (natgw_acct_cost(rep, t, &cr, err, sizeof(err)) < 0)
		return -1;
	bill[NATGW_POLICY_NAT] = cr.nat.month;
	if (natgw_acct_cost(rep, &none, &cr, err, sizeof(err)) < 0)
		return -1;
	bill[NATGW_POLICY_BLACKHOLE] = cr.nat.month;
	if (natgw_acct_cost(rep, &ep, &cr, err, sizeof(err)) < 0)
		return -1;
	bill[NATGW_POLICY_ENDPOINTS] = cr.endpoints.month;
	return 0;
}

/* --enforce: the packets refused at session creation, by deciding rule, all
 * workers together; rules that refused nothing left out. */
static json_t *
refused_json(const struct natgw_report *rep)
{
	const struct natgw_policy *p = rep->acct->policy;
	unsigned int n = natgw_policy_rule_count(p) + 1, e, i, k;
	json_t *a = json_array();

	for (i = 0; i < n; i++) {
		uint64_t pk = 0;

		for (e = 0; rep->workers && e < rep->n_engines; e++) {
			const uint64_t *r = natgw_worker_refused(rep->workers[e], &k);

			pk += r && i < k ? r[i] : 0;
		}
		if (pk)
			json_array_append_new(a, json_pack("{sssI}", "rule",
				natgw_policy_rule_label(p, (int)i - 1), "packets", (json_int_t)pk));
	}
	return a;
}

json_t *
natgw_acct_policy_json(const struct natgw_report *rep, const struct natgw_acct_totals *t,
		const struct natgw_policy_tally *tally)
{
	double bill[NATGW_POLICY_N_DESIGNS];
	json_t *o = NULL;
	unsigned int d;

	if (natgw_policy_tally_json(tally, rep->acct->policy, &o) < 0 || o == NULL)
		return json_pack("{ss}", "error", "out of memory");
	json_object_set_new(o, "file", json_string(rep->acct->policy_path));
	json_object_set_new(o, "enforced", json_boolean(rep->acct->enforce));
	if (rep->acct->enforce)
		json_object_set_new(o, "refused_by_rule", refused_json(rep));
	if (rep->span_s > 0 && policy_bills(rep, t, bill) == 0) {
		json_t *b = json_object();

		for (d = 0; d < NATGW_POLICY_N_DESIGNS; d++)
			json_object_set_new(b, natgw_policy_design_name(d), json_real(bill[d]));
		json_object_set_new(o, "bill_month", b);
	}
	return o;
}

void
natgw_acct_policy_summary(FILE *f, const struct natgw_report *rep,
		const struct natgw_acct_totals *t, const struct natgw_policy_tally *tally)
{
	double bill[NATGW_POLICY_N_DESIGNS];
	unsigned int d;

	natgw_policy_tally_print(tally, rep->acct->policy, f);
	if (rep->span_s <= 0 || policy_bills(rep, t, bill) < 0)
		return;
	fprintf(f, "  a month of it:");
	for (d = 0; d < NATGW_POLICY_N_DESIGNS; d++)
		fprintf(f, "%s %s $%.2f", d ? "," : "", natgw_policy_design_name(d), bill[d]);
	fputc('\n', f);
}
