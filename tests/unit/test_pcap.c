/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Check suite for the capture driver (drivers/pcap): the reader that turns every
 * supported link type into Ethernet with nanosecond timestamps, the writer, and
 * the replay of a capture through the NAT engine in virtual time.
 *
 * Timestamps and lengths expected of the stored captures (tests/data/pcaps,
 * described in SOURCES.tsv) are the values tshark shows for them, so the reader
 * is held to an independent decoder rather than to what libpcap happens to do.
 * Captures for the replay are built here, frame by frame, and written with
 * libpcap directly, never with the writer under test.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <pcap/pcap.h>

#include "natgw_build_config.h"
#include "natgw_pcap.h"
#include "natgw_test.h"

#define MAX_FRAMES 32
/* Room for the largest frame a test reads back: the writer's 9000-byte jumbo. */
#define FRAME_CAP 10000

#define IN1 0x0a000105u      /* 10.0.1.5 */
#define IN2 0x0a000206u      /* 10.0.2.6 */
#define REM 0xc6336407u      /* 198.51.100.7 */
#define STRANGER 0xc0000201u /* 192.0.2.1: neither inside nor the NAT's */
#define PUB 0xcb00710au      /* 203.0.113.10 */
/* Digits down to the nanosecond, so that any rounding through microseconds shows. */
#define T0 1787414000123456789ull
#define MS 1000000ull
#define SEC 1000000000ull

static char data_dir[PATH_MAX];
static char tmp_dir[PATH_MAX];

/* A frame as natgw_pcap_next() gave it. */
struct rec {
	uint64_t ts;
	uint32_t len, wire;
	uint8_t b[FRAME_CAP];
};

/* A frame as libpcap itself reads it, link header and all. */
struct raw {
	uint64_t ts;
	uint32_t caplen, len;
	uint8_t b[FRAME_CAP];
};

/* A frame to write into a capture of any link type. */
struct wframe {
	uint64_t ts;
	const uint8_t *b;
	uint32_t caplen;
	uint32_t len; /* on the wire; 0: caplen */
};

/* One more than MAX_FRAMES: the call that finds the end reads into it too. */
static struct rec got[MAX_FRAMES + 1];
static struct rec outs[MAX_FRAMES + 1];
static struct rec ins[MAX_FRAMES + 1];
static struct raw orig[MAX_FRAMES + 1];
static const uint8_t zero_mac[6];

static void
join(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	ck_assert_msg(n > 0 && n < PATH_MAX, "path too long: %s/%s", dir, name);
}

/*
 * The stored captures are in the source tree while the test runs in the build
 * tree. meson may name this file relative to the build root (../tests/unit/...),
 * and the build root is where NATGW_BUILDDATA lives, so __FILE__ is resolved
 * against it; NATGW_TEST_DATA overrides both.
 */
static int
find_data_dir(void)
{
	const char *env = getenv("NATGW_TEST_DATA");
	const char *file = __FILE__, *file_dir_end = strrchr(file, '/');
	const char *root = NATGW_BUILDDATA, *root_end = strrchr(root, '/');
	char probe[PATH_MAX + 16];
	struct stat st;
	int n, rootlen;

	if (env != NULL && env[0] != '\0') {
		n = snprintf(data_dir, sizeof(data_dir), "%s", env);
	} else {
		if (file_dir_end == NULL || root_end == NULL)
			return -1;
		rootlen = file[0] == '/' ? 0 : (int)(root_end - root);
		n = snprintf(data_dir, sizeof(data_dir), "%.*s%s%.*s/../data/pcaps", rootlen,
			root, rootlen ? "/" : "", (int)(file_dir_end - file), file);
	}
	if (n < 0 || (size_t)n >= sizeof(data_dir))
		return -1;
	n = snprintf(probe, sizeof(probe), "%s/SOURCES.tsv", data_dir);
	if (n < 0 || (size_t)n >= sizeof(probe) || stat(probe, &st) < 0)
		return -1;
	return 0;
}

static void
data_path(char *buf, const char *name)
{
	join(buf, data_dir, name);
}

static void
tmp_path(char *buf, const char *name)
{
	join(buf, tmp_dir, name);
}

/* The tests make only plain files and symlinks in it. */
static void
remove_tmp_dir(void)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(tmp_dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", tmp_dir, e->d_name) < (int)sizeof(p))
			unlink(p);
	}
	closedir(d);
	rmdir(tmp_dir);
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
assert_one_line(const char *err)
{
	ck_assert_msg(err[0] != '\0', "no error message");
	ck_assert_msg(strchr(err, '\n') == NULL, "error spans lines: \"%s\"", err);
}

static uint32_t
swap32(uint32_t v)
{
	return (v >> 24) | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | (v << 24);
}

/* Write @p f as a nanosecond capture of link type @p dlt, with libpcap alone. */
static void
write_capture(const char *path, int dlt, const struct wframe *f, unsigned int n)
{
	pcap_t *p = pcap_open_dead_with_tstamp_precision(dlt, 262144,
			PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *d;
	unsigned int i;

	ck_assert_ptr_nonnull(p);
	d = pcap_dump_open(p, path);
	ck_assert_msg(d != NULL, "%s: %s", path, pcap_geterr(p));
	for (i = 0; i < n; i++) {
		struct pcap_pkthdr h;

		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)(f[i].ts / SEC);
		h.ts.tv_usec = (suseconds_t)(f[i].ts % SEC);
		h.caplen = f[i].caplen;
		h.len = f[i].len ? f[i].len : f[i].caplen;
		pcap_dump((u_char *)d, &h, f[i].b);
	}
	ck_assert_int_eq(pcap_dump_flush(d), 0);
	pcap_dump_close(d);
	pcap_close(p);
}

/* Read every frame of @p path through the reader under test; @return how many. */
static int
read_all(const char *path, struct rec *r, int max, uint32_t cap, char *lt, size_t ltlen)
{
	char err[512] = "";
	struct natgw_pcap_reader *rd = natgw_pcap_open(path, err, sizeof(err));
	int n = 0, rc;

	ck_assert_msg(rd != NULL, "%s: %s", path, err);
	if (lt != NULL)
		snprintf(lt, ltlen, "%s", natgw_pcap_linktype(rd));
	for (;;) {
		rc = natgw_pcap_next(rd, r[n].b, cap, &r[n].ts, &r[n].len, &r[n].wire,
				err, sizeof(err));
		if (rc != 1)
			break;
		ck_assert_msg(++n <= max, "%s: more than %d frames", path, max);
	}
	ck_assert_msg(rc == 0, "%s: read error after %d frames: %s", path, n, err);
	natgw_pcap_close(rd);
	return n;
}

/* The same file through libpcap alone: the bytes each conversion starts from. */
static int
read_raw(const char *path)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO,
			perr);
	struct pcap_pkthdr *h;
	const u_char *d;
	int n = 0;

	ck_assert_msg(p != NULL, "%s: %s", path, perr);
	while (pcap_next_ex(p, &h, &d) == 1) {
		ck_assert_int_lt(n, MAX_FRAMES);
		ck_assert_uint_le(h->caplen, FRAME_CAP);
		orig[n].ts = (uint64_t)h->ts.tv_sec * SEC + (uint64_t)h->ts.tv_usec;
		orig[n].caplen = h->caplen;
		orig[n].len = h->len;
		memcpy(orig[n].b, d, h->caplen);
		n++;
	}
	pcap_close(p);
	return n;
}

/*
 * Frame @p i of the capture read with the reader was converted from a link
 * header of @p hl bytes: an Ethernet header with @p et, then the original's
 * bytes after its link header, and both lengths moved by the difference.
 */
