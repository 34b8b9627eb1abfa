/* test_mastery.c: the mastery mapping of mastery.h (levels from memory state, the
 * overdue penalty, a note's rounded mean, status and stars), and the history rebuilt
 * from the review log (levels at past weeks, undone reviews left out, imported notes,
 * categories pooled; a note's review list). */
#include "study/mastery.h"
#include "study/review.h"
#include "study/sync.h"
#include "tests/study/study_test.h"
#include "tests/test.h"

#include <stdlib.h>
#include <unistd.h>

static const mastery_note *find(const mastery_history *h, const char *path) {
    for (size_t i = 0; i < h->n_notes; i++)
        if (!strcmp(h->notes[i].path, path)) return &h->notes[i];
    return NULL;
}

static void test_history(void) {
    char dir[64];
    if (!test_tmpdir(dir, sizeof dir, "dls_mhist")) {
        test_skip("mastery history", "no temp dir");
        return;
    }
    const int64_t t0 = 1769947200; /* 2026-02-01 12:00 UTC */
    test_put(dir, "a.md", "---\ntitle: A\ncategory: cat\ncreated: 2026-01-01\n---\n\n## One\n\n1\n\n## Two\n\n2\n");
    test_put(dir, "b.md", "---\ntitle: B\ncategory: cat\ncreated: 2026-01-02\nmastery: 4\n"
                          "review_dates: [2026-01-10, 2026-01-20]\n---\n\n## Bee\n\nb\n");
    store *s = NULL;
    dls_error e = {0};
    sync_report r;
    CHECK(store_open(":memory:", &s, &e) == DLS_OK);
    if (!s) return;
    store_setting_set(s, "fuzz", "off", &e);
    CHECK(sync_run(s, dir, t0, &r, &e) == DLS_OK && r.added == 2);
    sync_report_deinit(&r);
    sched_params p;
    CHECK(store_sched_params(s, &p, &e) == DLS_OK);
    int64_t a_id = 0;
    sqlite3_stmt *st = store_prepare(s, "SELECT id FROM notes WHERE path = 'a.md'", &e);
    if (st && sqlite3_step(st) == SQLITE_ROW) a_id = sqlite3_column_int64(st, 0);
    if (st) sqlite3_reset(st);

    /* a.md's card One: Easy at t0 + 1 d, Good at t0 + 12 d; an Again at t0 + 20 d undone */
    review_opts o = REVIEW_OPTS_DEFAULT;
    o.note_id    = a_id;
    o.write_back = 0;
    o.new_limit  = 1;
    review_session *rs = NULL;
    review_outcome out;
    sched_card after1 = {0}, after2 = {0};
    CHECK(review_session_new(s, dir, t0 + 86400, &o, &rs, &e) == DLS_OK);
    CHECK(rs && review_grade(rs, SCHED_EASY, t0 + 86400, -1, &out, &e) == DLS_OK);
    after1 = out.after;
    review_session_free(rs);
    CHECK(review_session_new(s, dir, t0 + 12 * 86400, &o, &rs, &e) == DLS_OK);
    CHECK(rs && review_grade(rs, SCHED_GOOD, t0 + 12 * 86400, -1, &out, &e) == DLS_OK);
    after2 = out.after;
    review_session_free(rs);
    CHECK(review_session_new(s, dir, t0 + 20 * 86400, &o, &rs, &e) == DLS_OK);
    CHECK(rs && review_grade(rs, SCHED_AGAIN, t0 + 20 * 86400 + 60, -1, &out, &e) == DLS_OK);
    CHECK(rs && review_undo(rs, t0 + 20 * 86400 + 70, &out, &e) == DLS_OK);
    review_session_free(rs);

    mastery_history h;
    int64_t now = t0 + 28 * 86400;
    CHECK(mastery_history_load(s, &p, now, 4, &h, &e) == DLS_OK);
    CHECK(h.n_points == 5 && h.n_notes == 2 && h.at[4] == now && h.at[0] == t0);
    const mastery_note *a = find(&h, "a.md"), *b = find(&h, "b.md");
    CHECK(a && b);
    if (a && b) {
        /* t0: not reviewed yet; t0 + 7 d, 14 d, 21 d: the state each review left, aged */
        int want[5] = {0, mastery_of_card(&p, &after1, t0 + 7 * 86400), mastery_of_card(&p, &after2, t0 + 14 * 86400),
                       mastery_of_card(&p, &after2, t0 + 21 * 86400), mastery_of_card(&p, &after2, now)};
        CHECK(want[1] >= 1 && want[2] >= want[1]);
        for (int i = 0; i < 5; i++) {
            CHECK(a->at[i].n == 2 && a->at[i].counts[want[i]] >= 1 && a->at[i].counts[0] >= 1);
            CHECK(a->at[i].reviewed == (i > 0));
            CHECK(mastery_acc_level(&a->at[i]) == (want[i] + 1) / 2); /* with One new: half up */
        }
        /* b.md: imported with mastery 4 (S 45 d, last review 2026-01-20): known all along */
        for (int i = 0; i < 5; i++) CHECK(b->at[i].n == 1 && b->at[i].reviewed == 1 && mastery_acc_level(&b->at[i]) >= 3);
        /* pooled: a category's cards are its notes' cards */
        mastery_acc cat = {0};
        mastery_acc_merge(&cat, &a->at[4]);
        mastery_acc_merge(&cat, &b->at[4]);
        CHECK(cat.n == 3 && cat.sum == a->at[4].sum + b->at[4].sum);
    }
    mastery_history_deinit(&h);
    CHECK(h.n_notes == 0 && h.notes == NULL);

    /* no weeks: now only, the same as the cards say */
    CHECK(mastery_history_load(s, &p, now, 0, &h, &e) == DLS_OK && h.n_points == 1);
    a = find(&h, "a.md");
    int lvl = -2, reviewed = -1;
    CHECK(review_note_mastery(s, &p, a_id, now, &lvl, &reviewed, &e) == DLS_OK);
    CHECK(a && mastery_acc_level(&a->at[0]) == lvl && a->at[0].reviewed == reviewed);
    mastery_history_deinit(&h);

    /* the note's review list: newest first, the undone Again left out */
    mastery_review *rv = NULL;
    int n = 0;
    CHECK(mastery_note_reviews(s, &p, a_id, 10, &rv, &n, &e) == DLS_OK && n == 2);
    CHECK(n == 2 && rv[0].rating == SCHED_GOOD && rv[0].at == t0 + 12 * 86400 && rv[1].rating == SCHED_EASY);
    CHECK(n == 2 && !strcmp(rv[0].card, "One") && rv[1].level_after >= 1 && rv[0].scheduled > 0);
    mastery_reviews_free(rv, n);
    CHECK(mastery_note_reviews(s, &p, a_id, 1, &rv, &n, &e) == DLS_OK && n == 1);
    mastery_reviews_free(rv, n);

    store_free(s);
    CHECK(test_rmtree(dir) == 0);
}

