/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Check suite for destination classes (lib/dstclass): the service table, DNS
 * names to services, the shipped ip-ranges.json against known addresses and
 * a brute-force reading of the same file, and malformed ip-ranges files.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <rte_memory.h>

#include "natgw_build_config.h"
#include "natgw_dstclass.h"
#include "natgw_test.h"

static struct natgw_dst_ranges *shipped;

static void
setup(void)
{
	natgw_test_eal();
}

/* The shipped file, loaded once for the process. */
static struct natgw_dst_ranges *
ranges(void)
{
	char err[256] = "";

	if (shipped == NULL) {
		shipped = natgw_dst_ranges_load(NATGW_BUILDDATA "/" NATGW_IPRANGES, err,
			sizeof(err));
		ck_assert_msg(shipped != NULL, "%s", err);
	}
	return shipped;
}

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr; /* network order */
}

/* xorshift64*: reproducible bytes. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static int
svc(const char *name)
{
	int id = natgw_dst_service_by_name(name);

	ck_assert_msg(id >= 0, "no service %s", name);
	return id;
}

/* ------------------------------------------------------------ service table */

START_TEST(test_service_table)
{
	unsigned int i, j, n = natgw_dst_n_services();

	ck_assert_uint_eq(n, NATGW_DST_N_SERVICES);
	ck_assert_str_eq(natgw_dst_service_name(0), "internet");
	ck_assert_int_eq(natgw_dst_service_class(0), NATGW_DST_CLASS_INTERNET);
	for (i = 0; i < n; i++) {
		const char *name = natgw_dst_service_name(i);

		ck_assert_ptr_nonnull(name);
		ck_assert_int_eq(natgw_dst_service_by_name(name), (int)i);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(name, natgw_dst_service_name(j));
		/* an endpoint has a name, and only an endpoint */
		ck_assert_int_eq(natgw_dst_service_endpoint(i) != NATGW_DST_EP_NONE,
			natgw_dst_service_endpoint_name(i) != NULL);
		ck_assert_int_eq(i == 0, natgw_dst_service_class(i) == NATGW_DST_CLASS_INTERNET);
	}
	ck_assert_ptr_null(natgw_dst_service_name(n));
	ck_assert_int_eq(natgw_dst_service_class(n), NATGW_DST_CLASS_INTERNET);
	ck_assert_int_eq(natgw_dst_service_endpoint(n), NATGW_DST_EP_NONE);
	ck_assert_ptr_null(natgw_dst_service_endpoint_name(n));

	ck_assert_int_eq(svc("s3"), NATGW_DST_S3);
	ck_assert_int_eq(natgw_dst_service_class(NATGW_DST_S3), NATGW_DST_CLASS_S3);
	ck_assert_int_eq(natgw_dst_service_endpoint(NATGW_DST_S3), NATGW_DST_EP_GATEWAY);
	ck_assert_str_eq(natgw_dst_service_endpoint_name(NATGW_DST_S3), "s3");
	ck_assert_int_eq(natgw_dst_service_class(svc("dynamodb")), NATGW_DST_CLASS_DYNAMODB);
	ck_assert_int_eq(natgw_dst_service_endpoint(svc("dynamodb")), NATGW_DST_EP_GATEWAY);
	ck_assert_int_eq(natgw_dst_service_class(svc("ecr.api")), NATGW_DST_CLASS_AWS);
	ck_assert_int_eq(natgw_dst_service_endpoint(svc("ecr.api")), NATGW_DST_EP_INTERFACE);
	ck_assert_str_eq(natgw_dst_service_endpoint_name(svc("ecr.api")), "ecr.api");
	ck_assert_str_eq(natgw_dst_service_endpoint_name(svc("ecr.dkr")), "ecr.dkr");
	ck_assert_str_eq(natgw_dst_service_endpoint_name(svc("ecs-telemetry")), "ecs-telemetry");
	ck_assert_str_eq(natgw_dst_service_endpoint_name(svc("ec2-api")), "ec2");
	ck_assert_str_eq(natgw_dst_service_endpoint_name(svc("kinesis-streams")),
		"kinesis-streams");
	ck_assert_int_eq(natgw_dst_service_endpoint(svc("ec2")), NATGW_DST_EP_NONE);
	ck_assert_int_eq(natgw_dst_service_class(svc("ec2")), NATGW_DST_CLASS_AWS);
	ck_assert_int_eq(natgw_dst_service_endpoint(svc("cloudfront")), NATGW_DST_EP_NONE);
	ck_assert_int_eq(natgw_dst_service_endpoint(svc("aws")), NATGW_DST_EP_NONE);
	ck_assert_int_eq(natgw_dst_service_class(svc("aws")), NATGW_DST_CLASS_AWS);
	for (i = 0; i < 17; i++) {
		static const char *const iface[] = {
			"ecr.api", "ecr.dkr", "ecs", "ecs-agent", "ecs-telemetry", "logs",
			"secretsmanager", "sts", "ssm", "ssmmessages", "ec2messages", "kms",
			"monitoring", "sqs", "sns", "lambda", "xray",
		};

		ck_assert_int_eq(natgw_dst_service_endpoint(svc(iface[i])),
			NATGW_DST_EP_INTERFACE);
	}

	/* configuration lists: case-insensitive, unknown is -1 */
	ck_assert_int_eq(natgw_dst_service_by_name("ECR.API"), NATGW_DST_ECR_API);
	ck_assert_int_eq(natgw_dst_service_by_name("ecr"), -1);
	ck_assert_int_eq(natgw_dst_service_by_name(""), -1);
	ck_assert_int_eq(natgw_dst_service_by_name("s3 "), -1);
	ck_assert_int_eq(natgw_dst_service_by_name(NULL), -1);

	ck_assert_str_eq(natgw_dst_class_name(NATGW_DST_CLASS_DYNAMODB), "dynamodb");
	ck_assert_ptr_null(natgw_dst_class_name(NATGW_DST_CLASS_MAX));
	ck_assert_str_eq(natgw_dst_source_name(NATGW_DST_SRC_IPRANGES), "ip-ranges");
	ck_assert_str_eq(natgw_dst_source_name(NATGW_DST_SRC_SNI), "sni");
	ck_assert_ptr_null(natgw_dst_source_name(NATGW_DST_SRC_MAX));
}
END_TEST

