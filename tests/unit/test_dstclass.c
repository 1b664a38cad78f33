/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Check suite for destination classes (lib/dstclass): the service table, DNS
 * names to services, the shipped ip-ranges.json against known addresses and
 * a brute-force reading of the same file, malformed ip-ranges files, DNS
 * responses and TLS ClientHellos built here byte by byte (cut at every
 * length, and scrambled), what a classification prefers, and the bound on
 * learned names.
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

/* ---------------------------------------------------------- DNS responses */

/* Bytes written one field at a time, big-endian: DNS messages and TLS records. */
struct wbuf {
	uint8_t b[4096];
	size_t n;
};

static void
w8(struct wbuf *w, unsigned int v)
{
	ck_assert_uint_lt(w->n, sizeof(w->b));
	w->b[w->n++] = (uint8_t)v;
}

static void
w16(struct wbuf *w, unsigned int v)
{
	w8(w, v >> 8);
	w8(w, v & 0xff);
}

static void
wbytes(struct wbuf *w, const void *p, size_t n)
{
	ck_assert_uint_le(w->n + n, sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void
wfill(struct wbuf *w, unsigned int v, size_t n)
{
	while (n-- > 0)
		w8(w, v);
}

/* Set the 16-bit length at @p at to the bytes written after it. */
static void
wlen16(struct wbuf *w, size_t at)
{
	size_t n = w->n - at - 2;

	w->b[at] = (uint8_t)(n >> 8);
	w->b[at + 1] = (uint8_t)n;
}

/* Labels of @p name (dots between), no end: a pointer or w8(m, 0) follows.
 * @return where they start. */
static size_t
dlabels(struct wbuf *m, const char *name)
{
	size_t at = m->n;

	while (*name != '\0') {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		w8(m, (unsigned int)l);
		wbytes(m, name, l);
		name += l + (dot != NULL);
	}
	return at;
}

/* A whole name, uncompressed. @return where it starts. */
static size_t
dname(struct wbuf *m, const char *name)
{
	size_t at = dlabels(m, name);

	w8(m, 0);
	return at;
}

static void
dptr(struct wbuf *m, size_t to)
{
	w16(m, 0xc000 | (unsigned int)to);
}

/* A response's header and its one question (IN A). @return the question
 * name's offset (12). */
static size_t
dhead(struct wbuf *m, const char *qname, unsigned int an)
{
	m->n = 0;
	w16(m, 0x1234);      /* id */
	w16(m, 0x8180);      /* QR, RD, RA, NOERROR */
	w16(m, 1);
	w16(m, an);
	w16(m, 0);
	w16(m, 0);
	dname(m, qname);
	w16(m, 1);           /* A */
	w16(m, 1);           /* IN */
	return 12;
}

/* A record's fixed part after its owner name. */
static void
drr(struct wbuf *m, unsigned int type, unsigned int rdlen)
{
	w16(m, type);
	w16(m, 1);   /* IN */
	w16(m, 0);   /* TTL */
	w16(m, 60);
	w16(m, rdlen);
}

static void
da(struct wbuf *m, const char *addr)
{
	uint32_t a = ip(addr);

	drr(m, 1, 4);
	wbytes(m, &a, 4);
}

/* A CNAME's data: the target, uncompressed. */
static void
dcname(struct wbuf *m, const char *target)
{
	size_t len_at;

	drr(m, 5, 0);
	len_at = m->n - 2;
	dname(m, target);
	wlen16(m, len_at);
}

static struct natgw_dst *
mkdst(const char *name, uint32_t max, const struct natgw_dst_ranges *r)
{
	struct natgw_dst *d = natgw_dst_create(name, max, SOCKET_ID_ANY, r);

	ck_assert_ptr_nonnull(d);
	return d;
}

/* What @p d says of @p addr: the service's name, and the name learned. */
static void
expect(struct natgw_dst *d, const char *addr, const char *service, const char *name,
		enum natgw_dst_source source)
{
	struct natgw_dst_result r;

	natgw_dst_classify(d, ip(addr), &r);
	ck_assert_msg(r.service == svc(service), "%s: %s, not %s", addr,
		natgw_dst_service_name(r.service), service);
	ck_assert_int_eq(r.source, source);
	if (name == NULL) {
		ck_assert_ptr_null(r.name);
		ck_assert_int_eq(r.name_source, NATGW_DST_SRC_NONE);
	} else {
		ck_assert_ptr_nonnull(r.name);
		ck_assert_str_eq(r.name, name);
	}
}

START_TEST(test_dns_a)
{
	struct natgw_dst *d = mkdst("dns_a", 64, ranges());
	struct natgw_dst_result r;
	struct wbuf m;
	size_t q = dhead(&m, "DynamoDB.us-east-1.amazonaws.com", 2);

	dptr(&m, q);
	da(&m, "3.218.182.10");
	dptr(&m, q);
	da(&m, "3.218.182.11");
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 2);
	natgw_dst_classify(d, ip("3.218.182.11"), &r);
	ck_assert_int_eq(r.service, NATGW_DST_DYNAMODB);
	ck_assert_int_eq(r.source, NATGW_DST_SRC_DNS);
	ck_assert_int_eq(r.name_source, NATGW_DST_SRC_DNS);
	ck_assert_str_eq(r.name, "dynamodb.us-east-1.amazonaws.com");
	ck_assert_str_eq(natgw_dst_region_name(ranges(), r.region), "us-east-1");
	expect(d, "3.218.182.10", "dynamodb", "dynamodb.us-east-1.amazonaws.com",
		NATGW_DST_SRC_DNS);
	ck_assert_uint_eq(natgw_dst_count(d), 2);
	ck_assert_uint_eq(natgw_dst_stats(d)->learned, 2);
	ck_assert_uint_eq(natgw_dst_stats(d)->dns_malformed, 0);

	/* AAAA answers and other records teach nothing; an A among them does */
	dhead(&m, "api.ecr.eu-west-1.amazonaws.com", 3);
	dptr(&m, 12);
	drr(&m, 28, 16);
	wfill(&m, 0x20, 16);
	dptr(&m, 12);
	drr(&m, 16, 4);      /* TXT */
	w8(&m, 3);
	w8(&m, 'a');
	w8(&m, 'b');
	w8(&m, 'c');
	dptr(&m, 12);
	da(&m, "198.51.100.9");
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 1);
	expect(d, "198.51.100.9", "ecr.api", "api.ecr.eu-west-1.amazonaws.com",
		NATGW_DST_SRC_DNS);

	/* an answer for a name outside the chain is not the question's */
	dhead(&m, "sts.amazonaws.com", 2);
	dname(&m, "evil.example.com");
	da(&m, "198.51.100.10");
	dptr(&m, 12);
	da(&m, "198.51.100.11");
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 1);
	expect(d, "198.51.100.10", "internet", NULL, NATGW_DST_SRC_NONE);
	expect(d, "198.51.100.11", "sts", "sts.amazonaws.com", NATGW_DST_SRC_DNS);

	/* nothing to learn: a query, an error, no question, class CH, not a host */
	dhead(&m, "s3.amazonaws.com", 1);
	dptr(&m, 12);
	da(&m, "198.51.100.12");
	m.b[2] &= 0x7f;                    /* a query */
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 0);
	m.b[2] |= 0x80;
	m.b[3] = 0x83;                     /* NXDOMAIN */
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 0);
	m.b[3] = 0x80;
	m.b[2] |= 0x28;                    /* opcode 5, UPDATE */
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 0);
	m.b[2] = 0x81;
	m.b[12 + 18 + 3] = 3;              /* class CH */
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 0);
	m.b[12 + 18 + 3] = 1;
	m.b[13] = '*';                     /* "*3.amazonaws.com" */
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 0);
	m.b[13] = 's';
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 1);
	m.b[5] = 0;                        /* no question: then no answer is known */
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 0);
	dhead(&m, "", 1);                  /* the root */
	dptr(&m, 12);
	da(&m, "198.51.100.13");
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 0);
	ck_assert_uint_eq(natgw_dst_stats(d)->dns_malformed, 0);
	natgw_dst_free(d);
}
END_TEST

