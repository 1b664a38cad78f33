/* SPDX-License-Identifier: BSD-3-Clause */
/* natgw replay: options, the EAL set up for a run without hugepages or root,
 * the run, then outputs that appear only once complete. */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "natgw_build_config.h"
#include "commands.h"
#include "options.h"

#define DEFAULT_INSIDE "10.0.0.0/16"
#define DEFAULT_PUBLIC "203.0.113.10"
#define DEFAULT_OUT "natgw-out"
#define POLICY_EXAMPLE "policy-example.json"

enum { OPT_CSV = 0x100, OPT_SPEEDUP, OPT_NOPLOT, OPT_SCALE, OPT_GATEWAY, OPT_PORTS, OPT_SYNTH };

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: natgw replay [CAPTURE] [OPTIONS]\n"
		"\n"
		"Replay CAPTURE, taken inside a VPC (tcpdump on a host: both directions,\n"
		"private addresses), through the NAT in the capture's own time. Packets from\n"
		"the inside networks enter the NAT's inside; answers are re-addressed to the\n"
		"public endpoint the NAT mapped, as the internet sends them, and enter its\n"
		"outside. Without CAPTURE: the synthetic ECS scenario (docs/synth.md), its\n"
		"hosts in %s behind %s, run in a closed loop through the NAT:\n"
		"agents, image pulls from ECR and S3, DynamoDB, CloudWatch Logs, the\n"
		"internet, and a statsd burst the example egress policy denies; a responder\n"
		"answers as the destinations would.\n"
		"\n"
		"Writes OUT/outside.pcap (what left for the internet), OUT/inside.pcap (what\n"
		"was delivered back inside), OUT/report.json, and prints a summary.\n"
		"The same capture (or scenario) and options always give byte-identical outputs.\n"
		"\n"
		"options:\n"
		"  -i, --inside-net CIDR[,CIDR...]  the private networks behind the NAT\n"
		"                                   (required with CAPTURE; up to %d)\n"
		"  -p, --public-ip IP[,IP...]       the NAT's public addresses (required with\n"
		"                                   CAPTURE; 1 to %d, like the AWS gateway)\n"
		"  -o, --out DIR                    output directory (default: %s)\n"
		"  -P, --profile aws|rfc            behaviour: the AWS NAT gateway (default) or\n"
		"                                   RFC 4787/5382/5508 endpoint-independent NAT\n"
		"  -f, --filtering eif|adf|apdf     rfc profile's inbound filtering (default eif)\n"
		"  -t, --timeout CLASS=SECONDS      idle timeout of tcp_syn, tcp_est, tcp_trans,\n"
		"                                   udp or icmp; repeat for several\n"
		"  -m, --max-sessions N             session table size (default 262144)\n"
		"      --mtu BYTES                  largest IP packet forwarded (aws: 8500)\n"
		"      --port-alloc KEY=on|off[,...] public port choice: parity (keep the\n"
		"                                   inside port's parity; default off) and\n"
		"                                   range (inside ports below 1024 get public\n"
		"                                   ports below 1024; rfc default on, aws off)\n"
		"      --speedup N                  replay N times as fast as captured (the same\n"
		"                                   bytes in 1/N of the time: what if the\n"
		"                                   traffic grew N-fold?); default 1. The\n"
		"                                   scenario too: the NAT sees its time / N\n"
		"      --synth KEY=VALUE[,...]      the synthetic scenario's parameters (no\n"
		"                                   CAPTURE), e.g. hosts=8,tasks=20,burst=0;\n"
		"                                   keys in docs/synth.md\n"
		"      --no-plot                    no PNG plots (default: OUT/bills.png and\n"
		"                                   OUT/metrics_per_minute.png, by gnuplot)\n"
		"      --scale off|on|KEY=VALUE[,...]\n"
		"                                   the elastic ceiling (on for aws: 5 Gbps and\n"
		"                                   1 Mpps, growing to 45 Gbps, 10 Mpps with\n"
		"                                   demand); keys in docs/scaling.md, e.g.\n"
		"                                   bps_start=10G,up_after=5s\n"
		"      --gateway NETS=IPS           one more NAT gateway owning the inside\n"
		"                                   networks NETS (CIDR+CIDR...) with public\n"
		"                                   addresses IPS (IP+IP...); repeat for each,\n"
		"                                   up to %d, instead of -i/-p\n"
		"      --csv DIR                    also write the flows and the per-minute\n"
		"                                   metrics as CSV files into DIR\n"
		"  -C, --fixcsum                    recompute every frame's IPv4 and TCP/UDP/ICMP\n"
		"                                   checksums before the NAT: for captures taken\n"
		"                                   on a host with checksum offload\n"
		"  -q, --quiet                      no summary, no progress\n"
		"  -h, --help                       this text\n"
		"\n"
		NATGW_ACCT_USAGE
		"\n"
		"Exit status: 0 done, 1 the run failed, 2 bad options.\n",
		DEFAULT_INSIDE, DEFAULT_PUBLIC, NATGW_MAX_INSIDE, NATGW_MAX_PUBLIC, DEFAULT_OUT,
		NATGW_REPLAY_MAX_GW);
}

