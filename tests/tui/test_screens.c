/* test_screens.c: the screens without a terminal. A temporary copy of the fixture
 * notes (tests/fixtures/tui-notes) is synced into a fresh database at a fixed time
 * (DLSTUDY_NOW, TZ=UTC); frames are rendered as text at 80x24 and 120x40 and compared
 * with tests/golden/screen-*.txt (UPDATE=1 rewrites them), and the review is checked
 * where a person would look: the card, the answer, the grade in the database and in
 * the note's frontmatter, undo, the CJK search. */
#include "tests/tui/golden.h"
#include "study/paths.h"
#include "tui/app.h"

#include <locale.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmp[256];

static int CHECK_RET(int ok) {
    CHECK(ok);
    return ok;
}

static int db_count(const char *sql) {
    char path[512];
    snprintf(path, sizeof path, "%s/db.sqlite", tmp);
    sqlite3 *db;
    int n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    return n;
}

static char *note_text(const char *rel) {
    char path[512], *s = NULL;
    size_t n;
    snprintf(path, sizeof path, "%s/notes/%s", tmp, rel);
    if (dls_read_file(path, 0, &s, &n, NULL) != DLS_OK) return xstrdup("");
    return s;
}

static char *frame(tui_app *a, int w, int h) { return tui_app_frame(a, w, h); }

/* The grade buttons' intervals come from the scheduler (and how sync imports past
 * review dates), which have tests of their own: the goldens keep the layout and mask
 * each interval to "~", after checking it looks like one ("10m", "3d", "1.4mo"). */
static void mask_intervals(char *f) {
    static const char *const names[] = {" Again ", " Hard ", " Good ", " Easy "};
    for (int i = 0; i < 4; i++) {
        char *p = strstr(f, names[i]);
        if (!p) continue;
        p += strlen(names[i]);
        while (*p == ' ') p++;
        char *q = p;
        while (*q && *q != ' ' && *q != '\n') q++;
        int len = (int)(q - p), digits = 0;
        while (digits < len && ((p[digits] >= '0' && p[digits] <= '9') || p[digits] == '.')) digits++;
        const char *unit = p + digits;
        int ulen = len - digits;
        int unit_ok = (ulen == 1 && strchr("smhdy", unit[0])) || (ulen == 2 && !strncmp(unit, "mo", 2));
        CHECK(digits > 0 && unit_ok);
        if (len > 0) {
            *p = '~';
            memmove(p + 1, q, strlen(q) + 1);
        }
    }
}

/* The same for the card's stability ("stability 4.0d"), which comes from sync's import. */
static void mask_stability(char *f) {
    char *p = strstr(f, "stability ");
    if (!p) return;
    p += strlen("stability ");
    char *q = p;
    while (*q && *q != ' ' && *q != '\n') q++;
    CHECK(q > p && q[-1] == 'd');
    *p = '~';
    memmove(p + 1, q, strlen(q) + 1);
}

static void golden_frame(tui_app *a, const char *name, int w, int h) {
    char *f = frame(a, w, h);
    mask_intervals(f);
    mask_stability(f);
    check_golden(name, f);
    free(f);
}

static void send_str(tui_app *a, const char *s) {
    size_t n = strlen(s);
    while (n) {
        uint32_t cp;
        size_t k = tui_utf8_next(s, n, &cp);
        tui_app_send(a, (int)cp);
        s += k, n -= k;
    }
}

static void test_home(cli_ctx *ctx) {
    tui_app *a = tui_app_open(ctx, TUI_SCREEN_HOME, 1);
    char *f = frame(a, 80, 24);
    CHECK(strstr(f, "2 due") != NULL);
    CHECK(strstr(f, "Mastery by category") != NULL);
    CHECK(strstr(f, "ai-ml/basics") != NULL);
    free(f);
    golden_frame(a, "screen-home-80x24.txt", 80, 24);
    golden_frame(a, "screen-home-120x40.txt", 120, 40);
    /* every screen opens from here and goes back with q */
    const int keys[] = {'n', 'm', 'l', '?'};
    for (int i = 0; i < 4; i++) {
        tui_app_send(a, keys[i]);
        f = frame(a, 80, 24);
        char *nl = strchr(f, '\n');
        if (nl) *nl = '\0'; /* the title bar names the screen */
        if (!CHECK_RET(strstr(f, "dlstudy") != NULL && strstr(f, "Dashboard") == NULL)) fprintf(stderr, "%s", f);
        free(f);
        tui_app_send(a, 'q');
        f = frame(a, 80, 24);
        CHECK(strstr(f, "Dashboard") != NULL);
        free(f);
    }
    /* tiny terminals get a message, not a crash */
    f = frame(a, 20, 5);
    CHECK(strstr(f, "too small") != NULL);
    free(f);
    CHECK(tui_app_send(a, 'q') == 0);
    tui_app_close(a);
}

