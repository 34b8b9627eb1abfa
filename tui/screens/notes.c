/* notes.c: the notes browser: every note with its category, mastery stars and due
 * cards; `/` starts an incremental search over title, tags, category and path (any
 * script: CJK words match as substrings, ASCII ignores case). Enter opens the viewer. */
#include "tui/screens/data.h"
#include "tui/screens/screens.h"

#include "study/mastery.h"
#include "study/note.h"
#include "tui/widgets/markdown.h"
#include "tui/widgets/widgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct notes_view {
    tui_view      base;
    tui_note_row *rows;
    int           n;
    int          *shown;   /* indices of the rows that match the query */
    int           n_shown;
    tui_list      list;
    char          query[256];
    int           searching;
    int           list_h;
    int           cur_y, cur_x;
    char          err[256];
    /* wide terminals: the selected note, rendered beside the list (cached by id/width) */
    tui_textview  preview;
    int64_t       preview_id;
    int           preview_w;
} notes_view;

enum { PREVIEW_MIN_W = 120 };

static void draw_preview(notes_view *nv, tui_app *a, tui_grid *g, int y, int x, int h, int w) {
    const tui_note_row *r = &nv->rows[nv->shown[nv->list.sel]];
    if (r->id != nv->preview_id || w != nv->preview_w) {
        tui_textview_clear(&nv->preview);
        nv->preview_id = r->id;
        nv->preview_w = w;
        char *file = xasprintf("%s/%s", tui_app_ctx(a)->paths.notes_dir, r->path);
        note *n = NULL;
        dls_error e = {0};
        if (note_load(file, tui_app_ctx(a)->paths.notes_dir, &n, &e) == DLS_OK) {
            tui_textview_set_markdown(&nv->preview, n->body, n->body_len, w);
            note_free(n);
        } else {
            tui_text_wrap(e.msg, w, (tui_style){TUI_A_BOLD, TUI_C_BAD}, &nv->preview.lines);
        }
        free(file);
    }
    tui_style ms = {0, TUI_C_MUTED};
    for (int r2 = 0; r2 < h; r2++) tui_grid_fill(g, y + r2, x - 2, 1, 0x2502, ms);
    tui_textview_draw(&nv->preview, g, y, x, h, w);
}

static void filter(notes_view *nv) {
    int64_t keep = nv->list.sel >= 0 && nv->list.sel < nv->n_shown ? nv->rows[nv->shown[nv->list.sel]].id : -1;
    nv->n_shown = 0;
    for (int i = 0; i < nv->n; i++)
        if (!nv->query[0] || tui_note_matches(&nv->rows[i], nv->query)) nv->shown[nv->n_shown++] = i;
    nv->list.sel = 0;
    for (int k = 0; k < nv->n_shown; k++)
        if (nv->rows[nv->shown[k]].id == keep) nv->list.sel = k;
    tui_list_set_count(&nv->list, nv->n_shown);
}

static void load(notes_view *nv, tui_app *a) {
    tui_note_rows_free(nv->rows, nv->n);
    free(nv->shown);
    nv->rows = NULL;
    nv->n = 0;
    nv->err[0] = '\0';
    dls_error e = {0};
    if (!tui_app_store(a)) snprintf(nv->err, sizeof nv->err, "no database");
    else if (tui_data_notes(tui_app_store(a), tui_app_sched(a), tui_app_now(a), tui_app_synced(a), &nv->rows, &nv->n, &e) != DLS_OK)
        snprintf(nv->err, sizeof nv->err, "%s", e.msg);
    nv->shown = xcalloc((size_t)(nv->n ? nv->n : 1), sizeof *nv->shown);
    filter(nv);
}

static void draw_row(void *ctx, int item, tui_grid *g, int y, int x, int w, int selected) {
    (void)selected;
    notes_view *nv = ctx;
    const tui_note_row *r = &nv->rows[nv->shown[item]];
    tui_style ms = {0, TUI_C_MUTED}, ss = {TUI_A_BOLD, TUI_C_WARN};
    int right = 26; /* stars (5) + due + category share */
    int cat_w = w >= 100 ? 28 : 18;
    int title_w = w - right - cat_w - 3;
    if (title_w < 10) title_w = 10;
    tui_grid_fill(g, y, x, w, ' ', TUI_PLAIN);
    tui_grid_puts(g, y, x + 1, title_w, TUI_PLAIN, r->title);
    tui_grid_puts(g, y, x + 2 + title_w, cat_w, ms, r->category);
    int sx = x + 3 + title_w + cat_w;
    tui_grid_puts(g, y, sx, 5, ss, mastery_stars(r->level, 0));
    if (r->due) tui_grid_printf(g, y, sx + 6, w - (sx + 6 - x), (tui_style){TUI_A_BOLD, TUI_C_ACCENT}, "%d due", r->due);
    else tui_grid_printf(g, y, sx + 6, w - (sx + 6 - x), ms, "%d card%s", r->cards, r->cards == 1 ? "" : "s");
}

