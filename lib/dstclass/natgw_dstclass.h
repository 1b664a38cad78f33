/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Destination classes: where a destination address's bytes go (S3, DynamoDB,
 * another AWS service, the internet) and, for an AWS service, which one, so
 * that a user can see what a VPC endpoint would take off the NAT gateway.
 *
 * Three sources, the first that knows wins:
 *  - a name learned from the traffic itself, per address: the A records of DNS
 *    responses (natgw_dst_learn_dns()) and the server name of TLS ClientHellos
 *    (natgw_dst_learn_sni()), mapped to a service by natgw_dst_name_service();
 *  - AWS's published address ranges (ip-ranges.json, IPv4), loaded once into a
 *    longest-prefix-match table shared read-only by every instance
 *    (natgw_dst_ranges_load());
 *  - otherwise the internet (service 0).
 * A learned name that says only "internet" or "another AWS address" gives way
 * to a prefix that says more (S3, DynamoDB, CloudFront, EC2): see
 * natgw_dst_classify().
 *
 * Service ids are small integers, stable within a build; reports use the
 * names, which are stable across versions. Addresses are in network byte
 * order everywhere, as in struct natgw_flow_key. Nothing here reads a clock.
 */
#ifndef NATGW_DSTCLASS_H
#define NATGW_DSTCLASS_H

#include <stddef.h>
#include <stdint.h>

/** A learned name's bytes with its NUL: a DNS name has 253 at most. */
#define NATGW_DST_NAME_MAX 254
/** A region's bytes with its NUL ("us-gov-west-1", "GLOBAL"). */
#define NATGW_DST_REGION_MAX 32
/** Most distinct regions one ip-ranges file may name (index 0 is "unknown"). */
#define NATGW_DST_MAX_REGIONS 255

/**
 * The services, by id. Names (natgw_dst_service_name()) in quotes; the VPC
 * endpoint each can use is in the table in service.c and
 * docs/accounting.md.
 */
enum natgw_dst_service_id {
	NATGW_DST_INTERNET = 0,      /**< "internet": not AWS, or not known */
	NATGW_DST_S3,                /**< "s3" (gateway endpoint) */
	NATGW_DST_DYNAMODB,          /**< "dynamodb" (gateway endpoint) */
	NATGW_DST_ECR_API,           /**< "ecr.api" */
	NATGW_DST_ECR_DKR,           /**< "ecr.dkr" */
	NATGW_DST_ECS,               /**< "ecs" */
	NATGW_DST_ECS_AGENT,         /**< "ecs-agent" */
	NATGW_DST_ECS_TELEMETRY,     /**< "ecs-telemetry" */
	NATGW_DST_LOGS,              /**< "logs" (CloudWatch Logs) */
	NATGW_DST_SECRETSMANAGER,    /**< "secretsmanager" */
	NATGW_DST_STS,               /**< "sts" */
	NATGW_DST_SSM,               /**< "ssm" */
	NATGW_DST_SSMMESSAGES,       /**< "ssmmessages" */
	NATGW_DST_EC2MESSAGES,       /**< "ec2messages" */
	NATGW_DST_KMS,               /**< "kms" */
	NATGW_DST_MONITORING,        /**< "monitoring" (CloudWatch metrics) */
	NATGW_DST_SQS,               /**< "sqs" */
	NATGW_DST_SNS,               /**< "sns" */
	NATGW_DST_EC2_API,           /**< "ec2-api": the EC2 API (endpoint "ec2") */
	NATGW_DST_LAMBDA,            /**< "lambda" */
	NATGW_DST_EVENTS,            /**< "events" (EventBridge) */
	NATGW_DST_XRAY,              /**< "xray" */
	NATGW_DST_KINESIS_STREAMS,   /**< "kinesis-streams" */
	NATGW_DST_KINESIS_FIREHOSE,  /**< "kinesis-firehose" */
	NATGW_DST_STATES,            /**< "states" (Step Functions) */
	NATGW_DST_ELB,               /**< "elasticloadbalancing" (the ELB API) */
	NATGW_DST_AUTOSCALING,       /**< "autoscaling" */
	NATGW_DST_EXECUTE_API,       /**< "execute-api" (API Gateway) */
	NATGW_DST_ECR_PUBLIC,        /**< "ecr-public" (public.ecr.aws; no endpoint) */
	NATGW_DST_EC2,               /**< "ec2": EC2 public addresses, no endpoint */
	NATGW_DST_CLOUDFRONT,        /**< "cloudfront" */
	NATGW_DST_AWS,               /**< "aws": any other AWS address or service */
	NATGW_DST_N_SERVICES
};

/** What a service is, for accounting. */
enum natgw_dst_class {
	NATGW_DST_CLASS_INTERNET, /**< "internet" */
	NATGW_DST_CLASS_S3,       /**< "s3" */
	NATGW_DST_CLASS_DYNAMODB, /**< "dynamodb" */
	NATGW_DST_CLASS_AWS,      /**< "aws": any other AWS service or address */
	NATGW_DST_CLASS_MAX
};

