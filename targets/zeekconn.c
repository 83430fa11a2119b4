/*
 * zeekconn.c - Zeek conn_state and history, reimplemented from Zeek's
 * documented rules (see zeekconn.h for the letters and the known
 * differences).
 *
 * The endpoint transitions follow the Zeek TCP analyzer's structure: what a
 * packet does depends on its sender's current state (INACTIVE, SYN_SENT or
 * SYN_ACK_SENT, ESTABLISHED or PARTIAL, CLOSED, RESET). A state change keeps
 * the state it replaced, because one rule looks back: a FIN answering a
 * peer whose RESET followed its own CLOSED turns that peer back to CLOSED
 * (a FIN followed by a RST was a normal termination).
 *
 * Repeat rule for s, h, f, r: Zeek compares sequence numbers relative to
 * the endpoint's start, which it re-bases when a SYN's sequence number jumps
 * (see syn_repeat_counts); raw sequence numbers compared under the same
 * conditions give the same letters.
 */
#include <string.h>

#include "zeekconn.h"
#include "decode.h"

/* once-only history bits; the responder's are these shifted by 8 */
#define ZH_SYN     0x01u
#define ZH_FIN     0x02u
#define ZH_RST     0x04u
#define ZH_ACK     0x08u
#define ZH_DATA    0x10u
#define ZH_FINRST  0x20u
#define ZH_MULTI   0x40u
#define ZH_FIN_ANY 0x80u        /* sent a FIN, alone or not (Zeek's FIN_cnt > 0): no letter */

/* logarithmic counters */
#define ZC_CSUM 0
#define ZC_RXMIT 1
#define ZC_ZEROWIN 2

void zk_init(struct zk_conn *z, bool flipped)
{
	memset(z, 0, sizeof(*z));
	if (flipped)
		z->hist[z->hist_len++] = '^';
}

static void add_letter(struct zk_conn *z, unsigned dir, char upper)
{
	if (z->hist_len >= ZK_HIST_MAX)
		return;                 /* history full: keep the first letters */
	z->hist[z->hist_len++] = dir == ZK_ORIG ? upper : (char)(upper - 'A' + 'a');
}

/* Record the letter the first time; true when it had been seen before. */
static bool once(struct zk_conn *z, unsigned dir, uint16_t bit, char upper)
{
	uint16_t mask = (uint16_t)(dir == ZK_ORIG ? bit : bit << 8);

	if (z->seen & mask)
		return true;
	z->seen = (uint16_t)(z->seen | mask);
	add_letter(z, dir, upper);
	return false;
}

/* Letter at the 1st, 10th, 100th, ... occurrence. */
static void scaled(struct zk_conn *z, unsigned dir, unsigned which, char upper)
{
	uint16_t n = z->cnt[dir][which];

	if (n == UINT16_MAX)
		return;                 /* saturated: 10000 is the last letter */
	n++;
	z->cnt[dir][which] = n;
	if (n == 1 || n == 10 || n == 100 || n == 1000 || n == 10000)
		add_letter(z, dir, upper);
}

static void set_state(struct zk_conn *z, unsigned dir, enum zk_ep s)
{
	if (z->st[dir] != s) {
		z->prev_st[dir] = z->st[dir];
		z->st[dir] = (uint8_t)s;
	}
}

/*
 * Zeek re-bases an endpoint's sequence numbers at a SYN whose seq jumped
 * while the endpoint is in SYN_SENT, SYN_ACK_SENT, ESTABLISHED or PARTIAL
 * (and in RESET when nothing came before the RST), which makes the SYN's
 * relative seq equal the last one: no repeated letter. Only a SYN from a
 * CLOSED endpoint, or a RESET one that had been active, can repeat s or h.
 */
static bool syn_repeat_counts(const struct zk_conn *z, unsigned d)
{
	return z->st[d] == ZK_CLOSED ||
	       (z->st[d] == ZK_RESET && z->prev_st[d] != ZK_INACTIVE);
}

