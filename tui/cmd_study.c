/* cmd_study.c: the study commands in plain text (they work without a terminal and are
 * what scripts and tests drive): sync, due, mastery, note show, new, edit, sched
 * simulate, review --plain (line mode on stdin/stdout) and the dashboard as text
 * (cmd_home_plain). The logic lives in study/ (sync.h, review.h, sched.h, mastery.h);
 * this file parses arguments, opens the database and prints.
 *
 * Exit status: 0 done; 1 failed (no notes folder, database or file error, a note that
 * does not parse, bad simulate input); 2 usage error. Skipped notes during a sync are
 * reported, not failures.
 * DLSTUDY_NOW (Unix seconds) fixes the clock, for tests and replays. */
#include "tui/cli.h"

#include "study/mastery.h"
#include "study/note.h"
#include "study/review.h"
#include "study/sched.h"
#include "study/store.h"
#include "study/sync.h"
#include "tui/screens/data.h"
#include "tui/widgets/grid.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

extern const char dls_note_template[];

static char *find_note(cli_ctx *ctx, store *s, const char *arg);

/* ---- shared helpers ---- */

static int64_t now_s(void) {
    const char *v = getenv("DLSTUDY_NOW");
    if (v && *v) {
        char *end;
        long long t = strtoll(v, &end, 10);
        if (*end == '\0') return t;
    }
    return (int64_t)time(NULL);
}

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int utf8_locale(void) { return !strcmp(nl_langinfo(CODESET), "UTF-8"); }

static const char *stars(int level) { return mastery_stars(level, !utf8_locale()); }

/* Terminal columns of a UTF-8 string (CJK and emoji count 2); bytes when the locale
 * cannot tell. */
static int text_width(const char *s) {
    if (!utf8_locale()) return (int)strlen(s);
    mbstate_t st;
    memset(&st, 0, sizeof st);
    int w = 0;
    size_t n = strlen(s);
    while (n) {
        wchar_t wc;
        size_t k = mbrtowc(&wc, s, n, &st);
        if (k == (size_t)-1 || k == (size_t)-2) return w + (int)n;
        if (k == 0) break;
        int cw = wcwidth(wc);
        w += cw > 0 ? cw : 0;
        s += k, n -= k;
    }
    return w;
}

/* Prints s padded with spaces to width columns. */
static void print_pad(const char *s, int width) {
    fputs(s, stdout);
    for (int w = text_width(s); w < width; w++) putchar(' ');
}

static int wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

static int notes_dir_exists(const cli_ctx *ctx) {
    struct stat st;
    return stat(ctx->paths.notes_dir, &st) == 0 && S_ISDIR(st.st_mode);
}

static void print_sync_report(const sync_report *r, int verbose) {
    for (size_t i = 0; i < r->n_items; i++) {
        const sync_item *it = &r->items[i];
        if (!verbose && it->kind != SYNC_SKIPPED) continue;
        switch (it->kind) {
        case SYNC_MOVED: printf("moved    %s -> %s\n", it->detail ? it->detail : "?", it->path); break;
        case SYNC_SKIPPED: printf("skipped  %s\n", it->detail ? it->detail : it->path); break;
        case SYNC_WARNING: {
            /* one line per warning, each already "PATH:LINE:COL: message" */
            const char *p = it->detail ? it->detail : "";
            while (*p) {
                size_t n = strcspn(p, "\n");
                printf("warning  %.*s\n", (int)n, p);
                p += n + (p[n] == '\n');
            }
            break;
        }
        default: printf("%-8s %s\n", sync_kind_name(it->kind), it->path); break;
        }
    }
}

/* A warm sync before commands that read the database, so they never show stale notes.
 * Quiet except for problems; a missing notes folder is not an error here. */
static int quiet_sync(cli_ctx *ctx, store *s, const char *cmd) {
    if (!notes_dir_exists(ctx)) return DLS_OK;
    sync_report r;
    dls_error e = {0};
    int rc = sync_run(s, ctx->paths.notes_dir, now_s(), &r, &e);
    if (rc != DLS_OK) fprintf(stderr, "dlstudy %s: sync: %s\n", cmd, e.msg);
    else if (r.skipped)
        fprintf(stderr, "dlstudy %s: %d note%s skipped (see `dlstudy sync`)\n", cmd, r.skipped,
                r.skipped == 1 ? "" : "s");
    sync_report_deinit(&r);
    return rc;
}

static void day_label(const sched_params *p, int64_t day, char *buf, size_t n) {
    char date[11];
    sched_day_to_date(day, date);
    time_t t = (time_t)(sched_day_start(p, day) + 12 * 3600);
    struct tm tm;
    localtime_r(&t, &tm);
    static const char *wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    snprintf(buf, n, "%s %s", date, wd[tm.tm_wday]);
}

/* One count with parameters ?1 and ?2; -1 with e filled when the database fails (a
 * count that could not be read must not print as 0). */
static int count_q(store *s, const char *sql, int64_t a, int64_t b, dls_error *e) {
    sqlite3_stmt *st = store_prepare(s, sql, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    int rc = sqlite3_step(st);
    int n  = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_reset(st);
    if (n < 0) store_check(s, rc, "count", e);
    return n;
}

/* ---- sync ---- */

int cmd_sync(cli_ctx *ctx, int argc, char **argv) {
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: dlstudy [--notes DIR] [--db FILE] sync [--quiet]\n\n"
                   "Reads the notes folder into the database: new notes are added, changed ones\n"
                   "re-read, moved or renamed ones keep their progress, deleted ones are retired\n"
                   "(their history is kept). Unchanged files are recognised by size and mtime\n"
                   "without being read. Broken notes are skipped and listed with file:line:col.\n"
                   "  --quiet   print only skipped notes and the summary\n"
                   "Exit status: 0 synced (even with skipped notes), 1 failed, 2 usage.\n");
            return DLS_EXIT_OK;
        }
        if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) quiet = 1;
        else if (strcmp(argv[i], "--plain") != 0) return cli_usage_error("sync", "unknown argument '%s'", argv[i]);
    }
    if (!notes_dir_exists(ctx)) {
        fprintf(stderr, "dlstudy sync: notes folder %s not found (create it, or choose one with --notes DIR "
                        "or DLSTUDY_NOTES)\n", ctx->paths.notes_dir);
        return DLS_EXIT_FAIL;
    }
    store *s = cli_store_open(ctx, "sync");
    if (!s) return DLS_EXIT_FAIL;
    sync_report r;
    dls_error e = {0};
    double t0 = mono_s();
    int rc = sync_run(s, ctx->paths.notes_dir, now_s(), &r, &e);
    double dt = mono_s() - t0;
    if (rc != DLS_OK) {
        fprintf(stderr, "dlstudy sync: %s\n", e.msg);
        sync_report_deinit(&r);
        store_free(s);
        return DLS_EXIT_FAIL;
    }
    print_sync_report(&r, !quiet);
    int total = r.added + r.changed + r.moved + r.unchanged;
    printf("%s: %d note%s: %d added, %d changed, %d moved, %d removed, %d skipped, %d unchanged "
           "(cards +%d -%d) in %.2f s\n",
           ctx->paths.notes_dir, total, total == 1 ? "" : "s", r.added, r.changed, r.moved, r.removed,
           r.skipped, r.unchanged, r.cards_added, r.cards_removed, dt);
    sync_report_deinit(&r);
    store_free(s);
    return DLS_EXIT_OK;
}

/* ---- due ---- */

