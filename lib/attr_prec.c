/* attr_prec.c — the partition record codec: one event (or probabilistic
 * touch, query, answer) to its temp-file bytes and back. The format is
 * defined once, in attr_impl.h ("partition records"). */
#include "attr_impl.h"

#include <stdlib.h>

/* ---- record codec ---- */
/* The strings a record carries, in record order (app, source and campaign
 * travel as table indexes). */
static const uint8_t rec_strs[3] = {PS_KEY, PS_NAME, PS_FAM};
static uint8_t *put_str(uint8_t *p, struct unmo_str s)
{
	unmo_st16(p, s.len);
	if (s.len == 16) /* packed UUID keys, event ids: a fixed copy, no call */
		memcpy(p + 2, s.p, 16);
	else if (s.len)
		memcpy(p + 2, s.p, s.len);
	return p + 2 + s.len;
}

static uint8_t *put_ptouch(uint8_t *p, const struct ptouch *t)
{
	*p++ = t->present;
	if (!t->present)
		return p;
	*p++ = t->rt;
	memcpy(p, t->id, 16);
	unmo_st64(p + 16, (uint64_t)t->t);
	unmo_st64(p + 24, (uint64_t)t->recv);
	p = put_str(p + 32, t->src);
	return put_str(p, t->camp);
}

static size_t ptouch_size(const struct ptouch *t)
{
	return t->present ? 1u + 1u + 32u + 2u + t->src.len + 2u + t->camp.len : 1u;
}

size_t prec_size(const struct prec_in *in)
{
	const struct unmo_event *e = in->e;
	size_t n = PREC_FIXED;
	n += in->flags & PF_SEQ ? 16u : 0u;
	n += e && (e->revenue_micros || e->currency[0]) ? 12u : 0u;
	n += in->aux32 || in->aux64 ? 12u : 0u;
	if (e && in->kind != PR_DEV)
		n += e->ip_version == 4 ? 4u : e->ip_version == 6 ? 16u : 0u;
	for (int k = 0; k < 3; k++)
		if (in->s[rec_strs[k]].len)
			n += 2u + in->s[rec_strs[k]].len;
	if (in->kind == PR_ANSWER)
		n += ptouch_size(&in->ans[0]) + ptouch_size(&in->ans[1]);
	return n;
}

size_t prec_encode(uint8_t *dst, const struct prec_in *in)
{
	const struct unmo_event *e = in->e;
	uint8_t *p = dst, flags = in->flags & (PF_RT | PF_SEQ | PF_KEY_UUID | PF_ZEROED), mask = 0;
	bool money = e && (e->revenue_micros || e->currency[0]);
	bool aux = in->aux32 || in->aux64;
	flags |= (money ? PF_MONEY : 0) | (aux ? PF_AUX : 0);
	for (int k = 0; k < 3; k++)
		if (in->s[rec_strs[k]].len)
			mask |= (uint8_t)(1u << rec_strs[k]);
	p[PO_KIND] = in->kind;
	p[PO_TYPE] = in->type;
	p[PO_FLAGS] = flags;
	p[PO_KEY_KIND] = in->key_kind;
	p[PO_IPV] = e && in->kind != PR_DEV ? e->ip_version : 0;
	p[PO_MASK] = mask;
	unmo_st64(p + PO_GHASH, in->ghash);
	if (e) {
		unmo_st64(p + PO_T, (uint64_t)e->event_time_us);
		unmo_st64(p + PO_RECV, (uint64_t)e->recv_time_us);
		memcpy(p + PO_ID, e->event_id, 16);
	} else {
		unmo_st64(p + PO_T, (uint64_t)in->t);
		unmo_st64(p + PO_RECV, 0);
		memcpy(p + PO_ID, in->id, 16);
	}
	unmo_st32(p + PO_APP, in->app);
	unmo_st32(p + PO_SC, in->sc);
	p += PREC_FIXED;
	if (flags & PF_SEQ) {
		unmo_st64(p, e->sender_id);
		unmo_st64(p + 8, e->sequence);
		p += 16;
	}
	if (money) {
		unmo_st64(p, (uint64_t)e->revenue_micros);
		memcpy(p + 8, e->currency, 3);
		p[11] = 0;
		p += 12;
	}
	if (aux) {
		unmo_st32(p, in->aux32);
		unmo_st64(p + 4, in->aux64);
		p += 12;
	}
	uint8_t ipv = dst[PO_IPV];
	size_t il = ipv == 4 ? 4 : ipv == 6 ? 16 : 0;
	if (il) {
		memcpy(p, e->ip, il);
		p += il;
	}
	for (int k = 0; k < 3; k++)
		if (mask & (1u << rec_strs[k]))
			p = put_str(p, in->s[rec_strs[k]]);
	if (in->kind == PR_ANSWER) {
		p = put_ptouch(p, &in->ans[0]);
		p = put_ptouch(p, &in->ans[1]);
	}
	size_t n = (size_t)(p - dst);
	unmo_st16(dst, (uint16_t)n);
	return n;
}

