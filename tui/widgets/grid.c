/* grid.c: UTF-8 decoding, the sanitiser, growable lines of glyphs and the frame grid.
 * Display widths come from wcwidth(), so the program must run under a UTF-8 locale
 * (term.c sets one up; tests call setlocale themselves). Not curses-aware. */
#include "tui/widgets/grid.h"

#include "util/dls.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

size_t tui_utf8_next(const char *s, size_t n, uint32_t *cp) {
    const unsigned char *u = (const unsigned char *)s;
    unsigned c = u[0];
    if (c < 0x80) { *cp = c; return 1; }
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF)      { len = 2; v = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; v = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; v = c & 0x07; min = 0x10000; }
    else { *cp = 0xFFFD; return 1; }
    if (n < len) { *cp = 0xFFFD; return 1; }
    for (size_t i = 1; i < len; i++) {
        if ((u[i] & 0xC0) != 0x80) { *cp = 0xFFFD; return 1; }
        v = (v << 6) | (u[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { *cp = 0xFFFD; return 1; }
    *cp = v;
    return len;
}

int tui_utf8_put(uint32_t cp, char *out) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

uint32_t tui_safe_cp(uint32_t cp) {
    /* C0 controls and DEL: the visible "control pictures" (ESC shows as ␛), so a note
     * that holds an escape sequence shows it instead of sending it. */
    if (cp < 0x20) return 0x2400 + cp;
    if (cp == 0x7F) return 0x2421;
    if (cp >= 0x80 && cp <= 0x9F) return 0xFFFD;          /* C1 controls (CSI is 0x9B) */
    /* Bidi controls could reorder what is shown around them (Trojan Source): dropped.
     * The BOM and zero-width no-break space are dropped too. */
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
        cp == 0x200E || cp == 0x200F || cp == 0x061C || cp == 0xFEFF)
        return 0;
    if (cp == 0x2028 || cp == 0x2029) return ' ';          /* line/paragraph separators */
    return cp;
}

uint32_t tui_sanitize_cp(uint32_t cp, int *width) {
    *width = 1;
    uint32_t safe = tui_safe_cp(cp);
    if (safe != cp) return safe;
    int w = wcwidth((wchar_t)cp);
    if (w < 0) return 0xFFFD;                              /* unassigned or unprintable */
    *width = w > 2 ? 2 : w;
    return cp;
}

int tui_text_width(const char *s) {
    int w = 0;
    size_t n = strlen(s);
    while (n) {
        uint32_t cp;
        size_t k = tui_utf8_next(s, n, &cp);
        s += k, n -= k;
        int cw;
        if (cp == '\t' || cp == '\n') { w++; continue; }
        if (tui_sanitize_cp(cp, &cw)) w += cw;
    }
    return w;
}

char *tui_text_fit(const char *s, int maxw) {
    tui_line l = {0};
    tui_line_puts(&l, s, TUI_PLAIN);
    tui_line_fit(&l, maxw, TUI_PLAIN);
    char *t = tui_line_text(&l);
    tui_line_deinit(&l);
    return t;
}

/* ---- lines ---- */

static void line_grow(tui_line *l) {
    if (l->n < l->cap) return;
    l->cap = l->cap ? l->cap * 2 : 32;
    l->cells = xrealloc(l->cells, (size_t)l->cap * sizeof *l->cells);
}

void tui_line_put_cell(tui_line *l, const tui_cell *c) {
    line_grow(l);
    l->cells[l->n++] = *c;
    l->width += c->width;
}

void tui_line_putc(tui_line *l, uint32_t cp, tui_style st) {
    int w;
    uint32_t v = tui_sanitize_cp(cp, &w);
    if (!v) return;
    if (w == 0) {
        /* a combining mark joins the glyph before it; with none, it is dropped */
        if (l->n == 0) return;
        tui_cell *p = &l->cells[l->n - 1];
        if (!p->comb[0]) p->comb[0] = v;
        else if (!p->comb[1]) p->comb[1] = v;
        return;
    }
    tui_cell c = {.ch = v, .width = (uint8_t)w, .st = st};
    tui_line_put_cell(l, &c);
}

void tui_line_putn(tui_line *l, const char *s, size_t n, tui_style st) {
    while (n) {
        uint32_t cp;
        size_t k = tui_utf8_next(s, n, &cp);
        s += k, n -= k;
        if (cp == '\t') {
            int pad = 4 - l->width % 4;
            tui_line_fill(l, ' ', pad, st);
        } else {
            tui_line_putc(l, cp, st);
        }
    }
}

void tui_line_puts(tui_line *l, const char *s, tui_style st) { tui_line_putn(l, s, strlen(s), st); }

void tui_line_fill(tui_line *l, uint32_t cp, int count, tui_style st) {
    for (int i = 0; i < count; i++) tui_line_putc(l, cp, st);
}

void tui_line_fit(tui_line *l, int maxw, tui_style st) {
    if (l->width <= maxw) return;
    int w = 0, i = 0;
    while (i < l->n && w + l->cells[i].width <= maxw - 1) w += l->cells[i++].width;
    l->n     = i;
    l->width = w;
    if (maxw >= 1) tui_line_putc(l, 0x2026, st);
}

void tui_line_deinit(tui_line *l) {
    free(l->cells);
    memset(l, 0, sizeof *l);
}

static void put_cell_text(dls_buf *b, const tui_cell *c) {
    char u[4];
    dls_buf_append(b, u, (size_t)tui_utf8_put(c->ch, u));
    for (int k = 0; k < 2 && c->comb[k]; k++) dls_buf_append(b, u, (size_t)tui_utf8_put(c->comb[k], u));
}

static void trim_trailing_spaces(dls_buf *b, size_t from) {
    while (b->len > from && b->data[b->len - 1] == ' ') b->data[--b->len] = '\0';
}

char *tui_line_text(const tui_line *l) {
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "");
    for (int i = 0; i < l->n; i++) put_cell_text(&b, &l->cells[i]);
    return dls_buf_take(&b);
}