int main(void) {
    sched_params p;
    sched_params_default(&p);
    int64_t now = 100 * 86400;
    sched_card c = {0};
    CHECK(mastery_of_card(&p, &c, now) == 0);                      /* new */
    c = (sched_card){.state = SCHED_LEARNING, .s = 2.3, .d = 5, .reps = 1, .last_review = now, .due = now + 600};
    CHECK(mastery_of_card(&p, &c, now) == 1);                      /* in the steps */
    c.state = SCHED_RELEARNING;
    CHECK(mastery_of_card(&p, &c, now) == 1);
    double s[] = {1.5, 2.0, 6.9, 7.0, 20.9, 21.0, 89.9, 90.0, 400};
    int want[] = {1, 2, 2, 3, 3, 4, 4, 5, 5};
    for (int i = 0; i < 9; i++) {
        sched_card r = {.state = SCHED_REVIEW, .s = s[i], .d = 5, .reps = 3, .last_review = now, .due = now + 86400};
        CHECK(mastery_of_card(&p, &r, now) == want[i]);
    }
    /* long overdue: R below 0.7 costs a level (S = 10 days: R(200 d) = (1 + F 200 / 10)^-w20
     * is about 0.62; R(5 d) about 0.94) */
    sched_card o = {.state = SCHED_REVIEW, .s = 10, .d = 5, .reps = 3, .last_review = now - 200 * 86400, .due = 1};
    CHECK(sched_card_retrievability(&p, &o, now) < 0.7);
    CHECK(mastery_of_card(&p, &o, now) == 2);
    o.last_review = now - 5 * 86400;
    CHECK(mastery_of_card(&p, &o, now) == 3);

    mastery_acc a = {0};
    CHECK(mastery_acc_level(&a) == -1);
    mastery_acc_add(&a, 5, 1);
    mastery_acc_add(&a, 0, 0);
    CHECK(mastery_acc_level(&a) == 3); /* 2.5 rounds half up */
    mastery_acc_add(&a, 0, 0);
    CHECK(mastery_acc_level(&a) == 2); /* 1.67 */
    CHECK(a.n == 3 && a.reviewed == 1 && a.counts[0] == 2 && a.counts[5] == 1);

    CHECK_STR(mastery_status(0, 0), "new");
    CHECK_STR(mastery_status(3, 0), "new");
    CHECK_STR(mastery_status(0, 1), "learning");
    CHECK_STR(mastery_status(2, 4), "learning");
    CHECK_STR(mastery_status(3, 4), "reviewing");
    CHECK_STR(mastery_status(4, 4), "reviewing");
    CHECK_STR(mastery_status(5, 4), "mastered");
    CHECK_STR(mastery_stars(2, 0), "★★☆☆☆");
    CHECK_STR(mastery_stars(5, 1), "*****");
    CHECK_STR(mastery_stars(-1, 0), "-----");
    test_history();
    return test_done("test_mastery");
}
