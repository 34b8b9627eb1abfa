/* test_sync.c: sync of a fixture folder built in a temp dir: add, warm skip, change,
 * move (by key and by body fingerprint), delete and return, a broken note skipped with
 * file:line:col, a copy refused, a symlink leaving the folder, dotfiles ignored, and the
 * user's double-encoded seed note with its review_dates honoured. */
#include "study/note.h"
#include "study/paths.h"
#include "study/review.h"
#include "study/sync.h"
#include "tests/study/study_test.h"
#include "tests/test.h"

#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void put(const char *rel, const char *text) { test_put(root, rel, text); }

static const sync_item *find(const sync_report *r, int kind, const char *path) {
    for (size_t i = 0; i < r->n_items; i++)
        if (r->items[i].kind == kind && !strcmp(r->items[i].path, path)) return &r->items[i];
    return NULL;
}

static const char *A =
    "---\ntitle: Alpha\ncategory: ai-ml/basics\ntags: [x, y]\ncreated: 2026-01-01\nmastery: 0\n"
    "difficulty: 2\nstatus: new\n---\n\n# Alpha\n\n## One\n\nFirst section text.\n\n## Two\n\n"
    "Second section text.\n\n- What is alpha :: the first letter\n";

static const char *B =
    "---\ntitle: Beta\ncategory: ai-ml/other\ncreated: 2026-01-02\ndifficulty: 3\nreview_dates:\n"
    "  - 2026-01-10\n  - 2026-01-20\n  - 2026-02-10\nstatus: learning\n---\n\n## Only\n\nBeta body.\n";

