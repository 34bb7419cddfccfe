/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event stream (RFC 7429 §5.6: "responding to events that impact the
 * device"): bindings created, handed off and deleted, peers up and down,
 * anchored prefixes released, and relocated to another anchor
 * (anchor-relocated, docs/dmm-protocol.md §11). Each event is one JSON object on one line,
 * numbered by seq; the latest DMMD_EVENT_RING are kept for a follower
 * that wants to see what just happened.
 *
 * Followers are control socket clients (`dmmctl events`): their sockets
 * are non-blocking, with a large send buffer; a follower that does not
 * read fast enough to take a line whole is dropped (its stream ends; it
 * can follow again), so a stuck client never holds the daemon up.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../io/io.h"
#include "ops.h"

#define DMMD_EVENT_RING 256
#define MAX_FOLLOWERS 16
#define FOLLOWER_SNDBUF (1 << 20)

struct dmmd_events {
	struct dmm_loop *loop;
	uint64_t seq; /* events published */
	struct {
		uint16_t len;
		char text[DMMD_EVENT_LEN];
	} ring[DMMD_EVENT_RING];
	int fd[MAX_FOLLOWERS]; /* -1: free */
	unsigned nfollow;
	uint64_t dropped; /* followers dropped for not reading */
};

struct dmmd_events *dmmd_events_new(struct dmm_loop *loop)
{
	struct dmmd_events *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->loop = loop;
	for (int i = 0; i < MAX_FOLLOWERS; i++)
		ev->fd[i] = -1;
	return ev;
}

static void drop(struct dmmd_events *ev, int i)
{
	dmm_loop_del(ev->loop, ev->fd[i]);
	close(ev->fd[i]);
	ev->fd[i] = -1;
	ev->nfollow--;
}

void dmmd_events_free(struct dmmd_events *ev)
{
	if (!ev)
		return;
	for (int i = 0; i < MAX_FOLLOWERS; i++)
		if (ev->fd[i] >= 0)
			drop(ev, i);
	free(ev);
}

/* Send one whole line to follower i, or drop it. */
static void send_line(struct dmmd_events *ev, int i, const char *text, size_t len)
{
	ssize_t w = send(ev->fd[i], text, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w != (ssize_t)len) {
		ev->dropped++;
		drop(ev, i);
	}
}

void dmmd_events_emit(struct dmmd_events *ev, const char *type, const char *fields)
{
	struct timespec ts;
	char t[40];
	unsigned slot = (unsigned)(ev->seq % DMMD_EVENT_RING);
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	dmmd_rfc3339((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, t, sizeof(t));
	n = snprintf(ev->ring[slot].text, DMMD_EVENT_LEN,
		     "{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"event\":\"%s\"%s%s}\n", ev->seq + 1, t, type,
		     *fields ? "," : "", fields);
	if (n < 0 || n >= DMMD_EVENT_LEN) /* cut: still one JSON object on one line */
		n = snprintf(ev->ring[slot].text, DMMD_EVENT_LEN,
			     "{\"seq\":%" PRIu64 ",\"time\":\"%s\",\"event\":\"%s\",\"truncated\":true}\n",
			     ev->seq + 1, t, type);
	ev->ring[slot].len = (uint16_t)n;
	ev->seq++;
	for (int i = 0; ev->nfollow && i < MAX_FOLLOWERS; i++)
		if (ev->fd[i] >= 0)
			send_line(ev, i, ev->ring[slot].text, (size_t)n);
}

/* The follower wrote something or hung up: anything it writes is ignored; EOF ends it. */
static void on_follower(void *ctx, int fd, uint32_t events)
{
	struct dmmd_events *ev = ctx;
	char buf[256];
	ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	(void)events;
	if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	for (int i = 0; i < MAX_FOLLOWERS; i++)
		if (ev->fd[i] == fd)
			drop(ev, i);
}

int dmmd_events_follow(struct dmmd_events *ev, int fd, unsigned replay)
{
	int sz = FOLLOWER_SNDBUF, i;
	uint64_t from;

	for (i = 0; i < MAX_FOLLOWERS && ev->fd[i] >= 0; i++)
		;
	if (i == MAX_FOLLOWERS || dmm_loop_add(ev->loop, fd, on_follower, ev) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	ev->fd[i] = fd;
	ev->nfollow++;
	if (replay > DMMD_EVENT_RING)
		replay = DMMD_EVENT_RING;
	from = ev->seq > replay ? ev->seq - replay : 0;
	for (uint64_t s = from; s < ev->seq && ev->fd[i] >= 0; s++)
		send_line(ev, i, ev->ring[s % DMMD_EVENT_RING].text, ev->ring[s % DMMD_EVENT_RING].len);
	return 0;
}

uint64_t dmmd_events_count(const struct dmmd_events *ev)
{
	return ev ? ev->seq : 0;
}

unsigned dmmd_events_followers(const struct dmmd_events *ev)
{
	return ev ? ev->nfollow : 0;
}
