/*
 * mutator_engine.c - structure-aware mutation of packet scripts (the
 * fuzz_engine input, engine_script.h).
 *
 * The script is read into records with es_next, one mutation is applied
 * at the record level, and the records are written back with es_encode,
 * so framing never breaks. Mutations, in order of weight:
 *   - one field of one record: direction, protocol, IP version, relative
 *     mode, hosts; the clock step (milliseconds, seconds, just under and
 *     over 2*MSL for each MSL the configuration byte offers, backwards);
 *     ports (copied from another record so tuples meet, swapped, or the
 *     edges of the SPEC ephemeral ranges); TCP flags (the combinations a
 *     connection uses, or one bit); sequence and acknowledgment numbers
 *     (small offsets in relative mode, another record's numbers, random);
 *     window, payload length, options, timestamps;
 *   - records inserted (a copy of another with one field changed, or a
 *     handshake, a close or a reset on an existing tuple), deleted,
 *     duplicated, swapped or moved;
 *   - the configuration byte;
 *   - one record's body, or (1 call in 10) the whole script, as raw bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_script.h"
#include "mutator.h"

/* Records kept: a 16 KiB script holds 528 encoded records. */
#define MAX_RECS 1024

static const uint16_t port_edges[] = { 0, 1, 80, 443, 1023, 1024, 1025, 5000, 5001, 32767,
				       32768, 49151, 49152, 60999, 61000, 65535 };
static const uint16_t flag_sets[] = { 0x002, 0x012, 0x010, 0x018, 0x011, 0x019, 0x004, 0x014,
				      0x001, 0x000, 0x003, 0x006, 0x029, 0x0c2 };

static uint16_t step_word(struct mut_rng *r)
{
	static const uint16_t msl2[] = { 2, 60, 120, 240 };   /* 2*MSL per config */

	switch (mut_below(r, 6)) {
	case 0: return (uint16_t)mut_below(r, 1000);                            /* ms */
	case 1: return (uint16_t)(ES_STEP_SEC | (1 + mut_below(r, 300)));
	case 2: return (uint16_t)(ES_STEP_SEC | (msl2[mut_below(r, 4)] + mut_below(r, 3) - 1));
	case 3: return (uint16_t)(ES_STEP_SEC | (mut_below(r, 2) ? 3600 : 60));  /* idle timeouts */
	case 4: return (uint16_t)(ES_STEP_BACK | (mut_below(r, 2) ? ES_STEP_SEC : 0) | (1 + mut_below(r, 100)));
	default: return 0;
	}
}

static void tweak(struct es_record *x, const struct es_record *all, size_t n, struct mut_rng *r)
{
	const struct es_record *o = &all[mut_below(r, (uint32_t)n)];

	switch (mut_below(r, 12)) {
	case 0:
		x->ctl ^= (uint8_t)(1u << mut_below(r, 8));
		break;
	case 1:
		x->step = step_word(r);
		break;
	case 2:
	case 3:
		switch (mut_below(r, 4)) {
		case 0: x->cport = o->cport; x->sport = o->sport; x->ctl = (uint8_t)((x->ctl & 0x0f) | (o->ctl & 0xf0)); break;
		case 1: { uint16_t t = x->cport; x->cport = x->sport; x->sport = t; } break;
		case 2: *(mut_below(r, 2) ? &x->cport : &x->sport) = port_edges[mut_below(r, 16)]; break;
		default: *(mut_below(r, 2) ? &x->cport : &x->sport) += (uint16_t)(mut_below(r, 2) ? 1 : -1); break;
		}
		break;
	case 4:
	case 5:
		if (mut_below(r, 3))
			x->flags = (uint16_t)((x->flags & ES_CLOCK_ONLY) | flag_sets[mut_below(r, 14)]);
		else
			x->flags ^= (uint16_t)(1u << mut_below(r, 12));
		if (mut_below(r, 32) == 0)
			x->flags ^= ES_CLOCK_ONLY;
		break;
	case 6:
	case 7: {
		uint32_t *v = mut_below(r, 2) ? &x->seq : &x->ack;

		switch (mut_below(r, 4)) {
		case 0: *v = (uint32_t)(int32_t)((int)mut_below(r, 9) - 4); break;     /* relative: near */
		case 1: *v = mut_below(r, 2) ? o->seq : o->ack; *v += mut_below(r, 3); break;
		case 2: *v += (uint32_t)(int32_t)((int)mut_below(r, 1 << 17) - (1 << 16)); break;
		default: *v = (uint32_t)mut_rand(r); break;
		}
		break;
	}
	case 8:
		x->win = mut_below(r, 2) ? 0 : (uint16_t)mut_rand(r);
		break;
	case 9: {
		static const uint16_t lens[] = { 0, 1, 2, 100, 536, 1460, 1500, 65535 };

		x->payload_len = lens[mut_below(r, 8)];
		break;
	}
	case 10:
		x->opts ^= (uint8_t)(1u << mut_below(r, 4));
		break;
	default:
		if (mut_below(r, 2))
			x->tsval = mut_below(r, 2) ? o->tsval + mut_below(r, 3) : (uint32_t)(int32_t)((int)mut_below(r, 5) - 2);
		else
			x->tsecr = mut_below(r, 2) ? o->tsval : (uint32_t)mut_rand(r);
		break;
	}
}

