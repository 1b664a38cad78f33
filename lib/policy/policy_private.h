/* SPDX-License-Identifier: BSD-3-Clause */
/* What the files of lib/policy share; not installed. */
#ifndef POLICY_PRIVATE_H
#define POLICY_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "natgw_dstclass.h"
#include "natgw_policy.h"

_Static_assert(NATGW_DST_N_SERVICES <= 64, "a rule's services are a 64-bit mask");

/* The fields a rule gives (struct policy_rule's fields). */
#define POLICY_F_SERVICE 0x01 /* "service" or "class": services */
#define POLICY_F_HOST    0x02
#define POLICY_F_CIDR    0x04
#define POLICY_F_PORT    0x08
#define POLICY_F_PROTO   0x10

/* Protocols as bits (protos). */
#define POLICY_P_TCP  0x01
#define POLICY_P_UDP  0x02
#define POLICY_P_ICMP 0x04

/* One compiled rule; its lists are slices of the policy's arrays. */
struct policy_rule {
	uint64_t services;       /* ids the rule matches: service ∩ class */
	uint64_t svc_given;      /* "service" as written (for the JSON) */
	uint8_t class_given;     /* "class" as written: a bit per enum natgw_dst_class */
	uint8_t fields;          /* POLICY_F_* */
	uint8_t protos;          /* POLICY_P_* */
	uint8_t action;          /* enum natgw_policy_action */
	bool named;              /* the label is the file's "name" */
	uint16_t n_cidr, n_port, n_host;
	uint32_t cidr, port, host; /* first item in the policy's arrays */
	char label[NATGW_POLICY_LABEL_MAX];
};

struct policy_cidr {
	uint32_t net, mask;      /* host order */
};

struct policy_ports {
	uint16_t lo, hi;         /* host order, inclusive */
};

struct natgw_policy {
	char *origin;
	char *description;       /* NULL: none */
	uint8_t dflt;            /* enum natgw_policy_action */
	unsigned int n_rules;
	struct policy_rule *rules;
	struct policy_cidr *cidrs;
	struct policy_ports *ports;
	char **hosts;            /* lower-case patterns */
	size_t n_cidrs, n_ports, n_hosts;
	size_t cap_cidrs, cap_ports, cap_hosts;
};

/*
 * A destination's name as policies compare it: lower case, without a
 * trailing dot, into @p buf (NATGW_DST_NAME_MAX bytes).
 * @return @p buf, or NULL when @p name is NULL, empty or too long.
 */
const char *policy_norm_name(const char *name, char *buf);

/* Append @p v (stolen) to the array @p a; on failure (either NULL, no memory)
 * free both. @return @p a, or NULL. */
json_t *policy_json_append(json_t *a, json_t *v);

#endif /* POLICY_PRIVATE_H */
