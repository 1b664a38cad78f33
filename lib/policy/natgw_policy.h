/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * An intended egress policy, and what got out against it (docs/policy.md).
 *
 * An AWS NAT gateway forwards every destination: it has no way to restrict
 * where a subnet's traffic goes. The user writes the policy they intended, a
 * JSON file of ordered allow and deny rules over a destination's service,
 * class, learned DNS/TLS name, address, port and protocol; natgw evaluates
 * every session against it and tallies, for three designs, what flows and is
 * wanted, what flows against the policy, what is blocked as it should be and
 * what is blocked though wanted:
 *
 * - "nat": a NAT gateway: every session flows;
 * - "blackhole": the NAT route removed, the only destination control a NAT
 *   gateway offers: no session flows;
 * - "endpoints": no NAT route; gateway endpoints for S3 and DynamoDB and
 *   interface endpoints for the chosen services, each with an endpoint policy
 *   equal to the intended one: a session flows if an endpoint reaches its
 *   destination and the policy allows it.
 *
 * Addresses and ports are in network byte order, as in struct
 * natgw_flow_key; services are lib/dstclass ids. Plain C with jansson and
 * lib/dstclass's service table: no DPDK call, no clock, no global state. A
 * policy is read-only once made: any number of threads may evaluate it.
 */
#ifndef NATGW_POLICY_H
#define NATGW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/** Most rules of one policy. */
#define NATGW_POLICY_MAX_RULES 1024
/** Most items of one rule's "cidr" list, and of its "port" list. */
#define NATGW_POLICY_MAX_LIST 256
/** A rule's label ("name"), its NUL included: 1 to 63 printable characters. */
#define NATGW_POLICY_LABEL_MAX 64
/** A host pattern's bytes, its NUL included: 1 to 253 characters. */
#define NATGW_POLICY_HOST_MAX 254
/** Destinations a tally keeps by name by default (natgw_policy_tally_create()). */
#define NATGW_POLICY_TALLY_DESTS 256
/** Most destinations a tally may be asked to keep. */
#define NATGW_POLICY_TALLY_DESTS_MAX 65536

/** What a rule, or the default, does with a session it decides. */
enum natgw_policy_action {
	NATGW_POLICY_DENY,  /**< "deny" */
	NATGW_POLICY_ALLOW, /**< "allow" */
};

/** A policy, made by natgw_policy_load() or natgw_policy_parse(). */
struct natgw_policy;

/** A session's destination, as a policy sees it. */
struct natgw_policy_dest {
	uint32_t ip;      /**< network order */
	uint16_t port;    /**< network order; ignored for ICMP */
	uint8_t proto;    /**< IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP (others match no
			   *   rule that names a protocol or a port) */
	uint8_t service;  /**< lib/dstclass service id (an unknown id counts as "internet") */
	const char *name; /**< the learned DNS/TLS name, or NULL; any case, a trailing dot
			   *   is fine */
};

/**
 * Read a policy file (JSON, docs/policy.md). Strict: an unknown key, a key
 * given twice, a value of the wrong type, an unknown service or class name, a
 * bad CIDR or port, a rule whose service and class can never match together
 * are errors.
 * @param err gets a one-line reason naming the file, the rule and the key
 *   ("policy.json: rules[3].port: 70000 is not a port (0 to 65535)"), or
 *   "policy.json:3:14: ..." for JSON that does not parse.
 * @return the policy (free with natgw_policy_free()), or NULL.
 */
struct natgw_policy *natgw_policy_load(const char *path, char *err, size_t errlen);

/**
 * The same from a string: @p origin names it in errors and in reports
 * ("--policy", "test"; NULL: "policy").
 */
struct natgw_policy *natgw_policy_parse(const char *json, const char *origin, char *err,
		size_t errlen);

/** Free a policy; NULL is fine. */
void natgw_policy_free(struct natgw_policy *p);

/** @return where the policy came from: the file's path or the parse's origin. */
const char *natgw_policy_origin(const struct natgw_policy *p);

/** @return the number of rules (0 to NATGW_POLICY_MAX_RULES). */
unsigned int natgw_policy_rule_count(const struct natgw_policy *p);

/**
 * @return rule @p idx's label: its "name", else "rule N" (N = idx, the first
 * rule being rule 0); "default" for -1; NULL for an index out of range.
 */
const char *natgw_policy_rule_label(const struct natgw_policy *p, int idx);

/** @return rule @p idx's action; the default's for -1 (DENY out of range). */
enum natgw_policy_action natgw_policy_rule_action(const struct natgw_policy *p, int idx);

/** @return "allow" or "deny". */
const char *natgw_policy_action_name(enum natgw_policy_action a);

/**
 * Evaluate a destination: the rules in order, the first whose every field
 * matches decides. No allocation, no lock; about one comparison a field of
 * each rule tried (a host pattern is an fnmatch()).
 * @return the deciding rule's index, or -1 when none matched (the default).
 */
int natgw_policy_eval(const struct natgw_policy *p, const struct natgw_policy_dest *d);

/** @return whether the policy allows @p d (the action of natgw_policy_eval()'s rule). */
bool natgw_policy_allows(const struct natgw_policy *p, const struct natgw_policy_dest *d);

