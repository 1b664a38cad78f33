/* SPDX-License-Identifier: BSD-3-Clause */
/* natgw: the command line's front door; each command lives in its own file. */
#include <stdio.h>
#include <string.h>

#include "natgw_build_config.h"
#include "commands.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: natgw [EAL options] -- OPTIONS     the gateway on DPDK ports\n"
		"       natgw COMMAND [OPTIONS]\n"
		"\n"
		"A userspace NAT gateway that behaves like the AWS NAT gateway.\n"
		"\n"
		"  natgw -- --help    the dataplane's options (ports, workers, telemetry)\n"
		"\n"
		"commands:\n"
		"  replay [CAPTURE]   run a capture taken inside a VPC through the NAT, in the\n"
		"                     capture's own time; without CAPTURE, the built-in\n"
		"                     synthetic ECS cluster: its hosts and the destinations\n"
		"                     they call, closed in a loop through the NAT\n"
		"  synth -w FILE      write that synthetic ECS scenario as a capture (the\n"
		"                     hosts' view, no NAT): a realistic sample to replay\n"
		"  lab [EAL] -- [OPTIONS]\n"
		"                     throughput tests (RFC 2544, RFC 9693) with natgw's own\n"
		"                     traffic generator: NDR/PDR, latency, connection setup\n"
		"                     rate, table capacity; no NIC needed\n"
		"\n"
		"  natgw COMMAND --help   options of a command\n"
		"  natgw --version        version\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("natgw %s\n", NATGW_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "replay") == 0)
		return natgw_cmd_replay(argc - 1, argv + 1);
	if (strcmp(argv[1], "synth") == 0)
		return natgw_cmd_synth(argc - 1, argv + 1);
	if (strcmp(argv[1], "lab") == 0)
		return natgw_cmd_lab(argc - 1, argv + 1);
	/* DPDK's convention: EAL options, then "--" and the application's. */
	if (argv[1][0] == '-')
		return natgw_cmd_dataplane(argc, argv);
	fprintf(stderr, "natgw: '%s' is not a command (try natgw --help)\n", argv[1]);
	return 2;
}
