/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * natgw lab [EAL options] -- OPTIONS: throughput tests of a stateful NAT as
 * RFC 2544 and RFC 9693 define them, run by natgw's own traffic generator
 * (drivers/gen) on DPDK ports: NDR and PDR of established flows, latency per
 * direction at loads below the NDR, connection setup rate, and table capacity.
 *
 * The device under test is natgw's own dataplane code (lib/worker, one worker
 * lcore) between ports the lab makes in-process (rings) or real ones cabled to
 * the generator's; or any NAT the generator's ports are cabled to (external);
 * or none, the generator's ports looped, to measure the generator itself.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "natgw_build_config.h"
#include "commands.h"
#include "natgw_ethdev.h"
#include "natgw_gen.h"
#include "natgw_lab.h"
#include "natgw_synth.h"
#include "natgw_units.h"
#include "options.h"

#define DEFAULT_OUT "natgw-lab"
#define DEFAULT_INSIDE "10.0.0.0/16"
#define DEFAULT_PUBLIC "203.0.113.10"
#define RING_SIZE 2048
#define LAB_BURST 32
#define MAX_LOADS 8
/* The lab's scenario: the synthetic ECS cluster (docs/synth.md) scaled to
 * keep a device busy for half a minute of real time; --synth changes it. */
#define LAB_SYNTH "hosts=32,tasks=96,duration=30s,launch=20s,image=20M,layers=4,burst_at=10s"

enum dut_kind { DUT_BUILTIN, DUT_EXTERNAL, DUT_NONE };
enum { T_THROUGHPUT = 1, T_LATENCY = 2, T_CPS = 4, T_CAPACITY = 8, T_SCENARIO = 16, T_ALL = 31 };

/* Flows go to the synthetic ECS workload's destinations (drivers/synth: the
 * ECS control plane, ECR, S3, DynamoDB, CloudWatch Logs, GitHub, public DNS, a
 * metrics host) and --internet-dests more addresses of 198.18.0.0/15, RFC
 * 2544's benchmark range, so that the per-destination limit (55,000 a public
 * address in `aws`) does not cap the table tests. */

struct lab_opts {
	const char *gen_ports, *dut_ports, *out, *tests, *frame_size;
	const char *eth_dest[4], *synth;
	unsigned int n_eth_dest;
	struct opt_nat nat; /* the builtin device's */
	enum dut_kind dut;
	uint64_t flows, hosts, internet_dests, capacity_max, trials_max;
	double rate_min, rate_max, precision, ndr_loss, pdr_loss, trial_s, final_s;
	double cps_min, cps_max, cps_trial_s, capacity_rate, setup_rate, out_share, gap_s;
	double latency_s;
	double loads[MAX_LOADS];  /* --latency-loads, % of the NDR */
	unsigned int n_loads;
	bool quiet, no_plot;
	int tests_mask;
};

struct lab {
	struct lab_opts o;
	struct natgw_gen *gen;
	struct natgw_gen_conf gc;
	struct natgw_port gport[NATGW_GEN_DIRS]; /* generator: inside-facing, outside-facing */
	struct natgw_port dport[NATGW_SIDES];    /* built-in DUT: inside, outside */
	struct natgw_nat_conf nat;
	struct natgw_worker *dut;
	struct natgw_nat_stats dut_total; /* over its restarts */
	unsigned int dut_lcore;
	_Atomic bool dut_quit;
	uint64_t tsc0;
	double ns_per_tsc;
	struct natgw_gen_dest dests[NATGW_GEN_MAX_DESTS];
	double mean_len;      /* mean frame length, both directions (no FCS) */
	uint64_t next_new;    /* the next fresh flow index for setup-rate trials */
	uint64_t tuples;      /* distinct flows the hosts can make */
	const char *test;     /* the test running, for progress */
	json_t *trials;       /* the running test's trials */
	FILE *csv;            /* trials.csv */
	double cap_held;      /* most sessions that held in a capacity trial */
	bool tty;
};

static volatile bool lab_stop;

static void
on_signal(int sig)
{
	(void)sig;
	lab_stop = true;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: natgw lab [EAL options] -- [OPTIONS]\n"
		"\n"
		"Throughput tests of a stateful NAT (RFC 2544, RFC 9693), with natgw's own\n"
		"traffic generator on DPDK ports: the synthetic ECS workload in real time,\n"
		"the NDR and PDR of established flows, the latency of each direction below\n"
		"the NDR, the connection setup rate and the session table's capacity.\n"
		"Results as a table, %s/lab.json and CSV files.\n"
		"Without ports, everything runs in this process on ring ports: the generator\n"
		"on the main lcore, natgw's dataplane (the device under test) on a worker\n"
		"lcore (-l 0,1).\n"
		"\n"
		"ports and device under test:\n"
		"  --dut builtin|external|none   builtin: natgw's dataplane in this process\n"
		"                                (default); external: a NAT the generator's\n"
		"                                ports are cabled to; none: the generator's\n"
		"                                ports cabled to each other (calibration)\n"
		"  --gen-ports IN,OUT            the generator's ports facing the device's\n"
		"                                inside and outside (id or name; default:\n"
		"                                ring ports made here)\n"
		"  --dut-ports IN,OUT            builtin on real ports: its inside and outside\n"
		"                                (cabled to --gen-ports)\n"
		"  --eth-dest PORT,MAC           next hop of a generator port (default: the\n"
		"                                builtin device's port, or broadcast)\n"
		"\n"
		"the builtin device (natgw's options, docs/dataplane.md):\n"
		"  --profile aws|rfc             behaviour (default aws)\n"
		"  --inside-net CIDR[,..]        private networks (default %s); the flows'\n"
		"                                hosts are the first addresses of the first\n"
		"  --public-ip IP[,..]           public addresses (default %s)\n"
		"  --max-sessions N              its session table (default 262144)\n"
		"  --timeout CLASS=SECONDS       idle timeouts, as natgw's\n"
		"\n"
		"workload:\n"
		"  --flows N                     established flows of the throughput and\n"
		"                                latency tests (default 1024)\n"
		"  --hosts N                     inside hosts the flows come from (default 256)\n"
		"  --frame-size SIZES            frame sizes with FCS: 64 (default), a list\n"
		"                                \"64,570,1518\", weighted \"64:7,570:4,1518:1\",\n"
		"                                imix, or ecs: the ECS workload's mix (in: full\n"
		"                                segments of image layers, out: their ACKs)\n"
		"  --out-share F                 fraction of the frames that go out (default\n"
		"                                0.5; ecs: 1/3, two segments in per ACK out)\n"
		"  --internet-dests N            destinations besides the ECS ones, in\n"
		"                                198.18.0.0/15 (default 1014)\n"
		"\n"
		"tests and search (docs/lab.md):\n"
		"  --tests LIST                  scenario,throughput,latency,cps,capacity\n"
		"                                (default all)\n"
		"  --synth KEY=VALUE[,...]       the scenario: the synthetic ECS cluster of\n"
		"                                docs/synth.md, run in real time through the\n"
		"                                device (default here " LAB_SYNTH ")\n"
		"  --rate-min PPS, --rate-max PPS  throughput search range (default 10000 and\n"
		"                                20000000; suffixes k, M, G)\n"
		"  --precision F                 a bound is final within F of its width\n"
		"                                (default 0.01)\n"
		"  --ndr-loss PCT                loss the NDR allows (default 0)\n"
		"  --pdr-loss PCT                loss the PDR allows (default 0.5)\n"
		"  --trial SECONDS               trial length (default 1)\n"
		"  --final SECONDS               confirm each bound with a trial this long\n"
		"                                (default: no confirmation)\n"
		"  --max-trials N                trials per search at most (default 40)\n"
		"  --latency-loads PCT[,..]      loads, in %% of the NDR, latency is measured at\n"
		"                                (default 10,50,90)\n"
		"  --latency-trial SECONDS       length of each (default: --trial)\n"
		"  --cps-min CPS, --cps-max CPS  setup-rate search range (default 10000 and\n"
		"                                2000000)\n"
		"  --cps-trial SECONDS           setup-rate trial length (default 0.25; the\n"
		"                                builtin device's trials hold at most 90%% of\n"
		"                                its table: shorter at high rates)\n"
		"  --capacity-max N              table capacity search's top (default: twice\n"
		"                                the builtin's --max-sessions, else 4194304)\n"
		"  --capacity-rate CPS           sessions set up per second in capacity trials\n"
		"                                (default: half the measured setup rate, or\n"
		"                                200000)\n"
		"  --setup-rate CPS              rate flows are established at before a\n"
		"                                throughput trial (default 200000)\n"
		"  --gap SECONDS                 external device: wait between setup-rate and\n"
		"                                capacity trials for its sessions to expire\n"
		"                                (default 3; the builtin one is made anew)\n"
		"\n"
		"  -o, --out DIR                 output directory (default %s)\n"
		"  -q, --quiet                   no progress, no table\n"
		"      --no-plot                 no PNG plots (default: trials.png, every\n"
		"                                trial's loss at its rate, and latency.png,\n"
		"                                latency by percentile; gnuplot draws them)\n"
		"  -h, --help                    this text\n"
		"\n"
		"example, no NIC needed:\n"
		"  natgw lab -l 0,1 -- --tests throughput,latency --trial 0.5\n"
		"\n"
		"Exit status: 0 done, 1 the run failed, 2 bad options.\n",
		DEFAULT_OUT, DEFAULT_INSIDE, DEFAULT_PUBLIC, DEFAULT_OUT);
}

