/* test_mastery.c: the mastery mapping of mastery.h (levels from memory state, the
 * overdue penalty, a note's rounded mean, status and stars). */
#include "study/mastery.h"
#include "tests/test.h"

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
    return test_done("test_mastery");
}
