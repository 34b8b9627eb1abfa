/* markdown.c: cmark's tree -> styled, wrapped lines (see markdown.h).
 * Blocks are laid out with a stack of line prefixes (block quote bars, list markers
 * and their hanging indent): a prefix shows its "first" form on the first line a
 * block emits and its "rest" form after, so nesting composes without special cases.
 * Inline content is collected into one line of glyphs per paragraph and then wrapped:
 * breaks go after spaces and on either side of wide (CJK) glyphs. Pipe tables are
 * found in paragraphs from their source lines (cmark core leaves them as text). */
#include "tui/widgets/markdown.h"

#include "util/dls.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DEPTH = 32, MIN_WIDTH = 10 };

/* A hard line break inside a paragraph's glyphs: a cell no sanitised text produces. */
static const tui_cell HARD_BREAK = {.ch = '\n', .width = 0};

typedef struct prefix {
    tui_line first, rest;
    int      used;    /* the first line has been emitted */
    int      bullet;  /* first is an unordered bullet (a task box may replace it) */
} prefix;

typedef struct md {
    tui_lines  *out;
    int         width;
    prefix      stack[MAX_DEPTH];
    int         depth;      /* prefixes in use; deeper nesting is flattened */
    int         need_blank; /* a block ended: the next one starts after a blank line */
    int         tight;      /* inside a tight list: no blank lines between items */
    int         item_start; /* the next paragraph is the first block of a list item */
    int         list_depth;
    const char *src;
    size_t      len;
    size_t     *line_off;   /* byte offset of each source line */
    int         nlines;
} md;

static tui_style sty(int attr, int color) {
    tui_style s = {(uint8_t)attr, (uint8_t)color};
    return s;
}

static int is_hard(const tui_cell *c) { return c->ch == '\n' && c->width == 0; }

/* ---- emitting lines through the prefix stack ---- */

/* Deep nesting would leave no room for text: only the innermost prefixes that fit in
 * half the width are drawn. Returns the index of the first one drawn. */
static int first_shown(const md *m) {
    int depth = m->depth < MAX_DEPTH ? m->depth : MAX_DEPTH, w = 0, i = depth;
    while (i > 0 && w + m->stack[i - 1].rest.width <= m->width / 2) w += m->stack[--i].rest.width;
    return i;
}

static int prefix_width(const md *m) {
    int w = 0, depth = m->depth < MAX_DEPTH ? m->depth : MAX_DEPTH;
    for (int i = first_shown(m); i < depth; i++) w += m->stack[i].rest.width;
    return w;
}

static int avail_width(const md *m) {
    int a = m->width - prefix_width(m);
    return a < 4 ? 4 : a;
}

static void emit(md *m, const tui_line *content) {
    tui_line *l = tui_lines_add(m->out);
    int depth = m->depth < MAX_DEPTH ? m->depth : MAX_DEPTH, shown = first_shown(m);
    for (int i = 0; i < depth; i++) {
        prefix *p = &m->stack[i];
        const tui_line *pl = p->used ? &p->rest : &p->first;
        if (i >= shown)
            for (int k = 0; k < pl->n; k++) tui_line_put_cell(l, &pl->cells[k]);
        p->used = 1;
    }
    if (content)
        for (int k = 0; k < content->n; k++)
            if (!is_hard(&content->cells[k])) tui_line_put_cell(l, &content->cells[k]);
}

/* A blank line between blocks keeps only the prefixes already started (a quote bar
 * continues; a list marker not yet shown stays for its item's first line). */
static void begin_block(md *m) {
    if (m->need_blank && m->out->n > 0) {
        tui_line *l = tui_lines_add(m->out);
        int depth = m->depth < MAX_DEPTH ? m->depth : MAX_DEPTH, shown = first_shown(m);
        for (int i = 0; i < depth && m->stack[i].used; i++) {
            const tui_line *pl = &m->stack[i].rest;
            if (i >= shown)
                for (int k = 0; k < pl->n; k++) tui_line_put_cell(l, &pl->cells[k]);
        }
        /* trailing spaces of an indent are noise in a blank line */
        while (l->n && l->cells[l->n - 1].ch == ' ') l->width -= l->cells[--l->n].width;
    }
    m->need_blank = 0;
}

static void end_block(md *m) { m->need_blank = !m->tight; }

