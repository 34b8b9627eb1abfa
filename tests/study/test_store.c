/* test_store.c: the SQLite store against ":memory:" and temp files: schema and
 * migrations, settings, cards, the append-only review log and undo markers, and the
 * messages for a corrupt, foreign, newer or busy database. */
#include "study/store.h"
#include "tests/study/study_test.h"
#include "tests/test.h"

#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int exec_rc(store *s, const char *sql) {
    return sqlite3_exec(store_db(s), sql, NULL, NULL, NULL);
}

/* 1 when the database's journal mode is want */
static int journal_mode(store *s, const char *want) {
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_prepare_v2(store_db(s), "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), want);
    sqlite3_finalize(st);
    return ok;
}

static void test_memory(void) {
    store *s = NULL;
    dls_error e = {0};
    CHECK(store_open(":memory:", &s, &e) == DLS_OK);
    if (!s) return;
    CHECK(test_count(s, "PRAGMA user_version") == store_schema_version());
    CHECK(store_schema_version() >= 1);
    CHECK(test_count(s, "PRAGMA foreign_keys") == 1);
    const char *tables[] = {"notes", "cards", "review_log", "labs", "lab_runs", "lab_metrics", "settings"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", tables[i]);
        CHECK(test_count(s, sql) == 1);
    }
    /* settings: defaults, parsed into scheduler parameters, validated */
    sched_params p;
    CHECK(store_sched_params(s, &p, &e) == DLS_OK);
    CHECK_NEAR(p.retention, 0.9, 1e-12);
    CHECK(p.n_learn == 2 && p.learn[0] == 60 && p.learn[1] == 600 && p.n_relearn == 1);
    CHECK(p.rollover_hour == 4 && p.max_interval == 36500 && p.fuzz == 1 && p.days == SCHED_DAYS_CALENDAR);
    CHECK(store_setting_set(s, "learning_steps", "", &e) == DLS_OK);
    CHECK(store_setting_set(s, "fuzz", "off", &e) == DLS_OK);
    CHECK(store_sched_params(s, &p, &e) == DLS_OK && p.n_learn == 0 && p.fuzz == 0);
    CHECK(store_setting_set(s, "desired_retention", "0.99", &e) == DLS_OK);
    CHECK(store_sched_params(s, &p, &e) == DLS_ERR_INVALID);
    CHECK(strstr(e.msg, "0.99") != NULL);
    char *v = NULL;
    CHECK(store_setting_get(s, "rollover_hour", &v, &e) == DLS_OK);
    CHECK_STR(v, "4");
    free(v);
    CHECK(store_setting_get(s, "no such key", &v, &e) == DLS_OK && v == NULL);
    int npd = 0;
    CHECK(store_new_per_day(s, &npd, &e) == DLS_OK && npd == 20);

    /* a note, a card, its state */
    CHECK(exec_rc(s, "INSERT INTO notes(key, path, imported_at, synced_at) VALUES ('k1', 'a.md', 1, 1)") == SQLITE_OK);
    CHECK(exec_rc(s, "INSERT INTO cards(uid, note_id, kind, front, back) VALUES ('u1', 1, 'concept', 'Q', 'A')") == SQLITE_OK);
    CHECK(exec_rc(s, "INSERT INTO cards(uid, note_id, kind) VALUES ('u2', 99, 'concept')") != SQLITE_OK); /* FK */
    CHECK(exec_rc(s, "INSERT INTO cards(uid, note_id, kind) VALUES ('u3', 1, 'other')") != SQLITE_OK);   /* CHECK */
    store_card c;
    CHECK(store_card_get(s, 1, &c, &e) == DLS_OK);
    CHECK_STR(c.front, "Q");
    CHECK(c.m.state == SCHED_NEW && c.m.due == 0 && c.m.s == 0);
    store_card_deinit(&c);
    CHECK(store_card_get(s, 42, &c, &e) == DLS_ERR_NOTFOUND);

    /* a review: log + state in one transaction */
    store_review r = {.card_id = 1, .reviewed_at = 1000, .rating = 3, .duration_ms = 1500};
    sched_params_default(&p);
    CHECK(sched_review(&p, &r.before, 1, 3, 1000, &r.after, &r.res, NULL) == DLS_OK);
    int64_t id1 = 0, id2 = 0;
    CHECK(store_begin(s, &e) == DLS_OK);
    CHECK(store_log_append(s, &r, &id1, &e) == DLS_OK);
    CHECK(store_card_set_state(s, 1, &r.after, &e) == DLS_OK);
    CHECK(store_commit(s, &e) == DLS_OK);
    CHECK(store_card_get(s, 1, &c, &e) == DLS_OK);
    CHECK(c.m.state == SCHED_LEARNING && c.m.reps == 1 && c.m.due == r.after.due);
    CHECK_NEAR(c.m.s, 2.3065, 1e-12);
    sched_card second_before = c.m;
    store_card_deinit(&c);
    r.before = r.after;
    r.reviewed_at = 1700;
    CHECK(sched_review(&p, &r.before, 1, 3, 1700, &r.after, &r.res, NULL) == DLS_OK);
    CHECK(store_begin(s, &e) == DLS_OK);
    CHECK(store_log_append(s, &r, &id2, &e) == DLS_OK);
    CHECK(store_card_set_state(s, 1, &r.after, &e) == DLS_OK);
    CHECK(store_commit(s, &e) == DLS_OK);
    CHECK(id2 > id1);

    /* append-only: no UPDATE, no DELETE */
    CHECK(exec_rc(s, "UPDATE review_log SET rating = 4") != SQLITE_OK);
    CHECK(exec_rc(s, "DELETE FROM review_log") != SQLITE_OK);
    CHECK(test_count(s, "SELECT count(*) FROM review_log") == 2);

    /* undo: an appended marker; the last review that counts becomes the first */
    int64_t last, card;
    sched_card before;
    CHECK(store_log_last(s, 0, &last, &card, &before, &e) == DLS_OK);
    CHECK(last == id2 && card == 1 && before.reps == second_before.reps && before.due == second_before.due);
    CHECK_NEAR(before.s, second_before.s, 1e-12);
    CHECK(store_begin(s, &e) == DLS_OK);
    CHECK(store_log_undo(s, id2, 2000, &e) == DLS_OK);
    CHECK(store_commit(s, &e) == DLS_OK);
    CHECK(test_count(s, "SELECT count(*) FROM review_log") == 3);
    CHECK(test_count(s, "SELECT count(*) FROM review_history") == 1);
    CHECK(store_log_last(s, 0, &last, &card, &before, &e) == DLS_OK && last == id1);
    CHECK(store_log_last(s, 7, &last, &card, &before, &e) == DLS_ERR_NOTFOUND); /* other note */
    /* the same review cannot be undone twice, nor an import */
    CHECK(store_begin(s, &e) == DLS_OK);
    CHECK(store_log_undo(s, id2, 2001, &e) == DLS_ERR_DB);
    store_rollback(s);
    CHECK(store_begin(s, &e) == DLS_OK);
    CHECK(store_log_import(s, 1, 500, &e) == DLS_OK);
    CHECK(store_commit(s, &e) == DLS_OK);
    int64_t import_id = sqlite3_last_insert_rowid(store_db(s));
    CHECK(store_begin(s, &e) == DLS_OK);
    CHECK(store_log_undo(s, import_id, 2002, &e) == DLS_ERR_DB);
    store_rollback(s);
    CHECK(test_count(s, "SELECT count(*) FROM review_log WHERE kind = 'import' AND rating IS NULL") == 1);

    /* the prepared statement cache hands back the same statement, reset */
    sqlite3_stmt *a = store_prepare(s, "SELECT 1", &e), *b = store_prepare(s, "SELECT 1", &e);
    CHECK(a != NULL && a == b);
    CHECK(store_prepare(s, "SELEKT nonsense", &e) == NULL && e.code == DLS_ERR_DB);

    /* lab tables accept the labs helper's rows */
    CHECK(exec_rc(s, "INSERT INTO lab_runs(lab, status, started_at) VALUES ('cnn-mnist', 'running', 5)") == SQLITE_OK);
    CHECK(exec_rc(s, "INSERT INTO lab_metrics(run_id, epoch, train_loss) VALUES (1, 1, 0.5)") == SQLITE_OK);
    CHECK(exec_rc(s, "INSERT INTO lab_metrics(run_id, epoch, train_loss) VALUES (1, 1, 0.4)") != SQLITE_OK);
    CHECK(exec_rc(s, "INSERT INTO lab_runs(lab, status, started_at) VALUES ('x', 'weird', 5)") != SQLITE_OK);

    /* a setting the database cannot give is an error, never "unset" (the default) */
    CHECK(exec_rc(s, "DROP TABLE settings") == SQLITE_OK);
    char *gone = (char *)"x";
    CHECK(store_setting_get(s, "new_per_day", &gone, &e) == DLS_ERR_DB && gone == NULL);
    CHECK(strstr(e.msg, "settings") != NULL);
    CHECK(store_new_per_day(s, &npd, &e) == DLS_ERR_DB);
    CHECK(store_sched_params(s, &p, &e) == DLS_ERR_DB);
    store_free(s);
}

static void write_file(const char *path, const char *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f) fwrite(bytes, 1, n, f), fclose(f);
}

