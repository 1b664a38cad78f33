/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The scenario in virtual time: one queue of events ordered by (time, order
 * made) holds the frames due to the caller, the frames delivered back (each
 * received a path's delay later) and the objects' wake-ups. An object (an
 * agent, a task, a connection, a query, the burst, a responder flow) keeps
 * one wake time; an earlier one pushes a new event and the later event left
 * behind is skipped when it comes up. Frames are made when due, one segment
 * at a time, so memory follows what is in flight, not what a flow will send.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "natgw_csum.h"
#include "natgw_pkt.h"
#include "synth_private.h"

/* ------------------------------------------------------------ the model */

#define HOST_DELAY (20 * US)    /* gateway to host, inside the VPC */
#define RESOLVER_DELAY (350 * US)
#define DELACK (40 * MS)        /* Linux's delayed ACK */
#define TIME_WAIT (1 * SEC)     /* short: the scenario ends when all is quiet */
#define GRACE (300 * SEC)       /* the hard bound, after the duration */
#define SYN_RTO (1 * SEC)
#define RTO_MAX (60 * SEC)
#define RCV_WND (1u << 20)
#define WSCALE 7
#define HOST_MSS 8961           /* a 9001-byte VPC MTU */
#define SERVER_MSS 1460
#define CWND_MAX 2048.0
#define QMAX 4
#define FRAME_MAX 2048
#define ETH_LEN 14
#define PING_TIMEOUT (2 * SEC)
#define APP_TIMEOUT (60 * SEC)  /* a client waiting with nothing arriving gives up */
#define SERVER_IDLE (120 * SEC) /* a responder flow hearing nothing is forgotten */
#define BURST_PAYLOAD 1400

static const uint8_t router_mac[6] = {0x02, 0, 0, 0, 0, 0x01};

static const char *const svc_names[NATGW_SYNTH_N_SVC] = {
#define NATGW_SYNTH_SVC_NAME(n) #n,
	NATGW_SYNTH_SERVICES(NATGW_SYNTH_SVC_NAME)
#undef NATGW_SYNTH_SVC_NAME
};

const char *
natgw_synth_svc_name(unsigned int svc)
{
	return svc < NATGW_SYNTH_N_SVC ? svc_names[svc] : "?";
}

/* A flow as its receiver reads an arriving frame: local is the destination
 * of the frame, remote its source. Host and responder flows never share a
 * key: `resp` tells them apart (in a direct run the two ends of one flow
 * see the same addresses). */
struct fkey {
	uint32_t lip, rip;
	uint16_t lport, rport;
	uint8_t proto, resp;
};

enum tstate { T_CLOSED, T_SYN_SENT, T_SYN_RCVD, T_EST, T_TIME_WAIT };

struct tcb {
	uint8_t state;
	bool syn_out;           /* the SYN (SYN-ACK) is out, awaiting its answer */
	bool syn_again;         /* it was sent more than once (no RTT sample) */
	bool fin_q, fin_sent, fin_ever, fin_acked, fin_rcvd;
	bool ack_now, timing;
	uint32_t iss, irs;
	uint64_t una, nxt, max, qend; /* stream offsets of the data */
	uint64_t rcv;
	uint32_t peer_wnd;
	uint16_t mss, peer_mss;
	uint8_t peer_ws;
	uint16_t ipid;
	double cwnd, ssthresh, rate, cap;
	uint64_t srtt, rttvar, rto, rto_calc, rto_at, syn_t;
	uint32_t tries, dupacks, ack_pend;
	uint64_t time_off, time_t, pace_at, ack_at, tw_until;
	struct msg q[QMAX];
	uint8_t qh, qn;
};

enum okind { O_AGENT, O_TASK, O_BURST, O_CONN, O_SERVER, O_QUERY, O_PING };

/* The client's part of a connection: its exchanges. */
enum cphase { C_SYN, C_HELLO, C_REQ, C_IDLE, C_WAIT_FIN, C_CLOSING };

/* The responder's part: a stream parser over TLS records. */
struct rparse {
	uint8_t hdr[TLS_HDR + CTL_LEN];
	uint8_t hn;
	uint8_t stage;          /* 0 hello, 1 finished, 2 requests, 3 not TLS */
	uint8_t rtype;
	bool in_req, want_ctl;
	uint32_t rleft;
	uint64_t req_left;
	/* the answer due */
	bool pending;
	uint8_t p_kind, p_flags;
	uint64_t p_at, p_len, p_think;
};

struct obj {
	uint8_t kind, svc, dest, phase;
	bool linked, armed, ok, done;
	uint32_t gen;
	uint32_t hnext;          /* hash chain: index + 1 */
	struct fkey key;
	uint64_t wake, last_rx, last_wake;
	uint32_t spin;           /* wake-ups in a row at one time */
	uint32_t owner;          /* the task or agent: index, UINT32_MAX none */
	uint32_t host;
	struct rng rng;
	uint32_t children, failed_children;
	uint64_t t0, end_at, timer;
	/* conn */
	struct tcb t;
	uint32_t n_ex, ex;
	uint64_t every, expect;
	bool last_close;
	struct rparse rp;
	/* task */
	bool internet, dns_ok, github;
	uint32_t pings_left;
	/* query / ping / burst */
	uint16_t id, sport;
	uint32_t tries;
	uint64_t left;
	uint64_t seq;
};

struct host {
	uint32_t ip;
	uint16_t ipid;
};

enum evtype { EV_FRAME, EV_RECV, EV_WAKE };

struct ev {
	uint64_t t, seq;
	uint8_t *buf;
	uint32_t len;
	uint32_t obj, gen;
	uint8_t type, side;
};

struct natgw_synth {
	struct natgw_synth_conf c;
	struct natgw_synth_stats st;
	struct rng rng;
	uint64_t now, bound, seq;
	struct ev *heap;
	size_t nheap, capheap;
	struct obj **objs;
	uint32_t nobjs, capobjs, *freel, nfree;
	uint32_t *buckets, nbuckets;
	uint32_t resp_flows;
	struct host *hosts;
	uint8_t statsd_payload[BURST_PAYLOAD];
};

/* ------------------------------------------------------------ the queue */

static bool
ev_before(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int
push(struct natgw_synth *s, struct ev *e)
{
	size_t i;

	if (s->nheap == s->capheap) {
		size_t n = s->capheap ? 2 * s->capheap : 1024;
		struct ev *h = realloc(s->heap, n * sizeof(*h));

		if (h == NULL)
			return -1;
		s->heap = h;
		s->capheap = n;
	}
	if (e->t < s->now)
		e->t = s->now;
	e->seq = s->seq++;
	i = s->nheap++;
	while (i > 0 && ev_before(e, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = *e;
	return 0;
}

static void
pop(struct natgw_synth *s)
{
	struct ev last = s->heap[--s->nheap];
	size_t i = 0, n = s->nheap;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && ev_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (n)
		s->heap[i] = last;
}

/* A frame due to the caller at @p t. */
static void
emit(struct natgw_synth *s, uint64_t t, enum natgw_synth_side side, const uint8_t *f,
		uint32_t len)
{
	struct ev e = {.t = t, .len = len, .type = EV_FRAME, .side = (uint8_t)side};

	e.buf = malloc(len);
	if (e.buf == NULL)
		return;
	memcpy(e.buf, f, len);
	if (push(s, &e) < 0)
		free(e.buf);
}

static void
arm(struct natgw_synth *s, struct obj *o, uint32_t idx, uint64_t t)
{
	struct ev e = {.t = t, .type = EV_WAKE, .obj = idx, .gen = o->gen};

	if (t == UINT64_MAX || (o->armed && o->wake <= t))
		return;
	if (t < s->now)
		t = e.t = s->now;
	/* A guard against a livelock (an object that keeps asking for the
	 * same instant without progress): counted, and pushed a millisecond
	 * on, so that a caller's loop always moves. */
	if (o->spin > 1000 && t == s->now) {
		s->st.stalls++;
		t = e.t = s->now + MS;
		o->spin = 0;
	}
	if (push(s, &e) < 0)
		return;
	o->armed = true;
	o->wake = t;
}

/* ------------------------------------------------------------ objects */

static uint32_t
key_hash(const struct fkey *k)
{
	uint64_t h = synth_mix(((uint64_t)k->lip << 32 | k->rip) ^
		((uint64_t)k->lport << 24 | (uint64_t)k->rport << 8 | k->proto) ^
		((uint64_t)k->resp << 60));

	return (uint32_t)h;
}

static bool
key_eq(const struct fkey *a, const struct fkey *b)
{
	return a->lip == b->lip && a->rip == b->rip && a->lport == b->lport &&
		a->rport == b->rport && a->proto == b->proto && a->resp == b->resp;
}

static struct obj *
lookup(const struct natgw_synth *s, const struct fkey *k, uint32_t *idx)
{
	uint32_t i = s->buckets[key_hash(k) & (s->nbuckets - 1)];

	while (i) {
		struct obj *o = s->objs[i - 1];

		if (key_eq(&o->key, k)) {
			*idx = i - 1;
			return o;
		}
		i = o->hnext;
	}
	return NULL;
}

static void
link_key(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	uint32_t *b = &s->buckets[key_hash(&o->key) & (s->nbuckets - 1)];

	o->hnext = *b;
	*b = idx + 1;
	o->linked = true;
}

static void
unlink_key(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	uint32_t *p = &s->buckets[key_hash(&o->key) & (s->nbuckets - 1)];

	while (*p && *p != idx + 1)
		p = &s->objs[*p - 1]->hnext;
	if (*p)
		*p = o->hnext;
	o->linked = false;
}

static struct obj *
obj_new(struct natgw_synth *s, uint8_t kind, uint32_t *idx)
{
	struct obj *o;
	uint32_t i, gen = 0;

	if (s->nfree) {
		i = s->freel[--s->nfree];
		o = s->objs[i];
		gen = o->gen + 1;
	} else {
		if (s->nobjs == s->capobjs) {
			uint32_t n = s->capobjs ? 2 * s->capobjs : 256;
			struct obj **a = realloc(s->objs, n * sizeof(*a));
			uint32_t *f;

			if (a == NULL)
				return NULL;
			s->objs = a;
			f = realloc(s->freel, n * sizeof(*f));
			if (f == NULL)
				return NULL;
			s->freel = f;
			s->capobjs = n;
		}
		o = malloc(sizeof(*o));
		if (o == NULL)
			return NULL;
		i = s->nobjs++;
		s->objs[i] = o;
	}
	memset(o, 0, sizeof(*o));
	o->gen = gen;
	o->kind = kind;
	o->owner = UINT32_MAX;
	*idx = i;
	return o;
}

static void
obj_free(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	if (o->linked)
		unlink_key(s, o, idx);
	if (o->kind == O_SERVER)
		s->resp_flows--;
	o->gen++;
	o->armed = false;
	o->done = true;
	s->freel[s->nfree++] = idx;
}

static struct natgw_synth_svc_stats *
svc(struct natgw_synth *s, unsigned int id)
{
	return &s->st.svc[id];
}

static void
session_start(struct natgw_synth *s, unsigned int id)
{
	svc(s, id)->started++;
	s->st.started++;
}

static void
session_end(struct natgw_synth *s, unsigned int id, bool ok)
{
	if (ok) {
		svc(s, id)->completed++;
		s->st.completed++;
	} else {
		svc(s, id)->failed++;
		s->st.failed++;
	}
}

/* A host-side flow has finished: its owner goes on. */
static void
child_done(struct natgw_synth *s, struct obj *o, bool ok)
{
	struct obj *w;

	if (o->owner == UINT32_MAX)
		return;
	w = s->objs[o->owner];
	if (w->children)
		w->children--;
	if (!ok)
		w->failed_children++;
	if (o->kind == O_QUERY && ok)
		w->dns_ok = true;
	arm(s, w, o->owner, s->now);
}

/* ------------------------------------------------------------ frames */

static void
mac_of(uint32_t ip, uint8_t *mac)
{
	mac[0] = 0x02;
	mac[1] = 0;
	mac[2] = (uint8_t)(ip >> 24);
	mac[3] = (uint8_t)(ip >> 16);
	mac[4] = (uint8_t)(ip >> 8);
	mac[5] = (uint8_t)ip;
}

/* Ethernet and IPv4 headers for @p l4len bytes of @p proto; @return the L4
 * header's offset. From a host: to the router; to a host: from it. */
static uint32_t
ip_hdr(uint8_t *f, bool from_host, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
		uint16_t id, bool df, uint32_t l4len)
{
	uint8_t *ip = f + ETH_LEN;

	if (from_host) {
		memcpy(f, router_mac, 6);
		mac_of(src, f + 6);
	} else {
		mac_of(dst, f);
		memcpy(f + 6, router_mac, 6);
	}
	synth_wr16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	synth_wr16(ip + 2, (uint16_t)(20 + l4len));
	synth_wr16(ip + 4, id);
	synth_wr16(ip + 6, df ? 0x4000 : 0);
	ip[8] = ttl;
	ip[9] = proto;
	synth_wr16(ip + 10, 0);
	synth_wr32(ip + 12, src);
	synth_wr32(ip + 16, dst);
	return ETH_LEN + 20;
}

/* Every checksum from scratch, then out at @p t. */
static void
finish(struct natgw_synth *s, uint64_t t, enum natgw_synth_side side, uint8_t *f, uint32_t len)
{
	/* A runt is padded to Ethernet's minimum, as a NIC delivers it. */
	if (len < 60) {
		memset(f + len, 0, 60 - len);
		natgw_pkt_csum_fill(f, len);
		len = 60;
	} else {
		natgw_pkt_csum_fill(f, len);
	}
	emit(s, t, side, f, len);
}

static uint32_t
dest_rtt(const struct dest *d)
{
	return d ? d->rtt_us : 10000;
}

/* When a frame destination @p me sends now reaches the gateway. */
static uint64_t
resp_time(struct natgw_synth *s, uint32_t me)
{
	return s->now + dest_rtt(synth_dest_by_ip(me)) * US / 2;
}

/* ------------------------------------------------------------ DNS */

static uint32_t
dns_name(uint8_t *p, const char *name)
{
	uint32_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += (uint32_t)l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

/* A query (@p answer false) or the answer to it, into @p p; @return bytes. */
static uint32_t
dns_msg(uint8_t *p, uint16_t id, const char *qname, uint16_t qtype, bool answer)
{
	const struct dest *d = synth_dest_by_name(qname);
	uint32_t n = 12, cname_at = 0;
	uint16_t an = 0;

	synth_wr16(p, id);
	synth_wr16(p + 2, answer ? (d ? 0x8180 : 0x8183) : 0x0100);
	synth_wr16(p + 4, 1);
	memset(p + 6, 0, 6);
	n += dns_name(p + n, qname);
	synth_wr16(p + n, qtype);
	synth_wr16(p + n + 2, 1);
	n += 4;
	if (!answer || d == NULL || qtype != 1)
		return n;
	if (d->cname) {
		synth_wr16(p + n, 0xc00c);
		synth_wr16(p + n + 2, 5);
		synth_wr16(p + n + 4, 1);
		synth_wr32(p + n + 6, 60);
		cname_at = n + 12;
		synth_wr16(p + n + 10, (uint16_t)dns_name(p + cname_at, d->cname));
		n = cname_at + synth_rd16(p + n + 10);
		an++;
	}
	synth_wr16(p + n, (uint16_t)(0xc000 | (cname_at ? cname_at : 12)));
	synth_wr16(p + n + 2, 1);
	synth_wr16(p + n + 4, 1);
	synth_wr32(p + n + 6, d->dns_ttl);
	synth_wr16(p + n + 10, 4);
	synth_wr32(p + n + 12, d->ip);
	n += 16;
	an++;
	synth_wr16(p + 6, an);
	return n;
}

/* A UDP datagram; @return the frame's length. */
static uint32_t
udp_frame(uint8_t *f, bool from_host, uint32_t src, uint32_t dst, uint16_t sport,
		uint16_t dport, uint8_t ttl, uint16_t id, const uint8_t *pl, uint32_t plen)
{
	uint32_t l4 = ip_hdr(f, from_host, src, dst, P_UDP, ttl, id, false, 8 + plen);

	synth_wr16(f + l4, sport);
	synth_wr16(f + l4 + 2, dport);
	synth_wr16(f + l4 + 4, (uint16_t)(8 + plen));
	synth_wr16(f + l4 + 6, 0);
	memcpy(f + l4 + 8, pl, plen);
	return l4 + 8 + plen;
}

static uint16_t
host_ipid(struct natgw_synth *s, uint32_t host)
{
	return s->hosts[host].ipid++;
}

/* Ask the VPC resolver: query and answer both, intra-VPC, never through the
 * NAT; @return when the answer reaches the host. */
static uint64_t
vpc_resolve(struct natgw_synth *s, struct obj *o, unsigned int dest)
{
	uint8_t f[FRAME_MAX], m[512];
	uint32_t hip = s->hosts[o->host].ip, n;
	uint16_t id = (uint16_t)rng_next(&o->rng), port = (uint16_t)rng_range(&o->rng, 32768, 60999);
	uint64_t t = s->now + RESOLVER_DELAY + rng_range(&o->rng, 0, 100) * US;

	session_start(s, NATGW_SYNTH_SVC_vpc_dns);
	n = dns_msg(m, id, synth_dests[dest].name, 1, false);
	finish(s, s->now, NATGW_SYNTH_OBSERVE, f,
		udp_frame(f, true, hip, s->c.resolver, port, 53, 64, host_ipid(s, o->host), m, n));
	n = dns_msg(m, id, synth_dests[dest].name, 1, true);
	finish(s, t, NATGW_SYNTH_OBSERVE, f,
		udp_frame(f, false, s->c.resolver, hip, 53, port, 64, (uint16_t)(id * 7), m, n));
	session_end(s, NATGW_SYNTH_SVC_vpc_dns, true);
	return t;
}

/* ------------------------------------------------------------ TCP */

static bool
is_resp(const struct obj *o)
{
	return o->kind == O_SERVER;
}

static void
tcp_segment(struct natgw_synth *s, struct obj *o, uint8_t flags, uint64_t off, uint32_t len)
{
	struct tcb *t = &o->t;
	uint8_t f[FRAME_MAX];
	bool syn = flags & 0x02, host = !is_resp(o);
	uint32_t optlen = syn ? 8 : 0, l4, seq, i;
	uint64_t at;

	l4 = ip_hdr(f, host, o->key.lip, o->key.rip, P_TCP,
		host ? 64 : synth_dests[o->dest].ttl, t->ipid++, true, 20 + optlen + len);
	if (syn)
		seq = t->iss;
	else if (flags & 0x01)
		seq = t->iss + 1 + (uint32_t)t->qend;
	else
		/* Past a FIN sent, the sequence space holds it too. */
		seq = t->iss + 1 + (uint32_t)off + (t->fin_sent && off >= t->qend);
	synth_wr16(f + l4, o->key.lport);
	synth_wr16(f + l4 + 2, o->key.rport);
	synth_wr32(f + l4 + 4, seq);
	synth_wr32(f + l4 + 8, (flags & 0x10) ? t->irs + 1 + (uint32_t)t->rcv + t->fin_rcvd : 0);
	f[l4 + 12] = (uint8_t)((20 + optlen) / 4) << 4;
	f[l4 + 13] = flags;
	synth_wr16(f + l4 + 14, syn ? 65535 : (uint16_t)(RCV_WND >> WSCALE));
	synth_wr32(f + l4 + 16, 0);
	if (syn) {
		f[l4 + 20] = 2;
		f[l4 + 21] = 4;
		synth_wr16(f + l4 + 22, host ? HOST_MSS : SERVER_MSS);
		f[l4 + 24] = 1;
		f[l4 + 25] = 3;
		f[l4 + 26] = 3;
		f[l4 + 27] = WSCALE;
	}
	/* The payload, from the messages that cover it. */
	for (i = 0; i < t->qn && len; i++) {
		const struct msg *m = &t->q[(t->qh + i) % QMAX];
		uint64_t a, b;

		if (m->end <= off || m->start >= off + len)
			continue;
		a = off > m->start ? off : m->start;
		b = off + len < m->end ? off + len : m->end;
		synth_msg_bytes(m, a - m->start, f + l4 + 20 + optlen + (a - off), (uint32_t)(b - a));
	}
	at = host ? s->now : resp_time(s, o->key.lip);
	finish(s, at, host ? NATGW_SYNTH_INSIDE : NATGW_SYNTH_OUTSIDE, f, l4 + 20 + optlen + len);
	if (flags & 0x10) {
		t->ack_pend = 0;
		t->ack_now = false;
		t->ack_at = 0;
	}
}

static void
tcp_rst(struct natgw_synth *s, bool from_host, uint32_t src, uint32_t dst, uint16_t sport,
		uint16_t dport, uint32_t seq, uint32_t ack, bool with_ack)
{
	uint8_t f[FRAME_MAX];
	uint32_t l4 = ip_hdr(f, from_host, src, dst, P_TCP, 64, 0, true, 20);

	synth_wr16(f + l4, sport);
	synth_wr16(f + l4 + 2, dport);
	synth_wr32(f + l4 + 4, seq);
	synth_wr32(f + l4 + 8, with_ack ? ack : 0);
	f[l4 + 12] = 5 << 4;
	f[l4 + 13] = with_ack ? 0x14 : 0x04;
	synth_wr16(f + l4 + 14, 0);
	synth_wr32(f + l4 + 16, 0);
	finish(s, from_host ? s->now : resp_time(s, src),
		from_host ? NATGW_SYNTH_INSIDE : NATGW_SYNTH_OUTSIDE, f, l4 + 20);
}

static void
tcp_init(struct natgw_synth *s, struct obj *o, const struct dest *d)
{
	struct tcb *t = &o->t;

	t->iss = (uint32_t)rng_next(&o->rng);
	t->ipid = (uint16_t)rng_next(&o->rng);
	t->rto = SYN_RTO;
	t->cwnd = 10;
	t->ssthresh = CWND_MAX;
	t->cap = (d && d->rate_mbps ? d->rate_mbps : 100) * 1e6;
	t->rate = t->cap;
	t->mss = SERVER_MSS;
	t->peer_wnd = 65535;
	(void)s;
}

static void
tcp_queue(struct obj *o, struct msg *m, uint64_t len)
{
	struct tcb *t = &o->t;

	if (t->qn == QMAX)
		return;
	m->start = t->qend;
	m->end = t->qend + len;
	t->q[(t->qh + t->qn++) % QMAX] = *m;
	t->qend = m->end;
}

static bool
tcp_has_room(const struct tcb *t)
{
	return t->qn < QMAX;
}

/* How much the next segment may carry now the window is what it is: 0 if
 * nothing. No runt segment for a window that is not a whole number of
 * segments while others are in flight (sender-side silly window avoidance). */
static uint64_t
tcp_sendable(const struct tcb *t)
{
	double w = t->cwnd * t->mss;
	uint64_t wnd = (uint64_t)(w < t->peer_wnd ? w : t->peer_wnd);
	uint64_t flight = t->nxt - t->una, len = t->qend - t->nxt;

	if (t->state != T_EST || len == 0 || flight >= wnd)
		return 0;
	if (len > t->mss)
		len = t->mss;
	if (len > wnd - flight)
		len = flight ? 0 : wnd - flight;
	return len;
}

/* Send what the window, the pacing and the state allow. */
static void
tcp_output(struct natgw_synth *s, struct obj *o)
{
	struct tcb *t = &o->t;
	uint64_t now = s->now, len;
	bool sent = false;

	if (t->state == T_SYN_SENT || t->state == T_SYN_RCVD) {
		if (!t->syn_out) {
			tcp_segment(s, o, t->state == T_SYN_SENT ? 0x02 : 0x12, 0, 0);
			t->syn_out = true;
			t->syn_t = now;
			t->rto_at = now + t->rto;
		}
		return;
	}
	if (t->state != T_EST)
		goto ack;
	while (now >= t->pace_at && (len = tcp_sendable(t)) > 0) {
		if (t->nxt < t->max) {
			if (is_resp(o))
				s->st.retransmits_resp++;
			else
				s->st.retransmits_host++;
		} else if (!t->timing) {
			t->timing = true;
			t->time_off = t->nxt + len;
			t->time_t = now;
		}
		tcp_segment(s, o, t->nxt + len == t->qend ? 0x18 : 0x10, t->nxt, (uint32_t)len);
		t->nxt += len;
		if (t->nxt > t->max)
			t->max = t->nxt;
		t->pace_at = (t->pace_at > now ? t->pace_at : now) +
			(uint64_t)((double)(len + 54) * 8e9 / t->rate);
		if (!t->rto_at)
			t->rto_at = now + t->rto;
		sent = true;
	}
	if (t->fin_q && !t->fin_sent && t->nxt == t->qend && now >= t->pace_at) {
		if (t->fin_ever) {
			if (is_resp(o))
				s->st.retransmits_resp++;
			else
				s->st.retransmits_host++;
		}
		tcp_segment(s, o, 0x11, t->qend, 0);
		t->fin_sent = t->fin_ever = true;
		if (!t->rto_at)
			t->rto_at = now + t->rto;
		sent = true;
	}
ack:
	if (!sent && (t->ack_now || (t->ack_pend && now >= t->ack_at)))
		tcp_segment(s, o, 0x10, t->nxt, 0);
}

static bool
tcp_outstanding(const struct tcb *t)
{
	return t->una < t->max || (t->fin_ever && !t->fin_acked);
}

/* Loss: back off the window and the rate (AIMD), and go back to the first
 * byte not acknowledged. */
static void
tcp_backoff(struct tcb *t, bool timeout)
{
	double flight = (double)(t->max - t->una) / t->mss;

	t->ssthresh = flight / 2 > 2 ? flight / 2 : 2;
	t->cwnd = timeout ? 1 : t->ssthresh;
	t->rate = t->rate / 2 > t->cap / 64 ? t->rate / 2 : t->cap / 64;
	t->nxt = t->una;
	if (!t->fin_acked)
		t->fin_sent = false;
	t->timing = false;
	t->dupacks = 0;
}

static void conn_failed(struct natgw_synth *s, struct obj *o, uint32_t idx);
static void server_gone(struct natgw_synth *s, struct obj *o, uint32_t idx);

static void
tcp_abort(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	if (is_resp(o))
		server_gone(s, o, idx);
	else
		conn_failed(s, o, idx);
}

/* The retransmission timer. @return false if the flow gave up (freed). */
static bool
tcp_timeout(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	struct tcb *t = &o->t;

	t->rto_at = 0;
	s->st.timeouts++;
	if (++t->tries >= s->c.retries) {
		/* Give up, as Linux does after tcp_retries2, and say so to an
		 * established peer (an unanswered handshake just ends). */
		if (is_resp(o))
			s->st.responder_aborted++;
		if (t->state == T_EST)
			tcp_segment(s, o, 0x14, t->nxt, 0);
		tcp_abort(s, o, idx);
		return false;
	}
	t->rto = t->rto * 2 < RTO_MAX ? t->rto * 2 : RTO_MAX;
	if (t->state == T_SYN_SENT || t->state == T_SYN_RCVD) {
		if (is_resp(o))
			s->st.retransmits_resp++;
		else
			s->st.retransmits_host++;
		t->syn_out = false;
		t->syn_again = true;
		return true;
	}
	if (tcp_outstanding(t)) {
		tcp_backoff(t, true);
		t->pace_at = s->now;
	}
	return true;
}

static void
rtt_sample(struct natgw_synth *s, struct tcb *t, uint64_t r)
{
	if (t->srtt == 0) {
		t->srtt = r;
		t->rttvar = r / 2;
	} else {
		uint64_t d = r > t->srtt ? r - t->srtt : t->srtt - r;

		t->rttvar = (3 * t->rttvar + d) / 4;
		t->srtt = (7 * t->srtt + r) / 8;
	}
	t->rto = t->srtt + 4 * t->rttvar;
	if (t->rto < s->c.rto_min_ns)
		t->rto = s->c.rto_min_ns;
	if (t->rto > RTO_MAX)
		t->rto = RTO_MAX;
	t->rto_calc = t->rto;
}

struct seg {
	uint32_t seq, ack;
	uint16_t wnd, mss;
	uint8_t flags, ws;
	bool has_ws;
	const uint8_t *data;
	uint32_t len;
};

static void
syn_options(const uint8_t *tcp, uint32_t hl, struct seg *g)
{
	uint32_t i = 20;

	while (i < hl) {
		uint8_t k = tcp[i];

		if (k == 0)
			break;
		if (k == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hl || tcp[i + 1] < 2 || i + tcp[i + 1] > hl)
			break;
		if (k == 2 && tcp[i + 1] == 4)
			g->mss = synth_rd16(tcp + i + 2);
		if (k == 3 && tcp[i + 1] == 3) {
			g->ws = tcp[i + 2] > 14 ? 14 : tcp[i + 2];
			g->has_ws = true;
		}
		i += tcp[i + 1];
	}
}

static void conn_data(struct natgw_synth *s, struct obj *o, uint32_t idx, uint64_t n);
static void conn_connected(struct natgw_synth *s, struct obj *o);
static void conn_fin(struct natgw_synth *s, struct obj *o);
static void conn_closed(struct natgw_synth *s, struct obj *o, uint32_t idx);
static void server_data(struct natgw_synth *s, struct obj *o, const uint8_t *p, uint32_t n);

static void
established(struct natgw_synth *s, struct tcb *t, const struct seg *g)
{
	uint16_t mss = g->mss ? g->mss : 536;

	t->state = T_EST;
	t->syn_out = false;
	t->rto_at = 0;
	t->tries = 0;
	/* The client learns the server's options from its SYN-ACK; the
	 * server took the client's from its SYN. */
	if (g->flags & 0x02) {
		t->peer_ws = g->has_ws ? g->ws : 0;
		t->mss = mss < t->mss ? mss : t->mss;
	}
	if (!t->syn_again)
		rtt_sample(s, t, s->now - t->syn_t);
	else
		t->rto = t->rto_calc = s->c.rto_min_ns > SYN_RTO ? s->c.rto_min_ns : SYN_RTO;
	t->pace_at = s->now;
}

/* An arriving segment. @return false if the flow is gone. */
static bool
tcp_input(struct natgw_synth *s, struct obj *o, uint32_t idx, const struct seg *g)
{
	struct tcb *t = &o->t;
	uint8_t fl = g->flags;

	o->last_rx = s->now;
	if (fl & 0x04) {
		s->st.resets++;
		tcp_abort(s, o, idx);
		return false;
	}
	if (t->state == T_SYN_SENT) {
		if ((fl & 0x12) == 0x12 && g->ack == t->iss + 1) {
			t->irs = g->seq;
			established(s, t, g);
			t->peer_wnd = g->wnd;
			/* The handshake's ACK at once, as a stack sends it, then
			 * what the application writes. */
			tcp_segment(s, o, 0x10, 0, 0);
			conn_connected(s, o);
		} else {
			s->st.unknown++;
		}
		return true;
	}
	if (fl & 0x02) {
		/* A SYN again (our SYN-ACK was lost), or a SYN-ACK again (our
		 * ACK was): answer as before. */
		if (t->state == T_SYN_RCVD)
			t->syn_out = false;
		else
			t->ack_now = true;
		s->st.duplicate++;
		return true;
	}
	if (!(fl & 0x10))
		return true;
	if (t->state == T_SYN_RCVD) {
		if (g->ack != t->iss + 1) {
			s->st.unknown++;
			return true;
		}
		established(s, t, g);
	}
	/* The acknowledgement: bytes past una, checked against what was sent. */
	{
		uint32_t d = g->ack - (t->iss + 1 + (uint32_t)t->una);
		uint64_t limit = t->max - t->una + (t->fin_ever ? 1 : 0);

		t->peer_wnd = (uint32_t)g->wnd << t->peer_ws;
		if ((int32_t)d > 0 && d <= limit) {
			uint64_t una = t->una + d, acked;

			if (t->fin_ever && una > t->qend) {
				t->fin_acked = true;
				una = t->qend;
			}
			acked = una - t->una;
			t->una = una;
			if (t->nxt < una)
				t->nxt = una;
			if (t->timing && una >= t->time_off) {
				rtt_sample(s, t, s->now - t->time_t);
				t->timing = false;
			}
			if (acked) {
				double segs = (double)acked / t->mss;

				t->cwnd += t->cwnd < t->ssthresh ? segs : segs / t->cwnd;
				if (t->cwnd > CWND_MAX)
					t->cwnd = CWND_MAX;
				t->rate += t->cap * (double)acked / (32.0 * t->cwnd * t->mss);
				if (t->rate > t->cap)
					t->rate = t->cap;
			}
			while (t->qn && t->q[t->qh].end <= t->una) {
				t->qh = (t->qh + 1) % QMAX;
				t->qn--;
			}
			/* Progress ends the backoff (as Linux does), so that
			 * a lossy path is not left with a minute's timeout. */
			t->tries = 0;
			t->dupacks = 0;
			if (t->rto_calc)
				t->rto = t->rto_calc;
			t->rto_at = tcp_outstanding(t) ? s->now + t->rto : 0;
		} else if (d == 0 && g->len == 0 && !(fl & 0x01) && tcp_outstanding(t)) {
			if (++t->dupacks == 3) {
				tcp_backoff(t, false);
				s->st.fast_retransmits++;
			}
		}
	}
	/* The data, in order only: a segment past a hole is dropped and
	 * acknowledged at once (the sender goes back to the hole). */
	if (g->len || (fl & 0x01)) {
		uint32_t exp = t->irs + 1 + (uint32_t)t->rcv + t->fin_rcvd;
		int32_t dd = (int32_t)(g->seq - exp);

		if (t->fin_rcvd) {
			/* Everything is had: only the FIN can come again. */
			s->st.duplicate++;
			t->ack_now = true;
		} else if (dd > 0) {
			s->st.out_of_order++;
			t->ack_now = true;
		} else if ((int64_t)g->len + dd <= 0 && g->len) {
			s->st.duplicate++;
			t->ack_now = true;
		} else {
			uint32_t skip = (uint32_t)-dd, n = g->len - skip;

			if (n) {
				t->rcv += n;
				if (is_resp(o))
					server_data(s, o, g->data + skip, n);
				else
					conn_data(s, o, idx, n);
				if (o->done)
					return false;
				if (++t->ack_pend >= 2)
					t->ack_now = true;
				else if (!t->ack_at)
					t->ack_at = s->now + DELACK;
			}
			if (fl & 0x01) {
				t->fin_rcvd = true;
				t->ack_now = true;
				if (is_resp(o))
					t->fin_q = true;
				else
					conn_fin(s, o);
			}
		}
	}
	if (t->fin_acked && t->fin_rcvd && t->state == T_EST) {
		if (!is_resp(o))
			conn_closed(s, o, idx);
		/* The end that closed first waits, to answer its peer's FIN
		 * again should that come. */
		if (t->tw_until == 0) {
			t->state = T_TIME_WAIT;
			t->tw_until = s->now + TIME_WAIT;
		}
	}
	return true;
}

/* The next time the flow's TCP needs to run; UINT64_MAX: none. */
static uint64_t
tcp_next(const struct tcb *t)
{
	uint64_t n = UINT64_MAX;

	if (t->rto_at)
		n = t->rto_at;
	if (t->ack_pend && t->ack_at && t->ack_at < n)
		n = t->ack_at;
	if (t->state == T_TIME_WAIT && t->tw_until < n)
		n = t->tw_until;
	if (tcp_sendable(t) || (t->state == T_EST && t->fin_q && !t->fin_sent &&
			t->nxt == t->qend))
		n = t->pace_at < n ? t->pace_at : n;
	return n;
}

/* ------------------------------------------------------------ clients */

static uint64_t
flight_len(unsigned int dest)
{
	struct msg m = {.kind = M_FLIGHT};
	uint32_t pre = synth_msg_prefix_len(&m);
	uint32_t fl = synth_dests[dest].flight;

	return pre + synth_region_len(fl > pre ? fl - pre : 0);
}

/* A connection from a host to a destination, owned by @p owner. */
static struct obj *
conn_new(struct natgw_synth *s, struct obj *w, uint32_t widx, unsigned int dest, uint32_t n_ex,
		uint64_t every)
{
	const struct dest *d = &synth_dests[dest];
	struct obj *o;
	uint32_t idx, tries;

	o = obj_new(s, O_CONN, &idx);
	if (o == NULL)
		return NULL;
	/* From its owner's own sequence: a flow is the same flow whatever
	 * happened to others (a NAT dropping a burst, say). */
	o->rng.s = rng_next(&w->rng);
	o->host = w->host;
	o->owner = widx;
	o->dest = (uint8_t)dest;
	o->svc = d->svc;
	o->n_ex = n_ex;
	o->every = every;
	o->t0 = s->now;
	o->last_rx = s->now;
	o->end_at = s->c.start_ns + s->c.duration_ns;
	o->key.lip = s->hosts[w->host].ip;
	o->key.rip = d->ip;
	o->key.rport = d->port;
	o->key.proto = P_TCP;
	/* An ephemeral port not in use towards this destination. */
	for (tries = 0; tries < 64; tries++) {
		uint32_t j;

		o->key.lport = (uint16_t)rng_range(&o->rng, 32768, 60999);
		if (lookup(s, &o->key, &j) == NULL)
			break;
	}
	link_key(s, o, idx);
	tcp_init(s, o, d);
	o->t.mss = HOST_MSS;
	o->t.state = T_SYN_SENT;
	o->phase = C_SYN;
	w->children++;
	session_start(s, o->svc);
	tcp_output(s, o);
	arm(s, o, idx, tcp_next(&o->t));
	return o;
}

static void
plan(struct natgw_synth *s, struct obj *o, uint32_t *req, uint32_t *resp, uint32_t *think)
{
	struct rng *r = &o->rng;
	const struct natgw_synth_conf *c = &s->c;

	switch (o->svc) {
	case NATGW_SYNTH_SVC_ecs:
		*req = o->ex ? 180 + (uint32_t)rng_range(r, 0, 100) : 900;
		*resp = o->ex ? 420 + (uint32_t)rng_range(r, 0, 200) : 1200;
		*think = 2000;
		break;
	case NATGW_SYNTH_SVC_ecr_api:
		*req = 1150;
		*resp = 2480;
		*think = 18000;
		break;
	case NATGW_SYNTH_SVC_ecr_dkr:
		*req = o->ex ? 640 : 620;
		*resp = o->ex ? 1480 : 3900;
		*think = o->ex ? 11000 : 9000;
		break;
	case NATGW_SYNTH_SVC_s3:
		*req = 1320 + (uint32_t)rng_range(r, 0, 200);
		*resp = (uint32_t)(c->image_bytes / c->layers);
		*think = 4000;
		break;
	case NATGW_SYNTH_SVC_dynamodb:
		*req = (uint32_t)rng_range(r, c->ddb_req / 2, c->ddb_req * 3 / 2);
		*resp = (uint32_t)rng_range(r, c->ddb_resp / 2, c->ddb_resp * 3 / 2);
		*think = 3000 + (uint32_t)rng_range(r, 0, 5000);
		break;
	case NATGW_SYNTH_SVC_logs:
		*req = (uint32_t)rng_range(r, c->logs_req / 2, c->logs_req * 3 / 2);
		*resp = 180 + (uint32_t)rng_range(r, 0, 60);
		*think = 5000 + (uint32_t)rng_range(r, 0, 10000);
		break;
	default:
		*req = 760;
		*resp = (uint32_t)rng_range(r, c->github_resp * 7 / 10, c->github_resp * 13 / 10);
		*think = 35000;
		break;
	}
}

static void
conn_request(struct natgw_synth *s, struct obj *o)
{
	struct msg m = {.kind = M_REQUEST, .first = o->ex == 0};
	uint32_t req, resp, think;
	uint64_t len;

	plan(s, o, &req, &resp, &think);
	m.seed = rng_next(&o->rng);
	m.resp = resp;
	m.think_us = think;
	/* The last call of a keep-alive internet connection: the server
	 * closes it (as an idle keep-alive is closed). */
	o->last_close = o->svc == NATGW_SYNTH_SVC_github && o->n_ex == 0 &&
		o->t0 + (o->ex + 1) * o->every >= o->end_at;
	if (o->last_close)
		m.flags = CTL_CLOSE;
	len = synth_msg_len(&m, req);
	tcp_queue(o, &m, len);
	o->expect = o->t.rcv + synth_region_len(resp);
	svc(s, o->svc)->asked += synth_region_len(resp);
	svc(s, o->svc)->sent += len;
	o->phase = C_REQ;
}

static void
conn_connected(struct natgw_synth *s, struct obj *o)
{
	struct msg m = {.kind = M_HELLO, .dest = o->dest};

	m.seed = rng_next(&o->rng);
	tcp_queue(o, &m, synth_msg_len(&m, 0));
	svc(s, o->svc)->sent += o->t.qend;
	o->expect = flight_len(o->dest);
	svc(s, o->svc)->asked += o->expect;
	o->phase = C_HELLO;
}

static void
conn_close(struct obj *o)
{
	o->phase = C_CLOSING;
	o->t.fin_q = true;
}

/* The exchange after this one, or the end. */
static void
conn_next(struct natgw_synth *s, struct obj *o)
{
	uint64_t at;

	o->ex++;
	if (o->last_close) {
		o->phase = C_WAIT_FIN;
		return;
	}
	if (o->n_ex) {
		if (o->ex >= o->n_ex) {
			o->ok = true;
			conn_close(o);
			return;
		}
		at = s->now + 2 * MS;
	} else {
		at = o->t0 + o->ex * o->every;
		if (at >= o->end_at) {
			o->ok = true;
			conn_close(o);
			return;
		}
	}
	o->phase = C_IDLE;
	o->timer = at;
}

static void
conn_data(struct natgw_synth *s, struct obj *o, uint32_t idx, uint64_t n)
{
	(void)idx;
	svc(s, o->svc)->received += n;
	if (o->t.rcv < o->expect || (o->phase != C_HELLO && o->phase != C_REQ))
		return;
	if (o->phase == C_HELLO) {
		conn_request(s, o);
		return;
	}
	conn_next(s, o);
}

static void
conn_fin(struct natgw_synth *s, struct obj *o)
{
	(void)s;
	/* The server closed: fine after the answer it was asked to close
	 * after, a failure before the exchanges were done. */
	o->ok = o->phase == C_WAIT_FIN || (o->phase == C_CLOSING && o->ok);
	conn_close(o);
}

static void
conn_closed(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	(void)idx;
	if (o->phase == 0xff)
		return;
	session_end(s, o->svc, o->ok);
	child_done(s, o, o->ok);
	o->phase = 0xff; /* counted */
}

static void
conn_failed(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	if (o->phase != 0xff) {
		session_end(s, o->svc, false);
		child_done(s, o, false);
	}
	obj_free(s, o, idx);
}

/* Waiting for the destination: a response, or its FIN. */
static bool
conn_waiting(const struct obj *o)
{
	return o->t.state == T_EST && o->phase != 0xff && o->phase != C_IDLE;
}

static void
conn_wake(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	struct tcb *t = &o->t;

	if (t->rto_at && s->now >= t->rto_at && !tcp_timeout(s, o, idx))
		return;
	if (t->state == T_TIME_WAIT && s->now >= t->tw_until) {
		obj_free(s, o, idx);
		return;
	}
	if (conn_waiting(o) && s->now >= o->last_rx + APP_TIMEOUT) {
		/* Nothing for a minute while waiting: the application gives up,
		 * as an SDK's read timeout does, and resets the connection. */
		if (t->state == T_EST)
			tcp_segment(s, o, 0x14, t->nxt, 0);
		conn_failed(s, o, idx);
		return;
	}
	if (o->phase == C_IDLE && s->now >= o->timer && tcp_has_room(t))
		conn_request(s, o);
	tcp_output(s, o);
	{
		uint64_t n = tcp_next(t);

		if (o->phase == C_IDLE && tcp_has_room(t) && o->timer < n)
			n = o->timer;
		if (conn_waiting(o) && o->last_rx + APP_TIMEOUT < n)
			n = o->last_rx + APP_TIMEOUT;
		arm(s, o, idx, n);
	}
}

/* ------------------------------------------------------------ responder */

static void
server_gone(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	obj_free(s, o, idx);
}

/* Bytes in order from the client: TLS records, read as a server would. */
static void
server_data(struct natgw_synth *s, struct obj *o, const uint8_t *p, uint32_t n)
{
	struct rparse *r = &o->rp;

	while (n) {
		if (r->stage == 3)
			return;
		if (r->rleft == 0 && !r->want_ctl) {
			/* A record header. */
			uint32_t k = TLS_HDR - r->hn;

			k = k < n ? k : n;
			memcpy(r->hdr + r->hn, p, k);
			r->hn = (uint8_t)(r->hn + k);
			p += k;
			n -= k;
			if (r->hn < TLS_HDR)
				return;
			r->hn = 0;
			r->rtype = r->hdr[0];
			r->rleft = synth_rd16(r->hdr + 3);
			if (r->rtype < 0x14 || r->rtype > 0x17 || r->hdr[1] != 3 || r->rleft == 0) {
				/* Not TLS: ACKed and ignored. */
				r->stage = 3;
				s->st.malformed++;
				return;
			}
			if (r->in_req)
				r->req_left -= r->req_left >= TLS_HDR ? TLS_HDR : r->req_left;
			else if (r->rtype == 0x17 && r->stage == 2)
				r->want_ctl = true;
			continue;
		}
		if (r->want_ctl) {
			uint32_t k = CTL_LEN - r->hn;

			k = k < n ? k : n;
			memcpy(r->hdr + TLS_HDR + r->hn, p, k);
			r->hn = (uint8_t)(r->hn + k);
			p += k;
			n -= k;
			if (r->hn < CTL_LEN)
				return;
			r->hn = 0;
			r->want_ctl = false;
			r->rleft -= CTL_LEN < r->rleft ? CTL_LEN : r->rleft;
			if (synth_rd32(r->hdr + TLS_HDR) != CTL_MAGIC) {
				s->st.malformed++;
				continue;
			}
			r->in_req = true;
			r->req_left = synth_rd32(r->hdr + TLS_HDR + 4);
			r->req_left -= r->req_left >= TLS_HDR + CTL_LEN ? TLS_HDR + CTL_LEN : r->req_left;
			r->p_len = synth_region_len(synth_rd32(r->hdr + TLS_HDR + 8));
			r->p_think = (uint64_t)synth_rd32(r->hdr + TLS_HDR + 12) * US;
			r->p_flags = (uint8_t)synth_rd32(r->hdr + TLS_HDR + 16);
		} else {
			uint32_t k = r->rleft < n ? r->rleft : n;

			r->rleft -= k;
			p += k;
			n -= k;
			if (r->in_req)
				r->req_left -= r->req_left >= k ? k : r->req_left;
		}
		if (r->rleft)
			continue;
		/* A record has ended. */
		if (r->rtype == 0x16 && r->stage == 0) {
			r->stage = 1;
			r->pending = true;
			r->p_kind = M_FLIGHT;
			r->p_at = s->now + 200 * US;
		} else if (r->rtype == 0x17 && r->stage == 1) {
			r->stage = 2; /* the client's Finished */
		} else if (r->in_req && r->req_left == 0) {
			r->in_req = false;
			r->pending = true;
			r->p_kind = M_RESPONSE;
			r->p_at = s->now + r->p_think;
		}
	}
}

/* The answer due, into the send queue. */
static void
server_answer(struct natgw_synth *s, struct obj *o)
{
	struct rparse *r = &o->rp;
	struct msg m = {.kind = r->p_kind};

	if (!tcp_has_room(&o->t))
		return;
	m.seed = rng_next(&o->rng);
	if (r->p_kind == M_FLIGHT) {
		uint32_t pre = synth_msg_prefix_len(&m), fl = synth_dests[o->dest].flight;

		if (synth_dest_by_ip(o->key.lip) == NULL)
			fl = 4000;
		tcp_queue(o, &m, pre + synth_region_len(fl > pre ? fl - pre : 0));
	} else {
		tcp_queue(o, &m, r->p_len);
		if (r->p_flags & CTL_CLOSE)
			o->t.fin_q = true;
	}
	r->pending = false;
	(void)s;
}

static void
server_wake(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	struct tcb *t = &o->t;
	uint64_t n;

	if (t->rto_at && s->now >= t->rto_at && !tcp_timeout(s, o, idx))
		return;
	if (t->state == T_TIME_WAIT && s->now >= t->tw_until) {
		obj_free(s, o, idx);
		return;
	}
	if (s->now >= o->last_rx + SERVER_IDLE && t->rto_at == 0) {
		/* A client that vanished (its reset lost): forget it. */
		obj_free(s, o, idx);
		return;
	}
	if (o->rp.pending && s->now >= o->rp.p_at)
		server_answer(s, o);
	tcp_output(s, o);
	n = tcp_next(t);
	if (n == UINT64_MAX && !o->rp.pending)
		n = o->last_rx + SERVER_IDLE;
	/* With its queue full, the answer waits for an ACK to make room. */
	if (o->rp.pending && tcp_has_room(t) && o->rp.p_at < n)
		n = o->rp.p_at;
	arm(s, o, idx, n);
}

/* ------------------------------------------------------------ queries, pings */

static void
query_send(struct natgw_synth *s, struct obj *o)
{
	uint8_t f[FRAME_MAX], m[512];
	uint32_t n = dns_msg(m, o->id, synth_dests[o->dest].name, 1, false);

	finish(s, s->now, NATGW_SYNTH_INSIDE, f, udp_frame(f, true, o->key.lip, o->key.rip,
		o->key.lport, 53, 64, host_ipid(s, o->host), m, n));
	svc(s, NATGW_SYNTH_SVC_dns)->sent += n;
	o->timer = s->now + (SEC << o->tries);
}

static void
query_new(struct natgw_synth *s, struct obj *w, uint32_t widx, unsigned int dest)
{
	struct obj *o;
	uint32_t idx;

	o = obj_new(s, O_QUERY, &idx);
	if (o == NULL)
		return;
	o->rng.s = rng_next(&w->rng);
	o->host = w->host;
	o->owner = widx;
	o->dest = (uint8_t)dest;
	o->svc = NATGW_SYNTH_SVC_dns;
	o->id = (uint16_t)rng_next(&o->rng);
	o->key.lip = s->hosts[w->host].ip;
	o->key.rip = synth_dests[D_GDNS].ip;
	o->key.lport = (uint16_t)rng_range(&o->rng, 32768, 60999);
	o->key.rport = 53;
	o->key.proto = P_UDP;
	link_key(s, o, idx);
	w->children++;
	session_start(s, NATGW_SYNTH_SVC_dns);
	svc(s, NATGW_SYNTH_SVC_dns)->asked += 1;
	query_send(s, o);
	arm(s, o, idx, o->timer);
}

static void
query_wake(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	if (s->now < o->timer) {
		arm(s, o, idx, o->timer);
		return;
	}
	if (++o->tries >= s->c.retries) {
		session_end(s, NATGW_SYNTH_SVC_dns, false);
		child_done(s, o, false);
		obj_free(s, o, idx);
		return;
	}
	s->st.retransmits_host++;
	query_send(s, o);
	arm(s, o, idx, o->timer);
}

static void
ping_send(struct natgw_synth *s, struct obj *o)
{
	uint8_t f[FRAME_MAX];
	uint32_t l4 = ip_hdr(f, true, o->key.lip, o->key.rip, P_ICMP, 64,
		host_ipid(s, o->host), true, 64), i;

	f[l4] = 8;
	f[l4 + 1] = 0;
	synth_wr16(f + l4 + 2, 0);
	synth_wr16(f + l4 + 4, o->id);
	synth_wr16(f + l4 + 6, 1);
	for (i = 8; i < 64; i++)
		f[l4 + i] = (uint8_t)(0x10 + i);
	finish(s, s->now, NATGW_SYNTH_INSIDE, f, l4 + 64);
	svc(s, NATGW_SYNTH_SVC_ping)->sent += 64;
	svc(s, NATGW_SYNTH_SVC_ping)->asked += 64;
	session_start(s, NATGW_SYNTH_SVC_ping);
	o->timer = s->now + PING_TIMEOUT;
	o->tries = 1;
}

static void
ping_wake(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	if (s->now < o->timer) {
		arm(s, o, idx, o->timer);
		return;
	}
	if (o->tries == 0) {
		o->key.lip = s->hosts[o->host].ip;
		o->key.rip = synth_dests[D_GDNS].ip;
		o->key.lport = o->id;
		o->key.rport = 0;
		o->key.proto = P_ICMP;
		link_key(s, o, idx);
		ping_send(s, o);
		arm(s, o, idx, o->timer);
		return;
	}
	/* No echo within the timeout: a lost ping is not sent again. */
	session_end(s, NATGW_SYNTH_SVC_ping, false);
	child_done(s, o, false);
	obj_free(s, o, idx);
}

/* ------------------------------------------------------------ the burst */

/* Wake @p o at @p t for its next step, whatever child events come first. */
static void
step_at(struct natgw_synth *s, struct obj *o, uint32_t idx, uint64_t t)
{
	o->timer = t;
	arm(s, o, idx, t);
}


static void
burst_wake(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	uint8_t f[FRAME_MAX];
	uint64_t gap;
	uint32_t n;

	if (o->phase == 0) {
		/* Its name first, from the VPC resolver. */
		o->phase = 1;
		step_at(s, o, idx, vpc_resolve(s, o, D_METRICS));
		return;
	}
	if (o->phase == 1) {
		o->phase = 2;
		session_start(s, NATGW_SYNTH_SVC_statsd);
		o->timer = s->now;
	}
	n = (uint32_t)(o->left < BURST_PAYLOAD ? o->left : BURST_PAYLOAD);
	finish(s, s->now, NATGW_SYNTH_INSIDE, f, udp_frame(f, true, s->hosts[o->host].ip,
		synth_dests[D_METRICS].ip, o->sport, synth_dests[D_METRICS].port, 64,
		host_ipid(s, o->host), s->statsd_payload, n));
	svc(s, NATGW_SYNTH_SVC_statsd)->sent += n;
	o->left -= n;
	if (o->left == 0) {
		/* One-way: done once sent; what arrived is the collector's count. */
		session_end(s, NATGW_SYNTH_SVC_statsd, true);
		obj_free(s, o, idx);
		return;
	}
	o->seq++;
	/* Paced from the burst's start, so rounding does not drift. */
	gap = (uint64_t)((double)o->seq * (BURST_PAYLOAD + 42) * 8e9 / (double)s->c.burst_bps);
	arm(s, o, idx, o->timer + gap);
}

/* ------------------------------------------------------------ agents, tasks */

enum { T_LAUNCH, T_ECR, T_ECR_W, T_DKR, T_DKR_W, T_S3, T_S3_W, T_RUN1, T_RUN2, T_RUNW };

static void
agent_wake(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	switch (o->phase) {
	case 0:
		o->phase = 1;
		step_at(s, o, idx, vpc_resolve(s, o, D_ECS));
		return;
	case 1:
		o->phase = 2;
		conn_new(s, o, idx, D_ECS, 0, s->c.ecs_every_ns);
		return;
	default:
		if (o->children == 0)
			obj_free(s, o, idx);
		return;
	}
}

static void
task_wake(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	uint32_t i;

	switch (o->phase) {
	case T_LAUNCH:
		o->phase = T_ECR;
		step_at(s, o, idx, vpc_resolve(s, o, D_ECR_API));
		return;
	case T_ECR:
		o->phase = T_ECR_W;
		conn_new(s, o, idx, D_ECR_API, 1, 0);
		return;
	case T_DKR:
		o->phase = T_DKR_W;
		conn_new(s, o, idx, D_ECR_DKR, 2, 0);
		return;
	case T_S3:
		o->phase = T_S3_W;
		for (i = 0; i < s->c.layers; i++)
			conn_new(s, o, idx, D_S3_LAYERS, 1, 0);
		return;
	case T_RUN1:
		o->phase = T_RUN2;
		conn_new(s, o, idx, D_DDB, 0, s->c.ddb_every_ns);
		step_at(s, o, idx, vpc_resolve(s, o, D_LOGS));
		return;
	case T_RUN2:
		o->phase = T_RUNW;
		conn_new(s, o, idx, D_LOGS, 0, s->c.logs_every_ns);
		if (o->internet) {
			query_new(s, o, idx, D_GITHUB);
			for (i = 0; i < s->c.pings; i++) {
				struct obj *p;
				uint32_t pi;

				p = obj_new(s, O_PING, &pi);
				if (p == NULL)
					break;
				p->host = o->host;
				p->owner = idx;
				p->svc = NATGW_SYNTH_SVC_ping;
				p->id = (uint16_t)rng_next(&o->rng);
				p->timer = s->now + (i + 1) * SEC;
				o->children++;
				arm(s, p, pi, p->timer);
			}
		}
		return;
	default:
		break;
	}
	if (o->children)
		return;
	/* A step's connections are all done: the next step. */
	switch (o->phase) {
	case T_ECR_W:
		o->phase = T_DKR;
		step_at(s, o, idx, vpc_resolve(s, o, D_ECR_DKR));
		return;
	case T_DKR_W:
		o->phase = T_S3;
		step_at(s, o, idx, vpc_resolve(s, o, D_S3_LAYERS));
		return;
	case T_S3_W:
		o->phase = T_RUN1;
		step_at(s, o, idx, vpc_resolve(s, o, D_DDB));
		return;
	default:
		break;
	}
	obj_free(s, o, idx);
}

/* The public DNS answer for GitHub started its connection: the task's own
 * children count it. */
static void
task_child_event(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	if (o->phase == T_RUNW && o->dns_ok && !o->github) {
		o->github = true;
		conn_new(s, o, idx, D_GITHUB, 0, s->c.github_every_ns);
		return;
	}
	task_wake(s, o, idx);
}

static void
wake(struct natgw_synth *s, struct obj *o, uint32_t idx)
{
	o->armed = false;
	o->spin = o->last_wake == s->now ? o->spin + 1 : 0;
	o->last_wake = s->now;
	/* A child's event before the step's time (its DNS answer): wait. */
	if ((o->kind == O_TASK || o->kind == O_AGENT) && s->now < o->timer) {
		arm(s, o, idx, o->timer);
		return;
	}
	switch (o->kind) {
	case O_AGENT:
		agent_wake(s, o, idx);
		break;
	case O_TASK:
		task_child_event(s, o, idx);
		break;
	case O_BURST:
		burst_wake(s, o, idx);
		break;
	case O_CONN:
		conn_wake(s, o, idx);
		break;
	case O_SERVER:
		server_wake(s, o, idx);
		break;
	case O_QUERY:
		query_wake(s, o, idx);
		break;
	default:
		ping_wake(s, o, idx);
		break;
	}
}

/* ------------------------------------------------------------ receiving */

struct rx {
	const uint8_t *f;
	uint32_t len;
	struct natgw_pkt_info pi;
	uint32_t src, dst;
	const uint8_t *l4;
	uint32_t l4len;
};

/* Parse and check a delivered frame; false (counted) if it is not sound. */
static bool
rx_parse(struct natgw_synth *s, struct rx *x)
{
	const uint8_t *ip;
	uint16_t cs;

	if (natgw_pkt_parse(x->f, x->len, &x->pi) != NATGW_DROP_NONE ||
			(x->pi.flags & (NATGW_PKT_F_FRAG | NATGW_PKT_F_ICMP_ERR))) {
		s->st.malformed++;
		return false;
	}
	ip = x->f + x->pi.l3_off;
	x->src = synth_rd32(ip + 12);
	x->dst = synth_rd32(ip + 16);
	x->l4 = x->f + x->pi.l4_off;
	x->l4len = x->pi.ip_len - (x->pi.l4_off - x->pi.l3_off);
	/* A receiver checks the transport checksum: a NAT that broke it
	 * must show. */
	if (ip[9] == P_ICMP) {
		cs = natgw_csum_raw(x->l4, x->l4len, 0);
	} else {
		if (ip[9] == P_UDP && synth_rd16(x->l4 + 6) == 0)
			return true;
		cs = natgw_csum_raw(x->l4, x->l4len,
			natgw_csum_pseudo(ip, ip[9], (uint16_t)x->l4len));
	}
	if (cs != 0) {
		s->st.malformed++;
		return false;
	}
	return true;
}

static bool
rx_tcp(struct rx *x, struct seg *g)
{
	uint32_t hl = (uint32_t)(x->l4[12] >> 4) * 4;

	if (hl < 20 || hl > x->l4len)
		return false;
	memset(g, 0, sizeof(*g));
	g->seq = synth_rd32(x->l4 + 4);
	g->ack = synth_rd32(x->l4 + 8);
	g->flags = x->l4[13];
	g->wnd = synth_rd16(x->l4 + 14);
	g->data = x->l4 + hl;
	g->len = x->l4len - hl;
	if (g->flags & 0x02)
		syn_options(x->l4, hl, g);
	return true;
}

static void
key_of(const struct rx *x, struct fkey *k, bool resp)
{
	memset(k, 0, sizeof(*k));
	k->lip = x->dst;
	k->rip = x->src;
	k->proto = x->f[x->pi.l3_off + 9];
	k->resp = resp;
	if (k->proto == P_ICMP) {
		k->lport = synth_rd16(x->l4 + 4);
	} else {
		k->lport = synth_rd16(x->l4 + 2);
		k->rport = synth_rd16(x->l4);
	}
}

/* An unknown TCP segment gets a reset, as a stack answers one. */
static void
rst_unknown(struct natgw_synth *s, const struct rx *x, const struct seg *g, bool from_host)
{
	if (g->flags & 0x04)
		return;
	if (g->flags & 0x10)
		tcp_rst(s, from_host, x->dst, x->src, synth_rd16(x->l4 + 2), synth_rd16(x->l4), g->ack, 0, false);
	else
		tcp_rst(s, from_host, x->dst, x->src, synth_rd16(x->l4 + 2), synth_rd16(x->l4), 0,
			g->seq + g->len + ((g->flags & 0x02) ? 1 : 0), true);
}

static void
host_rx(struct natgw_synth *s, const uint8_t *f, uint32_t len)
{
	struct rx x = {.f = f, .len = len};
	struct fkey k;
	struct obj *o;
	uint32_t idx;
	struct seg g;

	s->st.delivered[0]++;
	if (!rx_parse(s, &x))
		return;
	key_of(&x, &k, false);
	o = lookup(s, &k, &idx);
	switch (k.proto) {
	case P_TCP:
		if (!rx_tcp(&x, &g)) {
			s->st.malformed++;
			return;
		}
		if (o == NULL || o->kind != O_CONN) {
			s->st.unknown++;
			rst_unknown(s, &x, &g, true);
			return;
		}
		if (tcp_input(s, o, idx, &g)) {
			tcp_output(s, o);
			conn_wake(s, o, idx);
		}
		return;
	case P_UDP:
		if (o == NULL || o->kind != O_QUERY || x.l4len < 20 || synth_rd16(x.l4 + 8) != o->id ||
				!(x.l4[10] & 0x80)) {
			s->st.unknown++;
			return;
		}
		svc(s, NATGW_SYNTH_SVC_dns)->received += 1;
		session_end(s, NATGW_SYNTH_SVC_dns, (x.l4[11] & 0x0f) == 0 && synth_rd16(x.l4 + 14) > 0);
		child_done(s, o, (x.l4[11] & 0x0f) == 0 && synth_rd16(x.l4 + 14) > 0);
		obj_free(s, o, idx);
		return;
	default:
		if (o == NULL || o->kind != O_PING || x.l4[0] != 0 || o->tries == 0) {
			s->st.unknown++;
			return;
		}
		svc(s, NATGW_SYNTH_SVC_ping)->received += x.l4len;
		session_end(s, NATGW_SYNTH_SVC_ping, true);
		child_done(s, o, true);
		obj_free(s, o, idx);
		return;
	}
}

static void
resp_udp(struct natgw_synth *s, const struct rx *x)
{
	uint8_t f[FRAME_MAX], m[512];
	char name[256];
	uint32_t i = 12, n = 0, plen = x->l4len - 8;
	const uint8_t *q = x->l4 + 8;
	uint16_t dport = synth_rd16(x->l4 + 2), qtype;
	const struct dest *me = synth_dest_by_ip(x->dst);

	if (me && me->svc == NATGW_SYNTH_SVC_statsd && dport == me->port) {
		s->st.statsd_received++;
		svc(s, NATGW_SYNTH_SVC_statsd)->received += plen;
		return;
	}
	if (dport != 53 || plen < 17 || (q[2] & 0x80) || synth_rd16(q + 4) != 1) {
		s->st.unknown++;
		return;
	}
	/* The question's name, uncompressed as queries send it. */
	while (i < plen && q[i]) {
		uint8_t l = q[i];

		if (l > 63 || i + 1 + l >= plen || n + l + 1 >= sizeof(name)) {
			s->st.malformed++;
			return;
		}
		if (n)
			name[n++] = '.';
		memcpy(name + n, q + i + 1, l);
		n += l;
		i += 1u + l;
	}
	name[n] = 0;
	if (i + 5 > plen) {
		s->st.malformed++;
		return;
	}
	qtype = synth_rd16(q + i + 1);
	n = dns_msg(m, synth_rd16(q), name, qtype, true);
	/* The answer comes from the address asked, to the address it came from. */
	finish(s, resp_time(s, x->dst), NATGW_SYNTH_OUTSIDE, f, udp_frame(f, false, x->dst,
		x->src, 53, synth_rd16(x->l4), me ? me->ttl : 52, (uint16_t)synth_rd16(q), m, n));
}

static void
resp_icmp(struct natgw_synth *s, const struct rx *x)
{
	uint8_t f[FRAME_MAX];
	const struct dest *me = synth_dest_by_ip(x->dst);
	uint32_t l4;

	if (x->l4[0] != 8 || x->l4len + 34 > FRAME_MAX) {
		s->st.unknown++;
		return;
	}
	l4 = ip_hdr(f, false, x->dst, x->src, P_ICMP, me ? me->ttl : 52, synth_rd16(x->l4 + 6), false,
		x->l4len);
	memcpy(f + l4, x->l4, x->l4len);
	f[l4] = 0;
	synth_wr16(f + l4 + 2, 0);
	finish(s, resp_time(s, x->dst), NATGW_SYNTH_OUTSIDE, f, l4 + x->l4len);
}

static void
resp_rx(struct natgw_synth *s, const uint8_t *f, uint32_t len)
{
	struct rx x = {.f = f, .len = len};
	struct fkey k;
	struct obj *o;
	uint32_t idx;
	struct seg g;

	s->st.delivered[1]++;
	if (!rx_parse(s, &x))
		return;
	key_of(&x, &k, true);
	if (k.proto == P_UDP) {
		resp_udp(s, &x);
		return;
	}
	if (k.proto == P_ICMP) {
		resp_icmp(s, &x);
		return;
	}
	if (!rx_tcp(&x, &g)) {
		s->st.malformed++;
		return;
	}
	o = lookup(s, &k, &idx);
	if (o == NULL) {
		const struct dest *d = synth_dest_by_ip(x.dst);

		if ((g.flags & 0x17) != 0x02) {
			s->st.unknown++;
			rst_unknown(s, &x, &g, false);
			return;
		}
		if (s->resp_flows >= s->c.max_flows) {
			/* A full backlog drops the SYN; the client tries again. */
			s->st.refused++;
			return;
		}
		o = obj_new(s, O_SERVER, &idx);
		if (o == NULL) {
			s->st.refused++;
			return;
		}
		s->resp_flows++;
		o->last_rx = s->now;
		if (s->resp_flows > s->st.resp_flows_peak)
			s->st.resp_flows_peak = s->resp_flows;
		o->key = k;
		/* Its ISN and bytes follow from the destination and the
		 * client's ISN, not from the client's address and port, which a
		 * NAT changes: the same connection gets the same answer through
		 * a NAT or straight (a capture of it replays to the same bytes). */
		o->rng.s = synth_mix(s->c.seed ^ ((uint64_t)k.lip << 32 | k.lport) ^
			((uint64_t)g.seq << 7));
		o->dest = d ? (uint8_t)(d - synth_dests) : D_GITHUB;
		o->svc = d ? d->svc : NATGW_SYNTH_SVC_github;
		link_key(s, o, idx);
		tcp_init(s, o, d);
		o->t.state = T_SYN_RCVD;
		o->t.irs = g.seq;
		o->t.peer_ws = g.has_ws ? g.ws : 0;
		o->t.mss = g.mss && g.mss < SERVER_MSS ? g.mss : SERVER_MSS;
		o->t.peer_wnd = g.wnd;
		tcp_output(s, o);
		arm(s, o, idx, tcp_next(&o->t));
		return;
	}
	if (tcp_input(s, o, idx, &g))
		server_wake(s, o, idx);
}

/* ------------------------------------------------------------ the API */

const struct natgw_synth_conf *
natgw_synth_conf(const struct natgw_synth *s)
{
	return &s->c;
}

static void
schedule(struct natgw_synth *s)
{
	const struct natgw_synth_conf *c = &s->c;
	uint64_t slot = c->tasks ? c->launch_ns / c->tasks : 0;
	uint32_t i, idx;
	struct obj *o;

	for (i = 0; i < c->hosts; i++) {
		o = obj_new(s, O_AGENT, &idx);
		if (o == NULL)
			return;
		o->host = i;
		o->rng.s = synth_mix(c->seed ^ 0xa9e47ull ^ i);
		arm(s, o, idx, c->start_ns + i * 500 * MS / (c->hosts > 4 ? c->hosts / 4 : 1) +
			rng_range(&o->rng, 0, 400) * MS / 10);
	}
	for (i = 0; i < c->tasks; i++) {
		o = obj_new(s, O_TASK, &idx);
		if (o == NULL)
			return;
		o->host = i % c->hosts;
		o->rng.s = synth_mix(c->seed ^ 0x7a5cull ^ ((uint64_t)i << 20));
		o->internet = rng_unit(&s->rng) < c->internet;
		/* After the agents are up; within the launch window. */
		arm(s, o, idx, c->start_ns + 2 * SEC + i * slot +
			(slot ? rng_range(&o->rng, 0, slot - 1) : 0));
	}
	if (c->burst_bytes) {
		o = obj_new(s, O_BURST, &idx);
		if (o == NULL)
			return;
		o->host = 0;
		o->rng.s = synth_mix(c->seed ^ 0xb0257ull);
		o->sport = (uint16_t)rng_range(&o->rng, 32768, 60999);
		o->left = c->burst_bytes;
		arm(s, o, idx, c->start_ns + c->burst_at_ns - 20 * MS);
	}
}

uint32_t
natgw_synth_host_ip(const struct natgw_synth_conf *c, uint32_t i)
{
	return c->net + (c->net_len <= 23 ? 256 : 0) + 10 + i;
}

struct natgw_synth *
natgw_synth_create(const struct natgw_synth_conf *c, char *err, size_t errlen)
{
	struct natgw_synth *s;
	uint32_t i, n, mask = 0xffffffffu << (32 - c->net_len);
	uint64_t room = ((uint64_t)1 << (32 - c->net_len));
	size_t k;

	if (c->hosts + 12 > room) {
		snprintf(err, errlen, "synth: hosts=%u do not fit in net (/%u)", c->hosts, c->net_len);
		return NULL;
	}
	if (c->launch_ns + 2 * SEC >= c->duration_ns) {
		snprintf(err, errlen, "synth: launch: must end before duration (2 s after the "
			"start, tasks begin)");
		return NULL;
	}
	if (c->burst_bytes && (c->burst_at_ns < 1 * SEC || c->burst_at_ns >= c->duration_ns)) {
		snprintf(err, errlen, "synth: burst_at: must be between 1 s and duration");
		return NULL;
	}
	if (c->layers && c->image_bytes / c->layers > 0xfff00000u) {
		snprintf(err, errlen, "synth: image: a layer of 4 GB or more (raise layers)");
		return NULL;
	}
	if ((c->resolver & mask) != c->net) {
		snprintf(err, errlen, "synth: resolver: not in net");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->c = *c;
	s->rng.s = synth_mix(c->seed);
	s->now = c->start_ns;
	s->bound = c->start_ns + c->duration_ns + GRACE;
	/* Host and responder flows at once: the tasks' and agents' few, and
	 * the responder's bound. */
	n = c->max_flows + c->hosts * 2 + c->tasks * (c->layers + 6);
	for (s->nbuckets = 1024; s->nbuckets < n && s->nbuckets < (1u << 24); s->nbuckets <<= 1)
		;
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	s->hosts = calloc(c->hosts, sizeof(*s->hosts));
	if (s->buckets == NULL || s->hosts == NULL)
		goto nomem;
	for (i = 0; i < c->hosts; i++) {
		s->hosts[i].ip = natgw_synth_host_ip(c, i);
		s->hosts[i].ipid = (uint16_t)synth_mix(c->seed ^ i);
		if ((s->hosts[i].ip & mask) != c->net || s->hosts[i].ip == c->resolver) {
			snprintf(err, errlen, "synth: hosts=%u do not fit in net", c->hosts);
			natgw_synth_free(s);
			return NULL;
		}
	}
	/* statsd lines, as a metrics library flushes them. */
	for (k = 0, i = 0; k < sizeof(s->statsd_payload); i++) {
		char line[64];
		int w = snprintf(line, sizeof(line), "app.task.requests.%u:%u|c|#az:use1-az%u\n",
			i % 97, 1 + i % 13, 1 + i % 6);
		size_t m = (size_t)w < sizeof(s->statsd_payload) - k ?
			(size_t)w : sizeof(s->statsd_payload) - k;

		memcpy(s->statsd_payload + k, line, m);
		k += m;
	}
	schedule(s);
	return s;
nomem:
	snprintf(err, errlen, "synth: out of memory");
	natgw_synth_free(s);
	return NULL;
}

void
natgw_synth_free(struct natgw_synth *s)
{
	uint32_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nheap; i++)
		free(s->heap[i].buf);
	for (i = 0; i < s->nobjs; i++)
		free(s->objs[i]);
	free(s->heap);
	free(s->objs);
	free(s->freel);
	free(s->buckets);
	free(s->hosts);
	free(s);
}

uint64_t
natgw_synth_next_time(const struct natgw_synth *s)
{
	return s->nheap ? s->heap[0].t : UINT64_MAX;
}

/* A wake-up the object still wants (not one left behind by an earlier one,
 * nor one of an object since freed). */
static bool
wake_valid(const struct natgw_synth *s, const struct ev *e)
{
	const struct obj *o = s->objs[e->obj];

	return o->gen == e->gen && o->armed && o->wake == e->t && !o->done;
}

/* The hard bound: what is still going is cut, counted as failed. */
static void
cut(struct natgw_synth *s)
{
	uint32_t i;

	for (i = 0; i < s->nobjs; i++) {
		struct obj *o = s->objs[i];

		if (o->done)
			continue;
		s->st.cut = true;
		if ((o->kind == O_CONN && o->phase != 0xff) || o->kind == O_QUERY ||
				(o->kind == O_PING && o->tries))
			session_end(s, o->svc, false);
		obj_free(s, o, i);
	}
	for (i = 0; i < s->nheap; i++)
		free(s->heap[i].buf);
	s->nheap = 0;
}

int
natgw_synth_next(struct natgw_synth *s, uint64_t until, uint8_t *buf, uint32_t cap,
		uint32_t *len, uint64_t *ts_ns, enum natgw_synth_side *side)
{
	while (s->nheap) {
		struct ev e = s->heap[0];

		if (e.type == EV_WAKE && !wake_valid(s, &e)) {
			pop(s);
			continue;
		}
		if (e.t > until)
			return 0;
		if (e.t > s->bound) {
			cut(s);
			return 0;
		}
		if (e.type == EV_FRAME) {
			*len = e.len;
			if (e.len > cap)
				return -1;
			pop(s);
			memcpy(buf, e.buf, e.len);
			free(e.buf);
			*ts_ns = e.t;
			*side = (enum natgw_synth_side)e.side;
			s->now = e.t;
			s->st.frames_out[e.side]++;
			return 1;
		}
		pop(s);
		s->now = e.t;
		if (e.type == EV_RECV) {
			if (e.side == NATGW_SYNTH_INSIDE)
				host_rx(s, e.buf, e.len);
			else
				resp_rx(s, e.buf, e.len);
			free(e.buf);
		} else {
			wake(s, s->objs[e.obj], e.obj);
		}
	}
	return 0;
}

void
natgw_synth_deliver(struct natgw_synth *s, enum natgw_synth_side side, const uint8_t *frame,
		uint32_t len, uint64_t now)
{
	struct ev e = {.type = EV_RECV, .len = len, .side = (uint8_t)side};
	uint64_t delay = HOST_DELAY;

	if (side == NATGW_SYNTH_OBSERVE)
		return;
	if (len > FRAME_MAX || len < ETH_LEN) {
		s->st.malformed++;
		return;
	}
	if (side == NATGW_SYNTH_OUTSIDE) {
		/* Half the destination's round trip to reach it. */
		const struct dest *d = NULL;

		if (len >= ETH_LEN + 20 && synth_rd16(frame + 12) == 0x0800)
			d = synth_dest_by_ip(synth_rd32(frame + ETH_LEN + 16));
		delay = dest_rtt(d) * US / 2;
	}
	if (now + delay < s->now)
		s->st.late++;
	e.t = now + delay;
	e.buf = malloc(len);
	if (e.buf == NULL)
		return;
	memcpy(e.buf, frame, len);
	if (push(s, &e) < 0)
		free(e.buf);
}

uint64_t
natgw_synth_run_direct(struct natgw_synth *s, uint64_t until, natgw_synth_frame_fn fn,
		void *arg)
{
	uint8_t buf[FRAME_MAX];
	uint64_t n = 0, ts;
	uint32_t len;
	enum natgw_synth_side side;

	while (natgw_synth_next(s, until, buf, sizeof(buf), &len, &ts, &side) == 1) {
		int copies = fn ? fn(arg, buf, len, ts, side) : 1;

		n++;
		if (side == NATGW_SYNTH_OBSERVE)
			continue;
		while (copies-- > 0)
			natgw_synth_deliver(s, side == NATGW_SYNTH_INSIDE ? NATGW_SYNTH_OUTSIDE :
				NATGW_SYNTH_INSIDE, buf, len, ts);
	}
	return n;
}

void
natgw_synth_stats(const struct natgw_synth *s, struct natgw_synth_stats *st)
{
	*st = s->st;
}

void
natgw_synth_summary(const struct natgw_synth_conf *c, const struct natgw_synth_stats *st,
		char *buf, size_t n)
{
	snprintf(buf, n, "%u hosts, %u tasks: %" PRIu64 " sessions, %" PRIu64 " completed, %"
		PRIu64 " failed; %" PRIu64 " retransmissions (%" PRIu64 " by the hosts, %" PRIu64
		" by the responder)%s", c->hosts, c->tasks, st->started, st->completed, st->failed,
		st->retransmits_host + st->retransmits_resp, st->retransmits_host,
		st->retransmits_resp, st->cut ? "; cut at the hard bound" : "");
}

json_t *
natgw_synth_stats_json(const struct natgw_synth_stats *st)
{
	json_t *o = json_object(), *sv = json_object();
	unsigned int i;

#define SET(name) json_object_set_new(o, #name, json_integer((json_int_t)st->name))
	SET(started);
	SET(completed);
	SET(failed);
	SET(retransmits_host);
	SET(retransmits_resp);
	SET(fast_retransmits);
	SET(timeouts);
	SET(responder_aborted);
	SET(unknown);
	SET(duplicate);
	SET(out_of_order);
	SET(malformed);
	SET(late);
	SET(resets);
	SET(refused);
	SET(statsd_received);
	SET(resp_flows_peak);
	SET(stalls);
#undef SET
	json_object_set_new(o, "frames_inside", json_integer((json_int_t)st->frames_out[0]));
	json_object_set_new(o, "frames_outside", json_integer((json_int_t)st->frames_out[1]));
	json_object_set_new(o, "frames_observe", json_integer((json_int_t)st->frames_out[2]));
	json_object_set_new(o, "delivered_hosts", json_integer((json_int_t)st->delivered[0]));
	json_object_set_new(o, "delivered_responder", json_integer((json_int_t)st->delivered[1]));
	json_object_set_new(o, "cut_at_bound", json_boolean(st->cut));
	for (i = 0; i < NATGW_SYNTH_N_SVC; i++) {
		const struct natgw_synth_svc_stats *v = &st->svc[i];

		json_object_set_new(sv, svc_names[i], json_pack("{sIsIsIsIsIsI}",
			"started", (json_int_t)v->started, "completed", (json_int_t)v->completed,
			"failed", (json_int_t)v->failed, "asked", (json_int_t)v->asked,
			"received", (json_int_t)v->received, "sent", (json_int_t)v->sent));
	}
	json_object_set_new(o, "services", sv);
	return o;
}
