/* review.c: the review screen over study/review.h. Front: category, note title, the
 * concept's breadcrumb and its heading (or the explicit card's question); Space/Enter
 * reveals the back, rendered; 1-4 grade with each button showing its interval; u undo;
 * e edits the note and comes back to the same card; l the card's labs; s skip; q quit.
 * Every grade is saved by review_grade before the next card shows. */
#include "tui/screens/data.h"
#include "tui/screens/screens.h"

#include "study/review.h"
#include "tui/widgets/markdown.h"
#include "tui/widgets/widgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct review_view {
    tui_view        base;
    review_session *rs;
    char            err[256];
    int64_t         card_id;      /* the card shown, 0 when none */
    char           *kind, *front, *back, *crumb; /* fresh from the store */
    char           *title, *category, *path, *labs;
    int             revealed;
    sched_card      m;            /* its memory state, for the line under the front */
    review_choice   choice[4];
    int             have_choice;
    tui_textview    tv;
    int             tv_h;
    double          shown_ms;     /* when the card appeared (monotonic) */
    double          start_ms;     /* session start */
    int             started;      /* the session has changed something (no rebuild on sync) */
    int             loading;      /* the session is built after the first frame */
} review_view;


static void clear_card(review_view *rv) {
    free(rv->kind), free(rv->front), free(rv->back), free(rv->crumb);
    free(rv->title), free(rv->category), free(rv->path), free(rv->labs);
    rv->kind = rv->front = rv->back = rv->crumb = NULL;
    rv->title = rv->category = rv->path = rv->labs = NULL;
    rv->card_id = 0;
    rv->have_choice = 0;
    tui_textview_clear(&rv->tv);
}

/* Loads what the current card shows, fresh from the store (so an edit shows at once). */
static void load_card(review_view *rv, tui_app *a, int keep_reveal) {
    int revealed = keep_reveal ? rv->revealed : 0;
    clear_card(rv);
    rv->revealed = revealed;
    const store_card *c = rv->rs ? review_current(rv->rs) : NULL;
    dls_error fe = {0};
    if (!c && rv->rs && review_failure(rv->rs, &fe) != DLS_OK) /* shown instead of "Done" */
        snprintf(rv->err, sizeof rv->err, "%s", fe.msg);
    if (!c) return;
    rv->err[0] = '\0'; /* a card reads again (after a retry or an undo) */
    rv->card_id = c->id;
    store_card fresh = {0};
    dls_error e = {0};
    const store_card *src = c;
    if (store_card_get(tui_app_store(a), c->id, &fresh, &e) == DLS_OK) src = &fresh;
    rv->kind = xstrdup(src->kind ? src->kind : "");
    rv->front = xstrdup(src->front ? src->front : "");
    rv->back = xstrdup(src->back ? src->back : "");
    rv->crumb = xstrdup(src->heading_path ? src->heading_path : "");
    rv->m = src->m;
    if (tui_data_note_info(tui_app_store(a), src->note_id, &rv->path, &rv->title, &rv->category, &rv->labs, &e) != DLS_OK) {
        rv->path = xstrdup(review_current_path(rv->rs));
        rv->title = xstrdup(review_current_title(rv->rs));
        rv->category = xstrdup("");
        rv->labs = xstrdup(review_current_labs(rv->rs) ? review_current_labs(rv->rs) : "");
    }
    store_card_deinit(&fresh);
    rv->have_choice = review_preview(rv->rs, tui_app_now(a), rv->choice, &e) == DLS_OK;
    rv->shown_ms = tui_app_clock_ms(a);
}

static void open_session(review_view *rv, tui_app *a) {
    review_session_free(rv->rs);
    rv->rs = NULL;
    rv->err[0] = '\0';
    if (!tui_app_store(a)) {
        snprintf(rv->err, sizeof rv->err, "no database");
        return;
    }
    dls_error e = {0};
    if (review_session_new(tui_app_store(a), tui_app_ctx(a)->paths.notes_dir, tui_app_now(a), NULL, &rv->rs, &e) != DLS_OK) {
        snprintf(rv->err, sizeof rv->err, "%s", e.msg);
        rv->rs = NULL;
    }
    load_card(rv, a, 0);
}

/* ---- drawing ---- */