/** The kind of VPC endpoint that can carry a service's traffic. */
enum natgw_dst_endpoint {
	NATGW_DST_EP_NONE,      /**< none: the NAT gateway or nothing */
	NATGW_DST_EP_GATEWAY,   /**< a gateway endpoint (free) */
	NATGW_DST_EP_INTERFACE, /**< an interface endpoint (PrivateLink) */
};

/** What decided a classification. */
enum natgw_dst_source {
	NATGW_DST_SRC_NONE,     /**< "none": nothing knew the address */
	NATGW_DST_SRC_DNS,      /**< "dns": a name from a DNS response */
	NATGW_DST_SRC_SNI,      /**< "sni": a name from a TLS ClientHello */
	NATGW_DST_SRC_IPRANGES, /**< "ip-ranges": AWS's published prefixes */
	NATGW_DST_SRC_MAX
};

/* ---------------------------------------------------------- the service table */

/** @return the number of services (ids are 0 .. this - 1). */
unsigned int natgw_dst_n_services(void);

/** @return the service's report name ("s3", "ecr.api"), or NULL for an unknown id. */
const char *natgw_dst_service_name(unsigned int id);

/** @return the service's class (NATGW_DST_CLASS_INTERNET for an unknown id). */
enum natgw_dst_class natgw_dst_service_class(unsigned int id);

/** @return the kind of VPC endpoint the service can use (NONE for an unknown id). */
enum natgw_dst_endpoint natgw_dst_service_endpoint(unsigned int id);

/**
 * @return the endpoint's service name as AWS spells it after
 * `com.amazonaws.<region>.` ("ecr.api" for ecr.api, "ec2" for ec2-api, "s3"
 * for the S3 gateway endpoint), or NULL where there is no endpoint.
 */
const char *natgw_dst_service_endpoint_name(unsigned int id);

/**
 * The id of a report name, case-insensitively: for configuration lists such
 * as "ecr.api,ecr.dkr,logs". @return the id, or -1 for a name not in the table.
 */
int natgw_dst_service_by_name(const char *name);

/** @return the class's name ("internet", "s3", "dynamodb", "aws"), or NULL. */
const char *natgw_dst_class_name(enum natgw_dst_class c);

/** @return the source's name ("none", "dns", "sni", "ip-ranges"), or NULL. */
const char *natgw_dst_source_name(enum natgw_dst_source s);

/**
 * The service a DNS name belongs to: a pure function of the name.
 * Case-insensitive; a trailing dot is fine. Names under amazonaws.com,
 * amazonaws.com.cn, api.aws and on.aws that name no service in the table are
 * NATGW_DST_AWS, *.cloudfront.net is NATGW_DST_CLOUDFRONT, anything else
 * (or anything that is not a host name) NATGW_DST_INTERNET.
 * @param region_out if not NULL, gets the name's AWS region in lower case
 *   ("us-east-1"), or "" when the name has none; cut to @p region_len.
 * @return the service id.
 */
int natgw_dst_name_service(const char *dns_name, char *region_out, size_t region_len);

/* ------------------------------------------------------ AWS's address ranges */

struct natgw_dst_ranges;

/**
 * Load AWS's ip-ranges.json: every IPv4 prefix ("prefixes"; "ipv6_prefixes"
 * is skipped) into a longest-prefix-match table (DPDK rte_lpm), with its
 * service and region. A prefix listed under several services takes the most
 * specific: S3 and DYNAMODB, then CLOUDFRONT, then any other named service,
 * then EC2, then AMAZON. S3, DYNAMODB, EC2 and CLOUDFRONT map to their
 * services, every other name to NATGW_DST_AWS. Every region is kept.
 * The table takes about 64 MiB of DPDK memory (rte_lpm's 2^24-entry first
 * level) and needs the EAL. It is read-only once loaded: any number of
 * instances and cores may share it.
 * @param err gets a one-line reason on failure, naming @p path and, for a bad
 *   entry, where it is ("FILE: prefixes[12].ip_prefix: not an IPv4 prefix:
 *   1.2.3/33"). A malformed entry fails the load; none is skipped.
 * @return the table, or NULL.
 */
struct natgw_dst_ranges *natgw_dst_ranges_load(const char *path, char *err, size_t errlen);

/** Free a table; NULL is fine. */
void natgw_dst_ranges_free(struct natgw_dst_ranges *r);

/**
 * Look an address (network order) up in the prefixes.
 * @param region if not NULL, gets the prefix's region index (0 on a miss).
 * @return the service id, NATGW_DST_INTERNET on a miss (or @p r NULL).
 */
unsigned int natgw_dst_ranges_lookup(const struct natgw_dst_ranges *r, uint32_t ip,
		uint8_t *region);

/** @return the number of distinct IPv4 prefixes loaded (0 for NULL). */
uint32_t natgw_dst_ranges_count(const struct natgw_dst_ranges *r);

/** @return the file's createDate ("2026-08-22-15-17-05"), or "" if it has none
 * (or @p r is NULL). */
const char *natgw_dst_ranges_date(const struct natgw_dst_ranges *r);

