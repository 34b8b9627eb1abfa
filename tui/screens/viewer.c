/* viewer.c: one note, read from its file (study/note.h) and rendered as markdown:
 * a header with title, category, tags and mastery, then the body, scrolling. */
#include "tui/screens/data.h"
#include "tui/screens/screens.h"

#include "study/mastery.h"
#include "study/note.h"
#include "study/review.h"
#include "tui/widgets/widgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct viewer_view {
    tui_view     base;
    int64_t      note_id;
    char        *path, *title, *category, *labs;
    note        *n;
    char         err[256];
    int          level;
    tui_textview tv;
    int          tv_h;
} viewer_view;

static void load(viewer_view *vv, tui_app *a) {
    free(vv->path), free(vv->title), free(vv->category), free(vv->labs);
    vv->path = vv->title = vv->category = vv->labs = NULL;
    note_free(vv->n);
    vv->n = NULL;
    vv->err[0] = '\0';
    vv->tv.width = 0;
    dls_error e = {0};
    store *s = tui_app_store(a);
    if (!s || tui_data_note_info(s, vv->note_id, &vv->path, &vv->title, &vv->category, &vv->labs, &e) != DLS_OK) {
        snprintf(vv->err, sizeof vv->err, "%s", s ? e.msg : "no database");
        return;
    }
    int reviewed = 0;
    vv->level = -1;
    review_note_mastery(s, tui_app_sched(a), vv->note_id, tui_app_now(a), &vv->level, &reviewed, &e);
    char *file = xasprintf("%s/%s", tui_app_ctx(a)->paths.notes_dir, vv->path);
    if (note_load(file, tui_app_ctx(a)->paths.notes_dir, &vv->n, &e) != DLS_OK) {
        snprintf(vv->err, sizeof vv->err, "%s", e.msg);
        vv->n = NULL;
    }
    free(file);
}

static void viewer_draw(tui_view *v, tui_app *a, tui_grid *g, int y, int h) {
    (void)a;
    viewer_view *vv = (viewer_view *)v;
    int w = g->w;
    tui_style ts = {TUI_A_BOLD, TUI_C_ACCENT}, ms = {0, TUI_C_MUTED}, ss = {TUI_A_BOLD, TUI_C_WARN};
    tui_grid_puts(g, y, 2, w - 10, ts, vv->title ? vv->title : "");
    tui_grid_puts(g, y, w - 6, 5, ss, mastery_stars(vv->level, 0));
    int x = 2;
    if (vv->category && *vv->category) {
        x += tui_grid_puts(g, y + 1, x, w - x - 2, (tui_style){TUI_A_BOLD, TUI_C_HEADING}, vv->category);
        x += tui_grid_puts(g, y + 1, x, w - x - 2, ms, "  ");
    }
    if (vv->n)
        for (size_t i = 0; i < vv->n->n_tags && x < w - 4; i++) {
            x += tui_grid_puts(g, y + 1, x, w - x - 2, (tui_style){0, TUI_C_LINK}, "#");
            x += tui_grid_puts(g, y + 1, x, w - x - 2, (tui_style){0, TUI_C_LINK}, vv->n->tags[i]);
            x += tui_grid_puts(g, y + 1, x, w - x - 2, ms, " ");
        }
    tui_grid_puts(g, y + 2, 2, w - 4, ms, vv->path ? vv->path : "");
    if (vv->err[0]) {
        tui_grid_puts(g, y + 4, 2, w - 4, (tui_style){TUI_A_BOLD, TUI_C_BAD}, vv->err);
        return;
    }
    tui_grid_fill(g, y + 3, 0, w, 0x2500, ms);
    int tw = w - 4;
    if (vv->n && vv->tv.width != tw) tui_textview_set_markdown(&vv->tv, vv->n->body, vv->n->body_len, tw);
    vv->tv_h = h - 4;
    tui_textview_draw(&vv->tv, g, y + 4, 2, h - 4, tw);
}

static int viewer_key(tui_view *v, tui_app *a, int key, int action) {
    (void)key;
    viewer_view *vv = (viewer_view *)v;
    if (tui_textview_act(&vv->tv, action, vv->tv_h)) return TUI_R_HANDLED;
    if (action == TUI_ACT_EDIT && vv->path) {
        char *path = xstrdup(vv->path);
        tui_app_edit_note(a, path); /* reloads every view, this one included */
        free(path);
        return TUI_R_HANDLED | TUI_R_FULL;
    }
    if (action == TUI_ACT_LAB) {
        tui_app_push(a, tui_labs_new(a, vv->title, vv->labs));
        return TUI_R_HANDLED;
    }
    return TUI_R_NONE;
}

static void viewer_reload(tui_view *v, tui_app *a) { load((viewer_view *)v, a); }

static void viewer_free(tui_view *v) {
    viewer_view *vv = (viewer_view *)v;
    free(vv->path), free(vv->title), free(vv->category), free(vv->labs);
    note_free(vv->n);
    tui_textview_deinit(&vv->tv);
    free(vv);
}

static const tui_view_ops viewer_ops = {
    .name = "Note", .keys = &tui_keys_viewer, .draw = viewer_draw, .key = viewer_key,
    .reload = viewer_reload, .free = viewer_free,
};

tui_view *tui_viewer_new(tui_app *a, int64_t note_id) {
    viewer_view *vv = xcalloc(1, sizeof *vv);
    vv->base.ops = &viewer_ops;
    vv->note_id = note_id;
    load(vv, a);
    return &vv->base;
}
