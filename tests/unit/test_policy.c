/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/policy: every kind of rule and every error of the policy file (strings
 * and temporary files), evaluation (first match, AND of fields, CIDR and port
 * edges, host globs and case, destinations without a name, protocols), the
 * three designs on a hand-made run whose totals are worked out by hand, the
 * bounded destination lists (totals exact, the largest kept) and merging.
 * The library calls no DPDK and this suite starts no EAL.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "natgw_build_config.h"
#include "natgw_dstclass.h"
#include "natgw_policy.h"
#include "natgw_test.h"

static char err[512];

/* Parse @p json (origin "test"); on failure the test fails with the error. */
static struct natgw_policy *
parse_ok(const char *json)
{
	struct natgw_policy *p = natgw_policy_parse(json, "test", err, sizeof(err));

	ck_assert_msg(p != NULL, "%s: %s", json, err);
	return p;
}

/* @p json must fail with a one-line error that starts "test" and says @p what. */
static void
parse_bad(const char *json, const char *what)
{
	struct natgw_policy *p = natgw_policy_parse(json, "test", err, sizeof(err));

	ck_assert_msg(p == NULL, "accepted: %s", json);
	ck_assert_msg(strncmp(err, "test", 4) == 0, "\"%s\" does not name the origin", err);
	ck_assert_msg(strstr(err, what) != NULL, "%s: error \"%s\" does not say \"%s\"", json, err,
		what);
	ck_assert_msg(strchr(err, '\n') == NULL, "error \"%s\" is not one line", err);
}

/* A destination: dotted address, port and protocol, service name, name or NULL. */
static struct natgw_policy_dest
dest(const char *ip, uint16_t port, uint8_t proto, const char *service, const char *name)
{
	struct natgw_policy_dest d = {.port = htons(port), .proto = proto, .name = name};
	int id = natgw_dst_service_by_name(service);

	ck_assert_int_eq(inet_pton(AF_INET, ip, &d.ip), 1);
	ck_assert_int_ge(id, 0);
	d.service = (uint8_t)id;
	return d;
}

static int
eval(const struct natgw_policy *p, const char *ip, uint16_t port, uint8_t proto,
		const char *service, const char *name)
{
	struct natgw_policy_dest d = dest(ip, port, proto, service, name);

	return natgw_policy_eval(p, &d);
}

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define ICMP IPPROTO_ICMP

/* Every kind of field, as one value and as a list; labels; actions. */
START_TEST(test_parse_kinds)
{
	struct natgw_policy *p = parse_ok("{\"description\": \"d\", \"default\": \"allow\", "
		"\"rules\": ["
		"{\"name\": \"one service\", \"action\": \"deny\", \"service\": \"ECR.API\"},"
		"{\"action\": \"allow\", \"service\": [\"s3\", \"logs\"]},"
		"{\"action\": \"deny\", \"class\": \"dynamodb\"},"
		"{\"action\": \"allow\", \"class\": [\"aws\", \"s3\"], \"service\": \"sts\"},"
		"{\"action\": \"deny\", \"host\": \"*.Example.COM\"},"
		"{\"action\": \"deny\", \"host\": [\"a.test\", \"b?.test\"]},"
		"{\"action\": \"deny\", \"cidr\": \"192.0.2.7\"},"
		"{\"action\": \"deny\", \"cidr\": [\"198.51.100.0/24\", \"203.0.113.128/25\"]},"
		"{\"action\": \"deny\", \"port\": 25},"
		"{\"action\": \"deny\", \"port\": [\"6000-6010\", \"7000\", 8000]},"
		"{\"action\": \"deny\", \"proto\": \"ICMP\"},"
		"{\"action\": \"deny\", \"proto\": [\"udp\", \"tcp\"], \"port\": 9}"
		"]}");

	ck_assert_uint_eq(natgw_policy_rule_count(p), 12);
	ck_assert_str_eq(natgw_policy_origin(p), "test");
	ck_assert_str_eq(natgw_policy_rule_label(p, 0), "one service");
	ck_assert_str_eq(natgw_policy_rule_label(p, 1), "rule 1");
	ck_assert_str_eq(natgw_policy_rule_label(p, 11), "rule 11");
	ck_assert_str_eq(natgw_policy_rule_label(p, -1), "default");
	ck_assert_ptr_null(natgw_policy_rule_label(p, 12));
	ck_assert_ptr_null(natgw_policy_rule_label(p, -2));
	ck_assert_int_eq(natgw_policy_rule_action(p, 0), NATGW_POLICY_DENY);
	ck_assert_int_eq(natgw_policy_rule_action(p, 1), NATGW_POLICY_ALLOW);
	ck_assert_int_eq(natgw_policy_rule_action(p, -1), NATGW_POLICY_ALLOW);
	ck_assert_str_eq(natgw_policy_action_name(NATGW_POLICY_ALLOW), "allow");

	ck_assert_int_eq(eval(p, "1.1.1.1", 443, TCP, "ecr.api", NULL), 0);
	ck_assert_int_eq(eval(p, "1.1.1.1", 443, TCP, "logs", NULL), 1);
	ck_assert_int_eq(eval(p, "1.1.1.1", 443, TCP, "s3", NULL), 1);
	ck_assert_int_eq(eval(p, "1.1.1.1", 443, TCP, "dynamodb", NULL), 2);
	/* service sts and class aws or s3: sts only */
	ck_assert_int_eq(eval(p, "1.1.1.1", 443, TCP, "sts", NULL), 3);
	ck_assert_int_eq(eval(p, "1.1.1.1", 443, TCP, "kms", NULL), -1);
	ck_assert_int_eq(eval(p, "1.1.1.1", 443, TCP, "internet", "www.example.com"), 4);
	ck_assert_int_eq(eval(p, "1.1.1.1", 443, TCP, "internet", "a.test"), 5);
	ck_assert_int_eq(eval(p, "1.1.1.1", 443, TCP, "internet", "b7.test"), 5);
	ck_assert_int_eq(eval(p, "1.1.1.1", 443, TCP, "internet", "b77.test"), -1);
	ck_assert_int_eq(eval(p, "192.0.2.7", 443, TCP, "internet", NULL), 6);
	ck_assert_int_eq(eval(p, "192.0.2.8", 443, TCP, "internet", NULL), -1);
	ck_assert_int_eq(eval(p, "198.51.100.255", 443, TCP, "internet", NULL), 7);
	ck_assert_int_eq(eval(p, "203.0.113.128", 443, TCP, "internet", NULL), 7);
	ck_assert_int_eq(eval(p, "203.0.113.127", 443, TCP, "internet", NULL), -1);
	ck_assert_int_eq(eval(p, "1.1.1.1", 25, TCP, "internet", NULL), 8);
	ck_assert_int_eq(eval(p, "1.1.1.1", 6005, UDP, "internet", NULL), 9);
	ck_assert_int_eq(eval(p, "1.1.1.1", 7000, TCP, "internet", NULL), 9);
	ck_assert_int_eq(eval(p, "1.1.1.1", 8000, TCP, "internet", NULL), 9);
	ck_assert_int_eq(eval(p, "1.1.1.1", 7001, TCP, "internet", NULL), -1);
	ck_assert_int_eq(eval(p, "1.1.1.1", 0, ICMP, "internet", NULL), 10);
	ck_assert_int_eq(eval(p, "1.1.1.1", 9, UDP, "internet", NULL), 11);
	ck_assert_int_eq(eval(p, "1.1.1.1", 9, TCP, "internet", NULL), 11);
	natgw_policy_free(p);

	/* a rule with only an action matches everything; no rules: the default */
	p = parse_ok("{\"default\": \"deny\", \"rules\": [{\"action\": \"allow\"}]}");
	ck_assert_int_eq(eval(p, "8.8.8.8", 53, UDP, "internet", NULL), 0);
	ck_assert(natgw_policy_allows(p, &(struct natgw_policy_dest){.proto = 47}));
	natgw_policy_free(p);
	p = parse_ok("{\"default\": \"deny\", \"rules\": []}");
	ck_assert_uint_eq(natgw_policy_rule_count(p), 0);
	ck_assert_int_eq(eval(p, "8.8.8.8", 53, UDP, "internet", NULL), -1);
	ck_assert(!natgw_policy_allows(p, &(struct natgw_policy_dest){.proto = TCP}));
	natgw_policy_free(p);
}
END_TEST

