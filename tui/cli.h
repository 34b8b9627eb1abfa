/* cli.h: what every dlstudy command receives (resolved paths and output mode) and the
 * commands' entry points. Each cmd_*.c implements a group; main.c only dispatches.
 * A command returns a process exit code (DLS_EXIT_OK, DLS_EXIT_FAIL, DLS_EXIT_USAGE). */
#ifndef TUI_CLI_H
#define TUI_CLI_H

#include "study/paths.h"
#include "study/store.h"

typedef struct cli_ctx {
    dls_paths paths;   /* notes, database, labs, data sets (study/paths.h) */
    int       plain;   /* --plain, or stdout is not a terminal: line-oriented output */
    int       color;   /* 0 with NO_COLOR set or --no-color */
} cli_ctx;

/* argv[0] is the command's name ("sync"), argv[1..] its own options and arguments. */
typedef int (*cli_cmd_fn)(cli_ctx *ctx, int argc, char **argv);

int cmd_sync(cli_ctx *ctx, int argc, char **argv);     /* cmd_study.c */
int cmd_due(cli_ctx *ctx, int argc, char **argv);
int cmd_mastery(cli_ctx *ctx, int argc, char **argv);
int cmd_note(cli_ctx *ctx, int argc, char **argv);
int cmd_new(cli_ctx *ctx, int argc, char **argv);
int cmd_edit(cli_ctx *ctx, int argc, char **argv);
int cmd_sched(cli_ctx *ctx, int argc, char **argv);
int cmd_review_plain(cli_ctx *ctx, int argc, char **argv);
int cmd_home_plain(cli_ctx *ctx, int argc, char **argv); /* dashboard as text */
int cmd_lab(cli_ctx *ctx, int argc, char **argv);      /* cmd_lab.c */
int cmd_data(cli_ctx *ctx, int argc, char **argv);
int cmd_bench(cli_ctx *ctx, int argc, char **argv);    /* cmd_bench.c */
int cmd_doctor(cli_ctx *ctx, int argc, char **argv);   /* cmd_doctor.c */

/* The full-screen application (app.c). screen is where it opens. */
enum tui_screen { TUI_SCREEN_HOME, TUI_SCREEN_REVIEW, TUI_SCREEN_NOTES, TUI_SCREEN_MASTERY, TUI_SCREEN_LABS };
int tui_app_run(cli_ctx *ctx, enum tui_screen screen, int argc, char **argv);

/* Wraps stdout and stderr so that control characters, escape sequences and bidi
 * controls from notes never reach the terminal raw (safe_out.c). Call once, before
 * printing, and not when curses will own the terminal. */
void cli_safe_output(void);

/* Shared option helpers for commands: "--name VALUE" or "--name=VALUE".
 * Returns the value and advances *i, or NULL when argv[*i] is not that option. */
const char *cli_opt_value(int argc, char **argv, int *i, const char *name);
/* Parses v as a whole number in [lo, hi] into *out: DLS_EXIT_OK, or DLS_EXIT_USAGE after
 * "dlstudy CMD: OPT wants LO-HI, not 'V'" on stderr (an empty value is refused too). */
int cli_int_value(const char *cmd, const char *opt, const char *v, long lo, long hi, int *out);
/* Prints "dlstudy CMD: MESSAGE" on stderr and returns DLS_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Opens the database (ctx->paths.db_path), making its folder when missing; on failure
 * prints "dlstudy CMD: why" and returns NULL (cli_store.c). Free with store_free. */
store *cli_store_open(cli_ctx *ctx, const char *cmd);

#endif