int cmd_due(cli_ctx *ctx, int argc, char **argv) {
    int days = 7, nosync = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: dlstudy due [--days N] [--no-sync]\n\n"
                   "What is due today (cards and their notes, overdue ones marked) and how many\n"
                   "cards fall due on each of the next N days (default 7). Study days start at the\n"
                   "rollover hour (setting rollover_hour, default 4 am).\n"
                   "Exit status: 0 ok, 1 failed, 2 usage.\n");
            return DLS_EXIT_OK;
        }
        if ((v = cli_opt_value(argc, argv, &i, "--days"))) {
            if (cli_int_value("due", "--days", v, 0, 365, &days)) return DLS_EXIT_USAGE;
        } else if (!strcmp(argv[i], "--no-sync")) nosync = 1;
        else if (strcmp(argv[i], "--plain") != 0) return cli_usage_error("due", "unknown argument '%s'", argv[i]);
    }
    store *s = cli_store_open(ctx, "due");
    if (!s) return DLS_EXIT_FAIL;
    if (!nosync) quiet_sync(ctx, s, "due");
    sched_params p;
    dls_error e = {0};
    if (store_sched_params(s, &p, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy due: %s\n", e.msg);
        store_free(s);
        return DLS_EXIT_FAIL;
    }
    int64_t now = now_s(), today = sched_day_of(&p, now);
    int64_t t0 = sched_day_start(&p, today), t1 = sched_day_start(&p, today + 1);
    char label[32];
    day_label(&p, today, label, sizeof label);
    int due = count_q(s, "SELECT count(*) FROM cards c JOIN notes n ON n.id = c.note_id WHERE c.gone = 0 AND "
                         "n.gone = 0 AND c.due IS NOT NULL AND c.due < ?1", t1, 0, &e);
    int overdue = count_q(s, "SELECT count(*) FROM cards c JOIN notes n ON n.id = c.note_id WHERE c.gone = 0 "
                             "AND n.gone = 0 AND c.due IS NOT NULL AND c.due < ?1", t0, 0, &e);
    int fresh = count_q(s, "SELECT count(*) FROM cards c JOIN notes n ON n.id = c.note_id WHERE c.gone = 0 AND "
                           "n.gone = 0 AND c.due IS NULL AND c.state = 0", 0, 0, &e);
    int introduced = count_q(s, "SELECT count(*) FROM review_history WHERE kind = 'review' AND state_before = 0 "
                                "AND reviewed_at >= ?1 AND reviewed_at < ?2", t0, t1, &e);
    if (due < 0 || overdue < 0 || fresh < 0 || introduced < 0) goto db_error;
    int new_today;
    if (store_new_per_day(s, &new_today, &e) != DLS_OK) goto db_error;
    new_today -= introduced;
    if (new_today > fresh) new_today = fresh;
    if (new_today < 0) new_today = 0;
    printf("Due today (%s): %d card%s (%d overdue); %d new card%s not yet studied, %d of them today\n", label,
           due, due == 1 ? "" : "s", overdue, fresh, fresh == 1 ? "" : "s", new_today);
    sqlite3_stmt *st = store_prepare(
        s, "SELECT n.path, n.title, count(*), sum(c.due < ?2) FROM cards c JOIN notes n ON n.id = c.note_id "
           "WHERE c.gone = 0 AND n.gone = 0 AND c.due IS NOT NULL AND c.due < ?1 GROUP BY n.id "
           "ORDER BY min(c.due), n.path", &e);
    if (!st) goto db_error;
    sqlite3_bind_int64(st, 1, t1);
    sqlite3_bind_int64(st, 2, t0);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int n = sqlite3_column_int(st, 2), od = sqlite3_column_int(st, 3);
        printf("  %3d  %s  %s", n, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1));
        if (od) printf("  (%d overdue)", od);
        putchar('\n');
    }
    sqlite3_reset(st);
    if (store_check(s, rc, "due notes", &e) != DLS_OK) goto db_error;
    if (days > 0) {
        printf("Next %d day%s:\n", days, days == 1 ? "" : "s");
        for (int k = 1; k <= days; k++) {
            int n = count_q(s, "SELECT count(*) FROM cards c JOIN notes n ON n.id = c.note_id WHERE c.gone = 0 "
                               "AND n.gone = 0 AND c.due >= ?1 AND c.due < ?2",
                            sched_day_start(&p, today + k), sched_day_start(&p, today + k + 1), &e);
            if (n < 0) goto db_error;
            day_label(&p, today + k, label, sizeof label);
            printf("  %s  %d\n", label, n);
        }
    }
    store_free(s);
    return DLS_EXIT_OK;
db_error:
    fflush(stdout);
    fprintf(stderr, "dlstudy due: %s\n", e.msg);
    store_free(s);
    return DLS_EXIT_FAIL;
}

/* ---- mastery ---- */

/* The levels at the history's points, oldest first, "0 1 1 2 3" ('-': no cards then),
 * padded to width. */
static void print_trend(const mastery_acc *at, int n_points, int width) {
    int w = 0;
    for (int i = 0; i < n_points; i++) {
        int l = mastery_acc_level(&at[i]);
        w += printf("%s%c", i ? " " : "", l < 0 ? '-' : '0' + l);
    }
    for (; w < width; w++) putchar(' ');
}

int cmd_mastery(cli_ctx *ctx, int argc, char **argv) {
    int nosync = 0, notes_only = 0, weeks = 4;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: dlstudy mastery [--categories] [--weeks N] [--no-sync]\n\n"
                   "Mastery 0-5 (stars) of every category and note, with its cards, how many have\n"
                   "been reviewed, how many are due today, the status that follows from it, and\n"
                   "its history: the level N weeks ago, N-1 weeks ago, ... and now (oldest first).\n"
                   "Mastery comes from each card's FSRS memory state: 0 new, 1 learning or\n"
                   "stability < 2 d, 2 < 7 d, 3 < 21 d, 4 < 90 d, 5 beyond (one less when long\n"
                   "overdue); a note's is the rounded mean of its cards, a category's of all its\n"
                   "notes' cards. Past levels come from the review log (the state each card was\n"
                   "left in by its last review before then; undone reviews do not count).\n"
                   "  --categories   categories only\n"
                   "  --weeks N      weeks of history, 0-52 (default 4)\n"
                   "Exit status: 0 ok, 1 failed, 2 usage.\n");
            return DLS_EXIT_OK;
        }
        if (!strcmp(argv[i], "--no-sync")) nosync = 1;
        else if (!strcmp(argv[i], "--categories")) notes_only = -1;
        else if ((v = cli_opt_value(argc, argv, &i, "--weeks"))) {
            if (cli_int_value("mastery", "--weeks", v, 0, MASTERY_MAX_POINTS - 1, &weeks)) return DLS_EXIT_USAGE;
        } else if (strcmp(argv[i], "--plain") != 0) return cli_usage_error("mastery", "unknown argument '%s'", argv[i]);
    }
    store *s = cli_store_open(ctx, "mastery");
    if (!s) return DLS_EXIT_FAIL;
    if (!nosync) quiet_sync(ctx, s, "mastery");
    sched_params p;
    dls_error e = {0};
    mastery_history h;
    if (store_sched_params(s, &p, &e) != DLS_OK || mastery_history_load(s, &p, now_s(), weeks, &h, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy mastery: %s\n", e.msg);
        store_free(s);
        return DLS_EXIT_FAIL;
    }
    int np = h.n_points, last = np - 1;
    if (h.n_notes == 0) {
        printf("No notes in the database yet (notes folder: %s). Run `dlstudy sync`.\n", ctx->paths.notes_dir);
    } else {
        char hist_head[32];
        snprintf(hist_head, sizeof hist_head, weeks ? "-%dw..now" : "now", weeks);
        int hw = 2 * np - 1 > (int)strlen(hist_head) ? 2 * np - 1 : (int)strlen(hist_head);
        printf("%-7s %5s %9s %4s %-10s %-*s %s\n", "MASTERY", "CARDS", "REVIEWED", "DUE", "STATUS", hw, hist_head,
               notes_only < 0 ? "CATEGORY" : "CATEGORY / NOTE");
        mastery_acc *cat = xcalloc((size_t)np, sizeof *cat), *all = xcalloc((size_t)np, sizeof *all);
        for (size_t i = 0; i < h.n_notes;) {
            /* a category: every note's cards pooled, at each point of the history */
            size_t j = i;
            int due = 0;
            memset(cat, 0, (size_t)np * sizeof *cat);
            for (; j < h.n_notes && !strcmp(h.notes[j].category, h.notes[i].category); j++) {
                due += h.notes[j].due;
                for (int k = 0; k < np; k++) mastery_acc_merge(&cat[k], &h.notes[j].at[k]);
            }
            for (int k = 0; k < np; k++) mastery_acc_merge(&all[k], &cat[k]);
            int lvl = mastery_acc_level(&cat[last]);
            print_pad(stars(lvl), 7);
            printf(" %5d %9d %4d %-10s ", cat[last].n, cat[last].reviewed, due,
                   mastery_status(lvl, cat[last].reviewed));
            print_trend(cat, np, hw);
            printf(" %s (%zu note%s)\n", *h.notes[i].category ? h.notes[i].category : "(no category)", j - i,
                   j - i == 1 ? "" : "s");
            for (size_t k = i; notes_only >= 0 && k < j; k++) {
                const mastery_note *m = &h.notes[k];
                int ml = mastery_acc_level(&m->at[last]);
                print_pad(stars(ml), 7);
                printf(" %5d %9d %4d %-10s ", m->at[last].n, m->at[last].reviewed, m->due,
                       mastery_status(ml, m->at[last].reviewed));
                print_trend(m->at, np, hw);
                printf("   %s  %s\n", m->title, m->path);
            }
            i = j;
        }
        int lvl = mastery_acc_level(&all[last]);
        print_pad(stars(lvl), 7);
        printf(" %5d %9d %4s %-10s ", all[last].n, all[last].reviewed, "", mastery_status(lvl, all[last].reviewed));
        print_trend(all, np, hw);
        printf(" all notes (%zu)\n", h.n_notes);
        free(cat), free(all);
    }
    mastery_history_deinit(&h);
    store_free(s);
    return DLS_EXIT_OK;
}

