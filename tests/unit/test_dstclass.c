/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Check suite for destination classes (lib/dstclass): the service table and
 * DNS names to services.
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

static void
setup(void)
{
	natgw_test_eal();
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

int
main(void)
{
	Suite *s = suite_create("dstclass");
	TCase *tc = tcase_create("dstclass");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_service_table);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_name_regions);
	suite_add_tcase(s, tc);
	return natgw_test_run(s);
}
