/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * report.json and the human summary. The report is built with jansson, section
 * by section; the flows, which can be millions, are streamed one object at a
 * time instead of being held as one tree.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <jansson.h>

#include "natgw_build_config.h"
#include "commands.h"

#define JFLAGS (JSON_PRESERVE_ORDER | JSON_COMPACT)

static const char *
ip_str(uint32_t ip, char *buf)
{
	struct in_addr a = {.s_addr = ip};

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

const char *
natgw_report_proto_name(uint8_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : "?";
}

static const char *
tcp_state_name(uint8_t s)
{
	static const char *const n[] = {"", "syn_sent", "established", "fin_wait", "closed",
		"reset"};

	return s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

json_t *
natgw_report_config_json(const struct natgw_nat_conf *n)
{
	json_t *o = json_object(), *a, *t;
	char b[INET_ADDRSTRLEN], nb[64];
	unsigned int i;

	json_object_set_new(o, "profile", json_string(natgw_profile_name(n->profile)));
	a = json_array();
	for (i = 0; i < n->n_inside; i++) {
		uint32_t len = (uint32_t)__builtin_popcount(n->inside[i].mask);

		snprintf(nb, sizeof(nb), "%s/%u", ip_str(htonl(n->inside[i].addr), b), len);
		json_array_append_new(a, json_string(nb));
	}
	json_object_set_new(o, "inside_nets", a);
	a = json_array();
	for (i = 0; i < n->n_public; i++)
		json_array_append_new(a, json_string(ip_str(n->public_ip[i], b)));
	json_object_set_new(o, "public_ips", a);
	json_object_set_new(o, "filtering", json_string(natgw_filtering_name(n->filtering)));
	json_object_set_new(o, "port_range", json_pack("[ii]", n->port_lo, n->port_hi));
	json_object_set_new(o, "port_parity", json_boolean(n->port_parity));
	json_object_set_new(o, "port_range_preserve", json_boolean(n->port_range_preserve));
	json_object_set_new(o, "per_destination_limit", json_integer(n->per_dest_limit));
	json_object_set_new(o, "mtu", json_integer(n->mtu));
	json_object_set_new(o, "max_sessions", json_integer(n->max_sessions));
	t = json_object();
	for (i = 0; i < NATGW_TO_MAX; i++)
		json_object_set_new(t, natgw_timeout_name(i),
			json_real((double)n->timeout_ns[i] / 1e9));
	json_object_set_new(o, "timeouts_s", t);
	json_object_set_new(o, "fragments", json_pack("{sbsb}", "udp", n->frag_udp,
		"tcp_icmp", n->frag_tcp_icmp));
	json_object_set_new(o, "rst_on_stale", json_boolean(n->rst_on_stale));
	return o;
}

json_t *
natgw_report_flow_json(const struct natgw_flow_record *f, const char *name)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];
	json_t *o = json_pack("{sssssisssisssisIsIsIsIsIsIss}",
		"proto", natgw_report_proto_name(f->proto),
		"inside_ip", ip_str(f->in_ip, a),
		"inside_port", ntohs(f->in_port),
		"destination_ip", ip_str(f->rem_ip, b),
		"destination_port", ntohs(f->rem_port),
		"public_ip", ip_str(f->pub_ip, c),
		"public_port", ntohs(f->pub_port),
		"packets_out", (json_int_t)f->pkts[0],
		"bytes_out", (json_int_t)f->bytes[0],
		"packets_in", (json_int_t)f->pkts[1],
		"bytes_in", (json_int_t)f->bytes[1],
		"first_ns", (json_int_t)f->first_ns,
		"last_ns", (json_int_t)f->last_ns,
		"end", natgw_end_name(f->end));

	json_object_set_new(o, "end_ns", f->end_ns ? json_integer((json_int_t)f->end_ns) :
		json_null());
	if (f->proto == 6)
		json_object_set_new(o, "tcp_state", json_string(tcp_state_name(f->tcp_state)));
	json_object_set_new(o, "opened_by", json_string(f->inbound ? "outside" : "inside"));
	json_object_set_new(o, "service", json_string(natgw_dst_service_name(f->svc) ?
		natgw_dst_service_name(f->svc) : "?"));
	if (name)
		json_object_set_new(o, "name", json_string(name));
	return o;
}

