/* progress.c: a horizontal bar with eighth-block resolution. */
#include "tui/widgets/widgets.h"

void tui_progress_draw(tui_grid *g, int y, int x, int w, double frac, tui_style st) {
    if (w <= 0) return;
    if (!(frac >= 0)) frac = 0;
    if (frac > 1) frac = 1;
    int eighths = (int)(frac * w * 8 + 0.5);
    int full = eighths / 8, part = eighths % 8;
    tui_style empty = {0, TUI_C_MUTED};
    tui_grid_fill(g, y, x, w, 0x2591, empty); /* ░ */
    tui_grid_fill(g, y, x, full, 0x2588, st); /* █ */
    if (part && full < w) {
        static const uint32_t parts[8] = {0, 0x258F, 0x258E, 0x258D, 0x258C, 0x258B, 0x258A, 0x2589};
        tui_grid_fill(g, y, x + full, 1, parts[part], st);
    }
}
