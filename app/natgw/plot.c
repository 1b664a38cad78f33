/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Plots of a run, drawn by gnuplot: natgw writes each plot's data and script
 * beside the PNG (NAME.dat, NAME.gp), so a user can restyle and redraw it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "commands.h"
#include "natgw_lab.h"

extern char **environ;

#define GNUPLOT_TIMEOUT_S 60

/* Run gnuplot on DIR/NAME.gp in DIR; -1 with err if it failed or is missing. */
static int
gnuplot(const char *dir, const char *name, char *err, size_t errlen)
{
	char script[4096], *argv[4];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc, waited = 0;

	snprintf(script, sizeof(script), "%s.gp", name);
	argv[0] = (char *)"gnuplot";
	argv[1] = script;
	argv[2] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	/* gnuplot warns of what is fine here (an all-zero axis): quiet; when
	 * it fails, the message names the script to run again and see why. */
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		snprintf(err, errlen, "cannot run gnuplot (%s): install gnuplot-nox for the plots",
			strerror(rc));
		return -1;
	}
	/* Bounded: a plot is not worth hanging a run for. */
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (waited++ >= GNUPLOT_TIMEOUT_S * 10) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			snprintf(err, errlen, "gnuplot %s/%s: no answer in %d s", dir, script,
				GNUPLOT_TIMEOUT_S);
			return -1;
		}
		usleep(100000);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(err, errlen, "gnuplot %s/%s failed (run it there to see why)", dir,
			script);
		return -1;
	}
	return 0;
}

static FILE *
open_in(const char *dir, const char *name, const char *ext, char *err, size_t errlen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	f = fopen(path, "w");
	if (f == NULL)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return f;
}

static int
close_checked(FILE *f, const char *dir, const char *name, char *err, size_t errlen)
{
	int bad = ferror(f);

	if (fclose(f) != 0 || bad) {
		snprintf(err, errlen, "%s/%s: writing failed", dir, name);
		return -1;
	}
	return 0;
}

/* The common head of a script: a PNG of the given size. */
static void
head(FILE *g, const char *name, unsigned int w, unsigned int h)
{
	fprintf(g, "# natgw: redraw with `gnuplot %s.gp`\n"
		"set terminal pngcairo size %u,%u font 'sans,10'\n"
		"set output '%s.png'\n"
		"set grid ytics\n"
		"set key outside right top\n", name, w, h, name);
}

/* ----------------------------------------------------------------- bills */

enum bill_part { BP_NAT_H, BP_NAT_GB, BP_IFE_H, BP_IFE_GB, BP_GWE, BP_INET, BP_MAX };

static const char *const bill_part_name[BP_MAX] = {
	"NAT gateway hours", "NAT gateway data processed", "interface endpoint hours",
	"interface endpoint data", "gateway endpoints", "internet data out",
};

static enum bill_part
bill_part(const char *key)
{
	if (strcmp(key, "nat_gateway.per_hour") == 0)
		return BP_NAT_H;
	if (strncmp(key, "nat_gateway.", 12) == 0)
		return BP_NAT_GB;
	if (strcmp(key, "interface_endpoint.per_hour") == 0)
		return BP_IFE_H;
	if (strncmp(key, "interface_endpoint.", 19) == 0)
		return BP_IFE_GB;
	if (strncmp(key, "gateway_endpoint.", 17) == 0)
		return BP_GWE;
	return BP_INET;
}

static void
bill_row(FILE *d, const char *label, const struct natgw_cost_bill *b)
{
	double part[BP_MAX] = {0};
	unsigned int i;

	for (i = 0; i < b->n; i++)
		part[bill_part(b->item[i].key)] += b->item[i].month;
	fprintf(d, "\"%s\"", label);
	for (i = 0; i < BP_MAX; i++)
		fprintf(d, " %.6f", part[i]);
	fprintf(d, " %.6f\n", b->month);
}

