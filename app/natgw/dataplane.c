/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * natgw [EAL options] -- OPTIONS: the gateway on DPDK ports. Poll-mode workers,
 * one per lcore, each owning a NAT engine (lib/worker); the main lcore prints
 * the stats line, serves telemetry and stops everything on a signal or at the
 * end of --duration, then prints the summary and writes the report.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "natgw_build_config.h"
#include "commands.h"
#include "dataplane.h"
#include "options.h"

#define HANDOFF_RING 4096
#define EXPIRE_BUDGET 256

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: natgw [EAL options] -- --inside PORT --outside PORT --inside-net CIDR[,..]\n"
		"             --public-ip IP[,..] [OPTIONS]\n"
		"\n"
		"Run the NAT gateway on DPDK ports: poll-mode workers translate between the\n"
		"inside port (the private subnets) and the outside port (the internet).\n"
		"EAL options come first (DPDK's own: -l, -a, --vdev, --no-huge, -m, ...); on\n"
		"a machine without hugepages natgw adds --no-huge -m 1024 and says so.\n"
		"\n"
		"options:\n"
		"  --inside PORT                 port facing the private subnets: id or name\n"
		"  --outside PORT                port facing the internet: id or name\n"
		"  --inside-net CIDR[,CIDR...]   the private networks (up to %d)\n"
		"  --public-ip IP[,IP...]        the gateway's public addresses (1 to %d)\n"
		"  --config (PORT,QUEUE,LCORE)[,...]\n"
		"                                which lcore polls which rx queue, as in l3fwd;\n"
		"                                every lcore named is a worker (default: the\n"
		"                                first worker lcore polls queue 0 of both ports)\n"
		"  --eth-dest PORT,MAC           next hop of PORT: frames sent out of it go to\n"
		"                                MAC (default: they keep their destination MAC)\n"
		"  --profile aws|rfc             behaviour (default aws; docs/behaviour.md)\n"
		"  --filtering eif|adf|apdf      rfc profile's inbound filtering (default eif)\n"
		"  --timeout CLASS=SECONDS       idle timeout of tcp_syn, tcp_est, tcp_trans, udp\n"
		"                                or icmp; repeat for several\n"
		"  --max-sessions N              sessions in all, split between workers\n"
		"                                (default 262144 per worker)\n"
		"  --mtu BYTES                   largest IP packet forwarded (aws: 8500)\n"
		"  --port-alloc KEY=on|off[,...] public port choice: parity (keep the inside\n"
		"                                port's parity; default off) and range (inside\n"
		"                                ports below 1024 get public ports below 1024;\n"
		"                                rfc default on, aws off)\n"
		"  --mbufs N                     packet buffers (default: enough for the queues)\n"
		"  --mbuf-size BYTES             a buffer's data room, headroom included, as\n"
		"                                testpmd's --mbuf-size (default %u)\n"
		"  --desc N                      descriptors per queue (default 1024)\n"
		"  --burst N                     packets per rx burst, up to %d (default 32)\n"
		"  --flow-log                    keep every flow for the report (memory grows\n"
		"                                with the flows; off by default)\n"
		"  -T, --stats-period SECONDS    stats line every SECONDS (default 1 on a\n"
		"                                terminal, else 0: none)\n"
		"  --duration SECONDS            stop after SECONDS (default: at SIGINT/SIGTERM)\n"
		"  --report FILE                 write the JSON report (as natgw replay's, with a\n"
		"                                \"dataplane\" section)\n"
		"  --gateway NETS=IPS            one NAT gateway (a worker lcore) owning the\n"
		"                                inside networks NETS (CIDR+CIDR...) with the\n"
		"                                public addresses IPS (IP+IP...); repeat for\n"
		"                                each, one worker each, instead of --inside-net\n"
		"                                and --public-ip\n"
		"  --scale off|on|KEY=VALUE[,...] the elastic ceiling, enforced on the workers\n"
		"                                (on for aws: 5 Gbps and 1 Mpps growing to 45\n"
		"                                Gbps, 10 Mpps; docs/scaling.md); off to\n"
		"                                benchmark the dataplane itself\n"
		"  --csv DIR                     also write the flows (with --flow-log) and the\n"
		"                                per-minute metrics as CSV files into DIR\n"
		"  -q, --quiet                   no stats line, no summary\n"
		"  -h, --help                    this help\n"
		"\n"
		NATGW_ACCT_USAGE
		"\n"
		"telemetry (dpdk-telemetry.py, while it runs): /natgw/stats, /natgw/metrics,\n"
		"/natgw/flows,N and /natgw/config.\n"
		"\n"
		"example, no NIC needed:\n"
		"  natgw -l 0,1 --no-huge -m 1024 --no-pci --vdev net_ring0 --vdev net_ring1 -- \\\n"
		"      --inside 0 --outside 1 --inside-net 10.0.0.0/16 --public-ip 203.0.113.10\n",
		NATGW_MAX_INSIDE, NATGW_MAX_PUBLIC, RTE_MBUF_DEFAULT_BUF_SIZE, NATGW_BURST_MAX);
}

static struct dp *the_dp; /* for the signal handler */

static void
on_signal(int sig)
{
	(void)sig;
	if (the_dp)
		atomic_store(&the_dp->quit, true);
}

uint64_t
dp_now(const struct dp *dp)
{
	return dp->rt0_ns + (uint64_t)((double)(rte_rdtsc() - dp->tsc0) * dp->ns_per_cycle);
}

/* ------------------------------------------------------------ the workers */

static uint16_t
tx_port(void *arg, enum natgw_side side, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_worker *c = arg;

	return natgw_port_tx_burst(c->port[side], c->txq, pkts, n);
}

