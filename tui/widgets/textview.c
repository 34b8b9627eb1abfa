/* textview.c: scrolling over pre-rendered lines (markdown.c lays them out). */
#include "tui/keys.h"
#include "tui/widgets/markdown.h"
#include "tui/widgets/widgets.h"

#include <stdio.h>

void tui_textview_clear(tui_textview *v) {
    tui_lines_deinit(&v->lines);
    v->top   = 0;
    v->width = 0; /* laid out for no width: the next set_markdown is needed */
}

void tui_textview_deinit(tui_textview *v) { tui_textview_clear(v); }

void tui_textview_set_markdown(tui_textview *v, const char *md, size_t len, int width) {
    int top = v->top;
    tui_lines_deinit(&v->lines);
    tui_md_render(md, len, width, &v->lines);
    v->width = width;
    v->top = top < v->lines.n ? top : (v->lines.n > 0 ? v->lines.n - 1 : 0);
}

static int max_top(const tui_textview *v, int h) {
    int m = v->lines.n - h;
    return m > 0 ? m : 0;
}

int tui_textview_act(tui_textview *v, int action, int h) {
    int page = h > 2 ? h - 2 : 1;
    switch (action) {
    case TUI_ACT_UP: v->top--; break;
    case TUI_ACT_DOWN: v->top++; break;
    case TUI_ACT_PAGE_UP: v->top -= page; break;
    case TUI_ACT_PAGE_DOWN: v->top += page; break;
    case TUI_ACT_TOP: v->top = 0; break;
    case TUI_ACT_BOTTOM: v->top = max_top(v, h); break;
    default: return 0;
    }
    if (v->top > max_top(v, h)) v->top = max_top(v, h);
    if (v->top < 0) v->top = 0;
    return 1;
}

void tui_textview_draw(tui_textview *v, tui_grid *g, int y, int x, int h, int w) {
    if (h <= 0 || w <= 0) return;
    if (v->top > max_top(v, h)) v->top = max_top(v, h);
    for (int r = 0; r < h && v->top + r < v->lines.n; r++)
        tui_grid_put_line(g, y + r, x, w, &v->lines.v[v->top + r]);
    if (v->lines.n > h) {
        /* where we are, in the bottom-right corner: "↓ 40%" */
        char mark[32];
        int pct = (int)(100L * (v->top + h) / v->lines.n);
        if (v->top + h >= v->lines.n) snprintf(mark, sizeof mark, " end ");
        else snprintf(mark, sizeof mark, " %s %d%% ", v->top ? "\xe2\x86\x95" : "\xe2\x86\x93", pct);
        int mw = tui_text_width(mark);
        tui_style ms = {TUI_A_REVERSE, TUI_C_MUTED};
        tui_grid_puts(g, y + h - 1, x + w - mw, mw, ms, mark);
    }
}