static void push_prefix(md *m, const char *first, const char *rest, tui_style st, int bullet) {
    if (m->depth >= MAX_DEPTH) {
        m->depth++; /* counted so that pops match; not drawn */
        return;
    }
    prefix *p = &m->stack[m->depth++];
    memset(p, 0, sizeof *p);
    tui_line_puts(&p->first, first, st);
    tui_line_puts(&p->rest, rest, st);
    p->bullet = bullet;
}

static void pop_prefix(md *m) {
    if (m->depth-- > MAX_DEPTH) return;
    prefix *p = &m->stack[m->depth];
    tui_line_deinit(&p->first);
    tui_line_deinit(&p->rest);
}

/* ---- wrapping ---- */

static int breakable_before(const tui_line *p, int j) {
    const tui_cell *a = &p->cells[j - 1], *b = &p->cells[j];
    if (b->ch == ' ') return 0;
    return a->ch == ' ' || a->width == 2 || b->width == 2;
}

/* Wraps p at avail columns into dst: breaks after spaces and around wide glyphs,
 * hard-breaks a word longer than the line, honours hard line breaks. */
static void wrap_into(tui_lines *dst, const tui_line *p, int avail) {
    int i = 0;
    while (i < p->n) {
        int start = i, w = 0, last_brk = -1, j = i;
        for (; j < p->n; j++) {
            const tui_cell *c = &p->cells[j];
            if (is_hard(c)) break;
            if (j > start && breakable_before(p, j)) last_brk = j;
            if (w + c->width > avail) break;
            w += c->width;
        }
        int end, hard = j < p->n && is_hard(&p->cells[j]);
        if (j >= p->n || hard) end = j;
        else if (last_brk > start) end = last_brk;
        else end = j > start ? j : start + 1;
        tui_line *l = tui_lines_add(dst);
        int e = end;
        while (e > start && p->cells[e - 1].ch == ' ') e--;
        for (int k = start; k < e; k++) tui_line_put_cell(l, &p->cells[k]);
        i = end;
        if (hard) i++;
        else
            while (i < p->n && p->cells[i].ch == ' ') i++;
    }
}

static void emit_wrapped(md *m, const tui_line *p) {
    tui_lines ls = {0};
    wrap_into(&ls, p, avail_width(m));
    for (int i = 0; i < ls.n; i++) emit(m, &ls.v[i]);
    tui_lines_deinit(&ls);
}

/* ---- inlines ---- */

static void child_text(cmark_node *n, dls_buf *b) {
    for (cmark_node *c = cmark_node_first_child(n); c; c = cmark_node_next(c)) {
        if (cmark_node_get_type(c) == CMARK_NODE_TEXT || cmark_node_get_type(c) == CMARK_NODE_CODE)
            dls_buf_puts(b, cmark_node_get_literal(c));
        else
            child_text(c, b);
    }
}

static void inlines(cmark_node *n, tui_line *p, tui_style st) {
    for (cmark_node *c = cmark_node_first_child(n); c; c = cmark_node_next(c)) {
        tui_style s2 = st;
        const char *lit = cmark_node_get_literal(c);
        switch (cmark_node_get_type(c)) {
        case CMARK_NODE_TEXT:
            tui_line_puts(p, lit ? lit : "", st);
            break;
        case CMARK_NODE_CODE:
            s2.color = TUI_C_CODE;
            tui_line_puts(p, lit ? lit : "", s2);
            break;
        case CMARK_NODE_HTML_INLINE:
            s2.color = TUI_C_MUTED;
            tui_line_puts(p, lit ? lit : "", s2);
            break;
        case CMARK_NODE_SOFTBREAK:
            tui_line_putc(p, ' ', st);
            break;
        case CMARK_NODE_LINEBREAK:
            tui_line_put_cell(p, &HARD_BREAK);
            break;
        case CMARK_NODE_EMPH:
            s2.attr |= TUI_A_ITALIC;
            inlines(c, p, s2);
            break;
        case CMARK_NODE_STRONG:
            s2.attr |= TUI_A_BOLD;
            inlines(c, p, s2);
            break;
        case CMARK_NODE_LINK:
        case CMARK_NODE_IMAGE: {
            int image = cmark_node_get_type(c) == CMARK_NODE_IMAGE;
            const char *url = cmark_node_get_url(c);
            dls_buf t;
            dls_buf_init(&t);
            dls_buf_puts(&t, "");
            child_text(c, &t);
            if (image) tui_line_puts(p, "[image: ", sty(st.attr, TUI_C_MUTED));
            s2.attr |= TUI_A_UNDERLINE;
            s2.color = TUI_C_LINK;
            inlines(c, p, s2);
            if (image) tui_line_puts(p, "]", sty(st.attr, TUI_C_MUTED));
            /* an autolink shows its URL once */
            int same = url && (!strcmp(url, t.data) ||
                               (!strncmp(url, "mailto:", 7) && !strcmp(url + 7, t.data)));
            if (url && *url && !same) {
                tui_style u = sty(TUI_A_DIM, TUI_C_MUTED);
                tui_line_puts(p, " (", u);
                tui_line_puts(p, url, u);
                tui_line_puts(p, ")", u);
            }
            dls_buf_deinit(&t);
            break;
        }
        default:
            inlines(c, p, st);
            break;
        }
    }
}