tui_line *tui_lines_add(tui_lines *ls) {
    if (ls->n == ls->cap) {
        ls->cap = ls->cap ? ls->cap * 2 : 64;
        ls->v = xrealloc(ls->v, (size_t)ls->cap * sizeof *ls->v);
    }
    tui_line *l = &ls->v[ls->n++];
    memset(l, 0, sizeof *l);
    return l;
}

void tui_lines_deinit(tui_lines *ls) {
    for (int i = 0; i < ls->n; i++) tui_line_deinit(&ls->v[i]);
    free(ls->v);
    memset(ls, 0, sizeof *ls);
}

char *tui_lines_text(const tui_lines *ls) {
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "");
    for (int i = 0; i < ls->n; i++) {
        size_t from = b.len;
        for (int k = 0; k < ls->v[i].n; k++) put_cell_text(&b, &ls->v[i].cells[k]);
        trim_trailing_spaces(&b, from);
        dls_buf_puts(&b, "\n");
    }
    return dls_buf_take(&b);
}

/* ---- grid ---- */

static const tui_cell blank_cell = {.ch = ' ', .width = 1};

void tui_grid_init(tui_grid *g, int w, int h) {
    g->w = w > 0 ? w : 1;
    g->h = h > 0 ? h : 1;
    g->cells = xmalloc((size_t)g->w * (size_t)g->h * sizeof *g->cells);
    tui_grid_clear(g);
}

void tui_grid_deinit(tui_grid *g) {
    free(g->cells);
    memset(g, 0, sizeof *g);
}

void tui_grid_resize(tui_grid *g, int w, int h) {
    tui_grid_deinit(g);
    tui_grid_init(g, w, h);
}

void tui_grid_clear(tui_grid *g) {
    for (int i = 0; i < g->w * g->h; i++) g->cells[i] = blank_cell;
}

tui_cell *tui_grid_at(tui_grid *g, int y, int x) {
    if (y < 0 || y >= g->h || x < 0 || x >= g->w) return NULL;
    return &g->cells[y * g->w + x];
}

/* Before (y, x) is overwritten: a wide glyph it belongs to becomes spaces, so no
 * half glyph is left behind. */
static void unsplit(tui_grid *g, int y, int x) {
    tui_cell *c = tui_grid_at(g, y, x);
    if (!c) return;
    if (c->width == 0 && x > 0) {
        tui_cell *p = tui_grid_at(g, y, x - 1);
        tui_style st = p->st;
        *p = blank_cell;
        p->st = st;
    } else if (c->width == 2 && x + 1 < g->w) {
        tui_cell *n = tui_grid_at(g, y, x + 1);
        tui_style st = n->st;
        *n = blank_cell;
        n->st = st;
    }
}

int tui_grid_put_cell(tui_grid *g, int y, int x, const tui_cell *c) {
    if (y < 0 || y >= g->h || x < 0 || x + c->width > g->w || c->width == 0) return 0;
    unsplit(g, y, x);
    if (c->width == 2) unsplit(g, y, x + 1);
    g->cells[y * g->w + x] = *c;
    if (c->width == 2) {
        tui_cell cont = {.ch = 0, .width = 0, .st = c->st};
        g->cells[y * g->w + x + 1] = cont;
    }
    return c->width;
}

