/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/synth: the parameters and every error; the same seed gives the same
 * bytes; every frame's checksums, recomputed here from scratch
 * (tests/lib's tp_verify, not the library's code); the loop closed with no
 * NAT completes every session; with frames lost (every k-th, in bursts),
 * duplicated or reordered, sessions complete by retransmission or fail
 * counted after the bounded tries, never hang, and TCP stays coherent
 * (a retransmission carries the bytes first sent at its sequence number, ACKs
 * never go back); frames the receivers do not know, broken ones and late ones
 * are counted. The library needs no EAL.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natgw_synth.h"
#include "natgw_test.h"

#define SEC 1000000000ull

static char err[512];

static void
ck_err(int rc, const char *what)
{
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err, what) != NULL, "error \"%s\" does not say \"%s\"", err, what);
	ck_assert_msg(strchr(err, '\n') == NULL, "error \"%s\" is not one line", err);
}

/* A small scenario: every kind of session, in a minute of virtual time. */
static const char *const SMALL = "hosts=2,tasks=3,duration=60,launch=20,image=600k,layers=2,"
	"internet=1,pings=2,burst=200k,burst_at=30,ddb_every=3s,github_every=15";

static struct natgw_synth *
make(const char *kv)
{
	struct natgw_synth_conf c;
	struct natgw_synth *s;

	natgw_synth_conf_defaults(&c);
	ck_assert_msg(natgw_synth_conf_parse(&c, kv, err, sizeof(err)) == 0, "%s", err);
	s = natgw_synth_create(&c, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	return s;
}

START_TEST(test_defaults)
{
	struct natgw_synth_conf c;
	char line[512];

	natgw_synth_conf_defaults(&c);
	ck_assert_uint_eq(c.hosts, 4);
	ck_assert_uint_eq(c.tasks, 6);
	ck_assert_uint_eq(c.duration_ns, 300 * SEC);
	ck_assert_uint_eq(c.net, 0x0a000000);
	ck_assert_uint_eq(c.net_len, 16);
	ck_assert_uint_eq(c.resolver, 0x0a000002);
	ck_assert_uint_eq(c.burst_bytes, 2000000);
	ck_assert_uint_eq(c.burst_bps, 16000000000ull);
	ck_assert_uint_eq(natgw_synth_host_ip(&c, 0), 0x0a00010a);
	natgw_synth_describe(&c, line, sizeof(line));
	ck_assert_msg(strstr(line, "4 hosts") && strstr(line, "6 tasks"), "%s", line);
}
END_TEST

START_TEST(test_parse_units)
{
	struct natgw_synth_conf c;
	json_t *j;

	natgw_synth_conf_defaults(&c);
	ck_assert_int_eq(natgw_synth_conf_parse(&c, "duration=2m,launch=500ms,image=2MiB,"
		"burst=1.5MB,burst_rate=10Gbps,burst_at=90s,ddb_every=250ms,rto_min=10ms,"
		"internet=0.25,seed=18446744073709551615,net=192.168.0.0/20,hosts=7", err,
		sizeof(err)), 0);
	ck_assert_uint_eq(c.duration_ns, 120 * SEC);
	ck_assert_uint_eq(c.launch_ns, SEC / 2);
	ck_assert_uint_eq(c.image_bytes, 2 * 1048576);
	ck_assert_uint_eq(c.burst_bytes, 1500000);
	ck_assert_uint_eq(c.burst_bps, 10000000000ull);
	ck_assert_uint_eq(c.ddb_every_ns, SEC / 4);
	ck_assert_uint_eq(c.rto_min_ns, SEC / 100);
	ck_assert(c.internet == 0.25);
	ck_assert_uint_eq(c.seed, UINT64_MAX);
	ck_assert_uint_eq(c.net, 0xc0a80000);
	ck_assert_uint_eq(c.net_len, 20);
	/* The resolver follows the network. */
	ck_assert_uint_eq(c.resolver, 0xc0a80002);
	ck_assert_uint_eq(c.hosts, 7);
	/* A /20 has a second /24: hosts from .1.10. */
	ck_assert_uint_eq(natgw_synth_host_ip(&c, 2), 0xc0a8010c);
	ck_assert_int_eq(natgw_synth_conf_parse(&c, "resolver=192.168.3.3", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.resolver, 0xc0a80303);
	ck_assert_int_eq(natgw_synth_conf_parse(&c, "", err, sizeof(err)), 0);
	j = natgw_synth_conf_json(&c);
	ck_assert_str_eq(json_string_value(json_object_get(j, "net")), "192.168.0.0/20");
	ck_assert(json_real_value(json_object_get(j, "duration")) == 120.0);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "hosts")), 7);
	json_decref(j);
}
END_TEST