START_TEST(test_dns_cname)
{
	struct natgw_dst *d = mkdst("dns_cname", 64, ranges());
	struct natgw_dst_result r;
	struct wbuf m;
	size_t q, t1, t2;

	/* a name of the internet, CNAME to S3: S3, the region the chain gives */
	q = dhead(&m, "assets.example.com", 3);
	dptr(&m, q);
	t1 = m.n + 10;                    /* the target, after the record's fixed part */
	dcname(&m, "assets.example.com.s3.us-west-2.amazonaws.com");
	ck_assert_uint_eq(m.b[t1], 6);
	ck_assert_uint_eq(m.b[t1 + 22], 9);
	dptr(&m, t1);
	drr(&m, 5, 0);
	t2 = m.n;
	dlabels(&m, "s3-r-w");
	dptr(&m, t1 + 22);                /* "us-west-2.amazonaws.com" of the target */
	m.b[t2 - 1] = (uint8_t)(m.n - t2);
	dptr(&m, t2);
	da(&m, "198.51.100.20");
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 1);
	natgw_dst_classify(d, ip("198.51.100.20"), &r);
	ck_assert_int_eq(r.service, NATGW_DST_S3);
	ck_assert_int_eq(r.source, NATGW_DST_SRC_DNS);
	ck_assert_str_eq(r.name, "assets.example.com");
	ck_assert_str_eq(natgw_dst_region_name(ranges(), r.region), "us-west-2");

	/* the question is S3, its CNAME target only "aws": S3 */
	q = dhead(&m, "mybucket.s3.amazonaws.com", 2);
	dptr(&m, q);
	dcname(&m, "s3-1-w.amazonaws.com");
	dname(&m, "s3-1-w.amazonaws.com");
	da(&m, "52.217.84.12");
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 1);
	natgw_dst_classify(d, ip("52.217.84.12"), &r);
	ck_assert_int_eq(r.service, NATGW_DST_S3);
	ck_assert_str_eq(r.name, "mybucket.s3.amazonaws.com");
	/* the name has no region: the prefix's */
	ck_assert_str_eq(natgw_dst_region_name(ranges(), r.region), "us-east-1");

	/* the chain in reverse order, and a CloudFront CNAME under ECR Public:
	 * the named service wins over CloudFront */
	q = dhead(&m, "public.ecr.aws", 4);
	dname(&m, "d5l0dvt14r5h8.cloudfront.net");
	da(&m, "198.51.100.21");
	dname(&m, "x.public.ecr.aws");
	dcname(&m, "d5l0dvt14r5h8.cloudfront.net");
	dname(&m, "d5l0dvt14r5h8.cloudfront.net");
	da(&m, "198.51.100.22");
	dptr(&m, q);
	dcname(&m, "x.public.ecr.aws");
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 2);
	expect(d, "198.51.100.21", "ecr-public", "public.ecr.aws", NATGW_DST_SRC_DNS);
	expect(d, "198.51.100.22", "ecr-public", "public.ecr.aws", NATGW_DST_SRC_DNS);

	/* a CNAME loop ends; its names' A records are still the question's */
	q = dhead(&m, "a.example.com", 3);
	dptr(&m, q);
	dcname(&m, "b.example.com");
	dname(&m, "b.example.com");
	dcname(&m, "a.example.com");
	dname(&m, "b.example.com");
	da(&m, "198.51.100.23");
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 1);
	expect(d, "198.51.100.23", "internet", "a.example.com", NATGW_DST_SRC_DNS);
	ck_assert_uint_eq(natgw_dst_stats(d)->dns_malformed, 0);
	natgw_dst_free(d);
}
END_TEST