/* ---- pipe tables ---- */

typedef struct table {
    int     ncols, nrows;  /* rows include the header (row 0) */
    char ***cell;          /* [row][col] source text of each cell */
    char   *align;         /* per column: 'l', 'c', 'r' */
} table;

static void table_free(table *t) {
    for (int r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) free(t->cell[r][c]);
        free(t->cell[r]);
    }
    free(t->cell);
    free(t->align);
}

static char *trim_dup(const char *s, size_t n) {
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
    return xstrndup(s, n);
}

/* Splits one row at unescaped '|' (a leading and a trailing pipe are optional);
 * "\|" becomes "|" in the cell, as GFM says. Returns the number of cells. */
static int split_row(const char *line, char ***cells_out) {
    char *row = trim_dup(line, strlen(line));
    char *s = row;
    size_t n = strlen(s);
    if (n && s[0] == '|') s++, n--;
    if (n && s[n - 1] == '|' && (n < 2 || s[n - 2] != '\\')) s[--n] = '\0';
    char **cells = NULL;
    int count = 0;
    dls_buf cur;
    dls_buf_init(&cur);
    dls_buf_puts(&cur, "");
    for (size_t i = 0;; i++) {
        if (i == n || s[i] == '|') {
            cells = xrealloc(cells, (size_t)(count + 1) * sizeof *cells);
            cells[count++] = trim_dup(cur.data, cur.len);
            cur.len = 0;
            cur.data[0] = '\0';
            if (i == n) break;
        } else if (s[i] == '\\' && i + 1 < n && s[i + 1] == '|') {
            dls_buf_puts(&cur, "|");
            i++;
        } else {
            dls_buf_append(&cur, &s[i], 1);
        }
    }
    dls_buf_deinit(&cur);
    free(row);
    *cells_out = cells;
    return count;
}

static void free_cells(char **cells, int n) {
    for (int i = 0; i < n; i++) free(cells[i]);
    free(cells);
}

static int delimiter_cell(const char *c, char *align) {
    size_t n = strlen(c);
    if (!n) return 0;
    int left = c[0] == ':', right = c[n - 1] == ':';
    size_t a = left, b = n - right;
    if (b <= a) return 0;
    for (size_t i = a; i < b; i++)
        if (c[i] != '-') return 0;
    *align = left && right ? 'c' : right ? 'r' : 'l';
    return 1;
}

/* The source lines of a paragraph, without the container markers in front of them. */
static char **para_lines(md *m, cmark_node *para, int *count) {
    int first = cmark_node_get_start_line(para), last = cmark_node_get_end_line(para);
    int col = cmark_node_get_start_column(para);
    int quotes = 0;
    for (cmark_node *a = cmark_node_parent(para); a; a = cmark_node_parent(a))
        if (cmark_node_get_type(a) == CMARK_NODE_BLOCK_QUOTE) quotes++;
    *count = 0;
    if (first < 1 || last < first || last > m->nlines) return NULL;
    char **lines = xcalloc((size_t)(last - first + 1), sizeof *lines);
    for (int ln = first; ln <= last; ln++) {
        size_t a = m->line_off[ln - 1];
        size_t b = ln < m->nlines ? m->line_off[ln] : m->len;
        while (b > a && (m->src[b - 1] == '\n' || m->src[b - 1] == '\r')) b--;
        const char *s = m->src + a;
        size_t n = b - a;
        if (ln == first) {
            size_t skip = col > 1 ? (size_t)(col - 1) : 0;
            if (skip > n) skip = n;
            s += skip, n -= skip;
        } else {
            while (n && (*s == ' ' || *s == '\t')) s++, n--;
            for (int q = 0; q < quotes && n && *s == '>'; q++) {
                s++, n--;
                while (n && (*s == ' ' || *s == '\t')) s++, n--;
            }
        }
        lines[(*count)++] = xstrndup(s, n);
    }
    return lines;
}

