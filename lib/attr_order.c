/* attr_order.c — the order of a partition's events: index of its records
 * by group hash, sorting of one group's events into the rules' order, and
 * duplicate detection. Every order here depends on event content only, so
 * the answer never depends on input order (docs/attribution.md). */
#include "attr_impl.h"

#include <stdlib.h>

/* ---- ordering ---- */
static int type_rank(uint8_t type)
{
	switch (type) {
	case UNMO_EV_IMPRESSION: return 0;
	case UNMO_EV_CLICK: return 1;
	case UNMO_EV_INSTALL: return 2;
	case UNMO_EV_REINSTALL: return 3;
	case UNMO_EV_SESSION: return 4;
	case UNMO_EV_REENGAGEMENT: return 5;
	case UNMO_EV_CONVERSION: return 6;
	default: return 7;
	}
}

/* Content compare ignoring the receive time (bytes PO_RECV..PO_ID). */
static int raw_cmp(const struct ev *a, const struct ev *b)
{
	if (a->app != b->app || a->sc != b->sc) { /* rare: equal time, type, receive time and id */
		static _Thread_local uint8_t ba[PREC_MAX], bb[PREC_MAX];
		size_t na = prec_content_bytes(a, ba), nb = prec_content_bytes(b, bb);
		if (na != nb)
			return na < nb ? -1 : 1;
		int c = memcmp(ba, bb, PO_RECV);
		return c ? c : memcmp(ba + PO_ID, bb + PO_ID, na - PO_ID);
	}
	/* same app and pair: these bytes order like the string layout (the
	 * strings left out are equal and would sit at the same places) */
	if (a->rawlen != b->rawlen)
		return a->rawlen < b->rawlen ? -1 : 1;
	int c = memcmp(a->raw, b->raw, PO_RECV);
	if (c)
		return c;
	return memcmp(a->raw + PO_ID, b->raw + PO_ID, a->rawlen - PO_ID);
}

int ev_order(const struct ev *a, const struct ev *b)
{
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	int ra = type_rank(a->type), rb = type_rank(b->type);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->kind != b->kind) /* in probabilistic groups touches come before queries */
		return a->kind == PR_PTOUCH ? -1 : 1;
	if (a->recv != b->recv)
		return a->recv < b->recv ? -1 : 1;
	int c = memcmp(a->id, b->id, 16);
	if (c)
		return -c; /* lower id later: it wins ties */
	return raw_cmp(a, b);
}

static int group_cmp(const struct ev *a, const struct ev *b)
{
	int c = unmo_str_cmp(a->s[PS_APP], b->s[PS_APP]);
	if (c)
		return c;
	if (a->kind == PR_DEV || b->kind == PR_DEV) {
		if (a->key_kind != b->key_kind)
			return a->key_kind < b->key_kind ? -1 : 1;
		if ((a->flags & PF_KEY_UUID) != (b->flags & PF_KEY_UUID))
			return (a->flags & PF_KEY_UUID) < (b->flags & PF_KEY_UUID) ? -1 : 1;
		return unmo_str_cmp(a->s[PS_KEY], b->s[PS_KEY]);
	}
	if (a->ipv != b->ipv)
		return a->ipv < b->ipv ? -1 : 1;
	c = memcmp(a->ip, b->ip, a->ipv == 4 ? 4 : a->ipv == 6 ? 16 : 0);
	if (c)
		return c;
	return unmo_str_cmp(a->s[PS_FAM], b->s[PS_FAM]);
}

/* group_cmp(a, b) == 0, without ordering: the per-event check that a run
 * of equal hashes is one group (so results never depend on hashes). */
