/* list.c: a selectable, scrolling list whose rows are drawn by the screen. */
#include "tui/keys.h"
#include "tui/widgets/widgets.h"

void tui_list_set_count(tui_list *l, int n) {
    l->n = n;
    if (n <= 0) {
        l->sel = -1;
        l->top = 0;
        return;
    }
    if (l->sel < 0) l->sel = 0;
    if (l->sel >= n) l->sel = n - 1;
    if (l->top > l->sel) l->top = l->sel;
    if (l->top < 0) l->top = 0;
}

static void into_view(tui_list *l, int h) {
    if (h < 1) h = 1;
    if (l->sel < l->top) l->top = l->sel;
    if (l->sel >= l->top + h) l->top = l->sel - h + 1;
    if (l->top > l->n - h) l->top = l->n - h;
    if (l->top < 0) l->top = 0;
}

int tui_list_act(tui_list *l, int action, int h) {
    if (l->n <= 0) return 0;
    int page = h > 1 ? h - 1 : 1;
    switch (action) {
    case TUI_ACT_UP: l->sel--; break;
    case TUI_ACT_DOWN: l->sel++; break;
    case TUI_ACT_PAGE_UP: l->sel -= page; break;
    case TUI_ACT_PAGE_DOWN: l->sel += page; break;
    case TUI_ACT_TOP: l->sel = 0; break;
    case TUI_ACT_BOTTOM: l->sel = l->n - 1; break;
    default: return 0;
    }
    if (l->sel < 0) l->sel = 0;
    if (l->sel >= l->n) l->sel = l->n - 1;
    into_view(l, h);
    return 1;
}

void tui_list_draw(tui_list *l, tui_grid *g, int y, int x, int h, int w, tui_list_row_fn row, void *ctx) {
    if (h <= 0 || w <= 0) return;
    into_view(l, h);
    int bar = l->n > h;
    int rw = bar ? w - 1 : w;
    for (int r = 0; r < h; r++) {
        int i = l->top + r;
        if (i >= l->n) break;
        row(ctx, i, g, y + r, x, rw, i == l->sel);
        if (i == l->sel) {
            for (int k = 0; k < rw; k++) {
                tui_cell *c = tui_grid_at(g, y + r, x + k);
                if (c) c->st.attr |= TUI_A_REVERSE;
            }
        }
    }
    if (bar) {
        tui_style ms = {0, TUI_C_MUTED};
        tui_grid_fill(g, y, x + w - 1, 1, ' ', ms);
        for (int r = 0; r < h; r++) tui_grid_fill(g, y + r, x + w - 1, 1, 0x2502, ms);
        int pos = (int)((long)l->sel * (h - 1) / (l->n - 1 > 0 ? l->n - 1 : 1));
        tui_style ts = {TUI_A_BOLD, TUI_C_ACCENT};
        tui_grid_fill(g, y + pos, x + w - 1, 1, 0x2588, ts);
    }
}
