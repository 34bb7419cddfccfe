/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * All timers of one role instance in one structure (STYLE.md, after
 * WireGuard timers.c): a hierarchical timing wheel of {deadline, kind,
 * handle} (core/state/timers.c).
 *
 * A timer names its object by handle, never by pointer; the role resolves
 * the handle when the timer fires and ignores it when stale. Each object
 * has at most one timer per kind: setting (kind, handle) again replaces
 * the old deadline. The (kind, handle.idx) pair is found in O(1) through
 * a hash index, or with none for the kinds given direct records
 * (dmm_timers_make_direct(): a record per object slot;
 * dmm_timers_make_direct_kinds(): one per slot and kind); set, cancel,
 * next and pop are O(1) (pop amortized), but for the timers due in the
 * same tick of about 1 ms (a sorted list of those: the timers set into
 * that tick, or moved there from the wheel, are sorted into it at the
 * next next or pop, O(m log m) for m of them, plus the walk over those
 * they precede). Timers with equal deadlines fire in the order they were
 * set.
 *
 * The role names its kinds; these are the PMIPv6/DMM ones (the rule of
 * each is in core/state/timers.c).
 */
#ifndef DMM_TIMERS_H
#define DMM_TIMERS_H

#include "dmm/alloc.h"
#include "dmm/types.h"

enum dmm_timer_kind {
	DMM_TIMER_BCE_EXPIRE,	     /* LMA: binding lifetime ran out */
	DMM_TIMER_BCE_DEREG_DELAY,   /* LMA: MinDelayBeforeBCEDelete, RFC 5213 §5.3.5 */
	DMM_TIMER_BCE_HANDOFF_DELAY, /* LMA: MaxDelayBeforeNewBCEAssign, §5.4.1.3 */
	DMM_TIMER_PBU_RETX,	     /* MAG: PBA not received, §6.9.4 */
	DMM_TIMER_BUL_REFRESH,	     /* MAG: re-register before the lifetime ends, §6.9.1.5 */
	DMM_TIMER_BUL_EXPIRE,	     /* MAG: granted lifetime ran out */
	DMM_TIMER_HEARTBEAT,	     /* peer liveness, RFC 5847 §3 */
	DMM_TIMER_NKINDS_BUILTIN,
};

/* Kinds are small integers; roles may add their own up to this value. */
#define DMM_TIMER_KIND_MAX 255

struct dmm_timers;

/*
 * Create a timer set for up to capacity pending timers. Memory comes from
 * a, which must outlive the set. Returns NULL on bad arguments (capacity
 * 0 or above 2^30) or when a fails.
 */
struct dmm_timers *dmm_timers_new(const struct dmm_alloc *a, uint32_t capacity);

/*
 * Make t, with no timer armed, a set of capacity records of which the
 * first ndirect are direct: the timer of a kind in kinds (bit k for kind
 * k < 32) of the object of slot idx < ndirect takes record idx when that
 * is free, found with no hash and no index (one object per slot, one such
 * kind armed at a time in the common case; another kind of the same slot
 * takes a shared record as any other timer does). The arrays are
 * allocated again (at start-up); t stays where it is, so what holds it
 * keeps it. Returns 0, DMM_ERR_INVAL (a timer armed, capacity 0 or above
 * 2^30, ndirect not below capacity) or DMM_ERR_NOMEM (t unchanged).
 */
int dmm_timers_make_direct(struct dmm_timers *t, uint32_t capacity, uint32_t ndirect, uint32_t kinds);

/*
 * As dmm_timers_make_direct(), but each kind of kinds (not 0) has a
 * record of its own for each slot idx < ndirect (the records of a slot
 * side by side, in the order of the kinds' numbers): for
 * objects that hold timers of several kinds at once (a MAG's PBU
 * retransmission, refresh and expiry of a binding update list entry),
 * none of them ever needs the index. The direct records count in
 * capacity: DMM_ERR_INVAL when ndirect times the kinds is not below it.
 */
int dmm_timers_make_direct_kinds(struct dmm_timers *t, uint32_t capacity, uint32_t ndirect, uint32_t kinds);

/* Free t and every pending timer; accepts NULL. */
void dmm_timers_free(struct dmm_timers *t);

/*
 * Arm the kind timer of the object h at deadline, replacing any timer of
 * the same (kind, h.idx), whatever its generation (an older generation's
 * timer is stale anyway). deadline DMM_TIME_NEVER cancels it. Returns 0,
 * DMM_ERR_INVAL (kind above DMM_TIMER_KIND_MAX) or DMM_ERR_NOMEM (full).
 */
int dmm_timers_set(struct dmm_timers *t, unsigned kind, struct dmm_handle h, dmm_time_t deadline);

/*
 * Disarm the kind timer of h. A timer armed for another generation of the
 * same slot is left alone. Returns 0 or DMM_ERR_NOTFOUND.
 */
int dmm_timers_cancel(struct dmm_timers *t, unsigned kind, struct dmm_handle h);

/* Deadline of the kind timer of h (same generation), or DMM_TIME_NEVER. */
dmm_time_t dmm_timers_get(const struct dmm_timers *t, unsigned kind, struct dmm_handle h);

/* Start fetching what a set, cancel or get of the kind timer of slot idx reads first. Changes nothing. */
void dmm_timers_prefetch(const struct dmm_timers *t, unsigned kind, uint32_t idx);

/* The earliest deadline, or DMM_TIME_NEVER when nothing is armed. */
dmm_time_t dmm_timers_next(const struct dmm_timers *t);

/*
 * Remove the earliest timer if its deadline is <= now: store its kind and
 * handle and return 1; else return 0. Call until it returns 0. kind and
 * h may be NULL.
 */
int dmm_timers_pop_expired(struct dmm_timers *t, dmm_time_t now, unsigned *kind, struct dmm_handle *h);

/* Pending timers. */
uint32_t dmm_timers_count(const struct dmm_timers *t);

/*
 * Records the wheel has moved in bulk since t was made: taken down a
 * level or into the ready list from a bucket, or sorted there. Each timer
 * is moved at most a few times between its setting and its firing, so
 * this grows with the timers set, never with the timers armed (the unit
 * tests bound it per operation).
 */
uint64_t dmm_timers_work(const struct dmm_timers *t);

/* Most pending timers (the capacity t was created with). */
uint32_t dmm_timers_capacity(const struct dmm_timers *t);

/* Bytes allocated for t. */
size_t dmm_timers_bytes(const struct dmm_timers *t);

#endif
