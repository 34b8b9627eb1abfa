/* labs.c: the labs (labs/NAME.yaml) with the concepts each teaches. Opened from a
 * review card or a note, the labs linked to it come first, marked. Enter runs the
 * selected lab live (lab_live.c). */
#include "tui/screens/screens.h"

#include "study/lab.h"
#include "tui/widgets/markdown.h"
#include "tui/widgets/widgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct labs_view {
    tui_view  base;
    int      *order;   /* spec indices, linked ones first */
    int       n, n_linked;
    tui_list  list;
    int       list_h;
    char     *concept; /* what it was opened for, may be NULL */
    char     *note_labs;
    int       loading;
} labs_view;

/* The row drawer needs the specs; they live in the app, so the view keeps a pointer. */
typedef struct row_ctx {
    labs_view       *lv;
    lab_spec *const *specs;
} row_ctx;

static void draw_lab_row(void *ctx, int item, tui_grid *g, int y, int x, int w, int selected) {
    (void)selected;
    row_ctx *rc = ctx;
    const lab_spec *s = rc->specs[rc->lv->order[item]];
    tui_style ms = {0, TUI_C_MUTED}, ns = {TUI_A_BOLD, TUI_C_HEADING}, ls = {TUI_A_BOLD, TUI_C_GOOD};
    tui_grid_fill(g, y, x, w, ' ', TUI_PLAIN);
    if (item < rc->lv->n_linked) tui_grid_puts(g, y, x, 2, ls, "\xe2\x86\x92"); /* → */
    tui_grid_puts_fit(g, y, x + 2, 16, ns, s->name);
    int tx = x + 19;
    tx += tui_grid_puts_fit(g, y, tx, w - (tx - x), TUI_PLAIN, s->title ? s->title : "");
    if (s->n_concepts && tx + 3 < x + w) {
        dls_buf cs;
        dls_buf_init(&cs);
        for (int c = 0; c < s->n_concepts; c++) dls_buf_printf(&cs, "%s%s", c ? ", " : "", s->concepts[c]);
        tui_grid_puts_fit(g, y, tx + 2, x + w - tx - 2, ms, cs.data);
        dls_buf_deinit(&cs);
    }
}

static void labs_draw(tui_view *v, tui_app *a, tui_grid *g, int y, int h) {
    labs_view *lv = (labs_view *)v;
    if (lv->loading) {
        tui_grid_puts(g, y + 1, 2, g->w - 4, (tui_style){0, TUI_C_MUTED}, "Reading the lab specs\xe2\x80\xa6");
        return;
    }
    lab_spec *const *specs;
    int n = tui_app_labs(a, &specs);
    int w = g->w;
    tui_style ms = {0, TUI_C_MUTED};
    if (n == 0) {
        tui_grid_puts(g, y + 1, 2, w - 4, ms, "No labs found (labs/*.yaml).");
        return;
    }
    int r = y;
    if (lv->concept) {
        if (lv->n_linked)
            tui_grid_printf(g, r++, 1, w - 2, (tui_style){TUI_A_BOLD, TUI_C_GOOD}, "Labs for \xe2\x80\x9c%s\xe2\x80\x9d first (\xe2\x86\x92)", lv->concept);
        else
            tui_grid_printf(g, r++, 1, w - 2, ms, "No lab is linked to \xe2\x80\x9c%s\xe2\x80\x9d yet; all labs:", lv->concept);
    }
    /* the selected lab's details below the list: its summary wrapped (up to 3 lines),
     * data, model and variants */
    tui_lines sum = {0};
    int sel = lv->list.sel;
    if (sel >= 0 && specs[lv->order[sel]]->summary) {
        char *one = xstrdup(specs[lv->order[sel]]->summary); /* a folded YAML summary may hold newlines */
        for (char *q = one; *q; q++)
            if (*q == '\n' || *q == '\t') *q = ' ';
        tui_text_wrap(one, w - 4, TUI_PLAIN, &sum);
        free(one);
    }
    int n_sum  = sum.n < 3 ? sum.n : 3;
    int detail = 5 + n_sum;
    int lh     = y + h - r - detail;
    if (lh < 3) lh = y + h - r, detail = 0;
    lv->list_h = lh;
    row_ctx rc = {lv, specs};
    tui_list_draw(&lv->list, g, r, 0, lh, w, draw_lab_row, &rc);
    if (detail && sel >= 0) {
        const lab_spec *s = specs[lv->order[sel]];
        int dy = r + lh;
        tui_draw_section(g, dy++, 0, w, s->title ? s->title : s->name);
        for (int i = 0; i < n_sum; i++) {
            if (i == n_sum - 1 && sum.n > n_sum) { /* more below: a "…", within the width */
                tui_line_putc(&sum.v[i], 0x2026, TUI_PLAIN);
                tui_line_fit(&sum.v[i], w - 4, TUI_PLAIN);
            }
            tui_grid_put_line(g, dy++, 2, w - 4, &sum.v[i]);
        }
        char *model = lab_model_describe(&s->base);
        char *line  = xasprintf("data %s \xc2\xb7 %d epochs \xc2\xb7 batch %d", lab_data_name(s->base.data),
                                s->base.epochs, s->base.batch);
        tui_grid_puts_fit(g, dy++, 2, w - 4, ms, line);
        free(line);
        line = xasprintf("model %s", model ? model : "");
        tui_grid_puts_fit(g, dy++, 2, w - 4, ms, line);
        free(line), free(model);
        if (s->n_variants) {
            dls_buf vs;
            dls_buf_init(&vs);
            for (int i = 0; i < s->n_variants; i++) dls_buf_printf(&vs, "%s%s", i ? ", " : "", s->variants[i].name);
            int vx = 2 + tui_grid_puts(g, dy, 2, w - 4, ms, "variants: ");
            tui_grid_puts_fit(g, dy, vx, w - 2 - vx, TUI_PLAIN, vs.data);
            dls_buf_deinit(&vs);
        }
    }
    tui_lines_deinit(&sum);
}

