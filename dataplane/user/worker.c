/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user data plane's worker threads (user.h, "Threads"): one per
 * core, each with its own TUN queue, raw socket and batch buffers, each
 * waiting in its own epoll for either and for the stop event. A worker
 * runs rounds in both directions, the table read-locked per round, until
 * neither has a full batch, then waits again.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "user.h"

unsigned dpu_nworkers(void)
{
	const char *e = getenv("DMM_DP_USER_WORKERS");
	long n = e && *e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > DP_MAX_WORKERS ? DP_MAX_WORKERS : (unsigned)n;
}

int dpu_workers_alloc(struct dmm_dp *dp)
{
	pthread_rwlockattr_t a;

	dp->stopfd = -1;
	dp->nworkers = dpu_nworkers();
	dp->w = calloc(dp->nworkers, sizeof(*dp->w));
	if (!dp->w)
		return -ENOMEM;
	for (unsigned i = 0; i < dp->nworkers; i++) {
		dp->w[i].dp = dp;
		dp->w[i].id = i;
		dp->w[i].tun = dp->w[i].raw = dp->w[i].ep = dp->w[i].pkt = -1;
	}
	/* Writers first: workers re-take the lock every round and would starve the daemon thread. */
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&dp->tlock, &a);
	pthread_rwlockattr_destroy(&a);
	pthread_mutex_init(&dp->bufmu, NULL);
	dp->locks = true;
	dp->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return dp->stopfd < 0 ? -errno : 0;
}

/* Rounds in both directions until neither fills a batch. */
static void work(struct dpu_worker *w)
{
	struct dmm_dp *dp = w->dp;
	int a, b;

	do {
		pthread_rwlock_rdlock(&dp->tlock);
		a = dpu_tun_round(w);
		b = dpu_raw_round(w);
		pthread_rwlock_unlock(&dp->tlock);
	} while ((a == DP_BATCH || b == DP_BATCH) && !__atomic_load_n(&dp->stop, __ATOMIC_ACQUIRE));
}

static void *worker_main(void *arg)
{
	struct dpu_worker *w = arg;
	struct epoll_event ev[3];

	while (!__atomic_load_n(&w->dp->stop, __ATOMIC_ACQUIRE)) {
		int n = epoll_wait(w->ep, ev, 3, -1);

		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			work(w);
	}
	return NULL;
}

/* Worker w's epoll over its TUN queue, its raw socket and the stop event. 0 or -errno. */
static int worker_epoll(struct dpu_worker *w)
{
	int fds[3] = {w->tun, w->raw, w->dp->stopfd};

	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0)
		return -errno;
	for (int k = 0; k < 3; k++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[k]};

		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fds[k], &ev) < 0)
			return -errno;
	}
	return 0;
}

/* DMM_DP_USER_PACKET=0: send through the raw socket only (user.h, "Sending through a packet socket"). */
static bool packet_off(void)
{
	const char *e = getenv("DMM_DP_USER_PACKET");

	return e && !strcmp(e, "0");
}

/*
 * The workers block every signal: a process-directed signal (SIGTERM) must
 * reach the owner's thread, which may wait for it with a signalfd, rather
 * than end the process from a worker that does not block it.
 */
int dpu_workers_start(struct dmm_dp *dp)
{
	sigset_t all, old;
	int r = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < dp->nworkers && !r; i++) {
		struct dpu_worker *w = &dp->w[i];

		r = worker_epoll(w);
		if (!r && !packet_off() && dpu_nh_open(w) < 0)
			dpu_nh_close(w); /* no packet socket: everything through the raw socket */
		if (!r && dpu_batch_init(w) < 0)
			r = -ENOMEM;
		if (!r)
			r = -pthread_create(&w->thread, NULL, worker_main, w);
		if (!r)
			w->running = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

void dpu_workers_free(struct dmm_dp *dp)
{
	uint64_t one = 1;

	if (!dp->w)
		return;
	__atomic_store_n(&dp->stop, 1, __ATOMIC_RELEASE);
	if (dp->stopfd >= 0 && write(dp->stopfd, &one, sizeof(one)) < 0) {
		/* the counter is full: already signalled */
	}
	for (unsigned i = 0; i < dp->nworkers; i++) {
		struct dpu_worker *w = &dp->w[i];

		if (w->running)
			pthread_join(w->thread, NULL);
		if (w->ep >= 0)
			close(w->ep);
		if (w->raw >= 0)
			close(w->raw);
		dpu_nh_close(w);
		if (w->tun >= 0)
			close(w->tun); /* not persistent: the device goes with its last queue */
		free(w->tunbuf);
		free(w->rxbuf);
	}
	free(dp->w);
	dp->w = NULL;
	if (dp->stopfd >= 0)
		close(dp->stopfd);
	if (dp->locks) {
		pthread_rwlock_destroy(&dp->tlock);
		pthread_mutex_destroy(&dp->bufmu);
		dp->locks = false;
	}
}