/* ----------------------------------------------------------------- options */

enum {
	O_DUT = 0x100, O_GEN_PORTS, O_DUT_PORTS, O_ETH_DEST, O_PROFILE, O_INSIDE, O_PUBLIC,
	O_MAX_SESS, O_TIMEOUT, O_FLOWS, O_HOSTS, O_FRAME, O_OUT_SHARE, O_INET, O_TESTS,
	O_RATE_MIN, O_RATE_MAX, O_PRECISION, O_NDR, O_PDR, O_TRIAL, O_FINAL, O_MAX_TRIALS,
	O_LOADS, O_LAT_TRIAL, O_CPS_MIN, O_CPS_MAX, O_CPS_TRIAL, O_CAP_MAX, O_CAP_RATE,
	O_SETUP_RATE, O_GAP, O_SYNTH, O_NO_PLOT,
};

static const struct option longopts[] = {
	{"dut", required_argument, NULL, O_DUT},
	{"gen-ports", required_argument, NULL, O_GEN_PORTS},
	{"dut-ports", required_argument, NULL, O_DUT_PORTS},
	{"eth-dest", required_argument, NULL, O_ETH_DEST},
	{"profile", required_argument, NULL, O_PROFILE},
	{"inside-net", required_argument, NULL, O_INSIDE},
	{"public-ip", required_argument, NULL, O_PUBLIC},
	{"max-sessions", required_argument, NULL, O_MAX_SESS},
	{"timeout", required_argument, NULL, O_TIMEOUT},
	{"flows", required_argument, NULL, O_FLOWS},
	{"hosts", required_argument, NULL, O_HOSTS},
	{"frame-size", required_argument, NULL, O_FRAME},
	{"out-share", required_argument, NULL, O_OUT_SHARE},
	{"internet-dests", required_argument, NULL, O_INET},
	{"tests", required_argument, NULL, O_TESTS},
	{"rate-min", required_argument, NULL, O_RATE_MIN},
	{"rate-max", required_argument, NULL, O_RATE_MAX},
	{"precision", required_argument, NULL, O_PRECISION},
	{"ndr-loss", required_argument, NULL, O_NDR},
	{"pdr-loss", required_argument, NULL, O_PDR},
	{"trial", required_argument, NULL, O_TRIAL},
	{"final", required_argument, NULL, O_FINAL},
	{"max-trials", required_argument, NULL, O_MAX_TRIALS},
	{"latency-loads", required_argument, NULL, O_LOADS},
	{"latency-trial", required_argument, NULL, O_LAT_TRIAL},
	{"cps-min", required_argument, NULL, O_CPS_MIN},
	{"cps-max", required_argument, NULL, O_CPS_MAX},
	{"cps-trial", required_argument, NULL, O_CPS_TRIAL},
	{"capacity-max", required_argument, NULL, O_CAP_MAX},
	{"capacity-rate", required_argument, NULL, O_CAP_RATE},
	{"setup-rate", required_argument, NULL, O_SETUP_RATE},
	{"gap", required_argument, NULL, O_GAP},
	{"synth", required_argument, NULL, O_SYNTH},
	{"no-plot", no_argument, NULL, O_NO_PLOT},
	{"out", required_argument, NULL, 'o'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* A rate, or a count: a number with an optional k, M, G or T (lib/units). */
static int
opt_rate(double *v, const char *name, const char *arg, double lo, double hi, char *err,
		size_t errlen)
{
	double x;

	if (natgw_qty_parse(arg, NATGW_QTY_COUNT, &x) < 0 || !(x >= lo && x <= hi)) {
		snprintf(err, errlen, "%s: '%s' is not a number from %g to %g (with k, M or G: "
			"\"500k\", \"2M\")", name, arg, lo, hi);
		return -1;
	}
	*v = x;
	return 0;
}

static int
parse_tests(const char *s, int *mask, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		int bit;
	} t[] = {{"scenario", T_SCENARIO}, {"throughput", T_THROUGHPUT},
		{"latency", T_LATENCY}, {"cps", T_CPS}, {"capacity", T_CAPACITY}, {"all", T_ALL}};
	const char *p = s;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < RTE_DIM(t); i++)
			if (strlen(t[i].name) == n && strncmp(p, t[i].name, n) == 0)
				break;
		if (i == RTE_DIM(t)) {
			snprintf(err, errlen, "--tests: '%.*s' is not a test (scenario, throughput, "
				"latency, cps, capacity, all)", (int)n, p);
			return -1;
		}
		*mask |= t[i].bit;
		p += n + (p[n] == ',');
	}
	if (*mask == 0) {
		snprintf(err, errlen, "--tests: none given");
		return -1;
	}
	return 0;
}

static int
parse_loads(const char *s, double *loads, unsigned int *n, char *err, size_t errlen)
{
	char buf[256], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "--latency-loads: too long");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_LOADS) {
			snprintf(err, errlen, "--latency-loads: at most %d loads", MAX_LOADS);
			return -1;
		}
		if (opt_double(&loads[*n], "--latency-loads", tok, 0.1, 100, err, errlen) < 0)
			return -1;
		(*n)++;
	}
	if (*n == 0) {
		snprintf(err, errlen, "--latency-loads: none given");
		return -1;
	}
	return 0;
}