static inline bool group_eq(const struct ev *a, const struct ev *b)
{
	if (a->app != b->app) /* interned: equal indexes, equal strings */
		return false;
	if (a->kind == PR_DEV || b->kind == PR_DEV)
		return a->key_kind == b->key_kind && !((a->flags ^ b->flags) & PF_KEY_UUID) &&
		       str_eq_fast(a->s[PS_KEY], b->s[PS_KEY]);
	return a->ipv == b->ipv && bytes_eq(a->ip, b->ip, a->ipv == 4 ? 4 : a->ipv == 6 ? 16 : 0) &&
	       str_eq_fast(a->s[PS_FAM], b->s[PS_FAM]);
}

bool ev_same_group(const struct ev *a, const struct ev *b)
{
	return a->ghash == b->ghash && group_eq(a, b);
}

static int full_cmp(const void *pa, const void *pb)
{
	const struct ev *a = *(struct ev *const *)pa, *b = *(struct ev *const *)pb;
	if (a->ghash != b->ghash)
		return a->ghash < b->ghash ? -1 : 1;
	int c = group_cmp(a, b);
	return c ? c : ev_order(a, b);
}

static int order_cmp(const void *pa, const void *pb)
{
	return ev_order(*(struct ev *const *)pa, *(struct ev *const *)pb);
}

/* Events of one group into group order: insertion sort for the usual
 * handful, qsort for devices with many events. */
static void sort_run(struct ev **p, size_t n)
{
	if (n > 24) {
		qsort(p, n, sizeof *p, order_cmp);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct ev *x = p[i];
		size_t j = i;
		/* time first, inline (ev_order's first key; it decides most) */
		while (j > 0 && (p[j - 1]->t > x->t || (p[j - 1]->t == x->t && ev_order(p[j - 1], x) > 0))) {
			p[j] = p[j - 1];
			j--;
		}
		p[j] = x;
	}
}

void sort_scratch_free(struct sort_scratch *s)
{
	big_free(s->keys, 2 * s->keycap * sizeof(struct hk));
	free(s->cnt);
	memset(s, 0, sizeof *s);
}

/* Index one run of whole records; false when one is malformed. */
static bool index_records(const uint8_t *p, size_t n, struct hk *in, size_t *k, uint32_t *cnt, unsigned bits)
{
	size_t off = 0, i = *k;
	while (off < n) {
		size_t len = n - off >= PREC_FIXED ? unmo_ld16(p + off) : 0;
		if (len < PREC_FIXED || len > n - off)
			return false;
		uint64_t h = unmo_ld64(p + off + PO_GHASH);
		in[i++] = (struct hk){h, p + off};
		cnt[(h >> (64 - bits)) + 1]++;
		off += len;
	}
	*k = i;
	return true;
}

/* Group hashes are uniform: one counting pass on their top bits puts every
 * record in a bucket of about one, an insertion sort over the whole array
 * finishes (elements are at most a bucket away). The records are only
 * read for their length and hash, in memory order. */