static void test_review(cli_ctx *ctx) {
    tui_app *a = tui_app_open(ctx, TUI_SCREEN_REVIEW, 1);
    char *f = frame(a, 80, 24);
    CHECK(strstr(f, "ReLU") != NULL);                 /* the due card of 激活函数 comes first */
    CHECK(strstr(f, "激活函数") != NULL);
    CHECK(strstr(f, "Space or Enter shows the answer") != NULL);
    CHECK(strstr(f, "max(0, x)") == NULL);            /* the answer is hidden */
    free(f);
    golden_frame(a, "screen-review-front-80x24.txt", 80, 24);
    tui_app_send(a, '3');                              /* grading before the answer does nothing */
    CHECK(db_count("SELECT count(*) FROM review_log WHERE kind = 'review'") == 0);
    tui_app_send(a, ' ');
    f = frame(a, 80, 24);
    CHECK(strstr(f, "max(0, x)") != NULL);
    CHECK(strstr(f, "Again") && strstr(f, "Hard") && strstr(f, "Good") && strstr(f, "Easy"));
    free(f);
    golden_frame(a, "screen-review-back-80x24.txt", 80, 24);
    golden_frame(a, "screen-review-back-120x40.txt", 120, 40);
    char *before = note_text("ai-ml/basics/activation.md");
    tui_app_send(a, '3');
    CHECK(db_count("SELECT count(*) FROM review_log WHERE kind = 'review' AND rating = 3") == 1);
    char *after = note_text("ai-ml/basics/activation.md");
    CHECK(strcmp(before, after) != 0);                 /* owned keys written back */
    CHECK(strstr(after, "status: reviewing") != NULL || strstr(after, "status: learning") != NULL);
    /* the body is untouched */
    CHECK(strstr(before, "# 激活函数") && !strcmp(strstr(before, "# 激活函数"), strstr(after, "# 激活函数")));
    f = frame(a, 80, 24);
    CHECK(strstr(f, "Sigmoid") != NULL);               /* the next card */
    CHECK(strstr(f, "done 1") != NULL);
    free(f);
    tui_app_send(a, 'u');
    f = frame(a, 80, 24);
    CHECK(strstr(f, "ReLU") != NULL);
    CHECK(strstr(f, "done 0") != NULL);
    free(f);
    CHECK(db_count("SELECT count(*) FROM review_log WHERE kind = 'undo'") == 1);
    CHECK(db_count("SELECT count(*) FROM review_history WHERE kind = 'review'") == 0);
    /* l: the labs screen with the card's lab (the note says labs: [activations]) first */
    tui_app_send(a, 'l');
    f = frame(a, 100, 30);
    CHECK(strstr(f, "Labs") != NULL);
    CHECK(strstr(f, "\xe2\x86\x92 activations") != NULL);
    free(f);
    tui_app_send(a, 'q');
    f = frame(a, 80, 24);
    CHECK(strstr(f, "ReLU") != NULL);                 /* back on the same card */
    free(f);
    /* ? lists the review keys */
    tui_app_send(a, '?');
    f = frame(a, 80, 24);
    CHECK(strstr(f, "undo") != NULL && strstr(f, "skip") != NULL);
    free(f);
    tui_app_send(a, 'q');
    /* skip, then grade every card: the session ends */
    tui_app_send(a, 's');
    int saw_explicit = 0;
    for (int i = 0; i < 10; i++) {
        tui_app_send(a, ' ');
        f = frame(a, 80, 24);
        if (strstr(f, "学习率太大会怎样")) { /* the explicit card: question in front, answer rendered */
            saw_explicit = 1;
            CHECK(strstr(f, "损失震荡，甚至发散成 NaN") != NULL);
        }
        free(f);
        tui_app_send(a, '4');
    }
    CHECK(saw_explicit);
    f = frame(a, 80, 24);
    CHECK(strstr(f, "Done for now") != NULL);
    free(f);
    free(before);
    free(after);
    tui_app_close(a);
}

static void test_notes_search(cli_ctx *ctx) {
    tui_app *a = tui_app_open(ctx, TUI_SCREEN_NOTES, 1);
    char *f = frame(a, 80, 24);
    CHECK(strstr(f, "3 of 3") != NULL);
    free(f);
    tui_app_send(a, '/');
    send_str(a, "分词");
    f = frame(a, 80, 24);
    CHECK(strstr(f, "1 of 3") != NULL);
    CHECK(strstr(f, "Tokenizer basics") != NULL);
    CHECK(strstr(f, "梯度下降") == NULL);
    free(f);
    golden_frame(a, "screen-notes-search-80x24.txt", 80, 24);
    tui_app_send(a, TUI_K_BACKSPACE);
    tui_app_send(a, TUI_K_BACKSPACE);
    send_str(a, "GRAD");                              /* ASCII ignores case: the tag 梯度? no: title */
    f = frame(a, 80, 24);
    CHECK(strstr(f, "0 of 3") != NULL || strstr(f, "1 of 3") != NULL);
    free(f);
    tui_app_send(a, 27);
    tui_app_send(a, TUI_K_DOWN);
    tui_app_send(a, TUI_K_ENTER);
    f = frame(a, 120, 40);
    CHECK(strstr(f, "激活函数") != NULL);
    CHECK(strstr(f, "┌") != NULL);                     /* its table, boxed */
    free(f);
    golden_frame(a, "screen-viewer-120x40.txt", 120, 40);
    tui_app_close(a);
}

