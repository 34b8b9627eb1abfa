/* test_sched.c: FSRS-6 formulas, rounding, fuzz, state machine and day arithmetic against
 * numbers computed by hand from ../shared/reference/FSRS.md (cross-checked with an
 * independent Python transcription of py-fsrs 6.3; the numbers are pasted here). */
#include "study/sched.h"
#include "tests/test.h"

#include <stdlib.h>

static int64_t iso(int y, int mo, int d, int h, int mi) {
    /* UTC; days_from_civil via timegm */
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm);
}

static void test_formulas(void) {
    sched_params p;
    sched_params_default(&p);
    /* FACTOR = 0.9^(-1/w20) - 1 */
    CHECK_NEAR(pow(0.9, -1.0 / 0.1542) - 1, 0.98034649441347970, 1e-14);
    /* R(S, S) = 0.9 for any S; I(0.9, S) = S */
    CHECK_NEAR(sched_retrievability(&p, 5.0, 5.0), 0.9, 1e-12);
    CHECK_NEAR(sched_interval_raw(&p, 17.0), 17.0, 1e-9);
    /* retention sensitivity (FSRS.md 1.8.6) */
    p.retention = 0.8;
    CHECK_NEAR(sched_interval_raw(&p, 1.0), 3.3159597862309815, 1e-9);
    p.retention = 0.7;
    CHECK_NEAR(sched_interval_raw(&p, 1.0), 9.287911182417021, 1e-9);
    p.retention = 0.95;
    CHECK_NEAR(sched_interval_raw(&p, 1.0), 0.402558691989992, 1e-9);
    p.retention = 0.9;
    /* S0 = w[G-1]; D0 clamped; D0(4) unclamped = -4.7716 */
    CHECK_NEAR(sched_init_stability(&p, 1), 0.212, 1e-12);
    CHECK_NEAR(sched_init_stability(&p, 4), 8.2956, 1e-12);
    CHECK_NEAR(sched_init_difficulty(&p, 1, 1), 6.4133, 1e-12);
    CHECK_NEAR(sched_init_difficulty(&p, 2, 1), 5.112170705601055, 1e-12);
    CHECK_NEAR(sched_init_difficulty(&p, 3, 1), 2.118103970459015, 1e-12);
    CHECK_NEAR(sched_init_difficulty(&p, 4, 1), 1.0, 1e-12);
    CHECK_NEAR(sched_init_difficulty(&p, 4, 0), -4.771630703161737, 1e-12);
    /* D update toward the unclamped target: D0(3) then Again */
    CHECK_NEAR(sched_next_difficulty(&p, 2.118103970459015, 1), 7.394502741279718, 1e-12);
    /* recall: D0(3), S0(3), 3 days later, Good */
    double r3 = sched_retrievability(&p, 3, 2.3065);
    CHECK_NEAR(sched_next_stability(&p, 2.118103970459015, 2.3065, r3, 3), 13.826903694354572, 1e-9);
    /* lapse: D=5, S=10, t=12 */
    CHECK_NEAR(sched_next_stability(&p, 5.0, 10.0, sched_retrievability(&p, 12, 10.0), 1),
               1.4221525486557167, 1e-9);
    /* same-day: Hard is floored at SInc = 1 (current rule), Again is not */
    CHECK_NEAR(sched_short_term_stability(&p, 2.3065, 2), 2.3065, 1e-12);
    CHECK_NEAR(sched_short_term_stability(&p, 2.3065, 1), 0.7750839828558983, 1e-9);
    /* S never below 0.001 */
    p.w[0] = 0.0;
    CHECK_NEAR(sched_init_stability(&p, 1), 0.001, 0);
}

static void test_rounding(void) {
    sched_params p;
    sched_params_default(&p);
    /* I(0.9, S) = S, so S = 2.5 -> 2 and 3.5 -> 4 (half to even), 0.3 -> 1, cap */
    CHECK(sched_interval_days(&p, 2.5) == 2);
    CHECK(sched_interval_days(&p, 3.5) == 4);
    CHECK(sched_interval_days(&p, 4.5) == 4);
    CHECK(sched_interval_days(&p, 4.5000001) == 5);
    CHECK(sched_interval_days(&p, 0.3) == 1);
    p.max_interval = 100;
    CHECK(sched_interval_days(&p, 500) == 100);
}