/* ---- note show ---- */

/* A JSON string. What may not reach a terminal raw (tui_safe_cp: controls, DEL, C1,
 * bidi controls, LRM/RLM/ALM, the BOM, the line separators) is written as a \\u escape,
 * lossless and inert, before the output filter (safe_out.c) would have to drop or
 * replace it; bytes that are not UTF-8 as \\ufffd, so the output stays valid JSON. */
static void json_str(const char *s) {
    putchar('"');
    if (!s) s = "";
    size_t n = strlen(s);
    while (n) {
        uint32_t cp;
        size_t   k = tui_utf8_next(s, n, &cp);
        switch (cp) {
        case '"': fputs("\\\"", stdout); break;
        case '\\': fputs("\\\\", stdout); break;
        case '\n': fputs("\\n", stdout); break;
        case '\r': fputs("\\r", stdout); break;
        case '\t': fputs("\\t", stdout); break;
        default:
            if (cp == 0xFFFD && !(k == 3 && !memcmp(s, "\xef\xbf\xbd", 3))) printf("\\ufffd");
            else if (tui_safe_cp(cp) != cp) printf("\\u%04x", (unsigned)cp);
            else fwrite(s, 1, k, stdout);
        }
        s += k, n -= k;
    }
    putchar('"');
}

static void json_list(char **items, size_t n) {
    putchar('[');
    for (size_t i = 0; i < n; i++) {
        if (i) fputs(", ", stdout);
        json_str(items[i]);
    }
    putchar(']');
}

/* FILE as given, else relative to the notes folder. Returns a path to open (free it). */
static char *resolve_note(cli_ctx *ctx, const char *arg) {
    struct stat st;
    if (stat(arg, &st) == 0) return xstrdup(arg);
    char *p = xasprintf("%s/%s", ctx->paths.notes_dir, arg);
    if (stat(p, &st) == 0) return p;
    free(p);
    return NULL;
}

/* The notes folder when file lies inside it (so paths print relative), else NULL. */
static const char *root_for(cli_ctx *ctx, const char *file) {
    char *rf = realpath(file, NULL), *rr = realpath(ctx->paths.notes_dir, NULL);
    int in = rf && rr && !strncmp(rf, rr, strlen(rr)) && rf[strlen(rr)] == '/';
    free(rf), free(rr);
    return in ? ctx->paths.notes_dir : NULL;
}

static void show_json(const note *n) {
    printf("{\n  \"path\": ");
    json_str(n->path);
    printf(",\n  \"key\": ");
    json_str(n->key);
    printf(",\n  \"title\": ");
    json_str(n->title);
    printf(",\n  \"category\": ");
    if (n->category) json_str(n->category);
    else fputs("null", stdout);
    printf(",\n  \"tags\": ");
    json_list(n->tags, n->n_tags);
    printf(",\n  \"created\": ");
    if (*n->created) json_str(n->created);
    else fputs("null", stdout);
    printf(",\n  \"updated\": ");
    if (*n->updated) json_str(n->updated);
    else fputs("null", stdout);
    printf(",\n  \"mastery\": ");
    if (n->mastery >= 0) printf("%d", n->mastery);
    else fputs("null", stdout);
    printf(",\n  \"difficulty\": ");
    if (n->difficulty > 0) printf("%d", n->difficulty);
    else fputs("null", stdout);
    printf(",\n  \"status\": ");
    if (n->status != NOTE_STATUS_NONE) json_str(note_status_str(n->status));
    else fputs("null", stdout);
    printf(",\n  \"review_dates\": [");
    for (size_t i = 0; i < n->n_review_dates; i++) {
        if (i) fputs(", ", stdout);
        json_str(n->review_dates[i]);
    }
    printf("],\n  \"related\": ");
    json_list(n->related, n->n_related);
    printf(",\n  \"labs\": ");
    json_list(n->labs, n->n_labs);
    printf(",\n  \"keys\": [");
    for (size_t i = 0; i < n->n_keys; i++) {
        if (i) fputs(", ", stdout);
        printf("{\"name\": ");
        json_str(n->keys[i].name);
        printf(", \"line\": %d, \"known\": %s}", n->keys[i].line, n->keys[i].known ? "true" : "false");
    }
    static const char *eols[] = {"none", "lf", "crlf", "mixed"};
    printf("],\n  \"encoding\": {\"bom\": %s, \"eol\": \"%s\", \"double_encoded\": %s},\n",
           n->has_bom ? "true" : "false", eols[n->eol], n->double_encoded ? "true" : "false");
    printf("  \"concepts\": [");
    for (size_t i = 0; i < n->n_concepts; i++) {
        const note_concept *k = &n->concepts[i];
        printf("%s\n    {\"id\": \"%s\", \"level\": %d, \"line\": %d, \"heading\": ", i ? "," : "", k->id,
               k->level, k->line);
        json_str(k->heading);
        printf(", \"path\": ");
        json_str(k->path);
        putchar('}');
    }
    printf("%s],\n  \"cards\": [", n->n_concepts ? "\n  " : "");
    for (size_t i = 0; i < n->n_cards; i++) {
        const note_card *c = &n->cards[i];
        printf("%s\n    {\"id\": \"%s\", \"line\": %d, \"question\": ", i ? "," : "", c->id, c->line);
        json_str(c->question);
        printf(", \"answer\": ");
        json_str(c->answer);
        putchar('}');
    }
    printf("%s],\n  \"warnings\": [", n->n_cards ? "\n  " : "");
    for (size_t i = 0; i < n->n_warnings; i++) {
        if (i) fputs(", ", stdout);
        printf("{\"line\": %d, \"column\": %d, \"message\": ", n->warnings[i].line, n->warnings[i].column);
        json_str(n->warnings[i].message);
        putchar('}');
    }
    printf("]\n}\n");
}