int tui_grid_put_line(tui_grid *g, int y, int x, int maxw, const tui_line *l) {
    if (maxw < 0 || x + maxw > g->w) maxw = g->w - x;
    int used = 0;
    for (int i = 0; i < l->n && used < maxw; i++) {
        const tui_cell *c = &l->cells[i];
        if (used + c->width > maxw) {
            tui_cell sp = blank_cell;
            sp.st = c->st;
            used += tui_grid_put_cell(g, y, x + used, &sp);
            break;
        }
        used += tui_grid_put_cell(g, y, x + used, c);
    }
    return used;
}

int tui_grid_puts(tui_grid *g, int y, int x, int maxw, tui_style st, const char *s) {
    tui_line l = {0};
    tui_line_puts(&l, s, st);
    int used = tui_grid_put_line(g, y, x, maxw, &l);
    tui_line_deinit(&l);
    return used;
}

int tui_grid_puts_fit(tui_grid *g, int y, int x, int maxw, tui_style st, const char *s) {
    tui_line l = {0};
    tui_line_puts(&l, s, st);
    if (maxw < 0 || maxw > g->w - x) maxw = g->w - x; /* the grid's edge cuts too */
    tui_line_fit(&l, maxw, st);
    int used = tui_grid_put_line(g, y, x, maxw, &l);
    tui_line_deinit(&l);
    return used;
}

int tui_grid_printf(tui_grid *g, int y, int x, int maxw, tui_style st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) return 0;
    int used = tui_grid_puts(g, y, x, maxw, st, s);
    free(s);
    return used;
}

void tui_grid_fill(tui_grid *g, int y, int x, int w, uint32_t cp, tui_style st) {
    int cw;
    uint32_t v = tui_sanitize_cp(cp, &cw);
    if (!v || cw == 0) return;
    tui_cell c = {.ch = v, .width = (uint8_t)cw, .st = st};
    for (int i = 0; i + cw <= w; i += cw) tui_grid_put_cell(g, y, x + i, &c);
}

void tui_grid_restyle(tui_grid *g, int y, int x, int w, tui_style st) {
    for (int i = 0; i < w; i++) {
        tui_cell *c = tui_grid_at(g, y, x + i);
        if (c) c->st = st;
    }
}

void tui_grid_box(tui_grid *g, int y, int x, int h, int w, tui_style st, const char *title) {
    if (h < 2 || w < 2) return;
    tui_cell c = {.width = 1, .st = st};
    c.ch = 0x250C; tui_grid_put_cell(g, y, x, &c);
    c.ch = 0x2510; tui_grid_put_cell(g, y, x + w - 1, &c);
    c.ch = 0x2514; tui_grid_put_cell(g, y + h - 1, x, &c);
    c.ch = 0x2518; tui_grid_put_cell(g, y + h - 1, x + w - 1, &c);
    tui_grid_fill(g, y, x + 1, w - 2, 0x2500, st);
    tui_grid_fill(g, y + h - 1, x + 1, w - 2, 0x2500, st);
    c.ch = 0x2502;
    for (int r = y + 1; r < y + h - 1; r++) {
        tui_grid_put_cell(g, r, x, &c);
        tui_grid_put_cell(g, r, x + w - 1, &c);
    }
    if (title && *title && w > 6) {
        tui_style ts = st;
        ts.attr |= TUI_A_BOLD;
        int n = tui_grid_puts(g, y, x + 2, 1, st, " ");
        n += tui_grid_puts(g, y, x + 2 + n, w - 6, ts, title);
        tui_grid_puts(g, y, x + 2 + n, 1, st, " ");
    }
}

char *tui_grid_row_text(const tui_grid *g, int y) {
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "");
    for (int x = 0; x < g->w; x++) {
        const tui_cell *c = &g->cells[y * g->w + x];
        if (c->width == 0) continue;
        put_cell_text(&b, c);
    }
    trim_trailing_spaces(&b, 0);
    return dls_buf_take(&b);
}

char *tui_grid_dump(const tui_grid *g) {
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "");
    for (int y = 0; y < g->h; y++) {
        char *row = tui_grid_row_text(g, y);
        dls_buf_puts(&b, row);
        dls_buf_puts(&b, "\n");
        free(row);
    }
    return dls_buf_take(&b);
}
