/* attr_model.c — multi-touch model weights and exact integer splitting
 * (largest-remainder method), so that parts always sum to the whole. */
#include "attr.h"

#include <math.h>
#include <stdlib.h>

const char *const unmo_attr_model_names[UNMO_MODEL_COUNT] = {
	"first", "last", "linear", "time_decay", "position",
};

struct rem {
	unsigned __int128 r;
	size_t i;
};

static int rem_cmp(const void *pa, const void *pb)
{
	const struct rem *a = pa, *b = pb;
	if (a->r != b->r)
		return a->r > b->r ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

static void rem_swap(struct rem *a, struct rem *b)
{
	struct rem t = *a;
	*a = *b;
	*b = t;
}

static void rem_insertion_sort(struct rem *r, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct rem x = r[i];
		size_t j = i;
		while (j > 0 && rem_cmp(&r[j - 1], &x) > 0) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = x;
	}
}

/* r[0..k) := the k first of r[0..n) in rem_cmp order (in any order among
 * themselves), k < n: quickselect, O(n) on average. Sorting all n was
 * O(n log n) per split: most of a run whose device had 200,000 touches
 * before 2,000 conversions (perf/RESULTS.md). The keys are distinct (the
 * index breaks ties), so the k first are one set whatever the method;
 * after 2 log2(n) rounds without converging the rest is sorted, so the
 * worst case stays n log n. */
static void rem_select(struct rem *r, size_t n, size_t k)
{
	size_t lo = 0, hi = n; /* r[0..lo) are first, r[hi..n) after, k in (lo, hi] */
	unsigned rounds = 2u * (unsigned)(64 - __builtin_clzll((unsigned long long)n | 1));
	while (hi - lo > 16) {
		if (!rounds--) {
			qsort(r + lo, hi - lo, sizeof *r, rem_cmp);
			return;
		}
		size_t mid = lo + (hi - lo) / 2;
		/* median of three at mid, then moved to hi - 1 */
		if (rem_cmp(&r[mid], &r[lo]) < 0)
			rem_swap(&r[mid], &r[lo]);
		if (rem_cmp(&r[hi - 1], &r[lo]) < 0)
			rem_swap(&r[hi - 1], &r[lo]);
		if (rem_cmp(&r[hi - 1], &r[mid]) < 0)
			rem_swap(&r[hi - 1], &r[mid]);
		rem_swap(&r[mid], &r[hi - 1]);
		size_t s = lo;
		for (size_t i = lo; i + 1 < hi; i++)
			if (rem_cmp(&r[i], &r[hi - 1]) < 0)
				rem_swap(&r[i], &r[s++]);
		rem_swap(&r[s], &r[hi - 1]); /* r[lo..s) < r[s] < r[s+1..hi) */
		if (k == s || k == s + 1)
			return;
		if (k < s)
			hi = s;
		else
			lo = s + 1;
	}
	rem_insertion_sort(r + lo, hi - lo);
}

void unmo_attr_split(int64_t total, const uint64_t *w, size_t n, int64_t *out)
{
	if (!n)
		return;
	unsigned __int128 W = 0;
	for (size_t i = 0; i < n; i++)
		W += w[i];
	uint64_t mag = total < 0 ? (uint64_t)0 - (uint64_t)total : (uint64_t)total;
	int sign = total < 0 ? -1 : 1;
	if (W == 0) { /* degenerate: everything to the last part */
		for (size_t i = 0; i < n; i++)
			out[i] = 0;
		out[n - 1] = total;
		return;
	}
	struct rem small[16], *r = n <= 16 ? small : malloc(n * sizeof *r);
	/* parts are worked out as magnitudes (up to 2^63 for INT64_MIN, one
	 * more than an int64 holds) in out's storage, read as unsigned (the
	 * signed and unsigned types may alias); signs go on at the end */
	uint64_t *u = (uint64_t *)out, given = 0;
	/* Every product mag * w[i] <= mag * W: when that fits 64 bits (credit
	 * units and everyday revenues), 64-bit division gives the same quotient
	 * and remainder as the 128-bit one, at a fraction of its cost. */
	uint64_t W64 = (uint64_t)W, bound;
	bool narrow = W >> 64 == 0 && !__builtin_mul_overflow(mag, W64, &bound);
	/* equal weights in a row (linear, position's middle) divide once */
	uint64_t q = 0, prev_w = 0;
	unsigned __int128 rr = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && w[i] == prev_w) {
			/* q and rr as for the weight before */
		} else if (narrow) {
			uint64_t x = mag * w[i];
			q = x / W64;
			rr = x % W64;
		} else {
			unsigned __int128 x = (unsigned __int128)mag * w[i];
			q = (uint64_t)(x / W);
			rr = x % W;
		}
		prev_w = w[i];
		u[i] = q;
		given += q;
		if (r) {
			r[i].r = rr;
			r[i].i = i;
		}
	}
	uint64_t left = mag - given; /* < n */
	if (left) {
		if (!r) { /* out of memory: hand leftovers out in touch order */
			for (size_t i = 0; left; i = (i + 1) % n)
				if (w[i]) {
					u[i]++;
					left--;
				}
		} else {
			rem_select(r, n, left); /* left < n */
			for (size_t k = 0; k < left; k++)
				u[r[k].i]++;
		}
	}
	if (r != small)
		free(r);
	for (size_t i = 0; i < n; i++) /* -(2^63) as -(2^63 - 1) - 1: no overflow */
		out[i] = sign > 0 ? (int64_t)u[i] : u[i] ? -(int64_t)(u[i] - 1) - 1 : 0;
}

void unmo_attr_model_weights(enum unmo_attr_model m, const int64_t *t, size_t n, int64_t half_life_us,
			     uint64_t *w)
{
	for (size_t i = 0; i < n; i++)
		w[i] = 0;
	if (!n)
		return;
	switch (m) {
	case UNMO_MODEL_FIRST:
		w[0] = 1;
		break;
	case UNMO_MODEL_LAST:
		w[n - 1] = 1;
		break;
	case UNMO_MODEL_LINEAR:
		for (size_t i = 0; i < n; i++)
			w[i] = 1;
		break;
	case UNMO_MODEL_TIME_DECAY: {
		/* 2^(-age/half_life) in 2^40 fixed point: integer weights keep
		 * the split itself exact. Ages count from the last touchpoint,
		 * not from the conversion: the same ratios, but the last weight
		 * is always 2^40, so touches many half-lives before the
		 * conversion still split by their spacing instead of all
		 * rounding to 0. Touchpoints are in time order. */
		for (size_t i = 0; i < n; i++) {
			double age = (double)(t[n - 1] - t[i]);
			if (age < 0)
				age = 0;
			w[i] = (uint64_t)llround(ldexp(exp2(-age / (double)half_life_us), 40));
		}
		break;
	}
	case UNMO_MODEL_POSITION:
		if (n <= 2) {
			for (size_t i = 0; i < n; i++)
				w[i] = 1;
		} else {
			for (size_t i = 1; i + 1 < n; i++)
				w[i] = 1;
			w[0] = w[n - 1] = 2 * (uint64_t)(n - 2); /* 40/20/40 */
		}
		break;
	default:
		break;
	}
}