static void show_text(const note *n) {
    printf("path:         %s\n", n->path);
    printf("key:          %s\n", n->key);
    printf("title:        %s\n", n->title);
    printf("category:     %s\n", n->category ? n->category : "");
    printf("tags:         ");
    for (size_t i = 0; i < n->n_tags; i++) printf("%s%s", i ? ", " : "", n->tags[i]);
    printf("\ncreated:      %s\nupdated:      %s\n", n->created, n->updated);
    if (n->mastery >= 0) printf("mastery:      %d %s\n", n->mastery, stars(n->mastery));
    else printf("mastery:\n");
    if (n->difficulty > 0) printf("difficulty:   %d\n", n->difficulty);
    else printf("difficulty:\n");
    printf("status:       %s\n", note_status_str(n->status));
    printf("review_dates: ");
    for (size_t i = 0; i < n->n_review_dates; i++) printf("%s%s", i ? ", " : "", n->review_dates[i]);
    printf("\nrelated:      ");
    for (size_t i = 0; i < n->n_related; i++) printf("%s%s", i ? ", " : "", n->related[i]);
    printf("\nlabs:         ");
    for (size_t i = 0; i < n->n_labs; i++) printf("%s%s", i ? ", " : "", n->labs[i]);
    printf("\nother keys:   ");
    int first = 1;
    for (size_t i = 0; i < n->n_keys; i++)
        if (!n->keys[i].known) printf("%s%s", first ? "" : ", ", n->keys[i].name), first = 0;
    printf("\nencoding:     UTF-8%s%s%s\n", n->has_bom ? " with BOM" : "",
           n->eol == NOTE_EOL_CRLF ? ", CRLF" : n->eol == NOTE_EOL_MIXED ? ", mixed line endings" : "",
           n->double_encoded ? ", double-encoded (read repaired)" : "");
    printf("concepts:     %zu\n", n->n_concepts);
    for (size_t i = 0; i < n->n_concepts; i++)
        printf("  %s  line %-4d %s\n", n->concepts[i].id, n->concepts[i].line, n->concepts[i].path);
    printf("cards:        %zu\n", n->n_cards);
    for (size_t i = 0; i < n->n_cards; i++)
        printf("  %s  line %-4d %s :: %s\n", n->cards[i].id, n->cards[i].line, n->cards[i].question,
               n->cards[i].answer);
    printf("warnings:     %zu\n", n->n_warnings);
    if (n->n_warnings) {
        char *w = note_warnings_text(n);
        const char *p = w;
        while (*p) {
            size_t k = strcspn(p, "\n");
            printf("  %.*s\n", (int)k, p);
            p += k + (p[k] == '\n');
        }
        free(w);
    }
}

/* `note repair FILE`: undoes a double encoding (UTF-8 read once as Windows-1252), in
 * place and atomically; the bytes that round trip lost become U+FFFD, and say so. */
static int note_repair(cli_ctx *ctx, note *n) {
    if (!n->double_encoded) {
        printf("%s: not double-encoded; nothing to repair\n", n->path);
        return DLS_EXIT_OK;
    }
    /* The repair cannot bring back bytes the round trip lost, so the file as it was is
     * kept beside it first (not a .md file, so sync never reads it). */
    char *keep = xasprintf("%s.double-encoded", n->file);
    FILE *f    = fopen(keep, "wbx");
    int   ok   = f && fwrite(n->raw, 1, n->raw_len, f) == n->raw_len;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok) {
        fprintf(stderr, "dlstudy note: %s: cannot keep the original there (%s); nothing repaired\n", keep,
                errno == EEXIST ? "it exists already" : strerror(errno));
        if (f) unlink(keep);
        free(keep);
        return DLS_EXIT_FAIL;
    }
    size_t    lost = 0;
    dls_error e    = {0};
    if (note_repair_file(n, &lost, NULL, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy note: %s\n", e.msg);
        unlink(keep);
        free(keep);
        return DLS_EXIT_FAIL;
    }
    printf("%s: repaired (UTF-8 that had been read as Windows-1252); the original is kept as %s\n", n->path, keep);
    if (lost) printf("%zu character(s) had lost a byte and now show as \xEF\xBF\xBD: look for them\n", lost);
    printf("Run `dlstudy sync` to read it again.\n");
    free(keep);
    (void)ctx;
    return DLS_EXIT_OK;
}

int cmd_note(cli_ctx *ctx, int argc, char **argv) {
    if (wants_help(argc, argv) || argc < 2) {
        FILE *f = argc < 2 && !wants_help(argc, argv) ? stderr : stdout;
        fprintf(f, "usage: dlstudy note show FILE [--json]\n"
                   "       dlstudy note repair FILE\n\n"
                   "show: what dlstudy reads from one note: every frontmatter field (unknown keys are\n"
                   "listed and kept), the encoding, the concepts (## and ### headings) and explicit\n"
                   "cards (Question :: Answer) with their stable ids, the labs, and the warnings.\n"
                   "Changes nothing.\n"
                   "repair: rewrites a double-encoded note (UTF-8 read once as Windows-1252) as the\n"
                   "UTF-8 it was, atomically; characters that lost a byte become U+FFFD.\n"
                   "FILE is a path, or a path inside the notes folder.\n"
                   "Exit status: 0 done, 1 the note does not parse or cannot be read or written, 2 usage.\n");
        return f == stdout ? DLS_EXIT_OK : DLS_EXIT_USAGE;
    }
    int repair = !strcmp(argv[1], "repair");
    if (!repair && strcmp(argv[1], "show") != 0)
        return cli_usage_error("note", "unknown subcommand '%s' (try: note show FILE, note repair FILE)", argv[1]);
    const char *file = NULL;
    int json = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json") && !repair) json = 1;
        else if (!strcmp(argv[i], "--plain")) continue;
        else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("note", "unknown option '%s'", argv[i]);
        else if (file) return cli_usage_error("note", "one FILE only");
        else file = argv[i];
    }
    if (!file) return cli_usage_error("note", "note %s wants a FILE", argv[1]);
    char *path = resolve_note(ctx, file);
    if (!path) {
        fprintf(stderr, "dlstudy note: %s: no such file (nor in %s)\n", file, ctx->paths.notes_dir);
        return DLS_EXIT_FAIL;
    }
    note *n = NULL;
    dls_error e = {0};
    int rc = note_load(path, root_for(ctx, path), &n, &e);
    free(path);
    if (rc != DLS_OK) {
        fprintf(stderr, "dlstudy note: %s\n", e.msg);
        return DLS_EXIT_FAIL;
    }
    if (repair) rc = note_repair(ctx, n);
    else if (json) show_json(n);
    else show_text(n);
    note_free(n);
    return repair ? rc : DLS_EXIT_OK;
}

/* ---- new ---- */

/* The file name for a title: ASCII letters and digits lowercased, other ASCII runs
 * become '-', non-ASCII (CJK) kept; "note" when nothing is left. */
static char *slug(const char *title) {
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "");
    int dash = 0;
    for (const unsigned char *p = (const unsigned char *)title; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p >= 0x80) {
            if (dash && b.len) dls_buf_puts(&b, "-");
            dash = 0;
            char c = (char)*p;
            dls_buf_append(&b, &c, 1);
        } else if (*p >= 'A' && *p <= 'Z') {
            if (dash && b.len) dls_buf_puts(&b, "-");
            dash = 0;
            char c = (char)(*p - 'A' + 'a');
            dls_buf_append(&b, &c, 1);
        } else {
            dash = 1;
        }
    }
    char *s = dls_buf_take(&b);
    if (!*s) {
        free(s);
        s = xstrdup("note");
    }
    return s;
}