static void test_fuzz(void) {
    int lo, hi;
    sched_fuzz_range(7, 36500, &lo, &hi);
    CHECK(lo == 5 && hi == 9);
    sched_fuzz_range(37, 36500, &lo, &hi);
    CHECK(lo == 33 && hi == 41);
    sched_fuzz_range(365, 36500, &lo, &hi);
    CHECK(lo == 345 && hi == 385);
    sched_fuzz_range(2, 36500, &lo, &hi);
    CHECK(lo == 2 && hi == 2);
    sched_fuzz_range(365, 370, &lo, &hi);
    CHECK(lo == 345 && hi == 370);
    /* deterministic per seed, inside the range, and covering it */
    int seen[10] = {0}, inside = 1;
    for (uint64_t seed = 0; seed < 2000; seed++) {
        int v = sched_fuzz(7, 36500, seed);
        if (v < 5 || v > 9) inside = 0;
        else seen[v]++;
        if (sched_fuzz(7, 36500, seed) != v) inside = 0;
    }
    CHECK(inside);
    for (int v = 5; v <= 9; v++) CHECK(seen[v] > 250); /* about 400 each */
    CHECK(sched_fuzz(2, 36500, 42) == 2);
}

static void test_steps(void) {
    int st[SCHED_MAX_STEPS], n;
    CHECK(sched_steps_parse("1m,10m", st, &n, NULL) == DLS_OK && n == 2 && st[0] == 60 && st[1] == 600);
    CHECK(sched_steps_parse("", st, &n, NULL) == DLS_OK && n == 0);
    CHECK(sched_steps_parse("30s, 2h,1d", st, &n, NULL) == DLS_OK && n == 3 && st[2] == 86400 && st[1] == 7200);
    dls_error e = {0};
    CHECK(sched_steps_parse("1x", st, &n, &e) == DLS_ERR_INVALID);
    CHECK(strstr(e.msg, "1x") != NULL);
    CHECK(sched_steps_parse("-5m", st, &n, NULL) == DLS_ERR_INVALID);
    char buf[64];
    int s2[] = {60, 600, 3600, 86400, 90};
    sched_steps_format(s2, 5, buf, sizeof buf);
    CHECK_STR(buf, "1m,10m,1h,1d,90s");
    sched_params p;
    sched_params_default(&p);
    CHECK(sched_params_check(&p, NULL) == DLS_OK);
    p.retention = 0.98;
    CHECK(sched_params_check(&p, NULL) == DLS_ERR_INVALID);
    p.retention = 0.69;
    CHECK(sched_params_check(&p, NULL) == DLS_ERR_INVALID);
    p.retention = 0.7;
    CHECK(sched_params_check(&p, NULL) == DLS_OK);
    CHECK(sched_rating_parse("3") == 3 && sched_rating_parse("again") == 1 && sched_rating_parse("E") == 4);
    CHECK(sched_rating_parse("h\n") == 2 && sched_rating_parse("5") == 0 && sched_rating_parse("goodx") == 0);
}

/* One card through steps, graduation, a lapse, relearning, Hard and Easy: every number
 * from the independent transcription (fuzz off, floor-24h days). */
