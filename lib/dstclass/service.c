/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service table, and which service a DNS name belongs to.
 *
 * A name is matched from its right end: first a suffix (amazonaws.com,
 * amazonaws.com.cn, api.aws, on.aws; cloudfront.net; ecr.aws), then, under an
 * AWS suffix, the label that names the service: the one before a region label
 * (dynamodb.us-east-1.amazonaws.com), or the last one when there is no region
 * (sts.amazonaws.com), skipping "dualstack" and a "-fips" ending. A few
 * services are spelt otherwise: S3's many forms, ECR's api/dkr, the ECS agent's
 * ecs-a-N and ecs-t-N, EC2's public host names. docs/accounting.md has the
 * table of patterns.
 */
#include <string.h>
#include <strings.h>

#include <rte_common.h>

#include "dst_private.h"

struct dst_service {
	const char *name;     /* in reports */
	const char *endpoint; /* com.amazonaws.<region>.<this>, NULL: none */
	const char *label;    /* <label>.<region>.amazonaws.com, NULL: spelt otherwise */
	uint8_t cls;          /* enum natgw_dst_class */
	uint8_t ep;           /* enum natgw_dst_endpoint */
	uint8_t rank;         /* dst_service_rank() */
};

#define IFACE(id, n, lab) [id] = {n, n, lab, NATGW_DST_CLASS_AWS, NATGW_DST_EP_INTERFACE, 3}

static const struct dst_service services[NATGW_DST_N_SERVICES] = {
	[NATGW_DST_INTERNET] = {"internet", NULL, NULL, NATGW_DST_CLASS_INTERNET,
		NATGW_DST_EP_NONE, 0},
	[NATGW_DST_S3] = {"s3", "s3", NULL, NATGW_DST_CLASS_S3, NATGW_DST_EP_GATEWAY, 3},
	[NATGW_DST_DYNAMODB] = {"dynamodb", "dynamodb", "dynamodb", NATGW_DST_CLASS_DYNAMODB,
		NATGW_DST_EP_GATEWAY, 3},
	IFACE(NATGW_DST_ECR_API, "ecr.api", NULL),
	IFACE(NATGW_DST_ECR_DKR, "ecr.dkr", NULL),
	IFACE(NATGW_DST_ECS, "ecs", "ecs"),
	IFACE(NATGW_DST_ECS_AGENT, "ecs-agent", NULL),
	IFACE(NATGW_DST_ECS_TELEMETRY, "ecs-telemetry", NULL),
	IFACE(NATGW_DST_LOGS, "logs", "logs"),
	IFACE(NATGW_DST_SECRETSMANAGER, "secretsmanager", "secretsmanager"),
	IFACE(NATGW_DST_STS, "sts", "sts"),
	IFACE(NATGW_DST_SSM, "ssm", "ssm"),
	IFACE(NATGW_DST_SSMMESSAGES, "ssmmessages", "ssmmessages"),
	IFACE(NATGW_DST_EC2MESSAGES, "ec2messages", "ec2messages"),
	IFACE(NATGW_DST_KMS, "kms", "kms"),
	IFACE(NATGW_DST_MONITORING, "monitoring", "monitoring"),
	IFACE(NATGW_DST_SQS, "sqs", "sqs"),
	IFACE(NATGW_DST_SNS, "sns", "sns"),
	[NATGW_DST_EC2_API] = {"ec2-api", "ec2", "ec2", NATGW_DST_CLASS_AWS,
		NATGW_DST_EP_INTERFACE, 3},
	IFACE(NATGW_DST_LAMBDA, "lambda", "lambda"),
	IFACE(NATGW_DST_EVENTS, "events", "events"),
	IFACE(NATGW_DST_XRAY, "xray", "xray"),
	IFACE(NATGW_DST_KINESIS_STREAMS, "kinesis-streams", "kinesis"),
	IFACE(NATGW_DST_KINESIS_FIREHOSE, "kinesis-firehose", "firehose"),
	IFACE(NATGW_DST_STATES, "states", "states"),
	IFACE(NATGW_DST_ELB, "elasticloadbalancing", "elasticloadbalancing"),
	IFACE(NATGW_DST_AUTOSCALING, "autoscaling", "autoscaling"),
	IFACE(NATGW_DST_EXECUTE_API, "execute-api", "execute-api"),
	[NATGW_DST_ECR_PUBLIC] = {"ecr-public", NULL, NULL, NATGW_DST_CLASS_AWS,
		NATGW_DST_EP_NONE, 3},
	[NATGW_DST_EC2] = {"ec2", NULL, NULL, NATGW_DST_CLASS_AWS, NATGW_DST_EP_NONE, 2},
	[NATGW_DST_CLOUDFRONT] = {"cloudfront", NULL, NULL, NATGW_DST_CLASS_AWS,
		NATGW_DST_EP_NONE, 2},
	[NATGW_DST_AWS] = {"aws", NULL, NULL, NATGW_DST_CLASS_AWS, NATGW_DST_EP_NONE, 1},
};

