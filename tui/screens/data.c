/* data.c: the screens' read-only SQL (see data.h). Every value is bound; the day
 * boundaries come from the scheduler so "today" means the study day (rollover hour). */
#include "tui/screens/data.h"

#include "study/mastery.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CARD_COLS "c.state, c.step, c.stability, c.difficulty, c.due, c.last_review, c.reps, c.lapses"

static int count_query(store *s, const char *sql, int64_t a, int64_t b, int *out, dls_error *e) {
    sqlite3_stmt *st = store_prepare(s, sql, e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    if (strstr(sql, "?1")) sqlite3_bind_int64(st, 1, a);
    if (strstr(sql, "?2")) sqlite3_bind_int64(st, 2, b);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_DONE;
    }
    sqlite3_reset(st);
    return store_check(s, rc, "dashboard", e);
}

static int wday_monday0(const sched_params *p, int64_t day) {
    time_t t = (time_t)(sched_day_start(p, day) + 12 * 3600);
    struct tm tm;
    localtime_r(&t, &tm);
    return (tm.tm_wday + 6) % 7;
}

static int month_of(const sched_params *p, int64_t day) {
    time_t t = (time_t)(sched_day_start(p, day) + 12 * 3600);
    struct tm tm;
    localtime_r(&t, &tm);
    return tm.tm_mon;
}