/* A short exchange on the tuple of record t: handshake, close or reset. */
static size_t conversation(const struct es_record *t, struct es_record *out, struct mut_rng *r)
{
	struct es_record b = *t;
	size_t n = 0;
	unsigned kind = mut_below(r, 3);

	b.ctl = (uint8_t)((b.ctl & ~(ES_CTL_REVERSE | ES_CTL_UDP)) | ES_CTL_REL);
	b.step = (uint16_t)mut_below(r, 50);
	b.flags = 0;
	b.seq = b.ack = 0;
	b.payload_len = 0;
	b.tsval = 1;
	if (kind == 0) {                /* handshake: SYN, SYN+ACK, ACK */
		out[n] = b; out[n].flags = 0x002; out[n].seq = mut_below(r, 2) ? 0 : (uint32_t)mut_rand(r); n++;
		out[n] = b; out[n].ctl |= ES_CTL_REVERSE; out[n].flags = 0x012; out[n].ack = 0; n++;
		out[n] = b; out[n].flags = 0x010; n++;
	} else if (kind == 1) {         /* close: FIN, FIN, ACK */
		out[n] = b; out[n].flags = 0x011; n++;
		out[n] = b; out[n].ctl |= ES_CTL_REVERSE; out[n].flags = 0x011; n++;
		out[n] = b; out[n].flags = 0x010; n++;
	} else {                        /* reset, in or out of window */
		out[n] = b; out[n].ctl ^= (uint8_t)(mut_below(r, 2) ? ES_CTL_REVERSE : 0);
		out[n].flags = mut_below(r, 2) ? 0x004 : 0x014;
		out[n].seq = mut_below(r, 2) ? 0 : (uint32_t)mut_rand(r);
		n++;
	}
	return n;
}

static size_t encode(uint8_t sel, const struct es_record *rec, size_t n, uint8_t *out, size_t max)
{
	size_t o = 1;

	out[0] = sel;
	for (size_t i = 0; i < n; i++) {
		size_t w = es_encode(&rec[i], out + o, max - o);

		if (w == 0)
			break;
		o += w;
	}
	return o;
}

size_t mut_engine(uint8_t *data, size_t size, size_t max, struct mut_rng *r)
{
	struct es_record *rec;
	struct cursor in = cur_make(data, size);
	uint8_t sel = 0;
	size_t n = 0, out;
	unsigned what;

	if (max == 0)
		return 0;
	if (size == 0 || mut_below(r, 10) == 0)
		return mut_bytes(data, size, max, r);
	rec = malloc((MAX_RECS + 3) * sizeof(*rec));
	if (rec == NULL)
		return mut_bytes(data, size, max, r);
	(void)rd_u8(&in, &sel);
	while (n < MAX_RECS && es_next(&in, &rec[n]) == TC_OK)
		n++;
	if (n == 0) {                   /* start a script: one SYN */
		memset(&rec[0], 0, sizeof(rec[0]));
		rec[0].cport = 40000;
		rec[0].sport = 80;
		rec[0].flags = 0x002;
		n = 1;
	}
	what = mut_below(r, 20);
	if (what < 10) {                                /* a field */
		for (unsigned k = 1 + (mut_below(r, 4) == 0); k > 0; k--)
			tweak(&rec[mut_below(r, (uint32_t)n)], rec, n, r);
	} else if (what < 17) {                         /* records */
		size_t a = mut_below(r, (uint32_t)n), b = mut_below(r, (uint32_t)n + 1);
		struct es_record t;

		switch (mut_below(r, 6)) {
		case 0:                         /* insert a changed copy at b */
		case 1:
			if (n >= MAX_RECS)
				break;
			t = rec[a];
			tweak(&t, rec, n, r);
			memmove(&rec[b + 1], &rec[b], (n - b) * sizeof(t));
			rec[b] = t;
			n++;
			break;
		case 2: {                       /* a conversation on a's tuple at b */
			struct es_record conv[3];
			size_t k = conversation(&rec[a], conv, r);

			if (n + k > MAX_RECS)
				break;
			memmove(&rec[b + k], &rec[b], (n - b) * sizeof(t));
			memcpy(&rec[b], conv, k * sizeof(t));
			n += k;
			break;
		}
		case 3:                         /* delete a */
			if (n > 1) {
				memmove(&rec[a], &rec[a + 1], (n - a - 1) * sizeof(t));
				n--;
			}
			break;
		case 4:                         /* swap a with its neighbour, or b */
			b = (a + 1 < n && mut_below(r, 2)) ? a + 1 : (b < n ? b : a);
			t = rec[a];
			rec[a] = rec[b];
			rec[b] = t;
			break;
		default:                        /* duplicate a right after itself */
			if (n >= MAX_RECS)
				break;
			memmove(&rec[a + 2], &rec[a + 1], (n - a - 1) * sizeof(t));
			rec[a + 1] = rec[a];
			rec[a + 1].step = (uint16_t)mut_below(r, 4);
			n++;
			break;
		}
	} else if (what < 18) {                         /* configuration */
		sel ^= (uint8_t)(1u << mut_below(r, 8));
	} else {                                        /* one body as bytes */
		uint8_t body[1 + ES_BODY_LEN + 8];
		size_t a = mut_below(r, (uint32_t)n), len;
		struct cursor c;

		(void)es_encode(&rec[a], body, sizeof(body));
		len = mut_bytes(body + 1, ES_BODY_LEN, ES_BODY_LEN, r);
		body[0] = (uint8_t)len;
		c = cur_make(body, 1 + len);
		(void)es_next(&c, &rec[a]);
	}
	out = encode(sel, rec, n, data, max);
	free(rec);
	return out;
}