/* @p m must be refused as malformed. */
static void
dns_bad(struct natgw_dst *d, const struct wbuf *m)
{
	uint64_t before = natgw_dst_stats(d)->dns_malformed;

	ck_assert_int_eq(natgw_dst_learn_dns(d, m->b, m->n), -1);
	ck_assert_uint_eq(natgw_dst_stats(d)->dns_malformed, before + 1);
}

START_TEST(test_dns_malformed)
{
	struct natgw_dst *d = mkdst("dns_bad", 64, NULL);
	struct wbuf m, good;
	size_t q, at, i;

	/* pointers: to itself, forward, a loop of two, one into the header, one
	 * cut in half */
	dhead(&m, "logs.us-east-1.amazonaws.com", 1);
	at = m.n;
	dptr(&m, at);
	da(&m, "198.51.100.30");
	dns_bad(d, &m);
	m.n = at;
	dptr(&m, at + 2);     /* forward: to the type's first byte, 0, the root */
	da(&m, "198.51.100.30");
	dns_bad(d, &m);
	m.b[7] = 2;           /* a TXT whose data is two pointers at each other, */
	m.n = at;             /* then an A owned by the first */
	dptr(&m, 12);
	drr(&m, 16, 4);
	dptr(&m, m.n + 2);
	dptr(&m, m.n - 2);
	dptr(&m, m.n - 4);
	da(&m, "198.51.100.30");
	dns_bad(d, &m);
	m.b[7] = 1;
	m.n = at;
	dptr(&m, 2);          /* into the header: "\x81\x80..." */
	da(&m, "198.51.100.30");
	dns_bad(d, &m);
	m.n = 0;              /* a question that points at itself */
	w16(&m, 1);
	w16(&m, 0x8180);
	w16(&m, 1);
	w16(&m, 0);
	w16(&m, 0);
	w16(&m, 0);
	dptr(&m, 12);
	w16(&m, 1);
	w16(&m, 1);
	dns_bad(d, &m);
	m.n -= 5;             /* a pointer's second byte missing */
	dns_bad(d, &m);

	/* a label of reserved type 0x40, a name over 255 bytes */
	q = dhead(&m, "logs.us-east-1.amazonaws.com", 1);
	m.b[q] = 0x44;
	dns_bad(d, &m);
	m.n = 0;
	w16(&m, 1);
	w16(&m, 0x8180);
	w16(&m, 1);
	w16(&m, 0);
	w16(&m, 0);
	w16(&m, 0);
	for (i = 0; i < 5; i++) {
		w8(&m, 50);
		wfill(&m, 'a', 50);
	}
	w8(&m, 0);            /* 256 bytes */
	w16(&m, 1);
	w16(&m, 1);
	dns_bad(d, &m);

	/* an A answer of 5 bytes, a CNAME whose target overruns its data */
	q = dhead(&m, "logs.us-east-1.amazonaws.com", 1);
	dptr(&m, q);
	drr(&m, 1, 5);
	wfill(&m, 1, 5);
	dns_bad(d, &m);
	q = dhead(&m, "logs.us-east-1.amazonaws.com", 2);
	dptr(&m, q);
	dcname(&m, "x.example.com");
	ck_assert_uint_eq(m.b[m.n - 16], 15);
	m.b[m.n - 16] = 3;    /* rdlength 15 → 3 */
	dptr(&m, q);
	da(&m, "198.51.100.31");
	dns_bad(d, &m);

	/* wrong counts: an answer more than there is; fewer is fine */
	q = dhead(&m, "logs.us-east-1.amazonaws.com", 3);
	dptr(&m, q);
	da(&m, "198.51.100.32");
	dptr(&m, q);
	da(&m, "198.51.100.33");
	dns_bad(d, &m);
	m.b[7] = 1;
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 1);

	/* cut at every length: all refused, none read past the end (ASan) */
	good = m;
	good.b[7] = 2;
	ck_assert_int_eq(natgw_dst_learn_dns(d, good.b, good.n), 2);
	for (i = 0; i < good.n; i++) {
		uint8_t *cut = malloc(i + 1);

		ck_assert_ptr_nonnull(cut);
		memcpy(cut, good.b, i);
		ck_assert_msg(natgw_dst_learn_dns(d, cut, i) == -1, "cut at %zu", i);
		free(cut);
	}
	ck_assert_int_eq(natgw_dst_learn_dns(d, NULL, 0), -1);
	natgw_dst_free(d);
}
END_TEST

