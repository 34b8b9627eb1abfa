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
 * 5 -> mastered. */
#ifndef STUDY_MASTERY_H
#define STUDY_MASTERY_H

#include "study/sched.h"

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

#endif
