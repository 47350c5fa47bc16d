/* test_seqwin.c — sequence window against a plain reference model. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include "seqwin.h"

/* Loops assert through CHECK: under --full-stats every passing cr_assert is
 * reported to the runner, which makes tight loops slow. */
#define CHECK(cond, ...) do { if (!(cond)) cr_assert(cond, __VA_ARGS__); } while (0)

Test(seqwin, first_sequence_initialises)
{
	struct unmo_seqwin w;
	unmo_seqwin_init(&w);
	cr_assert_eq(unmo_seqwin_check(&w, 0), UNMO_SEQ_NEW);
	cr_assert_eq(unmo_seqwin_check(&w, 123456789), UNMO_SEQ_NEW);
	unmo_seqwin_mark(&w, 500);
	cr_assert(w.started);
	cr_assert_eq(w.cum, 501);
	cr_assert_eq(w.gaps, 0);
	cr_assert_eq(unmo_seqwin_check(&w, 500), UNMO_SEQ_DUPLICATE);
	cr_assert_eq(unmo_seqwin_check(&w, 1), UNMO_SEQ_DUPLICATE, "older than the first: seen before a restart");
	cr_assert_eq(unmo_seqwin_check(&w, 501), UNMO_SEQ_NEW);
	cr_assert_eq(unmo_seqwin_ack_bitmap(&w), 0);
}

Test(seqwin, in_order_duplicates_and_gaps)
{
	struct unmo_seqwin w;
	unmo_seqwin_init(&w);
	for (uint64_t s = 1; s <= 3000; s++) {
		CHECK(unmo_seqwin_offer(&w, s) == UNMO_SEQ_NEW, "seq %lu", (unsigned long)s);
		CHECK(unmo_seqwin_offer(&w, s) == UNMO_SEQ_DUPLICATE, "seq %lu", (unsigned long)s);
	}
	cr_assert_eq(w.cum, 3001);
	cr_assert_eq(w.gaps, 0);
	cr_assert_eq(unmo_seqwin_offer(&w, 3003), UNMO_SEQ_NEW); /* skips 3001, 3002 */
	cr_assert_eq(w.gaps, 2);
	cr_assert_eq(w.cum, 3001);
	cr_assert_eq(unmo_seqwin_ack_bitmap(&w), 1u << 1);
	cr_assert_eq(unmo_seqwin_offer(&w, 3003), UNMO_SEQ_DUPLICATE);
	cr_assert_eq(unmo_seqwin_offer(&w, 3002), UNMO_SEQ_NEW); /* fills a hole: no new gap */
	cr_assert_eq(w.gaps, 2);
	cr_assert_eq(unmo_seqwin_ack_bitmap(&w), 3u);
	cr_assert_eq(unmo_seqwin_offer(&w, 3001), UNMO_SEQ_NEW);
	cr_assert_eq(w.cum, 3004);
	cr_assert_eq(unmo_seqwin_ack_bitmap(&w), 0);
	/* a mark of something not NEW changes nothing */
	struct unmo_seqwin before = w;
	unmo_seqwin_mark(&w, 5);
	unmo_seqwin_mark(&w, w.cum + UNMO_SEQWIN_BITS + 1);
	cr_assert(memcmp(&before, &w, sizeof w) == 0);
}

Test(seqwin, window_edge_too_far)
{
	struct unmo_seqwin w;
	unmo_seqwin_init(&w);
	unmo_seqwin_mark(&w, 10); /* cum = 11 */
	uint64_t last = w.cum + UNMO_SEQWIN_BITS; /* bit 1023 */
	cr_assert_eq(unmo_seqwin_check(&w, last), UNMO_SEQ_NEW);
	cr_assert_eq(unmo_seqwin_check(&w, last + 1), UNMO_SEQ_TOO_FAR);
	cr_assert_eq(unmo_seqwin_offer(&w, last + 1), UNMO_SEQ_TOO_FAR);
	cr_assert_eq(unmo_seqwin_check(&w, UINT64_MAX - 1), UNMO_SEQ_TOO_FAR);
	cr_assert_eq(unmo_seqwin_offer(&w, last), UNMO_SEQ_NEW);
	cr_assert_eq(w.gaps, UNMO_SEQWIN_BITS); /* 11 .. last-1 */
	cr_assert_eq(w.bits[UNMO_SEQWIN_WORDS - 1], 1ull << 63);
	cr_assert_eq(unmo_seqwin_offer(&w, last), UNMO_SEQ_DUPLICATE);
	/* fill everything up to last: cum jumps over the whole run */
	for (uint64_t s = 11; s < last; s++)
		CHECK(unmo_seqwin_offer(&w, s) == UNMO_SEQ_NEW, "seq %lu", (unsigned long)s);
	cr_assert_eq(w.cum, last + 1);
	for (unsigned i = 0; i < UNMO_SEQWIN_WORDS; i++)
		cr_assert_eq(w.bits[i], 0);
	cr_assert_eq(w.gaps, UNMO_SEQWIN_BITS); /* 11 .. last-1 */
}