/* A YAML scalar for s: plain when safe, else double-quoted. */
static char *yaml_scalar(const char *s) {
    int plain = *s && !strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) && s[strlen(s) - 1] != ' ';
    for (const char *p = s; plain && *p; p++)
        if (strchr(":#[]{},\"'\\", *p) || (unsigned char)*p < 0x20) plain = 0;
    if (plain) return xstrdup(s);
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\') dls_buf_append(&b, "\\", 1);
        if ((unsigned char)*p < 0x20) continue;
        dls_buf_append(&b, p, 1);
    }
    dls_buf_puts(&b, "\"");
    return dls_buf_take(&b);
}

/* The template with {{title}}, {{category}}, {{date}}, {{tags}} filled in: YAML-safe
 * in the frontmatter, as written in the body. */
static char *fill_template(const char *tpl, const char *title, const char *category, const char *date,
                           const char *tags) {
    const char *fm_end = NULL;
    if (!strncmp(tpl, "---", 3)) {
        const char *p = strstr(tpl + 3, "\n---");
        fm_end = p ? p + 1 : NULL;
    }
    char *ytitle = yaml_scalar(title), *ycat = yaml_scalar(category);
    dls_buf b;
    dls_buf_init(&b);
    dls_buf_puts(&b, "");
    for (const char *p = tpl; *p;) {
        int in_fm = fm_end && p < fm_end;
        const char *v = NULL;
        size_t k = 0;
        if (!strncmp(p, "{{title}}", 9)) v = in_fm ? ytitle : title, k = 9;
        else if (!strncmp(p, "{{category}}", 12)) v = in_fm ? (*category ? ycat : "") : category, k = 12;
        else if (!strncmp(p, "{{date}}", 8)) v = date, k = 8;
        else if (!strncmp(p, "{{tags}}", 8)) v = tags, k = 8;
        if (v) {
            dls_buf_puts(&b, v);
            p += k;
        } else {
            dls_buf_append(&b, p, 1);
            p++;
        }
    }
    free(ytitle), free(ycat);
    return dls_buf_take(&b);
}

int cmd_new(cli_ctx *ctx, int argc, char **argv) {
    const char *title = NULL, *category = "", *tags = "";
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: dlstudy new \"Title\" [--category C] [--tags a,b]\n\n"
                   "Creates a note from the standard template (notes/.template.md) in the notes\n"
                   "folder, under the category's folder (C like ai-ml/basics), named after the\n"
                   "title; never overwrites an existing file. Prints the new file's path and adds\n"
                   "it to the database.\n"
                   "Exit status: 0 created, 1 failed (it exists, or cannot be written), 2 usage.\n");
            return DLS_EXIT_OK;
        }
        if ((v = cli_opt_value(argc, argv, &i, "--category"))) category = v;
        else if ((v = cli_opt_value(argc, argv, &i, "--tags"))) tags = v;
        else if (!strcmp(argv[i], "--plain")) continue;
        else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("new", "unknown option '%s'", argv[i]);
        else if (title) return cli_usage_error("new", "one title only (quote it: dlstudy new \"My title\")");
        else title = argv[i];
    }
    if (!title || !*title) return cli_usage_error("new", "a title is needed: dlstudy new \"Title\"");
    for (const char *p = title; *p; p++)
        if ((unsigned char)*p < 0x20) return cli_usage_error("new", "the title has a control character");
    if (category[0] == '/' || strstr(category, "..") || strchr(category, '\\'))
        return cli_usage_error("new", "category '%s' must be a relative folder like ai-ml/basics", category);
    char *cat = xstrdup(category);
    size_t cl = strlen(cat);
    while (cl && cat[cl - 1] == '/') cat[--cl] = '\0';

    char *dir = *cat ? xasprintf("%s/%s", ctx->paths.notes_dir, cat) : xstrdup(ctx->paths.notes_dir);
    dls_error e = {0};
    int rc = DLS_EXIT_FAIL;
    char *name = slug(title), *file = xasprintf("%s/%s.md", dir, name), *text = NULL;
    if (dls_mkdir_p(dir, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy new: %s\n", e.msg);
        goto done;
    }
    int64_t now = now_s();
    time_t tt = (time_t)now;
    struct tm tm;
    localtime_r(&tt, &tm);
    char date[16];
    strftime(date, sizeof date, "%Y-%m-%d", &tm);
    text = fill_template(dls_note_template, title, cat, date, tags);
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        if (errno == EEXIST) fprintf(stderr, "dlstudy new: %s already exists; not overwritten\n", file);
        else fprintf(stderr, "dlstudy new: %s: %s\n", file, strerror(errno));
        goto done;
    }
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    if (off < len || fsync(fd) != 0 || close(fd) != 0) {
        fprintf(stderr, "dlstudy new: %s: cannot write: %s\n", file, strerror(errno));
        unlink(file);
        goto done;
    }
    printf("%s\n", file);
    rc = DLS_EXIT_OK;
    store *s = cli_store_open(ctx, "new");
    if (s) {
        sync_report r;
        if (sync_file(s, ctx->paths.notes_dir, file, now, &r, &e) != DLS_OK)
            fprintf(stderr, "dlstudy new: sync: %s\n", e.msg);
        else
            print_sync_report(&r, 0);
        sync_report_deinit(&r);
        store_free(s);
    }
done:
    free(cat), free(dir), free(name), free(file), free(text);
    return rc;
}

/* ---- edit ---- */

/* A note by path, or by title in the database (exact, else the one title containing it). */
static char *find_note(cli_ctx *ctx, store *s, const char *arg) {
    char *p = resolve_note(ctx, arg);
    if (p) return p;
    if (!s) return NULL;
    sqlite3_stmt *st = store_prepare(s, "SELECT path FROM notes WHERE gone = 0 AND (title = ?1 OR "
                                        "instr(lower(title), lower(?1)) > 0) ORDER BY title = ?1 DESC, path LIMIT 2", NULL);
    if (!st) return NULL;
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    char *found = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        found = xasprintf("%s/%s", ctx->paths.notes_dir, (const char *)sqlite3_column_text(st, 0));
        if (sqlite3_step(st) == SQLITE_ROW) {
            /* two candidates: only an exact title match decides */
            sqlite3_reset(st);
            sqlite3_stmt *ex = store_prepare(s, "SELECT path FROM notes WHERE gone = 0 AND title = ?1 LIMIT 2", NULL);
            free(found);
            found = NULL;
            if (ex) {
                sqlite3_bind_text(ex, 1, arg, -1, SQLITE_STATIC);
                if (sqlite3_step(ex) == SQLITE_ROW) {
                    char *one = xasprintf("%s/%s", ctx->paths.notes_dir, (const char *)sqlite3_column_text(ex, 0));
                    if (sqlite3_step(ex) != SQLITE_ROW) found = one;
                    else free(one);
                }
                sqlite3_reset(ex);
            }
        }
    }
    sqlite3_reset(st);
    return found;
}