/* The mastery screen: the selected note's level week by week (the study layer's
 * mastery_history_load, as `dlstudy mastery` prints it) and its reviews. */
static void test_mastery(cli_ctx *ctx) {
    tui_app *a = tui_app_open(ctx, TUI_SCREEN_MASTERY, 1);
    char *f = frame(a, 120, 40);
    CHECK(strstr(f, "8 weeks: ") != NULL && strstr(f, " now") != NULL);
    CHECK(strstr(f, "激活函数") != NULL);
    if (getenv("DLS_SHOW")) fprintf(stderr, "%s", f);
    free(f);
    f = frame(a, 80, 24);
    CHECK(strstr(f, "8 weeks: ") != NULL);
    free(f);
    tui_app_close(a);
}

/* The labs screen cuts the selected lab's summary after three wrapped lines and says so
 * with a "…" at the end of the third, also when that line fills the width exactly. */
static void test_labs_summary(cli_ctx *ctx) {
    char dir[512], spec[600];
    snprintf(dir, sizeof dir, "%s/labs-summary", tmp);
    snprintf(spec, sizeof spec, "%s/long.yaml", dir);
    if (mkdir(dir, 0755) != 0) {
        CHECK(!"cannot make the labs folder");
        return;
    }
    FILE *f = fopen(spec, "w");
    if (!CHECK_RET(f != NULL)) return;
    /* 80 columns: the summary wraps at 76, one word per line, the third exactly 76 wide */
    char word[3][77];
    for (int i = 0; i < 3; i++) memset(word[i], 'a' + i, 76), word[i][76] = '\0';
    fprintf(f, "title: Long summary\nsummary: %s %s %s more\nconcepts: [x]\n"
               "dataset: {name: moons, samples: 100}\nmodel:\n  - flatten\n  - linear: 2\n"
               "loss: cross_entropy\noptimizer: {name: sgd, lr: 0.1}\nepochs: 1\nbatch: 10\n",
            word[0], word[1], word[2]);
    CHECK(fclose(f) == 0);
    cli_ctx c = *ctx;
    c.paths.labs_dir = dir;
    tui_app *a = tui_app_open(&c, TUI_SCREEN_LABS, 0);
    if (!CHECK_RET(a != NULL)) return;
    char *fr = frame(a, 80, 24);
    char want[128];
    snprintf(want, sizeof want, "  %.75s\xe2\x80\xa6\n", word[2]); /* 75 c's and the … */
    CHECK(strstr(fr, word[0]) != NULL);
    if (!CHECK_RET(strstr(fr, want) != NULL)) fprintf(stderr, "%s", fr);
    free(fr);
    tui_app_close(a);
}

int main(void) {
    if (!setlocale(LC_ALL, "C.UTF-8")) {
        test_skip("screens", "no C.UTF-8 locale");
        return test_done("test_screens");
    }
    setenv("TZ", "UTC", 1);
    tzset();
    setenv("DLSTUDY_NOW", "1767268800", 1); /* 2026-01-01 12:00 UTC */
    snprintf(tmp, sizeof tmp, "/tmp/dls-screens-XXXXXX");
    if (!mkdtemp(tmp)) {
        test_skip("screens", "no temp dir");
        return test_done("test_screens");
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp -R tests/fixtures/tui-notes '%s/notes'", tmp);
    if (system(cmd) != 0) {
        test_skip("screens", "cannot copy the fixture notes");
        return test_done("test_screens");
    }
    char notes[512], db[512], data[512];
    snprintf(notes, sizeof notes, "%s/notes", tmp);
    snprintf(db, sizeof db, "%s/db.sqlite", tmp);
    snprintf(data, sizeof data, "%s/data", tmp);
    setenv("DLSTUDY_LABS", "labs", 1);
    cli_ctx ctx = {.plain = 0, .color = 0};
    dls_error e = {0};
    CHECK(dls_paths_init(&ctx.paths, notes, db, data, &e) == DLS_OK);
    test_home(&ctx);
    test_review(&ctx);
    test_notes_search(&ctx);
    test_mastery(&ctx);
    test_labs_summary(&ctx);
    dls_paths_deinit(&ctx.paths);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    return test_done("test_screens");
}