/* A new share of the ceiling from the main lcore, if one came (seqlock). */
static void
take_budget(struct dp_worker *c)
{
	uint64_t s1 = atomic_load_explicit(&c->budget.seq, memory_order_acquire), s2, b, p;

	if (s1 == c->budget_seen || (s1 & 1))
		return;
	b = atomic_load_explicit(&c->budget.bytes, memory_order_relaxed);
	p = atomic_load_explicit(&c->budget.pkts, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	s2 = atomic_load_explicit(&c->budget.seq, memory_order_relaxed);
	if (s1 != s2)
		return; /* written meanwhile: the next loop takes it */
	natgw_nat_set_budget(natgw_worker_nat(c->w), b, p);
	c->budget_seen = s1;
}

static void
serve_snapshot(struct dp_worker *c)
{
	int asked = SNAP_ASKED;
	uint32_t cursor = 0;

	if (!atomic_compare_exchange_strong(&c->snap.state, &asked, SNAP_BUSY))
		return;
	c->snap.n = natgw_nat_sessions(natgw_worker_nat(c->w), &cursor, c->snap.rec,
		c->snap.max);
	atomic_store(&c->snap.state, SNAP_DONE);
}

static int
worker_main(void *arg)
{
	struct dp_worker *c = arg;
	struct dp *dp = the_dp;
	struct rte_mbuf *pkts[NATGW_BURST_MAX];
	uint16_t i, n;

	while (!atomic_load_explicit(&dp->quit, memory_order_relaxed)) {
		uint64_t now = dp_now(dp);
		bool busy = false;

		for (i = 0; i < c->nrx; i++) {
			n = rte_eth_rx_burst(c->rx[i].port, c->rx[i].queue, pkts, c->burst);
			if (n == 0)
				continue;
			busy = true;
			natgw_worker_rx(c->w, c->rx[i].side, pkts, n, now, tx_port, c);
		}
		if (dp->n_workers > 1 && natgw_worker_drain(c->w, now, tx_port, c))
			busy = true;
		natgw_worker_housekeep(c->w, now);
		if (unlikely(atomic_load_explicit(&c->snap.state, memory_order_relaxed) ==
				SNAP_ASKED))
			serve_snapshot(c);
		if (dp->scale[0])
			take_budget(c);
		natgw_worker_count_loop(c->w, busy);
	}
	return 0;
}

long
dp_snapshot(struct dp *dp, struct natgw_flow_record *rec, size_t max, unsigned int timeout_ms)
{
	size_t total = 0;
	unsigned int i, waited;

	for (i = 0; i < dp->n_workers && total < max; i++) {
		struct dp_snap *s = &dp->wk[i].snap;
		int asked = SNAP_ASKED;

		s->rec = rec + total;
		s->max = max - total;
		s->n = 0;
		atomic_store(&s->state, SNAP_ASKED);
		for (waited = 0; atomic_load(&s->state) != SNAP_DONE; waited++) {
			if (waited >= timeout_ms &&
					atomic_compare_exchange_strong(&s->state, &asked, SNAP_IDLE))
				return -1; /* the worker never took it */
			asked = SNAP_ASKED;
			usleep(1000);
		}
		total += s->n;
		atomic_store(&s->state, SNAP_IDLE);
	}
	return (long)total;
}

/* --------------------------------------------------------------- options */

struct dp_opts {
	const char *inside, *outside;
	const char *config, *report, *csv;
	/* The engine's options; --max-sessions is the run's, shared out among
	 * the workers (max_sessions below), not the engine's. */
	struct opt_nat nat;
	const char *gwspec[NATGW_MAX_WORKERS];
	unsigned int n_gwspec;
	struct natgw_acct_conf acct;
	const char *eth_dest[8];
	unsigned int n_eth_dest;
	uint64_t max_sessions, mbufs, mbuf_size, desc, burst, stats_period, duration;
	bool stats_set, quiet, flow_log;
	struct natgw_scale_conf scale;
	int scale_on; /* -1: the profile's default */
};

struct cfg_tuple {
	uint16_t port, queue;
	unsigned int lcore;
};

/* "(p,q,l),(p,q,l)" as l3fwd takes it; ports by id or name. */
static int
parse_config(const char *arg, struct cfg_tuple *t, unsigned int *nt, unsigned int max,
		char *err, size_t errlen)
{
	const char *p = arg;

	*nt = 0;
	while (*p) {
		char f[3][64];
		const char *close;
		unsigned int k = 0;
		uint64_t v;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		close = strchr(p, ')');
		if (*p != '(' || close == NULL || *nt == max)
			goto bad;
		p++;
		while (p < close && k < 3) {
			size_t len = strcspn(p, ",)");

			if (len == 0 || len >= sizeof(f[k]) || p + len > close)
				goto bad;
			memcpy(f[k], p, len);
			f[k++][len] = '\0';
			p += len + (p + len < close);
		}
		if (k != 3 || p != close)
			goto bad;
		if (natgw_port_lookup(f[0], &t[*nt].port, err, errlen) < 0)
			return -1;
		if (opt_uint(&v, "--config queue", f[1], 0, 1023, err, errlen) < 0)
			return -1;
		t[*nt].queue = (uint16_t)v;
		if (opt_uint(&v, "--config lcore", f[2], 0, RTE_MAX_LCORE - 1, err, errlen) < 0)
			return -1;
		t[*nt].lcore = (unsigned int)v;
		(*nt)++;
		p = close + 1;
	}
	if (*nt)
		return 0;
bad:
	snprintf(err, errlen, "--config: '%s' is not a list of (port,queue,lcore)%s", arg,
		*nt == max ? " (too many)" : "");
	return -1;
}

static int
parse_opts(int argc, char **argv, struct dp_opts *o, char *err, size_t errlen)
{
	enum {
		O_INSIDE = 256, O_OUTSIDE, O_INNET, O_PUBIP, O_CONFIG, O_ETHDEST, O_PROFILE,
		O_FILTER, O_TIMEOUT, O_MAXSESS, O_MTU, O_MBUFS, O_MBUFSZ, O_DESC, O_BURST,
		O_FLOWLOG, O_DURATION, O_REPORT, O_CSV, O_SCALE, O_GATEWAY, O_PORTS,
	};
	static const struct option lo[] = {
		{"inside", required_argument, NULL, O_INSIDE},
		{"outside", required_argument, NULL, O_OUTSIDE},
		{"inside-net", required_argument, NULL, O_INNET},
		{"public-ip", required_argument, NULL, O_PUBIP},
		{"config", required_argument, NULL, O_CONFIG},
		{"eth-dest", required_argument, NULL, O_ETHDEST},
		{"profile", required_argument, NULL, O_PROFILE},
		{"filtering", required_argument, NULL, O_FILTER},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"max-sessions", required_argument, NULL, O_MAXSESS},
		{"mtu", required_argument, NULL, O_MTU},
		{"port-alloc", required_argument, NULL, O_PORTS},
		{"mbufs", required_argument, NULL, O_MBUFS},
		{"mbuf-size", required_argument, NULL, O_MBUFSZ},
		{"desc", required_argument, NULL, O_DESC},
		{"burst", required_argument, NULL, O_BURST},
		{"flow-log", no_argument, NULL, O_FLOWLOG},
		{"stats-period", required_argument, NULL, 'T'},
		{"duration", required_argument, NULL, O_DURATION},
		{"report", required_argument, NULL, O_REPORT},
		{"csv", required_argument, NULL, O_CSV},
		{"scale", required_argument, NULL, O_SCALE},
		{"gateway", required_argument, NULL, O_GATEWAY},
		NATGW_ACCT_LONGOPTS,
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":T:qh", lo, NULL)) != -1) {
		int taken = natgw_acct_opt(&o->acct, c, optarg, err, errlen);

		if (taken < 0)
			return -1;
		if (taken)
			continue;
		switch (c) {
		case O_INSIDE: o->inside = optarg; break;
		case O_OUTSIDE: o->outside = optarg; break;
		case O_INNET: o->nat.inside_net = optarg; break;
		case O_PUBIP: o->nat.public_ip = optarg; break;
		case O_CONFIG: o->config = optarg; break;
		case O_PROFILE: o->nat.profile = optarg; break;
		case O_FILTER: o->nat.filtering = optarg; break;
		case O_PORTS: o->nat.port_alloc = optarg; break;
		case O_REPORT: o->report = optarg; break;
		case O_CSV: o->csv = optarg; break;
		case O_GATEWAY:
			if (opt_gateway_add(o->gwspec, &o->n_gwspec, RTE_DIM(o->gwspec), optarg,
					err, errlen) < 0)
				return -1;
			break;
		case O_SCALE:
			if (opt_scale(&o->scale, &o->scale_on, optarg, err, errlen) < 0)
				return -1;
			break;
		case O_FLOWLOG: o->flow_log = true; break;
		case 'q': o->quiet = true; break;
		case O_ETHDEST:
			if (o->n_eth_dest == RTE_DIM(o->eth_dest)) {
				snprintf(err, errlen, "--eth-dest: too many");
				return -1;
			}
			o->eth_dest[o->n_eth_dest++] = optarg;
			break;
		case O_TIMEOUT:
			if (opt_nat_timeout_add(&o->nat, optarg, err, errlen) < 0)
				return -1;
			break;
		case O_MAXSESS:
			if (opt_uint(&o->max_sessions, "--max-sessions", optarg, 64,
					(uint64_t)NATGW_MAX_WORKERS << 26, err, errlen) < 0)
				return -1;
			break;
		case O_MTU:
			if (opt_uint(&o->nat.mtu, "--mtu", optarg, 576, 65535, err, errlen) < 0)
				return -1;
			break;
		case O_MBUFS:
			if (opt_uint(&o->mbufs, "--mbufs", optarg, 1024, 1u << 26, err, errlen) < 0)
				return -1;
			break;
		case O_MBUFSZ:
			if (opt_uint(&o->mbuf_size, "--mbuf-size", optarg,
					RTE_PKTMBUF_HEADROOM + 64, 65535, err, errlen) < 0)
				return -1;
			break;
		case O_DESC:
			if (opt_uint(&o->desc, "--desc", optarg, 32, 16384, err, errlen) < 0)
				return -1;
			break;
		case O_BURST:
			if (opt_uint(&o->burst, "--burst", optarg, 1, NATGW_BURST_MAX, err,
					errlen) < 0)
				return -1;
			break;
		case 'T':
			if (opt_uint(&o->stats_period, "--stats-period", optarg, 0, 86400, err,
					errlen) < 0)
				return -1;
			o->stats_set = true;
			break;
		case O_DURATION:
			if (opt_uint(&o->duration, "--duration", optarg, 1, 1u << 30, err,
					errlen) < 0)
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			snprintf(err, errlen, "%s needs a value (see natgw -- --help)",
				argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				snprintf(err, errlen, "unknown option '-%c' (see natgw -- --help)",
					optopt);
			else
				snprintf(err, errlen, "unknown option '%s' (see natgw -- --help)",
					argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see natgw -- --help)",
			argv[optind]);
		return -1;
	}
	if (o->n_gwspec && (o->nat.inside_net || o->nat.public_ip)) {
		snprintf(err, errlen, "--gateway gives each gateway its networks and addresses: "
			"no --inside-net or --public-ip with it");
		return -1;
	}
	if (!o->inside || !o->outside ||
			(!o->n_gwspec && (!o->nat.inside_net || !o->nat.public_ip))) {
		snprintf(err, errlen, "%s is required (see natgw -- --help)",
			!o->inside ? "--inside" : !o->outside ? "--outside" :
			!o->nat.inside_net ? "--inside-net" : "--public-ip");
		return -1;
	}
	return 0;
}

