/* attr_dev.c — the attribution rules over one device's events (one app,
 * one device key), already in group order and deduplicated.
 * docs/attribution.md is the specification; section names in comments. */
#include "attr_impl.h"

#include <stdlib.h>

#define USED 0x2u /* ev->dead bit: touch already credited (re-engagement) */

struct touchv {
	bool present;
	uint8_t match; /* enum unmo_attr_match */
	uint8_t type;
	bool rt;
	uint8_t id[16];
	int64_t t;
	struct unmo_str src, camp;
	struct ev *ev; /* deterministic touches */
};

struct list {
	struct ev **v;
	size_t n;
	struct mt_touch *mt; /* v packed (all touches only; credit_models fills it) */
};

struct devstate {
	bool installed;
	int64_t anchor;         /* start of the re-attribution window */
	int64_t last_install_t; /* latest install-type event */
	struct touchv attr;     /* current attribution (present=false: organic) */
	bool reeng;
	int64_t reeng_end;
	struct touchv reeng_touch;
};

static struct touchv from_ev(struct ev *e, uint8_t match)
{
	struct touchv t = {.present = true, .match = match, .type = e->type, .rt = e->flags & PF_RT,
			   .t = e->t, .src = e->s[PS_SRC], .camp = e->s[PS_CAMP], .ev = e};
	memcpy(t.id, e->id, 16);
	return t;
}

static struct touchv from_ptouch(const struct ptouch *p)
{
	struct touchv t = {.present = true, .match = UNMO_MATCH_PROB_CLICK, .type = UNMO_EV_CLICK,
			   .rt = p->rt, .t = p->t, .src = p->src, .camp = p->camp};
	memcpy(t.id, p->id, 16);
	return t;
}

/* Last element of l with time <= hi (the winner of every tie, by group
 * order), if its time is >= lo ("Windows"). */
static struct ev *best_in(const struct list *l, int64_t lo, int64_t hi)
{
	size_t a = 0, b = l->n; /* first index with t > hi */
	while (a < b) {
		size_t m = (a + b) / 2;
		if (l->v[m]->t <= hi)
			a = m + 1;
		else
			b = m;
	}
	if (a == 0)
		return NULL;
	struct ev *e = l->v[a - 1];
	return e->t >= lo ? e : NULL;
}

static const struct ev *find_answer(const struct group_ctx *g, const struct ev *ins)
{
	size_t a = 0, b = g->nanswers;
	while (a < b) {
		size_t m = (a + b) / 2;
		const struct ev *x = &g->answers[m];
		int c = x->aux64 != ins->ghash ? (x->aux64 < ins->ghash ? -1 : 1) : memcmp(x->id, ins->id, 16);
		if (!c)
			c = x->t != ins->t ? (x->t < ins->t ? -1 : 1) : 0;
		if (c == 0)
			return x;
		if (c < 0)
			a = m + 1;
		else
			b = m;
	}
	return NULL;
}

static int64_t sub_sat(int64_t t, int64_t d)
{
	return t < INT64_MIN + d ? INT64_MIN : t - d;
}

/* "Last-touch waterfall": deterministic click, probabilistic click,
 * deterministic impression, else organic (present=false). */
static struct touchv waterfall(const struct unmo_attr_windows *w, const struct list *clicks,
			       const struct list *imps, const struct ptouch *prob, int64_t t)
{
	struct ev *e = best_in(clicks, sub_sat(t, w->click_lookback_us), t);
	if (e)
		return from_ev(e, UNMO_MATCH_CLICK);
	if (prob && prob->present)
		return from_ptouch(prob);
	if (w->view_through && (e = best_in(imps, sub_sat(t, w->view_lookback_us), t)))
		return from_ev(e, UNMO_MATCH_VIEW);
	return (struct touchv){.present = false, .match = UNMO_MATCH_ORGANIC};
}

static struct agg_acc *ev_row(struct tctx *tc, struct ev *e)
{
	if (!e->row)
		e->row = tc_agg_ev(tc, e);
	return e->row;
}

/* A packed touch's row, and its record's (ev_row), made once. */
static struct agg_acc *mt_row(struct tctx *tc, struct mt_touch *m)
{
	if (!m->row)
		m->row = ev_row(tc, m->ev);
	return m->row;
}