int
natgw_plot_bills(const char *dir, const struct natgw_cost_report *r, char *err, size_t errlen)
{
	FILE *d = open_in(dir, "bills", "dat", err, errlen), *g;
	unsigned int i;

	if (d == NULL)
		return -1;
	/* The first row names the columns (gnuplot's columnhead); USD a month. */
	fprintf(d, "design");
	for (i = 0; i < BP_MAX; i++)
		fprintf(d, " \"%s\"", bill_part_name[i]);
	fprintf(d, " total\n");
	bill_row(d, "NAT gateway", &r->nat);
	bill_row(d, "VPC endpoints", &r->endpoints);
	if (close_checked(d, dir, "bills.dat", err, errlen) < 0)
		return -1;
	g = open_in(dir, "bills", "gp", err, errlen);
	if (g == NULL)
		return -1;
	head(g, "bills", 900, 480);
	fprintf(g, "set title \"A month of this traffic (%s list prices; the run's %.0f s "
		"extrapolated %.0fx)\"\n", r->prices.region, r->span_s, r->month_factor);
	fprintf(g, "set ylabel 'USD a month'\n"
		"set style data histograms\n"
		"set style histogram rowstacked\n"
		"set style fill solid 0.85 border -1\n"
		"set boxwidth 0.5\n"
		"set yrange [0:*]\n"
		"set key autotitle columnhead\n"
		"plot for [c=2:%d] 'bills.dat' using c:xtic(1), \\\n"
		"     '' using 0:%d:(sprintf('$%%.2f', $%d)) with labels offset 0,1 notitle\n",
		BP_MAX + 1, BP_MAX + 2, BP_MAX + 2);
	if (close_checked(g, dir, "bills.gp", err, errlen) < 0)
		return -1;
	return gnuplot(dir, "bills", err, errlen);
}

/* ------------------------------------------------------- metrics per minute */

int
natgw_plot_series(const char *dir, const struct natgw_nat_minute *rows, size_t n, char *err,
		size_t errlen)
{
	FILE *d = open_in(dir, "metrics_per_minute", "dat", err, errlen), *g;
	size_t i;

	if (d == NULL)
		return -1;
	fprintf(d, "# minute_start_s BytesOutToDestination BytesOutToSource PacketsDropCount "
		"ActiveConnectionCount\n");
	for (i = 0; i < n; i++)
		fprintf(d, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			(uint64_t)(rows[i].start_ns / 1000000000ull),
			rows[i].metric[NATGW_M_BytesOutToDestination],
			rows[i].metric[NATGW_M_BytesOutToSource],
			rows[i].metric[NATGW_M_PacketsDropCount],
			rows[i].metric[NATGW_M_ActiveConnectionCount]);
	if (close_checked(d, dir, "metrics_per_minute.dat", err, errlen) < 0)
		return -1;
	g = open_in(dir, "metrics_per_minute", "gp", err, errlen);
	if (g == NULL)
		return -1;
	head(g, "metrics_per_minute", 900, 480);
	/* Bars a minute wide at each minute (the two directions side by side),
	 * the drops and the connections as points on the right axis. */
	fprintf(g, "set title 'CloudWatch metrics per minute (UTC)'\n"
		"set xdata time\n"
		"set timefmt '%%s'\n"
		"set format x '%%H:%%M'\n"
		"set xrange ['%" PRIu64 "':'%" PRIu64 "']\n"
		"set xlabel 'minute'\n"
		"set ylabel 'MB in the minute'\n"
		"set y2label 'packets dropped; connections (max)'\n"
		"set ytics nomirror\n"
		"set y2tics\n"
		"set yrange [0:*]\n"
		"set y2range [0:*]\n"
		"set boxwidth 27\n"
		"set style fill solid 0.7 border -1\n"
		"plot 'metrics_per_minute.dat' using ($1+15):($2/1e6) with boxes "
		"title 'BytesOutToDestination', \\\n"
		"     '' using ($1+45):($3/1e6) with boxes title 'BytesOutToSource', \\\n"
		"     '' using ($1+30):4 axes x1y2 with points pt 7 ps 1.5 "
		"title 'PacketsDropCount', \\\n"
		"     '' using ($1+30):5 axes x1y2 with linespoints pt 6 dt 2 "
		"title 'ActiveConnectionCount'\n",
		n && rows[0].start_ns >= 30000000000ull ?
			(uint64_t)(rows[0].start_ns / 1000000000ull) - 30 : 0,
		n ? (uint64_t)(rows[n - 1].start_ns / 1000000000ull) + 90 : 60);
	if (close_checked(g, dir, "metrics_per_minute.gp", err, errlen) < 0)
		return -1;
	return gnuplot(dir, "metrics_per_minute", err, errlen);
}