START_TEST(test_dns_scrambled)
{
	struct natgw_dst *d = mkdst("dns_fuzz", 256, NULL);
	uint64_t seed = 42;
	struct wbuf m;
	size_t q, i, j;

	q = dhead(&m, "bucket.example.com", 3);
	dptr(&m, q);
	dcname(&m, "bucket.s3.eu-west-1.amazonaws.com");
	dptr(&m, m.n - 35);
	da(&m, "198.51.100.40");
	dptr(&m, q);
	da(&m, "198.51.100.41");
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 2);
	expect(d, "198.51.100.40", "s3", "bucket.example.com", NATGW_DST_SRC_DNS);

	/* 20,000 copies with 1-4 bytes changed, each in a buffer of its own
	 * length; then 20,000 of random bytes after a plausible header */
	for (i = 0; i < 40000; i++) {
		size_t n = m.n;
		uint8_t *b;
		int rc;

		if (i >= 20000)
			n = 12 + rnd(&seed) % 200;
		b = malloc(n);
		ck_assert_ptr_nonnull(b);
		if (i < 20000) {
			memcpy(b, m.b, n);
			for (j = 0; j <= rnd(&seed) % 4; j++)
				b[rnd(&seed) % n] = (uint8_t)rnd(&seed);
		} else {
			for (j = 0; j < n; j++)
				b[j] = (uint8_t)rnd(&seed);
			memcpy(b, m.b, 8);
		}
		rc = natgw_dst_learn_dns(d, b, n);
		ck_assert_int_ge(rc, -1);
		ck_assert_int_le(rc, 2);
		free(b);
	}
	ck_assert_uint_gt(natgw_dst_stats(d)->dns_malformed, 0);
	ck_assert_uint_le(natgw_dst_count(d), 256);
	natgw_dst_free(d);
}
END_TEST

/* -------------------------------------------------------- TLS ClientHello */

