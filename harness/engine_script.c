/*
 * engine_script.c - reading, writing and playing packet scripts (format in
 * engine_script.h).
 *
 * Playing a record builds a real frame (raw IPv4 or IPv6, then TCP or UDP:
 * RFC 791, RFC 8200, RFC 9293, RFC 768) rather than filling a struct pkt by
 * hand, so fuzz_engine drives the engine exactly as captures do, through
 * decode_packet, and checks the decoder against a second, independent
 * encoder on the way. The payload is never captured: the frame ends after
 * the transport header and its original length says how long it was, as a
 * snapshot length would; the engine and rules only need the lengths.
 */
#include <string.h>

#include "engine_script.h"

/* ---- configuration ------------------------------------------------------------- */

void es_config_decode(uint8_t sel, struct es_config *cfg)
{
	static const uint32_t msl[4] = { 1, 30, 60, 120 };
	static const uint16_t range[4][2] = { { 0, 0 }, { 32768, 60999 }, { 49152, 65535 },
					       { 1024, 5000 } };
	static const uint64_t flows[4] = { 0, 2, 8, 64 };

	memset(cfg, 0, sizeof(*cfg));
	cfg->msl_sec = msl[sel & 3];
	cfg->have_range = ((sel >> 2) & 3) != 0;
	cfg->eph_lo = range[(sel >> 2) & 3][0];
	cfg->eph_hi = range[(sel >> 2) & 3][1];
	cfg->max_flows = flows[(sel >> 4) & 3];
	cfg->default_rules = (sel & 0x40) != 0;
	cfg->tcp_idle_sec = (sel & 0x80) ? 30 : 3600;
	cfg->udp_idle_sec = (sel & 0x80) ? 5 : 60;
}

/* ---- records ----------------------------------------------------------------------- */

enum tc_rc es_next(struct cursor *in, struct es_record *r)
{
	uint8_t len = 0, body[ES_BODY_LEN] = { 0 };
	size_t take;
	struct cursor b;

	if (rd_u8(in, &len) != TC_OK)
		return TC_END;
	take = len < cur_left(in) ? len : cur_left(in);
	(void)rd_bytes(in, body, take < ES_BODY_LEN ? take : ES_BODY_LEN);
	if (take > ES_BODY_LEN)
		(void)rd_skip(in, take - ES_BODY_LEN);

	/* body is zero-filled and ES_BODY_LEN long: every read succeeds */
	b = cur_make(body, sizeof(body));
	(void)rd_u8(&b, &r->ctl);
	(void)rd_be16(&b, &r->step);
	(void)rd_be16(&b, &r->cport);
	(void)rd_be16(&b, &r->sport);
	(void)rd_be16(&b, &r->flags);
	(void)rd_be32(&b, &r->seq);
	(void)rd_be32(&b, &r->ack);
	(void)rd_be16(&b, &r->win);
	(void)rd_be16(&b, &r->payload_len);
	(void)rd_u8(&b, &r->opts);
	(void)rd_be32(&b, &r->tsval);
	(void)rd_be32(&b, &r->tsecr);
	return TC_OK;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p = put16(p, (uint16_t)(v >> 16));
	return put16(p, (uint16_t)v);
}

size_t es_encode(const struct es_record *r, uint8_t *out, size_t cap)
{
	uint8_t *p = out;

	if (cap < 1 + ES_BODY_LEN)
		return 0;
	*p++ = ES_BODY_LEN;
	*p++ = r->ctl;
	p = put16(p, r->step);
	p = put16(p, r->cport);
	p = put16(p, r->sport);
	p = put16(p, r->flags);
	p = put32(p, r->seq);
	p = put32(p, r->ack);
	p = put16(p, r->win);
	p = put16(p, r->payload_len);
	*p++ = r->opts;
	p = put32(p, r->tsval);
	p = put32(p, r->tsecr);
	return (size_t)(p - out);
}

/* ---- playing ------------------------------------------------------------------------- */

void es_player_init(struct es_player *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->sec = ES_START_SEC;
}

