/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Netlink requests and dumps (nl.h). One receive buffer per socket,
 * large enough for a dump part of any rtnetlink, generic netlink or
 * nfnetlink family we read (the kernel sizes dump parts by it).
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <time.h>

#include "nl.h"

#define NL_RXBUF 32768
/*
 * The socket's receive buffer: the acknowledgements of a whole batch
 * send wait there until it is read (each is an skb of its own, about a
 * kilobyte of the buffer), so it must hold a send's worth of them.
 */
#define NL_SO_RCVBUF (4 << 20)
/* Messages per send at most, and per 2 KiB of the receive buffer the socket got. */
#define NL_BATCH_MSGS 1024
#define NL_BATCH_MIN 16

struct dmm_nl {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
	unsigned batch_msgs; /* messages per batch send: their acknowledgements fit the receive buffer */
	char err[DMM_NL_ERRLEN];
	char rx[NL_RXBUF];
};

__attribute__((format(printf, 2, 3))) static void set_err(struct dmm_nl *nl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(nl->err, sizeof(nl->err), fmt, ap);
	va_end(ap);
}

/*
 * Room for a batch's acknowledgements: beyond rmem_max with CAP_NET_ADMIN,
 * else up to it; a batch send then carries as many messages as the
 * buffer the socket got holds answers for.
 */
static void set_rcvbuf(struct dmm_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sk), sz = NL_SO_RCVBUF;
	socklen_t len = sizeof(sz);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, &len) < 0)
		sz = 0;
	nl->batch_msgs = (unsigned)sz / 2048;
	if (nl->batch_msgs > NL_BATCH_MSGS)
		nl->batch_msgs = NL_BATCH_MSGS;
	if (nl->batch_msgs < NL_BATCH_MIN)
		nl->batch_msgs = NL_BATCH_MIN;
}

struct dmm_nl *dmm_nl_open(int bus)
{
	struct dmm_nl *nl = calloc(1, sizeof(*nl));
	int one = 1, e;

	if (!nl)
		return NULL;
	nl->sk = mnl_socket_open(bus);
	if (!nl->sk)
		goto err;
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err_close;
	/* Extended ACKs carry the kernel's reason; capped ACKs do not echo the request. */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	set_rcvbuf(nl);
	nl->portid = mnl_socket_get_portid(nl->sk);
	/* Replies to an earlier process that had the same port id never match. */
	nl->seq = (uint32_t)time(NULL);
	return nl;
err_close:
	e = errno;
	mnl_socket_close(nl->sk);
	errno = e;
err:
	e = errno;
	free(nl);
	errno = e;
	return NULL;
}

void dmm_nl_close(struct dmm_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sk);
	free(nl);
}

const char *dmm_nl_error(const struct dmm_nl *nl)
{
	return nl->err;
}

struct talk {
	struct dmm_nl *nl;
	mnl_cb_t cb;
	void *data;
};

static int cb_noop(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int cb_done(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

/* The extended ACK text of the error nlh (a valid NLMSG_ERROR) into nl->err, if it has one. */
static void keep_ext_ack(struct dmm_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_for_each(attr, nlh, off)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			set_err(nl, "%s", mnl_attr_get_str(attr));
	}
}

/* An ACK (error 0) ends the request; an error keeps the extended ACK text. */
static int cb_error(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	keep_ext_ack(t->nl, nlh);
	errno = -e->error;
	return MNL_CB_ERROR;
}

static int cb_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

int dmm_nl_talk(struct dmm_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = cb_noop,
		[NLMSG_ERROR] = cb_error,
		[NLMSG_DONE] = cb_done,
		[NLMSG_OVERRUN] = cb_noop,
	};
	struct talk t = {nl, cb, data};
	uint32_t seq;
	ssize_t n;
	int ret;

	nl->err[0] = '\0';
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP) /* NLM_F_EXCL shares a bit with it */
		nlh->nlmsg_flags |= NLM_F_ACK;
	seq = nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		set_err(nl, "netlink send: %s", strerror(errno));
		return ret;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl->sk, nl->rx, sizeof(nl->rx));
		if (n < 0) {
			ret = -errno;
			set_err(nl, "netlink receive: %s", strerror(errno));
			return ret;
		}
		ret = mnl_cb_run2(nl->rx, (size_t)n, seq, nl->portid, cb_data, &t, ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_STOP)
			return 0;
		if (ret < 0)
			return errno ? -errno : -EIO;
	}
}

int dmm_nl_request(struct dmm_nl *nl, struct nlmsghdr *nlh)
{
	return dmm_nl_talk(nl, nlh, NULL, NULL);
}

int dmm_nl_dump(struct dmm_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nlh->nlmsg_flags |= NLM_F_DUMP;
	return dmm_nl_talk(nl, nlh, cb, data);
}

struct nlmsghdr *dmm_nl_msg(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

int dmm_nl_link_up(struct dmm_nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = dmm_nl_msg(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return dmm_nl_request(nl, nlh);
}

int dmm_nl_list_add(struct dmm_nl_list *l, const struct nlmsghdr *nlh)
{
	if (l->len + nlh->nlmsg_len > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16384;
		char *b;

		while (cap < l->len + nlh->nlmsg_len)
			cap *= 2;
		b = realloc(l->buf, cap);
		if (!b) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		l->buf = b;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, nlh, nlh->nlmsg_len);
	l->len += MNL_ALIGN(nlh->nlmsg_len);
	l->count++;
	return MNL_CB_OK;
}

unsigned dmm_nl_list_send(struct dmm_nl *nl, struct dmm_nl_list *l, uint16_t type)
{
	size_t off = 0;
	unsigned n = 0;

	while (off < l->len) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)(l->buf + off);

		off += MNL_ALIGN(nlh->nlmsg_len);
		nlh->nlmsg_type = type;
		nlh->nlmsg_flags = 0;
		if (dmm_nl_request(nl, nlh) == 0)
			n++;
	}
	return n;
}

