/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nftables set elements as nfnetlink messages (nftmsg.h).
 *
 * Why not libnftables for these: every command it runs first fills its
 * cache (generation, tables, chains, sets, objects: six netlink round
 * trips) and parses text, about 80 µs per element change, the larger part
 * of installing an intent. Here an element change is one message of a
 * transaction, and reading one counter is one GETSETELEM for its key
 * (a hash lookup in the kernel), where a dump of the set would walk the
 * hash again from the start for every message of the dump (O(n^2)).
 *
 * A change must come from the socket that owns the table ("flags owner",
 * nft.c): the libnftables context's own socket, found among the process's
 * descriptors when the context is made (kdp_nffds_*) and checked with
 * kdp_nfmsg_owner_probe(). The context's socket is idle between its
 * commands; the answers to what is sent here are read here.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "nftmsg.h"

#define RX_BYTES 32768

void kdp_nffds_scan(struct kdp_nffds *s)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	s->n = 0;
	if (!d)
		return;
	while ((e = readdir(d)) && s->n < KDP_NFFDS_MAX) {
		int fd = atoi(e->d_name), dom = 0, proto = 0;
		socklen_t l = sizeof(dom);

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) < 0 || dom != AF_NETLINK)
			continue;
		l = sizeof(proto);
		if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) == 0 && proto == NETLINK_NETFILTER)
			s->fd[s->n++] = fd;
	}
	closedir(d);
}

int kdp_nffds_new(const struct kdp_nffds *before, const struct kdp_nffds *after)
{
	int found = -1;

	for (unsigned i = 0; i < after->n; i++) {
		bool old = false;

		for (unsigned j = 0; j < before->n && !old; j++)
			old = before->fd[j] == after->fd[i];
		if (old)
			continue;
		if (found >= 0)
			return -1;
		found = after->fd[i];
	}
	return found;
}

static struct nlmsghdr *nf_msg(char *buf, uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id)
{
	struct nlmsghdr *nlh = dmm_nl_msg(buf, type, flags);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(res_id);
	return nlh;
}

struct nlmsghdr *kdp_nfmsg_elem(char *buf, uint8_t cmd, const char *table, const char *set,
				const uint8_t *key, unsigned klen, uint32_t id)
{
	/* "add element" (not "create"): NLM_F_CREATE without NLM_F_EXCL, as nft sends it. */
	struct nlmsghdr *nlh = nf_msg(buf, (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | cmd),
				      cmd == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, NFPROTO_INET, 0);
	struct nlattr *list, *el, *k;

	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, klen, key);
	mnl_attr_nest_end(nlh, k);
	if (cmd == NFT_MSG_NEWSETELEM) {
		/* nft's comment: TLV type 0 (NFTNL_UDATA_SET_ELEM_COMMENT), the text with its NUL. */
		uint8_t ud[2 + 24];
		int w = snprintf((char *)ud + 2, sizeof(ud) - 2, "dmm %u", id);

		ud[0] = 0;
		ud[1] = (uint8_t)(w + 1);
		mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, (size_t)w + 3, ud);
	}
	mnl_attr_nest_end(nlh, el);
	mnl_attr_nest_end(nlh, list);
	return nlh;
}

/* A batch begin or end message into buf (NFNL_MSG_BATCH_*, for the nftables subsystem). */
static struct nlmsghdr *batch_ctl(char *buf, uint16_t type, uint32_t seq)
{
	struct nlmsghdr *nlh = nf_msg(buf, type, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);

	nlh->nlmsg_seq = seq;
	return nlh;
}

/*
 * The answers to a transaction of sequence numbers seq0 (begin) .. seq0 +
 * count + 1 (end): the kernel handles the whole send before sendmsg
 * returns, and answers only refusals (no NLM_F_ACK), so what is queued
 * now is all. True if anything was refused.
 */
static bool batch_answers(int fd, struct dmm_nl_batch *b, unsigned first, unsigned count, uint32_t seq0)
{
	static char rx[RX_BYTES];
	bool refused = false;

	for (;;) {
		ssize_t n = recv(fd, rx, sizeof(rx), MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)rx;
		int len = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) { /* answers lost: there were refusals */
			refused = true;
			continue;
		}
		if (n <= 0)
			return refused;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			uint32_t k = nlh->nlmsg_seq - seq0;

			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)) ||
			    k > count + 1 || !e->error)
				continue;
			refused = true;
			if (k >= 1 && k <= count)
				b->ent[first + k - 1].err = e->error;
		}
	}
}