int cmd_edit(cli_ctx *ctx, int argc, char **argv) {
    const char *arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: dlstudy edit NOTE\n\n"
                   "Opens the note in $EDITOR (or vi) and re-reads it into the database when the\n"
                   "editor exits. NOTE is a path, a path inside the notes folder, or (part of) a\n"
                   "note's title.\n"
                   "Exit status: 0 edited and synced, 1 not found / editor failed / the note no\n"
                   "longer parses (it is reported and kept as it was in the database), 2 usage.\n");
            return DLS_EXIT_OK;
        }
        if (!strcmp(argv[i], "--plain")) continue;
        if (arg) return cli_usage_error("edit", "one NOTE only");
        arg = argv[i];
    }
    if (!arg) return cli_usage_error("edit", "which note? dlstudy edit NOTE");
    store *s = cli_store_open(ctx, "edit");
    char *file = find_note(ctx, s, arg);
    if (!file) {
        fprintf(stderr, "dlstudy edit: no single note matches '%s' (a path, a path in %s, or enough of a title)\n",
                arg, ctx->paths.notes_dir);
        store_free(s);
        return DLS_EXIT_FAIL;
    }
    const char *editor = getenv("VISUAL");
    if (!editor || !*editor) editor = getenv("EDITOR");
    if (!editor || !*editor) editor = "vi";
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* through the shell, so EDITOR may carry arguments ("code -w") */
        char *cmd = xasprintf("%s \"$1\"", editor);
        execl("/bin/sh", "sh", "-c", cmd, "sh", file, (char *)NULL);
        _exit(127);
    }
    int status = 0, rc = DLS_EXIT_OK;
    if (pid < 0) {
        fprintf(stderr, "dlstudy edit: cannot start the editor: %s\n", strerror(errno));
        rc = DLS_EXIT_FAIL;
    } else {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "dlstudy edit: the editor exited with status %d\n",
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            rc = DLS_EXIT_FAIL;
        }
    }
    if (s && notes_dir_exists(ctx)) {
        sync_report r;
        dls_error e = {0};
        if (sync_file(s, ctx->paths.notes_dir, file, now_s(), &r, &e) != DLS_OK) {
            fprintf(stderr, "dlstudy edit: %s\n", e.msg);
            rc = DLS_EXIT_FAIL;
        } else {
            print_sync_report(&r, 1);
            if (r.skipped) rc = DLS_EXIT_FAIL;
        }
        sync_report_deinit(&r);
    }
    free(file);
    store_free(s);
    return rc;
}

/* ---- sched simulate ---- */

/* "2026-01-01T10:00:00Z", "...+01:00", "2026-01-01 10:00", "2026-01-01" (midnight UTC).
 * Fractional seconds are ignored. 0 on success. */
static int parse_iso(const char *s, int64_t *out, const char **end) {
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return -1;
    char date[11];
    memcpy(date, s, 10);
    date[10] = '\0';
    int64_t day;
    if (sched_date_to_day(date, &day) != DLS_OK) return -1;
    const char *p = s + 10;
    if (*p == 'T' || (*p == ' ' && p[1] >= '0' && p[1] <= '9' && p[3] == ':')) {
        p++;
        int k = 0;
        if (sscanf(p, "%2d:%2d%n", &h, &mi, &k) != 2 || k != 5) return -1;
        p += k;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &sec, &k) != 1 || k != 2) return -1;
            p += 3;
            if (*p == '.' || *p == ',')
                for (p++; *p >= '0' && *p <= '9'; p++) {}
        }
        if (h > 23 || mi > 59 || sec > 60) return -1;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') p++;
    else if ((*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '9') {
        int oh = 0, om = 0, k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5) return -1;
        off = (oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
        p += 6;
    }
    *out = day * 86400 + h * 3600 + mi * 60 + sec - off;
    *end = p;
    return 0;
}

static void iso_utc(int64_t t, char *buf, size_t n) {
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *const setting_keys[] = {
    "desired_retention", "learning_steps", "relearning_steps", "rollover_hour", "maximum_interval", "fuzz",
    "new_per_day",
};

/* `sched settings` lists the scheduler settings; `sched set KEY VALUE` changes one,
 * refusing a value the scheduler would not accept. */
static int sched_settings(cli_ctx *ctx, int argc, char **argv) {
    int set = !strcmp(argv[1], "set");
    const char *key = NULL, *value = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--plain")) continue;
        if (!set) return cli_usage_error("sched", "sched settings takes no arguments");
        if (!key) key = argv[i];
        else if (!value) value = argv[i];
        else return cli_usage_error("sched", "sched set KEY VALUE");
    }
    size_t nk = sizeof setting_keys / sizeof setting_keys[0], k = 0;
    if (set) {
        if (!key || !value) return cli_usage_error("sched", "sched set KEY VALUE");
        while (k < nk && strcmp(setting_keys[k], key) != 0) k++;
        if (k == nk) return cli_usage_error("sched", "unknown setting '%s' (see dlstudy sched settings)", key);
        char *end;
        if ((!strcmp(key, "new_per_day") || !strcmp(key, "rollover_hour") || !strcmp(key, "maximum_interval")) &&
            (strtol(value, &end, 10) < 0 || *end || end == value))
            return cli_usage_error("sched", "%s wants a whole number", key);
        if (!strcmp(key, "fuzz") && strcmp(value, "on") && strcmp(value, "off"))
            return cli_usage_error("sched", "fuzz wants on or off");
    }
    store *s = cli_store_open(ctx, "sched");
    if (!s) return DLS_EXIT_FAIL;
    dls_error e = {0};
    sched_params p;
    int rc = DLS_EXIT_OK;
    if (set) {
        char *old = NULL;
        if (store_setting_get(s, key, &old, &e) != DLS_OK || store_setting_set(s, key, value, &e) != DLS_OK) {
            fprintf(stderr, "dlstudy sched: %s\n", e.msg);
            rc = DLS_EXIT_FAIL;
        } else if (store_sched_params(s, &p, &e) != DLS_OK) {
            /* not acceptable: put the old value back, and say so if that fails too */
            rc = cli_usage_error("sched", "%s", e.msg);
            dls_error re = {0};
            if (old && store_setting_set(s, key, old, &re) != DLS_OK) {
                fprintf(stderr, "dlstudy sched: could not restore %s to %s: %s\n", key, old, re.msg);
                rc = DLS_EXIT_FAIL;
            }
        }
        free(old);
    }
    for (k = 0; rc == DLS_EXIT_OK && k < nk; k++) {
        char *v;
        if (store_setting_get(s, setting_keys[k], &v, &e) != DLS_OK) {
            fprintf(stderr, "dlstudy sched: %s\n", e.msg);
            rc = DLS_EXIT_FAIL;
            break;
        }
        printf("%-18s %s\n", setting_keys[k], v ? v : "");
        free(v);
    }
    store_free(s);
    return rc;
}