/* --------------------------------------------------------------- set-up */

/*
 * Predictable RSS on the outside port, when it can: several rx queues, a
 * Toeplitz hash over the 4-tuple with a 40-byte key and a RETA, the `aws`
 * profile's endpoint-dependent mappings and more than one worker. Public ports
 * are then chosen so that answers come to their owner's queue straight from
 * the NIC; handoff remains for what cannot be steered.
 */
static void
steer_prepare(struct dp *dp, const struct cfg_tuple *t, unsigned int nt, uint16_t nq,
		const unsigned int *lc)
{
	struct natgw_port *p = &dp->port[NATGW_SIDE_OUTSIDE];
	uint8_t qw[DP_MAX_RXQ * NATGW_MAX_WORKERS], klen;
	uint16_t rs, q;
	unsigned int i, w, log = 0;
	char err[256];

	if (dp->n_workers < 2 || nq < 2 || dp->nat.profile != NATGW_PROFILE_AWS ||
			nq > RTE_DIM(qw))
		return;
	natgw_port_rss_caps(p->id, &rs, &klen);
	if (rs == 0 || klen != NATGW_RSS_KEY_LEN)
		return;
	for (i = 0; i < nt; i++)
		if (t[i].port == p->id)
			for (w = 0; w < dp->n_workers; w++)
				if (lc[w] == t[i].lcore)
					qw[t[i].queue] = (uint8_t)w;
	while ((1u << log) < rs)
		log++;
	for (q = 0; q < rs; q++)
		dp->reta[q] = (uint16_t)(q % nq);
	dp->steer = natgw_rss_steer_create("natgw_rss", log, dp->reta, qw, nq, dp->n_workers,
		NULL, err, sizeof(err));
	if (dp->steer == NULL) {
		fprintf(stderr, "natgw: no predictable RSS on port %u (%s): answers go through "
			"the handoff rings\n", p->id, err);
		return;
	}
	p->rss_key = natgw_rss_steer_key(dp->steer);
	p->rss_key_len = NATGW_RSS_KEY_LEN;
	p->reta = dp->reta;
	p->reta_size = rs;
}

/* @return 0; -1 when the options do not fit (bad option); -2 when a
 * resource (buffers, a port, a ring, a table) could not be had. */
