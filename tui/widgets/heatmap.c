/* heatmap.c: reviews per day as a calendar (weeks across, weekdays down), like the
 * contribution graphs people know. Levels are relative to the busiest day shown. */
#include "tui/widgets/widgets.h"

#include <stdio.h>

int tui_heatmap_draw(tui_grid *g, int y, int x, int w, const int *counts, int ndays, int today_wday,
                     const int *month_of_day) {
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static const char *const wd[] = {"Mon", "", "Wed", "", "Fri", "", "Sun"};
    int label = 4;
    /* whole weeks only: the first column is the first full week inside the window */
    int weeks = (ndays - (today_wday + 1)) / 7 + 1;
    if (weeks > w - label) weeks = w - label;
    if (weeks < 1) return 0;
    int max = 0;
    for (int i = 0; i < ndays; i++)
        if (counts[i] > max) max = counts[i];
    tui_style ms = {0, TUI_C_MUTED};
    for (int r = 0; r < 7; r++) tui_grid_puts(g, y + 1 + r, x, label, ms, wd[r]);
    /* the last column is this week; day index of (week c, weekday r) counts back from today */
    int last_month = -1, label_end = 0;
    for (int c = 0; c < weeks; c++) {
        for (int r = 0; r < 7; r++) {
            int back = (weeks - 1 - c) * 7 + (today_wday - r);
            if (back < 0) continue;          /* later this week */
            int i = ndays - 1 - back;
            if (i < 0) continue;
            int n = counts[i];
            uint32_t ch = 0x00B7;            /* · none */
            int color = TUI_C_MUTED;
            if (n > 0) {
                int lvl = max ? (4 * n + max - 1) / max : 1; /* 1..4 */
                static const uint32_t shades[] = {0x2591, 0x2592, 0x2593, 0x2588};
                ch = shades[lvl - 1];
                color = TUI_C_HEAT1 + lvl - 1;
            }
            tui_style st = {0, (uint8_t)color};
            tui_grid_fill(g, y + 1 + r, x + label + c, 1, ch, st);
            if (r == 0 && month_of_day && month_of_day[i] != last_month) {
                /* a label where a month starts, if it does not run into the last one */
                int m = month_of_day[i];
                if (c >= label_end && c + 3 <= weeks && m >= 0 && m < 12) {
                    tui_grid_puts(g, y, x + label + c, 3, ms, months[m]);
                    label_end = c + 4;
                }
                last_month = m;
            }
        }
    }
    return label + weeks;
}