static int parse_table(md *m, cmark_node *para, table *t) {
    int nl;
    char **lines = para_lines(m, para, &nl);
    int ok = 0;
    memset(t, 0, sizeof *t);
    if (nl >= 2 && strchr(lines[0], '|') && strchr(lines[1], '|') && strchr(lines[1], '-')) {
        char **head, **delim;
        int nh = split_row(lines[0], &head), nd = split_row(lines[1], &delim);
        if (nh == nd && nh > 0) {
            t->align = xmalloc((size_t)nh);
            ok = 1;
            for (int c = 0; c < nd && ok; c++) ok = delimiter_cell(delim[c], &t->align[c]);
        }
        if (ok) {
            t->ncols = nh;
            t->cell = xcalloc((size_t)(nl - 1), sizeof *t->cell);
            t->cell[t->nrows++] = head;
            head = NULL;
            for (int r = 2; r < nl; r++) {
                char **cells;
                int nc = split_row(lines[r], &cells);
                char **row = xcalloc((size_t)t->ncols, sizeof *row);
                for (int c = 0; c < t->ncols; c++) row[c] = xstrdup(c < nc ? cells[c] : "");
                free_cells(cells, nc);
                t->cell[t->nrows++] = row;
            }
        } else {
            free(t->align);
            t->align = NULL;
        }
        if (head) free_cells(head, nh);
        free_cells(delim, nd);
    }
    for (int i = 0; i < nl; i++) free(lines[i]);
    free(lines);
    return ok;
}

static void render_cell_inline(const char *text, tui_line *p, tui_style st) {
    cmark_node *doc = cmark_parse_document(text, strlen(text), CMARK_OPT_DEFAULT);
    cmark_node *b = cmark_node_first_child(doc);
    if (b && cmark_node_get_type(b) == CMARK_NODE_PARAGRAPH) inlines(b, p, st);
    else tui_line_puts(p, text, st);
    cmark_node_free(doc);
}

static void table_rule(md *m, const int *w, int ncols, uint32_t l, uint32_t mid, uint32_t r) {
    tui_style bs = sty(0, TUI_C_MUTED);
    tui_line line = {0};
    tui_line_putc(&line, l, bs);
    for (int c = 0; c < ncols; c++) {
        tui_line_fill(&line, 0x2500, w[c] + 2, bs);
        tui_line_putc(&line, c + 1 < ncols ? mid : r, bs);
    }
    emit(m, &line);
    tui_line_deinit(&line);
}