static void clock_step(struct es_player *pl, uint16_t step)
{
	int64_t ns = (int64_t)(step & 0x3fff) * ((step & ES_STEP_SEC) ? 1000000000 : 1000000);
	int64_t now = (pl->sec - ES_START_SEC) * 1000000000 + pl->nsec;

	now += (step & ES_STEP_BACK) ? -ns : ns;
	if (now < 0)
		now = 0;
	pl->sec = ES_START_SEC + now / 1000000000;
	pl->nsec = (uint32_t)(now % 1000000000);
}

/* The relative-mode memory of a TCP tuple, created (LRU) when new. */
static struct es_track *track_get(struct es_player *pl, const uint8_t key[8])
{
	struct es_track *t, *victim = &pl->track[0];

	pl->uses++;
	for (t = pl->track; t < pl->track + ES_TRACK; t++) {
		if (t->used && memcmp(t->key, key, 8) == 0) {
			t->last_use = pl->uses;
			return t;
		}
		if (!t->used || (victim->used && t->last_use < victim->last_use))
			victim = t;
	}
	memset(victim, 0, sizeof(*victim));
	victim->used = true;
	victim->last_use = pl->uses;
	memcpy(victim->key, key, 8);
	return victim;
}

static void host_addr(uint8_t ipver, bool server, unsigned idx, uint8_t a[16])
{
	memset(a, 0, 16);
	if (ipver == 4) {
		/* RFC 5737 documentation prefixes */
		a[0] = server ? 198 : 192;
		a[1] = server ? 51 : 0;
		a[2] = server ? 100 : 2;
		a[3] = (uint8_t)((server ? 20 : 10) + idx);
	} else {
		/* RFC 3849 documentation prefix */
		a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
		a[13] = server ? 0x05 : 0x0c;
		a[15] = (uint8_t)idx + 1;
	}
}

