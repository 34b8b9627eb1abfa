/* app.c: the full-screen application's main loop (tui_app_run) and the services
 * screens use (app.h). One frame = title bar, the top view's body, help bar; frames are
 * drawn into a tui_grid and copied to the terminal by term.c. Startup draws the first
 * frame from the database before anything reads the notes folder, then syncs it. */
#include "tui/app.h"

#include "study/lab.h"
#include "study/sync.h"
#include "tui/screens/screens.h"
#include "tui/term.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_VIEWS = 16, MIN_W = 40, MIN_H = 10 };

struct tui_app {
    cli_ctx      *ctx;
    store        *db;
    char          db_error[256];
    sched_params  sp;
    tui_grid      grid;
    tui_view     *stack[MAX_VIEWS];
    int           depth;
    char          msg[256];
    int           msg_bad;
    int           synced;
    int           started;    /* the first frame has been drawn */
    int           changed;    /* the last sync changed notes or cards */
    /* The startup sync runs on a thread with its own connection (WAL lets the screens
     * read meanwhile), so keys are answered while the notes folder is read. */
    pthread_t     sync_thread;
    int           sync_started;
    atomic_int    sync_done;
    int           sync_rc;
    dls_error     sync_err;
    sync_report   sync_rep;
    double        sync_t0;
    int           full;       /* next frame repaints everything */
    int           quit;
    int64_t       fixed_now;  /* $DLSTUDY_NOW, 0 when unset */
    lab_spec    **labs;
    int           n_labs, labs_loaded;
};

static double mono_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- services ---- */

cli_ctx *tui_app_ctx(tui_app *a) { return a->ctx; }
store *tui_app_store(tui_app *a) { return a->db; }
const sched_params *tui_app_sched(tui_app *a) { return &a->sp; }
int tui_app_synced(tui_app *a) { return a->synced; }
int tui_app_started(tui_app *a) { return a->started; }

/* After the first frame: the views' deferred loading. */
static void start_all(tui_app *a) {
    a->started = 1;
    for (int i = 0; i < a->depth; i++)
        if (a->stack[i]->ops->start) a->stack[i]->ops->start(a->stack[i], a);
}
int tui_app_notes_changed(tui_app *a) { return a->changed; }

static int report_changed(const sync_report *r) {
    return r->added || r->changed || r->moved || r->removed || r->cards_added || r->cards_removed;
}

int64_t tui_app_now(tui_app *a) { return a->fixed_now ? a->fixed_now : (int64_t)time(NULL); }

double tui_app_clock_ms(tui_app *a) { return a->fixed_now ? 0 : mono_ms(); }

void tui_app_push(tui_app *a, tui_view *v) {
    if (!v) return;
    if (a->depth == MAX_VIEWS) { /* deep enough: replace the top instead of growing */
        tui_view *old = a->stack[--a->depth];
        old->ops->free(old);
    }
    a->stack[a->depth++] = v;
}

static void pop_view(tui_app *a) {
    if (a->depth == 0) return;
    tui_view *v = a->stack[--a->depth];
    v->ops->free(v);
}

void tui_app_message(tui_app *a, int bad, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->msg, sizeof a->msg, fmt, ap);
    va_end(ap);
    a->msg_bad = bad;
}

static void reload_all(tui_app *a) {
    for (int i = 0; i < a->depth; i++)
        if (a->stack[i]->ops->reload) a->stack[i]->ops->reload(a->stack[i], a);
}

int tui_app_edit_note(tui_app *a, const char *path) {
    const char *ed = getenv("VISUAL");
    if (!ed || !*ed) ed = getenv("EDITOR");
    if (!ed || !*ed) ed = "vi";
    char *file = xasprintf("%s/%s", a->ctx->paths.notes_dir, path);
    /* through sh, so EDITOR may carry arguments ("code -w", "emacs -nw") */
    char *cmd = xasprintf("%s \"$1\"", ed);
    char *argv[] = {"sh", "-c", cmd, "sh", file, NULL};
    int st = tui_term_run(argv);
    a->full = 1;
    int rc = DLS_OK;
    if (st < 0) {
        tui_app_message(a, 1, "could not run the editor '%s' (set $EDITOR)", ed);
        rc = DLS_ERR_IO;
    } else if (a->db) {
        sync_report r;
        dls_error e = {0};
        rc = sync_file(a->db, a->ctx->paths.notes_dir, file, tui_app_now(a), &r, &e);
        if (rc != DLS_OK) tui_app_message(a, 1, "%s", e.msg);
        else if (r.skipped && r.n_items && r.items[0].detail)
            tui_app_message(a, 1, "not re-read: %s", r.items[0].detail), rc = DLS_ERR_PARSE;
        else tui_app_message(a, 0, "%s re-read", path);
        a->changed = rc == DLS_OK && report_changed(&r);
        sync_report_deinit(&r);
        reload_all(a);
    }
    free(cmd);
    free(file);
    return rc;
}