static void history(struct zk_conn *z, const struct tcp_seg *sg,
		    const struct tcp_side *prev, unsigned d)
{
	uint16_t fl = sg->flags;
	int bits = !!(fl & TH_SYN) + !!(fl & TH_FIN) + !!(fl & TH_RST);

	if (bits > 1) {
		if ((fl & TH_FIN) && (fl & TH_RST))
			once(z, d, ZH_FINRST, 'I');
		else
			once(z, d, ZH_MULTI, 'Q');
	} else if (bits == 1) {
		if (fl & TH_SYN) {
			char code = (fl & TH_ACK) ? 'H' : 'S';

			if (once(z, d, ZH_SYN, code) && syn_repeat_counts(z, d) &&
			    (!(prev->flags & TSF_SYN) || sg->seq != prev->isn))
				add_letter(z, d, code);
		}
		if (fl & TH_FIN) {
			if (once(z, d, ZH_FIN, 'F') &&
			    (!(prev->flags & TSF_FIN) || sg->seq + sg->len != prev->snd_nxt - 1))
				add_letter(z, d, 'F');
		}
		if (fl & TH_RST) {
			if (once(z, d, ZH_RST, 'R') &&
			    (!(prev->flags & TSF_RST) || sg->seq != prev->rst_seq))
				add_letter(z, d, 'R');
		}
	} else if (sg->len > 0) {
		once(z, d, ZH_DATA, 'D');
	} else if (fl & TH_ACK) {
		once(z, d, ZH_ACK, 'A');
	}
}

static void inactive(struct zk_conn *z, const struct tcp_seg *sg, unsigned d)
{
	unsigned p = d ^ 1;
	uint16_t fl = sg->flags;

	if (fl & TH_SYN) {
		if (d == ZK_ORIG) {
			set_state(z, d, (fl & TH_ACK) ? ZK_SYN_ACK_SENT : ZK_SYN_SENT);
		} else {
			if (z->st[p] == ZK_SYN_SENT)
				set_state(z, p, ZK_ESTABLISHED);
			set_state(z, d, ZK_ESTABLISHED);
		}
	}
	if (fl & TH_FIN)
		set_state(z, d, ZK_CLOSED);
	if (fl & TH_RST)
		set_state(z, d, ZK_RESET);

	if (z->st[d] == ZK_INACTIVE) {
		if (d == ZK_RESP && sg->len == 0 && z->st[ZK_ORIG] == ZK_SYN_SENT)
			return;         /* an ACK of the SYN before the SYN+ACK: not partial */
		if ((fl & TH_ACK) && z->st[p] == ZK_ESTABLISHED)
			set_state(z, d, ZK_ESTABLISHED);    /* only its SYN was missed */
		else
			set_state(z, d, ZK_PARTIAL);
	}
}

static void state_machine(struct zk_conn *z, const struct tcp_seg *sg, unsigned d)
{
	unsigned p = d ^ 1;
	uint16_t fl = sg->flags;

	switch (z->st[d]) {
	case ZK_INACTIVE:
		inactive(z, sg, d);
		break;
	case ZK_SYN_SENT:
	case ZK_SYN_ACK_SENT:
		if (fl & TH_FIN)
			set_state(z, d, ZK_CLOSED);
		if (fl & TH_RST)
			set_state(z, d, ZK_RESET);
		break;
	case ZK_ESTABLISHED:
	case ZK_PARTIAL:
		if ((fl & TH_SYN) && !(fl & TH_ACK) && z->st[d] == ZK_PARTIAL &&
		    z->st[p] == ZK_INACTIVE)
			set_state(z, d, ZK_SYN_SENT);
		if ((fl & TH_FIN) && !(fl & TH_RST)) {
			set_state(z, d, ZK_CLOSED);
			if (z->st[p] == ZK_RESET && z->prev_st[p] == ZK_CLOSED)
				set_state(z, p, ZK_CLOSED);
		}
		if (fl & TH_RST)
			set_state(z, d, ZK_RESET);
		break;
	case ZK_CLOSED:
		/* after a FIN exchange a RST does not change the outcome */
		if ((fl & TH_RST) && z->st[p] != ZK_CLOSED)
			set_state(z, d, ZK_RESET);
		break;
	default:
		break;
	}
}

/*
 * Nothing beyond what the sender had already sent: a retransmission. Only
 * payload-carrying segments count, and not from a RESET endpoint or one
 * that never sent before.
 */
static inline bool is_rxmit(const struct tcp_seg *sg, const struct tcp_side *prev)
{
	uint32_t end = sg->seq + sg->len + ((sg->flags & TH_SYN) ? 1u : 0u) +
		       ((sg->flags & TH_FIN) ? 1u : 0u);

	return (prev->flags & TSF_NXT) && sg->len > 0 &&
	       (((end - prev->snd_nxt) & 0x80000000u) != 0 || end == prev->snd_nxt);
}

/*
 * The common segment (no SYN, FIN or RST, from an endpoint past INACTIVE)
 * changes no endpoint state: state_machine has nothing to do for it, and of
 * history only the D or A letter can apply. Same letters in the same order
 * as the full path below: C, D/A, W, T.
 */