static void render_table(md *m, table *t) {
    int nc = t->ncols;
    tui_line *cells = xcalloc((size_t)(t->nrows * nc), sizeof *cells);
    int *w = xcalloc((size_t)nc, sizeof *w);
    for (int r = 0; r < t->nrows; r++)
        for (int c = 0; c < nc; c++) {
            tui_line *p = &cells[r * nc + c];
            render_cell_inline(t->cell[r][c], p, r == 0 ? sty(TUI_A_BOLD, 0) : TUI_PLAIN);
            if (p->width > w[c]) w[c] = p->width;
        }
    for (int c = 0; c < nc; c++)
        if (w[c] < 1) w[c] = 1;
    /* shrink the widest columns until the table fits; cells then wrap */
    int avail = avail_width(m), overhead = 3 * nc + 1;
    for (;;) {
        int total = overhead, widest = 0;
        for (int c = 0; c < nc; c++) {
            total += w[c];
            if (w[c] > w[widest]) widest = c;
        }
        if (total <= avail || w[widest] <= 3) break;
        w[widest]--;
    }
    tui_style bs = sty(0, TUI_C_MUTED);
    table_rule(m, w, nc, 0x250C, 0x252C, 0x2510);
    for (int r = 0; r < t->nrows; r++) {
        tui_lines *wrapped = xcalloc((size_t)nc, sizeof *wrapped);
        int height = 1;
        for (int c = 0; c < nc; c++) {
            wrap_into(&wrapped[c], &cells[r * nc + c], w[c]);
            if (wrapped[c].n > height) height = wrapped[c].n;
        }
        for (int k = 0; k < height; k++) {
            tui_line line = {0};
            tui_line_putc(&line, 0x2502, bs);
            for (int c = 0; c < nc; c++) {
                tui_line_putc(&line, ' ', TUI_PLAIN);
                tui_line empty = {0};
                const tui_line *cl = k < wrapped[c].n ? &wrapped[c].v[k] : &empty;
                int pad = w[c] - cl->width, lpad = 0;
                if (pad < 0) pad = 0;
                if (t->align[c] == 'r') lpad = pad;
                else if (t->align[c] == 'c') lpad = pad / 2;
                tui_line_fill(&line, ' ', lpad, TUI_PLAIN);
                for (int i = 0; i < cl->n; i++) tui_line_put_cell(&line, &cl->cells[i]);
                tui_line_fill(&line, ' ', pad - lpad + 1, TUI_PLAIN);
                tui_line_putc(&line, 0x2502, bs);
            }
            emit(m, &line);
            tui_line_deinit(&line);
        }
        for (int c = 0; c < nc; c++) tui_lines_deinit(&wrapped[c]);
        free(wrapped);
        if (r == 0) table_rule(m, w, nc, 0x251C, 0x253C, 0x2524);
    }
    table_rule(m, w, nc, 0x2514, 0x2534, 0x2518);
    for (int i = 0; i < t->nrows * nc; i++) tui_line_deinit(&cells[i]);
    free(cells);
    free(w);
}

/* ---- blocks ---- */

static void blocks(md *m, cmark_node *parent);

/* "[ ] " / "[x] " at the start of a list item's first paragraph: a task box. */
static void task_box(md *m, tui_line *p) {
    if (p->n < 4 || p->cells[0].ch != '[' || p->cells[2].ch != ']' || p->cells[3].ch != ' ') return;
    uint32_t mark = p->cells[1].ch;
    if (mark != ' ' && mark != 'x' && mark != 'X') return;
    int done = mark != ' ';
    uint32_t box = done ? 0x2611 : 0x2610; /* ☑ ☐ */
    tui_style bs = sty(TUI_A_BOLD, done ? TUI_C_GOOD : 0);
    prefix *top = m->depth > 0 && m->depth <= MAX_DEPTH ? &m->stack[m->depth - 1] : NULL;
    if (top && top->bullet && !top->used && top->first.n > 0) {
        top->first.cells[0].ch = box;
        top->first.cells[0].st = bs;
        memmove(p->cells, p->cells + 4, (size_t)(p->n - 4) * sizeof *p->cells);
        p->n -= 4;
        p->width -= 4;
    } else {
        p->cells[0].ch = box;
        p->cells[0].st = bs;
        memmove(p->cells + 1, p->cells + 3, (size_t)(p->n - 3) * sizeof *p->cells);
        p->n -= 2;
        p->width -= 2;
    }
}

static void paragraph(md *m, cmark_node *n) {
    int item_start = m->item_start;
    m->item_start = 0;
    table t;
    if (parse_table(m, n, &t)) {
        begin_block(m);
        render_table(m, &t);
        table_free(&t);
        end_block(m);
        return;
    }
    tui_line p = {0};
    inlines(n, &p, TUI_PLAIN);
    if (item_start) task_box(m, &p);
    begin_block(m);
    if (p.n == 0) emit(m, NULL);
    else emit_wrapped(m, &p);
    tui_line_deinit(&p);
    end_block(m);
}

static void heading(md *m, cmark_node *n) {
    int level = cmark_node_get_heading_level(n);
    tui_style st = level == 1 ? sty(TUI_A_BOLD, TUI_C_ACCENT)
                 : level == 2 ? sty(TUI_A_BOLD | TUI_A_UNDERLINE, TUI_C_HEADING)
                              : sty(TUI_A_BOLD, TUI_C_HEADING);
    tui_line p = {0};
    if (level >= 3) tui_line_puts(&p, level == 3 ? "\xe2\x96\xb8 " : "\xc2\xb7 ", st); /* ▸ · */
    inlines(n, &p, st);
    m->item_start = 0;
    begin_block(m);
    emit_wrapped(m, &p);
    if (level == 1) {
        int w = p.width < avail_width(m) ? p.width : avail_width(m);
        tui_line rule = {0};
        tui_line_fill(&rule, 0x2501, w, sty(0, TUI_C_ACCENT)); /* ━ */
        emit(m, &rule);
        tui_line_deinit(&rule);
    }
    tui_line_deinit(&p);
    end_block(m);
}