/* The row of event e credited to touch t, or (no touch) to the
 * (fallback, "") pair of e's app: an index (report_ranks_make). */
static struct agg_acc *row_of(struct group_ctx *g, const struct ev *e, const struct touchv *t, uint32_t fallback)
{
	if (t->present && t->ev) /* a touch of this group: same app, its row is cached */
		return ev_row(g->tc, t->ev);
	if (t->present)
		return tc_agg(g->tc, e->s[PS_APP], t->src, t->camp);
	return tc_agg_at(g->tc, e->app, fallback);
}

static void fill_touch(struct tctx *tc, struct unmo_attr_touch *o, const struct touchv *t)
{
	memset(o, 0, sizeof *o);
	o->media_source = o->campaign = "";
	if (!t->present)
		return;
	memcpy(o->event_id, t->id, 16);
	o->type = t->type;
	o->retargeting = t->rt;
	o->time_us = t->t;
	o->media_source = tc_intern(tc, t->src);
	o->campaign = tc_intern(tc, t->camp);
}

bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	void *n = realloc(*p, c * elem);
	if (!n)
		return false;
	*p = n;
	*cap = c;
	return true;
}

/* Rows in a mapping that does not move while it fills (attr_impl.h): a
 * realloc'd array moves its pages (mremap), and on the benchmark VM the
 * first access to each moved 4 KB page afterwards costs ~2.4 us; the sort
 * of the rows and the outputs read them at random (perf/RESULTS.md). The
 * next 2 MB past the rows is prefaulted in one call (2.2 M install rows
 * took 57 k page faults). */
bool grow_rows(void **p, size_t *cap, size_t *ready, size_t *mapped, size_t reserve, size_t need, size_t elem)
{
	if (need > *cap) {
		size_t bytes = reserve > need * elem ? reserve : 2 * need * elem;
		void *n = big_alloc(bytes);
		if (!n && bytes > 2 * need * elem) { /* address space refused (strict overcommit): grow by doubling */
			bytes = 2 * need * elem;
			n = big_alloc(bytes);
		}
		if (!n)
			return false;
		*ready = 0;
		if (*p) {
			memcpy(n, *p, *cap * elem); /* touches what it copies */
			big_free(*p, *mapped);
			*ready = *cap * elem;
		}
		*p = n;
		*cap = bytes / elem;
		*mapped = bytes;
	}
	if (need * elem > *ready) {
		size_t to = *ready + ((size_t)2 << 20);
		if (to > *cap * elem)
			to = *cap * elem;
		prefault((uint8_t *)*p + *ready, to - *ready);
		*ready = to;
	}
	return true;
}

/* One row takes every model's whole credit (one unit) and revenue. */
static void credit_every_model(struct tctx *tc, struct agg_acc *row, bool install, bool has_money,
			       const char cur[3], int64_t revenue)
{
	for (int m = 0; m < UNMO_MODEL_COUNT; m++) {
		if (install)
			row->c.model_installs[m] += UNMO_CREDIT_UNIT;
		else
			row->c.model_conversions[m] += UNMO_CREDIT_UNIT;
	}
	if (has_money)
		agg_add_money_models(tc, row, cur, revenue);
}

/* Time-decay weights of the n touches in[] (tc->tbuf holds their times):
 * those of the last call when it had the same touches of the same device
 * (2^x and its rounding were a fifth of a run crediting 2,000 conversions
 * over the same 200,000 touches). NULL out of memory. */
static const uint64_t *decay_weights(struct tctx *tc, struct mt_touch **in, size_t n, int64_t half_life_us)
{
	if (tc->tdgen == tc->mtgen && tc->tdn == n && tc->tdhalf == half_life_us && tc->tdw &&
	    !memcmp(tc->tdk, in, n * sizeof *in))
		return tc->tdw;
	if (n > tc->tdcap) {
		uint64_t *w = malloc(n * sizeof *w);
		struct mt_touch **k = malloc(n * sizeof *k);
		if (!w || !k) {
			free(w);
			free(k);
			return NULL;
		}
		free(tc->tdw);
		free(tc->tdk);
		tc->tdw = w;
		tc->tdk = k;
		tc->tdcap = n;
	}
	unmo_attr_model_weights(UNMO_MODEL_TIME_DECAY, tc->tbuf, n, half_life_us, tc->tdw);
	memcpy(tc->tdk, in, n * sizeof *in);
	tc->tdn = n;
	tc->tdgen = tc->mtgen;
	tc->tdhalf = half_life_us;
	return tc->tdw;
}