START_TEST(test_parse_errors)
{
	static const struct {
		const char *kv, *what;
	} bad[] = {
		{"hosts", "'hosts': want key=value"},
		{"=3", "want key=value"},
		{"hosts=", "want key=value"},
		{"colour=red", "unknown key 'colour'"},
		{"hosts=0", "hosts=0: want 1 to 4096"},
		{"hosts=2.5", "hosts=2.5"},
		{"hosts=-1", "hosts=-1"},
		{"hosts=4097", "hosts=4097"},
		{"tasks=lots", "tasks=lots"},
		{"duration=0.5", "duration=0.5: want 1s to 24h"},
		{"duration=10parsecs", "duration=10parsecs"},
		{"launch=25h", "launch=25h"},
		{"image=1P", "image=1P"},
		{"image=3Mb", "image=3Mb"},
		{"layers=0", "layers=0"},
		{"layers=33", "layers=33"},
		{"ddb_req=1", "ddb_req=1"},
		{"internet=1.5", "internet=1.5: want a share from 0 to 1"},
		{"internet=half", "internet=half"},
		{"pings=1001", "pings=1001"},
		{"burst=20G", "burst=20G"},
		{"burst_rate=100", "burst_rate=100"},
		{"burst_rate=5Gbit", "burst_rate=5Gbit"},
		{"net=10.0.0.0", "net=10.0.0.0: want an IPv4 network"},
		{"net=10.0.0.0/30", "net=10.0.0.0/30"},
		{"net=10.0.0.1/16", "host bits set"},
		{"net=ten/8", "net=ten/8"},
		{"resolver=10.0.0.300", "resolver=10.0.0.300"},
		{"resolver=172.16.0.2", "resolver: not in net"},
		{"retries=0", "retries=0"},
		{"rto_min=0", "rto_min=0"},
		{"max_flows=1", "max_flows=1"},
		{"seed=-3", "seed=-3"},
		{"seed=1e3", "seed=1e3"},
		{"ecs_every=1ms", "ecs_every=1ms"},
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct natgw_synth_conf c;

		natgw_synth_conf_defaults(&c);
		err[0] = 0;
		ck_err(natgw_synth_conf_parse(&c, bad[i].kv, err, sizeof(err)), bad[i].what);
	}
}
END_TEST

START_TEST(test_create_errors)
{
	static const struct {
		const char *kv, *what;
	} bad[] = {
		{"net=10.0.0.0/28,hosts=10", "do not fit in net"},
		{"duration=60,launch=60", "launch: must end before duration"},
		{"duration=60,launch=10,burst_at=60", "burst_at: must be between"},
		{"burst_at=0.5", "burst_at: must be between"},
		{"image=10G,layers=2", "a layer of 4 GB or more"},
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct natgw_synth_conf c;

		natgw_synth_conf_defaults(&c);
		ck_assert_msg(natgw_synth_conf_parse(&c, bad[i].kv, err, sizeof(err)) == 0, "%s",
			err);
		err[0] = 0;
		ck_assert_ptr_null(natgw_synth_create(&c, err, sizeof(err)));
		ck_err(-1, bad[i].what);
	}
	/* Without a burst its time does not matter. */
	{
		struct natgw_synth_conf c;
		struct natgw_synth *s;

		natgw_synth_conf_defaults(&c);
		ck_assert_int_eq(natgw_synth_conf_parse(&c, "burst=0,burst_at=0", err,
			sizeof(err)), 0);
		s = natgw_synth_create(&c, err, sizeof(err));
		ck_assert_ptr_nonnull(s);
		natgw_synth_free(s);
	}
}
END_TEST

