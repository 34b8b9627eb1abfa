/* test_widgets.c: the widgets and key tables without a terminal: list movement and
 * scrolling, the text view, progress bar, heatmap and plot (golden grid dumps), the
 * help line and key lookups, wide glyphs at grid edges. */
#include "tests/tui/golden.h"
#include "tui/keys.h"
#include "tui/widgets/widgets.h"

#include <locale.h>
#include <math.h>

static void row(void *ctx, int item, tui_grid *g, int y, int x, int w, int selected) {
    (void)ctx, (void)selected;
    tui_grid_printf(g, y, x, w, TUI_PLAIN, "item %d 项目", item);
}

static void test_list(void) {
    tui_list l = {0};
    tui_list_set_count(&l, 50);
    CHECK(l.sel == 0);
    CHECK(tui_list_act(&l, TUI_ACT_DOWN, 10) && l.sel == 1);
    tui_list_act(&l, TUI_ACT_PAGE_DOWN, 10);
    CHECK(l.sel == 10);
    tui_list_act(&l, TUI_ACT_BOTTOM, 10);
    CHECK(l.sel == 49 && l.top == 40);
    tui_list_act(&l, TUI_ACT_DOWN, 10);
    CHECK(l.sel == 49);
    tui_list_act(&l, TUI_ACT_TOP, 10);
    CHECK(l.sel == 0 && l.top == 0);
    CHECK(!tui_list_act(&l, TUI_ACT_OPEN, 10));
    tui_list_set_count(&l, 0);
    CHECK(l.sel == -1);
    tui_list_set_count(&l, 30);
    tui_list_act(&l, TUI_ACT_BOTTOM, 5);
    tui_grid g;
    tui_grid_init(&g, 24, 5);
    tui_list_draw(&l, &g, 0, 0, 5, 24, row, NULL);
    char *d = tui_grid_dump(&g);
    check_golden("widget-list.txt", d);
    free(d);
    /* the selected row is highlighted */
    CHECK(tui_grid_at(&g, 4, 0)->st.attr & TUI_A_REVERSE);
    CHECK(!(tui_grid_at(&g, 3, 0)->st.attr & TUI_A_REVERSE));
    tui_grid_deinit(&g);
}

static void test_textview(void) {
    tui_textview v = {0};
    const char *md = "# T\n\n1\n\n2\n\n3\n\n4\n\n5\n\n6\n\n7\n\n8\n";
    tui_textview_set_markdown(&v, md, strlen(md), 20);
    int n = v.lines.n;
    CHECK(n > 10);
    tui_textview_act(&v, TUI_ACT_BOTTOM, 5);
    CHECK(v.top == n - 5);
    tui_textview_act(&v, TUI_ACT_DOWN, 5);
    CHECK(v.top == n - 5);
    tui_textview_act(&v, TUI_ACT_TOP, 5);
    tui_textview_act(&v, TUI_ACT_UP, 5);
    CHECK(v.top == 0);
    tui_grid g;
    tui_grid_init(&g, 20, 5);
    tui_textview_draw(&v, &g, 0, 0, 5, 20);
    char *r = tui_grid_row_text(&g, 4);
    CHECK(strstr(r, "%") != NULL); /* where we are */
    free(r);
    tui_grid_deinit(&g);
    tui_textview_deinit(&v);
}

static void test_drawings(void) {
    tui_grid g;
    tui_grid_init(&g, 40, 22);
    tui_progress_draw(&g, 0, 0, 10, 0.55, TUI_PLAIN);
    int counts[60] = {0};
    int months[60];
    for (int i = 0; i < 60; i++) {
        counts[i] = (i * 7) % 5;
        months[i] = i < 20 ? 9 : i < 50 ? 10 : 11;
    }
    tui_heatmap_draw(&g, 2, 0, 40, counts, 60, 2, months);
    float a[6] = {0.9f, 0.7f, 0.5f, NAN, 0.3f, 0.2f}, b[4] = {0.2f, 0.4f, 0.6f, 0.8f};
    tui_series s[2] = {{"loss", a, 6, TUI_C_ACCENT}, {"acc", b, 4, TUI_C_GOOD}};
    tui_plot_draw(&g, 11, 0, 10, 40, s, 2, 6);
    char *d = tui_grid_dump(&g);
    check_golden("widget-drawings.txt", d);
    free(d);
    tui_grid_deinit(&g);
}