int tui_app_labs(tui_app *a, lab_spec *const **specs) {
    if (!a->labs_loaded) {
        a->labs_loaded = 1;
        dls_buf errs;
        dls_buf_init(&errs);
        dls_error e = {0};
        if (lab_spec_list(a->ctx->paths.labs_dir, &a->labs, &a->n_labs, &errs, &e) != DLS_OK)
            tui_app_message(a, 1, "labs: %s", e.msg);
        else if (errs.len)
            tui_app_message(a, 1, "some labs did not load: %.200s", errs.data);
        dls_buf_deinit(&errs);
    }
    *specs = a->labs;
    return a->n_labs;
}

/* ---- frames ---- */

/* Renders a frame of w x h into a->grid; *cy, *cx get the cursor (-1: hidden). */
static void render(tui_app *a, int w, int h, int *cy_out, int *cx_out) {
    if (w != a->grid.w || h != a->grid.h) tui_grid_resize(&a->grid, w, h);
    tui_grid_clear(&a->grid);
    tui_grid *g = &a->grid;
    int cy = -1, cx = -1;
    if (w < MIN_W || h < MIN_H) {
        tui_grid_printf(g, 0, 0, w, TUI_PLAIN, "terminal too small (%dx%d)", w, h);
        tui_grid_printf(g, 1, 0, w, TUI_PLAIN, "dlstudy needs %dx%d", MIN_W, MIN_H);
        *cy_out = *cx_out = -1;
        return;
    }
    tui_view *v = a->stack[a->depth - 1];
    tui_style bar = {TUI_A_REVERSE, TUI_C_BAR}, title = {TUI_A_REVERSE | TUI_A_BOLD, TUI_C_BAR};
    tui_grid_fill(g, 0, 0, w, ' ', bar);
    int x = tui_grid_puts(g, 0, 0, w, title, " dlstudy ");
    x += tui_grid_puts(g, 0, x, w - x, bar, "\xe2\x80\xba "); /* › */
    x += tui_grid_puts(g, 0, x, w - x, title, v->ops->name);
    char right[160] = "";
    if (v->ops->status) v->ops->status(v, a, right, sizeof right);
    if (!a->synced) snprintf(right + strlen(right), sizeof right - strlen(right), "%ssyncing notes\xe2\x80\xa6",
                             right[0] ? "  " : "");
    int rw = tui_text_width(right);
    if (rw && rw + 2 < w - x - 2) tui_grid_puts(g, 0, w - rw - 1, rw, bar, right);

    v->ops->draw(v, a, g, 1, h - 2);
    if (v->ops->cursor && !v->ops->cursor(v, a, &cy, &cx)) cy = cx = -1;

    if (a->msg[0]) {
        tui_style ms = {TUI_A_BOLD | TUI_A_REVERSE, (uint8_t)(a->msg_bad ? TUI_C_BAD : TUI_C_BAR)};
        tui_grid_fill(g, h - 1, 0, w, ' ', ms);
        tui_grid_puts(g, h - 1, 1, w - 2, ms, a->msg);
    } else {
        tui_keys_draw_bar(g, h - 1, 0, w, v->ops->keys);
    }
    *cy_out = cy;
    *cx_out = cx;
}

static void draw_frame(tui_app *a) {
    int w, h, cy, cx;
    tui_term_size(&w, &h);
    render(a, w, h, &cy, &cx);
    tui_term_draw(&a->grid, cy, cx, a->full);
    a->full = 0;
}

/* What a finished sync means for the screens: a message, and fresh data everywhere. */
static void sync_finish(tui_app *a, int rc, const dls_error *e, sync_report *r) {
    a->synced = 1;
    if (rc != DLS_OK) {
        tui_app_message(a, 1, "sync: %s", e->msg);
        a->changed = 0;
        reload_all(a); /* the screens still show what the database has, in full */
        return;
    }
    if (r->skipped) tui_app_message(a, 1, "%d note%s could not be read (dlstudy sync shows why)", r->skipped,
                                    r->skipped == 1 ? "" : "s");
    a->changed = report_changed(r);
    sync_report_deinit(r);
    reload_all(a);
}

/* The sync, here and now (tests, and when no thread can be started). */
static void do_sync(tui_app *a) {
    if (!a->db) {
        a->synced = 1;
        return;
    }
    sync_report r;
    dls_error e = {0};
    int rc = sync_run(a->db, a->ctx->paths.notes_dir, tui_app_now(a), &r, &e);
    sync_finish(a, rc, &e, &r);
}

