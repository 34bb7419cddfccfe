/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Resolving a host's addresses before a buffer's release (neigh.h). */
#include <errno.h>
#include <linux/neighbour.h>
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

unsigned dmm_neigh_resolve(struct dmm_nl *nl, int ifindex, const uint8_t (*dst)[16], unsigned n,
			   unsigned max_us)
{
	struct timespec pause = {0, POLL_US * 1000};
	unsigned ok = 0, waited = 0;
	uint32_t done = 0; /* bit k: dst[k] valid */

	if (n > 32)
		n = 32;
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
