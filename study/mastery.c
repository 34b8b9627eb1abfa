/* mastery.c: the mastery mapping documented in mastery.h. */
#include "study/mastery.h"

int mastery_of_card(const sched_params *p, const sched_card *c, int64_t now) {
    if (c->state == SCHED_NEW || c->reps == 0) return 0;
    if (c->state == SCHED_LEARNING || c->state == SCHED_RELEARNING) return 1;
    double s = c->s;
    int level = s < 2 ? 1 : s < 7 ? 2 : s < 21 ? 3 : s < 90 ? 4 : 5;
    if (level > 1 && sched_card_retrievability(p, c, now) < 0.7) level--;
    return level;
}

void mastery_acc_add(mastery_acc *a, int level, int reviewed) {
    if (level < 0) level = 0;
    if (level > 5) level = 5;
    a->n++;
    a->sum += level;
    a->reviewed += reviewed != 0;
    a->counts[level]++;
}

int mastery_acc_level(const mastery_acc *a) {
    if (a->n == 0) return -1;
    return (2 * a->sum + a->n) / (2 * a->n); /* round(sum / n), half up, in integers */
}

const char *mastery_status(int level, int reviewed) {
    if (!reviewed || level < 0) return "new";
    if (level <= 2) return "learning";
    if (level <= 4) return "reviewing";
    return "mastered";
}

const char *mastery_stars(int level, int ascii) {
    static const char *const utf8[] = {
        "☆☆☆☆☆", "★☆☆☆☆", "★★☆☆☆", "★★★☆☆", "★★★★☆", "★★★★★",
    };
    static const char *const plain[] = {".....", "*....", "**...", "***..", "****.", "*****"};
    if (level < 0 || level > 5) return "-----";
    return ascii ? plain[level] : utf8[level];
}