/* "Multi-touch models": credit one conversion (an install when revenue is
 * not given) over the deterministic touches inside its lookback. With no
 * touch, the whole credit goes to the row last-touch chose (fallback). */
static void credit_models(struct group_ctx *g, struct list *touches, int64_t t, bool install,
			  int64_t revenue, const char cur[3], bool has_money, struct agg_acc *fallback)
{
	const struct unmo_attr_windows *w = g->w;
	struct tctx *tc = g->tc;
	int64_t lb = w->click_lookback_us;
	if (w->view_through && w->view_lookback_us > lb)
		lb = w->view_lookback_us;
	if (!touches->mt) { /* the device's first conversion: pack its touches */
		if (!grow((void **)&tc->mt, &tc->mtcap, touches->n ? touches->n : 1, sizeof *tc->mt)) {
			tc->error = 1;
			return;
		}
		for (size_t i = 0; i < touches->n; i++)
			tc->mt[i] = (struct mt_touch){touches->v[i]->t, touches->v[i], touches->v[i]->row,
						      touches->v[i]->type};
		touches->mt = tc->mt;
		tc->mtgen++;
	}
	const struct mt_touch *mt = touches->mt;
	/* first touch with time >= t - lb */
	int64_t lo = sub_sat(t, lb);
	size_t a = 0, b = touches->n;
	while (a < b) {
		size_t m = (a + b) / 2;
		if (mt[m].t < lo)
			a = m + 1;
		else
			b = m;
	}
	size_t n = 0;
	int64_t click_lo = sub_sat(t, w->click_lookback_us), view_lo = sub_sat(t, w->view_lookback_us);
	if (!grow((void **)&tc->scratch, &tc->scratchcap, touches->n - a, sizeof *tc->scratch)) {
		tc->error = 1;
		return;
	}
	for (size_t i = a; i < touches->n && mt[i].t <= t; i++)
		if (mt[i].type == UNMO_EV_CLICK ? mt[i].t >= click_lo : w->view_through && mt[i].t >= view_lo)
			tc->scratch[n++] = &touches->mt[i];
	struct mt_touch **in = tc->scratch;
	if (n <= 1) { /* no touch: the last-touch row; one touch: every model weighs it alone */
		credit_every_model(tc, n ? mt_row(tc, in[0]) : fallback, install, has_money, cur, revenue);
		return;
	}
	if (n > tc->tcap) {
		size_t cap = tc->tcap;
		void *w1 = NULL, *w2 = NULL;
		if (!grow((void **)&tc->tbuf, &cap, n, sizeof(int64_t)) ||
		    !(w1 = realloc(tc->wbuf, cap * sizeof(uint64_t))) ||
		    !(w2 = realloc(tc->obuf, cap * sizeof(int64_t)))) {
			if (w1)
				tc->wbuf = w1;
			tc->error = 1;
			return;
		}
		tc->wbuf = w1;
		tc->obuf = w2;
		tc->tcap = cap;
	}
	for (size_t i = 0; i < n; i++)
		tc->tbuf[i] = in[i]->t;
	struct agg_acc *rows[64], **rowp = n <= 64 ? rows : malloc(n * sizeof *rowp);
	if (!rowp) {
		tc->error = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		rowp[i] = mt_row(tc, in[i]);
	for (int m = 0; m < UNMO_MODEL_COUNT; m++) {
		/* First and last touch weigh one touch only: the split gives
		 * it the whole credit and revenue, added here without it. */
		size_t only = m == UNMO_MODEL_FIRST ? 0 : m == UNMO_MODEL_LAST ? n - 1 : SIZE_MAX;
		if (only != SIZE_MAX) {
			if (install)
				rowp[only]->c.model_installs[m] += UNMO_CREDIT_UNIT;
			else
				rowp[only]->c.model_conversions[m] += UNMO_CREDIT_UNIT;
			if (has_money)
				agg_add_money(tc, rowp[only], cur, 1 + m, revenue);
			continue;
		}
		const uint64_t *wv = m == UNMO_MODEL_TIME_DECAY ? decay_weights(tc, in, n, w->half_life_us) : tc->wbuf;
		if (!wv) {
			tc->error = 1;
			break;
		}
		if (m != UNMO_MODEL_TIME_DECAY)
			unmo_attr_model_weights((enum unmo_attr_model)m, tc->tbuf, n, w->half_life_us, tc->wbuf);
		unmo_attr_split(UNMO_CREDIT_UNIT, wv, n, tc->obuf);
		for (size_t i = 0; i < n; i++) {
			if (install)
				rowp[i]->c.model_installs[m] += tc->obuf[i];
			else
				rowp[i]->c.model_conversions[m] += tc->obuf[i];
		}
		if (!has_money)
			continue;
		unmo_attr_split(revenue, wv, n, tc->obuf);
		for (size_t i = 0; i < n; i++)
			if (wv[i])
				agg_add_money(tc, rowp[i], cur, 1 + m, tc->obuf[i]);
	}
	if (rowp != rows)
		free(rowp);
}

static int click_src_cmp(const void *pa, const void *pb)
{
	const struct ev *a = *(struct ev *const *)pa, *b = *(struct ev *const *)pb;
	int c = unmo_str_cmp(a->s[PS_SRC], b->s[PS_SRC]);
	if (!c)
		c = unmo_str_cmp(a->s[PS_CAMP], b->s[PS_CAMP]);
	if (!c)
		c = ev_order(a, b);
	return c;
}

/* "Fraud flags": a device with >= flood_clicks clicks of one source and
 * campaign inside flood_window counts once as a flood device there. */
static void detect_flood(struct group_ctx *g, const struct list *clicks)
{
	const struct unmo_attr_windows *w = g->w;
	if (clicks->n < w->flood_clicks)
		return;
	struct ev **c = malloc(clicks->n * sizeof *c);
	if (!c) {
		g->tc->error = 1;
		return;
	}
	memcpy(c, clicks->v, clicks->n * sizeof *c);
	qsort(c, clicks->n, sizeof *c, click_src_cmp);
	size_t i = 0;
	while (i < clicks->n) {
		size_t j = i;
		while (j < clicks->n && unmo_str_eq(c[j]->s[PS_SRC], c[i]->s[PS_SRC]) &&
		       unmo_str_eq(c[j]->s[PS_CAMP], c[i]->s[PS_CAMP]))
			j++;
		/* two pointers over [i, j): window [c[k]->t, c[k]->t + flood_window] */
		size_t hi = i;
		for (size_t k = i; k < j; k++) {
			if (hi < k)
				hi = k;
			while (hi < j && c[hi]->t - c[k]->t <= w->flood_window_us)
				hi++;
			if (hi - k >= w->flood_clicks) {
				if (in_range(g->a, c[k]->t))
					ev_row(g->tc, c[k])->c.flood_devices++;
				break;
			}
		}
		i = j;
	}
	free(c);
}

static void install_row(struct group_ctx *g, const struct ev *e, const struct touchv *t, uint8_t outcome,
			int64_t ctit)
{
	struct tctx *tc = g->tc;
	if (!grow_rows((void **)&tc->ins, &tc->capins, &tc->insready, &tc->insmapped, tc->row_reserve, tc->nins + 1,
		       sizeof *tc->ins)) {
		tc->error = 1;
		return;
	}
	struct unmo_attr_install *r = &tc->ins[tc->nins++];
	memset(r, 0, sizeof *r);
	r->app_id = tc_intern(tc, e->s[PS_APP]);
	memcpy(r->event_id, e->id, 16);
	r->install_type = e->type;
	r->key_kind = e->key_kind;
	r->match = t->present ? t->match : UNMO_MATCH_ORGANIC;
	r->outcome = outcome;
	r->time_us = e->t;
	fill_touch(tc, &r->touch, t);
	r->ctit_us = ctit;
	r->fast_ctit = ctit >= 0 && ctit < g->w->fast_ctit_us;
}

/* Whether probabilistic touch t was credited on this device before
 * (compared by content: its answer record differs per install). */
static bool prob_credited(const struct tctx *tc, const struct touchv *t)
{
	for (size_t i = 0; i < tc->npcred; i++) {
		const struct pcredit *p = &tc->pcred[i];
		if (p->t == t->t && !memcmp(p->id, t->id, 16) && unmo_str_eq(p->src, t->src) &&
		    unmo_str_eq(p->camp, t->camp))
			return true;
	}
	return false;
}

static void prob_credit(struct tctx *tc, const struct touchv *t)
{
	if (tc->npcred == tc->pcredcap) {
		size_t cap = tc->pcredcap ? 2 * tc->pcredcap : 8;
		struct pcredit *n = realloc(tc->pcred, cap * sizeof *n);
		if (!n) {
			tc->error = 1;
			return;
		}
		tc->pcred = n;
		tc->pcredcap = cap;
	}
	struct pcredit *p = &tc->pcred[tc->npcred++];
	memcpy(p->id, t->id, 16);
	p->t = t->t;
	p->src = t->src;
	p->camp = t->camp;
}

static void on_install(struct group_ctx *g, struct devstate *st, struct ev *e, struct list *l)
{
	const struct unmo_attr_windows *w = g->w;
	const struct ev *ansev = find_answer(g, e);
	struct ptouch ansbuf[2], *ans = NULL;
	if (ansev) {
		prec_answer(ansev, ansbuf);
		ans = ansbuf;
	}
	struct touchv t;
	uint8_t outcome;
	/* "Reinstalls and re-attribution" */
	if (!st->installed || e->t - st->anchor > w->reattribution_us) {
		t = waterfall(w, &l[0], &l[1], ans ? &ans[0] : NULL, e->t);
		outcome = UNMO_OUT_NEW_INSTALL;
		st->anchor = e->t;
		st->installed = true;
	} else {
		t = waterfall(w, &l[2], &l[3], ans ? &ans[1] : NULL, e->t);
		/* a touch credited before (to an install, a re-attribution or a
		 * re-engagement) is not credited again: one retargeting click
		 * re-attributes one reinstall. Probabilistic touches belong to no
		 * group: they are compared by content with those credited here.
		 * (The current attribution is one of the two kinds.) */
		if (t.present && (t.ev ? (t.ev->dead & USED) != 0 : prob_credited(g->tc, &t)))
			t.present = false;
		outcome = t.present ? UNMO_OUT_REATTRIBUTION : UNMO_OUT_REINSTALL;
		if (!t.present)
			t = st->attr;
	}
	st->last_install_t = e->t;
	if (outcome != UNMO_OUT_REINSTALL) {
		st->attr = t;
		st->reeng = false;
		if (t.ev)
			t.ev->dead |= USED;
		else if (t.present)
			prob_credit(g->tc, &t);
	}
	if (!in_range(g->a, e->t))
		return;
	struct tctx *tc = g->tc;
	struct agg_acc *row = row_of(g, e, &t, g->a->sc_organic);
	int64_t ctit = -1;
	if (outcome == UNMO_OUT_REINSTALL) {
		row->c.reinstalls++;
		tc->st.reinstalls++;
	} else {
		if (outcome == UNMO_OUT_REATTRIBUTION) {
			row->c.reattributions++;
			tc->st.reattributions++;
		} else {
			tc->st.installs++;
			switch (t.present ? t.match : UNMO_MATCH_ORGANIC) {
			case UNMO_MATCH_CLICK: row->c.installs_click++; break;
			case UNMO_MATCH_PROB_CLICK: row->c.installs_prob++; break;
			case UNMO_MATCH_VIEW: row->c.installs_view++; break;
			default: row->c.installs_organic++; break;
			}
		}
		if (t.present && t.type == UNMO_EV_CLICK) {
			ctit = e->t - t.t;
			agg_add_ctit(tc, row, ctit);
			if (ctit < w->fast_ctit_us)
				row->c.fast_ctit++;
		}
		credit_models(g, &l[4], e->t, true, 0, "\0\0", false, row);
	}
	install_row(g, e, &t, outcome, ctit);
}

/* "Re-engagement": an app open (session or re-engagement event) of an
 * installed device, with a retargeting click not yet credited, received
 * after its latest install and inside retarget_click before the open. */
static void on_open(struct group_ctx *g, struct devstate *st, struct ev *e, const struct list *l)
{
	if (!st->installed)
		return;
	struct ev *c = best_in(&l[2], sub_sat(e->t, g->w->retarget_click_us), e->t);
	if (!c || (c->dead & USED) || c->t < st->last_install_t)
		return;
	c->dead |= USED;
	st->reeng = true;
	st->reeng_end = e->t > INT64_MAX - g->w->reengagement_us ? INT64_MAX : e->t + g->w->reengagement_us;
	st->reeng_touch = from_ev(c, UNMO_MATCH_CLICK);
	if (in_range(g->a, e->t)) {
		ev_row(g->tc, c)->c.reengagements++;
		g->tc->st.reengagements++;
	}
}

static void on_conversion(struct group_ctx *g, struct devstate *st, struct ev *e, struct list *l)
{
	if (!in_range(g->a, e->t))
		return;
	struct tctx *tc = g->tc;
	uint8_t via = 0;
	struct touchv t = {0};
	if (st->reeng && e->t <= st->reeng_end) {
		via = 2;
		t = st->reeng_touch;
	} else if (st->installed) {
		via = 1;
		t = st->attr;
	}
	struct agg_acc *row = row_of(g, e, &t, via ? g->a->sc_organic : g->a->sc_none);
	row->c.conversions++;
	tc->st.conversions++;
	if (!via)
		tc->st.conversions_unattributed++;
	bool money = e->revenue != 0 || e->cur[0];
	if (money)
		agg_add_money(tc, row, e->cur, 0, e->revenue);
	credit_models(g, &l[4], e->t, false, e->revenue, e->cur, money, row);
	if (!g->a->o.keep_conversions)
		return;
	if (!grow_rows((void **)&tc->conv, &tc->capconv, &tc->convready, &tc->convmapped, tc->row_reserve,
		       tc->nconv + 1, sizeof *tc->conv)) {
		tc->error = 1;
		return;
	}
	struct unmo_attr_conversion *r = &tc->conv[tc->nconv++];
	memset(r, 0, sizeof *r);
	r->app_id = tc_intern(tc, e->s[PS_APP]);
	r->event_name = tc_intern(tc, e->s[PS_NAME]);
	memcpy(r->event_id, e->id, 16);
	r->time_us = e->t;
	r->revenue_micros = e->revenue;
	memcpy(r->currency, e->cur, 3);
	r->via = via;
	fill_touch(tc, &r->touch, &t);
}

void attr_device_group(struct group_ctx *g, struct ev **evs, size_t n)
{
	/* l[0] clicks, l[1] impressions, l[2] retargeting clicks,
	 * l[3] retargeting impressions, l[4] all touches (group order) */
	struct ev *small[5][16];
	struct ev **buf = n <= 16 ? NULL : malloc(5 * n * sizeof *buf);
	if (n > 16 && !buf) {
		g->tc->error = 1;
		return;
	}
	struct list l[5];
	for (int k = 0; k < 5; k++)
		l[k] = (struct list){buf ? buf + (size_t)k * n : small[k], 0, NULL};
	for (size_t i = 0; i < n; i++) {
		struct ev *e = evs[i];
		if ((e->dead & 1) || !(e->type == UNMO_EV_CLICK || e->type == UNMO_EV_IMPRESSION))
			continue;
		bool click = e->type == UNMO_EV_CLICK;
		l[click ? 0 : 1].v[l[click ? 0 : 1].n++] = e;
		if (e->flags & PF_RT)
			l[click ? 2 : 3].v[l[click ? 2 : 3].n++] = e;
		l[4].v[l[4].n++] = e;
		if (in_range(g->a, e->t)) {
			struct agg_acc *r = ev_row(g->tc, e);
			if (click)
				r->c.clicks++;
			else
				r->c.impressions++;
		}
	}
	detect_flood(g, &l[0]);
	struct devstate st = {0};
	g->tc->npcred = 0;
	for (size_t i = 0; i < n; i++) {
		struct ev *e = evs[i];
		if (e->dead & 1)
			continue;
		switch (e->type) {
		case UNMO_EV_INSTALL:
		case UNMO_EV_REINSTALL:
			on_install(g, &st, e, l);
			break;
		case UNMO_EV_SESSION:
		case UNMO_EV_REENGAGEMENT:
			on_open(g, &st, e, l);
			break;
		case UNMO_EV_CONVERSION:
			on_conversion(g, &st, e, l);
			break;
		default:
			break;
		}
	}
	free(buf);
}