/*
 * A ClientHello in one TLS record: session id, three cipher suites, null
 * compression; extensions supported_versions, then @p pad bytes of padding
 * (if any), then server_name with @p sni (if not NULL), then ALPN "h2".
 * @return the offset just after the server_name extension (0: none).
 */
static size_t
client_hello(struct wbuf *h, const char *sni, size_t pad)
{
	size_t sni_end = 0;
	size_t rec, hs, ext, at;

	h->n = 0;
	w8(h, 22);
	w16(h, 0x0301);
	rec = h->n;
	w16(h, 0);
	w8(h, 1);
	hs = h->n;
	w8(h, 0);
	w16(h, 0);
	w16(h, 0x0303);
	wfill(h, 0xab, 32);       /* random */
	w8(h, 32);
	wfill(h, 0xcd, 32);       /* session id */
	w16(h, 6);
	w16(h, 0x1301);
	w16(h, 0x1302);
	w16(h, 0xc02f);
	w8(h, 1);
	w8(h, 0);
	ext = h->n;
	w16(h, 0);
	w16(h, 43);               /* supported_versions */
	w16(h, 3);
	w8(h, 2);
	w16(h, 0x0304);
	if (pad > 0) {
		w16(h, 21);       /* padding */
		w16(h, (unsigned int)pad);
		wfill(h, 0, pad);
	}
	if (sni != NULL) {
		w16(h, 0);        /* server_name */
		at = h->n;
		w16(h, 0);
		w16(h, 0);
		w8(h, 0);         /* host_name */
		w16(h, (unsigned int)strlen(sni));
		wbytes(h, sni, strlen(sni));
		wlen16(h, at);
		wlen16(h, at + 2);
		sni_end = h->n;
	}
	w16(h, 16);               /* ALPN */
	w16(h, 5);
	w16(h, 3);
	w8(h, 2);
	w8(h, 'h');
	w8(h, '2');
	wlen16(h, ext);
	wlen16(h, rec);
	h->b[hs] = 0;
	h->b[hs + 1] = (uint8_t)((h->n - hs - 3) >> 8);
	h->b[hs + 2] = (uint8_t)(h->n - hs - 3);
	return sni_end;
}

/* Learn from the first @p n bytes of @p h, in a buffer of that size. */
static int
sni(struct natgw_dst *d, const char *addr, const struct wbuf *h, size_t n)
{
	uint8_t *b = malloc(n + 1);
	int rc;

	ck_assert_ptr_nonnull(b);
	memcpy(b, h->b, n);
	rc = natgw_dst_learn_sni(d, ip(addr), b, n);
	free(b);
	return rc;
}

