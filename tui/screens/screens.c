/* screens.c: helpers the screens share, and the help screen (`?`): the full key list
 * of the screen it was opened from, generated from the key tables. */
#include "tui/screens/screens.h"

#include "tui/widgets/widgets.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

const char *tui_when(int64_t t, int64_t now, char *buf, size_t n) {
    if (t <= 0) {
        snprintf(buf, n, "never");
        return buf;
    }
    int64_t d = now - t;
    if (d >= 0 && d < 60) snprintf(buf, n, "just now");
    else if (d >= 0 && d < 3600) snprintf(buf, n, "%lldm ago", (long long)(d / 60));
    else if (d >= 0 && d < 86400) snprintf(buf, n, "%lldh ago", (long long)(d / 3600));
    else {
        time_t tt = (time_t)t;
        struct tm tm;
        localtime_r(&tt, &tm);
        strftime(buf, n, "%Y-%m-%d", &tm);
    }
    return buf;
}

void tui_draw_section(tui_grid *g, int y, int x, int w, const char *title) {
    tui_style ms = {0, TUI_C_MUTED}, ts = {TUI_A_BOLD, TUI_C_HEADING};
    int used = tui_grid_puts(g, y, x, w, ms, "\xe2\x94\x80 "); /* ─ */
    used += tui_grid_puts(g, y, x + used, w - used, ts, title);
    used += tui_grid_puts(g, y, x + used, w - used, ms, " ");
    tui_grid_fill(g, y, x + used, w - used, 0x2500, ms);
}

typedef struct help_view {
    tui_view     base;
    tui_textview tv;
    int          h;
} help_view;

static void help_draw(tui_view *v, tui_app *a, tui_grid *g, int y, int h) {
    (void)a;
    help_view *hv = (help_view *)v;
    hv->h = h;
    tui_textview_draw(&hv->tv, g, y + 1, 2, h - 1, g->w - 3);
}

static int help_key(tui_view *v, tui_app *a, int key, int action) {
    (void)a, (void)key;
    help_view *hv = (help_view *)v;
    if (tui_textview_act(&hv->tv, action, hv->h - 1)) return TUI_R_HANDLED;
    if (action == TUI_ACT_HELP) return TUI_R_HANDLED | TUI_R_BACK;
    return TUI_R_NONE;
}

static void help_free(tui_view *v) {
    help_view *hv = (help_view *)v;
    tui_textview_deinit(&hv->tv);
    free(hv);
}

static const tui_view_ops help_ops = {
    .name = "Keys", .keys = &tui_keys_help, .draw = help_draw, .key = help_key, .free = help_free,
};

tui_view *tui_help_new(tui_app *a, const tui_keymap *keys) {
    (void)a;
    help_view *hv = xcalloc(1, sizeof *hv);
    hv->base.ops = &help_ops;
    tui_keys_help_lines(keys, &hv->tv.lines);
    return &hv->base;
}