/* ------------------------------------------------------ the ceiling's timeline */

int
natgw_plot_timeline(const char *dir, const char *name, const char *title,
		const struct natgw_scale *sc, char *err, size_t errlen)
{
	size_t n, i;
	const struct natgw_scale_second *t = natgw_scale_timeline(sc, &n);
	FILE *d, *g;
	char dat[96];

	if (n == 0)
		return 0;
	d = open_in(dir, name, "dat", err, errlen);
	if (d == NULL)
		return -1;
	fprintf(d, "# second demand_bps ceiling_bps forwarded_bps dropped_bps demand_pps "
		"ceiling_pps forwarded_pps dropped_pps peak_bps peak_pps\n");
	for (i = 0; i < n; i++)
		fprintf(d, "%" PRIu64 " %" PRIu64 " %.0f %" PRIu64 " %" PRIu64 " %" PRIu64
			" %.0f %" PRIu64 " %" PRIu64 " %.0f %.0f\n", t[i].sec, t[i].demand_bps,
			t[i].ceil_bps, t[i].fwd_bps, t[i].drop_bps, t[i].demand_pps, t[i].ceil_pps,
			t[i].fwd_pps, t[i].drop_pps, t[i].peak_bps, t[i].peak_pps);
	snprintf(dat, sizeof(dat), "%s.dat", name);
	if (close_checked(d, dir, dat, err, errlen) < 0)
		return -1;
	g = open_in(dir, name, "gp", err, errlen);
	if (g == NULL)
		return -1;
	head(g, name, 1000, 700);
	/* Seconds from the first, two panels: bandwidth and packet rate, each
	 * demand against the stepping ceiling, what went through, what not. */
	/* Log axes: a burst of a millisecond and a second's average differ by
	 * orders of magnitude; both must show against the ceiling. */
	fprintf(g, "set multiplot layout 2,1 title \"%s\"\n"
		"t0 = %" PRIu64 "\n"
		"set xlabel 'seconds'\n"
		"set logscale y\n"
		"set format y '%%g'\n"
		"set style fill transparent solid 0.35 noborder\n"
		"set ylabel 'Gbps'\n"
		"plot '%s' using ($1-t0):($10 > 0 ? $10/1e9 : NaN) with impulses lw 2 "
		"title 'demand, busiest epoch', \\\n"
		"     '' using ($1-t0):($2 > 0 ? $2/1e9 : NaN) with steps lw 2 "
		"title 'demand, the second', \\\n"
		"     '' using ($1-t0):($3/1e9) with steps lw 3 dt 2 title 'ceiling', \\\n"
		"     '' using ($1-t0):($5 > 0 ? $5/1e9 : NaN) with points pt 7 "
		"title 'dropped, the second'\n"
		"set ylabel 'Mpps'\n"
		"plot '%s' using ($1-t0):($11 > 0 ? $11/1e6 : NaN) with impulses lw 2 "
		"title 'demand, busiest epoch', \\\n"
		"     '' using ($1-t0):($6 > 0 ? $6/1e6 : NaN) with steps lw 2 "
		"title 'demand, the second', \\\n"
		"     '' using ($1-t0):($7/1e6) with steps lw 3 dt 2 title 'ceiling', \\\n"
		"     '' using ($1-t0):($9 > 0 ? $9/1e6 : NaN) with points pt 7 "
		"title 'dropped, the second'\n"
		"unset multiplot\n", title, t[0].sec, dat, dat);
	snprintf(dat, sizeof(dat), "%s.gp", name);
	if (close_checked(g, dir, dat, err, errlen) < 0)
		return -1;
	return gnuplot(dir, name, err, errlen);
}

