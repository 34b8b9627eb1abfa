/* keys.c: the key -> action tables of every screen (one place to read them all), and
 * the help line and help page drawn from them. Pure data plus lookups; no curses. */
#include "tui/keys.h"

#include <stdio.h>
#include <string.h>

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

static const tui_binding global_b[] = {
    {'?',                TUI_ACT_HELP,   "?",      "keys", 1},
    {TUI_K_F1,           TUI_ACT_HELP,   NULL,     NULL, 0},
    {TUI_K_CTRL('l'),    TUI_ACT_REDRAW, "Ctrl-L", "redraw the screen", 0},
    {TUI_K_CTRL('c'),    TUI_ACT_QUIT,   "Ctrl-C", "quit", 0},
    {'Q',                TUI_ACT_QUIT,   "Q",      "quit from anywhere", 0},
};
const tui_keymap tui_keys_global = {"Everywhere", global_b, N(global_b)};

/* list movement shared by the list screens */
#define MOVE_KEYS                                                         \
    {TUI_K_UP,   TUI_ACT_UP,        "↑↓",   "move", 1},                   \
    {TUI_K_DOWN, TUI_ACT_DOWN,      NULL,   NULL, 0},                     \
    {'k',        TUI_ACT_UP,        "k j",  "move (vi keys)", 0},         \
    {'j',        TUI_ACT_DOWN,      NULL,   NULL, 0},                     \
    {TUI_K_PGUP, TUI_ACT_PAGE_UP,   "PgUp PgDn", "page", 0},              \
    {TUI_K_PGDN, TUI_ACT_PAGE_DOWN, NULL,   NULL, 0},                     \
    {TUI_K_HOME, TUI_ACT_TOP,       "Home End g G", "first, last", 0},    \
    {TUI_K_END,  TUI_ACT_BOTTOM,    NULL,   NULL, 0},                     \
    {'g',        TUI_ACT_TOP,       NULL,   NULL, 0},                     \
    {'G',        TUI_ACT_BOTTOM,    NULL,   NULL, 0}

static const tui_binding home_b[] = {
    {'r', TUI_ACT_GO_REVIEW,  "r", "review", 1},
    {TUI_K_ENTER, TUI_ACT_GO_REVIEW, "Enter", "review", 0},
    {'n', TUI_ACT_GO_NOTES,   "n", "notes", 1},
    {'/', TUI_ACT_GO_NOTES,   "/", "search notes", 0},
    {'m', TUI_ACT_GO_MASTERY, "m", "mastery", 1},
    {'l', TUI_ACT_GO_LABS,    "l", "labs", 1},
    {'q', TUI_ACT_BACK,       "q", "quit", 1},
    {27,  TUI_ACT_BACK,       NULL, NULL, 0},
};
const tui_keymap tui_keys_home = {"Dashboard", home_b, N(home_b)};

static const tui_binding review_b[] = {
    {' ',          TUI_ACT_REVEAL,    "Space", "show", 1},
    {TUI_K_ENTER,  TUI_ACT_REVEAL,    "Enter", "show answer", 0},
    {'1',          TUI_ACT_AGAIN,     "1-4",   "grade", 1},
    {'2',          TUI_ACT_HARD,      NULL,    NULL, 0},
    {'3',          TUI_ACT_GOOD,      NULL,    NULL, 0},
    {'4',          TUI_ACT_EASY,      NULL,    NULL, 0},
    {'u',          TUI_ACT_UNDO,      "u",     "undo", 1},
    {'e',          TUI_ACT_EDIT,      "e",     "edit", 1},
    {'l',          TUI_ACT_LAB,       "l",     "lab", 1},
    {'s',          TUI_ACT_SKIP,      "s",     "skip", 1},
    {TUI_K_UP,     TUI_ACT_UP,        "↑↓ PgUp PgDn", "scroll the answer", 0},
    {TUI_K_DOWN,   TUI_ACT_DOWN,      NULL,    NULL, 0},
    {'k',          TUI_ACT_UP,        NULL,    NULL, 0},
    {'j',          TUI_ACT_DOWN,      NULL,    NULL, 0},
    {TUI_K_PGUP,   TUI_ACT_PAGE_UP,   NULL,    NULL, 0},
    {TUI_K_PGDN,   TUI_ACT_PAGE_DOWN, NULL,    NULL, 0},
    {'q',          TUI_ACT_BACK,      "q",     "quit", 1},
    {27,           TUI_ACT_BACK,      NULL,    NULL, 0},
};
const tui_keymap tui_keys_review = {"Review", review_b, N(review_b)};

