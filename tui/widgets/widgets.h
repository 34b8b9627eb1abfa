/* widgets.h: the small drawing pieces screens are built from, all drawing into a
 * tui_grid (no curses): a scrolling selectable list, a scrolling text view (markdown
 * or plain lines), a progress bar, a line plot for training curves, and a calendar
 * heatmap of reviews per day. State structs are owned by the screens. */
#ifndef TUI_WIDGETS_H
#define TUI_WIDGETS_H

#include "tui/widgets/grid.h"

/* ---- list (list.c) ---- */
typedef struct tui_list {
    int n;   /* items */
    int sel; /* selected item, -1 when n == 0 */
    int top; /* first item shown */
} tui_list;
/* Sets the number of items and keeps the selection inside. */
void tui_list_set_count(tui_list *l, int n);
/* Applies a movement action (keys.h: UP, DOWN, PAGE_*, TOP, BOTTOM) for a view h rows
 * high; returns 1 when the action was a movement. */
int  tui_list_act(tui_list *l, int action, int h);
typedef void (*tui_list_row_fn)(void *ctx, int item, tui_grid *g, int y, int x, int w, int selected);
/* Draws rows top.. into (y, x, h, w) through row(), highlights the selection and
 * draws a scroll mark in the last column when the items do not fit. */
void tui_list_draw(tui_list *l, tui_grid *g, int y, int x, int h, int w, tui_list_row_fn row, void *ctx);

/* ---- text view (textview.c) ---- */
typedef struct tui_textview {
    tui_lines lines;
    int       top;
    int       width; /* the width the lines were laid out for (markdown); 0 after clear */
} tui_textview;
/* Replaces the content with markdown laid out for width columns; keeps top in range. */
void tui_textview_set_markdown(tui_textview *v, const char *md, size_t len, int width);
void tui_textview_clear(tui_textview *v);
void tui_textview_deinit(tui_textview *v);
/* Scrolls for UP, DOWN, PAGE_*, TOP, BOTTOM in a view h rows high; returns 1 when handled. */
int  tui_textview_act(tui_textview *v, int action, int h);
/* Draws the visible lines into (y, x, h, w) with a position mark when it scrolls. */
void tui_textview_draw(tui_textview *v, tui_grid *g, int y, int x, int h, int w);

/* ---- progress bar (progress.c) ---- */
/* A bar of w columns filled to frac (0..1) with eighth blocks. */
void tui_progress_draw(tui_grid *g, int y, int x, int w, double frac, tui_style st);

/* ---- plot (plot.c) ---- */
typedef struct tui_series {
    const char  *name;
    const float *v;     /* n values; NaN are skipped */
    int          n;
    int          color; /* enum tui_color */
} tui_series;
/* Plots the series over a shared y range in (y, x, h, w): y-axis labels on the left,
 * one glyph per series and a legend on the last row. xmax: the x extent (e.g. planned
 * epochs; 0 = longest series). */
void tui_plot_draw(tui_grid *g, int y, int x, int h, int w, const tui_series *s, int ns, int xmax);

/* ---- heatmap (heatmap.c) ---- */
/* A calendar of counts per day, one column per week and one row per weekday (Monday
 * first), ending with today: counts[ndays - 1] is today, today_wday is 0 = Monday.
 * Draws 8 rows (month labels + 7 days) into width w; returns the columns used. */
int  tui_heatmap_draw(tui_grid *g, int y, int x, int w, const int *counts, int ndays, int today_wday,
                      const int *month_of_day);

#endif
