/* keys.h: key codes independent of curses (term.c translates), the actions screens
 * understand, and per-screen key -> action tables in the style of htop's Action.c.
 * The tables also produce the help line at the bottom of every screen and the full
 * key list shown by `?`, so what is documented is what is bound. */
#ifndef TUI_KEYS_H
#define TUI_KEYS_H

#include "tui/widgets/grid.h"

/* A key: a Unicode code point (printable text, 9 Tab, 13 Enter, 27 Esc, 1-26 Ctrl
 * letters), or one of these, which lie past the last code point. */
enum tui_key {
    TUI_K_NONE = -1,
    TUI_K_UP = 0x110000, TUI_K_DOWN, TUI_K_LEFT, TUI_K_RIGHT,
    TUI_K_PGUP, TUI_K_PGDN, TUI_K_HOME, TUI_K_END,
    TUI_K_BACKSPACE, TUI_K_DELETE, TUI_K_ENTER, TUI_K_BTAB,
    TUI_K_F1, TUI_K_RESIZE,
};
#define TUI_K_CTRL(c) ((c) & 0x1f)

enum tui_action {
    TUI_ACT_NONE = 0,
    TUI_ACT_QUIT,        /* leave the program */
    TUI_ACT_BACK,        /* leave this screen (quits from the first one) */
    TUI_ACT_HELP,
    TUI_ACT_REDRAW,
    TUI_ACT_UP, TUI_ACT_DOWN, TUI_ACT_PAGE_UP, TUI_ACT_PAGE_DOWN, TUI_ACT_TOP, TUI_ACT_BOTTOM,
    TUI_ACT_LEFT, TUI_ACT_RIGHT,
    TUI_ACT_OPEN,        /* open the selected item */
    TUI_ACT_SEARCH,      /* start typing a search */
    TUI_ACT_REVEAL,
    TUI_ACT_AGAIN, TUI_ACT_HARD, TUI_ACT_GOOD, TUI_ACT_EASY,
    TUI_ACT_UNDO, TUI_ACT_EDIT, TUI_ACT_LAB, TUI_ACT_SKIP,
    TUI_ACT_GO_HOME, TUI_ACT_GO_REVIEW, TUI_ACT_GO_NOTES, TUI_ACT_GO_MASTERY, TUI_ACT_GO_LABS,
    TUI_ACT_START, TUI_ACT_STOP,
    TUI_ACT_COUNT
};

typedef struct tui_binding {
    int         key;     /* enum tui_key or a code point */
    int         action;  /* enum tui_action */
    const char *name;    /* how the key is written in help ("Space", "1-4"); NULL: same as the previous row */
    const char *label;   /* what it does */
    int         bar;     /* shown in the help line at the bottom */
} tui_binding;

typedef struct tui_keymap {
    const char        *title;
    const tui_binding *b;
    int                n;
} tui_keymap;

extern const tui_keymap tui_keys_global, tui_keys_home, tui_keys_review, tui_keys_notes,
    tui_keys_search, tui_keys_viewer, tui_keys_mastery, tui_keys_labs, tui_keys_lab_run, tui_keys_help;

/* The action of key in map, falling back to the global map; TUI_ACT_NONE when unbound. */
int tui_keymap_lookup(const tui_keymap *map, int key);
/* Draws map's help-line entries ("Space reveal  1-4 grade ...") on row y, as many as
 * fit in w columns. */
void tui_keys_draw_bar(tui_grid *g, int y, int x, int w, const tui_keymap *map);
/* Appends the full key list of map, then the global keys, as lines (for `?`). */
void tui_keys_help_lines(const tui_keymap *map, tui_lines *out);
/* A key's name for messages ("Enter", "q", "↑"); returns buf. */
const char *tui_key_name(int key, char *buf, size_t size);

#endif
