/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Netlink requests and dumps (libmnl), shared by the data plane backends
 * and dmmd: one socket per struct dmm_nl, its own sequence numbers, the
 * kernel's extended ACK text of the last failure.
 *
 * Not for the event sockets that only listen to multicast groups: they
 * read with mnl_cb_run() themselves.
 */
#ifndef DMM_DP_NL_H
#define DMM_DP_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#define DMM_NL_ERRLEN 256

struct dmm_nl;

/*
 * Open a netlink socket on bus (NETLINK_ROUTE, NETLINK_GENERIC,
 * NETLINK_NETFILTER ...), bound to an automatic port id, with extended
 * ACKs (the kernel's reason for a refusal) and capped ACKs (an error
 * does not echo the request). NULL on error, errno set. Free with
 * dmm_nl_close().
 */
struct dmm_nl *dmm_nl_open(int bus);

/* Close the socket and free nl; accepts NULL. */
void dmm_nl_close(struct dmm_nl *nl);

/*
 * Send nlh (built by the caller, borrowed) and run cb(msg, data) on every
 * reply that is not a control message, until the ACK or, for a dump, the
 * NLMSG_DONE. NLM_F_REQUEST and a fresh sequence number are set; NLM_F_ACK
 * too unless nlh is a dump. cb may be NULL, and may make requests on
 * another struct dmm_nl (not on nl). Returns 0, or -errno: the kernel's
 * error, a socket error, or the errno of a cb returning MNL_CB_ERROR
 * (-EIO without one). On failure dmm_nl_error() holds the kernel's
 * extended ACK text or a description of the socket error ("" if neither).
 */
int dmm_nl_talk(struct dmm_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* A request that returns no data: dmm_nl_talk() without a callback. */
int dmm_nl_request(struct dmm_nl *nl, struct nlmsghdr *nlh);

/* A dump: sets NLM_F_DUMP on nlh, then dmm_nl_talk() with cb per message. */
int dmm_nl_dump(struct dmm_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* The error text of the last failed dmm_nl_talk() on nl; valid until the next call. */
const char *dmm_nl_error(const struct dmm_nl *nl);

/* Start a message in buf (MNL_SOCKET_BUFFER_SIZE bytes) of that type and flags. */
struct nlmsghdr *dmm_nl_msg(char *buf, uint16_t type, uint16_t flags);

/* Bring interface ifindex up (RTM_NEWLINK, IFF_UP). 0 or -errno. */
int dmm_nl_link_up(struct dmm_nl *nl, int ifindex);

/*
 * Messages kept to be sent later, back to back (a dump's objects to
 * delete once the dump is over: a socket answers one request at a time).
 */
struct dmm_nl_list {
	char *buf;
	size_t len, cap;
	unsigned count;
};

/* Append a copy of nlh. MNL_CB_OK, or MNL_CB_ERROR (errno ENOMEM): a dump callback's answer. */
int dmm_nl_list_add(struct dmm_nl_list *l, const struct nlmsghdr *nlh);

/*
 * Send every message of l as a request of the given type (flags cleared),
 * one at a time; messages are changed in place. Returns how many the
 * kernel acknowledged.
 */
unsigned dmm_nl_list_send(struct dmm_nl *nl, struct dmm_nl_list *l, uint16_t type);

/* Forget the messages, keep the memory. */
void dmm_nl_list_clear(struct dmm_nl_list *l);

/* Free the memory of l (not l itself). */
void dmm_nl_list_free(struct dmm_nl_list *l);

/*
 * A batch of requests, each with a tag of the caller's (e.g. an intent
 * id), sent back to back in as few sendmsg calls as the socket takes
 * (up to DMM_NL_BATCH_BYTES each), every one with NLM_F_ACK and its own
 * sequence number, so each answer finds its request. The kernel handles
 * every message of a send in turn, a refused one does not stop the
 * next, and each gets its acknowledgement.
 */
#define DMM_NL_BATCH_BYTES (128 * 1024)

struct dmm_nl_bent {
	uint32_t tag;
	int err;    /* after dmm_nl_batch_send(): 0 or the kernel's -errno */
	size_t off; /* of the message in the batch's list */
};

struct dmm_nl_batch {
	struct dmm_nl_list msgs;
	struct dmm_nl_bent *ent;
	unsigned n, cap;
};

/* Append a copy of nlh tagged tag. 0 or -ENOMEM. */
int dmm_nl_batch_add(struct dmm_nl_batch *b, const struct nlmsghdr *nlh, uint32_t tag);

/*
 * Send every message of b (NLM_F_REQUEST and NLM_F_ACK set, fresh
 * sequence numbers) and wait for all their acknowledgements: ent[i].err
 * is then 0 or the kernel's -errno for message i (-ENOBUFS if its answer
 * was lost). Returns 0, or -errno when the socket failed (the entries
 * not sent then hold that error). dmm_nl_error() holds the text of the
 * last refusal.
 */
int dmm_nl_batch_send(struct dmm_nl *nl, struct dmm_nl_batch *b);

/*
 * The kernel refuses a request with ENOMEM when an atomic allocation finds
 * nothing ready (a seg6 route's per-CPU dst cache under a burst); its
 * worker refills soon after. A backend makes such a request again after
 * each dmm_nl_nomem_pause(): it sleeps the next pause, doubling from 1 ms,
 * out of the batch's budget (*budget_us, DMM_NL_NOMEM_BUDGET_US at the
 * batch's start); *pause_us starts at 0. False, without sleeping, when the
 * next pause no longer fits.
 */
#define DMM_NL_NOMEM_BUDGET_US 250000u
bool dmm_nl_nomem_pause(unsigned *pause_us, unsigned *budget_us);

/* Message i of b (valid until the next add). */
struct nlmsghdr *dmm_nl_batch_msg(const struct dmm_nl_batch *b, unsigned i);

/* Forget the messages, keep the memory. */
void dmm_nl_batch_clear(struct dmm_nl_batch *b);

/* Free the memory of b (not b itself). */
void dmm_nl_batch_free(struct dmm_nl_batch *b);

#endif