static void test_files(void) {
    char dir[64];
    if (!test_tmpdir(dir, sizeof dir, "dls_store")) {
        test_skip("store files", "no temp dir");
        return;
    }
    char *db = xasprintf("%s/study.db", dir);
    store *s = NULL, *t = NULL;
    dls_error e = {0};
    CHECK(store_open(db, &s, &e) == DLS_OK);
    CHECK(test_count(s, "PRAGMA journal_mode") == 0); /* text "wal": count() reads it as 0 */
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(store_db(s), "PRAGMA journal_mode", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "wal"));
    sqlite3_finalize(st);
    CHECK(store_setting_set(s, "new_per_day", "7", &e) == DLS_OK);
    store_free(s);
    /* reopening migrates nothing and keeps the data */
    CHECK(store_open(db, &s, &e) == DLS_OK);
    char *v = NULL;
    CHECK(store_setting_get(s, "new_per_day", &v, &e) == DLS_OK);
    CHECK_STR(v, "7");
    free(v);

    /* bulk import mode: a rollback journal while this is the only connection, WAL after */
    CHECK(store_bulk_begin(s) == 1);
    CHECK(journal_mode(s, "delete"));
    CHECK(store_begin(s, &e) == DLS_OK);
    CHECK(exec_rc(s, "INSERT INTO notes(key, path, imported_at, synced_at) VALUES ('bulk', 'b.md', 0, 0)") == SQLITE_OK);
    CHECK(store_commit(s, &e) == DLS_OK);
    store_bulk_end(s);
    CHECK(journal_mode(s, "wal"));
    CHECK(test_count(s, "SELECT count(*) FROM notes WHERE key = 'bulk'") == 1);
    /* with another connection open it declines at once (never waits), WAL stays */
    CHECK(store_open(db, &t, &e) == DLS_OK);
    CHECK(test_count(t, "SELECT count(*) FROM notes") >= 1); /* t reads: it holds the WAL open */
    CHECK(store_bulk_begin(s) == 0);
    CHECK(journal_mode(s, "wal"));
    store_free(t);
    CHECK(store_begin(s, &e) == DLS_OK);
    CHECK(store_bulk_begin(s) == 0); /* not inside a transaction */
    store_rollback(s);

    /* busy: another connection holds the write lock */
    CHECK(store_open(db, &t, &e) == DLS_OK);
    sqlite3_busy_timeout(store_db(t), 50);
    CHECK(store_begin(s, &e) == DLS_OK);
    CHECK(store_begin(t, &e) == DLS_ERR_BUSY);
    CHECK(strstr(e.msg, "busy") != NULL && strstr(e.msg, db) != NULL);
    store_rollback(s);
    store_free(t);
    store_free(s);

    /* a version 1 database (cards without `line`) is migrated, its rows kept */
    sqlite3 *raw;
    sqlite3_open(db, &raw);
    CHECK(sqlite3_exec(raw, "INSERT INTO notes(key, path, imported_at, synced_at) VALUES ('m1', 'm.md', 0, 0);"
                            "INSERT INTO cards(uid, note_id, kind) VALUES ('mu1', last_insert_rowid(), 'concept');"
                            "ALTER TABLE cards DROP COLUMN line; PRAGMA user_version = 1",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(raw);
    CHECK(store_open(db, &s, &e) == DLS_OK);
    if (s) {
        CHECK(test_count(s, "PRAGMA user_version") == store_schema_version());
        CHECK(test_count(s, "SELECT count(*) FROM cards WHERE uid = 'mu1' AND line = 0") == 1);
        store_free(s);
    }

    /* a newer schema is refused */
    sqlite3_open(db, &raw);
    sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(raw);
    CHECK(store_open(db, &s, &e) == DLS_ERR_UNSUPPORTED);
    CHECK(strstr(e.msg, "newer") != NULL);

    /* not a database: clear message naming the file, file untouched */
    char *bad = xasprintf("%s/garbage.db", dir);
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(i * 7 + 3);
    write_file(bad, junk, sizeof junk);
    CHECK(store_open(bad, &s, &e) == DLS_ERR_CORRUPT);
    CHECK(strstr(e.msg, bad) != NULL && strstr(e.msg, "untouched") != NULL);
    char *back = NULL;
    size_t n = 0;
    CHECK(dls_read_file(bad, 0, &back, &n, NULL) == DLS_OK && n == sizeof junk && !memcmp(back, junk, n));
    free(back);

    /* a text file */
    char *txt = xasprintf("%s/notes.md", dir);
    write_file(txt, "# hello\n", 8);
    CHECK(store_open(txt, &s, &e) == DLS_ERR_CORRUPT);
    CHECK(strstr(e.msg, txt) != NULL);

    /* another program's SQLite database is not ours to write */
    char *foreign = xasprintf("%s/other.db", dir);
    sqlite3_open(foreign, &raw);
    sqlite3_exec(raw, "CREATE TABLE things(x)", NULL, NULL, NULL);
    sqlite3_close(raw);
    CHECK(store_open(foreign, &s, &e) == DLS_ERR_CORRUPT);
    CHECK(strstr(e.msg, "not dlstudy's") != NULL);
    sqlite3_open(foreign, &raw);
    st = NULL;
    sqlite3_prepare_v2(raw, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1);
    sqlite3_finalize(st);
    sqlite3_close(raw);

    /* a folder that does not exist */
    char *nodir = xasprintf("%s/no/such/dir/x.db", dir);
    CHECK(store_open(nodir, &s, &e) == DLS_ERR_IO);
    CHECK(strstr(e.msg, nodir) != NULL);

    CHECK(test_rmtree(dir) == 0);
    free(db), free(bad), free(txt), free(foreign), free(nodir);
}

/* Several processes opening one new database at the same moment: each must find it
 * dlstudy's (the schema is made once, under the write lock) and none may fail. Before the
 * fix, one saw the other's half-made schema and called the file a stranger's. */
static void test_concurrent_create(void) {
    char dir[64];
    if (!test_tmpdir(dir, sizeof dir, "dls_store_race")) {
        test_skip("concurrent create", "no temp dir");
        return;
    }
    enum { PROCS = 6, ROUNDS = 10 };
    int failures = 0;
    for (int round = 0; round < ROUNDS; round++) {
        char *db = xasprintf("%s/race%d.db", dir, round);
        pid_t pids[PROCS];
        for (int i = 0; i < PROCS; i++) {
            pids[i] = fork();
            if (pids[i] == 0) {
                store *s = NULL;
                dls_error e = {0};
                int rc = store_open(db, &s, &e);
                if (rc != DLS_OK) fprintf(stderr, "concurrent open: %s\n", e.msg);
                store_free(s);
                _exit(rc == DLS_OK ? 0 : 1);
            }
        }
        for (int i = 0; i < PROCS; i++) {
            int status = 0;
            if (pids[i] < 0 || waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
                failures++;
        }
        store *s = NULL;
        dls_error e = {0};
        CHECK(store_open(db, &s, &e) == DLS_OK);
        if (s) CHECK(test_count(s, "PRAGMA user_version") == store_schema_version());
        store_free(s);
        free(db);
    }
    CHECK(failures == 0);
    CHECK(test_rmtree(dir) == 0);
}

/* A read-only database with a rollback journal: the switch to WAL has to write, and that
 * failure is reported at open (only a busy refusal is let pass there), naming the file.
 * Without root a read-only file; as root, which ignores permission bits, a tmpfs
 * remounted read-only (skipped where it may not mount). */
static void test_readonly(void) {
    char dir[64];
    if (!test_tmpdir(dir, sizeof dir, "dls_store_ro")) {
        test_skip("read-only database", "no temp dir");
        return;
    }
    int root = geteuid() == 0, mounted = root && mount("tmpfs", dir, "tmpfs", 0, "size=1m") == 0;
    if (root && !mounted) {
        test_skip("read-only database", "cannot mount a tmpfs here");
        CHECK(test_rmtree(dir) == 0);
        return;
    }
    char *db = xasprintf("%s/ro.db", dir);
    store *s = NULL;
    dls_error e = {0};
    CHECK(store_open(db, &s, &e) == DLS_OK);
    store_free(s);
    s = NULL;
    sqlite3 *raw;
    sqlite3_open(db, &raw);
    CHECK(sqlite3_exec(raw, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(raw);
    int ro = mounted ? mount("tmpfs", dir, "tmpfs", MS_REMOUNT | MS_RDONLY, "size=1m") == 0 : chmod(db, 0444) == 0;
    if (!ro) {
        test_skip("read-only database", "cannot make it read-only");
    } else {
        CHECK(store_open(db, &s, &e) == DLS_ERR_IO);
        CHECK(s == NULL);
        store_free(s);
        CHECK(strstr(e.msg, db) != NULL && strstr(e.msg, "read-only") != NULL);
    }
    if (mounted) CHECK(umount2(dir, MNT_DETACH) == 0);
    CHECK(test_rmtree(dir) == 0);
    free(db);
}

int main(void) {
    test_memory();
    test_files();
    test_concurrent_create();
    test_readonly();
    return test_done("test_store");
}
