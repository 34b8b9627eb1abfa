/* plot.c: line plots of a few series (loss and accuracy per epoch) in text cells:
 * one glyph per series at each column, labels for the y range. Coarse on purpose:
 * it shows the trend at a glance, the numbers are printed beside it. */
#include "tui/widgets/widgets.h"

#include <math.h>
#include <stdio.h>

void tui_plot_draw(tui_grid *g, int y, int x, int h, int w, const tui_series *s, int ns, int xmax) {
    if (h < 4 || w < 16 || ns <= 0) return;
    static const uint32_t glyphs[] = {0x25CF, 0x25C6, 0x25B2, 0x25A0}; /* ● ◆ ▲ ■ */
    double lo = INFINITY, hi = -INFINITY;
    int longest = 0;
    for (int i = 0; i < ns; i++) {
        if (s[i].n > longest) longest = s[i].n;
        for (int k = 0; k < s[i].n; k++) {
            double v = s[i].v[k];
            if (isnan(v) || isinf(v)) continue;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
    }
    if (xmax < longest) xmax = longest;
    tui_style ms = {0, TUI_C_MUTED};
    int ph = h - 2; /* plot rows; one row of x axis and one legend row */
    int lw = 8;     /* y labels */
    int pw = w - lw - 1;
    if (lo > hi) {
        tui_grid_puts(g, y, x, w, ms, "(no data yet)");
        return;
    }
    if (hi - lo < 1e-9) hi = lo + 1;
    tui_grid_printf(g, y, x, lw, ms, "%7.3g", hi);
    tui_grid_printf(g, y + ph - 1, x, lw, ms, "%7.3g", lo);
    for (int r = 0; r < ph; r++) tui_grid_fill(g, y + r, x + lw, 1, 0x2502, ms);
    tui_grid_fill(g, y + ph, x + lw, 1, 0x2514, ms);
    tui_grid_fill(g, y + ph, x + lw + 1, pw, 0x2500, ms);
    for (int i = 0; i < ns; i++) {
        tui_style st = {TUI_A_BOLD, (uint8_t)s[i].color};
        int prev_r = -1;
        for (int k = 0; k < s[i].n; k++) {
            double v = s[i].v[k];
            if (isnan(v) || isinf(v)) continue;
            int col = xmax > 1 ? (int)((double)k * (pw - 1) / (xmax - 1) + 0.5) : 0;
            int r = (int)((hi - v) / (hi - lo) * (ph - 1) + 0.5);
            tui_grid_fill(g, y + r, x + lw + 1 + col, 1, glyphs[i % 4], st);
            /* a thin trace between points keeps the line readable */
            if (prev_r >= 0 && k > 0) {
                int pc = xmax > 1 ? (int)((double)(k - 1) * (pw - 1) / (xmax - 1) + 0.5) : 0;
                for (int c = pc + 1; c < col; c++) {
                    int rr = prev_r + (r - prev_r) * (c - pc) / (col - pc);
                    tui_cell *cell = tui_grid_at(g, y + rr, x + lw + 1 + c);
                    if (cell && cell->ch == ' ') tui_grid_fill(g, y + rr, x + lw + 1 + c, 1, 0x00B7, st);
                }
            }
            prev_r = r;
        }
    }
    int cx = x + lw + 1;
    for (int i = 0; i < ns && cx < x + w; i++) {
        tui_style st = {TUI_A_BOLD, (uint8_t)s[i].color};
        tui_grid_fill(g, y + h - 1, cx, 1, glyphs[i % 4], st);
        cx += 2;
        cx += tui_grid_puts(g, y + h - 1, cx, x + w - cx, TUI_PLAIN, s[i].name ? s[i].name : "");
        cx += 3;
    }
}