/* Dump one member of the top-level object, taking ownership of @p v. */
static int
member(FILE *f, const char *name, json_t *v, bool last)
{
	int rc;

	fprintf(f, "  \"%s\": ", name);
	rc = json_dumpf(v, f, JFLAGS);
	fputs(last ? "\n" : ",\n", f);
	json_decref(v);
	return rc;
}

/* Sum the counters of several engines (workers). ActiveConnectionCount is
 * CloudWatch's Maximum: each worker's peak came at its own moment, so their
 * sum bounds the gateway's peak from above; the report says so. */
void
natgw_report_totals(struct natgw_nat *const *engines, unsigned int n, struct natgw_nat_stats *t)
{
	unsigned int e;

	memset(t, 0, sizeof(*t));
	for (e = 0; e < n; e++)
		natgw_report_stats_add(t, natgw_nat_stats(engines[e]));
}

void
natgw_report_stats_add(struct natgw_nat_stats *t, const struct natgw_nat_stats *st)
{
	unsigned int i;

	for (i = 0; i < NATGW_M_MAX; i++)
		t->metric[i] += st->metric[i];
	for (i = 0; i < NATGW_DROP_MAX; i++)
		t->drop[i] += st->drop[i];
	t->rst_sent += st->rst_sent;
	t->rst_bytes += st->rst_bytes;
	for (i = 0; i < NATGW_SIDES; i++) {
		t->icmp_sent[i] += st->icmp_sent[i];
		t->icmp_bytes[i] += st->icmp_bytes[i];
	}
	t->hairpinned += st->hairpinned;
	t->acct_lost += st->acct_lost;
	t->ceiling_bytes += st->ceiling_bytes;
	t->sessions_created += st->sessions_created;
	t->sessions_active += st->sessions_active;
	t->sessions_peak += st->sessions_peak;
	t->active_tcp += st->active_tcp;
	t->mappings_active += st->mappings_active;
	t->frags_tracked += st->frags_tracked;
}

json_t *
natgw_report_metrics_json(const struct natgw_nat_stats *st)
{
	json_t *o = json_object();
	unsigned int i;

	for (i = 0; i < NATGW_M_MAX; i++)
		json_object_set_new(o, natgw_metric_name(i), json_integer((json_int_t)st->metric[i]));
	return o;
}

json_t *
natgw_report_drops_json(const struct natgw_nat_stats *st)
{
	json_t *o = json_object();
	unsigned int i;

	for (i = 0; i < NATGW_DROP_MAX; i++)
		json_object_set_new(o, natgw_drop_name(i), json_integer((json_int_t)st->drop[i]));
	return o;
}

/* With several gateways, each one's own bills (a month) in its gateways[]
 * entry: its traffic, its one NAT gateway, its endpoints. */
static void
gateway_bills(const struct natgw_report *rep)
{
	json_t *gws = json_object_get(rep->sections, "gateways");
	unsigned int g;

	if (rep->n_gateways < 2 || rep->acct == NULL || rep->span_s <= 0 ||
			json_array_size(gws) != rep->n_engines)
		return;
	for (g = 0; g < rep->n_engines; g++) {
		struct natgw_report one = *rep;
		struct natgw_acct_totals tot;
		struct natgw_cost_report cr;
		char cerr[256];

		one.engines = &rep->engines[g];
		one.workers = rep->workers ? &rep->workers[g] : NULL;
		one.n_engines = 1;
		one.n_gateways = 1;
		if (natgw_acct_collect(&one, &tot) < 0)
			continue;
		if (natgw_acct_cost(&one, &tot, &cr, cerr, sizeof(cerr)) == 0)
			json_object_set_new(json_array_get(gws, g), "cost_month", json_pack(
				"{sfsf}", "nat", cr.nat.month, "endpoints", cr.endpoints.month));
		natgw_acct_totals_free(&tot);
	}
}

