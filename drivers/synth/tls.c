/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The destinations, and the bytes of the TLS messages both ends send. A
 * message is never stored: any range of its bytes is made from its seed when a
 * segment is sent, so a retransmission carries exactly the bytes sent before
 * and a flow's memory does not grow with what it sends.
 */
#include <string.h>
#include <strings.h>

#include "synth_private.h"

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

/* The addresses of tools/gen_captures.py's AWS_ENDPOINTS and NON_AWS (checked
 * against data/aws-ip-ranges.json by tests/integration/synth_capture.py);
 * RTTs and rates of a host in us-east-1. */
const struct dest synth_dests[N_DEST] = {
	[D_ECS] = {"ecs.us-east-1.amazonaws.com", IP4(52, 94, 133, 131), 443,
		NATGW_SYNTH_SVC_ecs, 236, 1100, 100, 4200, NULL, 5},
	[D_ECR_API] = {"api.ecr.us-east-1.amazonaws.com", IP4(52, 46, 145, 20), 443,
		NATGW_SYNTH_SVC_ecr_api, 236, 1000, 200, 4300, NULL, 60},
	[D_ECR_DKR] = {"123456789012.dkr.ecr.us-east-1.amazonaws.com", IP4(44, 213, 79, 104), 443,
		NATGW_SYNTH_SVC_ecr_dkr, 232, 1200, 400, 4100, NULL, 60},
	[D_S3_LAYERS] = {"prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com",
		IP4(52, 217, 84, 12), 443, NATGW_SYNTH_SVC_s3, 240, 900, 450, 5200,
		"s3-r-w.us-east-1.amazonaws.com", 5},
	[D_S3] = {"s3.us-east-1.amazonaws.com", IP4(16, 182, 65, 41), 443,
		NATGW_SYNTH_SVC_s3, 240, 950, 450, 5200, "s3-1-w.amazonaws.com", 5},
	[D_DDB] = {"dynamodb.us-east-1.amazonaws.com", IP4(3, 218, 182, 10), 443,
		NATGW_SYNTH_SVC_dynamodb, 233, 800, 200, 3900, NULL, 60},
	[D_LOGS] = {"logs.us-east-1.amazonaws.com", IP4(52, 94, 229, 7), 443,
		NATGW_SYNTH_SVC_logs, 236, 1050, 200, 3800, NULL, 5},
	[D_GITHUB] = {"api.github.com", IP4(140, 82, 112, 6), 443,
		NATGW_SYNTH_SVC_github, 50, 12000, 80, 3600, NULL, 60},
	[D_GDNS] = {"dns.google", IP4(8, 8, 8, 8), 53, NATGW_SYNTH_SVC_dns, 119, 1600, 0, 0,
		NULL, 300},
	[D_METRICS] = {"metrics.example.net", IP4(198, 51, 100, 77), 8125,
		NATGW_SYNTH_SVC_statsd, 52, 20000, 0, 0, NULL, 300},
};

bool
natgw_synth_destination(unsigned int i, const char **name, uint32_t *ip, uint16_t *port)
{
	if (i >= N_DEST)
		return false;
	*name = synth_dests[i].name;
	*ip = synth_dests[i].ip;
	*port = synth_dests[i].port;
	return true;
}

const struct dest *
synth_dest_by_ip(uint32_t ip)
{
	unsigned int i;

	for (i = 0; i < N_DEST; i++)
		if (synth_dests[i].ip == ip)
			return &synth_dests[i];
	return NULL;
}

const struct dest *
synth_dest_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < N_DEST; i++)
		if (strcasecmp(synth_dests[i].name, name) == 0)
			return &synth_dests[i];
	return NULL;
}

uint64_t
synth_region_len(uint64_t n)
{
	uint64_t t;

	if (n < TLS_HDR + CTL_LEN + 1)
		n = TLS_HDR + CTL_LEN + 1;
	t = n % (TLS_HDR + TLS_REC_MAX);
	if (t && t <= TLS_HDR)
		n += TLS_HDR + 1 - t;
	return n;
}