static void code_block(md *m, cmark_node *n) {
    const char *lit = cmark_node_get_literal(n);
    const char *info = cmark_node_get_fence_info(n);
    if (!lit) lit = "";
    m->item_start = 0;
    /* the code, line by line, tabs expanded and sanitised */
    tui_lines code = {0};
    tui_style cs = sty(0, TUI_C_CODE), bs = sty(0, TUI_C_MUTED);
    const char *s = lit;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len && s[len - 1] == '\r') len--;
        tui_line_putn(tui_lines_add(&code), s, len, cs);
        s += len;
        if (*s == '\r') s++;
        if (*s == '\n') s++;
    }
    char lang[64] = "";
    if (info) {
        size_t k = 0;
        while (info[k] && info[k] != ' ' && k < sizeof lang - 1) lang[k] = info[k], k++;
        lang[k] = '\0';
    }
    int inner = 0;
    for (int i = 0; i < code.n; i++)
        if (code.v[i].width > inner) inner = code.v[i].width;
    int lw = tui_text_width(lang);
    if (lw && inner < lw + 3) inner = lw + 3;
    int avail = avail_width(m);
    if (inner + 4 > avail) inner = avail - 4;
    if (inner < 1) inner = 1;
    char *label = tui_text_fit(lang, inner - 3 > 0 ? inner - 3 : 0); /* a long info string is cut */
    lw = tui_text_width(label);
    begin_block(m);
    tui_line top = {0};
    tui_line_putc(&top, 0x250C, bs);
    if (lw) {
        tui_line_putc(&top, 0x2500, bs);
        tui_line_putc(&top, ' ', bs);
        tui_line_puts(&top, label, sty(TUI_A_DIM, TUI_C_MUTED));
        tui_line_putc(&top, ' ', bs);
    }
    tui_line_fill(&top, 0x2500, inner + 3 - top.width, bs);
    tui_line_putc(&top, 0x2510, bs);
    emit(m, &top);
    tui_line_deinit(&top);
    free(label);
    for (int i = 0; i < code.n; i++) {
        const tui_line *cl = &code.v[i];
        int k = 0;
        do { /* long lines are cut into pieces of the box's width: nothing is hidden */
            tui_line row = {0};
            tui_line_putc(&row, 0x2502, bs);
            tui_line_putc(&row, ' ', cs);
            int w = 0;
            while (k < cl->n && w + cl->cells[k].width <= inner) {
                tui_line_put_cell(&row, &cl->cells[k]);
                w += cl->cells[k++].width;
            }
            if (k < cl->n && w == 0) k++; /* a wide glyph in a 1-column box */
            tui_line_fill(&row, ' ', inner - w + 1, cs);
            tui_line_putc(&row, 0x2502, bs);
            emit(m, &row);
            tui_line_deinit(&row);
        } while (k < cl->n);
    }
    tui_line bot = {0};
    tui_line_putc(&bot, 0x2514, bs);
    tui_line_fill(&bot, 0x2500, inner + 2, bs);
    tui_line_putc(&bot, 0x2518, bs);
    emit(m, &bot);
    tui_line_deinit(&bot);
    tui_lines_deinit(&code);
    end_block(m);
}

static void literal_block(md *m, cmark_node *n) {
    const char *lit = cmark_node_get_literal(n);
    m->item_start = 0;
    begin_block(m);
    tui_line p = {0};
    for (const char *s = lit ? lit : ""; *s; s++) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        tui_line_putn(&p, s, len, sty(0, TUI_C_MUTED));
        if (e && e[1]) tui_line_put_cell(&p, &HARD_BREAK);
        s += len;
        if (!*s) break;
    }
    emit_wrapped(m, &p);
    tui_line_deinit(&p);
    end_block(m);
}