static int
setup(struct dp *dp, const struct dp_opts *o, struct rte_mempool **mpp, char *err,
		size_t errlen)
{
	struct cfg_tuple t[NATGW_MAX_WORKERS * DP_MAX_RXQ];
	unsigned int nt = 0, i, j, s, lc[NATGW_MAX_WORKERS];
	uint16_t nrxq[NATGW_SIDES] = {0, 0}, desc = (uint16_t)(o->desc ? o->desc : 1024);
	struct rte_ring *ring[NATGW_MAX_WORKERS][NATGW_MAX_WORKERS][NATGW_SIDES];
	struct rte_mempool *mp;
	enum natgw_profile pr;
	uint64_t nb_mbufs;
	char name[64];

	memset(ring, 0, sizeof(ring));
	if (o->n_gwspec) {
		/* The gateways together are the inside and the public side. */
		static char in[2048], pub[2048];
		struct opt_nat u = o->nat;

		if (opt_gateway_union(o->gwspec, o->n_gwspec, in, pub, sizeof(in), err,
				errlen) < 0)
			return -1;
		u.inside_net = in;
		u.public_ip = pub;
		if (opt_nat_conf(&dp->nat, &pr, &u, err, errlen) < 0)
			return -1;
	} else if (opt_nat_conf(&dp->nat, &pr, &o->nat, err, errlen) < 0) {
		return -1;
	}
	if (natgw_port_lookup(o->inside, &dp->port[NATGW_SIDE_INSIDE].id, err, errlen) < 0 ||
			natgw_port_lookup(o->outside, &dp->port[NATGW_SIDE_OUTSIDE].id, err,
				errlen) < 0)
		return -1;
	if (dp->port[0].id == dp->port[1].id) {
		snprintf(err, errlen, "--inside and --outside are the same port (%u)",
			dp->port[0].id);
		return -1;
	}
	for (i = 0; i < o->n_eth_dest; i++) {
		struct rte_ether_addr mac;
		uint16_t id;

		if (natgw_port_mac_arg("--eth-dest", o->eth_dest[i], &id, &mac, err, errlen) < 0)
			return -1;
		for (s = 0; s < NATGW_SIDES && dp->port[s].id != id; s++)
			;
		if (s == NATGW_SIDES) {
			snprintf(err, errlen, "--eth-dest: port %u is neither --inside nor --outside",
				id);
			return -1;
		}
		dp->port[s].dst_mac = mac;
		dp->port[s].has_dst_mac = true;
	}

	/* Workers: the lcores of --config, in the order first named. */
	if (o->config) {
		if (parse_config(o->config, t, &nt, RTE_DIM(t), err, errlen) < 0)
			return -1;
	} else {
		unsigned int l = rte_get_next_lcore(-1, 1, 0);

		if (l >= RTE_MAX_LCORE) {
			snprintf(err, errlen, "no worker lcore: the main lcore prints stats and "
				"serves telemetry; give one more with -l (e.g. -l 0,1)");
			return -1;
		}
		t[0] = (struct cfg_tuple){dp->port[0].id, 0, l};
		t[1] = (struct cfg_tuple){dp->port[1].id, 0, l};
		nt = 2;
	}
	dp->n_workers = 0;
	for (i = 0; i < nt; i++) {
		struct dp_worker *c;

		if (t[i].lcore == rte_get_main_lcore() || !rte_lcore_is_enabled(t[i].lcore)) {
			snprintf(err, errlen, "--config: lcore %u is %s", t[i].lcore,
				t[i].lcore == rte_get_main_lcore() ? "the main lcore, which prints "
				"stats and serves telemetry: give workers others" :
				"not enabled (see -l)");
			return -1;
		}
		if (t[i].port != dp->port[0].id && t[i].port != dp->port[1].id) {
			snprintf(err, errlen, "--config: port %u is neither --inside nor --outside",
				t[i].port);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (t[j].port == t[i].port && t[j].queue == t[i].queue) {
				snprintf(err, errlen, "--config: port %u queue %u given twice",
					t[i].port, t[i].queue);
				return -1;
			}
		for (j = 0; j < dp->n_workers && lc[j] != t[i].lcore; j++)
			;
		if (j == dp->n_workers) {
			if (j == NATGW_MAX_WORKERS) {
				snprintf(err, errlen, "--config: more than %d worker lcores",
					NATGW_MAX_WORKERS);
				return -1;
			}
			lc[dp->n_workers++] = t[i].lcore;
		}
		c = &dp->wk[j];
		if (c->nrx == DP_MAX_RXQ) {
			snprintf(err, errlen, "--config: lcore %u polls more than %d queues",
				t[i].lcore, DP_MAX_RXQ);
			return -1;
		}
		s = t[i].port == dp->port[0].id ? NATGW_SIDE_INSIDE : NATGW_SIDE_OUTSIDE;
		c->rx[c->nrx].port = t[i].port;
		c->rx[c->nrx].queue = t[i].queue;
		c->rx[c->nrx++].side = (enum natgw_side)s;
		if (t[i].queue + 1u > nrxq[s])
			nrxq[s] = (uint16_t)(t[i].queue + 1u);
	}
	for (s = 0; s < NATGW_SIDES; s++) {
		uint16_t q;

		for (q = 0; q < nrxq[s]; q++) {
			for (i = 0; i < nt && !(t[i].port == dp->port[s].id && t[i].queue == q); i++)
				;
			if (i == nt) {
				snprintf(err, errlen, "--config: port %u queue %u has no lcore",
					dp->port[s].id, q);
				return -1;
			}
		}
		if (nrxq[s] == 0) {
			snprintf(err, errlen, "--config: no lcore polls the %s port %u",
				s == NATGW_SIDE_INSIDE ? "inside" : "outside", dp->port[s].id);
			return -1;
		}
	}

	/* Buffers: the queues' descriptors, the bursts and rings in flight. */
	nb_mbufs = o->mbufs ? o->mbufs :
		2ull * (nrxq[0] + nrxq[1] + 2ull * dp->n_workers) * desc +
		(uint64_t)dp->n_workers * (4 * NATGW_BURST_MAX +
			(dp->n_workers > 1 ? 2ull * (dp->n_workers - 1) * HANDOFF_RING : 0)) + 4096;
	mp = rte_pktmbuf_pool_create("natgw_mbufs", (unsigned int)nb_mbufs, 256, 0,
		(uint16_t)(o->mbuf_size ? o->mbuf_size : RTE_MBUF_DEFAULT_BUF_SIZE),
		(int)rte_socket_id());
	if (mp == NULL) {
		snprintf(err, errlen, "cannot allocate %" PRIu64 " packet buffers: %s (raise -m "
			"or lower --mbufs)", nb_mbufs, rte_strerror(rte_errno));
		return -2;
	}
	*mpp = mp;
	if (o->n_gwspec) {
		/* Gateway mode: a worker is a gateway, with its own engine. */
		if (o->n_gwspec != dp->n_workers) {
			snprintf(err, errlen, "--gateway: one worker lcore a gateway: %u gateways, "
				"%u workers (see --config)", o->n_gwspec, dp->n_workers);
			return -1;
		}
		if (opt_gateways(&dp->nat, o->gwspec, o->n_gwspec, dp->gw, err, errlen) < 0)
			return -1;
		dp->n_gw = o->n_gwspec;
	} else {
		/* Answers are owned by public port: steer them by it (the
		 * gateways own theirs by address, which RSS cannot choose). */
		steer_prepare(dp, t, nt, nrxq[NATGW_SIDE_OUTSIDE], lc);
	}
	for (s = 0; s < NATGW_SIDES; s++)
		/* A tx queue per worker; never fewer tx than rx queues (net_tap
		 * wants them equal; a spare tx queue costs nothing). */
		if (natgw_port_start(&dp->port[s], nrxq[s], RTE_MAX(nrxq[s],
				(uint16_t)dp->n_workers), desc, mp, err, errlen) < 0)
			return -2;
	if (dp->steer && !dp->port[NATGW_SIDE_OUTSIDE].reta_set) {
		/* The port took the key but not the table: the answers still
		 * reach every worker, through the rings. */
		natgw_rss_steer_free(dp->steer);
		dp->steer = NULL;
	}

	/* Handoff rings, one per ordered pair of workers and side. */
	for (i = 0; i < dp->n_workers && dp->n_workers > 1; i++)
		for (j = 0; j < dp->n_workers; j++)
			for (s = 0; s < NATGW_SIDES && i != j; s++) {
				snprintf(name, sizeof(name), "natgw_h%u_%u_%u", i, j, s);
				ring[i][j][s] = rte_ring_create(name, HANDOFF_RING,
					rte_lcore_to_socket_id(lc[j]),
					RING_F_SP_ENQ | RING_F_SC_DEQ);
				if (ring[i][j][s] == NULL) {
					snprintf(err, errlen, "cannot make handoff ring %s: %s", name,
						rte_strerror(rte_errno));
					return -2;
				}
			}
	for (i = 0; i < dp->n_workers; i++) {
		struct natgw_worker_conf wc;
		struct dp_worker *c = &dp->wk[i];

		memset(&wc, 0, sizeof(wc));
		snprintf(name, sizeof(name), "w%u", i);
		wc.name = name;
		wc.nat = dp->nat;
		wc.nat.worker_id = i;
		wc.nat.n_workers = dp->n_workers;
		if (dp->n_gw) {
			/* A gateway of its own: its networks and addresses, the
			 * whole port range. */
			wc.nat = dp->gw[i];
			wc.nat.worker_id = 0;
			wc.nat.n_workers = 1;
			wc.n_gw = dp->n_gw;
			wc.gw_id = i;
			wc.gw_all = dp->gw;
		}
		wc.nat.socket_id = (int)rte_lcore_to_socket_id(lc[i]);
		wc.nat.keep_flow_log = o->flow_log;
		/* The totals are the gateway's: each worker holds its share. */
		if (o->max_sessions)
			wc.nat.max_sessions = (uint32_t)RTE_MAX(64u,
				(o->max_sessions + dp->n_workers - 1) / dp->n_workers);
		/* per_dest_limit stays the gateway's: the engine gives each of
		 * n_workers its share. */
		wc.expire_budget = EXPIRE_BUDGET;
		wc.classify = true;
		wc.ranges = o->acct.ranges;
		wc.enforce = o->acct.enforce ? o->acct.policy : NULL;
		/* The policy's designs are evaluated over the flows. */
		wc.nat.keep_flow_log = o->flow_log || o->acct.policy != NULL;
		if (dp->steer)
			natgw_rss_steer_attach(dp->steer, &wc.nat);
		for (j = 0; j < dp->n_workers; j++)
			for (s = 0; s < NATGW_SIDES; s++) {
				wc.to[j][s] = ring[i][j][s];
				wc.from[j][s] = ring[j][i][s];
			}
		c->w = natgw_worker_create(&wc, err, errlen);
		if (c->w == NULL)
			return -2;
		dp->engines[i] = natgw_worker_nat(c->w);
		dp->workers[i] = c->w;
		c->lcore = lc[i];
		c->txq = (uint16_t)i;
		c->port[NATGW_SIDE_INSIDE] = &dp->port[NATGW_SIDE_INSIDE];
		c->port[NATGW_SIDE_OUTSIDE] = &dp->port[NATGW_SIDE_OUTSIDE];
		c->burst = (uint16_t)(o->burst ? o->burst : 32);
		atomic_init(&c->snap.state, SNAP_IDLE);
	}
	if (o->max_sessions)
		dp->nat.max_sessions = (uint32_t)RTE_MIN(o->max_sessions, UINT32_MAX);
	else
		dp->nat.max_sessions *= dp->n_workers;
	/* The AWS gateway has its elastic ceiling; an RFC NAT has none. For a
	 * benchmark of the dataplane itself: --scale off. */
	if (o->scale_on > 0 || (o->scale_on < 0 && dp->nat.profile == NATGW_PROFILE_AWS)) {
		if (natgw_scale_conf_check(&o->scale, err, errlen) < 0)
			return -1;
		/* A ceiling a gateway: each of several, or the one all the
		 * workers make up, a share each. */
		dp->n_scale = dp->n_gw ? dp->n_gw : 1;
		for (i = 0; i < dp->n_scale; i++) {
			dp->scale[i] = natgw_scale_create(&o->scale, dp->n_gw ? 1 : dp->n_workers,
				err, errlen);
			if (dp->scale[i] == NULL)
				return -2;
		}
		if (dp->n_gw > 1) {
			dp->one = natgw_scale_create(&o->scale, 1, err, errlen);
			if (dp->one == NULL)
				return -2;
		}
		dp->epoch_ns = o->scale.epoch_ns;
	}
	return 0;
}

/* ---------------------------------------------------------- stats and report */

struct totals {
	uint64_t rx[NATGW_SIDES], tx[NATGW_SIDES], tx_bytes[NATGW_SIDES], drops;
	uint64_t tx_drop, handoff_drop, sessions;
};

static void
totals(const struct dp *dp, struct totals *t)
{
	unsigned int i, s, d;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < dp->n_workers; i++) {
		const struct natgw_worker_stats *ws = natgw_worker_stats(dp->wk[i].w);
		const struct natgw_nat_stats *ns = natgw_nat_stats(dp->engines[i]);

		for (s = 0; s < NATGW_SIDES; s++) {
			t->rx[s] += ws->rx[s];
			t->tx[s] += ws->tx[s];
			t->tx_bytes[s] += ws->tx_bytes[s];
			t->tx_drop += ws->tx_drop[s];
		}
		t->handoff_drop += ws->handoff_drop;
		for (d = 1; d < NATGW_DROP_MAX; d++)
			t->drops += ns->drop[d];
		t->sessions += ns->sessions_active;
	}
}

