/* mastery.c: the mastery mapping documented in mastery.h, and the mastery history read
 * from the store (a note's level over the past weeks, a note's review list). No
 * printing: `dlstudy mastery` and the mastery screen format what this returns. */
#include "study/mastery.h"

#include <stdlib.h>
#include <string.h>

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

void mastery_acc_merge(mastery_acc *a, const mastery_acc *b) {
    a->n += b->n;
    a->sum += b->sum;
    a->reviewed += b->reviewed;
    for (int i = 0; i < 6; i++) a->counts[i] += b->counts[i];
}

/* ---- history ---- */

/* A counted review of one card: the state it started from and the one it left. */
typedef struct hrev {
    int64_t    at;
    sched_card before, after;
} hrev;

typedef struct note_ix {
    int64_t id;
    size_t  i;
} note_ix;

static int cmp_note_ix(const void *a, const void *b) {
    int64_t x = ((const note_ix *)a)->id, y = ((const note_ix *)b)->id;
    return x < y ? -1 : x > y;
}

/* The card's state at time t (see mastery.h), from its counted reviews (oldest first) and
 * its state now. */
static sched_card state_at(const sched_card *now_state, const hrev *r, size_t n, int64_t t) {
    sched_card none = {0};
    size_t k = 0;
    while (k < n && r[k].at <= t) k++; /* r[k - 1]: the last review at or before t */
    if (k > 0) return r[k - 1].after;
    if (n > 0) /* not reviewed yet at t: what its first review started from, if known then */
        return r[0].before.reps > 0 && r[0].before.last_review > 0 && r[0].before.last_review <= t ? r[0].before
                                                                                                 : none;
    return now_state->reps > 0 && now_state->last_review <= t ? *now_state : none;
}

void mastery_history_deinit(mastery_history *h) {
    for (size_t i = 0; i < h->n_notes; i++) {
        mastery_note *m = &h->notes[i];
        free(m->path), free(m->title), free(m->category), free(m->at);
    }
    free(h->notes);
    memset(h, 0, sizeof *h);
}

