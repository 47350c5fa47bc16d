/* attr_prob.c — probabilistic candidates: touches without any device id,
 * grouped by (app, IP address, UA family), against the installs that carry
 * the same IP and family. Each install gets one answer record (best click,
 * best retargeting click inside prob_window) sent to its device partition,
 * where the waterfall decides whether it is used. */
#include "attr_impl.h"

#include <stdlib.h>

static const struct ev *best_click(struct ev **v, size_t n, int64_t lo, int64_t hi)
{
	size_t a = 0, b = n;
	while (a < b) {
		size_t m = (a + b) / 2;
		if (v[m]->t <= hi)
			a = m + 1;
		else
			b = m;
	}
	return a && v[a - 1]->t >= lo ? v[a - 1] : NULL;
}

static void to_ptouch(struct ptouch *p, const struct ev *e)
{
	memset(p, 0, sizeof *p);
	if (!e)
		return;
	p->present = true;
	p->rt = e->flags & PF_RT;
	memcpy(p->id, e->id, 16);
	p->t = e->t;
	p->recv = e->recv;
	p->src = e->s[PS_SRC];
	p->camp = e->s[PS_CAMP];
}

void attr_prob_group(struct group_ctx *g, struct ev **evs, size_t n, struct spool *answers)
{
	struct tctx *tc = g->tc;
	struct ev **clicks = malloc(2 * n * sizeof *clicks);
	if (!clicks) {
		tc->error = 1;
		return;
	}
	struct ev **rt = clicks + n;
	size_t nc = 0, nrt = 0;
	if (!tc->recbuf && !(tc->recbuf = malloc(PREC_MAX))) {
		free(clicks);
		tc->error = 1;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct ev *e = evs[i];
		if (e->dead & 1)
			continue;
		if (e->kind == PR_PTOUCH) {
			if (in_range(g->a, e->t)) {
				struct agg_acc *r = e->row ? e->row : tc_agg(tc, e->s[PS_APP], e->s[PS_SRC], e->s[PS_CAMP]);
				if (e->type == UNMO_EV_CLICK)
					r->c.clicks++;
				else
					r->c.impressions++;
			}
			if (e->type == UNMO_EV_CLICK) {
				clicks[nc++] = e;
				if (e->flags & PF_RT)
					rt[nrt++] = e;
			}
			continue;
		}
		if (e->kind != PR_QUERY)
			continue;
		/* touches at the install's own microsecond sort before it, so
		 * the lists hold every candidate with time <= the install's */
		int64_t lo = e->t < INT64_MIN + g->w->prob_window_us ? INT64_MIN : e->t - g->w->prob_window_us;
		struct ptouch ans[2];
		to_ptouch(&ans[0], best_click(clicks, nc, lo, e->t));
		to_ptouch(&ans[1], best_click(rt, nrt, lo, e->t));
		if (!ans[0].present)
			continue; /* no answer = no probabilistic candidate */
		struct prec_in in = {.kind = PR_ANSWER, .type = e->type, .ghash = e->aux64, .aux64 = e->aux64,
				     .t = e->t, .id = e->id, .ans = ans};
		in.s[PS_APP] = e->s[PS_APP];
		in.app = e->app;
		if (prec_put(answers, e->aux32 % answers->nparts, &in, tc->recbuf))
			tc->error = 1;
	}
	free(clicks);
}