/**
 * @return the name of region index @p idx ("us-east-1", "GLOBAL"), or "" for
 * 0, an index the table does not have, or @p r NULL.
 */
const char *natgw_dst_region_name(const struct natgw_dst_ranges *r, unsigned int idx);

/**
 * @return the index of region @p name (as the file spells it; compared
 * case-insensitively), or 0 when the file names no such region: for comparing
 * lookups against a configured region by number.
 */
unsigned int natgw_dst_region_index(const struct natgw_dst_ranges *r, const char *name);

/**
 * @return the ip-ranges.json natgw ships: the installed copy if it exists,
 * else the build tree's.
 */
const char *natgw_dst_default_ipranges_path(void);

/* ----------------------------------------------- names learned from traffic */

struct natgw_dst;

/** A classification. */
struct natgw_dst_result {
	uint8_t service;     /**< service id (NATGW_DST_INTERNET: not known) */
	uint8_t source;      /**< enum natgw_dst_source: what decided @p service */
	uint8_t region;      /**< region index (natgw_dst_region_name()), 0: not known */
	uint8_t name_source; /**< NATGW_DST_SRC_DNS or _SNI with a name, else _NONE */
	/** The name learned for the address (lower case, no trailing dot), or
	 * NULL. It points into the instance: valid until its next learn call. */
	const char *name;
};

/** Counters of one instance; written only by its owner. */
struct natgw_dst_stats {
	uint64_t learned;       /**< addresses learned: new, or a new name for one held */
	uint64_t evicted;       /**< held addresses dropped to make room (CLOCK) */
	uint64_t dns_malformed; /**< DNS messages natgw_dst_learn_dns() refused */
	uint64_t sni_malformed; /**< ClientHellos natgw_dst_learn_sni() refused */
	uint64_t lookups[NATGW_DST_SRC_MAX]; /**< classifications, by their source */
};

/**
 * Make an instance: a table of up to @p max_names learned addresses, each
 * with its name in a fixed slot of NATGW_DST_NAME_MAX bytes (so about 264
 * bytes an address, plus the rte_hash index), on NUMA socket @p socket_id
 * (SOCKET_ID_ANY for any). When the table is full, learning a new address
 * evicts one by CLOCK (second chance): an address looked up or learned since
 * the hand last passed it is kept, the first other one goes.
 * One core owns an instance: no locks.
 * @param name unique among instances (names the DPDK memory and hash)
 * @param ranges the shared prefixes, or NULL for names only; it must outlive
 *   the instance
 * @return the instance, or NULL (max_names 0 or above 2^24, no memory, the
 *   name taken).
 */
struct natgw_dst *natgw_dst_create(const char *name, uint32_t max_names, int socket_id,
		const struct natgw_dst_ranges *ranges);

/** Free an instance (not its ranges); NULL is fine. */
void natgw_dst_free(struct natgw_dst *d);

/**
 * Learn from a DNS response, the payload of a UDP datagram from port 53.
 * The header must say a standard query's response; the first question's name
 * (class IN) starts a chain that its CNAME answers extend (compression
 * followed, pointers only backwards, every offset checked); each A answer to
 * a name of the chain teaches its address the question's name, with the
 * most specific service of the chain's names (so bucket.example.com CNAME
 * bucket.s3.amazonaws.com is S3). AAAA and other records are skipped, as are
 * answers past the first 256 A or CNAME records and chains longer than 8.
 * A query, an error response or one without a question teaches nothing.
 * @return addresses learned; -1 for a malformed message (counted).
 */
int natgw_dst_learn_dns(struct natgw_dst *d, const uint8_t *dns, size_t len);

/**
 * Learn from the first payload of a TCP connection: a TLS record holding a
 * ClientHello teaches @p dst_ip (network order) the name of its server_name
 * extension. Only these bytes are seen: a ClientHello cut short teaches only
 * if its whole server_name extension is in them.
 * @return 1 if an address was learned; 0 if nothing was to be learned (not a
 * TLS handshake, not a ClientHello, no server name, cut before it); -1 for a
 * malformed ClientHello (counted).
 */
int natgw_dst_learn_sni(struct natgw_dst *d, uint32_t dst_ip, const uint8_t *tcp_payload,
		size_t len);

/**
 * Classify a destination (network order). A learned name decides, unless it
 * says only NATGW_DST_INTERNET or NATGW_DST_AWS and the prefixes say more:
 * then the prefix's service (source ip-ranges), and the name is still given.
 * Without a name, the prefix; else the internet. The region is the name's
 * when it has one, else the prefix's. Counts the lookup and marks a learned
 * address as recently used.
 */
void natgw_dst_classify(struct natgw_dst *d, uint32_t ip, struct natgw_dst_result *r);

/** @return the number of addresses the instance holds. */
uint32_t natgw_dst_count(const struct natgw_dst *d);

/** @return the instance's counters. */
const struct natgw_dst_stats *natgw_dst_stats(const struct natgw_dst *d);

/** @return the ranges the instance was made with (may be NULL). */
const struct natgw_dst_ranges *natgw_dst_ranges(const struct natgw_dst *d);

#endif /* NATGW_DSTCLASS_H */