/* Rules are tried in order; the first whose every field matches decides. */
START_TEST(test_eval_first_match_and)
{
	struct natgw_policy *p = parse_ok("{\"default\": \"allow\", \"rules\": ["
		"{\"action\": \"allow\", \"host\": \"api.github.com\", \"port\": 443, "
		"\"proto\": \"tcp\", \"cidr\": \"140.82.112.0/20\"},"
		"{\"action\": \"deny\", \"cidr\": \"140.82.112.0/20\"},"
		"{\"action\": \"allow\", \"cidr\": \"140.82.112.0/20\"}"
		"]}");

	/* every field matches: rule 0 */
	ck_assert_int_eq(eval(p, "140.82.112.6", 443, TCP, "internet", "api.github.com"), 0);
	ck_assert(natgw_policy_allows(p, &(struct natgw_policy_dest){.ip = htonl(0x8c527006),
		.port = htons(443), .proto = TCP, .name = "api.github.com"}));
	/* one field off each time: rule 1 decides (deny), rule 2 is never reached */
	ck_assert_int_eq(eval(p, "140.82.112.6", 443, TCP, "internet", "github.com"), 1);
	ck_assert_int_eq(eval(p, "140.82.112.6", 80, TCP, "internet", "api.github.com"), 1);
	ck_assert_int_eq(eval(p, "140.82.112.6", 443, UDP, "internet", "api.github.com"), 1);
	ck_assert_int_eq(eval(p, "140.82.112.6", 443, TCP, "internet", NULL), 1);
	ck_assert(!natgw_policy_allows(p, &(struct natgw_policy_dest){.ip = htonl(0x8c527006),
		.port = htons(443), .proto = TCP}));
	/* outside the CIDR: the default */
	ck_assert_int_eq(eval(p, "140.82.128.0", 443, TCP, "internet", "api.github.com"), -1);
	natgw_policy_free(p);
}
END_TEST

START_TEST(test_eval_cidr_edges)
{
	struct natgw_policy *p = parse_ok("{\"default\": \"deny\", \"rules\": ["
		"{\"action\": \"allow\", \"cidr\": \"140.82.112.0/20\"},"
		"{\"action\": \"allow\", \"cidr\": \"10.1.2.3/32\"},"
		"{\"action\": \"allow\", \"cidr\": \"128.0.0.0/1\"},"
		"{\"action\": \"deny\", \"cidr\": \"0.0.0.0/0\"}"
		"]}");

	ck_assert_int_eq(eval(p, "140.82.112.0", 1, TCP, "internet", NULL), 0);
	ck_assert_int_eq(eval(p, "140.82.127.255", 1, TCP, "internet", NULL), 0);
	ck_assert_int_eq(eval(p, "140.82.128.0", 1, TCP, "internet", NULL), 2);
	ck_assert_int_eq(eval(p, "140.82.111.255", 1, TCP, "internet", NULL), 2);
	ck_assert_int_eq(eval(p, "10.1.2.3", 1, TCP, "internet", NULL), 1);
	ck_assert_int_eq(eval(p, "10.1.2.2", 1, TCP, "internet", NULL), 3);
	ck_assert_int_eq(eval(p, "10.1.2.4", 1, TCP, "internet", NULL), 3);
	ck_assert_int_eq(eval(p, "255.255.255.255", 1, TCP, "internet", NULL), 2);
	ck_assert_int_eq(eval(p, "127.255.255.255", 1, TCP, "internet", NULL), 3);
	ck_assert_int_eq(eval(p, "0.0.0.0", 1, TCP, "internet", NULL), 3);
	natgw_policy_free(p);
}
END_TEST