START_TEST(test_sni)
{
	struct natgw_dst *d = mkdst("sni", 64, ranges());
	struct natgw_dst_result r;
	struct wbuf h;
	size_t n, sni_end;

	sni_end = client_hello(&h, "API.ECR.us-east-1.amazonaws.com", 0);
	ck_assert_int_eq(sni(d, "198.51.100.50", &h, h.n), 1);
	natgw_dst_classify(d, ip("198.51.100.50"), &r);
	ck_assert_int_eq(r.service, NATGW_DST_ECR_API);
	ck_assert_int_eq(r.source, NATGW_DST_SRC_SNI);
	ck_assert_int_eq(r.name_source, NATGW_DST_SRC_SNI);
	ck_assert_str_eq(r.name, "api.ecr.us-east-1.amazonaws.com");
	ck_assert_str_eq(natgw_dst_region_name(ranges(), r.region), "us-east-1");

	/* cut at every length: nothing until the whole extension is there, then
	 * the name; never malformed, never a read past the end */
	for (n = 0; n <= h.n; n++) {
		int rc = sni(d, "198.51.100.51", &h, n);

		ck_assert_msg(rc == (n >= sni_end ? 1 : 0), "cut at %zu of %zu: %d", n, h.n, rc);
	}
	/* a ClientHello over two segments: the name in the second is not seen */
	client_hello(&h, "logs.eu-west-1.amazonaws.com", 1400);
	ck_assert_int_eq(sni(d, "198.51.100.52", &h, 1448), 0);
	ck_assert_int_eq(sni(d, "198.51.100.52", &h, h.n), 1);
	expect(d, "198.51.100.52", "logs", "logs.eu-west-1.amazonaws.com", NATGW_DST_SRC_SNI);
	/* a trailing dot is dropped */
	client_hello(&h, "sts.amazonaws.com.", 0);
	ck_assert_int_eq(sni(d, "198.51.100.53", &h, h.n), 1);
	expect(d, "198.51.100.53", "sts", "sts.amazonaws.com", NATGW_DST_SRC_SNI);

	/* nothing to learn: no server name, not TLS, not a ClientHello */
	client_hello(&h, NULL, 0);
	ck_assert_int_eq(sni(d, "198.51.100.54", &h, h.n), 0);
	memcpy(h.b, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	ck_assert_int_eq(sni(d, "198.51.100.54", &h, 27), 0);
	client_hello(&h, "kms.us-east-1.amazonaws.com", 0);
	h.b[5] = 2;               /* ServerHello */
	ck_assert_int_eq(sni(d, "198.51.100.54", &h, h.n), 0);
	h.b[5] = 1;
	h.b[0] = 23;              /* application data */
	ck_assert_int_eq(sni(d, "198.51.100.54", &h, h.n), 0);
	h.b[0] = 22;
	h.b[1] = 2;               /* not TLS */
	ck_assert_int_eq(sni(d, "198.51.100.54", &h, h.n), 0);
	ck_assert_uint_eq(natgw_dst_stats(d)->sni_malformed, 0);
	expect(d, "198.51.100.54", "internet", NULL, NATGW_DST_SRC_NONE);
	ck_assert_int_eq(natgw_dst_learn_sni(d, ip("198.51.100.54"), NULL, 0), 0);
	natgw_dst_free(d);
}
END_TEST

/* @p h with byte @p at set to @p v is refused as malformed. */
static void
sni_bad(struct natgw_dst *d, const struct wbuf *h, size_t at, unsigned int v)
{
	struct wbuf x = *h;
	uint64_t before = natgw_dst_stats(d)->sni_malformed;

	x.b[at] = (uint8_t)v;
	ck_assert_msg(sni(d, "198.51.100.60", &x, x.n) == -1, "byte %zu = %u", at, v);
	ck_assert_uint_eq(natgw_dst_stats(d)->sni_malformed, before + 1);
}

START_TEST(test_sni_malformed)
{
	struct natgw_dst *d = mkdst("sni_bad", 64, NULL);
	const char *name = "ssm.us-east-1.amazonaws.com";
	size_t sid = 5 + 4 + 2 + 32, cs = sid + 33, comp = cs + 8, ext = comp + 2;
	size_t sn = ext + 2 + 7;  /* the server_name extension */
	size_t host = sn + 9;     /* its name */
	struct wbuf h;
	uint64_t seed = 9;
	size_t i, j;

	client_hello(&h, name, 0);
	ck_assert_uint_eq(h.b[sid], 32);
	ck_assert_uint_eq(h.b[cs + 1], 6);
	ck_assert_uint_eq(h.b[comp], 1);
	ck_assert_uint_eq(h.b[sn + 1], 0);
	ck_assert_int_eq(memcmp(h.b + host, name, strlen(name)), 0);

	sni_bad(d, &h, 4, 0);            /* record length 0 */
	sni_bad(d, &h, 3, 0x41);         /* 16640 > 2^14 */
	sni_bad(d, &h, sid, 33);         /* session id over 32 */
	sni_bad(d, &h, cs + 1, 0);       /* no cipher suites */
	sni_bad(d, &h, cs, 0x80);        /* cipher suites past the hello */
	sni_bad(d, &h, comp, 0);         /* no compression method */
	sni_bad(d, &h, ext + 1, (unsigned int)(h.b[ext + 1] - 1)); /* extensions short */
	sni_bad(d, &h, ext + 1, (unsigned int)(h.b[ext + 1] + 1)); /* and long */
	sni_bad(d, &h, sn + 3, 0xff);    /* the extension past the list */
	sni_bad(d, &h, sn + 5, (unsigned int)(h.b[sn + 5] - 1)); /* name list length */
	sni_bad(d, &h, host - 1, 0);     /* an empty host name */
	sni_bad(d, &h, host - 1, 0xff);  /* a host name past its list */
	sni_bad(d, &h, host + 3, ' ');   /* not a host name */
	sni_bad(d, &h, host + 4, '.');   /* "ssm..s-east-1": an empty label */
	sni_bad(d, &h, host, '.');       /* a leading dot */
	sni_bad(d, &h, host + 3, 0);

	/* 20,000 copies with 1-4 bytes changed: any answer, no crash */
	for (i = 0; i < 20000; i++) {
		struct wbuf x = h;
		int rc;

		for (j = 0; j <= rnd(&seed) % 4; j++)
			x.b[rnd(&seed) % x.n] = (uint8_t)rnd(&seed);
		rc = sni(d, "198.51.100.61", &x, x.n);
		ck_assert_int_ge(rc, -1);
		ck_assert_int_le(rc, 1);
	}
	/* and random bytes after a handshake record's first byte */
	for (i = 0; i < 20000; i++) {
		struct wbuf x;

		x.n = rnd(&seed) % 300;
		for (j = 0; j < x.n; j++)
			x.b[j] = (uint8_t)rnd(&seed);
		if (x.n > 5) {
			x.b[0] = 22;
			x.b[1] = 3;
			x.b[5] = 1;
		}
		ck_assert_int_le(sni(d, "198.51.100.62", &x, x.n), 1);
	}
	natgw_dst_free(d);
}
END_TEST

/* ------------------------------------------------ classification, the table */

/* Learn @p name for @p addr through a one-answer DNS response. */
static void
learn(struct natgw_dst *d, const char *addr, const char *name)
{
	struct wbuf m;

	dhead(&m, name, 1);
	dptr(&m, 12);
	da(&m, addr);
	ck_assert_int_eq(natgw_dst_learn_dns(d, m.b, m.n), 1);
}

START_TEST(test_classify_precedence)
{
	struct natgw_dst *d = mkdst("prec", 64, ranges());
	const struct natgw_dst_stats *st = natgw_dst_stats(d);
	struct natgw_dst_result r;
	struct wbuf h;

	ck_assert_ptr_eq(natgw_dst_ranges(d), ranges());
	/* nothing learned: the prefix, else the internet */
	expect(d, "52.217.84.12", "s3", NULL, NATGW_DST_SRC_IPRANGES);
	expect(d, "44.200.1.1", "ec2", NULL, NATGW_DST_SRC_IPRANGES);
	expect(d, "8.8.8.8", "internet", NULL, NATGW_DST_SRC_NONE);
	ck_assert_uint_eq(st->lookups[NATGW_DST_SRC_IPRANGES], 2);
	ck_assert_uint_eq(st->lookups[NATGW_DST_SRC_NONE], 1);

	/* a named service beats the prefix: ECR's registry on an EC2 address */
	learn(d, "44.200.1.1", "123456789012.dkr.ecr.us-west-2.amazonaws.com");
	natgw_dst_classify(d, ip("44.200.1.1"), &r);
	ck_assert_int_eq(r.service, NATGW_DST_ECR_DKR);
	ck_assert_int_eq(r.source, NATGW_DST_SRC_DNS);
	ck_assert_str_eq(natgw_dst_region_name(ranges(), r.region), "us-west-2");
	/* as does a name of the internet where no prefix knows more */
	learn(d, "8.8.8.8", "dns.google");
	expect(d, "8.8.8.8", "internet", "dns.google", NATGW_DST_SRC_DNS);
	/* "aws" from a name against "aws" from a prefix: the name's */
	learn(d, "3.4.12.4", "athena.eu-west-1.amazonaws.com");
	expect(d, "3.4.12.4", "aws", "athena.eu-west-1.amazonaws.com", NATGW_DST_SRC_DNS);

	/* a name that says less than the prefix gives way, and is still told:
	 * a custom host name on S3, a site on CloudFront, a load balancer on EC2 */
	client_hello(&h, "files.example.com", 0);
	ck_assert_int_eq(sni(d, "16.182.65.41", &h, h.n), 1);
	natgw_dst_classify(d, ip("16.182.65.41"), &r);
	ck_assert_int_eq(r.service, NATGW_DST_S3);
	ck_assert_int_eq(r.source, NATGW_DST_SRC_IPRANGES);
	ck_assert_int_eq(r.name_source, NATGW_DST_SRC_SNI);
	ck_assert_str_eq(r.name, "files.example.com");
	ck_assert_str_eq(natgw_dst_region_name(ranges(), r.region), "us-east-1");
	learn(d, "23.228.249.1", "www.example.org");
	expect(d, "23.228.249.1", "cloudfront", "www.example.org", NATGW_DST_SRC_IPRANGES);
	learn(d, "23.254.120.9", "my-lb.sa-west-1.elb.amazonaws.com");
	expect(d, "23.254.120.9", "ec2", "my-lb.sa-west-1.elb.amazonaws.com",
		NATGW_DST_SRC_IPRANGES);

	/* a later name for an address replaces the earlier */
	learn(d, "8.8.8.8", "secretsmanager.us-east-1.amazonaws.com");
	expect(d, "8.8.8.8", "secretsmanager", "secretsmanager.us-east-1.amazonaws.com",
		NATGW_DST_SRC_DNS);
	ck_assert_uint_eq(natgw_dst_count(d), 6);
	ck_assert_uint_eq(st->learned, 7);
	ck_assert_uint_eq(st->lookups[NATGW_DST_SRC_DNS], 4);
	ck_assert_uint_eq(st->lookups[NATGW_DST_SRC_IPRANGES], 5);
	ck_assert_uint_eq(st->lookups[NATGW_DST_SRC_SNI], 0);
	natgw_dst_free(d);

	/* without prefixes: names only */
	d = mkdst("names_only", 8, NULL);
	expect(d, "52.217.84.12", "internet", NULL, NATGW_DST_SRC_NONE);
	learn(d, "52.217.84.12", "s3.us-east-1.amazonaws.com");
	natgw_dst_classify(d, ip("52.217.84.12"), &r);
	ck_assert_int_eq(r.service, NATGW_DST_S3);
	ck_assert_int_eq(r.region, 0);
	natgw_dst_free(d);
}
END_TEST

START_TEST(test_eviction)
{
	struct natgw_dst *d = mkdst("evict", 4, NULL);
	const struct natgw_dst_stats *st = natgw_dst_stats(d);
	char addr[32], name[64];
	unsigned int i;

	ck_assert_ptr_null(natgw_dst_create("zero", 0, SOCKET_ID_ANY, NULL));
	ck_assert_ptr_null(natgw_dst_create("huge", (1u << 24) + 1, SOCKET_ID_ANY, NULL));
	ck_assert_ptr_null(natgw_dst_create("evict", 4, SOCKET_ID_ANY, NULL)); /* taken */
	natgw_dst_free(NULL);

	/* CLOCK: a, b, c, d fill it; e clears every mark and takes a's slot; b
	 * looked up again is kept when f comes, c goes */
	learn(d, "192.0.2.1", "a.example.com");
	learn(d, "192.0.2.2", "b.example.com");
	learn(d, "192.0.2.3", "c.example.com");
	learn(d, "192.0.2.4", "d.example.com");
	ck_assert_uint_eq(natgw_dst_count(d), 4);
	ck_assert_uint_eq(st->evicted, 0);
	learn(d, "192.0.2.5", "e.example.com");
	ck_assert_uint_eq(natgw_dst_count(d), 4);
	ck_assert_uint_eq(st->evicted, 1);
	expect(d, "192.0.2.2", "internet", "b.example.com", NATGW_DST_SRC_DNS);
	learn(d, "192.0.2.6", "f.example.com");
	ck_assert_uint_eq(st->evicted, 2);
	expect(d, "192.0.2.1", "internet", NULL, NATGW_DST_SRC_NONE);
	expect(d, "192.0.2.3", "internet", NULL, NATGW_DST_SRC_NONE);
	expect(d, "192.0.2.2", "internet", "b.example.com", NATGW_DST_SRC_DNS);
	expect(d, "192.0.2.4", "internet", "d.example.com", NATGW_DST_SRC_DNS);
	expect(d, "192.0.2.5", "internet", "e.example.com", NATGW_DST_SRC_DNS);
	expect(d, "192.0.2.6", "internet", "f.example.com", NATGW_DST_SRC_DNS);
	natgw_dst_free(d);

	/* many more names than room: the bound holds, the newest is there */
	d = mkdst("evict_many", 1000, NULL);
	st = natgw_dst_stats(d);
	for (i = 0; i < 5000; i++) {
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", i >> 16, (i >> 8) & 0xff, i & 0xff);
		snprintf(name, sizeof(name), "host%u.example.com", i);
		learn(d, addr, name);
		ck_assert_uint_le(natgw_dst_count(d), 1000);
	}
	ck_assert_uint_eq(natgw_dst_count(d), 1000);
	ck_assert_uint_eq(st->learned, 5000);
	ck_assert_uint_eq(st->evicted, 4000);
	expect(d, addr, "internet", name, NATGW_DST_SRC_DNS);
	natgw_dst_free(d);
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
	tcase_add_test(tc, test_dns_a);
	tcase_add_test(tc, test_dns_cname);
	tcase_add_test(tc, test_dns_malformed);
	tcase_add_test(tc, test_dns_scrambled);
	tcase_add_test(tc, test_sni);
	tcase_add_test(tc, test_sni_malformed);
	tcase_add_test(tc, test_classify_precedence);
	tcase_add_test(tc, test_eviction);
	suite_add_tcase(s, tc);
	rc = natgw_test_run(s);
	natgw_dst_ranges_free(shipped);
	if (tmpdir[0] != '\0')
		rmdir(tmpdir);
	return rc;
}