static int
parse_opts(int argc, char **argv, struct lab_opts *o, char *err, size_t errlen)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case O_DUT:
			if (strcmp(optarg, "builtin") == 0)
				o->dut = DUT_BUILTIN;
			else if (strcmp(optarg, "external") == 0)
				o->dut = DUT_EXTERNAL;
			else if (strcmp(optarg, "none") == 0)
				o->dut = DUT_NONE;
			else {
				snprintf(err, errlen, "--dut: '%s' is not builtin, external or none",
					optarg);
				return -1;
			}
			break;
		case O_GEN_PORTS: o->gen_ports = optarg; break;
		case O_DUT_PORTS: o->dut_ports = optarg; break;
		case O_ETH_DEST:
			if (o->n_eth_dest == RTE_DIM(o->eth_dest)) {
				snprintf(err, errlen, "--eth-dest: given more than %zu times",
					RTE_DIM(o->eth_dest));
				return -1;
			}
			o->eth_dest[o->n_eth_dest++] = optarg;
			break;
		case O_PROFILE: o->nat.profile = optarg; break;
		case O_INSIDE: o->nat.inside_net = optarg; break;
		case O_PUBLIC: o->nat.public_ip = optarg; break;
		case O_MAX_SESS:
			rc = opt_uint(&o->nat.max_sessions, "--max-sessions", optarg, 64, 1u << 26,
				err, errlen);
			break;
		case O_TIMEOUT:
			if (opt_nat_timeout_add(&o->nat, optarg, err, errlen) < 0)
				return -1;
			break;
		case O_FLOWS:
			rc = opt_uint(&o->flows, "--flows", optarg, 1, 1u << 24, err, errlen);
			break;
		case O_HOSTS:
			rc = opt_uint(&o->hosts, "--hosts", optarg, 1, 65534, err, errlen);
			break;
		case O_FRAME: o->frame_size = optarg; break;
		case O_OUT_SHARE:
			rc = opt_double(&o->out_share, "--out-share", optarg, 0.01, 0.99, err,
				errlen);
			break;
		case O_INET:
			rc = opt_uint(&o->internet_dests, "--internet-dests", optarg, 0,
				NATGW_GEN_MAX_DESTS, err, errlen);
			break;
		case O_TESTS: rc = parse_tests(optarg, &o->tests_mask, err, errlen); break;
		case O_RATE_MIN:
			rc = opt_rate(&o->rate_min, "--rate-min", optarg, 1, 1e9, err, errlen);
			break;
		case O_RATE_MAX:
			rc = opt_rate(&o->rate_max, "--rate-max", optarg, 1, 1e9, err, errlen);
			break;
		case O_PRECISION:
			rc = opt_double(&o->precision, "--precision", optarg, 0.0001, 0.5, err,
				errlen);
			break;
		case O_NDR:
			rc = opt_double(&o->ndr_loss, "--ndr-loss", optarg, 0, 100, err, errlen);
			break;
		case O_PDR:
			rc = opt_double(&o->pdr_loss, "--pdr-loss", optarg, 0, 100, err, errlen);
			break;
		case O_TRIAL:
			rc = opt_double(&o->trial_s, "--trial", optarg, 0.01, 3600, err, errlen);
			break;
		case O_FINAL:
			rc = opt_double(&o->final_s, "--final", optarg, 0.01, 3600, err, errlen);
			break;
		case O_MAX_TRIALS:
			rc = opt_uint(&o->trials_max, "--max-trials", optarg, 1, 1000, err, errlen);
			break;
		case O_LOADS:
			rc = parse_loads(optarg, o->loads, &o->n_loads, err, errlen);
			break;
		case O_LAT_TRIAL:
			rc = opt_double(&o->latency_s, "--latency-trial", optarg, 0.01, 3600, err,
				errlen);
			break;
		case O_CPS_MIN:
			rc = opt_rate(&o->cps_min, "--cps-min", optarg, 1, 1e9, err, errlen);
			break;
		case O_CPS_MAX:
			rc = opt_rate(&o->cps_max, "--cps-max", optarg, 1, 1e9, err, errlen);
			break;
		case O_CPS_TRIAL:
			rc = opt_double(&o->cps_trial_s, "--cps-trial", optarg, 0.01, 3600, err,
				errlen);
			break;
		case O_CAP_MAX:
			rc = opt_uint(&o->capacity_max, "--capacity-max", optarg, 64, 1u << 26, err,
				errlen);
			break;
		case O_CAP_RATE:
			rc = opt_rate(&o->capacity_rate, "--capacity-rate", optarg, 1, 1e9, err,
				errlen);
			break;
		case O_SETUP_RATE:
			rc = opt_rate(&o->setup_rate, "--setup-rate", optarg, 1, 1e9, err, errlen);
			break;
		case O_SYNTH: o->synth = optarg; break;
		case O_NO_PLOT: o->no_plot = true; break;
		case O_GAP:
			rc = opt_double(&o->gap_s, "--gap", optarg, 0, 3600, err, errlen);
			break;
		case 'o': o->out = optarg; break;
		case 'q': o->quiet = true; break;
		case ':':
			snprintf(err, errlen, "%s needs a value", argv[optind - 1]);
			return -1;
		default:
			snprintf(err, errlen, "unknown option %s (see natgw lab -- --help)",
				argv[optind - 1]);
			return -1;
		}
		if (rc < 0)
			return -1;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (o->rate_min >= o->rate_max) {
		snprintf(err, errlen, "--rate-min must be below --rate-max");
		return -1;
	}
	if (o->cps_min >= o->cps_max) {
		snprintf(err, errlen, "--cps-min must be below --cps-max");
		return -1;
	}
	if (o->pdr_loss < o->ndr_loss) {
		snprintf(err, errlen, "--pdr-loss must be at least --ndr-loss");
		return -1;
	}
	if (o->dut_ports && o->dut != DUT_BUILTIN) {
		snprintf(err, errlen, "--dut-ports: only the builtin device has ports here");
		return -1;
	}
	if (o->dut_ports && !o->gen_ports) {
		snprintf(err, errlen, "--dut-ports needs --gen-ports (the ports cabled to them)");
		return -1;
	}
	if (o->gen_ports && o->dut == DUT_BUILTIN && !o->dut_ports) {
		snprintf(err, errlen, "--gen-ports with the builtin device needs --dut-ports "
			"(or --dut external)");
		return -1;
	}
	if (o->dut != DUT_BUILTIN && !o->gen_ports && o->dut == DUT_EXTERNAL) {
		snprintf(err, errlen, "--dut external needs --gen-ports: the ports cabled to it");
		return -1;
	}
	if (o->dut != DUT_BUILTIN && (o->nat.profile || o->nat.inside_net ||
			o->nat.max_sessions || o->nat.nt)) {
		snprintf(err, errlen, "--profile, --inside-net, --max-sessions and --timeout set "
			"up the builtin device only");
		return -1;
	}
	return 0;
}

