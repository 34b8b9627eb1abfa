/* grid.h: the text grid every screen draws into: cells of one glyph each (display
 * width 1 or 2, CJK and emoji count double) with a style, plus growable lines of
 * cells for pre-rendered text (markdown), and the sanitiser that keeps control
 * characters, escape sequences, C1 controls and bidi overrides off the terminal.
 * It knows nothing of curses: term.c copies a grid to the screen, tests dump it as
 * text (tui_grid_dump) and compare it with golden files. */
#ifndef TUI_GRID_H
#define TUI_GRID_H

#include <stddef.h>
#include <stdint.h>

/* Colour roles; term.c maps them to colour pairs, or to attributes on a monochrome
 * terminal or with NO_COLOR. Chosen to read on dark and light backgrounds. */
enum tui_color {
    TUI_C_DEFAULT = 0,
    TUI_C_ACCENT,    /* titles, h1 */
    TUI_C_HEADING,   /* h2.. */
    TUI_C_CODE,      /* inline code, code blocks */
    TUI_C_LINK,
    TUI_C_QUOTE,
    TUI_C_MUTED,     /* borders, urls, secondary text */
    TUI_C_GOOD,
    TUI_C_WARN,
    TUI_C_BAD,
    TUI_C_KEY,       /* key names in help lines */
    TUI_C_BAR,       /* title and status bars */
    TUI_C_SELECT,    /* the selected row of a list */
    TUI_C_HEAT1, TUI_C_HEAT2, TUI_C_HEAT3, TUI_C_HEAT4,
    TUI_C_COUNT
};

enum tui_attr {
    TUI_A_BOLD      = 1,
    TUI_A_ITALIC    = 2,
    TUI_A_UNDERLINE = 4,
    TUI_A_DIM       = 8,
    TUI_A_REVERSE   = 16,
};

typedef struct tui_style {
    uint8_t attr;  /* enum tui_attr bits */
    uint8_t color; /* enum tui_color */
} tui_style;

static const tui_style TUI_PLAIN = {0, 0};

/* One glyph. In a grid a width-2 glyph is followed by a continuation cell (width 0,
 * ch 0); in a line every cell is a glyph (width 1 or 2). comb holds up to two
 * combining marks that belong to the glyph. */
typedef struct tui_cell {
    uint32_t  ch;
    uint32_t  comb[2];
    uint8_t   width;
    tui_style st;
} tui_cell;

/* ---- text: decoding, sanitising, measuring ---- */

/* Decodes one UTF-8 sequence from s (at most n bytes, n > 0) into *cp and returns the
 * bytes used (>= 1). Invalid, overlong or surrogate sequences give U+FFFD for one byte. */
size_t tui_utf8_next(const char *s, size_t n, uint32_t *cp);
/* Appends the UTF-8 encoding of cp to out (at least 4 bytes); returns bytes written. */
int tui_utf8_put(uint32_t cp, char *out);

/* What may reach the terminal for cp: returns the code point to show (cp itself, or a
 * visible placeholder: C0 controls and DEL become control pictures such as U+241B for
 * ESC, C1 controls and unprintables U+FFFD) or 0 when it is dropped (bidi embedding,
 * override and isolate controls, LRM/RLM, BOM). *width gets 0 (combining), 1 or 2.
 * Tab and newline are the caller's business and come back as placeholders. */
uint32_t tui_sanitize_cp(uint32_t cp, int *width);
/* The control-character part of tui_sanitize_cp, independent of the locale: the visible
 * stand-in for a C0/C1 control or DEL, 0 for a bidi control or BOM (dropped), else cp. */
uint32_t tui_safe_cp(uint32_t cp);

/* Display width of UTF-8 text after sanitising (newlines and tabs count 1). */
int tui_text_width(const char *s);
/* A newly allocated copy of s, sanitised, cut to at most maxw columns (with a trailing
 * "…" when cut); caller frees. */