static const int grade_color[4] = {TUI_C_BAD, TUI_C_WARN, TUI_C_GOOD, TUI_C_HEADING};
static const char *const grade_name[4] = {"Again", "Hard", "Good", "Easy"};

static void draw_grades(review_view *rv, tui_grid *g, int y, int w) {
    int x = 1;
    for (int i = 0; i < 4; i++) {
        char label[64];
        snprintf(label, sizeof label, " %d %s ", i + 1, grade_name[i]);
        tui_style ks = {TUI_A_BOLD | TUI_A_REVERSE, (uint8_t)grade_color[i]};
        tui_style ls = {TUI_A_DIM, TUI_C_MUTED};
        int bw = (w - 2) / 4;
        tui_grid_puts(g, y, x, bw, ks, label);
        int lw = tui_text_width(label);
        if (rv->have_choice) tui_grid_printf(g, y, x + lw + 1, bw - lw - 1, ls, "%s", rv->choice[i].label);
        x += bw;
    }
}

static void draw_done(review_view *rv, tui_app *a, tui_grid *g, int y, int h) {
    int w = g->w;
    tui_style big = {TUI_A_BOLD, TUI_C_GOOD}, ms = {0, TUI_C_MUTED};
    int n = rv->rs ? review_reviewed(rv->rs) : 0;
    int secs = (int)((tui_app_clock_ms(a) - rv->start_ms) / 1000);
    int r = y + h / 3;
    if (rv->err[0]) {
        tui_style bs = {TUI_A_BOLD, TUI_C_BAD};
        tui_grid_puts(g, r, 2, w - 4, bs, rv->err);
        return;
    }
    const char *line1 = n ? "Done for now." : "Nothing is due.";
    tui_grid_puts(g, r, (w - tui_text_width(line1)) / 2, w, big, line1);
    char line2[128];
    if (n) snprintf(line2, sizeof line2, "%d card%s reviewed in %d:%02d", n, n == 1 ? "" : "s", secs / 60, secs % 60);
    else snprintf(line2, sizeof line2, "%s", tui_app_synced(a) ? "New cards come from the notes folder." : "Reading the notes folder\xe2\x80\xa6");
    tui_grid_puts(g, r + 2, (w - tui_text_width(line2)) / 2, w, ms, line2);
    const char *line3 = "u undoes the last grade \xc2\xb7 q goes back";
    if (n) tui_grid_puts(g, r + 4, (w - tui_text_width(line3)) / 2, w, ms, line3);
}