/* ------------------------------------------------------------ a run's checks */

/* What a run's frames must show: checksums, and per TCP flow direction,
 * retransmissions with the bytes first sent and ACKs that never go back. */
#define SEGS (1 << 18)

struct seg_rec {
	uint64_t key;   /* flow direction and sequence number; 0: empty */
	uint32_t len;
	uint64_t sum;
};

#define FLOWS 4096

struct flow_rec {
	uint64_t key;
	uint32_t ack;
	bool has_ack;
};

struct watch {
	struct seg_rec *segs;
	struct flow_rec *flows;
	uint64_t frames, hash, tcp_data, resent_same;
	uint64_t by_side[3];
	int k_drop;        /* drop every k-th frame (0: none) */
	int burst_every;   /* drop burst_len frames every burst_every */
	int burst_len;
	int dup_every;     /* deliver every n-th frame twice */
	double drop_share; /* drop this share at random */
	uint64_t rng;
	uint64_t dropped;
	bool drop_to_responder; /* drop everything towards the destinations */
};

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void
watch_init(struct watch *w)
{
	memset(w, 0, sizeof(*w));
	w->segs = calloc(SEGS, sizeof(*w->segs));
	w->flows = calloc(FLOWS, sizeof(*w->flows));
	ck_assert(w->segs && w->flows);
}

static void
watch_free(struct watch *w)
{
	free(w->segs);
	free(w->flows);
}

static struct flow_rec *
flow_of(struct watch *w, uint64_t key)
{
	uint32_t i = (uint32_t)mix(key) & (FLOWS - 1);

	while (w->flows[i].key && w->flows[i].key != key)
		i = (i + 1) & (FLOWS - 1);
	w->flows[i].key = key;
	return &w->flows[i];
}

/* Every frame: its checksums, and TCP's coherence. */
static void
watch_frame(struct watch *w, const uint8_t *f, uint32_t len, enum natgw_synth_side side)
{
	char why[256];
	uint16_t l3, l4;
	uint32_t hl, plen, seq, ack;
	uint64_t fk, sk, sum = 0, i;
	struct flow_rec *fr;

	w->frames++;
	w->by_side[side]++;
	w->hash = mix(w->hash ^ len);
	for (i = 0; i < len; i++)
		w->hash = w->hash * 1099511628211ull ^ f[i];
	if (tp_verify(f, (uint16_t)len, why, sizeof(why)) != 0)
		ck_abort_msg("frame %llu: %s", (unsigned long long)w->frames, why);
	l3 = tp_l3(f);
	if (f[l3 + 9] != 6)
		return;
	l4 = tp_l4(f);
	hl = (uint32_t)(f[l4 + 12] >> 4) * 4;
	plen = tp_get16(f + l3 + 2) - (uint32_t)(l4 - l3) - hl;
	seq = tp_get32(f + l4 + 4);
	ack = tp_get32(f + l4 + 8);
	fk = mix(((uint64_t)tp_ip_src(f) << 32 | tp_ip_dst(f)) ^
		((uint64_t)tp_get16(f + l4) << 16 | tp_get16(f + l4 + 2)));
	fr = flow_of(w, fk);
	/* ACKs never go back, whatever was lost; a reset restarts nothing. */
	if ((f[l4 + 13] & 0x10) && !(f[l4 + 13] & 0x04)) {
		if (fr->has_ack && (int32_t)(ack - fr->ack) < 0)
			ck_abort_msg("frame %llu: ACK %u after ACK %u", (unsigned long long)w->frames,
				ack, fr->ack);
		fr->ack = ack;
		fr->has_ack = true;
	}
	if (plen == 0)
		return;
	w->tcp_data++;
	for (i = 0; i < plen; i++)
		sum = sum * 1099511628211ull ^ f[l4 + hl + i];
	sk = mix(fk ^ ((uint64_t)seq << 1)) | 1;
	for (i = sk & (SEGS - 1); w->segs[i].key && w->segs[i].key != sk; i = (i + 1) & (SEGS - 1))
		;
	if (w->segs[i].key == sk && w->segs[i].len == plen) {
		/* Sent again: the very bytes sent first. */
		ck_assert_msg(w->segs[i].sum == sum, "frame %llu: a retransmission at seq %u "
			"carries other bytes", (unsigned long long)w->frames, seq);
		w->resent_same++;
	} else if (w->segs[i].key == 0) {
		w->segs[i].key = sk;
		w->segs[i].len = plen;
		w->segs[i].sum = sum;
	}
}