static void notes_draw(tui_view *v, tui_app *a, tui_grid *g, int y, int h) {
    notes_view *nv = (notes_view *)v;
    int w = g->w;
    tui_style ls = {TUI_A_BOLD, nv->searching ? TUI_C_ACCENT : TUI_C_MUTED}, ms = {0, TUI_C_MUTED};
    int x = 1 + tui_grid_puts(g, y, 1, w - 2, ls, "Search: ");
    int qx = x;
    x += tui_grid_puts(g, y, x, w - x - 14, TUI_PLAIN, nv->query);
    nv->cur_y = y;
    nv->cur_x = x;
    if (!nv->query[0] && !nv->searching) tui_grid_puts(g, y, qx, w - qx, ms, "press / and type a title, tag or category");
    char count[48];
    snprintf(count, sizeof count, "%d of %d", nv->n_shown, nv->n);
    tui_grid_puts(g, y, w - tui_text_width(count) - 1, 16, ms, count);
    if (nv->err[0]) {
        tui_grid_puts(g, y + 2, 2, w - 4, (tui_style){TUI_A_BOLD, TUI_C_BAD}, nv->err);
        return;
    }
    nv->list_h = h - 1;
    if (nv->n_shown == 0) {
        tui_grid_puts(g, y + 2, 2, w - 4, ms, nv->n ? "No note matches." : "No notes yet.");
        return;
    }
    int lw = w >= PREVIEW_MIN_W ? w / 2 : w;
    tui_list_draw(&nv->list, g, y + 1, 0, h - 1, lw, draw_row, nv);
    if (lw < w) draw_preview(nv, a, g, y + 1, lw + 2, h - 1, w - lw - 3);
}

static void query_pop(char *q) {
    size_t n = strlen(q);
    while (n > 0 && ((unsigned char)q[n - 1] & 0xC0) == 0x80) n--; /* continuation bytes */
    if (n > 0) n--;
    q[n] = '\0';
}

static void set_searching(notes_view *nv, int on);

static int notes_key(tui_view *v, tui_app *a, int key, int action) {
    notes_view *nv = (notes_view *)v;
    if (nv->searching) {
        if (key == 27) { /* Esc: clear and leave the field */
            nv->query[0] = '\0';
            set_searching(nv, 0);
            filter(nv);
            return TUI_R_HANDLED;
        }
        if (key == TUI_K_ENTER) {
            set_searching(nv, 0);
            return TUI_R_HANDLED;
        }
        if (key == TUI_K_BACKSPACE) {
            query_pop(nv->query);
            filter(nv);
            return TUI_R_HANDLED;
        }
        if (key == TUI_K_CTRL('u')) {
            nv->query[0] = '\0';
            filter(nv);
            return TUI_R_HANDLED;
        }
        if (key >= 32 && key < 0x110000 && key != 127) {
            char u[5];
            int wdt;
            if (!tui_sanitize_cp((uint32_t)key, &wdt)) return TUI_R_HANDLED;
            int k = tui_utf8_put((uint32_t)key, u);
            size_t len = strlen(nv->query);
            if (len + (size_t)k < sizeof nv->query) {
                memcpy(nv->query + len, u, (size_t)k);
                nv->query[len + k] = '\0';
            }
            filter(nv);
            return TUI_R_HANDLED;
        }
        /* arrows still move the list (the search keymap); Ctrl-C, Ctrl-L still work */
        if (action != TUI_ACT_UP && action != TUI_ACT_DOWN && action != TUI_ACT_PAGE_UP &&
            action != TUI_ACT_PAGE_DOWN && action != TUI_ACT_QUIT && action != TUI_ACT_REDRAW)
            return TUI_R_HANDLED;
    }
    if (tui_list_act(&nv->list, action, nv->list_h)) return TUI_R_HANDLED;
    switch (action) {
    case TUI_ACT_SEARCH:
        set_searching(nv, 1);
        return TUI_R_HANDLED;
    case TUI_ACT_OPEN:
        if (nv->list.sel >= 0 && nv->list.sel < nv->n_shown)
            tui_app_push(a, tui_viewer_new(a, nv->rows[nv->shown[nv->list.sel]].id));
        return TUI_R_HANDLED;
    case TUI_ACT_BACK:
        if (nv->query[0]) { /* Esc or q first clears the search */
            nv->query[0] = '\0';
            filter(nv);
            return TUI_R_HANDLED;
        }
        return TUI_R_NONE;
    default:
        return TUI_R_NONE;
    }
}

static int notes_cursor(tui_view *v, tui_app *a, int *y, int *x) {
    (void)a;
    notes_view *nv = (notes_view *)v;
    if (!nv->searching) return 0;
    *y = nv->cur_y;
    *x = nv->cur_x;
    return 1;
}

static void notes_reload(tui_view *v, tui_app *a) {
    notes_view *nv = (notes_view *)v;
    nv->preview_id = -1; /* a note may have changed */
    load(nv, a);
}

static void notes_free(tui_view *v) {
    notes_view *nv = (notes_view *)v;
    tui_note_rows_free(nv->rows, nv->n);
    free(nv->shown);
    tui_textview_deinit(&nv->preview);
    free(nv);
}

static const tui_view_ops notes_ops = {
    .name = "Notes", .keys = &tui_keys_notes, .draw = notes_draw, .key = notes_key,
    .reload = notes_reload, .cursor = notes_cursor, .free = notes_free,
};
/* The same screen while the search field takes the keys: its own help line. */
static const tui_view_ops notes_search_ops = {
    .name = "Notes", .keys = &tui_keys_search, .draw = notes_draw, .key = notes_key,
    .reload = notes_reload, .cursor = notes_cursor, .free = notes_free,
};

static void set_searching(notes_view *nv, int on) {
    nv->searching = on;
    nv->base.ops = on ? &notes_search_ops : &notes_ops;
}

tui_view *tui_notes_new(tui_app *a, const char *query, int search) {
    notes_view *nv = xcalloc(1, sizeof *nv);
    nv->base.ops = &notes_ops;
    nv->list.sel = 0;
    nv->list_h = 10;
    nv->preview_id = -1;
    if (query) snprintf(nv->query, sizeof nv->query, "%s", query);
    set_searching(nv, search);
    load(nv, a);
    return &nv->base;
}