/* --------------------------------------------------------- names → service */

/* A name or an address, and the service and region it must give. */
struct svc_case {
	const char *in;
	const char *service;
	const char *region;
};

static const struct svc_case name_cases[] = {
	/* ECR */
	{"api.ecr.us-east-1.amazonaws.com", "ecr.api", "us-east-1"},
	{"ecr.eu-west-1.amazonaws.com", "ecr.api", "eu-west-1"},
	{"ecr-fips.us-east-1.amazonaws.com", "ecr.api", "us-east-1"},
	{"123456789012.dkr.ecr.us-east-1.amazonaws.com", "ecr.dkr", "us-east-1"},
	{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "ecr.dkr", "us-gov-west-1"},
	{"123456789012.dkr-ecr.ap-southeast-3.on.aws", "ecr.dkr", "ap-southeast-3"},
	{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "ecr.dkr", "cn-north-1"},
	{"public.ecr.aws", "ecr-public", ""},
	{"ecr.aws", "aws", ""},
	/* S3, every spelling */
	{"prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com", "s3", "us-east-1"},
	{"my.bucket.with.dots.s3.eu-central-2.amazonaws.com", "s3", "eu-central-2"},
	{"s3.us-east-1.amazonaws.com", "s3", "us-east-1"},
	{"s3.amazonaws.com", "s3", ""},
	{"mybucket.s3.amazonaws.com", "s3", ""},
	{"s3-us-west-2.amazonaws.com", "s3", "us-west-2"},
	{"mybucket.s3-ap-southeast-2.amazonaws.com", "s3", "ap-southeast-2"},
	{"s3-external-1.amazonaws.com", "s3", ""},
	{"mybucket.s3.dualstack.us-east-2.amazonaws.com", "s3", "us-east-2"},
	{"s3.dualstack.eu-west-1.amazonaws.com", "s3", "eu-west-1"},
	{"s3-fips.us-east-1.amazonaws.com", "s3", "us-east-1"},
	{"mybucket.s3-fips.dualstack.us-east-1.amazonaws.com", "s3", "us-east-1"},
	{"ap-123456789012.s3-accesspoint.us-west-2.amazonaws.com", "s3", "us-west-2"},
	{"mybucket.s3-website-us-east-1.amazonaws.com", "s3", "us-east-1"},
	{"mybucket.s3-website.eu-west-3.amazonaws.com", "s3", "eu-west-3"},
	{"s3.cn-northwest-1.amazonaws.com.cn", "s3", "cn-northwest-1"},
	{"us-east-1.s3.amazonaws.com", "s3", ""}, /* a bucket named like a region */
	/* DynamoDB */
	{"dynamodb.us-east-1.amazonaws.com", "dynamodb", "us-east-1"},
	{"dynamodb-fips.us-west-2.amazonaws.com", "dynamodb", "us-west-2"},
	{"dynamodb.eu-west-1.api.aws", "dynamodb", "eu-west-1"},
	/* ECS and its agent */
	{"ecs.us-east-1.amazonaws.com", "ecs", "us-east-1"},
	{"ecs-fips.us-east-1.amazonaws.com", "ecs", "us-east-1"},
	{"ecs-a-1.us-east-1.amazonaws.com", "ecs-agent", "us-east-1"},
	{"ecs-a-42.ap-southeast-3.amazonaws.com", "ecs-agent", "ap-southeast-3"},
	{"ecs-t-1.us-east-1.amazonaws.com", "ecs-telemetry", "us-east-1"},
	{"ecs-t-7.eu-central-2.amazonaws.com", "ecs-telemetry", "eu-central-2"},
	{"ecs-x-1.us-east-1.amazonaws.com", "aws", "us-east-1"},
	/* interface endpoint services */
	{"logs.us-east-1.amazonaws.com", "logs", "us-east-1"},
	{"logs-fips.us-gov-east-1.amazonaws.com", "logs", "us-gov-east-1"},
	{"secretsmanager.eu-west-2.amazonaws.com", "secretsmanager", "eu-west-2"},
	{"secretsmanager-fips.us-east-1.amazonaws.com", "secretsmanager", "us-east-1"},
	{"sts.amazonaws.com", "sts", ""},
	{"sts.us-east-1.amazonaws.com", "sts", "us-east-1"},
	{"sts-fips.us-east-2.amazonaws.com", "sts", "us-east-2"},
	{"ssm.us-east-1.amazonaws.com", "ssm", "us-east-1"},
	{"ssmmessages.us-east-1.amazonaws.com", "ssmmessages", "us-east-1"},
	{"ec2messages.us-east-1.amazonaws.com", "ec2messages", "us-east-1"},
	{"kms.us-east-1.amazonaws.com", "kms", "us-east-1"},
	{"kms-fips.ca-central-1.amazonaws.com", "kms", "ca-central-1"},
	{"monitoring.us-east-1.amazonaws.com", "monitoring", "us-east-1"},
	{"sqs.us-east-1.amazonaws.com", "sqs", "us-east-1"},
	{"us-west-2.queue.amazonaws.com", "sqs", "us-west-2"},
	{"sns.us-east-1.amazonaws.com", "sns", "us-east-1"},
	{"ec2.us-east-1.amazonaws.com", "ec2-api", "us-east-1"},
	{"lambda.us-east-1.amazonaws.com", "lambda", "us-east-1"},
	{"events.us-east-1.amazonaws.com", "events", "us-east-1"},
	{"xray.us-east-1.amazonaws.com", "xray", "us-east-1"},
	{"kinesis.us-east-1.amazonaws.com", "kinesis-streams", "us-east-1"},
	{"firehose.us-east-1.amazonaws.com", "kinesis-firehose", "us-east-1"},
	{"states.us-east-1.amazonaws.com", "states", "us-east-1"},
	{"elasticloadbalancing.us-east-1.amazonaws.com", "elasticloadbalancing", "us-east-1"},
	{"autoscaling.us-east-1.amazonaws.com", "autoscaling", "us-east-1"},
	{"abc123.execute-api.us-east-1.amazonaws.com", "execute-api", "us-east-1"},
	{"eusc-de-east-1.dummy.amazonaws.com", "aws", "eusc-de-east-1"},
	{"logs.eusc-de-east-1.amazonaws.com", "logs", "eusc-de-east-1"},
	/* EC2 public host names */
	{"ec2-3-4-5-6.compute-1.amazonaws.com", "ec2", ""},
	{"ec2-3-4-5-6.us-west-2.compute.amazonaws.com", "ec2", "us-west-2"},
	/* any other AWS name */
	{"athena.us-east-1.amazonaws.com", "aws", "us-east-1"},
	{"my-lb-1234.us-east-1.elb.amazonaws.com", "aws", "us-east-1"},
	{"amazonaws.com", "aws", ""},
	{"s3-1-w.amazonaws.com", "aws", ""},
	{"s3-control.us-east-1.amazonaws.com", "aws", "us-east-1"},
	{"foo.amazonaws.com.cn", "aws", ""},
	{"bedrock-runtime.us-east-1.api.aws", "aws", "us-east-1"},
	{"something.on.aws", "aws", ""},
	/* CloudFront */
	{"d111111abcdef8.cloudfront.net", "cloudfront", ""},
	{"cloudfront.net", "cloudfront", ""},
	/* case and a trailing dot */
	{"API.ECR.US-EAST-1.AMAZONAWS.COM", "ecr.api", "us-east-1"},
	{"Dynamodb.Eu-West-1.AmazonAWS.com.", "dynamodb", "eu-west-1"},
	{"mybucket.s3.amazonaws.com.", "s3", ""},
	{"D1234.CloudFront.NET.", "cloudfront", ""},
	/* not AWS, near misses */
	{"s3.example.com", "internet", ""},
	{"notamazonaws.com", "internet", ""},
	{"s3.notamazonaws.com", "internet", ""},
	{"amazonaws.com.evil.example", "internet", ""},
	{"s3.amazonaws.com.evil.example", "internet", ""},
	{"amazonaws.co", "internet", ""},
	{"amazonaws.comx", "internet", ""},
	{"xcloudfront.net", "internet", ""},
	{"cloudfront.net.example.com", "internet", ""},
	{"api.github.com", "internet", ""},
	{"dns.google", "internet", ""},
	{"example.aws", "internet", ""},
	{"amazon.com", "internet", ""},
	{"com", "internet", ""},
	{"", "internet", ""},
	{".", "internet", ""},
	{"..amazonaws.com", "internet", ""},
	{"s3..amazonaws.com", "internet", ""},
	{"s3.amazonaws.com..", "internet", ""},
	{"s3 .amazonaws.com", "internet", ""},
	{"s3/x.amazonaws.com", "internet", ""},
	{"s3\r.amazonaws.com", "internet", ""},
};

