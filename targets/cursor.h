/*
 * cursor.h - the one way to touch an untrusted byte.
 *
 * A cursor is a half-open view [p, end) into a caller-owned buffer. Every
 * getter checks the remaining length first, written as (size_t)(end - p) < n
 * so it cannot overflow a pointer, and on failure leaves the cursor where it
 * was and returns TC_TRUNCATED. Nothing here allocates and nothing casts a
 * struct over packet bytes: multi-byte fields are assembled byte by byte in
 * network (big-endian) or little-endian order as the caller asks.
 */
#ifndef TC_CURSOR_H
#define TC_CURSOR_H

#include <string.h>

#include "tc.h"

struct cursor {
	const uint8_t *p;
	const uint8_t *end;
};

static inline struct cursor cur_make(const uint8_t *p, size_t len)
{
	struct cursor c = { p, p + len };
	return c;
}

static inline size_t cur_left(const struct cursor *c)
{
	return (size_t)(c->end - c->p);
}

static inline enum tc_rc rd_skip(struct cursor *c, size_t n)
{
	if (cur_left(c) < n)
		return TC_TRUNCATED;
	c->p += n;
	return TC_OK;
}

static inline enum tc_rc rd_u8(struct cursor *c, uint8_t *v)
{
	if (cur_left(c) < 1)
		return TC_TRUNCATED;
	*v = c->p[0];
	c->p += 1;
	return TC_OK;
}

static inline enum tc_rc rd_be16(struct cursor *c, uint16_t *v)
{
	if (cur_left(c) < 2)
		return TC_TRUNCATED;
	*v = (uint16_t)((unsigned)c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return TC_OK;
}

static inline enum tc_rc rd_be32(struct cursor *c, uint32_t *v)
{
	if (cur_left(c) < 4)
		return TC_TRUNCATED;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	     (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return TC_OK;
}

static inline enum tc_rc rd_le16(struct cursor *c, uint16_t *v)
{
	if (cur_left(c) < 2)
		return TC_TRUNCATED;
	*v = (uint16_t)((unsigned)c->p[1] << 8 | c->p[0]);
	c->p += 2;
	return TC_OK;
}

static inline enum tc_rc rd_le32(struct cursor *c, uint32_t *v)
{
	if (cur_left(c) < 4)
		return TC_TRUNCATED;
	*v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 |
	     (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	return TC_OK;
}

/* Copy n bytes out; the destination is caller-owned and at least n long.
 * memcpy after the one length test: with a constant n (addresses) it
 * compiles to one or two loads and stores instead of a byte loop. */
static inline enum tc_rc rd_bytes(struct cursor *c, uint8_t *dst, size_t n)
{
	if (cur_left(c) < n)
		return TC_TRUNCATED;
	if (n != 0)                  /* memcpy's pointers must be valid even for 0 */
		memcpy(dst, c->p, n);
	c->p += n;
	return TC_OK;
}

/*
 * Reads at a fixed offset, the cursor not moved: the n bytes at c->p + off,
 * checked as cur_left(c) >= n and cur_left(c) - n >= off (no sum that could
 * overflow). Meant for a fixed-size header taken with rd_sub: the
 * sub-cursor's length is then a constant, the compiler folds every one of
 * these checks into rd_sub's, and a header costs one length test and plain
 * loads, while each read stays checked on its own.
 */
static inline bool at_fits(const struct cursor *c, size_t off, size_t n)
{
	return cur_left(c) >= n && cur_left(c) - n >= off;
}

static inline enum tc_rc at_u8(const struct cursor *c, size_t off, uint8_t *v)
{
	if (!at_fits(c, off, 1))
		return TC_TRUNCATED;
	*v = c->p[off];
	return TC_OK;
}

static inline enum tc_rc at_be16(const struct cursor *c, size_t off, uint16_t *v)
{
	if (!at_fits(c, off, 2))
		return TC_TRUNCATED;
	*v = (uint16_t)((unsigned)c->p[off] << 8 | c->p[off + 1]);
	return TC_OK;
}

static inline enum tc_rc at_be32(const struct cursor *c, size_t off, uint32_t *v)
{
	if (!at_fits(c, off, 4))
		return TC_TRUNCATED;
	*v = (uint32_t)c->p[off] << 24 | (uint32_t)c->p[off + 1] << 16 |
	     (uint32_t)c->p[off + 2] << 8 | c->p[off + 3];
	return TC_OK;
}

static inline enum tc_rc at_le32(const struct cursor *c, size_t off, uint32_t *v)
{
	if (!at_fits(c, off, 4))
		return TC_TRUNCATED;
	*v = (uint32_t)c->p[off + 3] << 24 | (uint32_t)c->p[off + 2] << 16 |
	     (uint32_t)c->p[off + 1] << 8 | c->p[off];
	return TC_OK;
}

/* Copy the n bytes at c->p + off out; dst is caller-owned, at least n long. */
static inline enum tc_rc at_bytes(const struct cursor *c, size_t off, uint8_t *dst, size_t n)
{
	if (!at_fits(c, off, n))
		return TC_TRUNCATED;
	if (n != 0)
		memcpy(dst, c->p + off, n);
	return TC_OK;
}

/* Carve a sub-cursor of exactly n bytes off the front of c. */
static inline enum tc_rc rd_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	if (cur_left(c) < n)
		return TC_TRUNCATED;
	sub->p = c->p;
	sub->end = c->p + n;
	c->p += n;
	return TC_OK;
}

#endif /* TC_CURSOR_H */
