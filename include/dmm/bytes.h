/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Big-endian byte access. Wire code reads and writes bytes only through
 * these helpers; it never casts a struct onto a buffer (STYLE.md).
 */
#ifndef DMM_BYTES_H
#define DMM_BYTES_H

#include <stdint.h>

static inline uint16_t dmm_get_u16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t dmm_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t dmm_get_u48(const uint8_t *p)
{
	return (uint64_t)dmm_get_u16(p) << 32 | dmm_get_u32(p + 2);
}

static inline uint64_t dmm_get_u64(const uint8_t *p)
{
	return (uint64_t)dmm_get_u32(p) << 32 | dmm_get_u32(p + 4);
}

static inline void dmm_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void dmm_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void dmm_put_u48(uint8_t *p, uint64_t v)
{
	dmm_put_u16(p, (uint16_t)(v >> 32));
	dmm_put_u32(p + 2, (uint32_t)v);
}

static inline void dmm_put_u64(uint8_t *p, uint64_t v)
{
	dmm_put_u32(p, (uint32_t)(v >> 32));
	dmm_put_u32(p + 4, (uint32_t)v);
}

#endif