static void review_draw(tui_view *v, tui_app *a, tui_grid *g, int y, int h) {
    review_view *rv = (review_view *)v;
    int w = g->w, bottom = y + h;
    if (rv->loading) {
        const char *l = "Gathering today's cards\xe2\x80\xa6";
        tui_grid_puts(g, y + h / 3, (w - tui_text_width(l)) / 2, w, (tui_style){0, TUI_C_MUTED}, l);
        return;
    }
    if (!rv->card_id) {
        draw_done(rv, a, g, y, h);
        return;
    }
    tui_style ms = {0, TUI_C_MUTED}, cs = {TUI_A_BOLD, TUI_C_HEADING};
    /* where the card comes from: category › note title, then the breadcrumb */
    int x = 2;
    if (rv->category && *rv->category) {
        x += tui_grid_puts(g, y, x, w - x - 2, cs, rv->category);
        x += tui_grid_puts(g, y, x, w - x - 2, ms, " \xe2\x80\xba ");
    }
    tui_style ts = {TUI_A_BOLD, TUI_C_DEFAULT};
    tui_grid_puts(g, y, x, w - x - 2, ts, rv->title ? rv->title : "");
    /* the breadcrumb, unless it is just the heading shown below */
    if (rv->crumb && *rv->crumb && strcmp(rv->crumb, rv->front) != 0) tui_grid_puts(g, y + 1, 2, w - 4, ms, rv->crumb);
    /* progress */
    int done = review_reviewed(rv->rs), left = (int)review_remaining(rv->rs);
    tui_progress_draw(g, y + 2, 2, w - 4, done + left ? (double)done / (done + left) : 0, (tui_style){0, TUI_C_GOOD});

    /* the front */
    tui_lines front = {0};
    int concept = rv->kind && !strcmp(rv->kind, "concept");
    tui_md_render(rv->front, strlen(rv->front), w - 6, &front);
    int r = y + 4;
    for (int i = 0; i < front.n && i < 4 && r < bottom; i++, r++) {
        if (concept)
            for (int k = 0; k < front.v[i].n; k++) {
                front.v[i].cells[k].st.attr |= TUI_A_BOLD;
                front.v[i].cells[k].st.color = TUI_C_ACCENT;
            }
        tui_grid_put_line(g, r, 3, w - 6, &front.v[i]);
    }
    tui_lines_deinit(&front);
    if (concept && r < bottom) {
        tui_style hint = {TUI_A_DIM, TUI_C_MUTED};
        tui_grid_puts(g, r++, 3, w - 6, hint, "Recall what this section says, then reveal.");
    }
    if (r < bottom) { /* where the card stands: new, or its last review and stability */
        char when[32], line[160];
        if (rv->m.state == SCHED_NEW || rv->m.reps == 0)
            snprintf(line, sizeof line, "new card");
        else
            snprintf(line, sizeof line, "%s \xc2\xb7 last seen %s \xc2\xb7 stability %.1fd \xc2\xb7 %d lapse%s",
                     sched_state_name(rv->m.state), tui_when(rv->m.last_review, tui_app_now(a), when, sizeof when),
                     rv->m.s, rv->m.lapses, rv->m.lapses == 1 ? "" : "s");
        tui_grid_puts(g, r++, 3, w - 6, (tui_style){0, TUI_C_MUTED}, line);
    }
    r++;
    if (!rv->revealed) {
        if (r + 2 < bottom) {
            tui_grid_fill(g, r, 2, w - 4, 0x2500, ms);
            const char *p = "Space or Enter shows the answer";
            tui_grid_puts(g, r + 2, (w - tui_text_width(p)) / 2, w, (tui_style){TUI_A_BOLD, TUI_C_DEFAULT}, p);
        }
        return;
    }
    tui_grid_fill(g, r++, 2, w - 4, 0x2500, ms);
    int tv_h = bottom - 2 - r;
    int tw = w - 6;
    if (rv->tv.width != tw) {
        const char *b = rv->back && *rv->back ? rv->back : "*(this section has no text yet: press e to write it)*";
        tui_textview_set_markdown(&rv->tv, b, strlen(b), tw);
    }
    rv->tv_h = tv_h;
    if (tv_h > 0) tui_textview_draw(&rv->tv, g, r, 3, tv_h, tw);
    draw_grades(rv, g, bottom - 1, w);
}

/* ---- keys ---- */

static int grade(review_view *rv, tui_app *a, int rating) {
    if (!rv->revealed) {
        tui_app_message(a, 0, "Show the answer first (Space), then grade");
        return TUI_R_HANDLED;
    }
    review_outcome out;
    dls_error e = {0};
    int64_t dur = (int64_t)(tui_app_clock_ms(a) - rv->shown_ms);
    if (review_grade(rv->rs, rating, tui_app_now(a), dur, &out, &e) != DLS_OK) {
        tui_app_message(a, 1, "not saved: %s", e.msg);
        return TUI_R_HANDLED;
    }
    rv->started = 1;
    char ivl[16];
    review_format_interval(out.after.due - tui_app_now(a), out.after.state == SCHED_REVIEW ? out.res.scheduled_days : 0,
                           ivl, sizeof ivl);
    if (out.note_msg[0]) tui_app_message(a, 1, "saved; note not updated: %s", out.note_msg);
    else tui_app_message(a, 0, "%s \xc2\xb7 next in %s", grade_name[rating - 1], ivl);
    load_card(rv, a, 0);
    return TUI_R_HANDLED;
}