/* RFC 1071 sum of n bytes at p added to sum. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

enum tc_rc es_play(struct es_player *pl, const struct es_record *r, struct es_packet *out)
{
	bool rev = r->ctl & ES_CTL_REVERSE;
	unsigned d = rev ? 1 : 0;
	uint8_t *f = out->frame, *l4, *q;
	size_t iphl, l4hl, room;
	uint32_t total;

	memset(out, 0, sizeof(*out));
	clock_step(pl, r->step);
	out->ts_sec = pl->sec;
	out->ts_nsec = pl->nsec;
	if (r->flags & ES_CLOCK_ONLY)
		return TC_END;

	out->udp = r->ctl & ES_CTL_UDP;
	out->ipver = (r->ctl & ES_CTL_IPV6) ? 6 : 4;
	host_addr(out->ipver, rev, rev ? (r->ctl >> 6) & 3 : (r->ctl >> 4) & 3, out->src);
	host_addr(out->ipver, !rev, rev ? (r->ctl >> 4) & 3 : (r->ctl >> 6) & 3, out->dst);
	out->sport = rev ? r->sport : r->cport;
	out->dport = rev ? r->cport : r->sport;
	iphl = out->ipver == 4 ? 20 : 40;

	if (out->udp) {
		l4hl = 8;
	} else {
		uint8_t key[8] = { out->ipver, (uint8_t)((r->ctl >> 4) & 3), (uint8_t)((r->ctl >> 6) & 3),
				   (uint8_t)(r->cport >> 8), (uint8_t)r->cport,
				   (uint8_t)(r->sport >> 8), (uint8_t)r->sport, 0 };
		struct es_track *t = track_get(pl, key);
		bool rel = r->ctl & ES_CTL_REL;

		out->flags = r->flags & 0x0fff;
		out->win = r->win;
		out->opts = r->opts & 0x0f;
		out->seq = rel ? t->next_seq[d] + r->seq : r->seq;
		out->ack = rel ? t->next_seq[d ^ 1] + r->ack : r->ack;
		out->tsval = rel ? t->last_ts[d] + r->tsval : r->tsval;
		out->tsecr = r->tsecr;
		l4hl = 20 + ((out->opts & ES_OPT_MSS) ? 4 : 0) + ((out->opts & ES_OPT_WSCALE) ? 4 : 0) +
		       ((out->opts & ES_OPT_SACKOK) ? 4 : 0) + ((out->opts & ES_OPT_TS) ? 12 : 0);
	}
	/* The IP length fields hold at most 65535 (IPv4 total, IPv6 payload):
	 * a longer payload is cut to fit. */
	room = (out->ipver == 4 ? 65535 - iphl : 65535) - l4hl;
	out->payload_len = r->payload_len <= room ? r->payload_len : (uint16_t)room;
	if (!out->udp) {
		uint8_t key[8] = { out->ipver, (uint8_t)((r->ctl >> 4) & 3), (uint8_t)((r->ctl >> 6) & 3),
				   (uint8_t)(r->cport >> 8), (uint8_t)r->cport,
				   (uint8_t)(r->sport >> 8), (uint8_t)r->sport, 0 };
		struct es_track *t = track_get(pl, key);

		t->next_seq[d] = out->seq + out->payload_len + ((out->flags & 0x002) ? 1 : 0) +
				 ((out->flags & 0x001) ? 1 : 0);
		if (out->opts & ES_OPT_TS)
			t->last_ts[d] = out->tsval;
	}
	total = (uint32_t)(iphl + l4hl + out->payload_len);

	/* network header */
	if (out->ipver == 4) {
		f[0] = 0x45;
		f[1] = 0;
		put16(f + 2, (uint16_t)total);
		put16(f + 4, (uint16_t)(pl->uses & 0xffff));
		put16(f + 6, 0x4000);                /* DF, not a fragment */
		f[8] = 64;
		f[9] = out->udp ? 17 : 6;
		put16(f + 10, 0);
		memcpy(f + 12, out->src, 4);
		memcpy(f + 16, out->dst, 4);
		put16(f + 10, fold(sum16(0, f, 20)));
	} else {
		put32(f, 0x60000000u);
		put16(f + 4, (uint16_t)(total - 40));
		f[6] = out->udp ? 17 : 6;
		f[7] = 64;
		memcpy(f + 8, out->src, 16);
		memcpy(f + 24, out->dst, 16);
	}

	/* transport header */
	l4 = f + iphl;
	put16(l4, out->sport);
	put16(l4 + 2, out->dport);
	if (out->udp) {
		put16(l4 + 4, (uint16_t)(8 + out->payload_len));
		put16(l4 + 6, 0);
	} else {
		put32(l4 + 4, out->seq);
		put32(l4 + 8, out->ack);
		put16(l4 + 12, (uint16_t)((l4hl / 4) << 12 | out->flags));
		put16(l4 + 14, out->win);
		put16(l4 + 16, 0);
		put16(l4 + 18, 0);
		q = l4 + 20;
		if (out->opts & ES_OPT_MSS) {
			q[0] = 2; q[1] = 4;
			q = put16(q + 2, 1460);
		}
		if (out->opts & ES_OPT_WSCALE) {
			q[0] = 1; q[1] = 3; q[2] = 3; q[3] = 7;
			q += 4;
		}
		if (out->opts & ES_OPT_SACKOK) {
			q[0] = 1; q[1] = 1; q[2] = 4; q[3] = 2;
			q += 4;
		}
		if (out->opts & ES_OPT_TS) {
			q[0] = 1; q[1] = 1; q[2] = 8; q[3] = 10;
			q = put32(q + 4, out->tsval);
			put32(q, out->tsecr);       /* the last option */
		}
	}
	/* Checksums can be right only when the whole segment is in the frame. */
	if (out->payload_len == 0) {
		uint32_t sum = sum16(0, out->src, out->ipver == 4 ? 4 : 16);
		uint16_t c;

		sum = sum16(sum, out->dst, out->ipver == 4 ? 4 : 16);
		sum += out->udp ? 17 : 6;
		sum += (uint32_t)l4hl;
		c = fold(sum16(sum, l4, l4hl));
		if (out->udp && c == 0)
			c = 0xffff;                  /* RFC 768: 0 means none */
		put16(l4 + (out->udp ? 6 : 16), c);
	}
	out->caplen = iphl + l4hl;
	out->origlen = total;
	return TC_OK;
}
