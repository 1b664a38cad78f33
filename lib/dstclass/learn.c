/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names from traffic: the A records of DNS responses and the server name of
 * TLS ClientHellos. Both parsers take bytes off the wire: every length is
 * checked against what is there before it is used, and every loop is bounded
 * by the message (DNS compression pointers must point backwards, so a name
 * cannot loop, and a name has at most 127 of them anyway).
 */
#include <string.h>

#include <rte_common.h>

#include "dst_private.h"

/* ---------------------------------------------------------------------- DNS */

#define DNS_HDR 12
#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_CLASS_IN 1
#define DNS_NAME_WIRE_MAX 255 /* RFC 1035 3.1 */
#define DNS_MAX_HOPS 127
/* Records and names followed at most: a CNAME chain is a handful in practice. */
#define DNS_MAX_RR 256
#define DNS_MAX_CHAIN 8

/* A name read from a message. */
enum { NAME_OK = 0, NAME_BAD = -1, NAME_NOT_HOST = 1 };

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Read the name at @p off into @p out (lower case, labels joined by dots, ""
 * for the root). @p next gets the offset just after the name where it
 * starts (after its first pointer). @return NAME_OK; NAME_BAD for a name past
 * the message, a forward or self pointer, a reserved label type or more than
 * 255 bytes; NAME_NOT_HOST for a well-formed name with a byte no host name
 * has (@p out is then not to be used).
 */
static int
dns_name(const uint8_t *m, size_t len, size_t off, char *out, size_t *next)
{
	size_t o = 0, wire = 1, seg = off, i; /* seg: where this run of labels began */
	unsigned int hops = 0;
	bool host = true, jumped = false;

	for (;;) {
		uint8_t c;

		if (off >= len)
			return NAME_BAD;
		c = m[off];
		if (c == 0) {
			if (!jumped)
				*next = off + 1;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			size_t to;

			if (off + 1 >= len)
				return NAME_BAD;
			to = (size_t)(c & 0x3f) << 8 | m[off + 1];
			if (to >= seg || ++hops > DNS_MAX_HOPS)
				return NAME_BAD;
			if (!jumped)
				*next = off + 2;
			jumped = true;
			off = seg = to;
			continue;
		}
		if (c & 0xc0)
			return NAME_BAD; /* 0x40, 0x80: reserved */
		wire += c + 1u;
		if (wire > DNS_NAME_WIRE_MAX || off + 1 + c > len)
			return NAME_BAD;
		if (o > 0)
			out[o++] = '.';
		for (i = 0; i < c; i++) {
			unsigned char b = dst_lower(m[off + 1 + i]);

			host &= dst_host_char(b);
			out[o++] = (char)b;
		}
		off += 1u + c;
	}
	out[o] = '\0';
	return host ? NAME_OK : NAME_NOT_HOST;
}

/* Skip the name at @p off (not following pointers). @return the offset after
 * it, or 0 when it runs past the message. */