int kdp_nfmsg_batch(int fd, struct dmm_nl_batch *b, unsigned first, unsigned count)
{
	static uint32_t seq;
	char hb[64], he[64];
	size_t off = b->ent[first].off, end = first + count < b->n ? b->ent[first + count].off : b->msgs.len;
	struct nlmsghdr *begin, *fin;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct iovec iov[3];
	struct msghdr mh = {.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = iov, .msg_iovlen = 3};
	uint32_t seq0;

	if (!seq)
		seq = (uint32_t)time(NULL) | 0x80000000u; /* apart from the numbers libnftables uses */
	seq0 = ++seq;
	begin = batch_ctl(hb, NFNL_MSG_BATCH_BEGIN, seq0);
	for (unsigned i = first; i < first + count; i++) {
		struct nlmsghdr *nlh = dmm_nl_batch_msg(b, i);

		nlh->nlmsg_flags |= NLM_F_REQUEST;
		nlh->nlmsg_seq = ++seq;
		b->ent[i].err = 0;
	}
	fin = batch_ctl(he, NFNL_MSG_BATCH_END, ++seq);
	iov[0] = (struct iovec){begin, begin->nlmsg_len};
	iov[1] = (struct iovec){b->msgs.buf + off, end - off};
	iov[2] = (struct iovec){fin, fin->nlmsg_len};
	if (sendmsg(fd, &mh, 0) < 0) {
		int ret = -errno;

		for (unsigned i = first; i < first + count; i++)
			b->ent[i].err = ret;
		return ret;
	}
	return batch_answers(fd, b, first, count, seq0) ? 1 : 0;
}

int kdp_nfmsg_owner_probe(int fd, const char *table)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh =
		nf_msg(buf, NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE, NLM_F_CREATE, NFPROTO_INET, 0);
	struct dmm_nl_batch b = {0};
	int ret;

	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, table);
	mnl_attr_put_u32(nlh, NFTA_TABLE_FLAGS, htonl(NFT_TABLE_F_OWNER));
	if (dmm_nl_batch_add(&b, nlh, 0) < 0)
		return -ENOMEM;
	ret = kdp_nfmsg_batch(fd, &b, 0, 1);
	if (ret == 1)
		ret = b.ent[0].err ? b.ent[0].err : -EIO;
	dmm_nl_batch_free(&b);
	return ret;
}

bool kdp_nfmsg_counter(const struct nlattr *expr, uint64_t *packets, uint64_t *bytes)
{
	const struct nlattr *a, *d = NULL;
	bool is_counter = false;

	mnl_attr_for_each_nested(a, expr)
	{
		if (mnl_attr_get_type(a) == NFTA_EXPR_NAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			is_counter = strcmp(mnl_attr_get_str(a), "counter") == 0;
		else if (mnl_attr_get_type(a) == NFTA_EXPR_DATA)
			d = a;
	}
	if (!is_counter || !d)
		return false;
	mnl_attr_for_each_nested(a, d)
	{
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			continue;
		if (mnl_attr_get_type(a) == NFTA_COUNTER_PACKETS)
			*packets = be64toh(mnl_attr_get_u64(a));
		else if (mnl_attr_get_type(a) == NFTA_COUNTER_BYTES)
			*bytes = be64toh(mnl_attr_get_u64(a));
	}
	return true;
}

bool kdp_nfmsg_comment(const struct nlattr *ud, uint32_t *id)
{
	const uint8_t *p = mnl_attr_get_payload(ud);
	size_t len = mnl_attr_get_payload_len(ud);

	for (size_t i = 0; i + 2 <= len && i + 2 + p[i + 1] <= len; i += 2 + p[i + 1]) {
		char txt[24];
		size_t l = p[i + 1] < sizeof(txt) - 1 ? p[i + 1] : sizeof(txt) - 1;
		char *e;

		if (p[i] != 0)
			continue;
		memcpy(txt, p + i + 2, l);
		txt[l] = '\0';
		if (strncmp(txt, "dmm ", 4) != 0)
			return false;
		*id = (uint32_t)strtoul(txt + 4, &e, 10);
		return *e == '\0' && e != txt + 4;
	}
	return false;
}

struct got {
	bool counted;
	uint64_t packets, bytes;
};

/* The answer to a GETSETELEM: one element, whose expressions hold its counter. */
static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct got *g = data;
	const struct nlattr *a, *el, *x, *y;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a)
		{
			mnl_attr_for_each_nested(x, el)
			{
				if (mnl_attr_get_type(x) == NFTA_SET_ELEM_EXPR)
					g->counted |= kdp_nfmsg_counter(x, &g->packets, &g->bytes);
				else if (mnl_attr_get_type(x) == NFTA_SET_ELEM_EXPRESSIONS)
					mnl_attr_for_each_nested(y, x) g->counted |=
						kdp_nfmsg_counter(y, &g->packets, &g->bytes);
			}
		}
	}
	return MNL_CB_OK;
}

int kdp_nfmsg_get(struct dmm_nl *nl, const char *table, const char *set, const uint8_t *key, unsigned klen,
		  uint64_t *packets, uint64_t *bytes)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct got g = {0};
	int ret = dmm_nl_talk(nl, kdp_nfmsg_elem(buf, NFT_MSG_GETSETELEM, table, set, key, klen, 0), get_cb,
			      &g);

	if (ret == 0 && !g.counted)
		ret = -ENODATA;
	*packets = g.packets;
	*bytes = g.bytes;
	return ret;
}