void zk_tcp_packet(struct zk_conn *z, unsigned dir, const struct tcp_seg *sg,
		   const struct tcp_side *prev, bool bad_checksum)
{
	unsigned d = dir & 1;
	uint16_t fl = sg->flags;

	if (!(fl & (TH_SYN | TH_FIN | TH_RST)) && z->st[d] != ZK_INACTIVE) {
		uint32_t len = sg->len;
		/* D or A (neither: no bit) in this direction's half of seen */
		unsigned want = (len > 0 ? ZH_DATA : (fl & TH_ACK) ? ZH_ACK : 0u) << (d * 8);

		if (bad_checksum)
			scaled(z, d, ZC_CSUM, 'C');
		if ((z->seen & want) != want) {
			z->seen = (uint16_t)(z->seen | want);
			add_letter(z, d, len > 0 ? 'D' : 'A');
		}
		if (z->st[d] != ZK_RESET) {
			if (sg->win == 0 && z->st[d ^ 1] != ZK_CLOSED)
				scaled(z, d, ZC_ZEROWIN, 'W');
			/* is_rxmit without SYN and FIN */
			if (len > 0 && (prev->flags & TSF_NXT) &&
			    seq_leq(sg->seq + len, prev->snd_nxt))
				scaled(z, d, ZC_RXMIT, 'T');
		}
		return;
	}

	if (bad_checksum)
		scaled(z, d, ZC_CSUM, 'C');
	if (fl & TH_FIN)
		z->seen = (uint16_t)(z->seen | (ZH_FIN_ANY << (d * 8)));
	history(z, sg, prev, d);

	if (sg->win == 0 && !(fl & TH_RST) && z->st[d ^ 1] != ZK_CLOSED &&
	    z->st[d] != ZK_RESET)
		scaled(z, d, ZC_ZEROWIN, 'W');

	if (!(fl & TH_RST) && z->st[d] != ZK_RESET && is_rxmit(sg, prev))
		scaled(z, d, ZC_RXMIT, 'T');

	state_machine(z, sg, d);
}

/* ---- sequence extent (Zeek's TCP_Endpoint::Size) ------------------------ */

/* TOO_LARGE_SEQ_DELTA of Zeek's TCP analyzer: 1 MiB */
#define ZK_TOO_LARGE 1048576u

/* Does Zeek start this endpoint's numbering over at this SYN? Only in
 * these states (init_endpoint), where the SYN's seq becomes the start. */
static bool syn_rebases(const struct zk_conn *z, unsigned d, const struct tcp_seg *sg,
			const struct tcp_side *sender)
{
	switch (z->st[d]) {
	case ZK_SYN_SENT:
	case ZK_SYN_ACK_SENT:
		return sg->seq != sender->isn;
	case ZK_ESTABLISHED:
	case ZK_PARTIAL:
		return true;
	case ZK_RESET:
		return z->prev_st[d] == ZK_INACTIVE;
	default:
		return false;
	}
}

void zk_tcp_extent_(struct zk_conn *z, unsigned dir, const struct tcp_seg *sg,
		    const struct tcp_side *sender, const struct tcp_side *peer,
		    uint64_t ext[2])
{
	unsigned d = dir & 1, p = d ^ 1;
	uint16_t fl = sg->flags;
	uint8_t at_start = (uint8_t)(ZK_SEQ_AT_START << d);
	uint32_t base = tcp_base_after(sender, sg);
	/* the sequence space the segment takes; a RST's payload is not stream */
	uint32_t seglen = ((fl & TH_RST) ? 0u : sg->len) + ((fl & TH_SYN) ? 1u : 0u) +
			  ((fl & TH_FIN) ? 1u : 0u);
	uint32_t end = sg->seq + seglen;

	if (z->st[d] == ZK_INACTIVE || ((fl & TH_SYN) && syn_rebases(z, d, sg, sender))) {
		/* Zeek's start is the SYN's seq, or seq - 1 without SYN, and
		 * its last the segment's end */
		ext[d] = 0;
		zk_ext_forward(&ext[d], base, end);
		if (seglen == ((fl & TH_SYN) ? 1u : 0u))
			z->seqflags |= at_start;
		else
			z->seqflags &= (uint8_t)~at_start;
	} else {
		uint32_t hw, last, delta;

		if (base != sender->isn) {
			/* tcpstate re-based (a SYN) where Zeek does not: the
			 * same reach, from the new base */
			hw = sender->isn + (uint32_t)ext[d];
			ext[d] = 0;
			zk_ext_forward(&ext[d], base, hw);
		}
		hw = base + (uint32_t)ext[d];
		/* Zeek compares with its last_seq: known while it is start + 1,
		 * else the reach (the higher of it and the peer's ACK) stands in */
		last = (z->seqflags & at_start) ? base + 1 : hw;
		delta = end - last;
		if ((fl & (TH_SYN | TH_RST)) && delta + ZK_TOO_LARGE > 2 * ZK_TOO_LARGE) {
			;                       /* a SYN or RST far away: not trusted */
		} else if ((fl & TH_FIN) && (z->seqflags & at_start)) {
			/* only the SYN before: the FIN counts at any distance */
			if ((uint32_t)(end - base) > ext[d])
				ext[d] = (uint32_t)(end - base);
			if (end != base + 1)
				z->seqflags &= (uint8_t)~at_start;
		} else if (z->st[d] != ZK_RESET && delta != 0 && !(delta & 0x80000000u)) {
			zk_ext_forward(&ext[d], base, end);
			z->seqflags &= (uint8_t)~at_start;
		}
	}

	if ((fl & (TH_ACK | TH_RST)) == TH_ACK && z->st[p] != ZK_INACTIVE) {
		uint32_t delta = sg->ack - (peer->isn + (uint32_t)ext[p]);

		/* an ACK of 0 far ahead is more likely broken than a wrap */
		if (sg->ack != 0 || delta <= ZK_TOO_LARGE || (delta & 0x80000000u))
			zk_ext_forward(&ext[p], peer->isn, sg->ack);
	}
}

