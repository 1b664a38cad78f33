/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the capture reader (drivers/pcap) on a file made from the
 * input; libpcap reads pcap and pcapng, natgw turns every supported link type
 * into Ethernet. Each frame read is parsed (natgw_pkt_parse) as the replay
 * would. A frame longer than the buffer must come back as length 0.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "natgw_pcap.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096];
	struct natgw_pcap_reader *r;
	char err[256];
	unsigned int frames = 0;

	r = natgw_pcap_open(fuzz_file(data, size), err, sizeof(err));
	if (r == NULL)
		return 0;
	(void)natgw_pcap_linktype(r);
	/* A capture's frames are bounded by its size; the limit is a guard. */
	while (frames++ < 100000) {
		struct natgw_pkt_info pi;
		uint64_t ts;
		uint32_t len, wire;

		if (natgw_pcap_next(r, buf, sizeof(buf), &ts, &len, &wire, err,
				sizeof(err)) != 1)
			break;
		if (len > sizeof(buf)) {
			fprintf(stderr, "fuzz_pcap: a frame of %u bytes in a %zu-byte buffer\n",
				len, sizeof(buf));
			abort();
		}
		(void)natgw_pkt_parse(buf, len, &pi);
		(void)natgw_pcap_offset(r);
	}
	natgw_pcap_close(r);
	return 0;
}