int main(void) {
    setenv("TZ", "UTC", 1);
    tzset();
    if (!test_tmpdir(root, sizeof root, "dls_sync")) {
        test_skip("sync", "no temp dir");
        return test_done("test_sync");
    }
    store *s = NULL;
    dls_error e = {0};
    if (store_open(":memory:", &s, &e) != DLS_OK) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    struct tm tm0 = {.tm_year = 126, .tm_mon = 1, .tm_mday = 1, .tm_hour = 12}; /* 2026-02-01 12:00 */
    int64_t now = (int64_t)timegm(&tm0);
    sync_report r;

    put("a.md", A);
    put("sub/b.md", B);
    put("broken.md", "---\ntitle: Broken\ntags: [unclosed\n---\n\n## X\n\ny\n");
    put(".template.md", "---\ntitle: {{title}}\n---\n");
    put(".hidden/h.md", "---\ntitle: Hidden\n---\n## H\n\nh\n");
    put("readme.txt", "not a note");
    char *outside = xasprintf("%s/../dls_sync_outside_%d.md", root, (int)getpid());
    FILE *fo = fopen(outside, "w");
    if (fo) fputs("---\ntitle: Outside\n---\n## O\n\no\n", fo), fclose(fo);
    char *link = xasprintf("%s/escape.md", root);
    CHECK(symlink(outside, link) == 0);

    /* 1. cold */
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(r.added == 2 && r.changed == 0 && r.moved == 0 && r.removed == 0 && r.unchanged == 0);
    CHECK(r.skipped == 2);
    const sync_item *it = find(&r, SYNC_SKIPPED, "broken.md");
    CHECK(it && strstr(it->detail, "broken.md:") != NULL);
    if (it) {
        int line = 0, col = 0;
        const char *p = strstr(it->detail, "broken.md:");
        CHECK(p && sscanf(p, "broken.md:%d:%d:", &line, &col) == 2 && line >= 2 && col >= 1);
    }
    it = find(&r, SYNC_SKIPPED, "escape.md");
    CHECK(it && strstr(it->detail, "leaves") != NULL);
    CHECK(it && strstr(it->detail, "escape.md: ") == it->detail); /* `dlstudy sync` prints only the detail */
    CHECK(test_count(s, "SELECT count(*) FROM notes") == 2);
    CHECK(test_count(s, "SELECT count(*) FROM notes WHERE title = 'Hidden' OR title = 'Outside'") == 0);
    CHECK(test_count(s, "SELECT count(*) FROM cards WHERE note_id = (SELECT id FROM notes WHERE path = 'a.md')") == 3);
    CHECK(test_count(s, "SELECT count(*) FROM cards WHERE kind = 'explicit' AND front = 'What is alpha' "
                        "AND back = 'the first letter'") == 1);
    CHECK(test_count(s, "SELECT count(*) FROM cards WHERE front = 'One' AND back = 'First section text.'") == 1);
    CHECK(r.cards_added == 4);
    /* b.md's review_dates: 01-10 and 01-20 passed, 02-10 is its due date */
    CHECK(test_count(s, "SELECT count(*) FROM review_log WHERE kind = 'import'") == 2);
    struct tm tdue = {.tm_year = 126, .tm_mon = 1, .tm_mday = 10, .tm_hour = 4};
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM cards c JOIN notes n ON n.id = c.note_id WHERE n.path = "
             "'sub/b.md' AND c.state = 2 AND c.reps = 2 AND c.due = %lld AND abs(c.stability - 21) < 1e-9 "
             "AND abs(c.difficulty - 5.5) < 1e-9", (long long)timegm(&tdue));
    CHECK(test_count(s, sql) == 1);
    sync_report_deinit(&r);

    /* 2. warm: nothing changed, nothing read */
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(r.unchanged == 2 && r.added == 0 && r.changed == 0 && r.skipped == 2 && r.removed == 0);
    sync_report_deinit(&r);

    /* touched, same bytes: counted unchanged, not re-read into the cards */
    char *apath = xasprintf("%s/a.md", root);
    struct timespec ts[2] = {{.tv_sec = 1700000000}, {.tv_sec = 1700000000}};
    CHECK(utimensat(AT_FDCWD, apath, ts, 0) == 0);
    free(apath);
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(r.unchanged == 2 && r.changed == 0);
    sync_report_deinit(&r);
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK && r.unchanged == 2); /* and warm again */
    sync_report_deinit(&r);

    /* give a.md's first card some progress */
    CHECK(sqlite3_exec(store_db(s), "UPDATE cards SET state = 2, stability = 9.5, difficulty = 4, reps = 3, "
                       "due = 1 WHERE front = 'One'", NULL, NULL, NULL) == SQLITE_OK);
    int one_id = test_count(s, "SELECT id FROM cards WHERE front = 'One'");

    /* 3. change in place: edit a section, add a concept */
    char *a2 = xasprintf("%s\n## Three\n\nThird, new.\n", A);
    char *a2b = a2;
    {   /* also edit One's text */
        char *p = strstr(a2, "First section text.");
        char *tmp = xasprintf("%.*sFirst section text, edited.%s", (int)(p - a2), a2, p + strlen("First section text."));
        a2b = tmp;
    }
    put("a.md", a2b);
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(r.changed == 1 && r.unchanged == 1 && r.added == 0 && r.cards_added == 1);
    CHECK(find(&r, SYNC_CHANGED, "a.md") != NULL);
    CHECK(test_count(s, "SELECT id FROM cards WHERE front = 'One'") == one_id);
    CHECK(test_count(s, "SELECT count(*) FROM cards WHERE front = 'One' AND reps = 3 AND back LIKE '%edited%'") == 1);
    sync_report_deinit(&r);

    /* 4. move: same key, new path; progress kept */
    char *from = xasprintf("%s/a.md", root), *to = xasprintf("%s/sub/deeper/alpha.md", root);
    char *deeper = xasprintf("%s/sub/deeper", root);
    dls_mkdir_p(deeper, NULL);
    free(deeper);
    CHECK(rename(from, to) == 0);
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(r.moved == 1 && r.added == 0 && r.removed == 0);
    it = find(&r, SYNC_MOVED, "sub/deeper/alpha.md");
    CHECK(it && it->detail && !strcmp(it->detail, "a.md"));
    CHECK(test_count(s, "SELECT count(*) FROM notes") == 2);
    CHECK(test_count(s, "SELECT id FROM cards WHERE front = 'One' AND reps = 3 AND gone = 0") == one_id);
    sync_report_deinit(&r);

    /* 5. moved and retitled (new key): matched by the body's fingerprint */
    char *retitled = xstrdup(a2b);
    char *t = strstr(retitled, "title: Alpha");
    memcpy(t, "title: Alfa!", 12);
    CHECK(unlink(to) == 0);
    put("renamed.md", retitled);
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(r.moved == 1 && r.added == 0 && r.removed == 0);
    CHECK(test_count(s, "SELECT count(*) FROM notes WHERE title = 'Alfa!' AND path = 'renamed.md'") == 1);
    CHECK(test_count(s, "SELECT id FROM cards WHERE front = 'One' AND reps = 3 AND gone = 0") == one_id);
    sync_report_deinit(&r);

    /* 6. delete and bring back: history survives */
    char *bpath = xasprintf("%s/sub/b.md", root);
    CHECK(unlink(bpath) == 0);
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(r.removed == 1 && find(&r, SYNC_REMOVED, "sub/b.md") != NULL);
    CHECK(test_count(s, "SELECT count(*) FROM notes WHERE gone = 1") == 1);
    CHECK(test_count(s, "SELECT count(*) FROM cards WHERE gone = 0 AND note_id = (SELECT id FROM notes WHERE gone = 1)") == 0);
    sync_report_deinit(&r);
    put("sub/b.md", B);
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(r.added == 1 && r.removed == 0);
    CHECK(test_count(s, "SELECT count(*) FROM review_log WHERE kind = 'import'") == 2); /* not imported twice */
    CHECK(test_count(s, "SELECT count(*) FROM cards WHERE gone = 0 AND reps = 2") == 1);
    sync_report_deinit(&r);

    /* 7. a copy (same title and created) is refused, the original kept */
    put("copy.md", B);
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    it = find(&r, SYNC_SKIPPED, "copy.md");
    CHECK(it && strstr(it->detail, "sub/b.md") != NULL);
    CHECK(test_count(s, "SELECT count(*) FROM notes WHERE path = 'sub/b.md' AND gone = 0") == 1);
    sync_report_deinit(&r);
    char *cpath = xasprintf("%s/copy.md", root);
    unlink(cpath);

    /* 8. the broken note fixed: added */
    put("broken.md", "---\ntitle: Broken\ntags: [closed]\n---\n\n## X\n\ny\n");
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(r.added == 1 && find(&r, SYNC_ADDED, "broken.md") != NULL && r.skipped == 1);
    sync_report_deinit(&r);
    /* ... and broken again: skipped, its card kept, nothing rewritten */
    put("broken.md", "---\ntitle: Broken\ntitle: Twice\n---\n\n## X\n\ny\n");
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(find(&r, SYNC_SKIPPED, "broken.md") != NULL && r.removed == 0);
    CHECK(test_count(s, "SELECT count(*) FROM cards WHERE front = 'X' AND gone = 0") == 1);
    CHECK(test_count(s, "SELECT parse_ok FROM notes WHERE path = 'broken.md'") == 0);
    sync_report_deinit(&r);

    /* 8b. one file at a time: a copy of a note whose original is still there is refused */
    put("copy2.md", B);
    CHECK(sync_file(s, root, "copy2.md", now, &r, &e) == DLS_OK);
    CHECK(find(&r, SYNC_SKIPPED, "copy2.md") != NULL && r.moved == 0);
    CHECK(test_count(s, "SELECT count(*) FROM notes WHERE path = 'sub/b.md' AND gone = 0") == 1);
    sync_report_deinit(&r);
    char *c2 = xasprintf("%s/copy2.md", root);
    unlink(c2);
    free(c2);

    /* 9. one file at a time (after `dlstudy edit`) */
    put("sub/b.md", "---\ntitle: Beta\ncategory: ai-ml/other\ncreated: 2026-01-02\n---\n\n## Only\n\nBeta body.\n\n## More\n\nm\n");
    CHECK(sync_file(s, root, "sub/b.md", now, &r, &e) == DLS_OK);
    CHECK(r.changed == 1 && r.cards_added == 1);
    sync_report_deinit(&r);
    /* ... given as `dlstudy edit` may pass it: from the current folder, or with "./" */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    char *subdir = xasprintf("%s/sub", root);
    CHECK(chdir(subdir) == 0);
    put("sub/b.md", "---\ntitle: Beta\ncategory: ai-ml/other\ncreated: 2026-01-02\n---\n\n## Only\n\nBeta body.\n\n## More\n\nm2\n");
    CHECK(sync_file(s, root, "b.md", now, &r, &e) == DLS_OK);
    CHECK(r.changed == 1 && find(&r, SYNC_CHANGED, "sub/b.md") != NULL && r.skipped == 0);
    sync_report_deinit(&r);
    CHECK(chdir(root) == 0);
    put("sub/b.md", "---\ntitle: Beta\ncategory: ai-ml/other\ncreated: 2026-01-02\n---\n\n## Only\n\nBeta body.\n\n## More\n\nm3\n");
    CHECK(sync_file(s, root, "./sub/b.md", now, &r, &e) == DLS_OK);
    CHECK(r.changed == 1 && find(&r, SYNC_CHANGED, "sub/b.md") != NULL && r.skipped == 0);
    sync_report_deinit(&r);
    CHECK(chdir(cwd) == 0);
    free(subdir);
    CHECK(test_count(s, "SELECT count(*) FROM notes WHERE path = 'sub/b.md' AND gone = 0") == 1);
    CHECK(test_count(s, "SELECT count(*) FROM cards WHERE front = 'More' AND back = 'm3' AND gone = 0") == 1);

    /* 9b. moved away, and a different note created at the old path in the same sync:
     * the moved note keeps its progress, the newcomer is new */
    char *r_from = xasprintf("%s/renamed.md", root), *r_to = xasprintf("%s/zz/renamed2.md", root);
    char *zz = xasprintf("%s/zz", root);
    dls_mkdir_p(zz, NULL);
    CHECK(rename(r_from, r_to) == 0);
    put("renamed.md", "---\ntitle: Newcomer\ncreated: 2026-01-09\n---\n\n## Fresh\n\nnew text\n");
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(r.moved == 1 && r.added == 1 && r.removed == 0);
    it = find(&r, SYNC_MOVED, "zz/renamed2.md");
    CHECK(it && it->detail && !strcmp(it->detail, "renamed.md"));
    CHECK(find(&r, SYNC_ADDED, "renamed.md") != NULL);
    CHECK(test_count(s, "SELECT c.id FROM cards c JOIN notes n ON n.id = c.note_id WHERE c.front = 'One' AND "
                        "c.reps = 3 AND n.path = 'zz/renamed2.md'") == one_id);
    sync_report_deinit(&r);
    free(r_from), free(r_to), free(zz);

    /* 9c. a new note whose card ids already exist (here: its old row lost its key, path and
     * fingerprint): the cards are adopted with their progress, not duplicated */
    CHECK(sqlite3_exec(store_db(s), "UPDATE notes SET key = 'lost', fingerprint = '', path = 'ghost.md' "
                       "WHERE path = 'sub/b.md'", NULL, NULL, NULL) == SQLITE_OK);
    int imports = test_count(s, "SELECT count(*) FROM review_log WHERE kind = 'import'");
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    CHECK(r.added == 1 && r.removed == 1 && find(&r, SYNC_REMOVED, "ghost.md") != NULL);
    CHECK(test_count(s, "SELECT count(*) FROM cards c JOIN notes n ON n.id = c.note_id WHERE n.path = 'sub/b.md' "
                        "AND n.gone = 0 AND c.front = 'Only' AND c.reps = 2 AND c.gone = 0") == 1);
    CHECK(test_count(s, "SELECT count(*) FROM cards WHERE front = 'Only'") == 1);
    CHECK(test_count(s, "SELECT count(*) FROM review_log WHERE kind = 'import'") == imports);
    sync_report_deinit(&r);

    /* 10. the user's real note: double-encoded UTF-8, six review dates */
    char *seed = NULL;
    size_t n = 0;
    if (dls_read_file("../shared/seeds/000_3eeb17384b6e329b.txt", 0, &seed, &n, NULL) == DLS_OK) {
        put("seed.md", seed);
        CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
        CHECK(find(&r, SYNC_ADDED, "seed.md") != NULL);
        it = find(&r, SYNC_WARNING, "seed.md");
        CHECK(it && strstr(it->detail, "seed.md") != NULL);
        CHECK(it && strstr(it->detail, "seed.md: looks double-encoded") != NULL); /* detected, and said so */
        CHECK(test_count(s, "SELECT count(*) FROM notes WHERE path = 'seed.md' AND mastery = 2 AND difficulty = 3 "
                            "AND status = 'learning' AND category = 'ai-ml/basics'") == 1);
        /* 2025-12-28 ... 2026-01-24 passed (5), 2026-03-24 is due; mastery 2: S = 4 days */
        struct tm td = {.tm_year = 126, .tm_mon = 2, .tm_mday = 24, .tm_hour = 4};
        snprintf(sql, sizeof sql, "SELECT count(*) FROM cards c JOIN notes n ON n.id = c.note_id WHERE n.path = "
                 "'seed.md' AND (c.state <> 2 OR c.reps <> 5 OR c.due <> %lld OR abs(c.stability - 4) > 1e-9)",
                 (long long)timegm(&td));
        CHECK(test_count(s, sql) == 0);
        CHECK(test_count(s, "SELECT count(*) FROM cards c JOIN notes n ON n.id = c.note_id WHERE n.path = 'seed.md'") > 3);
        /* ... so the derived mastery is the 2 the note claims */
        sched_params p;
        int level = -9, reviewed = -9;
        CHECK(store_sched_params(s, &p, &e) == DLS_OK);
        CHECK(review_note_mastery(s, &p, test_count(s, "SELECT id FROM notes WHERE path = 'seed.md'"), now, &level,
                                  &reviewed, &e) == DLS_OK);
        CHECK(level == 2 && reviewed > 3);
        sync_report_deinit(&r);
        free(seed);
    } else {
        test_skip("seed note", "../shared/seeds/000_3eeb17384b6e329b.txt not found");
    }

    /* 10b. a broken symlink: skipped, and the detail (all `dlstudy sync` prints) names it */
    char *dangling = xasprintf("%s/dangling.md", root);
    CHECK(symlink("nowhere.md", dangling) == 0);
    CHECK(sync_run(s, root, now, &r, &e) == DLS_OK);
    it = find(&r, SYNC_SKIPPED, "dangling.md");
    CHECK(it && it->detail && !strcmp(it->detail, "dangling.md: broken symlink"));
    sync_report_deinit(&r);
    unlink(dangling);
    free(dangling);

    /* 11. the folder itself missing */
    CHECK(sync_run(s, "/nonexistent/notes", now, &r, &e) == DLS_ERR_NOTFOUND);
    CHECK(strstr(e.msg, "/nonexistent/notes") != NULL);
    sync_report_deinit(&r);

    store_free(s);
    unlink(outside);
    CHECK(test_rmtree(root) == 0);
    free(outside), free(link), free(a2), free(a2b), free(from), free(to), free(retitled);
    free(bpath), free(cpath);
    return test_done("test_sync");
}
