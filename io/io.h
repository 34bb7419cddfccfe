/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dmmd's I/O layer: the epoll loop, the monotonic clock, and the
 * Mobility Header sockets. Everything here does system calls so that
 * core/ does not have to.
 */
#ifndef DMM_IO_H
#define DMM_IO_H

#include "dmm/types.h"

/* --- clock --- */

/* CLOCK_MONOTONIC in ns. */
dmm_time_t dmm_io_now(void);
/* CLOCK_REALTIME minus CLOCK_MONOTONIC, in ns: wall = now + offset. */
int64_t dmm_io_wall_offset(void);

/* --- event loop --- */

struct dmm_loop;
typedef void (*dmm_loop_fn)(void *ctx, int fd, uint32_t events);

/* A loop over epoll with one timer (timerfd). NULL on error (errno set). */
struct dmm_loop *dmm_loop_new(void);
void dmm_loop_free(struct dmm_loop *l);
/* Watch fd for EPOLLIN; fn runs when it is readable. 0 or -errno. */
int dmm_loop_add(struct dmm_loop *l, int fd, dmm_loop_fn fn, void *ctx);
void dmm_loop_del(struct dmm_loop *l, int fd);
/* Run fn at the monotonic deadline (DMM_TIME_NEVER: not at all); one deadline per loop. */
void dmm_loop_set_deadline(struct dmm_loop *l, dmm_time_t deadline, void (*fn)(void *ctx), void *ctx);
/* Wait for events and dispatch them, at most timeout_ms (-1: no limit). 0 or -errno. */
int dmm_loop_run_once(struct dmm_loop *l, int timeout_ms);

/* --- Mobility Header sockets --- */

enum dmm_mh_transport { DMM_MH_RAW_IP6, DMM_MH_UDP };

#define DMM_MHSOCK_PORTS 1024

struct dmm_mhsock {
	int fd;
	enum dmm_mh_transport transport;
	struct dmm_addr local;
	uint64_t rx_checksum_bad, rx_errors, tx_errors;
	/* UDP: the source port each peer last sent from (RFC 5844 §4: answers go there). */
	struct {
		struct dmm_addr addr;
		uint16_t port; /* 0: free */
	} ports[DMM_MHSOCK_PORTS];
};

/*
 * Open the MH socket bound to local: raw IPv6 protocol 135 (the checksum
 * is verified and filled here, not by the kernel, so bad ones can be
 * counted), or UDP port 5436 (RFC 5844 §4: checksum 0). 0 or -errno.
 */
int dmm_mhsock_open(struct dmm_mhsock *s, enum dmm_mh_transport t, const struct dmm_addr *local);
void dmm_mhsock_close(struct dmm_mhsock *s);

/* Send an encoded MH (checksum field 0) from local to dst. 0 or -errno. */
int dmm_mhsock_send(struct dmm_mhsock *s, const struct dmm_addr *dst, uint8_t *buf, size_t len);

/*
 * Receive one message: fills src, dst and returns its length; 0 when a
 * datagram was consumed but must be ignored (bad checksum: counted,
 * RFC 6275 §9.2 says drop silently); -EAGAIN when nothing is waiting.
 */
int dmm_mhsock_recv(struct dmm_mhsock *s, uint8_t *buf, size_t cap, struct dmm_addr *src,
		    struct dmm_addr *dst);

/* One message of a burst: buf and cap are the caller's; len, src and dst are filled. */
struct dmm_mh_rx {
	uint8_t *buf;
	size_t cap;
	int len; /* as dmm_mhsock_recv() returns it: 0 when the datagram must be ignored */
	struct dmm_addr src, dst;
};

#define DMM_MHSOCK_BURST 64

/*
 * Receive up to n (at most DMM_MHSOCK_BURST) waiting messages with one
 * recvmmsg: returns how many were taken (m[0 .. ret-1] filled, each
 * checked as by dmm_mhsock_recv()), or -errno (-EAGAIN: none waiting).
 */
int dmm_mhsock_recv_burst(struct dmm_mhsock *s, struct dmm_mh_rx *m, unsigned n);

#endif
