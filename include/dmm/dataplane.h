/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Data plane backends (FM-DP): they execute forwarding intents (fm.h)
 * and nothing else. One interface, several backends:
 *
 *   kernel  rtnetlink through libmnl: SRv6 encap.red routes with one
 *           segment (IPv6-in-IPv6 on the wire, RFC 2473), seg6local
 *           End.DT6 to decapsulate, source-prefix policy rules for the
 *           uplink; every object it installs carries its marker so it can
 *           list and remove exactly its own.
 *   user    a TUN device and a raw IPv6-in-IPv6 socket (protocol 41),
 *           batched with recvmmsg/sendmmsg; the same bytes on the wire.
 *   bpf     a TC program (clsact ingress) with the intents in BPF maps
 *           (longest-prefix-match tries), loaded with libbpf from the
 *           object built into the binary; the same bytes on the wire.
 *   emu     in memory, inside dmm-emu.
 *
 * Any mix of backends interoperates because all of them put plain
 * IPv6-in-IPv6 on the wire (ARCHITECTURE.md rule 2).
 */
#ifndef DMM_DATAPLANE_H
#define DMM_DATAPLANE_H

#include "dmm/fm.h"
#include "dmm/types.h"

#define DMM_DP_MAX_LINKS 64
#define DMM_DP_IFNAMSIZ 16

/*
 * An access link: the role's link id and the interface it names. With no
 * links configured (nlinks 0), a link id is the kernel interface index:
 * dmmd's access links appear and disappear at run time.
 */
struct dmm_dp_link {
	uint32_t id; /* the id used in intents (DMM_FM_SRC, DMM_FM_DELIVER) */
	char ifname[DMM_DP_IFNAMSIZ];
};

struct dmm_dp_cfg {
	struct dmm_addr local; /* this node's tunnel address (outer source, decapsulation address) */
	uint8_t nlinks;
	struct dmm_dp_link link[DMM_DP_MAX_LINKS];
	char tun_name[DMM_DP_IFNAMSIZ]; /* user backend: the TUN device to create ("dmm0" if empty) */
	uint32_t table_base;		/* kernel backend: first routing table id it may use (default 1000) */
	uint32_t rule_prio;		/* kernel backend: priority of its policy rules (default 1000) */
	uint8_t rt_proto;		/* kernel backend: rtm_protocol marking its routes (default 0xd3) */
	/*
	 * BUFFER intents (user and kernel backends): each holds at most
	 * buf_packets packets, buf_bytes bytes, none older than buf_time_ms;
	 * over a bound the oldest is dropped and counted. 0: the backend's default.
	 */
	uint32_t buf_packets, buf_bytes, buf_time_ms;
	/* The node installs no forwarding intents (a CMD): open() skips its check that the kernel can forward. */
	bool no_intents;
};

/* What BUFFER intents hold and dropped, over the backend's life (dmm_dp_ops.buf_stats). */
struct dmm_dp_buf_stats {
	uint64_t held_packets, held_bytes; /* held now */
	uint64_t held_peak;		   /* packets held at once, at most */
	uint64_t buffered;		   /* packets ever held */
	uint64_t released;		   /* packets sent on after their intent stopped buffering */
	uint64_t dropped_full;		   /* oldest dropped over the packet or byte bound (or the pool) */
	uint64_t dropped_age;		   /* dropped older than buf_time_ms */
	uint64_t unresolved; /* a released buffer's destinations not resolved on the link in time (neigh.h) */
	uint64_t
		ahead; /* released ahead of packets that arrived before them: from the BUFFER's peer (fm.h) */
	uint32_t limit_packets, limit_bytes, limit_ms; /* the bounds in force */
};

struct dmm_dp;

struct dmm_dp_ops {
	const char *name; /* "kernel", "user", "bpf" */
	unsigned fm_caps; /* DMM_FM_CAP_* (fm.h) of this backend */
	/* Set the backend up (and remove leftovers of an earlier run with the same markers). NULL on error, with errno set. */
	struct dmm_dp *(*open)(const struct dmm_dp_cfg *cfg, char *err, size_t errlen);
	/* Remove every route, rule and device it installed, then free; accepts NULL. */
	void (*close)(struct dmm_dp *dp);
	/* Execute an intent / stop executing it (the fm.h ops). 0 or -errno. */
	int (*install)(struct dmm_dp *dp, const struct dmm_intent *in);
	void (*remove)(struct dmm_dp *dp, const struct dmm_intent *in);
	/*
	 * Optional (NULL: remove then install): replace the forwarding of old
	 * by in, same id, in one step, so that no packet meets a missing route
	 * (netlink NLM_F_REPLACE; the user backend swaps its table slot). 0 or -errno.
	 */
	int (*replace)(struct dmm_dp *dp, const struct dmm_intent *old, const struct dmm_intent *in);
	/*
	 * Optional batching (both NULL: every install takes effect before it
	 * returns). Between begin and commit, install, replace and remove may
	 * only queue their changes; commit sends them (one system call per
	 * batch where the backend can) and collects the acknowledgements. For
	 * each queued install or replace the kernel refused, commit calls
	 * refused(ctx, id, -errno) before it returns. commit returns 0 or
	 * -errno for a failure of the batch as a whole.
	 */
	void (*begin)(struct dmm_dp *dp);
	int (*commit)(struct dmm_dp *dp, void (*refused)(void *ctx, uint32_t id, int err), void *ctx);
	/* Packet and byte counters of intent id; 0 or -errno (-ENOENT). */
	int (*counters)(struct dmm_dp *dp, uint32_t id, uint64_t *packets, uint64_t *bytes);
	/* A file descriptor to watch for input (user backend), or -1. */
	int (*fd)(struct dmm_dp *dp);
	/* Process what is ready on fd() without blocking; returns packets handled. */
	int (*poll)(struct dmm_dp *dp);
	/*
	 * Optional: the host on access link `link` (the intents' link id) has
	 * link-layer address lladdr (len octets; len 0: it left). A buffer
	 * released onto the link then sends at once to that address instead
	 * of soliciting it first (RFC 4861 §7.3.3). 0 or -errno.
	 */
	int (*host)(struct dmm_dp *dp, uint32_t link, const uint8_t *lladdr, unsigned len);
	/*
	 * Optional: access link `link` appeared, and the daemon is about to
	 * bring it up. A backend that hooks its links does it now, while the
	 * link is down: a qdisc added to a link that is up stops the link's
	 * transmit queue for a moment (the kernel's dev_deactivate), and what
	 * is sent to the link meanwhile is dropped. 0 or -errno.
	 */
	int (*access_link)(struct dmm_dp *dp, uint32_t link);
	/* Optional (NULL: no buffering): what BUFFER intents hold and dropped. 0 or -errno. */
	int (*buf_stats)(struct dmm_dp *dp, struct dmm_dp_buf_stats *st);
};

extern const struct dmm_dp_ops dmm_dp_kernel;
extern const struct dmm_dp_ops dmm_dp_user;
extern const struct dmm_dp_ops dmm_dp_bpf;

/* The backend of that name, or NULL. */
const struct dmm_dp_ops *dmm_dp_find(const char *name);

#endif
