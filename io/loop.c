/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The epoll loop of dmmd: file descriptors plus one timerfd for the
 * role's next deadline.
 *
 * Watches live in one array that doubles when full, with a free list of
 * slots, and an index from descriptor to slot: adding or removing a watch
 * and dispatching an event are O(1) whatever the number of descriptors
 * (an access link each on a MAG). An event carries its slot and the
 * slot's generation, so an event still pending for a watch that a
 * callback removed, whose slot a new watch then took, is dropped rather
 * than handed to the new one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "io.h"

#define LOOP_EVENTS 64 /* events per epoll_wait */
#define NO_SLOT UINT32_MAX

struct watch {
	int fd; /* -1: free, on the free list by next */
	uint32_t gen;
	uint32_t next;
	dmm_loop_fn fn;
	void *ctx;
};

struct dmm_loop {
	int ep, tfd;
	struct watch *w;
	uint32_t cap, free_head;
	uint32_t *slot_of; /* descriptor -> slot (NO_SLOT), nfd entries */
	uint32_t nfd;
	void (*tfn)(void *ctx);
	void *tctx;
};

static void on_timer(void *ctx, int fd, uint32_t ev)
{
	struct dmm_loop *l = ctx;
	uint64_t n;

	(void)ev;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	if (l->tfn)
		l->tfn(l->tctx);
}

/* Double the watch array; the new slots go on the free list. 0 or -ENOMEM. */
static int grow_watches(struct dmm_loop *l)
{
	uint32_t ncap = l->cap ? 2 * l->cap : 16;
	struct watch *nw = realloc(l->w, ncap * sizeof(*nw));

	if (!nw)
		return -ENOMEM;
	for (uint32_t i = l->cap; i < ncap; i++)
		nw[i] = (struct watch){.fd = -1, .next = i + 1 < ncap ? i + 1 : l->free_head};
	l->w = nw;
	l->free_head = l->cap;
	l->cap = ncap;
	return 0;
}

/* Make room in the descriptor index for fd. 0 or -ENOMEM. */
static int grow_index(struct dmm_loop *l, int fd)
{
	uint32_t n = l->nfd ? l->nfd : 64, *ns;

	while (n <= (uint32_t)fd)
		n *= 2;
	if (n == l->nfd)
		return 0;
	ns = realloc(l->slot_of, n * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (uint32_t i = l->nfd; i < n; i++)
		ns[i] = NO_SLOT;
	l->slot_of = ns;
	l->nfd = n;
	return 0;
}

struct dmm_loop *dmm_loop_new(void)
{
	struct dmm_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->free_head = NO_SLOT;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0)
		goto err_ep;
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->tfd < 0)
		goto err_tfd;
	if (dmm_loop_add(l, l->tfd, on_timer, l) < 0)
		goto err_add;
	return l;

err_add:
	close(l->tfd);
err_tfd:
	close(l->ep);
err_ep:
	free(l->w);
	free(l->slot_of);
	free(l);
	return NULL;
}

void dmm_loop_free(struct dmm_loop *l)
{
	if (!l)
		return;
	close(l->tfd);
	close(l->ep);
	free(l->w);
	free(l->slot_of);
	free(l);
}

int dmm_loop_add(struct dmm_loop *l, int fd, dmm_loop_fn fn, void *ctx)
{
	struct epoll_event ev = {.events = EPOLLIN};
	uint32_t i;
	int r;

	if (fd < 0)
		return -EBADF;
	if ((r = grow_index(l, fd)) < 0 || (l->free_head == NO_SLOT && (r = grow_watches(l)) < 0))
		return r;
	i = l->free_head;
	ev.data.u64 = (uint64_t)(l->w[i].gen + 1) << 32 | i;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->free_head = l->w[i].next;
	l->w[i] = (struct watch){.fd = fd, .gen = l->w[i].gen + 1, .next = NO_SLOT, .fn = fn, .ctx = ctx};
	l->slot_of[fd] = i;
	return 0;
}

void dmm_loop_del(struct dmm_loop *l, int fd)
{
	uint32_t i;

	if (fd < 0 || (uint32_t)fd >= l->nfd || (i = l->slot_of[fd]) == NO_SLOT)
		return;
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	l->slot_of[fd] = NO_SLOT;
	l->w[i].fd = -1;
	l->w[i].next = l->free_head;
	l->free_head = i;
}

void dmm_loop_set_deadline(struct dmm_loop *l, dmm_time_t deadline, void (*fn)(void *ctx), void *ctx)
{
	struct itimerspec its = {0};

	l->tfn = fn;
	l->tctx = ctx;
	if (deadline != DMM_TIME_NEVER) {
		/* An absolute time of 0 would disarm the timer: fire at the earliest instead. */
		if (deadline == 0)
			deadline = 1;
		its.it_value.tv_sec = (time_t)(deadline / DMM_SECOND);
		its.it_value.tv_nsec = (long)(deadline % DMM_SECOND);
	}
	timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int dmm_loop_run_once(struct dmm_loop *l, int timeout_ms)
{
	struct epoll_event ev[LOOP_EVENTS];
	int n = epoll_wait(l->ep, ev, LOOP_EVENTS, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int k = 0; k < n; k++) {
		uint32_t i = (uint32_t)ev[k].data.u64, gen = (uint32_t)(ev[k].data.u64 >> 32);
		struct watch w;

		/* A callback may have removed this watch, and another may have taken its slot. */
		if (i >= l->cap || l->w[i].fd < 0 || l->w[i].gen != gen)
			continue;
		w = l->w[i]; /* a callback may add watches: the array may move */
		w.fn(w.ctx, w.fd, ev[k].events);
	}
	return 0;
}