char *tui_text_fit(const char *s, int maxw);

/* ---- lines: growable rows of glyphs ---- */

typedef struct tui_line {
    tui_cell *cells;
    int       n, cap;
    int       width; /* sum of glyph widths */
} tui_line;

typedef struct tui_lines {
    tui_line *v;
    int       n, cap;
} tui_lines;

/* Appends code point cp (sanitised; combining marks join the previous glyph). */
void tui_line_putc(tui_line *l, uint32_t cp, tui_style st);
/* Appends UTF-8 text; tabs become spaces to the next multiple of 4 columns, and
 * newlines a visible placeholder (lines hold no line breaks). */
void tui_line_puts(tui_line *l, const char *s, tui_style st);
void tui_line_putn(tui_line *l, const char *s, size_t n, tui_style st);
void tui_line_put_cell(tui_line *l, const tui_cell *c);
void tui_line_fill(tui_line *l, uint32_t cp, int count, tui_style st);
/* Cuts l to maxw columns, the last one a "…" (in style st), when it is wider. */
void tui_line_fit(tui_line *l, int maxw, tui_style st);
void tui_line_deinit(tui_line *l);
/* UTF-8 text of the line (styles dropped); caller frees. */
char *tui_line_text(const tui_line *l);

/* Adds an empty line and returns it (valid until the next add). */
tui_line *tui_lines_add(tui_lines *ls);
void tui_lines_deinit(tui_lines *ls);
/* Text of all lines joined by '\n', trailing spaces trimmed; caller frees. */
char *tui_lines_text(const tui_lines *ls);

/* ---- grid: the frame ---- */

typedef struct tui_grid {
    int       w, h;
    tui_cell *cells; /* h rows of w */
} tui_grid;

void tui_grid_init(tui_grid *g, int w, int h);
void tui_grid_deinit(tui_grid *g);
void tui_grid_resize(tui_grid *g, int w, int h);
void tui_grid_clear(tui_grid *g);
/* The cell at (y, x), or NULL when outside. */
tui_cell *tui_grid_at(tui_grid *g, int y, int x);

/* Writes UTF-8 text at (y, x), sanitised, clipped to maxw columns and the grid's
 * right edge (maxw < 0: up to the edge); a wide glyph that does not fit leaves a
 * space. Returns the columns written. */
int tui_grid_puts(tui_grid *g, int y, int x, int maxw, tui_style st, const char *s);
/* The same, ending in "…" where s is cut to fit maxw. */
int tui_grid_puts_fit(tui_grid *g, int y, int x, int maxw, tui_style st, const char *s);
/* printf into the grid, as tui_grid_puts. */
int tui_grid_printf(tui_grid *g, int y, int x, int maxw, tui_style st, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Writes one glyph; returns its width, 0 when it does not fit. */
int tui_grid_put_cell(tui_grid *g, int y, int x, const tui_cell *c);
/* Writes a line's glyphs at (y, x), clipped
 * to maxw columns; returns the columns written. */
int tui_grid_put_line(tui_grid *g, int y, int x, int maxw, const tui_line *l);
/* Fills w columns at (y, x) with cp. */
void tui_grid_fill(tui_grid *g, int y, int x, int w, uint32_t cp, tui_style st);
/* Changes the style of w cells at (y, x), keeping their glyphs (selection bars). */
void tui_grid_restyle(tui_grid *g, int y, int x, int w, tui_style st);
/* Draws a box border (┌─┐│└┘) around the rectangle (y, x, h, w), with an optional title. */
void tui_grid_box(tui_grid *g, int y, int x, int h, int w, tui_style st, const char *title);
/* The grid as UTF-8 text, rows joined by '\n', trailing spaces trimmed; caller frees. */
char *tui_grid_dump(const tui_grid *g);
/* Row y as UTF-8 text with trailing spaces trimmed; caller frees. */
char *tui_grid_row_text(const tui_grid *g, int y);

#endif