int mastery_history_load(store *s, const sched_params *p, int64_t now, int weeks, mastery_history *h,
                         dls_error *e) {
    memset(h, 0, sizeof *h);
    if (weeks < 0) weeks = 0;
    if (weeks > MASTERY_MAX_POINTS - 1) weeks = MASTERY_MAX_POINTS - 1;
    h->n_points = weeks + 1;
    for (int i = 0; i <= weeks; i++) h->at[i] = now - (int64_t)(weeks - i) * 7 * 86400;
    int64_t next_day = sched_day_start(p, sched_day_of(p, now) + 1);
    int     rc;
    note_ix *ix = NULL;
    hrev    *revs = NULL;
    size_t   cap = 0, cap_revs = 0;

    /* the notes */
    sqlite3_stmt *st = store_prepare(s, "SELECT id, path, title, category FROM notes WHERE gone = 0 "
                                        "ORDER BY category, path, id", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (h->n_notes == cap) {
            cap      = cap ? 2 * cap : 64;
            h->notes = xrealloc(h->notes, cap * sizeof *h->notes);
        }
        mastery_note *m = &h->notes[h->n_notes++];
        memset(m, 0, sizeof *m);
        m->id       = sqlite3_column_int64(st, 0);
        m->path     = store_col_text(st, 1);
        m->title    = store_col_text(st, 2);
        m->category = store_col_text(st, 3);
        m->at       = xcalloc((size_t)h->n_points, sizeof *m->at);
    }
    sqlite3_reset(st);
    if ((rc = store_check(s, rc, "read notes", e)) != DLS_OK) goto fail;
    ix = xmalloc((h->n_notes ? h->n_notes : 1) * sizeof *ix);
    for (size_t i = 0; i < h->n_notes; i++) ix[i].id = h->notes[i].id, ix[i].i = i;
    qsort(ix, h->n_notes, sizeof *ix, cmp_note_ix);

    /* the cards with their counted reviews, merged by card id: two ordered scans */
    sqlite3_stmt *cs = store_prepare(
        s, "SELECT c.id, c.note_id, c.state, c.step, coalesce(c.stability, 0), coalesce(c.difficulty, 0), "
           "coalesce(c.due, 0), coalesce(c.last_review, 0), c.reps, c.lapses FROM cards c "
           "JOIN notes n ON n.id = c.note_id WHERE c.gone = 0 AND n.gone = 0 ORDER BY c.id", e);
    if (!cs) { rc = e ? e->code : DLS_ERR_DB; goto fail; }
    sqlite3_stmt *rs = store_prepare(
        s, "SELECT r.card_id, r.reviewed_at, r.state_before, r.step_before, coalesce(r.s_before, 0), "
           "coalesce(r.d_before, 0), coalesce(r.due_before, 0), coalesce(r.last_before, 0), r.reps_before, "
           "r.lapses_before, r.state_after, r.step_after, coalesce(r.s_after, 0), coalesce(r.d_after, 0), "
           "coalesce(r.due_after, 0) FROM review_history r WHERE r.kind = 'review' "
           "ORDER BY r.card_id, r.reviewed_at, r.id", e);
    if (!rs) { rc = e ? e->code : DLS_ERR_DB; goto fail; }
    int rrc = sqlite3_step(rs);
    while ((rc = sqlite3_step(cs)) == SQLITE_ROW) {
        int64_t card = sqlite3_column_int64(cs, 0);
        note_ix key = {.id = sqlite3_column_int64(cs, 1)};
        sched_card cur;
        store_col_card(cs, 2, &cur);
        size_t n_revs = 0;
        while (rrc == SQLITE_ROW && sqlite3_column_int64(rs, 0) < card) rrc = sqlite3_step(rs);
        for (; rrc == SQLITE_ROW && sqlite3_column_int64(rs, 0) == card; rrc = sqlite3_step(rs)) {
            if (n_revs == cap_revs) {
                cap_revs = cap_revs ? 2 * cap_revs : 16;
                revs     = xrealloc(revs, cap_revs * sizeof *revs);
            }
            hrev *r = &revs[n_revs++];
            r->at     = sqlite3_column_int64(rs, 1);
            store_col_card(rs, 2, &r->before);
            r->after = (sched_card){
                .state = sqlite3_column_int(rs, 10), .step = sqlite3_column_int(rs, 11),
                .s = sqlite3_column_double(rs, 12), .d = sqlite3_column_double(rs, 13),
                .due = sqlite3_column_int64(rs, 14), .last_review = r->at,
                .reps = r->before.reps + 1, .lapses = r->before.lapses,
            };
        }
        const note_ix *hit = bsearch(&key, ix, h->n_notes, sizeof *ix, cmp_note_ix);
        if (!hit) continue;
        mastery_note *m = &h->notes[hit->i];
        if (cur.due && cur.due < next_day) m->due++;
        for (int i = 0; i < h->n_points; i++) {
            /* now: the card as stored (what every other view shows) */
            sched_card c = i == h->n_points - 1 ? cur : state_at(&cur, revs, n_revs, h->at[i]);
            mastery_acc_add(&m->at[i], mastery_of_card(p, &c, h->at[i]), c.reps > 0);
        }
    }
    sqlite3_reset(cs);
    sqlite3_reset(rs);
    if ((rc = store_check(s, rc, "read cards", e)) != DLS_OK) goto fail;
    if (rrc != SQLITE_ROW && (rc = store_check(s, rrc, "read reviews", e)) != DLS_OK) goto fail;
    free(ix), free(revs);
    return DLS_OK;
fail:
    free(ix), free(revs);
    mastery_history_deinit(h);
    return rc;
}

int mastery_note_reviews(store *s, const sched_params *p, int64_t note_id, int max, mastery_review **out, int *n,
                         dls_error *e) {
    *out = NULL;
    *n   = 0;
    sqlite3_stmt *st = store_prepare(
        s, "SELECT r.reviewed_at, r.rating, r.scheduled_days, r.state_after, r.s_after, c.heading_path "
           "FROM review_history r JOIN cards c ON c.id = r.card_id WHERE c.note_id = ?1 "
           "ORDER BY r.reviewed_at DESC, r.id DESC LIMIT ?2", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, note_id);
    sqlite3_bind_int(st, 2, max);
    int rc;
    mastery_review *rows = xcalloc((size_t)(max > 0 ? max : 1), sizeof *rows);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max) {
        mastery_review *r = &rows[(*n)++];
        r->at          = sqlite3_column_int64(st, 0);
        r->rating      = sqlite3_column_int(st, 1);
        r->scheduled   = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 2);
        r->level_after = -1;
        if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
            /* the level the card reached right after this review (R = 1 then) */
            sched_card c = {.state = sqlite3_column_int(st, 3), .s = sqlite3_column_double(st, 4),
                            .reps = 1, .last_review = r->at, .due = r->at + 86400};
            r->level_after = mastery_of_card(p, &c, r->at);
        }
        r->card = store_col_text(st, 5);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && (rc = store_check(s, rc, "read reviews", e)) != DLS_OK) {
        mastery_reviews_free(rows, *n);
        *n = 0;
        return rc;
    }
    *out = rows;
    return DLS_OK;
}

void mastery_reviews_free(mastery_review *r, int n) {
    for (int i = 0; i < n; i++) free(r[i].card);
    free(r);
}