static void test_state_machine(void) {
    sched_params p;
    sched_params_default(&p);
    p.fuzz = 0;
    struct { int64_t t; int g; double s, d, r; int state, step; int64_t due; int days; } seq[] = {
        {iso(2026,1,1,10,0),  3, 2.3065, 2.1181, -1,     SCHED_LEARNING,   1, iso(2026,1,1,10,10), 0},
        {iso(2026,1,1,10,1),  3, 2.3065, 2.1112, 1.0,    SCHED_REVIEW,     0, iso(2026,1,3,10,1),  2},
        {iso(2026,1,1,10,11), 3, 2.3065, 2.1043, 1.0,    SCHED_REVIEW,     0, iso(2026,1,3,10,11), 2},
        {iso(2026,1,3,9,0),   3, 7.3231, 2.0975, 0.9468, SCHED_REVIEW,     0, iso(2026,1,10,9,0),  7},
        {iso(2026,1,10,12,0), 1, 1.2400, 7.3877, 0.9031, SCHED_RELEARNING, 0, iso(2026,1,10,12,10),0},
        {iso(2026,1,10,12,10),3, 1.2846, 7.3756, 1.0,    SCHED_REVIEW,     0, iso(2026,1,11,12,10),1},
        {iso(2026,1,12,8,0),  2, 2.4882, 8.2430, 0.9163, SCHED_REVIEW,     0, iso(2026,1,14,8,0),  2},
        {iso(2026,1,20,8,0),  4, 14.6801,7.6411, 0.8029, SCHED_REVIEW,     0, iso(2026,2,4,8,0),  15},
    };
    sched_card c = {0};
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        sched_result res;
        CHECK(sched_review(&p, &c, 1, seq[i].g, seq[i].t, &c, &res, NULL) == DLS_OK);
        CHECK_NEAR(c.s, seq[i].s, 5e-5);
        CHECK_NEAR(c.d, seq[i].d, 5e-5);
        CHECK_NEAR(res.r, seq[i].r, 5e-5);
        CHECK(c.state == seq[i].state);
        CHECK(c.step == seq[i].step);
        CHECK(c.due == seq[i].due);
        CHECK(res.scheduled_days == seq[i].days);
        CHECK(c.last_review == seq[i].t);
    }
    CHECK(c.reps == 8 && c.lapses == 1);

    /* no steps: a new card rated Again gets max(rint(0.212), 1) = 1 day; Again in Review
     * stays in Review */
    p.n_learn = p.n_relearn = 0;
    sched_card n = {0};
    sched_result res;
    sched_review(&p, &n, 1, 1, iso(2026,1,1,0,0), &n, &res, NULL);
    CHECK(n.state == SCHED_REVIEW && res.scheduled_days == 1 && n.due == iso(2026,1,2,0,0));
    CHECK_NEAR(n.s, 0.212, 1e-9);
    sched_review(&p, &n, 1, 3, iso(2026,1,2,0,0), &n, &res, NULL);
    CHECK_NEAR(n.s, 1.8868, 5e-5);
    CHECK_NEAR(n.d, 6.4021, 5e-5);
    CHECK_NEAR(res.r, 0.7662, 5e-5);
    CHECK(res.scheduled_days == 2);
    sched_review(&p, &n, 1, 4, iso(2026,1,5,0,0), &n, &res, NULL);
    CHECK_NEAR(n.s, 12.6587, 5e-5);
    CHECK_NEAR(n.d, 5.1851, 5e-5);
    CHECK(res.scheduled_days == 13);
    sched_review(&p, &n, 1, 1, iso(2026,1,18,0,0), &n, &res, NULL);
    CHECK(n.state == SCHED_REVIEW && n.lapses == 1 && res.scheduled_days >= 1);

    /* learning Hard: (1m + 10m) / 2 = 330 s on step 0; 1.5 x step with one step */
    sched_params_default(&p);
    sched_card h = {0};
    sched_review(&p, &h, 1, 2, 1000, &h, NULL, NULL);
    CHECK(h.state == SCHED_LEARNING && h.step == 0 && h.due == 1330);
    sched_review(&p, &h, 1, 4, 1400, &h, NULL, NULL);
    CHECK(h.state == SCHED_REVIEW);
    p.n_learn = 1;
    sched_card h1 = {0};
    sched_review(&p, &h1, 1, 2, 1000, &h1, NULL, NULL);
    CHECK(h1.due == 1090);
    /* Again in learning goes back to step 0 */
    sched_params_default(&p);
    sched_card a = {0};
    sched_review(&p, &a, 1, 3, 0, &a, NULL, NULL);
    CHECK(a.step == 1 && a.due == 600);
    sched_review(&p, &a, 1, 1, 600, &a, NULL, NULL);
    CHECK(a.step == 0 && a.due == 660 && a.state == SCHED_LEARNING);
    CHECK(sched_review(&p, &a, 1, 5, 700, &a, NULL, NULL) == DLS_ERR_INVALID);

    /* fuzz on: deterministic for the same card and review count */
    sched_card f1 = {.state = SCHED_REVIEW, .s = 30, .d = 5, .last_review = 0, .reps = 5, .due = 1};
    sched_card o1, o2;
    sched_result r1, r2;
    sched_review(&p, &f1, 77, 3, 30 * 86400, &o1, &r1, NULL);
    sched_review(&p, &f1, 77, 3, 30 * 86400, &o2, &r2, NULL);
    CHECK(r1.scheduled_days == r2.scheduled_days && o1.due == o2.due);
    p.fuzz = 0;
    sched_card o3;
    sched_result r3;
    sched_review(&p, &f1, 77, 3, 30 * 86400, &o3, &r3, NULL);
    int lo, hi;
    sched_fuzz_range(r3.scheduled_days, p.max_interval, &lo, &hi);
    CHECK(r1.scheduled_days >= lo && r1.scheduled_days <= hi);
}