int tui_data_dash(store *s, const sched_params *p, int64_t now, int full, tui_dash *d, dls_error *e) {
    tui_dash_deinit(d);
    int64_t today = sched_day_of(p, now);
    int64_t day_start = sched_day_start(p, today), day_end = sched_day_start(p, today + 1);
    int rc;
    /* Speed: a card row holds its section text before its schedule columns, so a scan
     * of cards walks megabytes. The quick counts use the partial index on due (every
     * comparison on due implies due IS NOT NULL); the counts that need a scan (cards,
     * new cards) wait for the full stage. */
    if ((rc = count_query(s, "SELECT count(*) FROM notes WHERE gone = 0 AND parse_ok = 1", 0, 0, &d->notes, e))) return rc;
    if ((rc = count_query(s, "SELECT count(*) FROM notes WHERE gone = 0 AND parse_ok = 0", 0, 0, &d->broken, e))) return rc;
    if ((rc = count_query(s, "SELECT count(*) FROM cards WHERE due < ?1 AND gone = 0", day_end, 0, &d->due_today, e))) return rc;
    if ((rc = count_query(s, "SELECT count(*) FROM cards WHERE due < ?1 AND gone = 0", day_start, 0, &d->overdue, e))) return rc;
    if ((rc = count_query(s, "SELECT count(*) FROM review_history WHERE kind = 'review' AND reviewed_at >= ?1 AND reviewed_at < ?2",
                          day_start, day_end, &d->reviewed_today, e)))
        return rc;
    d->full = full;
    if (!full) return DLS_OK;

    /* new cards introduced today (the cards and the new ones among them are counted in
     * the one scan of the cards, by category, below) */
    int new_today = 0;
    if ((rc = count_query(s, "SELECT count(*) FROM review_history WHERE kind = 'review' AND state_before = 0 AND reviewed_at >= ?1 AND reviewed_at < ?2",
                          day_start, day_end, &new_today, e)))
        return rc;

    /* heatmap and streaks: reviews (and dates imported from notes) per study day */
    d->today_wday = wday_monday0(p, today);
    for (int i = 0; i < TUI_HEAT_DAYS; i++) d->heat_month[i] = month_of(p, today - (TUI_HEAT_DAYS - 1) + i);
    sqlite3_stmt *st = store_prepare(s, "SELECT reviewed_at FROM review_history WHERE kind IN ('review', 'import') ORDER BY reviewed_at DESC", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    int64_t run_day = -1, expect = today;
    int run = 0, streak_open = 1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t day = sched_day_of(p, sqlite3_column_int64(st, 0));
        int64_t back = today - day;
        if (back >= 0 && back < TUI_HEAT_DAYS) d->heat[TUI_HEAT_DAYS - 1 - back]++;
        if (day == run_day || day > today) continue;
        /* a new distinct day, going back in time */
        if (run_day < 0 && day == today - 1) expect = today - 1; /* nothing yet today: the streak holds */
        if (day == expect) {
            run++;
        } else {
            if (streak_open) d->streak = run;
            streak_open = 0;
            if (run > d->best_streak) d->best_streak = run;
            run = 1;
        }
        expect = day - 1;
        run_day = day;
    }
    sqlite3_reset(st);
    if (streak_open) d->streak = run;
    if (run > d->best_streak) d->best_streak = run;
    if ((rc = store_check(s, rc, "review history", e))) return rc;

    /* forecast */
    st = store_prepare(s, "SELECT due FROM cards WHERE gone = 0 AND due >= ?1 AND due < ?2", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, day_end);
    sqlite3_bind_int64(st, 2, sched_day_start(p, today + 1 + TUI_FORECAST_DAYS));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t k = sched_day_of(p, sqlite3_column_int64(st, 0)) - today - 1;
        if (k >= 0 && k < TUI_FORECAST_DAYS) d->forecast[k]++;
    }
    sqlite3_reset(st);
    if ((rc = store_check(s, rc, "forecast", e))) return rc;

    /* mastery by category, and the card counts: the rows come sorted by category, so
     * one is open at a time */
    st = store_prepare(s, "SELECT n.category, n.id, " CARD_COLS " FROM cards c JOIN notes n ON n.id = c.note_id WHERE c.gone = 0 AND n.gone = 0 ORDER BY n.category, n.id", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    mastery_acc all = {0}, acc = {0};
    tui_category *k = NULL;
    int64_t last_note = -1;
    int cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *cat = (const char *)sqlite3_column_text(st, 0);
        if (!cat) cat = "";
        if (!k || strcmp(k->name, cat) != 0) {
            if (k) k->level = mastery_acc_level(&acc), k->reviewed = acc.reviewed;
            if (d->n_cat == cap) d->cat = xrealloc(d->cat, (size_t)(cap = cap ? cap * 2 : 32) * sizeof *d->cat);
            k = &d->cat[d->n_cat++];
            memset(k, 0, sizeof *k);
            k->name = xstrdup(cat);
            memset(&acc, 0, sizeof acc);
        }
        int64_t nid = sqlite3_column_int64(st, 1);
        if (nid != last_note) k->notes++;
        last_note = nid;
        sched_card c;
        store_col_card(st, 2, &c);
        int lvl = mastery_of_card(p, &c, now);
        mastery_acc_add(&acc, lvl, c.reps > 0);
        mastery_acc_add(&all, lvl, c.reps > 0);
        k->cards++;
        k->counts[lvl < 0 ? 0 : lvl > 5 ? 5 : lvl]++;
        d->cards++;
        if (sqlite3_column_type(st, 6) == SQLITE_NULL) d->new_total++; /* due IS NULL exactly for new cards */
    }
    sqlite3_reset(st);
    if (k) k->level = mastery_acc_level(&acc), k->reviewed = acc.reviewed;
    if ((rc = store_check(s, rc, "mastery", e))) return rc;
    d->level = mastery_acc_level(&all);

    /* what today still allows of the new cards */
    int per_day;
    if ((rc = store_new_per_day(s, &per_day, e)) != DLS_OK) return rc;
    d->new_today_left = per_day - new_today;
    if (d->new_today_left > d->new_total) d->new_today_left = d->new_total;
    if (d->new_today_left < 0) d->new_today_left = 0;
    return DLS_OK;
}

void tui_dash_deinit(tui_dash *d) {
    for (int i = 0; i < d->n_cat; i++) free(d->cat[i].name);
    free(d->cat);
    memset(d, 0, sizeof *d);
}

static char *fold_ascii(const char *s) {
    char *f = xstrdup(s);
    for (char *q = f; *q; q++) *q = (char)tolower((unsigned char)*q);
    return f;
}

typedef struct id_row {
    int64_t id;
    int     row;
} id_row;

static int cmp_id_row(const void *a, const void *b) {
    int64_t x = ((const id_row *)a)->id, y = ((const id_row *)b)->id;
    return (x > y) - (x < y);
}