static const uint8_t *get_str(const uint8_t *p, const uint8_t *end, struct unmo_str *s)
{
	if (!p || end - p < 2)
		return NULL;
	uint16_t n = unmo_ld16(p);
	if ((size_t)(end - p - 2) < n)
		return NULL;
	s->p = (const char *)p + 2;
	s->len = n;
	return p + 2 + n;
}

static const uint8_t *get_ptouch(const uint8_t *p, const uint8_t *end, struct ptouch *t)
{
	if (!p || p >= end)
		return NULL;
	memset(t, 0, sizeof *t);
	t->present = *p++;
	if (!t->present)
		return p;
	if (end - p < 33)
		return NULL;
	t->rt = *p++;
	memcpy(t->id, p, 16);
	t->t = (int64_t)unmo_ld64(p + 16);
	t->recv = (int64_t)unmo_ld64(p + 24);
	p = get_str(p + 32, end, &t->src);
	return get_str(p, end, &t->camp);
}

void prec_answer(const struct ev *e, struct ptouch out[2])
{
	const uint8_t *end = e->raw + e->rawlen;
	const uint8_t *p = get_ptouch(e->tail, end, &out[0]);
	get_ptouch(p, end, &out[1]); /* validated by prec_decode_all */
}

/* Decoded records (answers, tests) in big_alloc memory. */
static int evvec_grow(struct evvec *v)
{
	size_t cap = v->cap ? v->cap * 2 : ((size_t)2 << 20) / sizeof(struct ev);
	struct ev *n = big_alloc(cap * sizeof *n);
	if (!n)
		return -1;
	if (v->n)
		memcpy(n, v->v, v->n * sizeof *n);
	big_free(v->v, v->cap * sizeof *v->v);
	v->v = n;
	v->cap = cap;
	return 0;
}

void evvec_free(struct evvec *v)
{
	big_free(v->v, v->cap * sizeof *v->v);
	memset(v, 0, sizeof *v);
}

size_t sc_key(uint8_t *key, struct unmo_str src, struct unmo_str camp)
{
	if (!src.len && !camp.len)
		return 0;
	unmo_st16(key, src.len);
	if (src.len)
		memcpy(key + 2, src.p, src.len);
	if (camp.len)
		memcpy(key + 2 + src.len, camp.p, camp.len);
	return 2u + src.len + camp.len;
}

/* The app, source and campaign views of e (from the tables). */
static inline void ev_table_strs(struct ev *e, const struct attr_apps *apps, const struct attr_apps *scs)
{
	e->s[PS_APP] = apps->v[e->app];
	sc_names(scs->v[e->sc], &e->s[PS_SRC], &e->s[PS_CAMP]);
}

/* The rest of a PREC_SIMPLE record r (header fields already in e). */
static inline void decode_simple(struct ev *e, const uint8_t *r, const struct attr_apps *apps,
				 const struct attr_apps *scs)
{
	e->sender = e->seq = 0;
	e->revenue = 0;
	memset(e->cur, 0, 4);
	e->aux32 = 0;
	e->aux64 = 0;
	e->ip = r + PREC_FIXED;
	e->s[PS_KEY] = (struct unmo_str){(const char *)r + PREC_FIXED + 2, 16};
	e->s[PS_NAME] = e->s[PS_FAM] = (struct unmo_str){NULL, 0};
	ev_table_strs(e, apps, scs);
	e->tail = r + PREC_SIMPLE;
	e->row = NULL;
	e->raw = r;
	e->rawlen = PREC_SIMPLE;
}