static const tui_binding notes_b[] = {
    {'/',         TUI_ACT_SEARCH, "/",     "search", 1},
    {TUI_K_ENTER, TUI_ACT_OPEN,   "Enter", "open", 1},
    MOVE_KEYS,
    {'q',         TUI_ACT_BACK,   "q",     "back", 1},
    {27,          TUI_ACT_BACK,   NULL,    NULL, 0},
};
const tui_keymap tui_keys_notes = {"Notes", notes_b, N(notes_b)};

/* While typing a search every printable key is text: only these are special. */
static const tui_binding search_b[] = {
    {TUI_K_ENTER,     TUI_ACT_NONE,      "Enter",     "done", 1},
    {27,              TUI_ACT_NONE,      "Esc",       "clear", 1},
    {TUI_K_BACKSPACE, TUI_ACT_NONE,      "Backspace", "delete", 1},
    {TUI_K_CTRL('u'), TUI_ACT_NONE,      "Ctrl-U",    "clear the field", 0},
    {TUI_K_UP,        TUI_ACT_UP,        "↑↓",        "move", 1},
    {TUI_K_DOWN,      TUI_ACT_DOWN,      NULL,        NULL, 0},
    {TUI_K_PGUP,      TUI_ACT_PAGE_UP,   NULL,        NULL, 0},
    {TUI_K_PGDN,      TUI_ACT_PAGE_DOWN, NULL,        NULL, 0},
};
const tui_keymap tui_keys_search = {"Search (typing)", search_b, N(search_b)};

static const tui_binding viewer_b[] = {
    {TUI_K_UP,   TUI_ACT_UP,        "↑↓",        "scroll", 1},
    {TUI_K_DOWN, TUI_ACT_DOWN,      NULL,        NULL, 0},
    {'k',        TUI_ACT_UP,        "k j",       "scroll (vi keys)", 0},
    {'j',        TUI_ACT_DOWN,      NULL,        NULL, 0},
    {TUI_K_PGUP, TUI_ACT_PAGE_UP,   "PgUp PgDn", "page", 1},
    {TUI_K_PGDN, TUI_ACT_PAGE_DOWN, NULL,        NULL, 0},
    {' ',        TUI_ACT_PAGE_DOWN, NULL,        NULL, 0},
    {TUI_K_HOME, TUI_ACT_TOP,       "Home End",  "top, end", 0},
    {TUI_K_END,  TUI_ACT_BOTTOM,    NULL,        NULL, 0},
    {'g',        TUI_ACT_TOP,       NULL,        NULL, 0},
    {'G',        TUI_ACT_BOTTOM,    NULL,        NULL, 0},
    {'e',        TUI_ACT_EDIT,      "e",         "edit", 1},
    {'l',        TUI_ACT_LAB,       "l",         "labs", 1},
    {'q',        TUI_ACT_BACK,      "q",         "back", 1},
    {27,         TUI_ACT_BACK,      NULL,        NULL, 0},
};
const tui_keymap tui_keys_viewer = {"Note", viewer_b, N(viewer_b)};

static const tui_binding mastery_b[] = {
    MOVE_KEYS,
    {TUI_K_ENTER, TUI_ACT_OPEN, "Enter", "open note", 1},
    {'q',         TUI_ACT_BACK, "q",     "back", 1},
    {27,          TUI_ACT_BACK, NULL,    NULL, 0},
};
const tui_keymap tui_keys_mastery = {"Mastery", mastery_b, N(mastery_b)};

static const tui_binding labs_b[] = {
    MOVE_KEYS,
    {TUI_K_ENTER, TUI_ACT_OPEN, "Enter", "run lab", 1},
    {'q',         TUI_ACT_BACK, "q",     "back", 1},
    {27,          TUI_ACT_BACK, NULL,    NULL, 0},
};
const tui_keymap tui_keys_labs = {"Labs", labs_b, N(labs_b)};

static const tui_binding lab_run_b[] = {
    {'s', TUI_ACT_STOP, "s", "stop", 1},
    {'q', TUI_ACT_BACK, "q", "stop and back", 1},
    {27,  TUI_ACT_BACK, NULL, NULL, 0},
};
const tui_keymap tui_keys_lab_run = {"Live lab", lab_run_b, N(lab_run_b)};

static const tui_binding help_b[] = {
    {TUI_K_UP,   TUI_ACT_UP,        "↑↓",        "scroll", 1},
    {TUI_K_DOWN, TUI_ACT_DOWN,      NULL,        NULL, 0},
    {'k',        TUI_ACT_UP,        NULL,        NULL, 0},
    {'j',        TUI_ACT_DOWN,      NULL,        NULL, 0},
    {TUI_K_PGUP, TUI_ACT_PAGE_UP,   NULL,        NULL, 0},
    {TUI_K_PGDN, TUI_ACT_PAGE_DOWN, NULL,        NULL, 0},
    {'q',        TUI_ACT_BACK,      "q Esc ?",   "close", 1},
    {27,         TUI_ACT_BACK,      NULL,        NULL, 0},
    {'?',        TUI_ACT_BACK,      NULL,        NULL, 0},
};
const tui_keymap tui_keys_help = {"Help", help_b, N(help_b)};

