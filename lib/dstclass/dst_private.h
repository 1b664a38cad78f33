/* SPDX-License-Identifier: BSD-3-Clause */
/* What the files of lib/dstclass share; not installed. */
#ifndef DST_PRIVATE_H
#define DST_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "natgw_dstclass.h"

/*
 * How much a service id says about where bytes go: 0 internet, 1 some AWS
 * address ("aws"), 2 an AWS network known by its addresses only (EC2,
 * CloudFront), 3 a named service. A chain of DNS names takes its most
 * telling one; a learned name of rank 1 or less gives way to a prefix of
 * higher rank.
 */
unsigned int dst_service_rank(unsigned int id);

/* Whether @p p (@p n bytes) is an AWS region name ("us-east-1", "us-gov-west-1"),
 * case-insensitively. */
bool dst_is_region(const char *p, size_t n);

static inline unsigned char
dst_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* A learned name's lower-case bytes: [a-z0-9-_] and dots between labels. */
static inline bool
dst_host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

#endif /* DST_PRIVATE_H */