static void
assert_converted(int i, uint32_t hl, uint16_t et)
{
	const struct rec *g = &got[i];
	const struct raw *o = &orig[i];

	ck_assert_msg(tp_get16(g->b + 12) == et, "frame %d: ethertype 0x%04x, want 0x%04x",
		i, tp_get16(g->b + 12), et);
	ck_assert_uint_eq(g->len, o->caplen - hl + 14);
	ck_assert_uint_eq(g->wire, o->len - hl + 14);
	ck_assert_mem_eq(g->b + 14, o->b + hl, o->caplen - hl);
	ck_assert_mem_eq(g->b, zero_mac, 6);
	ck_assert_uint_eq(g->ts, o->ts);
}

static int
read_and_raw(const char *name, char *lt, size_t ltlen)
{
	char path[PATH_MAX];
	int n;

	data_path(path, name);
	n = read_all(path, got, MAX_FRAMES, FRAME_CAP, lt, ltlen);
	ck_assert_int_eq(read_raw(path), n);
	return n;
}

/* ------------------------------------------------------------------ reader */

START_TEST(test_reader_en10mb)
{
	static const uint32_t lens[] = {78, 74, 66, 202, 66, 1514, 1514, 1514, 729, 66,
		66, 66, 66, 66};
	char path[PATH_MAX], err[256] = "", lt[32];
	struct natgw_pcap_reader *r;
	uint64_t ts;
	uint32_t len, wire;
	int i, n;

	n = read_and_raw("http-get.pcap", lt, sizeof(lt));
	ck_assert_str_eq(lt, "EN10MB");
	ck_assert_int_eq(n, 14);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(got[i].len, lens[i]);
		ck_assert_uint_eq(got[i].wire, lens[i]);
		ck_assert_mem_eq(got[i].b, orig[i].b, lens[i]);
	}
	/* A microsecond file comes out scaled to nanoseconds. */
	ck_assert_uint_eq(got[0].ts, 1362692526869344000ull);
	ck_assert_uint_eq(got[13].ts, 1362692527080972000ull);

	/* The offset is what progress reports: file header, then record by record. */
	data_path(path, "http-get.pcap");
	r = natgw_pcap_open(path, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(natgw_pcap_offset(r), 24);
	ck_assert_int_eq(natgw_pcap_next(r, got[0].b, FRAME_CAP, &ts, &len, &wire, err,
		sizeof(err)), 1);
	ck_assert_uint_eq(natgw_pcap_offset(r), 24 + 16 + 78);
	while (natgw_pcap_next(r, got[0].b, FRAME_CAP, &ts, &len, &wire, err, sizeof(err)) == 1)
		;
	ck_assert_uint_eq(natgw_pcap_offset(r), 6335);
	natgw_pcap_close(r);
}
END_TEST

START_TEST(test_reader_sll_nsec)
{
	/* tshark -e frame.time_epoch: 1418145369.924505488 and so on. */
	static const uint64_t ts[] = {1418145369924505488ull, 1418145370052027262ull,
		1418145370052115157ull};
	static const uint32_t wire[] = {76 - 16 + 14, 76 - 16 + 14, 68 - 16 + 14};
	char lt[32];
	int i, n;

	n = read_and_raw("sll-nsec-tcp-handshake.pcap", lt, sizeof(lt));
	ck_assert_str_eq(lt, "LINUX_SLL");
	ck_assert_int_eq(n, 3);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(got[i].ts, ts[i]);
		ck_assert_uint_eq(got[i].wire, wire[i]);
		assert_converted(i, 16, 0x0800);
		/* A PPP link (hatype 512), no link-layer address: no source MAC. */
		ck_assert_uint_eq(tp_get16(orig[i].b + 4), 0);
		ck_assert_mem_eq(got[i].b + 6, zero_mac, 6);
	}
}
END_TEST

START_TEST(test_reader_sll2)
{
	static const uint32_t wire[] = {74, 74, 66, 148, 66};
	char lt[32];
	int i, n;

	n = read_and_raw("sll2-http.pcap", lt, sizeof(lt));
	ck_assert_str_eq(lt, "LINUX_SLL2");
	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(got[0].ts, 1736381483613927000ull);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(got[i].wire, wire[i]);
		assert_converted(i, 20, 0x0800);
		/* The 6-byte link-layer address is the sender's MAC. */
		ck_assert_uint_eq(orig[i].b[11], 6);
		ck_assert_mem_eq(got[i].b + 6, orig[i].b + 12, 6);
	}
}
END_TEST

START_TEST(test_reader_sll2_ipv6)
{
	/* ICMP echo, ICMPv6, then ARP and RARP: the protocol field is carried over. */
	static const uint16_t et[] = {0x0800, 0x0800, 0x86dd, 0x86dd, 0x0806, 0x8035};
	static const uint32_t wire[] = {98, 98, 118, 118, 42, 42};
	char lt[32];
	int i, n;

	n = read_and_raw("sll2-icmp-v4v6.pcap", lt, sizeof(lt));
	ck_assert_str_eq(lt, "LINUX_SLL2");
	ck_assert_int_eq(n, 6);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(got[i].wire, wire[i]);
		assert_converted(i, 20, et[i]);
	}
}
END_TEST

/* A 48-byte IPv6 packet with no next header. */
static uint16_t
ipv6_packet(uint8_t *p)
{
	memset(p, 0, 48);
	p[0] = 0x60;
	p[5] = 8;   /* payload length */
	p[6] = 59;  /* no next header */
	p[7] = 64;
	p[23] = 1;  /* ::1 */
	p[39] = 2;  /* ::2 */
	memcpy(p + 40, "natgw-v6", 8);
	return 48;
}

static struct tp
udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, const char *payload)
{
	struct tp t = {
		.src = src, .dst = dst, .proto = 17, .sport = sport, .dport = dport,
		.payload = payload, .plen = (uint16_t)strlen(payload),
	};

	return t;
}

/* Raw IP carries IPv6 too: the version nibble picks the ethertype. */
static void
check_raw_ipv6(void)
{
	static uint8_t b[2][2048];
	struct tp t = udp(IN1, 40000, REM, 53, "raw");
	struct wframe f[2];
	char path[PATH_MAX], lt[32];
	uint8_t eth[2048];
	uint16_t l = tp_build(eth, &t);

	memcpy(b[0], eth + 14, l - 14u);
	f[0] = (struct wframe){.ts = T0, .b = b[0], .caplen = l - 14u};
	f[1] = (struct wframe){.ts = T0 + 1, .b = b[1], .caplen = ipv6_packet(b[1])};
	tmp_path(path, "raw-v4v6.pcap");
	write_capture(path, DLT_RAW, f, 2);
	ck_assert_int_eq(read_all(path, got, MAX_FRAMES, FRAME_CAP, lt, sizeof(lt)), 2);
	ck_assert_str_eq(lt, "RAW");
	ck_assert_uint_eq(tp_get16(got[0].b + 12), 0x0800);
	ck_assert_uint_eq(got[0].len, l);
	ck_assert_mem_eq(got[0].b + 14, b[0], l - 14u);
	ck_assert_uint_eq(tp_get16(got[1].b + 12), 0x86dd);
	ck_assert_uint_eq(got[1].len, 48 + 14);
	ck_assert_mem_eq(got[1].b + 14, b[1], 48);
}