START_TEST(test_names)
{
	char region[NATGW_DST_REGION_MAX];
	unsigned int i;

	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		const struct svc_case *c = &name_cases[i];
		int id = natgw_dst_name_service(c->in, region, sizeof(region));

		ck_assert_msg(id == svc(c->service), "%s: %s, not %s", c->in,
			natgw_dst_service_name((unsigned int)id), c->service);
		ck_assert_msg(strcmp(region, c->region) == 0, "%s: region \"%s\", not \"%s\"",
			c->in, region, c->region);
		/* the region is optional */
		ck_assert_int_eq(natgw_dst_name_service(c->in, NULL, 0), id);
	}
}
END_TEST

START_TEST(test_name_regions)
{
	static const char *const regions[] = {
		"us-east-1", "eu-central-2", "ap-southeast-3", "us-gov-west-1", "cn-north-1",
		"cn-northwest-1", "il-central-1", "me-south-1", "eusc-de-east-1",
		"us-isob-east-1", "mx-central-1", "ap-northeast-3", "ca-west-1",
	};
	static const char *const not_regions[] = {
		"us-east", "useast-1", "u-east-1", "usabc-east-1", "us-up-1", "us-east-123",
		"us-east-1a", "us--east-1", "-us-east-1", "us-east-1-", "ecs-b-1", "us-east-x",
		"a-b-c-d-east-1", "us-gov-x-y-east-1", "us-governmentx-east-1",
	};
	char name[128], region[NATGW_DST_REGION_MAX], small[4];
	unsigned int i;

	for (i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		snprintf(name, sizeof(name), "kms.%s.amazonaws.com", regions[i]);
		ck_assert_int_eq(natgw_dst_name_service(name, region, sizeof(region)),
			NATGW_DST_KMS);
		ck_assert_str_eq(region, regions[i]);
	}
	for (i = 0; i < sizeof(not_regions) / sizeof(not_regions[0]); i++) {
		snprintf(name, sizeof(name), "kms.%s.amazonaws.com", not_regions[i]);
		/* not a region: then "kms" is not where the service is named */
		ck_assert_int_eq(natgw_dst_name_service(name, region, sizeof(region)),
			NATGW_DST_AWS);
		ck_assert_msg(region[0] == '\0', "%s is not a region", not_regions[i]);
	}
	/* a short buffer gets what fits */
	ck_assert_int_eq(natgw_dst_name_service("sts.us-east-1.amazonaws.com", small,
		sizeof(small)), NATGW_DST_STS);
	ck_assert_str_eq(small, "us-");
	/* a name of 253 bytes is a name, one longer is not */
	{
		char longname[300];
		size_t n;

		memset(longname, 'a', sizeof(longname));
		for (n = 63; n < 240; n += 64)
			longname[n] = '.';
		snprintf(longname + 240, sizeof(longname) - 240, ".amazonaws.com");
		ck_assert_int_eq(strlen(longname), 254);
		ck_assert_int_eq(natgw_dst_name_service(longname, NULL, 0), NATGW_DST_INTERNET);
		ck_assert_int_eq(natgw_dst_name_service(longname + 1, NULL, 0), NATGW_DST_AWS);
	}
}
END_TEST