static uint8_t *
put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put_rand(uint8_t *p, struct rng *r, unsigned int n)
{
	while (n--)
		*p++ = (uint8_t)rng_next(r);
	return p;
}

/* An x25519 key share entry (after the extension's type and, for a client,
 * its list length): its length, the group, 32 bytes of key. */
static uint8_t *
key_share(uint8_t *p, struct rng *r)
{
	p = put16(p, 36);
	p = put16(p, 0x001d);
	p = put16(p, 32);
	return put_rand(p, r, 32);
}

/* The record and handshake headers before a handshake message built from
 * out + 9 up to @p end; @return the record's length. */
static uint32_t
handshake(uint8_t *out, const uint8_t *end, unsigned int rec_version, uint8_t type)
{
	out[0] = 0x16;
	put16(out + 1, rec_version);
	put16(out + 3, (unsigned int)(end - out - 5));
	out[5] = type;
	out[6] = 0;
	put16(out + 7, (unsigned int)(end - out - 9));
	return (uint32_t)(end - out);
}

/* A ClientHello shaped like OpenSSL's, TLS 1.3 capable, with the SNI. */
static uint32_t
client_hello(const struct msg *m, uint8_t *out)
{
	static const uint16_t ciphers[] = {0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f,
		0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023,
		0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c,
		0x003d, 0x003c, 0x0035, 0x002f, 0x00ff};
	static const uint8_t fixed_exts[] = {
		0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02,             /* ec_point_formats */
		0x00, 0x0a, 0x00, 0x0a, 0x00, 0x08, 0x00, 0x1d, 0x00, 0x17, /* groups */
		0x00, 0x1e, 0x00, 0x19,
		0x00, 0x23, 0x00, 0x00,                                     /* session_ticket */
		0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2', 0x08,   /* ALPN */
		'h', 't', 't', 'p', '/', '1', '.', '1',
		0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00,             /* etm, ems */
		0x00, 0x0d, 0x00, 0x16, 0x00, 0x14, 0x04, 0x03, 0x05, 0x03, /* sig algs */
		0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
		0x08, 0x0b, 0x08, 0x04, 0x08, 0x05,
		0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03,       /* versions */
		0x00, 0x2d, 0x00, 0x02, 0x01, 0x01,                         /* psk modes */
	};
	const char *name = synth_dests[m->dest].name;
	unsigned int nl = (unsigned int)strlen(name), i;
	struct rng r = {m->seed};
	uint8_t *p = out + 9, *ext;

	p = put16(p, 0x0303);
	p = put_rand(p, &r, 32);
	*p++ = 32;
	p = put_rand(p, &r, 32);
	p = put16(p, 2 * (unsigned int)(sizeof(ciphers) / sizeof(ciphers[0])));
	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		p = put16(p, ciphers[i]);
	*p++ = 1;
	*p++ = 0;
	ext = p;
	p += 2;
	p = put16(p, 0x0000); /* server_name */
	p = put16(p, nl + 5);
	p = put16(p, nl + 3);
	*p++ = 0;
	p = put16(p, nl);
	memcpy(p, name, nl);
	p += nl;
	memcpy(p, fixed_exts, sizeof(fixed_exts));
	p += sizeof(fixed_exts);
	p = put16(p, 0x0033); /* key_share: x25519, its list's length first */
	p = put16(p, 38);
	p = key_share(p, &r);
	put16(ext, (unsigned int)(p - ext - 2));
	/* Record version 0x0301 in a first ClientHello, as OpenSSL sends it. */
	return handshake(out, p, 0x0301, 1);
}

