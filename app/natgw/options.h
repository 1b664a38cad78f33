/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing of the values natgw's options take; every error is one line naming the
 * option and the value. */
#ifndef NATGW_APP_OPTIONS_H
#define NATGW_APP_OPTIONS_H

#include <stdint.h>
#include <stddef.h>

#include "natgw_nat.h"
#include "natgw_scale.h"

/* Parse "A.B.C.D/N[,...]" into c->inside. */
int opt_inside_nets(struct natgw_nat_conf *c, const char *arg, char *err, size_t errlen);
/* Parse "A.B.C.D[,...]" into c->public_ip; c->inside must be set already (a
 * public address may not be inside). */
int opt_public_ips(struct natgw_nat_conf *c, const char *arg, char *err, size_t errlen);
/* Parse "aws" or "rfc". */
int opt_profile(enum natgw_profile *p, const char *arg, char *err, size_t errlen);
/* Parse "eif", "adf" or "apdf". */
int opt_filtering(enum natgw_filtering *f, const char *arg, char *err, size_t errlen);
/* Parse "CLASS=SECONDS" into c->timeout_ns. */
int opt_timeout(struct natgw_nat_conf *c, const char *arg, char *err, size_t errlen);
/* Parse --port-alloc "parity=on|off,range=on|off" (RFC 4787 REQ-4, REQ-3a)
 * into c's port_parity and port_range_preserve. */
int opt_port_alloc(struct natgw_nat_conf *c, const char *arg, char *err, size_t errlen);
/* Parse --scale: "off", "on", or KEY=VALUE[,...] (on, with those values). */
int opt_scale(struct natgw_scale_conf *c, int *on, const char *arg, char *err, size_t errlen);
/* One more --gateway NETS=IPS into @p spec (at most @p max). */
int opt_gateway_add(const char **spec, unsigned int *n, unsigned int max, const char *arg,
		char *err, size_t errlen);
/* --gateway NETS=IPS, repeated: all gateways' networks and addresses as
 * comma lists (a run's inside and public), into @p in and @p pub of @p len. */
int opt_gateway_union(const char *const *spec, unsigned int n, char *in, char *pub, size_t len,
		char *err, size_t errlen);
/* Each gateway's configuration: @p base with the gateway's own networks and
 * addresses; no inside host may belong to two gateways. */
int opt_gateways(const struct natgw_nat_conf *base, const char *const *spec, unsigned int n,
		struct natgw_nat_conf *gw, char *err, size_t errlen);
/* The NAT's options as a command was given them (NULL or 0: not given). */
struct opt_nat {
	const char *profile;             /* aws (default) or rfc */
	const char *inside_net;          /* required: the caller's default if none */
	const char *public_ip;           /* required, likewise */
	const char *filtering;           /* rfc only */
	const char *port_alloc;
	const char *timeouts[NATGW_TO_MAX * 4]; /* nt CLASS=SECONDS */
	unsigned int nt;
	uint64_t max_sessions;           /* range-checked by the caller */
	uint64_t mtu;                    /* likewise */
};

/* One more --timeout CLASS=SECONDS into @p o (checked by opt_nat_conf). */
int opt_nat_timeout_add(struct opt_nat *o, const char *arg, char *err, size_t errlen);
/* The engine's configuration from @p o, as replay, the dataplane and the lab
 * all build it: the profile's defaults (its kind into @p pr), then each option
 * given, each checked on its own (natgw_nat_conf_check checks them together). */
int opt_nat_conf(struct natgw_nat_conf *c, enum natgw_profile *pr, const struct opt_nat *o,
		char *err, size_t errlen);
/* Parse a number in [lo, hi]. */
int opt_double(double *v, const char *name, const char *arg, double lo, double hi, char *err,
		size_t errlen);
/* Parse an unsigned integer in [lo, hi]. */
int opt_uint(uint64_t *v, const char *name, const char *arg, uint64_t lo, uint64_t hi,
		char *err, size_t errlen);

#endif