/* ------------------------------------------------------------- ip-ranges */

/* Looked up by hand in data/aws-ip-ranges.json (createDate 2026-08-22). */
static const struct svc_case prefix_cases[] = {
	{"52.217.84.12", "s3", "us-east-1"},        /* 52.216.0.0/15: S3, AMAZON */
	{"16.182.65.41", "s3", "us-east-1"},        /* 16.182.0.0/16: S3, AMAZON */
	{"3.5.140.7", "s3", "ap-northeast-2"},      /* 3.5.140.0/22: AMAZON, S3, EC2 */
	{"3.218.182.10", "dynamodb", "us-east-1"},  /* 3.218.180.0/22: DYNAMODB */
	{"52.94.24.5", "dynamodb", "eu-west-1"},    /* 52.94.24.0/23: AMAZON, DYNAMODB */
	{"23.254.120.9", "ec2", "sa-west-1"},       /* 23.254.120.0/21: AMAZON, EC2 */
	{"54.222.88.1", "ec2", "cn-north-1"},       /* 54.222.88.0/24: AMAZON, EC2 */
	{"44.200.1.1", "ec2", "us-east-1"},         /* 44.192.0.0/11: EC2 only */
	{"3.4.12.4", "aws", "eu-west-1"},           /* 3.4.12.4/32: AMAZON only */
	{"3.4.12.5", "aws", "us-east-1"},           /* the next /32: another region */
	{"3.4.12.10", "internet", ""},              /* between /32s */
	{"52.94.133.131", "aws", "us-east-1"},      /* 52.94.132.0/22: AMAZON (ECS) */
	{"44.213.79.104", "aws", "us-east-1"},      /* 44.213.78.0/23 AMAZON in EC2 /11 */
	{"140.179.144.129", "aws", "cn-north-1"},   /* API_GATEWAY /25 in EC2 /16 */
	{"23.228.249.1", "cloudfront", "GLOBAL"},   /* 23.228.249.0/24: AMAZON, CLOUDFRONT */
	{"8.8.8.8", "internet", ""},
	{"140.82.112.6", "internet", ""},
	{"10.0.0.1", "internet", ""},
	{"0.0.0.0", "internet", ""},
	{"255.255.255.255", "internet", ""},
};