/* What left the gateway in @p seconds: packets, bytes and their rates. L2 is
 * frame bytes without FCS; L1 adds the FCS, preamble and inter-frame gap, 24
 * bytes a frame. */
struct rates {
	uint64_t pkts, bytes;
	double mpps, gbps_l2, gbps_l1;
};

static void
rates(const struct totals *t, double seconds, struct rates *r)
{
	r->pkts = t->tx[0] + t->tx[1];
	r->bytes = t->tx_bytes[0] + t->tx_bytes[1];
	r->mpps = seconds > 0 ? (double)r->pkts / seconds / 1e6 : 0;
	r->gbps_l2 = seconds > 0 ? (double)r->bytes * 8 / seconds / 1e9 : 0;
	r->gbps_l1 = seconds > 0 ? (double)(r->bytes + 24 * r->pkts) * 8 / seconds / 1e9 : 0;
}

static void
stats_line(const struct dp *dp, struct totals *prev, double dt, double elapsed)
{
	struct totals t;
	uint64_t imissed = 0;
	unsigned int s;

	totals(dp, &t);
	for (s = 0; s < NATGW_SIDES; s++) {
		struct rte_eth_stats es;

		if (rte_eth_stats_get(dp->port[s].id, &es) == 0)
			imissed += es.imissed + es.rx_nombuf;
	}
	printf("%8.1fs  inside rx %7.3f tx %7.3f Mpps | outside rx %7.3f tx %7.3f Mpps | "
		"%6.3f Gbps out | sessions %" PRIu64 " | drops %" PRIu64 " nat, %" PRIu64
		" tx, %" PRIu64 " rx missed\n", elapsed,
		(double)(t.rx[0] - prev->rx[0]) / dt / 1e6,
		(double)(t.tx[0] - prev->tx[0]) / dt / 1e6,
		(double)(t.rx[1] - prev->rx[1]) / dt / 1e6,
		(double)(t.tx[1] - prev->tx[1]) / dt / 1e6,
		(double)(t.tx_bytes[0] + t.tx_bytes[1] - prev->tx_bytes[0] - prev->tx_bytes[1]) *
			8 / dt / 1e9,
		t.sessions, t.drops - prev->drops, t.tx_drop + t.handoff_drop, imissed);
	fflush(stdout);
	*prev = t;
}