int
natgw_report_write_engines(const char *path, const struct natgw_report *rep, char *err,
		size_t errlen)
{
	struct natgw_nat_stats st;
	struct natgw_nat_minute *rows;
	struct natgw_acct_totals tot;
	size_t nflows = 0, nrows, n, i;
	unsigned int e;
	const char *key;
	json_t *v;
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		json_decref(rep->sections);
		return -1;
	}
	natgw_report_totals(rep->engines, rep->n_engines, &st);
	gateway_bills(rep);
	rows = natgw_acct_series(rep->engines, rep->n_engines, &nrows);
	if (rows == NULL || natgw_acct_collect(rep, &tot) < 0) {
		free(rows);
		snprintf(err, errlen, "%s: out of memory for the per-minute series", path);
		fclose(f);
		json_decref(rep->sections);
		return -1;
	}
	for (e = 0; e < rep->n_engines; e++) {
		natgw_nat_flow_log(rep->engines[e], &n);
		nflows += n;
	}
	fputs("{\n", f);
	rc |= member(f, "natgw", json_pack("{ssss}", "version", NATGW_VERSION, "mode", rep->mode),
		false);
	rc |= member(f, "config", natgw_report_config_json(rep->nat), false);
	json_object_foreach(rep->sections, key, v)
		rc |= member(f, key, json_incref(v), false);
	json_decref(rep->sections);
	rc |= member(f, "metrics", natgw_report_metrics_json(&st), false);
	rc |= member(f, "drops", natgw_report_drops_json(&st), false);
	rc |= member(f, "metrics_per_minute", natgw_acct_series_json(rows, nrows), false);
	free(rows);
	rc |= member(f, "services", natgw_acct_services_json(rep, &tot), false);
	if (rep->acct && rep->acct->policy) {
		struct natgw_policy_tally *tally = natgw_acct_policy(rep);

		rc |= member(f, "policy", tally ? natgw_acct_policy_json(rep, &tot, tally) :
			json_pack("{ss}", "error", "out of memory"), false);
		natgw_policy_tally_free(tally);
	}
	if (rep->acct && rep->span_s > 0) {
		struct natgw_cost_report cr;
		char cerr[256];
		json_t *cj = NULL;

		if (natgw_acct_cost(rep, &tot, &cr, cerr, sizeof(cerr)) < 0)
			cj = json_pack("{ss}", "error", cerr);
		else if (natgw_cost_report_json(&cr, &cj) < 0)
			rc = -1;
		if (cj)
			rc |= member(f, "cost", cj, false);
	}
	natgw_acct_totals_free(&tot);
	rc |= member(f, "counters", json_pack("{sIsIsIsIsIsIsIsIsIsIsI}",
		"rst_sent", (json_int_t)st.rst_sent,
		"rst_bytes", (json_int_t)st.rst_bytes,
		"icmp_sent_inside", (json_int_t)st.icmp_sent[NATGW_SIDE_INSIDE],
		"icmp_bytes_inside", (json_int_t)st.icmp_bytes[NATGW_SIDE_INSIDE],
		"icmp_sent_outside", (json_int_t)st.icmp_sent[NATGW_SIDE_OUTSIDE],
		"icmp_bytes_outside", (json_int_t)st.icmp_bytes[NATGW_SIDE_OUTSIDE],
		"hairpinned", (json_int_t)st.hairpinned,
		"sessions_created", (json_int_t)st.sessions_created,
		"sessions_peak", (json_int_t)st.sessions_peak,
		"frags_tracked", (json_int_t)st.frags_tracked,
		"flows_reported", (json_int_t)nflows), false);
	fputs("  \"flows\": [", f);
	for (e = 0, i = 0; e < rep->n_engines; e++) {
		const struct natgw_flow_record *flows = natgw_nat_flow_log(rep->engines[e], &n);
		size_t j;

		for (j = 0; j < n; j++, i++) {
			json_t *fo = natgw_report_flow_json(&flows[j], rep->workers ?
				natgw_worker_name(rep->workers[e], flows[j].name) : NULL);

			fputs(i ? ",\n    " : "\n    ", f);
			rc |= json_dumpf(fo, f, JFLAGS);
			json_decref(fo);
		}
	}
	fputs(nflows ? "\n  ]\n}\n" : "]\n}\n", f);
	if (rc != 0 || ferror(f)) {
		snprintf(err, errlen, "%s: writing the report failed: %s", path, strerror(errno));
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* A replay's report: its gateways' workers, the capture's (virtual) span. */
static void
replay_report(struct natgw_report *rep, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r, const struct natgw_acct_conf *acct)
{
	memset(rep, 0, sizeof(*rep));
	rep->mode = "replay";
	rep->nat = &c->nat;
	rep->engines = r->nats;
	rep->workers = r->workers;
	rep->n_engines = r->n_gw;
	rep->acct = acct;
	rep->span_s = (double)(r->last_ns - r->first_ns) / 1e9;
	rep->n_gateways = r->n_gw;
}

json_t *
natgw_report_gateways_json(const struct natgw_nat_conf *confs, unsigned int n,
		struct natgw_nat *const *nats, struct natgw_scale *const *scales)
{
	json_t *a = json_array();
	unsigned int g;

	for (g = 0; g < n; g++) {
		const struct natgw_nat_stats *st = natgw_nat_stats(nats[g]);
		json_t *cf = natgw_report_config_json(&confs[g]);
		json_t *o = json_object(), *sj = NULL;
		char name[16];

		snprintf(name, sizeof(name), "gw%u", g);
		json_object_set_new(o, "name", json_string(name));
		json_object_set(o, "inside_nets", json_object_get(cf, "inside_nets"));
		json_object_set(o, "public_ips", json_object_get(cf, "public_ips"));
		json_decref(cf);
		json_object_set_new(o, "metrics", natgw_report_metrics_json(st));
		json_object_set_new(o, "ceiling_drops", json_pack("{sIsIsI}",
			"bandwidth_ceiling", (json_int_t)st->drop[NATGW_DROP_bandwidth_ceiling],
			"packet_rate_ceiling", (json_int_t)st->drop[NATGW_DROP_packet_rate_ceiling],
			"bytes", (json_int_t)st->ceiling_bytes));
		if (scales[g] && natgw_scale_json(scales[g], &sj) == 0)
			json_object_set_new(o, "ceiling", sj);
		else
			json_object_set_new(o, "ceiling", json_null());
		json_array_append_new(a, o);
	}
	return a;
}

int
natgw_replay_csv(const char *dir, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r, const struct natgw_acct_conf *acct,
		char *err, size_t errlen)
{
	struct natgw_report rep;

	replay_report(&rep, c, r, acct);
	return natgw_acct_write_csv(dir, &rep, err, errlen);
}

int
natgw_replay_plots(const char *dir, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r, const struct natgw_acct_conf *acct,
		char *err, size_t errlen)
{
	struct natgw_report rep;
	unsigned int g;

	replay_report(&rep, c, r, acct);
	for (g = 0; g < r->n_gw; g++) {
		char name[32], title[96];

		if (r->scales[g] == NULL)
			continue;
		snprintf(name, sizeof(name), r->n_gw > 1 ? "timeline-gw%u" : "timeline", g);
		if (r->n_gw > 1)
			snprintf(title, sizeof(title), "Gateway gw%u's elastic ceiling against "
				"its demand, per second", g);
		else
			snprintf(title, sizeof(title), "The elastic ceiling against the demand, "
				"per second");
		if (natgw_plot_timeline(dir, name, title, r->scales[g], err, errlen) < 0)
			return -1;
	}
	return natgw_acct_plots(dir, &rep, err, errlen);
}

/* Where the frames came from: a capture file, or the synthetic scenario with
 * its parameters and what it did. */
static json_t *
capture_json(const struct natgw_replay_conf *c, const struct natgw_replay_result *r)
{
	json_t *o = json_pack("{sssosssIsIsIsf}", "source", c->synth ? "synthetic" : "capture",
		"file", c->capture ? json_string(c->capture) : json_null(),
		"link_type", r->linktype, "frames", (json_int_t)r->frames,
		"first_ns", (json_int_t)r->first_ns, "last_ns", (json_int_t)r->last_ns,
		"duration_s", (double)(r->last_ns - r->first_ns) / 1e9);

	if (c->synth) {
		const struct natgw_synth_conf *sc = natgw_synth_conf(c->synth);
		struct natgw_synth_stats st;
		char line[512];

		natgw_synth_stats(c->synth, &st);
		natgw_synth_describe(sc, line, sizeof(line));
		json_object_set_new(o, "scenario", json_string(line));
		json_object_set_new(o, "parameters", natgw_synth_conf_json(sc));
		json_object_set_new(o, "stats", natgw_synth_stats_json(&st));
	}
	return o;
}

int
natgw_report_write(const char *path, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r, const struct natgw_acct_conf *acct,
		char *err, size_t errlen)
{
	struct natgw_report rep;
	json_t *o = json_object();
	unsigned int i;

	replay_report(&rep, c, r, acct);
	rep.sections = json_object();
	json_object_set_new(rep.sections, "capture", capture_json(c, r));
	for (i = 0; i < NATGW_SKIP_MAX; i++)
		json_object_set_new(o, natgw_skip_name(i), json_integer((json_int_t)r->skip[i]));
	json_object_set_new(rep.sections, "replay", json_pack("{sfsIsIsIsIsbsIsosIsI}",
		"speedup", c->speedup > 0 ? c->speedup : 1.0,
		"to_inside", (json_int_t)r->to_side[NATGW_SIDE_INSIDE],
		"to_outside", (json_int_t)r->to_side[NATGW_SIDE_OUTSIDE],
		"readdressed", (json_int_t)r->readdressed,
		"unmapped", (json_int_t)r->unmapped,
		"fixcsum", c->fix_checksums,
		"checksums_fixed", (json_int_t)r->checksums_fixed,
		"skipped", o,
		"written_outside", (json_int_t)r->out_frames[NATGW_SIDE_OUTSIDE],
		"written_inside", (json_int_t)r->out_frames[NATGW_SIDE_INSIDE]));
	json_object_set_new(rep.sections, "gateways", natgw_report_gateways_json(
		c->n_gw ? c->gw : &c->nat, r->n_gw, r->nats, r->scales));
	if (r->one)
		json_object_set_new(rep.sections, "one_gateway_instead",
			natgw_report_one_gateway_json(r->one, r->nats, r->n_gw));
	return natgw_report_write_engines(path, &rep, err, errlen);
}

void
natgw_report_human_bytes(uint64_t b, char *buf, size_t n)
{
	const char *u[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)b;
	int i = 0;

	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

void
natgw_report_summary_nat(FILE *f, const struct natgw_nat_stats *st)
{
	const uint64_t *m = st->metric;
	char b1[32], b2[32], b3[32], b4[32];
	unsigned int i, n;

	natgw_report_human_bytes(m[NATGW_M_BytesInFromSource], b1, sizeof(b1));
	natgw_report_human_bytes(m[NATGW_M_BytesOutToDestination], b2, sizeof(b2));
	natgw_report_human_bytes(m[NATGW_M_BytesInFromDestination], b3, sizeof(b3));
	natgw_report_human_bytes(m[NATGW_M_BytesOutToSource], b4, sizeof(b4));
	fprintf(f, "  inside -> outside: %" PRIu64 " packets (%s) in, %" PRIu64
		" packets (%s) out to destinations\n",
		m[NATGW_M_PacketsInFromSource], b1, m[NATGW_M_PacketsOutToDestination], b2);
	fprintf(f, "  outside -> inside: %" PRIu64 " packets (%s) in, %" PRIu64
		" packets (%s) out to sources\n",
		m[NATGW_M_PacketsInFromDestination], b3, m[NATGW_M_PacketsOutToSource], b4);
	fprintf(f, "  sessions: %" PRIu64 " made, %" PRIu64 " at most at once; connections: %"
		PRIu64 " attempted, %" PRIu64 " established, %" PRIu64 " idle timeouts, peak %"
		PRIu64 " TCP\n", st->sessions_created, st->sessions_peak,
		m[NATGW_M_ConnectionAttemptCount], m[NATGW_M_ConnectionEstablishedCount],
		m[NATGW_M_IdleTimeoutCount], m[NATGW_M_ActiveConnectionCount]);
	fprintf(f, "  drops: %" PRIu64 " (PacketsDropCount)", m[NATGW_M_PacketsDropCount]);
	for (i = 0, n = 0; i < NATGW_DROP_MAX; i++)
		if (st->drop[i])
			fprintf(f, "%s%s %" PRIu64, n++ ? ", " : ": ", natgw_drop_name(i), st->drop[i]);
	fputc('\n', f);
	if (st->rst_sent)
		fprintf(f, "  RSTs sent back inside for connections the NAT no longer knows: %"
			PRIu64 "\n", st->rst_sent);
	if (m[NATGW_M_ErrorPortAllocation])
		fprintf(f, "  ErrorPortAllocation: %" PRIu64 "\n", m[NATGW_M_ErrorPortAllocation]);
}

void
natgw_report_summary_gateways(FILE *f, const struct natgw_nat_conf *confs, unsigned int n,
		struct natgw_nat *const *nats, struct natgw_scale *const *scales)
{
	unsigned int g;

	for (g = 0; g < n; g++) {
		const struct natgw_nat_stats *st = natgw_nat_stats(nats[g]);
		char b[32], who[96] = "";

		if (n > 1) {
			const struct natgw_nat_conf *gc = &confs[g];
			struct in_addr a = {.s_addr = htonl(gc->inside[0].addr)};
			char ip[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &a, ip, sizeof(ip));
			snprintf(who, sizeof(who), "gw%u (%s/%d%s): ", g, ip,
				__builtin_popcount(gc->inside[0].mask), gc->n_inside > 1 ? ", ..." : "");
			natgw_report_human_bytes(st->metric[NATGW_M_BytesOutToDestination] +
				st->metric[NATGW_M_BytesOutToSource], b, sizeof(b));
			fprintf(f, "  %s%s forwarded, %" PRIu64 " dropped\n", who, b,
				st->metric[NATGW_M_PacketsDropCount]);
		}
		if (scales[g])
			natgw_report_ceiling_line(f, n > 1 ? "    " : "  ", scales[g], st);
	}
}

/* The gateways, and one gateway in their place. */
static void
summary_gateways(FILE *f, const struct natgw_replay_conf *c, const struct natgw_replay_result *r)
{
	natgw_report_summary_gateways(f, c->n_gw ? c->gw : &c->nat, r->n_gw, r->nats, r->scales);
	if (r->one)
		natgw_report_one_gateway_line(f, r->one, r->nats, r->n_gw);
}

void
natgw_report_ceiling_line(FILE *f, const char *indent, const struct natgw_scale *sc,
		const struct natgw_nat_stats *st)
{
	struct natgw_scale_state ss;

	natgw_scale_state(sc, &ss);
	fprintf(f, "%sceiling now %.3g Gbps, %.3g Mpps (%" PRIu64 " steps up, %" PRIu64
		" down); dropped over it: %" PRIu64 " packets for bandwidth, %" PRIu64
		" for packet rate\n", indent, ss.ceil[NATGW_SCALE_BPS] / 1e9,
		ss.ceil[NATGW_SCALE_PPS] / 1e6, ss.ups[NATGW_SCALE_BPS] + ss.ups[NATGW_SCALE_PPS],
		ss.downs[NATGW_SCALE_BPS] + ss.downs[NATGW_SCALE_PPS],
		st->drop[NATGW_DROP_bandwidth_ceiling], st->drop[NATGW_DROP_packet_rate_ceiling]);
}

void
natgw_report_summary(FILE *f, const struct natgw_replay_conf *c,
		const struct natgw_replay_result *r, const struct natgw_acct_conf *acct)
{
	struct natgw_report rep;
	struct natgw_acct_totals tot;
	struct natgw_nat_stats totals, *st = &totals;
	const char *base = c->capture ? strrchr(c->capture, '/') : NULL;
	unsigned int i, n;
	char speed[64] = "", src[192];

	if (c->speedup > 0 && c->speedup != 1)
		snprintf(speed, sizeof(speed), " (%gx as fast as captured)", c->speedup);
	natgw_report_totals(r->nats, r->n_gw, &totals);

	if (c->synth) {
		const struct natgw_synth_conf *sc = natgw_synth_conf(c->synth);

		snprintf(src, sizeof(src), "synthetic ECS scenario (%u hosts, %u tasks, seed %"
			PRIu64 ")", sc->hosts, sc->tasks, sc->seed);
	} else {
		snprintf(src, sizeof(src), "%s (%s)", base ? base + 1 : c->capture, r->linktype);
	}
	fprintf(f, "natgw replay: %s, %" PRIu64 " frames over %.3f s%s, profile %s\n",
		src, r->frames, (double)(r->last_ns - r->first_ns) / 1e9, speed,
		natgw_profile_name(c->nat.profile));
	if (c->synth) {
		struct natgw_synth_stats sst;
		char line[512];

		natgw_synth_stats(c->synth, &sst);
		natgw_synth_summary(natgw_synth_conf(c->synth), &sst, line, sizeof(line));
		fprintf(f, "  scenario: %s\n", line);
	}
	natgw_report_summary_nat(f, st);
	if (c->fix_checksums)
		fprintf(f, "  --fixcsum: checksums recomputed in %" PRIu64 " frames\n",
			r->checksums_fixed);
	else if (st->drop[NATGW_DROP_ip_bad_checksum])
		fprintf(f, "  %" PRIu64 " packets had a wrong IPv4 header checksum; a capture taken "
			"on a host with checksum offload needs --fixcsum\n",
			st->drop[NATGW_DROP_ip_bad_checksum]);
	for (i = 0, n = 0; i < NATGW_SKIP_MAX; i++)
		if (r->skip[i])
			fprintf(f, "%s%s %" PRIu64, n++ ? ", " : "  not replayed: ",
				natgw_skip_name(i), r->skip[i]);
	if (n)
		fputc('\n', f);
	summary_gateways(f, c, r);
	replay_report(&rep, c, r, acct);
	if (natgw_acct_collect(&rep, &tot) == 0) {
		natgw_acct_summary(f, &rep, &tot);
		natgw_acct_totals_free(&tot);
	}
}

/* Bytes the gateways dropped over their ceilings. */
static uint64_t
ceiling_bytes(struct natgw_nat *const *nats, unsigned int n)
{
	struct natgw_nat_stats t;

	natgw_report_totals(nats, n, &t);
	return t.ceiling_bytes;
}

json_t *
natgw_report_one_gateway_json(const struct natgw_scale *one, struct natgw_nat *const *nats,
		unsigned int n)
{
	struct natgw_scale_state st;
	json_t *oj = NULL;

	natgw_scale_state(one, &st);
	natgw_scale_json(one, &oj);
	return json_pack("{sisIsIsIsIso*}", "gateways", n,
		"offered_bytes", (json_int_t)st.total.offered_bytes,
		"dropped_bytes_one", (json_int_t)st.total.drop_bytes,
		"dropped_pkts_one", (json_int_t)st.total.drop_pkts,
		"dropped_bytes_these", (json_int_t)ceiling_bytes(nats, n), "ceiling", oj);
}

void
natgw_report_one_gateway_line(FILE *f, const struct natgw_scale *one,
		struct natgw_nat *const *nats, unsigned int n)
{
	struct natgw_scale_state st;
	double all;

	natgw_scale_state(one, &st);
	all = (double)st.total.offered_bytes;
	fprintf(f, "  one gateway instead of these %u: %.2f%% of the bytes over its ceiling "
		"(%" PRIu64 " packets), against %.2f%% here\n", n,
		all > 0 ? 100.0 * (double)st.total.drop_bytes / all : 0.0, st.total.drop_pkts,
		all > 0 ? 100.0 * (double)ceiling_bytes(nats, n) / all : 0.0);
}
