/* test_markdown.c: the markdown renderer and the text grid, without a terminal:
 * golden dumps of fixture notes at two widths, display widths of CJK and emoji,
 * wrapping, table alignment and the sanitiser (no ESC, C1 or bidi control survives). */
#include "tests/tui/golden.h"
#include "tui/widgets/grid.h"
#include "tui/widgets/markdown.h"

#include <locale.h>

static char *render(const char *md, int width, tui_lines *keep) {
    tui_lines ls = {0};
    tui_md_render(md, strlen(md), width, &ls);
    char *t = tui_lines_text(&ls);
    if (keep) *keep = ls;
    else tui_lines_deinit(&ls);
    return t;
}

static char *read_fixture(const char *name) {
    char path[256], *s = NULL;
    size_t n;
    snprintf(path, sizeof path, "tests/fixtures/tui-md/%s", name);
    if (dls_read_file(path, 0, &s, &n, NULL) != DLS_OK) return NULL;
    return s;
}

/* every line fits the width, measured in display columns */
static void check_widths(const tui_lines *ls, int width) {
    int ok = 1;
    for (int i = 0; i < ls->n; i++) {
        int w = 0;
        for (int k = 0; k < ls->v[i].n; k++) w += ls->v[i].cells[k].width;
        if (w != ls->v[i].width || w > width) {
            ok = 0;
            fprintf(stderr, "line %d is %d columns (width %d)\n", i, w, width);
        }
    }
    CHECK(ok);
}

static void test_goldens(void) {
    const char *names[] = {"sample.md", "hostile.md"};
    const int widths[] = {80, 40};
    for (size_t i = 0; i < 2; i++) {
        char *src = read_fixture(names[i]);
        CHECK(src != NULL);
        if (!src) continue;
        for (size_t k = 0; k < 2; k++) {
            tui_lines ls;
            char *t = render(src, widths[k], &ls);
            char g[64];
            snprintf(g, sizeof g, "md-%.*s-%d.txt", (int)(strlen(names[i]) - 3), names[i], widths[k]);
            check_golden(g, t);
            check_widths(&ls, widths[k]);
            tui_lines_deinit(&ls);
            free(t);
        }
        free(src);
    }
}

static void test_widths(void) {
    CHECK(tui_text_width("abc") == 3);
    CHECK(tui_text_width("深度学习") == 8);
    CHECK(tui_text_width("🚀x") == 3);
    CHECK(tui_text_width("e\xcc\x81") == 1);                 /* e + combining acute */
    CHECK(tui_text_width("a\xe2\x80\xae" "b") == 2);            /* RLO dropped */
    char *f = tui_text_fit("深度学习基础", 7);
    CHECK_STR(f, "深度学…");
    free(f);
}

static void test_sanitize(void) {
    char *src = read_fixture("hostile.md");
    CHECK(src != NULL);
    if (!src) return;
    char *t = render(src, 60, NULL);
    int bad = 0;
    for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f) bad++;
        if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) bad++;           /* C1 */
        if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) bad++; /* U+202A-E */
        if (p[0] == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9) bad++; /* U+2066-9 */
    }
    CHECK(bad == 0);
    CHECK(strstr(t, "\xe2\x90\x9b[31m") != NULL); /* ESC shown as ␛ */
    free(t);
    free(src);
    /* the grid refuses them too */
    tui_grid g;
    tui_grid_init(&g, 20, 2);
    tui_grid_puts(&g, 0, 0, -1, TUI_PLAIN, "\x1b[2J\xc2\x9b\x07ok");
    char *d = tui_grid_dump(&g);
    CHECK(strchr(d, 0x1b) == NULL && strchr(d, 0x07) == NULL);
    CHECK(strstr(d, "ok") != NULL);
    free(d);
    tui_grid_deinit(&g);
}