int cmd_sched(cli_ctx *ctx, int argc, char **argv) {
    if (wants_help(argc, argv) || argc < 2) {
        FILE *f = argc < 2 && !wants_help(argc, argv) ? stderr : stdout;
        fprintf(f, "usage: dlstudy sched simulate [--retention R] [--learning-steps LIST]\n"
                   "                              [--relearning-steps LIST] [--fuzz on|off]\n"
                   "                              [--maximum-interval DAYS]\n"
                   "       dlstudy sched settings\n"
                   "       dlstudy sched set KEY VALUE\n\n"
                   "settings lists the scheduler settings in the database (desired_retention 0.70-0.97,\n"
                   "learning_steps and relearning_steps like 1m,10m or empty, rollover_hour 0-23,\n"
                   "maximum_interval in days, fuzz on|off, new_per_day); set changes one.\n\n"
                   "Replays one card's reviews through the FSRS-6 scheduler (default parameters).\n"
                   "Reads lines `<UTC ISO-8601 time> <rating 1-4>` on stdin (blank lines and # comments\n"
                   "are skipped) and prints one tab-separated line per review: review time, rating,\n"
                   "stability, difficulty, retrievability (- on the first review), due time (UTC),\n"
                   "scheduled days (0 for a learning step). Elapsed days are floor(seconds / 86400),\n"
                   "like the reference implementations.\n"
                   "  --retention R           desired retention, 0.70-0.97 (default 0.9)\n"
                   "  --learning-steps LIST   e.g. 1m,10m (default); empty for none\n"
                   "  --relearning-steps LIST e.g. 10m (default); empty for none\n"
                   "  --fuzz on|off           interval fuzz, seeded per review (default off here)\n"
                   "  --maximum-interval N    days (default 36500)\n"
                   "Exit status: 0 ok, 1 bad input line, 2 usage.\n");
        return f == stdout ? DLS_EXIT_OK : DLS_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "settings") || !strcmp(argv[1], "set")) return sched_settings(ctx, argc, argv);
    if (strcmp(argv[1], "simulate") != 0)
        return cli_usage_error("sched", "unknown subcommand '%s' (try: sched simulate, sched settings)", argv[1]);
    sched_params p;
    sched_params_default(&p);
    p.fuzz = 0;
    dls_error e = {0};
    for (int i = 2; i < argc; i++) {
        const char *v;
        if ((v = cli_opt_value(argc, argv, &i, "--retention"))) {
            char *end;
            p.retention = strtod(v, &end);
            if (*end || end == v) return cli_usage_error("sched", "--retention wants a number, not '%s'", v);
        } else if ((v = cli_opt_value(argc, argv, &i, "--learning-steps"))) {
            if (sched_steps_parse(v, p.learn, &p.n_learn, &e) != DLS_OK)
                return cli_usage_error("sched", "--learning-steps: %s", e.msg);
        } else if ((v = cli_opt_value(argc, argv, &i, "--relearning-steps"))) {
            if (sched_steps_parse(v, p.relearn, &p.n_relearn, &e) != DLS_OK)
                return cli_usage_error("sched", "--relearning-steps: %s", e.msg);
        } else if ((v = cli_opt_value(argc, argv, &i, "--fuzz"))) {
            if (!strcmp(v, "on")) p.fuzz = 1;
            else if (!strcmp(v, "off")) p.fuzz = 0;
            else return cli_usage_error("sched", "--fuzz wants on or off, not '%s'", v);
        } else if ((v = cli_opt_value(argc, argv, &i, "--maximum-interval"))) {
            if (cli_int_value("sched", "--maximum-interval", v, 1, 36500, &p.max_interval)) return DLS_EXIT_USAGE;
        } else if (!strcmp(argv[i], "--plain")) {
            continue;
        } else {
            return cli_usage_error("sched", "unknown argument '%s'", argv[i]);
        }
    }
    if (sched_params_check(&p, &e) != DLS_OK) return cli_usage_error("sched", "%s", e.msg);

    sched_card c = {0};
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = DLS_EXIT_OK;
    int64_t prev = INT64_MIN;
    while (getline(&line, &cap, stdin) > 0) {
        lineno++;
        const char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (*s == '\0' || *s == '\n' || *s == '\r' || *s == '#') continue;
        int64_t t;
        const char *end;
        if (parse_iso(s, &t, &end) != 0) {
            fprintf(stderr, "dlstudy sched: stdin:%d:1: not a UTC ISO-8601 time: %.*s\n", lineno,
                    (int)strcspn(s, " \t\r\n"), s);
            rc = DLS_EXIT_FAIL;
            break;
        }
        while (*end == ' ' || *end == '\t') end++;
        int g = (end[0] >= '1' && end[0] <= '4' && (end[1] == '\0' || strchr(" \t\r\n", end[1])))
                    ? end[0] - '0' : sched_rating_parse(end);
        if (g == 0) {
            fprintf(stderr, "dlstudy sched: stdin:%d:%d: rating must be 1-4 (again, hard, good, easy)\n", lineno,
                    (int)(end - line) + 1);
            rc = DLS_EXIT_FAIL;
            break;
        }
        if (t < prev) {
            fprintf(stderr, "dlstudy sched: stdin:%d:1: reviews must be in time order\n", lineno);
            rc = DLS_EXIT_FAIL;
            break;
        }
        prev = t;
        sched_result res;
        sched_review(&p, &c, 0, g, t, &c, &res, NULL);
        char ts[32], due[32], r[16];
        iso_utc(t, ts, sizeof ts);
        iso_utc(c.due, due, sizeof due);
        if (res.r < 0) strcpy(r, "-");
        else snprintf(r, sizeof r, "%.4f", res.r);
        printf("%s\t%d\t%.4f\t%.4f\t%s\t%s\t%d\n", ts, g, c.s, c.d, r, due, res.scheduled_days);
    }
    free(line);
    return rc;
}

/* ---- review --plain ---- */

