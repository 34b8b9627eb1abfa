/* test_review.c: a review session over a synced temp folder: the queue (due first, new
 * cards up to the daily limit, in learning order, the bundled notes' order too), previews
 * equal to what grading does, grade (log + card + the note's owned keys written back, body
 * untouched), re-queued learning steps, undo (marker row, state restored, the note file
 * byte for byte), skip, and a failed write-back that keeps the review. */
#include "study/review.h"
#include "study/paths.h"
#include "study/sync.h"
#include "tests/study/study_test.h"
#include "tests/test.h"

#include <stdlib.h>
#include <unistd.h>

static char root[64];

static void put(const char *rel, const char *text) { test_put(root, rel, text); }

static char *get(const char *rel) {
    char *path = xasprintf("%s/%s", root, rel), *data = NULL;
    size_t n;
    if (dls_read_file(path, 0, &data, &n, NULL) != DLS_OK) data = xstrdup("");
    free(path);
    return data;
}

static const char *BODY = "\n# Gamma\n\n## First\n\nOne.\n\n## Second\n\nTwo.\n\n## Third\n\nThree.\n";

/* New cards come in learning order: the note's difficulty, then its created date, then
 * broader notes (more related links), then the path; a note's cards together, by line. */
static void test_new_order(void) {
    char dir[64];
    if (!test_tmpdir(dir, sizeof dir, "dls_order")) {
        test_skip("new order", "no temp dir");
        return;
    }
    static const char *const notes[][2] = {
        {"d-hard.md", "---\ntitle: Hard\ncreated: 2020-01-01\ndifficulty: 4\n---\n\n## H\n\nh\n"},
        {"n-none.md", "---\ntitle: None\ncreated: 2020-01-01\n---\n\n## N\n\nn\n"},
        {"c-later.md", "---\ntitle: Later\ncreated: 2026-01-10\ndifficulty: 2\n---\n\n## C\n\nc\n"},
        {"b-early.md", "---\ntitle: Early\ncreated: 2025-12-01\ndifficulty: 2\n---\n\n## B\n\nb\n"},
        {"a-basic.md", "---\ntitle: Basic\ncreated: 2026-01-01\ndifficulty: 1\nrelated: [z-intro.md]\n---\n\n"
                       "## A\n\na\n"},
        {"z-intro.md", "---\ntitle: Intro\ncreated: 2026-01-01\ndifficulty: 1\n"
                       "related: [a-basic.md, b-early.md, c-later.md]\n---\n\n"
                       "## One\n\nFirst.\n\nQ1 :: A1\n\n## Two\n\nSecond.\n"},
    };
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++) test_put(dir, notes[i][0], notes[i][1]);
    store *s = NULL;
    dls_error e = {0};
    sync_report r;
    review_session *rs = NULL;
    CHECK(store_open(":memory:", &s, &e) == DLS_OK);
    if (!s) return;
    CHECK(sync_run(s, dir, 1769947200, &r, &e) == DLS_OK && r.added == 6);
    sync_report_deinit(&r);
    review_opts o = REVIEW_OPTS_DEFAULT;
    o.new_limit  = 100;
    o.write_back = 0;
    CHECK(review_session_new(s, dir, 1769947200, &o, &rs, &e) == DLS_OK);
    static const char *const want[] = {"One", "Q1", "Two", "A", "B", "C", "N", "H"};
    size_t n = sizeof want / sizeof want[0];
    CHECK(rs && review_remaining(rs) == n);
    for (size_t i = 0; rs && i < n; i++) {
        const store_card *c = review_current(rs);
        CHECK(c && !strcmp(c->front, want[i]));
        if (c && strcmp(c->front, want[i])) fprintf(stderr, "  card %zu: %s, want %s\n", i, c->front, want[i]);
        review_skip(rs);
    }
    review_session_free(rs);
    store_free(s);
    CHECK(test_rmtree(dir) == 0);
}

/* The bundled notes (notes/ from the repository root): a beginner meets "what is deep
 * learning" and "the neuron" first, and each note's cards stay together. */