static int
lossy(void *arg, const uint8_t *f, uint32_t len, uint64_t ts, enum natgw_synth_side side)
{
	struct watch *w = arg;
	uint64_t n;

	(void)ts;
	watch_frame(w, f, len, side);
	if (side == NATGW_SYNTH_OBSERVE)
		return 1;
	n = w->frames;
	if (w->drop_to_responder && side == NATGW_SYNTH_INSIDE)
		goto drop;
	if (w->k_drop && n % (uint64_t)w->k_drop == 0)
		goto drop;
	if (w->burst_every && n % (uint64_t)w->burst_every < (uint64_t)w->burst_len)
		goto drop;
	if (w->drop_share > 0) {
		w->rng = mix(w->rng);
		if ((double)(w->rng >> 11) / 9007199254740992.0 < w->drop_share)
			goto drop;
	}
	if (w->dup_every && n % (uint64_t)w->dup_every == 0)
		return 2;
	return 1;
drop:
	w->dropped++;
	return 0;
}

/* Sessions all accounted for: each completed or failed, none cut. */
static void
ck_accounted(const struct natgw_synth_stats *st)
{
	unsigned int i;

	ck_assert_msg(!st->cut, "the run was cut at the hard bound");
	ck_assert_uint_eq(st->stalls, 0);
	ck_assert_uint_eq(st->started, st->completed + st->failed);
	for (i = 0; i < NATGW_SYNTH_N_SVC; i++)
		ck_assert_msg(st->svc[i].started == st->svc[i].completed + st->svc[i].failed,
			"%s: %llu started, %llu completed, %llu failed", natgw_synth_svc_name(i),
			(unsigned long long)st->svc[i].started,
			(unsigned long long)st->svc[i].completed,
			(unsigned long long)st->svc[i].failed);
}

static void
run(const char *kv, struct watch *w, struct natgw_synth_stats *st)
{
	struct natgw_synth *s = make(kv);
	const struct natgw_synth_conf *c = natgw_synth_conf(s);
	uint64_t end = c->start_ns + c->duration_ns;

	natgw_synth_run_direct(s, UINT64_MAX, lossy, w);
	ck_assert_uint_eq(natgw_synth_next_time(s), UINT64_MAX);
	natgw_synth_stats(s, st);
	(void)end;
	natgw_synth_free(s);
}

START_TEST(test_closed_loop)
{
	struct natgw_synth_stats st;
	struct watch w;
	unsigned int i;

	watch_init(&w);
	run(SMALL, &w, &st);
	ck_accounted(&st);
	ck_assert_uint_eq(st.failed, 0);
	ck_assert_uint_gt(st.completed, 20);
	/* Every service had sessions, and got every byte asked for. */
	for (i = 0; i < NATGW_SYNTH_N_SVC; i++) {
		ck_assert_msg(st.svc[i].started > 0, "%s: no sessions", natgw_synth_svc_name(i));
		ck_assert_msg(st.svc[i].received >= st.svc[i].asked, "%s: %llu of %llu bytes",
			natgw_synth_svc_name(i), (unsigned long long)st.svc[i].received,
			(unsigned long long)st.svc[i].asked);
	}
	/* The burst arrived whole at the collector: 200 kB in 1400-byte datagrams. */
	ck_assert_uint_eq(st.statsd_received, (200000 + 1399) / 1400);
	ck_assert_uint_eq(st.svc[NATGW_SYNTH_SVC_statsd].received, 200000);
	ck_assert_uint_eq(st.retransmits_host + st.retransmits_resp, 0);
	ck_assert_uint_eq(st.unknown + st.malformed + st.late + st.out_of_order, 0);
	ck_assert_uint_gt(w.by_side[NATGW_SYNTH_OBSERVE], 0);
	ck_assert_uint_eq(w.frames, st.frames_out[0] + st.frames_out[1] + st.frames_out[2]);
	/* S3 dominates the bytes. */
	ck_assert_uint_gt(st.svc[NATGW_SYNTH_SVC_s3].received, 2 * 600000);
	watch_free(&w);
}
END_TEST