static void test_keys(void) {
    CHECK(tui_keymap_lookup(&tui_keys_review, ' ') == TUI_ACT_REVEAL);
    CHECK(tui_keymap_lookup(&tui_keys_review, '3') == TUI_ACT_GOOD);
    CHECK(tui_keymap_lookup(&tui_keys_review, '?') == TUI_ACT_HELP);   /* global fallback */
    CHECK(tui_keymap_lookup(&tui_keys_notes, '3') == TUI_ACT_NONE);
    CHECK(tui_keymap_lookup(&tui_keys_home, TUI_K_CTRL('c')) == TUI_ACT_QUIT);
    /* the help line fits 80 columns and ends with the keys entry */
    tui_grid g;
    tui_grid_init(&g, 80, 1);
    tui_keys_draw_bar(&g, 0, 0, 80, &tui_keys_review);
    char *r = tui_grid_row_text(&g, 0);
    CHECK_STR(r, " Space show  1-4 grade  u undo  e edit  l lab  s skip  q quit  ? keys");
    free(r);
    tui_grid_deinit(&g);
    /* every screen's table documents its first key of each action */
    const tui_keymap *maps[] = {&tui_keys_home, &tui_keys_review, &tui_keys_notes, &tui_keys_viewer,
                                &tui_keys_mastery, &tui_keys_labs, &tui_keys_lab_run, &tui_keys_help};
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
        CHECK(maps[i]->n > 0 && maps[i]->b[0].name != NULL);
        tui_lines ls = {0};
        tui_keys_help_lines(maps[i], &ls);
        CHECK(ls.n > 4);
        tui_lines_deinit(&ls);
    }
    char buf[32];
    CHECK_STR(tui_key_name(TUI_K_ENTER, buf, sizeof buf), "Enter");
    CHECK_STR(tui_key_name(TUI_K_CTRL('l'), buf, sizeof buf), "Ctrl-L");
    CHECK_STR(tui_key_name(0x5b57, buf, sizeof buf), "字");
}

static void test_grid_edges(void) {
    tui_grid g;
    tui_grid_init(&g, 5, 2);
    /* a wide glyph that does not fit the last column leaves a space */
    CHECK(tui_grid_puts(&g, 0, 0, -1, TUI_PLAIN, "ab中文") == 5);
    char *r = tui_grid_row_text(&g, 0);
    CHECK_STR(r, "ab中");
    free(r);
    /* overwriting half of a wide glyph blanks the other half */
    tui_grid_puts(&g, 1, 0, -1, TUI_PLAIN, "中文");
    tui_grid_puts(&g, 1, 1, 1, TUI_PLAIN, "x");
    r = tui_grid_row_text(&g, 1);
    CHECK_STR(r, " x文");
    free(r);
    tui_grid_deinit(&g);

    /* puts_fit: a cut shows as "…" in the last column, counted by display width */
    tui_grid_init(&g, 12, 3);
    CHECK(tui_grid_puts_fit(&g, 0, 0, 6, TUI_PLAIN, "激活函数 ReLU") == 5);
    r = tui_grid_row_text(&g, 0);
    CHECK_STR(r, "激活\xe2\x80\xa6"); /* 激活 is 4 columns; 函 (2) would leave no room for … */
    free(r);
    CHECK(tui_grid_puts_fit(&g, 1, 0, 6, TUI_PLAIN, "ReLU") == 4); /* fits: unchanged */
    r = tui_grid_row_text(&g, 1);
    CHECK_STR(r, "ReLU");
    free(r);
    CHECK(tui_grid_puts_fit(&g, 2, 8, -1, TUI_PLAIN, "sigmoid") == 4); /* the grid's edge cuts too */
    r = tui_grid_row_text(&g, 2);
    CHECK_STR(r, "        sig\xe2\x80\xa6");
    free(r);
    tui_grid_deinit(&g);
}

int main(void) {
    if (!setlocale(LC_ALL, "C.UTF-8")) {
        test_skip("widgets", "no C.UTF-8 locale");
        return test_done("test_widgets");
    }
    test_list();
    test_textview();
    test_drawings();
    test_keys();
    test_grid_edges();
    return test_done("test_widgets");
}
