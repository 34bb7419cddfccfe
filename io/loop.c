/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The epoll loop of dmmd: file descriptors plus one timerfd for the role's next deadline. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "io.h"

#define MAX_WATCH 256

struct watch {
	int fd;
	dmm_loop_fn fn;
	void *ctx;
};

struct dmm_loop {
	int ep, tfd;
	struct watch w[MAX_WATCH];
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

struct dmm_loop *dmm_loop_new(void)
{
	struct dmm_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	for (int i = 0; i < MAX_WATCH; i++)
		l->w[i].fd = -1;
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
	free(l);
	return NULL;
}

void dmm_loop_free(struct dmm_loop *l)
{
	if (!l)
		return;
	close(l->tfd);
	close(l->ep);
	free(l);
}

int dmm_loop_add(struct dmm_loop *l, int fd, dmm_loop_fn fn, void *ctx)
{
	struct epoll_event ev = {.events = EPOLLIN};

	for (int i = 0; i < MAX_WATCH; i++) {
		if (l->w[i].fd >= 0)
			continue;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
		l->w[i] = (struct watch){fd, fn, ctx};
		return 0;
	}
	return -ENOSPC;
}

void dmm_loop_del(struct dmm_loop *l, int fd)
{
	for (int i = 0; i < MAX_WATCH; i++) {
		if (l->w[i].fd != fd)
			continue;
		epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
		l->w[i].fd = -1;
	}
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
	struct epoll_event ev[32];
	int n = epoll_wait(l->ep, ev, 32, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct watch *w = &l->w[ev[i].data.u32];

		/* A callback may have removed this watch. */
		if (w->fd >= 0)
			w->fn(w->ctx, w->fd, ev[i].events);
	}
	return 0;
}