size_t prec_decode_one(const uint8_t *r, size_t avail, struct ev *e, const struct attr_apps *apps,
		       const struct attr_apps *scs)
{
	if (avail < PREC_FIXED)
		return 0;
	size_t len = unmo_ld16(r);
	if (len < PREC_FIXED || len > avail)
		return 0;
	const uint8_t *end = r + len;
	e->kind = r[PO_KIND];
	e->type = r[PO_TYPE];
	e->flags = r[PO_FLAGS];
	e->key_kind = r[PO_KEY_KIND];
	e->ipv = r[PO_IPV];
	uint8_t mask = r[PO_MASK];
	e->dead = 0;
	e->ghash = unmo_ld64(r + PO_GHASH);
	e->t = (int64_t)unmo_ld64(r + PO_T);
	e->recv = (int64_t)unmo_ld64(r + PO_RECV);
	memcpy(e->id, r + PO_ID, 16);
	e->app = unmo_ld32(r + PO_APP);
	e->sc = unmo_ld32(r + PO_SC);
	const uint8_t *p = r + PREC_FIXED;
	if (len == PREC_SIMPLE && mask == 1u << PS_KEY && e->kind == PR_DEV && e->ipv == 0 &&
	    !(e->flags & (PF_SEQ | PF_MONEY | PF_AUX)) && unmo_ld16(p) == 16 && e->app < apps->n && e->sc < scs->n) {
		/* prec_put's fixed-store record: the same fields as below,
		 * without the optional parts' branches and bounds checks */
		decode_simple(e, r, apps, scs);
		return len;
	}
	e->sender = e->seq = 0;
	e->revenue = 0;
	memset(e->cur, 0, 4);
	e->aux32 = 0;
	e->aux64 = 0;
	size_t il = e->ipv == 4 ? 4 : e->ipv == 6 ? 16 : 0;
	size_t opt = (e->flags & PF_SEQ ? 16u : 0u) + (e->flags & PF_MONEY ? 12u : 0u) +
		     (e->flags & PF_AUX ? 12u : 0u) + il;
	if ((size_t)(end - p) < opt || (mask >> PSTR_COUNT) ||
	    (mask & (1u << PS_APP | 1u << PS_SRC | 1u << PS_CAMP)) || e->app >= apps->n || e->sc >= scs->n)
		return 0;
	if (e->flags & PF_SEQ) {
		e->sender = unmo_ld64(p);
		e->seq = unmo_ld64(p + 8);
		p += 16;
	}
	if (e->flags & PF_MONEY) {
		e->revenue = (int64_t)unmo_ld64(p);
		memcpy(e->cur, p + 8, 3);
		p += 12;
	}
	if (e->flags & PF_AUX) {
		e->aux32 = unmo_ld32(p);
		e->aux64 = unmo_ld64(p + 4);
		p += 12;
	}
	e->ip = p;
	p += il;
	for (int k = 0; k < 3; k++) {
		struct unmo_str *str = &e->s[rec_strs[k]];
		if (mask & (1u << rec_strs[k]))
			p = get_str(p, end, str);
		else
			*str = (struct unmo_str){NULL, 0};
	}
	ev_table_strs(e, apps, scs);
	e->tail = p;
	e->row = NULL;
	if (e->kind == PR_ANSWER) {
		struct ptouch t[2];
		p = get_ptouch(p, end, &t[0]);
		p = get_ptouch(p, end, &t[1]);
	}
	if (p != end)
		return 0;
	e->raw = r;
	e->rawlen = (uint32_t)len;
	return len;
}

int prec_decode_all(const uint8_t *buf, size_t n, struct evvec *v, const struct attr_apps *apps,
		    const struct attr_apps *scs)
{
	size_t off = 0;
	while (off < n) {
		if (v->n == v->cap && evvec_grow(v))
			return -1;
		size_t len = prec_decode_one(buf + off, n - off, &v->v[v->n], apps, scs);
		if (!len)
			return -1;
		v->n++;
		off += len;
	}
	return 0;
}

/* The record with its app, source and campaign as strings (the layout
 * before they became table indexes): ties are broken on content, never on
 * an index, whose value depends on input order and threads. */
size_t prec_content_bytes(const struct ev *e, uint8_t *out)
{
	const uint8_t *r = e->raw;
	size_t il = e->ipv == 4 ? 4 : e->ipv == 6 ? 16 : 0;
	size_t optip = (size_t)(e->ip + il - (r + PREC_FIXED));
	uint8_t mask = 0;
	for (int i = 0; i < PSTR_COUNT; i++)
		if (e->s[i].len)
			mask |= (uint8_t)(1u << i);
	memcpy(out, r, PO_APP);
	out[PO_MASK] = mask;
	uint8_t *p = out + PO_APP;
	memcpy(p, r + PREC_FIXED, optip);
	p += optip;
	for (int i = 0; i < PSTR_COUNT; i++)
		if (e->s[i].len)
			p = put_str(p, e->s[i]);
	size_t tl = (size_t)(r + e->rawlen - e->tail);
	if (tl)
		memcpy(p, e->tail, tl);
	p += tl;
	size_t n = (size_t)(p - out);
	unmo_st16(out, (uint16_t)n);
	return n;
}
