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

/* Copy n bytes out; the destination is caller-owned and at least n long. */
static inline enum tc_rc rd_bytes(struct cursor *c, uint8_t *dst, size_t n)
{
	size_t i;

	if (cur_left(c) < n)
		return TC_TRUNCATED;
	for (i = 0; i < n; i++)
		dst[i] = c->p[i];
	c->p += n;
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