static int review_key(tui_view *v, tui_app *a, int key, int action) {
    (void)key;
    review_view *rv = (review_view *)v;
    dls_error e = {0};
    if (action == TUI_ACT_UNDO) {
        review_outcome out;
        if (!rv->rs || review_undo(rv->rs, tui_app_now(a), &out, &e) != DLS_OK) {
            tui_app_message(a, e.code == DLS_ERR_NOTFOUND || !rv->rs ? 0 : 1, "%s",
                            e.code == DLS_ERR_NOTFOUND || !rv->rs ? "nothing to undo" : e.msg);
        } else {
            tui_app_message(a, 0, "undone: the card is back");
            load_card(rv, a, 0);
        }
        return TUI_R_HANDLED;
    }
    if (!rv->card_id) return TUI_R_NONE;
    switch (action) {
    case TUI_ACT_REVEAL:
        if (!rv->revealed) {
            rv->revealed = 1;
            rv->tv.top = 0;
        } else {
            tui_textview_act(&rv->tv, TUI_ACT_PAGE_DOWN, rv->tv_h);
        }
        return TUI_R_HANDLED;
    case TUI_ACT_AGAIN: return grade(rv, a, 1);
    case TUI_ACT_HARD: return grade(rv, a, 2);
    case TUI_ACT_GOOD: return grade(rv, a, 3);
    case TUI_ACT_EASY: return grade(rv, a, 4);
    case TUI_ACT_SKIP:
        review_skip(rv->rs);
        rv->started = 1;
        tui_app_message(a, 0, "skipped: it stays due");
        load_card(rv, a, 0);
        return TUI_R_HANDLED;
    case TUI_ACT_EDIT: {
        char *path = xstrdup(rv->path ? rv->path : "");
        tui_app_edit_note(a, path); /* reloads this view: the same card, fresh text */
        free(path);
        return TUI_R_HANDLED | TUI_R_FULL;
    }
    case TUI_ACT_LAB:
        tui_app_push(a, tui_labs_new(a, rv->front, rv->labs));
        return TUI_R_HANDLED;
    case TUI_ACT_UP: case TUI_ACT_DOWN: case TUI_ACT_PAGE_UP: case TUI_ACT_PAGE_DOWN:
        if (rv->revealed) tui_textview_act(&rv->tv, action, rv->tv_h);
        return TUI_R_HANDLED;
    default:
        return TUI_R_NONE;
    }
}

static void review_status(tui_view *v, tui_app *a, char *buf, size_t n) {
    review_view *rv = (review_view *)v;
    int secs = (int)((tui_app_clock_ms(a) - rv->start_ms) / 1000);
    if (!rv->rs) {
        snprintf(buf, n, "%d:%02d", secs / 60, secs % 60);
        return;
    }
    int nn, nl, nr;
    if (review_counts(rv->rs, &nn, &nl, &nr, NULL) != DLS_OK) nn = 0; /* the status line only; the screen shows failures */
    snprintf(buf, n, "done %d \xc2\xb7 left %zu (%d new) \xc2\xb7 %d:%02d", review_reviewed(rv->rs),
             review_remaining(rv->rs), nn, secs / 60, secs % 60);
}

static int review_tick(tui_view *v, tui_app *a) {
    (void)v, (void)a;
    return TUI_R_REDRAW; /* the session clock */
}

static void review_start(tui_view *v, tui_app *a) {
    review_view *rv = (review_view *)v;
    if (!rv->loading) return;
    rv->loading = 0;
    open_session(rv, a);
}

static void review_reload(tui_view *v, tui_app *a) {
    review_view *rv = (review_view *)v;
    /* after the first sync an untouched session is rebuilt (new and changed notes);
     * a session under way keeps its queue and refreshes the card in front */
    if (!rv->started && !rv->revealed && tui_app_notes_changed(a)) open_session(rv, a);
    else load_card(rv, a, 1);
}

static void review_free(tui_view *v) {
    review_view *rv = (review_view *)v;
    clear_card(rv);
    tui_textview_deinit(&rv->tv);
    review_session_free(rv->rs);
    free(rv);
}

static const tui_view_ops review_ops = {
    .name = "Review", .keys = &tui_keys_review, .draw = review_draw, .key = review_key,
    .tick = review_tick, .tick_ms = 1000, .status = review_status, .start = review_start, .reload = review_reload,
    .free = review_free,
};

tui_view *tui_review_new(tui_app *a) {
    review_view *rv = xcalloc(1, sizeof *rv);
    rv->base.ops = &review_ops;
    rv->start_ms = tui_app_clock_ms(a);
    /* building the queue reads every card: after the first frame when starting up */
    if (tui_app_started(a)) open_session(rv, a);
    else rv->loading = 1;
    return &rv->base;
}