/**
 * The policy as a policy file's JSON object, normalised: lists as lists,
 * names and patterns in lower case, every label given. natgw_policy_parse()
 * reads it back to the same policy. @return 0, or -1 (no memory).
 */
int natgw_policy_json(const struct natgw_policy *p, json_t **out);

/* ------------------------------------------------------------ the tally */

/** The three designs a tally compares. */
enum natgw_policy_design {
	NATGW_POLICY_NAT,       /**< "nat": every session flows */
	NATGW_POLICY_BLACKHOLE, /**< "blackhole": no NAT route, nothing flows */
	NATGW_POLICY_ENDPOINTS, /**< "endpoints": endpoints only, with the policy */
	NATGW_POLICY_N_DESIGNS
};

/** What happened to a session in a design. */
enum natgw_policy_outcome {
	NATGW_POLICY_FLOW_WANTED, /**< "flow_wanted": flows, the policy allows it */
	NATGW_POLICY_VIOLATION,   /**< "violations": flows, the policy denies it */
	NATGW_POLICY_BLOCKED,     /**< "blocked": blocked, the policy denies it (good) */
	NATGW_POLICY_BROKEN,      /**< "broken": blocked, the policy allows it */
	NATGW_POLICY_N_OUTCOMES
};

/** Sessions and their traffic. */
struct natgw_policy_count {
	uint64_t sessions;
	uint64_t packets;
	uint64_t bytes;
};

/**
 * An accumulator of a run's sessions against one policy. It keeps the
 * counts of each design and outcome, each rule's sessions (what it decided;
 * for a deny rule, the NAT design's violations), and two bounded lists of
 * destinations ranked by bytes, with an "other" bucket each so that their
 * totals stay exact: the NAT design's violations, and the endpoints design's
 * broken sessions. One writer; tallies of several workers add up with
 * natgw_policy_tally_merge().
 */
struct natgw_policy_tally;

/**
 * Make a tally for @p p (which must outlive it).
 * @param max_dests destinations each list keeps (0: NATGW_POLICY_TALLY_DESTS;
 *   at most NATGW_POLICY_TALLY_DESTS_MAX). A full list makes room for a
 *   destination whose session brings more bytes than the smallest kept one
 *   has by moving that one into "other".
 * @return the tally (free with natgw_policy_tally_free()), or NULL (no memory,
 *   @p max_dests too large).
 */
struct natgw_policy_tally *natgw_policy_tally_create(const struct natgw_policy *p,
		unsigned int max_dests);

/** Free a tally; NULL is fine. */
void natgw_policy_tally_free(struct natgw_policy_tally *t);

/**
 * Add one session (flow) of the run: @p pkts and @p bytes are its packets and
 * IP bytes, both directions.
 * @param p the tally's policy
 * @param via_gateway_endpoint in the endpoints design a gateway endpoint
 *   (S3, DynamoDB) reaches @p d
 * @param via_interface_endpoint in the endpoints design one of the chosen
 *   interface endpoints reaches @p d
 */
void natgw_policy_tally_add(struct natgw_policy_tally *t, const struct natgw_policy *p,
		const struct natgw_policy_dest *d, uint64_t pkts, uint64_t bytes,
		bool via_gateway_endpoint, bool via_interface_endpoint);

/**
 * Add @p src (a worker's tally of the same policy) into @p dst; @p src is
 * unchanged. The destination lists merge as if @p src's kept destinations
 * had been added one by one; its "other" adds to @p dst's.
 * @return 0, or -1 if the tallies are of different policies (@p dst unchanged).
 */
int natgw_policy_tally_merge(struct natgw_policy_tally *dst,
		const struct natgw_policy_tally *src);

/** @return the sessions of design @p d with outcome @p o (NULL out of range). */
const struct natgw_policy_count *natgw_policy_tally_count(const struct natgw_policy_tally *t,
		enum natgw_policy_design d, enum natgw_policy_outcome o);

/** @return the sessions rule @p idx decided (-1: the default; NULL out of range). */
const struct natgw_policy_count *natgw_policy_tally_rule(const struct natgw_policy_tally *t,
		int idx);

/** @return "nat", "blackhole", "endpoints", or NULL. */
const char *natgw_policy_design_name(enum natgw_policy_design d);

/** @return "flow_wanted", "violations", "blocked", "broken", or NULL. */
const char *natgw_policy_outcome_name(enum natgw_policy_outcome o);

/**
 * The tally as JSON (report.json's "policy"; docs/policy.md has the
 * structure): the policy, each design's four outcomes, every rule's sessions,
 * the violations by rule, and both destination lists, largest first.
 * @return 0, or -1 (no memory).
 */
int natgw_policy_tally_json(const struct natgw_policy_tally *t, const struct natgw_policy *p,
		json_t **out);

/**
 * A few lines for a person: what the NAT let through against the policy (by
 * rule, and the top destinations), what the blackhole breaks, what the
 * endpoints design breaks (and its top destinations).
 */
void natgw_policy_tally_print(const struct natgw_policy_tally *t, const struct natgw_policy *p,
		FILE *f);

#endif /* NATGW_POLICY_H */
