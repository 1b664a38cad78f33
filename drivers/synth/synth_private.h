/* SPDX-License-Identifier: BSD-3-Clause */
/* The synthetic workload's insides, shared by its files (not installed). */
#ifndef NATGW_SYNTH_PRIVATE_H
#define NATGW_SYNTH_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "natgw_synth.h"

#define SEC 1000000000ull
#define MS 1000000ull
#define US 1000ull

#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17

/* A destination, as both ends know it: the hosts resolve and call it, the
 * responder answers as it (its path's RTT, its per-flow rate, its TLS flight). */
struct dest {
	const char *name;     /* DNS name, and the SNI */
	uint32_t ip;          /* host order */
	uint16_t port;
	uint8_t svc;          /* enum natgw_synth_svc */
	uint8_t ttl;          /* the TTL its packets arrive with */
	uint32_t rtt_us;      /* round trip from the gateway */
	uint32_t rate_mbps;   /* one flow's rate at most */
	uint32_t flight;      /* TLS server flight, bytes */
	const char *cname;    /* the resolver answers this CNAME first; NULL: none */
	uint16_t dns_ttl;
};

enum dest_id {
	D_ECS, D_ECR_API, D_ECR_DKR, D_S3_LAYERS, D_S3, D_DDB, D_LOGS, D_GITHUB, D_GDNS,
	D_METRICS, N_DEST
};

extern const struct dest synth_dests[N_DEST];

/* The destination at @p ip (host order), or NULL. */
const struct dest *synth_dest_by_ip(uint32_t ip);
/* The destination called @p name (any case), or NULL. */
const struct dest *synth_dest_by_name(const char *name);

/* A TLS message one end sends: its bytes are made on demand from its seed,
 * the same bytes every time (a retransmission sends what was sent). */
enum msg_kind { M_HELLO, M_FLIGHT, M_REQUEST, M_RESPONSE };

struct msg {
	uint64_t start, end;  /* stream offsets */
	uint64_t seed;
	uint8_t kind;
	uint8_t first;        /* M_REQUEST: the first, after the client's Finished */
	uint8_t flags;        /* M_REQUEST: CTL_* */
	uint8_t dest;         /* M_HELLO: the SNI's destination */
	uint32_t resp;        /* M_REQUEST: response bytes asked */
	uint32_t think_us;    /* M_REQUEST: the server's time to answer */
};

/* The control header a request's first record starts with: what the
 * responder answers (docs/synth.md). Inside "encrypted" bytes on the wire. */
#define CTL_MAGIC 0x4e475359u /* "NGSY" */
#define CTL_LEN 20
#define CTL_CLOSE 0x01        /* the server closes after answering */

#define TLS_REC_MAX 16384
#define TLS_HDR 5

/* Length of an app-data region of about @p n bytes: whole records, none
 * shorter than a header and one byte. Both ends compute it. */
uint64_t synth_region_len(uint64_t n);
/* Length of message @p m's bytes before its app-data region. */
uint32_t synth_msg_prefix_len(const struct msg *m);
/* The length message @p m has with a region of @p region bytes. */
uint64_t synth_msg_len(const struct msg *m, uint64_t region);
/* Bytes [off, off + n) of message @p m (offsets from its start) into @p out. */
void synth_msg_bytes(const struct msg *m, uint64_t off, uint8_t *out, uint32_t n);

/* Big-endian fields of frames and messages. */
static inline void
synth_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
synth_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t
synth_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
synth_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* splitmix64: a seed's next value. */
static inline uint64_t
synth_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t s;
};

static inline uint64_t
rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ull;
	return synth_mix(r->s);
}

/* Uniform in [lo, hi]. */
static inline uint64_t
rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return hi <= lo ? lo : lo + rng_next(r) % (hi - lo + 1);
}

/* Uniform in [0, 1). */
static inline double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

#endif
