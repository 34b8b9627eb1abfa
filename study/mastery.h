/* mastery.h: mastery 0-5 derived from FSRS memory state, shown as stars, and the
 * status (new, learning, reviewing, mastered) that follows it. Pure functions.
 *
 * The mapping, per card (S = stability in days, R = retrievability now):
 *   0  new: never reviewed
 *   1  learning or relearning (inside the short steps), or S < 2 days
 *   2  S < 7 days          (remembered for days)
 *   3  S < 21 days         (weeks)
 *   4  S < 90 days         (months)
 *   5  S >= 90 days        (a quarter year or more)
 *   A card in Review whose R has fallen below 0.7 (long overdue) drops one level, to
 *   at least 1: it is likely forgotten until reviewed again.
 * A note's mastery is the rounded mean over its cards (new cards count 0), so a note is
 * only as mastered as all its concepts; a note without cards has none (-1).
 * Status: new until any card has been reviewed; then 0-2 -> learning, 3-4 -> reviewing,
 * 5 -> mastered.
 *
 * The functions above are pure. mastery_history_load (below) reads the store: every
 * note's mastery now and as it stood at earlier times, rebuilt from the review log, for
 * `dlstudy mastery` and the mastery screen alike. */
#ifndef STUDY_MASTERY_H
#define STUDY_MASTERY_H

#include "study/sched.h"
#include "study/store.h"

int mastery_of_card(const sched_params *p, const sched_card *c, int64_t now);

/* Accumulates cards into a note's (or a category's) mastery. Zero-initialise. */
typedef struct mastery_acc {
    int n;        /* cards */
    int sum;      /* of card levels */
    int reviewed; /* cards with at least one review */
    int counts[6];/* cards per level */
} mastery_acc;
void mastery_acc_add(mastery_acc *a, int level, int reviewed);
/* Rounded mean (half up) over the cards, or -1 when there are none. */
int mastery_acc_level(const mastery_acc *a);

/* "new", "learning", "reviewing" or "mastered" for a level (and whether any card has
 * been reviewed). */
const char *mastery_status(int level, int reviewed);
/* Five stars, filled for the level: "★★★☆☆" (UTF-8) or "***.." when ascii; a level of
 * -1 gives "-----". Static strings. */
const char *mastery_stars(int level, int ascii);

/* ---- history (reads the store) ---- */

enum { MASTERY_MAX_POINTS = 53 };

/* One note's cards at each time point of its history. */
typedef struct mastery_note {
    int64_t     id;
    char       *path, *title, *category; /* owned */
    int         due;  /* cards due before the next study day starts */
    mastery_acc *at;  /* [n_points]: the note's cards as they stood at mastery_history.at[i];
                         mastery_acc_level(&at[i]) is its level then, -1 without cards */
} mastery_note;

typedef struct mastery_history {
    int           n_points;
    int64_t       at[MASTERY_MAX_POINTS]; /* oldest first; the last is now */
    mastery_note *notes;                  /* notes not gone, by category, then path */
    size_t        n_notes;
} mastery_history;

/* Mastery now and `weeks` (0-52) weeks back, one point a week: at[i] = now - (weeks - i)
 * * 7 days. A card's level at time t comes from its memory state then: the state after
 * its last counted review at or before t (undone reviews do not count); before its
 * first review, the state that review started from when that state was already known
 * at t (a note imported with review_dates), else new (0). A note's cards are those it
 * has now; a category's level pools its notes' cards (mastery_acc_merge). Fills *h
 * (free with mastery_history_deinit); database errors as store.h. */
int  mastery_history_load(store *s, const sched_params *p, int64_t now, int weeks, mastery_history *h,
                          dls_error *e);
void mastery_history_deinit(mastery_history *h);
/* Adds b's cards to a (pooling notes into a category). */
void mastery_acc_merge(mastery_acc *a, const mastery_acc *b);

/* One counted review of a note's card, for a note's review list. */
typedef struct mastery_review {
    int64_t at;
    int     rating;      /* 1-4 */
    int     scheduled;   /* days; -1 unknown */
    int     level_after; /* the card's level right after it (0-5); -1 unknown */
    char   *card;        /* the card's heading path (owned) */
} mastery_review;

/* The counted reviews (imported dates included, rating 0) of note_id's cards, newest
 * first, at most max. *out is freed with mastery_reviews_free. */
int  mastery_note_reviews(store *s, const sched_params *p, int64_t note_id, int max, mastery_review **out,
                          int *n, dls_error *e);
void mastery_reviews_free(mastery_review *r, int n);

#endif