static void *sync_main(void *arg) {
    tui_app *a = arg;
    store *s = NULL;
    a->sync_rc = store_open(a->ctx->paths.db_path, &s, &a->sync_err);
    if (a->sync_rc == DLS_OK)
        a->sync_rc = sync_run(s, a->ctx->paths.notes_dir, tui_app_now(a), &a->sync_rep, &a->sync_err);
    store_free(s);
    atomic_store_explicit(&a->sync_done, 1, memory_order_release);
    return NULL;
}

static void sync_start(tui_app *a) {
    a->sync_t0 = mono_ms();
    if (!a->db || pthread_create(&a->sync_thread, NULL, sync_main, a) != 0) {
        do_sync(a);
        return;
    }
    a->sync_started = 1;
}

/* Joins the sync thread once it is done (wait = 1: whatever it takes); returns 1 when
 * it was joined now. */
static int sync_poll(tui_app *a, int wait) {
    if (!a->sync_started) return 0;
    if (!wait && !atomic_load_explicit(&a->sync_done, memory_order_acquire)) return 0;
    pthread_join(a->sync_thread, NULL);
    a->sync_started = 0;
    sync_finish(a, a->sync_rc, &a->sync_err, &a->sync_rep);
    return 1;
}

/* Where the time to the first frame went (store, terminal, screen data, drawing). */
static double t_store, t_term, t_view, t_draw;

static void trace_startup(double t0) {
    const char *path = getenv("DLSTUDY_TRACE_STARTUP");
    if (!path || !*path) return;
    FILE *f = fopen(path, "w");
    if (!f) return;
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    fprintf(f, "first_frame_ms %.2f\nfirst_frame_unix_ns %lld\n", mono_ms() - t0,
            (long long)rt.tv_sec * 1000000000LL + rt.tv_nsec);
    fprintf(f, "store_open_ms %.2f\nterm_start_ms %.2f\nscreen_data_ms %.2f\ndraw_ms %.2f\n", t_store, t_term,
            t_view, t_draw);
    fclose(f);
}

/* The sync after the first frame and the frame after it, appended to the trace. */
static void trace_sync(double ms) {
    const char *path = getenv("DLSTUDY_TRACE_STARTUP");
    if (!path || !*path) return;
    FILE *f = fopen(path, "a");
    if (!f) return;
    fprintf(f, "sync_and_redraw_ms %.2f\n", ms);
    fclose(f);
}

/* Applies what view v answered to a key (action) or a tick (action TUI_ACT_NONE). */
static void react(tui_app *a, tui_view *v, int r, int action) {
    if (!(r & TUI_R_HANDLED)) {
        switch (action) {
        case TUI_ACT_QUIT: r |= TUI_R_QUIT; break;
        case TUI_ACT_BACK: r |= TUI_R_BACK; break;
        case TUI_ACT_REDRAW: a->full = 1; break;
        case TUI_ACT_HELP: tui_app_push(a, tui_help_new(a, v->ops->keys)); break;
        default: break;
        }
    }
    if (r & TUI_R_FULL) a->full = 1;
    if (r & TUI_R_QUIT) a->quit = 1;
    if (r & TUI_R_BACK) {
        /* the view that asked may not be on top any more (it pushed another): pop it */
        for (int i = a->depth - 1; i >= 0; i--)
            if (a->stack[i] == v) {
                v->ops->free(v);
                memmove(&a->stack[i], &a->stack[i + 1], (size_t)(a->depth - 1 - i) * sizeof *a->stack);
                a->depth--;
                break;
            }
        if (a->depth == 0) a->quit = 1;
    }
}

static void handle_key(tui_app *a, int key) {
    tui_view *v = a->stack[a->depth - 1];
    a->msg[0] = '\0';
    if (key == TUI_K_RESIZE) {
        a->full = 1;
        return;
    }
    int action = tui_keymap_lookup(v->ops->keys, key);
    react(a, v, v->ops->key(v, a, key, action), action);
}

static int usage(const char *cmd) {
    printf("usage: dlstudy %s [--plain]\n\n"
           "Opens the full-screen %s. Keys are shown at the bottom of every screen;\n"
           "? lists them all. Without a terminal (or with --plain) the same runs as plain text.\n"
           "Environment: EDITOR (the e key), NO_COLOR (no colours), DLSTUDY_TRACE_STARTUP=FILE\n"
           "(writes the time to the first frame there).\n",
           cmd, strcmp(cmd, "review") ? "dashboard" : "review session");
    return DLS_EXIT_OK;
}