static const char *const side_name[NATGW_SIDES] = {"inside", "outside"};

json_t *
dp_port_json(const struct natgw_port *p)
{
	struct rte_eth_stats es;

	memset(&es, 0, sizeof(es));
	rte_eth_stats_get(p->id, &es);
	return json_pack("{sisssIsIsIsIsIsIsIsI}", "id", p->id, "name", p->name,
		"rx_packets", (json_int_t)es.ipackets, "tx_packets", (json_int_t)es.opackets,
		"rx_bytes", (json_int_t)es.ibytes, "tx_bytes", (json_int_t)es.obytes,
		"rx_missed", (json_int_t)es.imissed, "rx_errors", (json_int_t)es.ierrors,
		"tx_errors", (json_int_t)es.oerrors, "rx_nombuf", (json_int_t)es.rx_nombuf);
}

static json_t *
dataplane_json(const struct dp *dp, double seconds)
{
	json_t *o = json_object(), *ports = json_array(), *workers = json_array(), *a;
	struct totals t;
	struct rates r;
	unsigned int i, s;
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	for (s = 0; s < NATGW_SIDES; s++) {
		const struct natgw_port *p = &dp->port[s];
		json_t *po = dp_port_json(p);

		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		/* lower case, as ip(8) and tshark write them */
		for (i = 0; mac[i]; i++)
			mac[i] = (char)tolower((unsigned char)mac[i]);
		a = json_array();
		if (p->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
			json_array_append_new(a, json_string("ipv4"));
		if (p->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)
			json_array_append_new(a, json_string("tcp"));
		if (p->tx_offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
			json_array_append_new(a, json_string("udp"));
		json_object_update_new(po, json_pack("{sssssssisisbsosi}", "side", side_name[s],
			"driver", p->driver, "mac", mac, "rx_queues", p->nb_rxq,
			"tx_queues", p->nb_txq, "rss", p->rss, "tx_checksum_offload", a,
			"link_speed_mbps", p->link_speed));
		json_array_append_new(ports, po);
	}
	for (i = 0; i < dp->n_workers; i++) {
		const struct natgw_worker_stats *ws = natgw_worker_stats(dp->wk[i].w);
		const struct natgw_nat_stats *ns = natgw_nat_stats(dp->engines[i]);

		json_array_append_new(workers, json_pack(
			"{sisis{sIsI}s{sIsI}s{sIsI}sIsIsIsIsfsI}",
			"id", i, "lcore", dp->wk[i].lcore,
			"rx", "inside", (json_int_t)ws->rx[0], "outside", (json_int_t)ws->rx[1],
			"tx", "inside", (json_int_t)ws->tx[0], "outside", (json_int_t)ws->tx[1],
			"tx_drop", "inside", (json_int_t)ws->tx_drop[0],
			"outside", (json_int_t)ws->tx_drop[1],
			"handoff_out", (json_int_t)ws->handoff_out,
			"handoff_in", (json_int_t)ws->handoff_in,
			"handoff_drop", (json_int_t)ws->handoff_drop,
			"nat_drops", (json_int_t)(ns->metric[NATGW_M_PacketsDropCount]),
			"busy_loops_pct", ws->loops ? 100.0 * (double)ws->busy_loops /
				(double)ws->loops : 0.0,
			"sessions_active", (json_int_t)ns->sessions_active));
	}
	json_object_set_new(o, "seconds", json_real(seconds));
	json_object_set_new(o, "workers_n", json_integer(dp->n_workers));
	/* Public ports chosen for the outside port's RSS (lib/worker/natgw_rss.h). */
	json_object_set_new(o, "rss_steering", json_boolean(dp->steer != NULL));
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "workers", workers);
	totals(dp, &t);
	rates(&t, seconds, &r);
	json_object_set_new(o, "tx_packets", json_integer((json_int_t)r.pkts));
	json_object_set_new(o, "tx_bytes", json_integer((json_int_t)r.bytes));
	json_object_set_new(o, "mpps", json_real(r.mpps));
	json_object_set_new(o, "gbps_l2", json_real(r.gbps_l2));
	json_object_set_new(o, "gbps_l1", json_real(r.gbps_l1));
	return o;
}

static void
summary(const struct dp *dp, const struct natgw_report *rep, double seconds)
{
	struct natgw_acct_totals tot;
	struct natgw_nat_stats st;
	struct totals t;
	struct rates r;

	totals(dp, &t);
	rates(&t, seconds, &r);
	natgw_report_totals(dp->engines, dp->n_workers, &st);
	printf("natgw: %u worker%s, %.1f s, forwarded %" PRIu64 " packets: %.3f Mpps, %.3f Gbps "
		"(L2), %.3f Gbps (L1); profile %s\n", dp->n_workers, dp->n_workers > 1 ? "s" : "",
		seconds, r.pkts, r.mpps, r.gbps_l2, r.gbps_l1, natgw_profile_name(dp->nat.profile));
	natgw_report_summary_nat(stdout, &st);
	if (t.tx_drop || t.handoff_drop)
		printf("  not sent: %" PRIu64 " refused by a port, %" PRIu64 " lost to a full "
			"handoff ring\n", t.tx_drop, t.handoff_drop);
	if (dp->n_gw)
		natgw_report_summary_gateways(stdout, dp->gw, dp->n_gw, dp->engines, dp->scale);
	if (dp->one)
		natgw_report_one_gateway_line(stdout, dp->one, dp->engines, dp->n_gw);
	else if (dp->scale[0])
		natgw_report_ceiling_line(stdout, "  ", dp->scale[0], &st);
	if (natgw_acct_collect(rep, &tot) == 0) {
		natgw_acct_summary(stdout, rep, &tot);
		natgw_acct_totals_free(&tot);
	}
}

/* Whether the report can be written where asked: its .part file is made and
 * removed again. */
static bool
report_writable(const char *path, char *err, size_t errlen)
{
	char part[PATH_MAX];
	FILE *f;

	if ((size_t)snprintf(part, sizeof(part), "%s.part", path) >= sizeof(part)) {
		snprintf(err, errlen, "--report %s: path too long", path);
		return false;
	}
	f = fopen(part, "w");
	if (f == NULL) {
		snprintf(err, errlen, "--report %s: %s", path, strerror(errno));
		return false;
	}
	fclose(f);
	unlink(part);
	return true;
}

/* Write the report under a .part name, renamed once whole (as the replay's
 * outputs: a report that is there is complete). Takes rep->sections. */
static int
write_report(const struct natgw_report *rep, const char *path)
{
	char part[PATH_MAX], err[512];

	if ((size_t)snprintf(part, sizeof(part), "%s.part", path) >= sizeof(part)) {
		fprintf(stderr, "natgw: --report %s: path too long\n", path);
		json_decref(rep->sections);
		return -1;
	}
	if (natgw_report_write_engines(part, rep, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw: %s\n", err);
		unlink(part);
		return -1;
	}
	if (rename(part, path) < 0) {
		fprintf(stderr, "natgw: --report %s: %s\n", path, strerror(errno));
		unlink(part);
		return -1;
	}
	return 0;
}

/* --csv DIR: made if missing, and a directory. */
static bool
csv_dir_ok(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "--csv %s: %s", dir, strerror(errno));
		return false;
	}
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--csv %s: not a directory", dir);
		return false;
	}
	return true;
}

