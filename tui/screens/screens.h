/* screens.h: the constructors of every screen (each a tui_view, app.h). The returned
 * view is handed to tui_app_push, which owns it from then on. */
#ifndef TUI_SCREENS_H
#define TUI_SCREENS_H

#include "tui/app.h"

tui_view *tui_home_new(tui_app *a);
tui_view *tui_review_new(tui_app *a);
/* query may be NULL; search = 1 opens with the search field active. */
tui_view *tui_notes_new(tui_app *a, const char *query, int search);
tui_view *tui_viewer_new(tui_app *a, int64_t note_id);
tui_view *tui_mastery_new(tui_app *a);
/* Every lab; concept (a card's heading or a note's title) and note_labs (the note's
 * `labs:`, comma-separated), both may be NULL, put the linked labs first, marked. */
tui_view *tui_labs_new(tui_app *a, const char *concept, const char *note_labs);
tui_view *tui_lab_live_new(tui_app *a, const char *lab_name);
/* The full key list of keys (plus the global keys). */
tui_view *tui_help_new(tui_app *a, const tui_keymap *keys);

/* Helpers shared by the screens (screens.c). */
/* "3m ago", "yesterday", "2026-01-03" for a time relative to now; into buf. */
const char *tui_when(int64_t t, int64_t now, char *buf, size_t n);
/* A section title with a rule to the right edge: "── Due today ─────". */
void tui_draw_section(tui_grid *g, int y, int x, int w, const char *title);

#endif