static void test_bundled_order(void) {
    const char *dir = "notes/ai-ml/basics";
    if (access("notes/ai-ml/basics/what-is-deep-learning.md", R_OK) != 0) {
        test_skip("bundled order", "notes/ai-ml/basics not found (run from the repository root)");
        return;
    }
    store *s = NULL;
    dls_error e = {0};
    sync_report r;
    review_session *rs = NULL;
    CHECK(store_open(":memory:", &s, &e) == DLS_OK);
    if (!s) return;
    CHECK(sync_run(s, dir, 1769947200, &r, &e) == DLS_OK && r.added >= 2);
    sync_report_deinit(&r);
    review_opts o = REVIEW_OPTS_DEFAULT;
    o.new_limit  = 100000;
    o.write_back = 0; /* never touch the bundled notes */
    CHECK(review_session_new(s, dir, 1769947200, &o, &rs, &e) == DLS_OK);
    char  *seen[64];
    size_t n_seen = 0;
    int    together = 1;
    while (rs && review_current(rs)) {
        const char *p = review_current_path(rs);
        if (!n_seen || strcmp(seen[n_seen - 1], p) != 0) {
            for (size_t i = 0; i < n_seen; i++)
                if (!strcmp(seen[i], p)) together = 0; /* came back to an earlier note */
            if (n_seen < 64) seen[n_seen++] = xstrdup(p);
        }
        review_skip(rs);
    }
    CHECK(n_seen >= 2 && !strcmp(seen[0], "what-is-deep-learning.md") && !strcmp(seen[1], "neuron.md"));
    CHECK(together);
    for (size_t i = 0; i < n_seen; i++) free(seen[i]);
    review_session_free(rs);
    store_free(s);
}

/* A card the database cannot give (here: its table is renamed away) stops the session
 * with that error; it is neither skipped as "vanished" nor taken for the session's end,
 * and the session goes on once the database answers again. */
static void test_unreadable_card(void) {
    char dir[64];
    if (!test_tmpdir(dir, sizeof dir, "dls_review_fail")) {
        test_skip("unreadable card", "no temp dir");
        return;
    }
    char *path = xasprintf("%s/a.md", dir);
    FILE *f = fopen(path, "w");
    if (f) fputs("---\ntitle: A\ncreated: 2026-01-01\n---\n\n## One\n\n1.\n\n## Two\n\n2.\n", f), fclose(f);
    free(path);
    store *s = NULL;
    dls_error e = {0};
    CHECK(store_open(":memory:", &s, &e) == DLS_OK);
    sync_report r;
    CHECK(sync_run(s, dir, 1769947200, &r, &e) == DLS_OK && r.added == 1);
    sync_report_deinit(&r);
    review_session *rs = NULL;
    CHECK(review_session_new(s, dir, 1769947200, NULL, &rs, &e) == DLS_OK);
    if (rs) {
        CHECK(review_remaining(rs) == 2);
        CHECK(sqlite3_exec(store_db(s), "ALTER TABLE cards RENAME TO cards_away", NULL, NULL, NULL) == SQLITE_OK);
        CHECK(review_current(rs) == NULL);
        CHECK(review_failure(rs, &e) == DLS_ERR_DB && strstr(e.msg, "cards") != NULL);
        review_outcome out;
        CHECK(review_grade(rs, SCHED_GOOD, 1769947300, -1, &out, &e) == DLS_ERR_DB);
        int nn, nl, nr;
        CHECK(review_counts(rs, &nn, &nl, &nr, &e) == DLS_ERR_DB);
        CHECK(review_remaining(rs) == 2); /* nothing skipped */
        CHECK(sqlite3_exec(store_db(s), "ALTER TABLE cards_away RENAME TO cards", NULL, NULL, NULL) == SQLITE_OK);
        const store_card *c = review_current(rs);
        CHECK(c != NULL && !strcmp(c->front, "One"));
        CHECK(review_failure(rs, &e) == DLS_OK);
        review_session_free(rs);
    }
    store_free(s);
    CHECK(test_rmtree(dir) == 0);
}