/*
 * An epoch of the ceiling, on the main lcore: what each worker's engine took in
 * and dropped over its budget since the last epoch (its own counters, read
 * here), and each worker's next budget, published through its seqlock.
 */
static int
dp_epoch(struct dp *dp, uint64_t now)
{
	struct natgw_scale_budget b[NATGW_MAX_WORKERS];
	uint64_t all_b = 0, all_p = 0;
	unsigned int i;

	for (i = 0; i < dp->n_workers; i++) {
		struct natgw_scale_use u;

		natgw_worker_ceiling_use(dp->wk[i].w, &dp->wk[i].seen, &u);
		all_b += u.offered_bytes;
		all_p += u.offered_pkts;
		/* gateway i's own ceiling, or share i of the one */
		natgw_scale_add(dp->scale[dp->n_gw ? i : 0], dp->n_gw ? 0 : i, &u);
	}
	for (i = 0; i < dp->n_scale; i++)
		if (natgw_scale_epoch(dp->scale[i], now, dp->n_gw ? &b[i] : b) < 0)
			return -1;
	if (dp->one && natgw_scale_shadow_epoch(dp->one, now, all_b, all_p, &dp->one_budget) < 0)
		return -1;
	for (i = 0; i < dp->n_workers; i++) {
		struct dp_budget *d = &dp->wk[i].budget;
		uint64_t s = atomic_load_explicit(&d->seq, memory_order_relaxed);

		atomic_store_explicit(&d->seq, s + 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
		atomic_store_explicit(&d->bytes, b[i].bytes, memory_order_relaxed);
		atomic_store_explicit(&d->pkts, b[i].pkts, memory_order_relaxed);
		atomic_store_explicit(&d->seq, s + 2, memory_order_release);
	}
	dp->next_epoch = (now / dp->epoch_ns + 1) * dp->epoch_ns;
	return 0;
}

/* The report's own sections: the dataplane's counters and the ceilings. Made
 * before the engines finish: they tell the sessions still held. */
static json_t *
report_sections(struct dp *dp, double seconds)
{
	json_t *o = json_object();

	json_object_set_new(o, "dataplane", dataplane_json(dp, seconds));
	if (dp->n_gw) {
		json_object_set_new(o, "gateways", natgw_report_gateways_json(dp->gw, dp->n_gw,
			dp->engines, dp->scale));
		if (dp->one)
			json_object_set_new(o, "one_gateway_instead",
				natgw_report_one_gateway_json(dp->one, dp->engines, dp->n_gw));
	} else if (dp->scale[0]) {
		json_t *sj = NULL;

		if (natgw_scale_json(dp->scale[0], &sj) == 0)
			json_object_set_new(o, "ceiling", sj);
	}
	return o;
}

/* ------------------------------------------------------------------ run */


/* DPDK heap in use on every socket: what the tables and buffers took. */
static size_t
dp_heap_bytes(void)
{
	struct rte_malloc_socket_stats st;
	size_t sum = 0;
	int s;

	for (s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			sum += st.heap_allocsz_bytes;
	return sum;
}

/* What the configuration fixed at start: the session tables, the buffers and
 * rings are all allocated by setup(), so memory does not grow with traffic;
 * only a kept flow log does (a record of every session ended). */
static void
print_memory(const struct dp *dp, const struct rte_mempool *mp, size_t bytes)
{
	const struct natgw_nat_conf *c = natgw_nat_conf(dp->engines[0]);

	fprintf(stderr, "natgw: memory: %.1f MiB of DPDK memory taken at start, fixed: "
		"%" PRIu64 " sessions (%u a worker), %u packet buffers%s\n",
		(double)bytes / (1 << 20), (uint64_t)c->max_sessions * dp->n_workers,
		c->max_sessions, mp->size,
		c->keep_flow_log ? "; the flow log grows by a record per session ended" :
		"");
}

int
natgw_cmd_dataplane(int argc, char **argv)
{
	static struct dp dp;
	struct dp_opts o;
	struct rte_mempool *mp = NULL;
	struct totals prev;
	char err[512], **eargv;
	int eargc, n, status = 1;
	size_t heap0;
	unsigned int i;
	uint64_t last_stats, t_end = 0;
	double seconds;
	struct timespec ts;

	/* --help must not need an EAL (nor root). */
	for (n = 1; n < argc; n++)
		if (strcmp(argv[n], "--") == 0)
			break;
	for (i = (unsigned int)n + 1; i < (unsigned int)argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	eargv = natgw_eal_args(argc, argv, &eargc);
	if (eargv == NULL)
		return 1;
	n = rte_eal_init(eargc, eargv);
	if (n < 0) {
		fprintf(stderr, "natgw: DPDK EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		free(eargv);
		return 1;
	}
	memset(&o, 0, sizeof(o));
	natgw_acct_conf_init(&o.acct);
	natgw_scale_conf_defaults(&o.scale);
	o.scale_on = -1;
	if (parse_opts(eargc - n, eargv + n, &o, err, sizeof(err)) < 0 ||
			natgw_acct_setup(&o.acct, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw: %s\n", err);
		status = 2;
		goto out;
	}
	if (o.csv && !csv_dir_ok(o.csv, err, sizeof(err))) {
		fprintf(stderr, "natgw: %s\n", err);
		status = 2;
		goto out;
	}
	if (natgw_acct_load_ranges(&o.acct, err, sizeof(err)) < 0) {
		fprintf(stderr, "natgw: %s\n", err);
		status = 2;
		goto out;
	}
	if (o.report && !report_writable(o.report, err, sizeof(err))) {
		/* Found now, not after an hour's run. */
		fprintf(stderr, "natgw: %s\n", err);
		status = 2;
		goto out;
	}
	if (!o.stats_set)
		o.stats_period = isatty(STDOUT_FILENO) ? 1 : 0;
	if (o.quiet)
		o.stats_period = 0;
	the_dp = &dp;
	atomic_init(&dp.quit, false);
	clock_gettime(CLOCK_REALTIME, &ts);
	dp.tsc0 = rte_rdtsc();
	dp.rt0_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	dp.ns_per_cycle = 1e9 / (double)rte_get_tsc_hz();
	heap0 = dp_heap_bytes();
	n = setup(&dp, &o, &mp, err, sizeof(err));
	if (n < 0) {
		/* -1: the options do not fit the ports and lcores (2, as any bad
		 * option); -2: resources failed (1). */
		fprintf(stderr, "natgw: %s\n", err);
		status = n == -1 ? 2 : 1;
		goto stop;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	dp_telemetry_register(&dp);
	dp.start_ns = dp_now(&dp);
	if (dp.scale[0] && dp_epoch(&dp, dp.start_ns) < 0) {
		fprintf(stderr, "natgw: the ceiling's controller failed\n");
		status = 1;
		goto stop;
	}
	for (i = 0; i < dp.n_workers; i++)
		rte_eal_remote_launch(worker_main, &dp.wk[i], dp.wk[i].lcore);
	if (!o.quiet && dp.steer)
		fprintf(stderr, "natgw: predictable RSS on port %u: public ports are chosen so "
			"that answers reach their owner's queue\n", dp.port[NATGW_SIDE_OUTSIDE].id);
	if (!o.quiet)
		fprintf(stderr, "natgw: %u worker%s forwarding between port %u (%s, inside) and "
			"port %u (%s, outside); Ctrl-C stops\n", dp.n_workers,
			dp.n_workers > 1 ? "s" : "", dp.port[0].id, dp.port[0].name, dp.port[1].id,
			dp.port[1].name);
	if (!o.quiet)
		print_memory(&dp, mp, dp_heap_bytes() - heap0);
	memset(&prev, 0, sizeof(prev));
	last_stats = dp.start_ns;
	if (o.duration)
		t_end = dp.start_ns + o.duration * 1000000000ull;
	while (!atomic_load(&dp.quit)) {
		uint64_t now;

		/* With a ceiling, the main lcore hands out its budgets each
		 * epoch; the controller makes up for a late wake-up. */
		usleep(dp.scale[0] ? (useconds_t)(o.scale.epoch_ns / 4000) : 10000);
		now = dp_now(&dp);
		if (t_end && now >= t_end)
			break;
		if (dp.scale[0] && now >= dp.next_epoch && dp_epoch(&dp, now) < 0) {
			fprintf(stderr, "natgw: the ceiling's controller failed\n");
			break;
		}
		if (o.stats_period && now - last_stats >= o.stats_period * 1000000000ull) {
			stats_line(&dp, &prev, (double)(now - last_stats) / 1e9,
				(double)(now - dp.start_ns) / 1e9);
			last_stats = now;
		}
	}
	atomic_store(&dp.quit, true);
	rte_eal_mp_wait_lcore();
	seconds = (double)(dp_now(&dp) - dp.start_ns) / 1e9;
	status = 0;
	{
		struct natgw_report rep = {
			.mode = "dataplane", .nat = &dp.nat, .engines = dp.engines,
			.n_engines = dp.n_workers, .workers = dp.workers, .acct = &o.acct,
			.span_s = seconds, .n_gateways = dp.n_gw,
		};
		uint64_t end = dp_now(&dp);

		/* The last epoch's use, into the timelines. */
		if (dp.scale[0] && dp_epoch(&dp, end) < 0)
			fprintf(stderr, "natgw: the ceiling's controller failed\n");
		/* The report's sections first: they tell the sessions still held,
		 * which finishing the engines then ends (in the flow log, when
		 * kept, as still open) and moves into the accounting. */
		if (o.report)
			rep.sections = report_sections(&dp, seconds);
		for (i = 0; i < dp.n_workers; i++)
			natgw_nat_finish(dp.engines[i], end);
		if (!o.quiet)
			summary(&dp, &rep, seconds);
		if (o.csv && natgw_acct_write_csv(o.csv, &rep, err, sizeof(err)) < 0) {
			fprintf(stderr, "natgw: --csv: %s\n", err);
			status = 1;
		}
		if (o.report && write_report(&rep, o.report) < 0)
			status = 1;
	}
stop:
	dp_telemetry_unregister();
	for (i = 0; i < NATGW_SIDES; i++)
		if (dp.port[i].nb_rxq)
			natgw_port_stop(&dp.port[i]);
	for (i = 0; i < dp.n_workers; i++)
		natgw_worker_free(dp.wk[i].w);
	natgw_rss_steer_free(dp.steer);
	for (i = 0; i < dp.n_scale; i++)
		natgw_scale_free(dp.scale[i]);
	natgw_scale_free(dp.one);
	rte_mempool_free(mp);
out:
	natgw_acct_conf_free(&o.acct);
	snprintf(err, sizeof(err), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	natgw_eal_remove_runtime_dir(err);
	free(eargv);
	return status;
}
