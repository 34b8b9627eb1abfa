/* home.c: the dashboard: what is due today, new cards, overdue, the streak, a heatmap
 * of the last months of reviews, the next days' forecast and mastery by category.
 * Read from the database only (data.c), so it draws before the notes are synced. */
#include "tui/screens/data.h"
#include "tui/screens/screens.h"

#include "study/mastery.h"
#include "tui/widgets/widgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct home_view {
    tui_view base;
    tui_dash d;
    int      ok, stale;
    char     err[256];
} home_view;

static void refresh(home_view *hv, tui_app *a) {
    hv->stale = 0;
    hv->ok = 0;
    if (!tui_app_store(a)) {
        snprintf(hv->err, sizeof hv->err, "no database");
        return;
    }
    dls_error e = {0};
    /* before the first sync (the first frame) only the cheap counts; all after it */
    if (tui_data_dash(tui_app_store(a), tui_app_sched(a), tui_app_now(a), tui_app_synced(a), &hv->d, &e) != DLS_OK)
        snprintf(hv->err, sizeof hv->err, "%s", e.msg);
    else
        hv->ok = 1;
}

static int put_figure(tui_grid *g, int y, int x, int w, int n, const char *what, int color) {
    tui_style ns = {TUI_A_BOLD, (uint8_t)(n ? color : TUI_C_DEFAULT)};
    int used = tui_grid_printf(g, y, x, w, ns, "%d", n);
    used += tui_grid_printf(g, y, x + used, w - used, TUI_PLAIN, " %s   ", what);
    return used;
}

