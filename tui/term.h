/* term.h: the terminal, and the only module that talks to curses: start (UTF-8 locale,
 * ncursesw, colours unless NO_COLOR or monochrome), copying a tui_grid to the screen,
 * reading keys with a timeout (resizes come back as TUI_K_RESIZE), running a program
 * such as $EDITOR in the normal terminal, and restoring the terminal on every way out:
 * normal stop, atexit, SIGINT/SIGTERM/SIGHUP (which ask the loop to quit; for SIGTERM
 * and SIGHUP the process then dies of the signal once main has returned: status 143/129;
 * Ctrl-C is a quit key, status 0) and crashes
 * (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL: restore, then die by the same signal).
 * While full screen, stderr is held in a temporary file and printed after the restore. */
#ifndef TUI_TERM_H
#define TUI_TERM_H

#include "tui/widgets/grid.h"
#include "util/dls.h"

/* Starts full-screen mode. color 0 forces monochrome (main.c folds NO_COLOR and
 * --no-color into cli_ctx.color).
 * Fails with DLS_ERR_UNSUPPORTED when stdin/stdout is not a terminal or curses cannot
 * start (TERM unknown); the terminal is then left as it was. */
int  tui_term_start(int color, dls_error *e);
/* Leaves full-screen mode; safe to call twice and when never started. */
void tui_term_stop(void);
/* The screen size in cells. */
void tui_term_size(int *w, int *h);
/* Copies g to the screen (curses sends only what changed) and shows the cursor at
 * (cy, cx), or hides it when cy < 0. full = 1 repaints everything (after a resize or
 * Ctrl-L), so no garbage survives. */
void tui_term_draw(const tui_grid *g, int cy, int cx, int full);
/* Waits up to timeout_ms (-1: forever) for a key; returns the key (keys.h), or
 * TUI_K_NONE on timeout or when a signal asked to quit. */
int  tui_term_key(int timeout_ms);
/* 1 once SIGINT, SIGTERM or SIGHUP arrived: the loop should save and leave. */
int  tui_term_quit_requested(void);
/* Leaves curses, runs argv[0] with argv (searched in PATH) in the normal terminal,
 * waits for it and comes back to full screen. Returns its exit status, or -1 when it
 * could not be started. */
int  tui_term_run(char *const argv[]);

#endif
