/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * State transitions of every role's objects: names, counting, logging
 * (fsm.h). The names of the binding cache and binding update list states
 * belong to their tables (core/state); the peer and anchor names are
 * kept here, below peer.c and the CMD that use them.
 */
#include "fsm.h"
#include "dmm/bcache.h"
#include "dmm/bul.h"

const char *dmm_fsm_kind_name(enum dmm_fsm_kind k)
{
	static const char *const n[DMM_FSM_NKINDS] = {
		[DMM_FSM_BUL] = "bul",
		[DMM_FSM_BCE] = "bce",
		[DMM_FSM_PEER] = "peer",
		[DMM_FSM_ANCHOR] = "anchor",
	};

	return (unsigned)k < DMM_FSM_NKINDS ? n[k] : "?";
}

const char *dmm_fsm_state_name(enum dmm_fsm_kind k, int s)
{
	/* enum dmm_peer_state and enum dmm_anchor_state, in their order. */
	static const char *const peer[] = {"unknown", "up", "down", "no-heartbeat"};
	static const char *const anchor[] = {"unknown", "up", "full", "down"};

	if (s == DMM_FSM_NONE)
		return "none";
	if (s < 0 || s >= DMM_FSM_MAX_STATES)
		return "?";
	switch (k) {
	case DMM_FSM_BUL:
		return dmm_bul_state_name((enum dmm_bul_state)s);
	case DMM_FSM_BCE:
		return dmm_bce_state_name((enum dmm_bce_state)s);
	case DMM_FSM_PEER:
		return (size_t)s < sizeof(peer) / sizeof(peer[0]) ? peer[s] : "?";
	case DMM_FSM_ANCHOR:
		return (size_t)s < sizeof(anchor) / sizeof(anchor[0]) ? anchor[s] : "?";
	default:
		return "?";
	}
}

void dmm_fsm_note(struct dmm_pmip_stats *st, const struct dmm_log *log, enum dmm_fsm_kind k, int from, int to,
		  const char *role, const char *who, const char *reason)
{
	bool in_range = (unsigned)k < DMM_FSM_NKINDS && from >= DMM_FSM_NONE && from < DMM_FSM_MAX_STATES &&
			to >= DMM_FSM_NONE && to < DMM_FSM_MAX_STATES;

	if (in_range)
		st->transitions.n[k][from + 1][to + 1]++;
	if (log && log->fn && DMM_LOG_INFO <= log->max_level)
		dmm_logf(log, DMM_LOG_INFO, DMM_LC_FSM, "%s: %s: %s -> %s (%s)", role, who,
			 dmm_fsm_state_name(k, from), dmm_fsm_state_name(k, to), reason);
}