START_TEST(test_deterministic)
{
	struct natgw_synth_stats st;
	struct watch a, b, c;

	watch_init(&a);
	watch_init(&b);
	watch_init(&c);
	run(SMALL, &a, &st);
	run(SMALL, &b, &st);
	run("seed=2,hosts=2,tasks=3,duration=60,launch=20,image=600k,layers=2,internet=1,"
		"pings=2,burst=200k,burst_at=30,ddb_every=3s,github_every=15", &c, &st);
	ck_assert_uint_eq(a.frames, b.frames);
	ck_assert_msg(a.hash == b.hash, "the same seed gave other bytes");
	ck_assert_msg(a.hash != c.hash, "another seed gave the same bytes");
	watch_free(&a);
	watch_free(&b);
	watch_free(&c);
}
END_TEST

/* Losses of several shapes: sessions complete through retransmission, or
 * fail counted; the run ends by itself and every byte resent is the same. */
static void
lossy_run(struct watch *w, struct natgw_synth_stats *st)
{
	run(SMALL, w, st);
	ck_accounted(st);
	ck_assert_uint_gt(w->dropped, 0);
	ck_assert_uint_gt(st->retransmits_host + st->retransmits_resp, 0);
	ck_assert_uint_gt(w->resent_same, 0);
	ck_assert_uint_gt(st->timeouts + st->fast_retransmits, 0);
}

START_TEST(test_drop_every_kth)
{
	static const int ks[] = {5, 13, 97};
	struct natgw_synth_stats st;
	struct watch w;
	unsigned int i;

	for (i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		watch_init(&w);
		w.k_drop = ks[i];
		lossy_run(&w, &st);
		/* Nearly all complete. A periodic loss can lock onto one flow's
		 * retransmissions, every one lost: that one fails, counted,
		 * after its tries (one S3 layer at k=5, seed 1). */
		ck_assert_msg(st.failed * 10 <= st.started, "k=%d: %llu of %llu failed", ks[i],
			(unsigned long long)st.failed, (unsigned long long)st.started);
		ck_assert_uint_gt(st.completed, 20);
		watch_free(&w);
	}
}
END_TEST

START_TEST(test_drop_bursts)
{
	struct natgw_synth_stats st;
	struct watch w;

	watch_init(&w);
	w.burst_every = 700;
	w.burst_len = 40;
	lossy_run(&w, &st);
	ck_assert_uint_gt(st.timeouts, 0);
	ck_assert_uint_gt(st.completed, 20);
	watch_free(&w);
}
END_TEST

START_TEST(test_duplicates)
{
	struct natgw_synth_stats st;
	struct watch w;

	watch_init(&w);
	w.dup_every = 4;
	run(SMALL, &w, &st);
	ck_accounted(&st);
	ck_assert_uint_eq(st.failed, 0);
	/* Duplicated segments are recognised and cause no harm; a duplicated
	 * answer the hosts already had is counted as one they do not know. */
	ck_assert_uint_gt(st.duplicate, 0);
	watch_free(&w);
}
END_TEST

/* Reordering needs a loop of its own: every 9th frame is held back and
 * delivered after the next one. */