const struct hk *part_index(const struct part_view *pv, struct sort_scratch *s, size_t *nout)
{
	size_t bytes = pv->sn, n = 0;
	for (size_t i = 0; i < pv->nsegs; i++)
		bytes += pv->segs[i].n;
	size_t nmax = bytes / PREC_FIXED + 1; /* every record has its fixed part */
	unsigned bits = 1;
	while (bits < 20 && ((size_t)2 << bits) < nmax)
		bits++;
	size_t nb = (size_t)1 << bits;
	if (s->keycap < nmax) { /* room for the keys and their counting-sort input */
		big_free(s->keys, 2 * s->keycap * sizeof(struct hk));
		s->keys = big_alloc(2 * nmax * sizeof(struct hk));
		s->keycap = s->keys ? nmax : 0;
	}
	if (s->cntcap < nb + 1) {
		free(s->cnt);
		s->cnt = malloc((nb + 1) * sizeof *s->cnt);
		s->cntcap = s->cnt ? nb + 1 : 0;
	}
	struct hk *a = s->keys, *in = a + nmax;
	uint32_t *cnt = s->cnt;
	if (!a || !cnt)
		return NULL;
	memset(cnt, 0, (nb + 1) * sizeof *cnt);
	if (!index_records(pv->sbuf, pv->sn, in, &n, cnt, bits))
		return NULL;
	for (size_t i = 0; i < pv->nsegs; i++)
		if (!index_records(pv->segs[i].p, pv->segs[i].n, in, &n, cnt, bits))
			return NULL;
	for (size_t b = 0; b < nb; b++)
		cnt[b + 1] += cnt[b];
	for (size_t i = 0; i < n; i++)
		a[cnt[in[i].h >> (64 - bits)]++] = in[i];
	for (size_t i = 1; i < n; i++) {
		struct hk x = a[i];
		size_t j = i;
		while (j > 0 && a[j - 1].h > x.h) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
	*nout = n;
	return a;
}

bool ev_sort_run(struct ev **p, size_t n)
{
	bool mixed = false;
	for (size_t j = 1; j < n; j++)
		mixed |= !group_eq(p[j], p[0]);
	if (mixed)
		qsort(p, n, sizeof *p, full_cmp);
	else
		sort_run(p, n);
	return mixed;
}

static inline bool id_zero(const uint8_t id[16])
{
	uint64_t x, y;
	memcpy(&x, id, 8);
	memcpy(&y, id + 8, 8);
	return (x | y) == 0;
}

static inline bool id_eq(const uint8_t a[16], const uint8_t b[16])
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	return a0 == b0 && a1 == b1;
}

static bool is_dup(const struct ev *a, const struct ev *b)
{
	bool za = id_zero(a->id), zb = id_zero(b->id);
	if (!za && !zb)
		return id_eq(a->id, b->id);
	if (za && zb && a->sender && a->sender == b->sender && a->seq == b->seq)
		return raw_cmp(a, b) == 0;
	return false;
}

static int id_cmp(const void *pa, const void *pb)
{
	const struct ev *a = *(struct ev *const *)pa, *b = *(struct ev *const *)pb;
	int c = memcmp(a->id, b->id, 16);
	if (c)
		return c;
	if (a->sender != b->sender)
		return a->sender < b->sender ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	c = raw_cmp(a, b);
	if (c)
		return c;
	/* equal content: keep the first in group order (earliest received) */
	c = ev_order(a, b);
	return c;
}

/* True when no two records of g can be duplicates (idset_add). Most
 * groups pass and skip the pairwise check, which costs n^2 / 2 compares.
 * n <= 48. */
static bool ids_distinct(struct ev **g, size_t n)
{
	struct idset set = {{0}};
	for (size_t i = 0; i < n; i++)
		if (!idset_add(&set, g[i]->id))
			return false;
	return true;
}

uint64_t ev_dedup_group(struct ev **g, size_t n)
{
	uint64_t dups = 0;
	/* large groups are sorted by id; without memory for that, they are
	 * compared pairwise like small ones (slower, the same answer) */
	struct ev **c = n > 48 ? malloc(n * sizeof *c) : NULL;
	if (!c) {
		if (n > 8 && n <= 48 && ids_distinct(g, n))
			return 0;
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (!g[j]->dead && is_dup(g[j], g[i])) {
					g[i]->dead = 1;
					dups++;
					break;
				}
		return dups;
	}
	memcpy(c, g, n * sizeof *c);
	qsort(c, n, sizeof *c, id_cmp);
	/* runs of equal id: keep the copy first in group order */
	size_t i = 0;
	while (i < n) {
		size_t j = i + 1;
		while (j < n && is_dup(c[i], c[j]))
			j++;
		if (j - i > 1) {
			struct ev *keep = c[i];
			for (size_t k = i + 1; k < j; k++)
				if (ev_order(c[k], keep) < 0)
					keep = c[k];
			for (size_t k = i; k < j; k++)
				if (c[k] != keep) {
					c[k]->dead = 1;
					dups++;
				}
		}
		i = j;
	}
	free(c);
	return dups;
}