static tui_app *app_new(cli_ctx *ctx) {
    tui_app *a = xcalloc(1, sizeof *a);
    a->ctx = ctx;
    const char *fn = getenv("DLSTUDY_NOW");
    if (fn && *fn) a->fixed_now = strtoll(fn, NULL, 10);
    sched_params_default(&a->sp);
    a->sp.days = SCHED_DAYS_CALENDAR;
    dls_error e = {0};
    /* a first run: the database's folder (~/.local/share/dlstudy) may not exist yet */
    if (dls_mkdir_parent(ctx->paths.db_path, &e) != DLS_OK || store_open(ctx->paths.db_path, &a->db, &e) != DLS_OK) {
        snprintf(a->db_error, sizeof a->db_error, "%s", e.msg);
        a->db = NULL;
    } else if (store_sched_params(a->db, &a->sp, &e) != DLS_OK) {
        snprintf(a->db_error, sizeof a->db_error, "%s", e.msg);
    }
    tui_grid_init(&a->grid, 80, 24);
    return a;
}

static void push_first(tui_app *a, enum tui_screen screen) {
    switch (screen) {
    case TUI_SCREEN_REVIEW: tui_app_push(a, tui_review_new(a)); break;
    case TUI_SCREEN_NOTES: tui_app_push(a, tui_notes_new(a, NULL, 0)); break;
    case TUI_SCREEN_MASTERY: tui_app_push(a, tui_mastery_new(a)); break;
    case TUI_SCREEN_LABS: tui_app_push(a, tui_labs_new(a, NULL, NULL)); break;
    default: tui_app_push(a, tui_home_new(a)); break;
    }
    if (a->db_error[0]) tui_app_message(a, 1, "%s", a->db_error);
}

void tui_app_close(tui_app *a) {
    if (!a) return;
    if (a->sync_started) { /* never leave the thread writing behind us */
        pthread_join(a->sync_thread, NULL);
        if (a->sync_rc == DLS_OK) sync_report_deinit(&a->sync_rep);
    }
    while (a->depth) pop_view(a);
    tui_grid_deinit(&a->grid);
    lab_spec_list_free(a->labs, a->n_labs);
    store_free(a->db);
    free(a);
}

tui_app *tui_app_open(cli_ctx *ctx, enum tui_screen screen, int sync) {
    tui_app *a = app_new(ctx);
    push_first(a, screen);
    start_all(a);
    if (sync) do_sync(a);
    else a->synced = 1;
    return a;
}

char *tui_app_frame(tui_app *a, int w, int h) {
    int cy, cx;
    if (a->depth == 0) return xstrdup("");
    render(a, w, h, &cy, &cx);
    return tui_grid_dump(&a->grid);
}

int tui_app_send(tui_app *a, int key) {
    if (a->depth == 0 || a->quit) return 0;
    handle_key(a, key);
    return a->depth > 0 && !a->quit;
}

int tui_app_run(cli_ctx *ctx, enum tui_screen screen, int argc, char **argv) {
    double t0 = mono_ms();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage(argv[0]);
        /* cli_usage_error lives in main.c, which the tests do not link */
        fprintf(stderr, "dlstudy %s: unknown option '%s' (see --help)\n", argv[0], argv[i]);
        return DLS_EXIT_USAGE;
    }
    dls_error e = {0};
    double t = mono_ms();
    tui_app *a = app_new(ctx);
    t_store = mono_ms() - t, t = mono_ms();
    if (tui_term_start(ctx->color, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy: %s\n", e.msg);
        tui_app_close(a);
        return DLS_EXIT_FAIL;
    }
    t_term = mono_ms() - t, t = mono_ms();
    push_first(a, screen);
    t_view = mono_ms() - t, t = mono_ms();
    a->full = 1;
    draw_frame(a);
    t_draw = mono_ms() - t;
    trace_startup(t0);
    sync_start(a);
    start_all(a);
    draw_frame(a);
    while (!a->quit && !tui_term_quit_requested()) {
        if (!a->synced && (sync_poll(a, 0) || !a->sync_started)) {
            draw_frame(a);
            trace_sync(mono_ms() - a->sync_t0);
            continue;
        }
        tui_view *v = a->stack[a->depth - 1];
        int timeout = v->ops->tick && v->ops->tick_ms > 0 ? v->ops->tick_ms : 1000;
        if (a->sync_started && timeout > 30) timeout = 30; /* look for the sync's end */
        int key = tui_term_key(timeout);
        if (key == TUI_K_NONE) {
            if (v->ops->tick) react(a, v, v->ops->tick(v, a) | TUI_R_HANDLED, TUI_ACT_NONE);
        } else {
            handle_key(a, key);
        }
        if (a->depth == 0) break;
        draw_frame(a);
    }
    tui_term_stop();
    tui_app_close(a);
    return DLS_EXIT_OK;
}