START_TEST(test_reader_raw_ip)
{
	static const struct {
		const char *file, *lt;
		uint64_t ts;
	} c[] = {
		{"rawip-ipv4-dlt101.pcap", "RAW", 1751997551951226000ull},
		{"rawip4-dlt228.pcap", "IPV4", 1751997572592885000ull},
	};
	char lt[32];
	unsigned int k;
	int n;

	for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		n = read_and_raw(c[k].file, lt, sizeof(lt));
		ck_assert_str_eq(lt, c[k].lt);
		ck_assert_int_eq(n, 1);
		ck_assert_uint_eq(got[0].ts, c[k].ts);
		ck_assert_uint_eq(got[0].wire, 57 + 14);
		assert_converted(0, 0, 0x0800);
	}
	check_raw_ipv6();
}
END_TEST

START_TEST(test_reader_pcapng)
{
	/* Interface 0 has nanosecond resolution, interface 1 microseconds. */
	static const uint64_t ts[] = {1767663089500330493ull, 1767663089514291940ull,
		1767663437111897000ull, 1767663437126460000ull, 1767663437128303000ull,
		1767663437140942000ull};
	static const uint32_t lens[] = {96, 214, 70, 166, 70, 182};
	static const uint32_t spb_lens[] = {314, 342, 314, 342};
	char lt[32];
	int i, n;

	n = read_and_raw("pcapng-multi-if.pcapng", lt, sizeof(lt));
	ck_assert_str_eq(lt, "EN10MB");
	ck_assert_int_eq(n, 6);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(got[i].ts, ts[i]);
		ck_assert_uint_eq(got[i].len, lens[i]);
		ck_assert_uint_eq(got[i].wire, lens[i]);
		ck_assert_mem_eq(got[i].b, orig[i].b, lens[i]);
	}

	/* Simple Packet Blocks: no interface, no time, but frames all the same. */
	n = read_and_raw("pcapng-spb.pcapng", lt, sizeof(lt));
	ck_assert_str_eq(lt, "EN10MB");
	ck_assert_int_eq(n, 4);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(got[i].len, spb_lens[i]);
		ck_assert_uint_eq(got[i].wire, spb_lens[i]);
		ck_assert_mem_eq(got[i].b, orig[i].b, spb_lens[i]);
	}
}
END_TEST

START_TEST(test_reader_pcapng_empty)
{
	char path[PATH_MAX], err[256] = "";
	struct natgw_pcap_reader *r;
	uint64_t ts;
	uint32_t len, wire;

	data_path(path, "pcapng-empty.pcapng");
	r = natgw_pcap_open(path, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_str_eq(natgw_pcap_linktype(r), "EN10MB");
	ck_assert_int_eq(natgw_pcap_next(r, got[0].b, FRAME_CAP, &ts, &len, &wire, err,
		sizeof(err)), 0);
	natgw_pcap_close(r);
}
END_TEST

/* A loopback frame: the 4-byte family exactly as the file holds it, and the
 * ethertype it must turn into. */
struct lo_case {
	uint32_t af;
	uint16_t et;
};

static void
check_loopback(int dlt, const struct lo_case *c, unsigned int n, const char *file,
		const char *lt_want)
{
	static uint8_t b[8][2048];
	struct wframe f[8];
	char path[PATH_MAX], lt[32];
	uint8_t eth[2048];
	unsigned int i;
	uint16_t plen;
	int got_n;

	ck_assert_uint_le(n, 8);
	for (i = 0; i < n; i++) {
		memcpy(b[i], &c[i].af, 4);
		if (c[i].et == 0x0800) {
			struct tp t = udp(IN1, 40000, REM, 53, "loopback");

			plen = (uint16_t)(tp_build(eth, &t) - 14);
			memcpy(b[i] + 4, eth + 14, plen);
		} else {
			plen = ipv6_packet(b[i] + 4);
		}
		/* Longer on the wire than captured: the wire length converts too. */
		f[i] = (struct wframe){.ts = T0 + i, .b = b[i], .caplen = 4u + plen,
			.len = 4u + plen + i};
	}
	tmp_path(path, file);
	write_capture(path, dlt, f, n);
	got_n = read_all(path, got, MAX_FRAMES, FRAME_CAP, lt, sizeof(lt));
	ck_assert_str_eq(lt, lt_want);
	ck_assert_int_eq(got_n, (int)n);
	for (i = 0; i < n; i++) {
		ck_assert_msg(tp_get16(got[i].b + 12) == c[i].et,
			"%s frame %u (af 0x%08x): ethertype 0x%04x, want 0x%04x", file, i,
			c[i].af, tp_get16(got[i].b + 12), c[i].et);
		ck_assert_uint_eq(got[i].ts, T0 + i);
		ck_assert_uint_eq(got[i].len, f[i].caplen - 4 + 14);
		ck_assert_uint_eq(got[i].wire, f[i].len - 4 + 14);
		ck_assert_mem_eq(got[i].b + 14, b[i] + 4, f[i].caplen - 4);
	}
}

START_TEST(test_reader_loopback)
{
	/* DLT_NULL holds the family in the writer's byte order, DLT_LOOP in
	 * network order; IPv6 is 24, 28 or 30 depending on the BSD. */
	const struct lo_case null_host[] = {
		{2, 0x0800}, {24, 0x86dd}, {28, 0x86dd}, {30, 0x86dd},
	};
	const struct lo_case null_other[] = {
		{swap32(2), 0x0800}, {swap32(24), 0x86dd}, {swap32(28), 0x86dd},
		{swap32(30), 0x86dd},
	};
	const struct lo_case loop[] = {
		{htonl(2), 0x0800}, {htonl(24), 0x86dd}, {htonl(28), 0x86dd},
		{htonl(30), 0x86dd},
	};

	check_loopback(DLT_NULL, null_host, 4, "null.pcap", "NULL");
	check_loopback(DLT_NULL, null_other, 4, "null-other-order.pcap", "NULL");
	check_loopback(DLT_LOOP, loop, 4, "loop.pcap", "LOOP");
}
END_TEST

START_TEST(test_reader_unsupported_linktype)
{
	static const struct {
		int dlt;
		const char *name;
	} c[] = {{DLT_IEEE802_11, "IEEE802_11"}, {DLT_PPP, "PPP"}};
	static const uint8_t junk[64];
	char path[PATH_MAX], err[512], want[32];
	struct wframe f = {.ts = T0, .b = junk, .caplen = sizeof(junk)};
	unsigned int k;

	for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		tmp_path(path, c[k].name);
		write_capture(path, c[k].dlt, &f, 1);
		err[0] = '\0';
		ck_assert_ptr_null(natgw_pcap_open(path, err, sizeof(err)));
		assert_one_line(err);
		ck_assert_msg(strstr(err, c[k].name) != NULL, "\"%s\" does not name %s", err,
			c[k].name);
		snprintf(want, sizeof(want), "%d", c[k].dlt);
		ck_assert_msg(strstr(err, want) != NULL, "\"%s\" does not give %s", err, want);
	}
}
END_TEST

START_TEST(test_reader_not_a_capture)
{
	char missing[PATH_MAX], text[PATH_MAX], empty[PATH_MAX], err[512];
	const char *bad[4];
	FILE *f;
	unsigned int k;

	tmp_path(missing, "no-such-capture.pcap");
	data_path(text, "SOURCES.tsv");
	tmp_path(empty, "empty.pcap");
	f = fopen(empty, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fclose(f), 0);
	bad[0] = missing;
	bad[1] = tmp_dir;
	bad[2] = text;
	bad[3] = empty;
	for (k = 0; k < 4; k++) {
		err[0] = '\0';
		ck_assert_msg(natgw_pcap_open(bad[k], err, sizeof(err)) == NULL,
			"%s opened as a capture", bad[k]);
		assert_one_line(err);
		ck_assert_msg(strstr(err, bad[k]) != NULL, "\"%s\" does not name %s", err, bad[k]);
	}
}
END_TEST