/* "A,B" into two ports. */
static int
port_pair(const char *opt, const char *s, uint16_t *a, uint16_t *b, char *err, size_t errlen)
{
	const char *comma = strchr(s, ',');
	char first[64];

	if (comma == NULL || comma == s || (size_t)(comma - s) >= sizeof(first)) {
		snprintf(err, errlen, "%s: '%s' is not IN,OUT (two ports)", opt, s);
		return -1;
	}
	memcpy(first, s, (size_t)(comma - s));
	first[comma - s] = 0;
	if (natgw_port_lookup(first, a, err, errlen) < 0 ||
			natgw_port_lookup(comma + 1, b, err, errlen) < 0)
		return -1;
	if (*a == *b) {
		snprintf(err, errlen, "%s: the same port twice", opt);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------- the builtin DUT */

static uint16_t
dut_tx(void *arg, enum natgw_side side, struct rte_mbuf **pkts, uint16_t n)
{
	struct lab *L = arg;

	return natgw_port_tx_burst(&L->dport[side], 0, pkts, n);
}

/* natgw's dataplane loop, on one worker lcore: the same lib/worker code as
 * `natgw -- ...`'s workers. */
static int
dut_main(void *arg)
{
	struct lab *L = arg;
	struct rte_mbuf *pkts[LAB_BURST];
	unsigned int s;
	uint16_t n;

	while (!atomic_load_explicit(&L->dut_quit, memory_order_relaxed)) {
		uint64_t now = (uint64_t)((double)(rte_rdtsc() - L->tsc0) * L->ns_per_tsc);

		for (s = 0; s < NATGW_SIDES; s++) {
			n = rte_eth_rx_burst(L->dport[s].id, 0, pkts, LAB_BURST);
			if (n)
				natgw_worker_rx(L->dut, (enum natgw_side)s, pkts, n, now, dut_tx, L);
		}
		natgw_worker_housekeep(L->dut, now);
	}
	return 0;
}

static int
dut_conf(struct lab *L, char *err, size_t errlen)
{
	struct opt_nat no = L->o.nat;
	enum natgw_profile pr;

	if (no.inside_net == NULL)
		no.inside_net = DEFAULT_INSIDE;
	if (no.public_ip == NULL)
		no.public_ip = DEFAULT_PUBLIC;
	if (opt_nat_conf(&L->nat, &pr, &no, err, errlen) < 0)
		return -1;
	return natgw_nat_conf_check(&L->nat, err, errlen);
}

/* The device's counters, summed over its restarts. */
static void
dut_add_totals(struct lab *L)
{
	const struct natgw_nat_stats *st = natgw_nat_stats(natgw_worker_nat(L->dut));
	uint64_t peak = RTE_MAX(L->dut_total.sessions_peak, st->sessions_peak);

	natgw_report_stats_add(&L->dut_total, st);
	/* The devices came one after another, not side by side: the most at
	 * once is the largest peak, not their sum. */
	L->dut_total.sessions_peak = peak;
}

static int
dut_start(struct lab *L, char *err, size_t errlen)
{
	struct natgw_worker_conf wc;

	memset(&wc, 0, sizeof(wc));
	wc.name = "lab_dut";
	wc.nat = L->nat;
	wc.nat.socket_id = (int)rte_lcore_to_socket_id(L->dut_lcore);
	wc.expire_budget = 256;
	L->dut = natgw_worker_create(&wc, err, errlen);
	if (L->dut == NULL)
		return -1;
	atomic_store(&L->dut_quit, false);
	return rte_eal_remote_launch(dut_main, L, L->dut_lcore) == 0 ? 0 :
		(snprintf(err, errlen, "cannot start the device's lcore %u", L->dut_lcore), -1);
}

static void
dut_stop(struct lab *L)
{
	atomic_store(&L->dut_quit, true);
	rte_eal_wait_lcore(L->dut_lcore);
}

/* A new device with an empty table, for a trial that must start with one;
 * what the old one counted is added to the run's totals. */
static int
dut_restart(struct lab *L)
{
	char err[256];

	dut_stop(L);
	dut_add_totals(L);
	natgw_worker_free(L->dut);
	L->dut = NULL;
	if (dut_start(L, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw lab: %s\n", err);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- ports */

static int
ring_port(const char *name, struct rte_ring *rx, struct rte_ring *tx, uint16_t *id, char *err,
		size_t errlen)
{
	int p = rte_eth_from_rings(name, &rx, 1, &tx, 1, (unsigned int)rte_socket_id());

	if (p < 0) {
		snprintf(err, errlen, "cannot make ring port %s: %s", name,
			rte_strerror(rte_errno));
		return -1;
	}
	*id = (uint16_t)p;
	return 0;
}

/* In-process ports: rings between the generator and the builtin device, or,
 * without one, between the generator's two ports. */
static int
make_ring_ports(struct lab *L, char *err, size_t errlen)
{
	struct rte_ring *r[4];
	unsigned int i;
	char name[32];

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "lab_ring%u", i);
		r[i] = rte_ring_create(name, RING_SIZE, (int)rte_socket_id(),
			RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (r[i] == NULL) {
			snprintf(err, errlen, "cannot make ring %s: %s", name,
				rte_strerror(rte_errno));
			return -1;
		}
	}
	if (L->o.dut == DUT_NONE)
		return ring_port("lab_gen_in", r[1], r[0], &L->gport[NATGW_GEN_OUT].id, err,
				errlen) < 0 ||
			ring_port("lab_gen_out", r[0], r[1], &L->gport[NATGW_GEN_IN].id, err,
				errlen) < 0 ? -1 : 0;
	/* r0: generator -> inside, r1: inside -> generator, r2: generator ->
	 * outside, r3: outside -> generator. */
	return ring_port("lab_gen_in", r[1], r[0], &L->gport[NATGW_GEN_OUT].id, err, errlen) < 0 ||
		ring_port("lab_dut_in", r[0], r[1], &L->dport[NATGW_SIDE_INSIDE].id, err,
			errlen) < 0 ||
		ring_port("lab_gen_out", r[3], r[2], &L->gport[NATGW_GEN_IN].id, err,
			errlen) < 0 ||
		ring_port("lab_dut_out", r[2], r[3], &L->dport[NATGW_SIDE_OUTSIDE].id, err,
			errlen) < 0 ? -1 : 0;
}

static int
eth_dest(struct lab *L, char *err, size_t errlen)
{
	unsigned int i, d;

	/* Defaults: the builtin device's port across the cable, else broadcast
	 * (a device in promiscuous mode takes it; set the real next hop with
	 * --eth-dest). */
	for (d = 0; d < NATGW_GEN_DIRS; d++) {
		if (L->o.dut == DUT_BUILTIN)
			L->gc.dst_mac[d] = L->dport[d == NATGW_GEN_OUT ? NATGW_SIDE_INSIDE :
				NATGW_SIDE_OUTSIDE].mac;
		else
			memset(&L->gc.dst_mac[d], 0xff, sizeof(L->gc.dst_mac[d]));
	}
	for (i = 0; i < L->o.n_eth_dest; i++) {
		struct rte_ether_addr mac;
		uint16_t id;

		if (natgw_port_mac_arg("--eth-dest", L->o.eth_dest[i], &id, &mac, err,
				errlen) < 0)
			return -1;
		for (d = 0; d < NATGW_GEN_DIRS && L->gport[d].id != id; d++)
			;
		if (d == NATGW_GEN_DIRS) {
			snprintf(err, errlen, "--eth-dest: port %u is not one of --gen-ports", id);
			return -1;
		}
		L->gc.dst_mac[d] = mac;
	}
	return 0;
}

/* ------------------------------------------------------------- progress */

static void
tick(void *arg, uint64_t elapsed, uint64_t total)
{
	struct lab *L = arg;

	fprintf(stderr, "\r  %s trial: %3.0f%%", L->test,
		total ? 100.0 * (double)RTE_MIN(elapsed, total) / (double)total : 0.0);
	fflush(stderr);
}

/* "4.016 Mpps", "184.9 kcps"; a count of sessions as it is. */
static void
rate_cell(char *buf, size_t n, double v, const char *unit)
{
	if (strcmp(unit, "sessions") == 0)
		snprintf(buf, n, "%.0f sessions", v);
	else if (v >= 1e6)
		snprintf(buf, n, "%.3f M%s", v / 1e6, unit);
	else if (v >= 1e3)
		snprintf(buf, n, "%.1f k%s", v / 1e3, unit);
	else
		snprintf(buf, n, "%.0f %s", v, unit);
}

/* One trial into the log, the CSV and (on a terminal) a line. */
static void
log_trial(struct lab *L, const char *unit, const struct natgw_trial *t,
		const struct natgw_gen_result *r)
{
	double loss = natgw_trial_loss(t);

	/* Besides the loss, what came back wrong: a NAT that mistranslates
	 * or remaps shows here, not only as loss. */
	json_array_append_new(L->trials, json_pack("{s:f,s:f,s:I,s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:I}",
		"offered", t->offered, "achieved", t->achieved, "sent", (json_int_t)t->sent,
		"received", (json_int_t)t->received, "loss", loss,
		"duration_ns", (json_int_t)t->duration_ns,
		"mistranslated", (json_int_t)(r->mistranslated[0] + r->mistranslated[1]),
		"remapped", (json_int_t)r->remapped, "stale", (json_int_t)r->stale,
		"foreign", (json_int_t)r->foreign,
		"tx_full", (json_int_t)(r->tx_full[0] + r->tx_full[1])));
	if (L->csv)
		fprintf(L->csv, "%s,%zu,%.1f,%.1f,%" PRIu64 ",%" PRIu64 ",%.6f,%.3f\n", L->test,
			json_array_size(L->trials), t->offered, t->achieved, t->sent, t->received,
			loss, (double)t->duration_ns / 1e9);
	if (L->tty && !L->o.quiet) {
		char off[48], ach[48];

		rate_cell(off, sizeof(off), t->offered, unit);
		rate_cell(ach, sizeof(ach), t->achieved, unit);
		fprintf(stderr, "\r  %s trial %zu: %s offered, %s sent, loss %.4f%%\n",
			L->test, json_array_size(L->trials), off, ach, 100 * loss);
	}
}

/* ---------------------------------------------------------------- trials */

/* A setup-rate or capacity trial starts with an empty table: the builtin
 * device is made anew, an external one is given --gap to expire its sessions. */
static int
fresh_table(struct lab *L)
{
	if (L->o.dut == DUT_BUILTIN)
		return dut_restart(L);
	if (L->o.dut == DUT_EXTERNAL)
		usleep((useconds_t)(L->o.gap_s * 1e6));
	return 0;
}

static int
gen_run(struct lab *L, struct natgw_gen_run *run, struct natgw_gen_result *r)
{
	char err[256];

	run->stop = &lab_stop;
	if (L->tty && !L->o.quiet) {
		run->tick = tick;
		run->tick_arg = L;
	}
	if (natgw_gen_run(L->gen, run, r, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw lab: %s\n", err);
		return -1;
	}
	return lab_stop ? -1 : 0;
}

/* Establish (again) the throughput test's flows. */
static int
establish(struct lab *L)
{
	struct natgw_gen_run run = {.mode = NATGW_GEN_ESTABLISH, .rate = L->o.setup_rate,
		.first = 0, .count = L->o.flows};
	struct natgw_gen_result r;

	return gen_run(L, &run, &r);
}

static int
throughput_trial(void *arg, double rate, uint64_t dur, struct natgw_trial *t)
{
	struct lab *L = arg;
	struct natgw_gen_run run = {.mode = NATGW_GEN_BIDIR, .rate = rate, .duration_ns = dur,
		.n_flows = L->o.flows};
	struct natgw_gen_result r;

	if (establish(L) < 0 || gen_run(L, &run, &r) < 0)
		return -1;
	t->offered = rate;
	t->achieved = r.achieved_pps;
	t->sent = r.sent[0] + r.sent[1];
	t->received = r.received[0] + r.received[1];
	t->duration_ns = r.duration_ns;
	log_trial(L, "pps", t, &r);
	return 0;
}

/* Setup rate: every frame a new flow (a session made), out only. */
static int
cps_trial(void *arg, double rate, uint64_t dur, struct natgw_trial *t)
{
	struct lab *L = arg;
	uint64_t count = (uint64_t)(rate * (double)dur / 1e9);
	struct natgw_gen_run run = {.mode = NATGW_GEN_ESTABLISH, .rate = rate};
	struct natgw_gen_result r;

	if (fresh_table(L) < 0)
		return -1;
	/* A trial of more connections than the table holds would measure the
	 * table, not the rate (RFC 9693): the builtin device's trials stop at
	 * nine tenths of it, shorter at high rates. */
	if (L->o.dut == DUT_BUILTIN && count > L->nat.max_sessions / 10 * 9)
		count = L->nat.max_sessions / 10 * 9;
	if (count == 0)
		count = 1;
	/* Fresh tuples each trial (after the throughput flows), so that none
	 * finds a session left from before. */
	if (L->next_new + count > L->tuples)
		L->next_new = L->o.flows;
	run.first = L->next_new;
	run.count = count;
	L->next_new += count;
	if (gen_run(L, &run, &r) < 0)
		return -1;
	t->offered = rate;
	t->achieved = r.achieved_pps;
	t->sent = r.sent[NATGW_GEN_OUT];
	t->received = r.received[NATGW_GEN_OUT];
	t->duration_ns = r.duration_ns;
	log_trial(L, "cps", t, &r);
	return 0;
}

/* Table capacity: N sessions set up, then each asked whether it still holds
 * (one inbound frame to its public endpoint). The "rate" is N. */
static int
capacity_trial(void *arg, double n, uint64_t dur, struct natgw_trial *t)
{
	struct lab *L = arg;
	uint64_t count = (uint64_t)n;
	struct natgw_gen_run est = {.mode = NATGW_GEN_ESTABLISH, .rate = L->o.capacity_rate,
		.first = 0, .count = count};
	struct natgw_gen_run val = {.mode = NATGW_GEN_VALIDATE, .rate = L->o.capacity_rate,
		.first = 0, .count = count};
	struct natgw_gen_result r;

	(void)dur;
	if (fresh_table(L) < 0)
		return -1;
	natgw_gen_forget(L->gen);
	if (gen_run(L, &est, &r) < 0 || gen_run(L, &val, &r) < 0)
		return -1;
	t->offered = n;
	t->achieved = n;
	t->sent = count;
	t->received = r.received[NATGW_GEN_IN];
	t->duration_ns = r.duration_ns;
	if ((double)t->received > L->cap_held)
		L->cap_held = (double)t->received;
	log_trial(L, "sessions", t, &r);
	return 0;
}

static json_t *
bound_json(const struct natgw_search_bound *b, double mean_len, bool rates)
{
	json_t *j = json_pack("{s:f,s:f,s:b,s:b,s:b,s:b,s:f}", "rate", b->rate,
		"upper", b->upper, "found", b->found, "at_max", b->at_max,
		"at_gen_limit", b->at_gen_limit, "confirmed", b->confirmed, "loss", b->loss);

	if (rates) {
		json_object_set_new(j, "gbps_l1", json_real(natgw_rate_l1_bps(b->rate,
			mean_len) / 1e9));
		json_object_set_new(j, "gbps_l2", json_real(natgw_rate_l2_bps(b->rate,
			mean_len) / 1e9));
	}
	return j;
}

/* Run one search; its section into @p out under @p key. */
static int
search(struct lab *L, const char *key, const char *unit, natgw_trial_fn fn,
		struct natgw_search_conf *sc, struct natgw_search_result *res, json_t *out,
		bool rates)
{
	char err[256];
	json_t *sec;
	int rc;

	L->test = key;
	L->trials = json_array();
	if (natgw_search_conf_check(sc, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw lab: %s: %s\n", key, err);
		json_decref(L->trials);
		return -1;
	}
	rc = natgw_search_run(sc, fn, L, res, err, sizeof(err));
	sec = json_pack("{s:s,s:f,s:f,s:f,s:f,s:f,s:f}", "unit", unit, "min", sc->min_rate,
		"max", sc->max_rate, "precision", sc->precision, "ndr_loss", sc->ndr_loss,
		"pdr_loss", sc->pdr_loss, "trial_s", (double)sc->trial_ns / 1e9);
	json_object_set_new(sec, "ndr", bound_json(&res->ndr, L->mean_len, rates));
	json_object_set_new(sec, "pdr", bound_json(&res->pdr, L->mean_len, rates));
	json_object_set_new(sec, "generator_limited", json_boolean(res->generator_limited));
	json_object_set_new(sec, "generator_max", json_real(res->generator_max));
	json_object_set_new(sec, "complete", json_boolean(rc == 0));
	json_object_set_new(sec, "trials", L->trials);
	json_object_set_new(out, key, sec);
	L->trials = NULL;
	if (rc < 0 && !lab_stop)
		fprintf(stderr, "natgw lab: %s: %s\n", key, err);
	return rc;
}

static void
search_conf(const struct lab_opts *o, struct natgw_search_conf *sc, double lo, double hi,
		double trial_s)
{
	natgw_search_conf_defaults(sc);
	sc->min_rate = lo;
	sc->max_rate = hi;
	sc->precision = o->precision;
	sc->ndr_loss = o->ndr_loss / 100;
	sc->pdr_loss = o->pdr_loss / 100;
	sc->trial_ns = (uint64_t)(trial_s * 1e9);
	if (o->final_s > trial_s)
		sc->final_ns = (uint64_t)(o->final_s * 1e9);
	sc->max_trials = (unsigned int)o->trials_max;
}

struct latency_row {
	double load, rate;
	struct natgw_hist *h[NATGW_GEN_DIRS];
	struct natgw_gen_result r;
};

static json_t *
hist_json(const struct natgw_hist *h)
{
	return json_pack("{s:I,s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:I}",
		"count", (json_int_t)natgw_hist_count(h), "min_ns", (json_int_t)natgw_hist_min(h),
		"avg_ns", natgw_hist_mean(h), "p50_ns", (json_int_t)natgw_hist_percentile(h, 50),
		"p90_ns", (json_int_t)natgw_hist_percentile(h, 90),
		"p99_ns", (json_int_t)natgw_hist_percentile(h, 99),
		"p99_9_ns", (json_int_t)natgw_hist_percentile(h, 99.9),
		"p99_99_ns", (json_int_t)natgw_hist_percentile(h, 99.99),
		"max_ns", (json_int_t)natgw_hist_max(h));
}

static const char *const dir_name[NATGW_GEN_DIRS] = {"out", "in"};

/* Latency of each direction at each load (a share of the NDR). */
static int
latency(struct lab *L, double ndr, json_t *out, struct latency_row *rows, unsigned int *nrows)
{
	unsigned int i, d;
	json_t *arr = json_array();

	json_object_set_new(out, "latency", arr);
	L->test = "latency";
	*nrows = 0;
	for (i = 0; i < L->o.n_loads; i++) {
		struct latency_row *row = &rows[i];
		struct natgw_gen_run run = {.mode = NATGW_GEN_BIDIR,
			.duration_ns = (uint64_t)(L->o.latency_s * 1e9), .n_flows = L->o.flows};
		json_t *j;

		row->load = L->o.loads[i];
		row->rate = ndr * L->o.loads[i] / 100;
		run.rate = row->rate;
		for (d = 0; d < NATGW_GEN_DIRS; d++) {
			row->h[d] = natgw_hist_create(0);
			if (row->h[d] == NULL) {
				fprintf(stderr, "natgw lab: latency: out of memory\n");
				return -1;
			}
			run.lat[d] = row->h[d];
		}
		(*nrows)++;
		if (establish(L) < 0 || gen_run(L, &run, &row->r) < 0)
			return -1;
		j = json_pack("{s:f,s:f,s:f,s:I,s:I}", "load_pct", row->load, "rate_pps",
			row->rate, "achieved_pps", row->r.achieved_pps,
			"sent", (json_int_t)(row->r.sent[0] + row->r.sent[1]),
			"received", (json_int_t)(row->r.received[0] + row->r.received[1]));
		for (d = 0; d < NATGW_GEN_DIRS; d++)
			json_object_set_new(j, dir_name[d], hist_json(row->h[d]));
		json_array_append_new(arr, j);
		if (L->tty && !L->o.quiet)
			fprintf(stderr, "\r  latency at %.0f%% of the NDR: p99 out %.1f us, in %.1f us\n",
				row->load, natgw_hist_percentile(row->h[0], 99) / 1e3,
				natgw_hist_percentile(row->h[1], 99) / 1e3);
	}
	return 0;
}

/* ------------------------------------------------------- the ECS scenario */

static int
synth_conf(const struct lab *L, struct natgw_synth_conf *sc, char *err, size_t errlen)
{
	char e2[256];

	natgw_synth_conf_defaults(sc);
	if (natgw_synth_conf_parse(sc, LAB_SYNTH, err, errlen) < 0)
		return -1;
	if (L->o.synth && natgw_synth_conf_parse(sc, L->o.synth, e2, sizeof(e2)) < 0) {
		snprintf(err, errlen, "--synth: %s", strncmp(e2, "synth: ", 7) == 0 ? e2 + 7 : e2);
		return -1;
	}
	if (L->o.dut == DUT_BUILTIN && (!natgw_nat_is_inside(&L->nat,
			rte_cpu_to_be_32(natgw_synth_host_ip(sc, 0))) ||
			!natgw_nat_is_inside(&L->nat, rte_cpu_to_be_32(natgw_synth_host_ip(sc,
				sc->hosts - 1))))) {
		snprintf(err, errlen, "--synth: the scenario's hosts are not in the device's "
			"--inside-net");
		return -1;
	}
	return 0;
}

/* Send a side's frames; a ring that refuses is the device's full queue (the
 * scenario's TCP retransmits), a NIC that refuses is the generator's. */
static void
scenario_tx(struct lab *L, unsigned int d, struct rte_mbuf **m, uint16_t n, uint64_t *sent,
		uint64_t *full)
{
	uint16_t k = n ? rte_eth_tx_burst(L->gport[d].id, 0, m, n) : 0;

	*sent += k;
	*full += (uint64_t)(n - k);
	if (k < n)
		rte_pktmbuf_free_bulk(m + k, n - k);
}

/*
 * The synthetic ECS workload through the device in real time: the hosts'
 * frames out of the inside-facing port, the destinations' answers out of the
 * outside-facing one, and what the device forwards back into the scenario,
 * whose TCP recovers what it drops. The scenario's own time runs with the
 * TSC from its start.
 */
static int
scenario(struct lab *L, struct rte_mempool *mp, json_t *root)
{
	struct natgw_synth_conf sc;
	struct natgw_synth_stats st;
	struct natgw_synth *s;
	uint64_t t0, v0, now, sent[NATGW_GEN_DIRS] = {0, 0}, full = 0, got[NATGW_GEN_DIRS] = {0, 0};
	uint64_t last_tick, hz = rte_get_tsc_hz();
	bool cut = false;
	char err[256], line[512];
	double secs;
	json_t *j;

	if (synth_conf(L, &sc, err, sizeof(err)) < 0 || (s = natgw_synth_create(&sc, err,
			sizeof(err))) == NULL) {
		fprintf(stderr, "natgw lab: scenario: %s\n", err);
		return -1;
	}
	natgw_synth_describe(&sc, line, sizeof(line));
	if (!L->o.quiet)
		fprintf(stderr, "  scenario: %s\n", line);
	L->test = "scenario";
	v0 = sc.start_ns;
	t0 = last_tick = rte_rdtsc();
	for (;;) {
		struct rte_mbuf *b[NATGW_GEN_DIRS][LAB_BURST];
		uint16_t nb[NATGW_GEN_DIRS] = {0, 0};
		unsigned int d, k;

		now = v0 + (uint64_t)((double)(rte_rdtsc() - t0) * L->ns_per_tsc);
		if (lab_stop || natgw_synth_next_time(s) == UINT64_MAX)
			break;
		if (now - v0 > 2 * sc.duration_ns + 30000000000ull) {
			cut = true;
			break;
		}
		for (k = 0; k < 2 * LAB_BURST && nb[0] < LAB_BURST && nb[1] < LAB_BURST; k++) {
			struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
			enum natgw_synth_side side;
			uint32_t len;
			uint64_t ts;
			int rc;

			if (m == NULL)
				break;
			rc = natgw_synth_next(s, now, rte_pktmbuf_mtod(m, uint8_t *),
				rte_pktmbuf_tailroom(m), &len, &ts, &side);
			if (rc != 1 || side == NATGW_SYNTH_OBSERVE) {
				/* The resolver's answers never cross a NAT. */
				rte_pktmbuf_free(m);
				if (rc == 1)
					continue;
				if (rc < 0) {
					fprintf(stderr, "natgw lab: scenario: a %u-byte frame does not "
						"fit a buffer\n", len);
					natgw_synth_free(s);
					return -1;
				}
				break;
			}
			m->data_len = (uint16_t)len;
			m->pkt_len = len;
			d = side == NATGW_SYNTH_INSIDE ? NATGW_GEN_OUT : NATGW_GEN_IN;
			rte_ether_addr_copy(&L->gc.dst_mac[d],
				&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
			b[d][nb[d]++] = m;
		}
		for (d = 0; d < NATGW_GEN_DIRS; d++)
			scenario_tx(L, d, b[d], nb[d], &sent[d], &full);
		for (d = 0; d < NATGW_GEN_DIRS; d++) {
			uint16_t n = rte_eth_rx_burst(L->gport[d].id, 0, b[d], LAB_BURST), i;

			/* Back on the inside-facing port: for the hosts. */
			for (i = 0; i < n; i++)
				natgw_synth_deliver(s, d == NATGW_GEN_OUT ? NATGW_SYNTH_INSIDE :
					NATGW_SYNTH_OUTSIDE, rte_pktmbuf_mtod(b[d][i], uint8_t *),
					rte_pktmbuf_data_len(b[d][i]), now);
			got[d] += n;
			if (n)
				rte_pktmbuf_free_bulk(b[d], n);
		}
		if (L->tty && !L->o.quiet && rte_rdtsc() - last_tick > hz / 10) {
			tick(L, now - v0, sc.duration_ns);
			last_tick = rte_rdtsc();
		}
	}
	secs = (double)(rte_rdtsc() - t0) * L->ns_per_tsc / 1e9;
	natgw_synth_stats(s, &st);
	natgw_synth_summary(&sc, &st, line, sizeof(line));
	if (L->tty && !L->o.quiet)
		fprintf(stderr, "\r");
	if (!L->o.quiet) {
		uint64_t bytes = 0;
		unsigned int i;

		/* What the hosts got and sent, application bytes: the
		 * workload's goodput through the device. */
		for (i = 0; i < NATGW_SYNTH_N_SVC; i++)
			bytes += st.svc[i].received + st.svc[i].sent;
		printf("scenario: %s%s\n          %.1f MB moved in %.1f s: %.1f Mbps of goodput; "
			"%" PRIu64 " frames refused by a full port\n", line,
			cut ? " (cut at its bound)" : "", (double)bytes / 1e6, secs,
			secs > 0 ? (double)bytes * 8 / secs / 1e6 : 0.0, full);
	}
	j = json_pack("{s:o,s:o,s:f,s:b,s:{s:I,s:I},s:{s:I,s:I},s:I}",
		"conf", natgw_synth_conf_json(&sc), "stats", natgw_synth_stats_json(&st),
		"seconds", secs, "cut", cut || lab_stop,
		"sent", "inside", (json_int_t)sent[NATGW_GEN_OUT], "outside",
			(json_int_t)sent[NATGW_GEN_IN],
		"received", "inside", (json_int_t)got[NATGW_GEN_OUT], "outside",
			(json_int_t)got[NATGW_GEN_IN],
		"tx_full", (json_int_t)full);
	json_object_set_new(root, "scenario", j);
	natgw_synth_free(s);
	return lab_stop ? -1 : 0;
}

/* ---------------------------------------------------------------- output */

static void
bound_cell(char *buf, size_t n, const struct natgw_search_bound *b, const char *unit)
{
	char r[48];

	rate_cell(r, sizeof(r), b->rate, unit);
	snprintf(buf, n, "%s%s%s", b->at_gen_limit ? ">= " : "", r,
		b->at_gen_limit ? " (generator's limit)" : b->at_max ? " (top of range)" :
		b->found ? "" : " (not final)");
}

static void
print_table(const struct lab *L, const struct natgw_search_result *tp,
		const struct natgw_search_result *cps, const struct natgw_search_result *cap,
		const struct latency_row *rows, unsigned int nrows)
{
	const struct lab_opts *o = &L->o;
	char a[80], b[80];
	unsigned int i, d;

	if (tp || cps || cap)
		printf("%-18s %-34s %s\n", "test", "NDR", "PDR");
	if (tp) {
		bound_cell(a, sizeof(a), &tp->ndr, "pps");
		bound_cell(b, sizeof(b), &tp->pdr, "pps");
		printf("%-18s %-34s %s\n", "throughput", a, b);
		printf("%-18s %6.3f Gbps L1, %6.3f L2         %6.3f Gbps L1, %6.3f L2\n", "",
			natgw_rate_l1_bps(tp->ndr.rate, L->mean_len) / 1e9,
			natgw_rate_l2_bps(tp->ndr.rate, L->mean_len) / 1e9,
			natgw_rate_l1_bps(tp->pdr.rate, L->mean_len) / 1e9,
			natgw_rate_l2_bps(tp->pdr.rate, L->mean_len) / 1e9);
	}
	if (cps) {
		bound_cell(a, sizeof(a), &cps->ndr, "cps");
		bound_cell(b, sizeof(b), &cps->pdr, "cps");
		printf("%-18s %-34s %s\n", "connection setup", a, b);
	}
	if (cap) {
		snprintf(a, sizeof(a), "%.0f sessions%s", cap->ndr.rate,
			cap->ndr.at_max ? " (top of range)" : cap->ndr.found ? "" : " (not final)");
		snprintf(b, sizeof(b), "%.0f sessions", cap->pdr.rate);
		printf("%-18s %-34s %s\n", "table capacity", a, b);
		printf("%-18s %.0f sessions held at once at most\n", "", L->cap_held);
	}
	if (nrows) {
		printf("\nlatency, us (one way)  %-4s %9s %9s %9s %9s %9s %9s %9s\n", "dir", "min",
			"avg", "p50", "p90", "p99", "p99.9", "max");
		for (i = 0; i < nrows; i++)
			for (d = 0; d < NATGW_GEN_DIRS; d++) {
				const struct natgw_hist *h = rows[i].h[d];

				printf("  %3.0f%% of NDR        %-4s %9.2f %9.2f %9.2f %9.2f %9.2f "
					"%9.2f %9.2f\n", rows[i].load, dir_name[d],
					natgw_hist_min(h) / 1e3, natgw_hist_mean(h) / 1e3,
					natgw_hist_percentile(h, 50) / 1e3,
					natgw_hist_percentile(h, 90) / 1e3,
					natgw_hist_percentile(h, 99) / 1e3,
					natgw_hist_percentile(h, 99.9) / 1e3, natgw_hist_max(h) / 1e3);
			}
	}
	(void)o;
}

static int
write_latency_csv(const char *dir, const struct latency_row *rows, unsigned int n)
{
	char path[4096];
	unsigned int i, d;
	FILE *f;

	snprintf(path, sizeof(path), "%s/latency.csv", dir);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "load_pct,rate_pps,dir,count,min_ns,avg_ns,p50_ns,p90_ns,p99_ns,p99_9_ns,"
		"p99_99_ns,max_ns\n");
	for (i = 0; i < n; i++)
		for (d = 0; d < NATGW_GEN_DIRS; d++) {
			const struct natgw_hist *h = rows[i].h[d];

			fprintf(f, "%.1f,%.1f,%s,%" PRIu64 ",%" PRIu64 ",%.1f,%" PRIu64 ",%" PRIu64
				",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", rows[i].load,
				rows[i].rate, dir_name[d], natgw_hist_count(h), natgw_hist_min(h),
				natgw_hist_mean(h), natgw_hist_percentile(h, 50),
				natgw_hist_percentile(h, 90), natgw_hist_percentile(h, 99),
				natgw_hist_percentile(h, 99.9), natgw_hist_percentile(h, 99.99),
				natgw_hist_max(h));
		}
	return fclose(f) == 0 ? 0 : -1;
}

static json_t *
conf_json(const struct lab *L)
{
	static const char *const dut[] = {"builtin", "external", "none"};
	const struct lab_opts *o = &L->o;
	char in[64], out[64];

	snprintf(in, sizeof(in), "%.1f", natgw_gen_mix_mean(&L->gc.mix[NATGW_GEN_IN]) + 4);
	snprintf(out, sizeof(out), "%.1f", natgw_gen_mix_mean(&L->gc.mix[NATGW_GEN_OUT]) + 4);
	return json_pack("{s:s,s:s?,s:I,s:I,s:I,s:s,s:f,s:f,s:s,s:s,s:I,s:I}",
		"dut", dut[o->dut], "profile", o->dut == DUT_BUILTIN ?
			natgw_profile_name(L->nat.profile) : NULL,
		"flows", (json_int_t)o->flows, "hosts", (json_int_t)o->hosts,
		"destinations", (json_int_t)L->gc.n_dests,
		"frame_size", o->frame_size, "out_share", L->gc.out_share,
		"mean_frame_len", L->mean_len + 4, "mean_frame_len_out", out,
		"mean_frame_len_in", in,
		"generator_port_inside", (json_int_t)L->gport[NATGW_GEN_OUT].id,
		"generator_port_outside", (json_int_t)L->gport[NATGW_GEN_IN].id);
}

static json_t *
dut_json(const struct lab *L)
{
	const struct natgw_nat_stats *st = &L->dut_total;
	json_t *j = natgw_report_config_json(&L->nat);

	json_object_set_new(j, "sessions_created", json_integer((json_int_t)st->sessions_created));
	json_object_set_new(j, "sessions_peak", json_integer((json_int_t)st->sessions_peak));
	json_object_set_new(j, "drops", natgw_report_drops_json(st));
	json_object_set_new(j, "metrics", natgw_report_metrics_json(st));
	return j;
}

/* ------------------------------------------------------------------ main */

static void
opts_defaults(struct lab_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->out = DEFAULT_OUT;
	o->tests_mask = T_ALL;
	o->flows = 1024;
	o->hosts = 256;
	o->internet_dests = 1014; /* with the scenario's 10: 1024 */
	o->rate_min = 10000;
	o->rate_max = 20e6;
	o->precision = 0.01;
	o->pdr_loss = 0.5;
	o->trial_s = 1;
	o->trials_max = 40;
	o->cps_min = 10000;
	o->cps_max = 2e6;
	o->cps_trial_s = 0.25;
	o->setup_rate = 200000;
	o->gap_s = 3;
	o->frame_size = "64";
	o->loads[0] = 10;
	o->loads[1] = 50;
	o->loads[2] = 90;
	o->n_loads = 3;
}

static int
setup(struct lab *L, struct rte_mempool **mpp, char *err, size_t errlen)
{
	struct lab_opts *o = &L->o;
	struct rte_mempool *mp;
	unsigned int d, i, n_ecs;
	uint32_t first_host;

	if (o->dut == DUT_BUILTIN) {
		if (dut_conf(L, err, errlen) < 0)
			return -1;
		L->dut_lcore = rte_get_next_lcore(-1, 1, 0);
		if (L->dut_lcore >= RTE_MAX_LCORE) {
			snprintf(err, errlen, "the builtin device needs a worker lcore besides the "
				"generator's (-l 0,1)");
			return -1;
		}
	}
	if (o->gen_ports) {
		if (port_pair("--gen-ports", o->gen_ports, &L->gport[NATGW_GEN_OUT].id,
				&L->gport[NATGW_GEN_IN].id, err, errlen) < 0)
			return -1;
		if (o->dut_ports && port_pair("--dut-ports", o->dut_ports,
				&L->dport[NATGW_SIDE_INSIDE].id, &L->dport[NATGW_SIDE_OUTSIDE].id,
				err, errlen) < 0)
			return -1;
	} else if (make_ring_ports(L, err, errlen) < 0) {
		return -2;
	}
	mp = rte_pktmbuf_pool_create("lab_mbufs", 65535, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		(int)rte_socket_id());
	if (mp == NULL) {
		snprintf(err, errlen, "cannot allocate packet buffers: %s (raise -m)",
			rte_strerror(rte_errno));
		return -2;
	}
	*mpp = mp;
	for (d = 0; d < NATGW_GEN_DIRS; d++)
		if (natgw_port_start(&L->gport[d], 1, 1, 1024, mp, err, errlen) < 0)
			return -2;
	if (o->dut == DUT_BUILTIN)
		for (d = 0; d < NATGW_SIDES; d++)
			if (natgw_port_start(&L->dport[d], 1, 1, 1024, mp, err, errlen) < 0)
				return -2;
	/* The generator's workload. */
	L->gc.port[NATGW_GEN_OUT] = L->gport[NATGW_GEN_OUT].id;
	L->gc.port[NATGW_GEN_IN] = L->gport[NATGW_GEN_IN].id;
	L->gc.mp = mp;
	L->gc.burst = LAB_BURST;
	L->gc.expect_nat = o->dut != DUT_NONE;
	L->gc.full_is_loss = o->gen_ports == NULL;
	if (strcmp(o->frame_size, "ecs") == 0) {
		natgw_gen_mix_parse(&L->gc.mix[NATGW_GEN_OUT], "64:9,590:1", err, errlen);
		natgw_gen_mix_parse(&L->gc.mix[NATGW_GEN_IN], "1518:9,64:1", err, errlen);
		L->gc.out_share = 1.0 / 3;
	} else {
		if (natgw_gen_mix_parse(&L->gc.mix[NATGW_GEN_OUT], o->frame_size, err, errlen) < 0)
			return -1;
		L->gc.mix[NATGW_GEN_IN] = L->gc.mix[NATGW_GEN_OUT];
		L->gc.out_share = 0.5;
	}
	if (o->out_share > 0)
		L->gc.out_share = o->out_share;
	L->mean_len = L->gc.out_share * natgw_gen_mix_mean(&L->gc.mix[NATGW_GEN_OUT]) +
		(1 - L->gc.out_share) * natgw_gen_mix_mean(&L->gc.mix[NATGW_GEN_IN]);
	/* Hosts: the first addresses of the first inside network (10.0.0.0/16:
	 * 10.0.0.1 on), the lab's own when the device is not builtin. */
	first_host = o->dut == DUT_BUILTIN ? L->nat.inside[0].addr + 1 : 0x0a000001;
	if (o->dut == DUT_BUILTIN && o->hosts + 1 > (uint64_t)~L->nat.inside[0].mask) {
		snprintf(err, errlen, "--hosts %" PRIu64 ": more than the first inside network "
			"holds", o->hosts);
		return -1;
	}
	L->gc.inside_net = rte_cpu_to_be_32(first_host);
	L->gc.hosts = (uint32_t)o->hosts;
	L->tuples = o->hosts * 64512;
	if (o->flows > L->tuples) {
		snprintf(err, errlen, "--flows %" PRIu64 ": %" PRIu64 " hosts make at most %" PRIu64
			" flows (raise --hosts)", o->flows, o->hosts, L->tuples);
		return -1;
	}
	for (i = 0; i < NATGW_GEN_MAX_DESTS; i++) {
		const char *name;
		uint32_t ip;
		uint16_t port;

		if (!natgw_synth_destination(i, &name, &ip, &port))
			break;
		L->dests[i].ip = rte_cpu_to_be_32(ip);
		L->dests[i].port = rte_cpu_to_be_16(port);
	}
	n_ecs = i;
	if (n_ecs + o->internet_dests > NATGW_GEN_MAX_DESTS) {
		snprintf(err, errlen, "--internet-dests: at most %u", NATGW_GEN_MAX_DESTS - n_ecs);
		return -1;
	}
	for (; i < n_ecs + o->internet_dests; i++) {
		/* 198.18.0.1 on, port 443. */
		L->dests[i].ip = rte_cpu_to_be_32(0xc6120000u + 1 + (uint32_t)(i - n_ecs));
		L->dests[i].port = rte_cpu_to_be_16(443);
	}
	L->gc.dests = L->dests;
	L->gc.n_dests = i;
	if (!o->capacity_max)
		o->capacity_max = o->dut == DUT_BUILTIN ? 2ull * L->nat.max_sessions : 4194304;
	if (o->capacity_max > L->tuples) {
		snprintf(err, errlen, "--capacity-max %" PRIu64 ": %" PRIu64 " hosts make at most %"
			PRIu64 " flows (raise --hosts)", o->capacity_max, o->hosts, L->tuples);
		return -1;
	}
	L->gc.max_flows = (uint32_t)RTE_MAX(o->flows, (o->tests_mask & T_CAPACITY) ?
		o->capacity_max : 0);
	if (eth_dest(L, err, errlen) < 0)
		return -1;
	if (o->tests_mask & T_SCENARIO) {
		struct natgw_synth_conf sc;

		if (synth_conf(L, &sc, err, errlen) < 0)
			return -1;
	}
	L->gen = natgw_gen_create(&L->gc, err, errlen);
	if (L->gen == NULL)
		return -1;
	L->next_new = o->flows;
	if (o->latency_s == 0)
		o->latency_s = o->trial_s;
	return 0;
}

static int
run_tests(struct lab *L, struct rte_mempool *mp, json_t *root)
{
	struct lab_opts *o = &L->o;
	struct natgw_search_conf sc;
	static struct natgw_search_result tp, cps, cap;
	struct latency_row rows[MAX_LOADS];
	unsigned int nrows = 0, i, d;
	bool have_tp = false, have_cps = false, have_cap = false;
	char path[4096], err[256];
	int rc = 0;

	memset(rows, 0, sizeof(rows));
	snprintf(path, sizeof(path), "%s/trials.csv", o->out);
	L->csv = fopen(path, "w");
	if (L->csv == NULL) {
		fprintf(stderr, "natgw lab: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(L->csv, "test,trial,offered,achieved,sent,received,loss,duration_s\n");
	if (o->tests_mask & T_SCENARIO)
		rc = scenario(L, mp, root);
	if (rc == 0 && (o->tests_mask & (T_THROUGHPUT | T_LATENCY))) {
		search_conf(o, &sc, o->rate_min, o->rate_max, o->trial_s);
		rc = search(L, "throughput", "pps", throughput_trial, &sc, &tp, root, true);
		have_tp = true;
	}
	if (rc == 0 && (o->tests_mask & T_LATENCY)) {
		double base = tp.ndr.rate > 0 ? tp.ndr.rate : tp.pdr.rate;

		if (base > 0)
			rc = latency(L, base, root, rows, &nrows);
		else
			fprintf(stderr, "natgw lab: latency: no rate passed the throughput test: "
				"no load to measure at\n");
	}
	if (rc == 0 && (o->tests_mask & T_CPS)) {
		search_conf(o, &sc, o->cps_min, o->cps_max, o->cps_trial_s);
		rc = search(L, "cps", "connections/s", cps_trial, &sc, &cps, root, false);
		have_cps = true;
	}
	if (rc == 0 && (o->tests_mask & T_CAPACITY)) {
		if (o->capacity_rate == 0)
			o->capacity_rate = have_cps && cps.ndr.rate > 0 ? cps.ndr.rate / 2 : 200000;
		search_conf(o, &sc, (double)RTE_MAX(64u, o->capacity_max / 64),
			(double)o->capacity_max, 0);
		/* A table holds a whole number of sessions: stop within one in
		 * a hundred, not one in ten thousand. */
		sc.precision = RTE_MAX(o->precision, 0.01);
		sc.final_ns = 0;
		rc = search(L, "capacity", "sessions", capacity_trial, &sc, &cap, root, false);
		json_object_set_new(json_object_get(root, "capacity"), "setup_rate",
			json_real(o->capacity_rate));
		json_object_set_new(json_object_get(root, "capacity"), "held",
			json_integer((json_int_t)L->cap_held));
		have_cap = true;
	}
	fclose(L->csv);
	L->csv = NULL;
	if (o->dut == DUT_BUILTIN) {
		dut_stop(L);
		dut_add_totals(L);
		json_object_set_new(root, "dut", dut_json(L));
	}
	if (!o->quiet) {
		if (have_tp || have_cps || have_cap)
			printf("\n");
		print_table(L, have_tp ? &tp : NULL, have_cps ? &cps : NULL, have_cap ? &cap : NULL,
			rows, nrows);
	}
	if (nrows && write_latency_csv(o->out, rows, nrows) < 0) {
		fprintf(stderr, "natgw lab: %s/latency.csv: %s\n", o->out, strerror(errno));
		rc = -1;
	}
	if (!o->no_plot) {
		const char *tests[3], *labels[2 * MAX_LOADS];
		struct natgw_hist *h[2 * MAX_LOADS];
		char lb[2 * MAX_LOADS][48];
		unsigned int nt = 0, nh = 0;

		if (have_tp)
			tests[nt++] = "throughput";
		if (have_cps)
			tests[nt++] = "cps";
		if (have_cap)
			tests[nt++] = "capacity";
		for (i = 0; i < nrows; i++)
			for (d = 0; d < NATGW_GEN_DIRS; d++) {
				snprintf(lb[nh], sizeof(lb[nh]), "%.0f%% of NDR, %s", rows[i].load,
					dir_name[d]);
				labels[nh] = lb[nh];
				h[nh++] = rows[i].h[d];
			}
		/* A plot that cannot be drawn (no gnuplot) is said, not fatal:
		 * the numbers are all in the files. */
		if (natgw_plot_lab_trials(o->out, tests, nt, err, sizeof(err)) < 0 ||
				natgw_plot_latency(o->out, h, labels, nh, err, sizeof(err)) < 0)
			fprintf(stderr, "natgw lab: plot: %s\n", err);
	}
	snprintf(path, sizeof(path), "%s/lab.json", o->out);
	if (json_dump_file(root, path, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) < 0) {
		fprintf(stderr, "natgw lab: %s: cannot write\n", path);
		rc = -1;
	} else if (!o->quiet) {
		printf("wrote %s, %s/trials.csv%s%s\n", path, o->out, nrows ? ", " : "",
			nrows ? "latency.csv" : "");
	}
	for (i = 0; i < MAX_LOADS; i++)
		for (d = 0; d < NATGW_GEN_DIRS; d++)
			natgw_hist_free(rows[i].h[d]);
	return rc;
}

int
natgw_cmd_lab(int argc, char **argv)
{
	static struct lab L;
	struct rte_mempool *mp = NULL;
	char err[512], **eargv;
	int eargc, n, status = 1;
	unsigned int d;
	json_t *root = NULL;

	/* --help must not need an EAL (nor root). */
	for (n = 1; n < argc && strcmp(argv[n], "--") != 0; n++)
		;
	for (d = (unsigned int)n + 1; d < (unsigned int)argc; d++)
		if (strcmp(argv[d], "-h") == 0 || strcmp(argv[d], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	opts_defaults(&L.o);
	eargv = natgw_eal_args(argc, argv, &eargc);
	if (eargv == NULL)
		return 1;
	n = rte_eal_init(eargc, eargv);
	if (n < 0) {
		fprintf(stderr, "natgw lab: DPDK EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		free(eargv);
		return 1;
	}
	if (parse_opts(eargc - n, eargv + n, &L.o, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw lab: %s\n", err);
		status = 2;
		goto out;
	}
	if (natgw_mkdir_p(L.o.out) < 0) {
		fprintf(stderr, "natgw lab: --out %s: %s\n", L.o.out, strerror(errno));
		status = 2;
		goto out;
	}
	L.tty = isatty(STDERR_FILENO);
	L.tsc0 = rte_rdtsc();
	L.ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();
	n = setup(&L, &mp, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "natgw lab: %s\n", err);
		status = n == -1 ? 2 : 1;
		goto stop;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (L.o.dut == DUT_BUILTIN && dut_start(&L, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw lab: %s\n", err);
		goto stop;
	}
	if (!L.o.quiet)
		fprintf(stderr, "natgw lab: %s; %" PRIu64 " flows from %" PRIu64 " hosts to %u "
			"destinations, frames of %.1f bytes on average (FCS included)\n",
			L.o.dut == DUT_BUILTIN ? "natgw's dataplane as the device, one worker lcore" :
			L.o.dut == DUT_EXTERNAL ? "an external device" :
			"no device: the generator's ports looped", L.o.flows, L.o.hosts,
			L.gc.n_dests, L.mean_len + 4);
	root = json_pack("{s:{s:s},s:o}", "natgw", "version", NATGW_VERSION, "lab", conf_json(&L));
	status = run_tests(&L, mp, root) == 0 && !lab_stop ? 0 : 1;
	if (lab_stop)
		fprintf(stderr, "natgw lab: stopped: the results so far are in %s\n", L.o.out);
stop:
	if (L.dut) {
		dut_stop(&L);
		natgw_worker_free(L.dut);
	}
	natgw_gen_free(L.gen);
	for (d = 0; d < NATGW_GEN_DIRS; d++)
		if (L.gport[d].nb_rxq)
			natgw_port_stop(&L.gport[d]);
	for (d = 0; d < NATGW_SIDES; d++)
		if (L.dport[d].nb_rxq)
			natgw_port_stop(&L.dport[d]);
	rte_mempool_free(mp);
	json_decref(root);
out:
	snprintf(err, sizeof(err), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	natgw_eal_remove_runtime_dir(err);
	free(eargv);
	return status;
}