void dmm_nl_list_clear(struct dmm_nl_list *l)
{
	l->len = 0;
	l->count = 0;
}

void dmm_nl_list_free(struct dmm_nl_list *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = l->cap = 0;
	l->count = 0;
}

int dmm_nl_batch_add(struct dmm_nl_batch *b, const struct nlmsghdr *nlh, uint32_t tag)
{
	if (b->n == b->cap) {
		unsigned cap = b->cap ? b->cap * 2 : 256;
		struct dmm_nl_bent *e = realloc(b->ent, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		b->ent = e;
		b->cap = cap;
	}
	b->ent[b->n].off = b->msgs.len;
	if (dmm_nl_list_add(&b->msgs, nlh) != MNL_CB_OK)
		return -ENOMEM;
	b->ent[b->n].tag = tag;
	b->ent[b->n].err = 0;
	b->n++;
	return 0;
}

struct nlmsghdr *dmm_nl_batch_msg(const struct dmm_nl_batch *b, unsigned i)
{
	return (struct nlmsghdr *)(b->msgs.buf + b->ent[i].off);
}

/* Where message i of b ends (aligned). */
static size_t msg_end(const struct dmm_nl_batch *b, unsigned i)
{
	return i + 1 < b->n ? b->ent[i + 1].off : b->msgs.len;
}

/*
 * The acknowledgements in one datagram of n bytes for the messages
 * first .. first+count-1 (sequence numbers seq0 ..): each sets its
 * entry's error. Returns how many it answered.
 */
static unsigned batch_acks(struct dmm_nl *nl, struct dmm_nl_batch *b, const char *buf, size_t n,
			   unsigned first, unsigned count, uint32_t seq0)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int len = (int)n;
	unsigned answered = 0;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
		uint32_t k = nlh->nlmsg_seq - seq0;

		if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != nl->portid || k >= count ||
		    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
			continue;
		b->ent[first + k].err = e->error;
		if (e->error)
			keep_ext_ack(nl, nlh);
		answered++;
	}
	return answered;
}

/*
 * Send messages first .. first+count-1 of b in one datagram and read
 * their acknowledgements. The kernel handles a netlink send before the
 * call returns, so every answer is queued by then: reading stops at the
 * first empty read, and an answer still missing was dropped (-ENOBUFS).
 */
static int batch_send_one(struct dmm_nl *nl, struct dmm_nl_batch *b, unsigned first, unsigned count)
{
	uint32_t seq0 = nl->seq + 1;
	size_t off = b->ent[first].off, end = msg_end(b, first + count - 1);
	unsigned answered = 0;

	for (unsigned i = first; i < first + count; i++) {
		struct nlmsghdr *nlh = dmm_nl_batch_msg(b, i);

		nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
		nlh->nlmsg_seq = ++nl->seq;
		b->ent[i].err = -ENOBUFS;
	}
	if (mnl_socket_sendto(nl->sk, b->msgs.buf + off, end - off) < 0) {
		int ret = -errno;

		set_err(nl, "netlink send: %s", strerror(errno));
		for (unsigned i = first; i < first + count; i++)
			b->ent[i].err = ret;
		return ret;
	}
	while (answered < count) {
		ssize_t n = recv(mnl_socket_get_fd(nl->sk), nl->rx, sizeof(nl->rx), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) /* answers were dropped: read the rest */
			continue;
		if (n <= 0)
			break;
		answered += batch_acks(nl, b, nl->rx, (size_t)n, first, count, seq0);
	}
	return 0;
}

int dmm_nl_batch_send(struct dmm_nl *nl, struct dmm_nl_batch *b)
{
	unsigned i = 0;
	int ret;

	nl->err[0] = '\0';
	while (i < b->n) {
		size_t start = b->ent[i].off;
		unsigned j = i + 1;

		/* As many messages as fit one send (the first always goes). */
		while (j < b->n && j - i < nl->batch_msgs && msg_end(b, j) - start <= DMM_NL_BATCH_BYTES)
			j++;
		ret = batch_send_one(nl, b, i, j - i);
		if (ret < 0) {
			for (unsigned k = j; k < b->n; k++)
				b->ent[k].err = ret;
			return ret;
		}
		i = j;
	}
	return 0;
}

void dmm_nl_batch_clear(struct dmm_nl_batch *b)
{
	dmm_nl_list_clear(&b->msgs);
	b->n = 0;
}

void dmm_nl_batch_free(struct dmm_nl_batch *b)
{
	dmm_nl_list_free(&b->msgs);
	free(b->ent);
	b->ent = NULL;
	b->n = b->cap = 0;
}

bool dmm_nl_nomem_pause(unsigned *pause_us, unsigned *budget_us)
{
	unsigned next = *pause_us ? *pause_us * 2 : 1000;

	if (next > *budget_us)
		return false;
	usleep(next);
	*budget_us -= next;
	*pause_us = next;
	return true;
}