START_TEST(test_reorder)
{
	struct natgw_synth *s = make(SMALL);
	struct natgw_synth_stats st;
	struct watch w;
	uint8_t buf[2048], held[2048];
	uint32_t len, hlen = 0;
	uint64_t ts;
	enum natgw_synth_side side, hside = NATGW_SYNTH_INSIDE;

	watch_init(&w);
	while (natgw_synth_next(s, UINT64_MAX, buf, sizeof(buf), &len, &ts, &side) == 1) {
		watch_frame(&w, buf, len, side);
		if (side == NATGW_SYNTH_OBSERVE)
			continue;
		if (hlen == 0 && w.frames % 9 == 0) {
			memcpy(held, buf, len);
			hlen = len;
			hside = side;
			continue;
		}
		natgw_synth_deliver(s, side == NATGW_SYNTH_INSIDE ? NATGW_SYNTH_OUTSIDE :
			NATGW_SYNTH_INSIDE, buf, len, ts);
		if (hlen) {
			natgw_synth_deliver(s, hside == NATGW_SYNTH_INSIDE ? NATGW_SYNTH_OUTSIDE :
				NATGW_SYNTH_INSIDE, held, hlen, ts);
			hlen = 0;
		}
	}
	natgw_synth_stats(s, &st);
	ck_accounted(&st);
	ck_assert_uint_eq(st.failed, 0);
	ck_assert_uint_gt(st.out_of_order, 0);
	natgw_synth_free(s);
	watch_free(&w);
}
END_TEST

/* Heavy random loss: some sessions give up after their tries, counted;
 * the run still ends by itself, well before the hard bound. */
START_TEST(test_heavy_loss)
{
	struct natgw_synth_stats st;
	struct watch w;

	watch_init(&w);
	w.drop_share = 0.45;
	w.rng = 42;
	/* Small transfers: at this loss a megabyte takes longer than the
	 * bound, which is not what this test is about. */
	run("hosts=2,tasks=3,duration=60,launch=20,image=60k,layers=2,internet=1,pings=2,"
		"burst=20k,burst_at=30,ddb_every=3s,github_every=15,github_resp=4000", &w, &st);
	ck_accounted(&st);
	ck_assert_uint_gt(st.retransmits_host + st.retransmits_resp, 0);
	ck_assert_uint_gt(w.resent_same, 0);
	ck_assert_uint_gt(st.failed, 0);
	ck_assert_uint_gt(st.completed, 0);
	watch_free(&w);
}
END_TEST

/* Nothing reaches the destinations: every SYN is tried `retries` times, one
 * second doubling (1+2+4 s for 3 tries), then the connection fails. */
START_TEST(test_no_answer)
{
	struct natgw_synth *s = make("hosts=1,tasks=1,duration=30,launch=5,burst=0,retries=3,"
		"internet=0");
	struct natgw_synth_stats st;
	struct watch w;

	watch_init(&w);
	w.drop_to_responder = true;
	natgw_synth_run_direct(s, UINT64_MAX, lossy, &w);
	natgw_synth_stats(s, &st);
	ck_accounted(&st);
	/* The agent's ECS connection and the task's api.ecr connection fail;
	 * the task then goes on to the registry, S3 (2 layers... all fail). */
	ck_assert_uint_eq(st.completed, st.svc[NATGW_SYNTH_SVC_vpc_dns].completed);
	ck_assert_uint_gt(st.failed, 3);
	/* 3 tries a SYN, the first not a retransmission. */
	ck_assert_uint_eq(st.retransmits_host, 2 * st.failed);
	ck_assert_uint_eq(st.delivered[1], 0);
	natgw_synth_free(s);
	watch_free(&w);
}
END_TEST

/* Frames nobody knows, broken ones, late ones: counted, answered as a stack
 * would (a reset), never trusted. */