/* A file natgw ships (the sample, the example policy), from the build tree
 * or where it was installed; @p p holds the path. */
static const char *
data_path(char *p, size_t len, const char *name)
{
	snprintf(p, len, "%s/%s", NATGW_BUILDDATA, name);
	if (access(p, R_OK) == 0)
		return p;
	snprintf(p, len, "%s/%s", NATGW_DATADIR, name);
	return p;
}

int
natgw_mkdir_p(const char *path)
{
	char p[4096];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0)
			continue;
		p[i] = 0;
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			return -1;
		p[i] = i < n ? '/' : 0;
	}
	return 0;
}

/* The scenario's hosts must be behind the NAT: every one in an inside network. */
static int
synth_inside(const struct natgw_nat_conf *nc, const struct natgw_synth_conf *sc, char *err,
		size_t errlen)
{
	uint32_t ends[2] = {natgw_synth_host_ip(sc, 0), natgw_synth_host_ip(sc, sc->hosts - 1)};
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (!natgw_nat_is_inside(nc, htonl(ends[i]))) {
			struct in_addr a = {.s_addr = htonl(ends[i])};

			snprintf(err, errlen, "the scenario's host %s is in no inside network "
				"(--synth net=... or --inside-net)", inet_ntoa(a));
			return -1;
		}
	return 0;
}

static bool
capture_ok(const char *path, char *err, size_t errlen)
{
	struct natgw_pcap_reader *r = natgw_pcap_open(path, err, errlen);

	natgw_pcap_close(r);
	return r != NULL;
}

static double
wall_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

struct progress {
	double last;
	bool shown;
};

/* On a terminal only, at most a few times a second. */
static void
show_progress(void *arg, uint64_t frames, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	double now = wall_s();

	if (now - p->last < 0.25)
		return;
	p->last = now;
	p->shown = true;
	if (total)
		fprintf(stderr, "\rreplay: %5.1f%%  %" PRIu64 " frames", 100.0 * done / total, frames);
	else
		fprintf(stderr, "\rreplay: %" PRIu64 " frames", frames);
}

