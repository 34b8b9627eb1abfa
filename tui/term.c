/* term.c: everything curses (see term.h). The one file that calls initscr/endwin.
 * File-scope state is deliberate here: signal handlers and atexit cannot be given a
 * context pointer, and there is only one terminal. */
#include "tui/term.h"

#include "tui/keys.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static SCREEN *screen;                 /* non-NULL while curses is set up */
static volatile sig_atomic_t active;   /* 1 while in full-screen mode (not endwin'ed) */
static volatile sig_atomic_t quit_flag; /* the quit signal that arrived, 0: none */
static int use_color;
static int atexit_done;
/* While curses owns the screen, stderr goes to an unlinked temporary file (a library
 * warning, an assertion message), so nothing scribbles over the frame; it is copied to
 * the real stderr when the terminal is restored, crash included. */
static int saved_stderr = -1, captured_stderr = -1;

static const int crash_signals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
static const int quit_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NSIG_OF(a) (sizeof(a) / sizeof((a)[0]))

static void capture_stderr(void) {
    char path[] = "/tmp/dlstudy-stderr-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return;
    unlink(path);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    if (saved_stderr < 0 || dup2(fd, STDERR_FILENO) < 0) {
        close(fd);
        if (saved_stderr >= 0) close(saved_stderr);
        saved_stderr = -1;
        return;
    }
    captured_stderr = fd;
}

/* Puts stderr back and replays what was written meanwhile. Async-signal-safe (dup2,
 * lseek, read, write only), for the crash handler. */
static void release_stderr(void) {
    if (saved_stderr < 0) return;
    dup2(saved_stderr, STDERR_FILENO);
    if (captured_stderr >= 0 && lseek(captured_stderr, 0, SEEK_SET) == 0) {
        char buf[4096];
        ssize_t n;
        while ((n = read(captured_stderr, buf, sizeof buf)) > 0)
            if (write(STDERR_FILENO, buf, (size_t)n) < 0) break;
        /* the next capture starts empty */
        if (ftruncate(captured_stderr, 0) != 0) {}
    }
}

static void restore_now(void) {
    if (active) {
        active = 0;
        endwin();
        release_stderr();
    }
}

/* A crash: put the terminal back, then die of the same signal (SA_RESETHAND gave the
 * default action back), so the exit status and core dump stay what they would be. */
static void on_crash(int sig) {
    restore_now();
    raise(sig);
}

/* SIGINT/SIGTERM/SIGHUP: the loop saves and leaves. SIGTERM and SIGHUP come from
 * outside (kill, a service manager, a closed terminal): once main has returned the
 * process dies of that signal (at_exit), so whoever sent it sees 143/129, not success.
 * Ctrl-C is the user's own quit key in a full-screen app, handled like q: status 0
 * (dying of SIGINT would also make a calling shell stop, the convention for programs
 * that use SIGINT themselves). A second signal while leaving ends it at once, terminal
 * restored. */
static void on_quit(int sig) {
    if (quit_flag) {
        restore_now();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    quit_flag = sig;
}

static void install_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    for (size_t i = 0; i < NSIG_OF(crash_signals); i++) sigaction(crash_signals[i], &sa, NULL);
    sa.sa_handler = on_quit;
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns, so the loop sees the flag */
    for (size_t i = 0; i < NSIG_OF(quit_signals); i++) sigaction(quit_signals[i], &sa, NULL);
}

static void reset_handlers(void) {
    for (size_t i = 0; i < NSIG_OF(crash_signals); i++) signal(crash_signals[i], SIG_DFL);
    for (size_t i = 0; i < NSIG_OF(quit_signals); i++) signal(quit_signals[i], SIG_DFL);
}

/* Runs when main returns (after the app closed its database and threads): the terminal
 * is restored, and a quit signal that ended the app is raised again with its default
 * action. stdio is flushed first, as exit() would have done after us. */
