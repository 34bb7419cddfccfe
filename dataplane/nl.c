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
#include <time.h>

#include "nl.h"

#define NL_RXBUF 32768

struct dmm_nl {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
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

/* An ACK (error 0) ends the request; an error keeps the extended ACK text. */
static int cb_error(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		mnl_attr_for_each(attr, nlh, off)
		{
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				set_err(t->nl, "%s", mnl_attr_get_str(attr));
		}
	}
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