START_TEST(test_reader_bad_record)
{
	char path[PATH_MAX], err[512] = "";
	struct natgw_pcap_reader *r;
	uint64_t ts;
	uint32_t len, wire;

	/* The second record claims 1409179648 captured bytes: libpcap 1.10 gives
	 * the first frame, then refuses (tshark shows it as a broken frame 2). */
	data_path(path, "MALFORMED-bad-record-length.pcap");
	r = natgw_pcap_open(path, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_int_eq(natgw_pcap_next(r, got[0].b, FRAME_CAP, &ts, &len, &wire, err,
		sizeof(err)), 1);
	ck_assert_uint_eq(len, 188);
	ck_assert_uint_eq(wire, 188);
	ck_assert_uint_eq(ts, 1508525002992213000ull);
	err[0] = '\0';
	ck_assert_int_eq(natgw_pcap_next(r, got[0].b, FRAME_CAP, &ts, &len, &wire, err,
		sizeof(err)), -1);
	assert_one_line(err);
	natgw_pcap_close(r);
}
END_TEST

START_TEST(test_reader_frame_over_cap)
{
	static const uint32_t lens[] = {78, 74, 66, 202, 66, 1514, 1514, 1514, 729, 66,
		66, 66, 66, 66};
	char path[PATH_MAX];
	int i, n;

	/* Ethernet: the three full-size frames do not fit 1513 bytes, and the
	 * frames after them are read as usual. */
	data_path(path, "http-get.pcap");
	n = read_all(path, got, MAX_FRAMES, 1513, NULL, 0);
	ck_assert_int_eq(n, 14);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(got[i].wire, lens[i]);
		ck_assert_uint_eq(got[i].len, lens[i] > 1513 ? 0 : lens[i]);
	}
	ck_assert_int_eq(read_all(path, got, MAX_FRAMES, 1514, NULL, 0), 14);
	ck_assert_uint_eq(got[5].len, 1514);

	/* Converted: the limit is on the Ethernet frame, 74 bytes from 76 of SLL. */
	data_path(path, "sll-nsec-tcp-handshake.pcap");
	ck_assert_int_eq(read_all(path, got, MAX_FRAMES, 73, NULL, 0), 3);
	ck_assert_uint_eq(got[0].len, 0);
	ck_assert_uint_eq(got[0].wire, 74);
	ck_assert_uint_eq(got[1].len, 0);
	ck_assert_uint_eq(got[1].wire, 74);
	ck_assert_uint_eq(got[2].len, 66);
	ck_assert_int_eq(read_all(path, got, MAX_FRAMES, 74, NULL, 0), 3);
	ck_assert_uint_eq(got[0].len, 74);
}
END_TEST

START_TEST(test_reader_snaplen_truncated)
{
	/* tshark: frame.cap_len and frame.len of the first frames. */
	static const uint32_t cap[] = {68, 58, 54, 54}, wire[] = {74, 60, 60, 138};
	char path[PATH_MAX];
	int i, n;

	data_path(path, "snap68-tcp-truncated-header.pcap");
	n = read_all(path, got, MAX_FRAMES, FRAME_CAP, NULL, 0);
	ck_assert_int_eq(n, 24);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(got[i].len, cap[i]);
		ck_assert_uint_eq(got[i].wire, wire[i]);
	}
	for (i = 0; i < n; i++)
		ck_assert_msg(got[i].len < got[i].wire, "frame %d: len %u, wire %u", i,
			got[i].len, got[i].wire);
}
END_TEST

/* ------------------------------------------------------------------ writer */

