/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one way an object of a role changes state (STYLE.md, after FRR's
 * vrrpd and BIRD's BFD): each role's set_state function changes the
 * object, then calls dmm_fsm_note(), which counts the transition in the
 * role's stats (dmmctl show stats: "transitions") and logs
 * "role: who: OLD -> NEW (reason)" (ARCHITECTURE.md rule 8). Creation is
 * a transition from DMM_FSM_NONE, deletion one to DMM_FSM_NONE. Not a
 * public header; the counters and names are in dmm/stats.h.
 */
#ifndef DMM_CORE_ROLE_FSM_H
#define DMM_CORE_ROLE_FSM_H

#include "dmm/log.h"
#include "dmm/stats.h"

/*
 * Count from -> to of machine k in st and log it at INFO in category FSM,
 * as "<role>: <who>: <OLD> -> <NEW> (<reason>)". from and to are states of
 * k or DMM_FSM_NONE; a state out of range is counted nowhere but logged as
 * "?". role, who and reason are borrowed for the call; log may be NULL.
 */
void dmm_fsm_note(struct dmm_pmip_stats *st, const struct dmm_log *log, enum dmm_fsm_kind k, int from, int to,
		  const char *role, const char *who, const char *reason);

#endif