uint64_t zk_tcp_bytes(const struct zk_conn *z, unsigned dir, uint64_t ext, bool data_acked)
{
	unsigned d = dir & 1;

	if (z->st[d] == ZK_INACTIVE)
		return 0;
	if (z->prev_st[d] == ZK_SYN_SENT && z->st[d] == ZK_RESET &&
	    z->st[d ^ 1] == ZK_INACTIVE && data_acked)
		return 0;
	if (ext != 0)
		ext--;                          /* the SYN octet (or the one before a partial start) */
	if ((z->seen & (ZH_FIN_ANY << (d * 8))) && ext != 0)
		ext--;                          /* the FIN octet */
	return ext;
}

void zk_udp_packet(struct zk_conn *z, unsigned dir, bool bad_checksum)
{
	unsigned d = dir & 1;

	if (bad_checksum)
		scaled(z, d, ZC_CSUM, 'C');
	once(z, d, ZH_DATA, 'D');
	set_state(z, d, ZK_UDP_ACTIVE);
}

/* Zeek's /^\^?S[^HAFGIQ]*R.*$/ on the history. */
static bool matches_rstos0(const struct zk_conn *z)
{
	unsigned i = 0;

	if (i < z->hist_len && z->hist[i] == '^')
		i++;
	if (i >= z->hist_len || z->hist[i] != 'S')
		return false;
	for (i++; i < z->hist_len; i++) {
		char c = z->hist[i];

		if (c == 'R')
			return true;
		if (c == 'H' || c == 'A' || c == 'F' || c == 'G' || c == 'I' || c == 'Q')
			return false;
	}
	return false;
}

const char *zk_conn_state(const struct zk_conn *z, bool is_tcp,
			  uint64_t orig_bytes, uint64_t resp_bytes)
{
	enum zk_ep os = (enum zk_ep)z->st[ZK_ORIG], rs = (enum zk_ep)z->st[ZK_RESP];
	bool o_inactive = os == ZK_INACTIVE || os == ZK_PARTIAL;
	bool r_inactive = rs == ZK_INACTIVE || rs == ZK_PARTIAL;

	if (!is_tcp) {
		if (os == ZK_UDP_ACTIVE)
			return rs == ZK_UDP_ACTIVE ? "SF" : "S0";
		return rs == ZK_UDP_ACTIVE ? "SHR" : "OTH";
	}
	if (rs == ZK_RESET) {
		if (os == ZK_SYN_SENT || os == ZK_SYN_ACK_SENT ||
		    (os == ZK_RESET && orig_bytes == 0 && resp_bytes == 0))
			return "REJ";
		return o_inactive ? "RSTRH" : "RSTR";
	}
	if (os == ZK_RESET) {
		if (r_inactive)
			return matches_rstos0(z) ? "RSTOS0" : "OTH";
		return "RSTO";
	}
	if (rs == ZK_CLOSED && os == ZK_CLOSED)
		return "SF";
	if (os == ZK_CLOSED)
		return r_inactive ? "SH" : "S2";
	if (rs == ZK_CLOSED)
		return o_inactive ? "SHR" : "S3";
	if (os == ZK_SYN_SENT && rs == ZK_INACTIVE)
		return "S0";
	if (os == ZK_ESTABLISHED && rs == ZK_ESTABLISHED)
		return "S1";
	return "OTH";
}

char *zk_history(const struct zk_conn *z, char *buf)
{
	memcpy(buf, z->hist, z->hist_len);
	buf[z->hist_len] = '\0';
	return buf;
}