/* ServerHello and ChangeCipherSpec: the rest of the flight is encrypted. */
static uint32_t
server_hello(const struct msg *m, uint8_t *out)
{
	struct rng r = {m->seed};
	uint8_t *p = out + 9, *ext;

	p = put16(p, 0x0303);
	p = put_rand(p, &r, 32);
	*p++ = 32;
	p = put_rand(p, &r, 32);
	p = put16(p, 0x1302);
	*p++ = 0;
	ext = p;
	p += 2;
	p = put16(p, 0x002b);
	p = put16(p, 2);
	p = put16(p, 0x0304);
	p = put16(p, 0x0033);
	p = key_share(p, &r);
	put16(ext, (unsigned int)(p - ext - 2));
	p = out + handshake(out, p, 0x0303, 2);
	memcpy(p, "\x14\x03\x03\x00\x01\x01", 6);
	return (uint32_t)(p + 6 - out);
}

/* ChangeCipherSpec and the (encrypted) Finished, before the first request. */
static uint32_t
client_finished(const struct msg *m, uint8_t *out)
{
	struct rng r = {~m->seed};

	memcpy(out, "\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x45", 11);
	put_rand(out + 11, &r, 0x45);
	return 11 + 0x45;
}

#define PREFIX_MAX 512

static uint32_t
prefix(const struct msg *m, uint8_t *out)
{
	switch (m->kind) {
	case M_HELLO:
		return client_hello(m, out);
	case M_FLIGHT:
		return server_hello(m, out);
	case M_REQUEST:
		return m->first ? client_finished(m, out) : 0;
	default:
		return 0;
	}
}

uint32_t
synth_msg_prefix_len(const struct msg *m)
{
	uint8_t buf[PREFIX_MAX];

	return prefix(m, buf);
}

uint64_t
synth_msg_len(const struct msg *m, uint64_t region)
{
	return synth_msg_prefix_len(m) + (region ? synth_region_len(region) : 0);
}

/* Bytes of an app-data region of @p len bytes: records of at most 16 kB, the
 * first's payload starting with @p ctl (NULL: none), the rest pseudo-random. */
static void
region_bytes(uint64_t seed, uint64_t len, const uint8_t *ctl, uint64_t off, uint8_t *out,
		uint32_t n)
{
	const uint64_t rec_sz = TLS_HDR + TLS_REC_MAX;
	uint64_t chunk = UINT64_MAX, word = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		uint64_t p = off + i, rec = p / rec_sz, o = p % rec_sz;

		if (o < TLS_HDR) {
			uint64_t left = len - rec * rec_sz - TLS_HDR;
			unsigned int pl = (unsigned int)(left < TLS_REC_MAX ? left : TLS_REC_MAX);
			uint8_t h[TLS_HDR] = {0x17, 3, 3, (uint8_t)(pl >> 8), (uint8_t)pl};

			out[i] = h[o];
		} else if (ctl && rec == 0 && o - TLS_HDR < CTL_LEN) {
			out[i] = ctl[o - TLS_HDR];
		} else {
			if (p >> 3 != chunk) {
				chunk = p >> 3;
				word = synth_mix(seed ^ (chunk * 0xd1342543de82ef95ull));
			}
			out[i] = (uint8_t)(word >> ((p & 7) * 8));
		}
	}
}

void
synth_msg_bytes(const struct msg *m, uint64_t off, uint8_t *out, uint32_t n)
{
	uint8_t pre[PREFIX_MAX], ctl[CTL_LEN];
	uint32_t pl = prefix(m, pre), k;
	uint64_t region = m->end - m->start - pl;

	if (off < pl) {
		k = (uint32_t)(pl - off) < n ? (uint32_t)(pl - off) : n;
		memcpy(out, pre + off, k);
		out += k;
		off += k;
		n -= k;
	}
	if (n == 0)
		return;
	if (m->kind == M_REQUEST) {
		synth_wr32(ctl, CTL_MAGIC);
		synth_wr32(ctl + 4, (uint32_t)region);
		synth_wr32(ctl + 8, m->resp);
		synth_wr32(ctl + 12, m->think_us);
		synth_wr32(ctl + 16, m->flags);
	}
	region_bytes(m->seed, region, m->kind == M_REQUEST ? ctl : NULL, off - pl, out, n);
}
