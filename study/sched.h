/* sched.h: the FSRS-6 scheduler (../shared/reference/FSRS.md), in plain C over plain
 * structs: memory-state formulas, the py-fsrs learning/review/relearning state machine,
 * half-to-even interval rounding, Anki-style deterministic fuzz, and day arithmetic.
 * No I/O and no database: study/store.c persists what this computes.
 *
 * Day rule (documented choice, FSRS.md 1.6): elapsed days are either
 *   SCHED_DAYS_FLOOR24   floor(seconds / 86400), like py-fsrs (used by `sched simulate`), or
 *   SCHED_DAYS_CALENDAR  local calendar days whose boundary is the rollover hour (default
 *                        4 am), like Anki; review intervals then fall due at the start of
 *                        the study day (rollover hour) of the target day. The app uses this. */
#ifndef STUDY_SCHED_H
#define STUDY_SCHED_H

#include "util/dls.h"

#include <stdint.h>
#include <time.h>

enum sched_state { SCHED_NEW = 0, SCHED_LEARNING = 1, SCHED_REVIEW = 2, SCHED_RELEARNING = 3 };
enum sched_rating { SCHED_AGAIN = 1, SCHED_HARD = 2, SCHED_GOOD = 3, SCHED_EASY = 4 };
enum sched_days { SCHED_DAYS_FLOOR24 = 0, SCHED_DAYS_CALENDAR = 1 };

#define SCHED_NPARAMS   21
#define SCHED_MAX_STEPS 8
#define SCHED_S_MIN     0.001

/* A card's memory and schedule. A new card is state SCHED_NEW with s = d = 0 (no memory
 * state yet) and due = 0 (not scheduled). Times are Unix seconds. */
typedef struct sched_card {
    int     state;        /* enum sched_state */
    int     step;         /* index into the (re)learning steps */
    double  s, d;         /* stability (days), difficulty [1, 10] */
    int64_t due;          /* when it is next due; 0 = new, never scheduled */
    int64_t last_review;  /* 0 = never */
    int     reps, lapses;
} sched_card;

typedef struct sched_params {
    double w[SCHED_NPARAMS];
    double retention;                    /* desired retention, 0.70-0.97 */
    int    learn[SCHED_MAX_STEPS];       /* learning steps, seconds */
    int    n_learn;
    int    relearn[SCHED_MAX_STEPS];     /* relearning steps, seconds */
    int    n_relearn;
    int    max_interval;                 /* days */
    int    fuzz;                         /* 1 = on */
    int    days;                         /* enum sched_days */
    int    rollover_hour;                /* SCHED_DAYS_CALENDAR: local hour a day starts */
} sched_params;

/* What one review did, for the log and for previews. */
typedef struct sched_result {
    int    elapsed_days;   /* -1 on a first review */
    double r;              /* retrievability at the review; -1 on a first review */
    int    scheduled_days; /* whole days until due (0 for a (re)learning step) */
} sched_result;

/* FSRS-6 current defaults (FSRS.md 1.4), retention 0.9, steps 1m 10m / 10m, maximum
 * interval 36500, fuzz on, floor-24h days, rollover 4. */
void sched_params_default(sched_params *p);

/* Parses "1m,10m" (units s, m, h, d; a bare number is minutes) or "" (no steps) into
 * seconds. DLS_OK, or DLS_ERR_INVALID naming the bad item. */
int sched_steps_parse(const char *list, int *out, int *n, dls_error *e);
/* Formats steps back as "1m,10m" into buf (size n). */
void sched_steps_format(const int *steps, int n, char *buf, size_t size);
/* Validates retention (0.70-0.97), maximum interval (>= 1), rollover hour (0-23). */
int sched_params_check(const sched_params *p, dls_error *e);

/* Formulas (FSRS.md 1.3). */
double sched_retrievability(const sched_params *p, double t_days, double s);
double sched_interval_raw(const sched_params *p, double s);   /* I(r, S), unrounded */
int    sched_interval_days(const sched_params *p, double s);  /* rint, >= 1, <= max */
double sched_init_stability(const sched_params *p, int rating);
double sched_init_difficulty(const sched_params *p, int rating, int clamp);
double sched_next_difficulty(const sched_params *p, double d, int rating);
double sched_next_stability(const sched_params *p, double d, double s, double r, int rating);
double sched_short_term_stability(const sched_params *p, double s, int rating);

/* Anki's fuzz range for an interval of ivl days (no fuzz below 2.5: lo = hi = ivl). */
void sched_fuzz_range(double ivl, int max_interval, int *lo, int *hi);
/* The fuzzed interval: uniform on the range, drawn from a generator seeded with seed
 * (card id + review count), so previews, undo and replays give the same days. Applied,
 * like py-fsrs, to the rounded interval of a card entering or staying in Review; Anki's
 * extra rule that keeps hard < good < easy across the four buttons is not applied (py-fsrs
 * does not either), so two buttons may show the same number of days. The generator is
 * splitmix64, not Anki's StdRng: ranges match Anki, the draws do not. */
int sched_fuzz(int ivl, int max_interval, uint64_t seed);

/* Whole days between two times under p->days (never negative). */
int sched_elapsed_days(const sched_params *p, int64_t from, int64_t to);
/* The study day number of t (days since 1970-01-01 of the local date at t minus the
 * rollover hour); with SCHED_DAYS_FLOOR24, floor(t / 86400). */
int64_t sched_day_of(const sched_params *p, int64_t t);
/* The time the study day `day` starts (local rollover hour; UTC midnight for FLOOR24). */
int64_t sched_day_start(const sched_params *p, int64_t day);

/* Calendar dates and day numbers (days since 1970-01-01, the numbering of
 * SCHED_DAYS_CALENDAR). date_to_day: DLS_OK, or DLS_ERR_INVALID unless date is exactly a
 * real YYYY-MM-DD date. day_to_date writes "YYYY-MM-DD" and a NUL into buf. */
int  sched_date_to_day(const char *date, int64_t *day);
void sched_day_to_date(int64_t day, char buf[11]);

/* Applies one rating at time now to *in, writing the new card to *out (in and out may be
 * the same). seed is the fuzz seed's base (the card id); the review count is added here.
 * res (may be NULL) receives the elapsed days, R and the scheduled days. Returns DLS_OK or
 * DLS_ERR_INVALID for a rating outside 1-4. */
int sched_review(const sched_params *p, const sched_card *in, uint64_t seed, int rating,
                 int64_t now, sched_card *out, sched_result *res, dls_error *e);

/* Retrievability of a card now (1 for a new card); for display and mastery. */
double sched_card_retrievability(const sched_params *p, const sched_card *c, int64_t now);

const char *sched_state_name(int state);     /* "new", "learning", ... */
const char *sched_rating_name(int rating);   /* "again", ... ; "?" if out of range */
/* "1".."4" or again/hard/good/easy (any case, prefixes a/h/g/e): 1-4, else 0. */
int sched_rating_parse(const char *s);

#endif
