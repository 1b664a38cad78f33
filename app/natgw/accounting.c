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

#include "commands.h"

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