static void draw_forecast(const tui_dash *d, tui_grid *g, int y, int x, int w) {
    static const char *const wd[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const uint32_t bars[] = {0x2581, 0x2582, 0x2583, 0x2584, 0x2585, 0x2586, 0x2587, 0x2588};
    int max = 1;
    for (int i = 0; i < TUI_FORECAST_DAYS; i++)
        if (d->forecast[i] > max) max = d->forecast[i];
    tui_style ms = {0, TUI_C_MUTED}, bs = {0, TUI_C_HEADING};
    for (int i = 0; i < TUI_FORECAST_DAYS && x + i * 6 + 5 <= w; i++) {
        int cx = x + i * 6;
        tui_grid_puts(g, y, cx, 5, ms, i == 0 ? "tmrw" : wd[(d->today_wday + 1 + i) % 7]);
        int n = d->forecast[i];
        if (n) tui_grid_fill(g, y + 1, cx + 1, 2, bars[(n * 7 + max - 1) / max], bs);
        tui_grid_printf(g, y + 2, cx, 5, n ? TUI_PLAIN : ms, "%3d", n);
    }
}

/* The cards of a category by mastery level, as one bar: new (·) to mastered (█). */
static void draw_levels(tui_grid *g, int y, int x, int w, const int counts[6], int total) {
    static const uint32_t glyph[6] = {0x00B7, 0x2591, 0x2592, 0x2593, 0x2588, 0x2588};
    static const int color[6] = {TUI_C_MUTED, TUI_C_HEAT1, TUI_C_HEAT2, TUI_C_HEAT3, TUI_C_HEAT4, TUI_C_GOOD};
    if (total <= 0 || w <= 0) return;
    int used = 0, acc = 0;
    for (int l = 0; l < 6; l++) {
        acc += counts[l];
        int end = (int)((long)acc * w / total); /* cumulative, so the parts add up to w */
        tui_style st = {l == 5 ? TUI_A_BOLD : 0, (uint8_t)color[l]};
        tui_grid_fill(g, y, x + used, end - used, glyph[l], st);
        used = end;
    }
}

static void home_draw(tui_view *v, tui_app *a, tui_grid *g, int y, int h) {
    home_view *hv = (home_view *)v;
    if (hv->stale) refresh(hv, a);
    int w = g->w, bottom = y + h;
    if (!hv->ok) {
        tui_style bs = {TUI_A_BOLD, TUI_C_BAD};
        tui_grid_puts(g, y + 1, 2, w - 4, bs, hv->err);
        return;
    }
    const tui_dash *d = &hv->d;
    tui_draw_section(g, y, 0, w, "Today");
    int x = 2, r = y + 1;
    x += put_figure(g, r, x, w - x, d->due_today, "due", TUI_C_ACCENT);
    x += put_figure(g, r, x, w - x, d->overdue, "overdue", TUI_C_BAD);
    if (d->full) x += put_figure(g, r, x, w - x, d->new_today_left, "new", TUI_C_GOOD);
    x += put_figure(g, r, x, w - x, d->reviewed_today, "reviewed", TUI_C_DEFAULT);
    r++;
    x = 2;
    tui_style ss = {TUI_A_BOLD, TUI_C_WARN};
    tui_style ms = {0, TUI_C_MUTED};
    if (d->full) {
        x += tui_grid_printf(g, r, x, w - x, ss, "streak %d day%s", d->streak, d->streak == 1 ? "" : "s");
        x += tui_grid_printf(g, r, x, w - x, ms, " (best %d)   ", d->best_streak);
    }
    if (d->full) x += tui_grid_printf(g, r, x, w - x, ms, "%d notes \xc2\xb7 %d cards", d->notes, d->cards);
    else x += tui_grid_printf(g, r, x, w - x, ms, "%d notes", d->notes);
    if (d->broken) tui_grid_printf(g, r, x, w - x, (tui_style){TUI_A_BOLD, TUI_C_BAD}, " \xc2\xb7 %d unreadable", d->broken);
    r++;
    if (d->due_today + d->new_today_left > 0 && r < bottom) {
        tui_style hs = {TUI_A_BOLD, TUI_C_GOOD};
        tui_grid_puts(g, r, 2, w - 4, hs, "Press r to start today's review.");
    } else if (r < bottom) {
        tui_grid_puts(g, r, 2, w - 4, ms, "Nothing due now. Browse notes (n) or run a lab (l).");
    }
    r += 2;

    if (!d->full) return; /* the rest comes a moment later, after the first frame */
    /* heatmap and forecast side by side when there is room, else stacked */
    int heat_w = w >= 100 ? w - 48 : w - 2;
    if (heat_w > 4 + 27) heat_w = 4 + 27;
    if (r + 9 <= bottom) {
        tui_draw_section(g, r, 0, w >= 100 ? heat_w + 4 : w, "Reviews, last 6 months");
        tui_heatmap_draw(g, r + 1, 2, heat_w, d->heat, TUI_HEAT_DAYS, d->today_wday, d->heat_month);
        if (w >= 100) {
            int fx = heat_w + 6;
            tui_draw_section(g, r, fx, w - fx, "Next 7 days");
            draw_forecast(d, g, r + 2, fx + 1, w);
            r += 10;
        } else {
            r += 9;
            if (r + 4 <= bottom) {
                tui_draw_section(g, r, 0, w, "Next 7 days");
                draw_forecast(d, g, r + 1, 2, w);
                r += 4;
            }
        }
    }
    if (r + 1 < bottom) {
        tui_draw_section(g, r, 0, w, "Mastery by category");
        r++;
        for (int i = 0; i < d->n_cat && r < bottom; i++, r++) {
            const tui_category *c = &d->cat[i];
            tui_style st = {TUI_A_BOLD, TUI_C_WARN};
            int bw = w >= 100 ? 30 : 0; /* wide: the cards' levels as a bar */
            int cw = w - 40 - bw > 12 ? w - 40 - bw : 12;
            tui_grid_puts(g, r, 2, cw, TUI_PLAIN, *c->name ? c->name : "(none)");
            tui_grid_puts(g, r, 3 + cw, 5, st, mastery_stars(c->level, 0));
            tui_grid_printf(g, r, 10 + cw, 20, ms, "%3d notes %4d cards", c->notes, c->cards);
            if (bw) draw_levels(g, r, 31 + cw, bw - 2, c->counts, c->cards);
        }
        if (d->n_cat == 0 && r < bottom)
            tui_grid_puts(g, r, 2, w - 4, ms, tui_app_synced(a) ? "No notes yet: add .md files to the notes folder." : "Reading the notes folder\xe2\x80\xa6");
    }
}

static int home_key(tui_view *v, tui_app *a, int key, int action) {
    (void)key;
    home_view *hv = (home_view *)v;
    tui_view *next = NULL;
    switch (action) {
    case TUI_ACT_GO_REVIEW: next = tui_review_new(a); break;
    case TUI_ACT_GO_NOTES: next = tui_notes_new(a, NULL, key == '/'); break;
    case TUI_ACT_GO_MASTERY: next = tui_mastery_new(a); break;
    case TUI_ACT_GO_LABS: next = tui_labs_new(a, NULL, NULL); break;
    default: return TUI_R_NONE;
    }
    hv->stale = 1; /* figures change while the other screen is open */
    tui_app_push(a, next);
    return TUI_R_HANDLED;
}

static void home_status(tui_view *v, tui_app *a, char *buf, size_t n) {
    home_view *hv = (home_view *)v;
    time_t t = (time_t)tui_app_now(a);
    struct tm tm;
    localtime_r(&t, &tm);
    char day[32];
    strftime(day, sizeof day, "%a %Y-%m-%d", &tm);
    if (hv->ok && hv->d.full) snprintf(buf, n, "%d to review \xc2\xb7 %s", hv->d.due_today + hv->d.new_today_left, day);
    else snprintf(buf, n, "%s", day);
}

static void home_reload(tui_view *v, tui_app *a) {
    (void)a;
    ((home_view *)v)->stale = 1;
}

static void home_free(tui_view *v) {
    tui_dash_deinit(&((home_view *)v)->d);
    free(v);
}

static const tui_view_ops home_ops = {
    .name = "Dashboard", .keys = &tui_keys_home, .draw = home_draw, .key = home_key,
    .status = home_status, .reload = home_reload, .free = home_free,
};

tui_view *tui_home_new(tui_app *a) {
    home_view *hv = xcalloc(1, sizeof *hv);
    hv->base.ops = &home_ops;
    refresh(hv, a);
    return &hv->base;
}