static void test_days(void) {
    setenv("TZ", "UTC", 1);
    tzset();
    sched_params p;
    sched_params_default(&p);
    /* floor-24h: 23 h later is the same day, 25 h later one day */
    CHECK(sched_elapsed_days(&p, 0, 23 * 3600) == 0);
    CHECK(sched_elapsed_days(&p, 0, 25 * 3600) == 1);
    p.days = SCHED_DAYS_CALENDAR;
    p.rollover_hour = 4;
    /* calendar: 23:00 -> 05:00 next day crosses the 4 am boundary; 03:00 -> 05:00 too;
     * 05:00 -> 03:59 next day does not */
    CHECK(sched_elapsed_days(&p, iso(2026,3,1,23,0), iso(2026,3,2,5,0)) == 1);
    CHECK(sched_elapsed_days(&p, iso(2026,3,2,3,0), iso(2026,3,2,5,0)) == 1);
    CHECK(sched_elapsed_days(&p, iso(2026,3,2,5,0), iso(2026,3,3,3,59)) == 0);
    CHECK(sched_day_start(&p, sched_day_of(&p, iso(2026,3,2,10,0))) == iso(2026,3,2,4,0));
    CHECK(sched_day_start(&p, sched_day_of(&p, iso(2026,3,2,2,0))) == iso(2026,3,1,4,0));
    /* a review interval falls due at the start of the target study day */
    sched_card c = {.state = SCHED_REVIEW, .s = 3.0, .d = 5, .last_review = iso(2026,2,27,12,0), .reps = 3, .due = 1};
    p.fuzz = 0;
    sched_result r;
    sched_review(&p, &c, 1, 3, iso(2026,3,2,22,0), &c, &r, NULL);
    CHECK(c.due == sched_day_start(&p, sched_day_of(&p, iso(2026,3,2,22,0)) + r.scheduled_days));
    CHECK(r.elapsed_days == 3);
    /* dates <-> day numbers */
    int64_t day;
    char buf[11];
    CHECK(sched_date_to_day("1970-01-01", &day) == DLS_OK && day == 0);
    CHECK(sched_date_to_day("2026-03-24", &day) == DLS_OK && day == iso(2026,3,24,0,0) / 86400);
    sched_day_to_date(day, buf);
    CHECK_STR(buf, "2026-03-24");
    CHECK(sched_date_to_day("2024-02-29", &day) == DLS_OK);
    CHECK(sched_date_to_day("2026-02-29", &day) == DLS_ERR_INVALID);
    CHECK(sched_date_to_day("2026-13-01", &day) == DLS_ERR_INVALID);
    CHECK(sched_date_to_day("2026-1-01", &day) == DLS_ERR_INVALID);
    CHECK(sched_date_to_day("2026-01-01x", &day) == DLS_ERR_INVALID);
    sched_day_to_date(-1, buf);
    CHECK_STR(buf, "1969-12-31");
    /* another zone: the boundary follows local time */
    setenv("TZ", "CST-8", 1); /* POSIX form: needs no tzdata */
    tzset();
    CHECK(sched_day_start(&p, sched_day_of(&p, iso(2026,3,2,10,0))) == iso(2026,3,1,20,0));
    setenv("TZ", "UTC", 1);
    tzset();
}

int main(void) {
    test_formulas();
    test_rounding();
    test_fuzz();
    test_steps();
    test_state_machine();
    test_days();
    return test_done("test_sched");
}
