/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Capture replay: a capture taken inside the VPC, run through the NAT engine in
 * the capture's own (virtual) time, with what leaves each side written out.
 *
 * Capture files are read by libpcap (pcap and pcapng, nanosecond timestamps
 * kept) and every supported link type is turned into Ethernet, which is what the
 * engine and the DPDK ports carry.
 */
#ifndef NATGW_PCAP_H
#define NATGW_PCAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "natgw_nat.h"
#include "natgw_scale.h"
#include "natgw_synth.h"
#include "natgw_worker.h"

/* Frames the replay sets aside before the NAT, X(name): they would not have
 * reached a NAT gateway, or cannot be replayed faithfully. */
#define NATGW_SKIP_REASONS(X) \
	X(intra_vpc)         /* inside to inside: routed by the VPC, not the NAT */ \
	X(not_via_nat)       /* neither end inside */ \
	X(capture_truncated) /* cut by the capture's snap length */ \
	X(frame_too_large)   /* over 65407 bytes, more than one buffer holds */

/** Skip reasons, NATGW_SKIP_<name>. */
enum natgw_skip {
#define NATGW_SKIP_ENUM(n) NATGW_SKIP_##n,
	NATGW_SKIP_REASONS(NATGW_SKIP_ENUM)
#undef NATGW_SKIP_ENUM
	NATGW_SKIP_MAX
};

/** @return the skip reason's name. */
const char *natgw_skip_name(enum natgw_skip s);

struct natgw_pcap_reader;

/**
 * Open a capture for reading.
 * @return the reader, or NULL with a one-line reason in @p err (unreadable,
 *   not a capture, unsupported link type).
 */
struct natgw_pcap_reader *natgw_pcap_open(const char *path, char *err, size_t errlen);

/**
 * Read the next frame as Ethernet into @p buf (@p cap bytes).
 * @param ts_ns the frame's timestamp, ns
 * @param len the frame's length in @p buf
 * @param wire_len its length on the wire (converted to Ethernet)
 * @return 1 for a frame, 0 at the end, -1 on a read error with @p err filled.
 *   A frame larger than @p cap is returned with *len = 0 and *wire_len set.
 */
int natgw_pcap_next(struct natgw_pcap_reader *r, uint8_t *buf, uint32_t cap,
		uint64_t *ts_ns, uint32_t *len, uint32_t *wire_len, char *err, size_t errlen);

/** @return the capture's link type name, e.g. "EN10MB". */
const char *natgw_pcap_linktype(const struct natgw_pcap_reader *r);

/** @return how far into the file the reader is, in bytes. */
uint64_t natgw_pcap_offset(const struct natgw_pcap_reader *r);

/** Close a reader. */
void natgw_pcap_close(struct natgw_pcap_reader *r);

struct natgw_pcap_writer;

/** Create an Ethernet, nanosecond pcap file. NULL with @p err on failure. */
struct natgw_pcap_writer *natgw_pcap_writer_open(const char *path, char *err, size_t errlen);
/** Append a frame. */
void natgw_pcap_write(struct natgw_pcap_writer *w, const uint8_t *frame, uint32_t len,
		uint64_t ts_ns);
/** Flush and close; @return 0, or -1 with @p err filled (disk full...). */
int natgw_pcap_writer_close(struct natgw_pcap_writer *w, char *err, size_t errlen);

/** Most gateways one replay runs side by side. */
#define NATGW_REPLAY_MAX_GW 16

/** What a replay needs. */
struct natgw_replay_conf {
	const char *capture;            /**< input file; NULL with @p synth */
	/**
	 * Instead of a capture, a synthetic workload (drivers/synth) in a closed
	 * loop: its hosts' frames enter the inside, its destinations' the
	 * outside, its intra-VPC frames go to the classifier only, and what the
	 * NAT sends is delivered back to it. Nothing is re-addressed: the
	 * responder answers the public endpoint it saw.
	 */
	struct natgw_synth *synth;
	const char *outside_path;       /**< where to write what left for the internet */
	const char *inside_path;        /**< where to write what went back inside */
	struct natgw_nat_conf nat;      /**< the engine's configuration */
	/** Recompute every frame's checksums before it enters the NAT (a
	 * capture taken before the NIC's checksum offload filled them). */
	bool fix_checksums;
	/** Called about every 64k frames with the bytes read so far and the
	 * file's size, for progress; may be NULL. */
	void (*progress)(void *arg, uint64_t frames, uint64_t done, uint64_t total);
	void *progress_arg;
	/** Classify destinations (lib/dstclass): names from DNS answers, the
	 * intra-VPC ones included, and ClientHellos; prefixes from @p ranges. */
	bool classify;
	/** Replay this many times faster than captured (virtual time from the
	 * first frame divided by it); 0 or 1: as captured. With @p synth the
	 * NAT sees the scenario's time so divided, while the scenario runs at
	 * its own pace (its RTTs, timers and rates), as a capture's would. */
	double speedup;
	const struct natgw_dst_ranges *ranges; /**< may be NULL: names only */
	/**
	 * Several gateways side by side (0: one, @p nat itself). Gateway g owns
	 * the inside networks and public addresses of gw[g] (the rest of gw[g]
	 * as @p nat); @p nat's inside networks must hold them all: a frame
	 * goes to the gateway of its inside host.
	 */
	unsigned int n_gw;
	struct natgw_nat_conf gw[NATGW_REPLAY_MAX_GW];
	/** Refuse the new inside sessions this egress policy denies; NULL: none. */
	const struct natgw_policy *enforce;
	/** The elastic ceiling each gateway enforces (lib/scale); NULL: none. */
	const struct natgw_scale_conf *scale;
};

/** What a replay did. */
struct natgw_replay_result {
	unsigned int n_gw;           /**< gateways: at least 1 */
	/** Each gateway's worker (free with natgw_replay_result_free()), its
	 * engine, finished (stats and flow log), and its ceiling (NULL: none). */
	struct natgw_worker *workers[NATGW_REPLAY_MAX_GW];
	struct natgw_nat *nats[NATGW_REPLAY_MAX_GW];
	struct natgw_scale *scales[NATGW_REPLAY_MAX_GW];
	/** With several gateways and a ceiling: one gateway in their place,
	 * fed all their traffic and dropping what its budget would not hold
	 * (bytes and packets as a fluid, not packet by packet), for the
	 * comparison of one gateway against N. NULL otherwise. */
	struct natgw_scale *one;
	char linktype[32];           /**< the capture's link type */
	uint64_t frames;             /**< frames read */
	uint64_t first_ns, last_ns;  /**< time span of the capture */
	uint64_t to_side[NATGW_SIDES]; /**< frames given to each side */
	uint64_t readdressed;        /**< inbound frames re-addressed to a mapping */
	uint64_t unmapped;           /**< inbound frames with no mapping */
	uint64_t checksums_fixed;    /**< frames whose checksums fix_checksums changed */
	uint64_t skip[NATGW_SKIP_MAX]; /**< frames set aside, per reason */
	uint64_t out_frames[NATGW_SIDES]; /**< frames written, per side */
};

/**
 * Run a replay. On success the output files are complete; on failure they are
 * removed and @p err says why in one line.
 * @return 0 or -1.
 */
int natgw_replay_run(const struct natgw_replay_conf *c, struct natgw_replay_result *res,
		char *err, size_t errlen);

/** Free what a replay's result holds (its workers and ceilings). */
void natgw_replay_result_free(struct natgw_replay_result *res);

#endif /* NATGW_PCAP_H */
