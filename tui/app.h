/* app.h: the full-screen application's shared state as the screens see it: a stack of
 * views (each screen is a tui_view with its ops, like tig's struct view_ops), reaction
 * flags returned to the main loop (htop's Action results), and the services screens
 * call: the store, the clock, messages, editing a note, the lab specs. The main loop
 * itself is tui_app_run (cli.h), in app.c. */
#ifndef TUI_APP_H
#define TUI_APP_H

#include "study/sched.h"
#include "study/store.h"
#include "tui/cli.h"
#include "tui/keys.h"
#include "tui/widgets/grid.h"

struct lab_spec;
typedef struct tui_app tui_app;
typedef struct tui_view tui_view;

/* What a key or a tick did, for the loop. */
enum tui_reaction {
    TUI_R_NONE    = 0,
    TUI_R_HANDLED = 1,  /* the key meant something here (no global fallback) */
    TUI_R_REDRAW  = 2,
    TUI_R_BACK    = 4,  /* pop this view */
    TUI_R_QUIT    = 8,
    TUI_R_FULL    = 16, /* repaint the whole terminal (after running an editor) */
};

typedef struct tui_view_ops {
    const char       *name;  /* title bar */
    const tui_keymap *keys;
    /* Fills the body rows [y, y + h) of g (the full width); the title and help bars are
     * the loop's. */
    void (*draw)(tui_view *v, tui_app *a, tui_grid *g, int y, int h);
    /* Handles a key whose action in keys is action (TUI_ACT_NONE when unbound). */
    int  (*key)(tui_view *v, tui_app *a, int key, int action);
    /* Optional: periodic work (a running lab); returns reactions. Called about every
     * tick_ms when that is > 0. */
    int  (*tick)(tui_view *v, tui_app *a);
    int  tick_ms;
    /* Optional: text for the right of the title bar ("12 due · 3:05"); buf has size n. */
    void (*status)(tui_view *v, tui_app *a, char *buf, size_t n);
    /* Optional: the first frame is on the screen; slower loading deferred by the
     * constructor (tui_app_started() was 0) happens now. */
    void (*start)(tui_view *v, tui_app *a);
    /* Optional: the notes were re-synced (data may have changed). */
    void (*reload)(tui_view *v, tui_app *a);
    /* Optional: where the terminal cursor goes (a search field); return 0 to hide. */
    int  (*cursor)(tui_view *v, tui_app *a, int *y, int *x);
    void (*free)(tui_view *v);
} tui_view_ops;

struct tui_view {
    const tui_view_ops *ops;
};

/* Services for screens. */
cli_ctx  *tui_app_ctx(tui_app *a);
store    *tui_app_store(tui_app *a);             /* NULL when the database could not open */
const sched_params *tui_app_sched(tui_app *a);
int64_t   tui_app_now(tui_app *a);               /* Unix seconds ($DLSTUDY_NOW for tests) */
/* A monotonic clock in ms for durations (session time); it stands still when
 * $DLSTUDY_NOW is set, so frames are reproducible. */
double    tui_app_clock_ms(tui_app *a);
int       tui_app_synced(tui_app *a);            /* 1 once the notes folder was synced */
/* 0 until the first frame is drawn: constructors may defer slow work to ops->start. */
int       tui_app_started(tui_app *a);
/* 1 when the last sync (or edit) added, changed, moved or removed notes or cards. */
int       tui_app_notes_changed(tui_app *a);
/* Pushes v on the view stack (the app frees it when it is popped). */
void      tui_app_push(tui_app *a, tui_view *v);
/* A one-line message in the help bar until the next key; bad = 1 shows it as an error. */
void      tui_app_message(tui_app *a, int bad, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Opens notes_dir/path in $VISUAL/$EDITOR (vi when unset), then re-syncs that note.
 * Returns DLS_OK or an error (the message is already shown). */
int       tui_app_edit_note(tui_app *a, const char *path);
/* The lab specs (loaded on first use; errors shown as a message). Borrowed. */
int       tui_app_labs(tui_app *a, struct lab_spec *const **specs);

/* Without a terminal, for tests and benchmarks: the same app, frames rendered as text.
 * tui_app_open opens the store, pushes the screen and syncs the notes folder (sync = 0
 * skips that); NULL only when the screen cannot be built. */
tui_app *tui_app_open(cli_ctx *ctx, enum tui_screen screen, int sync);
/* Draws a frame of w x h cells and returns it as text (tui_grid_dump); caller frees. */
char    *tui_app_frame(tui_app *a, int w, int h);
/* Feeds one key (keys.h) as if typed; returns 0 once the app has quit. */
int      tui_app_send(tui_app *a, int key);
void     tui_app_close(tui_app *a);

#endif