START_TEST(test_unknown_and_broken)
{
	struct natgw_synth *s = make("hosts=1,tasks=0,duration=10,launch=1,burst=0");
	struct natgw_synth_stats st;
	uint8_t f[2048], buf[2048];
	struct tp t = {.src = 0xc6336401, .dst = 0x0a00010a, .proto = 6, .sport = 443,
		.dport = 40000, .flags = 0x10, .seq = 1000, .ack = 2000, .win = 100};
	uint32_t len, n;
	uint64_t ts, now = 1787413200ull * SEC;
	enum natgw_synth_side side;
	bool rst = false;

	/* A segment for no connection of the host's: a reset back. */
	n = tp_build(f, &t);
	natgw_synth_deliver(s, NATGW_SYNTH_INSIDE, f, n, now);
	/* The same towards a destination, with no SYN: a reset too. */
	t.src = 0x0a00010a;
	t.dst = 0x34d9540c;
	t.sport = 40001;
	t.dport = 443;
	n = tp_build(f, &t);
	natgw_synth_deliver(s, NATGW_SYNTH_OUTSIDE, f, n, now);
	/* A UDP datagram for nobody, and a broken checksum. */
	t.proto = 17;
	t.dport = 9999;
	n = tp_build(f, &t);
	natgw_synth_deliver(s, NATGW_SYNTH_OUTSIDE, f, n, now);
	f[n - 1] ^= 0xff;
	natgw_synth_deliver(s, NATGW_SYNTH_OUTSIDE, f, n, now);
	/* Not IP, too short, too long. */
	memset(f, 0, 64);
	natgw_synth_deliver(s, NATGW_SYNTH_INSIDE, f, 64, now);
	natgw_synth_deliver(s, NATGW_SYNTH_INSIDE, f, 8, now);
	natgw_synth_deliver(s, NATGW_SYNTH_INSIDE, f, 5000, now);
	natgw_synth_deliver(s, NATGW_SYNTH_OBSERVE, f, 64, now);
	/* A buffer too small keeps the frame for the next call. */
	ck_assert_int_eq(natgw_synth_next(s, UINT64_MAX, buf, 10, &len, &ts, &side), -1);
	ck_assert_uint_gt(len, 10);
	while (natgw_synth_next(s, UINT64_MAX, buf, sizeof(buf), &len, &ts, &side) == 1) {
		uint16_t l4;

		if (tp_get16(buf + 12) != 0x0800 || buf[tp_l3(buf) + 9] != 6)
			continue;
		l4 = tp_l4(buf);
		if (buf[l4 + 13] & 0x04)
			rst = true;
		/* Late: delivered at a time before what was given out. */
		natgw_synth_deliver(s, NATGW_SYNTH_OUTSIDE, buf, len, now - SEC);
	}
	natgw_synth_stats(s, &st);
	ck_assert(rst);
	ck_assert_uint_ge(st.unknown, 3);
	ck_assert_uint_ge(st.malformed, 4);
	ck_assert_uint_gt(st.late, 0);
	ck_accounted(&st);
	natgw_synth_free(s);
}
END_TEST

/* The responder's flows are bounded: SYNs past max_flows are refused. */
START_TEST(test_max_flows)
{
	struct natgw_synth *s = make("hosts=1,tasks=0,duration=10,launch=1,burst=0,max_flows=16");
	struct natgw_synth_stats st;
	uint8_t f[2048], buf[2048];
	struct tp t = {.src = 0xcb00710a, .dst = 0x34d9540c, .proto = 6, .dport = 443,
		.flags = 0x02, .seq = 7, .win = 1000};
	uint32_t i, n, len;
	uint64_t ts, now = 1787413200ull * SEC;
	enum natgw_synth_side side;

	for (i = 0; i < 40; i++) {
		t.sport = (uint16_t)(20000 + i);
		n = tp_build(f, &t);
		natgw_synth_deliver(s, NATGW_SYNTH_OUTSIDE, f, n, now);
	}
	/* Run to the end: the SYN-ACKs go unanswered and are given up, each
	 * flow counted once. */
	while (natgw_synth_next(s, UINT64_MAX, buf, sizeof(buf), &len, &ts, &side) == 1)
		;
	natgw_synth_stats(s, &st);
	ck_assert_uint_eq(st.resp_flows_peak, 16);
	ck_assert_uint_eq(st.refused, 24);
	ck_assert_uint_eq(st.responder_aborted, 16);
	natgw_synth_free(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("synth");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_parse_units);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_create_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("loop");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_closed_loop);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_drop_every_kth);
	tcase_add_test(tc, test_drop_bursts);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_reorder);
	tcase_add_test(tc, test_heavy_loss);
	tcase_add_test(tc, test_no_answer);
	tcase_add_test(tc, test_unknown_and_broken);
	tcase_add_test(tc, test_max_flows);
	suite_add_tcase(s, tc);
	return natgw_test_run(s);
}