START_TEST(test_prefixes_known)
{
	struct natgw_dst_ranges *r = ranges();
	unsigned int i;

	ck_assert_uint_eq(natgw_dst_ranges_count(r), 7905); /* distinct IPv4 prefixes */
	ck_assert_str_eq(natgw_dst_ranges_date(r), "2026-08-22-15-17-05");
	for (i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++) {
		const struct svc_case *c = &prefix_cases[i];
		uint8_t region = 99;
		unsigned int id = natgw_dst_ranges_lookup(r, ip(c->in), &region);

		ck_assert_msg((int)id == svc(c->service), "%s: %s, not %s", c->in,
			natgw_dst_service_name(id), c->service);
		ck_assert_msg(strcmp(natgw_dst_region_name(r, region), c->region) == 0,
			"%s: region %s, not %s", c->in, natgw_dst_region_name(r, region), c->region);
		if (c->region[0] != '\0')
			ck_assert_uint_eq(natgw_dst_region_index(r, c->region), region);
		else
			ck_assert_uint_eq(region, 0);
	}
	ck_assert_str_eq(natgw_dst_region_name(r, 0), "");
	ck_assert_str_eq(natgw_dst_region_name(r, 255), "");
	ck_assert_str_eq(natgw_dst_region_name(NULL, 1), "");
	ck_assert_uint_eq(natgw_dst_region_index(r, "mars-north-1"), 0);
	ck_assert_uint_eq(natgw_dst_region_index(r, "global"), natgw_dst_region_index(r, "GLOBAL"));
	ck_assert_uint_ne(natgw_dst_region_index(r, "GLOBAL"), 0);
	ck_assert_uint_eq(natgw_dst_region_index(NULL, "us-east-1"), 0);
	ck_assert_uint_eq(natgw_dst_ranges_lookup(NULL, ip("52.217.84.12"), NULL),
		NATGW_DST_INTERNET);
}
END_TEST

/* What the file says of an address, read the slow way: of every prefix that
 * holds it, the longest; of those, the most specific service. */
struct oracle_entry {
	uint32_t net, mask;
	int depth, rank, id;
	const char *region;
};