static const char *const class_names[NATGW_DST_CLASS_MAX] = {
	[NATGW_DST_CLASS_INTERNET] = "internet",
	[NATGW_DST_CLASS_S3] = "s3",
	[NATGW_DST_CLASS_DYNAMODB] = "dynamodb",
	[NATGW_DST_CLASS_AWS] = "aws",
};

static const char *const source_names[NATGW_DST_SRC_MAX] = {
	[NATGW_DST_SRC_NONE] = "none",
	[NATGW_DST_SRC_DNS] = "dns",
	[NATGW_DST_SRC_SNI] = "sni",
	[NATGW_DST_SRC_IPRANGES] = "ip-ranges",
};

unsigned int
natgw_dst_n_services(void)
{
	return NATGW_DST_N_SERVICES;
}

const char *
natgw_dst_service_name(unsigned int id)
{
	return id < NATGW_DST_N_SERVICES ? services[id].name : NULL;
}

enum natgw_dst_class
natgw_dst_service_class(unsigned int id)
{
	return id < NATGW_DST_N_SERVICES ? services[id].cls : NATGW_DST_CLASS_INTERNET;
}

enum natgw_dst_endpoint
natgw_dst_service_endpoint(unsigned int id)
{
	return id < NATGW_DST_N_SERVICES ? services[id].ep : NATGW_DST_EP_NONE;
}

const char *
natgw_dst_service_endpoint_name(unsigned int id)
{
	return id < NATGW_DST_N_SERVICES ? services[id].endpoint : NULL;
}

unsigned int
dst_service_rank(unsigned int id)
{
	return id < NATGW_DST_N_SERVICES ? services[id].rank : 0;
}

int
natgw_dst_service_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; name != NULL && i < NATGW_DST_N_SERVICES; i++)
		if (strcasecmp(name, services[i].name) == 0)
			return (int)i;
	return -1;
}

const char *
natgw_dst_class_name(enum natgw_dst_class c)
{
	return (unsigned int)c < NATGW_DST_CLASS_MAX ? class_names[c] : NULL;
}

const char *
natgw_dst_source_name(enum natgw_dst_source s)
{
	return (unsigned int)s < NATGW_DST_SRC_MAX ? source_names[s] : NULL;
}

/* ------------------------------------------------------------------ regions */

static bool
all_of(const char *p, size_t n, bool digits)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = dst_lower((unsigned char)p[i]);

		if (digits ? !(c >= '0' && c <= '9') : !(c >= 'a' && c <= 'z'))
			return false;
	}
	return true;
}

static bool
is_direction(const char *p, size_t n)
{
	static const char *const dirs[] = {
		"north", "south", "east", "west", "central",
		"northeast", "northwest", "southeast", "southwest",
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(dirs); i++)
		if (strlen(dirs[i]) == n && strncasecmp(p, dirs[i], n) == 0)
			return true;
	return false;
}

/*
 * A region is dash-separated words: a 2-4 letter area ("us", "eusc"), up to
 * two qualifiers ("gov", "iso", "de"), a direction, and a number of one or
 * two digits: us-east-1, us-gov-west-1, eusc-de-east-1, cn-northwest-1.
 */