int tui_keymap_lookup(const tui_keymap *map, int key) {
    if (map)
        for (int i = 0; i < map->n; i++)
            if (map->b[i].key == key) return map->b[i].action;
    for (int i = 0; i < tui_keys_global.n; i++)
        if (tui_keys_global.b[i].key == key) return tui_keys_global.b[i].action;
    return TUI_ACT_NONE;
}

/* The help-line entries of m; keys that shadow (a screen binding the same key) are
 * left out. */
static int draw_entries(tui_grid *g, int y, int x, int w, const tui_keymap *m, const tui_keymap *shadow, int used) {
    tui_style ks = {TUI_A_BOLD | TUI_A_REVERSE, TUI_C_BAR}, ls = {TUI_A_REVERSE, TUI_C_BAR};
    for (int i = 0; m && i < m->n; i++) {
        const tui_binding *b = &m->b[i];
        if (!b->bar || !b->name) continue;
        int shadowed = 0;
        for (int k = 0; shadow && k < shadow->n; k++) shadowed |= shadow->b[k].key == b->key;
        if (shadowed) continue;
        int need = tui_text_width(b->name) + 1 + tui_text_width(b->label) + 2;
        if (used + need > w) return -1;
        used += tui_grid_puts(g, y, x + used, w - used, ks, b->name);
        used += tui_grid_puts(g, y, x + used, w - used, ls, " ");
        used += tui_grid_puts(g, y, x + used, w - used, ls, b->label);
        used += tui_grid_puts(g, y, x + used, w - used, ls, "  ");
    }
    return used;
}

void tui_keys_draw_bar(tui_grid *g, int y, int x, int w, const tui_keymap *map) {
    tui_style ls = {TUI_A_REVERSE, TUI_C_BAR};
    tui_grid_fill(g, y, x, w, ' ', ls);
    int used = draw_entries(g, y, x, w, map, NULL, 1);
    if (used >= 0) draw_entries(g, y, x, w, &tui_keys_global, map, used);
}

static void help_section(const tui_keymap *m, tui_lines *out) {
    tui_line *t = tui_lines_add(out);
    tui_style hs = {TUI_A_BOLD, TUI_C_HEADING}, ks = {TUI_A_BOLD, TUI_C_KEY};
    tui_line_puts(t, m->title, hs);
    for (int i = 0; i < m->n; i++) {
        const tui_binding *b = &m->b[i];
        if (!b->name) continue;
        tui_line *l = tui_lines_add(out);
        tui_line_puts(l, "  ", TUI_PLAIN);
        tui_line_puts(l, b->name, ks);
        tui_line_fill(l, ' ', 16 - l->width > 1 ? 16 - l->width : 1, TUI_PLAIN);
        tui_line_puts(l, b->label, TUI_PLAIN);
    }
    tui_lines_add(out);
}

void tui_keys_help_lines(const tui_keymap *map, tui_lines *out) {
    if (map) help_section(map, out);
    help_section(&tui_keys_global, out);
}

const char *tui_key_name(int key, char *buf, size_t size) {
    static const struct { int key; const char *name; } names[] = {
        {TUI_K_UP, "↑"}, {TUI_K_DOWN, "↓"}, {TUI_K_LEFT, "←"}, {TUI_K_RIGHT, "→"},
        {TUI_K_PGUP, "PgUp"}, {TUI_K_PGDN, "PgDn"}, {TUI_K_HOME, "Home"}, {TUI_K_END, "End"},
        {TUI_K_BACKSPACE, "Backspace"}, {TUI_K_DELETE, "Delete"}, {TUI_K_ENTER, "Enter"},
        {TUI_K_F1, "F1"}, {' ', "Space"}, {27, "Esc"}, {9, "Tab"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].key == key) {
            snprintf(buf, size, "%s", names[i].name);
            return buf;
        }
    if (key > 0 && key < 32) snprintf(buf, size, "Ctrl-%c", key + 'A' - 1);
    else if (key >= 32 && key < 0x110000) {
        char u[5] = {0};
        int w;
        uint32_t v = tui_sanitize_cp((uint32_t)key, &w);
        u[tui_utf8_put(v ? v : 0xFFFD, u)] = '\0';
        snprintf(buf, size, "%s", u);
    } else snprintf(buf, size, "key %d", key);
    return buf;
}