static int
oracle_rank(const char *s, int *id)
{
	if (strcmp(s, "S3") == 0 || strcmp(s, "DYNAMODB") == 0) {
		*id = s[0] == 'S' ? NATGW_DST_S3 : NATGW_DST_DYNAMODB;
		return 4;
	}
	*id = NATGW_DST_AWS;
	if (strcmp(s, "CLOUDFRONT") == 0) {
		*id = NATGW_DST_CLOUDFRONT;
		return 3;
	}
	if (strcmp(s, "EC2") == 0) {
		*id = NATGW_DST_EC2;
		return 1;
	}
	return strcmp(s, "AMAZON") == 0 ? 0 : 2;
}

START_TEST(test_prefixes_brute_force)
{
	struct natgw_dst_ranges *r = ranges();
	json_t *root = json_load_file(NATGW_BUILDDATA "/" NATGW_IPRANGES, 0, NULL);
	json_t *pfx = json_object_get(root, "prefixes");
	size_t n = json_array_size(pfx), i, j, k;
	struct oracle_entry *e = calloc(n, sizeof(*e));
	uint64_t seed = 7;

	ck_assert_ptr_nonnull(e);
	ck_assert_uint_gt(n, 10000);
	for (i = 0; i < n; i++) {
		json_t *o = json_array_get(pfx, i);
		const char *p = json_string_value(json_object_get(o, "ip_prefix"));
		char a[32];
		struct in_addr in;

		ck_assert_int_eq(sscanf(p, "%31[0-9.]/%d", a, &e[i].depth), 2);
		ck_assert_int_eq(inet_pton(AF_INET, a, &in), 1);
		e[i].net = ntohl(in.s_addr);
		e[i].mask = e[i].depth == 0 ? 0 : UINT32_MAX << (32 - e[i].depth);
		e[i].rank = oracle_rank(json_string_value(json_object_get(o, "service")), &e[i].id);
		e[i].region = json_string_value(json_object_get(o, "region"));
	}
	/* Each prefix's first and last address and one at random inside it, and
	 * as many random addresses anywhere. */
	for (i = 0; i < 4 * n; i++) {
		uint32_t a, nbo;
		const struct oracle_entry *best = NULL;
		unsigned int id;
		uint8_t region;

		k = i % n;
		switch (i / n) {
		case 0: a = e[k].net; break;
		case 1: a = e[k].net | ~e[k].mask; break;
		case 2: a = e[k].net | ((uint32_t)rnd(&seed) & ~e[k].mask); break;
		default: a = (uint32_t)rnd(&seed); break;
		}
		for (j = 0; j < n; j++) {
			if ((a & e[j].mask) != e[j].net)
				continue;
			if (best == NULL || e[j].depth > best->depth ||
					(e[j].depth == best->depth && e[j].rank > best->rank))
				best = &e[j];
		}
		nbo = htonl(a);
		id = natgw_dst_ranges_lookup(r, nbo, &region);
		if (best == NULL) {
			ck_assert_uint_eq(id, NATGW_DST_INTERNET);
			ck_assert_uint_eq(region, 0);
		} else {
			ck_assert_msg((int)id == best->id, "%08x: %s, not %s", a,
				natgw_dst_service_name(id), natgw_dst_service_name((unsigned int)best->id));
			ck_assert_str_eq(natgw_dst_region_name(r, region), best->region);
		}
	}
	free(e);
	json_decref(root);
}
END_TEST

START_TEST(test_default_path)
{
	const char *p = natgw_dst_default_ipranges_path();
	const char *tail = "/aws-ip-ranges.json";

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_gt(strlen(p), strlen(tail));
	ck_assert_str_eq(p + strlen(p) - strlen(tail), tail);
	ck_assert_int_eq(access(p, R_OK), 0);
}
END_TEST

/* A temporary directory for ip-ranges files. */
static char tmpdir[64];