bool
dst_is_region(const char *p, size_t n)
{
	const char *w[5];
	size_t wl[5], i, nw = 0, start = 0;

	if (n == 0 || n >= NATGW_DST_REGION_MAX)
		return false;
	for (i = 0; i <= n; i++) {
		if (i < n && p[i] != '-')
			continue;
		if (nw == RTE_DIM(w) || i == start)
			return false;
		w[nw] = p + start;
		wl[nw++] = i - start;
		start = i + 1;
	}
	if (nw < 3 || wl[0] < 2 || wl[0] > 4 || !all_of(w[0], wl[0], false))
		return false;
	for (i = 1; i + 2 < nw; i++)
		if (wl[i] > 8 || !all_of(w[i], wl[i], false))
			return false;
	return is_direction(w[nw - 2], wl[nw - 2]) && wl[nw - 1] <= 2 &&
		all_of(w[nw - 1], wl[nw - 1], true);
}

/* -------------------------------------------------------------- name → service */

/* Labels kept from a name's right end: enough for every pattern. */
#define NM_LABELS 8

struct label {
	const char *p;
	size_t n;
};

/* A name's labels from the right: l[0] is the last. */
struct name_labels {
	struct label l[NM_LABELS];
	unsigned int n; /* labels in l (at most NM_LABELS; the name may have more) */
};

static bool
lab_is(const struct label *l, const char *s)
{
	size_t n = strlen(s);

	return l->n == n && strncasecmp(l->p, s, n) == 0;
}

static bool
lab_starts(const struct label *l, const char *s)
{
	size_t n = strlen(s);

	return l->n > n && strncasecmp(l->p, s, n) == 0;
}

/*
 * Split @p name (@p len bytes, no trailing dot) into labels from the right.
 * @return false for an empty label or a byte no host name has.
 */
static bool
split_labels(const char *name, size_t len, struct name_labels *nl)
{
	size_t end = len, i;

	nl->n = 0;
	for (i = len; ; i--) {
		if (i == 0 || name[i - 1] == '.') {
			if (i == end)
				return false; /* empty label */
			if (nl->n < NM_LABELS)
				nl->l[nl->n++] = (struct label){name + i, end - i};
			end = i - 1;
			if (i == 0)
				return true;
			continue;
		}
		if (!dst_host_char(dst_lower((unsigned char)name[i - 1])))
			return false;
	}
}

enum suffix_kind { SFX_NONE, SFX_AWS, SFX_CLOUDFRONT, SFX_ECR_AWS };

static const struct {
	const char *labels[3]; /* from the right */
	enum suffix_kind kind;
} suffixes[] = {
	{{"com", "amazonaws", NULL}, SFX_AWS},
	{{"cn", "com", "amazonaws"}, SFX_AWS},
	{{"aws", "api", NULL}, SFX_AWS},
	{{"aws", "on", NULL}, SFX_AWS},
	{{"net", "cloudfront", NULL}, SFX_CLOUDFRONT},
	{{"aws", "ecr", NULL}, SFX_ECR_AWS},
};

/* Which suffix @p nl ends with; @p used gets its number of labels. */
static enum suffix_kind
match_suffix(const struct name_labels *nl, unsigned int *used)
{
	unsigned int i, j;

	for (i = 0; i < RTE_DIM(suffixes); i++) {
		for (j = 0; j < 3 && suffixes[i].labels[j] != NULL; j++)
			if (j >= nl->n || !lab_is(&nl->l[j], suffixes[i].labels[j]))
				break;
		if (j == 3 || suffixes[i].labels[j] == NULL) {
			*used = j;
			return suffixes[i].kind;
		}
	}
	return SFX_NONE;
}

static void
put_region(const struct label *l, char *out, size_t outlen)
{
	size_t i, n;

	if (out == NULL || outlen == 0)
		return;
	n = l == NULL ? 0 : RTE_MIN(l->n, outlen - 1);
	for (i = 0; i < n; i++)
		out[i] = (char)dst_lower((unsigned char)l->p[i]);
	out[n] = '\0';
}

/* S3 spelt in one label: s3, s3-external-1, s3-accesspoint, s3-website, and
 * s3-<region> or s3-website-<region> (the region then goes to @p region). */
