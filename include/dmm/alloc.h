/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Memory comes into core/ through the caller (ARCHITECTURE.md rule 1):
 * tables are allocated once, when a role instance is created, from this
 * allocator, and freed whole. Nothing in core/ allocates per packet.
 */
#ifndef DMM_ALLOC_H
#define DMM_ALLOC_H

#include <stddef.h>
#include <stdint.h>

struct dmm_alloc {
	/* Zeroed memory of n bytes, or NULL. */
	void *(*zalloc)(void *ctx, size_t n);
	/* Release memory from zalloc; accepts NULL. */
	void (*free)(void *ctx, void *p);
	void *ctx;
};

/* A handle names an object across time: a stale handle resolves to nothing. */
struct dmm_handle {
	uint32_t idx;
	uint32_t gen; /* 0 is never a live generation */
};

#endif