static const char *
write_json(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/natgw-dst-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* Load @p text; it must fail with exactly "PATH: @p want". */
static void
load_fails(const char *text, const char *want)
{
	const char *path = write_json("bad.json", text);
	char err[512] = "", expect[512];

	ck_assert_ptr_null(natgw_dst_ranges_load(path, err, sizeof(err)));
	snprintf(expect, sizeof(expect), "%s: %s", path, want);
	ck_assert_str_eq(err, expect);
	ck_assert_ptr_null(strchr(err, '\n'));
	unlink(path);
}

#define ENTRY(p, r, s) "{\"ip_prefix\": \"" p "\", \"region\": \"" r "\", \"service\": \"" s \
	"\", \"network_border_group\": \"" r "\"}"
#define OK_ENTRY ENTRY("198.51.100.0/24", "us-east-1", "AMAZON")

START_TEST(test_ranges_errors)
{
	char err[512], many[32768], bad_prefix[4096];
	const char *path;
	size_t o = 0;
	unsigned int i;
	static const char *const not_prefixes[] = {
		"1.2.3/33", "1.2.3.4/33", "256.1.1.0/24", "01.2.3.0/24", "1.2.3.0/", "1.2.3.0/0",
		"1.2.3.0/24 ", " 1.2.3.0/24", "1.2.3.0", "1.2.3.0/024", "1.2.3.0.0/24",
		"2600:1f14::/35", "", "1.2.3.0/-1", "1.2.3.+0/24", "1.2.3.0/99999999999",
	};

	/* the example in the brief, at index 12 */
	o = (size_t)snprintf(bad_prefix, sizeof(bad_prefix), "{\"prefixes\": [");
	for (i = 0; i < 12; i++)
		o += (size_t)snprintf(bad_prefix + o, sizeof(bad_prefix) - o, "%s, ", OK_ENTRY);
	snprintf(bad_prefix + o, sizeof(bad_prefix) - o, "%s]}",
		ENTRY("1.2.3/33", "us-east-1", "S3"));
	load_fails(bad_prefix, "prefixes[12].ip_prefix: not an IPv4 prefix: 1.2.3/33");

	for (i = 0; i < sizeof(not_prefixes) / sizeof(not_prefixes[0]); i++) {
		char text[512], want[128];

		snprintf(text, sizeof(text), "{\"prefixes\": [%s, {\"ip_prefix\": \"%s\", "
			"\"region\": \"eu-west-1\", \"service\": \"EC2\"}]}", OK_ENTRY, not_prefixes[i]);
		snprintf(want, sizeof(want), "prefixes[1].ip_prefix: not an IPv4 prefix: %s",
			not_prefixes[i]);
		load_fails(text, want);
	}
	load_fails("{\"prefixes\": [" ENTRY("10.0.0.1/8", "us-east-1", "EC2") "]}",
		"prefixes[0].ip_prefix: address bits set past the length: 10.0.0.1/8");

	/* the file's shape */
	path = write_json("gone.json", "");
	unlink(path);
	ck_assert_ptr_null(natgw_dst_ranges_load(path, err, sizeof(err)));
	ck_assert_str_eq(err + strlen(path), ": No such file or directory");
	path = write_json("cut.json", "{\"prefixes\": [" OK_ENTRY);
	ck_assert_ptr_null(natgw_dst_ranges_load(path, err, sizeof(err)));
	ck_assert_msg(strncmp(err + strlen(path), ": line 1 column ", 16) == 0, "%s", err);
	ck_assert_ptr_null(strchr(err, '\n'));
	load_fails("", "line 1 column 0: '[' or '{' expected near end of file");
	load_fails("[]", "not a JSON object");
	load_fails("{}", "prefixes: missing");
	load_fails("{\"prefixes\": {}}", "prefixes: not an array");
	load_fails("{\"prefixes\": []}", "prefixes: empty");
	load_fails("{\"prefixes\": [" OK_ENTRY ", 7]}", "prefixes[1]: not an object");
	load_fails("{\"prefixes\": [{\"region\": \"us-east-1\", \"service\": \"S3\"}]}",
		"prefixes[0].ip_prefix: missing");
	load_fails("{\"prefixes\": [{\"ip_prefix\": 167772160, \"region\": \"us-east-1\"}]}",
		"prefixes[0].ip_prefix: not a string");
	load_fails("{\"prefixes\": [{\"ip_prefix\": \"10.0.0.0/8\", \"service\": \"S3\"}]}",
		"prefixes[0].region: missing");
	load_fails("{\"prefixes\": [{\"ip_prefix\": \"10.0.0.0/8\", \"region\": null, "
		"\"service\": \"S3\"}]}", "prefixes[0].region: not a string");
	load_fails("{\"prefixes\": [{\"ip_prefix\": \"10.0.0.0/8\", \"region\": \"us-east-1\"}]}",
		"prefixes[0].service: missing");
	load_fails("{\"prefixes\": [" ENTRY("10.0.0.0/8", "", "S3") "]}",
		"prefixes[0].region: not a region: \"\"");
	load_fails("{\"prefixes\": [" ENTRY("10.0.0.0/8", "us east", "S3") "]}",
		"prefixes[0].region: not a region: \"us east\"");
	load_fails("{\"prefixes\": [" ENTRY("10.0.0.0/8", "us-east-1", "") "]}",
		"prefixes[0].service: empty");

	/* 256 regions is one too many */
	o = (size_t)snprintf(many, sizeof(many), "{\"prefixes\": [");
	for (i = 0; i < 256; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%s{\"ip_prefix\": \"10.%u.0.0/16\", "
			"\"region\": \"r%u\", \"service\": \"EC2\"}", i ? ", " : "", i, i);
	snprintf(many + o, sizeof(many) - o, "]}");
	load_fails(many, "prefixes[255].region: more than 255 regions");

	/* err may be NULL, or short */
	path = write_json("bad.json", "[]");
	ck_assert_ptr_null(natgw_dst_ranges_load(path, NULL, 0));
	ck_assert_ptr_null(natgw_dst_ranges_load(path, err, 4));
	ck_assert_uint_eq(strlen(err), 3);
	unlink(path);
}
END_TEST

START_TEST(test_ranges_small_file)
{
	char err[256] = "";
	const char *path = write_json("small.json",
		"{\"syncToken\": \"1\", \"prefixes\": ["
		ENTRY("198.51.100.0/24", "eu-west-1", "AMAZON") ", "
		ENTRY("198.51.100.0/24", "eu-west-1", "EC2") ", "
		ENTRY("198.51.100.0/25", "eu-west-1", "AMAZON") ", "
		ENTRY("198.51.100.128/26", "eu-west-1", "ROUTE53") ", "
		ENTRY("198.51.100.192/27", "eu-west-1", "DYNAMODB") ", "
		ENTRY("198.51.100.192/27", "eu-west-1", "EC2") ", "
		ENTRY("203.0.113.7/32", "GLOBAL", "CLOUDFRONT_ORIGIN_FACING") ", "
		ENTRY("203.0.113.7/32", "GLOBAL", "CLOUDFRONT") ", "
		ENTRY("192.0.2.0/24", "us-west-2", "EC2") ", "
		ENTRY("192.0.2.0/24", "us-west-2", "S3") ", "
		ENTRY("192.0.2.0/24", "us-west-2", "AMAZON") "],"
		"\"ipv6_prefixes\": [{\"ipv6_prefix\": \"not even checked\"}]}");
	struct natgw_dst_ranges *r = natgw_dst_ranges_load(path, err, sizeof(err));
	uint8_t region;

	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(natgw_dst_ranges_count(r), 6);
	ck_assert_str_eq(natgw_dst_ranges_date(r), "");
	/* same prefix: EC2 over AMAZON; a longer prefix wins whatever it says */
	ck_assert_uint_eq(natgw_dst_ranges_lookup(r, ip("198.51.100.200"), &region),
		NATGW_DST_DYNAMODB);
	ck_assert_str_eq(natgw_dst_region_name(r, region), "eu-west-1");
	ck_assert_uint_eq(natgw_dst_ranges_lookup(r, ip("198.51.100.224"), NULL), NATGW_DST_EC2);
	ck_assert_uint_eq(natgw_dst_ranges_lookup(r, ip("198.51.100.5"), NULL), NATGW_DST_AWS);
	ck_assert_uint_eq(natgw_dst_ranges_lookup(r, ip("198.51.100.130"), NULL), NATGW_DST_AWS);
	ck_assert_uint_eq(natgw_dst_ranges_lookup(r, ip("203.0.113.7"), &region),
		NATGW_DST_CLOUDFRONT);
	ck_assert_str_eq(natgw_dst_region_name(r, region), "GLOBAL");
	ck_assert_uint_eq(natgw_dst_ranges_lookup(r, ip("203.0.113.8"), &region),
		NATGW_DST_INTERNET);
	ck_assert_uint_eq(region, 0);
	ck_assert_uint_eq(natgw_dst_ranges_lookup(r, ip("192.0.2.99"), &region), NATGW_DST_S3);
	ck_assert_str_eq(natgw_dst_region_name(r, region), "us-west-2");
	ck_assert_uint_eq(natgw_dst_region_index(r, "us-west-2"), region);
	natgw_dst_ranges_free(r);
	natgw_dst_ranges_free(NULL);
	unlink(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dstclass");
	TCase *tc = tcase_create("dstclass");
	int rc;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_service_table);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_name_regions);
	tcase_add_test(tc, test_prefixes_known);
	tcase_add_test(tc, test_prefixes_brute_force);
	tcase_add_test(tc, test_default_path);
	tcase_add_test(tc, test_ranges_errors);
	tcase_add_test(tc, test_ranges_small_file);
	suite_add_tcase(s, tc);
	rc = natgw_test_run(s);
	natgw_dst_ranges_free(shipped);
	if (tmpdir[0] != '\0')
		rmdir(tmpdir);
	return rc;
}