static void at_exit(void) {
    tui_term_stop();
    int sig = quit_flag;
    if (sig && sig != SIGINT) {
        fflush(NULL);
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

/* CJK notes need a UTF-8 locale for wcwidth and ncursesw. main() set the user's locale;
 * when that is not UTF-8 (LANG unset, or "C"), C.UTF-8 is tried for character types. */
static int ensure_utf8(void) {
    const char *cs = nl_langinfo(CODESET);
    if (cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"))) return 1;
    if (setlocale(LC_CTYPE, "C.UTF-8") || setlocale(LC_CTYPE, "C.utf8") ||
        setlocale(LC_CTYPE, "en_US.UTF-8"))
        return 1;
    return 0;
}

/* Colour roles: only the eight standard colours on the terminal's own background
 * (use_default_colors), none of them white, black or yellow as text, so they read on
 * dark and light themes alike. */
static const short role_fg[TUI_C_COUNT] = {
    [TUI_C_DEFAULT] = -1,           [TUI_C_ACCENT] = COLOR_MAGENTA, [TUI_C_HEADING] = COLOR_CYAN,
    [TUI_C_CODE] = COLOR_GREEN,     [TUI_C_LINK] = COLOR_BLUE,      [TUI_C_QUOTE] = COLOR_BLUE,
    [TUI_C_MUTED] = -1,             [TUI_C_GOOD] = COLOR_GREEN,     [TUI_C_WARN] = COLOR_MAGENTA,
    [TUI_C_BAD] = COLOR_RED,        [TUI_C_KEY] = COLOR_CYAN,       [TUI_C_BAR] = -1,
    [TUI_C_SELECT] = -1,            [TUI_C_HEAT1] = COLOR_GREEN,    [TUI_C_HEAT2] = COLOR_GREEN,
    [TUI_C_HEAT3] = COLOR_GREEN,    [TUI_C_HEAT4] = COLOR_GREEN,
};

/* What stands in for a colour without colours. */
static attr_t mono_attr(int role) {
    switch (role) {
    case TUI_C_ACCENT: case TUI_C_HEADING: case TUI_C_GOOD: case TUI_C_BAD: case TUI_C_WARN:
    case TUI_C_KEY: case TUI_C_HEAT4:
        return A_BOLD;
    case TUI_C_LINK: return A_UNDERLINE;
    case TUI_C_MUTED: case TUI_C_HEAT1: return A_DIM;
    case TUI_C_SELECT: return A_REVERSE;
    default: return A_NORMAL;
    }
}

int tui_term_start(int color, dls_error *e) {
    if (screen) return DLS_OK;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return dls_fail(e, DLS_ERR_UNSUPPORTED, "not a terminal (use --plain)");
    if (!ensure_utf8())
        return dls_fail(e, DLS_ERR_UNSUPPORTED, "no UTF-8 locale available (set LANG=C.UTF-8)");
    /* ESC alone must be quick to read as a key; 25 ms still joins escape sequences */
    if (!getenv("ESCDELAY")) set_escdelay(25);
    screen = newterm(NULL, stdout, stdin);
    if (!screen) return dls_fail(e, DLS_ERR_UNSUPPORTED, "cannot start the terminal (TERM=%s)",
                                 getenv("TERM") ? getenv("TERM") : "");
    set_term(screen);
    active = 1;
    quit_flag = 0;
    capture_stderr();
    if (!atexit_done) {
        atexit(at_exit);
        atexit_done = 1;
    }
    install_handlers();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    intrflush(stdscr, FALSE);
    curs_set(0);
    use_color = 0;
    if (color && has_colors() && start_color() == OK) {
        use_default_colors();
        use_color = 1;
        for (int r = 1; r < TUI_C_COUNT; r++) init_pair((short)r, role_fg[r], -1);
    }
    return DLS_OK;
}

void tui_term_stop(void) {
    if (!screen) return;
    restore_now();
    reset_handlers();
    delscreen(screen);
    screen = NULL;
    if (saved_stderr >= 0) close(saved_stderr);
    if (captured_stderr >= 0) close(captured_stderr);
    saved_stderr = captured_stderr = -1;
}

void tui_term_size(int *w, int *h) {
    int y, x;
    getmaxyx(stdscr, y, x);
    *w = x;
    *h = y;
}

static attr_t cell_attr(tui_style st, short *pair) {
    attr_t a = A_NORMAL;
    if (st.attr & TUI_A_BOLD) a |= A_BOLD;
    if (st.attr & TUI_A_UNDERLINE) a |= A_UNDERLINE;
    if (st.attr & TUI_A_DIM) a |= A_DIM;
    if (st.attr & TUI_A_REVERSE) a |= A_REVERSE;
#ifdef A_ITALIC
    if (st.attr & TUI_A_ITALIC) a |= A_ITALIC;
#endif
    *pair = 0;
    if (st.color == TUI_C_MUTED) a |= A_DIM;
    if (st.color == TUI_C_SELECT || st.color == TUI_C_BAR) a |= A_REVERSE;
    if (use_color) {
        if (st.color < TUI_C_COUNT && role_fg[st.color] >= 0) *pair = (short)st.color;
        if (st.color == TUI_C_HEAT4 || st.color == TUI_C_HEAT3) a |= A_BOLD;
    } else {
        a |= mono_attr(st.color);
    }
    return a;
}

void tui_term_draw(const tui_grid *g, int cy, int cx, int full) {
    if (!active) return;
    if (full) clearok(curscr, TRUE);
    int w, h;
    tui_term_size(&w, &h);
    for (int y = 0; y < h && y < g->h; y++) {
        for (int x = 0; x < w && x < g->w; x++) {
            const tui_cell *c = &g->cells[y * g->w + x];
            if (c->width == 0) continue;
            if (c->width == 2 && x + 1 >= w) break;
            wchar_t wc[4] = {(wchar_t)c->ch, (wchar_t)c->comb[0], (wchar_t)c->comb[1], 0};
            if (!c->comb[0]) wc[1] = 0;
            else if (!c->comb[1]) wc[2] = 0;
            short pair;
            attr_t a = cell_attr(c->st, &pair);
            cchar_t cc;
            setcchar(&cc, wc, a, pair, NULL);
            mvadd_wch(y, x, &cc); /* the bottom-right cell reports ERR but is drawn */
        }
    }
    if (cy >= 0 && cy < h && cx >= 0 && cx < w) {
        curs_set(1);
        move(cy, cx);
    } else {
        curs_set(0);
    }
    refresh();
}

static int map_key(int code) {
    switch (code) {
    case KEY_UP: return TUI_K_UP;
    case KEY_DOWN: return TUI_K_DOWN;
    case KEY_LEFT: return TUI_K_LEFT;
    case KEY_RIGHT: return TUI_K_RIGHT;
    case KEY_PPAGE: return TUI_K_PGUP;
    case KEY_NPAGE: return TUI_K_PGDN;
    case KEY_HOME: return TUI_K_HOME;
    case KEY_END: return TUI_K_END;
    case KEY_BACKSPACE: return TUI_K_BACKSPACE;
    case KEY_DC: return TUI_K_DELETE;
    case KEY_ENTER: return TUI_K_ENTER;
    case KEY_BTAB: return TUI_K_BTAB;
    case KEY_F(1): return TUI_K_F1;
    case KEY_RESIZE: return TUI_K_RESIZE;
    default: return TUI_K_NONE;
    }
}

int tui_term_key(int timeout_ms) {
    if (!active) return TUI_K_NONE;
    if (quit_flag) return TUI_K_NONE;
    timeout(timeout_ms);
    wint_t ch;
    int rc = get_wch(&ch);
    if (rc == ERR) return TUI_K_NONE;
    if (rc == KEY_CODE_YES) return map_key((int)ch);
    if (ch == '\r' || ch == '\n') return TUI_K_ENTER;
    if (ch == 127 || ch == 8) return TUI_K_BACKSPACE;
    return (int)ch;
}

int tui_term_quit_requested(void) { return quit_flag != 0; }

int tui_term_run(char *const argv[]) {
    def_prog_mode();
    restore_now();
    fflush(stdout);
    /* the editor gets Ctrl-C; dlstudy waits it out */
    struct sigaction ign, old_int, old_quit;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    int status = -1;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        execvp(argv[0], argv);
        _exit(127);
    }
    if (pid > 0) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (status == 127) status = -1;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    reset_prog_mode();
    active = 1;
    if (saved_stderr >= 0 && captured_stderr >= 0) { /* capture again, into the same file */
        fflush(stderr);
        dup2(captured_stderr, STDERR_FILENO);
        lseek(captured_stderr, 0, SEEK_SET);
    }
    clearok(curscr, TRUE);
    refresh();
    return status;
}
