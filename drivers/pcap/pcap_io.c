/* SPDX-License-Identifier: BSD-3-Clause */
/* Capture files in and out, through libpcap; every link type read becomes Ethernet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pcap/pcap.h>

#include "natgw_pcap.h"

#define ETH_HLEN 14

struct natgw_pcap_reader {
	pcap_t *p;
	int dlt;
};

struct natgw_pcap_writer {
	pcap_t *p;
	pcap_dumper_t *d;
	char *path;
};

static bool
dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

struct natgw_pcap_reader *
natgw_pcap_open(const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct natgw_pcap_reader *r;
	struct stat st;
	pcap_t *p;
	int dlt;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a capture file", path);
		return NULL;
	}
	/* Nanosecond precision: libpcap scales microsecond files up, and
	 * nanosecond pcap and pcapng keep every digit. */
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (p == NULL) {
		snprintf(err, errlen, "%s: not a readable pcap or pcapng capture: %s", path, perr);
		return NULL;
	}
	dlt = pcap_datalink(p);
	if (!dlt_supported(dlt)) {
		const char *n = pcap_datalink_val_to_name(dlt);

		snprintf(err, errlen, "%s: link type %d (%s) is not supported; natgw reads "
			"Ethernet, Linux cooked (SLL, SLL2), raw IPv4 and BSD loopback",
			path, dlt, n ? n : "unknown");
		pcap_close(p);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		pcap_close(p);
		return NULL;
	}
	r->p = p;
	r->dlt = dlt;
	return r;
}

const char *
natgw_pcap_linktype(const struct natgw_pcap_reader *r)
{
	const char *n = pcap_datalink_val_to_name(r->dlt);

	return n ? n : "unknown";
}

uint64_t
natgw_pcap_offset(const struct natgw_pcap_reader *r)
{
	FILE *f = pcap_file(r->p);
	long o = f ? ftell(f) : -1;

	return o < 0 ? 0 : (uint64_t)o;
}

void
natgw_pcap_close(struct natgw_pcap_reader *r)
{
	if (r == NULL)
		return;
	pcap_close(r->p);
	free(r);
}

static void
put_eth(uint8_t *buf, const uint8_t *src_mac, uint16_t ethertype)
{
	memset(buf, 0, 6);
	if (src_mac)
		memcpy(buf + 6, src_mac, 6);
	else
		memset(buf + 6, 0, 6);
	buf[12] = ethertype >> 8;
	buf[13] = ethertype & 0xff;
}

/* The ethertype for a raw IP packet, from its version nibble. */
static uint16_t
raw_ethertype(const uint8_t *ip, uint32_t len)
{
	if (len == 0)
		return 0;
	return (ip[0] >> 4) == 6 ? 0x86dd : (ip[0] >> 4) == 4 ? 0x0800 : 0;
}

/* BSD loopback address families: AF_INET is 2 everywhere; AF_INET6 is 24,
 * 28 or 30 depending on the BSD. */
static uint16_t
af_ethertype(uint32_t af)
{
	if (af == 2)
		return 0x0800;
	if (af == 24 || af == 28 || af == 30 || af == 10)
		return 0x86dd;
	return 0;
}

int
natgw_pcap_next(struct natgw_pcap_reader *r, uint8_t *buf, uint32_t cap, uint64_t *ts_ns,
		uint32_t *len, uint32_t *wire_len, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	uint32_t hl = 0, caplen, wl;
	uint16_t et = 0;
	const uint8_t *mac = NULL;
	int rc = pcap_next_ex(r->p, &h, &d);

	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		snprintf(err, errlen, "%s", pcap_geterr(r->p));
		return -1;
	}
	*ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
	caplen = h->caplen;
	wl = h->len;
	switch (r->dlt) {
	case DLT_EN10MB:
		break;
	case DLT_LINUX_SLL:
		/* pkttype, hatype, halen, 8 address bytes, protocol */
		hl = 16;
		if (caplen >= hl) {
			et = (uint16_t)(d[14] << 8 | d[15]);
			if (d[5] == 6)
				mac = d + 6;
		}
		break;
	case DLT_LINUX_SLL2:
		/* protocol, reserved, ifindex, hatype, pkttype, halen, address */
		hl = 20;
		if (caplen >= hl) {
			et = (uint16_t)(d[0] << 8 | d[1]);
			if (d[11] == 6)
				mac = d + 12;
		}
		break;
	case DLT_RAW:
	case DLT_IPV4:
		et = raw_ethertype(d, caplen);
		break;
	case DLT_NULL:
	case DLT_LOOP:
		hl = 4;
		if (caplen >= hl) {
			uint32_t af;

			memcpy(&af, d, 4);
			if (r->dlt == DLT_LOOP)
				af = ntohl(af);
			else if (af > 0xffff) /* written on a host of the other byte order */
				af = __builtin_bswap32(af);
			et = af_ethertype(af);
		}
		break;
	}
	if (caplen < hl) {
		/* Shorter than its own link header: hand on what there is as a
		 * runt, which the NAT counts. */
		hl = caplen;
	}
	if (r->dlt == DLT_EN10MB) {
		*wire_len = wl;
		if (caplen > cap) {
			*len = 0;
			return 1;
		}
		memcpy(buf, d, caplen);
		*len = caplen;
		return 1;
	}
	*wire_len = wl - hl + ETH_HLEN;
	if (caplen - hl + ETH_HLEN > cap) {
		*len = 0;
		return 1;
	}
	put_eth(buf, mac, et);
	memcpy(buf + ETH_HLEN, d + hl, caplen - hl);
	*len = caplen - hl + ETH_HLEN;
	return 1;
}

struct natgw_pcap_writer *
natgw_pcap_writer_open(const char *path, char *err, size_t errlen)
{
	struct natgw_pcap_writer *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144, PCAP_TSTAMP_PRECISION_NANO);
	if (w->p == NULL) {
		snprintf(err, errlen, "libpcap cannot make a writer");
		free(w);
		return NULL;
	}
	w->d = pcap_dump_open(w->p, path);
	if (w->d == NULL) {
		/* libpcap's message names the file already. */
		snprintf(err, errlen, "%s", pcap_geterr(w->p));
		pcap_close(w->p);
		free(w);
		return NULL;
	}
	return w;
}

void
natgw_pcap_write(struct natgw_pcap_writer *w, const uint8_t *frame, uint32_t len, uint64_t ts_ns)
{
	struct pcap_pkthdr h;

	h.ts.tv_sec = (time_t)(ts_ns / 1000000000ull);
	/* A nanosecond dumper takes nanoseconds in tv_usec. */
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ull);
	h.caplen = len;
	h.len = len;
	pcap_dump((u_char *)w->d, &h, frame);
}

int
natgw_pcap_writer_close(struct natgw_pcap_writer *w, char *err, size_t errlen)
{
	int rc = 0;

	if (w == NULL)
		return 0;
	if (pcap_dump_flush(w->d) < 0 || ferror(pcap_dump_file(w->d))) {
		snprintf(err, errlen, "writing a capture failed: %s", strerror(errno));
		rc = -1;
	}
	pcap_dump_close(w->d);
	pcap_close(w->p);
	free(w);
	return rc;
}