/* -------------------------------------------------------------- natgw lab */

int
natgw_plot_lab_trials(const char *dir, const char *const *tests, unsigned int n, char *err,
		size_t errlen)
{
	FILE *g;
	unsigned int i;

	if (n == 0)
		return 0;
	g = open_in(dir, "trials", "gp", err, errlen);
	if (g == NULL)
		return -1;
	head(g, "trials", 1000, 360 * n);
	/* Straight from trials.csv: each search's trials, the loss each rate
	 * met, on log axes (a search's rates span decades; losses too). */
	fprintf(g, "set datafile separator ','\n"
		"set multiplot layout %u,1 title 'natgw lab: every trial, the loss at each rate'\n"
		"set logscale x\n"
		"set format x '%%g'\n"
		"set ylabel 'loss, %%'\n"
		"set yrange [-5:105]\n", n);
	for (i = 0; i < n; i++)
		fprintf(g, "set xlabel '%s'\n"
			"plot 'trials.csv' using (strcol(1) eq '%s' ? $3 : NaN):($7*100) "
			"with points pt 7 ps 1.2 title '%s', \\\n"
			"     '' using (strcol(1) eq '%s' ? $3 : NaN):($7*100):2 with labels "
			"offset 0,0.8 font ',8' notitle\n",
			strcmp(tests[i], "capacity") == 0 ? "sessions offered" :
			strcmp(tests[i], "cps") == 0 ? "connections/s offered" : "frames/s offered",
			tests[i], tests[i], tests[i]);
	fprintf(g, "unset multiplot\n");
	if (close_checked(g, dir, "trials.gp", err, errlen) < 0)
		return -1;
	return gnuplot(dir, "trials", err, errlen);
}

int
natgw_plot_latency(const char *dir, struct natgw_hist *const *h, const char *const *label,
		unsigned int n, char *err, size_t errlen)
{
	/* HdrHistogram's percentile distribution: x is 1/(1 - p), so the tail's
	 * nines spread out evenly. */
	static const double pct[] = {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99,
		99.995, 99.999, 100};
	FILE *d, *g;
	unsigned int i, k;

	if (n == 0)
		return 0;
	d = open_in(dir, "latency", "dat", err, errlen);
	if (d == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		fprintf(d, "\"%s\"\n# percentile x=1/(1-p) latency_us\n", label[i]);
		for (k = 0; k < RTE_DIM(pct); k++) {
			/* p100 is drawn at the last nine the count supports. */
			double p = pct[k] < 100 ? pct[k] :
				100 - 100.0 / (double)RTE_MAX(natgw_hist_count(h[i]), 2);

			fprintf(d, "%g %g %g\n", pct[k], 1 / (1 - p / 100),
				(double)natgw_hist_percentile(h[i], pct[k]) / 1e3);
		}
		fprintf(d, "\n\n");
	}
	if (close_checked(d, dir, "latency.dat", err, errlen) < 0)
		return -1;
	g = open_in(dir, "latency", "gp", err, errlen);
	if (g == NULL)
		return -1;
	head(g, "latency", 1000, 560);
	fprintf(g, "set title 'natgw lab: one-way latency by percentile, each load and direction'\n"
		"set logscale xy\n"
		/* tic labels are formats: a per cent sign doubled for gnuplot */
		"set xtics ('0%%%%' 1, '90%%%%' 10, '99%%%%' 100, '99.9%%%%' 1000, "
		"'99.99%%%%' 10000, '99.999%%%%' 100000)\n"
		"set xlabel 'percentile'\n"
		"set ylabel 'microseconds'\n"
		"plot for [i=0:%u] 'latency.dat' index i using 2:3 with linespoints "
		"title columnheader(1)\n", n - 1);
	if (close_checked(g, dir, "latency.gp", err, errlen) < 0)
		return -1;
	return gnuplot(dir, "latency", err, errlen);
}