int main(void) {
    setenv("TZ", "UTC", 1);
    tzset();
    if (!test_tmpdir(root, sizeof root, "dls_review")) {
        test_skip("review", "no temp dir");
        return test_done("test_review");
    }
    char *g = xasprintf("---\ntitle: Gamma  # a comment\ncreated: 2026-01-05\nmastery: 0\nstatus: new\n"
                        "review_dates: []\nextra: kept\n---\n%s", BODY);
    put("g.md", g);
    put("d.md", "---\ntitle: Delta\ncreated: 2026-01-06\ndifficulty: 1\n---\n\n## Only\n\nD.\n");
    store *s = NULL;
    dls_error e = {0};
    if (store_open(":memory:", &s, &e) != DLS_OK) return 1;
    store_setting_set(s, "fuzz", "off", &e);
    store_setting_set(s, "new_per_day", "3", &e);
    struct tm tm0 = {.tm_year = 126, .tm_mon = 1, .tm_mday = 1, .tm_hour = 12}; /* 2026-02-01 12:00 */
    int64_t now = (int64_t)timegm(&tm0);
    sync_report r;
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK && r.added == 2);
    sync_report_deinit(&r);

    review_session *rs = NULL;
    CHECK(review_session_new(s, root, now, NULL, &rs, &e) == DLS_OK);
    if (!rs) return test_done("test_review");
    CHECK(review_remaining(rs) == 3); /* 4 new cards, limit 3; the easier note (d.md) first */
    int nn, nl, nr;
    CHECK(review_counts(rs, &nn, &nl, &nr, &e) == DLS_OK);
    CHECK(nn == 3 && nl == 0 && nr == 0);
    const store_card *c = review_current(rs);
    CHECK(c && !strcmp(c->front, "Only"));
    CHECK_STR(review_current_title(rs), "Delta");
    review_skip(rs);
    c = review_current(rs);
    CHECK(c && !strcmp(c->front, "First") && !strcmp(c->back, "One."));
    CHECK_STR(review_current_path(rs), "g.md");
    CHECK(review_remaining(rs) == 2);

    /* preview of a new card: 1m, (1m+10m)/2, 10m, S0(Easy) = 8.2956 -> 8 days */
    review_choice ch[4];
    CHECK(review_preview(rs, now, ch, &e) == DLS_OK);
    CHECK_STR(ch[0].label, "1m");
    CHECK_STR(ch[1].label, "6m");
    CHECK_STR(ch[2].label, "10m");
    CHECK_STR(ch[3].label, "8d");
    CHECK(ch[3].after.state == SCHED_REVIEW && ch[3].res.scheduled_days == 8);

    /* grade Good: saved, the note's owned keys mirror it, everything else kept */
    int64_t first_id = c->id;
    review_outcome out;
    CHECK(review_grade(rs, SCHED_GOOD, now, 4200, &out, &e) == DLS_OK);
    CHECK(out.card_id == first_id && out.after.state == SCHED_LEARNING && out.after.due == now + 600);
    CHECK(out.after.due == ch[2].after.due);
    CHECK(out.wrote_note == 1 && out.note_msg[0] == '\0');
    CHECK(test_count(s, "SELECT count(*) FROM review_log WHERE kind = 'review' AND rating = 3 AND duration_ms = 4200 "
                        "AND state_before = 0 AND state_after = 1") == 1);
    char *after = get("g.md");
    CHECK(strstr(after, "title: Gamma  # a comment\n") != NULL);
    CHECK(strstr(after, "extra: kept\n") != NULL);
    CHECK(strstr(after, "2026-02-01") != NULL);          /* updated + review date */
    CHECK(strstr(after, "status: learning") != NULL);
    CHECK(strstr(after, "mastery: 0") != NULL);          /* mean of 1, 0, 0 rounds to 0 */
    size_t bl = strlen(BODY), al = strlen(after);
    CHECK(al >= bl && !strcmp(after + al - bl, BODY));
    free(after);
    /* the learning step (10 min) comes back in this session, at the end */
    CHECK(review_remaining(rs) == 2);
    c = review_current(rs);
    CHECK(c && !strcmp(c->front, "Second"));
    /* the file's new identity is recorded: a sync does not re-read it */
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK && r.unchanged == 2 && r.changed == 0);
    sync_report_deinit(&r);

    /* undo: marker appended, state back to new, the keys recomputed, the card in front */
    CHECK(review_undo(rs, now + 5, &out, &e) == DLS_OK);
    CHECK(out.card_id == first_id && out.after.state == SCHED_NEW);
    CHECK(test_count(s, "SELECT count(*) FROM review_log WHERE kind = 'undo'") == 1);
    CHECK(test_count(s, "SELECT count(*) FROM review_history WHERE kind = 'review'") == 0);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM cards WHERE id = %lld AND state = 0 AND due IS NULL AND "
             "reps = 0 AND stability IS NULL", (long long)first_id);
    CHECK(test_count(s, sql) == 1);
    c = review_current(rs);
    CHECK(c && c->id == first_id);
    CHECK(review_remaining(rs) == 2);
    CHECK(review_reviewed(rs) == 0);
    after = get("g.md");
    CHECK(strstr(after, "status: new") != NULL);
    CHECK(strstr(after, "review_dates: []") != NULL);
    free(after);
    CHECK(review_undo(rs, now, &out, &e) == DLS_ERR_NOTFOUND);

    /* Easy: straight to Review, 8 days; the next due date joins review_dates */
    CHECK(review_grade(rs, SCHED_EASY, now + 10, -1, &out, &e) == DLS_OK);
    CHECK(out.after.state == SCHED_REVIEW && out.res.scheduled_days == 8);
    after = get("g.md");
    CHECK(strstr(after, "2026-02-01, 2026-02-09]") != NULL);
    free(after);

    /* edited on disk since the last sync: the write-back works, and the next sync still
     * reads the edit (the recorded identity is not refreshed) */
    after = get("g.md");
    char *edited = xasprintf("%s\n## Fourth\n\nFour.\n", after);
    free(after);
    put("g.md", edited);
    free(edited);
    c = review_current(rs);
    CHECK(c && !strcmp(c->front, "Second"));
    CHECK(review_grade(rs, SCHED_GOOD, now + 15, -1, &out, &e) == DLS_OK && out.wrote_note == 1);
    after = get("g.md");
    CHECK(strstr(after, "## Fourth") != NULL);
    free(after);
    CHECK(sync_run(s, root, now + 16, &r, &e) == DLS_OK && r.changed == 1 && r.cards_added == 1);
    sync_report_deinit(&r);

    /* a note broken on disk: the review is saved, the failure reported, the file untouched */
    const char *broken = "---\ntitle: Gamma\ntitle: again\n---\n## First\n";
    put("g.md", broken);
    c = review_current(rs);
    CHECK(c && !strcmp(c->front, "Second")); /* its 10m step, re-queued */
    CHECK(review_grade(rs, SCHED_AGAIN, now + 20, -1, &out, &e) == DLS_OK);
    CHECK(out.wrote_note == 0 && strstr(out.note_msg, "g.md") != NULL);
    after = get("g.md");
    CHECK_STR(after, broken);
    free(after);
    CHECK(test_count(s, "SELECT count(*) FROM review_history WHERE kind = 'review'") == 3);
    review_session_free(rs);

    /* a new session the same day: the daily limit counts cards introduced today */
    CHECK(review_session_new(s, root, now + 60, NULL, &rs, &e) == DLS_OK);
    CHECK(review_counts(rs, &nn, &nl, &nr, &e) == DLS_OK);
    CHECK(nl == 1 && nn == 1); /* Second's 1m step is due; 3 - 2 introduced = 1 new */
    review_session_free(rs);
    /* nine days later: the Easy card is due */
    CHECK(review_session_new(s, root, now + 9 * 86400, NULL, &rs, &e) == DLS_OK);
    CHECK(review_counts(rs, &nn, &nl, &nr, &e) == DLS_OK);
    CHECK(nr == 1);
    review_session_free(rs);

    /* undo puts the note's keys back as the file had them: byte for byte */
    const char *h = "---\ntitle: Eta\ncreated: 2026-01-04\nupdated: 2026-01-05\nmastery: 2\nstatus: learning\n"
                    "review_dates:\n  - 2026-01-05\n---\n\n## Eta one\n\nE.\n";
    put("h.md", h);
    CHECK(sync_run(s, root, now + 120, &r, &e) == DLS_OK && r.added == 1);
    sync_report_deinit(&r);
    review_opts only = REVIEW_OPTS_DEFAULT;
    only.note_id = test_count(s, "SELECT id FROM notes WHERE path = 'h.md'");
    CHECK(review_session_new(s, root, now + 120, &only, &rs, &e) == DLS_OK);
    c = review_current(rs);
    CHECK(c && !strcmp(c->front, "Eta one") && c->m.state == SCHED_REVIEW);
    CHECK(review_grade(rs, SCHED_GOOD, now + 130, -1, &out, &e) == DLS_OK && out.wrote_note);
    after = get("h.md");
    CHECK(strcmp(after, h) != 0 && strstr(after, "  - 2026-02-01") != NULL);
    free(after);
    CHECK(review_undo(rs, now + 140, &out, &e) == DLS_OK && out.wrote_note);
    after = get("h.md");
    CHECK_STR(after, h);
    free(after);
    review_session_free(rs);

    /* the same for a note's first review, whose owned keys the database would derive
     * differently: a hand-written mastery, an empty review_dates:, no updated key (the
     * write-back appends it; undo takes it away again), CRLF */
    const char *k = "---\r\ntitle: Kappa\r\ncreated: 2026-01-03\r\nmastery: 2\r\nreview_dates:\r\n"
                    "status: learning # by hand\r\n---\r\n\r\n## K one\r\n\r\nK.\r\n\r\n## K two\r\n\r\nKK.\r\n";
    put("k.md", k);
    CHECK(sync_run(s, root, now + 200, &r, &e) == DLS_OK && r.added == 1);
    sync_report_deinit(&r);
    only.note_id = test_count(s, "SELECT id FROM notes WHERE path = 'k.md'");
    CHECK(review_session_new(s, root, now + 200, &only, &rs, &e) == DLS_OK);
    CHECK(review_grade(rs, SCHED_GOOD, now + 210, -1, &out, &e) == DLS_OK && out.wrote_note);
    after = get("k.md");
    CHECK(strstr(after, "mastery: 1\r\n") && strstr(after, "updated: 2026-02-01\r\n"));
    free(after);
    CHECK(review_undo(rs, now + 220, &out, &e) == DLS_OK && out.wrote_note && !out.note_msg[0]);
    after = get("k.md");
    CHECK_STR(after, k);
    free(after);
    CHECK(test_count(s, "SELECT count(*) FROM notes WHERE path = 'k.md' AND mastery = 2 AND status = 'learning' "
                        "AND updated IS NULL AND review_dates = ''") == 1);
    CHECK(sync_run(s, root, now + 225, &r, &e) == DLS_OK && r.changed == 0 && r.unchanged == 3); /* g.md is still broken */
    sync_report_deinit(&r);
    /* two grades of the note's two cards, undone newest first: back to the first bytes */
    CHECK(review_grade(rs, SCHED_GOOD, now + 230, -1, &out, &e) == DLS_OK && out.wrote_note);
    char *mid = get("k.md");
    CHECK(review_grade(rs, SCHED_EASY, now + 240, -1, &out, &e) == DLS_OK && out.wrote_note);
    after = get("k.md");
    CHECK(strcmp(after, mid) != 0);
    free(after);
    CHECK(review_undo(rs, now + 250, &out, &e) == DLS_OK);
    after = get("k.md");
    CHECK_STR(after, mid);
    free(after), free(mid);
    CHECK(review_undo(rs, now + 260, &out, &e) == DLS_OK);
    after = get("k.md");
    CHECK_STR(after, k);
    free(after);
    /* edited after the grade: the edit stays, the owned values are spliced back */
    CHECK(review_grade(rs, SCHED_GOOD, now + 270, -1, &out, &e) == DLS_OK && out.wrote_note);
    after = get("k.md");
    edited = xasprintf("%s\r\nAdded later.\r\n", after);
    free(after);
    put("k.md", edited);
    free(edited);
    CHECK(review_undo(rs, now + 280, &out, &e) == DLS_OK && out.wrote_note);
    after = get("k.md");
    CHECK(strstr(after, "Added later.") && strstr(after, "mastery: 2\r\n") &&
          strstr(after, "status: learning # by hand\r\n"));
    free(after);
    review_session_free(rs);

    test_new_order();
    test_bundled_order();
    test_unreadable_card();

    char fi[16];
    review_format_interval(45, 0, fi, sizeof fi);
    CHECK_STR(fi, "45s");
    review_format_interval(7200, 0, fi, sizeof fi);
    CHECK_STR(fi, "2h");
    review_format_interval(0, 45, fi, sizeof fi);
    CHECK_STR(fi, "1.5mo");
    review_format_interval(0, 800, fi, sizeof fi);
    CHECK_STR(fi, "2.2y");

    store_free(s);
    CHECK(test_rmtree(root) == 0);
    free(g);
    return test_done("test_review");
}