static size_t
dns_skip_name(const uint8_t *m, size_t len, size_t off)
{
	while (off < len) {
		uint8_t c = m[off];

		if (c == 0)
			return off + 1;
		if ((c & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (c & 0xc0)
			return 0;
		off += 1u + c;
	}
	return 0;
}

/* An A or CNAME answer of class IN. */
struct dns_rr {
	uint16_t type;
	uint16_t rdlen;
	uint32_t owner; /* offset of its name */
	uint32_t rdata; /* offset of its data */
};

/* The names of a chain: the question's, then each CNAME's target. */
struct dns_chain {
	char name[DNS_MAX_CHAIN][NATGW_DST_NAME_MAX];
	unsigned int n;
};

static bool
in_chain(const struct dns_chain *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return true;
	return false;
}

/*
 * Walk the answer section from @p off: every record checked against the
 * message; the A and CNAME ones of class IN (up to DNS_MAX_RR) kept in @p rr,
 * their names read in full (the owner, a CNAME's target, which must fill its
 * data exactly). @return how many were kept, or -1 for a malformed section.
 */
static int
dns_answers(const uint8_t *m, size_t len, size_t off, unsigned int ancount, struct dns_rr *rr)
{
	char name[NATGW_DST_NAME_MAX];
	unsigned int i, n = 0;
	size_t next;

	for (i = 0; i < ancount; i++) {
		size_t owner = off;
		uint16_t type, cls, rdlen;

		off = dns_skip_name(m, len, off);
		if (off == 0 || off + 10 > len)
			return -1;
		type = get16(m + off);
		cls = get16(m + off + 2);
		rdlen = get16(m + off + 8);
		off += 10;
		if (off + rdlen > len)
			return -1;
		if (cls == DNS_CLASS_IN && (type == DNS_TYPE_A || type == DNS_TYPE_CNAME) &&
				n < DNS_MAX_RR) {
			if (type == DNS_TYPE_A && rdlen != 4)
				return -1;
			if (dns_name(m, len, owner, name, &next) == NAME_BAD)
				return -1;
			if (type == DNS_TYPE_CNAME &&
					(dns_name(m, off + rdlen, off, name, &next) == NAME_BAD ||
					next != off + rdlen))
				return -1;
			rr[n++] = (struct dns_rr){type, rdlen, (uint32_t)owner, (uint32_t)off};
		}
		off += rdlen;
	}
	return (int)n;
}

/* Extend the chain with the CNAMEs whose owner is in it, in any order (a pass
 * per link at most). The records were checked by dns_answers(). */
static void
dns_follow(const uint8_t *m, size_t len, const struct dns_rr *rr, unsigned int n,
		struct dns_chain *c)
{
	char owner[NATGW_DST_NAME_MAX];
	bool grew = true;
	unsigned int i;
	size_t next;

	while (grew && c->n < DNS_MAX_CHAIN) {
		grew = false;
		for (i = 0; i < n && c->n < DNS_MAX_CHAIN; i++) {
			if (rr[i].type != DNS_TYPE_CNAME ||
					dns_name(m, len, rr[i].owner, owner, &next) != NAME_OK ||
					!in_chain(c, owner))
				continue;
			if (dns_name(m, len, rr[i].rdata, c->name[c->n], &next) == NAME_OK &&
					!in_chain(c, c->name[c->n])) {
				c->n++;
				grew = true;
			}
		}
	}
}

/* The chain's service: its most telling name's (the first of those), and a
 * region: that name's, else the first name's that has one. */
static unsigned int
chain_service(const struct dns_chain *c, char *region)
{
	char reg[NATGW_DST_REGION_MAX];
	unsigned int i, best = 0, rank = 0;

	region[0] = '\0';
	for (i = 0; i < c->n; i++) {
		unsigned int s = (unsigned int)natgw_dst_name_service(c->name[i], reg,
			sizeof(reg));

		if (i == 0 || dst_service_rank(s) > rank) {
			best = s;
			rank = dst_service_rank(s);
			if (reg[0] != '\0')
				memcpy(region, reg, sizeof(reg));
		} else if (region[0] == '\0' && reg[0] != '\0') {
			memcpy(region, reg, sizeof(reg));
		}
	}
	return best;
}

/* The message's addresses into @p d. @return how many, or -1 if malformed. */
static int
dns_parse(struct natgw_dst *d, const uint8_t *m, size_t len)
{
	struct dns_rr rr[DNS_MAX_RR];
	struct dns_chain chain;
	char owner[NATGW_DST_NAME_MAX], region[NATGW_DST_REGION_MAX];
	unsigned int qd, an, i, service;
	size_t off = DNS_HDR, next = 0;
	int n, rc, learned = 0;
	bool use;

	if (len < DNS_HDR)
		return -1;
	/* QR set, opcode 0 (QUERY), RCODE 0: an answer to a query */
	if (!(m[2] & 0x80) || (m[2] & 0x78) != 0 || (m[3] & 0x0f) != 0)
		return 0;
	qd = get16(m + 4);
	an = get16(m + 6);
	if (qd == 0)
		return 0;
	rc = dns_name(m, len, off, chain.name[0], &next);
	if (rc == NAME_BAD || next + 4 > len)
		return -1;
	use = rc == NAME_OK && chain.name[0][0] != '\0' && get16(m + next + 2) == DNS_CLASS_IN;
	off = next + 4;
	for (i = 1; i < qd; i++) {
		off = dns_skip_name(m, len, off);
		if (off == 0 || off + 4 > len)
			return -1;
		off += 4;
	}
	n = dns_answers(m, len, off, an, rr);
	if (n < 0)
		return -1;
	if (!use || n == 0)
		return 0;
	chain.n = 1;
	dns_follow(m, len, rr, (unsigned int)n, &chain);
	service = chain_service(&chain, region);
	for (i = 0; i < (unsigned int)n; i++) {
		uint32_t ip;

		if (rr[i].type != DNS_TYPE_A ||
				dns_name(m, len, rr[i].owner, owner, &next) != NAME_OK ||
				!in_chain(&chain, owner))
			continue;
		memcpy(&ip, m + rr[i].rdata, 4); /* network order as it stands */
		dst_learn(d, ip, chain.name[0], service, region, NATGW_DST_SRC_DNS);
		learned++;
	}
	return learned;
}

int
natgw_dst_learn_dns(struct natgw_dst *d, const uint8_t *dns, size_t len)
{
	int n = dns == NULL ? -1 : dns_parse(d, dns, len);

	if (n < 0)
		d->stats.dns_malformed++;
	return n;
}

/* ---------------------------------------------------------------------- TLS */

#define TLS_HANDSHAKE 22
#define TLS_CLIENT_HELLO 1
#define TLS_RECORD_MAX 16384 /* RFC 8446 5.1 */
#define TLS_EXT_SERVER_NAME 0
#define TLS_SNI_HOST_NAME 0

/* What the parse found. */
enum { SNI_BAD = -1, SNI_NONE = 0, SNI_FOUND = 1 };

/*
 * A cursor over a ClientHello: `end` is where its own lengths say it ends,
 * `have` where the bytes given end. A length past `end` is malformed; one
 * past `have` only means the rest is in a later segment.
 */
struct tls_cur {
	const uint8_t *p;
	size_t pos, end, have;
};

/* Whether @p n more bytes are there: SNI_FOUND yes, SNI_BAD past the end the
 * message declares, SNI_NONE past the bytes given. */
static int
tls_need(const struct tls_cur *c, size_t n)
{
	if (n > c->end - c->pos)
		return SNI_BAD;
	if (c->pos + n > c->have)
		return SNI_NONE;
	return SNI_FOUND;
}

/* Skip a vector with a @p lb -byte length; @p min, @p max bound its length. */
static int
tls_skip_vec(struct tls_cur *c, size_t lb, size_t min, size_t max)
{
	size_t n;
	int rc;

	if ((rc = tls_need(c, lb)) != SNI_FOUND)
		return rc;
	n = lb == 1 ? c->p[c->pos] : get16(c->p + c->pos);
	if (n < min || n > max)
		return SNI_BAD;
	c->pos += lb;
	if ((rc = tls_need(c, n)) != SNI_FOUND)
		return rc;
	c->pos += n;
	return SNI_FOUND;
}

/* The server_name extension's data, all of it there (RFC 6066 3): the first
 * host_name, a host name (a trailing dot is dropped). */
static int
tls_server_name(const uint8_t *p, size_t n, char *out)
{
	size_t off = 2, i;

	if (n < 2 || get16(p) != n - 2)
		return SNI_BAD;
	while (off < n) {
		size_t l;

		if (off + 3 > n)
			return SNI_BAD;
		l = get16(p + off + 1);
		if (off + 3 + l > n)
			return SNI_BAD;
		if (p[off] == TLS_SNI_HOST_NAME) {
			if (l > 1 && p[off + 3 + l - 1] == '.')
				l--;
			if (l == 0 || l >= NATGW_DST_NAME_MAX)
				return SNI_BAD;
			for (i = 0; i < l; i++) {
				unsigned char b = dst_lower(p[off + 3 + i]);

				/* labels of host name bytes, not empty */
				if (!dst_host_char(b) &&
						(b != '.' || i == 0 || out[i - 1] == '.' || i == l - 1))
					return SNI_BAD;
				out[i] = (char)b;
			}
			out[l] = '\0';
			return SNI_FOUND;
		}
		off += 3 + l;
	}
	return SNI_NONE;
}

/* The ClientHello's server name into @p out. */
static int
sni_parse(const uint8_t *p, size_t len, char *out)
{
	struct tls_cur c;
	size_t rlen, hlen, ext_end;
	int rc;

	if (len < 5 || p[0] != TLS_HANDSHAKE || p[1] != 3)
		return SNI_NONE; /* not TLS, or too little to tell */
	rlen = get16(p + 3);
	if (rlen == 0 || rlen > TLS_RECORD_MAX)
		return SNI_BAD;
	/* The record's bytes: a ClientHello longer than its record goes on in
	 * the next record, beyond what is parsed here. */
	if (len - 5 < 4 || rlen < 4)
		return SNI_NONE;
	p += 5;
	if (p[0] != TLS_CLIENT_HELLO)
		return SNI_NONE;
	hlen = (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	c = (struct tls_cur){p, 4, 4 + hlen, RTE_MIN(len - 5, rlen)};
	/* legacy_version, random */
	if ((rc = tls_need(&c, 34)) != SNI_FOUND)
		return rc;
	c.pos += 34;
	if ((rc = tls_skip_vec(&c, 1, 0, 32)) != SNI_FOUND ||        /* session id */
			(rc = tls_skip_vec(&c, 2, 2, 65534)) != SNI_FOUND || /* cipher suites */
			(rc = tls_skip_vec(&c, 1, 1, 255)) != SNI_FOUND)     /* compression */
		return rc;
	if (c.pos == c.end)
		return SNI_NONE; /* no extensions */
	if ((rc = tls_need(&c, 2)) != SNI_FOUND)
		return rc;
	ext_end = c.pos + 2 + get16(p + c.pos);
	if (ext_end != c.end)
		return SNI_BAD; /* the extensions end the message */
	c.pos += 2;
	while (c.pos < ext_end) {
		size_t type, elen;

		if ((rc = tls_need(&c, 4)) != SNI_FOUND)
			return rc;
		type = get16(p + c.pos);
		elen = get16(p + c.pos + 2);
		c.pos += 4;
		if ((rc = tls_need(&c, elen)) != SNI_FOUND)
			return rc;
		if (type == TLS_EXT_SERVER_NAME)
			return tls_server_name(p + c.pos, elen, out);
		c.pos += elen;
	}
	return SNI_NONE;
}

int
natgw_dst_learn_sni(struct natgw_dst *d, uint32_t dst_ip, const uint8_t *tcp_payload,
		size_t len)
{
	char name[NATGW_DST_NAME_MAX], region[NATGW_DST_REGION_MAX];
	int rc, service;

	rc = tcp_payload == NULL ? SNI_NONE : sni_parse(tcp_payload, len, name);
	if (rc == SNI_BAD) {
		d->stats.sni_malformed++;
		return -1;
	}
	if (rc == SNI_NONE)
		return 0;
	service = natgw_dst_name_service(name, region, sizeof(region));
	dst_learn(d, dst_ip, name, (unsigned int)service, region, NATGW_DST_SRC_SNI);
	return 1;
}