START_TEST(test_eval_ports)
{
	struct natgw_policy *p = parse_ok("{\"default\": \"allow\", \"rules\": ["
		"{\"action\": \"deny\", \"port\": \"1024-65535\"},"
		"{\"action\": \"deny\", \"port\": [0, \"22\"]},"
		"{\"action\": \"deny\", \"proto\": \"udp\"}"
		"]}");

	ck_assert_int_eq(eval(p, "1.2.3.4", 1023, TCP, "internet", NULL), -1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 1024, TCP, "internet", NULL), 0);
	ck_assert_int_eq(eval(p, "1.2.3.4", 65535, UDP, "internet", NULL), 0);
	ck_assert_int_eq(eval(p, "1.2.3.4", 0, TCP, "internet", NULL), 1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 22, TCP, "internet", NULL), 1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 21, TCP, "internet", NULL), -1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 21, UDP, "internet", NULL), 2);
	/* ICMP has no port: a port rule never matches it, whatever its identifier */
	ck_assert_int_eq(eval(p, "1.2.3.4", 2000, ICMP, "internet", NULL), -1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 0, ICMP, "internet", NULL), -1);
	/* nor another protocol */
	ck_assert_int_eq(eval(p, "1.2.3.4", 2000, 47, "internet", NULL), -1);
	natgw_policy_free(p);
}
END_TEST

/* Host patterns: fnmatch globs, any case, trailing dots; no name, no match. */
START_TEST(test_eval_hosts)
{
	struct natgw_policy *p = parse_ok("{\"default\": \"allow\", \"rules\": ["
		"{\"action\": \"deny\", \"host\": \"*.AmazonAWS.com\"},"
		"{\"action\": \"deny\", \"host\": \"api.github.com\"},"
		"{\"action\": \"deny\", \"host\": \"cdn[0-9].example.net\"},"
		"{\"action\": \"deny\", \"host\": \"*\"}"
		"]}");

	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "s3", "s3.us-east-1.amazonaws.com"), 0);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "s3", "S3.US-EAST-1.AMAZONAWS.COM."), 0);
	/* '*' crosses dots, but the pattern's dot must be there */
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "aws", "a.b.c.amazonaws.com"), 0);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "aws", "amazonaws.com"), 3);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "aws", "xamazonaws.com"), 3);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "internet", "API.GitHub.com"), 1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "internet", "api.github.com."), 1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "internet", "api.github.co"), 3);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "internet", "cdn7.example.net"), 2);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "internet", "cdnx.example.net"), 3);
	/* a destination without a name matches no host rule, "*" included */
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "s3", NULL), -1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "s3", ""), -1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "s3", "."), -1);
	natgw_policy_free(p);
}
END_TEST

/* Service and class; an unknown service id counts as the internet. */
START_TEST(test_eval_services)
{
	struct natgw_policy *p = parse_ok("{\"default\": \"deny\", \"rules\": ["
		"{\"action\": \"allow\", \"class\": \"internet\"},"
		"{\"action\": \"allow\", \"class\": \"aws\", \"proto\": \"tcp\"}"
		"]}");
	struct natgw_policy_dest d = dest("1.2.3.4", 443, TCP, "internet", NULL);

	ck_assert_int_eq(natgw_policy_eval(p, &d), 0);
	d.service = 250;
	ck_assert_int_eq(natgw_policy_eval(p, &d), 0);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "ecr.dkr", NULL), 1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "cloudfront", NULL), 1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, UDP, "ecr.dkr", NULL), -1);
	ck_assert_int_eq(eval(p, "1.2.3.4", 443, TCP, "s3", NULL), -1);
	natgw_policy_free(p);
}
END_TEST

/* natgw_policy_json() reads back to the same policy, normalised. */
START_TEST(test_json_round_trip)
{
	const char *text = "{\"default\": \"allow\", \"description\": \"x\", \"rules\": ["
		"{\"action\": \"deny\", \"service\": [\"ECR.DKR\", \"s3\"], \"class\": \"s3\"},"
		"{\"name\": \"n\", \"action\": \"allow\", \"host\": [\"A.test\", \"*.B\"], "
		"\"cidr\": [\"10.0.0.0/8\", \"1.2.3.4\", \"0.0.0.0/0\"], "
		"\"port\": [443, \"80\", \"1-9\"], \"proto\": [\"udp\", \"tcp\"]}"
		"]}";
	struct natgw_policy *p = parse_ok(text), *q;
	json_t *a, *b, *r1;
	char *s;

	ck_assert_int_eq(natgw_policy_json(p, &a), 0);
	r1 = json_array_get(json_object_get(a, "rules"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(a, "default")), "allow");
	ck_assert_str_eq(json_string_value(json_object_get(a, "description")), "x");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
		json_object_get(a, "rules"), 0), "name")), "rule 0");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r1, "host"), 0)),
		"a.test");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r1, "cidr"), 1)),
		"1.2.3.4/32");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r1, "cidr"), 2)),
		"0.0.0.0/0");
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(r1, "port"), 1)), 80);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r1, "port"), 2)), "1-9");
	s = json_dumps(a, 0);
	ck_assert_ptr_nonnull(s);
	q = parse_ok(s);
	free(s);
	ck_assert_int_eq(natgw_policy_json(q, &b), 0);
	ck_assert_msg(json_equal(a, b), "the policy's JSON does not read back to itself");
	json_decref(a);
	json_decref(b);
	natgw_policy_free(p);
	natgw_policy_free(q);
}
END_TEST

/* A policy of one rule: allow, and @p fields. */
#define RULE(fields) "{\"default\": \"deny\", \"rules\": [{\"action\": \"allow\", " \
	fields "}]}"