/* Reads one line from stdin without its line break; NULL at end of input. */
static char *read_line(char **buf, size_t *cap) {
    fflush(stdout);
    ssize_t n = getline(buf, cap, stdin);
    if (n < 0) return NULL;
    while (n > 0 && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r')) (*buf)[--n] = '\0';
    return *buf;
}

static const char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

static void print_indented(const char *text) {
    const char *p = text;
    while (*p) {
        size_t k = strcspn(p, "\n");
        printf("  %.*s\n", (int)k, p);
        p += k + (p[k] == '\n');
    }
}

int cmd_review_plain(cli_ctx *ctx, int argc, char **argv) {
    int limit = -1, nosync = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: dlstudy review --plain [--new N] [--note NOTE] [--no-sync]\n\n"
                   "The daily review in line mode (stdin/stdout; works with piped input):\n"
                   "each card's front is shown; Enter shows the back; then answer\n"
                   "  1 again   2 hard   3 good   4 easy   (or the words, or their first letter)\n"
                   "  u undo the last answer   s skip this card   q quit\n"
                   "Every answer is saved at once (and mirrored into the note's mastery, status,\n"
                   "updated and review_dates). End of input quits.\n"
                   "  --new N       new cards today (default: setting new_per_day, 20)\n"
                   "  --note NOTE   only this note's cards (a path, or enough of its title)\n"
                   "Exit status: 0 ok, 1 failed, 2 usage.\n");
            return DLS_EXIT_OK;
        }
        if ((v = cli_opt_value(argc, argv, &i, "--new"))) {
            if (cli_int_value("review", "--new", v, 0, 10000, &limit)) return DLS_EXIT_USAGE;
        } else if ((v = cli_opt_value(argc, argv, &i, "--note"))) {
            only = v;
        } else if (!strcmp(argv[i], "--no-sync")) nosync = 1;
        else if (strcmp(argv[i], "--plain") != 0) return cli_usage_error("review", "unknown argument '%s'", argv[i]);
    }
    store *s = cli_store_open(ctx, "review");
    if (!s) return DLS_EXIT_FAIL;
    if (!nosync) quiet_sync(ctx, s, "review");
    review_opts o = REVIEW_OPTS_DEFAULT;
    o.new_limit = limit;
    if (only) {
        char *file = find_note(ctx, s, only);
        sqlite3_stmt *st = file ? store_prepare(s, "SELECT id FROM notes WHERE gone = 0 AND path = ?1", NULL) : NULL;
        const char *rootp = ctx->paths.notes_dir;
        size_t nr = strlen(rootp);
        if (st) {
            /* the path relative to the notes folder, as the database keeps it */
            char *real = realpath(file, NULL), *rr = realpath(rootp, NULL);
            const char *rel = file;
            if (real && rr && !strncmp(real, rr, strlen(rr)) && real[strlen(rr)] == '/') rel = real + strlen(rr) + 1;
            else if (!strncmp(file, rootp, nr) && file[nr] == '/') rel = file + nr + 1;
            sqlite3_bind_text(st, 1, rel, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(st) == SQLITE_ROW) o.note_id = sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
            free(real), free(rr);
        }
        free(file);
        if (o.note_id <= 0) {
            fprintf(stderr, "dlstudy review: no synced note matches '%s'\n", only);
            store_free(s);
            return DLS_EXIT_FAIL;
        }
    }
    review_session *rs = NULL;
    dls_error e = {0};
    if (review_session_new(s, ctx->paths.notes_dir, now_s(), &o, &rs, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy review: %s\n", e.msg);
        store_free(s);
        return DLS_EXIT_FAIL;
    }
    int nn, nl, nr;
    if (review_counts(rs, &nn, &nl, &nr, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy review: %s\n", e.msg);
        review_session_free(rs);
        store_free(s);
        return DLS_EXIT_FAIL;
    }
    size_t total = review_remaining(rs);
    if (total == 0) {
        printf("Nothing to review now.\n");
        review_session_free(rs);
        store_free(s);
        return DLS_EXIT_OK;
    }
    printf("%zu card%s to review (%d new, %d learning, %d review). Keys: Enter shows the answer; "
           "1-4 rate; u undo; s skip; q quit.\n", total, total == 1 ? "" : "s", nn, nl, nr);
    char *buf = NULL;
    size_t cap = 0;
    int quit = 0, rc = DLS_EXIT_OK;
    while (!quit) {
        const store_card *c = review_current(rs);
        if (!c) {
            if (review_failure(rs, &e) != DLS_OK) { /* not the end: the card could not be read */
                fprintf(stderr, "dlstudy review: %s\n", e.msg);
                rc = DLS_EXIT_FAIL;
            }
            break;
        }
        printf("\n[%d done, %zu left] %s  (%s)\n", review_reviewed(rs), review_remaining(rs),
               review_current_title(rs), review_current_path(rs));
        if (*c->heading_path && strcmp(c->heading_path, c->front) != 0) printf("%s\n", c->heading_path);
        printf("Q: %s\n", c->front);
        double shown = mono_s();
        printf("[Enter: answer, u: undo, s: skip, q: quit] ");
        char *in = read_line(&buf, &cap);
        if (!in) break;
        const char *a = trim(in);
        if (!strcmp(a, "q")) break;
        if (!strcmp(a, "s")) {
            review_skip(rs);
            printf("skipped\n");
            continue;
        }
        if (!strcmp(a, "u")) {
            review_outcome out;
            if (review_undo(rs, now_s(), &out, &e) != DLS_OK) printf("%s\n", e.msg);
            else {
                printf("undone\n");
                if (!out.wrote_note && out.note_msg[0]) printf("note not updated: %s\n", out.note_msg);
            }
            continue;
        }
        /* the answer */
        printf("A:\n");
        print_indented(*c->back ? c->back : "(empty)");
        review_choice ch[4];
        if (review_preview(rs, now_s(), ch, &e) != DLS_OK) {
            fprintf(stderr, "dlstudy review: %s\n", e.msg);
            rc = DLS_EXIT_FAIL;
            break;
        }
        const char *labs = review_current_labs(rs);
        if (*labs) printf("lab: dlstudy lab %.*s\n", (int)strcspn(labs, ","), labs);
        for (;;) {
            printf("1 again %s | 2 hard %s | 3 good %s | 4 easy %s  (u undo, s skip, q quit) ", ch[0].label,
                   ch[1].label, ch[2].label, ch[3].label);
            in = read_line(&buf, &cap);
            if (!in) {
                quit = 1;
                break;
            }
            a = trim(in);
            if (!*a) continue;
            if (!strcmp(a, "q")) {
                quit = 1;
                break;
            }
            if (!strcmp(a, "s")) {
                review_skip(rs);
                printf("skipped\n");
                break;
            }
            if (!strcmp(a, "u")) {
                review_outcome out;
                if (review_undo(rs, now_s(), &out, &e) != DLS_OK) {
                    printf("%s\n", e.msg);
                    continue;
                }
                printf("undone\n");
                if (!out.wrote_note && out.note_msg[0]) printf("note not updated: %s\n", out.note_msg);
                break;
            }
            int g = sched_rating_parse(a);
            if (!g) {
                printf("? answer 1-4 (again, hard, good, easy), u, s or q\n");
                continue;
            }
            review_outcome out;
            int64_t ms = (int64_t)((mono_s() - shown) * 1000);
            if (review_grade(rs, g, now_s(), ms, &out, &e) != DLS_OK) {
                fprintf(stderr, "dlstudy review: %s\n", e.msg);
                rc = DLS_EXIT_FAIL;
                quit = 1;
                break;
            }
            printf("saved: %s, next in %s\n", sched_rating_name(g), ch[g - 1].label);
            if (!out.wrote_note && out.note_msg[0]) printf("note not updated: %s\n", out.note_msg);
            break;
        }
    }
    printf("\nReviewed %d card%s; %zu left in this session.\n", review_reviewed(rs),
           review_reviewed(rs) == 1 ? "" : "s", review_remaining(rs));
    free(buf);
    review_session_free(rs);
    store_free(s);
    return rc;
}

/* ---- the dashboard as text ---- */

int cmd_home_plain(cli_ctx *ctx, int argc, char **argv) {
    if (wants_help(argc, argv)) {
        printf("usage: dlstudy [--notes DIR] [--db FILE]\n\n"
               "The dashboard: due today, new, overdue, streak, mastery by category and the\n"
               "next days' forecast. In a terminal it opens full screen; otherwise (or with\n"
               "--plain) it prints this text.\n");
        return DLS_EXIT_OK;
    }
    if (!notes_dir_exists(ctx)) {
        printf("dlstudy: no notes folder yet. dlstudy looks for notes in\n  %s\n"
               "Create it (or `dlstudy new \"Title\"` starts one there), or point elsewhere with\n"
               "--notes DIR, DLSTUDY_NOTES, or `notes = DIR` in %s.\n",
               ctx->paths.notes_dir, ctx->paths.config_path);
        return DLS_EXIT_OK;
    }
    store *s = cli_store_open(ctx, "home");
    if (!s) return DLS_EXIT_FAIL;
    quiet_sync(ctx, s, "home");
    sched_params p;
    dls_error e = {0};
    if (store_sched_params(s, &p, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy: %s\n", e.msg);
        store_free(s);
        return DLS_EXIT_FAIL;
    }
    /* the same figures as the full-screen dashboard (tui/screens/data.c) */
    int64_t now = now_s(), today = sched_day_of(&p, now);
    tui_dash d = {0};
    if (tui_data_dash(s, &p, now, 1, &d, &e) != DLS_OK) {
        fprintf(stderr, "dlstudy: %s\n", e.msg);
        tui_dash_deinit(&d);
        store_free(s);
        return DLS_EXIT_FAIL;
    }
    char label[32];
    day_label(&p, today, label, sizeof label);
    printf("dlstudy  %s  (%d notes, %d cards; notes in %s)\n", label, d.notes + d.broken, d.cards,
           ctx->paths.notes_dir);
    printf("Today:    %d due (%d overdue), %d new (of %d not yet studied), %d reviewed\n", d.due_today, d.overdue,
           d.new_today_left, d.new_total, d.reviewed_today);
    printf("Streak:   %d day%s\n", d.streak, d.streak == 1 ? "" : "s");
    if (d.broken)
        printf("Problems: %d note%s could not be read (see `dlstudy sync`)\n", d.broken, d.broken == 1 ? "" : "s");

    printf("Mastery by category:\n");
    for (int i = 0; i < d.n_cat; i++) {
        const tui_category *c = &d.cat[i];
        printf("  %s  ", stars(c->level));
        print_pad(*c->name ? c->name : "(no category)", 28);
        printf(" %4d cards, %d reviewed\n", c->cards, c->reviewed);
    }
    printf("Next 7 days:");
    for (int k = 1; k <= TUI_FORECAST_DAYS; k++) {
        day_label(&p, today + k, label, sizeof label);
        printf("  %s %d", label + 11, d.forecast[k - 1]);
    }
    printf("\n");
    if (d.due_today || d.new_today_left) printf("Start with `dlstudy review`.\n");
    tui_dash_deinit(&d);
    store_free(s);
    return DLS_EXIT_OK;
}