static int
init_eal(uint32_t max_sessions, unsigned int n_gw, char *err, size_t errlen)
{
	char mem[32], prefix[64];
	/* Room for the buffers and the address ranges' LPM (about 64 MB), and
	 * for each gateway its tables (about 400 bytes a session) and its
	 * learned names (about 20 MB). Without hugepages this is address space,
	 * touched only as it is used. */
	unsigned long mb = 192 + (unsigned long)n_gw *
		(32 + (unsigned long)max_sessions * 512 / (1024 * 1024));
	char *args[] = {
		"natgw", "--no-huge", "-m", mem, "--no-pci", "--no-shconf",
		"--file-prefix", prefix, "-l", "0", "--no-telemetry",
		"--log-level", "lib.eal:error", NULL,
	};

	snprintf(mem, sizeof(mem), "%lu", mb);
	/* Concurrent replays must not share a runtime directory. */
	snprintf(prefix, sizeof(prefix), "natgw-replay-%ld", (long)getpid());
	if (rte_eal_init((int)RTE_DIM(args) - 1, args) < 0) {
		snprintf(err, errlen, "DPDK EAL initialisation failed: %s", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

int
natgw_cmd_replay(int argc, char **argv)
{
	static const struct option lo[] = {
		{"inside-net", required_argument, NULL, 'i'},
		{"public-ip", required_argument, NULL, 'p'},
		{"out", required_argument, NULL, 'o'},
		{"profile", required_argument, NULL, 'P'},
		{"filtering", required_argument, NULL, 'f'},
		{"timeout", required_argument, NULL, 't'},
		{"max-sessions", required_argument, NULL, 'm'},
		{"mtu", required_argument, NULL, 'M'},
		{"fixcsum", no_argument, NULL, 'C'},
		{"csv", required_argument, NULL, OPT_CSV},
		{"speedup", required_argument, NULL, OPT_SPEEDUP},
		{"no-plot", no_argument, NULL, OPT_NOPLOT},
		{"scale", required_argument, NULL, OPT_SCALE},
		{"gateway", required_argument, NULL, OPT_GATEWAY},
		{"port-alloc", required_argument, NULL, OPT_PORTS},
		{"synth", required_argument, NULL, OPT_SYNTH},
		NATGW_ACCT_LONGOPTS,
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = DEFAULT_OUT, *csv = NULL;
	struct opt_nat no;
	bool quiet = false, plot = true;
	struct natgw_scale_conf scale;
	int scale_on = -1; /* -1: the profile's default */
	const char *gwspec[NATGW_REPLAY_MAX_GW];
	unsigned int n_gwspec = 0;
	char union_in[2048], union_pub[2048], synth_net[32], policy[4096];
	struct natgw_replay_conf rc;
	struct natgw_synth_conf sconf;
	const char *synth_opt = NULL;
	struct natgw_acct_conf acct;
	struct natgw_replay_result res;
	enum natgw_profile pr;
	struct progress prog = {0};
	char err[512], op[4096], ip[4096], rp[4096], fo[4096], fi[4096], fr[4096];
	struct stat st;
	int c, status = 1;

	memset(&rc, 0, sizeof(rc));
	memset(&no, 0, sizeof(no));
	memset(&res, 0, sizeof(res));
	natgw_acct_conf_init(&acct);
	natgw_scale_conf_defaults(&scale);
	natgw_synth_conf_defaults(&sconf);
	optind = 1;
	/* getopt's own messages would be a second line, under another name. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:p:o:P:f:t:m:Cqh", lo, NULL)) != -1) {
		int taken = natgw_acct_opt(&acct, c, optarg, err, sizeof(err));

		if (taken < 0)
			goto bad;
		if (taken)
			continue;
		switch (c) {
		case 'i':
			no.inside_net = optarg;
			break;
		case 'p':
			no.public_ip = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'P':
			no.profile = optarg;
			break;
		case 'f':
			no.filtering = optarg;
			break;
		case 't':
			if (opt_nat_timeout_add(&no, optarg, err, sizeof(err)) < 0)
				goto bad;
			break;
		case 'm':
			if (opt_uint(&no.max_sessions, "--max-sessions", optarg, 64, 1u << 26,
					err, sizeof(err)) < 0)
				goto bad;
			break;
		case 'M':
			if (opt_uint(&no.mtu, "--mtu", optarg, 576, 65535, err, sizeof(err)) < 0)
				goto bad;
			break;
		case 'C':
			rc.fix_checksums = true;
			break;
		case 'q':
			quiet = true;
			break;
		case OPT_CSV:
			csv = optarg;
			break;
		case OPT_NOPLOT:
			plot = false;
			break;
		case OPT_SCALE:
			if (opt_scale(&scale, &scale_on, optarg, err, sizeof(err)) < 0)
				goto bad;
			break;
		case OPT_PORTS:
			no.port_alloc = optarg;
			break;
		case OPT_GATEWAY:
			if (opt_gateway_add(gwspec, &n_gwspec, RTE_DIM(gwspec), optarg, err,
					sizeof(err)) < 0)
				goto bad;
			break;
		case OPT_SYNTH:
			/* Every --synth in order: later keys win. */
			if (natgw_synth_conf_parse(&sconf, optarg, err, sizeof(err)) < 0)
				goto bad;
			synth_opt = optarg;
			break;
		case OPT_SPEEDUP:
			if (opt_double(&rc.speedup, "--speedup", optarg, 0.001, 1e6, err,
					sizeof(err)) < 0)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;

		case ':':
			fprintf(stderr, "natgw replay: %s needs a value (see natgw replay --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			if (optopt)
				fprintf(stderr, "natgw replay: unknown option '-%c' (see natgw "
					"replay --help)\n", optopt);
			else
				fprintf(stderr, "natgw replay: unknown option '%s' (see natgw "
					"replay --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "natgw replay: one capture at a time ('%s' is extra)\n",
			argv[optind + 1]);
		return 2;
	}
	if (n_gwspec) {
		if (no.inside_net || no.public_ip) {
			fprintf(stderr, "natgw replay: --gateway gives each gateway its networks "
				"and addresses: no --inside-net or --public-ip with it\n");
			return 2;
		}
		if (opt_gateway_union(gwspec, n_gwspec, union_in, union_pub, sizeof(union_in),
				err, sizeof(err)) < 0)
			goto bad;
		no.inside_net = union_in;
		no.public_ip = union_pub;
	}
	if (optind < argc) {
		if (synth_opt) {
			fprintf(stderr, "natgw replay: --synth sets the synthetic scenario, which "
				"runs without a capture: not with %s\n", argv[optind]);
			return 2;
		}
		rc.capture = argv[optind];
		if (!no.inside_net || !no.public_ip) {
			fprintf(stderr, "natgw replay: %s is required with a capture: which "
				"networks are inside, and the NAT's public address\n",
				!no.inside_net ? "--inside-net" : "--public-ip");
			return 2;
		}
	} else {
		/* The scenario's story includes its intended egress: shown
		 * unless another policy is given. */
		if (acct.policy_path == NULL)
			acct.policy_path = data_path(policy, sizeof(policy), POLICY_EXAMPLE);
		/* The scenario's own network is inside unless told otherwise. */
		if (no.inside_net == NULL) {
			struct in_addr a = {.s_addr = htonl(sconf.net)};

			snprintf(synth_net, sizeof(synth_net), "%s/%u", inet_ntoa(a), sconf.net_len);
			no.inside_net = synth_net;
		}
		if (no.public_ip == NULL)
			no.public_ip = DEFAULT_PUBLIC;
	}
	if (opt_nat_conf(&rc.nat, &pr, &no, err, sizeof(err)) < 0)
		goto bad;
	if (n_gwspec) {
		if (opt_gateways(&rc.nat, gwspec, n_gwspec, rc.gw, err, sizeof(err)) < 0)
			goto bad;
		rc.n_gw = n_gwspec;
	}
	if (natgw_nat_conf_check(&rc.nat, err, sizeof(err)) < 0)
		goto bad;
	if (rc.capture == NULL && synth_inside(&rc.nat, &sconf, err, sizeof(err)) < 0)
		goto bad;
	/* The AWS gateway has its elastic ceiling; an RFC NAT has none. */
	if (scale_on < 0)
		scale_on = pr == NATGW_PROFILE_AWS;
	if (scale_on) {
		if (natgw_scale_conf_check(&scale, err, sizeof(err)) < 0)
			goto bad;
		rc.scale = &scale;
	}
	/* The price file and overrides are options too: checked before
	 * anything runs. (The address ranges need the EAL: loaded below.) */
	if (natgw_acct_setup(&acct, err, sizeof(err)) < 0)
		goto bad;
	/* The capture is opened once, by the reader that will replay it, before
	 * anything is made under --out: its checks and messages are the only ones. */
	if (rc.capture == NULL) {
		rc.synth = natgw_synth_create(&sconf, err, sizeof(err));
		if (rc.synth == NULL)
			goto bad;
	} else if (!capture_ok(rc.capture, err, sizeof(err))) {
		fprintf(stderr, "natgw replay: %s\n", err);
		goto fail;
	}
	if (natgw_mkdir_p(out) < 0) {
		fprintf(stderr, "natgw replay: --out %s: %s\n", out, strerror(errno));
		goto fail;
	}
	if (stat(out, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "natgw replay: --out %s: not a directory\n", out);
		goto fail;
	}
	if (csv && (natgw_mkdir_p(csv) < 0 || stat(csv, &st) < 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "natgw replay: --csv %s: %s\n", csv,
			errno ? strerror(errno) : "not a directory");
		goto fail;
	}
	/* Work under .part names; only a finished run gets the real ones, so that
	 * nothing left by a failure looks complete. */
	snprintf(op, sizeof(op), "%s/outside.pcap.part", out);
	snprintf(ip, sizeof(ip), "%s/inside.pcap.part", out);
	snprintf(rp, sizeof(rp), "%s/report.json.part", out);
	snprintf(fo, sizeof(fo), "%s/outside.pcap", out);
	snprintf(fi, sizeof(fi), "%s/inside.pcap", out);
	snprintf(fr, sizeof(fr), "%s/report.json", out);
	unlink(fo);
	unlink(fi);
	unlink(fr);
	rc.outside_path = op;
	rc.inside_path = ip;
	if (!quiet && isatty(STDERR_FILENO)) {
		rc.progress = show_progress;
		rc.progress_arg = &prog;
	}
	if (init_eal(rc.nat.max_sessions, rc.n_gw ? rc.n_gw : 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw replay: %s\n", err);
		goto fail;
	}
	if (natgw_acct_load_ranges(&acct, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw replay: %s\n", err);
		goto done;
	}
	rc.classify = true;
	rc.ranges = acct.ranges;
	rc.enforce = acct.enforce ? acct.policy : NULL;
	if (natgw_replay_run(&rc, &res, err, sizeof(err)) < 0) {
		if (prog.shown)
			fputc('\n', stderr);
		fprintf(stderr, "natgw replay: %s\n", err);
		goto done;
	}
	if (prog.shown)
		fprintf(stderr, "\r%*s\r", 40, "");
	if (natgw_report_write(rp, &rc, &res, &acct, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw replay: %s\n", err);
		unlink(op);
		unlink(ip);
		unlink(rp);
		goto done;
	}
	if (rename(op, fo) < 0 || rename(ip, fi) < 0 || rename(rp, fr) < 0) {
		fprintf(stderr, "natgw replay: %s: %s\n", out, strerror(errno));
		goto done;
	}
	if (csv && natgw_replay_csv(csv, &rc, &res, &acct, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw replay: --csv: %s\n", err);
		goto done;
	}
	/* A plot that cannot be drawn (no gnuplot) costs the run nothing else:
	 * the results are all in report.json. */
	if (plot && natgw_replay_plots(out, &rc, &res, &acct, err, sizeof(err)) < 0)
		fprintf(stderr, "natgw replay: no plots: %s\n", err);
	if (!quiet) {
		natgw_report_summary(stdout, &rc, &res, &acct);
		printf("wrote %s, %s, %s%s%s\n", fo, fi, fr, csv ? ", CSV files in " : "",
			csv ? csv : "");
	}
	status = 0;
done:
	natgw_replay_result_free(&res);
	natgw_acct_conf_free(&acct);
	natgw_synth_free(rc.synth);
	snprintf(op, sizeof(op), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	/* With --no-shconf the per-run runtime directory stays empty: leave
	 * nothing behind. */
	rmdir(op);
	return status;
fail:
	/* Before the run: only the accounting's files and the scenario are held. */
	natgw_acct_conf_free(&acct);
	natgw_synth_free(rc.synth);
	return 1;
bad:
	natgw_acct_conf_free(&acct);
	natgw_synth_free(rc.synth);
	fprintf(stderr, "natgw replay: %s\n", err);
	return 2;
}
