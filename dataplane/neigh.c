/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Resolving a host's addresses before a buffer's release (neigh.h). */
#include <errno.h>
#include <linux/neighbour.h>
#include <stdlib.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "neigh.h"
#include "nl.h"

#define NUD_OK (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP)
#define POLL_US 50

static int state_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWNEIGH)
		*(unsigned *)data = nd->ndm_state;
	return MNL_CB_OK;
}

/* The state of dst on ifindex (0: no entry); start_it: start a resolution if not valid. */
static unsigned state_of(struct dmm_nl *nl, int ifindex, const uint8_t *dst, bool start_it)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = dmm_nl_msg(buf, RTM_GETNEIGH, 0);
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	unsigned st = 0;

	nd->ndm_family = AF_INET6;
	nd->ndm_ifindex = ifindex;
	mnl_attr_put(nlh, NDA_DST, 16, dst);
	if (dmm_nl_talk(nl, nlh, state_cb, &st) < 0)
		st = 0;
	if ((st & NUD_OK) || !start_it || (st & NUD_INCOMPLETE))
		return st;
	nlh = dmm_nl_msg(buf, RTM_NEWNEIGH, NLM_F_CREATE);
	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = AF_INET6;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = NUD_NONE;
	nd->ndm_flags = NTF_USE; /* neigh_event_send(): the solicitation a packet would cause */
	mnl_attr_put(nlh, NDA_DST, 16, dst);
	dmm_nl_request(nl, nlh);
	return st;
}

struct dmm_neigh_host {
	struct dmm_neigh_host *next;
	int ifindex;
	uint8_t len, lladdr[8];
};

static struct dmm_neigh_host **host_slot(const struct dmm_neigh_hosts *h, int ifindex)
{
	struct dmm_neigh_host **p = &h->bucket[((uint32_t)ifindex * 0x9e3779b1u) & (h->nbucket - 1)];

	while (*p && (*p)->ifindex != ifindex)
		p = &(*p)->next;
	return p;
}

/* Twice the buckets when hosts outnumber them: O(1) per host, amortized. */
static int grow(struct dmm_neigh_hosts *h)
{
	uint32_t nb = h->nbucket ? h->nbucket * 2 : 16;
	struct dmm_neigh_hosts g = {calloc(nb, sizeof(*g.bucket)), nb, h->n};

	if (!g.bucket)
		return -ENOMEM;
	for (uint32_t b = 0; b < h->nbucket; b++)
		for (struct dmm_neigh_host *e = h->bucket[b], *next; e; e = next) {
			next = e->next;
			e->next = NULL;
			*host_slot(&g, e->ifindex) = e;
		}
	free(h->bucket);
	*h = g;
	return 0;
}

int dmm_neigh_host_set(struct dmm_neigh_hosts *h, int ifindex, const uint8_t *lladdr, unsigned len)
{
	struct dmm_neigh_host **p, *e;

	if (len > sizeof(e->lladdr))
		return -EINVAL;
	if (!h->nbucket && (!len || grow(h) < 0))
		return len ? -ENOMEM : 0;
	p = host_slot(h, ifindex);
	if (!len) {
		if ((e = *p) != NULL) {
			*p = e->next;
			free(e);
			h->n--;
		}
		return 0;
	}
	if (!*p) {
		if (h->n >= h->nbucket && grow(h) == 0)
			p = host_slot(h, ifindex);
		if (!(*p = calloc(1, sizeof(**p))))
			return -ENOMEM;
		(*p)->ifindex = ifindex;
		h->n++;
	}
	(*p)->len = (uint8_t)len;
	memcpy((*p)->lladdr, lladdr, len);
	return 0;
}

const uint8_t *dmm_neigh_host_of(const struct dmm_neigh_hosts *h, int ifindex, unsigned *len)
{
	const struct dmm_neigh_host *e = h->nbucket ? *host_slot(h, ifindex) : NULL;

	*len = e ? e->len : 0;
	return e ? e->lladdr : NULL;
}

void dmm_neigh_hosts_free(struct dmm_neigh_hosts *h)
{
	for (uint32_t b = 0; b < h->nbucket; b++)
		for (struct dmm_neigh_host *e = h->bucket[b], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(h->bucket);
	*h = (struct dmm_neigh_hosts){0};
}

/* dst on ifindex STALE at the host's link-layer address (replacing an INCOMPLETE entry, whose queue goes). */
static bool set_stale(struct dmm_nl *nl, int ifindex, const uint8_t *dst, const struct dmm_neigh_host *host)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = dmm_nl_msg(buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));

	nd->ndm_family = AF_INET6;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = NUD_STALE;
	mnl_attr_put(nlh, NDA_DST, 16, dst);
	mnl_attr_put(nlh, NDA_LLADDR, host->len, host->lladdr);
	return dmm_nl_request(nl, nlh) == 0;
}

unsigned dmm_neigh_resolve(struct dmm_nl *nl, const struct dmm_neigh_hosts *hosts, int ifindex,
			   const uint8_t (*dst)[16], unsigned n, unsigned max_us)
{
	const struct dmm_neigh_host *host = hosts && hosts->nbucket ? *host_slot(hosts, ifindex) : NULL;
	struct timespec pause = {0, POLL_US * 1000};
	unsigned ok = 0, waited = 0;
	uint32_t done = 0; /* bit k: dst[k] valid */

	if (n > 32)
		n = 32;
	if (host) {
		for (unsigned k = 0; k < n; k++)
			ok += (state_of(nl, ifindex, dst[k], false) & NUD_OK) ||
			      set_stale(nl, ifindex, dst[k], host);
		return ok;
	}
	for (;;) {
		for (unsigned k = 0; k < n; k++)
			if (!(done & (1u << k)) && (state_of(nl, ifindex, dst[k], waited == 0) & NUD_OK)) {
				done |= 1u << k;
				ok++;
			}
		if (ok == n || waited >= max_us)
			return ok;
		nanosleep(&pause, NULL);
		waited += POLL_US;
	}
}

unsigned dmm_neigh_dst_add(uint8_t (*dst)[16], unsigned n, const uint8_t *pkt)
{
	const uint8_t *d = pkt + 24; /* the IPv6 destination */

	for (unsigned k = 0; k < n; k++)
		if (memcmp(dst[k], d, 16) == 0)
			return n;
	memcpy(dst[n], d, 16);
	return n + 1;
}
