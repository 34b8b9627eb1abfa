/* mastery.c: each note's mastery as stars with its cards and reviews, and for the
 * selected note its history: its level week by week (mastery_history_load, the same
 * numbers as `dlstudy mastery`) and its reviews (mastery_note_reviews): when, which
 * card, the rating, the interval it gave and the card's level right after. */
#include "tui/screens/data.h"
#include "tui/screens/screens.h"

#include "study/mastery.h"
#include "tui/widgets/widgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { HISTORY_MAX = 200, TREND_WEEKS = 8 }; /* 8 weeks of 10,000 notes: ~0.1 s */

typedef struct mastery_view {
    tui_view         base;
    tui_note_row    *rows;
    int              n;
    tui_list         list;
    int              list_h;
    int64_t          hist_note;
    mastery_review  *hist;
    int              n_hist;
    mastery_history  trend;   /* every note's level over the last TREND_WEEKS weeks */
    char             err[256];
} mastery_view;

static int by_level(const void *pa, const void *pb) {
    const tui_note_row *a = pa, *b = pb;
    if (a->level != b->level) return b->level - a->level;
    int c = strcmp(a->category, b->category);
    return c ? c : strcmp(a->title, b->title);
}

static void load(mastery_view *mv, tui_app *a) {
    tui_note_rows_free(mv->rows, mv->n);
    mv->rows = NULL;
    mv->n = 0;
    mv->hist_note = -1;
    dls_error e = {0};
    mv->err[0] = '\0';
    if (!tui_app_store(a)) snprintf(mv->err, sizeof mv->err, "no database");
    else if (tui_data_notes(tui_app_store(a), tui_app_sched(a), tui_app_now(a), tui_app_synced(a), &mv->rows, &mv->n, &e) != DLS_OK)
        snprintf(mv->err, sizeof mv->err, "%s", e.msg);
    if (mv->n) qsort(mv->rows, (size_t)mv->n, sizeof *mv->rows, by_level);
    mastery_history_deinit(&mv->trend);
    if (mv->n && tui_app_synced(a) &&
        mastery_history_load(tui_app_store(a), tui_app_sched(a), tui_app_now(a), TREND_WEEKS, &mv->trend, &e) != DLS_OK)
        memset(&mv->trend, 0, sizeof mv->trend); /* the list stands without it */
    tui_list_set_count(&mv->list, mv->n);
}

static void load_history(mastery_view *mv, tui_app *a) {
    int64_t id = mv->list.sel >= 0 && mv->list.sel < mv->n ? mv->rows[mv->list.sel].id : -1;
    if (id == mv->hist_note) return;
    mastery_reviews_free(mv->hist, mv->n_hist);
    mv->hist = NULL;
    mv->n_hist = 0;
    mv->hist_note = id;
    if (id < 0 || !tui_app_store(a)) return;
    dls_error e = {0};
    mastery_note_reviews(tui_app_store(a), tui_app_sched(a), id, HISTORY_MAX, &mv->hist, &mv->n_hist, &e);
}

static void draw_row(void *ctx, int item, tui_grid *g, int y, int x, int w, int selected) {
    (void)selected;
    mastery_view *mv = ctx;
    const tui_note_row *r = &mv->rows[item];
    tui_style ss = {TUI_A_BOLD, TUI_C_WARN}, ms = {0, TUI_C_MUTED};
    tui_grid_fill(g, y, x, w, ' ', TUI_PLAIN);
    tui_grid_puts(g, y, x + 1, 5, ss, mastery_stars(r->level, 0));
    /* right side: reviewed/cards and the status word ("reviewing" is the longest) */
    tui_grid_puts(g, y, x + 7, w - 28, TUI_PLAIN, r->title);
    tui_grid_printf(g, y, x + w - 20, 20, ms, "%3d/%-3d %s", r->reviewed, r->cards,
                    r->level < 0 ? "-" : mastery_status(r->level, r->reviewed > 0));
}