static bool
s3_label(const struct label *l, struct label *region)
{
	static const char *const plain[] = {"s3", "s3-external-1", "s3-accesspoint", "s3-website"};
	static const char *const with_region[] = {"s3-website-", "s3-"};
	unsigned int i;

	for (i = 0; i < RTE_DIM(plain); i++)
		if (lab_is(l, plain[i]))
			return true;
	for (i = 0; i < RTE_DIM(with_region); i++) {
		size_t k = strlen(with_region[i]);

		if (lab_starts(l, with_region[i]) && dst_is_region(l->p + k, l->n - k)) {
			*region = (struct label){l->p + k, l->n - k};
			return true;
		}
	}
	return false;
}

/* The service of a name under an AWS suffix: @p p are the labels before
 * the suffix (p[0] the last of them), @p np how many. */
static int
aws_service(const struct label *p, unsigned int np, struct label *region)
{
	struct label svc;
	unsigned int s = 0, i;
	const char *fips = "-fips";

	if (np == 0)
		return NATGW_DST_AWS;
	/* The region: the last label, or the one before it (legacy and host
	 * names: us-west-2.queue, ec2-x.us-west-2.compute; not S3's, where it
	 * would be a bucket's name). */
	if (dst_is_region(p[0].p, p[0].n)) {
		*region = p[0];
		s = 1;
	} else if (np > 1 && !lab_starts(&p[0], "s3") && !lab_is(&p[0], "s3") &&
			dst_is_region(p[1].p, p[1].n)) {
		*region = p[1];
	}
	if (s >= np)
		return NATGW_DST_AWS;
	if (lab_is(&p[s], "dualstack") && s + 1 < np)
		s++;
	svc = p[s];
	if (svc.n > strlen(fips) && strncasecmp(svc.p + svc.n - strlen(fips), fips,
			strlen(fips)) == 0)
		svc.n -= strlen(fips);

	if (s3_label(&svc, region))
		return NATGW_DST_S3;
	if (lab_is(&svc, "ecr"))
		return s + 1 < np && lab_is(&p[s + 1], "dkr") ? NATGW_DST_ECR_DKR :
			NATGW_DST_ECR_API;
	if (lab_is(&svc, "dkr-ecr"))
		return NATGW_DST_ECR_DKR;
	if (lab_starts(&svc, "ecs-a-"))
		return NATGW_DST_ECS_AGENT;
	if (lab_starts(&svc, "ecs-t-"))
		return NATGW_DST_ECS_TELEMETRY;
	if (lab_is(&svc, "compute") || lab_is(&svc, "compute-1"))
		return NATGW_DST_EC2;
	if (lab_is(&svc, "queue"))
		return NATGW_DST_SQS;
	for (i = 0; i < NATGW_DST_N_SERVICES; i++)
		if (services[i].label != NULL && lab_is(&svc, services[i].label))
			return (int)i;
	return NATGW_DST_AWS;
}

int
natgw_dst_name_service(const char *dns_name, char *region_out, size_t region_len)
{
	struct label region = {NULL, 0};
	struct name_labels nl;
	unsigned int used = 0;
	size_t len;
	int id = NATGW_DST_INTERNET;

	put_region(NULL, region_out, region_len);
	if (dns_name == NULL)
		return id;
	len = strlen(dns_name);
	if (len > 0 && dns_name[len - 1] == '.')
		len--;
	if (len == 0 || len >= NATGW_DST_NAME_MAX || !split_labels(dns_name, len, &nl))
		return id;
	switch (match_suffix(&nl, &used)) {
	case SFX_AWS:
		id = aws_service(nl.l + used, nl.n - used, &region);
		break;
	case SFX_CLOUDFRONT:
		id = NATGW_DST_CLOUDFRONT;
		break;
	case SFX_ECR_AWS:
		id = nl.n > used && lab_is(&nl.l[used], "public") ? NATGW_DST_ECR_PUBLIC :
			NATGW_DST_AWS;
		break;
	case SFX_NONE:
		break;
	}
	if (region.p != NULL)
		put_region(&region, region_out, region_len);
	return id;
}