/* Every error: one line, naming the origin, the rule and the key. */
START_TEST(test_parse_errors)
{
	static const struct {
		const char *json, *what;
	} bad[] = {
		{"[]", "test: not a JSON object"},
		{"{\"default\": \"deny\", \"rules\": [], \"rule\": 1}",
			"test: unknown key \"rule\""},
		{"{\"rules\": []}", "test: no \"default\""},
		{"{\"default\": \"deny\"}", "test: no \"rules\""},
		{"{\"default\": \"maybe\", \"rules\": []}", "test: default: \"maybe\" is not"},
		{"{\"default\": 1, \"rules\": []}", "test: default: not a string"},
		{"{\"default\": \"deny\", \"rules\": {}}", "test: rules: not a list"},
		{"{\"default\": \"deny\", \"rules\": [], \"description\": 3}",
			"description: not a"},
		{"{\"default\": \"deny\", \"rules\": [3]}", "test: rules[0]: not an object"},
		{"{\"default\": \"deny\", \"rules\": [{}]}", "test: rules[0]: no \"action\""},
		{"{\"default\": \"deny\", \"rules\": [{\"action\": \"allow\"}, "
			"{\"action\": \"allow\", \"ports\": 443}]}",
			"test: rules[1]: unknown key \"ports\""},
		{"{\"default\": \"deny\", \"rules\": [{\"action\": \"permit\"}]}",
			"rules[0].action: \"permit\" is not \"allow\" or \"deny\""},
		{RULE("\"name\": \"\""), "rules[0].name: a name has 1 to 63"},
		{RULE("\"name\": 7"), "rules[0].name: not a string"},
		{RULE("\"name\": \"a\\tb\""), "rules[0].name: a name is printable"},
		{RULE("\"service\": \"s4\""), "rules[0].service: unknown service \"s4\""},
		{RULE("\"service\": [\"s3\", \"nope\"]"),
			"rules[0].service[1]: unknown service \"nope\""},
		{RULE("\"service\": []"), "rules[0].service: an empty list"},
		{RULE("\"service\": 3"), "rules[0].service: not a string"},
		{RULE("\"class\": \"ec2\""), "rules[0].class: unknown class \"ec2\""},
		{RULE("\"class\": \"internet\", \"service\": \"s3\""),
			"rules[0]: no service is both"},
		{RULE("\"proto\": \"sctp\""), "rules[0].proto: unknown protocol \"sctp\""},
		{RULE("\"proto\": \"icmp\", \"port\": 1"),
			"rules[0].port: an ICMP rule has no ports"},
		{RULE("\"host\": \"\""), "rules[0].host: a name pattern has 1 to 253"},
		{RULE("\"host\": \"a b\""), "rules[0].host: \"a b\": a name pattern is printable"},
		{RULE("\"host\": 1"), "rules[0].host: not a string"},
		{RULE("\"cidr\": \"140.82.112.6/20\""),
			"rules[0].cidr: \"140.82.112.6/20\" has bits set past its "
			"prefix (140.82.112.0/20?)"},
		{RULE("\"cidr\": \"1.2.3.0/33\""),
			"rules[0].cidr: \"1.2.3.0/33\" is not an IPv4 CIDR"},
		{RULE("\"cidr\": \"1.2.3/24\""), "is not an IPv4 CIDR"},
		{RULE("\"cidr\": \"1.2.3.0/\""), "is not an IPv4 CIDR"},
		{RULE("\"cidr\": \"1.2.3.0/8x\""), "is not an IPv4 CIDR"},
		{RULE("\"cidr\": \"::/0\""), "is not an IPv4 CIDR"},
		{RULE("\"cidr\": \"1111111111111111111111\""), "is not an IPv4 CIDR"},
		{RULE("\"cidr\": 10"), "rules[0].cidr: not a string"},
		{RULE("\"port\": 70000"), "rules[0].port: 70000 is not a port (0 to 65535)"},
		{RULE("\"port\": -1"), "rules[0].port: -1 is not a port"},
		{RULE("\"port\": [443, \"9-8\"]"),
			"rules[0].port[1]: \"9-8\": the range ends before it starts"},
		{RULE("\"port\": \"1-\""), "rules[0].port: \"1-\" is not a port range"},
		{RULE("\"port\": \"-1\""), "rules[0].port: \"-1\" is not a port"},
		{RULE("\"port\": \"1-65536\""), "is not a port range"},
		{RULE("\"port\": \"https\""), "rules[0].port: \"https\" is not a port"},
		{RULE("\"port\": \"80 \""), "rules[0].port: \"80 \" is not a port"},
		{RULE("\"port\": 4.5"), "rules[0].port: not a port"},
		{RULE("\"action\": \"deny\""), "test:1:"},
		{"{\"default\": \"deny\", \"rules\": [}", "test:1:"},
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_bad(bad[i].json, bad[i].what);
	ck_assert_ptr_null(natgw_policy_parse("{", NULL, err, sizeof(err)));
	ck_assert_msg(strncmp(err, "policy:1:", 9) == 0, "%s", err);
}
END_TEST

/* Append @p n rules (or CIDRs) to a string; @return it (free it). */
static char *
many(const char *head, const char *item, unsigned int n, const char *tail)
{
	size_t len = strlen(head) + n * (strlen(item) + 1) + strlen(tail) + 1;
	char *s = malloc(len);
	unsigned int i;

	ck_assert_ptr_nonnull(s);
	strcpy(s, head);
	for (i = 0; i < n; i++) {
		strcat(s, item);
		if (i + 1 < n)
			strcat(s, ",");
	}
	strcat(s, tail);
	return s;
}

START_TEST(test_parse_limits)
{
	const char *rule = "{\"action\": \"allow\", \"port\": 1}";
	struct natgw_policy *p;
	char *s;

	s = many("{\"default\": \"deny\", \"rules\": [", rule, NATGW_POLICY_MAX_RULES, "]}");
	p = parse_ok(s);
	ck_assert_uint_eq(natgw_policy_rule_count(p), NATGW_POLICY_MAX_RULES);
	ck_assert_int_eq(eval(p, "1.1.1.1", 1, TCP, "internet", NULL), 0);
	ck_assert_int_eq(eval(p, "1.1.1.1", 2, TCP, "internet", NULL), -1);
	natgw_policy_free(p);
	free(s);
	s = many("{\"default\": \"deny\", \"rules\": [", rule, NATGW_POLICY_MAX_RULES + 1, "]}");
	parse_bad(s, "rules: 1025 rules, at most 1024");
	free(s);

	s = many("{\"default\": \"deny\", \"rules\": [{\"action\": \"allow\", \"cidr\": [",
		"\"10.0.0.0/8\"", NATGW_POLICY_MAX_LIST, "]}]}");
	p = parse_ok(s);
	natgw_policy_free(p);
	free(s);
	s = many("{\"default\": \"deny\", \"rules\": [{\"action\": \"allow\", \"cidr\": [",
		"\"10.0.0.0/8\"", NATGW_POLICY_MAX_LIST + 1, "]}]}");
	parse_bad(s, "rules[0].cidr: more than 256 items");
	free(s);
}
END_TEST

START_TEST(test_load_file)
{
	struct natgw_policy *p;
	const char *path;
	char want[128];

	path = natgw_test_temp_file("{\"default\": \"deny\", \"rules\": [{\"action\": \"allow\", "
		"\"service\": \"s3\"}]}");
	p = natgw_policy_load(path, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_str_eq(natgw_policy_origin(p), path);
	ck_assert_int_eq(eval(p, "1.1.1.1", 1, TCP, "s3", NULL), 0);
	natgw_policy_free(p);
	unlink(path);

	/* errors name the file, the rule and the key */
	path = natgw_test_temp_file("{\"default\": \"deny\", \"rules\": [{\"action\": \"allow\"},\n"
		"{\"action\": \"allow\"}, {\"action\": \"deny\"}, {\"action\": \"allow\", "
		"\"port\": 70000}]}");
	ck_assert_ptr_null(natgw_policy_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: rules[3].port: 70000 is not a port (0 to 65535)", path);
	ck_assert_str_eq(err, want);
	unlink(path);

	path = natgw_test_temp_file("{\"default\": \"deny\",\n  \"rules\": [,]}");
	ck_assert_ptr_null(natgw_policy_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:2:", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	unlink(path);

	ck_assert_ptr_null(natgw_policy_load("/nonexistent/policy.json", err, sizeof(err)));
	ck_assert_str_eq(err, "/nonexistent/policy.json: No such file or directory");
}
END_TEST

/* The shipped example: the sample's intended egress. */
START_TEST(test_example_policy)
{
	struct natgw_policy *p = natgw_policy_load(NATGW_BUILDDATA "/policy-example.json", err,
		sizeof(err));

	ck_assert_msg(p != NULL, "%s", err);
	ck_assert_uint_eq(natgw_policy_rule_count(p), 6);
	ck_assert_int_eq(natgw_policy_rule_action(p, -1), NATGW_POLICY_DENY);
	ck_assert_int_eq(eval(p, "52.217.84.12", 443, TCP, "s3",
		"prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com"), 0);
	ck_assert_int_eq(eval(p, "3.218.182.10", 443, TCP, "dynamodb", NULL), 0);
	ck_assert_int_eq(eval(p, "52.46.145.20", 443, TCP, "ecr.api", NULL), 1);
	ck_assert_int_eq(eval(p, "44.213.79.104", 443, TCP, "ecr.dkr", NULL), 1);
	ck_assert_int_eq(eval(p, "52.94.133.131", 443, TCP, "ecs", NULL), 2);
	ck_assert_int_eq(eval(p, "52.94.229.7", 443, TCP, "logs", NULL), 3);
	ck_assert_int_eq(eval(p, "140.82.112.6", 443, TCP, "internet", "api.github.com"), 4);
	ck_assert_str_eq(natgw_policy_rule_label(p, 4), "GitHub API");
	/* public DNS is allowed; the sample's metrics burst is not */
	ck_assert_int_eq(eval(p, "8.8.8.8", 53, UDP, "internet", NULL), 5);
	ck_assert_int_eq(eval(p, "8.8.8.8", 443, TCP, "internet", NULL), -1);
	ck_assert_int_eq(eval(p, "198.51.100.77", 8125, UDP, "internet", "metrics.example.net"),
		-1);
	ck_assert_int_eq(eval(p, "140.82.112.6", 80, TCP, "internet", "api.github.com"), -1);
	natgw_policy_free(p);
}
END_TEST

/* ------------------------------------------------------------ the tally */

/* The designs' run: default deny, and five rules. */
static const char *run_policy = "{\"default\": \"deny\", \"rules\": ["
	"{\"name\": \"no exfil bucket\", \"action\": \"deny\", \"host\": \"exfil.s3.*\"},"
	"{\"name\": \"storage\", \"action\": \"allow\", \"class\": [\"s3\", \"dynamodb\"]},"
	"{\"action\": \"allow\", \"service\": \"ecr.api\"},"
	"{\"action\": \"allow\", \"service\": \"logs\"},"
	"{\"name\": \"github\", \"action\": \"allow\", \"host\": \"api.github.com\", "
	"\"proto\": \"tcp\", \"port\": 443}"
	"]}";

/* One session of the run. */
struct sess {
	const char *ip;
	uint16_t port;
	uint8_t proto;
	const char *service, *name;
	uint64_t pkts, bytes;
	bool gw, iface;
};

/*
 * The run, with what each session is in each design (policy decision; nat,
 * blackhole, endpoints):
 *  s3 layer      allow (storage)      flows wanted; broken; flows (gateway ep)
 *  dynamodb      allow (storage)      flows wanted; broken; flows (gateway ep)
 *  ecr.api       allow (rule 2)       flows wanted; broken; flows (interface ep)
 *  api.github    allow (github)       flows wanted; broken; broken (no endpoint)
 *  metrics       deny (default)       violation;    blocked; blocked
 *  logs          allow (rule 3)       flows wanted; broken; broken (logs not chosen)
 *  exfil bucket  deny (no exfil)      violation;    blocked; blocked (endpoint policy)
 */
static const struct sess run[] = {
	{"52.217.84.12", 443, TCP, "s3", "layers.s3.us-east-1.amazonaws.com", 100, 100000,
		true, false},
	{"3.218.182.10", 443, TCP, "dynamodb", "dynamodb.us-east-1.amazonaws.com", 20, 5000,
		true, false},
	{"52.46.145.20", 443, TCP, "ecr.api", "api.ecr.us-east-1.amazonaws.com", 10, 3000,
		false, true},
	{"140.82.112.6", 443, TCP, "internet", "api.github.com", 30, 25000, false, false},
	{"198.51.100.77", 8125, UDP, "internet", "metrics.example.net", 1500, 2100000,
		false, false},
	{"52.94.229.7", 443, TCP, "logs", "logs.us-east-1.amazonaws.com", 50, 40000,
		false, false},
	{"52.217.1.2", 443, TCP, "s3", "exfil.s3.us-east-1.amazonaws.com", 40, 50000,
		true, false},
};
#define N_RUN (sizeof(run) / sizeof(run[0]))

static void
add_sess(struct natgw_policy_tally *t, const struct natgw_policy *p, const struct sess *s)
{
	struct natgw_policy_dest d = dest(s->ip, s->port, s->proto, s->service, s->name);

	natgw_policy_tally_add(t, p, &d, s->pkts, s->bytes, s->gw, s->iface);
}

static void
ck_count(const struct natgw_policy_tally *t, enum natgw_policy_design d,
		enum natgw_policy_outcome o, uint64_t sessions, uint64_t pkts, uint64_t bytes)
{
	const struct natgw_policy_count *c = natgw_policy_tally_count(t, d, o);

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(c->sessions == sessions && c->packets == pkts && c->bytes == bytes,
		"%s %s: %lu sessions %lu packets %lu bytes, expected %lu %lu %lu",
		natgw_policy_design_name(d), natgw_policy_outcome_name(o),
		(unsigned long)c->sessions, (unsigned long)c->packets, (unsigned long)c->bytes,
		(unsigned long)sessions, (unsigned long)pkts, (unsigned long)bytes);
}

static void
ck_rule(const struct natgw_policy_tally *t, int idx, uint64_t sessions, uint64_t bytes)
{
	const struct natgw_policy_count *c = natgw_policy_tally_rule(t, idx);

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(c->sessions == sessions && c->bytes == bytes,
		"rule %d: %lu sessions %lu bytes, expected %lu %lu", idx,
		(unsigned long)c->sessions, (unsigned long)c->bytes, (unsigned long)sessions,
		(unsigned long)bytes);
}

/*
 * By hand: wanted = s3 + dynamodb + ecr.api + github + logs = 5 sessions,
 * 100+20+10+30+50 = 210 packets, 100000+5000+3000+25000+40000 = 173000 bytes;
 * denied = metrics + exfil = 2 sessions, 1540 packets, 2150000 bytes.
 * Endpoints: s3 + dynamodb + ecr.api flow (3, 130, 108000); github + logs are
 * broken (2, 80, 65000); the denied two are blocked.
 */
static void
ck_run_totals(const struct natgw_policy_tally *t)
{
	ck_count(t, NATGW_POLICY_NAT, NATGW_POLICY_FLOW_WANTED, 5, 210, 173000);
	ck_count(t, NATGW_POLICY_NAT, NATGW_POLICY_VIOLATION, 2, 1540, 2150000);
	ck_count(t, NATGW_POLICY_NAT, NATGW_POLICY_BLOCKED, 0, 0, 0);
	ck_count(t, NATGW_POLICY_NAT, NATGW_POLICY_BROKEN, 0, 0, 0);
	ck_count(t, NATGW_POLICY_BLACKHOLE, NATGW_POLICY_FLOW_WANTED, 0, 0, 0);
	ck_count(t, NATGW_POLICY_BLACKHOLE, NATGW_POLICY_VIOLATION, 0, 0, 0);
	ck_count(t, NATGW_POLICY_BLACKHOLE, NATGW_POLICY_BLOCKED, 2, 1540, 2150000);
	ck_count(t, NATGW_POLICY_BLACKHOLE, NATGW_POLICY_BROKEN, 5, 210, 173000);
	ck_count(t, NATGW_POLICY_ENDPOINTS, NATGW_POLICY_FLOW_WANTED, 3, 130, 108000);
	ck_count(t, NATGW_POLICY_ENDPOINTS, NATGW_POLICY_VIOLATION, 0, 0, 0);
	ck_count(t, NATGW_POLICY_ENDPOINTS, NATGW_POLICY_BLOCKED, 2, 1540, 2150000);
	ck_count(t, NATGW_POLICY_ENDPOINTS, NATGW_POLICY_BROKEN, 2, 80, 65000);
	ck_rule(t, 0, 1, 50000);
	ck_rule(t, 1, 2, 105000);
	ck_rule(t, 2, 1, 3000);
	ck_rule(t, 3, 1, 40000);
	ck_rule(t, 4, 1, 25000);
	ck_rule(t, -1, 1, 2100000);
}

/* The value at a dotted path: "designs.nat.violations.bytes", "rules.1.label". */
static json_t *
get(json_t *o, const char *path)
{
	char key[64];
	size_t len;

	for (;;) {
		len = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int)len, path);
		o = json_is_array(o) ? json_array_get(o, strtoul(key, NULL, 10)) :
			json_object_get(o, key);
		ck_assert_msg(o != NULL, "no %s", key);
		if (path[len] == '\0')
			return o;
		path += len + 1;
	}
}

#define ck_jint(o, path, v) ck_assert_int_eq(json_integer_value(get(o, path)), v)
#define ck_jstr(o, path, v) ck_assert_str_eq(json_string_value(get(o, path)), v)

START_TEST(test_designs)
{
	struct natgw_policy *p = parse_ok(run_policy);
	struct natgw_policy_tally *t = natgw_policy_tally_create(p, 0);
	json_t *j, *back;
	unsigned int i;
	char *s;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < N_RUN; i++)
		add_sess(t, p, &run[i]);
	ck_run_totals(t);
	ck_assert_ptr_null(natgw_policy_tally_count(t, NATGW_POLICY_N_DESIGNS, 0));
	ck_assert_ptr_null(natgw_policy_tally_count(t, 0, NATGW_POLICY_N_OUTCOMES));
	ck_assert_ptr_null(natgw_policy_tally_rule(t, 5));
	ck_assert_ptr_null(natgw_policy_tally_rule(t, -2));

	ck_assert_int_eq(natgw_policy_tally_json(t, p, &j), 0);
	/* the JSON is JSON, and says what the counters say */
	s = json_dumps(j, 0);
	back = json_loads(s, 0, NULL);
	free(s);
	ck_assert(json_equal(j, back));
	json_decref(back);
	ck_jstr(j, "default", "deny");
	ck_jstr(j, "policy.origin", "test");
	ck_jstr(j, "policy.rules.0.host", "exfil.s3.*");
	ck_jint(j, "designs.nat.flow_wanted.sessions", 5);
	ck_jint(j, "designs.nat.violations.bytes", 2150000);
	ck_jint(j, "designs.blackhole.broken.packets", 210);
	ck_jint(j, "designs.endpoints.flow_wanted.bytes", 108000);
	ck_jint(j, "designs.endpoints.broken.sessions", 2);
	ck_jint(j, "designs.endpoints.violations.sessions", 0);
	ck_assert_uint_eq(json_array_size(get(j, "rules")), 6);
	ck_jstr(j, "rules.1.label", "storage");
	ck_jint(j, "rules.1.bytes", 105000);
	ck_jint(j, "rules.5.index", -1);
	ck_jstr(j, "rules.5.action", "deny");
	/* violations by rule: the deny rules that decided, most bytes first */
	ck_assert_uint_eq(json_array_size(get(j, "violations_by_rule")), 2);
	ck_jstr(j, "violations_by_rule.0.label", "default");
	ck_jint(j, "violations_by_rule.0.bytes", 2100000);
	ck_jstr(j, "violations_by_rule.1.label", "no exfil bucket");
	ck_jint(j, "violations_by_rule.1.index", 0);
	/* by destination */
	ck_jint(j, "violations_by_destination.max", NATGW_POLICY_TALLY_DESTS);
	ck_assert_uint_eq(json_array_size(get(j, "violations_by_destination.destinations")), 2);
	ck_jstr(j, "violations_by_destination.destinations.0.destination", "metrics.example.net");
	ck_jstr(j, "violations_by_destination.destinations.0.ip", "198.51.100.77");
	ck_jstr(j, "violations_by_destination.destinations.0.service", "internet");
	ck_jint(j, "violations_by_destination.destinations.0.packets", 1500);
	ck_jstr(j, "violations_by_destination.destinations.1.destination",
		"exfil.s3.us-east-1.amazonaws.com");
	ck_jstr(j, "violations_by_destination.destinations.1.class", "s3");
	ck_jint(j, "violations_by_destination.other.sessions", 0);
	ck_jint(j, "violations_by_destination.other.destinations", 0);
	ck_jstr(j, "broken_by_destination.destinations.0.destination",
		"logs.us-east-1.amazonaws.com");
	ck_jstr(j, "broken_by_destination.destinations.1.destination", "api.github.com");
	ck_jint(j, "broken_by_destination.destinations.1.bytes", 25000);
	json_decref(j);

	natgw_policy_tally_free(t);
	natgw_policy_free(p);
}
END_TEST

/* Workers' tallies add up to one fed everything; different policies do not merge. */
START_TEST(test_merge)
{
	struct natgw_policy *p = parse_ok(run_policy), *q = parse_ok(run_policy);
	struct natgw_policy_tally *all = natgw_policy_tally_create(p, 0);
	struct natgw_policy_tally *w[2] = {natgw_policy_tally_create(p, 0),
		natgw_policy_tally_create(p, 0)};
	struct natgw_policy_tally *other = natgw_policy_tally_create(q, 0);
	json_t *a, *b;
	unsigned int i;

	for (i = 0; i < N_RUN; i++) {
		add_sess(all, p, &run[i]);
		add_sess(w[i % 2], p, &run[i]);
		add_sess(w[0], p, &run[4]); /* the metrics destination on both */
		add_sess(all, p, &run[4]);
	}
	add_sess(w[1], p, &run[4]);
	add_sess(all, p, &run[4]);
	ck_assert_int_eq(natgw_policy_tally_merge(w[0], w[1]), 0);
	ck_assert_int_eq(natgw_policy_tally_json(all, p, &a), 0);
	ck_assert_int_eq(natgw_policy_tally_json(w[0], p, &b), 0);
	ck_assert_msg(json_equal(a, b), "merged tallies differ from one tally");
	ck_jint(a, "violations_by_destination.destinations.0.sessions", 1 + N_RUN + 1);
	json_decref(a);
	json_decref(b);
	ck_assert_int_eq(natgw_policy_tally_merge(w[0], other), -1);
	natgw_policy_tally_free(all);
	natgw_policy_tally_free(w[0]);
	natgw_policy_tally_free(w[1]);
	natgw_policy_tally_free(other);
	natgw_policy_free(p);
	natgw_policy_free(q);
}
END_TEST

/* Sum a list's destinations and its other bucket. */
static void
list_sum(json_t *list, struct natgw_policy_count *c)
{
	json_t *e;
	size_t i;

	c->sessions = json_integer_value(get(list, "other.sessions"));
	c->packets = json_integer_value(get(list, "other.packets"));
	c->bytes = json_integer_value(get(list, "other.bytes"));
	json_array_foreach(get(list, "destinations"), i, e) {
		c->sessions += json_integer_value(get(e, "sessions"));
		c->packets += json_integer_value(get(e, "packets"));
		c->bytes += json_integer_value(get(e, "bytes"));
	}
}

/* A list of 4 with 40 destinations: the largest kept, the totals exact. */
START_TEST(test_bounded_destinations)
{
	struct natgw_policy *p = parse_ok("{\"default\": \"deny\", \"rules\": ["
		"{\"action\": \"allow\", \"class\": \"s3\"}]}");
	struct natgw_policy_tally *t = natgw_policy_tally_create(p, 4);
	struct natgw_policy_count sum;
	struct natgw_policy_dest d;
	char name[32], ip[16];
	unsigned int i, k;
	json_t *j;

	ck_assert_ptr_null(natgw_policy_tally_create(p, NATGW_POLICY_TALLY_DESTS_MAX + 1));
	ck_assert_ptr_nonnull(t);
	/* 20 named destinations with 1000 × a scrambled rank bytes, 20 unnamed with
	 * the same and service aws; destination 17 twice (named). */
	for (i = 0; i < 20; i++) {
		k = (i * 7) % 20 + 1;
		snprintf(name, sizeof(name), "Host%u.example.", k);
		d = dest("192.0.2.1", 443, TCP, "internet", name);
		natgw_policy_tally_add(t, p, &d, k, 1000 * k, false, false);
		snprintf(ip, sizeof(ip), "10.0.0.%u", k);
		d = dest(ip, 443, TCP, "aws", NULL);
		natgw_policy_tally_add(t, p, &d, k, 1000 * k + 1, false, false);
	}
	d = dest("192.0.2.2", 443, TCP, "internet", "host17.example");
	natgw_policy_tally_add(t, p, &d, 1, 500, false, false);
	/* a destination with the same name but another service is another one */
	d = dest("192.0.2.2", 443, TCP, "ecr.dkr", "host20.example");
	natgw_policy_tally_add(t, p, &d, 1, 1, false, false);

	ck_assert_int_eq(natgw_policy_tally_json(t, p, &j), 0);
	list_sum(get(j, "violations_by_destination"), &sum);
	ck_assert_uint_eq(sum.sessions, 42);
	ck_assert_uint_eq(sum.packets, 2 * 210 + 2);
	ck_assert_uint_eq(sum.bytes, 2 * 210000 + 20 + 501);
	ck_assert_uint_eq(sum.bytes, natgw_policy_tally_count(t, NATGW_POLICY_NAT,
		NATGW_POLICY_VIOLATION)->bytes);
	ck_assert_uint_eq(json_array_size(get(j, "violations_by_destination.destinations")), 4);
	ck_jstr(j, "violations_by_destination.destinations.0.destination", "10.0.0.20");
	ck_jstr(j, "violations_by_destination.destinations.0.service", "aws");
	ck_assert(!json_is_true(get(j, "violations_by_destination.destinations.0.named")));
	ck_jstr(j, "violations_by_destination.destinations.1.destination", "host20.example");
	ck_jint(j, "violations_by_destination.destinations.1.bytes", 20000);
	ck_jstr(j, "violations_by_destination.destinations.2.destination", "10.0.0.19");
	ck_jstr(j, "violations_by_destination.destinations.3.destination", "host19.example");
	ck_jint(j, "violations_by_destination.other.sessions", 38);
	ck_assert_int_gt(json_integer_value(get(j, "violations_by_destination.other.destinations")),
		0);
	/* nothing was broken in the endpoints design: the denied are blocked */
	ck_assert_uint_eq(json_array_size(get(j, "broken_by_destination.destinations")), 0);
	json_decref(j);
	natgw_policy_tally_free(t);
	natgw_policy_free(p);
}
END_TEST

START_TEST(test_print)
{
	struct natgw_policy *p = parse_ok(run_policy);
	struct natgw_policy_tally *t = natgw_policy_tally_create(p, 0);
	char *buf = NULL;
	size_t len = 0;
	unsigned int i;
	FILE *f;

	for (i = 0; i < N_RUN; i++)
		add_sess(t, p, &run[i]);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	natgw_policy_tally_print(t, p, f);
	fclose(f);
	if (getenv("NATGW_TEST_SHOW") != NULL)
		fputs(buf, stdout);
	ck_assert_msg(strstr(buf, "Egress policy test: 5 rules, default deny\n") != NULL, "%s",
		buf);
	ck_assert_msg(strstr(buf, "5 sessions (173.0 kB) wanted, 2 sessions (2.1 MB) against the "
		"policy") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "denied by default: 1 session (2.1 MB)") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "denied by no exfil bucket: 1 session (50.0 kB)") != NULL, "%s",
		buf);
	ck_assert_msg(strstr(buf, "metrics.example.net") < strstr(buf, "exfil.s3.us-east-1"),
		"%s", buf);
	ck_assert_msg(strstr(buf, "blackhole") != NULL && strstr(buf, "(173.0 kB) wanted and "
		"broken") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "3 sessions (108.0 kB) flow, 2 sessions (65.0 kB) wanted "
		"but broken, 2 sessions (2.1 MB) blocked") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "api.github.com") != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "(the others)") == NULL, "%s", buf);
	free(buf);
	natgw_policy_tally_free(t);
	natgw_policy_free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("file");

	tcase_add_test(tc, test_parse_kinds);
	tcase_add_test(tc, test_json_round_trip);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_example_policy);
	suite_add_tcase(s, tc);
	tc = tcase_create("eval");
	tcase_add_test(tc, test_eval_first_match_and);
	tcase_add_test(tc, test_eval_cidr_edges);
	tcase_add_test(tc, test_eval_ports);
	tcase_add_test(tc, test_eval_hosts);
	tcase_add_test(tc, test_eval_services);
	suite_add_tcase(s, tc);
	tc = tcase_create("tally");
	tcase_add_test(tc, test_designs);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_bounded_destinations);
	tcase_add_test(tc, test_print);
	suite_add_tcase(s, tc);
	return natgw_test_run(s);
}
