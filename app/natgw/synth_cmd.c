/* SPDX-License-Identifier: BSD-3-Clause */
/* natgw synth: the synthetic ECS scenario written as a capture, as tcpdump on
 * the hosts would have taken it: the loop closed with no NAT in between. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "commands.h"
#include "natgw_pcap.h"
#include "natgw_synth.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: natgw synth [--synth KEY=VALUE,...] -w FILE\n"
		"\n"
		"Write the synthetic ECS scenario (the default run of natgw replay) as a\n"
		"capture: what tcpdump on the hosts would have seen, private addresses, both\n"
		"directions, the VPC resolver's DNS included. The hosts talk straight to the\n"
		"responder, with no NAT in between; natgw replay FILE --inside-net NET\n"
		"--public-ip IP then replays it. pcap, nanosecond timestamps, Ethernet.\n"
		"The same parameters always give the same bytes.\n"
		"\n"
		"options:\n"
		"  -s, --synth KEY=VALUE[,...]  the scenario's parameters (docs/synth.md), e.g.\n"
		"                               hosts=8,tasks=20,duration=10m,burst=0; repeat\n"
		"                               to add more\n"
		"  -w, --write FILE             the capture to write (required)\n"
		"  -q, --quiet                  no summary, no progress\n"
		"  -h, --help                   this text\n"
		"\n"
		"Exit status: 0 done, 1 the run failed, 2 bad options.\n");
}

static double
wall_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

struct writing {
	struct natgw_pcap_writer *w;
	const struct natgw_synth_conf *c;
	uint64_t frames, bytes;
	bool progress, shown;
	double last;
};

static int
write_frame(void *arg, const uint8_t *frame, uint32_t len, uint64_t ts_ns,
		enum natgw_synth_side side)
{
	struct writing *wr = arg;

	(void)side;
	natgw_pcap_write(wr->w, frame, len, ts_ns);
	wr->frames++;
	wr->bytes += len;
	if (wr->progress && (wr->frames & 0x3fff) == 0) {
		double now = wall_s();

		if (now - wr->last >= 0.25) {
			double done = (double)(ts_ns - wr->c->start_ns) / (double)wr->c->duration_ns;

			wr->last = now;
			wr->shown = true;
			fprintf(stderr, "\rsynth: %5.1f%% of the scenario's time, %" PRIu64 " frames",
				100.0 * (done < 1 ? done : 1), wr->frames);
		}
	}
	return 1;
}

int
natgw_cmd_synth(int argc, char **argv)
{
	static const struct option lo[] = {
		{"synth", required_argument, NULL, 's'},
		{"write", required_argument, NULL, 'w'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct natgw_synth_conf conf;
	struct natgw_synth_stats st;
	struct natgw_synth *s;
	struct writing wr = {0};
	const char *path = NULL;
	char err[512], line[512], part[4096];
	bool quiet = false;
	int c;

	natgw_synth_conf_defaults(&conf);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:w:qh", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			/* Every --synth in order: later keys win. */
			/* The library's errors start with "synth: ". */
			if (natgw_synth_conf_parse(&conf, optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "natgw %s\n", err);
				return 2;
			}
			break;
		case 'w':
			path = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "natgw synth: %s needs a value (see natgw synth --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			if (optopt)
				fprintf(stderr, "natgw synth: unknown option '-%c' (see natgw synth "
					"--help)\n", optopt);
			else
				fprintf(stderr, "natgw synth: unknown option '%s' (see natgw synth "
					"--help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "natgw synth: '%s': no arguments besides the options (the file "
			"goes with -w)\n", argv[optind]);
		return 2;
	}
	if (path == NULL) {
		fprintf(stderr, "natgw synth: -w FILE is required: where to write the capture\n");
		return 2;
	}
	s = natgw_synth_create(&conf, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "natgw %s\n", err);
		return 2;
	}
	/* Under a .part name until complete: a capture cut short by a failure
	 * must not look whole. */
	snprintf(part, sizeof(part), "%s.part", path);
	wr.w = natgw_pcap_writer_open(part, err, sizeof(err));
	if (wr.w == NULL) {
		fprintf(stderr, "natgw synth: %s\n", err);
		natgw_synth_free(s);
		return 1;
	}
	wr.c = &conf;
	wr.progress = !quiet && isatty(STDERR_FILENO);
	natgw_synth_run_direct(s, UINT64_MAX, write_frame, &wr);
	if (wr.shown)
		fprintf(stderr, "\r%*s\r", 60, "");
	natgw_synth_stats(s, &st);
	natgw_synth_free(s);
	err[0] = 0;
	if (natgw_pcap_writer_close(wr.w, err, sizeof(err)) < 0 || rename(part, path) < 0) {
		fprintf(stderr, "natgw synth: %s: %s\n", path, err[0] ? err : strerror(errno));
		unlink(part);
		return 1;
	}
	if (!quiet) {
		natgw_synth_describe(&conf, line, sizeof(line));
		printf("%s\n", line);
		natgw_synth_summary(&conf, &st, line, sizeof(line));
		printf("  %s\n", line);
		printf("wrote %s: %" PRIu64 " frames, %" PRIu64 " bytes\n", path, wr.frames,
			wr.bytes);
	}
	return 0;
}