Test(seqwin, top_of_the_sequence_space)
{
	struct unmo_seqwin w;
	unmo_seqwin_init(&w);
	unmo_seqwin_mark(&w, UINT64_MAX - 3);
	cr_assert_eq(unmo_seqwin_offer(&w, UINT64_MAX - 1), UNMO_SEQ_NEW);
	cr_assert_eq(unmo_seqwin_offer(&w, UINT64_MAX - 2), UNMO_SEQ_NEW);
	cr_assert_eq(w.cum, UINT64_MAX);
	cr_assert_eq(unmo_seqwin_check(&w, UINT64_MAX - 1), UNMO_SEQ_DUPLICATE);
	unmo_seqwin_mark(&w, UINT64_MAX); /* refused: cum would wrap */
	cr_assert_eq(w.cum, UINT64_MAX);
}

/* Reference: set S over [base, base+N), everything below `start` counted in. */
#define N 6000
struct model {
	bool in[N];
	bool started;
	uint64_t start, top, gaps, cum;
};
static bool m_has(const struct model *m, uint64_t s) { return s < m->start || m->in[s]; }
static uint64_t m_cum(struct model *m) /* smallest sequence >= start not in S */
{
	if (m->cum < m->start)
		m->cum = m->start;
	while (m->cum < N && m->in[m->cum])
		m->cum++;
	return m->cum;
}

Test(seqwin, random_against_reference_model)
{
	srand(12345);
	for (int round = 0; round < 20; round++) {
		struct unmo_seqwin w;
		unmo_seqwin_init(&w);
		static struct model m;
		memset(&m, 0, sizeof m);
		uint64_t hi = 1; /* sender's newest sequence: mostly ahead, some resends */
		for (int op = 0; op < 4000; op++) {
			uint64_t s;
			int r = rand() % 100;
			if (r < 60)
				s = hi++;
			else if (r < 70)
				s = hi + (uint64_t)(rand() % 1500), hi = s + 1 < N - 200 ? s + 1 : hi;
			else
				s = hi > 1 ? 1 + (uint64_t)rand() % (hi - 1) : 1;
			if (s >= N - 1)
				s = N - 2, hi = N / 2;
			enum unmo_seq_verdict want;
			if (!m.started)
				want = UNMO_SEQ_NEW;
			else if (m_has(&m, s))
				want = UNMO_SEQ_DUPLICATE;
			else if (s - m_cum(&m) - 1 >= UNMO_SEQWIN_BITS && s != m_cum(&m))
				want = UNMO_SEQ_TOO_FAR;
			else
				want = UNMO_SEQ_NEW;
			CHECK(unmo_seqwin_offer(&w, s) == want, "round %d op %d seq %lu", round, op, (unsigned long)s);
			if (want == UNMO_SEQ_NEW) {
				if (!m.started) {
					m.started = true;
					m.start = s;
					m.top = s;
				} else if (s > m.top) {
					m.gaps += s - m.top - 1;
					m.top = s;
				}
				m.in[s] = true;
			}
			uint64_t cum = m_cum(&m);
			CHECK(w.cum == cum, "round %d op %d", round, op);
			CHECK(w.gaps == m.gaps, "round %d op %d", round, op);
			uint64_t bm = 0;
			for (unsigned i = 0; i < 64 && cum + 1 + i < N; i++)
				if (m.in[cum + 1 + i])
					bm |= 1ull << i;
			CHECK(unmo_seqwin_ack_bitmap(&w) == bm, "round %d op %d", round, op);
		}
	}
}