static int labs_key(tui_view *v, tui_app *a, int key, int action) {
    (void)key;
    labs_view *lv = (labs_view *)v;
    if (tui_list_act(&lv->list, action, lv->list_h)) return TUI_R_HANDLED;
    if (action == TUI_ACT_OPEN && lv->list.sel >= 0) {
        lab_spec *const *specs;
        tui_app_labs(a, &specs);
        tui_app_push(a, tui_lab_live_new(a, specs[lv->order[lv->list.sel]]->name));
        return TUI_R_HANDLED;
    }
    return TUI_R_NONE;
}

static void labs_free(tui_view *v) {
    labs_view *lv = (labs_view *)v;
    free(lv->order);
    free(lv->concept);
    free(lv->note_labs);
    free(lv);
}

static void labs_start(tui_view *v, tui_app *a);

static const tui_view_ops labs_ops = {
    .name = "Labs", .keys = &tui_keys_labs, .draw = labs_draw, .key = labs_key, .start = labs_start,
    .free = labs_free,
};

/* Loads the specs (parsing and checking every labs/NAME.yaml takes a while) and orders
 * them: the note's own labs, then labs whose concepts match the heading, then the rest. */
static void load(labs_view *lv, tui_app *a) {
    lab_spec *const *specs;
    int n = tui_app_labs(a, &specs);
    lv->n = n;
    free(lv->order);
    lv->order = xcalloc((size_t)(n ? n : 1), sizeof *lv->order);
    const char *linked[64];
    int nl = 0;
    if (lv->concept || (lv->note_labs && *lv->note_labs)) {
        char *copy = xstrdup(lv->note_labs ? lv->note_labs : "");
        const char *names[32];
        int nn = 0;
        for (char *t = strtok(copy, ", "); t && nn < 32; t = strtok(NULL, ", ")) names[nn++] = t;
        nl = lab_links_for_card(specs, n, names, nn, lv->concept, NULL, 0, linked, 64);
        free(copy);
    }
    int k = 0;
    for (int i = 0; i < nl; i++)
        for (int j = 0; j < n; j++)
            if (specs[j]->name == linked[i]) lv->order[k++] = j;
    lv->n_linked = k;
    for (int j = 0; j < n; j++) {
        int dup = 0;
        for (int i = 0; i < lv->n_linked; i++) dup |= lv->order[i] == j;
        if (!dup) lv->order[k++] = j;
    }
    tui_list_set_count(&lv->list, n);
    lv->loading = 0;
}

static void labs_start(tui_view *v, tui_app *a) {
    labs_view *lv = (labs_view *)v;
    if (lv->loading) load(lv, a);
}

tui_view *tui_labs_new(tui_app *a, const char *concept, const char *note_labs) {
    labs_view *lv = xcalloc(1, sizeof *lv);
    lv->base.ops = &labs_ops;
    if (concept && *concept) lv->concept = xstrdup(concept);
    if (note_labs && *note_labs) lv->note_labs = xstrdup(note_labs);
    if (tui_app_started(a)) load(lv, a);
    else lv->loading = 1; /* `dlstudy lab`: after the first frame */
    return &lv->base;
}