static void draw_history(mastery_view *mv, tui_app *a, tui_grid *g, int y, int x, int h, int w) {
    static const char *const names[] = {"date", "again", "hard", "good", "easy"};
    static const int colors[] = {TUI_C_MUTED, TUI_C_BAD, TUI_C_WARN, TUI_C_GOOD, TUI_C_HEADING};
    tui_style ms = {0, TUI_C_MUTED}, ss = {TUI_A_BOLD, TUI_C_WARN};
    const tui_note_row *r = mv->list.sel >= 0 && mv->list.sel < mv->n ? &mv->rows[mv->list.sel] : NULL;
    tui_draw_section(g, y, x, w, r ? r->title : "History");
    if (!r) return;
    if (mv->n_hist == 0) {
        tui_grid_puts(g, y + 1, x + 1, w - 2, ms, "Not reviewed yet.");
        return;
    }
    /* the note's level week by week, oldest to now: its trajectory at a glance */
    const mastery_note *mn = NULL;
    for (size_t i = 0; i < mv->trend.n_notes && !mn; i++)
        if (mv->trend.notes[i].id == r->id) mn = &mv->trend.notes[i];
    if (mn) {
        static const uint32_t bars[] = {0x2581, 0x2582, 0x2583, 0x2585, 0x2586, 0x2588};
        int sx = x + 1;
        sx += tui_grid_printf(g, y + 1, sx, w - 2, ms, "%d weeks: ", mv->trend.n_points - 1);
        for (int i = 0; i < mv->trend.n_points && sx < x + w - 1; i++) {
            int l = mastery_acc_level(&mn->at[i]);
            tui_grid_fill(g, y + 1, sx++, 1, l >= 0 ? bars[l > 5 ? 5 : l] : 0x00B7, ss);
        }
        tui_grid_puts(g, y + 1, sx, x + w - 1 - sx, ms, " now");
    }
    for (int i = 0; i < mv->n_hist && i < h - 2; i++) {
        const mastery_review *hr = &mv->hist[i];
        int ry = y + 2 + i;
        char when[32];
        tui_when(hr->at, tui_app_now(a), when, sizeof when);
        tui_grid_puts(g, ry, x + 1, 10, ms, when);
        int rt = hr->rating >= 1 && hr->rating <= 4 ? hr->rating : 0;
        tui_grid_puts(g, ry, x + 12, 5, (tui_style){TUI_A_BOLD, (uint8_t)colors[rt]}, rt ? names[rt] : "past");
        if (hr->level_after >= 0) tui_grid_puts(g, ry, x + 18, 5, ss, mastery_stars(hr->level_after, 0));
        if (hr->scheduled > 0) tui_grid_printf(g, ry, x + 24, 6, ms, "%dd", hr->scheduled);
        tui_grid_puts(g, ry, x + 30, w - 31, TUI_PLAIN, hr->card);
    }
}

static void mastery_draw(tui_view *v, tui_app *a, tui_grid *g, int y, int h) {
    mastery_view *mv = (mastery_view *)v;
    int w = g->w;
    if (mv->err[0] || mv->n == 0) {
        tui_grid_puts(g, y + 1, 2, w - 4, (tui_style){TUI_A_BOLD, mv->err[0] ? TUI_C_BAD : TUI_C_MUTED},
                      mv->err[0] ? mv->err : "No notes yet.");
        return;
    }
    load_history(mv, a);
    if (w >= 110) {
        int lw = w / 2;
        mv->list_h = h;
        tui_list_draw(&mv->list, g, y, 0, h, lw, draw_row, mv);
        draw_history(mv, a, g, y, lw + 1, h, w - lw - 1);
    } else {
        int lh = h / 2;
        mv->list_h = lh;
        tui_list_draw(&mv->list, g, y, 0, lh, w, draw_row, mv);
        draw_history(mv, a, g, y + lh, 0, h - lh, w);
    }
}

static int mastery_key(tui_view *v, tui_app *a, int key, int action) {
    (void)key;
    mastery_view *mv = (mastery_view *)v;
    if (tui_list_act(&mv->list, action, mv->list_h)) return TUI_R_HANDLED;
    if (action == TUI_ACT_OPEN && mv->list.sel >= 0 && mv->list.sel < mv->n) {
        tui_app_push(a, tui_viewer_new(a, mv->rows[mv->list.sel].id));
        return TUI_R_HANDLED;
    }
    return TUI_R_NONE;
}

static void view_status(tui_view *v, tui_app *a, char *buf, size_t n) {
    (void)a;
    mastery_view *mv = (mastery_view *)v;
    int counts[7] = {0};
    for (int i = 0; i < mv->n; i++) counts[mv->rows[i].level + 1]++;
    snprintf(buf, n, "%d notes \xc2\xb7 %d mastered", mv->n, counts[6]);
}

static void mastery_reload(tui_view *v, tui_app *a) { load((mastery_view *)v, a); }

static void mastery_free(tui_view *v) {
    mastery_view *mv = (mastery_view *)v;
    tui_note_rows_free(mv->rows, mv->n);
    mastery_reviews_free(mv->hist, mv->n_hist);
    mastery_history_deinit(&mv->trend);
    free(mv);
}

static const tui_view_ops mastery_ops = {
    .name = "Mastery", .keys = &tui_keys_mastery, .draw = mastery_draw, .key = mastery_key,
    .status = view_status, .reload = mastery_reload, .free = mastery_free,
};

tui_view *tui_mastery_new(tui_app *a) {
    mastery_view *mv = xcalloc(1, sizeof *mv);
    mv->base.ops = &mastery_ops;
    mv->hist_note = -1;
    load(mv, a);
    return &mv->base;
}