static void list(md *m, cmark_node *n) {
    int ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
    int start = cmark_node_get_list_start(n);
    int paren = cmark_node_get_list_delim(n) == CMARK_PAREN_DELIM;
    int count = 0;
    for (cmark_node *c = cmark_node_first_child(n); c; c = cmark_node_next(c)) count++;
    char last[32];
    int numw = snprintf(last, sizeof last, "%d", start + count - 1);
    static const char *const bullets[] = {"\xe2\x80\xa2", "\xe2\x97\xa6", "\xe2\x96\xaa"}; /* • ◦ ▪ */
    int saved_tight = m->tight;
    m->tight = cmark_node_get_list_tight(n);
    begin_block(m);
    int i = 0;
    for (cmark_node *item = cmark_node_first_child(n); item; item = cmark_node_next(item), i++) {
        char first[48], rest[48];
        if (ordered) {
            snprintf(first, sizeof first, "%*d%c ", numw, start + i, paren ? ')' : '.');
            snprintf(rest, sizeof rest, "%*s", numw + 2, "");
        } else {
            snprintf(first, sizeof first, "%s ", bullets[m->list_depth % 3]);
            snprintf(rest, sizeof rest, "  ");
        }
        push_prefix(m, first, rest, sty(TUI_A_BOLD, TUI_C_HEADING), !ordered);
        m->list_depth++;
        m->item_start = 1;
        if (!cmark_node_first_child(item)) emit(m, NULL);
        blocks(m, item);
        m->list_depth--;
        pop_prefix(m);
    }
    m->item_start = 0;
    m->tight = saved_tight;
    m->need_blank = !m->tight; /* a nested list in a tight item: no blank after it */
}

static void blocks(md *m, cmark_node *parent) {
    for (cmark_node *n = cmark_node_first_child(parent); n; n = cmark_node_next(n)) {
        switch (cmark_node_get_type(n)) {
        case CMARK_NODE_PARAGRAPH:      paragraph(m, n); break;
        case CMARK_NODE_HEADING:        heading(m, n); break;
        case CMARK_NODE_CODE_BLOCK:     code_block(m, n); break;
        case CMARK_NODE_HTML_BLOCK:
        case CMARK_NODE_CUSTOM_BLOCK:   literal_block(m, n); break;
        case CMARK_NODE_LIST:           list(m, n); break;
        case CMARK_NODE_THEMATIC_BREAK: {
            m->item_start = 0;
            begin_block(m);
            tui_line rule = {0};
            tui_line_fill(&rule, 0x2500, avail_width(m), sty(0, TUI_C_MUTED));
            emit(m, &rule);
            tui_line_deinit(&rule);
            end_block(m);
            break;
        }
        case CMARK_NODE_BLOCK_QUOTE: {
            m->item_start = 0;
            begin_block(m);
            const char *bar = "\xe2\x94\x82 "; /* │ */
            push_prefix(m, bar, bar, sty(0, TUI_C_QUOTE), 0);
            int saved_tight = m->tight;
            m->tight = 0;
            blocks(m, n);
            m->tight = saved_tight;
            pop_prefix(m);
            m->need_blank = 1;
            break;
        }
        default:
            blocks(m, n);
            break;
        }
    }
}

void tui_md_render(const char *src, size_t len, int width, tui_lines *out) {
    md m = {.out = out, .width = width < MIN_WIDTH ? MIN_WIDTH : width, .src = src, .len = len};
    /* source line offsets, for pipe tables */
    int cap = 64;
    m.line_off = xmalloc((size_t)cap * sizeof *m.line_off);
    m.line_off[m.nlines++] = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\n' && i + 1 <= len) {
            if (m.nlines == cap) m.line_off = xrealloc(m.line_off, (size_t)(cap *= 2) * sizeof *m.line_off);
            m.line_off[m.nlines++] = i + 1;
        }
    }
    cmark_node *doc = cmark_parse_document(src, len, CMARK_OPT_DEFAULT);
    blocks(&m, doc);
    cmark_node_free(doc);
    while (m.depth > 0) pop_prefix(&m);
    free(m.line_off);
}

void tui_text_wrap(const char *text, int width, tui_style st, tui_lines *out) {
    tui_line p = {0};
    const char *s = text;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        tui_line_putn(&p, s, len, st);
        s += len;
        if (*s == '\n') {
            s++;
            tui_line_put_cell(&p, &HARD_BREAK);
        }
    }
    wrap_into(out, &p, width < 1 ? 1 : width);
    tui_line_deinit(&p);
}