static void test_wrap_and_tables(void) {
    tui_lines ls;
    char *t = render("alpha beta gamma delta epsilon zeta eta theta iota kappa", 20, &ls);
    CHECK_STR(t, "alpha beta gamma\ndelta epsilon zeta\neta theta iota kappa\n");
    check_widths(&ls, 20);
    tui_lines_deinit(&ls);
    free(t);
    /* CJK breaks anywhere between glyphs, and never splits one */
    t = render("深度学习是机器学习的一个分支", 11, &ls);
    CHECK_STR(t, "深度学习是\n机器学习的\n一个分支\n");
    tui_lines_deinit(&ls);
    free(t);
    /* columns aligned by display width: every row has its bars at the same columns */
    t = render("| a | 中文 |\n|---|---:|\n| 深度 | 1 |\n| x | 🚀 |\n", 40, &ls);
    int bars_ok = 1, first = -1;
    for (int i = 0; i < ls.n; i++) {
        int col = 0, last = -1;
        for (int k = 0; k < ls.v[i].n; k++) {
            uint32_t ch = ls.v[i].cells[k].ch;
            if (ch == 0x2502 || ch == 0x2524 || ch == 0x2510 || ch == 0x2518) last = col;
            col += ls.v[i].cells[k].width;
        }
        if (first < 0) first = last;
        if (last != first) bars_ok = 0;
    }
    CHECK(bars_ok);
    CHECK(strstr(t, "│  1 │") || strstr(t, "│    1 │"));
    tui_lines_deinit(&ls);
    free(t);
    /* styles: strong is bold, inline code has the code colour, links are underlined */
    free(render("**b** `c` [l](http://x)", 40, &ls));
    CHECK(ls.n == 1 && ls.v[0].cells[0].st.attr & TUI_A_BOLD);
    CHECK(ls.v[0].cells[2].st.color == TUI_C_CODE);
    CHECK(ls.v[0].cells[4].st.attr & TUI_A_UNDERLINE);
    tui_lines_deinit(&ls);
}

/* Random documents from markdown's sharp pieces (pipes, fences, lists, quotes, CJK,
 * escapes, invalid bytes) at random widths: every line fits, nothing crashes. */
static void test_random(void) {
    static const char *const bits[] = {
        "|", "| a | b |\n", "|---|:-:|\n", "```", "```py\n", "\n", "\n\n", "- ", "1. ", "> ", "# ", "### ",
        "**", "*", "`", "[x](http://u)", "<http://a.b>", "![i](p)", "---\n", "- [ ] ", "- [x] ",
        "深度学习", "🚀", "e\xcc\x81", "\t", "  ", "\x1b[31m", "\xc2\x9b", "\xe2\x80\xae", "\xff", "\\|",
        "word ", "longwordwithoutanyspacesatallthatkeepsgoing", "```averyveryverylonglanguagenameindeed\n", "- - - - - - - ", "> > > > > > ", "    code\n", "<div>\n", "\r\n",
    };
    unsigned seed = 12345;
    int ok = 1;
    for (int it = 0; it < 1500 && ok; it++) {
        dls_buf b;
        dls_buf_init(&b);
        dls_buf_puts(&b, "");
        seed = seed * 1103515245u + 12345u;
        int n = (int)(seed >> 16) % 60;
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            dls_buf_puts(&b, bits[(seed >> 16) % (sizeof bits / sizeof bits[0])]);
        }
        seed = seed * 1103515245u + 12345u;
        int width = 10 + (int)(seed >> 16) % 90;
        tui_lines ls = {0};
        tui_md_render(b.data, b.len, width, &ls);
        for (int i = 0; i < ls.n; i++) {
            int w = 0;
            for (int c = 0; c < ls.v[i].n; c++) {
                w += ls.v[i].cells[c].width;
                uint32_t ch = ls.v[i].cells[c].ch;
                if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0) || (ch >= 0x202a && ch <= 0x202e)) ok = 0;
            }
            /* a table whose columns cannot shrink further may overflow (the view clips
             * it); every other line fits */
            int table = 0;
            for (int c = 0; c < ls.v[i].n; c++) {
                uint32_t ch = ls.v[i].cells[c].ch;
                table |= ch == 0x2502 || ch == 0x250c || ch == 0x251c || ch == 0x2514;
            }
            if (w > width && !table) ok = 0;
            if (!ok) fprintf(stderr, "random doc %d, width %d, line %d:\n%s\n", it, width, i, b.data);
        }
        tui_lines_deinit(&ls);
        dls_buf_deinit(&b);
    }
    CHECK(ok);
}

int main(void) {
    if (!setlocale(LC_ALL, "C.UTF-8") && !setlocale(LC_ALL, "en_US.UTF-8")) {
        test_skip("markdown", "no UTF-8 locale");
        return test_done("test_markdown");
    }
    test_widths();
    test_wrap_and_tables();
    test_sanitize();
    test_goldens();
    test_random();
    return test_done("test_markdown");
}
