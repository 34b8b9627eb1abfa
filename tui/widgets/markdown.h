/* markdown.h: CommonMark (cmark's tree) rendered into styled lines of glyphs for a
 * given width: headings, emphasis, inline code, fenced code in a box, bullet, ordered
 * and task lists, GFM pipe tables (detected here: cmark core does not parse them)
 * aligned by display width, block quotes, links (text, then the URL dimmed), images,
 * thematic breaks. Everything is sanitised (grid.h). Pure: no terminal needed, so
 * tests compare tui_lines_text() of the result with golden files. */
#ifndef TUI_MARKDOWN_H
#define TUI_MARKDOWN_H

#include "tui/widgets/grid.h"

/* Renders md (len bytes, UTF-8; need not be NUL-terminated) wrapped at width columns
 * (at least 10 is used) and appends the lines to out (tui_lines_deinit frees them).
 * Never fails: any byte sequence renders to something. */
void tui_md_render(const char *md, size_t len, int width, tui_lines *out);

/* Plain text (no markdown) wrapped at width with the same rules (breaks after spaces
 * and around wide glyphs; newlines end lines), in style st, appended to out. */
void tui_text_wrap(const char *text, int width, tui_style st, tui_lines *out);

#endif
