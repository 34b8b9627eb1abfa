/* main.c: the dlstudy program's entry: global options, then argv -> command.
 * The only exit() of the program is the return from main; commands return exit codes. */
#include "tui/cli.h"
#include "engine/nn.h"

#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmd_review(cli_ctx *ctx, int argc, char **argv) {
    if (ctx->plain) return cmd_review_plain(ctx, argc, argv);
    return tui_app_run(ctx, TUI_SCREEN_REVIEW, argc, argv);
}

static int cmd_home(cli_ctx *ctx, int argc, char **argv) {
    if (ctx->plain) return cmd_home_plain(ctx, argc, argv);
    return tui_app_run(ctx, TUI_SCREEN_HOME, argc, argv);
}

static const struct command {
    const char *name;
    cli_cmd_fn  fn;
    const char *summary;
} commands[] = {
    {"review",  cmd_review,  "the daily review session (full screen; --plain for line mode)"},
    {"sync",    cmd_sync,    "re-read the notes folder into the database"},
    {"due",     cmd_due,     "what is due today and in the next days"},
    {"mastery", cmd_mastery, "mastery per note and category"},
    {"note",    cmd_note,    "note show FILE [--json]: what dlstudy read from a note"},
    {"new",     cmd_new,     "new \"Title\" [--category C]: a note from the standard template"},
    {"edit",    cmd_edit,    "edit NOTE: open a note in $EDITOR and re-read it on exit"},
    {"sched",   cmd_sched,   "sched simulate: replay ratings through the scheduler"},
    {"lab",     cmd_lab,     "lab list | lab NAME | lab results NAME: experiments on the engine"},
    {"data",    cmd_data,    "data list | data fetch mnist: the data sets labs use"},
    {"bench",   cmd_bench,   "engine speed: training and inference images/s"},
    {"doctor",  cmd_doctor,  "check the database, notes, data sets, BLAS and CUDA"},
};

static void usage(FILE *f) {
    fprintf(f,
            "usage: dlstudy [--notes DIR] [--db FILE] [--data DIR] [--plain] [--no-color] [COMMAND [ARGS]]\n"
            "\n"
            "With no command, opens the dashboard (in a terminal) or prints it (otherwise).\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Every command takes --help. Environment: DLSTUDY_NOTES, DLSTUDY_DB, DLSTUDY_DATA,\n"
            "DLSTUDY_LABS, EDITOR, NO_COLOR, XDG_DATA_HOME, XDG_CONFIG_HOME. See dlstudy(1).\n"
            "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

const char *cli_opt_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != '\0') return NULL;
    if (*i + 1 >= argc) return NULL;
    return argv[++*i];
}

int cli_int_value(const char *cmd, const char *opt, const char *v, long lo, long hi, int *out) {
    char *end;
    errno    = 0;
    long n   = strtol(v, &end, 10);
    if (end == v || *end || errno || n < lo || n > hi)
        return cli_usage_error(cmd, "%s wants %ld-%ld, not '%s'", opt, lo, hi, v);
    *out = (int)n;
    return DLS_EXIT_OK;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dlstudy %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return DLS_EXIT_USAGE;
}

/* Debian's OpenBLAS 0.3.21 reads OPENBLAS_CORETYPE only when it loads, and on some
 * CPUs it picks kernels several times slower than the CPU allows (issue 2, item 7).
 * So when it did, restart this program once with the fast core named; if the exec
 * fails, go on at the slow speed (`dlstudy doctor` reports it). */
static void ensure_fast_blas(char **argv) {
    if (getenv("OPENBLAS_CORETYPE") || !nn_blas_slow_core()) return;
    const char *core = nn_blas_fast_core();
    if (!core) return;
    setenv("OPENBLAS_CORETYPE", core, 1);
    execv("/proc/self/exe", argv);
}

int main(int argc, char **argv) {
    ensure_fast_blas(argv);
    setlocale(LC_ALL, "");
    const char *notes = NULL, *db = NULL, *data = NULL;
    cli_ctx ctx = {.plain = !isatty(STDOUT_FILENO), .color = 1};
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc) ctx.color = 0;

    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return DLS_EXIT_OK;
        } else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
            printf("dlstudy %s\n", DLS_VERSION);
            return DLS_EXIT_OK;
        } else if (!strcmp(argv[i], "--plain")) {
            ctx.plain = 1;
        } else if (!strcmp(argv[i], "--no-color")) {
            ctx.color = 0;
        } else if ((v = cli_opt_value(argc, argv, &i, "--notes"))) {
            notes = v;
        } else if ((v = cli_opt_value(argc, argv, &i, "--db"))) {
            db = v;
        } else if ((v = cli_opt_value(argc, argv, &i, "--data"))) {
            data = v;
        } else {
            fprintf(stderr, "dlstudy: unknown option '%s' (see dlstudy --help)\n", argv[i]);
            return DLS_EXIT_USAGE;
        }
    }

    dls_error err = {0};
    if (dls_paths_init(&ctx.paths, notes, db, data, &err) != DLS_OK) {
        fprintf(stderr, "dlstudy: %s\n", err.msg);
        return DLS_EXIT_FAIL;
    }

    int seeded = dls_notes_seed(&ctx.paths, &err);
    if (seeded < 0) fprintf(stderr, "dlstudy: could not copy the bundled notes: %s\n", err.msg);
    else if (seeded) fprintf(stderr, "dlstudy: welcome! The bundled deep-learning notes are now in %s\n",
                             ctx.paths.notes_dir);

    /* Plain-text output passes through the control-character filter; the full-screen
     * app (curses owns the terminal) and the lab progress bar (its own escapes, and
     * no note text) write directly. */
    /* a command's own --plain anywhere in its arguments also switches to line mode */
    for (int k = i + 1; k < argc; k++)
        if (!strcmp(argv[k], "--plain")) ctx.plain = 1;
    const char *cmd = i < argc ? argv[i] : "home";
    int full_screen = !ctx.plain && (!strcmp(cmd, "home") || !strcmp(cmd, "review"));
    if (!full_screen && strcmp(cmd, "lab") != 0) cli_safe_output();

    int rc;
    if (i >= argc) {
        char *none[] = {"home", NULL};
        rc = cmd_home(&ctx, 1, none);
    } else if (!strcmp(argv[i], "help")) {
        usage(stdout);
        rc = DLS_EXIT_OK;
    } else {
        const struct command *c = NULL;
        for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
            if (!strcmp(argv[i], commands[k].name)) c = &commands[k];
        if (!c) {
            fprintf(stderr, "dlstudy: unknown command '%s' (see dlstudy --help)\n", argv[i]);
            rc = DLS_EXIT_USAGE;
        } else {
            rc = c->fn(&ctx, argc - i, argv + i);
        }
    }
    dls_paths_deinit(&ctx.paths);
    return rc;
}