START_TEST(test_writer_roundtrip)
{
	static uint8_t jumbo[10000], zeros[9000];
	static const uint64_t ts[] = {T0, T0 + 1, 1787414001000000000ull, 999999999ull};
	struct tp t0 = udp(IN1, 40000, REM, 53, "written"), t1 = t0, t2 = {
		.src = REM, .dst = IN1, .proto = 6, .sport = 443, .dport = 50000,
		.flags = 0x10, .payload = zeros, .plen = 1460,
	};
	uint8_t b0[2048], b2[2048];
	const uint8_t *fr[4];
	uint32_t len[4];
	char path[PATH_MAX], err[256] = "", lt[32];
	struct natgw_pcap_writer *w;
	uint32_t magic;
	FILE *f;
	int i, n;

	t1.payload = zeros;
	t1.plen = 9000 - 42;
	len[0] = tp_build(b0, &t0);
	len[1] = tp_build(jumbo, &t1);
	len[2] = tp_build(b2, &t2);
	len[3] = 42;
	fr[0] = b0;
	fr[1] = jumbo;
	fr[2] = b2;
	fr[3] = b0;
	ck_assert_uint_eq(len[1], 9000);
	ck_assert_uint_eq(len[2], 1514);

	tmp_path(path, "written.pcap");
	w = natgw_pcap_writer_open(path, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	for (i = 0; i < 4; i++)
		natgw_pcap_write(w, fr[i], len[i], ts[i]);
	ck_assert_msg(natgw_pcap_writer_close(w, err, sizeof(err)) == 0, "%s", err);

	/* The nanosecond pcap magic, in the writer's byte order. */
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(&magic, 4, 1, f), 1);
	fclose(f);
	ck_assert_uint_eq(magic, 0xa1b23c4du);

	n = read_all(path, got, MAX_FRAMES, FRAME_CAP, lt, sizeof(lt));
	ck_assert_str_eq(lt, "EN10MB");
	ck_assert_int_eq(n, 4);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(got[i].ts, ts[i]);
		ck_assert_uint_eq(got[i].len, len[i]);
		ck_assert_uint_eq(got[i].wire, len[i]);
		ck_assert_mem_eq(got[i].b, fr[i], len[i]);
	}

	/* No frames at all is still a capture. */
	w = natgw_pcap_writer_open(path, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	ck_assert_msg(natgw_pcap_writer_close(w, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(read_all(path, got, MAX_FRAMES, FRAME_CAP, NULL, 0), 0);
}
END_TEST

START_TEST(test_writer_errors)
{
	char path[PATH_MAX], err[512];
	uint8_t b[2048];
	struct tp t = udp(IN1, 40000, REM, 53, "to a full disk");
	uint16_t len = tp_build(b, &t);
	struct natgw_pcap_writer *w;
	unsigned int k, i, frames;

	tmp_path(path, "no-such-dir/out.pcap");
	err[0] = '\0';
	ck_assert_ptr_null(natgw_pcap_writer_open(path, err, sizeof(err)));
	assert_one_line(err);
	ck_assert_msg(strstr(err, path) != NULL, "\"%s\" does not name the file", err);

	/* /dev/full takes the open and fails every write. One frame stays in
	 * stdio's buffer until the close; many fail while being written. */
	ck_assert_msg(access("/dev/full", W_OK) == 0, "the test needs /dev/full");
	for (k = 0; k < 2; k++) {
		frames = k == 0 ? 1 : 200;
		err[0] = '\0';
		w = natgw_pcap_writer_open("/dev/full", err, sizeof(err));
		if (w == NULL) {
			/* Reported at the open: as good, as long as it says so. */
			assert_one_line(err);
			continue;
		}
		for (i = 0; i < frames; i++)
			natgw_pcap_write(w, b, len, T0 + i);
		ck_assert_int_eq(natgw_pcap_writer_close(w, err, sizeof(err)), -1);
		assert_one_line(err);
		ck_assert_msg(strstr(err, strerror(ENOSPC)) != NULL,
			"\"%s\" does not say the disk is full (%u frames)", err, frames);
	}
}
END_TEST

/* ------------------------------------------------------------------ replay */

/* The capture being built for a replay. */
static struct wframe cap[MAX_FRAMES];
static uint8_t cap_buf[MAX_FRAMES][2048];
static unsigned int ncap;

static struct natgw_replay_conf rconf;
static struct natgw_replay_result res;
static char cap_path[PATH_MAX], out_path[PATH_MAX], in_path[PATH_MAX];
static char rerr[512];

static struct wframe *
cap_add(const struct tp *t, uint64_t ts)
{
	struct wframe *f;

	ck_assert_uint_lt(ncap, MAX_FRAMES);
	f = &cap[ncap];
	f->b = cap_buf[ncap];
	f->caplen = tp_build(cap_buf[ncap], t);
	f->len = 0;
	f->ts = ts;
	ncap++;
	return f;
}

static void
cap_add_raw(const uint8_t *b, uint32_t len, uint64_t ts)
{
	ck_assert_uint_lt(ncap, MAX_FRAMES);
	cap[ncap++] = (struct wframe){.ts = ts, .b = b, .caplen = len};
}

static void
replay_setup(void)
{
	natgw_test_eal();
	ncap = 0;
	tmp_path(cap_path, "replay-capture.pcap");
	tmp_path(out_path, "replay-outside.pcap");
	tmp_path(in_path, "replay-inside.pcap");
	unlink(out_path);
	unlink(in_path);
	memset(&rconf, 0, sizeof(rconf));
	rconf.capture = cap_path;
	rconf.outside_path = out_path;
	rconf.inside_path = in_path;
	natgw_nat_conf_defaults(&rconf.nat, NATGW_PROFILE_AWS);
	rconf.nat.public_ip[0] = htonl(PUB);
	rconf.nat.n_public = 1;
	rconf.nat.inside[0].addr = 0x0a000000;
	rconf.nat.inside[0].mask = 0xffff0000;
	rconf.nat.n_inside = 1;
	/* Small tables: each replay makes and frees its own. */
	rconf.nat.max_sessions = 4096;
}

/* Also runs after a failed assertion, so that the engine's DPDK names are free
 * for the next test. */
static void
replay_teardown(void)
{
	natgw_replay_result_free(&res);
}

static int
replay_run(void)
{
	natgw_replay_result_free(&res);
	rerr[0] = '\0';
	return natgw_replay_run(&rconf, &res, rerr, sizeof(rerr));
}

/* Write the capture built so far, replay it, and read both outputs back. */
static void
replay_ok(int *n_out, int *n_in)
{
	char lt[32];

	write_capture(cap_path, DLT_EN10MB, cap, ncap);
	ck_assert_msg(replay_run() == 0, "replay failed: %s", rerr);
	ck_assert_ptr_nonnull(res.nats[0]);
	*n_out = read_all(out_path, outs, MAX_FRAMES, FRAME_CAP, lt, sizeof(lt));
	ck_assert_str_eq(lt, "EN10MB");
	*n_in = read_all(in_path, ins, MAX_FRAMES, FRAME_CAP, lt, sizeof(lt));
	ck_assert_str_eq(lt, "EN10MB");
	ck_assert_uint_eq(res.out_frames[NATGW_SIDE_OUTSIDE], (uint64_t)*n_out);
	ck_assert_uint_eq(res.out_frames[NATGW_SIDE_INSIDE], (uint64_t)*n_in);
}

static void
assert_valid(const struct rec *r, const char *what)
{
	char why[128];

	ck_assert_msg(tp_verify(r->b, (uint16_t)r->len, why, sizeof(why)) == 0, "%s: %s",
		what, why);
}

static uint16_t
sport_of(const struct rec *r)
{
	return tp_get16(r->b + tp_l4(r->b));
}

static uint16_t
dport_of(const struct rec *r)
{
	return tp_get16(r->b + tp_l4(r->b) + 2);
}

static uint64_t
drops(void)
{
	const struct natgw_nat_stats *st = natgw_nat_stats(res.nats[0]);
	uint64_t s = 0;
	int i;

	for (i = 0; i < NATGW_DROP_MAX; i++)
		s += st->drop[i];
	return s;
}

START_TEST(test_replay_udp_answer)
{
	struct tp q = udp(IN1, 40000, REM, 53, "query");
	struct tp a = udp(REM, 53, IN1, 40000, "answer!");
	const struct natgw_flow_record *fl;
	const struct natgw_nat_stats *st;
	size_t nfl;
	int n_out, n_in, i;
	uint16_t port;

	cap_add(&q, T0);
	cap_add(&a, T0 + MS + 3);
	replay_ok(&n_out, &n_in);

	ck_assert_str_eq(res.linktype, "EN10MB");
	ck_assert_uint_eq(res.frames, 2);
	ck_assert_uint_eq(res.first_ns, T0);
	ck_assert_uint_eq(res.last_ns, T0 + MS + 3);
	ck_assert_uint_eq(res.to_side[NATGW_SIDE_INSIDE], 1);
	ck_assert_uint_eq(res.to_side[NATGW_SIDE_OUTSIDE], 1);
	ck_assert_uint_eq(res.readdressed, 1);
	ck_assert_uint_eq(res.unmapped, 0);
	for (i = 0; i < NATGW_SKIP_MAX; i++)
		ck_assert_uint_eq(res.skip[i], 0);

	/* Outside: from the public endpoint, at the query's time. */
	ck_assert_int_eq(n_out, 1);
	assert_valid(&outs[0], "outside query");
	ck_assert_uint_eq(tp_ip_src(outs[0].b), PUB);
	ck_assert_uint_eq(tp_ip_dst(outs[0].b), REM);
	ck_assert_uint_eq(dport_of(&outs[0]), 53);
	port = sport_of(&outs[0]);
	ck_assert_uint_ge(port, 1024);
	ck_assert_uint_eq(outs[0].ts, T0);
	ck_assert_mem_eq(outs[0].b + tp_l4(outs[0].b) + 8, "query", 5);

	/* Inside: back to the private endpoint, at the answer's time. */
	ck_assert_int_eq(n_in, 1);
	assert_valid(&ins[0], "inside answer");
	ck_assert_uint_eq(tp_ip_src(ins[0].b), REM);
	ck_assert_uint_eq(sport_of(&ins[0]), 53);
	ck_assert_uint_eq(tp_ip_dst(ins[0].b), IN1);
	ck_assert_uint_eq(dport_of(&ins[0]), 40000);
	ck_assert_uint_eq(ins[0].ts, T0 + MS + 3);
	ck_assert_mem_eq(ins[0].b + tp_l4(ins[0].b) + 8, "answer!", 7);

	/* The answer entered the NAT addressed to the public endpoint: it found
	 * the query's session, one packet each way. */
	st = natgw_nat_stats(res.nats[0]);
	ck_assert_uint_eq(drops(), 0);
	ck_assert_uint_eq(st->metric[NATGW_M_PacketsInFromDestination], 1);
	ck_assert_uint_eq(st->metric[NATGW_M_PacketsOutToSource], 1);
	fl = natgw_nat_flow_log(res.nats[0], &nfl);
	ck_assert_uint_eq(nfl, 1);
	ck_assert_uint_eq(fl[0].pub_ip, htonl(PUB));
	ck_assert_uint_eq(fl[0].pub_port, htons(port));
	ck_assert_uint_eq(fl[0].in_ip, htonl(IN1));
	ck_assert_uint_eq(fl[0].pkts[0], 1);
	ck_assert_uint_eq(fl[0].pkts[1], 1);
}
END_TEST

START_TEST(test_replay_unmapped)
{
	struct tp q = udp(IN1, 40000, REM, 53, "query");
	struct tp stray = udp(REM, 53, IN1, 40001, "unasked");
	const struct natgw_nat_stats *st;
	int n_out, n_in;

	cap_add(&q, T0);
	cap_add(&stray, T0 + MS);
	replay_ok(&n_out, &n_in);

	ck_assert_uint_eq(res.readdressed, 0);
	ck_assert_uint_eq(res.unmapped, 1);
	ck_assert_uint_eq(res.to_side[NATGW_SIDE_OUTSIDE], 1);
	ck_assert_int_eq(n_out, 1);
	ck_assert_int_eq(n_in, 0);
	st = natgw_nat_stats(res.nats[0]);
	ck_assert_uint_eq(st->drop[NATGW_DROP_no_session_inbound], 1);
	ck_assert_uint_eq(drops(), 1);
	ck_assert_uint_eq(st->metric[NATGW_M_PacketsDropCount], 1);
}
END_TEST

START_TEST(test_replay_skips)
{
	static uint8_t zeros[65536], biggest[65536], too_big[65536];
	struct tp intra = udp(IN1, 40000, IN2, 53, "intra");
	struct tp notvia = udp(STRANGER, 40000, REM, 53, "not via");
	struct tp cut = udp(IN1, 40001, REM, 53, "cut short");
	struct tp q = udp(IN1, 40002, REM, 53, "query");
	struct tp big = udp(IN1, 40003, REM, 53, "");
	const struct natgw_nat_stats *st;
	uint32_t l_biggest, l_too_big;
	int n_out, n_in;

	ck_assert_str_eq(natgw_skip_name(NATGW_SKIP_intra_vpc), "intra_vpc");
	ck_assert_str_eq(natgw_skip_name(NATGW_SKIP_capture_truncated), "capture_truncated");
	ck_assert_str_eq(natgw_skip_name(NATGW_SKIP_MAX), "?");

	/* 65407 bytes is the most one replay buffer holds; one more is too large. */
	big.payload = zeros;
	big.plen = 65407 - 42;
	l_biggest = tp_build(biggest, &big);
	big.plen++;
	l_too_big = tp_build(too_big, &big);
	ck_assert_uint_eq(l_biggest, 65407);
	ck_assert_uint_eq(l_too_big, 65408);

	cap_add(&intra, T0);
	cap_add(&notvia, T0 + 1);
	cap_add(&cut, T0 + 2)->len = 200;
	cap_add(&q, T0 + 3);
	cap_add_raw(biggest, l_biggest, T0 + 4);
	cap_add_raw(too_big, l_too_big, T0 + 5);
	replay_ok(&n_out, &n_in);

	ck_assert_uint_eq(res.frames, 6);
	ck_assert_uint_eq(res.skip[NATGW_SKIP_intra_vpc], 1);
	ck_assert_uint_eq(res.skip[NATGW_SKIP_not_via_nat], 1);
	ck_assert_uint_eq(res.skip[NATGW_SKIP_capture_truncated], 1);
	ck_assert_uint_eq(res.skip[NATGW_SKIP_frame_too_large], 1);
	/* The query and the biggest frame reached the NAT; that one is over the
	 * gateway's MTU. */
	ck_assert_uint_eq(res.to_side[NATGW_SIDE_INSIDE], 2);
	ck_assert_uint_eq(res.to_side[NATGW_SIDE_OUTSIDE], 0);
	st = natgw_nat_stats(res.nats[0]);
	ck_assert_uint_eq(st->drop[NATGW_DROP_mtu_exceeded], 1);
	ck_assert_int_eq(n_out, 1);
	ck_assert_int_eq(n_in, 0);
	ck_assert_uint_eq(dport_of(&outs[0]), 53);
	ck_assert_uint_eq(tp_ip_src(outs[0].b), PUB);
	ck_assert_uint_eq(outs[0].ts, T0 + 3);
}
END_TEST

START_TEST(test_replay_time_backwards)
{
	/* Two captures merged: the second query and the answer are stamped
	 * earlier than the first query. */
	struct tp q1 = udp(IN1, 40000, REM, 53, "first");
	struct tp q2 = udp(IN1, 40001, REM, 53, "second");
	struct tp a1 = udp(REM, 53, IN1, 40000, "answer");
	const uint64_t late = T0 + 2 * SEC;
	const struct natgw_flow_record *fl;
	size_t nfl, k;
	int n_out, n_in, i;

	cap_add(&q1, late);
	cap_add(&q2, T0);
	cap_add(&a1, T0 + SEC);
	replay_ok(&n_out, &n_in);

	ck_assert_uint_eq(res.first_ns, late);
	ck_assert_uint_eq(res.last_ns, late);
	ck_assert_uint_eq(res.readdressed, 1);
	ck_assert_int_eq(n_out, 2);
	ck_assert_int_eq(n_in, 1);
	for (i = 0; i < n_out; i++) {
		ck_assert_uint_eq(outs[i].ts, late);
		if (i > 0)
			ck_assert_uint_ge(outs[i].ts, outs[i - 1].ts);
	}
	ck_assert_uint_eq(ins[0].ts, late);
	ck_assert_uint_eq(tp_ip_dst(ins[0].b), IN1);
	/* The engine, finished by the replay, never saw the earlier times. */
	fl = natgw_nat_flow_log(res.nats[0], &nfl);
	ck_assert_uint_eq(nfl, 2);
	for (k = 0; k < nfl; k++)
		ck_assert_uint_ge(fl[k].first_ns, late);
}
END_TEST

static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long sz;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	ck_assert_int_ge(sz, 0);
	rewind(f);
	b = malloc((size_t)sz + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	*n = (size_t)sz;
	return b;
}

START_TEST(test_replay_deterministic)
{
	struct tp t[] = {
		udp(IN1, 40000, REM, 53, "query"),
		udp(REM, 53, IN1, 40000, "answer"),
		{.src = IN1, .dst = REM, .proto = 6, .sport = 50000, .dport = 443,
			.flags = 0x02, .seq = 1000},
		{.src = REM, .dst = IN1, .proto = 6, .sport = 443, .dport = 50000,
			.flags = 0x12, .seq = 5000, .ack = 1001},
		{.src = IN1, .dst = REM, .proto = 6, .sport = 50000, .dport = 443,
			.flags = 0x10, .seq = 1001, .ack = 5001},
		{.src = IN2, .dst = REM, .proto = 1, .icmp_type = 8, .icmp_id = 0x77,
			.icmp_seq = 1},
		{.src = REM, .dst = IN2, .proto = 1, .icmp_type = 0, .icmp_id = 0x77,
			.icmp_seq = 1},
		udp(REM, 53, IN2, 9999, "unasked"),
	};
	struct natgw_replay_result first;
	uint8_t *o[2], *in[2];
	size_t no[2], ni[2];
	unsigned int k;
	int n_out, n_in, run, i;

	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++)
		cap_add(&t[k], T0 + k * MS);
	for (run = 0; run < 2; run++) {
		replay_ok(&n_out, &n_in);
		ck_assert_int_eq(n_out, 4);
		ck_assert_int_eq(n_in, 3);
		for (i = 0; i < n_out; i++)
			assert_valid(&outs[i], "outside");
		for (i = 0; i < n_in; i++)
			assert_valid(&ins[i], "inside");
		o[run] = slurp(out_path, &no[run]);
		in[run] = slurp(in_path, &ni[run]);
		if (run == 0)
			first = res;
	}
	ck_assert_uint_eq(first.readdressed, 3);
	ck_assert_uint_eq(first.unmapped, 1);
	ck_assert_uint_eq(res.readdressed, first.readdressed);
	ck_assert_uint_eq(res.unmapped, first.unmapped);
	ck_assert_mem_eq(res.out_frames, first.out_frames, sizeof(res.out_frames));
	ck_assert_uint_eq(no[0], no[1]);
	ck_assert_uint_eq(ni[0], ni[1]);
	ck_assert_msg(memcmp(o[0], o[1], no[0]) == 0, "outside files differ");
	ck_assert_msg(memcmp(in[0], in[1], ni[0]) == 0, "inside files differ");
	free(o[0]);
	free(o[1]);
	free(in[0]);
	free(in[1]);
}
END_TEST

static void
assert_failed_cleanly(const char *what)
{
	ck_assert_msg(res.nats[0] == NULL, "%s: engine left in the result", what);
	assert_one_line(rerr);
	ck_assert_msg(!exists(out_path), "%s: %s left behind", what, out_path);
	ck_assert_msg(!exists(in_path), "%s: %s left behind", what, in_path);
}

START_TEST(test_replay_failure)
{
	struct tp q = udp(IN1, 40000, REM, 53, "query");
	struct tp a = udp(REM, 53, IN1, 40000, "answer");
	char bad[PATH_MAX], missing[PATH_MAX], full[PATH_MAX];
	struct stat st;
	int n_out, n_in;

	cap_add(&q, T0);
	cap_add(&a, T0 + MS);

	/* Cut in the middle of the second record. */
	write_capture(cap_path, DLT_EN10MB, cap, ncap);
	ck_assert_int_eq(stat(cap_path, &st), 0);
	ck_assert_int_eq(truncate(cap_path, st.st_size - 10), 0);
	ck_assert_int_eq(replay_run(), -1);
	assert_failed_cleanly("truncated record");
	ck_assert_msg(strstr(rerr, cap_path) != NULL, "\"%s\" does not name the capture", rerr);

	/* A record header claiming 1.4 GB, after one good frame. */
	data_path(bad, "MALFORMED-bad-record-length.pcap");
	rconf.capture = bad;
	ck_assert_int_eq(replay_run(), -1);
	assert_failed_cleanly("bad record length");
	ck_assert_uint_eq(res.frames, 1);

	/* No capture at all. */
	tmp_path(missing, "no-such-capture.pcap");
	rconf.capture = missing;
	ck_assert_int_eq(replay_run(), -1);
	assert_failed_cleanly("missing capture");

	/* The inside output cannot be written (a link to /dev/full): the replay
	 * removes only regular files it opened, never the device nor a link it
	 * did not make. */
	rconf.capture = cap_path;
	write_capture(cap_path, DLT_EN10MB, cap, ncap);
	ck_assert_msg(access("/dev/full", W_OK) == 0, "the test needs /dev/full");
	tmp_path(full, "full.pcap");
	ck_assert_int_eq(symlink("/dev/full", full), 0);
	rconf.inside_path = full;
	ck_assert_int_eq(replay_run(), -1);
	ck_assert_msg(strstr(rerr, full) != NULL, "\"%s\" does not name the output", rerr);
	ck_assert_int_eq(lstat(full, &st), 0);
	ck_assert_msg(S_ISLNK(st.st_mode), "%s is no longer the link", full);
	ck_assert_int_eq(stat("/dev/full", &st), 0);
	ck_assert_msg(S_ISCHR(st.st_mode), "/dev/full is no longer a device");
	ck_assert_int_eq(unlink(full), 0);
	rconf.inside_path = in_path;
	assert_failed_cleanly("inside output on a full disk");

	/* Every failure freed its DPDK objects: the names are free again. */
	replay_ok(&n_out, &n_in);
	ck_assert_int_eq(n_out, 1);
	ck_assert_int_eq(n_in, 1);
}
END_TEST

START_TEST(test_replay_icmp_unreachable)
{
	struct tp probe = udp(IN1, 40000, REM, 33434, "probe");
	struct tp err = {
		.src = REM, .dst = IN1, .proto = 1, .icmp_type = 3, .icmp_code = 3,
	};
	struct wframe *p;
	const uint8_t *l4, *qip, *ql4;
	int n_out, n_in;

	/* The capture saw the probe leave with its private source, and the
	 * error come back quoting it so. */
	p = cap_add(&probe, T0);
	err.payload = p->b + 14;
	err.plen = (uint16_t)(p->caplen - 14);
	cap_add(&err, T0 + 5 * MS);
	replay_ok(&n_out, &n_in);

	ck_assert_uint_eq(res.readdressed, 1);
	ck_assert_uint_eq(res.unmapped, 0);
	ck_assert_uint_eq(natgw_nat_stats(res.nats[0])->drop[NATGW_DROP_icmp_err_no_session], 0);
	ck_assert_int_eq(n_out, 1);
	ck_assert_uint_eq(tp_ip_src(outs[0].b), PUB);
	ck_assert_int_eq(n_in, 1);
	assert_valid(&ins[0], "inside ICMP error");
	ck_assert_uint_eq(tp_ip_src(ins[0].b), REM);
	ck_assert_uint_eq(tp_ip_dst(ins[0].b), IN1);
	l4 = ins[0].b + tp_l4(ins[0].b);
	ck_assert_uint_eq(l4[0], 3);
	ck_assert_uint_eq(l4[1], 3);
	qip = l4 + 8;
	ql4 = qip + (qip[0] & 0x0f) * 4;
	ck_assert_uint_eq(tp_get32(qip + 12), IN1);
	ck_assert_uint_eq(tp_get32(qip + 16), REM);
	ck_assert_uint_eq(tp_get16(ql4), 40000);
	ck_assert_uint_eq(tp_get16(ql4 + 2), 33434);
	ck_assert_uint_eq(ins[0].ts, T0 + 5 * MS);
}
END_TEST


/* The datagram two fragments make, as one frame, so that the transport checksum
 * the first carries can be checked over the whole payload. */
static uint16_t
reassemble(uint8_t *out, const struct rec *f1, const struct rec *f2)
{
	uint16_t l3 = tp_l3(f1->b), l3b = tp_l3(f2->b);
	uint16_t h1 = (uint16_t)((f1->b[l3] & 0x0f) * 4), h2 = (uint16_t)((f2->b[l3b] & 0x0f) * 4);
	uint16_t p1 = (uint16_t)(tp_get16(f1->b + l3 + 2) - h1);
	uint16_t p2 = (uint16_t)(tp_get16(f2->b + l3b + 2) - h2);
	uint16_t off2 = (uint16_t)((tp_get16(f2->b + l3b + 6) & 0x1fff) * 8);
	uint8_t *ip = out + l3;
	uint16_t tot = (uint16_t)(h1 + off2 + p2);

	ck_assert_uint_eq(p1, off2);
	memcpy(out, f1->b, l3 + h1 + p1);
	memcpy(ip + h1 + off2, f2->b + l3b + h2, p2);
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[6] = 0;
	ip[7] = 0;
	ip[10] = 0;
	ip[11] = 0;
	tot = (uint16_t)~tp_fold(tp_sum(ip, h1, 0));
	ip[10] = (uint8_t)(tot >> 8);
	ip[11] = (uint8_t)tot;
	return (uint16_t)(l3 + h1 + off2 + p2);
}

/* The UDP datagram src:sport -> dst:dport with a 64-byte payload, added to the
 * capture as two fragments at @p ts1 and @p ts2: 8 bytes of UDP header and 32
 * of payload, then the other 32 at offset 40. @p pl gets the payload, @p u the
 * whole UDP datagram. */
static void
add_fragments(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, uint64_t ts1,
		uint64_t ts2, uint8_t *pl, uint8_t *u)
{
	struct tp whole = udp(src, sport, dst, dport, "");
	struct tp f1 = {.src = src, .dst = dst, .proto = 17, .id = 0x4242, .frag = 0x2000,
		.raw_l4 = true};
	struct tp f2 = {.src = src, .dst = dst, .proto = 17, .id = 0x4242, .frag = 5,
		.raw_l4 = true};
	uint8_t wb[2048];
	int k;

	for (k = 0; k < 64; k++)
		pl[k] = (uint8_t)(0xa0 + k);
	whole.payload = pl;
	whole.plen = 64;
	ck_assert_uint_eq(tp_build(wb, &whole), 14 + 20 + 8 + 64);
	memcpy(u, wb + 14 + 20, 8 + 64);
	f1.payload = u;
	f1.plen = 40;
	f2.payload = u + 40;
	f2.plen = 32;
	cap_add(&f1, ts1);
	cap_add(&f2, ts2);
}

/* Two fragments @p f as they left the NAT: addressed @p src -> @p dst, the
 * first with the ports, the second's bytes untouched, and together a datagram
 * whose UDP checksum holds. */
static void
assert_fragments(const struct rec *f, uint32_t src, uint16_t sport, uint32_t dst,
		uint16_t dport, const uint8_t *pl, const uint8_t *u)
{
	uint8_t joined[2048];
	char why[128];
	uint16_t jl;
	int k;

	for (k = 0; k < 2; k++) {
		assert_valid(&f[k], "fragment");
		ck_assert_uint_eq(tp_ip_src(f[k].b), src);
		ck_assert_uint_eq(tp_ip_dst(f[k].b), dst);
	}
	ck_assert_uint_eq(tp_get16(f[0].b + tp_l3(f[0].b) + 6), 0x2000);
	ck_assert_uint_eq(sport_of(&f[0]), sport);
	ck_assert_uint_eq(dport_of(&f[0]), dport);
	ck_assert_uint_eq(tp_get16(f[1].b + tp_l3(f[1].b) + 6), 5);
	ck_assert_mem_eq(f[1].b + tp_l4(f[1].b), u + 40, 32);
	jl = reassemble(joined, &f[0], &f[1]);
	ck_assert_msg(tp_verify(joined, jl, why, sizeof(why)) == 0, "reassembled: %s", why);
	ck_assert_mem_eq(joined + 14 + 20 + 8, pl, 64);
}

START_TEST(test_replay_udp_fragments)
{
	/* _i = 1: both fragments share a timestamp, so the replay hands them to
	 * the engine in one burst, as a NIC would. */
	const uint64_t t2 = _i ? T0 + MS : T0 + 2 * MS;
	struct tp q = udp(IN1, 40000, REM, 53, "query");
	uint8_t pl[64], u[72];
	int n_out, n_in;

	cap_add(&q, T0);
	add_fragments(REM, 53, IN1, 40000, T0 + MS, t2, pl, u);
	replay_ok(&n_out, &n_in);

	/* The first by its ports, the second by the first's (src, dst, id). */
	ck_assert_uint_eq(res.readdressed, 2);
	ck_assert_uint_eq(res.unmapped, 0);
	ck_assert_int_eq(n_out, 1);
	ck_assert_msg(n_in == 2, "%d of 2 fragments delivered inside (drops: "
		"frag_no_session %" PRIu64 ", no_session_inbound %" PRIu64 ")", n_in,
		natgw_nat_stats(res.nats[0])->drop[NATGW_DROP_frag_no_session],
		natgw_nat_stats(res.nats[0])->drop[NATGW_DROP_no_session_inbound]);
	assert_fragments(ins, REM, 53, IN1, 40000, pl, u);
	ck_assert_uint_eq(natgw_nat_stats(res.nats[0])->frags_tracked, 1);
}
END_TEST

START_TEST(test_replay_udp_fragments_outbound)
{
	/* The same the other way: a fragmented query leaves from the public
	 * endpoint, its answer finds the mapping the first fragment made. */
	const uint64_t t2 = _i ? T0 : T0 + MS;
	struct tp a = udp(REM, 53, IN1, 40000, "answer");
	uint8_t pl[64], u[72];
	int n_out, n_in;

	add_fragments(IN1, 40000, REM, 53, T0, t2, pl, u);
	cap_add(&a, T0 + 2 * MS);
	replay_ok(&n_out, &n_in);

	ck_assert_msg(n_out == 2, "%d of 2 fragments delivered outside (drops: "
		"frag_no_session %" PRIu64 ")", n_out,
		natgw_nat_stats(res.nats[0])->drop[NATGW_DROP_frag_no_session]);
	ck_assert_uint_ge(sport_of(&outs[0]), 1024);
	assert_fragments(outs, PUB, sport_of(&outs[0]), REM, 53, pl, u);
	ck_assert_uint_eq(natgw_nat_stats(res.nats[0])->frags_tracked, 1);
	ck_assert_uint_eq(res.readdressed, 1);
	ck_assert_int_eq(n_in, 1);
	assert_valid(&ins[0], "inside answer");
	ck_assert_uint_eq(dport_of(&ins[0]), 40000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pcap");
	TCase *reader = tcase_create("reader");
	TCase *writer = tcase_create("writer");
	TCase *replay = tcase_create("replay");
	const char *tmp = getenv("TMPDIR");
	int rc;

	if (find_data_dir() < 0) {
		fprintf(stderr, "test_pcap: cannot find tests/data/pcaps from %s; "
			"set NATGW_TEST_DATA\n", __FILE__);
		return EXIT_FAILURE;
	}
	if (snprintf(tmp_dir, sizeof(tmp_dir), "%s/natgw-test-pcap-XXXXXX",
			tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp") >= (int)sizeof(tmp_dir) ||
			mkdtemp(tmp_dir) == NULL) {
		perror("test_pcap: mkdtemp");
		return EXIT_FAILURE;
	}

	tcase_add_test(reader, test_reader_en10mb);
	tcase_add_test(reader, test_reader_sll_nsec);
	tcase_add_test(reader, test_reader_sll2);
	tcase_add_test(reader, test_reader_sll2_ipv6);
	tcase_add_test(reader, test_reader_raw_ip);
	tcase_add_test(reader, test_reader_pcapng);
	tcase_add_test(reader, test_reader_pcapng_empty);
	tcase_add_test(reader, test_reader_loopback);
	tcase_add_test(reader, test_reader_unsupported_linktype);
	tcase_add_test(reader, test_reader_not_a_capture);
	tcase_add_test(reader, test_reader_bad_record);
	tcase_add_test(reader, test_reader_frame_over_cap);
	tcase_add_test(reader, test_reader_snaplen_truncated);
	suite_add_tcase(s, reader);

	tcase_add_test(writer, test_writer_roundtrip);
	tcase_add_test(writer, test_writer_errors);
	suite_add_tcase(s, writer);

	tcase_add_checked_fixture(replay, replay_setup, replay_teardown);
	tcase_add_test(replay, test_replay_udp_answer);
	tcase_add_test(replay, test_replay_unmapped);
	tcase_add_test(replay, test_replay_skips);
	tcase_add_test(replay, test_replay_time_backwards);
	tcase_add_test(replay, test_replay_deterministic);
	tcase_add_test(replay, test_replay_failure);
	tcase_add_test(replay, test_replay_icmp_unreachable);
	tcase_add_loop_test(replay, test_replay_udp_fragments, 0, 2);
	tcase_add_loop_test(replay, test_replay_udp_fragments_outbound, 0, 2);
	suite_add_tcase(s, replay);

	rc = natgw_test_run(s);
	remove_tmp_dir();
	return rc;
}