int tui_data_notes(store *s, const sched_params *p, int64_t now, int with_cards, tui_note_row **out, int *n,
                   dls_error *e) {
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_prepare(s,
        "SELECT n.id, n.path, n.title, n.category, n.tags FROM notes n WHERE n.gone = 0 "
        "ORDER BY n.category, n.title, n.path", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    int rc, cap = 0;
    tui_note_row *rows = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) rows = xrealloc(rows, (size_t)(cap = cap ? cap * 2 : 256) * sizeof *rows);
        tui_note_row *r = &rows[(*n)++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(st, 0);
        r->path = store_col_text(st, 1);
        r->title = store_col_text(st, 2);
        r->category = store_col_text(st, 3);
        r->tags = store_col_text(st, 4);
        r->level = -1;
        char *all = xasprintf("%s\n%s\n%s\n%s", r->title, r->category, r->tags, r->path);
        r->fold = fold_ascii(all);
        free(all);
    }
    sqlite3_reset(st);
    if ((rc = store_check(s, rc, "notes", e))) {
        tui_note_rows_free(rows, *n);
        *n = 0;
        return rc;
    }
    *out = rows;
    if (!with_cards) return DLS_OK;
    /* per-note mastery and due cards. The cards come by note id, the rows in display
     * order: walk the rows sorted by id alongside (a search per note was quadratic,
     * a third of the time at 10,000 notes) */
    st = store_prepare(s, "SELECT c.note_id, " CARD_COLS " FROM cards c WHERE c.gone = 0 ORDER BY c.note_id", e);
    if (!st) return DLS_OK; /* the list is still useful without mastery */
    id_row *by_id = xmalloc((size_t)(*n ? *n : 1) * sizeof *by_id);
    for (int i = 0; i < *n; i++) by_id[i] = (id_row){rows[i].id, i};
    qsort(by_id, (size_t)*n, sizeof *by_id, cmp_id_row);
    int64_t day_end = sched_day_start(p, sched_day_of(p, now) + 1);
    int cur = -1, next = 0;
    int64_t cur_id = -1;
    mastery_acc acc = {0};
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t nid = sqlite3_column_int64(st, 0);
        if (nid != cur_id) {
            if (cur >= 0) rows[cur].level = mastery_acc_level(&acc);
            memset(&acc, 0, sizeof acc);
            cur_id = nid;
            while (next < *n && by_id[next].id < nid) next++;
            cur = next < *n && by_id[next].id == nid ? by_id[next].row : -1;
        }
        if (cur < 0) continue;
        sched_card c;
        store_col_card(st, 1, &c);
        mastery_acc_add(&acc, mastery_of_card(p, &c, now), c.reps > 0);
        rows[cur].cards++;
        if (c.reps > 0) rows[cur].reviewed++;
        if (c.state != SCHED_NEW && c.due < day_end) rows[cur].due++;
        if (c.last_review > rows[cur].last_review) rows[cur].last_review = c.last_review;
    }
    if (cur >= 0) rows[cur].level = mastery_acc_level(&acc);
    sqlite3_reset(st);
    free(by_id);
    return DLS_OK;
}

void tui_note_rows_free(tui_note_row *rows, int n) {
    for (int i = 0; i < n; i++) {
        free(rows[i].path);
        free(rows[i].title);
        free(rows[i].category);
        free(rows[i].tags);
        free(rows[i].fold);
    }
    free(rows);
}

int tui_note_matches(const tui_note_row *r, const char *query) {
    char *q = fold_ascii(query);
    int ok = 1;
    for (char *w = strtok(q, " \t"); w && ok; w = strtok(NULL, " \t"))
        if (!strstr(r->fold, w)) ok = 0;
    free(q);
    return ok;
}

int tui_data_note_info(store *s, int64_t note_id, char **path, char **title, char **category,
                       char **labs, dls_error *e) {
    sqlite3_stmt *st = store_prepare(s, "SELECT path, title, category, labs FROM notes WHERE id = ?1", e);
    if (!st) return e ? e->code : DLS_ERR_DB;
    sqlite3_bind_int64(st, 1, note_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (path) *path = store_col_text(st, 0);
        if (title) *title = store_col_text(st, 1);
        if (category) *category = store_col_text(st, 2);
        if (labs) *labs = store_col_text(st, 3);
        sqlite3_reset(st);
        return DLS_OK;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return dls_fail(e, DLS_ERR_NOTFOUND, "note %lld not found", (long long)note_id);
    return store_check(s, rc, "note", e);
}
